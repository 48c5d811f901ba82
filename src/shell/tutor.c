/* The tutor: `gophernetes-shell --lesson NAME` and `lesson NAME`. It walks a learner through a
 * lesson on the live sandbox: the narration, a "predict, then run" question where the lesson has
 * an @ask, then the learner types the step. A step spelled another way is accepted
 * (tutor_match.c); it runs exactly as replay runs it, and its output is checked with the lesson's
 * own expectations (gph_lesson_check). `hint` shows the expected command and why, as does a wrong
 * attempt (which is not run: it would take the sandbox off the lesson's path); `skip` runs the
 * lesson's command for the learner. Progress is saved after every step (progress.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "gph/parse.h"
#include "gph/step.h"
#include "tutor.h"

#define ANSWER_MAX 512

struct tutor {
	struct shell *sh;
	FILE *out;
	struct gph_lesson l;
	char name[256];
	char progress_file[PATH_MAX];
	bool keep_progress;
	int steps_done, skipped, hints, wrong, mismatched;
	char answer[ANSWER_MAX]; /* the learner's prediction for the current step */
};

/* One line from the learner; NULL at the end of input or on a stop signal. */
static char *ask(struct tutor *t, const char *prompt)
{
	if (t->sh->io == SHELL_IO_TERMINAL)
		return shell_read_line(prompt);
	char *line = NULL;
	size_t cap = 0;
	fputs(prompt, t->out);
	fflush(t->out);
	errno = 0;
	ssize_t n = getline(&line, &cap, stdin);
	if (n < 0 || shell_stop_signal) {
		free(line);
		fputc('\n', t->out);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	fprintf(t->out, "%s\n", line); /* echoed, as the shell echoes script lines */
	return line;
}

static void save_progress(struct tutor *t, bool finished)
{
	struct gph_err e = {0};
	struct progress_entry pe = {.steps = t->steps_done, .total = t->l.n_cmds,
				    .skipped = t->skipped, .finished = finished};
	if (!t->keep_progress)
		return;
	snprintf(pe.name, sizeof pe.name, "%s", t->name);
	if (progress_record(t->progress_file, &pe, &e) < 0) {
		gph_err_print(&e, t->out, "warning: progress not saved");
		t->keep_progress = false; /* say it once */
	}
}

static bool is_bare_root_step(const char *command)
{
	return !strcmp(command, "pivot_root") || !strcmp(command, "chroot");
}

/* The first word of a command line into buf. */
static void first_word(const char *line, char *buf, size_t len)
{
	while (*line == ' ' || *line == '\t')
		line++;
	size_t n = strcspn(line, " \t");
	snprintf(buf, len, "%.*s", (int)n, line);
}

/* The expected command, then why: what the command does, from the shell's own table. */
static void hint(struct tutor *t, const struct gph_lesson_cmd *c)
{
	char cmd[64];
	first_word(c->command, cmd, sizeof cmd);
	const struct gph_cmd_def *d = gph_cmd_find(cmd);
	fprintf(t->out, "  hint: type   %s\n", c->command);
	if (is_bare_root_step(c->command))
		fprintf(t->out, "        (without a directory it uses the shell's root filesystem, %s)\n",
			t->sh->rootfs);
	if (d && d->is_step)
		fprintf(t->out, "  why:  `%s` - %s. `explain %s` shows the system calls it makes.\n",
			d->name, d->summary, d->name);
	else if (d)
		fprintf(t->out, "  why:  `%s` - %s: it shows what the text above describes.\n", d->name,
			d->summary);
	t->hints++;
}

static void tutor_help(struct tutor *t)
{
	fprintf(t->out,
		"  At the step prompt, type the command the text above asks for.\n"
		"    hint          show the expected command and why\n"
		"    skip          run the lesson's command for you and go on\n"
		"    quit          leave the lesson (your progress is kept)\n"
		"    help CMD, explain CMD, show ...   look around; they change nothing\n");
}

/* Run one of the lesson's commands as replay does (everything captured), show the output, and
 * check it against the lesson's expectations. Returns -1 when capturing failed. */
static int run_and_check(struct tutor *t, const struct gph_lesson_cmd *c)
{
	struct shell *sh = t->sh;
	int status = 0, fd = memfd_create("gph-tutor", MFD_CLOEXEC);
	char why[4096];
	if (fd < 0) {
		fprintf(t->out, "error: memfd_create(\"gph-tutor\"): %s\n", strerror(errno));
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	FILE *cap = fl < 0 || fcntl(fd, F_SETFL, fl | O_APPEND) < 0 ? NULL : fdopen(fd, "a+");
	if (!cap) {
		fprintf(t->out, "error: capturing the output (fcntl/fdopen): %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	/* Exactly as replay runs it: no terminal for exec, stdin from /dev/null, all output here. */
	FILE *saved_out = sh->out;
	enum shell_io saved_io = sh->io;
	sh->out = cap;
	sh->io = SHELL_IO_CAPTURE;
	shell_run_line(sh, c->command, &status);
	fflush(cap);
	sh->out = saved_out;
	sh->io = saved_io;
	if (sh->started)
		sh->sb.log = saved_out;
	char *text = replay_slurp(fd);
	fclose(cap);
	if (!text) {
		fprintf(t->out, "error: reading the captured output: %s\n", strerror(errno));
		return -1;
	}
	fputs(text, t->out);
	if (text[0] && text[strlen(text) - 1] != '\n')
		fputc('\n', t->out);
	if (gph_lesson_check(c, text, status, why, sizeof why)) {
		fprintf(t->out, "  ok: that is what the lesson expects.\n");
	} else {
		t->mismatched++;
		fprintf(t->out, "  not as the lesson expects: %s\n", why);
		fprintf(t->out, "  (the command was right: this machine or this sandbox behaves "
			"differently; the lesson goes on)\n");
	}
	free(text);
	return 0;
}

static bool word_is(const char *line, const char *w)
{
	char **argv;
	int argc;
	struct gph_err e = {0};
	bool is = false;
	if (gph_split_words(line, &argv, &argc, &e) == 0) {
		is = argc == 1 && !strcmp(argv[0], w);
		gph_argv_free(argv);
	}
	return is;
}

/* Print the "predict, then run" questions of c and take the learner's answer (not graded).
 * Returns false when the learner left. */
static bool predict(struct tutor *t, const struct gph_lesson_cmd *c)
{
	t->answer[0] = '\0';
	for (int i = 0; i < c->n_asks; i++) {
		fprintf(t->out, "\n  Predict, then run: %s\n", c->asks[i]);
		char *a = ask(t, "your answer> ");
		if (!a)
			return false;
		if (word_is(a, "quit") || word_is(a, "exit")) {
			free(a);
			return false;
		}
		if (word_is(a, "skip") || word_is(a, "hint")) /* no answer to this one */
			a[0] = '\0';
		if (a[0] && strlen(t->answer) + strlen(a) + 3 < sizeof t->answer)
			snprintf(t->answer + strlen(t->answer), sizeof t->answer - strlen(t->answer), "%s%s",
				 t->answer[0] ? " / " : "", a);
		free(a);
	}
	if (c->n_asks)
		fprintf(t->out, "  Noted. Now run it and see.\n");
	return true;
}

enum step_end { STEP_DONE, STEP_QUIT };

/* Commands a learner may use to look around at a step prompt: they change nothing. */
static bool is_look_around(const char *line)
{
	char w[32];
	first_word(line, w, sizeof w);
	return !strcmp(w, "help") || !strcmp(w, "explain") || !strcmp(w, "show");
}

static enum step_end one_step(struct tutor *t, int i)
{
	const struct gph_lesson_cmd *c = &t->l.cmds[i];
	char prompt[64], cmd[64], why[256];

	fputc('\n', t->out);
	for (int k = 0; k < c->n_narration; k++)
		fprintf(t->out, "%s\n", c->narration[k]);
	if (!predict(t, c))
		return STEP_QUIT;
	first_word(c->command, cmd, sizeof cmd);
	const struct gph_cmd_def *d = gph_cmd_find(cmd);
	/* Steps are the decisions the learner should work out; commands that only look (exec,
	 * show) are given in full. */
	if (d && d->is_step)
		fprintf(t->out, "  Your turn: type the `%s` step (`hint` shows it).\n", cmd);
	else
		fprintf(t->out, "  Your turn: type   %s\n", c->command);
	snprintf(prompt, sizeof prompt, "step %d/%d> ", i + 1, t->l.n_cmds);
	for (;;) {
		char *line = ask(t, prompt);
		if (!line)
			return STEP_QUIT;
		if (!shell_line_has_words(line)) {
			free(line);
			continue;
		}
		if (word_is(line, "quit") || word_is(line, "exit")) {
			free(line);
			return STEP_QUIT;
		}
		if (word_is(line, "hint")) {
			hint(t, c);
		} else if (word_is(line, "help")) {
			tutor_help(t);
		} else if (word_is(line, "skip")) {
			fprintf(t->out, "  skipped: running `%s` for you\n", c->command);
			t->skipped++;
			free(line);
			if (run_and_check(t, c) < 0)
				return STEP_QUIT;
			return STEP_DONE;
		} else if (tutor_same_command(c->command, line, t->sh->rootfs, why, sizeof why)) {
			if (strcmp(line, c->command))
				fprintf(t->out, "  (the same step as the lesson's `%s`)\n", c->command);
			free(line);
			/* The lesson's spelling runs, so its expectations (which may quote the command as
			 * the engine echoes it) apply unchanged. */
			if (run_and_check(t, c) < 0)
				return STEP_QUIT;
			if (t->answer[0])
				fprintf(t->out, "  Your answer was: %s\n  Does what you just saw agree with it?\n",
					t->answer);
			return STEP_DONE;
		} else if (is_look_around(line)) {
			shell_run_line(t->sh, line, NULL);
		} else {
			t->wrong++;
			fprintf(t->out, "  Not this step: %s.\n", why);
			hint(t, c);
		}
		free(line);
	}
}

/* Explain every unmet need; true when the lesson can run. */
static bool needs_met(struct tutor *t)
{
	char why[512];
	bool ok = true;
	for (int i = 0; i < t->l.n_needs; i++) {
		if (lesson_need_met(t->l.needs[i], why, sizeof why))
			continue;
		if (ok)
			fprintf(t->out, "This lesson cannot run on this machine as it is:\n");
		fprintf(t->out, "  - it %s.\n    %s\n", why, lesson_need_advice(t->l.needs[i]));
		ok = false;
	}
	return ok;
}

/* A fresh sandbox (in the network namespace the shell is in now). */
static int fresh_sandbox(struct tutor *t)
{
	int status = 0;
	shell_fini(t->sh);
	shell_run_line(t->sh, "reset", &status);
	return status == 0 && t->sh->started ? 0 : -1;
}

int tutor_run(struct shell *sh, const char *name)
{
	struct tutor t = {.sh = sh, .out = sh->out};
	struct gph_err e = {0};
	char path[PATH_MAX];
	int saved_net = -1, rc = 1;
	/* The lesson's commands are the tutor's business: they do not count as the shell's
	 * commands for its exit status (exec of `kill -9 $$` "fails" on purpose). */
	int saved_commands = sh->commands, saved_failures = sh->failures;

	if (sh->io == SHELL_IO_SCRIPT || sh->io == SHELL_IO_CAPTURE) {
		fprintf(sh->out, "error: the tutor talks with a learner: start it from a terminal "
			"(gophernetes-shell --lesson NAME)\n  hint: to check a lesson without a learner, "
			"use gophernetes-shell --replay FILE\n");
		return 1;
	}
	if (lesson_find(name, path, sizeof path, &e) < 0 || gph_lesson_load(path, &t.l, &e) < 0) {
		gph_err_print(&e, sh->out, "error");
		return 1;
	}
	lesson_short_name(path, t.name, sizeof t.name);
	t.keep_progress = progress_path(t.progress_file, sizeof t.progress_file) == 0;
	fprintf(t.out, "\n== Lesson %s: %s ==\n", t.name, t.l.title ? t.l.title : "(untitled)");
	if (gph_lesson_lint(&t.l, NULL) > 0) {
		fprintf(t.out, "warning: this lesson breaks the rules of lessons/README.md:\n");
		gph_lesson_lint(&t.l, t.out);
	}
	if (!needs_met(&t))
		goto out;
	if (!t.keep_progress)
		fprintf(t.out, "(progress is not kept: neither XDG_STATE_HOME nor HOME is set)\n");
	fprintf(t.out, "%d steps. Type each command at the step prompt: `hint` shows it, `skip` runs "
		"it for you,\n`help` lists what else works, `quit` leaves the lesson.\n", t.l.n_cmds);

	/* Every lesson starts from nothing, as in replay; a network lesson in a network namespace
	 * of its own, so nothing it builds touches this machine's network. */
	shell_fini(sh);
	if (lesson_net_enter(&t.l, &saved_net, &e) < 0) {
		gph_err_print(&e, t.out, "error");
		fresh_sandbox(&t);
		goto out;
	}
	if (saved_net >= 0)
		fprintf(t.out, "This lesson builds networks: it runs in a network namespace of its own, "
			"which disappears when the lesson ends.\n");
	if (fresh_sandbox(&t) < 0) {
		fprintf(t.out, "The lesson needs a sandbox; see the error above.\n");
		goto leave;
	}
	save_progress(&t, false);
	for (int i = 0; i < t.l.n_cmds; i++) {
		if (one_step(&t, i) == STEP_QUIT) {
			fprintf(t.out, "\nLeft the lesson at step %d of %d%s. `lesson %s` starts it "
				"again.\n", i + 1, t.l.n_cmds, t.keep_progress ? " (progress kept)" : "",
				t.name);
			goto leave;
		}
		t.steps_done = i + 1;
		save_progress(&t, false);
	}
	fputc('\n', t.out);
	for (int k = 0; k < t.l.n_closing; k++)
		fprintf(t.out, "%s\n", t.l.closing[k]);
	save_progress(&t, true);
	fprintf(t.out, "\n== Lesson %s done: %d steps, %d skipped, %d hint%s, %d wrong attempt%s",
		t.name, t.l.n_cmds, t.skipped, t.hints, t.hints == 1 ? "" : "s", t.wrong,
		t.wrong == 1 ? "" : "s");
	if (t.mismatched)
		fprintf(t.out, ", %d output%s not as expected", t.mismatched, t.mismatched == 1 ? "" : "s");
	fprintf(t.out, " ==\n");
	if (t.l.n_see) {
		fprintf(t.out, "Read next:");
		for (int k = 0; k < t.l.n_see; k++)
			fprintf(t.out, "%s man %s", k ? "," : "", t.l.see[k]);
		fputc('\n', t.out);
	}
	rc = 0;
leave:
	if (saved_net >= 0) {
		shell_fini(sh);
		if (lesson_net_leave(saved_net, &e) < 0) {
			gph_err_print(&e, t.out, "error");
			rc = TUTOR_MUST_QUIT;
			goto out;
		}
		fresh_sandbox(&t);
		fprintf(t.out, "The lesson's network namespace is gone; this is a fresh sandbox.\n");
	} else if (rc == 0) {
		fprintf(t.out, "The sandbox stays as the lesson left it: look around (`show`, `exec "
			"...`), `reset` starts afresh, `lessons` lists the others.\n");
	}
out:
	gph_lesson_free(&t.l);
	sh->commands = saved_commands;
	sh->failures = saved_failures;
	return rc;
}

int tutor_list(FILE *out)
{
	char dir[PATH_MAX], pfile[PATH_MAX], state[64], why[512];
	struct gph_err e = {0};
	struct progress p = {0};
	char **paths;
	int n;
	bool have_progress = progress_path(pfile, sizeof pfile) == 0;

	if (lessons_dir(dir, sizeof dir, &e) < 0 || lessons_list(dir, &paths, &n, &e) < 0) {
		gph_err_print(&e, out, "error");
		return 1;
	}
	if (have_progress && progress_load(pfile, &p, &e) < 0) {
		gph_err_print(&e, out, "warning: progress unknown");
		have_progress = false;
	}
	fprintf(out, "Lessons in %s:\n", dir);
	for (int i = 0; i < n; i++) {
		struct gph_lesson l;
		char name[256];
		lesson_short_name(paths[i], name, sizeof name);
		if (gph_lesson_load(paths[i], &l, &e) < 0) {
			fprintf(out, "  %-26s  (does not load: %s)\n", name, e.msg);
			continue;
		}
		progress_describe(progress_get(&p, name), state, sizeof state);
		fprintf(out, "  %-26s  %-16s  %s\n", name, state, l.title ? l.title : "(untitled)");
		if (lesson_first_unmet(&l, why, sizeof why) >= 0)
			fprintf(out, "  %-26s  %-16s  cannot run here: %s\n", "", "", why);
		gph_lesson_free(&l);
	}
	if (n == 0)
		fprintf(out, "  (none)\n");
	fprintf(out, "`lesson NAME` starts one (NAME, its number, or the part after it: `lesson 01`).\n");
	if (have_progress)
		fprintf(out, "Progress is kept in %s.\n", pfile);
	lessons_list_free(paths, n);
	progress_free(&p);
	return 0;
}
