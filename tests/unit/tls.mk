# SPDX-License-Identifier: BSD-2-Clause
# TLS (lib/tls.c): handshakes over a socketpair with keys and certificates
# made at test time; and the handshake/throughput benchmark (built, not run).
check_PROGRAMS += tests/unit/test_tls
TESTS += tests/unit/test_tls
tests_unit_test_tls_SOURCES = tests/unit/test_tls.c \
	tests/unit/tls_fixture.c tests/unit/tls_fixture.h
tests_unit_test_tls_CFLAGS = $(UNITCFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_tls_LDADD = $(UNITLIBS) $(OPENSSL_LIBS)

# What TLS costs (handshakes/s full and resumed, 100-byte message rates
# beside plaintext): built with everything, run by hand or by the lead for
# BENCHMARKS.md (tests/bench/bench_tls [seconds per row]); not in make check.
noinst_PROGRAMS += tests/bench/bench_tls
# Its keys and certificates come from tests/unit/tls_fixture.c (cmocka's
# assertions: a failure to make them ends the run with the reason).
tests_bench_bench_tls_SOURCES = tests/bench/bench_tls.c \
	tests/bench/bench_util.c tests/bench/bench_util.h \
	tests/unit/tls_fixture.c tests/unit/tls_fixture.h
tests_bench_bench_tls_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_bench_bench_tls_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS)
tests_bench_bench_tls_LDADD = lib/libanypool.a $(CMOCKA_LIBS) $(OPENSSL_LIBS)

# TLS on the connection layer (lib/conn.c): handshake, queued messages,
# failures as close reasons, TLS on a plaintext connection.
check_PROGRAMS += tests/unit/test_conn_tls
TESTS += tests/unit/test_conn_tls
tests_unit_test_conn_tls_SOURCES = tests/unit/test_conn_tls.c \
	tests/unit/tls_fixture.c tests/unit/tls_fixture.h
tests_unit_test_conn_tls_CFLAGS = $(UNITCFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_conn_tls_LDADD = $(UNITLIBS) $(OPENSSL_LIBS) $(SCTP_LIBS)
