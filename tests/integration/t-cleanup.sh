#!/bin/bash
# Nothing is left after a run, whatever way it ends (B19, B29); `gophernetes gc` collects what a
# SIGKILLed runtime left; `gophernetes ps` lists running containers.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup

t_after_success() {
	gph_run run --rootfs "$R" --memory 32M /bin/sh -c 'echo hi'
	expect_rc 0 || return 1
	expect_line hi || return 1
	expect_clean
}

t_after_failure() {
	gph_run run --rootfs "$R" --memory 32M /bin/sh -c 'exit 3'
	expect_rc 3 || return 1
	expect_clean || return 1
	gph_run run --rootfs "$R" --memory 32M /nope
	expect_rc 127 || return 1
	expect_clean
}

t_many_runs() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		gph_run run --rootfs "$R" /bin/true
		expect_rc 0 || { fail "(run $i)"; return 1; }
	done
	expect_clean
}

t_ps_lists() {
	local t0 bad=0 p
	gph_bg ps run --rootfs "$R" --init --name lister /bin/probe sleep 30
	# Once the command runs (before that the PID column may still be empty), ps lists it.
	if ! wait_until 10 probe_running "sleep 30" || ! wait_until 5 ps_find lister; then
		fail "'gophernetes ps' never listed the running container named lister:" "$PS_OUT"
		fail_file stderr "$GPH_TMP/ps.err"
		return 1
	fi
	read -r -a h <<<"$(head -n 1 <<<"$PS_OUT")"
	[ "${h[*]}" = "ID NAME PID COMMAND STARTED" ] || { fail "ps header is '${h[*]}'"; bad=1; }
	[[ $PS_ID =~ ^[0-9a-f]{12}$ ]] || { fail "id '$PS_ID' is not 12 hex digits"; bad=1; }
	[ "$PS_NAME" = lister ] || { fail "name column is '$PS_NAME'"; bad=1; }
	if [[ $PS_PID =~ ^[0-9]+$ ]] && [ -d "/proc/$PS_PID" ]; then :; else
		fail "pid column '$PS_PID' is not a live process"; bad=1
	fi
	grep -q 'probe' <<<"$PS_LINE" || { fail "command column lacks the command"; bad=1; }
	[ "$bad" = 0 ] || { fail "ps: $PS_OUT"; return 1; }
	# Its hostname defaults to the id shown.
	p=$(probe_pids_matching "sleep 30" | head -n 1)
	[ -n "$p" ] || { fail "probe not running"; return 1; }
	t0=$(nsenter -t "$p" -u hostname 2>/dev/null)
	[ "$t0" = "$PS_ID" ] || { fail "the container's hostname '$t0' is not its id $PS_ID"; return 1; }
	kill -TERM "$BG_PID"
	gph_bg_wait "$BG_PID" 10 || { fail "did not stop on SIGTERM"; return 1; }
	ps_find lister && { fail "still listed after it stopped: $PS_LINE"; return 1; }
	expect_clean
}

t_gc_after_sigkill() {
	local id cgs
	gph_bg victim run --rootfs "$R" --memory 32M --name victim /bin/probe sleep 100
	if ! wait_until 10 ps_find victim || ! wait_until 10 probe_running "sleep 100"; then
		fail "the container never showed up in ps with its probe running:" "$PS_OUT"
		fail_file stderr "$GPH_TMP/victim.err"
		return 1
	fi
	id=$PS_ID
	kill -KILL "$BG_PID"
	gph_bg_wait "$BG_PID" 5 || { fail "SIGKILLed runtime still there"; return 1; }
	# The premise: a SIGKILLed runtime cannot clean up, so its leftovers are there now.
	cgs=$(find /sys/fs/cgroup -type d -path "*/gophernetes/$id" 2>/dev/null)
	[ -d "$GPH_STATE_DIR/$id" ] || fail "(no state entry $GPH_STATE_DIR/$id after the SIGKILL)"
	[ -n "$cgs" ] || fail "(no cgroup .../gophernetes/$id after the SIGKILL)"

	gph_run gc
	expect_rc 0 || return 1
	if [ -d "$GPH_STATE_DIR/$id" ] || [ -n "$cgs" ]; then
		grep -q "^removed $id" <<<"$OUT" || { fail "gc did not print 'removed $id ...'"; show_last; return 1; }
	fi
	probe_running "sleep 100" && { fail "the container's process survived gc"; return 1; }
	expect_clean || return 1

	gph_run gc
	expect_rc 0 || return 1
	grep -q '^removed' <<<"$OUT" && { fail "a second gc still removed something"; show_last; return 1; }
	return 0
}

t_gc_leaves_running_alone() {
	local id
	gph_bg alive run --rootfs "$R" --init --name alive /bin/probe sleep 30
	if ! wait_until 10 ps_find alive || ! wait_until 10 probe_running "sleep 30"; then
		fail "the container never showed up"
		return 1
	fi
	id=$PS_ID
	gph_run gc
	expect_rc 0 || return 1
	grep -q "$id" <<<"$OUT" && { fail "gc touched a live container"; show_last; return 1; }
	probe_running "sleep 30" || { fail "gc killed a live container"; return 1; }
	[ -d "$GPH_STATE_DIR/$id" ] || { fail "gc removed a live container's state"; return 1; }
	kill -TERM "$BG_PID"
	gph_bg_wait "$BG_PID" 10 || { fail "did not stop on SIGTERM"; return 1; }
	[ "$BG_RC" = 143 ] || { fail "exit status $BG_RC after SIGTERM, expected 143"; return 1; }
	expect_clean
}

tcase "after a successful run: no cgroup, no state, mounts unchanged" t_after_success
tcase "after failing runs (exit 3, /nope): nothing left" t_after_failure
tcase "ten runs in a row: nothing left (B19)" t_many_runs
tcase "ps: header, id, name, pid, command of a running container" t_ps_lists
tcase "runtime SIGKILLed: gc removes its cgroup and state and says so; second gc has nothing to do" t_gc_after_sigkill
tcase "gc leaves a running container alone" t_gc_leaves_running_alone
gph_finish
