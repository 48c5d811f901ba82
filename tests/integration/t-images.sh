#!/bin/bash
# Images: import an OCI layout (two layers, a whiteout and an opaque directory) and a `docker save`
# archive into a private store, run them on an overlay, rmi keeps shared layers; every class of
# hostile layer (B04, B06, B09 and their relatives) is refused or contained, with a canary outside
# untouched and nothing left in the store. The images are made here (tests/images/mkimage.py).
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns mnt
gph_setup

MK="$GPH_ROOT/tests/images/mkimage.py"
S="$GPH_TMP/store"
# expect_match REGEX: a stdout line matches the extended regular expression.
expect_match() {
	grep -qE -- "$1" <<<"$OUT" && return 0
	fail "expected a stdout line matching /$1/"
	show_last
}

# store_empty: no layers, images or temporary files in the store.
store_empty() { [ -z "$(find "$S/layers" "$S/images" "$S/tmp" -mindepth 1 2>/dev/null)" ]; }

command -v python3 >/dev/null || bail "python3 is needed to make the test images (make test-deps installs it)"

t_import_oci() {
	python3 "$MK" oci "$R" "$GPH_TMP/oci" || { fail "mkimage.py oci failed"; return 1; }
	gph_run import --root "$S" "$GPH_TMP/oci"
	expect_rc 0 || return 1
	expect_match "^imported sha256:[0-9a-f]{64} as docker.io/t/oci:1$" || return 1
	gph_run images --root "$S"
	expect_match "^docker.io/t/oci:1 +[0-9a-f]{12} " || return 1
	# Each layer unpacked once; the whiteout is overlayfs's (a 0:0 character device), no .wh. file.
	[ "$(find "$S/layers" -mindepth 1 -maxdepth 1 | wc -l)" = 2 ] || { fail "expected 2 layer directories"; return 1; }
	[ -z "$(find "$S/layers" -name '.wh.*')" ] || { fail ".wh. files survived in a layer"; return 1; }
	[ -n "$(find "$S/layers" -name hostname-gone -type c)" ] || { fail "no overlay whiteout for etc/hostname-gone"; return 1; }
	[ -z "$(ls -A "$S/tmp")" ] || { fail "tmp/ not empty after the import"; return 1; }
}

t_run_image() {
	# The image's Cmd, Env and WorkingDir.
	gph_run run --root "$S" --image t/oci:1
	expect_rc 0 || return 1
	expect_line "from-cmd hello-env" || return 1
	expect_line "/etc" || return 1
	# The whiteout hides the lower file; the opaque /opt hides opt/old; writes go to the upper dir only.
	gph_run run --root "$S" --image docker.io/t/oci:1 /bin/sh -c \
		'cat /etc/motd; [ -e /etc/hostname-gone ] && echo BAD-whiteout; ls /opt; echo w >/bin/written; cat /bin/written'
	expect_rc 0 || return 1
	expect_line "layer two" || return 1
	expect_no_line "BAD-whiteout" || return 1
	expect_line "new" || return 1
	expect_no_line "old" || return 1
	[ -z "$(find "$S/layers" -name written)" ] || { fail "a container's write reached a shared layer"; return 1; }
	[ -z "$(ls -A "$S/containers")" ] || { fail "containers/ not empty after the run: $(ls "$S/containers")"; return 1; }
	expect_mounts_same case || return 1
	expect_clean
}

t_image_flags() {
	gph_run run --root "$S" --image t/oci:1 --rootfs "$R" /bin/true
	expect_rc 125 || return 1
	expect_err "both name the root" || return 1
	gph_run run --root "$S" --pull=never --image t/nosuch:1 /bin/true
	expect_rc 125 || return 1
	expect_err 'no image "t/nosuch:1"' || return 1
	# looking an image up never makes a store
	gph_run run --root "$GPH_TMP/nostore" --pull=never --image t/oci:1 /bin/true
	expect_rc 125 || return 1
	expect_err "no image store in $GPH_TMP/nostore" || return 1
	[ ! -e "$GPH_TMP/nostore" ] || { fail "a look-up made a store"; return 1; }
	gph_run run --root "$S" --pull=sometimes --image t/oci:1 /bin/true
	expect_rc 125 || return 1
	expect_err 'unknown policy "sometimes"' || return 1
}

t_read_only() {
	gph_run run --root "$S" --read-only --image t/oci:1 /bin/sh -c \
		'echo x >/etc/motd || echo refused; touch /gph-ro-probe || echo refused2; grep " / " /proc/mounts'
	expect_rc 0 || return 1
	expect_line "refused" || return 1
	expect_line "refused2" || return 1
	expect_err "Read-only file system" || return 1
	grep -qE '^[^ ]+ / [^ ]+ ro[, ]' <<<"$OUT" || { fail "/ is not mounted ro"; show_last; return 1; }
	[ -z "$(find "$S/layers" -name gph-ro-probe)" ] || { fail "a write reached a layer"; return 1; }
	expect_clean
}

# GPH_IMAGE_COPY=1: the layers copied into the container's directory instead of an overlay; the same
# whiteouts, opaque directory and config; nothing written to the layers; --read-only still holds.
t_copy_fallback() {
	GPH_IMAGE_COPY=1 gph_run run --root "$S" --image t/oci:1 /bin/sh -c \
		'cat /etc/motd; [ -e /etc/hostname-gone ] && echo BAD-whiteout; ls /opt; find / -xdev -name ".wh.*"; pwd;
		 echo w >/bin/written; cat /bin/written; grep " / " /proc/mounts'
	expect_rc 0 || return 1
	expect_line "layer two" || return 1
	expect_no_line "BAD-whiteout" || return 1
	expect_line "new" || return 1
	expect_no_line "old" || return 1
	expect_line "/etc" || return 1
	expect_line "w" || return 1
	grep -q ' / overlay ' <<<"$OUT" && { fail "an overlay with GPH_IMAGE_COPY=1"; show_last; return 1; }
	[ -z "$(find "$S/layers" -name written)" ] || { fail "a container's write reached a shared layer"; return 1; }
	[ -z "$(ls -A "$S/containers")" ] || { fail "containers/ not empty after the run: $(ls "$S/containers")"; return 1; }
	GPH_IMAGE_COPY=1 gph_run run --root "$S" --read-only --image t/oci:1 /bin/sh -c 'touch /x || echo refused'
	expect_line "refused" || return 1
	expect_clean
}

t_swap_links() {
	local mode
	mkdir -p "$GPH_TMP/swap-outside"
	python3 "$MK" swap "$R" "$GPH_TMP/swap-outside" "$GPH_TMP/swap" || { fail "mkimage.py swap failed"; return 1; }
	gph_run import --root "$S" "$GPH_TMP/swap"
	expect_rc 0 || return 1
	for mode in 0 1; do
		GPH_IMAGE_COPY=$mode gph_run run --root "$S" --image t/swap:1
		expect_rc 0 || return 1
		expect_line "inside" || return 1
		expect_line "replaced" || return 1
		[ -z "$(ls -A "$GPH_TMP/swap-outside")" ] || { fail "GPH_IMAGE_COPY=$mode: a file appeared outside"; return 1; }
	done
	gph_run rmi --root "$S" t/swap:1
	expect_rc 0 || return 1
	expect_clean
}

t_docker_save() {
	python3 "$MK" docker "$R" "$GPH_TMP/d.tar" || { fail "mkimage.py docker failed"; return 1; }
	gph_run import --root "$S" "$GPH_TMP/d.tar"
	expect_rc 0 || return 1
	expect_match "as docker.io/t/docker:1$" || return 1
	gph_run run --root "$S" --image t/docker:1
	expect_rc 0 || return 1
	expect_line "docker-cmd" || return 1
	expect_clean
}

t_shell_image_step() {
	printf 'ns mnt pid uts\nimage t/oci:1\npivot_root\nexec /bin/cat /etc/motd\n' >"$GPH_TMP/img.in"
	GPH_IMAGE_ROOT=$S gph_shell_run "$GPH_TMP/img.in"
	expect_line "layer two" || { fail_file stderr "$GPH_TMP/err"; return 1; }
	[ -z "$(ls -A "$S/containers")" ] || { fail "containers/ not empty after the shell ended"; return 1; }
	expect_mounts_same case
}

t_rmi() {
	local before
	# A second name for the OCI image: removing one name keeps the image.
	python3 "$MK" oci "$R" "$GPH_TMP/oci2" && gph_run import --root "$S" "$GPH_TMP/oci2" t/other:2
	expect_rc 0 || return 1
	before=$(find "$S/blobs" "$S/layers" -mindepth 2 -maxdepth 2 | wc -l)
	gph_run rmi --root "$S" t/oci:1
	expect_rc 0 || return 1
	[ "$(find "$S/blobs" "$S/layers" -mindepth 2 -maxdepth 2 | wc -l)" = "$before" ] ||
		{ fail "blobs removed while t/other:2 still uses them"; return 1; }
	gph_run run --root "$S" --image t/other:2 /bin/cat /etc/motd
	expect_line "layer two" || return 1
	gph_run rmi --root "$S" t/other:2 t/docker:1
	expect_rc 0 || return 1
	[ -z "$(find "$S/blobs/sha256" "$S/layers" "$S/images" -mindepth 1)" ] || { fail "the store is not empty after removing every image"; return 1; }
	gph_run rmi --root "$S" t/oci:1
	expect_rc 1 || return 1
	expect_err 'no image "t/oci:1"'
}

# Each hostile class: refused (an error naming the member) or contained; the canary outside is
# untouched, nothing new appears beside it, and a refused import leaves nothing in the store.
t_hostile() {
	local c bad=0 scratch="$GPH_TMP/scratch"
	for c in $(python3 "$MK" classes); do
		rm -rf "$scratch" "$GPH_TMP/h" "$S"
		mkdir -p "$scratch" && echo canary >"$scratch/canary"
		python3 "$MK" hostile "$c" "$scratch" "$GPH_TMP/h" || { fail "mkimage.py hostile $c failed"; return 1; }
		gph_run import --root "$S" "$GPH_TMP/h"
		case $c in
		absolute | layerlink | wh-symlink | devices) # contained: imported, everything inside the layers
			[ "$RC" = 0 ] || { fail "$c: expected the import to succeed (contained), got $RC: $ERR"; bad=1; } ;;
		*)
			if [ "$RC" = 0 ]; then
				fail "$c: imported, expected a refusal"; bad=1
			elif ! grep -qE 'member "|invalid whiteout|leaves the layer|openat2|mkdirat' <<<"$ERR"; then
				fail "$c: the error does not name the member: $ERR"; bad=1
			fi
			store_empty || { fail "$c: the refused import left files in the store"; bad=1; } ;;
		esac
		[ "$(cat "$scratch/canary" 2>/dev/null)" = canary ] || { fail "$c: the canary outside changed"; bad=1; }
		[ "$(ls -A "$scratch")" = canary ] || { fail "$c: new files outside: $(ls -A "$scratch")"; bad=1; }
		[ ! -e /abs-file ] && [ ! -e "$GPH_TMP/outside-file" ] || { fail "$c: a file appeared outside"; bad=1; }
	done
	# Contained means inside: the absolute name landed in the layer.
	return $bad
}

t_corrupt_blob() {
	local b
	rm -rf "$S" "$GPH_TMP/oci3"
	python3 "$MK" oci "$R" "$GPH_TMP/oci3" || return 1
	b=$(find "$GPH_TMP/oci3/blobs/sha256" -type f -size +100k | head -1)
	printf 'X' | dd of="$b" bs=1 seek=1000 conv=notrunc status=none
	gph_run import --root "$S" "$GPH_TMP/oci3"
	expect_rc 1 || return 1
	expect_err "digest mismatch" || return 1
	store_empty || { fail "a refused import left files in the store: $(find "$S" -mindepth 2 | head)"; return 1; }
}

t_sigkill_gc() {
	# A SIGKILLed runtime cannot remove the container's upper and work directories; the ledger
	# names them, and gc removes them (and nothing else of the store).
	local rt id ok=0
	gph_bg killed run --root "$S" --image t/oci:1 /bin/sleep 3737
	rt=$BG_PID
	# ps lists the container as soon as its ledger exists; the command runs after the image step
	wait_until 10 ps_find "sleep 3737" && wait_until 10 pgrep -f "^/bin/sleep 3737" >/dev/null ||
		{ fail "the container did not start"; fail_file stderr "$GPH_TMP/killed.err"; return 1; }
	id=$PS_ID
	[ -d "$S/containers/$id" ] || ok=1
	# (grouped so that bash's "Killed" job notice goes nowhere)
	{ kill -KILL "$rt" && wait "$rt"; } 2>/dev/null
	[ "$ok" = 0 ] || { fail "no $S/containers/$id while it ran"; return 1; }
	[ -d "$S/containers/$id" ] || { fail "containers/$id went without gc (unexpected)"; ok=1; }
	gph_run gc
	expect_rc 0 || return 1
	grep -q "$id.*image-layer" <<<"$OUT" || { fail "gc did not say it removed the image directories of $id"; show_last; ok=1; }
	[ -z "$(ls -A "$S/containers")" ] || { fail "containers/ not empty after gc: $(ls "$S/containers")"; ok=1; }
	[ -n "$(ls -A "$S/layers")" ] || { fail "gc removed the store's layers"; ok=1; }
	[ "$ok" = 0 ] || return 1
	expect_clean
}

tcase "import an OCI layout: two layers, whiteout as overlay whiteout, store tmp/ empty" t_import_oci
tcase "run --image: Cmd/Env/WorkingDir, whiteout and opaque dir, writes only in upper, nothing left" t_run_image
tcase "run --image with --rootfs, or an unknown image: refused" t_image_flags
tcase "--read-only: the image's root is read-only for real, the layers untouched" t_read_only
tcase "GPH_IMAGE_COPY=1: the copy fallback applies whiteouts and opaque dirs, leaves nothing" t_copy_fallback
tcase "a lower layer's symlinks replaced by an upper dir and file: overlay and copy never write through them" t_swap_links
tcase "import a docker save archive and run it" t_docker_save
tcase "runtime SIGKILLed during run --image: gc removes the container's upper and work directories" t_sigkill_gc
tcase "shell: image REF then pivot_root without DIR" t_shell_image_step
tcase "rmi: shared blobs kept while referenced, all gone with the last image" t_rmi
tcase "hostile layers (B04 B06 B09 and relatives): refused or contained, canary untouched" t_hostile
tcase "a blob that does not match its digest: refused, nothing stored" t_corrupt_blob
gph_finish
