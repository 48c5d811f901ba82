/* Every Check suite of the unit tests; tests/unit/main.c runs them all. */
#ifndef GPH_TEST_SUITES_H
#define GPH_TEST_SUITES_H
#include <check.h>
Suite *suite_parse(void);   /* tests/unit/test_parse.c: sizes, hostnames, words, globs */
Suite *suite_lesson(void);  /* tests/unit/test_lesson.c: lesson parser, lint, matcher */
Suite *suite_cgroup(void);  /* tests/unit/test_cgroup.c: mode detection, fixture trees */
Suite *suite_net(void);     /* tests/unit/test_net.c: name choice, free /30, veth round trip */
Suite *suite_limits(void);  /* tests/unit/test_limits.c: CPUs, counts, CPU lists, DEV:RATE, weights */
Suite *suite_bridge(void);  /* tests/unit/test_bridge.c: CIDR, IPAM, bridge + NAT in private namespaces */
Suite *suite_harden(void);  /* tests/unit/test_harden.c: capabilities, seccomp (both x86 ABIs), masked paths */
Suite *suite_step(void);    /* tests/unit/test_step.c: command table, step parsing */
Suite *suite_trace(void);   /* tests/unit/test_trace.c: trace rendering, failure diagnosis on fixtures */
Suite *suite_picture(void); /* tests/unit/test_picture.c: usage bars, colour, JSON escaping */
Suite *suite_export(void);  /* tests/unit/test_export.c: export run, save, doctor parsers */
Suite *suite_tutor(void);   /* tests/unit/test_tutor.c: step equivalence, vacuous expectations, progress */
Suite *suite_image(void);   /* tests/unit/test_image.c: references, member names, SHA-256, in-root paths */
Suite *suite_manifest(void); /* tests/unit/test_manifest.c: image manifests, indexes, configs */
#endif
