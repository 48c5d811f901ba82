/* The content-addressed store: ROOT/blobs/sha256/HEX (every blob, by digest), ROOT/layers/HEX (each
 * layer blob unpacked once), ROOT/images/HEX (per manifest: its layers and run files), ROOT/refs
 * (names -> manifest digests), ROOT/tmp (where everything is made before a rename publishes it),
 * ROOT/containers/ID (upper and work directories of running containers), ROOT/lock (flock). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gph/image.h"

static const char *const subdirs[] = {"blobs", "blobs/sha256", "layers", "images", "tmp", "containers"};

bool gph_store_exists(const char *root)
{
	char p[PATH_MAX + 32];
	struct stat sb;
	snprintf(p, sizeof p, "%s/lock", root ? root : GPH_STORE_DEFAULT);
	return stat(p, &sb) == 0;
}

int gph_store_open(struct gph_store *st, const char *root, bool exclusive, struct gph_err *e)
{
	char p[PATH_MAX + 32];
	st->rootfd = st->lockfd = -1;
	if (!root)
		root = GPH_STORE_DEFAULT;
	if (snprintf(st->root, sizeof st->root, "%s", root) >= (int)sizeof st->root || !*root)
		return gph_fail(e, ENAMETOOLONG, NULL, "store root \"%s\"", root);
	if (mkdir(root, 0700) < 0 && errno != EEXIST)
		return gph_fail(e, errno, "--root names the store directory; creating it needs write access to its parent",
				"mkdir(\"%s\")", root);
	for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", root, subdirs[i]);
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return gph_fail(e, errno, NULL, "mkdir(\"%s\")", p);
	}
	snprintf(p, sizeof p, "%s/lock", root);
	st->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st->lockfd < 0)
		return gph_fail(e, errno, NULL, "open(\"%s\")", p);
	/* Two pulls or imports at once would race on the same temporary names and refs: writers take
	 * the lock exclusively; readers share it. */
	while (flock(st->lockfd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR) {
			gph_fail(e, errno, NULL, "flock(\"%s\")", p);
			gph_store_close(st);
			return -1;
		}
	}
	st->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (st->rootfd < 0) {
		gph_fail(e, errno, NULL, "open(\"%s\")", root);
		gph_store_close(st);
		return -1;
	}
	if (exclusive) {
		/* Whatever a writer that crashed left in tmp was never published: remove it. */
		snprintf(p, sizeof p, "%s/tmp", root);
		if (gph_rm_tree(p, e) < 0 || mkdir(p, 0700) < 0) {
			if (!e->msg[0])
				gph_fail(e, errno, NULL, "mkdir(\"%s\")", p);
			gph_store_close(st);
			return -1;
		}
	}
	return 0;
}

void gph_store_close(struct gph_store *st)
{
	if (st->rootfd >= 0)
		close(st->rootfd);
	if (st->lockfd >= 0)
		close(st->lockfd); /* drops the flock */
	st->rootfd = st->lockfd = -1;
}

int gph_blob_begin(struct gph_store *st, struct gph_blob_writer *w, struct gph_err *e)
{
	snprintf(w->tmp, sizeof w->tmp, "%s/tmp/blob-XXXXXX", st->root);
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0)
		return gph_fail(e, errno, NULL, "mkstemp(\"%s\")", w->tmp);
	w->st = st;
	w->size = 0;
	gph_sha256_init(&w->h);
	return 0;
}

int gph_blob_write(struct gph_blob_writer *w, const void *p, size_t n, struct gph_err *e)
{
	gph_sha256_update(&w->h, p, n);
	w->size += (long long)n;
	for (size_t off = 0; off < n;) {
		ssize_t k = write(w->fd, (const char *)p + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return gph_fail(e, errno, NULL, "write(\"%s\")", w->tmp);
		off += (size_t)k;
	}
	return 0;
}

void gph_blob_abort(struct gph_blob_writer *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		unlink(w->tmp);
		w->fd = -1;
	}
}

int gph_blob_commit(struct gph_blob_writer *w, const char *want, char out[GPH_DIGEST_LEN], struct gph_err *e)
{
	char dst[PATH_MAX + 96], hex[65];
	gph_sha256_hex(&w->h, hex);
	snprintf(out, GPH_DIGEST_LEN, "sha256:%s", hex);
	int rc = -1;
	if (want && strcmp(want, out) != 0)
		gph_fail(e, 0, "the blob is damaged or was replaced: nothing was stored", "digest mismatch: expected %s, got %s",
			 want, out);
	else if (fsync(w->fd) < 0)
		gph_fail(e, errno, NULL, "fsync(\"%s\")", w->tmp);
	else if (snprintf(dst, sizeof dst, "%s/blobs/sha256/%s", w->st->root, hex), rename(w->tmp, dst) < 0)
		gph_fail(e, errno, NULL, "rename(\"%s\", \"%s\")", w->tmp, dst);
	else
		rc = 0; /* only a verified, complete blob gets its name */
	if (rc == 0) {
		close(w->fd);
		w->fd = -1;
	} else {
		gph_blob_abort(w);
	}
	return rc;
}

int gph_store_put_blob(struct gph_store *st, int fd, const char *want, char out[GPH_DIGEST_LEN], struct gph_err *e)
{
	struct gph_blob_writer w;
	static char buf[1 << 16];
	if (gph_blob_begin(st, &w, e) < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			gph_fail(e, errno, NULL, "read(blob)");
			gph_blob_abort(&w);
			return -1;
		}
		if (n == 0)
			break;
		if (gph_blob_write(&w, buf, (size_t)n, e) < 0) {
			gph_blob_abort(&w);
			return -1;
		}
	}
	return gph_blob_commit(&w, want, out, e);
}

bool gph_store_has_blob(struct gph_store *st, const char *digest)
{
	char p[PATH_MAX + 96];
	struct stat sb;
	if (!gph_digest_valid(digest))
		return false;
	snprintf(p, sizeof p, "%s/blobs/sha256/%s", st->root, digest + 7);
	return lstat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

int gph_store_put_blob_mem(struct gph_store *st, const void *p, size_t n, char out[GPH_DIGEST_LEN], struct gph_err *e)
{
	/* A memfd is a file descriptor to copy from like any other. */
	int fd = memfd_create("gph-blob", MFD_CLOEXEC);
	if (fd < 0)
		return gph_fail(e, errno, NULL, "memfd_create()");
	int rc = -1;
	if (write(fd, p, n) != (ssize_t)n)
		gph_fail(e, errno, NULL, "write(memfd)");
	else if (lseek(fd, 0, SEEK_SET) < 0)
		gph_fail(e, errno, NULL, "lseek(memfd)");
	else
		rc = gph_store_put_blob(st, fd, NULL, out, e);
	close(fd);
	return rc;
}

int gph_store_blob_open(struct gph_store *st, const char *digest, struct gph_err *e)
{
	char p[PATH_MAX + 96];
	if (!gph_digest_valid(digest))
		return gph_fail(e, EINVAL, "only sha256 digests are supported", "bad digest \"%s\"", digest);
	snprintf(p, sizeof p, "%s/blobs/sha256/%s", st->root, digest + 7);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return gph_fail(e, errno, NULL, "open(\"%s\")", p);
	return fd;
}

int gph_store_unpack_layer(struct gph_store *st, const char *digest, struct gph_err *e)
{
	char tmp[PATH_MAX + 64], dst[PATH_MAX + 96];
	struct stat sb;
	if (!gph_digest_valid(digest))
		return gph_fail(e, EINVAL, NULL, "bad layer digest \"%s\"", digest);
	snprintf(dst, sizeof dst, "%s/layers/%s", st->root, digest + 7);
	if (lstat(dst, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0; /* unpacked once, shared by every image that has it */
	snprintf(tmp, sizeof tmp, "%s/tmp/layer-XXXXXX", st->root);
	if (!mkdtemp(tmp))
		return gph_fail(e, errno, NULL, "mkdtemp(\"%s\")", tmp);
	int rc = -1, bfd = -1, dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		gph_fail(e, errno, NULL, "open(\"%s\")", tmp);
		goto out;
	}
	if (fchmod(dfd, 0755) < 0) {
		gph_fail(e, errno, NULL, "fchmod(\"%s\")", tmp);
		goto out;
	}
	if ((bfd = gph_store_blob_open(st, digest, e)) < 0)
		goto out;
	struct gph_unpack_opts o = {.layer = true, .as_root = geteuid() == 0};
	if (gph_unpack(bfd, dfd, &o, e) < 0) {
		gph_err_wrap(e, "layer %.19s: ", digest);
		goto out;
	}
	if (rename(tmp, dst) < 0) {
		gph_fail(e, errno, NULL, "rename(\"%s\", \"%s\")", tmp, dst);
		goto out;
	}
	rc = 0;
out:
	if (bfd >= 0)
		close(bfd);
	if (dfd >= 0)
		close(dfd);
	if (rc < 0) {
		struct gph_err ignore;
		gph_rm_tree(tmp, &ignore); /* a refused layer leaves nothing behind */
	}
	return rc;
}
