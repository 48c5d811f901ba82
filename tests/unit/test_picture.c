/* `show` and `score` output helpers: usage bars, the colour decision, JSON escaping and nesting. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gph/picture.h"
#include "suites.h"

static const char *bar(long long cur, long long max, int width)
{
	static char buf[64];
	gph_bar(cur, max, width, buf, sizeof buf);
	return buf;
}

START_TEST(bars)
{
	ck_assert_str_eq(bar(0, 100, 10), "[..........]");
	ck_assert_str_eq(bar(50, 100, 10), "[#####.....]");
	ck_assert_str_eq(bar(99, 100, 10), "[#########.]"); /* rounded down... */
	ck_assert_str_eq(bar(1, 1000000, 10), "[#.........]"); /* ...but a used part never looks empty */
	ck_assert_str_eq(bar(100, 100, 10), "[##########]");
	ck_assert_str_eq(bar(500, 100, 10), "[##########]"); /* over the limit: full, not past the end */
	ck_assert_str_eq(bar(5, -1, 4), "[....]");           /* no limit: nothing to fill */
	/* Byte counts near 2^63 must not overflow. */
	ck_assert_str_eq(bar(4611686018427387904LL, 9223372036854775807LL, 4), "[##..]");
	char small[5];
	ck_assert_uint_eq(gph_bar(1, 2, 4, small, sizeof small), 0); /* needs width + 3 bytes */
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(gph_bar_percent(1, 4), 25);
	ck_assert_int_eq(gph_bar_percent(0, 4), 0);
	ck_assert_int_eq(gph_bar_percent(8, 4), 200);
	ck_assert_int_eq(gph_bar_percent(3, -1), -1);
}
END_TEST

START_TEST(colour_never_in_a_file_and_never_with_no_color)
{
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	unsetenv("NO_COLOR");
	ck_assert(!gph_colour_wanted(f)); /* not a terminal */
	setenv("NO_COLOR", "1", 1);
	ck_assert(!gph_colour_wanted(f));
	fclose(f);
	ck_assert(!gph_colour_wanted(NULL));
	unsetenv("NO_COLOR");
}
END_TEST

static const char *esc(const char *s)
{
	static char buf[256];
	gph_json_escape(s, buf, sizeof buf);
	return buf;
}

START_TEST(json_escaping)
{
	ck_assert_str_eq(esc("plain"), "\"plain\"");
	ck_assert_str_eq(esc("a\"b\\c"), "\"a\\\"b\\\\c\"");
	ck_assert_str_eq(esc("l1\nl2\tx\r\b\f"), "\"l1\\nl2\\tx\\r\\b\\f\"");
	ck_assert_str_eq(esc("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
	ck_assert_str_eq(esc("caf\xc3\xa9 \xe2\x9c\x93"), "\"caf\xc3\xa9 \xe2\x9c\x93\""); /* UTF-8 passes */
	ck_assert_str_eq(esc("bad\xff" "end"), "\"bad\\ufffdend\"");              /* never invalid */
	ck_assert_str_eq(esc("\xc3"), "\"\\ufffd\"");                              /* cut sequence */
	ck_assert_str_eq(esc("\xc0\xaf"), "\"\\ufffd\\ufffd\"");                   /* overlong '/' */
	ck_assert_str_eq(esc("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");        /* a surrogate */
	ck_assert_str_eq(esc(""), "\"\"");
	ck_assert_str_eq(esc(NULL), "\"\"");
	/* Too small a buffer: cut and terminated; the return says what it needed. */
	char small[4];
	ck_assert_uint_eq(gph_json_escape("abcdef", small, sizeof small), 8);
	ck_assert_uint_eq(strlen(small), 3);
}
END_TEST

START_TEST(json_nesting_and_commas)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	struct gph_json j;
	gph_json_init(&j, f);
	gph_json_obj(&j);
	gph_json_kstr(&j, "name", "a\"b");
	gph_json_kint(&j, "n", -3);
	gph_json_key(&j, "list");
	gph_json_arr(&j);
	gph_json_int(&j, 1);
	gph_json_obj(&j);
	gph_json_kbool(&j, "up", true);
	gph_json_obj_end(&j);
	gph_json_null(&j);
	gph_json_str(&j, NULL);
	gph_json_arr_end(&j);
	gph_json_key(&j, "empty");
	gph_json_obj(&j);
	gph_json_obj_end(&j);
	gph_json_obj_end(&j);
	fclose(f);
	ck_assert_str_eq(text, "{\"name\":\"a\\\"b\",\"n\":-3,\"list\":[1,{\"up\":true},null,null],\"empty\":{}}\n");
	free(text);
}
END_TEST

START_TEST(json_long_strings)
{
	/* Longer than the writer's stack buffer: the heap path, same escaping. */
	char in[1000], *text = NULL;
	size_t len = 0;
	memset(in, 'x', sizeof in - 2);
	in[sizeof in - 2] = '"';
	in[sizeof in - 1] = '\0';
	FILE *f = open_memstream(&text, &len);
	struct gph_json j;
	gph_json_init(&j, f);
	gph_json_str(&j, in);
	fclose(f);
	ck_assert_uint_eq(len, 998 + 2 + 2);
	ck_assert(text[0] == '"' && strncmp(text + len - 3, "\\\"\"", 3) == 0);
	free(text);
}
END_TEST

Suite *suite_picture(void)
{
	Suite *s = suite_create("picture");
	TCase *t = tcase_create("render");
	tcase_add_test(t, bars);
	tcase_add_test(t, colour_never_in_a_file_and_never_with_no_color);
	tcase_add_test(t, json_escaping);
	tcase_add_test(t, json_nesting_and_commas);
	tcase_add_test(t, json_long_strings);
	suite_add_tcase(s, t);
	return s;
}
