/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the prefix arithmetic of healthd's covering prefixes
 * (routing/netlink.c): rt_net_parse() takes a network prefix with its
 * length and refuses one with host bits set (-EDOM) or a bad length;
 * rt_prefix_within() says whether a service's host prefix lies inside a
 * cover (same family, leading bits equal, at a bit that is not on a byte
 * boundary too).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "routing/netlink.h"

static struct rt_prefix
net(const char *s)
{
	struct rt_prefix p;

	assert_int_equal(rt_net_parse(s, &p), 0);
	return p;
}

static struct rt_prefix
host(const char *s)
{
	struct rt_prefix p;

	assert_int_equal(rt_prefix_parse(s, &p), 0);
	return p;
}

static void
test_parse(void **state)
{
	struct rt_prefix p;
	char buf[64];

	(void)state;
	p = net("192.0.2.0/24");
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.len, 24);
	assert_string_equal(rt_prefix_str(&p, buf, sizeof(buf)),
	    "192.0.2.0/24");
	p = net("2001:db8:53::/48");
	assert_int_equal(p.family, AF_INET6);
	assert_string_equal(rt_prefix_str(&p, buf, sizeof(buf)),
	    "2001:db8:53::/48");
	p = net("10.0.0.0/7");
	assert_int_equal(p.len, 7);
	assert_int_equal(rt_net_parse("192.0.2.1/24", &p), -EDOM);
	assert_int_equal(rt_net_parse("11.0.0.0/7", &p), -EDOM);
	assert_int_equal(rt_net_parse("2001:db8:53::1/48", &p), -EDOM);
	assert_int_equal(rt_net_parse("192.0.2.0", &p), -EINVAL);
	assert_int_equal(rt_net_parse("192.0.2.0/", &p), -EINVAL);
	assert_int_equal(rt_net_parse("192.0.2.0/0", &p), -EINVAL);
	assert_int_equal(rt_net_parse("192.0.2.0/33", &p), -EINVAL);
	assert_int_equal(rt_net_parse("::/129", &p), -EINVAL);
	assert_int_equal(rt_net_parse("192.0.2.0/24x", &p), -EINVAL);
	assert_int_equal(rt_net_parse("banana/24", &p), -EINVAL);
}

static void
test_within(void **state)
{
	struct rt_prefix c4 = net("192.0.2.0/24"), c6 = net("2001:db8:53::/48");
	struct rt_prefix odd = net("10.0.0.0/7");
	struct rt_prefix a = host("192.0.2.53/32"), b = host("192.0.3.1/32");
	struct rt_prefix a6 = host("2001:db8:53::53/128");
	struct rt_prefix b6 = host("2001:db8:54::53/128");
	struct rt_prefix n23 = net("192.0.2.0/23"), m23 = net("192.0.0.0/23");
	struct rt_prefix n24 = net("11.2.3.0/24"), n8 = net("12.0.0.0/8");

	(void)state;
	assert_true(rt_prefix_within(&a, &c4));
	assert_false(rt_prefix_within(&b, &c4));
	assert_true(rt_prefix_within(&a6, &c6));
	assert_false(rt_prefix_within(&b6, &c6));
	assert_false(rt_prefix_within(&a, &c6));	/* family */
	assert_false(rt_prefix_within(&a6, &c4));
	assert_false(rt_prefix_within(&c4, &a));	/* longer */
	assert_true(rt_prefix_within(&c4, &c4));
	/* Covers overlap when either lies inside the other. */
	assert_true(rt_prefix_within(&c4, &n23));
	assert_false(rt_prefix_within(&c4, &m23));
	/* A length that is no multiple of 8. */
	assert_true(rt_prefix_within(&n24, &odd));
	assert_false(rt_prefix_within(&n8, &odd));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_within),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
