# SPDX-License-Identifier: BSD-2-Clause
# Wire tests: tshark as outside judge of every message we encode, the TCP
# mapping and malformed input through anypool-decode, and the RSPLIB
# captures of shared/sctp-vm decoded and re-encoded byte for byte.
check_PROGRAMS += tests/wire/gen_messages tests/wire/rsplib_capture
tests_wire_gen_messages_SOURCES = tests/wire/gen_messages.c
tests_wire_gen_messages_LDADD = lib/libanypool.a

tests_wire_rsplib_capture_SOURCES = tests/wire/rsplib_capture.c \
	monitoring/pcap_read.c monitoring/pcap_read.h
tests_wire_rsplib_capture_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/monitoring
tests_wire_rsplib_capture_CFLAGS = $(AM_CFLAGS) $(PCAP_CFLAGS) \
	-DSRCDIR=\"$(abs_top_srcdir)\"
tests_wire_rsplib_capture_LDADD = lib/libanypool.a $(PCAP_LIBS)

TESTS += tests/wire/tshark-judge.sh tests/wire/decode-cli.sh \
	tests/wire/rsplib_capture
EXTRA_DIST += tests/wire/tshark-judge.sh tests/wire/decode-cli.sh \
	tests/wire/lib.sh tests/vectors/rsplib/asap.hex \
	tests/vectors/rsplib/enrp.hex
