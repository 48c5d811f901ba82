/* The bridge of bridge networking and the veth pairs attached to it, through libnl-route-3:
 * create the bridge once (with its gateway address), attach one veth per container in a single
 * RTM_NEWLINK (host end enslaved and up, peer born in the container's namespace), count ports,
 * delete the bridge when unused. Every request is written to the trace (gph_bridge_trace). */
#include "gph/bridge.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include "gph/trace.h"
#include "nl_lib.h"

/* ---- trace ----------------------------------------------------------------------------------- */

/* The netlink and nftables lines are lines of the one trace (include/gph/trace.h). */
void gph_bridge_trace(FILE *f)
{
	gph_trace_start(f);
}

void gph_bridge_tracef(const char *fmt, ...)
{
	if (!GPH_TRACING)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	gph_trace_line("%s", buf);
}

/* ---- names and addresses --------------------------------------------------------------------- */

static uint32_t mask_of(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

void gph_bridge_mac(struct in_addr a, unsigned char mac[6])
{
	mac[0] = 0x02; /* locally administered, unicast */
	mac[1] = 0x67; /* 'g' */
	memcpy(mac + 2, &a.s_addr, 4);
}

static const char *mac_str(struct in_addr a, char buf[18])
{
	unsigned char m[6];
	gph_bridge_mac(a, m);
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static const char *ip_str(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

int gph_bridge_init(struct gph_bridge *b, const char *name, struct gph_err *e)
{
	size_t n;
	memset(b, 0, sizeof *b);
	if (!name || !*name)
		name = GPH_BRIDGE_NAME;
	n = strlen(name);
	if (n >= IF_NAMESIZE)
		return gph_fail(e, EINVAL, "a link name has at most 15 characters", "bridge name \"%s\"", name);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return gph_fail(e, EINVAL, "bridge names are made of letters, digits, '-', '_' and '.'",
					"bridge name \"%s\"", name);
	}
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return gph_fail(e, EINVAL, "", "bridge name \"%s\"", name);
	memcpy(b->name, name, n + 1);
	return 0;
}

int gph_bridge_set_subnet(struct gph_bridge *b, const char *cidr, struct gph_err *e)
{
	struct in_addr net;
	int prefix;
	if (gph_cidr_parse(cidr, &net, &prefix, e) < 0)
		return -1;
	b->subnet = net;
	b->prefix = prefix;
	b->gateway.s_addr = htonl(ntohl(net.s_addr) + 1);
	return 0;
}

/* ---- small netlink helpers ------------------------------------------------------------------- */

static int is_absent(int nlerr)
{
	return nlerr == -NLE_NODEV || nlerr == -NLE_OBJ_NOTFOUND;
}

/* 1 and *out (put it) when the link exists, 0 when not, -1 on error. */
static int get_link(struct nl_sock *sk, int ifindex, const char *name, struct rtnl_link **out,
		    struct gph_err *e)
{
	int r = rtnl_link_get_kernel(sk, ifindex, name, out);
	if (r == 0)
		return 1;
	*out = NULL;
	if (is_absent(r))
		return 0;
	if (name)
		return gph_net_fail(e, r, "", "rtnl_link_get_kernel(\"%s\")", name);
	return gph_net_fail(e, r, "", "rtnl_link_get_kernel(ifindex %d)", ifindex);
}

static int is_bridge(struct rtnl_link *l)
{
	const char *t = rtnl_link_get_type(l);
	return t && strcmp(t, "bridge") == 0;
}

static int is_ours(struct rtnl_link *l)
{
	const char *a = rtnl_link_get_ifalias(l);
	return a && strcmp(a, GPH_BRIDGE_ALIAS) == 0;
}

/* The IPv4 address of ifindex: the one inside want/prefix when want_prefix > 0, else the first.
 * Returns 1 found, 0 none, -1 error. */
static int read_ipv4(struct nl_sock *sk, int ifindex, struct in_addr want, int want_prefix,
		     struct in_addr *addr, int *prefix, struct gph_err *e)
{
	struct nl_cache *addrs = NULL;
	int r, found = 0;
	if ((r = rtnl_addr_alloc_cache(sk, &addrs)) < 0)
		return gph_net_fail(e, r, "", "rtnl_addr_alloc_cache()");
	for (struct nl_object *ob = nl_cache_get_first(addrs); ob; ob = nl_cache_get_next(ob)) {
		struct rtnl_addr *a = (struct rtnl_addr *)ob;
		struct nl_addr *local = rtnl_addr_get_local(a);
		struct in_addr ip;
		int p = rtnl_addr_get_prefixlen(a);
		if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != AF_INET || !local ||
		    nl_addr_get_len(local) != 4)
			continue;
		memcpy(&ip, nl_addr_get_binary_addr(local), 4);
		if (!found || (want_prefix > 0 && p == want_prefix &&
			       ((ntohl(ip.s_addr) ^ ntohl(want.s_addr)) & mask_of(p)) == 0)) {
			*addr = ip;
			*prefix = p;
			found = 1;
		}
	}
	nl_cache_free(addrs);
	return found;
}


/* Delete ifindex if it still carries name (so never a link someone else made meanwhile). */
static void delete_link(struct nl_sock *sk, int ifindex, const char *name)
{
	struct rtnl_link *l = NULL;
	if (rtnl_link_get_kernel(sk, ifindex, NULL, &l) == 0 && strcmp(rtnl_link_get_name(l), name) == 0) {
		gph_bridge_tracef("RTM_DELLINK %s", name);
		rtnl_link_delete(sk, l);
	}
	if (l)
		rtnl_link_put(l);
}

/* An address or a route (main table, not the default) of this namespace that overlaps the
 * subnet: the bridge's connected route would shadow it or be shadowed. */
static int check_overlap(struct nl_sock *sk, const struct gph_bridge *b, struct gph_err *e)
{
	struct gph_net_used *used = NULL;
	size_t n = 0;
	uint32_t net = ntohl(b->subnet.s_addr);
	char s[INET_ADDRSTRLEN], sub[INET_ADDRSTRLEN];
	if (gph_net_used_prefixes(sk, &used, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int p = used[i].prefix;
		if (((ntohl(used[i].addr.s_addr) ^ net) & mask_of(p < b->prefix ? p : b->prefix)) == 0) {
			gph_fail(e, EADDRINUSE, "choose another --subnet that no address or route of this host covers",
				 "bridge %s subnet %s/%d overlaps the %s %s/%d", b->name, ip_str(b->subnet, sub), b->prefix,
				 used[i].route ? "route" : "address", ip_str(used[i].addr, s), p);
			free(used);
			return -1;
		}
	}
	free(used);
	return 0;
}

/* The kernel ignores IFLA_IFALIAS when it creates a link: mark ours with a change right after. */
static int set_alias(struct nl_sock *sk, int ifindex, const char *name, struct gph_err *e)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();
	int r = -NLE_NOMEM;
	gph_bridge_tracef("RTM_NEWLINK %s alias \"%s\"", name, GPH_BRIDGE_ALIAS);
	if (orig && change) {
		rtnl_link_set_ifindex(orig, ifindex);
		rtnl_link_set_name(orig, name);
		rtnl_link_set_ifalias(change, GPH_BRIDGE_ALIAS);
		r = rtnl_link_change(sk, orig, change, 0);
	}
	if (change)
		rtnl_link_put(change);
	if (orig)
		rtnl_link_put(orig);
	if (r < 0)
		return gph_net_fail(e, r, "", "rtnl_link_change(\"%s\", alias \"%s\")", name, GPH_BRIDGE_ALIAS);
	return 0;
}

/* RTM_NEWLINK type bridge, exclusive. 0 made, 1 someone else made it first, -1 error. */
static int create_bridge(struct nl_sock *sk, const struct gph_bridge *b, struct gph_err *e)
{
	struct rtnl_link *l = rtnl_link_alloc();
	unsigned char mac[6];
	struct nl_addr *ll = NULL;
	char m[18];
	int r = -NLE_NOMEM;
	gph_bridge_mac(b->gateway, mac);
	gph_bridge_tracef("RTM_NEWLINK bridge %s address %s up", b->name, mac_str(b->gateway, m));
	if (l && (ll = nl_addr_build(AF_LLC, mac, sizeof mac)))
		r = rtnl_link_set_type(l, "bridge");
	if (r == 0) {
		rtnl_link_set_name(l, b->name);
		/* A fixed MAC: by default a bridge takes the lowest MAC of its ports, so it would change as
		 * containers come and go and every container's ARP entry for the gateway would go stale. */
		rtnl_link_set_addr(l, ll);
		rtnl_link_set_flags(l, IFF_UP);
		r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	}
	if (ll)
		nl_addr_put(ll);
	if (l)
		rtnl_link_put(l);
	if (r == -NLE_EXIST)
		return 1;
	if (r < 0)
		return gph_net_fail(e, r, "creating links needs CAP_NET_ADMIN and a kernel with bridges (CONFIG_BRIDGE)",
				    "rtnl_link_add(bridge \"%s\")", b->name);
	return 0;
}

static int check_gateway(const struct gph_bridge *b, struct gph_err *e)
{
	uint32_t m = mask_of(b->prefix), net = ntohl(b->subnet.s_addr), gw = ntohl(b->gateway.s_addr);
	char s[INET_ADDRSTRLEN];
	if (b->prefix < 8 || b->prefix > 30 || (net & ~m))
		return gph_fail(e, EINVAL, "set the subnet with gph_bridge_set_subnet", "bridge %s: subnet %s/%d",
				b->name, ip_str(b->subnet, s), b->prefix);
	if ((gw & m) != net || gw == net || gw == (net | ~m))
		return gph_fail(e, EINVAL, "the gateway is a host address of the subnet", "bridge %s: gateway %s",
				b->name, ip_str(b->gateway, s));
	return 0;
}

/* The existing bridge l: its address into b (checked against an explicit subnet). */
static int adopt(struct nl_sock *sk, struct rtnl_link *l, struct gph_bridge *b, bool explicit,
		 struct gph_err *e)
{
	struct in_addr ip;
	int prefix, found, ours = 0, ifindex = rtnl_link_get_ifindex(l);
	char s[INET_ADDRSTRLEN];
	found = read_ipv4(sk, ifindex, b->subnet, explicit ? b->prefix : 0, &ip, &prefix, e);
	/* A parallel caller may have created it a moment ago: it marks it ours and gives it its
	 * address right after; give it up to a second. */
	for (int i = 0; found == 0 && i < 100; i++) {
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
		found = read_ipv4(sk, ifindex, b->subnet, explicit ? b->prefix : 0, &ip, &prefix, e);
	}
	if (found < 0)
		return -1;
	if (!found) {
		/* Look again: the alias may be newer than our first look. */
		struct rtnl_link *now = NULL;
		int x = get_link(sk, ifindex, NULL, &now, e);
		if (x < 0)
			return -1;
		ours = x && is_ours(now);
		if (now)
			rtnl_link_put(now);
	}
	if (!found && ours) {
		/* Ours but bare: its creator is adding the address right now, or died before it. */
		struct gph_bridge d = *b;
		if (!explicit && gph_bridge_set_subnet(&d, GPH_BRIDGE_SUBNET, e) < 0)
			return -1;
		if (gph_net_addr_add(sk, ifindex, b->name, d.gateway, d.prefix, true, e) < 0)
			return -1;
		found = read_ipv4(sk, ifindex, d.subnet, d.prefix, &ip, &prefix, e);
		if (found < 0)
			return -1;
	}
	if (!found)
		return gph_fail(e, EADDRNOTAVAIL, "give the bridge an IPv4 address (it is the containers' gateway), or use another --bridge",
				"bridge %s exists and has no IPv4 address", b->name);
	if (prefix < 8 || prefix > 30)
		return gph_fail(e, EINVAL, "a bridge network needs a prefix of 8..30 bits",
				"bridge %s has %s/%d", b->name, ip_str(ip, s), prefix);
	if (explicit && (prefix != b->prefix ||
			 ((ntohl(ip.s_addr) ^ ntohl(b->subnet.s_addr)) & mask_of(prefix)) != 0)) {
		char w[INET_ADDRSTRLEN];
		return gph_fail(e, EEXIST, "drop --subnet to use the bridge as it is, or pick another --bridge name (`gophernetes gc` removes an unused bridge of ours)",
				"bridge %s exists with %s/%d, not in the requested subnet %s/%d", b->name,
				ip_str(ip, s), prefix, ip_str(b->subnet, w), b->prefix);
	}
	b->gateway = ip;
	b->prefix = prefix;
	b->subnet.s_addr = htonl(ntohl(ip.s_addr) & mask_of(prefix));
	return 0;
}

int gph_bridge_ensure(struct gph_bridge *b, bool *created, struct gph_err *e)
{
	struct nl_sock *sk;
	bool explicit = b && b->prefix != 0;
	int rc = -1;
	if (created)
		*created = false;
	if (!b || !b->name[0])
		return gph_fail(e, EINVAL, "call gph_bridge_init first", "gph_bridge_ensure(no name)");
	if (explicit && check_gateway(b, e) < 0)
		return -1;
	if (!(sk = gph_net_sock(e)))
		return -1;
	/* Twice at most: a parallel caller may create the bridge between our look and our create. */
	for (int attempt = 0; attempt < 2; attempt++) {
		struct rtnl_link *l = NULL;
		int x = get_link(sk, 0, b->name, &l, e);
		if (x < 0)
			goto out;
		if (x) {
			if (!is_bridge(l)) {
				const char *t = rtnl_link_get_type(l);
				gph_fail(e, EEXIST, "pick another name with --bridge; gophernetes never changes a link it did not create",
					 "link %s exists and is not a bridge (it is %s)", b->name, t ? t : "a device without a type");
				rtnl_link_put(l);
				goto out;
			}
			x = adopt(sk, l, b, explicit, e);
			rtnl_link_put(l);
			if (x == 0)
				rc = 0;
			goto out;
		}
		struct gph_bridge want = *b;
		if (!explicit && gph_bridge_set_subnet(&want, GPH_BRIDGE_SUBNET, e) < 0)
			goto out;
		if (check_overlap(sk, &want, e) < 0) {
			/* The overlap may be the bridge itself, made by a parallel caller since we looked. */
			struct gph_err ignored;
			if (attempt == 0 && get_link(sk, 0, b->name, &l, &ignored) == 1) {
				rtnl_link_put(l);
				continue;
			}
			goto out;
		}
		if ((x = create_bridge(sk, &want, e)) < 0)
			goto out;
		if (x == 1)
			continue; /* lost the race: adopt theirs */
		if ((x = get_link(sk, 0, want.name, &l, e)) <= 0) {
			if (x == 0)
				gph_fail(e, ENODEV, "", "bridge %s vanished right after it was created", want.name);
			goto out;
		}
		int ifindex = rtnl_link_get_ifindex(l);
		rtnl_link_put(l);
		if (set_alias(sk, ifindex, want.name, e) < 0 ||
		    gph_net_addr_add(sk, ifindex, want.name, want.gateway, want.prefix, true, e) < 0) {
			delete_link(sk, ifindex, want.name); /* ours, just made: leave nothing half-made */
			goto out;
		}
		*b = want;
		if (created)
			*created = true;
		rc = 0;
		goto out;
	}
	gph_fail(e, EAGAIN, "try again", "bridge %s was created and removed while we looked", b->name);
out:
	nl_socket_free(sk);
	return rc;
}

/* ---- attach ---------------------------------------------------------------------------------- */

/* RTM_NEWLINK veth name (master, up) + peer (name, MAC, netns of pid), exclusive. */
static int add_pair(struct nl_sock *sk, const char *name, int master, const struct gph_bridge *b,
		    const struct gph_veth *v, pid_t pid)
{
	struct rtnl_link *host = rtnl_link_veth_alloc(), *peer = NULL;
	unsigned char mac[6];
	struct nl_addr *ll = NULL;
	char m[18];
	int r = -NLE_NOMEM;
	gph_bridge_mac(v->ctr_addr, mac);
	gph_bridge_tracef("RTM_NEWLINK veth %s master %s up, peer %s address %s in the netns of pid %d", name,
			  b->name, v->ctr_if, mac_str(v->ctr_addr, m), (int)pid);
	if (host && (peer = rtnl_link_veth_get_peer(host)) && (ll = nl_addr_build(AF_LLC, mac, sizeof mac))) {
		rtnl_link_set_name(host, name);
		rtnl_link_set_master(host, master);
		rtnl_link_set_flags(host, IFF_UP);
		rtnl_link_set_name(peer, v->ctr_if);
		rtnl_link_set_addr(peer, ll);
		rtnl_link_set_ns_pid(peer, pid);
		r = rtnl_link_add(sk, host, NLM_F_CREATE | NLM_F_EXCL);
	}
	if (ll)
		nl_addr_put(ll);
	if (peer)
		rtnl_link_put(peer); /* the reference get_peer took; host owns the peer */
	if (host)
		rtnl_link_put(host);
	return r;
}

/* Hairpin mode on a port (RTM_SETLINK, AF_BRIDGE, IFLA_PROTINFO/IFLA_BRPORT_MODE): lets the bridge
 * send a frame back out of the port it came in by. A container reaching its own published port
 * through a host address needs it: br_netfilter applies the DNAT while the frame is still being
 * bridged, and the new destination sits behind the very port the frame arrived on. */
static int set_hairpin(struct nl_sock *sk, int ifindex, const char *name, struct gph_err *e)
{
	struct rtnl_link *l = rtnl_link_alloc();
	int r = -NLE_NOMEM;
	gph_bridge_tracef("RTM_SETLINK %s (AF_BRIDGE) hairpin on", name);
	if (l) {
		rtnl_link_set_ifindex(l, ifindex);
		rtnl_link_set_family(l, AF_BRIDGE);
		if ((r = rtnl_link_bridge_set_flags(l, RTNL_BRIDGE_HAIRPIN_MODE)) == 0)
			r = rtnl_link_change(sk, l, l, 0);
		rtnl_link_put(l);
	}
	if (r < 0)
		return gph_net_fail(e, r, "a bridge port's flags need CAP_NET_ADMIN", "RTM_SETLINK %s hairpin on", name);
	return 0;
}

int gph_bridge_attach(struct gph_veth *v, const char *id, pid_t pid, const struct gph_bridge *b,
		      struct in_addr ctr_addr, struct gph_err *e)
{
	char name[IF_NAMESIZE], tried[2][IF_NAMESIZE] = { "", "" };
	struct rtnl_link *br = NULL, *l = NULL;
	struct nl_sock *sk;
	int x, rc = -1;
	if (!v || !id || pid <= 0 || !b)
		return gph_fail(e, EINVAL, "", "gph_bridge_attach(id %s, pid %d)", id ? id : "(null)", (int)pid);
	if (check_gateway(b, e) < 0)
		return -1;
	if (!v->ctr_if[0])
		snprintf(v->ctr_if, sizeof v->ctr_if, "eth0");
	v->host_if[0] = '\0';
	v->host_ifindex = 0;
	v->ctr_addr = ctr_addr;
	if (!(sk = gph_net_sock(e)))
		return -1;
	if ((x = get_link(sk, 0, b->name, &br, e)) <= 0 || !is_bridge(br)) {
		if (x >= 0)
			gph_fail(e, ENODEV, "ensure the bridge first (gph_bridge_ensure)", "bridge %s: %s", b->name,
				 x == 0 ? "no such link" : "not a bridge");
		goto out;
	}
	for (int attempt = 0; attempt < 2 && !v->host_if[0]; attempt++) {
		int r;
		if (gph_net_host_ifname(name, id, attempt) < 0)
			break;
		snprintf(tried[attempt], IF_NAMESIZE, "%s", name);
		if ((x = get_link(sk, 0, name, &l, e)) < 0)
			goto out;
		if (l)
			rtnl_link_put(l);
		l = NULL;
		if (x)
			continue; /* not ours: never reuse or delete it (B22) */
		r = add_pair(sk, name, rtnl_link_get_ifindex(br), b, v, pid);
		if (r == 0) {
			snprintf(v->host_if, sizeof v->host_if, "%s", name);
			break;
		}
		if (r == -NLE_EXIST) {
			if ((x = get_link(sk, 0, name, &l, e)) < 0)
				goto out;
			if (l)
				rtnl_link_put(l);
			l = NULL;
			if (x)
				continue; /* someone took the name meanwhile */
			gph_fail(e, EEXIST, "the container's namespace has a link of that name already; pick another name",
				 "rtnl_link_add(veth \"%s\", peer \"%s\" in the netns of pid %d)", name, v->ctr_if, (int)pid);
			goto out;
		}
		gph_net_fail(e, r, r == -NLE_OBJ_NOTFOUND ? "is the process still running?" :
			     "creating links needs CAP_NET_ADMIN and a kernel with veth (CONFIG_VETH)",
			     "rtnl_link_add(veth \"%s\" master %s, peer \"%s\" in the netns of pid %d)", name, b->name,
			     v->ctr_if, (int)pid);
		goto out;
	}
	if (!v->host_if[0]) {
		if (!tried[0][0])
			gph_fail(e, EINVAL, "ids are made of letters, digits, '-', '_' and '.'",
				 "veth host name from id \"%s\"", id);
		else
			gph_fail(e, EEXIST, "another link uses the name; remove it if it is stale, or use another id",
				 "veth host name for id \"%s\": %s%s%s exist%s already", id, tried[0],
				 tried[1][0] ? " and " : "", tried[1], tried[1][0] ? "" : "s");
		goto out;
	}
	/* The pair exists: learn its index so that delete (ours only, by index) works; or undo. */
	if ((x = get_link(sk, 0, v->host_if, &l, e)) <= 0) {
		struct rtnl_link *byname = rtnl_link_alloc();
		if (x == 0)
			gph_fail(e, ENODEV, "", "veth %s vanished right after it was created", v->host_if);
		if (byname) {
			rtnl_link_set_name(byname, v->host_if);
			gph_bridge_tracef("RTM_DELLINK %s", v->host_if);
			rtnl_link_delete(sk, byname);
			rtnl_link_put(byname);
		}
		v->host_if[0] = '\0';
		goto out;
	}
	v->host_ifindex = rtnl_link_get_ifindex(l);
	if (set_hairpin(sk, v->host_ifindex, v->host_if, e) < 0) {
		gph_bridge_tracef("RTM_DELLINK %s", v->host_if);
		rtnl_link_delete(sk, l);
		v->host_if[0] = '\0';
		v->host_ifindex = 0;
		goto out;
	}
	v->host_addr = b->gateway;
	v->prefix = b->prefix;
	rc = 0;
out:
	if (l)
		rtnl_link_put(l);
	if (br)
		rtnl_link_put(br);
	nl_socket_free(sk);
	return rc;
}

/* ---- ports and removal ----------------------------------------------------------------------- */

static int count_ports(struct nl_sock *sk, int ifindex, int *n, struct gph_err *e)
{
	struct nl_cache *links = NULL;
	int r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links);
	if (r < 0)
		return gph_net_fail(e, r, "", "rtnl_link_alloc_cache()");
	*n = 0;
	for (struct nl_object *ob = nl_cache_get_first(links); ob; ob = nl_cache_get_next(ob))
		if (rtnl_link_get_master((struct rtnl_link *)ob) == ifindex)
			(*n)++;
	nl_cache_free(links);
	return 0;
}

int gph_bridge_detach_id(const struct gph_bridge *b, const char *id, int *deleted, struct gph_err *e)
{
	struct rtnl_link *br = NULL, *l = NULL;
	struct nl_sock *sk;
	char name[IF_NAMESIZE];
	int x, rc = -1;
	*deleted = 0;
	if (!(sk = gph_net_sock(e)))
		return -1;
	if ((x = get_link(sk, 0, b->name, &br, e)) < 0)
		goto out;
	rc = 0;
	if (x == 0 || !is_bridge(br) || !is_ours(br))
		goto out;
	for (int attempt = 0; attempt < 2 && gph_net_host_ifname(name, id, attempt) == 0; attempt++) {
		if ((x = get_link(sk, 0, name, &l, e)) < 0) {
			rc = -1;
			goto out;
		}
		/* Ours only as a port of our bridge: a link of that name elsewhere is someone else's (B22). */
		if (x && rtnl_link_get_master(l) == rtnl_link_get_ifindex(br)) {
			gph_bridge_tracef("RTM_DELLINK %s", name);
			x = rtnl_link_delete(sk, l);
			if (x < 0 && !is_absent(x)) {
				rc = gph_net_fail(e, x, "deleting a link needs CAP_NET_ADMIN", "rtnl_link_delete(\"%s\")", name);
				goto out;
			}
			(*deleted)++;
		}
		if (l)
			rtnl_link_put(l);
		l = NULL;
	}
out:
	if (l)
		rtnl_link_put(l);
	if (br)
		rtnl_link_put(br);
	nl_socket_free(sk);
	return rc;
}

int gph_bridge_ports(const struct gph_bridge *b, int *n, struct gph_err *e)
{
	struct rtnl_link *l = NULL;
	struct nl_sock *sk;
	int x, rc = -1;
	*n = 0;
	if (!(sk = gph_net_sock(e)))
		return -1;
	if ((x = get_link(sk, 0, b->name, &l, e)) < 0)
		goto out;
	if (x == 0 || !is_bridge(l)) {
		rc = 0;
		goto out;
	}
	rc = count_ports(sk, rtnl_link_get_ifindex(l), n, e);
out:
	if (l)
		rtnl_link_put(l);
	nl_socket_free(sk);
	return rc;
}

int gph_bridge_remove_unused(const struct gph_bridge *b, bool *removed, struct gph_err *e)
{
	struct rtnl_link *l = NULL;
	struct nl_sock *sk;
	int x, n = 0, rc = -1;
	if (removed)
		*removed = false;
	if (!(sk = gph_net_sock(e)))
		return -1;
	if ((x = get_link(sk, 0, b->name, &l, e)) < 0)
		goto out;
	rc = 0;
	if (x == 0 || !is_bridge(l) || !is_ours(l))
		goto out;
	if ((rc = count_ports(sk, rtnl_link_get_ifindex(l), &n, e)) < 0 || n > 0)
		goto out;
	gph_bridge_tracef("RTM_DELLINK %s", b->name);
	x = rtnl_link_delete(sk, l);
	if (x < 0 && !is_absent(x)) {
		rc = gph_net_fail(e, x, "deleting a link needs CAP_NET_ADMIN", "rtnl_link_delete(\"%s\")", b->name);
		goto out;
	}
	if (removed)
		*removed = true;
out:
	if (l)
		rtnl_link_put(l);
	nl_socket_free(sk);
	return rc;
}
