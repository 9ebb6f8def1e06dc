# SPDX-License-Identifier: BSD-2-Clause
# Unit tests (cmocka).  Each test_* links lib/libanypool.a.
UNITLIBS = lib/libanypool.a $(CMOCKA_LIBS)
UNITCFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DSRCDIR=\"$(abs_top_srcdir)\"
