/* Helpers shared by the cgroup_*.c files of the engine; not part of the public interface. */
#ifndef GPH_CGROUP_PRIV_H
#define GPH_CGROUP_PRIV_H
#include <stddef.h>
#include "gph/cgroup.h"

/* snprintf into out, failing with ENAMETOOLONG instead of truncating. */
int gph_cgi_path(char *out, size_t size, struct gph_err *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Whole file into a malloc'd NUL-terminated buffer (works for /proc and cgroup files, whose
 * st_size is 0). */
int gph_cgi_slurp(const char *path, char **out, struct gph_err *e);
/* First line of a file, newline removed. */
int gph_cgi_read_line(const char *path, char *buf, size_t len, struct gph_err *e);
/* One write() of val; cgroup files take a value per write. hint is used when it fails. */
int gph_cgi_write(const char *path, const char *val, const char *hint, struct gph_err *e);
/* Pids listed in a cgroup.procs file: count, and the first max of them into pids (may be NULL).
 * A missing file counts as empty (the cgroup is gone). */
int gph_cgi_procs(const char *dir, pid_t *pids, int max, int *count, struct gph_err *e);
/* Mode and hierarchies of the running process, from the real /proc/self files. */
int gph_cgi_load(enum gph_cg_mode *mode, struct gph_cg_hier *h, int *n, struct gph_err *e);
/* Container ids become directory names: [A-Za-z0-9_.-], 1..63 chars, not "." or "..". */
int gph_cgi_valid_id(const char *id, struct gph_err *e);
/* Absolute directory that holds the container dirs in hierarchy h: <mount><own>/gophernetes, or
 * with an override "/x/y" <mount>/x/y, or with a relative override "x" <mount><own>/x. */
int gph_cgi_parent(const struct gph_cg_hier *h, const char *override, char *out, size_t size,
		   struct gph_err *e);
/* v2: the leaf a runtime moves itself into when it is alone in a cgroup that must hand controllers
 * to children (no-internal-process rule); the PID follows. */
#define GPH_CG_RUNTIME_LEAF "gophernetes-runtime."

/* True when the controller list c ("cpu,cpuacct") contains name. */
int gph_cgi_has_ctl(const char *list, const char *name);

#endif
