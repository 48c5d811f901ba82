/* `score`: the isolation scorecard. A probe started inside the sandbox exactly as an exec'd command
 * (score_probe.c) reports what it is: its namespaces, root, /proc, capability sets, seccomp state.
 * Here, on the runtime's side, each fact is compared with the host's (this process's namespaces and
 * root) and with the cgroup files, and every probe becomes one line:
 *     ✗ host processes visible (ns pid)       red: the step in parentheses turns it green
 *     ✓ host processes hidden (ns pid)        green: what made it so
 * Nothing is tried for real: "could it rename the host" is answered from the UTS namespace's
 * identity and the capabilities that rule it, never with sethostname. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "gph/harden.h"
#include "gph/picture.h"
#include "internal.h"
#include "view.h"

enum { NS_PID, NS_UTS, NS_MNT, NS_IPC, NS_NET, NS_CGROUP, NS_USER }; /* gph_view_ns_kinds order */

struct ctx {
	const struct gph_sandbox *sb;
	const struct gph_probe_facts *f;
	const struct gph_view *v;
	unsigned long long host_ino[VIEW_NS], host_dev[VIEW_NS];
	unsigned long long host_root_dev, host_root_ino;
};

struct verdict {
	bool green;
	const char *step; /* red: the step that turns it green; green: what made it so */
	char why[320];
};

static bool shared(const struct ctx *c, int k)
{
	return c->f->ns_ino[k] == c->host_ino[k] && c->f->ns_dev[k] == c->host_dev[k];
}

/* Does the probe hold capability cap over the host's own (initial) user namespace? Effective or
 * permitted now, or in the bounding set without no_new_privs, where a setuid-root program would
 * hand it back. In a user namespace of its own its capabilities rule only that namespace's objects. */
static bool holds_on_host(const struct ctx *c, int cap)
{
	unsigned long long bit = 1ULL << cap;
	if (!shared(c, NS_USER))
		return false;
	return ((c->f->cap_eff | c->f->cap_prm) & bit) || ((c->f->cap_bnd & bit) && !c->f->nnp);
}

/* Is syscall refused by the filter the probe carries? Only our own default profile is known: the
 * sandbox asked for it, the kernel reports a filter, and the profile for this bounding set has a
 * rule for the call (some rules are left out for holders of a capability, as Docker does). */
static bool filtered(const struct ctx *c, const char *syscall)
{
	if (c->f->seccomp != 2 || !c->sb->priv.changed || !c->sb->priv.seccomp)
		return false;
	size_t n;
	const struct gph_seccomp_rule *r = gph_seccomp_rules(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].syscall, syscall) && gph_seccomp_rule_active(&r[i], c->f->cap_bnd))
			return true;
	return false;
}

static void ns_verdict(const struct ctx *c, int k, const char *step, struct verdict *out)
{
	out->green = !shared(c, k);
	out->step = step;
	snprintf(out->why, sizeof out->why, "%s namespace %s:[%llu], the host's %s:[%llu]", gph_view_ns_kinds[k],
		 gph_view_ns_kinds[k], c->f->ns_ino[k], gph_view_ns_kinds[k], c->host_ino[k]);
}

static void j_processes(const struct ctx *c, struct verdict *o)
{
	const struct gph_probe_facts *f = c->f;
	if (shared(c, NS_PID)) {
		o->step = "ns pid";
		snprintf(o->why, sizeof o->why, "same PID namespace as the host (pid:[%llu]); /proc lists %d processes",
			 f->ns_ino[NS_PID], f->proc_pids);
	} else if (f->proc_foreign) {
		o->step = "mount proc";
		snprintf(o->why, sizeof o->why, "own PID namespace, but /proc is an outer namespace's procfs listing %d processes",
			 f->proc_pids);
	} else {
		o->green = true;
		o->step = "ns pid";
		snprintf(o->why, sizeof o->why, "own PID namespace pid:[%llu], PID %d inside; /proc %s", f->ns_ino[NS_PID],
			 f->pid_inside, f->proc_is_procfs ? "lists only its own processes" : "is not mounted");
	}
}

static void j_mounts(const struct ctx *c, struct verdict *o)
{
	const struct gph_probe_facts *f = c->f;
	bool same_root = f->root_dev == c->host_root_dev && f->root_ino == c->host_root_ino;
	/* The probe, like each exec'd command after `ns pid`, has a private copy of the sandbox's mount
	 * namespace; what counts is whether the sandbox's own is the host's. */
	if (shared(c, NS_MNT) || !c->v->ns[NS_MNT].isolated) {
		o->step = "ns mnt";
		snprintf(o->why, sizeof o->why, "the sandbox's mount namespace is the host's (%s)%s", c->v->ns[NS_MNT].sbx,
			 shared(c, NS_MNT) ? "" : "; each exec gets only a private copy of it, host mounts and all");
	} else if (same_root || c->v->host_root_reachable) {
		o->step = "pivot_root";
		snprintf(o->why, sizeof o->why, "%s", same_root ? "its / is the host's /"
			 : "the host's root file system is still mounted in its namespace (chroot leaves it there: escapable)");
	} else {
		o->green = true;
		o->step = "pivot_root";
		snprintf(o->why, sizeof o->why, "own mount namespace; the host's root file system is not mounted in it");
	}
}

static void j_hostname(const struct ctx *c, struct verdict *o)
{
	o->green = true;
	if (!shared(c, NS_UTS)) {
		ns_verdict(c, NS_UTS, "ns uts", o);
	} else if (!shared(c, NS_USER)) {
		o->step = "ns user";
		snprintf(o->why, sizeof o->why, "the host's UTS namespace, but its capabilities rule only its own user namespace");
	} else if (!holds_on_host(c, CAP_SYS_ADMIN)) {
		o->step = "cap default";
		snprintf(o->why, sizeof o->why, "the host's UTS namespace, but no CAP_SYS_ADMIN (nor a way back to it)");
	} else if (filtered(c, "sethostname")) {
		o->step = "seccomp default";
		snprintf(o->why, sizeof o->why, "the host's UTS namespace and CAP_SYS_ADMIN, but the filter refuses sethostname");
	} else {
		o->green = false;
		o->step = "ns uts";
		snprintf(o->why, sizeof o->why, "the host's UTS namespace (uts:[%llu]) and CAP_SYS_ADMIN over it", c->f->ns_ino[NS_UTS]);
	}
}

static void j_net(const struct ctx *c, struct verdict *o) { ns_verdict(c, NS_NET, "ns net", o); }
static void j_ipc(const struct ctx *c, struct verdict *o) { ns_verdict(c, NS_IPC, "ns ipc", o); }
static void j_users(const struct ctx *c, struct verdict *o)
{
	ns_verdict(c, NS_USER, "ns user", o);
	if (!o->green)
		snprintf(o->why + strlen(o->why), sizeof o->why - strlen(o->why), ": uid %u inside is uid %u of the host",
			 c->f->euid, c->f->euid);
}

static void limit_verdict(const struct ctx *c, long long max, long long cur, const char *what, const char *step,
			  struct verdict *o)
{
	o->step = step;
	o->green = max >= 0;
	if (!c->v->has_cg)
		snprintf(o->why, sizeof o->why, "no cgroup (rootless mode: %.250s)", c->sb->no_cg_why);
	else if (max == -2)
		snprintf(o->why, sizeof o->why, "the %s limit cannot be read", what);
	else if (max == -1)
		snprintf(o->why, sizeof o->why, "%s.max is \"max\" in its cgroup (using %lld now)", what, cur);
	else
		snprintf(o->why, sizeof o->why, "at most %lld (using %lld now)", max, cur);
}

static void j_memory(const struct ctx *c, struct verdict *o)
{
	limit_verdict(c, c->v->mem_max, c->v->mem_cur, "memory", "cgroup mem", o);
	if (o->green)
		snprintf(o->why, sizeof o->why, "at most %lld bytes (using %lld now)", c->v->mem_max, c->v->mem_cur);
}
static void j_pids(const struct ctx *c, struct verdict *o) { limit_verdict(c, c->v->pids_max, c->v->pids_cur, "pids", "cgroup pids", o); }

static void cap_verdict(const struct ctx *c, int cap, const char *capname, const char *syscall, struct verdict *o)
{
	o->green = true;
	if (!shared(c, NS_USER)) {
		o->step = "ns user";
		snprintf(o->why, sizeof o->why, "its %s holds only in its own user namespace", capname);
	} else if (!holds_on_host(c, cap)) {
		o->step = "cap default";
		snprintf(o->why, sizeof o->why, "no %s (not in the bounding set, or no_new_privs and none left)", capname);
	} else if (syscall && filtered(c, syscall)) {
		o->step = "seccomp default";
		snprintf(o->why, sizeof o->why, "%s held, but the filter refuses %s", capname, syscall);
	} else {
		o->green = false;
		o->step = "cap default";
		snprintf(o->why, sizeof o->why, "%s over the host's user namespace%s", capname,
			 syscall ? (c->f->seccomp == 2 ? ", and the filter lets it through" : ", and no seccomp filter") : "");
	}
}

static void j_modules(const struct ctx *c, struct verdict *o) { cap_verdict(c, CAP_SYS_MODULE, "CAP_SYS_MODULE", "init_module", o); }
static void j_devices(const struct ctx *c, struct verdict *o) { cap_verdict(c, CAP_MKNOD, "CAP_MKNOD", NULL, o); }

static void j_sysctl(const struct ctx *c, struct verdict *o)
{
	const struct gph_probe_facts *f = c->f;
	o->step = "mask on";
	o->green = true;
	if (!f->proc_is_procfs || !f->proc_sys_present) {
		o->step = "no /proc inside";
		snprintf(o->why, sizeof o->why, "no /proc/sys inside (after `mount proc` it takes `mask on`)");
	}
	else if (f->proc_sys_ro)
		snprintf(o->why, sizeof o->why, "/proc/sys is mounted read-only");
	else if (!shared(c, NS_USER) || f->euid != 0)
		snprintf(o->why, sizeof o->why, "/proc/sys is writable, but only the host's root may write the host's settings");
	else {
		o->green = false;
		snprintf(o->why, sizeof o->why, "/proc/sys is writable and it is the host's root");
	}
}

static void j_seccomp(const struct ctx *c, struct verdict *o)
{
	o->step = "seccomp default";
	o->green = c->f->seccomp == 2;
	snprintf(o->why, sizeof o->why, "Seccomp: %d in its /proc/self/status (%s)", c->f->seccomp,
		 c->f->seccomp == 2 ? "a filter" : c->f->seccomp == 1 ? "strict" : "no filter");
}

/* The board, in a fixed order: lessons match these words. */
static const struct {
	const char *red, *green;
	void (*judge)(const struct ctx *, struct verdict *);
} probes[] = {
	{"host processes visible", "host processes hidden", j_processes},
	{"host mounts visible", "host mounts hidden", j_mounts},
	{"host can be renamed", "host name safe", j_hostname},
	{"host network shared", "host network separate", j_net},
	{"host IPC shared", "host IPC separate", j_ipc},
	{"memory unlimited", "memory limited", j_memory},
	{"fork bomb unbounded", "fork bomb bounded", j_pids},
	{"kernel modules loadable", "kernel modules blocked", j_modules},
	{"host disk nodes creatable", "host disk nodes blocked", j_devices},
	{"host user IDs shared", "user IDs mapped", j_users},
	{"host kernel settings writable", "host kernel settings read-only", j_sysctl},
	{"no system call filter", "system calls filtered", j_seccomp},
};

static int host_side(struct ctx *c, struct gph_err *e)
{
	struct stat st;
	char path[64];
	for (int i = 0; i < VIEW_NS; i++) {
		snprintf(path, sizeof path, "/proc/self/ns/%s", gph_view_ns_kinds[i]);
		if (stat(path, &st) < 0)
			return gph_fail(e, errno, NULL, "stat(\"%s\")", path);
		c->host_ino[i] = st.st_ino;
		c->host_dev[i] = st.st_dev;
	}
	if (stat("/", &st) < 0)
		return gph_fail(e, errno, NULL, "stat(\"/\")");
	c->host_root_dev = st.st_dev;
	c->host_root_ino = st.st_ino;
	return 0;
}

int gph_sandbox_score(struct gph_sandbox *sb, bool why, FILE *out, struct gph_err *e)
{
	static struct hreq rq;
	static struct hrep rp;
	static struct gph_view v;
	struct ctx c = {.sb = sb, .f = &rp.probe, .v = &v};
	if (sb->holder <= 0)
		return gph_fail(e, 0, "`reset` starts a new one", "there is no sandbox");
	/* The probe gets what an exec'd command would get: the same request fields as exec. */
	memset(&rq, 0, sizeof rq);
	rq.op = HREQ_SCORE_PROBE;
	rq.new_pidns = sb->pid_ns;
	if (gph_sandbox_resolve_user(sb, e) < 0)
		return -1;
	gph_sandbox_priv_request(sb, &rq);
	if (gph_sandbox_priv_seccomp(sb, &rq, e) < 0 || gph_holder_call(sb, &rq, &rp, NULL, 0, e) < 0)
		return -1;
	if (host_side(&c, e) < 0 || gph_view_gather(sb, &v, e) < 0)
		return -1;
	bool colour = gph_colour_wanted(out);
	int greens = 0, n = (int)(sizeof probes / sizeof probes[0]);
	for (int i = 0; i < n; i++) {
		struct verdict vd = {0};
		probes[i].judge(&c, &vd);
		greens += vd.green;
		fprintf(out, "%s%s%s %s (%s)\n", colour ? (vd.green ? "\033[32m" : "\033[31m") : "", vd.green ? "✓" : "✗",
			colour ? "\033[0m" : "", vd.green ? probes[i].green : probes[i].red, vd.step);
		if (why)
			fprintf(out, "    %s\n", vd.why);
	}
	fprintf(out, "score: %d of %d green\n", greens, n);
	if (sb->failed_step[0])
		fprintf(out, "note: the step `%s` failed; exec is refused until it succeeds\n", sb->failed_step);
	return 0;
}
