/* `gophernetes-shell --replay FILE...`: each lesson gets a fresh sandbox, each command runs
 * through the same code as a typed one with its output (the engine's step lines and exec's
 * stdout/stderr included) captured in a memory file, and is checked against the lesson's
 * expectations. The sandbox is torn down after every lesson, passed or not. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gph/lesson.h"
#include "tutor.h"

#define SHOW_MAX_LINES 40

/* The captured output so far, NUL-terminated (caller frees); the tutor uses it too. */
char *replay_slurp(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return NULL;
	size_t len = (size_t)st.st_size;
	char *buf = malloc(len + 1);
	if (!buf)
		return NULL;
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	/* Output of a command that wrote a NUL byte is cut there; expectations are text. */
	return buf;
}

/* The whole output, unless the why already quoted all of it (gph_lesson_check shows up to six
 * lines after "output was:"). */
static void print_output(FILE *out, const char *text, const char *why)
{
	int lines = 0, total = 0;
	const char *p = text;
	for (const char *q = text; *q; q++)
		total += *q == '\n' || (q[1] == '\0');
	if (total <= 6 && strstr(why, "output was:"))
		return;
	if (!*p) {
		fprintf(out, "  (no output)\n");
		return;
	}
	fprintf(out, "  output:\n");
	while (*p && lines < SHOW_MAX_LINES) {
		size_t n = strcspn(p, "\n");
		fprintf(out, "    | %.*s\n", (int)n, p);
		lines++;
		p += n;
		if (*p == '\n')
			p++;
	}
	if (*p)
		fprintf(out, "    | ...\n");
}

enum outcome { PASSED, FAILED, SKIPPED };

/* One lesson's result: a headline ("01-pid-namespace (9 commands)", or what failed, or why it was
 * skipped) and the details of a failure, printed afterwards as plain lines or TAP comments. */
struct result {
	char head[1024];
	FILE *detail;
};

static void headline(struct result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void headline(struct result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->head, sizeof r->head, fmt, ap);
	va_end(ap);
}

/* Run one loaded lesson in a fresh sandbox. */
static enum outcome run_lesson(const struct gph_lesson *l, const char *name, const char *rootfs,
			       struct result *r)
{
	struct shell sh;
	struct gph_err e = {0};
	enum outcome res = FAILED;
	FILE *out = r->detail;
	int fd = memfd_create("gph-replay", MFD_CLOEXEC);
	if (fd < 0) {
		headline(r, "%s: memfd_create(\"gph-replay\"): %s", name, strerror(errno));
		return FAILED;
	}
	/* O_APPEND: our writes and the command's (same file, another offset) never overwrite. */
	int fl = fcntl(fd, F_GETFL);
	FILE *cap = fl < 0 || fcntl(fd, F_SETFL, fl | O_APPEND) < 0 ? NULL : fdopen(fd, "a+");
	if (!cap) {
		headline(r, "%s: capturing output (fcntl/fdopen): %s", name, strerror(errno));
		close(fd);
		return FAILED;
	}
	if (shell_init(&sh, rootfs, cap, SHELL_IO_CAPTURE) < 0) {
		headline(r, "%s: could not start a sandbox", name);
		e = sh.start_err;
		gph_err_print(&e, out, "  error");
		goto done;
	}
	for (int i = 0; i < l->n_cmds; i++) {
		const struct gph_lesson_cmd *c = &l->cmds[i];
		char why[4096];
		int status = 0;
		fflush(cap);
		if (ftruncate(fd, 0) < 0) {
			headline(r, "%s: ftruncate(capture): %s", name, strerror(errno));
			goto done;
		}
		enum shell_rc rc = shell_run_line(&sh, c->command, &status);
		fflush(cap);
		char *text = replay_slurp(fd);
		if (!text) {
			headline(r, "%s: reading the captured output: %s", name, strerror(errno));
			goto done;
		}
		bool ok = gph_lesson_check(c, text, status, why, sizeof why);
		if (!ok) {
			headline(r, "%s: %s:%d: $ %s", name, l->path, c->line_no, c->command);
			fprintf(out, "  %s\n", why);
			print_output(out, text, why);
		}
		free(text);
		if (!ok)
			goto done;
		if (shell_stop_signal) {
			headline(r, "%s: stopped by signal %d at line %d", name, (int)shell_stop_signal,
				 c->line_no);
			goto done;
		}
		if (rc == SHELL_QUIT)
			break;
	}
	headline(r, "%s (%d command%s)", name, l->n_cmds, l->n_cmds == 1 ? "" : "s");
	res = PASSED;
done:
	shell_fini(&sh); /* also after a failure: nothing of the lesson stays */
	fclose(cap);
	return res;
}

/* Set when replay cannot go on safely (e.g. it could not return to its network namespace). */
static bool replay_abort;

static enum outcome replay_one(const char *path, const char *rootfs, struct result *r)
{
	struct gph_lesson l;
	struct gph_err e = {0};
	char name[256], why[512];
	enum outcome res;

	lesson_short_name(path, name, sizeof name);
	if (gph_lesson_load(path, &l, &e) < 0) {
		headline(r, "%s: cannot load the lesson", name);
		gph_err_print(&e, r->detail, "  error");
		return FAILED;
	}
	if (gph_lesson_lint(&l, NULL) > 0) {
		headline(r, "%s: the lesson breaks the rules of lessons/README.md", name);
		gph_lesson_lint(&l, r->detail);
		gph_lesson_free(&l);
		return FAILED;
	}
	/* Unmet needs: skipped with the reason, never counted as passed. */
	if (lesson_first_unmet(&l, why, sizeof why) >= 0) {
		headline(r, "%s: %s", name, why);
		gph_lesson_free(&l);
		return SKIPPED;
	}
	int saved_net = -1;
	if (lesson_net_enter(&l, &saved_net, &e) < 0) {
		headline(r, "%s: cannot give the lesson a network namespace of its own", name);
		gph_err_print(&e, r->detail, "  error");
		gph_lesson_free(&l);
		return FAILED;
	}
	res = run_lesson(&l, name, rootfs, r);
	gph_lesson_free(&l);
	if (lesson_net_leave(saved_net, &e) < 0) {
		gph_err_print(&e, r->detail, "  error");
		replay_abort = true;
		res = FAILED;
	}
	return res;
}

/* Each line of text, prefixed (TAP diagnostics are "# " lines). */
static void print_prefixed(FILE *out, const char *text, const char *prefix)
{
	while (*text) {
		size_t n = strcspn(text, "\n");
		fprintf(out, "%s%.*s\n", prefix, (int)n, text);
		text += n;
		if (*text == '\n')
			text++;
	}
}

static void print_result(FILE *out, bool tap, int number, enum outcome res, const struct result *r,
			 const char *detail)
{
	if (!tap) {
		static const char *const word[] = {[PASSED] = "ok  ", [FAILED] = "FAIL", [SKIPPED] = "skip"};
		fprintf(out, "%s %s\n", word[res], r->head);
		print_prefixed(out, detail, "");
		return;
	}
	/* TAP: "# SKIP reason" is a directive, so a skipped lesson is never read as a pass. */
	const char *reason = strstr(r->head, ": ");
	if (res == SKIPPED && reason)
		fprintf(out, "ok %d - %.*s # SKIP %s\n", number, (int)(reason - r->head), r->head,
			reason + 2);
	else if (res == SKIPPED)
		fprintf(out, "ok %d - %s # SKIP\n", number, r->head);
	else
		fprintf(out, "%s %d - %s\n", res == PASSED ? "ok" : "not ok", number, r->head);
	print_prefixed(out, detail, "# ");
}

int shell_replay_opts(const char *rootfs, char *const *files, int n, FILE *out, bool tap)
{
	int count[3] = {0, 0, 0}, done = 0;
	struct gph_err e = {0};

	if (shell_catch_stop_signals(true, &e) < 0) {
		gph_err_print(&e, stderr, "error");
		return 1;
	}
	if (tap)
		fprintf(out, "TAP version 13\n1..%d\n", n);
	for (; done < n && !shell_stop_signal && !replay_abort; done++) {
		struct result r = {.head = ""};
		char *detail = NULL;
		size_t len = 0;
		enum outcome res;
		fflush(out);
		if (!(r.detail = open_memstream(&detail, &len))) {
			fprintf(out, "error: open_memstream: %s\n", strerror(errno));
			return 1;
		}
		res = replay_one(files[done], rootfs, &r);
		fclose(r.detail);
		print_result(out, tap, done + 1, res, &r, detail ? detail : "");
		free(detail);
		count[res]++;
		fflush(out);
	}
	if (tap && done < n)
		fprintf(out, "Bail out! %s\n", shell_stop_signal ? "stopped by a signal" :
			"could not return to the original network namespace");
	fprintf(out, "%s%d passed, %d failed", tap ? "# " : "", count[PASSED], count[FAILED]);
	if (count[SKIPPED])
		fprintf(out, ", %d skipped", count[SKIPPED]);
	fputc('\n', out);
	fflush(out);
	if (shell_stop_signal)
		return 128 + shell_stop_signal;
	return count[FAILED] || done < n ? 1 : 0;
}

int shell_replay(const char *rootfs, char *const *files, int n, FILE *out)
{
	return shell_replay_opts(rootfs, files, n, out, false);
}

int shell_lint(char *const *files, int n, FILE *out)
{
	int bad = 0;
	for (int i = 0; i < n; i++) {
		struct gph_lesson l;
		struct gph_err e = {0};
		if (gph_lesson_load(files[i], &l, &e) < 0) {
			gph_err_print(&e, out, "error");
			bad++;
			continue;
		}
		bad += gph_lesson_lint(&l, out) > 0;
		gph_lesson_free(&l);
	}
	fprintf(out, "lint: %d lesson%s, %d with problems\n", n, n == 1 ? "" : "s", bad);
	return bad ? 1 : 0;
}
