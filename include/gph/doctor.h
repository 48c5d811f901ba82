/* `doctor`: what this machine offers the lessons, read from live state (nothing is changed), and
 * which lessons will behave differently here and why. The facts are gathered by gph_doctor_gather
 * (doctor.c); parsing and judging are pure (doctor_parse.c) so unit tests can feed them text. */
#ifndef GPH_DOCTOR_H
#define GPH_DOCTOR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "gph/lesson.h"

struct gph_doctor_facts {
	bool root;
	int cg_mode;                 /* enum gph_cg_mode, -1 when no cgroup file system was found */
	bool cg_memory, cg_pids, cg_cpu, cg_io; /* controllers the runtime can use (v2: delegated) */
	bool swap_accounting;        /* v1 memory.memsw.*, v2 memory.swap.max */
	long long swap_kb;           /* SwapTotal */
	long max_userns;             /* /proc/sys/user/max_user_namespaces, -1 missing */
	int unpriv_userns_clone;     /* kernel.unprivileged_userns_clone, -1 where absent */
	int apparmor_userns;         /* kernel.apparmor_restrict_unprivileged_userns, -1 where absent */
	bool initial_userns;         /* /proc/self/uid_map is the identity map of the whole range */
	char container[64];          /* how we know we run in a container ("" = no sign of one) */
	bool wsl;
	int dns_loopback, dns_other; /* nameservers in /etc/resolv.conf */
	bool rootfs_ok;              /* ROOTFS/bin/busybox */
	bool nft_tool, libnftables, libnl;
	int kmajor, kminor;
	bool open_tree, pidfd_open, clone3; /* system calls the kernel has */
};

/* Gather every fact from this machine. rootfs is the root filesystem the lessons use. */
void gph_doctor_gather(struct gph_doctor_facts *f, const char *rootfs);
/* The whole report: facts with what each means, then one line per lesson found in lessons_dir
 * (NULL: look in $GPH_LESSONS_DIR, ./lessons, next to the program). Returns the number of
 * lessons that will not run as written here. */
int gph_doctor_report(FILE *out, const struct gph_doctor_facts *f, const char *rootfs, const char *lessons_dir);

/* ---- pure helpers (doctor_parse.c) ---- */
/* Count "nameserver" lines of resolv.conf text: loopback ones (127.x, ::1) and the others. */
void gph_doctor_resolv(const char *text, int *loopback, int *other);
/* /proc/version text of a WSL kernel ("Microsoft" / "WSL"). */
bool gph_doctor_is_wsl(const char *proc_version);
/* The container runtime named in /proc/1/cgroup text (docker, kubepods, lxc, libpod...), or NULL. */
const char *gph_doctor_cgroup_container(const char *proc_cgroup);
/* The value of container= in a NUL-separated environment block (PID 1's), into out; false if none. */
bool gph_doctor_env_container(const char *env, size_t len, char *out, size_t out_len);
/* /proc/self/uid_map text: true for the initial user namespace ("0 0 4294967295"). */
bool gph_doctor_uidmap_initial(const char *uid_map);
/* "6.1.0-18-amd64" -> 6, 1. Returns -1 when it does not start with N.N. */
int gph_doctor_kernel_version(const char *release, int *major, int *minor);
/* A "Key:   N kB" value of /proc/meminfo text, -1 when missing. */
long long gph_doctor_meminfo_kb(const char *meminfo, const char *key);

/* What a lesson uses, from its @needs and its commands. */
enum {
	GPH_USES_USERNS = 1 << 0, GPH_USES_MEM = 1 << 1, GPH_USES_SWAP = 1 << 2, GPH_USES_PIDS = 1 << 3,
	GPH_USES_CPU = 1 << 4, GPH_USES_IO = 1 << 5, GPH_USES_VETH = 1 << 6, GPH_USES_BRIDGE = 1 << 7,
	GPH_USES_NAT = 1 << 8, GPH_USES_CGROUP2 = 1 << 9, GPH_USES_ROOT = 1 << 10, GPH_USES_NET = 1 << 11,
	GPH_USES_SECCOMP = 1 << 12,
};
unsigned gph_doctor_lesson_uses(const struct gph_lesson *l);
/* Why the lesson will not run as written with these facts: "" when it will; otherwise the reasons,
 * separated by "; ". Returns true when it would be skipped or fail (not just behave differently). */
bool gph_doctor_judge(const struct gph_doctor_facts *f, unsigned uses, char *why, size_t len);

#endif
