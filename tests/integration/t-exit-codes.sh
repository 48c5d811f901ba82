#!/bin/bash
# Exit statuses as docker's (B16), refusing bad input up front (B25, B29). Not root (B36): t-rootless.sh.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup

t_exit_n() {
	gph_run run --rootfs "$R" /bin/sh -c 'exit 7'
	expect_rc 7
}

t_not_found() {
	gph_run run --rootfs "$R" /nope
	expect_rc 127 || return 1
	expect_err_message || return 1
	expect_err 'nope' || return 1
	expect_clean
}

t_not_executable() {
	printf '#!/bin/sh\necho should not run\n' >"$R/bin/notexec"
	chmod 0644 "$R/bin/notexec"
	gph_run run --rootfs "$R" /bin/notexec
	expect_rc 126 || return 1
	expect_err_message || return 1
	expect_no_line "should not run" || return 1
	expect_clean
}

t_segv_with_init() {
	gph_run run --rootfs "$R" --init /bin/sh -c 'kill -SEGV $$'
	expect_rc 139
}

t_probe_sig_with_init() {
	gph_run run --rootfs "$R" --init /bin/probe sig ABRT
	expect_rc 134
}

t_killed_from_host() {
	local pid
	gph_bg kill9 run --rootfs "$R" /bin/probe sleep 30
	if ! wait_until 10 probe_running "sleep 30"; then
		fail "the container's probe never started"
		fail_file stderr "$GPH_TMP/kill9.err"
		return 1
	fi
	pid=$(probe_pids_matching "sleep 30" | head -n 1)
	kill -KILL "$pid"
	gph_bg_wait "$BG_PID" 10 || { fail "the runtime did not exit within 10 s after its container's main process was SIGKILLed"; return 1; }
	[ "$BG_RC" = 137 ] || { fail "exit status $BG_RC, expected 137"; fail_file stderr "$GPH_TMP/kill9.err"; return 1; }
	expect_clean
}

t_bad_option() {
	gph_run run --no-such-option --rootfs "$R" /bin/true
	expect_rc 125 || return 1
	expect_err_message
}

t_missing_rootfs() {
	local missing=$GPH_TMP/does-not-exist
	gph_run run --rootfs "$missing" /bin/true
	expect_rc 125 || return 1
	expect_err_message || return 1
	expect_err "$missing" || return 1
	[ ! -e "$missing" ] || { fail "$missing was created"; return 1; }
	expect_clean
}

t_bad_memory() {
	local v bad=0
	for v in 0 -1 1.5M 12X; do
		gph_run run --rootfs "$R" --memory "$v" /bin/true
		if [ "$RC" != 125 ] || ! grep -q '^gophernetes: ' <<<"$ERR"; then
			fail "--memory $v: expected status 125 and a message"
			show_last
			bad=1
		fi
	done
	[ "$bad" = 0 ] || return 1
	expect_clean
}

t_good_memory_forms() {
	local v bad=0
	for v in 64m 64M 65536k 64MiB 1g; do
		gph_run run --rootfs "$R" --memory "$v" /bin/true
		if [ "$RC" != 0 ]; then
			fail "--memory $v: expected status 0"
			show_last
			bad=1
		fi
	done
	[ "$bad" = 0 ]
}

# 64 bytes is the kernel's limit (and a DNS label may have 63, so use two labels).
HOST64=$(printf 'a%.0s' $(seq 31)).$(printf 'b%.0s' $(seq 32))
HOST65=$(printf 'a%.0s' $(seq 32)).$(printf 'b%.0s' $(seq 32))

t_hostname_65() {
	[ ${#HOST65} = 65 ] || { fail "test bug: HOST65 has ${#HOST65} bytes"; return 1; }
	gph_run run --rootfs "$R" --hostname "$HOST65" /bin/true
	expect_rc 125 || return 1
	expect_err_message || return 1
	expect_err '64' || return 1
	expect_clean
}

t_hostname_64() {
	[ ${#HOST64} = 64 ] || { fail "test bug: HOST64 has ${#HOST64} bytes"; return 1; }
	gph_run run --rootfs "$R" --hostname "$HOST64" /bin/hostname
	expect_rc 0 || return 1
	expect_line "$HOST64"
}

t_bad_hostname() {
	gph_run run --rootfs "$R" --hostname 'has space' /bin/true
	expect_rc 125 || return 1
	expect_err_message
}

tcase "sh -c 'exit 7' exits 7" t_exit_n
tcase "/nope: 127 with a message, nothing left" t_not_found
tcase "a file without x permission: 126, nothing left" t_not_executable
tcase "--init, sh kills itself with SIGSEGV: 139" t_segv_with_init
tcase "--init, probe raises SIGABRT: 134" t_probe_sig_with_init
tcase "main process SIGKILLed from the host: 137, nothing left" t_killed_from_host
tcase "unknown option: 125 with a message" t_bad_option
tcase "--rootfs that does not exist: 125 naming the path, nothing left (B29)" t_missing_rootfs
tcase "--memory 0, -1, 1.5M, 12X: 125 with a message, nothing left" t_bad_memory
tcase "--memory 64m 64M 65536k 64MiB 1g are accepted" t_good_memory_forms
tcase "--hostname of 65 bytes: 125 naming the 64-byte limit, nothing left (B25)" t_hostname_65
tcase "--hostname of 64 bytes is accepted and set" t_hostname_64
tcase "--hostname with a space: 125" t_bad_hostname
gph_finish
