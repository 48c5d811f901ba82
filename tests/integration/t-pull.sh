#!/bin/bash
# pull: Debian's docker-registry on 127.0.0.1 inside a network namespace this test creates (the
# machine's network is never touched), images pushed into it with skopeo from layouts made here
# (tests/images/mkimage.py, and umoci from the busybox rootfs); pull by tag and by digest, a
# multi-platform index built here, Basic auth (a second registry in htpasswd mode), the Bearer
# challenge flow (tests/images/regproxy.py: a token endpoint in front of the registry), a registry
# that dies mid-pull, a corrupted blob (refused, nothing stored), a registry that is gone (clean
# error; a later pull works), then run what was pulled.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns net
gph_setup

MK="$GPH_ROOT/tests/images/mkimage.py"
S="$GPH_TMP/store"
PORT=5000
REG="127.0.0.1:$PORT"
AUTH="127.0.0.1:5001"   # the same storage, htpasswd mode
PROXY="127.0.0.1:5002"  # regproxy.py in front of $REG
PW="pw-$RANDOM-s3cret"  # must never show in any output
for tool in docker-registry skopeo umoci htpasswd python3 curl; do
	command -v "$tool" >/dev/null || bail "$tool is needed (make test-deps installs it)"
done

expect_match() {
	grep -qE -- "$1" <<<"$OUT" && return 0
	fail "expected a stdout line matching /$1/"
	show_last
}
store_empty() { [ -z "$(find "$S/layers" "$S/images" "$S/tmp" -mindepth 1 2>/dev/null)" ]; }

# The registry lives outside the per-case bookkeeping (which would stop it as a leftover): its
# files in a directory of its own, its process not a child of this shell; stopped by PID at exit.
REG_PID=""
AUTH_PID=""
PROXY_PID=""
REGDIR=$(mktemp -d /tmp/gph-registry.XXXXXX) || bail "mktemp failed"
trap 'rc=$?; registry_stop; authreg_stop; proxy_stop; rm -rf "$REGDIR"; (exit $rc); gph_cleanup' EXIT
stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	wait_until 10 not_running "$1" || kill -KILL "$1" 2>/dev/null
}
# bg_start NAME CMD...: CMD in the background, not a child of this shell; prints its PID.
bg_start() {
	local name=$1
	shift
	("$@" >"$REGDIR/$name.log" 2>&1 &
	 echo $! >"$REGDIR/$name.pid")
	cat "$REGDIR/$name.pid"
}
# The htpasswd registry: user alice, password $PW, on the same storage as $REG.
authreg_start() {
	htpasswd -Bbc "$REGDIR/htpasswd" alice "$PW" >/dev/null 2>&1 || bail "htpasswd failed"
	cat >"$REGDIR/auth.yml" <<-YML
	version: 0.1
	log:
	  level: error
	storage:
	  filesystem:
	    rootdirectory: $REGDIR/reg
	http:
	  addr: $AUTH
	auth:
	  htpasswd:
	    realm: gph-test
	    path: $REGDIR/htpasswd
	YML
	AUTH_PID=$(bg_start auth docker-registry serve "$REGDIR/auth.yml")
	wait_until 20 curl -s -o /dev/null "http://$AUTH/v2/" || bail "the htpasswd registry did not start: $(tail -5 "$REGDIR/auth.log")"
}
authreg_stop() { stop_pid "$AUTH_PID"; AUTH_PID=""; }
# proxy_start MODE [ARG]: tests/images/regproxy.py on $PROXY in front of $REG.
proxy_start() {
	proxy_stop
	PROXY_PID=$(bg_start proxy python3 "$GPH_ROOT/tests/images/regproxy.py" "${PROXY#*:}" "$PORT" "$@")
	wait_until 20 curl -s -o /dev/null "http://$PROXY/v2/" || bail "regproxy.py did not start: $(tail -5 "$REGDIR/proxy.log")"
}
proxy_stop() { stop_pid "$PROXY_PID"; PROXY_PID=""; }
# The password never appears on stdout or stderr.
expect_no_pw() {
	! grep -qF -- "$PW" "$GPH_TMP/out" "$GPH_TMP/err" && return 0
	fail "the password was printed"
	show_last
}
registry_start() {
	cat >"$REGDIR/registry.yml" <<-YML
	version: 0.1
	log:
	  level: error
	storage:
	  filesystem:
	    rootdirectory: $REGDIR/reg
	http:
	  addr: $REG
	YML
	(docker-registry serve "$REGDIR/registry.yml" >"$REGDIR/registry.log" 2>&1 &
	 echo $! >"$REGDIR/pid")
	REG_PID=$(cat "$REGDIR/pid")
	wait_until 20 curl -fs -o /dev/null "http://$REG/v2/" || bail "the registry did not start: $(tail -5 "$REGDIR/registry.log")"
}
registry_stop() {
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null
		wait_until 10 not_running "$REG_PID" || kill -KILL "$REG_PID" 2>/dev/null
	fi
	REG_PID=""
}
push() { # push LAYOUT-DIR REF-IN-LAYOUT REPO:TAG [DIGESTFILE]
	skopeo --insecure-policy copy -q --dest-tls-verify=false ${4:+--digestfile "$4"} "oci:$1:$2" "docker://$REG/$3" \
		>"$GPH_TMP/skopeo.log" 2>&1 || { fail "skopeo copy to $3 failed: $(tail -3 "$GPH_TMP/skopeo.log")"; return 1; }
}

registry_start
python3 "$MK" oci "$R" "$GPH_TMP/oci" || bail "mkimage.py oci failed"
python3 "$MK" docker "$R" "$GPH_TMP/d.tar" || bail "mkimage.py docker failed"
"$GPH_ROOT/tests/images/umoci-busybox.sh" "$R" "$GPH_TMP/umoci" >"$GPH_TMP/umoci.log" 2>&1 ||
	bail "umoci-busybox.sh failed: $(tail -3 "$GPH_TMP/umoci.log")"

t_pull_tag() {
	push "$GPH_TMP/oci" t/oci:1 t/oci:1 "$GPH_TMP/oci.digest" || return 1
	gph_run pull --root "$S" --insecure "$REG/t/oci:1"
	expect_rc 0 || return 1
	expect_match "verified$" || return 1
	expect_match "^pulled sha256:[0-9a-f]{64} as $REG/t/oci:1$" || return 1
	gph_run run --root "$S" --image "$REG/t/oci:1" /bin/cat /etc/motd
	expect_rc 0 || return 1
	expect_line "layer two" || return 1
	# again: every blob is already there
	gph_run pull --root "$S" --insecure "$REG/t/oci:1"
	expect_rc 0 || return 1
	expect_no_line "verified" || true
	expect_clean
}

t_pull_digest() {
	local d
	d=$(cat "$GPH_TMP/oci.digest") # as the registry has it (skopeo may compress anew)
	gph_run pull --root "$S" --insecure "$REG/t/oci@$d"
	expect_rc 0 || return 1
	expect_match "as $REG/t/oci@$d$" || return 1
	# a digest the registry does not have
	gph_run pull --root "$S" --insecure "$REG/t/oci@sha256:$(printf '0%.0s' {1..64})"
	expect_rc 1 || return 1
	expect_err "HTTP 404" || return 1
}

t_pull_index() {
	local amd arm idx
	push "$GPH_TMP/oci" t/oci:1 t/multi:amd "$GPH_TMP/amd.digest" || return 1
	skopeo --insecure-policy copy -q --dest-tls-verify=false --digestfile "$GPH_TMP/arm.digest" \
		"docker-archive:$GPH_TMP/d.tar" "docker://$REG/t/multi:arm" >"$GPH_TMP/skopeo.log" 2>&1 ||
		{ fail "skopeo copy docker-archive failed: $(tail -3 "$GPH_TMP/skopeo.log")"; return 1; }
	amd=$(cat "$GPH_TMP/amd.digest")
	arm=$(cat "$GPH_TMP/arm.digest")
	idx=$(python3 - "$REG" "$amd" "$arm" <<-'PY'
	import json, sys, urllib.request
	reg, amd, arm = sys.argv[1:]
	def desc(d, arch):
	    r = urllib.request.Request("http://%s/v2/t/multi/manifests/%s" % (reg, d), method="HEAD",
	        headers={"Accept": "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json"})
	    h = urllib.request.urlopen(r).headers
	    return {"mediaType": h["Content-Type"], "digest": d, "size": int(h["Content-Length"]),
	            "platform": {"os": "linux", "architecture": arch}}
	idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
	       "manifests": [desc(arm, "arm64"), desc(amd, "amd64")]}
	body = json.dumps(idx).encode()
	r = urllib.request.Request("http://%s/v2/t/multi/manifests/latest" % reg, data=body, method="PUT",
	    headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})
	print(urllib.request.urlopen(r).headers["Docker-Content-Digest"])
	PY
	) || { fail "PUT of the index failed"; return 1; }
	gph_run pull --root "$S" --insecure --platform linux/amd64 "$REG/t/multi:latest"
	expect_rc 0 || return 1
	expect_match "^latest: $amd for linux/amd64$" || return 1
	gph_run run --root "$S" --image "$REG/t/multi:latest" /bin/cat /etc/motd
	expect_line "layer two" || return 1
	gph_run pull --root "$S" --insecure --platform linux/arm64 "$REG/t/multi:latest"
	expect_rc 0 || return 1
	expect_match "^latest: $arm for linux/arm64$" || return 1
	gph_run run --root "$S" --image "$REG/t/multi:latest"
	expect_line "docker-cmd" || return 1
	gph_run pull --root "$S" --insecure --platform linux/s390x "$REG/t/multi:latest"
	expect_rc 1 || return 1
	expect_err "no image for linux/s390x" || return 1
	[ -n "$idx" ] || true
}

t_umoci_busybox() {
	push "$GPH_TMP/umoci" busybox busybox:latest || return 1
	push "$GPH_TMP/umoci" multi t/multi-umoci:1 || return 1
	# The "done means" line of issue 5.
	gph_run pull --insecure --root "$S" "$REG/busybox:latest"
	expect_rc 0 || return 1
	gph_run run --root "$S" --image "$REG/busybox:latest" /bin/sh -c 'echo hi'
	expect_rc 0 || return 1
	expect_line "hi" || return 1
	gph_run run --root "$S" --image "$REG/busybox:latest"
	expect_line "hi from busybox" || return 1
	gph_run pull --insecure --root "$S" "$REG/t/multi-umoci:1"
	expect_rc 0 || return 1
	expect_match "already in the store" || return 1 # the busybox layer is shared
	gph_run run --root "$S" --image "$REG/t/multi-umoci:1" /bin/sh -c \
		'pwd; ls /opt/app; [ -e /bin/vi ] || echo no-vi; find / -xdev -name ".wh.*" | sed "s/^/WH /"'
	expect_rc 0 || return 1
	expect_line "/opt/app" || return 1
	expect_line "new" || return 1
	expect_line "keep" || return 1
	expect_no_line "old" || return 1
	expect_line "no-vi" || return 1
	grep -q '^WH ' <<<"$OUT" && { fail "a .wh. file survived in the rootfs"; show_last; return 1; }
	# no .wh. file in the unpacked layers either (whiteouts are overlay whiteouts there)
	[ -z "$(find "$S/layers" -name '.wh.*')" ] || { fail ".wh. files in $S/layers"; return 1; }
	expect_clean
}

t_pull_policy() {
	rm -rf "$S"
	gph_run run --root "$S" --insecure --image "$REG/busybox:latest" /bin/sh -c 'echo hi'
	expect_rc 0 || return 1
	expect_line "hi" || return 1
	expect_err "verified" || return 1
	expect_err "pulled sha256:" || return 1
	gph_run run --root "$S" --image "$REG/busybox:latest" /bin/sh -c 'echo hi'
	expect_rc 0 || return 1
	grep -q "pulled" <<<"$ERR" && { fail "--pull=missing pulled an image the store has"; show_last; return 1; }
	gph_run run --root "$S" --pull=always --insecure --image "$REG/busybox:latest" /bin/sh -c 'echo hi'
	expect_rc 0 || return 1
	expect_err "already in the store" || return 1
	expect_err "pulled sha256:" || return 1
	gph_run run --root "$S" --pull=never --insecure --image "$REG/t/oci:1" /bin/true
	expect_rc 125 || return 1
	expect_err "no image" || return 1
	expect_clean
}

# The plain run path, and run --image of an image the store has, never load libcurl, libarchive
# or json-c (they are dlopen'ed by the image code that needs them).
t_no_libs_on_run() {
	local ready="$GPH_TMP/ready" what pid
	for what in rootfs image; do
		rm -f "$ready"
		if [ $what = rootfs ]; then
			gph_bg plain run --stop-timeout 1 --rootfs "$R" /bin/sh -c 'echo > /tmp/ready; sleep 20'
		else
			gph_bg img run --stop-timeout 1 --root "$S" --image "$REG/busybox:latest" /bin/sh -c 'echo up; sleep 20'
		fi
		pid=$BG_PID
		if [ $what = rootfs ]; then
			wait_until 20 test -e "$R/tmp/ready" || { fail "the $what container did not start"; return 1; }
		else
			wait_until 20 grep -q up "$GPH_TMP/img.out" || { fail "the $what container did not start"; fail_file err "$GPH_TMP/img.err"; return 1; }
		fi
		if grep -E 'libcurl|libarchive|libjson-c' "/proc/$pid/maps" >"$GPH_TMP/maps"; then
			fail "run --$what loaded image libraries"
			fail_file "maps" "$GPH_TMP/maps"
			return 1
		fi
		kill -TERM "$pid"
		gph_bg_wait "$pid" 20 || { fail "run --$what did not stop"; return 1; }
	done
	rm -f "$R/tmp/ready"
}

# On a terminal, a line per layer redrawn in place (\r) with bytes, total and rate.
t_progress_tty() {
	rm -rf "$S"
	timeout -k 5 "$GPH_WAIT" script -qec "$GPH pull --insecure --root $S $REG/busybox:latest" /dev/null \
		</dev/null >"$GPH_TMP/tty.out" 2>&1
	grep -q $'\r' "$GPH_TMP/tty.out" || { fail "no line redrawn on the terminal"; fail_file "terminal" "$GPH_TMP/tty.out"; return 1; }
	grep -qE 'MiB \(100%\), [0-9.]+ MiB/s' "$GPH_TMP/tty.out" ||
		{ fail "no bytes/total/rate on the terminal"; fail_file "terminal" "$GPH_TMP/tty.out"; return 1; }
	grep -q "^pulled sha256:" <(tr '\r' '\n' <"$GPH_TMP/tty.out") || { fail "no pulled line"; return 1; }
}

t_basic_auth() {
	rm -rf "$S"
	authreg_start
	gph_run pull --insecure --root "$S" "$AUTH/busybox:latest"
	expect_rc 1 || return 1
	expect_err "wants a user name and password" || return 1
	gph_run pull --insecure --root "$S" --creds "alice:wrong-$PW" "$AUTH/busybox:latest"
	expect_rc 1 || return 1
	expect_err "HTTP 401" || return 1
	expect_no_pw || return 1
	store_empty || { fail "a refused pull left files in the store"; return 1; }
	gph_run pull --insecure --root "$S" --creds "alice:$PW" "$AUTH/busybox:latest"
	expect_rc 0 || return 1
	expect_match "verified$" || return 1
	expect_no_pw || return 1
	rm -rf "$S"
	printf 'alice:%s\n' "$PW" >"$GPH_TMP/creds"
	gph_run pull --insecure --root "$S" --creds-file "$GPH_TMP/creds" "$AUTH/busybox:latest"
	expect_rc 0 || return 1
	expect_no_pw || return 1
	gph_run run --root "$S" --image "$AUTH/busybox:latest" /bin/sh -c 'echo hi'
	expect_line "hi" || return 1
	# run's own pull takes the same credentials (and never prints them)
	rm -rf "$S"
	gph_run run --root "$S" --insecure --image "$AUTH/busybox:latest" /bin/true
	expect_rc 125 || return 1
	expect_err "wants a user name and password" || return 1
	gph_run run --root "$S" --insecure --creds-file "$GPH_TMP/creds" --image "$AUTH/busybox:latest" /bin/sh -c 'echo from-run-pull'
	expect_rc 0 || return 1
	expect_line "from-run-pull" || return 1
	expect_no_pw || return 1
	rm -rf "$S"
	gph_run run --root "$S" --insecure --creds "alice:$PW" --image "$AUTH/busybox:latest" /bin/true
	expect_rc 0 || return 1
	expect_no_pw || return 1
	gph_run run --rootfs "$R" --creds "alice:$PW" /bin/true
	expect_rc 125 || return 1
	expect_err "need --image" || return 1
	authreg_stop
}

t_bearer() {
	rm -rf "$S"
	proxy_start bearer
	gph_run pull --insecure --root "$S" "$PROXY/busybox:latest"
	expect_rc 0 || return 1
	expect_match "^pulled sha256:[0-9a-f]{64} as $PROXY/busybox:latest$" || return 1
	grep -q "^token scope=repository:busybox:pull service=gph-test basic=no$" "$REGDIR/proxy.log" ||
		{ fail "no anonymous token request"; fail_file "regproxy.py" "$REGDIR/proxy.log"; return 1; }
	# A token endpoint that wants credentials.
	rm -rf "$S"
	proxy_start bearer "alice:$PW"
	gph_run pull --insecure --root "$S" "$PROXY/busybox:latest"
	expect_rc 1 || return 1
	expect_err "token request to http://$PROXY/token: HTTP 401" || return 1
	gph_run pull --insecure --root "$S" --creds "alice:nope" "$PROXY/busybox:latest"
	expect_rc 1 || return 1
	expect_err "check --creds" || return 1
	printf 'alice:%s\n' "$PW" >"$GPH_TMP/creds"
	gph_run pull --insecure --root "$S" --creds-file "$GPH_TMP/creds" "$PROXY/busybox:latest"
	expect_rc 0 || return 1
	expect_no_pw || return 1
	grep -q "basic=yes$" "$REGDIR/proxy.log" || { fail "no credentialed token request"; return 1; }
	gph_run run --root "$S" --image "$PROXY/busybox:latest" /bin/sh -c 'echo hi'
	expect_line "hi" || return 1
	proxy_stop
}

t_dies_midpull() {
	rm -rf "$S"
	proxy_start die 300000
	gph_run pull --insecure --root "$S" "$PROXY/busybox:latest"
	expect_rc 1 || return 1
	expect_err "partial|closed|Recv failure|transfer" || return 1
	grep -q "^died after" "$REGDIR/proxy.log" || { fail "regproxy.py did not cut the blob"; return 1; }
	store_empty || { fail "a broken pull left files in the store"; find "$S" >"$GPH_TMP/find"; fail_file "store" "$GPH_TMP/find"; return 1; }
	[ -z "$(find "$S/blobs" -type f 2>/dev/null)" ] || { fail "a broken pull left blobs"; return 1; }
	gph_run images --root "$S"
	expect_rc 0 || return 1
	# The registry is back (no cut this time): the same pull works.
	proxy_start die 1000000000
	gph_run pull --insecure --root "$S" "$PROXY/busybox:latest"
	expect_rc 0 || return 1
	gph_run run --root "$S" --image "$PROXY/busybox:latest" /bin/sh -c 'echo hi'
	expect_line "hi" || return 1
	proxy_stop
}

t_corrupt_blob() {
	local big
	push "$GPH_TMP/oci" t/oci:1 t/bad:1 || return 1
	rm -rf "$S"
	# The image's base layer in the registry's storage, one byte changed.
	big=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/t/bad/manifests/1" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"].split(":")[1])')
	big=$(find "$REGDIR/reg" -path "*/blobs/sha256/*/$big/data")
	[ -n "$big" ] || { fail "no layer blob in the registry's storage"; return 1; }
	printf 'X' | dd of="$big" bs=1 seek=2000 conv=notrunc status=none
	gph_run pull --root "$S" --insecure "$REG/t/bad:1"
	expect_rc 1 || return 1
	expect_err "digest mismatch" || return 1
	store_empty || { fail "a refused pull left files in the store"; return 1; }
	[ -z "$(find "$S/blobs" -type f)" ] || { fail "a refused pull left blobs"; return 1; }
}

t_registry_gone() {
	rm -rf "$S" "$REGDIR/reg"
	registry_stop
	gph_run pull --root "$S" --insecure "$REG/t/oci:1"
	expect_rc 1 || return 1
	expect_err "Couldn't connect|Connection refused" || return 1
	store_empty || { fail "a failed pull left files in the store"; return 1; }
	registry_start
	push "$GPH_TMP/oci" t/oci:1 t/oci:1 || return 1
	gph_run pull --root "$S" --insecure "$REG/t/oci:1"
	expect_rc 0 || return 1
	gph_run pull --root "$S" "$REG/t/oci:1"
	expect_rc 1 || return 1
	expect_err "needs --insecure|Unsupported protocol|SSL|https" || return 1
}

tcase "pull by tag (plain HTTP, --insecure), run it; a second pull fetches nothing" t_pull_tag
tcase "pull by digest; an unknown digest is a clean 404" t_pull_digest
tcase "a multi-platform index: --platform picks the image" t_pull_index
tcase "umoci-built busybox (one layer; three with whiteouts) via skopeo: pull, run prints hi" t_umoci_busybox
tcase "run --pull=missing pulls once, --pull=always again, --pull=never refuses a missing image" t_pull_policy
tcase "run from a rootfs, and run --image of a stored image, load no libcurl/libarchive/json-c" t_no_libs_on_run
tcase "progress on a terminal: bytes, total and rate per layer, redrawn in place" t_progress_tty
tcase "Basic auth (htpasswd registry): no creds, wrong creds, --creds, --creds-file, also for run's pull; password never printed" t_basic_auth
tcase "Bearer challenge: anonymous token, then a token endpoint that wants credentials" t_bearer
tcase "a registry that dies mid-blob: clean error, store consistent, the pull again works" t_dies_midpull
tcase "a corrupted blob in the registry: digest mismatch, nothing stored" t_corrupt_blob
tcase "registry gone: clean error, store empty; back again: pull works; https without --insecure" t_registry_gone
registry_stop
gph_finish
