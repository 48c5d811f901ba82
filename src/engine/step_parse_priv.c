/* Parsing of the privilege steps: what every exec'd command may do (capabilities, the seccomp
 * filter, no_new_privs, masked paths), who it runs as, where it starts, and a read-only root. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gph/harden.h"
#include "gph/step.h"

static int usage(char **argv, struct gph_err *e)
{
	const struct gph_cmd_def *d = gph_cmd_find(argv[0]);
	gph_fail(e, 0, NULL, "usage: %s", d ? d->usage : argv[0]);
	gph_err_hint(e, "`help %s` explains it", argv[0]);
	return -1;
}

static int on_off(int argc, char **argv, const char *on_word, const char *off_word, bool *out, struct gph_err *e)
{
	if (argc != 2)
		return usage(argv, e);
	if (strcmp(argv[1], on_word) == 0)
		*out = true;
	else if (strcmp(argv[1], off_word) == 0)
		*out = false;
	else
		return usage(argv, e);
	return 0;
}

static int parse_id(const char *s, unsigned *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > 4294967294UL) /* (uid_t)-1 means "unchanged" to the kernel */
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* A user or group name as useradd(8) allows (and nothing a passwd line could be forged with). */
static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 32 || s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* One side of USER[:GROUP]: a number, or a name to look up at exec. */
static int id_or_name(const char *s, unsigned *id, char *name, size_t len)
{
	if (parse_id(s, id) == 0)
		return 0;
	if (!valid_name(s) || strlen(s) >= len)
		return -1;
	snprintf(name, len, "%s", s);
	return 0;
}

static int parse_cap(int argc, char **argv, struct gph_step *s, struct gph_err *e)
{
	if (argc < 2)
		return usage(argv, e);
	if (strcmp(argv[1], "default") == 0 || strcmp(argv[1], "all") == 0) {
		if (argc != 2)
			return usage(argv, e);
		s->cap_op = argv[1][0] == 'd' ? GPH_CAPOP_DEFAULT : GPH_CAPOP_ALL;
		return 0;
	}
	if (strcmp(argv[1], "drop") != 0 && strcmp(argv[1], "add") != 0)
		return usage(argv, e);
	if (argc < 3)
		return gph_fail(e, 0, "e.g. `cap drop NET_RAW` or `cap drop ALL`", "cap %s: which capabilities?", argv[1]);
	s->cap_op = argv[1][0] == 'd' ? GPH_CAPOP_DROP : GPH_CAPOP_ADD;
	for (int i = 2; i < argc; i++) {
		int c = gph_caps_parse_name(argv[i]);
		if (c == -1)
			return gph_fail(e, 0, "a name from capabilities(7), with or without CAP_, e.g. NET_RAW, or ALL",
					"cap %s: unknown capability \"%s\"", argv[1], argv[i]);
		s->caps |= c == GPH_CAP_ALL ? ~0ULL : GPH_CAP_BIT(c);
	}
	return 0;
}

int gph_step_parse_priv(int argc, char **argv, struct gph_step *s, struct gph_err *e)
{
	const char *cmd = argv[0];
	if (strcmp(cmd, "cap") == 0) {
		s->kind = GPH_STEP_CAP;
		return parse_cap(argc, argv, s, e);
	}
	if (strcmp(cmd, "seccomp") == 0) {
		s->kind = GPH_STEP_SECCOMP;
		return on_off(argc, argv, "default", "off", &s->on, e);
	}
	if (strcmp(cmd, "nnp") == 0) {
		s->kind = GPH_STEP_NNP;
		return on_off(argc, argv, "on", "off", &s->on, e);
	}
	if (strcmp(cmd, "mask") == 0) {
		s->kind = GPH_STEP_MASK;
		return on_off(argc, argv, "on", "off", &s->on, e);
	}
	if (strcmp(cmd, "readonly") == 0) {
		s->kind = GPH_STEP_READONLY;
		return argc == 1 ? 0 : usage(argv, e);
	}
	if (strcmp(cmd, "user") == 0) {
		s->kind = GPH_STEP_USER;
		if (argc != 2)
			return usage(argv, e);
		char buf[32];
		snprintf(buf, sizeof buf, "%s", argv[1]);
		char *colon = strchr(buf, ':');
		if (colon)
			*colon = '\0';
		if (strlen(argv[1]) >= sizeof buf || id_or_name(buf, &s->uid, s->user_name, sizeof s->user_name) < 0 ||
		    (colon && id_or_name(colon + 1, &s->gid, s->group_name, sizeof s->group_name) < 0))
			return gph_fail(e, 0, "ids or names, e.g. `user 1000`, `user 1000:1000`, `user nobody` or "
					"`user nobody:nogroup` (names are looked up in the container's /etc/passwd and /etc/group)",
					"user: bad user \"%s\"", argv[1]);
		if (!colon)
			s->gid = s->uid; /* for a name: its primary group, found with it */
		return 0;
	}
	if (strcmp(cmd, "workdir") == 0) {
		s->kind = GPH_STEP_WORKDIR;
		if (argc != 2)
			return usage(argv, e);
		if (argv[1][0] != '/')
			return gph_fail(e, 0, "a path inside the container, from its root, e.g. /tmp",
					"workdir: \"%s\" is not an absolute path", argv[1]);
		if (strlen(argv[1]) >= sizeof s->path)
			return gph_fail(e, ENAMETOOLONG, NULL, "workdir");
		snprintf(s->path, sizeof s->path, "%s", argv[1]);
		return 0;
	}
	return usage(argv, e);
}
