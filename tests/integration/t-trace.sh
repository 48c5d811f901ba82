#!/bin/bash
# `trace on` in the shell and `run --trace`: each operation a step performs is printed as it is
# performed, by the wrapper that makes the call, with its real arguments and result; and when a
# step fails, the broken precondition is named ("why: ...") from the live state.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup

script() { printf '%s\n' "$@" >"$GPH_TMP/cmds"; }

# expect_lines_in_order LINE...: each is a whole line of $OUT, each after the one before.
expect_lines_in_order() {
	local l n prev=0
	for l in "$@"; do
		n=$(tail -n +"$((prev + 1))" <<<"$OUT" | grep -nxF -- "$l" | head -1 | cut -d: -f1)
		[ -n "$n" ] || { fail "expected a line exactly '$l' after line $prev"; show_last; return 1; }
		prev=$((prev + n))
	done
}

t_shell_trace() {
	local ra
	ra=$(cd "$R" && pwd -P)
	script 'trace on' 'ns uts' 'hostname box' 'ns mnt' 'pivot_root ./rootfs' 'mount proc' 'exec /bin/hostname' \
		'exec hostname' 'trace off' 'hostname quiet'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	expect_rc 0 || return 1
	expect_lines_in_order \
		'[sandbox] unshare(CLONE_NEWUTS) = 0' \
		'=> ns uts ... done' \
		'[sandbox] sethostname("box", 3) = 0' \
		'=> hostname box ... done' \
		'[sandbox] unshare(CLONE_NEWNS) = 0' \
		'[sandbox] mount("none", "/", "none", MS_REC|MS_PRIVATE, NULL) = 0' \
		'=> ns mnt ... done' \
		"[sandbox] mount(\"$ra\", \"$ra\", \"none\", MS_BIND|MS_REC, NULL) = 0" \
		'[sandbox] pivot_root(".", ".") = 0' \
		'[sandbox] umount2(".", MNT_DETACH) = 0' \
		'[sandbox] chdir("/") = 0' \
		'=> pivot_root ./rootfs ... done' \
		'[sandbox] mount("proc", "/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0' \
		'=> mount proc ... done' \
		'[exec] execve("/bin/hostname", ["/bin/hostname"], [4 vars]) = 0' \
		'[exec] execve("/usr/local/sbin/hostname", ["hostname"], [4 vars]) = -1 ENOENT (No such file or directory)' \
		'[exec] execve("/bin/hostname", ["hostname"], [4 vars]) = 0' \
		|| return 1
	# setsid() returns the new session id: the child's PID, a host PID here (no `ns pid`)
	grep -qE '^\[exec\] setsid\(\) = [0-9]+$' <<<"$OUT" || { fail "no setsid line"; show_last; return 1; }
	grep -qE '^\[sandbox\] clone3\(\{flags=0, exit_signal=SIGCHLD\}\) = [0-9]+$' <<<"$OUT" ||
		{ fail "no clone3 line for the exec"; show_last; return 1; }
	# the command's own output races with the completion of its execve line: not ordered
	expect_line box || return 1
	# trace off: the next step prints no operation
	grep -qF 'sethostname("quiet"' <<<"$OUT" && { fail "trace off still traced"; show_last; return 1; }
	expect_line '=> hostname quiet ... done' || return 1
	expect_clean
}

t_run_trace() {
	gph_run run --trace --rootfs "$R" --hostname box --memory 32M /bin/hostname
	expect_rc 0 || return 1
	OUT=$ERR expect_lines_in_order \
		'[sandbox] unshare(CLONE_NEWUTS|CLONE_NEWNS|CLONE_NEWIPC|CLONE_NEWNET|CLONE_NEWCGROUP) = 0' \
		'[sandbox] sethostname("box", 3) = 0' \
		'[sandbox] pivot_root(".", ".") = 0' \
		'[sandbox] mount("proc", "/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0' \
		'[sandbox] mknod("/dev/null", S_IFCHR|0666, makedev(1, 3)) = 0' \
		'[exec] umount2("/proc", MNT_DETACH) = 0' \
		'[exec] prctl(PR_SET_NO_NEW_PRIVS, 1) = 0' \
		'[exec] prctl(PR_CAPBSET_DROP, SYS_ADMIN) = 0' \
		'[exec] execve("/bin/hostname", ["/bin/hostname"], [4 vars]) = 0' || return 1
	expect_err '^\[runtime\] write\(".*/(memory\.limit_in_bytes|memory\.max)", "33554432"\) = 8$' || return 1
	expect_err '^\[sandbox\] clone3\(\{flags=CLONE_NEWPID\|CLONE_NEWNS, exit_signal=SIGCHLD\}\) = [0-9]+$' || return 1
	expect_err '^\[exec\] prctl\(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, \{len=[0-9]+' || return 1
	expect_line box || return 1
	# a failing execve shows its error
	gph_run run --trace --rootfs "$R" /nonexistent
	expect_rc 127 || return 1
	expect_err '^\[exec\] execve\("/nonexistent", \["/nonexistent"\], \[4 vars\]\) = -1 ENOENT \(No such file or directory\)$' || return 1
	expect_clean
}

t_userns_trace() {
	script 'trace on' 'ns user uidmap 0:0:1 gidmap 0:0:1'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	expect_rc 0 || return 1
	grep -qE '^\[sandbox\] unshare\(CLONE_NEWUSER\) = 0$' <<<"$OUT" || { fail "no unshare(CLONE_NEWUSER)"; show_last; return 1; }
	grep -qE '^\[runtime\] write\("/proc/[0-9]+/gid_map", "0 0 1\\n"\) = 6$' <<<"$OUT" || { fail "no gid_map write"; show_last; return 1; }
	grep -qE '^\[runtime\] write\("/proc/[0-9]+/uid_map", "0 0 1\\n"\) = 6$' <<<"$OUT" || { fail "no uid_map write"; show_last; return 1; }
	expect_lines_in_order '[sandbox] setresgid(0, 0, 0) = 0' '[sandbox] setresuid(0, 0, 0) = 0' || return 1
	expect_clean
}

t_why_mount_proc() {
	local r2=$GPH_TMP/rootfs-noproc
	cp -a "$R" "$r2" && rmdir "$r2/proc" || { fail "preparing $r2"; return 1; }
	script 'ns mnt' "pivot_root $r2" 'mount proc'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	expect_rc 1 || return 1
	expect_line '  why: the mount point /proc does not exist in the root filesystem: a mount needs an existing directory to cover (ENOENT; see mount(2))' || return 1
	expect_clean
}

t_why_uid_map() {
	script 'ns user uidmap 0:100000:100,50:200000:10'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	# Refused when the step is parsed, before the kernel sees the map (found by tests/fuzz/step.c);
	# the message names the overlap as the diagnosis of the kernel's EINVAL would.
	expect_rc 1 || return 1
	expect_line 'error: ns uidmap: the ranges overlap inside (container ids 0+100 and 50+10) in "0:100000:100,50:200000:10"' || return 1
	script 'ns user uidmap 0:100000:10,10:100005:10'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	expect_rc 1 || return 1
	expect_line 'error: ns uidmap: the ranges overlap outside (host ids 100000+10 and 100005+10) in "0:100000:10,10:100005:10"' || return 1
	expect_clean
}

t_why_sysfs() {
	script 'ns user' 'ns mnt' 'pivot_root ./rootfs' 'mount sys'
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	expect_rc 1 || return 1
	expect_line '  why: sysfs shows the network namespace of its mounter, and this one belongs to the host'"'"'s user namespace, not ours: apply `ns net` with or after `ns user` (EPERM; see user_namespaces(7), sysfs(5))' || return 1
	expect_clean
}

tcase "trace on: ns uts, hostname, ns mnt, pivot_root, mount proc, exec print their calls in order; trace off stops" t_shell_trace
tcase "run --trace: namespaces, mounts, cgroup writes, privileges and execve (also a failing one)" t_run_trace
ucase "trace on: ns user shows unshare, the map writes by the runtime and setresuid/gid" t_userns_trace
tcase "why: mount proc in a rootfs without /proc names the missing mount point" t_why_mount_proc
tcase "overlapping uid_map ranges (inside, outside) are named, before anything is made" t_why_uid_map
ucase "why: sysfs in a user namespace without ns net is named" t_why_sysfs
gph_finish
