#!/bin/bash
# The default security policy, from inside a real container (B13, B31, B34): dangerous system calls
# refused with EPERM on both x86 ABIs (not ENOSYS), other ABIs killed, no node for a host disk,
# masked and read-only /proc and /sys paths, the documented capability sets, no_new_privs holding
# against a setuid binary. The same helpers run with --privileged must get through, which proves
# the tests can fail.
# shellcheck disable=SC2317  # cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup

for f in escape escape32; do
	[ -x "$GPH_BIN/$f" ] || bail "$GPH_BIN/$f missing (build it: make $GPH_BIN/$f)"
	cp "$GPH_BIN/$f" "$R/bin/$f" || bail "installing $f failed"
done
# A root-owned setuid copy: with no_new_privs, exec'ing it must not raise the euid.
cp "$GPH_BIN/escape" "$R/bin/escape-suid" && chown 0:0 "$R/bin/escape-suid" && chmod 4755 "$R/bin/escape-suid" ||
	bail "installing escape-suid failed"

t_syscalls() {
	gph_run run --rootfs "$R" /bin/escape syscalls
	expect_rc 0 || { show_last; return 1; }
	# both ABIs were really tried
	grep -q '^x86_64 ' <<<"$OUT" && grep -q '^i386 ' <<<"$OUT" || { fail "expected lines for both ABIs"; show_last; return 1; }
	gph_run run --rootfs "$R" /bin/escape32
	expect_rc 0 || { show_last; return 1; }
	gph_run run --rootfs "$R" /bin/escape x32
	expect_rc 0 || { show_last; return 1; }
	gph_run run --rootfs "$R" --privileged /bin/escape syscalls
	[ "$RC" != 0 ] || { fail "--privileged: the same calls should get through"; show_last; return 1; }
	expect_clean
}

t_devices_and_paths() {
	gph_run run --rootfs "$R" /bin/escape mknod
	expect_rc 0 || { show_last; return 1; }
	gph_run run --rootfs "$R" /bin/escape paths
	expect_rc 0 || { show_last; return 1; }
	gph_run run --rootfs "$R" --privileged /bin/escape paths
	[ "$RC" != 0 ] || { fail "--privileged: the paths should be reachable"; show_last; return 1; }
	expect_clean
}

t_caps() {
	gph_run run --rootfs "$R" /bin/sh -c 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status'
	expect_rc 0 || return 1
	expect_line $'CapInh:\t0000000000000000' || return 1
	expect_line $'CapBnd:\t00000000a00425fb' || return 1
	expect_line $'CapEff:\t00000000a00425fb' || return 1
	expect_line $'CapAmb:\t0000000000000000' || return 1
	gph_run run --rootfs "$R" --cap-drop ALL --cap-add NET_ADMIN /bin/sh -c 'grep ^CapBnd /proc/self/status'
	expect_rc 0 || return 1
	expect_line $'CapBnd:\t0000000000001000' || return 1
	gph_run run --rootfs "$R" --cap-add NOT_A_CAP true
	expect_rc 125 || return 1
	expect_err 'unknown capability' || return 1
	expect_clean
}

t_nnp() {
	gph_run run --rootfs "$R" /bin/escape nnp
	expect_rc 0 || return 1
	expect_line 1 || return 1
	gph_run run --rootfs "$R" /bin/escape drop-exec 65534 /bin/escape-suid
	expect_line 65534 || { fail "a setuid binary raised the euid under no_new_privs"; show_last; return 1; }
	gph_run run --rootfs "$R" --no-new-privileges=false /bin/escape nnp
	expect_line 0 || return 1
	expect_clean
}

tcase "seccomp: dangerous calls get EPERM on x86-64 and i386, x32 is killed; --privileged gets through" t_syscalls
tcase "no node for a host disk (no MKNOD); masked and read-only /proc and /sys (B13, B34)" t_devices_and_paths
tcase "capabilities: documented default, inheritable and ambient empty, --cap-drop/--cap-add (B31)" t_caps
tcase "no_new_privs: a setuid binary stays unprivileged; --no-new-privileges=false turns it off" t_nnp
gph_finish
