# SPDX-License-Identifier: BSD-2-Clause
# Unit tests of the event loop and logging (lib/event.c, lib/log.c).
check_PROGRAMS += tests/unit/test_event tests/unit/test_log
TESTS += tests/unit/test_event tests/unit/test_log
tests_unit_test_event_SOURCES = tests/unit/test_event.c
tests_unit_test_event_CFLAGS = $(UNITCFLAGS)
tests_unit_test_event_LDADD = $(UNITLIBS)
tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_CFLAGS = $(UNITCFLAGS)
tests_unit_test_log_LDADD = $(UNITLIBS)

check_PROGRAMS += tests/unit/test_sdnotify
TESTS += tests/unit/test_sdnotify
tests_unit_test_sdnotify_SOURCES = tests/unit/test_sdnotify.c
tests_unit_test_sdnotify_CFLAGS = $(UNITCFLAGS)
tests_unit_test_sdnotify_LDADD = $(UNITLIBS)
