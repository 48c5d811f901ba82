/* Using a container cgroup: attach a process, set the memory limit, read OOM kills and the
 * number of processes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup_priv.h"

static const char *attach_hint(int err)
{
	switch (err) {
	case ENOSPC:
		return "the cgroup's cpuset.cpus or cpuset.mems is empty (v1) or it has no usable cpuset";
	case ESRCH:
		return "the process has already exited";
	case EACCES:
	case EPERM:
		return "run as root, or from a cgroup delegated to you";
	case EBUSY:
		return "cgroup v2 no-internal-process rule: a cgroup with controllers enabled in "
		       "cgroup.subtree_control cannot take processes";
	default:
		return NULL;
	}
}

static int attach(struct gph_cgroup *cg, const char *file, const char *val, struct gph_err *e)
{
	char path[PATH_MAX];
	if (cg->n <= 0)
		return gph_fail(e, 0, "create the cgroup first", "cgroup \"%s\" has no directories", cg->id);
	for (int i = 0; i < cg->n; i++) {
		if (gph_cgi_path(path, sizeof path, e, "%s/%s", cg->dir[i], file) < 0)
			return -1;
		if (gph_cgi_write(path, val, NULL, e) < 0) {
			const char *h = attach_hint(e ? e->errnum : 0);
			if (h)
				gph_err_hint(e, "%s", h);
			return -1;
		}
	}
	return 0;
}

int gph_cg_attach(struct gph_cgroup *cg, pid_t pid, struct gph_err *e)
{
	char val[32];
	snprintf(val, sizeof val, "%d", (int)pid);
	return attach(cg, "cgroup.procs", val, e);
}

int gph_cg_attach_self(struct gph_cgroup *cg, struct gph_err *e)
{
	char val[32];
	if (cg->mode != GPH_CG_V2)
		/* v1: "0" in tasks moves only the calling thread, which the kernel does without its global
		 * thread-group lock; a write to cgroup.procs takes that lock, and the first one waits for an
		 * RCU grace period (7 ms of a 10 ms container start here). For a single-threaded caller
		 * the thread is the whole process. */
		return attach(cg, "tasks", "0", e);
	snprintf(val, sizeof val, "%d", (int)getpid());
	return attach(cg, "cgroup.procs", val, e);
}

/* Set a hint for a failed write of a memory file, naming the file. */
static void memory_hint(struct gph_err *e, const char *file)
{
	switch (e ? e->errnum : 0) {
	case EBUSY:
		gph_err_hint(e, "EBUSY: current usage above the new limit (%s); the kernel could not "
			     "reclaim enough: use a larger limit or stop processes first", file);
		break;
	case EINVAL:
		gph_err_hint(e, "%s did not accept the value; on v1 memory.memsw.limit_in_bytes must "
			     "stay >= memory.limit_in_bytes", file);
		break;
	case ENOENT:
		gph_err_hint(e, "%s is missing: the memory controller is not enabled for this cgroup",
			     file);
		break;
	}
}

static int write_mem(const char *dir, const char *file, const char *val, struct gph_err *e)
{
	char path[PATH_MAX];
	if (gph_cgi_path(path, sizeof path, e, "%s/%s", dir, file) < 0)
		return -1;
	if (gph_cgi_write(path, val, NULL, e) < 0) {
		memory_hint(e, file);
		return -1;
	}
	return 0;
}

static int file_exists(const char *dir, const char *file)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
		return 0;
	return access(path, F_OK) == 0;
}

int gph_cg_set_memory(struct gph_cgroup *cg, long long bytes, struct gph_err *e)
{
	const char *dir = gph_cg_dir_for(cg, "memory");
	char val[32];
	if (!dir)
		return gph_fail(e, ENOENT, "this host has no memory cgroup controller mounted",
				"cgroup \"%s\": no memory hierarchy", cg->id);
	if (cg->mode == GPH_CG_V2) {
		const char *v = bytes > 0 ? val : "max";
		snprintf(val, sizeof val, "%lld", bytes);
		if (write_mem(dir, "memory.max", v, e) < 0)
			return -1;
		/* no swap at all under the limit; "max" again when the limit is lifted */
		if (file_exists(dir, "memory.swap.max") &&
		    write_mem(dir, "memory.swap.max", bytes > 0 ? "0" : "max", e) < 0)
			return -1;
	} else {
		/* v1: memsw (memory+swap) must stay >= limit at every moment, so when lowering write
		 * the limit first, when raising write memsw first. memsw = limit: no swap beyond it. */
		char cur_s[64];
		long long cur;
		int lowering;
		snprintf(val, sizeof val, "%lld", bytes > 0 ? bytes : -1LL);
		if (gph_cg_read_file(cg, "memory", "memory.limit_in_bytes", cur_s, sizeof cur_s, e) < 0)
			return -1;
		cur = strtoll(cur_s, NULL, 10);
		lowering = bytes > 0 && bytes < cur;
		if (!file_exists(dir, "memory.memsw.limit_in_bytes")) {
			/* no swap accounting in this kernel: the limit alone */
			if (write_mem(dir, "memory.limit_in_bytes", val, e) < 0)
				return -1;
		} else if (lowering) {
			if (write_mem(dir, "memory.limit_in_bytes", val, e) < 0 ||
			    write_mem(dir, "memory.memsw.limit_in_bytes", val, e) < 0)
				return -1;
		} else {
			if (write_mem(dir, "memory.memsw.limit_in_bytes", val, e) < 0 ||
			    write_mem(dir, "memory.limit_in_bytes", val, e) < 0)
				return -1;
		}
	}
	cg->memory_limit = bytes > 0 ? bytes : 0;
	return 0;
}

int gph_cg_oom_kills(struct gph_cgroup *cg, long long *count, struct gph_err *e)
{
	const char *file = cg->mode == GPH_CG_V2 ? "memory.events" : "memory.oom_control";
	const char *dir = gph_cg_dir_for(cg, "memory");
	char path[PATH_MAX], *all, *p;
	if (!dir)
		return gph_fail(e, ENOENT, "this host has no memory cgroup controller mounted",
				"cgroup \"%s\": no memory hierarchy", cg->id);
	if (gph_cgi_path(path, sizeof path, e, "%s/%s", dir, file) < 0)
		return -1;
	if (gph_cgi_slurp(path, &all, e) < 0) {
		if (e && e->errnum == ENOENT)
			gph_err_hint(e, "the memory controller is not enabled for this cgroup");
		return -1;
	}
	for (p = all; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "oom_kill ", 9) == 0) {
			char *end;
			errno = 0;
			*count = strtoll(p + 9, &end, 10);
			if (errno || end == p + 9)
				break;
			free(all);
			return 0;
		}
	}
	free(all);
	return gph_fail(e, 0, "the kernel is older than 4.13, which added the oom_kill counter",
			"no \"oom_kill N\" line in %s", path);
}

int gph_cg_count_procs(struct gph_cgroup *cg, int *count, struct gph_err *e)
{
	const char *dir = gph_cg_dir_for(cg, NULL);
	char path[PATH_MAX];
	if (!dir)
		return gph_fail(e, 0, "create the cgroup first", "cgroup \"%s\" has no directories", cg->id);
	if (gph_cgi_path(path, sizeof path, e, "%s/cgroup.procs", dir) < 0)
		return -1;
	/* unlike destroy, a missing directory is an error here: the container should exist */
	if (access(path, F_OK) < 0)
		return gph_fail(e, errno, "the container cgroup is gone", "access(\"%s\")", path);
	return gph_cgi_procs(dir, NULL, 0, count, e);
}
