/* ROOT/refs: one "REF sha256:MANIFEST" line per name, rewritten whole (temporary file + rename) under
 * the store's exclusive lock; and `gophernetes images`. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gph/image.h"

#define MAX_REFS 4096
struct refline {
	char ref[600];
	char digest[GPH_DIGEST_LEN];
};

/* Read all lines; n gets the count. A missing file is an empty list. */
static struct refline *refs_read(struct gph_store *st, int *n, struct gph_err *e)
{
	char p[PATH_MAX + 16], line[800];
	snprintf(p, sizeof p, "%s/refs", st->root);
	struct refline *v = calloc(MAX_REFS, sizeof *v);
	*n = 0;
	if (!v) {
		gph_fail(e, ENOMEM, NULL, "reading \"%s\"", p);
		return NULL;
	}
	FILE *f = fopen(p, "re");
	if (!f) {
		if (errno == ENOENT)
			return v;
		gph_fail(e, errno, NULL, "fopen(\"%s\")", p);
		free(v);
		return NULL;
	}
	while (*n < MAX_REFS && fgets(line, sizeof line, f)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = 0;
		sp[strcspn(sp + 1, "\n") + 1] = 0;
		if (!gph_digest_valid(sp + 1) || strlen(line) >= sizeof v->ref)
			continue;
		snprintf(v[*n].ref, sizeof v->ref, "%s", line);
		snprintf(v[*n].digest, sizeof v->digest, "%s", sp + 1);
		(*n)++;
	}
	fclose(f);
	return v;
}

static int refs_write(struct gph_store *st, const struct refline *v, int n, struct gph_err *e)
{
	char p[PATH_MAX + 16], tmp[PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/refs", st->root);
	snprintf(tmp, sizeof tmp, "%s/tmp/refs.new", st->root);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return gph_fail(e, errno, NULL, "fopen(\"%s\")", tmp);
	for (int i = 0; i < n; i++)
		if (v[i].ref[0])
			fprintf(f, "%s %s\n", v[i].ref, v[i].digest);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
		int err = errno;
		fclose(f);
		unlink(tmp);
		return gph_fail(e, err, NULL, "writing \"%s\"", tmp);
	}
	fclose(f);
	if (rename(tmp, p) < 0) {
		int err = errno;
		unlink(tmp);
		return gph_fail(e, err, NULL, "rename(\"%s\", \"%s\")", tmp, p);
	}
	return 0;
}

int gph_store_tag(struct gph_store *st, const char *ref, const char *manifest, struct gph_err *e)
{
	int n;
	struct refline *v = refs_read(st, &n, e);
	if (!v)
		return -1;
	int i;
	for (i = 0; i < n && strcmp(v[i].ref, ref) != 0; i++)
		;
	if (i == n && n == MAX_REFS) {
		free(v);
		return gph_fail(e, ENOSPC, "remove some with `gophernetes rmi`", "more than %d image names", MAX_REFS);
	}
	snprintf(v[i].ref, sizeof v->ref, "%s", ref);
	snprintf(v[i].digest, sizeof v->digest, "%s", manifest);
	int rc = refs_write(st, v, i == n ? n + 1 : n, e);
	free(v);
	return rc;
}

/* A name as typed, its canonical form, a manifest digest, or an image id (12 or more hex digits). */
static bool matches(const struct refline *l, const char *typed, const char *canon)
{
	if (strcmp(l->ref, typed) == 0 || (canon[0] && strcmp(l->ref, canon) == 0) || strcmp(l->digest, typed) == 0)
		return true;
	size_t n = strlen(typed);
	return n >= 12 && n <= 64 && strspn(typed, "0123456789abcdef") == n && strncmp(l->digest + 7, typed, n) == 0;
}

static void canonical(const char *typed, char *out, size_t len)
{
	struct gph_ref r;
	struct gph_err ignore;
	out[0] = 0;
	if (gph_ref_parse(typed, &r, &ignore) == 0)
		gph_ref_format(&r, out, len);
}

int gph_store_lookup(struct gph_store *st, const char *ref, char out[GPH_DIGEST_LEN], struct gph_err *e)
{
	char canon[700];
	int n;
	canonical(ref, canon, sizeof canon);
	struct refline *v = refs_read(st, &n, e);
	if (!v)
		return -1;
	int found = 0;
	for (int i = 0; i < n && !found; i++)
		if (matches(&v[i], ref, canon)) {
			snprintf(out, GPH_DIGEST_LEN, "%s", v[i].digest);
			found = 1;
		}
	free(v);
	if (!found && gph_digest_valid(ref)) {
		/* An untagged image is still reachable by its digest. */
		char p[PATH_MAX + 96];
		struct stat sb;
		snprintf(p, sizeof p, "%s/images/%s", st->root, ref + 7);
		if (stat(p, &sb) == 0) {
			snprintf(out, GPH_DIGEST_LEN, "%s", ref);
			found = 1;
		}
	}
	return found;
}

/* Remove the names that match ref; *left gets how many names still point at the same manifest. */
int gph_store_untag(struct gph_store *st, const char *ref, const char *digest, int *left, struct gph_err *e)
{
	char canon[700];
	int n;
	canonical(ref, canon, sizeof canon);
	struct refline *v = refs_read(st, &n, e);
	if (!v)
		return -1;
	*left = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(v[i].digest, digest) != 0)
			continue;
		/* By digest or id: every name of the image goes; by name: that name only. */
		bool id_form = strlen(ref) >= 12 && (strcmp(ref, digest) == 0 || strncmp(digest + 7, ref, strlen(ref)) == 0);
		if (strcmp(v[i].ref, ref) == 0 || (canon[0] && strcmp(v[i].ref, canon) == 0) || id_form)
			v[i].ref[0] = 0;
		else
			(*left)++;
	}
	int rc = refs_write(st, v, n, e);
	free(v);
	return rc;
}

static long long dir_blob_size(struct gph_store *st, const char *hex)
{
	char p[PATH_MAX + 512], line[128];
	long long total = 0;
	snprintf(p, sizeof p, "%s/images/%s/blobs", st->root, hex);
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		struct stat sb;
		if (!gph_digest_valid(line))
			continue;
		snprintf(p, sizeof p, "%s/blobs/sha256/%s", st->root, line + 7);
		if (stat(p, &sb) == 0)
			total += sb.st_size;
	}
	fclose(f);
	return total;
}

int gph_store_list(struct gph_store *st, FILE *out, struct gph_err *e)
{
	int n;
	struct refline *v = refs_read(st, &n, e);
	if (!v)
		return -1;
	fprintf(out, "%-50s %-12s %s\n", "REFERENCE", "IMAGE ID", "SIZE");
	for (int i = 0; i < n; i++) {
		long long sz = dir_blob_size(st, v[i].digest + 7);
		fprintf(out, "%-50s %.12s %.1f MiB\n", v[i].ref, v[i].digest + 7, sz < 0 ? 0.0 : (double)sz / (1 << 20));
	}
	free(v);
	return 0;
}
