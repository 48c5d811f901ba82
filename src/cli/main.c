/* gophernetes: the one-shot face of the engine (`run`) and the housekeeping commands. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "gph/doctor.h"
#include "gph/image.h"
#include "gph/sandbox.h"
#include "oci.h"

void gph_save_argv(int argc, char **argv); /* engine/title.c */

static void usage(FILE *f)
{
	fputs("usage: gophernetes COMMAND [ARGS...]\n"
	      "  run [OPTIONS] CMD [ARGS...]  run CMD in a new container (`gophernetes run --help`)\n"
	      "  ps                           list running containers\n"
	      "  pull [--root DIR] [--insecure] [--creds U:P|--creds-file F] [--platform OS/ARCH] REF\n"
	      "                               fetch an image from a registry (OCI distribution API)\n"
	      "  import [--root DIR] FILE|DIR [REF]  import a `docker save` archive or an OCI image layout\n"
	      "  images [--root DIR]          list the images in the store (default " GPH_STORE_DEFAULT ")\n"
	      "  rmi [--root DIR] REF...      remove images (their layers stay while another image uses them)\n"
	      "  gc                           remove what runtimes that died (e.g. SIGKILL) left behind\n"
	      "  doctor [--rootfs DIR]        check this machine; say which lessons behave differently here\n"
	      "  help                         this text\n"
	      "  create, start, state, kill, delete, exec, pause, resume, list, spec, features, and run --bundle:\n"
	      "                               the OCI runtime command line, as podman and containerd call runc\n"
	      "                               (`gophernetes --help`; global options such as --root come first)\n"
	      "To build a container step by step, start gophernetes-shell.\n",
	      f);
}

int main(int argc, char **argv)
{
	gph_save_argv(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 125;
	}
	/* The OCI runtime command line (podman, containerd): see gph_is_oci for how it is told apart. */
	if (gph_is_oci(argc, argv))
		return gph_cmd_oci(argc - 1, argv + 1);
	const char *cmd = argv[1];
	if (strcmp(cmd, "run") == 0)
		return gph_cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "pull") == 0 || strcmp(cmd, "import") == 0 || strcmp(cmd, "images") == 0 || strcmp(cmd, "rmi") == 0)
		return gph_cmd_images(argc - 1, argv + 1);
	if (strcmp(cmd, "ps") == 0 || strcmp(cmd, "gc") == 0) {
		struct gph_err e;
		int removed = 0;
		int rc = cmd[0] == 'p' ? gph_state_list(stdout, &e) : gph_state_gc(stdout, &removed, &e);
		if (rc < 0) {
			gph_err_print(&e, stderr, "gophernetes");
			return 1;
		}
		if (cmd[0] == 'g' && removed == 0)
			printf("nothing to remove\n");
		return 0;
	}
	if (strcmp(cmd, "doctor") == 0) {
		const char *rootfs = "./rootfs";
		if (argc == 4 && strcmp(argv[2], "--rootfs") == 0)
			rootfs = argv[3];
		else if (argc != 2) {
			fprintf(stderr, "gophernetes: usage: gophernetes doctor [--rootfs DIR]\n");
			return 125;
		}
		struct gph_doctor_facts f;
		gph_doctor_gather(&f, rootfs);
		gph_doctor_report(stdout, &f, rootfs, NULL);
		return 0;
	}
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "--version") == 0 || strcmp(cmd, "-v") == 0) {
		if (cmd[2] == 'h' || cmd[1] == 'h')
			usage(stdout);
		return gph_cmd_oci(argc - 1, argv + 1);
	}
	fprintf(stderr, "gophernetes: unknown command \"%s\"\n  hint: `gophernetes help` lists the commands\n", cmd);
	return 125;
}
