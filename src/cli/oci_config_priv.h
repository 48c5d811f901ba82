/* Shared by the config.json readers (oci_config*.c, oci_process.c): json-c helpers that name the
 * member they complain about, and the step builders. Not for other files. */
#ifndef GPH_CLI_OCI_CONFIG_PRIV_H
#define GPH_CLI_OCI_CONFIG_PRIV_H
#include <stdbool.h>
#include "../image/json_lib.h"
#include "gph/harden.h"
#include "oci.h"

#define J (gph_json())

/* Parse the words into a step appended to c; a refusal names the config.json field. */
int oc_add_step(struct oci_config *c, struct gph_err *e, const char *field, int argc, ...);
int oc_add_words(struct oci_config *c, struct gph_err *e, const char *field, int argc, char **argv);
/* Every member of o must be in known (NULL-terminated); where names the object. */
int oc_check_keys(json_object *o, const char *where, const char *const *known, struct gph_err *e);
/* A member (NULL when missing or null), its type, an error unless it has type t. */
json_object *oc_get(json_object *o, const char *k);
bool oc_is(json_object *o, json_type t);
int oc_want(json_object *o, json_type t, const char *where, struct gph_err *e);
/* Missing, null, or an empty array, string or object. */
bool oc_empty(json_object *o);
int oc_must_be_empty(json_object *parent, const char *k, const char *where, const char *why, struct gph_err *e);
/* A NULL-terminated copy of an array of strings; free_strv frees it. */
char **oc_str_array(json_object *a, const char *where, struct gph_err *e);
void oc_free_strv(char **v);
bool oc_has_opt(json_object *opts, const char *name);

/* The parts of config.json, each in its own file. */
int oci_cfg_namespaces(json_object *linux_, struct oci_config *c, struct gph_err *e);
int oci_cfg_resources(json_object *r, struct oci_config *c, struct gph_err *e);
int oci_cfg_sysctls(json_object *o, struct oci_config *c, struct gph_err *e);
int oci_cfg_masks(json_object *linux_, struct oci_config *c, struct gph_err *e);
int oci_cfg_mounts(json_object *ms, struct oci_config *c, bool *proc, bool *dev, bool *sys, char (*tmpfs)[256],
		   int *n_tmpfs, struct gph_err *e);
int oci_cfg_process(json_object *p, struct oci_config *c, char *cwd, size_t cwdlen, bool exec, struct gph_err *e);

#endif
