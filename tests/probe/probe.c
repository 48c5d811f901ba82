/* probe: a static multi-call program copied into a test rootfs as /bin/probe, so the integration
 * tests can ask the kernel questions from inside a container and compare the answers with the
 * host's. Each subcommand prints plain lines on stdout and exits 0, or prints a message on stderr
 * and exits 1. Run `probe` without arguments for the list.
 *
 * It links nothing but libc, statically, because the rootfs has no shared libraries. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024L * 1024L)

static const char *cmd = "probe";

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "probe %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* A whole, non-negative decimal number; -1 when s is anything else. */
static long parse_count(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return -1;
	return v;
}

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* The numeric entries of a directory (PIDs in /proc, fds in /proc/self/fd), sorted; skip is an
 * fd number to leave out (the directory's own), -1 for none. Caller frees *out. */
static int numeric_entries(const char *path, long skip, long **out, size_t *n)
{
	DIR *d = opendir(path);
	if (!d)
		return fail("opendir(\"%s\"): %s", path, strerror(errno));
	if (skip == -2)
		skip = dirfd(d);
	size_t cap = 64, len = 0;
	long *v = malloc(cap * sizeof *v);
	if (!v) {
		closedir(d);
		return fail("malloc: %s", strerror(errno));
	}
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		if (!is_number(de->d_name))
			continue;
		long x = parse_count(de->d_name);
		if (x < 0 || x == skip)
			continue;
		if (len == cap) {
			long *nv = realloc(v, 2 * cap * sizeof *v);
			if (!nv) {
				free(v);
				closedir(d);
				return fail("realloc: %s", strerror(errno));
			}
			v = nv;
			cap *= 2;
		}
		v[len++] = x;
	}
	int err = errno;
	closedir(d);
	if (err) {
		free(v);
		return fail("readdir(\"%s\"): %s", path, strerror(err));
	}
	qsort(v, len, sizeof *v, cmp_long);
	*out = v;
	*n = len;
	return 0;
}

static int print_numeric_entries(const char *path, long skip)
{
	long *v = NULL;
	size_t n = 0;
	if (numeric_entries(path, skip, &v, &n))
		return 1;
	for (size_t i = 0; i < n; i++)
		printf("%s%ld", i ? " " : "", v[i]);
	printf("\n");
	free(v);
	return 0;
}

static int do_pid(void)
{
	printf("%ld\n", (long)getpid());
	return 0;
}

static int do_ppid(void)
{
	printf("%ld\n", (long)getppid());
	return 0;
}

static int do_hostname(void)
{
	struct utsname u;
	if (uname(&u) < 0)
		return fail("uname: %s", strerror(errno));
	printf("%s\n", u.nodename);
	return 0;
}

static int do_pids(void)
{
	return print_numeric_entries("/proc", -1);
}

static int do_fds(void)
{
	/* -2: leave out the fd opendir() itself uses to read the directory */
	return print_numeric_entries("/proc/self/fd", -2);
}

static int do_ns(const char *name)
{
	char path[PATH_MAX], buf[256];
	snprintf(path, sizeof path, "/proc/self/ns/%s", name);
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n < 0)
		return fail("readlink(\"%s\"): %s", path, strerror(errno));
	buf[n] = '\0';
	printf("%s\n", buf);
	return 0;
}

/* Keeps every block reachable so the compiler cannot drop the allocations. */
static void *volatile memhog_last;

static int do_memhog(const char *arg)
{
	long mib = parse_count(arg);
	if (mib < 0)
		return fail("not a number of MiB: %s", arg);
	for (long i = 1; i <= mib; i++) {
		char *p = malloc(MIB);
		if (!p)
			return fail("malloc(1 MiB) number %ld: %s", i, strerror(errno));
		/* Touch every page so the memory is really charged; chain the blocks. */
		memset(p, (int)(i & 0x7f) | 1, MIB);
		*(void **)p = memhog_last;
		memhog_last = p;
		printf("allocated %ld\n", i);
		fflush(stdout);
	}
	return 0;
}

/* State letter of /proc/PID/stat: the field after the command, which may itself hold ") ". */
static int proc_state(const char *pid, char *state)
{
	char path[PATH_MAX], buf[1024];
	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *rp = strrchr(buf, ')');
	if (!rp || rp[1] != ' ' || !rp[2])
		return -1;
	*state = rp[2];
	return 0;
}

static int do_zombies(void)
{
	DIR *d = opendir("/proc");
	if (!d)
		return fail("opendir(\"/proc\"): %s", strerror(errno));
	int zombies = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char st;
		if (!is_number(de->d_name))
			continue;
		if (proc_state(de->d_name, &st) == 0 && st == 'Z')
			zombies++;
		/* a process that vanished between readdir and fopen is simply not counted */
	}
	closedir(d);
	printf("%d\n", zombies);
	return 0;
}

static int do_stat(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		int err = errno;
		printf("%s\n", strerror(err));
		return fail("stat(\"%s\"): %s", path, strerror(err));
	}
	printf("%ju:%ju\n", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print "dev:ino" of "/" and then the names in "/", one a line, sorted. */
static int print_root(void)
{
	struct stat st;
	if (stat("/", &st) < 0)
		return fail("stat(\"/\"): %s", strerror(errno));
	printf("%ju:%ju\n", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	DIR *d = opendir("/");
	if (!d)
		return fail("opendir(\"/\"): %s", strerror(errno));
	char *names[512];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < sizeof names / sizeof names[0]) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			closedir(d);
			return fail("strdup: %s", strerror(errno));
		}
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof names[0], cmp_str);
	for (size_t i = 0; i < n; i++) {
		printf("%s\n", names[i]);
		free(names[i]);
	}
	return 0;
}

/* The classic breakout from a chroot: chroot into a subdirectory while the working directory
 * stays outside it, climb "..", and chroot to where we end up. It works whenever the process may
 * chroot and the real root of its mount namespace is the host's (plain chroot). After pivot_root
 * with the old root detached, the top is the container's own root, and that is what it prints.
 * Exits 0 whether or not it escaped: the test compares the output with the host's root. */
static int do_chroot_escape(void)
{
	char sub[64];
	snprintf(sub, sizeof sub, "probe-escape.%ld", (long)getpid());
	if (chdir("/tmp") < 0 && chdir("/") < 0)
		return fail("chdir(\"/tmp\") and chdir(\"/\"): %s", strerror(errno));
	if (mkdir(sub, 0700) < 0)
		return fail("mkdir(\"%s\"): %s", sub, strerror(errno));
	if (chroot(sub) < 0) {
		int err = errno;
		if (rmdir(sub) < 0)
			fail("rmdir(\"%s\"): %s", sub, strerror(errno));
		return fail("chroot(\"%s\"): %s", sub, strerror(err));
	}
	/* The directory is our root now, but still empty and removable by name from the cwd. */
	if (rmdir(sub) < 0)
		fail("rmdir(\"%s\"): %s (left behind)", sub, strerror(errno));
	for (int i = 0; i < 64; i++)
		if (chdir("..") < 0)
			return fail("chdir(\"..\") number %d: %s", i + 1, strerror(errno));
	if (chroot(".") < 0)
		return fail("chroot(\".\"): %s", strerror(errno));
	return print_root();
}

static int do_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return fail("fopen(\"/proc/self/mountinfo\"): %s", strerror(errno));
	long lines = 0;
	int c;
	while ((c = getc(f)) != EOF)
		if (c == '\n')
			lines++;
	int err = ferror(f);
	fclose(f);
	if (err)
		return fail("reading /proc/self/mountinfo failed");
	printf("%ld\n", lines);
	return 0;
}

static int do_sleep(const char *arg)
{
	char *end;
	errno = 0;
	double s = strtod(arg, &end);
	if (errno || end == arg || *end || s < 0 || s > 1e6)
		return fail("not a number of seconds: %s", arg);
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) < 0) {
		if (errno != EINTR)
			return fail("nanosleep: %s", strerror(errno));
	}
	return 0;
}

/* A child forks n grandchildren that exit at once, then exits itself without waiting for them:
 * they become orphans, reparented to the nearest subreaper or PID 1, which must reap them. */
static int do_fork_orphans(const char *arg)
{
	long n = parse_count(arg);
	if (n < 0 || n > 1000)
		return fail("not a count (0-1000): %s", arg);
	fflush(stdout);
	pid_t mid = fork();
	if (mid < 0)
		return fail("fork: %s", strerror(errno));
	if (mid == 0) {
		for (long i = 0; i < n; i++) {
			pid_t g = fork();
			if (g < 0) {
				fprintf(stderr, "probe fork-orphans: fork: %s\n", strerror(errno));
				_exit(1);
			}
			if (g == 0)
				_exit(0);
		}
		_exit(0);
	}
	int ws;
	while (waitpid(mid, &ws, 0) < 0) {
		if (errno != EINTR)
			return fail("waitpid(%ld): %s", (long)mid, strerror(errno));
	}
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		return fail("the middle child failed (status 0x%x)", ws);
	printf("orphaned %ld\n", n);
	return 0;
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS },   { "FPE", SIGFPE },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CHLD", SIGCHLD },
	{ "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "XCPU", SIGXCPU },
	{ "SYS", SIGSYS },
};

static int do_sig(const char *arg)
{
	const char *name = arg;
	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	int sig = 0;
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
		if (!strcasecmp(name, signals[i].name))
			sig = signals[i].sig;
	if (!sig) {
		long v = parse_count(name);
		if (v <= 0 || v >= NSIG)
			return fail("unknown signal: %s", arg);
		sig = (int)v;
	}
	/* Default action and unblocked, whatever we inherited. */
	if (signal(sig, SIG_DFL) == SIG_ERR && sig != SIGKILL && sig != SIGSTOP)
		return fail("signal(%d, SIG_DFL): %s", sig, strerror(errno));
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	if (sigprocmask(SIG_UNBLOCK, &set, NULL) < 0)
		return fail("sigprocmask: %s", strerror(errno));
	fflush(stdout);
	if (raise(sig) != 0)
		return fail("raise(%s): %s", arg, strerror(errno));
	/* Still here: ignored by default (CHLD, CONT), or we are PID 1 of a PID namespace, which the
	 * kernel protects from signals it has no handler for. */
	return fail("still alive after raise(%s) (pid %ld)", arg, (long)getpid());
}

static int usage(void)
{
	fprintf(stderr,
		"usage: probe COMMAND [ARG]\n"
		"  pid | ppid | hostname       getpid(), getppid(), uname() nodename\n"
		"  pids                        numeric entries of /proc, sorted\n"
		"  ns NAME                     readlink /proc/self/ns/NAME\n"
		"  memhog MIB                  allocate and touch MIB MiB, one at a time\n"
		"  zombies                     number of processes in state Z\n"
		"  stat PATH                   dev:ino of PATH (or the errno text)\n"
		"  chroot-escape               try the classic chroot breakout, print / as found\n"
		"  mounts                      lines of /proc/self/mountinfo\n"
		"  fds                         open file descriptors of this process\n"
		"  sleep SECONDS               sleep\n"
		"  fork-orphans N              leave N orphaned grandchildren that exit at once\n"
		"  sig SIGNAME                 raise the signal on itself\n");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	cmd = argv[1];
	const char *arg = argc > 2 ? argv[2] : NULL;
	static const struct {
		const char *name;
		int nargs;
	} table[] = {
		{ "pid", 0 },    { "ppid", 0 },   { "hostname", 0 }, { "pids", 0 },
		{ "ns", 1 },     { "memhog", 1 }, { "zombies", 0 },  { "stat", 1 },
		{ "chroot-escape", 0 }, { "mounts", 0 }, { "fds", 0 }, { "sleep", 1 },
		{ "fork-orphans", 1 },  { "sig", 1 },
	};
	int nargs = -1;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (!strcmp(cmd, table[i].name))
			nargs = table[i].nargs;
	if (nargs < 0) {
		fprintf(stderr, "probe: unknown command: %s\n", cmd);
		return usage();
	}
	if (argc - 2 != nargs) {
		fail("expects %d argument%s, got %d", nargs, nargs == 1 ? "" : "s", argc - 2);
		return usage();
	}

	int rc;
	if (!strcmp(cmd, "pid"))
		rc = do_pid();
	else if (!strcmp(cmd, "ppid"))
		rc = do_ppid();
	else if (!strcmp(cmd, "hostname"))
		rc = do_hostname();
	else if (!strcmp(cmd, "pids"))
		rc = do_pids();
	else if (!strcmp(cmd, "ns"))
		rc = do_ns(arg);
	else if (!strcmp(cmd, "memhog"))
		rc = do_memhog(arg);
	else if (!strcmp(cmd, "zombies"))
		rc = do_zombies();
	else if (!strcmp(cmd, "stat"))
		rc = do_stat(arg);
	else if (!strcmp(cmd, "chroot-escape"))
		rc = do_chroot_escape();
	else if (!strcmp(cmd, "mounts"))
		rc = do_mounts();
	else if (!strcmp(cmd, "fds"))
		rc = do_fds();
	else if (!strcmp(cmd, "sleep"))
		rc = do_sleep(arg);
	else if (!strcmp(cmd, "fork-orphans"))
		rc = do_fork_orphans(arg);
	else
		rc = do_sig(arg);

	if (fflush(stdout) != 0 || ferror(stdout))
		return fail("writing to stdout: %s", strerror(errno));
	return rc;
}
