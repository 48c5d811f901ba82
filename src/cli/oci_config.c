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
#include "oci_config_priv.h"

const char *const oci_hook_kinds[7] = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL};

/* ---- hooks ---- */
static int parse_hooks(json_object *hooks, struct oci_config *c, struct gph_err *e)
{
	if (oc_check_keys(hooks, "hooks", oci_hook_kinds, e) < 0)
		return -1;
	for (int k = 0; k < 6; k++) {
		json_object *a = oc_get(hooks, oci_hook_kinds[k]);
		size_t n = a ? J->json_object_array_length(a) : 0;
		if (n && (k == HOOK_CREATE_CONTAINER || k == HOOK_START_CONTAINER))
			return gph_fail(e, 0, NULL, "config.json hooks.%s: hooks inside the container's namespaces are not supported by gophernetes",
					oci_hook_kinds[k]);
		if (n > OCI_MAX_HOOKS)
			return gph_fail(e, E2BIG, NULL, "config.json hooks.%s: at most %d", oci_hook_kinds[k], OCI_MAX_HOOKS);
		for (size_t i = 0; i < n; i++) {
			json_object *h = J->json_object_array_get_idx(a, i);
			static const char *const hk[] = {"path", "args", "env", "timeout", NULL};
			if (oc_check_keys(h, "hooks[]", hk, e) < 0)
				return -1;
			const char *hp = gph_js_str(h, "path");
			if (!hp || hp[0] != '/')
				return gph_fail(e, 0, NULL, "config.json hooks.%s[%zu].path: an absolute path is needed", oci_hook_kinds[k], i);
			struct oci_hook *oh = &c->hooks[k][c->n_hooks[k]++];
			oh->path = strdup(hp);
			oh->args = oc_get(h, "args") ? oc_str_array(oc_get(h, "args"), "hooks[].args", e) : NULL;
			oh->env = oc_get(h, "env") ? oc_str_array(oc_get(h, "env"), "hooks[].env", e) : NULL;
			oh->timeout = oc_is(oc_get(h, "timeout"), json_type_int) ? (int)J->json_object_get_int64(oc_get(h, "timeout")) : 0;
			if (!oh->path || (oc_get(h, "args") && !oh->args) || (oc_get(h, "env") && !oh->env))
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
	if (oc_check_keys(root, "", top, e) < 0 || oc_must_be_empty(root, "domainname", "", NULL, e) < 0)
		goto out;
	const char *ver = gph_js_str(root, "ociVersion");
	if (!ver || strncmp(ver, "1.", 2) != 0) {
		gph_fail(e, 0, NULL, "config.json ociVersion \"%s\": gophernetes reads 1.x", ver ? ver : "");
		goto out;
	}
	json_object *linux_ = oc_get(root, "linux");
	static const char *const lk[] = {"namespaces", "uidMappings", "gidMappings", "resources", "cgroupsPath", "maskedPaths",
					 "readonlyPaths", "seccomp", "sysctl", "devices", "rootfsPropagation", "mountLabel",
					 "intelRdt", "personality", "timeOffsets", NULL};
	if (!linux_) {
		gph_fail(e, 0, NULL, "config.json: no linux object");
		goto out;
	}
	if (oc_check_keys(linux_, "linux", lk, e) < 0 || oc_must_be_empty(linux_, "devices", "linux", "extra device nodes are not made", e) < 0 ||
	    oc_must_be_empty(linux_, "mountLabel", "linux", NULL, e) < 0 || oc_must_be_empty(linux_, "intelRdt", "linux", NULL, e) < 0 ||
	    oc_must_be_empty(linux_, "personality", "linux", NULL, e) < 0 || oc_must_be_empty(linux_, "timeOffsets", "linux", NULL, e) < 0)
		goto out;
	const char *prop = gph_js_str(linux_, "rootfsPropagation");
	if (prop && *prop && strcmp(prop, "private") && strcmp(prop, "rprivate")) {
		gph_fail(e, 0, NULL, "config.json linux.rootfsPropagation \"%s\": gophernetes keeps the root private", prop);
		goto out;
	}
	if (oci_cfg_namespaces(linux_, c, e) < 0 || oci_cfg_sysctls(oc_get(linux_, "sysctl"), c, e) < 0 ||
	    oci_cfg_resources(oc_get(linux_, "resources"), c, e) < 0)
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
		if (oc_add_step(c, e, "hostname", 2, "hostname", host) < 0)
			goto out;
	}
	/* root */
	json_object *r = oc_get(root, "root");
	static const char *const rk[] = {"path", "readonly", NULL};
	if (!r || oc_check_keys(r, "root", rk, e) < 0) {
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
	json_object *ms = oc_get(root, "mounts");
	if ((ms && oc_want(ms, json_type_array, "mounts", e) < 0) ||
	    oci_cfg_mounts(ms, c, &want_proc, &want_dev, &want_sys, tmpfs, &n_tmpfs, e) < 0)
		goto out;
	if (oc_add_step(c, e, "root.path", 2, "pivot_root", rootdir) < 0)
		goto out;
	if ((want_proc && oc_add_step(c, e, "mounts /proc", 2, "mount", "proc") < 0) ||
	    (want_dev && oc_add_step(c, e, "mounts /dev", 2, "mount", "dev") < 0) ||
	    (want_sys && oc_add_step(c, e, "mounts /sys", 2, "mount", "sys") < 0))
		goto out;
	for (int i = 0; i < n_tmpfs; i++)
		if (oc_add_step(c, e, "mounts (tmpfs)", 3, "mount", "tmpfs", tmpfs[i]) < 0)
			goto out;
	json_object *ro = oc_get(r, "readonly");
	if (oc_is(ro, json_type_boolean) && J->json_object_get_boolean(ro) && oc_add_step(c, e, "root.readonly", 1, "readonly") < 0)
		goto out;
	/* masks, then the process (capabilities, nnp, user), then seccomp and the working directory */
	if (oci_cfg_masks(linux_, c, e) < 0)
		goto out;
	char cwd[PATH_MAX];
	if (oci_cfg_process(oc_get(root, "process"), c, cwd, sizeof cwd, false, e) < 0)
		goto out;
	json_object *sc = oc_get(linux_, "seccomp");
	if (sc) {
		c->seccomp = true;
		const char *def = gph_js_str(sc, "defaultAction");
		oci_warn("linux.seccomp (defaultAction %s): gophernetes applies its own default filter (a deny list after "
			 "Docker's profile), not the config's rules one by one", def ? def : "?");
		if (oc_add_step(c, e, "linux.seccomp", 2, "seccomp", "default") < 0)
			goto out;
	}
	if (strcmp(cwd, "/") != 0 && oc_add_step(c, e, "process.cwd", 2, "workdir", cwd) < 0)
		goto out;
	/* hooks */
	json_object *hooks = oc_get(root, "hooks");
	if (hooks && parse_hooks(hooks, c, e) < 0)
		goto out;
	if (hooks && (c->n_hooks[HOOK_POSTSTART] || c->n_hooks[HOOK_POSTSTOP]) &&
	    !(c->hooks_json = strdup(J->json_object_to_json_string(hooks)))) {
		gph_fail(e, ENOMEM, NULL, "hooks");
		goto out;
	}
	json_object *ann = oc_get(root, "annotations");
	if (ann && oc_want(ann, json_type_object, "annotations", e) < 0)
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
	int rc = oci_cfg_process(p, c, cwd, cwdlen, true, e);
	J->json_object_put(p);
	if (rc < 0)
		oci_config_free(c);
	return rc;
}

void oci_config_free(struct oci_config *c)
{
	oc_free_strv(c->args);
	oc_free_strv(c->env);
	c->args = c->env = NULL;
	for (int k = 0; k < 6; k++)
		for (int i = 0; i < c->n_hooks[k]; i++) {
			free(c->hooks[k][i].path);
			oc_free_strv(c->hooks[k][i].args);
			oc_free_strv(c->hooks[k][i].env);
		}
	memset(c->n_hooks, 0, sizeof c->n_hooks);
	free(c->annotations);
	c->annotations = NULL;
	free(c->hooks_json);
	c->hooks_json = NULL;
}
