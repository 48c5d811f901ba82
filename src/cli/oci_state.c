/* OCI container state: ROOT/ID/state (key=value lines, rewritten whole) and the status the kernel
 * says: created while the process waits at its gate FIFO, running, paused when its cgroup is frozen,
 * stopped once the process is gone. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "oci.h"

unsigned long long gph_proc_starttime(pid_t pid); /* engine/state.c */

const char *oci_status_name(enum oci_status s)
{
	static const char *const n[] = {"creating", "created", "running", "paused", "stopped"};
	return n[s];
}

int oci_check_id(const char *id, struct gph_err *e)
{
	size_t n = strlen(id);
	if (n == 0 || n > 200 || strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") != n ||
	    id[0] == '.')
		return gph_fail(e, 0, "letters, digits and _ + - . (not first), up to 200 characters",
				"invalid container id \"%s\"", id);
	return 0;
}

void oci_dir(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", oci_g.root, id);
}

void oci_remove_dir(const char *id)
{
	char dir[4096], p[4200];
	oci_dir(id, dir, sizeof dir);
	static const char *const files[] = {"gate", "state", "state.tmp", "hooks.json", "warnings", NULL};
	for (const char *const *f = files; *f; f++) {
		snprintf(p, sizeof p, "%s/%s", dir, *f);
		unlink(p);
	}
	rmdir(dir);
}

static void put_str(FILE *f, const char *k, const char *v)
{
	fprintf(f, "%s=", k);
	for (; *v; v++) /* one line each: newlines would end the value */
		fputc(*v == '\n' ? ' ' : *v, f);
	fputc('\n', f);
}

int oci_state_write(const struct oci_state *s, struct gph_err *e)
{
	char dir[4096], path[4200], tmp[4200];
	oci_dir(s->id, dir, sizeof dir);
	snprintf(path, sizeof path, "%s/state", dir);
	snprintf(tmp, sizeof tmp, "%s/state.tmp", dir);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return gph_fail(e, errno, NULL, "open(\"%s\")", tmp);
	put_str(f, "id", s->id);
	put_str(f, "bundle", s->bundle);
	put_str(f, "engine_id", s->engine_id);
	fprintf(f, "pid=%d\nstart_time=%llu\ncreated=%lld\n", (int)s->pid, s->start_time, s->created);
	put_str(f, "cgroup", s->cgroup);
	put_str(f, "freezer", s->freezer);
	put_str(f, "cgroup_parent", s->cgroup_parent);
	put_str(f, "seccomp", s->seccomp);
	put_str(f, "annotations", s->annotations);
	put_str(f, "hooks", s->hooks_file);
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

int oci_state_read(const char *id, struct oci_state *s, struct gph_err *e)
{
	char path[4200], line[12288];
	memset(s, 0, sizeof *s);
	if (oci_check_id(id, e) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/%s/state", oci_g.root, id);
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return gph_fail(e, 0, "`gophernetes --root DIR list` shows the containers under DIR",
					"container \"%s\" does not exist (in %s)", id, oci_g.root);
		return gph_fail(e, errno, NULL, "open(\"%s\")", path);
	}
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		char *v = strchr(line, '=');
		if (!v)
			continue;
		*v++ = 0;
#define S(k, key) else if (strcmp(line, key) == 0) snprintf(s->k, sizeof s->k, "%s", v)
		if (strcmp(line, "pid") == 0)
			s->pid = (pid_t)strtol(v, NULL, 10);
		else if (strcmp(line, "start_time") == 0)
			s->start_time = strtoull(v, NULL, 10);
		else if (strcmp(line, "created") == 0)
			s->created = strtoll(v, NULL, 10);
		S(freezer, "freezer"); S(cgroup_parent, "cgroup_parent"); S(seccomp, "seccomp"); S(id, "id"); S(bundle, "bundle"); S(engine_id, "engine_id"); S(cgroup, "cgroup");
		S(annotations, "annotations"); S(hooks_file, "hooks");
#undef S
	}
	fclose(f);
	if (strcmp(s->id, id) != 0)
		return gph_fail(e, 0, NULL, "%s does not describe container %s", path, id);
	return 0;
}

/* The freezer says paused: cgroup v2's cgroup.freeze or v1's freezer.state. */
static bool frozen(const struct oci_state *s)
{
	char path[4200], buf[32] = "";
	if (!s->freezer[0])
		return false;
	snprintf(path, sizeof path, "%s/cgroup.freeze", s->freezer);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(path, sizeof path, "%s/freezer.state", s->freezer);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	return n > 0 && (buf[0] == '1' || strncmp(buf, "FROZEN", 6) == 0 || strncmp(buf, "FREEZING", 8) == 0);
}

enum oci_status oci_status_of(const struct oci_state *s)
{
	if (s->pid <= 0)
		return OCI_CREATING;
	if (!s->start_time || gph_proc_starttime(s->pid) != s->start_time)
		return OCI_STOPPED;
	/* A zombie has not been reaped by its parent (conmon, the shim) yet: it is stopped. */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)s->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[512];
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			char *p = strrchr(buf, ')');
			if (p && (p[2] == 'Z' || p[2] == 'X'))
				return OCI_STOPPED;
		}
	}
	char gate[4200];
	snprintf(gate, sizeof gate, "%s/%s/gate", oci_g.root, s->id);
	if (access(gate, F_OK) == 0)
		return OCI_CREATED;
	return frozen(s) ? OCI_PAUSED : OCI_RUNNING;
}

void oci_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void oci_state_json(FILE *f, const struct oci_state *s, bool nl)
{
	enum oci_status st = oci_status_of(s);
	fprintf(f, "{\"ociVersion\":\"%s\",\"id\":", OCI_VERSION);
	oci_json_str(f, s->id);
	fprintf(f, ",\"status\":\"%s\"", oci_status_name(st));
	if (st == OCI_CREATED || st == OCI_RUNNING || st == OCI_PAUSED)
		fprintf(f, ",\"pid\":%d", (int)s->pid);
	fprintf(f, ",\"bundle\":");
	oci_json_str(f, s->bundle);
	fprintf(f, ",\"annotations\":%s}%s", s->annotations[0] ? s->annotations : "{}", nl ? "\n" : "");
}
