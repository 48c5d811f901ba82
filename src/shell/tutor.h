/* The tutor and what it shares with lesson replay: finding lessons, checking a lesson's @needs on
 * this machine, a private network namespace for network lessons, the learner's progress, and
 * deciding whether a typed command is the lesson's step spelled another way. */
#ifndef GPH_SHELL_TUTOR_H
#define GPH_SHELL_TUTOR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "gph/error.h"
#include "gph/lesson.h"
#include "shell.h"

/* ---- lesson_env.c ---- */
/* "lessons/01-pid-namespace.lesson" -> "01-pid-namespace". */
void lesson_short_name(const char *path, char *buf, size_t len);
/* Whether this machine meets one @needs; if not, why into why. */
bool lesson_need_met(const char *need, char *why, size_t len);
/* What a learner can do about an unmet need (one or two sentences). */
const char *lesson_need_advice(const char *need);
/* The first unmet need of l (its index), why into why; -1 when every need is met. */
int lesson_first_unmet(const struct gph_lesson *l, char *why, size_t len);
/* A lesson with `@needs net` runs in a network namespace of its own: enter one (*saved gets the
 * descriptor of the old one, -1 when the lesson does not need the network), and leave it. */
int lesson_net_enter(const struct gph_lesson *l, int *saved, struct gph_err *e);
int lesson_net_leave(int saved, struct gph_err *e);
/* The directory of the lessons: $GPH_LESSONS_DIR, ./lessons, or lessons/ next to (or one level
 * above) the program. */
int lessons_dir(char *buf, size_t len, struct gph_err *e);
/* NAME ("01-pid-namespace", "01", "pid-namespace") or a path -> the lesson file's path. */
int lesson_find(const char *name, char *path, size_t len, struct gph_err *e);
/* The lesson files of dir, sorted (caller frees each and the array). */
int lessons_list(const char *dir, char ***paths, int *n, struct gph_err *e);
void lessons_list_free(char **paths, int n);

/* ---- progress.c: "$XDG_STATE_HOME/gophernetes/progress", one line per lesson ---- */
struct progress_entry {
	char name[256];
	int steps;     /* steps done (run or skipped) in the latest attempt */
	int total;     /* steps in the lesson */
	int skipped;   /* of those, skipped */
	bool finished; /* the lesson was followed to its end at least once */
};
struct progress {
	struct progress_entry *e;
	int n;
};
int progress_path(char *buf, size_t len);
/* Load from path (a missing file is an empty progress). */
int progress_load(const char *path, struct progress *p, struct gph_err *e);
void progress_free(struct progress *p);
const struct progress_entry *progress_get(const struct progress *p, const char *name);
/* Set one lesson's entry (finished stays set once set) and rewrite the file atomically. */
int progress_record(const char *path, const struct progress_entry *entry, struct gph_err *e);
/* "done", "3 of 9 steps", "not started" into buf. */
void progress_describe(const struct progress_entry *pe, char *buf, size_t len);

/* ---- tutor_match.c ---- */
/* Whether typed is the lesson's command expected, spelled the same or another way: steps are
 * compared parsed (`chroot`/`pivot_root` alone mean rootfs), other commands by their words. When
 * not, why (may be NULL) says what differs, e.g. "it leaves out the pid namespace". */
bool tutor_same_command(const char *expected, const char *typed, const char *rootfs, char *why,
			size_t why_len);

/* ---- replay.c ---- */
/* Everything written to the memory file fd so far, NUL-terminated (caller frees), or NULL. */
char *replay_slurp(int fd);

/* ---- tutor.c ---- */
/* Walk the learner through a lesson on sh's sandbox. Returns 0 when it was followed to the end,
 * 1 when not, TUTOR_MUST_QUIT when the shell could not return to its network namespace (it must
 * not go on: later commands would run in the wrong one). */
#define TUTOR_MUST_QUIT 2
int tutor_run(struct shell *sh, const char *name);
/* `lessons`: every lesson with the learner's progress. */
int tutor_list(FILE *out);

#endif
