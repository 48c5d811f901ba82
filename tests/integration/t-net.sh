#!/bin/bash
# Networking. This whole file runs in a network namespace of its own that plays the host (see
# gph_enter_test_ns): the machine's own network is never touched.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns net
gph_setup

only_lo_up() {
	local n
	expect_rc 0 || return 1
	n=$(grep -c . <<<"$OUT")
	[ "$n" = 1 ] || { fail "expected exactly one link inside, got $n"; show_last; return 1; }
	grep -qE '^[0-9]+: lo: <[^>]*\bUP\b' <<<"$OUT" || { fail "expected lo, up"; show_last; return 1; }
}

t_net_none() {
	gph_run run --rootfs "$R" --net none /sbin/ip -o link
	only_lo_up
}

t_net_default_is_none() {
	gph_run run --rootfs "$R" /sbin/ip -o link
	only_lo_up || return 1
	expect_no_links_left
}

t_net_veth() {
	local host_if addr bad=0 t0
	gph_bg veth run --rootfs "$R" --net veth /bin/sh -c '
		ip -o -4 addr show dev eth0
		ip route
		ping -c1 -W2 10.200.0.1 >/dev/null && echo PING-OK
		/bin/probe sleep 3'
	if ! wait_until 10 probe_running "sleep 3"; then
		fail "the container did not get to its sleep"
		fail_file stdout "$GPH_TMP/veth.out"
		fail_file stderr "$GPH_TMP/veth.err"
		return 1
	fi
	# Host side, while it runs.
	host_if=$(host_veths)
	if [[ $host_if =~ ^gph-[0-9a-f]{8}$ ]]; then
		addr=$(ip -o -4 addr show dev "$host_if" 2>/dev/null | awk '{ print $4 }')
		[ "$addr" = 10.200.0.1/30 ] || { fail "host end address '$addr', expected 10.200.0.1/30"; bad=1; }
		ip -o link show dev "$host_if" 2>/dev/null | grep -q '[<,]UP[,>]' ||
			{ fail "host end $host_if is not up"; bad=1; }
	else
		fail "host side: expected one link gph- plus 8 hex digits, found '$host_if'"
		bad=1
	fi
	[ "$bad" = 0 ] || { ip -o addr >"$GPH_TMP/addrs"; fail_file "host addresses" "$GPH_TMP/addrs"; }

	gph_bg_wait "$BG_PID" 15 || { fail "the container did not finish"; return 1; }
	OUT=$(cat "$GPH_TMP/veth.out") ERR=$(cat "$GPH_TMP/veth.err") RC=$BG_RC LAST_CMD="run --net veth ..."
	expect_rc 0 || return 1
	grep -qE '^[0-9]+: eth0 +inet 10\.200\.0\.2/30 ' <<<"$OUT" || { fail "eth0 lacks 10.200.0.2/30"; show_last; return 1; }
	grep -qE '^default via 10\.200\.0\.1 dev eth0' <<<"$OUT" || { fail "no default route via 10.200.0.1"; show_last; return 1; }
	expect_line PING-OK || return 1
	[ "$bad" = 0 ] || return 1

	# After exit the host end goes away with the container's namespace: poll up to 2 s.
	t0=$(now_ms)
	wait_until 2 no_host_veths || { fail "host veth still there 2 s after the container exited: $(host_veths)"; return 1; }
	diag "host veth gone $(( $(now_ms) - t0 )) ms after exit" >&2
	expect_clean
}

no_host_veths() { [ -z "$(host_veths)" ]; }

t_net_veth_twice() {
	# Two runs in a row get working links (the first one's leftovers do not get in the way: while
	# the kernel still tears the first pair down, the second gets the next free /30, so it pings
	# its own gateway, whatever that is).
	local i
	for i in 1 2; do
		gph_run run --rootfs "$R" --net veth /bin/sh -c 'gw=$(ip route | awk "/^default/ {print \$3}"); ping -c1 -W2 "$gw" >/dev/null && echo PING-OK'
		expect_rc 0 || { fail "(run $i)"; return 1; }
		expect_line PING-OK || { fail "(run $i)"; return 1; }
	done
	wait_until 2 no_host_veths || { fail "host veth left: $(host_veths)"; return 1; }
	expect_clean
}

tcase "--net none: only lo inside, up" t_net_none
tcase "default network: only lo inside, up; no link made on the host side" t_net_default_is_none
tcase "--net veth: 10.200.0.1/30 on gph-XXXXXXXX, eth0 10.200.0.2/30, ping, gone after exit" t_net_veth
tcase "--net veth twice in a row: both ping, nothing left" t_net_veth_twice
gph_finish
