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
#include "gph/manifest.h"
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

/* A blob's text (a JSON document of at most 16 MiB). */
static char *read_blob_text(struct gph_store *st, const char *digest, const char *what, struct gph_err *e)
{
	int fd = gph_store_blob_open(st, digest, e);
	if (fd < 0)
		return NULL;
	return gph_json_slurp_fd(fd, what, e);
}

static int write_config(struct gph_store *st, const char *dir, const char *cdigest, struct gph_err *e)
{
	struct gph_image_config c;
	char *text = read_blob_text(st, cdigest, "image config", e);
	if (!text)
		return -1;
	int rc = gph_image_config_parse(text, &c, e);
	free(text);
	for (int i = 0; rc == 0 && i < GPH_CFG_NWORDS; i++)
		if (c.words[i])
			rc = write_file(dir, gph_cfg_words_name[i], c.words[i], c.len[i], e);
	if (rc == 0 && ((c.workdir && write_file(dir, "workdir", c.workdir, strlen(c.workdir), e) < 0) ||
			(c.user && write_file(dir, "user", c.user, strlen(c.user), e) < 0)))
		rc = -1;
	gph_image_config_free(&c);
	return rc;
}

int gph_store_add_image(struct gph_store *st, const char *manifest, struct gph_err *e)
{
	char tmp[PATH_MAX + 64], dst[PATH_MAX + 96];
	struct stat sb;
	if (gph_json_load(e) < 0)
		return -1;
	snprintf(dst, sizeof dst, "%s/images/%s", st->root, manifest + 7);
	if (stat(dst, &sb) == 0)
		return 0;
	struct gph_manifest m;
	char *text = read_blob_text(st, manifest, "image manifest", e);
	if (!text)
		return -1;
	int rc = gph_manifest_parse(text, manifest, &m, e);
	free(text);
	if (rc < 0)
		return -1;
	rc = -1;
	size_t nl = m.nlayers;
	snprintf(tmp, sizeof tmp, "%s/tmp/image-XXXXXX", st->root);
	if (!mkdtemp(tmp))
		return gph_fail(e, errno, NULL, "mkdtemp(\"%s\")", tmp);
	char *lay = calloc(nl, 66), *blobs = calloc(nl + 2, 73);
	if (!lay || !blobs) {
		free(lay);
		free(blobs);
		gph_fail(e, ENOMEM, NULL, "manifest %.19s", manifest);
		goto out;
	}
	size_t ll = 0, bl = (size_t)sprintf(blobs, "%s\n%s\n", manifest, m.config);
	for (size_t i = 0; i < nl; i++) {
		const char *d = m.layers[i];
		if (gph_store_unpack_layer(st, d, e) < 0)
			break;
		ll += (size_t)sprintf(lay + ll, "%s\n", d + 7);
		bl += (size_t)sprintf(blobs + bl, "%s\n", d);
		if (i == nl - 1)
			rc = 0;
	}
	if (rc == 0)
		rc = write_file(tmp, "layers", lay, ll, e) < 0 || write_file(tmp, "blobs", blobs, bl, e) < 0 ||
				     write_config(st, tmp, m.config, e) < 0
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
	return rc;
}
