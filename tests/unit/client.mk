# SPDX-License-Identifier: BSD-2-Clause
# libasap against a scripted registrar and scripted PEs in the test itself.
check_PROGRAMS += tests/unit/test_asap_client
TESTS += tests/unit/test_asap_client
tests_unit_test_asap_client_SOURCES = tests/unit/test_asap_client.c
tests_unit_test_asap_client_CFLAGS = $(UNITCFLAGS) -I$(top_srcdir)/client
tests_unit_test_asap_client_LDADD = client/libasap.la $(UNITLIBS)
