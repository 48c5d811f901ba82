/* OCI create, start and run. create builds the sandbox from config.json's steps with the same engine
 * calls `gophernetes run` makes, starts the process detached behind a gate FIFO (ROOT/ID/gate), hands
 * the engine's ledger entry to that process and exits: the process is re-parented to the caller's
 * subreaper (conmon, the containerd shim), which reaps it. start opens the gate. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "oci.h"

unsigned long long gph_proc_starttime(pid_t pid); /* engine/state.c */

int oci_write_pid_file(const char *path, pid_t pid, struct gph_err *e)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return gph_fail(e, errno, NULL, "--pid-file: open(\"%s\")", tmp);
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%d", (int)pid);
	if (write(fd, buf, (size_t)n) != n) {
		int err = errno;
		close(fd);
		unlink(tmp);
		return gph_fail(e, err, NULL, "--pid-file: write(\"%s\")", tmp);
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		int err = errno;
		unlink(tmp);
		return gph_fail(e, err, NULL, "--pid-file: rename(\"%s\", \"%s\")", tmp, path);
	}
	return 0;
}

/* Why raising a hard limit was refused: no CAP_SYS_RESOURCE, or RLIMIT_NOFILE above fs.nr_open. */
static void limit_reason(int res, rlim_t want, char *buf, size_t len)
{
	char line[256];
	unsigned long long eff = 0, nr_open = 0;
	FILE *f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	if (f)
		fclose(f);
	f = fopen("/proc/sys/fs/nr_open", "re");
	if (f) {
		if (fscanf(f, "%llu", &nr_open) != 1)
			nr_open = 0;
		fclose(f);
	}
	if (!(eff & (1ULL << 24)))
		snprintf(buf, len, "this runtime lacks CAP_SYS_RESOURCE, which raising a hard limit needs");
	else if (res == RLIMIT_NOFILE && nr_open && want > nr_open)
		snprintf(buf, len, "the kernel never allows more than fs.nr_open = %llu open files", nr_open);
	else
		snprintf(buf, len, "the kernel refused (setrlimit(2): EPERM)");
}

/* Limits are inherited by the holder and so by the process: set them here, before it is forked. */
int oci_apply_rlimits(const struct oci_config *c, struct gph_err *e)
{
	for (int i = 0; i < c->n_rlimits; i++) {
		struct rlimit cur;
		if (getrlimit(c->rlimits[i].resource, &cur) < 0)
			return gph_fail(e, errno, NULL, "getrlimit(%s)", c->rlimits[i].name);
		if (setrlimit(c->rlimits[i].resource, &c->rlimits[i].lim) < 0) {
			int err = errno;
			char want[64], now[64];
			snprintf(want, sizeof want, "%llu", (unsigned long long)c->rlimits[i].lim.rlim_max);
			snprintf(now, sizeof now, "%llu", (unsigned long long)cur.rlim_max);
			if (err == EPERM && c->rlimits[i].lim.rlim_max > cur.rlim_max) {
				char why[128];
				limit_reason(c->rlimits[i].resource, c->rlimits[i].lim.rlim_max, why, sizeof why);
				return gph_fail(e, err, "ask for at most the current hard limit (podman: --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)",
						"process.rlimits %s: the hard limit %s is above the current %s and cannot be raised: %s",
						c->rlimits[i].name, want, now, why);
			}
			if (err == EINVAL)
				return gph_fail(e, err, "the soft limit must not exceed the hard one",
						"process.rlimits %s: soft %llu, hard %s", c->rlimits[i].name,
						(unsigned long long)c->rlimits[i].lim.rlim_cur, want);
			return gph_fail(e, err, NULL, "setrlimit(%s)", c->rlimits[i].name);
		}
	}
	return 0;
}

struct create_opts {
	const char *bundle, *pid_file, *console, *id;
	bool detach;
};

static int parse(int argc, char **argv, struct create_opts *o, bool run)
{
	static const struct option lo[] = {
		{"bundle", required_argument, 0, 'b'}, {"pid-file", required_argument, 0, 'p'},
		{"console-socket", required_argument, 0, 'c'}, {"detach", no_argument, 0, 'd'},
		{"no-pivot", no_argument, 0, 'N'}, {"no-new-keyring", no_argument, 0, 'K'},
		{"preserve-fds", required_argument, 0, 'P'}, {"keep", no_argument, 0, 'k'},
		{"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
	};
	memset(o, 0, sizeof *o);
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "+b:dh", lo, NULL)) != -1) {
		switch (ch) {
		case 'b': o->bundle = optarg; break;
		case 'p': o->pid_file = optarg; break;
		case 'c': o->console = optarg; break;
		case 'd': o->detach = true; break;
		case 'N': oci_warn("--no-pivot: gophernetes always uses pivot_root"); break;
		case 'K': break; /* no session keyring is ever made */
		case 'k': break;
		case 'P':
			if (strcmp(optarg, "0") != 0) {
				oci_errorf("--preserve-fds %s: passing extra descriptors is not supported by gophernetes", optarg);
				return -1;
			}
			break;
		case 'h':
			printf("usage: gophernetes %s --bundle DIR [--pid-file F] [--console-socket SOCK]%s ID\n", run ? "run" : "create",
			       run ? " [--detach]" : "");
			exit(0);
		default:
			oci_errorf("%s: unknown or incomplete option %s", run ? "run" : "create", argv[optind - 1]);
			return -1;
		}
	}
	if (optind != argc - 1) {
		oci_errorf("%s: give exactly one container ID (after the options)", run ? "run" : "create");
		return -1;
	}
	o->id = argv[optind];
	return 0;
}

/* Set up the container; *st is filled. The caller may start it. */
static int create(const struct create_opts *o, struct oci_config *c, struct oci_state *st, struct gph_err *e)
{
	char bundle[PATH_MAX], dir[4096], gate[4200];
	if (oci_check_id(o->id, e) < 0)
		return -1;
	if (!realpath(o->bundle ? o->bundle : ".", bundle))
		return gph_fail(e, errno, NULL, "--bundle \"%s\"", o->bundle ? o->bundle : ".");
	if (mkdir(oci_g.root, 0700) < 0 && errno != EEXIST)
		return gph_fail(e, errno, NULL, "mkdir(\"%s\") (--root)", oci_g.root);
	oci_dir(o->id, dir, sizeof dir);
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return gph_fail(e, EEXIST, "`gophernetes delete ID` removes the old one", "container \"%s\" already exists", o->id);
		return gph_fail(e, errno, NULL, "mkdir(\"%s\")", dir);
	}
	if (!isatty(STDERR_FILENO))
		snprintf(oci_g.warn_file, sizeof oci_g.warn_file, "%s/warnings", dir);
	if (oci_config_load(bundle, c, e) < 0) {
		oci_remove_dir(o->id);
		return -1;
	}
	if (c->terminal && !o->console) {
		oci_remove_dir(o->id);
		return gph_fail(e, 0, "give --console-socket, or set process.terminal to false",
				"process.terminal is true but there is no --console-socket to send the terminal to");
	}
	if (oci_apply_rlimits(c, e) < 0) {
		oci_remove_dir(o->id);
		return -1;
	}
	if (c->has_umask)
		umask(c->umask);
	snprintf(gate, sizeof gate, "%s/gate", dir);
	/* 0622: the process may have switched to any user by the time it opens the gate for writing. */
	if (mkfifo(gate, 0600) < 0 || chmod(gate, 0622) < 0) {
		gph_fail(e, errno, NULL, "mkfifo(\"%s\")", gate);
		oci_remove_dir(o->id);
		return -1;
	}
	int gfd = open(gate, O_PATH | O_CLOEXEC);
	if (gfd < 0) {
		gph_fail(e, errno, NULL, "open(\"%s\", O_PATH)", gate);
		oci_remove_dir(o->id);
		return -1;
	}
	char command[256] = "";
	for (int i = 0, off = 0; c->args[i] && off < (int)sizeof command - 1; i++)
		off += snprintf(command + off, sizeof command - (size_t)off, "%s%s", i ? " " : "", c->args[i]);
	char name[64];
	snprintf(name, sizeof name, "%.63s", o->id);
	struct gph_sandbox_opts so = {.name = name, .cgroup_parent = c->cgroup_parent[0] ? c->cgroup_parent : NULL,
				      .command = command, .log = NULL, .notes = NULL};
	struct gph_sandbox sb;
	if (gph_sandbox_start(&sb, &so, e) < 0) {
		close(gfd);
		oci_remove_dir(o->id);
		return -1;
	}
	for (int i = 0; i < c->n_binds; i++)
		if (gph_sandbox_bind(&sb, c->binds[i].src, c->binds[i].dst, c->binds[i].ro, c->binds[i].rec, c->binds[i].flags, e) < 0)
			goto fail;
	for (int i = 0; i < c->n_steps; i++)
		if (gph_sandbox_apply(&sb, &c->steps[i], e) < 0)
			goto fail;
	struct gph_exec_opts x = {.argv = c->args, .env = c->env, .tty = c->terminal, .stdio = {0, 1, 2},
				  .oom_score_adj = c->oom_score_adj, .groups = c->groups, .ngroups = c->ngroups};
	pid_t pid;
	int master = -1;
	if (gph_sandbox_exec_detached(&sb, &x, gfd, &pid, &master, e) < 0)
		goto fail;
	close(gfd);
	gfd = -1;
	if (c->n_sysctl && oci_apply_sysctls(c, pid, e) < 0) {
		if (master >= 0)
			close(master);
		goto fail;
	}
	if (master >= 0) {
		if (c->console_h && c->console_w) {
			struct winsize ws = {.ws_row = (unsigned short)c->console_h, .ws_col = (unsigned short)c->console_w};
			ioctl(master, TIOCSWINSZ, &ws);
		}
		int rc = oci_send_console(o->console, master, e);
		close(master);
		if (rc < 0)
			goto fail;
	}
	memset(st, 0, sizeof *st);
	snprintf(st->id, sizeof st->id, "%s", o->id);
	snprintf(st->bundle, sizeof st->bundle, "%s", bundle);
	snprintf(st->engine_id, sizeof st->engine_id, "%s", sb.id);
	snprintf(st->annotations, sizeof st->annotations, "%s", c->annotations);
	snprintf(st->cgroup_parent, sizeof st->cgroup_parent, "%s", c->cgroup_parent);
	snprintf(st->seccomp, sizeof st->seccomp, "%s", c->seccomp ? "yes" : "");
	st->pid = pid;
	st->start_time = gph_proc_starttime(pid);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	st->created = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	if (sb.has_cg && sb.cg.n > 0) {
		snprintf(st->cgroup, sizeof st->cgroup, "%s", sb.cg.dir[0]);
		for (int i = 0; i < sb.cg.n; i++)
			if (sb.cg.hier[i].controller[0] == 0 || strcmp(sb.cg.hier[i].controller, "freezer") == 0)
				snprintf(st->freezer, sizeof st->freezer, "%s", sb.cg.dir[i]);
	}
	if (oci_state_write(st, e) < 0)
		goto fail;
	if (c->hooks_json) {
		char hf[4200];
		snprintf(hf, sizeof hf, "%s/hooks.json", dir);
		FILE *f = fopen(hf, "we");
		if (!f || fputs(c->hooks_json, f) < 0 || fclose(f) != 0) {
			gph_fail(e, errno, NULL, "writing \"%s\"", hf);
			goto fail;
		}
	}
	if (gph_sandbox_release(&sb, pid, e) < 0) {
		gph_state_collect(sb.id, e);
		oci_remove_dir(o->id);
		return -1;
	}
	for (int k = HOOK_PRESTART; k <= HOOK_CREATE_RUNTIME; k++)
		for (int i = 0; i < c->n_hooks[k]; i++)
			if (oci_run_hook(&c->hooks[k][i], st, oci_hook_kinds[k], e) < 0) {
				struct gph_err ign;
				gph_state_collect(st->engine_id, &ign);
				oci_remove_dir(o->id);
				return -1;
			}
	if (o->pid_file && oci_write_pid_file(o->pid_file, pid, e) < 0) {
		struct gph_err ign;
		gph_state_collect(st->engine_id, &ign);
		oci_remove_dir(o->id);
		return -1;
	}
	return 0;
fail:
	if (gfd >= 0)
		close(gfd);
	gph_sandbox_destroy(&sb);
	oci_remove_dir(o->id);
	return -1;
}

int oci_apply_sysctls(const struct oci_config *c, pid_t pid, struct gph_err *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return gph_fail(e, errno, NULL, "pipe2()");
	pid_t child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return gph_fail(e, errno, NULL, "fork()");
	}
	if (child == 0) {
		/* Join the container's network or IPC namespace; /proc/sys then shows that one's values. */
		close(p[0]);
		struct gph_err ce;
		gph_err_clear(&ce);
		for (int i = 0; i < c->n_sysctl; i++) {
			char path[300], nsp[64];
			snprintf(nsp, sizeof nsp, "/proc/%d/ns/%s", (int)pid, c->sysctl[i].ns == CLONE_NEWNET ? "net" : "ipc");
			int nfd = open(nsp, O_RDONLY | O_CLOEXEC);
			if (nfd < 0 || setns(nfd, c->sysctl[i].ns) < 0) {
				gph_fail(&ce, errno, NULL, "linux.sysctl %s: setns(%s)", c->sysctl[i].key, nsp);
				goto bad;
			}
			close(nfd);
			snprintf(path, sizeof path, "/proc/sys/%s", c->sysctl[i].key);
			for (char *q = path + 10; *q; q++)
				if (*q == '.')
					*q = '/';
			int fd = open(path, O_WRONLY | O_CLOEXEC);
			size_t len = strlen(c->sysctl[i].value);
			if (fd < 0 || write(fd, c->sysctl[i].value, len) != (ssize_t)len) {
				gph_fail(&ce, errno, NULL, "linux.sysctl %s: write(\"%s\", \"%s\")", c->sysctl[i].key, path, c->sysctl[i].value);
				goto bad;
			}
			close(fd);
		}
		_exit(0);
	bad:
		if (write(p[1], &ce, sizeof ce) < 0) {
		}
		_exit(1);
	}
	close(p[1]);
	struct gph_err ce;
	ssize_t n = read(p[0], &ce, sizeof ce);
	close(p[0]);
	int ws = 0;
	while (waitpid(child, &ws, 0) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof ce) {
		*e = ce;
		return -1;
	}
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		return gph_fail(e, 0, NULL, "linux.sysctl: the helper process failed");
	return 0;
}

/* Open the gate: the process, blocked opening it for writing, goes on to execve. */
static int open_gate(const struct oci_state *st, struct gph_err *e)
{
	char gate[4200];
	snprintf(gate, sizeof gate, "%s/%s/gate", oci_g.root, st->id);
	int fd = open(gate, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return gph_fail(e, errno, NULL, "open(\"%s\")", gate);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char b;
	int got = 0;
	for (int waited = 0; waited < 10000 && !got; waited += 100) {
		int n = poll(&p, 1, 100);
		if (n > 0 && read(fd, &b, 1) == 1)
			got = 1;
		else if (oci_status_of(st) == OCI_STOPPED)
			break;
	}
	close(fd);
	unlink(gate);
	if (!got)
		return gph_fail(e, 0, "see the container's stderr or --log", "container \"%s\": the process did not start", st->id);
	return 0;
}

static int start(const char *id, struct gph_err *e)
{
	struct oci_state st;
	if (oci_state_read(id, &st, e) < 0)
		return -1;
	enum oci_status s = oci_status_of(&st);
	if (s != OCI_CREATED)
		return gph_fail(e, 0, s == OCI_STOPPED ? "`gophernetes delete ID`, then create it again" : NULL,
				"container \"%s\" is %s, not created: it cannot be started", id, oci_status_name(s));
	if (open_gate(&st, e) < 0)
		return -1;
	char hf[4200];
	struct oci_config hc;
	snprintf(hf, sizeof hf, "%s/%s/hooks.json", oci_g.root, id);
	if (oci_hooks_load(hf, &hc, e) < 0)
		return -1;
	oci_run_hooks_warn(&hc, HOOK_POSTSTART, &st);
	oci_config_free(&hc);
	return 0;
}

int oci_cmd_start(int argc, char **argv)
{
	struct gph_err e;
	gph_err_clear(&e);
	if (argc != 2) {
		oci_errorf("usage: gophernetes start ID");
		return 1;
	}
	if (start(argv[1], &e) < 0) {
		oci_error(&e);
		return 1;
	}
	return 0;
}

int oci_cmd_create(int argc, char **argv, bool run)
{
	struct create_opts o;
	struct oci_config c;
	struct oci_state st;
	struct gph_err e;
	gph_err_clear(&e);
	memset(&c, 0, sizeof c);
	if (parse(argc, argv, &o, run) < 0)
		return 1;
	/* `run` in the foreground waits for the process: it must become our child when the holder exits. */
	if (run && !o.detach && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		oci_errorf("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
		return 1;
	}
	if (create(&o, &c, &st, &e) < 0) {
		oci_error(&e);
		oci_config_free(&c);
		return 1;
	}
	oci_config_free(&c);
	if (!run)
		return 0;
	if (start(o.id, &e) < 0) {
		oci_error(&e);
		return 1;
	}
	if (o.detach)
		return 0;
	int ws = 0;
	for (;;) {
		pid_t w = waitpid(-1, &ws, 0);
		if (w == st.pid)
			break;
		if (w < 0 && errno != EINTR) {
			oci_errorf("waiting for the container's process: %s", strerror(errno));
			return 1;
		}
	}
	struct gph_err ign;
	gph_state_collect(st.engine_id, &ign);
	char hf[4200];
	struct oci_config hc;
	snprintf(hf, sizeof hf, "%s/%s/hooks.json", oci_g.root, o.id);
	if (oci_hooks_load(hf, &hc, &ign) == 0) {
		oci_run_hooks_warn(&hc, HOOK_POSTSTOP, &st);
		oci_config_free(&hc);
	}
	oci_remove_dir(o.id);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}
