/* Engine internals shared between the runtime side (sandbox.c, exec_wait.c, show.c, state.c) and the
 * holder side (holder.c, inside_*.c, exec_child.c). Not for front ends. */
#ifndef GPH_INTERNAL_H
#define GPH_INTERNAL_H
#include <stdbool.h>
#include <sys/types.h>
#include "gph/error.h"
#include "gph/harden.h"
#include "gph/net.h"
#include "gph/sandbox.h"
#include "gph/step.h"
#include "gph/sys.h" /* gph_clone_fork: how exec and the probes start */

/* Requests from the runtime to the holder, one SOCK_SEQPACKET message each. */
enum hreq_op { HREQ_STEP, HREQ_NET_INSIDE, HREQ_EXEC, HREQ_INFO, HREQ_BECOME_ROOT, HREQ_PRIV_PROBE, HREQ_TRACE, HREQ_SCORE_PROBE, HREQ_JOIN };

#define HREQ_ARGBUF 32768
struct hreq {
	enum hreq_op op;
	struct gph_step step;       /* HREQ_STEP */
	/* HREQ_STEP chroot/pivot_root: host files bind-mounted over DEST inside the new root before the
	 * root changes (resolv.conf and hosts of a bridged sandbox) */
	int nbinds;
	char bind_src[2][PATH_MAX];
	char bind_dst[2][32];
	/* HREQ_STEP chroot/pivot_root: the sandbox's own bind mounts (gph_sandbox_bind), after the above */
	int n_xbinds;
	struct gph_bind xbinds[GPH_MAX_BINDS];
	struct gph_veth veth;       /* HREQ_NET_INSIDE */
	/* HREQ_EXEC; fds ride along as SCM_RIGHTS: stdin, stdout, stderr, and with tty the host pty
	 * slave used when the container has no /dev/ptmx of its own */
	bool new_pidns;
	bool tty;
	bool init;
	/* HREQ_EXEC detached (the OCI face): the holder reports the command's PID as soon as it waits at
	 * its gate, then exits, so the command is re-parented to the caller's subreaper (conmon, the
	 * containerd shim). gate_idx: which passed fd is the O_PATH gate FIFO (0: none; always 3, after stdin, stdout, stderr); the command
	 * opens it for writing just before execve, which blocks until `start` opens it for reading. */
	bool detach;
	int gate_idx;
	pid_t join_pid;             /* HREQ_JOIN: enter this process's namespaces */
	int oom_score_adj;          /* written to /proc/self/oom_score_adj (the holder has -1000) */
	int ngroups;                /* supplementary groups after the user switch, besides gid */
	unsigned groups[32];
	/* HREQ_EXEC and HREQ_PRIV_PROBE: the command's privileges (sb->priv) */
	bool harden, masks, nnp, seccomp;
	bool userns;                /* the sandbox is in a user namespace of its own */
	bool own_mntns;             /* ... and a mount namespace (all private since `ns mnt`) */
	bool has_user;              /* switch to uid/gid before execve */
	unsigned uid, gid;
	char workdir[PATH_MAX];     /* "" = / */
	uint64_t host_mntns;        /* the runtime's mount namespace: masks are refused there */
	struct gph_caps caps;
	struct gph_seccomp_prog prog;
	int argc, envc;
	char args[HREQ_ARGBUF];     /* argv then env, each NUL-terminated */
};

/* What the `score` probe found about itself, from inside (score_probe.c): a child of the holder set
 * up as an exec'd command is. The runtime compares it with its own view (score.c). */
struct gph_probe_facts {
	unsigned long long ns_ino[8], ns_dev[8]; /* per gph_view_ns_kinds: stat of <host /proc>/self/ns/KIND */
	unsigned long long root_dev, root_ino;   /* stat("/") */
	bool proc_is_procfs;                      /* /proc inside is a procfs */
	bool proc_foreign;                        /* ...of another PID namespace: its "self" is not getpid() */
	int proc_pids;                            /* numeric entries in /proc inside */
	bool proc_sys_present, proc_sys_ro;       /* /proc/sys, and mounted read-only */
	unsigned long long cap_eff, cap_prm, cap_bnd;
	int seccomp;                              /* Seccomp: 0 off, 1 strict, 2 filter */
	bool nnp;
	unsigned euid;
	int pid_inside;                           /* getpid() inside */
};

/* Messages from the holder (and, for HREP_PTY, from the exec child). */
enum hrep_kind { HREP_DONE, HREP_STARTED, HREP_PTY, HREP_EXITED, HREP_TRACE };
/* What an exec child reports through its close-on-exec pipe when it never reached execve. */
struct gph_exec_failure {
	int code;           /* 126, 127, or 125 for a setup failure before execve */
	struct gph_err err;
};

struct hrep {
	enum hrep_kind kind;
	int rc;                     /* HREP_DONE: 0 or -1 with err */
	struct gph_err err;
	pid_t pid;                  /* HREP_STARTED: the command's PID as the host sees it */
	int exec_errno;             /* HREP_STARTED: execve's errno when the command never ran */
	int wstatus;                /* HREP_EXITED */
	bool pty_inside;            /* HREP_PTY: an fd is attached (the container's own pty master) */
	struct gph_probe_facts probe; /* HREQ_SCORE_PROBE */
	int ns;                     /* HREQ_JOIN: the namespaces entered */
	char info[8192];            /* HREQ_INFO: "hostname\n" + network description; HREQ_STEP: a note;
	                             * HREQ_PRIV_PROBE: the probe's decoded capability sets */
};

/* The trace's messages (trace.c): HREP_TRACE carries one line in info (only up to its end is sent).
 * An execve line waits for its result: the exec child sends it pending, then either the failure or
 * nothing (the runtime completes it with " = 0" when the holder reports the command started). */
void gph_trace_pending_call(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gph_trace_pending_result(long rc, int err);
/* Runtime: print rp when it is a trace message (true), else false. */
bool gph_trace_take(const struct hrep *rp);
/* Runtime: the exec in flight started (started > 0) or never reported. */
void gph_trace_exec_done(int started);
/* Requests: HREQ_TRACE turns the holder's trace on or off (step.on). */

/* Socket helpers: send one message with up to 4 fds, receive one (fds out, nfds in/out). */
int gph_msg_send(int sock, const void *buf, size_t len, const int *fds, int nfds);
ssize_t gph_msg_recv(int sock, void *buf, size_t len, int *fds, int *nfds);

/* Holder side. */
extern int gph_holder_procfd; /* the host's /proc, O_PATH, opened before any root change */
/* cg: the container's cgroup, which the holder enters first thing; NULL when there is none. */
void gph_holder_main(int sock, struct gph_cgroup *cg) __attribute__((noreturn));
/* Apply a step to this process; note gets a remark worth showing ("" for none). */
int gph_inside_step(const struct gph_step *st, char *note, size_t note_len, struct gph_err *e);
/* Bind each host file src[i] over dir/dst[i] (an empty file is created as the mount point when
 * missing); skipped with a note when dir has no such directory. */
int gph_inside_binds(const char *dir, int n, const char (*src)[PATH_MAX], const char (*dst)[32], char *note,
		     size_t note_len, struct gph_err *e);
/* HREQ_JOIN (inside_join.c): setns into every namespace of pid that differs from ours; *ns gets the
 * CLONE_NEW* flags entered. */
int gph_inside_join(pid_t pid, int *ns, struct gph_err *e);
/* The sandbox's own bind mounts (inside_bind.c): each source onto dir + dst, the mount point made
 * inside dir without following symlinks (a directory for a directory, an empty file for a file). */
int gph_inside_xbinds(const char *dir, int n, const struct gph_bind *b, struct gph_err *e);
int gph_inside_pivot_root(const char *dir, struct gph_err *e);
int gph_inside_chroot(const char *dir, struct gph_err *e);
int gph_inside_mount(enum gph_mount_what what, const char *path, struct gph_err *e);
/* In a user namespace proc must be remounted on top (stacked): the kernel refuses a new proc mount
 * there unless a full one is already visible, so the old one cannot be detached first. */
int gph_inside_refresh_proc(bool userns, struct gph_err *e);
/* Holder side of user namespaces (inside_userns.c). */
extern bool gph_holder_userns;     /* `ns user` applied to this holder */
extern int gph_holder_ns;          /* CLONE_NEW* this holder has unshared */
int gph_inside_become_root(struct gph_err *e);
/* Before the root changes in a user namespace: keep clones of the host's device nodes for
 * `mount dev`, and (pivot_root) mount proc and sysfs into DIR while full instances are visible. */
int gph_inside_userns_before_root(const char *dir, bool pivot, char *note, size_t note_len, struct gph_err *e);
/* `mount dev` in a user namespace: bind the kept clones onto empty files in DIR. */
int gph_inside_userns_dev_nodes(const char *dir, struct gph_err *e);
/* `mount proc` in a user namespace: from a child in a new PID namespace the user namespace owns. */
int gph_inside_userns_mount_proc(const char *path, struct gph_err *e);
/* The exec'd command's privileges, user and working directory, in the order the kernel needs
 * (exec_priv.c); also used by the `show caps` probe. */
int gph_exec_apply_priv(const struct hreq *rq, struct gph_err *e);
/* Runtime side of user namespaces (userns.c): unshare in the holder, write the maps, become root. */
int gph_userns_enter(struct gph_sandbox *sb, const struct gph_step *st, char *note, size_t note_len,
		     struct gph_err *e);
/* Privilege steps on the runtime side (sandbox_priv.c). */
int gph_sandbox_apply_priv(struct gph_sandbox *sb, const struct gph_step *st, char *note, size_t note_len,
			   struct gph_err *e);
void gph_sandbox_priv_request(const struct gph_sandbox *sb, struct hreq *rq);
/* Compile (or load from the cache) the seccomp program when the sandbox asks for one. */
int gph_sandbox_priv_seccomp(const struct gph_sandbox *sb, struct hreq *rq, struct gph_err *e);
/* In an exec child's (or probe's) own copy of the mount namespace: stop propagation to the
 * sandbox's (and, without `ns mnt`, the host's) mounts before changing any. */
int gph_exec_private_mounts(bool own_mntns, struct gph_err *e);
/* The masked and read-only /proc and /sys paths in an exec child's own mount namespace. */
int gph_exec_apply_masks(const struct hreq *rq, struct gph_err *e);
/* `score`: start the probe as an exec'd command would be started, fill rep->probe (score_probe.c). */
void gph_holder_score_probe(const struct hreq *rq, struct hrep *rep);
/* Runs in the exec child: never returns (execs or _exits with 126/127). */
void gph_exec_child(int sock, const struct hreq *rq, const int *fds, int nfds, int errpipe)
	__attribute__((noreturn));

/* Runtime side. */
/* Send the exec request (with stdio and, for a tty, a host pty), then relay and forward signals
 * until the holder reports the command's end. */
int gph_exec_wait(struct gph_sandbox *sb, const struct gph_exec_opts *x, struct hreq *rq,
		  struct gph_exec_result *r, struct gph_err *e);
/* The exec request for x (checks, environment, privileges, packed argv), in a static buffer. */
int gph_sandbox_exec_request(struct gph_sandbox *sb, const struct gph_exec_opts *x, struct hreq **rq,
			     struct gph_err *e);
int gph_holder_call(struct gph_sandbox *sb, const struct hreq *rq, struct hrep *rp, const int *fds,
		    int nfds, struct gph_err *e);

/* State ledger: /run/gophernetes/<id>/state, key=value lines, rewritten whole (tmp + rename). */
int gph_state_write(const struct gph_sandbox *sb, pid_t main_pid, struct gph_err *e);
void gph_state_remove(const struct gph_sandbox *sb);
/* The start time (field 22 of /proc/PID/stat) of pid, 0 if it does not exist. */
unsigned long long gph_proc_starttime(pid_t pid);

/* Process titles: overwrite this process's argv area (what /proc/PID/cmdline shows). */
void gph_set_title(const char *title);
void gph_save_argv(int argc, char **argv);

#endif
