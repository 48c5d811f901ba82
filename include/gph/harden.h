/* Hardening of the container's process, applied by the exec child just before execve: capability
 * sets (libcap), no_new_privs, a default seccomp profile (libseccomp), and the masked and read-only
 * /proc and /sys paths. Each call acts on the calling process only.
 *
 * The order in the exec child (each returns 0, or -1 with *e filled); the seccomp program is
 * compiled beforehand on the host side with gph_seccomp_prepare:
 *   1. after /proc is (re)mounted:   gph_paths_apply(&{"/proc", "/sys", "/dev/null", host_mntns}, ...)
 *      (only in the container's own mount namespace: the call refuses the host's)
 *   2. (with --user: PR_SET_KEEPCAPS, setgroups, setresgid, setresuid)
 *   3. no_new_privs on (default):    gph_nnp_apply, gph_caps_apply, gph_seccomp_load
 *      no_new_privs off:             gph_seccomp_load, gph_caps_apply
 *      (without no_new_privs the kernel lets only a CAP_SYS_ADMIN holder load a filter)
 *   4. execve (or the --init fork) */
#ifndef GPH_HARDEN_H
#define GPH_HARDEN_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/filter.h>
#include "gph/error.h"

/* ---- capabilities --------------------------------------------------------------------------- */

/* One bit per capability (bit N = capability N, as in /proc/PID/status). */
struct gph_caps {
	uint64_t bounding, effective, permitted, inheritable, ambient;
};

#define GPH_CAP_BIT(n) (UINT64_C(1) << (n))
/* The default set: Docker's list without MKNOD (a container must not make a node for a host disk;
 * we have no devices cgroup or BPF device program to stop it otherwise):
 * CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT
 * AUDIT_WRITE SETFCAP. */
#define GPH_CAPS_DEFAULT                                                                          \
	(GPH_CAP_BIT(0) | GPH_CAP_BIT(1) | GPH_CAP_BIT(3) | GPH_CAP_BIT(4) | GPH_CAP_BIT(5) |       \
	 GPH_CAP_BIT(6) | GPH_CAP_BIT(7) | GPH_CAP_BIT(8) | GPH_CAP_BIT(10) | GPH_CAP_BIT(13) |     \
	 GPH_CAP_BIT(18) | GPH_CAP_BIT(29) | GPH_CAP_BIT(31))
#define GPH_CAP_ALL (-2) /* gph_caps_parse_name("ALL") */

/* Bounding, effective and permitted = the default set; inheritable and ambient empty. */
void gph_caps_default(struct gph_caps *c);
/* Every capability this process still holds in its bounding set, in bounding, effective and permitted
 * (a new shell sandbox). gph_caps_default is limited the same way. */
void gph_caps_all(struct gph_caps *c);
/* Every capability this kernel knows, as a mask (from /proc/sys/kernel/cap_last_cap via libcap). */
uint64_t gph_caps_known(void);
/* "NET_ADMIN", "CAP_NET_ADMIN", "net_admin" -> 12; "ALL" -> GPH_CAP_ALL; anything else -> -1. */
int gph_caps_parse_name(const char *name);
/* "NET_ADMIN" for 12; capabilities newer than libcap are named by number. */
const char *gph_caps_name(int cap, char *buf, size_t len);
/* --cap-add NAME: into bounding, effective and permitted. --cap-drop NAME: out of all five.
 * NAME may be ALL. An unknown name fails with the accepted forms in the hint. */
int gph_caps_add(struct gph_caps *c, const char *name, struct gph_err *e);
int gph_caps_drop(struct gph_caps *c, const char *name, struct gph_err *e);
/* An ambient capability (kept across execve by a non-root user): into all five sets. */
int gph_caps_add_ambient(struct gph_caps *c, const char *name, struct gph_err *e);
/* Make the calling process's sets exactly *c: drop the rest of the bounding set (PR_CAPBSET_DROP),
 * set inheritable, permitted and effective (ambient capabilities are added to inheritable and
 * permitted, as the kernel requires), clear the ambient set and raise the requested ones. Needs
 * CAP_SETPCAP in the permitted set; works after setresuid() with PR_SET_KEEPCAPS as well. */
int gph_caps_apply(const struct gph_caps *c, struct gph_err *e);
/* Resolve libcap's functions and fault its pages in, without changing anything, so that each exec
 * child forked afterwards applies its sets in ~0.07 ms instead of ~0.13 ms. Call once in the holder. */
void gph_caps_warm(void);
/* The five sets of a process, from /proc/PID/status (pid 0: this process). */
int gph_caps_read(pid_t pid, struct gph_caps *out, struct gph_err *e);
/* Read those from the procfs open at fd (an O_PATH handle) instead of /proc: for a process whose
 * /proc belongs to another PID namespace. */
void gph_caps_set_proc_dir(int fd);
/* A mask as names, "CHOWN DAC_OVERRIDE ...", "ALL" or "(none)". Returns the length written. */
size_t gph_caps_format(uint64_t mask, char *buf, size_t len);
/* The five sets of a process, decoded, one per line, then its no_new_privs and seccomp state
 * (for `show caps`). */
int gph_caps_describe(pid_t pid, char *buf, size_t len, struct gph_err *e);

/* ---- no_new_privs --------------------------------------------------------------------------- */

/* prctl(PR_SET_NO_NEW_PRIVS): execve never grants privileges again (setuid bits, file caps). */
int gph_nnp_apply(struct gph_err *e);

/* ---- seccomp -------------------------------------------------------------------------------- */

/* How a rule refuses its system call. */
enum gph_seccomp_how {
	GPH_SC_DENY,        /* always EPERM */
	GPH_SC_NS_FLAGS,    /* EPERM when the flags argument asks for a new namespace (clone, unshare) */
	GPH_SC_ENOSYS,      /* ENOSYS: clone3, so libc falls back to clone, whose flags can be seen */
	GPH_SC_PERSONALITY, /* EPERM except the harmless personalities (see harden_seccomp.c) */
};

struct gph_seccomp_rule {
	const char *syscall;        /* libseccomp's name; calls an ABI lacks are left out there */
	enum gph_seccomp_how how;
	int cap, cap2;              /* the rule is left out when the container holds one (-1: none) */
	const char *why;
};

/* The default profile, in order (for `explain seccomp` and the tests). */
const struct gph_seccomp_rule *gph_seccomp_rules(size_t *n);
/* Would the profile for this capability set include rule r? */
int gph_seccomp_rule_active(const struct gph_seccomp_rule *r, uint64_t caps);
/* The personality values the profile lets through (the rest get EPERM). */
int gph_seccomp_personality_allowed(uint64_t persona);

/* The profile compiled to a BPF program. Compiling it with libseccomp costs about 1 ms (more than a
 * whole container start is allowed), so it is compiled once per capability set and cached, and the
 * exec child only hands the ready program to the kernel. */
#define GPH_SECCOMP_MAX_INSNS 1024
struct gph_seccomp_prog {
	uint32_t len;                         /* instructions used */
	struct sock_filter insns[GPH_SECCOMP_MAX_INSNS];
};
/* Compile the default profile for a container whose bounding set is caps: default action allow,
 * the rules above (a rule gated on a capability the container holds is left out, as Docker does)
 * for native x86-64 and 32-bit x86 system calls; any other ABI, x32 included, kills the process.
 * libseccomp is loaded with dlopen on the first call. */
int gph_seccomp_build(uint64_t caps, struct gph_seccomp_prog *p, struct gph_err *e);
/* The same, through a cache of compiled programs in cache_dir (e.g. the state directory; NULL: no
 * cache). A cache that cannot be read or written is ignored: only compiling can fail. */
int gph_seccomp_prepare(uint64_t caps, const char *cache_dir, struct gph_seccomp_prog *p, struct gph_err *e);
/* Install a compiled program in the calling process (prctl(PR_SET_SECCOMP)): no library, a few
 * microseconds. Leaves no_new_privs alone (gph_nnp_apply decides); without it the kernel lets only a
 * CAP_SYS_ADMIN holder install a filter. */
int gph_seccomp_load(const struct gph_seccomp_prog *p, struct gph_err *e);
/* gph_seccomp_build + gph_seccomp_load, for callers that run once. */
int gph_seccomp_default(uint64_t caps, struct gph_err *e);

/* ---- masked and read-only /proc and /sys paths ---------------------------------------------- */

enum gph_path_base { GPH_PATH_PROC, GPH_PATH_SYS };
enum gph_path_kind {
	GPH_PATH_MASK,      /* a file: /dev/null bound over it; a directory: an empty read-only tmpfs */
	GPH_PATH_READONLY,  /* bound onto itself and remounted read-only */
};

struct gph_path_rule {
	enum gph_path_base base;
	const char *rel;            /* below the base: "kcore", "firmware" */
	enum gph_path_kind kind;
	const char *why;
};

const struct gph_path_rule *gph_paths_rules(size_t *n);
/* Where gph_paths_apply works. */
struct gph_paths_where {
	const char *proc;           /* where procfs is mounted (NULL: skip the /proc half) */
	const char *sys;            /* where sysfs is mounted (NULL: skip the /sys half) */
	const char *dev_null;       /* the container's null device (NULL: "/dev/null") */
	uint64_t host_mntns;        /* the host's mount namespace, gph_mntns_id() in the runtime:
				     * refused. 0: only the PID 1 check below */
};

/* The calling process's mount namespace (the inode of /proc/self/ns/mnt), 0 if unknown. */
uint64_t gph_mntns_id(void);
/* Apply the table in the calling process's mount namespace, which must be the container's own:
 * it refuses the host's (w->host_mntns) and the one PID 1 lives in when we are not PID 1 ourselves,
 * and makes the two bases private first, so no mask propagates to a peer namespace. Anything but
 * procfs at w->proc or sysfs at w->sys (each a mount point) is refused too. Masked files get the
 * container's null device, as Docker does; when there is none (a shell sandbox without `mount
 * dev`), an empty file on a read-only tmpfs of our own instead. Paths this kernel lacks are
 * skipped, paths already masked or read-only are left as they are (so applying twice adds nothing);
 * any other failure stops with the path. trace (may be NULL) gets a line per path:
 * "masked /proc/keys (/dev/null)", "read-only /proc/sys", "absent /proc/kcore (not in this kernel)". */
int gph_paths_apply(const struct gph_paths_where *w, char *trace, size_t tracelen, struct gph_err *e);

#endif
