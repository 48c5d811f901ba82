/* The traced system calls (include/gph/sys.h). Each wrapper makes the call, then, only when the
 * trace is on, renders a line from the arguments it was given and the result it got. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "gph/sys.h"
#include "gph/trace.h"

#define Q(s, b) gph_quote((s), 200, (b), sizeof(b))

int gph_unshare(int flags)
{
	int rc = unshare(flags);
	if (GPH_TRACING) {
		char f[256];
		gph_trace_call(rc, errno, "unshare(%s)", gph_clone_flags_str((unsigned long)(unsigned)flags, f, sizeof f));
	}
	return rc;
}

int gph_mount(const char *src, const char *target, const char *type, unsigned long flags, const char *data)
{
	int rc = mount(src, target, type, flags, data);
	if (GPH_TRACING) {
		char a[256], b[256], c[64], d[256], f[256];
		gph_trace_call(rc, errno, "mount(%s, %s, %s, %s, %s)", Q(src, a), Q(target, b), Q(type, c),
			       gph_mount_flags_str(flags, f, sizeof f), Q(data, d));
	}
	return rc;
}

int gph_umount2(const char *target, int flags)
{
	int rc = umount2(target, flags);
	if (GPH_TRACING) {
		char a[256], f[128];
		gph_trace_call(rc, errno, "umount2(%s, %s)", Q(target, a), gph_umount_flags_str(flags, f, sizeof f));
	}
	return rc;
}

int gph_sethostname(const char *name, size_t len)
{
	int rc = sethostname(name, len);
	if (GPH_TRACING) {
		char a[256];
		gph_trace_call(rc, errno, "sethostname(%s, %zu)", gph_quote_n(name, len > 200 ? 200 : len, a, sizeof a), len);
	}
	return rc;
}

int gph_pivot_root(const char *new_root, const char *put_old)
{
	int rc = (int)syscall(SYS_pivot_root, new_root, put_old);
	if (GPH_TRACING) {
		char a[256], b[256];
		gph_trace_call(rc, errno, "pivot_root(%s, %s)", Q(new_root, a), Q(put_old, b));
	}
	return rc;
}

int gph_chroot(const char *path)
{
	int rc = chroot(path);
	if (GPH_TRACING) {
		char a[256];
		gph_trace_call(rc, errno, "chroot(%s)", Q(path, a));
	}
	return rc;
}

int gph_chdir(const char *path)
{
	int rc = chdir(path);
	if (GPH_TRACING) {
		char a[256];
		gph_trace_call(rc, errno, "chdir(%s)", Q(path, a));
	}
	return rc;
}

int gph_fchdir(int fd, const char *path)
{
	int rc = fchdir(fd);
	if (GPH_TRACING) {
		char a[256];
		gph_trace_call(rc, errno, "fchdir(%d<%s>)", fd, Q(path, a));
	}
	return rc;
}

static const char *mode_str(mode_t mode, char *buf, size_t len)
{
	const char *type = S_ISCHR(mode) ? "S_IFCHR|" : S_ISBLK(mode) ? "S_IFBLK|" : S_ISFIFO(mode) ? "S_IFIFO|"
			 : S_ISREG(mode) ? "S_IFREG|" : "";
	snprintf(buf, len, "%s%#o", type, (unsigned)(mode & 07777));
	return buf;
}

int gph_mknod(const char *path, mode_t mode, dev_t dev)
{
	int rc = mknod(path, mode, dev);
	if (GPH_TRACING) {
		char a[256], m[32];
		gph_trace_call(rc, errno, "mknod(%s, %s, makedev(%u, %u))", Q(path, a), mode_str(mode, m, sizeof m),
			       major(dev), minor(dev));
	}
	return rc;
}

int gph_chmod(const char *path, mode_t mode)
{
	int rc = chmod(path, mode);
	if (GPH_TRACING) {
		char a[256];
		gph_trace_call(rc, errno, "chmod(%s, %#o)", Q(path, a), (unsigned)mode);
	}
	return rc;
}

int gph_mkdir(const char *path, mode_t mode)
{
	int rc = mkdir(path, mode);
	if (GPH_TRACING) {
		char a[256];
		gph_trace_call(rc, errno, "mkdir(%s, %#o)", Q(path, a), (unsigned)mode);
	}
	return rc;
}

int gph_symlink(const char *target, const char *linkpath)
{
	int rc = symlink(target, linkpath);
	if (GPH_TRACING) {
		char a[256], b[256];
		gph_trace_call(rc, errno, "symlink(%s, %s)", Q(target, a), Q(linkpath, b));
	}
	return rc;
}

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

int gph_open_tree(int dfd, const char *path, unsigned flags)
{
	int rc = (int)syscall(SYS_open_tree, dfd, path, flags);
	if (GPH_TRACING) {
		static const struct gph_flag_name names[] = {
			{OPEN_TREE_CLONE, "OPEN_TREE_CLONE"}, {O_CLOEXEC, "O_CLOEXEC"}, {AT_RECURSIVE, "AT_RECURSIVE"}, {0, NULL}};
		char a[256], f[128], d[16];
		snprintf(d, sizeof d, "%d", dfd);
		gph_trace_call(rc, errno, "open_tree(%s, %s, %s)", dfd == AT_FDCWD ? "AT_FDCWD" : d, Q(path, a),
			       gph_flags_str(flags, names, f, sizeof f));
	}
	return rc;
}

int gph_move_mount(int from_fd, const char *from, const char *to_path, unsigned flags)
{
	int rc = (int)syscall(SYS_move_mount, from_fd, "", AT_FDCWD, to_path, flags);
	if (GPH_TRACING) {
		static const struct gph_flag_name names[] = {{MOVE_MOUNT_F_EMPTY_PATH, "MOVE_MOUNT_F_EMPTY_PATH"}, {0, NULL}};
		char a[256], b[256], f[64];
		gph_trace_call(rc, errno, "move_mount(%d<%s>, \"\", AT_FDCWD, %s, %s)", from_fd, Q(from, a), Q(to_path, b),
			       gph_flags_str(flags, names, f, sizeof f));
	}
	return rc;
}

ssize_t gph_write_file(const char *path, const char *text)
{
	char a[512];
	size_t n = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		if (GPH_TRACING)
			gph_trace_call(-1, errno, "open(%s, O_WRONLY|O_CLOEXEC)", Q(path, a));
		return -1;
	}
	ssize_t w;
	do
		w = write(fd, text, n);
	while (w < 0 && errno == EINTR);
	int err = errno;
	if (GPH_TRACING) {
		char b[512];
		gph_trace_call((long)w, err, "write(%s, %s)", gph_quote(path, 400, a, sizeof a), gph_quote(text, 400, b, sizeof b));
	}
	if (close(fd) < 0 && w >= 0) {
		err = errno;
		w = -1;
	}
	errno = err;
	return w;
}

int gph_setresuid(uid_t r, uid_t e, uid_t s)
{
	int rc = setresuid(r, e, s);
	if (GPH_TRACING)
		gph_trace_call(rc, errno, "setresuid(%u, %u, %u)", (unsigned)r, (unsigned)e, (unsigned)s);
	return rc;
}

int gph_setresgid(gid_t r, gid_t e, gid_t s)
{
	int rc = setresgid(r, e, s);
	if (GPH_TRACING)
		gph_trace_call(rc, errno, "setresgid(%u, %u, %u)", (unsigned)r, (unsigned)e, (unsigned)s);
	return rc;
}

int gph_setgroups(size_t n, const gid_t *list)
{
	int rc = setgroups(n, list);
	if (GPH_TRACING) {
		char l[128] = "NULL";
		size_t o = 0;
		for (size_t i = 0; list && i < n && o < sizeof l - 16; i++)
			o += (size_t)snprintf(l + o, sizeof l - o, "%s%u", i ? ", " : "[", (unsigned)list[i]);
		if (list && n)
			snprintf(l + o, sizeof l - o, "]");
		gph_trace_call(rc, errno, "setgroups(%zu, %s)", n, l);
	}
	return rc;
}

int gph_setsid(void)
{
	int rc = setsid();
	if (GPH_TRACING)
		gph_trace_call(rc, errno, "setsid()");
	return rc;
}

int gph_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
{
	int rc = prctl(option, a2, a3, a4, a5);
	if (GPH_TRACING) {
		static const struct {
			int opt;
			const char *name;
		} names[] = {{PR_SET_NO_NEW_PRIVS, "PR_SET_NO_NEW_PRIVS"}, {PR_SET_KEEPCAPS, "PR_SET_KEEPCAPS"},
			     {PR_CAPBSET_DROP, "PR_CAPBSET_DROP"},         {PR_SET_DUMPABLE, "PR_SET_DUMPABLE"},
			     {PR_CAP_AMBIENT, "PR_CAP_AMBIENT"},           {PR_SET_SECCOMP, "PR_SET_SECCOMP"},
			     {PR_SET_PDEATHSIG, "PR_SET_PDEATHSIG"}};
		const char *name = NULL;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (names[i].opt == option)
				name = names[i].name;
		char o[16];
		snprintf(o, sizeof o, "%d", option);
		if (option == PR_SET_SECCOMP)
			gph_trace_call(rc, errno, "prctl(PR_SET_SECCOMP, %s, %#lx)",
				       a2 == 2 ? "SECCOMP_MODE_FILTER" : "SECCOMP_MODE_STRICT", a3);
		else if (option == PR_CAP_AMBIENT && a2 == PR_CAP_AMBIENT_CLEAR_ALL)
			gph_trace_call(rc, errno, "prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)");
		else
			gph_trace_call(rc, errno, "prctl(%s, %lu)", name ? name : o, a2);
	}
	return rc;
}

pid_t gph_clone_fork(unsigned long long flags)
{
	/* clone3 with no stack behaves like fork(2), plus the namespace flags; glibc has no wrapper. */
	struct clone_args ca;
	memset(&ca, 0, sizeof ca);
	ca.flags = flags;
	ca.exit_signal = SIGCHLD;
	bool tracing = GPH_TRACING;
	pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0)
		return 0; /* the child: its parent reports the call */
	char f[256];
	if (tracing)
		gph_trace_call(pid, errno, "clone3({flags=%s, exit_signal=SIGCHLD})", gph_clone_flags_str(flags, f, sizeof f));
	if (pid < 0 && errno == ENOSYS) {
		/* Older kernels, valgrind, and seccomp profiles that hide clone3: the classic clone with
		 * no new stack is fork-like too. Both tid pointers are NULL, so the argument order, which
		 * differs between architectures, does not matter. */
		pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, 0UL);
		if (pid != 0 && tracing)
			gph_trace_call(pid, errno, "clone(%s%sSIGCHLD)", flags ? gph_clone_flags_str(flags, f, sizeof f) : "",
				       flags ? "|" : "");
	}
	return pid;
}

int gph_sys_close_range(unsigned first, unsigned last, unsigned flags)
{
	int rc = (int)syscall(SYS_close_range, first, last, flags);
	if (GPH_TRACING)
		gph_trace_call(rc, errno, "close_range(%u, %s, %s)", first, last == ~0U ? "~0U" : "N",
			       flags == CLOSE_RANGE_CLOEXEC ? "CLOSE_RANGE_CLOEXEC" : flags ? "?" : "0");
	return rc;
}
