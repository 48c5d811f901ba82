#!/bin/bash
# gophernetes run: PID 1, hostname, only the container's processes in /proc, new namespaces,
# a clean environment.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup

t_pid1_and_default_hostname() {
	gph_run run --rootfs "$R" /bin/sh -c 'echo $$; hostname'
	expect_rc 0 || return 1
	expect_line 1 || return 1
	local host
	host=$(sed -n 2p <<<"$OUT")
	[[ $host =~ ^[0-9a-f]{12}$ ]] ||
		{ fail "default hostname '$host' is not a 12-hex-digit container id"; show_last; return 1; }
	[ "$host" != "$HOST_HOSTNAME" ] || fail "the container has the host's hostname"
}

t_hostname_option() {
	gph_run run --rootfs "$R" --hostname box /bin/probe hostname
	expect_rc 0 || return 1
	expect_line box || return 1
	[ "$(hostname)" = "$HOST_HOSTNAME" ] || fail "the host's hostname changed to $(hostname)"
}

t_probe_is_pid1() {
	gph_run run --rootfs "$R" /bin/probe pid
	expect_rc 0 || return 1
	expect_line 1
}

t_only_container_pids() {
	# The probe as PID 1 sees only itself.
	gph_run run --rootfs "$R" /bin/probe pids
	expect_rc 0 || return 1
	[ "$OUT" = 1 ] || { fail "expected /proc to list only pid 1"; show_last; return 1; }
	# Under sh (PID 1), the probe sees sh and itself: two entries, the first one 1.
	gph_run run --rootfs "$R" /bin/sh -c '/bin/probe pids; true'
	expect_rc 0 || return 1
	local pids
	read -r -a pids <<<"$OUT"
	if [ "${#pids[@]}" != 2 ] || [ "${pids[0]}" != 1 ]; then
		fail "expected /proc to list pid 1 and the probe, got: $OUT"
		show_last
		return 1
	fi
	# While the host has many more.
	[ "$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)" -gt 2 ] ||
		fail "the host shows as few processes as the container"
}

t_namespaces_differ() {
	gph_run run --rootfs "$R" /bin/sh -c 'for n in uts pid mnt net ipc cgroup; do /bin/probe ns $n; done'
	expect_rc 0 || return 1
	local ns inside bad=0
	for ns in uts pid mnt net ipc cgroup; do
		inside=$(grep "^$ns:" <<<"$OUT")
		if [ -z "$inside" ]; then
			fail "no $ns namespace line from the probe"
			bad=1
		elif [ "$inside" = "$(host_ns "$ns")" ]; then
			fail "$ns namespace is the host's: $inside"
			bad=1
		fi
	done
	[ "$bad" = 0 ] || show_last
}

t_clean_environment() {
	gph_run run --rootfs "$R" --hostname envbox /usr/bin/env
	expect_rc 0 || return 1
	local line var bad=0 seen=""
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		var=${line%%=*}
		seen+=" $var"
		case $var in
		PATH | HOME | TERM | HOSTNAME) ;;
		*) fail "unexpected variable in the container: $line"; bad=1 ;;
		esac
	done <<<"$OUT"
	for var in PATH HOME HOSTNAME; do
		[[ " $seen " == *" $var "* ]] || { fail "$var missing from the container's environment"; bad=1; }
	done
	grep -qx 'HOSTNAME=envbox' <<<"$OUT" || { fail "HOSTNAME is not the container's hostname"; bad=1; }
	grep -q GPH_SECRET <<<"$OUT" && { fail "the host's GPH_SECRET leaked into the container"; bad=1; }
	[ "$bad" = 0 ] || show_last
}

t_argv_passed_verbatim() {
	gph_run run --rootfs "$R" -- /bin/sh -c 'printf "[%s]\n" "$@"' sh 'a b' '' '--rootfs' '$HOME'
	expect_rc 0 || return 1
	[ "$OUT" = $'[a b]\n[]\n[--rootfs]\n[$HOME]' ] || { fail "arguments were changed on the way in"; show_last; }
}

tcase "run: sh is PID 1, default hostname is the 12-hex-digit id" t_pid1_and_default_hostname
tcase "run --hostname box: uname nodename is box, host unchanged" t_hostname_option
tcase "run /bin/probe pid: the command is PID 1" t_probe_is_pid1
tcase "run: /proc lists only the container's processes" t_only_container_pids
tcase "run: uts pid mnt net ipc cgroup namespaces differ from the host's" t_namespaces_differ
tcase "run: environment is only PATH HOME TERM HOSTNAME" t_clean_environment
tcase "run: arguments after -- reach the command unchanged" t_argv_passed_verbatim
gph_finish
