/* json-c, loaded with dlopen on first use, for the same reason as libarchive (archive_lib.h): image
 * manifests, configs and indexes are read at import and pull only. */
#ifndef GPH_JSON_LIB_H
#define GPH_JSON_LIB_H
#include <json-c/json.h>
#include <json-c/json_object_iterator.h>
#include "gph/error.h"

#define GPH_JSON_FUNCS(X) \
	X(json_tokener_parse) \
	X(json_object_put) \
	X(json_object_object_get_ex) \
	X(json_object_get_type) \
	X(json_object_get_string) \
	X(json_object_get_int64) \
	X(json_object_array_length) \
	X(json_object_array_get_idx) \
	X(json_object_get_boolean) \
	X(json_object_get_double) \
	X(json_object_iter_begin) \
	X(json_object_iter_end) \
	X(json_object_iter_equal) \
	X(json_object_iter_next) \
	X(json_object_iter_peek_name) \
	X(json_object_iter_peek_value) \
	X(json_object_to_json_string)

struct gph_json_fns {
#define GPH_JSON_FIELD(f) __typeof__(f) *f;
	GPH_JSON_FUNCS(GPH_JSON_FIELD)
#undef GPH_JSON_FIELD
};

int gph_json_load(struct gph_err *e);
const struct gph_json_fns *gph_json(void);

/* Small helpers over the table: a member of an object (NULL when missing or not of that type). */
json_object *gph_js_get(json_object *o, const char *key, json_type t);
const char *gph_js_str(json_object *o, const char *key);
/* Parse a JSON file of at most 16 MiB read from fd (closed here). */
json_object *gph_json_read_fd(int fd, const char *what, struct gph_err *e);
/* Its two halves: the file's text (heap, NUL-terminated; fd closed here), and the text parsed ("WHAT:
 * not valid JSON" when it is not). */
char *gph_json_slurp_fd(int fd, const char *what, struct gph_err *e);
json_object *gph_json_parse_text(const char *text, const char *what, struct gph_err *e);

#endif
