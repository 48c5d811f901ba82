/* One link of the caller's network namespace, by ifindex, as the kernel reports it now (for the
 * host side of `show`'s network path: the host end of a veth and its bridge). */
#include "view.h" /* first: <net/if.h> before the kernel's headers that libnl pulls in */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "nl_lib.h"

static void add_addrs(struct nl_cache *addrs, int ifindex, struct view_link *out)
{
	static const int families[] = {AF_INET, AF_INET6};
	for (size_t f = 0; f < 2; f++)
		for (struct nl_object *ob = nl_cache_get_first(addrs); ob; ob = nl_cache_get_next(ob)) {
			struct rtnl_addr *a = (struct rtnl_addr *)ob;
			struct nl_addr *local = rtnl_addr_get_local(a);
			char s[INET6_ADDRSTRLEN];
			if (out->naddr >= VIEW_ADDRS)
				return;
			if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != families[f] || !local ||
			    !inet_ntop(families[f], nl_addr_get_binary_addr(local), s, sizeof s))
				continue;
			snprintf(out->addr[out->naddr++], sizeof out->addr[0], "%s/%d", s, rtnl_addr_get_prefixlen(a));
		}
}

int gph_net_link_view(int ifindex, struct view_link *out, struct gph_err *e)
{
	struct nl_sock *sk = gph_net_sock(e);
	struct rtnl_link *link = NULL;
	struct nl_cache *addrs = NULL;
	int r, rc = -1;
	memset(out, 0, sizeof *out);
	if (!sk)
		return -1;
	if ((r = rtnl_link_get_kernel(sk, ifindex, NULL, &link)) < 0) {
		gph_net_fail(e, r, "the link is gone", "RTM_GETLINK ifindex %d", ifindex);
		goto done;
	}
	out->index = ifindex;
	snprintf(out->name, sizeof out->name, "%s", rtnl_link_get_name(link) ? rtnl_link_get_name(link) : "?");
	out->up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
	out->master = rtnl_link_get_master(link);
	if ((r = rtnl_addr_alloc_cache(sk, &addrs)) < 0) {
		gph_net_fail(e, r, NULL, "RTM_GETADDR dump");
		goto done;
	}
	add_addrs(addrs, ifindex, out);
	rc = 0;
done:
	if (addrs)
		nl_cache_free(addrs);
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return rc;
}
