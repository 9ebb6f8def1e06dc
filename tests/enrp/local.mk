# SPDX-License-Identifier: BSD-2-Clause
# ENRP end to end: three real registrard processes on 127.0.0.1-3 port 9901.
check_PROGRAMS += tests/enrp/test_enrp
TESTS += tests/enrp/test_enrp
tests_enrp_test_enrp_SOURCES = tests/enrp/test_enrp.c
tests_enrp_test_enrp_CFLAGS = $(UNITCFLAGS) $(JANSSON_CFLAGS) \
	-I$(srcdir)/tests/registrar
tests_enrp_test_enrp_LDADD = tests/registrar/libharness.a $(UNITLIBS) \
	$(JANSSON_LIBS)
EXTRA_DIST += tests/bench/run-enrp-bench
