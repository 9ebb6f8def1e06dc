# SPDX-License-Identifier: BSD-2-Clause
# Benchmarks: built on demand only (make tests/bench/bench_handlespace), not
# part of `make check`.  tests/bench/run-bench builds them -O2 without
# sanitizers in their own build directory and updates BENCHMARKS.md.
EXTRA_PROGRAMS += tests/bench/bench_handlespace
tests_bench_bench_handlespace_SOURCES = tests/bench/bench_handlespace.c
tests_bench_bench_handlespace_LDADD = registrar/libhandlespace.a \
	lib/libanypool.a
EXTRA_DIST += tests/bench/run-bench
CLEANFILES += $(EXTRA_PROGRAMS)
