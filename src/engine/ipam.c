/* Address allocation for bridge networks: one text file per bridge under the state root,
 *   <state_root>/ipam/gph0        "10.88.0.2 1a2b3c4d5e6f" lines, rewritten whole (tmp + rename),
 *                                 removed when its last allocation is released
 * and every read-modify-write holds flock(2) on the directory <state_root>/ipam itself: not on
 * the data file, which rename replaces (a lock on the old inode would not exclude a process that
 * opened the new one), and not on a lock file of its own, which would stay behind forever. */
#define _GNU_SOURCE
#include "gph/bridge.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t mask_of(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

int gph_cidr_parse(const char *s, struct in_addr *net, int *prefix, struct gph_err *e)
{
	static const char *forms = "write the network as ADDRESS/PREFIX with the host bits zero, e.g. 10.88.0.0/16 (prefix 8..30)";
	char addr[INET_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	size_t alen;
	int p = 0;
	struct in_addr a;
	if (!s || !slash)
		return gph_fail(e, EINVAL, forms, "subnet \"%s\": no /PREFIX", s ? s : "(null)");
	alen = (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof addr)
		return gph_fail(e, EINVAL, forms, "subnet \"%s\": not an IPv4 address before '/'", s);
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	/* inet_pton takes exactly a dotted quad: no "10.88", no hex, no leading zeros. */
	if (inet_pton(AF_INET, addr, &a) != 1)
		return gph_fail(e, EINVAL, forms, "subnet \"%s\": \"%s\" is not an IPv4 address", s, addr);
	/* No leading zero either, as for the address: "/08" is refused (found by tests/fuzz/values.c). */
	if (!isdigit((unsigned char)slash[1]) || (slash[2] && !isdigit((unsigned char)slash[2])) ||
	    (slash[2] && slash[3]) || (slash[1] == '0' && slash[2]))
		return gph_fail(e, EINVAL, forms, "subnet \"%s\": the prefix is 1 or 2 digits, no leading zero", s);
	p = atoi(slash + 1);
	if (p < 8 || p > 30)
		return gph_fail(e, EINVAL, forms, "subnet \"%s\": prefix /%d is outside 8..30", s, p);
	if (ntohl(a.s_addr) & ~mask_of(p)) {
		struct in_addr n = { htonl(ntohl(a.s_addr) & mask_of(p)) };
		char ns[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &n, ns, sizeof ns);
		return gph_fail(e, EINVAL, "give the network address, with the host bits zero", "subnet \"%s\" has host bits set: the network is %s/%d", s, ns, p);
	}
	*net = a;
	*prefix = p;
	return 0;
}

/* ---- the file -------------------------------------------------------------------------------- */

struct alloc {
	uint32_t addr;              /* host byte order */
	char id[65];
};

struct table {
	struct alloc *v;
	size_t n, cap;
};

static int valid_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
			return 0;
	return 1;
}

static int valid_bridge(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	return n > 0 && n < IF_NAMESIZE && valid_id(name) && strcmp(name, ".") && strcmp(name, "..");
}

static int push(struct table *t, uint32_t addr, const char *id, struct gph_err *e)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct alloc *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return gph_fail(e, ENOMEM, "", "realloc(%zu allocations)", cap);
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n].addr = addr;
	snprintf(t->v[t->n].id, sizeof t->v[t->n].id, "%s", id);
	t->n++;
	return 0;
}

/* The directory <state_root>/ipam, made if missing. */
static int ipam_dir(const char *state_root, char *dir, size_t len, int create, struct gph_err *e)
{
	if (!state_root || !*state_root)
		return gph_fail(e, EINVAL, "", "address allocation: no state directory");
	if ((size_t)snprintf(dir, len, "%s/ipam", state_root) >= len)
		return gph_fail(e, ENAMETOOLONG, "", "state directory \"%s\"", state_root);
	if (!create)
		return 0;
	/* The state root itself may not exist yet on a fresh boot (/run is a tmpfs). */
	if (mkdir(state_root, 0755) < 0 && errno != EEXIST)
		return gph_fail(e, errno, "the state directory is made under /run by default; GPH_STATE_DIR changes it",
				"mkdir(\"%s\")", state_root);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return gph_fail(e, errno, "", "mkdir(\"%s\")", dir);
	return 0;
}

/* Open and lock the directory dir; returns the fd (closing it unlocks). */
static int lock_dir(const char *dir, struct gph_err *e)
{
	int fd;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return gph_fail(e, errno, "", "open(\"%s\")", dir);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			gph_fail(e, errno, "", "flock(\"%s\", LOCK_EX)", dir);
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int load(const char *dir, const char *bridge, struct table *t, struct gph_err *e)
{
	char path[PATH_MAX], line[256];
	FILE *f;
	int lineno = 0;
	snprintf(path, sizeof path, "%s/%s", dir, bridge);
	if (!(f = fopen(path, "re"))) {
		if (errno == ENOENT)
			return 0;
		return gph_fail(e, errno, "", "fopen(\"%s\")", path);
	}
	while (fgets(line, sizeof line, f)) {
		char ip[INET_ADDRSTRLEN + 1], id[sizeof t->v[0].id + 1], rest;
		struct in_addr a;
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%16s %65s %c", ip, id, &rest) != 2 || inet_pton(AF_INET, ip, &a) != 1 ||
		    !valid_id(id)) {
			gph_fail(e, EINVAL, "the file is written only by gophernetes; remove the bad line (or the file when no container runs)",
				 "%s line %d: not \"ADDRESS ID\"", path, lineno);
			fclose(f);
			return -1;
		}
		if (push(t, ntohl(a.s_addr), id, e) < 0) {
			fclose(f);
			return -1;
		}
	}
	if (ferror(f)) {
		gph_fail(e, EIO, "", "reading \"%s\"", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int save(const char *dir, const char *bridge, const struct table *t, struct gph_err *e)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, bridge);
	snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, bridge);
	if (t->n == 0) {
		if (unlink(path) < 0 && errno != ENOENT)
			return gph_fail(e, errno, "", "unlink(\"%s\")", path);
		return 0;
	}
	if (!(f = fopen(tmp, "we")))
		return gph_fail(e, errno, "", "fopen(\"%s\", \"w\")", tmp);
	fprintf(f, "# gophernetes: addresses given out on bridge %s (ADDRESS ID)\n", bridge);
	for (size_t i = 0; i < t->n; i++) {
		struct in_addr a = { htonl(t->v[i].addr) };
		char s[INET_ADDRSTRLEN];
		fprintf(f, "%s %s\n", inet_ntop(AF_INET, &a, s, sizeof s), t->v[i].id);
	}
	/* fflush + fsync before rename: a crash leaves the old file or the new one, never half. */
	if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
		gph_fail(e, errno, "is the state directory's file system full?", "write(\"%s\")", tmp);
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0) {
		gph_fail(e, errno, "", "fclose(\"%s\")", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		gph_fail(e, errno, "", "rename(\"%s\", \"%s\")", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ---- allocation ------------------------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static const char *ntoa(uint32_t host_order, char *buf)
{
	struct in_addr a = { htonl(host_order) };
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* Pick for id within the locked table; appends the new entry. */
static int pick(struct table *t, const struct gph_bridge *b, const char *id, const struct in_addr *want,
		uint32_t *out, struct gph_err *e)
{
	uint32_t mask = mask_of(b->prefix), net = ntohl(b->subnet.s_addr) & mask, bcast = net | ~mask;
	uint32_t gw = ntohl(b->gateway.s_addr), *taken;
	char s[INET_ADDRSTRLEN], cidr[INET_ADDRSTRLEN + 4];
	size_t n = 0;
	snprintf(cidr, sizeof cidr, "%s/%d", ntoa(net, s), b->prefix);
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].id, id) != 0 || (t->v[i].addr & mask) != net)
			continue;
		if (want && ntohl(want->s_addr) != t->v[i].addr) {
			char had[INET_ADDRSTRLEN];
			return gph_fail(e, EEXIST, "one address per container and bridge; release it first",
					"--ip %s: %s already has %s on %s", inet_ntop(AF_INET, want, s, sizeof s), id,
					ntoa(t->v[i].addr, had), b->name);
		}
		*out = t->v[i].addr;
		return 0;
	}
	if (want) {
		uint32_t w = ntohl(want->s_addr);
		inet_ntop(AF_INET, want, s, sizeof s);
		if ((w & mask) != net)
			return gph_fail(e, EINVAL, "pick an address inside the bridge's subnet", "--ip %s: not in %s of bridge %s",
					s, cidr, b->name);
		if (w == net || w == bcast)
			return gph_fail(e, EINVAL, "the first and last address of a subnet are its network and broadcast addresses",
					"--ip %s: the %s address of %s", s, w == net ? "network" : "broadcast", cidr);
		if (w == gw)
			return gph_fail(e, EADDRINUSE, "the gateway address belongs to the bridge itself",
					"--ip %s: the gateway of bridge %s", s, b->name);
		for (size_t i = 0; i < t->n; i++)
			if (t->v[i].addr == w)
				return gph_fail(e, EADDRINUSE, "leave --ip out to get a free address",
						"--ip %s: taken by container %s", s, t->v[i].id);
		*out = w;
		return push(t, w, id, e);
	}
	/* Lowest free: sort what is taken (plus the gateway) and walk the host range. */
	if (!(taken = calloc(t->n + 1, sizeof *taken)))
		return gph_fail(e, ENOMEM, "", "calloc(%zu)", t->n + 1);
	for (size_t i = 0; i < t->n; i++)
		if ((t->v[i].addr & mask) == net)
			taken[n++] = t->v[i].addr;
	taken[n++] = gw;
	qsort(taken, n, sizeof *taken, cmp_u32);
	uint32_t cand = net + 1;
	for (size_t i = 0; i < n && cand < bcast; i++) {
		if (taken[i] < cand)
			continue;
		if (taken[i] > cand)
			break;
		cand++;
	}
	free(taken);
	if (cand >= bcast)
		return gph_fail(e, EADDRNOTAVAIL, "every address is in use: stop containers, or `gophernetes gc` to free those of dead ones",
				"no free address in %s of bridge %s", cidr, b->name);
	*out = cand;
	return push(t, cand, id, e);
}

static int check_args(const char *state_root, const struct gph_bridge *b, const char *id, struct gph_err *e)
{
	(void)state_root;
	if (!b || !valid_bridge(b->name))
		return gph_fail(e, EINVAL, "", "address allocation: bad bridge name \"%s\"", b ? b->name : "(null)");
	if (!valid_id(id))
		return gph_fail(e, EINVAL, "ids are 1..64 of letters, digits, '-', '_' and '.'",
				"address allocation: bad container id \"%s\"", id ? id : "(null)");
	return 0;
}

int gph_ipam_alloc(const char *state_root, const struct gph_bridge *b, const char *id,
		   const struct in_addr *want, struct in_addr *out, struct gph_err *e)
{
	char dir[PATH_MAX];
	struct table t = { 0 };
	uint32_t got = 0;
	size_t before;
	int fd, rc = -1;
	if (check_args(state_root, b, id, e) < 0)
		return -1;
	if (b->prefix < 8 || b->prefix > 30)
		return gph_fail(e, EINVAL, "ensure the bridge first (it reads its subnet back)",
				"address allocation on bridge %s: no subnet", b->name);
	if (ipam_dir(state_root, dir, sizeof dir, 1, e) < 0 || (fd = lock_dir(dir, e)) < 0)
		return -1;
	if (load(dir, b->name, &t, e) < 0)
		goto out;
	before = t.n;
	if (pick(&t, b, id, want, &got, e) < 0)
		goto out;
	if (t.n != before && save(dir, b->name, &t, e) < 0)
		goto out;
	out->s_addr = htonl(got);
	rc = 0;
out:
	free(t.v);
	close(fd);
	return rc;
}

/* Drop the entries for which drop() is true; rewrite when any went. */
static int filter(const char *dir, const char *bridge, int (*drop)(const struct alloc *, void *), void *arg,
		  int *count, struct gph_err *e)
{
	struct table t = { 0 };
	size_t kept = 0;
	int fd, rc = -1;
	if ((fd = lock_dir(dir, e)) < 0)
		return -1;
	if (load(dir, bridge, &t, e) < 0)
		goto out;
	for (size_t i = 0; i < t.n; i++)
		if (!drop(&t.v[i], arg))
			t.v[kept++] = t.v[i];
	if (kept != t.n) {
		if (count)
			*count += (int)(t.n - kept);
		t.n = kept;
		if (save(dir, bridge, &t, e) < 0)
			goto out;
	}
	rc = 0;
out:
	free(t.v);
	close(fd);
	return rc;
}

static int drop_id(const struct alloc *a, void *id)
{
	return strcmp(a->id, id) == 0;
}

int gph_ipam_release(const char *state_root, const struct gph_bridge *b, const char *id, struct gph_err *e)
{
	char dir[PATH_MAX];
	struct stat st;
	if (check_args(state_root, b, id, e) < 0 || ipam_dir(state_root, dir, sizeof dir, 0, e) < 0)
		return -1;
	if (stat(dir, &st) < 0)
		return errno == ENOENT ? 0 : gph_fail(e, errno, "", "stat(\"%s\")", dir);
	return filter(dir, b->name, drop_id, (void *)id, NULL, e);
}

/* Calls fn for every bridge that has an allocation file. */
static int each_bridge(const char *state_root, int (*fn)(const char *dir, const char *bridge, void *arg),
		       void *arg, struct gph_err *e)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;
	int rc = 0;
	if (ipam_dir(state_root, dir, sizeof dir, 0, e) < 0)
		return -1;
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : gph_fail(e, errno, "", "opendir(\"%s\")", dir);
	while ((de = readdir(d))) {
		if (!valid_bridge(de->d_name) || strchr(de->d_name, '.'))
			continue; /* "gph0.tmp", ".", ".." */
		if (fn(dir, de->d_name, arg) < 0) {
			rc = -1;
			break;
		}
	}
	closedir(d);
	return rc;
}

struct release_ctx {
	const char *id;
	bool (*alive)(const char *id, void *arg);
	void *arg;
	int count;
	struct gph_err *e;
};

static int release_one(const char *dir, const char *bridge, void *arg)
{
	struct release_ctx *c = arg;
	return filter(dir, bridge, drop_id, (void *)c->id, &c->count, c->e);
}

int gph_ipam_release_id(const char *state_root, const char *id, struct gph_err *e)
{
	struct release_ctx c = { .id = id, .e = e };
	if (!valid_id(id))
		return gph_fail(e, EINVAL, "", "address release: bad container id \"%s\"", id ? id : "(null)");
	return each_bridge(state_root, release_one, &c, e);
}

static int drop_dead(const struct alloc *a, void *arg)
{
	struct release_ctx *c = arg;
	return !c->alive(a->id, c->arg);
}

static int release_dead_one(const char *dir, const char *bridge, void *arg)
{
	struct release_ctx *c = arg;
	return filter(dir, bridge, drop_dead, c, &c->count, c->e);
}

int gph_ipam_release_dead(const char *state_root, bool (*alive)(const char *id, void *arg), void *arg,
			  int *released, struct gph_err *e)
{
	struct release_ctx c = { .alive = alive, .arg = arg, .e = e };
	int rc;
	if (!alive)
		return gph_fail(e, EINVAL, "", "gph_ipam_release_dead(alive NULL)");
	rc = each_bridge(state_root, release_dead_one, &c, e);
	if (released)
		*released = c.count;
	return rc;
}
