# SPDX-License-Identifier: BSD-2-Clause
# libasap (public ASAP client library) and the demo tools asap-pe / asap-pu.
# The lib/ sources the library needs are compiled into it again with
# per-target CFLAGS, so their libtool objects do not clash with the
# objects of the static lib/libanypool.a.
lib_LTLIBRARIES = client/libasap.la
include_HEADERS = client/asap.h
client_libasap_la_SOURCES = \
	client/asap.h client/asap_int.h \
	client/ctx.c client/conn.c client/pe.c client/pu.c client/session.c \
	client/retry.c client/retry.h \
	lib/buf.h lib/rserpool.h \
	lib/codec.c lib/codec_put.c lib/codec_names.c lib/codec.h \
	lib/event.c lib/event.h \
	lib/addr.c lib/addr.h lib/conn_tune.c lib/conn.h \
	lib/tls.c lib/tls.h
client_libasap_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
client_libasap_la_LIBADD = $(OPENSSL_LIBS)
# 2:0:2 - libasap 0.3 added asap_ctx_new_tls() and asap_tls_error().
# 3:0:3 - libasap 0.4 added asap_pu_set_deadline().
# 4:0:4 - libasap 0.5 added asap_set_unicast().
client_libasap_la_LDFLAGS = -version-info 4:0:4 -no-undefined \
	-Wl,--version-script=$(srcdir)/client/libasap.map
EXTRA_client_libasap_la_DEPENDENCIES = $(srcdir)/client/libasap.map
EXTRA_DIST += client/libasap.map client/SESSION.md
# pkg-config file (configure writes it from client/libasap.pc.in).
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = client/libasap.pc
EXTRA_DIST += client/libasap.pc.in

# The TLS options of the command-line clients (asap-pe, asap-pu and
# monitoring/anyprobe): one parser, usage text and set of messages.
# tls_cli_asap.c is libasap's side; anyprobe, which does not link libasap,
# takes only tls_cli.o from the archive.
noinst_LIBRARIES += client/libtlscli.a
client_libtlscli_a_SOURCES = client/tls_cli.c client/tls_cli_asap.c \
	client/tls_cli.h

bin_PROGRAMS += client/asap-pe client/asap-pu
client_asap_pe_SOURCES = client/asap-pe.c
client_asap_pe_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
client_asap_pe_LDADD = client/libtlscli.a client/libasap.la $(OPENSSL_LIBS)
client_asap_pu_SOURCES = client/asap-pu.c
client_asap_pu_CFLAGS = $(AM_CFLAGS)
client_asap_pu_LDADD = client/libtlscli.a client/libasap.la

dist_man_MANS += client/asap-pe.1 client/asap-pu.1 client/libasap.3
