# SPDX-License-Identifier: BSD-2-Clause
# ENRP end to end: three real registrard processes on 127.0.0.1-3 port 9901.
check_PROGRAMS += tests/enrp/test_enrp
TESTS += tests/enrp/test_enrp
tests_enrp_test_enrp_SOURCES = tests/enrp/test_enrp.c tests/enrp/cluster.c \
	tests/enrp/cluster.h
tests_enrp_test_enrp_CFLAGS = $(UNITCFLAGS) $(JANSSON_CFLAGS) \
	-I$(srcdir)/tests/registrar
tests_enrp_test_enrp_LDADD = tests/registrar/libharness.a $(UNITLIBS) \
	$(JANSSON_LIBS)
EXTRA_DIST += tests/bench/run-enrp-bench

# The chaos test: about 2 minutes (CHAOS_SECONDS of chaos, then convergence).
check_PROGRAMS += tests/enrp/test_chaos
TESTS += tests/enrp/test_chaos
tests_enrp_test_chaos_SOURCES = tests/enrp/test_chaos.c tests/enrp/cluster.c \
	tests/enrp/cluster.h
tests_enrp_test_chaos_CFLAGS = $(UNITCFLAGS) $(JANSSON_CFLAGS) \
	-I$(srcdir)/tests/registrar
tests_enrp_test_chaos_LDADD = tests/registrar/libharness.a $(UNITLIBS) \
	$(JANSSON_LIBS)

# Who may peer (issue 12): "allow from", refusals by reason, per-source cap.
check_PROGRAMS += tests/enrp/test_admit
TESTS += tests/enrp/test_admit
tests_enrp_test_admit_SOURCES = tests/enrp/test_admit.c tests/enrp/cluster.c \
	tests/enrp/cluster.h
tests_enrp_test_admit_CFLAGS = $(UNITCFLAGS) $(JANSSON_CFLAGS) \
	-I$(srcdir)/tests/registrar
tests_enrp_test_admit_LDADD = tests/registrar/libharness.a $(UNITLIBS) \
	$(JANSSON_LIBS)

# Unreachable reports made at any registrar (issue 13): hidden at once,
# passed to the PE's home, one verdict for the cluster.
check_PROGRAMS += tests/enrp/test_unreach
TESTS += tests/enrp/test_unreach
tests_enrp_test_unreach_SOURCES = tests/enrp/test_unreach.c tests/enrp/cluster.c \
	tests/enrp/cluster.h
tests_enrp_test_unreach_CFLAGS = $(UNITCFLAGS) $(JANSSON_CFLAGS) \
	-I$(srcdir)/tests/registrar
tests_enrp_test_unreach_LDADD = tests/registrar/libharness.a $(UNITLIBS) \
	$(JANSSON_LIBS)

# A registrar's own stall (doc/protocol/enrp.md §7.1): SIGSTOP, SIGCONT,
# no peer declared dead for it, the table downloaded again.
check_PROGRAMS += tests/enrp/test_stall
TESTS += tests/enrp/test_stall
tests_enrp_test_stall_SOURCES = tests/enrp/test_stall.c tests/enrp/cluster.c \
	tests/enrp/cluster.h
tests_enrp_test_stall_CFLAGS = $(UNITCFLAGS) $(JANSSON_CFLAGS) \
	-I$(srcdir)/tests/registrar
tests_enrp_test_stall_LDADD = tests/registrar/libharness.a $(UNITLIBS) \
	$(JANSSON_LIBS)
