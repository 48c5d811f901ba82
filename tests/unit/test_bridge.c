/* gph/bridge.h: CIDR parsing, bridge names, MACs and address allocation (pure, plus 20 processes
 * allocating at once), and live bridge networking in network namespaces the test makes itself:
 * a fresh namespace plays the host (its bridge, its nftables rules, its sysctls: nothing of the
 * machine's own changes), two more play containers and one plays the outside world.
 * As root; a refused unshare fails the test. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include "gph/bridge.h"
#include "suites.h"

#define SKIP_STATUS 77

static struct in_addr ip(const char *s)
{
	struct in_addr a = { 0 };
	inet_pton(AF_INET, s, &a);
	return a;
}

/* A child's watchdog: Check's own SIGALRM handler (inherited through fork) would kill the whole
 * test's process group, so the default action, which ends just this process, comes first. */
static void guard(unsigned seconds)
{
	signal(SIGALRM, SIG_DFL);
	alarm(seconds);
}

static const char *ntoa(struct in_addr a)
{
	static char s[4][INET_ADDRSTRLEN];
	static int i;
	i = (i + 1) % 4;
	return inet_ntop(AF_INET, &a, s[i], sizeof s[i]);
}

/* ---- CIDR, names, MACs ----------------------------------------------------------------------- */

START_TEST(cidr_good)
{
	struct in_addr n;
	int p;
	struct gph_err e = { 0 };
	ck_assert_int_eq(gph_cidr_parse("10.88.0.0/16", &n, &p, &e), 0);
	ck_assert_str_eq(ntoa(n), "10.88.0.0");
	ck_assert_int_eq(p, 16);
	ck_assert_int_eq(gph_cidr_parse("10.0.0.0/8", &n, &p, &e), 0);
	ck_assert_int_eq(p, 8);
	ck_assert_int_eq(gph_cidr_parse("192.168.7.0/24", &n, &p, &e), 0);
	ck_assert_int_eq(gph_cidr_parse("172.16.0.4/30", &n, &p, &e), 0);
	ck_assert_str_eq(ntoa(n), "172.16.0.4");
	ck_assert_int_eq(p, 30);
}
END_TEST

START_TEST(cidr_bad)
{
	static const char *bad[] = {
		"10.88.0.1/16",   /* host bits */
		"172.16.0.6/30",  /* host bits */
		"10.0.0.0/7", "10.0.0.0/31", "10.0.0.0/32", "10.0.0.0/0", "10.0.0.0/-8",
		"10.88.0.0", "10.88.0.0/", "/16", "10.88.0.0/16x", "10.88.0.0/016", "10.88.0.0/+8",
		"10.88/16", "010.88.0.0/16", "10.88.0.256/24", " 10.88.0.0/16", "10.88.0.0 /16",
		"0x0a.0.0.0/8", "garbage", "", "10.88.0.0/16/16",
		"10.0.0.0/08", "10.128.0.0/09", /* leading zero: found by tests/fuzz/values.c */
	};
	struct in_addr n = { 12345 };
	int p = 99;
	struct gph_err e = { 0 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&e, 0, sizeof e);
		ck_assert_msg(gph_cidr_parse(bad[i], &n, &p, &e) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(e.errnum, EINVAL);
		ck_assert_msg(e.msg[0] && e.hint[0], "no message or hint for \"%s\"", bad[i]);
	}
	ck_assert_int_eq(gph_cidr_parse(NULL, &n, &p, &e), -1);
	ck_assert_int_eq(n.s_addr, 12345); /* untouched on failure */
	ck_assert_int_eq(p, 99);
	gph_cidr_parse("10.88.0.1/16", &n, &p, &e);
	ck_assert_ptr_nonnull(strstr(e.msg, "10.88.0.0/16")); /* says what was meant */
}
END_TEST

START_TEST(bridge_names_and_subnet)
{
	struct gph_bridge b;
	struct gph_err e = { 0 };
	unsigned char mac[6];
	ck_assert_int_eq(gph_bridge_init(&b, NULL, &e), 0);
	ck_assert_str_eq(b.name, "gph0");
	ck_assert_int_eq(b.prefix, 0);
	ck_assert_int_eq(gph_bridge_init(&b, "", &e), 0);
	ck_assert_str_eq(b.name, "gph0");
	ck_assert_int_eq(gph_bridge_init(&b, "br-test_1.x", &e), 0);
	ck_assert_int_eq(gph_bridge_init(&b, "0123456789abcde", &e), 0);     /* 15: fits */
	ck_assert_int_eq(gph_bridge_init(&b, "0123456789abcdef", &e), -1);   /* 16 */
	ck_assert_int_eq(gph_bridge_init(&b, "a/b", &e), -1);
	ck_assert_int_eq(gph_bridge_init(&b, "a b", &e), -1);
	ck_assert_int_eq(gph_bridge_init(&b, "..", &e), -1);
	ck_assert_int_eq(gph_bridge_init(&b, "gph1", &e), 0);
	ck_assert_int_eq(gph_bridge_set_subnet(&b, "10.99.0.0/24", &e), 0);
	ck_assert_str_eq(ntoa(b.subnet), "10.99.0.0");
	ck_assert_str_eq(ntoa(b.gateway), "10.99.0.1");
	ck_assert_int_eq(b.prefix, 24);
	ck_assert_int_eq(gph_bridge_set_subnet(&b, "10.99.0.1/24", &e), -1);
	gph_bridge_mac(ip("10.88.0.2"), mac);
	ck_assert_int_eq(mac[0], 0x02);
	ck_assert_int_eq(mac[1], 0x67);
	ck_assert_int_eq(mac[2], 10);
	ck_assert_int_eq(mac[3], 88);
	ck_assert_int_eq(mac[4], 0);
	ck_assert_int_eq(mac[5], 2);
}
END_TEST

/* ---- address allocation ---------------------------------------------------------------------- */

static char state[64];

static void state_setup(void)
{
	snprintf(state, sizeof state, "/tmp/gph-ipam-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(state));
}

static void state_teardown(void)
{
	char path[128], what[300] = "";
	static const char *names[] = { "gph0", "tiny" }; /* the data files; nothing else may be left */
	DIR *d;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/ipam/%s", state, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/ipam", state);
	if ((d = opendir(path))) {
		for (struct dirent *de; (de = readdir(d));) {
			char f[400];
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(what + strlen(what), sizeof what - strlen(what), " %s", de->d_name);
			snprintf(f, sizeof f, "%s/%s", path, de->d_name);
			unlink(f);
		}
		closedir(d);
	}
	rmdir(path);
	ck_assert_int_eq(rmdir(state), 0);
	ck_assert_msg(!what[0], "left in the allocation directory:%s", what);
}

static struct gph_bridge bridge(const char *name, const char *cidr)
{
	struct gph_bridge b;
	struct gph_err e = { 0 };
	ck_assert_int_eq(gph_bridge_init(&b, name, &e), 0);
	ck_assert_int_eq(gph_bridge_set_subnet(&b, cidr, &e), 0);
	return b;
}

START_TEST(ipam_basic)
{
	struct gph_bridge b = bridge("gph0", "10.88.0.0/16");
	struct gph_err e = { 0 };
	struct in_addr a, w;
	char path[128], text[512] = "";
	FILE *f;
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "aaa", NULL, &a, &e), 0);
	ck_assert_str_eq(ntoa(a), "10.88.0.2");
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "bbb", NULL, &a, &e), 0);
	ck_assert_str_eq(ntoa(a), "10.88.0.3");
	/* The same id gets its address again. */
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "aaa", NULL, &a, &e), 0);
	ck_assert_str_eq(ntoa(a), "10.88.0.2");
	/* --ip: free, taken, outside, network, broadcast, gateway. */
	w = ip("10.88.7.7");
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "ccc", &w, &a, &e), 0);
	ck_assert_str_eq(ntoa(a), "10.88.7.7");
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "ddd", &w, &a, &e), -1);
	ck_assert_int_eq(e.errnum, EADDRINUSE);
	ck_assert_ptr_nonnull(strstr(e.msg, "ccc"));
	w = ip("10.89.0.5");
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "ddd", &w, &a, &e), -1);
	ck_assert_int_eq(e.errnum, EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "not in 10.88.0.0/16"));
	w = ip("10.88.0.0");
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "ddd", &w, &a, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "network"));
	w = ip("10.88.255.255");
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "ddd", &w, &a, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "broadcast"));
	w = ip("10.88.0.1");
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "ddd", &w, &a, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "gateway"));
	/* An id holding an address cannot ask for another. */
	w = ip("10.88.0.9");
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "aaa", &w, &a, &e), -1);
	ck_assert_int_eq(e.errnum, EEXIST);
	/* Bad ids never reach the file. */
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "a b", NULL, &a, &e), -1);
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "", NULL, &a, &e), -1);
	/* The file is the documented text. */
	snprintf(path, sizeof path, "%s/ipam/gph0", state);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_uint_gt(fread(text, 1, sizeof text - 1, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "\n10.88.0.2 aaa\n10.88.0.3 bbb\n10.88.7.7 ccc\n"));
	/* Release frees; the lowest free address is reused. */
	ck_assert_int_eq(gph_ipam_release(state, &b, "aaa", &e), 0);
	ck_assert_int_eq(gph_ipam_release(state, &b, "aaa", &e), 0); /* twice: fine */
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "eee", NULL, &a, &e), 0);
	ck_assert_str_eq(ntoa(a), "10.88.0.2");
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "fff", NULL, &a, &e), 0);
	ck_assert_str_eq(ntoa(a), "10.88.0.4");
	/* gc: by id on every bridge, and by liveness. */
	ck_assert_int_eq(gph_ipam_release_id(state, "bbb", &e), 0);
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "ggg", NULL, &a, &e), 0);
	ck_assert_str_eq(ntoa(a), "10.88.0.3");
}
END_TEST

static bool only_ggg_alive(const char *id, void *arg)
{
	(void)arg;
	return strcmp(id, "ggg") == 0;
}

START_TEST(ipam_gc_and_full)
{
	struct gph_bridge b = bridge("gph0", "10.88.0.0/16"), tiny = bridge("tiny", "10.90.0.0/30");
	struct gph_err e = { 0 };
	struct in_addr a;
	char path[128];
	int n = -1;
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "eee", NULL, &a, &e), 0);
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "ggg", NULL, &a, &e), 0);
	ck_assert_str_eq(ntoa(a), "10.88.0.3");
	/* A /30 has two host addresses: the gateway and one container. */
	ck_assert_int_eq(gph_ipam_alloc(state, &tiny, "eee", NULL, &a, &e), 0);
	ck_assert_str_eq(ntoa(a), "10.90.0.2");
	ck_assert_int_eq(gph_ipam_alloc(state, &tiny, "hhh", NULL, &a, &e), -1);
	ck_assert_int_eq(e.errnum, EADDRNOTAVAIL);
	ck_assert_ptr_nonnull(strstr(e.msg, "10.90.0.0/30"));
	ck_assert_int_eq(gph_ipam_release_dead(state, only_ggg_alive, NULL, &n, &e), 0);
	ck_assert_int_eq(n, 2); /* eee on both bridges */
	ck_assert_int_eq(gph_ipam_alloc(state, &tiny, "hhh", NULL, &a, &e), 0);
	ck_assert_str_eq(ntoa(a), "10.90.0.2");
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "iii", NULL, &a, &e), 0);
	ck_assert_str_eq(ntoa(a), "10.88.0.2");
	/* Releasing the last allocation removes the data file. */
	ck_assert_int_eq(gph_ipam_release_id(state, "hhh", &e), 0);
	snprintf(path, sizeof path, "%s/ipam/tiny", state);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* A state directory that does not exist yet: release is a no-op, alloc makes it. */
	ck_assert_int_eq(gph_ipam_release_id("/nonexistent/gph-state", "hhh", &e), 0);
	/* A damaged file is reported, not ignored. */
	snprintf(path, sizeof path, "%s/ipam/gph0", state);
	FILE *f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("not an address line\n", f);
	fclose(f);
	ck_assert_int_eq(gph_ipam_alloc(state, &b, "jjj", NULL, &a, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "line"));
}
END_TEST

#define PARALLEL 20

START_TEST(ipam_parallel)
{
	struct gph_bridge b = bridge("gph0", "10.88.0.0/16");
	int start[2], res[2], status;
	uint32_t got[PARALLEL];
	pid_t kids[PARALLEL];
	ck_assert_int_eq(pipe(start), 0);
	ck_assert_int_eq(pipe(res), 0);
	for (int i = 0; i < PARALLEL; i++) {
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			struct gph_err e = { 0 };
			struct in_addr a;
			char id[16], byte;
			close(start[1]);
			guard(20);
			/* All wait here, then run at once when the parent closes the pipe. */
			if (read(start[0], &byte, 1) != 0)
				_exit(2);
			snprintf(id, sizeof id, "ctr%02d", i);
			if (gph_ipam_alloc(state, &b, id, NULL, &a, &e) < 0) {
				fprintf(stderr, "ipam_parallel %s: %s\n", id, e.msg);
				_exit(1);
			}
			_exit(write(res[1], &a.s_addr, 4) == 4 ? 0 : 3);
		}
	}
	close(start[0]);
	close(start[1]);
	close(res[1]);
	for (int i = 0; i < PARALLEL; i++)
		ck_assert_int_eq(read(res[0], &got[i], 4), 4);
	close(res[0]);
	for (int i = 0; i < PARALLEL; i++) {
		ck_assert_int_eq(waitpid(kids[i], &status, 0), kids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* 20 distinct addresses, and exactly the 20 lowest: 10.88.0.2 .. 10.88.0.21. */
	unsigned seen = 0;
	for (int i = 0; i < PARALLEL; i++) {
		uint32_t h = ntohl(got[i]);
		ck_assert_msg(h >= 0x0a580002 && h <= 0x0a580015, "address %s out of range", ntoa((struct in_addr){ got[i] }));
		ck_assert_msg(!(seen & (1u << (h - 0x0a580002))), "address %s given twice", ntoa((struct in_addr){ got[i] }));
		seen |= 1u << (h - 0x0a580002);
	}
	ck_assert_uint_eq(seen, (1u << PARALLEL) - 1);
}
END_TEST

/* ---- live: helpers ----------------------------------------------------------------------------- */

static int oops(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int oops(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "test_bridge: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int failed(const char *what, const struct gph_err *e)
{
	return oops("%s: %s%s%s", what, e->msg, e->errnum ? ": " : "", e->errnum ? strerror(e->errnum) : "");
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static uint16_t icmp_sum(const void *p, size_t n)
{
	const uint16_t *w = p;
	uint32_t s = 0;
	for (; n > 1; n -= 2)
		s += *w++;
	if (n)
		s += *(const uint8_t *)w;
	s = (s >> 16) + (s & 0xffff);
	s += s >> 16;
	return (uint16_t)~s;
}

/* One ICMP echo answered within timeout_ms (requests resent every 200 ms). 0 or an errno. */
static int ping(struct in_addr to, int timeout_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = to };
	int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP), rc = ETIMEDOUT;
	uint16_t id = (uint16_t)getpid();
	long long end = now_ms() + timeout_ms, next = 0;
	if (s < 0)
		return errno;
	for (uint16_t seq = 1; now_ms() < end && rc;) {
		if (now_ms() >= next) {
			struct icmphdr h = { .type = ICMP_ECHO };
			h.un.echo.id = htons(id);
			h.un.echo.sequence = htons(seq++);
			h.checksum = icmp_sum(&h, sizeof h);
			sendto(s, &h, sizeof h, 0, (struct sockaddr *)&sa, sizeof sa); /* errors: retry */
			next = now_ms() + 200;
		}
		struct pollfd p = { .fd = s, .events = POLLIN };
		if (poll(&p, 1, 50) == 1) {
			unsigned char buf[256];
			struct sockaddr_in from;
			socklen_t fl = sizeof from;
			ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
			if (n >= (ssize_t)sizeof(struct iphdr)) {
				struct iphdr *iph = (struct iphdr *)buf;
				struct icmphdr *ic = (struct icmphdr *)(buf + iph->ihl * 4);
				if (n >= iph->ihl * 4 + (ssize_t)sizeof *ic && ic->type == ICMP_ECHOREPLY &&
				    ntohs(ic->un.echo.id) == id && from.sin_addr.s_addr == to.s_addr)
					rc = 0;
			}
		}
	}
	close(s);
	return rc;
}

/* Connect to to:port within timeout_ms and read the server's one line into out. 0 or an errno. */
static int tcp_get(struct in_addr to, int port, int timeout_ms, char *out, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = to, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err = 0;
	socklen_t el = sizeof err;
	size_t used = 0;
	struct pollfd p = { .fd = s, .events = POLLOUT };
	out[0] = '\0';
	if (s < 0)
		return errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
		err = errno;
		close(s);
		return err;
	}
	if (poll(&p, 1, timeout_ms) != 1) {
		close(s);
		return ETIMEDOUT;
	}
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
		close(s);
		return err ? err : errno;
	}
	p.events = POLLIN;
	while (used + 1 < len && poll(&p, 1, timeout_ms) == 1) {
		ssize_t n = read(s, out + used, len - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	out[used] = '\0';
	close(s);
	return used ? 0 : EPROTO;
}

/* A forked TCP server on port of every address of this namespace: each connection gets
 * "srv=<its local address> peer=<the peer address>\n". Dies with its parent. */
static pid_t serve(int port)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(ls, (struct sockaddr *)&me, sizeof me) < 0 || listen(ls, 16) < 0)
		return -1;
	if ((pid = fork()) != 0) {
		close(ls);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		struct sockaddr_in l, r;
		socklen_t ll = sizeof l, rl = sizeof r;
		char line[96];
		int c = accept(ls, NULL, NULL);
		if (c < 0)
			continue;
		if (getsockname(c, (struct sockaddr *)&l, &ll) == 0 && getpeername(c, (struct sockaddr *)&r, &rl) == 0) {
			int n = snprintf(line, sizeof line, "srv=%s peer=%s\n", ntoa(l.sin_addr), ntoa(r.sin_addr));
			if (write(c, line, (size_t)n) != n)
				_exit(1);
		}
		close(c);
	}
}

/* A hand-made UDP datagram to to:port, sent as an Ethernet frame from v->ctr_if straight to the
 * gateway's MAC, whatever the routing table says: what a container with CAP_NET_RAW can do to
 * reach the host's 127.0.0.1 through the bridge. 0 or an errno. */
static int udp_frame(const struct gph_veth *v, struct in_addr to, int port)
{
	struct ether_header eth;
	struct iphdr iph = { .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP };
	struct udphdr udp = { .source = htons(40000), .dest = htons(port), .len = htons(sizeof udp + 2) };
	unsigned char frame[sizeof eth + sizeof iph + sizeof udp + 2];
	struct sockaddr_ll to_ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_halen = 6 };
	int s, rc = 0;
	/* Headers built aligned, then laid end to end (the IP header sits at offset 14). */
	gph_bridge_mac(v->host_addr, eth.ether_dhost);
	gph_bridge_mac(v->ctr_addr, eth.ether_shost);
	eth.ether_type = htons(ETHERTYPE_IP);
	iph.tot_len = htons(sizeof frame - sizeof eth);
	iph.saddr = v->ctr_addr.s_addr;
	iph.daddr = to.s_addr;
	iph.check = icmp_sum(&iph, sizeof iph);
	memcpy(frame, &eth, sizeof eth);
	memcpy(frame + sizeof eth, &iph, sizeof iph);
	memcpy(frame + sizeof eth + sizeof iph, &udp, sizeof udp);
	memcpy(frame + sizeof eth + sizeof iph + sizeof udp, "hi", 2);
	memcpy(to_ll.sll_addr, eth.ether_dhost, 6);
	if (!(to_ll.sll_ifindex = (int)if_nametoindex(v->ctr_if)))
		return errno;
	if ((s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IP))) < 0)
		return errno;
	if (sendto(s, frame, sizeof frame, 0, (struct sockaddr *)&to_ll, sizeof to_ll) != (ssize_t)sizeof frame)
		rc = errno;
	close(s);
	return rc;
}

/* Whether a datagram arrives on s within timeout_ms. */
static int udp_got(int s, int timeout_ms)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	char buf[16];
	if (poll(&p, 1, timeout_ms) != 1)
		return 0;
	return recv(s, buf, sizeof buf, 0) > 0;
}

/* An agent: a child in a network namespace of its own that does what it is told over a pipe. */
struct cmd {
	char op;                /* 'C' configure v, 'P' ping, 'T' tcp_get, 'S' serve, 'U' udp_frame, 'Q' quit */
	struct in_addr addr;
	int port;
	struct gph_veth v;
};
struct rep {
	int rc;
	char text[256];
};
struct agent {
	pid_t pid;
	int w, r;
};

static void agent_main(int in, int out)
{
	struct cmd c;
	struct rep r;
	pid_t server = 0;
	guard(60);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(&r, 0, sizeof r);
	r.rc = unshare(CLONE_NEWNET) < 0 ? errno : 0;
	if (write(out, &r, sizeof r) != sizeof r || r.rc)
		_exit(1);
	while (read(in, &c, sizeof c) == sizeof c) {
		struct gph_err e = { 0 };
		memset(&r, 0, sizeof r);
		switch (c.op) {
		case 'C':
			if (gph_net_veth_configure_inside(&c.v, &e) < 0) {
				r.rc = e.errnum ? e.errnum : EINVAL;
				snprintf(r.text, sizeof r.text, "%.200s", e.msg);
			}
			break;
		case 'P':
			r.rc = ping(c.addr, 3000);
			break;
		case 'T':
			r.rc = tcp_get(c.addr, c.port, c.port == 80 && c.addr.s_addr != htonl(INADDR_LOOPBACK) ? 1000 : 3000,
				       r.text, sizeof r.text);
			break;
		case 'S':
			server = serve(c.port);
			r.rc = server > 0 ? 0 : errno;
			break;
		case 'U':
			r.rc = udp_frame(&c.v, c.addr, c.port);
			break;
		default:
			goto quit;
		}
		if (write(out, &r, sizeof r) != sizeof r)
			break;
	}
quit:
	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	_exit(0);
}

static int agent_start(struct agent *a)
{
	int to[2], from[2];
	struct rep r;
	if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0)
		return oops("pipe: %s", strerror(errno));
	if ((a->pid = fork()) < 0)
		return oops("fork: %s", strerror(errno));
	if (a->pid == 0) {
		close(to[1]);
		close(from[0]);
		agent_main(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	a->w = to[1];
	a->r = from[0];
	if (read(a->r, &r, sizeof r) != sizeof r || r.rc)
		return oops("agent: unshare(CLONE_NEWNET): %s", strerror(r.rc));
	return 0;
}

static int agent_do(struct agent *a, char op, struct in_addr addr, int port, const struct gph_veth *v,
		    char *text, size_t len)
{
	struct cmd c = { .op = op, .addr = addr, .port = port };
	struct rep r;
	if (v)
		c.v = *v;
	if (write(a->w, &c, sizeof c) != sizeof c || read(a->r, &r, sizeof r) != sizeof r)
		return EPIPE;
	if (text)
		snprintf(text, len, "%s", r.text);
	return r.rc;
}

static void agent_stop(struct agent *a)
{
	struct cmd quit = { .op = 'Q' };
	if (a->pid <= 0)
		return;
	/* Say it: other agents forked later hold copies of this pipe, so EOF alone would not come. */
	if (write(a->w, &quit, sizeof quit) != sizeof quit)
		kill(a->pid, SIGKILL);
	close(a->w);
	close(a->r);
	waitpid(a->pid, NULL, 0);
	a->pid = 0;
}

static int count_links(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *c = NULL;
	int n = -1;
	if (sk && nl_connect(sk, NETLINK_ROUTE) == 0 && rtnl_link_alloc_cache(sk, AF_UNSPEC, &c) == 0)
		n = nl_cache_nitems(c);
	if (c)
		nl_cache_free(c);
	if (sk)
		nl_socket_free(sk);
	return n;
}

static int link_present(const char *name)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *l = NULL;
	int r = -1;
	if (sk && nl_connect(sk, NETLINK_ROUTE) == 0)
		r = rtnl_link_get_kernel(sk, 0, name, &l);
	if (l)
		rtnl_link_put(l);
	if (sk)
		nl_socket_free(sk);
	return r == 0;
}

static int count_str(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Runs scenario in a child that first enters a network namespace of its own (the "host"). */
static void in_fresh_netns(int (*scenario)(void))
{
	int status;
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		guard(90);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(SKIP_STATUS);
		_exit(scenario());
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "scenario died of signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	/* make check runs as root: a refused unshare is a failure here, not a silent skip. */
	ck_assert_msg(WEXITSTATUS(status) != SKIP_STATUS, "unshare(CLONE_NEWNET) refused: run the unit tests as root");
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}

/* ---- live: the bridge ------------------------------------------------------------------------ */

#define ID_A "aaaa00000001"
#define ID_B "bbbb00000002"

static int wait_no_ports(const struct gph_bridge *b)
{
	struct gph_err e = { 0 };
	int n = -1;
	/* The kernel removes a dead namespace's veth pairs a moment after its last process. */
	for (int i = 0; i < 1000; i++) { /* up to 10 s on a busy machine */
		if (gph_bridge_ports(b, &n, &e) < 0)
			return failed("ports", &e);
		if (n == 0)
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return oops("bridge %s still has %d ports", b->name, n);
}

static int bridge_scenario(void)
{
	struct gph_bridge b, other, want;
	struct gph_err e = { 0 };
	struct agent a = { 0 }, c = { 0 };
	struct gph_veth va = { 0 }, vc = { 0 }, vx = { 0 };
	struct in_addr ia, ic;
	bool created;
	int links, rc = 1, n;
	char text[256];
	struct nl_sock *sk = nl_socket_alloc();

	if (gph_net_lo_up(&e) < 0)
		return failed("lo up", &e);
	/* A link that is not a bridge is refused and left alone. */
	if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0 || rtnl_link_veth_add(sk, "notbr", "notbr-peer", getpid()) < 0)
		return oops("making a veth named notbr");
	gph_bridge_init(&other, "notbr", &e);
	if (gph_bridge_ensure(&other, &created, &e) == 0 || e.errnum != EEXIST || !strstr(e.msg, "not a bridge") ||
	    !link_present("notbr"))
		return failed("a non-bridge link should be refused", &e);
	links = count_links();

	gph_bridge_init(&b, NULL, &e);
	if (gph_bridge_ensure(&b, &created, &e) < 0)
		return failed("ensure", &e);
	if (!created || strcmp(ntoa(b.gateway), "10.88.0.1") || strcmp(ntoa(b.subnet), "10.88.0.0") || b.prefix != 16)
		return oops("ensure: created %d %s/%d gw %s", created, ntoa(b.subnet), b.prefix, ntoa(b.gateway));
	/* Again: found, read back. */
	gph_bridge_init(&b, NULL, &e);
	if (gph_bridge_ensure(&b, &created, &e) < 0 || created || strcmp(ntoa(b.gateway), "10.88.0.1") || b.prefix != 16)
		return failed("ensure again", &e);
	/* An explicit subnet that differs is refused; the same one is fine. */
	want = b;
	gph_bridge_set_subnet(&want, "10.99.0.0/16", &e);
	if (gph_bridge_ensure(&want, &created, &e) == 0 || !strstr(e.msg, "10.88.0.1/16"))
		return failed("a different --subnet should be refused", &e);
	gph_bridge_set_subnet(&want, "10.88.0.0/16", &e);
	if (gph_bridge_ensure(&want, &created, &e) < 0 || created)
		return failed("the same --subnet", &e);
	/* A new bridge whose subnet overlaps gph0's is refused, and not made. */
	gph_bridge_init(&other, "gph9", &e);
	gph_bridge_set_subnet(&other, "10.88.128.0/24", &e);
	if (gph_bridge_ensure(&other, &created, &e) == 0 || e.errnum != EADDRINUSE || link_present("gph9"))
		return failed("an overlapping subnet should be refused", &e);
	if (count_links() != links + 1)
		return oops("links: %d, expected %d", count_links(), links + 1);

	/* Two containers. */
	if (agent_start(&a) || agent_start(&c))
		goto out;
	ia = ip("10.88.0.2");
	ic = ip("10.88.0.3");
	if (gph_bridge_attach(&va, ID_A, a.pid, &b, ia, &e) < 0 || gph_bridge_attach(&vc, ID_B, c.pid, &b, ic, &e) < 0) {
		failed("attach", &e);
		goto out;
	}
	if (strcmp(va.host_if, "gph-aaaa0000") || strcmp(va.ctr_if, "eth0") || va.host_ifindex <= 0 ||
	    va.prefix != 16 || va.host_addr.s_addr != b.gateway.s_addr || va.ctr_addr.s_addr != ia.s_addr) {
		oops("attach filled %s %s %d /%d host %s ctr %s", va.host_if, va.ctr_if, va.host_ifindex, va.prefix,
		     ntoa(va.host_addr), ntoa(va.ctr_addr));
		goto out;
	}
	if (gph_bridge_ports(&b, &n, &e) < 0 || n != 2) {
		oops("ports: %d", n);
		goto out;
	}
	if ((n = agent_do(&a, 'C', ia, 0, &va, text, sizeof text)) || (n = agent_do(&c, 'C', ic, 0, &vc, text, sizeof text))) {
		oops("configure inside: %s: %s", text, strerror(n));
		goto out;
	}
	/* Each pings the gateway and the other; the host pings both. */
	if ((n = agent_do(&a, 'P', b.gateway, 0, NULL, NULL, 0)) || (n = agent_do(&a, 'P', ic, 0, NULL, NULL, 0)) ||
	    (n = agent_do(&c, 'P', b.gateway, 0, NULL, NULL, 0)) || (n = agent_do(&c, 'P', ia, 0, NULL, NULL, 0)) ||
	    (n = ping(ia, 3000)) || (n = ping(ic, 3000))) {
		oops("ping on the bridge: %s", strerror(n));
		goto out;
	}
	/* B23: an attach that fails (no such process) leaves no link. */
	links = count_links();
	if (gph_bridge_attach(&vx, "cccc00000003", 999999999, &b, ip("10.88.0.4"), &e) == 0 || vx.host_if[0] ||
	    count_links() != links) {
		oops("a failed attach left %d links (was %d) or said %s", count_links(), links, vx.host_if);
		goto out;
	}
	/* B22: a link named like our first candidate is someone else's: we take the second. */
	memset(&vx, 0, sizeof vx);
	snprintf(vx.ctr_if, sizeof vx.ctr_if, "eth1"); /* c has its eth0 already */
	if (rtnl_link_veth_add(sk, "gph-dddd0000", "occupied", getpid()) < 0 ||
	    gph_bridge_attach(&vx, "dddd00000004", c.pid, &b, ip("10.88.0.5"), &e) < 0 ||
	    strcmp(vx.host_if, "gph-0004") || !link_present("gph-dddd0000")) {
		failed("attach next to a foreign link", &e);
		goto out;
	}
	/* The container already has eth0: the peer name clashes, nothing remains. */
	links = count_links();
	memset(&vx, 0, sizeof vx);
	if (gph_bridge_attach(&vx, "eeee00000005", c.pid, &b, ip("10.88.0.6"), &e) == 0 || count_links() != links) {
		oops("a second eth0 in one container must fail cleanly");
		goto out;
	}
	rc = 0;
out:
	agent_stop(&a);
	agent_stop(&c);
	nl_socket_free(sk);
	if (rc)
		return rc;
	/* The pairs went with the namespaces; the unused bridge of ours goes on request. */
	if (wait_no_ports(&b))
		return 1;
	bool removed;
	if (gph_bridge_remove_unused(&b, &removed, &e) < 0 || !removed || link_present("gph0"))
		return failed("remove the bridge", &e);
	/* A bridge not made by us is never removed. */
	gph_bridge_init(&other, "theirs", &e);
	{
		struct nl_sock *s2 = nl_socket_alloc();
		if (!s2 || nl_connect(s2, NETLINK_ROUTE) < 0 || rtnl_link_bridge_add(s2, "theirs") < 0)
			return oops("making a bridge of someone else's");
		nl_socket_free(s2);
	}
	if (gph_bridge_remove_unused(&other, &removed, &e) < 0 || removed || !link_present("theirs"))
		return failed("a foreign bridge must stay", &e);
	return 0;
}

START_TEST(bridge_live)
{
	in_fresh_netns(bridge_scenario);
}
END_TEST

/* ---- live: NAT and published ports ----------------------------------------------------------- */

static int expect_reply(const char *who, int rc, const char *text, const char *want)
{
	if (rc)
		return oops("%s: %s", who, strerror(rc));
	if (strcmp(text, want))
		return oops("%s: got \"%s\", expected \"%s\"", who, text, want);
	return 0;
}

static int nat_scenario(void)
{
	struct gph_bridge b;
	struct gph_err e = { 0 };
	struct agent a = { 0 }, c = { 0 }, out = { 0 };
	struct gph_veth va = { 0 }, vc = { 0 }, vo = { 0 };
	struct in_addr ia = ip("10.88.0.2"), ic = ip("10.88.0.3"), host_out = ip("192.0.2.1"), outside = ip("192.0.2.2");
	char note[160], text[256];
	static char rules[16384];
	char *trace = NULL;
	size_t trace_len = 0;
	FILE *tf = open_memstream(&trace, &trace_len);
	bool created;
	int n, rc = 1;

	if (!tf)
		return oops("open_memstream");
	gph_bridge_trace(tf);
	if (gph_net_lo_up(&e) < 0)
		return failed("lo up", &e);
	/* A new network namespace copies the machine's ip_forward (devconf_inherit_init_net=0): set
	 * this private one's to 0, so that the runtime must be seen turning it on. */
	int fwd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
	if (fwd < 0 || write(fwd, "0", 1) != 1)
		return oops("cannot set ip_forward=0 in the test's own network namespace");
	close(fwd);
	gph_bridge_init(&b, NULL, &e);
	if (gph_bridge_ensure(&b, &created, &e) < 0)
		return failed("ensure", &e);
	if (gph_nat_ensure_bridge(&b, note, sizeof note, &e) < 0)
		return failed("nat ensure", &e);
	if (!strstr(note, "enabled net.ipv4.ip_forward") || !strstr(note, "net.ipv4.conf.gph0.route_localnet"))
		return oops("note: \"%s\"", note);
	/* Idempotent: nothing added, nothing enabled. */
	if (gph_nat_ensure_bridge(&b, note, sizeof note, &e) < 0 || note[0])
		return failed("nat ensure again", &e);
	if (gph_nat_describe(rules, sizeof rules, &e) < 0)
		return failed("describe", &e);
	if (count_str(rules, "comment \"gph-bridge gph0\"") != 6 ||
	    !strstr(rules, "ip saddr 10.88.0.0/16 oifname != \"gph0\" masquerade comment \"gph-bridge gph0\""))
		return oops("rules after two ensures:\n%s", rules);

	/* The outside world: a namespace behind a veth of the host, with no route to 10.88.0.0/16. */
	if (agent_start(&a) || agent_start(&c) || agent_start(&out))
		goto out;
	vo.prefix = 24;
	vo.host_addr = host_out;
	vo.ctr_addr = outside;
	if (gph_net_veth_create(&vo, "outside1", out.pid, &e) < 0) {
		failed("outside veth", &e);
		goto out;
	}
	if ((n = agent_do(&out, 'C', outside, 0, &vo, text, sizeof text)) || (n = agent_do(&out, 'S', outside, 8080, NULL, NULL, 0))) {
		oops("outside: %s %s", text, strerror(n));
		goto out;
	}
	if (gph_bridge_attach(&va, ID_A, a.pid, &b, ia, &e) < 0 || gph_bridge_attach(&vc, ID_B, c.pid, &b, ic, &e) < 0) {
		failed("attach", &e);
		goto out;
	}
	if ((n = agent_do(&a, 'C', ia, 0, &va, text, sizeof text)) || (n = agent_do(&c, 'C', ic, 0, &vc, text, sizeof text)) ||
	    (n = agent_do(&a, 'S', ia, 80, NULL, NULL, 0))) {
		oops("containers: %s %s", text, strerror(n));
		goto out;
	}

	/* Outbound NAT: the outside server sees the host's address, not the container's. */
	n = agent_do(&a, 'T', outside, 8080, NULL, text, sizeof text);
	if (expect_reply("container -> outside", n, text, "srv=192.0.2.2 peer=192.0.2.1\n"))
		goto out;

	/* Published port 18080 -> A:80. */
	if (gph_nat_publish(ID_A, &b, ia, 18080, 80, "tcp", &e) < 0 ||
	    gph_nat_publish(ID_B, &b, ic, 18081, 81, NULL, &e) < 0) {
		failed("publish", &e);
		goto out;
	}
	/* Taken by A: refused, naming A, and nothing added. */
	if (gph_nat_publish(ID_B, &b, ic, 18080, 80, "tcp", &e) == 0 || e.errnum != EADDRINUSE || !strstr(e.msg, ID_A)) {
		failed("publishing a taken port should be refused", &e);
		goto out;
	}
	/* From the host itself: its own addresses and 127.0.0.1 (route_localnet + masquerade). */
	n = tcp_get(host_out, 18080, 3000, text, sizeof text);
	if (expect_reply("host -> own address:18080", n, text, "srv=10.88.0.2 peer=192.0.2.1\n"))
		goto out;
	n = tcp_get(b.gateway, 18080, 3000, text, sizeof text);
	if (expect_reply("host -> gateway:18080", n, text, "srv=10.88.0.2 peer=10.88.0.1\n"))
		goto out;
	n = tcp_get(ip("127.0.0.1"), 18080, 3000, text, sizeof text);
	if (expect_reply("host -> 127.0.0.1:18080", n, text, "srv=10.88.0.2 peer=10.88.0.1\n"))
		goto out;
	/* From outside through the host's address; the container sees the real client. */
	n = agent_do(&out, 'T', host_out, 18080, NULL, text, sizeof text);
	if (expect_reply("outside -> host:18080", n, text, "srv=10.88.0.2 peer=192.0.2.2\n"))
		goto out;
	/* From the other container through the gateway's address. */
	n = agent_do(&c, 'T', b.gateway, 18080, NULL, text, sizeof text);
	if (expect_reply("container B -> gateway:18080", n, text, "srv=10.88.0.2 peer=10.88.0.3\n"))
		goto out;
	/* Unpublished ports are not reachable from outside, even with a route: the bridge's drop. */
	n = agent_do(&out, 'T', ia, 80, NULL, text, sizeof text);
	if (n != ETIMEDOUT) {
		oops("outside -> 10.88.0.2:80 directly should be dropped, got %s \"%s\"", strerror(n), text);
		goto out;
	}

	/* The host's 127.0.0.1 is not reachable from a container through the bridge (route_localnet
	 * is on for published ports): a datagram to the gateway's address arrives (so the frame is
	 * right), the same to 127.0.0.1 does not. */
	{
		struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(9999) };
		int us = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), got_gw, got_lo;
		if (us < 0 || bind(us, (struct sockaddr *)&any, sizeof any) < 0) {
			oops("udp socket: %s", strerror(errno));
			goto out;
		}
		n = agent_do(&a, 'U', b.gateway, 9999, &va, NULL, 0);
		got_gw = !n && udp_got(us, 2000);
		n = n ? n : agent_do(&a, 'U', ip("127.0.0.1"), 9999, &va, NULL, 0);
		got_lo = !n && udp_got(us, 500);
		close(us);
		if (n || !got_gw || got_lo) {
			oops("raw frames: %s; to the gateway arrived %d (want 1), to 127.0.0.1 arrived %d (want 0)",
			     strerror(n), got_gw, got_lo);
			goto out;
		}
	}

	/* Unpublish A: exactly A's rules go, B's stay (its port element, DNAT in prerouting and output,
	 * the forward accept and the hairpin masquerade: five). */
	if (gph_nat_unpublish(ID_A, &e) < 0 || gph_nat_unpublish(ID_A, &e) < 0 ||
	    gph_nat_describe(rules, sizeof rules, &e) < 0) {
		failed("unpublish", &e);
		goto out;
	}
	if (strstr(rules, ID_A) || count_str(rules, "comment \"gph-ctr " ID_B "\"") != 5 ||
	    count_str(rules, "comment \"gph-bridge gph0\"") != 6) {
		oops("rules after unpublishing A:\n%s", rules);
		goto out;
	}
	n = tcp_get(ip("127.0.0.1"), 18080, 1000, text, sizeof text);
	if (n != ECONNREFUSED) {
		oops("127.0.0.1:18080 after unpublish: %s \"%s\"", strerror(n), text);
		goto out;
	}
	/* The bridge is in use: gc leaves it and its rules alone. */
	if ((n = gph_nat_remove_bridge(&b, &e)) != 1 || !link_present("gph0")) {
		oops("remove_bridge with ports returned %d", n);
		goto out;
	}
	if (gph_nat_unpublish(ID_B, &e) < 0) {
		failed("unpublish B", &e);
		goto out;
	}
	rc = 0;
out:
	agent_stop(&a);
	agent_stop(&c);
	agent_stop(&out);
	if (rc == 0 && wait_no_ports(&b))
		rc = 1;
	/* gc: rules, table and bridge all go. */
	if (rc == 0 && ((n = gph_nat_remove_bridge(&b, &e)) != 0 || gph_nat_describe(rules, sizeof rules, &e) < 0 ||
			rules[0] || link_present("gph0"))) {
		oops("remove_bridge returned %d (%s); bridge present %d; left:\n%s", n, e.msg, link_present("gph0"), rules);
		rc = 1;
	}
	gph_bridge_trace(NULL);
	fclose(tf);
	/* The trace shows the netlink requests and the exact rule text. */
	if (rc == 0 && (!strstr(trace, "RTM_NEWLINK bridge gph0 address 02:67:0a:58:00:01 up\n") ||
			!strstr(trace, "RTM_NEWLINK veth gph-aaaa0000 master gph0 up, peer eth0 address 02:67:0a:58:00:02") ||
			!strstr(trace, "nft: add rule ip gophernetes prerouting fib daddr type local tcp dport 18080 dnat to 10.88.0.2:80 comment \"gph-ctr " ID_A "\"\n") ||
			!strstr(trace, "nft: delete table ip gophernetes\n") || !strstr(trace, "sysctl net.ipv4.ip_forward=1\n") ||
			!strstr(trace, "nft: (transaction refused, nothing changed"))) {
		oops("trace:\n%s", trace);
		rc = 1;
	}
	free(trace);
	return rc;
}

START_TEST(nat_live)
{
	in_fresh_netns(nat_scenario);
}
END_TEST

/* Parallel first runs: one bridge made, one set of bridge rules (B24). */
static int parallel_scenario(void)
{
	enum { N = 8 };
	int start[2], status, made = 0;
	pid_t kids[N];
	static char rules[16384];
	struct gph_err e = { 0 };
	struct gph_bridge b;
	if (pipe(start) < 0)
		return oops("pipe");
	for (int i = 0; i < N; i++) {
		if ((kids[i] = fork()) < 0)
			return oops("fork");
		if (kids[i] == 0) {
			struct gph_bridge kb;
			struct gph_err ke = { 0 };
			bool created;
			char note[128], byte;
			close(start[1]);
			if (read(start[0], &byte, 1) != 0)
				_exit(2);
			gph_bridge_init(&kb, NULL, &ke);
			if (gph_bridge_ensure(&kb, &created, &ke) < 0 || gph_nat_ensure_bridge(&kb, note, sizeof note, &ke) < 0) {
				failed("parallel ensure", &ke);
				_exit(1);
			}
			_exit(created ? 10 : 11);
		}
	}
	close(start[0]);
	close(start[1]);
	for (int i = 0; i < N; i++) {
		if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) ||
		    (WEXITSTATUS(status) != 10 && WEXITSTATUS(status) != 11))
			return oops("a parallel ensure failed");
		made += WEXITSTATUS(status) == 10;
	}
	if (made != 1)
		return oops("%d processes say they created the bridge", made);
	if (gph_nat_describe(rules, sizeof rules, &e) < 0)
		return failed("describe", &e);
	if (count_str(rules, "comment \"gph-bridge gph0\"") != 6)
		return oops("rules after %d parallel ensures:\n%s", N, rules);
	gph_bridge_init(&b, NULL, &e);
	if (gph_bridge_ensure(&b, NULL, &e) < 0 || gph_nat_remove_bridge(&b, &e) != 0 ||
	    gph_nat_describe(rules, sizeof rules, &e) < 0 || rules[0] || link_present("gph0"))
		return failed("clean up", &e);
	return 0;
}

START_TEST(parallel_live)
{
	in_fresh_netns(parallel_scenario);
}
END_TEST

Suite *suite_bridge(void)
{
	Suite *s = suite_create("bridge");
	TCase *pure = tcase_create("pure");
	TCase *ipam = tcase_create("ipam");
	TCase *live = tcase_create("netns");
	tcase_add_test(pure, cidr_good);
	tcase_add_test(pure, cidr_bad);
	tcase_add_test(pure, bridge_names_and_subnet);
	tcase_add_checked_fixture(ipam, state_setup, state_teardown);
	tcase_add_test(ipam, ipam_basic);
	tcase_add_test(ipam, ipam_gc_and_full);
	tcase_add_test(ipam, ipam_parallel);
	tcase_add_test(live, bridge_live);
	tcase_add_test(live, nat_live);
	tcase_add_test(live, parallel_live);
	tcase_set_timeout(ipam, 30);
	tcase_set_timeout(live, 120);
	suite_add_tcase(s, pure);
	suite_add_tcase(s, ipam);
	suite_add_tcase(s, live);
	return s;
}
