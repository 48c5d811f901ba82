/* Tearing a container cgroup down (kill everything, wait until it is empty, rmdir), and finding
 * a recorded one again for gc. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cgroup_priv.h"

#define KILL_WAIT_MS 5000  /* a SIGKILLed process normally leaves within milliseconds */
#define RMDIR_WAIT_MS 2000

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Only directories named after our id, strictly below their hierarchy's mount, are ours. */
static int check_ours(const struct gph_cgroup *cg, int i, struct gph_err *e)
{
	const char *dir = cg->dir[i], *mnt = cg->hier[i].mount, *base = strrchr(dir, '/');
	size_t ml = strlen(mnt);
	if (gph_cgi_valid_id(cg->id, e) < 0)
		return -1;
	if (!ml || strncmp(dir, mnt, ml) != 0 || dir[ml] != '/' || !base || base == dir + ml ||
	    strcmp(base + 1, cg->id) != 0 || strstr(dir, "/.."))
		return gph_fail(e, EINVAL, "this is a bug: the struct was not made by gph_cg_create/open",
				"refusing to remove \"%s\": not a container cgroup \"%s\" under %s", dir,
				cg->id, mnt);
	return 0;
}

/* Write val to dir/file when the file exists (a kernel feature we use if present). */
static int write_if_present(const char *dir, const char *file, const char *val, int *present,
			    struct gph_err *e)
{
	char path[PATH_MAX];
	if (gph_cgi_path(path, sizeof path, e, "%s/%s", dir, file) < 0)
		return -1;
	*present = access(path, F_OK) == 0;
	if (!*present)
		return 0;
	return gph_cgi_write(path, val, NULL, e);
}

/* Kill what is in the cgroup until every directory's cgroup.procs is empty, bounded. */
static int kill_all(struct gph_cgroup *cg, struct gph_err *e)
{
	long long deadline = now_ms() + KILL_WAIT_MS;
	int has_kill = 0, present;
	/* Frozen tasks do not die until thawed. */
	for (int i = 0; i < cg->n; i++) {
		if (cg->mode != GPH_CG_V2 && !gph_cgi_has_ctl(cg->hier[i].controller, "freezer"))
			continue;
		if (access(cg->dir[i], F_OK) < 0)
			continue;
		if (write_if_present(cg->dir[i], cg->mode == GPH_CG_V2 ? "cgroup.freeze" : "freezer.state",
				     cg->mode == GPH_CG_V2 ? "0" : "THAWED", &present, e) < 0)
			return -1;
	}
	for (;;) {
		pid_t pids[1024];
		int total = 0;
		for (int i = 0; i < cg->n; i++) {
			int count;
			/* v2 (5.14+): the kernel kills the whole subtree, forks in flight included */
			if (cg->mode == GPH_CG_V2 && access(cg->dir[i], F_OK) == 0) {
				if (write_if_present(cg->dir[i], "cgroup.kill", "1", &present, e) < 0)
					return -1;
				has_kill |= present;
			}
			if (gph_cgi_procs(cg->dir[i], pids, 1024, &count, e) < 0)
				return -1;
			total += count;
			if (has_kill)
				continue;
			for (int k = 0; k < count && k < 1024; k++)
				if (kill(pids[k], SIGKILL) < 0 && errno != ESRCH)
					return gph_fail(e, errno, "run as root", "kill(%d, SIGKILL) in %s",
							(int)pids[k], cg->dir[i]);
		}
		if (total == 0)
			return 0;
		if (now_ms() > deadline)
			return gph_fail(e, ETIMEDOUT,
					"a process stuck in uninterruptible sleep (state D)? see "
					"`ps -o pid,stat,wchan:30 -p <pid>` for the pids in cgroup.procs",
					"%d process(es) still in cgroup %s after SIGKILL and %d s", total,
					cg->dir[0], KILL_WAIT_MS / 1000);
		sleep_ms(10);
	}
}

/* rmdir, retrying on EBUSY (the kernel may still be releasing exited tasks). Absent is fine. */
static int rmdir_retry(const char *dir, struct gph_err *e)
{
	long long deadline = now_ms() + RMDIR_WAIT_MS;
	long wait = 1;
	while (rmdir(dir) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_ms() > deadline)
			return gph_fail(e, errno, errno == EBUSY
					? "processes are still in it, or it has child cgroups: see its cgroup.procs"
					: NULL, "rmdir(\"%s\")", dir);
		sleep_ms(wait);
		wait = wait < 100 ? wait * 2 : 100;
	}
	return 0;
}

/* The parent goes too when it is a gophernetes* directory and empty; another container may
 * still use it (ENOTEMPTY, EBUSY), and another destroy may have removed it (ENOENT). */
static int remove_parent(const char *dir, const char *mount, struct gph_err *e)
{
	char parent[PATH_MAX];
	char *slash, *name;
	memcpy(parent, dir, strlen(dir) + 1);
	slash = strrchr(parent, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	name = strrchr(parent, '/');
	if (!name || strncmp(name + 1, "gophernetes", 11) != 0 || strlen(parent) <= strlen(mount))
		return 0;
	if (rmdir(parent) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EBUSY &&
	    errno != EEXIST)
		return gph_fail(e, errno, NULL, "rmdir(\"%s\")", parent);
	return 0;
}

int gph_cg_destroy(struct gph_cgroup *cg, struct gph_err *e)
{
	for (int i = 0; i < cg->n; i++)
		if (check_ours(cg, i, e) < 0)
			return -1;
	if (kill_all(cg, e) < 0) {
		gph_err_wrap(e, "destroy cgroup %s: ", cg->id);
		return -1;
	}
	/* try every directory even after a failure, so as little as possible is left; the first
	 * error is the one reported */
	struct gph_err later;
	int failed = 0;
	for (int i = 0; i < cg->n; i++)
		if (rmdir_retry(cg->dir[i], failed ? &later : e) < 0)
			failed = 1;
	for (int i = 0; i < cg->n; i++)
		if (remove_parent(cg->dir[i], cg->hier[i].mount, failed ? &later : e) < 0)
			failed = 1;
	return failed ? -1 : 0;
}

int gph_cg_open(struct gph_cgroup *cg, const char *id, const char *parent_override,
		struct gph_err *e)
{
	struct gph_cg_hier hier[GPH_CG_MAX_HIER];
	enum gph_cg_mode mode;
	int n = 0;
	memset(cg, 0, sizeof *cg);
	if (gph_cgi_valid_id(id, e) < 0 || gph_cgi_load(&mode, hier, &n, e) < 0)
		return -1;
	cg->mode = mode;
	snprintf(cg->id, sizeof cg->id, "%s", id);
	for (int i = 0; i < n; i++) {
		char parent[PATH_MAX];
		struct stat st;
		int k = cg->n;
		if (gph_cgi_parent(&hier[i], parent_override, parent, sizeof parent, e) < 0 ||
		    gph_cgi_path(cg->dir[k], sizeof cg->dir[k], e, "%s/%s", parent, id) < 0)
			return -1;
		if (stat(cg->dir[k], &st) < 0) {
			if (errno == ENOENT)
				continue;
			return gph_fail(e, errno, NULL, "stat(\"%s\")", cg->dir[k]);
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		cg->hier[k] = hier[i];
		cg->n++;
	}
	for (int i = cg->n; i < GPH_CG_MAX_HIER; i++)
		cg->dir[i][0] = '\0';
	return 0;
}

/* v2: remove the leaves runtimes stepped into (cgroup_create.c) once those runtimes are gone, in our
 * own cgroup and below it (a runtime's leaf sits in the cgroup it ran in). A leaf still holding a
 * process is busy and stays; a live runtime's leaf is never touched. */
static void gc_leaves_in(const char *dir, int depth, FILE *out, int *removed)
{
	DIR *d = opendir(dir);
	size_t pl = strlen(GPH_CG_RUNTIME_LEAF);
	if (!d)
		return;
	for (struct dirent *de; (de = readdir(d));) {
		char sub[PATH_MAX + 256], *end;
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
		if (strncmp(de->d_name, GPH_CG_RUNTIME_LEAF, pl) != 0) {
			if (depth > 0)
				gc_leaves_in(sub, depth - 1, out, removed);
			continue;
		}
		long pid = strtol(de->d_name + pl, &end, 10);
		if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (rmdir(sub) == 0) {
			fprintf(out, "removed runtime cgroup %s (its runtime, pid %ld, is gone)\n", sub, pid);
			(*removed)++;
		}
	}
	closedir(d);
}

int gph_cg_gc_runtime_leaves(FILE *out, int *removed, struct gph_err *e)
{
	enum gph_cg_mode mode;
	struct gph_cg_hier h[GPH_CG_MAX_HIER];
	int n = 0;
	char dir[PATH_MAX];
	*removed = 0;
	if (gph_cgi_load(&mode, h, &n, e) < 0)
		return -1;
	if (mode != GPH_CG_V2 || n < 1)
		return 0;
	if (gph_cgi_path(dir, sizeof dir, e, "%s%s", h[0].mount, strcmp(h[0].own, "/") ? h[0].own : "") < 0)
		return -1;
	gc_leaves_in(dir, 4, out, removed);
	return 0;
}
