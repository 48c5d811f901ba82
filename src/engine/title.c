/* Process titles: what `ps` shows for the holder and the tiny init. Inside a container, /proc/1/cmdline
 * of our init would otherwise repeat the runtime's whole command line from the host. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/prctl.h>
#include "internal.h"

static char *argv_area;
static size_t argv_len;

void gph_save_argv(int argc, char **argv)
{
	if (argc < 1)
		return;
	/* The kernel lays argv strings out back to back; their span is what cmdline reads. */
	argv_area = argv[0];
	argv_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]) + 1;
}

void gph_set_title(const char *title)
{
	prctl(PR_SET_NAME, title);
	if (!argv_area)
		return;
	memset(argv_area, 0, argv_len);
	strncpy(argv_area, title, argv_len - 1);
}
