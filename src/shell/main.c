/* gophernetes-shell: options and the choice of mode.
 *   gophernetes-shell [--rootfs DIR]             the REPL when stdin is a terminal, else a script
 *   gophernetes-shell [--rootfs DIR] FILE         commands from FILE ("-": standard input)
 *   gophernetes-shell [--rootfs DIR] --replay [--tap] FILE...   replay lessons
 *   gophernetes-shell [--rootfs DIR] --lesson NAME      the tutor, then the shell
 *   gophernetes-shell --lint FILE...                    the lesson lint only */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "shell.h"
#include "tutor.h"

/* engine/title.c (as in src/cli/main.c): lets the sandbox process show a short title in `ps`
 * instead of repeating this command line. */
void gph_save_argv(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gophernetes-shell [--rootfs DIR] [FILE]\n"
		"       gophernetes-shell [--rootfs DIR] --replay [--tap] LESSON...\n"
		"       gophernetes-shell [--rootfs DIR] --lesson NAME\n"
		"       gophernetes-shell --lint LESSON...\n"
		"\n"
		"Build a container step by step on a live sandbox (run as root).\n"
		"  --rootfs DIR   root filesystem for `chroot` and `pivot_root` typed without a\n"
		"                 directory (default %s)\n"
		"  --replay       run each LESSON in a fresh sandbox and check its expectations;\n"
		"                 prints one line per lesson and \"N passed, N failed\"; a lesson\n"
		"                 this machine cannot run is skipped with the reason\n"
		"  --tap          with --replay: print TAP (version 13) instead\n"
		"  --lesson NAME  the tutor: walks you through lesson NAME (01-pid-namespace, 01,\n"
		"                 or a path) step by step, then leaves you at the prompt\n"
		"  --lint         check LESSON files against the rules of lessons/README.md\n"
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
		{"tap", no_argument, NULL, 'T'},
		{"lesson", required_argument, NULL, 'L'},
		{"lint", no_argument, NULL, 'I'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *rootfs = SHELL_DEFAULT_ROOTFS;
	bool replay = false, tap = false, lint = false;
	const char *lesson = NULL;
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
		case 'T':
			tap = true;
			break;
		case 'L':
			lesson = optarg;
			break;
		case 'I':
			lint = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if ((replay || tap) + lint + (lesson != NULL) > 1) {
		fprintf(stderr, "gophernetes-shell: --replay, --lint and --lesson go one at a time\n");
		return 2;
	}
	if (lint || replay || tap) {
		if (optind >= argc) {
			fprintf(stderr, "gophernetes-shell: %s needs at least one lesson file\n",
				lint ? "--lint" : "--replay");
			return 2;
		}
		if (lint)
			return shell_lint(argv + optind, argc - optind, stdout);
		return shell_replay_opts(rootfs, argv + optind, argc - optind, stdout, tap);
	}
	if (lesson && optind < argc) {
		fprintf(stderr, "gophernetes-shell: --lesson takes its commands from the learner, not "
			"from a file\n");
		return 2;
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
	int status;
	sh.start_lesson = lesson;
	if (io == SHELL_IO_TERMINAL)
		status = shell_repl(&sh); /* starts with the tutor when --lesson was given */
	else if (lesson && tutor_run(&sh, lesson) == TUTOR_MUST_QUIT)
		status = 1;
	else
		status = shell_run_script(&sh, in);
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
