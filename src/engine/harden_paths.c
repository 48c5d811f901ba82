/* Masked and read-only paths of /proc and /sys: one policy table (B13), Docker's list (plus
 * /proc/asound and /proc/interrupts, which newer Docker masks too).
 *
 * Safety first, because these are mounts: the call refuses to run in the host's mount namespace
 * (named by the runtime, and PID 1's), makes /proc and /sys private before mounting on them so no
 * mask propagates to a peer, opens each target with O_PATH|O_NOFOLLOW, checks it is on procfs or
 * sysfs, and mounts through /proc/self/fd/N, so a symlink cannot redirect a mount elsewhere.
 * Applying twice adds nothing: a path already masked or read-only is left alone.
 *
 * Cost, measured in the exec child on this machine: about 0.4 ms (13 mounts here). */
#define _GNU_SOURCE
#include "gph/harden.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/magic.h>

static const struct gph_path_rule table[] = {
	{GPH_PATH_PROC, "acpi", GPH_PATH_MASK, "the host's ACPI tables and events"},
	{GPH_PATH_PROC, "asound", GPH_PATH_MASK, "the host's sound cards"},
	{GPH_PATH_PROC, "interrupts", GPH_PATH_MASK, "the host's interrupt counters, a side channel"},
	{GPH_PATH_PROC, "kcore", GPH_PATH_MASK, "the host kernel's memory as a core file"},
	{GPH_PATH_PROC, "keys", GPH_PATH_MASK, "keys of every keyring the host has (not namespaced)"},
	{GPH_PATH_PROC, "latency_stats", GPH_PATH_MASK, "where the host's processes wait, in the kernel"},
	{GPH_PATH_PROC, "timer_list", GPH_PATH_MASK, "the host's timers, with the PIDs and names that set them"},
	{GPH_PATH_PROC, "timer_stats", GPH_PATH_MASK, "the host's timer statistics"},
	{GPH_PATH_PROC, "sched_debug", GPH_PATH_MASK, "every host process, as the scheduler sees it"},
	{GPH_PATH_PROC, "scsi", GPH_PATH_MASK, "the host's SCSI devices (and a write interface to them)"},
	{GPH_PATH_SYS, "firmware", GPH_PATH_MASK, "the host's firmware tables and variables (EFI, ACPI, DMI)"},
	{GPH_PATH_SYS, "devices/virtual/powercap", GPH_PATH_MASK, "energy counters: a side channel (PLATYPUS)"},
	{GPH_PATH_PROC, "bus", GPH_PATH_READONLY, "the host's PCI and USB devices"},
	{GPH_PATH_PROC, "fs", GPH_PATH_READONLY, "host-wide filesystem settings"},
	{GPH_PATH_PROC, "irq", GPH_PATH_READONLY, "interrupt routing of the host's CPUs"},
	{GPH_PATH_PROC, "sys", GPH_PATH_READONLY, "kernel settings (sysctl), most of them host-wide"},
	{GPH_PATH_PROC, "sysrq-trigger", GPH_PATH_READONLY, "magic SysRq: reboot, crash or freeze the host"},
};

const struct gph_path_rule *gph_paths_rules(size_t *n)
{
	*n = sizeof table / sizeof table[0];
	return table;
}

static void trace_add(char *trace, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void trace_add(char *trace, size_t len, const char *fmt, ...)
{
	if (!trace || !len)
		return;
	size_t off = strnlen(trace, len);
	if (off + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(trace + off, len - off, fmt, ap);
	va_end(ap);
}

/* The MS_* flags a remount must keep (the kernel refuses to clear locked ones in a user namespace). */
static unsigned long mount_flags_of(const struct statvfs *sv)
{
	static const struct {
		unsigned long st, ms;
	} map[] = {
		{ST_NOSUID, MS_NOSUID},   {ST_NODEV, MS_NODEV},           {ST_NOEXEC, MS_NOEXEC},
		{ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME},
	};
	unsigned long f = 0;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (sv->f_flag & map[i].st)
			f |= map[i].ms;
	return f;
}

struct where {
	const char *proc;       /* for /proc/self/fd/N; NULL: mount by path */
	const char *bases[2];   /* GPH_PATH_PROC, GPH_PATH_SYS (NULL: skipped) */
	const char *null_path;
	int src_fd;             /* O_PATH on what masked files get: the null device or our empty file */
	const char *src_name;   /* for messages and the trace */
	char helper[PATH_MAX];  /* where the empty file's tmpfs is stacked, until the end */
};

static void fd_path(const struct where *w, int fd, const char *path, char *out, size_t len)
{
	if (w->proc)
		snprintf(out, len, "%s/self/fd/%d", w->proc, fd);
	else
		snprintf(out, len, "%s", path);
}

/* Without a null device (a shell sandbox with `mount proc` but no `mount dev`), masked files get an
 * empty file of a small tmpfs of ours instead, made read-only for good (the superblock, so every
 * bind of it refuses writes). The tmpfs is stacked for a moment on a directory masked in the first
 * pass and detached at the end; the binds keep it alive. */
static int make_empty_file(struct where *w, struct gph_err *e)
{
	static const char opts[] = "mode=555,size=4k,nr_inodes=4";
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	char dir[PATH_MAX], file[PATH_MAX + 8];
	size_t n;
	const struct gph_path_rule *r = gph_paths_rules(&n);
	dir[0] = '\0';
	for (size_t i = 0; i < n && !dir[0]; i++) {
		struct statfs sf;
		if (r[i].kind != GPH_PATH_MASK || !w->bases[r[i].base])
			continue;
		snprintf(dir, sizeof dir, "%s/%s", w->bases[r[i].base], r[i].rel);
		if (statfs(dir, &sf) < 0 || sf.f_type != TMPFS_MAGIC)
			dir[0] = '\0';
	}
	if (!dir[0])
		return gph_fail(e, ENOENT, "mount /dev first (`mount dev`): masked files get /dev/null",
				"masking /proc files: no null device at %s, and no masked directory to build an empty file on",
				w->null_path);
	if (mount("tmpfs", dir, "tmpfs", fl, opts) < 0)
		return gph_fail(e, errno, NULL, "mount(\"tmpfs\", \"%s\", \"tmpfs\")", dir);
	snprintf(w->helper, sizeof w->helper, "%s", dir);
	snprintf(file, sizeof file, "%s/empty", dir);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return gph_fail(e, errno, NULL, "open(\"%s\", O_CREAT)", file);
	close(fd);
	if (mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY | fl, opts) < 0)
		return gph_fail(e, errno, NULL, "mount(NULL, \"%s\", NULL, MS_REMOUNT|MS_RDONLY)", dir);
	if ((w->src_fd = open(file, O_PATH | O_CLOEXEC)) < 0)
		return gph_fail(e, errno, NULL, "open(\"%s\", O_PATH)", file);
	w->src_name = "empty read-only file";
	return 0;
}

static int mask_source(struct where *w, struct gph_err *e)
{
	struct stat st;
	if (w->src_fd >= 0)
		return 0;
	int fd = open(w->null_path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
		w->src_fd = fd;
		w->src_name = w->null_path;
		return 0;
	}
	if (fd < 0 && errno != ENOENT)
		return gph_fail(e, errno, NULL, "open(\"%s\", O_PATH|O_NOFOLLOW)", w->null_path);
	if (fd >= 0)
		close(fd);
	return make_empty_file(w, e);
}

/* A mask already there: an empty tmpfs over a directory; the null device or an empty file of a
 * tmpfs over a file. */
static int masked_before(const struct stat *st, long fstype)
{
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3))
		return 1; /* the null device lives wherever /dev is */
	return fstype == TMPFS_MAGIC && (S_ISDIR(st->st_mode) || (S_ISREG(st->st_mode) && st->st_size == 0));
}

static int mask(struct where *w, int fd, const struct stat *st, const char *path, char *trace, size_t tracelen,
		struct gph_err *e)
{
	char target[PATH_MAX], src[PATH_MAX];
	fd_path(w, fd, path, target, sizeof target);
	if (S_ISDIR(st->st_mode)) {
		if (mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=555") < 0)
			return gph_fail(e, errno, NULL, "mount(\"tmpfs\", \"%s\", \"tmpfs\", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC)",
					path);
		trace_add(trace, tracelen, "masked %s (empty read-only tmpfs)\n", path);
		return 0;
	}
	if (mask_source(w, e) < 0)
		return -1;
	fd_path(w, w->src_fd, w->null_path, src, sizeof src);
	if (mount(src, target, NULL, MS_BIND, NULL) < 0)
		return gph_fail(e, errno, NULL, "mount(\"%s\", \"%s\", NULL, MS_BIND)", w->src_name, path);
	trace_add(trace, tracelen, "masked %s (%s)\n", path, w->src_name);
	return 0;
}

static int read_only(struct where *w, int fd, const char *path, char *trace, size_t tracelen, struct gph_err *e)
{
	char target[PATH_MAX];
	struct statvfs sv;
	if (fstatvfs(fd, &sv) < 0)
		return gph_fail(e, errno, NULL, "fstatvfs(\"%s\")", path);
	if (sv.f_flag & ST_RDONLY) {
		trace_add(trace, tracelen, "read-only %s (already)\n", path);
		return 0;
	}
	fd_path(w, fd, path, target, sizeof target);
	if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		return gph_fail(e, errno, NULL, "mount(\"%s\", \"%s\", NULL, MS_BIND|MS_REC)", path, path);
	/* The new mount covers fd's dentry; reach it by path (its parent is procfs: no symlinks). */
	unsigned long keep = mount_flags_of(&sv);
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0) {
		int err = errno;
		umount2(path, MNT_DETACH);
		return gph_fail(e, err, NULL, "mount(NULL, \"%s\", NULL, MS_BIND|MS_REMOUNT|MS_RDONLY)", path);
	}
	trace_add(trace, tracelen, "read-only %s\n", path);
	return 0;
}

/* One table entry as found: opened once (O_PATH, no symlink followed), then acted on. */
struct found {
	int fd;                 /* -1: absent */
	struct stat st;
	long fstype;
	char path[512];
};

static int look(const struct where *w, const struct gph_path_rule *r, struct found *f, char *trace, size_t tracelen,
		struct gph_err *e)
{
	struct statfs sf;
	if (snprintf(f->path, sizeof f->path, "%s/%s", w->bases[r->base], r->rel) >= (int)sizeof f->path)
		return gph_fail(e, ENAMETOOLONG, NULL, "%s/%s", w->bases[r->base], r->rel);
	f->fd = open(f->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (f->fd < 0) {
		if (errno != ENOENT)
			return gph_fail(e, errno, NULL, "open(\"%s\", O_PATH|O_NOFOLLOW)", f->path);
		trace_add(trace, tracelen, "absent %s (not in this kernel)\n", f->path);
		return 0;
	}
	if (fstat(f->fd, &f->st) < 0 || fstatfs(f->fd, &sf) < 0)
		return gph_fail(e, errno, NULL, "fstat(\"%s\")", f->path);
	f->fstype = (long)sf.f_type;
	/* What the table names lives on procfs or sysfs, or is one of our masks; anything else (a
	 * symlink, a file of the root filesystem) means something is wrong: refuse to mount on it. */
	long want = r->base == GPH_PATH_PROC ? PROC_SUPER_MAGIC : SYSFS_MAGIC;
	int before = r->kind == GPH_PATH_MASK && masked_before(&f->st, f->fstype);
	if (S_ISLNK(f->st.st_mode) || (f->fstype != want && !before))
		return gph_fail(e, EINVAL, NULL, "%s is not on %s", f->path, r->base == GPH_PATH_PROC ? "procfs" : "sysfs");
	return 0;
}

/* Pass 0: directories (masks) and read-only paths; pass 1: masked files, which may need a masked
 * directory to build their empty file on. */
static int act(struct where *w, const struct gph_path_rule *r, struct found *f, int pass, char *trace,
	       size_t tracelen, struct gph_err *e)
{
	if (f->fd < 0 || (r->kind == GPH_PATH_READONLY || S_ISDIR(f->st.st_mode)) != (pass == 0))
		return 0;
	if (r->kind == GPH_PATH_MASK && masked_before(&f->st, f->fstype)) {
		trace_add(trace, tracelen, "masked %s (already)\n", f->path);
		return 0;
	}
	if (r->kind == GPH_PATH_MASK)
		return mask(w, f->fd, &f->st, f->path, trace, tracelen, e);
	return read_only(w, f->fd, f->path, trace, tracelen, e);
}

uint64_t gph_mntns_id(void)
{
	struct stat st;
	return stat("/proc/self/ns/mnt", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* Masks belong to a container's own mount namespace. Refuse (1) the host's, as the runtime names it;
 * (2) the mount namespace PID 1 lives in, unless we are PID 1 of a new PID namespace — seen from a
 * container, PID 1's is the host's (or the outer container's); some hosts refuse to show PID 1's
 * namespace even to root, hence (1). */
static int not_host(const char *proc, uint64_t host_mntns, struct gph_err *e)
{
	static const char hint[] = "masks belong in the container's own mount namespace: `ns mnt` first";
	char a[PATH_MAX], la[64];
	struct stat st;
	ssize_t na;
	snprintf(a, sizeof a, "%s/self/ns/mnt", proc);
	if (stat(a, &st) < 0 || (na = readlink(a, la, sizeof la - 1)) < 0)
		return gph_fail(e, errno, NULL, "stat(\"%s\")", a);
	if (host_mntns && (uint64_t)st.st_ino == host_mntns)
		return gph_fail(e, EPERM, hint, "refusing to mask /proc and /sys in the host's mount namespace");
	if (getpid() != 1) {
		/* readlink, not stat: "mnt:[4026531832]" names the namespace without following it. */
		char b[PATH_MAX], lb[64];
		ssize_t nb;
		snprintf(b, sizeof b, "%s/1/ns/mnt", proc);
		if ((nb = readlink(b, lb, sizeof lb - 1)) < 0 && !host_mntns)
			return gph_fail(e, errno, hint, "readlink(\"%s\"): cannot tell this mount namespace from PID 1's", b);
		if (nb == na && !memcmp(la, lb, (size_t)na))
			return gph_fail(e, EPERM, hint, "refusing to mask /proc and /sys in the mount namespace of PID 1");
	}
	return 0;
}

int gph_paths_apply(const struct gph_paths_where *where, char *trace, size_t tracelen, struct gph_err *e)
{
	struct where w = {.proc = where->proc, .bases = {where->proc, where->sys},
			  .null_path = where->dev_null ? where->dev_null : "/dev/null", .src_fd = -1};
	int rc = 0;
	if (trace && tracelen)
		trace[0] = '\0';
	if (!w.bases[0] && !w.bases[1])
		return 0;
	/* The bases themselves first: a wrong path would otherwise look like a kernel without any of
	 * the table's entries, and nothing would be masked. */
	for (int i = 0; i < 2; i++) {
		struct statfs sf;
		long want = i == 0 ? PROC_SUPER_MAGIC : SYSFS_MAGIC;
		if (!w.bases[i])
			continue;
		if (statfs(w.bases[i], &sf) < 0)
			return gph_fail(e, errno, NULL, "statfs(\"%s\")", w.bases[i]);
		if (sf.f_type != want)
			return gph_fail(e, EINVAL, i == 0 ? "mount proc there first" : "mount sys there first",
					"%s is not on %s", w.bases[i], i == 0 ? "procfs" : "sysfs");
	}
	/* The namespace checks read procfs: the one given, else the usual one. */
	if (not_host(w.proc ? w.proc : "/proc", where->host_mntns, e) < 0)
		return -1;
	/* New mounts below a shared mount appear in its peers, which may be the host's: make the bases
	 * private first (a no-op in a container set up right; a mountinfo check would cost more). */
	for (int i = 0; i < 2; i++)
		if (w.bases[i] && mount(NULL, w.bases[i], NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			return gph_fail(e, errno, errno == EINVAL ? "give the mount point of procfs and sysfs" : NULL,
					"mount(NULL, \"%s\", NULL, MS_REC|MS_PRIVATE)", w.bases[i]);
	enum { N = sizeof table / sizeof table[0] };
	struct found found[N];
	for (size_t i = 0; i < N; i++)
		found[i].fd = -1;
	for (size_t i = 0; i < N && rc == 0; i++)
		if (w.bases[table[i].base])
			rc = look(&w, &table[i], &found[i], trace, tracelen, e);
	for (int pass = 0; pass < 2 && rc == 0; pass++)
		for (size_t i = 0; i < N && rc == 0; i++)
			rc = act(&w, &table[i], &found[i], pass, trace, tracelen, e);
	for (size_t i = 0; i < N; i++)
		if (found[i].fd >= 0)
			close(found[i].fd);
	if (w.src_fd >= 0)
		close(w.src_fd);
	/* The helper tmpfs goes; the masks bound from it keep its (read-only) empty file. */
	if (w.helper[0] && umount2(w.helper, MNT_DETACH) < 0 && rc == 0)
		rc = gph_fail(e, errno, NULL, "umount2(\"%s\", MNT_DETACH)", w.helper);
	return rc;
}
