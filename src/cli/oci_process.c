/* config.json process and mounts: the command, its user, capabilities, rlimits; mounts to steps and binds. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "oci_config_priv.h"

/* ---- mounts ---- */
static int mount_flags(json_object *opts, const char *where, bool *ro, bool *rec, unsigned long *flags, struct gph_err *e)
{
	size_t n = oc_is(opts, json_type_array) ? J->json_object_array_length(opts) : 0;
	*ro = *rec = false;
	*flags = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *s = J->json_object_array_get_idx(opts, i);
		const char *o = oc_is(s, json_type_string) ? J->json_object_get_string(s) : "";
		if (strcmp(o, "ro") == 0)
			*ro = true;
		else if (strcmp(o, "rbind") == 0)
			*rec = true;
		else if (strcmp(o, "nosuid") == 0)
			*flags |= MS_NOSUID;
		else if (strcmp(o, "nodev") == 0)
			*flags |= MS_NODEV;
		else if (strcmp(o, "noexec") == 0)
			*flags |= MS_NOEXEC;
		else if (strcmp(o, "bind") && strcmp(o, "rw") && strcmp(o, "private") && strcmp(o, "rprivate") &&
			 strcmp(o, "z") && strcmp(o, "Z") && strcmp(o, "suid") && strcmp(o, "dev") && strcmp(o, "exec") &&
			 strcmp(o, "relatime") && strcmp(o, "norelatime") && strcmp(o, "strictatime") && strcmp(o, "noatime"))
			return gph_fail(e, 0, NULL, "config.json %s: mount option \"%s\" is not supported by gophernetes", where, o);
	}
	return 0;
}

int oci_cfg_mounts(json_object *ms, struct oci_config *c, bool *proc, bool *dev, bool *sys, char (*tmpfs)[256],
		   int *n_tmpfs, struct gph_err *e)
{
	size_t n = ms ? J->json_object_array_length(ms) : 0;
	*proc = *dev = *sys = false;
	*n_tmpfs = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *m = J->json_object_array_get_idx(ms, i);
		char where[64];
		snprintf(where, sizeof where, "mounts[%zu]", i);
		static const char *const k[] = {"destination", "type", "source", "options", "uidMappings", "gidMappings", NULL};
		if (oc_check_keys(m, where, k, e) < 0 || oc_must_be_empty(m, "uidMappings", where, NULL, e) < 0 ||
		    oc_must_be_empty(m, "gidMappings", where, NULL, e) < 0)
			return -1;
		const char *dst = gph_js_str(m, "destination"), *type = gph_js_str(m, "type"), *src = gph_js_str(m, "source");
		json_object *opts = oc_get(m, "options");
		if (!dst || dst[0] != '/')
			return gph_fail(e, 0, NULL, "config.json %s.destination: an absolute path is needed", where);
		if (!type)
			type = "";
		bool bind = strcmp(type, "bind") == 0 || oc_has_opt(opts, "bind") || oc_has_opt(opts, "rbind");
		if (bind) {
			bool ro, rec;
			unsigned long fl;
			if (mount_flags(opts, where, &ro, &rec, &fl, e) < 0)
				return -1;
			if (!src || !*src)
				return gph_fail(e, 0, NULL, "config.json %s: a bind mount without source", where);
			if (strcmp(dst, "/dev/shm") == 0) {
				oci_warn("%s: /dev/shm is the container's own tmpfs (`mount dev`), not a bind of %s", where, src);
				continue;
			}
			if (strncmp(dst, "/dev/", 5) == 0 || strncmp(dst, "/proc", 5) == 0 || strncmp(dst, "/sys", 4) == 0)
				return gph_fail(e, 0, NULL, "config.json %s: a bind mount onto %s (under /dev, /proc or /sys) is not supported by gophernetes", where, dst);
			if (c->n_binds >= GPH_MAX_BINDS)
				return gph_fail(e, E2BIG, NULL, "config.json mounts: at most %d bind mounts", GPH_MAX_BINDS);
			struct gph_bind *b = &c->binds[c->n_binds++];
			memset(b, 0, sizeof *b);
			if (strlen(src) >= sizeof b->src || strlen(dst) >= sizeof b->dst)
				return gph_fail(e, ENAMETOOLONG, NULL, "config.json %s", where);
			if (src[0] != '/')
				return gph_fail(e, 0, NULL, "config.json %s.source: an absolute path is needed", where);
			snprintf(b->src, sizeof b->src, "%s", src);
			snprintf(b->dst, sizeof b->dst, "%s", dst);
			b->ro = ro;
			b->rec = rec;
			b->flags = fl;
			continue;
		}
		if (strcmp(dst, "/proc") == 0 && strcmp(type, "proc") == 0)
			*proc = true;
		else if (strcmp(dst, "/dev") == 0 && strcmp(type, "tmpfs") == 0)
			*dev = true;
		else if (strcmp(dst, "/sys") == 0 && strcmp(type, "sysfs") == 0)
			*sys = true;
		else if ((strcmp(dst, "/dev/pts") == 0 && strcmp(type, "devpts") == 0) ||
			 (strcmp(dst, "/dev/shm") == 0 && strcmp(type, "tmpfs") == 0)) {
			/* `mount dev` makes both: a new devpts instance and a tmpfs on /dev/shm */
		} else if (strcmp(dst, "/dev/mqueue") == 0 && strcmp(type, "mqueue") == 0) {
			oci_warn("%s: /dev/mqueue is not mounted (gophernetes has no mqueue mount yet)", where);
		} else if (strcmp(dst, "/sys/fs/cgroup") == 0 && (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0)) {
			oci_warn("%s: /sys/fs/cgroup is not mounted (the container sees an empty, read-only directory)", where);
		} else if (strcmp(type, "tmpfs") == 0) {
			if (*n_tmpfs >= 8 || strlen(dst) >= 256)
				return gph_fail(e, E2BIG, NULL, "config.json %s: at most 8 tmpfs mounts, paths under 256 bytes", where);
			snprintf(tmpfs[(*n_tmpfs)++], 256, "%s", dst);
			if (!oc_empty(opts))
				oci_warn("%s: tmpfs on %s gets gophernetes' options (mode=755, nosuid, nodev), not the config's", where, dst);
		} else {
			return gph_fail(e, 0, NULL, "config.json %s: a %s mount on %s is not supported by gophernetes", where,
					*type ? type : "(typeless)", dst);
		}
	}
	if (*dev && !*proc)
		return gph_fail(e, 0, NULL, "config.json mounts: /dev without /proc is not supported by gophernetes");
	return 0;
}

/* ---- process ---- */
static const struct { const char *name; int res; } rlimit_names[] = {
	{"RLIMIT_AS", RLIMIT_AS}, {"RLIMIT_CORE", RLIMIT_CORE}, {"RLIMIT_CPU", RLIMIT_CPU}, {"RLIMIT_DATA", RLIMIT_DATA},
	{"RLIMIT_FSIZE", RLIMIT_FSIZE}, {"RLIMIT_LOCKS", RLIMIT_LOCKS}, {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
	{"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE}, {"RLIMIT_NOFILE", RLIMIT_NOFILE},
	{"RLIMIT_NPROC", RLIMIT_NPROC}, {"RLIMIT_RSS", RLIMIT_RSS}, {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
	{"RLIMIT_RTTIME", RLIMIT_RTTIME}, {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

static int cap_set(json_object *a, const char *where, uint64_t *set, struct gph_err *e)
{
	*set = 0;
	size_t n = a ? J->json_object_array_length(a) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *s = J->json_object_array_get_idx(a, i);
		const char *name = oc_is(s, json_type_string) ? J->json_object_get_string(s) : "";
		int cap = gph_caps_parse_name(name);
		if (cap < 0)
			return gph_fail(e, 0, NULL, "config.json %s: unknown capability \"%s\"", where, name);
		*set |= GPH_CAP_BIT(cap);
	}
	return 0;
}

static int capabilities(json_object *caps, unsigned uid, struct oci_config *c, struct gph_err *e)
{
	static const char *const k[] = {"bounding", "effective", "permitted", "inheritable", "ambient", NULL};
	if (oc_check_keys(caps, "process.capabilities", k, e) < 0)
		return -1;
	uint64_t s[5];
	for (int i = 0; i < 5; i++) {
		char where[64];
		snprintf(where, sizeof where, "process.capabilities.%s", k[i]);
		json_object *a = oc_get(caps, k[i]);
		if (a && oc_want(a, json_type_array, where, e) < 0)
			return -1;
		if (cap_set(a, where, &s[i], e) < 0)
			return -1;
	}
	/* The engine's `cap` steps keep bounding = permitted = effective, inheritable and ambient empty
	 * (a non-root user keeps only the bounding set). */
	bool user_ok = uid != 0 && s[1] == 0 && s[2] == 0;
	if (!user_ok && (s[1] != s[0] || s[2] != s[0]))
		return gph_fail(e, 0, "give the same list for bounding, effective and permitted",
				"config.json process.capabilities: gophernetes keeps bounding = effective = permitted, the config's sets differ");
	if (s[3] && s[3] != s[0])
		return gph_fail(e, 0, "leave inheritable empty", "config.json process.capabilities.inheritable: not supported by gophernetes");
	if (s[3])
		oci_warn("process.capabilities.inheritable: left empty (gophernetes never passes capabilities on through execve)");
	if (s[4])
		return gph_fail(e, 0, "leave ambient empty", "config.json process.capabilities.ambient: not supported by gophernetes");
	if (s[0] & GPH_CAP_BIT(27 /* CAP_MKNOD */))
		oci_warn("process.capabilities: CAP_MKNOD without a device cgroup lets the container make nodes for host devices");
	char *words[48] = {"cap", "add"};
	char names[41][32];
	int nw = 2;
	if (oc_add_step(c, e, "process.capabilities", 3, "cap", "drop", "ALL") < 0)
		return -1;
	for (int cap = 0; cap <= 40; cap++)
		if (s[0] & GPH_CAP_BIT(cap)) {
			gph_caps_name(cap, names[cap], sizeof names[cap]);
			words[nw++] = names[cap];
		}
	words[nw] = NULL;
	return nw > 2 ? oc_add_words(c, e, "process.capabilities", nw, words) : 0;
}

int oci_cfg_process(json_object *p, struct oci_config *c, char *cwd, size_t cwdlen, bool exec, struct gph_err *e)
{
	static const char *const k[] = {"terminal", "consoleSize", "user", "args", "env", "cwd", "capabilities", "rlimits",
					"noNewPrivileges", "apparmorProfile", "oomScoreAdj", "selinuxLabel", "commandLine",
					"ioPriority", "scheduler", "execCPUAffinity", NULL};
	if (!p)
		return gph_fail(e, 0, NULL, "config.json: no process");
	if (oc_check_keys(p, "process", k, e) < 0 || oc_must_be_empty(p, "apparmorProfile", "process", "AppArmor is not applied by gophernetes", e) < 0 ||
	    oc_must_be_empty(p, "selinuxLabel", "process", "SELinux is not applied by gophernetes", e) < 0 ||
	    oc_must_be_empty(p, "commandLine", "process", NULL, e) < 0 || oc_must_be_empty(p, "ioPriority", "process", NULL, e) < 0 ||
	    oc_must_be_empty(p, "scheduler", "process", NULL, e) < 0 || oc_must_be_empty(p, "execCPUAffinity", "process", NULL, e) < 0)
		return -1;
	json_object *t = oc_get(p, "terminal");
	c->terminal = oc_is(t, json_type_boolean) && J->json_object_get_boolean(t);
	json_object *cs = oc_get(p, "consoleSize");
	if (cs) {
		static const char *const ck[] = {"height", "width", NULL};
		if (oc_check_keys(cs, "process.consoleSize", ck, e) < 0)
			return -1;
		c->console_h = oc_is(oc_get(cs, "height"), json_type_int) ? (unsigned)J->json_object_get_int64(oc_get(cs, "height")) : 0;
		c->console_w = oc_is(oc_get(cs, "width"), json_type_int) ? (unsigned)J->json_object_get_int64(oc_get(cs, "width")) : 0;
	}
	json_object *args = oc_get(p, "args");
	if (!args || oc_want(args, json_type_array, "process.args", e) < 0 || J->json_object_array_length(args) == 0)
		return gph_fail(e, 0, NULL, "config.json process.args: the command is missing");
	if (!(c->args = oc_str_array(args, "process.args", e)))
		return -1;
	json_object *env = oc_get(p, "env");
	if (env && oc_want(env, json_type_array, "process.env", e) < 0)
		return -1;
	if (!(c->env = oc_str_array(env, "process.env", e)))
		return -1;
	const char *d = gph_js_str(p, "cwd");
	if (!d || d[0] != '/')
		return gph_fail(e, 0, NULL, "config.json process.cwd: an absolute path is needed");
	snprintf(cwd, cwdlen, "%s", d);
	json_object *u = oc_get(p, "user");
	unsigned uid = 0, gid = 0;
	if (u) {
		static const char *const uk[] = {"uid", "gid", "umask", "additionalGids", "username", NULL};
		if (oc_check_keys(u, "process.user", uk, e) < 0 || oc_must_be_empty(u, "username", "process.user", NULL, e) < 0)
			return -1;
		uid = oc_is(oc_get(u, "uid"), json_type_int) ? (unsigned)J->json_object_get_int64(oc_get(u, "uid")) : 0;
		gid = oc_is(oc_get(u, "gid"), json_type_int) ? (unsigned)J->json_object_get_int64(oc_get(u, "gid")) : 0;
		if (oc_is(oc_get(u, "umask"), json_type_int)) {
			c->has_umask = true;
			c->umask = (mode_t)J->json_object_get_int64(oc_get(u, "umask")) & 0777;
		}
		json_object *g = oc_get(u, "additionalGids");
		size_t ng = g ? J->json_object_array_length(g) : 0;
		if (ng > 32)
			return gph_fail(e, E2BIG, NULL, "config.json process.user.additionalGids: at most 32");
		for (size_t i = 0; i < ng; i++) {
			json_object *x = J->json_object_array_get_idx(g, i);
			if (!oc_is(x, json_type_int))
				return gph_fail(e, 0, NULL, "config.json process.user.additionalGids[%zu]: a number expected", i);
			c->groups[c->ngroups++] = (unsigned)J->json_object_get_int64(x);
		}
	}
	json_object *rl = oc_get(p, "rlimits");
	size_t nr = rl ? J->json_object_array_length(rl) : 0;
	for (size_t i = 0; i < nr; i++) {
		json_object *r = J->json_object_array_get_idx(rl, i);
		static const char *const rk[] = {"type", "soft", "hard", NULL};
		if (oc_check_keys(r, "process.rlimits[]", rk, e) < 0)
			return -1;
		const char *type = gph_js_str(r, "type");
		int res = -1;
		for (size_t k2 = 0; type && k2 < sizeof rlimit_names / sizeof rlimit_names[0]; k2++)
			if (strcmp(rlimit_names[k2].name, type) == 0)
				res = rlimit_names[k2].res;
		if (res < 0 || c->n_rlimits >= OCI_MAX_RLIMITS)
			return gph_fail(e, 0, NULL, "config.json process.rlimits[%zu]: unknown type \"%s\"", i, type ? type : "");
		c->rlimits[c->n_rlimits].resource = res;
		c->rlimits[c->n_rlimits].lim.rlim_cur = (rlim_t)J->json_object_get_int64(oc_get(r, "soft"));
		c->rlimits[c->n_rlimits].lim.rlim_max = (rlim_t)J->json_object_get_int64(oc_get(r, "hard"));
		snprintf(c->rlimits[c->n_rlimits].name, sizeof c->rlimits[0].name, "%s", type);
		c->n_rlimits++;
	}
	json_object *oom = oc_get(p, "oomScoreAdj");
	if (oom) {
		if (oc_want(oom, json_type_int, "process.oomScoreAdj", e) < 0)
			return -1;
		long long v = (long long)J->json_object_get_int64(oom);
		if (v < -1000 || v > 1000)
			return gph_fail(e, ERANGE, NULL, "config.json process.oomScoreAdj: %lld is outside -1000..1000", v);
		c->oom_score_adj = (int)v;
	}
	/* The privilege steps, in the order `run` applies them. */
	if (!exec || oc_get(p, "capabilities")) {
		if (capabilities(oc_get(p, "capabilities"), uid, c, e) < 0)
			return -1;
	}
	json_object *nnp = oc_get(p, "noNewPrivileges");
	if (oc_is(nnp, json_type_boolean) && J->json_object_get_boolean(nnp) && oc_add_step(c, e, "process.noNewPrivileges", 2, "nnp", "on") < 0)
		return -1;
	char ug[32];
	snprintf(ug, sizeof ug, "%u:%u", uid, gid);
	return oc_add_step(c, e, "process.user", 2, "user", ug);
}
