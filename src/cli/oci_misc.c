/* OCI spec and features, hooks, and the console socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "oci.h"

/* The default config: busybox's sh in ./rootfs with the namespaces, mounts, capabilities and
 * limits `gophernetes run` uses by default. */
static const char default_spec[] =
	"{\n"
	"  \"ociVersion\": \"" OCI_VERSION "\",\n"
	"  \"process\": {\n"
	"    \"terminal\": false,\n"
	"    \"user\": {\"uid\": 0, \"gid\": 0},\n"
	"    \"args\": [\"sh\"],\n"
	"    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"HOME=/root\", \"TERM=xterm\"],\n"
	"    \"cwd\": \"/\",\n"
	"    \"capabilities\": {\n"
	"      \"bounding\": [\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FOWNER\", \"CAP_FSETID\", \"CAP_KILL\", \"CAP_SETGID\", \"CAP_SETUID\", \"CAP_SETPCAP\", \"CAP_NET_BIND_SERVICE\", \"CAP_NET_RAW\", \"CAP_SYS_CHROOT\", \"CAP_AUDIT_WRITE\", \"CAP_SETFCAP\"],\n"
	"      \"effective\": [\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FOWNER\", \"CAP_FSETID\", \"CAP_KILL\", \"CAP_SETGID\", \"CAP_SETUID\", \"CAP_SETPCAP\", \"CAP_NET_BIND_SERVICE\", \"CAP_NET_RAW\", \"CAP_SYS_CHROOT\", \"CAP_AUDIT_WRITE\", \"CAP_SETFCAP\"],\n"
	"      \"permitted\": [\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FOWNER\", \"CAP_FSETID\", \"CAP_KILL\", \"CAP_SETGID\", \"CAP_SETUID\", \"CAP_SETPCAP\", \"CAP_NET_BIND_SERVICE\", \"CAP_NET_RAW\", \"CAP_SYS_CHROOT\", \"CAP_AUDIT_WRITE\", \"CAP_SETFCAP\"]\n"
	"    },\n"
	"    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],\n"
	"    \"noNewPrivileges\": true\n"
	"  },\n"
	"  \"root\": {\"path\": \"rootfs\", \"readonly\": false},\n"
	"  \"hostname\": \"gophernetes\",\n"
	"  \"mounts\": [\n"
	"    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
	"    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
	"    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\", \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", \"gid=5\"]},\n"
	"    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\", \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},\n"
	"    {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\", \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]}\n"
	"  ],\n"
	"  \"linux\": {\n"
	"    \"resources\": {\"memory\": {\"limit\": 67108864}, \"pids\": {\"limit\": 256}},\n"
	"    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],\n"
	"    \"maskedPaths\": [\"/proc/kcore\", \"/proc/keys\", \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\", \"/proc/latency_stats\", \"/proc/acpi\", \"/proc/scsi\", \"/proc/asound\", \"/proc/interrupts\", \"/sys/firmware\", \"/sys/devices/virtual/powercap\"],\n"
	"    \"readonlyPaths\": [\"/proc/sys\", \"/proc/sysrq-trigger\", \"/proc/irq\", \"/proc/bus\", \"/proc/fs\"]\n"
	"  }\n"
	"}\n";

int oci_cmd_spec(int argc, char **argv)
{
	const char *bundle = ".";
	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "--bundle") == 0 || strcmp(argv[i], "-b") == 0) && i + 1 < argc)
			bundle = argv[++i];
		else if (strcmp(argv[i], "--rootless") == 0) {
			oci_errorf("spec --rootless: the OCI face runs as root only");
			return 1;
		} else {
			oci_errorf("usage: gophernetes spec [--bundle DIR]");
			return 1;
		}
	}
	char path[4200];
	snprintf(path, sizeof path, "%s/config.json", bundle);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		oci_errorf("open(\"%s\"): %s%s", path, strerror(errno), errno == EEXIST ? " (remove it first: spec never overwrites)" : "");
		return 1;
	}
	size_t len = strlen(default_spec);
	if (write(fd, default_spec, len) != (ssize_t)len) {
		oci_errorf("write(\"%s\"): %s", path, strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

int oci_cmd_features(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		oci_errorf("usage: gophernetes features");
		return 1;
	}
	fputs("{\n"
	      "  \"ociVersionMin\": \"1.0.0\",\n"
	      "  \"ociVersionMax\": \"" OCI_VERSION "\",\n"
	      "  \"hooks\": [\"prestart\", \"createRuntime\", \"poststart\", \"poststop\"],\n"
	      "  \"mountOptions\": [\"bind\", \"rbind\", \"ro\", \"rw\", \"nosuid\", \"nodev\", \"noexec\", \"private\", \"rprivate\"],\n"
	      "  \"linux\": {\n"
	      "    \"namespaces\": [\"pid\", \"network\", \"ipc\", \"uts\", \"mount\", \"user\", \"cgroup\"],\n"
	      "    \"capabilities\": [\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_DAC_READ_SEARCH\", \"CAP_FOWNER\", \"CAP_FSETID\", \"CAP_KILL\", \"CAP_SETGID\", \"CAP_SETUID\", \"CAP_SETPCAP\", \"CAP_LINUX_IMMUTABLE\", \"CAP_NET_BIND_SERVICE\", \"CAP_NET_BROADCAST\", \"CAP_NET_ADMIN\", \"CAP_NET_RAW\", \"CAP_IPC_LOCK\", \"CAP_IPC_OWNER\", \"CAP_SYS_MODULE\", \"CAP_SYS_RAWIO\", \"CAP_SYS_CHROOT\", \"CAP_SYS_PTRACE\", \"CAP_SYS_PACCT\", \"CAP_SYS_ADMIN\", \"CAP_SYS_BOOT\", \"CAP_SYS_NICE\", \"CAP_SYS_RESOURCE\", \"CAP_SYS_TIME\", \"CAP_SYS_TTY_CONFIG\", \"CAP_MKNOD\", \"CAP_LEASE\", \"CAP_AUDIT_WRITE\", \"CAP_AUDIT_CONTROL\", \"CAP_SETFCAP\", \"CAP_MAC_OVERRIDE\", \"CAP_MAC_ADMIN\", \"CAP_SYSLOG\", \"CAP_WAKE_ALARM\", \"CAP_BLOCK_SUSPEND\", \"CAP_AUDIT_READ\", \"CAP_PERFMON\", \"CAP_BPF\", \"CAP_CHECKPOINT_RESTORE\"],\n"
	      "    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, \"systemdUser\": false},\n"
	      "    \"seccomp\": {\"enabled\": true},\n"
	      "    \"apparmor\": {\"enabled\": false},\n"
	      "    \"selinux\": {\"enabled\": false}\n"
	      "  },\n"
	      "  \"annotations\": {\n"
	      "    \"org.gophernetes.seccomp\": \"the runtime's own default filter is applied when linux.seccomp is present\",\n"
	      "    \"org.gophernetes.maskedPaths\": \"the runtime's own list is applied when maskedPaths or readonlyPaths are present\"\n"
	      "  }\n"
	      "}\n",
	      stdout);
	return 0;
}

int oci_run_hook(const struct oci_hook *h, const struct oci_state *s, const char *kind, struct gph_err *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return gph_fail(e, errno, NULL, "hooks.%s: pipe2()", kind);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return gph_fail(e, errno, NULL, "hooks.%s: fork()", kind);
	}
	if (pid == 0) {
		dup2(p[0], 0);
		char *noargs[] = {h->path, NULL}, *noenv[] = {NULL};
		execve(h->path, h->args ? h->args : noargs, h->env ? h->env : noenv);
		dprintf(2, "gophernetes: hooks.%s: execve(\"%s\"): %s\n", kind, h->path, strerror(errno));
		_exit(127);
	}
	close(p[0]);
	FILE *f = fdopen(p[1], "w");
	if (f) {
		signal(SIGPIPE, SIG_IGN);
		oci_state_json(f, s, false);
		fclose(f);
	} else {
		close(p[1]);
	}
	int ws = 0;
	for (int waited = 0;; waited += 10) {
		pid_t w = waitpid(pid, &ws, WNOHANG);
		if (w == pid)
			break;
		if (h->timeout > 0 && waited >= h->timeout * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &ws, 0);
			return gph_fail(e, ETIMEDOUT, NULL, "hooks.%s: %s did not finish within %d s", kind, h->path, h->timeout);
		}
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		return gph_fail(e, 0, NULL, "hooks.%s: %s failed (%s %d)", kind, h->path,
				WIFEXITED(ws) ? "exit status" : "signal", WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws));
	return 0;
}

void oci_run_hooks_warn(const struct oci_config *c, int k, const struct oci_state *s)
{
	for (int i = 0; i < c->n_hooks[k]; i++) {
		struct gph_err e;
		gph_err_clear(&e);
		if (oci_run_hook(&c->hooks[k][i], s, oci_hook_kinds[k], &e) < 0)
			oci_warn("%s%s%s", e.msg, e.errnum ? ": " : "", e.errnum ? strerror(e.errnum) : "");
	}
}

int oci_send_console(const char *path, int fd, struct gph_err *e)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof a.sun_path)
		return gph_fail(e, ENAMETOOLONG, NULL, "--console-socket \"%s\"", path);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return gph_fail(e, errno, NULL, "socket(AF_UNIX)");
	if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
		int err = errno;
		close(s);
		return gph_fail(e, err, NULL, "--console-socket: connect(\"%s\")", path);
	}
	char name[] = "/dev/ptmx";
	struct iovec iov = {.iov_base = name, .iov_len = sizeof name - 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	ssize_t n;
	do
		n = sendmsg(s, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	int err = errno;
	close(s);
	if (n < 0)
		return gph_fail(e, err, NULL, "--console-socket: sendmsg(SCM_RIGHTS) to \"%s\"", path);
	return 0;
}
