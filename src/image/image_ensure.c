/* `run --image REF --pull=missing|always|never`: the store is asked first (plain files, a shared lock);
 * only a pull loads libcurl, json-c and libarchive. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include "gph/image.h"

int gph_pull_policy_parse(const char *s, enum gph_pull_policy *out, struct gph_err *e)
{
	static const char *const names[] = {"missing", "always", "never"};
	for (int i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum gph_pull_policy)i;
			return 0;
		}
	return gph_fail(e, EINVAL, "--pull=missing (the default), --pull=always or --pull=never", "--pull: unknown policy \"%s\"",
			s);
}

int gph_image_ensure(const char *root, const char *ref, enum gph_pull_policy pol, const struct gph_pull_opts *po,
		     struct gph_err *e)
{
	struct gph_store st;
	if (pol == GPH_PULL_NEVER && !gph_store_exists(root))
		return 0; /* the look-up that follows reports it, without making a store */
	if (pol != GPH_PULL_ALWAYS && gph_store_exists(root)) {
		char digest[GPH_DIGEST_LEN];
		if (gph_store_open(&st, root, false, e) < 0)
			return -1;
		int found = gph_store_lookup(&st, ref, digest, e);
		gph_store_close(&st);
		if (found < 0)
			return -1;
		if (found > 0 || pol == GPH_PULL_NEVER)
			return 0; /* there, or never: the look-up that follows reports a missing image */
	}
	if (gph_store_open(&st, root, true, e) < 0)
		return -1;
	int rc = gph_image_pull(&st, ref, po, e);
	gph_store_close(&st);
	if (rc < 0)
		gph_err_wrap(e, "pulling \"%s\" (--pull=%s): ", ref, pol == GPH_PULL_ALWAYS ? "always" : "missing");
	return rc;
}
