#!/bin/bash
# Resource limits other than --memory (issue 3): pids, CPU quota / weight / set, swap, block-IO
# throttling, and the refusal of bad values. Each case asserts what the kernel shows and enforces
# (counters sampled from the host, a throttled read timed against an unthrottled one), on v1 /
# hybrid hosts and on pure cgroup v2 (file names picked with cgroup_mode).
#
# The IO case needs a block device: GPH_TEST_BLOCKDEV when set (the v2 VM lane passes a spare
# virtio disk), otherwise a loop device on a 64 MiB file in the test's temp dir, detached at the
# end of the case and, whatever happens, on exit. The container has its own /dev without the
# host's disks, so it makes the node itself (mknod in its /dev tmpfs, with --cap-add MKNOD: the
# default capability set has no MKNOD) and reads it with O_DIRECT.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup

MODE=$(cgroup_mode)
LOOPDEV=""   # the loop device this test attached (empty when none)

# Detach our loop device first, then the shared cleanup (which exits with the original status).
lim_exit() {
	local rc=$?
	loop_release
	set_rc "$rc"
	gph_cleanup
}
set_rc() { return "$1"; }
trap lim_exit EXIT

loop_release() {
	[ -n "$LOOPDEV" ] || return 0
	losetup -d "$LOOPDEV" 2>/dev/null || echo "# cleanup: losetup -d $LOOPDEV failed" >&2
	LOOPDEV=""
}

# ---------------------------------------------------------------------------------------------
# Helpers

# bg_start TAG NAME RUN-ARGS...: a runtime in the background (--name NAME), returned once
# `gophernetes ps` lists it and a process of the container runs our rootfs's busybox or probe (so
# every set-up step, limits included, has been applied: `ps` lists a container while its steps
# still run). CID is the container id. Fails if the runtime ended first or nothing showed up.
bg_start() {
	local tag=$1 name=$2
	shift 2
	CID=""
	gph_bg "$tag" run --rootfs "$R" --name "$name" "$@"
	if ! wait_until 10 started_or_ended "$name"; then
		fail "the container '$name' did not start (listed in 'gophernetes ps', its command running) within 10 s"
		fail "ps: $PS_OUT"
		fail_file stderr "$GPH_TMP/$tag.err"
		return 1
	fi
	if not_running "$BG_PID"; then
		gph_bg_wait "$BG_PID" 5
		fail "gophernetes run --name $name ${*} ended (status ${BG_RC:-?}) before its command ran"
		fail_file stdout "$GPH_TMP/$tag.out"
		fail_file stderr "$GPH_TMP/$tag.err"
		return 1
	fi
	CID=$PS_ID
}

# (One container at a time in this file, so any process running our rootfs's binaries is its.)
started_or_ended() {
	not_running "$BG_PID" && return 0
	[ -n "$(our_container_pids)" ] && ps_find "$1"
}

# bg_stop TAG: SIGTERM to the background runtime (its container runs under --init), which must
# end with 143 within 10 s.
bg_stop() {
	kill -TERM "$BG_PID" 2>/dev/null
	gph_bg_wait "$BG_PID" 10 || { fail "the runtime did not stop within 10 s of SIGTERM"; return 1; }
	[ "$BG_RC" = 143 ] && return 0
	fail "the runtime exited $BG_RC after SIGTERM, expected 143"
	fail_file stderr "$GPH_TMP/$1.err"
}

# cg_file CONTROLLER FILE: the path of FILE in the container CID's cgroup for CONTROLLER (v1
# hierarchy name; on v2 the unified directory). Empty if there is no such directory.
cg_file() {
	local dir
	dir=$(cgroup_dir_of "$CID" "$1")
	[ -n "$dir" ] || return 1
	echo "$dir/$2"
}

# expect_cg CONTROLLER FILE VALUE: the file's content is exactly VALUE.
expect_cg() {
	local f val
	f=$(cg_file "$1" "$2") || { fail "no $1 cgroup directory .../gophernetes/$CID"; return 1; }
	[ -e "$f" ] || { fail "$f does not exist"; return 1; }
	val=$(cat "$f")
	[ "$val" = "$3" ] && return 0
	fail "$f is '$val', expected '$3'"
}

# A counter line "KEY N" of a flat-keyed file (cpu.stat, pids.events, ...).
cg_key() { awk -v k="$2" '$1 == k { print $2; exit }' "$1" 2>/dev/null; }

# A controller's line of /proc/PID/cgroup ("N:pids:/..." on v1, "0::/..." on v2).
proc_cg_line() {
	if [ "$MODE" = v2 ]; then
		grep '^0::' "/proc/$1/cgroup"
	else
		grep -E "^[0-9]+:([^:]*,)?$2(,[^:]*)?:" "/proc/$1/cgroup"
	fi
}

# expect_refused WHAT-REGEX RUN-ARGS...: `run RUN-ARGS /bin/sh -c 'echo ran'` exits 125 without
# running anything, with a "gophernetes:" message matching WHAT-REGEX.
expect_refused() {
	local re=$1
	shift
	gph_run run --rootfs "$R" "$@" /bin/sh -c 'echo ran'
	expect_rc 125 || return 1
	expect_err_message || return 1
	expect_err "$re" || return 1
	[ -z "$OUT" ] || { fail "the command ran although the options were refused"; show_last; return 1; }
}

# ---------------------------------------------------------------------------------------------
# pids

PMAX=0 PLAST=-1 PSAMPLES=0
sample_pids() {
	local v
	read -r v 2>/dev/null <"$1" || return 0
	[[ $v =~ ^[0-9]+$ ]] || return 0
	PSAMPLES=$((PSAMPLES + 1))
	PLAST=$v
	[ "$v" -gt "$PMAX" ] && PMAX=$v
	return 0
}
# Sample pids.current FILE until the container's shell has become "probe sleep 30".
sample_until_settled() {
	sample_pids "$1"
	probe_running "sleep 30"
}

t_pids_fork_loop() {
	local cur peak ev max p bad=0 line t_end
	# A bounded fork loop: an inner shell starts 64 background sleeps and dies of the first
	# failed fork ("can't fork"); the outer shell then becomes `probe sleep 30` (exec: no fork),
	# so the container keeps its processes while the host samples the counters (however slow
	# the machine), until the runtime is stopped.
	bg_start pids lim-pids --init --pids-limit 16 /bin/sh -c \
		'sh -c "i=0; while [ \$i -lt 64 ]; do sleep 30 & i=\$((i+1)); done; echo all-forked"
		 echo "inner-exit $?"; exec /bin/probe sleep 30' || return 1
	cur=$(cg_file pids pids.current) || { fail "no pids cgroup directory .../gophernetes/$CID"; return 1; }
	PMAX=0 PLAST=-1 PSAMPLES=0
	wait_until 10 sample_until_settled "$cur" ||
		{ fail "the container never reached 'probe sleep 30'"; fail_file stderr "$GPH_TMP/pids.err"; return 1; }
	# Half a second more of samples while it sits at the limit.
	t_end=$(( $(now_ms) + 500 ))
	while [ "$(now_ms)" -lt "$t_end" ]; do sample_pids "$cur"; sleep 0.02; done
	expect_cg pids pids.max 16 || return 1
	# The host is unaffected: a fork-heavy host command still runs, and does not count here.
	if ! timeout 10 bash -c 'for i in $(seq 20); do /bin/true & done; wait; echo host-ok' >"$GPH_TMP/host.out" 2>&1 ||
		! grep -qx host-ok "$GPH_TMP/host.out"; then
		fail "a host command failed while the container sat at its pids limit"
		fail_file host "$GPH_TMP/host.out"
		return 1
	fi
	sample_pids "$cur"
	# The kernel refused forks (pids.events "max N", N > 0) ...
	ev=$(cg_file pids pids.events)
	max=$(cg_key "$ev" max)
	[ "${max:-0}" -gt 0 ] || { fail "$ev shows no refused fork (max '${max:-missing}')"; fail_file pids.events "$ev"; return 1; }
	# ... never let the count past 16, and the container filled it (not a fork that failed for
	# another reason).
	[ "$PSAMPLES" -ge 5 ] || { fail "only $PSAMPLES samples of $cur"; return 1; }
	[ "$PMAX" -le 16 ] || { fail "pids.current reached $PMAX, above the limit 16"; return 1; }
	[ "$PLAST" -ge 10 ] || { fail "pids.current is $PLAST at the limit, expected 10-16 (forks stopped early)"; return 1; }
	peak=$(cg_file pids pids.peak)
	if [ -e "$peak" ] && [ "$(cat "$peak")" -gt 16 ]; then
		fail "$peak is $(cat "$peak"), above the limit 16"
		return 1
	fi
	# Every container process (the probe and the sleeps) is in that pids cgroup.
	for p in $(our_container_pids); do
		line=$(proc_cg_line "$p" pids)
		[[ $line == */gophernetes/"$CID" ]] && continue
		fail "pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)) is not in .../gophernetes/$CID: '$line'"
		bad=1
	done
	[ "$bad" = 0 ] || return 1
	bg_stop pids || return 1
	grep -q "can't fork" "$GPH_TMP/pids.err" ||
		{ fail "no \"can't fork\" from the container's shell"; fail_file stderr "$GPH_TMP/pids.err"; return 1; }
	if ! grep -qx 'inner-exit 2' "$GPH_TMP/pids.out" || grep -q all-forked "$GPH_TMP/pids.out"; then
		fail "expected the inner shell to die of the failed fork (inner-exit 2)"
		fail_file stdout "$GPH_TMP/pids.out"
		return 1
	fi
	diag "pids.current: max $PMAX, at the limit $PLAST ($PSAMPLES samples); pids.events max $max"
	[ -d "$(dirname "$cur")" ] && { fail "$(dirname "$cur") still exists after the container ended"; return 1; }
	expect_clean
}

t_pids_first_process() {
	# B20: the container's first process is in the limited cgroup before it runs anything. The
	# sandbox process counts as one, the command as the second; with 2 its first fork fails,
	# with 3 it succeeds (so the failure above is the limit, not a broken fork).
	gph_run run --rootfs "$R" --pids-limit 2 /bin/sh -c '/bin/true; echo survived'
	expect_rc 2 || return 1
	expect_err "can't fork" || return 1
	expect_no_line survived || return 1
	gph_run run --rootfs "$R" --pids-limit 3 /bin/sh -c '/bin/true; echo survived'
	expect_rc 0 || return 1
	expect_line survived || return 1
	# Inside, under the cgroup namespace, its cgroup is the namespace's root.
	gph_run run --rootfs "$R" --pids-limit 16 /bin/cat /proc/self/cgroup
	expect_rc 0 || return 1
	if [ "$MODE" = v2 ]; then
		expect_line '0::/' || return 1
	else
		grep -qE '^[0-9]+:pids:/$' <<<"$OUT" || { fail "expected a line 'N:pids:/'"; show_last; return 1; }
	fi
	expect_clean
}

# ---------------------------------------------------------------------------------------------
# CPU

# CPU time used by the container's cgroup, in ns.
cpu_usage_ns() {
	if [ "$MODE" = v2 ]; then
		awk '$1 == "usage_usec" { printf "%d\n", $2 * 1000 }' "$(cg_file cpu cpu.stat)"
	else
		cat "$(cg_file cpuacct cpuacct.usage)"
	fi
}

t_cpus_half() {
	local u0 u1 t0 t1 cpus thr stat
	bg_start cpu lim-cpus --init --cpus 0.5 /bin/sh -c 'while :; do :; done' || return 1
	if [ "$MODE" = v2 ]; then
		expect_cg cpu cpu.max "50000 100000" || return 1
	else
		expect_cg cpu cpu.cfs_quota_us 50000 || return 1
		expect_cg cpu cpu.cfs_period_us 100000 || return 1
	fi
	sleep 0.3 # the loop is spinning
	u0=$(cpu_usage_ns) t0=$(now_ms)
	sleep 2
	u1=$(cpu_usage_ns) t1=$(now_ms)
	[[ $u0 =~ ^[0-9]+$ && $u1 =~ ^[0-9]+$ ]] || { fail "could not read the CPU usage ('$u0', '$u1')"; return 1; }
	cpus=$(awk -v a="$u0" -v b="$u1" -v ms=$((t1 - t0)) 'BEGIN { printf "%.2f", (b - a) / (ms * 1e6) }')
	diag "busy loop under --cpus 0.5: $cpus CPU over $((t1 - t0)) ms"
	awk -v c="$cpus" 'BEGIN { exit !(c >= 0.3 && c <= 0.7) }' ||
		{ fail "the busy loop used $cpus CPU over $((t1 - t0)) ms, expected 0.3-0.7"; return 1; }
	# The kernel throttled it (the quota, not idleness, kept it near half a CPU).
	stat=$(cg_file cpu cpu.stat)
	thr=$(cg_key "$stat" nr_throttled)
	[ "${thr:-0}" -gt 0 ] || { fail "$stat shows no throttled period"; fail_file cpu.stat "$stat"; return 1; }
	bg_stop cpu || return 1
	expect_clean
}

t_cpu_weight() {
	# v1 takes cpu.shares: the conversion maps the defaults onto each other (100 -> 1024).
	local w shares
	for w in 200:2452 100:1024 1:2 10000:262144; do
		shares=${w#*:} w=${w%:*}
		bg_start cpuw "lim-cpuw-$w" --init --cpu-weight "$w" /bin/probe sleep 30 || return 1
		if [ "$MODE" = v2 ]; then
			expect_cg cpu cpu.weight "$w" || return 1
		else
			expect_cg cpu cpu.shares "$shares" || return 1
		fi
		bg_stop cpuw || return 1
	done
	expect_clean
}

t_cpuset() {
	local p line=$'Cpus_allowed_list:\t0'
	bg_start cpuset lim-cpuset --init --cpuset-cpus 0 /bin/sh -c \
		'grep Cpus_allowed_list /proc/self/status; exec /bin/probe sleep 30' || return 1
	expect_cg cpuset cpuset.cpus 0 || return 1
	[ "$MODE" = v2 ] && { expect_cg cpuset cpuset.cpus.effective 0 || return 1; }
	wait_until 10 probe_running "sleep 30" || { fail "the probe never started"; fail_file stderr "$GPH_TMP/cpuset.err"; return 1; }
	p=$(probe_pids_matching "sleep 30" | head -n 1)
	grep -qxF "$line" "/proc/$p/status" ||
		{ fail "the container's probe (pid $p) may run on: $(grep Cpus_allowed_list "/proc/$p/status")"; return 1; }
	grep -qxF "$line" "$GPH_TMP/cpuset.out" ||
		{ fail "inside, /proc/self/status did not say 'Cpus_allowed_list: 0'"; fail_file stdout "$GPH_TMP/cpuset.out"; return 1; }
	bg_stop cpuset || return 1
	expect_clean
}

# ---------------------------------------------------------------------------------------------
# Swap

t_memory_swap() {
	local own v
	own=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
	if [ "$MODE" = v1 ] && [ ! -e "/sys/fs/cgroup/memory${own%/}/memory.memsw.limit_in_bytes" ]; then
		# No swap accounting in this kernel: the option must be refused, saying why.
		expect_refused 'swap' --memory 32M --memory-swap 64M || return 1
		diag "no memory.memsw.* here: --memory-swap refused, as it must be"
		return 0
	fi
	bg_start swap lim-swap --init --memory 32M --memory-swap 64M /bin/probe sleep 30 || return 1
	if [ "$MODE" = v2 ]; then
		expect_cg memory memory.max 33554432 || return 1
		expect_cg memory memory.swap.max 33554432 || return 1
	else
		expect_cg memory memory.limit_in_bytes 33554432 || return 1
		expect_cg memory memory.memsw.limit_in_bytes 67108864 || return 1
	fi
	bg_stop swap || return 1
	# -1: unlimited swap.
	bg_start swap lim-swap-unl --init --memory 32M --memory-swap -1 /bin/probe sleep 30 || return 1
	if [ "$MODE" = v2 ]; then
		expect_cg memory memory.swap.max max || return 1
	else
		v=$(cat "$(cg_file memory memory.memsw.limit_in_bytes)")
		[ "${#v}" -ge 18 ] || { fail "memory.memsw.limit_in_bytes is '$v' with --memory-swap -1, expected unlimited"; return 1; }
	fi
	bg_stop swap || return 1
	expect_clean
}

t_memory_swap_refused() {
	expect_refused 'memory-swap.*(below|>=|at least)|(below|>=|at least).*memory' \
		--memory-swap 16M --memory 32M || return 1
	expect_refused 'memory-swap.*(memory limit|--memory)' --memory-swap 64M || return 1
	expect_clean
}

# ---------------------------------------------------------------------------------------------
# Bad values

t_bad_values() {
	# Each: OPTION VALUE; the message must quote the value and name the accepted forms (an
	# example or a range). Nothing runs.
	local forms='e\.g\.|from [0-9.]+ to [0-9]+' opt val
	while read -r opt val; do
		expect_refused "\"$val\"" "$opt" "$val" || return 1
		expect_err "$forms" || return 1
	done <<-'EOF'
		--cpus 0
		--cpus 1.2345
		--cpus abc
		--pids-limit 0
		--cpuset-cpus 3-1
		--cpu-weight 10001
		--device-read-bps vda:1M
	EOF
	# A path that is not a block device: refused by the step, naming the device.
	expect_refused '/dev/null' --device-write-bps /dev/null:1M || return 1
	expect_err 'block device' || return 1
	expect_clean
}

t_io_weight() {
	local f bfq found=""
	bfq=$(grep -l '\[bfq\]' /sys/block/*/queue/scheduler 2>/dev/null)
	gph_bg iow run --rootfs "$R" --name lim-iow --init --io-weight 500 /bin/probe sleep 30
	wait_until 10 started_or_ended lim-iow || { fail "neither started nor ended within 10 s"; return 1; }
	if not_running "$BG_PID"; then
		gph_bg_wait "$BG_PID" 5
		RC=$BG_RC OUT=$(cat "$GPH_TMP/iow.out") ERR=$(cat "$GPH_TMP/iow.err")
		LAST_CMD="gophernetes run --io-weight 500 /bin/probe sleep 30"
		expect_rc 125 || return 1
		expect_err_message || return 1
		# Plainly: the kernel here cannot honour an IO weight (and why).
		expect_err 'BFQ|iocost|cannot|no effect|not supported' || return 1
		diag "refused: $(head -n 1 <<<"$ERR")"
	else
		# Accepted only where the kernel can take it: v2 (io.weight / io.bfq.weight) or a BFQ
		# device on v1; then a weight file holds it.
		CID=$PS_ID
		if [ "$MODE" = v1 ] && [ -z "$bfq" ]; then
			fail "--io-weight was accepted on a v1 host with no BFQ device (it cannot have an effect)"
			fail_file stderr "$GPH_TMP/iow.err"
			return 1
		fi
		for f in io.weight io.bfq.weight blkio.weight blkio.bfq.weight; do
			f=$(cg_file blkio "$f") && [ -e "$f" ] && grep -qw 500 "$f" && found="$found $(basename "$f")"
		done
		[ -n "$found" ] || { fail "--io-weight 500 accepted, but no IO weight file of .../gophernetes/$CID holds 500"; return 1; }
		diag "accepted: weight 500 in$found; $(head -n 1 "$GPH_TMP/iow.err")"
		bg_stop iow || return 1
	fi
	expect_clean
}

# ---------------------------------------------------------------------------------------------
# Block IO throttling

# The device for the IO case (DEV, MAJ, MIN): GPH_TEST_BLOCKDEV or a fresh loop device.
io_device() {
	local hex size
	if [ -n "${GPH_TEST_BLOCKDEV:-}" ]; then
		DEV=$GPH_TEST_BLOCKDEV
	else
		command -v losetup >/dev/null || { fail "losetup missing (apt-get install mount)"; return 1; }
		truncate -s 64M "$GPH_TMP/disk.img" || { fail "truncate -s 64M $GPH_TMP/disk.img failed"; return 1; }
		if ! LOOPDEV=$(losetup -f --show "$GPH_TMP/disk.img" 2>"$GPH_TMP/losetup.err") || [ -z "$LOOPDEV" ]; then
			LOOPDEV=""
			fail "losetup -f --show $GPH_TMP/disk.img failed"
			fail_file losetup "$GPH_TMP/losetup.err"
			return 1
		fi
		DEV=$LOOPDEV
	fi
	[ -b "$DEV" ] || { fail "$DEV is not a block device"; return 1; }
	hex=$(stat -L -c '%t %T' "$DEV") || { fail "stat $DEV failed"; return 1; }
	read -r MAJ MIN <<<"$hex"
	MAJ=$((16#$MAJ)) MIN=$((16#$MIN))
	size=$(blockdev --getsize64 "$DEV" 2>/dev/null || echo 0)
	[ "$size" -ge $((4 << 20)) ] || { fail "$DEV holds $size bytes, the read needs 4 MiB"; return 1; }
}

t_device_read_bps() {
	local read_cmd t0 t1 base slow f line
	io_device || return 1
	# The container has its own /dev: it makes the node itself, then reads 4 MiB with O_DIRECT
	# (the page cache cannot hide the throttle).
	read_cmd="mknod /dev/gph-disk b $MAJ $MIN && dd if=/dev/gph-disk of=/dev/null bs=256k count=16 iflag=direct && echo read-done"
	t0=$(now_ms)
	gph_run run --rootfs "$R" --cap-add MKNOD /bin/sh -c "$read_cmd"
	t1=$(now_ms)
	base=$((t1 - t0))
	expect_rc 0 || return 1
	expect_line read-done || return 1

	t0=$(now_ms)
	bg_start io lim-io --cap-add MKNOD --device-read-bps "$DEV:1M" --device-write-bps "$DEV:2M" /bin/sh -c "$read_cmd" || return 1
	if [ "$MODE" = v2 ]; then
		f=$(cg_file io io.max)
		line=$(grep "^$MAJ:$MIN " "$f")
		[[ " $line " == *" rbps=1048576 "* && " $line " == *" wbps=2097152 "* ]] ||
			{ fail "$f has '$line' for $DEV, expected rbps=1048576 wbps=2097152"; fail_file io.max "$f"; return 1; }
	else
		expect_cg blkio blkio.throttle.read_bps_device "$MAJ:$MIN 1048576" || return 1
		expect_cg blkio blkio.throttle.write_bps_device "$MAJ:$MIN 2097152" || return 1
	fi
	gph_bg_wait "$BG_PID" 20 || { fail "the throttled read still runs after 20 s"; return 1; }
	t1=$(now_ms)
	slow=$((t1 - t0))
	if [ "$BG_RC" != 0 ] || ! grep -qx read-done "$GPH_TMP/io.out"; then
		fail "the throttled read failed (status $BG_RC)"
		fail_file stdout "$GPH_TMP/io.out"
		fail_file stderr "$GPH_TMP/io.err"
		return 1
	fi
	diag "4 MiB O_DIRECT from $DEV ($MAJ:$MIN): ${base} ms unthrottled, ${slow} ms at 1 MiB/s"
	# 4 MiB at 1 MiB/s: about 4 s (the first slice may pass some at once); without: far less.
	[ "$slow" -ge 3000 ] || { fail "the read took $slow ms at 1 MiB/s, expected >= 3000 ms"; return 1; }
	[ $((slow - base)) -ge 2500 ] ||
		{ fail "throttled $slow ms vs unthrottled $base ms: the limit made no clear difference"; return 1; }
	loop_release
	expect_clean
}

# lim CASE: run the case; a runtime it left in the background is stopped the polite way (SIGTERM,
# then the bounded wait) so a failing case does not leave a SIGKILLed runtime's cgroups behind.
lim() {
	local rc
	"$@"
	rc=$?
	local p
	# Only this shell's own unreaped jobs (a reaped PID may belong to anyone by now).
	for p in $(jobs -p); do
		[[ " ${GPH_PIDS[*]} " == *" $p "* ]] || continue
		not_running "$p" && continue
		kill -TERM "$p" 2>/dev/null
		gph_bg_wait "$p" 15 || true
	done
	return "$rc"
}

tcase "--pids-limit 16: a 64-fork loop stops at 16 ('can't fork', pids.events max), host unaffected (B20)" lim t_pids_fork_loop
tcase "--pids-limit: the first process is inside the limit (2: first fork fails; 3: works)" lim t_pids_first_process
tcase "--cpus 0.5: quota/period files, a busy loop uses 0.3-0.7 CPU over 2 s, throttled" lim t_cpus_half
tcase "--cpu-weight: v2 cpu.weight / v1 cpu.shares (200->2452, 100->1024, 1->2, 10000->262144)" lim t_cpu_weight
tcase "--cpuset-cpus 0: cpuset file and Cpus_allowed_list 0 inside and from the host" lim t_cpuset
tcase "--memory 32M --memory-swap 64M / -1: swap limit files" lim t_memory_swap
tcase "--memory-swap below --memory, or without --memory: refused (125)" lim t_memory_swap_refused
tcase "bad --cpus/--pids-limit/--cpuset-cpus/--cpu-weight/--device-*-bps values: 125, message with the forms" lim t_bad_values
tcase "--io-weight 500: refused plainly where the kernel cannot honour it, else written" lim t_io_weight
tcase "--device-read-bps DEV:1M: throttle file, a 4 MiB O_DIRECT read takes >= 3 s (fast without)" lim t_device_read_bps
gph_finish
