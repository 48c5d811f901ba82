/* The OCI runtime face of `gophernetes` (runtime-spec 1.0/1.1 command line, as runc's): what podman's
 * conmon and containerd's shim call. config.json becomes the same steps `run` and the shell use. */
#ifndef GPH_CLI_OCI_H
#define GPH_CLI_OCI_H
#include <stdbool.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include "gph/error.h"
#include "gph/sandbox.h"
#include "gph/step.h"

#define OCI_VERSION "1.0.2"
#define OCI_ROOT_DEFAULT "/run/gophernetes-oci"

/* Global options (before the subcommand). */
struct oci_global {
	char warn_file[4200];   /* without --log and a terminal: warnings go to ROOT/ID/warnings */
	const char *root;       /* --root: container state (default OCI_ROOT_DEFAULT) */
	const char *log;        /* --log FILE: errors and warnings are appended here too */
	bool log_json;          /* --log-format json */
};
extern struct oci_global oci_g;

/* Errors and notes: to stderr, and to --log in its format. */
void oci_error(const struct gph_err *e);
void oci_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void oci_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct oci_state;

/* config.json translated: the engine's steps plus what belongs to the process. */
#define OCI_MAX_STEPS 64
#define OCI_MAX_RLIMITS 16
#define OCI_MAX_HOOKS 8
struct oci_hook {
	char *path;
	char **args, **env;     /* NULL-terminated, may be NULL */
	int timeout;            /* seconds, 0 = none */
};
struct oci_config {
	struct gph_step steps[OCI_MAX_STEPS];
	int n_steps;
	struct gph_bind binds[GPH_MAX_BINDS];
	int n_binds;
	char **args, **env;     /* NULL-terminated */
	bool terminal;
	unsigned console_h, console_w;
	int ns_flags;
	char hostname[65];
	char cgroup_parent[4096];
	struct { int resource; struct rlimit lim; char name[32]; } rlimits[OCI_MAX_RLIMITS];
	int n_rlimits;
	bool has_umask;
	mode_t umask;
	int oom_score_adj;
	unsigned groups[32];
	int ngroups;
	struct oci_hook hooks[6][OCI_MAX_HOOKS]; /* see oci_hook_kinds */
	int n_hooks[6];
	char *annotations;      /* a JSON object as text, "{}" when none */
	bool seccomp;           /* linux.seccomp was given */
	char *hooks_json;       /* the hooks object as text when it has poststart/poststop ones */
	struct { char key[128], value[256]; int ns; } sysctl[16]; /* ns: the CLONE_NEW* it belongs to */
	int n_sysctl;
};
enum { HOOK_PRESTART, HOOK_CREATE_RUNTIME, HOOK_CREATE_CONTAINER, HOOK_START_CONTAINER, HOOK_POSTSTART, HOOK_POSTSTOP };
extern const char *const oci_hook_kinds[7]; /* NULL-terminated */

/* bundle: the bundle directory (absolute). Fails on any field it does not know or cannot honour. */
int oci_config_load(const char *bundle, struct oci_config *c, struct gph_err *e);
/* An exec's process.json: args, env, cwd, user, terminal, capabilities... into c (steps for priv). */
int oci_process_load(const char *file, struct oci_config *c, char *cwd, size_t cwdlen, struct gph_err *e);
void oci_config_free(struct oci_config *c);
/* The poststart/poststop hooks create kept in ROOT/ID/hooks.json (none when the file is missing). */
int oci_hooks_load(const char *file, struct oci_config *c, struct gph_err *e);
/* Run the hooks of kind k, warning about each failure (poststart, poststop: the spec's rule). */
void oci_run_hooks_warn(const struct oci_config *c, int k, const struct oci_state *s);

/* State: ROOT/ID/state (key=value) and ROOT/ID/gate (the FIFO `start` opens). */
struct oci_state {
	char id[256];
	char bundle[4096];
	char engine_id[16];     /* the engine's ledger id (gophernetes ps) */
	pid_t pid;
	unsigned long long start_time;
	long long created;      /* nanoseconds since the epoch */
	char cgroup[4096];      /* the container's cgroup directory (one hierarchy's: for cgroup.procs) */
	char freezer[4096];     /* its directory with the freezer (v1 freezer or v2), "" when none */
	char cgroup_parent[4096]; /* the engine's cgroup parent ("" = its default), for exec */
	char seccomp[8];        /* "yes": the container has the seccomp filter, so do exec'd processes */
	char annotations[8192]; /* JSON object text */
	char hooks_file[8];     /* "yes" when ROOT/ID/config.json keeps the poststart/poststop hooks */
};
enum oci_status { OCI_CREATING, OCI_CREATED, OCI_RUNNING, OCI_PAUSED, OCI_STOPPED };
const char *oci_status_name(enum oci_status s);
int oci_check_id(const char *id, struct gph_err *e);
/* ROOT/ID into buf. */
void oci_dir(const char *id, char *buf, size_t len);
/* Remove ROOT/ID and the files gophernetes keeps in it. */
void oci_remove_dir(const char *id);
int oci_state_write(const struct oci_state *s, struct gph_err *e);
/* -1 with "container ID does not exist" when there is none. */
int oci_state_read(const char *id, struct oci_state *s, struct gph_err *e);
enum oci_status oci_status_of(const struct oci_state *s);
/* The spec's state JSON (one object, no newline at the end unless nl). */
void oci_state_json(FILE *f, const struct oci_state *s, bool nl);
/* Write a JSON string literal. */
void oci_json_str(FILE *f, const char *s);

/* Limits are inherited: set them in this process before the holder is forked. */
int oci_apply_rlimits(const struct oci_config *c, struct gph_err *e);
/* Write a PID file atomically. */
int oci_write_pid_file(const char *path, pid_t pid, struct gph_err *e);
/* Write c's sysctls inside the namespaces of process pid (a child joins them). */
int oci_apply_sysctls(const struct oci_config *c, pid_t pid, struct gph_err *e);

/* Subcommands. */
int oci_cmd_create(int argc, char **argv, bool run);
int oci_cmd_start(int argc, char **argv);
int oci_cmd_state(int argc, char **argv);
int oci_cmd_kill(int argc, char **argv);
int oci_cmd_delete(int argc, char **argv);
int oci_cmd_list(int argc, char **argv);
int oci_cmd_ps(int argc, char **argv);
int oci_cmd_pause(int argc, char **argv, bool pause);
int oci_cmd_exec(int argc, char **argv);
int oci_cmd_spec(int argc, char **argv);
int oci_cmd_features(int argc, char **argv);
/* Run a hook with the state on its stdin; -1 when it fails or times out. */
int oci_run_hook(const struct oci_hook *h, const struct oci_state *s, const char *kind, struct gph_err *e);
/* Send fd over the unix socket at path (SCM_RIGHTS), as conmon and the containerd shim expect. */
int oci_send_console(const char *path, int fd, struct gph_err *e);

/* Entry from main.c: argv[0] is the first word after the program name. */
int gph_cmd_oci(int argc, char **argv);
/* Whether `gophernetes ARGS` is the OCI command line (see main.c for the rule). */
bool gph_is_oci(int argc, char **argv);

#endif
