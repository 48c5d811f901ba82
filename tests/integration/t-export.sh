#!/bin/bash
# `export run` and `save`: for every lesson's final state and for hand-made sessions, the shell's
# sandbox, the container built by the exported `gophernetes run` line and the sandbox rebuilt from
# the saved script must look the same to the kernel — namespaces isolated or shared, hostname,
# root, mounts, cgroup limit files, capability sets, no_new_privs, seccomp, ids, working directory,
# links and addresses — all read from outside through /proc/PID of the running probe. Where export
# says the state cannot be expressed, it must say which step and why, and print no run line.
# The whole file runs in a private mount and network namespace (lessons 06 and 07 change the
# network namespace the shell runs in).
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns net
gph_setup
# A user namespace's root (host uid 100000 in lesson 08) must be able to reach the rootfs copy.
chmod 0755 "$GPH_TMP" || bail "chmod $GPH_TMP failed"

MARK="sleep 3737"   # the probe's command line, to find its PID from outside
PROBE=(/bin/probe sleep 3737)
LESSONS=$GPH_ROOT/lessons

# ---------------------------------------------------------------------------------------------
# What the kernel shows for PID, normalised so that two containers built alike compare equal.
snapshot() {
	local pid=$1 ns a b line path ctl f
	for ns in pid uts mnt ipc net cgroup user; do
		a=$(readlink "/proc/$pid/ns/$ns") b=$(readlink "/proc/self/ns/$ns")
		if [ "$a" = "$b" ]; then echo "ns $ns shared"; else echo "ns $ns isolated"; fi
	done
	echo "hostname $(nsenter -t "$pid" -u hostname)"
	echo "root $(stat -L -c '%d:%i' "/proc/$pid/root")"
	echo "cwd $(stat -L -c '%d:%i' "/proc/$pid/cwd")"
	# mount point, file system type, ro/rw (sources and ids differ by design)
	awk '{ for (i = 7; $i != "-"; i++) ; split($6, o, ","); print "mount", $5, $(i + 1), o[1] }' \
		"/proc/$pid/mountinfo" | sort
	grep -E '^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' "/proc/$pid/status"
	# the limit files of its cgroups
	while IFS=: read -r _ ctl path; do
		case $ctl in
		memory) for f in memory.limit_in_bytes memory.memsw.limit_in_bytes; do
				[ -r "/sys/fs/cgroup/memory$path/$f" ] && echo "cg $f $(cat "/sys/fs/cgroup/memory$path/$f")"; done ;;
		pids) echo "cg pids.max $(cat "/sys/fs/cgroup/pids$path/pids.max")" ;;
		cpu | cpu,cpuacct) for f in cpu.cfs_quota_us cpu.cfs_period_us cpu.shares; do
				[ -r "/sys/fs/cgroup/cpu$path/$f" ] && echo "cg $f $(cat "/sys/fs/cgroup/cpu$path/$f")"; done ;;
		"") [ "$(cgroup_mode)" = v2 ] || continue
			for f in memory.max memory.swap.max pids.max cpu.max cpu.weight; do
				[ -r "/sys/fs/cgroup$path/$f" ] && echo "cg $f $(cat "/sys/fs/cgroup$path/$f")"; done ;;
		esac
	done <"/proc/$pid/cgroup"
	# links and IPv4 addresses inside (the last two octets vary with what is free)
	nsenter -t "$pid" -n ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print "link", $2 }' | sort
	nsenter -t "$pid" -n ip -o -4 addr show |
		awk '{ split($4, a, "."); split(a[4], p, "/"); print "addr", $2, a[1] "." a[2] ".*.*/" p[2] }' | sort
}

# wait for the probe, snapshot it into FILE, then end it (it is ours: SIGKILL by PID)
snap_probe() {
	local file=$1 pid
	wait_until 60 probe_running "$MARK" || { fail "the probe never started"; return 1; }
	pid=$(probe_pids_matching "$MARK" | head -n 1)
	snapshot "$pid" >"$file" 2>&1
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# shell_session CMDS TAG: gophernetes-shell on CMDS (in the background), snapshot its probe into
# $GPH_TMP/TAG.snap, wait for the shell to end. Output in $GPH_TMP/TAG.out.
shell_session() {
	local cmds=$1 tag=$2 pid
	(cd "$GPH_TMP" && exec timeout -k 5 300 "$GPH_SHELL_BIN" --rootfs "$R" "$cmds") \
		>"$GPH_TMP/$tag.out" 2>&1 </dev/null &
	pid=$!
	GPH_PIDS+=("$pid")
	if grep -q "^exec /bin/probe $MARK\$" "$cmds"; then
		snap_probe "$GPH_TMP/$tag.snap" || { fail_file "$tag output" "$GPH_TMP/$tag.out"; return 1; }
	fi
	gph_bg_wait "$pid" 120 || { fail "the shell did not end"; fail_file "$tag output" "$GPH_TMP/$tag.out"; return 1; }
	return 0
}

# The run line export printed in OUTFILE -> RUN_ARGS (without "gophernetes" and the command).
parse_run_line() {
	local line
	line=$(grep -m1 '^gophernetes run ' "$1") || return 1
	line=${line#gophernetes run }
	line=${line% -- /bin/sh}
	eval "RUN_ARGS=($line)"
}

# Mounts made by exec'd commands (lesson 10: a mount below a shared mount propagates back into the
# sandbox) are not steps: save and export must say so (the shell measures the sandbox's mount table
# around every exec), and then the rebuilt container is compared without its mount lines.
EXEC_MOUNTS=0
expect_same() {
	local a=$1 b=$2 what=$3
	if [ "$EXEC_MOUNTS" = 1 ]; then
		grep -v '^mount ' "$a" >"$a.nomounts"
		grep -v '^mount ' "$b" >"$b.nomounts"
		a=$a.nomounts b=$b.nomounts
	fi
	if ! cmp -s "$a" "$b"; then
		fail "$what differs from the shell's sandbox:"
		diff "$a" "$b" >"$GPH_TMP/snap.diff"
		fail_file "  diff (shell < > $what)" "$GPH_TMP/snap.diff"
		return 1
	fi
}

# check_session CMDS [expressible|explained PATTERN]: the core of every case.
#   1. the shell replays CMDS, then `save`, `export run`, then execs the probe: snapshot S;
#   2. the saved script, replayed by a fresh shell, then the probe: snapshot must equal S;
#   3. if export printed a run line, that line with the probe: snapshot must equal S; otherwise
#      export must have named a step and why (PATTERN: a reason it must give), and printed no line.
check_session() {
	local cmds=$1 want=${2:-} pattern=${3:-} ok=0
	cp "$cmds" "$GPH_TMP/session.cmds"
	printf '%s\n' "save $GPH_TMP/saved.gph" 'export run' "exec /bin/probe $MARK" >>"$GPH_TMP/session.cmds"
	shell_session "$GPH_TMP/session.cmds" shell || return 1
	[ -s "$GPH_TMP/shell.snap" ] || { fail "no snapshot of the shell's probe"; fail_file "shell" "$GPH_TMP/shell.out"; return 1; }
	grep -q '^CapBnd:' "$GPH_TMP/shell.snap" || { fail "the snapshot is incomplete"; fail_file "snap" "$GPH_TMP/shell.snap"; return 1; }
	EXEC_MOUNTS=0
	if grep -q "^# note: .* run with \`exec\` changed the sandbox's mount table" "$GPH_TMP/shell.out"; then
		EXEC_MOUNTS=1
		grep -q '^# Not included: mounts made by commands run with `exec`' "$GPH_TMP/saved.gph" ||
			{ fail "save did not say that the script lacks the mounts exec'd commands made"; return 1; }
	fi

	# 2. the saved script
	[ -s "$GPH_TMP/saved.gph" ] || { fail "save wrote nothing"; fail_file "shell" "$GPH_TMP/shell.out"; return 1; }
	cp "$GPH_TMP/saved.gph" "$GPH_TMP/replay.cmds"
	echo "exec /bin/probe $MARK" >>"$GPH_TMP/replay.cmds"
	shell_session "$GPH_TMP/replay.cmds" replay || return 1
	expect_same "$GPH_TMP/shell.snap" "$GPH_TMP/replay.snap" "the saved script's sandbox" ||
		{ fail_file "saved script" "$GPH_TMP/saved.gph"; ok=1; }

	# 3. the exported run line
	if parse_run_line "$GPH_TMP/shell.out"; then
		if [ "$want" = explained ]; then
			fail "export printed a run line for a state it cannot express"; fail_file "shell" "$GPH_TMP/shell.out"; return 1
		fi
		gph_bg exported run "${RUN_ARGS[@]}" "${PROBE[@]}"
		snap_probe "$GPH_TMP/run.snap" || { fail_file "run stderr" "$GPH_TMP/exported.err"; return 1; }
		gph_bg_wait "$BG_PID" 30 || { fail "the exported run did not end"; return 1; }
		expect_same "$GPH_TMP/shell.snap" "$GPH_TMP/run.snap" "the exported run" ||
			{ fail "exported: gophernetes run ${RUN_ARGS[*]}"; fail_file "run stderr" "$GPH_TMP/exported.err"; ok=1; }
		EXPORTED="run ${RUN_ARGS[*]}"
	else
		if [ "$want" = expressible ]; then
			fail "export printed no run line"; fail_file "shell" "$GPH_TMP/shell.out"; return 1
		fi
		# the explanation: the header, then at least one reason
		awk '/^export run: `gophernetes run` cannot build this sandbox:/ { h = 1; next } h && /^  [^(]/ { n++ } END { exit !(h && n) }' \
			"$GPH_TMP/shell.out" || { fail "export printed neither a run line nor which step and why"; fail_file "shell" "$GPH_TMP/shell.out"; return 1; }
		if [ -n "$pattern" ] && ! grep -qF -- "$pattern" "$GPH_TMP/shell.out"; then
			fail "the explanation does not say: $pattern"; fail_file "shell" "$GPH_TMP/shell.out"; ok=1
		fi
		EXPORTED="explained: $(grep -A3 '^export run: ' "$GPH_TMP/shell.out" | sed -n 2p)"
	fi
	# the bridge stays for the next container by design; gc removes it once none is left
	gph_run gc
	[ "$ok" = 0 ] && expect_clean
}

# ---------------------------------------------------------------------------------------------
# Every lesson: its commands as a learner types them, then the checks above.
lesson_case() {
	local lesson=$1
	sed -n 's/^\$ //p' "$lesson" >"$GPH_TMP/lesson.cmds"
	[ -s "$GPH_TMP/lesson.cmds" ] || { fail "no commands in $lesson"; return 1; }
	check_session "$GPH_TMP/lesson.cmds" || return 1
	# lesson 10 ends with a mount that an exec'd command made and propagation brought back
	if grep -q 'mount -t tmpfs from-exec' "$GPH_TMP/lesson.cmds" && [ "$EXEC_MOUNTS" != 1 ]; then
		fail "a command mounted into the sandbox, yet save and export said nothing"; return 1
	fi
	diag "$(basename "$lesson" .lesson): $EXPORTED"
}

lesson_needs_unmet() {
	local need
	for need in $(sed -n 's/^@needs //p' "$1" | tr ',' ' '); do
		case $need in
		cgroup2) [ "$(cgroup_mode)" = v2 ] || { echo "needs cgroup v2, this host is $(cgroup_mode)"; return 0; } ;;
		userns) [ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || { echo "user namespaces are off"; return 0; }
			userns_blocked && return 0 ;;
		# An image's root: export cannot write `image REF` yet, and a probe run from the image's
		# layers is not the rootfs copy's file this test finds processes by.
		images) echo "its root is an image (export does not write image steps yet)"; return 0 ;;
		esac
	done
	return 1
}

N_LESSONS=0
for lesson in "$LESSONS"/*.lesson; do
	[ -e "$lesson" ] || bail "no lessons in $LESSONS"
	N_LESSONS=$((N_LESSONS + 1))
	name=$(basename "$lesson" .lesson)
	if why=$(lesson_needs_unmet "$lesson"); then
		GPH_N=$((GPH_N + 1))
		echo "ok $GPH_N - lesson $name: final state exported # SKIP $why"
		continue
	fi
	tcase "lesson $name: final state, exported and saved, builds the same container" lesson_case "$lesson"
done

# ---------------------------------------------------------------------------------------------
# Hand-made sessions that use the options the lessons do not.

t_full() {
	printf '%s\n' 'ns pid uts mnt ipc net cgroup' 'hostname box' 'cgroup mem 48M' 'cgroup pids 20' 'cgroup cpu 0.5' \
		'pivot_root' 'mount proc' 'mount dev' 'mount sys' 'readonly' 'cap default' 'cap drop NET_RAW' \
		'cap add SYS_PTRACE' 'mask on' 'nnp on' 'seccomp default' 'user 1000:1000' 'workdir /tmp' >"$GPH_TMP/s.cmds"
	check_session "$GPH_TMP/s.cmds" expressible || return 1
	for o in --memory --pids-limit --cpus --read-only '--cap-drop NET_RAW' '--cap-add SYS_PTRACE' '-u 1000:1000' '-w /tmp'; do
		grep -qF -- " $o" <<<"$EXPORTED" || { fail "the line lacks $o: $EXPORTED"; return 1; }
	done
	! grep -qF -- "--privileged" <<<"$EXPORTED" || { fail "--privileged in: $EXPORTED"; return 1; }
}

t_chroot_unconfined() {
	# the mount steps in another order than run's; privileges without nnp and seccomp
	printf '%s\n' 'ns pid uts ipc mnt' 'hostname old' 'chroot' 'mount sys' 'mount dev' 'mount proc' 'hostname new' \
		'cap default' 'mask on' 'nnp off' 'seccomp off' >"$GPH_TMP/s.cmds"
	check_session "$GPH_TMP/s.cmds" expressible || return 1
	for o in --chroot '--hostname new' --no-new-privileges=false --seccomp=unconfined; do
		grep -qF -- " $o" <<<"$EXPORTED" || { fail "the line lacks $o: $EXPORTED"; return 1; }
	done
}

t_bridge_port() {
	printf '%s\n' 'ns net pid mnt uts' 'hostname web' 'net bridge' 'net port 18080:80' 'net nat' 'pivot_root' \
		'mount proc' 'mount dev' 'mount sys' >"$GPH_TMP/s.cmds"
	check_session "$GPH_TMP/s.cmds" expressible || return 1
	for o in '--net bridge' '-p 18080:80' --privileged; do
		grep -qF -- " $o" <<<"$EXPORTED" || { fail "the line lacks $o: $EXPORTED"; return 1; }
	done
}

t_veth_uts_kept() {
	# `ns uts` without `hostname` keeps the host's name: exported as --hostname <that name>;
	# `net veth` after the root change builds the same thing as before it
	printf '%s\n' 'ns net pid mnt uts' 'pivot_root' 'net veth' 'mount proc' 'mount dev' 'mount sys' \
		'cap default' 'cap drop ALL' 'mask on' 'nnp on' 'seccomp default' >"$GPH_TMP/s.cmds"
	check_session "$GPH_TMP/s.cmds" expressible || return 1
	for o in '--net veth' "--hostname $HOST_HOSTNAME" '--cap-drop ALL'; do
		grep -qF -- " $o" <<<"$EXPORTED" || { fail "the line lacks $o: $EXPORTED"; return 1; }
	done
}

t_mount_before_root() {
	printf '%s\n' 'ns mnt pid' 'mount proc' 'pivot_root' 'mount dev' 'mount sys' >"$GPH_TMP/s.cmds"
	check_session "$GPH_TMP/s.cmds" explained 'step 2 `mount proc`: it came before the root change'
}

t_bridge_without_nat() {
	printf '%s\n' 'ns net pid mnt' 'net bridge' 'pivot_root' 'mount proc' 'mount dev' 'mount sys' >"$GPH_TMP/s.cmds"
	check_session "$GPH_TMP/s.cmds" explained 'no `net nat` after it'
}

t_failed_step_blocks() {
	# a step that failed (and still blocks exec) is named; save leaves it out and says so
	printf '%s\n' 'ns mnt pid' 'pivot_root' 'mount proc' 'mount dev' 'mount sys' 'hostname nope' >"$GPH_TMP/s.cmds"
	printf '%s\n' "save $GPH_TMP/saved.gph" 'export run' >>"$GPH_TMP/s.cmds"
	shell_session "$GPH_TMP/s.cmds" shell || return 1
	grep -qF 'the step `hostname nope` failed' "$GPH_TMP/shell.out" ||
		{ fail "export does not name the failed step"; fail_file "shell" "$GPH_TMP/shell.out"; return 1; }
	! grep -q '^gophernetes run ' "$GPH_TMP/shell.out" || { fail "a run line was printed"; return 1; }
	grep -q '^# Not included: the step that failed, `hostname nope`' "$GPH_TMP/saved.gph" ||
		{ fail "save does not say the failed step is left out"; fail_file "saved" "$GPH_TMP/saved.gph"; return 1; }
	! grep -q '^hostname' "$GPH_TMP/saved.gph" || { fail "the failed step was saved"; return 1; }
	expect_clean
}

tcase "session: every namespace, limits, read-only, caps relative to the default, user, workdir" t_full
tcase "session: chroot, mounts in another order, hostname twice, no nnp, no seccomp" t_chroot_unconfined
tcase "session: bridge, NAT and a published port (in the test's network namespace)" t_bridge_port
tcase "session: veth after the root change, uts without hostname, --cap-drop ALL" t_veth_uts_kept
tcase "export names a mount made before the root change" t_mount_before_root
tcase "export names a bridge without NAT" t_bridge_without_nat
tcase "export and save with a failed step" t_failed_step_blocks
[ "$N_LESSONS" -ge 1 ] || bail "no lessons found"
gph_finish
