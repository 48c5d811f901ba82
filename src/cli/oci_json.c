/* json-c helpers for the config.json readers: each error names the member. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "oci_config_priv.h"

#define J (gph_json())

int oc_add_step(struct oci_config *c, struct gph_err *e, const char *field, int argc, ...)
{
	char *argv[40];
	va_list ap;
	va_start(ap, argc);
	for (int i = 0; i < argc && i < 39; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	if (c->n_steps >= OCI_MAX_STEPS)
		return gph_fail(e, E2BIG, NULL, "config.json: too many steps");
	if (gph_step_parse(argc, argv, &c->steps[c->n_steps], e) < 0) {
		gph_err_wrap(e, "config.json %s: ", field);
		return -1;
	}
	c->n_steps++;
	return 0;
}

int oc_add_words(struct oci_config *c, struct gph_err *e, const char *field, int argc, char **argv)
{
	if (c->n_steps >= OCI_MAX_STEPS)
		return gph_fail(e, E2BIG, NULL, "config.json: too many steps");
	if (gph_step_parse(argc, argv, &c->steps[c->n_steps], e) < 0) {
		gph_err_wrap(e, "config.json %s: ", field);
		return -1;
	}
	c->n_steps++;
	return 0;
}

/* Every member of o must be in known (NULL-terminated); where names the object. */
int oc_check_keys(json_object *o, const char *where, const char *const *known, struct gph_err *e)
{
	if (!o)
		return 0;
	if (J->json_object_get_type(o) != json_type_object)
		return gph_fail(e, 0, NULL, "config.json %s: not an object", where);
	struct json_object_iterator it = J->json_object_iter_begin(o), end = J->json_object_iter_end(o);
	for (; !J->json_object_iter_equal(&it, &end); J->json_object_iter_next(&it)) {
		const char *k = J->json_object_iter_peek_name(&it);
		bool ok = false;
		for (const char *const *p = known; *p; p++)
			if (strcmp(*p, k) == 0)
				ok = true;
		if (!ok)
			return gph_fail(e, 0, "gophernetes `features` lists what it supports; remove the member or use runc",
					"config.json %s.%s: not supported by gophernetes", where, k);
	}
	return 0;
}

json_object *oc_get(json_object *o, const char *k)
{
	json_object *v = NULL;
	if (!o || !J->json_object_object_get_ex(o, k, &v))
		return NULL;
	if (J->json_object_get_type(v) == json_type_null)
		return NULL;
	return v;
}

bool oc_is(json_object *o, json_type t)
{
	return o && J->json_object_get_type(o) == t;
}

int oc_want(json_object *o, json_type t, const char *where, struct gph_err *e)
{
	static const char *const names[] = {"null", "boolean", "number", "number", "object", "array", "string"};
	if (!oc_is(o, t) && !(t == json_type_int && oc_is(o, json_type_double)))
		return gph_fail(e, 0, NULL, "config.json %s: %s expected", where, names[t]);
	return 0;
}

bool oc_empty(json_object *o)
{
	if (!o)
		return true;
	json_type t = J->json_object_get_type(o);
	if (t == json_type_array)
		return J->json_object_array_length(o) == 0;
	if (t == json_type_string)
		return J->json_object_get_string(o)[0] == 0;
	if (t == json_type_object) {
		struct json_object_iterator it = J->json_object_iter_begin(o), end = J->json_object_iter_end(o);
		return J->json_object_iter_equal(&it, &end);
	}
	return false;
}

/* A member that must be absent or empty: refused with its name otherwise. */
int oc_must_be_empty(json_object *parent, const char *k, const char *where, const char *why, struct gph_err *e)
{
	json_object *v = oc_get(parent, k);
	if (!oc_empty(v))
		return gph_fail(e, 0, why, "config.json %s.%s: not supported by gophernetes", where, k);
	return 0;
}

/* A NULL-terminated copy of an array of strings. */
char **oc_str_array(json_object *a, const char *where, struct gph_err *e)
{
	size_t n = a ? J->json_object_array_length(a) : 0;
	char **v = calloc(n + 1, sizeof *v);
	if (!v) {
		gph_fail(e, ENOMEM, NULL, "%s", where);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *s = J->json_object_array_get_idx(a, i);
		if (!oc_is(s, json_type_string) || !(v[i] = strdup(J->json_object_get_string(s)))) {
			gph_fail(e, 0, NULL, "config.json %s[%zu]: a string expected", where, i);
			for (size_t k = 0; k < i; k++)
				free(v[k]);
			free(v);
			return NULL;
		}
	}
	return v;
}

void oc_free_strv(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

bool oc_has_opt(json_object *opts, const char *name)
{
	size_t n = oc_is(opts, json_type_array) ? J->json_object_array_length(opts) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *s = J->json_object_array_get_idx(opts, i);
		if (oc_is(s, json_type_string) && strcmp(J->json_object_get_string(s), name) == 0)
			return true;
	}
	return false;
}
