/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the route-map lines of healthd's per-state BGP attributes
 * (routing/frr.c, frr_route_map_bgp_lines()): every attribute is first
 * removed ("no set ..."), so a state never keeps what the previous one
 * set; GRACEFUL_SHUTDOWN goes first in the community line; the prepend
 * repeats the service's own AS; nothing but the entry's name, numbers and
 * communities ever reaches the vtysh argv (bad input is -EINVAL).  And the
 * OSPF stub mode's lines (frr_ospf_cost_lines()): the cost of the service
 * address on its interface, IPv4 only, within the 16-bit stub metric.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "routing/frr.h"

static size_t
lines(const char *rm, uint32_t asn, const struct frr_bgp_attrs *a, bool gs,
    char out[][256])
{
	size_t n = 0;

	assert_int_equal(frr_route_map_bgp_lines(rm, asn, a, gs, out, 9, &n),
	    0);
	return n;
}

static void
test_none(void **state)
{
	char l[9][256];

	(void)state;
	assert_int_equal(lines("ANYCAST", 65001, NULL, false, l), 5);
	assert_string_equal(l[0], "route-map ANYCAST permit 10");
	assert_string_equal(l[1], "no set community");
	assert_string_equal(l[2], "no set large-community");
	assert_string_equal(l[3], "no set metric");
	assert_string_equal(l[4], "no set as-path prepend");
	/* Draining without attributes: GRACEFUL_SHUTDOWN alone. */
	assert_int_equal(lines("ANYCAST", 65001, NULL, true, l), 6);
	assert_string_equal(l[2], "set community graceful-shutdown");
}

static void
test_all(void **state)
{
	struct frr_bgp_attrs a = {
		.med_set = true, .med = 4294967295u, .prepend = 3,
		.communities = "65001:666 65001:1", .large = "65001:1:2",
	};
	char l[9][256];

	(void)state;
	assert_int_equal(lines("rm-1.x_y", 4200000001u, &a, true, l), 9);
	assert_string_equal(l[0], "route-map rm-1.x_y permit 10");
	assert_string_equal(l[1], "no set community");
	assert_string_equal(l[2],
	    "set community graceful-shutdown 65001:666 65001:1");
	assert_string_equal(l[3], "no set large-community");
	assert_string_equal(l[4], "set large-community 65001:1:2");
	assert_string_equal(l[5], "no set metric");
	assert_string_equal(l[6], "set metric 4294967295");
	assert_string_equal(l[7], "no set as-path prepend");
	assert_string_equal(l[8], "set as-path prepend 4200000001 4200000001 "
	    "4200000001");
	/* Announced: the operator's communities without GRACEFUL_SHUTDOWN. */
	a.med_set = false;
	a.prepend = 0;
	a.large[0] = '\0';
	assert_int_equal(lines("ANYCAST", 65001, &a, false, l), 6);
	assert_string_equal(l[2], "set community 65001:666 65001:1");
	assert_string_equal(l[4], "no set metric");
	/* MED 0 is a MED. */
	memset(&a, 0, sizeof(a));
	a.med_set = true;
	assert_int_equal(lines("ANYCAST", 65001, &a, false, l), 6);
	assert_string_equal(l[4], "set metric 0");
}

static void
test_refused(void **state)
{
	struct frr_bgp_attrs a = { .prepend = FRR_PREPEND_MAX + 1 };
	char l[9][256];
	size_t n = 0;

	(void)state;
	assert_int_equal(frr_route_map_bgp_lines("ANYCAST", 1, &a, false, l, 9,
	    &n), -EINVAL);
	memset(&a, 0, sizeof(a));
	strcpy(a.communities, "1:2\nexit");
	assert_int_equal(frr_route_map_bgp_lines("ANYCAST", 1, &a, false, l, 9,
	    &n), -EINVAL);
	strcpy(a.communities, "no-export");
	assert_int_equal(frr_route_map_bgp_lines("ANYCAST", 1, &a, false, l, 9,
	    &n), -EINVAL);
	memset(&a, 0, sizeof(a));
	assert_int_equal(frr_route_map_bgp_lines("ANY CAST", 1, &a, false, l,
	    9, &n), -EINVAL);
	assert_int_equal(frr_route_map_bgp_lines("ANYCAST", 1, &a, false, l, 8,
	    &n), -EINVAL);
	assert_int_equal(n, 0);
}

/* "interface IF" + "ip ospf cost N ADDR", nothing else. */
static void
test_ospf_cost(void **state)
{
	struct rt_prefix p = { .family = AF_INET, .len = 32 };
	struct rt_prefix p6 = { .family = AF_INET6, .len = 128 };
	char l[2][256];
	size_t n = 0;

	(void)state;
	assert_int_equal(inet_pton(AF_INET, "198.51.100.53", &p.addr.v4), 1);
	assert_int_equal(frr_ospf_cost_lines("lo", &p, 10, l, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0], "interface lo");
	assert_string_equal(l[1], "ip ospf cost 10 198.51.100.53");
	assert_int_equal(frr_ospf_cost_lines("lo", &p, 65535, l, 2, &n), 0);
	assert_string_equal(l[1], "ip ospf cost 65535 198.51.100.53");
	n = 0;
	assert_int_equal(frr_ospf_cost_lines("lo", &p, 0, l, 2, &n), -EINVAL);
	assert_int_equal(frr_ospf_cost_lines("lo", &p, 65536, l, 2, &n),
	    -EINVAL);
	assert_int_equal(frr_ospf_cost_lines("lo", &p6, 10, l, 2, &n),
	    -EINVAL);
	assert_int_equal(frr_ospf_cost_lines("lo\nexit", &p, 10, l, 2, &n),
	    -EINVAL);
	assert_int_equal(frr_ospf_cost_lines("a-very-long-ifname", &p, 10, l,
	    2, &n), -EINVAL);
	assert_int_equal(frr_ospf_cost_lines("lo", &p, 10, l, 1, &n), -EINVAL);
	assert_int_equal(n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_ospf_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
