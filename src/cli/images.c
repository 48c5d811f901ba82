/* `gophernetes pull`, `import`, `images`, `rmi`: the image store's commands (src/image/). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "gph/image.h"

static char creds_buf[1024];

int cli_read_creds(const char *path, char *buf, size_t len, struct gph_err *e)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return gph_fail(e, errno, NULL, "fopen(\"%s\")", path);
	bool ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\r\n")] = 0;
	if (!ok || !strchr(buf, ':'))
		return gph_fail(e, EINVAL, "the file holds one line user:password", "--creds-file \"%s\": no user:password line", path);
	return 0;
}

/* The options before the arguments ("--root DIR", and pull's); returns the index of the first argument. */
static int store_opts(int argc, char **argv, const char **root, struct gph_pull_opts *po, struct gph_err *e)
{
	int i = 1;
	bool pull = strcmp(argv[0], "pull") == 0;
	*root = NULL;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
			*root = argv[++i];
		else if (strncmp(argv[i], "--root=", 7) == 0)
			*root = argv[i] + 7;
		else if (pull && strcmp(argv[i], "--insecure") == 0)
			po->insecure = true;
		else if (pull && strcmp(argv[i], "--creds") == 0 && i + 1 < argc)
			po->creds = argv[++i];
		else if (pull && strcmp(argv[i], "--creds-file") == 0 && i + 1 < argc) {
			if (cli_read_creds(argv[++i], creds_buf, sizeof creds_buf, e) < 0)
				return -1;
			po->creds = creds_buf;
		} else if (pull && strcmp(argv[i], "--platform") == 0 && i + 1 < argc)
			po->platform = argv[++i];
		else if (strcmp(argv[i], "--") == 0)
			return i + 1;
		else
			return gph_fail(e, 0, "`gophernetes help` lists the commands", "%s: unknown option %s", argv[0], argv[i]);
	}
	return i;
}

int gph_cmd_images(int argc, char **argv)
{
	struct gph_err e;
	struct gph_store st;
	const char *root;
	gph_err_clear(&e);
	const char *cmd = argv[0];
	char platform[64];
	gph_pull_default_platform(platform, sizeof platform);
	struct gph_pull_opts po = {.platform = platform, .notes = stdout};
	int first = store_opts(argc, argv, &root, &po, &e);
	int nargs = first < 0 ? 0 : argc - first;
	bool import = strcmp(cmd, "import") == 0, rmi = strcmp(cmd, "rmi") == 0, pull = strcmp(cmd, "pull") == 0;
	if (first >= 0 && ((import && (nargs < 1 || nargs > 2)) || (rmi && nargs < 1) || (pull && nargs != 1) ||
			   (!import && !rmi && !pull && nargs)))
		first = gph_fail(&e, 0,
				 import ? "gophernetes import [--root DIR] FILE|DIR [REF]"
				 : rmi  ? "gophernetes rmi [--root DIR] REF..."
				 : pull ? "gophernetes pull [--root DIR] [--insecure] [--creds USER:PASS | --creds-file FILE] [--platform OS/ARCH] REF"
					: "gophernetes images [--root DIR]",
				 "%s: wrong number of arguments", cmd);
	/* Listing (or removing from) a store that does not exist makes none. */
	if (first >= 0 && !import && !pull && !gph_store_exists(root)) {
		if (rmi) {
			gph_fail(&e, ENOENT, "`gophernetes images` lists what there is", "rmi: no image store at %s",
				 root ? root : GPH_STORE_DEFAULT);
			gph_err_print(&e, stderr, "gophernetes");
			return 1;
		}
		printf("%-50s %-12s %s\n", "REFERENCE", "IMAGE ID", "SIZE"); /* as gph_store_list */
		return 0;
	}
	if (first < 0 || gph_store_open(&st, root, import || rmi || pull, &e) < 0) {
		gph_err_print(&e, stderr, "gophernetes");
		return 125;
	}
	int rc = 0;
	if (pull)
		rc = gph_image_pull(&st, argv[first], &po, &e);
	else if (import)
		rc = gph_image_import(&st, argv[first], nargs > 1 ? argv[first + 1] : NULL, stdout, &e);
	else if (rmi)
		for (int i = first; i < argc && rc == 0; i++)
			rc = gph_store_rmi(&st, argv[i], stdout, &e);
	else
		rc = gph_store_list(&st, stdout, &e);
	gph_store_close(&st);
	if (rc < 0) {
		gph_err_print(&e, stderr, "gophernetes");
		return 1;
	}
	return 0;
}
