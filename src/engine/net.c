/* Netlink basics for the network commands: a libnl socket that keeps the kernel's errno, loopback
 * up, and a plain dump of the namespace's links, addresses and routes (lessons match it with globs,
 * so its format is kept stable: see gph_net_describe). */
#include "gph/net.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if.h>
#include <sys/ioctl.h>
#include "gph/trace.h"
#include <sys/socket.h>
#include <unistd.h>
#include <linux/rtnetlink.h>
#include "nl_lib.h"

/* The kernel's errno of the last refused request on this thread; libnl only returns its own
 * codes, and folds e.g. ENETUNREACH into "Unspecific failure". */
static __thread int last_kerr;

static int remember_kerr(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	(void)nla;
	*(int *)arg = -err->error;
	return NL_STOP; /* libnl then returns its usual code for err->error */
}

struct nl_sock *gph_net_sock(struct gph_err *e)
{
	if (gph_nl_load(e) < 0)
		return NULL;
	struct nl_sock *sk = nl_socket_alloc();
	int r;
	if (!sk) {
		gph_fail(e, ENOMEM, "", "nl_socket_alloc()");
		return NULL;
	}
	last_kerr = 0;
	r = nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, remember_kerr, &last_kerr);
	if (r == 0)
		r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		gph_net_fail(e, r, "is this kernel built with netlink (CONFIG_NET)?",
			     "nl_connect(NETLINK_ROUTE)");
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/* libnl codes that correspond to exactly one errno. */
static int nlerr_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_INTR: return EINTR;
	case NLE_BAD_SOCK: return EBADF;
	case NLE_AGAIN: return EAGAIN;
	case NLE_NOMEM: return ENOMEM;
	case NLE_EXIST: return EEXIST;
	case NLE_INVAL: return EINVAL;
	case NLE_RANGE: return ERANGE;
	case NLE_OPNOTSUPP: return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND: return ENOENT;
	case NLE_NOADDR: return EADDRNOTAVAIL;
	case NLE_BUSY: return EBUSY;
	case NLE_NOACCESS: return EACCES;
	case NLE_PERM: return EPERM;
	case NLE_NODEV: return ENODEV;
	default: return 0;
	}
}

int gph_net_fail(struct gph_err *e, int nlerr, const char *hint, const char *fmt, ...)
{
	char what[sizeof e->msg];
	int errnum = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	/* The remembered errno belongs to this failure only if libnl turned it into this code. */
	if (last_kerr && -nl_syserr2nlerr(last_kerr) == (nlerr < 0 ? nlerr : -nlerr))
		errnum = last_kerr;
	else
		errnum = nlerr_errno(nlerr);
	last_kerr = 0;
	if (errnum)
		return gph_fail(e, errnum, hint, "%s", what);
	return gph_fail(e, 0, hint, "%s: %s", what, nl_geterror(nlerr));
}

int gph_net_lo_up(struct gph_err *e)
{
	/* An ioctl rather than netlink: the one request the plain `run` path makes needs no libnl
	 * (see nl_lib.h). */
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return gph_fail(e, errno, NULL, "socket(AF_INET, SOCK_DGRAM)");
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		int err = errno;
		close(fd);
		return gph_fail(e, err, "every network namespace has `lo`; is this process in the namespace you mean?",
				"ioctl(SIOCGIFFLAGS, \"lo\")");
	}
	ifr.ifr_flags |= IFF_UP;
	int rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	if (GPH_TRACING)
		gph_trace_call(rc, errno, "ioctl(%d, SIOCSIFFLAGS, {ifr_name=\"lo\", ifr_flags=%#x (IFF_UP)})", fd,
			       (unsigned)(unsigned short)ifr.ifr_flags);
	if (rc < 0) {
		int err = errno;
		close(fd);
		return gph_fail(e, err, "changing links needs CAP_NET_ADMIN in the namespace's user namespace",
				"ioctl(SIOCSIFFLAGS, \"lo\", up)");
	}
	close(fd);
	return 0;
}

/* ---- gph_net_describe ---------------------------------------------------------------------- */

/* Appends to a fixed buffer; remembers when something did not fit. */
struct out {
	char *buf;
	size_t len, used;
	int full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->used) {
		o->full = 1;
		o->buf[o->len - 1] = '\0';
		return;
	}
	o->used += (size_t)n;
}

/* The order and spelling of `ip link`, so what learners see matches the usual tools. */
static const struct { unsigned flag; const char *name; } link_flags[] = {
	{ IFF_LOOPBACK, "LOOPBACK" }, { IFF_BROADCAST, "BROADCAST" }, { IFF_POINTOPOINT, "POINTOPOINT" },
	{ IFF_MULTICAST, "MULTICAST" }, { IFF_NOARP, "NOARP" }, { IFF_ALLMULTI, "ALLMULTI" },
	{ IFF_PROMISC, "PROMISC" }, { IFF_MASTER, "MASTER" }, { IFF_SLAVE, "SLAVE" }, { IFF_UP, "UP" },
	{ IFF_LOWER_UP, "LOWER_UP" }, { IFF_DORMANT, "DORMANT" },
};

static const char *operstate_name(unsigned state)
{
	static const char *names[] = { "UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN",
				       "TESTING", "DORMANT", "UP" };
	return state < sizeof names / sizeof names[0] ? names[state] : "UNKNOWN";
}

static int by_ifindex(const void *a, const void *b)
{
	int x = rtnl_link_get_ifindex(*(struct rtnl_link *const *)a);
	int y = rtnl_link_get_ifindex(*(struct rtnl_link *const *)b);
	return (x > y) - (x < y);
}

/* "inet 10.200.0.2/30" lines of one link, IPv4 first. */
static void put_addrs(struct out *o, struct nl_cache *addrs, int ifindex)
{
	static const int families[] = { AF_INET, AF_INET6 };
	for (size_t f = 0; f < 2; f++) {
		for (struct nl_object *ob = nl_cache_get_first(addrs); ob; ob = nl_cache_get_next(ob)) {
			struct rtnl_addr *a = (struct rtnl_addr *)ob;
			char s[INET6_ADDRSTRLEN];
			struct nl_addr *local = rtnl_addr_get_local(a);
			if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != families[f] || !local)
				continue;
			if (!inet_ntop(families[f], nl_addr_get_binary_addr(local), s, sizeof s))
				continue;
			put(o, "    %s %s/%d\n", families[f] == AF_INET ? "inet" : "inet6", s,
			    rtnl_addr_get_prefixlen(a));
		}
	}
}

static void put_links(struct out *o, struct nl_cache *links, struct nl_cache *addrs)
{
	int n = nl_cache_nitems(links), i = 0;
	struct rtnl_link **v = calloc(n > 0 ? (size_t)n : 1, sizeof *v);
	if (!v) {
		put(o, "(out of memory listing links)\n");
		return;
	}
	for (struct nl_object *ob = nl_cache_get_first(links); ob && i < n; ob = nl_cache_get_next(ob))
		v[i++] = (struct rtnl_link *)ob;
	/* Kernel dump order follows its hash table; sort so the dump is stable. */
	qsort(v, (size_t)i, sizeof *v, by_ifindex);
	for (int k = 0; k < i; k++) {
		unsigned flags = rtnl_link_get_flags(v[k]);
		const char *sep = "";
		put(o, "%d: %s <", rtnl_link_get_ifindex(v[k]), rtnl_link_get_name(v[k]));
		for (size_t f = 0; f < sizeof link_flags / sizeof link_flags[0]; f++) {
			if (flags & link_flags[f].flag) {
				put(o, "%s%s", sep, link_flags[f].name);
				sep = ",";
			}
		}
		put(o, "> mtu %u state %s\n", rtnl_link_get_mtu(v[k]),
		    operstate_name(rtnl_link_get_operstate(v[k])));
		put_addrs(o, addrs, rtnl_link_get_ifindex(v[k]));
	}
	free(v);
}

static void put_route(struct out *o, struct rtnl_route *r, struct nl_cache *links)
{
	struct nl_addr *dst = rtnl_route_get_dst(r);
	char s[INET_ADDRSTRLEN] = "?";
	int nnh = rtnl_route_get_nnexthops(r);
	switch (rtnl_route_get_type(r)) {
	case RTN_UNICAST: break;
	case RTN_BLACKHOLE: put(o, "blackhole "); break;
	case RTN_UNREACHABLE: put(o, "unreachable "); break;
	case RTN_PROHIBIT: put(o, "prohibit "); break;
	default: put(o, "type%u ", rtnl_route_get_type(r)); break;
	}
	if (!dst || nl_addr_get_prefixlen(dst) == 0) {
		put(o, "default");
	} else {
		if (nl_addr_get_len(dst) == 4)
			inet_ntop(AF_INET, nl_addr_get_binary_addr(dst), s, sizeof s);
		else
			strcpy(s, "0.0.0.0");
		put(o, "%s/%u", s, nl_addr_get_prefixlen(dst));
	}
	for (int i = 0; i < nnh; i++) {
		struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, i);
		struct nl_addr *gw = nh ? rtnl_route_nh_get_gateway(nh) : NULL;
		if (!nh)
			continue;
		if (gw && nl_addr_get_len(gw) == 4 && inet_ntop(AF_INET, nl_addr_get_binary_addr(gw), s, sizeof s))
			put(o, " via %s", s);
		if (rtnl_route_nh_get_ifindex(nh) > 0) {
			char name[IF_NAMESIZE] = "";
			if (!rtnl_link_i2name(links, rtnl_route_nh_get_ifindex(nh), name, sizeof name))
				snprintf(name, sizeof name, "if%d", rtnl_route_nh_get_ifindex(nh));
			put(o, " dev %s", name);
		}
	}
	put(o, "\n");
}

/* Format (one item a line, IPv4 routes of the main table, as `ip route` shows them):
 *   1: lo <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN
 *       inet 127.0.0.1/8
 *       inet6 ::1/128
 *   routes:
 *   default via 10.200.0.1 dev eth0
 *   10.200.0.0/30 dev eth0 */
int gph_net_describe(char *buf, size_t len, struct gph_err *e)
{
	struct nl_cache *links = NULL, *addrs = NULL, *routes = NULL;
	struct nl_sock *sk;
	struct out o;
	int r, rc = -1;
	if (!buf || len == 0)
		return gph_fail(e, EINVAL, "pass a buffer", "gph_net_describe(len %zu)", len);
	o = (struct out){ .buf = buf, .len = len, .used = strnlen(buf, len) };
	if (o.used == len)
		return gph_fail(e, EINVAL, "the buffer must hold a NUL-terminated string",
				"gph_net_describe(len %zu)", len);
	if (!(sk = gph_net_sock(e)))
		return -1;
	if ((r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links)) < 0) {
		gph_net_fail(e, r, "", "rtnl_link_alloc_cache()");
		goto out;
	}
	if ((r = rtnl_addr_alloc_cache(sk, &addrs)) < 0) {
		gph_net_fail(e, r, "", "rtnl_addr_alloc_cache()");
		goto out;
	}
	if ((r = rtnl_route_alloc_cache(sk, AF_INET, 0, &routes)) < 0) {
		gph_net_fail(e, r, "", "rtnl_route_alloc_cache(AF_INET)");
		goto out;
	}
	put_links(&o, links, addrs);
	put(&o, "routes:\n");
	for (struct nl_object *ob = nl_cache_get_first(routes); ob; ob = nl_cache_get_next(ob)) {
		struct rtnl_route *rt = (struct rtnl_route *)ob;
		if (rtnl_route_get_table(rt) == RT_TABLE_MAIN)
			put_route(&o, rt, links);
	}
	if (o.full) {
		gph_fail(e, ENOBUFS, "the namespace has more than the buffer holds; the text is cut",
			 "gph_net_describe(len %zu)", len);
		goto out;
	}
	rc = 0;
out:
	if (routes)
		nl_cache_free(routes);
	if (addrs)
		nl_cache_free(addrs);
	if (links)
		nl_cache_free(links);
	nl_socket_free(sk);
	return rc;
}
