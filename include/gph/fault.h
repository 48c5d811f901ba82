/* Fault injection, for tests only: GPH_FAULT makes the runtime fail, or die, at a named point of
 * its set-up, so the tests can prove that every error path says what failed and leaves nothing
 * behind, and that `gophernetes gc` undoes whatever a SIGKILLed runtime left (README, Tests).
 *
 *   GPH_FAULT=POINT:ERRNO   the operation at POINT fails with ERRNO (a name such as EPERM or ENOSPC,
 *                           or a number), as if its system call had returned that error
 *   GPH_FAULT=POINT:kill    SIGKILL at POINT: the runtime (gophernetes or gophernetes-shell) dies,
 *                           and with it the sandbox process; in an exec child only the child dies
 *   GPH_FAULT=trace         print "gophernetes: fault point POINT" to stderr at every point passed
 *
 * Unset, each point costs one predictable branch. Points are named where they are called. */
#ifndef GPH_FAULT_H
#define GPH_FAULT_H
#include "gph/error.h"

/* 0, or -1 with *e filled as "POINT (injected by GPH_FAULT): <errno text>". */
int gph_fault_point(const char *point, struct gph_err *e);

#endif
