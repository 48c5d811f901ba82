/* config.json -> the engine's steps (the same words `run` and the shell use) plus what belongs to
 * the process. Every member is either translated, or refused with its name: nothing is ignored
 * silently. Where gophernetes applies its own policy instead of the config's (seccomp, masked paths,
 * devices), a warning says so (stderr, or --log). */
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
#include "../image/json_lib.h"
#include "gph/harden.h"
#include "oci.h"

const char *const oci_hook_kinds[7] = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL};

#define J (gph_json())

static int add_step(struct oci_config *c, struct gph_err *e, const char *field, int argc, ...)
{
	char *argv[40];
	va_list ap;
	va_start(ap, argc);
	for (int i = 0; i < argc && i < 39; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	if (c->n_steps >= OCI_MAX_STEPS)
		return gph_fail(e, E2BIG, NULL, "config.json: too many steps");
	if (gph_step_parse(argc, argv, &c->steps[c->n_steps], e) < 0) {
		gph_err_wrap(e, "config.json %s: ", field);
		return -1;
	}
	c->n_steps++;
	return 0;
}

static int add_words(struct oci_config *c, struct gph_err *e, const char *field, int argc, char **argv)
{
	if (c->n_steps >= OCI_MAX_STEPS)
		return gph_fail(e, E2BIG, NULL, "config.json: too many steps");
	if (gph_step_parse(argc, argv, &c->steps[c->n_steps], e) < 0) {
		gph_err_wrap(e, "config.json %s: ", field);
		return -1;
	}
	c->n_steps++;
	return 0;
}

/* Every member of o must be in known (NULL-terminated); where names the object. */
static int check_keys(json_object *o, const char *where, const char *const *known, struct gph_err *e)
{
	if (!o)
		return 0;
	if (J->json_object_get_type(o) != json_type_object)
		return gph_fail(e, 0, NULL, "config.json %s: not an object", where);
	struct json_object_iterator it = J->json_object_iter_begin(o), end = J->json_object_iter_end(o);
	for (; !J->json_object_iter_equal(&it, &end); J->json_object_iter_next(&it)) {
		const char *k = J->json_object_iter_peek_name(&it);
		bool ok = false;
		for (const char *const *p = known; *p; p++)
			if (strcmp(*p, k) == 0)
				ok = true;
		if (!ok)
			return gph_fail(e, 0, "gophernetes `features` lists what it supports; remove the member or use runc",
					"config.json %s.%s: not supported by gophernetes", where, k);
	}
	return 0;
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;
	if (!o || !J->json_object_object_get_ex(o, k, &v))
		return NULL;
	if (J->json_object_get_type(v) == json_type_null)
		return NULL;
	return v;
}

static bool is(json_object *o, json_type t)
{
	return o && J->json_object_get_type(o) == t;
}

static int want(json_object *o, json_type t, const char *where, struct gph_err *e)
{
	static const char *const names[] = {"null", "boolean", "number", "number", "object", "array", "string"};
	if (!is(o, t) && !(t == json_type_int && is(o, json_type_double)))
		return gph_fail(e, 0, NULL, "config.json %s: %s expected", where, names[t]);
	return 0;
}

static bool empty(json_object *o)
{
	if (!o)
		return true;
	json_type t = J->json_object_get_type(o);
	if (t == json_type_array)
		return J->json_object_array_length(o) == 0;
	if (t == json_type_string)
		return J->json_object_get_string(o)[0] == 0;
	if (t == json_type_object) {
		struct json_object_iterator it = J->json_object_iter_begin(o), end = J->json_object_iter_end(o);
		return J->json_object_iter_equal(&it, &end);
	}
	return false;
}

/* A member that must be absent or empty: refused with its name otherwise. */
static int must_be_empty(json_object *parent, const char *k, const char *where, const char *why, struct gph_err *e)
{
	json_object *v = get(parent, k);
	if (!empty(v))
		return gph_fail(e, 0, why, "config.json %s.%s: not supported by gophernetes", where, k);
	return 0;
}

/* A NULL-terminated copy of an array of strings. */
static char **str_array(json_object *a, const char *where, struct gph_err *e)
{
	size_t n = a ? J->json_object_array_length(a) : 0;
	char **v = calloc(n + 1, sizeof *v);
	if (!v) {
		gph_fail(e, ENOMEM, NULL, "%s", where);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *s = J->json_object_array_get_idx(a, i);
		if (!is(s, json_type_string) || !(v[i] = strdup(J->json_object_get_string(s)))) {
			gph_fail(e, 0, NULL, "config.json %s[%zu]: a string expected", where, i);
			for (size_t k = 0; k < i; k++)
				free(v[k]);
			free(v);
			return NULL;
		}
	}
	return v;
}

static void free_strv(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static bool has_opt(json_object *opts, const char *name)
{
	size_t n = is(opts, json_type_array) ? J->json_object_array_length(opts) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *s = J->json_object_array_get_idx(opts, i);
		if (is(s, json_type_string) && strcmp(J->json_object_get_string(s), name) == 0)
			return true;
	}
	return false;
}

/* ---- linux.namespaces, uid/gid mappings ---- */
static int idmap_words(json_object *a, const char *where, char *out, size_t len, struct gph_err *e)
{
	size_t n = J->json_object_array_length(a), off = 0;
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *m = J->json_object_array_get_idx(a, i);
		static const char *const k[] = {"containerID", "hostID", "size", NULL};
		if (check_keys(m, where, k, e) < 0)
			return -1;
		json_object *c = get(m, "containerID"), *h = get(m, "hostID"), *s = get(m, "size");
		if (!is(c, json_type_int) || !is(h, json_type_int) || !is(s, json_type_int))
			return gph_fail(e, 0, NULL, "config.json %s[%zu]: containerID, hostID and size are numbers", where, i);
		off += (size_t)snprintf(out + off, len - off, "%s%lld:%lld:%lld", i ? "," : "", (long long)J->json_object_get_int64(c),
					(long long)J->json_object_get_int64(h), (long long)J->json_object_get_int64(s));
		if (off >= len)
			return gph_fail(e, E2BIG, NULL, "config.json %s: too many ranges", where);
	}
	return 0;
}

static int namespaces(json_object *linux_, struct oci_config *c, struct gph_err *e)
{
	json_object *ns = get(linux_, "namespaces");
	char *words[16] = {"ns"};
	int nw = 1;
	char umap[256], gmap[256];
	if (ns && want(ns, json_type_array, "linux.namespaces", e) < 0)
		return -1;
	size_t n = ns ? J->json_object_array_length(ns) : 0;
	static const struct { const char *oci, *ours; } names[] = {
		{"pid", "pid"}, {"network", "net"}, {"ipc", "ipc"}, {"uts", "uts"}, {"mount", "mnt"}, {"user", "user"}, {"cgroup", "cgroup"},
	};
	bool user = false;
	for (size_t i = 0; i < n; i++) {
		json_object *o = J->json_object_array_get_idx(ns, i);
		static const char *const k[] = {"type", "path", NULL};
		if (check_keys(o, "linux.namespaces[]", k, e) < 0)
			return -1;
		const char *t = gph_js_str(o, "type");
		if (!t)
			return gph_fail(e, 0, NULL, "config.json linux.namespaces[%zu]: no type", i);
		const char *ours = NULL;
		for (size_t k2 = 0; k2 < sizeof names / sizeof names[0]; k2++)
			if (strcmp(names[k2].oci, t) == 0)
				ours = names[k2].ours;
		if (!ours)
			return gph_fail(e, 0, NULL, "config.json linux.namespaces[%zu]: the %s namespace is not supported by gophernetes", i, t);
		if (!empty(get(o, "path"))) {
			const char *path = gph_js_str(o, "path");
			if (!path || (strcmp(ours, "net") && strcmp(ours, "ipc") && strcmp(ours, "uts")))
				return gph_fail(e, 0, "only network, ipc and uts namespaces can be joined (`ns join`)",
						"config.json linux.namespaces[%zu]: joining a %s namespace by path is not supported by gophernetes", i, t);
			/* Joined first: after a new user namespace the host's would be out of reach. */
			if (add_step(c, e, "linux.namespaces (path)", 4, "ns", "join", ours, path) < 0)
				return -1;
			c->ns_flags |= gph_ns_flag(ours);
			continue;
		}
		if (strcmp(ours, "user") == 0) {
			user = true;
			continue;
		}
		c->ns_flags |= gph_ns_flag(ours);
		if (nw < 14)
			words[nw++] = (char *)ours;
	}
	json_object *um = get(linux_, "uidMappings"), *gm = get(linux_, "gidMappings");
	if ((!empty(um) || !empty(gm)) && !user)
		return gph_fail(e, 0, "add {\"type\": \"user\"} to linux.namespaces", "config.json linux.uidMappings/gidMappings need a user namespace");
	if (user) {
		/* The user namespace comes first: it owns the others. */
		memmove(words + 2, words + 1, (size_t)(nw - 1) * sizeof *words);
		words[1] = "user";
		nw++;
		c->ns_flags |= CLONE_NEWUSER;
		if (!empty(um)) {
			if (want(um, json_type_array, "linux.uidMappings", e) < 0 || idmap_words(um, "linux.uidMappings", umap, sizeof umap, e) < 0)
				return -1;
			words[nw++] = "uidmap";
			words[nw++] = umap;
		}
		if (!empty(gm)) {
			if (want(gm, json_type_array, "linux.gidMappings", e) < 0 || idmap_words(gm, "linux.gidMappings", gmap, sizeof gmap, e) < 0)
				return -1;
			words[nw++] = "gidmap";
			words[nw++] = gmap;
		}
	}
	if (!(c->ns_flags & CLONE_NEWNS))
		return gph_fail(e, 0, "add {\"type\": \"mount\"} to linux.namespaces",
				"config.json linux.namespaces: gophernetes needs a mount namespace (pivot_root)");
	words[nw] = NULL;
	return add_words(c, e, "linux.namespaces", nw, words);
}

/* ---- linux.resources ---- */
static int resources(json_object *r, struct oci_config *c, struct gph_err *e)
{
	if (!r)
		return 0;
	static const char *const k[] = {"memory", "cpu", "pids", "devices", "blockIO", "hugepageLimits", "network", "rdma", "unified", NULL};
	if (check_keys(r, "linux.resources", k, e) < 0 ||
	    must_be_empty(r, "hugepageLimits", "linux.resources", NULL, e) < 0 ||
	    must_be_empty(r, "network", "linux.resources", NULL, e) < 0 || must_be_empty(r, "rdma", "linux.resources", NULL, e) < 0 ||
	    must_be_empty(r, "unified", "linux.resources", NULL, e) < 0)
		return -1;
	char buf[64];
	json_object *m = get(r, "memory");
	if (m) {
		static const char *const mk[] = {"limit", "swap", "reservation", "kernel", "kernelTCP", "swappiness", "disableOOMKiller", "useHierarchy", "checkBeforeUpdate", NULL};
		if (check_keys(m, "linux.resources.memory", mk, e) < 0)
			return -1;
		static const char *const unsup[] = {"reservation", "kernel", "kernelTCP", "swappiness", NULL};
		for (const char *const *u = unsup; *u; u++)
			if (get(m, *u) && !(is(get(m, *u), json_type_int) && J->json_object_get_int64(get(m, *u)) <= 0 && strcmp(*u, "swappiness")))
				return gph_fail(e, 0, NULL, "config.json linux.resources.memory.%s: not supported by gophernetes", *u);
		if (is(get(m, "disableOOMKiller"), json_type_boolean) && J->json_object_get_boolean(get(m, "disableOOMKiller")))
			return gph_fail(e, 0, NULL, "config.json linux.resources.memory.disableOOMKiller: not supported by gophernetes");
		json_object *l = get(m, "limit"), *s = get(m, "swap");
		long long lim = is(l, json_type_int) ? (long long)J->json_object_get_int64(l) : -1;
		if (lim > 0) {
			snprintf(buf, sizeof buf, "%lldb", lim);
			if (add_step(c, e, "linux.resources.memory.limit", 3, "cgroup", "mem", buf) < 0)
				return -1;
		}
		if (is(s, json_type_int) && lim > 0) {
			long long sw = (long long)J->json_object_get_int64(s);
			if (sw == -1)
				snprintf(buf, sizeof buf, "-1");
			else
				snprintf(buf, sizeof buf, "%lldb", sw);
			if (sw != 0 && add_step(c, e, "linux.resources.memory.swap", 3, "cgroup", "swap", buf) < 0)
				return -1;
		}
	}
	json_object *cpu = get(r, "cpu");
	if (cpu) {
		static const char *const ck[] = {"shares", "quota", "period", "realtimeRuntime", "realtimePeriod", "cpus", "mems", "idle", "burst", NULL};
		if (check_keys(cpu, "linux.resources.cpu", ck, e) < 0 || must_be_empty(cpu, "mems", "linux.resources.cpu", NULL, e) < 0)
			return -1;
		static const char *const zero[] = {"realtimeRuntime", "realtimePeriod", "idle", "burst", NULL};
		for (const char *const *z = zero; *z; z++)
			if (is(get(cpu, *z), json_type_int) && J->json_object_get_int64(get(cpu, *z)) != 0)
				return gph_fail(e, 0, NULL, "config.json linux.resources.cpu.%s: not supported by gophernetes", *z);
		json_object *sh = get(cpu, "shares"), *q = get(cpu, "quota"), *p = get(cpu, "period");
		if (is(sh, json_type_int) && J->json_object_get_int64(sh) > 0) {
			/* cgroup v1 shares -> the weight the step takes (the kernel's own v1<->v2 mapping) */
			long long shares = (long long)J->json_object_get_int64(sh);
			long long w = 1 + ((shares - 2) * 9999) / 262142;
			snprintf(buf, sizeof buf, "%lld", w < 1 ? 1 : w > 10000 ? 10000 : w);
			if (add_step(c, e, "linux.resources.cpu.shares", 3, "cgroup", "cpuweight", buf) < 0)
				return -1;
		}
		if (is(q, json_type_int) && J->json_object_get_int64(q) > 0) {
			long long period = is(p, json_type_int) && J->json_object_get_int64(p) > 0 ? (long long)J->json_object_get_int64(p) : 100000;
			snprintf(buf, sizeof buf, "%.6g", (double)J->json_object_get_int64(q) / (double)period);
			if (period != 100000)
				oci_warn("linux.resources.cpu: the period %lld us becomes 100000 us with the same share (%s CPUs)", period, buf);
			if (add_step(c, e, "linux.resources.cpu.quota", 3, "cgroup", "cpu", buf) < 0)
				return -1;
		}
		const char *cpus = gph_js_str(cpu, "cpus");
		if (cpus && *cpus && add_step(c, e, "linux.resources.cpu.cpus", 3, "cgroup", "cpuset", cpus) < 0)
			return -1;
	}
	json_object *pids = get(r, "pids");
	if (pids) {
		static const char *const pk[] = {"limit", NULL};
		if (check_keys(pids, "linux.resources.pids", pk, e) < 0)
			return -1;
		json_object *l = get(pids, "limit");
		if (is(l, json_type_int) && J->json_object_get_int64(l) > 0) {
			snprintf(buf, sizeof buf, "%lld", (long long)J->json_object_get_int64(l));
			if (add_step(c, e, "linux.resources.pids.limit", 3, "cgroup", "pids", buf) < 0)
				return -1;
		}
	}
	json_object *bio = get(r, "blockIO");
	if (bio) {
		static const char *const bk[] = {"weight", "leafWeight", "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice",
						 "throttleReadIOPSDevice", "throttleWriteIOPSDevice", NULL};
		if (check_keys(bio, "linux.resources.blockIO", bk, e) < 0)
			return -1;
		for (const char *const *b = bk + 1; *b; b++)
			if (must_be_empty(bio, *b, "linux.resources.blockIO", "only blockIO.weight is translated", e) < 0)
				return -1;
		json_object *w = get(bio, "weight");
		if (is(w, json_type_int) && J->json_object_get_int64(w) > 0) {
			/* blkio weight 10-1000 -> io weight 1-10000 */
			snprintf(buf, sizeof buf, "%lld", (long long)J->json_object_get_int64(w) * 10);
			if (add_step(c, e, "linux.resources.blockIO.weight", 4, "cgroup", "io", "weight", buf) < 0)
				return -1;
		}
	}
	if (!empty(get(r, "devices")))
		oci_warn("linux.resources.devices: no device cgroup is set up; gophernetes relies on no CAP_MKNOD and "
			 "its own /dev (`mount dev`) instead");
	return 0;
}

/* ---- mounts ---- */
static int mount_flags(json_object *opts, const char *where, bool *ro, bool *rec, unsigned long *flags, struct gph_err *e)
{
	size_t n = is(opts, json_type_array) ? J->json_object_array_length(opts) : 0;
	*ro = *rec = false;
	*flags = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *s = J->json_object_array_get_idx(opts, i);
		const char *o = is(s, json_type_string) ? J->json_object_get_string(s) : "";
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

static int mounts(json_object *ms, const char *bundle, struct oci_config *c, bool *proc, bool *dev, bool *sys,
		  char (*tmpfs)[256], int *n_tmpfs, struct gph_err *e)
{
	(void)bundle;
	size_t n = ms ? J->json_object_array_length(ms) : 0;
	*proc = *dev = *sys = false;
	*n_tmpfs = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *m = J->json_object_array_get_idx(ms, i);
		char where[64];
		snprintf(where, sizeof where, "mounts[%zu]", i);
		static const char *const k[] = {"destination", "type", "source", "options", "uidMappings", "gidMappings", NULL};
		if (check_keys(m, where, k, e) < 0 || must_be_empty(m, "uidMappings", where, NULL, e) < 0 ||
		    must_be_empty(m, "gidMappings", where, NULL, e) < 0)
			return -1;
		const char *dst = gph_js_str(m, "destination"), *type = gph_js_str(m, "type"), *src = gph_js_str(m, "source");
		json_object *opts = get(m, "options");
		if (!dst || dst[0] != '/')
			return gph_fail(e, 0, NULL, "config.json %s.destination: an absolute path is needed", where);
		if (!type)
			type = "";
		bool bind = strcmp(type, "bind") == 0 || has_opt(opts, "bind") || has_opt(opts, "rbind");
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
			if (!empty(opts))
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
		const char *name = is(s, json_type_string) ? J->json_object_get_string(s) : "";
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
	if (check_keys(caps, "process.capabilities", k, e) < 0)
		return -1;
	uint64_t s[5];
	for (int i = 0; i < 5; i++) {
		char where[64];
		snprintf(where, sizeof where, "process.capabilities.%s", k[i]);
		json_object *a = get(caps, k[i]);
		if (a && want(a, json_type_array, where, e) < 0)
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
	if (add_step(c, e, "process.capabilities", 3, "cap", "drop", "ALL") < 0)
		return -1;
	for (int cap = 0; cap <= 40; cap++)
		if (s[0] & GPH_CAP_BIT(cap)) {
			gph_caps_name(cap, names[cap], sizeof names[cap]);
			words[nw++] = names[cap];
		}
	words[nw] = NULL;
	return nw > 2 ? add_words(c, e, "process.capabilities", nw, words) : 0;
}

static int process(json_object *p, struct oci_config *c, char *cwd, size_t cwdlen, bool exec, struct gph_err *e)
{
	static const char *const k[] = {"terminal", "consoleSize", "user", "args", "env", "cwd", "capabilities", "rlimits",
					"noNewPrivileges", "apparmorProfile", "oomScoreAdj", "selinuxLabel", "commandLine",
					"ioPriority", "scheduler", "execCPUAffinity", NULL};
	if (!p)
		return gph_fail(e, 0, NULL, "config.json: no process");
	if (check_keys(p, "process", k, e) < 0 || must_be_empty(p, "apparmorProfile", "process", "AppArmor is not applied by gophernetes", e) < 0 ||
	    must_be_empty(p, "selinuxLabel", "process", "SELinux is not applied by gophernetes", e) < 0 ||
	    must_be_empty(p, "commandLine", "process", NULL, e) < 0 || must_be_empty(p, "ioPriority", "process", NULL, e) < 0 ||
	    must_be_empty(p, "scheduler", "process", NULL, e) < 0 || must_be_empty(p, "execCPUAffinity", "process", NULL, e) < 0)
		return -1;
	json_object *t = get(p, "terminal");
	c->terminal = is(t, json_type_boolean) && J->json_object_get_boolean(t);
	json_object *cs = get(p, "consoleSize");
	if (cs) {
		static const char *const ck[] = {"height", "width", NULL};
		if (check_keys(cs, "process.consoleSize", ck, e) < 0)
			return -1;
		c->console_h = is(get(cs, "height"), json_type_int) ? (unsigned)J->json_object_get_int64(get(cs, "height")) : 0;
		c->console_w = is(get(cs, "width"), json_type_int) ? (unsigned)J->json_object_get_int64(get(cs, "width")) : 0;
	}
	json_object *args = get(p, "args");
	if (!args || want(args, json_type_array, "process.args", e) < 0 || J->json_object_array_length(args) == 0)
		return gph_fail(e, 0, NULL, "config.json process.args: the command is missing");
	if (!(c->args = str_array(args, "process.args", e)))
		return -1;
	json_object *env = get(p, "env");
	if (env && want(env, json_type_array, "process.env", e) < 0)
		return -1;
	if (!(c->env = str_array(env, "process.env", e)))
		return -1;
	const char *d = gph_js_str(p, "cwd");
	if (!d || d[0] != '/')
		return gph_fail(e, 0, NULL, "config.json process.cwd: an absolute path is needed");
	snprintf(cwd, cwdlen, "%s", d);
	json_object *u = get(p, "user");
	unsigned uid = 0, gid = 0;
	if (u) {
		static const char *const uk[] = {"uid", "gid", "umask", "additionalGids", "username", NULL};
		if (check_keys(u, "process.user", uk, e) < 0 || must_be_empty(u, "username", "process.user", NULL, e) < 0)
			return -1;
		uid = is(get(u, "uid"), json_type_int) ? (unsigned)J->json_object_get_int64(get(u, "uid")) : 0;
		gid = is(get(u, "gid"), json_type_int) ? (unsigned)J->json_object_get_int64(get(u, "gid")) : 0;
		if (is(get(u, "umask"), json_type_int)) {
			c->has_umask = true;
			c->umask = (mode_t)J->json_object_get_int64(get(u, "umask")) & 0777;
		}
		json_object *g = get(u, "additionalGids");
		size_t ng = g ? J->json_object_array_length(g) : 0;
		if (ng > 32)
			return gph_fail(e, E2BIG, NULL, "config.json process.user.additionalGids: at most 32");
		for (size_t i = 0; i < ng; i++) {
			json_object *x = J->json_object_array_get_idx(g, i);
			if (!is(x, json_type_int))
				return gph_fail(e, 0, NULL, "config.json process.user.additionalGids[%zu]: a number expected", i);
			c->groups[c->ngroups++] = (unsigned)J->json_object_get_int64(x);
		}
	}
	json_object *rl = get(p, "rlimits");
	size_t nr = rl ? J->json_object_array_length(rl) : 0;
	for (size_t i = 0; i < nr; i++) {
		json_object *r = J->json_object_array_get_idx(rl, i);
		static const char *const rk[] = {"type", "soft", "hard", NULL};
		if (check_keys(r, "process.rlimits[]", rk, e) < 0)
			return -1;
		const char *type = gph_js_str(r, "type");
		int res = -1;
		for (size_t k2 = 0; type && k2 < sizeof rlimit_names / sizeof rlimit_names[0]; k2++)
			if (strcmp(rlimit_names[k2].name, type) == 0)
				res = rlimit_names[k2].res;
		if (res < 0 || c->n_rlimits >= OCI_MAX_RLIMITS)
			return gph_fail(e, 0, NULL, "config.json process.rlimits[%zu]: unknown type \"%s\"", i, type ? type : "");
		c->rlimits[c->n_rlimits].resource = res;
		c->rlimits[c->n_rlimits].lim.rlim_cur = (rlim_t)J->json_object_get_int64(get(r, "soft"));
		c->rlimits[c->n_rlimits].lim.rlim_max = (rlim_t)J->json_object_get_int64(get(r, "hard"));
		snprintf(c->rlimits[c->n_rlimits].name, sizeof c->rlimits[0].name, "%s", type);
		c->n_rlimits++;
	}
	json_object *oom = get(p, "oomScoreAdj");
	if (oom) {
		if (want(oom, json_type_int, "process.oomScoreAdj", e) < 0)
			return -1;
		long long v = (long long)J->json_object_get_int64(oom);
		if (v < -1000 || v > 1000)
			return gph_fail(e, ERANGE, NULL, "config.json process.oomScoreAdj: %lld is outside -1000..1000", v);
		c->oom_score_adj = (int)v;
	}
	/* The privilege steps, in the order `run` applies them. */
	if (!exec || get(p, "capabilities")) {
		if (capabilities(get(p, "capabilities"), uid, c, e) < 0)
			return -1;
	}
	json_object *nnp = get(p, "noNewPrivileges");
	if (is(nnp, json_type_boolean) && J->json_object_get_boolean(nnp) && add_step(c, e, "process.noNewPrivileges", 2, "nnp", "on") < 0)
		return -1;
	char ug[32];
	snprintf(ug, sizeof ug, "%u:%u", uid, gid);
	return add_step(c, e, "process.user", 2, "user", ug);
}

/* ---- maskedPaths, readonlyPaths: the engine's `mask on` list, each difference warned about ---- */
static bool in_rules(const char *path, enum gph_path_kind how)
{
	size_t n;
	const struct gph_path_rule *r = gph_paths_rules(&n);
	for (size_t i = 0; i < n; i++) {
		char full[256];
		snprintf(full, sizeof full, "/%s/%s", r[i].base == GPH_PATH_PROC ? "proc" : "sys", r[i].rel);
		if (r[i].kind == how && strcmp(full, path) == 0)
			return true;
	}
	return false;
}

/* How many paths of the config's list the engine's does not cover the same way, and the other way round. */
static int mask_differences(json_object *list, enum gph_path_kind how, const char *what)
{
	int diff = 0;
	size_t n = is(list, json_type_array) ? J->json_object_array_length(list) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *p = J->json_object_array_get_idx(list, i);
		const char *path = is(p, json_type_string) ? J->json_object_get_string(p) : "";
		if (!in_rules(path, how)) {
			oci_warn("linux.%s: %s is not %s by gophernetes", what, path, how == GPH_PATH_MASK ? "masked" : "made read-only");
			diff++;
		}
	}
	size_t nr;
	const struct gph_path_rule *r = gph_paths_rules(&nr);
	for (size_t i = 0; i < nr; i++) {
		if (r[i].kind != how)
			continue;
		char full[256];
		bool found = false;
		snprintf(full, sizeof full, "/%s/%s", r[i].base == GPH_PATH_PROC ? "proc" : "sys", r[i].rel);
		for (size_t k = 0; k < n && !found; k++) {
			json_object *p = J->json_object_array_get_idx(list, k);
			found = is(p, json_type_string) && strcmp(J->json_object_get_string(p), full) == 0;
		}
		if (!found) {
			oci_warn("linux.%s: %s is %s by gophernetes too", what, full, how == GPH_PATH_MASK ? "masked" : "made read-only");
			diff++;
		}
	}
	return diff;
}

/* ---- linux.sysctl: only those that belong to a namespace the container has ---- */
static int sysctls(json_object *o, struct oci_config *c, struct gph_err *e)
{
	if (!o)
		return 0;
	if (want(o, json_type_object, "linux.sysctl", e) < 0)
		return -1;
	struct json_object_iterator it = J->json_object_iter_begin(o), end = J->json_object_iter_end(o);
	for (; !J->json_object_iter_equal(&it, &end); J->json_object_iter_next(&it)) {
		const char *k = J->json_object_iter_peek_name(&it);
		json_object *v = J->json_object_iter_peek_value(&it);
		int ns = 0;
		if (strncmp(k, "net.", 4) == 0)
			ns = CLONE_NEWNET;
		else if (strncmp(k, "kernel.msg", 10) == 0 || strncmp(k, "kernel.sem", 10) == 0 ||
			 strncmp(k, "kernel.shm", 10) == 0 || strncmp(k, "fs.mqueue.", 10) == 0)
			ns = CLONE_NEWIPC;
		if (!ns)
			return gph_fail(e, 0, "only net.*, kernel.msg*/sem/shm* and fs.mqueue.* belong to a container",
					"config.json linux.sysctl \"%s\": not namespaced: it would change the host", k);
		if (!(c->ns_flags & ns))
			return gph_fail(e, 0, NULL, "config.json linux.sysctl \"%s\": the container has no %s namespace of its own", k,
					ns == CLONE_NEWNET ? "network" : "ipc");
		if (!is(v, json_type_string) || strstr(k, "..") || strchr(k, '/') || c->n_sysctl >= 16 ||
		    strlen(k) >= sizeof c->sysctl[0].key || strlen(J->json_object_get_string(v)) >= sizeof c->sysctl[0].value)
			return gph_fail(e, 0, NULL, "config.json linux.sysctl \"%s\": a string value, at most 16 sysctls", k);
		snprintf(c->sysctl[c->n_sysctl].key, sizeof c->sysctl[0].key, "%s", k);
		snprintf(c->sysctl[c->n_sysctl].value, sizeof c->sysctl[0].value, "%s", J->json_object_get_string(v));
		c->sysctl[c->n_sysctl++].ns = ns;
	}
	return 0;
}

/* ---- hooks ---- */
static int parse_hooks(json_object *hooks, struct oci_config *c, struct gph_err *e)
{
	if (check_keys(hooks, "hooks", oci_hook_kinds, e) < 0)
		return -1;
	for (int k = 0; k < 6; k++) {
		json_object *a = get(hooks, oci_hook_kinds[k]);
		size_t n = a ? J->json_object_array_length(a) : 0;
		if (n && (k == HOOK_CREATE_CONTAINER || k == HOOK_START_CONTAINER))
			return gph_fail(e, 0, NULL, "config.json hooks.%s: hooks inside the container's namespaces are not supported by gophernetes",
					oci_hook_kinds[k]);
		if (n > OCI_MAX_HOOKS)
			return gph_fail(e, E2BIG, NULL, "config.json hooks.%s: at most %d", oci_hook_kinds[k], OCI_MAX_HOOKS);
		for (size_t i = 0; i < n; i++) {
			json_object *h = J->json_object_array_get_idx(a, i);
			static const char *const hk[] = {"path", "args", "env", "timeout", NULL};
			if (check_keys(h, "hooks[]", hk, e) < 0)
				return -1;
			const char *hp = gph_js_str(h, "path");
			if (!hp || hp[0] != '/')
				return gph_fail(e, 0, NULL, "config.json hooks.%s[%zu].path: an absolute path is needed", oci_hook_kinds[k], i);
			struct oci_hook *oh = &c->hooks[k][c->n_hooks[k]++];
			oh->path = strdup(hp);
			oh->args = get(h, "args") ? str_array(get(h, "args"), "hooks[].args", e) : NULL;
			oh->env = get(h, "env") ? str_array(get(h, "env"), "hooks[].env", e) : NULL;
			oh->timeout = is(get(h, "timeout"), json_type_int) ? (int)J->json_object_get_int64(get(h, "timeout")) : 0;
			if (!oh->path || (get(h, "args") && !oh->args) || (get(h, "env") && !oh->env))
				return gph_fail(e, ENOMEM, NULL, "config.json hooks.%s[%zu]", oci_hook_kinds[k], i);
		}
	}
	return 0;
}

int oci_hooks_load(const char *file, struct oci_config *c, struct gph_err *e)
{
	memset(c, 0, sizeof *c);
	if (gph_json_load(e) < 0)
		return -1;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0; /* no poststart/poststop hooks */
		return gph_fail(e, errno, NULL, "open(\"%s\")", file);
	}
	json_object *h = gph_json_read_fd(fd, file, e);
	if (!h)
		return -1;
	int rc = parse_hooks(h, c, e);
	J->json_object_put(h);
	if (rc < 0)
		oci_config_free(c);
	return rc;
}

/* ---- the whole file ---- */
int oci_config_load(const char *bundle, struct oci_config *c, struct gph_err *e)
{
	memset(c, 0, sizeof *c);
	c->oom_score_adj = 0;
	if (gph_json_load(e) < 0)
		return -1;
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/config.json", bundle);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gph_fail(e, errno, "`gophernetes spec` writes a default one", "open(\"%s\")", path);
	json_object *root = gph_json_read_fd(fd, path, e);
	if (!root)
		return -1;
	int rc = -1;
	static const char *const top[] = {"ociVersion", "root", "mounts", "process", "hostname", "domainname", "linux", "hooks", "annotations", NULL};
	if (check_keys(root, "", top, e) < 0 || must_be_empty(root, "domainname", "", NULL, e) < 0)
		goto out;
	const char *ver = gph_js_str(root, "ociVersion");
	if (!ver || strncmp(ver, "1.", 2) != 0) {
		gph_fail(e, 0, NULL, "config.json ociVersion \"%s\": gophernetes reads 1.x", ver ? ver : "");
		goto out;
	}
	json_object *linux_ = get(root, "linux");
	static const char *const lk[] = {"namespaces", "uidMappings", "gidMappings", "resources", "cgroupsPath", "maskedPaths",
					 "readonlyPaths", "seccomp", "sysctl", "devices", "rootfsPropagation", "mountLabel",
					 "intelRdt", "personality", "timeOffsets", NULL};
	if (!linux_) {
		gph_fail(e, 0, NULL, "config.json: no linux object");
		goto out;
	}
	if (check_keys(linux_, "linux", lk, e) < 0 || must_be_empty(linux_, "devices", "linux", "extra device nodes are not made", e) < 0 ||
	    must_be_empty(linux_, "mountLabel", "linux", NULL, e) < 0 || must_be_empty(linux_, "intelRdt", "linux", NULL, e) < 0 ||
	    must_be_empty(linux_, "personality", "linux", NULL, e) < 0 || must_be_empty(linux_, "timeOffsets", "linux", NULL, e) < 0)
		goto out;
	const char *prop = gph_js_str(linux_, "rootfsPropagation");
	if (prop && *prop && strcmp(prop, "private") && strcmp(prop, "rprivate")) {
		gph_fail(e, 0, NULL, "config.json linux.rootfsPropagation \"%s\": gophernetes keeps the root private", prop);
		goto out;
	}
	if (namespaces(linux_, c, e) < 0 || sysctls(get(linux_, "sysctl"), c, e) < 0 || resources(get(linux_, "resources"), c, e) < 0)
		goto out;
	const char *cgp = gph_js_str(linux_, "cgroupsPath");
	if (cgp && *cgp) {
		if (cgp[0] != '/') {
			gph_fail(e, 0, "use the cgroupfs form /PARENT/NAME (podman: --cgroup-manager=cgroupfs)",
				 "config.json linux.cgroupsPath \"%s\": the systemd form slice:prefix:name is not supported by gophernetes", cgp);
			goto out;
		}
		/* The engine names the container's own cgroup: the parent is what the path asks for. */
		snprintf(c->cgroup_parent, sizeof c->cgroup_parent, "%s", cgp);
		char *slash = strrchr(c->cgroup_parent, '/');
		*slash = 0;
		if (!c->cgroup_parent[0])
			oci_warn("linux.cgroupsPath \"%s\": the container's cgroup is made in gophernetes' default place", cgp);
		else
			oci_warn("linux.cgroupsPath \"%s\": the container's cgroup is %s/<gophernetes id>", cgp, c->cgroup_parent);
	}
	/* hostname */
	const char *host = gph_js_str(root, "hostname");
	if (host && *host) {
		if (!(c->ns_flags & CLONE_NEWUTS)) {
			gph_fail(e, 0, "add {\"type\": \"uts\"} to linux.namespaces", "config.json hostname needs a uts namespace");
			goto out;
		}
		snprintf(c->hostname, sizeof c->hostname, "%s", host);
		if (add_step(c, e, "hostname", 2, "hostname", host) < 0)
			goto out;
	}
	/* root */
	json_object *r = get(root, "root");
	static const char *const rk[] = {"path", "readonly", NULL};
	if (!r || check_keys(r, "root", rk, e) < 0) {
		if (!r)
			gph_fail(e, 0, NULL, "config.json: no root");
		goto out;
	}
	const char *rp = gph_js_str(r, "path");
	if (!rp || !*rp) {
		gph_fail(e, 0, NULL, "config.json root.path: missing");
		goto out;
	}
	char rootdir[PATH_MAX];
	if (rp[0] == '/')
		snprintf(rootdir, sizeof rootdir, "%s", rp);
	else
		snprintf(rootdir, sizeof rootdir, "%s/%s", bundle, rp);
	bool want_proc, want_dev, want_sys;
	char tmpfs[8][256];
	int n_tmpfs;
	json_object *ms = get(root, "mounts");
	if ((ms && want(ms, json_type_array, "mounts", e) < 0) ||
	    mounts(ms, bundle, c, &want_proc, &want_dev, &want_sys, tmpfs, &n_tmpfs, e) < 0)
		goto out;
	if (add_step(c, e, "root.path", 2, "pivot_root", rootdir) < 0)
		goto out;
	if ((want_proc && add_step(c, e, "mounts /proc", 2, "mount", "proc") < 0) ||
	    (want_dev && add_step(c, e, "mounts /dev", 2, "mount", "dev") < 0) ||
	    (want_sys && add_step(c, e, "mounts /sys", 2, "mount", "sys") < 0))
		goto out;
	for (int i = 0; i < n_tmpfs; i++) {
		char full[PATH_MAX];
		if (add_step(c, e, "mounts (tmpfs)", 3, "mount", "tmpfs", tmpfs[i]) < 0)
			goto out;
		(void)full;
	}
	json_object *ro = get(r, "readonly");
	if (is(ro, json_type_boolean) && J->json_object_get_boolean(ro) && add_step(c, e, "root.readonly", 1, "readonly") < 0)
		goto out;
	/* masks, then the process (capabilities, nnp, user), then seccomp and the working directory */
	if (!empty(get(linux_, "maskedPaths")) || !empty(get(linux_, "readonlyPaths"))) {
		if (mask_differences(get(linux_, "maskedPaths"), GPH_PATH_MASK, "maskedPaths") +
			    mask_differences(get(linux_, "readonlyPaths"), GPH_PATH_READONLY, "readonlyPaths") > 0)
			oci_warn("linux.maskedPaths/readonlyPaths: gophernetes applies its own list (`mask on`, the README's "
				 "security defaults), which differs from the config's as said above");
		if (add_step(c, e, "linux.maskedPaths", 2, "mask", "on") < 0)
			goto out;
	}
	char cwd[PATH_MAX];
	if (process(get(root, "process"), c, cwd, sizeof cwd, false, e) < 0)
		goto out;
	json_object *sc = get(linux_, "seccomp");
	if (sc) {
		c->seccomp = true;
		const char *def = gph_js_str(sc, "defaultAction");
		oci_warn("linux.seccomp (defaultAction %s): gophernetes applies its own default filter (a deny list after "
			 "Docker's profile), not the config's rules one by one", def ? def : "?");
		if (add_step(c, e, "linux.seccomp", 2, "seccomp", "default") < 0)
			goto out;
	}
	if (strcmp(cwd, "/") != 0 && add_step(c, e, "process.cwd", 2, "workdir", cwd) < 0)
		goto out;
	/* hooks */
	json_object *hooks = get(root, "hooks");
	if (hooks && parse_hooks(hooks, c, e) < 0)
		goto out;
	if (hooks && (c->n_hooks[HOOK_POSTSTART] || c->n_hooks[HOOK_POSTSTOP]) &&
	    !(c->hooks_json = strdup(J->json_object_to_json_string(hooks)))) {
		gph_fail(e, ENOMEM, NULL, "hooks");
		goto out;
	}
	json_object *ann = get(root, "annotations");
	if (ann && want(ann, json_type_object, "annotations", e) < 0)
		goto out;
	c->annotations = strdup(ann ? J->json_object_to_json_string(ann) : "{}");
	if (!c->annotations) {
		gph_fail(e, ENOMEM, NULL, "annotations");
		goto out;
	}
	rc = 0;
out:
	J->json_object_put(root);
	if (rc < 0)
		oci_config_free(c);
	return rc;
}

int oci_process_load(const char *file, struct oci_config *c, char *cwd, size_t cwdlen, struct gph_err *e)
{
	memset(c, 0, sizeof *c);
	if (gph_json_load(e) < 0)
		return -1;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gph_fail(e, errno, NULL, "open(\"%s\")", file);
	json_object *p = gph_json_read_fd(fd, file, e);
	if (!p)
		return -1;
	int rc = process(p, c, cwd, cwdlen, true, e);
	J->json_object_put(p);
	if (rc < 0)
		oci_config_free(c);
	return rc;
}

void oci_config_free(struct oci_config *c)
{
	free_strv(c->args);
	free_strv(c->env);
	c->args = c->env = NULL;
	for (int k = 0; k < 6; k++)
		for (int i = 0; i < c->n_hooks[k]; i++) {
			free(c->hooks[k][i].path);
			free_strv(c->hooks[k][i].args);
			free_strv(c->hooks[k][i].env);
		}
	memset(c->n_hooks, 0, sizeof c->n_hooks);
	free(c->annotations);
	c->annotations = NULL;
	free(c->hooks_json);
	c->hooks_json = NULL;
}
