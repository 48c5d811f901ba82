/* The holder enters the namespaces of a running process (the OCI face's exec): every namespace
 * of pid that is not already ours, the user namespace first (it owns the others), the mount
 * namespace last (entering it changes our root and working directory to the container's). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

int gph_inside_join(pid_t pid, int *ns, struct gph_err *e)
{
	static const struct { const char *name; int flag; } order[] = {
		{"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
		{"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS},
	};
	enum { N = sizeof order / sizeof order[0] };
	int fds[N];
	*ns = 0;
	/* Open them all first: after the mount namespace changes, /proc may be another one. */
	for (int i = 0; i < N; i++) {
		char theirs[64], ours[64];
		struct stat a, b;
		fds[i] = -1;
		snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, order[i].name);
		snprintf(ours, sizeof ours, "/proc/self/ns/%s", order[i].name);
		if (stat(theirs, &a) < 0) {
			int err = errno;
			for (int k = 0; k < i; k++)
				if (fds[k] >= 0)
					close(fds[k]);
			return gph_fail(e, err, err == ENOENT ? "the container's process has exited" : NULL, "stat(\"%s\")", theirs);
		}
		if (stat(ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue; /* shared with us: nothing to enter */
		fds[i] = open(theirs, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			int err = errno;
			for (int k = 0; k < i; k++)
				if (fds[k] >= 0)
					close(fds[k]);
			return gph_fail(e, err, NULL, "open(\"%s\")", theirs);
		}
	}
	int rc = 0;
	for (int i = 0; i < N; i++) {
		if (fds[i] < 0)
			continue;
		if (rc == 0 && setns(fds[i], order[i].flag) < 0)
			rc = gph_fail(e, errno, NULL, "setns(/proc/%d/ns/%s, CLONE_NEW%s)", (int)pid, order[i].name,
				      order[i].flag == CLONE_NEWNS ? "NS" : order[i].name);
		else if (rc == 0)
			*ns |= order[i].flag;
		close(fds[i]);
	}
	if (rc == 0 && (*ns & CLONE_NEWNS) && chdir("/") < 0)
		rc = gph_fail(e, errno, NULL, "chdir(\"/\") in the container's mount namespace");
	return rc;
}
