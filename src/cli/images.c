/* `gophernetes import`, `images`, `rmi`: the image store's commands (src/image/). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "gph/image.h"

/* "--root DIR" or "--root=DIR" anywhere before the arguments; returns the index of the first argument. */
static int store_opts(int argc, char **argv, const char **root, struct gph_err *e)
{
	int i = 1;
	*root = NULL;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
			*root = argv[++i];
		else if (strncmp(argv[i], "--root=", 7) == 0)
			*root = argv[i] + 7;
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
	int first = store_opts(argc, argv, &root, &e);
	int nargs = first < 0 ? 0 : argc - first;
	bool import = strcmp(cmd, "import") == 0, rmi = strcmp(cmd, "rmi") == 0;
	if (first >= 0 && ((import && (nargs < 1 || nargs > 2)) || (rmi && nargs < 1) || (!import && !rmi && nargs)))
		first = gph_fail(&e, 0,
				 import ? "gophernetes import [--root DIR] FILE|DIR [REF]"
				 : rmi  ? "gophernetes rmi [--root DIR] REF..."
					: "gophernetes images [--root DIR]",
				 "%s: wrong number of arguments", cmd);
	if (first < 0 || gph_store_open(&st, root, import || rmi, &e) < 0) {
		gph_err_print(&e, stderr, "gophernetes");
		return 125;
	}
	int rc = 0;
	if (import)
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
