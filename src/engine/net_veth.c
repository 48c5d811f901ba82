/* The container's veth pair: pick a free /30 and a host end name, create the pair with the peer
 * born inside the container's network namespace, configure both ends, delete it again. */
#include "gph/diagnose.h"
#include "gph/bridge.h"
#include "gph/net.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include "nl_lib.h"

#define POOL_NET 0x0ac80000u   /* 10.200.0.0/16, host byte order */
#define POOL_PREFIX 16
#define BLOCK_PREFIX 30

int gph_net_host_ifname(char out[IF_NAMESIZE], const char *id, int attempt)
{
	size_t len = id ? strlen(id) : 0, start = (size_t)attempt * 8, n;
	if (attempt < 0 || attempt > 1 || start >= len) {
		errno = EINVAL;
		return -1;
	}
	n = len - start < 8 ? len - start : 8;
	for (size_t i = start; i < start + n; i++) {
		/* The kernel refuses '/', ':' and white space; keep to the plainly safe set. */
		if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.') {
			errno = EINVAL;
			return -1;
		}
	}
	snprintf(out, IF_NAMESIZE, "gph-%.*s", (int)n, id + start);
	return 0;
}

static uint32_t mask_of(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

int gph_net_pick_block(const struct gph_net_used *used, size_t n, struct in_addr *host,
		       struct in_addr *ctr)
{
	uint32_t blocks = 1u << (BLOCK_PREFIX - POOL_PREFIX);
	for (uint32_t b = 0; b < blocks; b++) {
		uint32_t net = POOL_NET | (b << (32 - BLOCK_PREFIX));
		size_t i;
		for (i = 0; i < n; i++) {
			/* Two prefixes overlap when they agree on the shorter one's bits. */
			int p = used[i].prefix < BLOCK_PREFIX ? used[i].prefix : BLOCK_PREFIX;
			if (((ntohl(used[i].addr.s_addr) ^ net) & mask_of(p)) == 0)
				break;
		}
		if (i == n) {
			host->s_addr = htonl(net + 1);
			ctr->s_addr = htonl(net + 2);
			return 0;
		}
	}
	return -1;
}

/* Routes count as used too: a /30 that a VPN routes elsewhere would be unreachable. */
int gph_net_used_prefixes(struct nl_sock *sk, struct gph_net_used **out, size_t *n, struct gph_err *e)
{
	struct nl_cache *addrs = NULL, *routes = NULL;
	struct gph_net_used *v = NULL;
	size_t cap;
	int r, rc = -1;
	*n = 0;
	if ((r = rtnl_addr_alloc_cache(sk, &addrs)) < 0) {
		gph_net_fail(e, r, "", "rtnl_addr_alloc_cache()");
		goto out;
	}
	if ((r = rtnl_route_alloc_cache(sk, AF_INET, 0, &routes)) < 0) {
		gph_net_fail(e, r, "", "rtnl_route_alloc_cache(AF_INET)");
		goto out;
	}
	cap = (size_t)nl_cache_nitems(addrs) + (size_t)nl_cache_nitems(routes) + 1;
	if (!(v = calloc(cap, sizeof *v))) {
		gph_fail(e, ENOMEM, "", "calloc(%zu addresses)", cap);
		goto out;
	}
	for (struct nl_object *ob = nl_cache_get_first(addrs); ob && *n < cap; ob = nl_cache_get_next(ob)) {
		struct nl_addr *a = rtnl_addr_get_local((struct rtnl_addr *)ob);
		if (rtnl_addr_get_family((struct rtnl_addr *)ob) != AF_INET || !a || nl_addr_get_len(a) != 4)
			continue;
		memcpy(&v[*n].addr, nl_addr_get_binary_addr(a), 4);
		v[(*n)++].prefix = rtnl_addr_get_prefixlen((struct rtnl_addr *)ob);
	}
	for (struct nl_object *ob = nl_cache_get_first(routes); ob && *n < cap; ob = nl_cache_get_next(ob)) {
		struct nl_addr *d = rtnl_route_get_dst((struct rtnl_route *)ob);
		if (rtnl_route_get_table((struct rtnl_route *)ob) != RT_TABLE_MAIN || !d ||
		    nl_addr_get_len(d) != 4 || nl_addr_get_prefixlen(d) == 0)
			continue;
		memcpy(&v[*n].addr, nl_addr_get_binary_addr(d), 4);
		v[*n].route = true;
		v[(*n)++].prefix = (int)nl_addr_get_prefixlen(d);
	}
	*out = v;
	v = NULL;
	rc = 0;
out:
	free(v);
	if (routes)
		nl_cache_free(routes);
	if (addrs)
		nl_cache_free(addrs);
	return rc;
}

int gph_net_addr_add(struct nl_sock *sk, int ifindex, const char *ifname, struct in_addr ip, int prefix,
		     bool exist_ok, struct gph_err *e)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(AF_INET, &ip, sizeof ip);
	char s[INET_ADDRSTRLEN];
	int r = -NLE_NOMEM;
	inet_ntop(AF_INET, &ip, s, sizeof s);
	gph_bridge_tracef("RTM_NEWADDR %s %s/%d", ifname, s, prefix);
	if (a && local) {
		nl_addr_set_prefixlen(local, prefix);
		rtnl_addr_set_ifindex(a, ifindex);
		if ((r = rtnl_addr_set_local(a, local)) == 0) {
			rtnl_addr_set_prefixlen(a, prefix);
			r = rtnl_addr_add(sk, a, 0);
		}
	}
	if (local)
		nl_addr_put(local);
	if (a)
		rtnl_addr_put(a);
	if (r == -NLE_EXIST && exist_ok)
		return 0; /* a parallel caller put the same address there first */
	if (r < 0)
		return gph_net_fail(e, r, "is the address already on a link of this namespace? (`show net` lists them)",
				    "rtnl_addr_add(\"%s\", %s/%d)", ifname, s, prefix);
	return 0;
}

static int set_up(struct nl_sock *sk, struct rtnl_link *link, struct gph_err *e)
{
	struct rtnl_link *change = rtnl_link_alloc();
	int r = -NLE_NOMEM;
	if (change) {
		rtnl_link_set_flags(change, IFF_UP);
		r = rtnl_link_change(sk, link, change, 0);
		rtnl_link_put(change);
	}
	if (r < 0)
		return gph_net_fail(e, r, "", "rtnl_link_change(\"%s\", up)", rtnl_link_get_name(link));
	return 0;
}

static int is_absent(int nlerr)
{
	return nlerr == -NLE_NODEV || nlerr == -NLE_OBJ_NOTFOUND;
}

/* 1 if a link of that name exists, 0 if not, -1 on error. */
static int link_exists(struct nl_sock *sk, const char *name, struct gph_err *e)
{
	struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(sk, 0, name, &l);
	if (l)
		rtnl_link_put(l);
	if (r == 0)
		return 1;
	if (is_absent(r))
		return 0;
	return gph_net_fail(e, r, "", "rtnl_link_get_kernel(\"%s\")", name);
}

int gph_net_veth_delete(const struct gph_veth *v, struct gph_err *e)
{
	struct rtnl_link *l = NULL;
	struct nl_sock *sk;
	int r, rc = -1;
	if (!v || v->host_ifindex <= 0 || !v->host_if[0])
		return 0; /* never created */
	if (!(sk = gph_net_sock(e)))
		return -1;
	r = rtnl_link_get_kernel(sk, v->host_ifindex, NULL, &l);
	if (is_absent(r)) {
		rc = 0;
		goto out;
	}
	if (r < 0) {
		gph_net_fail(e, r, "", "rtnl_link_get_kernel(ifindex %d)", v->host_ifindex);
		goto out;
	}
	/* The index was reused by a link someone else made: ours is gone already. */
	if (strcmp(rtnl_link_get_name(l), v->host_if) != 0) {
		rc = 0;
		goto out;
	}
	r = rtnl_link_delete(sk, l);
	if (r < 0 && !is_absent(r)) {
		gph_net_fail(e, r, "deleting a link needs CAP_NET_ADMIN",
			     "rtnl_link_delete(\"%s\" ifindex %d)", v->host_if, v->host_ifindex);
		goto out;
	}
	rc = 0;
out:
	if (l)
		rtnl_link_put(l);
	nl_socket_free(sk);
	return rc;
}

/* Make the pair under the first free candidate name; fills v->host_if. */
static int make_pair(struct nl_sock *sk, struct gph_veth *v, const char *id, pid_t pid, struct gph_err *e)
{
	char name[IF_NAMESIZE], tried[2][IF_NAMESIZE] = { "", "" };
	for (int attempt = 0; attempt < 2; attempt++) {
		int r, x;
		if (gph_net_host_ifname(name, id, attempt) < 0)
			break;
		snprintf(tried[attempt], IF_NAMESIZE, "%s", name);
		if ((x = link_exists(sk, name, e)) < 0)
			return -1;
		if (x)
			continue; /* not ours: never reuse or delete it */
		r = rtnl_link_veth_add(sk, name, v->ctr_if, pid);
		if (r == 0) {
			snprintf(v->host_if, sizeof v->host_if, "%s", name);
			return 0;
		}
		if (r == -NLE_EXIST) {
			if ((x = link_exists(sk, name, e)) < 0)
				return -1;
			if (x)
				continue; /* someone took the name meanwhile */
			return gph_fail(e, EEXIST, "the container's namespace has a link of that name already; pick another name",
					"rtnl_link_veth_add(\"%s\", peer \"%s\" in the netns of pid %d)", name, v->ctr_if, (int)pid);
		}
		gph_net_fail(e, r, r == -NLE_OBJ_NOTFOUND ? "is the process still running?" :
			     "creating links needs CAP_NET_ADMIN and a kernel with veth (CONFIG_VETH)",
			     "rtnl_link_veth_add(\"%s\", peer \"%s\" in the netns of pid %d)", name, v->ctr_if, (int)pid);
		gph_diagnose_link(name, e->errnum, e);
		return -1;
	}
	if (!tried[0][0])
		return gph_fail(e, EINVAL, "ids are made of letters, digits, '-', '_' and '.'",
				"veth host name from id \"%s\"", id);
	gph_fail(e, EEXIST, "another link uses the name; remove it if it is stale, or use another id",
		 "veth host name for id \"%s\": %s%s%s exist%s already", id, tried[0],
		 tried[1][0] ? " and " : "", tried[1], tried[1][0] ? "" : "s");
	gph_diagnose_link(tried[0], EEXIST, e);
	return -1;
}

int gph_net_veth_create(struct gph_veth *v, const char *id, pid_t pid, struct gph_err *e)
{
	struct gph_net_used *used = NULL;
	struct rtnl_link *host = NULL;
	struct nl_sock *sk;
	size_t nused = 0;
	int r, picked = 0, rc = -1;
	if (!v || !id || pid <= 0)
		return gph_fail(e, EINVAL, "", "gph_net_veth_create(id %s, pid %d)", id ? id : "(null)", (int)pid);
	if (!v->ctr_if[0])
		snprintf(v->ctr_if, sizeof v->ctr_if, "eth0");
	if (v->prefix < 0 || v->prefix > 32)
		return gph_fail(e, EINVAL, "a prefix is 1..32 bits", "veth prefix /%d", v->prefix);
	v->host_if[0] = '\0';
	v->host_ifindex = 0;
	if (!(sk = gph_net_sock(e)))
		return -1;
	if (v->prefix == 0) {
		if (gph_net_used_prefixes(sk, &used, &nused, e) < 0)
			goto out;
		if (gph_net_pick_block(used, nused, &v->host_addr, &v->ctr_addr) < 0) {
			gph_fail(e, EADDRINUSE, "addresses of this namespace cover 10.200.0.0/16; give the veth addresses explicitly",
				 "free /30 in 10.200.0.0/16");
			goto out;
		}
		v->prefix = BLOCK_PREFIX;
		picked = 1;
	}
	if (make_pair(sk, v, id, pid, e) < 0)
		goto out;
	/* From here on the pair exists: any failure deletes it (the peer goes with the host end). */
	r = rtnl_link_get_kernel(sk, 0, v->host_if, &host);
	if (r < 0) {
		gph_net_fail(e, r, "", "rtnl_link_get_kernel(\"%s\")", v->host_if);
		goto undo;
	}
	v->host_ifindex = rtnl_link_get_ifindex(host);
	if (gph_net_addr_add(sk, v->host_ifindex, v->host_if, v->host_addr, v->prefix, false, e) < 0 ||
	    set_up(sk, host, e) < 0)
		goto undo;
	rc = 0;
	goto out;
undo:
	if (v->host_ifindex > 0) {
		struct gph_err ignored;
		gph_net_veth_delete(v, &ignored);
	} else {
		/* No index learnt: delete by the name we just created exclusively. */
		struct rtnl_link *byname = rtnl_link_alloc();
		if (byname) {
			rtnl_link_set_name(byname, v->host_if);
			rtnl_link_delete(sk, byname);
			rtnl_link_put(byname);
		}
	}
out:
	if (rc < 0) {
		v->host_if[0] = '\0';
		v->host_ifindex = 0;
		if (picked)
			v->prefix = 0;
	}
	if (host)
		rtnl_link_put(host);
	free(used);
	nl_socket_free(sk);
	return rc;
}

static int add_default_route(struct nl_sock *sk, int ifindex, const char *ifname, struct in_addr gw_ip,
			     struct gph_err *e)
{
	static const struct in_addr any = { 0 };
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = nl_addr_build(AF_INET, &any, sizeof any);
	struct nl_addr *gw = nl_addr_build(AF_INET, &gw_ip, sizeof gw_ip);
	char s[INET_ADDRSTRLEN];
	int r = -NLE_NOMEM;
	inet_ntop(AF_INET, &gw_ip, s, sizeof s);
	if (rt && nh && dst && gw) {
		nl_addr_set_prefixlen(dst, 0);
		rtnl_route_set_family(rt, AF_INET);
		rtnl_route_set_table(rt, RT_TABLE_MAIN);
		rtnl_route_set_protocol(rt, RTPROT_BOOT);
		rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
		rtnl_route_set_type(rt, RTN_UNICAST);
		if ((r = rtnl_route_set_dst(rt, dst)) == 0) {
			rtnl_route_nh_set_ifindex(nh, ifindex);
			rtnl_route_nh_set_gateway(nh, gw);
			rtnl_route_add_nexthop(rt, nh); /* the route owns nh now */
			nh = NULL;
			r = rtnl_route_add(sk, rt, NLM_F_EXCL);
		}
	}
	if (gw)
		nl_addr_put(gw);
	if (dst)
		nl_addr_put(dst);
	if (nh)
		rtnl_route_nh_free(nh);
	if (rt)
		rtnl_route_put(rt);
	if (r < 0)
		return gph_net_fail(e, r, "the gateway must be inside the prefix of the link's address, and only one default route may exist",
				    "rtnl_route_add(default via %s dev %s)", s, ifname);
	return 0;
}

/* The kernel reports the new operational state a moment after the link comes up (linkwatch runs
 * later); wait up to a second so that what `net` shows next is settled. Not an error if it is not. */
static void wait_oper_up(struct nl_sock *sk, int ifindex)
{
	for (int i = 0; i < 100; i++) {
		struct rtnl_link *l = NULL;
		int up = rtnl_link_get_kernel(sk, ifindex, NULL, &l) == 0 &&
			 rtnl_link_get_operstate(l) == IF_OPER_UP;
		if (l)
			rtnl_link_put(l);
		if (up)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
}

int gph_net_veth_configure_inside(const struct gph_veth *v, struct gph_err *e)
{
	const char *ifname = v && v->ctr_if[0] ? v->ctr_if : "eth0";
	struct rtnl_link *link = NULL;
	struct nl_sock *sk;
	int r, rc = -1;
	if (!v || v->prefix <= 0 || v->prefix > 32)
		return gph_fail(e, EINVAL, "create the veth first (it picks the addresses)",
				"gph_net_veth_configure_inside(prefix /%d)", v ? v->prefix : -1);
	if (!(sk = gph_net_sock(e)))
		return -1;
	r = rtnl_link_get_kernel(sk, 0, ifname, &link);
	if (r < 0) {
		gph_net_fail(e, r, "the veth peer appears in the container's namespace once the host created it; is this process in that namespace?",
			     "rtnl_link_get_kernel(\"%s\")", ifname);
		goto out;
	}
	if (gph_net_addr_add(sk, rtnl_link_get_ifindex(link), ifname, v->ctr_addr, v->prefix, false, e) < 0 ||
	    set_up(sk, link, e) < 0 || gph_net_lo_up(e) < 0 ||
	    add_default_route(sk, rtnl_link_get_ifindex(link), ifname, v->host_addr, e) < 0)
		goto out;
	wait_oper_up(sk, rtnl_link_get_ifindex(link));
	rc = 0;
out:
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return rc;
}
