/* The exec'd command's privileges, applied last before execve, in the order the kernel requires:
 *   1. without no_new_privs, the seccomp filter first: installing one then needs CAP_SYS_ADMIN;
 *   2. the user switch (setgroups, setresgid, setresuid) while CAP_SETUID/SETGID are still held,
 *      with PR_SET_KEEPCAPS so the bounding-set drop below still has CAP_SETPCAP;
 *   3. no_new_privs, the capability sets (empty effective/permitted for a non-root user);
 *   4. with no_new_privs, the seccomp filter last, so it never has to allow the set-up calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "gph/fault.h"
#include "gph/sys.h"
#include "internal.h"

/* In a user namespace whose setgroups file says "deny", setgroups(2) fails with EPERM by design. */
static bool setgroups_denied(void)
{
	char buf[8] = "";
	int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	return n > 0 && strncmp(buf, "deny", 4) == 0;
}

/* keep: hold on to the permitted set across setresuid, because gph_caps_apply follows and sets it
 * exactly; without a policy the kernel's own clearing is what we want. */
static int switch_user(const struct hreq *rq, bool keep, struct gph_err *e)
{
	gid_t g = (gid_t)rq->gid;
	if (gph_fault_point("exec.user", e) < 0)
		return -1;
	if (keep && gph_prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return gph_fail(e, errno, NULL, "prctl(PR_SET_KEEPCAPS, 1)");
	gid_t list[33] = {g};
	int n = 1;
	for (int i = 0; i < rq->ngroups && i < 32; i++)
		list[n++] = (gid_t)rq->groups[i];
	if (gph_setgroups((size_t)n, list) < 0 && !(errno == EPERM && setgroups_denied()))
		return gph_fail(e, errno, errno == EINVAL ? "the gid is not mapped in this user namespace (see `ns user gidmap`)" : NULL,
				"setgroups(%d, [%u%s])", n, rq->gid, n > 1 ? ", ..." : "");
	if (gph_setresgid(g, g, g) < 0)
		return gph_fail(e, errno, errno == EINVAL ? "the gid is not mapped in this user namespace (see `ns user gidmap`)" : NULL,
				"setresgid(%u, %u, %u)", rq->gid, rq->gid, rq->gid);
	if (gph_setresuid((uid_t)rq->uid, (uid_t)rq->uid, (uid_t)rq->uid) < 0)
		return gph_fail(e, errno, errno == EINVAL ? "the uid is not mapped in this user namespace (see `ns user uidmap`)" : NULL,
				"setresuid(%u, %u, %u)", rq->uid, rq->uid, rq->uid);
	if (keep && gph_prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return gph_fail(e, errno, NULL, "prctl(PR_SET_KEEPCAPS, 0)");
	return 0;
}

int gph_exec_apply_priv(const struct hreq *rq, struct gph_err *e)
{
	bool early_filter = rq->harden && rq->seccomp && !rq->nnp;
	if (early_filter && gph_seccomp_load(&rq->prog, e) < 0)
		return -1;
	if (rq->has_user && switch_user(rq, rq->harden, e) < 0)
		return -1;
	if (!rq->harden)
		return 0; /* a user switch without a policy: the kernel already emptied a non-root user's sets */
	if (rq->nnp && gph_nnp_apply(e) < 0)
		return -1;
	if (gph_caps_apply(&rq->caps, e) < 0)
		return -1;
	if (rq->seccomp && rq->nnp && gph_seccomp_load(&rq->prog, e) < 0)
		return -1;
	return 0;
}
