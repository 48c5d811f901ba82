/* Small output helpers for `show` (the picture and --json) and `score`: usage bars, the colour
 * decision, and a JSON writer. Pure functions of their arguments, so the unit tests pin them down. */
#ifndef GPH_PICTURE_H
#define GPH_PICTURE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Colour only where a person reads it: out is a terminal and NO_COLOR is unset or empty
 * (https://no-color.org). A lesson or a pipe always gets the plain form. */
bool gph_colour_wanted(FILE *out);

/* A usage bar of width cells for cur out of max: "[#####...............]" with '#' for the used
 * part (rounded down, but at least one cell when cur > 0) and '.' for the rest; cur beyond max
 * fills it. max <= 0 (no limit) gives an empty bar of '.'. Returns the length written (the bar
 * needs width + 3 bytes; a smaller buffer gets "" and 0). */
size_t gph_bar(long long cur, long long max, int width, char *buf, size_t len);
/* The percentage shown next to a bar: 0-100 (more when cur exceeds max), -1 when max <= 0. */
int gph_bar_percent(long long cur, long long max);

/* JSON written straight to a stream. Nesting is tracked so commas come out right; keys are only
 * valid inside objects (the writer does not check that the caller pairs begin and end). */
#define GPH_JSON_DEPTH 16
struct gph_json {
	FILE *out;
	int depth;
	bool need_comma[GPH_JSON_DEPTH];
	bool after_key;
};
void gph_json_init(struct gph_json *j, FILE *out);
void gph_json_obj(struct gph_json *j);     /* { */
void gph_json_obj_end(struct gph_json *j); /* } */
void gph_json_arr(struct gph_json *j);     /* [ */
void gph_json_arr_end(struct gph_json *j); /* ] */
void gph_json_key(struct gph_json *j, const char *key);
void gph_json_str(struct gph_json *j, const char *s); /* NULL writes null */
void gph_json_int(struct gph_json *j, long long v);
void gph_json_bool(struct gph_json *j, bool v);
void gph_json_null(struct gph_json *j);
/* key + value shorthands */
void gph_json_kstr(struct gph_json *j, const char *key, const char *s);
void gph_json_kint(struct gph_json *j, const char *key, long long v);
void gph_json_kbool(struct gph_json *j, const char *key, bool v);
/* A JSON string literal for s, quotes included: '"' and '\\' escaped, the control characters as
 * \n \t \r \b \f or \u00XX, bytes >= 0x80 passed through (UTF-8 stays UTF-8), and a byte that cannot
 * start or continue valid UTF-8 written as \ufffd so the output always parses. Returns the
 * length the full literal needs (as snprintf: the buffer may have been too small). */
size_t gph_json_escape(const char *s, char *buf, size_t len);

#endif
