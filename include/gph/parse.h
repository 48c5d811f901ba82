/* Small, pure parsers shared by every front end (unit-tested, fuzzable). */
#ifndef GPH_PARSE_H
#define GPH_PARSE_H
#include <stddef.h>
#include "gph/error.h"

/* SIZE: a positive whole number with an optional suffix b, k, m, g (case-insensitive, powers of
 * 1024), also kb/mb/gb and KiB/MiB/GiB. Zero, negative, fractional, overflowing or malformed
 * input is refused with a message naming the accepted forms. */
int gph_parse_size(const char *s, long long *bytes, struct gph_err *e);
/* Format bytes compactly: 33554432 -> "32M", 1536 -> "1536" (exact values only get a suffix). */
void gph_format_size(long long bytes, char *buf, size_t len);

/* A hostname the kernel and resolvers accept: 1-64 bytes, labels of letters, digits and '-',
 * separated by single dots, no label starting or ending with '-'. */
int gph_check_hostname(const char *name, struct gph_err *e);

/* Split a command line into words as a POSIX shell would quote them: '...' literal, "..." with
 * \" \\ \$ \` escapes, backslash outside quotes, whitespace separates; no expansion at all ($$
 * stays $$). A '#' at the start of a word begins a comment. On success *argv is a NULL-terminated
 * array owned by the caller (gph_argv_free). An unterminated quote is an error. */
int gph_split_words(const char *line, char ***argv, int *argc, struct gph_err *e);
void gph_argv_free(char **argv);

/* CPUs as a decimal ("0.5", "2", "1.25"; at most 3 decimals, 0.01 .. 1024): the CFS quota in
 * microseconds per 100000 us period ("2" -> 200000). */
int gph_parse_cpus(const char *s, long long *quota_us, long long *period_us, struct gph_err *e);
/* A whole number in [min, max]; what names the value in the message ("--pids-limit"). */
int gph_parse_int_range(const char *s, long long min, long long max, const char *what, long long *out,
			struct gph_err *e);
/* A CPU list as cpuset.cpus takes it: "0", "0-3", "0,2-3". */
int gph_check_cpu_list(const char *s, struct gph_err *e);
/* DEV:RATE as docker's --device-read-bps takes it: "/dev/vda:10M" (RATE like SIZE, bytes/second). */
int gph_parse_dev_rate(const char *s, char *dev, size_t dev_len, long long *rate, struct gph_err *e);

/* Lesson glob: '*' any run of characters, '?' one character, '#' a run of one or more digits,
 * '\' escapes the next character. Whole-string match. */
int gph_glob_match(const char *pattern, const char *text);

#endif
