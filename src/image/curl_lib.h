/* libcurl, loaded with dlopen on first use (as libarchive and json-c are): only `pull` needs it. */
#ifndef GPH_CURL_LIB_H
#define GPH_CURL_LIB_H
/* The typecheck macros would turn curl_easy_setopt(...) calls through the table into macro calls. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include "gph/error.h"

#define GPH_CURL_FUNCS(X) \
	X(curl_global_init) \
	X(curl_easy_init) \
	X(curl_easy_setopt) \
	X(curl_easy_perform) \
	X(curl_easy_getinfo) \
	X(curl_easy_cleanup) \
	X(curl_easy_strerror) \
	X(curl_easy_escape) \
	X(curl_free) \
	X(curl_slist_append) \
	X(curl_slist_free_all)

struct gph_curl_fns {
#define GPH_CURL_FIELD(f) __typeof__(f) *f;
	GPH_CURL_FUNCS(GPH_CURL_FIELD)
#undef GPH_CURL_FIELD
};

int gph_curl_load(struct gph_err *e);
const struct gph_curl_fns *gph_curl(void);

#endif
