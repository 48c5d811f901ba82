/* The `score` probe, holder side: a child started exactly as an exec'd command is (the same clone
 * flags, /proc remounted for its PID namespace, the masks, the user switch, capabilities,
 * no_new_privs and seccomp filter), which then only *looks*: stat, readlink, statvfs and reads of
 * its own /proc files. It never tries an action that could change the host; score.c decides
 * from these facts and the runtime's own view. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include "internal.h"
#include "view.h"

/* Status lines through the holder's handle on the host's /proc: the probe's own /proc may be
 * missing or another PID namespace's. */
static void read_status(struct gph_probe_facts *f)
{
	int fd = openat(gph_holder_procfd, "self/status", O_RDONLY | O_CLOEXEC);
	FILE *s = fd >= 0 ? fdopen(fd, "re") : NULL;
	char line[256];
	if (!s) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (fgets(line, sizeof line, s)) {
		char *v = strchr(line, ':');
		if (!v)
			continue;
		*v++ = '\0';
		if (!strcmp(line, "CapEff"))
			f->cap_eff = strtoull(v, NULL, 16);
		else if (!strcmp(line, "CapPrm"))
			f->cap_prm = strtoull(v, NULL, 16);
		else if (!strcmp(line, "CapBnd"))
			f->cap_bnd = strtoull(v, NULL, 16);
		else if (!strcmp(line, "Seccomp"))
			f->seccomp = atoi(v);
		else if (!strcmp(line, "NoNewPrivs"))
			f->nnp = atoi(v) != 0;
	}
	fclose(s);
}

static void look_at_proc(struct gph_probe_facts *f)
{
	struct statfs sf;
	struct statvfs sv;
	char self[32];
	f->proc_is_procfs = statfs("/proc", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
	if (!f->proc_is_procfs)
		return;
	/* A procfs answers "self" with our PID in *its* PID namespace: not getpid() means it belongs to
	 * another (an outer) namespace, whose processes it lists. */
	ssize_t n = readlink("/proc/self", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		f->proc_foreign = atoi(self) != getpid();
	}
	DIR *d = opendir("/proc");
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (isdigit((unsigned char)de->d_name[0]))
				f->proc_pids++;
		closedir(d);
	}
	f->proc_sys_present = statvfs("/proc/sys", &sv) == 0;
	f->proc_sys_ro = f->proc_sys_present && (sv.f_flag & ST_RDONLY);
}

static void look(struct gph_probe_facts *f)
{
	struct stat st;
	char path[32];
	for (int i = 0; i < VIEW_NS; i++) {
		snprintf(path, sizeof path, "self/ns/%s", gph_view_ns_kinds[i]);
		if (fstatat(gph_holder_procfd, path, &st, 0) == 0) {
			f->ns_ino[i] = st.st_ino;
			f->ns_dev[i] = st.st_dev;
		}
	}
	if (stat("/", &st) == 0) {
		f->root_dev = st.st_dev;
		f->root_ino = st.st_ino;
	}
	f->euid = geteuid();
	f->pid_inside = getpid();
	look_at_proc(f);
	read_status(f);
}

/* The probe child: set up like gph_exec_child up to execve, then look and report through p. */
static void probe_child(const struct hreq *rq, int p) __attribute__((noreturn));
static void probe_child(const struct hreq *rq, int p)
{
	static struct gph_probe_facts f;
	struct gph_err e;
	memset(&f, 0, sizeof f);
	memset(&e, 0, sizeof e);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int rc = 0;
	if (rq->new_pidns || rq->masks)
		rc = gph_exec_private_mounts(rq->own_mntns, &e);
	if (rc == 0 && rq->new_pidns)
		rc = gph_inside_refresh_proc(rq->userns, &e);
	if (rc == 0 && rq->masks)
		rc = gph_exec_apply_masks(rq, &e);
	if (rc == 0 && rq->userns && prctl(PR_SET_DUMPABLE, 1) < 0)
		rc = gph_fail(&e, errno, NULL, "prctl(PR_SET_DUMPABLE, 1)");
	if (rc == 0 && (rq->harden || rq->has_user))
		rc = gph_exec_apply_priv(rq, &e);
	if (rc == 0)
		look(&f);
	/* First the status (0, or -1 and the error), then the facts. */
	if (write(p, &rc, sizeof rc) != (ssize_t)sizeof rc ||
	    (rc < 0 ? write(p, &e, sizeof e) != (ssize_t)sizeof e : write(p, &f, sizeof f) != (ssize_t)sizeof f))
		_exit(1);
	_exit(0);
}

static int read_all(int fd, void *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = read(fd, (char *)buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

void gph_holder_score_probe(const struct hreq *rq, struct hrep *rep)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		rep->rc = gph_fail(&rep->err, errno, NULL, "pipe2()");
		return;
	}
	/* The same flags as do_exec in holder.c. */
	unsigned long long flags = rq->new_pidns ? (CLONE_NEWPID | CLONE_NEWNS) : rq->masks ? CLONE_NEWNS : 0;
	pid_t pid = gph_clone_fork(flags);
	if (pid < 0) {
		rep->rc = gph_fail(&rep->err, errno, NULL, "clone3() for the score probe");
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		close(p[0]);
		probe_child(rq, p[1]);
	}
	close(p[1]);
	int rc = -1;
	if (read_all(p[0], &rc, sizeof rc) < 0)
		rep->rc = gph_fail(&rep->err, EPIPE, NULL, "the score probe ended without an answer");
	else if (rc < 0) {
		struct gph_err e;
		rep->rc = read_all(p[0], &e, sizeof e) < 0 ? gph_fail(&rep->err, EPIPE, NULL, "the score probe failed")
							   : gph_fail(&rep->err, e.errnum, e.hint[0] ? e.hint : NULL,
								      "setting up the score probe as exec would: %s", e.msg);
	} else if (read_all(p[0], &rep->probe, sizeof rep->probe) < 0)
		rep->rc = gph_fail(&rep->err, EPIPE, NULL, "the score probe's answer was cut short");
	close(p[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
