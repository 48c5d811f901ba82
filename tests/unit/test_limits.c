/* Resource-limit parsers and the v1 shares <-> v2 weight conversion. */
#include <check.h>
#include <string.h>
#include "gph/cgroup.h"
#include "gph/parse.h"
#include "suites.h"

START_TEST(cpus)
{
	long long q, p;
	struct gph_err e;
	ck_assert_int_eq(gph_parse_cpus("0.5", &q, &p, &e), 0);
	ck_assert_int_eq(q, 50000);
	ck_assert_int_eq(p, 100000);
	ck_assert_int_eq(gph_parse_cpus("2", &q, &p, &e), 0);
	ck_assert_int_eq(q, 200000);
	ck_assert_int_eq(gph_parse_cpus("1.25", &q, &p, &e), 0);
	ck_assert_int_eq(q, 125000);
	ck_assert_int_eq(gph_parse_cpus(".5", &q, &p, &e), 0);
	ck_assert_int_eq(q, 50000);
	ck_assert_int_eq(gph_parse_cpus("0.01", &q, &p, &e), 0);
	ck_assert_int_eq(q, 1000); /* the kernel's smallest quota: 1 ms */
	static const char *const bad[] = {"", "0", "0.001", "-1", "1.", "1.2345", "abc", "1e3", "2000", " 1", "1 "};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		gph_err_clear(&e);
		ck_assert_msg(gph_parse_cpus(bad[i], &q, &p, &e) == -1, "\"%s\" accepted", bad[i]);
		ck_assert_ptr_nonnull(strstr(e.hint, "e.g. 0.5"));
	}
}
END_TEST

START_TEST(counts_and_lists)
{
	long long v;
	struct gph_err e;
	ck_assert_int_eq(gph_parse_int_range("20", 1, 100, "--pids-limit", &v, &e), 0);
	ck_assert_int_eq(v, 20);
	ck_assert_int_eq(gph_parse_int_range("0", 1, 100, "--pids-limit", &v, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "--pids-limit"));
	ck_assert_int_eq(gph_parse_int_range("101", 1, 100, "x", &v, &e), -1);
	ck_assert_int_eq(gph_parse_int_range("5x", 1, 100, "x", &v, &e), -1);
	ck_assert_int_eq(gph_parse_int_range("", 1, 100, "x", &v, &e), -1);
	ck_assert_int_eq(gph_parse_int_range("99999999999999999999", 1, 100, "x", &v, &e), -1);
	ck_assert_int_eq(gph_check_cpu_list("0", &e), 0);
	ck_assert_int_eq(gph_check_cpu_list("0-3", &e), 0);
	ck_assert_int_eq(gph_check_cpu_list("0,2-3,7", &e), 0);
	static const char *const bad[] = {"", "a", "1-", "-1", "3-1", "1,", ",1", "1;2", "0-99999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(gph_check_cpu_list(bad[i], &e) == -1, "\"%s\" accepted", bad[i]);
}
END_TEST

START_TEST(dev_rate)
{
	char dev[64];
	long long r;
	struct gph_err e;
	ck_assert_int_eq(gph_parse_dev_rate("/dev/vda:10M", dev, sizeof dev, &r, &e), 0);
	ck_assert_str_eq(dev, "/dev/vda");
	ck_assert_int_eq(r, 10LL << 20);
	ck_assert_int_eq(gph_parse_dev_rate("/dev/loop0:512k", dev, sizeof dev, &r, &e), 0);
	ck_assert_int_eq(r, 512LL << 10);
	ck_assert_int_eq(gph_parse_dev_rate("vda:10M", dev, sizeof dev, &r, &e), -1);
	ck_assert_int_eq(gph_parse_dev_rate("/dev/vda", dev, sizeof dev, &r, &e), -1);
	ck_assert_int_eq(gph_parse_dev_rate("/dev/vda:", dev, sizeof dev, &r, &e), -1);
	ck_assert_int_eq(gph_parse_dev_rate("/dev/vda:0", dev, sizeof dev, &r, &e), -1);
	ck_assert_int_eq(gph_parse_dev_rate("/dev/vda:1.5M", dev, sizeof dev, &r, &e), -1);
}
END_TEST

START_TEST(weight_shares)
{
	/* defaults map onto each other, and so do the ends of both ranges */
	ck_assert_uint_eq(gph_cg_weight_to_shares(100), 1024);
	ck_assert_uint_eq(gph_cg_weight_to_shares(1), 2);
	ck_assert_uint_eq(gph_cg_weight_to_shares(10000), 262144);
	ck_assert_int_eq(gph_cg_shares_to_weight(1024), 100);
	ck_assert_int_eq(gph_cg_shares_to_weight(2), 1);
	ck_assert_int_eq(gph_cg_shares_to_weight(262144), 10000);
	/* monotonic, and a round trip stays close */
	unsigned long long prev = 0;
	for (int w = 1; w <= 10000; w += 7) {
		unsigned long long s = gph_cg_weight_to_shares(w);
		ck_assert_uint_ge(s, prev);
		prev = s;
		int back = gph_cg_shares_to_weight(s);
		ck_assert_msg(back >= w - w / 50 - 1 && back <= w + w / 50 + 1, "weight %d -> %llu -> %d", w, s, back);
	}
	/* out of range input is clamped, not wrapped */
	ck_assert_uint_eq(gph_cg_weight_to_shares(0), 2);
	ck_assert_uint_eq(gph_cg_weight_to_shares(20000), 262144);
	ck_assert_int_eq(gph_cg_shares_to_weight(0), 1);
	ck_assert_int_eq(gph_cg_shares_to_weight(1ULL << 40), 10000);
}
END_TEST

Suite *suite_limits(void)
{
	Suite *s = suite_create("limits");
	TCase *t = tcase_create("parse");
	tcase_add_test(t, cpus);
	tcase_add_test(t, counts_and_lists);
	tcase_add_test(t, dev_rate);
	tcase_add_test(t, weight_shares);
	suite_add_tcase(s, t);
	return s;
}
