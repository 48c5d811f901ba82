/* The `image REF` step: parsed in the runtime (store look-up, no JSON), applied in the sandbox's own
 * mount namespace (the overlay mount never touches the host's). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "gph/image.h"
#include "gph/step.h"

int gph_image_step_parse(const char *ref, struct gph_step *s, struct gph_err *e)
{
	struct gph_image_run r;
	const char *root = getenv("GPH_IMAGE_ROOT");
	if (gph_image_run_load(root && *root ? root : NULL, ref, &r, e) < 0) {
		gph_err_wrap(e, "image: ");
		return -1;
	}
	snprintf(s->path, sizeof s->path, "%s", r.lowerdir);
	snprintf(s->image_store, sizeof s->image_store, "%s", root && *root ? root : GPH_STORE_DEFAULT);
	snprintf(s->image_id, sizeof s->image_id, "%s", r.manifest);
	gph_image_run_free(&r);
	return 0;
}

int gph_image_step_inside(const struct gph_step *s, struct gph_err *e)
{
	char merged[PATH_MAX + 16];
	return gph_image_mount(s->path, s->image_dir, merged, sizeof merged, e);
}

int gph_image_ctr_prepare(const struct gph_step *s, const char *id, char *dir, size_t len, struct gph_err *e)
{
	char p[PATH_MAX + 64];
	if (snprintf(dir, len, "%s/containers/%s", s->image_store, id) >= (int)len)
		return gph_fail(e, ENAMETOOLONG, "use a shorter --root", "container directory for %s", id);
	if (mkdir(dir, 0700) < 0)
		return gph_fail(e, errno, NULL, "mkdir(\"%s\")", dir);
	/* rmi keeps an image whose digest a container directory names. */
	snprintf(p, sizeof p, "%s/image", dir);
	FILE *f = fopen(p, "we");
	if (!f)
		return gph_fail(e, errno, NULL, "fopen(\"%s\")", p);
	fprintf(f, "%s\n", s->image_id);
	if (fclose(f) != 0)
		return gph_fail(e, errno, NULL, "writing \"%s\"", p);
	return 0;
}
