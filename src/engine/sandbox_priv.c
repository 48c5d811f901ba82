/* The privilege steps on the runtime side: they change what every later exec'd command gets
 * (sb->priv); nothing in the kernel changes until a command is exec'd. `show caps` starts a test
 * process the same way to show the real result. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

/* Compiled seccomp programs, one file per capability set: a cache, not state (gc leaves it).
 * Only root's runs use it: a cache others could write must never feed root's filter. */

static void caps_note(const struct gph_sandbox *sb, char *note, size_t len)
{
	char names[1024];
	gph_caps_format(sb->priv.caps.bounding, names, sizeof names);
	snprintf(note, len, " (bounding set: %.900s)", names);
}

int gph_sandbox_apply_priv(struct gph_sandbox *sb, const struct gph_step *st, char *note, size_t note_len,
			   struct gph_err *e)
{
	struct gph_err ign;
	switch (st->kind) {
	case GPH_STEP_CAP:
		switch (st->cap_op) {
		case GPH_CAPOP_DEFAULT:
			gph_caps_default(&sb->priv.caps);
			break;
		case GPH_CAPOP_ALL:
			gph_caps_all(&sb->priv.caps);
			break;
		case GPH_CAPOP_DROP:
		case GPH_CAPOP_ADD: {
			uint64_t known = gph_caps_known();
			for (int c = 0; c < 64; c++) {
				if (!(st->caps & known & GPH_CAP_BIT(c)))
					continue;
				char name[32];
				gph_caps_name(c, name, sizeof name);
				if ((st->cap_op == GPH_CAPOP_DROP ? gph_caps_drop : gph_caps_add)(&sb->priv.caps, name, &ign) < 0)
					return gph_fail(e, 0, NULL, "%s", ign.msg);
			}
			break;
		}
		}
		caps_note(sb, note, note_len);
		break;
	case GPH_STEP_SECCOMP:
		sb->priv.seccomp = st->on;
		break;
	case GPH_STEP_NNP:
		sb->priv.nnp = st->on;
		break;
	case GPH_STEP_MASK:
		if (st->on && !(sb->ns & CLONE_NEWNS))
			return gph_fail(e, 0, "run `ns mnt` first",
					"%s: masks are mounts, and without `ns mnt` they would be the host's", st->text);
		sb->priv.masks = st->on;
		break;
	case GPH_STEP_USER:
		sb->priv.has_user = true;
		sb->priv.uid = st->uid;
		sb->priv.gid = st->gid;
		snprintf(sb->priv.user_name, sizeof sb->priv.user_name, "%s", st->user_name);
		snprintf(sb->priv.group_name, sizeof sb->priv.group_name, "%s", st->group_name);
		sb->priv.gid_given = !st->user_name[0] || st->group_name[0] || strchr(st->text, ':');
		if (st->user_name[0] || st->group_name[0])
			snprintf(note, note_len, " (names looked up in the container's /etc/passwd and /etc/group at each exec)");
		else if (st->uid != 0)
			snprintf(note, note_len, " (its effective and permitted capabilities will be empty)");
		break;
	case GPH_STEP_WORKDIR:
		snprintf(sb->priv.workdir, sizeof sb->priv.workdir, "%s", st->path);
		break;
	default:
		return gph_fail(e, EINVAL, NULL, "%s: not a privilege step", st->text);
	}
	/* The shell starts with everything allowed; any of these steps makes exec apply the sets. */
	if (st->kind != GPH_STEP_USER && st->kind != GPH_STEP_WORKDIR)
		sb->priv.changed = true;
	return 0;
}

void gph_sandbox_priv_request(const struct gph_sandbox *sb, struct hreq *rq)
{
	rq->userns = sb->userns;
	rq->own_mntns = (sb->ns & CLONE_NEWNS) != 0;
	rq->harden = sb->priv.changed;
	rq->caps = sb->priv.caps;
	rq->nnp = sb->priv.nnp;
	rq->masks = sb->priv.masks && (sb->ns & CLONE_NEWNS);
	rq->host_mntns = gph_mntns_id();
	rq->has_user = sb->priv.has_user;
	rq->uid = sb->priv.uid;
	rq->gid = sb->priv.gid;
	if (rq->has_user && rq->uid != 0) {
		/* B31: a non-root user gets no capabilities, only the bounding set limits it */
		rq->caps.effective = rq->caps.permitted = rq->caps.inheritable = rq->caps.ambient = 0;
	}
	snprintf(rq->workdir, sizeof rq->workdir, "%s", sb->priv.workdir);
}

int gph_sandbox_priv_seccomp(const struct gph_sandbox *sb, struct hreq *rq, struct gph_err *e)
{
	if (!sb->priv.changed || !sb->priv.seccomp)
		return 0;
	/* Compiled here (and cached beside the state directory: /run/gophernetes-cache by default, and
	 * with GPH_STATE_DIR in a test's own directory), installed by the exec child with one prctl. */
	char cache[PATH_MAX];
	snprintf(cache, sizeof cache, "%s-cache", gph_state_root());
	if (gph_seccomp_prepare(rq->caps.bounding, geteuid() == 0 ? cache : NULL, &rq->prog, e) < 0)
		return -1;
	rq->seccomp = true;
	return 0;
}
