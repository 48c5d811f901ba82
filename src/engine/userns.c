/* The runtime's side of `ns user`: the sandbox process unshares CLONE_NEWUSER alone, this process
 * (outside, with the privileges of whoever started gophernetes) writes its id maps, and then the
 * sandbox becomes root of the new namespace. The kernel's rules, in user_namespaces(7):
 *   - each map file may be written once, by a process with CAP_SETUID (CAP_SETGID) over the parent
 *     user namespace, or by the same user mapping just its own id;
 *   - an unprivileged writer must first write "deny" to /proc/PID/setgroups, before gid_map. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "gph/fault.h"
#include "gph/sys.h"
#include "gph/diagnose.h"
#include "internal.h"

/* The first "NAME:START:COUNT" line of file for name or uid, as "0 START COUNT\n". */
static bool subid_range(const char *file, const char *name, unsigned id, char *out, size_t len)
{
	FILE *f = fopen(file, "re");
	if (!f)
		return false;
	char line[256], idstr[16];
	snprintf(idstr, sizeof idstr, "%u", id);
	bool found = false;
	while (!found && fgets(line, sizeof line, f)) {
		char who[128];
		unsigned long start, count;
		if (sscanf(line, "%127[^:]:%lu:%lu", who, &start, &count) == 3 && count > 0 &&
		    (strcmp(who, name) == 0 || strcmp(who, idstr) == 0)) {
			snprintf(out, len, "0 %lu %lu\n", start, count);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static int write_file(pid_t pid, const char *name, const char *text, struct gph_err *e)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	ssize_t n = gph_write_file(path, text);
	int err = errno;
	if (n != (ssize_t)strlen(text)) {
		const char *hint = NULL;
		if (err == EPERM && geteuid() != 0)
			hint = "without root you may map only your own id, once (e.g. uidmap 0:UID:1): ranges from "
			       "/etc/subuid need the setuid helper newuidmap(1), which gophernetes does not use";
		else if (err == EPERM)
			hint = "each map can be written once, and its host ids must be yours to map";
		else if (err == EINVAL)
			hint = "ranges must not overlap, and at most 340 lines";
		char shown[160];
		snprintf(shown, sizeof shown, "%s", text);
		for (char *p = shown; *p; p++)
			if (*p == '\n')
				*p = p[1] ? ';' : '\0';
		gph_fail(e, n < 0 ? err : EIO, hint, "write(\"%s\", \"%s\")", path, shown);
		if (strcmp(name, "setgroups") != 0)
			gph_diagnose_idmap(pid, name, text, e);
		return -1;
	}
	return 0;
}

int gph_userns_enter(struct gph_sandbox *sb, const struct gph_step *st, char *note, size_t note_len,
		     struct gph_err *e)
{
	struct hreq rq;
	struct hrep rp;
	memset(&rq, 0, sizeof rq);
	rq.op = HREQ_STEP;
	rq.step = *st;
	rq.step.ns_flags = CLONE_NEWUSER;
	if (gph_holder_call(sb, &rq, &rp, NULL, 0, e) < 0)
		return -1;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char umap[128], gmap[128];
	bool single_g = false; /* the default single gid mapping: other host groups show as 65534 */
	snprintf(umap, sizeof umap, "%s", st->uidmap);
	snprintf(gmap, sizeof gmap, "%s", st->gidmap);
	/* Defaults: root takes its /etc/subuid and /etc/subgid range where there is one; everyone else
	 * (and root without one) maps container root to their own id, the one mapping allowed without
	 * privilege. */
	if (!umap[0] && !(uid == 0 && subid_range("/etc/subuid", "root", 0, umap, sizeof umap)))
		snprintf(umap, sizeof umap, "0 %u 1\n", (unsigned)uid);
	if (!gmap[0] && !(uid == 0 && subid_range("/etc/subgid", "root", 0, gmap, sizeof gmap))) {
		snprintf(gmap, sizeof gmap, "0 %u 1\n", (unsigned)gid);
		single_g = true;
	}
	/* Only an unprivileged writer must (and only then should) give up setgroups(2). */
	bool deny = uid != 0;
	if (gph_fault_point("userns.maps", e) < 0)
		return -1;
	if (deny && write_file(sb->holder, "setgroups", "deny", e) < 0)
		return -1;
	if (write_file(sb->holder, "gid_map", gmap, e) < 0 || write_file(sb->holder, "uid_map", umap, e) < 0)
		return -1;
	memset(&rq, 0, sizeof rq);
	rq.op = HREQ_BECOME_ROOT;
	if (gph_holder_call(sb, &rq, &rp, NULL, 0, e) < 0)
		return -1;
	char u[64], g[64];
	snprintf(u, sizeof u, "%.*s", (int)strcspn(umap, "\n"), umap);
	snprintf(g, sizeof g, "%.*s", (int)strcspn(gmap, "\n"), gmap);
	snprintf(note, note_len, " (uid_map \"%s\", gid_map \"%s\"%s%s)", u, g, deny ? ", setgroups deny" : "",
		 single_g && uid != 0 ? "; other host groups show as 65534" : "");
	return 0;
}
