/* The exec child: forked by the holder for each `exec`, it finishes the container's set-up that
 * belongs to this one command (fresh /proc, session, terminal, environment) and execs it — directly
 * as PID 1, or under the tiny init (`--init`). Runs only async-signal-safe-ish code paths of our own. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "gph/fault.h"
#include "gph/sys.h"
#include "gph/trace.h"
#include "gph/sys.h"
#include "internal.h"

/* Past the gate (detached), nobody reads the error pipe: failures go to the command's stderr. */
static bool gated;

static void fail(int errpipe, int code, const struct gph_err *e)
{
	if (gated || errpipe < 0) {
		dprintf(2, "gophernetes: %s%s%s\n", e->msg, e->errnum ? ": " : "", e->errnum ? strerror(e->errnum) : "");
		_exit(code);
	}
	struct gph_exec_failure f;
	memset(&f, 0, sizeof f);
	f.code = code;
	f.err = *e;
	if (write(errpipe, &f, sizeof f) < 0) { /* the holder is gone; the exit status still says it */
	}
	_exit(code);
}

static void reset_signals(void)
{
	sigset_t all;
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/* argv/env come packed in the request: argc strings, then envc strings. */
static void unpack(const struct hreq *rq, char **argv, char **env)
{
	const char *p = rq->args;
	for (int i = 0; i < rq->argc; i++, p += strlen(p) + 1)
		argv[i] = (char *)p;
	argv[rq->argc] = NULL;
	for (int i = 0; i < rq->envc; i++, p += strlen(p) + 1)
		env[i] = (char *)p;
	env[rq->envc] = NULL;
}

/* execve with a PATH search done in the *container's* PATH (execvpe would use ours). Returns the
 * errno that describes the failure best: EACCES wins over ENOENT, as in a shell. */
/* The trace line of an execve is sent before the call, pending: a successful execve never returns
 * to report, so the runtime completes the line when the holder says the command started. */
static void traced_execve(const char *path, char **argv, char **env)
{
	if (GPH_TRACING) {
		char p[256], args[512], a[128];
		size_t o = 0;
		int envc = 0;
		args[0] = '\0';
		for (int i = 0; argv[i] && o + 8 < sizeof args; i++) {
			if (i == 8) {
				snprintf(args + o, sizeof args - o, ", ...");
				break;
			}
			o += (size_t)snprintf(args + o, sizeof args - o, "%s%s", i ? ", " : "", gph_quote(argv[i], 60, a, sizeof a));
		}
		while (env[envc])
			envc++;
		gph_trace_pending_call("execve(%s, [%s], [%d vars])", gph_quote(path, 200, p, sizeof p), args, envc);
	}
	execve(path, argv, env);
	if (GPH_TRACING)
		gph_trace_pending_result(-1, errno);
}

static int exec_path(char **argv, char **env)
{
	const char *file = argv[0];
	if (strchr(file, '/')) {
		traced_execve(file, argv, env);
		return errno;
	}
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (char **e = env; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	int best = ENOENT;
	char buf[4096];
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);
		if (len + strlen(file) + 2 < sizeof buf) {
			memcpy(buf, path, len);
			buf[len] = '\0';
			snprintf(buf + len, sizeof buf - len, "%s%s", len ? "/" : "", file);
			traced_execve(buf, argv, env);
			if (errno == EACCES || errno == ENOEXEC || errno == EISDIR)
				best = errno;
		}
		path = colon ? colon + 1 : path + len;
	}
	return best;
}

static void exec_or_report(char **argv, char **env, int errpipe)
{
	struct gph_err e;
	if (gph_fault_point("exec.execve", &e) < 0)
		fail(errpipe, 125, &e);
	int err = exec_path(argv, env);
	int code = err == ENOENT ? 127 : 126;
	gph_fail(&e, err,
		 err == ENOENT ? "check the path inside the container's root (busybox tools live in /bin)"
			       : "the file must be an executable the container's kernel can run (mode +x, ELF or #!)",
		 "cannot execute \"%s\"", argv[0]);
	fail(errpipe, code, &e);
}

/* `--init`: PID 1 that starts the command as its only child, forwards the usual termination
 * signals to it, reaps every orphan the kernel hands it, and exits with the command's status
 * (128+S when the command died of signal S, since PID 1 cannot die of most signals itself). */
static void noop(int sig)
{
	(void)sig;
}

static void run_init(char **argv, char **env, int errpipe)
{
	static const int fwd[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};
	sigset_t set, old;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof fwd / sizeof fwd[0]; i++) {
		sigaddset(&set, fwd[i]);
		/* A handler, because PID 1 of a namespace never receives a signal left at SIG_DFL. */
		signal(fwd[i], noop);
	}
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid_t child = fork();
	if (child < 0) {
		struct gph_err e;
		gph_fail(&e, errno, NULL, "init: fork()");
		fail(errpipe, 125, &e);
	}
	if (child == 0) {
		reset_signals();
		setpgid(0, 0);
		/* Keep the terminal's foreground group on the command, so ^C reaches it. */
		if (isatty(0))
			tcsetpgrp(0, getpid());
		exec_or_report(argv, env, errpipe);
	}
	close(errpipe);
	/* The init is runtime code living inside the container: it keeps no descriptor of ours (the
	 * sandbox socket among them) and cannot be ptraced or dumped by the container's root. */
	syscall(SYS_close_range, 3, ~0U, 0);
	prctl(PR_SET_DUMPABLE, 0);
	gph_set_title("gph-init");
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			if (p != child)
				continue;
			if (WIFEXITED(st))
				_exit(WEXITSTATUS(st));
			_exit(128 + WTERMSIG(st));
		}
	}
}

/* Masked and read-only /proc and /sys paths, on the procfs and sysfs this command sees (in its own
 * mount namespace, after /proc was remounted for its PID namespace). */
int gph_exec_apply_masks(const struct hreq *rq, struct gph_err *e)
{
	struct statfs sf;
	struct stat st;
	struct gph_paths_where w = {.host_mntns = rq->host_mntns};
	if (statfs("/proc", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC)
		w.proc = "/proc";
	if (statfs("/sys", &sf) == 0 && sf.f_type == SYSFS_MAGIC)
		w.sys = "/sys";
	if (stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
		w.dev_null = "/dev/null";
	if (!w.proc && !w.sys)
		return 0;
	return gph_paths_apply(&w, NULL, 0, e);
}

/* The exec child's mount namespace is a fresh copy of the sandbox's. Without `ns mnt` that is a copy
 * of the host's, whose mounts may be shared (systemd makes / shared): replacing /proc there would
 * detach the host's /proc too. So the copy stops propagating first; with `ns mnt` the sandbox made
 * / private already and this changes nothing. */
int gph_exec_private_mounts(bool own_mntns, struct gph_err *e)
{
	/* `ns mnt` made every mount of the sandbox's namespace private when it was applied, and a
	 * copy of a private mount is private: nothing to do (and after chroot "/" is no mount point). */
	if (own_mntns)
		return 0;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
		return 0;
	/* A chroot in the host's mount namespace: "/" is a directory, not a mount. Then this command
	 * mounts nothing (proc needs `ns mnt`), unless a procfs is reachable to refresh or mask. */
	struct statfs sf;
	if (errno == EINVAL && !(statfs("/proc", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC))
		return 0;
	return gph_fail(e, errno, "apply `ns mnt` so that the command's mounts stay in a namespace of the sandbox's own",
			"mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL) in the command's own mount namespace");
}

/* Detached (the OCI face): tell the holder we are ready (code 0), then open the gate FIFO for
 * writing through our own /proc, which blocks until `start` opens it for reading. The gate
 * descriptor is O_PATH: reopening it through /proc checks only the FIFO's mode, not the state
 * directory, which the container's root does not contain. */
static void wait_at_gate(int gate, int errpipe)
{
	struct gph_exec_failure f;
	memset(&f, 0, sizeof f);
	if (write(errpipe, &f, sizeof f) != (ssize_t)sizeof f)
		_exit(125);
	close(errpipe);
	gated = true;
	struct gph_err e;
	memset(&e, 0, sizeof e);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", gate);
	int fd;
	do
		fd = open(path, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		gph_fail(&e, errno, NULL, "waiting for `start`: open(\"%s\")", path);
		fail(-1, 125, &e);
	}
	if (write(fd, "0", 1) != 1) {
		gph_fail(&e, errno, NULL, "waiting for `start`: write(gate)");
		fail(-1, 125, &e);
	}
	close(fd);
	close(gate);
}

void gph_exec_child(int sock, const struct hreq *rq, const int *fds, int nfds, int errpipe)
{
	struct gph_err e;
	memset(&e, 0, sizeof e);
	if (!rq->detach)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	reset_signals();
	if ((rq->new_pidns || rq->masks) && gph_exec_private_mounts(rq->own_mntns, &e) < 0)
		fail(errpipe, 125, &e);
	if (rq->new_pidns && (gph_fault_point("exec.proc", &e) < 0 || gph_inside_refresh_proc(rq->userns, &e) < 0))
		fail(errpipe, 125, &e);
	if (rq->masks && (gph_fault_point("exec.masks", &e) < 0 || gph_exec_apply_masks(rq, &e) < 0))
		fail(errpipe, 125, &e);
	/* Undo the holder's OOM immunity: the command must be killable. In a user namespace the holder's
	 * id change made it non-dumpable, which hands its /proc files to host root; execve is about to make
	 * this process dumpable anyway, and nothing else lives in its new PID namespace yet. */
	if (rq->userns && gph_prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) {
		gph_fail(&e, errno, NULL, "prctl(PR_SET_DUMPABLE, 1)");
		fail(errpipe, 125, &e);
	}
	int fd = openat(gph_holder_procfd, "self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	char adj[16];
	int adjlen = snprintf(adj, sizeof adj, "%d", rq->oom_score_adj);
	if (fd < 0 || write(fd, adj, (size_t)adjlen) != adjlen) {
		gph_fail(&e, errno, NULL, "write(/proc/self/oom_score_adj, \"%s\")", adj);
		fail(errpipe, 125, &e);
	}
	close(fd);
	close(gph_holder_procfd); /* a handle on the host's /proc must never reach the container */
	if (gph_setsid() < 0) {
		gph_fail(&e, errno, NULL, "setsid()");
		fail(errpipe, 125, &e);
	}
	if (rq->tty) {
		int slave = -1;
		/* Prefer a pseudo-terminal of the container's own devpts (`mount dev`), so `tty` names a
		 * device that exists inside; otherwise use the host pty the runtime passed along. */
		int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
		struct hrep msg;
		memset(&msg, 0, sizeof msg);
		msg.kind = HREP_PTY;
		if (master >= 0) {
			char name[64];
			if (unlockpt(master) == 0 && ptsname_r(master, name, sizeof name) == 0)
				slave = open(name, O_RDWR | O_NOCTTY);
			if (slave < 0) {
				close(master);
				master = -1;
			}
		}
		if (slave >= 0) {
			msg.pty_inside = true;
			if (gph_msg_send(sock, &msg, sizeof msg, &master, 1) < 0) {
				gph_fail(&e, errno, NULL, "sending the pty master to the runtime");
				fail(errpipe, 125, &e);
			}
			close(master);
		} else {
			if (nfds < 4) {
				gph_fail(&e, EINVAL, NULL, "no terminal for -t");
				fail(errpipe, 125, &e);
			}
			if (rq->gate_idx == 3) {
				gph_fail(&e, EINVAL, NULL, "no /dev/ptmx inside the container for its terminal");
				fail(errpipe, 125, &e);
			}
			slave = fds[3];
			if (gph_msg_send(sock, &msg, sizeof msg, NULL, 0) < 0) {
				gph_fail(&e, errno, NULL, "telling the runtime which pty is used");
				fail(errpipe, 125, &e);
			}
		}
		if (ioctl(slave, TIOCSCTTY, 0) < 0) {
			gph_fail(&e, errno, NULL, "ioctl(TIOCSCTTY)");
			fail(errpipe, 125, &e);
		}
		for (int i = 0; i < 3; i++)
			if (dup2(slave, i) < 0) {
				gph_fail(&e, errno, NULL, "dup2(pty, %d)", i);
				fail(errpipe, 125, &e);
			}
		if (slave > 2)
			close(slave);
	} else {
		if (nfds < 3) {
			gph_fail(&e, EINVAL, NULL, "exec request without stdio");
			fail(errpipe, 125, &e);
		}
		/* dup fds that sit on 0..2 out of the way first, so dup2 cannot clobber a later source. */
		int src[3];
		for (int i = 0; i < 3; i++) {
			src[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
			if (src[i] < 0) {
				gph_fail(&e, errno, NULL, "fcntl(F_DUPFD_CLOEXEC)");
				fail(errpipe, 125, &e);
			}
		}
		for (int i = 0; i < 3; i++)
			if (dup2(src[i], i) < 0) {
				gph_fail(&e, errno, NULL, "dup2(%d, %d)", src[i], i);
				fail(errpipe, 125, &e);
			}
	}
	/* Only 0, 1 and 2 reach the command, whatever the caller had open (and errpipe, until execve). */
	if (gph_sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		gph_fail(&e, errno, "needs Linux 5.11 or later", "close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)");
		fail(errpipe, 125, &e);
	}
	const char *dir = rq->workdir[0] ? rq->workdir : "/";
	if (gph_fault_point("exec.workdir", &e) < 0)
		fail(errpipe, 125, &e);
	if (gph_chdir(dir) < 0) {
		gph_fail(&e, errno, rq->workdir[0] ? "the working directory must exist inside the container's root" : NULL,
			 "chdir(\"%s\")", dir);
		fail(errpipe, 125, &e);
	}
	/* Last, the privileges (exec_priv.c says in which order, and why). */
	if ((rq->harden || rq->has_user) && gph_exec_apply_priv(rq, &e) < 0)
		fail(errpipe, 125, &e);
	if (rq->gate_idx > 0 && rq->gate_idx < nfds)
		wait_at_gate(fds[rq->gate_idx], errpipe);
	char *argv[rq->argc + 1], *env[rq->envc + 1];
	unpack(rq, argv, env);
	if (rq->init)
		run_init(argv, env, errpipe);
	exec_or_report(argv, env, errpipe);
	_exit(127);
}
