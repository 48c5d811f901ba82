/* Reading a sandbox's mount table from the runtime side, and telling whether the host's root file
 * system is still in it (shared by `show` and `score`). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "view.h"

/* /proc/PID/mountinfo lists only what lies below the process's root, so after chroot it would hide
 * the host's mounts that are still there; a child that joins the namespace (setns puts it at the
 * namespace's root) sees them all. */
FILE *gph_ns_mountinfo(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
	int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	FILE *tmp = tmpfile();
	FILE *res = NULL;
	if (procfd < 0 || nsfd < 0 || !tmp)
		goto out;
	fflush(NULL); /* the child must not write our buffers twice */
	pid_t c = fork();
	if (c == 0) {
		if (setns(nsfd, CLONE_NEWNS) < 0)
			_exit(1);
		int fd = openat(procfd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
		char buf[8192];
		ssize_t n;
		if (fd < 0)
			_exit(1);
		while ((n = read(fd, buf, sizeof buf)) > 0)
			if (write(fileno(tmp), buf, (size_t)n) != n)
				_exit(1);
		_exit(n < 0 ? 1 : 0);
	}
	int st = 0;
	if (c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		rewind(tmp);
		res = tmp;
		tmp = NULL;
	}
out:
	if (tmp)
		fclose(tmp);
	if (procfd >= 0)
		close(procfd);
	if (nsfd >= 0)
		close(nsfd);
	return res;
}

/* id parent maj:min root mountpoint options [optional fields...] - fstype source superoptions */
bool gph_mountinfo_split(char *line, struct mountinfo_line *m)
{
	char *save = NULL;
	int i = 0;
	bool dash = false;
	memset(m, 0, sizeof *m);
	for (char *t = strtok_r(line, " \n", &save); t; t = strtok_r(NULL, " \n", &save), i++) {
		if (i == 2)
			m->devno = t;
		else if (i == 3)
			m->root = t;
		else if (i == 4)
			m->target = t;
		else if (dash && !m->fstype)
			m->fstype = t;
		else if (dash && !m->source) {
			m->source = t;
			break;
		} else if (i >= 6 && strcmp(t, "-") == 0)
			dash = true;
	}
	return m->devno && m->root && m->target && m->fstype;
}

bool gph_host_root_in(FILE *f)
{
	char devno[32] = "", root[PATH_MAX] = "";
	FILE *self = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	struct mountinfo_line m;
	if (!self)
		return false;
	/* The last "/" entry is the one on top, the root this process uses. */
	while (getline(&line, &cap, self) > 0)
		if (gph_mountinfo_split(line, &m) && strcmp(m.target, "/") == 0) {
			snprintf(devno, sizeof devno, "%s", m.devno);
			snprintf(root, sizeof root, "%s", m.root);
		}
	fclose(self);
	bool found = false;
	while (devno[0] && !found && getline(&line, &cap, f) > 0)
		found = gph_mountinfo_split(line, &m) && strcmp(m.devno, devno) == 0 && strcmp(m.root, root) == 0;
	free(line);
	rewind(f);
	return found;
}

int gph_sandbox_mount_count(const struct gph_sandbox *sb)
{
	if (sb->holder <= 0)
		return -1;
	FILE *f = gph_ns_mountinfo(sb->holder);
	if (!f)
		return -1;
	int n = 0, c;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}
