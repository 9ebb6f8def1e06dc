/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rtnetlink through libmnl for the service address: RTM_NEWADDR with
 * NLM_F_REPLACE (add or refresh, carrying IFA_CACHEINFO lifetimes),
 * RTM_DELADDR, an RTM_GETADDR dump to read one address back, and the AnyIP
 * local route (RTM_NEWROUTE/DELROUTE of type local in table local, with our
 * own protocol number and a metric that never collides with the route the
 * kernel adds for an address), and the blackhole route of a covering
 * prefix (RTN_BLACKHOLE in the main table, same protocol number).
 * "Exists" on add and "not found" on delete
 * are success (relayd's pfe_route.c rule).  Each request waits for its ACK
 * with a receive timeout, so a call never blocks for long.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "netlink.h"

#define NL_TIMEOUT_MS		1000
#define NL_ROUTE_METRIC		1024	/* the kernel's own local routes: 0 */
#define NL_INFINITY		0xffffffffu

struct nl {
	struct mnl_socket	*sock;
	unsigned int		 portid;
	unsigned int		 seq;
};

int
rt_prefix_parse(const char *s, struct rt_prefix *ret)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	struct rt_prefix p;
	unsigned long len;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, &p.addr.v4) == 1) {
		p.family = AF_INET;
		p.len = 32;
	} else if (inet_pton(AF_INET6, buf, &p.addr.v6) == 1) {
		p.family = AF_INET6;
		p.len = 128;
	} else
		return -EINVAL;
	if (slash != NULL) {
		errno = 0;
		len = strtoul(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || errno != 0 ||
		    len != p.len)
			return -EINVAL;	/* host prefixes only */
	}
	*ret = p;
	return 0;
}

/*
 * Parse a network prefix "192.0.2.0/24" or "2001:db8:53::/48": the length
 * is required (1-32, 1-128) and the host bits must be zero.
 */
int
rt_net_parse(const char *s, struct rt_prefix *ret)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	struct rt_prefix p;
	unsigned long len;
	unsigned int max, i;
	uint8_t *b;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) == NULL)
		return -EINVAL;
	*slash++ = '\0';
	if (inet_pton(AF_INET, buf, &p.addr.v4) == 1)
		p.family = AF_INET;
	else if (inet_pton(AF_INET6, buf, &p.addr.v6) == 1)
		p.family = AF_INET6;
	else
		return -EINVAL;
	max = p.family == AF_INET ? 32 : 128;
	errno = 0;
	len = strtoul(slash, &end, 10);
	if (*slash == '\0' || *end != '\0' || errno != 0 || len < 1 ||
	    len > max)
		return -EINVAL;
	p.len = (uint8_t)len;
	b = (uint8_t *)&p.addr;
	for (i = p.len; i < max; i++)
		if (b[i / 8] & (0x80 >> (i % 8)))
			return -EDOM;	/* host bits set */
	*ret = p;
	return 0;
}

bool
rt_prefix_within(const struct rt_prefix *p, const struct rt_prefix *net)
{
	const uint8_t *a = (const uint8_t *)&p->addr,
	    *n = (const uint8_t *)&net->addr;
	unsigned int i;

	if (p->family != net->family || p->len < net->len)
		return false;
	for (i = 0; i < net->len; i++)
		if ((a[i / 8] ^ n[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

char *
rt_prefix_str(const struct rt_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(p->family, &p->addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

bool
rt_prefix_eq(const struct rt_prefix *a, const struct rt_prefix *b)
{
	if (a->family != b->family || a->len != b->len)
		return false;
	return a->family == AF_INET ?
	    a->addr.v4.s_addr == b->addr.v4.s_addr :
	    memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6)) == 0;
}

static size_t
addr_len(const struct rt_prefix *p)
{
	return p->family == AF_INET ? 4 : 16;
}

int
nl_open(struct nl **ret)
{
	struct timeval tv = { NL_TIMEOUT_MS / 1000,
	    (NL_TIMEOUT_MS % 1000) * 1000 };
	struct nl *nl;
	int err;

	if ((nl = calloc(1, sizeof(*nl))) == NULL)
		return -ENOMEM;
	if ((nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL)
		goto fail;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO,
	    &tv, sizeof(tv)) == -1)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	*ret = nl;
	return 0;
fail:
	err = -errno;
	if (nl->sock != NULL)
		mnl_socket_close(nl->sock);
	free(nl);
	return err;
}

void
nl_close(struct nl *nl)
{
	if (nl == NULL)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

/*
 * Send nlh and run the replies through cb until the ACK or the end of a
 * dump.  Replies to older requests (a timed-out one) are skipped by their
 * sequence number.  0 or -errno (the kernel's error for the request).
 */
static int
nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = nlh->nlmsg_seq;
	ssize_t n;
	int rc;

	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		rc = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, data);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc == MNL_CB_ERROR) {
			if (errno == EPROTO || errno == EILSEQ)
				continue;	/* a stale reply: not ours */
			return -errno;
		}
	}
}

static struct nlmsghdr *
nl_start(struct nl *nl, char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

static struct ifaddrmsg *
put_ifaddr(struct nlmsghdr *nlh, unsigned int ifindex,
    const struct rt_prefix *p)
{
	struct ifaddrmsg *ifa;

	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)p->family;
	ifa->ifa_prefixlen = p->len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, addr_len(p), &p->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, addr_len(p), &p->addr);
	return ifa;
}

int
nl_addr_set(struct nl *nl, unsigned int ifindex, const struct rt_prefix *p,
    uint32_t lifetime_s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ifa_cacheinfo ci;
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	uint32_t flags = 0;

	nlh = nl_start(nl, buf, RTM_NEWADDR,
	    NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
	ifa = put_ifaddr(nlh, ifindex, p);
	if (p->family == AF_INET6) {
		/* An anycast address is on other nodes by design. */
		flags |= IFA_F_NODAD;
		ifa->ifa_flags = IFA_F_NODAD;
	}
	mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
	memset(&ci, 0, sizeof(ci));
	ci.ifa_valid = ci.ifa_prefered = lifetime_s ? lifetime_s : NL_INFINITY;
	mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
	return nl_talk(nl, nlh, NULL, NULL);
}

int
nl_addr_del(struct nl *nl, unsigned int ifindex, const struct rt_prefix *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int rc;

	nlh = nl_start(nl, buf, RTM_DELADDR, NLM_F_ACK);
	put_ifaddr(nlh, ifindex, p);
	rc = nl_talk(nl, nlh, NULL, NULL);
	if (rc == -EADDRNOTAVAIL || rc == -ENOENT || rc == -ESRCH)
		rc = 0;	/* already gone */
	return rc;
}

struct addr_find {
	unsigned int		 ifindex;
	const struct rt_prefix	*p;
	bool			 found;
	struct nl_addr_info	 info;
};

static int
addr_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK;	/* newer kernel: skip */
	tb[type] = attr;
	return MNL_CB_OK;
}

static int
addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_find *f = data;
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	const struct ifa_cacheinfo *ci;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_OK;
	if (ifa->ifa_family != f->p->family || ifa->ifa_index != f->ifindex ||
	    ifa->ifa_prefixlen != f->p->len)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb) < 0)
		return MNL_CB_OK;
	if ((a = tb[IFA_LOCAL]) == NULL)
		a = tb[IFA_ADDRESS];
	if (a == NULL || mnl_attr_get_payload_len(a) != addr_len(f->p) ||
	    memcmp(mnl_attr_get_payload(a), &f->p->addr, addr_len(f->p)) != 0)
		return MNL_CB_OK;
	f->found = true;
	f->info.flags = ifa->ifa_flags;
	f->info.scope = ifa->ifa_scope;
	if (tb[IFA_FLAGS] != NULL &&
	    mnl_attr_get_payload_len(tb[IFA_FLAGS]) == 4)
		f->info.flags = mnl_attr_get_u32(tb[IFA_FLAGS]);
	f->info.valid_lft = f->info.preferred_lft = NL_INFINITY;
	if (tb[IFA_CACHEINFO] != NULL &&
	    mnl_attr_get_payload_len(tb[IFA_CACHEINFO]) >= sizeof(*ci)) {
		ci = mnl_attr_get_payload(tb[IFA_CACHEINFO]);
		f->info.valid_lft = ci->ifa_valid;
		f->info.preferred_lft = ci->ifa_prefered;
	}
	return MNL_CB_OK;
}

int
nl_addr_get(struct nl *nl, unsigned int ifindex, const struct rt_prefix *p,
    struct nl_addr_info *ret)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct addr_find f = { .ifindex = ifindex, .p = p };
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	int rc;

	nlh = nl_start(nl, buf, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)p->family;
	if ((rc = nl_talk(nl, nlh, addr_dump_cb, &f)) != 0)
		return rc;
	if (!f.found)
		return -ENOENT;
	if (ret != NULL)
		*ret = f.info;
	return 0;
}

static struct nlmsghdr *
put_local_route(struct nl *nl, char *buf, uint16_t type, uint16_t flags,
    unsigned int ifindex, const struct rt_prefix *p)
{
	struct nlmsghdr *nlh = nl_start(nl, buf, type, flags);
	struct rtmsg *rtm;

	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)p->family;
	rtm->rtm_dst_len = p->len;
	rtm->rtm_table = RT_TABLE_LOCAL;
	rtm->rtm_protocol = NL_RTPROT_ANYPOOL;
	rtm->rtm_scope = RT_SCOPE_HOST;
	rtm->rtm_type = RTN_LOCAL;
	mnl_attr_put(nlh, RTA_DST, addr_len(p), &p->addr);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, NL_ROUTE_METRIC);
	return nlh;
}

int
nl_local_route_add(struct nl *nl, unsigned int ifindex,
    const struct rt_prefix *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int rc;

	rc = nl_talk(nl, put_local_route(nl, buf, RTM_NEWROUTE,
	    NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, ifindex, p), NULL, NULL);
	return rc == -EEXIST ? 0 : rc;
}

int
nl_local_route_del(struct nl *nl, unsigned int ifindex,
    const struct rt_prefix *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int rc;

	rc = nl_talk(nl, put_local_route(nl, buf, RTM_DELROUTE, NLM_F_ACK,
	    ifindex, p), NULL, NULL);
	return rc == -ESRCH || rc == -ENOENT ? 0 : rc;
}

/*
 * The blackhole route of a covering prefix in the main table, with our
 * protocol number: zebra sees it as a kernel route, so bgpd's network
 * statement for the prefix (with "bgp network import-check") is announced
 * while it exists.
 */
static struct nlmsghdr *
put_blackhole(struct nl *nl, char *buf, uint16_t type, uint16_t flags,
    const struct rt_prefix *p)
{
	struct nlmsghdr *nlh = nl_start(nl, buf, type, flags);
	struct rtmsg *rtm;

	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)p->family;
	rtm->rtm_dst_len = p->len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = NL_RTPROT_ANYPOOL;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_BLACKHOLE;
	mnl_attr_put(nlh, RTA_DST, addr_len(p), &p->addr);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, NL_ROUTE_METRIC);
	return nlh;
}

int
nl_blackhole_add(struct nl *nl, const struct rt_prefix *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int rc;

	rc = nl_talk(nl, put_blackhole(nl, buf, RTM_NEWROUTE,
	    NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, p), NULL, NULL);
	return rc == -EEXIST ? 0 : rc;
}

int
nl_blackhole_del(struct nl *nl, const struct rt_prefix *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int rc;

	rc = nl_talk(nl, put_blackhole(nl, buf, RTM_DELROUTE, NLM_F_ACK, p),
	    NULL, NULL);
	return rc == -ESRCH || rc == -ENOENT ? 0 : rc;
}
