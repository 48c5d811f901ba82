/* dlopen tables for libarchive and json-c (archive_lib.h, json_lib.h): filled on first use, the
 * handles kept open for the life of the process. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "archive_lib.h"
#include "curl_lib.h"
#include "json_lib.h"
#include "gph/image.h"

#define AR_SONAME "libarchive.so.13"
#define JSON_SONAME "libjson-c.so.5"

static struct gph_ar_fns ar;
static struct gph_json_fns js;
static bool ar_loaded, js_loaded;

#define LOAD(TABLE, LIST, SONAME, PKG, FLAG)                                                           \
	do {                                                                                           \
		static const char hint[] = "install Debian's " PKG " (`make` installs it)";            \
		if (FLAG)                                                                              \
			return 0;                                                                      \
		void *h = dlopen(SONAME, RTLD_NOW | RTLD_LOCAL);                                       \
		if (!h)                                                                                \
			return gph_fail(e, 0, hint, "dlopen(\"%s\"): %s", SONAME, dlerror());          \
		LIST(RESOLVE)                                                                          \
		FLAG = true;                                                                           \
		return 0;                                                                              \
	} while (0)

int gph_ar_load(struct gph_err *e)
{
#define RESOLVE(f)                                                                                     \
	if (!(ar.f = (__typeof__(ar.f))dlsym(h, #f))) {                                                \
		gph_fail(e, 0, hint, "dlsym(\"%s\", \"%s\"): %s", AR_SONAME, #f, dlerror());           \
		dlclose(h);                                                                            \
		return -1;                                                                             \
	}
	LOAD(ar, GPH_AR_FUNCS, AR_SONAME, "libarchive13 (libarchive-dev)", ar_loaded);
#undef RESOLVE
}

int gph_json_load(struct gph_err *e)
{
#define RESOLVE(f)                                                                                     \
	if (!(js.f = (__typeof__(js.f))dlsym(h, #f))) {                                                \
		gph_fail(e, 0, hint, "dlsym(\"%s\", \"%s\"): %s", JSON_SONAME, #f, dlerror());         \
		dlclose(h);                                                                            \
		return -1;                                                                             \
	}
	LOAD(js, GPH_JSON_FUNCS, JSON_SONAME, "libjson-c5 (libjson-c-dev)", js_loaded);
#undef RESOLVE
}

const struct gph_ar_fns *gph_ar(void)
{
	return &ar;
}

const struct gph_json_fns *gph_json(void)
{
	return &js;
}

json_object *gph_js_get(json_object *o, const char *key, json_type t)
{
	json_object *v = NULL;
	if (!o || js.json_object_get_type(o) != json_type_object || !js.json_object_object_get_ex(o, key, &v))
		return NULL;
	return v && js.json_object_get_type(v) == t ? v : NULL;
}

const char *gph_js_str(json_object *o, const char *key)
{
	json_object *v = gph_js_get(o, key, json_type_string);
	return v ? js.json_object_get_string(v) : NULL;
}

char *gph_json_slurp_fd(int fd, const char *what, struct gph_err *e)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		gph_fail(e, errno, NULL, "fstat(%s)", what);
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > 16 << 20) {
		gph_fail(e, 0, "an image's JSON files are small regular files", "%s: not a regular file of at most 16 MiB", what);
		close(fd);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		gph_fail(e, ENOMEM, NULL, "reading %s", what);
		return NULL;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			gph_fail(e, n < 0 ? errno : EIO, NULL, "read(%s)", what);
			free(buf);
			close(fd);
			return NULL;
		}
		got += (size_t)n;
	}
	buf[got] = 0;
	close(fd);
	return buf;
}

json_object *gph_json_parse_text(const char *text, const char *what, struct gph_err *e)
{
	json_object *o = js.json_tokener_parse(text);
	if (!o)
		gph_fail(e, 0, "the file is damaged or not an image file", "%s: not valid JSON", what);
	return o;
}

json_object *gph_json_read_fd(int fd, const char *what, struct gph_err *e)
{
	char *buf = gph_json_slurp_fd(fd, what, e);
	if (!buf)
		return NULL;
	json_object *o = gph_json_parse_text(buf, what, e);
	free(buf);
	return o;
}

int gph_image_ar_load(struct gph_err *e)
{
	return gph_ar_load(e);
}

#define CURL_SONAME "libcurl.so.4"
static struct gph_curl_fns cu;
static bool cu_loaded;

int gph_curl_load(struct gph_err *e)
{
#define RESOLVE(f)                                                                                     \
	if (!(cu.f = (__typeof__(cu.f))dlsym(h, #f))) {                                                \
		gph_fail(e, 0, hint, "dlsym(\"%s\", \"%s\"): %s", CURL_SONAME, #f, dlerror());         \
		dlclose(h);                                                                            \
		return -1;                                                                             \
	}
	do {
		static const char hint[] = "install Debian's libcurl4 (`make` installs libcurl4-openssl-dev)";
		if (cu_loaded)
			return 0;
		void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			return gph_fail(e, 0, hint, "dlopen(\"%s\"): %s", CURL_SONAME, dlerror());
		GPH_CURL_FUNCS(RESOLVE)
		if (cu.curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return gph_fail(e, 0, NULL, "curl_global_init() failed");
		cu_loaded = true;
		return 0;
	} while (0);
#undef RESOLVE
}

const struct gph_curl_fns *gph_curl(void)
{
	return &cu;
}
