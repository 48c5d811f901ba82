#!/bin/bash
# run-all.sh [t-NAME.sh ...] — run the integration tests (all t-*.sh by default).
#
# Each test file prints TAP-like lines ("ok N - name", "not ok N - name", "# diagnostics");
# this runner shows them, counts the cases and ends with exactly "N passed, N failed".
# Exit status 1 if any case failed, or a file crashed, hung or printed no case at all.
#
# Environment: GPH_BIN — directory holding gophernetes, gophernetes-shell and probe (default
# <repo>/build); GPH_ROOTFS (default <repo>/rootfs); GPH_FILE_TIMEOUT — seconds one file may run
# (default 600). The tests need root; network tests create their own network namespace.
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
GPH_BIN=${GPH_BIN:-$root/build}
case $GPH_BIN in /*) ;; *) GPH_BIN=$PWD/$GPH_BIN ;; esac
export GPH_BIN
file_timeout=${GPH_FILE_TIMEOUT:-600}

passed=0
failed=0

if [ $# -gt 0 ]; then
	files=()
	for f in "$@"; do
		case $f in */*) files+=("$f") ;; *) files+=("$here/$f") ;; esac
	done
else
	files=("$here"/t-*.sh)
fi

log=$(mktemp /tmp/gph-run-all.XXXXXX) || exit 1
trap 'rm -f "$log"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(id -u)" != 0 ]; then
	echo "# the integration tests need root (run make check as root)"
	echo "0 passed, 1 failed"
	exit 1
fi

for f in "${files[@]}"; do
	name=$(basename "$f")
	echo "# $name"
	if [ ! -f "$f" ]; then
		echo "not ok - $name: no such file"
		failed=$((failed + 1))
		continue
	fi
	start=$(date +%s)
	tmps_before=$(ls -d "${GPH_TEST_TMPDIR:-/tmp}"/gph-test.* 2>/dev/null)
	# Each file is bounded; on TERM its traps clean up, KILL follows 15 s later. Stray output
	# (a shell's job notice, a tool's complaint) becomes a "# " comment so it cannot pass for a
	# result.
	timeout -k 15 "$file_timeout" bash "$f" </dev/null 2>&1 |
		sed -u -e '/^ok /b' -e '/^not ok /b' -e '/^#/b' -e 's/^/# /' | tee "$log"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok ' "$log")
	n=$(grep -c '^not ok ' "$log")
	passed=$((passed + p))
	failed=$((failed + n))
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "not ok - $name: timed out after ${file_timeout}s"
		failed=$((failed + 1))
	elif [ "$rc" != 0 ] && [ "$n" = 0 ]; then
		echo "not ok - $name: exited with status $rc without reporting a failed case"
		failed=$((failed + 1))
	elif [ "$rc" = 0 ] && [ "$n" != 0 ]; then
		echo "not ok - $name: reported failures but exited 0"
		failed=$((failed + 1))
	elif [ $((p + n)) = 0 ]; then
		echo "not ok - $name: ran no test case"
		failed=$((failed + 1))
	fi
	# A file's temp directory goes with it (lib.sh's cleanup), even when a file sets its own trap.
	left=$(comm -13 <(echo "$tmps_before") <(ls -d "${GPH_TEST_TMPDIR:-/tmp}"/gph-test.* 2>/dev/null))
	if [ -n "$left" ]; then
		echo "not ok - $name: left its temp directory: $left"
		failed=$((failed + 1))
	fi
	echo "# $name: $p passed, $n failed ($(( $(date +%s) - start ))s)"
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
