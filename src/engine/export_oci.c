/* `export oci DIR`: the steps a sandbox applied, as an OCI bundle's config.json (runtime-spec 1.0.2),
 * so a lesson's container runs under `gophernetes run --bundle`, runc or crun. A pure function of
 * the step list; what config.json cannot say (host-side networks, chroot, an image root, device
 * throttles) is named with the reason instead. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gph/export.h"
#include "gph/harden.h"

static void str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void why(struct gph_export *out, const struct gph_step *st, int i, const char *text)
{
	if (out->n_why >= GPH_EXPORT_MAX_WHY)
		return;
	struct gph_export_why *w = &out->why[out->n_why++];
	w->step = i;
	snprintf(w->text, sizeof w->text, "%s", st ? st->text : "");
	snprintf(w->why, sizeof w->why, "%s", text);
}

/* "C H N\n..." (as uid_map wants it) -> [{"containerID":C,"hostID":H,"size":N},...] */
static void idmap(FILE *f, const char *lines)
{
	unsigned long c, h, n;
	int first = 1, used;
	fputc('[', f);
	while (sscanf(lines, "%lu %lu %lu%n", &c, &h, &n, &used) == 3) {
		fprintf(f, "%s{\"containerID\": %lu, \"hostID\": %lu, \"size\": %lu}", first ? "" : ", ", c, h, n);
		first = 0;
		lines += used;
		while (*lines == '\n' || *lines == ' ')
			lines++;
	}
	fputc(']', f);
}

static void caps_list(FILE *f, uint64_t set)
{
	char name[32];
	int first = 1;
	fputc('[', f);
	for (int c = 0; c < 64; c++)
		if (set & GPH_CAP_BIT(c)) {
			char full[40];
			gph_caps_name(c, name, sizeof name);
			snprintf(full, sizeof full, "CAP_%s", name);
			fprintf(f, "%s", first ? "" : ", ");
			str(f, full);
			first = 0;
		}
	fputc(']', f);
}

static void path_list(FILE *f, enum gph_path_kind kind)
{
	size_t n;
	const struct gph_path_rule *r = gph_paths_rules(&n);
	int first = 1;
	fputc('[', f);
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == kind) {
			fprintf(f, "%s\"/%s/%s\"", first ? "" : ", ", r[i].base == GPH_PATH_PROC ? "proc" : "sys", r[i].rel);
			first = 0;
		}
	fputc(']', f);
}

/* The default profile's unconditional rules as the spec's JSON: EPERM and ENOSYS lists. */
static void seccomp(FILE *f, uint64_t caps)
{
	size_t n;
	const struct gph_seccomp_rule *r = gph_seccomp_rules(&n);
	fprintf(f, "    \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"], \"syscalls\": [");
	for (int pass = 0; pass < 2; pass++) {
		int first = 1;
		fprintf(f, "%s{\"names\": [", pass ? ", " : "");
		for (size_t i = 0; i < n; i++) {
			if (!gph_seccomp_rule_active(&r[i], caps) || r[i].how != (pass ? GPH_SC_ENOSYS : GPH_SC_DENY))
				continue;
			fprintf(f, "%s", first ? "" : ", ");
			str(f, r[i].syscall);
			first = 0;
		}
		fprintf(f, "], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": %d}", pass ? 38 : 1);
	}
	fprintf(f, "]},\n");
}

int gph_export_oci(const struct gph_step *steps, int n, char *const *cmd, FILE *f, struct gph_export *out)
{
	memset(out, 0, sizeof *out);
	const struct gph_step *ns_new = NULL, *joins[3] = {NULL, NULL, NULL}, *host = NULL, *root = NULL, *user = NULL,
			      *wd = NULL, *mounts[16];
	int n_mounts = 0, n_joins = 0;
	bool ro = false, nnp = false, sc = false, mask = false;
	struct gph_caps caps;
	gph_caps_all(&caps); /* a new sandbox starts with everything */
	long long mem = 0, swap = 0, quota = 0, period = 0, weight = 0, pids = 0, ioweight = 0;
	const char *cpuset = NULL;
	for (int i = 0; i < n; i++) {
		const struct gph_step *st = &steps[i];
		struct gph_err ign;
		switch (st->kind) {
		case GPH_STEP_NS:
			if (st->join) {
				if (n_joins < 3)
					joins[n_joins++] = st;
			} else if (ns_new) {
				why(out, st, i, "export oci takes the namespaces of one `ns` step; give them all in one");
			} else {
				ns_new = st;
			}
			break;
		case GPH_STEP_HOSTNAME: host = st; break;
		case GPH_STEP_PIVOT_ROOT:
			if (!st->path[0])
				why(out, st, i, "the root is an image's overlay: config.json needs a directory");
			root = st;
			break;
		case GPH_STEP_CHROOT: why(out, st, i, "OCI runtimes change the root with pivot_root; use `pivot_root`"); break;
		case GPH_STEP_IMAGE: why(out, st, i, "an image is not a bundle: `gophernetes` runs images with run --image"); break;
		case GPH_STEP_MOUNT:
			if (n_mounts < 16)
				mounts[n_mounts++] = st;
			break;
		case GPH_STEP_CGROUP:
			switch (st->res) {
			case GPH_RES_MEM: mem = st->bytes; break;
			case GPH_RES_SWAP: swap = st->bytes; break;
			case GPH_RES_CPU: quota = st->bytes; period = st->value2; break;
			case GPH_RES_CPUWEIGHT: weight = st->bytes; break;
			case GPH_RES_CPUSET: cpuset = st->path; break;
			case GPH_RES_PIDS: pids = st->bytes; break;
			case GPH_RES_IOWEIGHT: ioweight = st->bytes; break;
			default: why(out, st, i, "device throttles need the device's major:minor in config.json; not exported yet");
			}
			break;
		case GPH_STEP_NET:
			if (st->net != GPH_NET_NONE)
				why(out, st, i, "host-side links are the engine's job under an OCI runtime (podman, CNI): the bundle "
						"gets only its network namespace");
			break;
		case GPH_STEP_CAP:
			if (st->cap_op == GPH_CAPOP_DEFAULT)
				gph_caps_default(&caps);
			else if (st->cap_op == GPH_CAPOP_ALL)
				gph_caps_all(&caps);
			else
				for (int c = 0; c < 64; c++) {
					char name[32];
					if (!(st->caps & gph_caps_known() & GPH_CAP_BIT(c)))
						continue;
					gph_caps_name(c, name, sizeof name);
					(st->cap_op == GPH_CAPOP_DROP ? gph_caps_drop : gph_caps_add)(&caps, name, &ign);
				}
			break;
		case GPH_STEP_SECCOMP: sc = st->on; break;
		case GPH_STEP_NNP: nnp = st->on; break;
		case GPH_STEP_MASK: mask = st->on; break;
		case GPH_STEP_USER: user = st; break;
		case GPH_STEP_WORKDIR: wd = st; break;
		case GPH_STEP_READONLY: ro = true; break;
		}
	}
	if (!root)
		why(out, NULL, -1, "no `pivot_root DIR`: a bundle needs a root directory");
	if (!ns_new || !(ns_new->ns_flags & CLONE_NEWNS))
		why(out, ns_new, -1, "no `ns mnt`: OCI runtimes need a mount namespace of the container's own");
	if (out->n_why)
		return 1;
	fprintf(f, "{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {\n    \"terminal\": false,\n");
	fprintf(f, "    \"user\": {\"uid\": %u, \"gid\": %u},\n", user ? user->uid : 0, user ? user->gid : 0);
	fprintf(f, "    \"args\": [");
	static char *const sh[] = {"/bin/sh", NULL};
	for (char *const *a = cmd && cmd[0] ? cmd : sh; *a; a++) {
		fprintf(f, "%s", a == (cmd && cmd[0] ? cmd : sh) ? "" : ", ");
		str(f, *a);
	}
	fprintf(f, "],\n    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"HOME=/root\", \"TERM=xterm\"],\n");
	fprintf(f, "    \"cwd\": ");
	str(f, wd ? wd->path : "/");
	fprintf(f, ",\n    \"capabilities\": {\"bounding\": ");
	caps_list(f, caps.bounding);
	fprintf(f, ", \"effective\": ");
	caps_list(f, caps.bounding);
	fprintf(f, ", \"permitted\": ");
	caps_list(f, caps.bounding);
	fprintf(f, "},\n    \"noNewPrivileges\": %s\n  },\n", nnp ? "true" : "false");
	fprintf(f, "  \"root\": {\"path\": ");
	str(f, root->path);
	fprintf(f, ", \"readonly\": %s},\n", ro ? "true" : "false");
	if (host) {
		fprintf(f, "  \"hostname\": ");
		str(f, host->hostname);
		fprintf(f, ",\n");
	}
	fprintf(f, "  \"mounts\": [");
	for (int i = 0; i < n_mounts; i++) {
		const struct gph_step *m = mounts[i];
		fprintf(f, "%s\n    ", i ? "," : "");
		switch (m->mount) {
		case GPH_MOUNT_PROC: fprintf(f, "{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"}"); break;
		case GPH_MOUNT_SYS:
			fprintf(f, "{\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\", \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]}");
			break;
		case GPH_MOUNT_DEV:
			fprintf(f, "{\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
				   "    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\", \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\"]},\n"
				   "    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\", \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]}");
			break;
		case GPH_MOUNT_TMPFS:
			fprintf(f, "{\"destination\": ");
			str(f, m->path);
			fprintf(f, ", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}");
			break;
		}
	}
	fprintf(f, "\n  ],\n  \"linux\": {\n    \"namespaces\": [");
	static const struct { int flag; const char *name; } kinds[] = {
		{CLONE_NEWPID, "pid"}, {CLONE_NEWNET, "network"}, {CLONE_NEWIPC, "ipc"}, {CLONE_NEWUTS, "uts"},
		{CLONE_NEWNS, "mount"}, {CLONE_NEWUSER, "user"}, {CLONE_NEWCGROUP, "cgroup"},
	};
	int first = 1;
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		for (int j = 0; j < n_joins; j++)
			if (joins[j]->ns_flags == kinds[k].flag) {
				fprintf(f, "%s{\"type\": \"%s\", \"path\": ", first ? "" : ", ", kinds[k].name);
				str(f, joins[j]->path);
				fprintf(f, "}");
				first = 0;
			}
		if (ns_new->ns_flags & kinds[k].flag) {
			fprintf(f, "%s{\"type\": \"%s\"}", first ? "" : ", ", kinds[k].name);
			first = 0;
		}
	}
	fprintf(f, "],\n");
	if (ns_new->uidmap[0]) {
		fprintf(f, "    \"uidMappings\": ");
		idmap(f, ns_new->uidmap);
		fprintf(f, ",\n");
	}
	if (ns_new->gidmap[0]) {
		fprintf(f, "    \"gidMappings\": ");
		idmap(f, ns_new->gidmap);
		fprintf(f, ",\n");
	}
	if (mask) {
		fprintf(f, "    \"maskedPaths\": ");
		path_list(f, GPH_PATH_MASK);
		fprintf(f, ",\n    \"readonlyPaths\": ");
		path_list(f, GPH_PATH_READONLY);
		fprintf(f, ",\n");
	}
	if (sc)
		seccomp(f, caps.bounding);
	fprintf(f, "    \"resources\": {");
	const char *sep = "";
	if (mem) {
		fprintf(f, "\"memory\": {\"limit\": %lld", mem);
		if (swap)
			fprintf(f, ", \"swap\": %lld", swap);
		fprintf(f, "}");
		sep = ", ";
	}
	if (quota || weight || cpuset) {
		fprintf(f, "%s\"cpu\": {", sep);
		const char *s2 = "";
		if (weight) {
			fprintf(f, "\"shares\": %lld", 2 + ((weight - 1) * 262142) / 9999);
			s2 = ", ";
		}
		if (quota) {
			fprintf(f, "%s\"quota\": %lld, \"period\": %lld", s2, quota, period ? period : 100000);
			s2 = ", ";
		}
		if (cpuset) {
			fprintf(f, "%s\"cpus\": ", s2);
			str(f, cpuset);
		}
		fprintf(f, "}");
		sep = ", ";
	}
	if (pids) {
		fprintf(f, "%s\"pids\": {\"limit\": %lld}", sep, pids);
		sep = ", ";
	}
	if (ioweight)
		fprintf(f, "%s\"blockIO\": {\"weight\": %lld}", sep, ioweight / 10 < 10 ? 10 : ioweight / 10 > 1000 ? 1000 : ioweight / 10);
	fprintf(f, "}\n  }\n}\n");
	return ferror(f) ? -1 : 0;
}
