/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ASAP server side of registrard (RFC 5352 §3): listeners on the
 * configured addresses (the TCP mapping everywhere, SCTP with PPID 11 where
 * the kernel has it), one struct assoc per connection, and the handling of
 * every message a pool element or pool user sends: registration,
 * deregistration, handle resolution, keep-alive acknowledgements, endpoint
 * unreachable reports.  It keeps registered PEs alive with ENDPOINT_KEEP_ALIVE,
 * expires registration lifetimes and answers anything it cannot accept with
 * the RFC 5354 cause.  Bad input costs the sender one ASAP_ERROR (or its
 * association, when the stream cannot be framed any more) and nothing else.
 */
#define _GNU_SOURCE	/* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "registrar.h"
#include "stream.h"
#include "enrp.h"

#define OUT_MAX		(4u << 20)	/* unsent bytes before we give up on a peer */
#define ERR_DATA_MAX	1024		/* cause data we echo back */
#define MSG_BUF		65536

static void	assoc_io(struct ev_loop *, void *, unsigned int);
static void	assoc_close(struct assoc *, const char *);
static void	expiry_arm(struct registrar *);

static uint8_t	 txbuf[MSG_BUF + 8];

static uint64_t
now_ms(const struct registrar *r)
{
	return ev_now(r->loop);
}

/* xorshift64*, seeded from getrandom(): keep-alive jitter only. */
static uint64_t
rnd(void)
{
	static uint64_t s;

	if (s == 0 && (getrandom(&s, sizeof(s), 0) != sizeof(s) || s == 0))
		s = 0x9e3779b97f4a7c15ULL;
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return s * 2685821657736338717ULL;
}

const char *
assoc_transport_name(enum assoc_transport t)
{
	return t == ASSOC_SCTP ? "sctp" : "tcp";
}

static void
sa_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
		snprintf(buf, len, "%s:%u", a, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
		snprintf(buf, len, "[%s]:%u", a, port);
	} else {
		snprintf(buf, len, "?");
	}
}

/* The association's peer as an SCTP transport (the PE's ASAP transport). */
static void
assoc_transport(const struct assoc *as, struct rsp_transport *t)
{
	memset(t, 0, sizeof(*t));
	/* RFC 5354 §3.10: the ASAP transport is an SCTP transport parameter;
	 * over the TCP mapping it carries the connection's address and port. */
	t->type = RSP_PARAM_SCTP_TRANSPORT;
	t->use = RSP_TRANSPORT_USE_DATA;
	t->naddr = 1;
	if (as->peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)&as->peer;
		t->port = ntohs(s6->sin6_port);
		t->addr[0].family = AF_INET6;
		memcpy(t->addr[0].a, &s6->sin6_addr, 16);
	} else {
		const struct sockaddr_in *s4 = (const void *)&as->peer;
		t->port = ntohs(s4->sin_port);
		t->addr[0].family = AF_INET;
		memcpy(t->addr[0].a, &s4->sin_addr, 4);
	}
}

static bool
same_peer_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, 16) == 0;
}

/* ---- sending ----------------------------------------------------------- */

static int
assoc_flush(struct assoc *as)
{
	if (rsp_outq_flush(&as->tx, as->fd, as->transport == ASSOC_SCTP,
	    ASAP_PPID) == -1)
		return -1;
	ev_fd_mod(&as->io, EV_READ | (as->tx.len > 0 ? EV_WRITE : 0));
	return 0;
}

/* Queue one encoded message (padded to 4) and try to send it at once. */
static void
assoc_send(struct assoc *as, const uint8_t *p, size_t len, uint8_t type)
{
	struct registrar *r = as->r;

	if (as->fd < 0)
		return;
	if (rsp_outq_add(&as->tx, p, len, OUT_MAX) == -1) {
		assoc_close(as, "peer does not read its messages");
		return;
	}
	as->tx_msgs++;
	r->stats.tx_bytes += len;
	if (type <= ASAP_MSG_MAX)
		r->stats.tx_msgs[type]++;
	if (assoc_flush(as) == -1)
		assoc_close(as, strerror(errno));
}

static void
send_wbuf(struct assoc *as, struct wbuf *w)
{
	if (w->err) {
		log_warnx("%s: internal: message does not fit", as->name);
		return;
	}
	assoc_send(as, w->p, w->len, w->p[0]);
}

/*
 * Fill cause *c: code and data.  Causes that carry a parameter (RFC 5354
 * §3.12: Unrecognized Parameter, Invalid Values, Inconsistent Policy and
 * Transport) get it; an oversized Pool Handle or Cookie goes back shortened
 * to ERR_DATA_MAX with its length adjusted; with nothing well-formed to
 * point at, the cause is Unspecified Error.
 */
static void
set_cause(struct rsp_cause *c, uint16_t code, const uint8_t *data, size_t dlen,
    uint8_t *scratch)
{
	bool wants = code == RSP_CAUSE_UNRECOGNIZED_PARAM ||
	    code == RSP_CAUSE_INVALID_VALUES ||
	    code == RSP_CAUSE_INCONSISTENT_POLICY ||
	    code == RSP_CAUSE_INCONSISTENT_TRANSPORT;
	uint16_t type;

	memset(c, 0, sizeof(*c));
	c->code = code;
	if (data == NULL || dlen < RSP_TLV_HDR_LEN) {
		if (wants)
			c->code = RSP_CAUSE_UNSPECIFIED;
		return;
	}
	if (dlen <= ERR_DATA_MAX) {
		c->info.p = data;
		c->info.len = (uint16_t)dlen;
		return;
	}
	type = get_u16(data);
	if (code == RSP_CAUSE_UNRECOGNIZED_MSG || (type != RSP_PARAM_POOL_HANDLE &&
	    type != RSP_PARAM_COOKIE)) {
		if (wants || code == RSP_CAUSE_UNRECOGNIZED_MSG)
			c->code = RSP_CAUSE_UNSPECIFIED;
		return;
	}
	memcpy(scratch, data, ERR_DATA_MAX);
	scratch[2] = ERR_DATA_MAX >> 8;
	scratch[3] = ERR_DATA_MAX & 0xff;
	c->info.p = scratch;
	c->info.len = ERR_DATA_MAX;
}

/* ASAP_ERROR with one cause (see set_cause for its data). */
static void
send_error(struct assoc *as, uint16_t cause, const uint8_t *data, size_t dlen)
{
	static uint8_t scratch[ERR_DATA_MAX];
	struct rsp_op_error e = { .ncause = 1 };
	struct wbuf w;
	size_t m;

	set_cause(&e.cause[0], cause, data, dlen, scratch);
	wbuf_init(&w, txbuf, sizeof(txbuf));
	m = rsp_put_msg_begin(&w, ASAP_ERROR, 0);
	rsp_put_op_error(&w, &e);
	rsp_put_msg_end(&w, m);
	send_wbuf(as, &w);
}

/* RFC 5354 §3: report skip-and-report parameters, one cause each. */
static void
send_unrecognized(struct assoc *as, const struct rsp_msg *m)
{
	struct rsp_op_error e = { 0 };
	struct wbuf w;
	size_t i, s;

	for (i = 0; i < m->nunrec && e.ncause < RSP_MAX_CAUSES; i++) {
		if (m->unrec[i].len > ERR_DATA_MAX)
			continue;
		e.cause[e.ncause].code = RSP_CAUSE_UNRECOGNIZED_PARAM;
		e.cause[e.ncause++].info = m->unrec[i];
	}
	if (e.ncause == 0)
		return;
	wbuf_init(&w, txbuf, sizeof(txbuf));
	s = rsp_put_msg_begin(&w, ASAP_ERROR, 0);
	rsp_put_op_error(&w, &e);
	rsp_put_msg_end(&w, s);
	send_wbuf(as, &w);
}

static void
send_reg_response(struct assoc *as, const struct rsp_bytes *h, uint32_t id,
    const struct rsp_op_error *e)
{
	struct wbuf w;
	size_t m;

	wbuf_init(&w, txbuf, sizeof(txbuf));
	m = rsp_put_msg_begin(&w, ASAP_REGISTRATION_RESPONSE,
	    e != NULL ? ASAP_FLAG_REJECT : 0);
	rsp_put_handle(&w, h->p, h->len);
	rsp_put_pe_id(&w, id);
	if (e != NULL)
		rsp_put_op_error(&w, e);
	rsp_put_msg_end(&w, m);
	send_wbuf(as, &w);
}

static void
send_dereg_response(struct assoc *as, const uint8_t *h, size_t hlen,
    uint32_t id, const struct rsp_op_error *e)
{
	struct wbuf w;
	size_t m;

	wbuf_init(&w, txbuf, sizeof(txbuf));
	m = rsp_put_msg_begin(&w, ASAP_DEREGISTRATION_RESPONSE, 0);
	rsp_put_handle(&w, h, hlen);
	rsp_put_pe_id(&w, id);
	if (e != NULL)
		rsp_put_op_error(&w, e);
	rsp_put_msg_end(&w, m);
	send_wbuf(as, &w);
}

static void
send_keepalive(struct registrar *r, struct reg_pe *rp, bool home)
{
	const uint8_t *h;
	struct wbuf w;
	size_t m, hlen;

	h = hs_pool_handle(hs_pe_pool(rp->pe), &hlen);
	wbuf_init(&w, txbuf, sizeof(txbuf));
	m = rsp_put_msg_begin(&w, ASAP_ENDPOINT_KEEP_ALIVE,
	    home ? ASAP_FLAG_HOME : 0);
	wbuf_u32(&w, r->server_id);
	rsp_put_handle(&w, h, hlen);
	/*
	 * RSPLIB's addition (asap.md §2.1): the PE Identifier, so that an
	 * association carrying several PEs of one pool knows which is meant.
	 */
	rsp_put_pe_id(&w, hs_pe_id(rp->pe));
	rsp_put_msg_end(&w, m);
	r->stats.keepalives_sent++;
	send_wbuf(rp->as, &w);
}

/* ---- PE state ------------------------------------------------------------ */

static uint64_t
ka_jitter(const struct registrar *r)
{
	uint64_t iv = r->conf.keepalive_interval;

	/* RFC 5352 §3.5: vary each PE's interval by up to ±50 %. */
	return iv / 2 + (iv > 0 ? rnd() % (iv + 1) : 0);
}

static void ka_fire(struct ev_loop *, void *, unsigned int);

static void
ka_schedule(struct reg_pe *rp, uint64_t delay)
{
	if (ev_timer_add(rp->r->loop, delay, ka_fire, rp, &rp->ka) != 0)
		fatal("%s: timer", __func__);
}

static void
ka_fire(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct reg_pe *rp = arg;
	struct registrar *r = rp->r;

	(void)loop;
	(void)revents;
	if (rp->ka_waiting) {
		r->stats.keepalive_timeouts++;
		registrar_pe_remove(r, rp->pe, "no answer to keep-alive");
		return;
	}
	rp->ka_waiting = true;
	ka_schedule(rp, r->conf.keepalive_timeout);
	send_keepalive(r, rp, false);
}

static void
reg_pe_free(struct reg_pe *rp)
{
	if (rp == NULL)
		return;
	ev_cancel(&rp->ka);
	if (rp->as != NULL) {
		LIST_REMOVE(rp, as_entry);
		rp->as->npes--;
	}
	hs_pe_set_udata(rp->pe, NULL);
	free(rp);
}

static const char *
pe_name(const struct hs_pe *pe, char *buf, size_t len)
{
	const uint8_t *h;
	size_t hlen, i, o = 0;

	h = hs_pool_handle(hs_pe_pool(pe), &hlen);
	for (i = 0; i < hlen && o + 5 < len; i++)
		o += (size_t)snprintf(buf + o, len - o,
		    (h[i] >= 0x20 && h[i] < 0x7f && h[i] != '"') ? "%c" : "\\x%02x",
		    h[i]);
	snprintf(buf + o, len - o, "/0x%08x", hs_pe_id(pe));
	return buf;
}

void
registrar_pe_remove(struct registrar *r, struct hs_pe *pe, const char *why)
{
	char n[160];

	log_rl_info(&r->rl_peer, now_ms(r), "PE %s removed: %s",
	    pe_name(pe, n, sizeof(n)), why);
	enrp_pe_removing(r, pe);	/* ENRP: DEL_PE to the peers */
	reg_pe_free(hs_pe_udata(pe));
	hs_remove(r->hs, pe);
	expiry_arm(r);
}

void
registrar_pe_release(struct registrar *r, struct hs_pe *pe)
{
	char n[160];

	log_rl_info(&r->rl_peer, now_ms(r), "PE %s moved to another "
	    "registrar", pe_name(pe, n, sizeof(n)));
	reg_pe_free(hs_pe_udata(pe));
}

void
registrar_expiry_arm(struct registrar *r)
{
	expiry_arm(r);
}

/* ---- registration-life expiry ------------------------------------------ */

static void
expire_cb(struct hs *hs, struct hs_pe *pe, void *arg)
{
	struct registrar *r = arg;
	struct reg_pe *rp = hs_pe_udata(pe);
	const uint8_t *h;
	size_t hlen;
	char n[160];

	(void)hs;
	r->stats.expirations++;
	enrp_pe_removing(r, pe);	/* ENRP: DEL_PE to the peers */
	log_rl_info(&r->rl_peer, now_ms(r), "PE %s removed: registration "
	    "life expired", pe_name(pe, n, sizeof(n)));
	/* RFC 5352 §3.3: tell the PE with an unsolicited response. */
	if (rp != NULL && rp->as != NULL) {
		h = hs_pool_handle(hs_pe_pool(pe), &hlen);
		send_dereg_response(rp->as, h, hlen, hs_pe_id(pe), NULL);
	}
	reg_pe_free(rp);
}

static void
expiry_fire(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct registrar *r = arg;

	(void)loop;
	(void)revents;
	hs_expire(r->hs, now_ms(r), expire_cb, r);
	expiry_arm(r);
}

static void
expiry_arm(struct registrar *r)
{
	uint64_t next = hs_next_expiry(r->hs);

	if (next == HS_NEVER) {
		ev_cancel(&r->expiry);
		return;
	}
	if (ev_timer_add_at(r->loop, next, expiry_fire, r, &r->expiry) != 0)
		fatal("%s: timer", __func__);
}

/* ---- message handlers ---------------------------------------------------- */

/* Cause code with a re-encoded Pool Element parameter as its data. */
static void
pe_cause(struct rsp_cause *c, uint16_t code, const struct rsp_pe *pe,
    uint8_t *buf, size_t cap)
{
	struct wbuf w;

	wbuf_init(&w, buf, cap);
	rsp_put_pe(&w, pe);
	set_cause(c, code, w.err ? NULL : buf, w.err ? 0 : w.len - w.tail_pad,
	    buf);
}

/* A reject's cause, with the pool's policy or transport where RFC 5354 asks. */
static void
reject_info(struct registrar *r, const struct rsp_msg *m, int rc,
    struct rsp_op_error *e, struct wbuf *w)
{
	struct hs_pool *pool;
	struct rsp_pe first;
	size_t s;

	e->ncause = 1;
	e->cause[0].code = hs_error_cause(rc);
	if (e->cause[0].code == RSP_CAUSE_INVALID_VALUES) {
		/* The offending parameter: the PE as it was registered. */
		pe_cause(&e->cause[0], RSP_CAUSE_INVALID_VALUES, &m->pe,
		    w->p, w->cap);
		return;
	}
	pool = hs_pool_find(r->hs, m->handle.p, m->handle.len);
	if (pool == NULL || hs_pe_first(pool) == NULL)
		return;
	hs_pe_export(hs_pe_first(pool), &first);
	s = w->len;
	if (rc == HS_E_POLICY) {
		first.policy.nval = 0;
		first.policy.type = hs_pool_policy(pool);
		rsp_put_policy(w, &first.policy);
	} else if (rc == HS_E_TRANSPORT || rc == HS_E_DATA_CTRL) {
		rsp_put_transport(w, &first.user);
	} else {
		return;
	}
	if (rc == HS_E_DATA_CTRL || w->err)
		return;	/* §3.12.8: no cause-specific information */
	e->cause[0].info.p = w->p + s;
	e->cause[0].info.len = (uint16_t)(w->len - s);
}

static void
on_registration(struct assoc *as, const struct rsp_msg *m)
{
	static uint8_t infobuf[512];
	struct registrar *r = as->r;
	struct rsp_op_error e = { 0 };
	struct rsp_pe pe = m->pe;
	struct hs_pe *hp, *old;
	struct reg_pe *rp;
	struct wbuf iw;
	uint64_t expires, life;
	bool isnew;
	char n[160];
	int rc;

	old = hs_lookup(r->hs, m->handle.p, m->handle.len, pe.id);
	rp = old != NULL ? hs_pe_udata(old) : NULL;
	e.ncause = 1;
	/* RFC 5354 §3.10: Registration Life is positive, or -1 (infinite). */
	if (pe.life == 0 || (pe.life < 0 && pe.life != RSP_LIFE_INFINITE)) {
		pe_cause(&e.cause[0], RSP_CAUSE_INVALID_VALUES, &m->pe, infobuf,
		    sizeof(infobuf));
		goto reject;
	}
	/*
	 * RFC 5352 §3.2: a different PE using this identifier.  A PE that
	 * registers again from the same host over a new association (it lost
	 * the old one, or moved here through the anycast address) is the same
	 * PE; one from another host while the first is connected is not.
	 */
	if (rp != NULL && rp->as != NULL && rp->as != as &&
	    !same_peer_ip(&rp->as->peer, &as->peer)) {
		e.cause[0].code = RSP_CAUSE_NON_UNIQUE_PE_ID;
		goto reject;
	}
	if ((rp == NULL || rp->as != as) &&
	    as->npes >= r->conf.max_pes_per_assoc) {
		e.cause[0].code = RSP_CAUSE_LACK_OF_RESOURCES;
		goto reject;
	}
	if (pe.life == RSP_LIFE_INFINITE) {
		expires = HS_NEVER;
	} else {
		life = (uint64_t)pe.life * r->conf.life_unit;
		if (r->conf.life_max != 0 && life > r->conf.life_max)
			life = r->conf.life_max;
		expires = now_ms(r) + life;
	}
	pe.home_id = r->server_id;
	pe.has_asap = true;
	assoc_transport(as, &pe.asap);
	rc = hs_register(r->hs, m->handle.p, m->handle.len, &pe, expires, &hp,
	    &isnew);
	if (rc != 0) {
		wbuf_init(&iw, infobuf, sizeof(infobuf));
		reject_info(r, m, rc, &e, &iw);
		r->stats.registration_rejects++;
		log_rl_warnx(&as->rl, now_ms(r), "%s: registration of %.*s/0x%08x "
		    "rejected: %s", as->name, (int)m->handle.len,
		    (const char *)m->handle.p, pe.id, hs_strerror(rc));
		send_reg_response(as, &m->handle, pe.id, &e);
		return;
	}
	if (rp == NULL) {
		if ((rp = calloc(1, sizeof(*rp))) == NULL)
			fatal("%s", __func__);
		rp->r = r;
		rp->pe = hp;
		hs_pe_set_udata(hp, rp);
	}
	rp->pe = hp;
	if (rp->as != as) {
		if (rp->as != NULL) {
			LIST_REMOVE(rp, as_entry);
			rp->as->npes--;
		}
		rp->as = as;
		LIST_INSERT_HEAD(&as->pes, rp, as_entry);
		as->npes++;
	}
	rp->bad_reports = 0;
	if (!rp->ka_waiting)
		ka_schedule(rp, ka_jitter(r));
	expiry_arm(r);
	if (isnew) {
		r->stats.registrations++;
		log_rl_info(&r->rl_peer, now_ms(r), "PE %s registered from %s "
		    "(%s)", pe_name(hp, n, sizeof(n)), as->name,
		    rsp_policy_name(pe.policy.type));
	} else {
		r->stats.reregistrations++;
		log_debug("PE %s re-registered from %s",
		    pe_name(hp, n, sizeof(n)), as->name);
	}
	enrp_pe_registered(r, hp);	/* ENRP: ADD_PE to the peers */
	send_reg_response(as, &m->handle, pe.id, NULL);
	return;

reject:
	r->stats.registration_rejects++;
	log_rl_warnx(&as->rl, now_ms(r), "%s: registration of PE 0x%08x "
	    "rejected: %s", as->name, pe.id, rsp_cause_name(e.cause[0].code));
	send_reg_response(as, &m->handle, pe.id, &e);
}

static void
on_deregistration(struct assoc *as, const struct rsp_msg *m)
{
	struct registrar *r = as->r;
	struct rsp_op_error e = { .ncause = 1 };
	struct hs_pe *pe;
	struct reg_pe *rp;

	pe = hs_lookup(r->hs, m->handle.p, m->handle.len, m->pe_id);
	rp = pe != NULL ? hs_pe_udata(pe) : NULL;
	/* RFC 5352 §3.3: only the PE itself deregisters (no proxy). */
	if (rp != NULL && rp->as != NULL && rp->as != as &&
	    !same_peer_ip(&rp->as->peer, &as->peer)) {
		e.cause[0].code = RSP_CAUSE_SECURITY;
		log_rl_warnx(&as->rl, now_ms(r), "%s: deregistration of PE "
		    "0x%08x refused: registered by %s", as->name, m->pe_id,
		    rp->as->name);
		send_dereg_response(as, m->handle.p, m->handle.len, m->pe_id, &e);
		return;
	}
	if (pe != NULL) {
		r->stats.deregistrations++;
		enrp_pe_deregistered(r, pe);	/* ENRP: another server's PE */
		registrar_pe_remove(r, pe, "deregistered");
	}
	/* Not found: success all the same (RFC 5352 §3.3). */
	send_dereg_response(as, m->handle.p, m->handle.len, m->pe_id, NULL);
}

static void
on_resolution(struct assoc *as, const struct rsp_msg *m)
{
	static struct hs_pe **pes;
	static size_t npes_cap;
	struct registrar *r = as->r;
	struct rsp_policy pol;
	struct hs_pool *pool;
	struct rsp_pe pe;
	struct wbuf w;
	size_t n, cnt, i, s, before;
	int nval;

	r->stats.resolutions++;
	n = r->conf.resolution_items;
	if (m->has_hropt && m->hropt_items != 0)
		n = m->hropt_items;
	if (n > r->conf.resolution_items_max)
		n = r->conf.resolution_items_max;
	if (npes_cap < n) {
		free(pes);
		if ((pes = calloc(n, sizeof(*pes))) == NULL)
			fatal("%s", __func__);
		npes_cap = n;
	}
	wbuf_init(&w, txbuf, sizeof(txbuf));
	/* Room for our Registrar Identity at the end, if asked for. */
	if (m->has_regid)
		w.cap = RSP_MSG_MAX_LEN - (RSP_TLV_HDR_LEN + 4 +
		    RSP_REGID_NODE_MAX);
	/* RFC 5352 §2.2.6: subscriptions (S) are not offered: A stays 0. */
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
	rsp_put_handle(&w, m->handle.p, m->handle.len);
	pool = hs_pool_find(r->hs, m->handle.p, m->handle.len);
	if (pool == NULL) {
		struct rsp_op_error e = { .ncause = 1 };

		r->stats.resolution_misses++;
		e.cause[0].code = RSP_CAUSE_UNKNOWN_POOL_HANDLE;
		rsp_put_op_error(&w, &e);
	} else {
		cnt = hs_pool_resolve(r->hs, pool, n, pes);
		/* Overall policy: always, as RSPLIB does (MUST unless RR). */
		memset(&pol, 0, sizeof(pol));
		pol.type = hs_pool_policy(pool);
		nval = rsp_policy_nval(pol.type);
		pol.nval = (uint8_t)(nval > 0 ? nval : 0);
		rsp_put_policy(&w, &pol);
		for (i = 0; i < cnt; i++) {
			hs_pe_export(pes[i], &pe);
			pe.has_asap = false;	/* not for pool users */
			before = w.len;
			rsp_put_pe(&w, &pe);
			if (w.err) {	/* answer full: send what fits */
				w.err = false;
				w.len = before;
				break;
			}
		}
	}
	/*
	 * doc/spec/registrar-identity.md: who answered, in success and error
	 * answers alike, and only when asked: a request without it gets the
	 * bytes it always got.
	 */
	if (m->has_regid) {
		w.cap = sizeof(txbuf);
		rsp_put_regid(&w, r->server_id, r->conf.node_name,
		    strnlen(r->conf.node_name, RSP_REGID_NODE_MAX));
		r->stats.identity_answers++;
	}
	rsp_put_msg_end(&w, s);
	send_wbuf(as, &w);
}

static void
on_keepalive_ack(struct assoc *as, const struct rsp_msg *m)
{
	struct registrar *r = as->r;
	struct hs_pe *pe;
	struct reg_pe *rp;

	pe = hs_lookup(r->hs, m->handle.p, m->handle.len, m->pe_id);
	if (pe == NULL || (rp = hs_pe_udata(pe)) == NULL || rp->as != as) {
		log_rl_debug(&as->rl, now_ms(r), "%s: keep-alive ack for an "
		    "unknown PE 0x%08x", as->name, m->pe_id);
		return;
	}
	if (rp->ka_waiting) {
		rp->ka_waiting = false;
		ka_schedule(rp, ka_jitter(r));
	}
}

static void
on_unreachable(struct assoc *as, const struct rsp_msg *m)
{
	struct registrar *r = as->r;
	struct hs_pe *pe;
	struct reg_pe *rp;
	char n[160];

	r->stats.unreachable_reports++;
	pe = hs_lookup(r->hs, m->handle.p, m->handle.len, m->pe_id);
	if (pe == NULL)
		return;
	rp = hs_pe_udata(pe);
	if (rp == NULL) {
		/*
		 * A PE another registrar owns: its owner probes it.  Until
		 * ENRP carries these reports, count them nowhere.
		 */
		return;
	}
	/* RFC 5352 §3.5: beyond MAX-BAD-PE-REPORT the PE goes. */
	if (++rp->bad_reports > r->conf.max_bad_pe_reports) {
		r->stats.unreachable_removals++;
		registrar_pe_remove(r, pe, "reported unreachable too often");
		return;
	}
	log_rl_info(&as->rl, now_ms(r), "%s: PE %s reported unreachable "
	    "(%u of %u)", as->name, pe_name(pe, n, sizeof(n)), rp->bad_reports,
	    r->conf.max_bad_pe_reports);
	/* ... and gets a keep-alive at once; its timeout removes it. */
	if (!rp->ka_waiting && rp->as != NULL) {
		rp->ka_waiting = true;
		ka_schedule(rp, r->conf.keepalive_timeout);
		send_keepalive(r, rp, false);
	}
}

/* Token bucket per association: request_rate/s, request_burst deep. */
static bool
rate_ok(struct assoc *as)
{
	struct registrar *r = as->r;
	uint64_t t = now_ms(r), cap = (uint64_t)r->conf.request_burst * 1000;

	as->tokens += (t - as->tokens_at) * r->conf.request_rate;
	as->tokens_at = t;
	if (as->tokens > cap)
		as->tokens = cap;
	if (as->tokens < 1000)
		return false;
	as->tokens -= 1000;
	return true;
}

static void
handle_message(struct assoc *as, const uint8_t *p, size_t len)
{
	struct registrar *r = as->r;
	/*
	 * Handles are checked against the limit below, not by the decoder, so
	 * that a registration with a long handle gets its Registration Response.
	 */
	struct rsp_decode_opts opts = { .pool_handle_max = UINT16_MAX };
	struct rsp_msg m;
	struct rsp_err err;

	as->rx_msgs++;
	r->stats.rx_bytes += len;
	if (!rate_ok(as)) {
		/* Over the rate: one Lack of Resources now and then, else drop. */
		if (r->stats.rate_limited++ % 64 == 0 || as->tokens_at == 0)
			send_error(as, RSP_CAUSE_LACK_OF_RESOURCES, NULL, 0);
		log_rl_warnx(&as->rl, now_ms(r), "%s: over the request rate "
		    "(%u/s): messages dropped", as->name, r->conf.request_rate);
		return;
	}
	if (rsp_decode(RSP_PROTO_ASAP, p, len, &opts, &m, &err) != 0) {
		r->stats.rx_errors[err.cause <= RSP_CAUSE_MAX ? err.cause :
		    RSP_CAUSE_MAX + 1]++;
		log_rl_warnx(&as->rl, now_ms(r), "%s: bad message: %s%s",
		    as->name, err.what, err.silent ? " (discarded)" : "");
		if (!err.silent)
			send_error(as, err.cause, err.data.p, err.data.len);
		return;
	}
	r->stats.rx_msgs[m.type]++;
	if (m.nunrec > 0)
		send_unrecognized(as, &m);
	if (m.has_handle && m.handle.len > r->conf.max_handle_len) {
		r->stats.rx_errors[RSP_CAUSE_INVALID_VALUES]++;
		log_rl_warnx(&as->rl, now_ms(r), "%s: %s with a pool handle of "
		    "%u bytes (limit %u)", as->name,
		    rsp_msg_name(RSP_PROTO_ASAP, m.type), m.handle.len,
		    r->conf.max_handle_len);
		if (m.type == ASAP_REGISTRATION && m.handle.len <= ERR_DATA_MAX) {
			struct rsp_op_error e = { .ncause = 1 };

			e.cause[0].code = RSP_CAUSE_INVALID_VALUES;
			e.cause[0].info.p = m.handle.p - RSP_TLV_HDR_LEN;
			e.cause[0].info.len = m.handle.len + RSP_TLV_HDR_LEN;
			r->stats.registration_rejects++;
			send_reg_response(as, &m.handle, m.pe.id, &e);
		} else {
			/* The Pool Handle parameter is the offending TLV. */
			send_error(as, RSP_CAUSE_INVALID_VALUES, m.handle.p - 4,
			    m.handle.len + 4u);
		}
		return;
	}
	switch (m.type) {
	case ASAP_REGISTRATION:
		on_registration(as, &m);
		break;
	case ASAP_DEREGISTRATION:
		on_deregistration(as, &m);
		break;
	case ASAP_HANDLE_RESOLUTION:
		on_resolution(as, &m);
		break;
	case ASAP_ENDPOINT_KEEP_ALIVE_ACK:
		on_keepalive_ack(as, &m);
		break;
	case ASAP_ENDPOINT_UNREACHABLE:
		on_unreachable(as, &m);
		break;
	case ASAP_ERROR:
		log_rl_warnx(&as->rl, now_ms(r), "%s: peer reports error: %s",
		    as->name, m.error.ncause > 0 ?
		    rsp_cause_name(m.error.cause[0].code) : "?");
		break;
	default:
		/* A message a registrar never receives (wrong direction). */
		log_rl_warnx(&as->rl, now_ms(r), "%s: unexpected %s message",
		    as->name, rsp_msg_name(RSP_PROTO_ASAP, m.type));
		send_error(as, RSP_CAUSE_UNRECOGNIZED_MSG, p,
		    len > m.length ? m.length : len);
		break;
	}
}

/* ---- associations -------------------------------------------------------- */

static void
assoc_free_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct assoc *as = arg;

	(void)loop;
	(void)revents;
	rsp_stream_free(&as->rx);
	rsp_outq_free(&as->tx);
	free(as);
}

static void
assoc_close(struct assoc *as, const char *why)
{
	struct registrar *r = as->r;
	struct reg_pe *rp;

	if (as->fd < 0)
		return;
	log_rl_info(&r->rl_peer, now_ms(r), "%s: association closed: %s "
	    "(%u PEs)", as->name, why, as->npes);
	while ((rp = LIST_FIRST(&as->pes)) != NULL) {
		r->stats.assoc_lost_removals++;
		registrar_pe_remove(r, rp->pe, "association lost");
	}
	ev_cancel(&as->io);
	close(as->fd);
	as->fd = -1;
	TAILQ_REMOVE(&r->assocs, as, entry);
	r->nassocs--;
	r->stats.assocs_closed++;
	/* Freed after this iteration: callers up the stack still hold it. */
	if (ev_defer(r->loop, assoc_free_cb, as, NULL) != 0)
		fatal("%s: defer", __func__);
}

/* rsp_stream_read() callback: one whole message; false once closed. */
static bool
assoc_message(void *arg, const uint8_t *msg, size_t len)
{
	struct assoc *as = arg;

	handle_message(as, msg, len);
	return as->fd >= 0;
}

static void
assoc_read_tcp(struct assoc *as)
{
	struct registrar *r = as->r;

	switch (rsp_stream_read(&as->rx, as->fd, r->conf.max_message_size,
	    assoc_message, as)) {
	case RSP_STREAM_AGAIN:
	case RSP_STREAM_STOPPED:
		break;
	case RSP_STREAM_EOF:
		assoc_close(as, "closed by peer");
		break;
	case RSP_STREAM_ERROR:
		assoc_close(as, strerror(errno));
		break;
	case RSP_STREAM_UNFRAMEABLE:
		r->stats.rx_errors[RSP_CAUSE_INVALID_VALUES]++;
		send_error(as, RSP_CAUSE_INVALID_VALUES, NULL, 0);
		assoc_close(as, "unframeable message length");
		break;
	case RSP_STREAM_TOO_BIG:
		r->stats.rx_errors[RSP_CAUSE_LACK_OF_RESOURCES]++;
		send_error(as, RSP_CAUSE_LACK_OF_RESOURCES, NULL, 0);
		assoc_close(as, "message larger than message-size");
		break;
	}
}

/* rsp_stream_read_sctp() callback: ASAP is PPID 11 (RFC 5352 §8.3). */
static bool
assoc_sctp_message(void *arg, uint32_t ppid, const uint8_t *msg, size_t len)
{
	struct assoc *as = arg;

	if (ppid != ASAP_PPID) {
		log_rl_warnx(&as->rl, now_ms(as->r), "%s: message with PPID %u "
		    "ignored", as->name, ppid);
		return true;
	}
	return assoc_message(as, msg, len);
}

static void
assoc_read_sctp(struct assoc *as)
{
	switch (rsp_stream_read_sctp(&as->rx, as->fd, as->r->conf.max_message_size,
	    assoc_sctp_message, as)) {
	case RSP_STREAM_AGAIN:
	case RSP_STREAM_STOPPED:
	case RSP_STREAM_UNFRAMEABLE:	/* not on SCTP: messages are whole */
		break;
	case RSP_STREAM_EOF:
		assoc_close(as, "closed by peer");
		break;
	case RSP_STREAM_ERROR:
		assoc_close(as, strerror(errno));
		break;
	case RSP_STREAM_TOO_BIG:
		send_error(as, RSP_CAUSE_LACK_OF_RESOURCES, NULL, 0);
		assoc_close(as, "message larger than message-size");
		break;
	}
}

static void
assoc_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct assoc *as = arg;

	(void)loop;
	if ((revents & EV_WRITE) && assoc_flush(as) == -1) {
		assoc_close(as, strerror(errno));
		return;
	}
	if (revents & (EV_READ | EV_HUP | EV_ERROR)) {
		if (as->transport == ASSOC_SCTP)
			assoc_read_sctp(as);
		else
			assoc_read_tcp(as);
	}
}

static void
tcp_tune(struct registrar *r, int fd)
{
	int on = 1, idle, cnt = 3, intvl = 1;
	unsigned int uto = r->conf.keepalive_interval + r->conf.keepalive_timeout;

	/* One message per segment where we can: Wireshark reads them so. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	/* Liveness of the connection itself (DESIGN: TCP mapping). */
	idle = (int)(r->conf.keepalive_interval / 1000);
	if (idle < 1)
		idle = 1;
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
	int on = 1;

	setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof(on));
	/*
	 * Linux subscribes a new socket to no events at all, and without
	 * sctp_data_io_event sctp_recvmsg() fills in no sctp_sndrcvinfo:
	 * every message would look like PPID 0 and be ignored.
	 */
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)) == -1)
		log_warn("setsockopt SCTP_EVENTS");
}

static struct assoc *
assoc_new(struct registrar *r, int fd, enum assoc_transport t,
    const struct sockaddr_storage *ss)
{
	struct assoc *as;
	socklen_t sl;
	char a[64];

	if ((as = calloc(1, sizeof(*as))) == NULL)
		fatal("%s", __func__);
	as->r = r;
	as->fd = fd;
	as->transport = t;
	as->id = ++r->next_assoc_id;
	as->peer = *ss;
	sl = sizeof(as->local);
	getsockname(fd, (struct sockaddr *)&as->local, &sl);
	sa_str(ss, a, sizeof(a));
	snprintf(as->name, sizeof(as->name), "%s %s", assoc_transport_name(t),
	    a);
	as->since = now_ms(r);
	as->tokens = (uint64_t)r->conf.request_burst * 1000;
	as->tokens_at = as->since;
	as->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 10000);
	LIST_INIT(&as->pes);
	if (t == ASSOC_TCP)
		tcp_tune(r, fd);
	else
		sctp_tune(fd);
	if (ev_fd_add(r->loop, fd, EV_READ, assoc_io, as, &as->io) != 0)
		fatal("%s: ev_fd_add", __func__);
	TAILQ_INSERT_TAIL(&r->assocs, as, entry);
	r->nassocs++;
	return as;
}

/*
 * ENRP takeover (RFC 5353 §3.5.2, RFC 5352 §3.5): an SCTP association this
 * registrar opened to a PE it took over becomes an ordinary ASAP
 * association, and the PE is kept alive over it, starting with an
 * ENDPOINT_KEEP_ALIVE with H=1 (this is its new home).  RSPLIB's PE adopts
 * the sender as its home, answers, and re-registers over it.
 */
struct assoc *
registrar_assoc_adopt(struct registrar *r, int fd,
    const struct sockaddr_storage *ss)
{
	struct assoc *as = assoc_new(r, fd, ASSOC_SCTP, ss);

	log_debug("%s: association opened for a home change", as->name);
	return as;
}

void
registrar_pe_adopt(struct registrar *r, struct hs_pe *pe, struct assoc *as)
{
	struct reg_pe *rp;

	if (hs_pe_udata(pe) != NULL)
		return;
	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		fatal("%s", __func__);
	rp->r = r;
	rp->pe = pe;
	rp->as = as;
	LIST_INSERT_HEAD(&as->pes, rp, as_entry);
	as->npes++;
	hs_pe_set_udata(pe, rp);
	rp->ka_waiting = true;
	ka_schedule(rp, r->conf.keepalive_timeout);
	send_keepalive(r, rp, true);
}

static void
listener_accept(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct listener *l = arg;
	struct registrar *r = l->r;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct assoc *as;
	char a[64];
	int fd;

	(void)loop;
	(void)revents;
	while ((fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (r->nassocs >= r->conf.max_associations) {
			r->stats.assocs_refused++;
			sa_str(&ss, a, sizeof(a));
			log_rl_warnx(&r->rl_peer, now_ms(r), "%s: refused: "
			    "%u associations (limit)", a, r->nassocs);
			close(fd);
			sl = sizeof(ss);
			continue;
		}
		as = assoc_new(r, fd, l->transport, &ss);
		r->stats.assocs_accepted++;
		log_debug("%s: association up", as->name);
		sl = sizeof(ss);
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
	    errno != ECONNABORTED)
		log_rl_warnx(&r->rl_peer, now_ms(r), "accept: %s",
		    strerror(errno));
}

/* ---- listeners ------------------------------------------------------------ */

static int
listener_open(struct registrar *r, const struct sockaddr_storage *ss,
    socklen_t sslen, enum assoc_transport t, struct listener *ret)
{
	int fd, on = 1, proto = t == ASSOC_SCTP ? IPPROTO_SCTP : IPPROTO_TCP;
	char a[64];

	sa_str(ss, a, sizeof(a));
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    proto);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* The anycast address may not be on lo yet: healthd adds it later. */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)ss, sslen) == -1 ||
	    listen(fd, 256) == -1) {
		int e = errno;

		log_warnx("listen on %s %s: %s", assoc_transport_name(t), a,
		    strerror(e));
		close(fd);
		return -e;
	}
	memset(ret, 0, sizeof(*ret));
	ret->r = r;
	ret->fd = fd;
	ret->transport = t;
	ret->ss = *ss;
	ret->sslen = sslen;
	log_info("listening for ASAP on %s %s", assoc_transport_name(t), a);
	return 0;
}

static bool
sctp_available(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void
default_listen(struct registrar_config *c)
{
	struct sockaddr_in *s4;
	struct sockaddr_in6 *s6;

	memset(&c->listen[0], 0, sizeof(c->listen[0]) * 2);
	s4 = (struct sockaddr_in *)&c->listen[0].ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(ASAP_PORT);
	c->listen[0].sslen = sizeof(*s4);
	c->listen[0].transports = CONF_TRANSPORT_TCP | CONF_TRANSPORT_SCTP;
	s6 = (struct sockaddr_in6 *)&c->listen[1].ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(ASAP_PORT);
	c->listen[1].sslen = sizeof(*s6);
	c->listen[1].transports = CONF_TRANSPORT_TCP | CONF_TRANSPORT_SCTP;
	c->nlisten = 2;
}

static void
listeners_close(struct registrar *r)
{
	size_t i;

	for (i = 0; i < r->nlisteners; i++) {
		ev_cancel(&r->listeners[i].io);
		close(r->listeners[i].fd);
	}
	free(r->listeners);
	r->listeners = NULL;
	r->nlisteners = 0;
}

static int
listeners_open(struct registrar *r)
{
	struct registrar_config *c = &r->conf;
	struct listener *ls;
	size_t i, n = 0;
	int t;

	if (c->nlisten == 0)
		default_listen(c);
	if ((ls = calloc(c->nlisten * 2, sizeof(*ls))) == NULL)
		return -ENOMEM;
	for (i = 0; i < c->nlisten; i++) {
		for (t = ASSOC_TCP; t <= ASSOC_SCTP; t++) {
			if (t == ASSOC_TCP &&
			    !(c->listen[i].transports & CONF_TRANSPORT_TCP))
				continue;
			if (t == ASSOC_SCTP &&
			    (!(c->listen[i].transports & CONF_TRANSPORT_SCTP) ||
			    !r->sctp_ok))
				continue;
			if (listener_open(r, &c->listen[i].ss,
			    c->listen[i].sslen, t, &ls[n]) != 0)
				continue;
			n++;
		}
	}
	r->listeners = ls;
	r->nlisteners = n;
	for (i = 0; i < n; i++)
		if (ev_fd_add(r->loop, ls[i].fd, EV_READ, listener_accept,
		    &ls[i], &ls[i].io) != 0)
			return -ENOMEM;
	return n > 0 ? 0 : -EADDRNOTAVAIL;
}

static void
hs_limits_from(const struct registrar_config *c, struct hs_limits *l)
{
	hs_limits_default(l);
	l->max_pools = c->max_pools;
	l->max_pes = c->max_pes;
	l->max_pool_pes = c->max_pes_per_pool;
	l->max_handle_len = c->max_handle_len;
}

int
registrar_init(struct registrar *r, struct ev_loop *loop,
    const struct registrar_config *conf)
{
	struct hs_limits lim;
	int rc;

	memset(r, 0, sizeof(*r));
	r->loop = loop;
	r->conf = *conf;
	r->announce_fd4 = r->announce_fd6 = -1;
	TAILQ_INIT(&r->assocs);
	r->rl_peer = (struct log_ratelimit)LOG_RATELIMIT_INIT(50, 1000);
	r->rl_announce = (struct log_ratelimit)LOG_RATELIMIT_INIT(1, 60000);
	r->server_id = conf->server_id;
	while (r->server_id == 0)
		if (getrandom(&r->server_id, sizeof(r->server_id), 0) !=
		    sizeof(r->server_id))
			return -errno;
	hs_limits_from(conf, &lim);
	if ((r->hs = hs_new(&lim)) == NULL)
		return -ENOMEM;
	r->started = ev_now(loop);
	r->sctp_ok = sctp_available();
	if (!r->sctp_ok)
		log_info("the kernel has no SCTP: serving ASAP over TCP only");
	if ((rc = listeners_open(r)) != 0)
		return rc;
	if (r->conf.announce && (rc = announce_start(r)) != 0)
		log_warnx("server announces: %s", strerror(-rc));
	return 0;
}

int
registrar_reconfigure(struct registrar *r, const struct registrar_config *conf)
{
	struct hs_limits lim;
	uint32_t id = r->server_id;
	int rc;

	announce_stop(r);
	listeners_close(r);
	r->conf = *conf;
	hs_limits_from(conf, &lim);
	hs_set_limits(r->hs, &lim);
	/* The server id stays: peers and PEs know us by it. */
	r->server_id = id;
	rc = listeners_open(r);
	if (r->conf.announce)
		announce_start(r);
	r->stats.config_reloads++;
	return rc;
}

void
registrar_shutdown(struct registrar *r)
{
	struct assoc *as;

	announce_stop(r);
	listeners_close(r);
	while ((as = TAILQ_FIRST(&r->assocs)) != NULL)
		assoc_close(as, "registrar shutting down");
	ev_cancel(&r->expiry);
	hs_free(r->hs);
	r->hs = NULL;
}
