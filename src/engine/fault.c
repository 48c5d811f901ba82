/* GPH_FAULT, the test-only fault switch (include/gph/fault.h). The variable is read once per
 * process (children forked later inherit the parsed result). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gph/fault.h"

enum mode { UNREAD, OFF, TRACE, FAIL, KILL };

static enum mode mode = UNREAD;
static char target[64];
static int target_errno;
static pid_t runtime; /* the process that read the variable: the runtime, before it forked anything */

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{"EPERM", EPERM},   {"ENOENT", ENOENT}, {"EIO", EIO},       {"E2BIG", E2BIG},   {"EAGAIN", EAGAIN},
	{"ENOMEM", ENOMEM}, {"EACCES", EACCES}, {"EBUSY", EBUSY},   {"EEXIST", EEXIST}, {"EINVAL", EINVAL},
	{"ENFILE", ENFILE}, {"EMFILE", EMFILE}, {"ENOSPC", ENOSPC}, {"ENOSYS", ENOSYS}, {"EUSERS", EUSERS},
	{"ENODEV", ENODEV}, {"EROFS", EROFS},   {"ENOBUFS", ENOBUFS},
};

static void parse(void)
{
	const char *v = getenv("GPH_FAULT");
	runtime = getpid();
	mode = OFF;
	if (!v || !*v)
		return;
	if (strcmp(v, "trace") == 0) {
		mode = TRACE;
		return;
	}
	const char *colon = strrchr(v, ':');
	if (!colon || colon == v || (size_t)(colon - v) >= sizeof target) {
		fprintf(stderr, "gophernetes: GPH_FAULT=\"%s\" ignored: expected POINT:ERRNO, POINT:kill or trace\n", v);
		return;
	}
	memcpy(target, v, (size_t)(colon - v));
	target[colon - v] = '\0';
	const char *what = colon + 1;
	if (strcmp(what, "kill") == 0) {
		mode = KILL;
		return;
	}
	for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
		if (strcmp(what, errnos[i].name) == 0)
			target_errno = errnos[i].value;
	if (!target_errno) {
		char *end;
		long n = strtol(what, &end, 10);
		if (*what && !*end && n > 0 && n < 4096)
			target_errno = (int)n;
	}
	if (!target_errno) {
		fprintf(stderr, "gophernetes: GPH_FAULT: unknown errno \"%s\" (a name such as EPERM, or a number)\n",
			what);
		mode = OFF;
		return;
	}
	mode = FAIL;
}

/* 0 when POINT is not the target; the errno to inject; or no return at all (kill). */
static int hit(const char *point)
{
	if (mode == UNREAD)
		parse();
	if (mode == OFF)
		return 0;
	if (mode == TRACE) {
		fprintf(stderr, "gophernetes: fault point %s\n", point);
		return 0;
	}
	if (strcmp(point, target) != 0)
		return 0;
	if (mode == KILL) {
		/* The sandbox process takes the runtime with it (its parent); a crash of the runtime is
		 * what the ledger and `gc` are for. An exec child in a PID namespace of its own cannot
		 * name the runtime, so it dies alone. */
		if (getpid() != runtime && getppid() == runtime)
			kill(runtime, SIGKILL);
		raise(SIGKILL);
		/* cppcheck-suppress unreachableCode ; raise() can fail and return, and the process must
		 * not carry on past a kill point */
		_exit(137); /* not reached */
	}
	return target_errno;
}

int gph_fault_point(const char *point, struct gph_err *e)
{
	if (mode == OFF)
		return 0;
	int err = hit(point);
	if (!err)
		return 0;
	return gph_fail(e, err, "this failure was injected by GPH_FAULT, a switch for tests; unset it",
			"%s (injected by GPH_FAULT)", point);
}
