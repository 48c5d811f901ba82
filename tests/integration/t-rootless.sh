#!/bin/bash
# Rootless mode (issue 7, B36): an unprivileged user this test creates runs `gophernetes run` and the
# shell. The user namespace comes first and owns the rest; what needs the host's privileges (a
# cgroup, links on the host) is refused with one clear line and nothing left behind; root inside
# stays an ordinary user outside (host root's files are read-only to it, its files are the user's).
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup
command -v useradd >/dev/null && command -v userdel >/dev/null || bail "useradd/userdel missing (apt-get install passwd)"

RL_USER=gph-rl-$$
RL_DIR=""
rl_cleanup() {
	local rc=$?
	# the user's processes are ours (this test made the user); then the user and its files
	if id -u "$RL_USER" >/dev/null 2>&1; then
		pkill -KILL -u "$RL_USER" 2>/dev/null
		userdel "$RL_USER" 2>/dev/null || diag "userdel $RL_USER failed"
	fi
	[ -n "$RL_DIR" ] && rm -rf "$RL_DIR"
	if [ -n "$RL_CG" ] && [ -d "$RL_CG" ]; then
		find "$RL_CG" -depth -mindepth 1 -type d -exec rmdir {} + 2>/dev/null
		rmdir "$RL_CG" || diag "could not remove $RL_CG"
	fi
	(exit "$rc") # gph_cleanup exits with the status it finds: the test's, not this function's
	gph_cleanup
}
trap rl_cleanup EXIT
useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RL_USER" ||
	bail "useradd $RL_USER failed"
RL_UID=$(id -u "$RL_USER")
RL_GID=$(id -g "$RL_USER")
RL_DIR=$(mktemp -d /tmp/gph-rl.XXXXXX) || bail "mktemp failed"
chmod 0755 "$RL_DIR"
RLR=$RL_DIR/rootfs                # host root's rootfs copy, readable by the user
cp -a "$R" "$RLR" || bail "copying the rootfs failed"
mkdir "$RL_DIR/xdg" && chown "$RL_USER:" "$RL_DIR/xdg" && chmod 0700 "$RL_DIR/xdg" || bail "xdg dir"
RL_STATE=$RL_DIR/xdg/gophernetes  # where the runtime keeps state without root ($XDG_RUNTIME_DIR)

# as_user CMD...: run a product command as the test user (no root anywhere), like gph_run.
as_user() {
	(cd "$RL_DIR" && timeout -k 5 "$GPH_WAIT" setpriv --reuid "$RL_UID" --regid "$RL_GID" --clear-groups -- \
		env -u GPH_STATE_DIR XDG_RUNTIME_DIR="$RL_DIR/xdg" "$@" >"$GPH_TMP/out" 2>"$GPH_TMP/err" <"${RL_IN:-/dev/null}")
	RC=$?
	OUT=$(cat "$GPH_TMP/out")
	ERR=$(cat "$GPH_TMP/err")
	LAST_CMD="(as $RL_USER) $*"
}

rl_state_empty() {
	local left
	left=$(find "$RL_STATE" -mindepth 1 -maxdepth 1 ! -name ipam 2>/dev/null)
	[ -z "$left" ] || { fail "state left in $RL_STATE: $left"; return 1; }
}

t_run() {
	as_user "$GPH" run --rootfs "$RLR" /bin/sh -c 'id -u; cat /proc/self/uid_map; echo pid=$$; ps | wc -l; grep ^CapBnd /proc/self/status; hostname'
	expect_rc 0 || return 1
	expect_line 0 || return 1
	grep -qE "^ +0 +$RL_UID +1\$" <<<"$OUT" || { fail "uid_map should map 0 to $RL_UID"; show_last; return 1; }
	expect_line pid=1 || return 1
	# header, sh, ps, wc: nothing of the host's
	[ "$(sed -n 4p <<<"$OUT" | tr -d ' ')" -le 5 ] || { fail "ps inside shows more than the container"; show_last; return 1; }
	grep -qP '^CapBnd:\t00000000a00425fb$' <<<"$OUT" || { fail "the default bounding set applies rootless too"; show_last; return 1; }
	[ -d "$RL_STATE" ] || { fail "no state under \$XDG_RUNTIME_DIR/gophernetes"; return 1; }
	[ "$(stat -c %U "$RL_STATE")" = "$RL_USER" ] || { fail "state dir not owned by the user"; return 1; }
	rl_state_empty || return 1
	as_user "$GPH" run --rootfs "$RLR" /bin/sh -c 'exit 7'
	expect_rc 7 || return 1
	expect_clean
}

t_files() {
	# Root inside is the user outside: host root's files stay read-only, files made inside are the user's.
	as_user "$GPH" run --rootfs "$RLR" /bin/sh -c 'echo x >> /etc/passwd; echo rc=$?; stat -c %u /etc/passwd; touch /tmp/mine'
	expect_rc 0 || return 1
	expect_line rc=1 || return 1
	expect_line 65534 || return 1
	grep -q '^x$' "$RLR/etc/passwd" && { fail "/etc/passwd of the rootfs was written"; return 1; }
	[ "$(stat -c %u "$RLR/tmp/mine")" = "$RL_UID" ] || { fail "a file made inside should belong to $RL_UID"; return 1; }
	rm -f "$RLR/tmp/mine"
	expect_clean
}

t_refusals() {
	# What needs the host's privileges: one clear line, status 125, nothing made.
	as_user "$GPH" run --rootfs "$RLR" --memory 32M /bin/true
	expect_rc 125 || return 1
	[ "$(grep -c '^gophernetes: ' <<<"$ERR")" = 1 ] || { fail "expected one 'gophernetes:' line"; show_last; return 1; }
	expect_err 'no cgroup' || return 1
	expect_err 'delegated' || return 1
	rl_state_empty || return 1
	as_user "$GPH" run --rootfs "$RLR" --net bridge /bin/true
	expect_rc 125 || return 1
	expect_err 'need root' || return 1
	rl_state_empty || return 1
	expect_clean
}

# A cgroup v2 directory delegated to the user, as systemd's Delegate=yes makes one: the directory
# and its cgroup.procs, cgroup.subtree_control and cgroup.threads belong to the user. It lies in a
# subtree of our own name below the test's cgroup; rl_cleanup removes it (deepest first).
RL_CG=""
# as_user_delegated LEAF SHELL-CMD: gophernetes run --memory 16M --pids-limit 12 as the user, started
# alone in a new leaf of the delegated cgroup, as a systemd scope would start it (root moves the
# shell that then execs it there). The runtime then steps into a leaf of its own below it.
as_user_delegated() {
	local leaf=$RL_CG/$1
	shift
	mkdir "$leaf" && chown "$RL_USER:" "$leaf" "$leaf/cgroup.procs" "$leaf/cgroup.subtree_control" "$leaf/cgroup.threads" ||
		{ RC=999 OUT="" ERR="could not make $leaf"; return; }
	(cd "$RL_DIR" && timeout -k 5 "$GPH_WAIT" sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$leaf" \
		setpriv --reuid "$RL_UID" --regid "$RL_GID" --clear-groups -- env -u GPH_STATE_DIR XDG_RUNTIME_DIR="$RL_DIR/xdg" \
		"$GPH" run --rootfs "$RLR" --memory 16M --pids-limit 12 /bin/sh -c "$1" \
		>"$GPH_TMP/out" 2>"$GPH_TMP/err" </dev/null)
	RC=$?
	OUT=$(cat "$GPH_TMP/out")
	ERR=$(cat "$GPH_TMP/err")
	LAST_CMD="(as $RL_USER, in $leaf) run --memory 16M --pids-limit 12 /bin/sh -c '$1'"
}

t_delegated() {
	local own parent ok=0 left
	own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	parent=/sys/fs/cgroup${own%/}
	RL_CG=$parent/gophernetes-rl-delegated.$$
	# the controllers must reach the delegated directory (the parent hands them down)
	for c in memory pids; do
		grep -qw "$c" "$parent/cgroup.subtree_control" && continue
		echo "+$c" >"$parent/cgroup.subtree_control" ||
			{ fail "cannot enable $c in $parent (it holds processes?)"; return 1; }
	done
	mkdir "$RL_CG" && chown "$RL_USER:" "$RL_CG" "$RL_CG/cgroup.procs" "$RL_CG/cgroup.subtree_control" "$RL_CG/cgroup.threads" &&
		echo "+memory +pids" >"$RL_CG/cgroup.subtree_control" ||
		{ fail "could not make the delegated cgroup $RL_CG"; return 1; }
	# the pids limit: the loop cannot start 20 sleeps (busybox sh gives up at the first refusal)
	as_user_delegated scope1 'i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); done; echo started all'
	grep -q "can't fork" <<<"$ERR" || { fail "the pids limit did not stop the loop"; show_last; ok=1; }
	grep -q "started all" <<<"$OUT" && { fail "20 processes started under --pids-limit 12"; show_last; ok=1; }
	# the memory limit: the OOM killer ends the hog, and run says so
	as_user_delegated scope2 'exec tail /dev/zero'
	expect_rc 137 || ok=1
	expect_err 'out of memory' || ok=1
	# the container's cgroup was made in the user's directory, and it is gone; what stays is the
	# runtime's leaf (gone with its process) and the empty gophernetes parent
	left=$(find "$RL_CG" -mindepth 2 -type d ! -name 'gophernetes-runtime.*' ! -path "$RL_CG/scope?/gophernetes")
	[ -z "$left" ] || { fail "cgroups left in the delegated directory: $left"; ok=1; }
	rl_state_empty || ok=1
	[ "$ok" = 0 ] && expect_clean
}

t_shell() {
	cat >"$RL_DIR/cmds" <<-EOF2
		ns pid
		ns user
		ns pid uts mnt ipc net
		hostname rootless
		pivot_root ./rootfs
		mount proc
		mount dev
		exec /bin/sh -c 'echo pid=\$\$; hostname; id -u; echo > /dev/null && echo devnull'
	EOF2
	chmod 0644 "$RL_DIR/cmds"
	RL_IN=$RL_DIR/cmds as_user "$GPH_SHELL_BIN"
	# the first `ns pid` fails (status non-zero at the end), naming root and `ns user`; the rest works
	[ "$RC" != 0 ] || { fail "the failed first step should make the status non-zero"; show_last; return 1; }
	grep -q 'run as root, or apply `ns user` first' <<<"$OUT$ERR" || { fail "ns pid should point to ns user"; show_last; return 1; }
	expect_line pid=1 || return 1
	expect_line rootless || return 1
	expect_line devnull || return 1
	rl_state_empty || return 1
	expect_clean
}

ucase "rootless run: root inside, own uid outside, PID 1, default caps, state under XDG_RUNTIME_DIR" t_run
ucase "rootless: host root's files read-only, files made inside belong to the user" t_files
ucase "rootless: --memory and --net bridge refused plainly, nothing left (B36)" t_refusals
ucase "rootless shell: ns pid names ns user; then ns user, pivot_root, proc, dev, exec" t_shell
if [ "$(cgroup_mode)" = v2 ]; then
	ucase "rootless in a delegated cgroup v2 directory: --memory and --pids-limit hold, nothing left" t_delegated
else
	GPH_N=$((GPH_N + 1))
	echo "ok $GPH_N - rootless in a delegated cgroup v2 directory # SKIP this host is cgroup $(cgroup_mode): only v2 delegates cgroups (the v2 VM lane runs it)"
fi
gph_finish
