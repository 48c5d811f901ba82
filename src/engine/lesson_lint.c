/* Lesson lint: the rules every lesson keeps so that replaying it tests something and following it
 * teaches something (lessons/README.md, "Lint"). Pure: reads a parsed lesson, writes problems. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "gph/lesson.h"

/* A glob of '*' and '?' only, with at least one '*', matches every line of at least as many
 * characters as it has '?': in practice any line ("~ *", "~ **", "~ ?*", "~ *?*"). */
static bool matches_any_line(const char *glob)
{
	bool star = false;
	for (const char *p = glob; *p; p++) {
		if (*p == '*')
			star = true;
		else if (*p != '?')
			return false;
	}
	return star;
}

const char *gph_expect_vacuous(const struct gph_expect *x)
{
	switch (x->kind) {
	case GPH_EXPECT_GLOB:
		if (matches_any_line(x->text))
			return "matches any line: expect something the learner should see";
		return NULL;
	case GPH_EXPECT_ABSENT:
		/* "! *" (no output at all) is a real check; a bare "!" only forbids empty lines. */
		if (!x->text[0])
			return "only forbids empty lines: write the text that must not appear, or \"! *\" "
			       "for no output at all";
		return NULL;
	case GPH_EXPECT_EXACT:
		return NULL; /* "=" alone expects an empty line: a real check */
	}
	return NULL;
}

static const char marker[] = { [GPH_EXPECT_EXACT] = '=', [GPH_EXPECT_GLOB] = '~',
				[GPH_EXPECT_ABSENT] = '!' };

int gph_lesson_lint(const struct gph_lesson *l, FILE *f)
{
	const char *name = l->path ? l->path : "lesson";
	int problems = 0;

#define PROBLEM(line, ...) do { \
		problems++; \
		if (f) { fprintf(f, "%s:%d: ", name, (line)); fprintf(f, __VA_ARGS__); fputc('\n', f); } \
	} while (0)

	if (!l->title)
		PROBLEM(1, "no @title line");
	if (l->n_see == 0)
		PROBLEM(1, "no @see line: name the man pages to read next, e.g. @see namespaces(7)");
	if (l->n_cmds == 0)
		PROBLEM(1, "no \"$ command\" lines");
	for (int i = 0; i < l->n_cmds; i++) {
		const struct gph_lesson_cmd *c = &l->cmds[i];
		if (c->n_expects == 0 && c->status_kind == GPH_STATUS_SUCCESS)
			PROBLEM(c->line_no, "\"$ %s\" has no expectation: add =, ~ or ! lines, or a ? line",
				c->command);
		for (int j = 0; j < c->n_expects; j++) {
			const struct gph_expect *x = &c->expects[j];
			const char *why = gph_expect_vacuous(x);
			if (why)
				PROBLEM(x->line_no, "\"%c%s%s\" %s", marker[x->kind], x->text[0] ? " " : "",
					x->text, why);
		}
	}
#undef PROBLEM
	return problems;
}
