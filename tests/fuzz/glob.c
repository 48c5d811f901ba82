/* Fuzz target "glob": gph_glob_match against a second, independent matcher (memoised recursion
 * over pattern and text positions, written from the format's description in lessons/README.md).
 * Input: PATTERN, a NUL byte, TEXT. Also: a text always matches itself with every special
 * character escaped, and "*" matches anything. */
#include <stdbool.h>
#include "gph/parse.h"
#include "fuzz.h"

#define REF_MAX 300 /* the reference's memo is (pattern+1) x (text+1) */

struct ref {
	const char *p, *t;
	size_t tl;
	signed char *memo; /* -1 unknown, 0 no, 1 yes */
};

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Does p[pi..] match t[ti..] as a whole? */
static bool ref_match(struct ref *r, size_t pi, size_t ti)
{
	signed char *m = &r->memo[pi * (r->tl + 1) + ti];
	const char *p = r->p + pi, *t = r->t + ti;
	bool yes;
	if (*m >= 0)
		return *m;
	if (!*p)
		yes = !*t;
	else if (*p == '*')
		yes = ref_match(r, pi + 1, ti) || (*t && ref_match(r, pi, ti + 1));
	else if (*p == '?')
		yes = *t && ref_match(r, pi + 1, ti + 1);
	else if (*p == '#') /* one digit, then either the end of the run or another digit of it */
		yes = digit(*t) && (ref_match(r, pi + 1, ti + 1) || (digit(t[1]) && ref_match(r, pi, ti + 1)));
	else if (*p == '\\' && p[1])
		yes = *t == p[1] && ref_match(r, pi + 2, ti + 1);
	else
		yes = *t == *p && ref_match(r, pi + 1, ti + 1);
	*m = yes;
	return yes;
}

static int reference(const char *pattern, const char *text)
{
	size_t pl = strlen(pattern), tl = strlen(text);
	struct ref r = { pattern, text, tl, malloc((pl + 1) * (tl + 1)) };
	if (!r.memo)
		return -1;
	memset(r.memo, -1, (pl + 1) * (tl + 1));
	int yes = ref_match(&r, 0, 0);
	free(r.memo);
	return yes;
}

/* text with \ before every character the glob gives a meaning to. */
static char *escaped(const char *text)
{
	char *out = malloc(2 * strlen(text) + 1), *o = out;
	if (!out)
		return NULL;
	for (; *text; text++) {
		if (strchr("*?#\\", *text))
			*o++ = '\\';
		*o++ = *text;
	}
	*o = '\0';
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t plen = nul ? (size_t)(nul - data) : size;
	char *pattern = fz_cstr(data, plen);
	char *text = nul ? fz_cstr(nul + 1, size - plen - 1) : fz_cstr((const uint8_t *)"", 0);
	char *esc = text ? escaped(text) : NULL;

	if (pattern && text && esc) {
		int got = gph_glob_match(pattern, text);
		FZ_CHECK(got == 0 || got == 1, "result %d", got);
		if (strlen(pattern) <= REF_MAX && strlen(text) <= REF_MAX) {
			int want = reference(pattern, text);
			FZ_CHECK(want < 0 || got == want, "pattern [%s] text [%s]: got %d, reference says %d",
				 pattern, text, got, want);
		}
		FZ_CHECK(gph_glob_match(esc, text) == 1, "[%s] does not match its escaped self [%s]", text, esc);
		FZ_CHECK(gph_glob_match("*", text) == 1, "\"*\" does not match [%s]", text);
		FZ_CHECK(gph_glob_match(pattern, NULL) == 0 && gph_glob_match(NULL, text) == 0, "NULL matched");
	}
	free(esc);
	free(pattern);
	free(text);
	return 0;
}
