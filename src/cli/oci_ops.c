/* OCI state, kill, delete, list, ps, pause and resume: they read ROOT/ID/state and act on the
 * container's process and cgroup; delete hands the engine's ledger entry to gph_state_collect. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "oci.h"

static int one_id(int argc, char **argv, const char *usage)
{
	if (argc != 2 || argv[1][0] == '-') {
		oci_errorf("usage: gophernetes %s", usage);
		return -1;
	}
	return 0;
}

int oci_cmd_state(int argc, char **argv)
{
	struct gph_err e;
	struct oci_state st;
	if (one_id(argc, argv, "state ID") < 0)
		return 1;
	if (oci_state_read(argv[1], &st, &e) < 0) {
		oci_error(&e);
		return 1;
	}
	oci_state_json(stdout, &st, true);
	return 0;
}

static int parse_signal(const char *s)
{
	static const struct { const char *n; int s; } t[] = {
		{"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL}, {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},
		{"IOT", SIGIOT}, {"BUS", SIGBUS}, {"FPE", SIGFPE}, {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
		{"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
		{"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
		{"TTOU", SIGTTOU}, {"URG", SIGURG}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
		{"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO}, {"POLL", SIGPOLL}, {"PWR", SIGPWR}, {"SYS", SIGSYS},
	};
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcasecmp(t[i].n, s) == 0)
			return t[i].s;
	if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
		long off = s[5] ? strtol(s + 5, &end, 10) : 0;
		if (s[5] && *end)
			return -1;
		int v = (s[2] == 'M' || s[2] == 'm') && (s[3] == 'I' || s[3] == 'i') ? SIGRTMIN + (int)off : SIGRTMAX + (int)off;
		return v >= SIGRTMIN && v <= SIGRTMAX ? v : -1;
	}
	return -1;
}

/* Every PID in the container's cgroup. */
static int cgroup_pids(const struct oci_state *st, pid_t *out, int max)
{
	char path[4200];
	int n = 0;
	if (!st->cgroup[0])
		return 0;
	snprintf(path, sizeof path, "%s/cgroup.procs", st->cgroup);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	int p;
	while (n < max && fscanf(f, "%d", &p) == 1)
		out[n++] = p;
	fclose(f);
	return n;
}

int oci_cmd_kill(int argc, char **argv)
{
	struct gph_err e;
	struct oci_state st;
	bool all = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--all") == 0 || strcmp(argv[i], "-a") == 0)
			all = true;
		else {
			oci_errorf("kill: unknown option %s (usage: gophernetes kill [--all] ID [SIGNAL])", argv[i]);
			return 1;
		}
	}
	if (i >= argc || argc - i > 2) {
		oci_errorf("usage: gophernetes kill [--all] ID [SIGNAL]");
		return 1;
	}
	int sig = i + 1 < argc ? parse_signal(argv[i + 1]) : SIGTERM;
	if (sig < 0) {
		oci_errorf("kill: unknown signal \"%s\" (a name such as TERM or SIGKILL, or a number)", argv[i + 1]);
		return 1;
	}
	if (oci_state_read(argv[i], &st, &e) < 0) {
		oci_error(&e);
		return 1;
	}
	enum oci_status s = oci_status_of(&st);
	if (s == OCI_STOPPED && !all) {
		oci_errorf("container \"%s\" is not running (stopped)", st.id);
		return 1;
	}
	if (all) {
		pid_t pids[4096];
		int n = cgroup_pids(&st, pids, 4096);
		for (int k = 0; k < n; k++)
			kill(pids[k], sig);
		if (n == 0 && s != OCI_STOPPED && kill(st.pid, sig) < 0 && errno != ESRCH) {
			oci_errorf("kill(%d, %d): %s", (int)st.pid, sig, strerror(errno));
			return 1;
		}
		return 0;
	}
	if (kill(st.pid, sig) < 0) {
		oci_errorf("kill(%d, %d): %s", (int)st.pid, sig, strerror(errno));
		return 1;
	}
	return 0;
}

int oci_cmd_delete(int argc, char **argv)
{
	struct gph_err e;
	struct oci_state st;
	bool force = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0)
			force = true;
		else {
			oci_errorf("delete: unknown option %s (usage: gophernetes delete [--force] ID)", argv[i]);
			return 1;
		}
	}
	if (i != argc - 1) {
		oci_errorf("usage: gophernetes delete [--force] ID");
		return 1;
	}
	if (oci_state_read(argv[i], &st, &e) < 0) {
		if (force && oci_check_id(argv[i], &e) == 0)
			return 0; /* already gone */
		oci_error(&e);
		return 1;
	}
	enum oci_status s = oci_status_of(&st);
	if ((s == OCI_RUNNING || s == OCI_PAUSED) && !force) {
		oci_errorf("container \"%s\" is %s: stop it first, or use delete --force", st.id, oci_status_name(s));
		return 1;
	}
	/* A created process waits at its gate; a running one gets SIGKILL with the rest of the cgroup. */
	if (gph_state_collect(st.engine_id, &e) < 0) {
		oci_error(&e);
		return 1;
	}
	if (s != OCI_STOPPED && oci_status_of(&st) != OCI_STOPPED)
		kill(st.pid, SIGKILL);
	char hf[4200];
	struct oci_config hc;
	snprintf(hf, sizeof hf, "%s/%s/hooks.json", oci_g.root, st.id);
	if (oci_hooks_load(hf, &hc, &e) < 0)
		oci_error(&e); /* the container is gone all the same */
	else {
		oci_run_hooks_warn(&hc, HOOK_POSTSTOP, &st);
		oci_config_free(&hc);
	}
	oci_remove_dir(st.id);
	return 0;
}

int oci_cmd_list(int argc, char **argv)
{
	bool json = false, quiet = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
			quiet = true;
		else if ((strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "-f") == 0) && i + 1 < argc)
			json = strcmp(argv[++i], "json") == 0;
		else if (strcmp(argv[i], "--format=json") == 0)
			json = true;
		else if (strcmp(argv[i], "--format=table") != 0) {
			oci_errorf("usage: gophernetes list [--format table|json] [--quiet]");
			return 1;
		}
	}
	DIR *d = opendir(oci_g.root);
	if (!d && errno != ENOENT) {
		oci_errorf("opendir(\"%s\"): %s", oci_g.root, strerror(errno));
		return 1;
	}
	if (json)
		printf("[");
	else if (!quiet)
		printf("%-24s %-8s %-10s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
	int n = 0;
	for (struct dirent *de; d && (de = readdir(d));) {
		struct oci_state st;
		struct gph_err e;
		if (de->d_name[0] == '.' || oci_state_read(de->d_name, &st, &e) < 0)
			continue;
		enum oci_status s = oci_status_of(&st);
		if (quiet)
			printf("%s\n", st.id);
		else if (json) {
			printf("%s", n ? "," : "");
			oci_state_json(stdout, &st, false);
		} else {
			char when[32] = "?";
			time_t t = (time_t)(st.created / 1000000000LL);
			struct tm tm;
			if (gmtime_r(&t, &tm))
				strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
			printf("%-24s %-8d %-10s %-30s %s\n", st.id, s == OCI_STOPPED ? 0 : (int)st.pid, oci_status_name(s), st.bundle, when);
		}
		n++;
	}
	if (d)
		closedir(d);
	if (json)
		printf("]\n");
	return 0;
}

int oci_cmd_ps(int argc, char **argv)
{
	bool json = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "-f") == 0) && i + 1 < argc)
			json = strcmp(argv[++i], "json") == 0;
		else if (strcmp(argv[i], "--format=json") == 0)
			json = true;
		else {
			oci_errorf("usage: gophernetes ps [--format table|json] ID");
			return 1;
		}
	}
	if (i != argc - 1) {
		oci_errorf("usage: gophernetes ps [--format table|json] ID");
		return 1;
	}
	struct gph_err e;
	struct oci_state st;
	if (oci_state_read(argv[i], &st, &e) < 0) {
		oci_error(&e);
		return 1;
	}
	pid_t pids[4096];
	int n = cgroup_pids(&st, pids, 4096);
	if (json) {
		printf("[");
		for (int k = 0; k < n; k++)
			printf("%s%d", k ? "," : "", (int)pids[k]);
		printf("]\n");
		return 0;
	}
	printf("PID\tCMD\n");
	for (int k = 0; k < n; k++) {
		char path[64], cmd[256] = "";
		snprintf(path, sizeof path, "/proc/%d/comm", (int)pids[k]);
		FILE *f = fopen(path, "re");
		if (f) {
			if (fgets(cmd, sizeof cmd, f))
				cmd[strcspn(cmd, "\n")] = 0;
			fclose(f);
		}
		printf("%d\t%s\n", (int)pids[k], cmd);
	}
	return 0;
}

int oci_cmd_pause(int argc, char **argv, bool pause)
{
	struct gph_err e;
	struct oci_state st;
	if (one_id(argc, argv, pause ? "pause ID" : "resume ID") < 0)
		return 1;
	if (oci_state_read(argv[1], &st, &e) < 0) {
		oci_error(&e);
		return 1;
	}
	enum oci_status s = oci_status_of(&st);
	if (s != (pause ? OCI_RUNNING : OCI_PAUSED)) {
		oci_errorf("container \"%s\" is %s, not %s", st.id, oci_status_name(s), pause ? "running" : "paused");
		return 1;
	}
	if (!st.freezer[0]) {
		oci_errorf("container \"%s\" has no freezer cgroup (v1 freezer or v2 cgroup.freeze)", st.id);
		return 1;
	}
	char path[4200];
	snprintf(path, sizeof path, "%s/cgroup.freeze", st.freezer);
	const char *v = pause ? "1" : "0";
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(path, sizeof path, "%s/freezer.state", st.freezer);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		v = pause ? "FROZEN" : "THAWED";
	}
	if (fd < 0 || write(fd, v, strlen(v)) != (ssize_t)strlen(v)) {
		oci_errorf("write(\"%s\", \"%s\"): %s", path, v, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	return 0;
}
