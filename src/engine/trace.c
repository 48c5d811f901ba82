/* The trace: where lines go (printed by the runtime, or sent to it from the sandbox), and how
 * flags, results and strings are rendered. The wrappers that produce the lines are in trace_sys.c;
 * include/gph/trace.h says what a line looks like. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include "gph/trace.h"
#include "internal.h"

bool gph_trace_on;
static FILE *sink;
static int route_sock = -1;
static char tag[16] = "runtime";
/* An execve in flight: its line waits for the result (printed by the runtime, see gph_trace_take). */
static char pending[1024];

void gph_trace_start(FILE *out)
{
	sink = out;
	gph_trace_on = out != NULL;
}

void gph_trace_route(int sock, const char *who)
{
	route_sock = sock;
	gph_trace_who(who);
}

void gph_trace_who(const char *who)
{
	snprintf(tag, sizeof tag, "%s", who);
}

void gph_trace_print(const char *line)
{
	if (!sink)
		return;
	fputs(line, sink);
	fputc('\n', sink);
	fflush(sink);
}

/* kind of HREP_TRACE message, in rep.rc: a whole line, an execve line without its result yet, or
 * the result that completes it. */
enum { TR_LINE, TR_PENDING, TR_RESULT };

static void emit(int what, const char *text)
{
	if (route_sock >= 0) {
		static struct hrep m; /* one process, one line at a time */
		m.kind = HREP_TRACE;
		m.rc = what;
		snprintf(m.info, sizeof m.info, "%s", text);
		/* only the part up to the end of the text travels */
		if (gph_msg_send(route_sock, &m, offsetof(struct hrep, info) + strlen(m.info) + 1, NULL, 0) < 0) {
			/* the runtime is gone: nobody to show it to */
		}
		return;
	}
	struct hrep m;
	m.kind = HREP_TRACE;
	m.rc = what;
	snprintf(m.info, sizeof m.info, "%s", text);
	gph_trace_take(&m);
}

static void vline(int what, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = what == TR_RESULT ? 0 : snprintf(buf, sizeof buf, "[%s] ", tag);
	vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
	emit(what, buf);
}

void gph_trace_line(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vline(TR_LINE, fmt, ap);
	va_end(ap);
	errno = saved;
}

void gph_trace_call(long rc, int err, const char *fmt, ...)
{
	int saved = errno;
	char call[900], res[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(call, sizeof call, fmt, ap);
	va_end(ap);
	gph_trace_line("%s%s", call, gph_result_str(rc, err, res, sizeof res));
	errno = saved;
}

void gph_trace_pending_call(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vline(TR_PENDING, fmt, ap);
	va_end(ap);
	errno = saved;
}

void gph_trace_pending_result(long rc, int err)
{
	int saved = errno;
	char res[128];
	emit(TR_RESULT, gph_result_str(rc, err, res, sizeof res));
	errno = saved;
}

bool gph_trace_take(const struct hrep *rp)
{
	if (rp->kind != HREP_TRACE)
		return false;
	if (rp->rc == TR_PENDING) {
		gph_trace_exec_done(-1); /* a previous one that never reported: show it unfinished */
		snprintf(pending, sizeof pending, "%.1000s", rp->info);
	} else if (rp->rc == TR_RESULT) {
		char line[1200];
		snprintf(line, sizeof line, "%s%.150s", pending, rp->info);
		pending[0] = '\0';
		gph_trace_print(line);
	} else {
		gph_trace_print(rp->info);
	}
	return true;
}

void gph_trace_exec_done(int started)
{
	if (!pending[0])
		return;
	char line[1200];
	/* The holder saw the close-on-exec pipe close: the execve in flight succeeded. */
	snprintf(line, sizeof line, "%s%s", pending, started > 0 ? " = 0" : " <unfinished>");
	pending[0] = '\0';
	gph_trace_print(line);
}

/* ---- rendering ---------------------------------------------------------------------------------- */

const char *gph_flags_str(unsigned long value, const struct gph_flag_name *table, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (const struct gph_flag_name *f = table; f->name && len; f++) {
		if (!f->bit || (value & f->bit) != f->bit)
			continue;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s", off ? "|" : "", f->name);
		value &= ~f->bit;
	}
	if (value && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%s%#lx", off ? "|" : "", value);
	if (!off && len)
		snprintf(buf, len, "0");
	return buf;
}

#define F(x) {x, #x}
static const struct gph_flag_name clone_flags[] = {
	F(CLONE_NEWUSER), F(CLONE_NEWPID), F(CLONE_NEWUTS), F(CLONE_NEWNS),     F(CLONE_NEWIPC),
	F(CLONE_NEWNET),  F(CLONE_NEWCGROUP), F(CLONE_FILES), F(CLONE_FS),     F(CLONE_SYSVSEM),
	{0, NULL},
};
static const struct gph_flag_name mount_flags[] = {
	F(MS_RDONLY),   F(MS_NOSUID),   F(MS_NODEV),  F(MS_NOEXEC),     F(MS_SYNCHRONOUS), F(MS_REMOUNT),
	F(MS_MANDLOCK), F(MS_DIRSYNC),  F(MS_NOATIME), F(MS_NODIRATIME), F(MS_BIND),       F(MS_MOVE),
	F(MS_REC),      F(MS_SILENT),   F(MS_UNBINDABLE), F(MS_PRIVATE), F(MS_SLAVE),      F(MS_SHARED),
	F(MS_RELATIME), F(MS_STRICTATIME), F(MS_LAZYTIME), {0, NULL},
};
static const struct gph_flag_name umount_flags[] = {
	F(MNT_FORCE), F(MNT_DETACH), F(MNT_EXPIRE), F(UMOUNT_NOFOLLOW), {0, NULL},
};
#undef F

const char *gph_clone_flags_str(unsigned long flags, char *buf, size_t len)
{
	return gph_flags_str(flags, clone_flags, buf, len);
}

const char *gph_mount_flags_str(unsigned long flags, char *buf, size_t len)
{
	return gph_flags_str(flags, mount_flags, buf, len);
}

const char *gph_umount_flags_str(int flags, char *buf, size_t len)
{
	return gph_flags_str((unsigned long)(unsigned)flags, umount_flags, buf, len);
}

const char *gph_result_str(long rc, int err, char *buf, size_t len)
{
	if (rc >= 0) {
		snprintf(buf, len, " = %ld", rc);
	} else {
		const char *name = strerrorname_np(err);
		if (name)
			snprintf(buf, len, " = -1 %s (%s)", name, strerror(err));
		else
			snprintf(buf, len, " = -1 errno %d (%s)", err, strerror(err));
	}
	return buf;
}

const char *gph_quote_n(const char *s, size_t n, char *buf, size_t len)
{
	if (!s) {
		snprintf(buf, len, "NULL");
		return buf;
	}
	size_t o = 0;
	if (len < 8) {
		snprintf(buf, len, "\"\"");
		return buf;
	}
	buf[o++] = '"';
	size_t i;
	for (i = 0; i < n && o + 6 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c == '\t') {
			buf[o++] = '\\';
			buf[o++] = 't';
		} else if (c < 32 || c > 126) {
			o += (size_t)snprintf(buf + o, len - o, "\\%o", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	if (i < n && o + 4 <= len) { /* the buffer was too small */
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

const char *gph_quote(const char *s, size_t max, char *buf, size_t len)
{
	size_t n = s ? strnlen(s, max + 1) : 0;
	gph_quote_n(s, n > max ? max : n, buf, len);
	size_t o = strlen(buf);
	if (n > max && o + 4 <= len)
		memcpy(buf + o, "...", 4);
	return buf;
}
