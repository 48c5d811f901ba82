/* Lessons: REPL scripts with expectations (format in lessons/README.md). Parsing and matching are
 * pure; running a lesson belongs to the shell. */
#ifndef GPH_LESSON_H
#define GPH_LESSON_H
#include <stdbool.h>
#include <stddef.h>
#include "gph/error.h"

enum gph_expect_kind {
	GPH_EXPECT_EXACT,   /* "= line"   a line equal to it                                  */
	GPH_EXPECT_GLOB,    /* "~ glob"   a line matching the glob (gph_glob_match)            */
	GPH_EXPECT_ABSENT,  /* "! glob"   no line of the output matches                       */
};

struct gph_expect {
	enum gph_expect_kind kind;
	char *text;
	int line_no;
};

enum gph_status_expect {
	GPH_STATUS_SUCCESS,  /* default: the command succeeded (status 0)   */
	GPH_STATUS_EXIT,     /* "? exit N": the command finished with status N */
	GPH_STATUS_ERROR,    /* "? error": the command failed (any non-zero) */
};

struct gph_lesson_cmd {
	char *command;          /* as the learner types it, without "$ " */
	int line_no;
	char **narration;       /* "| " lines shown before this command */
	int n_narration;
	char **asks;            /* "@ask" questions for the tutor, given before this command */
	int n_asks;
	struct gph_expect *expects;
	int n_expects;
	enum gph_status_expect status_kind;
	int status;             /* for GPH_STATUS_EXIT */
};

#define GPH_LESSON_MAX_NEEDS 8
struct gph_lesson {
	char *path;
	char *title;
	char **see;  int n_see;              /* "pid_namespaces(7)", ... */
	char *needs[GPH_LESSON_MAX_NEEDS]; int n_needs; /* root, cgroup2, userns, net, images */
	struct gph_lesson_cmd *cmds; int n_cmds;
	char **closing; int n_closing;        /* narration after the last command */
};

/* Parse a lesson from text (name used in messages). Errors name the line: "lesson.lesson:12:
 * expectation before any command". Unknown directives and unknown needs are errors. */
int gph_lesson_parse(const char *text, const char *name, struct gph_lesson *l, struct gph_err *e);
int gph_lesson_load(const char *path, struct gph_lesson *l, struct gph_err *e);
void gph_lesson_free(struct gph_lesson *l);

/* Lint (src/engine/lesson_lint.c): a title, at least one @see, an expectation (or status check)
 * on every command, and no expectation that checks nothing ("~ *", "~ ?*", a bare "!"). Returns
 * the number of problems, each written to f (may be NULL). */
int gph_lesson_lint(const struct gph_lesson *l, FILE *f);
/* Why an expectation checks nothing ("matches any line"), or NULL when it checks something. */
const char *gph_expect_vacuous(const struct gph_expect *x);

/* Check one command's output (lines separated by '\n') and status against its expectations.
 * Positive expectations are matched in order (other lines may come between); '!' ones against all
 * lines. On mismatch returns false and writes why into why. */
bool gph_lesson_check(const struct gph_lesson_cmd *c, const char *output, int status,
		      char *why, size_t why_len);

#endif
