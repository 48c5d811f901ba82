/* The lesson glob: '*' any run, '?' one character, '#' one or more digits, '\' escapes.
 *
 * Rather than backtracking (exponential on patterns like "*a*a*a*b"), the pattern is compiled
 * into a tiny list of tokens and run as a set of live positions over the text, one character at a
 * time: time is pattern length times text length, whatever the pattern. '#' becomes "a digit,
 * then any run of digits", so greedy-with-backtracking and this give the same answer. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "gph/parse.h"

enum tok_kind { T_CHAR, T_ANY, T_STAR, T_DIGIT, T_DIGITS };
struct tok {
	enum tok_kind kind;
	char c; /* T_CHAR */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Add position i to the set, and every position reachable from it without reading a character
 * (past star tokens, which may match nothing). */
static void add_state(bool *set, const struct tok *t, int n, int i)
{
	while (i <= n && !set[i]) {
		set[i] = true;
		if (i < n && (t[i].kind == T_STAR || t[i].kind == T_DIGITS))
			i++;
		else
			break;
	}
}

int gph_glob_match(const char *pattern, const char *text)
{
	size_t plen = pattern ? strlen(pattern) : 0;
	struct tok *t = malloc((2 * plen + 1) * sizeof *t);
	bool *cur = NULL, *next = NULL;
	int n = 0, matched = 0;

	if (!pattern || !text || !t) {
		free(t);
		return 0;
	}
	for (const char *p = pattern; *p; p++) {
		if (*p == '*') {
			if (n == 0 || t[n - 1].kind != T_STAR) /* "**" is "*" */
				t[n++] = (struct tok){ T_STAR, 0 };
		} else if (*p == '?') {
			t[n++] = (struct tok){ T_ANY, 0 };
		} else if (*p == '#') {
			t[n++] = (struct tok){ T_DIGIT, 0 };
			t[n++] = (struct tok){ T_DIGITS, 0 };
		} else if (*p == '\\' && p[1]) {
			t[n++] = (struct tok){ T_CHAR, *++p };
		} else {
			t[n++] = (struct tok){ T_CHAR, *p }; /* includes a lone trailing '\' */
		}
	}
	cur = calloc((size_t)n + 1, sizeof *cur);
	next = calloc((size_t)n + 1, sizeof *next);
	if (!cur || !next)
		goto out;
	add_state(cur, t, n, 0);
	for (const char *s = text; *s; s++) {
		bool any = false;
		memset(next, 0, ((size_t)n + 1) * sizeof *next);
		for (int i = 0; i < n; i++) {
			if (!cur[i])
				continue;
			switch (t[i].kind) {
			case T_CHAR:
				if (*s == t[i].c)
					add_state(next, t, n, i + 1);
				break;
			case T_ANY:
				add_state(next, t, n, i + 1);
				break;
			case T_STAR:
				add_state(next, t, n, i); /* stays, may read more */
				break;
			case T_DIGIT:
				if (is_digit(*s))
					add_state(next, t, n, i + 1);
				break;
			case T_DIGITS:
				if (is_digit(*s))
					add_state(next, t, n, i);
				break;
			}
		}
		bool *tmp = cur;
		cur = next;
		next = tmp;
		for (int i = 0; i <= n; i++)
			any = any || cur[i];
		if (!any)
			goto out; /* no position alive: no match */
	}
	matched = cur[n];
out:
	free(t);
	free(cur);
	free(next);
	return matched;
}
