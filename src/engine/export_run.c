/* `export run`: the steps a sandbox applied -> the `gophernetes run` options that build the same
 * container, or the steps that no option can express and why.
 *
 * run always applies its steps in one order (src/cli/run.c build_plan): namespaces (user first),
 * cgroup limits, network, hostname, the root change, then with the mnt namespace exactly
 * `mount proc`, `mount dev`, `mount sys`, then `readonly`, then the privilege steps (unless
 * --privileged: `cap default` +drops +adds, `mask on` with mnt, `nnp on`, `seccomp default`), then
 * `user` and `workdir`. A shell session is expressible when its final kernel state is the one that
 * order produces; where the learner's order changes the state, the step is named instead. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "gph/export.h"
#include "gph/harden.h"
#include "gph/parse.h"

static void why(struct gph_export *out, const struct gph_step *steps, int i, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void why(struct gph_export *out, const struct gph_step *steps, int i, const char *fmt, ...)
{
	if (out->n_why >= GPH_EXPORT_MAX_WHY)
		return;
	struct gph_export_why *w = &out->why[out->n_why++];
	w->step = i;
	snprintf(w->text, sizeof w->text, "%s", i >= 0 ? steps[i].text : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof w->why, fmt, ap);
	va_end(ap);
}

int gph_export_append_word(char *buf, size_t len, const char *word)
{
	size_t off = strlen(buf);
	bool plain = *word != '\0';
	for (const char *p = word; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:,=@%+-", *p))
			plain = false;
	if (off && off + 1 < len)
		buf[off++] = ' ';
	if (plain) {
		int n = snprintf(buf + off, len - off, "%s", word);
		return n < 0 || (size_t)n >= len - off ? -1 : 0;
	}
	/* 'it'\''s': close the quote, an escaped quote, open again */
	if (off + 1 >= len)
		return -1;
	buf[off++] = '\'';
	for (const char *p = word; *p; p++) {
		const char *piece = *p == '\'' ? "'\\''" : NULL;
		size_t l = piece ? 4 : 1;
		if (off + l + 2 >= len)
			return -1;
		if (piece)
			memcpy(buf + off, piece, l);
		else
			buf[off] = *p;
		off += l;
	}
	buf[off++] = '\'';
	buf[off] = '\0';
	return 0;
}

/* "0 100000 65536\n1 2 3\n" (as written to uid_map) -> "0:100000:65536,1:2:3" (as typed). */
static void idmap_spec(const char *lines, char *buf, size_t len)
{
	unsigned long c, h, n;
	int used;
	size_t off = 0;
	buf[0] = '\0';
	for (const char *p = lines; sscanf(p, "%lu %lu %lu%n", &c, &h, &n, &used) == 3; p += used) {
		int w = snprintf(buf + off, len - off, "%s%lu:%lu:%lu", off ? "," : "", c, h, n);
		if (w < 0 || (size_t)w >= len - off)
			return;
		off += (size_t)w;
		while (p[used] == '\n')
			used++;
	}
}

/* The --cpus value for a quota per period: 50000/100000 -> "0.5". */
static void cpus_value(long long quota, long long period, char *buf, size_t len)
{
	if (period <= 0)
		period = 100000;
	long long milli = quota * 1000 / period;
	snprintf(buf, len, "%lld.%03lld", milli / 1000, milli % 1000);
	char *end = buf + strlen(buf) - 1;
	while (*end == '0')
		*end-- = '\0';
	if (*end == '.')
		*end = '\0';
}

/* What the walk over the steps collects: the final state, and where each part came from. */
struct seen {
	int ns;                     /* CLONE_NEW* except USER */
	bool userns;
	char uidmap[128], gidmap[128];
	int root;                   /* index of the chroot/pivot_root step, -1 */
	bool pivot;
	int ns_at_root;             /* namespaces when the root changed */
	int hostname;               /* index of the last hostname step, -1 */
	int mounts[3];              /* proc, sys, dev: index of the step, -1 */
	bool sys_by_pivot;          /* in a user namespace pivot_root mounted sysfs itself */
	int cg[GPH_RES_IOWBPS + 1]; /* last step per resource (io rates: every step is kept) */
	int net;                    /* index of the veth/bridge step, -1 */
	bool nat;
	int ports[16], n_ports;
	bool readonly;
	bool priv_changed;
	struct gph_caps caps;
	bool nnp, seccomp, masks;
	int user, workdir;          /* index of the last step, -1 */
};

static void walk(const struct gph_step *steps, int n, struct seen *s, struct gph_export *out)
{
	struct gph_err ign;
	for (int i = 0; i < n; i++) {
		const struct gph_step *st = &steps[i];
		switch (st->kind) {
		case GPH_STEP_NS:
			if (st->join)
				why(out, steps, i, "run has no option to join an existing namespace");
			if (st->ns_flags & CLONE_NEWUSER) {
				s->userns = true;
				snprintf(s->uidmap, sizeof s->uidmap, "%s", st->uidmap);
				snprintf(s->gidmap, sizeof s->gidmap, "%s", st->gidmap);
			}
			if ((st->ns_flags & CLONE_NEWIPC) && s->mounts[2] >= 0)
				why(out, steps, i, "it came after `mount dev`, which mounts /dev/mqueue only with an IPC namespace "
					"of the sandbox's own; run makes every namespace first");
			if ((st->ns_flags & CLONE_NEWNET) && s->mounts[1] >= 0)
				why(out, steps, i, "it came after `mount sys`: sysfs shows the network devices of the namespace "
					"it was mounted from (the host's here); run makes every namespace first");
			s->ns |= st->ns_flags & ~CLONE_NEWUSER;
			break;
		case GPH_STEP_HOSTNAME:
			s->hostname = i;
			if (s->root >= 0 && s->net >= 0 && (s->ns_at_root & CLONE_NEWNS) &&
			    steps[s->net].net == GPH_NET_BRIDGE && s->net < s->root)
				why(out, steps, i, "it came after the root change, when the container's /etc/hosts was already "
					"written with the old name; run sets the hostname first");
			break;
		case GPH_STEP_IMAGE:
			why(out, steps, i, "export does not write image options yet: `gophernetes run --image REF` builds "
				"this root");
			break;
		case GPH_STEP_CHROOT:
		case GPH_STEP_PIVOT_ROOT:
			s->root = i;
			s->pivot = st->kind == GPH_STEP_PIVOT_ROOT;
			s->ns_at_root = s->ns;
			s->sys_by_pivot = s->pivot && s->userns && (s->ns & CLONE_NEWNET);
			break;
		case GPH_STEP_MOUNT: {
			static const char *const names[] = {"proc", "sys", "dev", "tmpfs"};
			static const char *const paths[] = {"/proc", "/sys", "/dev", ""};
			if (st->mount == GPH_MOUNT_TMPFS) {
				why(out, steps, i, "run has no option for a tmpfs: it mounts only /proc, /dev and /sys");
				break;
			}
			if (s->root < 0)
				why(out, steps, i, "it came before the root change, so the mount is in the old root, out of the "
					"container's sight; run mounts %s after the root change", names[st->mount]);
			else if (strcmp(st->path, paths[st->mount]) != 0)
				why(out, steps, i, "run mounts %s only at %s", names[st->mount], paths[st->mount]);
			else if (s->mounts[st->mount] >= 0 && !(st->mount == GPH_MOUNT_SYS && s->sys_by_pivot))
				why(out, steps, i, "%s is mounted twice (stacked); run mounts it once", names[st->mount]);
			s->mounts[st->mount] = i;
			break;
		}
		case GPH_STEP_CGROUP:
			if (st->res == GPH_RES_MEM && s->cg[GPH_RES_SWAP] >= 0)
				why(out, steps, i, "it came after `cgroup swap` and set the swap allowance back to none; run "
					"applies --memory first, then --memory-swap");
			s->cg[st->res] = i;
			break;
		case GPH_STEP_NET:
			if (st->net == GPH_NET_VETH || st->net == GPH_NET_BRIDGE)
				s->net = i;
			else if (st->net == GPH_NET_NAT)
				s->nat = true;
			else if (st->net == GPH_NET_PORT && s->n_ports < 16)
				s->ports[s->n_ports++] = i;
			break;
		case GPH_STEP_CAP:
			switch (st->cap_op) {
			case GPH_CAPOP_DEFAULT: gph_caps_default(&s->caps); break;
			case GPH_CAPOP_ALL: gph_caps_all(&s->caps); break;
			case GPH_CAPOP_DROP:
			case GPH_CAPOP_ADD:
				for (int c = 0; c < 64; c++) {
					char name[32];
					if (!(st->caps & gph_caps_known() & GPH_CAP_BIT(c)))
						continue;
					gph_caps_name(c, name, sizeof name);
					if (st->cap_op == GPH_CAPOP_DROP)
						gph_caps_drop(&s->caps, name, &ign);
					else
						gph_caps_add(&s->caps, name, &ign);
				}
				break;
			}
			s->priv_changed = true;
			break;
		case GPH_STEP_SECCOMP: s->seccomp = st->on; s->priv_changed = true; break;
		case GPH_STEP_NNP: s->nnp = st->on; s->priv_changed = true; break;
		case GPH_STEP_MASK: s->masks = st->on; s->priv_changed = true; break;
		case GPH_STEP_USER: s->user = i; break;
		case GPH_STEP_WORKDIR: s->workdir = i; break;
		case GPH_STEP_READONLY: s->readonly = true; break;
		}
	}
}

static bool caps_equal(const struct gph_caps *a, const struct gph_caps *b)
{
	return a->bounding == b->bounding && a->effective == b->effective && a->permitted == b->permitted &&
	       a->inheritable == b->inheritable && a->ambient == b->ambient;
}

struct words {
	char *buf;
	size_t len;
	bool overflow;
};

static void add(struct words *w, const char *word)
{
	if (gph_export_append_word(w->buf, w->len, word) < 0)
		w->overflow = true;
}

static void add2(struct words *w, const char *opt, const char *val)
{
	add(w, opt);
	add(w, val);
}

/* The privilege options; false (with a why) when run cannot produce these sets. */
static void privilege_options(const struct gph_step *steps, const struct seen *s, struct words *w,
			      struct gph_export *out)
{
	struct gph_caps all;
	gph_caps_all(&all);
	bool masks = s->masks && (s->ns & CLONE_NEWNS); /* what exec applies */
	if (!s->priv_changed || (caps_equal(&s->caps, &all) && !s->nnp && !s->seccomp && !masks)) {
		add(w, "--privileged");
		return;
	}
	if (masks != ((s->ns & CLONE_NEWNS) != 0))
		why(out, steps, -1, "no `mask on` although the sandbox has a mount namespace: run masks /proc and /sys "
			"paths there unless --privileged, and --privileged would also give every capability and turn "
			"off no_new_privs and seccomp");
	/* From the default set: drop what is missing, add what is extra; then check with the same
	 * functions run uses that the result is exactly the sandbox's sets. */
	struct gph_caps want = s->caps, got;
	struct gph_err ign;
	gph_caps_default(&got);
	struct gph_caps full;
	gph_caps_all(&full); /* what --cap-add ALL gives: the runtime's own bounding set */
	uint64_t known = full.bounding;
	uint64_t drop = got.bounding & ~want.bounding, plus = want.bounding & ~got.bounding & known;
	char name[32];
	if (drop == got.bounding && drop) {
		add2(w, "--cap-drop", "ALL");
		gph_caps_drop(&got, "ALL", &ign);
	} else {
		for (int c = 0; c < 64; c++)
			if (drop & GPH_CAP_BIT(c)) {
				add2(w, "--cap-drop", gph_caps_name(c, name, sizeof name));
				gph_caps_drop(&got, name, &ign);
			}
	}
	if (plus && (plus | got.bounding) == known) {
		add2(w, "--cap-add", "ALL");
		gph_caps_add(&got, "ALL", &ign);
	} else {
		for (int c = 0; c < 64; c++)
			if (plus & GPH_CAP_BIT(c)) {
				add2(w, "--cap-add", gph_caps_name(c, name, sizeof name));
				gph_caps_add(&got, name, &ign);
			}
	}
	if (!caps_equal(&got, &want))
		why(out, steps, -1, "the capability sets (effective, permitted, inheritable, ambient) are not what "
			"--cap-add and --cap-drop make from the default set");
	if (!s->nnp)
		add(w, "--no-new-privileges=false");
	if (!s->seccomp)
		add(w, "--seccomp=unconfined");
}

int gph_export_run(const struct gph_step *steps, int n, const struct gph_export_ctx *ctx, struct gph_export *out)
{
	struct seen s;
	memset(out, 0, sizeof *out);
	memset(&s, 0, sizeof s);
	s.root = s.hostname = s.net = s.user = s.workdir = -1;
	for (int k = 0; k < 3; k++)
		s.mounts[k] = -1;
	for (int k = 0; k <= GPH_RES_IOWBPS; k++)
		s.cg[k] = -1;
	gph_caps_all(&s.caps); /* a new sandbox gives commands everything */
	walk(steps, n, &s, out);

	char val[PATH_MAX + 64], *line = out->line;
	struct words w = {line, sizeof out->line, false};
	add(&w, "gophernetes");
	add(&w, "run");

	if (ctx && ctx->failed_step && ctx->failed_step[0])
		why(out, steps, -1, "the step `%s` failed, and exec is refused until it succeeds: the sandbox is not "
			"what was asked for", ctx->failed_step);

	/* namespaces */
	char nsbuf[128];
	gph_ns_flags_str(s.ns, nsbuf, sizeof nsbuf);
	add2(&w, "--ns", nsbuf);
	if (s.userns) {
		add(&w, "--userns");
		if (s.uidmap[0]) {
			idmap_spec(s.uidmap, val, sizeof val);
			add2(&w, "--uidmap", val);
		}
		if (s.gidmap[0]) {
			idmap_spec(s.gidmap, val, sizeof val);
			add2(&w, "--gidmap", val);
		}
	}

	/* hostname: run names the container by its id unless told otherwise */
	bool bridge_files = s.net >= 0 && steps[s.net].net == GPH_NET_BRIDGE && (s.ns & CLONE_NEWNS);
	if (s.hostname >= 0) {
		add2(&w, "--hostname", steps[s.hostname].hostname);
	} else if (s.ns & CLONE_NEWUTS) {
		if (bridge_files)
			why(out, steps, -1, "`ns uts` without `hostname`: the container's /etc/hosts names it by the sandbox "
				"id while the kernel keeps the host's name, and run sets the two alike");
		else if (!ctx || !ctx->host_hostname || !ctx->host_hostname[0])
			why(out, steps, -1, "`ns uts` without `hostname` keeps the host's name, which is unknown here");
		else {
			add2(&w, "--hostname", ctx->host_hostname);
			snprintf(out->notes[0], sizeof out->notes[0],
				 "--hostname %s: the host's name, which the new UTS namespace copied (run would use the "
				 "container id)", ctx->host_hostname);
		}
	}

	/* the root and the mounts run makes after it */
	if (s.root < 0) {
		why(out, steps, -1, "no chroot or pivot_root: run always changes the root (--rootfs, with pivot_root or "
			"--chroot)");
	} else {
		add2(&w, "--rootfs", steps[s.root].path);
		if (!s.pivot)
			add(&w, "--chroot");
		if (s.ns & CLONE_NEWNS) {
			static const char *const names[] = {"proc", "sys", "dev"};
			char missing[64] = "";
			static const int order[] = {GPH_MOUNT_PROC, GPH_MOUNT_DEV, GPH_MOUNT_SYS};
			for (int j = 0; j < 3; j++) {
				int k = order[j];
				if (s.mounts[k] < 0 && !(k == GPH_MOUNT_SYS && s.sys_by_pivot))
					snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s`mount %s`",
						 missing[0] ? ", " : "", names[k]);
			}
			if (missing[0])
				why(out, steps, s.root, "no %s after it: with a mount namespace run always mounts /proc, /dev "
					"and /sys after the root change", missing);
		}
	}

	/* cgroup limits */
	if (s.cg[GPH_RES_MEM] >= 0) {
		gph_format_size(steps[s.cg[GPH_RES_MEM]].bytes, val, sizeof val);
		add2(&w, "--memory", val);
	}
	if (s.cg[GPH_RES_SWAP] >= 0) {
		long long b = steps[s.cg[GPH_RES_SWAP]].bytes;
		if (b < 0)
			snprintf(val, sizeof val, "-1");
		else
			gph_format_size(b, val, sizeof val);
		add2(&w, "--memory-swap", val);
	}
	if (s.cg[GPH_RES_CPU] >= 0) {
		cpus_value(steps[s.cg[GPH_RES_CPU]].bytes, steps[s.cg[GPH_RES_CPU]].value2, val, sizeof val);
		add2(&w, "--cpus", val);
	}
	if (s.cg[GPH_RES_CPUWEIGHT] >= 0) {
		snprintf(val, sizeof val, "%lld", steps[s.cg[GPH_RES_CPUWEIGHT]].bytes);
		add2(&w, "--cpu-weight", val);
	}
	if (s.cg[GPH_RES_CPUSET] >= 0)
		add2(&w, "--cpuset-cpus", steps[s.cg[GPH_RES_CPUSET]].path);
	if (s.cg[GPH_RES_PIDS] >= 0) {
		snprintf(val, sizeof val, "%lld", steps[s.cg[GPH_RES_PIDS]].bytes);
		add2(&w, "--pids-limit", val);
	}
	if (s.cg[GPH_RES_IOWEIGHT] >= 0) {
		snprintf(val, sizeof val, "%lld", steps[s.cg[GPH_RES_IOWEIGHT]].bytes);
		add2(&w, "--io-weight", val);
	}
	for (int i = 0; i < n; i++)
		if (steps[i].kind == GPH_STEP_CGROUP && (steps[i].res == GPH_RES_IORBPS || steps[i].res == GPH_RES_IOWBPS)) {
			snprintf(val, sizeof val, "%s:%lld", steps[i].path, steps[i].bytes);
			add2(&w, steps[i].res == GPH_RES_IORBPS ? "--device-read-bps" : "--device-write-bps", val);
		}

	/* network */
	if (s.net >= 0 && steps[s.net].net == GPH_NET_VETH) {
		add2(&w, "--net", "veth");
	} else if (s.net >= 0) {
		const struct gph_step *b = &steps[s.net];
		add2(&w, "--net", "bridge");
		if (b->bridge[0])
			add2(&w, "--bridge", b->bridge);
		if (b->subnet[0])
			add2(&w, "--subnet", b->subnet);
		if (b->ip[0])
			add2(&w, "--ip", b->ip);
		for (int k = 0; k < s.n_ports; k++) {
			const struct gph_step *p = &steps[s.ports[k]];
			snprintf(val, sizeof val, "%d:%d%s", p->host_port, p->ctr_port, strcmp(p->proto, "udp") ? "" : "/udp");
			add2(&w, "-p", val);
		}
		if (!s.nat)
			why(out, steps, s.net, "no `net nat` after it: run --net bridge always adds the NAT rules");
		if (bridge_files && s.root >= 0 && s.net > s.root)
			why(out, steps, s.net, "it came after the root change, so the container has no /etc/resolv.conf and "
				"/etc/hosts of its own; run connects the network first");
	}

	if (s.readonly)
		add(&w, "--read-only");
	privilege_options(steps, &s, &w, out);
	if (s.user >= 0) {
		snprintf(val, sizeof val, "%u:%u", steps[s.user].uid, steps[s.user].gid);
		add2(&w, "-u", val);
	}
	if (s.workdir >= 0)
		add2(&w, "-w", steps[s.workdir].path);

	if (w.overflow)
		why(out, steps, -1, "the command line would be longer than %zu bytes", sizeof out->line);
	if (out->n_why) {
		out->line[0] = '\0';
		out->notes[0][0] = out->notes[1][0] = '\0';
		return 1;
	}
	return 0;
}
