/* `save FILE`: the applied steps as a script for `gophernetes-shell FILE`. Each line is rebuilt
 * from the parsed step rather than copied from what was typed, so it means the same wherever the
 * script is replayed: `pivot_root` typed without a directory (the shell's --rootfs, maybe relative)
 * is saved with the absolute directory it resolved to, and paths are quoted. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include "gph/export.h"

/* "0 100000 65536\n" -> "0:100000:65536" (several ranges joined by commas). */
static void idmap_words(const char *lines, char *buf, size_t len)
{
	unsigned long c, h, n;
	int used;
	size_t off = 0;
	buf[0] = '\0';
	for (const char *p = lines; sscanf(p, "%lu %lu %lu%n", &c, &h, &n, &used) == 3; p += used) {
		int w = snprintf(buf + off, len - off, "%s%lu:%lu:%lu", off ? "," : "", c, h, n);
		if (w < 0 || (size_t)w >= len - off)
			return;
		off += (size_t)w;
		while (p[used] == '\n')
			used++;
	}
}

void gph_export_step_line(const struct gph_step *st, char *buf, size_t len)
{
	static const char *const mounts[] = {"proc", "sys", "dev", "tmpfs"};
	buf[0] = '\0';
	switch (st->kind) {
	case GPH_STEP_NS: {
		static const int order[] = {CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWUTS, CLONE_NEWNS,
					    CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWCGROUP};
		char maps[160];
		gph_export_append_word(buf, len, "ns");
		if (st->join) {
			gph_export_append_word(buf, len, "join");
			gph_export_append_word(buf, len, gph_ns_name(st->ns_flags));
			gph_export_append_word(buf, len, st->path);
			break;
		}
		for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
			if (st->ns_flags & order[i])
				gph_export_append_word(buf, len, gph_ns_name(order[i]));
		if (st->uidmap[0]) {
			idmap_words(st->uidmap, maps, sizeof maps);
			gph_export_append_word(buf, len, "uidmap");
			gph_export_append_word(buf, len, maps);
		}
		if (st->gidmap[0]) {
			idmap_words(st->gidmap, maps, sizeof maps);
			gph_export_append_word(buf, len, "gidmap");
			gph_export_append_word(buf, len, maps);
		}
		return;
	}
	case GPH_STEP_CHROOT:
	case GPH_STEP_PIVOT_ROOT:
		gph_export_append_word(buf, len, st->kind == GPH_STEP_CHROOT ? "chroot" : "pivot_root");
		gph_export_append_word(buf, len, st->path);
		return;
	case GPH_STEP_MOUNT:
		gph_export_append_word(buf, len, "mount");
		gph_export_append_word(buf, len, mounts[st->mount & 3]);
		gph_export_append_word(buf, len, st->path);
		return;
	case GPH_STEP_WORKDIR:
		gph_export_append_word(buf, len, "workdir");
		gph_export_append_word(buf, len, st->path);
		return;
	default:
		/* the rest hold no free text: names, numbers, sizes and addresses, as typed */
		snprintf(buf, len, "%s", st->text);
		return;
	}
}

int gph_export_script(const struct gph_step *steps, int n, const char *header, FILE *f)
{
	char line[PATH_MAX + 600];
	if (header) {
		/* every line of the header as a comment */
		for (const char *p = header; *p;) {
			size_t l = strcspn(p, "\n");
			fprintf(f, "# %.*s\n", (int)l, p);
			p += l;
			if (*p)
				p++;
		}
	}
	for (int i = 0; i < n; i++) {
		gph_export_step_line(&steps[i], line, sizeof line);
		fprintf(f, "%s\n", line);
	}
	if (fflush(f) != 0 || ferror(f)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
