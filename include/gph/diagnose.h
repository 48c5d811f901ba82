/* When a step fails, say why: check the failed call's documented preconditions (its man page's
 * ERRORS section) against the live state and name the one that is broken.
 *
 * Each gph_diag_* function is pure: it takes the state as text (a mountinfo, a map file, ...), so
 * the unit tests feed it fixtures. It writes "<the broken precondition> (see <man page>)" to out and
 * returns 1, or returns 0 when every precondition it knows holds (then nothing is claimed).
 * gph_diagnose_* read the live state (/proc/self/mountinfo, /proc/PID/setgroups, ...) and fill
 * e->why; they are called where the call failed, in the process that made it. */
#ifndef GPH_DIAGNOSE_H
#define GPH_DIAGNOSE_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "gph/error.h"

/* pivot_root(".", ".") with the working directory at new_root (a path as mountinfo shows it). */
int gph_diag_pivot_root(const char *mountinfo, const char *new_root, char *out, size_t len);
/* mount(2) of a proc, sysfs, tmpfs... on target. target_state: 0 a directory, ENOENT missing,
 * ENOTDIR not a directory. own_netns: the caller has a network namespace of its user namespace. */
int gph_diag_mount(const char *fstype, const char *target, int err, int target_state, const char *mountinfo,
		   bool userns, bool own_netns, char *out, size_t len);
/* sethostname(2). */
int gph_diag_hostname(size_t name_len, int err, bool own_utsns, bool cap_sys_admin, char *out, size_t len);
/* A write of text to /proc/PID/uid_map or gid_map (file says which). current: what the file holds
 * now; setgroups: /proc/PID/setgroups; privileged: the writer has CAP_SETUID/CAP_SETGID over the
 * parent user namespace (root here); own_id: the writer's euid (uid_map) or egid (gid_map). */
int gph_diag_idmap(const char *file, const char *text, const char *current, const char *setgroups, bool privileged,
		   unsigned own_id, char *out, size_t len);
/* unshare(2). max_of(kind) gives /proc/sys/user/max_<kind>_namespaces (-1 when unknown). */
int gph_diag_unshare(int flags, int err, bool cap_sys_admin, bool chrooted, long (*max_of)(const char *kind), char *out,
		     size_t len);
/* A write to a cgroup file. v2: unified hierarchy; parent_subtree: the parent's cgroup.subtree_control;
 * own_subtree and own_procs: the cgroup's own cgroup.subtree_control and cgroup.procs. */
int gph_diag_cgroup_write(const char *path, const char *value, int err, bool v2, const char *parent_subtree,
			  const char *own_subtree, const char *own_procs, char *out, size_t len);
/* Creating a link NAME on the host: EEXIST when it is taken, EPERM without CAP_NET_ADMIN. */
int gph_diag_link(const char *name, int err, bool name_taken, bool cap_net_admin, char *out, size_t len);

/* Live: read the state and fill e->why when a precondition is found broken. */
void gph_diagnose_pivot_root(const char *new_root, struct gph_err *e);
void gph_diagnose_mount(const char *fstype, const char *target, int err, bool userns, bool own_netns,
			struct gph_err *e);
void gph_diagnose_hostname(const char *name, int err, bool own_utsns, struct gph_err *e);
void gph_diagnose_idmap(pid_t pid, const char *file, const char *text, struct gph_err *e);
void gph_diagnose_unshare(int flags, int err, struct gph_err *e);
void gph_diagnose_cgroup_write(const char *path, const char *value, int err, struct gph_err *e);
void gph_diagnose_link(const char *name, int err, struct gph_err *e);
/* Does this process hold capability cap in its effective set (/proc/self/status CapEff)? */
bool gph_diag_has_cap(int cap);

#endif
