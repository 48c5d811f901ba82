#!/bin/sh
# Run the libFuzzer targets built by `make fuzz-build` (see tests/fuzz/fuzz.mk).
#   tests/fuzz/run.sh --bin DIR --seconds N TARGET...   fuzz each target for N seconds
#   tests/fuzz/run.sh --bin DIR --regress TARGET...     run each kept input once
# Kept inputs (seeds, past crashes) are read from tests/fuzz/corpus/TARGET, and, for a target with a
# seed script tests/fuzz/TARGET-seeds.py (binary seeds such as tars, kept out of git), from
# DIR/seeds/TARGET, made afresh here. What libFuzzer finds goes to DIR/corpus/TARGET, crashes to
# DIR/crashes/. Each target runs with TMPDIR=DIR/tmp-TARGET, removed afterwards (also after a
# crash, which skips the target's own cleanup). Exits non-zero if any target failed.
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
# Absolute paths: a target may change its working directory while it runs an input (unpack does).
bin=$(cd "$bin" && pwd) || exit 1
failed=""
for t in "$@"; do
	fuzzer="$bin/fuzz-$t" seeds="tests/fuzz/corpus/$t" log="$bin/fuzz-$t.log"
	shown=${log#"$PWD"/} # the log's name as printed: relative to the repository when inside it
	if [ ! -x "$fuzzer" ]; then
		echo "fuzz $t: FAIL: $fuzzer is missing (make fuzz-build)"; failed="$failed $t"; continue
	fi
	dirs=""
	[ -d "$seeds" ] && dirs="$PWD/$seeds"
	if [ -x "tests/fuzz/$t-seeds.py" ]; then
		rm -rf "$bin/seeds/$t"
		if ! "tests/fuzz/$t-seeds.py" "$bin/seeds/$t"; then
			echo "fuzz $t: FAIL: tests/fuzz/$t-seeds.py could not make the seeds"; failed="$failed $t"; continue
		fi
		dirs="$dirs $bin/seeds/$t"
	fi
	# No seeds would mean fuzzing from nothing and replaying no regression inputs: say so, fail.
	kept=0
	for d in $dirs; do kept=$((kept + $(ls -A "$d" | wc -l))); done
	if [ "$kept" = 0 ]; then
		echo "fuzz $t: FAIL: no kept inputs in $seeds"; failed="$failed $t"; continue
	fi
	export TMPDIR="$bin/tmp-$t"
	rm -rf "$TMPDIR" && mkdir -p "$TMPDIR" || exit 1
	# One input may take 5 s at most (every parser here is linear); a lesson is small.
	flags="-timeout=5 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 -artifact_prefix=$bin/crashes/$t-"
	[ -f "tests/fuzz/$t.dict" ] && flags="$flags -dict=tests/fuzz/$t.dict"
	if [ "$regress" = 1 ]; then
		# shellcheck disable=SC2046 # the kept inputs' names are ours: no blanks
		"$fuzzer" $flags $(for d in $dirs; do ls -d "$d"/*; done) >"$log" 2>&1
	else
		mkdir -p "$bin/corpus/$t" || exit 1
		"$fuzzer" $flags -max_total_time="$seconds" "$bin/corpus/$t" $dirs >"$log" 2>&1
	fi
	rc=$?
	rm -rf "$TMPDIR"
	unset TMPDIR
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if [ "$rc" = 0 ] && [ "$regress" = 1 ]; then
		echo "fuzz $t: ok: $kept kept inputs replayed (log: $shown)"
	elif [ "$rc" = 0 ]; then
		echo "fuzz $t: ok: ${runs:-?} inputs run, ${cov:-cov: ?} (log: $shown)"
	else
		echo "fuzz $t: FAIL (exit $rc), from $shown:"
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
