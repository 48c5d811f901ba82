/* The sandbox process ("holder"): it waits for requests from the runtime, applies steps to itself,
 * and forks each exec'd command. It never runs anything the runtime did not ask for. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "gph/fault.h"
#include "gph/net.h"
#include "gph/sys.h"
#include "gph/trace.h"
#include "internal.h"

/* Both are large; the holder handles one request at a time. */
static struct hreq req;
static struct hrep rep;

static void reply(int sock, const int *fds, int nfds)
{
	if (gph_msg_send(sock, &rep, sizeof rep, fds, nfds) < 0)
		_exit(1); /* the runtime is gone: nothing left to serve */
}

static void do_exec(int sock, const int *fds, int nfds)
{
	int ep[2];
	memset(&rep, 0, sizeof rep);
	rep.kind = HREP_STARTED;
	if (pipe2(ep, O_CLOEXEC) < 0) {
		rep.rc = gph_fail(&rep.err, errno, NULL, "pipe2()");
		reply(sock, NULL, 0);
		return;
	}
	/* A mount namespace per exec when /proc needs remounting or paths get masked: both stay with
	 * this command and never touch the sandbox's own mounts. */
	unsigned long long flags = req.new_pidns ? (CLONE_NEWPID | CLONE_NEWNS) : req.masks ? CLONE_NEWNS : 0;
	if (gph_fault_point("exec.clone", &rep.err) < 0) {
		rep.rc = -1;
		close(ep[0]);
		close(ep[1]);
		reply(sock, NULL, 0);
		return;
	}
	pid_t pid = gph_clone_fork(flags);
	if (pid < 0) {
		rep.rc = gph_fail(&rep.err, errno,
				  errno == ENOSYS ? "clone3 needs Linux 5.3 or later" : NULL,
				  "clone3(%s)", req.new_pidns ? "CLONE_NEWPID|CLONE_NEWNS" : req.masks ? "CLONE_NEWNS" : "0");
		close(ep[0]);
		close(ep[1]);
		reply(sock, NULL, 0);
		return;
	}
	if (pid == 0) {
		close(ep[0]);
		gph_trace_who("exec");
		gph_exec_child(sock, &req, fds, nfds, ep[1]);
	}
	close(ep[1]);
	/* The pipe closes on a successful execve (O_CLOEXEC); otherwise it carries why it failed. */
	struct gph_exec_failure f;
	ssize_t n;
	do
		n = read(ep[0], &f, sizeof f);
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	rep.pid = pid;
	/* Detached, the child reports code 0 when it waits at its gate (exec_child.c). */
	if (n == (ssize_t)sizeof f && !(req.detach && f.code == 0)) {
		rep.exec_errno = f.code;
		rep.err = f.err;
	}
	reply(sock, NULL, 0);
	if (req.detach) {
		/* The command outlives us: its new parent is the caller's subreaper, which reaps it. */
		if (n == (ssize_t)sizeof f && f.code != 0)
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		_exit(0);
	}
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0) {
		if (errno != EINTR) {
			ws = 0x7f00; /* cannot happen: our own child */
			break;
		}
	}
	memset(&rep, 0, sizeof rep);
	rep.kind = HREP_EXITED;
	rep.pid = pid;
	rep.wstatus = ws;
	reply(sock, NULL, 0);
}

static void do_info(void)
{
	struct utsname u;
	size_t off = 0;
	if (uname(&u) < 0) {
		rep.rc = gph_fail(&rep.err, errno, NULL, "uname()");
		return;
	}
	off = (size_t)snprintf(rep.info, sizeof rep.info, "%s\n", u.nodename);
	if (gph_net_describe(rep.info + off, sizeof rep.info - off, &rep.err) < 0)
		rep.rc = -1;
}

/* `show caps`: a child applies the privileges exactly as an exec'd command would, then reads back
 * what the kernel says it has (gph_caps_describe) instead of what was asked for. */
static void do_priv_probe(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		rep.rc = gph_fail(&rep.err, errno, NULL, "pipe2()");
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		rep.rc = gph_fail(&rep.err, errno, NULL, "fork()");
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		close(p[0]);
		struct gph_err e;
		memset(&e, 0, sizeof e);
		static char buf[sizeof rep.info];
		int rc = 0;
		gph_caps_set_proc_dir(gph_holder_procfd);
		if (req.harden || req.has_user)
			rc = gph_exec_apply_priv(&req, &e);
		if (rc == 0)
			rc = gph_caps_describe(0, buf, sizeof buf, &e);
		if (rc < 0)
			snprintf(buf, sizeof buf, "error: %s%s%s", e.msg, e.errnum ? ": " : "", e.errnum ? strerror(e.errnum) : "");
		size_t len = strlen(buf);
		if (write(p[1], buf, len) < 0) { /* the holder sees an empty answer */
		}
		_exit(rc < 0 ? 1 : 0);
	}
	close(p[1]);
	size_t off = 0;
	ssize_t n;
	while (off < sizeof rep.info - 1 && ((n = read(p[0], rep.info + off, sizeof rep.info - 1 - off)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			off += (size_t)n;
	rep.info[off] = '\0';
	close(p[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (strncmp(rep.info, "error: ", 7) == 0) {
		rep.rc = gph_fail(&rep.err, 0, NULL, "applying the privileges in a test process: %s", rep.info + 7);
		rep.info[0] = '\0';
	}
}

int gph_holder_procfd = -1;

void gph_holder_main(int sock, struct gph_cgroup *cg)
{
	/* Into the container's cgroup before anything else, so everything it forks is born there (B20);
	 * the runtime waits for this first reply. */
	/* Trace lines made here, and in the exec children, go to the runtime over the socket. */
	gph_trace_route(sock, "sandbox");
	memset(&rep, 0, sizeof rep);
	rep.kind = HREP_DONE;
	rep.rc = cg ? (gph_fault_point("cgroup.attach", &rep.err) < 0 ? -1 : gph_cg_attach_self(cg, &rep.err)) : 0;
	reply(sock, NULL, 0);
	if (rep.rc < 0)
		_exit(1);
	gph_set_title("gophernetes-sbx");
	gph_caps_warm(); /* libcap's one-time set-up here, not in every exec child */
	/* A session of its own: ^C at the shell's prompt goes to the terminal's foreground group,
	 * which must not include the sandbox. */
	if (setsid() < 0)
		_exit(1);
	/* The holder must never be the OOM killer's choice: the container's processes must be. Each exec
	 * child sets its own score back to 0 through this /proc handle, opened now, while the host's
	 * /proc is still reachable (after pivot_root there may be no /proc at all). */
	gph_holder_procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "-1000", 5) < 0) { /* not fatal: only makes the holder a possible OOM victim */
		}
		close(fd);
	}
	for (;;) {
		int fds[4], nfds = 4;
		ssize_t n = gph_msg_recv(sock, &req, sizeof req, fds, &nfds);
		if (n == 0)
			_exit(0); /* the runtime closed its end: we are done */
		if (n < 0)
			_exit(1);
		memset(&rep, 0, sizeof rep);
		rep.kind = HREP_DONE;
		switch (req.op) {
		case HREQ_STEP:
			rep.rc = 0;
			if (req.nbinds > 0)
				rep.rc = gph_fault_point("binds", &rep.err) < 0 ? -1 : gph_inside_binds(req.step.path, req.nbinds, req.bind_src, req.bind_dst, rep.info,
							  sizeof rep.info, &rep.err);
			if (rep.rc == 0 && req.n_xbinds > 0)
				rep.rc = gph_fault_point("binds", &rep.err) < 0 ? -1 : gph_inside_xbinds(req.step.path, req.n_xbinds, req.xbinds, &rep.err);
			if (rep.rc == 0 && !rep.info[0])
				rep.rc = gph_inside_step(&req.step, rep.info, sizeof rep.info, &rep.err);
			else if (rep.rc == 0) {
				char note[256];
				rep.rc = gph_inside_step(&req.step, note, sizeof note, &rep.err);
				if (note[0])
					snprintf(rep.info + strlen(rep.info), sizeof rep.info - strlen(rep.info), "; %s", note);
			}
			reply(sock, NULL, 0);
			break;
		case HREQ_NET_INSIDE:
			rep.rc = gph_fault_point("net.inside", &rep.err) < 0 ? -1
											 : gph_net_veth_configure_inside(&req.veth, &rep.err);
			reply(sock, NULL, 0);
			break;
		case HREQ_INFO:
			do_info();
			reply(sock, NULL, 0);
			break;
		case HREQ_BECOME_ROOT:
			rep.rc = gph_inside_become_root(&rep.err);
			reply(sock, NULL, 0);
			break;
		case HREQ_TRACE:
			gph_trace_on = req.step.on;
			rep.rc = 0;
			reply(sock, NULL, 0);
			break;
		case HREQ_PRIV_PROBE:
			do_priv_probe();
			reply(sock, NULL, 0);
			break;
		case HREQ_SCORE_PROBE:
			gph_holder_score_probe(&req, &rep);
			reply(sock, NULL, 0);
			break;
		case HREQ_EXEC:
			do_exec(sock, fds, nfds);
			break;
		case HREQ_JOIN:
			rep.rc = gph_inside_join(req.join_pid, &rep.ns, &rep.err);
			reply(sock, NULL, 0);
			break;
		default:
			rep.rc = gph_fail(&rep.err, EINVAL, NULL, "unknown request %d", (int)req.op);
			reply(sock, NULL, 0);
		}
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
	}
}
