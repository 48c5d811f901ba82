/* `user NAME[:GROUP]` (and an image's User): names are looked up the way the container sees them,
 * in its own /etc/passwd and /etc/group, at each exec (the root may change after the step). The
 * files are opened from the runtime through /proc/HOLDER/root with openat2(RESOLVE_IN_ROOT), so a
 * symlink in the image resolves inside the container's root, never to the host's /etc; only a
 * regular file is read (a FIFO would block the runtime), and at most 1 MiB of it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gph/image.h"
#include "internal.h"

#define DB_MAX (1 << 20)

int gph_idfile_find(const char *text, const char *name, unsigned *id, unsigned *gid)
{
	size_t nl = strlen(name);
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		/* NAME:PASSWORD:ID[:GID:...] */
		if (len > nl && strncmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *p = memchr(line + nl + 1, ':', len - nl - 1);
			if (!p)
				return -1;
			char *after;
			errno = 0;
			unsigned long v = strtoul(p + 1, &after, 10);
			if (errno || after == p + 1 || v > 4294967294UL || (*after != ':' && after != line + len))
				return -1;
			*id = (unsigned)v;
			if (gid) {
				if (*after != ':')
					return -1;
				const char *g = after + 1;
				errno = 0;
				v = strtoul(g, &after, 10);
				if (errno || after == g || v > 4294967294UL || (*after != ':' && after != line + len))
					return -1;
				*gid = (unsigned)v;
			}
			return 0;
		}
		line = end ? end + 1 : NULL;
	}
	return -1;
}

/* The whole of ROOT/rel as text (NUL-terminated), or NULL with e set; what names the lookup. */
static char *read_db(int rootfd, const char *rel, const char *what, struct gph_err *e)
{
	int fd = gph_open_in_root(rootfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, e);
	if (fd < 0) {
		if (e->errnum == ENOENT)
			gph_fail(e, ENOENT, "give a number instead",
				 "%s: the container has no /%s (or only a symlink that leads nowhere inside it)", what, rel);
		return NULL;
	}
	struct stat st;
	char *buf = NULL;
	if (fstat(fd, &st) < 0) {
		gph_fail(e, errno, NULL, "fstat(\"%s\")", rel);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		gph_fail(e, EINVAL, "it must be a regular file", "the container's /%s is not a file", rel);
		goto out;
	}
	buf = malloc(DB_MAX + 1);
	if (!buf) {
		gph_fail(e, ENOMEM, NULL, "reading /%s", rel);
		goto out;
	}
	size_t got = 0;
	ssize_t n;
	while (got < DB_MAX && (n = read(fd, buf + got, DB_MAX - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
out:
	close(fd);
	return buf;
}

int gph_sandbox_resolve_user(struct gph_sandbox *sb, struct gph_err *e)
{
	const char *user = sb->priv.user_name, *group = sb->priv.group_name;
	if (!sb->priv.has_user || (!user[0] && !group[0]))
		return 0;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/root", (int)sb->holder);
	int rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return gph_fail(e, errno, NULL, "open(\"%s\")", path);
	int rc = 0;
	if (user[0]) {
		char what[64];
		snprintf(what, sizeof what, "user \"%s\"", user);
		char *db = read_db(rootfd, "etc/passwd", what, e);
		unsigned gid = 0;
		if (!db)
			rc = -1;
		else if (gph_idfile_find(db, user, &sb->priv.uid, &gid) < 0)
			rc = gph_fail(e, ENOENT, "give a number instead, or add the user to the container's /etc/passwd",
				      "user \"%s\": no such user in the container's /etc/passwd", user);
		else if (!sb->priv.gid_given)
			sb->priv.gid = gid; /* the user's primary group, as docker and runc do */
		free(db);
	}
	if (rc == 0 && group[0]) {
		char what[64];
		snprintf(what, sizeof what, "group \"%s\"", group);
		char *db = read_db(rootfd, "etc/group", what, e);
		if (!db)
			rc = -1;
		else if (gph_idfile_find(db, group, &sb->priv.gid, NULL) < 0)
			rc = gph_fail(e, ENOENT, "give a number instead, or add the group to the container's /etc/group",
				      "group \"%s\": no such group in the container's /etc/group", group);
		free(db);
	}
	close(rootfd);
	return rc;
}
