#!/bin/sh
# `make valgrind`: the Check unit tests under valgrind memcheck.
#   tests/lint/valgrind-unit.sh UNIT_TESTS_BINARY [LOG_DIR]
# Check forks a child per test; valgrind follows forks by itself (--trace-children is about
# exec, which would put setuid and foreign programs under valgrind: not wanted). An error or a
# definite/indirect leak in a test's process makes it exit 99, which Check reports as that test's
# failure; in the runner itself it makes the runner exit 99. Either fails this script. Each
# process writes its own log (LOG_DIR/vg.PID.log); those with errors are printed at the end.
set -u
cd "$(dirname "$0")/../.."
unit="${1:?usage: $0 UNIT_TESTS_BINARY [LOG_DIR]}"
logs="${2:-build/valgrind}"
supp=tests/lint/valgrind.supp
if ! command -v valgrind >/dev/null; then
	echo "valgrind: FAIL: valgrind is not installed (make test-deps)"
	exit 1
fi
rm -rf "$logs" && mkdir -p "$logs" || exit 1
# Not a silent skip: say what is left out and why (see the tags in tests/unit/test_harden.c and
# tests/unit/test_image.c).
echo "valgrind: leaving out test cases tagged no-valgrind: harden/live-abi (real 32-bit and x32"
echo "          system calls, which valgrind cannot run) and image/openat2 (openat2(2), which valgrind"
echo "          does not know); make unit and the ASan lane run them"
start=$(date +%s)
# Valgrind makes everything ~20x slower: stretch Check's per-test timeouts to match.
CK_EXCLUDE_TAGS=no-valgrind CK_TIMEOUT_MULTIPLIER=10 \
valgrind --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
	--suppressions="$supp" --gen-suppressions=all --log-file="$logs/vg.%p.log" \
	"$unit" >"$logs/unit-tests.out" 2>&1
rc=$?
bad=$(grep -l 'ERROR SUMMARY: [1-9]' "$logs"/vg.*.log 2>/dev/null)
summary=$(grep -E '^[0-9]+%: Checks' "$logs/unit-tests.out")
if [ "$rc" = 0 ] && [ -z "$bad" ]; then
	echo "valgrind: ok: ${summary:-?}; $(ls "$logs" | grep -c '^vg\.') processes checked, no errors, no" \
	     "definite or indirect leaks ($(( $(date +%s) - start )) s; logs in $logs)"
	exit 0
fi
echo "valgrind: FAIL (unit tests exit $rc): ${summary:-no summary}"
grep -E '^[^ ]+:[0-9]+:[EF]:' "$logs/unit-tests.out" | cut -c1-300 | sed 's/^/    /'
for f in $bad; do
	echo "--- $f"
	sed '1,/Parent PID/d' "$f" | grep -v '^==[0-9]*== *$' | head -n 120
done
echo "valgrind: a suppression (printed above) belongs in $supp only for what is not ours, with a reason"
exit 1
