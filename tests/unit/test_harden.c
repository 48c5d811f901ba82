/* gph/harden.h: capability names and sets, the seccomp table and personality rules (pure), and
 * live checks in forked children, as root: capability sets read back from /proc/self/status,
 * no_new_privs against a setuid copy of id(1), every denied system call answering EPERM through
 * the filter on both x86 ABIs (with the baseline without the filter proving the errno differs),
 * x32 killed, the compiled-program cache, and the /proc and /sys masks in a private mount
 * namespace with a fresh procfs (never the host's mounts; nothing is ever written to /proc). */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <seccomp.h>
#include "gph/harden.h"
#include "suites.h"

/* The attack table and its runner, shared with the in-container helper. */
#define ESCAPE_NO_MAIN
#include "../probe/escape.c"

/* ---- running a check in a child --------------------------------------------------------------- */

typedef int (*child_fn)(void *arg, char *msg, size_t len);

#define CHECK(cond, ...)                                   \
	do {                                               \
		if (!(cond)) {                             \
			snprintf(msg, len, __VA_ARGS__);   \
			return -1;                         \
		}                                          \
	} while (0)

/* Runs fn in a forked child (which may then change its credentials, filters and mounts freely);
 * returns 0 when fn returned 0, else -1 with its message (or how the child died) in msg. */
static int in_child(child_fn fn, void *arg, char *msg, size_t len)
{
	int p[2];
	msg[0] = '\0';
	if (pipe(p) < 0) {
		snprintf(msg, len, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(msg, len, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char m[8192] = "";
		close(p[0]);
		int rc = fn(arg, m, sizeof m);
		if (write(p[1], m, strlen(m)) < 0) {
		}
		_exit(rc == 0 ? 0 : 1);
	}
	close(p[1]);
	size_t off = 0;
	ssize_t n;
	while (off + 1 < len && (n = read(p[0], msg + off, len - 1 - off)) > 0)
		off += (size_t)n;
	msg[off] = '\0';
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	if (WIFSIGNALED(st))
		snprintf(msg + off, len - off, " (child killed by signal %d)", WTERMSIG(st));
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

#define RUN(fn, arg)                                                  \
	do {                                                          \
		char m_[8192];                                        \
		ck_assert_msg(geteuid() == 0, "needs root");          \
		ck_assert_msg(in_child(fn, arg, m_, sizeof m_) == 0, "%s", m_); \
	} while (0)

/* ---- capability names and sets ---------------------------------------------------------------- */

START_TEST(cap_names)
{
	ck_assert_int_eq(gph_caps_parse_name("NET_ADMIN"), CAP_NET_ADMIN);
	ck_assert_int_eq(gph_caps_parse_name("CAP_NET_ADMIN"), CAP_NET_ADMIN);
	ck_assert_int_eq(gph_caps_parse_name("cap_net_admin"), CAP_NET_ADMIN);
	ck_assert_int_eq(gph_caps_parse_name("net_admin"), CAP_NET_ADMIN);
	ck_assert_int_eq(gph_caps_parse_name("CHOWN"), CAP_CHOWN);
	ck_assert_int_eq(gph_caps_parse_name("SYS_ADMIN"), CAP_SYS_ADMIN);
	ck_assert_int_eq(gph_caps_parse_name("ALL"), GPH_CAP_ALL);
	ck_assert_int_eq(gph_caps_parse_name("all"), GPH_CAP_ALL);
	ck_assert_int_eq(gph_caps_parse_name("CAP_ALL"), GPH_CAP_ALL);
	ck_assert_int_eq(gph_caps_parse_name("FOO"), -1);
	ck_assert_int_eq(gph_caps_parse_name(""), -1);
	ck_assert_int_eq(gph_caps_parse_name("CAP_"), -1);
	ck_assert_int_eq(gph_caps_parse_name("NET ADMIN"), -1);
	ck_assert_int_eq(gph_caps_parse_name("12"), -1);
	ck_assert_int_eq(gph_caps_parse_name(NULL), -1);
	char b[40];
	ck_assert_str_eq(gph_caps_name(CAP_NET_ADMIN, b, sizeof b), "NET_ADMIN");
	ck_assert_str_eq(gph_caps_name(CAP_DAC_OVERRIDE, b, sizeof b), "DAC_OVERRIDE");
	ck_assert_str_eq(gph_caps_name(CAP_SYS_ADMIN, b, 4), "SYS"); /* truncated, terminated */
}
END_TEST

START_TEST(cap_default_set)
{
	static const int in[] = {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID,
				 CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SYS_CHROOT,
				 CAP_AUDIT_WRITE, CAP_SETFCAP};
	static const int out[] = {CAP_MKNOD, CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_PTRACE, CAP_SYS_TIME,
				  CAP_NET_ADMIN, CAP_SYS_BOOT, CAP_SYS_RAWIO, CAP_DAC_READ_SEARCH, CAP_SYSLOG,
				  CAP_BPF, CAP_PERFMON, CAP_LINUX_IMMUTABLE, CAP_SYS_RESOURCE};
	struct gph_caps c;
	uint64_t want = 0;
	gph_caps_default(&c);
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		want |= GPH_CAP_BIT(in[i]);
	ck_assert_uint_eq(GPH_CAPS_DEFAULT, want);
	ck_assert_uint_eq(c.bounding, want);
	ck_assert_uint_eq(c.effective, want);
	ck_assert_uint_eq(c.permitted, want);
	ck_assert_uint_eq(c.inheritable, 0);
	ck_assert_uint_eq(c.ambient, 0);
	for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
		ck_assert_msg(!(c.bounding & GPH_CAP_BIT(out[i])), "capability %d must not be in the default set", out[i]);
	char b[1024];
	gph_caps_format(c.bounding, b, sizeof b);
	ck_assert_str_eq(b, "CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW "
			    "SYS_CHROOT AUDIT_WRITE SETFCAP");
}
END_TEST

START_TEST(cap_add_drop)
{
	struct gph_caps c;
	struct gph_err e;
	char b[2048];
	gph_caps_default(&c);
	ck_assert_int_eq(gph_caps_add(&c, "NET_ADMIN", &e), 0);
	ck_assert(c.bounding & c.effective & c.permitted & GPH_CAP_BIT(CAP_NET_ADMIN));
	ck_assert(!(c.inheritable & GPH_CAP_BIT(CAP_NET_ADMIN)));
	ck_assert_int_eq(gph_caps_drop(&c, "cap_chown", &e), 0);
	ck_assert(!((c.bounding | c.effective | c.permitted) & GPH_CAP_BIT(CAP_CHOWN)));
	ck_assert_int_eq(gph_caps_add_ambient(&c, "NET_BIND_SERVICE", &e), 0);
	ck_assert(c.ambient & c.inheritable & c.permitted & GPH_CAP_BIT(CAP_NET_BIND_SERVICE));
	ck_assert_int_eq(gph_caps_drop(&c, "NET_BIND_SERVICE", &e), 0);
	ck_assert_uint_eq(c.ambient, 0);
	ck_assert_uint_eq(c.inheritable, 0);
	ck_assert_int_eq(gph_caps_drop(&c, "ALL", &e), 0);
	ck_assert_uint_eq(c.bounding | c.effective | c.permitted | c.inheritable | c.ambient, 0);
	gph_caps_format(c.bounding, b, sizeof b);
	ck_assert_str_eq(b, "(none)");
	/* ALL: every capability this process can still hand on (the kernel's set within our bounding set) */
	uint64_t own = 0;
	for (int v = 0; v < 64; v++)
		if ((gph_caps_known() >> v & 1) && prctl(PR_CAPBSET_READ, v, 0, 0, 0) == 1)
			own |= UINT64_C(1) << v;
	ck_assert_int_eq(gph_caps_add(&c, "ALL", &e), 0);
	ck_assert_uint_eq(c.bounding, own);
	gph_caps_format(c.bounding, b, sizeof b);
	if (own == gph_caps_known())
		ck_assert_str_eq(b, "ALL");
	ck_assert_int_eq(gph_caps_add(&c, "CAP_FLY", &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "CAP_FLY"));
	ck_assert_ptr_nonnull(strstr(e.hint, "NET_ADMIN"));
	ck_assert_int_eq(gph_caps_drop(&c, "", &e), -1);
	gph_caps_all(&c);
	ck_assert_uint_eq(c.effective, own);
	ck_assert_uint_eq(c.bounding, own);
	ck_assert_uint_eq(gph_caps_known() & 0xffffffffffULL, 0xffffffffffULL); /* 0..39 on any 5.9+ kernel */
}
END_TEST

/* ---- seccomp table and personality rules ------------------------------------------------------ */

START_TEST(seccomp_table)
{
	size_t n;
	const struct gph_seccomp_rule *r = gph_seccomp_rules(&n);
	/* libseccomp through dlopen, as the engine loads it: the unit tests link no more than it. */
	void *lib = dlopen("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(lib, "dlopen(libseccomp.so.2): %s", dlerror());
	__typeof__(seccomp_syscall_resolve_name_arch) *resolve =
		(__typeof__(seccomp_syscall_resolve_name_arch) *)dlsym(lib, "seccomp_syscall_resolve_name_arch");
	ck_assert_ptr_nonnull(resolve);
	ck_assert_uint_gt(n, 40);
	for (size_t i = 0; i < n; i++) {
		int x64 = resolve(SCMP_ARCH_X86_64, r[i].syscall);
		int x86 = resolve(SCMP_ARCH_X86, r[i].syscall);
		/* Known to this libseccomp on at least one ABI, so the compiled program (and the cache
		 * key, which does not name libseccomp's version) covers every rule. */
		ck_assert_msg(x64 != __NR_SCMP_ERROR || x86 != __NR_SCMP_ERROR, "libseccomp does not know %s",
			      r[i].syscall);
		ck_assert_msg(x64 >= 0 || x86 >= 0, "%s exists on neither ABI", r[i].syscall);
		ck_assert_msg(r[i].why && *r[i].why, "%s: no reason", r[i].syscall);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(r[i].syscall, r[j].syscall), "%s listed twice", r[i].syscall);
	}
	/* Capability gates, as Docker's profile has them. */
	int found = 0;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(r[i].syscall, "mount")) {
			found++;
			ck_assert(gph_seccomp_rule_active(&r[i], GPH_CAPS_DEFAULT));
			ck_assert(!gph_seccomp_rule_active(&r[i], GPH_CAPS_DEFAULT | GPH_CAP_BIT(CAP_SYS_ADMIN)));
		}
		if (!strcmp(r[i].syscall, "keyctl")) {
			found++;
			ck_assert(gph_seccomp_rule_active(&r[i], ~UINT64_C(0)));
		}
		if (!strcmp(r[i].syscall, "chroot")) {
			found++;
			ck_assert(!gph_seccomp_rule_active(&r[i], GPH_CAPS_DEFAULT));
		}
		if (!strcmp(r[i].syscall, "bpf")) {
			found++;
			ck_assert(!gph_seccomp_rule_active(&r[i], GPH_CAP_BIT(CAP_BPF)));
		}
	}
	ck_assert_int_eq(found, 4);
	dlclose(lib);
}
END_TEST

static int persona_in_set(uint32_t v)
{
	return v == 0 || v == 0x8 || v == 0x20000 || v == 0x20008 || v == 0xffffffff;
}

START_TEST(seccomp_personality_rules)
{
	static const uint32_t ok[] = {0, 0x8, 0x20000, 0x20008, 0xffffffff};
	for (size_t i = 0; i < 5; i++)
		ck_assert_msg(gph_seccomp_personality_allowed(ok[i]), "%#x must be allowed", ok[i]);
	for (int b = 0; b < 32; b++) {
		uint32_t one = UINT32_C(1) << b, all_but = ~one;
		ck_assert_int_eq(gph_seccomp_personality_allowed(one), persona_in_set(one));
		ck_assert_int_eq(gph_seccomp_personality_allowed(all_but), persona_in_set(all_but));
		ck_assert_int_eq(gph_seccomp_personality_allowed(one | 0x20008), persona_in_set(one | 0x20008));
	}
	uint32_t x = 12345;
	for (int i = 0; i < 200000; i++) {
		x = x * 1103515245u + 12345u;
		uint32_t v = x ^ (x >> 7);
		ck_assert_msg(gph_seccomp_personality_allowed(v) == persona_in_set(v), "%#x", v);
	}
	/* The kernel reads 32 bits: the upper half is not looked at. */
	ck_assert(gph_seccomp_personality_allowed(UINT64_C(0x100000008)));
}
END_TEST

START_TEST(paths_table)
{
	size_t n;
	const struct gph_path_rule *r = gph_paths_rules(&n);
	int masks = 0, ro = 0;
	for (size_t i = 0; i < n; i++) {
		ck_assert(r[i].rel[0] && r[i].rel[0] != '/');
		ck_assert(!strstr(r[i].rel, ".."));
		ck_assert(r[i].why && *r[i].why);
		masks += r[i].kind == GPH_PATH_MASK;
		ro += r[i].kind == GPH_PATH_READONLY;
	}
	ck_assert_int_ge(masks, 10);
	ck_assert_int_eq(ro, 5);
}
END_TEST

/* ---- live: capabilities ----------------------------------------------------------------------- */

static int apply_default(void *arg, char *msg, size_t len)
{
	(void)arg;
	struct gph_caps c, got;
	struct gph_err e;
	gph_caps_default(&c);
	gph_caps_warm();
	CHECK(gph_caps_apply(&c, &e) == 0, "gph_caps_apply: %s: %s", e.msg, strerror(e.errnum));
	CHECK(gph_caps_read(0, &got, &e) == 0, "gph_caps_read: %s", e.msg);
	CHECK(got.bounding == GPH_CAPS_DEFAULT, "CapBnd %016llx", (unsigned long long)got.bounding);
	CHECK(got.effective == GPH_CAPS_DEFAULT, "CapEff %016llx", (unsigned long long)got.effective);
	CHECK(got.permitted == GPH_CAPS_DEFAULT, "CapPrm %016llx", (unsigned long long)got.permitted);
	CHECK(got.inheritable == 0 && got.ambient == 0, "CapInh %016llx CapAmb %016llx",
	      (unsigned long long)got.inheritable, (unsigned long long)got.ambient);
	/* Gone for good: a dropped capability cannot be raised again. */
	CHECK(gph_caps_add(&c, "SYS_ADMIN", &e) == 0, "add");
	CHECK(gph_caps_apply(&c, &e) == -1, "raising a dropped capability must fail");
	char d[2048];
	CHECK(gph_caps_describe(0, d, sizeof d, &e) == 0, "describe: %s", e.msg);
	CHECK(strstr(d, "bounding     00000000a00425fb CHOWN DAC_OVERRIDE") != NULL, "describe:\n%s", d);
	CHECK(strstr(d, "inheritable  0000000000000000 (none)") != NULL, "describe:\n%s", d);
	CHECK(strstr(d, "seccomp      off") != NULL, "describe:\n%s", d);
	return 0;
}

START_TEST(live_caps_default)
{
	RUN(apply_default, NULL);
}
END_TEST

static int apply_ambient(void *arg, char *msg, size_t len)
{
	(void)arg;
	struct gph_caps c, got;
	struct gph_err e;
	gph_caps_default(&c);
	CHECK(gph_caps_add_ambient(&c, "NET_ADMIN", &e) == 0, "add_ambient");
	CHECK(gph_caps_apply(&c, &e) == 0, "gph_caps_apply: %s: %s", e.msg, strerror(e.errnum));
	CHECK(gph_caps_read(0, &got, &e) == 0, "read");
	CHECK(got.ambient == GPH_CAP_BIT(CAP_NET_ADMIN), "CapAmb %016llx", (unsigned long long)got.ambient);
	CHECK(got.inheritable == GPH_CAP_BIT(CAP_NET_ADMIN), "CapInh %016llx", (unsigned long long)got.inheritable);
	CHECK(got.bounding == (GPH_CAPS_DEFAULT | GPH_CAP_BIT(CAP_NET_ADMIN)), "CapBnd %016llx",
	      (unsigned long long)got.bounding);
	return 0;
}

START_TEST(live_caps_ambient)
{
	RUN(apply_ambient, NULL);
}
END_TEST

/* Run /bin/cat /proc/self/status (optionally as uid) and pick its Cap* lines. */
static int exec_status(uid_t uid, int keepcaps_apply, struct gph_caps *got, char *msg, size_t len)
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct gph_caps c;
		struct gph_err e;
		gph_caps_default(&c);
		dup2(p[1], 1);
		if (uid && (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
			    setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0))
			_exit(3);
		if (keepcaps_apply && gph_caps_apply(&c, &e) < 0) {
			dprintf(2, "gph_caps_apply: %s: %s\n", e.msg, strerror(e.errnum));
			_exit(4);
		}
		execl("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
		_exit(5);
	}
	close(p[1]);
	char buf[8192];
	size_t off = 0;
	ssize_t n;
	while (off + 1 < sizeof buf && (n = read(p[0], buf + off, sizeof buf - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "cat as uid %u: status %#x", (unsigned)uid, st);
	static const char *const keys[] = {"CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"};
	uint64_t *dst[] = {&got->inheritable, &got->permitted, &got->effective, &got->bounding, &got->ambient};
	for (int i = 0; i < 5; i++) {
		char *l = strstr(buf, keys[i]);
		CHECK(l, "no %s in\n%s", keys[i], buf);
		*dst[i] = strtoull(l + strlen(keys[i]), NULL, 16);
	}
	return 0;
}

static int exec_sets(void *arg, char *msg, size_t len)
{
	(void)arg;
	struct gph_caps got;
	/* Root: after execve the sets are the bounding set; inheritable and ambient empty (B31). */
	if (exec_status(0, 1, &got, msg, len) < 0)
		return -1;
	CHECK(got.bounding == GPH_CAPS_DEFAULT && got.effective == GPH_CAPS_DEFAULT &&
		      got.permitted == GPH_CAPS_DEFAULT && got.inheritable == 0 && got.ambient == 0,
	      "root after exec: bnd %llx eff %llx prm %llx inh %llx amb %llx", (unsigned long long)got.bounding,
	      (unsigned long long)got.effective, (unsigned long long)got.permitted, (unsigned long long)got.inheritable,
	      (unsigned long long)got.ambient);
	/* uid 1000: applied after setresuid with PR_SET_KEEPCAPS; after execve nothing is left. */
	if (exec_status(1000, 1, &got, msg, len) < 0)
		return -1;
	CHECK(got.bounding == GPH_CAPS_DEFAULT && got.effective == 0 && got.permitted == 0 && got.inheritable == 0 &&
		      got.ambient == 0,
	      "uid 1000 after exec: bnd %llx eff %llx prm %llx", (unsigned long long)got.bounding,
	      (unsigned long long)got.effective, (unsigned long long)got.permitted);
	return 0;
}

START_TEST(live_caps_exec)
{
	RUN(exec_sets, NULL);
}
END_TEST

/* ---- live: no_new_privs ----------------------------------------------------------------------- */

static int copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
	char buf[65536];
	ssize_t n;
	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (out < 0)
		goto done;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			goto done;
	rc = n == 0 && fchown(out, 0, 0) == 0 && fchmod(out, mode) == 0 ? 0 : -1;
done:
	close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/* uid 65534 runs a setuid-root copy of id(1) with and without no_new_privs; returns its euid. */
static long suid_euid(const char *id, int nnp)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct gph_err e;
		dup2(p[1], 1);
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		if (nnp && gph_nnp_apply(&e) < 0)
			_exit(4);
		execl(id, "id", "-u", (char *)NULL);
		_exit(5);
	}
	close(p[1]);
	char buf[64] = "";
	ssize_t n = read(p[0], buf, sizeof buf - 1);
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	if (n <= 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -2;
	return strtol(buf, NULL, 10);
}

static int nnp_setuid(void *arg, char *msg, size_t len)
{
	const char *dir = arg;
	char id[PATH_MAX];
	/* A mount namespace of our own, with a tmpfs that honours setuid bits, for the copy. */
	CHECK(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS): %s", strerror(errno));
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private: %s", strerror(errno));
	CHECK(mount("tmpfs", dir, "tmpfs", 0, "mode=755,size=8m") == 0, "mount tmpfs: %s", strerror(errno));
	snprintf(id, sizeof id, "%s/id", dir);
	CHECK(copy_file("/usr/bin/id", id, 04755) == 0, "copy /usr/bin/id: %s", strerror(errno));
	long without = suid_euid(id, 0), with = suid_euid(id, 1);
	CHECK(without == 0, "control: the setuid copy should make euid 0 without no_new_privs, got %ld", without);
	CHECK(with == 65534, "with no_new_privs the setuid bit must not take effect: euid %ld", with);
	struct gph_err e;
	CHECK(gph_nnp_apply(&e) == 0 && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "PR_GET_NO_NEW_PRIVS");
	return 0;
}

START_TEST(live_nnp)
{
	char dir[] = "/tmp/gph-harden-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char m[8192];
	int rc = geteuid() == 0 ? in_child(nnp_setuid, dir, m, sizeof m) : -1;
	rmdir(dir);
	ck_assert_msg(rc == 0, "%s", geteuid() ? "needs root" : m);
}
END_TEST

/* ---- live: seccomp ---------------------------------------------------------------------------- */

struct sc_case {
	uint64_t caps;              /* the profile's capability set */
	int filtered;               /* load it, or measure the baseline */
};

static struct gph_seccomp_prog prog_default, prog_admin;

/* Each attack in a child of its own, with full root capabilities: under the filter an EPERM can
 * only be the filter's, and the baseline (no filter) shows what the kernel answers otherwise. */
/* The kernel itself refuses new user namespaces to a chrooted process (and where policy forbids
 * them): there, EPERM for those calls says nothing about the filter, so they are left out of the
 * checks that compare with the kernel's own answer. Asked once, in a child without any filter. */
static bool userns_refused_by_kernel(void)
{
	static int known = -1;
	if (known < 0) {
		pid_t p = fork();
		if (p == 0)
			_exit(unshare(CLONE_NEWUSER) < 0 && errno == EPERM ? 1 : 0);
		int st = 0;
		known = p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 1;
		if (known)
			fprintf(stderr, "test_harden: this kernel refuses new user namespaces here (a chroot?): "
					"CLONE_NEWUSER is checked only against the filter's own answer\n");
	}
	return known;
}

static int sc_attacks(void *arg, char *msg, size_t len)
{
	const struct sc_case *c = arg;
	struct gph_err e;
	size_t off = 0;
	int bad = 0;
	if (c->filtered) {
		const struct gph_seccomp_prog *p = c->caps == GPH_CAPS_DEFAULT ? &prog_default : &prog_admin;
		CHECK(gph_seccomp_load(p, &e) == 0, "gph_seccomp_load: %s: %s", e.msg, strerror(e.errnum));
		CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0, "loading must leave no_new_privs alone");
	}
	for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++)
		for (int abi = ABI_64; abi <= ABI_32; abi++) {
			const struct attack *at = &attacks[i];
			if ((abi == ABI_64 ? at->nr64 : at->nr32) == NO)
				continue;
			bool newuser = strstr(at->name, "NEWUSER") != NULL;
			if (newuser && (!c->filtered || c->caps != GPH_CAPS_DEFAULT) && userns_refused_by_kernel())
				continue;
			long r = attempt(at, (enum abi)abi);
			int ok;
			if (!c->filtered)
				ok = r != -EPERM && r > -1000; /* else the test could not tell the filter from the kernel */
			else if (c->caps == GPH_CAPS_DEFAULT)
				ok = r == -at->expect;
			else /* SYS_ADMIN held: the mount and namespace rules are left out, keyctl is not */
				ok = !strncmp(at->name, "keyctl", 6) ? r == -EPERM
				     : (!strncmp(at->name, "mount", 5) || !strncmp(at->name, "unshare", 7) ||
					!strncmp(at->name, "clone", 5) || !strncmp(at->name, "setns", 5))
					     ? r != -EPERM && r != -ENOSYS
					     : 1;
			if (!ok && off < len) {
				bad++;
				int n = snprintf(msg + off, len - off, "%s %s: %s; ", abi_name[abi], at->name,
						 r <= -1000 ? "killed" : errname(r));
				off += n > 0 ? (size_t)n : 0;
			}
		}
	if (c->filtered)
		for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
			for (int abi = ABI_64; abi <= ABI_32; abi++) {
				long r = attempt(&allowed[i], (enum abi)abi);
				if ((r == -EPERM || r <= -1000) && off < len) {
					bad++;
					int n = snprintf(msg + off, len - off, "%s %s must be allowed: %s; ", abi_name[abi],
							 allowed[i].name, r <= -1000 ? "killed" : errname(r));
					off += n > 0 ? (size_t)n : 0;
				}
			}
	return bad ? -1 : 0;
}

static void build_progs(void)
{
	struct gph_err e;
	ck_assert_msg(gph_seccomp_build(GPH_CAPS_DEFAULT, &prog_default, &e) == 0, "build: %s", e.msg);
	ck_assert_msg(gph_seccomp_build(GPH_CAPS_DEFAULT | GPH_CAP_BIT(CAP_SYS_ADMIN), &prog_admin, &e) == 0,
		      "build: %s", e.msg);
	ck_assert_uint_gt(prog_default.len, prog_admin.len);
}

START_TEST(live_seccomp_baseline)
{
	struct sc_case c = {GPH_CAPS_DEFAULT, 0};
	RUN(sc_attacks, &c);
}
END_TEST

START_TEST(live_seccomp_default)
{
	struct sc_case c = {GPH_CAPS_DEFAULT, 1};
	build_progs();
	RUN(sc_attacks, &c);
}
END_TEST

START_TEST(live_seccomp_caps_gate)
{
	struct sc_case c = {GPH_CAPS_DEFAULT | GPH_CAP_BIT(CAP_SYS_ADMIN), 1};
	build_progs();
	RUN(sc_attacks, &c);
}
END_TEST

static int sc_x32(void *arg, char *msg, size_t len)
{
	(void)arg;
	struct gph_err e;
	long r = 0;
	CHECK(gph_seccomp_load(&prog_default, &e) == 0, "load: %s", e.msg);
	int sig = attempt_x32(&r);
	CHECK(sig == SIGSYS, "an x32 call must kill the process (SIGSYS), got signal %d, result %ld", sig, r);
	return 0;
}

START_TEST(live_seccomp_x32)
{
	build_progs();
	RUN(sc_x32, NULL);
}
END_TEST

/* Without no_new_privs the kernel wants CAP_SYS_ADMIN to install a filter: after the capability
 * drop it must be refused with the hint, and accepted once no_new_privs is set. */
static int sc_order(void *arg, char *msg, size_t len)
{
	(void)arg;
	struct gph_caps c;
	struct gph_err e;
	gph_caps_default(&c);
	CHECK(gph_caps_apply(&c, &e) == 0, "caps: %s", e.msg);
	CHECK(gph_seccomp_load(&prog_default, &e) == -1 && e.errnum == EACCES, "load without nnp and CAP_SYS_ADMIN: %s",
	      e.msg);
	CHECK(strstr(e.hint, "before dropping capabilities") != NULL, "hint: %s", e.hint);
	CHECK(gph_nnp_apply(&e) == 0, "nnp");
	CHECK(gph_seccomp_load(&prog_default, &e) == 0, "load with nnp: %s: %s", e.msg, strerror(e.errnum));
	char d[2048];
	CHECK(gph_caps_describe(0, d, sizeof d, &e) == 0, "describe");
	CHECK(strstr(d, "no_new_privs on") && strstr(d, "seccomp      filter (1 filter)"), "describe:\n%s", d);
	return 0;
}

START_TEST(live_seccomp_order)
{
	build_progs();
	RUN(sc_order, NULL);
}
END_TEST

START_TEST(seccomp_cache)
{
	char dir[] = "/tmp/gph-harden-XXXXXX", path[PATH_MAX];
	static struct gph_seccomp_prog a, b;
	struct gph_err e;
	struct stat st;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	int ok1 = gph_seccomp_prepare(GPH_CAPS_DEFAULT, dir, &a, &e) == 0;
	int ok2 = gph_seccomp_prepare(GPH_CAPS_DEFAULT, dir, &b, &e) == 0;
	int same = ok1 && ok2 && a.len == b.len && !memcmp(a.insns, b.insns, a.len * sizeof a.insns[0]);
	/* One file, private; a damaged file is ignored and replaced. */
	int files = 0, priv = 0, repaired = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		files++;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		priv = stat(path, &st) == 0 && (st.st_mode & 0777) == 0600;
	}
	if (d)
		closedir(d);
	if (files == 1 && truncate(path, 40) == 0)
		repaired = gph_seccomp_prepare(GPH_CAPS_DEFAULT, dir, &b, &e) == 0 && b.len == a.len &&
			   stat(path, &st) == 0 && st.st_size > 40;
	unlink(path);
	rmdir(dir);
	ck_assert_msg(ok1 && ok2, "prepare: %s", e.msg);
	ck_assert(same);
	ck_assert_int_eq(files, 1);
	ck_assert(priv);
	ck_assert(repaired);
}
END_TEST

/* ---- live: masked and read-only paths --------------------------------------------------------- */

static int read_bytes(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	return (int)n;
}

static int mount_count(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int n = 0, c;
	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int apply(const char *proc, const char *sys, const char *null, uint64_t host, char *trace, size_t len,
		 struct gph_err *e)
{
	struct gph_paths_where w = {.proc = proc, .sys = sys, .dev_null = null, .host_mntns = host};
	return gph_paths_apply(&w, trace, len, e);
}

/* Lines of our mountinfo whose mount point starts with prefix (given with a leading blank). */
static int mounts_below(const char *prefix)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];
	int n = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		n += strstr(line, prefix) != NULL;
	fclose(f);
	return n;
}

static int is_empty_dir(const char *p)
{
	char buf[4096];
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
	close(fd);
	return n >= 0 && n <= 48; /* "." and ".." */
}

/* The checks that hold whatever masked the files. */
static int check_masked(const char *proc, const char *sys, const char *trace, char *msg, size_t len)
{
	char p[PATH_MAX];
	struct statfs sf;
	snprintf(p, sizeof p, "read-only %s/sys\n", proc);
	CHECK(strstr(trace, p), "trace:\n%s", trace);
	snprintf(p, sizeof p, "%s/kcore", proc);
	CHECK(strstr(trace, p), "kcore is neither masked nor reported absent:\n%s", trace);
	/* Masked files read as empty; masked directories are empty read-only tmpfs. */
	snprintf(p, sizeof p, "%s/keys", proc);
	CHECK(read_bytes(p) == 0, "%s is not empty", p);
	snprintf(p, sizeof p, "%s/timer_list", proc);
	CHECK(access(p, F_OK) != 0 || read_bytes(p) == 0, "%s is not empty", p);
	snprintf(p, sizeof p, "%s/acpi", proc);
	if (access(p, F_OK) == 0) {
		CHECK(statfs(p, &sf) == 0 && sf.f_type == TMPFS_MAGIC && is_empty_dir(p), "%s: not an empty tmpfs", p);
		snprintf(p, sizeof p, "%s/acpi/x", proc);
		CHECK(mkdir(p, 0755) == -1 && errno == EROFS, "%s: writable", p);
	}
	if (sys) {
		snprintf(p, sizeof p, "%s/firmware", sys);
		CHECK(access(p, F_OK) != 0 || (statfs(p, &sf) == 0 && sf.f_type == TMPFS_MAGIC && is_empty_dir(p)),
		      "%s: not masked", p);
	}
	/* Read-only: opening for writing fails; nothing is ever written (no sysrq letter, ever). */
	snprintf(p, sizeof p, "%s/sys/kernel/hostname", proc);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	CHECK(fd < 0 && errno == EROFS, "%s: open for writing: %s", p, fd < 0 ? strerror(errno) : "succeeded");
	snprintf(p, sizeof p, "%s/sysrq-trigger", proc);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	CHECK(access(p, F_OK) != 0 || (fd < 0 && errno == EROFS), "%s: opened for writing", p);
	/* The rest of /proc is untouched. */
	snprintf(p, sizeof p, "%s/self/status", proc);
	CHECK(read_bytes(p) > 0, "%s unreadable", p);
	return 0;
}

static int masks(void *arg, char *msg, size_t len)
{
	const char *dir = arg;
	char proc[256], proc2[256], sys[256], dev[256], null[256], p[PATH_MAX], trace[4096];
	struct gph_err e;
	struct stat st;
	uint64_t host = gph_mntns_id(); /* the test's own namespace plays the host */
	CHECK(host != 0, "gph_mntns_id");
	/* Private everything: the host's /proc is never touched; UTS too, in case a write got through. */
	CHECK(unshare(CLONE_NEWNS | CLONE_NEWUTS) == 0, "unshare: %s", strerror(errno));
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private: %s", strerror(errno));
	CHECK(mount("tmpfs", dir, "tmpfs", 0, "mode=755,size=1m") == 0, "tmpfs: %s", strerror(errno));
	snprintf(proc, sizeof proc, "%s/proc", dir);
	snprintf(proc2, sizeof proc2, "%s/proc2", dir);
	snprintf(sys, sizeof sys, "%s/sys", dir);
	snprintf(dev, sizeof dev, "%s/dev", dir);
	snprintf(null, sizeof null, "%s/dev/null", dir);
	CHECK(mkdir(proc, 0755) == 0 && mkdir(proc2, 0755) == 0 && mkdir(sys, 0755) == 0 && mkdir(dev, 0755) == 0,
	      "mkdir");
	CHECK(mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0, "mount proc: %s", strerror(errno));
	CHECK(mount("proc", proc2, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0, "mount proc: %s", strerror(errno));
	CHECK(mount("sysfs", sys, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0, "mount sysfs: %s",
	      strerror(errno));
	/* A "proc" that is not procfs is refused (it would look like a kernel without the files). */
	CHECK(apply(dev, NULL, NULL, host, trace, sizeof trace, &e) == -1 && strstr(e.msg, "not on procfs"),
	      "on a non-procfs directory: %s", e.msg);

	/* 1. No null device (a shell without `mount dev`): masked files become an empty read-only file. */
	CHECK(apply(proc, sys, null, host, trace, sizeof trace, &e) == 0, "without /dev/null: %s: %s", e.msg,
	      strerror(e.errnum));
	if (check_masked(proc, sys, trace, msg, len) < 0)
		return -1;
	snprintf(p, sizeof p, "masked %s/keys (empty read-only file)", proc);
	CHECK(strstr(trace, p), "trace:\n%s", trace);
	snprintf(p, sizeof p, "%s/keys", proc);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	CHECK(fd < 0 && errno == EROFS, "%s: writable (%s)", p, fd < 0 ? strerror(errno) : "opened");

	/* 2. With the null device, as in `run`. */
	CHECK(mknod(null, S_IFCHR | 0666, makedev(1, 3)) == 0, "mknod null: %s", strerror(errno));
	int before = mount_count();
	CHECK(apply(proc2, NULL, null, host, trace, sizeof trace, &e) == 0, "gph_paths_apply: %s: %s", e.msg,
	      strerror(e.errnum));
	int after = mount_count();
	if (check_masked(proc2, NULL, trace, msg, len) < 0)
		return -1;
	snprintf(p, sizeof p, "masked %s/keys (%s)", proc2, null);
	CHECK(strstr(trace, p), "trace:\n%s", trace);
	snprintf(p, sizeof p, "%s/keys", proc2);
	CHECK(stat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3), "%s is not the null device", p);

	/* 3. Twice: nothing more is mounted. */
	CHECK(apply(proc2, NULL, null, host, trace, sizeof trace, &e) == 0, "again: %s", e.msg);
	CHECK(mount_count() == after && after > before, "mounts: %d before, %d after, %d after again", before, after,
	      mount_count());
	CHECK(strstr(trace, "(already)") && !strstr(trace, "(empty read-only tmpfs)"), "trace:\n%s", trace);
	CHECK(apply(proc, sys, NULL, host, trace, sizeof trace, &e) == 0 && !strstr(trace, "(empty read-only"),
	      "again, first one: %s\n%s", e.msg, trace);
	return 0;
}

/* The guards, each where a mistake would stay inside the test's own namespaces: (0) the mount
 * namespace named as the host's is refused; (1) a process that shares PID 1's mount namespace (here
 * PID 2 of a new PID namespace, next to its PID 1) is refused; (2) masks on a procfs mounted with
 * shared propagation do not reach its peer. */
static int guards(void *arg, char *msg, size_t len)
{
	const char *dir = arg;
	char proc[256], trace[1024];
	struct gph_err e;
	CHECK(unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS) == 0, "unshare: %s", strerror(errno));
	/* (0) The namespace the caller names as the host's is refused (here: our private one). */
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private");
	CHECK(apply("/proc", NULL, NULL, gph_mntns_id(), trace, sizeof trace, &e) == -1 &&
		      strstr(e.msg, "host's mount namespace"),
	      "naming this namespace the host's: %s", e.msg);
	pid_t pid1 = fork();
	CHECK(pid1 >= 0, "fork");
	if (pid1 == 0) {
		int bad = 0;
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || mount("tmpfs", dir, "tmpfs", 0, "size=1m") < 0)
			_exit(10);
		snprintf(proc, sizeof proc, "%s/proc", dir);
		if (mkdir(proc, 0755) < 0 || mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			_exit(11);
		pid_t pid2 = fork();
		if (pid2 == 0) { /* PID 2: same mount namespace as PID 1 */
			int rc = apply(proc, NULL, NULL, 0, trace, sizeof trace, &e);
			_exit(rc == -1 && strstr(e.msg, "mount namespace of PID 1") ? 0 : 12);
		}
		int st;
		waitpid(pid2, &st, 0);
		bad |= !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		/* Shared propagation: a procfs below a shared mount, with a peer (a bind of the same
		 * tree): the masks must stay out of the peer. */
		char shared[300], peer[300], peer_sys[400];
		snprintf(shared, sizeof shared, "%s/shared", dir);
		snprintf(peer, sizeof peer, "%s/peer", dir);
		if (mkdir(shared, 0755) < 0 || mkdir(peer, 0755) < 0 || mount("tmpfs", shared, "tmpfs", 0, "size=1m") < 0 ||
		    mount(NULL, shared, NULL, MS_SHARED, NULL) < 0 || mount(shared, peer, NULL, MS_BIND, NULL) < 0)
			_exit(13);
		snprintf(proc, sizeof proc, "%s/shared/proc", dir);
		if (mkdir(proc, 0755) < 0 || mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			_exit(14);
		snprintf(peer_sys, sizeof peer_sys, "%s/proc/sys", peer);
		struct statfs sf;
		if (statfs(peer_sys, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) /* proc propagated to the peer */
			_exit(15);
		snprintf(peer_sys, sizeof peer_sys, " %s/proc/", peer);
		if (gph_paths_apply(&(struct gph_paths_where){.proc = proc}, trace, sizeof trace, &e) < 0)
			bad |= 2;
		else if (mounts_below(peer_sys) != 0)
			bad |= 2; /* leaked */
		_exit(bad ? 20 + bad : 0);
	}
	int st;
	waitpid(pid1, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "guards: status %#x (21: PID-1 namespace not refused, 22: masks "
						     "leaked to a peer mount, 10-15: set-up)", st);
	return 0;
}

START_TEST(live_paths_guards)
{
	char dir[] = "/tmp/gph-harden-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char m[8192];
	int rc = geteuid() == 0 ? in_child(guards, dir, m, sizeof m) : -1;
	rmdir(dir);
	ck_assert_msg(rc == 0, "%s", geteuid() ? "needs root" : m);
}
END_TEST

START_TEST(live_paths)
{
	char dir[] = "/tmp/gph-harden-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char m[8192];
	int rc = geteuid() == 0 ? in_child(masks, dir, m, sizeof m) : -1;
	rmdir(dir); /* the tmpfs and everything on it went with the child's mount namespace */
	ck_assert_msg(rc == 0, "%s", geteuid() ? "needs root" : m);
}
END_TEST

Suite *suite_harden(void)
{
	Suite *s = suite_create("harden");
	TCase *pure = tcase_create("tables");
	tcase_add_test(pure, cap_names);
	tcase_add_test(pure, cap_default_set);
	tcase_add_test(pure, cap_add_drop);
	tcase_add_test(pure, seccomp_table);
	tcase_add_test(pure, seccomp_personality_rules);
	tcase_add_test(pure, paths_table);
	suite_add_tcase(s, pure);
	TCase *live = tcase_create("live");
	tcase_add_test(live, live_caps_default);
	tcase_add_test(live, live_caps_ambient);
	tcase_add_test(live, live_caps_exec);
	tcase_add_test(live, live_nnp);
	tcase_add_test(live, live_seccomp_order);
	tcase_add_test(live, seccomp_cache);
	tcase_add_test(live, live_paths);
	tcase_add_test(live, live_paths_guards);
	tcase_set_timeout(live, 60);
	suite_add_tcase(s, live);
	/* The filters against real calls of both x86 ABIs: valgrind cannot run a 32-bit (int 0x80)
	 * or x32 system call from a 64-bit program (SIGILL), so `make valgrind` leaves these out by
	 * this tag (tests/lint/valgrind-unit.sh says so); `make unit` and ASan run them. */
	TCase *abi = tcase_create("live-abi");
	tcase_set_tags(abi, "no-valgrind");
	tcase_add_test(abi, live_seccomp_baseline);
	tcase_add_test(abi, live_seccomp_default);
	tcase_add_test(abi, live_seccomp_caps_gate);
	tcase_add_test(abi, live_seccomp_x32);
	tcase_set_timeout(abi, 60);
	suite_add_tcase(s, abi);
	return s;
}
