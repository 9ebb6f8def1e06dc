/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kernel side of announcing an anycast service address, over rtnetlink
 * with libmnl: put the address (an IPv4 /32 or IPv6 /128) on an interface
 * (lo) with a valid lifetime that the caller keeps refreshing, so that a
 * health daemon that dies leaves nothing behind once the lifetime runs out;
 * take it off; read it back.  Separately, an "AnyIP" local route for the
 * same address in the kernel's local table lets the daemon reach a
 * registrar bound (IP_FREEBIND) to the anycast address before the address
 * exists, without anything being announced: routing daemons ignore the
 * local table.  A covering prefix (a /24, a /48 around the service
 * addresses) is a blackhole route in the main table that zebra reads as a
 * kernel route, so bgpd's network statement for it follows it.  Every
 * change is idempotent: adding what exists refreshes
 * it, deleting what is absent succeeds.  All calls block on one netlink
 * round trip and return 0 or -errno.
 */
#ifndef ANYPOOL_ROUTING_NETLINK_H
#define ANYPOOL_ROUTING_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* A host prefix: the service address and its length (32 or 128; a
 * covering prefix, rt_net_parse(), any length). */
struct rt_prefix {
	int		 family;	/* AF_INET or AF_INET6 */
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
	}		 addr;
	uint8_t		 len;
};

/* Parse "198.51.100.53/32" or "2001:db8::53/128" (no length: host). 0/-EINVAL. */
int	rt_prefix_parse(const char *s, struct rt_prefix *ret);
/*
 * A network prefix (a covering prefix, issue 13): "192.0.2.0/24",
 * "2001:db8:53::/48", length required; 0, -EINVAL, or -EDOM when host
 * bits are set.
 */
int	rt_net_parse(const char *s, struct rt_prefix *ret);
/* Does p lie inside net (same family, at least as long, same leading bits)? */
bool	 rt_prefix_within(const struct rt_prefix *p, const struct rt_prefix *net);
/* "A/len" into buf (INET6_ADDRSTRLEN + 4 bytes are enough); returns buf. */
char	*rt_prefix_str(const struct rt_prefix *p, char *buf, size_t len);
bool	 rt_prefix_eq(const struct rt_prefix *a, const struct rt_prefix *b);

/* What the kernel holds for one address. */
struct nl_addr_info {
	uint32_t	 valid_lft;	/* seconds left; UINT32_MAX: forever */
	uint32_t	 preferred_lft;
	uint32_t	 flags;		/* IFA_F_* */
	uint8_t		 scope;
};

/* Route protocol number of the AnyIP local routes (not one FRR uses). */
#define NL_RTPROT_ANYPOOL	250

struct nl;

int	nl_open(struct nl **ret);
void	nl_close(struct nl *nl);	/* NULL-safe */

/*
 * Add the address p/len to ifindex, or refresh it if present, with valid and
 * preferred lifetimes of lifetime_s seconds (0: forever).  IPv6 addresses
 * skip duplicate address detection (they are anycast on purpose).
 */
int	nl_addr_set(struct nl *nl, unsigned int ifindex,
	    const struct rt_prefix *p, uint32_t lifetime_s);
/* Remove it; absent is success. */
int	nl_addr_del(struct nl *nl, unsigned int ifindex,
	    const struct rt_prefix *p);
/* Read it back: 0 and *ret (may be NULL) if present, -ENOENT if not. */
int	nl_addr_get(struct nl *nl, unsigned int ifindex,
	    const struct rt_prefix *p, struct nl_addr_info *ret);

/* The AnyIP local route "local A/len dev ifindex table local"; idempotent. */
int	nl_local_route_add(struct nl *nl, unsigned int ifindex,
	    const struct rt_prefix *p);
int	nl_local_route_del(struct nl *nl, unsigned int ifindex,
	    const struct rt_prefix *p);

/*
 * The blackhole route "blackhole P proto 250" of a covering prefix in the
 * main table; idempotent.
 */
int	nl_blackhole_add(struct nl *nl, const struct rt_prefix *p);
int	nl_blackhole_del(struct nl *nl, const struct rt_prefix *p);

#endif
