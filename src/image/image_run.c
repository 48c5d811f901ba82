/* What `run --image` and the `image` step need, read from the store's plain run files (no JSON parser,
 * no libarchive: this is on the container start path), and the overlay mount of the layers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gph/image.h"

/* A file of NUL-separated words as a NULL-terminated vector (NULL when the file is absent). */
static int read_words(const char *dir, const char *name, char ***out, struct gph_err *e)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	*out = NULL;
	FILE *f = fopen(p, "re");
	if (!f)
		return errno == ENOENT ? 0 : gph_fail(e, errno, NULL, "fopen(\"%s\")", p);
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	size_t nw = 0;
	char **v = calloc(1, sizeof *v);
	while (v && (n = getdelim(&buf, &cap, '\0', f)) > 0) {
		char **nv = realloc(v, (nw + 2) * sizeof *v);
		if (!nv)
			break;
		v = nv;
		if (!(v[nw] = strdup(buf)))
			break;
		v[++nw] = NULL;
	}
	bool ok = v && !ferror(f) && feof(f);
	free(buf);
	fclose(f);
	if (!ok) {
		for (size_t i = 0; v && i < nw; i++)
			free(v[i]);
		free(v);
		return gph_fail(e, ENOMEM, NULL, "reading \"%s\"", p);
	}
	*out = v;
	return 0;
}

static void read_line(const char *dir, const char *name, char *out, size_t len)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	out[0] = 0;
	FILE *f = fopen(p, "re");
	if (!f)
		return;
	size_t n = fread(out, 1, len - 1, f);
	out[n] = 0;
	fclose(f);
}

int gph_image_lowerdir(const char *root, const char *imgdir, char *out, size_t len, struct gph_err *e)
{
	char p[PATH_MAX + 32], line[128];
	snprintf(p, sizeof p, "%s/layers", imgdir);
	FILE *f = fopen(p, "re");
	if (!f)
		return gph_fail(e, errno, "import or pull the image again", "fopen(\"%s\")", p);
	/* The file lists the bottom layer first; overlayfs wants the top one first. */
	char layers[GPH_IMAGE_MAX_LAYERS][65];
	int n = 0;
	while (n < GPH_IMAGE_MAX_LAYERS && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (strlen(line) == 64)
			snprintf(layers[n++], 65, "%s", line);
	}
	fclose(f);
	size_t o = 0;
	out[0] = 0;
	for (int i = n - 1; i >= 0; i--) {
		int w = snprintf(out + o, len - o, "%s%s/layers/%s", o ? ":" : "", root, layers[i]);
		if (w < 0 || (size_t)w >= len - o)
			return gph_fail(e, ENAMETOOLONG, "use a store root with a shorter path (--root)",
					"the overlay's lowerdir list for %s is too long", imgdir);
		o += (size_t)w;
	}
	return n ? 0 : gph_fail(e, EINVAL, NULL, "%s: no layers", p);
}

int gph_image_run_load(const char *root, const char *ref, struct gph_image_run *r, struct gph_err *e)
{
	struct gph_store st;
	char dir[PATH_MAX + 96];
	memset(r, 0, sizeof *r);
	if (gph_store_open(&st, root, false, e) < 0)
		return -1;
	int found = gph_store_lookup(&st, ref, r->manifest, e);
	if (found <= 0) {
		if (found == 0)
			gph_fail(e, ENOENT, "`gophernetes import FILE` or `gophernetes images` (--root for another store)",
				 "no image \"%s\" in %s", ref, st.root);
		gph_store_close(&st);
		return -1;
	}
	if (snprintf(dir, sizeof dir, "%s/images/%s", st.root, r->manifest + 7) >= (int)sizeof r->dir) {
		gph_store_close(&st);
		return gph_fail(e, ENAMETOOLONG, "use a shorter --root", "store path too long");
	}
	memcpy(r->dir, dir, strlen(dir) + 1);
	int rc = gph_image_lowerdir(st.root, dir, r->lowerdir, sizeof r->lowerdir, e);
	if (rc == 0 && (read_words(dir, "entrypoint", &r->entrypoint, e) < 0 || read_words(dir, "cmd", &r->cmd, e) < 0 ||
			read_words(dir, "env", &r->env, e) < 0))
		rc = -1;
	read_line(dir, "workdir", r->workdir, sizeof r->workdir);
	read_line(dir, "user", r->user, sizeof r->user);
	gph_store_close(&st);
	if (rc < 0)
		gph_image_run_free(r);
	return rc;
}

void gph_image_run_free(struct gph_image_run *r)
{
	char **vs[] = {r->entrypoint, r->cmd, r->env};
	for (int k = 0; k < 3; k++)
		for (char **p = vs[k]; p && *p; p++)
			free(*p);
	free(r->entrypoint);
	free(r->cmd);
	free(r->env);
	r->entrypoint = r->cmd = r->env = NULL;
}

int gph_image_mount(const char *lowerdir, const char *dir, char *merged, size_t len, struct gph_err *e)
{
	static const char *const sub[] = {"upper", "work", "merged"};
	char p[PATH_MAX + 16];
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, sub[i]);
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return gph_fail(e, errno, NULL, "mkdir(\"%s\")", p);
	}
	snprintf(merged, len, "%s/merged", dir);
	size_t olen = strlen(lowerdir) + 2 * strlen(dir) + 64;
	char *opts = malloc(olen);
	if (!opts)
		return gph_fail(e, ENOMEM, NULL, "overlay options");
	snprintf(opts, olen, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lowerdir, dir, dir);
	/* GPH_IMAGE_COPY=1 (or a kernel without overlayfs): the layers copied instead (layer_copy.c). */
	const char *force = getenv("GPH_IMAGE_COPY");
	bool copy = force && strcmp(force, "1") == 0;
	int rc = copy ? -1 : mount("overlay", merged, "overlay", 0, opts);
	int err = errno;
	free(opts);
	if (rc < 0 && (copy || err == ENODEV)) {
		if (gph_layers_copy(lowerdir, merged, e) < 0) {
			gph_err_wrap(e, "%s: ", copy ? "GPH_IMAGE_COPY=1" : "no overlayfs, copying the layers");
			return -1;
		}
		return 0;
	}
	if (rc < 0)
		return gph_fail(e, err, "overlayfs is needed for images (modprobe overlay; a store on tmpfs, ext4 or xfs; or GPH_IMAGE_COPY=1 to copy the layers)",
				"mount(\"overlay\", \"%s\", lowerdir=...)", merged);
	return 0;
}

static size_t count(char **v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

static bool has_var(char **env, const char *name)
{
	size_t n = strlen(name);
	for (char **p = env; p && *p; p++)
		if (strncmp(*p, name, n) == 0 && (*p)[n] == '=')
			return true;
	return false;
}

int gph_image_command(const struct gph_image_run *r, char **args, int nargs, char ***argv_out, char ***env_out,
		      struct gph_err *e)
{
	/* As docker: Entrypoint + (CMD from the command line, else the image's Cmd). */
	size_t ne = count(r->entrypoint), nc = nargs > 0 ? (size_t)nargs : count(r->cmd), nv = count(r->env);
	*argv_out = *env_out = NULL;
	if (ne + nc == 0)
		return gph_fail(e, 0, "give the command: gophernetes run --image REF CMD [ARGS...]",
				"the image sets no Entrypoint and no Cmd");
	char **a = calloc(ne + nc + 1, sizeof *a), **env = calloc(nv + 3, sizeof *env);
	if (!a || !env) {
		free(a);
		free(env);
		return gph_fail(e, ENOMEM, NULL, "the image's command");
	}
	for (size_t i = 0; i < ne; i++)
		a[i] = r->entrypoint[i];
	for (size_t i = 0; i < nc; i++)
		a[ne + i] = nargs > 0 ? args[i] : r->cmd[i];
	for (size_t i = 0; i < nv; i++)
		env[i] = r->env[i];
	/* An image without PATH still finds its programs where images keep them. */
	if (!has_var(r->env, "PATH"))
		env[nv++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	if (!has_var(r->env, "HOME"))
		env[nv++] = "HOME=/root";
	*argv_out = a;
	*env_out = env;
	return 0;
}
