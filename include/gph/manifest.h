/* The JSON documents of an image read into plain structs (src/image/manifest.c): pure functions of the
 * text, no I/O, so the store, pull and the fuzz target (tests/fuzz/manifest.c) run the same code.
 * json-c must be loaded first (gph_json_load, src/image/json_lib.h): it is dlopen'ed on first use. */
#ifndef GPH_MANIFEST_H
#define GPH_MANIFEST_H
#include <stdbool.h>
#include <stddef.h>
#include "gph/image.h"

/* An image manifest (OCI, or Docker schema 2): the config's digest and the layers' digests, bottom
 * first; every digest valid (gph_digest_valid), 1 to GPH_IMAGE_MAX_LAYERS layers. label names the
 * manifest in messages ("manifest LABEL: ..."; its digest). */
struct gph_manifest {
	char config[GPH_DIGEST_LEN];
	size_t nlayers;
	char layers[GPH_IMAGE_MAX_LAYERS][GPH_DIGEST_LEN];
};
int gph_manifest_parse(const char *text, const char *label, struct gph_manifest *m, struct gph_err *e);

/* An image index or manifest list: the digest of its first manifest whose platform is want ("OS/ARCH")
 * and whose digest is valid. 1 found; 0 the text is no index (no "manifests" list: an image manifest);
 * -1 not JSON, or no manifest for want. label names the document in messages. */
int gph_index_pick(const char *text, const char *label, const char *want, char out[GPH_DIGEST_LEN],
		   struct gph_err *e);

/* An image config's run settings. Entrypoint, Cmd and Env as NUL-separated words (words[i] NULL when
 * the config does not set it, and then no run file is written; an empty list is set, len 0);
 * WorkingDir and User NULL when unset or empty. Heap: gph_image_config_free. */
enum { GPH_CFG_ENTRYPOINT, GPH_CFG_CMD, GPH_CFG_ENV, GPH_CFG_NWORDS };
extern const char *const gph_cfg_words_name[GPH_CFG_NWORDS]; /* "entrypoint", "cmd", "env": the run files */
struct gph_image_config {
	char *words[GPH_CFG_NWORDS];
	size_t len[GPH_CFG_NWORDS];
	char *workdir, *user;
};
int gph_image_config_parse(const char *text, struct gph_image_config *c, struct gph_err *e);
void gph_image_config_free(struct gph_image_config *c);

#endif
