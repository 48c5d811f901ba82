#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "gph/error.h"

int gph_fail(struct gph_err *e, int errnum, const char *hint, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return -1;
	e->errnum = errnum;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	snprintf(e->hint, sizeof e->hint, "%s", hint ? hint : "");
	e->why[0] = '\0';
	return -1;
}

void gph_err_wrap(struct gph_err *e, const char *fmt, ...)
{
	char prefix[512], old[sizeof e->msg];
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	/* Keeping the return value tells gcc the truncation of an over-long message is intended. */
	if (snprintf(e->msg, sizeof e->msg, "%s%s", prefix, old) >= (int)sizeof e->msg)
		e->msg[sizeof e->msg - 1] = '\0';
}

void gph_err_hint(struct gph_err *e, const char *fmt, ...)
{
	va_list ap;
	if (!e || e->hint[0])
		return;
	va_start(ap, fmt);
	vsnprintf(e->hint, sizeof e->hint, fmt, ap);
	va_end(ap);
}

void gph_err_print(const struct gph_err *e, FILE *f, const char *prog)
{
	if (e->errnum)
		fprintf(f, "%s%s%s: %s\n", prog ? prog : "", prog ? ": " : "", e->msg, strerror(e->errnum));
	else
		fprintf(f, "%s%s%s\n", prog ? prog : "", prog ? ": " : "", e->msg);
	if (e->why[0])
		fprintf(f, "  why: %s\n", e->why);
	if (e->hint[0])
		fprintf(f, "  hint: %s\n", e->hint);
}

void gph_err_clear(struct gph_err *e)
{
	memset(e, 0, sizeof *e);
}
