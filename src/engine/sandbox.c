/* The runtime's side of a sandbox: start the holder, apply steps (inside via the holder, outside
 * here), exec, destroy. See include/gph/sandbox.h for who does what. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <time.h>
#include "gph/fault.h"
#include "gph/image.h"
#include "gph/parse.h"
#include "gph/trace.h"
#include "internal.h"

static struct hreq req; /* large: one request at a time */

static void new_id(char *id)
{
	unsigned char r[6];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		/* getrandom cannot fail for 6 bytes once the pool is up; fall back to something unique */
		unsigned long long x = (unsigned long long)getpid() << 20 ^ (unsigned long long)time(NULL);
		memcpy(r, &x, sizeof r);
	}
	for (int i = 0; i < 6; i++)
		sprintf(id + 2 * i, "%02x", r[i]);
	id[12] = '\0';
}

int gph_holder_call(struct gph_sandbox *sb, const struct hreq *rq, struct hrep *rp, const int *fds, int nfds,
		    struct gph_err *e)
{
	if (gph_msg_send(sb->sock, rq, sizeof *rq, fds, nfds) < 0)
		return gph_fail(e, errno, "the sandbox process is gone; `reset` starts a new one",
				"sending a request to the sandbox process");
	ssize_t n;
	do /* trace lines of the request come first, as they are made */
		n = gph_msg_recv(sb->sock, rp, sizeof *rp, NULL, NULL);
	while (n > 0 && gph_trace_take(rp));
	if (n <= 0)
		return gph_fail(e, n < 0 ? errno : EPIPE, "the sandbox process is gone; `reset` starts a new one",
				"waiting for the sandbox process");
	if (rp->rc < 0) {
		*e = rp->err;
		return -1;
	}
	return 0;
}

int gph_sandbox_start(struct gph_sandbox *sb, const struct gph_sandbox_opts *o, struct gph_err *e)
{
	memset(sb, 0, sizeof *sb);
	sb->sock = -1;
	sb->holder = -1;
	sb->log = o->log;
	sb->notes = o->notes;
	/* Not root: rootless mode. The sandbox can still make every namespace once `ns user` came
	 * first; what needs the host's privileges (a cgroup, links on the host) is refused by its step. */
	sb->rootless = geteuid() != 0;
	gph_caps_all(&sb->priv.caps);
	new_id(sb->id);
	snprintf(sb->name, sizeof sb->name, "%s", o->name && *o->name ? o->name : sb->id);
	snprintf(sb->command, sizeof sb->command, "%s", o->command ? o->command : "");
	snprintf(sb->cgroup_parent, sizeof sb->cgroup_parent, "%s", o->cgroup_parent ? o->cgroup_parent : "");
	sb->created = (long long)time(NULL);
	if (o->join_pid > 0) {
		if (!o->join_cg)
			return gph_fail(e, EINVAL, NULL, "joining a container needs its cgroup");
		sb->cg = *o->join_cg;
		sb->has_cg = true;
		sb->joined = true;
	}
	/* The ledger exists before anything it describes, so `gc` can always find what we made. */
	if (!sb->joined && (gph_fault_point("state", e) < 0 || gph_state_write(sb, 0, e) < 0))
		return -1;
	/* Rootless: a cgroup only below a delegated v2 cgroup, and its failure is not fatal (the
	 * user's shell may share that cgroup, for one); the cgroup steps then say why there is none.
	 * Joining a running container (OCI exec): its cgroup is given. */
	if (!sb->joined && (!sb->rootless || gph_cg_delegated(sb->no_cg_why, sizeof sb->no_cg_why))) {
		if (gph_fault_point("cgroup.create", e) < 0 || gph_cg_create(&sb->cg, sb->id, o->cgroup_parent, e) < 0) {
			if (sb->rootless) {
				snprintf(sb->no_cg_why, sizeof sb->no_cg_why, "the delegated cgroup refused a child: %.200s%s%.60s",
					 e->msg, e->errnum ? ": " : "", e->errnum ? strerror(e->errnum) : "");
				memset(e, 0, sizeof *e);
			} else {
				gph_err_wrap(e, "creating the container's cgroup: ");
				gph_state_remove(sb);
				return -1;
			}
		} else {
			sb->has_cg = true;
		}
	}
	int sv[2];
	if (gph_fault_point("holder.fork", e) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		gph_fail(e, errno, NULL, "socketpair(AF_UNIX, SOCK_SEQPACKET)");
		goto fail;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		gph_fail(e, errno, NULL, "fork()");
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	if (pid == 0) {
		close(sv[0]);
		/* If the runtime dies, so does the sandbox (and with it the namespaces). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		gph_holder_main(sv[1], sb->has_cg ? &sb->cg : NULL);
	}
	close(sv[1]);
	sb->sock = sv[0];
	sb->holder = pid;
	/* The holder moves itself into the cgroup (when there is one) first thing and replies (B20). */
	struct hrep rp;
	ssize_t got;
	do
		got = gph_msg_recv(sb->sock, &rp, sizeof rp, NULL, NULL);
	while (got > 0 && gph_trace_take(&rp));
	if (got <= 0) {
		gph_fail(e, got < 0 ? errno : EPIPE, NULL, "waiting for the sandbox process to enter its cgroup");
		goto fail;
	}
	if (rp.rc < 0) {
		*e = rp.err;
		gph_err_wrap(e, "the sandbox process entering the container's cgroup: ");
		goto fail;
	}
	if (sb->joined) {
		struct hreq *jr = &req;
		memset(jr, 0, sizeof *jr);
		jr->op = HREQ_JOIN;
		jr->join_pid = o->join_pid;
		if (gph_holder_call(sb, jr, &rp, NULL, 0, e) < 0)
			goto fail;
		/* The container's root and namespaces are already made: each exec is one more process in
		 * them (no PID namespace of its own, no mount namespace copy: the masks are there). */
		sb->ns = rp.ns;
		sb->rooted = sb->pivoted = true;
		sb->pid_ns = false;
		return 0;
	}
	if (gph_state_write(sb, 0, e) < 0)
		goto fail;
	return 0;
fail:
	gph_sandbox_destroy(sb);
	return -1;
}

/* A refusal of a step whose effect is already there: an error, but the sandbox is still what was
 * asked for, so it does not block exec. */
#define ALREADY (-2)

static int refuse(struct gph_err *e, const char *step, const char *why, const char *hint)
{
	return gph_fail(e, 0, hint, "%s: %s", step, why);
}

static void log_step(struct gph_sandbox *sb, const struct gph_step *st, const char *extra)
{
	if (sb->log) {
		/* a note on a line of its own comes after "done" */
		if (extra && extra[0] == '\n')
			fprintf(sb->log, "=> %s ... done%s\n", st->text, extra);
		else
			fprintf(sb->log, "=> %s%s ... done\n", st->text, extra ? extra : "");
		fflush(sb->log);
	} else if (sb->notes && extra && extra[0] == '\n') {
		fprintf(sb->notes, "gophernetes: %s: %s\n", st->text, extra + strspn(extra, "\n "));
	}
}

/* A bridged sandbox gets /etc/resolv.conf and /etc/hosts of its own, written here in its state
 * directory and bound into the new root by the holder just before the root changes (afterwards the
 * holder can no longer see these files). */
static int net_files(struct gph_sandbox *sb, struct hreq *rq, struct gph_err *e)
{
	char ip[INET_ADDRSTRLEN], line[512];
	const char *root = gph_state_root();
	inet_ntop(AF_INET, &sb->bridge_ip, ip, sizeof ip);
	if (strlen(root) > PATH_MAX - 64)
		return gph_fail(e, ENAMETOOLONG, NULL, "state directory %s", root);
	snprintf(rq->bind_src[0], PATH_MAX, "%.*s/%s/resolv.conf", PATH_MAX - 64, root, sb->id);
	snprintf(rq->bind_src[1], PATH_MAX, "%.*s/%s/hosts", PATH_MAX - 64, root, sb->id);
	snprintf(rq->bind_dst[0], 32, "/etc/resolv.conf");
	snprintf(rq->bind_dst[1], 32, "/etc/hosts");
	FILE *f = fopen(rq->bind_src[0], "we");
	if (!f)
		return gph_fail(e, errno, NULL, "open(\"%s\")", rq->bind_src[0]);
	fprintf(f, "# written by gophernetes for container %s\n", sb->id);
	/* The host's resolvers, except loopback ones (a stub such as 127.0.0.53 is the container's own
	 * loopback inside its network namespace, where nothing answers). */
	FILE *h = fopen("/etc/resolv.conf", "re");
	int n = 0;
	while (h && fgets(line, sizeof line, h))
		if (strncmp(line, "nameserver ", 11) == 0 && strncmp(line + 11, "127.", 4) && strncmp(line + 11, "::1", 3)) {
			fputs(line, f);
			n++;
		}
	if (h)
		fclose(h);
	if (!n)
		fprintf(f, "# the host has no resolver reachable from a container (only loopback ones)\n");
	if (fclose(f) != 0)
		return gph_fail(e, errno, NULL, "write(\"%s\")", rq->bind_src[0]);
	f = fopen(rq->bind_src[1], "we");
	if (!f)
		return gph_fail(e, errno, NULL, "open(\"%s\")", rq->bind_src[1]);
	fprintf(f, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n", ip,
		sb->hostname[0] ? sb->hostname : sb->id);
	if (fclose(f) != 0)
		return gph_fail(e, errno, NULL, "write(\"%s\")", rq->bind_src[1]);
	rq->nbinds = 2;
	return 0;
}

static int apply_inside(struct gph_sandbox *sb, const struct gph_step *st, char *note, size_t note_len,
			struct gph_err *e)
{
	struct hrep rp;
	memset(&req, 0, sizeof req);
	req.op = HREQ_STEP;
	req.step = *st;
	/* Only in a mount namespace of the sandbox's own: these binds must never land on the host. */
	if ((st->kind == GPH_STEP_CHROOT || st->kind == GPH_STEP_PIVOT_ROOT) && sb->has_bridge &&
	    (sb->ns & CLONE_NEWNS) && net_files(sb, &req, e) < 0)
		return -1;
	if ((st->kind == GPH_STEP_CHROOT || st->kind == GPH_STEP_PIVOT_ROOT) && sb->n_binds > 0) {
		memcpy(req.xbinds, sb->binds, (size_t)sb->n_binds * sizeof sb->binds[0]);
		req.n_xbinds = sb->n_binds;
	}
	if (gph_holder_call(sb, &req, &rp, NULL, 0, e) < 0)
		return -1;
	if (note && rp.info[0])
		snprintf(note, note_len, "\n   note: %.400s", rp.info);
	return 0;
}

static int apply_veth(struct gph_sandbox *sb, struct gph_err *e)
{
	struct gph_veth v;
	struct hrep rp;
	memset(&v, 0, sizeof v);
	snprintf(v.ctr_if, sizeof v.ctr_if, "eth0");
	if (gph_fault_point("net.veth", e) < 0 || gph_net_veth_create(&v, sb->id, sb->holder, e) < 0)
		return -1;
	sb->veth = v;
	sb->has_veth = true;
	if (gph_state_write(sb, 0, e) < 0)
		goto undo;
	memset(&req, 0, sizeof req);
	req.op = HREQ_NET_INSIDE;
	req.veth = v;
	if (gph_holder_call(sb, &req, &rp, NULL, 0, e) < 0)
		goto undo;
	return 0;
undo:; /* B23: the host end goes whenever the inside could not be finished */
	struct gph_err ignore;
	gph_net_veth_delete(&sb->veth, &ignore);
	sb->has_veth = false;
	return -1;
}

/* Limits are written from out here: cgroupfs is the runtime's, the sandbox may no longer see it. */
static int apply_cgroup(struct gph_sandbox *sb, const struct gph_step *st, char *note, size_t note_len,
			struct gph_err *e)
{
	if (gph_fault_point("cgroup.limit", e) < 0)
		return -1;
	switch (st->res) {
	case GPH_RES_MEM:
		if (gph_cg_set_memory(&sb->cg, st->bytes, e) < 0)
			return -1;
		sb->memory_limit = st->bytes;
		return 0;
	case GPH_RES_SWAP:
		return gph_cg_set_memory_swap(&sb->cg, st->bytes, e);
	case GPH_RES_CPU:
		return gph_cg_set_cpu_max(&sb->cg, st->bytes, st->value2, e);
	case GPH_RES_CPUWEIGHT:
		if (gph_cg_set_cpu_weight(&sb->cg, (int)st->bytes, e) < 0)
			return -1;
		if (sb->cg.mode != GPH_CG_V2)
			snprintf(note, note_len, " (cpu.shares %llu)", gph_cg_weight_to_shares((int)st->bytes));
		return 0;
	case GPH_RES_CPUSET:
		return gph_cg_set_cpuset(&sb->cg, st->path, e);
	case GPH_RES_PIDS:
		return gph_cg_set_pids(&sb->cg, st->bytes, e);
	case GPH_RES_IOWEIGHT: {
		char msg[512];
		if (gph_cg_set_io_weight(&sb->cg, (int)st->bytes, msg, sizeof msg, e) < 0)
			return -1;
		if (msg[0])
			snprintf(note, note_len, "\n   %s", msg);
		return 0;
	}
	case GPH_RES_IORBPS:
	case GPH_RES_IOWBPS:
		return gph_cg_set_io_bps(&sb->cg, st->path, st->res == GPH_RES_IOWBPS, st->bytes, e);
	}
	return gph_fail(e, EINVAL, NULL, "unknown cgroup resource");
}

/* `net bridge`: the bridge (made on first use), an address, a veth into the bridge, eth0 inside. */
static int apply_bridge(struct gph_sandbox *sb, const struct gph_step *st, char *note, size_t note_len,
			struct gph_err *e)
{
	struct gph_bridge b;
	struct in_addr want, ip;
	bool created = false;
	struct gph_err ign;
	if (gph_bridge_init(&b, st->bridge, e) < 0 || (st->subnet[0] && gph_bridge_set_subnet(&b, st->subnet, e) < 0))
		return -1;
	if (st->ip[0] && inet_pton(AF_INET, st->ip, &want) != 1)
		return gph_fail(e, EINVAL, NULL, "bad address \"%s\"", st->ip);
	if (gph_fault_point("net.bridge", e) < 0 || gph_bridge_ensure(&b, &created, e) < 0)
		return -1;
	/* In the ledger before the address is taken, so gc can always give it back. */
	sb->bridge = b;
	sb->has_bridge = true;
	if (gph_state_write(sb, sb->main_pid, e) < 0)
		goto undo;
	if (gph_fault_point("net.ipam", e) < 0 || gph_ipam_alloc(gph_state_root(), &b, sb->id, st->ip[0] ? &want : NULL, &ip, e) < 0)
		goto undo;
	sb->bridge_ip = ip;
	struct gph_veth v;
	memset(&v, 0, sizeof v);
	snprintf(v.ctr_if, sizeof v.ctr_if, "eth0");
	if (gph_fault_point("net.attach", e) < 0 || gph_bridge_attach(&v, sb->id, sb->holder, &b, ip, e) < 0)
		goto undo;
	sb->veth = v;
	sb->has_veth = true;
	if (gph_fault_point("net.attached", e) < 0 || gph_state_write(sb, sb->main_pid, e) < 0)
		goto undo_veth;
	memset(&req, 0, sizeof req);
	req.op = HREQ_NET_INSIDE;
	req.veth = v;
	struct hrep rp;
	if (gph_holder_call(sb, &req, &rp, NULL, 0, e) < 0)
		goto undo_veth;
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &ip, a, sizeof a);
	inet_ntop(AF_INET, &b.gateway, g, sizeof g);
	snprintf(note, note_len, " (%s%s, gateway %s/%d; eth0 %s; host end %s)", created ? "created bridge " : "bridge ",
		 b.name, g, b.prefix, a, v.host_if);
	if (sb->rooted)
		snprintf(note + strlen(note), note_len - strlen(note),
			 "\n   note: the root was changed before `net bridge`, so /etc/resolv.conf and /etc/hosts are not "
			 "provided (apply `net bridge` before chroot/pivot_root)");
	return 0;
undo_veth:
	gph_net_veth_delete(&sb->veth, &ign);
	sb->has_veth = false;
undo:
	gph_ipam_release(gph_state_root(), &b, sb->id, &ign);
	sb->has_bridge = false;
	gph_state_write(sb, sb->main_pid, &ign);
	return -1;
}

static int apply_net(struct gph_sandbox *sb, const struct gph_step *st, char *extra, size_t extra_len,
		     struct gph_err *e)
{
	switch (st->net) {
	case GPH_NET_NONE:
		/* Nothing to create: the state `ns net` left (lo only) is the "none" network. */
		if (!(sb->ns & CLONE_NEWNET))
			return refuse(e, st->text, "without `ns net` the sandbox shares the host's network",
				      "run `ns net` first");
		if (sb->has_veth)
			return refuse(e, st->text, "the sandbox is already connected", "`reset` starts over");
		snprintf(extra, extra_len, " (only lo: nothing in or out)");
		return 0;
	case GPH_NET_VETH:
	case GPH_NET_BRIDGE:
		if (!(sb->ns & CLONE_NEWNET))
			return refuse(e, st->text, "the inside end would land in the host's network namespace",
				      "run `ns net` first");
		if (sb->has_veth) {
			refuse(e, st->text, "the sandbox is already connected", "`reset` starts over");
			return ALREADY;
		}
		if (st->net == GPH_NET_BRIDGE)
			return apply_bridge(sb, st, extra, extra_len, e);
		if (apply_veth(sb, e) < 0)
			return -1;
		char h[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &sb->veth.host_addr, h, sizeof h);
		inet_ntop(AF_INET, &sb->veth.ctr_addr, c, sizeof c);
		snprintf(extra, extra_len, " (host %s %s/%d, inside %s %s/%d)", sb->veth.host_if, h, sb->veth.prefix,
			 sb->veth.ctr_if, c, sb->veth.prefix);
		return 0;
	case GPH_NET_NAT: {
		char note[256];
		if (!sb->has_bridge)
			return refuse(e, st->text, "NAT is for a bridge's subnet", "run `net bridge` first");
		if (gph_fault_point("net.nat", e) < 0 || gph_nat_ensure_bridge(&sb->bridge, note, sizeof note, e) < 0)
			return -1;
		sb->nat = true;
		if (note[0])
			snprintf(extra, extra_len, "\n   note: %s", note);
		return 0;
	}
	case GPH_NET_PORT:
		if (!sb->has_bridge)
			return refuse(e, st->text, "a published port forwards to the sandbox's bridge address",
				      "run `net bridge` first");
		sb->n_ports++; /* in the ledger first: gc unpublishes by id */
		if (gph_state_write(sb, sb->main_pid, e) < 0 || gph_fault_point("net.port", e) < 0 ||
		    gph_nat_publish(sb->id, &sb->bridge, sb->bridge_ip, st->host_port, st->ctr_port, st->proto, e) < 0) {
			sb->n_ports--;
			return -1;
		}
		return 0;
	}
	return gph_fail(e, EINVAL, NULL, "unknown net mode");
}

static int apply(struct gph_sandbox *sb, const struct gph_step *st, struct gph_err *e)
{
	char extra[640] = "";
	switch (st->kind) {
	case GPH_STEP_NS: {
		if (st->join) {
			if (sb->ns & st->ns_flags)
				return refuse(e, st->text, "the sandbox already has a namespace of this kind", "`reset` starts over");
			if (sb->userns)
				return refuse(e, st->text, "after `ns user` the sandbox has no privileges over the host's namespaces",
					      "join before `ns user`");
			if (apply_inside(sb, st, NULL, 0, e) < 0)
				return -1;
			sb->ns |= st->ns_flags;
			break;
		}
		int again = st->ns_flags & (sb->ns | (sb->pid_ns ? CLONE_NEWPID : 0) | (sb->userns ? CLONE_NEWUSER : 0));
		if (again) {
			char names[64];
			gph_ns_flags_str(again, names, sizeof names);
			refuse(e, st->text, "the sandbox already has its own namespace of this kind", NULL);
			gph_err_hint(e, "already applied: %s (`reset` starts over)", names);
			return ALREADY;
		}
		if (sb->rooted && (st->ns_flags & CLONE_NEWNS))
			return refuse(e, st->text, "apply `ns mnt` before chroot/pivot_root",
				      "`reset` and apply the namespaces first");
		if (sb->rootless && !sb->userns && !(st->ns_flags & CLONE_NEWUSER))
			return gph_fail(e, EPERM, "run as root, or apply `ns user` first (rootless mode)",
					"%s: creating namespaces needs CAP_SYS_ADMIN, which you have only in a user namespace of "
					"your own", st->text);
		if (st->ns_flags & CLONE_NEWUSER) {
			if (sb->ns || sb->pid_ns || sb->rooted)
				return refuse(e, st->text, "`ns user` must come before the other namespaces and the root change",
					      "`reset`, then `ns user` first (or `ns user pid uts ...` in one step): namespaces "
					      "made before it belong to the host's user namespace, which root inside the new one "
					      "cannot administer");
			if (gph_userns_enter(sb, st, extra, sizeof extra, e) < 0)
				return -1;
			sb->userns = true;
		}
		struct gph_step rest = *st;
		rest.ns_flags &= ~CLONE_NEWUSER;
		if (rest.ns_flags && apply_inside(sb, &rest, NULL, 0, e) < 0)
			return -1;
		sb->ns |= rest.ns_flags & ~CLONE_NEWPID;
		if (st->ns_flags & CLONE_NEWPID) {
			sb->pid_ns = true;
			snprintf(extra + strlen(extra), sizeof extra - strlen(extra),
				 " (each exec will be PID 1 of a new PID namespace)");
		}
		break;
	}
	case GPH_STEP_HOSTNAME:
		if (!(sb->ns & CLONE_NEWUTS))
			return refuse(e, st->text, "this would rename the host", "run `ns uts` first");
		if (apply_inside(sb, st, NULL, 0, e) < 0)
			return -1;
		snprintf(sb->hostname, sizeof sb->hostname, "%s", st->hostname);
		break;
	case GPH_STEP_IMAGE: {
		if (!(sb->ns & CLONE_NEWNS))
			return refuse(e, st->text, "this would mount on the host", "run `ns mnt` first");
		if (sb->rooted || sb->image_dir[0])
			return refuse(e, st->text, "an image mounts before the root changes, and once",
				      "`reset` starts a new sandbox");
		struct gph_step *copy = malloc(sizeof *copy);
		if (!copy)
			return gph_fail(e, ENOMEM, NULL, "%s", st->text);
		*copy = *st;
		/* The ledger names the directory before it exists, so that gc finds it after a SIGKILL. */
		snprintf(sb->image_dir, sizeof sb->image_dir, "%.4000s/containers/%s", st->image_store, sb->id);
		if (gph_state_write(sb, 0, e) < 0) {
			sb->image_dir[0] = '\0';
			free(copy);
			return -1;
		}
		int r = gph_image_ctr_prepare(st, sb->id, copy->image_dir, sizeof copy->image_dir, e);
		if (r < 0 && e->errnum == EEXIST) /* not ours: never remove it */
			sb->image_dir[0] = '\0';
		if (r == 0)
			r = apply_inside(sb, copy, NULL, 0, e);
		free(copy);
		if (r < 0)
			return -1;
		snprintf(extra, sizeof extra, " (root for pivot_root/chroot: %.560s/merged)", sb->image_dir);
		break;
	}
	case GPH_STEP_CHROOT:
	case GPH_STEP_PIVOT_ROOT:
		if (!st->path[0]) {
			/* No DIR: the image's root. */
			if (!sb->image_dir[0])
				return refuse(e, st->text, "which directory?", "give DIR, or apply `image REF` first");
			struct gph_step *copy = malloc(sizeof *copy);
			if (!copy)
				return gph_fail(e, ENOMEM, NULL, "%s", st->text);
			*copy = *st;
			snprintf(copy->path, sizeof copy->path, "%.4000s/merged", sb->image_dir);
			int r = apply(sb, copy, e);
			free(copy);
			return r;
		}
		if (sb->rooted) {
			refuse(e, st->text, sb->pivoted ? "the root was already changed with pivot_root"
							: "the root was already changed with chroot",
			       "`reset` starts a new sandbox");
			return ALREADY;
		}
		if (st->kind == GPH_STEP_PIVOT_ROOT && !(sb->ns & CLONE_NEWNS))
			return refuse(e, st->text, "pivot_root changes the mount namespace, which is the host's",
				      "run `ns mnt` first");
		if (apply_inside(sb, st, extra, sizeof extra, e) < 0)
			return -1;
		sb->rooted = true;
		sb->pivoted = st->kind == GPH_STEP_PIVOT_ROOT;
		snprintf(sb->root, sizeof sb->root, "%s", st->path);
		break;
	case GPH_STEP_MOUNT:
		if (!(sb->ns & CLONE_NEWNS))
			return refuse(e, st->text, "this would mount on the host", "run `ns mnt` first");
		if (apply_inside(sb, st, NULL, 0, e) < 0)
			return -1;
		if (st->mount == GPH_MOUNT_PROC && sb->pid_ns)
			snprintf(extra, sizeof extra, " (each exec remounts it for its own PID namespace)");
		break;
	case GPH_STEP_CGROUP:
		if (!sb->has_cg) {
			char hint[512];
			snprintf(hint, sizeof hint, "limits need a cgroup; rootless mode creates one only below a "
				 "delegated cgroup v2 directory, and %s", sb->no_cg_why);
			return refuse(e, st->text, "this sandbox has no cgroup", hint);
		}
		if (apply_cgroup(sb, st, extra, sizeof extra, e) < 0)
			return -1;
		break;
	case GPH_STEP_CAP:
	case GPH_STEP_SECCOMP:
	case GPH_STEP_NNP:
	case GPH_STEP_MASK:
	case GPH_STEP_USER:
	case GPH_STEP_WORKDIR:
		if (gph_sandbox_apply_priv(sb, st, extra, sizeof extra, e) < 0)
			return -1;
		break;
	case GPH_STEP_READONLY:
		if (!sb->pivoted)
			return refuse(e, st->text, "the root is not a mount of the sandbox's own",
				      "apply `pivot_root DIR` first (after chroot, \"/\" is the host's mount)");
		if (apply_inside(sb, st, NULL, 0, e) < 0)
			return -1;
		break;
	case GPH_STEP_NET: {
		if (sb->rootless && st->net != GPH_NET_NONE)
			return refuse(e, st->text, "links on the host need root (CAP_NET_ADMIN in the host's network namespace)",
				      "not root: use `net none` (lo only) or share the host's network (no `ns net`)");
		int r = apply_net(sb, st, extra, sizeof extra, e);
		if (r < 0)
			return r;
		break;
	}
	}
	log_step(sb, st, extra);
	return 0;
}

int gph_sandbox_trace(struct gph_sandbox *sb, bool on, struct gph_err *e)
{
	struct hrep rp;
	if (sb->holder <= 0)
		return 0; /* the next sandbox inherits the setting when it is forked */
	memset(&req, 0, sizeof req);
	req.op = HREQ_TRACE;
	req.step.on = on;
	return gph_holder_call(sb, &req, &rp, NULL, 0, e);
}

void gph_sandbox_mark_failed(struct gph_sandbox *sb, const char *text)
{
	snprintf(sb->failed_step, sizeof sb->failed_step, "%s", text);
}

/* "ns pid" and "ns" are the same command: compare the first words. */
static bool same_command(const char *a, const char *b)
{
	size_t la = strcspn(a, " "), lb = strcspn(b, " ");
	return la == lb && strncmp(a, b, la) == 0;
}

int gph_sandbox_apply(struct gph_sandbox *sb, const struct gph_step *st, struct gph_err *e)
{
	if (sb->holder <= 0)
		return gph_fail(e, 0, "`reset` starts a new one", "there is no sandbox");
	int rc = apply(sb, st, e);
	if (rc < 0) {
		gph_err_wrap(e, "step `%s`: ", st->text);
		/* B29: a failed step blocks exec until that command succeeds (or `reset`). */
		if (rc != ALREADY)
			gph_sandbox_mark_failed(sb, st->text);
		return -1;
	}
	if (sb->failed_step[0] && same_command(sb->failed_step, st->text))
		sb->failed_step[0] = '\0';
	struct gph_step *n = realloc(sb->steps, sizeof *n * (size_t)(sb->n_steps + 1));
	if (n) {
		sb->steps = n;
		sb->steps[sb->n_steps++] = *st;
	}
	return 0;
}

static void pack_args(char *const *argv, char *const *env, struct gph_err *e, int *rc)
{
	size_t off = 0;
	*rc = 0;
	req.argc = req.envc = 0;
	for (int pass = 0; pass < 2; pass++) {
		char *const *v = pass ? env : argv;
		for (; *v; v++) {
			size_t l = strlen(*v) + 1;
			if (off + l > sizeof req.args) {
				*rc = gph_fail(e, E2BIG, NULL, "the command line and environment exceed %zu bytes",
					       sizeof req.args);
				return;
			}
			memcpy(req.args + off, *v, l);
			off += l;
			if (pass)
				req.envc++;
			else
				req.argc++;
		}
	}
}

int gph_sandbox_exec(struct gph_sandbox *sb, const struct gph_exec_opts *x, struct gph_exec_result *r,
		     struct gph_err *e)
{
	memset(r, 0, sizeof *r);
	struct hreq *rq;
	if (gph_sandbox_exec_request(sb, x, &rq, e) < 0)
		return -1;
	return gph_exec_wait(sb, x, rq, r, e);
}

int gph_sandbox_exec_request(struct gph_sandbox *sb, const struct gph_exec_opts *x, struct hreq **rq,
			     struct gph_err *e)
{
	if (sb->holder <= 0)
		return gph_fail(e, 0, "`reset` starts a new one", "there is no sandbox");
	if (sb->failed_step[0])
		return gph_fail(e, 0, "run it again so that it succeeds, or `reset`",
				"exec: the step `%s` failed, so the sandbox is not what you asked for", sb->failed_step);
	if (!x->argv || !x->argv[0])
		return gph_fail(e, 0, "e.g. exec /bin/sh", "exec: which command?");
	FILE *nf = sb->log ? sb->log : sb->notes;
	if (!sb->pid_ns && nf) {
		/* Not refused (seeing the host's PIDs is lesson one), but never silent: a root command here
		 * can signal, or kill, every process of the machine. */
		fprintf(nf, "note: no `ns pid`: this command shares the host's PID namespace and, as root, can "
			    "signal every process on this machine\n");
		fflush(nf);
	}
	char hostname_env[80], term_env[80];
	char *defenv[5];
	char *const *env = x->env;
	if (!env) {
		/* A clean environment: nothing of the host's leaks in but TERM. */
		const char *term = getenv("TERM");
		snprintf(term_env, sizeof term_env, "TERM=%s", term && *term && strlen(term) < 64 ? term : "xterm");
		snprintf(hostname_env, sizeof hostname_env, "HOSTNAME=%s", sb->hostname[0] ? sb->hostname : sb->id);
		defenv[0] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
		defenv[1] = sb->priv.has_user && sb->priv.uid != 0 ? "HOME=/" : "HOME=/root";
		defenv[2] = term_env;
		defenv[3] = hostname_env;
		defenv[4] = NULL;
		env = defenv;
	}
	memset(&req, 0, sizeof req);
	req.op = HREQ_EXEC;
	req.new_pidns = sb->pid_ns;
	req.tty = x->tty;
	req.init = x->init;
	if (gph_sandbox_resolve_user(sb, e) < 0)
		return -1;
	req.oom_score_adj = x->oom_score_adj;
	if (x->ngroups < 0 || x->ngroups > (int)(sizeof req.groups / sizeof req.groups[0]))
		return gph_fail(e, E2BIG, NULL, "at most %zu supplementary groups", sizeof req.groups / sizeof req.groups[0]);
	for (int i = 0; i < x->ngroups; i++)
		req.groups[i] = x->groups[i];
	req.ngroups = x->ngroups;
	gph_sandbox_priv_request(sb, &req);
	if (gph_sandbox_priv_seccomp(sb, &req, e) < 0)
		return -1;
	int rc;
	pack_args(x->argv, env, e, &rc);
	if (rc < 0 || gph_fault_point("exec", e) < 0)
		return -1;
	*rq = &req;
	return 0;
}

void gph_sandbox_destroy(struct gph_sandbox *sb)
{
	struct gph_err ignore;
	if (sb->sock >= 0) {
		close(sb->sock);
		sb->sock = -1;
	}
	if (sb->holder > 0) {
		/* Killing the holder drops the namespaces it holds; its exec'd commands go with the
		 * cgroup below. */
		kill(sb->holder, SIGKILL);
		while (waitpid(sb->holder, NULL, 0) < 0 && errno == EINTR)
			;
		sb->holder = -1;
	}
	if (sb->joined) {
		/* The cgroup and namespaces are the joined container's. */
		sb->has_cg = false;
		free(sb->steps);
		sb->steps = NULL;
		sb->n_steps = 0;
		free(sb->binds);
		sb->binds = NULL;
		sb->n_binds = 0;
		return;
	}
	if (sb->has_cg) {
		if (gph_cg_destroy(&sb->cg, &ignore) < 0)
			gph_err_print(&ignore, stderr, "gophernetes: warning");
		else
			sb->has_cg = false;
	}
	/* The overlay lived in the sandbox's mount namespace, gone with its last process: the
	 * container's upper and work directories go now. */
	if (sb->image_dir[0] && !sb->has_cg) {
		if (gph_rm_tree(sb->image_dir, &ignore) < 0)
			gph_err_print(&ignore, stderr, "gophernetes: warning");
		sb->image_dir[0] = 0;
	}
	/* The host end of a veth vanishes with the network namespace (the kernel deletes the pair);
	 * we do not wait for that. `gc` deletes it if it somehow outlives us. */
	sb->has_veth = false;
	bool net_left = false;
	if (sb->n_ports > 0) {
		if (gph_nat_unpublish(sb->id, &ignore) < 0) {
			gph_err_print(&ignore, stderr, "gophernetes: warning");
			net_left = true;
		} else {
			sb->n_ports = 0;
		}
	}
	if (sb->has_bridge) {
		if (gph_ipam_release(gph_state_root(), &sb->bridge, sb->id, &ignore) < 0) {
			gph_err_print(&ignore, stderr, "gophernetes: warning");
			net_left = true;
		} else {
			sb->has_bridge = false;
		}
	}
	if (!sb->has_cg && !net_left) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof path, "%s/%s/resolv.conf", gph_state_root(), sb->id);
		unlink(path);
		snprintf(path, sizeof path, "%s/%s/hosts", gph_state_root(), sb->id);
		unlink(path);
		gph_state_remove(sb);
	}
	free(sb->steps);
	sb->steps = NULL;
	sb->n_steps = 0;
	free(sb->binds);
	sb->binds = NULL;
	sb->n_binds = 0;
}

void gph_exec_oom_message(const struct gph_sandbox *sb, const struct gph_exec_result *r, char *buf, size_t len)
{
	char lim[32] = "none";
	buf[0] = '\0';
	if (r->oom_kills <= 0)
		return;
	if (sb->memory_limit)
		gph_format_size(sb->memory_limit, lim, sizeof lim);
	/* The counter says the kernel's OOM killer acted in this cgroup; a SIGKILL of the command at the
	 * same time means the command was its victim. */
	if (WIFSIGNALED(r->wstatus) && WTERMSIG(r->wstatus) == SIGKILL && !r->escalated)
		snprintf(buf, len, "container killed: out of memory (limit %s)", lim);
	else
		snprintf(buf, len, "a process in the container was killed: out of memory (limit %s)%s", lim,
			 r->oom_kills > 1 ? ", more than once" : "");
}
