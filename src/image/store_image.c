/* ROOT/images/HEX for a manifest already in the store: its layers unpacked, and the files `run --image`
 * reads without a JSON parser: layers (layer digests' hex, bottom first), blobs (every digest the image
 * holds), entrypoint, cmd, env (NUL-separated), workdir, user. Made in tmp/ and renamed into place. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gph/image.h"
#include "json_lib.h"

static int write_file(const char *dir, const char *name, const char *data, size_t n, struct gph_err *e)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return gph_fail(e, errno, NULL, "open(\"%s\")", p);
	ssize_t w = write(fd, data, n);
	int err = errno;
	close(fd);
	return w != (ssize_t)n ? gph_fail(e, w < 0 ? err : EIO, NULL, "write(\"%s\")", p) : 0;
}

/* A JSON array of strings as NUL-separated words; absent or null: no file. */
static int write_strings(const char *dir, const char *name, json_object *arr, struct gph_err *e)
{
	const struct gph_json_fns *J = gph_json();
	if (!arr)
		return 0;
	size_t n = J->json_object_array_length(arr), len = 0;
	char *buf = NULL;
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
	int rc = write_file(dir, name, buf ? buf : "", len, e);
	free(buf);
	return rc;
}

static json_object *read_blob_json(struct gph_store *st, const char *digest, const char *what, struct gph_err *e)
{
	int fd = gph_store_blob_open(st, digest, e);
	if (fd < 0)
		return NULL;
	return gph_json_read_fd(fd, what, e);
}

static int write_config(struct gph_store *st, const char *dir, const char *cdigest, struct gph_err *e)
{
	json_object *cfg = read_blob_json(st, cdigest, "image config", e);
	if (!cfg)
		return -1;
	json_object *c = gph_js_get(cfg, "config", json_type_object);
	const char *wd = gph_js_str(c, "WorkingDir"), *user = gph_js_str(c, "User");
	int rc = -1;
	if (write_strings(dir, "entrypoint", gph_js_get(c, "Entrypoint", json_type_array), e) < 0 ||
	    write_strings(dir, "cmd", gph_js_get(c, "Cmd", json_type_array), e) < 0 ||
	    write_strings(dir, "env", gph_js_get(c, "Env", json_type_array), e) < 0 ||
	    (wd && *wd && write_file(dir, "workdir", wd, strlen(wd), e) < 0) ||
	    (user && *user && write_file(dir, "user", user, strlen(user), e) < 0))
		goto out;
	rc = 0;
out:
	gph_json()->json_object_put(cfg);
	return rc;
}

int gph_store_add_image(struct gph_store *st, const char *manifest, struct gph_err *e)
{
	char tmp[PATH_MAX + 64], dst[PATH_MAX + 96];
	struct stat sb;
	if (gph_json_load(e) < 0)
		return -1;
	const struct gph_json_fns *J = gph_json();
	snprintf(dst, sizeof dst, "%s/images/%s", st->root, manifest + 7);
	if (stat(dst, &sb) == 0)
		return 0;
	json_object *m = read_blob_json(st, manifest, "image manifest", e);
	if (!m)
		return -1;
	int rc = -1;
	tmp[0] = 0;
	const char *cdigest = gph_js_str(gph_js_get(m, "config", json_type_object), "digest");
	json_object *layers = gph_js_get(m, "layers", json_type_array);
	if (!cdigest || !gph_digest_valid(cdigest) || !layers) {
		gph_fail(e, EINVAL, "only OCI and Docker schema 2 image manifests are supported",
			 "manifest %.19s: no config digest or no layers", manifest);
		goto out;
	}
	size_t nl = J->json_object_array_length(layers);
	if (nl == 0 || nl > GPH_IMAGE_MAX_LAYERS) {
		gph_fail(e, EINVAL, NULL, "manifest %.19s: %zu layers (1 to %d supported)", manifest, nl, GPH_IMAGE_MAX_LAYERS);
		goto out;
	}
	snprintf(tmp, sizeof tmp, "%s/tmp/image-XXXXXX", st->root);
	if (!mkdtemp(tmp)) {
		gph_fail(e, errno, NULL, "mkdtemp(\"%s\")", tmp);
		tmp[0] = 0;
		goto out;
	}
	char *lay = calloc(nl, 66), *blobs = calloc(nl + 2, 73);
	if (!lay || !blobs) {
		free(lay);
		free(blobs);
		gph_fail(e, ENOMEM, NULL, "manifest %.19s", manifest);
		goto out;
	}
	size_t ll = 0, bl = (size_t)sprintf(blobs, "%s\n%s\n", manifest, cdigest);
	for (size_t i = 0; i < nl; i++) {
		const char *d = gph_js_str(J->json_object_array_get_idx(layers, i), "digest");
		if (!d || !gph_digest_valid(d)) {
			gph_fail(e, EINVAL, NULL, "manifest %.19s: layer %zu has no valid digest", manifest, i);
			break;
		}
		if (gph_store_unpack_layer(st, d, e) < 0)
			break;
		ll += (size_t)sprintf(lay + ll, "%s\n", d + 7);
		bl += (size_t)sprintf(blobs + bl, "%s\n", d);
		if (i == nl - 1)
			rc = 0;
	}
	if (rc == 0)
		rc = write_file(tmp, "layers", lay, ll, e) < 0 || write_file(tmp, "blobs", blobs, bl, e) < 0 ||
				     write_config(st, tmp, cdigest, e) < 0
			     ? -1
			     : 0;
	free(lay);
	free(blobs);
	if (rc == 0 && rename(tmp, dst) < 0)
		rc = gph_fail(e, errno, NULL, "rename(\"%s\", \"%s\")", tmp, dst);
	if (rc == 0)
		tmp[0] = 0;
out:
	if (tmp[0]) {
		struct gph_err ignore;
		gph_rm_tree(tmp, &ignore);
	}
	J->json_object_put(m);
	return rc;
}
