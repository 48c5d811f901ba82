/* An image's JSON documents, from their text to plain structs (include/gph/manifest.h): the manifest
 * the store unpacks, the index pull narrows to a platform, the config `run --image` takes its command
 * from. No I/O here: the callers read the blobs, the fuzz target feeds any text. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gph/manifest.h"
#include "json_lib.h"

const char *const gph_cfg_words_name[GPH_CFG_NWORDS] = {"entrypoint", "cmd", "env"};

int gph_manifest_parse(const char *text, const char *label, struct gph_manifest *m, struct gph_err *e)
{
	const struct gph_json_fns *J = gph_json();
	memset(m, 0, sizeof *m);
	json_object *o = gph_json_parse_text(text, "image manifest", e);
	if (!o)
		return -1;
	int rc = -1;
	const char *cdigest = gph_js_str(gph_js_get(o, "config", json_type_object), "digest");
	json_object *layers = gph_js_get(o, "layers", json_type_array);
	if (!cdigest || !gph_digest_valid(cdigest) || !layers) {
		gph_fail(e, EINVAL, "only OCI and Docker schema 2 image manifests are supported",
			 "manifest %.19s: no config digest or no layers", label);
		goto out;
	}
	size_t nl = J->json_object_array_length(layers);
	if (nl == 0 || nl > GPH_IMAGE_MAX_LAYERS) {
		gph_fail(e, EINVAL, NULL, "manifest %.19s: %zu layers (1 to %d supported)", label, nl, GPH_IMAGE_MAX_LAYERS);
		goto out;
	}
	snprintf(m->config, sizeof m->config, "%s", cdigest);
	for (size_t i = 0; i < nl; i++) {
		const char *d = gph_js_str(J->json_object_array_get_idx(layers, i), "digest");
		if (!d || !gph_digest_valid(d)) {
			gph_fail(e, EINVAL, NULL, "manifest %.19s: layer %zu has no valid digest", label, i);
			goto out;
		}
		snprintf(m->layers[i], sizeof m->layers[i], "%s", d);
	}
	m->nlayers = nl;
	rc = 0;
out:
	J->json_object_put(o);
	return rc;
}

static bool platform_match(json_object *p, const char *want)
{
	char os[64], arch[64];
	const char *o = gph_js_str(p, "os"), *a = gph_js_str(p, "architecture"), *slash = strchr(want, '/');
	snprintf(os, sizeof os, "%.*s", slash ? (int)(slash - want) : 0, want);
	snprintf(arch, sizeof arch, "%s", slash ? slash + 1 : want);
	return o && a && strcmp(o, os) == 0 && strcmp(a, arch) == 0;
}

int gph_index_pick(const char *text, const char *label, const char *want, char out[GPH_DIGEST_LEN], struct gph_err *e)
{
	const struct gph_json_fns *J = gph_json();
	json_object *o = J->json_tokener_parse(text);
	out[0] = 0;
	if (!o)
		return gph_fail(e, EINVAL, NULL, "manifest of %s: not valid JSON", label);
	json_object *list = gph_js_get(o, "manifests", json_type_array);
	int rc = 0;
	size_t n = list ? J->json_object_array_length(list) : 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		json_object *d = J->json_object_array_get_idx(list, i);
		const char *dg = gph_js_str(d, "digest");
		if (dg && gph_digest_valid(dg) && platform_match(gph_js_get(d, "platform", json_type_object), want)) {
			snprintf(out, GPH_DIGEST_LEN, "%s", dg);
			rc = 1;
		}
	}
	if (list && rc == 0)
		rc = gph_fail(e, ENOENT, "--platform OS/ARCH picks another", "%s has no image for %s", label, want);
	J->json_object_put(o);
	return rc;
}

/* A JSON array of strings as NUL-separated words (a 1-byte buffer, len 0, for an empty one). */
static int words(json_object *arr, const char *name, char **out, size_t *out_len, struct gph_err *e)
{
	const struct gph_json_fns *J = gph_json();
	size_t n = J->json_object_array_length(arr), len = 0;
	char *buf = malloc(1);
	if (!buf)
		return gph_fail(e, ENOMEM, NULL, "image config %s", name);
	for (size_t i = 0; i < n; i++) {
		json_object *s = J->json_object_array_get_idx(arr, i);
		if (!s || J->json_object_get_type(s) != json_type_string) {
			free(buf);
			return gph_fail(e, EINVAL, NULL, "image config: %s holds something not a string", name);
		}
		const char *v = J->json_object_get_string(s);
		size_t vl = strlen(v) + 1;
		char *nb = realloc(buf, len + vl);
		if (!nb) {
			free(buf);
			return gph_fail(e, ENOMEM, NULL, "image config %s", name);
		}
		buf = nb;
		memcpy(buf + len, v, vl);
		len += vl;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

static int str_dup(json_object *c, const char *key, char **out, struct gph_err *e)
{
	const char *v = gph_js_str(c, key);
	*out = NULL;
	if (!v || !*v)
		return 0;
	if (!(*out = strdup(v)))
		return gph_fail(e, ENOMEM, NULL, "image config %s", key);
	return 0;
}

int gph_image_config_parse(const char *text, struct gph_image_config *c, struct gph_err *e)
{
	static const char *const keys[GPH_CFG_NWORDS] = {"Entrypoint", "Cmd", "Env"};
	memset(c, 0, sizeof *c);
	json_object *cfg = gph_json_parse_text(text, "image config", e);
	if (!cfg)
		return -1;
	json_object *conf = gph_js_get(cfg, "config", json_type_object);
	int rc = 0;
	for (int i = 0; rc == 0 && i < GPH_CFG_NWORDS; i++) {
		json_object *arr = gph_js_get(conf, keys[i], json_type_array);
		if (arr)
			rc = words(arr, gph_cfg_words_name[i], &c->words[i], &c->len[i], e);
	}
	if (rc == 0)
		rc = str_dup(conf, "WorkingDir", &c->workdir, e) < 0 || str_dup(conf, "User", &c->user, e) < 0 ? -1 : 0;
	gph_json()->json_object_put(cfg);
	if (rc < 0)
		gph_image_config_free(c);
	return rc;
}

void gph_image_config_free(struct gph_image_config *c)
{
	for (int i = 0; i < GPH_CFG_NWORDS; i++) {
		free(c->words[i]);
		c->words[i] = NULL;
		c->len[i] = 0;
	}
	free(c->workdir);
	free(c->user);
	c->workdir = c->user = NULL;
}
