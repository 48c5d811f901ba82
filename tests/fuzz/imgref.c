/* Fuzz target "imgref": image references and the names the layer unpacker cleans. The first byte
 * picks the function (and a buffer size), the rest is the string. Properties checked besides "no crash":
 *  - gph_ref_parse: what parses has a registry that is a host[:port], a repository of lower-case
 *    letters, digits, '.', '_', '-' and single inner '/', a valid tag or digest (at least one), and
 *    gph_ref_format's canonical spelling parses back to exactly the same parts; a refusal has a message;
 *  - gph_digest_valid agrees with an independent check ("sha256:" + 64 lower-case hex digits);
 *  - gph_member_clean: the cleaned name never starts or ends with '/', has no empty, "." or ".."
 *    component, keeps the input's other components in order, cleans to itself, and is refused
 *    exactly when the input has a ".." component or does not fit (never written past len). */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdbool.h>
#include "gph/image.h"
#include "fuzz.h"

static bool is_digest(const char *d)
{
	if (strlen(d) != 71 || memcmp(d, "sha256:", 7) != 0)
		return false;
	for (int i = 7; i < 71; i++)
		if (!strchr("0123456789abcdef", d[i]) || !d[i])
			return false;
	return true;
}

static bool registry_ok(const char *s)
{
	size_t n = strlen(s);
	const char *colon = strrchr(s, ':');
	if (n == 0 || strchr(s, '/'))
		return false;
	if (s[0] == '[') { /* [IPv6]:port */
		const char *close = strchr(s, ']');
		if (!close || close == s + 1 || strspn(s + 1, "0123456789abcdefABCDEF:") != (size_t)(close - s - 1))
			return false;
		colon = close[1] ? close + 1 : NULL;
		if (colon && *colon != ':')
			return false;
		n = (size_t)(close - s + 1);
	} else {
		n = colon ? (size_t)(colon - s) : n;
		if (n == 0 || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != n)
			return false;
	}
	if (colon) {
		size_t p = strlen(colon + 1);
		if (p == 0 || p > 5 || strspn(colon + 1, "0123456789") != p)
			return false;
	}
	return true;
}

static bool repo_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < 256 && s[0] != '/' && s[n - 1] != '/' && !strstr(s, "//") &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-/") == n;
}

static bool tag_ok(const char *s)
{
	size_t n = strlen(s);
	return n <= 128 && (n == 0 || (s[0] != '.' && s[0] != '-')) &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static void fuzz_ref(const char *s)
{
	struct gph_ref r, again;
	struct gph_err e;
	char canon[700];
	if (gph_ref_parse(s, &r, &e) < 0) {
		FZ_CHECK(e.msg[0], "[%s] refused without a message", s);
		return;
	}
	FZ_CHECK(registry_ok(r.registry), "[%s] gave registry [%s]", s, r.registry);
	FZ_CHECK(repo_ok(r.repo), "[%s] gave repository [%s]", s, r.repo);
	FZ_CHECK(tag_ok(r.tag), "[%s] gave tag [%s]", s, r.tag);
	FZ_CHECK(!r.digest[0] || is_digest(r.digest), "[%s] gave digest [%s]", s, r.digest);
	FZ_CHECK(r.tag[0] || r.digest[0], "[%s] has neither tag nor digest", s);
	FZ_CHECK(strcmp(r.registry, "docker.io") != 0 || strchr(r.repo, '/'),
		 "[%s]: a Docker Hub repository without its namespace: [%s]", s, r.repo);
	gph_ref_format(&r, canon, sizeof canon);
	FZ_CHECK(strlen(canon) < sizeof canon - 1, "[%s]: canonical form [%s] may be cut", s, canon);
	FZ_CHECK(gph_ref_parse(canon, &again, &e) == 0, "[%s] canonical [%s] refused: %s", s, canon, e.msg);
	FZ_CHECK(memcmp(&r, &again, sizeof r) == 0, "[%s] canonical [%s] reads back as %s / %s : %s @ %s", s, canon,
		 again.registry, again.repo, again.tag, again.digest);
}

static void fuzz_member(const char *s, size_t len)
{
	char *out = malloc(len ? len : 1);
	if (!out)
		return;
	int rc = gph_member_clean(s, out, len);
	/* The independent view: the components, and whether one is "..". */
	bool dotdot = false;
	size_t need = 0, ncomp = 0;
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			dotdot = true;
		if (n > 0 && !(n == 1 && p[0] == '.'))
			need += n + (ncomp++ > 0);
		p += n;
		p += *p == '/';
	}
	if (dotdot || need >= len) {
		FZ_CHECK(rc < 0, "[%s] (len %zu) accepted as [%.*s]", s, len, (int)len, out);
	} else {
		FZ_CHECK(rc == 0, "[%s] (len %zu) refused", s, len);
		size_t n = strlen(out);
		FZ_CHECK(n == need, "[%s] cleaned to [%s], %zu bytes, not %zu", s, out, n, need);
		FZ_CHECK(out[0] != '/' && (n == 0 || out[n - 1] != '/') && !strstr(out, "//"), "[%s] cleaned to [%s]", s, out);
		/* Components in order: walk both. */
		const char *p = s, *q = out;
		while (*p) {
			size_t k = strcspn(p, "/");
			if (k > 0 && !(k == 1 && p[0] == '.')) {
				FZ_CHECK(strncmp(p, q, k) == 0 && (q[k] == '/' || q[k] == 0), "[%s] cleaned to [%s]", s, out);
				FZ_CHECK(!(k == 2 && q[0] == '.' && q[1] == '.'), "[%s] keeps ..", s);
				q += k + (q[k] == '/');
			}
			p += k;
			p += *p == '/';
		}
		FZ_CHECK(*q == 0, "[%s] cleaned to [%s] with more", s, out);
		char *again = malloc(n + 1);
		if (again) {
			FZ_CHECK(gph_member_clean(out, again, n + 1) == 0 && strcmp(again, out) == 0,
				 "[%s] cleaned to [%s], which cleans to something else", s, out);
			free(again);
		}
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned which = data[0] % 4;
	char *s = fz_cstr(data + 1, size - 1);
	if (!s)
		return 0;
	switch (which) {
	case 0:
		fuzz_ref(s);
		break;
	case 1:
		FZ_CHECK(gph_digest_valid(s) == is_digest(s), "[%s]: gph_digest_valid says %d", s, gph_digest_valid(s));
		break;
	case 2:
		/* The unpacker's buffer (PATH_MAX), and one the input's bits choose. */
		fuzz_member(s, 4096);
		fuzz_member(s, (size_t)data[0] >> 2);
		break;
	default:
		fuzz_ref(s);
		fuzz_member(s, 4096);
		break;
	}
	free(s);
	return 0;
}
