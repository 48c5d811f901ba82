/* What `show` draws and `score` judges, gathered live from /proc, cgroupfs and netlink (view.c),
 * never from what the sandbox recorded. Private to src/engine. */
#ifndef GPH_VIEW_H
#define GPH_VIEW_H
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "gph/sandbox.h"

#define VIEW_NS 7     /* pid uts mnt ipc net cgroup user */
extern const char *const gph_view_ns_kinds[VIEW_NS];

struct view_ns {
	char host[64], sbx[64];     /* readlink of /proc/PID/ns/KIND: "uts:[4026531838]" */
	unsigned long long host_ino, sbx_ino;
	bool isolated;              /* both read and different */
	char cmd[64];               /* pid only: the running command's namespace ("" when none) */
};

struct view_mount {
	char target[160], fstype[32], source[96];
};

#define VIEW_ADDRS 4
struct view_link {
	char name[IF_NAMESIZE + 8];
	int index;
	bool up;
	int master;                 /* ifindex of the bridge it is a port of, 0 for none */
	int naddr;
	char addr[VIEW_ADDRS][48];  /* "10.200.0.2/30", IPv4 first */
};

#define VIEW_MOUNTS 12
#define VIEW_LINKS 8
struct gph_view {
	pid_t holder;
	struct view_ns ns[VIEW_NS];
	char host_hostname[65], sbx_hostname[65];
	/* root */
	char root[PATH_MAX];        /* readlink /proc/HOLDER/root */
	const char *root_how;       /* "the host's root", "chroot", "pivot_root" */
	bool host_root_reachable;   /* the host's root file system is mounted in the sandbox's namespace */
	int host_mounts, sbx_mounts;/* -1 when unreadable */
	int nmounts;                /* listed below (the first VIEW_MOUNTS) */
	struct view_mount mounts[VIEW_MOUNTS];
	/* cgroup: -1 = no limit ("max"), -2 = unknown */
	bool has_cg;
	char no_cg_why[320];        /* rootless without a cgroup: why */
	const char *cg_mode;
	char cg_dir[PATH_MAX];
	long long mem_cur, mem_max, pids_cur, pids_max, cpu_quota, cpu_period;
	/* network */
	bool net_read;              /* the inside dump worked */
	int nin;
	struct view_link in[VIEW_LINKS];
	char in_route[96];          /* the default route inside, "" for none */
	bool has_host_end, host_end_present;
	struct view_link host_end;  /* the host end of the veth, read here by its ifindex */
	bool has_bridge;
	struct view_link bridge;
};

/* Fill v; only a dead sandbox is an error: a part that cannot be read stays empty or -2. */
int gph_view_gather(struct gph_sandbox *sb, struct gph_view *v, struct gph_err *e);
/* Render: the side-by-side picture (colour per gph_colour_wanted), or JSON. */
void gph_view_picture(const struct gph_sandbox *sb, const struct gph_view *v, FILE *out);
void gph_view_json(const struct gph_sandbox *sb, const struct gph_view *v, FILE *out);

/* The mount table of pid's mount namespace as seen from the namespace's root (a child joins it with
 * setns; chroot would hide mounts from /proc/PID/mountinfo), as a rewound temporary file; NULL when
 * that fails (then /proc/PID/mountinfo is the fallback). */
FILE *gph_ns_mountinfo(pid_t pid);
/* One mountinfo line split in place: mountpoint, root (within its file system), "maj:min",
 * fstype, source. Returns false for a line that does not parse. */
struct mountinfo_line {
	char *devno, *root, *target, *fstype, *source;
};
bool gph_mountinfo_split(char *line, struct mountinfo_line *m);
/* Does the mount table in f (rewound afterwards) hold the file system that is "/" for this
 * process, mounted whole — the same device and root as the runtime's own root mount? */
bool gph_host_root_in(FILE *f);

/* Host-side link lookup by ifindex in the caller's network namespace (net_query.c). */
int gph_net_link_view(int ifindex, struct view_link *out, struct gph_err *e);

#endif
