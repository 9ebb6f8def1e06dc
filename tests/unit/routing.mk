# SPDX-License-Identifier: BSD-2-Clause
# routing/frr.c's asynchronous vtysh queue against a stand-in vtysh (no
# FRR, no root).
check_PROGRAMS += tests/unit/test_frr_queue
TESTS += tests/unit/test_frr_queue
tests_unit_test_frr_queue_SOURCES = tests/unit/test_frr_queue.c
tests_unit_test_frr_queue_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_unit_test_frr_queue_LDADD = routing/librouting.a lib/libanypool.a \
	$(LIBMNL_LIBS) $(JANSSON_LIBS)
