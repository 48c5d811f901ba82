#!/bin/sh
# umoci-busybox.sh ROOTFS LAYOUT — OCI images of the busybox ROOTFS built with umoci, in the image
# layout LAYOUT (created). Tags:
#   busybox  one layer (ROOTFS), Cmd /bin/sh -c 'echo hi from busybox', PATH set
#   multi    busybox plus: a layer adding /opt/app/old/f and /opt/app/keep; a layer that removes
#            /opt/app/old and /bin/vi (whiteouts) and adds /opt/app/new/g; WorkingDir /opt/app
# Layers are made with unpack + repack (umoci 0.4.7's `insert` writes tar streams without their
# final padding). Used by tests/integration/t-pull.sh, bench/images.sh and the images lesson.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 ROOTFS LAYOUT" >&2; exit 2; }
rootfs=$1
layout=$2
scratch=$(mktemp -d "${TMPDIR:-/tmp}/gph-umoci.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
b=$scratch/bundle
umoci init --layout "$layout"
umoci new --image "$layout:busybox"
umoci unpack --image "$layout:busybox" "$b"
cp -a "$rootfs/." "$b/rootfs/"
umoci repack --image "$layout:busybox" "$b"
umoci config --image "$layout:busybox" --config.env PATH=/bin:/sbin \
	--config.cmd /bin/sh --config.cmd -c --config.cmd 'echo hi from busybox'
rm -rf "$b"
umoci unpack --image "$layout:busybox" "$b"
mkdir -p "$b/rootfs/opt/app/old"
echo old >"$b/rootfs/opt/app/old/f"
echo keep >"$b/rootfs/opt/app/keep"
umoci repack --image "$layout:multi" "$b"
rm -rf "$b"
umoci unpack --image "$layout:multi" "$b"
rm -rf "$b/rootfs/opt/app/old" "$b/rootfs/bin/vi"
mkdir -p "$b/rootfs/opt/app/new"
echo new >"$b/rootfs/opt/app/new/g"
umoci repack --image "$layout:multi" "$b"
umoci config --image "$layout:multi" --config.workingdir /opt/app
