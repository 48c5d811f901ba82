/* Image references: "busybox" -> docker.io/library/busybox:latest, as docker reads them. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "gph/image.h"

bool gph_digest_valid(const char *d)
{
	if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return false;
	for (const char *p = d + 7; *p; p++)
		if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
			return false;
	return true;
}

/* A registry is host[:port] or [IPv6]:port: it goes into URLs and into the store's "REF DIGEST" lines,
 * so nothing else (no blank, no control character) may pass. */
static bool registry_ok(const char *s, size_t n)
{
	size_t h;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close || close == s + 1 || strspn(s + 1, "0123456789abcdefABCDEF:") < (size_t)(close - s - 1))
			return false;
		h = (size_t)(close - s) + 1;
	} else {
		h = 0;
		while (h < n && (isalnum((unsigned char)s[h]) || s[h] == '.' || s[h] == '-'))
			h++;
		if (h == 0)
			return false;
	}
	if (h == n)
		return true;
	if (s[h] != ':' || n - h - 1 == 0 || n - h - 1 > 5)
		return false;
	for (size_t i = h + 1; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool repo_ok(const char *s)
{
	if (!*s || *s == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//"))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr("._-/", *s))
			return false;
	return true;
}

static bool tag_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 128 || *s == '.' || *s == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

int gph_ref_parse(const char *s, struct gph_ref *r, struct gph_err *e)
{
	static const char hint[] = "e.g. busybox, library/alpine:3.19, 127.0.0.1:5000/repo:tag or repo@sha256:HEX";
	char name[600];
	memset(r, 0, sizeof *r);
	if (!s || !*s || strlen(s) >= sizeof name)
		return gph_fail(e, 0, hint, "bad image reference \"%s\"", s ? s : "");
	snprintf(name, sizeof name, "%s", s);
	char *at = strchr(name, '@');
	if (at) {
		*at = 0;
		if (!gph_digest_valid(at + 1))
			return gph_fail(e, 0, "a digest is sha256: and 64 lower-case hex digits",
					"bad digest in image reference \"%s\"", s);
		snprintf(r->digest, sizeof r->digest, "%s", at + 1);
	}
	char *rest = name, *slash = strchr(name, '/');
	/* The first component is a registry when it looks like a host: a dot, a port, or localhost. */
	if (slash && (memchr(name, '.', (size_t)(slash - name)) || memchr(name, ':', (size_t)(slash - name)) ||
		      (slash - name == 9 && strncmp(name, "localhost", 9) == 0))) {
		if (slash - name >= (long)sizeof r->registry)
			return gph_fail(e, 0, hint, "registry name too long in \"%s\"", s);
		if (!registry_ok(name, (size_t)(slash - name)))
			return gph_fail(e, 0, "a registry is HOST, HOST:PORT or [IPv6]:PORT", "bad registry in image reference \"%s\"", s);
		memcpy(r->registry, name, (size_t)(slash - name));
		rest = slash + 1;
	} else {
		snprintf(r->registry, sizeof r->registry, "docker.io");
	}
	char *colon = strrchr(rest, ':');
	if (colon && !strchr(colon, '/')) {
		*colon = 0;
		if (!tag_ok(colon + 1))
			return gph_fail(e, 0, "a tag is up to 128 letters, digits, '.', '_' or '-'", "bad tag in image reference \"%s\"", s);
		snprintf(r->tag, sizeof r->tag, "%s", colon + 1);
	}
	if (!repo_ok(rest))
		return gph_fail(e, 0, "repository names are lower-case letters, digits, '.', '_', '-' and '/'",
				"bad repository name in image reference \"%s\"", s);
	int n = snprintf(r->repo, sizeof r->repo, "%s%s",
			 strcmp(r->registry, "docker.io") == 0 && !strchr(rest, '/') ? "library/" : "", rest);
	if (n >= (int)sizeof r->repo)
		return gph_fail(e, 0, hint, "repository name too long in \"%s\"", s);
	if (!r->tag[0] && !r->digest[0])
		snprintf(r->tag, sizeof r->tag, "latest");
	return 0;
}

void gph_ref_format(const struct gph_ref *r, char *buf, size_t len)
{
	if (r->digest[0] && !r->tag[0])
		snprintf(buf, len, "%s/%s@%s", r->registry, r->repo, r->digest);
	else if (r->digest[0])
		snprintf(buf, len, "%s/%s:%s@%s", r->registry, r->repo, r->tag, r->digest);
	else
		snprintf(buf, len, "%s/%s:%s", r->registry, r->repo, r->tag);
}
