/* Unit tests for include/gph/manifest.h: image manifests, indexes narrowed to a platform, image
 * configs' run settings (json-c is loaded with dlopen, as in the product). */
#define _GNU_SOURCE
#include <check.h>
#include <string.h>
#include "gph/manifest.h"
#include "../../src/image/json_lib.h"
#include "suites.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX64B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static void load(void)
{
	struct gph_err e = {0};
	ck_assert_msg(gph_json_load(&e) == 0, "%s", e.msg);
}

START_TEST(manifest_good)
{
	struct gph_manifest m;
	struct gph_err e = {0};
	load();
	ck_assert_msg(gph_manifest_parse("{\"config\":{\"digest\":\"sha256:" HEX64 "\"},\"layers\":[{\"digest\":\"sha256:" HEX64B
					 "\",\"size\":3},{\"digest\":\"sha256:" HEX64 "\"}]}",
					 "sha256:x", &m, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(m.config, "sha256:" HEX64);
	ck_assert_uint_eq(m.nlayers, 2);
	ck_assert_str_eq(m.layers[0], "sha256:" HEX64B);
	ck_assert_str_eq(m.layers[1], "sha256:" HEX64);
}
END_TEST

static const char *const bad_manifests[] = {
	"not json", "[]", "{\"layers\":[{\"digest\":\"sha256:" HEX64 "\"}]}",
	"{\"config\":{\"digest\":\"sha256:" HEX64 "\"}}",
	"{\"config\":{\"digest\":\"sha256:" HEX64 "\"},\"layers\":[]}",
	"{\"config\":{\"digest\":\"sha256:abc\"},\"layers\":[{\"digest\":\"sha256:" HEX64 "\"}]}",
	"{\"config\":{\"digest\":\"sha256:" HEX64 "\"},\"layers\":[{\"digest\":\"sha256:" HEX64 "\"},{\"size\":1}]}",
	"{\"config\":{\"digest\":\"sha256:" HEX64 "\"},\"layers\":[7]}",
};

START_TEST(manifest_bad)
{
	struct gph_manifest m;
	struct gph_err e = {0};
	load();
	ck_assert_msg(gph_manifest_parse(bad_manifests[_i], "sha256:x", &m, &e) < 0, "[%s] accepted", bad_manifests[_i]);
	ck_assert(e.msg[0]);
}
END_TEST

START_TEST(manifest_too_many_layers)
{
	char text[80 * 100] = "{\"config\":{\"digest\":\"sha256:" HEX64 "\"},\"layers\":[";
	struct gph_manifest m;
	struct gph_err e = {0};
	load();
	for (int i = 0; i <= GPH_IMAGE_MAX_LAYERS; i++)
		strcat(strcat(text, i ? "," : ""), "{\"digest\":\"sha256:" HEX64 "\"}");
	strcat(text, "]}");
	ck_assert(gph_manifest_parse(text, "sha256:x", &m, &e) < 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "65 layers"));
}
END_TEST

#define INDEX "{\"manifests\":[{\"digest\":\"sha256:" HEX64 "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}}," \
	      "{\"digest\":\"sha256:bad\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"                 \
	      "{\"digest\":\"sha256:" HEX64B "\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}"

START_TEST(index_pick)
{
	char out[GPH_DIGEST_LEN];
	struct gph_err e = {0};
	load();
	ck_assert_int_eq(gph_index_pick(INDEX, "r", "linux/amd64", out, &e), 1);
	ck_assert_str_eq(out, "sha256:" HEX64B); /* the invalid digest before it is passed over */
	ck_assert_int_eq(gph_index_pick(INDEX, "r", "linux/arm64", out, &e), 1);
	ck_assert_str_eq(out, "sha256:" HEX64);
	ck_assert_int_eq(gph_index_pick(INDEX, "r", "linux/s390x", out, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "r has no image for linux/s390x"));
	ck_assert_int_eq(gph_index_pick("{\"config\":{}}", "r", "linux/amd64", out, &e), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(gph_index_pick("{", "r", "linux/amd64", out, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "not valid JSON"));
}
END_TEST

START_TEST(config_settings)
{
	struct gph_image_config c;
	struct gph_err e = {0};
	load();
	ck_assert_msg(gph_image_config_parse("{\"config\":{\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[],\"WorkingDir\":\"/srv\","
					     "\"User\":\"\",\"Env\":null}}", &c, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(c.len[GPH_CFG_ENTRYPOINT], 11);
	ck_assert(memcmp(c.words[GPH_CFG_ENTRYPOINT], "/bin/sh\0-c\0", 11) == 0);
	ck_assert_ptr_nonnull(c.words[GPH_CFG_CMD]); /* an empty list is set: an empty run file */
	ck_assert_uint_eq(c.len[GPH_CFG_CMD], 0);
	ck_assert_ptr_null(c.words[GPH_CFG_ENV]); /* null: not set, no run file */
	ck_assert_str_eq(c.workdir, "/srv");
	ck_assert_ptr_null(c.user);
	gph_image_config_free(&c);
	ck_assert(gph_image_config_parse("{\"config\":{\"Cmd\":[\"sh\",1]}}", &c, &e) < 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "cmd holds something not a string"));
	ck_assert(gph_image_config_parse("nope", &c, &e) < 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "image config: not valid JSON"));
}
END_TEST

Suite *suite_manifest(void)
{
	Suite *s = suite_create("manifest");
	TCase *t = tcase_create("manifest");
	tcase_add_test(t, manifest_good);
	tcase_add_loop_test(t, manifest_bad, 0, (int)(sizeof bad_manifests / sizeof bad_manifests[0]));
	tcase_add_test(t, manifest_too_many_layers);
	tcase_add_test(t, index_pick);
	tcase_add_test(t, config_settings);
	suite_add_tcase(s, t);
	return s;
}
