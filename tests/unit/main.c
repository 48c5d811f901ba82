#include <stdlib.h>
#include "suites.h"

int main(void)
{
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
