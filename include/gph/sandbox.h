/* The sandbox: a live process (the "holder") that carries the namespaces, root, mounts and cgroup
 * built so far. Steps act on it as soon as they are applied; `exec` runs a command inside it; the
 * holder survives the command so a learner can add steps and exec again.
 *
 * Who does what:
 *   - this process (the runtime: `gophernetes run` or the shell) creates cgroups and the host end of
 *     network links, and keeps the ledger in the state directory;
 *   - the holder performs everything that must happen inside: unshare, sethostname, mounts, chroot,
 *     pivot_root, configuring eth0; it is told over a socket and answers with the result;
 *   - each exec forks a fresh child of the holder: with `ns pid` it is PID 1 of a new PID namespace
 *     (a PID namespace dies with its first process, so one per exec), gets its own copy of the mount
 *     namespace with /proc remounted for that PID namespace, and execs the command. */
#ifndef GPH_SANDBOX_H
#define GPH_SANDBOX_H
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "gph/cgroup.h"
#include "gph/error.h"
#include "gph/harden.h"
#include "gph/bridge.h"
#include "gph/net.h"
#include "gph/step.h"

/* A bind mount made in the sandbox's mount namespace just before its root changes (the OCI face's
 * config.json "bind" mounts): src is a host path, dst a path inside the new root. */
#define GPH_MAX_BINDS 16
struct gph_bind {
	char src[PATH_MAX];
	char dst[256];
	bool ro;
	bool rec;
	unsigned long flags;        /* MS_NOSUID, MS_NODEV, MS_NOEXEC: applied with a remount */
};

struct gph_sandbox_opts {
	const char *name;           /* --name, may be NULL */
	const char *cgroup_parent;  /* --cgroup-parent, may be NULL */
	const char *command;        /* for `ps`: what runs ("shell" for the REPL) */
	FILE *log;                  /* where -v step lines go (NULL: quiet) */
	FILE *notes;                /* where notes go when log is NULL (limits the kernel will not honour) */
	/* The OCI face's exec: instead of making namespaces and a cgroup, the holder enters those of the
	 * running process join_pid and the cgroup join_cg (which stays when the sandbox is destroyed).
	 * No ledger entry is written: everything belongs to the container being joined. */
	pid_t join_pid;
	const struct gph_cgroup *join_cg;
};

struct gph_sandbox {
	char id[13];                /* 12 hex digits */
	char name[64];
	pid_t holder;
	int sock;                   /* SOCK_SEQPACKET to the holder */
	int ns;                     /* CLONE_NEW* the holder has unshared */
	bool pid_ns;                /* `ns pid` applied: each exec gets a new PID namespace */
	bool rooted;                /* chroot or pivot_root done */
	bool pivoted;               /* pivot_root (vs chroot) */
	char root[PATH_MAX];        /* the new root as given */
	char image_dir[PATH_MAX];   /* `image`: ROOT/containers/ID (upper, work, merged), removed at the end */
	struct gph_cgroup cg;
	bool has_cg;
	long long memory_limit;
	struct gph_veth veth;
	bool has_veth;
	struct gph_bridge bridge;   /* `net bridge`: the bridge and this sandbox's address on it */
	bool has_bridge;
	struct in_addr bridge_ip;
	bool nat;                   /* `net nat` applied */
	int n_ports;                /* ports published with `net port` */
	struct gph_step *steps;     /* applied so far, in order */
	int n_steps;
	char command[256];          /* for `ps` */
	char cgroup_parent[PATH_MAX]; /* --cgroup-parent, "" for the default */
	long long created;          /* seconds since the epoch */
	char hostname[65];          /* set by a `hostname` step, for $HOSTNAME */
	char failed_step[256];      /* a step that failed: exec is refused until it succeeds (B29) */
	pid_t main_pid;             /* the running command, for `ps` and signal forwarding */
	bool userns;                /* `ns user` applied: the sandbox is root in a user namespace of its own */
	bool rootless;              /* started by a user other than root: no host-side links, and a cgroup
	                               only in a delegated v2 subtree */
	char no_cg_why[320];        /* rootless without a cgroup: why */
	/* What exec'd commands may do (the privilege steps). A new sandbox has everything: all
	 * capabilities, no filter, no masks; `run` applies its defaults as steps. */
	struct {
		bool changed;       /* any privilege step applied: exec applies the sets below */
		struct gph_caps caps;
		bool nnp, seccomp, masks;
		bool has_user;
		unsigned uid, gid;
		char user_name[33], group_name[33]; /* looked up at each exec (gph_sandbox_resolve_user) */
		bool gid_given;                     /* a group after the colon, or a numeric user */
		char workdir[PATH_MAX];
	} priv;
	struct gph_bind *binds;     /* gph_sandbox_bind: made with the root change */
	int n_binds;
	pid_t owner;                /* gph_sandbox_release: the process that now owns the ledger entry */
	bool joined;                /* gph_sandbox_opts.join_pid: namespaces and cgroup are another's */
	FILE *log;
	FILE *notes;
};

struct gph_exec_opts {
	char *const *argv;
	char *const *env;           /* NULL: the clean default (PATH, HOME, TERM, HOSTNAME) */
	bool tty;                   /* a pseudo-terminal of the container's own, relayed to stdin/out */
	bool init;                  /* a tiny PID 1 that reaps and forwards, the command its child */
	int stdio[3];               /* without tty: the command's stdin, stdout, stderr */
	int stop_timeout;           /* seconds from a forwarded SIGTERM/SIGINT to SIGKILL (0: 10) */
	bool forward_signals;       /* SIGINT/TERM/HUP/QUIT to this process go to the container */
	int oom_score_adj;          /* the command's /proc/self/oom_score_adj (default 0) */
	const unsigned *groups;     /* supplementary groups with a `user` step (the OCI face); NULL: none */
	int ngroups;                /* at most 32 */
	/* The command's privileges, user and working directory come from the sandbox's privilege
	 * steps (sb->priv), so `run`, the shell and lessons share them. */
};

struct gph_exec_result {
	int wstatus;                /* as from waitpid */
	int exit_code;              /* docker's: N, 128+S for signal S, 126/127 when exec failed */
	bool exec_failed;           /* the command never ran (not found / not executable / setup) */
	long long oom_kills;        /* counted in the container cgroup during this exec */
	bool escalated;             /* we had to SIGKILL after the stop timeout */
};

/* Create the container cgroup and the holder process (in the cgroup, waiting for steps), and
 * record both in the state directory. Needs root (refused with the reason otherwise). */
int gph_sandbox_start(struct gph_sandbox *sb, const struct gph_sandbox_opts *o, struct gph_err *e);
/* Apply one step now. Refuses steps that would change the host (hostname without `ns uts`, mounts
 * without `ns mnt`, net without `ns net`) and steps applied twice where that is meaningless. */
int gph_sandbox_apply(struct gph_sandbox *sb, const struct gph_step *st, struct gph_err *e);
/* Record that the step `text` failed before it reached the engine (e.g. a bad argument): exec is then
 * refused until a step of the same command succeeds. gph_sandbox_apply does this itself. */
void gph_sandbox_mark_failed(struct gph_sandbox *sb, const char *text);
/* Turn the trace (include/gph/trace.h) on or off in the sandbox process too; the runtime's own
 * side follows gph_trace_start(). */
int gph_sandbox_trace(struct gph_sandbox *sb, bool on, struct gph_err *e);
/* Run a command inside and wait for it. Returns 0 when it ran (its status in r), -1 on setup error. */
/* `user NAME[:GROUP]`: look the names up in the container's /etc/passwd and /etc/group (through
 * the sandbox process's root, resolved inside it) and set priv.uid/gid. 0 when there is nothing to
 * look up. Called before every exec, `show caps` and `score`. */
int gph_sandbox_resolve_user(struct gph_sandbox *sb, struct gph_err *e);
/* In /etc/passwd-format text (gid given) or /etc/group-format text (gid NULL), the entry NAME:
 * its id (and primary gid). 0 when found and well-formed, -1 otherwise. */
int gph_idfile_find(const char *text, const char *name, unsigned *id, unsigned *gid);
/* How many mounts the sandbox's mount namespace holds now (-1 when it cannot be read). */
int gph_sandbox_mount_count(const struct gph_sandbox *sb);
int gph_sandbox_exec(struct gph_sandbox *sb, const struct gph_exec_opts *x,
		     struct gph_exec_result *r, struct gph_err *e);
/* What the OOM counter says about the exec that produced r, as one line without a newline (empty when
 * nothing was OOM-killed): "container killed: out of memory (limit 32M)" when the command itself died
 * of it, "a process in the container was killed: out of memory (limit 32M)" otherwise. */
void gph_exec_oom_message(const struct gph_sandbox *sb, const struct gph_exec_result *r, char *buf, size_t len);
/* Add a bind mount to be made with the root change (before chroot/pivot_root); needs `ns mnt`. */
int gph_sandbox_bind(struct gph_sandbox *sb, const char *src, const char *dst, bool ro, bool rec, unsigned long flags,
		     struct gph_err *e);
/* The OCI face: start the command detached. Everything up to execve is done now; the command then
 * waits at gate_fd (an O_PATH descriptor of a FIFO) until someone opens the FIFO for reading, and is
 * re-parented to this process's subreaper when the holder exits. *pid: its PID on the host. With
 * x->tty, *master gets the pseudo-terminal's master (-1 otherwise). */
int gph_sandbox_exec_detached(struct gph_sandbox *sb, const struct gph_exec_opts *x, int gate_fd, pid_t *pid,
			      int *master, struct gph_err *e);
/* The OCI face: let go of a sandbox whose command runs detached, without tearing anything down. The
 * ledger entry is handed to the command (owner = pid), so `gc` leaves it alone while it runs and
 * removes its cgroup once it is gone; gph_state_collect does that for one entry. */
int gph_sandbox_release(struct gph_sandbox *sb, pid_t pid, struct gph_err *e);
/* Remove what the ledger entry id records (processes in its cgroup, the cgroup, addresses, state),
 * whether or not its owner is alive. */
int gph_state_collect(const char *id, struct gph_err *e);
/* Print what the kernel shows for the sandbox: what is "ns", "mounts", "cgroup", "net", "caps", "all". */
int gph_sandbox_show(struct gph_sandbox *sb, const char *what, FILE *out, struct gph_err *e);
/* The isolation scorecard: a probe started inside as exec starts commands reports its namespaces,
 * root, /proc, capabilities and seccomp state; compared with the host's (this process's) and the
 * cgroup files, one ✓/✗ line per probe (plus the evidence when why), then "score: N of M green". */
int gph_sandbox_score(struct gph_sandbox *sb, bool why, FILE *out, struct gph_err *e);
/* Tear everything down: processes, cgroup, host veth end, state. Safe to call twice. */
void gph_sandbox_destroy(struct gph_sandbox *sb);

/* State directory (default /run/gophernetes, GPH_STATE_DIR overrides it for tests). */
const char *gph_state_root(void);
/* `gophernetes ps` and `gophernetes gc`. */
int gph_state_list(FILE *out, struct gph_err *e);
int gph_state_gc(FILE *out, int *removed, struct gph_err *e);

#endif
