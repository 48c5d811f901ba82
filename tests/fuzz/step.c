/* Fuzz target "step": one REPL command line, handled as the shell handles it: gph_split_words,
 * the "did you mean" lookup, then gph_step_parse. Properties checked besides "no crash":
 *  - the words survive being quoted and split again (the splitter and a quoting of its output agree);
 *  - a step that parses holds only what its parser promises (ranges, paths, names, ports).
 * `image REF` looks REF up in an image store: GPH_IMAGE_ROOT is set to an empty store made under
 * $TMPDIR for the run (removed at exit), so the fuzzer never opens or creates the machine's. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <sched.h>
#include <stdbool.h>
#include "gph/bridge.h"
#include "gph/harden.h"
#include "gph/image.h"
#include "gph/parse.h"
#include "gph/step.h"
#include "fuzz.h"

/* Write w as '...' (a ' inside becomes '\''), which gph_split_words must read back as w. */
static size_t quote_word(const char *w, char *out)
{
	size_t o = 0;
	out[o++] = '\'';
	for (; *w; w++) {
		if (*w == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			out[o++] = *w;
		}
	}
	out[o++] = '\'';
	return o;
}

static void check_round_trip(char **argv, int argc)
{
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += 4 * strlen(argv[i]) + 3;
	char *line = malloc(len), **again = NULL;
	size_t o = 0;
	int n = -1;
	struct gph_err e;
	if (!line)
		return;
	for (int i = 0; i < argc; i++) {
		if (i)
			line[o++] = ' ';
		o += quote_word(argv[i], line + o);
	}
	line[o] = '\0';
	FZ_CHECK(gph_split_words(line, &again, &n, &e) == 0, "quoted line [%s] refused: %s", line, e.msg);
	FZ_CHECK(n == argc, "quoted line [%s] gave %d words, not %d", line, n, argc);
	for (int i = 0; i < argc; i++)
		FZ_CHECK(strcmp(again[i], argv[i]) == 0, "word %d [%s] came back as [%s]", i, argv[i], again[i]);
	FZ_CHECK(again[argc] == NULL, "the vector is not NULL-terminated");
	gph_argv_free(again);
	free(line);
}

/* An id map as the step keeps it for /proc/PID/uid_map: 1-5 lines "C H N\n", each range non-empty
 * and below 4294967295, and no two ranges overlapping on either side (the kernel refuses such a
 * map when it is written, which is too late: the namespace exists by then). */
static void check_idmap(const char *map, const char *what)
{
	unsigned long long c[6], h[6], n[6];
	int lines = 0, used;
	const char *p = map;
	FZ_CHECK(*map, "%s empty", what);
	while (*p) {
		FZ_CHECK(lines < 5, "%s has more than 5 lines: [%s]", what, map);
		FZ_CHECK(sscanf(p, "%llu %llu %llu\n%n", &c[lines], &h[lines], &n[lines], &used) == 3,
			 "%s line [%s]", what, p);
		FZ_CHECK(n[lines] >= 1 && c[lines] + n[lines] - 1 <= 4294967294ULL &&
			 h[lines] + n[lines] - 1 <= 4294967294ULL, "%s range %llu %llu %llu", what, c[lines], h[lines], n[lines]);
		for (int i = 0; i < lines; i++) {
			FZ_CHECK(c[i] + n[i] <= c[lines] || c[lines] + n[lines] <= c[i],
				 "%s: container ranges overlap in [%s]", what, map);
			FZ_CHECK(h[i] + n[i] <= h[lines] || h[lines] + n[lines] <= h[i],
				 "%s: host ranges overlap in [%s]", what, map);
		}
		lines++;
		p += used;
	}
}

/* "HOST:CTR" or "HOST:CTR/tcp|udp" with plain decimal numbers equal to what was parsed. */
static bool port_spelled_plainly(const char *arg, const struct gph_step *s)
{
	char *end;
	if (!isdigit((unsigned char)arg[0]) || strtol(arg, &end, 10) != s->host_port || *end != ':')
		return false;
	arg = end + 1;
	if (!isdigit((unsigned char)arg[0]) || strtol(arg, &end, 10) != s->ctr_port)
		return false;
	return *end == '\0' ? strcmp(s->proto, "tcp") == 0 : end[0] == '/' && strcmp(end + 1, s->proto) == 0;
}

static void check_step(const struct gph_step *s, int argc, char **argv)
{
	const int known_ns = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;
	struct gph_err e;
	char buf[64];

	FZ_CHECK_TERMINATED(s->text);
	FZ_CHECK_TERMINATED(s->path);
	switch (s->kind) {
	case GPH_STEP_NS:
		FZ_CHECK(s->ns_flags && !(s->ns_flags & ~known_ns), "ns flags %#x", s->ns_flags);
		for (size_t len = 1; len <= sizeof buf; len += 7) {
			gph_ns_flags_str(s->ns_flags, buf, len);
			FZ_CHECK(strlen(buf) < len, "gph_ns_flags_str overran %zu bytes", len);
		}
		FZ_CHECK_TERMINATED(s->uidmap);
		FZ_CHECK_TERMINATED(s->gidmap);
		if (s->uidmap[0])
			check_idmap(s->uidmap, "uidmap");
		if (s->gidmap[0])
			check_idmap(s->gidmap, "gidmap");
		FZ_CHECK(!(s->uidmap[0] || s->gidmap[0]) || (s->ns_flags & CLONE_NEWUSER), "a map without user");
		break;
	case GPH_STEP_HOSTNAME:
		FZ_CHECK_TERMINATED(s->hostname);
		FZ_CHECK(gph_check_hostname(s->hostname, &e) == 0, "stored hostname [%s] is bad", s->hostname);
		FZ_CHECK(strcmp(s->hostname, argv[1]) == 0, "hostname [%s] stored as [%s]", argv[1], s->hostname);
		break;
	case GPH_STEP_CHROOT:
	case GPH_STEP_PIVOT_ROOT:
		/* Without DIR: the root of an `image` step applied before. */
		FZ_CHECK(s->path[0] == '/' || (argc == 1 && !s->path[0]), "path [%s] is not absolute", s->path);
		break;
	case GPH_STEP_MOUNT:
	case GPH_STEP_WORKDIR:
		FZ_CHECK(s->path[0] == '/', "path [%s] is not absolute", s->path);
		break;
	case GPH_STEP_CGROUP:
		switch (s->res) {
		case GPH_RES_MEM:
			FZ_CHECK(s->bytes > 0, "mem %lld", s->bytes);
			break;
		case GPH_RES_SWAP:
			FZ_CHECK(s->bytes > 0 || s->bytes == -1, "swap %lld", s->bytes);
			break;
		case GPH_RES_CPU:
			FZ_CHECK(s->value2 == 100000 && s->bytes >= 1000 && s->bytes <= 102400000,
				 "cpu quota %lld period %lld", s->bytes, s->value2);
			break;
		case GPH_RES_CPUWEIGHT:
		case GPH_RES_IOWEIGHT:
			FZ_CHECK(s->bytes >= 1 && s->bytes <= 10000, "weight %lld", s->bytes);
			break;
		case GPH_RES_PIDS:
			FZ_CHECK(s->bytes >= 2 && s->bytes <= 4194304, "pids %lld", s->bytes);
			break;
		case GPH_RES_CPUSET:
			FZ_CHECK(gph_check_cpu_list(s->path, &e) == 0, "cpuset [%s]", s->path);
			break;
		case GPH_RES_IORBPS:
		case GPH_RES_IOWBPS:
			FZ_CHECK(s->path[0] == '/' && s->bytes > 0, "io device [%s] rate %lld", s->path, s->bytes);
			break;
		}
		break;
	case GPH_STEP_NET:
		FZ_CHECK_TERMINATED(s->bridge);
		FZ_CHECK_TERMINATED(s->subnet);
		FZ_CHECK_TERMINATED(s->ip);
		FZ_CHECK_TERMINATED(s->proto);
		if (s->net == GPH_NET_PORT) {
			FZ_CHECK(s->host_port >= 1 && s->host_port <= 65535 && s->ctr_port >= 1 && s->ctr_port <= 65535,
				 "ports %d:%d", s->host_port, s->ctr_port);
			FZ_CHECK(port_spelled_plainly(argv[argc - 1], s), "mapping [%s] read as %d:%d/%s",
				 argv[argc - 1], s->host_port, s->ctr_port, s->proto);
		}
		if (s->net == GPH_NET_BRIDGE) {
			struct in_addr a;
			int prefix;
			if (s->ip[0])
				FZ_CHECK(inet_pton(AF_INET, s->ip, &a) == 1, "ip [%s]", s->ip);
			/* Refuse early: a subnet that can never work must not wait until the step is applied. */
			if (s->subnet[0])
				FZ_CHECK(gph_cidr_parse(s->subnet, &a, &prefix, &e) == 0, "subnet [%s] accepted: %s",
					 s->subnet, e.msg);
		}
		break;
	case GPH_STEP_CAP:
		FZ_CHECK(s->cap_op == GPH_CAPOP_DEFAULT || s->cap_op == GPH_CAPOP_ALL || s->caps,
			 "cap add/drop of nothing");
		break;
	case GPH_STEP_USER: {
		/* "USER" or "USER:GROUP", each side plain digits (an id below (uid_t)-1, which means
		 * "unchanged") or a name as useradd allows ([A-Za-z0-9._-], not first '-' or a digit, at
		 * most 32): nothing that could forge a line of /etc/passwd or a path. */
		const char *colon = strchr(argv[1], ':');
		static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
		FZ_CHECK(!colon || !strchr(colon + 1, ':'), "user [%s] with two colons accepted", argv[1]);
		FZ_CHECK(strspn(argv[1], name_chars) + (colon ? 1 : 0) + (colon ? strspn(colon + 1, name_chars) : 0) ==
				 strlen(argv[1]),
			 "user [%s] accepted with a character names cannot hold", argv[1]);
		FZ_CHECK(s->uid != 4294967295u && s->gid != 4294967295u, "user [%s] gave %u:%u", argv[1], s->uid, s->gid);
		if (s->user_name[0])
			FZ_CHECK(strncmp(argv[1], s->user_name, strlen(s->user_name)) == 0 && s->user_name[0] != '-' &&
					 (s->user_name[0] < '0' || s->user_name[0] > '9') && strlen(s->user_name) <= 32,
				 "user [%s] gave the name [%s]", argv[1], s->user_name);
		else
			FZ_CHECK(strtoull(argv[1], NULL, 10) == s->uid, "user [%s] gave uid %u", argv[1], s->uid);
		if (s->group_name[0])
			FZ_CHECK(colon && strcmp(colon + 1, s->group_name) == 0 && s->group_name[0] != '-',
				 "user [%s] gave the group [%s]", argv[1], s->group_name);
		else if (colon)
			FZ_CHECK(strtoull(colon + 1, NULL, 10) == s->gid, "user [%s] gave gid %u", argv[1], s->gid);
		else if (!s->user_name[0])
			FZ_CHECK(s->gid == s->uid, "user [%s] gave gid %u", argv[1], s->gid);
		break;
	}
	case GPH_STEP_IMAGE:
		FZ_CHECK(s->path[0] == '/' && gph_digest_valid(s->image_id), "image [%s] [%s]", s->path, s->image_id);
		break;
	case GPH_STEP_SECCOMP:
	case GPH_STEP_NNP:
	case GPH_STEP_MASK:
	case GPH_STEP_READONLY:
		break;
	}
}

static char store[PATH_MAX];

static void remove_store(void)
{
	struct gph_err e;
	if (store[0] && gph_rm_tree(store, &e) < 0)
		fprintf(stderr, "fuzz step: %s\n", e.msg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *tmp = getenv("TMPDIR");
	snprintf(store, sizeof store, "%s/gph-fuzz-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	FZ_CHECK(mkdtemp(store) && setenv("GPH_IMAGE_ROOT", store, 1) == 0, "mkdtemp(%s)", store);
	atexit(remove_store);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fz_cstr(data, size), **argv = NULL;
	int argc = -1;
	struct gph_err e;
	struct gph_step *s;

	if (!line)
		return 0;
	memset(&e, 0, sizeof e);
	if (gph_split_words(line, &argv, &argc, &e) < 0) {
		FZ_CHECK(argv == NULL && e.msg[0], "a refused line left words or no message");
		free(line);
		return 0;
	}
	FZ_CHECK(argv && argc >= 0 && argv[argc] == NULL, "bad vector, argc %d", argc);
	check_round_trip(argv, argc);
	if (argc > 0 && (s = malloc(sizeof *s)) != NULL) {
		const char *close = gph_cmd_closest(argv[0]);
		FZ_CHECK(!close || gph_cmd_find(close), "closest [%s] is not a command", close);
		memset(&e, 0, sizeof e);
		if (gph_step_parse(argc, argv, s, &e) == 0)
			check_step(s, argc, argv);
		else
			FZ_CHECK(e.msg[0], "refused without a message");
		FZ_CHECK_TERMINATED(e.msg);
		FZ_CHECK_TERMINATED(e.hint);
		free(s);
	}
	gph_argv_free(argv);
	free(line);
	return 0;
}
