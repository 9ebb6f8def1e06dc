/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ENRP's sockets: the connections to peers (ours, outbound, and the ones
 * peers opened to us) and the TCP and SCTP listeners, on lib/conn.h (the
 * same connection and accept code as ASAP's associations: framing, send
 * queue with its byte cap, tuning, what bad framing costs); here only what
 * is ENRP's: connecting to a peer from our ENRP address, which connection
 * a peer is sent to, who may connect (enrp_admit.c) and the connection
 * limits, and the ENRP_ERROR that a connection's bad input gets.  Every received message goes to
 * enrp_handle_message() (enrp.c).  Connection model (enrp.c): we send to a
 * peer over the connection we opened to it, or over SCTP over the peer's
 * association to our port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enrp_int.h"
#include "addr.h"

#define ENRP_BACKLOG	64

/*
 * lib/conn callbacks.  close: the connection is gone (its socket is
 * closed, whoever closed it): forget it; release frees it after this
 * iteration, when callers up the stack no longer hold it.
 */
static void
conn_closed(struct cn *cn, enum cn_end end, const char *why)
{
	struct enrp_conn *c = cn->arg;
	struct enrp *e = c->e;
	struct enrp_peer *p = c->peer;

	if (end == CN_END_CONNECT) {
		log_rl_debug(&c->rl, now_ms(e), "enrp %s: connect: %s",
		    c->name, why);
		/* Both transports on: the next attempt uses the other one. */
		if (p != NULL && e->use_tcp && e->use_sctp)
			p->connect_tcp = c->sctp;
	}
	if (end == CN_END_TLS || end == CN_END_TLS_ON_PLAIN)
		reg_tls_failed(e->r, cn, end, c->name, c->outbound ?
		    "ENRP TLS client" : cn->tls != NULL ? "ENRP TLS port" :
		    "ENRP plaintext port", why);
	else
		log_rl_info(&e->rl, now_ms(e), "enrp %s: connection closed: "
		    "%s", c->name, why);
	if (c->outbound) {
		if (p != NULL && p->out == c)
			p->out = NULL;
	} else {
		TAILQ_REMOVE(&e->conns, c, entry);
		e->nconns--;
		if (!c->reserved)
			e->nconns_open--;
	}
}

static void
conn_release(struct cn *cn)
{
	free(cn->arg);
}

void
enrp_conn_close(struct enrp_conn *c, const char *why)
{
	cn_end(&c->cn, why);
}

/* RFC 5353 §3.1, §5.4: over SCTP every user message is one ENRP message,
 * PPID 12; cn drops the others (conn_stray). */
static void
conn_message(struct cn *cn, uint32_t ppid, const uint8_t *msg, size_t len)
{
	struct enrp_conn *c = cn->arg;

	(void)ppid;
	/* RFC 5355 §2.15: a secured registrar ignores non-TLS peers. */
	if (c->e->r->conf.secured && !cn_tls_up(cn)) {
		c->e->stats.rx_errors++;
		log_rl_warnx(&c->rl, now_ms(c->e), "enrp %s: not over TLS "
		    "(secured on): ignored", c->name);
		return;
	}
	enrp_handle_message(c, msg, len);
}

static void
conn_stray(struct cn *cn, uint32_t ppid)
{
	struct enrp_conn *c = cn->arg;

	c->e->stats.rx_errors++;
	log_rl_warnx(&c->rl, now_ms(c->e), "enrp %s: message with PPID %u "
	    "ignored (ENRP is 12)", c->name, ppid);
}

/* A stream we cannot frame or a message above the limit: one error. */
static void
conn_error(struct cn *cn, uint16_t cause)
{
	struct enrp_conn *c = cn->arg;

	c->e->stats.rx_errors++;
	enrp_send_error(c, 0, cause, NULL, 0);
}

static void
conn_connected(struct cn *cn)
{
	struct enrp_conn *c = cn->arg;
	struct enrp_peer *p = c->peer;

	c->connected = true;
	log_debug("enrp %s: connected", c->name);
	/*
	 * RFC 5353 §3.2, §3.4.1: introduce ourselves; R=1 makes the peer
	 * answer with its Server Information (our mentor discovery probe).
	 */
	if (p != NULL)
		enrp_send_presence(c->e, p, true, p->id);
}

/* TLS is up: the peer proved a registrar key of the ENRP psk-file. */
static void
conn_secured(struct cn *cn)
{
	struct enrp_conn *c = cn->arg;
	const char *id = tls_peer_identity(cn->tls, NULL);

	c->e->r->stats.tls_handshakes++;
	snprintf(c->tls_id, sizeof(c->tls_id), "%s", id != NULL ? id : "");
	/* Outbound: the identity is ours, the peer proved the same key. */
	log_debug("enrp %s: TLS up, PSK identity %s%s", c->name, c->tls_id,
	    c->outbound ? " (ours)" : "");
}

static const struct cn_ops conn_ops = {
	.secured = conn_secured,
	.message = conn_message,
	.stray = conn_stray,
	.error = conn_error,
	.close = conn_closed,
	.release = conn_release,
	.connected = conn_connected,
};

/* The registrar's socket options (registrar_tune), with ENRP's RTOs. */
static void
enrp_tune(const struct enrp *e, struct cn_tune *t)
{
	registrar_tune(&e->r->conf, true, t);
}

static void
conn_tune(const struct enrp *e, int fd, bool sctp)
{
	struct cn_tune t;
	int rc;

	enrp_tune(e, &t);
	if ((rc = cn_tune_fd(fd, sctp ? CN_SCTP : CN_TCP, &t)) != 0)
		log_warnx("enrp: setsockopt SCTP_EVENTS: %s", strerror(-rc));
}

void
enrp_sctp_tune(const struct enrp *e, int fd)
{
	conn_tune(e, fd, true);
}

/* A connection on fd (tuned already). */
static struct enrp_conn *
conn_new(struct enrp *e, int fd, bool outbound, bool sctp,
    const struct sockaddr_storage *remote)
{
	struct enrp_conn *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	c->e = e;
	c->outbound = outbound;
	c->connected = !outbound;
	c->sctp = sctp;
	c->remote = *remote;
	c->last_active = now_ms(e);
	cn_name(c->name, sizeof(c->name), outbound ? "to" : "from",
	    sctp ? CN_SCTP : CN_TCP, remote);
	c->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 10000);
	if ((rc = cn_attach(&c->cn, e->r->loop, fd, sctp ? CN_SCTP : CN_TCP,
	    ENRP_PPID, outbound, RSP_MSG_MAX_LEN, ENRP_OUT_MAX, NULL,
	    &conn_ops, c)) != 0)
		fatal("%s: cn_attach: %s", __func__, strerror(-rc));
	/* ENRP over TLS (TCP only: parse.y), else spot TLS clients. */
	if (!sctp && e->r->tls_enrp_server != NULL) {
		if ((rc = cn_tls_start(&c->cn, outbound ?
		    e->r->tls_enrp_client : e->r->tls_enrp_server)) != 0)
			fatal("%s: cn_tls_start: %s", __func__,
			    strerror(-rc));
	} else if (!sctp) {
		cn_plain_check(&c->cn);
	}
	return c;
}

static void
conn_queue(struct enrp_conn *c, const uint8_t *p, size_t len)
{
	/* On failure the close callback (conn_closed) has run. */
	(void)cn_send(&c->cn, p, len);
}

/* ENRP_ERROR back on the connection the bad input came in on. */
void
enrp_send_error(struct enrp_conn *c, uint32_t receiver, uint16_t cause,
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
	m = enrp_msg_begin(c->e, &w, ENRP_ERROR, 0, receiver);
	rsp_put_op_error(&w, &oe);
	rsp_put_msg_end(&w, m);
	if (w.err)
		return;
	c->e->stats.tx_msgs[ENRP_ERROR]++;
	conn_queue(c, w.p, w.len);
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
		if (c->sctp && cn_is_open(&c->cn) && c->connected &&
		    addr_same(&c->remote, &p->addr))
			return c;
	return NULL;
}

/* The connection we send to a peer on: ours, else its SCTP association. */
struct enrp_conn *
enrp_peer_conn(struct enrp *e, struct enrp_peer *p)
{
	if (p->out != NULL && cn_is_open(&p->out->cn) &&
	    p->out->connected)
		return p->out;
	return e->use_sctp ? peer_inbound_sctp(e, p) : NULL;
}

/* Send one built message to a peer over our connection to it. */
void
enrp_peer_send(struct enrp *e, struct enrp_peer *p, struct wbuf *w)
{
	struct enrp_conn *c;

	if (w->err) {
		log_warnx("enrp: internal: message does not fit");
		return;
	}
	if ((c = enrp_peer_conn(e, p)) == NULL) {
		e->stats.tx_dropped++;
		return;
	}
	e->stats.tx_msgs[w->p[0] <= ENRP_MSG_MAX ? w->p[0] : 0]++;
	conn_queue(c, w->p, w->len);
}

/* An announcement (RFC 5353 §3.1: group-cast): one copy to every peer. */
void
enrp_announce(struct enrp *e, struct wbuf *w, uint32_t except)
{
	struct enrp_peer *p;

	TAILQ_FOREACH(p, &e->peers, entry)
		if (p->id != except || except == 0)
			enrp_peer_send(e, p, w);
}

void
enrp_peer_connect(struct enrp_peer *p)
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
	/* SCTP first where we run it (RFC 5353 §3.1), the TCP mapping else. */
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
		addr_set_port(&src, 0);
	if (src.ss_family == p->addr.ss_family &&
	    bind(fd, (struct sockaddr *)&src, e->locallen) == -1) {
		addr_set_port(&src, 0);
		if (!sctp || bind(fd, (struct sockaddr *)&src, e->locallen) == -1) {
			close(fd);
			return;
		}
	}
	conn_tune(e, fd, sctp);
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
}

/*
 * cn_listener callbacks: a connection to our ENRP port (issue 12).  Only
 * from a configured peer's address or inside the allowed prefixes
 * (enrp_admit.c); at most ENRP_MAX_PER_SOURCE from one address, the least
 * active one making room for the newest (a peer that restarted or lost
 * its way leaves stale ones behind); connections of sources that are not
 * configured peers share ENRP_MAX_CONNS, so they never take the slots of
 * the configured peers.
 */
static bool
conn_accept(struct enrp *e, int fd, const struct sockaddr_storage *ss,
    bool sctp)
{
	struct enrp_conn *c, *oldest = NULL;
	bool reserved = enrp_admit_configured(e, ss);
	unsigned int n = 0;
	char why[96];

	if (!reserved && !enrp_admit_addr(e, ss)) {
		enrp_refuse(e, ENRP_REFUSED_NOT_ALLOWED, ss, "connection",
		    "not a configured peer");
		return false;
	}
	TAILQ_FOREACH(c, &e->conns, entry) {
		if (!addr_same_ip(&c->remote, ss))
			continue;
		n++;
		if (oldest == NULL || c->last_active < oldest->last_active)
			oldest = c;
	}
	if (n >= ENRP_MAX_PER_SOURCE && oldest != NULL) {
		snprintf(why, sizeof(why), "%u connections from there "
		    "(limit): closing the least active one", n);
		enrp_refuse(e, ENRP_REFUSED_SOURCE_CAP, ss, "connection", why);
		enrp_conn_close(oldest, "per-source connection limit");
	}
	if (!reserved && e->nconns_open >= ENRP_MAX_CONNS) {
		snprintf(why, sizeof(why), "%u connections from sources that "
		    "are not configured peers (limit)", e->nconns_open);
		enrp_refuse(e, ENRP_REFUSED_CONN_LIMIT, ss, "connection", why);
		return false;
	}
	conn_tune(e, fd, sctp);
	c = conn_new(e, fd, false, sctp, ss);
	c->reserved = reserved;
	TAILQ_INSERT_TAIL(&e->conns, c, entry);
	e->nconns++;
	if (!reserved)
		e->nconns_open++;
	log_debug("enrp %s: connection up", c->name);
	return true;
}

static bool
accept_tcp(void *arg, int fd, const struct sockaddr_storage *ss)
{
	return conn_accept(arg, fd, ss, false);
}

static bool
accept_sctp(void *arg, int fd, const struct sockaddr_storage *ss)
{
	return conn_accept(arg, fd, ss, true);
}

static void
accept_error(void *arg, int err)
{
	struct enrp *e = arg;

	log_rl_warnx(&e->rl, now_ms(e), "enrp: accept: %s%s", strerror(err),
	    err == EMFILE || err == ENFILE ? ": not accepting for a while" :
	    "");
}

/* The listeners on our ENRP address: 0 or -errno (then none is left). */
int
enrp_listen_start(struct enrp *e)
{
	struct registrar *r = e->r;
	struct cn_tune t;
	char a[ADDR_STRLEN];
	int rc;

	addr_str(&e->local, a, sizeof(a));
	enrp_tune(e, &t);
	/* SCTP: accepted sockets inherit the events; our own associations
	 * to peers share the port (enrp_peer_connect). */
	if (e->use_sctp) {
		if ((rc = cn_listen(&e->lsctp, r->loop, &e->local, e->locallen,
		    CN_SCTP, ENRP_BACKLOG, CN_LISTEN_REUSEPORT, &t, accept_sctp,
		    accept_error, e)) != 0) {
			log_warnx("enrp: listen on sctp %s: %s", a,
			    strerror(-rc));
			goto fail;
		}
		log_info("listening for ENRP on sctp %s", a);
	}
	if (e->use_tcp) {
		if ((rc = cn_listen(&e->ltcp, r->loop, &e->local, e->locallen,
		    CN_TCP, ENRP_BACKLOG, 0, NULL, accept_tcp, accept_error,
		    e)) != 0) {
			log_warnx("enrp: listen on tcp %s: %s", a,
			    strerror(-rc));
			goto fail;
		}
		log_info("listening for ENRP on tcp %s", a);
	}
	return 0;
fail:
	enrp_listen_stop(e);
	return rc;
}

void
enrp_listen_stop(struct enrp *e)
{
	cn_listener_close(&e->lsctp);
	cn_listener_close(&e->ltcp);
}
