#!/bin/bash
# Who the command runs as and what it may touch: --user (B31: a non-root user has no capabilities),
# --workdir resolved inside the root, --read-only, /dev/mqueue, `show caps` reading the real sets,
# and user namespaces as root (--userns with id maps: files made inside belong to the mapped id on
# the host; host root's files are "nobody" inside).
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup

# Sets of the command, as hex, from /proc/self/status inside.
cap_line() { sed -n "s/^$1:[[:space:]]*//p" <<<"$OUT"; }

t_user() {
	gph_run run --rootfs "$R" --user 1000:1001 /bin/sh -c 'id -u; id -g; id -G; grep ^Cap /proc/self/status'
	expect_rc 0 || return 1
	expect_line 1000 || return 1
	expect_line 1001 || return 1
	[ "$(sed -n 3p <<<"$OUT")" = 1001 ] || { fail "supplementary groups should be just 1001"; show_last; return 1; }
	[ "$(cap_line CapEff)" = 0000000000000000 ] && [ "$(cap_line CapPrm)" = 0000000000000000 ] &&
		[ "$(cap_line CapInh)" = 0000000000000000 ] && [ "$(cap_line CapAmb)" = 0000000000000000 ] ||
		{ fail "uid 1000 must have empty effective, permitted, inheritable and ambient sets (B31)"; show_last; return 1; }
	[ "$(cap_line CapBnd)" = 00000000a00425fb ] || { fail "bounding set should be the default list"; show_last; return 1; }
	# control: as root the same sets are full, so the test above can fail
	gph_run run --rootfs "$R" /bin/sh -c 'grep ^CapEff /proc/self/status'
	[ "$(cap_line CapEff)" = 00000000a00425fb ] || { fail "control: root should have the default set"; show_last; return 1; }
	gph_run run --rootfs "$R" --user 'no/body' /bin/true
	expect_rc 125 || return 1
	expect_err 'user: bad user "no/body"' || return 1
	expect_clean
}

t_user_names() {
	# Names are the container's: its /etc/passwd and /etc/group (busybox rootfs: nobody 65534).
	gph_run run --rootfs "$R" --user nobody /bin/sh -c 'id -u; id -g'
	expect_rc 0 || return 1
	[ "$OUT" = "$(printf '65534\n65534')" ] || { fail "nobody is 65534:65534 in the rootfs"; show_last; return 1; }
	gph_run run --rootfs "$R" --user nobody:root /bin/sh -c 'id -u; id -g'
	[ "$OUT" = "$(printf '65534\n0')" ] || { fail "nobody:root should be 65534:0"; show_last; return 1; }
	gph_run run --rootfs "$R" --user 7:nogroup /bin/sh -c 'id -u; id -g'
	[ "$OUT" = "$(printf '7\n65534')" ] || { fail "7:nogroup should be 7:65534"; show_last; return 1; }
	gph_run run --rootfs "$R" --user ghost /bin/true
	expect_rc 125 || return 1
	expect_err 'user "ghost": no such user in the container'"'"'s /etc/passwd' || return 1
	# The lookup resolves inside the container's root: a symlink that climbs out of it finds the
	# rootfs's own /etc (where ghost is not), never the host file it points at.
	local pw=$R/etc/passwd saved=$GPH_TMP/passwd.saved
	echo "ghost:x:4242:4242::/:/bin/sh" >"$GPH_TMP/outside-passwd"
	mv "$pw" "$saved" && cp "$saved" "$R/etc/passwd.real" &&
		ln -s "../../../../../../../../..$GPH_TMP/outside-passwd" "$pw" || { fail "could not plant the symlink"; return 1; }
	gph_run run --rootfs "$R" --user ghost /bin/true
	local rc=$RC err=$ERR
	# and a FIFO as /etc/group is refused, not waited on
	rm -f "$pw" && mv "$saved" "$pw" && rm -f "$R/etc/passwd.real"
	mv "$R/etc/group" "$GPH_TMP/group.saved" && mkfifo "$R/etc/group"
	gph_run run --rootfs "$R" --user nobody:nogroup /bin/true
	rm -f "$R/etc/group" && mv "$GPH_TMP/group.saved" "$R/etc/group"
	[ "$rc" = 125 ] && grep -q 'user "ghost": the container has no /etc/passwd' <<<"$err" ||
		{ fail "a symlink out of the root was followed to the host's file (rc $rc): $err"; return 1; }
	expect_rc 125 || return 1
	expect_err 'is not a file' || return 1
	expect_clean
}

t_workdir() {
	mkdir -p "$R/srv/app"
	gph_run run --rootfs "$R" -w /srv/app /bin/sh -c 'pwd; ls'
	expect_rc 0 || return 1
	expect_line /srv/app || return 1
	# ".." cannot climb above the container's root: it is resolved inside it
	gph_run run --rootfs "$R" -w /../../.. /bin/sh -c 'pwd; ls /bin/probe'
	expect_rc 0 || return 1
	expect_line / || return 1
	gph_run run --rootfs "$R" -w /no/such/dir /bin/true
	expect_rc 125 || return 1
	expect_err 'chdir\("/no/such/dir"\): No such file' || return 1
	gph_run run --rootfs "$R" -w relative /bin/true
	expect_rc 125 || return 1
	expect_err 'not an absolute path' || return 1
	expect_clean
}

t_read_only() {
	gph_run run --rootfs "$R" --read-only /bin/sh -c 'touch /x 2>&1; echo rc=$?; touch /dev/shm/y && echo shm ok; echo > /dev/null && echo null ok'
	expect_rc 0 || return 1
	grep -q 'Read-only file system' <<<"$OUT" || { fail "touch / must fail with EROFS"; show_last; return 1; }
	expect_line 'shm ok' || return 1
	expect_line 'null ok' || return 1
	[ ! -e "$R/x" ] || { fail "$R/x was created"; return 1; }
	# only the container's view is read-only: the host may still write its directory
	touch "$R/host-writes" || { fail "the host can no longer write the rootfs"; return 1; }
	rm -f "$R/host-writes"
	# control: without --read-only the same touch works
	gph_run run --rootfs "$R" /bin/sh -c 'touch /x && echo made'
	expect_line made || return 1
	rm -f "$R/x"
	gph_run run --rootfs "$R" --chroot --read-only /bin/true
	expect_rc 125 || return 1
	expect_err 'needs pivot_root' || return 1
	expect_clean
}

t_mqueue() {
	gph_run run --rootfs "$R" /bin/sh -c 'grep " /dev/mqueue " /proc/self/mountinfo'
	expect_rc 0 || return 1
	grep -q ' - mqueue ' <<<"$OUT" || { fail "/dev/mqueue should be an mqueue mount"; show_last; return 1; }
	expect_clean
}

t_show_caps() {
	cat >"$GPH_TMP/caps.cmds" <<-EOF2
		ns pid mnt
		pivot_root ./rootfs
		mount proc
		show caps
		cap drop ALL
		cap add NET_RAW CHOWN
		nnp on
		seccomp default
		show caps
		exec /bin/sh -c 'grep -E "^(CapBnd|NoNewPrivs|Seccomp):" /proc/self/status'
	EOF2
	gph_shell_run "$GPH_TMP/caps.cmds"
	expect_rc 0 || return 1
	# before: everything; after: the two named, no_new_privs, a filter — read from a live process
	sed -n '/^an exec/,/^seccomp/p' <<<"$OUT" | head -n 2 | grep -qE '^bounding .*( ALL$|SYS_ADMIN)' ||
		{ fail "the first show caps should show a full set (SYS_ADMIN in bounding)"; show_last; return 1; }
	grep -q '^bounding     0000000000002001 CHOWN NET_RAW' <<<"$OUT" || { fail "show caps after cap drop/add"; show_last; return 1; }
	grep -q '^seccomp      filter' <<<"$OUT" || { fail "show caps should show the filter"; show_last; return 1; }
	grep -qP '^CapBnd:\t0000000000002001' <<<"$OUT" || { fail "exec got other sets than show caps said"; show_last; return 1; }
	grep -qP '^NoNewPrivs:\t1' <<<"$OUT" || { fail "exec: no_new_privs"; show_last; return 1; }
	expect_clean
}

t_userns_maps() {
	# root inside is host uid 100000 here: it must be able to reach the root filesystem
	chmod 0711 "$GPH_TMP"
	rm -f "$R/tmp/made-inside"
	gph_run run --rootfs "$R" --userns --uidmap 0:100000:65536 --gidmap 0:100000:65536 \
		/bin/sh -c 'id -u; cat /proc/self/uid_map; stat -c "%u" /bin/busybox; touch /tmp/made-inside; echo pid=$$'
	expect_rc 0 || return 1
	expect_line 0 || return 1
	grep -qE '^ +0 +100000 +65536$' <<<"$OUT" || { fail "uid_map should be 0 100000 65536"; show_last; return 1; }
	# host root (0) is not mapped: its files show as the overflow id
	expect_line 65534 || return 1
	expect_line pid=1 || return 1
	[ "$(stat -c %u:%g "$R/tmp/made-inside")" = 100000:100000 ] ||
		{ fail "a file made by root inside should belong to 100000 on the host, is $(stat -c %u:%g "$R/tmp/made-inside")"; return 1; }
	rm -f "$R/tmp/made-inside"
	chmod 0700 "$GPH_TMP"
	expect_clean
}

t_userns_order_and_errors() {
	printf 'ns pid\nns user\n' >"$GPH_TMP/order.cmds"
	gph_shell_run "$GPH_TMP/order.cmds"
	[ "$RC" != 0 ] || { fail "ns user after ns pid should fail"; show_last; return 1; }
	grep -q 'must come before' <<<"$OUT$ERR" || { fail "expected the ordering rule"; show_last; return 1; }
	gph_run run --rootfs "$R" --userns --uidmap 0:1 /bin/true
	expect_rc 125 || return 1
	expect_err 'CONTAINER:HOST:COUNT' || return 1
	# Refused when the option is parsed, before a namespace exists (not by the kernel's uid_map).
	gph_run run --rootfs "$R" --userns --uidmap 0:100000:10,5:200000:10 /bin/true
	expect_rc 125 || return 1
	expect_err 'overlap' || return 1
	expect_clean
}

tcase "--user 1000:1001: ids, one group, no capabilities, default bounding set (B31)" t_user
tcase "--user NAME[:GROUP]: looked up in the container's /etc, inside its root; FIFOs refused" t_user_names
tcase "--workdir: inside the root, .. stops at it, missing or relative refused" t_workdir
tcase "--read-only: / refuses writes (EROFS), /dev/shm and /dev/null work" t_read_only
tcase "/dev/mqueue is an mqueue mount of the container's IPC namespace" t_mqueue
tcase "shell: show caps reads the real sets, which exec then has" t_show_caps
ucase "--userns with id maps: root inside is 100000 outside" t_userns_maps
tcase "ns user must come first; bad and overlapping maps refused" t_userns_order_and_errors
gph_finish
