# SPDX-License-Identifier: BSD-2-Clause
noinst_LIBRARIES += lib/libanypool.a
lib_libanypool_a_SOURCES = \
	lib/buf.h \
	lib/rserpool.h \
	lib/codec.c lib/codec_put.c lib/codec_names.c lib/codec.h
lib_libanypool_a_SOURCES += \
	lib/event.c lib/event.h \
	lib/log.c lib/log.h
lib_libanypool_a_SOURCES += lib/conf_lex.c lib/conf_lex.h
lib_libanypool_a_SOURCES += lib/addr.c lib/addr.h
lib_libanypool_a_SOURCES += lib/stream.c lib/stream.h
lib_libanypool_a_SOURCES += lib/conn.c lib/conn_tune.c lib/conn.h
# Batched recv()/send() through io_uring (liburing): what conn.c batches with.
lib_libanypool_a_SOURCES += lib/iobatch.c lib/iobatch.h
lib_libanypool_a_CPPFLAGS = $(AM_CPPFLAGS) $(URING_CFLAGS)
# The hashed timing wheel of the registrar's PE keep-alives.
lib_libanypool_a_SOURCES += lib/wheel.c lib/wheel.h
# The one-shot ASAP probe of healthd and anyprobe.
lib_libanypool_a_SOURCES += lib/asap_probe.c lib/asap_probe.h
lib_libanypool_a_SOURCES += lib/sdnotify.c lib/sdnotify.h
# The Prometheus exporter both daemons use (libmicrohttpd).
lib_libanypool_a_SOURCES += lib/metrics_http.c lib/metrics_http.h
lib_libanypool_a_CPPFLAGS += $(MHD_CFLAGS) $(JANSSON_CFLAGS)
# The control-socket server both daemons use (anypoolctl's peer); its
# jansson adapter is linked only by those that call it.
lib_libanypool_a_SOURCES += lib/ctlsock.c lib/ctlsock_json.c lib/ctlsock.h
# TLS (OpenSSL): PSKs, certificates, reload; what conn.c runs TLS with.
lib_libanypool_a_SOURCES += lib/tls.c lib/tls.h
lib_libanypool_a_CPPFLAGS += $(OPENSSL_CFLAGS)
