/* `gophernetes import`: an OCI image layout (index.json + blobs/sha256/...) or a `docker save` archive
 * (manifest.json), as a directory or a tar. A tar is first unpacked into the store's tmp/ with the same
 * safe unpacker as layers; every file of the source is then opened inside it with RESOLVE_IN_ROOT, so
 * hostile symlinks in the source cannot make us read files outside it. Blobs are copied into the
 * store with their digests verified (OCI) or computed (docker save, whose layers are named by path). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "gph/image.h"
#include "json_lib.h"

#define REF_NAME "org.opencontainers.image.ref.name"

struct imp {
	struct gph_store *st;
	int src;          /* the layout's root directory */
	const char *ref;  /* the name given on the command line, or NULL */
	FILE *notes;
	int count;
};

static json_object *read_src_json(struct imp *im, const char *rel, struct gph_err *e)
{
	int fd = gph_open_in_root(im->src, rel, O_RDONLY, e);
	if (fd < 0)
		return NULL;
	return gph_json_read_fd(fd, rel, e);
}

/* Copy a blob of the source into the store; want: the digest it must have (NULL: computed). */
static int copy_blob(struct imp *im, const char *rel, const char *want, char out[GPH_DIGEST_LEN], struct gph_err *e)
{
	int fd = gph_open_in_root(im->src, rel, O_RDONLY, e);
	if (fd < 0)
		return -1;
	int rc = gph_store_put_blob(im->st, fd, want, out, e);
	close(fd);
	if (rc < 0)
		gph_err_wrap(e, "%s: ", rel);
	return rc;
}

static int copy_oci_blob(struct imp *im, const char *digest, struct gph_err *e)
{
	char rel[128], got[GPH_DIGEST_LEN];
	if (!digest || !gph_digest_valid(digest))
		return gph_fail(e, EINVAL, "only sha256 digests are supported", "bad digest \"%s\"", digest ? digest : "(none)");
	snprintf(rel, sizeof rel, "blobs/sha256/%s", digest + 7);
	return copy_blob(im, rel, digest, got, e);
}

static int name_image(struct imp *im, const char *name, const char *manifest, struct gph_err *e)
{
	struct gph_ref r;
	char canon[700];
	im->count++;
	if (im->ref)
		name = im->ref;
	if (!name) {
		if (im->notes)
			fprintf(im->notes, "imported %s (no name: run it by digest)\n", manifest);
		return 0;
	}
	if (gph_ref_parse(name, &r, e) < 0)
		return -1;
	gph_ref_format(&r, canon, sizeof canon);
	if (gph_store_tag(im->st, canon, manifest, e) < 0)
		return -1;
	if (im->notes)
		fprintf(im->notes, "imported %s as %s\n", manifest, canon);
	return 0;
}

static bool platform_ok(json_object *desc)
{
	json_object *p = gph_js_get(desc, "platform", json_type_object);
	struct utsname u;
	if (!p)
		return true;
	const char *os = gph_js_str(p, "os"), *arch = gph_js_str(p, "architecture");
	const char *mine = uname(&u) == 0 && strcmp(u.machine, "aarch64") == 0 ? "arm64" : "amd64";
	return (!os || strcmp(os, "linux") == 0) && (!arch || strcmp(arch, mine) == 0);
}

static int oci_manifest(struct imp *im, const char *digest, const char *name, struct gph_err *e);

/* An index: every manifest for this platform (nested indexes followed to a depth of 4). */
static int oci_index(struct imp *im, json_object *idx, const char *outer_name, int depth, struct gph_err *e)
{
	const struct gph_json_fns *J = gph_json();
	json_object *ms = gph_js_get(idx, "manifests", json_type_array);
	if (!ms)
		return gph_fail(e, EINVAL, NULL, "index: no \"manifests\" list");
	size_t n = J->json_object_array_length(ms);
	for (size_t i = 0; i < n; i++) {
		json_object *d = J->json_object_array_get_idx(ms, i);
		const char *mt = gph_js_str(d, "mediaType"), *dg = gph_js_str(d, "digest");
		const char *name = gph_js_str(gph_js_get(d, "annotations", json_type_object), REF_NAME);
		if (!name)
			name = outer_name;
		if (!platform_ok(d))
			continue;
		if (mt && (strstr(mt, "image.index") || strstr(mt, "manifest.list"))) {
			if (depth >= 4 || copy_oci_blob(im, dg, e) < 0)
				return depth >= 4 ? gph_fail(e, ELOOP, NULL, "indexes nested too deep") : -1;
			char rel[128];
			snprintf(rel, sizeof rel, "blobs/sha256/%s", dg + 7);
			json_object *sub = read_src_json(im, rel, e);
			if (!sub)
				return -1;
			int rc = oci_index(im, sub, name, depth + 1, e);
			J->json_object_put(sub);
			if (rc < 0)
				return -1;
			continue;
		}
		if (oci_manifest(im, dg, name, e) < 0)
			return -1;
	}
	return 0;
}

static int oci_manifest(struct imp *im, const char *digest, const char *name, struct gph_err *e)
{
	const struct gph_json_fns *J = gph_json();
	if (copy_oci_blob(im, digest, e) < 0)
		return -1;
	char rel[128];
	snprintf(rel, sizeof rel, "blobs/sha256/%s", digest + 7);
	json_object *m = read_src_json(im, rel, e);
	if (!m)
		return -1;
	int rc = copy_oci_blob(im, gph_js_str(gph_js_get(m, "config", json_type_object), "digest"), e);
	json_object *layers = gph_js_get(m, "layers", json_type_array);
	size_t n = layers ? J->json_object_array_length(layers) : 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = copy_oci_blob(im, gph_js_str(J->json_object_array_get_idx(layers, i), "digest"), e);
	J->json_object_put(m);
	if (rc < 0 || gph_store_add_image(im->st, digest, e) < 0)
		return -1;
	/* An OCI ref.name is often only a tag ("latest"): then it cannot name the image by itself. */
	if (name && !im->ref && !strchr(name, '/') && !strchr(name, ':') && !strchr(name, '@')) {
		if (im->notes)
			fprintf(im->notes, "note: the layout names the image only \"%s\"; give a name: gophernetes import PATH REF\n",
				name);
		name = NULL;
	}
	return name_image(im, name, digest, e);
}

/* docker save: manifest.json = [{"Config": PATH, "RepoTags": [...], "Layers": [PATH...]}]. The
 * manifest the store keeps is an OCI one made here from the digests computed on the way. */
static int docker_image(struct imp *im, json_object *ent, struct gph_err *e)
{
	const struct gph_json_fns *J = gph_json();
	const char *cfg = gph_js_str(ent, "Config");
	json_object *layers = gph_js_get(ent, "Layers", json_type_array), *tags = gph_js_get(ent, "RepoTags", json_type_array);
	if (!cfg || !layers)
		return gph_fail(e, EINVAL, NULL, "manifest.json: an entry without Config or Layers");
	size_t n = J->json_object_array_length(layers);
	if (n == 0 || n > GPH_IMAGE_MAX_LAYERS)
		return gph_fail(e, EINVAL, NULL, "manifest.json: %zu layers (1 to %d supported)", n, GPH_IMAGE_MAX_LAYERS);
	char cd[GPH_DIGEST_LEN], ld[GPH_DIGEST_LEN];
	size_t cap = 512 + n * 160, len;
	char *m = malloc(cap);
	if (!m)
		return gph_fail(e, ENOMEM, NULL, "manifest.json");
	int rc = -1;
	struct stat sb;
	if (copy_blob(im, cfg, NULL, cd, e) < 0)
		goto out;
	int bfd = gph_store_blob_open(im->st, cd, e);
	if (bfd < 0 || fstat(bfd, &sb) < 0) {
		if (bfd >= 0)
			close(bfd);
		goto out;
	}
	close(bfd);
	len = (size_t)snprintf(m, cap,
			       "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			       "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\","
			       "\"size\":%lld},\"layers\":[",
			       cd, (long long)sb.st_size);
	for (size_t i = 0; i < n; i++) {
		json_object *l = J->json_object_array_get_idx(layers, i);
		if (!l || J->json_object_get_type(l) != json_type_string) {
			gph_fail(e, EINVAL, NULL, "manifest.json: a layer that is not a path");
			goto out;
		}
		if (copy_blob(im, J->json_object_get_string(l), NULL, ld, e) < 0 || (bfd = gph_store_blob_open(im->st, ld, e)) < 0)
			goto out;
		fstat(bfd, &sb);
		close(bfd);
		len += (size_t)snprintf(m + len, cap - len,
					"%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%lld}",
					i ? "," : "", ld, (long long)sb.st_size);
	}
	len += (size_t)snprintf(m + len, cap - len, "]}");
	char md[GPH_DIGEST_LEN];
	if (gph_store_put_blob_mem(im->st, m, len, md, e) < 0 || gph_store_add_image(im->st, md, e) < 0)
		goto out;
	size_t nt = tags ? J->json_object_array_length(tags) : 0;
	if (im->ref || nt == 0)
		rc = name_image(im, NULL, md, e);
	else
		for (size_t i = 0; i < nt; i++)
			if ((rc = name_image(im, J->json_object_get_string(J->json_object_array_get_idx(tags, i)), md, e)) < 0)
				break;
out:
	free(m);
	return rc;
}

static int import_dir(struct imp *im, struct gph_err *e)
{
	const struct gph_json_fns *J = gph_json();
	struct gph_err probe;
	int fd = gph_open_in_root(im->src, "index.json", O_RDONLY, &probe);
	int rc = -1;
	if (fd >= 0) {
		close(fd);
		json_object *idx = read_src_json(im, "index.json", e);
		if (!idx)
			return -1;
		rc = oci_index(im, idx, NULL, 0, e);
		J->json_object_put(idx);
	} else {
		json_object *man = read_src_json(im, "manifest.json", e);
		if (!man) {
			gph_err_hint(e, "an image is an OCI layout (index.json) or a `docker save` archive (manifest.json)");
			return -1;
		}
		size_t n = J->json_object_get_type(man) == json_type_array ? J->json_object_array_length(man) : 0;
		rc = n ? 0 : gph_fail(e, EINVAL, NULL, "manifest.json: no images");
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = docker_image(im, J->json_object_array_get_idx(man, i), e);
		J->json_object_put(man);
	}
	if (rc == 0 && im->count == 0)
		rc = gph_fail(e, ENOENT, "the archive may hold images for other platforms only", "no image for linux found");
	return rc;
}

int gph_image_import(struct gph_store *st, const char *path, const char *ref, FILE *notes, struct gph_err *e)
{
	struct imp im = {.st = st, .src = -1, .ref = ref, .notes = notes};
	char tmp[PATH_MAX + 64] = "";
	struct stat sb;
	int rc = -1;
	if (gph_json_load(e) < 0 || gph_image_ar_load(e) < 0)
		return -1;
	if (stat(path, &sb) < 0)
		return gph_fail(e, errno, NULL, "stat(\"%s\")", path);
	if (S_ISDIR(sb.st_mode)) {
		if ((im.src = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			return gph_fail(e, errno, NULL, "open(\"%s\")", path);
	} else {
		snprintf(tmp, sizeof tmp, "%s/tmp/import-XXXXXX", st->root);
		if (!mkdtemp(tmp))
			return gph_fail(e, errno, NULL, "mkdtemp(\"%s\")", tmp);
		int afd = open(path, O_RDONLY | O_CLOEXEC);
		if (afd < 0) {
			gph_fail(e, errno, NULL, "open(\"%s\")", path);
			goto out;
		}
		im.src = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct gph_unpack_opts o = {.layer = false, .as_root = false};
		int urc = im.src < 0 ? gph_fail(e, errno, NULL, "open(\"%s\")", tmp) : gph_unpack(afd, im.src, &o, e);
		close(afd);
		if (urc < 0) {
			gph_err_wrap(e, "%s: ", path);
			goto out;
		}
	}
	rc = import_dir(&im, e);
	if (rc < 0 && !strstr(e->msg, path))
		gph_err_wrap(e, "import \"%s\": ", path);
out:
	if (im.src >= 0)
		close(im.src);
	struct gph_err ignore;
	if (tmp[0])
		gph_rm_tree(tmp, &ignore);
	if (rc < 0) {
		/* What a refused import stored (verified blobs, unpacked layers) no image uses: remove it. */
		int removed;
		gph_store_gc(st, &removed, &ignore);
	}
	return rc;
}
