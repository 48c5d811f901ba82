#!/bin/bash
# shellcheck disable=SC2317  # the step_* functions are called as "step_$s"
# /etc/v2vm/stage2.sh — the v2 lane's VM, stage 2: PID 1 on a tmpfs root after switch_root.
# bash with the real coreutils/util-linux (busybox sh would prefer its own applets, whose stat,
# for one, does not know cgroup2fs); busybox supplies only insmod and poweroff.
#
# Mounts the API filesystems with cgroup2 alone at /sys/fs/cgroup (the kernel was booted with
# cgroup_no_v1=all), loads the modules the tests need, prints what the host checks (kernel,
# filesystem type and controllers of /sys/fs/cgroup), runs the steps and prints each one's
# status, then "@@V2VM-RESULT rc=N" and powers off. Every line the host parses starts with
# "@@V2VM-". Steps (V2VM_STEPS):
#   mode       gophernetes-shell `show cgroup` must name the host mode v2
#   oom        gophernetes run --memory 32M /bin/probe memhog 64: exit 137, "out of memory"
#   suite      tests/integration/run-all.sh (V2VM_TESTS: which files; default all)
#   lessons    gophernetes-shell --replay lessons/*.lesson
#   leftovers  no cgroup, state entry, link or mount of ours is left in the VM
# V2VM_CGROUP=nested runs the steps in /system.slice/v2vm-tests.service with controllers enabled
# the way systemd does (that cgroup holds processes); the default, root, in the root cgroup.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/usr/libexec/v2vm/bb
HOME=/root
TERM=dumb
LC_ALL=C
export PATH HOME TERM LC_ALL
V2VM_STEPS="" V2VM_TESTS="" V2VM_CGROUP="" V2VM_FILE_TIMEOUT=""
# shellcheck source=/dev/null  # written by mkinitramfs.sh
. /etc/v2vm/settings
: "${V2VM_STEPS:=mode oom suite lessons leftovers}" "${V2VM_CGROUP:=root}" "${V2VM_FILE_TIMEOUT:=300}"
G=/gph
CG=/sys/fs/cgroup

uptime_s() { cut -d' ' -f1 /proc/uptime; }

halt_vm() {
	sync
	poweroff -f
	# If poweroff fails, PID 1 exiting panics the kernel; panic=-1 and -no-reboot end qemu.
	exit "$1"
}

fatal() {
	echo "@@V2VM-FATAL stage2: $*"
	halt_vm 1
}

# --- API filesystems ----------------------------------------------------------------------------
mount -t proc -o nosuid,nodev,noexec proc /proc || fatal "mount proc"
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys || fatal "mount sysfs"
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev || fatal "mount devtmpfs"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts || fatal "mount devpts"
mount -t tmpfs -o nosuid,nodev tmpfs /dev/shm || fatal "mount /dev/shm"
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
# Options as systemd mounts it on a v2 host.
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 $CG ||
	mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 $CG || fatal "mount -t cgroup2 cgroup2 $CG"
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run || fatal "mount /run"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp || fatal "mount /tmp"
mount --make-rshared / 2>/dev/null # as on a systemd host
hostname v2vm

kver=$(cat /etc/v2vm/kver)
while read -r m; do
	insmod "/lib/modules/$kver/$m.ko" || echo "@@V2VM-WARN insmod $m.ko failed"
done </etc/v2vm/modules

echo "@@V2VM-BOOTED uptime=$(uptime_s) kernel=$(uname -r) cpus=$(nproc) mem=$(awk '/MemTotal/ { print $2 "kB" }' /proc/meminfo)"
echo "@@V2VM-CMDLINE $(cat /proc/cmdline)"
echo "@@V2VM-CGROUP-FS $(stat -fc %T $CG)"
echo "@@V2VM-CGROUP-CONTROLLERS $(cat $CG/cgroup.controllers)"
echo "@@V2VM-CGROUP-V1-MOUNTS $(awk '$3 == "cgroup"' /proc/mounts | wc -l)"
# The blank virtio disk run.sh attaches, for IO tests (GPH_TEST_BLOCKDEV names it to them).
if [ -b /dev/vda ]; then
	export GPH_TEST_BLOCKDEV=/dev/vda
	echo "@@V2VM-DISK /dev/vda $(cat /sys/block/vda/size) sectors"
fi

# --- where the steps run ---------------------------------------------------------------------------
# in_cg CMD...: run CMD in a subshell, moved into the test cgroup TCG in nested mode (writing 0
# to cgroup.procs moves the writer itself).
TCG=""
in_cg() { ( [ -z "$TCG" ] || echo 0 >"$TCG/cgroup.procs" || exit 99; "$@" ); }
case $V2VM_CGROUP in
root) ;;
nested)
	# As systemd lays it out: PID 1 in /init.scope, controllers enabled in / and /system.slice,
	# the tests in a service cgroup that holds their processes.
	mkdir -p $CG/init.scope $CG/system.slice/v2vm-tests.service || fatal "mkdir in $CG"
	echo $$ >$CG/init.scope/cgroup.procs || fatal "moving PID 1 to /init.scope"
	for d in $CG $CG/system.slice; do
		for c in cpu io memory pids; do echo "+$c" >"$d/cgroup.subtree_control" || fatal "+$c in $d"; done
	done
	TCG=$CG/system.slice/v2vm-tests.service
	;;
*) fatal "V2VM_CGROUP is '$V2VM_CGROUP': root or nested" ;;
esac
echo "@@V2VM-CGROUP-LAYOUT $V2VM_CGROUP"

# --- steps ---------------------------------------------------------------------------------------
step_mode() {
	printf 'show cgroup\n' >/tmp/v2vm-mode.in
	timeout -k 5 60 "$G/build/gophernetes-shell" --rootfs "$G/rootfs" </tmp/v2vm-mode.in >/tmp/v2vm-mode.out 2>&1
	rc=$?
	sed 's/^/  | /' /tmp/v2vm-mode.out
	[ "$rc" = 0 ] || { echo "  gophernetes-shell exited $rc"; return 1; }
	line=$(grep -m 1 -E 'cgroup.*\<v2\>' /tmp/v2vm-mode.out)
	[ -n "$line" ] || { echo "  'show cgroup' did not name the mode v2"; return 1; }
	echo "@@V2VM-MODE $line"
}

step_oom() {
	r=/tmp/v2vm-oom
	rm -rf "$r" && cp -a "$G/rootfs" "$r" && cp "$G/build/probe" "$r/bin/probe" || return 1
	timeout -k 5 120 "$G/build/gophernetes" run --rootfs "$r" --memory 32M /bin/probe memhog 64 \
		</dev/null >/tmp/v2vm-oom.out 2>/tmp/v2vm-oom.err
	rc=$?
	rm -rf "$r"
	tail -n 3 /tmp/v2vm-oom.out | sed 's/^/  stdout| /'
	sed 's/^/  stderr| /' /tmp/v2vm-oom.err
	ok=0
	[ "$rc" = 137 ] || { echo "  exit status $rc, expected 137"; ok=1; }
	grep -q 'out of memory' /tmp/v2vm-oom.err || { echo "  no 'out of memory' on stderr"; ok=1; }
	return "$ok"
}

# What the VM leaves to the host lanes (qemu without KVM runs ~10x slower, and make check must stay
# well under 30 minutes): files whose subject does not depend on the kernel or the cgroup version
# (export's translation, the tutor's terminal dialogue, trace printing), the image tests (their
# registry, skopeo, umoci and python3 are not in the initramfs; overlayfs is the host kernel's
# too), the OCI clients (podman, containerd: not in the initramfs either), and the fault points where no cgroup is involved. All are named in the output, never
# dropped silently.
V2VM_HOST_ONLY="t-export.sh t-tutor.sh t-trace.sh t-images.sh t-pull.sh t-oci.sh"
V2VM_FAULT_ONLY='^(state|cgroup\..*|holder\.fork|ns|exec\.clone|exec\.execve|userns\.maps)$'

step_suite() {
	local files=$V2VM_TESTS f
	if [ -z "$files" ]; then
		for f in "$G"/tests/integration/t-*.sh; do
			f=${f##*/}
			case " $V2VM_HOST_ONLY " in *" $f "*) continue ;; esac
			files="$files $f"
		done
		echo "# not run in the VM (the host lanes run them): $V2VM_HOST_ONLY"
	fi
	# shellcheck disable=SC2086  # a list of file names
	(cd "$G" && GPH_IN_V2VM=1 GPH_BIN=$G/build GPH_FILE_TIMEOUT=$V2VM_FILE_TIMEOUT GPH_FAULT_ONLY=$V2VM_FAULT_ONLY \
		bash tests/integration/run-all.sh $files </dev/null 2>&1)
}

step_lessons() {
	set -- "$G"/lessons/*.lesson
	[ -e "$1" ] || { echo "  no lessons in $G/lessons"; return 1; }
	(cd "$G" && timeout -k 5 300 build/gophernetes-shell --rootfs ./rootfs --replay "$@" </dev/null 2>&1)
}

step_leftovers() {
	ok=0
	left=$(find "$CG" -mindepth 1 -type d -name gophernetes)
	for d in $left; do
		if [ -n "$(find "$d" -mindepth 1 -type d)" ]; then
			echo "  cgroups left below $d:"; find "$d" -mindepth 1 -type d | sed 's/^/    /'; ok=1
		fi
	done
	# An empty ipam directory is the allocation files' home (and lock), not a leftover.
	if [ -d /run/gophernetes ] && [ -n "$(find /run/gophernetes -mindepth 1 -maxdepth 1 ! -empty)" ]; then
		echo "  state left in /run/gophernetes: $(find /run/gophernetes -mindepth 1 -maxdepth 1 ! -empty -printf '%f ')"; ok=1
	fi
	links=$(ip -o link show | awk -F': ' '{ print $2 }' | grep -vx lo)
	[ -z "$links" ] || { echo "  links left in the VM's network namespace: $links"; ok=1; }
	mounts=$(awk '$2 ~ /^\/tmp\/|^\/gph\// { print $2 }' /proc/mounts)
	[ -z "$mounts" ] || { echo "  mounts left: $mounts"; ok=1; }
	procs=$(ps -e -o pid=,args= | awk '$2 ~ /gophernetes|probe/')
	[ -z "$procs" ] || { echo "  processes left:"; printf '    %s\n' "$procs"; ok=1; }
	return "$ok"
}

failed=""
echo "@@V2VM-BEGIN steps=$V2VM_STEPS"
for s in $V2VM_STEPS; do
	case $s in
	mode | oom | suite | lessons | leftovers) ;;
	*) echo "@@V2VM-STEP $s rc=2 secs=0 (unknown step)"; failed="$failed $s"; continue ;;
	esac
	t0=$(uptime_s)
	echo "@@V2VM-STEP-BEGIN $s"
	in_cg "step_$s"
	rc=$?
	echo "@@V2VM-STEP $s rc=$rc secs=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')"
	[ "$rc" = 0 ] || failed="$failed $s"
done
overall=0
[ -z "$failed" ] || overall=1
echo "@@V2VM-END uptime=$(uptime_s)"
echo "@@V2VM-RESULT rc=$overall failed=${failed# }"
halt_vm 0
