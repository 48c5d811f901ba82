/* `show`: what the kernel says about the sandbox right now. Everything here is read from /proc,
 * cgroupfs or (inside the sandbox's network namespace) netlink — never from what we recorded. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "gph/parse.h"
#include "internal.h"
#include "view.h"

static void ns_link(pid_t pid, const char *kind, char *buf, size_t len)
{
	char path[64];
	if (pid > 0)
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, kind);
	else
		snprintf(path, sizeof path, "/proc/self/ns/%s", kind);
	ssize_t n = readlink(path, buf, len - 1);
	if (n < 0)
		snprintf(buf, len, "(%s)", strerror(errno));
	else
		buf[n] = '\0';
}

static int holder_info(struct gph_sandbox *sb, char *buf, size_t len, struct gph_err *e)
{
	static struct hreq rq;
	static struct hrep rp;
	memset(&rq, 0, sizeof rq);
	rq.op = HREQ_INFO;
	if (gph_holder_call(sb, &rq, &rp, NULL, 0, e) < 0)
		return -1;
	snprintf(buf, len, "%s", rp.info);
	return 0;
}

static void show_ns(struct gph_sandbox *sb, FILE *out)
{
	static const char *const kinds[] = {"pid", "uts", "mnt", "ipc", "net", "cgroup", "user"};
	fprintf(out, "namespaces: sandbox process %d vs this process (%d):\n", (int)sb->holder, (int)getpid());
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		char in[64], host[64];
		ns_link(sb->holder, kinds[i], in, sizeof in);
		ns_link(0, kinds[i], host, sizeof host);
		const char *state = strcmp(in, host) == 0 ? "shared" : "isolated";
		fprintf(out, "  %-7s %-22s host %-22s %s", kinds[i], in, host, state);
		if (strcmp(kinds[i], "pid") == 0 && sb->pid_ns) {
			if (sb->main_pid > 0) {
				char cmd[64];
				ns_link(sb->main_pid, "pid", cmd, sizeof cmd);
				fprintf(out, "; running command: %s", cmd);
			} else {
				fprintf(out, "; `ns pid` applied: each exec gets a new one, with the command as PID 1");
			}
		}
		fputc('\n', out);
	}
	char info[8192];
	struct gph_err e;
	struct utsname u;
	if (holder_info(sb, info, sizeof info, &e) == 0 && uname(&u) == 0)
		fprintf(out, "hostname: %.*s (host: %s)\n", (int)strcspn(info, "\n"), info, u.nodename);
	char root[PATH_MAX], path[64];
	snprintf(path, sizeof path, "/proc/%d/root", (int)sb->holder);
	ssize_t n = readlink(path, root, sizeof root - 1);
	if (n >= 0) {
		root[n] = '\0';
		fprintf(out, "root: %s (readlink %s)%s\n", root, path,
			sb->rooted ? (sb->pivoted ? ", changed with pivot_root" : ", changed with chroot") : "");
	}
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int count_stream(FILE *f)
{
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	rewind(f);
	return n;
}

static void show_mounts(struct gph_sandbox *sb, FILE *out)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)sb->holder);
	FILE *f = gph_ns_mountinfo(sb->holder);
	const char *src = "seen from the namespace's root";
	if (!f) {
		f = fopen(path, "re");
		src = path;
	}
	if (!f) {
		fprintf(out, "mounts: cannot read %s: %s\n", path, strerror(errno));
		return;
	}
	int n = count_stream(f), host = count_lines("/proc/self/mountinfo");
	fprintf(out, "mounts: %d in the sandbox's mount namespace (this process sees %d), %s\n", n, host, src);
	if (sb->rooted && !sb->pivoted) {
		int below = count_lines(path);
		fprintf(out, "  (after chroot the sandbox's %s lists only the %d below its new root; the others are "
			"still mounted)\n", path, below < 0 ? 0 : below);
	}
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
		char *fld[6] = {0}, *save = NULL, *fstype = NULL, *source = NULL;
		int i = 0;
		bool dash = false;
		for (char *t = strtok_r(line, " \n", &save); t; t = strtok_r(NULL, " \n", &save), i++) {
			if (i < 6)
				fld[i] = t;
			if (dash && !fstype)
				fstype = t;
			else if (dash && fstype && !source) {
				source = t;
				break;
			}
			if (i >= 6 && strcmp(t, "-") == 0)
				dash = true;
		}
		if (fld[4])
			fprintf(out, "  %-28s %-10s %-12s %s\n", fld[4], fstype ? fstype : "?", source ? source : "?",
				fld[5] ? fld[5] : "");
	}
	free(line);
	fclose(f);
}

static void show_file(struct gph_sandbox *sb, FILE *out, const char *ctl, const char *file, const char *label)
{
	char buf[256];
	struct gph_err e;
	if (gph_cg_read_file(&sb->cg, ctl, file, buf, sizeof buf, &e) < 0)
		return;
	long long v;
	struct gph_err ign;
	if (strncmp(file, "memory.", 7) == 0 && gph_parse_size(buf, &v, &ign) == 0 && v >= 1024 && v < (1LL << 60)) {
		char pretty[32];
		gph_format_size(v, pretty, sizeof pretty);
		fprintf(out, "  %-30s %s (%s)%s%s\n", file, buf, pretty, label ? " " : "", label ? label : "");
	} else {
		fprintf(out, "  %-30s %s%s%s\n", file, buf, label ? " " : "", label ? label : "");
	}
}

/* Lines of a cgroup file: those starting with "key " (memory.events oom_kill), or all of a small
 * multi-line file when key is NULL (io.max, blkio throttles). */
static void show_lines(struct gph_sandbox *sb, FILE *out, const char *ctl, const char *file, const char *key)
{
	const char *dir = gph_cg_dir_for(&sb->cg, ctl);
	char path[PATH_MAX + 64], line[512];
	if (!dir)
		return;
	snprintf(path, sizeof path, "%s/%s", dir, file);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	size_t kl = key ? strlen(key) : 0;
	int n = 0;
	while (fgets(line, sizeof line, f) && n < 16) {
		if (key && !(strncmp(line, key, kl) == 0 && line[kl] == ' '))
			continue;
		fprintf(out, "  %-30s %s", file, line);
		n++;
	}
	if (n == 0 && !key)
		fprintf(out, "  %-30s (empty)\n", file);
	fclose(f);
}

/* Which files `show cgroup` reads, per cgroup version: the limits and the kernel's counters. */
enum show_how { FIRST_LINE, KEYED, ALL_LINES };
struct show_row {
	const char *ctl, *file;
	enum show_how how;
	const char *arg; /* KEYED: the key; FIRST_LINE: a label after the value */
};
static const struct show_row v2_rows[] = {
	{"memory", "memory.max", FIRST_LINE, NULL},       {"memory", "memory.swap.max", FIRST_LINE, NULL},
	{"memory", "memory.current", FIRST_LINE, NULL},   {"memory", "memory.peak", FIRST_LINE, NULL},
	{"memory", "memory.events", KEYED, "oom_kill"},   {"cpu", "cpu.max", FIRST_LINE, "(quota period, in us)"},
	{"cpu", "cpu.weight", FIRST_LINE, NULL},          {"cpu", "cpu.stat", KEYED, "usage_usec"},
	{"cpu", "cpu.stat", KEYED, "nr_throttled"},       {"cpuset", "cpuset.cpus.effective", FIRST_LINE, NULL},
	{"pids", "pids.max", FIRST_LINE, NULL},
	{"pids", "pids.current", FIRST_LINE, "(the sandbox process counts as one)"},
	{"pids", "pids.events", KEYED, "max"},            {"io", "io.max", ALL_LINES, NULL},
	{"io", "io.stat", ALL_LINES, NULL},
};
static const struct show_row v1_rows[] = {
	{"memory", "memory.limit_in_bytes", FIRST_LINE, NULL},
	{"memory", "memory.memsw.limit_in_bytes", FIRST_LINE, NULL},
	{"memory", "memory.usage_in_bytes", FIRST_LINE, NULL},
	{"memory", "memory.max_usage_in_bytes", FIRST_LINE, NULL},
	{"memory", "memory.oom_control", KEYED, "oom_kill"},
	{"cpu", "cpu.cfs_quota_us", FIRST_LINE, NULL},    {"cpu", "cpu.cfs_period_us", FIRST_LINE, NULL},
	{"cpu", "cpu.shares", FIRST_LINE, NULL},          {"cpu", "cpu.stat", KEYED, "nr_throttled"},
	{"cpuacct", "cpuacct.usage", FIRST_LINE, "(ns of CPU time)"},
	{"cpuset", "cpuset.cpus", FIRST_LINE, NULL},      {"pids", "pids.max", FIRST_LINE, NULL},
	{"pids", "pids.current", FIRST_LINE, "(the sandbox process counts as one)"},
	{"pids", "pids.events", KEYED, "max"},
	{"blkio", "blkio.throttle.read_bps_device", ALL_LINES, NULL},
	{"blkio", "blkio.throttle.write_bps_device", ALL_LINES, NULL},
	{"blkio", "blkio.throttle.io_service_bytes", KEYED, "Total"},
};

static void show_cgroup(struct gph_sandbox *sb, FILE *out)
{
	if (!sb->has_cg) {
		fprintf(out, "cgroup: none (rootless mode: %s)\n", sb->no_cg_why);
		return;
	}
	fprintf(out, "cgroup (%s host):\n", gph_cg_mode_name(sb->cg.mode));
	for (int i = 0; i < sb->cg.n; i++)
		fprintf(out, "  %s\n", sb->cg.dir[i]);
	bool v2 = sb->cg.mode == GPH_CG_V2;
	const struct show_row *rows = v2 ? v2_rows : v1_rows;
	size_t n = v2 ? sizeof v2_rows / sizeof v2_rows[0] : sizeof v1_rows / sizeof v1_rows[0];
	for (size_t i = 0; i < n; i++) {
		if (rows[i].how == FIRST_LINE)
			show_file(sb, out, rows[i].ctl, rows[i].file, rows[i].arg);
		else
			show_lines(sb, out, rows[i].ctl, rows[i].file, rows[i].how == KEYED ? rows[i].arg : NULL);
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)sb->holder);
	FILE *f = fopen(path, "re");
	if (f) {
		char line[1024];
		fprintf(out, "  %s (as the sandbox sees it):\n", path);
		while (fgets(line, sizeof line, f))
			fprintf(out, "    %s", line);
		fclose(f);
	}
}

static int show_net(struct gph_sandbox *sb, FILE *out, struct gph_err *e)
{
	char info[8192];
	if (holder_info(sb, info, sizeof info, e) < 0)
		return -1;
	const char *net = strchr(info, '\n');
	fprintf(out, "%s (netlink dump from inside):\n%s",
		sb->ns & CLONE_NEWNET ? "network namespace of the sandbox"
				      : "network namespace shared with this process (no `ns net` yet)",
		net ? net + 1 : "");
	if (sb->has_veth) {
		unsigned idx = if_nametoindex(sb->veth.host_if);
		fprintf(out, "host end: %s %s\n", sb->veth.host_if,
			idx == (unsigned)sb->veth.host_ifindex ? "present in this network namespace" : "gone");
	}
	if (sb->has_bridge) {
		int ports = 0;
		struct gph_err ign;
		char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &sb->bridge_ip, ip, sizeof ip);
		inet_ntop(AF_INET, &sb->bridge.gateway, gw, sizeof gw);
		if (gph_bridge_ports(&sb->bridge, &ports, &ign) == 0)
			fprintf(out, "bridge %s (this side): gateway %s/%d, %d port(s); this sandbox is %s\n", sb->bridge.name,
				gw, sb->bridge.prefix, ports, ip);
		if (sb->nat || sb->n_ports > 0) {
			static char rules[16384];
			if (gph_nat_describe(rules, sizeof rules, &ign) == 0 && rules[0])
				fprintf(out, "nftables rules of gophernetes (this side):\n%s", rules);
		}
	}
	return 0;
}

/* The sets a command would get, read back from a test process the holder starts the way `exec`
 * starts commands, next to the sandbox process's own. */
static int show_caps(struct gph_sandbox *sb, FILE *out, struct gph_err *e)
{
	static struct hreq rq;
	static struct hrep rp;
	memset(&rq, 0, sizeof rq);
	rq.op = HREQ_PRIV_PROBE;
	if (gph_sandbox_resolve_user(sb, e) < 0)
		return -1;
	gph_sandbox_priv_request(sb, &rq);
	if (gph_sandbox_priv_seccomp(sb, &rq, e) < 0 || gph_holder_call(sb, &rq, &rp, NULL, 0, e) < 0)
		return -1;
	static char own[4096];
	if (gph_caps_describe(sb->holder, own, sizeof own, e) < 0)
		return -1;
	fprintf(out, "an exec'd command gets (read back from a test process%s):\n%s", sb->priv.has_user ? ", after `user`" : "",
		rp.info);
	fprintf(out, "the sandbox process itself (pid %d%s):\n%s", (int)sb->holder,
		sb->userns ? ", root of its user namespace" : "", own);
	if (!sb->priv.changed)
		fprintf(out, "note: no `cap`, `seccomp`, `nnp` or `mask` step yet: commands run with everything above "
			     "(`cap default`, `nnp on`, `seccomp default`, `mask on` is what `run` applies)\n");
	return 0;
}

/* The picture (`show`, `show all`, `show picture`) and `show --json` read everything afresh. */
static int show_view(struct gph_sandbox *sb, bool json, FILE *out, struct gph_err *e)
{
	static struct gph_view v; /* large: link and mount lists */
	if (gph_view_gather(sb, &v, e) < 0)
		return -1;
	if (json)
		gph_view_json(sb, &v, out);
	else
		gph_view_picture(sb, &v, out);
	return 0;
}

int gph_sandbox_show(struct gph_sandbox *sb, const char *what, FILE *out, struct gph_err *e)
{
	if (sb->holder <= 0)
		return gph_fail(e, 0, "`reset` starts a new one", "there is no sandbox");
	if (!what || !strcmp(what, "all") || !strcmp(what, "picture") || !strcmp(what, "--json") || !strcmp(what, "json")) {
		bool json = what && (!strcmp(what, "--json") || !strcmp(what, "json"));
		if (show_view(sb, json, out, e) < 0)
			return -1;
		if (!json && sb->failed_step[0])
			fprintf(out, "note: the step `%s` failed; exec is refused until it succeeds\n", sb->failed_step);
		return 0;
	}
	if (strcmp(what, "ns") && strcmp(what, "mounts") && strcmp(what, "cgroup") && strcmp(what, "net") && strcmp(what, "caps"))
		return gph_fail(e, 0, "show [ns|mounts|cgroup|net|caps|all|--json]", "show: unknown part \"%s\"", what);
	if (strcmp(what, "ns") == 0)
		show_ns(sb, out);
	if (strcmp(what, "mounts") == 0)
		show_mounts(sb, out);
	if (strcmp(what, "cgroup") == 0)
		show_cgroup(sb, out);
	if (strcmp(what, "net") == 0 && show_net(sb, out, e) < 0)
		return -1;
	if (strcmp(what, "caps") == 0 && show_caps(sb, out, e) < 0)
		return -1;
	if (sb->failed_step[0])
		fprintf(out, "note: the step `%s` failed; exec is refused until it succeeds\n", sb->failed_step);
	return 0;
}
