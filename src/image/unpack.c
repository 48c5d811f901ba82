/* Unpacking a tar stream (a layer, or an image archive) into a directory, safe by construction:
 * every member's parent directory is opened with openat2(RESOLVE_IN_ROOT) on the directory's fd, and
 * the member itself is made with an *at() call on that parent and a single name component, so no
 * member name, symlink or hardlink can reach outside. OCI whiteouts become overlayfs whiteouts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "archive_lib.h"
#include "gph/image.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

struct dir_time {
	char *path;
	struct timespec ts[2];
};

struct unpack {
	const struct gph_ar_fns *A;
	struct archive *a;
	int rootfd;
	const struct gph_unpack_opts *o;
	struct dir_time *dirs;
	size_t ndirs, capdirs;
};

static void entry_times(const struct unpack *u, struct archive_entry *ent, struct timespec ts[2])
{
	const struct gph_ar_fns *A = u->A;
	ts[1].tv_sec = A->archive_entry_mtime_is_set(ent) ? A->archive_entry_mtime(ent) : 0;
	ts[1].tv_nsec = A->archive_entry_mtime_is_set(ent) ? A->archive_entry_mtime_nsec(ent) : UTIME_NOW;
	if (A->archive_entry_atime_is_set(ent)) {
		ts[0].tv_sec = A->archive_entry_atime(ent);
		ts[0].tv_nsec = A->archive_entry_atime_nsec(ent);
	} else {
		ts[0] = ts[1];
	}
}

/* Remove what an earlier member left at pfd/base, whatever it is (a directory with its contents). */
static int remove_existing(int pfd, const char *base, struct gph_err *e)
{
	struct stat st;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : gph_fail(e, errno, NULL, "fstatat(\"%s\")", base);
	if (!S_ISDIR(st.st_mode))
		return unlinkat(pfd, base, 0) < 0 ? gph_fail(e, errno, NULL, "unlinkat(\"%s\")", base) : 0;
	char path[64 + NAME_MAX];
	snprintf(path, sizeof path, "/proc/self/fd/%d/%s", pfd, base);
	return gph_rm_tree(path, e);
}

/* Owners, mode (after chown, which clears setuid), xattrs: on an open fd of the new file or directory. */
static int set_meta_fd(struct unpack *u, struct archive_entry *ent, int fd, const char *name, struct gph_err *e)
{
	const struct gph_ar_fns *A = u->A;
	mode_t perm = (mode_t)A->archive_entry_perm(ent);
	if (u->o->as_root) {
		if (fchown(fd, (uid_t)A->archive_entry_uid(ent), (gid_t)A->archive_entry_gid(ent)) < 0)
			return gph_fail(e, errno, NULL, "fchown(\"%s\")", name);
		const char *xn;
		const void *xv;
		size_t xl;
		A->archive_entry_xattr_reset(ent);
		while (A->archive_entry_xattr_next(ent, &xn, &xv, &xl) == ARCHIVE_OK) {
			/* overlayfs reads its own trusted.overlay.* markers: a layer may not forge them. */
			if (strncmp(xn, "trusted.overlay.", 16) == 0)
				continue;
			if (fsetxattr(fd, xn, xv, xl, 0) < 0 && errno != ENOTSUP)
				return gph_fail(e, errno, NULL, "fsetxattr(\"%s\", \"%s\")", name, xn);
		}
	} else {
		perm &= 01777; /* no setuid/setgid bits for files a non-root user unpacks */
	}
	if (fchmod(fd, perm) < 0)
		return gph_fail(e, errno, NULL, "fchmod(\"%s\")", name);
	return 0;
}

static int write_data(struct unpack *u, int fd, const char *name, struct gph_err *e)
{
	const void *buf;
	size_t size;
	la_int64_t off, end = 0;
	int r;
	while ((r = u->A->archive_read_data_block(u->a, &buf, &size, &off)) == ARCHIVE_OK) {
		const char *p = buf;
		while (size > 0) {
			ssize_t n = pwrite(fd, p, size, off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return gph_fail(e, errno, NULL, "write(\"%s\")", name);
			p += n;
			size -= (size_t)n;
			off += n;
		}
		if (off > end)
			end = off;
	}
	if (r != ARCHIVE_EOF)
		return gph_fail(e, 0, "the archive is damaged or truncated", "reading the data of \"%s\": %s", name,
				u->A->archive_error_string(u->a));
	/* A sparse file may end in a hole. */
	if (ftruncate(fd, end) < 0)
		return gph_fail(e, errno, NULL, "ftruncate(\"%s\")", name);
	return 0;
}

static int make_regular(struct unpack *u, struct archive_entry *ent, int pfd, const char *base, const char *name,
			struct gph_err *e)
{
	int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return gph_fail(e, errno, NULL, "openat(\"%s\", O_CREAT|O_EXCL)", name);
	struct timespec ts[2];
	entry_times(u, ent, ts);
	int rc = write_data(u, fd, name, e);
	if (rc == 0)
		rc = set_meta_fd(u, ent, fd, name, e);
	if (rc == 0 && futimens(fd, ts) < 0)
		rc = gph_fail(e, errno, NULL, "futimens(\"%s\")", name);
	close(fd);
	return rc;
}

static int make_dir(struct unpack *u, struct archive_entry *ent, int pfd, const char *base, const char *name,
		    struct gph_err *e)
{
	struct stat st;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) && remove_existing(pfd, base, e) < 0)
		return -1;
	if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
		return gph_fail(e, errno, NULL, "mkdirat(\"%s\")", name);
	int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return gph_fail(e, errno, NULL, "openat(\"%s\", O_DIRECTORY|O_NOFOLLOW)", name);
	int rc = set_meta_fd(u, ent, fd, name, e);
	close(fd);
	if (rc < 0)
		return -1;
	/* A directory's times are set last: the members written into it change them. */
	if (u->ndirs == u->capdirs) {
		size_t cap = u->capdirs ? u->capdirs * 2 : 64;
		struct dir_time *d = realloc(u->dirs, cap * sizeof *d);
		if (!d)
			return gph_fail(e, ENOMEM, NULL, "unpacking \"%s\"", name);
		u->dirs = d;
		u->capdirs = cap;
	}
	if (!(u->dirs[u->ndirs].path = strdup(name)))
		return gph_fail(e, ENOMEM, NULL, "unpacking \"%s\"", name);
	entry_times(u, ent, u->dirs[u->ndirs].ts);
	u->ndirs++;
	return 0;
}

/* Symlinks, hardlinks, devices, fifos: no data; owners and times through the parent and the name. */
static int make_other(struct unpack *u, struct archive_entry *ent, int pfd, const char *base, const char *name,
		      struct gph_err *e)
{
	const struct gph_ar_fns *A = u->A;
	const char *hl = A->archive_entry_hardlink(ent);
	mode_t type = (mode_t)A->archive_entry_filetype(ent);
	if (hl) {
		char target[PATH_MAX], tbase[NAME_MAX + 1];
		if (gph_member_clean(hl, target, sizeof target) < 0 || !*target)
			return gph_fail(e, EINVAL, "a hardlink names a file of the same archive", "hardlink target \"%s\" leaves the layer", hl);
		int tfd = gph_open_parent(u->rootfd, target, false, tbase, sizeof tbase, e);
		if (tfd < 0)
			return -1;
		/* No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself, never what it names. */
		int rc = linkat(tfd, tbase, pfd, base, 0);
		int err = errno;
		close(tfd);
		return rc < 0 ? gph_fail(e, err, NULL, "linkat(\"%s\" -> \"%s\")", name, hl) : 0;
	}
	if (type == AE_IFLNK) {
		const char *t = A->archive_entry_symlink(ent);
		/* The target is stored as written; whoever follows it (the kernel in the container, or
		 * this unpacker) resolves it inside the root. */
		if (!t || symlinkat(t, pfd, base) < 0)
			return gph_fail(e, t ? errno : EINVAL, NULL, "symlinkat(\"%s\")", name);
	} else if (type == AE_IFIFO) {
		if (mkfifoat(pfd, base, 0600) < 0)
			return gph_fail(e, errno, NULL, "mkfifoat(\"%s\")", name);
	} else if (type == AE_IFCHR || type == AE_IFBLK) {
		if (!u->o->as_root)
			return 0; /* device nodes only when root unpacks (and the container's MKNOD rules apply) */
		dev_t dev = makedev(A->archive_entry_rdevmajor(ent), A->archive_entry_rdevminor(ent));
		if (mknodat(pfd, base, type | 0600, dev) < 0)
			return gph_fail(e, errno, NULL, "mknodat(\"%s\")", name);
	} else {
		return 0; /* sockets and unknown types are not part of a file system image */
	}
	if (u->o->as_root &&
	    fchownat(pfd, base, (uid_t)A->archive_entry_uid(ent), (gid_t)A->archive_entry_gid(ent), AT_SYMLINK_NOFOLLOW) < 0)
		return gph_fail(e, errno, NULL, "fchownat(\"%s\")", name);
	if (type != AE_IFLNK) {
		/* base was made just now by us and is no symlink, so following it is moot. */
		mode_t perm = (mode_t)A->archive_entry_perm(ent) & (u->o->as_root ? 07777 : 01777);
		if (fchmodat(pfd, base, perm, 0) < 0)
			return gph_fail(e, errno, NULL, "fchmodat(\"%s\")", name);
	}
	struct timespec ts[2];
	entry_times(u, ent, ts);
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return gph_fail(e, errno, NULL, "utimensat(\"%s\")", name);
	return 0;
}

static int invalid_whiteout(struct gph_err *e, const char *name)
{
	return gph_fail(e, EINVAL, "a whiteout is .wh.NAME for a real NAME, or .wh..wh..opq, and only as the last component",
			"invalid whiteout \"%s\"", name);
}

/* .wh.NAME hides NAME of the layers below: overlayfs's whiteout is a character device 0:0. */
static int whiteout(struct unpack *u, const char *clean, const char *name, struct gph_err *e)
{
	char base[NAME_MAX + 1];
	int pfd = gph_open_parent(u->rootfd, clean, true, base, sizeof base, e);
	if (pfd < 0)
		return -1;
	int rc = 0;
	if (strcmp(base, WH_OPAQUE) == 0) {
		/* The directory hides everything below it: overlayfs's opaque marker. */
		int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
			rc = gph_fail(e, errno, "opaque directories need root and a file system with trusted xattrs",
				      "setxattr(\"%s\", trusted.overlay.opaque)", name);
		if (dfd >= 0)
			close(dfd);
	} else {
		const char *target = base + strlen(WH_PREFIX);
		if (remove_existing(pfd, target, e) < 0 || (mknodat(pfd, target, S_IFCHR, makedev(0, 0)) < 0 &&
							     gph_fail(e, errno, "whiteouts need root (CAP_MKNOD)",
								      "mknodat(\"%s\", whiteout)", name) < 0))
			rc = -1;
	}
	close(pfd);
	return rc;
}

/* Whiteout names: only the last component may be one, and it must name something real. */
static int check_whiteout(const char *clean, const char *name, bool *is_wh, struct gph_err *e)
{
	*is_wh = false;
	const char *p = clean;
	while (*p) {
		const char *end = strchrnul(p, '/');
		bool last = *end == 0;
		if (strncmp(p, WH_PREFIX, strlen(WH_PREFIX)) == 0) {
			const char *rest = p + strlen(WH_PREFIX);
			size_t n = (size_t)(end - rest);
			if (!last)
				return invalid_whiteout(e, name);
			if (strcmp(p, WH_OPAQUE) != 0 &&
			    (n == 0 || strncmp(rest, WH_PREFIX, strlen(WH_PREFIX)) == 0 || (n == 1 && rest[0] == '.') ||
			     (n == 2 && rest[0] == '.' && rest[1] == '.')))
				return invalid_whiteout(e, name);
			*is_wh = true;
		}
		p = last ? end : end + 1;
	}
	return 0;
}

static int place(struct unpack *u, struct archive_entry *ent, struct gph_err *e)
{
	const struct gph_ar_fns *A = u->A;
	const char *name = A->archive_entry_pathname(ent);
	char clean[PATH_MAX], base[NAME_MAX + 1];
	if (!name)
		return gph_fail(e, EINVAL, NULL, "a member without a name");
	if (gph_member_clean(name, clean, sizeof clean) < 0)
		return gph_fail(e, EINVAL, "member names stay inside the archive's root: no \"..\" components",
				"member \"%s\": refused (\"..\" in the name, or too long)", name);
	if (u->o->layer) {
		bool wh;
		if (check_whiteout(clean, name, &wh, e) < 0)
			return -1;
		if (wh)
			return whiteout(u, clean, name, e);
	}
	mode_t type = (mode_t)A->archive_entry_filetype(ent);
	if (!*clean) {
		/* "./" itself: a layer's root is the directory we unpack into, never a symlink or a file. */
		if (type == AE_IFDIR && !A->archive_entry_hardlink(ent))
			return 0;
		return gph_fail(e, EINVAL, "the root of an archive can only be a directory",
				"member \"%s\": refused (it replaces the root with something not a directory)", name);
	}
	int pfd = gph_open_parent(u->rootfd, clean, true, base, sizeof base, e);
	if (pfd < 0)
		return -1;
	int rc;
	if (type == AE_IFDIR && !A->archive_entry_hardlink(ent)) {
		rc = make_dir(u, ent, pfd, base, clean, e);
	} else {
		rc = remove_existing(pfd, base, e);
		if (rc == 0)
			rc = type == AE_IFREG && !A->archive_entry_hardlink(ent) ? make_regular(u, ent, pfd, base, clean, e)
										 : make_other(u, ent, pfd, base, clean, e);
	}
	close(pfd);
	return rc;
}

int gph_unpack(int fd, int rootfd, const struct gph_unpack_opts *o, struct gph_err *e)
{
	if (gph_ar_load(e) < 0)
		return -1;
	struct unpack u = {.A = gph_ar(), .rootfd = rootfd, .o = o};
	const struct gph_ar_fns *A = u.A;
	int rc = -1, r;
	if (!(u.a = A->archive_read_new()))
		return gph_fail(e, ENOMEM, NULL, "archive_read_new()");
	A->archive_read_support_filter_all(u.a);
	A->archive_read_support_format_tar(u.a);
	if (A->archive_read_open_fd(u.a, fd, 128 * 1024) != ARCHIVE_OK) {
		gph_fail(e, 0, NULL, "opening the archive: %s", A->archive_error_string(u.a));
		goto out;
	}
	struct archive_entry *ent;
	while ((r = A->archive_read_next_header(u.a, &ent)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (place(&u, ent, e) < 0) {
			const char *n = A->archive_entry_pathname(ent);
			if (n && !strstr(e->msg, "member \""))
				gph_err_wrap(e, "member \"%s\": ", n);
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		gph_fail(e, 0, "the archive is damaged, truncated or not a tar", "reading the archive: %s",
			 A->archive_error_string(u.a));
		goto out;
	}
	for (size_t i = u.ndirs; i-- > 0;) {
		int dfd = gph_open_in_root(rootfd, u.dirs[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, e);
		if (dfd >= 0) { /* a later member may have replaced it: then its times are moot */
			futimens(dfd, u.dirs[i].ts);
			close(dfd);
		}
	}
	gph_err_clear(e);
	rc = 0;
out:
	for (size_t i = 0; i < u.ndirs; i++)
		free(u.dirs[i].path);
	free(u.dirs);
	A->archive_read_free(u.a);
	return rc;
}
