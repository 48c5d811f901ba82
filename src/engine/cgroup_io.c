/* Reading and writing cgroup (and /proc) files: small, exact, every call checked. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup_priv.h"
#include "gph/diagnose.h"
#include "gph/trace.h"

int gph_cgi_path(char *out, size_t size, struct gph_err *e, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return gph_fail(e, ENAMETOOLONG, "use a shorter id or cgroup parent",
				"path \"%.200s...\" is longer than %zu bytes", out, size - 1);
	return 0;
}

int gph_cgi_slurp(const char *path, char **out, struct gph_err *e)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int fd;
	if (!buf)
		return gph_fail(e, ENOMEM, NULL, "malloc(%zu) for \"%s\"", cap, path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		free(buf);
		return gph_fail(e, err, NULL, "open(\"%s\", O_RDONLY)", path);
	}
	for (;;) {
		ssize_t r;
		if (cap - len < 2) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger) {
				free(buf);
				close(fd);
				return gph_fail(e, ENOMEM, NULL, "realloc(%zu) for \"%s\"", cap * 2, path);
			}
			buf = bigger;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;
			free(buf);
			close(fd);
			return gph_fail(e, err, NULL, "read(\"%s\")", path);
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (close(fd) < 0) {
		int err = errno;
		free(buf);
		return gph_fail(e, err, NULL, "close(\"%s\")", path);
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int gph_cgi_read_line(const char *path, char *buf, size_t len, struct gph_err *e)
{
	char *all, *nl;
	if (gph_cgi_slurp(path, &all, e) < 0)
		return -1;
	nl = strchr(all, '\n');
	if (nl)
		*nl = '\0';
	if (strlen(all) >= len) {
		free(all);
		return gph_fail(e, ENOBUFS, NULL, "first line of \"%s\" longer than %zu bytes", path,
				len - 1);
	}
	memcpy(buf, all, strlen(all) + 1);
	free(all);
	return 0;
}

int gph_cgi_write(const char *path, const char *val, const char *hint, struct gph_err *e)
{
	size_t n = strlen(val);
	ssize_t w;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		gph_fail(e, err, hint, "open(\"%s\", O_WRONLY)", path);
		gph_diagnose_cgroup_write(path, val, err, e);
		return -1;
	}
	do
		w = write(fd, val, n);
	while (w < 0 && errno == EINTR);
	if (GPH_TRACING) {
		char p[PATH_MAX + 8], v[256];
		gph_trace_call((long)w, errno, "write(%s, %s)", gph_quote(path, PATH_MAX, p, sizeof p), gph_quote(val, 200, v, sizeof v));
	}
	if (w < 0) {
		int err = errno;
		close(fd);
		gph_fail(e, err, hint, "write(\"%s\", \"%s\")", path, val);
		gph_diagnose_cgroup_write(path, val, err, e);
		return -1;
	}
	if ((size_t)w != n) {
		close(fd);
		return gph_fail(e, EIO, hint, "write(\"%s\", \"%s\"): short write of %zd bytes", path,
				val, w);
	}
	if (close(fd) < 0)
		return gph_fail(e, errno, hint, "close(\"%s\") after writing \"%s\"", path, val);
	return 0;
}

int gph_cgi_procs(const char *dir, pid_t *pids, int max, int *count, struct gph_err *e)
{
	char path[PATH_MAX], *all, *p, *end;
	struct gph_err err = { 0 };
	int n = 0;
	if (gph_cgi_path(path, sizeof path, e, "%s/cgroup.procs", dir) < 0)
		return -1;
	if (gph_cgi_slurp(path, &all, &err) < 0) {
		if (err.errnum == ENOENT) {
			*count = 0;
			return 0;
		}
		if (e)
			*e = err;
		return -1;
	}
	for (p = all; *p; p = end) {
		long v;
		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p) { /* not a number: skip the character (blank lines, stray spaces) */
			end = p + 1;
			continue;
		}
		if (errno || v <= 0) {
			free(all);
			return gph_fail(e, EINVAL, NULL, "bad pid in \"%s\"", path);
		}
		if (pids && n < max)
			pids[n] = (pid_t)v;
		n++;
	}
	free(all);
	*count = n;
	return 0;
}
