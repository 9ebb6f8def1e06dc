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
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "registrar.h"
#include "addr.h"
#include "enrp.h"

#define SRC_BUCKETS	1024		/* source address hash */
#define SWEEP_MS	1000		/* idle and message deadlines */
/* Descriptors kept for the control socket, metrics, ENRP and reloads. */
#define FD_RESERVE	32
#define ERR_DATA_MAX	1024		/* cause data we echo back */
#define MSG_BUF		65536

static void	assoc_close(struct assoc *, const char *);
static void	expiry_arm(struct registrar *);

static uint8_t	 txbuf[MSG_BUF + 8];

/* The loop's clock; while a message is handled, read once for it. */
static uint64_t
now_ms(const struct registrar *r)
{
	return r->in_msg ? r->msg_now : ev_now(r->loop);
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

/* The association's peer as an SCTP transport (the PE's ASAP transport). */
static void
assoc_transport(const struct assoc *as, struct rsp_transport *t)
{
	/* All but the address array, read up to naddr (issue 14). */
	memset(t, 0, offsetof(struct rsp_transport, addr));
	t->opaque = (struct rsp_bytes){ NULL, 0 };
	memset(&t->addr[0], 0, sizeof(t->addr[0]));
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

/* ---- sending ----------------------------------------------------------- */

/*
 * Queue one encoded message (padded to 4) and try to send it at once; or,
 * batch: leave it queued for ka_flush() after this keep-alive tick.
 */
static void
assoc_send(struct assoc *as, const uint8_t *p, size_t len, uint8_t type,
    bool batch)
{
	struct registrar *r = as->r;

	if (!cn_is_open(&as->cn))
		return;
	as->tx_msgs++;
	r->stats.tx_bytes += len;
	if (type <= ASAP_MSG_MAX)
		r->stats.tx_msgs[type]++;
	/* On failure the close callback (assoc_closed) has run. */
	if (!batch)
		(void)cn_send(&as->cn, p, len);
	else if (cn_send_queued(&as->cn, p, len) == 0 && !as->ka_queued) {
		as->ka_queued = true;
		TAILQ_INSERT_TAIL(&r->ka_flush, as, ka_entry);
	}
}

static void
send_wbuf_batch(struct assoc *as, struct wbuf *w, bool batch)
{
	if (w->err) {
		log_warnx("%s: internal: message does not fit", as->name);
		return;
	}
	assoc_send(as, w->p, w->len, w->p[0], batch);
}

static void
send_wbuf(struct assoc *as, struct wbuf *w)
{
	send_wbuf_batch(as, w, false);
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

/*
 * doc/spec/registrar-unicast.md (issue 13 item 3): this node's unicast
 * addresses as transports of the association's kind (SCTP for SCTP, TCP
 * for the TCP mapping, TLS or not), each on its configured port or the
 * one the client came to; nothing when none is configured.
 */
static void
reguni_put(struct assoc *as, struct wbuf *w)
{
	const struct registrar_config *c = &as->r->conf;
	struct rsp_transport tr[RSP_REGUNI_MAX];
	struct rsp_transport *t;
	size_t n = 0, i, k;
	uint16_t port;

	memset(tr, 0, sizeof(tr));
	for (i = 0; i < c->nunicast; i++) {
		const struct sockaddr_storage *ss = &c->unicast[i].ss;

		if ((port = addr_port(ss)) == 0)
			port = addr_port(&as->local);
		for (k = 0; k < n && tr[k].port != port; k++)
			;
		if (k == n && n == RSP_REGUNI_MAX)
			continue;
		t = &tr[k];
		if (k == n) {	/* a new port: a new transport */
			n++;
			t->type = as->transport == ASSOC_SCTP ?
			    RSP_PARAM_SCTP_TRANSPORT : RSP_PARAM_TCP_TRANSPORT;
			t->port = port;
		}
		t->addr[t->naddr].family = ss->ss_family;
		if (ss->ss_family == AF_INET6)
			memcpy(t->addr[t->naddr].a, &((const struct
			    sockaddr_in6 *)(const void *)ss)->sin6_addr, 16);
		else
			memcpy(t->addr[t->naddr].a, &((const struct
			    sockaddr_in *)(const void *)ss)->sin_addr, 4);
		t->naddr++;
	}
	if (n > 0)
		rsp_put_reguni(w, tr, n);
}

static void
send_reg_response(struct assoc *as, const struct rsp_bytes *h, uint32_t id,
    const struct rsp_op_error *e, bool reguni)
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
	if (reguni)
		reguni_put(as, &w);
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
send_keepalive(struct registrar *r, struct reg_pe *rp, bool home, bool batch)
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
	 * RSPLIB's addition (doc/protocol/asap.md §2.1): the PE Identifier, so
	 * that an association carrying several PEs of one pool knows which is
	 * meant.
	 */
	rsp_put_pe_id(&w, hs_pe_id(rp->pe));
	rsp_put_msg_end(&w, m);
	r->stats.keepalives_sent++;
	send_wbuf_batch(rp->as, &w, batch);
}

/* ---- PE state ------------------------------------------------------------ */

static uint64_t
ka_jitter(const struct registrar *r)
{
	uint64_t iv = r->conf.keepalive_interval;

	/* RFC 5352 §3.5: vary each PE's interval by up to ±50 %. */
	return iv / 2 + (iv > 0 ? rnd() % (iv + 1) : 0);
}

/*
 * Keep-alive timers (issue 14): every PE's next keep-alive or its timeout
 * sits in one hashed timing wheel (lib/wheel.h), O(1) to set, cancel or
 * move, so their cost does not grow with the number of PEs.  One loop
 * timer runs it while it holds any; the keep-alives that
 * fall due in a tick are queued per association and each association's
 * queue goes out in one write after the tick.  The loop timer is set for
 * the wheel's next occupied slot, not for every tick.  A timer fires at most
 * KA_RES_MS late, never early: 10 ms is 0.2-0.4 % of the default 5 s
 * interval (2.5-7.5 s with its jitter) and timeout, and 20 % of the
 * smallest allowed (100 ms, jittered down to 50 ms).  KA_SLOTS x KA_RES_MS
 * (10.24 s) covers the default interval and timeout in one rotation;
 * longer ones wait in the wheel's second level (up to 2.9 h a rotation)
 * and cost no pass before their last 10 s.
 */
#define KA_RES_MS	10
#define KA_SLOTS	1024

static void	ka_tick_arm(struct registrar *);

static void
ka_schedule(struct reg_pe *rp, uint64_t delay)
{
	struct registrar *r = rp->r;
	uint64_t now = now_ms(r);

	if (whl_count(&r->ka_wheel) == 0)
		(void)whl_advance(&r->ka_wheel, now);	/* idle: catch up */
	whl_add(&r->ka_wheel, &rp->ka, now + delay);
	if (!ev_pending(&r->ka_tick) || now + delay < r->ka_due)
		ka_tick_arm(r);
}

/* Wheel callback: rp's keep-alive is due, or its timeout. */
static void
ka_fire(struct whl *w, struct whl_entry *e, void *arg)
{
	struct registrar *r = arg;
	struct reg_pe *rp = (struct reg_pe *)(void *)((char *)e -
	    offsetof(struct reg_pe, ka));

	(void)w;
	if (rp->ka_waiting) {
		r->stats.keepalive_timeouts++;
		registrar_pe_remove(r, rp->pe, "no answer to keep-alive");
		return;
	}
	rp->ka_waiting = true;
	ka_schedule(rp, r->conf.keepalive_timeout);
	send_keepalive(r, rp, false, true);
}

/* One write per association for the keep-alives queued this tick. */
static void
ka_flush(struct registrar *r)
{
	struct assoc *as;

	while ((as = TAILQ_FIRST(&r->ka_flush)) != NULL) {
		TAILQ_REMOVE(&r->ka_flush, as, ka_entry);
		as->ka_queued = false;
		/* On failure the close callback (assoc_closed) has run. */
		if (cn_is_open(&as->cn))
			(void)cn_send_flush(&as->cn);
	}
}

static void
ka_tick(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct registrar *r = arg;

	(void)revents;
	(void)whl_advance(&r->ka_wheel, ev_now(loop));
	ka_flush(r);
	ka_tick_arm(r);
}

/* The loop timer at the wheel's next due slot (or sooner): a registrar of
 * few or distant keep-alives is not woken every KA_RES_MS. */
static void
ka_tick_arm(struct registrar *r)
{
	if (whl_count(&r->ka_wheel) == 0)
		return;
	r->ka_due = whl_next_due(&r->ka_wheel);
	if (ev_timer_add_at(r->loop, r->ka_due, ka_tick, r, &r->ka_tick) != 0)
		fatal("%s: timer", __func__);
}

int
registrar_pe_probe(struct reg_pe *rp)
{
	struct registrar *r = rp->r;

	if (rp->ka_waiting || rp->as == NULL)
		return -1;
	rp->ka_waiting = true;
	ka_schedule(rp, r->conf.keepalive_timeout);
	send_keepalive(r, rp, false, false);	/* at once */
	return 0;
}

/*
 * reg_pe objects (issue 14): carved from chunks, freed ones reused first,
 * so that a registration allocates nothing and its state costs its 88
 * bytes, not a 96-byte allocation.  Chunks go at registrar_shutdown().
 */
#define RP_CHUNK	256

/* Under ASan a freed reg_pe is poisoned until it is handed out again. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define RP_POISON(p, n)		ASAN_POISON_MEMORY_REGION((p), (n))
#define RP_UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define RP_POISON(p, n)		((void)(p), (void)(n))
#define RP_UNPOISON(p, n)	((void)(p), (void)(n))
#endif

struct reg_pe_chunk {
	struct reg_pe_chunk	*next;
	struct reg_pe		 o[RP_CHUNK];
};

static struct reg_pe *
reg_pe_new(struct registrar *r)
{
	struct reg_pe_chunk *c;
	struct reg_pe *rp;

	if ((rp = r->rp_free) != NULL) {
		RP_UNPOISON(rp, sizeof(*rp));
		r->rp_free = (struct reg_pe *)(void *)rp->pe;
	} else {
		if (r->rp_left == 0) {
			if ((c = malloc(sizeof(*c))) == NULL)
				fatal("%s", __func__);
			c->next = r->rp_chunks;
			r->rp_chunks = c;
			r->rp_left = RP_CHUNK;
		}
		rp = &r->rp_chunks->o[RP_CHUNK - r->rp_left--];
	}
	memset(rp, 0, sizeof(*rp));
	rp->r = r;
	return rp;
}

static void
reg_pe_chunks_free(struct registrar *r)
{
	struct reg_pe_chunk *c;

	while ((c = r->rp_chunks) != NULL) {
		RP_UNPOISON(c, sizeof(*c));
		r->rp_chunks = c->next;
		free(c);
	}
	r->rp_free = NULL;
	r->rp_left = 0;
}

static void
reg_pe_free(struct reg_pe *rp)
{
	struct registrar *r;

	if (rp == NULL)
		return;
	whl_cancel(&rp->r->ka_wheel, &rp->ka);
	if (rp->as != NULL) {
		LIST_REMOVE(rp, as_entry);
		rp->as->npes--;
	}
	unreach_free_pe(rp->r, rp);
	hs_pe_set_udata(rp->pe, NULL);
	r = rp->r;
	rp->pe = (struct hs_pe *)(void *)r->rp_free;
	r->rp_free = rp;
	RP_POISON(rp, sizeof(*rp));
}

/* A pool handle for a log line: printable, the rest as \\xNN, bounded. */
static const char *
printable_handle(char *buf, size_t len, const uint8_t *h, size_t hlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	/* By hand, not a snprintf per byte: every registration logs it. */
	for (i = 0; i < hlen && o + 5 < len; i++) {
		if (h[i] >= 0x20 && h[i] < 0x7f && h[i] != '"') {
			buf[o++] = (char)h[i];
			continue;
		}
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[h[i] >> 4];
		buf[o++] = hex[h[i] & 0xf];
	}
	if (len > 0)
		buf[o] = '\0';
	return buf;
}

const char *
pe_name(const struct hs_pe *pe, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t id = hs_pe_id(pe);
	const uint8_t *h;
	size_t hlen, o;
	int i;

	h = hs_pool_handle(hs_pe_pool(pe), &hlen);
	printable_handle(buf, len > 12 ? len - 11 : len, h, hlen);
	o = strlen(buf);
	if (len - o < 12)
		return buf;	/* no room for the identifier (no caller) */
	buf[o++] = '/';
	buf[o++] = '0';
	buf[o++] = 'x';
	for (i = 28; i >= 0; i -= 4)
		buf[o++] = hex[(id >> i) & 0xf];
	buf[o] = '\0';
	return buf;
}

void
registrar_pe_remove(struct registrar *r, struct hs_pe *pe, const char *why)
{
	char n[160];

	LOG_RL_INFO(&r->rl_peer, now_ms(r), "PE %s removed: %s",
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

	LOG_RL_INFO(&r->rl_peer, now_ms(r), "PE %s moved to another "
	    "registrar", pe_name(pe, n, sizeof(n)));
	reg_pe_free(hs_pe_udata(pe));
}

void
registrar_expiry_arm(struct registrar *r)
{
	expiry_arm(r);
}

uint64_t
registrar_pe_expires(const struct registrar *r, int32_t life)
{
	uint64_t ms;

	if (life == RSP_LIFE_INFINITE)
		return HS_NEVER;
	ms = (uint64_t)life * r->conf.life_unit;
	if (r->conf.life_max != 0 && ms > r->conf.life_max)
		ms = r->conf.life_max;
	return now_ms(r) + ms;
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
	LOG_RL_INFO(&r->rl_peer, now_ms(r), "PE %s removed: registration "
	    "life expired", pe_name(pe, n, sizeof(n)));
	/* RFC 5352 §3.2: tell the PE with an unsolicited response. */
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

/* The timer at the earliest expiry; left alone when that did not move
 * (most registrations and removals). */
static void
expiry_arm(struct registrar *r)
{
	uint64_t next = hs_next_expiry(r->hs);

	if (next == HS_NEVER) {
		ev_cancel(&r->expiry);
		r->expiry_at = HS_NEVER;
		return;
	}
	if (next == r->expiry_at && ev_pending(&r->expiry))
		return;
	if (ev_timer_add_at(r->loop, next, expiry_fire, r, &r->expiry) != 0)
		fatal("%s: timer", __func__);
	r->expiry_at = next;
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

/* Is ss's IP address the transport address a? */
static bool
addr_is(const struct sockaddr_storage *ss, const struct rsp_addr *a)
{
	if (ss->ss_family == AF_INET && a->family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)ss)->sin_addr,
		    a->a, 4) == 0;
	if (ss->ss_family == AF_INET6 && a->family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr,
		    a->a, 16) == 0;
	return false;
}

/* ss's IP address as 16 bytes (IPv4 first, zeros after) and its family. */
void
source_key(const struct sockaddr_storage *ss, uint8_t *addr, uint8_t *family)
{
	memset(addr, 0, 16);
	*family = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else if (ss->ss_family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
}

/*
 * RFC 5355 §2.3 without TLS (issue 12): a PE homed at another registrar
 * (learnt through ENRP) may be deregistered or re-registered here only
 * from one of its own addresses: those of its user transport, or of the
 * ASAP transport its home saw (the address a NAT showed).  A PE moving
 * here through the anycast address comes from one of them; a stranger
 * does not.
 */
static bool
pe_from_own_address(const struct hs_pe *pe, const struct assoc *as)
{
	struct rsp_pe x;
	size_t i;

	hs_pe_export(pe, &x);
	for (i = 0; i < x.user.naddr; i++)
		if (addr_is(&as->peer, &x.user.addr[i]))
			return true;
	for (i = 0; x.has_asap && i < x.asap.naddr; i++)
		if (addr_is(&as->peer, &x.asap.addr[i]))
			return true;
	return false;
}

/* Refuse a (de)registration of a PE homed elsewhere: count, one line. */
static void
foreign_refused(struct assoc *as, const struct hs_pe *pe, const char *what)
{
	struct registrar *r = as->r;
	char n[160];

	r->stats.foreign_refused++;
	log_rl_warnx(&r->rl_bounds, now_ms(r), "%s: %s of PE %s refused: "
	    "homed at registrar 0x%08x, and not from one of its addresses",
	    as->name, what, pe_name(pe, n, sizeof(n)), hs_pe_home(pe));
}

/* authorize (registrard.conf): this identity may not use this pool. */
static void
authz_refused(struct assoc *as, const uint8_t *handle, size_t len,
    uint32_t id)
{
	struct registrar *r = as->r;
	const char *who = assoc_identity(as);
	char h[64];

	r->stats.authz_refused++;
	log_rl_warnx(&r->rl_bounds, now_ms(r), "%s: registration of PE "
	    "0x%08x into pool \"%s\" refused: %s%s may not register there "
	    "(authorize)", as->name, id, printable_handle(h, sizeof(h),
	    handle, len), who == NULL ? "an unauthenticated client" :
	    as->tls_auth == TLS_AUTH_PSK ? "PSK identity " : "certificate ",
	    who != NULL ? who : "");
}

/* Another identity registered this PE (doc/spec/registrant-identity.md). */
static void
registrant_refused(struct assoc *as, const struct hs_pe *pe,
    const char *what)
{
	struct registrar *r = as->r;
	const char *who = assoc_identity(as);
	char n[160], o[200];

	r->stats.registrant_refused++;
	log_rl_warnx(&r->rl_bounds, now_ms(r), "%s: %s of PE %s by %s%s "
	    "refused: it belongs to %s", as->name, what,
	    pe_name(pe, n, sizeof(n)), who == NULL ?
	    "an unauthenticated client" : as->tls_auth == TLS_AUTH_PSK ?
	    "PSK identity " : "certificate ", who != NULL ? who : "",
	    authz_describe(r, hs_pe_registrant(pe), o, sizeof(o)));
}

/*
 * A decoded PE copied for changing: all but the addresses past naddr and
 * the ASAP transport, which the registrar sets (a fifth of the 680 bytes).
 */
static void
pe_copy(struct rsp_pe *d, const struct rsp_pe *s)
{
	d->id = s->id;
	d->home_id = s->home_id;
	d->life = s->life;
	memcpy(&d->user, &s->user, offsetof(struct rsp_transport, addr));
	memcpy(d->user.addr, s->user.addr, (s->user.naddr < RSP_MAX_ADDRS ?
	    s->user.naddr : RSP_MAX_ADDRS) * sizeof(s->user.addr[0]));
	d->user.opaque = s->user.opaque;
	d->policy = s->policy;
	d->has_asap = false;
	d->registrant_kind = s->registrant_kind;
	d->registrant = s->registrant;
}

static void
on_registration(struct assoc *as, const struct rsp_msg *m)
{
	static uint8_t infobuf[512];
	struct registrar *r = as->r;
	struct rsp_op_error e;
	struct rsp_pe pe;
	struct hs_pool *pool;
	struct hs_pe *hp, *old;
	struct reg_pe *rp;
	struct wbuf iw;
	uint64_t expires;
	uint32_t tok;
	bool isnew;
	char n[160];
	int rc;

	pe_copy(&pe, &m->pe);
	old = hs_lookup_hint(r->hs, m->handle.p, m->handle.len, pe.id,
	    &as->pool_hint, &pool);
	rp = old != NULL ? hs_pe_udata(old) : NULL;
	e.ncause = 1;	/* one cause; the others are never read */
	e.cause[0] = (struct rsp_cause){ 0, { NULL, 0 } };
	/* Who registers is the association's TLS identity, never the PE's
	 * word: a Registrant Identity in an ASAP message is ignored. */
	pe.registrant_kind = 0;
	/* RFC 5355 §2.15, RFC 5352 §9.3: a secured registrar. */
	if (r->conf.secured && !cn_tls_up(&as->cn)) {
		e.cause[0].code = RSP_CAUSE_SECURITY;
		goto reject;
	}
	/* doc/protocol/security.md: the identity, and its right to the pool */
	tok = authz_assoc_token(as);
	if (assoc_identity(as) != NULL && tok == 0) {
		log_rl_warnx(&r->rl_bounds, now_ms(r), "%s: registration "
		    "refused: no room for another identity", as->name);
		e.cause[0].code = RSP_CAUSE_LACK_OF_RESOURCES;
		goto reject;
	}
	if (!authz_permits(&r->conf, as, m->handle.p, m->handle.len)) {
		authz_refused(as, m->handle.p, m->handle.len, pe.id);
		e.cause[0].code = RSP_CAUSE_SECURITY;
		goto reject;
	}
	/* The PE belongs to whoever registered it, at every registrar. */
	if (old != NULL && hs_pe_registrant(old) != 0 &&
	    hs_pe_registrant(old) != tok) {
		registrant_refused(as, old, "re-registration");
		e.cause[0].code = RSP_CAUSE_SECURITY;
		goto reject;
	}
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
	    !addr_same_ip(&rp->as->peer, &as->peer)) {
		e.cause[0].code = RSP_CAUSE_NON_UNIQUE_PE_ID;
		goto reject;
	}
	/*
	 * Homed elsewhere: only from its own addresses.  Cause 0xa, not 0x4:
	 * whether another PE holds the identifier is unknown here; what is
	 * refused is this sender (RFC 5354 has no "not authorized" cause).
	 */
	if (old != NULL && rp == NULL && hs_pe_registrant(old) == 0 &&
	    !pe_from_own_address(old, as)) {
		foreign_refused(as, old, "re-registration");
		e.cause[0].code = RSP_CAUSE_SECURITY;
		r->stats.registration_rejects++;
		send_reg_response(as, &m->handle, pe.id, &e, false);
		return;
	}
	if ((rp == NULL || rp->as != as) &&
	    as->npes >= r->conf.max_pes_per_assoc) {
		e.cause[0].code = RSP_CAUSE_LACK_OF_RESOURCES;
		goto reject;
	}
	expires = registrar_pe_expires(r, pe.life);
	pe.home_id = r->server_id;
	pe.has_asap = true;
	assoc_transport(as, &pe.asap);
	/* The pool the lookup found: no second hash of its handle. */
	rc = pool != NULL ? hs_pool_register(r->hs, pool, &pe, expires, &hp,
	    &isnew) : hs_register(r->hs, m->handle.p, m->handle.len, &pe,
	    expires, &hp, &isnew);
	if (rc != 0) {
		wbuf_init(&iw, infobuf, sizeof(infobuf));
		reject_info(r, m, rc, &e, &iw);
		r->stats.registration_rejects++;
		log_rl_warnx(&as->rl, now_ms(r), "%s: registration of %.*s/0x%08x "
		    "rejected: %s", as->name, (int)m->handle.len,
		    (const char *)m->handle.p, pe.id, hs_strerror(rc));
		send_reg_response(as, &m->handle, pe.id, &e, false);
		return;
	}
	/*
	 * Accepted: the answer goes out now (lib/conn.h cn_reply_now()); the
	 * bookkeeping below cannot change it.  Only an accepted PE keeps an
	 * association worth moving (its Registrar Unicast answer).
	 */
	send_reg_response(as, &m->handle, pe.id, NULL, m->has_reguni);
	if (!cn_is_open(&as->cn)) {
		/*
		 * Queueing it closed the association (send-queue), and its PEs
		 * with it (this one too, if it was one of them); a new PE, or
		 * one moving here, goes as well.
		 */
		hp = hs_lookup(r->hs, m->handle.p, m->handle.len, pe.id);
		if (hp != NULL) {
			r->stats.assoc_lost_removals++;
			registrar_pe_remove(r, hp, "association lost");
		}
		return;
	}
	cn_reply_now(&as->cn);
	if (rp == NULL) {
		rp = reg_pe_new(r);
		rp->pe = hp;
		hs_pe_set_udata(hp, rp);
	}
	rp->pe = hp;
	hs_pe_set_registrant(hp, tok);
	if (rp->as != as) {
		if (rp->as != NULL) {
			LIST_REMOVE(rp, as_entry);
			rp->as->npes--;
		}
		/*
		 * A keep-alive still waiting went to the association the PE
		 * left (it moved to our unicast address, issue 13): its
		 * registration here answers it.
		 */
		rp->ka_waiting = false;
		rp->as = as;
		LIST_INSERT_HEAD(&as->pes, rp, as_entry);
		as->npes++;
	}
	(void)unreach_alive(r, rp);	/* it registers: it is alive */
	if (!rp->ka_waiting)
		ka_schedule(rp, ka_jitter(r));
	expiry_arm(r);
	if (isnew) {
		r->stats.registrations++;
		LOG_RL_INFO(&r->rl_peer, now_ms(r), "PE %s registered from %s "
		    "(%s)", pe_name(hp, n, sizeof(n)), as->name,
		    rsp_policy_name(pe.policy.type));
	} else {
		r->stats.reregistrations++;
		if (log_getverbose() > 0)
			log_debug("PE %s re-registered from %s",
			    pe_name(hp, n, sizeof(n)), as->name);
	}
	enrp_pe_registered(r, hp);	/* ENRP: ADD_PE to the peers */
	return;

reject:
	r->stats.registration_rejects++;
	log_rl_warnx(&as->rl, now_ms(r), "%s: registration of PE 0x%08x "
	    "rejected: %s", as->name, pe.id, rsp_cause_name(e.cause[0].code));
	send_reg_response(as, &m->handle, pe.id, &e, false);
}

static void
on_deregistration(struct assoc *as, const struct rsp_msg *m)
{
	struct registrar *r = as->r;
	struct rsp_op_error e;
	struct hs_pool *pool;
	struct hs_pe *pe;
	struct reg_pe *rp;
	uint32_t tok;

	e.ncause = 1;	/* one cause; the others are never read */
	e.cause[0] = (struct rsp_cause){ 0, { NULL, 0 } };

	pe = hs_lookup_hint(r->hs, m->handle.p, m->handle.len, m->pe_id,
	    &as->pool_hint, &pool);
	rp = pe != NULL ? hs_pe_udata(pe) : NULL;
	/* RFC 5355 §2.15: a secured registrar, TLS only. */
	if (r->conf.secured && !cn_tls_up(&as->cn)) {
		e.cause[0].code = RSP_CAUSE_SECURITY;
		log_rl_warnx(&as->rl, now_ms(r), "%s: deregistration of PE "
		    "0x%08x refused: not over TLS (secured on)", as->name,
		    m->pe_id);
		send_dereg_response(as, m->handle.p, m->handle.len, m->pe_id,
		    &e);
		return;
	}
	/* The PE belongs to whoever registered it, at every registrar. */
	tok = authz_assoc_token(as);
	if (pe != NULL && hs_pe_registrant(pe) != 0 &&
	    hs_pe_registrant(pe) != tok) {
		registrant_refused(as, pe, "deregistration");
		e.cause[0].code = RSP_CAUSE_SECURITY;
		send_dereg_response(as, m->handle.p, m->handle.len, m->pe_id,
		    &e);
		return;
	}
	/* RFC 5352 §3.2: only the PE itself deregisters (no proxy). */
	if (rp != NULL && rp->as != NULL && rp->as != as &&
	    !addr_same_ip(&rp->as->peer, &as->peer)) {
		e.cause[0].code = RSP_CAUSE_SECURITY;
		log_rl_warnx(&as->rl, now_ms(r), "%s: deregistration of PE "
		    "0x%08x refused: registered by %s", as->name, m->pe_id,
		    rp->as->name);
		send_dereg_response(as, m->handle.p, m->handle.len, m->pe_id, &e);
		return;
	}
	/* Homed elsewhere: only from one of its own addresses (or its
	 * registrant, checked above). */
	if (pe != NULL && rp == NULL && hs_pe_registrant(pe) == 0 &&
	    !pe_from_own_address(pe, as)) {
		foreign_refused(as, pe, "deregistration");
		e.cause[0].code = RSP_CAUSE_SECURITY;
		send_dereg_response(as, m->handle.p, m->handle.len, m->pe_id,
		    &e);
		return;
	}
	/* Not found: success all the same (RFC 5352 §3.2). */
	send_dereg_response(as, m->handle.p, m->handle.len, m->pe_id, NULL);
	/* Queueing it closed the association (send-queue), and its PEs
	 * with it: this one may be gone. */
	if (pe != NULL && !cn_is_open(&as->cn))
		pe = hs_lookup(r->hs, m->handle.p, m->handle.len, m->pe_id);
	if (pe != NULL) {
		/* The answer does not wait for the removal (lib/conn.h). */
		cn_reply_now(&as->cn);
		r->stats.deregistrations++;
		enrp_pe_deregistered(r, pe);	/* ENRP: another server's PE */
		registrar_pe_remove(r, pe, "deregistered");
	}
}

static void
on_resolution(struct assoc *as, const struct rsp_msg *m)
{
	static struct hs_pe **pes;
	static size_t npes_cap;
	struct registrar *r = as->r;
	struct rsp_policy pol;
	struct hs_pool *pool;
	struct wbuf w;
	size_t n, cnt, i, s, before, extra, put;
	int nval;

	r->stats.resolutions++;
	n = r->conf.resolution_items;
	if (m->has_hropt && m->hropt_items != 0)
		n = m->hropt_items;
	if (n > r->conf.resolution_items_max)
		n = r->conf.resolution_items_max;
	/* PEs reported unreachable are skipped: ask for that many more. */
	extra = unreach_extra(r);
	if (npes_cap < n + extra) {
		free(pes);
		if ((pes = calloc(n + extra, sizeof(*pes))) == NULL)
			fatal("%s", __func__);
		npes_cap = n + extra;
	}
	wbuf_init(&w, txbuf, sizeof(txbuf));
	/* Room for our Registrar Identity at the end, if asked for. */
	if (m->has_regid)
		w.cap = RSP_MSG_MAX_LEN - (RSP_TLV_HDR_LEN + 4 +
		    RSP_REGID_NODE_MAX);
	/* ... and for the Registrar Unicast answer (8 addresses: < 256). */
	if (m->has_reguni)
		w.cap = (m->has_regid ? w.cap : RSP_MSG_MAX_LEN) - 256;
	/* RFC 5352 §2.2.6: subscriptions (S) are not offered: A stays 0. */
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
	rsp_put_handle(&w, m->handle.p, m->handle.len);
	pool = hs_pool_find_hint(r->hs, m->handle.p, m->handle.len,
	    &as->pool_hint);
	if (pool == NULL) {
		struct rsp_op_error e = { .ncause = 1 };

		r->stats.resolution_misses++;
		e.cause[0].code = RSP_CAUSE_UNKNOWN_POOL_HANDLE;
		rsp_put_op_error(&w, &e);
	} else {
		cnt = hs_pool_resolve(r->hs, pool, n + extra, pes);
		/* At a million PEs each is a cache miss: all at once. */
		for (i = 0; i < cnt; i++)
			hs_pe_prefetch(pes[i]);
		/* Overall policy: always, as RSPLIB does (MUST unless RR). */
		memset(&pol, 0, sizeof(pol));
		pol.type = hs_pool_policy(pool);
		nval = rsp_policy_nval(pol.type);
		pol.nval = (uint8_t)(nval > 0 ? nval : 0);
		rsp_put_policy(&w, &pol);
		for (i = put = 0; i < cnt && put < n; i++) {
			if (hs_pe_hidden(pes[i]))
				continue;	/* unreachable.c */
			put++;
			before = w.len;
			/* From the handlespace's record; not the ASAP
			 * transport: that is not for pool users. */
			hs_put_pe(&w, pes[i], false);
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
	/* doc/spec/registrar-unicast.md: likewise only when asked. */
	if (m->has_reguni) {
		w.cap = sizeof(txbuf);
		reguni_put(as, &w);
	}
	rsp_put_msg_end(&w, s);
	send_wbuf(as, &w);
}

static void
on_keepalive_ack(struct assoc *as, const struct rsp_msg *m)
{
	struct registrar *r = as->r;
	struct hs_pool *pool;
	struct hs_pe *pe;
	struct reg_pe *rp;

	pe = hs_lookup_hint(r->hs, m->handle.p, m->handle.len, m->pe_id,
	    &as->pool_hint, &pool);
	if (pe == NULL || (rp = hs_pe_udata(pe)) == NULL || rp->as != as) {
		log_rl_debug(&as->rl, now_ms(r), "%s: keep-alive ack for an "
		    "unknown PE 0x%08x", as->name, m->pe_id);
		return;
	}
	/* Reports void; a PE reported unreachable is shown again. */
	unreach_answered(r, rp);
	if (rp->ka_waiting) {
		rp->ka_waiting = false;
		ka_schedule(rp, ka_jitter(r));
	}
}

static void
on_unreachable(struct assoc *as, const struct rsp_msg *m)
{
	struct registrar *r = as->r;
	struct hs_pool *pool;
	struct hs_pe *pe;

	r->stats.unreachable_reports++;
	/* RFC 5355 §2.15: a secured registrar takes no word from strangers. */
	if (r->conf.secured && !cn_tls_up(&as->cn)) {
		r->stats.unreachable_plain++;
		log_rl_debug(&as->rl, now_ms(r), "%s: unreachable report "
		    "ignored: not over TLS (secured on)", as->name);
		return;
	}
	pe = hs_lookup_hint(r->hs, m->handle.p, m->handle.len, m->pe_id,
	    &as->pool_hint, &pool);
	if (pe != NULL)
		unreach_report(r, pe, &as->peer, as->name, false);
}

static void	handle_message_now(struct assoc *, const uint8_t *, size_t);

/*
 * One message, with the loop's clock as its connection read it when the
 * message came (lib/conn: once per read), not read again at every step.
 */
static void
handle_message(struct assoc *as, const uint8_t *p, size_t len)
{
	struct registrar *r = as->r;
	bool nested = r->in_msg;

	if (!nested) {
		r->msg_now = as->cn.last_msg;
		r->in_msg = true;
	}
	handle_message_now(as, p, len);
	r->in_msg = nested;
}

static void
handle_message_now(struct assoc *as, const uint8_t *p, size_t len)
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
	/* Token bucket per association: request_rate/s, request_burst deep. */
	if (!cn_rate_take(&as->cn.rate, now_ms(r), r->conf.request_rate,
	    r->conf.request_burst)) {
		/* Over the rate: one Lack of Resources now and then, else drop. */
		if (r->stats.rate_limited++ % 64 == 0 || as->cn.rate.at == 0)
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
			send_reg_response(as, &m.handle, m.pe.id, &e, false);
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

/* ---- bounds against one bad client (issue 12) ---------------------------- */

/* FNV-1a over the address, seeded at start (no chosen collisions). */
static struct reg_srchead *
source_bucket(struct registrar *r, const uint8_t *addr, uint8_t family)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ r->src_seed;
	size_t i;

	h = (h ^ family) * 0x100000001b3ULL;
	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 0x100000001b3ULL;
	return &r->sources[(h ^ (h >> 32)) % SRC_BUCKETS];
}

/* The associations from ss's address; NULL if none (create: make it). */
static struct reg_source *
source_find(struct registrar *r, const struct sockaddr_storage *ss,
    bool create)
{
	struct reg_srchead *b;
	struct reg_source *src;
	uint8_t addr[16], family;

	source_key(ss, addr, &family);
	b = source_bucket(r, addr, family);
	LIST_FOREACH(src, b, hash)
		if (src->family == family && memcmp(src->addr, addr, 16) == 0)
			return src;
	if (!create)
		return NULL;
	if ((src = calloc(1, sizeof(*src))) == NULL)
		fatal("%s", __func__);
	memcpy(src->addr, addr, 16);
	src->family = family;
	TAILQ_INIT(&src->assocs);
	LIST_INSERT_HEAD(b, src, hash);
	r->nsources++;
	return src;
}

static void
source_add(struct registrar *r, struct assoc *as)
{
	as->src = source_find(r, &as->peer, true);
	TAILQ_INSERT_TAIL(&as->src->assocs, as, src_entry);
	as->src->n++;
}

static void
source_del(struct registrar *r, struct assoc *as)
{
	struct reg_source *src = as->src;

	if (src == NULL)
		return;
	TAILQ_REMOVE(&src->assocs, as, src_entry);
	as->src = NULL;
	if (--src->n == 0) {
		LIST_REMOVE(src, hash);
		r->nsources--;
		free(src);
	}
}

/*
 * The table is full (associations, or descriptors down to the reserve)
 * and a source holding `have` associations wants one more: close the
 * least recently active association without PEs of the source holding
 * the most, if that one keeps at least as many as the newcomer's source
 * then has.  One host's idle connections thus never lock others out, and
 * nobody loses a PE to a newcomer.  true if one was closed.
 */
static bool
evict_for(struct registrar *r, uint32_t have, const char *newcomer)
{
	struct reg_source *src, *big = NULL;
	struct assoc *as, *victim = NULL;
	size_t i;

	for (i = 0; i < SRC_BUCKETS; i++)
		LIST_FOREACH(src, &r->sources[i], hash)
			if (big == NULL || src->n > big->n)
				big = src;
	if (big == NULL || big->n < have + 2)
		return false;
	TAILQ_FOREACH(as, &big->assocs, src_entry)
		if (as->npes == 0 && cn_is_open(&as->cn) && (victim == NULL ||
		    as->cn.last_msg < victim->cn.last_msg))
			victim = as;
	if (victim == NULL)
		return false;
	r->stats.assocs_evicted++;
	log_rl_warnx(&r->rl_bounds, now_ms(r), "%s: idle association closed "
	    "for %s: the table is full and its address holds %u",
	    victim->name, newcomer, big->n);
	assoc_close(victim, "evicted for a newcomer (table full)");
	return true;
}

/*
 * A new association from ss on fd: within associations-per-source, and
 * within associations and the descriptor reserve (FD_RESERVE kept for the
 * control socket, metrics, ENRP and reloads), making room by evict_for()
 * when full.  true if it may go on.
 */
static bool
admit(struct registrar *r, int fd, const struct sockaddr_storage *ss)
{
	struct reg_source *src = source_find(r, ss, false);
	uint32_t have = src != NULL ? src->n : 0;
	bool fds = cn_fd_headroom(fd) < FD_RESERVE;
	char a[ADDR_STRLEN];

	addr_str(ss, a, sizeof(a));
	if (have >= r->conf.assocs_per_source) {
		r->stats.assocs_refused++;
		r->stats.assocs_refused_source++;
		log_rl_warnx(&r->rl_bounds, now_ms(r), "%s: refused: %u "
		    "associations from this address (associations-per-source)",
		    a, have);
		return false;
	}
	if (!fds && r->nassocs < r->conf.max_associations)
		return true;
	if (evict_for(r, have, a))
		return true;
	r->stats.assocs_refused++;
	if (fds) {
		r->stats.assocs_refused_fds++;
		log_rl_warnx(&r->rl_bounds, now_ms(r), "%s: refused: %ld "
		    "descriptors left, %d kept for the control socket and "
		    "peers (raise LimitNOFILE, or lower associations)", a,
		    cn_fd_headroom(fd) + 1, FD_RESERVE);
	} else {
		log_rl_warnx(&r->rl_peer, now_ms(r), "%s: refused: %u "
		    "associations (limit)", a, r->nassocs);
	}
	return false;
}

/*
 * Every second: close the idle, and those whose message never ends; free
 * the buffers of the quiet.
 */
static void
sweep_fire(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct registrar *r = arg;
	struct assoc *as, *next;
	uint64_t now = now_ms(r);
	char why[96];

	(void)loop;
	(void)revents;
	for (as = TAILQ_FIRST(&r->assocs); as != NULL; as = next) {
		next = TAILQ_NEXT(as, entry);
		switch (cn_deadline(&as->cn, now, as->npes == 0 ?
		    r->conf.idle_timeout : 0, r->conf.message_timeout)) {
		case CN_DEADLINE_IDLE:
			r->stats.idle_closed++;
			snprintf(why, sizeof(why), "idle for %u ms without a PE "
			    "(idle-timeout)", r->conf.idle_timeout);
			assoc_close(as, why);
			break;
		case CN_DEADLINE_MESSAGE:
			r->stats.message_timeouts++;
			log_rl_warnx(&r->rl_bounds, now, "%s: a message still "
			    "incomplete after %u ms: closed (message-timeout)",
			    as->name, r->conf.message_timeout);
			snprintf(why, sizeof(why), "message unfinished after "
			    "%u ms (message-timeout)", r->conf.message_timeout);
			assoc_close(as, why);
			break;
		case CN_DEADLINE_NONE:
			/* Idle a sweep long: its buffers go back. */
			cn_trim(&as->cn, now, SWEEP_MS);
			break;
		}
	}
	unreach_sweep(r, now);
	if (ev_timer_add(r->loop, SWEEP_MS, sweep_fire, r, &r->sweep) != 0)
		fatal("%s: timer", __func__);
}

/* Over send-queue-total: close the biggest queues until within it. */
static void
budget_fire(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct registrar *r = arg;
	struct assoc *as, *big;

	(void)loop;
	(void)revents;
	while (r->budget.total > r->budget.max) {
		big = NULL;
		TAILQ_FOREACH(as, &r->assocs, entry)
			if (cn_is_open(&as->cn) && (big == NULL ||
			    cn_queued(&as->cn) > cn_queued(&big->cn)))
				big = as;
		if (big == NULL || cn_queued(&big->cn) == 0)
			break;
		r->stats.send_budget_closed++;
		log_rl_warnx(&r->rl_bounds, now_ms(r), "%s: %zu bytes unread, "
		    "the most while all queues hold %zu (send-queue-total "
		    "%zu): closed", big->name, cn_queued(&big->cn),
		    r->budget.total, r->budget.max);
		assoc_close(big, "send queues over send-queue-total: the "
		    "biggest closed");
	}
}

/* cn_budget callback: close the biggest after this iteration. */
static void
budget_over(void *arg, struct cn *c)
{
	struct registrar *r = arg;

	(void)c;
	if (!ev_pending(&r->budget_ev) && ev_defer(r->loop, budget_fire, r,
	    &r->budget_ev) != 0)
		budget_fire(r->loop, r, 0);
}

static int
bounds_init(struct registrar *r)
{
	long limit = cn_fd_headroom(-1);

	if ((r->sources = calloc(SRC_BUCKETS, sizeof(*r->sources))) == NULL)
		return -ENOMEM;
	if (getrandom(&r->src_seed, sizeof(r->src_seed), 0) !=
	    sizeof(r->src_seed))
		r->src_seed = rnd();
	r->rl_bounds = (struct log_ratelimit)LOG_RATELIMIT_INIT(10, 10000);
	r->budget.max = r->conf.send_queue_total;
	r->budget.over = budget_over;
	r->budget.arg = r;
	if (limit - FD_RESERVE < (long)r->conf.max_associations)
		log_info("descriptor limit %ld: at most about %ld associations "
		    "(%d descriptors kept for the control socket and peers)",
		    limit, limit - FD_RESERVE, FD_RESERVE);
	return ev_timer_add(r->loop, SWEEP_MS, sweep_fire, r, &r->sweep);
}

/* ---- associations -------------------------------------------------------- */

/*
 * lib/conn callbacks.  close: the association is gone (its socket is
 * closed, whoever closed it): drop its PEs and forget it; release frees it
 * after this iteration, when callers up the stack no longer hold it.
 */
static void
assoc_closed(struct cn *c, enum cn_end end, const char *why)
{
	struct assoc *as = c->arg;
	struct registrar *r = as->r;
	struct reg_pe *rp;

	if (end == CN_END_TLS || end == CN_END_TLS_ON_PLAIN)
		reg_tls_failed(r, c, end, as->name, c->tls != NULL ?
		    "ASAP TLS port" : "ASAP plaintext port", why);
	else
		log_rl_info(&r->rl_peer, now_ms(r), "%s: association closed: "
		    "%s (%u PEs)", as->name, why, as->npes);
	if (end == CN_END_BACKLOG) {
		r->stats.send_queue_closed++;
		log_rl_warnx(&r->rl_bounds, now_ms(r), "%s: more than %u bytes "
		    "unread: closed (send-queue)", as->name,
		    r->conf.send_queue);
	}
	source_del(r, as);
	if (as->ka_queued) {
		TAILQ_REMOVE(&r->ka_flush, as, ka_entry);
		as->ka_queued = false;
	}
	while ((rp = LIST_FIRST(&as->pes)) != NULL) {
		r->stats.assoc_lost_removals++;
		registrar_pe_remove(r, rp->pe, "association lost");
	}
	TAILQ_REMOVE(&r->assocs, as, entry);
	r->nassocs--;
	r->stats.assocs_closed++;
}

static void
assoc_release(struct cn *c)
{
	free(c->arg);
}

static void
assoc_close(struct assoc *as, const char *why)
{
	cn_end(&as->cn, why);
}

static void
assoc_message(struct cn *c, uint32_t ppid, const uint8_t *msg, size_t len)
{
	(void)ppid;	/* ASAP's 11 (RFC 5352 §8.3): cn drops the others */
	handle_message(c->arg, msg, len);
}

static void
assoc_stray(struct cn *c, uint32_t ppid)
{
	struct assoc *as = c->arg;

	log_rl_warnx(&as->rl, now_ms(as->r), "%s: message with PPID %u "
	    "ignored", as->name, ppid);
}

/* A stream we cannot frame or a message above message-size: one error. */
static void
assoc_error(struct cn *c, uint16_t cause)
{
	struct assoc *as = c->arg;

	as->r->stats.rx_errors[cause]++;
	send_error(as, cause, NULL, 0);
}

/* TLS is up: remember who the peer authenticated as. */
static void
assoc_secured(struct cn *c)
{
	struct assoc *as = c->arg;
	const char *id;

	as->r->stats.tls_handshakes++;
	id = tls_peer_identity(c->tls, &as->tls_auth);
	if (id != NULL && strlen(id) > RSP_REGISTRANT_NAME_MAX) {
		/* Cannot be carried whole (registrant-identity.md). */
		log_rl_warnx(&as->r->rl_tls, now_ms(as->r), "%s: TLS identity "
		    "longer than %d characters: treated as none", as->name,
		    RSP_REGISTRANT_NAME_MAX);
		as->tls_auth = TLS_AUTH_NONE;
		id = NULL;
	}
	if (id != NULL)
		snprintf(as->tls_id, sizeof(as->tls_id), "%s", id);
	log_debug("%s: TLS up%s, %s%s%s", as->name, tls_resumed(c->tls) ?
	    " (resumed)" : "", as->tls_auth == TLS_AUTH_PSK ? "PSK identity" :
	    as->tls_auth == TLS_AUTH_CERT ? "certificate" : "no identity",
	    id != NULL ? " " : "", id != NULL ? id : "");
}

static const struct cn_ops assoc_ops = {
	.message = assoc_message,
	.stray = assoc_stray,
	.error = assoc_error,
	.close = assoc_closed,
	.release = assoc_release,
	.secured = assoc_secured,
};

void
registrar_tune(const struct registrar_config *c, bool sctp_rto,
    struct cn_tune *t)
{
	memset(t, 0, sizeof(*t));
	/* One message per segment where we can: Wireshark reads them so. */
	t->tcp_nodelay = true;
	/* Liveness of the connection itself (DESIGN: TCP mapping). */
	t->keepalive = true;
	t->keepalive_idle = c->keepalive_interval / 1000;
	if (t->keepalive_idle < 1)
		t->keepalive_idle = 1;
	t->keepalive_intvl = 1;
	t->keepalive_cnt = 3;
	t->user_timeout = c->keepalive_interval + c->keepalive_timeout;
	t->sctp_nodelay = true;
	/*
	 * A bounded kernel send buffer (issue 12): autotuned, it grows to
	 * megabytes, and a client that sends requests but never reads made
	 * the registrar compute that many answers before send-queue (the
	 * part we count) closed it - seconds of CPU other clients waited
	 * for.  Registrar messages are small; 64 KiB (128 in the kernel's
	 * count) is many answers in flight.
	 */
	t->sndbuf = 64 * 1024;
	if (!sctp_rto)
		return;
	/*
	 * SCTP gives a path up after Path.Max.Retrans (5) timeouts (RFC 4960
	 * §8.2): with RTO.Max a fifth of the user timeout a dead association
	 * fails within about the same time as a TCP connection (defaults:
	 * 1000/200/2000 ms).  RFC 5353 §3.4.3 failure detection stays ENRP's.
	 */
	t->rto_max = t->user_timeout / 5;
	t->rto_min = t->rto_max / 10;
	t->rto_initial = t->rto_max / 2;
}

static struct assoc *
assoc_new(struct registrar *r, int fd, enum assoc_transport t,
    const struct sockaddr_storage *ss)
{
	struct assoc *as;
	socklen_t sl;
	int rc;

	if ((as = calloc(1, sizeof(*as))) == NULL)
		fatal("%s", __func__);
	as->r = r;
	as->transport = t;
	as->peer = *ss;
	cn_name(as->name, sizeof(as->name), NULL, (enum cn_transport)t, ss);
	rc = cn_attach(&as->cn, r->loop, fd, (enum cn_transport)t, ASAP_PPID,
	    false, r->conf.max_message_size, r->conf.send_queue, &r->tune,
	    &assoc_ops, as);
	if (rc != 0 && rc != -ENOMEM) {
		/* Tuning: SCTP without data_io_event reads every PPID as 0. */
		log_warnx("%s: setsockopt: %s", as->name, strerror(-rc));
		rc = cn_attach(&as->cn, r->loop, fd, (enum cn_transport)t,
		    ASAP_PPID, false, r->conf.max_message_size,
		    r->conf.send_queue, NULL,
		    &assoc_ops, as);
	}
	if (rc != 0)
		fatal("%s: cn_attach: %s", __func__, strerror(-rc));
	as->id = ++r->next_assoc_id;
	sl = sizeof(as->local);
	getsockname(fd, (struct sockaddr *)&as->local, &sl);
	as->since = now_ms(r);
	cn_rate_init(&as->cn.rate, r->conf.request_burst, as->since);
	as->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 10000);
	LIST_INIT(&as->pes);
	TAILQ_INSERT_TAIL(&r->assocs, as, entry);
	r->nassocs++;
	source_add(r, as);
	cn_set_budget(&as->cn, &r->budget);
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
	rp = reg_pe_new(r);
	rp->pe = pe;
	rp->as = as;
	LIST_INSERT_HEAD(&as->pes, rp, as_entry);
	as->npes++;
	hs_pe_set_udata(pe, rp);
	rp->ka_waiting = true;
	ka_schedule(rp, r->conf.keepalive_timeout);
	send_keepalive(r, rp, true, false);
}

/* cn_listener callbacks: a new association, within max-associations. */
static bool
listener_accept(void *arg, int fd, const struct sockaddr_storage *ss)
{
	struct listener *l = arg;
	struct registrar *r = l->r;
	struct assoc *as;

	if (!admit(r, fd, ss))
		return false;
	as = assoc_new(r, fd, l->transport, ss);
	r->stats.assocs_accepted++;
	log_debug("%s: association up", as->name);
	/* the TLS port handshakes; a plaintext one spots TLS clients. */
	if (l->tls && cn_tls_start(&as->cn, r->tls_server) != 0)
		assoc_close(as, "out of memory for TLS");
	else if (!l->tls)
		cn_plain_check(&as->cn);
	return true;
}

static void
listener_error(void *arg, int err)
{
	struct listener *l = arg;

	log_rl_warnx(&l->r->rl_peer, now_ms(l->r), "accept: %s%s",
	    strerror(err), err == EMFILE || err == ENFILE ?
	    ": not accepting for a while" : "");
}

/* ---- listeners ------------------------------------------------------------ */

static int
listener_open(struct registrar *r, const struct sockaddr_storage *ss,
    socklen_t sslen, enum assoc_transport t, struct listener *ret)
{
	char a[ADDR_STRLEN];
	int rc;

	addr_str(ss, a, sizeof(a));
	memset(ret, 0, sizeof(*ret));
	ret->r = r;
	ret->transport = t;
	ret->ss = *ss;
	ret->sslen = sslen;
	/* FREEBIND: the anycast address may not be on lo yet (healthd). */
	if ((rc = cn_listen(&ret->cl, r->loop, ss, sslen, (enum cn_transport)t,
	    256, CN_LISTEN_FREEBIND, NULL, listener_accept, listener_error,
	    ret)) != 0) {
		log_warnx("listen on %s %s: %s", assoc_transport_name(t), a,
		    strerror(-rc));
		return rc;
	}
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

	for (i = 0; i < r->nlisteners; i++)
		cn_listener_close(&r->listeners[i].cl);
	free(r->listeners);
	r->listeners = NULL;
	r->nlisteners = 0;
}

static int
listeners_open(struct registrar *r)
{
	struct registrar_config *c = &r->conf;
	struct listener *ls;
	char a[ADDR_STRLEN];
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
			/* no TLS over SCTP here (parse.y says so). */
			if (t == ASSOC_SCTP && (c->secured || c->listen[i].tls))
				continue;
			if (c->listen[i].tls && r->tls_server == NULL)
				continue;
			if (listener_open(r, &c->listen[i].ss,
			    c->listen[i].sslen, t, &ls[n]) != 0)
				continue;
			ls[n].tls = c->listen[i].tls;
			if (ls[n].tls)
				log_info("tcp %s: ASAP over TLS", addr_str(
				    &c->listen[i].ss, a, sizeof(a)));
			n++;
		}
	}
	r->listeners = ls;
	r->nlisteners = n;
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
	registrar_tune(conf, false, &r->tune);
	if ((rc = cn_batch_set(loop, conf->io_batching)) != 0)
		return rc;
	r->announce_fd4 = r->announce_fd6 = -1;
	TAILQ_INIT(&r->assocs);
	TAILQ_INIT(&r->suspects);
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
	if ((rc = reg_tls_init(r, conf)) != 0)
		return rc;
	if ((rc = bounds_init(r)) != 0)
		return rc;
	TAILQ_INIT(&r->ka_flush);
	if ((rc = whl_init(&r->ka_wheel, KA_RES_MS, KA_SLOTS, ev_now(loop),
	    ka_fire, r)) != 0)
		return rc;
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
	struct assoc *as;
	uint32_t id = r->server_id;
	int rc;

	announce_stop(r);
	listeners_close(r);
	r->conf = *conf;
	registrar_tune(conf, false, &r->tune);
	/* Between iterations no batch is under way: it cannot be busy. */
	(void)cn_batch_set(r->loop, conf->io_batching);
	/* new TLS keys; on error the old ones stay (logged). */
	(void)reg_tls_reload(r, conf);
	hs_limits_from(conf, &lim);
	hs_set_limits(r->hs, &lim);
	/* Bounds: the new send queue caps apply to every association. */
	r->budget.max = conf->send_queue_total;
	TAILQ_FOREACH(as, &r->assocs, entry)
		as->cn.out_max = conf->send_queue;
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
	reg_tls_free(r);
	authz_free(r);
	unreach_shutdown(r);
	ev_cancel(&r->sweep);
	ev_cancel(&r->budget_ev);
	free(r->sources);
	r->sources = NULL;
	ev_cancel(&r->expiry);
	hs_free(r->hs);
	r->hs = NULL;
	ev_cancel(&r->ka_tick);
	whl_free(&r->ka_wheel);
	reg_pe_chunks_free(r);
}
