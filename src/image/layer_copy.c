/* The copy-based fallback for an image's root where overlayfs is not available (or GPH_IMAGE_COPY=1):
 * the unpacked layers are copied bottom to top into the container's own directory, doing by hand what
 * overlayfs does at lookup time: a whiteout (character device 0:0) removes the name below it, an opaque
 * directory (trusted.overlay.opaque=y) hides everything the layers below put in it, and anything else
 * replaces what was there. Every name is opened relative to its directory's descriptor with O_NOFOLLOW,
 * so a symlink from a lower layer is replaced, never followed. Slower and bigger than overlayfs
 * (each container gets a full copy); hard links become separate files and xattrs are not copied. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "gph/image.h"

#define MAX_DEPTH 256

/* Remove name in dfd, whatever it is (a directory with all it holds; links are not followed). */
static int remove_at(int dfd, const char *name, struct gph_err *e)
{
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return gph_fail(e, errno, NULL, "unlinkat(\"%s\")", name);
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return gph_fail(e, errno, NULL, "openat(\"%s\", O_DIRECTORY|O_NOFOLLOW)", name);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return gph_fail(e, errno, NULL, "fdopendir(\"%s\")", name);
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			rc = remove_at(dirfd(d), de->d_name, e);
	closedir(d);
	if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0)
		return gph_fail(e, errno, NULL, "rmdir(\"%s\")", name);
	return rc;
}

static int copy_file(int sfd, int dfd, const char *name, const struct stat *st, struct gph_err *e)
{
	int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return gph_fail(e, errno, NULL, "openat(\"%s\") in a layer", name);
	int out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		int err = errno;
		close(in);
		return gph_fail(e, err, NULL, "openat(\"%s\", O_CREAT|O_EXCL)", name);
	}
	int rc = 0;
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL) {
				char buf[65536];
				ssize_t r;
				while ((r = read(in, buf, sizeof buf)) > 0)
					if (write(out, buf, (size_t)r) != r) {
						r = -1;
						break;
					}
				if (r < 0)
					rc = gph_fail(e, errno ? errno : EIO, NULL, "copying \"%s\"", name);
			} else {
				rc = gph_fail(e, errno, NULL, "copy_file_range(\"%s\")", name);
			}
			break;
		}
	}
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	if (rc == 0 && fchown(out, st->st_uid, st->st_gid) < 0 && errno != EPERM)
		rc = gph_fail(e, errno, NULL, "fchown(\"%s\")", name);
	if (rc == 0 && fchmod(out, st->st_mode & 07777) < 0)
		rc = gph_fail(e, errno, NULL, "fchmod(\"%s\")", name);
	if (rc == 0 && futimens(out, ts) < 0)
		rc = gph_fail(e, errno, NULL, "futimens(\"%s\")", name);
	close(in);
	if (close(out) < 0 && rc == 0)
		rc = gph_fail(e, errno, NULL, "close(\"%s\")", name);
	return rc;
}

static bool is_opaque(int fd)
{
	char v[4];
	ssize_t n = fgetxattr(fd, "trusted.overlay.opaque", v, sizeof v);
	return n == 1 && v[0] == 'y';
}

static int copy_tree(int sfd, int dfd, int depth, struct gph_err *e);

static int copy_dir(int sfd, int dfd, const char *name, const struct stat *st, int depth, struct gph_err *e)
{
	struct stat dst;
	int src = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0)
		return gph_fail(e, errno, NULL, "openat(\"%s\") in a layer", name);
	bool have = fstatat(dfd, name, &dst, AT_SYMLINK_NOFOLLOW) == 0;
	/* Not a directory below, or an opaque one here: what was below goes. */
	if (have && (!S_ISDIR(dst.st_mode) || is_opaque(src))) {
		if (remove_at(dfd, name, e) < 0) {
			close(src);
			return -1;
		}
		have = false;
	}
	if (!have && mkdirat(dfd, name, 0700) < 0) {
		close(src);
		return gph_fail(e, errno, NULL, "mkdirat(\"%s\")", name);
	}
	int dst_fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dst_fd < 0) {
		close(src);
		return gph_fail(e, errno, NULL, "openat(\"%s\") in the copy", name);
	}
	int rc = copy_tree(src, dst_fd, depth + 1, e);
	if (rc == 0 && fchown(dst_fd, st->st_uid, st->st_gid) < 0 && errno != EPERM)
		rc = gph_fail(e, errno, NULL, "fchown(\"%s\")", name);
	if (rc == 0 && fchmod(dst_fd, st->st_mode & 07777) < 0)
		rc = gph_fail(e, errno, NULL, "fchmod(\"%s\")", name);
	close(src);
	close(dst_fd);
	return rc;
}

static int copy_entry(int sfd, int dfd, const char *name, int depth, struct gph_err *e)
{
	struct stat st;
	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return gph_fail(e, errno, NULL, "fstatat(\"%s\") in a layer", name);
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
		return remove_at(dfd, name, e); /* a whiteout */
	if (S_ISDIR(st.st_mode))
		return copy_dir(sfd, dfd, name, &st, depth, e);
	if (remove_at(dfd, name, e) < 0)
		return -1;
	if (S_ISREG(st.st_mode))
		return copy_file(sfd, dfd, name, &st, e);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(sfd, name, target, sizeof target - 1);
		if (n < 0)
			return gph_fail(e, errno, NULL, "readlinkat(\"%s\")", name);
		target[n] = 0;
		if (symlinkat(target, dfd, name) < 0)
			return gph_fail(e, errno, NULL, "symlinkat(\"%s\")", name);
	} else if (mknodat(dfd, name, st.st_mode, st.st_rdev) < 0) {
		return gph_fail(e, errno, NULL, "mknodat(\"%s\")", name);
	}
	if (fchownat(dfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM)
		return gph_fail(e, errno, NULL, "fchownat(\"%s\")", name);
	return 0;
}

static int copy_tree(int sfd, int dfd, int depth, struct gph_err *e)
{
	if (depth > MAX_DEPTH)
		return gph_fail(e, ELOOP, NULL, "a layer nests directories deeper than %d", MAX_DEPTH);
	int fd = dup(sfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return gph_fail(e, err, NULL, "fdopendir() of a layer directory");
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (errno = 0, de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			rc = copy_entry(sfd, dfd, de->d_name, depth, e);
	closedir(d);
	return rc;
}

int gph_layers_copy(const char *lowerdir, const char *dest, struct gph_err *e)
{
	char *list = strdup(lowerdir);
	if (!list)
		return gph_fail(e, ENOMEM, NULL, "the layer list");
	int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
	if (dfd < 0)
		rc = gph_fail(e, errno, NULL, "open(\"%s\")", dest);
	/* lowerdir lists the top layer first: copy from the end. */
	for (char *colon; rc == 0;) {
		colon = strrchr(list, ':');
		const char *layer = colon ? colon + 1 : list;
		int sfd = open(layer, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0) {
			rc = gph_fail(e, errno, "import or pull the image again", "open(\"%s\")", layer);
			break;
		}
		rc = copy_tree(sfd, dfd, 0, e);
		close(sfd);
		if (rc < 0)
			gph_err_wrap(e, "copying layer %s: ", layer);
		if (!colon)
			break;
		*colon = 0;
	}
	if (dfd >= 0)
		close(dfd);
	free(list);
	return rc;
}
