/* Errors that travel: every failing call fills a gph_err and returns -1, the caller adds nothing
 * or wraps it, and the front end (run, the shell, replay) prints it once. The message says what
 * failed (the call and its path), the errno text comes from errnum, and the hint says what to do. */
#ifndef GPH_ERROR_H
#define GPH_ERROR_H
#include <stdio.h>

struct gph_err {
	int errnum;      /* errno of the failing call, 0 when the failure is not a system call's */
	char msg[1024];  /* "pivot_root(\"/srv/rootfs\", \".\")": what failed, with its arguments */
	char hint[512];  /* what to do about it; may be empty */
	char why[512];   /* the failed call's documented precondition found broken in the live state, with
	                  * the man page (src/engine/diagnose*.c); may be empty */
};

/* Fill *e and return -1, so a failing call site is one line:
 *   return gph_fail(e, errno, "run `ns mnt` first", "mount(\"proc\", \"%s\")", path); */
int gph_fail(struct gph_err *e, int errnum, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prefix context to an existing message: "step `pivot_root`: " + msg. */
void gph_err_wrap(struct gph_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set the hint only if none was given yet. */
void gph_err_hint(struct gph_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "gophernetes: <msg>: <strerror>\n  why: <why>\n  hint: <hint>\n" */
void gph_err_print(const struct gph_err *e, FILE *f, const char *prog);
void gph_err_clear(struct gph_err *e);

#endif
