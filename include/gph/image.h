/* Container images: references, the content-addressed store, safe layer unpacking, import, and what
 * `run --image` needs to start one. libarchive and json-c are loaded with dlopen on first use
 * (src/image/archive_lib.h, json_lib.h), so the plain `run` path never loads them; the store's
 * per-image run files (entrypoint, cmd, env, ...) are plain text, read without either library. */
#ifndef GPH_IMAGE_H
#define GPH_IMAGE_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "gph/error.h"

#define GPH_STORE_DEFAULT "/var/lib/gophernetes"
#define GPH_DIGEST_LEN 72 /* "sha256:" + 64 hex + NUL, rounded */

/* ---- SHA-256 (src/image/sha256.c) ---- */
struct gph_sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t fill;
};
void gph_sha256_init(struct gph_sha256 *s);
void gph_sha256_update(struct gph_sha256 *s, const void *data, size_t n);
void gph_sha256_hex(struct gph_sha256 *s, char out[65]); /* finishes s */

/* ---- references (src/image/ref.c) ---- */
struct gph_ref {
	char registry[256]; /* "docker.io", "127.0.0.1:5000" */
	char repo[256];     /* "library/busybox" */
	char tag[129];      /* "latest"; "" when only a digest was given */
	char digest[GPH_DIGEST_LEN]; /* "sha256:..." or "" */
};
/* The usual forms: busybox, library/alpine:3.19, host:port/repo:tag, repo@sha256:HEX; Docker Hub is the
 * default registry, "library/" its default namespace, "latest" the default tag. */
int gph_ref_parse(const char *s, struct gph_ref *r, struct gph_err *e);
/* The canonical text: "docker.io/library/busybox:latest", or "...@sha256:HEX" for a digest reference. */
void gph_ref_format(const struct gph_ref *r, char *buf, size_t len);
/* "sha256:" and exactly 64 lower-case hex digits. */
bool gph_digest_valid(const char *d);

/* ---- path resolution inside a directory (src/image/safe_path.c) ---- */
/* A member name as the unpacker uses it: leading "/" and "./" dropped, "." components and doubled
 * slashes removed. -1 for a ".." component (refused, not re-rooted), 0 otherwise; "" is the root. */
int gph_member_clean(const char *name, char *out, size_t len);
/* Open the directory that holds the last component of rel (a cleaned name) as the kernel resolves it
 * with rootfd as "/" (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): symlinks, even hostile ones,
 * stay inside. Missing directories on the way are created when create is set. Returns an O_PATH
 * directory fd and the last component in base. */
int gph_open_parent(int rootfd, const char *rel, bool create, char *base, size_t baselen, struct gph_err *e);
/* openat2(rootfd, rel, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). */
int gph_open_in_root(int rootfd, const char *rel, int flags, struct gph_err *e);
/* Remove path and everything under it without following symlinks (nftw FTW_PHYS; any depth). A path
 * that does not exist is not an error. */
int gph_rm_tree(const char *path, struct gph_err *e);

/* ---- unpacking (src/image/unpack.c) ---- */
struct gph_unpack_opts {
	bool layer;    /* an image layer: OCI whiteouts become overlayfs whiteouts (char 0:0, opaque xattr) */
	bool as_root;  /* keep owners, device nodes, setuid bits and xattrs (only when euid 0) */
};
/* Unpack the tar stream on fd (gzip, zstd, ... detected) into the empty directory rootfd. A member that
 * cannot be placed safely stops it with an error naming the member; the caller removes the directory. */
int gph_unpack(int fd, int rootfd, const struct gph_unpack_opts *o, struct gph_err *e);

/* ---- the store (src/image/store*.c) ---- */
struct gph_store {
	char root[PATH_MAX];
	int rootfd;  /* O_PATH|O_DIRECTORY of root */
	int lockfd;  /* root/lock, flock()ed shared or exclusive for the life of the handle */
};
/* Create (if need be) and lock the store at root (NULL: GPH_STORE_DEFAULT). exclusive: writers
 * (import, pull, rmi); readers (images, run) share the lock. */
int gph_store_open(struct gph_store *st, const char *root, bool exclusive, struct gph_err *e);
void gph_store_close(struct gph_store *st);
/* Whether root (NULL: the default) holds a store; looking an image up never creates one. */
bool gph_store_exists(const char *root);
/* Copy fd into blobs/sha256/HEX: written to a temporary file, hashed on the way, renamed into place only
 * when the digest matches want (when given). out gets the digest. */
int gph_store_put_blob(struct gph_store *st, int fd, const char *want, char out[GPH_DIGEST_LEN], struct gph_err *e);
/* The same, streaming: begin, write as data arrives (hashed on the way), commit (verify + rename) or
 * abort (the temporary file goes). */
struct gph_blob_writer {
	struct gph_store *st;
	int fd;
	char tmp[PATH_MAX + 64];
	struct gph_sha256 h;
	long long size;
};
int gph_blob_begin(struct gph_store *st, struct gph_blob_writer *w, struct gph_err *e);
int gph_blob_write(struct gph_blob_writer *w, const void *p, size_t n, struct gph_err *e);
int gph_blob_commit(struct gph_blob_writer *w, const char *want, char out[GPH_DIGEST_LEN], struct gph_err *e);
void gph_blob_abort(struct gph_blob_writer *w);
bool gph_store_has_blob(struct gph_store *st, const char *digest);
int gph_store_put_blob_mem(struct gph_store *st, const void *p, size_t n, char out[GPH_DIGEST_LEN], struct gph_err *e);
int gph_store_blob_open(struct gph_store *st, const char *digest, struct gph_err *e);
/* Unpack layer blob digest into layers/HEX once (a temporary directory renamed into place). */
int gph_store_unpack_layer(struct gph_store *st, const char *digest, struct gph_err *e);
/* The refs file: "REF DIGEST" lines (DIGEST the manifest's). */
int gph_store_tag(struct gph_store *st, const char *ref, const char *manifest, struct gph_err *e);
/* The manifest digest of a reference (canonical or as typed); 1 found, 0 not, -1 error. */
int gph_store_lookup(struct gph_store *st, const char *ref, char out[GPH_DIGEST_LEN], struct gph_err *e);
/* Remove the names ref stands for (a name: that one; a digest or id: all of the image's); *left gets how
 * many names still point at manifest digest. */
int gph_store_untag(struct gph_store *st, const char *ref, const char *digest, int *left, struct gph_err *e);
int gph_store_list(struct gph_store *st, FILE *out, struct gph_err *e);
/* Untag ref; remove the image, then every blob and layer no remaining image uses. */
int gph_store_rmi(struct gph_store *st, const char *ref, FILE *notes, struct gph_err *e);
/* Remove every blob and layer that no image in ROOT/images lists; removed gets how many went. */
int gph_store_gc(struct gph_store *st, int *removed, struct gph_err *e);
/* images/HEX from an OCI manifest blob already in the store: its layers unpacked, run files written. */
int gph_store_add_image(struct gph_store *st, const char *manifest, struct gph_err *e);

/* ---- import (src/image/import*.c) ---- */
/* Load libarchive now, so a missing library is reported before anything is written. */
int gph_image_ar_load(struct gph_err *e);
/* A `docker save` archive or an OCI image layout (directory or tar). ref, when given, names the image
 * (the archive must hold exactly one); otherwise the names inside are used. notes: one line per image. */
int gph_image_import(struct gph_store *st, const char *path, const char *ref, FILE *notes, struct gph_err *e);

/* ---- pull (src/image/pull.c) ---- */
struct gph_pull_opts {
	bool insecure;          /* plain HTTP allowed */
	const char *creds;      /* "user:pass" or NULL */
	const char *platform;   /* "linux/amd64" */
	FILE *notes;            /* a line per blob */
};
int gph_image_pull(struct gph_store *st, const char *ref, const struct gph_pull_opts *o, struct gph_err *e);
void gph_pull_default_platform(char *out, size_t len);
/* `run --pull=missing|always|never` (src/image/image_ensure.c): look ref up in the store at root (a
 * shared lock; no library loaded) and pull it when it is missing, or always. With never, or when the
 * image is there, nothing is loaded and nothing is written. */
enum gph_pull_policy { GPH_PULL_MISSING, GPH_PULL_ALWAYS, GPH_PULL_NEVER };
int gph_pull_policy_parse(const char *s, enum gph_pull_policy *out, struct gph_err *e);
int gph_image_ensure(const char *root, const char *ref, enum gph_pull_policy pol, const struct gph_pull_opts *po,
		     struct gph_err *e);

/* ---- what `run --image` and the `image` step need (src/image/image_run.c; no JSON, no libarchive) ---- */
#define GPH_IMAGE_MAX_LAYERS 64
struct gph_image_run {
	char manifest[GPH_DIGEST_LEN];
	char dir[PATH_MAX];         /* ROOT/images/HEX */
	char lowerdir[PATH_MAX];    /* "L_top:...:L_bottom" for overlayfs */
	char **entrypoint, **cmd, **env; /* NULL-terminated, heap; NULL when the image sets none */
	char workdir[PATH_MAX];     /* "" when unset */
	char user[256];             /* "" when unset */
};
/* The copy-based fallback (src/image/layer_copy.c): the layers of lowerdir ("top:...:bottom") copied
 * into the directory dest bottom to top, whiteouts and opaque directories applied as overlayfs would. */
int gph_layers_copy(const char *lowerdir, const char *dest, struct gph_err *e);
int gph_image_run_load(const char *root, const char *ref, struct gph_image_run *r, struct gph_err *e);
void gph_image_run_free(struct gph_image_run *r);
/* The command and environment of a container of the image: Entrypoint + (args when nargs > 0, else
 * Cmd); Env plus PATH and HOME where the image sets none. The vectors are heap (free() them); their
 * strings belong to r and args. */
int gph_image_command(const struct gph_image_run *r, char **args, int nargs, char ***argv_out, char ***env_out,
		      struct gph_err *e);
/* The `image REF` step: the image looked up in the store (GPH_IMAGE_ROOT or the default), its lowerdir
 * list, store and digest into s (src/image/image_step.c). */
struct gph_step;
int gph_image_step_parse(const char *ref, struct gph_step *s, struct gph_err *e);
/* Make ROOT/containers/ID (dir) for the upper and work directories, recording the image's digest. */
int gph_image_ctr_prepare(const struct gph_step *s, const char *id, char *dir, size_t len, struct gph_err *e);
/* Inside the sandbox (its mount namespace): the overlay of s at s->image_dir/merged. */
int gph_image_step_inside(const struct gph_step *s, struct gph_err *e);
/* The overlay lowerdir list ("ROOT/layers/TOP:...:ROOT/layers/BOTTOM") of the image directory imgdir. */
int gph_image_lowerdir(const char *root, const char *imgdir, char *out, size_t len, struct gph_err *e);
/* Mount the image's layers as an overlay at dir/merged with dir/upper and dir/work (made here), in the
 * caller's mount namespace. (No copy fallback yet where overlayfs is missing: the error says so.) */
int gph_image_mount(const char *lowerdir, const char *dir, char *merged, size_t len, struct gph_err *e);

#endif
