/* The shell's `save FILE`, `export run [CMD...]` and `doctor`: thin faces of the engine's export
 * (export_run.c, export_save.c) and doctor (doctor.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>
#include "gph/doctor.h"
#include "gph/export.h"
#include "shell.h"

static void say_err(struct shell *sh, struct gph_err *e)
{
	fflush(sh->out);
	gph_err_print(e, sh->out, "error");
}

/* save and export rebuild the steps; what an exec'd command did to the sandbox's mount table (a
 * mount below a shared mount propagates back into it) is not a step, and the rebuilt sandbox lacks
 * it. Measured, not guessed: the shell counts the sandbox's mounts around every exec. */
static void exec_mounts_note(struct shell *sh, const char *what)
{
	if (!sh->exec_mount_changes)
		return;
	fprintf(sh->out, "# note: %d command%s run with `exec` changed the sandbox's mount table (the last: `%s`); "
		"%s rebuilds the steps only, not what commands mounted\n", sh->exec_mount_changes,
		sh->exec_mount_changes == 1 ? "" : "s", sh->exec_mount_cmd, what);
}

int shell_cmd_save(struct shell *sh, int argc, char **argv)
{
	struct gph_err e = {0};
	if (argc != 2) {
		gph_fail(&e, 0, "e.g. save box.gph, then `gophernetes-shell box.gph` rebuilds it", "usage: save FILE");
		say_err(sh, &e);
		return -1;
	}
	if (!sh->started) {
		gph_fail(&e, 0, "`reset` starts a new one", "save: there is no sandbox");
		say_err(sh, &e);
		return -1;
	}
	FILE *f = fopen(argv[1], "we");
	if (!f) {
		gph_fail(&e, errno, NULL, "save: open(\"%s\") for writing", argv[1]);
		say_err(sh, &e);
		return -1;
	}
	char header[512];
	snprintf(header, sizeof header,
		 "gophernetes-shell script: the %d step%s applied to sandbox %s.\n"
		 "Replay: gophernetes-shell %s%s%s", sh->sb.n_steps, sh->sb.n_steps == 1 ? "" : "s", sh->sb.id, argv[1],
		 sh->sb.failed_step[0] ? "\nNot included: the step that failed, `" : "",
		 sh->sb.failed_step[0] ? sh->sb.failed_step : "");
	if (sh->sb.failed_step[0])
		strncat(header, "`", sizeof header - strlen(header) - 1);
	if (sh->exec_mount_changes)
		strncat(header, "\nNot included: mounts made by commands run with `exec` (they are not steps)",
			sizeof header - strlen(header) - 1);
	int rc = gph_export_script(sh->sb.steps, sh->sb.n_steps, header, f);
	int err = errno;
	if (fclose(f) != 0 && rc == 0) {
		rc = -1;
		err = errno;
	}
	if (rc < 0) {
		gph_fail(&e, err, NULL, "save: writing \"%s\"", argv[1]);
		say_err(sh, &e);
		return -1;
	}
	fprintf(sh->out, "saved %d step%s to %s\n", sh->sb.n_steps, sh->sb.n_steps == 1 ? "" : "s", argv[1]);
	exec_mounts_note(sh, "the script");
	return 0;
}

static int export_oci(struct shell *sh, int argc, char **argv)
{
	struct gph_err e = {0};
	if (argc < 3) {
		gph_fail(&e, 0, "e.g. export oci ./bundle", "usage: export oci DIR [CMD [ARGS...]]");
		say_err(sh, &e);
		return -1;
	}
	if (!sh->started) {
		gph_fail(&e, 0, "`reset` starts a new one", "export: there is no sandbox");
		say_err(sh, &e);
		return -1;
	}
	static struct gph_export x; /* large */
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem) {
		gph_fail(&e, errno, NULL, "open_memstream()");
		say_err(sh, &e);
		return -1;
	}
	int rc = gph_export_oci(sh->sb.steps, sh->sb.n_steps, argc > 3 ? argv + 3 : NULL, mem, &x);
	fclose(mem);
	if (rc == 1) {
		fprintf(sh->out, "export oci: config.json cannot describe this sandbox:\n");
		for (int i = 0; i < x.n_why; i++)
			fprintf(sh->out, "  %s%s%s%s\n", x.why[i].text[0] ? "`" : "", x.why[i].text, x.why[i].text[0] ? "`: " : "", x.why[i].why);
		free(buf);
		return -1;
	}
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/config.json", argv[2]);
	FILE *f = NULL;
	if (rc < 0 || (mkdir(argv[2], 0755) < 0 && errno != EEXIST) || !(f = fopen(path, "wx")) || fputs(buf, f) < 0 ||
	    fclose(f) != 0) {
		gph_fail(&e, errno, errno == EEXIST ? "give a new directory, or remove its config.json" : NULL, "export oci: writing %s", path);
		say_err(sh, &e);
		free(buf);
		return -1;
	}
	free(buf);
	fprintf(sh->out, "wrote %s: gophernetes run --bundle %s ID\n", path, argv[2]);
	return 0;
}

int shell_cmd_export(struct shell *sh, int argc, char **argv)
{
	struct gph_err e = {0};
	if (argc >= 2 && strcmp(argv[1], "oci") == 0)
		return export_oci(sh, argc, argv);
	if (argc < 2 || strcmp(argv[1], "run") != 0) {
		gph_fail(&e, 0, "`help export` explains it", "usage: export run [CMD [ARGS...]] | export oci DIR [CMD [ARGS...]]");
		say_err(sh, &e);
		return -1;
	}
	if (!sh->started) {
		gph_fail(&e, 0, "`reset` starts a new one", "export: there is no sandbox");
		say_err(sh, &e);
		return -1;
	}
	char host[256] = "";
	if (gethostname(host, sizeof host - 1) < 0)
		host[0] = '\0';
	struct gph_export_ctx ctx = {.host_hostname = host, .failed_step = sh->sb.failed_step};
	static struct gph_export x; /* large */
	if (gph_export_run(sh->sb.steps, sh->sb.n_steps, &ctx, &x) != 0) {
		fprintf(sh->out, "export run: `gophernetes run` cannot build this sandbox:\n");
		for (int i = 0; i < x.n_why; i++) {
			if (x.why[i].step >= 0)
				fprintf(sh->out, "  step %d `%s`: %s\n", x.why[i].step + 1, x.why[i].text, x.why[i].why);
			else
				fprintf(sh->out, "  %s\n", x.why[i].why);
		}
		fprintf(sh->out, "  (`save FILE` keeps it as a script for gophernetes-shell instead)\n");
		exec_mounts_note(sh, "a saved script");
		return -1;
	}
	/* the command: what the learner gave, else a shell */
	char *def[] = {"/bin/sh", NULL};
	char **cmd = argc > 2 ? argv + 2 : def;
	if (gph_export_append_word(x.line, sizeof x.line, "--") < 0)
		goto too_long;
	for (; *cmd; cmd++)
		if (gph_export_append_word(x.line, sizeof x.line, *cmd) < 0)
			goto too_long;
	fprintf(sh->out, "%s\n", x.line);
	for (int i = 0; i < 2; i++)
		if (x.notes[i][0])
			fprintf(sh->out, "# note: %s\n", x.notes[i]);
	exec_mounts_note(sh, "this line");
	return 0;
too_long:
	gph_fail(&e, E2BIG, NULL, "export run: the command line is too long");
	say_err(sh, &e);
	return -1;
}

int shell_cmd_doctor(struct shell *sh, int argc, char **argv)
{
	(void)argv;
	struct gph_err e = {0};
	if (argc != 1) {
		gph_fail(&e, 0, NULL, "usage: doctor");
		say_err(sh, &e);
		return -1;
	}
	struct gph_doctor_facts f;
	gph_doctor_gather(&f, sh->rootfs);
	gph_doctor_report(sh->out, &f, sh->rootfs, NULL);
	return 0;
}
