/* Gathering what `show` draws and `score` judges: namespaces from /proc/PID/ns, the root and mounts
 * from /proc and the namespace's own mount table, limits and usage from cgroupfs, links and
 * addresses over netlink (inside: the sandbox process's dump; outside: this process's). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "internal.h"
#include "view.h"

const char *const gph_view_ns_kinds[VIEW_NS] = {"pid", "uts", "mnt", "ipc", "net", "cgroup", "user"};

static unsigned long long ns_read(pid_t pid, const char *kind, char *buf, size_t len)
{
	char path[64];
	struct stat st;
	if (pid > 0)
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, kind);
	else
		snprintf(path, sizeof path, "/proc/self/ns/%s", kind);
	ssize_t n = readlink(path, buf, len - 1);
	if (n < 0) {
		snprintf(buf, len, "(%s)", strerror(errno));
		return 0;
	}
	buf[n] = '\0';
	return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

static void gather_ns(struct gph_sandbox *sb, struct gph_view *v)
{
	for (int i = 0; i < VIEW_NS; i++) {
		struct view_ns *n = &v->ns[i];
		n->sbx_ino = ns_read(sb->holder, gph_view_ns_kinds[i], n->sbx, sizeof n->sbx);
		n->host_ino = ns_read(0, gph_view_ns_kinds[i], n->host, sizeof n->host);
		n->isolated = n->sbx_ino && n->host_ino && n->sbx_ino != n->host_ino;
	}
	/* The sandbox process stays in the host's PID namespace; each exec'd command gets its own. */
	if (sb->main_pid > 0)
		ns_read(sb->main_pid, "pid", v->ns[0].cmd, sizeof v->ns[0].cmd);
}

static int count_lines(FILE *f)
{
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	rewind(f);
	return n;
}

static void gather_root(struct gph_sandbox *sb, struct gph_view *v)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/root", (int)sb->holder);
	ssize_t n = readlink(path, v->root, sizeof v->root - 1);
	if (n < 0)
		snprintf(v->root, sizeof v->root, "(%s)", strerror(errno));
	else
		v->root[n] = '\0';
	v->root_how = !sb->rooted ? "the host's root" : sb->pivoted ? "pivot_root" : "chroot";
	FILE *self = fopen("/proc/self/mountinfo", "re");
	v->host_mounts = self ? count_lines(self) : -1;
	if (self)
		fclose(self);
	FILE *f = gph_ns_mountinfo(sb->holder);
	if (!f) {
		snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)sb->holder);
		f = fopen(path, "re");
	}
	v->sbx_mounts = -1;
	if (!f)
		return;
	v->sbx_mounts = count_lines(f);
	v->host_root_reachable = !v->ns[2].isolated || gph_host_root_in(f);
	char *line = NULL;
	size_t cap = 0;
	struct mountinfo_line m;
	while (v->nmounts < VIEW_MOUNTS && getline(&line, &cap, f) > 0) {
		if (!gph_mountinfo_split(line, &m))
			continue;
		struct view_mount *vm = &v->mounts[v->nmounts++];
		snprintf(vm->target, sizeof vm->target, "%s", m.target);
		snprintf(vm->fstype, sizeof vm->fstype, "%s", m.fstype);
		snprintf(vm->source, sizeof vm->source, "%s", m.source ? m.source : "");
	}
	free(line);
	fclose(f);
}

/* A cgroup file as a number: "max" (and v1's "unlimited" values near 2^63, and a negative quota)
 * is -1; unreadable is -2. */
static long long cg_num(struct gph_sandbox *sb, const char *ctl, const char *file)
{
	char buf[128];
	struct gph_err ign;
	if (gph_cg_read_file(&sb->cg, ctl, file, buf, sizeof buf, &ign) < 0)
		return -2;
	if (strncmp(buf, "max", 3) == 0)
		return -1;
	char *end;
	errno = 0;
	long long x = strtoll(buf, &end, 10);
	if (errno || end == buf)
		return -2;
	if (x < 0 || x >= (1LL << 62))
		return -1;
	return x;
}

static void gather_cgroup(struct gph_sandbox *sb, struct gph_view *v)
{
	v->mem_cur = v->mem_max = v->pids_cur = v->pids_max = v->cpu_quota = v->cpu_period = -2;
	v->has_cg = sb->has_cg;
	snprintf(v->no_cg_why, sizeof v->no_cg_why, "%s", sb->no_cg_why);
	if (!sb->has_cg)
		return;
	v->cg_mode = gph_cg_mode_name(sb->cg.mode);
	const char *dir = gph_cg_dir_for(&sb->cg, "memory");
	snprintf(v->cg_dir, sizeof v->cg_dir, "%s", dir ? dir : sb->cg.n > 0 ? sb->cg.dir[0] : "");
	v->pids_cur = cg_num(sb, "pids", "pids.current");
	v->pids_max = cg_num(sb, "pids", "pids.max");
	if (sb->cg.mode == GPH_CG_V2) {
		v->mem_cur = cg_num(sb, "memory", "memory.current");
		v->mem_max = cg_num(sb, "memory", "memory.max");
		char buf[128];
		struct gph_err ign;
		if (gph_cg_read_file(&sb->cg, "cpu", "cpu.max", buf, sizeof buf, &ign) == 0) {
			long long p = 0;
			char q[32] = "";
			if (sscanf(buf, "%31s %lld", q, &p) == 2) {
				v->cpu_period = p;
				v->cpu_quota = strcmp(q, "max") == 0 ? -1 : atoll(q);
			}
		}
	} else {
		v->mem_cur = cg_num(sb, "memory", "memory.usage_in_bytes");
		v->mem_max = cg_num(sb, "memory", "memory.limit_in_bytes");
		v->cpu_quota = cg_num(sb, "cpu", "cpu.cfs_quota_us");
		v->cpu_period = cg_num(sb, "cpu", "cpu.cfs_period_us");
	}
}

/* The inside dump is gph_net_describe's stable text:
 *   2: eth0 <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP
 *       inet 10.200.0.2/30
 *   routes:
 *   default via 10.200.0.1 dev eth0 */
static void parse_inside(const char *text, struct gph_view *v)
{
	bool routes = false;
	const char *p = text;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[256];
		snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
		p = nl ? nl + 1 : NULL;
		int idx;
		char name[32], flags[128];
		if (strcmp(line, "routes:") == 0) {
			routes = true;
		} else if (routes) {
			if (strncmp(line, "default", 7) == 0)
				snprintf(v->in_route, sizeof v->in_route, "%.*s", (int)sizeof v->in_route - 1, line);
		} else if (sscanf(line, "%d: %31s <%127[^>]>", &idx, name, flags) == 3 && v->nin < VIEW_LINKS) {
			struct view_link *l = &v->in[v->nin++];
			memset(l, 0, sizeof *l);
			l->index = idx;
			snprintf(l->name, sizeof l->name, "%.*s", (int)sizeof l->name - 1, name);
			char padded[140];
			snprintf(padded, sizeof padded, ",%s,", flags);
			l->up = strstr(padded, ",UP,") != NULL;
		} else if (v->nin > 0 && strncmp(line, "    inet", 8) == 0) {
			struct view_link *l = &v->in[v->nin - 1];
			char fam[8], addr[48];
			if (l->naddr < VIEW_ADDRS && sscanf(line, "%7s %47s", fam, addr) == 2)
				snprintf(l->addr[l->naddr++], sizeof l->addr[0], "%s", addr);
		}
	}
}

static void gather_net(struct gph_sandbox *sb, struct gph_view *v)
{
	static struct hreq rq;
	static struct hrep rp;
	struct gph_err ign;
	memset(&rq, 0, sizeof rq);
	rq.op = HREQ_INFO;
	if (gph_holder_call(sb, &rq, &rp, NULL, 0, &ign) == 0) {
		snprintf(v->sbx_hostname, sizeof v->sbx_hostname, "%.*s", (int)strcspn(rp.info, "\n"), rp.info);
		const char *net = strchr(rp.info, '\n');
		if (net) {
			parse_inside(net + 1, v);
			v->net_read = true;
		}
	}
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(v->host_hostname, sizeof v->host_hostname, "%s", u.nodename);
	if (sb->has_veth && sb->veth.host_ifindex > 0) {
		v->has_host_end = true;
		v->host_end_present = gph_net_link_view(sb->veth.host_ifindex, &v->host_end, &ign) == 0 &&
				      strcmp(v->host_end.name, sb->veth.host_if) == 0;
		if (v->host_end_present && v->host_end.master > 0)
			v->has_bridge = gph_net_link_view(v->host_end.master, &v->bridge, &ign) == 0;
	}
}

int gph_view_gather(struct gph_sandbox *sb, struct gph_view *v, struct gph_err *e)
{
	memset(v, 0, sizeof *v);
	if (sb->holder <= 0)
		return gph_fail(e, 0, "`reset` starts a new one", "there is no sandbox");
	v->holder = sb->holder;
	gather_ns(sb, v);
	gather_root(sb, v);
	gather_cgroup(sb, v);
	gather_net(sb, v);
	return 0;
}
