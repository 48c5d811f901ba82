/* cgroup mode detection, hierarchy parsing from fixture texts, and reading cgroup files of a
 * hand-made struct that points at fixture directories. Nothing here touches /sys/fs/cgroup. */
#include <errno.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include "gph/cgroup.h"
#include "../../src/engine/cgroup_priv.h"
#include "suites.h"

#define FIX "tests/fixtures/cgroup" /* the unit tests run from the repository root */

static char *fixture(const char *name)
{
	char path[PATH_MAX];
	char *text = NULL;
	struct gph_err e = { 0 };
	snprintf(path, sizeof path, "%s/%s", FIX, name);
	if (gph_cgi_slurp(path, &text, &e) < 0)
		ck_abort_msg("fixture %s: %s (run the tests from the repository root)", path, e.msg);
	return text;
}

/* Parse the fixture pair dir/proc_cgroup + dir/mountinfo. */
static int parse(enum gph_cg_mode mode, const char *dir, struct gph_cg_hier *h, struct gph_err *e)
{
	char a[PATH_MAX], b[PATH_MAX];
	snprintf(a, sizeof a, "%s/proc_cgroup", dir);
	snprintf(b, sizeof b, "%s/mountinfo", dir);
	char *cg = fixture(a), *mi = fixture(b);
	int n = gph_cg_hierarchies(mode, cg, mi, h, GPH_CG_MAX_HIER, e);
	free(cg);
	free(mi);
	return n;
}

static const struct gph_cg_hier *find(const struct gph_cg_hier *h, int n, const char *ctl)
{
	for (int i = 0; i < n; i++)
		if (strcmp(h[i].controller, ctl) == 0)
			return &h[i];
	return NULL;
}

START_TEST(mode_from_fstypes)
{
	struct gph_err e = { 0 };
	enum gph_cg_mode m = GPH_CG_V1;
	ck_assert_int_eq(gph_cg_mode_from_fstypes(CGROUP2_SUPER_MAGIC, 0, &m, &e), 0);
	ck_assert_int_eq(m, GPH_CG_V2);
	ck_assert_int_eq(gph_cg_mode_from_fstypes(CGROUP2_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, &m, &e), 0);
	ck_assert_int_eq(m, GPH_CG_V2);
	ck_assert_int_eq(gph_cg_mode_from_fstypes(TMPFS_MAGIC, 0, &m, &e), 0);
	ck_assert_int_eq(m, GPH_CG_V1);
	ck_assert_int_eq(gph_cg_mode_from_fstypes(TMPFS_MAGIC, CGROUP2_SUPER_MAGIC, &m, &e), 0);
	ck_assert_int_eq(m, GPH_CG_HYBRID);
	/* a plain directory "unified" on the tmpfs is not a cgroup2 mount */
	ck_assert_int_eq(gph_cg_mode_from_fstypes(TMPFS_MAGIC, TMPFS_MAGIC, &m, &e), 0);
	ck_assert_int_eq(m, GPH_CG_V1);
}
END_TEST

START_TEST(mode_from_fstypes_errors)
{
	static const long bad[] = { 0, EXT4_SUPER_MAGIC, CGROUP_SUPER_MAGIC, SYSFS_MAGIC };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct gph_err e = { 0 };
		enum gph_cg_mode m = GPH_CG_V1;
		ck_assert_int_eq(gph_cg_mode_from_fstypes(bad[i], 0, &m, &e), -1);
		ck_assert_ptr_nonnull(strstr(e.msg, "no cgroup filesystem mounted at /sys/fs/cgroup"));
		ck_assert_int_eq(gph_cg_mode_from_fstypes(bad[i], CGROUP2_SUPER_MAGIC, &m, &e), -1);
	}
}
END_TEST

START_TEST(mode_names)
{
	ck_assert_str_eq(gph_cg_mode_name(GPH_CG_V1), "v1");
	ck_assert_str_eq(gph_cg_mode_name(GPH_CG_HYBRID), "hybrid");
	ck_assert_str_eq(gph_cg_mode_name(GPH_CG_V2), "v2");
}
END_TEST

START_TEST(detect_not_cgroup)
{
	struct gph_err e = { 0 };
	enum gph_cg_mode m;
	ck_assert_int_eq(gph_cg_detect("/proc", &m, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "no cgroup filesystem"));
	ck_assert_int_eq(gph_cg_detect("/no/such/dir", &m, &e), -1);
	ck_assert_int_eq(e.errnum, ENOENT);
}
END_TEST

START_TEST(hier_hybrid_host)
{
	struct gph_cg_hier h[GPH_CG_MAX_HIER];
	struct gph_err e = { 0 };
	int n = parse(GPH_CG_HYBRID, "hybrid", h, &e);
	ck_assert_msg(n == 7, "n=%d: %s", n, e.msg);
	ck_assert_str_eq(h[0].controller, "memory"); /* memory first: dir_for(NULL) prefers it */
	ck_assert_str_eq(h[0].mount, "/sys/fs/cgroup/memory");
	ck_assert_str_eq(h[0].own, "/process_api/x");
	static const char *const rest[] = { "pids", "cpu", "cpuacct", "cpuset", "blkio", "freezer" };
	for (int i = 0; i < 6; i++) {
		const struct gph_cg_hier *x = find(h, n, rest[i]);
		char mnt[64];
		ck_assert_msg(x != NULL, "%s missing", rest[i]);
		snprintf(mnt, sizeof mnt, "/sys/fs/cgroup/%s", rest[i]);
		ck_assert_str_eq(x->mount, mnt);
		ck_assert_str_eq(x->own, "/");
	}
	ck_assert_ptr_null(find(h, n, "devices"));
	ck_assert_ptr_null(find(h, n, ""));
	/* the same text read as plain v1 gives the same answer: unified is not used */
	ck_assert_int_eq(parse(GPH_CG_V1, "hybrid", h, &e), 7);
}
END_TEST

START_TEST(hier_v1_comounted)
{
	struct gph_cg_hier h[GPH_CG_MAX_HIER];
	struct gph_err e = { 0 };
	const struct gph_cg_hier *x;
	int n = parse(GPH_CG_V1, "v1", h, &e);
	ck_assert_msg(n == 6, "n=%d: %s", n, e.msg);
	x = find(h, n, "cpu,cpuacct"); /* one entry for the co-mounted pair */
	ck_assert_ptr_nonnull(x);
	ck_assert_str_eq(x->mount, "/sys/fs/cgroup/cpu,cpuacct");
	ck_assert_str_eq(x->own, "/user.slice");
	ck_assert_ptr_null(find(h, n, "cpuacct"));
	x = find(h, n, "memory");
	ck_assert_ptr_nonnull(x);
	ck_assert_str_eq(x->own, "/user.slice/user-1000.slice/session-3.scope");
	ck_assert_str_eq(find(h, n, "pids")->own, "/user.slice/user-1000.slice/session-3.scope");
	ck_assert_str_eq(find(h, n, "blkio")->mount, "/sys/fs/cgroup/blkio");
	ck_assert_str_eq(find(h, n, "cpuset")->own, "/");
	ck_assert_ptr_nonnull(find(h, n, "freezer"));
	ck_assert_ptr_null(find(h, n, "net_cls,net_prio"));
	/* no cgroup2 in this text: asking for v2 fails clearly */
	ck_assert_int_eq(parse(GPH_CG_V2, "v1", h, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "0::"));
}
END_TEST

START_TEST(hier_v2)
{
	struct gph_cg_hier h[GPH_CG_MAX_HIER];
	struct gph_err e = { 0 };
	int n = parse(GPH_CG_V2, "v2", h, &e);
	ck_assert_msg(n == 1, "n=%d: %s", n, e.msg);
	ck_assert_str_eq(h[0].controller, "");
	ck_assert_str_eq(h[0].mount, "/sys/fs/cgroup");
	ck_assert_str_eq(h[0].own, "/user.slice/foo");
	/* read as v1 there are no controller hierarchies */
	ck_assert_int_eq(parse(GPH_CG_V1, "v2", h, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "no cgroup v1 controller"));
}
END_TEST

START_TEST(hier_mount_root_and_escapes)
{
	/* a container without a cgroup namespace: the mount's root is its own cgroup, and a
	 * mount point with a space (escaped as \040 in mountinfo) */
	const char *cg = "3:memory:/docker/abc\n2:pids:/docker/abc/sub\n1:cpu:/elsewhere\n";
	const char *mi =
		"40 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
		"41 31 0:33 /docker/abc /sys/fs/cgroup/my\\040pids rw shared:5 - cgroup cgroup rw,pids\n"
		"42 31 0:34 /docker/abc /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
	struct gph_cg_hier h[GPH_CG_MAX_HIER];
	struct gph_err e = { 0 };
	int n = gph_cg_hierarchies(GPH_CG_V1, cg, mi, h, GPH_CG_MAX_HIER, &e);
	ck_assert_msg(n == 2, "n=%d: %s", n, e.msg); /* cpu's cgroup is outside the mount: skipped */
	ck_assert_str_eq(h[0].own, "/");
	ck_assert_str_eq(h[1].mount, "/sys/fs/cgroup/my pids");
	ck_assert_str_eq(h[1].own, "/sub");
	/* too small an output array */
	ck_assert_int_eq(gph_cg_hierarchies(GPH_CG_V1, cg, mi, h, 1, &e), -1);
}
END_TEST

START_TEST(hier_v2_prefers_standard_mount)
{
	const char *cg = "0::/a\n";
	const char *mi = "50 1 0:40 / /mnt/other rw - cgroup2 cgroup2 rw\n"
			 "51 1 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
	struct gph_cg_hier h[GPH_CG_MAX_HIER];
	struct gph_err e = { 0 };
	ck_assert_int_eq(gph_cg_hierarchies(GPH_CG_V2, cg, mi, h, GPH_CG_MAX_HIER, &e), 1);
	ck_assert_str_eq(h[0].mount, "/sys/fs/cgroup");
	ck_assert_str_eq(h[0].own, "/a");
}
END_TEST

START_TEST(parent_paths)
{
	struct gph_cg_hier h = { "memory", "/sys/fs/cgroup/memory", "/process_api/x" };
	struct gph_cg_hier root = { "pids", "/sys/fs/cgroup/pids", "/" };
	struct gph_err e = { 0 };
	char p[PATH_MAX];
	ck_assert_int_eq(gph_cgi_parent(&h, NULL, p, sizeof p, &e), 0);
	ck_assert_str_eq(p, "/sys/fs/cgroup/memory/process_api/x/gophernetes");
	ck_assert_int_eq(gph_cgi_parent(&root, NULL, p, sizeof p, &e), 0);
	ck_assert_str_eq(p, "/sys/fs/cgroup/pids/gophernetes");
	ck_assert_int_eq(gph_cgi_parent(&h, "/gph-test/a/", p, sizeof p, &e), 0);
	ck_assert_str_eq(p, "/sys/fs/cgroup/memory/gph-test/a");
	ck_assert_int_eq(gph_cgi_parent(&h, "gophernetes-test", p, sizeof p, &e), 0);
	ck_assert_str_eq(p, "/sys/fs/cgroup/memory/process_api/x/gophernetes-test");
	ck_assert_int_eq(gph_cgi_parent(&h, "../up", p, sizeof p, &e), -1);
	ck_assert_int_eq(gph_cgi_parent(&h, "/", p, sizeof p, &e), -1);
}
END_TEST

START_TEST(bad_ids)
{
	static const char *const bad[] = { "", ".", "..", "a/b", "a b", "x\n",
		"0123456789012345678901234567890123456789012345678901234567890123" };
	struct gph_cgroup cg;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct gph_err e = { 0 };
		/* the id is checked before anything is looked at or created */
		ck_assert_int_eq(gph_cg_create(&cg, bad[i], NULL, &e), -1);
		ck_assert_int_eq(e.errnum, EINVAL);
		ck_assert_int_eq(gph_cg_open(&cg, bad[i], NULL, &e), -1);
	}
	ck_assert_int_eq(gph_cgi_valid_id("web-1.a_b", NULL), 0);
}
END_TEST

/* A struct as gph_cg_create would make it, pointing at fixture directories. */
static void fake(struct gph_cgroup *cg, enum gph_cg_mode mode)
{
	memset(cg, 0, sizeof *cg);
	cg->mode = mode;
	snprintf(cg->id, sizeof cg->id, "t");
	if (mode == GPH_CG_V2) {
		cg->n = 1;
		snprintf(cg->dir[0], sizeof cg->dir[0], "%s/v2-dir", FIX);
		return;
	}
	cg->n = 2;
	snprintf(cg->hier[0].controller, sizeof cg->hier[0].controller, "cpu,cpuacct");
	snprintf(cg->dir[0], sizeof cg->dir[0], "%s/no-such-dir", FIX);
	snprintf(cg->hier[1].controller, sizeof cg->hier[1].controller, "memory");
	snprintf(cg->dir[1], sizeof cg->dir[1], "%s/v1-memdir", FIX);
}

START_TEST(dir_for)
{
	struct gph_cgroup cg;
	fake(&cg, GPH_CG_V1);
	ck_assert_str_eq(gph_cg_dir_for(&cg, "memory"), FIX "/v1-memdir");
	ck_assert_str_eq(gph_cg_dir_for(&cg, "cpuacct"), FIX "/no-such-dir");
	ck_assert_str_eq(gph_cg_dir_for(&cg, "cpu"), FIX "/no-such-dir");
	ck_assert_str_eq(gph_cg_dir_for(&cg, NULL), FIX "/v1-memdir");
	ck_assert_ptr_null(gph_cg_dir_for(&cg, "pids"));
	ck_assert_ptr_null(gph_cg_dir_for(&cg, "cpus"));
	fake(&cg, GPH_CG_V2);
	ck_assert_str_eq(gph_cg_dir_for(&cg, "memory"), FIX "/v2-dir");
	ck_assert_str_eq(gph_cg_dir_for(&cg, "pids"), FIX "/v2-dir");
	cg.n = 0;
	ck_assert_ptr_null(gph_cg_dir_for(&cg, "memory"));
}
END_TEST

START_TEST(read_files)
{
	struct gph_cgroup cg;
	struct gph_err e = { 0 };
	char buf[64], tiny[4];
	long long kills = -1;
	int procs = -1;
	fake(&cg, GPH_CG_V1);
	ck_assert_int_eq(gph_cg_read_file(&cg, "memory", "memory.limit_in_bytes", buf, sizeof buf, &e), 0);
	ck_assert_str_eq(buf, "33554432");
	ck_assert_int_eq(gph_cg_read_file(&cg, "memory", "memory.limit_in_bytes", tiny, sizeof tiny, &e), -1);
	ck_assert_int_eq(gph_cg_read_file(&cg, "pids", "pids.max", buf, sizeof buf, &e), -1);
	ck_assert_int_eq(gph_cg_read_file(&cg, "memory", "nope", buf, sizeof buf, &e), -1);
	ck_assert_int_eq(e.errnum, ENOENT);
	ck_assert_int_eq(gph_cg_oom_kills(&cg, &kills, &e), 0);
	ck_assert_int_eq(kills, 3);
	ck_assert_int_eq(gph_cg_count_procs(&cg, &procs, &e), 0);
	ck_assert_int_eq(procs, 0);
	fake(&cg, GPH_CG_V2);
	ck_assert_int_eq(gph_cg_oom_kills(&cg, &kills, &e), 0);
	ck_assert_int_eq(kills, 2);
	ck_assert_int_eq(gph_cg_count_procs(&cg, &procs, &e), 0);
	ck_assert_int_eq(procs, 3);
	ck_assert_int_eq(gph_cg_read_file(&cg, NULL, "cgroup.procs", buf, sizeof buf, &e), 0);
	ck_assert_str_eq(buf, "101");
}
END_TEST

START_TEST(destroy_refuses_foreign_dirs)
{
	struct gph_cgroup cg;
	struct gph_err e = { 0 };
	memset(&cg, 0, sizeof cg);
	cg.mode = GPH_CG_V1;
	cg.n = 1;
	snprintf(cg.id, sizeof cg.id, "x");
	snprintf(cg.hier[0].mount, sizeof cg.hier[0].mount, "/nonexistent/memory");
	/* not named after the id: refused before anything is read, killed or removed */
	snprintf(cg.dir[0], sizeof cg.dir[0], "/nonexistent/memory/gophernetes/y");
	ck_assert_int_eq(gph_cg_destroy(&cg, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "refusing"));
	/* not below the mount */
	snprintf(cg.dir[0], sizeof cg.dir[0], "/nonexistent/other/gophernetes/x");
	ck_assert_int_eq(gph_cg_destroy(&cg, &e), -1);
	/* ours but absent: nothing to do, fine (idempotent) */
	snprintf(cg.dir[0], sizeof cg.dir[0], "/nonexistent/memory/gophernetes/x");
	ck_assert_int_eq(gph_cg_destroy(&cg, &e), 0);
}
END_TEST

Suite *suite_cgroup(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("mode");
	tcase_add_test(tc, mode_from_fstypes);
	tcase_add_test(tc, mode_from_fstypes_errors);
	tcase_add_test(tc, mode_names);
	tcase_add_test(tc, detect_not_cgroup);
	suite_add_tcase(s, tc);
	tc = tcase_create("hierarchies");
	tcase_add_test(tc, hier_hybrid_host);
	tcase_add_test(tc, hier_v1_comounted);
	tcase_add_test(tc, hier_v2);
	tcase_add_test(tc, hier_mount_root_and_escapes);
	tcase_add_test(tc, hier_v2_prefers_standard_mount);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_test(tc, parent_paths);
	tcase_add_test(tc, bad_ids);
	tcase_add_test(tc, dir_for);
	tcase_add_test(tc, read_files);
	tcase_add_test(tc, destroy_refuses_foreign_dirs);
	suite_add_tcase(s, tc);
	return s;
}
