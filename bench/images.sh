#!/bin/bash
# bench/images.sh — the image path, side by side in one run (issue 5):
#   1. pull + unpack of the busybox image from a local registry: `gophernetes pull` (which unpacks
#      every layer into the store) against `skopeo copy` + `umoci unpack`;
#   2. start of a container: `run --image` (overlayfs over the store's layers) against `run --rootfs`;
#   3. peak RSS of pull + unpack of an image with a 200 MiB layer (random bytes: the blob is as big),
#      gophernetes against skopeo + umoci: streaming keeps it small whatever the layer size.
# Usage (as root; `make bench` runs it after bench.sh): bench/images.sh; BENCH_QUICK=1 for fewer rounds.
# Environment: GPH_BIN (default build), GPH_ROOTFS (default ./rootfs), BENCH_OUT (default bench).
# Writes $BENCH_OUT/images.md. The registry (Debian's docker-registry) listens on 127.0.0.1 in a
# network namespace made here; everything lives in a temporary directory, removed at the end.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
GPH_BIN=${GPH_BIN:-$repo/build}
case $GPH_BIN in /*) ;; *) GPH_BIN=$repo/$GPH_BIN ;; esac
ROOTFS=$(cd "${GPH_ROOTFS:-$repo/rootfs}" && pwd -P)
OUT=${BENCH_OUT:-$repo/bench}
G=$GPH_BIN/gophernetes

die() { echo "bench/images: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root: sudo make bench"
[ -x "$G" ] || die "$G missing: make"
for t in docker-registry skopeo umoci curl /usr/bin/time; do
	command -v "$t" >/dev/null || die "$t missing: make test-deps bench-deps installs it"
done

# Into a network namespace (and a private mount namespace) of our own: the registry is only there.
if [ -z "${GPH_BENCH_IMAGES_INNER:-}" ]; then
	export GPH_BENCH_IMAGES_INNER=1
	exec unshare --net --mount --propagation private "$0" "$@"
fi
ip link set lo up

if [ -n "${BENCH_QUICK:-}" ]; then ROUNDS=3; STARTS=10; else ROUNDS=7; STARTS=40; fi
REG=127.0.0.1:5000
W=$(mktemp -d /tmp/gph-bench-images.XXXXXX)
export GPH_STATE_DIR=$W/state
mkdir -p "$W/state"
REG_PID=""
cleanup() {
	set +e
	[ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
	"$G" gc >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat >"$W/registry.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $W/reg
http:
  addr: $REG
YML
docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://$REG/v2/" && break; sleep 0.1; done
curl -fs -o /dev/null "http://$REG/v2/" || die "the registry did not start: $(tail -3 "$W/registry.log")"

echo "# making the images (umoci) and pushing them (skopeo)"
"$repo/tests/images/umoci-busybox.sh" "$ROOTFS" "$W/lay" >"$W/umoci.log" 2>&1 || die "umoci-busybox.sh: $(tail -3 "$W/umoci.log")"
mkdir -p "$W/big/data"
head -c $((200 << 20)) /dev/urandom >"$W/big/data/blob"
umoci new --image "$W/lay:big" 2>>"$W/umoci.log"
umoci unpack --image "$W/lay:big" "$W/bigb" 2>>"$W/umoci.log"
mv "$W/big/data" "$W/bigb/rootfs/data"
umoci repack --image "$W/lay:big" "$W/bigb" 2>>"$W/umoci.log"
rm -rf "$W/bigb" "$W/big"
for t in busybox big; do
	skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$W/lay:$t" "docker://$REG/$t:latest" ||
		die "skopeo copy $t failed"
done
rm -rf "$W/lay"

ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# One pull + unpack, either way, into fresh directories; prints "MS KIB" (wall ms, peak RSS KiB:
# for skopeo + umoci the larger of the two).
gph_pull() {
	rm -rf "$W/store"
	local t0 t1
	t0=$(ms)
	/usr/bin/time -f %M -o "$W/rss" "$G" pull --insecure --root "$W/store" "$REG/$1:latest" >/dev/null ||
		die "gophernetes pull $1 failed"
	t1=$(ms)
	echo "$((t1 - t0)) $(cat "$W/rss")"
}
skopeo_umoci() {
	rm -rf "$W/oci" "$W/bundle"
	local t0 t1 r1 r2
	t0=$(ms)
	/usr/bin/time -f %M -o "$W/rss1" skopeo --insecure-policy copy -q --src-tls-verify=false \
		"docker://$REG/$1:latest" "oci:$W/oci:latest" || die "skopeo copy $1 failed"
	/usr/bin/time -f %M -o "$W/rss2" umoci unpack --image "$W/oci:latest" "$W/bundle" >/dev/null 2>&1 ||
		die "umoci unpack $1 failed"
	t1=$(ms)
	r1=$(cat "$W/rss1")
	r2=$(cat "$W/rss2")
	echo "$((t1 - t0)) $((r1 > r2 ? r1 : r2))"
}

echo "# 1. pull + unpack busybox, $ROUNDS rounds each"
: >"$W/p.gph"
: >"$W/p.sk"
for _ in $(seq "$ROUNDS"); do
	gph_pull busybox >>"$W/p.gph"
	skopeo_umoci busybox >>"$W/p.sk"
done
PG=$(cut -d' ' -f1 "$W/p.gph" | median)
PS=$(cut -d' ' -f1 "$W/p.sk" | median)

echo "# 2. container start, $STARTS runs each (/bin/true)"
rm -rf "$W/store"
"$G" pull --insecure --root "$W/store" "$REG/busybox:latest" >/dev/null || die "pull failed"
start() { # start image|rootfs
	local t0 t1
	t0=$(ms)
	if [ "$1" = image ]; then
		"$G" run -q --root "$W/store" --pull=never --image "$REG/busybox:latest" /bin/true
	else
		"$G" run -q --rootfs "$ROOTFS" /bin/true
	fi
	t1=$(ms)
	echo $((t1 - t0))
}
for _ in 1 2 3; do start image >/dev/null; start rootfs >/dev/null; done
: >"$W/s.img"
: >"$W/s.fs"
for _ in $(seq "$STARTS"); do
	start image >>"$W/s.img"
	start rootfs >>"$W/s.fs"
done
SI=$(median <"$W/s.img")
SF=$(median <"$W/s.fs")

echo "# 3. peak RSS of pull + unpack with a 200 MiB layer"
read -r BG_MS BG_RSS < <(gph_pull big)
read -r BS_MS BS_RSS < <(skopeo_umoci big)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
{
	echo "# Images: pull, start, memory ($(date -u +%Y-%m-%d), $(nproc) CPUs, $(uname -r))"
	echo
	echo "| measurement | gophernetes | other | ratio (gophernetes / other) |"
	echo "|---|---|---|---|"
	echo "| pull + unpack busybox (median of $ROUNDS), vs skopeo copy + umoci unpack | $PG ms | $PS ms | $(ratio "$PG" "$PS") |"
	echo "| start /bin/true (median of $STARTS): run --image (overlay) vs run --rootfs | $SI ms | $SF ms | $(ratio "$SI" "$SF") |"
	echo "| pull + unpack, 200 MiB layer: wall time | $BG_MS ms | $BS_MS ms | $(ratio "$BG_MS" "$BS_MS") |"
	echo "| pull + unpack, 200 MiB layer: peak RSS | $BG_RSS KiB | $BS_RSS KiB | $(ratio "$BG_RSS" "$BS_RSS") |"
	echo
	echo "Peak RSS is /usr/bin/time's maximum resident set size; for skopeo + umoci the larger of the two."
} >"$W/images.md"
cat "$W/images.md"
cp "$W/images.md" "$OUT/images.md"
