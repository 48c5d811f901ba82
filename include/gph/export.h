/* Export: the steps a sandbox applied (sb->steps), turned into
 *   - a replayable shell script (`save FILE`), one command a line, that rebuilds the same sandbox;
 *   - the equivalent `gophernetes run` command line (`export run`), or, when the state cannot be
 *     expressed with run's options, the steps that prevent it and why.
 * Both are pure functions of the step list (and the small context below), so unit tests can call
 * them on hand-made lists. */
#ifndef GPH_EXPORT_H
#define GPH_EXPORT_H
#include <stdbool.h>
#include <stdio.h>
#include "gph/step.h"

struct gph_export_ctx {
	/* The hostname a new UTS namespace starts with (the host's, copied at unshare); NULL when
	 * unknown. Needed when `ns uts` came without `hostname`: run would name the container by its id. */
	const char *host_hostname;
	/* A step that failed and still blocks exec (sb->failed_step), "" or NULL for none. */
	const char *failed_step;
};

#define GPH_EXPORT_MAX_WHY 12
struct gph_export_why {
	int step;                   /* index in the step list, -1 for the sandbox as a whole */
	char text[256];             /* that step's command */
	char why[400];
};

struct gph_export {
	char line[8192];            /* "gophernetes run --ns ... --rootfs DIR" (no command), shell-quoted */
	char notes[2][300];         /* things worth knowing about the line ("" when unused) */
	int n_why;                  /* > 0: no line; each entry names a step and the reason */
	struct gph_export_why why[GPH_EXPORT_MAX_WHY];
};

/* Translate. Returns 0 with out->line set, or 1 with out->why filled (out->line empty). */
int gph_export_run(const struct gph_step *steps, int n, const struct gph_export_ctx *ctx, struct gph_export *out);

/* The steps as an OCI bundle's config.json on f (export_oci.c): the process runs cmd (NULL: /bin/sh).
 * Returns 0, 1 with out->why filled when config.json cannot say what the sandbox is (nothing written),
 * -1 when writing failed. */
int gph_export_oci(const struct gph_step *steps, int n, char *const *cmd, FILE *f, struct gph_export *out);

/* One step as a shell command line that parses back to the same step (paths absolute and quoted,
 * id maps as C:H:N). */
void gph_export_step_line(const struct gph_step *st, char *buf, size_t len);
/* The whole list as a script for `gophernetes-shell FILE`; header lines are written as comments.
 * Returns 0, or -1 with errno set when writing failed. */
int gph_export_script(const struct gph_step *steps, int n, const char *header, FILE *f);

/* Append word to buf (after a space when buf is not empty), single-quoted when it holds anything
 * but letters, digits and _ . / : , = @ % + -. Returns -1 when it does not fit. */
int gph_export_append_word(char *buf, size_t len, const char *word);

#endif
