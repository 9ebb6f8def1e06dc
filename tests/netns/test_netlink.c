/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * routing/netlink.c against the real kernel, run by netlink.sh inside a
 * fresh network namespace (it changes lo): for IPv4 and IPv6, adding an
 * address reads back with its lifetime, adding it again succeeds and
 * refreshes the lifetime, the kernel removes it when the lifetime runs out,
 * deleting an absent address succeeds, and the AnyIP local route can be
 * added and deleted twice and coexists with the address.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "routing/netlink.h"

static int failures;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		printf("ok: ");						\
	} else {							\
		printf("FAIL (%s:%d): ", __FILE__, __LINE__);		\
		failures++;						\
	}								\
	printf(__VA_ARGS__);						\
	putchar('\n');							\
} while (0)

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
run(struct nl *nl, unsigned int lo, const char *text)
{
	struct rt_prefix p;
	struct nl_addr_info info;
	long long t0, gone = -1;
	int rc;

	CHECK(rt_prefix_parse(text, &p) == 0, "%s parses", text);
	CHECK(nl_addr_del(nl, lo, &p) == 0, "%s: delete while absent", text);
	CHECK(nl_addr_get(nl, lo, &p, &info) == -ENOENT, "%s: absent", text);
	rc = nl_addr_set(nl, lo, &p, 2);
	CHECK(rc == 0, "%s: add with lifetime 2 s (%s)", text, strerror(-rc));
	rc = nl_addr_get(nl, lo, &p, &info);
	CHECK(rc == 0 && info.valid_lft <= 2 && info.preferred_lft <= 2,
	    "%s: reads back, valid_lft %u", text, rc == 0 ? info.valid_lft : 0);
	usleep(1200 * 1000);
	rc = nl_addr_set(nl, lo, &p, 2);
	CHECK(rc == 0, "%s: add again refreshes (%s)", text, strerror(-rc));
	rc = nl_addr_get(nl, lo, &p, &info);
	CHECK(rc == 0 && info.valid_lft == 2, "%s: lifetime back at 2 s (%u)",
	    text, rc == 0 ? info.valid_lft : 0);
	/* Expiry: the kernel's lifetime check, bounded by 6 s here. */
	t0 = now_ms();
	while (now_ms() - t0 < 6000) {
		if (nl_addr_get(nl, lo, &p, NULL) == -ENOENT) {
			gone = now_ms() - t0;
			break;
		}
		usleep(20 * 1000);
	}
	CHECK(gone >= 0, "%s: expired %lld ms after the last refresh", text,
	    gone);
	rc = nl_addr_set(nl, lo, &p, 0);
	CHECK(rc == 0, "%s: add without lifetime", text);
	rc = nl_addr_get(nl, lo, &p, &info);
	CHECK(rc == 0 && info.valid_lft == 0xffffffffu, "%s: forever", text);
	CHECK(nl_addr_del(nl, lo, &p) == 0, "%s: delete", text);
	CHECK(nl_addr_get(nl, lo, &p, NULL) == -ENOENT, "%s: gone", text);
	CHECK(nl_addr_del(nl, lo, &p) == 0, "%s: delete again", text);

	CHECK(nl_local_route_add(nl, lo, &p) == 0, "%s: local route", text);
	CHECK(nl_local_route_add(nl, lo, &p) == 0, "%s: local route again",
	    text);
	CHECK(nl_addr_set(nl, lo, &p, 5) == 0, "%s: address beside it", text);
	CHECK(nl_addr_del(nl, lo, &p) == 0, "%s: address off", text);
	CHECK(nl_local_route_del(nl, lo, &p) == 0, "%s: local route off",
	    text);
	rc = nl_local_route_del(nl, lo, &p);
	CHECK(rc == 0, "%s: local route off again (%s)", text, strerror(-rc));
}

int
main(int argc, char **argv)
{
	struct rt_prefix p;
	struct nl *nl;
	unsigned int lo;
	int rc;

	(void)argc;
	(void)argv;
	CHECK(rt_prefix_parse("198.51.100.53/24", &p) == -EINVAL,
	    "only host prefixes");
	CHECK(rt_prefix_parse("2001:db8::1/64", &p) == -EINVAL,
	    "only host prefixes (IPv6)");
	CHECK(rt_prefix_parse("nonsense", &p) == -EINVAL, "garbage refused");
	if ((lo = if_nametoindex("lo")) == 0) {
		perror("lo");
		return 99;
	}
	if ((rc = nl_open(&nl)) != 0) {
		fprintf(stderr, "netlink: %s\n", strerror(-rc));
		return 99;
	}
	run(nl, lo, "198.51.100.53/32");
	run(nl, lo, "2001:db8:53::/128");
	nl_close(nl);
	printf("%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
