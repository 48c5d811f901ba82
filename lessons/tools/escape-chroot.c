/* escape-chroot: the classic chroot breakout, for lesson 11. `make` builds it statically and installs
 * it as /bin/escape-chroot in ./rootfs. It narrates each system call, then lists the root it ended up
 * in and prints /etc/hostname there, and says whether that root is the one it started in.
 *
 *   1. fd = open("/")              a handle on the current root directory
 *   2. chroot("/tmp")              a new root below it; the working directory and fd stay outside
 *   3. fchdir(fd)                  the working directory is now outside the root
 *   4. chdir("..") many times      ".." stops only at the process's root (never met: it is below us)
 *                                  or at the top of the mount tree of the mount namespace
 *   5. chroot(".")                 make wherever we are the root
 *
 * It only reads: nothing is created, written or removed. Exit status 0 when it ran (escaped or not),
 * 1 when a system call failed (for example chroot without CAP_SYS_CHROOT). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLIMBS 64

static int fail(const char *call)
{
	printf("%s failed: %s\n", call, strerror(errno));
	return 1;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "names in /: bin dev etc ..." sorted, on one line. */
static int list_root(void)
{
	DIR *d = opendir("/");
	if (!d)
		return fail("opendir(\"/\")");
	char *names[256];
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < 256) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			closedir(d);
			return fail("strdup");
		}
		n++;
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof names[0], cmp_names);
	printf("names in /:");
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
	return 0;
}

static void print_hostname_file(void)
{
	char buf[128] = "";
	FILE *f = fopen("/etc/hostname", "re");
	if (!f) {
		printf("/etc/hostname: cannot open: %s\n", strerror(errno));
		return;
	}
	if (!fgets(buf, sizeof buf, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	printf("/etc/hostname: %s\n", buf);
}

int main(void)
{
	struct stat start, end;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (stat("/", &start) < 0)
		return fail("stat(\"/\")");
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail("open(\"/\")");
	printf("1. open(\"/\") = %d: a handle on the root we start in\n", fd);
	if (chroot("/tmp") < 0)
		return fail("2. chroot(\"/tmp\")");
	printf("2. chroot(\"/tmp\") = 0: the root is now /tmp, and the handle points above it\n");
	if (fchdir(fd) < 0)
		return fail("3. fchdir");
	close(fd);
	printf("3. fchdir(%d) = 0: the working directory is outside the root\n", fd);
	for (int i = 0; i < CLIMBS; i++)
		if (chdir("..") < 0)
			return fail("4. chdir(\"..\")");
	printf("4. chdir(\"..\") %d times: climbed as far as the mount tree goes\n", CLIMBS);
	if (chroot(".") < 0)
		return fail("5. chroot(\".\")");
	printf("5. chroot(\".\") = 0: that is the root now\n");
	if (stat("/", &end) < 0)
		return fail("stat(\"/\")");
	if (list_root() != 0)
		return 1;
	print_hostname_file();
	if (start.st_dev == end.st_dev && start.st_ino == end.st_ino)
		printf("result: still inside: the climb stopped at the root we started in\n");
	else
		printf("result: ESCAPED: this root is not the one we started in (it lies above it)\n");
	return 0;
}
