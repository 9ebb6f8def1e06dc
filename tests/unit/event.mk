# SPDX-License-Identifier: BSD-2-Clause
# Unit tests of the event loop and logging (lib/event.c, lib/log.c), and
# of what runs on it: sd_notify, the control-socket server (lib/ctlsock.c).
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

# The one-shot ASAP probe (lib/asap_probe.c) against a fake registrar.
check_PROGRAMS += tests/unit/test_asap_probe
TESTS += tests/unit/test_asap_probe
tests_unit_test_asap_probe_SOURCES = tests/unit/test_asap_probe.c \
	tests/unit/tls_fixture.c tests/unit/tls_fixture.h
tests_unit_test_asap_probe_CFLAGS = $(UNITCFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_asap_probe_LDADD = $(UNITLIBS) $(OPENSSL_LIBS)

check_PROGRAMS += tests/unit/test_ctlsock
TESTS += tests/unit/test_ctlsock
tests_unit_test_ctlsock_SOURCES = tests/unit/test_ctlsock.c
tests_unit_test_ctlsock_CFLAGS = $(UNITCFLAGS)
tests_unit_test_ctlsock_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_unit_test_ctlsock_LDADD = tests/common/libtestcommon.a $(UNITLIBS)

# The connection layer of ASAP and ENRP (lib/conn.c) over socketpair/loopback.
check_PROGRAMS += tests/unit/test_conn
TESTS += tests/unit/test_conn
tests_unit_test_conn_SOURCES = tests/unit/test_conn.c
tests_unit_test_conn_CFLAGS = $(UNITCFLAGS)
tests_unit_test_conn_LDADD = $(UNITLIBS) $(SCTP_LIBS) $(OPENSSL_LIBS)

# The hashed timing wheel (lib/wheel.c) with an injected clock.
check_PROGRAMS += tests/unit/test_wheel
TESTS += tests/unit/test_wheel
tests_unit_test_wheel_SOURCES = tests/unit/test_wheel.c
tests_unit_test_wheel_CFLAGS = $(UNITCFLAGS)
tests_unit_test_wheel_LDADD = $(UNITLIBS)
