#!/bin/bash
# collect.sh CONSOLE_LOG QEMU_STATUS TIMEOUT_SECS [QEMU_STDERR] — judge a v2 lane run from its
# serial log (the "@@V2VM-" lines stage2.sh prints) and print the summary.
#
# Exit status 0 only if: the VM got to the end ("@@V2VM-RESULT rc=0"), /sys/fs/cgroup was
# cgroup2fs with the memory, pids, cpu and io controllers and no v1 hierarchy mounted, and
# every step passed. Otherwise it says what happened: no boot, kernel panic, timeout (and in
# which step), a failing step (with the failing test cases).
# V2VM_T_PREPARE / V2VM_T_VM / V2VM_T_TOTAL (seconds, from run.sh) are printed when set.
set -u
log=${1:?usage: collect.sh CONSOLE_LOG QEMU_STATUS TIMEOUT_SECS [QEMU_STDERR]}
qrc=${2:?qemu status}
limit=${3:?timeout}
qerr=${4:-}

problems=()
problem() { problems+=("$*"); }
val() { sed -n "s/^@@V2VM-$1 //p" "$log" | tail -n 1; }

panic_line() { grep -m 1 -E 'Kernel panic|BUG: |Oops|general protection fault' "$log"; }
tail_of_log() {
	echo "--- last lines of $log:"
	tail -n "${1:-25}" "$log" | sed 's/^/  /'
	echo "---"
}

[ -f "$log" ] || { echo "check-v2: FAILED — no console log $log"; exit 1; }

echo
echo "=== cgroup v2 lane (qemu, TCG) ==="
result=$(val RESULT)
if ! grep -q '^@@V2VM-STAGE1' "$log"; then
	# The kernel never ran our /init.
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		problem "the VM timed out after ${limit}s before the kernel started /init"
	elif [ -n "$(panic_line)" ]; then
		problem "the kernel panicked before /init ran: $(panic_line)"
	else
		problem "qemu exited with status $qrc before the kernel started /init"
	fi
	[ -n "$qerr" ] && [ -s "$qerr" ] && { echo "qemu's stderr:"; sed 's/^/  /' "$qerr"; }
	tail_of_log 40
elif [ -z "$result" ]; then
	fatal=$(val FATAL)
	# The step that began and did not end.
	running=$(awk '/^@@V2VM-STEP-BEGIN / { s = $2 } /^@@V2VM-STEP / { if ($2 == s) s = "" } END { print s }' "$log")
	where=""
	[ -n "$running" ] && where=" during step '$running'"
	if [ -n "$fatal" ]; then
		problem "the VM's init failed: $fatal"
	elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		problem "the VM timed out after ${limit}s (V2VM_TIMEOUT)$where"
	elif [ -n "$(panic_line)" ]; then
		problem "the kernel panicked$where: $(panic_line)"
		grep -q '^@@V2VM-BOOTED' "$log" ||
			problem "stage 2 (/etc/v2vm/stage2.sh, run by bash) died before it booted: is bash or a library it needs missing from the initramfs?"
	else
		problem "the VM stopped without printing a result (qemu exit status $qrc)$where"
	fi
	tail_of_log 30
fi

# Pure v2, with the controllers the tests need.
if grep -q '^@@V2VM-BOOTED' "$log"; then
	fs=$(val CGROUP-FS)
	ctl=$(val CGROUP-CONTROLLERS)
	v1=$(val CGROUP-V1-MOUNTS)
	echo "kernel:      $(val BOOTED)"
	echo "cgroup:      /sys/fs/cgroup is ${fs:-?}; controllers: ${ctl:-?}; tests in the $(val CGROUP-LAYOUT) cgroup"
	[ "$fs" = cgroup2fs ] || problem "/sys/fs/cgroup in the VM is '${fs:-?}', not cgroup2fs"
	for c in memory pids cpu io; do
		[[ " $ctl " == *" $c "* ]] || problem "the VM's root cgroup lacks the $c controller (has: $ctl)"
	done
	[ "${v1:-0}" = 0 ] || problem "$v1 cgroup v1 hierarchies are mounted in the VM"
	mode=$(val MODE)
	[ -n "$mode" ] && echo "mode:        gophernetes-shell says: $mode"
	grep '^@@V2VM-WARN' "$log" | sed 's/^@@V2VM-WARN /warning:     /'
fi

# Per-step results.
if grep -q '^@@V2VM-STEP ' "$log"; then
	echo "steps:"
	while read -r _ name rcf secf rest; do
		rc=${rcf#rc=}
		printf '  %-10s %-6s %6ss %s\n' "$name" "$([ "$rc" = 0 ] && echo ok || echo FAILED)" "${secf#secs=}" "$rest"
		[ "$rc" = 0 ] || problem "step '$name' failed (status $rc)"
	done < <(grep '^@@V2VM-STEP ' "$log")
fi

# The integration suite: its summary line and the failing cases.
suite=$(awk '/^@@V2VM-STEP-BEGIN suite$/ { on = 1; next } /^@@V2VM-STEP suite / { on = 0 } on' "$log")
if grep -q '^@@V2VM-STEP-BEGIN suite$' "$log"; then
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$suite" | tail -n 1)
	echo "integration: ${summary:-no summary line (the suite did not finish)}"
	grep -E '^# t-.*: [0-9]+ passed, [0-9]+ failed' <<<"$suite" | sed 's/^# /  /'
	if grep -q '^not ok' <<<"$suite"; then
		echo "failing cases (diagnostics above and in $log):"
		grep '^not ok' <<<"$suite" | sed 's/^/  /'
	fi
	if [ -n "$summary" ] && [ "${summary%% *}" = 0 ]; then
		problem "the integration suite passed no test case"
	fi
fi
lessons=$(awk '/^@@V2VM-STEP-BEGIN lessons$/ { on = 1; next } /^@@V2VM-STEP lessons / { on = 0 } on' "$log" |
	grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
[ -n "$lessons" ] && echo "lessons:     $lessons"

if [ -n "${V2VM_T_TOTAL:-}" ]; then
	boot=$(val BOOTED | sed -n 's/.*uptime=\([0-9.]*\).*/\1/p')
	echo "time:        ${V2VM_T_TOTAL}s in all: ${V2VM_T_PREPARE}s kernel+initramfs, ${V2VM_T_VM}s in qemu (kernel to init ${boot:-?}s)"
fi

if [ -n "$result" ]; then
	[ "${result%% *}" = "rc=0" ] || problem "the VM reported ${result}"
	grep -q '^@@V2VM-STEP ' "$log" || problem "the VM ran no step (V2VM_STEPS)"
fi
if [ ${#problems[@]} -gt 0 ]; then
	echo "check-v2: FAILED"
	printf '  - %s\n' "${problems[@]}"
	echo "  (full serial log: $log)"
	exit 1
fi
echo "check-v2: passed (full serial log: $log)"
exit 0
