#!/bin/bash
# `show` as a picture and `show --json`, and the `score` board, for sandboxes built step by step in
# gophernetes-shell. Everything the picture prints is checked against what the kernel says outside
# (this test's namespaces, the namespaces an exec'd command has); the score lines must turn green
# exactly as the steps that close each hole are applied. This file runs in a network namespace of
# its own that plays the host.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns net
gph_setup

command -v jq >/dev/null || bail "jq missing (make test-deps installs it)"
command -v script >/dev/null || bail "script(1) missing (apt-get install bsdutils)"

script_of() { printf '%s\n' "$@" >"$GPH_TMP/cmds"; }

# The picture's row for namespace KIND: "host sandbox state".
ns_row() { grep -E "^  $1 +$1:\[" <<<"$OUT" | head -n 1 | awk '{ print $2, $3, $4 }'; }

t_picture_fresh() {
	local k row
	script_of 'show'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	expect_rc 0 || return 1
	# A fresh sandbox has nothing of its own: every namespace is the host's, inode for inode.
	for k in pid uts mnt ipc net cgroup user; do
		row=$(ns_row "$k")
		[ "$row" = "$(host_ns "$k") $(host_ns "$k") shared" ] ||
			{ fail "fresh $k row is '$row', expected the host's $(host_ns "$k") twice and shared"; show_last; return 1; }
	done
	grep -qE '^  hostname +[^ ]+ +[^ ]+ +the host.s$' <<<"$OUT" || { fail "hostname row"; show_last; return 1; }
	grep -qE '^  mounts +[0-9]+ +[0-9]+ +host root file system reachable$' <<<"$OUT" ||
		{ fail "a fresh sandbox must show the host's root file system as reachable"; show_last; return 1; }
	grep -qE '^  memory +\[\.{20}\] .* used, no limit$' <<<"$OUT" || { fail "memory without a limit"; show_last; return 1; }
	grep -qE '^network shared with the host$' <<<"$OUT" || { fail "network row"; show_last; return 1; }
	grep -q $'\033' <<<"$OUT" && { fail "escape codes in output that is not a terminal"; show_last; return 1; }
	expect_clean
}

t_picture_built() {
	local k row host sbx inside json
	script_of 'ns pid uts mnt ipc net' 'hostname box' 'pivot_root ./rootfs' 'mount proc' 'cgroup mem 32M' \
		'cgroup pids 20' 'cgroup cpu 0.5' 'net veth' 'show' \
		"exec /bin/sh -c 'for k in uts mnt ipc net; do readlink /proc/self/ns/\$k; done; echo NS-DONE'" \
		'show --json'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	expect_rc 0 || return 1
	# The exec'd command has the sandbox's uts, ipc and net namespaces; its mnt is a per-exec copy.
	inside=$(grep -E '^(uts|mnt|ipc|net):\[' <<<"$OUT")
	for k in uts ipc net mnt; do
		row=$(ns_row "$k")
		host=${row%% *} sbx=$(awk '{ print $2 }' <<<"$row")
		[ "$host" = "$(host_ns "$k")" ] || { fail "$k: host column $host, this test is in $(host_ns "$k")"; show_last; return 1; }
		[ "$sbx" != "$host" ] && [ "${row##* }" = isolated ] || { fail "$k row not isolated: $row"; show_last; return 1; }
		if [ "$k" != mnt ]; then
			grep -qxF "$sbx" <<<"$inside" || { fail "$k: picture says $sbx, the exec'd command is in another"; show_last; return 1; }
		fi
	done
	grep -qE '^  pid +pid:\[[0-9]+\] +pid:\[[0-9]+\] +shared; each exec gets its own' <<<"$OUT" ||
		{ fail "pid row should say each exec gets its own"; show_last; return 1; }
	grep -qE '^  hostname +[^ ]+ +box +own$' <<<"$OUT" || { fail "hostname row"; show_last; return 1; }
	grep -qE '^  root +/ +/ \(pivot_root\)$' <<<"$OUT" || { fail "root row"; show_last; return 1; }
	grep -qE '^  mounts +[0-9]+ +2 +host root file system not reachable$' <<<"$OUT" ||
		{ fail "after pivot_root and mount proc: 2 mounts, host root not reachable"; show_last; return 1; }
	grep -qE '^  memory +\[#+\.*\] [0-9.]+[BKMG] of 32M \([0-9]+%\)$' <<<"$OUT" || { fail "memory usage bar"; show_last; return 1; }
	grep -qE '^  pids +\[#+\.*\] 1 of 20 \(5%\)$' <<<"$OUT" || { fail "pids usage bar"; show_last; return 1; }
	grep -qE '^  cpu +0\.50 CPU \(quota 50000 us per 100000 us\)$' <<<"$OUT" || { fail "cpu row"; show_last; return 1; }
	grep -qE '^  path +veth gph-[0-9a-f]{8} 10\.200\.[0-9]+\.1/30 \(up\) ↔ eth0 10\.200\.[0-9]+\.2/30 \(up\)$' <<<"$OUT" ||
		{ fail "network path host veth <-> eth0 with addresses"; show_last; return 1; }
	grep -qE '^  +default via 10\.200\.[0-9]+\.1 dev eth0$' <<<"$OUT" || { fail "default route inside"; show_last; return 1; }
	# The JSON: the line after the echoed command, valid, and the same facts.
	json=$(sed -n '/^gph> show --json$/{n;p;}' <<<"$OUT")
	jq -e . >/dev/null <<<"$json" || { fail "show --json is not valid JSON: $json"; return 1; }
	sbx=$(ns_row uts | awk '{ print $2 }')
	jq -e --arg u "$sbx" --arg h "$(host_ns uts)" '
		.namespaces.uts.sandbox == $u and .namespaces.uts.host == $h and .namespaces.uts.state == "isolated"
		and .namespaces.user.state == "shared" and .namespaces.pid.new_per_exec == true
		and .hostname.sandbox == "box" and .root.how == "pivot_root" and .root.host_root_reachable == false
		and .cgroup.memory.max == 33554432 and .cgroup.memory.current > 0 and .cgroup.pids.max == 20
		and .cgroup.cpu.quota_us == 50000 and .cgroup.cpu.period_us == 100000
		and .network.path[0].role == "host_veth" and (.network.path[0].addresses[0] | test("^10\\.200\\.[0-9]+\\.1/30$"))
		and .network.path[1].name == "eth0" and .network.path[1].up == true' >/dev/null <<<"$json" ||
		{ fail "show --json facts differ from the picture's:" "$json"; return 1; }
	expect_clean
}

t_chroot_leaves_host_root() {
	script_of 'ns mnt' 'chroot ./rootfs' 'show'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	expect_rc 0 || return 1
	grep -qE '^  root +/ +.* \(chroot\)$' <<<"$OUT" || { fail "root row after chroot"; show_last; return 1; }
	grep -qE '^  mounts +[0-9]+ +[0-9]+ +host root file system reachable$' <<<"$OUT" ||
		{ fail "after chroot the host's root file system is still mounted in the namespace"; show_last; return 1; }
	expect_clean
}

# Run the shell on a pseudo-terminal (script(1)), NO_COLOR as given ("" = unset).
on_pty() {
	local nc=$1
	(cd "$GPH_TMP" && if [ -n "$nc" ]; then export NO_COLOR=$nc; else unset NO_COLOR; fi &&
		timeout -k 5 "$GPH_WAIT" script -qec "$GPH_SHELL_BIN --rootfs $R $GPH_TMP/cmds" /dev/null \
		</dev/null >"$GPH_TMP/out" 2>"$GPH_TMP/err")
	RC=$?
	OUT=$(tr -d '\r' <"$GPH_TMP/out") ERR=$(cat "$GPH_TMP/err") LAST_CMD="script gophernetes-shell (NO_COLOR=$nc)"
}

t_colour_and_no_color() {
	script_of 'ns uts' 'show' 'score'
	on_pty ""
	expect_rc 0 || return 1
	grep -q $'\033\\[3[12]m' <<<"$OUT" || { fail "no colour on a terminal"; show_last; return 1; }
	grep -q $'^\033\\[32m✓\033\\[0m host name safe (ns uts)$' <<<"$OUT" || { fail "green ✓ on a terminal"; show_last; return 1; }
	on_pty 1
	expect_rc 0 || return 1
	grep -q $'\033' <<<"$OUT" && { fail "NO_COLOR=1 still printed escape codes"; show_last; return 1; }
	grep -qxF '✓ host name safe (ns uts)' <<<"$OUT" || { fail "plain ✓ line with NO_COLOR"; show_last; return 1; }
	grep -qE '^  uts +uts:\[[0-9]+\] +uts:\[[0-9]+\] +isolated$' <<<"$OUT" || { fail "plain picture with NO_COLOR"; show_last; return 1; }
	expect_clean
}

# score_after STEPS...: one fresh shell that applies the steps, then `score why`.
score_after() {
	script_of "$@" 'score why'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	expect_rc 0
}

# expect_board "✗ line" ...: these exact lines are on the board.
expect_board() {
	local l
	for l in "$@"; do
		grep -qxF -- "$l" <<<"$OUT" || { fail "expected the score line '$l'"; show_last; return 1; }
	done
}

t_score_fresh_all_red() {
	score_after || return 1
	expect_board '✗ host processes visible (ns pid)' '✗ host mounts visible (ns mnt)' '✗ host can be renamed (ns uts)' \
		'✗ host network shared (ns net)' '✗ host IPC shared (ns ipc)' '✗ memory unlimited (cgroup mem)' \
		'✗ fork bomb unbounded (cgroup pids)' '✗ kernel modules loadable (cap default)' \
		'✗ host disk nodes creatable (cap default)' '✗ host user IDs shared (ns user)' \
		'✗ host kernel settings writable (mask on)' '✗ no system call filter (seccomp default)' \
		'score: 0 of 12 green' || return 1
	# The evidence names the host's own namespaces: decided by identity.
	grep -qxF "    same PID namespace as the host ($(host_ns pid)); /proc lists $(grep -oE 'lists [0-9]+' <<<"$OUT" | head -n1 | cut -d' ' -f2) processes" <<<"$OUT" ||
		{ fail "pid evidence should name the host's PID namespace $(host_ns pid)"; show_last; return 1; }
	[ "$(hostname)" = "$HOST_HOSTNAME" ] || { fail "the host's hostname changed to $(hostname)"; return 1; }
	expect_clean
}

t_score_turns_green_step_by_step() {
	score_after 'ns pid' || return 1
	expect_board '✓ host processes hidden (ns pid)' '✗ host mounts visible (ns mnt)' 'score: 1 of 12 green' || return 1
	grep -qE '^    own PID namespace pid:\[[0-9]+\], PID 1 inside' <<<"$OUT" || { fail "the probe should be PID 1 of its own"; show_last; return 1; }
	# chroot is not enough: the host's root file system stays mounted in the namespace.
	score_after 'ns uts mnt ipc net' 'chroot ./rootfs' || return 1
	expect_board '✗ host mounts visible (pivot_root)' '✓ host name safe (ns uts)' '✓ host network separate (ns net)' \
		'✓ host IPC separate (ns ipc)' || return 1
	score_after 'ns pid uts mnt ipc net' 'pivot_root ./rootfs' 'mount proc' 'cgroup mem 32M' 'cgroup pids 20' || return 1
	expect_board '✓ host mounts hidden (pivot_root)' '✓ memory limited (cgroup mem)' '✓ fork bomb bounded (cgroup pids)' \
		'✗ kernel modules loadable (cap default)' '✗ host kernel settings writable (mask on)' \
		'✗ no system call filter (seccomp default)' 'score: 7 of 12 green' || return 1
	grep -qxF '    at most 33554432 bytes (using '"$(grep -oE 'bytes \(using [0-9]+' <<<"$OUT" | head -n1 | grep -oE '[0-9]+$')"' now)' <<<"$OUT" ||
		{ fail "memory evidence"; show_last; return 1; }
	# What `run` applies: only the user namespace is left red.
	score_after 'ns pid uts mnt ipc net' 'pivot_root ./rootfs' 'mount proc' 'cgroup mem 32M' 'cgroup pids 20' \
		'cap default' 'seccomp default' 'mask on' || return 1
	expect_board '✓ host processes hidden (ns pid)' '✓ host mounts hidden (pivot_root)' '✓ host name safe (ns uts)' \
		'✓ host network separate (ns net)' '✓ host IPC separate (ns ipc)' '✓ memory limited (cgroup mem)' \
		'✓ fork bomb bounded (cgroup pids)' '✓ kernel modules blocked (cap default)' \
		'✓ host disk nodes blocked (cap default)' '✗ host user IDs shared (ns user)' \
		'✓ host kernel settings read-only (mask on)' '✓ system calls filtered (seccomp default)' \
		'score: 11 of 12 green' || return 1
	expect_clean
}

t_score_capabilities_and_filter() {
	# CAP_SYS_ADMIN alone: the host can be renamed, modules and nodes stay out of reach.
	score_after 'cap default' 'cap add SYS_ADMIN' || return 1
	expect_board '✓ kernel modules blocked (cap default)' '✓ host disk nodes blocked (cap default)' '✗ host can be renamed (ns uts)' || return 1
	# The default filter leaves module loading and sethostname alone for a holder of the capability
	# (as Docker's does), so with CAP_SYS_MODULE and CAP_SYS_ADMIN both stay open.
	score_after 'cap default' 'cap add SYS_ADMIN SYS_MODULE' 'seccomp default' || return 1
	expect_board '✓ system calls filtered (seccomp default)' '✗ host can be renamed (ns uts)' '✗ kernel modules loadable (cap default)' || return 1
	grep -qxF '    CAP_SYS_MODULE over the host'"'"'s user namespace, and the filter lets it through' <<<"$OUT" ||
		{ fail "modules evidence with a filter that lets init_module through"; show_last; return 1; }
	# A non-root user has no capabilities, but without no_new_privs a setuid-root program gives back
	# what the bounding set holds.
	score_after 'cap default' 'user 1000' || return 1
	expect_board '✓ kernel modules blocked (cap default)' || return 1
	score_after 'cap default' 'cap add SYS_MODULE SYS_ADMIN' 'user 1000' || return 1
	expect_board '✗ kernel modules loadable (cap default)' '✗ host can be renamed (ns uts)' || return 1
	score_after 'cap default' 'cap add SYS_MODULE SYS_ADMIN' 'user 1000' 'nnp on' || return 1
	expect_board '✓ kernel modules blocked (cap default)' '✓ host name safe (cap default)' || return 1
	expect_clean
}

t_score_user_namespace() {
	score_after 'ns user' 'ns pid uts mnt ipc net' || return 1
	expect_board '✓ user IDs mapped (ns user)' '✓ kernel modules blocked (ns user)' '✓ host disk nodes blocked (ns user)' || return 1
	expect_clean
}

t_show_bad_part() {
	script_of 'show everything' 'score loudly'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	[ "$RC" != 0 ] || { fail "bad arguments must fail"; show_last; return 1; }
	grep -qF 'show [ns|mounts|cgroup|net|caps|all|--json]' <<<"$OUT$ERR" || { fail "the show hint"; show_last; return 1; }
	grep -qF 'usage: score [why]' <<<"$OUT$ERR" || { fail "score usage"; show_last; return 1; }
	expect_clean
}

tcase "show: a fresh sandbox is the host's, inode for inode; host root reachable; no limits; no colour in a pipe" t_picture_fresh
tcase "show: built step by step — inodes match the exec'd command's, bars for mem/pids, cpu, veth path; --json parses and agrees" t_picture_built
tcase "show: after chroot the host's root file system is still reachable" t_chroot_leaves_host_root
tcase "show/score: colour on a terminal, none with NO_COLOR" t_colour_and_no_color
tcase "score: a fresh sandbox is all red, decided by namespace identity; the host keeps its name" t_score_fresh_all_red
tcase "score: lines turn green as ns, pivot_root, cgroup, cap, seccomp and mask steps are applied" t_score_turns_green_step_by_step
tcase "score: capabilities, no_new_privs and the filter decide modules, nodes and renaming" t_score_capabilities_and_filter
ucase "score: a user namespace maps root away" t_score_user_namespace
tcase "show/score: bad arguments are refused with the usage" t_show_bad_part
gph_finish
