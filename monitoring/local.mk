# SPDX-License-Identifier: BSD-2-Clause
# anypool-decode: ASAP/ENRP messages from captures or hex, as text or JSON.
# pcap_read.c is shared with tests/wire (real-traffic test).
bin_PROGRAMS += monitoring/anypool-decode
monitoring_anypool_decode_SOURCES = \
	monitoring/anypool-decode.c \
	monitoring/pcap_read.c monitoring/pcap_read.h
monitoring_anypool_decode_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(PCAP_CFLAGS)
monitoring_anypool_decode_LDADD = lib/libanypool.a $(PCAP_LIBS) $(JANSSON_LIBS)
dist_man_MANS += monitoring/anypool-decode.1

# anyprobe: anycast probe (which registrar answers, RTT) and catchment matrix.
bin_PROGRAMS += monitoring/anyprobe
monitoring_anyprobe_SOURCES = monitoring/anyprobe.c
monitoring_anyprobe_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client
monitoring_anyprobe_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
# client/libtlscli.a: the --tls-* options, shared with asap-pe and asap-pu.
monitoring_anyprobe_LDADD = client/libtlscli.a lib/libanypool.a $(MHD_LIBS) \
	$(JANSSON_LIBS) $(OPENSSL_LIBS)
dist_man_MANS += monitoring/anyprobe.1
