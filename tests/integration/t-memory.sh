#!/bin/bash
# --memory: the limit is written where the kernel enforces it and it is enforced; OOM kills are
# reported, for the main process (exit 137) and for a child (B18).
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup

t_limit_file() {
	local id dir file val pid
	gph_bg lim run --rootfs "$R" --init --name memlimit --memory 32M /bin/probe sleep 30
	if ! wait_until 10 ps_find memlimit || ! wait_until 10 probe_running "sleep 30"; then
		fail "the container did not show up in 'gophernetes ps' with a running probe"
		fail "ps: $PS_OUT"
		fail_file stderr "$GPH_TMP/lim.err"
		return 1
	fi
	id=$PS_ID
	dir=$(cgroup_dir_of "$id" memory)
	[ -n "$dir" ] || { fail "no memory cgroup directory .../gophernetes/$id"; return 1; }
	if [ "$(cgroup_mode)" = v2 ]; then file=$dir/memory.max; else file=$dir/memory.limit_in_bytes; fi
	val=$(cat "$file")
	[ "$val" = 33554432 ] || { fail "$file is '$val', expected 33554432"; return 1; }
	# The process is really in that cgroup.
	pid=$(probe_pids_matching "sleep 30" | head -n 1)
	grep -qE ":(memory)?:.*/gophernetes/$id\$" "/proc/$pid/cgroup" ||
		{ fail "the probe (pid $pid) is not in .../gophernetes/$id:"; fail_file cgroup "/proc/$pid/cgroup"; return 1; }
	kill -TERM "$BG_PID"
	gph_bg_wait "$BG_PID" 10 || { fail "the runtime did not stop within 10 s of SIGTERM"; return 1; }
	[ -d "$dir" ] && { fail "$dir still exists after the container stopped"; return 1; }
	expect_clean
}

t_main_oom() {
	local last
	GPH_WAIT=60 gph_run run --rootfs "$R" --memory 32M /bin/probe memhog 64
	expect_rc 137 || return 1
	expect_err 'out of memory' || return 1
	expect_err '32M' || return 1
	# It got somewhere near the limit, and not past it.
	last=$(grep '^allocated ' <<<"$OUT" | tail -n 1 | cut -d' ' -f2)
	if ! { [ -n "$last" ] && [ "$last" -ge 8 ] && [ "$last" -le 32 ]; }; then
		fail "expected the hog to be killed between 8 and 32 MiB, last line: 'allocated ${last:-none}'"
		show_last
		return 1
	fi
	expect_clean
}

t_child_oom() {
	GPH_WAIT=60 gph_run run --rootfs "$R" --memory 32M /bin/sh -c '/bin/probe memhog 64; echo survived'
	expect_rc 0 || return 1
	expect_line survived || return 1
	expect_err 'process.*(out of memory|OOM)' || return 1
	expect_clean
}

t_no_limit_no_oom() {
	# Without --memory the same hog finishes: the kill above came from the limit.
	GPH_WAIT=60 gph_run run --rootfs "$R" /bin/probe memhog 64
	expect_rc 0 || return 1
	expect_line "allocated 64" || return 1
	grep -q 'out of memory' <<<"$ERR" && { fail "an OOM was reported without a limit"; show_last; return 1; }
	return 0
}

tcase "--memory 32M: limit file holds 33554432, process in that cgroup, removed after" t_limit_file
tcase "--memory 32M, main process hogs 64M: 137 and 'out of memory (limit 32M)'" t_main_oom
tcase "--memory 32M, a child hogs 64M: shell survives (0), OOM of a process reported (B18)" t_child_oom
tcase "no --memory: the same hog allocates 64M" t_no_limit_no_oom
gph_finish
