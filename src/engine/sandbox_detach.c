/* The runtime's side of the OCI face (src/cli/oci_*.c): bind mounts made with the root change, a
 * command started detached behind a gate, and letting go of a sandbox without tearing it down. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "gph/trace.h"
#include "internal.h"

int gph_sandbox_bind(struct gph_sandbox *sb, const char *src, const char *dst, bool ro, bool rec, unsigned long flags,
		     struct gph_err *e)
{
	if (sb->n_binds >= GPH_MAX_BINDS)
		return gph_fail(e, E2BIG, NULL, "at most %d bind mounts", GPH_MAX_BINDS);
	if (src[0] != '/' || strlen(src) >= PATH_MAX)
		return gph_fail(e, EINVAL, "give an absolute path on the host", "bind mount source \"%s\"", src);
	if (dst[0] != '/' || strlen(dst) >= sizeof sb->binds[0].dst || strstr(dst, "/../") ||
	    (strlen(dst) >= 3 && strcmp(dst + strlen(dst) - 3, "/..") == 0))
		return gph_fail(e, EINVAL, "an absolute path inside the container without `..`, under 256 bytes",
				"bind mount destination \"%s\"", dst);
	if (sb->rooted)
		return gph_fail(e, 0, "bind mounts are made with the root change", "the root has already changed");
	struct gph_bind *nb = realloc(sb->binds, (size_t)(sb->n_binds + 1) * sizeof *nb);
	if (!nb)
		return gph_fail(e, ENOMEM, NULL, "bind mount list");
	sb->binds = nb;
	struct gph_bind *b = &nb[sb->n_binds++];
	memset(b, 0, sizeof *b);
	snprintf(b->src, sizeof b->src, "%s", src);
	snprintf(b->dst, sizeof b->dst, "%s", dst);
	b->ro = ro;
	b->rec = rec;
	b->flags = flags;
	return 0;
}

int gph_sandbox_exec_detached(struct gph_sandbox *sb, const struct gph_exec_opts *x, int gate_fd, pid_t *pid,
			      int *master, struct gph_err *e)
{
	struct hreq *rq;
	*pid = 0;
	*master = -1;
	if (gph_sandbox_exec_request(sb, x, &rq, e) < 0)
		return -1;
	rq->detach = true;
	rq->gate_idx = gate_fd >= 0 ? 3 : 0;
	int fds[4] = {x->stdio[0], x->stdio[1], x->stdio[2], gate_fd};
	if (gph_msg_send(sb->sock, rq, sizeof *rq, fds, gate_fd >= 0 ? 4 : 3) < 0)
		return gph_fail(e, errno, NULL, "sending exec to the sandbox process");
	for (;;) {
		struct hrep rp;
		int mfd = -1, mn = 1;
		ssize_t n = gph_msg_recv(sb->sock, &rp, sizeof rp, &mfd, &mn);
		if (n <= 0) {
			if (*master >= 0)
				close(*master);
			*master = -1;
			return gph_fail(e, n < 0 ? errno : EPIPE, NULL, "waiting for the container's process to start");
		}
		if (gph_trace_take(&rp))
			continue;
		if (rp.kind == HREP_PTY) {
			if (mn == 1 && rp.pty_inside)
				*master = mfd;
			else if (mn == 1)
				close(mfd);
			continue;
		}
		if (mn == 1)
			close(mfd);
		if (rp.kind != HREP_STARTED)
			continue;
		gph_trace_exec_done(rp.rc == 0 && !rp.exec_errno);
		if (rp.rc < 0 || rp.exec_errno) {
			*e = rp.err;
			if (*master >= 0)
				close(*master);
			*master = -1;
			return -1;
		}
		*pid = rp.pid;
		sb->main_pid = rp.pid;
		break;
	}
	if (x->tty && *master < 0)
		return gph_fail(e, ENOTTY, "the container needs /dev/ptmx (`mount dev`)", "no pseudo-terminal for the process");
	return 0;
}

int gph_sandbox_release(struct gph_sandbox *sb, pid_t pid, struct gph_err *e)
{
	/* The holder exits once the command is at its gate; reap it (it is our child). */
	if (sb->sock >= 0) {
		close(sb->sock);
		sb->sock = -1;
	}
	if (sb->holder > 0) {
		while (waitpid(sb->holder, NULL, 0) < 0 && errno == EINTR)
			;
		sb->holder = -1;
	}
	sb->owner = pid;
	int rc = gph_state_write(sb, pid, e);
	free(sb->steps);
	sb->steps = NULL;
	sb->n_steps = 0;
	free(sb->binds);
	sb->binds = NULL;
	sb->n_binds = 0;
	return rc;
}
