#!/bin/bash
# mkinitramfs.sh BINDIR KERNELTREE OUTFILE — the v2 lane's initramfs (cpio newc, gzip).
#
# Contents: a usr-merged skeleton; Debian's static busybox as the VM's userland (applet links in
# /usr/libexec/v2vm/bb, last in PATH); the real bash, coreutils, util-linux, iproute2, procps,
# findutils, grep, sed, awk and diff the tests call, each with the shared libraries ldd names
# (and the dynamic loader); the project's gophernetes, gophernetes-shell and probe (in
# /gph/build), ./rootfs (/gph/rootfs), tests/integration and lessons; the kernel modules the
# tests need, dependencies first, listed in /etc/v2vm/modules; /init (stage 1) and
# /etc/v2vm/stage2.sh. The project tree is laid out as in the repository, so the tests find
# everything where lib.sh looks.
set -eu
bin=${1:?usage: mkinitramfs.sh BINDIR KERNELTREE OUTFILE}
tree=${2:?kernel tree}
outfile=${3:?output file}
here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
say() { echo "v2vm: $*" >&2; }
die() { say "$*"; exit 1; }

# Modules the tests need, by name; their dependencies are added before them.
MODULES=${V2VM_MODULES:-"veth bridge overlay loop virtio_pci virtio_blk nf_tables nft_chain_nat nft_nat nft_masq nft_fib_ipv4 nft_ct br_netfilter"}
# Host programs copied with their libraries (real ones: the tests rely on GNU/util-linux behaviour).
TOOLS="bash sh env cat cp mv rm mkdir rmdir ln ls chmod chown touch mktemp basename dirname readlink
realpath stat sort uniq comm cut head tail tr wc tee seq sleep date id timeout kill printf echo
true false expr nproc du df sync od dd yes nice grep sed awk find xargs cmp diff ip unshare setpriv
nsenter findmnt mount umount losetup blockdev pgrep pkill ps hostname flock taskset uptime free nft
useradd userdel jq script"

stage=$(mktemp -d "$(dirname "$outfile")/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# Skeleton, usr-merged like Debian 12 (so /bin/bash, /sbin/ip and /lib64/ld-linux... all resolve).
mkdir -p "$stage"/usr/{bin,sbin,lib,lib64} "$stage"/usr/libexec/v2vm/bb \
	"$stage"/{dev,proc,sys,run,tmp,root,mnt,newroot,etc/v2vm,gph}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$stage/$d"; done
chmod 1777 "$stage/tmp"
mknod -m 600 "$stage/dev/console" c 5 1
mknod -m 666 "$stage/dev/null" c 1 3

# add_file PATH: the file PATH names (symlinks followed), at the same path in the image.
add_file() {
	local src=$1 dst=$stage$1
	[ -e "$dst" ] && return 0
	mkdir -p "$(dirname "$dst")"
	cp -L "$src" "$dst"
}

# add_elf PATH: a program or library and every shared library ldd says it needs.
add_elf() {
	local f=$1 lib
	add_file "$f"
	# Static programs: ldd says "not a dynamic executable" and fails; nothing more to copy.
	ldd "$f" >/dev/null 2>&1 || return 0
	for lib in $(ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		add_file "$lib"
	done
}

missing=""
for t in $TOOLS; do
	p=$(type -P "$t") || { missing="$missing $t"; continue; }
	add_elf "$p"
	# Reachable under the same name however PATH is searched (e.g. /usr/sbin/ip also as /sbin/ip).
	case $p in
	/usr/bin/* | /usr/sbin/*) ;;
	*) ln -sf "$p" "$stage/usr/bin/$t" ;;
	esac
done
[ -z "$missing" ] || die "programs the tests need are missing on this host:$missing (make test-deps installs them)"

# Libraries the runtime loads with dlopen (so ldd of the programs does not list them).
for l in libseccomp.so.2 libnftables.so.1 libnl-route-3.so.200; do
	p=$(ldconfig -p | awk -v l="$l" '$1 == l { print $NF; exit }')
	[ -n "$p" ] || die "$l missing on this host (make installs it: libseccomp-dev, libnftables-dev, libnl-route-3-dev)"
	add_elf "$p"
done

# busybox: the applets are the fallback for anything not copied above, and stage 1's tools.
bb=$(type -P busybox) || die "busybox missing (apt-get install busybox-static)"
ldd "$bb" >/dev/null 2>&1 && die "$bb is not static (install busybox-static, not busybox)"
cp "$bb" "$stage/usr/bin/busybox"
for a in $("$bb" --list); do
	ln -s /usr/bin/busybox "$stage/usr/libexec/v2vm/bb/$a"
done

# The project, laid out as in the repository.
for f in gophernetes gophernetes-shell probe escape escape32; do
	[ -x "$bin/$f" ] || die "$bin/$f missing (make; make $bin/probe $bin/escape $bin/escape32)"
	mkdir -p "$stage/gph/build"
	cp "$bin/$f" "$stage/gph/build/$f"
	add_elf "$bin/$f"
done
[ -x "$repo/rootfs/bin/busybox" ] || die "$repo/rootfs missing (make rootfs/bin/busybox)"
cp -a "$repo/rootfs" "$stage/gph/rootfs"
mkdir -p "$stage/gph/tests"
cp -a "$repo/tests/integration" "$stage/gph/tests/integration"
[ -d "$repo/lessons" ] && cp -a "$repo/lessons" "$stage/gph/lessons"

# Kernel modules: no modules.dep in the package and no kmod in the VM, so resolve the
# dependencies here (from each module's .modinfo "depends=" string) and list them in load order.
kver=$(find "$tree/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | head -n 1)
moddir=$tree/lib/modules/$kver
[ -d "$moddir/kernel" ] || die "no lib/modules/*/kernel in $tree"
mkdir -p "$stage/lib/modules/$kver"
: >"$stage/etc/v2vm/modules"
declare -A seen=()
add_module() {
	local name=$1 f dep deps
	[ -n "${seen[$name]:-}" ] && return 0
	seen[$name]=1
	f=$(find "$moddir/kernel" \( -name "$name.ko" -o -name "$name.ko.xz" -o -name "$name.ko.zst" \) | head -n 1)
	if [ -z "$f" ]; then
		# Built into this kernel: nothing to load.
		grep -q "/$name.ko\$" "$moddir/modules.builtin" 2>/dev/null && return 0
		die "kernel module $name not found in $moddir"
	fi
	local ko=$stage/lib/modules/$kver/$name.ko
	case $f in
	*.xz) xz -dc "$f" >"$ko" ;;
	*.zst) zstd -qdc "$f" >"$ko" ;;
	*) cp "$f" "$ko" ;;
	esac
	deps=$(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | head -n 1)
	for dep in ${deps//,/ }; do add_module "$dep"; done
	echo "$name" >>"$stage/etc/v2vm/modules"
}
for m in $MODULES; do add_module "$m"; done
echo "$kver" >"$stage/etc/v2vm/kver"

# The VM's own files.
cp "$here/init" "$stage/init"
cp "$here/stage2.sh" "$stage/etc/v2vm/stage2.sh"
chmod 0755 "$stage/init" "$stage/etc/v2vm/stage2.sh"
printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"
# t-rootless.sh adds (and removes) a user of its own
: >"$stage/etc/shadow"; : >"$stage/etc/gshadow"; chmod 0600 "$stage/etc/shadow" "$stage/etc/gshadow"
echo v2vm >"$stage/etc/hostname"
printf '127.0.0.1 localhost v2vm\n::1 localhost\n' >"$stage/etc/hosts"
# Settings for stage 2 (shell assignments, quoted).
{
	for v in V2VM_STEPS V2VM_TESTS V2VM_CGROUP V2VM_FILE_TIMEOUT; do
		printf "%s='%s'\n" "$v" "$(printenv "$v" | tr -d "'")"
	done
} >"$stage/etc/v2vm/settings"

(cd "$stage" && find . -mindepth 1 | "$bb" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 >"$outfile.tmp" ||
	die "making the cpio archive failed"
mv "$outfile.tmp" "$outfile"
say "initramfs $(du -h "$outfile" | cut -f1) ($(du -sh "$stage" | cut -f1) unpacked), kernel $kver, modules: $(tr '\n' ' ' <"$stage/etc/v2vm/modules")"
