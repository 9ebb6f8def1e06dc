/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Peer discovery by multicast PRESENCE over UDP (RSPLIB practice, off by
 * default): joining the groups on the interface of our ENRP address,
 * sending our PRESENCE every heartbeat cycle, and adding the servers heard
 * there to the peer table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "enrp_int.h"

/*
 * Not in RFC 5353 (doc/protocol/enrp.md §8): RSPLIB and the reference
 * implementation multicast their PRESENCE over UDP, by default to
 * 239.0.0.51:9901, so that servers on a link find each other.  We send ours
 * (the same message as the unicast heartbeat: our checksum and the Server
 * Information naming our unicast ENRP address) every heartbeat cycle, and a
 * PRESENCE from a server we do not know adds it to the peer list at the
 * address it announces; the normal peering (connection, mentor selection,
 * download, audit) follows.  Anyone on the link can send these, so a
 * datagram is only believed if it comes from the address it announces,
 * discovered peers are capped (max-discovered-peers), nothing is ever
 * answered over UDP, and a peer that never answers on its unicast address
 * ages out like any silent peer (§3.4.3).  Only from addresses that may
 * peer at all (enrp_admit.c: "allow from", by default the subnets of the
 * ENRP interface).
 */

void
enrp_mcast_send(struct enrp *e)
{
	struct wbuf w;
	size_t i;

	if (e->nmcast == 0)
		return;
	enrp_build_presence(e, &w, false, 0);
	if (w.err)
		return;
	for (i = 0; i < e->nmcast; i++) {
		struct enrp_mcast *g = &e->mcast[i];

		if (sendto(g->sfd, w.p, w.len, 0, (struct sockaddr *)&g->group,
		    g->grouplen) == -1) {
			log_rl_warnx(&e->rl_mcast, now_ms(e), "enrp: multicast "
			    "PRESENCE to %s: %s", g->name, strerror(errno));
			continue;
		}
		e->stats.mcast_sent++;
	}
}

/* The announced address that the datagram came from, with the announced
 * ENRP port: where we connect.  False if the PRESENCE does not name it. */
static bool
mcast_peer_addr(const struct enrp *e, const struct rsp_server_info *si,
    const struct sockaddr_storage *from, struct sockaddr_storage *ss,
    socklen_t *len)
{
	const struct rsp_transport *t = &si->transport;
	const uint8_t *a;
	size_t i, alen;

	if (from->ss_family != e->local.ss_family || t->port == 0)
		return false;
	if (from->ss_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)from)->sin_addr;
		alen = 4;
	} else {
		a = (const uint8_t *)&((const struct sockaddr_in6 *)
		    (const void *)from)->sin6_addr;
		alen = 16;
	}
	for (i = 0; i < t->naddr && i < RSP_MAX_ADDRS; i++)
		if (t->addr[i].family == from->ss_family &&
		    memcmp(t->addr[i].a, a, alen) == 0)
			break;
	if (i == t->naddr || i == RSP_MAX_ADDRS)
		return false;
	*ss = *from;
	addr_set_port(ss, t->port);
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)ss)->sin6_flowinfo = 0;
	*len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	return !addr_same(ss, &e->local);
}

static void
mcast_input(struct enrp_mcast *g, const uint8_t *buf, size_t len,
    const struct sockaddr_storage *from)
{
	struct enrp *e = g->e;
	struct rsp_decode_opts opts = { .pool_handle_max = UINT16_MAX };
	struct sockaddr_storage ss;
	struct enrp_peer *p;
	struct rsp_msg m;
	struct rsp_err err;
	socklen_t sslen;
	char a[64];

	addr_str(from, a, sizeof(a));
	if (rsp_decode(RSP_PROTO_ENRP, buf, len, &opts, &m, &err) != 0) {
		e->stats.mcast_errors++;
		log_rl_warnx(&e->rl_mcast, now_ms(e), "enrp: multicast from %s to "
		    "%s: bad message: %s", a, g->name, err.what);
		return;
	}
	if (m.sender_id == e->r->server_id)
		return;		/* our own, looped back */
	if (m.type != ENRP_PRESENCE || m.sender_id == 0 ||
	    m.receiver_id != 0 || !m.has_server_info ||
	    m.server_info.id != m.sender_id) {
		e->stats.mcast_errors++;
		log_rl_warnx(&e->rl_mcast, now_ms(e), "enrp: multicast from %s to "
		    "%s: %s of 0x%08x ignored (only a PRESENCE with the "
		    "sender's Server Information)", a, g->name,
		    rsp_msg_name(RSP_PROTO_ENRP, m.type), m.sender_id);
		return;
	}
	e->stats.mcast_received++;
	if (enrp_peer_find(e, m.sender_id) != NULL)
		return;		/* known: its unicast connection speaks for it */
	if (!mcast_peer_addr(e, &m.server_info, from, &ss, &sslen)) {
		e->stats.mcast_errors++;
		log_rl_warnx(&e->rl_mcast, now_ms(e), "enrp: multicast PRESENCE of "
		    "0x%08x from %s on %s ignored: its Server Information does "
		    "not name that address (or not in our address family)",
		    m.sender_id, a, g->name);
		return;
	}
	/* Issue 12: discovered only inside the allowed prefixes. */
	if (!enrp_admit_addr(e, &ss)) {
		enrp_refuse(e, ENRP_REFUSED_OUTSIDE, from, "multicast PRESENCE",
		    "no configured peer, outside \"allow from\"");
		return;
	}
	if ((p = enrp_peer_find_unknown(e, &ss)) != NULL) {
		enrp_peer_learned(p, m.sender_id);
	} else {
		if (e->ndiscovered >= cfg(e)->max_discovered ||
		    (p = enrp_peer_new(e, m.sender_id, &ss, sslen, false)) == NULL) {
			log_rl_warnx(&e->rl_mcast, now_ms(e), "enrp: multicast "
			    "PRESENCE of 0x%08x from %s ignored: %u discovered, "
			    "%u peers (limits %u, %d)", m.sender_id, a,
			    e->ndiscovered, e->npeers, cfg(e)->max_discovered,
			    ENRP_MAX_PEERS);
			return;
		}
		p->discovered = true;
		e->ndiscovered++;
	}
	e->stats.peers_discovered++;
	log_info("enrp: peer %s discovered by multicast to %s", p->name,
	    g->name);
	/* Its checksum waits for the unicast PRESENCE (RSPLIB audits on
	 * those only); connecting introduces us with R=1 (§3.4.1). */
	if (p->out == NULL)
		enrp_peer_connect(p);
	if (enrp_peer_conn(e, p) != NULL)
		enrp_send_presence(e, p, true, p->id);
}

static void
mcast_read(struct ev_loop *loop, void *arg, unsigned int revents)
{
	static uint8_t buf[MSG_BUF];
	struct enrp_mcast *g = arg;
	struct sockaddr_storage from;
	socklen_t fl;
	ssize_t n;
	int i;

	(void)loop;
	(void)revents;
	/* Bounded: a flood cannot keep the loop here. */
	for (i = 0; i < 64; i++) {
		fl = sizeof(from);
		n = recvfrom(g->rfd, buf, sizeof(buf), MSG_TRUNC,
		    (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		if ((size_t)n > sizeof(buf)) {
			g->e->stats.mcast_errors++;
			continue;	/* larger than any ENRP message */
		}
		mcast_input(g, buf, (size_t)n, &from);
	}
}

/* The interface that holds our ENRP address: where the groups are joined. */
unsigned int
enrp_local_ifindex(const struct enrp *e, const struct ifaddrs *ifa)
{
	const struct ifaddrs *i;
	struct sockaddr_storage ss;
	unsigned int idx;

	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family !=
		    e->local.ss_family)
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, i->ifa_addr, e->local.ss_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		if (addr_same_ip(&ss, &e->local) &&
		    (idx = if_nametoindex(i->ifa_name)) != 0)
			return idx;
	}
	return 0;
}

static unsigned int
local_ifindex(const struct enrp *e)
{
	struct ifaddrs *ifa;
	unsigned int idx;

	if (getifaddrs(&ifa) == -1)
		return 0;
	idx = enrp_local_ifindex(e, ifa);
	freeifaddrs(ifa);
	return idx;
}

/* Open one group: 0, or -errno (logged; ENRP goes on without it). */
static int
mcast_open(struct enrp *e, const struct conf_mgroup *cg, struct enrp_mcast *g,
    unsigned int local_if)
{
	struct sockaddr_storage bind_ss = cg->ss;
	char a[64], ifn[IF_NAMESIZE] = "";
	int on = 1, off = 0, rc;

	memset(g, 0, sizeof(*g));
	g->e = e;
	g->rfd = g->sfd = -1;
	g->group = cg->ss;
	g->grouplen = cg->sslen;
	g->ifindex = local_if;
	if (cg->ifname[0] != '\0' &&
	    (g->ifindex = if_nametoindex(cg->ifname)) == 0) {
		rc = -errno;
		log_warnx("enrp: multicast group interface %s: %s", cg->ifname,
		    strerror(errno));
		return rc;
	}
	if (g->ifindex != 0)
		if_indextoname(g->ifindex, ifn);
	addr_str(&cg->ss, a, sizeof(a));
	snprintf(g->name, sizeof(g->name), "%s%s%s%s", a, ifn[0] ? " (" : "",
	    ifn, ifn[0] ? ")" : "");
	if (g->group.ss_family == AF_INET6 && g->ifindex != 0 &&
	    IN6_IS_ADDR_MC_LINKLOCAL(&((struct sockaddr_in6 *)(void *)
	    &g->group)->sin6_addr)) {
		((struct sockaddr_in6 *)(void *)&g->group)->sin6_scope_id =
		    g->ifindex;
		bind_ss = g->group;
	}
	/* Receiving: bound to the group (only its datagrams), joined. */
	if ((g->rfd = socket(cg->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	setsockopt(g->rfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	setsockopt(g->rfd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	if (cg->ss.ss_family == AF_INET) {
		struct ip_mreqn mr;

		memset(&mr, 0, sizeof(mr));
		mr.imr_multiaddr = ((const struct sockaddr_in *)(const void *)
		    &cg->ss)->sin_addr;
		mr.imr_ifindex = (int)g->ifindex;
		setsockopt(g->rfd, IPPROTO_IP, IP_MULTICAST_ALL, &off,
		    sizeof(off));
		if (bind(g->rfd, (struct sockaddr *)&bind_ss, cg->sslen) == -1 ||
		    setsockopt(g->rfd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
		    sizeof(mr)) == -1)
			goto fail;
	} else {
		struct ipv6_mreq mr;

		memset(&mr, 0, sizeof(mr));
		mr.ipv6mr_multiaddr = ((const struct sockaddr_in6 *)
		    (const void *)&cg->ss)->sin6_addr;
		mr.ipv6mr_interface = g->ifindex;
		setsockopt(g->rfd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		setsockopt(g->rfd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off,
		    sizeof(off));
		if (bind(g->rfd, (struct sockaddr *)&bind_ss, cg->sslen) == -1 ||
		    setsockopt(g->rfd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr,
		    sizeof(mr)) == -1)
			goto fail;
	}
	/* Sending: announce.c's socket, out of the joined interface, from our
	 * ENRP address where the families match (receivers check it). */
	if ((g->sfd = mcast_socket(cg->ss.ss_family)) < 0)
		goto fail;
	if (cg->ss.ss_family == AF_INET) {
		struct ip_mreqn mr;

		memset(&mr, 0, sizeof(mr));
		mr.imr_ifindex = (int)g->ifindex;
		if (e->local.ss_family == AF_INET)
			mr.imr_address = ((const struct sockaddr_in *)
			    (const void *)&e->local)->sin_addr;
		if (setsockopt(g->sfd, IPPROTO_IP, IP_MULTICAST_IF, &mr,
		    sizeof(mr)) == -1)
			goto fail;
	} else if (g->ifindex != 0) {
		int idx = (int)g->ifindex;

		if (setsockopt(g->sfd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx,
		    sizeof(idx)) == -1)
			goto fail;
	}
	if (e->local.ss_family == cg->ss.ss_family) {
		struct sockaddr_storage src = e->local;

		addr_set_port(&src, 0);
		setsockopt(g->sfd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
		if (bind(g->sfd, (struct sockaddr *)&src, e->locallen) == -1)
			goto fail;
	}
	if (ev_fd_add(e->r->loop, g->rfd, EV_READ, mcast_read, g, &g->io) != 0)
		fatal("%s: ev_fd_add", __func__);
	log_info("enrp: peer discovery by multicast PRESENCE on %s", g->name);
	return 0;
fail:
	rc = -errno;
	log_warn("enrp: multicast group %s", g->name);
	if (g->rfd >= 0)
		close(g->rfd);
	if (g->sfd >= 0)
		close(g->sfd);
	g->rfd = g->sfd = -1;
	return rc;
}

void
enrp_mcast_start(struct enrp *e)
{
	const struct conf_enrp *k = cfg(e);
	unsigned int local_if;
	size_t i;

	if (!k->multicast)
		return;
	if ((local_if = local_ifindex(e)) == 0)
		log_warnx("enrp: no interface holds the ENRP address: "
		    "multicast groups are joined where the routes say");
	for (i = 0; i < k->nmgroup; i++)
		if (mcast_open(e, &k->mgroup[i], &e->mcast[e->nmcast],
		    local_if) == 0)
			e->nmcast++;
	if (e->nmcast == 0)
		log_warnx("enrp: multicast on, but no group could be joined: "
		    "configured peers only");
}

void
enrp_mcast_stop(struct enrp *e)
{
	size_t i;

	for (i = 0; i < e->nmcast; i++) {
		ev_cancel(&e->mcast[i].io);
		close(e->mcast[i].rfd);
		close(e->mcast[i].sfd);
	}
	e->nmcast = 0;
}
