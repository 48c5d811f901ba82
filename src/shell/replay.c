/* `gophernetes-shell --replay FILE...`: each lesson gets a fresh sandbox, each command runs
 * through the same code as a typed one with its output (the engine's step lines and exec's
 * stdout/stderr included) captured in a memory file, and is checked against the lesson's
 * expectations. The sandbox is torn down after every lesson, passed or not. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gph/cgroup.h"
#include "gph/lesson.h"
#include "gph/net.h"
#include "shell.h"

#define SHOW_MAX_LINES 40

/* "lessons/01-pid-namespace.lesson" -> "01-pid-namespace". */
static void lesson_name(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(buf, len, "%s", base);
	size_t n = strlen(buf);
	if (n > 7 && !strcmp(buf + n - 7, ".lesson"))
		buf[n - 7] = '\0';
}

/* Whether this machine meets one @needs; if not, why into why. */
static bool need_met(const char *need, char *why, size_t len)
{
	if (!strcmp(need, "root") || !strcmp(need, "net")) {
		if (geteuid() == 0)
			return true;
		snprintf(why, len, "needs root%s, running as uid %u",
			 !strcmp(need, "net") ? " (for networking)" : "", (unsigned)geteuid());
		return false;
	}
	if (!strcmp(need, "cgroup2")) {
		enum gph_cg_mode mode;
		struct gph_err e = {0};
		if (gph_cg_detect("/sys/fs/cgroup", &mode, &e) < 0) {
			snprintf(why, len, "needs cgroup v2, and the cgroup mode is unknown: %.300s", e.msg);
			return false;
		}
		if (mode == GPH_CG_V2)
			return true;
		snprintf(why, len, "needs cgroup v2, and this host is %s", gph_cg_mode_name(mode));
		return false;
	}
	if (!strcmp(need, "userns")) {
		FILE *f = fopen("/proc/sys/user/max_user_namespaces", "re");
		long max = 0;
		if (f) {
			if (fscanf(f, "%ld", &max) != 1)
				max = 0;
			fclose(f);
		}
		if (max > 0)
			return true;
		snprintf(why, len, "needs user namespaces, and /proc/sys/user/max_user_namespaces is %s",
			 f ? "0" : "missing");
		return false;
	}
	snprintf(why, len, "unknown need \"%s\"", need);
	return false;
}

/* The captured output so far, NUL-terminated (caller frees). */
static char *slurp(int fd)
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

/* Run one loaded lesson in a fresh sandbox. Prints its result line (and details on failure). */
static enum outcome run_lesson(const struct gph_lesson *l, const char *name, const char *rootfs,
			       FILE *out)
{
	struct shell sh;
	struct gph_err e = {0};
	enum outcome res = FAILED;
	int fd = memfd_create("gph-replay", MFD_CLOEXEC);
	if (fd < 0) {
		fprintf(out, "FAIL %s: memfd_create(\"gph-replay\"): %s\n", name, strerror(errno));
		return FAILED;
	}
	/* O_APPEND: our writes and the command's (same file, another offset) never overwrite. */
	int fl = fcntl(fd, F_GETFL);
	FILE *cap = fl < 0 || fcntl(fd, F_SETFL, fl | O_APPEND) < 0 ? NULL : fdopen(fd, "a+");
	if (!cap) {
		fprintf(out, "FAIL %s: capturing output (fcntl/fdopen): %s\n", name, strerror(errno));
		close(fd);
		return FAILED;
	}
	if (shell_init(&sh, rootfs, cap, SHELL_IO_CAPTURE) < 0) {
		fprintf(out, "FAIL %s: could not start a sandbox\n", name);
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
			fprintf(out, "FAIL %s: ftruncate(capture): %s\n", name, strerror(errno));
			goto done;
		}
		enum shell_rc rc = shell_run_line(&sh, c->command, &status);
		fflush(cap);
		char *text = slurp(fd);
		if (!text) {
			fprintf(out, "FAIL %s: reading the captured output: %s\n", name, strerror(errno));
			goto done;
		}
		bool ok = gph_lesson_check(c, text, status, why, sizeof why);
		if (!ok) {
			fprintf(out, "FAIL %s: %s:%d: $ %s\n", name, l->path, c->line_no, c->command);
			fprintf(out, "  %s\n", why);
			print_output(out, text, why);
		}
		free(text);
		if (!ok)
			goto done;
		if (shell_stop_signal) {
			fprintf(out, "FAIL %s: stopped by signal %d at line %d\n", name,
				(int)shell_stop_signal, c->line_no);
			goto done;
		}
		if (rc == SHELL_QUIT)
			break;
	}
	fprintf(out, "ok   %s (%d command%s)\n", name, l->n_cmds, l->n_cmds == 1 ? "" : "s");
	res = PASSED;
done:
	shell_fini(&sh); /* also after a failure: nothing of the lesson stays */
	fclose(cap);
	return res;
}

/* Set when replay cannot go on safely (e.g. it could not return to its network namespace). */
static bool replay_abort;

static enum outcome replay_one(const char *path, const char *rootfs, FILE *out)
{
	struct gph_lesson l;
	struct gph_err e = {0};
	char name[256], why[512];
	enum outcome res;

	lesson_name(path, name, sizeof name);
	if (gph_lesson_load(path, &l, &e) < 0) {
		fprintf(out, "FAIL %s: cannot load the lesson\n", name);
		gph_err_print(&e, out, "  error");
		return FAILED;
	}
	if (gph_lesson_lint(&l, NULL) > 0) {
		fprintf(out, "FAIL %s: the lesson breaks the rules of lessons/README.md:\n", name);
		gph_lesson_lint(&l, out);
		gph_lesson_free(&l);
		return FAILED;
	}
	for (int i = 0; i < l.n_needs; i++)
		if (!need_met(l.needs[i], why, sizeof why)) {
			fprintf(out, "skip %s: %s\n", name, why);
			gph_lesson_free(&l);
			return SKIPPED;
		}
	/* A network lesson changes the shell's own network namespace (host veth ends, a bridge,
	 * nftables rules, ip_forward): replay, being a test, gives it a fresh one. */
	int saved_net = -1;
	for (int i = 0; i < l.n_needs; i++)
		if (!strcmp(l.needs[i], "net") && gph_net_private_enter(&saved_net, &e) < 0) {
			fprintf(out, "FAIL %s: cannot give the lesson a network namespace of its own\n", name);
			gph_err_print(&e, out, "  error");
			gph_lesson_free(&l);
			return FAILED;
		}
	fflush(out);
	res = run_lesson(&l, name, rootfs, out);
	gph_lesson_free(&l);
	if (saved_net >= 0 && gph_net_private_leave(saved_net, &e) < 0) {
		gph_err_print(&e, out, "  error");
		replay_abort = true;
		res = FAILED;
	}
	fflush(out);
	return res;
}

int shell_replay(const char *rootfs, char *const *files, int n, FILE *out)
{
	int count[3] = {0, 0, 0};
	struct gph_err e = {0};

	if (shell_catch_stop_signals(true, &e) < 0) {
		gph_err_print(&e, stderr, "error");
		return 1;
	}
	for (int i = 0; i < n && !shell_stop_signal && !replay_abort; i++)
		count[replay_one(files[i], rootfs, out)]++;
	fprintf(out, "%d passed, %d failed", count[PASSED], count[FAILED]);
	if (count[SKIPPED])
		fprintf(out, ", %d skipped", count[SKIPPED]);
	fputc('\n', out);
	fflush(out);
	if (shell_stop_signal)
		return 128 + shell_stop_signal;
	return count[FAILED] ? 1 : 0;
}
