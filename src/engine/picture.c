/* Usage bars, the colour decision and the JSON writer of `show` and `score` (gph/picture.h). */
#include "gph/picture.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool gph_colour_wanted(FILE *out)
{
	const char *no = getenv("NO_COLOR");
	if (no && *no)
		return false;
	return out && isatty(fileno(out));
}

size_t gph_bar(long long cur, long long max, int width, char *buf, size_t len)
{
	if (width < 1 || len < (size_t)width + 3) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	int used = 0;
	if (max > 0 && cur > 0) {
		/* In long double: a byte count near 2^63 times the width must not overflow. */
		long double f = (long double)cur / (long double)max;
		used = f >= 1 ? width : (int)(f * width);
		if (used == 0)
			used = 1; /* something is used: never show an empty bar for it */
	}
	buf[0] = '[';
	for (int i = 0; i < width; i++)
		buf[1 + i] = i < used ? '#' : '.';
	buf[width + 1] = ']';
	buf[width + 2] = '\0';
	return (size_t)width + 2;
}

int gph_bar_percent(long long cur, long long max)
{
	if (max <= 0)
		return -1;
	if (cur <= 0)
		return 0;
	long double p = (long double)cur * 100 / (long double)max;
	return p > 999 ? 999 : (int)p;
}

/* ---- JSON ------------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence starting at s (1-4), or 0 when s[0] does not start one. */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	int n;
	unsigned char lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		if (c == 0xED)
			hi = 0x9F; /* UTF-16 surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F; /* beyond U+10FFFF */
	} else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (int i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

size_t gph_json_escape(const char *s, char *buf, size_t len)
{
	size_t need = 0;
#define EMIT(str)                                                                                  \
	do {                                                                                       \
		const char *e_ = (str);                                                            \
		size_t l_ = strlen(e_);                                                            \
		if (need + l_ < len)                                                               \
			memcpy(buf + need, e_, l_);                                                \
		need += l_;                                                                        \
	} while (0)
	EMIT("\"");
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		char tmp[8];
		unsigned char c = *p;
		if (c == '"')
			EMIT("\\\"");
		else if (c == '\\')
			EMIT("\\\\");
		else if (c == '\n')
			EMIT("\\n");
		else if (c == '\t')
			EMIT("\\t");
		else if (c == '\r')
			EMIT("\\r");
		else if (c == '\b')
			EMIT("\\b");
		else if (c == '\f')
			EMIT("\\f");
		else if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof tmp, "\\u%04x", c);
			EMIT(tmp);
		} else if (c < 0x80) {
			tmp[0] = (char)c;
			tmp[1] = '\0';
			EMIT(tmp);
		} else {
			int n = utf8_len(p);
			if (n == 0) {
				EMIT("\\ufffd");
			} else {
				memcpy(tmp, p, (size_t)n);
				tmp[n] = '\0';
				EMIT(tmp);
				p += n - 1;
			}
		}
		p++;
	}
	EMIT("\"");
#undef EMIT
	if (len)
		buf[need < len ? need : len - 1] = '\0';
	return need;
}

void gph_json_init(struct gph_json *j, FILE *out)
{
	memset(j, 0, sizeof *j);
	j->out = out;
}

/* Before any value: a comma when it is not the first in its container (a value after a key has
 * had its comma already). */
static void value_start(struct gph_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0 && j->depth <= GPH_JSON_DEPTH) {
		if (j->need_comma[j->depth - 1])
			fputc(',', j->out);
		j->need_comma[j->depth - 1] = true;
	}
}

static void open_(struct gph_json *j, char c)
{
	value_start(j);
	fputc(c, j->out);
	if (j->depth < GPH_JSON_DEPTH)
		j->need_comma[j->depth] = false;
	j->depth++;
}

static void close_(struct gph_json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	fputc(c, j->out);
	if (j->depth == 0)
		fputc('\n', j->out);
}

void gph_json_obj(struct gph_json *j) { open_(j, '{'); }
void gph_json_obj_end(struct gph_json *j) { close_(j, '}'); }
void gph_json_arr(struct gph_json *j) { open_(j, '['); }
void gph_json_arr_end(struct gph_json *j) { close_(j, ']'); }

static void put_literal(struct gph_json *j, const char *s)
{
	char small[256];
	size_t need = gph_json_escape(s, small, sizeof small);
	if (need < sizeof small) {
		fputs(small, j->out);
		return;
	}
	char *big = malloc(need + 1);
	if (!big) {
		fputs("\"(out of memory)\"", j->out);
		return;
	}
	gph_json_escape(s, big, need + 1);
	fputs(big, j->out);
	free(big);
}

void gph_json_key(struct gph_json *j, const char *key)
{
	value_start(j);
	put_literal(j, key);
	fputc(':', j->out);
	j->after_key = true;
}

void gph_json_str(struct gph_json *j, const char *s)
{
	if (!s) {
		gph_json_null(j);
		return;
	}
	value_start(j);
	put_literal(j, s);
}

void gph_json_int(struct gph_json *j, long long v)
{
	value_start(j);
	fprintf(j->out, "%lld", v);
}

void gph_json_bool(struct gph_json *j, bool v)
{
	value_start(j);
	fputs(v ? "true" : "false", j->out);
}

void gph_json_null(struct gph_json *j)
{
	value_start(j);
	fputs("null", j->out);
}

void gph_json_kstr(struct gph_json *j, const char *key, const char *s)
{
	gph_json_key(j, key);
	gph_json_str(j, s);
}

void gph_json_kint(struct gph_json *j, const char *key, long long v)
{
	gph_json_key(j, key);
	gph_json_int(j, v);
}

void gph_json_kbool(struct gph_json *j, const char *key, bool v)
{
	gph_json_key(j, key);
	gph_json_bool(j, v);
}
