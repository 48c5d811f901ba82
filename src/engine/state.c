/* The ledger: one directory per sandbox under the state root, holding a `state` file of key=value
 * lines that names the owner (runtime PID and start time) and everything made for the sandbox, so
 * `ps` can list and `gc` can undo exactly what a dead runtime left. */
#define _GNU_SOURCE
#include <dirent.h>
#include <net/if.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "gph/image.h"
#include <unistd.h>
#include "internal.h"

const char *gph_state_root(void)
{
	const char *d = getenv("GPH_STATE_DIR");
	if (d && *d)
		return d;
	if (geteuid() == 0)
		return "/run/gophernetes";
	/* Rootless: the user's runtime directory (systemd's /run/user/UID), else one in /tmp. */
	static char mine[PATH_MAX];
	if (!mine[0]) {
		const char *x = getenv("XDG_RUNTIME_DIR");
		if (x && x[0] == '/' && strlen(x) < PATH_MAX - 32)
			snprintf(mine, sizeof mine, "%s/gophernetes", x);
		else
			snprintf(mine, sizeof mine, "/tmp/gophernetes-%u", (unsigned)geteuid());
	}
	return mine;
}

unsigned long long gph_proc_starttime(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields resume after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	unsigned long long start = 0;
	/* after ")": state(3) ... starttime is field 22, i.e. the 20th after the state */
	char *save = NULL, *tok = strtok_r(p + 1, " ", &save);
	for (int field = 3; tok; tok = strtok_r(NULL, " ", &save), field++)
		if (field == 22) {
			start = strtoull(tok, NULL, 10);
			break;
		}
	return start;
}

static int mkdir_p(const char *dir, struct gph_err *e)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return gph_fail(e, errno, NULL, "mkdir(\"%s\")", tmp);
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return gph_fail(e, errno, NULL, "mkdir(\"%s\")", tmp);
	return 0;
}

int gph_state_write(const struct gph_sandbox *sb, pid_t main_pid, struct gph_err *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], tmp[PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/%s", gph_state_root(), sb->id);
	if (mkdir_p(dir, e) < 0) {
		gph_err_hint(e, "the state directory is %s (GPH_STATE_DIR changes it)", gph_state_root());
		return -1;
	}
	/* In a shared place like /tmp someone else could have made it first: never use theirs. */
	struct stat rs;
	if (lstat(gph_state_root(), &rs) < 0 || !S_ISDIR(rs.st_mode) || rs.st_uid != geteuid())
		return gph_fail(e, EPERM, "remove it, or set GPH_STATE_DIR to a directory of your own",
				"the state directory %s is not a directory of this user", gph_state_root());
	snprintf(path, sizeof path, "%s/state", dir);
	snprintf(tmp, sizeof tmp, "%s/state.tmp", dir);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return gph_fail(e, errno, NULL, "open(\"%s\")", tmp);
	pid_t self = sb->owner > 0 ? sb->owner : getpid();
	fprintf(f, "id=%s\nname=%s\ncommand=%s\ncreated=%lld\n", sb->id, sb->name, sb->command, sb->created);
	fprintf(f, "owner_pid=%d\nowner_start=%llu\n", (int)self, gph_proc_starttime(self));
	if (sb->holder > 0)
		fprintf(f, "holder_pid=%d\nholder_start=%llu\n", (int)sb->holder, gph_proc_starttime(sb->holder));
	if (main_pid > 0)
		fprintf(f, "main_pid=%d\n", (int)main_pid);
	fprintf(f, "cgroup_parent=%s\n", sb->cgroup_parent);
	if (sb->has_veth)
		fprintf(f, "veth_if=%s\nveth_ifindex=%d\n", sb->veth.host_if, sb->veth.host_ifindex);
	if (sb->has_bridge)
		fprintf(f, "bridge=%s\n", sb->bridge.name);
	if (sb->n_ports > 0)
		fprintf(f, "ports=%d\n", sb->n_ports);
	if (sb->image_dir[0])
		fprintf(f, "image_dir=%s\n", sb->image_dir);
	if (fflush(f) != 0 || ferror(f)) {
		int err = errno;
		fclose(f);
		return gph_fail(e, err, NULL, "write(\"%s\")", tmp);
	}
	fclose(f);
	if (rename(tmp, path) < 0)
		return gph_fail(e, errno, NULL, "rename(\"%s\", \"%s\")", tmp, path);
	return 0;
}

void gph_state_remove(const struct gph_sandbox *sb)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/%s/state", gph_state_root(), sb->id);
	unlink(path);
	snprintf(path, sizeof path, "%s/%s/state.tmp", gph_state_root(), sb->id);
	unlink(path);
	snprintf(path, sizeof path, "%s/%s", gph_state_root(), sb->id);
	rmdir(path);
}

struct state_rec {
	char id[13], name[64], command[256], cgroup_parent[PATH_MAX], veth_if[IF_NAMESIZE], bridge[IF_NAMESIZE];
	char image_dir[PATH_MAX];
	long long created;
	int owner_pid, holder_pid, main_pid, veth_ifindex, ports;
	unsigned long long owner_start, holder_start;
};

static int read_state(const char *id, struct state_rec *s)
{
	char path[PATH_MAX + 32], line[PATH_MAX + 64];
	memset(s, 0, sizeof *s);
	snprintf(path, sizeof path, "%s/%s/state", gph_state_root(), id);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *v = strchr(line, '=');
		if (!v)
			continue;
		*v++ = '\0';
#define STR(k) else if (strcmp(line, #k) == 0) snprintf(s->k, sizeof s->k, "%s", v)
#define NUM(k) else if (strcmp(line, #k) == 0) s->k = (int)strtol(v, NULL, 10)
		if (0) {
		}
		STR(id); STR(name); STR(command); STR(cgroup_parent); STR(veth_if); STR(bridge); STR(image_dir);
		NUM(owner_pid); NUM(holder_pid); NUM(main_pid); NUM(veth_ifindex); NUM(ports);
		else if (strcmp(line, "created") == 0) s->created = strtoll(v, NULL, 10);
		else if (strcmp(line, "owner_start") == 0) s->owner_start = strtoull(v, NULL, 10);
		else if (strcmp(line, "holder_start") == 0) s->holder_start = strtoull(v, NULL, 10);
#undef STR
#undef NUM
	}
	fclose(f);
	/* A record must name itself: anything else in the directory is not ours to act on. */
	return strcmp(s->id, id) == 0 ? 0 : -1;
}

/* Alive means: that PID exists and started when the ledger says (PIDs get reused). */
static bool alive(int pid, unsigned long long start)
{
	return pid > 0 && start && gph_proc_starttime(pid) == start;
}

static DIR *open_root(struct gph_err *e, bool *none)
{
	DIR *d = opendir(gph_state_root());
	*none = false;
	if (!d && errno == ENOENT)
		*none = true;
	else if (!d)
		gph_fail(e, errno, NULL, "opendir(\"%s\")", gph_state_root());
	return d;
}

int gph_state_list(FILE *out, struct gph_err *e)
{
	bool none;
	DIR *d = open_root(e, &none);
	if (!d && !none)
		return -1;
	fprintf(out, "%-12s  %-16s  %-7s  %-24s  %s\n", "ID", "NAME", "PID", "COMMAND", "STARTED");
	int stale = 0;
	for (struct dirent *de; d && (de = readdir(d));) {
		struct state_rec s;
		if (de->d_name[0] == '.' || read_state(de->d_name, &s) < 0)
			continue;
		if (!alive(s.owner_pid, s.owner_start)) {
			stale++;
			continue;
		}
		char when[32] = "?", pid[16] = "-";
		time_t t = (time_t)s.created;
		struct tm tm;
		if (localtime_r(&t, &tm))
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
		if (s.main_pid > 0)
			snprintf(pid, sizeof pid, "%d", s.main_pid);
		fprintf(out, "%-12s  %-16s  %-7s  %-24.24s  %s\n", s.id, s.name, pid, s.command, when);
	}
	if (d)
		closedir(d);
	if (stale)
		fprintf(out, "(%d left behind by runtimes that died: `gophernetes gc` removes them)\n", stale);
	return 0;
}

/* net.ipv4.ip_forward of this network namespace: 0, 1, or -1 when unreadable. */
static int read_ip_forward(void)
{
	char v[8] = "";
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, v, sizeof v - 1);
	close(fd);
	return n > 0 ? v[0] == '1' : -1;
}

static bool bridge_listed(char (*list)[IF_NAMESIZE], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* Undo what one record lists; what gets " cgroup", " veth"... Errors are printed; -1 keeps the record. */
static int collect_rec(const struct state_rec *s, char *what)
{
	struct gph_err ce;
	if (alive(s->holder_pid, s->holder_start))
		kill(s->holder_pid, SIGKILL);
	struct gph_cgroup cg;
	if (gph_cg_open(&cg, s->id, s->cgroup_parent[0] ? s->cgroup_parent : NULL, &ce) == 0 && cg.n > 0) {
		if (gph_cg_destroy(&cg, &ce) < 0) {
			gph_err_print(&ce, stderr, "gophernetes: gc");
			return -1; /* keep the record, so a later gc can try again */
		}
		strcat(what, " cgroup");
	}
	if (s->veth_if[0]) {
		struct gph_veth v;
		memset(&v, 0, sizeof v);
		snprintf(v.host_if, sizeof v.host_if, "%s", s->veth_if);
		v.host_ifindex = s->veth_ifindex;
		if (gph_net_veth_delete(&v, &ce) < 0) {
			gph_err_print(&ce, stderr, "gophernetes: gc");
			return -1;
		}
		strcat(what, " veth");
	}
	/* Published ports and the address go back before the record does (B24). */
	if (s->ports > 0) {
		if (gph_nat_unpublish(s->id, &ce) < 0) {
			gph_err_print(&ce, stderr, "gophernetes: gc");
			return -1;
		}
		strcat(what, " ports");
	}
	/* The ledger names the bridge before the veth exists: a runtime killed in between leaves a
	 * port that the kernel deletes only when it gets round to the dead network namespace. */
	if (s->bridge[0] && !s->veth_if[0]) {
		struct gph_bridge b;
		int n = 0;
		if (gph_bridge_init(&b, s->bridge, &ce) < 0 || gph_bridge_detach_id(&b, s->id, &n, &ce) < 0) {
			gph_err_print(&ce, stderr, "gophernetes: gc");
			return -1;
		}
		if (n)
			strcat(what, " veth");
	}
	if (s->bridge[0]) {
		if (gph_ipam_release_id(gph_state_root(), s->id, &ce) < 0) {
			gph_err_print(&ce, stderr, "gophernetes: gc");
			return -1;
		}
		strcat(what, " address");
	}
	/* An image container's upper and work directories (the overlay itself was mounted in the
	 * sandbox's mount namespace, gone with it). Only a directory the ledger names that is
	 * STORE/containers/ID for this very id. */
	if (s->image_dir[0]) {
		size_t l = strlen(s->image_dir), il = strlen(s->id);
		const char *tail = "/containers/";
		size_t tl = strlen(tail);
		if (l > il + tl && strcmp(s->image_dir + l - il, s->id) == 0 &&
		    strncmp(s->image_dir + l - il - tl, tail, tl) == 0) {
			if (gph_rm_tree(s->image_dir, &ce) < 0 && ce.errnum != ENOENT) {
				gph_err_print(&ce, stderr, "gophernetes: gc");
				return -1;
			}
			strcat(what, " image-layer");
		}
	}
	struct gph_sandbox sb;
	memset(&sb, 0, sizeof sb);
	snprintf(sb.id, sizeof sb.id, "%s", s->id);
	char extra[PATH_MAX + 32];
	snprintf(extra, sizeof extra, "%s/%s/resolv.conf", gph_state_root(), s->id);
	unlink(extra);
	snprintf(extra, sizeof extra, "%s/%s/hosts", gph_state_root(), s->id);
	unlink(extra);
	gph_state_remove(&sb);
	return 0;
}

int gph_state_collect(const char *id, struct gph_err *e)
{
	struct state_rec s;
	char what[256] = "";
	if (read_state(id, &s) < 0)
		return 0; /* nothing recorded (any more) */
	if (collect_rec(&s, what) < 0)
		return gph_fail(e, 0, "see the messages above; `gophernetes gc` tries again", "could not remove container %s", id);
	return 0;
}

int gph_state_gc(FILE *out, int *removed, struct gph_err *e)
{
	bool none;
	*removed = 0;
	DIR *d = open_root(e, &none);
	if (!d)
		return none ? 0 : -1;
	int rc = 0, n_bridges = 0;
	char bridges[8][IF_NAMESIZE];
	for (struct dirent *de; (de = readdir(d));) {
		struct state_rec s;
		if (de->d_name[0] == '.' || de->d_name[0] == 'i' || read_state(de->d_name, &s) < 0)
			continue;
		if (alive(s.owner_pid, s.owner_start))
			continue; /* its runtime is still running: not ours to touch */
		char what[256] = "";
		if (collect_rec(&s, what) < 0) {
			rc = -1;
			continue;
		}
		if (s.bridge[0] && n_bridges < 8 && !bridge_listed(bridges, n_bridges, s.bridge))
			snprintf(bridges[n_bridges++], IF_NAMESIZE, "%s", s.bridge);
		fprintf(out, "removed %s (%s):%s state\n", s.id, s.name, what);
		(*removed)++;
	}
	closedir(d);
	/* A bridge of ours with no container left goes too, with its NAT rules: the default one, and
	 * any other a collected container used (only ours, by alias, and only without ports). */
	if (n_bridges < 8 && !bridge_listed(bridges, n_bridges, GPH_BRIDGE_NAME))
		snprintf(bridges[n_bridges++], IF_NAMESIZE, "%s", GPH_BRIDGE_NAME);
	int forward_before = read_ip_forward();
	for (int i = 0; i < n_bridges; i++) {
		if (!if_nametoindex(bridges[i]))
			continue;
		struct gph_bridge b;
		struct gph_err be;
		if (gph_bridge_init(&b, bridges[i], &be) < 0)
			continue;
		int r = gph_nat_remove_bridge(&b, &be);
		if (r < 0) {
			gph_err_print(&be, stderr, "gophernetes: gc");
			rc = -1;
		} else if (r == 0) {
			fprintf(out, "removed bridge %s and its NAT rules (no container left on it)\n", b.name);
			(*removed)++;
		}
	}
	if (forward_before == 1 && read_ip_forward() == 0)
		fprintf(out, "turned net.ipv4.ip_forward off again (it was off before gophernetes' first bridge)\n");
	int leaves = 0;
	struct gph_err le;
	if (gph_cg_gc_runtime_leaves(out, &leaves, &le) < 0) {
		gph_err_print(&le, stderr, "gophernetes: gc");
		rc = -1;
	}
	*removed += leaves;
	if (rc < 0)
		return gph_fail(e, 0, "see the messages above; run `gophernetes gc` again once resolved",
				"gc could not remove everything");
	return 0;
}
