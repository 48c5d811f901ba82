/* The trace (`trace on` in the shell, `run --trace`): every operation a step performs, printed as it
 * is performed, by the wrapper that performs it, from its real arguments and its real result:
 *
 *   [sandbox] unshare(CLONE_NEWUTS) = 0
 *   [sandbox] mount("proc", "/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0
 *   [runtime] write("/proc/4242/uid_map", "0 1000 1\n") = 9
 *   [exec] execve("/bin/sh", ["sh"], [4 vars]) = -1 ENOENT (No such file or directory)
 *   [runtime] netlink RTM_NEWLINK veth gph-1a2b3c4d ...
 *
 * The tag says which process made the call: the runtime (gophernetes or the shell), the sandbox
 * process (holder) or an exec child. Lines made in the sandbox or an exec child travel to the
 * runtime over the sandbox socket (an HREP_TRACE message) and are printed there as they arrive, in
 * order with the runtime's own. Off, every wrapper costs one predictable branch. */
#ifndef GPH_TRACE_H
#define GPH_TRACE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

extern bool gph_trace_on;
#define GPH_TRACING __builtin_expect(gph_trace_on, 0)

/* Runtime: print lines to out (NULL: off). Also the netlink/nftables trace (gph_bridge_trace). */
void gph_trace_start(FILE *out);
/* Sandbox process and its children: send lines over sock instead of printing them; who tags them. */
void gph_trace_route(int sock, const char *who);
/* The tag of this process's lines ("runtime", "sandbox", "exec"). */
void gph_trace_who(const char *who);
/* One line, no newline needed. Keeps errno. */
void gph_trace_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A call and its result: "NAME(ARGS) = RC" or "... = -1 ENAME (text)" (err: errno when rc < 0). */
void gph_trace_call(long rc, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Runtime side: print a line that arrived from the sandbox. */
void gph_trace_print(const char *line);

/* ---- rendering (also used by the error messages and tested on their own) ---------------------- */
struct gph_flag_name {
	unsigned long bit;
	const char *name;
};
/* value as "A|B|0x40" from a table (bits not in it as hex), "0" for nothing. Returns buf. */
const char *gph_flags_str(unsigned long value, const struct gph_flag_name *table, char *buf, size_t len);
const char *gph_clone_flags_str(unsigned long flags, char *buf, size_t len);
const char *gph_mount_flags_str(unsigned long flags, char *buf, size_t len);
const char *gph_umount_flags_str(int flags, char *buf, size_t len);
/* " = 0", " = 7", " = -1 EPERM (Operation not permitted)" */
const char *gph_result_str(long rc, int err, char *buf, size_t len);
/* s as a C string literal, quotes included ("NULL" for NULL), at most max bytes of s shown. */
const char *gph_quote(const char *s, size_t max, char *buf, size_t len);
const char *gph_quote_n(const char *s, size_t n, char *buf, size_t len);

#endif
