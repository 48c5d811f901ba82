/* The failure diagnosis, pure part: each function checks the documented preconditions of one
 * call against state given as text and names the first one broken (include/gph/diagnose.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gph/diagnose.h"

static int say(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return 1;
}

/* ---- mountinfo ------------------------------------------------------------------------------- */
struct mnt {
	int id, parent;
	char root[PATH_MAX], point[PATH_MAX], fstype[64];
	char optional[256]; /* "shared:1 master:2", "" for private */
};

static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* The next line of text at *pos into m; false at the end. Malformed lines are skipped. */
static bool next_mount(const char **pos, struct mnt *m)
{
	while (**pos) {
		const char *nl = strchr(*pos, '\n');
		size_t n = nl ? (size_t)(nl - *pos) : strlen(*pos);
		char line[PATH_MAX * 2 + 512];
		snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), *pos);
		*pos += n + (nl ? 1 : 0);
		char *save = NULL, *tok;
		int field = 0;
		bool dash = false;
		memset(m, 0, sizeof *m);
		for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
			if (field == 0)
				m->id = atoi(tok);
			else if (field == 1)
				m->parent = atoi(tok);
			else if (field == 3)
				snprintf(m->root, sizeof m->root, "%s", tok);
			else if (field == 4)
				snprintf(m->point, sizeof m->point, "%s", tok);
			else if (field >= 6 && !dash && strcmp(tok, "-") == 0)
				dash = true;
			else if (field >= 6 && !dash)
				snprintf(m->optional + strlen(m->optional), sizeof m->optional - strlen(m->optional), "%s%s",
					 m->optional[0] ? " " : "", tok);
			else if (dash) {
				snprintf(m->fstype, sizeof m->fstype, "%s", tok);
				break;
			}
		}
		if (!dash || !m->point[0])
			continue;
		unescape(m->root);
		unescape(m->point);
		return true;
	}
	return false;
}

/* The topmost mount at point (the last listed), or false. */
static bool find_point(const char *mountinfo, const char *point, struct mnt *out)
{
	const char *p = mountinfo;
	struct mnt m;
	bool found = false;
	while (next_mount(&p, &m))
		if (strcmp(m.point, point) == 0) {
			*out = m;
			found = true;
		}
	return found;
}

static bool find_id(const char *mountinfo, int id, struct mnt *out)
{
	const char *p = mountinfo;
	struct mnt m;
	while (next_mount(&p, &m))
		if (m.id == id) {
			*out = m;
			return true;
		}
	return false;
}

static const char *shared_tag(const struct mnt *m)
{
	const char *s = strstr(m->optional, "shared:");
	return s;
}

int gph_diag_pivot_root(const char *mountinfo, const char *new_root, char *out, size_t len)
{
	struct mnt root, nr, parent;
	if (!find_point(mountinfo, "/", &root))
		return say(out, len,
			   "the current root is not a mount point: this process is inside a chroot(2), so no mount "
			   "of /proc/self/mountinfo sits at \"/\" (EINVAL; see pivot_root(2))");
	const char *sh = shared_tag(&root);
	if (sh)
		return say(out, len, "the current root \"/\" has shared propagation (%.*s in mountinfo), so the "
				     "change would propagate (EINVAL; see pivot_root(2), mount_namespaces(7))",
			   (int)strcspn(sh, " "), sh);
	if (!find_point(mountinfo, new_root, &nr))
		return say(out, len, "the new root %s is not a mount point (EINVAL; see pivot_root(2)): bind-mount it "
				     "onto itself first", new_root);
	if (strcmp(new_root, "/") == 0 || nr.id == root.id)
		return say(out, len, "the new root %s is on the same mount as the current root \"/\" (EBUSY; see "
				     "pivot_root(2))", new_root);
	if ((sh = shared_tag(&nr)) != NULL)
		return say(out, len, "the new root's mount (%s) has shared propagation (%.*s) (EINVAL; see "
				     "pivot_root(2), mount_namespaces(7))", new_root, (int)strcspn(sh, " "), sh);
	if (find_id(mountinfo, nr.parent, &parent) && (sh = shared_tag(&parent)) != NULL)
		return say(out, len, "the parent mount of the new root (%s) has shared propagation (%.*s) (EINVAL; "
				     "see pivot_root(2), mount_namespaces(7))", parent.point, (int)strcspn(sh, " "), sh);
	return 0;
}

/* Is a full instance of fstype (its root "/") visible, for the user-namespace rule of mount(2)? */
static bool full_instance(const char *mountinfo, const char *fstype)
{
	const char *p = mountinfo;
	struct mnt m;
	while (next_mount(&p, &m))
		if (strcmp(m.fstype, fstype) == 0 && strcmp(m.root, "/") == 0)
			return true;
	return false;
}

int gph_diag_mount(const char *fstype, const char *target, int err, int target_state, const char *mountinfo,
		   bool userns, bool own_netns, char *out, size_t len)
{
	if (target_state == ENOENT)
		return say(out, len, "the mount point %s does not exist in the root filesystem: a mount needs an "
				     "existing directory to cover (ENOENT; see mount(2))", target);
	if (target_state == ENOTDIR)
		return say(out, len, "the mount point %s is not a directory (ENOTDIR; see mount(2))", target);
	if (err == EPERM && userns && strcmp(fstype, "sysfs") == 0 && !own_netns)
		return say(out, len, "sysfs shows the network namespace of its mounter, and this one belongs to the "
				     "host's user namespace, not ours: apply `ns net` with or after `ns user` (EPERM; "
				     "see user_namespaces(7), sysfs(5))");
	if (err == EPERM && userns && (strcmp(fstype, "proc") == 0 || strcmp(fstype, "sysfs") == 0) &&
	    !full_instance(mountinfo, fstype))
		return say(out, len, "in a user namespace a new %s may be mounted only while a full %s (root \"/\", "
				     "not covered) is visible in the mount namespace, and /proc/self/mountinfo shows none "
				     "(EPERM; see user_namespaces(7), mount(2))", fstype, fstype);
	if (err == EPERM && !userns)
		return say(out, len, "mount(2) needs CAP_SYS_ADMIN in the user namespace that owns the mount "
				     "namespace (EPERM; see mount(2), capabilities(7))");
	if (err == ENODEV)
		return say(out, len, "the file system type \"%s\" is not in /proc/filesystems (ENODEV; see mount(2), "
				     "filesystems(5))", fstype);
	return 0;
}

int gph_diag_hostname(size_t name_len, int err, bool own_utsns, bool cap_sys_admin, char *out, size_t len)
{
	if (name_len > 64)
		return say(out, len, "the name is %zu bytes, more than HOST_NAME_MAX (64) (EINVAL; see sethostname(2))",
			   name_len);
	if (err == EPERM && !cap_sys_admin)
		return say(out, len, "the caller lacks CAP_SYS_ADMIN in the user namespace that owns its UTS namespace "
				     "(EPERM; see sethostname(2), uts_namespaces(7))");
	if (!own_utsns)
		return say(out, len, "the process is in the host's UTS namespace: this would rename the host (see "
				     "uts_namespaces(7))");
	return 0;
}

struct range {
	unsigned long long in, out, n;
};

static int parse_map(const char *text, struct range *r, int max)
{
	int k = 0;
	const char *p = text;
	while (*p && k < max) {
		char *end;
		unsigned long long a = strtoull(p, &end, 10), b, c;
		if (end == p)
			break;
		p = end;
		b = strtoull(p, &end, 10);
		p = end;
		c = strtoull(p, &end, 10);
		p = end;
		r[k++] = (struct range){a, b, c};
		p += strspn(p, " \t\n;,");
	}
	return k;
}

int gph_diag_idmap(const char *file, const char *text, const char *current, const char *setgroups, bool privileged,
		   unsigned own_id, char *out, size_t len)
{
	bool gid = strcmp(file, "gid_map") == 0;
	struct range r[340];
	if (current && current[strspn(current, " \t\n")])
		return say(out, len, "%s was written already (it holds \"%.*s\"): each map can be written once "
				     "(EPERM; see user_namespaces(7))", file, (int)strcspn(current + strspn(current, " "), "\n"),
			   current + strspn(current, " "));
	int n = parse_map(text, r, 340);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			if (r[i].in < r[j].in + r[j].n && r[j].in < r[i].in + r[i].n)
				return say(out, len, "the ranges of %s overlap inside (container ids %llu+%llu and %llu+%llu) "
						     "(EINVAL; see user_namespaces(7))", file, r[i].in, r[i].n, r[j].in, r[j].n);
			if (r[i].out < r[j].out + r[j].n && r[j].out < r[i].out + r[i].n)
				return say(out, len, "the ranges of %s overlap outside (host ids %llu+%llu and %llu+%llu) "
						     "(EINVAL; see user_namespaces(7))", file, r[i].out, r[i].n, r[j].out, r[j].n);
		}
	if (!privileged) {
		if (n != 1 || r[0].n != 1 || r[0].out != own_id)
			return say(out, len, "without CAP_SET%s over the parent user namespace a process may map only "
					     "its own %s (%u), as one line of count 1 (EPERM; see user_namespaces(7), "
					     "newuidmap(1))", gid ? "GID" : "UID", gid ? "gid" : "uid", own_id);
		if (gid && setgroups && strncmp(setgroups, "deny", 4) != 0)
			return say(out, len, "an unprivileged writer must write \"deny\" to /proc/PID/setgroups before "
					     "gid_map, and it says \"%.*s\" (EPERM; see user_namespaces(7))",
				   (int)strcspn(setgroups, "\n"), setgroups);
	}
	return 0;
}

static const struct {
	int flag;
	const char *kind;
} ns_kinds[] = {
	{CLONE_NEWUSER, "user"}, {CLONE_NEWPID, "pid"}, {CLONE_NEWUTS, "uts"}, {CLONE_NEWNS, "mnt"},
	{CLONE_NEWIPC, "ipc"},   {CLONE_NEWNET, "net"}, {CLONE_NEWCGROUP, "cgroup"},
};

int gph_diag_unshare(int flags, int err, bool cap_sys_admin, bool chrooted, long (*max_of)(const char *kind), char *out,
		     size_t len)
{
	if (err == EPERM && (flags & CLONE_NEWUSER) && chrooted)
		return say(out, len, "this process runs in a chroot (its root is not the root of its mount namespace), "
				     "and the kernel refuses a new user namespace there whatever the privileges (EPERM; "
				     "see unshare(2)): run gophernetes outside the chroot");
	if (err == EPERM && (flags & ~CLONE_NEWUSER) && !cap_sys_admin)
		return say(out, len, "the caller lacks CAP_SYS_ADMIN in its user namespace, which every namespace kind "
				     "but user needs (EPERM; see unshare(2), capabilities(7))");
	if (err == ENOSPC || err == EUSERS || err == EPERM) {
		for (size_t i = 0; i < sizeof ns_kinds / sizeof ns_kinds[0]; i++) {
			if (!(flags & ns_kinds[i].flag))
				continue;
			long m = max_of ? max_of(ns_kinds[i].kind) : -1;
			if (m == 0)
				return say(out, len, "/proc/sys/user/max_%s_namespaces is 0: namespaces of that kind are "
						     "disabled on this machine (ENOSPC; see unshare(2), namespaces(7))",
					   ns_kinds[i].kind);
		}
	}
	if (err == ENOSPC || err == EUSERS)
		return say(out, len, "a limit in /proc/sys/user/max_*_namespaces, or the nesting limit of 32 user "
				     "namespaces, is reached (ENOSPC; see unshare(2), namespaces(7))");
	return 0;
}

int gph_diag_cgroup_write(const char *path, const char *value, int err, bool v2, const char *parent_subtree,
			  const char *own_subtree, const char *own_procs, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char ctrl[32];
	snprintf(ctrl, sizeof ctrl, "%.*s", (int)strcspn(base, "."), base);
	bool iface = strncmp(base, "cgroup.", 7) == 0;
	if (v2 && err == ENOENT && !iface && parent_subtree) {
		/* a controller's files exist only when the parent enables it for its children */
		char *s = strdup(parent_subtree), *save = NULL;
		bool on = false;
		for (char *t = s ? strtok_r(s, " \n", &save) : NULL; t; t = strtok_r(NULL, " \n", &save))
			on = on || strcmp(t, ctrl) == 0;
		free(s);
		if (!on)
			return say(out, len, "the %s controller is not enabled in the parent's cgroup.subtree_control "
					     "(\"%.*s\"), so %s does not exist (see cgroups(7), \"Enabling and disabling "
					     "controllers\")", ctrl, (int)strcspn(parent_subtree, "\n"), parent_subtree, base);
	}
	if (v2 && err == EBUSY && strcmp(base, "cgroup.subtree_control") == 0 && own_procs &&
	    own_procs[strspn(own_procs, " \n")])
		return say(out, len, "the no-internal-process rule: this cgroup has processes of its own, so it cannot "
				     "enable controllers for children (EBUSY; see cgroups(7))");
	if (v2 && err == EBUSY && strcmp(base, "cgroup.procs") == 0 && own_subtree &&
	    own_subtree[strspn(own_subtree, " \n")])
		return say(out, len, "the no-internal-process rule: this cgroup enables controllers for its children "
				     "(\"%.*s\"), so it cannot hold processes itself (EBUSY; see cgroups(7))",
			   (int)strcspn(own_subtree, "\n"), own_subtree);
	if ((err == EINVAL || err == ERANGE) && !iface)
		return say(out, len, "the value \"%s\" is out of the range %s accepts (%s; see cgroups(7) and the "
				     "kernel's Documentation/admin-guide/cgroup-v%d)", value, base,
			   err == EINVAL ? "EINVAL" : "ERANGE", v2 ? 2 : 1);
	return 0;
}

int gph_diag_link(const char *name, int err, bool name_taken, bool cap_net_admin, char *out, size_t len)
{
	if (err == EEXIST && name_taken)
		return say(out, len, "a link named %s already exists in this network namespace (/sys/class/net/%s) "
				     "(EEXIST; see rtnetlink(7), ip-link(8))", name, name);
	if (err == EPERM && !cap_net_admin)
		return say(out, len, "creating links needs CAP_NET_ADMIN in the network namespace's user namespace "
				     "(EPERM; see rtnetlink(7), capabilities(7))");
	return 0;
}
