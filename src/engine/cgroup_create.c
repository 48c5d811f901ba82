/* Creating a container cgroup: <own>/gophernetes/<id> in every hierarchy, with the v1 cpuset and
 * v2 subtree_control set-up each level needs, and a rollback that leaves nothing on failure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroup_priv.h"

/* Controllers we ask for on v2, when the parent offers them. */
static const char *const v2_wanted[] = { "memory", "pids", "cpu", "io", "cpuset" };

/* What one call created in one hierarchy: a chain of directories from top down to deep. */
struct made {
	char top[PATH_MAX];
	char deep[PATH_MAX];
};

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Remove the chain deep .. top (deepest first). Errors are ignored: this runs on the way out of
 * a failure, whose error is the one to report, and every dir in the chain is ours and empty. */
static void rollback_one(struct made *m)
{
	char path[PATH_MAX];
	if (!m->deep[0])
		return;
	memcpy(path, m->deep, sizeof path);
	for (;;) {
		char *slash;
		rmdir(path);
		if (strcmp(path, m->top) == 0)
			break;
		slash = strrchr(path, '/');
		if (!slash || slash == path)
			break;
		*slash = '\0';
	}
	m->top[0] = m->deep[0] = '\0';
}

/* v1 cpuset: a new cpuset starts with empty cpus and mems, and nobody can join it then; copy
 * the parent's (also repairs a gophernetes parent left empty by an interrupted run). */
static int fill_cpuset(const char *dir, const char *parent, struct gph_err *e)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	for (int i = 0; i < 2; i++) {
		char mine[PATH_MAX], theirs[PATH_MAX], val[4096];
		if (gph_cgi_path(mine, sizeof mine, e, "%s/%s", dir, files[i]) < 0 ||
		    gph_cgi_path(theirs, sizeof theirs, e, "%s/%s", parent, files[i]) < 0 ||
		    gph_cgi_read_line(mine, val, sizeof val, e) < 0)
			return -1;
		if (val[0])
			continue;
		if (gph_cgi_read_line(theirs, val, sizeof val, e) < 0)
			return -1;
		if (!val[0])
			return gph_fail(e, 0, "set cpuset.cpus and cpuset.mems in the parent cgroup first",
					"%s is empty: nothing to copy into %s", theirs, mine);
		if (gph_cgi_write(mine, val, "could not copy the parent's cpuset", e) < 0)
			return -1;
	}
	return 0;
}

/* The no-internal-process rule: a cgroup with processes cannot enable controllers for children. When
 * this process is the only one in dir, it steps aside into dir/gophernetes-runtime.<pid> (a leaf
 * that `gc` removes once the process is gone) instead of failing. */
static int move_self_to_leaf(const char *dir, struct gph_err *e)
{
	char leaf[PATH_MAX], procs[PATH_MAX + 16], pid[32];
	if (gph_cgi_path(leaf, sizeof leaf, e, "%s/" GPH_CG_RUNTIME_LEAF "%d", dir, (int)getpid()) < 0)
		return -1;
	if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
		return gph_fail(e, errno, NULL, "mkdir(\"%s\")", leaf);
	snprintf(procs, sizeof procs, "%s/cgroup.procs", leaf);
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	if (gph_cgi_write(procs, pid, NULL, e) < 0) {
		rmdir(leaf);
		return -1;
	}
	return 0;
}

/* v2: enable in dir's cgroup.subtree_control the wanted controllers that dir offers, one at a
 * time so an error names the controller. */
static int enable_controllers(const char *dir, struct gph_err *e)
{
	char avail_p[PATH_MAX], sub_p[PATH_MAX], avail[1024], sub[1024];
	if (gph_cgi_path(avail_p, sizeof avail_p, e, "%s/cgroup.controllers", dir) < 0 ||
	    gph_cgi_path(sub_p, sizeof sub_p, e, "%s/cgroup.subtree_control", dir) < 0 ||
	    gph_cgi_read_line(avail_p, avail, sizeof avail, e) < 0 ||
	    gph_cgi_read_line(sub_p, sub, sizeof sub, e) < 0)
		return -1;
	/* the files are space-separated; make them comma lists for gph_cgi_has_ctl */
	for (char *p = avail; *p; p++)
		*p = *p == ' ' ? ',' : *p;
	for (char *p = sub; *p; p++)
		*p = *p == ' ' ? ',' : *p;
	for (size_t i = 0; i < sizeof v2_wanted / sizeof v2_wanted[0]; i++) {
		char val[64];
		pid_t pids[1024];
		int procs = 0;
		if (!gph_cgi_has_ctl(avail, v2_wanted[i]) || gph_cgi_has_ctl(sub, v2_wanted[i]))
			continue;
		snprintf(val, sizeof val, "+%s", v2_wanted[i]);
		if (gph_cgi_write(sub_p, val, NULL, e) == 0)
			continue;
		if (e && e->errnum == EBUSY && gph_cgi_procs(dir, pids, 1024, &procs, NULL) == 0 &&
		    procs > 0) {
			int self = 0;
			for (int k = 0; k < procs && k < 1024; k++)
				self |= pids[k] == getpid();
			/* Alone here (as PID 1 of a container, or in a scope of our own): move this
			 * process into a leaf below, and the cgroup can hand out controllers. */
			if (procs == 1 && self && move_self_to_leaf(dir, e) == 0) {
				if (gph_cgi_write(sub_p, val, NULL, e) == 0)
					continue;
				return -1;
			}
			/* We do not move processes that are not ours out of the way. */
			return gph_fail(e, EBUSY,
					"run gophernetes from a delegated cgroup (e.g. `systemd-run --scope -p "
					"Delegate=yes`), with its processes in a leaf below it, and give a cgroup "
					"parent beside that leaf",
					"cgroup v2 no-internal-process rule: %s holds %d process(es)%s, so it "
					"cannot enable %s for child cgroups (write(\"%s\", \"%s\"))",
					dir, procs, self ? " (this one included)" : "", v2_wanted[i], sub_p, val);
		}
		return -1;
	}
	return 0;
}

/* Build the chain from base down to leaf in hierarchy h, recording what was created in m. */
static int walk(const struct gph_cg_hier *h, enum gph_cg_mode mode, const char *base,
		const char *leaf, struct made *m, struct gph_err *e)
{
	char cur[PATH_MAX], next[PATH_MAX];
	const char *rest = leaf + strlen(base);
	int cpuset = mode != GPH_CG_V2 && gph_cgi_has_ctl(h->controller, "cpuset");
	memcpy(cur, base, strlen(base) + 1);
	while (*rest) {
		const char *slash;
		size_t clen;
		while (*rest == '/')
			rest++;
		if (!*rest)
			break;
		slash = strchr(rest, '/');
		clen = slash ? (size_t)(slash - rest) : strlen(rest);
		if (mode == GPH_CG_V2 && enable_controllers(cur, e) < 0)
			return -1;
		if (gph_cgi_path(next, sizeof next, e, "%s/%.*s", cur, (int)clen, rest) < 0)
			return -1;
		rest += clen;
		if (mkdir(next, 0755) == 0) {
			if (!m->top[0])
				memcpy(m->top, next, sizeof next);
			memcpy(m->deep, next, sizeof next);
		} else if (errno != EEXIST) {
			return gph_fail(e, errno, errno == EACCES || errno == EPERM || errno == EROFS
					? "run as root, or from a cgroup delegated to you" : NULL,
					"mkdir(\"%s\")", next);
		} else if (!*rest) {
			return gph_fail(e, EEXIST, "pick another id, or remove the leftover with gc",
					"mkdir(\"%s\"): a container cgroup with this id exists", next);
		}
		if (cpuset && fill_cpuset(next, cur, e) < 0)
			return -1;
		memcpy(cur, next, sizeof cur);
	}
	return 0;
}

/* Where to start walking: the process's own cgroup when the parent is below it (we only change
 * things below it), else the deepest directory of the parent path that exists. */
static int find_base(const struct gph_cg_hier *h, const char *parent, char *base, size_t size,
		     struct gph_err *e)
{
	size_t l, ml = strlen(h->mount);
	if (gph_cgi_path(base, size, e, "%s%s", h->mount, strcmp(h->own, "/") ? h->own : "") < 0)
		return -1;
	l = strlen(base);
	if (strncmp(parent, base, l) == 0 && (parent[l] == '/' || parent[l] == '\0'))
		return 0;
	memcpy(base, parent, strlen(parent) + 1);
	while (strlen(base) > ml && !is_dir(base))
		*strrchr(base, '/') = '\0';
	return 0;
}

int gph_cg_create(struct gph_cgroup *cg, const char *id, const char *parent_override,
		  struct gph_err *e)
{
	struct gph_cg_hier hier[GPH_CG_MAX_HIER];
	struct made *made;
	enum gph_cg_mode mode;
	int n = 0, i;
	memset(cg, 0, sizeof *cg);
	if (gph_cgi_valid_id(id, e) < 0 || gph_cgi_load(&mode, hier, &n, e) < 0)
		return -1;
	made = calloc((size_t)n, sizeof *made);
	if (!made)
		return gph_fail(e, ENOMEM, NULL, "calloc for %d cgroup hierarchies", n);
	for (i = 0; i < n; i++) {
		char parent[PATH_MAX], base[PATH_MAX];
		int r = -1;
		if (gph_cgi_parent(&hier[i], parent_override, parent, sizeof parent, e) < 0 ||
		    gph_cgi_path(cg->dir[i], sizeof cg->dir[i], e, "%s/%s", parent, id) < 0 ||
		    find_base(&hier[i], parent, base, sizeof base, e) < 0)
			break;
		/* A concurrent destroy may remove an empty gophernetes parent between our mkdirs
		 * (ENOENT): start this hierarchy over, a few times. */
		for (int try = 0; try < 3; try++) {
			r = walk(&hier[i], mode, base, cg->dir[i], &made[i], e);
			if (r == 0 || !e || e->errnum != ENOENT)
				break;
			rollback_one(&made[i]);
		}
		if (r < 0) {
			gph_err_wrap(e, "cgroup %s (%s): ", id, hier[i].controller[0] ? hier[i].controller : "unified");
			break;
		}
	}
	if (i < n) {
		for (int j = i; j >= 0; j--)
			rollback_one(&made[j]);
		free(made);
		memset(cg, 0, sizeof *cg);
		return -1;
	}
	free(made);
	cg->mode = mode;
	snprintf(cg->id, sizeof cg->id, "%s", id);
	cg->n = n;
	memcpy(cg->hier, hier, sizeof hier);
	return 0;
}
