/* cgroups, version-blind for the caller: detect the host's mode once, then create / attach /
 * limit / read / kill+remove one container cgroup. On v1 and hybrid hosts a "container cgroup" is
 * one directory in each controller hierarchy we use; on v2 it is one directory.
 * Containers live in <the cgroup this process runs in>/gophernetes/<id> in each hierarchy. */
#ifndef GPH_CGROUP_H
#define GPH_CGROUP_H
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "gph/error.h"

enum gph_cg_mode {
	GPH_CG_V1,     /* tmpfs at /sys/fs/cgroup, controller hierarchies below it, no cgroup2 */
	GPH_CG_HYBRID, /* v1 plus a cgroup2 at /sys/fs/cgroup/unified; controllers are on v1 */
	GPH_CG_V2,     /* cgroup2 at /sys/fs/cgroup: the unified hierarchy */
};
const char *gph_cg_mode_name(enum gph_cg_mode m); /* "v1", "hybrid", "v2" */

/* Pure decision from statfs f_type values (unified_ftype 0 when /sys/fs/cgroup/unified is absent):
 * cgroup2 magic at the root means v2; tmpfs at the root means v1, or hybrid when unified is
 * cgroup2. Anything else is an error ("no cgroup filesystem mounted at /sys/fs/cgroup"). */
int gph_cg_mode_from_fstypes(long root_ftype, long unified_ftype, enum gph_cg_mode *mode,
			     struct gph_err *e);
/* statfs() the real files under root (normally "/sys/fs/cgroup"); cached after the first call
 * when root is the default. */
int gph_cg_detect(const char *root, enum gph_cg_mode *mode, struct gph_err *e);

#define GPH_CG_MAX_HIER 12
struct gph_cg_hier {
	char controller[32];   /* "memory", "pids", ... on v1; "" for the v2 unified hierarchy */
	char mount[PATH_MAX];  /* where the hierarchy is mounted, e.g. /sys/fs/cgroup/memory */
	char own[PATH_MAX];    /* this process's cgroup in it, from /proc/self/cgroup, e.g. "/" */
};

/* Parse /proc/self/cgroup-format text and /proc/self/mountinfo-format text (fixture files in tests)
 * into the hierarchies we use: on v1/hybrid the controllers memory, pids, cpu, cpuacct, cpuset,
 * blkio, freezer that are mounted; on v2 the single unified hierarchy. Returns the count or -1. */
int gph_cg_hierarchies(enum gph_cg_mode mode, const char *proc_cgroup_text,
		       const char *mountinfo_text, struct gph_cg_hier *out, int max, struct gph_err *e);

struct gph_cgroup {
	enum gph_cg_mode mode;
	char id[64];
	int n;                       /* number of directories made (one per hierarchy) */
	struct gph_cg_hier hier[GPH_CG_MAX_HIER];
	char dir[GPH_CG_MAX_HIER][PATH_MAX]; /* the container's directory in each hierarchy */
	long long memory_limit;      /* what was asked, for messages; 0 = none */
};

/* Create <own>/gophernetes/<id> in every hierarchy (and the gophernetes parent when missing;
 * on v1 cpuset copies cpuset.cpus/cpuset.mems from the parent; on v2 enables the controllers
 * in subtree_control on the way down). parent_override, when not NULL, replaces "<own>/gophernetes".
 * On failure nothing made here remains. */
/* Rootless mode: 1 when this process's v2 cgroup is delegated to it (writable directory,
 * cgroup.procs and cgroup.subtree_control), so that it may create container cgroups below; 0 with
 * the reason in why otherwise. */
int gph_cg_delegated(char *why, size_t len);
int gph_cg_create(struct gph_cgroup *cg, const char *id, const char *parent_override,
		  struct gph_err *e);
/* Move pid into the container cgroup in every hierarchy. */
int gph_cg_attach(struct gph_cgroup *cg, pid_t pid, struct gph_err *e);
/* Move the calling process, which must be single-threaded, into the container cgroup: cheaper than
 * gph_cg_attach on v1 (see cgroup_ops.c). */
int gph_cg_attach_self(struct gph_cgroup *cg, struct gph_err *e);
/* Memory limit in bytes; also forbids swap beyond it where the kernel has the file. */
int gph_cg_set_memory(struct gph_cgroup *cg, long long bytes, struct gph_err *e);
/* OOM kills counted by the kernel in this cgroup (v2 memory.events oom_kill, v1
 * memory.oom_control oom_kill); -1 with e set when not available. */
int gph_cg_oom_kills(struct gph_cgroup *cg, long long *count, struct gph_err *e);
/* Number of processes in the cgroup now. */
int gph_cg_count_procs(struct gph_cgroup *cg, int *count, struct gph_err *e);
/* Kill everything still in the cgroup (cgroup.kill on v2 when present, SIGKILL over cgroup.procs
 * otherwise), wait until it is empty (re-reading cgroup.procs / cgroup.events; bounded), then
 * rmdir each directory (retrying briefly on EBUSY). Removes the gophernetes parent when empty. */
int gph_cg_destroy(struct gph_cgroup *cg, struct gph_err *e);
/* Path of a file in the hierarchy that holds controller ctl ("memory" for "memory.max"):
 * on v2 the single dir. Returns NULL when this cgroup has no such hierarchy. */
const char *gph_cg_dir_for(const struct gph_cgroup *cg, const char *controller);
/* Read one cgroup file's first line (trailing newline removed). */
int gph_cg_read_file(const struct gph_cgroup *cg, const char *controller, const char *file,
		     char *buf, size_t len, struct gph_err *e);
/* Rebuild the struct from a recorded id (for gc): dirs that exist are filled in. */
int gph_cg_open(struct gph_cgroup *cg, const char *id, const char *parent_override,
		struct gph_err *e);

/* v2 gc: remove empty gophernetes-runtime.<pid> leaves (where a runtime alone in its cgroup moved
 * itself, see the no-internal-process rule) whose runtime is gone; lines go to out. */
int gph_cg_gc_runtime_leaves(FILE *out, int *removed, struct gph_err *e);

/* ---- Resource limits beyond memory (issue: resource limits in depth) ---- */
/* docker's --memory-swap: memory plus swap in total (>= the memory limit); -1 unlimited swap. */
int gph_cg_set_memory_swap(struct gph_cgroup *cg, long long total, struct gph_err *e);
/* Maximum number of tasks (processes and threads); the sandbox process counts as one. */
int gph_cg_set_pids(struct gph_cgroup *cg, long long max, struct gph_err *e);
/* CPU bandwidth: quota_us of CPU time per period_us (v2 cpu.max, v1 cpu.cfs_quota_us/period_us). */
int gph_cg_set_cpu_max(struct gph_cgroup *cg, long long quota_us, long long period_us, struct gph_err *e);
/* Relative CPU weight 1..10000 (v2 cpu.weight; v1 cpu.shares via gph_cg_weight_to_shares). */
int gph_cg_set_cpu_weight(struct gph_cgroup *cg, int weight, struct gph_err *e);
/* The conversion between v2 weight and v1 shares: default maps to default (100 <-> 1024), the ends
 * to the ends (1 <-> 2, 10000 <-> 262144), logarithmic in between. */
unsigned long long gph_cg_weight_to_shares(int weight);
int gph_cg_shares_to_weight(unsigned long long shares);
/* Which CPUs, e.g. "0-1,3" (cpuset.cpus; on v2 the cpuset controller must be enabled). */
int gph_cg_set_cpuset(struct gph_cgroup *cg, const char *cpus, struct gph_err *e);
/* IO weight 1..10000 (v2 io.weight or io.bfq.weight; v1 blkio.weight or blkio.bfq.weight). The
 * message in *note says when the kernel cannot honour it (e.g. no BFQ scheduler on the device). */
int gph_cg_set_io_weight(struct gph_cgroup *cg, int weight, char *note, size_t note_len, struct gph_err *e);
/* Throttle reads or writes of block device dev (a path like /dev/vda) to bytes_per_sec. */
int gph_cg_set_io_bps(struct gph_cgroup *cg, const char *dev, bool write, long long bytes_per_sec,
		      struct gph_err *e);

#endif
