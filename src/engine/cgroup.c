/* cgroup mode detection, the process's hierarchies, and where a container's files are. */
#include <errno.h>
#include <stdio.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "cgroup_priv.h"

#define CG_ROOT "/sys/fs/cgroup"

const char *gph_cg_mode_name(enum gph_cg_mode m)
{
	switch (m) {
	case GPH_CG_V1:
		return "v1";
	case GPH_CG_HYBRID:
		return "hybrid";
	case GPH_CG_V2:
		return "v2";
	}
	return "unknown";
}

int gph_cg_mode_from_fstypes(long root_ftype, long unified_ftype, enum gph_cg_mode *mode,
			     struct gph_err *e)
{
	if (root_ftype == (long)CGROUP2_SUPER_MAGIC) {
		*mode = GPH_CG_V2;
		return 0;
	}
	if (root_ftype == (long)TMPFS_MAGIC) {
		*mode = unified_ftype == (long)CGROUP2_SUPER_MAGIC ? GPH_CG_HYBRID : GPH_CG_V1;
		return 0;
	}
	return gph_fail(e, 0, "mount cgroup2 (mount -t cgroup2 none /sys/fs/cgroup) or boot with cgroups enabled",
			"no cgroup filesystem mounted at /sys/fs/cgroup (filesystem type 0x%lx)",
			(unsigned long)root_ftype);
}

int gph_cg_detect(const char *root, enum gph_cg_mode *mode, struct gph_err *e)
{
	/* The mode does not change while we run; statfs once for the default root. */
	static int cached;
	static enum gph_cg_mode cached_mode;
	char unified[PATH_MAX];
	struct statfs st;
	long root_type, unified_type = 0;
	int is_default = !root || strcmp(root, CG_ROOT) == 0;
	if (!root)
		root = CG_ROOT;
	if (is_default && cached) {
		*mode = cached_mode;
		return 0;
	}
	if (statfs(root, &st) < 0)
		return gph_fail(e, errno, "is /sys mounted? cgroups need /sys/fs/cgroup",
				"statfs(\"%s\")", root);
	root_type = (long)st.f_type;
	if (gph_cgi_path(unified, sizeof unified, e, "%s/unified", root) < 0)
		return -1;
	if (statfs(unified, &st) == 0)
		unified_type = (long)st.f_type;
	else if (errno != ENOENT)
		return gph_fail(e, errno, NULL, "statfs(\"%s\")", unified);
	if (gph_cg_mode_from_fstypes(root_type, unified_type, mode, e) < 0) {
		if (!is_default)
			gph_err_wrap(e, "%s: ", root);
		return -1;
	}
	if (is_default) {
		cached_mode = *mode;
		cached = 1;
	}
	return 0;
}

int gph_cgi_load(enum gph_cg_mode *mode, struct gph_cg_hier *h, int *n, struct gph_err *e)
{
	char *cg_text = NULL, *mi_text = NULL;
	int r = -1;
	if (gph_cg_detect(CG_ROOT, mode, e) < 0)
		return -1;
	if (gph_cgi_slurp("/proc/self/cgroup", &cg_text, e) == 0 &&
	    gph_cgi_slurp("/proc/self/mountinfo", &mi_text, e) == 0) {
		r = gph_cg_hierarchies(*mode, cg_text, mi_text, h, GPH_CG_MAX_HIER, e);
		if (r >= 0) {
			*n = r;
			r = 0;
			/* After a move into our runtime leaf (cgroup_create.c), the cgroup we run in
			 * for the purpose of placing containers is still the leaf's parent. */
			char leaf[64];
			snprintf(leaf, sizeof leaf, "/" GPH_CG_RUNTIME_LEAF "%d", (int)getpid());
			for (int i = 0; i < *n; i++) {
				size_t lo = strlen(h[i].own), ll = strlen(leaf);
				if (lo >= ll && strcmp(h[i].own + lo - ll, leaf) == 0) {
					h[i].own[lo - ll] = '\0';
					if (!h[i].own[0])
						snprintf(h[i].own, sizeof h[i].own, "/");
				}
			}
		}
	}
	free(cg_text);
	free(mi_text);
	return r;
}

int gph_cgi_valid_id(const char *id, struct gph_err *e)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n >= sizeof(((struct gph_cgroup *)0)->id) || strcmp(id, ".") == 0 ||
	    strcmp(id, "..") == 0)
		return gph_fail(e, EINVAL, "use 1 to 63 characters from A-Z a-z 0-9 _ . -",
				"bad container id \"%s\" for a cgroup", id ? id : "(null)");
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return gph_fail(e, EINVAL, "use 1 to 63 characters from A-Z a-z 0-9 _ . -",
					"bad character '%c' in container id \"%s\"", c, id);
	}
	return 0;
}

int gph_cgi_parent(const struct gph_cg_hier *h, const char *override, char *out, size_t size,
		   struct gph_err *e)
{
	const char *own = strcmp(h->own, "/") == 0 ? "" : h->own;
	size_t l;
	int r;
	if (!override)
		r = gph_cgi_path(out, size, e, "%s%s/gophernetes", h->mount, own);
	else if (strstr(override, "..") || !override[0] || strcmp(override, "/") == 0)
		return gph_fail(e, EINVAL, "give a path like /gophernetes-test or gophernetes-test",
				"bad cgroup parent \"%s\"", override);
	else if (override[0] == '/')
		r = gph_cgi_path(out, size, e, "%s%s", h->mount, override);
	else
		r = gph_cgi_path(out, size, e, "%s%s/%s", h->mount, own, override);
	if (r < 0)
		return -1;
	l = strlen(out);
	while (l > 1 && out[l - 1] == '/')
		out[--l] = '\0';
	return 0;
}

const char *gph_cg_dir_for(const struct gph_cgroup *cg, const char *controller)
{
	int any = !controller || !controller[0] || strcmp(controller, "cgroup") == 0;
	if (!cg || cg->n <= 0)
		return NULL;
	if (cg->mode == GPH_CG_V2)
		return cg->dir[0];
	for (int i = 0; i < cg->n; i++)
		if (gph_cgi_has_ctl(cg->hier[i].controller, any ? "memory" : controller))
			return cg->dir[i];
	return any ? cg->dir[0] : NULL;
}

int gph_cg_read_file(const struct gph_cgroup *cg, const char *controller, const char *file,
		     char *buf, size_t len, struct gph_err *e)
{
	const char *dir = gph_cg_dir_for(cg, controller);
	char path[PATH_MAX];
	if (!dir)
		return gph_fail(e, ENOENT, "this host has no such cgroup controller mounted",
				"container cgroup \"%s\" has no %s hierarchy", cg ? cg->id : "?",
				controller ? controller : "cgroup");
	if (gph_cgi_path(path, sizeof path, e, "%s/%s", dir, file) < 0)
		return -1;
	return gph_cgi_read_line(path, buf, len, e);
}

int gph_cg_delegated(char *why, size_t len)
{
	struct gph_cg_hier h[GPH_CG_MAX_HIER];
	enum gph_cg_mode mode;
	int n = 0;
	struct gph_err e = {0};
	if (gph_cgi_load(&mode, h, &n, &e) < 0) {
		snprintf(why, len, "%s", e.msg);
		return 0;
	}
	if (mode != GPH_CG_V2 || n < 1) {
		snprintf(why, len, "this host uses cgroup v1 (or hybrid), where only root may create cgroups");
		return 0;
	}
	/* Delegated (systemd's Delegate=yes, or a chown by root): the directory and the files that
	 * create children, move processes and hand out controllers belong to us. */
	static const char *const files[] = {"", "/cgroup.procs", "/cgroup.subtree_control"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[PATH_MAX * 2];
		snprintf(path, sizeof path, "%s%s%s", h[0].mount, strcmp(h[0].own, "/") ? h[0].own : "", files[i]);
		if (access(path, W_OK) < 0) {
			snprintf(why, len, "this process's cgroup %s is not delegated to this user (%s: %s); e.g. "
				 "`systemd-run --user --scope -p Delegate=yes gophernetes ...`", h[0].own, path, strerror(errno));
			return 0;
		}
	}
	return 1;
}
