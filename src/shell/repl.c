/* The interactive loop: readline in callback mode (so Ctrl-C can clear the line without killing
 * the shell), history in $XDG_STATE_HOME/gophernetes/history, and completion from gph_cmds[]:
 * command names, then each command's sub-arguments, then file names where the command takes
 * a path (inside the sandbox's root once it has one). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <readline/history.h>
#include <readline/readline.h>
#include "gph/step.h"
#include "shell.h"
#include "tutor.h"

#define HISTORY_MAX 1000

static volatile sig_atomic_t got_sigint, got_sigwinch;
static struct shell *cur;       /* for the completion functions, which take no context */
static char *line_read;         /* set by on_line */
static bool line_done, line_eof;

static void on_sigint(int sig)
{
	(void)sig;
	got_sigint = 1;
}

static void on_sigwinch(int sig)
{
	(void)sig;
	got_sigwinch = 1;
}

/* ---- history ------------------------------------------------------------------------ */

int shell_history_path(char *buf, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;
	if (state && state[0] == '/')
		n = snprintf(buf, len, "%s/gophernetes/history", state);
	else if (home && home[0] == '/')
		n = snprintf(buf, len, "%s/.local/state/gophernetes/history", home);
	else
		return -1;
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* mkdir -p of the directory holding path. */
static int make_parents(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(dir, 0700) < 0 && errno != EEXIST)
				return -1;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

static void history_load(const char *path)
{
	using_history();
	stifle_history(HISTORY_MAX);
	int err = read_history(path);
	if (err && err != ENOENT)
		fprintf(stderr, "warning: cannot read the history from %s: %s\n", path, strerror(err));
}

static void history_save(const char *path)
{
	int err = 0;
	if (make_parents(path) < 0)
		err = errno;
	else
		err = write_history(path);
	if (err)
		fprintf(stderr, "warning: cannot save the history to %s: %s\n", path, strerror(err));
}

static void history_add(const char *line)
{
	HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
	if (last && !strcmp(last->line, line))
		return;
	add_history(line);
}

/* ---- completion --------------------------------------------------------------------- */

static const char *const *gen_words;
static int gen_index;

static char *complete_from_list(const char *text, int state)
{
	size_t len = strlen(text);
	if (!state)
		gen_index = 0;
	while (gen_words && gen_words[gen_index]) {
		const char *w = gen_words[gen_index++];
		if (!strncmp(w, text, len))
			return strdup(w);
	}
	return NULL;
}

static char *complete_command(const char *text, int state)
{
	size_t len = strlen(text);
	if (!state)
		gen_index = 0;
	while (gen_index < gph_n_cmds) {
		const char *w = gph_cmds[gen_index++].name;
		if (!strncmp(w, text, len))
			return strdup(w);
	}
	return NULL;
}

/* File names inside the sandbox's root: readline completes root + text, and the root is cut off
 * again before the match is shown; the stat hook makes directories get their '/' from the root. */
static char inside_root[PATH_MAX];

static char *complete_inside(const char *text, int state)
{
	char full[PATH_MAX * 2];
	size_t rl_len = strlen(inside_root);
	snprintf(full, sizeof full, "%s%s", inside_root, text);
	char *m = rl_filename_completion_function(full, state);
	if (!m)
		return NULL;
	if (strncmp(m, inside_root, rl_len) != 0)
		return m;
	memmove(m, m + rl_len, strlen(m + rl_len) + 1);
	return m;
}

static int stat_inside(char **name)
{
	if ((*name)[0] != '/')
		return 0;
	size_t need = strlen(inside_root) + strlen(*name) + 1;
	char *full = malloc(need);
	if (!full)
		return 0;
	snprintf(full, need, "%s%s", inside_root, *name);
	free(*name);
	*name = full;
	return 1;
}

static char **complete_path(const char *text, bool in_sandbox)
{
	rl_filename_stat_hook = NULL;
	/* Paths inside the sandbox: after chroot/pivot_root an absolute path means the new root. */
	if (in_sandbox && cur && cur->started && cur->sb.rooted && text[0] == '/' &&
	    strcmp(cur->sb.root, "/") != 0) {
		snprintf(inside_root, sizeof inside_root, "%s", cur->sb.root);
		rl_filename_stat_hook = stat_inside;
		return rl_completion_matches(text, complete_inside);
	}
	return rl_completion_matches(text, rl_filename_completion_function);
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	char first[64] = "";
	int words = 0;

	rl_attempted_completion_over = 1; /* nothing unless we say so (no stray file names) */
	rl_filename_stat_hook = NULL;
	/* Count the words before the one being completed; remember the first. */
	for (int i = 0; i < start;) {
		while (i < start && (rl_line_buffer[i] == ' ' || rl_line_buffer[i] == '\t'))
			i++;
		if (i >= start)
			break;
		int b = i;
		while (i < start && rl_line_buffer[i] != ' ' && rl_line_buffer[i] != '\t')
			i++;
		if (words++ == 0)
			snprintf(first, sizeof first, "%.*s", i - b, rl_line_buffer + b);
	}
	if (words == 0)
		return rl_completion_matches(text, complete_command);

	const struct gph_cmd_def *d = gph_cmd_find(first);
	if (!d)
		return NULL;
	if ((!strcmp(d->name, "help") || !strcmp(d->name, "explain")) && words == 1)
		return rl_completion_matches(text, complete_command);
	/* `ns` takes several namespace names; other commands one sub-argument. */
	if (d->args && (words == 1 || !strcmp(d->name, "ns"))) {
		gen_words = d->args;
		return rl_completion_matches(text, complete_from_list);
	}
	if (d->path_arg) {
		/* chroot, pivot_root and save name a host path; exec and mount a path inside. */
		bool inside = strcmp(d->name, "chroot") != 0 && strcmp(d->name, "pivot_root") != 0 &&
			      strcmp(d->name, "save") != 0;
		return complete_path(text, inside);
	}
	return NULL;
}

/* ---- the loop ----------------------------------------------------------------------- */

static void on_line(char *line)
{
	line_read = line;
	line_eof = line == NULL;
	line_done = true;
	rl_callback_handler_remove(); /* reinstalled (with a fresh prompt) for the next line */
}

static int install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_sigint; /* no SA_RESTART: poll() returns EINTR and we clear the line */
	if (sigaction(SIGINT, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = on_sigwinch;
	sa.sa_flags = SA_RESTART;
	return sigaction(SIGWINCH, &sa, NULL);
}

/* Read one line; NULL on end of input (Ctrl-D) or a stop signal. The tutor reads with it too. */
char *shell_read_line(const char *prompt)
{
	line_done = line_eof = false;
	line_read = NULL;
	got_sigint = 0;
	rl_callback_handler_install(prompt, on_line);
	while (!line_done) {
		if (shell_stop_signal) {
			rl_callback_handler_remove();
			return NULL;
		}
		if (got_sigwinch) {
			got_sigwinch = 0;
			rl_resize_terminal();
		}
		if (got_sigint) {
			/* Ctrl-C: drop what was typed, start a fresh prompt on the next line. */
			got_sigint = 0;
			rl_free_line_state();
			rl_callback_sigcleanup();
			rl_replace_line("", 0);
			rl_crlf();
			rl_on_new_line();
			rl_redisplay();
		}
		struct pollfd p = {.fd = fileno(rl_instream ? rl_instream : stdin), .events = POLLIN};
		int n = poll(&p, 1, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rl_callback_handler_remove();
			fprintf(stderr, "error: poll(stdin): %s\n", strerror(errno));
			return NULL;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			rl_callback_read_char();
	}
	return line_eof ? NULL : line_read;
}

static void banner(struct shell *sh)
{
	fprintf(sh->out, "gophernetes-shell: build a container one step at a time, on the live kernel.\n");
	if (sh->started)
		fprintf(sh->out, "Sandbox %s is ready (nothing isolated yet); root filesystem for chroot "
			"and pivot_root: %s\n", sh->sb.id, sh->rootfs);
	else
		fprintf(sh->out, "No sandbox yet (see the error above): `help` and `explain` work, and "
			"each step tries again.\n");
	fprintf(sh->out, "Try first:  ns pid uts mnt    then  exec /bin/sh -c 'echo $$'\n");
	fprintf(sh->out, "`help` lists the commands, `explain CMD` shows the system calls; Ctrl-D "
		"leaves.\n");
}

int shell_repl(struct shell *sh)
{
	char hist[PATH_MAX];
	bool have_hist = shell_history_path(hist, sizeof hist) == 0;
	struct gph_err e = {0};

	cur = sh;
	rl_readline_name = "gophernetes";
	rl_attempted_completion_function = complete;
	rl_catch_signals = 0;   /* our handlers: Ctrl-C clears the line, it does not end the shell */
	rl_catch_sigwinch = 0;
	if (install_signals() < 0 || shell_catch_stop_signals(false, &e) < 0) {
		if (!e.msg[0])
			gph_fail(&e, errno, NULL, "sigaction(SIGINT)");
		gph_err_print(&e, stderr, "error");
		return 1;
	}
	if (have_hist)
		history_load(hist);
	bool leave = false;
	if (sh->start_lesson) /* --lesson NAME: the tutor first, then the prompt as usual */
		leave = tutor_run(sh, sh->start_lesson) == TUTOR_MUST_QUIT;
	else
		banner(sh);

	while (!leave) {
		char *line = shell_read_line(SHELL_PROMPT);
		if (!line) {
			if (!shell_stop_signal)
				fputc('\n', sh->out); /* Ctrl-D: leave the user's prompt on a line of its own */
			break;
		}
		if (shell_line_has_words(line))
			history_add(line);
		enum shell_rc rc = shell_run_line(sh, line, NULL);
		free(line);
		got_sigint = 0; /* a Ctrl-C meant for the command is not one for the prompt */
		if (rc == SHELL_QUIT)
			break;
	}
	if (have_hist)
		history_save(hist);
	rl_clear_history();
	cur = NULL;
	return shell_stop_signal ? 128 + shell_stop_signal : 0;
}
