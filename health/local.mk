# SPDX-License-Identifier: BSD-2-Clause
# healthd: the daemon and its services' life cycle, routing actions,
# control socket, metrics and reload; checks, the per-service state
# machine, its configuration; the man pages, the systemd unit, the state
# machine's unit test and the -n configuration tests (tests/config-health).
sbin_PROGRAMS += health/healthd
health_healthd_SOURCES = health/healthd.c health/healthd.h \
	health/route.c health/control.c health/metrics.c health/reload.c \
	health/check.c health/check.h health/config.c health/parse.y \
	health/hconf.h health/state.c health/state.h \
	health/exec.c health/exec.h health/hooks.c health/cover.c
# bison features on purpose (pure parser, locations, custom errors), as
# registrar/config.mk.
health_healthd_YFLAGS = -Wno-yacc
health_healthd_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
health_healthd_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBMNL_CFLAGS) \
	$(MHD_CFLAGS) $(OPENSSL_CFLAGS)
health_healthd_LDADD = routing/librouting.a lib/libanypool.a \
	$(LIBMNL_LIBS) $(JANSSON_LIBS) $(MHD_LIBS) $(OPENSSL_LIBS)
dist_man_MANS += health/healthd.8 health/healthd.conf.5
EXTRA_DIST += deploy/systemd/healthd.service

check_PROGRAMS += tests/unit/test_health_state
TESTS += tests/unit/test_health_state
tests_unit_test_health_state_SOURCES = tests/unit/test_health_state.c \
	health/state.c
tests_unit_test_health_state_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_unit_test_health_state_CFLAGS = $(UNITCFLAGS)
tests_unit_test_health_state_LDADD = $(CMOCKA_LIBS)

TESTS += tests/config-health/run.sh
EXTRA_DIST += tests/config-health

# healthd's ASAP probe of a service over TLS (health/check.c) against a fake
# TLS registrar (tests/unit/tls_fixture.c).
check_PROGRAMS += tests/unit/test_health_probe
TESTS += tests/unit/test_health_probe
tests_unit_test_health_probe_SOURCES = tests/unit/test_health_probe.c \
	tests/unit/tls_fixture.c tests/unit/tls_fixture.h health/check.c
tests_unit_test_health_probe_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_unit_test_health_probe_CFLAGS = $(UNITCFLAGS) $(OPENSSL_CFLAGS) \
	$(JANSSON_CFLAGS)
tests_unit_test_health_probe_LDADD = $(UNITLIBS) $(JANSSON_LIBS) \
	$(OPENSSL_LIBS)

# health/exec.c, the runner of command checks and state-change commands,
# with real processes on a real event loop (no root).
check_PROGRAMS += tests/unit/test_health_exec
TESTS += tests/unit/test_health_exec
tests_unit_test_health_exec_SOURCES = tests/unit/test_health_exec.c \
	health/exec.c health/exec.h
tests_unit_test_health_exec_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_unit_test_health_exec_CFLAGS = $(UNITCFLAGS)
tests_unit_test_health_exec_LDADD = $(UNITLIBS)

# The route-map lines of the per-state BGP attributes (routing/frr.c).
check_PROGRAMS += tests/unit/test_health_attrs
TESTS += tests/unit/test_health_attrs
tests_unit_test_health_attrs_SOURCES = tests/unit/test_health_attrs.c
tests_unit_test_health_attrs_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_unit_test_health_attrs_CFLAGS = $(UNITCFLAGS)
tests_unit_test_health_attrs_LDADD = routing/librouting.a $(UNITLIBS) \
	$(LIBMNL_LIBS) $(JANSSON_LIBS)

# The prefix arithmetic of the covering prefixes (routing/netlink.c).
check_PROGRAMS += tests/unit/test_health_cover
TESTS += tests/unit/test_health_cover
tests_unit_test_health_cover_SOURCES = tests/unit/test_health_cover.c
tests_unit_test_health_cover_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_unit_test_health_cover_CFLAGS = $(UNITCFLAGS)
tests_unit_test_health_cover_LDADD = routing/librouting.a $(UNITLIBS) \
	$(LIBMNL_LIBS) $(JANSSON_LIBS)
