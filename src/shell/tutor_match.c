/* Is what the learner typed the lesson's step? Steps are compared after parsing, so the order of
 * namespaces, a default path written out, or `pivot_root` with or without the shell's root
 * filesystem do not matter; other commands (exec, show, ...) are compared word by word, so only
 * quoting may differ. */
#define _GNU_SOURCE
#include <sched.h>
#include <string.h>
#include "gph/parse.h"
#include "gph/step.h"
#include "tutor.h"

/* Parse words as the shell's step command would, `chroot`/`pivot_root` alone meaning rootfs. */
static int parse_like_shell(char **argv, int argc, const char *rootfs, struct gph_step *st)
{
	struct gph_err e = {0};
	char *with_root[3];
	if (argc == 1 && (!strcmp(argv[0], "chroot") || !strcmp(argv[0], "pivot_root"))) {
		with_root[0] = argv[0];
		with_root[1] = (char *)rootfs;
		with_root[2] = NULL;
		argv = with_root;
		argc = 2;
	}
	return gph_step_parse(argc, argv, st, &e);
}

static void list_ns(int flags, char *buf, size_t len)
{
	gph_ns_flags_str(flags, buf, len);
	for (char *p = buf; *p; p++)
		if (*p == ',')
			*p = ' ';
}

/* For the hint: what the typed step does differently from the lesson's. */
static void describe_difference(const struct gph_step *want, const struct gph_step *got, char *why,
				size_t len)
{
	if (want->kind == GPH_STEP_NS && got->kind == GPH_STEP_NS) {
		char a[128], b[128];
		list_ns(want->ns_flags & ~got->ns_flags, a, sizeof a);
		list_ns(got->ns_flags & ~want->ns_flags, b, sizeof b);
		if (a[0] && b[0])
			snprintf(why, len, "it leaves out %s and adds %s", a, b);
		else if (a[0])
			snprintf(why, len, "it leaves out %s", a);
		else if (b[0])
			snprintf(why, len, "it also asks for %s, which this lesson does not use here", b);
		else
			snprintf(why, len, "the namespaces are right; the id maps differ");
		return;
	}
	if (want->kind == GPH_STEP_MOUNT && got->kind == GPH_STEP_MOUNT && want->mount == got->mount) {
		snprintf(why, len, "right file system, but mounted on %s instead of %s", got->path,
			 want->path);
		return;
	}
	if (want->kind == got->kind) {
		snprintf(why, len, "the right command with other arguments");
		return;
	}
	snprintf(why, len, "that is another command");
}

bool tutor_same_command(const char *expected, const char *typed, const char *rootfs, char *why,
			size_t why_len)
{
	struct gph_err e = {0};
	char **want = NULL, **got = NULL;
	int nwant = 0, ngot = 0;
	bool same = false;
	char scratch[8];

	if (!why) {
		why = scratch;
		why_len = sizeof scratch;
	}
	why[0] = '\0';
	if (gph_split_words(expected, &want, &nwant, &e) < 0) {
		snprintf(why, why_len, "the lesson's command does not parse: %s", e.msg);
		return false;
	}
	if (gph_split_words(typed, &got, &ngot, &e) < 0) {
		snprintf(why, why_len, "%s", e.msg);
		gph_argv_free(want);
		return false;
	}
	if (nwant == 0 || ngot == 0) {
		snprintf(why, why_len, "nothing typed");
		goto out;
	}
	const struct gph_cmd_def *dw = gph_cmd_find(want[0]), *dg = gph_cmd_find(got[0]);
	if (dw && dw->is_step && dg && dg->is_step) {
		/* Both are steps: the same step whatever the spelling. The struct is large (paths). */
		static struct gph_step sw, sg;
		if (parse_like_shell(want, nwant, rootfs, &sw) < 0) {
			snprintf(why, why_len, "the lesson's step does not parse here");
			goto out;
		}
		if (parse_like_shell(got, ngot, rootfs, &sg) < 0) {
			snprintf(why, why_len, "`%s` is not a valid step", typed);
			goto out;
		}
		same = gph_step_equal(&sw, &sg);
		if (!same)
			describe_difference(&sw, &sg, why, why_len);
		goto out;
	}
	same = nwant == ngot;
	for (int i = 0; same && i < nwant; i++)
		same = !strcmp(want[i], got[i]);
	if (!same)
		snprintf(why, why_len, strcmp(want[0], got[0]) ? "that is another command" :
			 "the right command with other arguments");
out:
	gph_argv_free(want);
	gph_argv_free(got);
	return same;
}
