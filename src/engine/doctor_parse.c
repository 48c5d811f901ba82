/* `doctor`'s pure half: parse the text of /proc and /etc files, and judge a lesson against the
 * facts. Nothing here reads the machine, so the unit tests feed it fixtures. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "gph/cgroup.h"
#include "gph/doctor.h"

void gph_doctor_resolv(const char *text, int *loopback, int *other)
{
	*loopback = *other = 0;
	for (const char *p = text; p && *p;) {
		size_t l = strcspn(p, "\n");
		const char *q = p + strspn(p, " \t");
		if (strncmp(q, "nameserver", 10) == 0 && (q[10] == ' ' || q[10] == '\t')) {
			q += 10;
			q += strspn(q, " \t");
			if (strncmp(q, "127.", 4) == 0 || strncmp(q, "::1", 3) == 0)
				(*loopback)++;
			else if (*q && *q != '\n')
				(*other)++;
		}
		p += l;
		if (*p)
			p++;
	}
}

bool gph_doctor_is_wsl(const char *v)
{
	return v && (strcasestr(v, "microsoft") || strstr(v, "WSL"));
}

const char *gph_doctor_cgroup_container(const char *text)
{
	static const char *const names[] = {"docker", "kubepods", "libpod", "containerd", "lxc", "garden", "crio"};
	for (size_t i = 0; text && i < sizeof names / sizeof names[0]; i++)
		if (strstr(text, names[i]))
			return names[i];
	return NULL;
}

bool gph_doctor_env_container(const char *env, size_t len, char *out, size_t out_len)
{
	for (size_t i = 0; i < len;) {
		const char *s = env + i;
		size_t l = strnlen(s, len - i);
		if (l > 10 && strncmp(s, "container=", 10) == 0) {
			snprintf(out, out_len, "%.*s", (int)(l - 10), s + 10);
			return true;
		}
		i += l + 1;
	}
	return false;
}

bool gph_doctor_uidmap_initial(const char *m)
{
	unsigned long a, b, c;
	int used = 0;
	if (!m || sscanf(m, "%lu %lu %lu%n", &a, &b, &c, &used) != 3)
		return false;
	/* exactly one line, the whole range mapped onto itself */
	return a == 0 && b == 0 && c == 4294967295UL && m[used + strspn(m + used, " \t\n")] == '\0';
}

int gph_doctor_kernel_version(const char *r, int *major, int *minor)
{
	char *end;
	long ma = strtol(r, &end, 10);
	if (end == r || *end != '.')
		return -1;
	const char *p = end + 1;
	long mi = strtol(p, &end, 10);
	if (end == p || ma < 0 || mi < 0)
		return -1;
	*major = (int)ma;
	*minor = (int)mi;
	return 0;
}

long long gph_doctor_meminfo_kb(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ':')
			return strtoll(p + kl + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

unsigned gph_doctor_lesson_uses(const struct gph_lesson *l)
{
	unsigned u = 0;
	for (int i = 0; i < l->n_needs; i++) {
		if (!strcmp(l->needs[i], "root"))
			u |= GPH_USES_ROOT;
		else if (!strcmp(l->needs[i], "userns"))
			u |= GPH_USES_USERNS;
		else if (!strcmp(l->needs[i], "cgroup2"))
			u |= GPH_USES_CGROUP2;
		else if (!strcmp(l->needs[i], "net"))
			u |= GPH_USES_NET;
	}
	static const struct {
		const char *prefix;
		unsigned bit;
	} words[] = {
		{"ns user", GPH_USES_USERNS}, {"cgroup mem", GPH_USES_MEM}, {"cgroup swap", GPH_USES_SWAP},
		{"cgroup pids", GPH_USES_PIDS}, {"cgroup cpu", GPH_USES_CPU}, {"cgroup io", GPH_USES_IO},
		{"net veth", GPH_USES_VETH}, {"net bridge", GPH_USES_BRIDGE}, {"net nat", GPH_USES_NAT},
		{"net port", GPH_USES_NAT}, {"seccomp default", GPH_USES_SECCOMP},
	};
	for (int i = 0; i < l->n_cmds; i++) {
		const char *c = l->cmds[i].command;
		for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
			if (strncmp(c, words[k].prefix, strlen(words[k].prefix)) == 0)
				u |= words[k].bit;
		/* `ns pid user` spells the same thing */
		if (strncmp(c, "ns ", 3) == 0 && strstr(c, " user"))
			u |= GPH_USES_USERNS;
	}
	return u;
}

static void add(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *buf, size_t len, const char *fmt, ...)
{
	size_t off = strlen(buf);
	if (off && off + 2 < len) {
		memcpy(buf + off, "; ", 3);
		off += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
}

bool gph_doctor_judge(const struct gph_doctor_facts *f, unsigned u, char *why, size_t len)
{
	bool blocked = false;
	why[0] = '\0';
	if ((u & (GPH_USES_ROOT | GPH_USES_NET)) && !f->root) {
		add(why, len, "skipped: needs root, and this process is not root");
		blocked = true;
	}
	if ((u & GPH_USES_CGROUP2) && f->cg_mode != GPH_CG_V2) {
		add(why, len, "skipped: needs cgroup v2, this host is %s",
		    f->cg_mode < 0 ? "without cgroups" : gph_cg_mode_name((enum gph_cg_mode)f->cg_mode));
		blocked = true;
	}
	if (u & GPH_USES_USERNS) {
		if (f->max_userns == 0) {
			add(why, len, "skipped: user namespaces are off (user.max_user_namespaces = 0)");
			blocked = true;
		} else if (!f->open_tree) {
			add(why, len, "fails at `mount dev`: in a user namespace it binds device nodes with open_tree(2), "
				      "which this kernel lacks (Linux 5.2+)");
			blocked = true;
		}
		if (!f->initial_userns)
			add(why, len, "differs: this machine already runs in a user namespace, so the uid map must fit "
				      "inside its own map (100000-165535 may not be mapped here)");
	}
	if (f->root && f->cg_mode < 0 && (u & (GPH_USES_MEM | GPH_USES_SWAP | GPH_USES_PIDS | GPH_USES_CPU | GPH_USES_IO))) {
		add(why, len, "fails: no cgroup file system at /sys/fs/cgroup");
		blocked = true;
	} else if (f->root && f->cg_mode >= 0) {
		if ((u & (GPH_USES_MEM | GPH_USES_SWAP)) && !f->cg_memory) {
			add(why, len, "fails: the memory controller is not available to this cgroup%s",
			    f->cg_mode == GPH_CG_V2 ? " (not delegated: it is missing from cgroup.controllers)" : "");
			blocked = true;
		}
		if ((u & GPH_USES_PIDS) && !f->cg_pids) {
			add(why, len, "fails: the pids controller is not available to this cgroup");
			blocked = true;
		}
		if ((u & GPH_USES_CPU) && !f->cg_cpu) {
			add(why, len, "fails: the cpu controller is not available to this cgroup");
			blocked = true;
		}
		if ((u & GPH_USES_SWAP) && !f->swap_accounting) {
			add(why, len, "fails at `cgroup swap`: the kernel does not account swap per cgroup (boot with "
				      "swapaccount=1 on v1)");
			blocked = true;
		}
		if ((u & GPH_USES_MEM) && f->swap_kb > 0 && !f->swap_accounting)
			add(why, len, "differs: swap is on and not accounted per cgroup, so a process over the memory "
				      "limit is pushed to swap first and killed later (or not at all while swap lasts)");
	}
	if ((u & GPH_USES_NAT) && !f->libnftables) {
		add(why, len, "fails at `net nat`: libnftables (Debian: libnftables1) is not installed");
		blocked = true;
	}
	if ((u & (GPH_USES_VETH | GPH_USES_BRIDGE)) && !f->libnl) {
		add(why, len, "fails at `net veth`/`net bridge`: libnl-route-3 is not installed");
		blocked = true;
	}
	if ((u & GPH_USES_BRIDGE) && f->dns_loopback && !f->dns_other)
		add(why, len, "differs: the only name server is a loopback stub (e.g. 127.0.0.53), unreachable from a "
			      "bridge, so names do not resolve inside (addresses still work)");
	if ((u & GPH_USES_NAT) && !f->nft_tool)
		add(why, len, "differs: no `nft` tool to look at the rules it makes (apt-get install nftables)");
	if (!f->rootfs_ok) {
		add(why, len, "fails: the busybox root filesystem is not built (run `make`)");
		blocked = true;
	}
	return blocked;
}
