#!/bin/bash
# oci: gophernetes as an OCI runtime. The runtime-spec command line on its own (create, start, state,
# kill, delete, run --bundle, exec, ps, pause/resume, list, spec, features, errors), `state` and
# `spec` output validated against the spec's JSON schemas (Debian's
# golang-github-opencontainers-specs-dev, python3-jsonschema), then podman as the real client:
# `podman --runtime gophernetes` runs a busybox image imported from the test rootfs (echo, exit
# status, --memory with an OOM kill, --pids-limit, exec, exec -it and run -it through the console
# socket, stop and kill). Podman's storage, run root and temp dir live in this test's temp dir;
# --network none, and the test runs in a network namespace of its own.
# shellcheck disable=SC2016,SC2317  # container commands are single-quoted on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns net
gph_setup

SCHEMA=/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema
OCI=$GPH_TMP/oci                   # --root for the runtime's own cases
CGP=/gophernetes-oci-test.$$       # podman's --cgroup-parent: our own subtree, removed at the end
PT=$GPH_TMP/podman
WRAP=$GPH_TMP/gph-runtime          # logs podman's calls, keeps state in this test's directories
CALLS=$GPH_TMP/calls.log
IMG=localhost/gph-oci-busybox

# The qemu VM of `make check-v2` (tests/v2vm) has neither python3 nor podman: say so loudly there;
# on a machine where `make test-deps` ran, everything below must run.
if [ "${GPH_IN_V2VM:-}" = 1 ] && ! command -v python3 >/dev/null; then
	echo "# !!! t-oci: python3, podman and the spec's schemas are not in the v2 VM: ALL OCI cases SKIPPED here !!!" >&2
	echo "ok 1 - OCI runtime face # SKIP no python3/podman in the v2 VM (they run on the host: make integration)"
	exit 0
fi
have_ctr=1
command -v containerd >/dev/null && command -v ctr >/dev/null || have_ctr=0
[ "$have_ctr" = 1 ] || [ "${GPH_IN_V2VM:-}" = 1 ] || bail "containerd is needed (make test-deps installs it)"
have_podman=1
for tool in podman conmon; do
	if ! command -v "$tool" >/dev/null; then
		have_podman=0
		missing_tool=$tool
	fi
done
if [ "$have_podman" = 0 ] && [ "${GPH_IN_V2VM:-}" != 1 ]; then
	bail "$missing_tool is needed (make test-deps installs podman, conmon, golang-github-opencontainers-specs-dev and python3-jsonschema)"
fi
[ -d "$SCHEMA" ] || bail "$SCHEMA missing (make test-deps installs golang-github-opencontainers-specs-dev)"
python3 -c 'import jsonschema' 2>/dev/null || bail "python3-jsonschema is needed (make test-deps installs it)"

cleanup_oci() {
	local rc=$?
	if [ "$have_podman" = 1 ] && [ -d "$PT" ]; then
		podman_ rm -a -f -t 0 >/dev/null 2>&1
	fi
	local d
	while IFS= read -r d; do
		find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
		rmdir "$d" 2>/dev/null || echo "# cleanup: could not remove $d" >&2
	done < <(find /sys/fs/cgroup -maxdepth 3 -type d -name "gophernetes-oci-test.$$" 2>/dev/null)
	(exit "$rc")
	gph_cleanup
}
trap cleanup_oci EXIT

# podman with everything of its own in this test's temp dir.
podman_args() {
	PODMAN=(podman --root "$PT/storage" --runroot "$PT/run" --tmpdir "$PT/tmp" --storage-driver vfs
		--cgroup-manager cgroupfs --events-backend file --runtime "${RUNTIME:-$WRAP}")
}
podman_() {
	podman_args
	timeout -k 5 90 "${PODMAN[@]}" "$@"
}
PODMAN_RUN=(--network none --cgroup-parent "$CGP" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

# prun ARGS...: podman run, bounded; RC, OUT, ERR as gph_run sets them.
prun() {
	podman_ "$@" >"$GPH_TMP/out" 2>"$GPH_TMP/err" </dev/null
	RC=$?
	OUT=$(cat "$GPH_TMP/out")
	ERR=$(cat "$GPH_TMP/err")
	LAST_CMD="podman $*" # read by show_last (lib.sh)
	export LAST_CMD
}

# validate SCHEMA-FILE JSON-FILE
validate() {
	if python3 - "$SCHEMA" "$1" "$2" >"$GPH_TMP/validate.out" 2>&1 <<-'PY'; then
	import json, sys, jsonschema
	base, schema_file, doc_file = sys.argv[1], sys.argv[2], sys.argv[3]
	schema = json.load(open(f"{base}/{schema_file}"))
	resolver = jsonschema.RefResolver(f"file://{base}/", schema)
	jsonschema.validate(json.load(open(doc_file)), schema, resolver=resolver)
	PY
		return 0
	fi
	fail "$2 does not validate against $1:"
	fail_file "jsonschema" "$GPH_TMP/validate.out"
}

# A bundle: config.json from `gophernetes spec`, with the test rootfs and the command given.
make_bundle() { # DIR ARGS-JSON
	mkdir -p "$1" && ln -s "$R" "$1/rootfs" || return 1
	(cd "$1" && "$GPH" spec) || { fail "gophernetes spec failed"; return 1; }
	python3 - "$1/config.json" "$2" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["process"]["args"] = json.loads(sys.argv[2])
	json.dump(c, open(sys.argv[1], "w"), indent=2)
	PY
}

oci() { gph_run --root "$OCI" "$@"; }

t_spec() {
	mkdir -p "$GPH_TMP/spec" || return 1
	(cd "$GPH_TMP/spec" && "$GPH" spec) || { fail "gophernetes spec failed"; return 1; }
	validate config-schema.json "$GPH_TMP/spec/config.json" || return 1
	(cd "$GPH_TMP/spec" && "$GPH" spec 2>"$GPH_TMP/err") && { fail "spec overwrote config.json"; return 1; }
	grep -q "never overwrites" "$GPH_TMP/err" || fail "no reason given for refusing to overwrite"
}

t_features() {
	oci features
	expect_rc 0 || return 1
	python3 -c 'import json,sys; f=json.load(sys.stdin); assert "mount" in f["linux"]["namespaces"]' <<<"$OUT" ||
		fail "features is not JSON with linux.namespaces"
}

t_lifecycle() {
	make_bundle "$GPH_TMP/b1" '["/bin/sh", "-c", "echo started; exit 3"]' || return 1
	oci create --bundle "$GPH_TMP/b1" --pid-file "$GPH_TMP/b1.pid" c1
	expect_rc 0 || return 1
	oci state c1
	expect_rc 0 || return 1
	echo "$OUT" >"$GPH_TMP/state1.json"
	validate state-schema.json "$GPH_TMP/state1.json" || return 1
	grep -q '"status":"created"' "$GPH_TMP/state1.json" || { fail "not created"; show_last; return 1; }
	local pid
	pid=$(cat "$GPH_TMP/b1.pid")
	grep -q "\"pid\":$pid," "$GPH_TMP/state1.json" || { fail "--pid-file $pid differs from state"; show_last; return 1; }
	oci list
	grep -qE '^c1 +[0-9]+ +created' <<<"$OUT" || { fail "list does not show c1 created"; show_last; return 1; }
	oci create --bundle "$GPH_TMP/b1" c1
	expect_rc 1 || return 1
	expect_err 'already exists' || return 1
	oci start c1
	expect_rc 0 || return 1
	wait_until 10 sh -c "'$GPH' --root '$OCI' state c1 | grep -q stopped" || { fail "c1 never stopped"; return 1; }
	oci state c1
	echo "$OUT" >"$GPH_TMP/state2.json"
	validate state-schema.json "$GPH_TMP/state2.json" || return 1
	oci start c1
	expect_rc 1 || return 1
	expect_err 'stopped, not created' || return 1
	oci delete c1
	expect_rc 0 || return 1
	oci state c1
	expect_rc 1 || return 1
	expect_err 'does not exist' || return 1
	expect_no_cgroups_left && expect_no_state_left
}

t_kill_pause() {
	make_bundle "$GPH_TMP/b2" '["/bin/sleep", "60"]' || return 1
	oci run --detach --bundle "$GPH_TMP/b2" c2
	expect_rc 0 || return 1
	oci state c2
	grep -q '"status":"running"' <<<"$OUT" || { fail "not running after run --detach"; show_last; return 1; }
	echo "$OUT" >"$GPH_TMP/state3.json"
	validate state-schema.json "$GPH_TMP/state3.json" || return 1
	oci ps --format json c2
	grep -qE '^\[[0-9]+\]$' <<<"$OUT" || { fail "ps --format json: one PID expected"; show_last; return 1; }
	oci pause c2
	expect_rc 0 || return 1
	oci state c2
	grep -q '"status":"paused"' <<<"$OUT" || { fail "not paused"; show_last; return 1; }
	oci resume c2
	expect_rc 0 || return 1
	oci delete c2
	expect_rc 1 || return 1
	expect_err 'delete --force' || return 1
	oci kill c2 NOSUCHSIG
	expect_rc 1 || return 1
	oci kill c2 SIGKILL
	expect_rc 0 || return 1
	wait_until 10 sh -c "'$GPH' --root '$OCI' state c2 | grep -q stopped" || { fail "SIGKILL did not stop c2"; return 1; }
	oci delete c2
	expect_rc 0 || return 1
	make_bundle "$GPH_TMP/b3" '["/bin/sleep", "60"]' || return 1
	oci run -d --bundle "$GPH_TMP/b3" c3
	oci kill --all c3 9
	expect_rc 0 || return 1
	oci delete --force c3
	expect_rc 0 || return 1
	oci delete --force c3
	expect_rc 0 || return 1 # already gone: still 0
	expect_no_cgroups_left && expect_no_state_left
}

t_run_foreground() {
	make_bundle "$GPH_TMP/b4" '["/bin/sh", "-c", "echo fg; exit 5"]' || return 1
	oci run --bundle "$GPH_TMP/b4" c4
	expect_rc 5 || return 1
	expect_line fg || return 1
	oci state c4
	expect_rc 1 || return 1 # run removes it when it ends
	expect_no_cgroups_left && expect_no_state_left
}

t_errors() {
	gph_run --systemd-cgroup --root "$OCI" create --bundle "$GPH_TMP/b1" x
	expect_rc 1 || return 1
	expect_err 'systemd' || return 1
	oci kill nosuch
	expect_rc 1 || return 1
	expect_err 'does not exist' || return 1
	oci delete nosuch
	expect_rc 1 || return 1
	oci state 'bad/id'
	expect_rc 1 || return 1
	expect_err 'invalid container id' || return 1
	make_bundle "$GPH_TMP/b5" '["/bin/true"]' || return 1
	python3 - "$GPH_TMP/b5/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["process"]["madeUp"] = 1
	json.dump(c, open(sys.argv[1], "w"))
	PY
	oci create --bundle "$GPH_TMP/b5" c5
	expect_rc 1 || return 1
	expect_err 'process.madeUp: not supported' || return 1
	oci list
	grep -q '^c5 ' <<<"$OUT" && { fail "a refused create left c5"; return 1; }
	# The existing `run` still takes a command: no OCI option, no OCI meaning.
	gph_run run --rootfs "$R" /bin/echo plain
	expect_rc 0 && expect_line plain
}

t_rlimit_refused() {
	make_bundle "$GPH_TMP/b6" '["/bin/true"]' || return 1
	python3 - "$GPH_TMP/b6/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 1 << 40, "soft": 1024}]
	json.dump(c, open(sys.argv[1], "w"))
	PY
	oci create --bundle "$GPH_TMP/b6" c6
	expect_rc 1 || return 1
	expect_err 'RLIMIT_NOFILE: the hard limit' || return 1
	expect_no_cgroups_left && expect_no_state_left
}

t_hooks() {
	make_bundle "$GPH_TMP/b7" '["/bin/sleep", "30"]' || return 1
	python3 - "$GPH_TMP/b7/config.json" "$GPH_TMP" <<-'PY'
	import json, sys
	c, t = json.load(open(sys.argv[1])), sys.argv[2]
	hook = lambda name: {"path": "/bin/sh", "args": ["sh", "-c", "cat > %s/hook.%s" % (t, name)], "timeout": 5}
	c["hooks"] = {k: [hook(k)] for k in ("prestart", "createRuntime", "poststart", "poststop")}
	c["annotations"] = {"org.example.lesson": "15"}
	json.dump(c, open(sys.argv[1], "w"))
	PY
	oci create --bundle "$GPH_TMP/b7" c7
	expect_rc 0 || return 1
	local k
	for k in prestart createRuntime; do
		[ -s "$GPH_TMP/hook.$k" ] || { fail "the $k hook did not run"; return 1; }
		validate state-schema.json "$GPH_TMP/hook.$k" || return 1
	done
	grep -q '"status":"created"' "$GPH_TMP/hook.prestart" || { fail "prestart did not see created"; return 1; }
	grep -q '"org.example.lesson":' "$GPH_TMP/hook.prestart" || { fail "annotations missing from the state"; return 1; }
	oci start c7
	expect_rc 0 || return 1
	grep -q '"status":"running"' "$GPH_TMP/hook.poststart" || { fail "poststart did not see running"; return 1; }
	oci delete --force c7
	expect_rc 0 || return 1
	[ -s "$GPH_TMP/hook.poststop" ] || { fail "the poststop hook did not run"; return 1; }
	validate state-schema.json "$GPH_TMP/hook.poststop" || return 1
	python3 - "$GPH_TMP/b7/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["hooks"] = {"createContainer": [{"path": "/bin/true"}]}
	json.dump(c, open(sys.argv[1], "w"))
	PY
	oci create --bundle "$GPH_TMP/b7" c8
	expect_rc 1 || return 1
	expect_err 'hooks.createContainer' || return 1
	expect_no_cgroups_left && expect_no_state_left
}

t_shell_export() {
	# A sandbox built step by step in the shell, exported as a bundle: it validates, and both the
	# OCI face and runc run it the same way.
	cat >"$GPH_TMP/steps" <<-EOF
	ns pid uts mnt ipc net cgroup
	hostname box
	cgroup mem 32M
	cgroup pids 64
	pivot_root $R
	mount proc
	mount dev
	mount sys
	cap default
	mask on
	nnp on
	seccomp default
	user 0:0
	export oci $GPH_TMP/exported sh -c 'echo hi from \$(hostname); grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status'
	quit
	EOF
	gph_shell_run "$GPH_TMP/steps"
	[ -s "$GPH_TMP/exported/config.json" ] || { fail "export oci wrote no config.json"; show_last; return 1; }
	validate config-schema.json "$GPH_TMP/exported/config.json" || return 1
	oci run --bundle "$GPH_TMP/exported" e1
	expect_rc 0 && expect_line "hi from box" && expect_line "NoNewPrivs:	1" && expect_line "Seccomp:	2" || return 1
	if command -v runc >/dev/null; then
		python3 - "$GPH_TMP/exported/config.json" "$CGP/runc-e2" <<-'PY'
		import json, sys
		c = json.load(open(sys.argv[1]))
		c["linux"]["cgroupsPath"] = sys.argv[2]
		json.dump(c, open(sys.argv[1], "w"))
		PY
		timeout -k 5 30 runc --root "$GPH_TMP/runc" run -b "$GPH_TMP/exported" e2 >"$GPH_TMP/out" 2>"$GPH_TMP/err" </dev/null
		RC=$?
		OUT=$(cat "$GPH_TMP/out")
		ERR=$(cat "$GPH_TMP/err")
		LAST_CMD="runc run -b exported e2"
		expect_rc 0 && expect_line "hi from box" && expect_line "Seccomp:	2" || return 1
		find /sys/fs/cgroup -depth -type d -path "*/gophernetes-oci-test.$$/runc-e2" -exec rmdir {} + 2>/dev/null
	fi
	expect_no_cgroups_left && expect_no_state_left
}

# Lesson 17 ends by exporting the container it built: that bundle, as the lesson writes it, runs
# under gophernetes and runc and says hello from its hostname.
t_lesson_bundle() {
	local cmds=$GPH_TMP/lesson17.cmds b=$GPH_TMP/lesson-bundle
	sed -n 's/^\$ //p' "$GPH_ROOT/lessons/17-oci-bundle.lesson" >"$cmds"
	[ -s "$cmds" ] || { fail "no commands in lesson 17"; return 1; }
	rm -rf "$b"
	gph_shell_run "$cmds" --rootfs "$R"
	[ -s "$b/config.json" ] || { fail "lesson 17 wrote no bundle"; show_last; return 1; }
	validate config-schema.json "$b/config.json" || return 1
	oci run --bundle "$b" lesson1
	expect_rc 0 && expect_line "hello from bundled" || return 1
	if command -v runc >/dev/null; then
		python3 - "$b/config.json" "$CGP/runc-l2" <<-'PY'
		import json, sys
		c = json.load(open(sys.argv[1]))
		c["linux"]["cgroupsPath"] = sys.argv[2]
		json.dump(c, open(sys.argv[1], "w"))
		PY
		timeout -k 5 30 runc --root "$GPH_TMP/runc" run -b "$b" l2 >"$GPH_TMP/out" 2>"$GPH_TMP/err" </dev/null
		RC=$?
		OUT=$(cat "$GPH_TMP/out")
		ERR=$(cat "$GPH_TMP/err")
		LAST_CMD="runc run -b lesson-bundle l2"
		find /sys/fs/cgroup -depth -type d -path "*/gophernetes-oci-test.$$/runc-l2" -exec rmdir {} + 2>/dev/null
		expect_rc 0 && expect_line "hello from bundled" || return 1
	fi
	rm -rf "$b"
	expect_no_cgroups_left && expect_no_state_left
}

# ---- podman ----
podman_setup() {
	mkdir -p "$PT" || return 1
	cat >"$WRAP" <<-EOF
	#!/bin/sh
	echo "\$*" >>"$CALLS"
	GPH_STATE_DIR="$GPH_STATE_DIR" exec "$GPH" --root "$OCI" "\$@"
	EOF
	chmod 0755 "$WRAP" || return 1
	(cd "$R" && tar -c .) >"$GPH_TMP/rootfs.tar" || return 1
	podman_ import -q "$GPH_TMP/rootfs.tar" "$IMG" >"$GPH_TMP/import.out" 2>&1 ||
		{ fail "podman import failed"; fail_file import "$GPH_TMP/import.out"; return 1; }
}

# Our own cgroup subtree holds no container any more.
no_podman_cgroups() {
	local left
	# (podman keeps conmon in <cgroup-parent>/conmon: podman's, removed at the end)
	left=$(find /sys/fs/cgroup -mindepth 2 -path "*/gophernetes-oci-test.$$/*" ! -path "*/conmon*" -type d 2>/dev/null)
	[ -z "$left" ] && return 0
	fail "cgroups left under $CGP:" "$left"
}

t_podman_echo() {
	# The binary itself as --runtime, with its default state directories.
	local before had=0
	[ -d /run/gophernetes-oci ] && had=1
	before=$(ls /run/gophernetes-oci 2>/dev/null)
	RUNTIME=$GPH prun run --rm "${PODMAN_RUN[@]}" "$IMG" echo hi
	local after
	after=$(ls /run/gophernetes-oci 2>/dev/null)
	[ "$had" = 1 ] || rmdir /run/gophernetes-oci 2>/dev/null
	expect_rc 0 || return 1
	expect_line hi || return 1
	[ "$after" = "$before" ] || { fail "state left in /run/gophernetes-oci"; return 1; }
	no_podman_cgroups
}

t_podman_exit() {
	prun run --rm "${PODMAN_RUN[@]}" "$IMG" sh -c 'echo out; echo err >&2; exit 7'
	expect_rc 7 || return 1
	expect_line out || return 1
	expect_err '^err$' || return 1
	if ! grep -q '^create --bundle' "$CALLS" || ! grep -q '^start ' "$CALLS" || ! grep -q '^delete --force' "$CALLS"; then
		fail "podman's calls were not create, start, delete"
		fail_file calls "$CALLS"
		return 1
	fi
	no_podman_cgroups
}

t_podman_join_net() {
	# --network ns:PATH: the container joins an existing network namespace (here the test's own),
	# as a Kubernetes pod's containers join the pod's: `ns join net PATH`.
	local want
	want=$(readlink /proc/self/ns/net)
	prun run --rm --network "ns:/proc/$$/ns/net" --cgroup-parent "$CGP" --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 "$IMG" readlink /proc/self/ns/net
	expect_rc 0 || return 1
	expect_line "$want" || return 1
	no_podman_cgroups
}

t_podman_limits() {
	prun run -d --name lim --memory 48m --pids-limit 20 "${PODMAN_RUN[@]}" "$IMG" sleep 60
	expect_rc 0 || return 1
	local d
	d=$(find /sys/fs/cgroup -path "*/gophernetes-oci-test.$$/[0-9a-f]*/memory.*" ! -path "*/conmon/*" \( -name memory.limit_in_bytes -o -name memory.max \) 2>/dev/null | head -1)
	if [ -z "$d" ] || [ "$(cat "$d")" != $((48 * 1024 * 1024)) ]; then
		fail "memory limit not 48m in the container's cgroup ($d)"
		return 1
	fi
	d=$(find /sys/fs/cgroup -path "*/gophernetes-oci-test.$$/[0-9a-f]*/pids.max" ! -path "*/conmon/*" 2>/dev/null | head -1)
	if [ -z "$d" ] || [ "$(cat "$d")" != 20 ]; then
		fail "pids.max not 20 ($d)"
		return 1
	fi
	prun exec lim sh -c 'for i in $(seq 40); do sleep 5 & done; wait'
	if [ "$RC" = 0 ] || ! grep -qi 'fork' <<<"$ERR"; then
		fail "40 processes under --pids-limit 20 did not fail to fork"
		show_last
		return 1
	fi
	prun rm -f -t 0 lim
	expect_rc 0 || return 1
	prun run --rm --memory 32m "${PODMAN_RUN[@]}" "$IMG" sh -c 'tail /dev/zero'
	expect_rc 137 || return 1
	no_podman_cgroups
}

t_podman_exec_stop() {
	prun run -d --name sl "${PODMAN_RUN[@]}" "$IMG" sleep 60
	expect_rc 0 || return 1
	prun exec sl sh -c 'ps -o pid,args; hostname'
	expect_rc 0 || return 1
	grep -qE '^ +1 +sleep 60$' <<<"$OUT" || { fail "exec does not see sleep as PID 1"; show_last; return 1; }
	prun exec sl sh -c 'exit 4'
	expect_rc 4 || return 1
	prun stop -t 1 sl
	expect_rc 0 || return 1
	prun inspect --format '{{.State.ExitCode}}' sl
	expect_line 137 || return 1 # sleep as PID 1 ignores SIGTERM: SIGKILL after the timeout, as with runc
	prun rm sl
	prun run -d --name k "${PODMAN_RUN[@]}" "$IMG" sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done'
	wait_until 10 grep -q "^start " "$CALLS"
	sleep 0.3
	prun kill -s USR1 k
	expect_rc 0 || return 1
	prun wait k
	expect_line 42 || return 1
	prun rm k
	no_podman_cgroups
}

t_podman_tty() {
	command -v script >/dev/null || { fail "script(1) missing (bsdutils)"; return 1; }
	podman_args
	timeout -k 5 90 script -qec "${PODMAN[*]} run -it --rm ${PODMAN_RUN[*]} $IMG sh -c 'tty; exit 3'" \
		/dev/null >"$GPH_TMP/tty.out" 2>&1 < <(sleep 20)
	RC=$?
	grep -q '/dev/pts/0' "$GPH_TMP/tty.out" || { fail "run -it: no terminal inside"; fail_file tty "$GPH_TMP/tty.out"; return 1; }
	[ "$RC" = 3 ] || { fail "run -it: exit status $RC, not 3"; return 1; }
	prun run -d --name t "${PODMAN_RUN[@]}" "$IMG" sleep 60
	timeout -k 5 90 script -qec "${PODMAN[*]} exec -it t sh -c 'tty'" \
		/dev/null >"$GPH_TMP/tty.out" 2>&1 < <(sleep 20)
	grep -q '/dev/pts/' "$GPH_TMP/tty.out" || { fail "exec -it: no terminal"; fail_file tty "$GPH_TMP/tty.out"; return 1; }
	prun rm -f -t 0 t
	no_podman_cgroups
}

tcase "spec writes a config.json that validates against the spec's schema" t_spec
tcase "features is JSON" t_features
tcase "create, state (validates), start, stopped, delete" t_lifecycle
tcase "run --detach, ps, pause/resume, kill by name and number, kill --all, delete --force" t_kill_pause
tcase "run in the foreground: its exit status, then it is gone" t_run_foreground
tcase "errors: --systemd-cgroup, unknown ids, an unknown config field; plain run unaffected" t_errors
tcase "an rlimit above the hard limit is refused with its name" t_rlimit_refused
tcase "hooks: prestart, createRuntime, poststart, poststop get the state; createContainer refused" t_hooks
tcase "the shell's export oci: a bundle that validates and runs under gophernetes and runc" t_shell_export
tcase "lesson 17's bundle runs under gophernetes and runc" t_lesson_bundle
podman_ok=0
t_podman_import() { podman_setup && podman_ok=1; }
[ "$have_podman" = 1 ] && tcase "podman import of the test rootfs as an image" t_podman_import
# ---- containerd and ctr (the runc shim: what Kubernetes' CRI plugin uses) ----
# A containerd of this test's own: config, root, state and sockets in the temp dir, the CRI plugin
# disabled, in this test's network and mount namespaces. The shim puts its sockets in
# /run/containerd/s whatever the config says: what it leaves there is removed at the end.
t_containerd() {
	local D=$GPH_TMP/containerd had_run=0 had_s=0 cpid rc
	[ -d /run/containerd ] && had_run=1
	[ -d /run/containerd/s ] && had_s=1
	mkdir -p "$D/runc-root" "$D/fifo" || return 1
	cat >"$D/config.toml" <<-EOF
	version = 2
	root = "$D/root"
	state = "$D/state"
	disabled_plugins = ["io.containerd.grpc.v1.cri"]
	[grpc]
	  address = "$D/c.sock"
	[ttrpc]
	  address = "$D/c.sock.ttrpc"
	EOF
	containerd --config "$D/config.toml" >"$D/containerd.log" 2>&1 &
	cpid=$!
	GPH_PIDS+=("$cpid")
	wait_until 20 test -S "$D/c.sock" || { fail "containerd did not start"; fail_file containerd "$D/containerd.log"; return 1; }
	local C=(ctr -a "$D/c.sock" -n gph-test)
	podman_ save -q -o "$D/img.tar" "$IMG" >"$D/save.out" 2>&1 || { fail "podman save failed"; fail_file save "$D/save.out"; return 1; }
	timeout -k 5 60 "${C[@]}" image import "$D/img.tar" >"$D/import.out" 2>&1 ||
		{ fail "ctr image import failed"; fail_file import "$D/import.out"; return 1; }
	timeout -k 5 60 "${C[@]}" run --rm --runc-binary "$WRAP" --runc-root "$D/runc-root" --fifo-dir "$D/fifo" \
		--cgroup "$CGP/ctr1" "$IMG:latest" ctr1 sh -c 'echo hi from ctr; exit 3' >"$GPH_TMP/out" 2>"$GPH_TMP/err" </dev/null
	RC=$?
	OUT=$(cat "$GPH_TMP/out")
	ERR=$(cat "$GPH_TMP/err")
	LAST_CMD="ctr run --rm --runc-binary gophernetes ... ctr1"
	rc=0
	expect_rc 3 && expect_line "hi from ctr" || rc=1
	if [ "$rc" = 0 ] && ! grep -q -- '--log-format json create --bundle' "$CALLS"; then
		fail "the shim's create call was not logged"
		rc=1
	fi
	"${C[@]}" image rm "$IMG:latest" >/dev/null 2>&1
	kill "$cpid" 2>/dev/null
	wait_until 10 not_running "$cpid" || kill -KILL "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	[ "$had_s" = 1 ] || rmdir /run/containerd/s 2>/dev/null
	[ "$had_run" = 1 ] || rmdir /run/containerd 2>/dev/null
	[ "$rc" = 0 ] && no_podman_cgroups
}

# A podman case, then whatever containers it left (a failed case) removed through podman.
in_podman() {
	"$@"
	local rc=$?
	podman_ rm -a -f -t 0 >/dev/null 2>&1
	return "$rc"
}
if [ "$podman_ok" = 1 ]; then
	tcase "podman --runtime gophernetes run --rm echo hi" in_podman t_podman_echo
	tcase "podman: stdout, stderr, a non-zero exit status; the calls podman makes" in_podman t_podman_exit
	tcase "podman: --network ns:PATH joins that network namespace" in_podman t_podman_join_net
	tcase "podman: --memory, --pids-limit in the cgroup, an OOM kill is 137" in_podman t_podman_limits
	tcase "podman: exec (PID 1 visible, exit status), stop, kill -s USR1" in_podman t_podman_exec_stop
	tcase "podman: run -it and exec -it through the console socket" in_podman t_podman_tty
	if [ "$have_ctr" = 1 ]; then
		tcase "containerd + ctr run --runc-binary gophernetes: output, exit status, nothing left" t_containerd
	fi
elif [ "$have_podman" = 0 ]; then
	echo "# !!! podman/conmon are not available here (the qemu VM has no podman): the podman cases are SKIPPED !!!" >&2
	GPH_N=$((GPH_N + 1))
	echo "ok $GPH_N - podman as the client # SKIP $missing_tool is not installed in this VM"
fi
gph_finish
