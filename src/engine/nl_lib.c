/* The libnl function table of nl_lib.h, filled by dlopen/dlsym on first use. */
#define _GNU_SOURCE
#define GPH_NL_NO_MACROS
#include "nl_lib.h"
#include "gph/net.h"
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* libnl-route-3 depends on libnl-3, so one dlopen brings both and dlsym on its handle finds the
 * nl_* functions of libnl-3 too. */
#define NL_ROUTE_SONAME "libnl-route-3.so.200"

static struct gph_nl_fns fns;
static bool loaded;

int gph_nl_load(struct gph_err *e)
{
	static const char hint[] = "install Debian's libnl-route-3-200 (`make` installs libnl-route-3-dev, which brings it)";
	if (loaded)
		return 0;
	void *h = dlopen(NL_ROUTE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return gph_fail(e, 0, hint, "dlopen(\"%s\"): %s", NL_ROUTE_SONAME, dlerror());
#define GPH_NL_RESOLVE(f)                                                                          \
	if (!(fns.f = (__typeof__(fns.f))dlsym(h, #f))) {                                          \
		gph_fail(e, 0, hint, "dlsym(\"%s\", \"%s\"): %s", NL_ROUTE_SONAME, #f, dlerror()); \
		dlclose(h);                                                                        \
		return -1;                                                                         \
	}
	GPH_NL_FUNCS(GPH_NL_RESOLVE)
#undef GPH_NL_RESOLVE
	loaded = true;
	/* cppcheck-suppress resourceLeak ; not a leak: the handle stays open for the life of the
	 * process, since the function pointers in fns point into the library it keeps loaded */
	return 0;
}

int gph_net_preload(struct gph_err *e)
{
	return gph_nl_load(e);
}

const struct gph_nl_fns *gph_nl_get(void)
{
	struct gph_err e;
	if (!loaded && gph_nl_load(&e) < 0) {
		gph_err_print(&e, stderr, "gophernetes");
		exit(125);
	}
	return &fns;
}
