# SPDX-License-Identifier: BSD-2-Clause
# Handlespace and selection policy tests (cmocka).
check_PROGRAMS += tests/unit/test_handlespace tests/unit/test_policy
TESTS += tests/unit/test_handlespace tests/unit/test_policy
tests_unit_test_handlespace_SOURCES = tests/unit/test_handlespace.c
tests_unit_test_handlespace_CFLAGS = $(UNITCFLAGS)
tests_unit_test_handlespace_LDADD = registrar/libhandlespace.a $(UNITLIBS)
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c
tests_unit_test_policy_CFLAGS = $(UNITCFLAGS)
tests_unit_test_policy_LDADD = registrar/libhandlespace.a $(UNITLIBS)
EXTRA_DIST += tests/vectors/checksum.txt
