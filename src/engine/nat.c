/* NAT and published ports as nftables rules in a table of our own, `ip gophernetes`, written as
 * nft rule text and handed to libnftables (never an `nft` or `iptables` process). The library is
 * loaded with dlopen on the first call: it pulls in libnftnl, libmnl, libjansson, libgmp and
 * libxtables, which a plain `run` must not pay for at start-up.
 *
 * Atomicity without a lock: each set-up is one nftables transaction that also does
 * `create element` on a set of ours (`bridges` for a bridge's rules, `ports` for a published host
 * port), which fails if the element exists, and then the whole transaction is rolled back. So
 * parallel runs never add a rule twice (B24), and a host port is never published twice. */
#define _GNU_SOURCE
#include "gph/bridge.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nftables/libnftables.h>

#define TABLE "ip gophernetes"
#define NFT_SONAME "libnftables.so.1"

/* ---- the library ----------------------------------------------------------------------------- */

static struct {
	void *h;
	__typeof__(nft_ctx_new) *ctx_new;
	__typeof__(nft_ctx_free) *ctx_free;
	__typeof__(nft_ctx_buffer_output) *buffer_output;
	__typeof__(nft_ctx_buffer_error) *buffer_error;
	__typeof__(nft_ctx_get_output_buffer) *get_output;
	__typeof__(nft_ctx_get_error_buffer) *get_error;
	__typeof__(nft_ctx_output_set_flags) *set_flags;
	__typeof__(nft_run_cmd_from_buffer) *run;
} lib;

static int load_lib(struct gph_err *e)
{
	static const char *hint = "NAT needs libnftables (Debian: apt-get install libnftables1) and a kernel with nf_tables";
	void *h;
	if (lib.h)
		return 0;
	if (!(h = dlopen(NFT_SONAME, RTLD_NOW | RTLD_LOCAL)))
		return gph_fail(e, 0, hint, "dlopen(\"%s\"): %s", NFT_SONAME, dlerror());
#define SYM(field, name)                                                                        \
	if (!(lib.field = (__typeof__(lib.field))dlsym(h, name))) {                               \
		gph_fail(e, 0, hint, "dlsym(\"%s\", \"%s\"): %s", NFT_SONAME, name, dlerror());   \
		dlclose(h);                                                                       \
		return -1;                                                                        \
	}
	SYM(ctx_new, "nft_ctx_new");
	SYM(ctx_free, "nft_ctx_free");
	SYM(buffer_output, "nft_ctx_buffer_output");
	SYM(buffer_error, "nft_ctx_buffer_error");
	SYM(get_output, "nft_ctx_get_output_buffer");
	SYM(get_error, "nft_ctx_get_error_buffer");
	SYM(set_flags, "nft_ctx_output_set_flags");
	SYM(run, "nft_run_cmd_from_buffer");
#undef SYM
	lib.h = h; /* kept loaded for the life of the process */
	return 0;
}

/* The errno nft's message ends with, if it is one we know. */
static int errno_in(const char *msg)
{
	static const int known[] = { EEXIST, ENOENT, EPERM, EOPNOTSUPP, EBUSY, ENOMEM, EINVAL, ENOSPC, EAFNOSUPPORT };
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strstr(msg, strerror(known[i])))
			return known[i];
	return 0;
}

/* The line of cmd that nft's marker line points at. libnftables 1.0 prints the first line of a
 * multi-line buffer above the markers whatever line failed, but the markers' columns are right:
 * take the line whose text at those columns is a whole word. */
static void failed_line(const char *cmd, const char *marks, char *out, size_t len)
{
	const char *c = strchr(marks, '^');
	size_t col, width = 0;
	out[0] = '\0';
	if (!c)
		return;
	col = (size_t)(c - marks);
	while (c[width] == '^')
		width++;
	for (const char *p = cmd; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (col + width <= n && (col == 0 || p[col - 1] == ' ') &&
		    (col + width == n || strchr(" ;}", p[col + width]))) {
			snprintf(out, len, "%.*s", (int)n, p);
			return;
		}
		p += n + (nl ? 1 : 0);
	}
}

/* nft's error text (an "Error: ..." line, a command line, a line marking the spot) as one
 * message naming the command it refused. */
static int nft_fail(const char *cmd, const char *err, const char *hint, struct gph_err *e)
{
	char first[512] = "", where[512] = "";
	const char *nl = err ? strchr(err, '\n') : NULL;
	int errnum;
	if (err && *err) {
		snprintf(first, sizeof first, "%.*s", nl ? (int)(nl - err) : (int)strlen(err), err);
		const char *marks = nl ? strchr(nl + 1, '\n') : NULL;
		if (marks)
			failed_line(cmd, marks + 1, where, sizeof where);
	} else {
		snprintf(first, sizeof first, "failed without a message");
	}
	if (!where[0]) {
		nl = strchr(cmd, '\n');
		snprintf(where, sizeof where, "%.*s%s", nl ? (int)(nl - cmd) : (int)strlen(cmd), cmd,
			 nl && nl[1] ? " ..." : "");
	}
	errnum = errno_in(first);
	if (errnum) {
		/* gph_err_print appends the errno text: do not say it twice. */
		char *p = strstr(first, strerror(errnum));
		if (p) {
			while (p > first && (p[-1] == ' ' || p[-1] == ':'))
				p--;
			*p = '\0';
		}
	}
	if (errnum == EPERM || errnum == EOPNOTSUPP || errnum == EAFNOSUPPORT)
		hint = errnum == EPERM ? "nftables changes need CAP_NET_ADMIN (run as root)"
				       : "the kernel needs nf_tables with nat, masquerade and fib (CONFIG_NF_TABLES, CONFIG_NFT_NAT, CONFIG_NFT_MASQ, CONFIG_NFT_FIB_IPV4)";
	return gph_fail(e, errnum, hint, "nft_run_cmd_from_buffer(\"%s\"): %s", where, first);
}

/* Run cmd (one transaction) in a fresh context; *out, when wanted, gets a malloc'd copy of what
 * nft printed, *errtext (optional) of its error text. */
static int nft_exec(const char *cmd, unsigned flags, char **out, char **errtext, const char *hint,
		    struct gph_err *e)
{
	struct nft_ctx *ctx;
	int r, rc = -1;
	if (out)
		*out = NULL;
	if (errtext)
		*errtext = NULL;
	if (load_lib(e) < 0)
		return -1;
	if (!(ctx = lib.ctx_new(NFT_CTX_DEFAULT)))
		return gph_fail(e, ENOMEM, "", "nft_ctx_new()");
	if (lib.buffer_output(ctx) < 0 || lib.buffer_error(ctx) < 0) {
		gph_fail(e, ENOMEM, "", "nft_ctx_buffer_output()");
		goto out;
	}
	lib.set_flags(ctx, flags);
	r = lib.run(ctx, cmd);
	const char *err = lib.get_error(ctx);
	if (errtext && err && *err && !(*errtext = strdup(err))) {
		gph_fail(e, ENOMEM, "", "strdup()");
		goto out;
	}
	if (r != 0) {
		nft_fail(cmd, err, hint, e);
		goto out;
	}
	if (out) {
		const char *o = lib.get_output(ctx);
		if (!(*out = strdup(o ? o : ""))) {
			gph_fail(e, ENOMEM, "", "strdup()");
			goto out;
		}
	}
	rc = 0;
out:
	lib.ctx_free(ctx);
	return rc;
}

/* Our table listed (with handles); *out "" when there is no table. */
static int list_table(char **out, struct gph_err *e)
{
	char *err = NULL;
	struct gph_err ignored;
	int r = nft_exec("list table " TABLE, NFT_CTX_OUTPUT_HANDLE, out, &err, "", &ignored);
	if (r < 0) {
		int absent = err && strstr(err, strerror(ENOENT));
		free(err);
		if (absent)
			return (*out = strdup("")) ? 0 : gph_fail(e, ENOMEM, "", "strdup()");
		*e = ignored;
		return -1;
	}
	free(err);
	return 0;
}

/* ---- text ------------------------------------------------------------------------------------ */

struct buf {
	char *s;
	size_t len, cap;
	int oom;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->s && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

static int buf_ok(struct buf *b, struct gph_err *e)
{
	if (b->oom || !b->s)
		return gph_fail(e, ENOMEM, "", "building nft rule text");
	return 0;
}

/* Table, base chains and sets: `add` of what exists already changes nothing (but re-adding an
 * existing base chain costs the kernel ~10 ms, so it is sent only when the table is missing). */
static void add_base(struct buf *b)
{
	add(b, "add table " TABLE "\n");
	add(b, "add chain " TABLE " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n");
	add(b, "add chain " TABLE " prerouting { type nat hook prerouting priority dstnat; policy accept; }\n");
	/* -100 is dstnat; nft accepts that name only for prerouting. */
	add(b, "add chain " TABLE " output { type nat hook output priority -100; policy accept; }\n");
	add(b, "add chain " TABLE " forward { type filter hook forward priority filter; policy accept; }\n");
	add(b, "add chain " TABLE " input { type filter hook input priority filter; policy accept; }\n");
	add(b, "add set " TABLE " bridges { type ifname; }\n");
	add(b, "add set " TABLE " ports { type inet_proto . inet_service; }\n");
}

static void trace_text(const char *cmd)
{
	for (const char *p = cmd; *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		if (n)
			gph_bridge_tracef("nft: %.*s", n, p);
		p += n + (nl ? 1 : 0);
	}
}

enum base { NO_BASE, WITH_BASE, BASE_IF_MISSING };

/* Apply one transaction of changes, with the table's base objects first (WITH_BASE), or without
 * them but retried once with them when refused for a missing object (BASE_IF_MISSING: the table
 * is normally there). What was applied, or refused, goes to the trace. */
static int apply(const char *changes, enum base base, struct gph_err *e)
{
	struct buf t = { 0 };
	int rc;
	if (base == WITH_BASE)
		add_base(&t);
	add(&t, "%s", changes);
	if (buf_ok(&t, e) < 0) {
		free(t.s);
		return -1;
	}
	rc = nft_exec(t.s, 0, NULL, NULL, "", e);
	if (rc < 0 && base == BASE_IF_MISSING && e->errnum == ENOENT) {
		free(t.s);
		return apply(changes, WITH_BASE, e);
	}
	trace_text(t.s);
	if (rc < 0)
		gph_bridge_tracef("nft: (transaction refused, nothing changed: %s%s%s)", e->msg, e->errnum ? ": " : "",
				  e->errnum ? strerror(e->errnum) : "");
	free(t.s);
	return rc;
}

static int valid_word(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

static int check_bridge(const struct gph_bridge *b, struct gph_err *e)
{
	if (!b || !valid_word(b->name, IF_NAMESIZE - 1))
		return gph_fail(e, EINVAL, "", "NAT: bad bridge name \"%s\"", b ? b->name : "(null)");
	return 0;
}

/* A line of `list` output in a set or chain: which block it belongs to. */
struct scan {
	char kind[8];  /* "chain", "set" or "" */
	char name[64];
};

static void scan_line(struct scan *sc, const char *line)
{
	char kind[8], name[64];
	while (*line == '\t' || *line == ' ')
		line++;
	if (sscanf(line, "%7s %63s {", kind, name) == 2 && (!strcmp(kind, "chain") || !strcmp(kind, "set")) &&
	    strstr(line, "{")) {
		snprintf(sc->kind, sizeof sc->kind, "%s", kind);
		snprintf(sc->name, sizeof sc->name, "%s", name);
	} else if (!strcmp(line, "}")) {
		sc->kind[0] = '\0';
	}
}

/* Append to del the commands deleting every rule and `ports` element whose comment is exactly
 * comment; counts them in *n. listing is `list table` output with handles. */
static void collect(const char *listing, const char *comment, struct buf *del, int *n)
{
	char needle[128];
	struct scan sc = { "", "" };
	const char *p = listing;
	snprintf(needle, sizeof needle, "comment \"%s\"", comment);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, len);
		if (!line) {
			del->oom = 1;
			return;
		}
		scan_line(&sc, line);
		for (char *hit = strstr(line, needle); hit; hit = strstr(hit + 1, needle)) {
			const char *after = hit + strlen(needle);
			unsigned long handle;
			if (!strcmp(sc.kind, "chain") && sscanf(after, " # handle %lu", &handle) == 1) {
				add(del, "delete rule " TABLE " %s handle %lu\n", sc.name, handle);
				(*n)++;
			} else if (!strcmp(sc.kind, "set") && (*after == ',' || *after == ' ' || *after == '\0')) {
				/* The element's key runs back to the previous '{' or ','. */
				char *start = hit;
				while (start > line && start[-1] != '{' && start[-1] != ',')
					start--;
				while (*start == ' ' || *start == '\t')
					start++;
				char *end = hit;
				while (end > start && end[-1] == ' ')
					end--;
				if (end > start) {
					add(del, "delete element " TABLE " %s { %.*s }\n", sc.name, (int)(end - start), start);
					(*n)++;
				}
			}
		}
		free(line);
		p += len + (nl ? 1 : 0);
	}
}

/* Whether the set's elements in the listing include key (exact text, e.g. "\"gph0\""). */
static int set_has(const char *listing, const char *set, const char *key)
{
	struct scan sc = { "", "" };
	const char *p = listing;
	int found = 0;
	while (*p && !found) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, len);
		if (!line)
			return 0;
		scan_line(&sc, line);
		if (!strcmp(sc.kind, "set") && !strcmp(sc.name, set)) {
			for (char *hit = strstr(line, key); hit && !found; hit = strstr(hit + 1, key)) {
				char after = hit[strlen(key)];
				const char *before = hit;
				while (before > line && before[-1] == ' ')
					before--;
				found = (before == line || before[-1] == '{' || before[-1] == ',') &&
					(after == ',' || after == ' ' || after == '\0' || after == '}');
			}
		}
		free(line);
		p += len + (nl ? 1 : 0);
	}
	return found;
}

/* No rule in any chain and no element in any set. */
static int table_empty(const char *listing)
{
	struct scan sc = { "", "" };
	const char *p = listing;
	int empty = 1;
	while (*p && empty) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, len);
		if (!line)
			return 0;
		char before[8];
		snprintf(before, sizeof before, "%s", sc.kind);
		scan_line(&sc, line);
		/* A rule line: inside a chain (not its header) with a handle. */
		if (!strcmp(before, "chain") && !strcmp(sc.kind, "chain") && strstr(line, "# handle"))
			empty = 0;
		if (!strcmp(sc.kind, "set") && strstr(line, "elements = "))
			empty = 0;
		free(line);
		p += len + (nl ? 1 : 0);
	}
	return empty;
}

/* ---- sysctls --------------------------------------------------------------------------------- */

/* Write "1" to a /proc/sys file unless it holds 1 already; name the change in note. */
static int sysctl_on(const char *path, const char *name, char *note, size_t note_len, struct gph_err *e)
{
	char v[16] = "";
	ssize_t n;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return gph_fail(e, errno, "is /proc mounted, and is this the network namespace you mean?", "open(\"%s\")", path);
	n = read(fd, v, sizeof v - 1);
	if (n < 0) {
		gph_fail(e, errno, "", "read(\"%s\")", path);
		close(fd);
		return -1;
	}
	if (atoi(v) == 1) {
		close(fd);
		return 0;
	}
	if (pwrite(fd, "1\n", 2, 0) != 2) {
		gph_fail(e, errno, "changing a sysctl needs CAP_NET_ADMIN in the namespace's user namespace",
			 "write(\"%s\", \"1\")", path);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return gph_fail(e, errno, "", "close(\"%s\")", path);
	gph_bridge_tracef("sysctl %s=1", name);
	if (note && note_len) {
		size_t used = strnlen(note, note_len);
		if (used < note_len)
			snprintf(note + used, note_len - used, "%s%s", used ? ", " : "enabled ", name);
	}
	return 0;
}

/* ---- the API --------------------------------------------------------------------------------- */

int gph_nat_ensure_bridge(const struct gph_bridge *b, char *note, size_t note_len, struct gph_err *e)
{
	char s[INET_ADDRSTRLEN], key[IF_NAMESIZE + 2], path[128], name[96], *listing = NULL;
	struct buf t = { 0 };
	int rc = -1;
	if (note && note_len)
		note[0] = '\0';
	if (check_bridge(b, e) < 0)
		return -1;
	if (b->prefix < 8 || b->prefix > 30)
		return gph_fail(e, EINVAL, "ensure the bridge first (it reads its subnet back)", "NAT for bridge %s: no subnet", b->name);
	snprintf(key, sizeof key, "\"%s\"", b->name);
	if (list_table(&listing, e) < 0)
		return -1;
	if (!set_has(listing, "bridges", key)) {
		inet_ntop(AF_INET, &b->subnet, s, sizeof s);
		add(&t, "create element " TABLE " bridges { \"%s\" }\n", b->name);
		add(&t, "add rule " TABLE " postrouting ip saddr %s/%d oifname != \"%s\" masquerade comment \"gph-bridge %s\"\n",
		    s, b->prefix, b->name, b->name);
		/* Ports published on 127.0.0.1: the host's own connection is DNATed into the bridge with a
		 * loopback source, which route_localnet lets through and this rule rewrites. */
		add(&t, "add rule " TABLE " postrouting ip saddr 127.0.0.0/8 oifname \"%s\" masquerade comment \"gph-bridge %s\"\n",
		    b->name, b->name);
		add(&t, "add rule " TABLE " forward iifname \"%s\" accept comment \"gph-bridge %s\"\n", b->name, b->name);
		add(&t, "add rule " TABLE " forward oifname \"%s\" ct state established,related accept comment \"gph-bridge %s\"\n",
		    b->name, b->name);
		/* New connections into the bridge from elsewhere: only published ports (inserted above). */
		add(&t, "add rule " TABLE " forward oifname \"%s\" drop comment \"gph-bridge %s\"\n", b->name, b->name);
		/* route_localnet also lets a container address the host's 127.0.0.1 through the bridge
		 * (CVE-2020-8558): only replies may come in that way. */
		add(&t, "add rule " TABLE " input iifname \"%s\" ip daddr 127.0.0.0/8 ct state != { established, related } drop comment \"gph-bridge %s\"\n",
		    b->name, b->name);
		if (buf_ok(&t, e) < 0)
			goto out;
		if (apply(t.s, listing[0] ? BASE_IF_MISSING : WITH_BASE, e) < 0) {
			/* Lost a race with a parallel run? Then its rules are ours too. */
			struct gph_err again;
			free(listing);
			listing = NULL;
			if (list_table(&listing, &again) < 0 || !set_has(listing, "bridges", key))
				goto out;
		}
	}
	if (sysctl_on("/proc/sys/net/ipv4/ip_forward", "net.ipv4.ip_forward", note, note_len, e) < 0)
		goto out;
	snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/route_localnet", b->name);
	snprintf(name, sizeof name, "net.ipv4.conf.%s.route_localnet", b->name);
	if (sysctl_on(path, name, note, note_len, e) < 0)
		goto out;
	rc = 0;
out:
	free(listing);
	free(t.s);
	return rc;
}

int gph_nat_publish(const char *id, const struct gph_bridge *b, struct in_addr ctr, int host_port,
		    int ctr_port, const char *proto, struct gph_err *e)
{
	char s[INET_ADDRSTRLEN], *listing = NULL;
	struct buf t = { 0 };
	int rc = -1;
	if (!proto)
		proto = "tcp";
	if (!valid_word(id, 64))
		return gph_fail(e, EINVAL, "ids are 1..64 of letters, digits, '-', '_' and '.'", "publish: bad container id \"%s\"",
				id ? id : "(null)");
	if (check_bridge(b, e) < 0)
		return -1;
	if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
		return gph_fail(e, EINVAL, "write -p HOST:CTR, HOST:CTR/tcp or HOST:CTR/udp", "publish: protocol \"%s\"", proto);
	if (host_port < 1 || host_port > 65535 || ctr_port < 1 || ctr_port > 65535)
		return gph_fail(e, EINVAL, "ports are 1..65535", "publish: ports %d:%d", host_port, ctr_port);
	inet_ntop(AF_INET, &ctr, s, sizeof s);
	add(&t, "create element " TABLE " ports { %s . %d comment \"gph-ctr %s\" }\n", proto, host_port, id);
	add(&t, "add rule " TABLE " prerouting fib daddr type local %s dport %d dnat to %s:%d comment \"gph-ctr %s\"\n",
	    proto, host_port, s, ctr_port, id);
	add(&t, "add rule " TABLE " output fib daddr type local %s dport %d dnat to %s:%d comment \"gph-ctr %s\"\n",
	    proto, host_port, s, ctr_port, id);
	/* Hairpin: a connection from the container to its own published port comes back to it with
	 * its own address as the source, and its reply would stay inside, never un-DNATed: give
	 * such connections the gateway's address (with hairpin mode on the port, gph_bridge_attach). */
	add(&t, "add rule " TABLE " postrouting ip saddr %s ip daddr %s %s dport %d ct status dnat masquerade comment \"gph-ctr %s\"\n",
	    s, s, proto, ctr_port, id);
	/* Inserted: it must come before the bridge's drop of new connections into it. */
	add(&t, "insert rule " TABLE " forward ip daddr %s oifname \"%s\" %s dport %d ct status dnat accept comment \"gph-ctr %s\"\n",
	    s, b->name, proto, ctr_port, id);
	if (buf_ok(&t, e) < 0)
		goto out;
	if (apply(t.s, BASE_IF_MISSING, e) < 0) {
		/* Taken? Say by whom. */
		char key[32], *p;
		struct gph_err ignored;
		if (list_table(&listing, &ignored) == 0) {
			/* nft prints the protocol by name only where /etc/protocols exists (minimal systems
			 * have none): look for both spellings. */
			snprintf(key, sizeof key, "%s . %d comment \"gph-ctr ", proto, host_port);
			p = strstr(listing, key);
			if (!p) {
				snprintf(key, sizeof key, "%d . %d comment \"gph-ctr ", strcmp(proto, "tcp") ? 17 : 6, host_port);
				p = strstr(listing, key);
			}
			if (p) {
				char owner[65] = "";
				sscanf(p + strlen(key), "%64[^\"]", owner);
				gph_fail(e, EADDRINUSE, "pick another host port, or stop that container first",
					 "publish %d/%s: already published by container %s", host_port, proto, owner);
			}
		}
		goto out;
	}
	rc = 0;
out:
	free(listing);
	free(t.s);
	return rc;
}

/* Delete what carries comment, and run extra (may be NULL), in one transaction. */
static int delete_commented(const char *listing, const char *comment, const char *extra, struct gph_err *e)
{
	struct buf t = { 0 };
	int n = 0, rc;
	collect(listing, comment, &t, &n);
	if (extra) {
		add(&t, "%s", extra);
		n++;
	}
	if (n == 0 && !t.oom)
		return 0;
	if (buf_ok(&t, e) < 0) {
		free(t.s);
		return -1;
	}
	rc = apply(t.s, NO_BASE, e);
	free(t.s);
	return rc;
}

int gph_nat_unpublish(const char *id, struct gph_err *e)
{
	char comment[80], *listing = NULL;
	int rc;
	if (!valid_word(id, 64))
		return gph_fail(e, EINVAL, "", "unpublish: bad container id \"%s\"", id ? id : "(null)");
	snprintf(comment, sizeof comment, "gph-ctr %s", id);
	if (list_table(&listing, e) < 0)
		return -1;
	rc = delete_commented(listing, comment, NULL, e);
	free(listing);
	return rc;
}

int gph_nat_remove_bridge(const struct gph_bridge *b, struct gph_err *e)
{
	char comment[64], key[IF_NAMESIZE + 2], *listing = NULL;
	bool removed;
	int ports, rc = -1;
	if (check_bridge(b, e) < 0)
		return -1;
	if (gph_bridge_ports(b, &ports, e) < 0)
		return -1;
	if (ports > 0)
		return 1;
	snprintf(comment, sizeof comment, "gph-bridge %s", b->name);
	snprintf(key, sizeof key, "\"%s\"", b->name);
	if (list_table(&listing, e) < 0)
		return -1;
	if (listing[0]) {
		char extra[128];
		snprintf(extra, sizeof extra, "delete element " TABLE " bridges { \"%s\" }\n", b->name);
		if (delete_commented(listing, comment, set_has(listing, "bridges", key) ? extra : NULL, e) < 0)
			goto out;
		free(listing);
		listing = NULL;
		if (list_table(&listing, e) < 0)
			goto out;
		if (listing[0] && table_empty(listing) &&
		    apply("delete table " TABLE "\n", NO_BASE, e) < 0)
			goto out;
	}
	if (gph_bridge_remove_unused(b, &removed, e) < 0)
		goto out;
	rc = 0;
out:
	free(listing);
	return rc;
}

int gph_nat_describe(char *buf, size_t len, struct gph_err *e)
{
	char *listing = NULL;
	if (!buf || len == 0)
		return gph_fail(e, EINVAL, "pass a buffer", "gph_nat_describe(len %zu)", len);
	if (list_table(&listing, e) < 0)
		return -1;
	if ((size_t)snprintf(buf, len, "%s", listing) >= len) {
		free(listing);
		return gph_fail(e, ENOBUFS, "the table has more than the buffer holds; the text is cut",
				"gph_nat_describe(len %zu)", len);
	}
	free(listing);
	return 0;
}
