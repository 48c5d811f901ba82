/* One command line of gophernetes-shell: split it into words, then either build a step and hand
 * it to the engine (gph_step_parse + gph_sandbox_apply) or run one of the shell's own commands.
 * Everything is written to sh->out, so replay can capture it all. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "gph/parse.h"
#include "gph/step.h"
#include "gph/trace.h"
#include "shell.h"
#include "tutor.h"

volatile sig_atomic_t shell_stop_signal;

static void on_stop_signal(int sig)
{
	shell_stop_signal = sig;
}

int shell_catch_stop_signals(bool sigint_too, struct gph_err *e)
{
	static const int sigs[] = {SIGTERM, SIGHUP, SIGINT};
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		if (sigs[i] == SIGINT && !sigint_too)
			continue;
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return gph_fail(e, errno, NULL, "sigaction(%s)", sigabbrev_np(sigs[i]));
	}
	return 0;
}

/* "error: <msg>: <strerror>" and "  hint: ..." on the output stream. */
static void print_err(struct shell *sh, const struct gph_err *e)
{
	fflush(sh->out);
	gph_err_print(e, sh->out, "error");
}

/* A fresh sandbox unless one is live. A failure is remembered and returned; the caller prints. */
static int ensure_started(struct shell *sh, struct gph_err *e)
{
	if (sh->started)
		return 0;
	struct gph_sandbox_opts o = {.command = "gophernetes-shell", .log = sh->out};
	memset(&sh->sb, 0, sizeof sh->sb);
	/* `show` and the net steps may come after the root changed, when the sandbox process can no
	 * longer load libnl from the host: load it here, and the fork inherits it. */
	if (gph_net_preload(e) < 0 || gph_sandbox_start(&sh->sb, &o, e) < 0) {
		sh->start_err = *e;
		return -1;
	}
	sh->started = true;
	gph_err_clear(&sh->start_err);
	return 0;
}

int shell_init(struct shell *sh, const char *rootfs, FILE *out, enum shell_io io)
{
	struct gph_err e = {0};
	memset(sh, 0, sizeof *sh);
	sh->rootfs = rootfs ? rootfs : SHELL_DEFAULT_ROOTFS;
	sh->out = out;
	sh->io = io;
	if (ensure_started(sh, &e) < 0) {
		print_err(sh, &e);
		return -1;
	}
	return 0;
}

void shell_fini(struct shell *sh)
{
	gph_trace_start(NULL); /* out may be closed next; the next shell starts with the trace off */
	if (!sh->started)
		return;
	sh->sb.log = sh->out;
	gph_sandbox_destroy(&sh->sb);
	sh->started = false;
}

/* ---- help and explain ---------------------------------------------------------------- */

static void help_table(FILE *out, bool steps)
{
	int width = 0;
	for (int i = 0; i < gph_n_cmds; i++) {
		int n = (int)strlen(gph_cmds[i].usage);
		if (n > width && n <= 32) /* one column for both tables; longer usages wrap */
			width = n;
	}
	for (int i = 0; i < gph_n_cmds; i++) {
		const struct gph_cmd_def *d = &gph_cmds[i];
		if (d->is_step != steps)
			continue;
		if ((int)strlen(d->usage) > width) /* too long for the column: summary below it */
			fprintf(out, "  %s\n  %-*s  %s\n", d->usage, width, "", d->summary);
		else
			fprintf(out, "  %-*s  %s\n", width, d->usage, d->summary);
	}
}

static const struct gph_cmd_def *find_or_suggest(FILE *out, const char *name)
{
	const struct gph_cmd_def *d = gph_cmd_find(name);
	if (d)
		return d;
	const char *close = gph_cmd_closest(name);
	fprintf(out, "error: unknown command \"%s\"\n", name);
	if (close)
		fprintf(out, "  hint: did you mean `%s`? (`help` lists the commands)\n", close);
	else
		fprintf(out, "  hint: `help` lists the commands\n");
	return NULL;
}

int shell_help(FILE *out, const char *cmd)
{
	if (!cmd) {
		fprintf(out, "Steps: each one changes the live sandbox as soon as you type it.\n");
		help_table(out, true);
		fprintf(out, "Commands:\n");
		help_table(out, false);
		fprintf(out, "`help CMD` describes a command; `explain CMD` shows the system calls behind it.\n");
		return 0;
	}
	const struct gph_cmd_def *d = find_or_suggest(out, cmd);
	if (!d)
		return -1;
	fprintf(out, "usage: %s\n  %s\n", d->usage, d->summary);
	if (d->help && d->help[0])
		fprintf(out, "\n%s\n", d->help);
	if (d->see && d->see[0])
		fprintf(out, "\nsee: %s\n", d->see);
	if (d->explain && d->explain[0])
		fprintf(out, "`explain %s` shows the system calls it makes.\n", d->name);
	return 0;
}

static int shell_explain(FILE *out, const char *cmd)
{
	const struct gph_cmd_def *d = find_or_suggest(out, cmd);
	if (!d)
		return -1;
	if (!d->explain || !d->explain[0]) {
		fprintf(out, "`%s` belongs to the shell itself: it asks nothing of the kernel for the "
			"sandbox.\n", d->name);
		return 0;
	}
	fprintf(out, "%s: %s\n\n%s\n", d->usage, d->summary, d->explain);
	if (d->see && d->see[0])
		fprintf(out, "\nsee: %s\n", d->see);
	return 0;
}

/* ---- the commands ------------------------------------------------------------------- */

struct call {
	struct shell *sh;
	int argc;
	char **argv;
	int status; /* for lesson checks: exec's exit code, otherwise 0 / 1 */
};

static enum shell_rc fail_with(struct call *c, const struct gph_err *e)
{
	print_err(c->sh, e);
	c->status = 1;
	return SHELL_FAILED;
}

static enum shell_rc usage(struct call *c, const struct gph_cmd_def *d)
{
	struct gph_err e = {0};
	gph_fail(&e, 0, NULL, "usage: %s", d->usage);
	gph_err_hint(&e, "`help %s` explains it", d->name);
	return fail_with(c, &e);
}

/* B29: a step that failed blocks `exec` until that command succeeds (or `reset`). A step refused
 * here, before it reached the engine (bad argument, missing directory), counts too. */
static void remember_failed_step(struct shell *sh, int argc, char **argv)
{
	char text[256];
	size_t off = 0;
	if (!sh->started)
		return; /* no sandbox: exec is refused anyway, and a start begins afresh */
	text[0] = '\0';
	for (int i = 0; i < argc && off + 1 < sizeof text; i++) {
		int n = snprintf(text + off, sizeof text - off, "%s%s", i ? " " : "", argv[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	gph_sandbox_mark_failed(&sh->sb, text);
}

static enum shell_rc cmd_step(struct call *c)
{
	struct shell *sh = c->sh;
	struct gph_err e = {0};
	struct gph_step st;
	int argc = c->argc;
	char **argv = c->argv;
	char *with_root[3];

	/* `chroot` / `pivot_root` alone mean the shell's root filesystem (--rootfs), or the image's
	 * root after an `image` step. */
	if (argc == 1 && (!strcmp(argv[0], "chroot") || !strcmp(argv[0], "pivot_root")) && !sh->sb.image_dir[0]) {
		with_root[0] = argv[0];
		with_root[1] = (char *)sh->rootfs;
		with_root[2] = NULL;
		argv = with_root;
		argc = 2;
	}
	if (gph_step_parse(argc, argv, &st, &e) < 0) {
		remember_failed_step(sh, argc, argv);
		return fail_with(c, &e);
	}
	if (ensure_started(sh, &e) < 0 || gph_sandbox_apply(&sh->sb, &st, &e) < 0)
		return fail_with(c, &e);
	return SHELL_OK;
}

static enum shell_rc cmd_show(struct call *c)
{
	struct gph_err e = {0};
	if (c->argc > 2)
		return usage(c, gph_cmd_find("show"));
	if (ensure_started(c->sh, &e) < 0 ||
	    gph_sandbox_show(&c->sh->sb, c->argc > 1 ? c->argv[1] : "all", c->sh->out, &e) < 0)
		return fail_with(c, &e);
	return SHELL_OK;
}

static enum shell_rc cmd_score(struct call *c)
{
	struct gph_err e = {0};
	if (c->argc > 2 || (c->argc == 2 && strcmp(c->argv[1], "why")))
		return usage(c, gph_cmd_find("score"));
	if (ensure_started(c->sh, &e) < 0 || gph_sandbox_score(&c->sh->sb, c->argc == 2, c->sh->out, &e) < 0)
		return fail_with(c, &e);
	return SHELL_OK;
}

static const char *signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

/* What happened to the command, in the shell's words (B16). */
static void print_exec_result(struct shell *sh, const struct gph_exec_result *r)
{
	FILE *out = sh->out;
	if (WIFSIGNALED(r->wstatus)) {
		int sig = WTERMSIG(r->wstatus);
		char name[32];
		fprintf(out, "killed by signal %s (status %d)\n", signal_name(sig, name, sizeof name),
			128 + sig);
	} else if (r->exec_failed) {
		fprintf(out, "exited with status %d (the command did not run)\n", r->exit_code);
	} else {
		fprintf(out, "exited with status %d\n", r->exit_code);
	}
	char oom[160];
	gph_exec_oom_message(&sh->sb, r, oom, sizeof oom);
	if (oom[0])
		fprintf(out, "  %s (the kernel's OOM killer; see `show cgroup`)\n", oom);
	if (r->escalated)
		fprintf(out, "  it did not stop in time after the signal, so it was killed with SIGKILL\n");
}

static enum shell_rc cmd_exec(struct call *c)
{
	struct shell *sh = c->sh;
	struct gph_err e = {0};
	struct gph_exec_result r;
	int devnull = -1;

	c->status = 125; /* docker's "the runtime failed", until the command has run */
	if (c->argc < 2)
		return usage(c, gph_cmd_find("exec"));
	if (ensure_started(sh, &e) < 0) {
		print_err(sh, &e);
		return SHELL_FAILED;
	}

	struct gph_exec_opts x = {
		.argv = c->argv + 1,
		.env = NULL,
		.tty = sh->io == SHELL_IO_TERMINAL && isatty(STDIN_FILENO),
		.init = false,
		.stdio = {STDIN_FILENO, fileno(sh->out), STDERR_FILENO},
		.forward_signals = true,
	};
	if (sh->io == SHELL_IO_STDIN || sh->io == SHELL_IO_CAPTURE) {
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0) {
			gph_fail(&e, errno, NULL, "open(\"/dev/null\")");
			print_err(sh, &e);
			return SHELL_FAILED;
		}
		x.stdio[0] = devnull;
	}
	if (sh->io == SHELL_IO_CAPTURE)
		x.stdio[2] = fileno(sh->out);

	/* The command writes to the same files as we do: nothing of ours may still be buffered. */
	fflush(sh->out);
	fflush(stdout);
	fflush(stderr);
	memset(&r, 0, sizeof r);
	/* Only the sandbox's own mount table: without `ns mnt` it is the host's, which changes anyway. */
	bool own_mnt = (sh->sb.ns & CLONE_NEWNS) != 0;
	int mounts_before = own_mnt ? gph_sandbox_mount_count(&sh->sb) : -1;
	int rc = gph_sandbox_exec(&sh->sb, &x, &r, &e);
	fflush(sh->out);
	int mounts_after = mounts_before >= 0 ? gph_sandbox_mount_count(&sh->sb) : -1;
	if (mounts_after >= 0 && mounts_after != mounts_before) {
		sh->exec_mount_changes++;
		sh->exec_mount_cmd[0] = '\0';
		for (int i = 1; i < c->argc; i++)
			snprintf(sh->exec_mount_cmd + strlen(sh->exec_mount_cmd),
				 sizeof sh->exec_mount_cmd - strlen(sh->exec_mount_cmd), "%s%s", i > 1 ? " " : "", c->argv[i]);
	}
	if (devnull >= 0)
		close(devnull);
	if (rc < 0 && !r.exec_failed) {
		print_err(sh, &e); /* setup: the command was never started */
		return SHELL_FAILED;
	}
	/* Started but could not execve (not found, not executable): why, then the status. */
	if (r.exec_failed && e.msg[0])
		print_err(sh, &e);
	print_exec_result(sh, &r);
	c->status = r.exit_code;
	return r.exit_code == 0 ? SHELL_OK : SHELL_FAILED;
}

static enum shell_rc cmd_reset(struct call *c)
{
	struct shell *sh = c->sh;
	struct gph_err e = {0};
	char old[sizeof sh->sb.id] = "";
	if (c->argc != 1)
		return usage(c, gph_cmd_find("reset"));
	if (sh->started)
		snprintf(old, sizeof old, "%s", sh->sb.id);
	shell_fini(sh);
	sh->exec_mount_changes = 0;
	if (ensure_started(sh, &e) < 0)
		return fail_with(c, &e);
	if (old[0])
		fprintf(sh->out, "reset: sandbox %s is gone; new sandbox %s, nothing applied yet\n", old,
			sh->sb.id);
	else
		fprintf(sh->out, "reset: new sandbox %s, nothing applied yet\n", sh->sb.id);
	return SHELL_OK;
}

static enum shell_rc cmd_help(struct call *c)
{
	if (c->argc > 2)
		return usage(c, gph_cmd_find("help"));
	if (shell_help(c->sh->out, c->argc > 1 ? c->argv[1] : NULL) < 0) {
		c->status = 1;
		return SHELL_FAILED;
	}
	return SHELL_OK;
}

static enum shell_rc cmd_explain(struct call *c)
{
	if (c->argc != 2)
		return usage(c, gph_cmd_find("explain"));
	if (shell_explain(c->sh->out, c->argv[1]) < 0) {
		c->status = 1;
		return SHELL_FAILED;
	}
	return SHELL_OK;
}

/* `trace on|off`: the engine prints every operation of the following steps to out (gph/trace.h). */
static enum shell_rc cmd_trace(struct call *c)
{
	struct gph_err e = {0};
	if (c->argc != 2 || (strcmp(c->argv[1], "on") && strcmp(c->argv[1], "off")))
		return usage(c, gph_cmd_find("trace"));
	bool on = !strcmp(c->argv[1], "on");
	gph_trace_start(on ? c->sh->out : NULL);
	if (c->sh->started && gph_sandbox_trace(&c->sh->sb, on, &e) < 0)
		return fail_with(c, &e);
	fprintf(c->sh->out, "trace %s\n", on ? "on: each operation is printed as it is performed" : "off");
	return SHELL_OK;
}

static enum shell_rc cmd_quit(struct call *c)
{
	if (c->argc != 1)
		return usage(c, gph_cmd_find(c->argv[0]));
	return SHELL_QUIT;
}

/* save, export and doctor live in shell_export.c. */
static enum shell_rc cmd_outside(struct call *c, int (*fn)(struct shell *, int, char **))
{
	if (fn(c->sh, c->argc, c->argv) < 0) {
		c->status = 1;
		return SHELL_FAILED;
	}
	return SHELL_OK;
}
static enum shell_rc cmd_save(struct call *c) { return cmd_outside(c, shell_cmd_save); }
static enum shell_rc cmd_export(struct call *c) { return cmd_outside(c, shell_cmd_export); }
static enum shell_rc cmd_doctor(struct call *c) { return cmd_outside(c, shell_cmd_doctor); }

/* `lesson NAME` and `lessons` (the tutor, src/shell/tutor.c). */
static enum shell_rc cmd_lesson(struct call *c)
{
	if (c->argc != 2)
		return usage(c, gph_cmd_find("lesson"));
	int rc = tutor_run(c->sh, c->argv[1]);
	if (rc == TUTOR_MUST_QUIT)
		return SHELL_QUIT;
	c->status = rc;
	return rc == 0 ? SHELL_OK : SHELL_FAILED;
}

static enum shell_rc cmd_lessons(struct call *c)
{
	if (c->argc != 1)
		return usage(c, gph_cmd_find("lessons"));
	c->status = tutor_list(c->sh->out);
	return c->status == 0 ? SHELL_OK : SHELL_FAILED;
}

/* The shell's own commands; every other row of gph_cmds[] with is_step goes to cmd_step. */
static const struct {
	const char *name;
	enum shell_rc (*run)(struct call *c);
} handlers[] = {
	{"show", cmd_show}, {"exec", cmd_exec},	      {"reset", cmd_reset}, {"help", cmd_help},
	{"explain", cmd_explain}, {"quit", cmd_quit}, {"exit", cmd_quit}, {"trace", cmd_trace},
	{"score", cmd_score},
	{"save", cmd_save}, {"export", cmd_export}, {"doctor", cmd_doctor},
	{"lesson", cmd_lesson}, {"lessons", cmd_lessons},
};

static enum shell_rc dispatch(struct call *c)
{
	const char *name = c->argv[0];
	for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
		if (!strcmp(handlers[i].name, name))
			return handlers[i].run(c);
	const struct gph_cmd_def *d = gph_cmd_find(name);
	if (d && d->is_step)
		return cmd_step(c);
	struct gph_err e = {0};
	if (d) { /* a row of the table this shell has no code for yet */
		gph_fail(&e, 0, "`help` lists the commands", "`%s` is not available in this shell", name);
		return fail_with(c, &e);
	}
	const char *close = gph_cmd_closest(name);
	gph_fail(&e, 0, NULL, "unknown command \"%s\"", name);
	if (close)
		gph_err_hint(&e, "did you mean `%s`? (`help` lists the commands)", close);
	else
		gph_err_hint(&e, "`help` lists the commands");
	return fail_with(c, &e);
}

bool shell_line_has_words(const char *line)
{
	for (const char *p = line; *p; p++) {
		if (*p == '#')
			return false;
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return true;
	}
	return false;
}

enum shell_rc shell_run_line(struct shell *sh, const char *line, int *status)
{
	struct gph_err e = {0};
	char **argv = NULL;
	int argc = 0;
	enum shell_rc rc;

	if (status)
		*status = 0;
	if (gph_split_words(line, &argv, &argc, &e) < 0) {
		sh->commands++;
		sh->failures++;
		print_err(sh, &e);
		if (status)
			*status = 1;
		return SHELL_FAILED;
	}
	if (argc == 0) {
		gph_argv_free(argv);
		return SHELL_OK;
	}
	sh->commands++;
	if (sh->started)
		sh->sb.log = sh->out; /* the engine's "=> step ... done" lines follow our output */
	struct call c = {.sh = sh, .argc = argc, .argv = argv, .status = 0};
	rc = dispatch(&c);
	fflush(sh->out);
	if (rc == SHELL_FAILED) {
		sh->failures++;
		if (c.status == 0)
			c.status = 1;
	}
	if (status)
		*status = c.status;
	gph_argv_free(argv);
	return rc;
}

int shell_run_script(struct shell *sh, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;

	while (!shell_stop_signal) {
		errno = 0;
		ssize_t n = getline(&line, &cap, in);
		if (n < 0) {
			if (errno == EINTR && !shell_stop_signal) {
				clearerr(in);
				continue;
			}
			if (errno && errno != EINTR) {
				struct gph_err e = {0};
				gph_fail(&e, errno, NULL, "reading commands");
				print_err(sh, &e);
				sh->failures++;
			}
			break;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!shell_line_has_words(line))
			continue;
		fprintf(sh->out, "%s%s\n", SHELL_PROMPT, line);
		if (shell_run_line(sh, line, NULL) == SHELL_QUIT)
			break;
	}
	free(line);
	if (shell_stop_signal)
		return 128 + shell_stop_signal;
	return sh->failures ? 1 : 0;
}
