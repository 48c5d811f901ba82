/* gph/net.h: host end names and /30 choice (pure), and one real veth round trip that runs only in
 * network namespaces the test makes itself (as root; a refused unshare fails the test). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include "gph/net.h"
#include "suites.h"

static struct gph_net_used used(const char *ip, int prefix)
{
	struct gph_net_used u = { .prefix = prefix };
	inet_pton(AF_INET, ip, &u.addr);
	return u;
}

static const char *ntoa(struct in_addr a)
{
	static char s[2][INET_ADDRSTRLEN];
	static int i;
	i ^= 1;
	return inet_ntop(AF_INET, &a, s[i], sizeof s[i]);
}

START_TEST(ifname_candidates)
{
	char n[IF_NAMESIZE];
	ck_assert_int_eq(gph_net_host_ifname(n, "0123456789abcdef0123", 0), 0);
	ck_assert_str_eq(n, "gph-01234567");
	ck_assert_int_eq(gph_net_host_ifname(n, "0123456789abcdef0123", 1), 0);
	ck_assert_str_eq(n, "gph-89abcdef");
	ck_assert_int_eq(gph_net_host_ifname(n, "web", 0), 0);
	ck_assert_str_eq(n, "gph-web");
	ck_assert_int_eq(gph_net_host_ifname(n, "0123456789", 1), 0);
	ck_assert_str_eq(n, "gph-89");
	ck_assert_int_eq(gph_net_host_ifname(n, "01234567", 1), -1); /* no second candidate */
	ck_assert_int_eq(gph_net_host_ifname(n, "", 0), -1);
	ck_assert_int_eq(gph_net_host_ifname(n, "ab/cd", 0), -1);
	ck_assert_int_eq(gph_net_host_ifname(n, "ab cd", 0), -1);
	ck_assert_int_eq(gph_net_host_ifname(n, "abc", 2), -1);
	ck_assert_uint_le(strlen("gph-01234567"), IF_NAMESIZE - 1);
}
END_TEST

START_TEST(block_first_free)
{
	struct in_addr h, c;
	struct gph_net_used u[4];
	ck_assert_int_eq(gph_net_pick_block(NULL, 0, &h, &c), 0);
	ck_assert_str_eq(ntoa(h), "10.200.0.1");
	ck_assert_str_eq(ntoa(c), "10.200.0.2");
	/* Unrelated networks leave the pool alone. */
	u[0] = used("127.0.0.1", 8);
	u[1] = used("192.168.1.7", 24);
	u[2] = used("10.201.0.1", 16);
	ck_assert_int_eq(gph_net_pick_block(u, 3, &h, &c), 0);
	ck_assert_str_eq(ntoa(h), "10.200.0.1");
	/* An address anywhere in a block takes the whole block. */
	u[0] = used("10.200.0.1", 30);
	ck_assert_int_eq(gph_net_pick_block(u, 1, &h, &c), 0);
	ck_assert_str_eq(ntoa(h), "10.200.0.5");
	ck_assert_str_eq(ntoa(c), "10.200.0.6");
	u[0] = used("10.200.0.3", 32);
	u[1] = used("10.200.0.4", 32);
	ck_assert_int_eq(gph_net_pick_block(u, 2, &h, &c), 0);
	ck_assert_str_eq(ntoa(h), "10.200.0.9");
	/* A wider prefix takes every block it covers. */
	u[0] = used("10.200.0.77", 24);
	ck_assert_int_eq(gph_net_pick_block(u, 1, &h, &c), 0);
	ck_assert_str_eq(ntoa(h), "10.200.1.1");
	ck_assert_str_eq(ntoa(c), "10.200.1.2");
}
END_TEST

START_TEST(block_pool_taken)
{
	struct in_addr h, c;
	struct gph_net_used u[2];
	u[0] = used("10.200.3.3", 16);
	ck_assert_int_eq(gph_net_pick_block(u, 1, &h, &c), -1);
	u[0] = used("10.1.2.3", 8);
	ck_assert_int_eq(gph_net_pick_block(u, 1, &h, &c), -1);
	u[0] = used("10.200.0.0", 17);
	u[1] = used("10.200.128.0", 17);
	ck_assert_int_eq(gph_net_pick_block(u, 2, &h, &c), -1);
	u[1] = used("10.200.255.253", 32); /* only the last block is busy */
	ck_assert_int_eq(gph_net_pick_block(u, 2, &h, &c), 0);
	ck_assert_str_eq(ntoa(h), "10.200.128.1");
}
END_TEST

/* ---- a real round trip, in namespaces of our own ------------------------------------------- */

#define SKIP_STATUS 77
#define ID "abcdef0123456789"
#define PORT 7707

static int say(const char *what, const struct gph_err *e)
{
	fprintf(stderr, "test_net: %s: %s (%s)\n", what, e ? e->msg : "", e && e->errnum ? strerror(e->errnum) : "");
	return 1;
}

/* The container side: its own netns, configured by configure_inside, then one TCP connection to
 * the host end and a look at the describe text. */
static int container_side(int ready_w, int go_r)
{
	struct gph_veth v;
	struct gph_err e = { 0 };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	static char text[8192];
	char want[128], byte = 'x';
	int s;
	alarm(20);
	if (unshare(CLONE_NEWNET) < 0)
		return say("unshare(CLONE_NEWNET) in the container side", NULL);
	if (write(ready_w, &byte, 1) != 1 || read(go_r, &v, sizeof v) != (ssize_t)sizeof v)
		return say("pipe", NULL);
	if (gph_net_veth_configure_inside(&v, &e) < 0)
		return say("configure_inside", &e);
	to.sin_addr = v.host_addr;
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0 || connect(s, (struct sockaddr *)&to, sizeof to) < 0)
		return say("connect to the host end", NULL);
	if (write(s, "hi", 2) != 2)
		return say("write", NULL);
	close(s);
	text[0] = '\0';
	if (gph_net_describe(text, sizeof text, &e) < 0)
		return say("describe inside", &e);
	snprintf(want, sizeof want, "default via %s dev eth0\n", ntoa(v.host_addr));
	if (!strstr(text, want) || !strstr(text, "\n10.200.0.4/30 dev eth0\n") ||
	    !strstr(text, "    inet 10.200.0.6/30\n") || !strstr(text, ": lo <LOOPBACK,UP,LOWER_UP> mtu 65536") ||
	    !strstr(text, ": eth0 <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP\n")) {
		fprintf(stderr, "test_net: unexpected describe text inside:\n%s", text);
		return 1;
	}
	/* Stay (and so keep the namespace and the pair) until the host side has looked and deleted. */
	if (write(ready_w, &byte, 1) != 1 || read(go_r, &byte, 1) != 0)
		return say("pipe", NULL);
	return 0;
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

/* The "host" side, already in a fresh netns: occupy the first name and the first /30, then run the
 * whole life of a veth pair. */
static int host_side(void)
{
	struct gph_veth v = { 0 }, v2 = { 0 };
	struct gph_err e = { 0 };
	struct nl_sock *sk = nl_socket_alloc();
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int ready[2], go[2], ls = -1, c, one = 1, status;
	char byte, got[3] = "";
	static char text[8192];
	pid_t kid;
	alarm(25);
	if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0 ||
	    rtnl_link_veth_add(sk, "gph-abcdef01", "occ-peer", getpid()) < 0)
		return say("occupying gph-abcdef01", NULL);
	nl_socket_free(sk);
	/* 10.200.0.1/30 on a link of ours makes the first block busy. */
	v2.prefix = 30;
	inet_pton(AF_INET, "10.200.0.1", &v2.host_addr);
	if (gph_net_lo_up(&e) < 0)
		return say("lo_up", &e);
	if (pipe(ready) < 0 || pipe(go) < 0)
		return say("pipe", NULL);
	if ((kid = fork()) < 0)
		return say("fork", NULL);
	if (kid == 0) {
		close(ready[0]);
		close(go[1]);
		_exit(container_side(ready[1], go[0]));
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &byte, 1) != 1)
		return say("container side did not start", NULL);
	/* Put 10.200.0.1/30 on a veth pair of our own by a preset creation (second id). */
	if (gph_net_veth_create(&v2, "zzzz9999", getpid(), &e) < 0)
		return say("preset create", &e);
	if (strcmp(v2.host_if, "gph-zzzz9999") != 0 || strcmp(v2.ctr_if, "eth0") != 0)
		return say("preset names", NULL);
	if (gph_net_veth_create(&v, ID, kid, &e) < 0)
		return say("create", &e);
	if (strcmp(v.host_if, "gph-23456789") != 0 || v.prefix != 30 ||
	    strcmp(ntoa(v.host_addr), "10.200.0.5") != 0 || strcmp(ntoa(v.ctr_addr), "10.200.0.6") != 0 ||
	    v.host_ifindex <= 0) {
		fprintf(stderr, "test_net: got %s %s/%d ctr %s ifindex %d\n", v.host_if, ntoa(v.host_addr),
			v.prefix, ntoa(v.ctr_addr), v.host_ifindex);
		return 1;
	}
	me.sin_addr = v.host_addr;
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(ls, (struct sockaddr *)&me, sizeof me) < 0 || listen(ls, 1) < 0)
		return say("listen on the host end", NULL);
	if (write(go[1], &v, sizeof v) != (ssize_t)sizeof v)
		return say("pipe", NULL);
	if ((c = accept(ls, NULL, NULL)) < 0 || read(c, got, 2) != 2 || strcmp(got, "hi") != 0)
		return say("accept from the container", NULL);
	close(c);
	close(ls);
	if (read(ready[0], &byte, 1) != 1)
		return say("container side failed", NULL);
	text[0] = '\0';
	if (gph_net_describe(text, sizeof text, &e) < 0)
		return say("describe", &e);
	if (!strstr(text, ": gph-23456789 <") || !strstr(text, "    inet 10.200.0.5/30\n") ||
	    !strstr(text, "\n10.200.0.4/30 dev gph-23456789\n")) {
		fprintf(stderr, "test_net: unexpected describe text:\n%s", text);
		return 1;
	}
	/* The peer went with its namespace; deleting the host end is then still fine, and twice too. */
	if (gph_net_veth_delete(&v, &e) < 0 || gph_net_veth_delete(&v, &e) < 0 ||
	    gph_net_veth_delete(&v2, &e) < 0)
		return say("delete", &e);
	if (link_present("gph-23456789") || link_present("gph-zzzz9999") || !link_present("gph-abcdef01"))
		return say("links left after delete (or ours removed)", NULL);
	close(go[1]);
	if (waitpid(kid, &status, 0) != kid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return say("container side failed", NULL);
	/* Both candidates taken: a clear refusal and nothing made. */
	memset(&v, 0, sizeof v);
	if (gph_net_veth_create(&v, "abcdef01", getpid(), &e) == 0 || e.errnum != EEXIST ||
	    !strstr(e.msg, "gph-abcdef01"))
		return say("collision without a second candidate should fail", &e);
	return 0;
}

START_TEST(veth_round_trip)
{
	int status;
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Our own network namespace: nothing here touches the machine's network. */
		if (unshare(CLONE_NEWNET) < 0)
			_exit(SKIP_STATUS);
		_exit(host_side());
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	/* make check runs as root: a refused unshare is a failure here, not a silent skip. */
	ck_assert_msg(WEXITSTATUS(status) != SKIP_STATUS, "unshare(CLONE_NEWNET) refused: run the unit tests as root");
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

Suite *suite_net(void)
{
	Suite *s = suite_create("net");
	TCase *pure = tcase_create("pure");
	TCase *live = tcase_create("netns");
	tcase_add_test(pure, ifname_candidates);
	tcase_add_test(pure, block_first_free);
	tcase_add_test(pure, block_pool_taken);
	tcase_add_test(live, veth_round_trip);
	tcase_set_timeout(live, 30);
	suite_add_tcase(s, pure);
	suite_add_tcase(s, live);
	return s;
}
