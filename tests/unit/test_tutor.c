/* Unit tests for the tutor's pure parts: step equivalence (gph_step_equal and
 * tutor_same_command), the lint's "matches anything" rule, and the progress file. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gph/lesson.h"
#include "gph/step.h"
#include "../../src/shell/tutor.h"
#include "suites.h"

static bool same(const char *a, const char *b)
{
	return tutor_same_command(a, b, "/tmp", NULL, 0);
}

START_TEST(equivalent_spellings)
{
	ck_assert(same("ns pid uts", "ns uts pid"));
	ck_assert(same("ns pid mnt", "ns mnt  pid"));
	ck_assert(same("ns mnt", "ns mount"));
	ck_assert(same("ns pid uts", "ns pid uts pid")); /* a namespace named twice is still one */
	ck_assert(same("mount proc", "mount proc /proc"));
	ck_assert(same("mount proc", "mount proc /proc/"));
	ck_assert(same("pivot_root", "pivot_root /tmp"));
	ck_assert(same("pivot_root", "pivot_root /tmp/"));
	ck_assert(same("chroot /tmp", "chroot"));
	ck_assert(same("cgroup mem 32M", "cgroup mem 33554432"));
	ck_assert(same("net bridge", "net bridge gph0"));
	ck_assert(same("hostname box", "hostname 'box'"));
	/* Other commands by their words: only quoting may differ. */
	ck_assert(same("exec /bin/sh -c 'echo $$'", "exec /bin/sh -c \"echo \\$\\$\""));
	ck_assert(same("show ns", "show  ns"));
}
END_TEST

START_TEST(different_steps)
{
	char why[256];
	ck_assert(!same("ns pid uts", "ns pid"));
	ck_assert(!same("ns pid", "ns pid uts"));
	ck_assert(!same("mount proc", "mount sys"));
	ck_assert(!same("mount tmpfs /tmp", "mount tmpfs /run"));
	ck_assert(!same("pivot_root", "chroot"));
	ck_assert(!same("pivot_root", "pivot_root /"));
	ck_assert(!same("cgroup mem 32M", "cgroup mem 64M"));
	ck_assert(!same("cgroup pids 20", "cgroup mem 20"));
	ck_assert(!same("hostname box", "hostname boxes"));
	ck_assert(!same("exec /bin/ps", "exec ps"));
	ck_assert(!same("show ns", "show"));
	ck_assert(!same("ns pid", "ns pid 'unclosed"));
	ck_assert(!same("ns pid", ""));
	ck_assert(!same("ns pid", "ns bogus")); /* does not parse: never the same */

	ck_assert(!tutor_same_command("ns pid mnt", "ns uts", "/tmp", why, sizeof why));
	ck_assert_str_eq(why, "it leaves out pid mnt and adds uts");
	ck_assert(!tutor_same_command("ns pid mnt", "ns pid", "/tmp", why, sizeof why));
	ck_assert_str_eq(why, "it leaves out mnt");
	ck_assert(!tutor_same_command("ns pid", "ns pid net", "/tmp", why, sizeof why));
	ck_assert_str_eq(why, "it also asks for net, which this lesson does not use here");
	ck_assert(!tutor_same_command("mount tmpfs /tmp", "mount tmpfs /run", "/tmp", why, sizeof why));
	ck_assert_str_eq(why, "right file system, but mounted on /run instead of /tmp");
	ck_assert(!tutor_same_command("ns pid", "exec ps", "/tmp", why, sizeof why));
	ck_assert_str_eq(why, "that is another command");
}
END_TEST

START_TEST(step_equal_ignores_text)
{
	struct gph_step a, b;
	struct gph_err e = {0};
	char *x[] = {"ns", "uts", "pid", NULL}, *y[] = {"ns", "pid", "uts", NULL};
	ck_assert_int_eq(gph_step_parse(3, x, &a, &e), 0);
	ck_assert_int_eq(gph_step_parse(3, y, &b, &e), 0);
	ck_assert_str_ne(a.text, b.text);
	ck_assert(gph_step_equal(&a, &b));
	b.kind = GPH_STEP_HOSTNAME;
	ck_assert(!gph_step_equal(&a, &b));
}
END_TEST

static struct gph_expect ex(enum gph_expect_kind k, const char *text)
{
	struct gph_expect x = {.kind = k, .text = (char *)text, .line_no = 1};
	return x;
}

START_TEST(vacuous_expectations)
{
	struct gph_expect x;
	x = ex(GPH_EXPECT_GLOB, "*");     ck_assert_ptr_nonnull(gph_expect_vacuous(&x));
	x = ex(GPH_EXPECT_GLOB, "***");   ck_assert_ptr_nonnull(gph_expect_vacuous(&x));
	x = ex(GPH_EXPECT_GLOB, "?*");    ck_assert_ptr_nonnull(gph_expect_vacuous(&x));
	x = ex(GPH_EXPECT_GLOB, "*?*");   ck_assert_ptr_nonnull(gph_expect_vacuous(&x));
	x = ex(GPH_EXPECT_ABSENT, "");    ck_assert_ptr_nonnull(gph_expect_vacuous(&x));
	/* Real checks. */
	x = ex(GPH_EXPECT_GLOB, "*a*");   ck_assert_ptr_null(gph_expect_vacuous(&x));
	x = ex(GPH_EXPECT_GLOB, "#");     ck_assert_ptr_null(gph_expect_vacuous(&x));
	x = ex(GPH_EXPECT_GLOB, "???");   ck_assert_ptr_null(gph_expect_vacuous(&x));
	x = ex(GPH_EXPECT_GLOB, "\\*");   ck_assert_ptr_null(gph_expect_vacuous(&x));
	x = ex(GPH_EXPECT_GLOB, "");      ck_assert_ptr_null(gph_expect_vacuous(&x));
	x = ex(GPH_EXPECT_ABSENT, "*");   ck_assert_ptr_null(gph_expect_vacuous(&x)); /* no output */
	x = ex(GPH_EXPECT_EXACT, "");     ck_assert_ptr_null(gph_expect_vacuous(&x)); /* an empty line */
	x = ex(GPH_EXPECT_EXACT, "*");    ck_assert_ptr_null(gph_expect_vacuous(&x));
}
END_TEST

START_TEST(lint_reports_vacuous)
{
	struct gph_lesson l;
	struct gph_err e = {0};
	char *report = NULL;
	size_t len = 0;
	ck_assert_int_eq(gph_lesson_parse("@title t\n@see a(1)\n$ a\n!\n$ b\n~ ?*\n$ c\n! *\n", "l", &l, &e), 0);
	FILE *f = open_memstream(&report, &len);
	ck_assert_int_eq(gph_lesson_lint(&l, f), 2);
	fclose(f);
	ck_assert_str_eq(report,
		"l:4: \"!\" only forbids empty lines: write the text that must not appear, or \"! *\" "
		"for no output at all\n"
		"l:6: \"~ ?*\" matches any line: expect something the learner should see\n");
	free(report);
	gph_lesson_free(&l);
}
END_TEST

START_TEST(progress_round_trip)
{
	char dir[] = "/tmp/gph-progress-XXXXXX", path[512], buf[64];
	struct gph_err e = {0};
	struct progress p;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/sub/progress", dir);

	/* A missing file is no progress. */
	ck_assert_int_eq(progress_load(path, &p, &e), 0);
	ck_assert_int_eq(p.n, 0);
	progress_describe(progress_get(&p, "01-x"), buf, sizeof buf);
	ck_assert_str_eq(buf, "not started");

	struct progress_entry a = {.name = "01-x", .steps = 3, .total = 9};
	ck_assert_msg(progress_record(path, &a, &e) == 0, "%s", e.msg); /* creates sub/ */
	struct progress_entry b = {.name = "02-y", .steps = 5, .total = 5, .skipped = 1, .finished = true};
	ck_assert_int_eq(progress_record(path, &b, &e), 0);
	/* Finished stays finished when the lesson is started again and left halfway. */
	b.steps = 2;
	b.finished = false;
	ck_assert_int_eq(progress_record(path, &b, &e), 0);

	ck_assert_int_eq(progress_load(path, &p, &e), 0);
	ck_assert_int_eq(p.n, 2);
	progress_describe(progress_get(&p, "01-x"), buf, sizeof buf);
	ck_assert_str_eq(buf, "3 of 9 steps");
	progress_describe(progress_get(&p, "02-y"), buf, sizeof buf);
	ck_assert_str_eq(buf, "done (1 skipped)");
	progress_free(&p);

	/* No temporary file is left next to it; junk lines are ignored. */
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "test $(ls -A %s/sub | wc -l) = 1 && echo 'junk line' >> %s", dir, path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(progress_load(path, &p, &e), 0);
	ck_assert_int_eq(p.n, 2);
	progress_free(&p);

	/* A directory that cannot be made is an error that says so. */
	snprintf(path, sizeof path, "%s/sub/progress/x/progress", dir);
	ck_assert_int_eq(progress_record(path, &a, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "mkdir"));

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(progress_path_from_env)
{
	char buf[256], *old_state = getenv("XDG_STATE_HOME"), *old_home = getenv("HOME");
	char *keep_state = old_state ? strdup(old_state) : NULL, *keep_home = old_home ? strdup(old_home) : NULL;
	setenv("XDG_STATE_HOME", "/s", 1);
	ck_assert_int_eq(progress_path(buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "/s/gophernetes/progress");
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/h", 1);
	ck_assert_int_eq(progress_path(buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "/h/.local/state/gophernetes/progress");
	setenv("XDG_STATE_HOME", "relative", 1); /* not absolute: ignored, as the spec says */
	ck_assert_int_eq(progress_path(buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "/h/.local/state/gophernetes/progress");
	unsetenv("HOME");
	unsetenv("XDG_STATE_HOME");
	ck_assert_int_eq(progress_path(buf, sizeof buf), -1);
	if (keep_state)
		setenv("XDG_STATE_HOME", keep_state, 1);
	if (keep_home)
		setenv("HOME", keep_home, 1);
	free(keep_state);
	free(keep_home);
}
END_TEST

START_TEST(lesson_names)
{
	char buf[64];
	lesson_short_name("lessons/01-pid-namespace.lesson", buf, sizeof buf);
	ck_assert_str_eq(buf, "01-pid-namespace");
	lesson_short_name("x.lesson", buf, sizeof buf);
	ck_assert_str_eq(buf, "x");
	lesson_short_name("/a/b/plain", buf, sizeof buf);
	ck_assert_str_eq(buf, "plain");
}
END_TEST

Suite *suite_tutor(void)
{
	Suite *s = suite_create("tutor");
	TCase *t = tcase_create("tutor");
	tcase_add_test(t, equivalent_spellings);
	tcase_add_test(t, different_steps);
	tcase_add_test(t, step_equal_ignores_text);
	tcase_add_test(t, vacuous_expectations);
	tcase_add_test(t, lint_reports_vacuous);
	tcase_add_test(t, progress_round_trip);
	tcase_add_test(t, progress_path_from_env);
	tcase_add_test(t, lesson_names);
	suite_add_tcase(s, t);
	return s;
}
