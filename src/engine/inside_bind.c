/* Bind mounts onto paths inside the new root, made in the sandbox's mount namespace before the root
 * changes. The mount point is reached one component at a time with O_NOFOLLOW from the root, so a
 * symlink in the root filesystem can never send the mount onto a host path. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gph/sys.h"
#include "internal.h"

/* Open (making it when missing) dir + dst, a directory when want_dir, else an empty file. Returns an
 * O_PATH descriptor. */
static int make_point(const char *dir, const char *dst, bool want_dir, struct gph_err *e)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", dst);
	int cur = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return gph_fail(e, errno, NULL, "open(\"%s\")", dir);
	char *save = NULL;
	char *name = strtok_r(buf, "/", &save);
	while (name) {
		char *next = strtok_r(NULL, "/", &save);
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			close(cur);
			return gph_fail(e, EINVAL, NULL, "bind mount destination \"%s\": `.` or `..`", dst);
		}
		bool last = next == NULL;
		if (!last || want_dir) {
			if (mkdirat(cur, name, 0755) < 0 && errno != EEXIST) {
				gph_fail(e, errno, NULL, "mkdir(\"%s\") inside %s", name, dir);
				close(cur);
				return -1;
			}
		} else {
			int f = openat(cur, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
			if (f < 0 && errno != EISDIR && errno != ELOOP && errno != ENXIO) {
				gph_fail(e, errno, NULL, "creating the mount point \"%s\" inside %s", dst, dir);
				close(cur);
				return -1;
			}
			if (f >= 0)
				close(f);
		}
		int nfd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC | (!last || want_dir ? O_DIRECTORY : 0));
		close(cur);
		if (nfd < 0)
			return gph_fail(e, errno, errno == ELOOP || errno == ENOTDIR ? "a symlink or a file is in the way; mounts never follow symlinks in the root" : NULL,
					"bind mount destination \"%s\" inside %s", dst, dir);
		cur = nfd;
		name = next;
	}
	struct stat st;
	if (fstat(cur, &st) < 0 || S_ISLNK(st.st_mode)) {
		close(cur);
		return gph_fail(e, ELOOP, NULL, "bind mount destination \"%s\" is a symlink", dst);
	}
	return cur;
}

int gph_inside_xbinds(const char *dir, int n, const struct gph_bind *b, struct gph_err *e)
{
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (stat(b[i].src, &st) < 0)
			return gph_fail(e, errno, NULL, "bind mount source \"%s\"", b[i].src);
		int fd = make_point(dir, b[i].dst, S_ISDIR(st.st_mode), e);
		if (fd < 0)
			return -1;
		char target[64];
		snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
		unsigned long fl = MS_BIND | (b[i].rec ? MS_REC : 0);
		if (gph_mount(b[i].src, target, "none", fl, NULL) < 0) {
			gph_fail(e, errno, NULL, "mount(\"%s\", \"%s%s\", MS_BIND%s)", b[i].src, dir, b[i].dst, b[i].rec ? "|MS_REC" : "");
			close(fd);
			return -1;
		}
		close(fd);
		if (b[i].ro || b[i].flags) {
			char full[PATH_MAX + 256];
			snprintf(full, sizeof full, "%s%s", dir, b[i].dst);
			/* The new mount sits on the path now; the path was checked component by component. */
			unsigned long rfl = MS_BIND | MS_REMOUNT | b[i].flags | (b[i].ro ? MS_RDONLY : 0);
			if (gph_mount(NULL, full, NULL, rfl, NULL) < 0)
				return gph_fail(e, errno, NULL, "mount(NULL, \"%s\", MS_BIND|MS_REMOUNT%s%s%s%s)", full,
						b[i].ro ? "|MS_RDONLY" : "", b[i].flags & MS_NOSUID ? "|MS_NOSUID" : "",
						b[i].flags & MS_NODEV ? "|MS_NODEV" : "", b[i].flags & MS_NOEXEC ? "|MS_NOEXEC" : "");
		}
	}
	return 0;
}
