# SPDX-License-Identifier: BSD-2-Clause
# Unit tests (cmocka).  Each test_* links lib/libanypool.a.
UNITLIBS = lib/libanypool.a $(CMOCKA_LIBS)
UNITCFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -DSRCDIR=\"$(abs_top_srcdir)\"

include $(srcdir)/tests/unit/event.mk
include $(srcdir)/tests/unit/handlespace.mk
include $(srcdir)/tests/unit/enrp.mk
include $(srcdir)/tests/unit/codec.mk
include $(srcdir)/tests/wire/local.mk
include $(srcdir)/tests/bench/local.mk
include $(srcdir)/tests/unit/client.mk
include $(srcdir)/tests/registrar/local.mk
include $(srcdir)/tests/sctp/local.mk
include $(srcdir)/tests/enrp/local.mk
include $(srcdir)/tests/netns/local.mk
include $(srcdir)/tests/lab/local.mk
include $(srcdir)/tests/deploy/local.mk
include $(srcdir)/tests/security/local.mk
include $(srcdir)/tests/monitoring/local.mk
include $(srcdir)/tests/unit/routing.mk
include $(srcdir)/tests/unit/tls.mk

# The shell helpers every test sources, and what they source from deploy/
# (deploy/lab uses those too).
EXTRA_DIST += tests/lib/common.sh tests/lib/deps.sh tests/run-all \
	deploy/lib/wait.sh deploy/lib/deps.sh
