/* `gophernetes run`: options -> the same steps the shell applies one by one -> exec -> status. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"
#include "gph/trace.h"
#include "gph/bridge.h"
#include "gph/image.h"
#include "gph/parse.h"
#include "gph/sandbox.h"
#include "gph/step.h"

#define EXIT_RUNTIME 125

static void usage(FILE *f)
{
	fputs("usage: gophernetes run [OPTIONS] [--] CMD [ARGS...]\n"
	      "Run CMD in new namespaces, in its own cgroup, with ./rootfs (or --rootfs) as its root.\n"
	      "  --rootfs DIR         root filesystem (default ./rootfs)\n"
	      "  --image REF          an image of the store as the root (overlayfs; `gophernetes images`); its\n"
	      "                       Entrypoint, Cmd (CMD replaces it), Env, WorkingDir and User apply\n"
	      "  --root DIR           the image store (default " GPH_STORE_DEFAULT ")\n"
	      "  --pull POLICY        missing: pull the image when the store lacks it (default); always; never\n"
	      "  --insecure           pulls may use plain HTTP (a local registry)\n"
	      "  --platform OS/ARCH   the image to pull from a multi-platform index (default: this machine's)\n"
	      "  --creds USER:PASS, --creds-file FILE   credentials for the registry, if a pull is needed\n"
	      "  --hostname NAME      hostname inside (default: the container id)\n"
	      "  --name NAME          a name for `gophernetes ps`\n"
	      "  --memory SIZE        memory limit, e.g. 64M (b, k, m, g; KiB, MiB, GiB)\n"
	      "  --memory-swap SIZE   memory plus swap in total (-1: unlimited swap; default: no swap)\n"
	      "  --cpus N             CPU time, e.g. 0.5 or 2 (quota per 100 ms period)\n"
	      "  --cpu-weight W       relative CPU weight 1-10000 (default 100; v1: cpu.shares)\n"
	      "  --cpuset-cpus LIST   run on these CPUs only, e.g. 0-1\n"
	      "  --pids-limit N       at most N tasks (threads count; so does the sandbox process)\n"
	      "  --io-weight W        relative IO weight 1-10000 (BFQ scheduler or iocost only)\n"
	      "  --device-read-bps DEV:RATE, --device-write-bps DEV:RATE   throttle a block device\n"
	      "  --net MODE           none: a new network namespace with only lo (default)\n"
	      "                       veth: a pair to this network namespace (10.200.N.1/30 <-> .2)\n"
	      "                       bridge: a port of bridge gph0 (10.88.0.0/16) with NAT, as docker's default\n"
	      "                       host: this network namespace, shared (no isolation)\n"
	      "  --bridge NAME        the bridge for --net bridge (default gph0)\n"
	      "  --subnet CIDR        the bridge's subnet when it is created (default 10.88.0.0/16)\n"
	      "  --ip ADDR            this address on the bridge (default: the next free one)\n"
	      "  -p, --publish HOST:CTR[/tcp|udp]  forward the host's port HOST to CTR inside\n"
	      "  --ns LIST            namespaces, comma separated (default pid,uts,mnt,ipc,net,cgroup)\n"
	      "  --userns             a user namespace too: root inside is not root outside (automatic when\n"
	      "                       not run as root: rootless mode, cgroup limits only in a delegated v2\n"
	      "                       cgroup, --net none or host)\n"
	      "  --uidmap C:H:N[,...], --gidmap C:H:N[,...]   its id maps (default: root's /etc/subuid range,\n"
	      "                       else container root = your own id)\n"
	      "  -u, --user USER[:GROUP]  run CMD as this user: numbers, or names from the container's\n"
	      "                       /etc/passwd and /etc/group (GROUP: UID's number, or the name's group)\n"
	      "  -w, --workdir DIR    start CMD in DIR, a directory inside the root (default /)\n"
	      "  --read-only          the root file system is mounted read-only (not with --chroot)\n"
	      "  --chroot             chroot instead of pivot_root (escapable: for teaching)\n"
	      "  --init               a tiny PID 1 that reaps zombies and forwards signals to CMD\n"
	      "  -t, --tty            a pseudo-terminal of the container's own (default when stdin is one)\n"
	      "      --no-tty         no pseudo-terminal even when stdin is a terminal\n"
	      "  --stop-timeout SECS  after forwarding SIGTERM/SIGINT, SIGKILL after SECS (default 10)\n"
	      "  --cgroup-parent PATH create the cgroup under PATH instead of <own cgroup>/gophernetes\n"
	      "  --privileged         all capabilities, no masked paths, no seccomp, no no_new_privs\n"
	      "  --cap-add CAP, --cap-drop CAP|ALL   change the default capability set (capabilities(7))\n"
	      "  --no-new-privileges=false   let setuid binaries and file capabilities raise privileges\n"
	      "  --seccomp=unconfined no system-call filter (default: the default profile)\n"
	      "  -v                   print each step as it is applied\n"
	      "  --trace              -v, plus every operation each step performs, as it performs it: system\n"
	      "                       calls with their arguments and results, netlink requests, nftables rules\n"
	      "  -q                   print nothing but errors\n"
	      "Exit status: CMD's; 128+S if it died of signal S; 125 runtime error; 126 not executable;\n"
	      "127 not found.\n"
	      "With --bundle/-b, --detach/-d, --pid-file, --console-socket, --no-pivot or --no-new-keyring among\n"
	      "its options (or a global option such as --root before `run`), `run` is the OCI runtime's\n"
	      "`run --bundle DIR ID` instead (`gophernetes --help`).\n",
	      f);
}

#define MAX_DEV_RATES 8
struct run_opts {
	const char *rootfs, *hostname, *name, *net, *ns, *cgroup_parent, *memory;
	const char *memory_swap, *cpus, *cpu_weight, *cpuset, *pids, *io_weight;
	struct {
		char dev[256], rate[32];
		bool write;
	} rates[MAX_DEV_RATES];
	int n_rates;
	const char *bridge, *subnet, *ip;
	const char *ports[16];
	int n_ports;
	bool chroot, init, verbose, quiet, trace;
	bool privileged, no_nnp, no_seccomp;
	const char *cap_add[16], *cap_drop[16];
	int n_add, n_drop;
	bool userns, read_only;
	const char *uidmap, *gidmap, *user, *workdir;
	int tty; /* -1 auto, 0 no, 1 yes */
	int stop_timeout;
	const char *image, *store_root, *platform;
	enum gph_pull_policy pull;
	bool insecure;
	const char *creds;
	const struct gph_image_run *img; /* the image's config, when --image */
};

/* The step list `run` builds: the same command words a learner types in the shell. */
#define MAX_STEPS 64
struct plan {
	struct gph_step steps[MAX_STEPS];
	int n;
};

/* Add the step the words make; a refusal names the option the user typed (opt), not the step. */
static int add_opt(struct plan *p, struct gph_err *e, const char *opt, int argc, ...)
{
	char *argv[8];
	va_list ap;
	va_start(ap, argc);
	for (int i = 0; i < argc && i < 7; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	if (p->n >= MAX_STEPS)
		return gph_fail(e, E2BIG, NULL, "too many steps");
	if (gph_step_parse(argc, argv, &p->steps[p->n], e) < 0) {
		if (opt) {
			/* "cgroup pids: bad value" -> "--pids-limit: bad value" */
			const char *colon = strstr(e->msg, ": ");
			char tail[sizeof e->msg], hint[sizeof e->hint];
			snprintf(tail, sizeof tail, "%s", colon && strncmp(e->msg, argv[0], strlen(argv[0])) == 0 ? colon + 2 : e->msg);
			snprintf(hint, sizeof hint, "%s", e->hint);
			gph_fail(e, e->errnum, hint, "%s", tail);
			gph_err_wrap(e, "%s: ", opt);
		}
		return -1;
	}
	p->n++;
	return 0;
}
#define add(p, e, ...) add_opt(p, e, NULL, __VA_ARGS__)

static int build_plan(const struct run_opts *o, struct plan *p, int *ns_flags, struct gph_err *e)
{
	char *words[16] = {"ns"}, nsbuf[128];
	int nw = 1;
	/* Not root: rootless mode, which needs the user namespace first (it owns all the others). */
	if (o->userns || o->uidmap || o->gidmap || geteuid() != 0) {
		words[nw++] = "user";
		if (o->uidmap) {
			words[nw++] = "uidmap";
			words[nw++] = (char *)o->uidmap;
		}
		if (o->gidmap) {
			words[nw++] = "gidmap";
			words[nw++] = (char *)o->gidmap;
		}
	}
	bool host_net = o->net && strcmp(o->net, "host") == 0;
	snprintf(nsbuf, sizeof nsbuf, "%s", o->ns ? o->ns : host_net ? "pid,uts,mnt,ipc,cgroup" : "pid,uts,mnt,ipc,net,cgroup");
	*ns_flags = 0;
	for (char *save = NULL, *t = strtok_r(nsbuf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int f = gph_ns_flag(t);
		if (!f)
			return gph_fail(e, 0, "--ns takes a comma-separated list of pid,uts,mnt,ipc,net,cgroup",
					"--ns: unknown namespace \"%s\"", t);
		if (f == CLONE_NEWUSER)
			continue; /* --userns says it; placed first above */
		if (nw >= 15)
			return gph_fail(e, 0, NULL, "--ns: too many names");
		*ns_flags |= f;
		words[nw++] = t;
	}
	p->n = 0;
	if (nw > 1) {
		if (gph_step_parse(nw, words, &p->steps[p->n], e) < 0)
			return -1;
		p->n++;
	}
	if (o->memory && add_opt(p, e, "--memory", 3, "cgroup", "mem", o->memory) < 0)
		return -1;
	if (o->memory_swap && add_opt(p, e, "--memory-swap", 3, "cgroup", "swap", o->memory_swap) < 0)
		return -1;
	if (o->cpus && add_opt(p, e, "--cpus", 3, "cgroup", "cpu", o->cpus) < 0)
		return -1;
	if (o->cpu_weight && add_opt(p, e, "--cpu-weight", 3, "cgroup", "cpuweight", o->cpu_weight) < 0)
		return -1;
	if (o->cpuset && add_opt(p, e, "--cpuset-cpus", 3, "cgroup", "cpuset", o->cpuset) < 0)
		return -1;
	if (o->pids && add_opt(p, e, "--pids-limit", 3, "cgroup", "pids", o->pids) < 0)
		return -1;
	if (o->io_weight && add_opt(p, e, "--io-weight", 4, "cgroup", "io", "weight", o->io_weight) < 0)
		return -1;
	for (int i = 0; i < o->n_rates; i++)
		if (add_opt(p, e, o->rates[i].write ? "--device-write-bps" : "--device-read-bps", 5, "cgroup", "io",
			    o->rates[i].write ? "wbps" : "rbps", o->rates[i].dev, o->rates[i].rate) < 0)
			return -1;
	const char *net = o->net ? o->net : "none";
	bool bridge = strcmp(net, "bridge") == 0;
	if ((o->bridge || o->subnet || o->ip || o->n_ports) && !bridge)
		return gph_fail(e, 0, "add --net bridge", "--bridge, --subnet, --ip and -p work with --net bridge");
	if (strcmp(net, "veth") == 0 || bridge) {
		if (!(*ns_flags & CLONE_NEWNET))
			return gph_fail(e, 0, "add net to --ns", "--net %s needs the net namespace", net);
	}
	if (strcmp(net, "veth") == 0) {
		if (add(p, e, 2, "net", "veth") < 0)
			return -1;
	} else if (bridge) {
		char *w[8] = {"net", "bridge"};
		int n = 2;
		if (o->bridge)
			w[n++] = (char *)o->bridge;
		if (o->subnet) {
			w[n++] = "subnet";
			w[n++] = (char *)o->subnet;
		}
		if (o->ip) {
			w[n++] = "ip";
			w[n++] = (char *)o->ip;
		}
		w[n] = NULL;
		if (p->n >= MAX_STEPS - 2 - o->n_ports)
			return gph_fail(e, E2BIG, NULL, "too many steps");
		if (gph_step_parse(n, w, &p->steps[p->n], e) < 0)
			return -1;
		p->n++;
		if (add(p, e, 2, "net", "nat") < 0)
			return -1;
		for (int i = 0; i < o->n_ports; i++)
			if (add_opt(p, e, "-p", 3, "net", "port", o->ports[i]) < 0)
				return -1;
	} else if (strcmp(net, "host") == 0) {
		if (*ns_flags & CLONE_NEWNET)
			return gph_fail(e, 0, "leave net out of --ns (the default list then has no net)",
					"--net host shares this network namespace, but --ns asks for a new one");
	} else if (strcmp(net, "none") != 0) {
		return gph_fail(e, 0, "use --net none, veth, bridge or host", "--net: unknown mode \"%s\"", net);
	}
	if (o->hostname) {
		if (!(*ns_flags & CLONE_NEWUTS))
			return gph_fail(e, 0, "add uts to --ns", "--hostname needs the uts namespace");
		if (add(p, e, 2, "hostname", o->hostname) < 0)
			return -1;
	}
	const char *rootfs = o->rootfs ? o->rootfs : "./rootfs";
	bool mnt = *ns_flags & CLONE_NEWNS;
	if (!o->chroot && !mnt)
		return gph_fail(e, 0, "add mnt to --ns, or use --chroot",
				"pivot_root needs the mnt namespace");
	if (o->image) {
		/* The overlay is mounted in the sandbox's mount namespace; the root change takes it. */
		if (!mnt)
			return gph_fail(e, 0, "add mnt to --ns", "--image needs the mnt namespace");
		if (add_opt(p, e, "--image", 2, "image", o->image) < 0 || add(p, e, 1, o->chroot ? "chroot" : "pivot_root") < 0)
			return -1;
	} else if (add(p, e, 2, o->chroot ? "chroot" : "pivot_root", rootfs) < 0) {
		gph_err_hint(e, "--rootfs names the root filesystem; `make` builds ./rootfs");
		return -1;
	}
	if (mnt) {
		if (add(p, e, 2, "mount", "proc") < 0 || add(p, e, 2, "mount", "dev") < 0 ||
		    add(p, e, 2, "mount", "sys") < 0)
			return -1;
	}
	if (o->read_only) {
		if (o->chroot)
			return gph_fail(e, 0, "leave out --chroot", "--read-only needs pivot_root: after chroot \"/\" is the host's mount");
		if (add(p, e, 1, "readonly") < 0)
			return -1;
	}
	/* The default policy (README "Security defaults"): Docker's capabilities without MKNOD, masked
	 * /proc and /sys paths, no new privileges, the default seccomp profile. --privileged: none. */
	if (!o->privileged) {
		if (add(p, e, 2, "cap", "default") < 0)
			return -1;
		for (int i = 0; i < o->n_drop; i++)
			if (add_opt(p, e, "--cap-drop", 3, "cap", "drop", o->cap_drop[i]) < 0)
				return -1;
		for (int i = 0; i < o->n_add; i++)
			if (add_opt(p, e, "--cap-add", 3, "cap", "add", o->cap_add[i]) < 0)
				return -1;
		if (mnt && add(p, e, 2, "mask", "on") < 0)
			return -1;
		if (!o->no_nnp && add(p, e, 2, "nnp", "on") < 0)
			return -1;
		if (!o->no_seccomp && add(p, e, 2, "seccomp", "default") < 0)
			return -1;
	}
	const char *user = o->user, *workdir = o->workdir;
	if (o->img && !user && o->img->user[0])
		user = o->img->user; /* numbers or names: names are looked up in the image's /etc/passwd */
	if (o->img && !workdir && o->img->workdir[0])
		workdir = o->img->workdir;
	if (user && add_opt(p, e, "--user", 2, "user", user) < 0)
		return -1;
	if (workdir && add_opt(p, e, "--workdir", 2, "workdir", workdir) < 0)
		return -1;
	return 0;
}

static int parse_opts(int argc, char **argv, struct run_opts *o, struct gph_err *e)
{
	enum { O_ROOTFS = 256, O_HOSTNAME, O_NAME, O_MEMORY, O_NET, O_NS, O_CHROOT, O_INIT, O_NOTTY, O_STOP, O_CGP,
	       O_SWAP, O_CPUS, O_CPUW, O_CPUSET, O_PIDS, O_IOW, O_RBPS, O_WBPS, O_BRIDGE, O_SUBNET, O_IP, O_TRACE,
	       O_PRIV, O_CAPADD, O_CAPDROP, O_NNP, O_SECCOMP, O_USERNS, O_UIDMAP, O_GIDMAP, O_RO, O_IMAGE, O_STORE,
	       O_PULL, O_INSECURE, O_PLATFORM, O_CREDS, O_CREDS_FILE };
	static char creds_buf[1024];
	static const struct option lo[] = {
		{"rootfs", required_argument, 0, O_ROOTFS}, {"hostname", required_argument, 0, O_HOSTNAME},
		{"name", required_argument, 0, O_NAME},     {"memory", required_argument, 0, O_MEMORY},
		{"net", required_argument, 0, O_NET},       {"ns", required_argument, 0, O_NS},
		{"chroot", no_argument, 0, O_CHROOT},       {"init", no_argument, 0, O_INIT},
		{"tty", no_argument, 0, 't'},               {"no-tty", no_argument, 0, O_NOTTY},
		{"stop-timeout", required_argument, 0, O_STOP}, {"cgroup-parent", required_argument, 0, O_CGP},
		{"memory-swap", required_argument, 0, O_SWAP}, {"cpus", required_argument, 0, O_CPUS},
		{"cpu-weight", required_argument, 0, O_CPUW}, {"cpuset-cpus", required_argument, 0, O_CPUSET},
		{"pids-limit", required_argument, 0, O_PIDS}, {"io-weight", required_argument, 0, O_IOW},
		{"device-read-bps", required_argument, 0, O_RBPS}, {"device-write-bps", required_argument, 0, O_WBPS},
		{"bridge", required_argument, 0, O_BRIDGE}, {"subnet", required_argument, 0, O_SUBNET},
		{"ip", required_argument, 0, O_IP},         {"trace", no_argument, 0, O_TRACE},
		{"privileged", no_argument, 0, O_PRIV},     {"cap-add", required_argument, 0, O_CAPADD},
		{"cap-drop", required_argument, 0, O_CAPDROP},
		{"no-new-privileges", optional_argument, 0, O_NNP}, {"seccomp", required_argument, 0, O_SECCOMP},         {"publish", required_argument, 0, 'p'},
		{"userns", no_argument, 0, O_USERNS},       {"uidmap", required_argument, 0, O_UIDMAP},
		{"gidmap", required_argument, 0, O_GIDMAP}, {"user", required_argument, 0, 'u'},
		{"workdir", required_argument, 0, 'w'},     {"read-only", no_argument, 0, O_RO},
		{"image", required_argument, 0, O_IMAGE},   {"root", required_argument, 0, O_STORE},
		{"pull", required_argument, 0, O_PULL},     {"insecure", no_argument, 0, O_INSECURE},
		{"platform", required_argument, 0, O_PLATFORM}, {"creds", required_argument, 0, O_CREDS},
		{"creds-file", required_argument, 0, O_CREDS_FILE},
		{"help", no_argument, 0, 'h'},              {0, 0, 0, 0},
	};
	memset(o, 0, sizeof *o);
	o->tty = -1;
	opterr = 0;
	optind = 1;
	int c;
	/* '+': options end at the first word that is not one, which starts CMD. */
	while ((c = getopt_long(argc, argv, "+tqvhp:u:w:", lo, NULL)) != -1) {
		switch (c) {
		case O_ROOTFS: o->rootfs = optarg; break;
		case O_IMAGE: o->image = optarg; break;
		case O_STORE: o->store_root = optarg; break;
		case O_PULL:
			if (gph_pull_policy_parse(optarg, &o->pull, e) < 0)
				return -1;
			break;
		case O_INSECURE: o->insecure = true; break;
		case O_PLATFORM: o->platform = optarg; break;
		case O_CREDS: o->creds = optarg; break;
		case O_CREDS_FILE:
			if (cli_read_creds(optarg, creds_buf, sizeof creds_buf, e) < 0)
				return -1;
			o->creds = creds_buf;
			break;
		case O_HOSTNAME:
			if (gph_check_hostname(optarg, e) < 0)
				return -1;
			o->hostname = optarg;
			break;
		case O_NAME:
			if (!*optarg || strlen(optarg) > 63 || strpbrk(optarg, " \t\n/"))
				return gph_fail(e, 0, "up to 63 characters, no blanks or '/'", "--name: bad name \"%s\"", optarg);
			o->name = optarg;
			break;
		case O_MEMORY: {
			long long b;
			if (gph_parse_size(optarg, &b, e) < 0) {
				gph_err_wrap(e, "--memory: ");
				return -1;
			}
			o->memory = optarg;
			break;
		}
		case O_SWAP: o->memory_swap = optarg; break;
		case O_CPUS: o->cpus = optarg; break;
		case O_CPUW: o->cpu_weight = optarg; break;
		case O_CPUSET: o->cpuset = optarg; break;
		case O_PIDS: o->pids = optarg; break;
		case O_IOW: o->io_weight = optarg; break;
		case O_RBPS:
		case O_WBPS: {
			long long rate;
			if (o->n_rates == MAX_DEV_RATES)
				return gph_fail(e, 0, NULL, "at most %d device rates", MAX_DEV_RATES);
			if (gph_parse_dev_rate(optarg, o->rates[o->n_rates].dev, sizeof o->rates[0].dev, &rate, e) < 0) {
				gph_err_wrap(e, "%s: ", c == O_RBPS ? "--device-read-bps" : "--device-write-bps");
				return -1;
			}
			snprintf(o->rates[o->n_rates].rate, sizeof o->rates[0].rate, "%lld", rate);
			o->rates[o->n_rates++].write = c == O_WBPS;
			break;
		}
		case O_NET: o->net = optarg; break;
		case O_BRIDGE: o->bridge = optarg; break;
		case O_SUBNET: o->subnet = optarg; break;
		case O_IP: o->ip = optarg; break;
		case O_TRACE: o->trace = o->verbose = true; break;
		case O_PRIV: o->privileged = true; break;
		case O_CAPADD:
		case O_CAPDROP:
			if (gph_caps_parse_name(optarg) == -1)
				return gph_fail(e, 0, "a capability name such as NET_ADMIN or CAP_NET_ADMIN, or ALL (see capabilities(7))",
						"%s: unknown capability \"%s\"", c == O_CAPADD ? "--cap-add" : "--cap-drop", optarg);
			if ((c == O_CAPADD ? o->n_add : o->n_drop) == 16)
				return gph_fail(e, 0, NULL, "at most 16 --cap-add and 16 --cap-drop");
			if (c == O_CAPADD)
				o->cap_add[o->n_add++] = optarg;
			else
				o->cap_drop[o->n_drop++] = optarg;
			break;
		case O_NNP:
			if (!optarg || strcmp(optarg, "true") == 0)
				o->no_nnp = false;
			else if (strcmp(optarg, "false") == 0)
				o->no_nnp = true;
			else
				return gph_fail(e, 0, "--no-new-privileges=true or =false", "--no-new-privileges: bad value \"%s\"",
						optarg);
			break;
		case O_SECCOMP:
			if (strcmp(optarg, "unconfined") == 0)
				o->no_seccomp = true;
			else if (strcmp(optarg, "default") != 0)
				return gph_fail(e, 0, "--seccomp=default or --seccomp=unconfined", "--seccomp: unknown profile \"%s\"",
						optarg);
			break;
		case 'p':
			if (o->n_ports == 16)
				return gph_fail(e, 0, NULL, "at most 16 published ports");
			o->ports[o->n_ports++] = optarg;
			break;
		case O_NS: o->ns = optarg; break;
		case O_USERNS: o->userns = true; break;
		case O_UIDMAP: o->uidmap = optarg; break;
		case O_GIDMAP: o->gidmap = optarg; break;
		case O_RO: o->read_only = true; break;
		case 'u': o->user = optarg; break;
		case 'w': o->workdir = optarg; break;
		case O_CHROOT: o->chroot = true; break;
		case O_INIT: o->init = true; break;
		case 't': o->tty = 1; break;
		case O_NOTTY: o->tty = 0; break;
		case O_CGP: o->cgroup_parent = optarg; break;
		case O_STOP: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 0 || v > 86400)
				return gph_fail(e, 0, "a whole number of seconds, 0-86400", "--stop-timeout: bad value \"%s\"",
						optarg);
			o->stop_timeout = (int)v;
			break;
		}
		case 'q': o->quiet = true; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default:
			if (optopt && optopt < 256)
				return gph_fail(e, 0, "`gophernetes run --help` lists the options", "unknown option -%c", optopt);
			return gph_fail(e, 0, "`gophernetes run --help` lists the options", "unknown or incomplete option %s",
					argv[optind - 1]);
		}
	}
	if (o->image && o->rootfs)
		return gph_fail(e, 0, "give one of them", "--image and --rootfs both name the root");
	if (!o->image && (o->creds || o->insecure || o->platform || o->store_root || o->pull))
		return gph_fail(e, 0, "they are for pulling and storing images: add --image REF",
				"--creds, --insecure, --platform, --root and --pull need --image");
	if (optind >= argc && !o->image)
		return gph_fail(e, 0, "e.g. gophernetes run /bin/sh", "run: which command?");
	return optind;
}

static void report_oom(const struct gph_sandbox *sb, const struct gph_exec_result *r)
{
	char msg[160];
	gph_exec_oom_message(sb, r, msg, sizeof msg);
	if (msg[0])
		fprintf(stderr, "gophernetes: %s\n", msg);
}

int gph_cmd_run(int argc, char **argv)
{
	struct gph_err e;
	struct run_opts o;
	struct plan plan;
	int ns_flags;
	gph_err_clear(&e);
	struct gph_image_run img = {0};
	char **cmdv = NULL, **envv = NULL;
	int first = parse_opts(argc, argv, &o, &e);
	if (first >= 0 && o.image) {
		/* The `image` step reads the store named here too. */
		if (o.store_root)
			setenv("GPH_IMAGE_ROOT", o.store_root, 1);
		char platform[64];
		gph_pull_default_platform(platform, sizeof platform);
		struct gph_pull_opts po = {.insecure = o.insecure, .platform = o.platform ? o.platform : platform, .creds = o.creds,
					   .notes = o.quiet ? NULL : stderr};
		if (gph_image_ensure(o.store_root, o.image, o.pull, &po, &e) < 0 ||
		    gph_image_run_load(o.store_root, o.image, &img, &e) < 0 ||
		    gph_image_command(&img, argv + first, argc - first, &cmdv, &envv, &e) < 0)
			first = -1;
		o.img = &img;
	}
	if (first < 0 || build_plan(&o, &plan, &ns_flags, &e) < 0) {
		gph_err_print(&e, stderr, "gophernetes");
		gph_image_run_free(&img);
		free(cmdv);
		free(envv);
		return EXIT_RUNTIME;
	}
	/* Signals that arrive while we set up wait (blocked) and are forwarded once the command runs,
	 * so no signal can leave a half-made container behind. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* A runtime started in the background by a non-interactive shell inherits SIGINT and SIGQUIT
	 * ignored, and an ignored signal never reaches the signalfd that forwards it: take them back. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);

	char command[256] = "";
	for (int i = first, off = 0; i < argc && off < (int)sizeof command - 1; i++)
		off += snprintf(command + off, sizeof command - (size_t)off, "%s%s", i > first ? " " : "", argv[i]);
	struct gph_sandbox_opts so = {.name = o.name, .cgroup_parent = o.cgroup_parent, .command = command,
				      .log = o.verbose ? stderr : NULL, .notes = o.quiet ? NULL : stderr};
	struct gph_sandbox sb;
	if (o.trace)
		gph_trace_start(stderr);
	/* Only veth and bridge talk netlink (in the sandbox process too, before its root changes). */
	if (o.net && (strcmp(o.net, "veth") == 0 || strcmp(o.net, "bridge") == 0) && gph_net_preload(&e) < 0) {
		gph_err_print(&e, stderr, "gophernetes");
		return EXIT_RUNTIME;
	}
	if (gph_sandbox_start(&sb, &so, &e) < 0) {
		gph_err_print(&e, stderr, "gophernetes");
		return EXIT_RUNTIME;
	}
	int code = EXIT_RUNTIME;
	for (int i = 0; i < plan.n; i++) {
		if (plan.steps[i].kind == GPH_STEP_PIVOT_ROOT || plan.steps[i].kind == GPH_STEP_CHROOT) {
			/* The default hostname is the container id, known only now; set it before the root
			 * changes, in the order the shell's lessons use. */
			if (!o.hostname && (ns_flags & CLONE_NEWUTS)) {
				struct gph_step hs;
				char *hw[] = {"hostname", sb.id, NULL};
				if (gph_step_parse(2, hw, &hs, &e) < 0 || gph_sandbox_apply(&sb, &hs, &e) < 0)
					goto out;
			}
		}
		if (gph_sandbox_apply(&sb, &plan.steps[i], &e) < 0)
			goto out;
	}
	bool tty = o.tty == 1 || (o.tty == -1 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO));
	struct gph_exec_opts x = {.argv = cmdv ? cmdv : argv + first, .env = envv, .tty = tty, .init = o.init, .stdio = {0, 1, 2},
				  .stop_timeout = o.stop_timeout, .forward_signals = true};
	struct gph_exec_result r;
	if (gph_sandbox_exec(&sb, &x, &r, &e) < 0) {
		if (r.exec_failed)
			code = r.exit_code;
		goto out;
	}
	report_oom(&sb, &r);
	code = r.exit_code;
	gph_sandbox_destroy(&sb);
	gph_image_run_free(&img);
	free(cmdv);
	free(envv);
	return code;
out:
	gph_err_print(&e, stderr, "gophernetes");
	gph_sandbox_destroy(&sb);
	gph_image_run_free(&img);
	free(cmdv);
	free(envv);
	return code;
}
