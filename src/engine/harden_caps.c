/* Capability sets of the container's process, with libcap: the default set, names, and applying a
 * set just before execve. /proc/PID/status is the truth for `show caps`.
 *
 * Why each step of gph_caps_apply is there:
 *   - the bounding set is what limits a root process after execve (root's permitted set becomes
 *     bounding | inheritable), so it is the set that really matters for the container;
 *   - inheritable and ambient are emptied unless asked for, so nothing rides across execve into a
 *     non-root user or a file-capability binary (B31);
 *   - effective/permitted are set too, for the code that runs before execve or never execs
 *     (the --init process). */
#define _GNU_SOURCE
#include "gph/fault.h"
#include "gph/harden.h"
#include "gph/sys.h"
#include "gph/trace.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

static const char accepted[] =
	"give a capability name as in capabilities(7), with or without CAP_ (e.g. NET_ADMIN or "
	"CAP_NET_ADMIN), or ALL";

uint64_t gph_caps_known(void)
{
	int n = (int)cap_max_bits(); /* libcap asks the kernel (PR_CAPBSET_READ) once */
	if (n <= 0)
		n = CAP_LAST_CAP + 1;
	if (n >= 64)
		return ~UINT64_C(0);
	return GPH_CAP_BIT(n) - 1;
}

/* What this process can still hand on: a runtime started with a reduced bounding set (a container,
 * systemd's CapabilityBoundingSet=) cannot give its commands more, and asking would fail in capset. */
static uint64_t own_bounding(void)
{
	uint64_t known = gph_caps_known(), own = 0;
	for (int v = 0; v < 64; v++)
		if ((known & GPH_CAP_BIT(v)) && cap_get_bound((cap_value_t)v) == 1)
			own |= GPH_CAP_BIT(v);
	return own;
}

void gph_caps_default(struct gph_caps *c)
{
	memset(c, 0, sizeof *c);
	c->bounding = c->effective = c->permitted = GPH_CAPS_DEFAULT & own_bounding();
}

void gph_caps_all(struct gph_caps *c)
{
	memset(c, 0, sizeof *c);
	c->bounding = c->effective = c->permitted = own_bounding();
}

int gph_caps_parse_name(const char *name)
{
	char low[64] = "cap_";
	size_t n = 4;
	if (!name)
		return -1;
	if (strncasecmp(name, "cap_", 4) == 0)
		name += 4;
	if (strcasecmp(name, "all") == 0)
		return GPH_CAP_ALL;
	if (!*name)
		return -1;
	for (const char *p = name; *p; p++) {
		/* Letters and '_' only: libcap would also take "12", which no runtime accepts. */
		if (!(isalpha((unsigned char)*p) || *p == '_') || n + 1 >= sizeof low)
			return -1;
		low[n++] = (char)tolower((unsigned char)*p);
	}
	low[n] = '\0';
	cap_value_t v;
	if (cap_from_name(low, &v) < 0 || v < 0 || v > 63)
		return -1;
	return (int)v;
}

const char *gph_caps_name(int cap, char *buf, size_t len)
{
	char *s = cap_to_name((cap_value_t)cap); /* "cap_net_admin", or the number when unknown */
	const char *p = s ? s : "?";
	if (strncmp(p, "cap_", 4) == 0)
		p += 4;
	size_t i = 0;
	for (; p[i] && i + 1 < len; i++)
		buf[i] = (char)toupper((unsigned char)p[i]);
	if (len)
		buf[i] = '\0';
	cap_free(s);
	return buf;
}

/* The mask NAME stands for, or 0 with *e filled. */
static uint64_t mask_of(const char *name, const char *what, struct gph_err *e)
{
	int cap = gph_caps_parse_name(name);
	uint64_t known = gph_caps_known();
	if (cap == GPH_CAP_ALL)
		return own_bounding(); /* all this process can hand on: more would make capset fail */
	if (cap < 0) {
		gph_fail(e, EINVAL, accepted, "%s: unknown capability \"%s\"", what, name ? name : "");
		return 0;
	}
	if (!(known & GPH_CAP_BIT(cap))) {
		gph_fail(e, EINVAL, "this kernel is older than the capability: leave it out",
			 "%s: capability \"%s\" (%d) is not known to this kernel", what, name, cap);
		return 0;
	}
	return GPH_CAP_BIT(cap);
}

int gph_caps_add(struct gph_caps *c, const char *name, struct gph_err *e)
{
	uint64_t m = mask_of(name, "cap add", e);
	if (!m)
		return -1;
	c->bounding |= m;
	c->effective |= m;
	c->permitted |= m;
	return 0;
}

int gph_caps_drop(struct gph_caps *c, const char *name, struct gph_err *e)
{
	uint64_t m = mask_of(name, "cap drop", e);
	if (!m)
		return -1;
	c->bounding &= ~m;
	c->effective &= ~m;
	c->permitted &= ~m;
	c->inheritable &= ~m;
	c->ambient &= ~m;
	return 0;
}

int gph_caps_add_ambient(struct gph_caps *c, const char *name, struct gph_err *e)
{
	uint64_t m = mask_of(name, "cap ambient", e);
	if (!m)
		return -1;
	c->bounding |= m;
	c->effective |= m;
	c->permitted |= m;
	c->inheritable |= m;
	c->ambient |= m;
	return 0;
}

static int set_flags(cap_t t, cap_flag_t flag, uint64_t mask, uint64_t known)
{
	for (cap_value_t v = 0; v < 64; v++) {
		if (!(known & GPH_CAP_BIT(v)))
			continue;
		if (cap_set_flag(t, flag, 1, &v, (mask & GPH_CAP_BIT(v)) ? CAP_SET : CAP_CLEAR) < 0)
			return -1;
	}
	return 0;
}

/* Make the current permitted set effective, so CAP_SETPCAP works even right after setresuid()
 * with PR_SET_KEEPCAPS (which keeps permitted but clears effective). Returns the permitted mask. */
static int raise_effective(uint64_t known, uint64_t *permitted, struct gph_err *e)
{
	cap_t t = cap_get_proc();
	if (!t)
		return gph_fail(e, errno, NULL, "cap_get_proc()");
	*permitted = 0;
	for (cap_value_t v = 0; v < 64; v++) {
		cap_flag_value_t on = CAP_CLEAR;
		if (!(known & GPH_CAP_BIT(v)) || cap_get_flag(t, v, CAP_PERMITTED, &on) < 0)
			continue;
		if (on == CAP_SET)
			*permitted |= GPH_CAP_BIT(v);
		cap_set_flag(t, CAP_EFFECTIVE, 1, &v, on);
	}
	int rc = cap_set_proc(t);
	int err = errno;
	cap_free(t);
	if (rc < 0)
		return gph_fail(e, err, NULL, "cap_set_proc(effective = permitted)");
	return 0;
}

int gph_caps_apply(const struct gph_caps *c, struct gph_err *e)
{
	if (gph_fault_point("exec.caps", e) < 0)
		return -1;
	uint64_t known = gph_caps_known();
	uint64_t inh = c->inheritable | c->ambient, prm = c->permitted | c->ambient;
	uint64_t eff = c->effective | c->ambient, have = 0;
	char names[1024];
	if ((inh | prm | eff | c->bounding) & ~known) {
		gph_caps_format((inh | prm | eff | c->bounding) & ~known, names, sizeof names);
		return gph_fail(e, EINVAL, "leave out capabilities this kernel does not have",
				"capabilities not known to this kernel: %s", names);
	}
	if ((inh | prm | eff) & ~c->bounding) {
		gph_caps_format((inh | prm | eff) & ~c->bounding, names, sizeof names);
		return gph_fail(e, EINVAL, "add them with --cap-add (which puts them in the bounding set too)",
				"capabilities outside the bounding set: %s", names);
	}
	if (eff & ~prm)
		return gph_fail(e, EINVAL, NULL, "the effective set must lie within the permitted set");
	if (raise_effective(known, &have, e) < 0)
		return -1;
	if (!(have & GPH_CAP_BIT(CAP_SETPCAP)) && (known & ~c->bounding))
		return gph_fail(e, EPERM, "only a process holding CAP_SETPCAP (root) can shrink the bounding set",
				"capabilities: dropping from the bounding set");
	for (cap_value_t v = 0; v < 64; v++) {
		if (!(known & GPH_CAP_BIT(v)) || (c->bounding & GPH_CAP_BIT(v)))
			continue;
		if (cap_get_bound(v) != 1)
			continue;
		int rc = cap_drop_bound(v);
		if (GPH_TRACING)
			gph_trace_call(rc, errno, "prctl(PR_CAPBSET_DROP, %s)", gph_caps_name(v, names, sizeof names));
		if (rc < 0)
			return gph_fail(e, errno, NULL, "prctl(PR_CAPBSET_DROP, %s)",
					gph_caps_name(v, names, sizeof names));
	}
	/* The ambient set goes first: lowering permitted or inheritable would clear it anyway,
	 * and it must be empty unless asked for. Kernels before 4.3 have none (EINVAL). */
	int amb = cap_reset_ambient();
	if (GPH_TRACING)
		gph_trace_call(amb, errno, "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)");
	if (amb < 0 && !(errno == EINVAL && !c->ambient))
		return gph_fail(e, errno, NULL, "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)");
	cap_t t = cap_init();
	if (!t)
		return gph_fail(e, errno, NULL, "cap_init()");
	if (set_flags(t, CAP_INHERITABLE, inh, known) < 0 || set_flags(t, CAP_PERMITTED, prm, known) < 0 ||
	    set_flags(t, CAP_EFFECTIVE, eff, known) < 0) {
		int err = errno;
		cap_free(t);
		return gph_fail(e, err, NULL, "cap_set_flag()");
	}
	int rc = cap_set_proc(t);
	int err = errno;
	cap_free(t);
	if (GPH_TRACING) {
		char ns[3][1024];
		gph_caps_format(eff, ns[0], sizeof ns[0]);
		gph_caps_format(prm, ns[1], sizeof ns[1]);
		gph_caps_format(inh, ns[2], sizeof ns[2]);
		gph_trace_call(rc, err, "capset(effective=%s, permitted=%s, inheritable=%s)", ns[0], ns[1], ns[2]);
	}
	if (rc < 0) {
		gph_caps_format(prm, names, sizeof names);
		return gph_fail(e, err,
				err == EPERM ? "a set can only shrink: the process must already hold what is asked" : NULL,
				"cap_set_proc(permitted = %s)", names);
	}
	for (cap_value_t v = 0; v < 64; v++)
		if ((c->ambient & GPH_CAP_BIT(v)) && cap_set_ambient(v, CAP_SET) < 0)
			return gph_fail(e, errno, errno == EINVAL ? "ambient capabilities need Linux 4.3 or later" : NULL,
					"prctl(PR_CAP_AMBIENT_RAISE, %s)", gph_caps_name(v, names, sizeof names));
	return 0;
}

void gph_caps_warm(void)
{
	cap_value_t v = 0;
	cap_flag_value_t on;
	(void)gph_caps_known();
	(void)cap_get_bound(v);
	(void)cap_get_ambient(v);
	cap_t t = cap_get_proc();
	if (t) {
		cap_get_flag(t, v, CAP_PERMITTED, &on);
		cap_set_flag(t, CAP_INHERITABLE, 1, &v, on);
		cap_free(t);
	}
	t = cap_get_proc(); /* written back unchanged: capset to the same sets */
	if (t) {
		(void)cap_set_proc(t);
		cap_free(t);
	}
	if ((t = cap_init()))
		cap_free(t);
}

static int proc_dir = AT_FDCWD; /* AT_FDCWD: paths start at "/proc/" */

void gph_caps_set_proc_dir(int fd)
{
	proc_dir = fd;
}

/* /proc/PID/status, or /proc/self/status for pid 0. */
static int status_open(pid_t pid, FILE **f, struct gph_err *e)
{
	char path[64];
	const char *dir = proc_dir == AT_FDCWD ? "/proc/" : "";
	if (pid > 0)
		snprintf(path, sizeof path, "%s%ld/status", dir, (long)pid);
	else
		snprintf(path, sizeof path, "%sself/status", dir);
	int fd = openat(proc_dir, path, O_RDONLY | O_CLOEXEC);
	*f = fd >= 0 ? fdopen(fd, "re") : NULL;
	if (!*f) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return gph_fail(e, err, err == ENOENT ? "the process is gone" : NULL, "open(\"%s%s\")",
				proc_dir == AT_FDCWD ? "" : "<proc>/", path);
	}
	return 0;
}

int gph_caps_read(pid_t pid, struct gph_caps *out, struct gph_err *e)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{"CapInh:", offsetof(struct gph_caps, inheritable)}, {"CapPrm:", offsetof(struct gph_caps, permitted)},
		{"CapEff:", offsetof(struct gph_caps, effective)},   {"CapBnd:", offsetof(struct gph_caps, bounding)},
		{"CapAmb:", offsetof(struct gph_caps, ambient)},
	};
	FILE *f;
	char line[256];
	int found = 0;
	memset(out, 0, sizeof *out);
	if (status_open(pid, &f, e) < 0)
		return -1;
	while (fgets(line, sizeof line, f)) {
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			size_t kl = strlen(keys[i].key);
			if (strncmp(line, keys[i].key, kl) != 0)
				continue;
			char *end;
			unsigned long long v = strtoull(line + kl, &end, 16);
			if (end == line + kl)
				break;
			memcpy((char *)out + keys[i].off, &(uint64_t){v}, sizeof(uint64_t));
			found |= 1 << i;
		}
	}
	fclose(f);
	/* CapAmb is missing before Linux 4.3: an empty ambient set. */
	if ((found & 0xf) != 0xf)
		return gph_fail(e, EINVAL, NULL, "/proc/%ld/status: no Cap* lines", pid > 0 ? (long)pid : (long)getpid());
	return 0;
}

size_t gph_caps_format(uint64_t mask, char *buf, size_t len)
{
	uint64_t known = gph_caps_known();
	size_t off = 0;
	if (!len)
		return 0;
	buf[0] = '\0';
	if (!mask)
		return (size_t)snprintf(buf, len, "(none)");
	if (mask == known)
		return (size_t)snprintf(buf, len, "ALL");
	for (int v = 0; v < 64; v++) {
		if (!(mask & GPH_CAP_BIT(v)))
			continue;
		char name[40];
		int n = snprintf(buf + off, len - off, "%s%s", off ? " " : "", gph_caps_name(v, name, sizeof name));
		if (n < 0 || (size_t)n >= len - off) {
			buf[off] = '\0';
			return off;
		}
		off += (size_t)n;
	}
	return off;
}

int gph_caps_describe(pid_t pid, char *buf, size_t len, struct gph_err *e)
{
	struct gph_caps c;
	FILE *f;
	char line[256], nnp[32] = "?", sc[32] = "", filters[32] = "";
	if (gph_caps_read(pid, &c, e) < 0 || status_open(pid, &f, e) < 0)
		return -1;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "NoNewPrivs:", 11))
			snprintf(nnp, sizeof nnp, "%s", strcmp(line + 11 + strspn(line + 11, "\t "), "1") ? "off" : "on");
		else if (!strncmp(line, "Seccomp:", 8))
			snprintf(sc, sizeof sc, "%s", line + 8 + strspn(line + 8, "\t "));
		else if (!strncmp(line, "Seccomp_filters:", 16))
			snprintf(filters, sizeof filters, "%s", line + 16 + strspn(line + 16, "\t "));
	}
	fclose(f);
	const struct {
		const char *label;
		uint64_t v;
	} sets[] = {
		{"bounding", c.bounding}, {"effective", c.effective}, {"permitted", c.permitted},
		{"inheritable", c.inheritable}, {"ambient", c.ambient},
	};
	size_t off = 0;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof sets / sizeof sets[0] && off < len; i++) {
		char names[1024];
		gph_caps_format(sets[i].v, names, sizeof names);
		int n = snprintf(buf + off, len - off, "%-12s %016llx %s\n", sets[i].label,
				 (unsigned long long)sets[i].v, names);
		off += n > 0 ? (size_t)n : 0;
	}
	const char *mode = !strcmp(sc, "0") ? "off" : !strcmp(sc, "1") ? "strict" : !strcmp(sc, "2") ? "filter" : "?";
	if (off < len)
		snprintf(buf + off, len - off, "%-12s %s\n%-12s %s%s%s%s\n", "no_new_privs", nnp, "seccomp", mode,
			 filters[0] ? " (" : "", filters, filters[0] ? (strcmp(filters, "1") ? " filters)" : " filter)") : "");
	return 0;
}

int gph_nnp_apply(struct gph_err *e)
{
	if (gph_fault_point("exec.nnp", e) < 0)
		return -1;
	if (gph_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return gph_fail(e, errno, "no_new_privs needs Linux 3.5 or later", "prctl(PR_SET_NO_NEW_PRIVS, 1)");
	return 0;
}
