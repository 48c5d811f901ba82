/* Unit tests for include/gph/lesson.h: parser (every error path), loader, lint, output check. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gph/error.h"
#include "gph/lesson.h"
#include "suites.h"

/* A lesson as an author would write one (also documented in lessons/README.md). */
static const char realistic[] =
	"# PID namespaces: the first process is PID 1.\n"
	"@title A process that is PID 1\n"
	"@see pid_namespaces(7), unshare(2)\n"
	"@see proc(5)\n"
	"@needs root\n"
	"\n"
	"| Outside a new PID namespace, our shell has some large PID.\n"
	"| Let us look at the PID namespace we start in.\n"
	"$ exec readlink /proc/self/ns/pid\n"
	"~ pid:[#]\n"
	"\n"
	"| Now unshare the PID namespace.\n"
	"@ask Why does the namespace only apply to children?\n"
	"$ ns pid\n"
	"$ exec /bin/sh -c 'echo $$; hostname'\n"
	"= 1\n"
	"! *not found*\n"
	"|\n"
	"| Mounting /proc again shows only our processes.\n"
	"$ exec ps\n"
	"~ *PID*\n"
	"~    1 *   \n"
	"=  one space kept\n"
	"? exit 0\n"
	"$ exec false\n"
	"? error\n"
	"$ exec sh -c 'exit 3'\n"
	"? exit 3\n"
	"| That is all: PID 1 is special.\n"
	"| Read pid_namespaces(7) next.\n";

START_TEST(parse_realistic)
{
	struct gph_lesson l;
	struct gph_err e = { 0 };
	ck_assert_msg(gph_lesson_parse(realistic, "pid.lesson", &l, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(l.path, "pid.lesson");
	ck_assert_str_eq(l.title, "A process that is PID 1");
	ck_assert_int_eq(l.n_see, 3);
	ck_assert_str_eq(l.see[0], "pid_namespaces(7)");
	ck_assert_str_eq(l.see[1], "unshare(2)");
	ck_assert_str_eq(l.see[2], "proc(5)");
	ck_assert_int_eq(l.n_needs, 1);
	ck_assert_str_eq(l.needs[0], "root");
	ck_assert_int_eq(l.n_cmds, 6);

	struct gph_lesson_cmd *c = &l.cmds[0];
	ck_assert_str_eq(c->command, "exec readlink /proc/self/ns/pid");
	ck_assert_int_eq(c->line_no, 9);
	ck_assert_int_eq(c->n_narration, 2);
	ck_assert_str_eq(c->narration[0], "Outside a new PID namespace, our shell has some large PID.");
	ck_assert_str_eq(c->narration[1], "Let us look at the PID namespace we start in.");
	ck_assert_int_eq(c->n_asks, 0);
	ck_assert_int_eq(c->n_expects, 1);
	ck_assert_int_eq(c->expects[0].kind, GPH_EXPECT_GLOB);
	ck_assert_str_eq(c->expects[0].text, "pid:[#]");
	ck_assert_int_eq(c->expects[0].line_no, 10);
	ck_assert_int_eq(c->status_kind, GPH_STATUS_SUCCESS);

	c = &l.cmds[1];
	ck_assert_str_eq(c->command, "ns pid");
	ck_assert_int_eq(c->n_narration, 1);
	ck_assert_str_eq(c->narration[0], "Now unshare the PID namespace.");
	ck_assert_int_eq(c->n_asks, 1);
	ck_assert_str_eq(c->asks[0], "Why does the namespace only apply to children?");
	ck_assert_int_eq(c->n_expects, 0);

	c = &l.cmds[2];
	ck_assert_str_eq(c->command, "exec /bin/sh -c 'echo $$; hostname'");
	ck_assert_int_eq(c->n_narration, 0);
	ck_assert_int_eq(c->n_expects, 2);
	ck_assert_int_eq(c->expects[0].kind, GPH_EXPECT_EXACT);
	ck_assert_str_eq(c->expects[0].text, "1");
	ck_assert_int_eq(c->expects[1].kind, GPH_EXPECT_ABSENT);
	ck_assert_str_eq(c->expects[1].text, "*not found*");
	ck_assert_int_eq(c->expects[1].line_no, 17);

	c = &l.cmds[3];
	ck_assert_int_eq(c->n_narration, 2);
	ck_assert_str_eq(c->narration[0], ""); /* a bare "|" is an empty line of narration */
	ck_assert_int_eq(c->n_expects, 3);
	ck_assert_str_eq(c->expects[1].text, "   1 *"); /* leading kept, trailing trimmed */
	ck_assert_str_eq(c->expects[2].text, " one space kept");
	ck_assert_int_eq(c->status_kind, GPH_STATUS_EXIT);
	ck_assert_int_eq(c->status, 0);

	ck_assert_int_eq(l.cmds[4].status_kind, GPH_STATUS_ERROR);
	ck_assert_int_eq(l.cmds[5].status_kind, GPH_STATUS_EXIT);
	ck_assert_int_eq(l.cmds[5].status, 3);
	ck_assert_int_eq(l.cmds[5].line_no, 27);

	ck_assert_int_eq(l.n_closing, 2);
	ck_assert_str_eq(l.closing[0], "That is all: PID 1 is special.");
	ck_assert_str_eq(l.closing[1], "Read pid_namespaces(7) next.");

	/* "ns pid" has no expectation: the one lint problem of this lesson. */
	char *report = NULL;
	size_t report_len = 0;
	FILE *f = open_memstream(&report, &report_len);
	ck_assert_int_eq(gph_lesson_lint(&l, f), 1);
	fclose(f);
	ck_assert_str_eq(report, "pid.lesson:14: \"$ ns pid\" has no expectation: add =, ~ or ! lines, "
			 "or a ? line\n");
	free(report);

	/* And the matcher against output such a run would give. */
	char why[512];
	ck_assert_msg(gph_lesson_check(&l.cmds[0], "pid:[4026532200]\n", 0, why, sizeof why), "%s", why);
	ck_assert_msg(gph_lesson_check(&l.cmds[2], "1\nbox\n", 0, why, sizeof why), "%s", why);
	ck_assert(!gph_lesson_check(&l.cmds[2], "sh: hostname: not found\n1\n", 0, why, sizeof why));
	ck_assert(!gph_lesson_check(&l.cmds[2], "4242\nbox\n", 0, why, sizeof why));
	ck_assert_msg(gph_lesson_check(&l.cmds[3], "PID   USER     TIME  COMMAND\n   1 root      0:00 ps\n"
				       " one space kept\n", 0, why, sizeof why), "%s", why);
	ck_assert_msg(gph_lesson_check(&l.cmds[4], "", 1, why, sizeof why), "%s", why);
	ck_assert(!gph_lesson_check(&l.cmds[4], "", 0, why, sizeof why));
	ck_assert(gph_lesson_check(&l.cmds[5], "", 3, why, sizeof why));
	ck_assert(!gph_lesson_check(&l.cmds[5], "", 0, why, sizeof why));

	gph_lesson_free(&l);
	ck_assert_ptr_null(l.cmds);
	ck_assert_int_eq(l.n_cmds, 0);
	gph_lesson_free(&l); /* twice is harmless */
}
END_TEST

START_TEST(parse_details)
{
	struct gph_lesson l;
	struct gph_err e = { 0 };
	const char *text =
		"@title  Spaces   inside are kept   \r\n"
		"@see unshare(2),clone(2)  ,  ip-netns(8)\r\n"
		"@needs root, net\n"
		"@needs userns cgroup2 root\n"
		"   \t \n"
		"$ ls   \n"
		"=\n"
		"~\n"
		"!\n"
		"= tabs\there\n"
		"# comment between expectations\n"
		"= after comment\n"
		"$ true"; /* no final newline */
	ck_assert_msg(gph_lesson_parse(text, NULL, &l, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(l.path, "lesson");
	ck_assert_str_eq(l.title, "Spaces   inside are kept");
	ck_assert_int_eq(l.n_see, 3);
	ck_assert_str_eq(l.see[1], "clone(2)");
	ck_assert_str_eq(l.see[2], "ip-netns(8)");
	ck_assert_int_eq(l.n_needs, 4);
	ck_assert_str_eq(l.needs[0], "root");
	ck_assert_str_eq(l.needs[1], "net");
	ck_assert_str_eq(l.needs[2], "userns");
	ck_assert_str_eq(l.needs[3], "cgroup2");
	ck_assert_int_eq(l.n_cmds, 2);
	ck_assert_str_eq(l.cmds[0].command, "ls");
	ck_assert_int_eq(l.cmds[0].line_no, 6);
	ck_assert_int_eq(l.cmds[0].n_expects, 5);
	ck_assert_str_eq(l.cmds[0].expects[0].text, "");
	ck_assert_int_eq(l.cmds[0].expects[1].kind, GPH_EXPECT_GLOB);
	ck_assert_str_eq(l.cmds[0].expects[1].text, "");
	ck_assert_int_eq(l.cmds[0].expects[2].kind, GPH_EXPECT_ABSENT);
	ck_assert_str_eq(l.cmds[0].expects[3].text, "tabs\there");
	ck_assert_str_eq(l.cmds[0].expects[4].text, "after comment");
	ck_assert_int_eq(l.cmds[0].expects[4].line_no, 12);
	ck_assert_str_eq(l.cmds[1].command, "true");
	ck_assert_int_eq(l.n_closing, 0);
	gph_lesson_free(&l);
}
END_TEST

START_TEST(parse_empty_and_narration_only)
{
	struct gph_lesson l;
	struct gph_err e = { 0 };
	ck_assert_int_eq(gph_lesson_parse("", "e.lesson", &l, &e), 0);
	ck_assert_int_eq(l.n_cmds, 0);
	ck_assert_ptr_null(l.title);
	gph_lesson_free(&l);
	ck_assert_int_eq(gph_lesson_parse("| just words\n", "e.lesson", &l, &e), 0);
	ck_assert_int_eq(l.n_closing, 1);
	ck_assert_str_eq(l.closing[0], "just words");
	gph_lesson_free(&l);
}
END_TEST

/* Every way a lesson can be malformed, with the line the message must name. */
static const struct { const char *text; const char *msg; } bad_lessons[] = {
	{ "= 1\n", "bad.lesson:1: '=' line before any command" },
	{ "@title t\n\n~ x\n", "bad.lesson:3: '~' line before any command" },
	{ "! x\n", "bad.lesson:1: '!' line before any command" },
	{ "? error\n", "bad.lesson:1: '?' line before any command" },
	{ "$ ls\nhello\n", "bad.lesson:2: unknown line \"hello\"" },
	{ "$ ls\n  = indented\n", "bad.lesson:2: unknown line \"  = indented\"" },
	{ "  # indented comment\n", "bad.lesson:1: unknown line" },
	{ "$ ls\n=x\n", "bad.lesson:2: \"=x\": put a space after '='" },
	{ "$ls\n", "bad.lesson:1: \"$ls\": put a space after '$'" },
	{ "|narration\n", "bad.lesson:1: \"|narration\": put a space after '|'" },
	{ "$ ls\n?error\n", "bad.lesson:2: \"?error\": put a space after '?'" },
	{ "$\n", "bad.lesson:1: empty command" },
	{ "$   \n", "bad.lesson:1: empty command" },
	{ "$ # only a comment\n", "bad.lesson:1: empty command" },
	{ "$ exec sh -c 'echo hi\n", "bad.lesson:1: unterminated single quote in: exec sh -c 'echo hi" },
	{ "$ ls\n$ echo \"a\n", "bad.lesson:2: unterminated double quote" },
	{ "@title a\n@title b\n", "bad.lesson:2: a second @title (the first is on line 1)" },
	{ "@title\n", "bad.lesson:1: @title without a title" },
	{ "@title   \n", "bad.lesson:1: @title without a title" },
	{ "@see\n", "bad.lesson:1: @see without a page" },
	{ "@see , ,\n", "bad.lesson:1: @see without a page" },
	{ "@see unshare\n", "bad.lesson:1: @see \"unshare\" is not a man page reference" },
	{ "@see unshare(2) clone(x)\n", "bad.lesson:1: @see \"clone(x)\"" },
	{ "@see (2)\n", "bad.lesson:1: @see \"(2)\"" },
	{ "@see unshare(2\n", "bad.lesson:1: @see \"unshare(2\"" },
	{ "@see unshare()\n", "bad.lesson:1: @see \"unshare()\"" },
	{ "@needs\n", "bad.lesson:1: @needs without a value" },
	{ "@needs root magic\n", "bad.lesson:1: unknown @needs \"magic\"" },
	{ "@needs Root\n", "bad.lesson:1: unknown @needs \"Root\"" },
	{ "@tilte x\n", "bad.lesson:1: unknown directive \"@tilte\"" },
	{ "@\n", "bad.lesson:1: unknown directive \"@\"" },
	{ "@ask\n$ ls\n", "bad.lesson:1: @ask without a question" },
	{ "$ ls\n= a\n@ask why?\n@ask and?\n", "bad.lesson:3: @ask after the last command" },
	{ "$ ls\n? exit\n", "bad.lesson:2: unknown status check \"? exit\"" },
	{ "$ ls\n? exit x\n", "bad.lesson:2: \"? exit x\": the exit status must be a number 0-255" },
	{ "$ ls\n? exit 256\n", "bad.lesson:2: \"? exit 256\": the exit status must be" },
	{ "$ ls\n? exit 99999999999\n", "bad.lesson:2: \"? exit 99999999999\": the exit status" },
	{ "$ ls\n? exit -1\n", "bad.lesson:2: \"? exit -1\": the exit status must be" },
	{ "$ ls\n? exit 3x\n", "bad.lesson:2: \"? exit 3x\": the exit status must be" },
	{ "$ ls\n? maybe\n", "bad.lesson:2: unknown status check \"? maybe\"" },
	{ "$ ls\n? errors\n", "bad.lesson:2: unknown status check \"? errors\"" },
	{ "$ ls\n? error\n? exit 1\n", "bad.lesson:3: a second '?' line for the command on line 1" },
	{ "$ ls\n| words\n= a\n", "bad.lesson:3: '=' line after narration or @ask (line 2)" },
	{ "$ ls\n@ask q\n? error\n", "bad.lesson:3: '?' line after narration or @ask (line 2)" },
};

START_TEST(parse_bad)
{
	struct gph_lesson l;
	struct gph_err e = { 0 };
	e.errnum = 99;
	ck_assert_msg(gph_lesson_parse(bad_lessons[_i].text, "bad.lesson", &l, &e) == -1,
		      "accepted: [%s]", bad_lessons[_i].text);
	ck_assert_int_eq(e.errnum, 0);
	ck_assert_msg(strncmp(e.msg, bad_lessons[_i].msg, strlen(bad_lessons[_i].msg)) == 0,
		      "message \"%s\", want it to start \"%s\"", e.msg, bad_lessons[_i].msg);
	ck_assert_ptr_nonnull(strstr(e.hint, "lessons/README.md"));
	/* Nothing is left half-built. */
	ck_assert_ptr_null(l.path);
	ck_assert_ptr_null(l.title);
	ck_assert_ptr_null(l.cmds);
	ck_assert_int_eq(l.n_cmds, 0);
	ck_assert_int_eq(l.n_see, 0);
	gph_lesson_free(&l);
}
END_TEST

START_TEST(parse_exit_values)
{
	struct gph_lesson l;
	struct gph_err e = { 0 };
	ck_assert_msg(gph_lesson_parse("$ a\n? exit 255\n$ b\n? exit  7\n$ c\n? exit 000\n", "x", &l, &e)
		      == 0, "%s", e.msg);
	ck_assert_int_eq(l.cmds[0].status, 255);
	ck_assert_int_eq(l.cmds[1].status, 7);
	ck_assert_int_eq(l.cmds[2].status_kind, GPH_STATUS_EXIT);
	ck_assert_int_eq(l.cmds[2].status, 0);
	gph_lesson_free(&l);
}
END_TEST

/* ---- loading from a file ---------------------------------------------------------------- */

static char tmp_path[64];

static void write_tmp(const char *data, size_t len)
{
	strcpy(tmp_path, "/tmp/gph-lesson-test-XXXXXX");
	int fd = mkstemp(tmp_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

START_TEST(load_file)
{
	struct gph_lesson l;
	struct gph_err e = { 0 };
	write_tmp(realistic, strlen(realistic));
	int rc = gph_lesson_load(tmp_path, &l, &e);
	unlink(tmp_path);
	ck_assert_msg(rc == 0, "%s", e.msg);
	ck_assert_str_eq(l.path, tmp_path);
	ck_assert_str_eq(l.title, "A process that is PID 1");
	ck_assert_int_eq(l.n_cmds, 6);
	gph_lesson_free(&l);
}
END_TEST

START_TEST(load_errors)
{
	struct gph_lesson l;
	struct gph_err e = { 0 };

	ck_assert_int_eq(gph_lesson_load("/nonexistent/x.lesson", &l, &e), -1);
	ck_assert_int_eq(e.errnum, ENOENT);
	ck_assert_str_eq(e.msg, "open(\"/nonexistent/x.lesson\")");
	ck_assert_ptr_null(l.cmds);

	ck_assert_int_eq(gph_lesson_load("/tmp", &l, &e), -1);
	ck_assert_int_eq(e.errnum, EISDIR);
	ck_assert_str_eq(e.msg, "read(\"/tmp\")");

	write_tmp("$ ls\n= a\0b\n", 11);
	int rc = gph_lesson_load(tmp_path, &l, &e);
	unlink(tmp_path);
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "NUL byte"));

	/* A parse error carries the file's path and line. */
	write_tmp("$ ls\nbogus\n", 11);
	rc = gph_lesson_load(tmp_path, &l, &e);
	ck_assert_int_eq(rc, -1);
	char want[128];
	snprintf(want, sizeof want, "%s:2: unknown line", tmp_path);
	unlink(tmp_path);
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0, "%s", e.msg);

	/* Larger than a lesson can reasonably be. */
	size_t big = 2 * 1024 * 1024;
	char *data = malloc(big);
	ck_assert_ptr_nonnull(data);
	memset(data, '#', big);
	write_tmp(data, big);
	free(data);
	rc = gph_lesson_load(tmp_path, &l, &e);
	unlink(tmp_path);
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "larger than"));
}
END_TEST

/* ---- lint ------------------------------------------------------------------------------- */

/* Parse text (must succeed), lint it, and return the report (caller frees). */
static char *lint_text(const char *text, int *problems)
{
	struct gph_lesson l;
	struct gph_err e = { 0 };
	char *report = NULL;
	size_t len = 0;
	ck_assert_msg(gph_lesson_parse(text, "l.lesson", &l, &e) == 0, "%s", e.msg);
	FILE *f = open_memstream(&report, &len);
	ck_assert_ptr_nonnull(f);
	*problems = gph_lesson_lint(&l, f);
	fclose(f);
	gph_lesson_free(&l);
	return report;
}

START_TEST(lint_clean)
{
	int n;
	char *r = lint_text("@title t\n@see unshare(2)\n$ a\n= x\n$ b\n? error\n$ c\n? exit 0\n"
			    "$ d\n! *error*\n$ e\n~ *x*\n$ f\n~ \\*\n", &n);
	ck_assert_msg(n == 0, "%s", r);
	ck_assert_str_eq(r, "");
	free(r);
}
END_TEST

START_TEST(lint_problems)
{
	int n;
	char *r = lint_text("$ a\n~ *\n$ b\n$ c\n~ **\n~ *a\n! *\n", &n);
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(r,
		"l.lesson:1: no @title line\n"
		"l.lesson:1: no @see line: name the man pages to read next, e.g. @see namespaces(7)\n"
		"l.lesson:2: \"~ *\" matches any line: expect something the learner should see\n"
		"l.lesson:3: \"$ b\" has no expectation: add =, ~ or ! lines, or a ? line\n"
		"l.lesson:5: \"~ **\" matches any line: expect something the learner should see\n");
	free(r);

	r = lint_text("@title t\n@see a(1)\n", &n);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(r, "l.lesson:1: no \"$ command\" lines\n");
	free(r);

	/* f may be NULL: only the count. */
	struct gph_lesson l;
	struct gph_err e = { 0 };
	ck_assert_int_eq(gph_lesson_parse("$ a\n", "x", &l, &e), 0);
	ck_assert_int_eq(gph_lesson_lint(&l, NULL), 3);
	gph_lesson_free(&l);
}
END_TEST

/* ---- checking output -------------------------------------------------------------------- */

static struct gph_lesson checked;

/* Parse "$ cmd" plus the given expectation lines into checked; return its only command. */
static const struct gph_lesson_cmd *cmd_with(const char *expect_lines)
{
	char text[1024];
	struct gph_err e = { 0 };
	snprintf(text, sizeof text, "$ cmd\n%s", expect_lines);
	gph_lesson_free(&checked);
	ck_assert_msg(gph_lesson_parse(text, "c.lesson", &checked, &e) == 0, "%s", e.msg);
	return &checked.cmds[0];
}

static void check_teardown(void)
{
	gph_lesson_free(&checked);
}

START_TEST(check_in_order)
{
	char why[1024];
	const struct gph_lesson_cmd *c = cmd_with("~ a*\n= b\n");
	ck_assert_msg(gph_lesson_check(c, "a1\nnoise\nb\n", 0, why, sizeof why), "%s", why);
	ck_assert_str_eq(why, "");
	ck_assert(!gph_lesson_check(c, "b\na1\n", 0, why, sizeof why));
	ck_assert_str_eq(why, "expected the line \"b\" after line 2; output was:\n    1| b\n    2| a1");
	ck_assert(!gph_lesson_check(c, "x\ny\n", 0, why, sizeof why));
	ck_assert_str_eq(why, "expected a line matching \"a*\"; output was:\n    1| x\n    2| y");

	/* One line satisfies one expectation only. */
	c = cmd_with("= a\n= a\n");
	ck_assert(!gph_lesson_check(c, "a\n", 0, why, sizeof why));
	ck_assert(gph_lesson_check(c, "a\nz\na\n", 0, why, sizeof why));
}
END_TEST

START_TEST(check_why_example)
{
	char why[1024];
	const struct gph_lesson_cmd *c = cmd_with("= one\n= two\n= three\n~ PID 1*\n");
	ck_assert(!gph_lesson_check(c, "one\ntwo\nthree\nPID 2\n", 0, why, sizeof why));
	ck_assert_str_eq(why, "expected a line matching \"PID 1*\" after line 3; output was:\n"
			 "    1| one\n    2| two\n    3| three\n    4| PID 2");
	/* A PID 1 line before the matched ones does not count. */
	ck_assert(!gph_lesson_check(c, "PID 1\none\ntwo\nthree\n", 0, why, sizeof why));
	ck_assert(gph_lesson_check(c, "one\ntwo\nthree\nPID 1 init\n", 0, why, sizeof why));
}
END_TEST

START_TEST(check_absent)
{
	char why[1024];
	const struct gph_lesson_cmd *c = cmd_with("= b\n! a*\n");
	ck_assert(gph_lesson_check(c, "b\nc\n", 0, why, sizeof why));
	/* '!' looks at every line, also those before the matched ones. */
	ck_assert(!gph_lesson_check(c, "a1\nb\n", 0, why, sizeof why));
	ck_assert_str_eq(why, "expected no line matching \"a*\", but line 1 is \"a1\"");
	c = cmd_with("! *\n");
	ck_assert(gph_lesson_check(c, "", 0, why, sizeof why));
	ck_assert(!gph_lesson_check(c, "\n", 0, why, sizeof why));
}
END_TEST

START_TEST(check_status)
{
	char why[1024];
	const struct gph_lesson_cmd *c = cmd_with("= ok\n");
	ck_assert(gph_lesson_check(c, "ok\n", 0, why, sizeof why));
	ck_assert(!gph_lesson_check(c, "ok\n", 1, why, sizeof why));
	ck_assert_str_eq(why, "expected success (status 0), but the command's status was 1; "
			 "output was:\n    1| ok");

	c = cmd_with("? exit 3\n");
	ck_assert(gph_lesson_check(c, "", 3, why, sizeof why));
	ck_assert(!gph_lesson_check(c, "", 0, why, sizeof why));
	ck_assert_str_eq(why, "expected exit status 3, but the command's status was 0; there was no output");
	ck_assert(!gph_lesson_check(c, "", 4, why, sizeof why));

	c = cmd_with("? error\n~ *denied*\n");
	ck_assert(gph_lesson_check(c, "mount: permission denied\n", 32, why, sizeof why));
	ck_assert(gph_lesson_check(c, "killed: permission denied\n", 137, why, sizeof why));
	ck_assert(!gph_lesson_check(c, "mount: no such file\n", 32, why, sizeof why));
	ck_assert(!gph_lesson_check(c, "permission denied\n", 0, why, sizeof why));
	ck_assert_ptr_nonnull(strstr(why, "expected the command to fail"));

	c = cmd_with("? exit 0\n");
	ck_assert(gph_lesson_check(c, "", 0, why, sizeof why));
	ck_assert(!gph_lesson_check(c, "", 2, why, sizeof why));
}
END_TEST

START_TEST(check_line_handling)
{
	char why[1024];
	const struct gph_lesson_cmd *c = cmd_with("= a b\n= \n= c\n");
	/* CRLF from a terminal and trailing blanks do not matter; an empty line is a line. */
	ck_assert_msg(gph_lesson_check(c, "a b  \r\n\r\nc", 0, why, sizeof why), "%s", why);
	ck_assert(!gph_lesson_check(c, "a b\nc\n", 0, why, sizeof why));
	/* Leading blanks do. */
	ck_assert(!gph_lesson_check(c, " a b\n\nc\n", 0, why, sizeof why));

	c = cmd_with("= x\n");
	ck_assert(!gph_lesson_check(c, NULL, 0, why, sizeof why));
	ck_assert_str_eq(why, "expected the line \"x\"; there was no output");
	ck_assert(!gph_lesson_check(c, "", 0, why, sizeof why));
	c = cmd_with("! x\n");
	ck_assert(gph_lesson_check(c, NULL, 0, why, sizeof why));
}
END_TEST

START_TEST(check_truncated_output)
{
	char why[2048], out[1024] = "";
	const struct gph_lesson_cmd *c = cmd_with("= line 1\n= missing\n");
	for (int i = 1; i <= 20; i++) {
		char l[32];
		snprintf(l, sizeof l, "line %d\n", i);
		strcat(out, l);
	}
	ck_assert(!gph_lesson_check(c, out, 0, why, sizeof why));
	/* The search started after line 1: shown from there, six lines, then a count. */
	ck_assert_str_eq(why, "expected the line \"missing\" after line 1; output was:\n"
			 "    ... (1 line before)\n"
			 "    2| line 2\n    3| line 3\n    4| line 4\n    5| line 5\n    6| line 6\n"
			 "    7| line 7\n    ... (13 more lines)");

	/* Very long lines are cut. */
	char longline[400];
	memset(longline, 'y', sizeof longline - 1);
	longline[sizeof longline - 1] = '\0';
	ck_assert(!gph_lesson_check(c, longline, 0, why, sizeof why));
	ck_assert_ptr_null(strstr(why, longline));
	ck_assert_ptr_nonnull(strstr(why, "yyy..."));

	/* A small why buffer is filled, not overrun; none at all is fine too. */
	char small[16];
	memset(small, 'z', sizeof small);
	ck_assert(!gph_lesson_check(c, out, 0, small, 10));
	ck_assert_int_eq(strlen(small), 9);
	ck_assert_int_eq(small[10], 'z');
	ck_assert(!gph_lesson_check(c, out, 0, NULL, 0));
	ck_assert(gph_lesson_check(cmd_with("= line 1\n"), out, 0, NULL, 0));
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *suite_lesson(void)
{
	Suite *s = suite_create("lesson");
	TCase *t;

	t = tcase_create("parse");
	tcase_add_test(t, parse_realistic);
	tcase_add_test(t, parse_details);
	tcase_add_test(t, parse_empty_and_narration_only);
	tcase_add_loop_test(t, parse_bad, 0, N(bad_lessons));
	tcase_add_test(t, parse_exit_values);
	suite_add_tcase(s, t);

	t = tcase_create("load");
	tcase_add_test(t, load_file);
	tcase_add_test(t, load_errors);
	suite_add_tcase(s, t);

	t = tcase_create("lint");
	tcase_add_test(t, lint_clean);
	tcase_add_test(t, lint_problems);
	suite_add_tcase(s, t);

	t = tcase_create("check");
	tcase_add_checked_fixture(t, NULL, check_teardown);
	tcase_add_test(t, check_in_order);
	tcase_add_test(t, check_why_example);
	tcase_add_test(t, check_absent);
	tcase_add_test(t, check_status);
	tcase_add_test(t, check_line_handling);
	tcase_add_test(t, check_truncated_output);
	suite_add_tcase(s, t);
	return s;
}
