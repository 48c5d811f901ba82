/* config.json linux.*: namespaces (new or joined), id maps, resources, masked paths, sysctls. */
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

/* ---- linux.namespaces, uid/gid mappings ---- */
static int idmap_words(json_object *a, const char *where, char *out, size_t len, struct gph_err *e)
{
	size_t n = J->json_object_array_length(a), off = 0;
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *m = J->json_object_array_get_idx(a, i);
		static const char *const k[] = {"containerID", "hostID", "size", NULL};
		if (oc_check_keys(m, where, k, e) < 0)
			return -1;
		json_object *c = oc_get(m, "containerID"), *h = oc_get(m, "hostID"), *s = oc_get(m, "size");
		if (!oc_is(c, json_type_int) || !oc_is(h, json_type_int) || !oc_is(s, json_type_int))
			return gph_fail(e, 0, NULL, "config.json %s[%zu]: containerID, hostID and size are numbers", where, i);
		off += (size_t)snprintf(out + off, len - off, "%s%lld:%lld:%lld", i ? "," : "", (long long)J->json_object_get_int64(c),
					(long long)J->json_object_get_int64(h), (long long)J->json_object_get_int64(s));
		if (off >= len)
			return gph_fail(e, E2BIG, NULL, "config.json %s: too many ranges", where);
	}
	return 0;
}

int oci_cfg_namespaces(json_object *linux_, struct oci_config *c, struct gph_err *e)
{
	json_object *ns = oc_get(linux_, "namespaces");
	char *words[16] = {"ns"};
	int nw = 1;
	char umap[256], gmap[256];
	if (ns && oc_want(ns, json_type_array, "linux.namespaces", e) < 0)
		return -1;
	size_t n = ns ? J->json_object_array_length(ns) : 0;
	static const struct { const char *oci, *ours; } names[] = {
		{"pid", "pid"}, {"network", "net"}, {"ipc", "ipc"}, {"uts", "uts"}, {"mount", "mnt"}, {"user", "user"}, {"cgroup", "cgroup"},
	};
	bool user = false;
	for (size_t i = 0; i < n; i++) {
		json_object *o = J->json_object_array_get_idx(ns, i);
		static const char *const k[] = {"type", "path", NULL};
		if (oc_check_keys(o, "linux.namespaces[]", k, e) < 0)
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
		if (!oc_empty(oc_get(o, "path"))) {
			const char *path = gph_js_str(o, "path");
			if (!path || (strcmp(ours, "net") && strcmp(ours, "ipc") && strcmp(ours, "uts")))
				return gph_fail(e, 0, "only network, ipc and uts namespaces can be joined (`ns join`)",
						"config.json linux.namespaces[%zu]: joining a %s namespace by path is not supported by gophernetes", i, t);
			/* Joined first: after a new user namespace the host's would be out of reach. */
			if (oc_add_step(c, e, "linux.namespaces (path)", 4, "ns", "join", ours, path) < 0)
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
	json_object *um = oc_get(linux_, "uidMappings"), *gm = oc_get(linux_, "gidMappings");
	if ((!oc_empty(um) || !oc_empty(gm)) && !user)
		return gph_fail(e, 0, "add {\"type\": \"user\"} to linux.namespaces", "config.json linux.uidMappings/gidMappings need a user namespace");
	if (user) {
		/* The user namespace comes first: it owns the others. */
		memmove(words + 2, words + 1, (size_t)(nw - 1) * sizeof *words);
		words[1] = "user";
		nw++;
		c->ns_flags |= CLONE_NEWUSER;
		if (!oc_empty(um)) {
			if (oc_want(um, json_type_array, "linux.uidMappings", e) < 0 || idmap_words(um, "linux.uidMappings", umap, sizeof umap, e) < 0)
				return -1;
			words[nw++] = "uidmap";
			words[nw++] = umap;
		}
		if (!oc_empty(gm)) {
			if (oc_want(gm, json_type_array, "linux.gidMappings", e) < 0 || idmap_words(gm, "linux.gidMappings", gmap, sizeof gmap, e) < 0)
				return -1;
			words[nw++] = "gidmap";
			words[nw++] = gmap;
		}
	}
	if (!(c->ns_flags & CLONE_NEWNS))
		return gph_fail(e, 0, "add {\"type\": \"mount\"} to linux.namespaces",
				"config.json linux.namespaces: gophernetes needs a mount namespace (pivot_root)");
	words[nw] = NULL;
	return oc_add_words(c, e, "linux.namespaces", nw, words);
}

/* ---- linux.resources ---- */
int oci_cfg_resources(json_object *r, struct oci_config *c, struct gph_err *e)
{
	if (!r)
		return 0;
	static const char *const k[] = {"memory", "cpu", "pids", "devices", "blockIO", "hugepageLimits", "network", "rdma", "unified", NULL};
	if (oc_check_keys(r, "linux.resources", k, e) < 0 ||
	    oc_must_be_empty(r, "hugepageLimits", "linux.resources", NULL, e) < 0 ||
	    oc_must_be_empty(r, "network", "linux.resources", NULL, e) < 0 || oc_must_be_empty(r, "rdma", "linux.resources", NULL, e) < 0 ||
	    oc_must_be_empty(r, "unified", "linux.resources", NULL, e) < 0)
		return -1;
	char buf[64];
	json_object *m = oc_get(r, "memory");
	if (m) {
		static const char *const mk[] = {"limit", "swap", "reservation", "kernel", "kernelTCP", "swappiness", "disableOOMKiller", "useHierarchy", "checkBeforeUpdate", NULL};
		if (oc_check_keys(m, "linux.resources.memory", mk, e) < 0)
			return -1;
		static const char *const unsup[] = {"reservation", "kernel", "kernelTCP", "swappiness", NULL};
		for (const char *const *u = unsup; *u; u++)
			if (oc_get(m, *u) && !(oc_is(oc_get(m, *u), json_type_int) && J->json_object_get_int64(oc_get(m, *u)) <= 0 && strcmp(*u, "swappiness")))
				return gph_fail(e, 0, NULL, "config.json linux.resources.memory.%s: not supported by gophernetes", *u);
		if (oc_is(oc_get(m, "disableOOMKiller"), json_type_boolean) && J->json_object_get_boolean(oc_get(m, "disableOOMKiller")))
			return gph_fail(e, 0, NULL, "config.json linux.resources.memory.disableOOMKiller: not supported by gophernetes");
		json_object *l = oc_get(m, "limit"), *s = oc_get(m, "swap");
		long long lim = oc_is(l, json_type_int) ? (long long)J->json_object_get_int64(l) : -1;
		if (lim > 0) {
			snprintf(buf, sizeof buf, "%lldb", lim);
			if (oc_add_step(c, e, "linux.resources.memory.limit", 3, "cgroup", "mem", buf) < 0)
				return -1;
		}
		if (oc_is(s, json_type_int) && lim > 0) {
			long long sw = (long long)J->json_object_get_int64(s);
			if (sw == -1)
				snprintf(buf, sizeof buf, "-1");
			else
				snprintf(buf, sizeof buf, "%lldb", sw);
			if (sw != 0 && oc_add_step(c, e, "linux.resources.memory.swap", 3, "cgroup", "swap", buf) < 0)
				return -1;
		}
	}
	json_object *cpu = oc_get(r, "cpu");
	if (cpu) {
		static const char *const ck[] = {"shares", "quota", "period", "realtimeRuntime", "realtimePeriod", "cpus", "mems", "idle", "burst", NULL};
		if (oc_check_keys(cpu, "linux.resources.cpu", ck, e) < 0 || oc_must_be_empty(cpu, "mems", "linux.resources.cpu", NULL, e) < 0)
			return -1;
		static const char *const zero[] = {"realtimeRuntime", "realtimePeriod", "idle", "burst", NULL};
		for (const char *const *z = zero; *z; z++)
			if (oc_is(oc_get(cpu, *z), json_type_int) && J->json_object_get_int64(oc_get(cpu, *z)) != 0)
				return gph_fail(e, 0, NULL, "config.json linux.resources.cpu.%s: not supported by gophernetes", *z);
		json_object *sh = oc_get(cpu, "shares"), *q = oc_get(cpu, "quota"), *p = oc_get(cpu, "period");
		if (oc_is(sh, json_type_int) && J->json_object_get_int64(sh) > 0) {
			/* cgroup v1 shares -> the weight the step takes (the kernel's own v1<->v2 mapping) */
			long long shares = (long long)J->json_object_get_int64(sh);
			long long w = 1 + ((shares - 2) * 9999) / 262142;
			snprintf(buf, sizeof buf, "%lld", w < 1 ? 1 : w > 10000 ? 10000 : w);
			if (oc_add_step(c, e, "linux.resources.cpu.shares", 3, "cgroup", "cpuweight", buf) < 0)
				return -1;
		}
		if (oc_is(q, json_type_int) && J->json_object_get_int64(q) > 0) {
			long long period = oc_is(p, json_type_int) && J->json_object_get_int64(p) > 0 ? (long long)J->json_object_get_int64(p) : 100000;
			snprintf(buf, sizeof buf, "%.6g", (double)J->json_object_get_int64(q) / (double)period);
			if (period != 100000)
				oci_warn("linux.resources.cpu: the period %lld us becomes 100000 us with the same share (%s CPUs)", period, buf);
			if (oc_add_step(c, e, "linux.resources.cpu.quota", 3, "cgroup", "cpu", buf) < 0)
				return -1;
		}
		const char *cpus = gph_js_str(cpu, "cpus");
		if (cpus && *cpus && oc_add_step(c, e, "linux.resources.cpu.cpus", 3, "cgroup", "cpuset", cpus) < 0)
			return -1;
	}
	json_object *pids = oc_get(r, "pids");
	if (pids) {
		static const char *const pk[] = {"limit", NULL};
		if (oc_check_keys(pids, "linux.resources.pids", pk, e) < 0)
			return -1;
		json_object *l = oc_get(pids, "limit");
		if (oc_is(l, json_type_int) && J->json_object_get_int64(l) > 0) {
			snprintf(buf, sizeof buf, "%lld", (long long)J->json_object_get_int64(l));
			if (oc_add_step(c, e, "linux.resources.pids.limit", 3, "cgroup", "pids", buf) < 0)
				return -1;
		}
	}
	json_object *bio = oc_get(r, "blockIO");
	if (bio) {
		static const char *const bk[] = {"weight", "leafWeight", "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice",
						 "throttleReadIOPSDevice", "throttleWriteIOPSDevice", NULL};
		if (oc_check_keys(bio, "linux.resources.blockIO", bk, e) < 0)
			return -1;
		for (const char *const *b = bk + 1; *b; b++)
			if (oc_must_be_empty(bio, *b, "linux.resources.blockIO", "only blockIO.weight is translated", e) < 0)
				return -1;
		json_object *w = oc_get(bio, "weight");
		if (oc_is(w, json_type_int) && J->json_object_get_int64(w) > 0) {
			/* blkio weight 10-1000 -> io weight 1-10000 */
			snprintf(buf, sizeof buf, "%lld", (long long)J->json_object_get_int64(w) * 10);
			if (oc_add_step(c, e, "linux.resources.blockIO.weight", 4, "cgroup", "io", "weight", buf) < 0)
				return -1;
		}
	}
	if (!oc_empty(oc_get(r, "devices")))
		oci_warn("linux.resources.devices: no device cgroup is set up; gophernetes relies on no CAP_MKNOD and "
			 "its own /dev (`mount dev`) instead");
	return 0;
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
	size_t n = oc_is(list, json_type_array) ? J->json_object_array_length(list) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *p = J->json_object_array_get_idx(list, i);
		const char *path = oc_is(p, json_type_string) ? J->json_object_get_string(p) : "";
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
			found = oc_is(p, json_type_string) && strcmp(J->json_object_get_string(p), full) == 0;
		}
		if (!found) {
			oci_warn("linux.%s: %s is %s by gophernetes too", what, full, how == GPH_PATH_MASK ? "masked" : "made read-only");
			diff++;
		}
	}
	return diff;
}

/* ---- linux.sysctl: only those that belong to a namespace the container has ---- */
int oci_cfg_sysctls(json_object *o, struct oci_config *c, struct gph_err *e)
{
	if (!o)
		return 0;
	if (oc_want(o, json_type_object, "linux.sysctl", e) < 0)
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
		if (!oc_is(v, json_type_string) || strstr(k, "..") || strchr(k, '/') || c->n_sysctl >= 16 ||
		    strlen(k) >= sizeof c->sysctl[0].key || strlen(J->json_object_get_string(v)) >= sizeof c->sysctl[0].value)
			return gph_fail(e, 0, NULL, "config.json linux.sysctl \"%s\": a string value, at most 16 sysctls", k);
		snprintf(c->sysctl[c->n_sysctl].key, sizeof c->sysctl[0].key, "%s", k);
		snprintf(c->sysctl[c->n_sysctl].value, sizeof c->sysctl[0].value, "%s", J->json_object_get_string(v));
		c->sysctl[c->n_sysctl++].ns = ns;
	}
	return 0;
}

int oci_cfg_masks(json_object *linux_, struct oci_config *c, struct gph_err *e)
{
	if (!oc_empty(oc_get(linux_, "maskedPaths")) || !oc_empty(oc_get(linux_, "readonlyPaths"))) {
		if (mask_differences(oc_get(linux_, "maskedPaths"), GPH_PATH_MASK, "maskedPaths") +
			    mask_differences(oc_get(linux_, "readonlyPaths"), GPH_PATH_READONLY, "readonlyPaths") > 0)
			oci_warn("linux.maskedPaths/readonlyPaths: gophernetes applies its own list (`mask on`, the README's "
				 "security defaults), which differs from the config's as said above");
		if (oc_add_step(c, e, "linux.maskedPaths", 2, "mask", "on") < 0)
			return -1;
	}
	return 0;
}
