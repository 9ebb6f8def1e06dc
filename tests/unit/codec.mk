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

# The request path's shortcuts (registrar/hs_encode.c, codec fast paths)
check_PROGRAMS += tests/unit/test_codec_hs
TESTS += tests/unit/test_codec_hs
tests_unit_test_codec_hs_SOURCES = tests/unit/test_codec_hs.c
tests_unit_test_codec_hs_CFLAGS = $(UNITCFLAGS)
tests_unit_test_codec_hs_LDADD = registrar/libhandlespace.a $(UNITLIBS)
