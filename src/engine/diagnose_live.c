/* The failure diagnosis, live part: read the state a failed call depended on, right where it failed
 * and in the process that made it, and hand it to the checks of diagnose.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "gph/diagnose.h"

/* The whole file into a malloc'ed string ("" when unreadable); the caller frees it. */
static char *slurp(const char *path)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t k;
		while ((k = read(fd, buf + n, cap - n - 1)) > 0) {
			n += (size_t)k;
			if (n + 1 == cap) {
				char *b = realloc(buf, cap * 2);
				if (!b)
					break;
				buf = b;
				cap *= 2;
			}
		}
		close(fd);
	}
	buf[n] = '\0';
	return buf;
}

bool gph_diag_has_cap(int cap)
{
	char *s = slurp("/proc/self/status");
	bool has = false;
	const char *p = s ? strstr(s, "\nCapEff:") : NULL;
	if (p)
		has = (strtoull(p + 8, NULL, 16) >> cap) & 1;
	free(s);
	return has;
}

static void set_why(struct gph_err *e, int found, const char *why)
{
	if (found)
		snprintf(e->why, sizeof e->why, "%s", why);
}

void gph_diagnose_pivot_root(const char *new_root, struct gph_err *e)
{
	char why[512];
	char *mi = slurp("/proc/self/mountinfo");
	if (!mi)
		return;
	set_why(e, gph_diag_pivot_root(mi, new_root, why, sizeof why), why);
	free(mi);
}

void gph_diagnose_mount(const char *fstype, const char *target, int err, bool userns, bool own_netns,
			struct gph_err *e)
{
	char why[512];
	struct stat st;
	int state = stat(target, &st) < 0 ? (errno == ENOENT ? ENOENT : 0) : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	char *mi = slurp("/proc/self/mountinfo");
	if (!mi)
		return;
	set_why(e, gph_diag_mount(fstype, target, err, state, mi, userns, own_netns, why, sizeof why), why);
	free(mi);
}

void gph_diagnose_hostname(const char *name, int err, bool own_utsns, struct gph_err *e)
{
	char why[512];
	set_why(e, gph_diag_hostname(strlen(name), err, own_utsns, gph_diag_has_cap(CAP_SYS_ADMIN), why, sizeof why), why);
}

void gph_diagnose_idmap(pid_t pid, const char *file, const char *text, struct gph_err *e)
{
	char path[64];
	bool gid = strcmp(file, "gid_map") == 0;
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	char *current = slurp(path);
	snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
	char *sg = slurp(path);
	bool privileged = gph_diag_has_cap(gid ? CAP_SETGID : CAP_SETUID);
	if (current && sg) {
		char why[512];
		set_why(e, gph_diag_idmap(file, text, current, sg, privileged, gid ? (unsigned)getegid() : (unsigned)geteuid(),
					  why, sizeof why), why);
	}
	free(current);
	free(sg);
}

static long max_ns(const char *kind)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/sys/user/max_%s_namespaces", kind);
	char *s = slurp(path);
	long v = s && *s ? strtol(s, NULL, 10) : -1;
	free(s);
	return v;
}

void gph_diagnose_unshare(int flags, int err, struct gph_err *e)
{
	char why[512];
	/* chroot(2)ed: our root is not that of PID 1, which sits at the mount namespace's root */
	struct stat self, init;
	bool chrooted = stat("/", &self) == 0 && stat("/proc/1/root", &init) == 0 &&
			(self.st_dev != init.st_dev || self.st_ino != init.st_ino);
	set_why(e, gph_diag_unshare(flags, err, gph_diag_has_cap(CAP_SYS_ADMIN), chrooted, max_ns, why, sizeof why), why);
}

void gph_diagnose_cgroup_write(const char *path, const char *value, int err, struct gph_err *e)
{
	char why[512], dir[PATH_MAX], parent[PATH_MAX], f[PATH_MAX + 32];
	struct statfs sf;
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = '\0';
	snprintf(parent, sizeof parent, "%s", dir);
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	bool v2 = statfs(dir, &sf) == 0 && sf.f_type == 0x63677270; /* CGROUP2_SUPER_MAGIC */
	snprintf(f, sizeof f, "%s/cgroup.subtree_control", parent);
	char *ps = slurp(f);
	snprintf(f, sizeof f, "%s/cgroup.subtree_control", dir);
	char *os = slurp(f);
	snprintf(f, sizeof f, "%s/cgroup.procs", dir);
	char *op = slurp(f);
	set_why(e, gph_diag_cgroup_write(path, value, err, v2, ps, os, op, why, sizeof why), why);
	free(ps);
	free(os);
	free(op);
}

void gph_diagnose_link(const char *name, int err, struct gph_err *e)
{
	char why[512], p[64];
	struct stat st;
	snprintf(p, sizeof p, "/sys/class/net/%.16s", name);
	bool taken = lstat(p, &st) == 0;
	set_why(e, gph_diag_link(name, err, taken, gph_diag_has_cap(CAP_NET_ADMIN), why, sizeof why), why);
}
