#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "suites.h"

/* Cases that start a sandbox write a ledger and a seccomp cache: into a directory of the run's own
 * (GPH_STATE_DIR, and the cache beside it), removed at the end, never /run/gophernetes. */
static char state_base[] = "/tmp/gph-unit.XXXXXX";
static pid_t runner; /* Check forks a child per test, and children run atexit handlers too */

static void remove_state(void)
{
	if (getpid() != runner)
		return;
	char cmd[sizeof state_base + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", state_base);
	if (system(cmd) != 0)
		fprintf(stderr, "unit: could not remove %s\n", state_base);
}
int main(void)
{
	if (!getenv("GPH_STATE_DIR")) {
		if (!mkdtemp(state_base)) {
			perror("unit: mkdtemp");
			return EXIT_FAILURE;
		}
		char dir[sizeof state_base + 8];
		snprintf(dir, sizeof dir, "%s/state", state_base);
		setenv("GPH_STATE_DIR", dir, 1);
		runner = getpid();
		atexit(remove_state);
	}
	SRunner *sr = srunner_create(suite_parse());
	srunner_add_suite(sr, suite_lesson());
	srunner_add_suite(sr, suite_cgroup());
	srunner_add_suite(sr, suite_net());
	srunner_add_suite(sr, suite_limits());
	srunner_add_suite(sr, suite_bridge());
	srunner_add_suite(sr, suite_harden());
	srunner_add_suite(sr, suite_step());
	srunner_add_suite(sr, suite_trace());
	srunner_add_suite(sr, suite_picture());
	srunner_add_suite(sr, suite_export());
	srunner_add_suite(sr, suite_tutor());
	srunner_add_suite(sr, suite_image());
	srunner_add_suite(sr, suite_manifest());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
