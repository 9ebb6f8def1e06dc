/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PE <-> PU sessions over TCP with the session framing of SESSION.md, or
 * over SCTP with the control channel on PPID 11 (conn.c).  The PU
 * end (struct asap_session) implements GETPRIMARYSERVER / GETNEXTSERVER:
 * choose a PE (business card order first, then the pool policy), connect,
 * and on failure report the PE unreachable, choose the next one (re-resolving
 * when the list is used up), echo the last cookie to it as the first control
 * message (RFC 5352 §3.10) and tell the application how long it took.  The
 * PE end (struct asap_pe_session) wraps a connection the application
 * accepted: data, COOKIE, COOKIE_ECHO and BUSINESS_CARD (§3.11).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "asap_int.h"

enum session_state {
	SS_RESOLVING,
	SS_CONNECTING,
	SS_CONNECTED,
	SS_WAITING,
};

struct asap_session {
	struct asap_ctx	*ctx;
	TAILQ_ENTRY(asap_session) link;
	bool		 zombie;
	uint8_t		 handle[ASAP_POOL_HANDLE_MAX];
	size_t		 hlen;
	struct asap_session_callbacks cb;
	void		*arg;

	enum session_state state;
	struct conn	*c;
	struct asap_pe_info cur;
	unsigned int	 addr_idx;
	bool		 data_only;
	uint32_t	 excl[ASAP_EXCLUDE_MAX];
	size_t		 nexcl;
	bool		 refetched;
	uint8_t		*cookie;
	size_t		 cookie_len;
	struct asap_pe_info *card;
	size_t		 ncard;
	uint8_t		*q;		/* queued data: u16 len, bytes... */
	size_t		 qlen, qcap;
	bool		 failing_over;
	uint64_t	 failed_at;
	uint32_t	 old_pe;
	struct ev_ref	 retry, kick;
	uint32_t	 retry_ms;
};

struct asap_pe_session {
	struct asap_ctx	*ctx;
	TAILQ_ENTRY(asap_pe_session) link;
	bool		 zombie;
	struct conn	*c;
	struct asap_pe_session_callbacks cb;
	void		*arg;
	bool		 data_only;
};

static void	session_pick(struct asap_session *s);
static void	session_resolve(struct asap_session *s);

static void
session_notify(struct asap_session *s, enum asap_session_event ev, int error,
    bool echoed)
{
	struct asap_session_status st;

	if (s->cb.status == NULL || s->zombie)
		return;
	memset(&st, 0, sizeof(st));
	st.event = ev;
	st.error = error;
	st.pe_id = ev == ASAP_SESSION_CONNECTED ? s->cur.id : 0;
	st.old_pe_id = s->old_pe;
	st.cookie_echoed = echoed;
	if (ev == ASAP_SESSION_CONNECTED && s->failing_over)
		st.failover_ms = ctx_now(s->ctx) - s->failed_at;
	CTX_CALLBACK(s->ctx, s->cb.status(s, &st, s->arg));
}

static bool
is_excluded(const struct asap_session *s, uint32_t id)
{
	size_t i;

	for (i = 0; i < s->nexcl; i++)
		if (s->excl[i] == id)
			return true;
	return false;
}

static void
exclude(struct asap_session *s, uint32_t id)
{
	if (is_excluded(s, id))
		return;
	if (s->nexcl == ASAP_EXCLUDE_MAX) {
		memmove(s->excl, s->excl + 1, (s->nexcl - 1) * sizeof(s->excl[0]));
		s->nexcl--;
	}
	s->excl[s->nexcl++] = id;
}

/* Parse the PEs of a decoded BUSINESS_CARD; caller frees *ret. */
static size_t
card_parse(const struct rsp_msg *m, struct asap_pe_info **ret)
{
	struct asap_pe_info *pes;
	struct rsp_iter it;
	struct rsp_pe r;
	size_t n = 0;

	*ret = NULL;
	if (m->nitems == 0 || (pes = calloc(m->nitems, sizeof(*pes))) == NULL)
		return 0;
	rsp_iter_init(&it, m);
	while (n < m->nitems && rsp_iter_pe(&it, NULL, &r) == 1)
		pe_info_from_rsp(&r, &pes[n++]);
	*ret = pes;
	return n;
}

static void
noop_resolved(struct asap_ctx *ctx, const struct asap_resolution *res,
    void *arg)
{
	(void)ctx;
	(void)res;
	(void)arg;
}

/* PU session --------------------------------------------------------------- */

static void
session_retry(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct asap_session *s = arg;

	(void)loop;
	(void)revents;
	/* Give every PE another chance with a fresh answer. */
	s->nexcl = 0;
	s->refetched = false;
	asap_pu_cache_purge(s->ctx, s->handle, s->hlen);
	session_resolve(s);
}

static void
session_wait(struct asap_session *s, int error)
{
	s->state = SS_WAITING;
	ctx_timer(s->ctx, &s->retry, s->retry_ms, session_retry, s);
	s->retry_ms = s->retry_ms * 2 > ASAP_SESSION_RETRY_MAX_MS ?
	    ASAP_SESSION_RETRY_MAX_MS : s->retry_ms * 2;
	session_notify(s, ASAP_SESSION_WAITING, error, false);
}

static void
session_resolved(struct asap_ctx *ctx, const struct asap_resolution *res,
    void *arg)
{
	struct asap_session *s = arg;

	(void)ctx;
	if (s->zombie || s->state != SS_RESOLVING)
		return;
	if (res->error < 0 || res->npe == 0) {
		session_wait(s, res->error < 0 ? res->error : -ENOENT);
		return;
	}
	session_pick(s);
}

static void
session_resolve(struct asap_session *s)
{
	int r;

	s->state = SS_RESOLVING;
	if ((r = asap_pu_resolve(s->ctx, s->handle, s->hlen, session_resolved,
	    s)) < 0)
		session_wait(s, r);
}

static void	session_connect(struct asap_session *s);

/* The PE in use failed: report it (once), then GETNEXTSERVER. */
static void
session_pe_failed(struct asap_session *s, int error)
{
	struct asap_ctx *ctx = s->ctx;
	size_t i;

	conn_free(s->c);
	s->c = NULL;
	ctx_debug(ctx, "session: PE %08x failed: %s", s->cur.id,
	    strerror(-error));
	(void)asap_pu_report_unreachable(ctx, s->handle, s->hlen, s->cur.id);
	exclude(s, s->cur.id);
	for (i = 0; i < s->ncard; i++) {
		if (s->card[i].id != s->cur.id)
			continue;
		memmove(&s->card[i], &s->card[i + 1],
		    (s->ncard - i - 1) * sizeof(s->card[0]));
		s->ncard--;
		break;
	}
	if (!s->failing_over) {
		s->failing_over = true;
		s->failed_at = ctx_now(ctx);
	}
	s->old_pe = s->cur.id;
	s->state = SS_RESOLVING;
	session_notify(s, ASAP_SESSION_FAILOVER, error, false);
	if (s->zombie)
		return;
	session_pick(s);
}

/* Can this host make SCTP sockets at all?  Asked once. */
static bool
sctp_available(void)
{
	static int ok = -1;
	int fd;

	if (ok < 0) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP);
		ok = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	return ok;
}

static void
session_pick(struct asap_session *s)
{
	struct asap_ctx *ctx = s->ctx;
	const struct asap_pe_info *pe = NULL;
	struct cache_entry *e;
	size_t i;

	for (;;) {
		pe = NULL;
		/* BC2: the business card's order comes first. */
		for (i = 0; i < s->ncard && pe == NULL; i++)
			if (!is_excluded(s, s->card[i].id))
				pe = &s->card[i];
		e = pu_cache_find(ctx, s->handle, s->hlen);
		if (pe == NULL) {
			if (!pu_cache_fresh(ctx, e) && !s->refetched) {
				/* C3: stale or missing: ask again first. */
				s->refetched = true;
				session_resolve(s);
				return;
			}
			pe = pu_select(ctx, e, s->excl, s->nexcl);
		}
		if (pe == NULL) {
			if (!s->refetched) {
				/* List used up: a fresh one, old PEs allowed
				 * again except the one that just failed. */
				s->refetched = true;
				s->nexcl = 0;
				if (s->old_pe != 0)
					exclude(s, s->old_pe);
				asap_pu_cache_purge(ctx, s->handle, s->hlen);
				session_resolve(s);
				return;
			}
			session_wait(s, -EHOSTUNREACH);
			return;
		}
		if (pe->naddr > 0 && (pe->transport == ASAP_TRANSPORT_TCP ||
		    (pe->transport == ASAP_TRANSPORT_SCTP && sctp_available())))
			break;
		/* Not a transport sessions can use (here): skip it, without
		 * reporting it unreachable. */
		exclude(s, pe->id);
	}
	s->cur = *pe;
	s->addr_idx = 0;
	s->data_only = pe->use == ASAP_USE_DATA;
	session_connect(s);
}

static void	session_connected(struct conn *c, void *arg);
static void	session_frame(struct conn *c, uint8_t kind, const uint8_t *p,
		    size_t len, void *arg);
static void	session_closed(struct conn *c, int error, void *arg);

static const struct conn_ops session_ops = {
	.connected = session_connected,
	.frame = session_frame,
	.closed = session_closed,
};

static void
session_connect(struct asap_session *s)
{
	char buf[80];
	int err = -EHOSTUNREACH;

	s->state = SS_CONNECTING;
	while (s->addr_idx < s->cur.naddr) {
		s->c = conn_connect(s->ctx, &s->cur.addr[s->addr_idx],
		    s->cur.transport == ASAP_TRANSPORT_SCTP, NULL,
		    s->data_only ? CONN_RAW : CONN_SESSION, &session_ops, s);
		ctx_debug(s->ctx, "session: connecting to PE %08x at %s%s",
		    s->cur.id, s->cur.transport == ASAP_TRANSPORT_SCTP ?
		    "sctp:" : "", asap_sockaddr_str(&s->cur.addr[s->addr_idx],
		    buf, sizeof(buf)));
		if (s->c != NULL)
			return;
		err = -errno;
		s->addr_idx++;
	}
	session_pe_failed(s, err);
}

static void
session_flush_queue(struct asap_session *s)
{
	size_t off = 0, len;

	while (off + 2 <= s->qlen) {
		len = get_u16(s->q + off);
		if (conn_send_frame(s->c, SESSION_KIND_DATA, s->q + off + 2,
		    len) < 0)
			break;
		off += 2 + len;
	}
	s->qlen = 0;
}

static void
session_connected(struct conn *c, void *arg)
{
	struct asap_session *s = arg;
	uint8_t buf[ASAP_MSG_BUF];
	struct wbuf w;
	bool echoed = false;
	size_t m;

	(void)c;
	s->state = SS_CONNECTED;
	s->refetched = false;
	s->retry_ms = ASAP_SESSION_RETRY_MS;
	/* §3.10: the last cookie, unmodified, first on the new control channel. */
	if (s->cookie != NULL && !s->data_only) {
		wbuf_init(&w, buf, sizeof(buf));
		m = rsp_put_msg_begin(&w, ASAP_COOKIE_ECHO, 0);
		rsp_put_cookie(&w, s->cookie, s->cookie_len);
		rsp_put_msg_end(&w, m);
		if (!w.err && conn_send_frame(s->c, SESSION_KIND_ASAP, w.p,
		    w.len) == 0)
			echoed = true;
	}
	session_flush_queue(s);
	ctx_debug(s->ctx, "session: connected to PE %08x%s", s->cur.id,
	    echoed ? " (cookie echoed)" : "");
	session_notify(s, ASAP_SESSION_CONNECTED, 0, echoed);
	s->failing_over = false;
}

static void
session_closed(struct conn *c, int error, void *arg)
{
	struct asap_session *s = arg;

	(void)c;
	if (s->state == SS_CONNECTING) {
		conn_free(s->c);
		s->c = NULL;
		s->addr_idx++;
		if (s->addr_idx < s->cur.naddr) {
			session_connect(s);
			return;
		}
	}
	session_pe_failed(s, error ? error : -ECONNRESET);
}

static void
session_control(struct asap_session *s, const uint8_t *p, size_t len)
{
	struct asap_ctx *ctx = s->ctx;
	struct rsp_msg m;
	struct rsp_err err;
	struct asap_pe_info *pes;
	uint8_t *ck;
	size_t n;

	if (rsp_decode(RSP_PROTO_ASAP, p, len, NULL, &m, &err) < 0) {
		ctx_debug(ctx, "session: bad control message: %s", err.what);
		return;
	}
	switch (m.type) {
	case ASAP_COOKIE:
		/* §3.10: keep only the most recent cookie. */
		if ((ck = malloc(m.cookie.len ? m.cookie.len : 1)) == NULL)
			return;
		memcpy(ck, m.cookie.p, m.cookie.len);
		free(s->cookie);
		s->cookie = ck;
		s->cookie_len = m.cookie.len;
		if (s->cb.cookie != NULL)
			CTX_CALLBACK(ctx, s->cb.cookie(s, s->cookie,
			    s->cookie_len, s->arg));
		break;
	case ASAP_BUSINESS_CARD:
		n = card_parse(&m, &pes);
		/* BC1: learn the pool if we do not know it. */
		if (pu_cache_find(ctx, m.handle.p, m.handle.len) == NULL &&
		    m.handle.len <= ASAP_POOL_HANDLE_MAX)
			(void)asap_pu_resolve(ctx, m.handle.p, m.handle.len,
			    noop_resolved, NULL);
		/* BC2: the failover order, when it is for our pool. */
		if (m.handle.len == s->hlen &&
		    memcmp(m.handle.p, s->handle, s->hlen) == 0) {
			free(s->card);
			s->card = pes;
			s->ncard = n;
		}
		if (s->cb.business_card != NULL)
			CTX_CALLBACK(ctx, s->cb.business_card(s, m.handle.p,
			    m.handle.len, pes, n, s->arg));
		if (s->card != pes)
			free(pes);
		break;
	default:
		ctx_debug(ctx, "session: %s ignored",
		    rsp_msg_name(RSP_PROTO_ASAP, m.type));
		break;
	}
}

static void
session_frame(struct conn *c, uint8_t kind, const uint8_t *p, size_t len,
    void *arg)
{
	struct asap_session *s = arg;

	(void)c;
	if (s->zombie)
		return;
	if (kind == SESSION_KIND_DATA) {
		if (s->cb.data != NULL)
			CTX_CALLBACK(s->ctx, s->cb.data(s, p, len, s->arg));
	} else if (kind == SESSION_KIND_ASAP) {
		session_control(s, p, len);
	}
}

static void
session_kick(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct asap_session *s = arg;

	(void)loop;
	(void)revents;
	session_resolve(s);
}

struct asap_session *
asap_session_new(struct asap_ctx *ctx, const void *handle, size_t hlen,
    const struct asap_session_callbacks *cb, void *arg)
{
	struct asap_session *s;

	if (ctx == NULL || handle == NULL || hlen == 0 ||
	    hlen > ASAP_POOL_HANDLE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->ctx = ctx;
	memcpy(s->handle, handle, hlen);
	s->hlen = hlen;
	if (cb != NULL)
		s->cb = *cb;
	s->arg = arg;
	s->retry_ms = ASAP_SESSION_RETRY_MS;
	s->state = SS_RESOLVING;
	TAILQ_INSERT_TAIL(&ctx->sessions, s, link);
	/* Start from the loop so no callback runs inside this call. */
	ctx_timer(ctx, &s->kick, 0, session_kick, s);
	return s;
}

int
asap_session_send(struct asap_session *s, const void *p, size_t len)
{
	uint8_t *n;
	size_t cap;

	if (s == NULL || s->zombie || (p == NULL && len > 0))
		return -EINVAL;
	if (len > UINT16_MAX)
		return -EMSGSIZE;
	if (s->state == SS_CONNECTED && conn_up(s->c))
		return conn_send_frame(s->c, SESSION_KIND_DATA, p, len);
	if (s->qlen + 2 + len > CONN_TX_MAX)
		return -ENOBUFS;
	if (s->qlen + 2 + len > s->qcap) {
		cap = s->qcap ? s->qcap : 1024;
		while (cap < s->qlen + 2 + len)
			cap *= 2;
		if ((n = realloc(s->q, cap)) == NULL)
			return -ENOMEM;
		s->q = n;
		s->qcap = cap;
	}
	s->q[s->qlen] = (uint8_t)(len >> 8);
	s->q[s->qlen + 1] = (uint8_t)len;
	if (len > 0)
		memcpy(s->q + s->qlen + 2, p, len);
	s->qlen += 2 + len;
	return 0;
}

static void
session_force_failover(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct asap_session *s = arg;

	(void)loop;
	(void)revents;
	if (s->state == SS_CONNECTED || s->state == SS_CONNECTING)
		session_pe_failed(s, -ETIMEDOUT);
}

int
asap_session_failover(struct asap_session *s)
{
	if (s == NULL || s->zombie)
		return -EINVAL;
	if (s->state != SS_CONNECTED && s->state != SS_CONNECTING)
		return -ENOTCONN;
	return ctx_timer(s->ctx, &s->kick, 0, session_force_failover, s);
}

int
asap_session_send_business_card(struct asap_session *s,
    const struct asap_pe *own)
{
	uint8_t buf[ASAP_MSG_BUF];
	struct wbuf w;
	int r;

	if (s == NULL || own == NULL || s->zombie)
		return -EINVAL;
	if (s->state != SS_CONNECTED || s->data_only)
		return -ENOTCONN;
	wbuf_init(&w, buf, sizeof(buf));
	if ((r = build_business_card(s->ctx, own, &w)) < 0)
		return r;
	return conn_send_frame(s->c, SESSION_KIND_ASAP, w.p, w.len);
}

uint32_t
asap_session_pe_id(const struct asap_session *s)
{
	return s->state == SS_CONNECTED ? s->cur.id : 0;
}

bool
asap_session_is_connected(const struct asap_session *s)
{
	return s->state == SS_CONNECTED;
}

void
session_free_now(struct asap_session *s)
{
	struct asap_ctx *ctx = s->ctx;

	pu_cancel(ctx, session_resolved, s);
	ev_cancel(&s->retry);
	ev_cancel(&s->kick);
	conn_free(s->c);
	if (s->zombie)
		TAILQ_REMOVE(&ctx->dead_sessions, s, link);
	else
		TAILQ_REMOVE(&ctx->sessions, s, link);
	free(s->cookie);
	free(s->card);
	free(s->q);
	free(s);
}

void
asap_session_close(struct asap_session *s)
{
	struct asap_ctx *ctx;

	if (s == NULL || s->zombie)
		return;
	ctx = s->ctx;
	if (ctx->cb_depth == 0) {
		session_free_now(s);
		return;
	}
	pu_cancel(ctx, session_resolved, s);
	ev_cancel(&s->retry);
	ev_cancel(&s->kick);
	conn_free(s->c);
	s->c = NULL;
	TAILQ_REMOVE(&ctx->sessions, s, link);
	s->zombie = true;
	TAILQ_INSERT_TAIL(&ctx->dead_sessions, s, link);
}

/* PE end of a session -------------------------------------------------------- */

static void
pes_frame(struct conn *c, uint8_t kind, const uint8_t *p, size_t len,
    void *arg)
{
	struct asap_pe_session *s = arg;
	struct asap_ctx *ctx = s->ctx;
	struct asap_pe_info *pes;
	struct rsp_msg m;
	struct rsp_err err;
	size_t n;

	(void)c;
	if (s->zombie)
		return;
	if (kind == SESSION_KIND_DATA) {
		if (s->cb.data != NULL)
			CTX_CALLBACK(ctx, s->cb.data(s, p, len, s->arg));
		return;
	}
	if (kind != SESSION_KIND_ASAP)
		return;
	if (rsp_decode(RSP_PROTO_ASAP, p, len, NULL, &m, &err) < 0) {
		ctx_debug(ctx, "pe session: bad control message: %s", err.what);
		return;
	}
	if (m.type == ASAP_COOKIE_ECHO && s->cb.cookie_echo != NULL) {
		CTX_CALLBACK(ctx, s->cb.cookie_echo(s, m.cookie.p, m.cookie.len,
		    s->arg));
	} else if (m.type == ASAP_BUSINESS_CARD) {
		n = card_parse(&m, &pes);
		if (s->cb.business_card != NULL)
			CTX_CALLBACK(ctx, s->cb.business_card(s, m.handle.p,
			    m.handle.len, pes, n, s->arg));
		free(pes);
	}
}

static void
pes_closed(struct conn *c, int error, void *arg)
{
	struct asap_pe_session *s = arg;

	(void)c;
	if (s->cb.closed != NULL && !s->zombie)
		CTX_CALLBACK(s->ctx, s->cb.closed(s, error, s->arg));
}

static void
pes_connected(struct conn *c, void *arg)
{
	(void)c;
	(void)arg;
}

static const struct conn_ops pe_session_ops = {
	.connected = pes_connected,
	.frame = pes_frame,
	.closed = pes_closed,
};

struct asap_pe_session *
asap_pe_session_new(struct asap_ctx *ctx, int fd, bool data_only,
    const struct asap_pe_session_callbacks *cb, void *arg)
{
	struct asap_pe_session *s;

	if (ctx == NULL || fd < 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->ctx = ctx;
	if (cb != NULL)
		s->cb = *cb;
	s->arg = arg;
	s->data_only = data_only;
	s->c = conn_adopt(ctx, fd, data_only ? CONN_RAW : CONN_SESSION,
	    &pe_session_ops, s);
	if (s->c == NULL) {
		free(s);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&ctx->pe_sessions, s, link);
	return s;
}

int
asap_pe_session_send(struct asap_pe_session *s, const void *p, size_t len)
{
	if (s == NULL || s->zombie)
		return -EINVAL;
	return conn_send_frame(s->c, SESSION_KIND_DATA, p, len);
}

int
asap_pe_session_send_cookie(struct asap_pe_session *s, const void *cookie,
    size_t len)
{
	uint8_t buf[ASAP_MSG_BUF];
	struct wbuf w;
	size_t m;

	if (s == NULL || s->zombie || len > 65000)
		return -EINVAL;
	if (s->data_only)
		return -EOPNOTSUPP;
	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_COOKIE, 0);
	rsp_put_cookie(&w, cookie, len);
	rsp_put_msg_end(&w, m);
	if (w.err)
		return -EMSGSIZE;
	return conn_send_frame(s->c, SESSION_KIND_ASAP, w.p, w.len);
}

int
build_business_card(struct asap_ctx *ctx, const struct asap_pe *own,
    struct wbuf *w)
{
	struct asap_pe_info me;
	const struct asap_pe_info *pes;
	struct cache_entry *e;
	struct rsp_pe r;
	const uint8_t *h;
	size_t hlen, i, n, m;

	h = pe_handle(own, &hlen);
	(void)asap_pe_info(own, &me);
	m = rsp_put_msg_begin(w, ASAP_BUSINESS_CARD, 0);
	rsp_put_handle(w, h, hlen);
	pe_info_to_rsp(&me, &r);
	rsp_put_pe(w, &r);
	if ((e = pu_cache_find(ctx, h, hlen)) != NULL) {
		n = pu_cache_pes(e, &pes);
		for (i = 0; i < n; i++) {
			if (pes[i].id == me.id)
				continue;
			pe_info_to_rsp(&pes[i], &r);
			rsp_put_pe(w, &r);
		}
	}
	if (e == NULL || !pu_cache_fresh(ctx, e))
		(void)asap_pu_resolve(ctx, h, hlen, noop_resolved, NULL);
	rsp_put_msg_end(w, m);
	return w->err ? -EMSGSIZE : 0;
}

int
asap_pe_session_send_business_card(struct asap_pe_session *s,
    const struct asap_pe *own)
{
	uint8_t buf[ASAP_MSG_BUF];
	struct wbuf w;
	int r;

	if (s == NULL || own == NULL || s->zombie)
		return -EINVAL;
	if (s->data_only)
		return -EOPNOTSUPP;
	wbuf_init(&w, buf, sizeof(buf));
	if ((r = build_business_card(s->ctx, own, &w)) < 0)
		return r;
	return conn_send_frame(s->c, SESSION_KIND_ASAP, w.p, w.len);
}

void
pe_session_free_now(struct asap_pe_session *s)
{
	struct asap_ctx *ctx = s->ctx;

	conn_free(s->c);
	if (s->zombie)
		TAILQ_REMOVE(&ctx->dead_pe_sessions, s, link);
	else
		TAILQ_REMOVE(&ctx->pe_sessions, s, link);
	free(s);
}

void
asap_pe_session_free(struct asap_pe_session *s)
{
	struct asap_ctx *ctx;

	if (s == NULL || s->zombie)
		return;
	ctx = s->ctx;
	if (ctx->cb_depth == 0) {
		pe_session_free_now(s);
		return;
	}
	conn_free(s->c);
	s->c = NULL;
	TAILQ_REMOVE(&ctx->pe_sessions, s, link);
	s->zombie = true;
	TAILQ_INSERT_TAIL(&ctx->dead_pe_sessions, s, link);
}

void
session_free_all(struct asap_ctx *ctx)
{
	struct asap_session *s;
	struct asap_pe_session *ps;

	while ((s = TAILQ_FIRST(&ctx->sessions)) != NULL)
		session_free_now(s);
	while ((ps = TAILQ_FIRST(&ctx->pe_sessions)) != NULL)
		pe_session_free_now(ps);
}
