/* Fuzz target "unpack": gph_unpack of the input as an archive into a fresh scratch directory. The
 * first byte picks the options (bit 0: an image layer, with whiteouts; bit 1: the rest wrapped in
 * gzip here, so the decompressing path runs too), the rest is the archive (tar, or anything
 * libarchive's filters take). The scratch directory is made inside a parent directory (under $TMPDIR)
 * that also holds a sentinel file and a sibling directory, which is the working directory while
 * gph_unpack runs (so a name resolved against the cwd would land there: give libFuzzer absolute paths
 * for its corpus and -artifact_prefix, as run.sh does). Properties checked besides "no crash":
 *  - nothing outside the scratch directory changed: the sentinel's and the sibling's inode, size, mode,
 *    times and link count, the file in the sibling and its content, and the parent holds nothing new;
 *  - a refusal comes with a message; no file descriptor is left open;
 *  - the scratch directory can be removed afterwards (gph_rm_tree), and is.
 * Device nodes, owners and xattrs (as_root) are not fuzzed: a bug there would write on this machine's
 * devices, which no scratch directory contains. Seeds (small tars, hostile ones included) are made at
 * run time by tests/fuzz/unpack-seeds.py; tests/fuzz/corpus/unpack holds regression inputs. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gph/image.h"
#include "fuzz.h"

static char parent[PATH_MAX], sentinel[PATH_MAX + 16], sibling[PATH_MAX + 16], keep[PATH_MAX + 32];
static struct stat st_sentinel, st_sibling, st_keep;
static int lowest_fd, cwd_fd = -1;

#define SENTINEL_TEXT "outside the layer: never to change\n"

static void cleanup(void)
{
	struct gph_err e;
	if (parent[0] && gph_rm_tree(parent, &e) < 0)
		fprintf(stderr, "fuzz unpack: %s\n", e.msg);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	FZ_CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text) && close(fd) == 0, "writing %s: %s",
		 path, strerror(errno));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct gph_err e;
	const char *tmp = getenv("TMPDIR");
	FZ_CHECK(gph_image_ar_load(&e) == 0, "%s", e.msg);
	snprintf(parent, sizeof parent, "%s/gph-fuzz-unpack-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	FZ_CHECK(mkdtemp(parent), "mkdtemp(%s): %s", parent, strerror(errno));
	atexit(cleanup);
	cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	FZ_CHECK(cwd_fd >= 0, "open(\".\"): %s", strerror(errno));
	snprintf(sentinel, sizeof sentinel, "%s/sentinel", parent);
	snprintf(sibling, sizeof sibling, "%s/sibling", parent);
	snprintf(keep, sizeof keep, "%s/keep", sibling);
	write_file(sentinel, SENTINEL_TEXT);
	FZ_CHECK(mkdir(sibling, 0755) == 0, "mkdir(%s): %s", sibling, strerror(errno));
	write_file(keep, SENTINEL_TEXT);
	FZ_CHECK(stat(sentinel, &st_sentinel) == 0 && stat(sibling, &st_sibling) == 0 && stat(keep, &st_keep) == 0,
		 "stat: %s", strerror(errno));
	lowest_fd = dup(0);
	FZ_CHECK(lowest_fd >= 0, "dup: %s", strerror(errno));
	close(lowest_fd);
	return 0;
}

/* ---- gzip of stored (uncompressed) deflate blocks, enough for libarchive's gzip filter ---- */
static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

static uint8_t *gzip_stored(const uint8_t *p, size_t n, size_t *out_len)
{
	size_t blocks = n / 65535 + 1, len = 10 + n + blocks * 5 + 8, o = 0;
	uint8_t *g = malloc(len);
	if (!g)
		return NULL;
	static const uint8_t hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
	memcpy(g, hdr, sizeof hdr);
	o = sizeof hdr;
	size_t off = 0;
	do {
		size_t k = n - off > 65535 ? 65535 : n - off;
		g[o++] = off + k == n; /* BFINAL on the last block, BTYPE 00 */
		g[o++] = (uint8_t)(k & 0xff);
		g[o++] = (uint8_t)(k >> 8);
		g[o++] = (uint8_t)(~k & 0xff);
		g[o++] = (uint8_t)((~k >> 8) & 0xff);
		memcpy(g + o, p + off, k);
		o += k;
		off += k;
	} while (off < n);
	uint32_t c = crc32(p, n), sz = (uint32_t)n;
	for (int i = 0; i < 4; i++)
		g[o++] = (uint8_t)(c >> (8 * i));
	for (int i = 0; i < 4; i++)
		g[o++] = (uint8_t)(sz >> (8 * i));
	*out_len = o;
	return g;
}

/* ---- what outside the scratch directory must not change ---- */
static void same_stat(const char *path, const struct stat *want)
{
	struct stat now;
	FZ_CHECK(lstat(path, &now) == 0, "%s is gone: %s", path, strerror(errno));
	FZ_CHECK(now.st_ino == want->st_ino && now.st_mode == want->st_mode && now.st_size == want->st_size &&
			 now.st_nlink == want->st_nlink && now.st_uid == want->st_uid && now.st_gid == want->st_gid &&
			 now.st_mtim.tv_sec == want->st_mtim.tv_sec && now.st_mtim.tv_nsec == want->st_mtim.tv_nsec &&
			 now.st_ctim.tv_sec == want->st_ctim.tv_sec && now.st_ctim.tv_nsec == want->st_ctim.tv_nsec,
		 "%s changed (mode %o size %lld links %lu)", path, now.st_mode, (long long)now.st_size,
		 (unsigned long)now.st_nlink);
}

static void same_text(const char *path)
{
	char buf[sizeof SENTINEL_TEXT + 8];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FZ_CHECK(fd >= 0, "open(%s): %s", path, strerror(errno));
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	FZ_CHECK(n == (ssize_t)strlen(SENTINEL_TEXT) && memcmp(buf, SENTINEL_TEXT, (size_t)n) == 0, "%s: content changed", path);
}

/* The entries of dir must be exactly the names given (NULL-terminated; at most 3). */
static void only_entries(const char *dir, const char *const *names)
{
	DIR *d = opendir(dir);
	FZ_CHECK(d, "opendir(%s): %s", dir, strerror(errno));
	int seen = 0, want = 0;
	while (names[want])
		want++;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		bool known = false;
		for (int i = 0; i < want; i++)
			known = known || strcmp(de->d_name, names[i]) == 0;
		FZ_CHECK(known, "a new entry outside the layer: %s/%s", dir, de->d_name);
		seen++;
	}
	closedir(d);
	FZ_CHECK(seen == want, "%s holds %d of its %d entries", dir, seen, want);
}

static void outside_untouched(const char *scratch_name)
{
	const char *in_parent[] = {"sentinel", "sibling", scratch_name, NULL};
	const char *in_sibling[] = {"keep", NULL};
	same_stat(sentinel, &st_sentinel);
	same_stat(sibling, &st_sibling);
	same_stat(keep, &st_keep);
	same_text(sentinel);
	same_text(keep);
	only_entries(parent, in_parent);
	only_entries(sibling, in_sibling);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct gph_unpack_opts o = {.layer = data[0] & 1, .as_root = false};
	const uint8_t *ar = data + 1;
	size_t n = size - 1;
	uint8_t *gz = NULL;
	if (data[0] & 2) {
		gz = gzip_stored(ar, n, &n);
		if (!gz)
			return 0;
		ar = gz;
	}
	int mfd = memfd_create("fuzz-archive", MFD_CLOEXEC);
	FZ_CHECK(mfd >= 0, "memfd_create: %s", strerror(errno));
	FZ_CHECK(n == 0 || write(mfd, ar, n) == (ssize_t)n, "write(memfd): %s", strerror(errno));
	free(gz);
	FZ_CHECK(lseek(mfd, 0, SEEK_SET) == 0, "lseek: %s", strerror(errno));

	char scratch[PATH_MAX + 32];
	snprintf(scratch, sizeof scratch, "%s/layer-XXXXXX", parent);
	FZ_CHECK(mkdtemp(scratch), "mkdtemp(%s): %s", scratch, strerror(errno));
	int rootfd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FZ_CHECK(rootfd >= 0, "open(%s): %s", scratch, strerror(errno));

	struct gph_err e;
	memset(&e, 0, sizeof e);
	FZ_CHECK(chdir(sibling) == 0, "chdir(%s): %s", sibling, strerror(errno));
	int rc = gph_unpack(mfd, rootfd, &o, &e);
	FZ_CHECK(fchdir(cwd_fd) == 0, "fchdir: %s", strerror(errno));
	if (rc < 0)
		FZ_CHECK(e.msg[0], "refused without a message");
	if (getenv("GPH_FUZZ_VERBOSE")) /* what became of each input, when replaying by hand */
		fprintf(stderr, "unpack (layer %d, gzip %d): %s\n", o.layer, !!(data[0] & 2), rc < 0 ? e.msg : "ok");
	close(rootfd);
	close(mfd);
	outside_untouched(strrchr(scratch, '/') + 1);

	int fd = dup(0);
	FZ_CHECK(fd == lowest_fd, "a file descriptor was left open (the next free one is %d, not %d)", fd, lowest_fd);
	close(fd);

	FZ_CHECK(gph_rm_tree(scratch, &e) == 0, "the scratch directory cannot be removed: %s", e.msg);
	const char *after[] = {"sentinel", "sibling", NULL};
	only_entries(parent, after);
	return 0;
}
