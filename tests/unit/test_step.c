/* The command table and step parsing: what every front end relies on. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gph/sandbox.h"
#include "gph/step.h"
#include "suites.h"

static int parse(struct gph_step *s, struct gph_err *e, int argc, char **argv)
{
	gph_err_clear(e);
	return gph_step_parse(argc, argv, s, e);
}

START_TEST(ns_flags_and_aliases)
{
	struct gph_step s;
	struct gph_err e;
	char *a[] = {"ns", "pid", "uts", "mount", "ipc", "net", "cgroup", NULL};
	ck_assert_int_eq(parse(&s, &e, 7, a), 0);
	ck_assert_int_eq(s.kind, GPH_STEP_NS);
	ck_assert_int_eq(s.ns_flags, CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET |
					     CLONE_NEWCGROUP);
	ck_assert_str_eq(s.text, "ns pid uts mount ipc net cgroup");
	char buf[64];
	gph_ns_flags_str(s.ns_flags, buf, sizeof buf);
	ck_assert_str_eq(buf, "pid,uts,mnt,ipc,net,cgroup");
	char *bad[] = {"ns", "pid", "usr", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, bad), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "usr"));
	char *none[] = {"ns", NULL};
	ck_assert_int_eq(parse(&s, &e, 1, none), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "usage"));
}
END_TEST

START_TEST(ns_join)
{
	struct gph_step s, t;
	struct gph_err e;
	char *a[] = {"ns", "join", "net", "/proc/self/ns/net", NULL};
	ck_assert_int_eq(parse(&s, &e, 4, a), 0);
	ck_assert(s.join);
	ck_assert_int_eq(s.ns_flags, CLONE_NEWNET);
	ck_assert_str_eq(s.path, "/proc/self/ns/net");
	char *plain[] = {"ns", "net", NULL};
	ck_assert_int_eq(parse(&t, &e, 2, plain), 0);
	ck_assert(!gph_step_equal(&s, &t)); /* joining is not making a new one */
	char *pid[] = {"ns", "join", "pid", "/proc/self/ns/pid", NULL};
	ck_assert_int_eq(parse(&s, &e, 4, pid), -1);
	char *rel[] = {"ns", "join", "net", "ns/net", NULL};
	ck_assert_int_eq(parse(&s, &e, 4, rel), -1);
	char *missing[] = {"ns", "join", "net", "/nonexistent/ns", NULL};
	ck_assert_int_eq(parse(&s, &e, 4, missing), -1);
	ck_assert_int_eq(e.errnum, ENOENT);
}
END_TEST

START_TEST(hostname_checked_before_anything)
{
	struct gph_step s;
	struct gph_err e;
	char long65[66], long64[65];
	memset(long65, 'a', 65);
	long65[65] = '\0';
	memset(long64, 'a', 64);
	long64[64] = '\0';
	char *a[] = {"hostname", long65, NULL};
	ck_assert_int_eq(parse(&s, &e, 2, a), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "64"));
	a[1] = long64;
	ck_assert_int_eq(parse(&s, &e, 2, a), 0);
	ck_assert_str_eq(s.hostname, long64);
	a[1] = "a b";
	ck_assert_int_eq(parse(&s, &e, 2, a), -1);
	char *two[] = {"hostname", "a", "b", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, two), -1);
}
END_TEST

START_TEST(root_dirs_resolved_and_checked)
{
	struct gph_step s;
	struct gph_err e;
	char *missing[] = {"chroot", "./definitely-missing-dir", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, missing), -1);
	ck_assert_int_eq(e.errnum, ENOENT);
	ck_assert_ptr_nonnull(strstr(e.msg, "definitely-missing-dir"));
	char *file[] = {"pivot_root", "/etc/hostname", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, file), -1);
	ck_assert_int_eq(e.errnum, ENOTDIR);
	char *ok[] = {"pivot_root", "/tmp/../tmp", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, ok), 0);
	ck_assert_int_eq(s.kind, GPH_STEP_PIVOT_ROOT);
	ck_assert_str_eq(s.path, "/tmp");
}
END_TEST

START_TEST(mounts)
{
	struct gph_step s;
	struct gph_err e;
	char *proc[] = {"mount", "proc", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, proc), 0);
	ck_assert_int_eq(s.mount, GPH_MOUNT_PROC);
	ck_assert_str_eq(s.path, "/proc");
	char *tmp[] = {"mount", "tmpfs", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, tmp), -1);
	char *tmp2[] = {"mount", "tmpfs", "/tmp", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, tmp2), 0);
	ck_assert_str_eq(s.path, "/tmp");
	char *rel[] = {"mount", "proc", "proc", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, rel), -1);
	char *bad[] = {"mount", "ext4", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, bad), -1);
}
END_TEST

START_TEST(cgroup_and_net)
{
	struct gph_step s;
	struct gph_err e;
	char *mem[] = {"cgroup", "mem", "32M", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, mem), 0);
	ck_assert_int_eq(s.bytes, 32LL << 20);
	char *bad[] = {"cgroup", "mem", "0", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, bad), -1);
	char *what[] = {"cgroup", "blkio", "1", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, what), -1);
	char *cpu[] = {"cgroup", "cpu", "0.5", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, cpu), 0);
	ck_assert_int_eq(s.res, GPH_RES_CPU);
	ck_assert_int_eq(s.bytes, 50000);
	ck_assert_int_eq(s.value2, 100000);
	char *rbps[] = {"cgroup", "io", "rbps", "/dev/vda", "1M", NULL};
	ck_assert_int_eq(parse(&s, &e, 5, rbps), 0);
	ck_assert_int_eq(s.res, GPH_RES_IORBPS);
	ck_assert_str_eq(s.path, "/dev/vda");
	ck_assert_int_eq(s.bytes, 1 << 20);
	char *swap[] = {"cgroup", "swap", "-1", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, swap), 0);
	ck_assert_int_eq(s.bytes, -1);
	char *pids0[] = {"cgroup", "pids", "0", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, pids0), -1);
	char *none[] = {"net", "none", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, none), 0);
	ck_assert_int_eq(s.net, GPH_NET_NONE);
	char *veth[] = {"net", "veth", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, veth), 0);
	ck_assert_int_eq(s.kind, GPH_STEP_NET);
	ck_assert_int_eq(s.net, GPH_NET_VETH);
	char *br[] = {"net", "bridge", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, br), 0);
	ck_assert_int_eq(s.net, GPH_NET_BRIDGE);
	ck_assert_str_eq(s.bridge, "");
	char *br2[] = {"net", "bridge", "br1", "subnet", "10.89.0.0/16", "ip", "10.89.0.7", NULL};
	ck_assert_int_eq(parse(&s, &e, 7, br2), 0);
	ck_assert_str_eq(s.bridge, "br1");
	ck_assert_str_eq(s.subnet, "10.89.0.0/16");
	ck_assert_str_eq(s.ip, "10.89.0.7");
	char *br3[] = {"net", "bridge", "ip", "300.1.1.1", NULL};
	ck_assert_int_eq(parse(&s, &e, 4, br3), -1);
	char *port[] = {"net", "port", "18080:80/udp", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, port), 0);
	ck_assert_int_eq(s.host_port, 18080);
	ck_assert_int_eq(s.ctr_port, 80);
	ck_assert_str_eq(s.proto, "udp");
	static char *badports[] = {"0:80", "80", "80:", "70000:80", "80:80/sctp", "80:80x", "a:b"};
	for (size_t i = 0; i < sizeof badports / sizeof badports[0]; i++) {
		char *bp[] = {"net", "port", badports[i], NULL};
		ck_assert_msg(parse(&s, &e, 3, bp) == -1, "%s accepted", badports[i]);
	}
}
END_TEST

/* Found by the fuzzer (tests/fuzz/step.c; inputs kept in tests/fuzz/corpus/step/regress-*). */
START_TEST(fuzz_findings)
{
	struct gph_step s;
	struct gph_err e;
	/* A subnet with host bits was kept and refused only when the step was applied. */
	char *sub[] = {"net", "bridge", "subnet", "10.89.0.5/16", NULL};
	ck_assert_int_eq(parse(&s, &e, 4, sub), -1);
	ck_assert_msg(strstr(e.msg, "net bridge: ") && strstr(e.msg, "host bits"), "message: %s", e.msg);
	char *sub2[] = {"net", "bridge", "subnet", "garbage", NULL};
	ck_assert_int_eq(parse(&s, &e, 4, sub2), -1);
	/* sscanf's %d took blanks and signs and wrapped 4294967376 to 80. */
	static char *badports[] = {"4294967376:80", "80:4294967376", " 80:80", "\f80:80", "80: 80", "+80:80",
				   "-0:80", "80:+80", "065536:80", "000080:80"};
	for (size_t i = 0; i < sizeof badports / sizeof badports[0]; i++) {
		char *bp[] = {"net", "port", badports[i], NULL};
		ck_assert_msg(parse(&s, &e, 3, bp) == -1, "[%s] accepted as %d:%d", badports[i], s.host_port, s.ctr_port);
	}
	/* Overlapping id map ranges (either side) were kept for the kernel to refuse after the
	 * namespace was made. Ranges that only touch are fine. */
	static const char *overlaps[] = {"0:1000:1,0:2000:1", "0:1000:1,1:1000:1", "0:100000:65536,65535:5000:1",
					 "10:100:10,0:90:11", "0:0:1,1:1:1,2:2:1,3:0:1"};
	for (size_t i = 0; i < sizeof overlaps / sizeof overlaps[0]; i++) {
		char out[128];
		gph_err_clear(&e);
		ck_assert_msg(gph_parse_idmap(overlaps[i], out, sizeof out, &e) == -1, "accepted \"%s\"", overlaps[i]);
		ck_assert_msg(strstr(e.msg, "overlap"), "message: %s", e.msg);
	}
	char out[128];
	ck_assert_int_eq(gph_parse_idmap("0:1000:1,1:1001:1,2:0:1", out, sizeof out, &e), 0);
	ck_assert_str_eq(out, "0 1000 1\n1 1001 1\n2 0 1\n");
	char *ok[] = {"net", "port", "65535:1/tcp", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, ok), 0);
	ck_assert_int_eq(s.host_port, 65535);
	ck_assert_int_eq(s.ctr_port, 1);
	ck_assert_str_eq(s.proto, "tcp");
}
END_TEST

START_TEST(unknown_command_suggests_closest)
{
	struct gph_step s;
	struct gph_err e;
	char *a[] = {"hostnme", "x", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, a), -1);
	ck_assert_ptr_nonnull(strstr(e.hint, "hostname"));
	ck_assert_str_eq(gph_cmd_closest("pivotroot"), "pivot_root");
	ck_assert_ptr_null(gph_cmd_closest("completelydifferent"));
}
END_TEST

START_TEST(table_is_complete)
{
	/* Every row teaches: usage and summary always; steps also help, explain and man pages. */
	for (int i = 0; i < gph_n_cmds; i++) {
		const struct gph_cmd_def *d = &gph_cmds[i];
		ck_assert_msg(d->usage && *d->usage && d->summary && *d->summary, "%s lacks usage/summary", d->name);
		if (d->is_step)
			ck_assert_msg(*d->help && *d->explain && strchr(d->see, '('), "%s lacks teaching text", d->name);
		ck_assert_ptr_eq(gph_cmd_find(d->name), d);
	}
}
END_TEST

START_TEST(user_namespace_and_maps)
{
	struct gph_step s;
	struct gph_err e;
	char *a[] = {"ns", "user", "pid", "uidmap", "0:100000:65536,65536:5000:1", "gidmap", "0:100000:65536", NULL};
	ck_assert_int_eq(parse(&s, &e, 7, a), 0);
	ck_assert_int_eq(s.ns_flags, CLONE_NEWUSER | CLONE_NEWPID);
	ck_assert_str_eq(s.uidmap, "0 100000 65536\n65536 5000 1\n");
	ck_assert_str_eq(s.gidmap, "0 100000 65536\n");
	char buf[64];
	gph_ns_flags_str(s.ns_flags, buf, sizeof buf);
	ck_assert_str_eq(buf, "user,pid");
	char *nouser[] = {"ns", "pid", "uidmap", "0:1:1", NULL};
	ck_assert_int_eq(parse(&s, &e, 4, nouser), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "go with `user`"));
	const char *bad[] = {"0:1", "0:1:0", "x:1:1", "0:1:1,", "0:1:1;2:3:4", "4294967295:0:1", "0:4294967290:10", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char out[128];
		gph_err_clear(&e);
		ck_assert_msg(gph_parse_idmap(bad[i], out, sizeof out, &e) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_msg(e.msg[0], "no message for \"%s\"", bad[i]);
	}
	char *missing[] = {"ns", "user", "uidmap", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, missing), -1);
}
END_TEST

START_TEST(privilege_steps)
{
	struct gph_step s;
	struct gph_err e;
	char *cap[] = {"cap", "drop", "NET_RAW", "cap_chown", NULL};
	ck_assert_int_eq(parse(&s, &e, 4, cap), 0);
	ck_assert_int_eq(s.kind, GPH_STEP_CAP);
	ck_assert_int_eq(s.cap_op, GPH_CAPOP_DROP);
	ck_assert(s.caps == ((1ULL << 13) | 1ULL));
	char *all[] = {"cap", "add", "ALL", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, all), 0);
	ck_assert(s.caps == ~0ULL);
	char *badcap[] = {"cap", "drop", "NET_RAWW", NULL};
	ck_assert_int_eq(parse(&s, &e, 3, badcap), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "NET_RAWW"));
	char *nocap[] = {"cap", "drop", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, nocap), -1);
	char *sc[] = {"seccomp", "off", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, sc), 0);
	ck_assert_int_eq(s.kind, GPH_STEP_SECCOMP);
	ck_assert(!s.on);
	char *badsc[] = {"seccomp", "on", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, badsc), -1);
	char *user[] = {"user", "1000", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, user), 0);
	ck_assert_uint_eq(s.uid, 1000);
	ck_assert_uint_eq(s.gid, 1000);
	char *ug[] = {"user", "7:8", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, ug), 0);
	ck_assert_uint_eq(s.gid, 8);
	char *named[] = {"user", "nobody", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, named), 0);
	ck_assert_str_eq(s.user_name, "nobody");
	ck_assert_str_eq(s.group_name, "");
	char *ng[] = {"user", "1:nogroup", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, ng), 0);
	ck_assert_uint_eq(s.uid, 1);
	ck_assert_str_eq(s.user_name, "");
	ck_assert_str_eq(s.group_name, "nogroup");
	const char *badu[] = {"-1", "1:", ":1", "4294967295", "1 2", "a:b:c", "-x", "x/y", "a\nb",
			      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "1:-g"};
	for (size_t i = 0; i < sizeof badu / sizeof badu[0]; i++) {
		char *b[] = {"user", (char *)badu[i], NULL};
		ck_assert_msg(parse(&s, &e, 2, b) == -1, "accepted user \"%s\"", badu[i]);
	}
	char *wd[] = {"workdir", "tmp", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, wd), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "absolute"));
	char *ro[] = {"readonly", "x", NULL};
	ck_assert_int_eq(parse(&s, &e, 2, ro), -1);
	ck_assert_int_eq(parse(&s, &e, 1, ro), 0);
	ck_assert_int_eq(s.kind, GPH_STEP_READONLY);
}
END_TEST

START_TEST(idfile_lookup)
{
	const char *pw = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
			 "nob:x:12:13::/:/bin/sh\nbad:x::1:\nlast:x:7:8";
	unsigned id = 99, gid = 99;
	ck_assert_int_eq(gph_idfile_find(pw, "nobody", &id, &gid), 0);
	ck_assert_uint_eq(id, 65534);
	ck_assert_uint_eq(gid, 65534);
	ck_assert_int_eq(gph_idfile_find(pw, "nob", &id, &gid), 0); /* not a prefix match of "nobody" */
	ck_assert_uint_eq(id, 12);
	ck_assert_uint_eq(gid, 13);
	ck_assert_int_eq(gph_idfile_find(pw, "last", &id, &gid), 0); /* no newline at the end */
	ck_assert_uint_eq(gid, 8);
	ck_assert_int_eq(gph_idfile_find(pw, "bad", &id, &gid), -1);
	ck_assert_int_eq(gph_idfile_find(pw, "no", &id, &gid), -1);
	ck_assert_int_eq(gph_idfile_find(pw, "x", &id, &gid), -1);
	ck_assert_int_eq(gph_idfile_find("grp:x:5:a,b\nnogroup:x:65534:\n", "nogroup", &id, NULL), 0);
	ck_assert_uint_eq(id, 65534);
	ck_assert_int_eq(gph_idfile_find("", "root", &id, NULL), -1);
}
END_TEST

Suite *suite_step(void)
{
	Suite *s = suite_create("step");
	TCase *t = tcase_create("parse");
	tcase_add_test(t, ns_flags_and_aliases);
	tcase_add_test(t, ns_join);
	tcase_add_test(t, user_namespace_and_maps);
	tcase_add_test(t, privilege_steps);
	tcase_add_test(t, idfile_lookup);
	tcase_add_test(t, hostname_checked_before_anything);
	tcase_add_test(t, root_dirs_resolved_and_checked);
	tcase_add_test(t, mounts);
	tcase_add_test(t, cgroup_and_net);
	tcase_add_test(t, fuzz_findings);
	tcase_add_test(t, unknown_command_suggests_closest);
	tcase_add_test(t, table_is_complete);
	suite_add_tcase(s, t);
	return s;
}
