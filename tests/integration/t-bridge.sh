#!/bin/bash
# Bridge networking, NAT and published ports (issue 4; B22, B23, B24). The whole file runs in a
# network namespace of its own that plays the host (gph_enter_test_ns net); the "outside" server
# lives in a further namespace made here with unshare(1) and joined to ours by a veth made inside
# ours (192.0.2.0/24, a documentation range). Traffic goes only to addresses of these namespaces.
# The machine's own network namespace and /run/netns are never touched.
#
# What may stay between cases, as documented: the bridge gph0 with its gateway address, the
# table `ip gophernetes` with the bridge's rules ("gph-bridge gph0"), and the empty directory
# <state>/ipam (the lock object of the address files). Everything per container goes with it:
# host veth, bridge port, address allocation, rules "gph-ctr <id>". The last case runs
# `gophernetes gc` and checks that the bridge and the table are gone too.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns net
gph_setup
command -v nft >/dev/null || bail "nft(8) missing: the test reads the rules back with it (apt-get install nftables)"
command -v unshare >/dev/null || bail "unshare(1) missing (apt-get install util-linux)"

BR=gph0
GW=10.88.0.1
BB=$R/bin/busybox   # the rootfs's static busybox, also used on the host side (wget, httpd)

# ---------------------------------------------------------------------------------------------
# Facts about the host side

bridge_exists() { ip link show dev "$BR" >/dev/null 2>&1; }
# Names of the links enslaved to the bridge (its ports).
bridge_ports() {
	ip -o link show master "$BR" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
}
no_bridge_ports() { [ -z "$(bridge_ports)" ]; }
no_host_veths() { [ -z "$(host_veths)" ]; }
# Allocation lines "ADDRESS ID" of the bridge (comments skipped).
ipam_entries() { grep -v '^#' "$GPH_STATE_DIR/ipam/$BR" 2>/dev/null | grep . || true; }
ruleset() { nft list ruleset 2>&1; }
ctr_rules() { ruleset | grep 'gph-ctr' || true; }
# Links and state entries, without what may stay (the bridge, the ipam directory).
links_but_bridge() { link_names | grep -vx "$BR" || true; }
state_but_ipam() { find "$GPH_STATE_DIR" -mindepth 1 -maxdepth 1 ! -name ipam 2>/dev/null | sort; }

# fetch URL: the page through busybox wget on the host side, bounded.
fetch() { timeout -k 1 3 "$BB" wget -q -O - "$1" 2>&1; }

# Predicates for wait_until (which re-runs a command: a "$(...)" argument would be read once).
fetch_is() { [ "$(fetch "$1")" = "$2" ]; }
links_are() { [ "$(link_names)" = "$1" ]; }
ipam_count_is() { [ "$(ipam_entries | grep -c .)" = "$1" ]; }
has_rules_of() { ctr_rules | grep -q "gph-ctr $1"; }
no_link() { ! ip link show dev "$1" >/dev/null 2>&1; }
netns_not_ours() { [ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ]; }
runs_busybox() { [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$BB")" ]; }

# expect_ctr_gone: nothing per container is left compared with the start of the case: host
# veths (polled: the kernel tears a container's network namespace down after it exits), bridge
# ports, address allocations, rules "gph-ctr", state entries, cgroups, processes, mounts, links.
expect_ctr_gone() {
	local ok=0 left
	wait_until 10 no_host_veths || { fail "host veths still there 10 s after exit: $(host_veths | tr '\n' ' ')"; ok=1; }
	left=$(bridge_ports)
	[ -z "$left" ] || { fail "ports of $BR left: $(echo "$left" | tr '\n' ' ')"; ok=1; }
	left=$(ipam_entries)
	[ -z "$left" ] || { fail "addresses still allocated on $BR:" "$left"; ok=1; }
	left=$(ctr_rules)
	[ -z "$left" ] || { fail "per-container nftables rules left:" "$left"; ok=1; }
	left=$(links_but_bridge | comm -13 <(grep -vx "$BR" "$GPH_TMP/links.case" || true) -)
	[ -z "$left" ] || { fail "links left: $(echo "$left" | tr '\n' ' ')"; ok=1; }
	left=$(state_but_ipam | comm -13 <(grep -v '/ipam$' "$GPH_TMP/state.case" || true) -)
	[ -z "$left" ] || { fail "state entries left:" "$left"; ok=1; }
	expect_no_cgroups_left case || ok=1
	expect_no_procs_left || ok=1
	expect_mounts_same case || ok=1
	if [ "$ok" != 0 ]; then
		# What the runtimes of this case said (a warning about a failed cleanup, say).
		local f
		while IFS= read -r f; do
			fail_file "$(basename "$f")" "$f"
		done < <(find "$GPH_TMP" -maxdepth 1 -name '*err' -newer "$GPH_TMP/links.case" -size +0c 2>/dev/null)
	fi
	return "$ok"
}

# A background "/bin/probe sleep 30" runs and `gophernetes ps` lists it (PS_ID is its id).
sleeper_started() { wait_until 10 probe_running "sleep 30" && wait_until 5 ps_find "sleep 30"; }

# bg_out TAG: the background run's output as OUT/ERR/RC for the expect_* helpers.
bg_out() {
	OUT=$(cat "$GPH_TMP/$1.out") ERR=$(cat "$GPH_TMP/$1.err") RC=${BG_RC:-running} LAST_CMD="$2"
}

# stop_bg PID TAG: SIGTERM a runtime started with --init and wait for it (bounded).
stop_bg() {
	kill -TERM "$1" 2>/dev/null
	gph_bg_wait "$1" 10 || { fail "the runtime ($2) did not stop within 10 s of SIGTERM"; return 1; }
}

# ---------------------------------------------------------------------------------------------
# 1. Two containers on the bridge ping each other and the gateway.

t_two_ping() {
	local a ok=0
	rm -f "$R/tmp/a-done"
	# A: gateway, then B as soon as B answers (bounded), then tells B it is done through the
	# rootfs both share.
	gph_bg a run --rootfs "$R" --net bridge --ip 10.88.0.10 /bin/sh -c '
		ip -o -4 addr show dev eth0
		ping -c1 -W2 10.88.0.1 >/dev/null && echo A-GW-OK
		i=0; until ping -c1 -W1 10.88.0.11 >/dev/null 2>&1; do
			i=$((i+1)); [ $i -lt 40 ] || break; sleep 0.1; done
		[ $i -lt 40 ] && echo A-B-OK
		: >/tmp/a-done'
	a=$BG_PID
	if ! wait_until 10 grep -q A-GW-OK "$GPH_TMP/a.out"; then
		fail "container A never reached the gateway"
		fail_file "A stdout" "$GPH_TMP/a.out"; fail_file "A stderr" "$GPH_TMP/a.err"
		return 1
	fi
	gph_run run --rootfs "$R" --net bridge --ip 10.88.0.11 /bin/sh -c '
		ip -o -4 addr show dev eth0
		ping -c1 -W2 10.88.0.10 >/dev/null && echo B-A-OK
		ping -c1 -W2 10.88.0.1 >/dev/null && echo B-GW-OK
		cat /etc/hosts /etc/resolv.conf
		i=0; while [ ! -e /tmp/a-done ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done'
	expect_rc 0 || ok=1
	grep -qE '^[0-9]+: eth0 +inet 10\.88\.0\.11/16 ' <<<"$OUT" || { fail "B's eth0 is not 10.88.0.11/16"; show_last; ok=1; }
	expect_line B-A-OK || ok=1
	expect_line B-GW-OK || ok=1
	# /etc/hosts and resolv.conf provided inside (bind mounts), the rootfs's own files untouched.
	grep -qE '^10\.88\.0\.11[[:space:]]' <<<"$OUT" || { fail "B's /etc/hosts lacks its address"; show_last; ok=1; }
	grep -q '^# written by gophernetes for container ' <<<"$OUT" || { fail "B's /etc/resolv.conf is not the runtime's"; show_last; ok=1; }
	# The host's name servers, except loopback ones (those would be the container's own lo).
	local ns
	while read -r ns; do
		grep -qxF "nameserver $ns" <<<"$OUT" || { fail "B's /etc/resolv.conf lacks the host's nameserver $ns"; show_last; ok=1; }
	done < <(awk '$1 == "nameserver" && $2 !~ /^(127\.|::1$)/ { print $2 }' /etc/resolv.conf 2>/dev/null)
	cmp -s "$GPH_ROOTFS_SRC/etc/hosts" "$R/etc/hosts" || { fail "the rootfs's own /etc/hosts was changed"; ok=1; }
	cmp -s "$GPH_ROOTFS_SRC/etc/resolv.conf" "$R/etc/resolv.conf" || { fail "the rootfs's own /etc/resolv.conf was changed"; ok=1; }
	gph_bg_wait "$a" 10 || { fail "container A did not finish"; return 1; }
	bg_out a "run --net bridge --ip 10.88.0.10 (A)"
	expect_rc 0 || ok=1
	grep -qE '^[0-9]+: eth0 +inet 10\.88\.0\.10/16 ' <<<"$OUT" || { fail "A's eth0 is not 10.88.0.10/16"; show_last; ok=1; }
	expect_line A-B-OK || ok=1
	rm -f "$R/tmp/a-done"
	[ "$ok" = 0 ] || return 1
	bridge_exists || { fail "bridge $BR is gone although it is documented to stay"; return 1; }
	expect_ctr_gone
}

# ---------------------------------------------------------------------------------------------
# 2. NAT: a server in a namespace "outside", reachable only through masquerade.

OUT_PID=""
outside_up() {
	local www=$GPH_TMP/www
	mkdir -p "$www/cgi-bin" || return 1
	echo hello-from-outside >"$www/index.html"
	# The client's address as the server sees it.
	printf '#!%s sh\necho "Content-Type: text/plain"\necho\necho "client=$REMOTE_ADDR"\n' "$BB" \
		>"$www/cgi-bin/who" && chmod 0755 "$www/cgi-bin/who" || return 1
	# The server is the namespace: unshare execs httpd in a new network namespace, and the
	# namespace (with its end of the veth) goes when httpd is killed.
	unshare --net -- "$BB" httpd -f -p 80 -h "$www" >"$GPH_TMP/outside.log" 2>&1 &
	OUT_PID=$!
	GPH_PIDS+=("$OUT_PID")
	wait_until 5 runs_busybox "$OUT_PID" ||
		{ fail "httpd did not start in the outside namespace"; fail_file log "$GPH_TMP/outside.log"; return 1; }
	netns_not_ours "$OUT_PID" || { fail "the outside server is not in a namespace of its own"; return 1; }
	ip link add tout0 type veth peer name o0 netns "$OUT_PID" || { fail "ip link add tout0 failed"; return 1; }
	if ! { ip addr add 192.0.2.1/24 dev tout0 && ip link set tout0 up; }; then
		fail "configuring tout0 failed"
		return 1
	fi
	nsenter -t "$OUT_PID" -n sh -c 'ip link set lo up && ip addr add 192.0.2.2/24 dev o0 && ip link set o0 up' ||
		{ fail "configuring the outside namespace failed"; return 1; }
	# The outside knows no route to 10.88.0.0/16: only masquerade can make replies come back.
	nsenter -t "$OUT_PID" -n ip route get 10.88.0.2 >/dev/null 2>&1 &&
		{ fail "the outside namespace has a route to the bridge subnet"; return 1; }
	wait_until 5 fetch_is http://192.0.2.2/ hello-from-outside || { fail "the outside server does not answer the host"; return 1; }
}

outside_down() {
	[ -n "$OUT_PID" ] && kill -KILL "$OUT_PID" 2>/dev/null && wait "$OUT_PID" 2>/dev/null
	OUT_PID=""
	ip link del tout0 2>/dev/null
	wait_until 3 no_link tout0 || fail "tout0 still there"
	return 0
}

t_nat_outside() {
	local rc
	outside_up && nat_body
	rc=$?
	outside_down
	[ "$rc" = 0 ] && expect_ctr_gone
}

nat_body() {
	local host
	host=$(fetch http://192.0.2.2/cgi-bin/who)
	grep -q '192\.0\.2\.1\b' <<<"$host" || { fail "the host's own fetch shows '$host', not 192.0.2.1"; return 1; }
	gph_run run --rootfs "$R" --net bridge /bin/sh -c '
		ip -o -4 addr show dev eth0
		wget -q -O - http://192.0.2.2/
		wget -q -O - http://192.0.2.2/cgi-bin/who'
	expect_rc 0 || return 1
	expect_line hello-from-outside || return 1
	# Masquerade: the server saw the host namespace's address, not the container's 10.88.x.y.
	grep -qE '^client=.*192\.0\.2\.1\b' <<<"$OUT" || { fail "the server did not see 192.0.2.1 as the client"; show_last; return 1; }
	grep -q '10\.88\.' <<<"$(grep '^client=' <<<"$OUT")" && { fail "the server saw the container's own address"; show_last; return 1; }
	# The bridge's masquerade rule exists once.
	[ "$(ruleset | grep -c "masquerade comment \"gph-bridge $BR\"")" -ge 1 ] ||
		{ fail "no masquerade rule of $BR:" "$(ruleset)"; return 1; }
	return 0
}

# ---------------------------------------------------------------------------------------------
# 3. -p 18080:80: busybox httpd inside answers from the host side.

t_publish() {
	local rc
	if ! { ip link add gtx0 type veth peer name gtx1 && ip addr add 198.51.100.1/24 dev gtx0 &&
		ip link set gtx0 up && ip link set gtx1 up; }; then
		fail "giving the test's namespace an address of its own (gtx0) failed"
		ip link del gtx0 2>/dev/null
		return 1
	fi
	publish_body
	rc=$?
	ip link del gtx0 2>/dev/null
	rm -f "$R/etc/gph-marker"
	[ "$rc" = 0 ] && expect_ctr_gone
}

publish_body() {
	local marker=marker-$RANDOM$RANDOM url got ok=0 id
	echo "$marker" >"$R/etc/gph-marker"
	gph_bg pub run --rootfs "$R" --init --net bridge -p 18080:80 /bin/busybox httpd -f -p 80 -h /etc
	local pub=$BG_PID
	if ! wait_until 10 fetch_is http://198.51.100.1:18080/gph-marker "$marker"; then
		fail "no answer on 198.51.100.1:18080 within 10 s"
		fail_file stderr "$GPH_TMP/pub.err"
		ruleset >"$GPH_TMP/rules"; fail_file ruleset "$GPH_TMP/rules"
		return 1
	fi
	for url in http://127.0.0.1:18080/gph-marker http://$GW:18080/gph-marker; do
		got=$(fetch "$url")
		[ "$got" = "$marker" ] || { fail "$url gave '$got'"; ok=1; }
	done
	# bash's /dev/tcp as a second client, to the namespace's own address.
	got=$(timeout 3 bash -c 'exec 3<>/dev/tcp/198.51.100.1/18080 &&
		printf "GET /gph-marker HTTP/1.0\r\n\r\n" >&3 && cat <&3' 2>&1)
	grep -qx "$marker" <<<"${got//$'\r'/}" || { fail "/dev/tcp fetch gave:" "$got"; ok=1; }
	# The rules carry the container's id.
	ps_find httpd || { fail "ps does not list the container"; ok=1; }
	id=$PS_ID
	[ -n "$id" ] && { ctr_rules | grep -q "gph-ctr $id" || { fail "no rule with comment 'gph-ctr $id'"; ok=1; }; }
	stop_bg "$pub" pub || return 1
	bg_out pub "run --init --net bridge -p 18080:80 httpd"
	[ "$BG_RC" = 143 ] || { fail "the runtime exited $BG_RC after SIGTERM, expected 143"; show_last; ok=1; }
	# Nothing answers any more.
	got=$(fetch http://198.51.100.1:18080/gph-marker)
	[ "$got" != "$marker" ] || { fail "18080 still answers after the container stopped"; ok=1; }
	return "$ok"
}

# ---------------------------------------------------------------------------------------------
# 4. Repeated runs leave the rules as they were (B24); a port taken is refused, nothing left (B23).

t_no_duplicates() {
	local i before after
	# The bridge and its rules exist (from earlier cases, or made now).
	gph_run run --rootfs "$R" --net bridge /bin/true
	expect_rc 0 || return 1
	wait_until 10 no_bridge_ports || { fail "ports left: $(bridge_ports)"; return 1; }
	before=$(ruleset)
	for i in 1 2 3; do
		gph_run run --rootfs "$R" --net bridge -p 18080:80 /bin/sh -c 'ip -o -4 addr show dev eth0'
		expect_rc 0 || { fail "(run $i)"; return 1; }
	done
	gph_run run --rootfs "$R" /bin/true
	expect_rc 0 || return 1
	after=$(ruleset)
	if [ "$before" != "$after" ]; then
		fail "the ruleset differs after three runs with -p 18080:80:"
		diff <(echo "$before") <(echo "$after") >"$GPH_TMP/rules.diff"
		fail_file "  diff" "$GPH_TMP/rules.diff"
		return 1
	fi
	[ "$(grep -c "masquerade comment \"gph-bridge $BR\"" <<<"$after")" = 2 ] ||
		{ fail "expected the bridge's 2 masquerade rules once each:" "$after"; return 1; }
	expect_ctr_gone
}

t_port_taken() {
	local first ok=0 links ports ipam rules
	gph_bg first run --rootfs "$R" --init --net bridge -p 18081:80 /bin/probe sleep 30
	first=$BG_PID
	sleeper_started ||
		{ fail "the first container did not start"; fail_file stderr "$GPH_TMP/first.err"; return 1; }
	wait_until 5 has_rules_of "$PS_ID" || { fail "no rules for the first container $PS_ID"; return 1; }
	links=$(link_names) ports=$(bridge_ports) ipam=$(ipam_entries) rules=$(ruleset)
	gph_run run --rootfs "$R" --net bridge -p 18081:80 /bin/true
	expect_rc 125 || ok=1
	expect_err "18081.*already published by container $PS_ID" || ok=1
	# The failed run made a veth, an allocation and had the bridge: all undone.
	wait_until 3 links_are "$links" || { fail "links changed: $(link_names | tr '\n' ' ')"; ok=1; }
	[ "$(bridge_ports)" = "$ports" ] || { fail "bridge ports changed: $(bridge_ports | tr '\n' ' ')"; ok=1; }
	[ "$(ipam_entries)" = "$ipam" ] || { fail "allocations changed:" "$(ipam_entries)"; ok=1; }
	[ "$(ruleset)" = "$rules" ] || { fail "the ruleset changed"; ok=1; }
	stop_bg "$first" first || return 1
	[ "$ok" = 0 ] || return 1
	expect_ctr_gone
}

# ---------------------------------------------------------------------------------------------
# 5. A SIGKILLed runtime with -p: rules and address stay until `gophernetes gc`.

t_sigkill_gc() {
	local rt id ok=0
	gph_bg killed run --rootfs "$R" --net bridge -p 18082:80 /bin/probe sleep 30
	rt=$BG_PID
	sleeper_started ||
		{ fail "the container did not start"; fail_file stderr "$GPH_TMP/killed.err"; return 1; }
	id=$PS_ID
	wait_until 5 has_rules_of "$id" || { fail "no rules for $id"; return 1; }
	# (grouped so that bash's "Killed" job notice goes nowhere)
	{ kill -KILL "$rt" && wait "$rt"; } 2>/dev/null
	not_running "$rt" || { fail "the runtime survived SIGKILL"; return 1; }
	# What the runtime could not undo is still recorded.
	ctr_rules | grep -q "gph-ctr $id" || { fail "the rules of $id went without gc (unexpected)"; ok=1; }
	ipam_entries | grep -q " $id\$" || { fail "the address of $id went without gc (unexpected)"; ok=1; }
	gph_run gc
	expect_rc 0 || return 1
	grep -q "$id" <<<"$OUT" || { fail "gc did not name $id"; show_last; ok=1; }
	[ -z "$(ctr_rules)" ] || { fail "rules left after gc:" "$(ctr_rules)"; ok=1; }
	[ -z "$(ipam_entries)" ] || { fail "allocations left after gc:" "$(ipam_entries)"; ok=1; }
	wait_until 3 no_host_veths || { fail "veths left after gc: $(host_veths)"; ok=1; }
	# No container left on it: the bridge and the whole table go.
	bridge_exists && { fail "gc kept the unused bridge $BR"; show_last; ok=1; }
	ruleset | grep -q 'gophernetes\|gph-' && { fail "gc left nftables state:" "$(ruleset)"; ok=1; }
	[ "$ok" = 0 ] || return 1
	expect_ctr_gone
}

# ---------------------------------------------------------------------------------------------
# 6. 20 containers started at once, bridge made by whichever comes first: 20 distinct addresses.

t_parallel_20() {
	local i pids=() peak_ipam peak_ports addrs n ok=0
	wait_until 3 no_bridge_ports
	gph_run gc # so the first of the 20 makes the bridge (racing the others)
	bridge_exists && { fail "the bridge exists before the parallel start"; return 1; }
	rm -f "$R/tmp/go"
	# B22: all with the same --name; host ends must still be distinct.
	for i in $(seq 1 20); do
		gph_bg "p$i" run --rootfs "$R" --net bridge --name same /bin/sh -c '
			ip -o -4 addr show dev eth0
			i=0; while [ ! -e /tmp/go ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done'
		pids+=("$BG_PID")
	done
	# All 20 hold their addresses at once (they wait for /tmp/go in the rootfs they share).
	if ! wait_until 20 ipam_count_is 20; then
		fail "expected 20 allocations at once, saw $(ipam_entries | grep -c .)"
		ok=1
	fi
	peak_ipam=$(ipam_entries) peak_ports=$(bridge_ports)
	: >"$R/tmp/go"
	for i in $(seq 1 20); do
		gph_bg_wait "${pids[$((i - 1))]}" 15 || { fail "container $i did not finish"; ok=1; continue; }
		[ "$BG_RC" = 0 ] || { bg_out "p$i" "run --net bridge (#$i)"; fail "container $i exited $BG_RC"; show_last; ok=1; }
	done
	rm -f "$R/tmp/go"
	addrs=$(cat "$GPH_TMP"/p*.out | awk '$2 == "eth0" && $3 == "inet" { print $4 }' | sort)
	n=$(grep -c . <<<"$addrs")
	[ "$n" = 20 ] || { fail "$n containers printed an address"; ok=1; }
	[ "$(sort -u <<<"$addrs" | grep -c .)" = "$n" ] || { fail "duplicate addresses:" "$(uniq -d <<<"$addrs")"; ok=1; }
	grep -qvE '^10\.88\.[0-9]+\.[0-9]+/16$' <<<"$addrs" && { fail "addresses outside 10.88.0.0/16:" "$addrs"; ok=1; }
	[ "$(awk '{ print $1 }' <<<"$peak_ipam" | sort -u | grep -c .)" = 20 ] ||
		{ fail "the allocation file did not hold 20 distinct addresses:" "$peak_ipam"; ok=1; }
	[ "$(sort -u <<<"$peak_ports" | grep -c '^gph-')" = 20 ] ||
		{ fail "expected 20 distinct host ends on the bridge:" "$peak_ports"; ok=1; }
	[ "$ok" = 0 ] || return 1
	expect_ctr_gone
}

# ---------------------------------------------------------------------------------------------
# 7. --ip taken, outside the subnet, the gateway, network, broadcast: 125, a clear message,
#    nothing left (B23).

t_bad_ip() {
	local first ok=0 links ports ipam rules state ip want
	gph_bg holder run --rootfs "$R" --init --net bridge --ip 10.88.0.50 /bin/probe sleep 30
	first=$BG_PID
	sleeper_started ||
		{ fail "the first container did not start"; fail_file stderr "$GPH_TMP/holder.err"; return 1; }
	links=$(link_names) ports=$(bridge_ports) ipam=$(ipam_entries) rules=$(ruleset) state=$(state_but_ipam)
	for ip in 10.88.0.50 10.99.0.5 $GW 10.88.0.0 10.88.255.255; do
		case $ip in
		10.88.0.50) want="10\.88\.0\.50.*taken by container $PS_ID" ;;
		10.99.0.5) want="10\.99\.0\.5.*not in 10\.88\.0\.0/16" ;;
		"$GW") want="$GW.*gateway" ;;
		10.88.0.0) want="10\.88\.0\.0.*network address" ;;
		*) want="10\.88\.255\.255.*broadcast" ;;
		esac
		gph_run run --rootfs "$R" --net bridge --ip "$ip" -p 18083:80 /bin/true
		expect_rc 125 || { ok=1; continue; }
		expect_err "$want" || ok=1
		expect_err "hint:" || ok=1
		wait_until 3 links_are "$links" || { fail "--ip $ip: links changed: $(link_names | tr '\n' ' ')"; ok=1; }
		[ "$(bridge_ports)" = "$ports" ] || { fail "--ip $ip: bridge ports changed"; ok=1; }
		[ "$(ipam_entries)" = "$ipam" ] || { fail "--ip $ip: allocations changed:" "$(ipam_entries)"; ok=1; }
		[ "$(ruleset)" = "$rules" ] || { fail "--ip $ip: the ruleset changed"; ok=1; }
		[ "$(state_but_ipam)" = "$state" ] || { fail "--ip $ip: state entries changed"; ok=1; }
	done
	stop_bg "$first" holder || return 1
	[ "$ok" = 0 ] || return 1
	expect_ctr_gone
}

# ---------------------------------------------------------------------------------------------
# 8. --net host shares the test namespace; --net veth works alongside the bridge.

t_host_and_veth() {
	local inside host_links ok=0 b
	gph_run run --rootfs "$R" --net host /bin/sh -c 'readlink /proc/self/ns/net; ip -o link'
	expect_rc 0 || return 1
	[ "$(head -n 1 <<<"$OUT")" = "$(host_ns net)" ] || { fail "--net host: not the test's network namespace"; show_last; ok=1; }
	inside=$(tail -n +2 <<<"$OUT" | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort)
	host_links=$(link_names)
	[ "$inside" = "$host_links" ] || { fail "--net host sees links '$(tr '\n' ' ' <<<"$inside")', the host has '$(tr '\n' ' ' <<<"$host_links")'"; ok=1; }
	# A bridge container running while a veth container comes and goes.
	gph_bg br run --rootfs "$R" --init --net bridge /bin/probe sleep 30
	b=$BG_PID
	wait_until 10 probe_running "sleep 30" || { fail "the bridge container did not start"; fail_file stderr "$GPH_TMP/br.err"; return 1; }
	gph_run run --rootfs "$R" --net veth /bin/sh -c 'ip -o -4 addr show dev eth0; ping -c1 -W2 10.200.0.1 >/dev/null && echo PING-OK'
	expect_rc 0 || ok=1
	expect_line PING-OK || ok=1
	grep -qE 'eth0 +inet 10\.200\.[0-9]+\.2/30 ' <<<"$OUT" || { fail "veth eth0 lacks 10.200.N.2/30"; show_last; ok=1; }
	stop_bg "$b" br || return 1
	[ "$ok" = 0 ] || return 1
	expect_ctr_gone
}

# ---------------------------------------------------------------------------------------------
# 9. Hairpin: a container reaches its own published port through the host's address, as with
#    Docker. Needs hairpin mode on the bridge port and a masquerade of such connections
#    (without them the SYN is DNATed back through the port it came from, and the reply would
#    stay inside the container, never un-DNATed).

hairpin_run() {
	gph_run run --rootfs "$R" --net bridge -p 18085:80 /bin/sh -c '
		httpd -p 80 -h /etc || exit 1
		timeout 5 wget -q -O - http://10.88.0.1:18085/hostname || echo HAIRPIN-FAILED'
}

t_hairpin() {
	hairpin_run
	# Seen twice in many runs (each time as the suite's first network test): no answer for 5 s.
	# Until the cause is found, the facts of that moment go into the output and the run is made
	# once more; a second failure fails the case.
	if grep -q HAIRPIN-FAILED <<<"$OUT"; then
		diag "hairpin failed once; ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)" \
			"ports: $(bridge_ports | tr '\n' ' ')" "$(ruleset | grep -E 'dnat|masquerade|forward' | head -n 12)"
		hairpin_run
	fi
	expect_rc 0 || return 1
	expect_line "$(cat "$R/etc/hostname")" || return 1
	expect_ctr_gone
}

# ---------------------------------------------------------------------------------------------
# Last: `gophernetes gc` with no container left removes the bridge and our table.

t_gc_removes_bridge() {
	local ok=0
	# Make sure there is something to remove, then wait until its port is gone (a fact).
	gph_run run --rootfs "$R" --net bridge -p 18084:80 /bin/true
	expect_rc 0 || return 1
	wait_until 3 no_bridge_ports || { fail "ports left: $(bridge_ports)"; return 1; }
	gph_run gc
	expect_rc 0 || return 1
	grep -q "bridge $BR" <<<"$OUT" || { fail "gc did not say it removed $BR"; show_last; ok=1; }
	bridge_exists && { fail "bridge $BR still exists after gc"; ok=1; }
	ruleset | grep -qi 'gophernetes\|gph-' && { fail "nft list ruleset still shows ours:" "$(ruleset)"; ok=1; }
	# The ipam directory stays as the lock object; it must hold no file.
	[ -z "$(find "$GPH_STATE_DIR/ipam" -mindepth 1 2>/dev/null)" ] ||
		{ fail "files left in $GPH_STATE_DIR/ipam: $(ls -A "$GPH_STATE_DIR/ipam")"; ok=1; }
	rmdir "$GPH_STATE_DIR/ipam" 2>/dev/null
	# net.ipv4.ip_forward was 0 in this namespace before the first bridge: gc puts it back.
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || { fail "gc left net.ipv4.ip_forward on"; ok=1; }
	grep -q "turned net.ipv4.ip_forward off again" <<<"$OUT" || { fail "gc did not say it turned ip_forward off"; show_last; ok=1; }
	[ "$ok" = 0 ]
}

t_gc_keeps_forwarding() {
	# Forwarding that was on before gophernetes came stays on after gc (this is the test's own
	# network namespace; it is put back to 0 at the end).
	local ok=0
	echo 1 >/proc/sys/net/ipv4/ip_forward || { fail "cannot set ip_forward in the test's namespace"; return 1; }
	gph_run run --rootfs "$R" --net bridge /bin/true
	expect_rc 0 || ok=1
	grep -q "enabled net.ipv4.ip_forward" <<<"$ERR" && { fail "run claims it enabled ip_forward, which was on"; ok=1; }
	# the kernel deletes the container's veth with its namespace, a little later (a fact to wait on)
	wait_until 3 no_bridge_ports || { fail "ports left: $(bridge_ports)"; ok=1; }
	gph_run gc
	expect_rc 0 || ok=1
	bridge_exists && { fail "bridge $BR still exists after gc"; ok=1; }
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || { fail "gc turned off forwarding it had not turned on"; ok=1; }
	grep -q "ip_forward" <<<"$OUT" && { fail "gc claims to have changed ip_forward"; show_last; ok=1; }
	echo 0 >/proc/sys/net/ipv4/ip_forward
	[ "$ok" = 0 ]
}

tcase "bridge: two containers ping each other and the gateway; hosts and resolv.conf inside" t_two_ping
tcase "NAT: a container fetches from an outside namespace, which sees the host's address" t_nat_outside
tcase "-p 18080:80: httpd inside answers on the host's address, 127.0.0.1 and the gateway" t_publish
tcase "repeated runs with -p: ruleset unchanged, no duplicate rules (B24)" t_no_duplicates
tcase "-p on a host port already published: 125 with the owner's id, nothing left (B23)" t_port_taken
tcase "SIGKILLed runtime with -p: rules and address stay until gc, which removes them and the bridge" t_sigkill_gc
tcase "20 parallel containers (same --name) get 20 distinct addresses and host ends (B22)" t_parallel_20
tcase "--ip taken / outside / gateway / network / broadcast: 125, clear message, nothing left (B23)" t_bad_ip
tcase "--net host sees the test's links; --net veth works alongside a bridge container" t_host_and_veth
tcase "hairpin: a container reaches its own published port through the gateway address" t_hairpin
tcase "gc with no container left removes the bridge and the table ip gophernetes, and turns ip_forward off again" t_gc_removes_bridge
tcase "gc leaves ip_forward on when it was on before the first bridge" t_gc_keeps_forwarding
gph_finish
