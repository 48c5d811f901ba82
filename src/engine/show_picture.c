/* `show` as a picture: host and sandbox side by side (namespaces, hostname, root and mounts,
 * cgroup usage bars, the network path), and the same facts as JSON for tools. The plain form is
 * what lessons match, so its words and columns stay put; colour only adds escape codes around them. */
#include <stdio.h>
#include <string.h>
#include "gph/parse.h"
#include "gph/picture.h"
#include "view.h"

#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define BOLD "\033[1m"
#define DIM "\033[2m"
#define OFF "\033[0m"

struct pen {
	FILE *out;
	bool colour;
};

static const char *c(const struct pen *p, const char *code)
{
	return p->colour ? code : "";
}

static void heading(const struct pen *p, const char *text)
{
	fprintf(p->out, "%s%s%s\n", c(p, BOLD), text, c(p, OFF));
}

static void pretty_size(long long v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "%s", v == -1 ? "no limit" : "?");
	else if (v < 1024)
		snprintf(buf, len, "%lldB", v);
	else
		gph_format_size(v, buf, len);
}

static void draw_ns(const struct pen *p, const struct gph_sandbox *sb, const struct gph_view *v)
{
	fprintf(p->out, "%-16s %-24s %-24s\n", "namespaces", "host", "sandbox");
	for (int i = 0; i < VIEW_NS; i++) {
		const struct view_ns *n = &v->ns[i];
		const char *state = n->isolated ? "isolated" : "shared";
		const char *col = n->isolated ? GREEN : RED;
		char extra[96] = "";
		if (i == 0 && sb->pid_ns) {
			/* The sandbox process stays in the host's; each exec'd command is PID 1 of a new one. */
			if (n->cmd[0] && strcmp(n->cmd, n->host) != 0)
				snprintf(extra, sizeof extra, "; running command: %s isolated", n->cmd);
			else
				snprintf(extra, sizeof extra, "; each exec gets its own (`ns pid`)");
			col = YELLOW;
		}
		fprintf(p->out, "  %-14s %-24s %-24s %s%s%s%s\n", gph_view_ns_kinds[i], n->host, n->sbx, c(p, col), state,
			c(p, OFF), extra);
	}
	fprintf(p->out, "  %-14s %-24s %-24s %s%s%s\n", "hostname", v->host_hostname, v->sbx_hostname[0] ? v->sbx_hostname : "?",
		c(p, v->ns[1].isolated ? GREEN : RED), v->ns[1].isolated ? "own" : "the host's", c(p, OFF));
}

static void draw_root(const struct pen *p, const struct gph_view *v)
{
	heading(p, "root");
	fprintf(p->out, "  %-14s %-24s %s (%s)\n", "root", "/", v->root, v->root_how);
	char host[32], sbx[32];
	snprintf(host, sizeof host, "%d", v->host_mounts);
	snprintf(sbx, sizeof sbx, "%d", v->sbx_mounts);
	fprintf(p->out, "  %-14s %-24s %-24s %shost root file system %s%s\n", "mounts", host, sbx,
		c(p, v->host_root_reachable ? RED : GREEN), v->host_root_reachable ? "reachable" : "not reachable",
		c(p, OFF));
	for (int i = 0; i < v->nmounts; i++)
		fprintf(p->out, "  %-14s %-24s %s%s %s %s%s\n", "", "", c(p, DIM), v->mounts[i].target, v->mounts[i].fstype,
			v->mounts[i].source, c(p, OFF));
	if (v->sbx_mounts > v->nmounts)
		fprintf(p->out, "  %-14s %-24s ... and %d more (`show mounts` lists them all)\n", "", "",
			v->sbx_mounts - v->nmounts);
}

static void draw_bar(const struct pen *p, const char *label, long long cur, long long max, bool bytes)
{
	char bar[32], a[32], b[32];
	if (cur == -2) {
		fprintf(p->out, "  %-14s (not readable here)\n", label);
		return;
	}
	gph_bar(cur, max, 20, bar, sizeof bar);
	int pct = gph_bar_percent(cur, max);
	if (bytes) {
		pretty_size(cur, a, sizeof a);
		pretty_size(max, b, sizeof b);
	} else {
		snprintf(a, sizeof a, "%lld", cur);
		snprintf(b, sizeof b, "%s", max == -1 ? "no limit" : "?");
		if (max >= 0)
			snprintf(b, sizeof b, "%lld", max);
	}
	const char *col = pct < 0 ? RED : pct >= 90 ? RED : pct >= 70 ? YELLOW : GREEN;
	if (pct < 0)
		fprintf(p->out, "  %-14s %s%s%s %s used, %s\n", label, c(p, col), bar, c(p, OFF), a, b);
	else
		fprintf(p->out, "  %-14s %s%s%s %s of %s (%d%%)\n", label, c(p, col), bar, c(p, OFF), a, b, pct);
}

static void draw_cgroup(const struct pen *p, const struct gph_view *v)
{
	if (!v->has_cg) {
		heading(p, "cgroup");
		fprintf(p->out, "  none (rootless mode: %s)\n", v->no_cg_why);
		return;
	}
	fprintf(p->out, "%scgroup%s (%s) %s\n", c(p, BOLD), c(p, OFF), v->cg_mode, v->cg_dir);
	draw_bar(p, "memory", v->mem_cur, v->mem_max, true);
	draw_bar(p, "pids", v->pids_cur, v->pids_max, false);
	if (v->cpu_quota == -2 || v->cpu_period <= 0)
		fprintf(p->out, "  %-14s (not readable here)\n", "cpu");
	else if (v->cpu_quota == -1)
		fprintf(p->out, "  %-14s %sno limit%s (quota max, period %lld us)\n", "cpu", c(p, RED), c(p, OFF), v->cpu_period);
	else
		fprintf(p->out, "  %-14s %.2f CPU (quota %lld us per %lld us)\n", "cpu", (double)v->cpu_quota / (double)v->cpu_period,
			v->cpu_quota, v->cpu_period);
}

/* Append to buf (a string of capacity len), cutting what does not fit. */
static void append(char *buf, size_t len, const char *a, const char *b)
{
	size_t off = strlen(buf);
	if (off + 1 < len)
		snprintf(buf + off, len - off, "%s%s", a, b);
}

static void link_text(const struct view_link *l, char *buf, size_t len)
{
	snprintf(buf, len, "%s", l->name);
	for (int i = 0; i < l->naddr; i++)
		if (!strchr(l->addr[i], ':')) /* IPv4 only here: the link-local IPv6 ones are noise (--json has all) */
			append(buf, len, " ", l->addr[i]);
	append(buf, len, " ", l->up ? "(up)" : "(down)");
}

static void draw_net(const struct pen *p, const struct gph_view *v)
{
	bool iso = v->ns[4].isolated;
	fprintf(p->out, "%snetwork%s %s%s%s\n", c(p, BOLD), c(p, OFF), c(p, iso ? GREEN : RED),
		iso ? "isolated" : "shared with the host", c(p, OFF));
	char path[512] = "", part[160];
	if (v->has_bridge) {
		link_text(&v->bridge, part, sizeof part);
		append(path, sizeof path, "bridge ", part);
		append(path, sizeof path, " ↔ ", "");
	}
	if (v->has_host_end) {
		if (v->host_end_present)
			link_text(&v->host_end, part, sizeof part);
		else
			snprintf(part, sizeof part, "(the host end is gone)");
		append(path, sizeof path, "veth ", part);
		append(path, sizeof path, " ↔ ", "");
	}
	/* The inside end: every link but lo. */
	bool any = false;
	for (int i = 0; i < v->nin; i++) {
		if (strcmp(v->in[i].name, "lo") == 0)
			continue;
		link_text(&v->in[i], part, sizeof part);
		append(path, sizeof path, any ? ", " : "", part);
		any = true;
	}
	if (!iso)
		fprintf(p->out, "  %-14s the sandbox uses the host's links (`ns net` gives it its own)\n", "path");
	else if (v->has_host_end)
		fprintf(p->out, "  %-14s %s\n", "path", path);
	else
		fprintf(p->out, "  %-14s none: only lo inside (`net veth` or `net bridge` connects it)\n", "path");
	if (!v->net_read) {
		fprintf(p->out, "  %-14s (the sandbox process did not answer)\n", "inside");
		return;
	}
	if (iso) {
		for (int i = 0; i < v->nin; i++) {
			link_text(&v->in[i], part, sizeof part);
			fprintf(p->out, "  %-14s %s\n", i == 0 ? "inside" : "", part);
		}
		if (v->in_route[0])
			fprintf(p->out, "  %-14s %s\n", "", v->in_route);
	}
}

void gph_view_picture(const struct gph_sandbox *sb, const struct gph_view *v, FILE *out)
{
	struct pen p = {out, gph_colour_wanted(out)};
	fprintf(out, "%ssandbox %s%s (sandbox process %d) next to the host (this process's view)\n", c(&p, BOLD), sb->id,
		c(&p, OFF), (int)v->holder);
	draw_ns(&p, sb, v);
	draw_root(&p, v);
	draw_cgroup(&p, v);
	draw_net(&p, v);
	fprintf(out, "details: `show ns|mounts|cgroup|net|caps`; isolation verdicts: `score`\n");
}

/* ---- JSON ------------------------------------------------------------------------------------- */

static void json_limit(struct gph_json *j, const char *key, long long v)
{
	gph_json_key(j, key);
	if (v >= 0)
		gph_json_int(j, v);
	else
		gph_json_null(j);
}

static void json_link(struct gph_json *j, const char *role, const struct view_link *l)
{
	gph_json_obj(j);
	gph_json_kstr(j, "role", role);
	gph_json_kstr(j, "name", l->name);
	gph_json_kint(j, "ifindex", l->index);
	gph_json_kbool(j, "up", l->up);
	gph_json_key(j, "addresses");
	gph_json_arr(j);
	for (int i = 0; i < l->naddr; i++)
		gph_json_str(j, l->addr[i]);
	gph_json_arr_end(j);
	gph_json_obj_end(j);
}

void gph_view_json(const struct gph_sandbox *sb, const struct gph_view *v, FILE *out)
{
	struct gph_json j;
	gph_json_init(&j, out);
	gph_json_obj(&j);
	gph_json_kstr(&j, "id", sb->id);
	gph_json_kstr(&j, "name", sb->name);
	gph_json_kint(&j, "sandbox_pid", v->holder);
	gph_json_key(&j, "namespaces");
	gph_json_obj(&j);
	for (int i = 0; i < VIEW_NS; i++) {
		const struct view_ns *n = &v->ns[i];
		gph_json_key(&j, gph_view_ns_kinds[i]);
		gph_json_obj(&j);
		gph_json_kstr(&j, "host", n->host);
		gph_json_kstr(&j, "sandbox", n->sbx);
		gph_json_kint(&j, "host_inode", (long long)n->host_ino);
		gph_json_kint(&j, "sandbox_inode", (long long)n->sbx_ino);
		gph_json_kstr(&j, "state", n->isolated ? "isolated" : "shared");
		if (i == 0) {
			gph_json_kbool(&j, "new_per_exec", sb->pid_ns);
			gph_json_kstr(&j, "running_command", n->cmd[0] ? n->cmd : NULL);
		}
		gph_json_obj_end(&j);
	}
	gph_json_obj_end(&j);
	gph_json_key(&j, "hostname");
	gph_json_obj(&j);
	gph_json_kstr(&j, "host", v->host_hostname);
	gph_json_kstr(&j, "sandbox", v->sbx_hostname);
	gph_json_obj_end(&j);
	gph_json_key(&j, "root");
	gph_json_obj(&j);
	gph_json_kstr(&j, "path", v->root);
	gph_json_kstr(&j, "how", v->root_how);
	gph_json_kbool(&j, "host_root_reachable", v->host_root_reachable);
	gph_json_kint(&j, "host_mounts", v->host_mounts);
	gph_json_kint(&j, "sandbox_mounts", v->sbx_mounts);
	gph_json_key(&j, "mounts");
	gph_json_arr(&j);
	for (int i = 0; i < v->nmounts; i++) {
		gph_json_obj(&j);
		gph_json_kstr(&j, "target", v->mounts[i].target);
		gph_json_kstr(&j, "fstype", v->mounts[i].fstype);
		gph_json_kstr(&j, "source", v->mounts[i].source);
		gph_json_obj_end(&j);
	}
	gph_json_arr_end(&j);
	gph_json_obj_end(&j);
	gph_json_key(&j, "cgroup");
	if (!v->has_cg) {
		gph_json_null(&j);
	} else {
		gph_json_obj(&j);
		gph_json_kstr(&j, "mode", v->cg_mode);
		gph_json_kstr(&j, "path", v->cg_dir);
		gph_json_key(&j, "memory");
		gph_json_obj(&j);
		json_limit(&j, "current", v->mem_cur);
		json_limit(&j, "max", v->mem_max);
		gph_json_obj_end(&j);
		gph_json_key(&j, "pids");
		gph_json_obj(&j);
		json_limit(&j, "current", v->pids_cur);
		json_limit(&j, "max", v->pids_max);
		gph_json_obj_end(&j);
		gph_json_key(&j, "cpu");
		gph_json_obj(&j);
		json_limit(&j, "quota_us", v->cpu_quota);
		json_limit(&j, "period_us", v->cpu_period);
		gph_json_obj_end(&j);
		gph_json_obj_end(&j);
	}
	gph_json_key(&j, "network");
	gph_json_obj(&j);
	gph_json_kstr(&j, "state", v->ns[4].isolated ? "isolated" : "shared");
	gph_json_kstr(&j, "default_route", v->in_route[0] ? v->in_route : NULL);
	gph_json_key(&j, "path");
	gph_json_arr(&j);
	if (v->has_bridge)
		json_link(&j, "bridge", &v->bridge);
	if (v->has_host_end && v->host_end_present)
		json_link(&j, "host_veth", &v->host_end);
	for (int i = 0; i < v->nin; i++)
		if (strcmp(v->in[i].name, "lo") != 0)
			json_link(&j, "sandbox", &v->in[i]);
	gph_json_arr_end(&j);
	gph_json_key(&j, "inside");
	gph_json_arr(&j);
	for (int i = 0; i < v->nin; i++)
		json_link(&j, "sandbox", &v->in[i]);
	gph_json_arr_end(&j);
	gph_json_obj_end(&j);
	gph_json_obj_end(&j);
}
