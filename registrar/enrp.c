/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ENRP (RFC 5353) for registrard on port 9901, between the nodes' unicast
 * addresses, over SCTP (RFC 5353 §3.1; PPID 12, §5.4; one ENRP message per
 * SCTP user message, one-to-one sockets) and/or the TCP mapping (messages
 * back to back, delimited by their length).  Connection model: every server sends
 * all its messages to a peer over the one connection (association) it
 * opened to that peer (bound to its own ENRP address) and reads whatever
 * arrives on any connection, so a pair of servers uses two connections, one
 * per direction, and a simultaneous open needs no tie-break; only
 * ENRP_ERROR about bad input goes back on the connection the input came in
 * on.  This is what RSPLIB's one-to-many ENRP socket does on the wire too:
 * it sends from its port 9901 to ours and answers on whatever association.
 * Between two of ours over SCTP both associations would have the same
 * addresses and ports (both bind 9901): the second is refused, and the peer's
 * association carries both directions (enrp_peer_conn).  This file owns
 * the dispatch of received messages, the building of the messages we send,
 * the timers (PRESENCE heartbeats, failure detection, mentor retries) and
 * start/stop/reconfigure; enrp_int.h lists the other files by topic.  Bad
 * input costs the sender one ENRP_ERROR and a rate-limited log line;
 * everything a peer can make us allocate is bounded (peers, connections,
 * sessions, buffers).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enrp_int.h"

static uint8_t	 txbuf[MSG_BUF + 8];

size_t
enrp_msg_begin(struct enrp *e, struct wbuf *w, uint8_t type, uint8_t flags,
    uint32_t receiver)
{
	size_t m;

	wbuf_init(w, txbuf, sizeof(txbuf));
	m = rsp_put_msg_begin(w, type, flags);
	wbuf_u32(w, e->r->server_id);
	wbuf_u32(w, receiver);
	return m;
}

void
enrp_build_presence(struct enrp *e, struct wbuf *w, bool reply_required,
    uint32_t receiver)
{
	struct rsp_server_info si;
	size_t m;

	m = enrp_msg_begin(e, w, ENRP_PRESENCE, reply_required ?
	    ENRP_FLAG_REPLY_REQUIRED : 0, receiver);
	/* RFC 5353 §3.6.1: every PRESENCE carries our own PE checksum. */
	rsp_put_checksum(w, hs_checksum(e->r->hs, e->r->server_id));
	enrp_own_server_info(e, &si);
	rsp_put_server_info(w, &si);
	rsp_put_msg_end(w, m);
}

void
enrp_send_presence(struct enrp *e, struct enrp_peer *p, bool reply_required,
    uint32_t receiver)
{
	struct wbuf w;

	enrp_build_presence(e, &w, reply_required, receiver);
	if (p != NULL)
		enrp_peer_send(e, p, &w);
	else
		enrp_announce(e, &w, 0);
}

void
enrp_send_simple(struct enrp *e, struct enrp_peer *p, uint8_t type, uint8_t flags)
{
	struct wbuf w;
	size_t m;

	m = enrp_msg_begin(e, &w, type, flags, p->id);
	rsp_put_msg_end(&w, m);
	enrp_peer_send(e, p, &w);
}

void
enrp_build_target(struct enrp *e, struct wbuf *w, uint8_t type, uint32_t receiver,
    uint32_t target)
{
	size_t m;

	m = enrp_msg_begin(e, w, type, 0, receiver);
	wbuf_u32(w, target);
	rsp_put_msg_end(w, m);
}

/* ---- receiving --------------------------------------------------------------- */

void
enrp_handle_message(struct enrp_conn *c, const uint8_t *buf, size_t len)
{
	struct enrp *e = c->e;
	struct rsp_decode_opts opts = { .pool_handle_max = UINT16_MAX };
	struct enrp_peer *p;
	struct rsp_msg m;
	struct rsp_err err;
	struct enrp_fsm_params prm;
	unsigned int act;
	uint32_t sender = len >= 8 ? get_u32(buf + 4) : 0;

	c->rx_msgs++;
	c->last_active = now_ms(e);
	if (rsp_decode(RSP_PROTO_ENRP, buf, len, &opts, &m, &err) != 0) {
		e->stats.rx_errors++;
		log_rl_warnx(&c->rl, now_ms(e), "enrp %s: bad message: %s%s",
		    c->name, err.what, err.silent ? " (discarded)" : "");
		if (!err.silent)
			enrp_send_error(c, sender, err.cause, err.data.p,
			    err.data.len);
		return;
	}
	e->stats.rx_msgs[m.type <= ENRP_MSG_MAX ? m.type : 0]++;
	if (m.sender_id == 0 || m.sender_id == e->r->server_id) {
		e->stats.rx_errors++;
		log_rl_warnx(&c->rl, now_ms(e), "enrp %s: %s with sender id "
		    "0x%08x ignored", c->name, rsp_msg_name(RSP_PROTO_ENRP,
		    m.type), m.sender_id);
		if (m.sender_id == 0)
			enrp_send_error(c, 0, RSP_CAUSE_INVALID_VALUES, NULL, 0);
		return;
	}
	if (m.receiver_id != 0 && m.receiver_id != e->r->server_id) {
		/* For an earlier incarnation of this node: not for us. */
		log_rl_debug(&c->rl, now_ms(e), "enrp %s: %s for 0x%08x "
		    "ignored", c->name, rsp_msg_name(RSP_PROTO_ENRP, m.type),
		    m.receiver_id);
		return;
	}
	if (m.type == ENRP_ERROR) {
		log_rl_warnx(&c->rl, now_ms(e), "enrp %s: peer reports error: "
		    "%s", c->name, m.error.ncause > 0 ?
		    rsp_cause_name(m.error.cause[0].code) : "?");
		return;
	}
	/*
	 * Issue 12: a server id speaks only from its peer's address, so a
	 * message naming a peer from anywhere else changes nothing; an
	 * unknown server is learned only at an allowed address.
	 */
	if ((p = enrp_peer_find(e, m.sender_id)) != NULL) {
		if (!enrp_admit_sender(e, c, p, &m))
			return;
	} else if ((p = enrp_peer_learn(e, c, &m)) == NULL)
		return;
	if (!c->outbound)
		c->peer = p;
	if (m.nunrec > 0)
		enrp_send_error(c, p->id, RSP_CAUSE_UNRECOGNIZED_PARAM,
		    m.unrec[0].p, m.unrec[0].len);
	p->rx_msgs++;
	prm = fsm_params(e);
	act = enrp_fsm_peer_step(&p->fsm, &prm, ENRP_FSM_EV_HEARD, now_ms(e));
	if (act & ENRP_FSM_TAKEOVER_STOPPED)
		log_info("enrp: peer %s is alive: takeover stopped", p->name);
	if ((act & ENRP_FSM_CONNECT) && p->out == NULL)
		enrp_peer_connect(p);
	if (enrp_fsm_sync_heard(&e->sync, p->id, e->npeers, now_ms(e)) &
	    ENRP_SYNC_DOWNLOAD)
		enrp_start_download(e, p);

	switch (m.type) {
	case ENRP_PRESENCE:
		enrp_on_presence(e, p, &m);
		break;
	case ENRP_HANDLE_TABLE_REQUEST:
		enrp_on_table_request(e, p, &m);
		break;
	case ENRP_HANDLE_TABLE_RESPONSE:
		enrp_on_table_response(e, c, p, &m);
		break;
	case ENRP_HANDLE_UPDATE:
		enrp_on_update(e, c, p, &m);
		break;
	case ENRP_LIST_REQUEST:
		enrp_on_list_request(e, p);
		break;
	case ENRP_LIST_RESPONSE:
		enrp_on_list_response(e, p, &m);
		break;
	case ENRP_INIT_TAKEOVER:
		enrp_on_init_takeover(e, p, &m);
		break;
	case ENRP_INIT_TAKEOVER_ACK:
		enrp_on_init_takeover_ack(e, p, &m);
		break;
	case ENRP_TAKEOVER_SERVER:
		enrp_on_takeover_server(e, p, &m);
		break;
	case ENRP_PE_REPORT:
		enrp_on_pe_report(e, p, &m);
		break;
	default:
		break;
	}
}

/* ---- timers ----------------------------------------------------------------- */

static void
heartbeat_fire(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct enrp *e = arg;

	(void)revents;
	/* RFC 5353 §3.4.2: PRESENCE to all peers every PEER-HEARTBEAT-CYCLE. */
	enrp_send_presence(e, NULL, false, 0);
	enrp_mcast_send(e);
	if (ev_timer_add(loop, cfg(e)->heartbeat_cycle, heartbeat_fire, e,
	    &e->heartbeat) != 0)
		fatal("%s: timer", __func__);
}

static uint64_t
tick_interval(const struct enrp *e)
{
	uint64_t t = cfg(e)->max_no_response / 5;

	return t < 20 ? 20 : t > 250 ? 250 : t;
}

static void
tick_peers(struct enrp *e, uint64_t now)
{
	const struct conf_enrp *k = cfg(e);
	struct enrp_fsm_params prm = fsm_params(e);
	struct enrp_peer *p, *next;
	unsigned int act;

	for (p = TAILQ_FIRST(&e->peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (p->audit != NULL && now - p->audit_sent >
		    2 * (uint64_t)k->max_no_response)
			enrp_peer_audit_end(p);	/* try again on the next PRESENCE */
		act = enrp_fsm_peer_step(&p->fsm, &prm, ENRP_FSM_EV_TICK, now);
		if (act & ENRP_FSM_PROBE)
			enrp_send_presence(e, p, true, p->id);
		if (act & ENRP_FSM_TAKEOVER_EXPIRED) {
			log_info("enrp: takeover of %s expired (%u ACKs "
			    "missing): trying again", p->name, p->fsm.to_nneed);
			e->stats.takeovers_abandoned++;
		}
		if (act & ENRP_FSM_DEAD) {
			enrp_peer_dead(e, p);	/* may free it */
			continue;
		}
		if (p->fsm.state != ENRP_PEER_DEAD && p->out == NULL &&
		    now >= p->next_connect)
			enrp_peer_connect(p);
	}
}

/* Mentor choice and download timeout (RFC 5353 §3.2.2, §3.2.3). */
static void
tick_sync(struct enrp *e, uint64_t now)
{
	struct enrp_fsm_params prm = fsm_params(e);
	struct enrp_fsm_view v[ENRP_MAX_PEERS];
	size_t n = 0;
	unsigned int act;

	/* The candidates, also for a new choice when the mentor fell silent. */
	if (!e->sync.synchronized)
		n = enrp_peer_views(e, v, ENRP_MAX_PEERS);
	act = enrp_fsm_sync_tick(&e->sync, &prm, v, n, now);
	if (act & ENRP_SYNC_MENTOR_SILENT)
		log_info("enrp: mentor 0x%08x does not answer: looking for "
		    "another", e->sync.rejected_by);
	if (act & ENRP_SYNC_DONE)
		enrp_become_synchronized(e, "without a mentor");
	if (act & ENRP_SYNC_DOWNLOAD)
		enrp_start_download(e, enrp_peer_find(e, e->sync.mentor));
}

/*
 * Our own stall (doc/protocol/enrp.md §7.1): the peers were not
 * silent, we were.  Their clocks move past the gap, so that we do not
 * call them dead and take over their PEs for it, and the handlespace is
 * fetched again from a mentor; until it is in, the node is not
 * synchronized, and healthd withdraws its address meanwhile.
 */
static void
stall_check(struct enrp *e, uint64_t now)
{
	struct enrp_fsm_params prm = fsm_params(e);
	const struct conf_enrp *k = cfg(e);
	struct enrp_peer *p;
	uint64_t gap = enrp_fsm_stalled(&prm, e->last_tick, now);

	e->last_tick = now;
	if (gap == 0)
		return;
	e->stats.stalls++;
	TAILQ_FOREACH(p, &e->peers, entry)
		enrp_fsm_peer_shift(&p->fsm, gap);
	log_warnx("enrp: this registrar did not run for %llu ms (longer than "
	    "max-time-last-heard %u ms): synchronizing again with a peer",
	    (unsigned long long)gap, k->max_last_heard);
	(void)enrp_fsm_sync_restart(&e->sync, &prm, k->npeers == 0 &&
	    e->nmcast == 0, now);
}

static void
tick_fire(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct enrp *e = arg;
	uint64_t now = now_ms(e);
	size_t i;

	(void)revents;
	stall_check(e, now);
	tick_peers(e, now);
	enrp_kaconns_expire(e, now);
	for (i = 0; i < ENRP_MAX_SESSIONS; i++)
		if (e->sessions[i] != NULL && now - e->sessions[i]->last >
		    2 * (uint64_t)cfg(e)->max_no_response + 5000)
			enrp_session_end(&e->sessions[i]);
	tick_sync(e, now);
	if (ev_timer_add(loop, tick_interval(e), tick_fire, e, &e->tick) != 0)
		fatal("%s: timer", __func__);
}

/* ---- life cycle --------------------------------------------------------------- */

int
enrp_start(struct registrar *r)
{
	const struct conf_enrp *k = &r->conf.enrp;
	struct enrp_fsm_params prm;
	struct enrp *e;
	struct enrp_peer *p;
	size_t i;
	int rc;

	if (!k->enabled)
		return 0;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	e->r = r;
	e->ltcp.fd = e->lsctp.fd = -1;
	TAILQ_INIT(&e->peers);
	TAILQ_INIT(&e->conns);
	TAILQ_INIT(&e->kaconns);
	e->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(20, 1000);
	e->rl_mcast = (struct log_ratelimit)LOG_RATELIMIT_INIT(10, 2000);
	e->local = k->listen.ss;
	e->locallen = k->listen.sslen;
	e->started = now_ms(e);
	e->use_tcp = (k->listen.transports & CONF_TRANSPORT_TCP) != 0;
	e->use_sctp = (k->listen.transports & CONF_TRANSPORT_SCTP) != 0;
	if (e->use_sctp && !r->sctp_ok) {
		/* The daemon keeps serving, over the TCP mapping. */
		log_warnx("enrp: transport sctp configured but this kernel "
		    "has no SCTP: ENRP over the TCP mapping only");
		e->use_sctp = false;
		e->use_tcp = true;
	}
	if ((rc = enrp_listen_start(e)) != 0) {
		free(e);
		return rc;
	}
	for (i = 0; i < k->npeers; i++)
		if ((p = enrp_peer_new(e, 0, &k->peer[i].ss, k->peer[i].sslen,
		    true)) != NULL)
			enrp_peer_connect(p);
	r->enrp = e;
	enrp_mcast_start(e);
	enrp_admit_start(e);
	prm = fsm_params(e);
	if (enrp_fsm_sync_start(&e->sync, &prm, k->npeers == 0 &&
	    e->nmcast == 0, e->started) & ENRP_SYNC_DONE)
		enrp_become_synchronized(e, "alone (no peers configured)");
	enrp_mcast_send(e);
	if (ev_timer_add(r->loop, k->heartbeat_cycle, heartbeat_fire, e,
	    &e->heartbeat) != 0 ||
	    ev_timer_add(r->loop, tick_interval(e), tick_fire, e, &e->tick) != 0)
		fatal("%s: timer", __func__);
	return 0;
}

void
enrp_reconfigure(struct registrar *r)
{
	struct enrp *e = r->enrp;

	if (e == NULL) {
		if (r->conf.enrp.enabled)
			log_warnx("enrp: enabled by the reload: takes effect "
			    "at restart");
		return;
	}
	if (!r->conf.enrp.enabled)
		log_warnx("enrp: the reload removes ENRP: takes effect at "
		    "restart");
	/* Timers come from r->conf and apply at once; the address does not. */
	r->conf.enrp.listen.ss = e->local;
	r->conf.enrp.listen.sslen = e->locallen;
	r->conf.enrp.enabled = true;
}

void
enrp_stop(struct registrar *r)
{
	struct enrp *e = r->enrp;
	struct enrp_conn *c;
	struct enrp_peer *p;
	size_t i;

	if (e == NULL)
		return;
	ev_cancel(&e->heartbeat);
	ev_cancel(&e->tick);
	enrp_mcast_stop(e);
	while (!TAILQ_EMPTY(&e->kaconns))
		enrp_kaconn_end(TAILQ_FIRST(&e->kaconns), true);
	enrp_listen_stop(e);
	while ((c = TAILQ_FIRST(&e->conns)) != NULL)
		enrp_conn_close(c, "registrar shutting down");
	while ((p = TAILQ_FIRST(&e->peers)) != NULL) {
		if (p->out != NULL)
			enrp_conn_close(p->out, "registrar shutting down");
		enrp_peer_audit_end(p);
		TAILQ_REMOVE(&e->peers, p, entry);
		free(p);
	}
	for (i = 0; i < ENRP_MAX_SESSIONS; i++)
		if (e->sessions[i] != NULL)
			enrp_session_end(&e->sessions[i]);
	r->enrp = NULL;
	free(e);
}
