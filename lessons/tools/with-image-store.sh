#!/bin/sh
# with-image-store.sh GOPHERNETES CMD [ARGS...] — run CMD with GPH_IMAGE_ROOT naming a fresh image store
# in a temporary directory that holds "lesson/layers:1" (tests/images/mkimage.py's two-layer OCI image of
# ./rootfs: layer 2 changes /etc/motd, whites out /etc/hostname-gone, makes /opt opaque), imported with
# GOPHERNETES, and CMD runs in an empty directory there. The store and whatever the lessons wrote go when
# CMD ends. `make lessons` replays every lesson through it (paths absolute).
set -u
[ $# -ge 2 ] || { echo "usage: $0 GOPHERNETES CMD [ARGS...]" >&2; exit 2; }
gph=$1
shift
here=$(cd "$(dirname "$0")/../.." && pwd -P)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gph-lesson-store.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if ! command -v python3 >/dev/null; then
	echo "with-image-store.sh: python3 is needed to make the lesson's image (make test-deps installs it)" >&2
	exit 1
fi
python3 "$here/tests/images/mkimage.py" oci "$here/rootfs" "$tmp/oci" >"$tmp/log" 2>&1 &&
	"$gph" import --root "$tmp/store" "$tmp/oci" lesson/layers:1 >>"$tmp/log" 2>&1 ||
	{ echo "with-image-store.sh: making the lesson's image failed:" >&2; cat "$tmp/log" >&2; exit 1; }
# In a directory of its own, so that what a lesson writes there (lesson 17's bundle) goes with it.
mkdir "$tmp/work" && cd "$tmp/work" || exit 1
GPH_IMAGE_ROOT=$tmp/store GPH_STATE_DIR=$tmp/state "$@"
