#!/bin/bash
# soak.sh — many containers with memory limits and bridge networking, then proof that nothing
# accumulated: the runtime's own descriptors, the mount tables (this test's namespace and the real
# host's), cgroups, links, nftables rules, address allocations, state entries and zombies are all
# exactly at their baseline. `make soak` runs the full size, `make check` a short one.
#
# Environment: GPH_SOAK_SEQ (sequential runs, default 1000), GPH_SOAK_PAR (parallel runs, default
# 200), GPH_SOAK_JOBS (at a time, default 8), GPH_SOAK_EXECS (execs in one long shell session,
# default 300), GPH_SOAK_VALGRIND (1: also count the descriptors `run` leaves open at exit under
# valgrind --track-fds; 0 for sanitizer builds, which valgrind cannot run). GPH_BIN as for the
# integration tests. Output is TAP-like, with the numbers as "# " lines.
# shellcheck disable=SC2016,SC2317  # the xargs command is single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

# The machine's own network, read (never changed) from outside the test namespaces, before and
# after: links, nftables rules, ip_forward.
host_net() {
	ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
	nft list ruleset 2>&1
	echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
}
if [ "${GPH_IN_TEST_NS:-}" != 1 ] && [ "${GPH_SOAK_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || bail "needs root"
	before=$(host_net)
	GPH_SOAK_INNER=1 bash "$GPH_SELF"
	rc=$?
	after=$(host_net)
	if [ "$before" = "$after" ]; then
		echo "ok - the machine's own network (links, nft rules, ip_forward) is as before"
	else
		echo "not ok - the machine's own network changed:"
		diff <(echo "$before") <(echo "$after") | sed 's/^/# /'
		rc=1
	fi
	exit $rc
fi
gph_enter_test_ns net
gph_setup
command -v nft >/dev/null || bail "nft missing (make test-deps)"

SEQ=${GPH_SOAK_SEQ:-1000}
PAR=${GPH_SOAK_PAR:-200}
JOBS=${GPH_SOAK_JOBS:-8}
EXECS=${GPH_SOAK_EXECS:-300}
VALGRIND=${GPH_SOAK_VALGRIND:-1}
RUN=(run -q --rootfs "$R" --memory 32M --net bridge)

# ---------------------------------------------------------------------------------------------
# What is measured. Each snapshot is a directory of files, compared file by file.

# Zombies whose parent is one of ours (this script's descendants) and all zombies on the machine.
zombies_ours() {
	local f line pid st ppid n=0
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		pid=${f#/proc/}; pid=${pid%/stat}
		line=${line##*) }
		read -r st ppid _ <<<"$line"
		[ "$st" = Z ] || continue
		# ours: the parent's ancestry reaches this shell
		while [ -n "$ppid" ] && [ "$ppid" -gt 1 ] && [ "$ppid" != "$$" ]; do
			read -r line 2>/dev/null <"/proc/$ppid/stat" || { ppid=""; break; }
			line=${line##*) }
			read -r _ ppid _ <<<"$line"
		done
		[ "$ppid" = "$$" ] && n=$((n + 1))
	done
	echo "$n"
}
# shellcheck disable=SC2009  # by state, which ps prints and pgrep's options do not portably match
zombies_all() { ps -e -o stat= | grep -c '^Z'; }

snapshot() {
	local d=$GPH_TMP/snap.$1
	mkdir -p "$d"
	cgroup_dirs >"$d/cgroups"
	cat /proc/self/mountinfo >"$d/mounts-test-ns"
	cat /proc/1/mountinfo >"$d/mounts-host"
	link_names >"$d/links-test-ns"
	# sysfs was mounted in the machine's own network namespace: it lists the host's links (read only)
	ls /sys/class/net >"$d/links-host"
	nft list ruleset >"$d/nft-test-ns" 2>&1
	cat "$GPH_STATE_DIR"/ipam/* 2>/dev/null | grep -v '^#' | sort >"$d/ipam"
	find "$GPH_STATE_DIR" -mindepth 1 ! -path "$GPH_STATE_DIR/ipam*" 2>/dev/null | sort >"$d/state"
	zombies_ours >"$d/zombies-ours"
}

count() { # count SNAP FILE: lines in a snapshot file
	wc -l <"$GPH_TMP/snap.$1/$2"
}

# expect_same A B [FILES...]: the snapshots agree on every file (all by default).
expect_same() {
	local a=$1 b=$2 f bad=0
	shift 2
	local files=("$@")
	[ ${#files[@]} -gt 0 ] || files=(cgroups mounts-test-ns mounts-host links-test-ns links-host nft-test-ns ipam state zombies-ours)
	for f in "${files[@]}"; do
		if ! cmp -s "$GPH_TMP/snap.$a/$f" "$GPH_TMP/snap.$b/$f"; then
			diff "$GPH_TMP/snap.$a/$f" "$GPH_TMP/snap.$b/$f" >"$GPH_TMP/snap.diff"
			fail_file "$f differs ($a -> $b)" "$GPH_TMP/snap.diff"
			bad=1
		fi
	done
	return "$bad"
}

report() { # report A B: one line per measure, "name: before -> after"
	local a=$1 b=$2 f
	for f in cgroups mounts-test-ns mounts-host links-test-ns links-host nft-test-ns ipam state; do
		printf '# %-15s %6s -> %-6s lines\n' "$f" "$(count "$a" "$f")" "$(count "$b" "$f")"
	done
	printf '# %-15s %6s -> %-6s\n' zombies-ours "$(cat "$GPH_TMP/snap.$a/zombies-ours")" \
		"$(cat "$GPH_TMP/snap.$b/zombies-ours")"
}

links_back() { [ "$(link_names)" = "$(cat "$GPH_TMP/snap.$1/links-test-ns")" ]; }

fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# ---------------------------------------------------------------------------------------------

t_baseline() {
	snapshot pristine
	# The bridge and its NAT table stay after a container by design: make them, then take the
	# baseline, so that what is compared is what the containers themselves leave.
	gph_run "${RUN[@]}" /bin/true
	expect_rc 0 || return 1
	snapshot base
	ZOMBIES_ALL_BEFORE=$(zombies_all)
	echo "# baseline: $(count base cgroups) cgroup dirs, $(count base mounts-test-ns) mounts here," \
		"$(count base mounts-host) on the host, $(count base links-test-ns) links, $(count base nft-test-ns)" \
		"lines of nft rules; $ZOMBIES_ALL_BEFORE zombies on the machine"
}

# One long shell session: its descriptors (and its sandbox process's) must not grow with execs.
t_shell_fds() {
	local fifo=$GPH_TMP/shell.in out=$GPH_TMP/shell.out sh_pid holder n fd1 fd2 hfd1 hfd2 i
	mkfifo "$fifo" || { fail "mkfifo"; return 1; }
	(cd "$GPH_TMP" && exec "$GPH_SHELL_BIN" <"$fifo" >"$out" 2>&1) &
	sh_pid=$!
	GPH_PIDS+=("$sh_pid")
	exec {W}>"$fifo"
	printf '%s\n' "ns pid uts mnt ipc net cgroup" "cgroup mem 32M" "net bridge" "hostname soak" \
		"pivot_root ./rootfs" "mount proc" "mount dev" "exec /bin/true" >&"$W"
	execs_done() { [ "$(grep -c '^exited with status' "$out")" -ge "$1" ]; }
	if ! wait_until 20 execs_done 1; then
		exec {W}>&-
		fail "the first exec never finished"
		fail_file shell "$out"
		return 1
	fi
	holder=$(pgrep -P "$sh_pid" | head -n 1)
	fd1=$(fd_count "$sh_pid")
	hfd1=$(fd_count "$holder")
	for ((i = 1; i < EXECS; i++)); do
		echo "exec /bin/true" >&"$W"
		# in step with the shell, so a leak per exec shows up however fast the loop is
		if ((i % 50 == 0)) && ! wait_until 60 execs_done $((i + 1)); then
			exec {W}>&-
			fail "exec $i never finished"
			fail_file shell "$out"
			return 1
		fi
	done
	if ! wait_until 60 execs_done "$EXECS"; then
		exec {W}>&-
		fail "only $(grep -c '^exited with status' "$out") of $EXECS execs finished"
		return 1
	fi
	fd2=$(fd_count "$sh_pid")
	hfd2=$(fd_count "$holder")
	n=$(grep -c '^exited with status 0$' "$out")
	echo "quit" >&"$W"
	exec {W}>&-
	gph_bg_wait "$sh_pid" 20 || { fail "the shell did not quit"; return 1; }
	echo "# shell session: $EXECS execs, $n exited 0; shell fds $fd1 -> $fd2, sandbox process fds $hfd1 -> $hfd2"
	[ "$n" = "$EXECS" ] || { fail "$((EXECS - n)) execs did not exit 0"; fail_file shell "$out"; return 1; }
	[ "$BG_RC" = 0 ] || { fail "the shell exited $BG_RC"; fail_file shell "$out"; return 1; }
	[ "$fd1" = "$fd2" ] || fail "the shell's descriptors grew: $fd1 -> $fd2"
	[ "$hfd1" = "$hfd2" ] || fail "the sandbox process's descriptors grew: $hfd1 -> $hfd2"
	[ "$fd1" = "$fd2" ] && [ "$hfd1" = "$hfd2" ]
}

# Descriptors `run` itself has open when it exits, apart from those it inherited.
t_run_fds_valgrind() {
	local i log leaked=0 n
	if [ "$VALGRIND" != 1 ]; then
		echo "# skipped: GPH_SOAK_VALGRIND=$VALGRIND (a sanitizer build cannot run under valgrind)"
		return 0
	fi
	command -v valgrind >/dev/null || { fail "valgrind missing (make soak installs it)"; return 1; }
	for i in 1 2 3; do
		log=$GPH_TMP/vg.$i
		timeout -k 5 120 valgrind -q --track-fds=yes --child-silent-after-fork=yes --log-file="$log.%p" "$GPH" "${RUN[@]}" -p "1808$i:80" \
			/bin/true </dev/null >/dev/null 2>"$GPH_TMP/vg.err"
		RC=$?
		[ "$RC" = 0 ] || { fail "run under valgrind exited $RC"; fail_file stderr "$GPH_TMP/vg.err"; return 1; }
		# "Open file descriptor N: ..." followed by "<inherited from parent>" is not the runtime's
		n=$(cat "$log".* | awk '/Open file descriptor/ { if (fd != "") n++; fd = $0; next }
			/inherited from parent/ { fd = ""; next } END { if (fd != "") n++; print n + 0 }')
		leaked=$((leaked + n))
		[ "$n" = 0 ] || fail_file "valgrind run $i" <(cat "$log".*)
	done
	echo "# run under valgrind --track-fds=yes, 3 runs (bridge, memory limit, a published port): $leaked descriptors of its own open at exit"
	[ "$leaked" = 0 ]
}

t_sequential() {
	local i t0 fails=0 ping=0
	t0=$(now_ms)
	for ((i = 1; i <= SEQ; i++)); do
		if ((i % 50 == 0)); then
			# now and then prove the network works: the container reaches its gateway
			timeout -k 5 "$GPH_WAIT" "$GPH" "${RUN[@]}" /bin/ping -c 1 -W 2 10.88.0.1 >/dev/null 2>"$GPH_TMP/seq.err" </dev/null ||
				{ ping=$((ping + 1)); fail_file "ping run $i" "$GPH_TMP/seq.err"; }
		elif ! timeout -k 5 "$GPH_WAIT" "$GPH" "${RUN[@]}" /bin/true >/dev/null 2>"$GPH_TMP/seq.err" </dev/null; then
			fails=$((fails + 1))
			((fails <= 3)) && fail_file "run $i" "$GPH_TMP/seq.err"
		fi
	done
	local ms=$(($(now_ms) - t0))
	echo "# $SEQ sequential runs (--memory 32M --net bridge; every 50th pings the gateway): ${ms} ms," \
		"$((ms / SEQ)).$(((ms * 10 / SEQ) % 10)) ms per run; $fails failed, $ping pings failed"
	[ "$fails" = 0 ] && [ "$ping" = 0 ]
}

t_parallel() {
	local t0 ms fails
	: >"$GPH_TMP/par.fails"
	t0=$(now_ms)
	seq "$PAR" | GPH_TMP=$GPH_TMP xargs -P "$JOBS" -I{} bash -c \
		'timeout -k 5 "$1" "${@:2}" >/dev/null 2>>"$GPH_TMP/par.err" </dev/null || echo {} >>"$GPH_TMP/par.fails"' \
		_ "$GPH_WAIT" "$GPH" "${RUN[@]}" /bin/true
	ms=$(($(now_ms) - t0))
	fails=$(wc -l <"$GPH_TMP/par.fails")
	echo "# $PAR parallel runs, $JOBS at a time: ${ms} ms; $fails failed"
	[ "$fails" = 0 ] || { fail_file "stderr" "$GPH_TMP/par.err"; return 1; }
}

t_at_baseline() {
	local t0 ms
	# The kernel deletes a container's host veth when it gets round to the dead network
	# namespace: wait (bounded) for that before comparing, and say how long it took.
	t0=$(now_ms)
	wait_until 60 links_back base
	ms=$(($(now_ms) - t0))
	snapshot after
	echo "# after the soak (links back at the baseline after ${ms} ms):"
	report base after
	echo "# zombies on the machine: $ZOMBIES_ALL_BEFORE -> $(zombies_all) (others' included; ours are counted above)"
	expect_same base after
}

t_gc_pristine() {
	gph_run gc
	expect_rc 0 || return 1
	grep -Eq '^removed [0-9a-f]{12} ' <<<"$OUT" && { fail "gc found a container to collect after the soak"; show_last; return 1; }
	snapshot gc
	expect_same pristine gc
}

tcase "baseline after one bridged run" t_baseline
tcase "a shell session of $EXECS execs: descriptors of the shell and its sandbox stay put" t_shell_fds
tcase "run leaves no descriptor of its own open (valgrind --track-fds)" t_run_fds_valgrind
tcase "$SEQ sequential runs with a memory limit and bridge networking" t_sequential
tcase "$PAR parallel runs, $JOBS at a time" t_parallel
tcase "afterwards: cgroups, mounts (here and host), links, nft rules, addresses, state, zombies at baseline" t_at_baseline
tcase "gc: nothing to collect; the bridge and its rules go, all back to before the first run" t_gc_pristine
gph_finish
