/* The runtime's half of `exec`: hand the command to the holder, then until it ends relay the
 * terminal, forward signals (escalating to SIGKILL after the stop timeout) and collect its status. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "gph/trace.h"
#include "internal.h"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_host_pty(int *master, int *slave, struct gph_err *e)
{
	char name[64];
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0)
		return gph_fail(e, errno, NULL, "posix_openpt()");
	if (grantpt(*master) < 0 || unlockpt(*master) < 0 || ptsname_r(*master, name, sizeof name) != 0) {
		gph_fail(e, errno, NULL, "preparing a pseudo-terminal");
		close(*master);
		return -1;
	}
	*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0) {
		gph_fail(e, errno, NULL, "open(\"%s\")", name);
		close(*master);
		return -1;
	}
	return 0;
}

static void copy_winsize(int master)
{
	struct winsize ws;
	if (master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Write all of buf; the other side is a terminal or pipe that may take it in pieces. */
static void write_all(int fd, const char *buf, ssize_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, (size_t)n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = {.fd = fd, .events = POLLOUT};
				poll(&p, 1, 1000);
				continue;
			}
			return;
		}
		buf += w;
		n -= w;
	}
}

struct wait_state {
	int master;         /* the pty master we relay, -1 without tty */
	bool stdin_open;
	bool raw;
	struct termios saved;
	pid_t pid;
	int pending_sig;    /* a signal that arrived before the command's PID was known */
	long long deadline; /* when to escalate to SIGKILL, 0: not armed */
	bool started, exited;
};

static void forward(struct gph_sandbox *sb, const struct gph_exec_opts *x, struct wait_state *w, int sig)
{
	(void)sb;
	if (!w->pid) {
		w->pending_sig = sig;
		return;
	}
	kill(w->pid, sig);
	if (!w->deadline && sig != SIGWINCH)
		w->deadline = now_ms() + 1000LL * (x->stop_timeout > 0 ? x->stop_timeout : 10);
}

static void take_pty(struct wait_state *w, int master)
{
	w->master = master;
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	copy_winsize(master);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &w->saved) == 0) {
		struct termios raw = w->saved;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0)
			w->raw = true;
	}
}

static void drain(int master)
{
	char buf[4096];
	ssize_t n;
	while ((n = read(master, buf, sizeof buf)) > 0)
		write_all(STDOUT_FILENO, buf, n);
}

int gph_exec_wait(struct gph_sandbox *sb, const struct gph_exec_opts *x, struct hreq *rq,
		  struct gph_exec_result *r, struct gph_err *e)
{
	struct wait_state w = {.master = -1, .stdin_open = x->tty};
	int fds[4] = {x->stdio[0], x->stdio[1], x->stdio[2], -1}, nfds = 3;
	int host_master = -1, host_slave = -1, rc = -1;
	struct gph_err ign;
	long long oom_before = 0;
	if (gph_cg_oom_kills(&sb->cg, &oom_before, &ign) < 0)
		oom_before = -1;
	if (x->tty) {
		if (open_host_pty(&host_master, &host_slave, e) < 0)
			return -1;
		fds[3] = host_slave;
		nfds = 4;
	}
	sigset_t set, old;
	sigemptyset(&set);
	if (x->forward_signals) {
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGHUP);
		sigaddset(&set, SIGQUIT);
	}
	if (x->tty)
		sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, &old);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		gph_fail(e, errno, NULL, "signalfd()");
		goto out;
	}
	if (gph_msg_send(sb->sock, rq, sizeof *rq, fds, nfds) < 0) {
		gph_fail(e, errno, "the sandbox process is gone; `reset` starts a new one", "sending exec to the sandbox");
		goto out;
	}
	if (host_slave >= 0) {
		close(host_slave);
		host_slave = -1;
	}
	while (!w.exited) {
		struct pollfd p[4];
		int np = 0, i_sock = np++, i_sig = np++, i_master = -1, i_in = -1;
		p[i_sock] = (struct pollfd){.fd = sb->sock, .events = POLLIN};
		p[i_sig] = (struct pollfd){.fd = sfd, .events = POLLIN};
		if (w.master >= 0) {
			i_master = np++;
			p[i_master] = (struct pollfd){.fd = w.master, .events = POLLIN};
			if (w.stdin_open) {
				i_in = np++;
				p[i_in] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
			}
		}
		int timeout = -1;
		if (w.deadline) {
			long long left = w.deadline - now_ms();
			timeout = left > 0 ? (int)left : 0;
		}
		int n = poll(p, (nfds_t)np, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			gph_fail(e, errno, NULL, "poll()");
			goto out;
		}
		if (n == 0 && w.deadline && w.pid) {
			fprintf(stderr, "gophernetes: the container did not stop within %d s of the signal: sending SIGKILL\n",
				x->stop_timeout > 0 ? x->stop_timeout : 10);
			kill(w.pid, SIGKILL);
			r->escalated = true;
			w.deadline = 0;
			continue;
		}
		if (p[i_sig].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
				if ((int)si.ssi_signo == SIGWINCH)
					copy_winsize(w.master);
				else
					forward(sb, x, &w, (int)si.ssi_signo);
			}
		}
		if (i_master >= 0 && (p[i_master].revents & (POLLIN | POLLHUP | POLLERR))) {
			char buf[4096];
			ssize_t k = read(w.master, buf, sizeof buf);
			if (k > 0)
				write_all(STDOUT_FILENO, buf, k);
		}
		if (i_in >= 0 && (p[i_in].revents & (POLLIN | POLLHUP | POLLERR))) {
			char buf[4096];
			ssize_t k = read(STDIN_FILENO, buf, sizeof buf);
			if (k > 0)
				write_all(w.master, buf, k);
			else if (k == 0 || errno != EINTR)
				w.stdin_open = false;
		}
		if (p[i_sock].revents & (POLLIN | POLLHUP | POLLERR)) {
			struct hrep rp;
			int mfd = -1, mn = 1;
			ssize_t k = gph_msg_recv(sb->sock, &rp, sizeof rp, &mfd, &mn);
			if (k <= 0) {
				gph_fail(e, k < 0 ? errno : EPIPE, "`reset` starts a new sandbox",
					 "the sandbox process died while the command ran");
				goto out;
			}
			switch (rp.kind) {
			case HREP_TRACE:
				gph_trace_take(&rp);
				break;
			case HREP_STARTED:
				gph_trace_exec_done(rp.rc == 0 && !rp.exec_errno);
				if (rp.rc < 0) {
					*e = rp.err;
					goto out;
				}
				w.pid = rp.pid;
				sb->main_pid = rp.pid;
				gph_state_write(sb, rp.pid, &ign);
				if (rp.exec_errno) {
					r->exec_failed = true;
					r->exit_code = rp.exec_errno;
					*e = rp.err;
				}
				if (w.pending_sig)
					forward(sb, x, &w, w.pending_sig);
				break;
			case HREP_PTY:
				take_pty(&w, rp.pty_inside && mn == 1 ? mfd : host_master);
				if (!(rp.pty_inside && mn == 1) && mn == 1)
					close(mfd);
				break;
			case HREP_EXITED:
				r->wstatus = rp.wstatus;
				w.exited = true;
				break;
			default:
				if (mn == 1)
					close(mfd);
			}
		}
	}
	if (w.master >= 0)
		drain(w.master);
	if (WIFEXITED(r->wstatus))
		r->exit_code = r->exec_failed ? r->exit_code : WEXITSTATUS(r->wstatus);
	else if (WIFSIGNALED(r->wstatus))
		r->exit_code = 128 + WTERMSIG(r->wstatus);
	long long oom_after = 0;
	if (oom_before >= 0 && gph_cg_oom_kills(&sb->cg, &oom_after, &ign) == 0)
		r->oom_kills = oom_after - oom_before;
	rc = r->exec_failed ? -1 : 0;
out:
	if (w.raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &w.saved);
	if (w.master >= 0 && w.master != host_master)
		close(w.master);
	if (host_master >= 0)
		close(host_master);
	if (host_slave >= 0)
		close(host_slave);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	sb->main_pid = 0;
	if (w.started || w.pid)
		gph_state_write(sb, 0, &ign);
	return rc;
}
