/* libnl (libnl-3 and libnl-route-3), loaded with dlopen on first use instead of linked: the plain
 * `run` path never needs it (`ns net` brings lo up with an ioctl), and linking it cost every start
 * about 0.3 ms and 0.6 MiB of resident memory for the dynamic loader's work.
 * Files that talk netlink include this instead of the libnl headers; each libnl function they call
 * goes through the table below, filled on first use. */
#ifndef GPH_NL_LIB_H
#define GPH_NL_LIB_H
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include "gph/error.h"

/* Every libnl function the engine calls (`nm -u` of the engine objects lists them). */
#define GPH_NL_FUNCS(X) \
	X(nl_addr_build) \
	X(nl_addr_get_binary_addr) \
	X(nl_addr_get_len) \
	X(nl_addr_get_prefixlen) \
	X(nl_addr_put) \
	X(nl_addr_set_prefixlen) \
	X(nl_cache_free) \
	X(nl_cache_get_first) \
	X(nl_cache_get_next) \
	X(nl_cache_nitems) \
	X(nl_connect) \
	X(nl_geterror) \
	X(nl_socket_alloc) \
	X(nl_socket_free) \
	X(nl_socket_modify_err_cb) \
	X(nl_syserr2nlerr) \
	X(rtnl_addr_add) \
	X(rtnl_addr_alloc) \
	X(rtnl_addr_alloc_cache) \
	X(rtnl_addr_get_family) \
	X(rtnl_addr_get_ifindex) \
	X(rtnl_addr_get_local) \
	X(rtnl_addr_get_prefixlen) \
	X(rtnl_addr_put) \
	X(rtnl_addr_set_ifindex) \
	X(rtnl_addr_set_local) \
	X(rtnl_addr_set_prefixlen) \
	X(rtnl_link_add) \
	X(rtnl_link_alloc) \
	X(rtnl_link_alloc_cache) \
	X(rtnl_link_bridge_set_flags) \
	X(rtnl_link_change) \
	X(rtnl_link_delete) \
	X(rtnl_link_get_flags) \
	X(rtnl_link_get_ifalias) \
	X(rtnl_link_get_ifindex) \
	X(rtnl_link_get_kernel) \
	X(rtnl_link_get_master) \
	X(rtnl_link_get_mtu) \
	X(rtnl_link_get_name) \
	X(rtnl_link_get_operstate) \
	X(rtnl_link_get_type) \
	X(rtnl_link_i2name) \
	X(rtnl_link_put) \
	X(rtnl_link_set_addr) \
	X(rtnl_link_set_family) \
	X(rtnl_link_set_flags) \
	X(rtnl_link_set_ifalias) \
	X(rtnl_link_set_ifindex) \
	X(rtnl_link_set_master) \
	X(rtnl_link_set_name) \
	X(rtnl_link_set_ns_pid) \
	X(rtnl_link_set_type) \
	X(rtnl_link_veth_add) \
	X(rtnl_link_veth_alloc) \
	X(rtnl_link_veth_get_peer) \
	X(rtnl_route_add) \
	X(rtnl_route_add_nexthop) \
	X(rtnl_route_alloc) \
	X(rtnl_route_alloc_cache) \
	X(rtnl_route_get_dst) \
	X(rtnl_route_get_nnexthops) \
	X(rtnl_route_get_table) \
	X(rtnl_route_get_type) \
	X(rtnl_route_nexthop_n) \
	X(rtnl_route_nh_alloc) \
	X(rtnl_route_nh_free) \
	X(rtnl_route_nh_get_gateway) \
	X(rtnl_route_nh_get_ifindex) \
	X(rtnl_route_nh_set_gateway) \
	X(rtnl_route_nh_set_ifindex) \
	X(rtnl_route_put) \
	X(rtnl_route_set_dst) \
	X(rtnl_route_set_family) \
	X(rtnl_route_set_protocol) \
	X(rtnl_route_set_scope) \
	X(rtnl_route_set_table) \
	X(rtnl_route_set_type)

struct gph_nl_fns {
#define GPH_NL_FIELD(f) __typeof__(&f) f;
	GPH_NL_FUNCS(GPH_NL_FIELD)
#undef GPH_NL_FIELD
};

/* Load the libraries and resolve every function; 0, or -1 with e saying which and why. Cheap once
 * loaded. Entry points call it so that a missing library is an ordinary error. */
int gph_nl_load(struct gph_err *e);
/* The table, loading it first if needed; a library that cannot be loaded here (an entry point
 * forgot gph_nl_load) ends the process with the reason and exit status 125. */
const struct gph_nl_fns *gph_nl_get(void);

#ifndef GPH_NL_NO_MACROS
#define nl_addr_build (gph_nl_get()->nl_addr_build)
#define nl_addr_get_binary_addr (gph_nl_get()->nl_addr_get_binary_addr)
#define nl_addr_get_len (gph_nl_get()->nl_addr_get_len)
#define nl_addr_get_prefixlen (gph_nl_get()->nl_addr_get_prefixlen)
#define nl_addr_put (gph_nl_get()->nl_addr_put)
#define nl_addr_set_prefixlen (gph_nl_get()->nl_addr_set_prefixlen)
#define nl_cache_free (gph_nl_get()->nl_cache_free)
#define nl_cache_get_first (gph_nl_get()->nl_cache_get_first)
#define nl_cache_get_next (gph_nl_get()->nl_cache_get_next)
#define nl_cache_nitems (gph_nl_get()->nl_cache_nitems)
#define nl_connect (gph_nl_get()->nl_connect)
#define nl_geterror (gph_nl_get()->nl_geterror)
#define nl_socket_alloc (gph_nl_get()->nl_socket_alloc)
#define nl_socket_free (gph_nl_get()->nl_socket_free)
#define nl_socket_modify_err_cb (gph_nl_get()->nl_socket_modify_err_cb)
#define nl_syserr2nlerr (gph_nl_get()->nl_syserr2nlerr)
#define rtnl_addr_add (gph_nl_get()->rtnl_addr_add)
#define rtnl_addr_alloc (gph_nl_get()->rtnl_addr_alloc)
#define rtnl_addr_alloc_cache (gph_nl_get()->rtnl_addr_alloc_cache)
#define rtnl_addr_get_family (gph_nl_get()->rtnl_addr_get_family)
#define rtnl_addr_get_ifindex (gph_nl_get()->rtnl_addr_get_ifindex)
#define rtnl_addr_get_local (gph_nl_get()->rtnl_addr_get_local)
#define rtnl_addr_get_prefixlen (gph_nl_get()->rtnl_addr_get_prefixlen)
#define rtnl_addr_put (gph_nl_get()->rtnl_addr_put)
#define rtnl_addr_set_ifindex (gph_nl_get()->rtnl_addr_set_ifindex)
#define rtnl_addr_set_local (gph_nl_get()->rtnl_addr_set_local)
#define rtnl_addr_set_prefixlen (gph_nl_get()->rtnl_addr_set_prefixlen)
#define rtnl_link_add (gph_nl_get()->rtnl_link_add)
#define rtnl_link_alloc (gph_nl_get()->rtnl_link_alloc)
#define rtnl_link_alloc_cache (gph_nl_get()->rtnl_link_alloc_cache)
#define rtnl_link_bridge_set_flags (gph_nl_get()->rtnl_link_bridge_set_flags)
#define rtnl_link_change (gph_nl_get()->rtnl_link_change)
#define rtnl_link_delete (gph_nl_get()->rtnl_link_delete)
#define rtnl_link_get_flags (gph_nl_get()->rtnl_link_get_flags)
#define rtnl_link_get_ifalias (gph_nl_get()->rtnl_link_get_ifalias)
#define rtnl_link_get_ifindex (gph_nl_get()->rtnl_link_get_ifindex)
#define rtnl_link_get_kernel (gph_nl_get()->rtnl_link_get_kernel)
#define rtnl_link_get_master (gph_nl_get()->rtnl_link_get_master)
#define rtnl_link_get_mtu (gph_nl_get()->rtnl_link_get_mtu)
#define rtnl_link_get_name (gph_nl_get()->rtnl_link_get_name)
#define rtnl_link_get_operstate (gph_nl_get()->rtnl_link_get_operstate)
#define rtnl_link_get_type (gph_nl_get()->rtnl_link_get_type)
#define rtnl_link_i2name (gph_nl_get()->rtnl_link_i2name)
#define rtnl_link_put (gph_nl_get()->rtnl_link_put)
#define rtnl_link_set_addr (gph_nl_get()->rtnl_link_set_addr)
#define rtnl_link_set_family (gph_nl_get()->rtnl_link_set_family)
#define rtnl_link_set_flags (gph_nl_get()->rtnl_link_set_flags)
#define rtnl_link_set_ifalias (gph_nl_get()->rtnl_link_set_ifalias)
#define rtnl_link_set_ifindex (gph_nl_get()->rtnl_link_set_ifindex)
#define rtnl_link_set_master (gph_nl_get()->rtnl_link_set_master)
#define rtnl_link_set_name (gph_nl_get()->rtnl_link_set_name)
#define rtnl_link_set_ns_pid (gph_nl_get()->rtnl_link_set_ns_pid)
#define rtnl_link_set_type (gph_nl_get()->rtnl_link_set_type)
#define rtnl_link_veth_add (gph_nl_get()->rtnl_link_veth_add)
#define rtnl_link_veth_alloc (gph_nl_get()->rtnl_link_veth_alloc)
#define rtnl_link_veth_get_peer (gph_nl_get()->rtnl_link_veth_get_peer)
#define rtnl_route_add (gph_nl_get()->rtnl_route_add)
#define rtnl_route_add_nexthop (gph_nl_get()->rtnl_route_add_nexthop)
#define rtnl_route_alloc (gph_nl_get()->rtnl_route_alloc)
#define rtnl_route_alloc_cache (gph_nl_get()->rtnl_route_alloc_cache)
#define rtnl_route_get_dst (gph_nl_get()->rtnl_route_get_dst)
#define rtnl_route_get_nnexthops (gph_nl_get()->rtnl_route_get_nnexthops)
#define rtnl_route_get_table (gph_nl_get()->rtnl_route_get_table)
#define rtnl_route_get_type (gph_nl_get()->rtnl_route_get_type)
#define rtnl_route_nexthop_n (gph_nl_get()->rtnl_route_nexthop_n)
#define rtnl_route_nh_alloc (gph_nl_get()->rtnl_route_nh_alloc)
#define rtnl_route_nh_free (gph_nl_get()->rtnl_route_nh_free)
#define rtnl_route_nh_get_gateway (gph_nl_get()->rtnl_route_nh_get_gateway)
#define rtnl_route_nh_get_ifindex (gph_nl_get()->rtnl_route_nh_get_ifindex)
#define rtnl_route_nh_set_gateway (gph_nl_get()->rtnl_route_nh_set_gateway)
#define rtnl_route_nh_set_ifindex (gph_nl_get()->rtnl_route_nh_set_ifindex)
#define rtnl_route_put (gph_nl_get()->rtnl_route_put)
#define rtnl_route_set_dst (gph_nl_get()->rtnl_route_set_dst)
#define rtnl_route_set_family (gph_nl_get()->rtnl_route_set_family)
#define rtnl_route_set_protocol (gph_nl_get()->rtnl_route_set_protocol)
#define rtnl_route_set_scope (gph_nl_get()->rtnl_route_set_scope)
#define rtnl_route_set_table (gph_nl_get()->rtnl_route_set_table)
#define rtnl_route_set_type (gph_nl_get()->rtnl_route_set_type)
#endif

#endif
