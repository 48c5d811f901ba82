/* Paths inside a layer directory, resolved the way the kernel would inside a container whose root is
 * that directory: openat2(RESOLVE_IN_ROOT) treats the directory as "/", so "..", absolute symlinks and
 * symlinks made by earlier members all stay inside it. Safety comes from this, not from the names. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "gph/image.h"

int gph_member_clean(const char *name, char *out, size_t len)
{
	size_t o = 0;
	const char *p = name;
	if (len == 0)
		return -1;
	while (*p) {
		while (*p == '/')
			p++;
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o + (o > 0) + n >= len)
				return -1;
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = end;
	}
	out[o] = 0;
	return 0;
}

int gph_open_in_root(int rootfd, const char *rel, int flags, struct gph_err *e)
{
	struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof how);
	if (fd < 0)
		return gph_fail(e, errno, errno == ENOSYS ? "openat2 needs Linux 5.6 or later" : NULL,
				"openat2(\"%s\", RESOLVE_IN_ROOT)", rel);
	return fd;
}

int gph_open_parent(int rootfd, const char *rel, bool create, char *base, size_t baselen, struct gph_err *e)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(rel, '/');
	const char *last = slash ? slash + 1 : rel;
	if (!*last || strlen(last) >= baselen || strcmp(last, ".") == 0 || strcmp(last, "..") == 0)
		return gph_fail(e, EINVAL, NULL, "bad name \"%s\"", rel);
	snprintf(base, baselen, "%s", last);
	size_t dlen = slash ? (size_t)(slash - rel) : 0;
	if (dlen >= sizeof dir)
		return gph_fail(e, ENAMETOOLONG, NULL, "name too long: \"%s\"", rel);
	memcpy(dir, rel, dlen);
	dir[dlen] = 0;
	int fd = gph_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, e);
	if (fd >= 0 || e->errnum != ENOENT || !create)
		return fd;
	/* Make the missing directories one at a time, each resolved in the root like the rest. */
	for (size_t i = 0; i <= dlen; i++) {
		if (dir[i] != '/' && dir[i] != 0)
			continue;
		char save = dir[i];
		dir[i] = 0;
		int cfd = gph_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, e);
		if (cfd < 0 && e->errnum == ENOENT) {
			char pbase[NAME_MAX + 1];
			int pfd = gph_open_parent(rootfd, dir, false, pbase, sizeof pbase, e);
			if (pfd < 0)
				return -1;
			int rc = mkdirat(pfd, pbase, 0755);
			int err = errno;
			close(pfd);
			if (rc < 0)
				return gph_fail(e, err, NULL, "mkdirat(\"%s\")", dir);
			cfd = gph_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, e);
		}
		if (cfd < 0)
			return -1;
		dir[i] = save;
		if (save == 0)
			return cfd;
		close(cfd);
	}
	return gph_fail(e, EINVAL, NULL, "bad name \"%s\"", rel);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	int rc = type == FTW_DP ? rmdir(path) : unlink(path);
	return rc < 0 && errno != ENOENT ? errno : 0;
}

int gph_rm_tree(const char *path, struct gph_err *e)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : gph_fail(e, errno, NULL, "lstat(\"%s\")", path);
	/* FTW_PHYS: symlinks are removed, never followed; FTW_MOUNT: never cross into a mount. */
	int rc = nftw(path, rm_one, 16, FTW_PHYS | FTW_DEPTH | FTW_MOUNT);
	if (rc < 0)
		return gph_fail(e, errno, NULL, "nftw(\"%s\")", path);
	if (rc > 0)
		return gph_fail(e, rc, "a mount may be left under it, or a file made immutable", "removing \"%s\"", path);
	return 0;
}
