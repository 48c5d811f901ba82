#!/bin/bash
# kernel.sh OUTDIR — fetch Debian's cloud kernel for the v2 lane, cached; print its unpacked tree.
#
# The package is the one Debian's meta-package linux-image-cloud-amd64 currently depends on
# (V2VM_KERNEL_PKG overrides). The .deb is kept in OUTDIR/cache (so later runs do not download)
# and unpacked with dpkg -x into OUTDIR/kernel/PKG_VERSION/. On success the only line on stdout is
# that directory; messages go to stderr.
set -eu
out=${1:?usage: kernel.sh OUTDIR}
say() { echo "v2vm: $*" >&2; }
die() { say "$*"; exit 1; }

meta=linux-image-cloud-amd64
resolve() {
	apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

pkg=${V2VM_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	pkg=$(resolve)
	if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
		say "apt does not know $meta yet: apt-get update"
		apt-get update -q >&2 || die "apt-get update failed"
		pkg=$(resolve)
	fi
	[ -n "$pkg" ] || die "cannot find the package $meta depends on (apt-cache depends $meta); is this Debian with deb.debian.org in sources.list? set V2VM_KERNEL_PKG=linux-image-...-cloud-amd64 to choose one"
fi
ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2; exit }')
{ [ -n "$ver" ] && [ "$ver" != "(none)" ]; } || die "apt has no candidate version of $pkg"

cache=$out/cache
tree=$out/kernel/${pkg}_$ver
mkdir -p "$cache" "$out/kernel"
deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*.deb" 2>/dev/null | head -n 1)
if [ -z "$deb" ] || ! dpkg-deb -f "$deb" Version 2>/dev/null | grep -qxF "$ver"; then
	say "downloading $pkg $ver (about 27 MB, once)"
	# As root apt would hand the download to the _apt user, who cannot write here.
	(cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2) ||
		die "apt-get download $pkg=$ver failed (network? apt-get update?)"
	# shellcheck disable=SC2012  # names are ours: PKG_VERSION_amd64.deb
	deb=$(ls -t "$cache/${pkg}"_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || die "apt-get download left no ${pkg}_*.deb in $cache"
	# Older kernels' packages and trees are not needed any more.
	find "$cache" -maxdepth 1 -name 'linux-image-*.deb' ! -path "$deb" -delete
	find "$out/kernel" -mindepth 1 -maxdepth 1 ! -path "$tree" -exec rm -rf {} +
fi

if [ ! -f "$tree/.unpacked" ]; then
	rm -rf "$tree"
	mkdir -p "$tree"
	dpkg -x "$deb" "$tree" || die "dpkg -x $deb failed"
	touch "$tree/.unpacked"
fi
ls "$tree"/boot/vmlinuz-* >/dev/null 2>&1 || die "no boot/vmlinuz-* in $deb"
echo "$tree"
