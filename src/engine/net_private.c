/* A network namespace of the caller's own for a while: lesson replay runs a lesson that declares
 * `@needs net` in one, so that its `net veth` / `net bridge` / `net nat` (host-end addresses, a
 * bridge, nftables rules, ip_forward) land there and vanish with it, never in the namespace the
 * replay was started from (on CI: the machine's own). */
#define _GNU_SOURCE
#include "gph/net.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

int gph_net_private_enter(int *saved, struct gph_err *e)
{
	*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return gph_fail(e, errno, "is /proc mounted?", "open(\"/proc/self/ns/net\")");
	if (unshare(CLONE_NEWNET) < 0) {
		int err = errno;
		close(*saved);
		*saved = -1;
		return gph_fail(e, err, "creating a network namespace needs CAP_SYS_ADMIN (run as root)",
				"unshare(CLONE_NEWNET)");
	}
	if (gph_net_lo_up(e) < 0) {
		struct gph_err ignored;
		gph_net_private_leave(*saved, &ignored);
		*saved = -1;
		return -1;
	}
	return 0;
}

int gph_net_private_leave(int saved, struct gph_err *e)
{
	int rc = setns(saved, CLONE_NEWNET), err = errno;
	close(saved);
	if (rc < 0)
		return gph_fail(e, err, "stop here: later commands would run in the wrong network namespace",
				"setns(fd of the original network namespace, CLONE_NEWNET)");
	return 0;
}
