/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ASAP_SERVER_ANNOUNCE over UDP multicast (RFC 5352 §3.6): every
 * announce-interval (T6) the registrar tells pool elements and users on the
 * link where to find it: its server id and one transport parameter per
 * configured (non-wildcard) listen address.  Groups default to RSPLIB's
 * 239.0.0.50:3863 so RSPLIB clients find us; IANA's 224.0.1.185 / ff0X::133
 * are a configuration line away.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registrar.h"

static bool
is_wildcard(const struct sockaddr_storage *ss)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)ss)->
		    sin_addr.s_addr == htonl(INADDR_ANY);
	return memcmp(&((const struct sockaddr_in6 *)(const void *)ss)->
	    sin6_addr, &any6, sizeof(any6)) == 0;
}

static void
put_listen_transport(struct wbuf *w, const struct conf_listen *l, uint16_t type)
{
	struct rsp_transport t;

	memset(&t, 0, sizeof(t));
	t.type = type;
	t.naddr = 1;
	if (l->ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)&l->ss;
		t.port = ntohs(s4->sin_port);
		t.addr[0].family = AF_INET;
		memcpy(t.addr[0].a, &s4->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *s6 = (const void *)&l->ss;
		t.port = ntohs(s6->sin6_port);
		t.addr[0].family = AF_INET6;
		memcpy(t.addr[0].a, &s6->sin6_addr, 16);
	}
	/* Control traffic only: these are the registrar's own addresses. */
	t.use = RSP_TRANSPORT_USE_DATA;
	rsp_put_transport(w, &t);
}

static size_t
build_announce(struct registrar *r, uint8_t *buf, size_t cap)
{
	struct wbuf w;
	size_t m, i;

	wbuf_init(&w, buf, cap);
	m = rsp_put_msg_begin(&w, ASAP_SERVER_ANNOUNCE, 0);
	wbuf_u32(&w, r->server_id);
	for (i = 0; i < r->conf.nlisten; i++) {
		const struct conf_listen *l = &r->conf.listen[i];

		/* None at all: receivers take the source address (§2.2.10). */
		if (is_wildcard(&l->ss))
			continue;
		if ((l->transports & CONF_TRANSPORT_SCTP) && r->sctp_ok)
			put_listen_transport(&w, l, RSP_PARAM_SCTP_TRANSPORT);
		if (l->transports & CONF_TRANSPORT_TCP)
			put_listen_transport(&w, l, RSP_PARAM_TCP_TRANSPORT);
	}
	rsp_put_msg_end(&w, m);
	return w.err ? 0 : w.len;
}

static void
announce_fire(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct registrar *r = arg;
	uint8_t buf[2048];
	size_t len, i;
	int fd;

	(void)revents;
	len = build_announce(r, buf, sizeof(buf));
	for (i = 0; len > 0 && i < r->conf.nannounce_group; i++) {
		const struct conf_group *g = &r->conf.announce_group[i];

		fd = g->ss.ss_family == AF_INET6 ? r->announce_fd6 :
		    r->announce_fd4;
		if (fd < 0)
			continue;
		if (sendto(fd, buf, len, 0, (const struct sockaddr *)&g->ss,
		    g->sslen) == -1)
			log_rl_warnx(&r->rl_announce, ev_now(loop), "server "
			    "announce to group %zu: %s", i + 1, strerror(errno));
		else
			r->stats.announces_sent++;
	}
	if (ev_timer_add(loop, r->conf.announce_interval, announce_fire, r,
	    &r->announce) != 0)
		fatalx("%s: timer", __func__);
}

int
mcast_socket(int family)
{
	int fd, ttl = 16, loop = 1;

	if ((fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return -1;
	if (family == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop,
		    sizeof(loop));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl,
		    sizeof(ttl));
		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop,
		    sizeof(loop));
	}
	return fd;
}

int
announce_start(struct registrar *r)
{
	size_t i;

	for (i = 0; i < r->conf.nannounce_group; i++) {
		int fam = r->conf.announce_group[i].ss.ss_family;

		if (fam == AF_INET && r->announce_fd4 < 0 &&
		    (r->announce_fd4 = mcast_socket(AF_INET)) < 0)
			return -errno;
		if (fam == AF_INET6 && r->announce_fd6 < 0 &&
		    (r->announce_fd6 = mcast_socket(AF_INET6)) < 0)
			return -errno;
	}
	log_info("server announces every %u ms to %zu group(s)",
	    r->conf.announce_interval, r->conf.nannounce_group);
	return ev_timer_add(r->loop, 0, announce_fire, r, &r->announce);
}

void
announce_stop(struct registrar *r)
{
	ev_cancel(&r->announce);
	if (r->announce_fd4 >= 0)
		close(r->announce_fd4);
	if (r->announce_fd6 >= 0)
		close(r->announce_fd6);
	r->announce_fd4 = r->announce_fd6 = -1;
}
