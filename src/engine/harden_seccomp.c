/* The default seccomp profile, built with libseccomp and loaded just before execve.
 *
 * Reference: Docker's default profile (moby/profiles seccomp/default.json). Docker's is an
 * allowlist; ours is a deny-list of the same dangerous calls with the same capability gates: a call
 * the container is allowed to make because it holds the capability (e.g. mount with
 * --cap-add SYS_ADMIN) is left out of the filter, as Docker's "includes: caps" does. A deny-list
 * never breaks a program that tries a system call newer than the profile (it gets the kernel's own
 * answer, e.g. ENOSYS for libc's fallbacks), at the price that a brand-new call is allowed until
 * listed here; the kernel still checks its capabilities, which the container mostly lacks.
 *
 * Every denied call returns EPERM, as the kernel does for a missing privilege, never ENOSYS, so a
 * program cannot mistake the policy for an old kernel — except clone3: its flags sit in a struct in
 * memory, which a seccomp filter cannot read, so the profile answers ENOSYS and libc falls back to
 * clone(2), whose flags are in a register and are checked (Docker does the same).
 *
 * ABIs: the filter covers native x86-64 and 32-bit x86 (int $0x80, sysenter) with the same rules
 * (numbers translated by libseccomp); any other ABI — x32 included — kills the process, so an
 * unfiltered entry point cannot be used to step around the list.
 *
 * Cost: libseccomp needs about 1 ms to compile this profile, and loading the library about 0.1 ms,
 * against a whole container start of a few ms. So the program is compiled once per capability set
 * and cached as a file (gph_seccomp_prepare, on the host side), libseccomp is loaded with dlopen only
 * when compiling, and the exec child merely hands the ready program to the kernel. */
#define _GNU_SOURCE
#include "gph/fault.h"
#include "gph/harden.h"
#include "gph/trace.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#define NONE (-1)
#define ALWAYS NONE, NONE

static const struct gph_seccomp_rule rules[] = {
	/* The kernel itself: modules, kexec, reboot. */
	{"init_module", GPH_SC_DENY, CAP_SYS_MODULE, NONE, "loads code into the host's kernel"},
	{"finit_module", GPH_SC_DENY, CAP_SYS_MODULE, NONE, "loads code into the host's kernel"},
	{"delete_module", GPH_SC_DENY, CAP_SYS_MODULE, NONE, "unloads the host's kernel modules"},
	{"create_module", GPH_SC_DENY, ALWAYS, "obsolete module interface"},
	{"get_kernel_syms", GPH_SC_DENY, ALWAYS, "obsolete module interface"},
	{"query_module", GPH_SC_DENY, ALWAYS, "obsolete module interface"},
	{"kexec_load", GPH_SC_DENY, ALWAYS, "boots the host into another kernel"},
	{"kexec_file_load", GPH_SC_DENY, ALWAYS, "boots the host into another kernel"},
	{"reboot", GPH_SC_DENY, CAP_SYS_BOOT, NONE, "reboots or halts (in a PID namespace: kills its init)"},
	/* Mounts and namespaces: the container's view of the system stays as it was built. */
	{"mount", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "changes the mount table (e.g. remounts /proc/sys writable)"},
	{"umount", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "uncovers what a mask hides"},
	{"umount2", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "uncovers what a mask hides"},
	{"pivot_root", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "changes the root"},
	{"fsopen", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "new mount API"},
	{"fsconfig", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "new mount API"},
	{"fsmount", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "new mount API"},
	{"fspick", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "new mount API"},
	{"move_mount", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "new mount API"},
	{"open_tree", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "new mount API (clones mounts)"},
	{"mount_setattr", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "new mount API (clears read-only)"},
	{"setns", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "joins other namespaces"},
	{"unshare", GPH_SC_NS_FLAGS, CAP_SYS_ADMIN, NONE,
	 "new namespaces; a user namespace hands out every capability inside it and a large kernel surface"},
	{"clone", GPH_SC_NS_FLAGS, CAP_SYS_ADMIN, NONE, "new namespaces, as unshare"},
	{"clone3", GPH_SC_ENOSYS, CAP_SYS_ADMIN, NONE,
	 "its flags cannot be inspected: ENOSYS makes libc fall back to clone, whose flags can"},
	{"sethostname", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "hostname (the container's own UTS namespace is set up front)"},
	{"setdomainname", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "NIS domain name"},
	{"quotactl", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "disk quotas are host-wide"},
	{"quotactl_fd", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "disk quotas are host-wide"},
	{"lookup_dcookie", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "kernel profiling interface"},
	{"fanotify_init", GPH_SC_DENY, CAP_SYS_ADMIN, NONE, "watches file access host-wide"},
	{"swapon", GPH_SC_DENY, ALWAYS, "swap is host-wide"},
	{"swapoff", GPH_SC_DENY, ALWAYS, "swap is host-wide"},
	{"acct", GPH_SC_DENY, CAP_SYS_PACCT, NONE, "process accounting is host-wide"},
	/* Kernel interfaces that are not namespaced or are favourite exploit tools. */
	{"open_by_handle_at", GPH_SC_DENY, CAP_DAC_READ_SEARCH, NONE,
	 "opens any file of a mounted filesystem by handle, escaping the root (the 'shocker' exploit)"},
	{"keyctl", GPH_SC_DENY, ALWAYS, "the kernel keyrings are not namespaced"},
	{"add_key", GPH_SC_DENY, ALWAYS, "the kernel keyrings are not namespaced"},
	{"request_key", GPH_SC_DENY, ALWAYS, "the kernel keyrings are not namespaced"},
	{"bpf", GPH_SC_DENY, CAP_SYS_ADMIN, CAP_BPF, "loads programs into the kernel"},
	{"perf_event_open", GPH_SC_DENY, CAP_SYS_ADMIN, CAP_PERFMON, "observes the host's kernel and processes"},
	{"userfaultfd", GPH_SC_DENY, ALWAYS, "stalls page faults at will: a classic aid to exploit kernel races"},
	{"io_uring_setup", GPH_SC_DENY, ALWAYS, "io_uring's operations do not pass through seccomp"},
	{"io_uring_enter", GPH_SC_DENY, ALWAYS, "io_uring's operations do not pass through seccomp"},
	{"io_uring_register", GPH_SC_DENY, ALWAYS, "io_uring's operations do not pass through seccomp"},
	{"syslog", GPH_SC_DENY, CAP_SYS_ADMIN, CAP_SYSLOG, "reads and clears the host's kernel log"},
	{"kcmp", GPH_SC_DENY, CAP_SYS_PTRACE, NONE, "compares kernel objects of other processes"},
	{"pidfd_getfd", GPH_SC_DENY, CAP_SYS_PTRACE, NONE, "steals another process's file descriptors"},
	{"process_madvise", GPH_SC_DENY, CAP_SYS_PTRACE, NONE, "acts on another process's memory"},
	{"personality", GPH_SC_PERSONALITY, ALWAYS,
	 "only the harmless personalities: others turn off address randomisation or map page zero"},
	/* Time is not namespaced (time namespaces only offset the monotonic clocks). */
	{"settimeofday", GPH_SC_DENY, CAP_SYS_TIME, NONE, "sets the host's clock"},
	{"stime", GPH_SC_DENY, CAP_SYS_TIME, NONE, "sets the host's clock"},
	{"clock_settime", GPH_SC_DENY, CAP_SYS_TIME, NONE, "sets the host's clock"},
	{"clock_settime64", GPH_SC_DENY, CAP_SYS_TIME, NONE, "sets the host's clock"},
	{"adjtimex", GPH_SC_DENY, CAP_SYS_TIME, NONE, "tunes the host's clock (reads too: stricter than Docker)"},
	{"clock_adjtime", GPH_SC_DENY, CAP_SYS_TIME, NONE, "tunes the host's clock (reads too: stricter than Docker)"},
	{"clock_adjtime64", GPH_SC_DENY, CAP_SYS_TIME, NONE, "tunes the host's clock (reads too: stricter than Docker)"},
	/* Hardware. */
	{"iopl", GPH_SC_DENY, CAP_SYS_RAWIO, NONE, "raw access to the host's I/O ports"},
	{"ioperm", GPH_SC_DENY, CAP_SYS_RAWIO, NONE, "raw access to the host's I/O ports"},
	{"vm86", GPH_SC_DENY, ALWAYS, "virtual 8086 mode (32-bit x86)"},
	{"vm86old", GPH_SC_DENY, ALWAYS, "virtual 8086 mode (32-bit x86)"},
	{"vhangup", GPH_SC_DENY, CAP_SYS_TTY_CONFIG, NONE, "hangs up the terminal"},
	{"get_mempolicy", GPH_SC_DENY, CAP_SYS_NICE, NONE, "NUMA placement"},
	{"set_mempolicy", GPH_SC_DENY, CAP_SYS_NICE, NONE, "NUMA placement"},
	{"set_mempolicy_home_node", GPH_SC_DENY, CAP_SYS_NICE, NONE, "NUMA placement"},
	{"mbind", GPH_SC_DENY, CAP_SYS_NICE, NONE, "NUMA placement"},
	{"migrate_pages", GPH_SC_DENY, CAP_SYS_NICE, NONE, "moves other processes' memory between NUMA nodes"},
	{"move_pages", GPH_SC_DENY, CAP_SYS_NICE, NONE, "moves other processes' memory between NUMA nodes"},
	/* Obsolete interfaces with a history of bugs. */
	{"nfsservctl", GPH_SC_DENY, ALWAYS, "obsolete (removed in Linux 3.1)"},
	{"uselib", GPH_SC_DENY, ALWAYS, "obsolete a.out loader"},
	{"ustat", GPH_SC_DENY, ALWAYS, "obsolete"},
	{"sysfs", GPH_SC_DENY, ALWAYS, "obsolete"},
	{"_sysctl", GPH_SC_DENY, ALWAYS, "obsolete"},
	{"chroot", GPH_SC_DENY, CAP_SYS_CHROOT, NONE, "changes the root (allowed by default: CAP_SYS_CHROOT)"},
	/* Not listed on purpose, as in Docker's profile: ptrace and process_vm_readv/writev (since
	 * Linux 4.8 a tracer cannot use them to step around seccomp, and the PID namespace limits whom
	 * they reach), modify_ldt, name_to_handle_at. */
};

const struct gph_seccomp_rule *gph_seccomp_rules(size_t *n)
{
	*n = sizeof rules / sizeof rules[0];
	return rules;
}

int gph_seccomp_rule_active(const struct gph_seccomp_rule *r, uint64_t caps)
{
	if (r->cap >= 0 && (caps & GPH_CAP_BIT(r->cap)))
		return 0;
	if (r->cap2 >= 0 && (caps & GPH_CAP_BIT(r->cap2)))
		return 0;
	return 1;
}

/* personality(2): Docker allows only PER_LINUX (0), PER_LINUX32 (8), UNAME26 (0x20000), both
 * (0x20008) and the query 0xffffffff. libseccomp cannot put two comparisons on one argument in a
 * rule, so "none of these five" is written as rules of one masked comparison each ("bit i clear and
 * bit j set"); any value that has a bit outside 0x20008 and is not all ones matches one of them:
 *   - if some bit outside {3,17} is clear, walk the other 30 bits in a ring: somewhere a clear bit is
 *     followed by a set one, and (clear n_k, set n_k+1) is a rule;
 *   - otherwise bit 3 or bit 17 is clear, and (clear 3 or 17, set n_0) is a rule.
 * No rule matches the five values: each needs a set bit outside {3,17} and a clear bit. The kernel
 * reads the argument as 32 bits, so the upper half is not looked at. */
#define PERSONA_KEEP ((UINT64_C(1) << 3) | (UINT64_C(1) << 17))
#define PERSONA_RULES 32

static void persona_rule(int i, uint64_t *mask, uint64_t *value)
{
	int ring[30] = { 0 }, n = 0; /* the loop fills all 30 (32 bits less the 2 kept) */
	for (int b = 0; b < 32; b++)
		if (!(PERSONA_KEEP & (UINT64_C(1) << b)))
			ring[n++] = b;
	int clear = i < 30 ? ring[i] : (i == 30 ? 3 : 17);
	int set = i < 30 ? ring[(i + 1) % 30] : ring[0];
	*mask = (UINT64_C(1) << clear) | (UINT64_C(1) << set);
	*value = UINT64_C(1) << set;
}

int gph_seccomp_personality_allowed(uint64_t persona)
{
	for (int i = 0; i < PERSONA_RULES; i++) {
		uint64_t m, v;
		persona_rule(i, &m, &v);
		if ((persona & m) == v)
			return 0;
	}
	return 1;
}


/* ---- libseccomp, loaded on first use ---------------------------------------------------------- */

#define SECCOMP_SONAME "libseccomp.so.2"

static struct {
	void *h;
	__typeof__(seccomp_init) *init;
	__typeof__(seccomp_release) *release;
	__typeof__(seccomp_arch_add) *arch_add;
	__typeof__(seccomp_attr_set) *attr_set;
	__typeof__(seccomp_syscall_resolve_name) *resolve;
	__typeof__(seccomp_rule_add) *rule_add;
	__typeof__(seccomp_export_bpf) *export_bpf;
} lib;

static int load_lib(struct gph_err *e)
{
	static const char *hint =
		"the seccomp profile is compiled with libseccomp (Debian: apt-get install libseccomp2); or run with "
		"--seccomp=unconfined";
	void *h;
	if (lib.h)
		return 0;
	if (!(h = dlopen(SECCOMP_SONAME, RTLD_NOW | RTLD_LOCAL)))
		return gph_fail(e, 0, hint, "dlopen(\"%s\"): %s", SECCOMP_SONAME, dlerror());
#define SYM(field, name)                                                                          \
	if (!(lib.field = (__typeof__(lib.field))dlsym(h, name))) {                                 \
		gph_fail(e, 0, hint, "dlsym(\"%s\", \"%s\"): %s", SECCOMP_SONAME, name, dlerror()); \
		dlclose(h);                                                                         \
		return -1;                                                                          \
	}
	SYM(init, "seccomp_init");
	SYM(release, "seccomp_release");
	SYM(arch_add, "seccomp_arch_add");
	SYM(attr_set, "seccomp_attr_set");
	SYM(resolve, "seccomp_syscall_resolve_name");
	SYM(rule_add, "seccomp_rule_add");
	SYM(export_bpf, "seccomp_export_bpf");
#undef SYM
	lib.h = h; /* kept for the life of the process */
	return 0;
}

/* ---- compiling -------------------------------------------------------------------------------- */

static int add_rules(scmp_filter_ctx ctx, const struct gph_seccomp_rule *r, int nr, struct gph_err *e)
{
	static const unsigned long ns_flags[] = {
		CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
		0x80 /* CLONE_NEWTIME: unshare only; for clone this bit is part of the exit signal */,
	};
	int rc = 0;
	switch (r->how) {
	case GPH_SC_DENY:
		rc = lib.rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		break;
	case GPH_SC_ENOSYS:
		rc = lib.rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
		break;
	case GPH_SC_NS_FLAGS:
		/* One rule per flag: libseccomp has no "mask is not zero" comparison. */
		for (size_t i = 0; i < sizeof ns_flags / sizeof ns_flags[0] && rc == 0; i++) {
			if (ns_flags[i] == 0x80 && strcmp(r->syscall, "unshare") != 0)
				continue;
			rc = lib.rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
					  SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
		}
		break;
	case GPH_SC_PERSONALITY:
		for (int i = 0; i < PERSONA_RULES && rc == 0; i++) {
			uint64_t m, v;
			persona_rule(i, &m, &v);
			rc = lib.rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, m, v));
		}
		break;
	}
	if (rc < 0)
		return gph_fail(e, -rc, NULL, "seccomp_rule_add(\"%s\")", r->syscall);
	return 0;
}

/* The program as libseccomp writes it (raw struct sock_filter), read back from a memfd. */
static int export_prog(scmp_filter_ctx ctx, struct gph_seccomp_prog *p, struct gph_err *e)
{
	int fd = memfd_create("gph-seccomp", MFD_CLOEXEC), rc;
	if (fd < 0)
		return gph_fail(e, errno, NULL, "memfd_create(\"gph-seccomp\")");
	if ((rc = lib.export_bpf(ctx, fd)) < 0) {
		close(fd);
		return gph_fail(e, -rc, NULL, "seccomp_export_bpf()");
	}
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof p->insns[0] || size > (off_t)sizeof p->insns) {
		close(fd);
		return gph_fail(e, EFBIG, NULL, "seccomp_export_bpf(): %lld bytes, at most %zu fit", (long long)size,
				sizeof p->insns);
	}
	ssize_t n = pread(fd, p->insns, (size_t)size, 0);
	int err = errno;
	close(fd);
	if (n != size)
		return gph_fail(e, n < 0 ? err : EIO, NULL, "reading the exported seccomp program");
	p->len = (uint32_t)(size / (off_t)sizeof p->insns[0]);
	return 0;
}

int gph_seccomp_build(uint64_t caps, struct gph_seccomp_prog *p, struct gph_err *e)
{
	int rc;
	memset(p, 0, sizeof *p);
	if (load_lib(e) < 0)
		return -1;
	scmp_filter_ctx ctx = lib.init(SCMP_ACT_ALLOW);
	if (!ctx)
		return gph_fail(e, ENOMEM, NULL, "seccomp_init(SCMP_ACT_ALLOW)");
#if defined(__x86_64__)
	/* The 32-bit entry points of an x86-64 kernel (CONFIG_IA32_EMULATION) get the same rules. */
	if ((rc = lib.arch_add(ctx, SCMP_ARCH_X86)) < 0 && rc != -EEXIST) {
		gph_fail(e, -rc, NULL, "seccomp_arch_add(SCMP_ARCH_X86)");
		goto out;
	}
#endif
	/* Kill the whole process, not one thread (needs Linux 4.14; else the thread). */
	if (lib.attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 &&
	    (rc = lib.attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL)) < 0) {
		gph_fail(e, -rc, NULL, "seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH)");
		goto out;
	}
	/* A binary search over the call numbers instead of a linear chain: the kernel runs the filter
	 * once per call number and ABI when it is installed (to cache the calls it always allows), so
	 * a short path per number is what makes installing it cheap. */
	if ((rc = lib.attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0) {
		gph_fail(e, -rc, NULL, "seccomp_attr_set(SCMP_FLTATR_CTL_OPTIMIZE, 2)");
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < sizeof rules / sizeof rules[0] && rc == 0; i++) {
		if (!gph_seccomp_rule_active(&rules[i], caps))
			continue;
		/* Negative for a call only the other ABI has (libseccomp places it there). Unknown to
		 * this libseccomp: left out (a unit test checks that every name is known). */
		int nr = lib.resolve(rules[i].syscall);
		if (nr == __NR_SCMP_ERROR)
			continue;
		rc = add_rules(ctx, &rules[i], nr, e);
	}
	if (rc == 0)
		rc = export_prog(ctx, p, e);
out:
	lib.release(ctx);
	return rc < 0 ? -1 : 0;
}

/* ---- the cache -------------------------------------------------------------------------------- */

/* A file per capability set: a header naming what was compiled, then the instructions. The key
 * covers the whole table, so editing a rule makes old files unused. */
struct cache_head {
	char magic[8];
	uint64_t profile, caps;
	uint32_t len;
	/* cppcheck-suppress unusedStructMember ; explicit padding, so the header written to the
	 * cache file has no uninitialised bytes */
	uint32_t pad;
};

static uint64_t profile_hash(void)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
#define MIX(ptr, n)                                                      \
	for (size_t k_ = 0; k_ < (n); k_++)                              \
		h = (h ^ ((const unsigned char *)(ptr))[k_]) * 0x100000001b3ULL
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		int v[3] = {(int)rules[i].how, rules[i].cap, rules[i].cap2};
		MIX(rules[i].syscall, strlen(rules[i].syscall) + 1);
		MIX(v, sizeof v);
	}
	static const char build[] = "persona32/ns8/badarch-kill-process/tree/"
#if defined(__x86_64__)
				    "x86_64+x86";
#else
				    "native";
#endif
	MIX(build, sizeof build);
#undef MIX
	return h;
}

static int cache_read(const char *path, uint64_t profile, uint64_t caps, struct gph_seccomp_prog *p)
{
	struct cache_head h;
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* Ours only: a regular file of this user that nobody else can write. */
	int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022) &&
		 read(fd, &h, sizeof h) == (ssize_t)sizeof h && !memcmp(h.magic, "GPHSECC1", 8) &&
		 h.profile == profile && h.caps == caps && h.len > 0 && h.len <= GPH_SECCOMP_MAX_INSNS &&
		 st.st_size == (off_t)(sizeof h + h.len * sizeof p->insns[0]) &&
		 read(fd, p->insns, h.len * sizeof p->insns[0]) == (ssize_t)(h.len * sizeof p->insns[0]);
	close(fd);
	if (!ok)
		return -1;
	p->len = h.len;
	return 0;
}

/* Write tmp + rename, so a parallel run reads either nothing or a whole file. Errors are ignored:
 * the next run compiles again. */
static void cache_write(const char *dir, const char *path, uint64_t profile, uint64_t caps,
			const struct gph_seccomp_prog *p)
{
	char tmp[PATH_MAX];
	struct cache_head h = {.magic = "GPHSECC1", .profile = profile, .caps = caps, .len = p->len};
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return;
	if (snprintf(tmp, sizeof tmp, "%s/.seccomp-XXXXXX", dir) >= (int)sizeof tmp)
		return;
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return;
	size_t body = p->len * sizeof p->insns[0];
	int ok = fchmod(fd, 0600) == 0 && write(fd, &h, sizeof h) == (ssize_t)sizeof h &&
		 write(fd, p->insns, body) == (ssize_t)body;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) < 0)
		unlink(tmp);
}

int gph_seccomp_prepare(uint64_t caps, const char *cache_dir, struct gph_seccomp_prog *p, struct gph_err *e)
{
	char path[PATH_MAX];
	uint64_t profile = profile_hash();
	if (!cache_dir)
		return gph_seccomp_build(caps, p, e);
	int n = snprintf(path, sizeof path, "%s/seccomp-%016llx-%016llx.bpf", cache_dir, (unsigned long long)profile,
			 (unsigned long long)caps);
	if (n < 0 || (size_t)n >= sizeof path)
		return gph_seccomp_build(caps, p, e);
	if (cache_read(path, profile, caps, p) == 0)
		return 0;
	if (gph_seccomp_build(caps, p, e) < 0)
		return -1;
	cache_write(cache_dir, path, profile, caps, p);
	return 0;
}

/* ---- installing ------------------------------------------------------------------------------- */

int gph_seccomp_load(const struct gph_seccomp_prog *p, struct gph_err *e)
{
	if (gph_fault_point("exec.seccomp", e) < 0)
		return -1;
	struct sock_fprog f = {.len = (unsigned short)p->len, .filter = (struct sock_filter *)p->insns};
	if (p->len == 0 || p->len > GPH_SECCOMP_MAX_INSNS)
		return gph_fail(e, EINVAL, "compile it first with gph_seccomp_prepare", "seccomp: empty program");
	int rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &f);
	if (GPH_TRACING)
		gph_trace_call(rc, errno, "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, {len=%u, filter=<%u BPF instructions>})",
			       p->len, p->len);
	if (rc < 0) {
		int err = errno;
		return gph_fail(e, err,
				err == EACCES ? "without no_new_privs only a process holding CAP_SYS_ADMIN can install a "
						"filter: install it before dropping capabilities"
				: err == EINVAL ? "the kernel needs CONFIG_SECCOMP_FILTER; or run with --seccomp=unconfined"
						: NULL,
				"prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, <%u instructions>)", p->len);
	}
	return 0;
}

int gph_seccomp_default(uint64_t caps, struct gph_err *e)
{
	static struct gph_seccomp_prog p; /* 8 KiB: not on the stack */
	if (gph_seccomp_build(caps, &p, e) < 0)
		return -1;
	return gph_seccomp_load(&p, e);
}
