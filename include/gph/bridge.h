/* Bridge networking as Docker's default network: a bridge (default "gph0", 10.88.0.0/16, gateway
 * .1) in the caller's network namespace, one veth per container attached to it, container
 * addresses from a small allocation file per bridge, and NAT / published ports as nftables rules
 * of our own table `ip gophernetes`.
 *
 * Links and addresses go through libnl-route-3 (src/engine/net_bridge.c), allocations through a
 * flock(2)-guarded text file (src/engine/ipam.c), rules through libnftables (src/engine/nat.c),
 * which is loaded with dlopen on the first NAT call so that a plain `run` never maps it.
 *
 * Typical order for `run --net bridge -p 18080:80` (runtime side, in the host's namespace):
 *   gph_bridge_init(&b, name); [gph_bridge_set_subnet(&b, "--subnet", e);]
 *   gph_bridge_ensure(&b, &created, e);            bridge with the gateway address, up
 *   gph_nat_ensure_bridge(&b, note, sizeof note, e); masquerade + forward rules, ip_forward
 *   gph_ipam_alloc(state_root, &b, id, want, &ip, e);
 *   gph_bridge_attach(&veth, id, holder_pid, &b, ip, e);
 *   (holder:) gph_net_veth_configure_inside(&veth, e);
 *   gph_nat_publish(id, &b, ip, 18080, 80, "tcp", e);
 * and at exit: gph_nat_unpublish(id), gph_ipam_release(...), and no veth delete needed (the pair
 * goes with the container's network namespace). gc: gph_nat_unpublish + gph_ipam_release_id per
 * dead id, then gph_nat_remove_bridge for a bridge without ports. */
#ifndef GPH_BRIDGE_H
#define GPH_BRIDGE_H
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include "gph/error.h"
#include "gph/net.h"

#define GPH_BRIDGE_NAME "gph0"
#define GPH_BRIDGE_SUBNET "10.88.0.0/16"
/* The alias (IFLA_IFALIAS) our bridges carry: only a bridge with it is ever deleted by us. */
#define GPH_BRIDGE_ALIAS "gophernetes bridge"

/* "10.88.0.0/16" -> *net, *prefix. Refuses host bits set ("10.88.0.1/16"), a prefix outside
 * 8..30, and anything that is not exactly dotted quad + '/' + decimal prefix. */
int gph_cidr_parse(const char *s, struct in_addr *net, int *prefix, struct gph_err *e);

struct gph_bridge {
	char name[IF_NAMESIZE];
	struct in_addr subnet, gateway;
	int prefix;   /* 0: not chosen; the existing bridge's, or GPH_BRIDGE_SUBNET when created */
};

/* Zero b and set its name (NULL or "": GPH_BRIDGE_NAME); the subnet stays unchosen. Refuses a
 * name that is not 1..15 of [A-Za-z0-9_.-]. */
int gph_bridge_init(struct gph_bridge *b, const char *name, struct gph_err *e);
/* --subnet CIDR: subnet and prefix from gph_cidr_parse, gateway = first host (.1). */
int gph_bridge_set_subnet(struct gph_bridge *b, const char *cidr, struct gph_err *e);

/* In the caller's network namespace: create the bridge if missing (type bridge, alias
 * GPH_BRIDGE_ALIAS, a fixed MAC derived from the gateway so it never changes as ports come and go,
 * up, the gateway address; refused if the subnet overlaps an address or route of the namespace),
 * *created true. If it exists and is a bridge, its IPv4 address is read back into b (and checked
 * against the subnet when one was set explicitly); a link of that name that is not a bridge is
 * refused. Safe against parallel callers. Never changes a link we did not create. */
int gph_bridge_ensure(struct gph_bridge *b, bool *created, struct gph_err *e);

/* One RTM_NEWLINK: a veth pair, host end "gph-" + 8 characters of id (collision-checked as in
 * gph_net_veth_create), enslaved to the bridge and up, no address; the peer born in the network
 * namespace of pid as v->ctr_if ("eth0" when empty) with the MAC gph_bridge_mac(ctr_addr) (so a
 * reused address never meets a stale ARP entry). Fills v->host_if, host_ifindex, ctr_addr,
 * host_addr = gateway, prefix = bridge prefix: gph_net_veth_configure_inside then works unchanged,
 * and gph_net_veth_delete deletes it. On any failure nothing remains (B23). */
int gph_bridge_attach(struct gph_veth *v, const char *id, pid_t pid, const struct gph_bridge *b,
		      struct in_addr ctr_addr, struct gph_err *e);
/* gc, for a container whose runtime died between creating its veth and recording it: delete the
 * links named as gph_bridge_attach names id's host end that are ports of the bridge, and only if
 * the bridge is ours (alias). *deleted counts them. Nothing there: success. */
int gph_bridge_detach_id(const struct gph_bridge *b, const char *id, int *deleted, struct gph_err *e);
/* Number of ports (links enslaved to the bridge) now. */
int gph_bridge_ports(const struct gph_bridge *b, int *n, struct gph_err *e);
/* Delete the bridge if it exists, is ours (alias) and has no ports; *removed says whether it did.
 * Absent, in use or not ours: success with *removed false. */
int gph_bridge_remove_unused(const struct gph_bridge *b, bool *removed, struct gph_err *e);
/* 02:67:a:b:c:d for address a.b.c.d (locally administered, unicast). */
void gph_bridge_mac(struct in_addr a, unsigned char mac[6]);

/* ---- addresses: <state_root>/ipam/<bridge> ("ADDRESS ID" lines), flock on the directory ------- */

/* Give id the lowest free host address of the bridge's subnet (not the network, the broadcast or
 * the gateway), or *want when given (refused clearly if outside the subnet, one of those three, or
 * taken by another id). An id that already holds an address gets it again (when *want is absent
 * or equal; a different *want is refused). b must be ensured (prefix set). */
int gph_ipam_alloc(const char *state_root, const struct gph_bridge *b, const char *id,
		   const struct in_addr *want, struct in_addr *out, struct gph_err *e);
/* Free id's address on the bridge. Nothing allocated is success. */
int gph_ipam_release(const char *state_root, const struct gph_bridge *b, const char *id,
		     struct gph_err *e);
/* Free id's addresses on every bridge (gc, which may not know the bridge). */
int gph_ipam_release_id(const char *state_root, const char *id, struct gph_err *e);
/* Free every allocation whose id alive() says is gone (gc; alive runs under the lock, keep it
 * quick). *released (may be NULL) counts them. */
int gph_ipam_release_dead(const char *state_root, bool (*alive)(const char *id, void *arg), void *arg,
			  int *released, struct gph_err *e);

/* ---- NAT and published ports: nftables table `ip gophernetes` --------------------------------
 * chains postrouting (nat, srcnat), prerouting (nat, dstnat), output (nat, -100), forward and
 * input (filter), all policy accept; set `bridges` (ifname: bridges whose rules exist) and set
 * `ports` (proto . port: published host ports, each element commented with its container) make
 * creation atomic: the rules are added in one transaction with `create element`, which fails if
 * present. Removing rules costs the kernel ~10 ms per transaction (an RCU grace period), adding
 * ~1 ms: unpublish off the user's critical path where possible. */

/* Once per bridge (idempotent, safe in parallel): masquerade for the subnet leaving through any
 * other interface, masquerade for 127.0.0.0/8 into the bridge plus route_localnet on it (so ports
 * published on 127.0.0.1 work), forward accept from the bridge and for replies to it, and drop of
 * other new connections into the bridge (only published ports get in), and drop of new
 * connections from the bridge to 127.0.0.0/8 (route_localnet would otherwise let containers reach
 * the host's loopback services, CVE-2020-8558). Every rule carries comment
 * "gph-bridge <name>". Turns on net.ipv4.ip_forward when off; what it changed in sysctls
 * is written to note ("enabled net.ipv4.ip_forward, net.ipv4.conf.gph0.route_localnet"), "" if
 * nothing. */
int gph_nat_ensure_bridge(const struct gph_bridge *b, char *note, size_t note_len, struct gph_err *e);
/* host_port on every local address (and 127.0.0.1) -> ctr:ctr_port, proto "tcp" or "udp" (NULL:
 * tcp): DNAT in prerouting and output (`fib daddr type local`), forward accept of that DNATed
 * traffic, all with comment "gph-ctr <id>". A host port already published (by anyone) is refused
 * with its owner's id. */
int gph_nat_publish(const char *id, const struct gph_bridge *b, struct in_addr ctr, int host_port,
		    int ctr_port, const char *proto, struct gph_err *e);
/* Delete exactly the rules and port elements whose comment is "gph-ctr <id>" (by handle). No
 * table or nothing of id's: success. */
int gph_nat_unpublish(const char *id, struct gph_err *e);
/* gc: if the bridge has no ports, delete its "gph-bridge <name>" rules and its `bridges` element,
 * the table when nothing of anyone remains in it, and the bridge link when it is ours. Returns 0
 * done, 1 the bridge still has ports (nothing changed), -1 error. */
int gph_nat_remove_bridge(const struct gph_bridge *b, struct gph_err *e);
/* The table as `nft -a list table ip gophernetes` prints it, into buf (for `show net`); "" when
 * there is no table. */
int gph_nat_describe(char *buf, size_t len, struct gph_err *e);

/* ---- trace ---------------------------------------------------------------------------------
 * Every netlink request and every nftables command text these functions send is written to f,
 * one line each ("RTM_NEWLINK bridge gph0 address 02:67:0a:58:00:01 up",
 * "nft: add rule ip gophernetes postrouting ip saddr 10.88.0.0/16 ... comment \"gph-bridge gph0\"").
 * NULL (the default) turns it off. Use open_memstream/fmemopen to collect it in a buffer. */
void gph_bridge_trace(FILE *f);
/* Shared by net_bridge.c and nat.c only: one trace line (no newline needed). */
void gph_bridge_tracef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
