/* Where lessons are, and whether this machine can run one: the @needs checks and the private
 * network namespace that replay and the tutor both use, so the two cannot disagree. */
#define _GNU_SOURCE
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gph/cgroup.h"
#include "gph/image.h"
#include "gph/net.h"
#include "tutor.h"

#define LESSON_EXT ".lesson"
/* @needs images: the image lessons/16-images.lesson runs, canonical as the store's refs file has it. */
#define GPH_LESSON_IMAGE "docker.io/lesson/layers:1"

void lesson_short_name(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(buf, len, "%s", base);
	size_t n = strlen(buf), ext = strlen(LESSON_EXT);
	if (n > ext && !strcmp(buf + n - ext, LESSON_EXT))
		buf[n - ext] = '\0';
}

bool lesson_need_met(const char *need, char *why, size_t len)
{
	if (!strcmp(need, "root") || !strcmp(need, "net")) {
		if (geteuid() == 0)
			return true;
		snprintf(why, len, "needs root%s, running as uid %u",
			 !strcmp(need, "net") ? " (for networking)" : "", (unsigned)geteuid());
		return false;
	}
	if (!strcmp(need, "cgroup2")) {
		enum gph_cg_mode mode;
		struct gph_err e = {0};
		if (gph_cg_detect("/sys/fs/cgroup", &mode, &e) < 0) {
			snprintf(why, len, "needs cgroup v2, and the cgroup mode is unknown: %.300s", e.msg);
			return false;
		}
		if (mode == GPH_CG_V2)
			return true;
		snprintf(why, len, "needs cgroup v2, and this host is %s", gph_cg_mode_name(mode));
		return false;
	}
	if (!strcmp(need, "userns")) {
		FILE *f = fopen("/proc/sys/user/max_user_namespaces", "re");
		long max = 0;
		if (f) {
			if (fscanf(f, "%ld", &max) != 1)
				max = 0;
			fclose(f);
		}
		if (max <= 0) {
			snprintf(why, len, "needs user namespaces, and /proc/sys/user/max_user_namespaces is %s",
				 f ? "0" : "missing");
			return false;
		}
		/* Allowed in general; can this process make one? (Not in a chroot, whatever its privileges.) */
		fflush(NULL);
		pid_t c = fork();
		if (c == 0)
			_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno & 0xff);
		int st = 0;
		if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) == 0)
			return true; /* could not tell: let the lesson say */
		struct stat self, init;
		bool chrooted = stat("/", &self) == 0 && stat("/proc/1/root", &init) == 0 &&
				(self.st_dev != init.st_dev || self.st_ino != init.st_ino);
		snprintf(why, len, "needs user namespaces, and this process cannot create one (unshare(CLONE_NEWUSER): %s%s)",
			 strerror(WEXITSTATUS(st)), chrooted ? "; it runs in a chroot, where the kernel refuses them" : "");
		return false;
	}
	if (!strcmp(need, "images")) {
		/* The image the images lesson uses, named in the store's refs file ("REF DIGEST" lines). */
		const char *root = getenv("GPH_IMAGE_ROOT");
		char path[PATH_MAX], line[512];
		snprintf(path, sizeof path, "%s/refs", root && *root ? root : GPH_STORE_DEFAULT);
		FILE *f = fopen(path, "re");
		bool found = false;
		while (f && !found && fgets(line, sizeof line, f))
			found = !strncmp(line, GPH_LESSON_IMAGE " ", strlen(GPH_LESSON_IMAGE) + 1);
		if (f)
			fclose(f);
		if (found)
			return true;
		snprintf(why, len, "needs the image %s in the image store %s", GPH_LESSON_IMAGE,
			 root && *root ? root : GPH_STORE_DEFAULT);
		return false;
	}
	snprintf(why, len, "unknown need \"%s\"", need);
	return false;
}

const char *lesson_need_advice(const char *need)
{
	if (!strcmp(need, "root"))
		return "Creating most namespaces, mounting, and writing cgroup files need privileges: "
		       "start it again as root (gophernetes-shell --lesson ...).";
	if (!strcmp(need, "net"))
		return "Making veth pairs, bridges and nftables rules needs CAP_NET_ADMIN: start it "
		       "again as root. The lesson then runs in a network namespace of its own, so "
		       "nothing of it touches this machine's network.";
	if (!strcmp(need, "cgroup2"))
		return "The lesson reads files only the unified hierarchy has (memory.events, "
		       "cpu.max, ...). Boot with systemd.unified_cgroup_hierarchy=1, or follow it on a "
		       "machine with cgroup v2; `show cgroup` shows what this one offers.";
	if (!strcmp(need, "userns"))
		return "User namespaces are switched off here: as root, `sysctl user.max_user_namespaces"
		       "=15000` enables them (some distributions also have "
		       "kernel.unprivileged_userns_clone or an AppArmor policy that restricts them).";
	if (!strcmp(need, "images"))
		return "The lesson runs an image made from ./rootfs: `make lessons` makes one in a temporary "
		       "store, or by hand: python3 tests/images/mkimage.py oci rootfs /tmp/oci && gophernetes "
		       "import /tmp/oci lesson/layers:1 (GPH_IMAGE_ROOT names another store than "
		       GPH_STORE_DEFAULT ").";
	return "This version of the shell does not know how to check it.";
}

int lesson_first_unmet(const struct gph_lesson *l, char *why, size_t len)
{
	for (int i = 0; i < l->n_needs; i++)
		if (!lesson_need_met(l->needs[i], why, len))
			return i;
	return -1;
}

/* A network lesson changes the shell's own network namespace (host veth ends, a bridge,
 * nftables rules, ip_forward): it gets a fresh one, never the one we were started in. */
int lesson_net_enter(const struct gph_lesson *l, int *saved, struct gph_err *e)
{
	*saved = -1;
	for (int i = 0; i < l->n_needs; i++)
		if (!strcmp(l->needs[i], "net"))
			return gph_net_private_enter(saved, e);
	return 0;
}

int lesson_net_leave(int saved, struct gph_err *e)
{
	return saved < 0 ? 0 : gph_net_private_leave(saved, e);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int lessons_dir(char *buf, size_t len, struct gph_err *e)
{
	const char *env = getenv("GPH_LESSONS_DIR");
	char exe[PATH_MAX];
	if (env && env[0]) {
		if (!is_dir(env))
			return gph_fail(e, errno ? errno : ENOTDIR, "GPH_LESSONS_DIR names the lessons/ "
					"directory", "GPH_LESSONS_DIR=%s", env);
		snprintf(buf, len, "%s", env);
		return 0;
	}
	if (is_dir("lessons")) {
		snprintf(buf, len, "lessons");
		return 0;
	}
	/* Next to the program (./gophernetes-shell) or one level up (build/gophernetes-shell). */
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		for (int up = 0; slash && up < 2; up++) {
			*slash = '\0';
			snprintf(buf, len, "%s/lessons", exe[0] ? exe : "/");
			if (is_dir(buf))
				return 0;
			slash = strrchr(exe, '/');
		}
	}
	return gph_fail(e, ENOENT, "run from the source tree, or set GPH_LESSONS_DIR to the lessons/ "
			"directory", "no lessons/ directory here or next to the program");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void lessons_list_free(char **paths, int n)
{
	for (int i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

int lessons_list(const char *dir, char ***paths, int *n, struct gph_err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	*paths = NULL;
	*n = 0;
	if (!d)
		return gph_fail(e, errno, "set GPH_LESSONS_DIR to the lessons/ directory",
				"opendir(\"%s\")", dir);
	errno = 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), ext = strlen(LESSON_EXT);
		if (l <= ext || strcmp(de->d_name + l - ext, LESSON_EXT) || de->d_name[0] == '.')
			continue;
		char **grown = realloc(*paths, (size_t)(*n + 1) * sizeof *grown);
		char *p = NULL;
		if (!grown || asprintf(&p, "%s/%s", dir, de->d_name) < 0) {
			if (grown)
				*paths = grown;
			closedir(d);
			lessons_list_free(*paths, *n);
			return gph_fail(e, ENOMEM, NULL, "listing %s", dir);
		}
		*paths = grown;
		(*paths)[(*n)++] = p;
		errno = 0;
	}
	int err = errno;
	closedir(d);
	if (err) {
		lessons_list_free(*paths, *n);
		return gph_fail(e, err, NULL, "readdir(\"%s\")", dir);
	}
	qsort(*paths, (size_t)*n, sizeof **paths, by_name);
	return 0;
}

/* "01-pid-namespace" matches its own name, "01" (the number) and "pid-namespace" (the rest). */
static bool name_matches(const char *lesson, const char *want)
{
	if (!strcmp(lesson, want))
		return true;
	const char *dash = strchr(lesson, '-');
	if (!dash)
		return false;
	size_t num = (size_t)(dash - lesson);
	return (strlen(want) == num && !strncmp(lesson, want, num)) || !strcmp(dash + 1, want);
}

int lesson_find(const char *name, char *path, size_t len, struct gph_err *e)
{
	char dir[PATH_MAX], **all, short_name[256];
	int n, found = -1;
	if (strchr(name, '/') || access(name, R_OK) == 0) {
		if (access(name, R_OK) < 0)
			return gph_fail(e, errno, "`lessons` lists the lessons", "lesson \"%s\"", name);
		snprintf(path, len, "%s", name);
		return 0;
	}
	if (lessons_dir(dir, sizeof dir, e) < 0 || lessons_list(dir, &all, &n, e) < 0)
		return -1;
	char want[256];
	lesson_short_name(name, want, sizeof want); /* "01-pid-namespace.lesson" works too */
	for (int i = 0; i < n; i++) {
		lesson_short_name(all[i], short_name, sizeof short_name);
		if (!name_matches(short_name, want))
			continue;
		if (found >= 0) {
			gph_fail(e, 0, "give the whole name; `lessons` lists them",
				 "\"%s\" names more than one lesson", name);
			lessons_list_free(all, n);
			return -1;
		}
		found = i;
	}
	if (found < 0) {
		lessons_list_free(all, n);
		return gph_fail(e, ENOENT, "`lessons` lists the lessons", "no lesson \"%s\" in %s", name,
				dir);
	}
	snprintf(path, len, "%s", all[found]);
	lessons_list_free(all, n);
	return 0;
}
