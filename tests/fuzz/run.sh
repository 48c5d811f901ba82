#!/bin/sh
# Run the libFuzzer targets built by `make fuzz-build` (see tests/fuzz/fuzz.mk).
#   tests/fuzz/run.sh --bin DIR --seconds N TARGET...   fuzz each target for N seconds
#   tests/fuzz/run.sh --bin DIR --regress TARGET...     run each kept input once
# Kept inputs (seeds, past crashes) are read from tests/fuzz/corpus/TARGET; what libFuzzer finds
# goes to DIR/corpus/TARGET, crashes to DIR/crashes/. Exits non-zero if any target failed.
set -u
cd "$(dirname "$0")/../.."
bin="" seconds="" regress=0
while [ $# -gt 0 ]; do
	case "$1" in
	--bin) bin="$2"; shift 2 ;;
	--seconds) seconds="$2"; shift 2 ;;
	--regress) regress=1; shift ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ -z "$bin" ] || [ $# -eq 0 ] || { [ "$regress" = 0 ] && [ -z "$seconds" ]; }; then
	echo "usage: $0 --bin DIR (--seconds N | --regress) TARGET..." >&2
	exit 2
fi
mkdir -p "$bin/crashes" || exit 1
failed=""
for t in "$@"; do
	fuzzer="$bin/fuzz-$t" seeds="tests/fuzz/corpus/$t" log="$bin/fuzz-$t.log"
	if [ ! -x "$fuzzer" ]; then
		echo "fuzz $t: FAIL: $fuzzer is missing (make fuzz-build)"; failed="$failed $t"; continue
	fi
	# No seeds would mean fuzzing from nothing and replaying no regression inputs: say so, fail.
	if [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
		echo "fuzz $t: FAIL: no kept inputs in $seeds"; failed="$failed $t"; continue
	fi
	# One input may take 5 s at most (every parser here is linear); a lesson is small.
	flags="-timeout=5 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 -artifact_prefix=$bin/crashes/$t-"
	[ -f "tests/fuzz/$t.dict" ] && flags="$flags -dict=tests/fuzz/$t.dict"
	if [ "$regress" = 1 ]; then
		"$fuzzer" $flags "$seeds"/* >"$log" 2>&1
	else
		mkdir -p "$bin/corpus/$t" || exit 1
		"$fuzzer" $flags -max_total_time="$seconds" "$bin/corpus/$t" "$seeds" >"$log" 2>&1
	fi
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if [ "$rc" = 0 ] && [ "$regress" = 1 ]; then
		echo "fuzz $t: ok: $(ls "$seeds" | wc -l) kept inputs replayed (log: $log)"
	elif [ "$rc" = 0 ]; then
		echo "fuzz $t: ok: ${runs:-?} inputs run, ${cov:-cov: ?} (log: $log)"
	else
		echo "fuzz $t: FAIL (exit $rc), from $log:"
		{ grep -m1 -A16 -E 'ERROR: |property broken|==ERROR' "$log" || tail -n 20 "$log"; } | sed 's/^/    /'
		grep -E '^SUMMARY|Test unit written|^0x|^stat::number' "$log" | cut -c1-300 | sed 's/^/    /'
		echo "    the input is saved in $bin/crashes/; reproduce with: $fuzzer FILE"
		echo "    fix the product, then keep the input as tests/fuzz/corpus/$t/regress-WHAT"
		failed="$failed $t"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed"
	exit 1
fi
exit 0
