/* Whether two parsed steps ask the kernel for the same thing, whatever their spelling: the tutor
 * accepts `ns uts pid` for `ns pid uts` and `mount proc /proc` for `mount proc`. Only the fields
 * a step kind uses are compared; the typed text never is. */
#include <string.h>
#include "gph/step.h"

/* "/proc/" and "/proc" are the same mount point. */
static bool same_path(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && !strncmp(a, b, la);
}

/* An empty bridge name means the default bridge, gph0. */
static const char *bridge_name(const struct gph_step *s)
{
	return s->bridge[0] ? s->bridge : "gph0";
}

bool gph_step_equal(const struct gph_step *a, const struct gph_step *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case GPH_STEP_NS:
		return a->ns_flags == b->ns_flags && !strcmp(a->uidmap, b->uidmap) &&
		       !strcmp(a->gidmap, b->gidmap) && a->join == b->join && (!a->join || same_path(a->path, b->path));
	case GPH_STEP_HOSTNAME:
		return !strcmp(a->hostname, b->hostname);
	case GPH_STEP_CHROOT:
	case GPH_STEP_PIVOT_ROOT:
	case GPH_STEP_WORKDIR:
		return same_path(a->path, b->path);
	case GPH_STEP_MOUNT:
		return a->mount == b->mount && same_path(a->path, b->path);
	case GPH_STEP_CGROUP:
		return a->res == b->res && a->bytes == b->bytes && a->value2 == b->value2 &&
		       !strcmp(a->path, b->path);
	case GPH_STEP_NET:
		if (a->net != b->net)
			return false;
		if (a->net == GPH_NET_BRIDGE)
			return !strcmp(bridge_name(a), bridge_name(b)) && !strcmp(a->subnet, b->subnet) &&
			       !strcmp(a->ip, b->ip);
		if (a->net == GPH_NET_PORT)
			return a->host_port == b->host_port && a->ctr_port == b->ctr_port &&
			       !strcmp(a->proto, b->proto);
		return true;
	case GPH_STEP_CAP:
		return a->cap_op == b->cap_op && a->caps == b->caps;
	case GPH_STEP_SECCOMP:
	case GPH_STEP_NNP:
	case GPH_STEP_MASK:
		return a->on == b->on;
	case GPH_STEP_USER:
		return a->uid == b->uid && a->gid == b->gid;
	case GPH_STEP_READONLY:
		return true;
	default: /* kinds added later (a default keeps -Wswitch quiet until they are listed) */
		break;
	}
	/* A kind this function does not know yet: only the same words are the same step. */
	return !strcmp(a->text, b->text);
}
