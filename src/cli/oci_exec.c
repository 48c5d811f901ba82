/* OCI exec: one more process in a running container. A sandbox whose holder enters the container's
 * namespaces and cgroup (gph_sandbox_opts.join_pid) instead of making new ones; process.json's
 * capabilities, noNewPrivileges and user become the same privilege steps create uses, and the
 * container's seccomp filter applies again. With --detach (conmon, the containerd shim) the process
 * is left to the caller's subreaper as create's is; without, this command waits and exits with its
 * status. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "oci.h"

static int exec_in(const struct oci_state *st, struct oci_config *c, const char *cwd, bool detach, const char *pid_file,
		   const char *console, int *code, struct gph_err *e)
{
	*code = 1;
	struct gph_cgroup cg;
	if (gph_cg_open(&cg, st->engine_id, st->cgroup_parent[0] ? st->cgroup_parent : NULL, e) < 0) {
		gph_err_wrap(e, "the container's cgroup: ");
		return -1;
	}
	if (c->terminal && detach && !console)
		return gph_fail(e, 0, "give --console-socket", "exec: process.terminal is true but there is no --console-socket");
	if (oci_apply_rlimits(c, e) < 0)
		return -1;
	if (c->has_umask)
		umask(c->umask);
	struct gph_sandbox_opts so = {.name = "exec", .command = c->args[0], .join_pid = st->pid, .join_cg = &cg};
	struct gph_sandbox sb;
	if (gph_sandbox_start(&sb, &so, e) < 0)
		return -1;
	for (int i = 0; i < c->n_steps; i++)
		if (gph_sandbox_apply(&sb, &c->steps[i], e) < 0)
			goto fail;
	struct gph_step extra;
	char *sw[] = {"seccomp", "default", NULL}, *ww[] = {"workdir", (char *)cwd, NULL};
	if (st->seccomp[0] && (gph_step_parse(2, sw, &extra, e) < 0 || gph_sandbox_apply(&sb, &extra, e) < 0))
		goto fail;
	if (strcmp(cwd, "/") != 0 && (gph_step_parse(2, ww, &extra, e) < 0 || gph_sandbox_apply(&sb, &extra, e) < 0))
		goto fail;
	struct gph_exec_opts x = {.argv = c->args, .env = c->env, .tty = c->terminal, .stdio = {0, 1, 2},
				  .oom_score_adj = c->oom_score_adj, .groups = c->groups, .ngroups = c->ngroups,
				  .forward_signals = true};
	if (!detach) {
		struct gph_exec_result r;
		if (gph_sandbox_exec(&sb, &x, &r, e) < 0) {
			if (r.exec_failed)
				*code = r.exit_code;
			goto fail;
		}
		*code = r.exit_code;
		gph_sandbox_destroy(&sb);
		return 0;
	}
	pid_t pid;
	int master = -1;
	if (gph_sandbox_exec_detached(&sb, &x, -1, &pid, &master, e) < 0)
		goto fail;
	if (master >= 0) {
		if (c->console_h && c->console_w) {
			struct winsize ws = {.ws_row = (unsigned short)c->console_h, .ws_col = (unsigned short)c->console_w};
			ioctl(master, TIOCSWINSZ, &ws);
		}
		int rc = oci_send_console(console, master, e);
		close(master);
		if (rc < 0) {
			kill(pid, SIGKILL);
			goto fail;
		}
	}
	if (pid_file && oci_write_pid_file(pid_file, pid, e) < 0) {
		kill(pid, SIGKILL);
		goto fail;
	}
	gph_sandbox_destroy(&sb); /* the holder has exited; the process stays, the cgroup is the container's */
	*code = 0;
	return 0;
fail:
	gph_sandbox_destroy(&sb);
	return -1;
}

int oci_cmd_exec(int argc, char **argv)
{
	static const struct option lo[] = {
		{"process", required_argument, 0, 'p'}, {"detach", no_argument, 0, 'd'}, {"tty", no_argument, 0, 't'},
		{"pid-file", required_argument, 0, 'P'}, {"console-socket", required_argument, 0, 'c'},
		{"preserve-fds", required_argument, 0, 'F'}, {0, 0, 0, 0},
	};
	const char *process = NULL, *pid_file = NULL, *console = NULL;
	bool detach = false, tty = false;
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "+p:dt", lo, NULL)) != -1) {
		switch (ch) {
		case 'p': process = optarg; break;
		case 'd': detach = true; break;
		case 't': tty = true; break;
		case 'P': pid_file = optarg; break;
		case 'c': console = optarg; break;
		case 'F':
			if (strcmp(optarg, "0") != 0) {
				oci_errorf("exec --preserve-fds %s: passing extra descriptors is not supported by gophernetes", optarg);
				return 1;
			}
			break;
		default:
			oci_errorf("exec: unknown or incomplete option %s (usage: gophernetes exec --process FILE.json "
				   "[--detach] [--tty] [--pid-file F] [--console-socket SOCK] ID)", argv[optind - 1]);
			return 1;
		}
	}
	if (optind != argc - 1 || !process) {
		oci_errorf("usage: gophernetes exec --process FILE.json [--detach] [--tty] [--pid-file F] [--console-socket SOCK] ID");
		return 1;
	}
	struct gph_err e;
	gph_err_clear(&e);
	struct oci_state st;
	if (oci_state_read(argv[optind], &st, &e) < 0) {
		oci_error(&e);
		return 1;
	}
	enum oci_status s = oci_status_of(&st);
	if (s != OCI_RUNNING) {
		oci_errorf("exec: container \"%s\" is %s, not running", st.id, oci_status_name(s));
		return 1;
	}
	struct oci_config c;
	char cwd[4096];
	if (oci_process_load(process, &c, cwd, sizeof cwd, &e) < 0) {
		oci_error(&e);
		return 1;
	}
	if (tty)
		c.terminal = true;
	int code;
	if (exec_in(&st, &c, cwd, detach, pid_file, console, &code, &e) < 0)
		oci_error(&e);
	oci_config_free(&c);
	return code;
}
