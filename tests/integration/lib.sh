# shellcheck shell=bash disable=SC2034  # variables set here are read by the t-*.sh files
# lib.sh — shared helpers for the integration tests (sourced by every t-*.sh).
#
# A test file:
#     . "$(dirname "$0")/lib.sh"
#     gph_enter_test_ns mnt|net   # re-exec in a private mount (and network) namespace of its own
#     gph_setup                   # temp dir, rootfs copy with /bin/probe, state dir, baselines, traps
#     t_something() { gph_run run --rootfs "$R" /bin/true; expect_rc 0 || return 1; }
#     tcase "what it checks" t_something
#     gph_finish
#
# Output is TAP-like: "ok N - name" / "not ok N - name" with "# ..." diagnostics; run-all.sh
# counts the cases. Assertions record a diagnostic and return 1, so a case reads
#     expect_rc 0 || return 1
#
# Rules these helpers keep: every wait is bounded; cleanup runs on any exit (kills only the PIDs
# this test started and the processes running binaries of its own rootfs copy, runs `gophernetes
# gc` on its private state dir, removes its cgroups and temp dir); the machine's own network and
# mount table are never touched — the test namespaces play "the host".

set -u

GPH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
GPH_SELF=$(cd "$(dirname "$0")" && pwd -P)/$(basename "$0")
GPH_NAME=$(basename "$0" .sh)
GPH_BIN=${GPH_BIN:-$GPH_ROOT/build}
case $GPH_BIN in /*) ;; *) GPH_BIN=$PWD/$GPH_BIN ;; esac
GPH=$GPH_BIN/gophernetes
GPH_SHELL_BIN=$GPH_BIN/gophernetes-shell
GPH_PROBE=${GPH_PROBE:-$GPH_BIN/probe}
GPH_ROOTFS_SRC=${GPH_ROOTFS:-$GPH_ROOT/rootfs}
GPH_WAIT=${GPH_WAIT:-30}             # seconds one product command may take before it counts as hung
GPH_TMPBASE=${GPH_TEST_TMPDIR:-/tmp}

GPH_N=0          # cases run
GPH_NFAIL=0      # cases failed
GPH_DIAG=()      # diagnostics of the current case
GPH_PIDS=()      # background processes this test started
GPH_IDS=()       # container ids this test learned (for the cleanup fallback)
GPH_TMP=""
GPH_SINCE="case"   # what "nothing left" compares with: the start of the "case" or of the "file"
R=""             # the test's rootfs copy

# ---------------------------------------------------------------------------------------------
# TAP output

# Record a diagnostic line (or several) for the current case; always returns 1.
fail() {
	local l
	for l in "$@"; do GPH_DIAG+=("$l"); done
	return 1
}

diag() {
	local l
	while IFS= read -r l; do printf '# %s\n' "$l"; done <<<"$*"
}

# A file as diagnostics, prefixed with a label: all of it up to 15 lines, else the first 5 and
# the last 10.
fail_file() {
	local label=$1 file=$2 l n
	[ -s "$file" ] || { GPH_DIAG+=("$label: (empty)"); return 1; }
	n=$(wc -l <"$file")
	if [ "$n" -le 15 ]; then
		while IFS= read -r l; do GPH_DIAG+=("$label: $l"); done <"$file"
	else
		while IFS= read -r l; do GPH_DIAG+=("$label: $l"); done < <(head -n 5 "$file")
		GPH_DIAG+=("$label: ... ($((n - 15)) lines)")
		while IFS= read -r l; do GPH_DIAG+=("$label: $l"); done < <(tail -n 10 "$file")
	fi
	return 1
}

# userns_blocked: succeeds, printing why, when this process cannot create user namespaces for a
# reason outside the product: in a chroot the kernel refuses CLONE_NEWUSER whatever the privileges
# (fresh-machine.sh runs the tests in one). Fails when they work, or when it cannot tell why: then
# the cases run, and fail with the product's own message.
userns_blocked() {
	unshare -U true 2>/dev/null && return 1
	[ "$(stat -L -c %d:%i /)" != "$(stat -L -c %d:%i /proc/1/root 2>/dev/null)" ] || return 1
	echo "this test runs in a chroot, where the kernel refuses new user namespaces (unshare(2): EPERM)"
}

# ucase NAME FUNC [ARGS...]: a case that needs user namespaces: tcase, or a skip that says why
# (userns_blocked), never a silent one.
ucase() {
	local why
	if why=$(userns_blocked); then
		GPH_N=$((GPH_N + 1))
		echo "ok $GPH_N - $1 # SKIP $why"
		return 0
	fi
	tcase "$@"
}

# tcase NAME FUNC [ARGS...]: run one case in this shell and print its result. "Nothing left"
# checks inside a case compare with the state at the start of that case, so one leak is
# reported by the case that made it (and again by the file's final check), not by every later one.
tcase() {
	local name=$1 rc
	shift
	GPH_DIAG=()
	gph_snapshot case
	"$@"
	rc=$?
	GPH_N=$((GPH_N + 1))
	if [ $rc -eq 0 ]; then
		echo "ok $GPH_N - $name"
	else
		GPH_NFAIL=$((GPH_NFAIL + 1))
		echo "not ok $GPH_N - $name"
		local l
		for l in "${GPH_DIAG[@]}"; do diag "$l"; done
	fi
	# Whatever the case left running is stopped before the next one: the runtimes it started in
	# the background, and container processes running our rootfs's binaries.
	gph_kill_bg
	learn_ids
	local p
	for p in $(our_container_pids); do kill -KILL "$p" 2>/dev/null; done
	return 0
}

gph_finish() {
	GPH_SINCE="file"
	tcase "nothing left behind ($GPH_NAME)" expect_clean
	[ "$GPH_NFAIL" -eq 0 ] && exit 0
	exit 1
}

bail() {
	GPH_N=$((GPH_N + 1))
	echo "not ok $GPH_N - $GPH_NAME: $*"
	exit 1
}

# ---------------------------------------------------------------------------------------------
# Namespaces that play "the host"

# Re-exec this test script in a mount namespace of its own (propagation made private towards the
# real host, then `/` made rshared inside, so a runtime that forgets to make its own mounts private
# leaks them into this namespace where the test sees them — and nowhere else). With "net", also
# in a new network namespace with only `lo`, up: the machine's own network is never touched.
gph_enter_test_ns() {
	local net=""
	case $1 in
	mnt) ;;
	net) net=--net ;;
	*) bail "gph_enter_test_ns: mnt or net, not '$1'" ;;
	esac
	if [ "${GPH_IN_TEST_NS:-}" != 1 ]; then
		[ "$(id -u)" = 0 ] || bail "needs root"
		command -v unshare >/dev/null || bail "unshare(1) missing (apt-get install util-linux)"
		GPH_HOST_NETNS=$(readlink /proc/self/ns/net)
		GPH_HOST_MNTNS=$(readlink /proc/self/ns/mnt)
		export GPH_HOST_NETNS GPH_HOST_MNTNS
		# shellcheck disable=SC2093  # the bail below runs only if exec itself fails
		GPH_IN_TEST_NS=1 exec unshare --mount --propagation private $net -- bash "$GPH_SELF"
		bail "exec unshare failed"
	fi
	[ "$(readlink /proc/self/ns/mnt)" != "$GPH_HOST_MNTNS" ] || bail "not in a new mount namespace"
	mount --make-rshared / || bail "mount --make-rshared / in the test mount namespace failed"
	if [ -n "$net" ]; then
		# Refuse to go on in the machine's own network namespace.
		[ "$(readlink /proc/self/ns/net)" != "$GPH_HOST_NETNS" ] ||
			bail "not in a new network namespace; refusing to touch the machine's network"
		ip link set lo up || bail "ip link set lo up failed"
		GPH_NETNS=1
	else
		GPH_NETNS=0
	fi
}

# The network variant under the name the tests' brief uses.
in_netns() { gph_enter_test_ns net; }

# ---------------------------------------------------------------------------------------------
# Setup and cleanup

gph_setup() {
	[ "$(id -u)" = 0 ] || bail "the integration tests need root"
	local f
	for f in "$GPH" "$GPH_SHELL_BIN" "$GPH_PROBE"; do
		[ -x "$f" ] || bail "$f missing (build it: make; make $GPH_BIN/probe)"
	done
	[ -x "$GPH_ROOTFS_SRC/bin/busybox" ] || bail "$GPH_ROOTFS_SRC missing (make rootfs/bin/busybox)"
	for f in timeout setpriv nsenter findmnt mount ip find pgrep cmp; do
		command -v "$f" >/dev/null ||
			bail "$f missing (apt-get install coreutils util-linux mount iproute2 findutils procps diffutils)"
	done

	GPH_TMP=$(mktemp -d "$GPH_TMPBASE/gph-test.XXXXXX") || bail "mktemp -d failed"
	trap gph_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM

	R=$GPH_TMP/rootfs
	cp -a "$GPH_ROOTFS_SRC" "$R" || bail "cp -a $GPH_ROOTFS_SRC $R failed"
	cp "$GPH_PROBE" "$R/bin/probe" || bail "installing the probe failed"
	chmod 0755 "$R/bin/probe" || bail "chmod $R/bin/probe failed"
	export GPH_STATE_DIR=$GPH_TMP/state
	# A sentinel that must never show up inside a container.
	export GPH_SECRET=1

	HOST_HOSTNAME=$(hostname)
	gph_snapshot file
}

# Baselines for the "nothing left" checks: cgroups, state entries, links, mountinfo, as NAME
# ("file" at setup, "case" at the start of each case).
gph_snapshot() {
	cgroup_dirs >"$GPH_TMP/cgroups.$1"
	find "$GPH_STATE_DIR" -mindepth 1 -maxdepth 1 2>/dev/null | sort >"$GPH_TMP/state.$1"
	link_names >"$GPH_TMP/links.$1"
	mnt_snapshot "$1"
}

# Remember the container ids in our state dir (for the cleanup fallback).
learn_ids() {
	local d p
	for p in $(our_container_pids); do learn_ids_of_pid "$p"; done
	[ -d "${GPH_STATE_DIR:-}" ] || return 0
	for d in "$GPH_STATE_DIR"/*/; do
		[ -d "$d" ] && GPH_IDS+=("$(basename "$d")")
	done
	return 0
}

# Remember the container id of the cgroup PID is in (".../gophernetes/<id>").
learn_ids_of_pid() {
	local line
	while IFS= read -r line; do
		[[ $line =~ /gophernetes/([0-9a-f]+) ]] && GPH_IDS+=("${BASH_REMATCH[1]}")
	done 2>/dev/null <"/proc/$1/cgroup"
	return 0
}

# Kill what this test started in the background and is still running.
gph_kill_bg() {
	local p
	for p in "${GPH_PIDS[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -KILL "$p" 2>/dev/null
		fi
		wait "$p" 2>/dev/null
	done
	GPH_PIDS=()
}

gph_cleanup() {
	local rc=$? p id d
	trap - EXIT HUP INT TERM
	[ -n "$GPH_TMP" ] || exit $rc
	gph_kill_bg
	learn_ids
	# Container processes running binaries of our own rootfs copy are ours; so are their cgroups.
	for p in $(our_container_pids); do
		learn_ids_of_pid "$p"
		kill -KILL "$p" 2>/dev/null
	done
	# Runtimes of ours (their command line names our temp dir) that outlived the test.
	for p in $(pgrep -f -- "$GPH_TMP/"); do
		[ "$p" = "$$" ] || kill -KILL "$p" 2>/dev/null
	done
	# Let the product collect what it left (it is tested separately in t-cleanup).
	if [ -x "$GPH" ]; then
		timeout -k 2 20 "$GPH" gc >/dev/null 2>&1 </dev/null
	fi
	learn_ids
	# Fallback, so that a broken product does not leave cgroups on the machine: the cgroups of
	# container ids known to be ours, deepest first.
	for id in $(printf '%s\n' "${GPH_IDS[@]}" | sort -u); do
		[[ $id =~ ^[0-9a-f]{12,64}$ ]] || continue
		for d in $(find /sys/fs/cgroup -type d -path "*/gophernetes/$id*" 2>/dev/null | sort -r); do
			while read -r p; do kill -KILL "$p" 2>/dev/null; done 2>/dev/null <"$d/cgroup.procs"
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				rmdir "$d" 2>/dev/null && break
				[ -d "$d" ] || break
				sleep 0.1
			done
			[ -d "$d" ] && echo "# cleanup: could not remove $d" >&2
		done
	done
	# Mounts below our temp dir (only possible if the product leaked them into this namespace).
	awk -v t="$GPH_TMP/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while IFS= read -r d; do umount -l "$d" 2>/dev/null; done
	rm -rf --one-file-system "$GPH_TMP"
	exit $rc
}

# ---------------------------------------------------------------------------------------------
# Running the product

# gph_run ARGS...: "$GPH" ARGS with stdin from /dev/null, bounded by GPH_WAIT seconds.
# Sets RC, OUT, ERR (also in $GPH_TMP/out and $GPH_TMP/err).
gph_run() {
	timeout -k 5 "$GPH_WAIT" "$GPH" "$@" >"$GPH_TMP/out" 2>"$GPH_TMP/err" </dev/null
	RC=$?
	OUT=$(cat "$GPH_TMP/out")
	ERR=$(cat "$GPH_TMP/err")
	LAST_CMD="gophernetes $*"
}

# gph_shell_run FILE [ARGS...]: gophernetes-shell reading commands from FILE on stdin, run in
# $GPH_TMP (so ./rootfs names the test rootfs). Sets RC, OUT, ERR.
gph_shell_run() {
	local in=$1
	shift
	(cd "$GPH_TMP" && timeout -k 5 "$GPH_WAIT" "$GPH_SHELL_BIN" "$@" <"$in" \
		>"$GPH_TMP/out" 2>"$GPH_TMP/err")
	RC=$?
	OUT=$(cat "$GPH_TMP/out")
	ERR=$(cat "$GPH_TMP/err")
	LAST_CMD="gophernetes-shell $* < $in"
}

# gph_bg TAG ARGS...: start "$GPH" ARGS in the background (output in $GPH_TMP/TAG.out/.err);
# BG_PID is the runtime's PID.
gph_bg() {
	local tag=$1
	shift
	"$GPH" "$@" >"$GPH_TMP/$tag.out" 2>"$GPH_TMP/$tag.err" </dev/null &
	BG_PID=$!
	GPH_PIDS+=("$BG_PID")
}

# gph_bg_wait PID SECONDS: wait (bounded) for a background runtime to end; BG_RC is its status
# as the shell reports it. Returns 1 if it is still running after SECONDS (it is left running,
# tcase kills it).
gph_bg_wait() {
	local pid=$1 secs=$2
	if ! wait_until "$secs" not_running "$pid"; then
		BG_RC=""
		return 1
	fi
	wait "$pid" 2>/dev/null # (no "Killed" job notice in the TAP output)
	BG_RC=$?
	return 0
}

not_running() {
	# A finished child that has not been waited for is a zombie: count it as not running.
	local st
	[ -r "/proc/$1/stat" ] || return 0
	read -r st 2>/dev/null <"/proc/$1/stat" || return 0
	st=${st##*) }
	[ "${st%% *}" = Z ]
}

# wait_until SECONDS CMD...: poll CMD every 50 ms until it succeeds; 1 on timeout.
wait_until() {
	local secs=$1 end
	shift
	end=$(( $(now_ms) + secs * 1000 ))
	while ! "$@"; do
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
	return 0
}

now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# PIDs of processes running the test rootfs's probe or busybox (inode comparison, so it works
# whatever mount namespace the process is in).
our_container_pids() {
	[ -n "$R" ] || return 0
	find -L /proc/[0-9]*/exe -maxdepth 0 \( -samefile "$R/bin/probe" -o -samefile "$R/bin/busybox" \) \
		2>/dev/null | cut -d/ -f3
}

# PIDs running our probe whose command line contains WORDS (e.g. "sleep 30").
probe_pids_matching() {
	local p cmdline
	for p in $(find -L /proc/[0-9]*/exe -maxdepth 0 -samefile "$R/bin/probe" 2>/dev/null | cut -d/ -f3); do
		cmdline=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
		case "$cmdline" in *"$1"*) echo "$p" ;; esac
	done
}

probe_running() { [ -n "$(probe_pids_matching "$1")" ]; }

# `gophernetes ps`, then the line whose text contains PATTERN: PS_ID, PS_NAME, PS_PID, PS_LINE.
ps_find() {
	local line
	PS_ID="" PS_NAME="" PS_PID="" PS_LINE=""
	PS_OUT=$(timeout -k 2 10 "$GPH" ps 2>&1 </dev/null) || return 1
	line=$(tail -n +2 <<<"$PS_OUT" | grep -F -- "$1" | head -n 1)
	[ -n "$line" ] || return 1
	PS_LINE=$line
	read -r PS_ID PS_NAME PS_PID _ <<<"$line"
	GPH_IDS+=("$PS_ID")
	return 0
}

# ---------------------------------------------------------------------------------------------
# Facts about the host side

cgroup_mode() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then echo v2; else echo v1; fi
}

# Every directory below a directory named "gophernetes" in any cgroup hierarchy — except those
# of containers that other sessions on a shared machine run at the same time: on v1 the memory
# hierarchy tells them apart when sessions run in different memory cgroups (as on this VM), so
# an id whose memory cgroup lies under another session's cgroup is not ours.
cgroup_dirs() {
	local own foreign all
	own=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
	own=/sys/fs/cgroup/memory${own%/}/gophernetes/
	# List first, then decide which ids are foreign: a container another session creates in between
	# is then either absent from the list or recognised as foreign, never counted as ours.
	all=$(find /sys/fs/cgroup -mindepth 2 -type d -path '*/gophernetes/*' 2>/dev/null)
	# Foreign ids come from the same listing, so a container that ends in between cannot slip through.
	foreign=$(printf '%s\n' "$all" | grep '^/sys/fs/cgroup/memory/' |
		awk -v own="$own" 'index($0, own) != 1 { n = split($0, p, "/"); print "/" p[n] "$" }')
	[ -n "$all" ] || return 0
	printf '%s\n' "$all" |
		if [ -n "$foreign" ]; then grep -v -f <(printf '%s\n' "$foreign"); else cat; fi | sort
}

# The container's cgroup directory for CONTROLLER (v1) or the unified one (v2).
cgroup_dir_of() {
	local id=$1 ctl=$2 base=/sys/fs/cgroup
	[ "$(cgroup_mode)" = v1 ] && base=/sys/fs/cgroup/$ctl
	find "$base" -type d -path "*/gophernetes/$id" 2>/dev/null | head -n 1
}

# Link names in the current network namespace ("gph-1a2b3c4d", without "@ifN").
link_names() {
	ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
}

host_veths() { link_names | grep '^gph-' || true; }

mnt_snapshot() { cat /proc/self/mountinfo >"$GPH_TMP/mnt.$1"; }

# expect_mounts_same NAME: this namespace's mountinfo is what it was at snapshot NAME.
expect_mounts_same() {
	local now=$GPH_TMP/mnt.now
	cat /proc/self/mountinfo >"$now"
	if ! cmp -s "$GPH_TMP/mnt.$1" "$now"; then
		fail "the host's /proc/self/mountinfo changed since '$1':"
		diff "$GPH_TMP/mnt.$1" "$now" >"$GPH_TMP/mnt.diff"
		fail_file "  diff" "$GPH_TMP/mnt.diff"
		return 1
	fi
}

# ---------------------------------------------------------------------------------------------
# Assertions (each records why it failed and returns 1)

show_last() {
	fail "command: $LAST_CMD" "exit status: $RC"
	printf '%s\n' "$OUT" >"$GPH_TMP/show.out"
	printf '%s\n' "$ERR" >"$GPH_TMP/show.err"
	fail_file "stdout" "$GPH_TMP/show.out"
	fail_file "stderr" "$GPH_TMP/show.err"
}

expect_rc() {
	[ "$RC" = "$1" ] && return 0
	[ "$RC" = 124 ] && fail "timed out after ${GPH_WAIT}s"
	fail "expected exit status $1"
	show_last
}

expect_line() {
	grep -qxF -- "$1" <<<"$OUT" && return 0
	fail "expected a stdout line exactly '$1'"
	show_last
}

expect_no_line() {
	grep -qxF -- "$1" <<<"$OUT" || return 0
	fail "expected no stdout line '$1'"
	show_last
}

# expect_err REGEX: stderr matches the extended regular expression.
expect_err() {
	grep -qE -- "$1" <<<"$ERR" && return 0
	fail "expected stderr to match /$1/"
	show_last
}

# The runtime's own messages start with "gophernetes: ".
expect_err_message() {
	grep -q '^gophernetes: ' <<<"$ERR" && return 0
	fail "expected a 'gophernetes: ...' message on stderr"
	show_last
}

expect_no_cgroups_left() {
	local left
	left=$(cgroup_dirs | comm -13 "$GPH_TMP/cgroups.${1:-case}" -)
	[ -z "$left" ] && return 0
	fail "cgroups of ours left:"
	local d
	for d in $left; do fail "  $d"; done
	return 1
}

expect_no_state_left() {
	local left
	# (an empty ipam directory is where allocations live and lock, not a leftover)
	left=$(find "$GPH_STATE_DIR" -mindepth 1 -maxdepth 1 ! \( -name ipam -empty \) 2>/dev/null | sort |
		comm -13 "$GPH_TMP/state.${1:-case}" -)
	[ -z "$left" ] && return 0
	fail "state left in $GPH_STATE_DIR:" "$left"
}

expect_no_links_left() {
	local left
	left=$(link_names | comm -13 "$GPH_TMP/links.${1:-case}" -)
	[ -z "$left" ] && return 0
	fail "network links left in the test's namespace: $(echo "$left" | tr '\n' ' ')"
}

# Children of this shell (scanned without forking, so the scan does not see itself).
_children_of_self() {
	local f line rest pid
	_KIDS=""
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$f" || continue
		rest=${line##*) }
		read -r _ rest _ <<<"$rest"   # state, ppid
		[ "$rest" = "$$" ] || continue
		pid=${f#/proc/}
		_KIDS+=" ${pid%/stat}"
	done
}

expect_no_procs_left() {
	local ours kids p bad=0
	_children_of_self
	kids=$_KIDS
	ours=$(our_container_pids)
	# Runtime processes of ours carry our temp dir on their command line (--rootfs $R).
	ours+=" $(pgrep -f -- "$GPH_TMP/" | grep -vx "$$" || true)"
	for p in $kids $ours; do
		[ "$p" = "$$" ] && continue
		[ -d "/proc/$p" ] || continue
		bad=1
		fail "process left: $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
	done
	[ $bad = 0 ]
}

# expect_clean: nothing of ours left compared with the start of this case (or, with
# GPH_SINCE=file, of this file).
expect_clean() {
	local ok=0 since=${GPH_SINCE:-case}
	expect_no_cgroups_left "$since" || ok=1
	expect_no_state_left "$since" || ok=1
	expect_no_procs_left || ok=1
	expect_mounts_same "$since" || ok=1
	if [ "${GPH_NETNS:-0}" = 1 ]; then expect_no_links_left "$since" || ok=1; fi
	return $ok
}

# Host-side values for comparisons.
host_ns() { readlink "/proc/self/ns/$1"; }
