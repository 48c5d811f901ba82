#!/bin/bash
# The tutor (gophernetes-shell --lesson NAME, `lesson`, `lessons`): a learner walks lesson 01
# through a pseudo-terminal (t-tutor.exp, driven by expect): correct steps, a hint on request, a
# wrong attempt that is not run and gets the hint, equivalent spellings accepted, the "predict,
# then run" questions answered; then the progress file says the lesson is done. Leaving halfway
# keeps the steps done; a lesson whose needs are not met is explained, not started.
# shellcheck disable=SC2015,SC2317  # `A && B || { fail; return 1; }` on purpose; cases run via tcase
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
gph_enter_test_ns net
gph_setup
command -v expect >/dev/null || bail "expect missing (apt-get install expect; make test-deps does)"

export GPH_LESSONS_DIR=$GPH_ROOT/lessons
export XDG_STATE_HOME=$GPH_TMP/xdg
PROGRESS=$XDG_STATE_HOME/gophernetes/progress
STEPS=$(grep -c '^\$ ' "$GPH_LESSONS_DIR/01-pid-namespace.lesson")

t_walk_lesson_01() {
	rm -rf "$XDG_STATE_HOME"
	(cd "$GPH_TMP" && SHELL_BIN=$GPH_SHELL_BIN ROOTFS=$R STEPS=$STEPS timeout -k 5 120 \
		expect "$GPH_ROOT/tests/integration/t-tutor.exp" >"$GPH_TMP/pty.out" 2>&1)
	local rc=$?
	[ "$rc" = 0 ] || { fail "the walk through lesson 01 failed (status $rc):" \
		"$(grep -a 'T-TUTOR-FAILED' "$GPH_TMP/pty.out")"; fail_file pty "$GPH_TMP/pty.out"; return 1; }
	# The wrong attempt `ns uts` was not run: no UTS step ever reached the engine.
	! grep -aq '=> ns uts' "$GPH_TMP/pty.out" || { fail "the wrong attempt was run"; return 1; }
	grep -qx "01-pid-namespace $STEPS $STEPS 0 finished" "$PROGRESS" ||
		{ fail "progress not recorded as finished"; fail_file progress "$PROGRESS"; return 1; }
	# Written atomically: no temporary file is left next to it.
	[ -z "$(find "$XDG_STATE_HOME/gophernetes" -name 'progress?*')" ] ||
		{ fail "files left next to the progress: $(ls -A "$XDG_STATE_HOME/gophernetes")"; return 1; }
	expect_clean
}

t_leave_halfway() {
	rm -rf "$XDG_STATE_HOME"
	printf '%s\n' "exec /bin/sh -c 'echo \$\$'" skip quit lessons >"$GPH_TMP/cmds"
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R" --lesson 01
	[ "$RC" != 124 ] || { fail "the shell hung"; show_last; return 1; }
	grep -q "Left the lesson at step 3 of $STEPS (progress kept)" <<<"$OUT" ||
		{ fail "leaving was not reported"; show_last; return 1; }
	grep -qx "01-pid-namespace 2 $STEPS 1 started" "$PROGRESS" ||
		{ fail "progress of a lesson left halfway"; fail_file progress "$PROGRESS"; return 1; }
	grep -qE "01-pid-namespace +2 of $STEPS steps" <<<"$OUT" ||
		{ fail "\`lessons\` does not show 2 of $STEPS steps"; show_last; return 1; }
	expect_clean
}

t_unmet_need_explained() {
	# Not root: the lesson says why it cannot run and what to do, and starts nothing.
	printf 'quit\n' >"$GPH_TMP/cmds"
	chmod 0755 "$GPH_TMP"
	(cd "$GPH_TMP" && XDG_STATE_HOME=$GPH_TMP/nobody timeout -k 5 "$GPH_WAIT" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$GPH_SHELL_BIN" --rootfs "$R" \
		--lesson 01 <"$GPH_TMP/cmds" >"$GPH_TMP/out" 2>&1)
	RC=$?
	OUT=$(cat "$GPH_TMP/out")
	LAST_CMD="gophernetes-shell --lesson 01 as uid 65534"
	[ "$RC" != 124 ] || { fail "the shell hung"; show_last; return 1; }
	grep -q 'This lesson cannot run on this machine' <<<"$OUT" &&
		grep -q 'it needs root, running as uid 65534' <<<"$OUT" &&
		grep -q 'start it again as root' <<<"$OUT" ||
		{ fail "the unmet need was not explained"; show_last; return 1; }
	! grep -q 'step 1/' <<<"$OUT" || { fail "the lesson started anyway"; show_last; return 1; }
	expect_clean
}

t_network_lesson_private() {
	# A lesson that needs the network runs in a network namespace of its own: its veth never
	# appears in ours, and we are back in ours afterwards.
	local before after
	before=$(readlink /proc/self/ns/net)
	printf '%s\n' 'lesson 06' skip skip skip skip skip skip skip skip skip skip skip skip \
		skip skip skip skip 'exec /bin/true' >"$GPH_TMP/cmds"
	link_names >"$GPH_TMP/links.before"
	gph_shell_run "$GPH_TMP/cmds" --rootfs "$R"
	[ "$RC" != 124 ] || { fail "the shell hung"; show_last; return 1; }
	grep -q 'runs in a network namespace of its own' <<<"$OUT" &&
		grep -q '=> net veth (host gph-' <<<"$OUT" ||
		{ fail "the network lesson did not run its veth step"; show_last; return 1; }
	grep -q "network namespace is gone; this is a fresh sandbox" <<<"$OUT" ||
		{ fail "no return to a fresh sandbox"; show_last; return 1; }
	after=$(readlink /proc/self/ns/net)
	[ "$before" = "$after" ] || { fail "our network namespace changed"; return 1; }
	link_names >"$GPH_TMP/links.after"
	cmp -s "$GPH_TMP/links.before" "$GPH_TMP/links.after" ||
		{ fail "links changed: $(diff "$GPH_TMP/links.before" "$GPH_TMP/links.after" | tr '\n' ' ')"; return 1; }
	expect_clean
}

tcase "tutor: lesson 01 through a pty (hint, wrong attempt, equivalent spellings, predictions)" t_walk_lesson_01
tcase "tutor: leaving halfway keeps the steps done; lessons shows them" t_leave_halfway
tcase "tutor: an unmet need is explained, the lesson does not start" t_unmet_need_explained
tcase "tutor: a network lesson runs in a network namespace of its own" t_network_lesson_private
gph_finish
