# SPDX-License-Identifier: BSD-2-Clause
noinst_LIBRARIES += tests/common/libtestcommon.a
tests_common_libtestcommon_a_SOURCES = \
	tests/common/samples.c tests/common/samples.h \
	tests/common/hex.c tests/common/hex.h \
	tests/common/unixclient.c tests/common/unixclient.h

check_PROGRAMS += tests/unit/test_codec
TESTS += tests/unit/test_codec
tests_unit_test_codec_SOURCES = tests/unit/test_codec.c
tests_unit_test_codec_CFLAGS = $(UNITCFLAGS)
tests_unit_test_codec_LDADD = tests/common/libtestcommon.a $(UNITLIBS)
