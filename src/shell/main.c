/* gophernetes-shell: options and the choice of mode.
 *   gophernetes-shell [--rootfs DIR]             the REPL when stdin is a terminal, else a script
 *   gophernetes-shell [--rootfs DIR] FILE         commands from FILE ("-": standard input)
 *   gophernetes-shell [--rootfs DIR] --replay FILE...   replay lessons */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "shell.h"

/* engine/title.c (as in src/cli/main.c): lets the sandbox process show a short title in `ps`
 * instead of repeating this command line. */
void gph_save_argv(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gophernetes-shell [--rootfs DIR] [FILE]\n"
		"       gophernetes-shell [--rootfs DIR] --replay LESSON...\n"
		"\n"
		"Build a container step by step on a live sandbox (run as root).\n"
		"  --rootfs DIR   root filesystem for `chroot` and `pivot_root` typed without a\n"
		"                 directory (default %s)\n"
		"  --replay       run each LESSON in a fresh sandbox and check its expectations;\n"
		"                 prints one line per lesson and \"N passed, N failed\"\n"
		"  -h, --help     this text\n"
		"Without FILE the commands come from the terminal (a prompt with history and Tab\n"
		"completion) or, when standard input is not a terminal, from standard input, each\n"
		"echoed after the prompt. The exit status is 0 only if every command succeeded.\n"
		"Type `help` at the prompt for the commands.\n",
		SHELL_DEFAULT_ROOTFS);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"rootfs", required_argument, NULL, 'r'},
		{"replay", no_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *rootfs = SHELL_DEFAULT_ROOTFS;
	bool replay = false;
	int c;

	gph_save_argv(argc, argv);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rootfs = optarg;
			break;
		case 'R':
			replay = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (replay) {
		if (optind >= argc) {
			fprintf(stderr, "gophernetes-shell: --replay needs at least one lesson file\n");
			return 2;
		}
		return shell_replay(rootfs, argv + optind, argc - optind, stdout);
	}
	if (argc - optind > 1) {
		fprintf(stderr, "gophernetes-shell: one script at a time (for lessons use --replay)\n");
		usage(stderr);
		return 2;
	}

	const char *file = optind < argc ? argv[optind] : NULL;
	FILE *in = stdin;
	enum shell_io io;
	if (file && strcmp(file, "-") != 0) {
		in = fopen(file, "re");
		if (!in) {
			fprintf(stderr, "gophernetes-shell: open(\"%s\"): %s\n", file, strerror(errno));
			return 2;
		}
		io = SHELL_IO_SCRIPT;
	} else if (!file && isatty(STDIN_FILENO)) {
		io = SHELL_IO_TERMINAL;
	} else {
		io = SHELL_IO_STDIN;
	}

	struct shell sh;
	struct gph_err e = {0};
	if (io != SHELL_IO_TERMINAL && shell_catch_stop_signals(true, &e) < 0) {
		gph_err_print(&e, stderr, "error");
		return 1;
	}
	shell_init(&sh, rootfs, stdout, io); /* a failure is printed; steps will try again */
	int status = io == SHELL_IO_TERMINAL ? shell_repl(&sh) : shell_run_script(&sh, in);
	shell_fini(&sh);
	if (in != stdin)
		fclose(in);
	if (shell_stop_signal) {
		const char *sig = sigabbrev_np(shell_stop_signal);
		fprintf(stderr, "gophernetes-shell: stopped by SIG%s; the sandbox is torn down\n",
			sig ? sig : "?");
	}
	return status;
}
