/* Mounts made inside the sandbox: proc, sys, dev, tmpfs; and the /proc refresh each exec does
 * in its new PID namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "gph/sys.h"
#include "gph/diagnose.h"
#include "internal.h"

#define PROC_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static int need_dir(const char *what, const char *path, struct gph_err *e)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		int err = errno;
		gph_fail(e, err,
				errno == ENOENT ? "the mount point must exist in the sandbox's root: create it in the "
						  "root filesystem (e.g. mkdir rootfs/proc)"
						: NULL,
				"mount %s: stat(\"%s\")", what, path);
		gph_diagnose_mount(what, path, err, gph_holder_userns, gph_holder_ns & CLONE_NEWNET, e);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		gph_fail(e, ENOTDIR, NULL, "mount %s: %s", what, path);
		gph_diagnose_mount(what, path, ENOTDIR, gph_holder_userns, gph_holder_ns & CLONE_NEWNET, e);
		return -1;
	}
	return 0;
}

static int mount_proc(const char *path, struct gph_err *e)
{
	if (gph_mount("proc", path, "proc", PROC_FLAGS, NULL) < 0) {
		int err = errno;
		gph_fail(e, err, NULL, "mount(\"proc\", \"%s\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC)", path);
		gph_diagnose_mount("proc", path, err, gph_holder_userns, gph_holder_ns & CLONE_NEWNET, e);
		return -1;
	}
	return 0;
}

/* The standard character devices, as every runtime provides them (major, minor, mode 0666). */
static const struct {
	const char *name;
	unsigned maj, min;
} dev_nodes[] = {
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};
static const struct {
	const char *name, *target;
} dev_links[] = {
	{"ptmx", "pts/ptmx"},       {"fd", "/proc/self/fd"},         {"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
};

static int mount_dev(const char *path, struct gph_err *e)
{
	char p[PATH_MAX];
	if (gph_mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, "mode=755,size=64k") < 0)
		return gph_fail(e, errno, NULL, "mount(\"tmpfs\", \"%s\", \"tmpfs\", MS_NOSUID|MS_NOEXEC, \"mode=755\")",
				path);
	if (gph_holder_userns) {
		if (gph_inside_userns_dev_nodes(path, e) < 0)
			goto undo;
	} else for (size_t i = 0; i < sizeof dev_nodes / sizeof dev_nodes[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", path, dev_nodes[i].name);
		if (gph_mknod(p, S_IFCHR | 0666, makedev(dev_nodes[i].maj, dev_nodes[i].min)) < 0) {
			gph_fail(e, errno, NULL, "mknod(\"%s\", S_IFCHR|0666, %u:%u)", p, dev_nodes[i].maj, dev_nodes[i].min);
			goto undo;
		}
		if (gph_chmod(p, 0666) < 0) { /* mknod's mode is filtered by the umask */
			gph_fail(e, errno, NULL, "chmod(\"%s\", 0666)", p);
			goto undo;
		}
	}
	static const char *const dirs[] = {"pts", "shm", "mqueue"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", path, dirs[i]);
		if (gph_mkdir(p, 0755) < 0) {
			gph_fail(e, errno, NULL, "mkdir(\"%s\")", p);
			goto undo;
		}
	}
	snprintf(p, sizeof p, "%s/pts", path);
	/* A new devpts instance: the container's pseudo-terminals are its own, numbered from 0. */
	int r = gph_mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
	/* gid 5 (tty) may be unmapped in a user namespace: EINVAL; then the terminals keep our group */
	if (r < 0 && errno == EINVAL && gph_holder_userns)
		r = gph_mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
	if (r < 0) {
		gph_fail(e, errno, NULL, "mount(\"devpts\", \"%s\", \"devpts\", MS_NOSUID|MS_NOEXEC, \"newinstance,...\")", p);
		goto undo;
	}
	/* POSIX message queues are per IPC namespace: only with one of the sandbox's own (else the
	 * directory stays empty rather than showing the host's queues). */
	snprintf(p, sizeof p, "%s/mqueue", path);
	if ((gph_holder_ns & CLONE_NEWIPC) && gph_mount("mqueue", p, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		gph_fail(e, errno, NULL, "mount(\"mqueue\", \"%s\", \"mqueue\", MS_NOSUID|MS_NODEV|MS_NOEXEC)", p);
		goto undo;
	}
	snprintf(p, sizeof p, "%s/shm", path);
	if (gph_mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0) {
		gph_fail(e, errno, NULL, "mount(\"shm\", \"%s\", \"tmpfs\")", p);
		goto undo;
	}
	for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", path, dev_links[i].name);
		if (gph_symlink(dev_links[i].target, p) < 0) {
			gph_fail(e, errno, NULL, "symlink(\"%s\", \"%s\")", dev_links[i].target, p);
			goto undo;
		}
	}
	return 0;
undo:
	gph_umount2(path, MNT_DETACH); /* takes pts and shm with it; private to the sandbox */
	return -1;
}

int gph_inside_mount(enum gph_mount_what what, const char *path, struct gph_err *e)
{
	static const char *const names[] = {"proc", "sys", "dev", "tmpfs"};
	if (need_dir(names[what], path, e) < 0)
		return -1;
	switch (what) {
	case GPH_MOUNT_PROC:
		return gph_holder_userns ? gph_inside_userns_mount_proc(path, e) : mount_proc(path, e);
	case GPH_MOUNT_SYS:
		if (gph_mount("sysfs", path, "sysfs", MS_RDONLY | PROC_FLAGS, NULL) < 0) {
			/* the same sysfs (one per network namespace) on the same place: pivot_root in a user
			 * namespace already mounted it there, which is exactly this step's result */
			if (errno == EBUSY && gph_holder_userns)
				return 0;
			int err = errno;
			gph_fail(e, err,
				 err == EPERM && gph_holder_userns
					 ? "in a user namespace sysfs needs `ns net` (applied with or after `ns user`) "
					   "and a full sysfs already visible, as pivot_root leaves one at /sys"
					 : NULL,
				 "mount(\"sysfs\", \"%s\", \"sysfs\", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC)", path);
			gph_diagnose_mount("sysfs", path, err, gph_holder_userns, gph_holder_ns & CLONE_NEWNET, e);
			return -1;
		}
		return 0;
	case GPH_MOUNT_DEV:
		return mount_dev(path, e);
	case GPH_MOUNT_TMPFS:
		if (gph_mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") < 0)
			return gph_fail(e, errno, NULL, "mount(\"tmpfs\", \"%s\", \"tmpfs\", MS_NOSUID|MS_NODEV)", path);
		return 0;
	}
	return gph_fail(e, EINVAL, NULL, "mount: unknown kind");
}

/* mountinfo escapes blanks and backslashes as \ooo. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Called by an exec child that is PID 1 of a new PID namespace, in its own copy of the mount
 * namespace: every procfs it inherited shows the sandbox's (outer) PID namespace, so replace each with
 * a fresh one. The old one is detached, not just covered, so nothing inside can uncover host PIDs. */
int gph_inside_refresh_proc(bool userns, struct gph_err *e)
{
	/* Through the holder's handle on the host's /proc: the /proc in this root may be one of another
	 * PID namespace, with no "self" for us (in a user namespace it is one of an empty namespace). */
	int fd = openat(gph_holder_procfd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
	if (!f) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return gph_fail(e, err, NULL, "open(\"<host /proc>/self/mountinfo\")");
	}
	char *points[32];
	int n = 0;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0 && n < 32) {
		/* "36 35 98:0 / /mnt1 rw,noatime master:1 - ext3 /dev/root rw" */
		char *mp = NULL, *fstype = NULL, *save = NULL;
		int field = 0;
		bool after_dash = false;
		for (char *tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save), field++) {
			if (field == 4)
				mp = tok;
			if (after_dash) {
				fstype = tok;
				break;
			}
			if (field >= 6 && strcmp(tok, "-") == 0)
				after_dash = true;
		}
		if (mp && fstype && strcmp(fstype, "proc") == 0) {
			unescape(mp);
			points[n++] = strdup(mp);
			if (!points[n - 1]) {
				n--;
				break;
			}
		}
	}
	free(line);
	fclose(f);
	int rc = 0;
	/* Detach every one first (stacked ones too), then mount each point once. In a user namespace the
	 * new one goes on top instead; what it covers is the sandbox's own proc of an empty PID namespace
	 * (see inside_userns.c), never the host's. */
	for (int i = n - 1; i >= 0 && rc == 0 && !userns; i--)
		if (gph_umount2(points[i], MNT_DETACH) < 0 && errno != EINVAL)
			rc = gph_fail(e, errno, NULL, "umount2(\"%s\", MNT_DETACH)", points[i]);
	for (int i = 0; i < n && rc == 0; i++) {
		bool dup = false;
		for (int j = 0; j < i; j++)
			dup = dup || strcmp(points[i], points[j]) == 0;
		if (!dup && mount_proc(points[i], e) < 0)
			rc = -1;
	}
	for (int i = 0; i < n; i++)
		free(points[i]);
	return rc;
}
