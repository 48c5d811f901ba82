/* `gophernetes rmi` and the store's garbage collection: a blob or unpacked layer stays while any image
 * in ROOT/images lists it, and goes with the last one. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gph/image.h"

struct hexset {
	char (*v)[65];
	size_t n, cap;
};

static int add_hex(struct hexset *s, const char *hex)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		char(*nv)[65] = realloc(s->v, cap * sizeof *nv);
		if (!nv)
			return -1;
		s->v = nv;
		s->cap = cap;
	}
	snprintf(s->v[s->n++], 65, "%s", hex);
	return 0;
}

static bool has_hex(const struct hexset *s, const char *hex)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], hex) == 0)
			return true;
	return false;
}

/* Every digest (hex) listed in images/ * /file. */
static int collect(struct gph_store *st, const char *file, struct hexset *s, struct gph_err *e)
{
	char p[PATH_MAX + 512], line[128];
	snprintf(p, sizeof p, "%s/images", st->root);
	DIR *d = opendir(p);
	if (!d)
		return gph_fail(e, errno, NULL, "opendir(\"%s\")", p);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/images/%s/%s", st->root, de->d_name, file);
		FILE *f = fopen(p, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof line, f)) {
			line[strcspn(line, "\n")] = 0;
			const char *hex = strncmp(line, "sha256:", 7) == 0 ? line + 7 : line;
			if (strlen(hex) == 64 && add_hex(s, hex) < 0) {
				fclose(f);
				closedir(d);
				return gph_fail(e, ENOMEM, NULL, "store garbage collection");
			}
		}
		fclose(f);
	}
	closedir(d);
	return 0;
}

static int sweep(struct gph_store *st, const char *sub, const struct hexset *keep, int *removed, struct gph_err *e)
{
	char p[PATH_MAX + 512];
	snprintf(p, sizeof p, "%s/%s", st->root, sub);
	DIR *d = opendir(p);
	if (!d)
		return gph_fail(e, errno, NULL, "opendir(\"%s\")", p);
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || has_hex(keep, de->d_name))
			continue;
		snprintf(p, sizeof p, "%s/%s/%s", st->root, sub, de->d_name);
		if (gph_rm_tree(p, e) < 0) {
			rc = -1;
			break;
		}
		(*removed)++;
	}
	closedir(d);
	return rc;
}

int gph_store_gc(struct gph_store *st, int *removed, struct gph_err *e)
{
	struct hexset blobs = {0}, layers = {0};
	int rc = -1;
	*removed = 0;
	if (collect(st, "blobs", &blobs, e) == 0 && collect(st, "layers", &layers, e) == 0 &&
	    sweep(st, "blobs/sha256", &blobs, removed, e) == 0 && sweep(st, "layers", &layers, removed, e) == 0)
		rc = 0;
	free(blobs.v);
	free(layers.v);
	return rc;
}

/* A running container records its image in containers/ID/image: its layers must stay. */
static int in_use(struct gph_store *st, const char *digest, char *id, size_t idlen)
{
	char p[PATH_MAX + 512], line[128];
	snprintf(p, sizeof p, "%s/containers", st->root);
	DIR *d = opendir(p);
	if (!d)
		return 0;
	struct dirent *de;
	int found = 0;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/containers/%s/image", st->root, de->d_name);
		FILE *f = fopen(p, "re");
		if (!f)
			continue;
		if (fgets(line, sizeof line, f) && strncmp(line, digest, strlen(digest)) == 0) {
			snprintf(id, idlen, "%s", de->d_name);
			found = 1;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

int gph_store_rmi(struct gph_store *st, const char *ref, FILE *notes, struct gph_err *e)
{
	char digest[GPH_DIGEST_LEN], p[PATH_MAX + 96], id[256];
	int found = gph_store_lookup(st, ref, digest, e);
	if (found < 0)
		return -1;
	if (!found)
		return gph_fail(e, ENOENT, "`gophernetes images` lists the images", "no image \"%s\"", ref);
	int left;
	if (gph_store_untag(st, ref, digest, &left, e) < 0)
		return -1;
	if (notes)
		fprintf(notes, "untagged: %s\n", ref);
	if (left > 0)
		return 0; /* other names still point at it */
	if (in_use(st, digest, id, sizeof id)) {
		/* The name is gone; the image stays until its container ends and rmi is run again by digest. */
		return gph_fail(e, EBUSY, "stop the container, then `gophernetes rmi` the image by its digest",
				"image %.19s is used by container %s", digest, id);
	}
	snprintf(p, sizeof p, "%s/images/%s", st->root, digest + 7);
	if (gph_rm_tree(p, e) < 0)
		return -1;
	int removed;
	if (gph_store_gc(st, &removed, e) < 0)
		return -1;
	if (notes)
		fprintf(notes, "deleted: %s (%d blobs and layers no other image uses)\n", digest, removed);
	return 0;
}
