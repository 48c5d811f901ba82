#!/bin/bash
# Fault injection (GPH_FAULT, include/gph/fault.h): at every set-up point that `run` and the shell
# pass (found by GPH_FAULT=trace, checked against the list below), first an injected failure —
# the message names the point and the errno text, the status is 125, nothing is left — then a
# SIGKILL of the runtime there, after which `gophernetes gc` returns the machine to the baseline:
# cgroups, state and address allocations, links, nftables rules, mounts, processes.
# shellcheck disable=SC2016,SC2317  # messages hold backquotes on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns net
gph_setup
command -v nft >/dev/null || bail "nft missing (apt-get install nftables; make test-deps)"

# Every point `run` must pass with the options below (a point that disappears from the code, or
# is no longer reached, fails the trace case rather than silently shrinking the test).
RUN_POINTS="state cgroup.create holder.fork cgroup.attach ns cgroup.limit net.bridge net.ipam net.attach
net.attached net.inside net.nat net.port hostname binds pivot_root mount.proc mount.dev mount.sys exec
exec.clone exec.proc exec.masks exec.workdir exec.nnp exec.caps exec.seccomp exec.execve"
# The shell passes the same steps; its exec runs with the sandbox's privileges (no hardening).
SHELL_POINTS="state cgroup.create holder.fork cgroup.attach ns cgroup.limit net.bridge net.ipam net.attach
net.attached net.inside net.nat net.port hostname binds pivot_root mount.proc mount.dev mount.sys exec
exec.clone exec.proc exec.workdir exec.execve"
RUN_ARGS=(run -q --rootfs "$R" --memory 32M --net bridge -p 18080:80 /bin/true)
# The other ways in: a plain veth pair and chroot; a user namespace, a user, a read-only root
# (only their own points are gone through again).
VETH_POINTS="net.veth chroot"
VETH_ARGS=(run -q --rootfs "$R" --net veth --chroot /bin/true)
USERNS_POINTS="userns.maps readonly exec.user"
USERNS_ARGS=(run -q --rootfs "$R" --userns --read-only -u 0:0 -w /tmp --memory 32M /bin/true)
INJECT=ENOSPC
INJECT_TEXT="No space left on device"

cat >"$GPH_TMP/steps.gsh" <<'EOF'
ns pid uts mnt ipc net cgroup
cgroup mem 32M
net bridge
net nat
net port 18081:80
hostname box
pivot_root ./rootfs
mount proc
mount dev
mount sys
exec /bin/true
quit
EOF

# What "baseline" means beyond lib.sh's checks: the nftables rules of this namespace and the
# address allocations in the state directory.
nft_rules() { nft list ruleset 2>&1; }
ipam_allocs() { cat "$GPH_STATE_DIR"/ipam/* 2>/dev/null | grep -v '^#' | sort; }

baseline() {
	nft_rules >"$GPH_TMP/nft.base"
	ipam_allocs >"$GPH_TMP/ipam.base"
}

expect_net_baseline() {
	local ok=0
	nft_rules >"$GPH_TMP/nft.now"
	if ! cmp -s "$GPH_TMP/nft.base" "$GPH_TMP/nft.now"; then
		diff "$GPH_TMP/nft.base" "$GPH_TMP/nft.now" >"$GPH_TMP/nft.diff"
		fail_file "nft rules changed" "$GPH_TMP/nft.diff"
		ok=1
	fi
	ipam_allocs >"$GPH_TMP/ipam.now"
	if ! cmp -s "$GPH_TMP/ipam.base" "$GPH_TMP/ipam.now"; then
		fail "address allocations left: $(comm -13 "$GPH_TMP/ipam.base" "$GPH_TMP/ipam.now" | tr '\n' ' ')"
		ok=1
	fi
	return "$ok"
}

# The host end of a veth goes when the kernel destroys the container's network namespace, which
# it does asynchronously after the last process in it died: wait (bounded) for that.
no_veths() { [ -z "$(host_veths)" ]; }
no_links_left() { [ -z "$(link_names | comm -13 "$GPH_TMP/links.case" -)" ]; }

expect_all_clean() {
	local ok=0
	wait_until 10 no_links_left
	expect_clean || ok=1
	expect_net_baseline || ok=1
	return "$ok"
}

# trace_points FILE: the points a traced run passed, one per line, in order.
trace_points() { sed -n "s/^gophernetes: fault point //p" "$1" | awk '!seen[$0]++'; }

expect_points() {
	local want=$1 got=$2 p missing=""
	for p in $want; do grep -qxF -- "$p" <<<"$got" || missing+=" $p"; done
	[ -z "$missing" ] && return 0
	fail "points never reached:$missing" "reached: $(tr '\n' ' ' <<<"$got")"
	return 1
}

t_warm_up() {
	# The bridge and its NAT table stay after a container (by design): make them now, so that
	# each case's baseline has them and what a case leaves is the case's.
	gph_run "${RUN_ARGS[@]}"
	expect_rc 0 || return 1
	baseline
}

t_trace_run() {
	GPH_FAULT=trace gph_run "${RUN_ARGS[@]}"
	expect_rc 0 || return 1
	trace_points "$GPH_TMP/err" >"$GPH_TMP/run.points"
	expect_points "$RUN_POINTS" "$(cat "$GPH_TMP/run.points")" || return 1
	expect_all_clean
}

t_trace_shell() {
	GPH_FAULT=trace gph_shell_run "$GPH_TMP/steps.gsh"
	expect_rc 0 || return 1
	trace_points "$GPH_TMP/err" >"$GPH_TMP/shell.points"
	expect_points "$SHELL_POINTS" "$(cat "$GPH_TMP/shell.points")" || return 1
	expect_all_clean
}

# t_fail_run POINT [ARGS...]: run (RUN_ARGS by default) with POINT failing.
t_fail_run() {
	local p=$1
	shift
	[ $# -gt 0 ] || set -- "${RUN_ARGS[@]}"
	GPH_FAULT=$p:$INJECT gph_run "$@"
	expect_rc 125 || return 1
	expect_err "^gophernetes: .*$p \\(injected by GPH_FAULT\\): $INJECT_TEXT\$" || return 1
	# Failures of a step name the step as the user wrote it.
	case $p in
	ns | userns.* | cgroup.limit | net.* | hostname | binds | chroot | pivot_root | readonly | mount.*)
		expect_err '^gophernetes: step `[^`]+`: ' || return 1 ;;
	esac
	expect_all_clean
}

t_fail_shell() {
	local p=$1
	GPH_FAULT=$p:$INJECT gph_shell_run "$GPH_TMP/steps.gsh"
	[ "$RC" = 1 ] || { fail "expected status 1 (a command failed)"; show_last; return 1; }
	grep -qF -- "$p (injected by GPH_FAULT): $INJECT_TEXT" <<<"$OUT$ERR" ||
		{ fail "no message naming $p and '$INJECT_TEXT'"; show_last; return 1; }
	expect_all_clean
}

# After a SIGKILL (the bridge is gone by then, see t_gc_removes_bridge): the runtime is gone (137;
# in an exec child only the child dies, which `run` reports as the command's SIGKILL, 137), gc
# leaves nothing of it, and a second gc finds nothing.
t_kill() {
	local p=$1 what=$2
	if [ "$what" = run ]; then
		GPH_FAULT=$p:kill gph_run "${RUN_ARGS[@]}" 2>/dev/null # (no "Killed" notice from bash)
	elif [ "$what" = veth ]; then
		GPH_FAULT=$p:kill gph_run "${VETH_ARGS[@]}" 2>/dev/null
	elif [ "$what" = userns ]; then
		GPH_FAULT=$p:kill gph_run "${USERNS_ARGS[@]}" 2>/dev/null
	else
		GPH_FAULT=$p:kill gph_shell_run "$GPH_TMP/steps.gsh" 2>/dev/null
	fi
	case $what:$p in
	shell:exec.clone | shell:exec) expect_rc 137 || return 1 ;;
	shell:exec.*)
		# An exec child dies alone (the shell is not its parent): the shell reports the
		# command's death by SIGKILL and goes on.
		expect_rc 1 || return 1
		expect_line "exited with status 137" || return 1 ;;
	*) expect_rc 137 || return 1 ;;
	esac
	# Where only the exec child died, the runtime cleaned up itself and nothing is gc's; the bridge
	# is gc's once idle, which it is when the kernel has reaped the dead network namespace's veth.
	case $p in exec.?*) [ "$p" = exec.clone ] || wait_until 10 no_veths ;; esac
	gph_run gc
	expect_rc 0 || return 1
	expect_all_clean || { fail "gc said:" "$OUT"; return 1; }
	gph_run gc
	expect_rc 0 || return 1
	grep -Eq '^removed [0-9a-f]{12} ' <<<"$OUT" && { fail "a second gc still removed something"; show_last; return 1; }
	return 0
}

t_trace_veth() {
	GPH_FAULT=trace gph_run "${VETH_ARGS[@]}"
	expect_rc 0 || return 1
	expect_points "$VETH_POINTS" "$(trace_points "$GPH_TMP/err")" || return 1
	expect_all_clean
}

t_trace_userns() {
	GPH_FAULT=trace gph_run "${USERNS_ARGS[@]}"
	expect_rc 0 || return 1
	expect_points "$USERNS_POINTS exec.workdir" "$(trace_points "$GPH_TMP/err")" || return 1
	expect_all_clean
}

t_gc_removes_bridge() {
	gph_run gc
	expect_rc 0 || return 1
	grep -q '^removed bridge gph0' <<<"$OUT" || { fail "gc did not remove the idle bridge"; show_last; return 1; }
	[ -z "$(nft list tables 2>&1)" ] || { fail "nft tables left: $(nft list tables 2>&1)"; return 1; }
	# From here on the baseline is the pristine namespace: after a SIGKILL, gc removes the bridge
	# too once no container is left on it.
	baseline
}

# fcase POINT NAME FN ARGS...: a case for one point, unless GPH_FAULT_ONLY (a bash regex) leaves
# the point out: the v2 VM lane, ten times slower under TCG, goes through the points where the
# cgroup version matters, and says so for the others (the host lanes go through every point).
fcase() {
	local p=$1
	shift
	if [ -n "${GPH_FAULT_ONLY:-}" ] && ! [[ $p =~ $GPH_FAULT_ONLY ]]; then
		GPH_N=$((GPH_N + 1))
		echo "ok $GPH_N - $1 # SKIP point $p is not in GPH_FAULT_ONLY=$GPH_FAULT_ONLY (the host lanes go through it)"
		return 0
	fi
	"${FCASE:-tcase}" "$@"
}

tcase "warm-up: a bridged run with a published port" t_warm_up
tcase "GPH_FAULT=trace: run passes every point" t_trace_run
tcase "GPH_FAULT=trace: the shell passes every point" t_trace_shell
RUN_PTS=() SHELL_PTS=()
[ -s "$GPH_TMP/run.points" ] && mapfile -t RUN_PTS <"$GPH_TMP/run.points"
[ -s "$GPH_TMP/shell.points" ] && mapfile -t SHELL_PTS <"$GPH_TMP/shell.points"
for p in "${RUN_PTS[@]}"; do
	fcase "$p" "run, $p fails with $INJECT: named, 125, nothing left" t_fail_run "$p"
done
for p in "${SHELL_PTS[@]}"; do
	fcase "$p" "shell, $p fails with $INJECT: named, nothing left after quit" t_fail_shell "$p"
done
tcase "GPH_FAULT=trace: run --net veth --chroot passes $VETH_POINTS" t_trace_veth
for p in $VETH_POINTS; do
	fcase "$p" "run --net veth --chroot, $p fails with $INJECT: named, 125, nothing left" t_fail_run "$p" "${VETH_ARGS[@]}"
done
# the user-namespace cases: skipped with the reason where none can be made (userns_blocked)
FCASE=ucase
ucase "GPH_FAULT=trace: run --userns --read-only -u -w passes $USERNS_POINTS" t_trace_userns
for p in $USERNS_POINTS; do
	fcase "$p" "run --userns --read-only -u, $p fails with $INJECT: named, 125, nothing left" t_fail_run "$p" "${USERNS_ARGS[@]}"
done
FCASE=tcase
tcase "gc removes the idle bridge and its NAT table" t_gc_removes_bridge
FCASE=ucase
for p in $USERNS_POINTS; do
	fcase "$p" "run --userns --read-only -u SIGKILLed at $p: gc returns to the baseline" t_kill "$p" userns
done
FCASE=tcase
for p in $VETH_POINTS; do
	fcase "$p" "run --net veth --chroot SIGKILLed at $p: gc returns to the baseline" t_kill "$p" veth
done
for p in "${RUN_PTS[@]}"; do
	fcase "$p" "run SIGKILLed at $p: gc returns to the baseline" t_kill "$p" run
done
for p in "${SHELL_PTS[@]}"; do
	fcase "$p" "shell SIGKILLed at $p: gc returns to the baseline" t_kill "$p" shell
done
gph_finish
