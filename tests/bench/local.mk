# SPDX-License-Identifier: BSD-2-Clause
# Benchmarks: built on demand only (make tests/bench/bench_handlespace), not
# part of `make check`.  tests/bench/run-bench builds them -O2 without
# sanitizers in their own build directory and updates BENCHMARKS.md.
EXTRA_PROGRAMS += tests/bench/bench_handlespace
tests_bench_bench_handlespace_SOURCES = tests/bench/bench_handlespace.c
tests_bench_bench_handlespace_LDADD = registrar/libhandlespace.a \
	lib/libanypool.a
EXTRA_DIST += tests/bench/run-bench tests/bench/build.sh
# The ASAP load generator against a running registrard (plaintext and TLS;
# lib/tls.c as the client); tests/bench/run-asap-bench drives it.
EXTRA_PROGRAMS += tests/bench/asap_load
tests_bench_asap_load_SOURCES = tests/bench/asap_load.c \
	tests/bench/bench_batch.c tests/bench/bench_batch.h \
	tests/bench/bench_util.c tests/bench/bench_util.h
tests_bench_asap_load_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS) $(URING_CFLAGS)
tests_bench_asap_load_LDADD = lib/libanypool.a $(OPENSSL_LIBS)
EXTRA_DIST += tests/bench/run-asap-bench
# Its SCTP half in the sctp-vm: registrard, rspregistrar, echo_server -x sctp.
EXTRA_DIST += tests/bench/run-sctp-bench
# Cache lines per request, registrar and echo server, and what one costs.
EXTRA_DIST += tests/bench/run-footprint-bench
# The same-size epoll echo server: run-asap-bench's baseline (issue 14).
EXTRA_PROGRAMS += tests/bench/echo_server
tests_bench_echo_server_SOURCES = tests/bench/echo_server.c \
	tests/bench/bench_batch.c tests/bench/bench_batch.h \
	tests/bench/bench_util.c tests/bench/bench_util.h
tests_bench_echo_server_CPPFLAGS = $(AM_CPPFLAGS) $(URING_CFLAGS)
tests_bench_echo_server_LDADD = lib/libanypool.a
# Keep-alives of many PEs held (issue 14); run-keepalive-bench drives it.
EXTRA_PROGRAMS += tests/bench/ka_hold
tests_bench_ka_hold_SOURCES = tests/bench/ka_hold.c \
	tests/bench/bench_util.c tests/bench/bench_util.h
tests_bench_ka_hold_LDADD = lib/libanypool.a
EXTRA_DIST += tests/bench/run-keepalive-bench
CLEANFILES += $(EXTRA_PROGRAMS)
