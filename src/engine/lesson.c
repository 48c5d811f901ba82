/* Lesson files: parse, load, and check one command's output. The format is described for
 * authors in lessons/README.md; everything here is pure except gph_lesson_load reading the file. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gph/lesson.h"
#include "gph/parse.h"

#define FORMAT_HINT "see lessons/README.md for the lesson format"
#define LESSON_MAX_BYTES (1024 * 1024)

static const char *const known_needs[] = { "root", "cgroup2", "userns", "net", "images" };

/* ---- parsing ---------------------------------------------------------------------------- */

struct parser {
	const char *name;
	struct gph_lesson *l;
	struct gph_err *e;
	int line_no;
	int title_line;
	char **narr; int n_narr;  /* "|" lines waiting for the next command */
	char **asks; int n_asks;  /* "@ask" lines waiting for the next command */
	int first_ask_line;
	int pending_line;         /* line of the latest "|" or "@ask" since the last command, or 0 */
};

/* Every parse error names the place: "NAME:LINE: what". */
static int perr(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parser *ps, const char *fmt, ...)
{
	char what[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return gph_fail(ps->e, 0, FORMAT_HINT, "%s:%d: %s", ps->name, ps->line_no, what);
}

static int oom(struct parser *ps)
{
	return gph_fail(ps->e, ENOMEM, "", "%s:%d: out of memory", ps->name, ps->line_no);
}

/* Append a copy of s[0..len) to a counted string array. */
static int push_str(char ***arr, int *n, const char *s, size_t len)
{
	char *copy = strndup(s, len);
	char **grown;
	if (!copy)
		return -1;
	grown = realloc(*arr, (size_t)(*n + 1) * sizeof *grown);
	if (!grown) {
		free(copy);
		return -1;
	}
	grown[(*n)++] = copy;
	*arr = grown;
	return 0;
}

static void free_strs(char **arr, int n)
{
	for (int i = 0; i < n; i++)
		free(arr[i]);
	free(arr);
}

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',';
}

/* "pid_namespaces(7)", "ip-netns(8)", "tmpfs(5)", "pthread_create(3p)". */
static bool valid_man_page(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && (isalnum((unsigned char)s[i]) || strchr("_.:+-", s[i])))
		i++;
	if (i == 0 || i >= len || s[i] != '(' || s[len - 1] != ')')
		return false;
	i++;
	if (i >= len - 1 || !isdigit((unsigned char)s[i]))
		return false;
	for (i++; i < len - 1; i++)
		if (!isalnum((unsigned char)s[i]))
			return false;
	return true;
}

/* Call fn for each space- or comma-separated word of s. */
static int each_word(struct parser *ps, const char *s, int (*fn)(struct parser *, const char *, size_t))
{
	int count = 0;
	while (*s) {
		size_t len;
		while (is_sep(*s))
			s++;
		for (len = 0; s[len] && !is_sep(s[len]); len++)
			;
		if (len) {
			if (fn(ps, s, len) < 0)
				return -1;
			count++;
		}
		s += len;
	}
	return count;
}

static int add_see(struct parser *ps, const char *s, size_t len)
{
	if (!valid_man_page(s, len))
		return perr(ps, "@see \"%.*s\" is not a man page reference; write NAME(SECTION), e.g. "
			    "pid_namespaces(7)", (int)len, s);
	return push_str(&ps->l->see, &ps->l->n_see, s, len) < 0 ? oom(ps) : 0;
}

static int add_need(struct parser *ps, const char *s, size_t len)
{
	struct gph_lesson *l = ps->l;
	bool known = false;
	for (size_t i = 0; i < sizeof known_needs / sizeof known_needs[0]; i++)
		known = known || (strlen(known_needs[i]) == len && !strncmp(known_needs[i], s, len));
	if (!known)
		return perr(ps, "unknown @needs \"%.*s\"; known: root, cgroup2, userns, net, images", (int)len, s);
	for (int i = 0; i < l->n_needs; i++)
		if (strlen(l->needs[i]) == len && !strncmp(l->needs[i], s, len))
			return 0; /* listed twice: once is enough */
	if (l->n_needs >= GPH_LESSON_MAX_NEEDS)
		return perr(ps, "too many @needs");
	if (!(l->needs[l->n_needs] = strndup(s, len)))
		return oom(ps);
	l->n_needs++;
	return 0;
}

static int directive(struct parser *ps, const char *line)
{
	size_t wl = strcspn(line, " \t");
	const char *arg = line + wl;
	while (*arg == ' ' || *arg == '\t')
		arg++;

	if (wl == 6 && !strncmp(line, "@title", wl)) {
		if (ps->title_line)
			return perr(ps, "a second @title (the first is on line %d)", ps->title_line);
		if (!*arg)
			return perr(ps, "@title without a title");
		if (!(ps->l->title = strdup(arg)))
			return oom(ps);
		ps->title_line = ps->line_no;
		return 0;
	}
	if (wl == 4 && !strncmp(line, "@see", wl)) {
		int n = each_word(ps, arg, add_see);
		return n < 0 ? -1 : n == 0 ? perr(ps, "@see without a page; e.g. @see unshare(2)") : 0;
	}
	if (wl == 6 && !strncmp(line, "@needs", wl)) {
		int n = each_word(ps, arg, add_need);
		return n < 0 ? -1 : n == 0 ? perr(ps, "@needs without a value; known: root, cgroup2, "
						  "userns, net, images") : 0;
	}
	if (wl == 4 && !strncmp(line, "@ask", wl)) {
		if (!*arg)
			return perr(ps, "@ask without a question");
		if (push_str(&ps->asks, &ps->n_asks, arg, strlen(arg)) < 0)
			return oom(ps);
		if (!ps->first_ask_line)
			ps->first_ask_line = ps->line_no;
		ps->pending_line = ps->line_no;
		return 0;
	}
	return perr(ps, "unknown directive \"%.*s\"; known: @title, @see, @needs, @ask", (int)wl, line);
}

static int command(struct parser *ps, const char *text)
{
	struct gph_lesson *l = ps->l;
	struct gph_lesson_cmd *grown, *c;
	struct gph_err split_err;
	char **argv;
	int argc;

	if (!*text)
		return perr(ps, "empty command after \"$\"");
	/* Catch a typo such as an unclosed quote here, not halfway through a replay. */
	if (gph_split_words(text, &argv, &argc, &split_err) < 0)
		return perr(ps, "%s", split_err.msg);
	gph_argv_free(argv);
	if (argc == 0)
		return perr(ps, "empty command after \"$\" (only a comment)");
	grown = realloc(l->cmds, (size_t)(l->n_cmds + 1) * sizeof *grown);
	if (!grown)
		return oom(ps);
	l->cmds = grown;
	c = &l->cmds[l->n_cmds];
	memset(c, 0, sizeof *c);
	if (!(c->command = strdup(text)))
		return oom(ps);
	l->n_cmds++;
	c->line_no = ps->line_no;
	c->status_kind = GPH_STATUS_SUCCESS;
	/* Narration and questions seen since the previous command belong to this one. */
	c->narration = ps->narr;
	c->n_narration = ps->n_narr;
	c->asks = ps->asks;
	c->n_asks = ps->n_asks;
	ps->narr = ps->asks = NULL;
	ps->n_narr = ps->n_asks = 0;
	ps->first_ask_line = ps->pending_line = 0;
	return 0;
}

/* "=", "~", "!" and "?" lines attach to the command directly above them. */
static struct gph_lesson_cmd *current_cmd(struct parser *ps, char kind)
{
	if (ps->l->n_cmds == 0) {
		perr(ps, "'%c' line before any command: expectations follow a \"$ command\" line", kind);
		return NULL;
	}
	if (ps->pending_line) {
		perr(ps, "'%c' line after narration or @ask (line %d): narration belongs to the next "
		     "command, so put expectations right after their \"$\" line", kind, ps->pending_line);
		return NULL;
	}
	return &ps->l->cmds[ps->l->n_cmds - 1];
}

static int expectation(struct parser *ps, char kind, const char *text)
{
	struct gph_lesson_cmd *c = current_cmd(ps, kind);
	struct gph_expect *grown;
	if (!c)
		return -1;
	grown = realloc(c->expects, (size_t)(c->n_expects + 1) * sizeof *grown);
	if (!grown)
		return oom(ps);
	c->expects = grown;
	grown = &c->expects[c->n_expects];
	grown->kind = kind == '=' ? GPH_EXPECT_EXACT : kind == '~' ? GPH_EXPECT_GLOB : GPH_EXPECT_ABSENT;
	grown->line_no = ps->line_no;
	if (!(grown->text = strdup(text)))
		return oom(ps);
	c->n_expects++;
	return 0;
}

static int status_line(struct parser *ps, const char *text)
{
	struct gph_lesson_cmd *c = current_cmd(ps, '?');
	if (!c)
		return -1;
	if (c->status_kind != GPH_STATUS_SUCCESS)
		return perr(ps, "a second '?' line for the command on line %d", c->line_no);
	if (!strcmp(text, "error")) {
		c->status_kind = GPH_STATUS_ERROR;
		return 0;
	}
	if (!strncmp(text, "exit", 4) && (text[4] == ' ' || text[4] == '\t')) {
		const char *n = text + 5;
		int v = 0;
		while (*n == ' ' || *n == '\t')
			n++;
		if (!isdigit((unsigned char)*n))
			return perr(ps, "\"? %s\": the exit status must be a number 0-255", text);
		for (; isdigit((unsigned char)*n) && v <= 255; n++)
			v = v * 10 + (*n - '0');
		if (*n || v > 255)
			return perr(ps, "\"? %s\": the exit status must be a number 0-255", text);
		c->status_kind = GPH_STATUS_EXIT;
		c->status = v;
		return 0;
	}
	return perr(ps, "unknown status check \"? %s\"; write \"? exit N\" or \"? error\"", text);
}

static int parse_line(struct parser *ps, const char *line)
{
	char kind = line[0];

	if (!kind || kind == '#')
		return 0;
	if (kind == '@')
		return directive(ps, line);
	if (!strchr("|$=~!?", kind))
		return perr(ps, "unknown line \"%.60s\": a line starts with @title, @see, @needs, @ask, "
			    "|, $, =, ~, !, ? or # (a comment)", line);
	/* The text is whatever follows the two-character prefix "X ", kept exactly. */
	if (line[1] && line[1] != ' ')
		return perr(ps, "\"%.60s\": put a space after '%c'", line, kind);
	const char *text = line[1] ? line + 2 : line + 1;
	switch (kind) {
	case '|':
		if (push_str(&ps->narr, &ps->n_narr, text, strlen(text)) < 0)
			return oom(ps);
		ps->pending_line = ps->line_no;
		return 0;
	case '$':
		return command(ps, text);
	case '?':
		return status_line(ps, text);
	default:
		return expectation(ps, kind, text);
	}
}

int gph_lesson_parse(const char *text, const char *name, struct gph_lesson *l, struct gph_err *e)
{
	struct parser ps = { .name = name ? name : "lesson", .l = l, .e = e };
	const char *p = text ? text : "";
	char *line = NULL;
	int rc = 0;

	memset(l, 0, sizeof *l);
	if (!(l->path = strdup(ps.name)))
		return gph_fail(e, ENOMEM, "", "%s: out of memory", ps.name);
	while (*p && rc == 0) {
		size_t len = strcspn(p, "\n");
		ps.line_no++;
		/* Trailing blanks (and a CR from a CRLF file) never matter. */
		size_t tl = len;
		while (tl && (p[tl - 1] == ' ' || p[tl - 1] == '\t' || p[tl - 1] == '\r'))
			tl--;
		if (!(line = strndup(p, tl))) {
			rc = oom(&ps);
			break;
		}
		rc = parse_line(&ps, line); /* a line of blanks only is now "": blank */
		free(line);
		p += len;
		if (*p == '\n')
			p++;
	}
	if (rc == 0 && ps.n_asks) {
		ps.line_no = ps.first_ask_line;
		rc = perr(&ps, "@ask after the last command: an @ask belongs to the command below it");
	}
	if (rc == 0) {
		/* Narration after the last command is the lesson's closing words. */
		l->closing = ps.narr;
		l->n_closing = ps.n_narr;
		return 0;
	}
	free_strs(ps.narr, ps.n_narr);
	free_strs(ps.asks, ps.n_asks);
	gph_lesson_free(l);
	return -1;
}

int gph_lesson_load(const char *path, struct gph_lesson *l, struct gph_err *e)
{
	size_t cap = 4096, len = 0;
	char *buf;
	int fd, rc;

	memset(l, 0, sizeof *l);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gph_fail(e, errno, "check the lesson's path", "open(\"%s\")", path);
	if (!(buf = malloc(cap))) {
		close(fd);
		return gph_fail(e, ENOMEM, "", "reading lesson \"%s\"", path);
	}
	for (;;) {
		ssize_t n;
		if (len + 1 >= cap) {
			char *grown;
			if (cap >= LESSON_MAX_BYTES) {
				free(buf);
				close(fd);
				return gph_fail(e, 0, "split the lesson into smaller ones",
						"lesson \"%s\" is larger than %d bytes", path, LESSON_MAX_BYTES);
			}
			if (!(grown = realloc(buf, cap * 2))) {
				free(buf);
				close(fd);
				return gph_fail(e, ENOMEM, "", "reading lesson \"%s\"", path);
			}
			buf = grown;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			free(buf);
			close(fd);
			return gph_fail(e, err, "a lesson is a text file", "read(\"%s\")", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (close(fd) < 0) {
		int err = errno;
		free(buf);
		return gph_fail(e, err, "", "close(\"%s\")", path);
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		free(buf);
		return gph_fail(e, 0, "a lesson is a text file", "lesson \"%s\" contains a NUL byte", path);
	}
	rc = gph_lesson_parse(buf, path, l, e);
	free(buf);
	return rc;
}

void gph_lesson_free(struct gph_lesson *l)
{
	if (!l)
		return;
	free(l->path);
	free(l->title);
	free_strs(l->see, l->n_see);
	for (int i = 0; i < l->n_needs; i++)
		free(l->needs[i]);
	for (int i = 0; i < l->n_cmds; i++) {
		struct gph_lesson_cmd *c = &l->cmds[i];
		free(c->command);
		free_strs(c->narration, c->n_narration);
		free_strs(c->asks, c->n_asks);
		for (int j = 0; j < c->n_expects; j++)
			free(c->expects[j].text);
		free(c->expects);
	}
	free(l->cmds);
	free_strs(l->closing, l->n_closing);
	memset(l, 0, sizeof *l);
}

/* ---- checking one command's output ------------------------------------------------------ */

#define SHOW_LINES 6
#define SHOW_WIDTH 120

struct out {
	char *buf;
	size_t len, pos;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (!o->buf || o->pos + 1 >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos = o->pos + (size_t)n < o->len ? o->pos + (size_t)n : o->len - 1;
}

/* Split a copy of the output into lines, each without its trailing blanks or CR (a terminal
 * writes "\r\n"; expectations have their trailing blanks trimmed too). A final newline does not
 * start another line. */
static char **split_lines(const char *output, int *n, char **copy)
{
	size_t cap = 1;
	char **lines;
	*n = 0;
	if (!(*copy = strdup(output ? output : "")))
		return NULL;
	for (const char *p = *copy; *p; p++)
		cap += *p == '\n';
	if (!(lines = calloc(cap + 1, sizeof *lines))) {
		free(*copy);
		return NULL;
	}
	for (char *p = *copy; *p;) {
		char *nl = strchr(p, '\n');
		char *end = nl ? nl : p + strlen(p);
		lines[(*n)++] = p;
		*end = '\0';
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		p = nl ? nl + 1 : end;
	}
	return lines;
}

/* "output was:" and a few numbered lines starting at index from. */
static void show_output(struct out *o, char **lines, int n, int from)
{
	if (n == 0) {
		outf(o, "; there was no output");
		return;
	}
	if (n <= SHOW_LINES || from >= n)
		from = 0;
	outf(o, "; output was:");
	if (from > 0)
		outf(o, "\n    ... (%d line%s before)", from, from == 1 ? "" : "s");
	int to = from + SHOW_LINES < n ? from + SHOW_LINES : n;
	for (int i = from; i < to; i++)
		outf(o, "\n    %d| %.*s%s", i + 1, SHOW_WIDTH, lines[i],
		     strlen(lines[i]) > SHOW_WIDTH ? "..." : "");
	if (to < n)
		outf(o, "\n    ... (%d more line%s)", n - to, n - to == 1 ? "" : "s");
}

static bool status_ok(const struct gph_lesson_cmd *c, int status, struct out *o)
{
	switch (c->status_kind) {
	case GPH_STATUS_SUCCESS:
		if (status == 0)
			return true;
		outf(o, "expected success (status 0), but the command's status was %d", status);
		return false;
	case GPH_STATUS_EXIT:
		if (status == c->status)
			return true;
		outf(o, "expected exit status %d, but the command's status was %d", c->status, status);
		return false;
	case GPH_STATUS_ERROR:
		if (status != 0)
			return true;
		outf(o, "expected the command to fail (a non-zero status), but it succeeded (status 0)");
		return false;
	}
	return false;
}

static bool line_matches(const struct gph_expect *x, const char *line)
{
	return x->kind == GPH_EXPECT_EXACT ? strcmp(x->text, line) == 0 : gph_glob_match(x->text, line);
}

bool gph_lesson_check(const struct gph_lesson_cmd *c, const char *output, int status,
		      char *why, size_t why_len)
{
	struct out o = { why, why_len, 0 };
	char *copy;
	int n, next = 0; /* positive expectations are looked for from line index next on */
	char **lines = split_lines(output, &n, &copy);
	bool ok = false;

	if (why && why_len)
		why[0] = '\0';
	if (!lines) {
		outf(&o, "out of memory checking the output");
		return false;
	}
	if (!status_ok(c, status, &o)) {
		show_output(&o, lines, n, 0);
		goto out;
	}
	for (int j = 0; j < c->n_expects; j++) {
		const struct gph_expect *x = &c->expects[j];
		if (x->kind == GPH_EXPECT_ABSENT) {
			for (int i = 0; i < n; i++)
				if (gph_glob_match(x->text, lines[i])) {
					outf(&o, "expected no line matching \"%s\", but line %d is \"%.*s\"",
					     x->text, i + 1, SHOW_WIDTH, lines[i]);
					goto out;
				}
			continue;
		}
		int i = next;
		while (i < n && !line_matches(x, lines[i]))
			i++;
		if (i == n) {
			outf(&o, x->kind == GPH_EXPECT_EXACT ? "expected the line \"%s\"" :
			     "expected a line matching \"%s\"", x->text);
			if (next > 0)
				outf(&o, " after line %d", next);
			show_output(&o, lines, n, next);
			goto out;
		}
		next = i + 1;
	}
	ok = true;
out:
	free(lines);
	free(copy);
	return ok;
}
