/* `doctor`: read what this machine offers (live state only; nothing is written, created or
 * loaded for good), say what each fact means for the lessons, and judge every lesson. The text
 * parsing and the judging are in doctor_parse.c. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "cgroup_priv.h"
#include "gph/doctor.h"
#include "gph/lesson.h"

/* A whole small file as text ("" when unreadable); returns -errno or the length. */
static long read_text(const char *path, char *buf, size_t len)
{
	buf[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t got = 0;
	ssize_t n;
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int err = errno;
			close(fd);
			buf[got] = '\0';
			return -err;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (long)got;
}

static long read_long(const char *path, long missing)
{
	char buf[64];
	if (read_text(path, buf, sizeof buf) <= 0)
		return missing;
	return strtol(buf, NULL, 10);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static bool on_path(const char *tool)
{
	static const char *const dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"};
	char p[PATH_MAX];
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dirs[i], tool);
		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

/* Is the library installed? RTLD_NOLOAD first (already loaded: yes), else a lazy dlopen that is
 * closed again at once: the only way to ask the dynamic linker's own search rules. */
static bool have_library(const char *soname)
{
	void *h = dlopen(soname, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
	if (!h)
		h = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
	if (!h)
		return false;
	dlclose(h);
	return true;
}

/* System calls asked with arguments the kernel rejects before doing anything: ENOSYS means the
 * kernel lacks the call, any other error that it has it. */
static void probe_syscalls(struct gph_doctor_facts *f)
{
#ifdef SYS_open_tree
	errno = 0;
	f->open_tree = syscall(SYS_open_tree, -1, "", 0x7fffffff) < 0 && errno != ENOSYS; /* bad flags: EINVAL */
#endif
#ifdef SYS_pidfd_open
	errno = 0;
	f->pidfd_open = syscall(SYS_pidfd_open, 0, 0x7fffffff) < 0 && errno != ENOSYS;  /* pid 0: EINVAL */
#endif
#ifdef SYS_clone3
	errno = 0;
	f->clone3 = syscall(SYS_clone3, NULL, 0) < 0 && errno != ENOSYS;                 /* size 0: EINVAL */
#endif
}

static void gather_cgroups(struct gph_doctor_facts *f)
{
	struct gph_cg_hier h[GPH_CG_MAX_HIER];
	enum gph_cg_mode mode;
	int n = 0;
	struct gph_err e = {0};
	f->cg_mode = -1;
	if (gph_cgi_load(&mode, h, &n, &e) < 0)
		return;
	f->cg_mode = (int)mode;
	char path[PATH_MAX * 2 + 64];
	if (mode == GPH_CG_V2) {
		char text[1024];
		if (n < 1)
			return;
		/* what this cgroup may hand to children: its cgroup.controllers (delegation) */
		snprintf(path, sizeof path, "%s%s/cgroup.controllers", h[0].mount, strcmp(h[0].own, "/") ? h[0].own : "");
		read_text(path, text, sizeof text);
		char padded[sizeof text + 2];
		snprintf(padded, sizeof padded, " %s ", text);
		for (char *p = padded; *p; p++)
			if (*p == '\n')
				*p = ' ';
		f->cg_memory = strstr(padded, " memory ") != NULL;
		f->cg_pids = strstr(padded, " pids ") != NULL;
		f->cg_cpu = strstr(padded, " cpu ") != NULL;
		f->cg_io = strstr(padded, " io ") != NULL;
		/* memory.swap.max exists in every non-root cgroup when swap is accounted */
		if (strcmp(h[0].own, "/")) {
			snprintf(path, sizeof path, "%s%s/memory.swap.max", h[0].mount, h[0].own);
			f->swap_accounting = exists(path);
		} else {
			DIR *d = opendir(h[0].mount);
			struct dirent *de;
			while (d && (de = readdir(d)) && !f->swap_accounting) {
				if (de->d_type != DT_DIR || de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof path, "%s/%s/memory.swap.max", h[0].mount, de->d_name);
				f->swap_accounting = exists(path);
			}
			if (d)
				closedir(d);
		}
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *c = h[i].controller;
		if (!strcmp(c, "memory")) {
			f->cg_memory = true;
			snprintf(path, sizeof path, "%s/memory.memsw.limit_in_bytes", h[i].mount);
			f->swap_accounting = exists(path);
		}
		f->cg_pids |= !strcmp(c, "pids");
		f->cg_cpu |= !strcmp(c, "cpu");
		f->cg_io |= !strcmp(c, "blkio");
	}
}

static void gather_container(struct gph_doctor_facts *f)
{
	static char text[65536];
	const char *name;
	if (exists("/.dockerenv"))
		snprintf(f->container, sizeof f->container, "/.dockerenv exists");
	else if (exists("/run/.containerenv"))
		snprintf(f->container, sizeof f->container, "/run/.containerenv exists");
	else if (read_text("/proc/1/cgroup", text, sizeof text) > 0 && (name = gph_doctor_cgroup_container(text)))
		snprintf(f->container, sizeof f->container, "PID 1's cgroup names %s", name);
	else {
		long l = read_text("/proc/1/environ", text, sizeof text);
		char v[32];
		if (l > 0 && gph_doctor_env_container(text, (size_t)l, v, sizeof v))
			snprintf(f->container, sizeof f->container, "PID 1 has container=%s", v);
	}
	if (read_text("/proc/version", text, sizeof text) > 0)
		f->wsl = gph_doctor_is_wsl(text);
	f->initial_userns = read_text("/proc/self/uid_map", text, sizeof text) > 0 && gph_doctor_uidmap_initial(text);
}

void gph_doctor_gather(struct gph_doctor_facts *f, const char *rootfs)
{
	static char text[65536];
	char path[PATH_MAX + 32];
	memset(f, 0, sizeof *f);
	f->root = geteuid() == 0;
	gather_cgroups(f);
	if (read_text("/proc/meminfo", text, sizeof text) > 0)
		f->swap_kb = gph_doctor_meminfo_kb(text, "SwapTotal");
	f->max_userns = read_long("/proc/sys/user/max_user_namespaces", -1);
	f->unpriv_userns_clone = (int)read_long("/proc/sys/kernel/unprivileged_userns_clone", -1);
	f->apparmor_userns = (int)read_long("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", -1);
	gather_container(f);
	if (read_text("/etc/resolv.conf", text, sizeof text) >= 0)
		gph_doctor_resolv(text, &f->dns_loopback, &f->dns_other);
	snprintf(path, sizeof path, "%s/bin/busybox", rootfs);
	f->rootfs_ok = access(path, X_OK) == 0;
	f->nft_tool = on_path("nft");
	f->libnftables = have_library("libnftables.so.1");
	f->libnl = have_library("libnl-route-3.so.200");
	struct utsname u;
	f->kmajor = f->kminor = -1;
	if (uname(&u) == 0)
		gph_doctor_kernel_version(u.release, &f->kmajor, &f->kminor);
	probe_syscalls(f);
}

static const char *yes(bool b) { return b ? "yes" : "no"; }

static void facts(FILE *out, const struct gph_doctor_facts *f, const char *rootfs)
{
	fprintf(out, "This machine (read now; doctor changes nothing):\n");
	if (f->root)
		fprintf(out, "  user:        root\n");
	else
		fprintf(out, "  user:        uid %u, not root: rootless mode (`ns user` first; no cgroup limits, only "
			"`net none`); lessons that need root are skipped\n", (unsigned)geteuid());

	if (f->cg_mode < 0)
		fprintf(out, "  cgroups:     none found at /sys/fs/cgroup: every `cgroup` step fails\n");
	else
		fprintf(out, "  cgroups:     %s%s; controllers here: memory %s, pids %s, cpu %s, io %s\n",
			gph_cg_mode_name((enum gph_cg_mode)f->cg_mode),
			f->cg_mode == GPH_CG_HYBRID ? " (v1 controllers plus an empty cgroup2 at /sys/fs/cgroup/unified; "
						      "treated as v1)" : f->cg_mode == GPH_CG_V2 ? " (delegated to this cgroup)" : "",
			yes(f->cg_memory), yes(f->cg_pids), yes(f->cg_cpu), yes(f->cg_io));
	fprintf(out, "  swap:        %lld kB%s\n", f->swap_kb < 0 ? 0 : f->swap_kb,
		f->cg_mode < 0 ? "" : f->swap_accounting ? ", accounted per cgroup (memory limits cover swap too)"
		: f->swap_kb > 0 ? ", NOT accounted per cgroup: a memory limit covers RAM only, processes swap past it"
				 : ", no swap accounting (harmless while there is no swap)");

	fprintf(out, "  user ns:     max_user_namespaces %ld", f->max_userns);
	if (f->unpriv_userns_clone >= 0)
		fprintf(out, ", unprivileged_userns_clone %d", f->unpriv_userns_clone);
	if (f->apparmor_userns >= 0)
		fprintf(out, ", apparmor_restrict_unprivileged_userns %d", f->apparmor_userns);
	fprintf(out, "%s\n", f->max_userns == 0 ? ": user namespaces are OFF"
		: f->unpriv_userns_clone == 0 || f->apparmor_userns == 1
			? ": root may create them, ordinary users may not (rootless mode fails)" : ": available");
	if (!f->initial_userns)
		fprintf(out, "               this machine runs in a user namespace already: uid maps must fit in its own\n");

	fprintf(out, "  container:   %s\n", f->container[0] ? f->container : "no sign of one");
	if (f->container[0])
		fprintf(out, "               inside a container the outer runtime may refuse unshare, mount or cgroup "
			"writes (its seccomp profile, AppArmor, missing capabilities); on cgroup v2 the runtime moves "
			"itself into a leaf cgroup when it is alone in its own\n");
	if (f->wsl)
		fprintf(out, "  WSL:         yes (/proc/version): cgroups and networking follow the WSL VM, not Windows\n");

	fprintf(out, "  DNS:         %d name server(s), %d of them loopback%s\n", f->dns_loopback + f->dns_other,
		f->dns_loopback, f->dns_loopback && !f->dns_other
			? ": a stub such as 127.0.0.53 is unreachable from a container on a bridge (its 127.0.0.53 is "
			  "its own lo); gophernetes leaves it out, so names do not resolve inside"
			: f->dns_loopback ? ": loopback ones are left out of containers' resolv.conf" : "");

	fprintf(out, "  rootfs:      %s %s\n", rootfs, f->rootfs_ok ? "(busybox present)" : "MISSING bin/busybox: run `make`");
	fprintf(out, "  libraries:   libnl-route-3 %s (veth, bridge), libnftables %s (nat, ports)\n", yes(f->libnl),
		yes(f->libnftables));
	fprintf(out, "  tools:       nft %s (to look at NAT rules yourself)\n", yes(f->nft_tool));
	fprintf(out, "  kernel:      %d.%d; open_tree %s (`mount dev` in a user namespace), pidfd_open %s, clone3 %s\n",
		f->kmajor, f->kminor, yes(f->open_tree), yes(f->pidfd_open), yes(f->clone3));
}

/* Where the lessons are: the argument, $GPH_LESSONS_DIR, ./lessons, next to the program or one up. */
static bool find_lessons(const char *given, char *dir, size_t len)
{
	const char *env = getenv("GPH_LESSONS_DIR");
	char exe[PATH_MAX];
	const char *cands[4] = {given, env && *env ? env : NULL, "lessons", NULL};
	for (int i = 0; i < 3; i++) {
		if (!cands[i])
			continue;
		snprintf(dir, len, "%s", cands[i]);
		if (exists(dir))
			return true;
	}
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	snprintf(dir, len, "%.*s/lessons", (int)(len - 16), exe);
	if (exists(dir))
		return true;
	snprintf(dir, len, "%.*s/../lessons", (int)(len - 16), exe);
	return exists(dir);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int only_lessons(const struct dirent *d)
{
	size_t l = strlen(d->d_name);
	return l > 7 && !strcmp(d->d_name + l - 7, ".lesson");
}

/* Programs a lesson execs (exec /path ...) that the root filesystem lacks. */
static void missing_programs(const struct gph_lesson *l, const char *rootfs, char *why, size_t len)
{
	for (int i = 0; i < l->n_cmds; i++) {
		const char *c = l->cmds[i].command;
		if (strncmp(c, "exec /", 6) != 0)
			continue;
		char prog[256], path[PATH_MAX + 256];
		snprintf(prog, sizeof prog, "%.*s", (int)strcspn(c + 5, " \t"), c + 5);
		snprintf(path, sizeof path, "%s%s", rootfs, prog);
		if (access(path, X_OK) != 0 && !strstr(why, prog)) {
			size_t off = strlen(why);
			snprintf(why + off, len - off, "%sfails: %s is not in %s", off ? "; " : "", prog, rootfs);
		}
	}
}

int gph_doctor_report(FILE *out, const struct gph_doctor_facts *f, const char *rootfs, const char *lessons_dir)
{
	char dir[PATH_MAX], why[2048];
	int bad = 0;
	facts(out, f, rootfs);
	fprintf(out, "\nLessons:\n");
	if (!find_lessons(lessons_dir, dir, sizeof dir)) {
		fprintf(out, "  no lessons directory found (give one with GPH_LESSONS_DIR)\n");
		return 0;
	}
	struct dirent **names;
	int n = scandir(dir, &names, only_lessons, by_name);
	if (n < 0) {
		fprintf(out, "  %s: %s\n", dir, strerror(errno));
		return 0;
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX + 256];
		struct gph_lesson l;
		struct gph_err e = {0};
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		int nl = (int)strlen(names[i]->d_name) - 7;
		if (gph_lesson_load(path, &l, &e) < 0) {
			fprintf(out, "  %-28.*s cannot be read: %s\n", nl, names[i]->d_name, e.msg);
			bad++;
		} else {
			bool blocked = gph_doctor_judge(f, gph_doctor_lesson_uses(&l), why, sizeof why);
			if (f->rootfs_ok)
				missing_programs(&l, rootfs, why, sizeof why);
			blocked = blocked || strstr(why, "fails:");
			fprintf(out, "  %-28.*s %s\n", nl, names[i]->d_name, why[0] ? why : "runs as written");
			bad += blocked;
			gph_lesson_free(&l);
		}
		free(names[i]);
	}
	free(names);
	return bad;
}
