/* Fuzz target "lesson": the lesson parser, the linter, and the output checker. Input: LESSON TEXT,
 * then optionally a NUL byte, the command OUTPUT, a NUL byte, a status byte and a message buffer
 * size byte; so a plain lesson file is an input as it is. Properties checked besides
 * "no crash, no leak": what parses is what the format promises (line numbers in order, commands
 * that split into words, statuses 0-255), and the checker's message stays inside its buffer. */
#include <stdbool.h>
#include "gph/lesson.h"
#include "gph/parse.h"
#include "fuzz.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	if (!devnull) {
		perror("fuzz lesson: fopen(\"/dev/null\")");
		abort();
	}
	return 0;
}

static void check_parsed(const struct gph_lesson *l)
{
	int last = 0;
	FZ_CHECK(l->n_needs >= 0 && l->n_needs <= GPH_LESSON_MAX_NEEDS, "n_needs %d", l->n_needs);
	for (int i = 0; i < l->n_cmds; i++) {
		const struct gph_lesson_cmd *c = &l->cmds[i];
		char **argv;
		int argc;
		struct gph_err e;
		FZ_CHECK(c->line_no > last, "command %d on line %d after line %d", i, c->line_no, last);
		last = c->line_no;
		FZ_CHECK(gph_split_words(c->command, &argv, &argc, &e) == 0 && argc > 0,
			 "command [%s] kept but does not split into words", c->command);
		gph_argv_free(argv);
		FZ_CHECK(c->status_kind != GPH_STATUS_EXIT || (c->status >= 0 && c->status <= 255),
			 "exit status %d", c->status);
		for (int j = 0; j < c->n_expects; j++)
			FZ_CHECK(c->expects[j].line_no > c->line_no && !strchr(c->expects[j].text, '\n'),
				 "expectation %d of the command on line %d", j, c->line_no);
	}
}

/* A line that glob g matches: '*' -> nothing, '?' -> 'x', '#' -> '1', "\\c" -> c. */
static size_t instantiate(const char *g, char *out)
{
	size_t o = 0;
	for (; *g; g++) {
		if (*g == '*')
			continue;
		if (*g == '?')
			out[o++] = 'x';
		else if (*g == '#')
			out[o++] = '1';
		else if (*g == '\\' && g[1])
			out[o++] = *++g;
		else
			out[o++] = *g;
	}
	return o;
}

/* The output a command's own expectations describe (each expected line, in order) must pass
 * gph_lesson_check, when the command has no '!' line that such an output could trip. */
static void check_own_output_passes(const struct gph_lesson_cmd *c)
{
	size_t len = 1;
	for (int j = 0; j < c->n_expects; j++) {
		if (c->expects[j].kind == GPH_EXPECT_ABSENT)
			return;
		len += strlen(c->expects[j].text) + 1;
	}
	char *out = malloc(len), why[512];
	size_t o = 0;
	if (!out)
		return;
	for (int j = 0; j < c->n_expects; j++) {
		const struct gph_expect *x = &c->expects[j];
		if (x->kind == GPH_EXPECT_EXACT) {
			memcpy(out + o, x->text, strlen(x->text));
			o += strlen(x->text);
		} else {
			size_t start = o;
			o += instantiate(x->text, out + o);
			/* The checker drops an output line's trailing blanks (documented): a glob that
			 * asks for one, as "x *" does when '*' matches nothing, needs more after it. */
			if (o > start && strchr(" \t\r", out[o - 1])) {
				free(out);
				return;
			}
		}
		out[o++] = '\n';
	}
	out[o] = '\0';
	int status = c->status_kind == GPH_STATUS_EXIT ? c->status : c->status_kind == GPH_STATUS_ERROR ? 1 : 0;
	FZ_CHECK(gph_lesson_check(c, out, status, why, sizeof why), "command on line %d fails on its own "
		 "expected output [%s]: %s", c->line_no, out, why);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size), *out_end;
	size_t tlen = nul ? (size_t)(nul - data) : size;
	char *text = fz_cstr(data, tlen), *output, *why;
	int status = 0;
	size_t why_len = 200;
	struct gph_lesson l;
	struct gph_err e;

	if (!text)
		return 0;
	/* After the lesson: OUTPUT, NUL, status byte, buffer size byte. */
	const uint8_t *rest = nul ? nul + 1 : data + size;
	size_t rlen = (size_t)(data + size - rest);
	out_end = memchr(rest, '\0', rlen);
	output = fz_cstr(rest, out_end ? (size_t)(out_end - rest) : rlen);
	if (out_end && out_end + 1 < data + size)
		status = out_end[1];
	if (out_end && out_end + 2 < data + size)
		why_len = out_end[2];
	why = malloc(why_len ? why_len : 1);

	memset(&e, 0, sizeof e);
	if (output && why && gph_lesson_parse(text, "fuzz.lesson", &l, &e) == 0) {
		check_parsed(&l);
		FZ_CHECK(gph_lesson_lint(&l, devnull) >= 0, "negative lint count");
		for (int i = 0; i < l.n_cmds; i++) {
			check_own_output_passes(&l.cmds[i]);
			bool ok = gph_lesson_check(&l.cmds[i], output, status, why, why_len);
			if (why_len) {
				FZ_CHECK(memchr(why, '\0', why_len), "message overran its %zu bytes", why_len);
				FZ_CHECK(ok || why_len < 2 || why[0], "a failed check said nothing");
			}
		}
		gph_lesson_free(&l);
	} else if (output && why) {
		FZ_CHECK(e.msg[0] && !strncmp(e.msg, "fuzz.lesson:", 12), "error without its place: [%s]", e.msg);
	}
	free(why);
	free(output);
	free(text);
	return 0;
}
