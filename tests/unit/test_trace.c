/* The trace's rendering (flags, results, strings) and the failure diagnosis, on fixtures. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include "gph/diagnose.h"
#include "gph/trace.h"
#include "suites.h"

static char *fixture(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "tests/fixtures/diagnose/%s", name);
	FILE *f = fopen(path, "re");
	ck_assert_msg(f != NULL, "fixture %s missing (run from the repository root)", path);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(flags_render_from_bits)
{
	char b[256];
	ck_assert_str_eq(gph_clone_flags_str(CLONE_NEWUTS, b, sizeof b), "CLONE_NEWUTS");
	ck_assert_str_eq(gph_clone_flags_str(CLONE_NEWPID | CLONE_NEWNS, b, sizeof b), "CLONE_NEWPID|CLONE_NEWNS");
	ck_assert_str_eq(gph_clone_flags_str(0, b, sizeof b), "0");
	ck_assert_str_eq(gph_mount_flags_str(MS_NOSUID | MS_NODEV | MS_NOEXEC, b, sizeof b), "MS_NOSUID|MS_NODEV|MS_NOEXEC");
	ck_assert_str_eq(gph_mount_flags_str(MS_REC | MS_PRIVATE, b, sizeof b), "MS_REC|MS_PRIVATE");
	ck_assert_str_eq(gph_mount_flags_str(MS_BIND | (1UL << 30), b, sizeof b), "MS_BIND|0x40000000");
	ck_assert_str_eq(gph_umount_flags_str(MNT_DETACH, b, sizeof b), "MNT_DETACH");
	/* a buffer too small truncates, never overflows */
	char small[8];
	gph_mount_flags_str(MS_NOSUID | MS_NODEV | MS_NOEXEC, small, sizeof small);
	ck_assert_uint_lt(strlen(small), sizeof small);
}
END_TEST

START_TEST(results_and_strings)
{
	char b[256];
	ck_assert_str_eq(gph_result_str(0, 0, b, sizeof b), " = 0");
	ck_assert_str_eq(gph_result_str(8, 0, b, sizeof b), " = 8");
	ck_assert_str_eq(gph_result_str(-1, EPERM, b, sizeof b), " = -1 EPERM (Operation not permitted)");
	ck_assert_str_eq(gph_quote("0 1000 1\n", 100, b, sizeof b), "\"0 1000 1\\n\"");
	ck_assert_str_eq(gph_quote(NULL, 100, b, sizeof b), "NULL");
	ck_assert_str_eq(gph_quote("abcdef", 3, b, sizeof b), "\"abc\"...");
	ck_assert_str_eq(gph_quote("a\"b", 10, b, sizeof b), "\"a\\\"b\"");
}
END_TEST

/* A line made with the trace on goes to the sink, tagged; off, nothing. */
START_TEST(lines_reach_the_sink)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	gph_trace_start(f);
	gph_trace_call(-1, ENOENT, "mount(%s)", "\"x\"");
	gph_trace_start(NULL);
	gph_trace_line("not shown");
	fclose(f);
	ck_assert_str_eq(buf, "[runtime] mount(\"x\") = -1 ENOENT (No such file or directory)\n");
	free(buf);
}
END_TEST

START_TEST(pivot_root_preconditions)
{
	char why[512];
	ck_assert_int_eq(gph_diag_pivot_root(fixture("mountinfo-ok"), "/srv/rootfs", why, sizeof why), 0);
	ck_assert_int_eq(gph_diag_pivot_root(fixture("mountinfo-shared"), "/srv/rootfs", why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "\"/\" has shared propagation (shared:1"));
	ck_assert_ptr_nonnull(strstr(why, "pivot_root(2)"));
	ck_assert_int_eq(gph_diag_pivot_root(fixture("mountinfo-chroot"), "/srv/rootfs", why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "inside a chroot(2)"));
	ck_assert_int_eq(gph_diag_pivot_root(fixture("mountinfo-nobind"), "/srv/rootfs", why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "/srv/rootfs is not a mount point"));
	ck_assert_int_eq(gph_diag_pivot_root(fixture("mountinfo-ok"), "/", why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "same mount as the current root"));
	ck_assert_int_eq(gph_diag_pivot_root(fixture("mountinfo-parent-shared"), "/srv/rootfs", why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "parent mount of the new root (/srv) has shared propagation (shared:7)"));
}
END_TEST

START_TEST(mount_preconditions)
{
	char why[512];
	const char *ok = fixture("mountinfo-ok");
	ck_assert_int_eq(gph_diag_mount("proc", "/proc", ENOENT, ENOENT, ok, false, false, why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "mount point /proc does not exist"));
	ck_assert_int_eq(gph_diag_mount("sysfs", "/sys", EPERM, 0, ok, true, false, why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "`ns net`"));
	ck_assert_int_eq(gph_diag_mount("proc", "/proc", EPERM, 0, ok, true, true, why, sizeof why), 0);
	ck_assert_int_eq(gph_diag_mount("proc", "/proc", EPERM, 0, fixture("mountinfo-procsub"), true, true, why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "full proc"));
	ck_assert_int_eq(gph_diag_mount("proc", "/proc", EBUSY, 0, ok, false, false, why, sizeof why), 0);
}
END_TEST

START_TEST(hostname_preconditions)
{
	char why[512];
	ck_assert_int_eq(gph_diag_hostname(70, EINVAL, true, true, why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "HOST_NAME_MAX (64)"));
	ck_assert_int_eq(gph_diag_hostname(3, EPERM, true, false, why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "CAP_SYS_ADMIN"));
	ck_assert_int_eq(gph_diag_hostname(3, EPERM, true, true, why, sizeof why), 0);
}
END_TEST

START_TEST(idmap_preconditions)
{
	char why[512];
	ck_assert_int_eq(gph_diag_idmap("uid_map", "0 1000 1\n", "", "allow\n", false, 1000, why, sizeof why), 0);
	ck_assert_int_eq(gph_diag_idmap("uid_map", "0 1000 1\n", "         0       1000          1\n", "deny\n", false, 1000,
					why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "written already"));
	ck_assert_int_eq(gph_diag_idmap("gid_map", "0 1000 1\n", "", "allow\n", false, 1000, why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "\"deny\" to /proc/PID/setgroups"));
	ck_assert_int_eq(gph_diag_idmap("gid_map", "0 1000 1\n", "", "deny\n", false, 1000, why, sizeof why), 0);
	ck_assert_int_eq(gph_diag_idmap("uid_map", "0 100000 65536\n", "", "allow\n", false, 1000, why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "only its own uid (1000)"));
	ck_assert_int_eq(gph_diag_idmap("uid_map", "0 100000 100\n50 200000 10\n", "", "allow\n", true, 0, why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "overlap inside"));
	ck_assert_int_eq(gph_diag_idmap("uid_map", "0 100000 100\n200 100050 10\n", "", "allow\n", true, 0, why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "overlap outside"));
	ck_assert_int_eq(gph_diag_idmap("uid_map", "0 100000 65536\n", "", "allow\n", true, 0, why, sizeof why), 0);
}
END_TEST

static long max_zero_for_user(const char *kind)
{
	return strcmp(kind, "user") == 0 ? 0 : 1000;
}

START_TEST(unshare_preconditions)
{
	char why[512];
	ck_assert_int_eq(gph_diag_unshare(CLONE_NEWUTS, EPERM, false, false, NULL, why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "lacks CAP_SYS_ADMIN"));
	ck_assert_int_eq(gph_diag_unshare(CLONE_NEWUSER, ENOSPC, true, false, max_zero_for_user, why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "max_user_namespaces is 0"));
	ck_assert_int_eq(gph_diag_unshare(CLONE_NEWUTS, EINVAL, true, false, max_zero_for_user, why, sizeof why), 0);
	ck_assert_int_eq(gph_diag_unshare(CLONE_NEWUSER | CLONE_NEWPID, EPERM, true, true, NULL, why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "runs in a chroot"));
}
END_TEST

START_TEST(cgroup_preconditions)
{
	char why[512];
	ck_assert_int_eq(gph_diag_cgroup_write("/sys/fs/cgroup/a/b/memory.max", "1", ENOENT, true, "cpu pids\n", "", "",
					       why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "memory controller is not enabled"));
	ck_assert_int_eq(gph_diag_cgroup_write("/sys/fs/cgroup/a/b/memory.max", "1", ENOENT, true, "memory pids\n", "", "",
					       why, sizeof why), 0);
	ck_assert_int_eq(gph_diag_cgroup_write("/sys/fs/cgroup/a/cgroup.subtree_control", "+memory", EBUSY, true, "memory",
					       "", "123\n", why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "no-internal-process rule"));
	ck_assert_int_eq(gph_diag_cgroup_write("/sys/fs/cgroup/a/cgroup.procs", "123", EBUSY, true, "memory", "memory\n", "",
					       why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "cannot hold processes itself"));
	ck_assert_int_eq(gph_diag_cgroup_write("/sys/fs/cgroup/cpu/x/cpu.shares", "1", EINVAL, false, NULL, NULL, NULL,
					       why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "out of the range"));
	ck_assert_int_eq(gph_diag_link("gph0", EEXIST, true, true, why, sizeof why), 1);
	ck_assert_ptr_nonnull(strstr(why, "already exists"));
	ck_assert_int_eq(gph_diag_link("gph0", EPERM, false, false, why, sizeof why), 1);
}
END_TEST

Suite *suite_trace(void)
{
	Suite *s = suite_create("trace");
	TCase *t = tcase_create("render");
	tcase_add_test(t, flags_render_from_bits);
	tcase_add_test(t, results_and_strings);
	tcase_add_test(t, lines_reach_the_sink);
	suite_add_tcase(s, t);
	t = tcase_create("diagnose");
	tcase_add_test(t, pivot_root_preconditions);
	tcase_add_test(t, mount_preconditions);
	tcase_add_test(t, hostname_preconditions);
	tcase_add_test(t, idmap_preconditions);
	tcase_add_test(t, unshare_preconditions);
	tcase_add_test(t, cgroup_preconditions);
	suite_add_tcase(s, t);
	return s;
}
