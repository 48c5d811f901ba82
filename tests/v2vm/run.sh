#!/bin/bash
# run.sh [--bin DIR] [--out DIR] — the cgroup v2 lane: boot Debian's cloud kernel in qemu (TCG,
# pure cgroup v2 via cgroup_no_v1=all) on an initramfs holding the project and its tests, run them
# there, and report on the host. Exit status 0 only when the VM ran every step and all passed.
#
# What it does: kernel.sh fetches/unpacks the kernel (cached in OUT/cache), mkinitramfs.sh builds
# OUT/initramfs.gz, qemu boots it with a timeout and the serial console goes to OUT/console.log
# (shown as it comes, kernel messages left out), collect.sh judges the log.
# Environment: V2VM_TIMEOUT (seconds for the whole VM run, default 1200), and the V2VM_* settings
# stage2.sh reads (V2VM_STEPS, V2VM_TESTS, V2VM_CGROUP, V2VM_FILE_TIMEOUT), V2VM_MEM (MiB, 1024).
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
bin=$repo/build
out=$repo/build/v2vm
while [ $# -gt 0 ]; do
	case $1 in
	--bin) bin=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "usage: run.sh [--bin DIR] [--out DIR]" >&2; exit 2 ;;
	esac
done
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
case $out in /*) ;; *) out=$PWD/$out ;; esac
timeout_s=${V2VM_TIMEOUT:-1200}
mem=${V2VM_MEM:-1024}

fail() {
	echo "check-v2: FAILED — $*" >&2
	exit 1
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" = 0 ] || fail "needs root (the initramfs holds device nodes; the tests inside run as root)"
qemu=$(command -v qemu-system-x86_64) || fail "qemu-system-x86_64 not found: run 'make v2vm-deps' as root"
[[ $timeout_s =~ ^[0-9]+$ ]] || fail "V2VM_TIMEOUT='$timeout_s' is not a number of seconds"
mkdir -p "$out" || fail "mkdir -p $out"
exec 9>"$out/.lock"
flock -n 9 || fail "another check-v2 is running (it holds $out/.lock)"

t0=$(now)
tree=$("$here/kernel.sh" "$out") || fail "could not get the kernel (messages above)"
vmlinuz=$(find "$tree/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n 1)
"$here/mkinitramfs.sh" "$bin" "$tree" "$out/initramfs.gz" || fail "could not build the initramfs (messages above)"
# A small blank virtio disk (/dev/vda in the VM) for IO tests; sparse, made anew each run.
rm -f "$out/disk.img"
truncate -s 256M "$out/disk.img" || fail "truncate -s 256M $out/disk.img"
t1=$(now)

echo "v2vm: booting $(basename "$vmlinuz") in qemu (TCG, 2 CPUs, ${mem} MiB, no network), at most ${timeout_s}s"
# TCG only: KVM hangs on this machine. Serial console on stdio (-nographic); every line is kept
# in console.log (terminal escapes removed), kernel messages ("[   1.234] ...") are not shown live.
timeout -k 10 "$timeout_s" "$qemu" -accel tcg -cpu max -smp 2 -m "$mem" -nographic -nic none \
	-no-reboot -kernel "$vmlinuz" -initrd "$out/initramfs.gz" \
	-drive "file=$out/disk.img,if=virtio,format=raw" \
	-append "console=ttyS0 cgroup_no_v1=all panic=-1 oops=panic quiet" \
	</dev/null 2>"$out/qemu.err" |
	sed -u -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' -e 's/\x1b[()][0-9A-Za-z]//g' | tee "$out/console.log" |
	grep --line-buffered -vE '^\[ *[0-9]+\.[0-9]+\] |^@@V2VM-(STAGE1|STEP-BEGIN)|^SeaBIOS |^Booting from ROM'
qrc=${PIPESTATUS[0]}
t2=$(now)
rm -f "$out/disk.img"

V2VM_T_PREPARE=$(secs "$t0" "$t1") V2VM_T_VM=$(secs "$t1" "$t2") V2VM_T_TOTAL=$(secs "$t0" "$t2") \
	"$here/collect.sh" "$out/console.log" "$qrc" "$timeout_s" "$out/qemu.err"
