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

/* Lesson glob: '*' any run of characters, '?' one character, '#' a run of one or more digits,
 * '\' escapes the next character. Whole-string match. */
int gph_glob_match(const char *pattern, const char *text);

#endif
