#!/bin/bash
# cgroup v2's no-internal-process rule: a runtime that is the only process of a non-root cgroup (PID 1
# of a container, a scope of its own) steps into a leaf below it so the cgroup can hand controllers
# to the containers' cgroups; `gc` removes that leaf once the runtime is gone. On v1 there is no such
# rule, and no leaf may appear. The v2 lane runs this file on a real v2 kernel.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup

ALONE=""
remove_alone() {
	[ -n "$ALONE" ] || return 0
	local d
	for d in "$ALONE"/gophernetes-runtime.* "$ALONE"/gophernetes; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	rmdir "$ALONE" 2>/dev/null
	ALONE=""
}
leaf_exit() {
	local rc=$?
	remove_alone
	(exit "$rc") # gph_cleanup (temp dir, processes, gc) exits with the status it finds: the test's
	gph_cleanup
}
trap leaf_exit EXIT

t_alone_runtime() {
	local own out rc leaf
	if [ "$(cgroup_mode)" != v2 ]; then
		gph_run run --rootfs "$R" --memory 32M /bin/true
		expect_rc 0 || return 1
		leaf=$(find /sys/fs/cgroup -maxdepth 6 -type d -name 'gophernetes-runtime.*' 2>/dev/null | head -n 1)
		[ -z "$leaf" ] || { fail "v1 host: a runtime leaf appeared: $leaf"; return 1; }
		expect_clean
		return
	fi
	own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	ALONE=/sys/fs/cgroup${own%/}/gph-test-alone.$$
	mkdir "$ALONE" || { fail "mkdir $ALONE"; return 1; }
	# The runtime alone in $ALONE: the shell moves itself there, then becomes the runtime.
	out=$(GPH="$GPH" R="$R" ALONE="$ALONE" bash -c 'echo $$ >"$ALONE/cgroup.procs" && echo "pid $$" &&
		exec "$GPH" run --rootfs "$R" --memory 32M /bin/sh -c "echo ok-inside"' 2>&1)
	rc=$?
	[ "$rc" = 0 ] || { fail "exit status $rc, expected 0:"; fail "  $out"; return 1; }
	grep -qx ok-inside <<<"$out" || { fail "no ok-inside: $out"; return 1; }
	leaf=$ALONE/gophernetes-runtime.$(awk '/^pid / { print $2 }' <<<"$out")
	[ -d "$leaf" ] || { fail "expected the runtime to step into $leaf; found: $(ls "$ALONE")"; return 1; }
	grep -qw memory "$ALONE/cgroup.subtree_control" || { fail "memory not enabled in $ALONE"; return 1; }
	out=$("$GPH" gc 2>&1)
	grep -q "removed runtime cgroup $leaf" <<<"$out" || { fail "gc did not remove $leaf: $out"; return 1; }
	[ ! -d "$leaf" ] || { fail "$leaf still there after gc"; return 1; }
	remove_alone
	expect_clean
}

tcase "a runtime alone in its cgroup steps into a leaf (v2 no-internal-process rule); gc removes it" t_alone_runtime
gph_finish
