/* Unit tests for include/gph/parse.h: sizes, hostnames, word splitting, the lesson glob. */
#include <check.h>
#include <string.h>
#include "gph/error.h"
#include "gph/parse.h"
#include "suites.h"

#define SIZE_FORMS "use a whole number with an optional unit b, k, m, g (powers of 1024; " \
	"KiB, MiB, GiB also accepted), e.g. 64M"

/* ---- gph_parse_size --------------------------------------------------------------------- */

static const struct { const char *in; long long bytes; } good_sizes[] = {
	{ "64M", 64LL << 20 },   { "64m", 64LL << 20 },  { "64MiB", 64LL << 20 },
	{ "64mb", 64LL << 20 },  { "64MB", 64LL << 20 }, { "64mib", 64LL << 20 },
	{ "1g", 1LL << 30 },     { "1G", 1LL << 30 },    { "2GiB", 2LL << 30 },  { "3gb", 3LL << 30 },
	{ "512k", 512LL << 10 }, { "512K", 512LL << 10 }, { "4KiB", 4096 },      { "8kb", 8192 },
	{ "100", 100 },          { "100b", 100 },        { "100B", 100 },        { "1", 1 },
	{ "007", 7 },            { "8589934591G", 8589934591LL << 30 },
	{ "9223372036854775807", 9223372036854775807LL },
};

START_TEST(size_good)
{
	struct gph_err e = { 0 };
	long long got = -1;
	ck_assert_msg(gph_parse_size(good_sizes[_i].in, &got, &e) == 0, "\"%s\" refused: %s",
		      good_sizes[_i].in, e.msg);
	ck_assert_msg(got == good_sizes[_i].bytes, "\"%s\" gave %lld, want %lld", good_sizes[_i].in, got,
		      good_sizes[_i].bytes);
}
END_TEST

static const char *const bad_sizes[] = {
	"", "0", "0M", "-5", "+5", "1.5M", "M", "12X", "12MM", "12 M", " 64M", "64M ", "64M\n",
	"99999999999999999999", "9223372036854775808", "9999999999G", "8589934592G", "0x10", "1e6",
	"64Mi", "64 ", "k", "1kibb", "1t",
};

START_TEST(size_bad)
{
	struct gph_err e = { 0 };
	long long got = 12345;
	char want[128];
	e.errnum = 99;
	ck_assert_msg(gph_parse_size(bad_sizes[_i], &got, &e) == -1, "\"%s\" accepted as %lld",
		      bad_sizes[_i], got);
	ck_assert_int_eq(got, 12345); /* untouched on failure */
	ck_assert_int_eq(e.errnum, 0);
	snprintf(want, sizeof want, "bad size \"%s\": ", bad_sizes[_i]);
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0, "message \"%s\"", e.msg);
	ck_assert_msg(strstr(e.msg, SIZE_FORMS) != NULL, "message lacks the forms: \"%s\"", e.msg);
}
END_TEST

START_TEST(size_messages)
{
	struct gph_err e = { 0 };
	long long got;
	ck_assert_int_eq(gph_parse_size("1.5M", &got, &e), -1);
	ck_assert_str_eq(e.msg, "bad size \"1.5M\": " SIZE_FORMS);
	ck_assert_int_eq(gph_parse_size("0", &got, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "more than zero"));
	ck_assert_int_eq(gph_parse_size("9999999999G", &got, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "too large"));
	ck_assert_int_eq(gph_parse_size("99999999999999999999", &got, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "too large"));
	ck_assert_int_eq(gph_parse_size(NULL, &got, &e), -1);
}
END_TEST

/* ---- gph_format_size -------------------------------------------------------------------- */

START_TEST(format_size)
{
	static const struct { long long in; const char *out; } cases[] = {
		{ 33554432, "32M" }, { 1073741824, "1G" }, { 1536, "1536" }, { 1024, "1K" },
		{ 1025, "1025" },    { 0, "0" },           { 1, "1" },       { 3LL << 30, "3G" },
		{ 1536LL << 20, "1536M" }, { 5LL << 40, "5120G" }, { 100, "100" }, { 512LL << 10, "512K" },
	};
	char buf[32];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		gph_format_size(cases[i].in, buf, sizeof buf);
		ck_assert_msg(strcmp(buf, cases[i].out) == 0, "%lld -> \"%s\", want \"%s\"", cases[i].in,
			      buf, cases[i].out);
	}
	/* A short buffer is truncated, never overrun. */
	memset(buf, 'x', sizeof buf);
	gph_format_size(1536, buf, 3);
	ck_assert_str_eq(buf, "15");
	ck_assert_int_eq(buf[3], 'x');
}
END_TEST

START_TEST(size_round_trip)
{
	static const char *const in[] = { "64M", "1G", "512K", "100", "1536" };
	struct gph_err e = { 0 };
	char buf[32];
	long long n;
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		ck_assert_int_eq(gph_parse_size(in[i], &n, &e), 0);
		gph_format_size(n, buf, sizeof buf);
		ck_assert_str_eq(buf, in[i]);
	}
}
END_TEST

/* ---- gph_check_hostname ----------------------------------------------------------------- */

static const char *const good_hosts[] = {
	"a", "web-1", "box.example", "a1.b2.c3", "A-B", "0", "x--y", "gophernetes",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",   /* 64 */
	"aaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.ccccccccccccccc", /* 64 with dots */
};

START_TEST(host_good)
{
	struct gph_err e = { 0 };
	ck_assert_msg(gph_check_hostname(good_hosts[_i], &e) == 0, "\"%s\" refused: %s", good_hosts[_i],
		      e.msg);
}
END_TEST

static const struct { const char *in; const char *why; } bad_hosts[] = {
	{ "", "empty" },
	{ "a b", "a space" },
	{ "a\tb", "a tab" },
	{ "a_b", "'_'" },
	{ "caf\xc3\xa9", "byte 0xc3" },
	{ "a\x01", "byte 0x01" },
	{ ".a", "empty label" },
	{ "a.", "empty label" },
	{ "a..b", "empty label" },
	{ ".", "empty label" },
	{ "-a", "'-'" },
	{ "a-", "'-'" },
	{ "a.-b", "\"-b\"" },
	{ "a.b-.c", "\"b-\"" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
	  "65 bytes, the kernel's limit is 64 bytes (HOST_NAME_MAX)" },
};

START_TEST(host_bad)
{
	struct gph_err e = { 0 };
	e.errnum = 99;
	ck_assert_msg(gph_check_hostname(bad_hosts[_i].in, &e) == -1, "\"%s\" accepted", bad_hosts[_i].in);
	ck_assert_int_eq(e.errnum, 0);
	ck_assert_msg(strncmp(e.msg, "bad hostname \"", 14) == 0, "message \"%s\"", e.msg);
	ck_assert_msg(strstr(e.msg, bad_hosts[_i].why) != NULL, "\"%s\": message \"%s\" lacks \"%s\"",
		      bad_hosts[_i].in, e.msg, bad_hosts[_i].why);
}
END_TEST

START_TEST(host_null_and_long)
{
	struct gph_err e = { 0 };
	char name[300];
	ck_assert_int_eq(gph_check_hostname(NULL, &e), -1);
	memset(name, 'a', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	ck_assert_int_eq(gph_check_hostname(name, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "299 bytes"));
	ck_assert_ptr_nonnull(strstr(e.msg, "HOST_NAME_MAX"));
}
END_TEST

/* ---- gph_split_words -------------------------------------------------------------------- */

/* Split line and compare with the expected words (NULL-terminated list). */
static void check_split(const char *line, const char *const *want)
{
	struct gph_err e = { 0 };
	char **argv = (char **)1;
	int argc = -1, n = 0;
	while (want[n])
		n++;
	ck_assert_msg(gph_split_words(line, &argv, &argc, &e) == 0, "[%s] refused: %s", line, e.msg);
	ck_assert_msg(argc == n, "[%s]: %d words, want %d", line, argc, n);
	for (int i = 0; i < n; i++)
		ck_assert_msg(strcmp(argv[i], want[i]) == 0, "[%s] word %d: [%s], want [%s]", line, i,
			      argv[i], want[i]);
	ck_assert_ptr_null(argv[n]);
	gph_argv_free(argv);
}

#define SPLIT(line, ...) check_split(line, (const char *const[]){ __VA_ARGS__, NULL })
#define SPLIT_NONE(line) check_split(line, (const char *const[]){ NULL })

START_TEST(split_basic)
{
	SPLIT("exec /bin/sh -c 'echo $$; hostname'", "exec", "/bin/sh", "-c", "echo $$; hostname");
	SPLIT("ns pid uts", "ns", "pid", "uts");
	SPLIT("  a \t b\t", "a", "b");
	SPLIT("echo $$ $HOME `id`", "echo", "$$", "$HOME", "`id`");
	SPLIT("a'b'\"c\"d", "abcd");
}
END_TEST

START_TEST(split_empty_words)
{
	SPLIT("\"\"", "");
	SPLIT("''", "");
	SPLIT("a \"\" b", "a", "", "b");
	SPLIT("a '' \"\"", "a", "", "");
	SPLIT_NONE("");
	SPLIT_NONE("   \t  ");
}
END_TEST

START_TEST(split_quotes_and_escapes)
{
	SPLIT("echo \"a\\\"b\" 'c\\d' e\\ f", "echo", "a\"b", "c\\d", "e f");
	SPLIT("\"\\$HOME \\` \\\\ \\n\"", "$HOME ` \\ \\n");
	SPLIT("'it'\\''s'", "it's");
	SPLIT("\"it's\"", "it's");
	SPLIT("'say \"hi\"'", "say \"hi\"");
	SPLIT("a\\", "a\\");          /* like sh -c: a lone trailing backslash stays */
	SPLIT("a\\\nb", "ab");        /* backslash-newline joins */
	SPLIT("\"a\\\nb\"", "ab");
	SPLIT("\\'x", "'x");
	SPLIT("\"a b\"c' d'", "a bc d");
}
END_TEST

START_TEST(split_comments)
{
	SPLIT_NONE("# a comment");
	SPLIT_NONE("   # indented comment 'unterminated");
	SPLIT("ls # the rest 'is ignored", "ls");
	SPLIT("a#b", "a#b");
	SPLIT("'#' x", "#", "x");
	SPLIT("\"#\"", "#");
	SPLIT("\\#x y", "#x", "y");
	SPLIT("echo a #b", "echo", "a");
}
END_TEST

START_TEST(split_empty_line_argv)
{
	struct gph_err e = { 0 };
	char **argv = NULL;
	int argc = -1;
	ck_assert_int_eq(gph_split_words("", &argv, &argc, &e), 0);
	ck_assert_int_eq(argc, 0);
	ck_assert_ptr_nonnull(argv);
	ck_assert_ptr_null(argv[0]);
	gph_argv_free(argv);
	/* argc may be left out */
	ck_assert_int_eq(gph_split_words("a b", &argv, NULL, &e), 0);
	ck_assert_str_eq(argv[1], "b");
	gph_argv_free(argv);
	gph_argv_free(NULL);
}
END_TEST

START_TEST(split_many_words)
{
	struct gph_err e = { 0 };
	char line[256] = "", word[8];
	char **argv;
	int argc;
	for (int i = 0; i < 40; i++) {
		snprintf(word, sizeof word, "w%d ", i);
		strcat(line, word);
	}
	ck_assert_int_eq(gph_split_words(line, &argv, &argc, &e), 0);
	ck_assert_int_eq(argc, 40);
	for (int i = 0; i < 40; i++) {
		snprintf(word, sizeof word, "w%d", i);
		ck_assert_str_eq(argv[i], word);
	}
	ck_assert_ptr_null(argv[40]);
	gph_argv_free(argv);
}
END_TEST

static const char *const unterminated[] = {
	"'abc", "\"abc", "a \"b\\\"", "echo 'it's'", "x \"", "'", "ok 'a' \"b",
};

START_TEST(split_unterminated)
{
	struct gph_err e = { 0 };
	char **argv = (char **)1;
	int argc = 7;
	ck_assert_msg(gph_split_words(unterminated[_i], &argv, &argc, &e) == -1, "[%s] accepted",
		      unterminated[_i]);
	ck_assert_ptr_null(argv);
	ck_assert_int_eq(argc, 0);
	ck_assert_int_eq(e.errnum, 0);
	ck_assert_msg(strstr(e.msg, "unterminated") != NULL, "message \"%s\"", e.msg);
	ck_assert_msg(strstr(e.msg, unterminated[_i]) != NULL, "message lacks the line: \"%s\"", e.msg);
}
END_TEST

/* ---- gph_glob_match --------------------------------------------------------------------- */

static const struct { const char *pat, *text; int match; } globs[] = {
	{ "pid:[#]", "pid:[4026531836]", 1 },
	{ "pid:[#]", "pid:[]", 0 },
	{ "pid:[#]", "pid:[12a]", 0 },
	{ "pid:[#]", "pid:[4026531836] ", 0 },
	{ "*PID 1*", "  PID 1 is init", 1 },
	{ "*PID 1*", "PID 1", 1 },
	{ "*PID 1*", "PID 2", 0 },
	{ "PID 1*", "xPID 1", 0 },
	{ "abc", "abc", 1 },
	{ "abc", "abcd", 0 },
	{ "abc", "ab", 0 },
	{ "abc", "xabc", 0 },
	{ "a?c", "abc", 1 },
	{ "a?c", "ac", 0 },
	{ "a?c", "abbc", 0 },
	{ "?", "", 0 },
	{ "*", "", 1 },
	{ "*", "anything at all", 1 },
	{ "**", "x", 1 },
	{ "", "", 1 },
	{ "", "a", 0 },
	{ "#", "", 0 },
	{ "#", "0", 1 },
	{ "#", "x", 0 },
	{ "#", "12 ", 0 },
	{ "# bytes", "123 bytes", 1 },
	{ "#1", "2221", 1 },          /* greedy '#' must give back the last digit */
	{ "#1", "1", 0 },             /* '#' needs at least one digit of its own */
	{ "#5#", "12534", 1 },
	{ "a#b#c", "a1b22c", 1 },
	{ "a#b#c", "a1bc", 0 },
	{ "#*", "1abc", 1 },
	{ "*#", "abc", 0 },
	{ "*#", "abc7", 1 },
	{ "\\*", "*", 1 },
	{ "\\*", "a", 0 },
	{ "\\#", "#", 1 },
	{ "\\#", "1", 0 },
	{ "a\\?", "a?", 1 },
	{ "a\\?", "ab", 0 },
	{ "\\\\", "\\", 1 },
	{ "a\\", "a\\", 1 },          /* a lone trailing backslash is itself */
	{ "*:*", "a:b", 1 },
	{ "*:*", "ab", 0 },
	{ "memory.max: #M", "memory.max: 64M", 1 },
	{ "*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
	{ "*#*#*#*#*#x", "1111111111111111111111111111111111111111111111111111111111111111", 0 },
	{ "*uid=0(root)*", "uid=0(root) gid=0(root)", 1 },
};

START_TEST(glob_cases)
{
	ck_assert_msg(gph_glob_match(globs[_i].pat, globs[_i].text) == globs[_i].match,
		      "glob \"%s\" on \"%s\": want %d", globs[_i].pat, globs[_i].text, globs[_i].match);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *suite_parse(void)
{
	Suite *s = suite_create("parse");
	TCase *t;

	t = tcase_create("size");
	tcase_add_loop_test(t, size_good, 0, N(good_sizes));
	tcase_add_loop_test(t, size_bad, 0, N(bad_sizes));
	tcase_add_test(t, size_messages);
	tcase_add_test(t, format_size);
	tcase_add_test(t, size_round_trip);
	suite_add_tcase(s, t);

	t = tcase_create("hostname");
	tcase_add_loop_test(t, host_good, 0, N(good_hosts));
	tcase_add_loop_test(t, host_bad, 0, N(bad_hosts));
	tcase_add_test(t, host_null_and_long);
	suite_add_tcase(s, t);

	t = tcase_create("split_words");
	tcase_add_test(t, split_basic);
	tcase_add_test(t, split_empty_words);
	tcase_add_test(t, split_quotes_and_escapes);
	tcase_add_test(t, split_comments);
	tcase_add_test(t, split_empty_line_argv);
	tcase_add_test(t, split_many_words);
	tcase_add_loop_test(t, split_unterminated, 0, N(unterminated));
	suite_add_tcase(s, t);

	t = tcase_create("glob");
	tcase_add_loop_test(t, glob_cases, 0, N(globs));
	suite_add_tcase(s, t);
	return s;
}
