/* Which cgroup hierarchies this process uses, from the text of /proc/self/cgroup and
 * /proc/self/mountinfo (passed in, so tests can feed fixture files). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup_priv.h"

/* The v1 controllers a container gets a directory for, in the order they are listed. */
static const char *const wanted[] = { "memory", "pids", "cpu", "cpuacct", "cpuset", "blkio", "freezer" };

/* One line of text as a malloc'd string; *p advances past it. NULL at the end or on ENOMEM
 * (*oom tells which). */
static char *next_line(const char **p, int *oom)
{
	const char *s = *p, *end;
	char *line;
	*oom = 0;
	if (!s || !*s)
		return NULL;
	end = strchr(s, '\n');
	if (!end)
		end = s + strlen(s);
	*p = *end ? end + 1 : end;
	line = strndup(s, (size_t)(end - s));
	if (!line)
		*oom = 1;
	return line;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo (octal); undo it in place. */
static void unescape(char *s)
{
	char *w = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

int gph_cgi_has_ctl(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* The cgroup path of controller ctl in /proc/self/cgroup text ("" = the v2 "0::" line). */
static int own_path(const char *text, const char *ctl, char *out, size_t size, struct gph_err *e)
{
	const char *p = text;
	char *line;
	int oom;
	while ((line = next_line(&p, &oom))) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2) {
			*c2 = '\0';
			int match = ctl[0] ? gph_cgi_has_ctl(c1 + 1, ctl)
					   : (c1 == line + 1 && line[0] == '0' && c1[1] == '\0');
			if (match) {
				int r = gph_cgi_path(out, size, e, "%s", c2 + 1);
				free(line);
				return r < 0 ? -1 : 1;
			}
		}
		free(line);
	}
	if (oom)
		return gph_fail(e, ENOMEM, NULL, "parse /proc/self/cgroup");
	return 0;
}

/* Find the mount of the hierarchy holding ctl (fstype cgroup with ctl in the super options; ctl
 * "" = fstype cgroup2) that contains the cgroup own. Fills h->mount and h->own, which is made
 * relative to the mount's root (a container without a cgroup namespace sees its own cgroup as
 * the mount's root). Returns 1 when found, 0 when not. */
static int find_mount(const char *text, const char *ctl, const char *own, struct gph_cg_hier *h,
		      struct gph_err *e)
{
	const char *p = text;
	char *line;
	int oom, found = 0, best_v2 = 0;
	while (!found && (line = next_line(&p, &oom))) {
		char *tok[64], *save = NULL, *t;
		int n = 0, dash = -1;
		for (t = strtok_r(line, " ", &save); t && n < 64; t = strtok_r(NULL, " ", &save)) {
			if (dash < 0 && n >= 6 && strcmp(t, "-") == 0)
				dash = n;
			tok[n++] = t;
		}
		if (dash < 0 || dash + 3 >= n) {
			free(line);
			continue;
		}
		const char *fstype = tok[dash + 1], *super = tok[dash + 3];
		int match = ctl[0] ? strcmp(fstype, "cgroup") == 0 && gph_cgi_has_ctl(super, ctl)
				   : strcmp(fstype, "cgroup2") == 0;
		if (match) {
			char *root = tok[3], *mnt = tok[4];
			size_t rl;
			unescape(root);
			unescape(mnt);
			rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
			/* own must be root itself or below it */
			if (strncmp(own, root, rl) == 0 && (own[rl] == '/' || own[rl] == '\0')) {
				/* on v2 prefer the standard place over other (bind) mounts */
				int standard = strcmp(mnt, "/sys/fs/cgroup") == 0;
				if (!h->mount[0] || (!ctl[0] && standard && !best_v2)) {
					if (gph_cgi_path(h->mount, sizeof h->mount, e, "%s", mnt) < 0 ||
					    gph_cgi_path(h->own, sizeof h->own, e, "%s",
							 own[rl] ? own + rl : "/") < 0) {
						free(line);
						return -1;
					}
					best_v2 = standard;
				}
				found = ctl[0] || best_v2;
			}
		}
		free(line);
	}
	if (!found && oom)
		return gph_fail(e, ENOMEM, NULL, "parse /proc/self/mountinfo");
	return h->mount[0] ? 1 : 0;
}

int gph_cg_hierarchies(enum gph_cg_mode mode, const char *proc_cgroup_text,
		       const char *mountinfo_text, struct gph_cg_hier *out, int max, struct gph_err *e)
{
	char own[PATH_MAX];
	int n = 0, r;
	if (!proc_cgroup_text || !mountinfo_text || !out || max < 1)
		return gph_fail(e, EINVAL, NULL, "gph_cg_hierarchies: missing text or output");
	if (mode == GPH_CG_V2) {
		struct gph_cg_hier h = { .controller = "" };
		r = own_path(proc_cgroup_text, "", own, sizeof own, e);
		if (r < 0)
			return -1;
		if (r == 0)
			return gph_fail(e, 0, "is this a cgroup v2 host? check `cat /proc/self/cgroup`",
					"/proc/self/cgroup has no \"0::\" line for the unified hierarchy");
		r = find_mount(mountinfo_text, "", own, &h, e);
		if (r < 0)
			return -1;
		if (r == 0)
			return gph_fail(e, 0, "mount it: mount -t cgroup2 none /sys/fs/cgroup",
					"no cgroup2 mount containing cgroup \"%s\" in /proc/self/mountinfo", own);
		out[0] = h;
		return 1;
	}
	for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
		struct gph_cg_hier h = { .controller = "" };
		int dup = -1;
		r = own_path(proc_cgroup_text, wanted[i], own, sizeof own, e);
		if (r < 0)
			return -1;
		if (r == 0)
			continue; /* kernel without this controller, or not mounted: skip it */
		r = find_mount(mountinfo_text, wanted[i], own, &h, e);
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		/* co-mounted controllers ("cpu,cpuacct") share one hierarchy: one entry for both */
		for (int j = 0; j < n; j++)
			if (strcmp(out[j].mount, h.mount) == 0)
				dup = j;
		if (dup >= 0) {
			size_t l = strlen(out[dup].controller);
			if (l + 1 + strlen(wanted[i]) + 1 > sizeof out[dup].controller)
				return gph_fail(e, ENAMETOOLONG, NULL, "controller list of %s", h.mount);
			snprintf(out[dup].controller + l, sizeof out[dup].controller - l, ",%s", wanted[i]);
			continue;
		}
		if (n == max)
			return gph_fail(e, ENOSPC, NULL, "more than %d cgroup hierarchies", max);
		snprintf(h.controller, sizeof h.controller, "%s", wanted[i]);
		out[n++] = h;
	}
	if (n == 0)
		return gph_fail(e, 0, "check `grep cgroup /proc/self/mountinfo`; the memory controller should be mounted",
				"no cgroup v1 controller hierarchy (memory, pids, cpu, ...) is mounted");
	return n;
}
