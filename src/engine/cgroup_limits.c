/* Resource limits other than the memory limit: swap, pids, CPU bandwidth / weight / set, IO weight
 * and throttling. Each writer takes the host's mode and picks the file, so callers never need to
 * know v1 from v2. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "cgroup_priv.h"
#include "gph/parse.h"

static int write_ctl(struct gph_cgroup *cg, const char *ctl, const char *file, const char *val,
		     const char *hint, struct gph_err *e)
{
	const char *dir = gph_cg_dir_for(cg, ctl);
	char path[PATH_MAX];
	if (!dir)
		return gph_fail(e, ENOENT, "this host has no such cgroup controller mounted (see /proc/cgroups)",
				"cgroup: no %s controller for this container", ctl);
	if (gph_cgi_path(path, sizeof path, e, "%s/%s", dir, file) < 0)
		return -1;
	if (access(path, F_OK) < 0) {
		if (cg->mode == GPH_CG_V2)
			return gph_fail(e, errno,
					"the controller is not enabled for this cgroup: it must be listed in "
					"cgroup.controllers and delegated (cgroup.subtree_control) by every parent",
					"cgroup: %s", path);
		return gph_fail(e, errno, "this kernel does not provide that file", "cgroup: %s", path);
	}
	return gph_cgi_write(path, val, hint, e);
}

static bool has_file(struct gph_cgroup *cg, const char *ctl, const char *file)
{
	const char *dir = gph_cg_dir_for(cg, ctl);
	char path[PATH_MAX];
	return dir && snprintf(path, sizeof path, "%s/%s", dir, file) < (int)sizeof path && access(path, F_OK) == 0;
}

int gph_cg_set_memory_swap(struct gph_cgroup *cg, long long total, struct gph_err *e)
{
	char val[32];
	if (!cg->memory_limit)
		return gph_fail(e, 0, "give a memory limit too, e.g. --memory 64M --memory-swap 128M",
				"--memory-swap is memory plus swap: it needs a memory limit");
	if (total >= 0 && total < cg->memory_limit) {
		char t[32], m[32];
		gph_format_size(total, t, sizeof t);
		gph_format_size(cg->memory_limit, m, sizeof m);
		return gph_fail(e, 0, "memory plus swap in total must be >= the memory limit (or -1 for unlimited swap)",
				"swap limit %s is below the memory limit %s", t, m);
	}
	if (cg->mode == GPH_CG_V2) {
		if (total < 0)
			snprintf(val, sizeof val, "max");
		else
			snprintf(val, sizeof val, "%lld", total - cg->memory_limit);
		return write_ctl(cg, "memory", "memory.swap.max", val, NULL, e);
	}
	if (!has_file(cg, "memory", "memory.memsw.limit_in_bytes"))
		return gph_fail(e, ENOENT, "boot the kernel with swapaccount=1 to limit swap on cgroup v1",
				"this kernel does not account swap per cgroup (no memory.memsw.limit_in_bytes)");
	snprintf(val, sizeof val, "%lld", total < 0 ? -1LL : total);
	return write_ctl(cg, "memory", "memory.memsw.limit_in_bytes", val, NULL, e);
}

int gph_cg_set_pids(struct gph_cgroup *cg, long long max, struct gph_err *e)
{
	char val[32];
	if (max > 0)
		snprintf(val, sizeof val, "%lld", max);
	else
		snprintf(val, sizeof val, "max");
	return write_ctl(cg, "pids", "pids.max", val, NULL, e);
}

int gph_cg_set_cpu_max(struct gph_cgroup *cg, long long quota_us, long long period_us, struct gph_err *e)
{
	char val[64];
	const char *hint = "the quota must be at least 1000 us and the period 1000-1000000 us";
	if (cg->mode == GPH_CG_V2) {
		if (quota_us > 0)
			snprintf(val, sizeof val, "%lld %lld", quota_us, period_us);
		else
			snprintf(val, sizeof val, "max %lld", period_us);
		return write_ctl(cg, "cpu", "cpu.max", val, hint, e);
	}
	snprintf(val, sizeof val, "%lld", period_us);
	if (write_ctl(cg, "cpu", "cpu.cfs_period_us", val, hint, e) < 0)
		return -1;
	snprintf(val, sizeof val, "%lld", quota_us > 0 ? quota_us : -1LL);
	return write_ctl(cg, "cpu", "cpu.cfs_quota_us", val, hint, e);
}

/* v1 shares <-> v2 weight. The old linear formula (weight = 1 + (shares-2)*9999/262142) maps the
 * v1 default 1024 to weight 39; this one is logarithmic and maps the defaults onto each other:
 *   weight = 10 ^ ((x^2 + 125x) / 612 - 7/34),  x = log2(shares)
 * so shares 2 -> 1, 1024 -> 100, 262144 -> 10000; the inverse solves the quadratic for x. */
int gph_cg_shares_to_weight(unsigned long long shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	double x = log2((double)shares);
	double w = pow(10.0, (x * x + 125.0 * x) / 612.0 - 7.0 / 34.0);
	long r = lround(w);
	return (int)(r < 1 ? 1 : r > 10000 ? 10000 : r);
}

unsigned long long gph_cg_weight_to_shares(int weight)
{
	if (weight < 1)
		weight = 1;
	if (weight > 10000)
		weight = 10000;
	double x = (-125.0 + sqrt(125.0 * 125.0 + 4.0 * 612.0 * (log10((double)weight) + 7.0 / 34.0))) / 2.0;
	long long r = llround(pow(2.0, x));
	return (unsigned long long)(r < 2 ? 2 : r > 262144 ? 262144 : r);
}

int gph_cg_set_cpu_weight(struct gph_cgroup *cg, int weight, struct gph_err *e)
{
	char val[32];
	if (weight < 1 || weight > 10000)
		return gph_fail(e, 0, "a whole number from 1 to 10000 (default 100)", "bad CPU weight %d", weight);
	if (cg->mode == GPH_CG_V2) {
		snprintf(val, sizeof val, "%d", weight);
		return write_ctl(cg, "cpu", "cpu.weight", val, NULL, e);
	}
	snprintf(val, sizeof val, "%llu", gph_cg_weight_to_shares(weight));
	return write_ctl(cg, "cpu", "cpu.shares", val, NULL, e);
}

int gph_cg_set_cpuset(struct gph_cgroup *cg, const char *cpus, struct gph_err *e)
{
	return write_ctl(cg, "cpuset", "cpuset.cpus", cpus,
			 "CPUs must exist on this machine and be allowed for the parent cgroup (see "
			 "cpuset.cpus.effective of the parent)",
			 e);
}

/* Which block devices use BFQ, the only scheduler that honours IO weights without iocost. */
static void bfq_devices(char *out, size_t len)
{
	DIR *d = opendir("/sys/block");
	size_t off = 0;
	out[0] = '\0';
	if (!d)
		return;
	for (struct dirent *de; (de = readdir(d));) {
		char path[PATH_MAX], buf[256];
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/sys/block/%s/queue/scheduler", de->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof buf, f) && strstr(buf, "[bfq]") && off < len)
			off += (size_t)snprintf(out + off, len - off, "%s%s", off ? " " : "", de->d_name);
		fclose(f);
	}
	closedir(d);
}

/* v2 io.weight works without BFQ when iocost is on for a device: a line "MAJ:MIN enable=1 ..." */
static bool iocost_enabled(void)
{
	FILE *f = fopen("/sys/fs/cgroup/io.cost.qos", "re");
	char line[512];
	bool on = false;
	if (!f)
		return false;
	while (fgets(line, sizeof line, f))
		on = on || strstr(line, "enable=1");
	fclose(f);
	return on;
}

int gph_cg_set_io_weight(struct gph_cgroup *cg, int weight, char *note, size_t note_len, struct gph_err *e)
{
	char val[32], bfq[256];
	const char *ctl = cg->mode == GPH_CG_V2 ? "io" : "blkio";
	bool wrote = false;
	note[0] = '\0';
	if (weight < 1 || weight > 10000)
		return gph_fail(e, 0, "a whole number from 1 to 10000 (v1 BFQ takes 1-1000)", "bad IO weight %d", weight);
	/* A weight only means something to a proportional scheduler: BFQ on some device, or iocost on v2.
	 * Without one the kernel would take the number and ignore it: refuse instead of pretending. */
	bfq_devices(bfq, sizeof bfq);
	bool iocost = cg->mode == GPH_CG_V2 && iocost_enabled();
	if (!bfq[0] && !iocost)
		return gph_fail(e, ENOTSUP,
				"IO weights need the BFQ scheduler on a disk (echo bfq > /sys/block/DEV/queue/scheduler) "
				"or, on cgroup v2, iocost (io.cost.qos); --device-read-bps/--device-write-bps work without",
				"no block device here uses a scheduler that honours IO weights, so the weight would have no effect");
	if (cg->mode == GPH_CG_V2 && has_file(cg, ctl, "io.weight")) {
		snprintf(val, sizeof val, "default %d", weight);
		if (write_ctl(cg, ctl, "io.weight", val, NULL, e) < 0)
			return -1;
		wrote = true;
	}
	if (cg->mode != GPH_CG_V2 && has_file(cg, ctl, "blkio.weight")) {
		snprintf(val, sizeof val, "%d", weight > 1000 ? 1000 : weight < 10 ? 10 : weight);
		if (write_ctl(cg, ctl, "blkio.weight", val, NULL, e) < 0)
			return -1;
		wrote = true;
	}
	const char *bfqfile = cg->mode == GPH_CG_V2 ? "io.bfq.weight" : "blkio.bfq.weight";
	if (has_file(cg, ctl, bfqfile)) {
		snprintf(val, sizeof val, "%d", weight > 1000 ? 1000 : weight);
		if (write_ctl(cg, ctl, bfqfile, val, NULL, e) < 0)
			return -1;
		wrote = true;
	}
	if (!wrote)
		return gph_fail(e, ENOENT, "IO weights need the BFQ scheduler (or iocost on v2) for this controller",
				"this kernel has no IO weight file for the %s controller", ctl);
	if (!bfq[0])
		snprintf(note, note_len, "note: the weight applies through iocost (io.cost.qos enabled)");
	else
		snprintf(note, note_len, "note: the weight applies on devices scheduled by BFQ: %s", bfq);
	return 0;
}

int gph_cg_set_io_bps(struct gph_cgroup *cg, const char *dev, bool write, long long bps, struct gph_err *e)
{
	struct stat st;
	char val[96];
	if (stat(dev, &st) < 0)
		return gph_fail(e, errno, "give the path of a block device, e.g. /dev/vda", "stat(\"%s\")", dev);
	if (!S_ISBLK(st.st_mode))
		return gph_fail(e, ENOTBLK, "give the path of a block device, e.g. /dev/vda", "%s", dev);
	unsigned maj = major(st.st_rdev), min = minor(st.st_rdev);
	const char *hint = "throttling applies to whole disks, not partitions (use the disk, e.g. /dev/vda)";
	if (cg->mode == GPH_CG_V2) {
		snprintf(val, sizeof val, "%u:%u %s=%lld", maj, min, write ? "wbps" : "rbps", bps);
		return write_ctl(cg, "io", "io.max", val, hint, e);
	}
	snprintf(val, sizeof val, "%u:%u %lld", maj, min, bps);
	return write_ctl(cg, "blkio", write ? "blkio.throttle.write_bps_device" : "blkio.throttle.read_bps_device",
			 val, hint, e);
}
