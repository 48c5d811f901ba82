/* Shared by the libFuzzer targets in tests/fuzz/: turning raw bytes into the strings the parsers
 * take, and property checks that abort (so libFuzzer saves the input) with a message. */
#ifndef GPH_FUZZ_H
#define GPH_FUZZ_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A heap copy of data[0..n) with a NUL after it, exactly n + 1 bytes long, so ASan sees any read
 * past the end. The parsers take C strings: an embedded NUL simply ends the string early, as it
 * would for a line read by the shell. NULL only when malloc fails. */
static inline char *fz_cstr(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, data, n);
		s[n] = '\0';
	}
	return s;
}

/* A broken property is a bug like a crash: say which, then abort so the input is kept. */
#define FZ_CHECK(cond, ...) do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: property broken: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

/* A message buffer must come back as a terminated string whatever the input. */
#define FZ_CHECK_TERMINATED(buf) FZ_CHECK(memchr((buf), '\0', sizeof(buf)) != NULL, "%s not terminated", #buf)

#endif
