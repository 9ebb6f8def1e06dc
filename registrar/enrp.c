/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ENRP (RFC 5353) for registrard on port 9901, between the nodes' unicast
 * addresses, over SCTP (RFC 5353 §1: PPID 12, one ENRP message per SCTP
 * user message, one-to-one sockets) and/or the TCP mapping (messages back to
 * back, delimited by their length).  Connection model: every server sends
 * all its messages to a peer over the one connection (association) it
 * opened to that peer (bound to its own ENRP address) and reads whatever
 * arrives on any connection, so a pair of servers uses two connections, one
 * per direction, and a simultaneous open needs no tie-break; only
 * ENRP_ERROR about bad input goes back on the connection the input came in
 * on.  This is what RSPLIB's one-to-many ENRP socket does on the wire too:
 * it sends from its port 9901 to ours and answers on whatever association.
 * Between two of ours over SCTP both associations would have the same
 * addresses and ports (both bind 9901): the second is refused, and the peer's
 * association carries both directions (peer_conn).  This file owns
 * the peer list and its state machine, mentor discovery and the paged
 * handle table download that makes the node synchronized, HANDLE_UPDATE of
 * owned PEs, PRESENCE heartbeats with the PE checksum and the audit they
 * drive, failure detection and takeover arbitration, and peer discovery by
 * multicast PRESENCE (RSPLIB practice, off by default).  Bad input costs the
 * sender one ENRP_ERROR and a rate-limited log line; everything a peer can
 * make us allocate is bounded (peers, connections, sessions, buffers).
 */
#define _GNU_SOURCE	/* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registrar.h"
#include "enrp.h"

#define MSG_BUF		65536
#define ENRP_PPID	12	/* RFC 5353 §1 (IANA: ENRP) */
#define ERR_DATA_MAX	1024
#define KACONN_TIMEOUT	10000	/* ms to open an association to a PE */

/* A copy of (pool handle, PE id) pairs: a table dump's cursor, an audit's
 * marks.  Handles are copied once per pool into one arena. */
struct snap_ent {
	uint32_t	 hoff;
	uint16_t	 hlen;
	bool		 seen;
	uint32_t	 id;
};

struct enrp_snap {
	uint8_t		*h;
	size_t		 hlen, hcap;
	struct snap_ent	*ent;
	size_t		 n, cap;
};

/* A table dump we serve (RFC 5353 §3.3: the mentor's download session). */
struct enrp_session {
	uint32_t	 peer;
	bool		 own_only;
	struct enrp_snap snap;
	size_t		 next;
	uint64_t	 last;
};

static uint8_t	 txbuf[MSG_BUF + 8];

static void	conn_io(struct ev_loop *, void *, unsigned int);
static void	conn_close(struct enrp_conn *, const char *);
static void	peer_connect(struct enrp_peer *);
static void	send_presence(struct enrp *, struct enrp_peer *, bool, uint32_t);
static void	start_download(struct enrp *, struct enrp_peer *);

static uint64_t
now_ms(const struct enrp *e)
{
	return ev_now(e->r->loop);
}

static const struct conf_enrp *
cfg(const struct enrp *e)
{
	return &e->r->conf.enrp;
}

static void
sa_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

static bool
same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, 16) == 0;
}

static uint16_t
sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
}

static void
sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons(port);
}

static bool
same_sa(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return same_ip(a, b) && sa_port(a) == sa_port(b);
}

/* Our Server Information (RFC 5354 §3.11): over the TCP mapping the SCTP
 * transport parameter carries the ENRP listen address and port. */
static void
own_server_info(const struct enrp *e, struct rsp_server_info *si)
{
	memset(si, 0, sizeof(*si));
	si->id = e->r->server_id;
	si->transport.type = RSP_PARAM_SCTP_TRANSPORT;
	si->transport.use = RSP_TRANSPORT_USE_DATA;
	si->transport.naddr = 1;
	si->transport.port = sa_port(&e->local);
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

/* ---- snapshots ---------------------------------------------------------- */

static void
snap_free(struct enrp_snap *s)
{
	if (s == NULL)
		return;
	free(s->h);
	free(s->ent);
	memset(s, 0, sizeof(*s));
}

static void
snap_add(struct enrp_snap *s, const uint8_t *h, size_t hlen, uint32_t id,
    bool new_pool)
{
	void *n;

	if (new_pool || s->n == 0) {
		if (s->hlen + hlen > s->hcap) {
			s->hcap = s->hcap ? s->hcap * 2 : 4096;
			while (s->hcap < s->hlen + hlen)
				s->hcap *= 2;
			if ((n = realloc(s->h, s->hcap)) == NULL)
				fatal("%s", __func__);
			s->h = n;
		}
		memcpy(s->h + s->hlen, h, hlen);
		s->hlen += hlen;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		if ((n = reallocarray(s->ent, s->cap, sizeof(*s->ent))) == NULL)
			fatal("%s", __func__);
		s->ent = n;
	}
	s->ent[s->n].hoff = (uint32_t)(s->hlen - hlen);
	s->ent[s->n].hlen = (uint16_t)hlen;
	s->ent[s->n].seen = false;
	s->ent[s->n].id = id;
	s->n++;
}

/* Every PE (owner 0) or the PEs of one owner, grouped by pool. */
static void
snap_take(struct hs *hs, uint32_t owner, struct enrp_snap *s)
{
	struct hs_pool *pool;
	struct hs_pe *pe;
	const uint8_t *h;
	size_t hlen;
	bool first;

	memset(s, 0, sizeof(*s));
	for (pool = hs_pool_first(hs); pool != NULL; pool = hs_pool_next(pool)) {
		h = hs_pool_handle(pool, &hlen);
		first = true;
		for (pe = hs_pe_first(pool); pe != NULL; pe = hs_pe_next(pe)) {
			if (owner != 0 && hs_pe_home(pe) != owner)
				continue;
			snap_add(s, h, hlen, hs_pe_id(pe), first);
			first = false;
		}
	}
}

static int
snap_cmp(const void *a, const void *b, void *arg)
{
	const struct snap_ent *x = a, *y = b;
	const uint8_t *h = arg;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->hlen != y->hlen)
		return x->hlen < y->hlen ? -1 : 1;
	return memcmp(h + x->hoff, h + y->hoff, x->hlen);
}

static struct snap_ent *
snap_find(struct enrp_snap *s, const uint8_t *h, size_t hlen, uint32_t id)
{
	size_t lo = 0, hi = s->n, mid;
	struct snap_ent *x;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		x = &s->ent[mid];
		if (x->id != id)
			c = x->id < id ? -1 : 1;
		else if (x->hlen != hlen)
			c = x->hlen < hlen ? -1 : 1;
		else
			c = memcmp(s->h + x->hoff, h, hlen);
		if (c == 0)
			return x;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- connections ---------------------------------------------------------- */

static void
conn_free_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct enrp_conn *c = arg;

	(void)loop;
	(void)revents;
	rsp_stream_free(&c->rx);
	rsp_outq_free(&c->tx);
	free(c);
}

static void
conn_close(struct enrp_conn *c, const char *why)
{
	struct enrp *e = c->e;

	if (c->fd < 0)
		return;
	log_rl_info(&e->rl, now_ms(e), "enrp %s: connection closed: %s",
	    c->name, why);
	ev_cancel(&c->io);
	close(c->fd);
	c->fd = -1;
	if (c->outbound) {
		if (c->peer != NULL && c->peer->out == c)
			c->peer->out = NULL;
	} else {
		TAILQ_REMOVE(&e->conns, c, entry);
		e->nconns--;
	}
	if (ev_defer(e->r->loop, conn_free_cb, c, NULL) != 0)
		fatal("%s: defer", __func__);
}

static int
conn_flush(struct enrp_conn *c)
{
	if (rsp_outq_flush(&c->tx, c->fd, c->sctp, ENRP_PPID) == -1)
		return -1;
	ev_fd_mod(&c->io, EV_READ | (c->tx.len > 0 ? EV_WRITE : 0));
	return 0;
}

static void
conn_queue(struct enrp_conn *c, const uint8_t *p, size_t len)
{
	if (c->fd < 0)
		return;
	if (rsp_outq_add(&c->tx, p, len, ENRP_OUT_MAX) == -1) {
		conn_close(c, "peer does not read its messages");
		return;
	}
	if (c->connected && conn_flush(c) == -1)
		conn_close(c, strerror(errno));
}

/*
 * The peer's SCTP association to us from its ENRP address and port, if up.
 * Over SCTP both servers bind their connections to port 9901, so the
 * association the peer opened has the very addresses and ports ours would
 * have: the kernel refuses the second one.  Then both directions share the
 * peer's (as with RSPLIB's one-to-many socket).
 */
static struct enrp_conn *
peer_inbound_sctp(struct enrp *e, const struct enrp_peer *p)
{
	struct enrp_conn *c;

	TAILQ_FOREACH(c, &e->conns, entry)
		if (c->sctp && c->fd >= 0 && c->connected &&
		    same_sa(&c->remote, &p->addr))
			return c;
	return NULL;
}

/* The connection we send to a peer on: ours, else its SCTP association. */
static struct enrp_conn *
peer_conn(struct enrp *e, struct enrp_peer *p)
{
	if (p->out != NULL && p->out->fd >= 0 && p->out->connected)
		return p->out;
	return e->use_sctp ? peer_inbound_sctp(e, p) : NULL;
}

/* Send one built message to a peer over our connection to it. */
static void
peer_send(struct enrp *e, struct enrp_peer *p, struct wbuf *w)
{
	struct enrp_conn *c;

	if (w->err) {
		log_warnx("enrp: internal: message does not fit");
		return;
	}
	if ((c = peer_conn(e, p)) == NULL) {
		e->stats.tx_dropped++;
		return;
	}
	e->stats.tx_msgs[w->p[0] <= ENRP_MSG_MAX ? w->p[0] : 0]++;
	conn_queue(c, w->p, w->len);
}

/* An announcement (RFC 5353 §1: group-cast): one copy to every peer. */
static void
announce(struct enrp *e, struct wbuf *w, uint32_t except)
{
	struct enrp_peer *p;

	TAILQ_FOREACH(p, &e->peers, entry)
		if (p->id != except || except == 0)
			peer_send(e, p, w);
}

static size_t
msg_begin(struct enrp *e, struct wbuf *w, uint8_t type, uint8_t flags,
    uint32_t receiver)
{
	size_t m;

	wbuf_init(w, txbuf, sizeof(txbuf));
	m = rsp_put_msg_begin(w, type, flags);
	wbuf_u32(w, e->r->server_id);
	wbuf_u32(w, receiver);
	return m;
}

/* ENRP_ERROR back on the connection the bad input came in on. */
static void
send_error(struct enrp_conn *c, uint32_t receiver, uint16_t cause,
    const uint8_t *data, size_t dlen)
{
	struct rsp_op_error oe = { .ncause = 1 };
	struct wbuf w;
	size_t m;

	oe.cause[0].code = cause;
	if (data != NULL && dlen >= RSP_TLV_HDR_LEN && dlen <= ERR_DATA_MAX) {
		oe.cause[0].info.p = data;
		oe.cause[0].info.len = (uint16_t)dlen;
	} else if (cause == RSP_CAUSE_UNRECOGNIZED_PARAM ||
	    cause == RSP_CAUSE_INVALID_VALUES) {
		oe.cause[0].code = RSP_CAUSE_UNSPECIFIED;
	}
	m = msg_begin(c->e, &w, ENRP_ERROR, 0, receiver);
	rsp_put_op_error(&w, &oe);
	rsp_put_msg_end(&w, m);
	if (w.err)
		return;
	c->e->stats.tx_msgs[ENRP_ERROR]++;
	conn_queue(c, w.p, w.len);
}

static void
tcp_tune(int fd)
{
	int on = 1, idle = 2, cnt = 3, intvl = 1;
	unsigned int uto = 10000;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof(uto));
}

static void
sctp_tune(int fd)
{
	struct sctp_event_subscribe ev;
	struct sctp_rtoinfo rto;
	socklen_t sl = sizeof(rto);
	int on = 1;

	setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof(on));
	/*
	 * As in asap_server.c: Linux subscribes a new socket to no events,
	 * and without sctp_data_io_event sctp_recvmsg() fills in no
	 * sctp_sndrcvinfo, so every message would read as PPID 0.
	 */
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)) == -1)
		log_warn("enrp: setsockopt SCTP_EVENTS");
	/* Fail a dead association within seconds, like tcp_tune's timeout;
	 * RFC 5353 §3.4.3 failure detection stays ENRP's own. */
	memset(&rto, 0, sizeof(rto));
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &rto, &sl) == 0) {
		rto.srto_max = 2000;
		rto.srto_min = 200;
		rto.srto_initial = 1000;
		setsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof(rto));
	}
}

static struct enrp_conn *
conn_new(struct enrp *e, int fd, bool outbound, bool sctp,
    const struct sockaddr_storage *remote)
{
	struct enrp_conn *c;
	char a[64];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	c->e = e;
	c->fd = fd;
	c->outbound = outbound;
	c->sctp = sctp;
	c->remote = *remote;
	sa_str(remote, a, sizeof(a));
	snprintf(c->name, sizeof(c->name), "%s %s %s", outbound ? "to" :
	    "from", sctp ? "sctp" : "tcp", a);
	c->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 10000);
	return c;
}

/* ---- peers ------------------------------------------------------------- */

static struct enrp_peer *
peer_find(struct enrp *e, uint32_t id)
{
	struct enrp_peer *p;

	if (id == 0)
		return NULL;
	TAILQ_FOREACH(p, &e->peers, entry)
		if (p->id == id)
			return p;
	return NULL;
}

static void
peer_name(struct enrp_peer *p)
{
	char a[64];

	sa_str(&p->addr, a, sizeof(a));
	if (p->id != 0)
		snprintf(p->name, sizeof(p->name), "0x%08x %s", p->id, a);
	else
		snprintf(p->name, sizeof(p->name), "%s", a);
}

static void
peer_set_state(struct enrp_peer *p, enum enrp_peer_state s)
{
	if (p->state != s) {
		p->state = s;
		p->state_since = now_ms(p->e);
	}
}

static struct enrp_peer *
peer_new(struct enrp *e, uint32_t id, const struct sockaddr_storage *ss,
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
	p->state = id != 0 ? ENRP_PEER_ACTIVE : ENRP_PEER_NEW;
	p->state_since = p->last_heard = now_ms(e);
	peer_name(p);
	TAILQ_INSERT_TAIL(&e->peers, p, entry);
	e->npeers++;
	return p;
}

static void
peer_audit_end(struct enrp_peer *p)
{
	if (p->audit != NULL) {
		snap_free(p->audit);
		free(p->audit);
		p->audit = NULL;
	}
}

/*
 * Forget a peer.  A configured address stays in the list as a new peer
 * (server id unknown) so that a restarted registrar there is found again.
 */
static void
peer_remove(struct enrp_peer *p)
{
	struct enrp *e = p->e;
	struct enrp_peer *q;
	struct enrp_conn *c;

	TAILQ_FOREACH(c, &e->conns, entry)
		if (c->peer == p)
			c->peer = NULL;
	peer_audit_end(p);
	p->to_running = false;
	if (p->configured) {
		/* Another entry at this address (its new incarnation)? */
		TAILQ_FOREACH(q, &e->peers, entry)
			if (q != p && same_sa(&q->addr, &p->addr))
				break;
		if (q == NULL) {
			p->id = 0;
			p->has_checksum = false;
			peer_set_state(p, ENRP_PEER_NEW);
			peer_name(p);
			return;
		}
		q->configured = true;
		if (q->discovered) {
			q->discovered = false;
			e->ndiscovered--;
		}
	}
	if (p->out != NULL)
		conn_close(p->out, "peer removed");
	TAILQ_REMOVE(&e->peers, p, entry);
	e->npeers--;
	if (p->discovered)
		e->ndiscovered--;
	free(p);
}

static void
connect_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct enrp_conn *c = arg;
	struct enrp_peer *p = c->peer;
	socklen_t sl = sizeof(int);
	int err = 0;

	if (c->connected) {
		conn_io(loop, arg, revents);
		return;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
		err = errno;
	if (err != 0) {
		log_rl_debug(&c->rl, now_ms(c->e), "enrp %s: connect: %s",
		    c->name, strerror(err));
		/* Both transports on: the next attempt uses the other one. */
		if (p != NULL && c->e->use_tcp && c->e->use_sctp)
			p->connect_tcp = c->sctp;
		conn_close(c, strerror(err));
		return;
	}
	c->connected = true;
	log_debug("enrp %s: connected", c->name);
	ev_fd_mod(&c->io, EV_READ | (c->tx.len > 0 ? EV_WRITE : 0));
	/*
	 * RFC 5353 §3.2, §3.4.1: introduce ourselves; R=1 makes the peer
	 * answer with its Server Information (our mentor discovery probe).
	 */
	if (p != NULL)
		send_presence(c->e, p, true, p->id);
}

static void
peer_connect(struct enrp_peer *p)
{
	struct enrp *e = p->e;
	struct sockaddr_storage src = e->local;
	struct enrp_conn *c;
	bool sctp;
	int fd, on = 1;

	p->next_connect = now_ms(e) + (cfg(e)->max_no_response / 2 > 1000 ?
	    1000 : cfg(e)->max_no_response / 2 + 50);
	if (p->out != NULL)
		return;
	/* SCTP first where we run it (RFC 5353 §1), the TCP mapping else. */
	sctp = e->use_sctp && !(e->use_tcp && p->connect_tcp);
	/* Its association from its ENRP port is ours too (peer_inbound_sctp). */
	if (sctp && peer_inbound_sctp(e, p) != NULL)
		return;
	fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, sctp ? IPPROTO_SCTP : IPPROTO_TCP);
	if (fd < 0)
		return;
	/* DESIGN: ENRP from the unicast address, never the anycast one. */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
	/*
	 * Over SCTP, from the ENRP port too: RSPLIB accepts a peer only when
	 * the Server Information of its PRESENCE names the association's own
	 * addresses and port, and otherwise refuses its table requests.
	 */
	if (sctp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	else
		sa_set_port(&src, 0);
	if (src.ss_family == p->addr.ss_family &&
	    bind(fd, (struct sockaddr *)&src, e->locallen) == -1) {
		sa_set_port(&src, 0);
		if (!sctp || bind(fd, (struct sockaddr *)&src, e->locallen) == -1) {
			close(fd);
			return;
		}
	}
	if (sctp)
		sctp_tune(fd);
	else
		tcp_tune(fd);
	if (connect(fd, (struct sockaddr *)&p->addr, p->addrlen) == -1 &&
	    errno != EINPROGRESS) {
		if (e->use_tcp && e->use_sctp)
			p->connect_tcp = sctp;
		close(fd);
		return;
	}
	c = conn_new(e, fd, true, sctp, &p->addr);
	c->peer = p;
	p->out = c;
	if (ev_fd_add(e->r->loop, fd, EV_WRITE, connect_io, c, &c->io) != 0)
		fatal("%s: ev_fd_add", __func__);
}

/*
 * RFC 5353 §3.4.1: a message from a server not in the peer list adds it
 * (at the address its Server Information gives, else the connection's
 * source address and the ENRP port) and gets a PRESENCE with R=1.
 */
static struct enrp_peer *
peer_learn(struct enrp *e, struct enrp_conn *c, const struct rsp_msg *m)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct enrp_peer *p;

	if (m->has_server_info && m->server_info.id == m->sender_id &&
	    si_to_sa(&m->server_info, &ss, &len)) {
		/* from Server Information */
	} else if (!c->outbound) {
		ss = c->remote;
		len = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6);
		sa_set_port(&ss, ENRP_PORT);
	} else {
		ss = c->remote;
		len = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6);
	}
	/* A configured address whose server id we did not know yet. */
	TAILQ_FOREACH(p, &e->peers, entry)
		if (p->id == 0 && same_sa(&p->addr, &ss))
			break;
	if (p == NULL && !m->has_server_info)
		TAILQ_FOREACH(p, &e->peers, entry)
			if (p->id == 0 && same_ip(&p->addr, &ss))
				break;
	if (p != NULL) {
		p->id = m->sender_id;
		peer_set_state(p, ENRP_PEER_ACTIVE);
		peer_name(p);
	} else if ((p = peer_new(e, m->sender_id, &ss, len, false)) == NULL) {
		log_rl_warnx(&e->rl, now_ms(e), "enrp %s: server 0x%08x "
		    "ignored: %u peers (limit)", c->name, m->sender_id,
		    e->npeers);
		return NULL;
	}
	log_info("enrp: new peer %s", p->name);
	if (p->out == NULL)
		peer_connect(p);
	if (peer_conn(e, p) != NULL)
		send_presence(e, p, true, p->id);
	return p;
}

/* ---- building messages ---------------------------------------------------- */

static void
build_presence(struct enrp *e, struct wbuf *w, bool reply_required,
    uint32_t receiver)
{
	struct rsp_server_info si;
	size_t m;

	m = msg_begin(e, w, ENRP_PRESENCE, reply_required ?
	    ENRP_FLAG_REPLY_REQUIRED : 0, receiver);
	/* RFC 5353 §3.6.1: every PRESENCE carries our own PE checksum. */
	rsp_put_checksum(w, hs_checksum(e->r->hs, e->r->server_id));
	own_server_info(e, &si);
	rsp_put_server_info(w, &si);
	rsp_put_msg_end(w, m);
}

static void
send_presence(struct enrp *e, struct enrp_peer *p, bool reply_required,
    uint32_t receiver)
{
	struct wbuf w;

	build_presence(e, &w, reply_required, receiver);
	if (p != NULL)
		peer_send(e, p, &w);
	else
		announce(e, &w, 0);
}

static void
send_simple(struct enrp *e, struct enrp_peer *p, uint8_t type, uint8_t flags)
{
	struct wbuf w;
	size_t m;

	m = msg_begin(e, &w, type, flags, p->id);
	rsp_put_msg_end(&w, m);
	peer_send(e, p, &w);
}

static void
build_target(struct enrp *e, struct wbuf *w, uint8_t type, uint32_t receiver,
    uint32_t target)
{
	size_t m;

	m = msg_begin(e, w, type, 0, receiver);
	wbuf_u32(w, target);
	rsp_put_msg_end(w, m);
}

static void
send_update(struct enrp *e, struct hs_pe *pe, uint16_t action)
{
	struct rsp_pe x;
	const uint8_t *h;
	struct wbuf w;
	size_t m, hlen;

	h = hs_pool_handle(hs_pe_pool(pe), &hlen);
	hs_pe_export(pe, &x);
	m = msg_begin(e, &w, ENRP_HANDLE_UPDATE, 0, 0);
	wbuf_u16(&w, action);
	wbuf_u16(&w, 0);
	rsp_put_handle(&w, h, hlen);
	rsp_put_pe(&w, &x);
	rsp_put_msg_end(&w, m);
	announce(e, &w, 0);
}

/* ---- hooks from the ASAP side ------------------------------------------- */

void
enrp_pe_registered(struct registrar *r, struct hs_pe *pe)
{
	/* RFC 5353 §3.1.1: announce ADD_PE on every (re-)registration. */
	if (r->enrp != NULL && hs_pe_home(pe) == r->server_id)
		send_update(r->enrp, pe, ENRP_ADD_PE);
}

void
enrp_pe_removing(struct registrar *r, struct hs_pe *pe)
{
	/* RFC 5353 §3.1.2: only the home server announces DEL_PE. */
	if (r->enrp != NULL && hs_pe_home(pe) == r->server_id)
		send_update(r->enrp, pe, ENRP_DEL_PE);
}

void
enrp_pe_deregistered(struct registrar *r, struct hs_pe *pe)
{
	/*
	 * RFC 5352 §3.3: after a granted deregistration the server announces
	 * DEL_PE (RSPLIB does so wherever it grants one).  Our own PEs are
	 * announced by enrp_pe_removing(); for another server's PE the Pool
	 * Element parameter keeps naming its home, which tells the peers this
	 * is not a stale DEL_PE of an earlier home (on_update).
	 */
	if (r->enrp != NULL && hs_pe_home(pe) != r->server_id)
		send_update(r->enrp, pe, ENRP_DEL_PE);
}

/* ---- applying peers' PEs -------------------------------------------------- */

/*
 * Add or update a PE owned by `home` (RFC 5353 §3.1.1, §3.3 merge rules).
 * A PE registered here over an association that a peer now announces moved
 * there (it re-registered through the anycast address): the peer's
 * registration is newer, so our keep-alive state goes.
 */
static int
merge_pe(struct enrp *e, const struct rsp_bytes *h, const struct rsp_pe *in,
    uint32_t home, bool from_update)
{
	struct registrar *r = e->r;
	struct rsp_pe pe = *in;
	struct hs_pe *old;
	uint64_t expires, life;
	int rc;

	if (h->len == 0 || h->len > r->conf.max_handle_len)
		return HS_E_HANDLE;
	if (pe.life == 0 || (pe.life < 0 && pe.life != RSP_LIFE_INFINITE))
		return HS_E_INVAL;
	old = hs_lookup(r->hs, h->p, h->len, pe.id);
	if (old != NULL && hs_pe_udata(old) != NULL) {
		if (!from_update)
			return 0;	/* registered here: ours is live */
		registrar_pe_release(r, old);
	}
	if (home == r->server_id && old == NULL)
		return 0;	/* not ours to invent */
	if (pe.life == RSP_LIFE_INFINITE) {
		expires = HS_NEVER;
	} else {
		life = (uint64_t)pe.life * r->conf.life_unit;
		if (r->conf.life_max != 0 && life > r->conf.life_max)
			life = r->conf.life_max;
		expires = now_ms(e) + life;
	}
	pe.home_id = home;
	rc = hs_register(r->hs, h->p, h->len, &pe, expires, NULL, NULL);
	if (rc == 0)
		e->stats.updates_applied++;
	else
		e->stats.updates_rejected++;
	return rc;
}

static void
on_update(struct enrp *e, struct enrp_conn *c, struct enrp_peer *p,
    const struct rsp_msg *m)
{
	struct registrar *r = e->r;
	struct hs_pe *pe;
	int rc;

	if (m->update_action == ENRP_ADD_PE) {
		rc = merge_pe(e, &m->handle, &m->pe, p->id, true);
		if (rc != 0) {
			log_rl_warnx(&c->rl, now_ms(e), "enrp %s: ADD_PE of "
			    "0x%08x refused: %s", c->name, m->pe.id,
			    hs_strerror(rc));
			send_error(c, p->id, hs_error_cause(rc),
			    m->handle.p - RSP_TLV_HDR_LEN,
			    m->handle.len + RSP_TLV_HDR_LEN);
		}
		registrar_expiry_arm(r);
		return;
	}
	/*
	 * RFC 5353 §3.1.2: remove it; not found: nothing to do.  From its
	 * home: unless it registered here since (it moved on; a late DEL_PE
	 * of its old home must not remove it).  From another server: a
	 * deregistration granted there (RFC 5352 §3.3) if the Pool Element
	 * names the home we know; a PE registered here then goes with its
	 * keep-alive state.  Else a stale DEL_PE of an earlier home: ignored.
	 */
	pe = hs_lookup(r->hs, m->handle.p, m->handle.len, m->pe.id);
	if (pe == NULL)
		return;
	if (hs_pe_home(pe) == p->id) {
		if (hs_pe_udata(pe) != NULL)
			return;
		hs_remove(r->hs, pe);
	} else if (m->pe.home_id == hs_pe_home(pe)) {
		log_rl_info(&e->rl, now_ms(e), "enrp: PE 0x%08x of 0x%08x "
		    "deregistered at %s", m->pe.id, m->pe.home_id, p->name);
		if (hs_pe_udata(pe) != NULL)
			registrar_pe_remove(r, pe, "deregistered at a peer");
		else
			hs_remove(r->hs, pe);
	} else {
		return;
	}
	e->stats.updates_applied++;
	registrar_expiry_arm(r);
}

/* ---- handle table (RFC 5353 §3.3, §3.6.3) ----------------------------------- */

static struct enrp_session **
session_slot(struct enrp *e, uint32_t peer, bool own_only, bool create)
{
	size_t i;
	struct enrp_session **free_slot = NULL;

	for (i = 0; i < ENRP_MAX_SESSIONS; i++) {
		if (e->sessions[i] == NULL) {
			if (free_slot == NULL)
				free_slot = &e->sessions[i];
			continue;
		}
		if (e->sessions[i]->peer == peer) {
			if (e->sessions[i]->own_only == own_only)
				return &e->sessions[i];
			/* a new kind of request replaces the old session */
			snap_free(&e->sessions[i]->snap);
			free(e->sessions[i]);
			e->sessions[i] = NULL;
			if (free_slot == NULL)
				free_slot = &e->sessions[i];
		}
	}
	return create ? free_slot : NULL;
}

static void
session_end(struct enrp_session **s)
{
	snap_free(&(*s)->snap);
	free(*s);
	*s = NULL;
}

static void
on_table_request(struct enrp *e, struct enrp_peer *p, const struct rsp_msg *m)
{
	struct registrar *r = e->r;
	bool own = (m->flags & ENRP_FLAG_OWN_CHILDREN_ONLY) != 0;
	struct enrp_session **slot, *s;
	struct snap_ent *x;
	struct hs_pe *pe;
	struct rsp_pe rp;
	struct wbuf w;
	size_t mb, before, count = 0, lasth = SIZE_MAX;
	uint8_t flags = 0;

	/* RFC 5353 §3.3: a server still initialising rejects (R=1). */
	if (!own && !e->synchronized) {
		send_simple(e, p, ENRP_HANDLE_TABLE_RESPONSE, ENRP_FLAG_REJECT);
		return;
	}
	if ((slot = session_slot(e, p->id, own, true)) == NULL) {
		log_rl_warnx(&e->rl, now_ms(e), "enrp: table request of %s "
		    "rejected: %d sessions (limit)", p->name, ENRP_MAX_SESSIONS);
		send_simple(e, p, ENRP_HANDLE_TABLE_RESPONSE, ENRP_FLAG_REJECT);
		return;
	}
	if (*slot == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			fatal("%s", __func__);
		s->peer = p->id;
		s->own_only = own;
		snap_take(r->hs, own ? r->server_id : 0, &s->snap);
		*slot = s;
	}
	s = *slot;
	s->last = now_ms(e);
	mb = msg_begin(e, &w, ENRP_HANDLE_TABLE_RESPONSE, 0, p->id);
	while (s->next < s->snap.n && count < cfg(e)->table_page_size) {
		x = &s->snap.ent[s->next];
		pe = hs_lookup(r->hs, s->snap.h + x->hoff, x->hlen, x->id);
		if (pe == NULL || (own && hs_pe_home(pe) != r->server_id)) {
			s->next++;
			continue;	/* gone since: its DEL_PE says so */
		}
		before = w.len;
		/* Pool Entry: the handle once, then its PEs (§2.3). */
		if (lasth != x->hoff)
			rsp_put_handle(&w, s->snap.h + x->hoff, x->hlen);
		hs_pe_export(pe, &rp);
		rsp_put_pe(&w, &rp);
		if (w.err || w.len > MSG_BUF - 4) {
			w.err = false;
			w.len = before;
			if (count == 0) {	/* cannot fit even alone */
				s->next++;
				continue;
			}
			break;
		}
		lasth = x->hoff;
		s->next++;
		count++;
	}
	if (s->next < s->snap.n)
		flags |= ENRP_FLAG_MORE_TO_SEND;
	w.p[1] = flags;
	rsp_put_msg_end(&w, mb);
	peer_send(e, p, &w);
	if (!(flags & ENRP_FLAG_MORE_TO_SEND))
		session_end(slot);
}

static void
send_table_request(struct enrp *e, struct enrp_peer *p, bool own)
{
	send_simple(e, p, ENRP_HANDLE_TABLE_REQUEST,
	    own ? ENRP_FLAG_OWN_CHILDREN_ONLY : 0);
}

static void
become_synchronized(struct enrp *e, const char *how)
{
	if (e->synchronized)
		return;
	e->synchronized = true;
	e->phase = ENRP_SYNCHRONIZED;
	e->synced_at = now_ms(e);
	log_info("enrp: synchronized %s after %llu ms (%llu PEs in the "
	    "handlespace)", how, (unsigned long long)(e->synced_at - e->started),
	    (unsigned long long)hs_npes(e->r->hs));
}

/* RFC 5353 §3.6.3 step 5: PEs of the peer that its table did not list. */
static void
audit_finish(struct enrp *e, struct enrp_peer *p)
{
	struct enrp_snap *s = p->audit;
	struct hs_pe *pe;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->ent[i].seen)
			continue;
		pe = hs_lookup(e->r->hs, s->h + s->ent[i].hoff, s->ent[i].hlen,
		    s->ent[i].id);
		if (pe != NULL && hs_pe_home(pe) == p->id &&
		    hs_pe_udata(pe) == NULL) {
			hs_remove(e->r->hs, pe);
			e->stats.audit_removals++;
		}
	}
	e->stats.audits_completed++;
	peer_audit_end(p);
	registrar_expiry_arm(e->r);
}

static void
on_table_response(struct enrp *e, struct enrp_conn *c, struct enrp_peer *p,
    const struct rsp_msg *m)
{
	bool dl = e->phase == ENRP_DOWNLOAD && e->mentor == p->id;
	struct rsp_iter it;
	struct rsp_bytes h;
	struct rsp_pe pe;
	struct snap_ent *x;
	int rc;

	if (!dl && p->audit == NULL) {
		log_rl_debug(&c->rl, now_ms(e), "enrp %s: unexpected table "
		    "response", c->name);
		return;
	}
	if (m->flags & ENRP_FLAG_REJECT) {
		if (dl) {
			/* RFC 5353 §3.3: wait a little, or try another. */
			log_rl_info(&e->rl, now_ms(e), "enrp: mentor %s "
			    "rejected the table request", p->name);
			e->rejected_by = p->id;
			e->mentor = 0;
			e->phase = ENRP_DISCOVER;
			e->retry_at = now_ms(e) + 500;
		} else {
			peer_audit_end(p);
		}
		return;
	}
	rsp_iter_init(&it, m);
	while (rsp_iter_pe(&it, &h, &pe) == 1) {
		uint32_t home = pe.home_id != 0 ? pe.home_id : p->id;

		if (!dl)
			home = p->id;	/* own-children-only: all its own */
		if (home == e->r->server_id && dl)
			continue;
		rc = merge_pe(e, &h, &pe, home, false);
		if (rc != 0)
			log_rl_warnx(&c->rl, now_ms(e), "enrp %s: table entry "
			    "0x%08x refused: %s", c->name, pe.id,
			    hs_strerror(rc));
		if (dl)
			e->dl_pes++;
		if (!dl && (x = snap_find(p->audit, h.p, h.len, pe.id)) != NULL)
			x->seen = true;
	}
	registrar_expiry_arm(e->r);
	if (m->flags & ENRP_FLAG_MORE_TO_SEND) {
		/* RFC 5353 §3.3 step 3: M=1, ask for the next part. */
		if (dl)
			e->dl_sent = now_ms(e);
		else
			p->audit_sent = now_ms(e);
		send_table_request(e, p, !dl);
		return;
	}
	if (dl) {
		e->stats.downloads++;
		e->stats.download_pes += e->dl_pes;
		become_synchronized(e, "by the mentor's table");
	} else {
		audit_finish(e, p);
	}
}

static void
start_audit(struct enrp *e, struct enrp_peer *p)
{
	if ((p->audit = calloc(1, sizeof(*p->audit))) == NULL)
		fatal("%s", __func__);
	/* RFC 5353 §3.6.3 step 1: mark every PE the peer owns here. */
	snap_take(e->r->hs, p->id, p->audit);
	if (p->audit->n > 1)
		qsort_r(p->audit->ent, p->audit->n, sizeof(*p->audit->ent),
		    snap_cmp, p->audit->h);
	p->audit_sent = now_ms(e);
	send_table_request(e, p, true);
}

/* ---- mentor (RFC 5353 §3.2) ----------------------------------------------- */

static void
start_download(struct enrp *e, struct enrp_peer *p)
{
	log_info("enrp: mentor %s: downloading its peer list and handle "
	    "table", p->name);
	e->mentor = p->id;
	e->phase = ENRP_DOWNLOAD;
	e->dl_sent = now_ms(e);
	e->dl_pes = 0;
	/* RSPLIB sends both back to back. */
	send_simple(e, p, ENRP_LIST_REQUEST, 0);
	send_table_request(e, p, false);
}

static void
on_list_request(struct enrp *e, struct enrp_peer *p)
{
	struct rsp_server_info si;
	struct enrp_peer *q;
	struct wbuf w;
	size_t m;

	if (!e->synchronized) {
		send_simple(e, p, ENRP_LIST_RESPONSE, ENRP_FLAG_REJECT);
		return;
	}
	m = msg_begin(e, &w, ENRP_LIST_RESPONSE, 0, p->id);
	TAILQ_FOREACH(q, &e->peers, entry) {
		if (q->id == 0 || q == p || (q->state != ENRP_PEER_ACTIVE &&
		    q->state != ENRP_PEER_PROBING))
			continue;
		memset(&si, 0, sizeof(si));
		si.id = q->id;
		si.transport.type = RSP_PARAM_SCTP_TRANSPORT;
		si.transport.naddr = 1;
		si.transport.port = sa_port(&q->addr);
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
	peer_send(e, p, &w);
}

static void
on_list_response(struct enrp *e, struct enrp_peer *p, const struct rsp_msg *m)
{
	struct rsp_server_info si;
	struct sockaddr_storage ss;
	struct enrp_peer *q;
	struct rsp_iter it;
	socklen_t len;

	(void)p;
	if (m->flags & ENRP_FLAG_REJECT)
		return;
	rsp_iter_init(&it, m);
	while (rsp_iter_server_info(&it, &si) == 1) {
		if (si.id == 0 || si.id == e->r->server_id ||
		    peer_find(e, si.id) != NULL || !si_to_sa(&si, &ss, &len))
			continue;
		TAILQ_FOREACH(q, &e->peers, entry)
			if (q->id == 0 && same_sa(&q->addr, &ss))
				break;
		if (q != NULL) {
			q->id = si.id;
			peer_set_state(q, ENRP_PEER_ACTIVE);
			q->last_heard = now_ms(e);
			peer_name(q);
		} else if ((q = peer_new(e, si.id, &ss, len, false)) == NULL) {
			break;
		}
		log_info("enrp: peer %s from the mentor's list", q->name);
		if (q->out == NULL)
			peer_connect(q);
	}
}

/* ---- takeover (RFC 5353 §3.5) -------------------------------------------------- */

static bool
we_lose_to(struct enrp *e, uint32_t other)
{
	/* shared/spec/enrp.md §5.4: implementations let the lowest id win;
	 * RFC 5353 §3.5.1 read literally, the highest. */
	if (cfg(e)->takeover_winner == CONF_TAKEOVER_HIGHEST_ID)
		return other > e->r->server_id;
	return other < e->r->server_id;
}

static void
kaconn_free_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct enrp_kaconn *kc = arg;

	(void)loop;
	(void)revents;
	snap_free(kc->pes);
	free(kc->pes);
	free(kc);
}

/* Done with it; the fd is closed unless an association took it over. */
static void
kaconn_end(struct enrp_kaconn *kc, bool close_fd)
{
	struct enrp *e = kc->e;

	ev_cancel(&kc->io);
	if (close_fd)
		close(kc->fd);
	kc->fd = -1;
	TAILQ_REMOVE(&e->kaconns, kc, entry);
	e->nkaconns--;
	if (ev_defer(e->r->loop, kaconn_free_cb, kc, NULL) != 0)
		fatal("%s: defer", __func__);
}

static void
kaconn_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct enrp_kaconn *kc = arg;
	struct enrp *e = kc->e;
	struct registrar *r = e->r;
	struct snap_ent *x;
	struct assoc *as;
	struct hs_pe *pe;
	socklen_t sl = sizeof(int);
	size_t i, n = 0;
	int err = 0;
	char a[64];

	(void)loop;
	(void)revents;
	sa_str(&kc->addr, a, sizeof(a));
	if (getsockopt(kc->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
		err = errno;
	if (err == 0 && r->nassocs >= r->conf.max_associations)
		err = EMFILE;
	if (err != 0) {
		e->stats.home_change_failures += kc->pes->n;
		log_rl_warnx(&e->rl, now_ms(e), "enrp: home change: cannot "
		    "reach %zu taken-over PE(s) at sctp %s: %s (they stay "
		    "until they re-register or their life ends)", kc->pes->n,
		    a, strerror(err));
		kaconn_end(kc, true);
		return;
	}
	ev_cancel(&kc->io);
	as = registrar_assoc_adopt(r, kc->fd, &kc->addr);
	for (i = 0; i < kc->pes->n; i++) {
		x = &kc->pes->ent[i];
		pe = hs_lookup(r->hs, kc->pes->h + x->hoff, x->hlen, x->id);
		if (pe == NULL || hs_pe_home(pe) != r->server_id ||
		    hs_pe_udata(pe) != NULL)
			continue;	/* gone, or registered somewhere since */
		registrar_pe_adopt(r, pe, as);
		n++;
	}
	e->stats.home_change_pes += n;
	log_info("enrp: home change: ENDPOINT_KEEP_ALIVE with H=1 to %zu "
	    "PE(s) at sctp %s", n, a);
	kaconn_end(kc, false);
}

/*
 * RFC 5353 §3.5.2: the new home sends each PE taken over an
 * ENDPOINT_KEEP_ALIVE with the home flag (RFC 5352 §3.5), so that it
 * adopts us.  Possible over SCTP only, to the ASAP transport address that
 * the PE registered from (a PE such as RSPLIB's accepts associations
 * there); over the TCP mapping a PE's port is ephemeral and nothing
 * listens on it: such a PE stays until its registration life ends or it
 * re-registers at any registrar, which then owns it (registrard.8, ENRP).
 * One association per PE address; `s` lists the PEs taken over.
 */
static void
home_change(struct enrp *e, const struct enrp_snap *s)
{
	struct registrar *r = e->r;
	struct enrp_kaconn *kc;
	struct sockaddr_storage ss;
	const struct snap_ent *x;
	struct hs_pe *pe;
	struct rsp_pe rp;
	char a[64];
	size_t i;
	int fd;

	for (i = 0; i < s->n; i++) {
		x = &s->ent[i];
		pe = hs_lookup(r->hs, s->h + x->hoff, x->hlen, x->id);
		if (pe == NULL || hs_pe_udata(pe) != NULL)
			continue;
		hs_pe_export(pe, &rp);
		if (!rp.has_asap || rp.asap.type != RSP_PARAM_SCTP_TRANSPORT ||
		    rp.asap.naddr == 0 || rp.asap.port == 0)
			continue;
		memset(&ss, 0, sizeof(ss));
		if (rp.asap.addr[0].family == AF_INET) {
			struct sockaddr_in *s4 = (void *)&ss;

			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, rp.asap.addr[0].a, 4);
		} else {
			struct sockaddr_in6 *s6 = (void *)&ss;

			s6->sin6_family = AF_INET6;
			memcpy(&s6->sin6_addr, rp.asap.addr[0].a, 16);
		}
		sa_set_port(&ss, rp.asap.port);
		TAILQ_FOREACH(kc, &e->kaconns, entry)
			if (same_sa(&kc->addr, &ss))
				break;
		if (kc == NULL) {
			if (e->nkaconns >= ENRP_MAX_KACONNS) {
				e->stats.home_change_failures++;
				continue;
			}
			fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, IPPROTO_SCTP);
			if (fd < 0)
				return;
			sctp_tune(fd);	/* a lost INIT is resent within 1 s */
			if (connect(fd, (struct sockaddr *)&ss, ss.ss_family ==
			    AF_INET ? sizeof(struct sockaddr_in) :
			    sizeof(struct sockaddr_in6)) == -1 &&
			    errno != EINPROGRESS) {
				sa_str(&ss, a, sizeof(a));
				log_rl_warnx(&e->rl, now_ms(e), "enrp: home "
				    "change: sctp %s: %s", a, strerror(errno));
				e->stats.home_change_failures++;
				close(fd);
				continue;
			}
			if ((kc = calloc(1, sizeof(*kc))) == NULL ||
			    (kc->pes = calloc(1, sizeof(*kc->pes))) == NULL)
				fatal("%s", __func__);
			kc->e = e;
			kc->fd = fd;
			kc->addr = ss;
			kc->started = now_ms(e);
			if (ev_fd_add(r->loop, fd, EV_WRITE, kaconn_io, kc,
			    &kc->io) != 0)
				fatal("%s: ev_fd_add", __func__);
			TAILQ_INSERT_TAIL(&e->kaconns, kc, entry);
			e->nkaconns++;
			sa_str(&ss, a, sizeof(a));
			log_debug("enrp: home change: opening an association "
			    "to sctp %s", a);
		}
		snap_add(kc->pes, s->h + x->hoff, x->hlen, x->id, true);
	}
}

static void
takeover_complete(struct enrp *e, struct enrp_peer *t)
{
	struct enrp_snap s;
	struct wbuf w;
	uint32_t target = t->id;
	size_t n;

	/* RFC 5353 §3.5.2: announce, then claim the target's PEs. */
	build_target(e, &w, ENRP_TAKEOVER_SERVER, 0, target);
	announce(e, &w, target);
	snap_take(e->r->hs, target, &s);
	n = hs_rehome(e->r->hs, target, e->r->server_id);
	e->stats.takeovers++;
	e->stats.pes_taken_over += n;
	log_info("enrp: took over %zu PEs of dead peer %s", n, t->name);
	if (e->r->sctp_ok)
		home_change(e, &s);
	snap_free(&s);
	peer_remove(t);
}

static void
takeover_start(struct enrp *e, struct enrp_peer *t)
{
	struct enrp_peer *q;
	struct wbuf w;

	t->to_running = true;
	t->to_started = now_ms(e);
	t->to_nneed = 0;
	/* RFC 5353 §3.5.1: ACKs from every currently known peer but the target. */
	TAILQ_FOREACH(q, &e->peers, entry)
		if (q != t && q->id != 0 && (q->state == ENRP_PEER_ACTIVE ||
		    q->state == ENRP_PEER_PROBING ||
		    q->state == ENRP_PEER_NOT_ACTIVE))
			t->to_need[t->to_nneed++] = q->id;
	log_info("enrp: peer %s is dead: taking over its %zu PEs (%u ACKs "
	    "needed)", t->name, hs_owner_count(e->r->hs, t->id), t->to_nneed);
	build_target(e, &w, ENRP_INIT_TAKEOVER, 0, t->id);
	announce(e, &w, 0);	/* the target included */
	if (t->to_nneed == 0)
		takeover_complete(e, t);
}

static void
peer_dead(struct enrp *e, struct enrp_peer *p)
{
	e->stats.peers_dead++;
	peer_set_state(p, ENRP_PEER_DEAD);
	if (p->out != NULL)
		conn_close(p->out, "peer dead");
	/* RSPLIB: a takeover only if it still owns PEs here. */
	if (hs_owner_count(e->r->hs, p->id) == 0) {
		log_info("enrp: peer %s is dead (it owned no PEs)", p->name);
		peer_remove(p);
		return;
	}
	takeover_start(e, p);
}

static void
on_init_takeover(struct enrp *e, struct enrp_peer *p, const struct rsp_msg *m)
{
	struct enrp_peer *t;
	struct wbuf w;

	if (m->target_id == e->r->server_id) {
		/* We are alive: stop it (§3.5.1). */
		send_presence(e, NULL, false, 0);
		return;
	}
	t = peer_find(e, m->target_id);
	if (t != NULL && t->to_running) {
		if (!we_lose_to(e, p->id))
			return;	/* the loser's INIT is ignored: no ACK */
		log_info("enrp: takeover of %s: %s wins", t->name, p->name);
		t->to_running = false;
		e->stats.takeovers_lost++;
	}
	if (t != NULL)
		peer_set_state(t, ENRP_PEER_NOT_ACTIVE);
	build_target(e, &w, ENRP_INIT_TAKEOVER_ACK, p->id, m->target_id);
	peer_send(e, p, &w);
}

static void
on_init_takeover_ack(struct enrp *e, struct enrp_peer *p,
    const struct rsp_msg *m)
{
	struct enrp_peer *t = peer_find(e, m->target_id);
	uint32_t i;

	if (t == NULL || !t->to_running)
		return;
	for (i = 0; i < t->to_nneed; i++)
		if (t->to_need[i] == p->id) {
			t->to_need[i] = t->to_need[--t->to_nneed];
			break;
		}
	if (t->to_nneed == 0)
		takeover_complete(e, t);
}

static void
on_takeover_server(struct enrp *e, struct enrp_peer *p,
    const struct rsp_msg *m)
{
	struct enrp_peer *t;
	size_t n;

	if (m->target_id == e->r->server_id) {
		/* A false alarm (a partition): the audit restores our PEs. */
		log_rl_warnx(&e->rl, now_ms(e), "enrp: %s took over our PEs "
		    "although we are alive", p->name);
		return;
	}
	/* RFC 5353 §3.5.2: the target's PEs now belong to the sender. */
	n = hs_rehome(e->r->hs, m->target_id, p->id);
	log_info("enrp: %s took over %zu PEs of 0x%08x", p->name, n,
	    m->target_id);
	if ((t = peer_find(e, m->target_id)) != NULL)
		peer_remove(t);
}

/* ---- receiving --------------------------------------------------------------- */

static void
on_presence(struct enrp *e, struct enrp_peer *p, const struct rsp_msg *m)
{
	uint16_t mine;

	if (m->flags & ENRP_FLAG_REPLY_REQUIRED)
		send_presence(e, p, false, p->id);
	if (!m->has_checksum)
		return;
	p->has_checksum = true;
	p->checksum = m->checksum;
	mine = hs_checksum(e->r->hs, p->id);
	p->checksum_ok = mine == m->checksum;
	/* RFC 5353 §3.6.1: a difference means resynchronise with it now. */
	if (!p->checksum_ok && e->synchronized && p->audit == NULL &&
	    p->state == ENRP_PEER_ACTIVE) {
		e->stats.checksum_mismatches++;
		log_rl_info(&e->rl, now_ms(e), "enrp: checksum of %s differs "
		    "(0x%04x, ours 0x%04x): requesting its PEs", p->name,
		    m->checksum, mine);
		start_audit(e, p);
	}
}

static void
handle_message(struct enrp_conn *c, const uint8_t *buf, size_t len)
{
	struct enrp *e = c->e;
	struct rsp_decode_opts opts = { .pool_handle_max = UINT16_MAX };
	struct enrp_peer *p;
	struct rsp_msg m;
	struct rsp_err err;
	uint32_t sender = len >= 8 ? get_u32(buf + 4) : 0;

	c->rx_msgs++;
	if (rsp_decode(RSP_PROTO_ENRP, buf, len, &opts, &m, &err) != 0) {
		e->stats.rx_errors++;
		log_rl_warnx(&c->rl, now_ms(e), "enrp %s: bad message: %s%s",
		    c->name, err.what, err.silent ? " (discarded)" : "");
		if (!err.silent)
			send_error(c, sender, err.cause, err.data.p,
			    err.data.len);
		return;
	}
	e->stats.rx_msgs[m.type]++;
	if (m.sender_id == 0 || m.sender_id == e->r->server_id) {
		e->stats.rx_errors++;
		log_rl_warnx(&c->rl, now_ms(e), "enrp %s: %s with sender id "
		    "0x%08x ignored", c->name, rsp_msg_name(RSP_PROTO_ENRP,
		    m.type), m.sender_id);
		if (m.sender_id == 0)
			send_error(c, 0, RSP_CAUSE_INVALID_VALUES, NULL, 0);
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
	if ((p = peer_find(e, m.sender_id)) == NULL &&
	    (p = peer_learn(e, c, &m)) == NULL)
		return;
	if (!c->outbound)
		c->peer = p;
	if (m.nunrec > 0)
		send_error(c, p->id, RSP_CAUSE_UNRECOGNIZED_PARAM,
		    m.unrec[0].p, m.unrec[0].len);
	/* RFC 5353 §3.4.2: peer_last_heard on any message. */
	p->last_heard = now_ms(e);
	p->rx_msgs++;
	if (p->state != ENRP_PEER_ACTIVE) {
		if (p->state == ENRP_PEER_DEAD && p->to_running)
			log_info("enrp: peer %s is alive: takeover stopped",
			    p->name);
		p->to_running = false;
		peer_set_state(p, ENRP_PEER_ACTIVE);
		if (p->out == NULL)
			peer_connect(p);
	}
	/* RFC 5353 §3.2: the first peer heard becomes the mentor. */
	if (e->phase == ENRP_DISCOVER && now_ms(e) >= e->retry_at &&
	    (p->id != e->rejected_by || e->npeers == 1))
		start_download(e, p);

	switch (m.type) {
	case ENRP_PRESENCE:
		on_presence(e, p, &m);
		break;
	case ENRP_HANDLE_TABLE_REQUEST:
		on_table_request(e, p, &m);
		break;
	case ENRP_HANDLE_TABLE_RESPONSE:
		on_table_response(e, c, p, &m);
		break;
	case ENRP_HANDLE_UPDATE:
		on_update(e, c, p, &m);
		break;
	case ENRP_LIST_REQUEST:
		on_list_request(e, p);
		break;
	case ENRP_LIST_RESPONSE:
		on_list_response(e, p, &m);
		break;
	case ENRP_INIT_TAKEOVER:
		on_init_takeover(e, p, &m);
		break;
	case ENRP_INIT_TAKEOVER_ACK:
		on_init_takeover_ack(e, p, &m);
		break;
	case ENRP_TAKEOVER_SERVER:
		on_takeover_server(e, p, &m);
		break;
	default:
		break;
	}
}

/* rsp_stream_read() callback: one whole message; false once closed. */
static bool
conn_message(void *arg, const uint8_t *msg, size_t len)
{
	struct enrp_conn *c = arg;

	handle_message(c, msg, len);
	return c->fd >= 0;
}

static void
conn_read(struct enrp_conn *c)
{
	switch (rsp_stream_read(&c->rx, c->fd, RSP_MSG_MAX_LEN, conn_message,
	    c)) {
	case RSP_STREAM_AGAIN:
	case RSP_STREAM_STOPPED:
	case RSP_STREAM_TOO_BIG:	/* cannot happen: the largest there is */
		break;
	case RSP_STREAM_EOF:
		conn_close(c, "closed by peer");
		break;
	case RSP_STREAM_ERROR:
		conn_close(c, strerror(errno));
		break;
	case RSP_STREAM_UNFRAMEABLE:
		c->e->stats.rx_errors++;
		send_error(c, 0, RSP_CAUSE_INVALID_VALUES, NULL, 0);
		conn_flush(c);
		conn_close(c, "unframeable message length");
		break;
	}
}

/*
 * rsp_stream_read_sctp() callback.  RFC 5353 §1: over SCTP every user
 * message is one ENRP message, PPID 12.
 */
static bool
conn_sctp_message(void *arg, uint32_t ppid, const uint8_t *msg, size_t len)
{
	struct enrp_conn *c = arg;

	if (ppid != ENRP_PPID) {
		c->e->stats.rx_errors++;
		log_rl_warnx(&c->rl, now_ms(c->e), "enrp %s: message with "
		    "PPID %u ignored (ENRP is 12)", c->name, ppid);
		return true;
	}
	return conn_message(c, msg, len);
}

static void
conn_read_sctp(struct enrp_conn *c)
{
	switch (rsp_stream_read_sctp(&c->rx, c->fd, RSP_MSG_MAX_LEN,
	    conn_sctp_message, c)) {
	case RSP_STREAM_AGAIN:
	case RSP_STREAM_STOPPED:
	case RSP_STREAM_UNFRAMEABLE:	/* not on SCTP: messages are whole */
		break;
	case RSP_STREAM_EOF:
		conn_close(c, "closed by peer");
		break;
	case RSP_STREAM_ERROR:
		conn_close(c, strerror(errno));
		break;
	case RSP_STREAM_TOO_BIG:
		c->e->stats.rx_errors++;
		send_error(c, 0, RSP_CAUSE_LACK_OF_RESOURCES, NULL, 0);
		conn_close(c, "message too large");
		break;
	}
}

static void
conn_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct enrp_conn *c = arg;

	(void)loop;
	if ((revents & EV_WRITE) && conn_flush(c) == -1) {
		conn_close(c, strerror(errno));
		return;
	}
	if (revents & (EV_READ | EV_HUP | EV_ERROR)) {
		if (c->sctp)
			conn_read_sctp(c);
		else
			conn_read(c);
	}
}

static void
accept_on(struct enrp *e, int lfd, bool sctp)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct enrp_conn *c;
	char a[64];
	int fd;

	while ((fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		sl = sizeof(ss);
		if (e->nconns >= ENRP_MAX_CONNS) {
			sa_str(&ss, a, sizeof(a));
			log_rl_warnx(&e->rl, now_ms(e), "enrp %s: refused: %u "
			    "connections (limit)", a, e->nconns);
			close(fd);
			continue;
		}
		if (sctp)
			sctp_tune(fd);
		else
			tcp_tune(fd);
		c = conn_new(e, fd, false, sctp, &ss);
		c->connected = true;
		if (ev_fd_add(e->r->loop, fd, EV_READ, conn_io, c, &c->io) != 0)
			fatal("%s: ev_fd_add", __func__);
		TAILQ_INSERT_TAIL(&e->conns, c, entry);
		e->nconns++;
		log_debug("enrp %s: connection up", c->name);
	}
}

static void
listener_accept(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)revents;
	accept_on(arg, ((struct enrp *)arg)->lfd, false);
}

static void
listener_accept_sctp(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)revents;
	accept_on(arg, ((struct enrp *)arg)->sfd, true);
}

/* A listening socket on our ENRP address: -errno on failure. */
static int
listen_on(struct enrp *e, int proto, const char *a)
{
	int fd, on = 1, rc;

	fd = socket(e->local.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (e->local.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (proto == IPPROTO_SCTP) {
		sctp_tune(fd);	/* accepted sockets inherit the events */
		/* Our own associations to peers share this port (peer_connect). */
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	}
	if (bind(fd, (struct sockaddr *)&e->local, e->locallen) == -1 ||
	    listen(fd, 64) == -1) {
		rc = -errno;
		log_warn("enrp: listen on %s %s", proto == IPPROTO_SCTP ?
		    "sctp" : "tcp", a);
		close(fd);
		return rc;
	}
	return fd;
}

/* ---- peer discovery by multicast PRESENCE ------------------------------------ */

/*
 * Not in RFC 5353 (shared/spec/enrp.md §8): RSPLIB and the reference
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
 * ages out like any silent peer (§3.4.3).
 */

static void
mcast_send(struct enrp *e)
{
	struct wbuf w;
	size_t i;

	if (e->nmcast == 0)
		return;
	build_presence(e, &w, false, 0);
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
	sa_set_port(ss, t->port);
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)ss)->sin6_flowinfo = 0;
	*len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	return !same_sa(ss, &e->local);
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

	sa_str(from, a, sizeof(a));
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
	if (peer_find(e, m.sender_id) != NULL)
		return;		/* known: its unicast connection speaks for it */
	if (!mcast_peer_addr(e, &m.server_info, from, &ss, &sslen)) {
		e->stats.mcast_errors++;
		log_rl_warnx(&e->rl_mcast, now_ms(e), "enrp: multicast PRESENCE of "
		    "0x%08x from %s on %s ignored: its Server Information does "
		    "not name that address (or not in our address family)",
		    m.sender_id, a, g->name);
		return;
	}
	/* A configured address whose server id we did not know yet. */
	TAILQ_FOREACH(p, &e->peers, entry)
		if (p->id == 0 && same_sa(&p->addr, &ss))
			break;
	if (p != NULL) {
		p->id = m.sender_id;
		p->last_heard = now_ms(e);
		peer_set_state(p, ENRP_PEER_ACTIVE);
		peer_name(p);
	} else {
		if (e->ndiscovered >= cfg(e)->max_discovered ||
		    (p = peer_new(e, m.sender_id, &ss, sslen, false)) == NULL) {
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
		peer_connect(p);
	if (peer_conn(e, p) != NULL)
		send_presence(e, p, true, p->id);
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
static unsigned int
local_ifindex(const struct enrp *e)
{
	struct ifaddrs *ifa, *i;
	struct sockaddr_storage ss;
	unsigned int idx = 0;

	if (getifaddrs(&ifa) == -1)
		return 0;
	for (i = ifa; i != NULL && idx == 0; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family !=
		    e->local.ss_family)
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, i->ifa_addr, e->local.ss_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		if (same_ip(&ss, &e->local))
			idx = if_nametoindex(i->ifa_name);
	}
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
	sa_str(&cg->ss, a, sizeof(a));
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

		sa_set_port(&src, 0);
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

static void
mcast_start(struct enrp *e)
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

static void
mcast_stop(struct enrp *e)
{
	size_t i;

	for (i = 0; i < e->nmcast; i++) {
		ev_cancel(&e->mcast[i].io);
		close(e->mcast[i].rfd);
		close(e->mcast[i].sfd);
	}
	e->nmcast = 0;
}

/* ---- timers ----------------------------------------------------------------- */

static void
heartbeat_fire(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct enrp *e = arg;

	(void)revents;
	/* RFC 5353 §3.4.2: PRESENCE to all peers every PEER-HEARTBEAT-CYCLE. */
	send_presence(e, NULL, false, 0);
	mcast_send(e);
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
	struct enrp_peer *p, *next;

	for (p = TAILQ_FIRST(&e->peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (p->audit != NULL && now - p->audit_sent >
		    2 * (uint64_t)k->max_no_response)
			peer_audit_end(p);	/* try again on the next PRESENCE */
		switch (p->state) {
		case ENRP_PEER_NEW:
			break;
		case ENRP_PEER_ACTIVE:
			/* RFC 5353 §3.4.3: silent too long: probe it. */
			if (now - p->last_heard > k->max_last_heard) {
				peer_set_state(p, ENRP_PEER_PROBING);
				p->probe_sent = now;
				send_presence(e, p, true, p->id);
			}
			break;
		case ENRP_PEER_PROBING:
			if (now - p->probe_sent > k->max_no_response) {
				peer_dead(e, p);
				continue;
			}
			break;
		case ENRP_PEER_DEAD:
			if (p->to_running && now - p->to_started >
			    k->takeover_expiry) {
				/* RSPLIB's takeover expiry; we try again. */
				log_info("enrp: takeover of %s expired (%u "
				    "ACKs missing): trying again", p->name,
				    p->to_nneed);
				e->stats.takeovers_abandoned++;
				p->to_running = false;
				p->to_retry = now + k->max_no_response;
			} else if (!p->to_running && now >= p->to_retry) {
				peer_dead(e, p);
				continue;
			}
			break;
		case ENRP_PEER_NOT_ACTIVE:
			/* Whoever took it over never finished: ours now. */
			if (now - p->state_since > 2 * (uint64_t)k->takeover_expiry +
			    k->max_no_response) {
				peer_set_state(p, ENRP_PEER_PROBING);
				p->probe_sent = now;
				send_presence(e, p, true, p->id);
			}
			break;
		}
		if (p->state != ENRP_PEER_DEAD && p->out == NULL &&
		    now >= p->next_connect)
			peer_connect(p);
	}
}

static void
tick_fire(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct enrp *e = arg;
	uint64_t now = now_ms(e);
	struct enrp_kaconn *kc;
	struct enrp_peer *p;
	char a[64];
	size_t i;

	(void)revents;
	tick_peers(e, now);
	/* An SCTP INIT to a vanished PE retries for long: give up sooner. */
	while ((kc = TAILQ_FIRST(&e->kaconns)) != NULL &&
	    now > kc->started + KACONN_TIMEOUT) {
		e->stats.home_change_failures += kc->pes->n;
		sa_str(&kc->addr, a, sizeof(a));
		log_rl_warnx(&e->rl, now, "enrp: home change: no association "
		    "to %zu taken-over PE(s) at sctp %s in time", kc->pes->n, a);
		kaconn_end(kc, true);
	}
	for (i = 0; i < ENRP_MAX_SESSIONS; i++)
		if (e->sessions[i] != NULL && now - e->sessions[i]->last >
		    2 * (uint64_t)cfg(e)->max_no_response + 5000)
			session_end(&e->sessions[i]);
	if (e->phase == ENRP_DOWNLOAD &&
	    now - e->dl_sent > cfg(e)->max_no_response) {
		/* RFC 5353 §3.3: no answer: another mentor. */
		log_info("enrp: mentor 0x%08x does not answer: looking for "
		    "another", e->mentor);
		e->rejected_by = e->mentor;
		e->mentor = 0;
		e->phase = ENRP_DISCOVER;
		if (e->deadline < now + cfg(e)->mentor_discovery)
			e->deadline = now + cfg(e)->mentor_discovery;
	}
	if (e->phase == ENRP_DISCOVER) {
		if (now >= e->deadline) {
			/* RFC 5353 §3.2: nobody could serve: alone. */
			become_synchronized(e, "without a mentor");
		} else if (now >= e->retry_at) {
			TAILQ_FOREACH(p, &e->peers, entry)
				if (p->state == ENRP_PEER_ACTIVE &&
				    peer_conn(e, p) != NULL &&
				    (p->id != e->rejected_by ||
				    e->npeers == 1))
					break;
			if (p != NULL) {
				e->retry_at = now + 500;
				start_download(e, p);
			}
		}
	}
	if (ev_timer_add(loop, tick_interval(e), tick_fire, e, &e->tick) != 0)
		fatal("%s: timer", __func__);
}

/* ---- life cycle --------------------------------------------------------------- */

int
enrp_start(struct registrar *r)
{
	const struct conf_enrp *k = &r->conf.enrp;
	struct enrp *e;
	struct enrp_peer *p;
	char a[64];
	size_t i;
	int rc;

	if (!k->enabled)
		return 0;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	e->r = r;
	e->lfd = e->sfd = -1;
	TAILQ_INIT(&e->peers);
	TAILQ_INIT(&e->conns);
	TAILQ_INIT(&e->kaconns);
	e->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(20, 1000);
	e->rl_mcast = (struct log_ratelimit)LOG_RATELIMIT_INIT(10, 2000);
	e->local = k->listen.ss;
	e->locallen = k->listen.sslen;
	e->started = now_ms(e);
	sa_str(&e->local, a, sizeof(a));
	e->use_tcp = (k->listen.transports & CONF_TRANSPORT_TCP) != 0;
	e->use_sctp = (k->listen.transports & CONF_TRANSPORT_SCTP) != 0;
	if (e->use_sctp && !r->sctp_ok) {
		/* The daemon keeps serving, over the TCP mapping. */
		log_warnx("enrp: transport sctp configured but this kernel "
		    "has no SCTP: ENRP over the TCP mapping only");
		e->use_sctp = false;
		e->use_tcp = true;
	}
	if (e->use_sctp) {
		if ((e->sfd = listen_on(e, IPPROTO_SCTP, a)) < 0) {
			rc = e->sfd;
			goto fail;
		}
		if ((rc = ev_fd_add(r->loop, e->sfd, EV_READ,
		    listener_accept_sctp, e, &e->sio)) != 0)
			goto fail;
		log_info("listening for ENRP on sctp %s", a);
	}
	if (e->use_tcp) {
		if ((e->lfd = listen_on(e, IPPROTO_TCP, a)) < 0) {
			rc = e->lfd;
			goto fail;
		}
		if ((rc = ev_fd_add(r->loop, e->lfd, EV_READ, listener_accept,
		    e, &e->lio)) != 0)
			goto fail;
		log_info("listening for ENRP on tcp %s", a);
	}
	for (i = 0; i < k->npeers; i++)
		if ((p = peer_new(e, 0, &k->peer[i].ss, k->peer[i].sslen,
		    true)) != NULL)
			peer_connect(p);
	r->enrp = e;
	mcast_start(e);
	/*
	 * RFC 5353 §3.2: no known server: alone, initialised at once.  With
	 * multicast, RSPLIB's way: whoever is heard within mentor-discovery
	 * is the mentor, else alone then.
	 */
	e->phase = ENRP_DISCOVER;
	e->deadline = e->started + k->mentor_discovery;
	if (k->npeers == 0 && e->nmcast == 0)
		become_synchronized(e, "alone (no peers configured)");
	mcast_send(e);
	if (ev_timer_add(r->loop, k->heartbeat_cycle, heartbeat_fire, e,
	    &e->heartbeat) != 0 ||
	    ev_timer_add(r->loop, tick_interval(e), tick_fire, e, &e->tick) != 0)
		fatal("%s: timer", __func__);
	return 0;
fail:
	if (e->sfd >= 0) {
		ev_cancel(&e->sio);
		close(e->sfd);
	}
	if (e->lfd >= 0) {
		ev_cancel(&e->lio);
		close(e->lfd);
	}
	free(e);
	return rc;
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
	mcast_stop(e);
	while (!TAILQ_EMPTY(&e->kaconns))
		kaconn_end(TAILQ_FIRST(&e->kaconns), true);
	if (e->lfd >= 0) {
		ev_cancel(&e->lio);
		close(e->lfd);
	}
	if (e->sfd >= 0) {
		ev_cancel(&e->sio);
		close(e->sfd);
	}
	while ((c = TAILQ_FIRST(&e->conns)) != NULL)
		conn_close(c, "registrar shutting down");
	while ((p = TAILQ_FIRST(&e->peers)) != NULL) {
		if (p->out != NULL)
			conn_close(p->out, "registrar shutting down");
		peer_audit_end(p);
		TAILQ_REMOVE(&e->peers, p, entry);
		free(p);
	}
	for (i = 0; i < ENRP_MAX_SESSIONS; i++)
		if (e->sessions[i] != NULL)
			session_end(&e->sessions[i]);
	r->enrp = NULL;
	free(e);
}
