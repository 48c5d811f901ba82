/* The learner's progress through the lessons: a small text file,
 * "$XDG_STATE_HOME/gophernetes/progress" (by default ~/.local/state/gophernetes/progress), one line
 *     NAME STEPS TOTAL SKIPPED finished|started
 * per lesson. It is rewritten whole into a temporary file that is renamed over the old one, so a
 * crash or a full disk leaves the previous version, never half a file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tutor.h"

#define PROGRESS_MAX_LESSONS 1000

int progress_path(char *buf, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;
	if (state && state[0] == '/')
		n = snprintf(buf, len, "%s/gophernetes/progress", state);
	else if (home && home[0] == '/')
		n = snprintf(buf, len, "%s/.local/state/gophernetes/progress", home);
	else
		return -1;
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void progress_free(struct progress *p)
{
	free(p->e);
	p->e = NULL;
	p->n = 0;
}

const struct progress_entry *progress_get(const struct progress *p, const char *name)
{
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->e[i].name, name))
			return &p->e[i];
	return NULL;
}

static int add_entry(struct progress *p, const struct progress_entry *pe, struct gph_err *e)
{
	if (p->n >= PROGRESS_MAX_LESSONS)
		return gph_fail(e, E2BIG, "remove the progress file to start afresh",
				"more than %d lessons in the progress file", PROGRESS_MAX_LESSONS);
	struct progress_entry *grown = realloc(p->e, (size_t)(p->n + 1) * sizeof *grown);
	if (!grown)
		return gph_fail(e, ENOMEM, NULL, "reading the progress");
	p->e = grown;
	p->e[p->n++] = *pe;
	return 0;
}

int progress_load(const char *path, struct progress *p, struct gph_err *e)
{
	char line[640];
	p->e = NULL;
	p->n = 0;
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0; /* nothing done yet */
		return gph_fail(e, errno, "check the file's permissions", "fopen(\"%s\")", path);
	}
	while (fgets(line, sizeof line, f)) {
		struct progress_entry pe = {0};
		char state[16];
		if (line[0] == '#' || line[0] == '\n')
			continue;
		/* A line that does not parse (edited by hand, another version) is left out. */
		if (sscanf(line, "%255s %d %d %d %15s", pe.name, &pe.steps, &pe.total, &pe.skipped,
			   state) != 5 || pe.steps < 0 || pe.total < 0 || pe.skipped < 0)
			continue;
		pe.finished = !strcmp(state, "finished");
		if (progress_get(p, pe.name))
			continue;
		if (add_entry(p, &pe, e) < 0) {
			fclose(f);
			progress_free(p);
			return -1;
		}
	}
	int err = ferror(f) ? errno : 0;
	fclose(f);
	if (err) {
		progress_free(p);
		return gph_fail(e, err, NULL, "reading \"%s\"", path);
	}
	return 0;
}

/* mkdir -p of the directory holding path. */
static int make_parents(const char *path, struct gph_err *e)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return gph_fail(e, errno, "set XDG_STATE_HOME to a writable directory",
					"mkdir(\"%s\")", dir);
		*p = c;
		if (c == '\0')
			return 0;
	}
}

static int write_all(const char *path, const struct progress *p, struct gph_err *e)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
		return gph_fail(e, ENAMETOOLONG, NULL, "progress file \"%s\"", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return gph_fail(e, errno, "set XDG_STATE_HOME to a writable directory", "mkostemp(\"%s\")",
				tmp);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int err = errno;
		close(fd);
		unlink(tmp);
		return gph_fail(e, err, NULL, "fdopen(\"%s\")", tmp);
	}
	fprintf(f, "# gophernetes lesson progress: name steps-done total skipped finished|started\n");
	for (int i = 0; i < p->n; i++)
		fprintf(f, "%s %d %d %d %s\n", p->e[i].name, p->e[i].steps, p->e[i].total,
			p->e[i].skipped, p->e[i].finished ? "finished" : "started");
	int err = 0;
	if (fflush(f) != 0 || fsync(fd) < 0)
		err = errno;
	if (fclose(f) != 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err) {
		unlink(tmp);
		return gph_fail(e, err, "is the disk full?", "writing the progress to \"%s\"", path);
	}
	return 0;
}

int progress_record(const char *path, const struct progress_entry *entry, struct gph_err *e)
{
	struct progress p;
	if (make_parents(path, e) < 0 || progress_load(path, &p, e) < 0)
		return -1;
	struct progress_entry *old = (struct progress_entry *)progress_get(&p, entry->name);
	int rc = 0;
	if (old) {
		bool finished = old->finished;
		*old = *entry;
		old->finished = finished || entry->finished;
	} else {
		rc = add_entry(&p, entry, e);
	}
	if (rc == 0)
		rc = write_all(path, &p, e);
	progress_free(&p);
	return rc;
}

void progress_describe(const struct progress_entry *pe, char *buf, size_t len)
{
	if (!pe)
		snprintf(buf, len, "not started");
	else if (pe->finished && pe->skipped)
		snprintf(buf, len, "done (%d skipped)", pe->skipped);
	else if (pe->finished)
		snprintf(buf, len, "done");
	else
		snprintf(buf, len, "%d of %d steps", pe->steps, pe->total);
}
