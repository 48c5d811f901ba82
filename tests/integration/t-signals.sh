#!/bin/bash
# Signals to the runtime reach the container (B14); --init reaps orphans (B15); nothing of ours
# keeps running afterwards.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup

# start_sleeper TAG ARGS...: a runtime in the background whose container runs probe sleep 100;
# returns once the probe runs.
start_sleeper() {
	local tag=$1
	shift
	gph_bg "$tag" run --rootfs "$R" "$@" /bin/probe sleep 100
	if ! wait_until 10 probe_running "sleep 100"; then
		fail "the container's probe never started"
		fail_file stderr "$GPH_TMP/$tag.err"
		return 1
	fi
}

# signal_runtime SIG SECONDS: send SIG to the runtime, wait at most SECONDS; ELAPSED_MS, BG_RC.
signal_runtime() {
	local t0
	t0=$(now_ms)
	kill "-$1" "$BG_PID"
	if ! gph_bg_wait "$BG_PID" "$2"; then
		fail "the runtime still runs $2 s after SIG$1"
		return 1
	fi
	ELAPSED_MS=$(( $(now_ms) - t0 ))
}

t_term_with_init() {
	start_sleeper term --init || return 1
	signal_runtime TERM 5 || return 1
	[ "$BG_RC" = 143 ] || { fail "exit status $BG_RC, expected 143"; fail_file stderr "$GPH_TMP/term.err"; return 1; }
	[ "$ELAPSED_MS" -le 3000 ] || { fail "took ${ELAPSED_MS} ms to stop, expected a prompt stop"; return 1; }
	# 143 must be the container's status reported by a runtime that cleaned up — not the
	# runtime itself dying of SIGTERM and leaving the container behind.
	expect_clean
}

t_hup_with_init() {
	start_sleeper hup --init || return 1
	signal_runtime HUP 5 || return 1
	[ "$BG_RC" = 129 ] || { fail "exit status $BG_RC, expected 129"; fail_file stderr "$GPH_TMP/hup.err"; return 1; }
	expect_clean
}

t_term_escalates() {
	# Without --init the probe is PID 1 and has no handler: the kernel drops SIGTERM, so the
	# runtime must escalate to SIGKILL after the stop timeout.
	start_sleeper esc --stop-timeout 1 || return 1
	signal_runtime TERM 8 || return 1
	[ "$BG_RC" = 137 ] || { fail "exit status $BG_RC, expected 137 (SIGKILL after the stop timeout)"; fail_file stderr "$GPH_TMP/esc.err"; return 1; }
	[ "$ELAPSED_MS" -ge 800 ] || { fail "stopped after ${ELAPSED_MS} ms, before the 1 s stop timeout"; return 1; }
	grep -qi 'kill' "$GPH_TMP/esc.err" || { fail "the runtime did not say it escalated to SIGKILL"; fail_file stderr "$GPH_TMP/esc.err"; return 1; }
	expect_clean
}

t_init_reaps_orphans() {
	gph_run run --rootfs "$R" --init /bin/sh -c '/bin/probe fork-orphans 5; sleep 1; /bin/probe zombies'
	expect_rc 0 || return 1
	expect_line "orphaned 5" || return 1
	expect_line 0 || return 1
	expect_clean
}

t_init_is_pid1() {
	# With --init the command is the init's child: PID 2, parent PID 1.
	gph_run run --rootfs "$R" --init /bin/sh -c 'echo $$; echo $PPID'
	expect_rc 0 || return 1
	[ "$OUT" = $'2\n1' ] || { fail "expected the command to be pid 2 with parent 1"; show_last; return 1; }
}

t_no_defunct_children() {
	local p bad=0
	gph_bg many run --rootfs "$R" --init /bin/sh -c '/bin/probe fork-orphans 20; /bin/probe sleep 0.5'
	gph_bg_wait "$BG_PID" 15 || { fail "the runtime did not finish"; return 1; }
	[ "$BG_RC" = 0 ] || { fail "exit status $BG_RC"; fail_file stderr "$GPH_TMP/many.err"; return 1; }
	# Nothing that ran our rootfs's binaries is left, zombie or alive.
	for p in $(our_container_pids); do
		fail "left: pid $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
		bad=1
	done
	[ "$bad" = 0 ] || return 1
	expect_clean
}

tcase "--init: SIGTERM to the runtime stops the container promptly, 143 (B14)" t_term_with_init
tcase "--init: SIGHUP to the runtime is forwarded, 129" t_hup_with_init
tcase "no --init, --stop-timeout 1: SIGTERM escalates to SIGKILL, 137, says so" t_term_escalates
tcase "--init reaps orphaned grandchildren: 0 zombies (B15)" t_init_reaps_orphans
tcase "--init: the command is PID 2 under the init" t_init_is_pid1
tcase "after a run with orphans, no process of ours remains" t_no_defunct_children
gph_finish
