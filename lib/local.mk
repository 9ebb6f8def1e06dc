# SPDX-License-Identifier: BSD-2-Clause
noinst_LIBRARIES += lib/libanypool.a
lib_libanypool_a_SOURCES = \
	lib/buf.c lib/buf.h \
	lib/rserpool.h \
	lib/codec.c lib/codec_put.c lib/codec_names.c lib/codec.h
lib_libanypool_a_SOURCES += \
	lib/event.c lib/event.h \
	lib/log.c lib/log.h
lib_libanypool_a_SOURCES += lib/conf_lex.c lib/conf_lex.h
lib_libanypool_a_SOURCES += lib/stream.c lib/stream.h
lib_libanypool_a_SOURCES += lib/sdnotify.c lib/sdnotify.h
# The Prometheus exporter both daemons use (libmicrohttpd).
lib_libanypool_a_SOURCES += lib/metrics_http.c lib/metrics_http.h
lib_libanypool_a_CPPFLAGS = $(AM_CPPFLAGS) $(MHD_CFLAGS)
