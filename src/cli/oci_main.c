/* The OCI command line: global options, the subcommands, and the rule that tells it from the
 * gophernetes commands of the same name (`run`, `ps`). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "oci.h"

struct oci_global oci_g = {.root = OCI_ROOT_DEFAULT};

static const char *const oci_only[] = {"create", "start", "state", "kill", "delete", "spec", "features",
				       "list", "exec", "pause", "resume", NULL};
static const char *const globals_with_arg[] = {"--root", "--log", "--log-format", "--criu", "--rootless", NULL};
static const char *const globals_flag[] = {"--systemd-cgroup", "--debug", NULL};

static bool in(const char *const *list, const char *w)
{
	for (; *list; list++)
		if (strcmp(*list, w) == 0)
			return true;
	return false;
}

/* "--root=X" -> "--root" */
static bool global_opt(const char *w, bool *takes_arg)
{
	char name[32];
	snprintf(name, sizeof name, "%.*s", (int)strcspn(w, "="), w);
	*takes_arg = in(globals_with_arg, name) && !strchr(w, '=');
	return in(globals_with_arg, name) || in(globals_flag, name);
}

bool gph_is_oci(int argc, char **argv)
{
	if (argc < 2)
		return false;
	bool arg;
	if (global_opt(argv[1], &arg))
		return true;
	if (in(oci_only, argv[1]))
		return true;
	if (strcmp(argv[1], "run") == 0) {
		/* OCI's run is told by its options: the existing run has none of these. */
		static const char *const oci_run[] = {"--bundle", "-b", "--detach", "-d", "--pid-file", "--console-socket",
						      "--no-pivot", "--no-new-keyring", "--preserve-fds", "--keep", NULL};
		for (int i = 2; i < argc && argv[i][0] == '-'; i++) {
			char name[32];
			snprintf(name, sizeof name, "%.*s", (int)strcspn(argv[i], "="), argv[i]);
			if (in(oci_run, name))
				return true;
			if (strcmp(argv[i], "--") == 0)
				break;
		}
		return false;
	}
	if (strcmp(argv[1], "ps") == 0)
		return argc > 2; /* `gophernetes ps` lists the engine's containers; with an ID it is OCI's ps */
	return false;
}

static void log_line(const char *level, const char *msg)
{
	if (!oci_g.log)
		return;
	FILE *f = fopen(oci_g.log, "ae");
	if (!f)
		return; /* the message still went to stderr */
	if (oci_g.log_json) {
		char when[64];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(f, "{\"level\":\"%s\",\"msg\":", level);
		oci_json_str(f, msg);
		fprintf(f, ",\"time\":\"%s\"}\n", when);
	} else {
		fprintf(f, "gophernetes: %s: %s\n", level, msg);
	}
	fclose(f);
}

void oci_error(const struct gph_err *e)
{
	char msg[2048];
	snprintf(msg, sizeof msg, "%s%s%s%s%s", e->msg, e->errnum ? ": " : "", e->errnum ? strerror(e->errnum) : "",
		 e->hint[0] ? " (hint: " : "", e->hint[0] ? e->hint : "");
	if (e->hint[0])
		strncat(msg, ")", sizeof msg - strlen(msg) - 1);
	log_line("error", msg);
	gph_err_print(e, stderr, "gophernetes");
}

void oci_errorf(const char *fmt, ...)
{
	struct gph_err e;
	gph_err_clear(&e);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof e.msg, fmt, ap);
	va_end(ap);
	oci_error(&e);
}

void oci_warn(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_line("warning", msg);
	if (oci_g.log)
		return;
	/* The process inherits create's stderr: a warning there would land in the container's output. */
	if (isatty(STDERR_FILENO) || !oci_g.warn_file[0]) {
		fprintf(stderr, "gophernetes: warning: %s\n", msg);
		return;
	}
	FILE *f = fopen(oci_g.warn_file, "ae");
	if (f) {
		fprintf(f, "warning: %s\n", msg);
		fclose(f);
	}
}

static void usage(FILE *f)
{
	fputs("usage: gophernetes [GLOBAL OPTIONS] COMMAND [OPTIONS] ID   (the OCI runtime command line)\n"
	      "Global options (before the command):\n"
	      "  --root DIR            container state (default " OCI_ROOT_DEFAULT ")\n"
	      "  --log FILE            append errors and warnings to FILE too\n"
	      "  --log-format text|json  the format of --log (default text)\n"
	      "  --systemd-cgroup      refused: gophernetes manages cgroups itself, not through systemd\n"
	      "Commands:\n"
	      "  create --bundle DIR [--pid-file F] [--console-socket SOCK] ID   set up; the process waits for start\n"
	      "  start ID              let the created process run\n"
	      "  run --bundle DIR [--detach] [--pid-file F] [--console-socket SOCK] ID   create + start\n"
	      "                        (`run` is this OCI form when it has --bundle/-b, --detach/-d, --pid-file,\n"
	      "                        --console-socket, --no-pivot or --no-new-keyring among its options, or\n"
	      "                        when global options come first; otherwise it is `gophernetes run CMD`)\n"
	      "  state ID              the spec's state JSON\n"
	      "  kill [--all] ID [SIGNAL]   a signal by name (TERM, SIGTERM) or number (default TERM)\n"
	      "  delete [--force] ID   remove a stopped container (--force: kill it first)\n"
	      "  exec --process FILE.json [--detach] [--tty] [--pid-file F] [--console-socket S] ID\n"
	      "  ps [--format table|json] ID   the container's processes (`gophernetes ps` alone: the engine's list)\n"
	      "  pause ID, resume ID   freeze and thaw the container's cgroup\n"
	      "  list [--format table|json] [--quiet]\n"
	      "  spec [--bundle DIR]   write a default config.json\n"
	      "  features              what this runtime supports, as JSON\n",
	      f);
}

int gph_cmd_oci(int argc, char **argv)
{
	int i = 0;
	while (i < argc && argv[i][0] == '-') {
		bool takes;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
			printf("gophernetes (OCI runtime face)\nspec: %s\n", OCI_VERSION);
			return 0;
		}
		if (!global_opt(argv[i], &takes)) {
			oci_errorf("unknown global option %s (`gophernetes --help` lists them)", argv[i]);
			return 1;
		}
		const char *name = argv[i], *val = NULL;
		char nbuf[32];
		if (strchr(name, '=')) {
			snprintf(nbuf, sizeof nbuf, "%.*s", (int)strcspn(name, "="), name);
			val = strchr(name, '=') + 1;
			name = nbuf;
		} else if (takes) {
			if (i + 1 >= argc) {
				oci_errorf("%s needs a value", name);
				return 1;
			}
			val = argv[++i];
		}
		i++;
		if (strcmp(name, "--root") == 0)
			oci_g.root = val;
		else if (strcmp(name, "--log") == 0)
			oci_g.log = val;
		else if (strcmp(name, "--log-format") == 0) {
			if (strcmp(val, "json") && strcmp(val, "text")) {
				oci_errorf("--log-format: \"%s\" is neither text nor json", val);
				return 1;
			}
			oci_g.log_json = strcmp(val, "json") == 0;
		} else if (strcmp(name, "--systemd-cgroup") == 0) {
			oci_errorf("--systemd-cgroup: gophernetes creates cgroups itself and does not ask systemd for them; "
				   "configure the engine for cgroupfs (podman: --cgroup-manager=cgroupfs; containerd: SystemdCgroup = false)");
			return 1;
		} else if (strcmp(name, "--criu") == 0 || strcmp(name, "--rootless") == 0) {
			if (strcmp(name, "--rootless") == 0 && strcmp(val, "false") != 0 && strcmp(val, "auto") != 0) {
				oci_errorf("--rootless %s: the OCI face runs as root only", val);
				return 1;
			}
		} /* --debug: accepted; errors are always detailed */
	}
	if (i >= argc) {
		usage(stderr);
		return 1;
	}
	if (strlen(oci_g.root) >= 3000 || oci_g.root[0] != '/') {
		oci_errorf("--root \"%s\": an absolute directory is needed", oci_g.root);
		return 1;
	}
	const char *cmd = argv[i];
	argc -= i;
	argv += i;
	if (strcmp(cmd, "create") == 0)
		return oci_cmd_create(argc, argv, false);
	if (strcmp(cmd, "run") == 0)
		return oci_cmd_create(argc, argv, true);
	if (strcmp(cmd, "start") == 0)
		return oci_cmd_start(argc, argv);
	if (strcmp(cmd, "state") == 0)
		return oci_cmd_state(argc, argv);
	if (strcmp(cmd, "kill") == 0)
		return oci_cmd_kill(argc, argv);
	if (strcmp(cmd, "delete") == 0)
		return oci_cmd_delete(argc, argv);
	if (strcmp(cmd, "list") == 0)
		return oci_cmd_list(argc, argv);
	if (strcmp(cmd, "ps") == 0)
		return oci_cmd_ps(argc, argv);
	if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0)
		return oci_cmd_pause(argc, argv, cmd[0] == 'p');
	if (strcmp(cmd, "exec") == 0)
		return oci_cmd_exec(argc, argv);
	if (strcmp(cmd, "spec") == 0)
		return oci_cmd_spec(argc, argv);
	if (strcmp(cmd, "features") == 0)
		return oci_cmd_features(argc, argv);
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	oci_errorf("unknown OCI command \"%s\" (`gophernetes --help` lists them)", cmd);
	return 1;
}
