/* `export run` and `save` as pure functions of a step list, and `doctor`'s parsers and judge. */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gph/cgroup.h"
#include "gph/doctor.h"
#include "gph/export.h"
#include "gph/lesson.h"
#include "gph/parse.h"
#include "gph/step.h"
#include "suites.h"

/* Parse command lines as the shell does (split into words, then gph_step_parse). */
static int steps_from(const char *const *lines, struct gph_step *out)
{
	int n = 0;
	for (; lines[n]; n++) {
		char **argv;
		int argc;
		struct gph_err e = {0};
		ck_assert_msg(gph_split_words(lines[n], &argv, &argc, &e) == 0, "split %s", lines[n]);
		ck_assert_msg(gph_step_parse(argc, argv, &out[n], &e) == 0, "parse %s: %s", lines[n], e.msg);
		gph_argv_free(argv);
	}
	return n;
}

static struct gph_export x;

static int export(const char *const *lines, const char *host, const char *failed)
{
	static struct gph_step st[64];
	int n = steps_from(lines, st);
	struct gph_export_ctx ctx = {.host_hostname = host, .failed_step = failed};
	return gph_export_run(st, n, &ctx, &x);
}

/* Some reason mentions needle (and, when step >= 0, belongs to that step, 0-based). */
static bool has_why(int step, const char *needle)
{
	for (int i = 0; i < x.n_why; i++)
		if ((step < -1 || x.why[i].step == step) && strstr(x.why[i].why, needle))
			return true;
	return false;
}

START_TEST(full_container_line)
{
	const char *s[] = {"ns pid uts mnt ipc net cgroup", "hostname box", "cgroup mem 48M", "cgroup swap 64m",
			   "cgroup pids 20", "cgroup cpu 0.25", "cgroup cpuweight 200", "pivot_root /", "mount proc",
			   "mount dev", "mount sys", "readonly", "cap default", "cap drop NET_RAW", "cap add SYS_PTRACE",
			   "mask on", "nnp on", "seccomp default", "user 1000", "workdir /tmp", NULL};
	ck_assert_int_eq(export(s, "host", ""), 0);
	ck_assert_str_eq(x.line, "gophernetes run --ns pid,uts,mnt,ipc,net,cgroup --hostname box --rootfs / --memory 48M "
				 "--memory-swap 64M --cpus 0.25 --cpu-weight 200 --pids-limit 20 --read-only --cap-drop "
				 "NET_RAW --cap-add SYS_PTRACE -u 1000:1000 -w /tmp");
	ck_assert_int_eq(x.n_why, 0);
}
END_TEST

START_TEST(privileges)
{
	/* nothing about privileges applied: a new sandbox gives everything, as --privileged */
	const char *a[] = {"ns mnt", "chroot /", "mount proc", "mount sys", "mount dev", NULL};
	ck_assert_int_eq(export(a, NULL, NULL), 0);
	ck_assert_str_eq(x.line, "gophernetes run --ns mnt --rootfs / --chroot --privileged");
	/* applied, but back to everything: still --privileged */
	const char *b[] = {"ns mnt", "chroot /", "mount proc", "mount sys", "mount dev", "cap default", "cap all",
			   "nnp off", "seccomp off", "user 5:6", NULL};
	ck_assert_int_eq(export(b, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(x.line, " --privileged -u 5:6"));
	/* without nnp and seccomp; every capability dropped */
	const char *c[] = {"ns mnt", "pivot_root /", "mount proc", "mount sys", "mount dev", "cap default",
			   "cap drop ALL", "mask on", NULL};
	ck_assert_int_eq(export(c, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(x.line, " --cap-drop ALL --no-new-privileges=false --seccomp=unconfined"));
	ck_assert_ptr_null(strstr(x.line, "--privileged"));
	/* every capability but with the filter: --cap-add ALL */
	const char *d[] = {"ns mnt", "pivot_root /", "mount proc", "mount sys", "mount dev", "cap all", "mask on",
			   "seccomp default", "nnp on", NULL};
	ck_assert_int_eq(export(d, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(x.line, " --cap-add ALL"));
	/* no masks although there is a mount namespace: not expressible */
	const char *e[] = {"ns mnt", "pivot_root /", "mount proc", "mount sys", "mount dev", "cap default", NULL};
	ck_assert_int_eq(export(e, NULL, NULL), 1);
	ck_assert(has_why(-1, "no `mask on`"));
	ck_assert_str_eq(x.line, "");
	/* without a mount namespace there is nothing to mask: fine */
	const char *f[] = {"ns pid", "chroot /", "cap default", "nnp on", "seccomp default", NULL};
	ck_assert_int_eq(export(f, NULL, NULL), 0);
	ck_assert_str_eq(x.line, "gophernetes run --ns pid --rootfs / --chroot");
}
END_TEST

START_TEST(user_namespace)
{
	/* as lesson 08: pivot_root in a user namespace with a net namespace mounts sysfs itself */
	const char *a[] = {"ns user uidmap 0:100000:65536,65536:1:1 gidmap 0:100000:65536", "ns pid uts mnt ipc net",
			   "hostname inside", "pivot_root /", "mount proc", "mount dev", NULL};
	ck_assert_int_eq(export(a, NULL, NULL), 0);
	ck_assert_str_eq(x.line, "gophernetes run --ns pid,uts,mnt,ipc,net --userns --uidmap 0:100000:65536,65536:1:1 "
				 "--gidmap 0:100000:65536 --hostname inside --rootfs / --privileged");
	/* without `ns net` it does not */
	const char *b[] = {"ns user", "ns pid mnt", "pivot_root /", "mount proc", "mount dev", NULL};
	ck_assert_int_eq(export(b, NULL, NULL), 1);
	ck_assert(has_why(2, "`mount sys`"));
}
END_TEST

START_TEST(inexpressible_named)
{
	const char *tmpfs[] = {"ns mnt", "pivot_root /", "mount proc", "mount dev", "mount sys", "mount tmpfs /tmp", NULL};
	ck_assert_int_eq(export(tmpfs, NULL, NULL), 1);
	ck_assert(has_why(5, "tmpfs"));
	const char *before[] = {"ns mnt pid", "mount proc", "pivot_root /", "mount dev", "mount sys", NULL};
	ck_assert_int_eq(export(before, NULL, NULL), 1);
	ck_assert(has_why(1, "before the root change"));
	ck_assert_str_eq(x.why[0].text, "mount proc");
	const char *only_proc[] = {"ns mnt pid", "pivot_root /", "mount proc", NULL};
	ck_assert_int_eq(export(only_proc, NULL, NULL), 1);
	ck_assert(has_why(1, "no `mount dev`, `mount sys` after it"));
	const char *twice[] = {"ns mnt", "pivot_root /", "mount proc", "mount proc", "mount dev", "mount sys", NULL};
	ck_assert_int_eq(export(twice, NULL, NULL), 1);
	ck_assert(has_why(3, "twice"));
	const char *other_path[] = {"ns mnt", "pivot_root /", "mount proc /mnt", "mount dev", "mount sys", NULL};
	ck_assert_int_eq(export(other_path, NULL, NULL), 1);
	ck_assert(has_why(2, "only at /proc"));
	const char *no_root[] = {"ns pid uts", "hostname a", NULL};
	ck_assert_int_eq(export(no_root, NULL, NULL), 1);
	ck_assert(has_why(-1, "no chroot or pivot_root"));
	const char *ipc_late[] = {"ns mnt", "pivot_root /", "mount proc", "mount dev", "mount sys", "ns ipc", NULL};
	ck_assert_int_eq(export(ipc_late, NULL, NULL), 1);
	ck_assert(has_why(5, "/dev/mqueue"));
	const char *net_late[] = {"ns mnt", "pivot_root /", "mount proc", "mount dev", "mount sys", "ns net", NULL};
	ck_assert_int_eq(export(net_late, NULL, NULL), 1);
	ck_assert(has_why(5, "sysfs"));
	const char *swap_first[] = {"ns mnt", "pivot_root /", "mount proc", "mount dev", "mount sys", "cgroup swap 1G",
				    "cgroup mem 64M", NULL};
	ck_assert_int_eq(export(swap_first, NULL, NULL), 1);
	ck_assert(has_why(6, "--memory first"));
	const char *failed[] = {"ns mnt", "pivot_root /", "mount proc", "mount dev", "mount sys", NULL};
	ck_assert_int_eq(export(failed, NULL, "hostname x"), 1);
	ck_assert(has_why(-1, "the step `hostname x` failed"));
}
END_TEST

START_TEST(network_and_hostname)
{
	const char *br[] = {"ns net mnt uts", "hostname web", "net bridge br9 subnet 10.9.0.0/16 ip 10.9.0.7",
			    "net port 8080:80/udp", "net nat", "net port 2222:22", "pivot_root /", "mount proc", "mount dev",
			    "mount sys", NULL};
	ck_assert_int_eq(export(br, NULL, NULL), 0);
	ck_assert_str_eq(x.line, "gophernetes run --ns uts,mnt,net --hostname web --rootfs / --net bridge --bridge br9 "
				 "--subnet 10.9.0.0/16 --ip 10.9.0.7 -p 8080:80/udp -p 2222:22 --privileged");
	const char *nonat[] = {"ns net mnt", "net bridge", "pivot_root /", "mount proc", "mount dev", "mount sys", NULL};
	ck_assert_int_eq(export(nonat, NULL, NULL), 1);
	ck_assert(has_why(1, "net nat"));
	const char *late[] = {"ns net mnt", "pivot_root /", "net bridge", "net nat", "mount proc", "mount dev", "mount sys", NULL};
	ck_assert_int_eq(export(late, NULL, NULL), 1);
	ck_assert(has_why(2, "/etc/resolv.conf"));
	/* veth after the root change is the same veth */
	const char *veth[] = {"ns net mnt", "pivot_root /", "net veth", "mount proc", "mount dev", "mount sys", NULL};
	ck_assert_int_eq(export(veth, NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(x.line, " --net veth"));
	/* uts without hostname keeps the host's name: said with --hostname and a note */
	const char *uts[] = {"ns uts mnt", "pivot_root /", "mount proc", "mount dev", "mount sys", NULL};
	ck_assert_int_eq(export(uts, "my host", NULL), 0);
	ck_assert_ptr_nonnull(strstr(x.line, " --hostname 'my host' "));
	ck_assert_ptr_nonnull(strstr(x.notes[0], "copied"));
	ck_assert_int_eq(export(uts, NULL, NULL), 1);
	/* no namespaces at all: an empty --ns */
	const char *none[] = {"chroot /", NULL};
	ck_assert_int_eq(export(none, NULL, NULL), 0);
	ck_assert_str_eq(x.line, "gophernetes run --ns '' --rootfs / --chroot --privileged");
}
END_TEST

START_TEST(quoting)
{
	char b[64] = "";
	ck_assert_int_eq(gph_export_append_word(b, sizeof b, "a-b/c:1,2"), 0);
	ck_assert_int_eq(gph_export_append_word(b, sizeof b, "it's x"), 0);
	ck_assert_int_eq(gph_export_append_word(b, sizeof b, ""), 0);
	ck_assert_str_eq(b, "a-b/c:1,2 'it'\\''s x' ''");
	char small[8] = "";
	ck_assert_int_eq(gph_export_append_word(small, sizeof small, "longer than eight"), -1);
	/* what we quote, the shell's word splitter reads back */
	char **argv;
	int argc;
	struct gph_err e = {0};
	ck_assert_int_eq(gph_split_words(b, &argv, &argc, &e), 0);
	ck_assert_int_eq(argc, 3);
	ck_assert_str_eq(argv[1], "it's x");
	ck_assert_str_eq(argv[2], "");
	gph_argv_free(argv);
}
END_TEST

START_TEST(saved_lines_parse_back)
{
	const char *s[] = {"ns user uidmap 0:100000:65536 gidmap 0:100000:65536,65536:1:1", "ns pid uts mnt ipc net cgroup",
			   "hostname box", "pivot_root /", "mount proc", "mount tmpfs /tmp", "cgroup mem 32M",
			   "cgroup io rbps /dev/vda 10M", "net bridge gph1 subnet 10.9.0.0/16", "net port 1:2/udp",
			   "cap drop NET_RAW SYS_CHROOT", "seccomp off", "nnp on", "mask on", "user 7:8", "workdir /tmp", "readonly",
			   NULL};
	static struct gph_step st[32], back[32];
	int n = steps_from(s, st);
	char line[PATH_MAX + 600];
	for (int i = 0; i < n; i++) {
		gph_export_step_line(&st[i], line, sizeof line);
		const char *one[] = {line, NULL};
		ck_assert_int_eq(steps_from(one, &back[i]), 1);
		/* the same step: every field but the typed text */
		ck_assert_msg(back[i].kind == st[i].kind && back[i].ns_flags == st[i].ns_flags &&
				      !strcmp(back[i].path, st[i].path) && !strcmp(back[i].uidmap, st[i].uidmap) &&
				      !strcmp(back[i].gidmap, st[i].gidmap) && back[i].bytes == st[i].bytes &&
				      back[i].caps == st[i].caps && back[i].uid == st[i].uid && back[i].gid == st[i].gid &&
				      back[i].on == st[i].on && back[i].host_port == st[i].host_port &&
				      !strcmp(back[i].bridge, st[i].bridge) && !strcmp(back[i].subnet, st[i].subnet),
			      "\"%s\" saved as \"%s\" parses to another step", s[i], line);
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(gph_export_script(st, 3, "two\nlines", f), 0);
	fclose(f);
	ck_assert_str_eq(buf, "# two\n# lines\nns user uidmap 0:100000:65536 gidmap 0:100000:65536,65536:1:1\n"
			      "ns pid uts mnt ipc net cgroup\nhostname box\n");
	free(buf);
}
END_TEST

/* ---- doctor ---- */

START_TEST(doctor_parsers)
{
	int lo, other;
	gph_doctor_resolv("# generated\nnameserver 127.0.0.53\noptions edns0\n", &lo, &other);
	ck_assert_int_eq(lo, 1);
	ck_assert_int_eq(other, 0);
	gph_doctor_resolv("nameserver 10.0.0.1\n  nameserver\t::1\nnameserver 8.8.8.8", &lo, &other);
	ck_assert_int_eq(lo, 1);
	ck_assert_int_eq(other, 2);
	gph_doctor_resolv("", &lo, &other);
	ck_assert_int_eq(lo + other, 0);

	ck_assert(gph_doctor_is_wsl("Linux version 5.15.146.1-microsoft-standard-WSL2 (gcc ...)"));
	ck_assert(!gph_doctor_is_wsl("Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)"));

	ck_assert_str_eq(gph_doctor_cgroup_container("0::/system.slice/docker-0123abcd.scope\n"), "docker");
	ck_assert_str_eq(gph_doctor_cgroup_container("12:pids:/kubepods/burstable/pod1/abc\n"), "kubepods");
	ck_assert_ptr_null(gph_doctor_cgroup_container("0::/init.scope\n"));

	char v[32];
	const char env[] = "HOME=/\0container=podman\0TERM=xterm";
	ck_assert(gph_doctor_env_container(env, sizeof env, v, sizeof v));
	ck_assert_str_eq(v, "podman");
	const char env2[] = "HOME=/\0containerx=1";
	ck_assert(!gph_doctor_env_container(env2, sizeof env2, v, sizeof v));

	ck_assert(gph_doctor_uidmap_initial("         0          0 4294967295\n"));
	ck_assert(!gph_doctor_uidmap_initial("         0     100000      65536\n"));
	ck_assert(!gph_doctor_uidmap_initial("0 0 4294967295\n1 1 1\n"));

	int ma, mi;
	ck_assert_int_eq(gph_doctor_kernel_version("6.1.0-18-amd64", &ma, &mi), 0);
	ck_assert_int_eq(ma, 6);
	ck_assert_int_eq(mi, 1);
	ck_assert_int_eq(gph_doctor_kernel_version("x.y", &ma, &mi), -1);

	ck_assert_int_eq(gph_doctor_meminfo_kb("MemTotal: 100 kB\nSwapTotal:     2048 kB\n", "SwapTotal"), 2048);
	ck_assert_int_eq(gph_doctor_meminfo_kb("MemTotal: 100 kB\n", "SwapTotal"), -1);
}
END_TEST

START_TEST(doctor_judges_lessons)
{
	struct gph_lesson l;
	struct gph_err e = {0};
	ck_assert_int_eq(gph_lesson_parse("@title t\n@see a(1)\n@needs root\n$ cgroup mem 32M\n? exit 0\n"
					  "$ ns pid user\n? exit 0\n$ net nat\n? exit 0\n",
					  "x.lesson", &l, &e), 0);
	unsigned u = gph_doctor_lesson_uses(&l);
	gph_lesson_free(&l);
	ck_assert_uint_eq(u, GPH_USES_ROOT | GPH_USES_MEM | GPH_USES_USERNS | GPH_USES_NAT);

	struct gph_doctor_facts f = {.root = true, .cg_mode = GPH_CG_HYBRID, .cg_memory = true, .cg_pids = true,
				     .cg_cpu = true, .swap_accounting = true, .max_userns = 1000, .initial_userns = true,
				     .rootfs_ok = true, .nft_tool = true, .libnftables = true, .libnl = true,
				     .open_tree = true, .dns_other = 1};
	char why[1024];
	ck_assert(!gph_doctor_judge(&f, u, why, sizeof why));
	ck_assert_str_eq(why, "");
	/* swap on and not accounted: the memory lesson behaves differently, but runs */
	f.swap_accounting = false;
	f.swap_kb = 1024;
	ck_assert(!gph_doctor_judge(&f, u, why, sizeof why));
	ck_assert_ptr_nonnull(strstr(why, "pushed to swap"));
	/* user namespaces off: skipped */
	f.max_userns = 0;
	ck_assert(gph_doctor_judge(&f, u, why, sizeof why));
	ck_assert_ptr_nonnull(strstr(why, "max_user_namespaces = 0"));
	/* not root: skipped, whatever else */
	f.max_userns = 1000;
	f.root = false;
	ck_assert(gph_doctor_judge(&f, GPH_USES_ROOT, why, sizeof why));
	ck_assert_ptr_nonnull(strstr(why, "needs root"));
	/* v2 without the memory controller delegated */
	f.root = true;
	f.cg_mode = GPH_CG_V2;
	f.cg_memory = false;
	ck_assert(gph_doctor_judge(&f, GPH_USES_MEM, why, sizeof why));
	ck_assert_ptr_nonnull(strstr(why, "not delegated"));
	/* cgroup2 lessons on a hybrid host */
	f.cg_mode = GPH_CG_HYBRID;
	ck_assert(gph_doctor_judge(&f, GPH_USES_CGROUP2, why, sizeof why));
	ck_assert_ptr_nonnull(strstr(why, "hybrid"));
	/* only a DNS stub: a bridge lesson differs */
	f.dns_other = 0;
	f.dns_loopback = 1;
	ck_assert(!gph_doctor_judge(&f, GPH_USES_BRIDGE, why, sizeof why));
	ck_assert_ptr_nonnull(strstr(why, "stub"));
}
END_TEST

Suite *suite_export(void)
{
	Suite *s = suite_create("export");
	TCase *t = tcase_create("export");
	tcase_add_test(t, full_container_line);
	tcase_add_test(t, privileges);
	tcase_add_test(t, user_namespace);
	tcase_add_test(t, inexpressible_named);
	tcase_add_test(t, network_and_hostname);
	tcase_add_test(t, quoting);
	tcase_add_test(t, saved_lines_parse_back);
	suite_add_tcase(s, t);
	TCase *d = tcase_create("doctor");
	tcase_add_test(d, doctor_parsers);
	tcase_add_test(d, doctor_judges_lessons);
	suite_add_tcase(s, d);
	return s;
}
