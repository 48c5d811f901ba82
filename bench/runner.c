/* bench-runner: run commands interleaved (round r runs each command once, starting at command
 * r mod n so no command always goes first), time each run from fork to reap, and print per command
 * the median, min, max and 90th percentile in milliseconds plus the median peak RSS in KiB (ru_maxrss
 * of the reaped child, which includes its reaped descendants: what GNU time's %M reports).
 *
 *   bench-runner [-r ROUNDS] [-w WARMUP] [-o RAW.tsv] NAME CMD [ARGS...] [::: NAME CMD ...]
 *
 * A command that exits non-zero stops the benchmark (timing a failure would mean nothing); its
 * stderr is shown.
 *
 * "NAME @memcg DIR BYTES CMD..." gives a command that has no cgroup support of its own (bwrap, bare
 * unshare) a memory cgroup, timed as part of the run: mkdir DIR/gophernetes-bench-<name>-<pid>, write the limit
 * (v1 memory.limit_in_bytes and memsw, or v2 memory.max), the child moves itself in (v1: "0" into
 * tasks, as gophernetes does; v2: cgroup.procs) and execs, then the directory is removed. Output lines: "NAME<TAB>runs<TAB>median<TAB>min<TAB>max<TAB>p90<TAB>rss_kib". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 32

struct cmd {
	const char *name;
	char **argv;
	const char *memcg_dir, *memcg_bytes; /* @memcg, or NULL */
	double *ms;
	long *rss;
};

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_l(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

static int write_file(const char *dir, const char *file, const char *val)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, val, strlen(val));
	int err = errno;
	close(fd);
	errno = err;
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* The @memcg cgroup: made and limited before the fork, so its cost is inside the timed run. */
static int memcg_make(const struct cmd *c, char *dir, size_t len)
{
	/* the parent may come and go (gophernetes removes an empty one of its own) */
	if (mkdir(c->memcg_dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "bench-runner: mkdir %s: %s\n", c->memcg_dir, strerror(errno));
		return -1;
	}
	snprintf(dir, len, "%s/gophernetes-bench-%s-%d", c->memcg_dir, c->name, (int)getpid());
	if (mkdir(dir, 0755) < 0) {
		fprintf(stderr, "bench-runner: mkdir %s: %s\n", dir, strerror(errno));
		return -1;
	}
	char probe[4096];
	snprintf(probe, sizeof probe, "%s/memory.limit_in_bytes", dir);
	int v1 = access(probe, F_OK) == 0;
	if (v1 ? write_file(dir, "memory.limit_in_bytes", c->memcg_bytes) < 0 ||
			 (write_file(dir, "memory.memsw.limit_in_bytes", c->memcg_bytes) < 0 && errno != ENOENT)
	       : write_file(dir, "memory.max", c->memcg_bytes) < 0) {
		fprintf(stderr, "bench-runner: setting the memory limit in %s: %s\n", dir, strerror(errno));
		rmdir(dir);
		return -1;
	}
	return 0;
}

static void memcg_remove(const char *dir)
{
	/* The last task may still be leaving the cgroup for a moment after it was reaped. */
	for (int i = 0; i < 200 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(500);
	if (access(dir, F_OK) == 0)
		fprintf(stderr, "bench-runner: warning: could not remove %s: %s\n", dir, strerror(errno));
}

/* One run; returns 0 and fills ms/rss, or -1 after printing why. */
static int run_once(const struct cmd *c, double *ms, long *rss)
{
	char cgdir[4096] = "";
	char errfile[] = "/tmp/bench-runner-err.XXXXXX";
	int efd = mkstemp(errfile);
	if (efd < 0) {
		perror("bench-runner: mkstemp");
		return -1;
	}
	unlink(errfile);
	double t0 = now_ms();
	if (c->memcg_dir && memcg_make(c, cgdir, sizeof cgdir) < 0) {
		close(efd);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench-runner: fork");
		close(efd);
		if (cgdir[0])
			memcg_remove(cgdir);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(efd, 2) < 0)
			_exit(126);
		if (cgdir[0]) {
			char probe[4096];
			snprintf(probe, sizeof probe, "%s/tasks", cgdir);
			if (write_file(cgdir, access(probe, F_OK) == 0 ? "tasks" : "cgroup.procs", "0") < 0) {
				dprintf(2, "moving into %s: %s\n", cgdir, strerror(errno));
				_exit(125);
			}
		}
		execvp(c->argv[0], c->argv);
		dprintf(2, "execvp %s: %s\n", c->argv[0], strerror(errno));
		_exit(127);
	}
	int ws;
	struct rusage ru;
	while (wait4(pid, &ws, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("bench-runner: wait4");
			close(efd);
			return -1;
		}
	}
	if (cgdir[0])
		memcg_remove(cgdir);
	*ms = now_ms() - t0;
	*rss = ru.ru_maxrss;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		char buf[2048];
		ssize_t n = pread(efd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "bench-runner: %s failed (%s %d); its stderr:\n%s\n", c->name,
			WIFEXITED(ws) ? "exit status" : "signal", WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws), buf);
		close(efd);
		return -1;
	}
	close(efd);
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = 20, warmup = 2, opt;
	const char *raw = NULL;
	while ((opt = getopt(argc, argv, "+r:w:o:")) != -1) {
		switch (opt) {
		case 'r': rounds = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'o': raw = optarg; break;
		default:
			fprintf(stderr, "usage: bench-runner [-r ROUNDS] [-w WARMUP] [-o RAW.tsv] NAME CMD [ARGS...] [::: NAME CMD ...]\n");
			return 2;
		}
	}
	if (rounds < 1 || warmup < 0) {
		fprintf(stderr, "bench-runner: -r must be at least 1 and -w at least 0\n");
		return 2;
	}
	struct cmd cmds[MAX_CMDS];
	int n = 0;
	for (int i = optind; i < argc;) {
		if (n == MAX_CMDS) {
			fprintf(stderr, "bench-runner: at most %d commands\n", MAX_CMDS);
			return 2;
		}
		if (i + 1 >= argc || strcmp(argv[i + 1], ":::") == 0) {
			fprintf(stderr, "bench-runner: %s: NAME needs a command after it\n", argv[i]);
			return 2;
		}
		cmds[n].name = argv[i];
		cmds[n].argv = &argv[i + 1];
		cmds[n].memcg_dir = cmds[n].memcg_bytes = NULL;
		if (strcmp(argv[i + 1], "@memcg") == 0) {
			if (i + 4 >= argc) {
				fprintf(stderr, "bench-runner: %s: @memcg DIR BYTES CMD...\n", argv[i]);
				return 2;
			}
			cmds[n].memcg_dir = argv[i + 2];
			cmds[n].memcg_bytes = argv[i + 3];
			cmds[n].argv = &argv[i + 4];
		}
		int j = i + 1;
		while (j < argc && strcmp(argv[j], ":::") != 0)
			j++;
		if (j < argc)
			argv[j] = NULL; /* ends this command's argv */
		cmds[n].ms = calloc((size_t)rounds, sizeof(double));
		cmds[n].rss = calloc((size_t)rounds, sizeof(long));
		if (!cmds[n].ms || !cmds[n].rss) {
			perror("bench-runner: calloc");
			return 1;
		}
		n++;
		i = j + 1;
	}
	if (n == 0) {
		fprintf(stderr, "bench-runner: no commands\n");
		return 2;
	}
	FILE *rf = NULL;
	if (raw && !(rf = fopen(raw, "w"))) {
		fprintf(stderr, "bench-runner: %s: %s\n", raw, strerror(errno));
		return 1;
	}
	for (int r = -warmup; r < rounds; r++) {
		for (int k = 0; k < n; k++) {
			int c = ((r < 0 ? -r : r) + k) % n;
			double ms;
			long rss;
			if (run_once(&cmds[c], &ms, &rss) < 0)
				return 1;
			if (r >= 0) {
				cmds[c].ms[r] = ms;
				cmds[c].rss[r] = rss;
				if (rf)
					fprintf(rf, "%s\t%d\t%.3f\t%ld\n", cmds[c].name, r, ms, rss);
			}
		}
	}
	if (rf && fclose(rf) != 0) {
		fprintf(stderr, "bench-runner: writing %s: %s\n", raw, strerror(errno));
		return 1;
	}
	for (int c = 0; c < n; c++) {
		qsort(cmds[c].ms, (size_t)rounds, sizeof(double), cmp_d);
		qsort(cmds[c].rss, (size_t)rounds, sizeof(long), cmp_l);
		double med = rounds % 2 ? cmds[c].ms[rounds / 2] : (cmds[c].ms[rounds / 2 - 1] + cmds[c].ms[rounds / 2]) / 2;
		int p90 = (int)(0.9 * (rounds - 1) + 0.5);
		printf("%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%ld\n", cmds[c].name, rounds, med, cmds[c].ms[0],
		       cmds[c].ms[rounds - 1], cmds[c].ms[p90], cmds[c].rss[rounds / 2]);
	}
	return 0;
}
