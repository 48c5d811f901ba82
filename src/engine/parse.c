/* Sizes, hostnames and shell-style word splitting: pure parsers, no system calls. */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "gph/parse.h"

#define SIZE_FORMS "use a whole number with an optional unit b, k, m, g (powers of 1024; " \
	"KiB, MiB, GiB also accepted), e.g. 64M"

/* Unit suffixes, compared case-insensitively; the shift is the power of two it stands for. */
static const struct { const char *name; int shift; } size_units[] = {
	{ "", 0 },   { "b", 0 },
	{ "k", 10 }, { "kb", 10 }, { "kib", 10 },
	{ "m", 20 }, { "mb", 20 }, { "mib", 20 },
	{ "g", 30 }, { "gb", 30 }, { "gib", 30 },
};

int gph_parse_size(const char *s, long long *bytes, struct gph_err *e)
{
	const char *p = s;
	long long n = 0;
	int shift = -1;

	if (!s || !*s)
		return gph_fail(e, 0, "", "bad size \"\": " SIZE_FORMS);
	/* Only digits may start it: this refuses "-5", "+5", " 5" and "M" alike. */
	if (!isdigit((unsigned char)*p))
		return gph_fail(e, 0, "", "bad size \"%.64s\": " SIZE_FORMS, s);
	for (; isdigit((unsigned char)*p); p++) {
		int d = *p - '0';
		if (n > (LLONG_MAX - d) / 10)
			return gph_fail(e, 0, "", "bad size \"%.64s\": too large; " SIZE_FORMS, s);
		n = n * 10 + d;
	}
	for (size_t i = 0; i < sizeof size_units / sizeof size_units[0]; i++)
		if (strcasecmp(p, size_units[i].name) == 0) {
			shift = size_units[i].shift;
			break;
		}
	if (shift < 0)
		return gph_fail(e, 0, "", "bad size \"%.64s\": " SIZE_FORMS, s);
	if (n == 0)
		return gph_fail(e, 0, "", "bad size \"%.64s\": it must be more than zero; " SIZE_FORMS, s);
	if (n > (LLONG_MAX >> shift))
		return gph_fail(e, 0, "", "bad size \"%.64s\": too large; " SIZE_FORMS, s);
	*bytes = n << shift;
	return 0;
}

void gph_format_size(long long bytes, char *buf, size_t len)
{
	static const struct { char suffix; int shift; } units[] = { { 'G', 30 }, { 'M', 20 }, { 'K', 10 } };
	if (!buf || !len)
		return;
	if (bytes > 0)
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			long long unit = 1LL << units[i].shift;
			if (bytes % unit == 0) {
				snprintf(buf, len, "%lld%c", bytes / unit, units[i].suffix);
				return;
			}
		}
	snprintf(buf, len, "%lld", bytes);
}

/* Name a character for a message: "a space", "'_'", "byte 0x07". */
static void describe_char(unsigned char c, char *buf, size_t len)
{
	if (c == ' ')
		snprintf(buf, len, "a space");
	else if (c == '\t')
		snprintf(buf, len, "a tab");
	else if (isprint(c))
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02x", c);
}

#define HOST_HINT "a hostname is letters, digits and '-' in labels separated by single dots, " \
	"e.g. web-1 or box.example"

int gph_check_hostname(const char *name, struct gph_err *e)
{
	size_t len = name ? strlen(name) : 0;
	size_t label_start = 0;

	if (len == 0)
		return gph_fail(e, 0, HOST_HINT, "bad hostname \"\": it is empty");
	/* sethostname(2) refuses more than HOST_NAME_MAX (64) bytes with EINVAL; say so first. */
	if (len > 64)
		return gph_fail(e, 0, "use a shorter name", "bad hostname \"%.80s%s\": it is %zu bytes, "
				"the kernel's limit is 64 bytes (HOST_NAME_MAX)", name, len > 80 ? "..." : "", len);
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '.' || c == '\0') {
			if (i == label_start)
				return gph_fail(e, 0, HOST_HINT, "bad hostname \"%s\": empty label at byte %zu "
						"(a leading, trailing or double dot)", name, i + 1);
			if (name[label_start] == '-' || name[i - 1] == '-')
				return gph_fail(e, 0, HOST_HINT, "bad hostname \"%s\": label \"%.*s\" starts or "
						"ends with '-'", name, (int)(i - label_start), name + label_start);
			label_start = i + 1;
		} else if (!isalnum(c) || c > 127) {
			if (c != '-') {
				char what[32];
				describe_char(c, what, sizeof what);
				return gph_fail(e, 0, HOST_HINT, "bad hostname \"%s\": it contains %s at byte "
						"%zu", name, what, i + 1);
			}
		}
	}
	return 0;
}

void gph_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

/* Append a finished word (copied) to the NULL-terminated vector. */
static int push_word(char ***argv, int *argc, int *cap, const char *word, size_t len)
{
	if (*argc + 2 > *cap) {
		int ncap = *cap ? *cap * 2 : 8;
		char **n = realloc(*argv, (size_t)ncap * sizeof *n);
		if (!n)
			return -1;
		n[*argc] = NULL; /* stays a valid vector for gph_argv_free if malloc below fails */
		*argv = n;
		*cap = ncap;
	}
	char *w = malloc(len + 1);
	if (!w)
		return -1;
	memcpy(w, word, len);
	w[len] = '\0';
	(*argv)[(*argc)++] = w;
	(*argv)[*argc] = NULL;
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int gph_split_words(const char *line, char ***argv_out, int *argc_out, struct gph_err *e)
{
	char **argv = NULL;
	int argc = 0, cap = 0;
	size_t len = line ? strlen(line) : 0;
	char *word = malloc(len + 1); /* a word is never longer than the line */
	size_t wl = 0;
	bool in_word = false;   /* distinct from wl > 0: "" is a word of its own */
	const char *p = line ? line : "";

	*argv_out = NULL;
	if (argc_out)
		*argc_out = 0;
	if (!word)
		return gph_fail(e, 0, "", "out of memory splitting a command line");
	for (;;) {
		char c = *p;
		if (c == '\0' || is_blank(c)) {
			if (in_word && push_word(&argv, &argc, &cap, word, wl) < 0)
				goto nomem;
			in_word = false;
			wl = 0;
			if (c == '\0')
				break;
			p++;
		} else if (c == '#' && !in_word) {
			break; /* a comment: the rest of the line is ignored */
		} else if (c == '\\') {
			in_word = true;
			if (p[1] == '\n') {
				p += 2; /* backslash-newline joins lines */
			} else if (p[1] == '\0') {
				word[wl++] = '\\'; /* as `sh -c 'echo a\'`: a lone trailing backslash stays */
				p++;
			} else {
				word[wl++] = p[1];
				p += 2;
			}
		} else if (c == '\'') {
			const char *end = strchr(p + 1, '\'');
			if (!end) {
				gph_fail(e, 0, "close it with ' (inside '...' every character is literal)",
					 "unterminated single quote in: %.200s", line);
				goto fail;
			}
			in_word = true;
			memcpy(word + wl, p + 1, (size_t)(end - p - 1));
			wl += (size_t)(end - p - 1);
			p = end + 1;
		} else if (c == '"') {
			in_word = true;
			for (p++; *p != '"'; p++) {
				if (*p == '\0') {
					gph_fail(e, 0, "close it with \" (inside \"...\" write \\\" for a quote)",
						 "unterminated double quote in: %.200s", line);
					goto fail;
				}
				/* Inside "...", backslash only escapes $ ` " \ and newline. */
				if (*p == '\\' && p[1] == '\n') {
					p++;
				} else if (*p == '\\' && p[1] && strchr("$`\"\\", p[1])) {
					word[wl++] = p[1];
					p++;
				} else {
					word[wl++] = *p;
				}
			}
			p++;
		} else {
			in_word = true;
			word[wl++] = c;
			p++;
		}
	}
	free(word);
	if (!argv) { /* no words at all: still hand back {NULL} */
		argv = calloc(1, sizeof *argv);
		if (!argv)
			return gph_fail(e, 0, "", "out of memory splitting a command line");
	}
	*argv_out = argv;
	if (argc_out)
		*argc_out = argc;
	return 0;
nomem:
	gph_fail(e, 0, "", "out of memory splitting a command line");
fail:
	free(word);
	gph_argv_free(argv);
	return -1;
}
