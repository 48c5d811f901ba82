/* The sandbox process's side of a user namespace. Root inside a user namespace holds every
 * capability, but only over namespaces that user namespace owns, and the kernel adds rules of its
 * own; this file does what those rules require:
 *   - mknod(2) is refused: `mount dev` binds the host's device nodes instead, cloned with
 *     open_tree(2) before the root changes (afterwards they are out of reach);
 *   - proc and sysfs may be mounted only where a full instance of them is already visible in the
 *     mount namespace (mount_too_revealing in fs/namespace.c): pivot_root mounts them into the new
 *     root while the host's are still visible;
 *   - proc belongs to a PID namespace, and the sandbox process is still in the host's, which this
 *     user namespace does not own: proc is mounted by a child in a new PID namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "gph/sys.h"
#include "gph/diagnose.h"
#include "internal.h"

/* glibc 2.36 has wrappers, older ones do not: the raw calls work everywhere since Linux 5.2. */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

bool gph_holder_userns;
int gph_holder_ns;

static const char *const dev_names[] = {"null", "zero", "full", "random", "urandom", "tty"};
#define N_DEV (sizeof dev_names / sizeof dev_names[0])
static int dev_clone[N_DEV] = {-1, -1, -1, -1, -1, -1};

int gph_inside_become_root(struct gph_err *e)
{
	if (gph_setresgid(0, 0, 0) < 0)
		return gph_fail(e, errno, errno == EINVAL ? "the gid map must map container gid 0" : NULL,
				"setresgid(0, 0, 0) in the new user namespace");
	if (gph_setresuid(0, 0, 0) < 0)
		return gph_fail(e, errno, errno == EINVAL ? "the uid map must map container uid 0" : NULL,
				"setresuid(0, 0, 0) in the new user namespace");
	/* The host's supplementary groups are meaningless inside; drop them where the map allows. */
	if (gph_setgroups(0, NULL) < 0 && errno != EPERM)
		return gph_fail(e, errno, NULL, "setgroups(0, NULL)");
	gph_holder_userns = true;
	return 0;
}

/* Mount a proc for a fresh PID namespace at path, from a child that is that namespace's PID 1. */
int gph_inside_userns_mount_proc(const char *path, struct gph_err *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return gph_fail(e, errno, NULL, "pipe2()");
	pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, 0UL);
	if (pid < 0) {
		int err = errno;
		close(p[0]);
		close(p[1]);
		return gph_fail(e, err, NULL, "clone(CLONE_NEWPID) to mount proc");
	}
	if (pid == 0) {
		close(p[0]);
		int err = gph_mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ? errno : 0;
		if (write(p[1], &err, sizeof err) < 0) { /* the parent sees a short read */
		}
		_exit(err ? 1 : 0);
	}
	close(p[1]);
	int err = EPIPE;
	ssize_t n;
	do
		n = read(p[0], &err, sizeof err);
	while (n < 0 && errno == EINTR);
	close(p[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof err)
		err = EPIPE;
	if (err) {
		gph_fail(e, err,
				err == EPERM ? "in a user namespace proc can be mounted only while a full proc is visible: "
					       "mount it right after pivot_root (which keeps one at /proc), not after "
					       "unmounting or covering it"
					     : NULL,
				"mount(\"proc\", \"%s\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC) in a new PID namespace", path);
		gph_diagnose_mount("proc", path, err, true, gph_holder_ns & CLONE_NEWNET, e);
		return -1;
	}
	return 0;
}

static int is_dir(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int gph_inside_userns_before_root(const char *dir, bool pivot, char *note, size_t note_len, struct gph_err *e)
{
	char p[PATH_MAX + 16];
	for (size_t i = 0; i < N_DEV; i++) {
		if (dev_clone[i] >= 0)
			continue;
		snprintf(p, sizeof p, "/dev/%s", dev_names[i]);
		/* A detached copy of the mount-or-file at p, movable later with move_mount(2). */
		dev_clone[i] = gph_open_tree(AT_FDCWD, p, OPEN_TREE_CLONE | O_CLOEXEC);
		if (dev_clone[i] < 0)
			return gph_fail(e, errno, errno == ENOSYS ? "open_tree(2) needs Linux 5.2 or later" : NULL,
					"open_tree(\"%s\", OPEN_TREE_CLONE)", p);
	}
	if (!pivot)
		return 0; /* after chroot the host's proc and sysfs stay in the mount table */
	snprintf(p, sizeof p, "%s/proc", dir);
	if (is_dir(p) && gph_inside_userns_mount_proc(p, e) < 0)
		return -1;
	snprintf(p, sizeof p, "%s/sys", dir);
	/* sysfs shows the network namespace of its mounter, which must be owned by our user namespace */
	if (is_dir(p) && (gph_holder_ns & CLONE_NEWNET)) {
		if (gph_mount("sysfs", p, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			return gph_fail(e, errno, NULL, "mount(\"sysfs\", \"%s\", \"sysfs\", MS_RDONLY|...)", p);
	} else if (is_dir(p)) {
		snprintf(note, note_len, "no `ns net`: sysfs cannot be mounted in this user namespace");
	}
	return 0;
}

int gph_inside_userns_dev_nodes(const char *dir, struct gph_err *e)
{
	char p[PATH_MAX + 16];
	for (size_t i = 0; i < N_DEV; i++) {
		if (dev_clone[i] < 0)
			return gph_fail(e, EPERM,
					"in a user namespace device nodes are bound from the host's /dev, cloned when the "
					"root changes: apply `mount dev` after chroot/pivot_root",
					"mknod(\"%s/%s\") is not allowed in a user namespace", dir, dev_names[i]);
		snprintf(p, sizeof p, "%s/%s", dir, dev_names[i]);
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
		if (fd < 0)
			return gph_fail(e, errno, NULL, "open(\"%s\", O_CREAT|O_EXCL)", p);
		close(fd);
		char what[32];
		snprintf(what, sizeof what, "clone of /dev/%s", dev_names[i]);
		if (gph_move_mount(dev_clone[i], what, p, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return gph_fail(e, errno, NULL, "move_mount(<clone of /dev/%s>, \"%s\")", dev_names[i], p);
		close(dev_clone[i]);
		dev_clone[i] = -1;
	}
	return 0;
}
