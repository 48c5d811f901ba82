/* Fuzz target "manifest": an image's JSON documents as the store and pull read them
 * (include/gph/manifest.h; json-c loaded with dlopen as in the product). The first byte picks the
 * document (and, for an index, the platform asked for), the rest is the text. Properties checked
 * besides "no crash":
 *  - image manifest: what parses has a valid config digest and 1 to 64 valid layer digests, and the
 *    same parts written back as a manifest parse to exactly the same struct;
 *  - index: a pick is a valid digest, and an index of just that entry picks it again; text that is
 *    no index leaves out empty;
 *  - image config: each word list is NUL-separated words (ends in a NUL unless empty), WorkingDir and
 *    User are never empty strings, and the settings written back as a config parse the same;
 *  - every refusal comes with a message. */
#define _GNU_SOURCE
#include <stdbool.h>
#include "gph/manifest.h"
#include "../../src/image/json_lib.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct gph_err e;
	FZ_CHECK(gph_json_load(&e) == 0, "%s", e.msg);
	return 0;
}

/* A growing text buffer for the documents written back. */
struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);
		FZ_CHECK(p, "out of memory");
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* s as a JSON string literal: quotes, backslashes and control bytes escaped, other bytes as they are. */
static void put_json_str(struct buf *b, const char *s)
{
	put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			put(b, esc, 2);
		} else if (c < 0x20) {
			char esc[8];
			snprintf(esc, sizeof esc, "\\u%04x", c);
			puts_(b, esc);
		} else {
			put(b, (const char *)&c, 1);
		}
	}
	put(b, "\"", 1);
}

static void fuzz_manifest(const char *text)
{
	struct gph_manifest m, again;
	struct gph_err e;
	if (gph_manifest_parse(text, "sha256:fuzz", &m, &e) < 0) {
		FZ_CHECK(e.msg[0], "refused without a message");
		return;
	}
	FZ_CHECK(gph_digest_valid(m.config), "config digest [%s]", m.config);
	FZ_CHECK(m.nlayers >= 1 && m.nlayers <= GPH_IMAGE_MAX_LAYERS, "%zu layers", m.nlayers);
	struct buf b = {0};
	puts_(&b, "{\"schemaVersion\":2,\"config\":{\"digest\":\"");
	puts_(&b, m.config);
	puts_(&b, "\"},\"layers\":[");
	for (size_t i = 0; i < m.nlayers; i++) {
		FZ_CHECK(gph_digest_valid(m.layers[i]), "layer %zu digest [%s]", i, m.layers[i]);
		puts_(&b, i ? ",{\"digest\":\"" : "{\"digest\":\"");
		puts_(&b, m.layers[i]);
		puts_(&b, "\"}");
	}
	puts_(&b, "]}");
	FZ_CHECK(gph_manifest_parse(b.p, "sha256:again", &again, &e) == 0, "[%s] refused: %s", b.p, e.msg);
	FZ_CHECK(memcmp(&m, &again, sizeof m) == 0, "[%s] reads back differently", b.p);
	free(b.p);
}

static void fuzz_index(const char *text, const char *want)
{
	char out[GPH_DIGEST_LEN] = "unset", again[GPH_DIGEST_LEN];
	struct gph_err e;
	int rc = gph_index_pick(text, "fuzz", want, out, &e);
	if (rc < 0) {
		FZ_CHECK(e.msg[0], "refused without a message");
		return;
	}
	if (rc == 0) {
		FZ_CHECK(out[0] == 0, "no index, but out is [%s]", out);
		return;
	}
	FZ_CHECK(rc == 1 && gph_digest_valid(out), "rc %d, picked [%s]", rc, out);
	const char *slash = strchr(want, '/');
	struct buf b = {0};
	puts_(&b, "{\"manifests\":[{\"digest\":\"");
	puts_(&b, out);
	puts_(&b, "\",\"platform\":{\"os\":\"");
	put(&b, want, (size_t)(slash - want));
	puts_(&b, "\",\"architecture\":\"");
	puts_(&b, slash + 1);
	puts_(&b, "\"}}]}");
	FZ_CHECK(gph_index_pick(b.p, "again", want, again, &e) == 1 && strcmp(again, out) == 0,
		 "[%s] picks [%s], not [%s]", b.p, again, out);
	free(b.p);
}

static void check_words(const struct gph_image_config *c)
{
	for (int i = 0; i < GPH_CFG_NWORDS; i++) {
		if (!c->words[i]) {
			FZ_CHECK(c->len[i] == 0, "%s unset with length %zu", gph_cfg_words_name[i], c->len[i]);
			continue;
		}
		FZ_CHECK(c->len[i] == 0 || c->words[i][c->len[i] - 1] == 0, "%s does not end in a NUL", gph_cfg_words_name[i]);
	}
	FZ_CHECK(!c->workdir || c->workdir[0], "an empty WorkingDir kept");
	FZ_CHECK(!c->user || c->user[0], "an empty User kept");
}

static void put_words(struct buf *b, const char *key, const char *w, size_t len)
{
	if (!w)
		return;
	puts_(b, ",\"");
	puts_(b, key);
	puts_(b, "\":[");
	for (size_t o = 0; o < len; o += strlen(w + o) + 1) {
		if (o)
			puts_(b, ",");
		put_json_str(b, w + o);
	}
	puts_(b, "]");
}

static void fuzz_config(const char *text)
{
	struct gph_image_config c, again;
	struct gph_err e;
	if (gph_image_config_parse(text, &c, &e) < 0) {
		FZ_CHECK(e.msg[0], "refused without a message");
		FZ_CHECK(!c.words[0] && !c.words[1] && !c.words[2] && !c.workdir && !c.user, "a refusal left settings");
		return;
	}
	check_words(&c);
	struct buf b = {0};
	puts_(&b, "{\"architecture\":\"amd64\",\"config\":{\"Labels\":null");
	put_words(&b, "Entrypoint", c.words[GPH_CFG_ENTRYPOINT], c.len[GPH_CFG_ENTRYPOINT]);
	put_words(&b, "Cmd", c.words[GPH_CFG_CMD], c.len[GPH_CFG_CMD]);
	put_words(&b, "Env", c.words[GPH_CFG_ENV], c.len[GPH_CFG_ENV]);
	if (c.workdir) {
		puts_(&b, ",\"WorkingDir\":");
		put_json_str(&b, c.workdir);
	}
	if (c.user) {
		puts_(&b, ",\"User\":");
		put_json_str(&b, c.user);
	}
	puts_(&b, "}}");
	FZ_CHECK(gph_image_config_parse(b.p, &again, &e) == 0, "[%s] refused: %s", b.p, e.msg);
	for (int i = 0; i < GPH_CFG_NWORDS; i++)
		FZ_CHECK(!c.words[i] == !again.words[i] && c.len[i] == again.len[i] &&
				 (!c.words[i] || memcmp(c.words[i], again.words[i], c.len[i]) == 0),
			 "%s reads back differently from [%s]", gph_cfg_words_name[i], b.p);
	FZ_CHECK(!c.workdir == !again.workdir && (!c.workdir || strcmp(c.workdir, again.workdir) == 0),
		 "WorkingDir reads back differently from [%s]", b.p);
	FZ_CHECK(!c.user == !again.user && (!c.user || strcmp(c.user, again.user) == 0),
		 "User reads back differently from [%s]", b.p);
	gph_image_config_free(&again);
	gph_image_config_free(&c);
	free(b.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const platforms[] = {"linux/amd64", "linux/arm64", "linux/arm/v7", "windows/amd64"};
	if (size < 1)
		return 0;
	unsigned which = data[0] % 4;
	const char *want = platforms[(data[0] >> 2) % 4];
	char *s = fz_cstr(data + 1, size - 1);
	if (!s)
		return 0;
	switch (which) {
	case 0: fuzz_manifest(s); break;
	case 1: fuzz_index(s, want); break;
	case 2: fuzz_config(s); break;
	default:
		fuzz_manifest(s);
		fuzz_index(s, want);
		fuzz_config(s);
		break;
	}
	free(s);
	return 0;
}
