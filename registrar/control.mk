# SPDX-License-Identifier: BSD-2-Clause
# registrard's operator interfaces: the control socket (control.c, JSON over
# a Unix socket) and the Prometheus exporter (metrics.c, libmicrohttpd), as
# a library registrard links; anypoolctl, the CLI for the control socket of
# any anypool daemon; their man pages and unit test.
noinst_LIBRARIES += registrar/libcontrol.a
registrar_libcontrol_a_SOURCES = registrar/control.c registrar/metrics.c \
	registrar/enrp_view.c registrar/enrp.h registrar/enrp_int.h \
	registrar/enrp_fsm.h \
	registrar/control.h registrar/control_int.h
registrar_libcontrol_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS)

bin_PROGRAMS += monitoring/anypoolctl
monitoring_anypoolctl_SOURCES = monitoring/anypoolctl.c
monitoring_anypoolctl_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
monitoring_anypoolctl_LDADD = $(JANSSON_LIBS)

dist_man_MANS += registrar/registrard.8 monitoring/anypoolctl.8

check_PROGRAMS += tests/unit/test_control
TESTS += tests/unit/test_control
tests_unit_test_control_SOURCES = tests/unit/test_control.c registrar/authz.c
tests_unit_test_control_CFLAGS = $(UNITCFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS)
tests_unit_test_control_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_unit_test_control_LDADD = registrar/libcontrol.a \
	registrar/libhandlespace.a tests/common/libtestcommon.a $(UNITLIBS) \
	$(JANSSON_LIBS) $(MHD_LIBS) $(OPENSSL_LIBS) $(SCTP_LIBS)
