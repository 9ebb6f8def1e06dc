# SPDX-License-Identifier: BSD-2-Clause
# routing/: the only code that changes the system's routing state: the
# service address on lo over rtnetlink (libmnl) and FRR through vtysh.
# healthd links it; so does the netlink integration test.
noinst_LIBRARIES += routing/librouting.a
routing_librouting_a_SOURCES = routing/netlink.c routing/netlink.h \
	routing/frr.c routing/frr.h
routing_librouting_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
routing_librouting_a_CFLAGS = $(AM_CFLAGS) $(LIBMNL_CFLAGS) $(JANSSON_CFLAGS)
EXTRA_DIST += deploy/frr/README.md deploy/frr/bgp-pop.conf \
	deploy/frr/ospf-pop.conf deploy/frr/bgp-upstream.conf \
	deploy/frr/bgp-pop-local.conf deploy/frr/ospf6-pop.conf \
	deploy/frr/ospf-stub-pop.conf
