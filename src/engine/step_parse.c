/* Command words -> struct gph_step, validating everything that can be validated before the
 * kernel is touched (B25, B29: refuse early, leave nothing half-made). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include "gph/bridge.h"
#include "gph/parse.h"
#include "gph/image.h"
#include "gph/step.h"

static const struct {
	const char *name;
	int flag;
} ns_table[] = {
	{"pid", CLONE_NEWPID}, {"uts", CLONE_NEWUTS}, {"mnt", CLONE_NEWNS},     {"ipc", CLONE_NEWIPC},
	{"net", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP}, {"user", CLONE_NEWUSER}, {"mount", CLONE_NEWNS},
};

int gph_ns_flag(const char *name)
{
	for (size_t i = 0; i < sizeof ns_table / sizeof ns_table[0]; i++)
		if (strcmp(ns_table[i].name, name) == 0)
			return ns_table[i].flag;
	return 0;
}

const char *gph_ns_name(int flag)
{
	for (size_t i = 0; i < sizeof ns_table / sizeof ns_table[0]; i++)
		if (ns_table[i].flag == flag)
			return ns_table[i].name;
	return "?";
}

void gph_ns_flags_str(int flags, char *buf, size_t len)
{
	static const int order[] = {CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWUTS, CLONE_NEWNS,
				    CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWCGROUP};
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (!(flags & order[i]))
			continue;
		int n = snprintf(buf + off, len - off, "%s%s", off ? "," : "", gph_ns_name(order[i]));
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
	}
}

int gph_parse_idmap(const char *spec, char *out, size_t len, struct gph_err *e)
{
	size_t off = 0;
	int lines = 0;
	const char *p = spec;
	unsigned long seen[5][3]; /* the ranges so far, to refuse overlaps */
	out[0] = '\0';
	while (*p) {
		char *end;
		unsigned long v[3];
		for (int k = 0; k < 3; k++) {
			if (*p < '0' || *p > '9')
				return gph_fail(e, 0, "each range is CONTAINER:HOST:COUNT, ranges separated by commas, "
						      "e.g. 0:100000:65536", "bad range in \"%s\"", spec);
			errno = 0;
			v[k] = strtoul(p, &end, 10);
			if (errno || v[k] > 4294967294UL)
				return gph_fail(e, ERANGE, NULL, "bad id in \"%s\"", spec);
			p = end;
			if (k < 2 && *p++ != ':')
				return gph_fail(e, 0, "each range is CONTAINER:HOST:COUNT, e.g. 0:100000:65536",
						"bad range in \"%s\"", spec);
		}
		if (v[2] == 0 || v[0] + v[2] - 1 > 4294967294UL || v[1] + v[2] - 1 > 4294967294UL)
			return gph_fail(e, ERANGE, "COUNT must be at least 1 and the range must fit below 4294967295",
					"bad count in \"%s\"", spec);
		if (lines == 5) /* the kernel's limit is 340 lines; 5 is plenty and keeps the step small */
			return gph_fail(e, E2BIG, NULL, "at most 5 ranges in \"%s\"", spec);
		/* The kernel refuses overlapping ranges, on either side, only when the map is written, by
		 * which time the namespace exists: refuse them here (found by tests/fuzz/step.c). */
		for (int i = 0; i < lines; i++)
			for (int side = 0; side < 2; side++)
				if (v[side] < seen[i][side] + seen[i][2] && seen[i][side] < v[side] + v[2])
					return gph_fail(e, 0, "each id may be mapped once, inside (the first number, "
							"container ids) and outside (the second, host ids); see "
							"user_namespaces(7)", "the ranges overlap %s (%s ids %lu+%lu and "
							"%lu+%lu) in \"%s\"", side ? "outside" : "inside",
							side ? "host" : "container", seen[i][side], seen[i][2], v[side],
							v[2], spec);
		memcpy(seen[lines++], v, sizeof v);
		int n = snprintf(out + off, len - off, "%lu %lu %lu\n", v[0], v[1], v[2]);
		if (n < 0 || (size_t)n >= len - off)
			return gph_fail(e, E2BIG, NULL, "ranges too long in \"%s\"", spec);
		off += (size_t)n;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			return gph_fail(e, 0, "ranges are separated by commas", "bad range in \"%s\"", spec);
	}
	if (!lines)
		return gph_fail(e, 0, "e.g. 0:100000:65536", "empty id map");
	return 0;
}

static int want_args(int argc, char **argv, int min, int max, struct gph_err *e)
{
	if (argc - 1 < min || argc - 1 > max)
		return gph_fail(e, 0, NULL, "%s: expected %s", argv[0], argc - 1 < min ? "more arguments" : "fewer arguments");
	return 0;
}

static int usage_fail(char **argv, struct gph_err *e)
{
	const struct gph_cmd_def *d = gph_cmd_find(argv[0]);
	gph_fail(e, 0, NULL, "usage: %s", d ? d->usage : argv[0]);
	gph_err_hint(e, "`help %s` explains it", argv[0]);
	return -1;
}

static int parse_dir(const char *cmd, const char *arg, char *out, struct gph_err *e)
{
	struct stat st;
	if (!realpath(arg, out))
		return gph_fail(e, errno, "give the path of a root filesystem, e.g. ./rootfs (built by `make`)",
				"%s: %s", cmd, arg);
	if (stat(out, &st) < 0)
		return gph_fail(e, errno, NULL, "%s: stat(\"%s\")", cmd, out);
	if (!S_ISDIR(st.st_mode))
		return gph_fail(e, ENOTDIR, "give a directory holding a root filesystem", "%s: %s", cmd, arg);
	return 0;
}

/* cgroup mem SIZE | swap SIZE|-1 | cpu N | cpuweight W | cpuset LIST | pids N |
 * io weight W | io rbps DEV RATE | io wbps DEV RATE */
static int parse_cgroup(int argc, char **argv, struct gph_step *s, struct gph_err *e)
{
	s->kind = GPH_STEP_CGROUP;
	const char *what = argc > 1 ? argv[1] : "";
	if (argc == 3 && strcmp(what, "mem") == 0) {
		s->res = GPH_RES_MEM;
		return gph_parse_size(argv[2], &s->bytes, e);
	}
	if (argc == 3 && strcmp(what, "swap") == 0) {
		s->res = GPH_RES_SWAP;
		if (strcmp(argv[2], "-1") == 0) {
			s->bytes = -1;
			return 0;
		}
		return gph_parse_size(argv[2], &s->bytes, e);
	}
	if (argc == 3 && strcmp(what, "cpu") == 0) {
		s->res = GPH_RES_CPU;
		return gph_parse_cpus(argv[2], &s->bytes, &s->value2, e);
	}
	if (argc == 3 && strcmp(what, "cpuweight") == 0) {
		s->res = GPH_RES_CPUWEIGHT;
		return gph_parse_int_range(argv[2], 1, 10000, "cgroup cpuweight", &s->bytes, e);
	}
	if (argc == 3 && strcmp(what, "cpuset") == 0) {
		s->res = GPH_RES_CPUSET;
		if (gph_check_cpu_list(argv[2], e) < 0)
			return -1;
		snprintf(s->path, sizeof s->path, "%s", argv[2]);
		return 0;
	}
	if (argc == 3 && strcmp(what, "pids") == 0) {
		s->res = GPH_RES_PIDS;
		if (gph_parse_int_range(argv[2], 2, 4194304, "cgroup pids", &s->bytes, e) < 0) {
			gph_err_hint(e, "the sandbox process counts as one task, so 1 would leave no room for the command");
			return -1;
		}
		return 0;
	}
	if (argc == 4 && strcmp(what, "io") == 0 && strcmp(argv[2], "weight") == 0) {
		s->res = GPH_RES_IOWEIGHT;
		return gph_parse_int_range(argv[3], 1, 10000, "cgroup io weight", &s->bytes, e);
	}
	if (argc == 5 && strcmp(what, "io") == 0 && (strcmp(argv[2], "rbps") == 0 || strcmp(argv[2], "wbps") == 0)) {
		s->res = argv[2][0] == 'r' ? GPH_RES_IORBPS : GPH_RES_IOWBPS;
		if (argv[3][0] != '/' || strlen(argv[3]) >= sizeof s->path)
			return gph_fail(e, 0, "give the device's path, e.g. /dev/vda", "cgroup io: bad device \"%s\"", argv[3]);
		snprintf(s->path, sizeof s->path, "%s", argv[3]);
		if (gph_parse_size(argv[4], &s->bytes, e) < 0) {
			gph_err_wrap(e, "rate: ");
			return -1;
		}
		return 0;
	}
	return usage_fail(argv, e);
}

/* A port number 1-65535 written as plain digits at *p; advances *p past them. Not sscanf's %d:
 * that skips leading blanks, takes a sign and wraps on overflow ("4294967376" read as 80;
 * found by tests/fuzz/step.c). */
static bool read_port(const char **p, int *port)
{
	long v = 0;
	int digits = 0;
	for (; isdigit((unsigned char)**p); (*p)++) {
		if (++digits > 5)
			return false;
		v = v * 10 + (**p - '0');
	}
	if (!digits || v < 1 || v > 65535)
		return false;
	*port = (int)v;
	return true;
}

static int parse_port(const char *arg, struct gph_step *s, struct gph_err *e)
{
	const char *forms = "HOST:CONTAINER[/tcp|udp], ports 1-65535, e.g. 18080:80";
	const char *p = arg, *proto = "tcp";
	int h = 0, c = 0;
	if (!read_port(&p, &h) || *p++ != ':' || !read_port(&p, &c))
		return gph_fail(e, 0, forms, "net port: bad port mapping \"%s\"", arg);
	if (*p == '/') {
		if (strcmp(p + 1, "tcp") && strcmp(p + 1, "udp"))
			return gph_fail(e, 0, forms, "net port: unknown protocol in \"%s\"", arg);
		proto = p + 1;
	} else if (*p) {
		return gph_fail(e, 0, forms, "net port: bad port mapping \"%s\"", arg);
	}
	s->host_port = h;
	s->ctr_port = c;
	snprintf(s->proto, sizeof s->proto, "%s", proto);
	return 0;
}

/* net none | veth | bridge [NAME] [subnet CIDR] [ip ADDR] | nat | port HOST:CTR[/proto] */
static int parse_net(int argc, char **argv, struct gph_step *s, struct gph_err *e)
{
	s->kind = GPH_STEP_NET;
	const char *what = argc > 1 ? argv[1] : "";
	if (argc == 2 && strcmp(what, "veth") == 0) {
		s->net = GPH_NET_VETH;
		return 0;
	}
	if (argc == 2 && strcmp(what, "none") == 0) {
		s->net = GPH_NET_NONE;
		return 0;
	}
	if (argc == 2 && strcmp(what, "nat") == 0) {
		s->net = GPH_NET_NAT;
		return 0;
	}
	if (argc == 3 && strcmp(what, "port") == 0) {
		s->net = GPH_NET_PORT;
		return parse_port(argv[2], s, e);
	}
	if (argc >= 2 && strcmp(what, "bridge") == 0) {
		s->net = GPH_NET_BRIDGE;
		int i = 2;
		if (i < argc && strcmp(argv[i], "subnet") && strcmp(argv[i], "ip")) {
			if (strlen(argv[i]) >= sizeof s->bridge || !*argv[i] || strspn(argv[i], "abcdefghijklmnopqrstuvwxyz"
							"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(argv[i]))
				return gph_fail(e, 0, "1-15 letters, digits, '_', '.', '-'", "net bridge: bad bridge name \"%s\"",
						argv[i]);
			snprintf(s->bridge, sizeof s->bridge, "%s", argv[i++]);
		}
		for (; i + 1 < argc; i += 2) {
			struct in_addr a;
			int prefix;
			/* The subnet's syntax is checked here, not when the step is applied: a bad one must
			 * not leave the steps before it applied (found by tests/fuzz/step.c). */
			if (strcmp(argv[i], "subnet") == 0 && gph_cidr_parse(argv[i + 1], &a, &prefix, e) < 0) {
				gph_err_wrap(e, "net bridge: ");
				return -1;
			}
			if (strcmp(argv[i], "subnet") == 0 && strlen(argv[i + 1]) < sizeof s->subnet)
				snprintf(s->subnet, sizeof s->subnet, "%s", argv[i + 1]);
			else if (strcmp(argv[i], "ip") == 0 && inet_pton(AF_INET, argv[i + 1], &a) == 1)
				snprintf(s->ip, sizeof s->ip, "%s", argv[i + 1]);
			else
				return gph_fail(e, 0, "net bridge [NAME] [subnet CIDR] [ip ADDR], e.g. net bridge gph0 ip 10.88.0.5",
						"net bridge: bad \"%s %s\"", argv[i], argv[i + 1]);
		}
		if (i != argc)
			return usage_fail(argv, e);
		return 0;
	}
	return usage_fail(argv, e);
}

int gph_step_parse(int argc, char **argv, struct gph_step *s, struct gph_err *e)
{
	memset(s, 0, sizeof *s);
	if (argc < 1)
		return gph_fail(e, 0, NULL, "empty command");
	size_t off = 0;
	for (int i = 0; i < argc && off < sizeof s->text - 1; i++) {
		int n = snprintf(s->text + off, sizeof s->text - off, "%s%s", i ? " " : "", argv[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	const char *cmd = argv[0];

	if (strcmp(cmd, "ns") == 0) {
		if (argc < 2)
			return usage_fail(argv, e);
		s->kind = GPH_STEP_NS;
		if (strcmp(argv[1], "join") == 0) {
			/* Enter an existing namespace (a pod's, a bind-mounted /run/netns/NAME, /proc/PID/ns/KIND). */
			int f = argc == 4 ? gph_ns_flag(argv[2]) : 0;
			if (!(f == CLONE_NEWUTS || f == CLONE_NEWIPC || f == CLONE_NEWNET))
				return gph_fail(e, 0, "e.g. `ns join net /run/netns/blue` (uts, ipc or net)",
						"ns join: which namespace, and its path?");
			if (argv[3][0] != '/' || strlen(argv[3]) >= sizeof s->path)
				return gph_fail(e, 0, "an absolute path such as /proc/PID/ns/net", "ns join: bad path \"%s\"", argv[3]);
			struct stat sb;
			if (stat(argv[3], &sb) < 0)
				return gph_fail(e, errno, NULL, "ns join: %s", argv[3]);
			s->join = true;
			s->ns_flags = f;
			snprintf(s->path, sizeof s->path, "%s", argv[3]);
			return 0;
		}
		for (int i = 1; i < argc; i++) {
			bool uid = strcmp(argv[i], "uidmap") == 0;
			if (uid || strcmp(argv[i], "gidmap") == 0) {
				if (i + 1 >= argc)
					return gph_fail(e, 0, "e.g. `ns user uidmap 0:100000:65536`", "ns: %s needs C:H:N", argv[i]);
				char *out = uid ? s->uidmap : s->gidmap;
				if (gph_parse_idmap(argv[++i], out, sizeof s->uidmap, e) < 0) {
					gph_err_wrap(e, "ns %s: ", uid ? "uidmap" : "gidmap");
					return -1;
				}
				continue;
			}
			int f = gph_ns_flag(argv[i]);
			if (!f)
				return gph_fail(e, 0, "known namespaces: user pid uts mnt ipc net cgroup",
						"ns: unknown namespace \"%s\"", argv[i]);
			s->ns_flags |= f;
		}
		if ((s->uidmap[0] || s->gidmap[0]) && !(s->ns_flags & CLONE_NEWUSER))
			return gph_fail(e, 0, "e.g. `ns user uidmap 0:100000:65536 gidmap 0:100000:65536`",
					"ns: uidmap and gidmap go with `user`");
		if (!s->ns_flags)
			return usage_fail(argv, e);
		return 0;
	}
	if (strcmp(cmd, "cap") == 0 || strcmp(cmd, "seccomp") == 0 || strcmp(cmd, "nnp") == 0 ||
	    strcmp(cmd, "mask") == 0 || strcmp(cmd, "user") == 0 || strcmp(cmd, "workdir") == 0 ||
	    strcmp(cmd, "readonly") == 0)
		return gph_step_parse_priv(argc, argv, s, e);
	if (strcmp(cmd, "hostname") == 0) {
		if (want_args(argc, argv, 1, 1, e) < 0)
			return usage_fail(argv, e);
		s->kind = GPH_STEP_HOSTNAME;
		if (gph_check_hostname(argv[1], e) < 0)
			return -1;
		snprintf(s->hostname, sizeof s->hostname, "%s", argv[1]);
		return 0;
	}
	if (strcmp(cmd, "chroot") == 0 || strcmp(cmd, "pivot_root") == 0) {
		if (want_args(argc, argv, 0, 1, e) < 0)
			return usage_fail(argv, e);
		s->kind = cmd[0] == 'c' ? GPH_STEP_CHROOT : GPH_STEP_PIVOT_ROOT;
		if (argc == 1)
			return 0; /* no DIR: the root of an `image` step applied before (the sandbox checks) */
		return parse_dir(cmd, argv[1], s->path, e);
	}
	if (strcmp(cmd, "image") == 0) {
		if (want_args(argc, argv, 1, 1, e) < 0)
			return usage_fail(argv, e);
		s->kind = GPH_STEP_IMAGE;
		return gph_image_step_parse(argv[1], s, e);
	}
	if (strcmp(cmd, "mount") == 0) {
		if (want_args(argc, argv, 1, 2, e) < 0)
			return usage_fail(argv, e);
		s->kind = GPH_STEP_MOUNT;
		const char *def;
		if (strcmp(argv[1], "proc") == 0)
			s->mount = GPH_MOUNT_PROC, def = "/proc";
		else if (strcmp(argv[1], "sys") == 0)
			s->mount = GPH_MOUNT_SYS, def = "/sys";
		else if (strcmp(argv[1], "dev") == 0)
			s->mount = GPH_MOUNT_DEV, def = "/dev";
		else if (strcmp(argv[1], "tmpfs") == 0)
			s->mount = GPH_MOUNT_TMPFS, def = NULL;
		else
			return gph_fail(e, 0, "known: proc sys dev tmpfs", "mount: unknown file system \"%s\"", argv[1]);
		const char *path = argc > 2 ? argv[2] : def;
		if (!path)
			return gph_fail(e, 0, "e.g. `mount tmpfs /tmp`", "mount tmpfs: give the path to mount it on");
		if (path[0] != '/')
			return gph_fail(e, 0, "paths inside the sandbox start with /, e.g. /proc",
					"mount %s: \"%s\" is not an absolute path", argv[1], path);
		if (strlen(path) >= sizeof s->path)
			return gph_fail(e, ENAMETOOLONG, NULL, "mount %s: path", argv[1]);
		snprintf(s->path, sizeof s->path, "%s", path);
		return 0;
	}
	if (strcmp(cmd, "cgroup") == 0)
		return parse_cgroup(argc, argv, s, e);
	if (strcmp(cmd, "net") == 0)
		return parse_net(argc, argv, s, e);
	const char *close = gph_cmd_closest(cmd);
	gph_fail(e, 0, NULL, "unknown command \"%s\"", cmd);
	if (close)
		gph_err_hint(e, "did you mean `%s`? (`help` lists the commands)", close);
	else
		gph_err_hint(e, "`help` lists the commands");
	return -1;
}
