/* escape: a static test helper copied into a test rootfs as /bin/escape. As root inside a
 * container it tries what a container must not be able to do and prints one line per attempt,
 * "<abi> <what> <result> ok|UNEXPECTED"; the exit status is 0 only when every attempt failed the
 * way the hardened defaults promise. Run it with --privileged to see the same attempts get through
 * (the test can fail).
 *
 *   escape syscalls          dangerous system calls, native x86-64 and 32-bit (int $0x80):
 *                            EPERM expected (clone3: ENOSYS, so libc falls back to clone)
 *   escape x32               an x32 system call: the process must be killed (SIGSYS)
 *   escape mknod             a block node for the host's first disk: EPERM expected
 *   escape paths             masked and read-only /proc and /sys paths (never writes a byte)
 *   escape nnp               prints no_new_privs (0/1)
 *   escape euid              prints the effective uid
 *   escape drop-exec UID P   setresuid(UID) then exec P euid (P: a setuid-root copy of escape)
 *
 * Every argument is chosen so that the call is harmless even when nothing stops it (run as root
 * with no filter, as the unit test's baseline does): invalid pointers (EFAULT), bad flags or magic
 * numbers (EINVAL), fd -1 (EBADF), a hostname one byte too long. Each attempt runs in a child of its
 * own, in a session of its own (vhangup then has no terminal to hang up).
 *
 * The unit test (tests/unit/test_harden.c) includes this file with ESCAPE_NO_MAIN for the table. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define NO (-1)        /* no such call on that ABI */
#define BADP 1L        /* a pointer that faults */
#define A_CLONES 1     /* may create a process when not stopped */

struct attack {
	const char *name;
	long nr64, nr32;   /* x86-64 and i386 numbers (the i386 ones from asm/unistd_32.h) */
	long a[5];
	int expect;        /* what the default profile answers */
	int flags;
};

static const struct attack attacks[] = {
	{"init_module", 175, 128, {BADP, 0, BADP}, EPERM, 0},
	{"finit_module", 313, 350, {-1, BADP, 0}, EPERM, 0},
	{"delete_module", 176, 129, {BADP, 0}, EPERM, 0},
	{"create_module", 174, 127, {BADP, 0}, EPERM, 0},
	{"kexec_load", 246, 283, {0, 0, 0, 0xffffffffL}, EPERM, 0},
	{"kexec_file_load", 320, NO, {-1, -1, 0, 0, 0xffffffffL}, EPERM, 0},
	{"reboot", 169, 88, {0, 0, 0, 0}, EPERM, 0},
	{"mount", 165, 21, {BADP, BADP, BADP, 0, 0}, EPERM, 0},
	{"umount", NO, 22, {BADP}, EPERM, 0},
	{"umount2", 166, 52, {BADP, 0}, EPERM, 0},
	{"pivot_root", 155, 217, {BADP, BADP}, EPERM, 0},
	{"fsopen", 430, 430, {BADP, 0}, EPERM, 0},
	{"fsconfig", 431, 431, {-1, 0, 0, 0, 0}, EPERM, 0},
	{"fsmount", 432, 432, {-1, 0, 0}, EPERM, 0},
	{"fspick", 433, 433, {-1, BADP, 0}, EPERM, 0},
	{"move_mount", 429, 429, {-1, BADP, -1, BADP, 0}, EPERM, 0},
	{"open_tree", 428, 428, {-1, BADP, 0}, EPERM, 0},
	{"mount_setattr", 442, 442, {-1, BADP, 0, 0, 0}, EPERM, 0},
	{"swapon", 167, 87, {BADP, 0}, EPERM, 0},
	{"swapoff", 168, 115, {BADP}, EPERM, 0},
	{"acct", 163, 51, {BADP}, EPERM, 0},
	{"setns", 308, 346, {-1, 0}, EPERM, 0},
	{"unshare(CLONE_NEWUSER)", 272, 310, {CLONE_NEWUSER}, EPERM, 0},
	{"unshare(CLONE_NEWNS)", 272, 310, {CLONE_NEWNS}, EPERM, 0},
	{"clone(CLONE_NEWUSER)", 56, 120, {CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0}, EPERM, A_CLONES},
	{"clone(CLONE_NEWNET)", 56, 120, {CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0}, EPERM, A_CLONES},
	{"clone3", 435, 435, {0, 0}, ENOSYS, 0},
	{"sethostname", 170, 74, {BADP, 65}, EPERM, 0},
	{"setdomainname", 171, 121, {BADP, 65}, EPERM, 0},
	{"keyctl", 250, 288, {0xffffffffL, 0, 0, 0, 0}, EPERM, 0},
	{"add_key", 248, 286, {BADP, BADP, 0, 0, 0}, EPERM, 0},
	{"request_key", 249, 287, {BADP, BADP, 0, 0}, EPERM, 0},
	{"bpf", 321, 357, {0xffffffffL, 0, 0}, EPERM, 0},
	{"userfaultfd", 323, 374, {0xffffffffL}, EPERM, 0},
	{"perf_event_open", 298, 336, {BADP, 0, -1, -1, 0}, EPERM, 0},
	{"io_uring_setup", 425, 425, {0, 0}, EPERM, 0},
	{"io_uring_enter", 426, 426, {-1, 0, 0, 0, 0}, EPERM, 0},
	{"io_uring_register", 427, 427, {-1, 0, 0, 0}, EPERM, 0},
	{"open_by_handle_at", 304, 342, {-1, BADP, 0}, EPERM, 0},
	{"syslog", 103, 103, {0xffffffffL, 0, 0}, EPERM, 0},
	{"clock_settime", 227, 264, {0 /* CLOCK_REALTIME */, BADP}, EPERM, 0},
	{"clock_settime64", NO, 404, {0, BADP}, EPERM, 0},
	{"settimeofday", 164, 79, {BADP, 0}, EPERM, 0},
	{"stime", NO, 25, {BADP}, EPERM, 0},
	{"adjtimex", 159, 124, {BADP}, EPERM, 0},
	{"clock_adjtime", 305, 343, {0, BADP}, EPERM, 0},
	{"clock_adjtime64", NO, 405, {0, BADP}, EPERM, 0},
	{"iopl", 172, 110, {4}, EPERM, 0},
	{"ioperm", 173, 101, {0, 0, 1}, EPERM, 0},
	{"vm86old", NO, 113, {BADP}, EPERM, 0},
	{"vm86", NO, 166, {0xffffffffL, 0}, EPERM, 0},
	{"personality(ADDR_NO_RANDOMIZE)", 135, 136, {0x0040000}, EPERM, 0},
	{"personality(READ_IMPLIES_EXEC)", 135, 136, {0x0400000}, EPERM, 0},
	{"personality(0xfffffffe)", 135, 136, {0xfffffffeL}, EPERM, 0},
	{"quotactl", 179, 131, {0, 0, 0, 0}, EPERM, 0},
	{"quotactl_fd", 443, 443, {-1, 0, 0, 0}, EPERM, 0},
	{"lookup_dcookie", 212, 253, {0, 0, 0}, EPERM, 0},
	{"nfsservctl", 180, 169, {0, 0, 0}, EPERM, 0},
	{"fanotify_init", 300, 338, {0xffffffffL, 0}, EPERM, 0},
	{"kcmp", 312, 349, {0, 0, -1, 0, 0}, EPERM, 0},
	{"pidfd_getfd", 438, 438, {-1, 0, 0}, EPERM, 0},
	{"process_madvise", 440, 440, {-1, 0, 0, 0, 0}, EPERM, 0},
	{"vhangup", 153, 111, {0}, EPERM, 0},
	{"get_mempolicy", 239, 275, {0, 0, 0, 0, 0}, EPERM, 0},
	{"set_mempolicy", 238, 276, {0, 0, 0}, EPERM, 0},
	{"migrate_pages", 256, 294, {0, 0, 0, 0}, EPERM, 0},
	{"move_pages", 279, 317, {0, 0, 0, 0, 0}, EPERM, 0},
	{"uselib", 134, 86, {BADP}, EPERM, 0},
	{"ustat", 136, 62, {0, BADP}, EPERM, 0},
	{"sysfs", 139, 135, {0, 0, 0}, EPERM, 0},
	{"_sysctl", 156, 149, {BADP}, EPERM, 0},
};

/* Calls the profile must let through (0 or a positive result, or an errno other than EPERM). */
static const struct attack allowed[] = {
	{"getpid", 39, 20, {0}, 0, 0},
	{"personality(query)", 135, 136, {0xffffffffL}, 0, 0},
	{"personality(PER_LINUX32)", 135, 136, {0x0008}, 0, 0},
	{"personality(UNAME26)", 135, 136, {0x20000}, 0, 0},
	{"personality(PER_LINUX32|UNAME26)", 135, 136, {0x20008}, 0, 0},
	{"unshare(CLONE_FS|CLONE_FILES)", 272, 310, {CLONE_FS | CLONE_FILES}, 0, 0},
	{"clone(SIGCHLD)", 56, 120, {SIGCHLD, 0, 0, 0, 0}, 0, A_CLONES},
};

enum abi { ABI_64, ABI_32 };
static const char *const abi_name[] = {"x86_64", "i386"};

/* -errno or the result, as the kernel returns it. */
static long call64(long nr, const long *a)
{
	long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], 0L);
	return r < 0 ? -errno : r;
}

#if defined(__x86_64__)
/* The 32-bit entry point from 64-bit code: the kernel treats `int $0x80` as an i386 system call
 * (seccomp sees AUDIT_ARCH_I386 and i386 numbers), whatever mode the caller runs in. Only the low
 * 32 bits of each argument count; five are passed (ebp, the sixth, is left alone). The kernel may
 * zero r8-r11 on the way back. */
static long call32(long nr, const long *a)
{
	long r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4])
			 : "memory", "cc", "r8", "r9", "r10", "r11");
	return (long)(int)r; /* a 32-bit result */
}
#else
static long call32(long nr, const long *a)
{
	(void)nr;
	(void)a;
	return -ENOSYS;
}
#endif

static const char *errname(long r)
{
	static char buf[32];
	static const struct {
		int e;
		const char *n;
	} names[] = {
		{EPERM, "EPERM"},   {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"},   {EIO, "EIO"},       {EBADF, "EBADF"},
		{EFAULT, "EFAULT"}, {EINVAL, "EINVAL"}, {ENOSYS, "ENOSYS"}, {EACCES, "EACCES"}, {ENODEV, "ENODEV"},
		{ENOEXEC, "ENOEXEC"}, {EOPNOTSUPP, "EOPNOTSUPP"}, {EROFS, "EROFS"}, {ENOSPC, "ENOSPC"},
		{EBUSY, "EBUSY"},   {ENOTDIR, "ENOTDIR"}, {ENOMEM, "ENOMEM"}, {EAGAIN, "EAGAIN"}, {EEXIST, "EEXIST"},
	};
	if (r >= 0) {
		snprintf(buf, sizeof buf, "=%ld", r);
		return buf;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].e == -r)
			return names[i].n;
	snprintf(buf, sizeof buf, "errno%ld", -r);
	return buf;
}

/* Run one attempt in a child of its own and return its result (-errno, >= 0, or -1000-S when the
 * child died of signal S). */
static long attempt(const struct attack *at, enum abi abi)
{
	int p[2];
	long r = -EIO;
	if (pipe(p) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[0]);
		setsid(); /* no controlling terminal: vhangup must hang up nothing */
		long nr = abi == ABI_64 ? at->nr64 : at->nr32;
		long v = abi == ABI_64 ? call64(nr, at->a) : call32(nr, at->a);
		if ((at->flags & A_CLONES) && v == 0)
			_exit(0); /* the clone's child */
		if ((at->flags & A_CLONES) && v > 0)
			waitpid((pid_t)v, NULL, __WALL);
		if (write(p[1], &v, sizeof v) != (ssize_t)sizeof v)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	ssize_t n = read(p[0], &r, sizeof r);
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	if (n != (ssize_t)sizeof r)
		r = WIFSIGNALED(st) ? -1000 - WTERMSIG(st) : -EIO;
	return r;
}

/* An x32 call (the x32 bit on a native number): the profile kills the process. Returns the signal
 * that ended the child, 0 when the call came back (with *ret). */
static int attempt_x32(long *ret)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		long r = syscall(0x40000000L | 39 /* getpid */);
		_exit(r < 0 ? (errno & 0x7f) : 0);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	*ret = WIFEXITED(st) ? -WEXITSTATUS(st) : 0;
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

#ifndef ESCAPE_NO_MAIN

static int do_syscalls(void)
{
	int bad = 0;
	for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++)
		for (int abi = ABI_64; abi <= ABI_32; abi++) {
			const struct attack *at = &attacks[i];
			if ((abi == ABI_64 ? at->nr64 : at->nr32) == NO)
				continue;
			long r = attempt(at, (enum abi)abi);
			int ok = r == -at->expect;
			bad += !ok;
			printf("%s %s %s %s\n", abi_name[abi], at->name, r <= -1000 ? "killed" : errname(r),
			       ok ? "ok" : "UNEXPECTED");
		}
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		for (int abi = ABI_64; abi <= ABI_32; abi++) {
			long r = attempt(&allowed[i], (enum abi)abi);
			int ok = r != -EPERM && r > -1000;
			bad += !ok;
			printf("%s %s %s %s\n", abi_name[abi], allowed[i].name, r <= -1000 ? "killed" : errname(r),
			       ok ? "ok" : "UNEXPECTED");
		}
	return bad ? 1 : 0;
}

static int do_x32(void)
{
	long r = 0;
	int sig = attempt_x32(&r);
	printf("x32 getpid %s %s\n", sig ? strsignal(sig) : errname(r), sig == SIGSYS ? "ok" : "UNEXPECTED");
	return sig == SIGSYS ? 0 : 1;
}

/* A node for a real disk of the host (the first entry of /proc/partitions, which the container
 * can read), else 8:0. */
static int do_mknod(void)
{
	const char *path = "/tmp/.escape-disk";
	unsigned maj = 8, min = 0;
	char line[256], name[64] = "sda";
	FILE *f = fopen("/proc/partitions", "re");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, " %u %u %*u %63s", &maj, &min, name) == 3)
			break;
	if (f)
		fclose(f);
	if (mknod(path, S_IFBLK | 0600, makedev(maj, min)) == 0) {
		int fd = open(path, O_RDONLY);
		printf("mknod %s b %u %u (%s) succeeded; open: %s UNEXPECTED\n", path, maj, min, name,
		       fd >= 0 ? "succeeded" : strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(path);
		return 1;
	}
	int err = errno;
	printf("mknod %s b %u %u (%s) %s %s\n", path, maj, min, name, errname(-err), err == EPERM ? "ok" : "UNEXPECTED");
	return err == EPERM ? 0 : 1;
}

/* Masked: a directory is an empty read-only tmpfs, a file reads as empty. Read-only: a write
 * open fails with EROFS (nothing is ever written). Absent paths are reported and pass. */
static int do_paths(void)
{
	static const char *const masked[] = {"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore",
					     "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
					     "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
					     "/sys/devices/virtual/powercap"};
	static const char *const ro[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
					 "/proc/sys/kernel/hostname"};
	int bad = 0;
	for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) {
		struct stat st;
		const char *p = masked[i], *how;
		int ok;
		if (lstat(p, &st) < 0) {
			printf("masked %s absent ok\n", p);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			struct statfs sf;
			struct statvfs sv;
			int empty = 0;
			int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0) {
				char buf[4096];
				long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
				empty = n >= 0 && n <= 48; /* "." and "..": 24 bytes each */
				close(fd);
			}
			ok = statfs(p, &sf) == 0 && sf.f_type == 0x01021994 /* TMPFS_MAGIC */ && statvfs(p, &sv) == 0 &&
			     (sv.f_flag & ST_RDONLY) && empty;
			how = "empty read-only tmpfs";
		} else {
			char c;
			int fd = open(p, O_RDONLY);
			ssize_t n = fd >= 0 ? read(fd, &c, 1) : -1;
			if (fd >= 0)
				close(fd);
			ok = n == 0;
			how = "reads as empty";
		}
		bad += !ok;
		printf("masked %s %s %s\n", p, ok ? how : "EXPOSED", ok ? "ok" : "UNEXPECTED");
	}
	for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++) {
		struct statvfs sv;
		struct stat st;
		const char *p = ro[i];
		int ok;
		if (lstat(p, &st) < 0) {
			printf("read-only %s absent ok\n", p);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			ok = statvfs(p, &sv) == 0 && (sv.f_flag & ST_RDONLY);
		} else {
			int fd = open(p, O_WRONLY); /* opened, never written */
			ok = fd < 0 && errno == EROFS;
			if (fd >= 0)
				close(fd);
		}
		bad += !ok;
		printf("read-only %s %s %s\n", p, ok ? "read-only" : "WRITABLE", ok ? "ok" : "UNEXPECTED");
	}
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *cmd = argc > 1 ? argv[1] : "";
	if (!strcmp(cmd, "syscalls"))
		return do_syscalls();
	if (!strcmp(cmd, "x32"))
		return do_x32();
	if (!strcmp(cmd, "mknod"))
		return do_mknod();
	if (!strcmp(cmd, "paths"))
		return do_paths();
	if (!strcmp(cmd, "nnp")) {
		printf("%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
		return 0;
	}
	if (!strcmp(cmd, "euid")) {
		printf("%ld\n", (long)geteuid());
		return 0;
	}
	if (!strcmp(cmd, "drop-exec") && argc == 4) {
		uid_t uid = (uid_t)strtoul(argv[2], NULL, 10);
		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0) {
			perror("escape drop-exec: setresuid");
			return 1;
		}
		execl(argv[3], argv[3], "euid", (char *)NULL);
		perror("escape drop-exec: execl");
		return 1;
	}
	fprintf(stderr, "usage: escape syscalls|x32|mknod|paths|nnp|euid|drop-exec UID PATH\n");
	return 2;
}
#endif
