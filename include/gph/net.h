/* Networking through libnl-route-3 (never an `ip` process). */
#ifndef GPH_NET_H
#define GPH_NET_H
#include <net/if.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <sys/types.h>
#include "gph/error.h"

/* Bring the loopback interface up in the calling process's network namespace. */
int gph_net_lo_up(struct gph_err *e);
/* Load the netlink library (libnl, loaded on first use) now, while the host's root is visible: a
 * sandbox process forked afterwards can then talk netlink even after its root changed. */
int gph_net_preload(struct gph_err *e);

struct gph_veth {
	char host_if[IF_NAMESIZE];   /* e.g. "gph-1a2b3c4d" (<= 15 bytes) */
	int host_ifindex;            /* to delete only what we made */
	char ctr_if[IF_NAMESIZE];    /* "eth0" */
	struct in_addr host_addr, ctr_addr;
	int prefix;                  /* e.g. 30 */
};

/* In the caller's network namespace: pick a free /30 in 10.200.0.0/16 (one no address of this
 * namespace uses) unless v->prefix is already set, create a veth pair named v->host_if with its
 * peer created directly in the network namespace of pid as v->ctr_if, give the host end
 * host_addr/prefix and set it up. On failure nothing remains. id names the host end. */
int gph_net_veth_create(struct gph_veth *v, const char *id, pid_t pid, struct gph_err *e);
/* Inside the container's network namespace (called by the sandbox process): give ctr_if its address,
 * set it and lo up, add a default route via host_addr. */
int gph_net_veth_configure_inside(const struct gph_veth *v, struct gph_err *e);
/* Delete the host end if it still exists with the recorded ifindex and name (never a link we did
 * not make). Absent is success. */
int gph_net_veth_delete(const struct gph_veth *v, struct gph_err *e);
/* Move the calling process into a new network namespace with lo up; *saved is an fd of the one it
 * was in (for gph_net_private_leave). On failure the caller is where it was. The new namespace
 * goes when nothing uses it any more (its processes, e.g. a sandbox, are gone). */
int gph_net_private_enter(int *saved, struct gph_err *e);
/* Back into the namespace saved refers to; closes saved. */
int gph_net_private_leave(int saved, struct gph_err *e);
/* Append a readable dump of links, addresses and routes of the caller's namespace to buf. */
int gph_net_describe(char *buf, size_t len, struct gph_err *e);

/* Pure helpers of gph_net_veth_create, exposed for the unit tests (tests/unit/test_net.c). */
/* Host end name for attempt 0 or 1: "gph-" + the attempt's 8 characters of id. Returns 0, or -1
 * (errno EINVAL) when id has no such characters or a character not allowed in a link name. */
int gph_net_host_ifname(char out[IF_NAMESIZE], const char *id, int attempt);
struct gph_net_used {           /* an IPv4 prefix already in use in the namespace */
	struct in_addr addr;
	int prefix;
	bool route;                 /* from a route (else from an address) */
};
/* First /30 block of 10.200.0.0/16 that no used prefix overlaps: *host = block .1, *ctr = .2.
 * Returns 0, or -1 when every block is taken. */
int gph_net_pick_block(const struct gph_net_used *used, size_t n, struct in_addr *host,
		       struct in_addr *ctr);

/* Shared by src/engine/net*.c only. A NETLINK_ROUTE socket of libnl that remembers the kernel's own
 * errno of a failed request (libnl folds several into one code); free it with nl_socket_free(). */
struct nl_sock;
struct nl_sock *gph_net_sock(struct gph_err *e);
/* IPv4 prefixes the caller's namespace uses: every address, and every main-table route but the
 * default one. *out is malloc'd (free it), *n entries. */
int gph_net_used_prefixes(struct nl_sock *sk, struct gph_net_used **out, size_t *n, struct gph_err *e);
/* RTM_NEWADDR ip/prefix on link ifindex (named ifname in messages and the trace); exist_ok: an
 * address already there is success (parallel callers setting up the same bridge). */
int gph_net_addr_add(struct nl_sock *sk, int ifindex, const char *ifname, struct in_addr ip, int prefix,
		     bool exist_ok, struct gph_err *e);
/* gph_fail for a libnl result nlerr (< 0): errnum is the kernel's errno when known. */
int gph_net_fail(struct gph_err *e, int nlerr, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
