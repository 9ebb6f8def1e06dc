# SPDX-License-Identifier: BSD-2-Clause
# registrard end to end: the real daemon, raw ASAP clients on loopback.
check_LIBRARIES = tests/registrar/libharness.a
tests_registrar_libharness_a_SOURCES = tests/registrar/harness.c \
	tests/registrar/harness.h
check_PROGRAMS += tests/registrar/test_registrar
TESTS += tests/registrar/test_registrar
tests_registrar_test_registrar_SOURCES = tests/registrar/test_registrar.c
tests_registrar_test_registrar_CFLAGS = $(UNITCFLAGS)
tests_registrar_test_registrar_LDADD = tests/registrar/libharness.a \
	tests/common/libtestcommon.a $(UNITLIBS)
TESTS += tests/registrar/live-judge.sh
EXTRA_DIST += tests/registrar/live-judge.sh
TESTS += tests/registrar/clients.sh
EXTRA_DIST += tests/registrar/clients.sh
TESTS += tests/registrar/announce.sh
EXTRA_DIST += tests/registrar/announce.sh
check_PROGRAMS += tests/registrar/test_identity
TESTS += tests/registrar/test_identity
tests_registrar_test_identity_SOURCES = tests/registrar/test_identity.c
tests_registrar_test_identity_CFLAGS = $(UNITCFLAGS)
tests_registrar_test_identity_LDADD = tests/registrar/libharness.a $(UNITLIBS)
# ASAP over TLS (issue 12): PSK and certificate handshakes, each failure
# counted, secured mode, SIGHUP key reload; lib/tls.c is the client.
check_PROGRAMS += tests/registrar/test_tls_e2e
TESTS += tests/registrar/test_tls_e2e
tests_registrar_test_tls_e2e_SOURCES = tests/registrar/test_tls_e2e.c \
	tests/registrar/tls_client.c tests/registrar/tls_client.h \
	tests/unit/tls_fixture.c tests/unit/tls_fixture.h
tests_registrar_test_tls_e2e_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tests/unit
tests_registrar_test_tls_e2e_CFLAGS = $(UNITCFLAGS) $(OPENSSL_CFLAGS)
tests_registrar_test_tls_e2e_LDADD = tests/registrar/libharness.a \
	$(UNITLIBS) $(OPENSSL_LIBS) $(SCTP_LIBS)
# Authorization (issue 12): who may register where, and who owns a PE,
# at every registrar of a 3-node cluster.
check_PROGRAMS += tests/registrar/test_authz
TESTS += tests/registrar/test_authz
tests_registrar_test_authz_SOURCES = tests/registrar/test_authz.c \
	tests/registrar/tls_client.c tests/registrar/tls_client.h \
	tests/enrp/cluster.c tests/enrp/cluster.h \
	tests/unit/tls_fixture.c tests/unit/tls_fixture.h
tests_registrar_test_authz_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tests/unit -I$(top_srcdir)/tests/enrp \
	-I$(top_srcdir)/tests/registrar
tests_registrar_test_authz_CFLAGS = $(UNITCFLAGS) $(OPENSSL_CFLAGS) \
	$(JANSSON_CFLAGS)
tests_registrar_test_authz_LDADD = tests/registrar/libharness.a \
	$(UNITLIBS) $(OPENSSL_LIBS) $(JANSSON_LIBS) $(SCTP_LIBS)
TESTS += tests/registrar/tls-judge.sh
EXTRA_DIST += tests/registrar/tls-judge.sh
# The clients (asap-pe, asap-pu, anyprobe) over TLS against registrard.
TESTS += tests/registrar/tls-clients.sh
EXTRA_DIST += tests/registrar/tls-clients.sh
# libasap with a resolution deadline: 0 failed resolutions while its
# registrar crashes or hangs, behind one "anycast" address or in a list
# (issue 13).
check_PROGRAMS += tests/registrar/test_pu_failover
TESTS += tests/registrar/test_pu_failover
tests_registrar_test_pu_failover_SOURCES = tests/registrar/test_pu_failover.c \
	tests/registrar/relay.c tests/registrar/relay.h
tests_registrar_test_pu_failover_CFLAGS = $(UNITCFLAGS) -pthread \
	-I$(top_srcdir)/client
tests_registrar_test_pu_failover_LDADD = tests/registrar/libharness.a \
	client/libasap.la $(UNITLIBS) -lpthread
# Long-lived associations off the anycast address (issue 13 item 3): a PE
# moves to its registrar's unicast address, survives the "anycast route"
# moving, and falls back to the anycast hunt when its registrar dies.
check_PROGRAMS += tests/registrar/test_unicast
TESTS += tests/registrar/test_unicast
tests_registrar_test_unicast_SOURCES = tests/registrar/test_unicast.c \
	tests/registrar/relay.c tests/registrar/relay.h \
	tests/unit/tls_fixture.c tests/unit/tls_fixture.h
tests_registrar_test_unicast_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tests/unit
tests_registrar_test_unicast_CFLAGS = $(UNITCFLAGS) -pthread \
	-I$(top_srcdir)/client $(OPENSSL_CFLAGS)
tests_registrar_test_unicast_LDADD = tests/registrar/libharness.a \
	client/libasap.la $(UNITLIBS) $(OPENSSL_LIBS) $(SCTP_LIBS) -lpthread
