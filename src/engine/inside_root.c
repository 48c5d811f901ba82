/* Steps that run inside the sandbox process: namespaces, hostname, chroot, pivot_root. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "gph/fault.h"
#include "gph/image.h"
#include "gph/net.h"
#include "gph/trace.h"
#include "gph/sys.h"
#include "gph/diagnose.h"
#include "internal.h"

static const char *unshare_hint(int err)
{
	if (err == EPERM)
		return gph_holder_userns ? "this user namespace cannot create namespaces of that kind here"
					 : "creating namespaces needs CAP_SYS_ADMIN: run as root, or apply `ns user` first "
					   "(rootless mode)";
	if (err == EINVAL)
		return "this kernel does not support one of these namespace kinds";
	if (err == ENOSPC || err == EUSERS)
		return "the namespace count limit is reached (see /proc/sys/user/max_*_namespaces)";
	return NULL;
}

static int do_ns(int flags, struct gph_err *e)
{
	char names[64];
	gph_ns_flags_str(flags, names, sizeof names);
	if (flags && gph_unshare(flags) < 0) {
		int err = errno;
		gph_fail(e, err, unshare_hint(err), "unshare(%s)", names);
		gph_diagnose_unshare(flags, err, e);
		return -1;
	}
	gph_holder_ns |= flags;
	if (flags & CLONE_NEWNS) {
		/* The copy's mounts may still be in a shared peer group with the host's (systemd makes /
		 * shared); make everything private before anything is mounted, or mounts leak out (B11). */
		/* source and type are ignored for a propagation change; "none" keeps checkers quiet */
		if (gph_mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
			return gph_fail(e, errno, NULL, "mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE)");
	}
	if (flags & CLONE_NEWNET) {
		if (gph_net_lo_up(e) < 0) {
			gph_err_wrap(e, "bringing lo up in the new network namespace: ");
			return -1;
		}
	}
	return 0;
}

int gph_inside_chroot(const char *dir, struct gph_err *e)
{
	if (gph_chdir(dir) < 0)
		return gph_fail(e, errno, NULL, "chdir(\"%s\")", dir);
	if (gph_chroot(".") < 0)
		return gph_fail(e, errno, errno == EPERM ? "chroot needs CAP_SYS_CHROOT: run as root" : NULL,
				"chroot(\"%s\")", dir);
	return 0;
}

static const char *pivot_hint(int err)
{
	if (err == EINVAL)
		return "pivot_root needs: the new root a mount point (it is bind-mounted onto itself first), "
		       "no shared propagation on / (run `ns mnt` first, which makes / private), and the sandbox not "
		       "inside a chroot (`reset`, then pivot_root without chroot)";
	if (err == EBUSY)
		return "the new root and the current root are the same mount";
	if (err == EPERM)
		return "pivot_root needs CAP_SYS_ADMIN in the mount namespace's owner: run as root";
	return NULL;
}

/* When this process runs inside a chroot (a runtime started from a chroot'ed build or rescue
 * system), the mount namespace's root mount lies above its root. pivot_root would then hang the new
 * root below that mount, and the classic chroot breakout (B12) could climb out of the container to
 * it. So first climb to the namespace's root, which is that same breakout done on purpose by our
 * own code: chroot into the target without entering it, ".." until the top, chroot("."). Outside a
 * chroot this ends where it started. */
static int reroot_at_namespace_root(const char *dir, struct gph_err *e)
{
	if (gph_chdir("/") < 0)
		return gph_fail(e, errno, NULL, "chdir(\"/\")");
	if (gph_chroot(dir) < 0)
		return gph_fail(e, errno, NULL, "chroot(\"%s\")", dir);
	for (int i = 0; i < 256; i++)
		if (chdir("..") < 0) /* 256 times: traced as one line below */
			return gph_fail(e, errno, NULL, "chdir(\"..\")");
	if (GPH_TRACING)
		gph_trace_line("chdir(\"..\") x 256 = 0");
	if (gph_chroot(".") < 0)
		return gph_fail(e, errno, NULL, "chroot(\".\") at the mount namespace's root");
	/* that root may be a shared mount: pivot_root refuses those, and it must not propagate anyway */
	if (gph_mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return gph_fail(e, errno, NULL, "mount(\"none\", \"/\", NULL, MS_REC|MS_PRIVATE)");
	return 0;
}

int gph_inside_pivot_root(const char *dir, struct gph_err *e)
{
	/* pivot_root(2) wants the new root to be a mount point: make it one by binding it onto itself. */
	if (gph_mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0)
		return gph_fail(e, errno,
				errno == EACCES && gph_holder_userns
					? "root of this user namespace is an ordinary user on the host: every directory on "
					  "the way to the root filesystem must be searchable (x) for the host id it maps to"
					: NULL,
				"mount(\"%s\", \"%s\", NULL, MS_BIND|MS_REC)", dir, dir);
	/* a handle on the bind mount, which stays valid when the root moves */
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		gph_fail(e, errno, NULL, "open(\"%s\", O_PATH)", dir);
		goto undo;
	}
	if (reroot_at_namespace_root(dir, e) < 0 || gph_fchdir(fd, dir) < 0) {
		if (!e->msg[0])
			gph_fail(e, errno, NULL, "fchdir(\"%s\")", dir);
		close(fd);
		return -1; /* the root moved: the bind mount cannot be undone by its old path */
	}
	close(fd);
	/* pivot_root(".", "."): the old root ends up stacked on top of the new one at ".", where a lazy
	 * unmount detaches it; no directory for the old root is needed inside the rootfs. */
	if (gph_pivot_root(".", ".") < 0) {
		gph_fail(e, errno, pivot_hint(errno), "pivot_root(\".\", \".\") in %s", dir);
		gph_diagnose_pivot_root(dir, e); /* the root is now the namespace's: dir is as mountinfo shows it */
		return -1;
	}
	if (gph_umount2(".", MNT_DETACH) < 0)
		return gph_fail(e, errno, NULL, "umount2(\".\", MNT_DETACH) of the old root");
	if (gph_chdir("/") < 0)
		return gph_fail(e, errno, NULL, "chdir(\"/\")");
	return 0;
undo:
	umount2(dir, MNT_DETACH); /* best effort: only this private mount namespace sees it */
	return -1;
}

/* A bind remount changes only this mount's flags; the ones it has are kept (in a user namespace they
 * are locked, and leaving one out would ask to clear it: EPERM). */
static int make_root_readonly(struct gph_err *e)
{
	struct statvfs sv;
	if (statvfs("/", &sv) < 0)
		return gph_fail(e, errno, NULL, "statvfs(\"/\")");
	static const struct {
		unsigned long st, ms;
	} keep[] = {{ST_NOSUID, MS_NOSUID}, {ST_NODEV, MS_NODEV}, {ST_NOEXEC, MS_NOEXEC}, {ST_NOATIME, MS_NOATIME},
		    {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME}};
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		if (sv.f_flag & keep[i].st)
			flags |= keep[i].ms;
	if (gph_mount(NULL, "/", NULL, flags, NULL) < 0)
		return gph_fail(e, errno, NULL, "mount(NULL, \"/\", NULL, MS_REMOUNT|MS_BIND|MS_RDONLY|...)");
	return 0;
}

int gph_inside_step(const struct gph_step *st, char *note, size_t note_len, struct gph_err *e)
{
	note[0] = '\0';
	static const char *const mounts[] = {"mount.proc", "mount.sys", "mount.dev", "mount.tmpfs"};
	const char *point = st->kind == GPH_STEP_NS ? "ns" : st->kind == GPH_STEP_HOSTNAME ? "hostname"
			  : st->kind == GPH_STEP_CHROOT ? "chroot" : st->kind == GPH_STEP_PIVOT_ROOT ? "pivot_root"
			  : st->kind == GPH_STEP_MOUNT && (unsigned)st->mount < 4 ? mounts[st->mount]
			  : st->kind == GPH_STEP_READONLY ? "readonly" : st->kind == GPH_STEP_IMAGE ? "image.mount" : "step";
	if (gph_fault_point(point, e) < 0)
		return -1;
	switch (st->kind) {
	case GPH_STEP_NS:
		if (st->join) {
			int fd = open(st->path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return gph_fail(e, errno, NULL, "open(\"%s\")", st->path);
			if (setns(fd, st->ns_flags) < 0) {
				int err = errno;
				close(fd);
				return gph_fail(e, err, err == EINVAL ? "the path must be a namespace of that kind (/proc/PID/ns/KIND or a bind mount of one)" : NULL,
						"setns(\"%s\", CLONE_NEW%s)", st->path, st->ns_flags == CLONE_NEWNET ? "NET" : st->ns_flags == CLONE_NEWIPC ? "IPC" : "UTS");
			}
			close(fd);
			gph_holder_ns |= st->ns_flags;
			return 0;
		}
		if (st->ns_flags & CLONE_NEWUSER) /* alone: the runtime writes the maps before anything else */
			return do_ns(CLONE_NEWUSER, e);
		return do_ns(st->ns_flags & ~CLONE_NEWPID, e);
	case GPH_STEP_HOSTNAME:
		if (gph_sethostname(st->hostname, strlen(st->hostname)) < 0) {
			int err = errno;
			gph_fail(e, err, NULL, "sethostname(\"%s\")", st->hostname);
			gph_diagnose_hostname(st->hostname, err, gph_holder_ns & CLONE_NEWUTS, e);
			return -1;
		}
		return 0;
	case GPH_STEP_CHROOT:
	case GPH_STEP_PIVOT_ROOT: {
		bool pivot = st->kind == GPH_STEP_PIVOT_ROOT;
		if (gph_holder_userns && gph_inside_userns_before_root(st->path, pivot, note, note_len, e) < 0)
			return -1;
		return pivot ? gph_inside_pivot_root(st->path, e) : gph_inside_chroot(st->path, e);
	}
	case GPH_STEP_MOUNT:
		return gph_inside_mount(st->mount, st->path, e);
	case GPH_STEP_READONLY:
		return make_root_readonly(e);
	case GPH_STEP_IMAGE:
		return gph_image_step_inside(st, e);
	default:
		break;
	}
	return gph_fail(e, EINVAL, NULL, "step `%s` does not run inside the sandbox", st->text);
}

int gph_inside_binds(const char *dir, int n, const char (*src)[PATH_MAX], const char (*dst)[32], char *note,
		     size_t note_len, struct gph_err *e)
{
	char target[PATH_MAX + 40];
	note[0] = '\0';
	for (int i = 0; i < n; i++) {
		snprintf(target, sizeof target, "%s%s", dir, dst[i]);
		/* The only thing ever created in a root filesystem: an empty file to mount over. */
		int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd >= 0) {
			close(fd);
		} else if (errno == ENOENT) {
			snprintf(note, note_len, "%s has no %s directory: %s not provided", dir, "/etc", dst[i]);
			continue;
		} else if (errno != EEXIST) {
			return gph_fail(e, errno, NULL, "open(\"%s\", O_CREAT|O_EXCL)", target);
		}
		struct stat st;
		if (lstat(target, &st) < 0 || !S_ISREG(st.st_mode)) {
			/* a symlink here could point anywhere on the host: never mount through it */
			snprintf(note, note_len, "%s is not a regular file: %s not provided", target, dst[i]);
			continue;
		}
		if (gph_mount(src[i], target, "none", MS_BIND, NULL) < 0)
			return gph_fail(e, errno, NULL, "mount(\"%s\", \"%s\", MS_BIND)", src[i], target);
	}
	return 0;
}
