/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ENRP's peer table: finding, adding, learning (RFC 5353 §3.4.1) and
 * forgetting peers, their names and states, the PRESENCE they send with
 * the checksum that may start an audit (§3.6.1), and the peer list
 * request and response (§3.2) that a new server asks its mentor for.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrp_int.h"

/* Our Server Information (RFC 5354 §3.11): over the TCP mapping the SCTP
 * transport parameter carries the ENRP listen address and port. */
void
enrp_own_server_info(const struct enrp *e, struct rsp_server_info *si)
{
	memset(si, 0, sizeof(*si));
	si->id = e->r->server_id;
	si->transport.type = RSP_PARAM_SCTP_TRANSPORT;
	si->transport.use = RSP_TRANSPORT_USE_DATA;
	si->transport.naddr = 1;
	si->transport.port = addr_port(&e->local);
	si->transport.addr[0].family = (uint8_t)e->local.ss_family;
	if (e->local.ss_family == AF_INET)
		memcpy(si->transport.addr[0].a, &((const struct sockaddr_in *)
		    (const void *)&e->local)->sin_addr, 4);
	else
		memcpy(si->transport.addr[0].a, &((const struct sockaddr_in6 *)
		    (const void *)&e->local)->sin6_addr, 16);
}

static bool
si_to_sa(const struct rsp_server_info *si, struct sockaddr_storage *ss,
    socklen_t *len)
{
	const struct rsp_transport *t = &si->transport;

	memset(ss, 0, sizeof(*ss));
	if (t->naddr == 0 || t->port == 0)
		return false;
	if (t->addr[0].family == AF_INET) {
		struct sockaddr_in *s4 = (void *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, t->addr[0].a, 4);
		s4->sin_port = htons(t->port);
		*len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (void *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, t->addr[0].a, 16);
		s6->sin6_port = htons(t->port);
		*len = sizeof(*s6);
	}
	return true;
}

struct enrp_peer *
enrp_peer_find(struct enrp *e, uint32_t id)
{
	struct enrp_peer *p;

	if (id == 0)
		return NULL;
	TAILQ_FOREACH(p, &e->peers, entry)
		if (p->id == id)
			return p;
	return NULL;
}

void
enrp_peer_name(struct enrp_peer *p)
{
	char a[64];

	addr_str(&p->addr, a, sizeof(a));
	if (p->id != 0)
		snprintf(p->name, sizeof(p->name), "0x%08x %s", p->id, a);
	else
		snprintf(p->name, sizeof(p->name), "%s", a);
}

/* A configured address whose server id we do not know yet. */
struct enrp_peer *
enrp_peer_find_unknown(struct enrp *e, const struct sockaddr_storage *ss)
{
	struct enrp_peer *p;

	TAILQ_FOREACH(p, &e->peers, entry)
		if (p->id == 0 && addr_same(&p->addr, ss))
			return p;
	return NULL;
}

/* A peer in the list with no server id yet (configured, or forgotten)
 * turned out to be server `id`. */
void
enrp_peer_learned(struct enrp_peer *p, uint32_t id)
{
	struct enrp_fsm_params prm = fsm_params(p->e);

	p->id = id;
	enrp_fsm_peer_step(&p->fsm, &prm, ENRP_FSM_EV_LEARNED, now_ms(p->e));
	enrp_peer_name(p);
}

/* The other peers as the state machines see them (at most max). */
size_t
enrp_peer_views(struct enrp *e, struct enrp_fsm_view *v, size_t max)
{
	struct enrp_peer *p;
	size_t n = 0;

	TAILQ_FOREACH(p, &e->peers, entry) {
		if (n == max)
			break;
		v[n].id = p->id;
		v[n].state = p->fsm.state;
		v[n].connected = enrp_peer_conn(e, p) != NULL;
		n++;
	}
	return n;
}

struct enrp_peer *
enrp_peer_new(struct enrp *e, uint32_t id, const struct sockaddr_storage *ss,
    socklen_t len, bool configured)
{
	struct enrp_peer *p;

	if (e->npeers >= ENRP_MAX_PEERS)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("%s", __func__);
	p->e = e;
	p->id = id;
	p->addr = *ss;
	p->addrlen = len;
	p->configured = configured;
	enrp_fsm_peer_init(&p->fsm, id != 0, now_ms(e));
	enrp_peer_name(p);
	TAILQ_INSERT_TAIL(&e->peers, p, entry);
	e->npeers++;
	return p;
}

/*
 * Forget a peer.  A configured address stays in the list as a new peer
 * (server id unknown) so that a restarted registrar there is found again.
 */
void
enrp_peer_remove(struct enrp_peer *p)
{
	struct enrp *e = p->e;
	struct enrp_fsm_params prm;
	struct enrp_peer *q;
	struct enrp_conn *c;

	TAILQ_FOREACH(c, &e->conns, entry)
		if (c->peer == p)
			c->peer = NULL;
	enrp_peer_audit_end(p);
	if (p->configured) {
		/* Another entry at this address (its new incarnation)? */
		TAILQ_FOREACH(q, &e->peers, entry)
			if (q != p && addr_same(&q->addr, &p->addr))
				break;
		if (q == NULL) {
			prm = fsm_params(e);
			enrp_fsm_peer_step(&p->fsm, &prm, ENRP_FSM_EV_FORGOTTEN,
			    now_ms(e));
			p->id = 0;
			p->has_checksum = false;
			enrp_peer_name(p);
			return;
		}
		q->configured = true;
		if (q->discovered) {
			q->discovered = false;
			e->ndiscovered--;
		}
	}
	if (p->out != NULL)
		enrp_conn_close(p->out, "peer removed");
	TAILQ_REMOVE(&e->peers, p, entry);
	e->npeers--;
	if (p->discovered)
		e->ndiscovered--;
	free(p);
}

/*
 * RFC 5353 §3.4.1: a message from a server not in the peer list adds it
 * and gets a PRESENCE with R=1.  Where it is: the connection's source
 * address, the only one we know it holds (issue 12: a Server Information
 * naming another address must not send us elsewhere), at the ENRP port
 * its Server Information gives, else 9901 (inbound) or the port we
 * connected to.  Only from an allowed address (enrp_admit.c).
 */
struct enrp_peer *
enrp_peer_learn(struct enrp *e, struct enrp_conn *c, const struct rsp_msg *m)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct enrp_peer *p;

	if (!enrp_admit_addr(e, &c->remote)) {
		enrp_refuse(e, ENRP_REFUSED_NOT_ALLOWED, &c->remote,
		    rsp_msg_name(RSP_PROTO_ENRP, m->type),
		    "not a configured peer");
		return NULL;
	}
	ss = c->remote;
	len = addr_len(&ss);
	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)&ss)->sin6_flowinfo = 0;
	if (m->has_server_info && m->server_info.id == m->sender_id &&
	    m->server_info.transport.port != 0)
		addr_set_port(&ss, m->server_info.transport.port);
	else if (!c->outbound)
		addr_set_port(&ss, ENRP_PORT);
	p = enrp_peer_find_unknown(e, &ss);
	if (p == NULL && !m->has_server_info)
		TAILQ_FOREACH(p, &e->peers, entry)
			if (p->id == 0 && addr_same_ip(&p->addr, &ss))
				break;
	if (p != NULL) {
		enrp_peer_learned(p, m->sender_id);
	} else if ((p = enrp_peer_new(e, m->sender_id, &ss, len, false)) == NULL) {
		log_rl_warnx(&e->rl, now_ms(e), "enrp %s: server 0x%08x "
		    "ignored: %u peers (limit)", c->name, m->sender_id,
		    e->npeers);
		return NULL;
	}
	log_info("enrp: new peer %s", p->name);
	if (p->out == NULL)
		enrp_peer_connect(p);
	if (enrp_peer_conn(e, p) != NULL)
		enrp_send_presence(e, p, true, p->id);
	return p;
}

void
enrp_on_presence(struct enrp *e, struct enrp_peer *p, const struct rsp_msg *m)
{
	uint16_t mine;

	if (m->flags & ENRP_FLAG_REPLY_REQUIRED)
		enrp_send_presence(e, p, false, p->id);
	if (!m->has_checksum)
		return;
	p->has_checksum = true;
	p->checksum = m->checksum;
	mine = hs_checksum(e->r->hs, p->id);
	p->checksum_ok = mine == m->checksum;
	/* RFC 5353 §3.6.1: a difference means resynchronise with it now. */
	if (!p->checksum_ok && e->sync.synchronized &&
	    p->audit == NULL && p->fsm.state == ENRP_PEER_ACTIVE) {
		e->stats.checksum_mismatches++;
		log_rl_info(&e->rl, now_ms(e), "enrp: checksum of %s differs "
		    "(0x%04x, ours 0x%04x): requesting its PEs", p->name,
		    m->checksum, mine);
		enrp_start_audit(e, p);
	}
}

void
enrp_on_list_request(struct enrp *e, struct enrp_peer *p)
{
	struct rsp_server_info si;
	struct enrp_peer *q;
	struct wbuf w;
	size_t m;

	if (!e->sync.synchronized) {
		enrp_send_simple(e, p, ENRP_LIST_RESPONSE, ENRP_FLAG_REJECT);
		return;
	}
	m = enrp_msg_begin(e, &w, ENRP_LIST_RESPONSE, 0, p->id);
	TAILQ_FOREACH(q, &e->peers, entry) {
		if (q->id == 0 || q == p || (q->fsm.state != ENRP_PEER_ACTIVE &&
		    q->fsm.state != ENRP_PEER_PROBING))
			continue;
		memset(&si, 0, sizeof(si));
		si.id = q->id;
		si.transport.type = RSP_PARAM_SCTP_TRANSPORT;
		si.transport.naddr = 1;
		si.transport.port = addr_port(&q->addr);
		si.transport.addr[0].family = (uint8_t)q->addr.ss_family;
		if (q->addr.ss_family == AF_INET)
			memcpy(si.transport.addr[0].a, &((struct sockaddr_in *)
			    (void *)&q->addr)->sin_addr, 4);
		else
			memcpy(si.transport.addr[0].a, &((struct sockaddr_in6 *)
			    (void *)&q->addr)->sin6_addr, 16);
		rsp_put_server_info(&w, &si);
	}
	rsp_put_msg_end(&w, m);
	enrp_peer_send(e, p, &w);
}

void
enrp_on_list_response(struct enrp *e, struct enrp_peer *p, const struct rsp_msg *m)
{
	struct rsp_server_info si;
	struct sockaddr_storage ss;
	struct enrp_peer *q;
	struct rsp_iter it;
	socklen_t len;
	char why[128], a[ADDR_STRLEN];

	/* Issue 12: only the list we asked our mentor for (RFC 5353 §3.2). */
	if (p->id != e->sync.mentor) {
		snprintf(why, sizeof(why), "server 0x%08x is not our mentor",
		    p->id);
		enrp_refuse(e, ENRP_REFUSED_LIST, &p->addr,
		    rsp_msg_name(RSP_PROTO_ENRP, ENRP_LIST_RESPONSE),
		    why);
		return;
	}
	if (m->flags & ENRP_FLAG_REJECT)
		return;
	rsp_iter_init(&it, m);
	while (rsp_iter_server_info(&it, &si) == 1) {
		if (si.id == 0 || si.id == e->r->server_id ||
		    enrp_peer_find(e, si.id) != NULL || !si_to_sa(&si, &ss, &len))
			continue;
		/* Never a connection outside the peers we may have. */
		if (!enrp_admit_addr(e, &ss)) {
			snprintf(why, sizeof(why), "its entry 0x%08x at %s is "
			    "no configured peer, outside \"allow from\"",
			    si.id, addr_str(&ss, a, sizeof(a)));
			enrp_refuse(e, ENRP_REFUSED_OUTSIDE, &p->addr,
			    rsp_msg_name(RSP_PROTO_ENRP, m->type), why);
			continue;
		}
		if ((q = enrp_peer_find_unknown(e, &ss)) != NULL) {
			enrp_peer_learned(q, si.id);
		} else if ((q = enrp_peer_new(e, si.id, &ss, len, false)) == NULL) {
			break;
		}
		log_info("enrp: peer %s from the mentor's list", q->name);
		if (q->out == NULL)
			enrp_peer_connect(q);
	}
}
