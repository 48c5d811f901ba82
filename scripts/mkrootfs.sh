#!/bin/sh
# mkrootfs.sh DIR — build the default root filesystem from Debian's busybox-static.
#
#   DIR/bin/busybox           the static binary
#   applet links              where `busybox --list-full` puts them (bin, sbin, usr/bin, usr/sbin),
#                             all relative, so nothing points at the host
#   /etc                      passwd, group, hostname, hosts, resolv.conf
#   empty directories         proc sys dev tmp(1777) root home run var
#
# The tree is built in a temporary directory next to DIR and renamed into place, so an
# interrupted build never leaves a half-made rootfs. Running it again rebuilds it (idempotent).
# BUSYBOX=path overrides the binary (default /bin/busybox).
set -eu

prog=mkrootfs.sh
die() { echo "$prog: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $prog DIR"
dest=${1%/}
[ -n "$dest" ] || die "refusing to build into /"
busybox=${BUSYBOX:-/bin/busybox}

[ -x "$busybox" ] || die "$busybox not found — install it with: apt-get install busybox-static"
# A dynamically linked busybox would need the host's libraries inside the rootfs.
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked — install busybox-static (not busybox)"
fi

parent=$(dirname -- "$dest")
name=$(basename -- "$dest")
mkdir -p -- "$parent"

# Never delete through a mount: a rootfs with something mounted below it (a leaked /proc from a
# broken run, say) is left alone and reported.
if [ -d "$dest" ]; then
	abs=$(cd -- "$dest" && pwd -P)
	if awk -v p="$abs" '$5 == p || index($5, p "/") == 1 { found = 1 } END { exit !found }' \
		/proc/self/mountinfo; then
		die "something is mounted at or below $abs; unmount it first (see /proc/self/mountinfo)"
	fi
fi

tmp=$(mktemp -d -- "$parent/.$name.new.XXXXXX")
old=""
cleanup() {
	[ -z "$tmp" ] || rm -rf --one-file-system -- "$tmp"
	[ -z "$old" ] || rm -rf --one-file-system -- "$old"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
chmod 0755 "$tmp"

# Directories first, with their modes.
for d in bin sbin usr usr/bin usr/sbin etc proc sys dev home run var; do
	mkdir -m 0755 "$tmp/$d"
done
mkdir -m 0700 "$tmp/root"
mkdir -m 1777 "$tmp/tmp"

cp -- "$busybox" "$tmp/bin/busybox"
chmod 0755 "$tmp/bin/busybox"

# Applet links, relative: "bin/sh" -> "busybox", "sbin/ip" -> "../bin/busybox",
# "usr/bin/env" -> "../../bin/busybox".
"$busybox" --list-full | while IFS= read -r applet; do
	case $applet in
	"" | bin/busybox) continue ;;
	/* | *..* | */) die "unexpected applet path from busybox --list-full: $applet" ;;
	esac
	dir=$(dirname -- "$applet")
	# Only the directories made above: anything else would be a surprise worth stopping for.
	[ -d "$tmp/$dir" ] || die "busybox wants an applet in /$dir, which this script does not create"
	if [ "$dir" = bin ]; then
		target=busybox
	else
		target=bin/busybox
		rest=$dir
		while [ "$rest" != . ]; do
			target=../$target
			rest=$(dirname -- "$rest")
		done
	fi
	ln -s -- "$target" "$tmp/$applet"
done

cat >"$tmp/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$tmp/etc/group" <<'EOF'
root:x:0:
tty:x:5:
nogroup:x:65534:
EOF
echo gophernetes >"$tmp/etc/hostname"
cat >"$tmp/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
cat >"$tmp/etc/resolv.conf" <<'EOF'
# Networking is configured by the runtime (gophernetes run --net ...); this rootfs carries
# no resolver of the host's.
EOF
chmod 0644 "$tmp"/etc/passwd "$tmp"/etc/group "$tmp"/etc/hostname "$tmp"/etc/hosts \
	"$tmp"/etc/resolv.conf

# Checks before publishing: the shell works through its link, and nothing points at the host.
[ -x "$tmp/bin/sh" ] || die "bin/sh missing after linking the applets"
abs_links=$(find "$tmp" -type l -lname '/*' -print)
[ -z "$abs_links" ] || die "absolute symlinks in the rootfs: $abs_links"
dangling=$(find "$tmp" -xtype l -print)
[ -z "$dangling" ] || die "dangling symlinks in the rootfs: $dangling"

# Publish: move the old tree aside, rename the new one into place, delete the old one.
if [ -e "$dest" ] || [ -L "$dest" ]; then
	old=$(mktemp -d -- "$parent/.$name.old.XXXXXX")
	mv -- "$dest" "$old/"
fi
mv -T -- "$tmp" "$dest"
tmp=""
echo "$prog: built $dest ($("$busybox" --list-full | wc -l) applets, $("$busybox" | head -n 1 | cut -d' ' -f1-2))"
