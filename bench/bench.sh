#!/bin/bash
# bench/bench.sh — gophernetes side by side with crun, runc, bubblewrap and bare unshare+chroot.
#
# Usage (as root, from the repository; `make bench` builds and installs what it needs first):
#   bench/bench.sh            full run (a few minutes)
#   BENCH_QUICK=1 bench/bench.sh   a few rounds of everything, to try it out
# Environment: GPH_BIN (default build), GPH_ROOTFS (default ./rootfs), BENCH_OUT (default bench).
# Writes $BENCH_OUT/results.md, results.png and results.tsv; prints the tables.
#
# Every container runs /bin/true on the same busybox root filesystem with new pid, uts, mnt, ipc
# and net namespaces, /proc and /dev. All of it runs in a private mount namespace where
# /sys/fs/cgroup/unified (the empty cgroup2 of a hybrid host) is unmounted, because crun 1.8.1
# refuses to start otherwise; nothing outside that namespace changes. Network work happens in a
# network namespace made here. Peers' cgroups live under <hierarchy>/gophernetes/gophernetes-bench-*
# and are removed, as is every temporary file.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
GPH_BIN=${GPH_BIN:-$repo/build}
case $GPH_BIN in /*) ;; *) GPH_BIN=$repo/$GPH_BIN ;; esac
ROOTFS=${GPH_ROOTFS:-$repo/rootfs}
ROOTFS=$(cd "$ROOTFS" && pwd -P)
OUT=${BENCH_OUT:-$repo/bench}
QUICK=${BENCH_QUICK:-}
G=$GPH_BIN/gophernetes
RUNNER=$GPH_BIN/bench-runner

die() { echo "bench: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (namespaces, cgroups): sudo make bench"
for t in "$G" "$GPH_BIN/gophernetes-shell" "$RUNNER"; do [ -x "$t" ] || die "$t missing: make bench builds it"; done
for t in crun runc bwrap unshare gnuplot /usr/bin/time xargs; do
	command -v "$t" >/dev/null || die "$t missing: make bench installs crun runc bubblewrap gnuplot-nox time"
done
[ -x "$ROOTFS/bin/true" ] || die "$ROOTFS/bin/true missing: make builds ./rootfs"

# Step 1: into a private mount namespace without the hybrid host's empty cgroup2 (see above).
if [ -z "${GPH_BENCH_INNER:-}" ]; then
	export GPH_BENCH_INNER=1
	exec unshare -m --propagation private "$0" "$@"
fi
if [ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ] && mountpoint -q /sys/fs/cgroup/unified; then
	umount /sys/fs/cgroup/unified
	HYBRID_NOTE="hybrid host: /sys/fs/cgroup/unified unmounted in the bench's private mount namespace (crun 1.8.1 needs that); every runtime then sees cgroup v1"
else
	HYBRID_NOTE="cgroup mode: $(stat -f -c %T /sys/fs/cgroup)"
fi
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	CGV=2
	MEMCG_BASE=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)/gophernetes
else
	CGV=1
	MEMCG_BASE=/sys/fs/cgroup/memory/gophernetes
fi

if [ -n "$QUICK" ]; then
	ROUNDS=5; WARM=1; PROUNDS=1; RSS_RUNS=2; PAR_SIZES="20 50"; EXECS=5
else
	ROUNDS=30; WARM=3; PROUNDS=3; RSS_RUNS=5; PAR_SIZES="50 200"; EXECS=20
fi

W=$(mktemp -d /tmp/gph-bench.XXXXXX)
export GPH_STATE_DIR=$W/state
mkdir -p "$W/state" "$W/crun" "$W/runc"
cleanup() {
	set +e
	for rt in crun runc; do
		for id in $("$rt" --root "$W/$rt" list -q 2>/dev/null); do "$rt" --root "$W/$rt" delete -f "$id" >/dev/null 2>&1; done
	done
	for d in /sys/fs/cgroup/*/gophernetes/gophernetes-bench-* /sys/fs/cgroup/gophernetes/gophernetes-bench-* \
		"$MEMCG_BASE"/gophernetes-bench-*; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	for d in /sys/fs/cgroup/*/gophernetes/gophernetes-bench-*/* ; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
	for d in /sys/fs/cgroup/*/gophernetes/gophernetes-bench-*; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
	# the gophernetes parents, only where they are empty (gophernetes removes its own the same way)
	for d in /sys/fs/cgroup/*/gophernetes "$MEMCG_BASE"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- OCI bundles for crun and runc: the same namespaces, mounts, capabilities, no_new_privs,
# masked and read-only paths as `gophernetes run`, and a seccomp deny list of the same calls.
CAPS='"CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_NET_RAW","CAP_SYS_CHROOT","CAP_AUDIT_WRITE","CAP_SETFCAP"'
DENY='"init_module","finit_module","delete_module","kexec_load","kexec_file_load","reboot","mount","umount2","pivot_root","fsopen","fsconfig","fsmount","fspick","move_mount","open_tree","mount_setattr","setns","unshare","sethostname","setdomainname","quotactl","quotactl_fd","lookup_dcookie","fanotify_init","swapon","swapoff","acct","open_by_handle_at","keyctl","add_key","request_key","bpf","perf_event_open","userfaultfd","io_uring_setup","io_uring_enter","io_uring_register","syslog","kcmp","pidfd_getfd","process_madvise","settimeofday","clock_settime","adjtimex","clock_adjtime","iopl","ioperm","vhangup","get_mempolicy","set_mempolicy","mbind","migrate_pages","move_pages","uselib","ustat","sysfs"'
mkbundle() { # DIR CGROUPS_PATH MEMORY_BYTES(0: none)
	local dir=$1 cg=$2 mem=$3 res=''
	[ "$mem" != 0 ] && res="\"resources\": {\"memory\": {\"limit\": $mem, \"swap\": $mem}},"
	mkdir -p "$dir"
	cat >"$dir/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/bin/true"], "cwd": "/",
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"],
    "capabilities": {"bounding": [$CAPS], "effective": [$CAPS], "permitted": [$CAPS]},
    "noNewPrivileges": true
  },
  "root": {"path": "$ROOTFS", "readonly": false},
  "hostname": "bench",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=64k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "linux": {
    "cgroupsPath": "$cg",
    $res
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                "syscalls": [{"names": [$DENY], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
  }
}
EOF
}
MEM=$((64 * 1024 * 1024))
for rt in crun runc; do
	mkbundle "$W/b-$rt" "/gophernetes/gophernetes-bench-$rt" 0
	mkbundle "$W/b-$rt-mem" "/gophernetes/gophernetes-bench-$rt-mem" "$MEM"
done
# crun/runc run: create, start, wait, delete; state in a temporary --root.
CRUN=(crun --root "$W/crun" run --bundle)
RUNC=(runc --root "$W/runc" run --bundle)
BWRAP=(bwrap --unshare-pid --unshare-uts --unshare-ipc --unshare-net --bind "$ROOTFS" / --proc /proc --dev /dev /bin/true)
UNSHARE=(unshare -p -f -u -m -n -i chroot "$ROOTFS" /bin/true)
# bwrap and unshare have no cgroup support: the runner gives them a memory cgroup (v1 only here).
MEMCG_ROWS=()
[ "$CGV" = 1 ] && MEMCG_ROWS=(::: bwrap+mem @memcg "$MEMCG_BASE" "$MEM" "${BWRAP[@]}" :::
	unshare+mem @memcg "$MEMCG_BASE" "$MEM" "${UNSHARE[@]}")

echo "# bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, kernel $(uname -r)${QUICK:+, QUICK mode}"
echo "# $HYBRID_NOTE"

# ---- 1. one container, start to reap, all interleaved in one run ----
echo "# single containers: $ROUNDS interleaved rounds (+$WARM warm-up)"
"$RUNNER" -r "$ROUNDS" -w "$WARM" -o "$W/single.raw" \
	gophernetes "$G" run -q /bin/true ::: \
	crun "${CRUN[@]}" "$W/b-crun" gphb-crun ::: \
	runc "${RUNC[@]}" "$W/b-runc" gphb-runc ::: \
	bwrap "${BWRAP[@]}" ::: \
	unshare "${UNSHARE[@]}" ::: \
	gophernetes+mem "$G" run -q --memory 64M /bin/true ::: \
	crun+mem "${CRUN[@]}" "$W/b-crun-mem" gphb-crun-mem ::: \
	runc+mem "${RUNC[@]}" "$W/b-runc-mem" gphb-runc-mem \
	"${MEMCG_ROWS[@]}" >"$W/single.tsv"

# ---- peak RSS with GNU time (%M: the largest resident set of the process and its reaped children) ----
rss_of() { # NAME CMD...
	local name=$1 vals=()
	shift
	for _ in $(seq "$RSS_RUNS"); do
		/usr/bin/time -f %M -o "$W/time.out" "$@" >/dev/null 2>&1 || die "$name failed under GNU time"
		vals+=("$(tail -n 1 "$W/time.out")")
	done
	printf '%s\n' "${vals[@]}" | sort -n | awk -v n="$name" '{a[NR]=$1} END {print n "\t" a[int((NR+1)/2)]}'
}
{
	rss_of gophernetes "$G" run -q /bin/true
	rss_of crun "${CRUN[@]}" "$W/b-crun" gphb-crun
	rss_of runc "${RUNC[@]}" "$W/b-runc" gphb-runc
	rss_of bwrap "${BWRAP[@]}"
	rss_of unshare "${UNSHARE[@]}"
	rss_of gophernetes+mem "$G" run -q --memory 64M /bin/true
	rss_of crun+mem "${CRUN[@]}" "$W/b-crun-mem" gphb-crun-mem
	rss_of runc+mem "${RUNC[@]}" "$W/b-runc-mem" gphb-runc-mem
	rss_of /bin/true /bin/true
} >"$W/rss.tsv"

# ---- 2. N containers, 8 at a time ----
par_rows=()
for n in $PAR_SIZES; do
	for rt in crun runc; do
		for i in $(seq "$n"); do mkbundle "$W/p-$rt/$i" "/gophernetes/gophernetes-bench-$rt-p$i" 0; done
	done
	par_rows+=(gophernetes-x$n sh -c "seq $n | xargs -P8 -I{} $G run -q /bin/true" :::)
	par_rows+=(crun-x$n sh -c "seq $n | xargs -P8 -I{} crun --root $W/crun run --bundle $W/p-crun/{} gphb-p{}" :::)
	par_rows+=(runc-x$n sh -c "seq $n | xargs -P8 -I{} runc --root $W/runc run --bundle $W/p-runc/{} gphb-p{}" :::)
	par_rows+=(bwrap-x$n sh -c "seq $n | xargs -P8 -I{} ${BWRAP[*]}" :::)
	par_rows+=(unshare-x$n sh -c "seq $n | xargs -P8 -I{} ${UNSHARE[*]}" :::)
done
unset 'par_rows[${#par_rows[@]}-1]'
echo "# parallel: $PAR_SIZES containers 8 at a time, $PROUNDS interleaved rounds"
"$RUNNER" -r "$PROUNDS" -w 0 "${par_rows[@]}" >"$W/parallel.tsv"

# ---- 3. --net bridge against --net none, in a network namespace made here (it plays the host) ----
echo "# network: --net none / veth / bridge in a private network namespace, $ROUNDS rounds"
unshare -n sh -c "ip link set lo up 2>/dev/null; exec \"\$0\" \"\$@\"" "$RUNNER" -r "$ROUNDS" -w "$WARM" \
	net-none "$G" run -q --net none /bin/true ::: \
	net-veth "$G" run -q --net veth /bin/true ::: \
	net-bridge "$G" run -q --net bridge /bin/true >"$W/net.tsv"

# ---- 4. shell step latency: a script of steps piped into gophernetes-shell ----
{ echo quit; } >"$W/s0.txt"
{ printf '%s\n' "ns pid uts mnt ipc net" "hostname box" "cgroup mem 32M" "pivot_root $ROOTFS" "mount proc" \
	"mount dev" "mount sys"; echo quit; } >"$W/s7.txt"
{ head -n 7 "$W/s7.txt"; for _ in $(seq "$EXECS"); do echo "exec /bin/true"; done; echo quit; } >"$W/sx.txt"
echo "# shell: empty script, 7 set-up steps, 7 steps + $EXECS execs; $ROUNDS rounds"
"$RUNNER" -r "$ROUNDS" -w "$WARM" \
	shell-0 "$GPH_BIN/gophernetes-shell" --rootfs "$ROOTFS" "$W/s0.txt" ::: \
	shell-7 "$GPH_BIN/gophernetes-shell" --rootfs "$ROOTFS" "$W/s7.txt" ::: \
	shell-7+x "$GPH_BIN/gophernetes-shell" --rootfs "$ROOTFS" "$W/sx.txt" >"$W/shell.tsv"

# ---- report ----
mkdir -p "$OUT"
cat "$W/single.tsv" "$W/parallel.tsv" "$W/net.tsv" "$W/shell.tsv" >"$OUT/results.tsv"
EXECS=$EXECS ROUNDS=$ROUNDS PROUNDS=$PROUNDS HYBRID_NOTE=$HYBRID_NOTE QUICK=$QUICK \
	"$here/report.sh" "$W/single.tsv" "$W/rss.tsv" "$W/parallel.tsv" "$W/net.tsv" "$W/shell.tsv" >"$OUT/results.md"
"$here/chart.sh" "$W/single.tsv" "$W/parallel.tsv" "$OUT/results.png"
cat "$OUT/results.md"
echo "# wrote $OUT/results.md, $OUT/results.png, $OUT/results.tsv"
