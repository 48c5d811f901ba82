#!/bin/bash
# gophernetes-shell, non-interactive: commands from stdin, each echoed after the prompt; steps act
# on the kernel at once and `show` reads them back; host-changing steps are refused; the exit
# status says whether every command succeeded; nothing is left afterwards.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup

script() { printf '%s\n' "$@" >"$GPH_TMP/cmds"; }

# The namespace inode numbers of kind NS (e.g. "uts") printed anywhere in the output.
ns_inodes() { grep -oE "$1:\[[0-9]+\]" <<<"$OUT$ERR" | sort -u; }

t_walkthrough() {
	local ns host others bad=0 c
	script 'ns pid uts mnt' 'hostname box' 'pivot_root ./rootfs' 'mount proc' 'cgroup mem 32M' \
		'show' "exec /bin/sh -c 'echo \$\$; hostname'"
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	expect_rc 0 || return 1
	expect_line 1 || return 1
	expect_line box || return 1
	# Each command is echoed.
	while IFS= read -r c; do
		grep -qF -- "$c" <<<"$OUT" || { fail "command not echoed: $c"; bad=1; }
	done <"$GPH_TMP/cmds"
	# show printed real namespace inodes, and for uts and mnt one that is not the host's.
	for ns in uts mnt; do
		host=$(host_ns "$ns")
		others=$(ns_inodes "$ns" | grep -vxF "$host")
		[ -n "$others" ] || { fail "show printed no $ns namespace other than the host's $host"; bad=1; }
	done
	[ "$bad" = 0 ] || { show_last; return 1; }
	[ "$(hostname)" = "$HOST_HOSTNAME" ] || { fail "the host's hostname changed to $(hostname)"; return 1; }
	expect_clean
}

t_hostname_needs_uts() {
	script 'hostname box'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	[ "$RC" != 0 ] || { fail "the shell reported success"; show_last; return 1; }
	[ "$RC" != 124 ] || { fail "the shell hung"; show_last; return 1; }
	grep -q 'ns uts' <<<"$OUT$ERR" || { fail "the refusal does not mention 'ns uts'"; show_last; return 1; }
	[ "$(hostname)" = "$HOST_HOSTNAME" ] || { fail "the host's hostname changed to $(hostname)"; return 1; }
	expect_clean
}

t_unknown_command() {
	script 'hostnme x'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	[ "$RC" != 0 ] || { fail "the shell reported success"; show_last; return 1; }
	grep -v 'hostnme x' <<<"$OUT$ERR" | grep -qw 'hostname' ||
		{ fail "no suggestion of 'hostname'"; show_last; return 1; }
	expect_clean
}

t_carries_on() {
	# A failing command does not stop the script; the status still says something failed.
	script 'hostnme x' 'ns uts' 'hostname box2' 'exec /bin/hostname'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	[ "$RC" != 0 ] || { fail "the shell reported success although a command failed"; show_last; return 1; }
	[ "$RC" != 124 ] || { fail "the shell hung"; show_last; return 1; }
	expect_line box2 || return 1
	[ "$(hostname)" = "$HOST_HOSTNAME" ] || { fail "the host's hostname changed to $(hostname)"; return 1; }
	expect_clean
}

t_exec_status_and_again() {
	# exec reports the status and returns to the prompt; the sandbox is still there for the next
	# exec, which is PID 1 again in a fresh PID namespace.
	script 'ns pid uts mnt' 'hostname again' 'pivot_root ./rootfs' 'mount proc' \
		"exec /bin/sh -c 'exit 3'" "exec /bin/sh -c 'echo \$\$; hostname'"
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	[ "$RC" != 124 ] || { fail "the shell hung"; show_last; return 1; }
	grep -qE 'status 3|exit(ed)? 3|code 3' <<<"$OUT$ERR" || { fail "the status 3 of the first exec was not shown"; show_last; return 1; }
	expect_line 1 || return 1
	expect_line again || return 1
	expect_clean
}

t_shell_file_arg() {
	# Commands from a FILE argument work like stdin.
	script 'ns uts' 'hostname fromfile' 'exec /bin/hostname'
	(cd "$GPH_TMP" && timeout -k 5 "$GPH_WAIT" "$GPH_SHELL_BIN" --rootfs "$R" "$GPH_TMP/cmds" \
		</dev/null >"$GPH_TMP/out" 2>"$GPH_TMP/err")
	RC=$?
	OUT=$(cat "$GPH_TMP/out") ERR=$(cat "$GPH_TMP/err") LAST_CMD="gophernetes-shell --rootfs R FILE"
	expect_rc 0 || return 1
	expect_line fromfile || return 1
	expect_clean
}

tcase "shell: ns, hostname, pivot_root, mount proc, cgroup mem, show, exec — PID 1 and box" t_walkthrough
tcase "shell: hostname without 'ns uts' is refused, naming 'ns uts'; host unchanged" t_hostname_needs_uts
tcase "shell: unknown command 'hostnme' suggests 'hostname', status non-zero" t_unknown_command
tcase "shell: carries on after a failed command, status non-zero" t_carries_on
tcase "shell: exec shows the status, the next exec is PID 1 again" t_exec_status_and_again
tcase "shell: commands from a FILE argument" t_shell_file_arg
gph_finish
