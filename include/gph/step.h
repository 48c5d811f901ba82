/* Steps: the one vocabulary of isolation. `gophernetes run` turns its options into steps, the shell
 * turns each command line into a step, lesson replay feeds the shell; all of them hand the steps,
 * in order, to gph_sandbox_apply(). The command table below is the single source for parsing,
 * help, explain and completion. */
#ifndef GPH_STEP_H
#define GPH_STEP_H
#include <limits.h>
#include <stdbool.h>
#include "gph/error.h"

enum gph_step_kind {
	GPH_STEP_NS,          /* ns user pid uts mnt ipc net cgroup [uidmap C:H:N] [gidmap C:H:N] | ns join uts|ipc|net PATH */
	GPH_STEP_HOSTNAME,    /* hostname NAME                        */
	GPH_STEP_CHROOT,      /* chroot DIR                           */
	GPH_STEP_PIVOT_ROOT,  /* pivot_root DIR                       */
	GPH_STEP_MOUNT,       /* mount proc|sys|dev [PATH], mount tmpfs PATH */
	GPH_STEP_CGROUP,      /* cgroup mem|swap|cpu|cpuweight|cpuset|pids|io ... */
	GPH_STEP_NET,         /* net none | veth | bridge [NAME] [subnet CIDR] [ip ADDR] | nat | port H:C[/proto] */
	/* What each exec'd command may do (kept in the sandbox, applied by every exec): */
	GPH_STEP_CAP,         /* cap default | all | drop NAME... | add NAME...   */
	GPH_STEP_SECCOMP,     /* seccomp default|off                               */
	GPH_STEP_NNP,         /* nnp on|off   (no_new_privs)                       */
	GPH_STEP_MASK,        /* mask on|off  (masked and read-only /proc, /sys)   */
	GPH_STEP_USER,        /* user UID[:GID]                                    */
	GPH_STEP_WORKDIR,     /* workdir DIR  (inside the root)                    */
	GPH_STEP_READONLY,    /* readonly     (the root mount becomes read-only)   */
	GPH_STEP_IMAGE,       /* image REF    (overlay of the image's layers, the default root) */
};

enum gph_cap_op { GPH_CAPOP_DEFAULT, GPH_CAPOP_ALL, GPH_CAPOP_DROP, GPH_CAPOP_ADD };

enum gph_mount_what { GPH_MOUNT_PROC, GPH_MOUNT_SYS, GPH_MOUNT_DEV, GPH_MOUNT_TMPFS };

enum gph_net_mode { GPH_NET_NONE, GPH_NET_VETH, GPH_NET_BRIDGE, GPH_NET_NAT, GPH_NET_PORT };

enum gph_cg_res {
	GPH_RES_MEM,        /* cgroup mem SIZE            bytes                      */
	GPH_RES_SWAP,       /* cgroup swap SIZE|-1        bytes: memory+swap total   */
	GPH_RES_CPU,        /* cgroup cpu N               bytes=quota_us, value2=period_us */
	GPH_RES_CPUWEIGHT,  /* cgroup cpuweight W         bytes=W                    */
	GPH_RES_CPUSET,     /* cgroup cpuset LIST         path=LIST                  */
	GPH_RES_PIDS,       /* cgroup pids N              bytes=N                    */
	GPH_RES_IOWEIGHT,   /* cgroup io weight W         bytes=W                    */
	GPH_RES_IORBPS,     /* cgroup io rbps DEV RATE    path=DEV, bytes=RATE       */
	GPH_RES_IOWBPS,     /* cgroup io wbps DEV RATE    path=DEV, bytes=RATE       */
};

struct gph_step {
	enum gph_step_kind kind;
	int ns_flags;               /* NS: CLONE_NEW* bits asked for */
	enum gph_mount_what mount;  /* MOUNT */
	char path[PATH_MAX];        /* CHROOT, PIVOT_ROOT: absolute directory; MOUNT: target inside */
	char hostname[65];          /* HOSTNAME */
	enum gph_cg_res res;        /* CGROUP: which resource */
	long long bytes;            /* CGROUP: the value (see enum gph_cg_res) */
	long long value2;           /* CGROUP cpu: the period in microseconds */
	enum gph_net_mode net;      /* NET */
	char bridge[16];            /* NET bridge: its name ("" = gph0) */
	char subnet[32];            /* NET bridge: subnet CIDR, "" = the bridge's or the default */
	char ip[16];                /* NET bridge: the address asked for, "" = the next free one */
	int host_port, ctr_port;    /* NET port */
	char proto[4];              /* NET port: "tcp" or "udp" */
	enum gph_cap_op cap_op;     /* CAP */
	unsigned long long caps;    /* CAP add/drop: the capabilities named (ALL: every bit) */
	bool on;                    /* SECCOMP, NNP, MASK */
	bool join;                  /* NS join KIND PATH: enter the namespace at path (one kind in ns_flags) */
	unsigned uid, gid;          /* USER */
	/* USER by name: looked up in the container's /etc/passwd and /etc/group at each exec ("" = the
	 * number above). A user name alone also gives the group: that user's primary group. */
	char user_name[33], group_name[33];
	/* NS with user: "C H N" lines for uid_map and gid_map, "" for the default mapping */
	char uidmap[128], gidmap[128];
	char text[256];             /* the command as typed, for messages and `save` */
	/* IMAGE: path = the overlay's lowerdir list; image_store = the store root; image_id = the manifest
	 * digest; image_dir = the container's directory (upper, work, merged), filled by the sandbox. */
	char image_store[PATH_MAX], image_dir[PATH_MAX], image_id[80];
};

/* One entry per shell command, steps and non-steps alike. */
struct gph_cmd_def {
	const char *name;
	const char *usage;          /* "ns pid|uts|mnt|ipc|net|cgroup ..." */
	const char *summary;        /* one line for `help` */
	const char *help;           /* a paragraph for `help CMD` */
	const char *explain;        /* system calls, flags, order, why, traps (for `explain CMD`) */
	const char *see;            /* man pages to read next: "namespaces(7), unshare(2)" */
	const char *const *args;    /* words completing the first argument, NULL-terminated; or NULL */
	bool path_arg;              /* complete file names for an argument */
	bool is_step;               /* builds a gph_step via gph_step_parse */
};

extern const struct gph_cmd_def gph_cmds[];
extern const int gph_n_cmds;
const struct gph_cmd_def *gph_cmd_find(const char *name);
/* The known command closest to a mistyped name (edit distance), or NULL if nothing is close. */
const char *gph_cmd_closest(const char *name);

/* Parse one step command (argv[0] is the command name). Relative paths are resolved against the
 * caller's working directory and must exist; sizes and hostnames are validated here, before
 * anything is created. */
int gph_step_parse(int argc, char **argv, struct gph_step *out, struct gph_err *e);
/* Whether two parsed steps do the same thing, however they were spelled (`ns uts pid` and
 * `ns pid uts`, `mount proc` and `mount proc /proc`). */
bool gph_step_equal(const struct gph_step *a, const struct gph_step *b);
/* The privilege steps (cap, seccomp, nnp, mask, user, workdir, readonly); gph_step_parse calls it. */
int gph_step_parse_priv(int argc, char **argv, struct gph_step *out, struct gph_err *e);
/* "C:H:N[,C:H:N...]" (container id, host id, count) -> "C H N\n..." as /proc/PID/uid_map wants it. */
int gph_parse_idmap(const char *spec, char *out, size_t len, struct gph_err *e);
/* Namespace names <-> CLONE_* flags ("mount" is accepted for "mnt"). */
int gph_ns_flag(const char *name);
const char *gph_ns_name(int flag);
/* Render flags as "pid,uts,mnt" (buf) . */
void gph_ns_flags_str(int flags, char *buf, size_t len);

#endif
