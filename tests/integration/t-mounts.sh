#!/bin/bash
# Mounts: nothing propagates to the host (B11), the container sees only its own mounts, a minimal
# /dev, /sys read-only; pivot_root cannot be escaped like chroot can (B12).
# This file's mount namespace plays the host, with / made rshared: a runtime that forgets to make
# its mounts private leaks them here, where the test sees them.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup

t_host_shared() {
	# The premise of the propagation tests: / is shared here.
	local prop
	prop=$(findmnt -no PROPAGATION /)
	[ "$prop" = shared ] || fail "/ is '$prop' in the test namespace, expected shared"
}

t_host_mounts_unchanged() {
	mnt_snapshot before
	gph_bg during run --rootfs "$R" /bin/probe sleep 2
	if ! wait_until 10 probe_running "sleep 2"; then
		fail "the container never started"
		fail_file stderr "$GPH_TMP/during.err"
		return 1
	fi
	expect_mounts_same before || { fail "(while the container ran)"; return 1; }
	gph_bg_wait "$BG_PID" 15 || { fail "the run did not end"; return 1; }
	[ "$BG_RC" = 0 ] || { fail "exit status $BG_RC"; fail_file stderr "$GPH_TMP/during.err"; return 1; }
	expect_mounts_same before || { fail "(after the container ended)"; return 1; }
}

t_few_mounts_inside() {
	local n
	gph_run run --rootfs "$R" /bin/probe mounts
	expect_rc 0 || return 1
	n=$OUT
	if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -ge 30 ]; then
		fail "expected fewer than 30 mounts inside, got '$n' (the host has $(wc -l </proc/self/mountinfo))"
		return 1
	fi
	# Every mount inside is under the container's root: none of the host's paths appear.
	gph_run run --rootfs "$R" /bin/sh -c 'cut -d" " -f5 /proc/self/mountinfo'
	expect_rc 0 || return 1
	if grep -qE "^$GPH_TMP|^/work|^/boot|^/sys/fs/cgroup/" <<<"$OUT"; then
		fail "host mount points are visible inside:"
		show_last
		return 1
	fi
}

t_dev() {
	local f bad=0
	gph_run run --rootfs "$R" /bin/sh -c '
		for f in null zero full random urandom tty ptmx; do [ -c /dev/$f ] && echo "c $f"; done
		[ -d /dev/pts ] && echo "d pts"
		[ -c /dev/pts/ptmx ] && echo "c pts/ptmx"
		echo x >/dev/null && echo "null writable"
		echo "urandom $(head -c 4 /dev/urandom | wc -c)"'
	expect_rc 0 || return 1
	for f in "c null" "c zero" "c full" "c random" "c urandom" "c tty" "c ptmx" "d pts" \
		"c pts/ptmx" "null writable" "urandom 4"; do
		grep -qxF "$f" <<<"$OUT" || { fail "missing: $f"; bad=1; }
	done
	[ "$bad" = 0 ] || { show_last; return 1; }
	# Only what a container needs: no host disks.
	gph_run run --rootfs "$R" /bin/ls /dev
	expect_rc 0 || return 1
	if grep -qE '^(sd|vd|nvme|loop|mem$|kmsg$)' <<<"$OUT"; then
		fail "host devices in the container's /dev:"
		show_last
		return 1
	fi
}

t_sys_readonly() {
	gph_run run --rootfs "$R" /bin/sh -c 'touch /sys/x; echo "touch=$?"; grep " /sys " /proc/self/mountinfo'
	expect_line "touch=1" || return 1
	[ ! -e "$R/sys/x" ] || { fail "touch /sys/x created $R/sys/x in the rootfs (no /sys mounted)"; return 1; }
	local line opts
	line=$(grep ' /sys ' <<<"$OUT")
	[ -n "$line" ] || { fail "/sys is not mounted"; show_last; return 1; }
	opts=$(cut -d' ' -f6 <<<"$line")
	[[ ,$opts, == *,ro,* ]] || { fail "/sys mount options '$opts' lack ro"; return 1; }
}

# Names in the host's / that the rootfs does not have.
host_only_names() {
	comm -23 <(find / -mindepth 1 -maxdepth 1 -printf '%f\n' | sort) \
		<(find "$R" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)
}

# escape [RUN OPTIONS...]: run the probe's chroot breakout; ESC_ROOT is the dev:ino it ended up
# at, ESC_HOST_NAMES the host-only names it could see.
escape() {
	gph_run run --rootfs "$R" "$@" /bin/probe chroot-escape
	expect_rc 0 || return 1
	ESC_ROOT=$(head -n 1 <<<"$OUT")
	ESC_HOST_NAMES=$(comm -12 <(tail -n +2 <<<"$OUT" | sort) <(host_only_names))
}

t_pivot_root_escape() {
	local host_root
	host_root=$(stat -c %d:%i /)
	[ -n "$(host_only_names)" ] || { fail "test premise: the host's / has no name the rootfs lacks"; return 1; }
	escape || return 1
	if [ "$ESC_ROOT" = "$host_root" ] || [ -n "$ESC_HOST_NAMES" ]; then
		fail "the chroot breakout reached the host's root (host / is $host_root):"
		fail "  sees: $(echo "$ESC_HOST_NAMES" | tr '\n' ' ')"
		show_last
		return 1
	fi
	expect_clean
}

t_chroot_escapes() {
	# --chroot is the teaching mode: the same breakout works there, which also proves the probe
	# and this test can tell the difference.
	local host_root
	host_root=$(stat -c %d:%i /)
	escape --chroot || return 1
	# It reaches the host's root, or a root above it when the tests themselves run in a chroot
	# (a build chroot): either way it sees what only the host has.
	if [ -z "$ESC_HOST_NAMES" ]; then
		fail "expected the breakout to reach the host's root ($host_root, now at $ESC_ROOT) under --chroot"
		show_last
		return 1
	fi
	expect_clean
}

t_chroot_mounts_unchanged() {
	gph_run run --rootfs "$R" --chroot /bin/sh -c 'cat /proc/self/mountinfo >/dev/null'
	expect_rc 0 || return 1
	expect_mounts_same case
}

tcase "premise: / is shared in the test's mount namespace" t_host_shared
tcase "host mountinfo identical before, during and after a run (B11)" t_host_mounts_unchanged
tcase "inside: fewer than 30 mounts, no host mount points (B12)" t_few_mounts_inside
tcase "inside: /dev has null zero full random urandom tty pts/ ptmx, no host disks" t_dev
tcase "inside: /sys is mounted read-only" t_sys_readonly
tcase "pivot_root: the chroot breakout does not reach the host's root (B12)" t_pivot_root_escape
tcase "--chroot: the same breakout does reach the host's root (as documented)" t_chroot_escapes
tcase "--chroot: host mountinfo unchanged" t_chroot_mounts_unchanged
gph_finish
