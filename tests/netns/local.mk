# SPDX-License-Identifier: BSD-2-Clause
# Integration tests in network namespaces with real FRR (tests/netns/*.sh,
# helpers in lib.sh).  They need root and the packages in
# $ANYPOOL_NETNS_PACKAGES (deploy/lib/deps.sh); without root they skip (77).
check_PROGRAMS += tests/netns/test_netlink
tests_netns_test_netlink_SOURCES = tests/netns/test_netlink.c
tests_netns_test_netlink_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_netns_test_netlink_LDADD = routing/librouting.a $(LIBMNL_LIBS) \
	$(JANSSON_LIBS)
NETNS_TESTS = tests/netns/netlink.sh tests/netns/bgp-core.sh \
	tests/netns/bgp-flap.sh tests/netns/bgp-sync.sh tests/netns/ospf-core.sh \
	tests/netns/enrp-partition.sh tests/netns/bgp-scope.sh \
	tests/netns/health-reload.sh tests/netns/enrp-multicast.sh \
	tests/netns/ospf6-core.sh tests/netns/health-slow-frr.sh \
	tests/netns/health-exec.sh tests/netns/bgp-attrs.sh \
	tests/netns/bgp-cover.sh tests/netns/ospf-stub.sh
TESTS += $(NETNS_TESTS)
EXTRA_DIST += $(NETNS_TESTS) tests/netns/lib.sh tests/bench/run-withdraw-bench
