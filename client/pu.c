/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pool user side of ASAP (RFC 5352 §3.3, §3.5, §3.7): handle resolution
 * requests with the Handle Resolution Option, T1-ENRPrequest and
 * MAX-REQUEST-RETRANSMIT, the resolution cache with its stale_cache_value
 * (rules C1-C4), the PU's choice among the returned PEs (RFC 5356 PU rules,
 * doc/protocol/policies.md §3) and ENDPOINT_UNREACHABLE reports, each
 * sent once.
 * A resolution may ask the registrar who it is (the Registrar Identity
 * parameter 0x8a01 of doc/spec/registrar-identity.md); such a request always
 * goes to the registrar, since only an answer carries the identity.
 * With a deadline (asap_pu_set_deadline(), libasap 0.4) a request has no
 * T1 retransmissions on one association: each waiter has its own deadline,
 * and a try (the request sent on one connection) unanswered within the
 * per-try timeout of retry.c makes the context hunt for a new connection,
 * on which it is sent again; a dead association resends at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asap_int.h"

struct cache_entry {
	TAILQ_ENTRY(cache_entry) link;
	uint8_t		 handle[ASAP_POOL_HANDLE_MAX];
	size_t		 hlen;
	uint32_t	 policy;
	struct asap_pe_info *pe;
	size_t		 npe;
	uint64_t	 fetched;
	uint32_t	 rr_next;	/* round robin position */
};

struct ready_waiter {
	TAILQ_ENTRY(ready_waiter) link;
	asap_resolve_cb	 cb;
	void		*arg;
	uint64_t	 deadline;	/* ms; 0 none (RFC 5352 T1 rules) */
	uint8_t		 handle[ASAP_POOL_HANDLE_MAX];	/* ready list only */
	size_t		 hlen;
};

struct resolve_req {
	TAILQ_ENTRY(resolve_req) link;
	uint8_t		 handle[ASAP_POOL_HANDLE_MAX];
	size_t		 hlen;
	struct waiter_list waiters;
	unsigned int	 retrans;
	bool		 sent;		/* on the current association */
	bool		 want_id;	/* ask for the Registrar Identity */
	struct ev_ref	 t1;		/* T1, or with a deadline the next of
					   try_due and the earliest deadline */
	struct asap_ctx	*ctx;
	/* With a deadline (libasap 0.4) */
	bool		 dl;
	uint64_t	 sent_at;	/* the current try */
	uint64_t	 try_due;	/* 0: no try waiting for an answer */
	uint64_t	 sent_gen;	/* assoc_gen of the current try */
	unsigned int	 sends;		/* on that association (Karn) */
};

static void	req_dl_arm(struct resolve_req *rq);

static bool
same(const uint8_t *h, size_t hl, const void *p, size_t len)
{
	return hl == len && memcmp(h, p, len) == 0;
}

/* Cache --------------------------------------------------------------------- */

struct cache_entry *
pu_cache_find(struct asap_ctx *ctx, const void *h, size_t hlen)
{
	struct cache_entry *e;

	TAILQ_FOREACH(e, &ctx->cache, link)
		if (same(e->handle, e->hlen, h, hlen))
			return e;
	return NULL;
}

bool
pu_cache_fresh(const struct asap_ctx *ctx, const struct cache_entry *e)
{
	return e != NULL && e->npe > 0 &&
	    ctx_now(ctx) - e->fetched < ctx->cfg.stale_cache_ms;
}

size_t
pu_cache_pes(const struct cache_entry *e, const struct asap_pe_info **ret)
{
	*ret = e->pe;
	return e->npe;
}

static void
cache_entry_free(struct asap_ctx *ctx, struct cache_entry *e)
{
	TAILQ_REMOVE(&ctx->cache, e, link);
	free(e->pe);
	free(e);
}

void
asap_pu_cache_purge(struct asap_ctx *ctx, const void *handle, size_t hlen)
{
	struct cache_entry *e, *n;

	TAILQ_FOREACH_SAFE(e, &ctx->cache, link, n)
		if (handle == NULL || same(e->handle, e->hlen, handle, hlen))
			cache_entry_free(ctx, e);
}

static bool
excluded(uint32_t id, const uint32_t *excl, size_t nexcl)
{
	size_t i;

	for (i = 0; i < nexcl; i++)
		if (excl[i] == id)
			return true;
	return false;
}

const struct asap_pe_info *
pu_select(struct asap_ctx *ctx, struct cache_entry *e, const uint32_t *excl,
    size_t nexcl)
{
	const struct asap_pe_info *best = NULL;
	size_t i, n = 0, k, pick;

	if (e == NULL || e->npe == 0)
		return NULL;
	for (i = 0; i < e->npe; i++)
		if (!excluded(e->pe[i].id, excl, nexcl))
			n++;
	if (n == 0)
		return NULL;
	switch (e->policy) {
	case RSP_POLICY_ROUND_ROBIN:
	case RSP_POLICY_WEIGHTED_ROUND_ROBIN:
		/* §3.1/3.2: cycle through the received list. */
		for (k = 0; k < e->npe; k++) {
			i = (e->rr_next + k) % e->npe;
			if (!excluded(e->pe[i].id, excl, nexcl)) {
				e->rr_next = (uint32_t)((i + 1) % e->npe);
				return &e->pe[i];
			}
		}
		return NULL;
	case RSP_POLICY_RANDOM:
	case RSP_POLICY_WEIGHTED_RANDOM:
	case RSP_POLICY_RANDOMIZED_LEAST_USED:
		/* §3.3/3.4/3.9: uniform among the received (server weighed). */
		pick = ctx_random(ctx) % n;
		for (i = 0; i < e->npe; i++) {
			if (excluded(e->pe[i].id, excl, nexcl))
				continue;
			if (pick-- == 0)
				return &e->pe[i];
		}
		return NULL;
	case RSP_POLICY_PRIORITY:
		/* §3.5: the reachable PE with the highest priority. */
		for (i = 0; i < e->npe; i++) {
			if (excluded(e->pe[i].id, excl, nexcl))
				continue;
			if (best == NULL ||
			    e->pe[i].policy.value[0] > best->policy.value[0])
				best = &e->pe[i];
		}
		return best;
	default:
		/* §3.6-3.8 (LU, LUD, PLU) and unknown: in received order. */
		for (i = 0; i < e->npe; i++)
			if (!excluded(e->pe[i].id, excl, nexcl))
				return &e->pe[i];
		return NULL;
	}
}

/* Requests ------------------------------------------------------------------ */

static void
req_send(struct resolve_req *rq)
{
	struct asap_ctx *ctx = rq->ctx;
	uint8_t buf[256];
	struct wbuf w;
	size_t m;

	if (!conn_up(ctx->assoc)) {
		ctx_need_assoc(ctx);	/* NR2 */
		return;
	}
	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, rq->handle, rq->hlen);
	rsp_put_hropt(&w, ctx->cfg.resolve_items);
	if (rq->want_id)
		rsp_put_regid_request(&w);
	if (ctx_want_unicast(ctx, false))
		rsp_put_reguni_request(&w);
	rsp_put_msg_end(&w, m);
	if (ctx_send(ctx, &w) == 0) {
		rq->sent = true;
		if (rq->sent_gen != ctx->assoc_gen) {
			rq->sent_gen = ctx->assoc_gen;
			rq->sends = 0;
		}
		rq->sends++;
		rq->sent_at = ctx_now(ctx);
		ctx_debug(ctx, "sent HANDLE_RESOLUTION (items %u)",
		    ctx->cfg.resolve_items);
		if (rq->dl) {
			rq->try_due = 0;	/* req_dl_arm() sets it */
			req_dl_arm(rq);
		}
	}
}

static void
deliver(struct asap_ctx *ctx, struct waiter_list *wl,
    const struct asap_resolution *res)
{
	struct ready_waiter *w;

	while ((w = TAILQ_FIRST(wl)) != NULL) {
		TAILQ_REMOVE(wl, w, link);
		CTX_CALLBACK(ctx, w->cb(ctx, res, w->arg));
		free(w);
	}
}

static void
entry_result(const struct cache_entry *e, bool stale, struct asap_resolution *r)
{
	memset(r, 0, sizeof(*r));
	r->stale = stale;
	r->policy = e->policy;
	r->npe = e->npe;
	r->pe = e->pe;
}

/*
 * Answer the waiters wl of pool (h, hlen): a copy of the entry survives
 * callbacks purging it.  id: the registrar's identity if its answer
 * carried one, else NULL.
 */
static void
result_deliver(struct asap_ctx *ctx, const uint8_t *h, size_t hlen,
    struct waiter_list *wl, int error, uint16_t cause,
    const struct asap_registrar_id *id)
{
	struct asap_resolution res;
	struct cache_entry *e, copy;

	memset(&res, 0, sizeof(res));
	res.error = error;
	res.cause = cause;
	e = pu_cache_find(ctx, h, hlen);
	copy.pe = NULL;
	if (e != NULL && e->npe > 0 && (error == 0 || error == -ETIMEDOUT)) {
		copy = *e;
		copy.pe = malloc(e->npe * sizeof(*e->pe));
		if (copy.pe != NULL) {
			memcpy(copy.pe, e->pe, e->npe * sizeof(*e->pe));
			/* C3: answer from a stale entry if nobody answers. */
			entry_result(&copy, error != 0, &res);
		}
	}
	res.registrar = id;
	deliver(ctx, wl, &res);
	free(copy.pe);
}

/* Finish a request: every waiter gets the result. */
static void
req_finish(struct resolve_req *rq, int error, uint16_t cause,
    const struct asap_registrar_id *id)
{
	struct asap_ctx *ctx = rq->ctx;
	struct waiter_list wl;
	uint8_t h[ASAP_POOL_HANDLE_MAX];
	size_t hlen = rq->hlen;

	ev_cancel(&rq->t1);
	TAILQ_REMOVE(&ctx->reqs, rq, link);
	TAILQ_INIT(&wl);
	TAILQ_CONCAT(&wl, &rq->waiters, link);
	memcpy(h, rq->handle, hlen);
	free(rq);
	result_deliver(ctx, h, hlen, &wl, error, cause, id);
}

static void
req_t1(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct resolve_req *rq = arg;
	struct asap_ctx *ctx = rq->ctx;

	(void)loop;
	(void)revents;
	if (rq->retrans >= ctx->cfg.max_request_retransmit) {
		/* §3.7: give up, report; the next request hunts afresh. */
		bool was_up = conn_up(ctx->assoc);

		ctx_debug(ctx, "handle resolution timed out");
		req_finish(rq, -ETIMEDOUT, 0, NULL);
		if (was_up)
			ctx_assoc_fail(ctx, "no answer to handle resolution");
		return;
	}
	rq->retrans++;
	req_send(rq);
	ctx_timer(ctx, &rq->t1, ctx->cfg.request_timeout_ms, req_t1, rq);
}

/* Deadline requests ------------------------------------------------------- */

static uint64_t
req_first_deadline(const struct resolve_req *rq)
{
	const struct ready_waiter *w;
	uint64_t first = UINT64_MAX;

	TAILQ_FOREACH(w, &rq->waiters, link)
		if (w->deadline != 0 && w->deadline < first)
			first = w->deadline;
	return first;
}

static void	req_dl_timer(struct ev_loop *loop, void *arg,
		    unsigned int revents);

/* Arm the timer for the next of the try's end and the first deadline. */
static void
req_dl_arm(struct resolve_req *rq)
{
	struct asap_ctx *ctx = rq->ctx;
	uint64_t now = ctx_now(ctx), first = req_first_deadline(rq), when;

	if (rq->sent && rq->try_due == 0 && first > now)
		rq->try_due = rq->sent_at + ctx_try_ms(ctx, first - now);
	when = first;
	if (rq->try_due != 0 && rq->try_due < when)
		when = rq->try_due;
	if (when == UINT64_MAX) {
		ev_cancel(&rq->t1);
		return;
	}
	ctx_timer(ctx, &rq->t1, when > now ? when - now : 0, req_dl_timer, rq);
}

static void
req_dl_timer(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct resolve_req *rq = arg;
	struct asap_ctx *ctx = rq->ctx;
	struct ready_waiter *w, *n;
	struct waiter_list late;
	uint8_t h[ASAP_POOL_HANDLE_MAX];
	size_t hlen = rq->hlen;
	uint64_t now = ctx_now(ctx);
	char why[64];

	(void)loop;
	(void)revents;
	TAILQ_INIT(&late);
	TAILQ_FOREACH_SAFE(w, &rq->waiters, link, n)
		if (w->deadline != 0 && now >= w->deadline) {
			TAILQ_REMOVE(&rq->waiters, w, link);
			TAILQ_INSERT_TAIL(&late, w, link);
		}
	memcpy(h, rq->handle, hlen);
	if (TAILQ_EMPTY(&rq->waiters)) {
		ctx_debug(ctx, "handle resolution: deadline passed");
		ev_cancel(&rq->t1);
		TAILQ_REMOVE(&ctx->reqs, rq, link);
		free(rq);
		rq = NULL;
	} else if (rq->try_due != 0 && now >= rq->try_due) {
		/* The registrar is silent: the next try on a new connection. */
		snprintf(why, sizeof(why), "no answer within %llu ms",
		    (unsigned long long)(now - rq->sent_at));
		rq->try_due = 0;
		ctx_assoc_suspect(ctx, why);
	}
	if (rq != NULL)
		req_dl_arm(rq);
	/* Last: the callbacks may start resolutions of their own. */
	if (!TAILQ_EMPTY(&late))
		result_deliver(ctx, h, hlen, &late, -ETIMEDOUT, 0, NULL);
}

bool
pu_deadline_pending(const struct asap_ctx *ctx, uint64_t *ret_left)
{
	const struct resolve_req *rq;
	uint64_t first = UINT64_MAX, d, now = ctx_now(ctx);

	TAILQ_FOREACH(rq, &ctx->reqs, link)
		if (rq->dl && (d = req_first_deadline(rq)) < first)
			first = d;
	if (first == UINT64_MAX)
		return false;
	if (ret_left != NULL)
		*ret_left = first > now ? first - now : 0;
	return true;
}

int
asap_pu_set_deadline(struct asap_ctx *ctx, const struct asap_deadline *d)
{
	struct retry_params p = { 0, RETRY_TRY_MIN_MS, RETRY_TRY_MAX_MS };
	size_t i;

	if (ctx == NULL)
		return -EINVAL;
	if (d != NULL) {
		for (i = 0; i < sizeof(d->reserved) / sizeof(d->reserved[0]);
		    i++)
			if (d->reserved[i] != 0)
				return -EINVAL;
		p.deadline_ms = d->deadline_ms;
		if (d->try_min_ms != 0)
			p.try_min_ms = d->try_min_ms;
		if (d->try_max_ms != 0)
			p.try_max_ms = d->try_max_ms;
		if (p.try_min_ms > p.try_max_ms)
			return -EINVAL;
	}
	ctx->dl = p;
	return 0;
}

static void
ready_fire(struct ev_loop *loop, void *arg, unsigned int revents);

int
asap_pu_resolve(struct asap_ctx *ctx, const void *handle, size_t hlen,
    asap_resolve_cb cb, void *arg)
{
	return asap_pu_resolve_ex(ctx, handle, hlen, 0, cb, arg);
}

int
asap_pu_resolve_ex(struct asap_ctx *ctx, const void *handle, size_t hlen,
    unsigned int flags, asap_resolve_cb cb, void *arg)
{
	struct resolve_req *rq;
	struct ready_waiter *w;
	bool want_id = (flags & ASAP_RESOLVE_REGISTRAR_ID) != 0;

	if (ctx == NULL || handle == NULL || hlen == 0 ||
	    hlen > ASAP_POOL_HANDLE_MAX || cb == NULL ||
	    (flags & ~ASAP_RESOLVE_REGISTRAR_ID) != 0)
		return -EINVAL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->cb = cb;
	w->arg = arg;
	/*
	 * C2/C4: a fresh entry answers without asking (from the loop); not
	 * when the caller wants to know which registrar answers.
	 */
	if (!want_id && pu_cache_fresh(ctx, pu_cache_find(ctx, handle, hlen))) {
		memcpy(w->handle, handle, hlen);
		w->hlen = hlen;
		TAILQ_INSERT_TAIL(&ctx->ready, w, link);
		ctx_timer(ctx, &ctx->ready_t, 0, ready_fire, ctx);
		return 0;
	}
	TAILQ_FOREACH(rq, &ctx->reqs, link)
		if (same(rq->handle, rq->hlen, handle, hlen))
			break;
	if (rq != NULL && rq->dl) {
		/* Joining a request with deadlines: one of its own. */
		w->deadline = ctx_now(ctx) + (ctx->dl.deadline_ms > 0 ?
		    ctx->dl.deadline_ms : (uint64_t)ctx->cfg.request_timeout_ms *
		    (ctx->cfg.max_request_retransmit + 1));
		TAILQ_INSERT_TAIL(&rq->waiters, w, link);
		req_dl_arm(rq);
		return 0;
	}
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL) {
			free(w);
			return -ENOMEM;
		}
		rq->ctx = ctx;
		memcpy(rq->handle, handle, hlen);
		rq->hlen = hlen;
		rq->want_id = want_id;
		TAILQ_INIT(&rq->waiters);
		TAILQ_INSERT_TAIL(&ctx->reqs, rq, link);
		if (ctx->dl.deadline_ms > 0) {
			rq->dl = true;
			w->deadline = ctx_now(ctx) + ctx->dl.deadline_ms;
			TAILQ_INSERT_TAIL(&rq->waiters, w, link);
			req_dl_arm(rq);
			req_send(rq);
			return 0;
		}
		/* NR4: T1 runs from now, a hunt included. */
		ctx_timer(ctx, &rq->t1, ctx->cfg.request_timeout_ms, req_t1, rq);
		req_send(rq);
	}
	TAILQ_INSERT_TAIL(&rq->waiters, w, link);
	return 0;
}

static void
ready_fire(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct asap_ctx *ctx = arg;
	struct waiter_list wl;
	struct ready_waiter *w;
	struct cache_entry *e;
	struct asap_resolution res;
	struct asap_pe_info *copy;

	(void)loop;
	(void)revents;
	TAILQ_INIT(&wl);
	TAILQ_CONCAT(&wl, &ctx->ready, link);
	while ((w = TAILQ_FIRST(&wl)) != NULL) {
		TAILQ_REMOVE(&wl, w, link);
		e = pu_cache_find(ctx, w->handle, w->hlen);
		if (e == NULL || e->npe == 0 ||
		    (copy = malloc(e->npe * sizeof(*copy))) == NULL) {
			/* Purged meanwhile: ask the registrar after all. */
			if (asap_pu_resolve(ctx, w->handle, w->hlen, w->cb,
			    w->arg) < 0) {
				memset(&res, 0, sizeof(res));
				res.error = -ENOMEM;
				CTX_CALLBACK(ctx, w->cb(ctx, &res, w->arg));
			}
			free(w);
			continue;
		}
		memcpy(copy, e->pe, e->npe * sizeof(*copy));
		entry_result(e, false, &res);
		res.pe = copy;
		CTX_CALLBACK(ctx, w->cb(ctx, &res, w->arg));
		free(copy);
		free(w);
	}
}

void
pu_cancel(struct asap_ctx *ctx, asap_resolve_cb cb, void *arg)
{
	struct resolve_req *rq;
	struct ready_waiter *w, *n;

	TAILQ_FOREACH(rq, &ctx->reqs, link)
		TAILQ_FOREACH_SAFE(w, &rq->waiters, link, n)
			if (w->cb == cb && w->arg == arg) {
				TAILQ_REMOVE(&rq->waiters, w, link);
				free(w);
			}
	TAILQ_FOREACH_SAFE(w, &ctx->ready, link, n)
		if (w->cb == cb && w->arg == arg) {
			TAILQ_REMOVE(&ctx->ready, w, link);
			free(w);
		}
}

/* A response for rq: fill the cache, then answer the waiters. */
static void
req_answer(struct resolve_req *rq, const struct rsp_msg *m)
{
	struct asap_ctx *ctx = rq->ctx;
	struct cache_entry *e;
	struct asap_pe_info *pes = NULL;
	struct rsp_iter it;
	struct rsp_pe r;
	struct asap_registrar_id idbuf, *id = NULL;
	size_t n = 0;
	uint16_t cause;

	/* Karn: only a try sent once on this association measures it. */
	if (rq->sent && rq->sent_gen == ctx->assoc_gen && rq->sends == 1)
		retry_rtt_sample(&ctx->rtt, (uint32_t)(ctx_now(ctx) -
		    rq->sent_at));
	/* The codec checked it: UTF-8 without NUL, at most 64 bytes. */
	if (m->has_regid && m->regid_answer) {
		memset(&idbuf, 0, sizeof(idbuf));
		idbuf.valid = true;
		idbuf.server_id = m->regid_server_id;
		memcpy(idbuf.node, m->regid_node.p, m->regid_node.len);
		id = &idbuf;
	}
	if (m->has_error) {
		cause = m->error.ncause > 0 ? m->error.cause[0].code : 0;
		asap_pu_cache_purge(ctx, rq->handle, rq->hlen);
		req_finish(rq, cause == RSP_CAUSE_UNKNOWN_POOL_HANDLE ?
		    -ENOENT : -EPROTO, cause, id);
		return;
	}
	if (m->nitems > 0 &&
	    (pes = calloc(m->nitems, sizeof(*pes))) == NULL) {
		req_finish(rq, -ENOMEM, 0, id);
		return;
	}
	rsp_iter_init(&it, m);
	while (n < m->nitems && rsp_iter_pe(&it, NULL, &r) == 1)
		pe_info_from_rsp(&r, &pes[n++]);
	if (n == 0) {
		free(pes);
		asap_pu_cache_purge(ctx, rq->handle, rq->hlen);
		req_finish(rq, -ENOENT, 0, id);
		return;
	}
	if ((e = pu_cache_find(ctx, rq->handle, rq->hlen)) == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			free(pes);
			req_finish(rq, -ENOMEM, 0, id);
			return;
		}
		memcpy(e->handle, rq->handle, rq->hlen);
		e->hlen = rq->hlen;
		TAILQ_INSERT_TAIL(&ctx->cache, e, link);
	}
	free(e->pe);
	e->pe = pes;
	e->npe = n;
	/* RFC 5352 §2.1: no overall policy parameter means round robin. */
	e->policy = m->has_policy ? m->policy.type : RSP_POLICY_ROUND_ROBIN;
	e->fetched = ctx_now(ctx);
	e->rr_next = 0;
	req_finish(rq, 0, 0, id);
}

void
pu_handle_msg(struct asap_ctx *ctx, const struct rsp_msg *m)
{
	struct resolve_req *rq;

	if (!m->has_handle)
		return;
	TAILQ_FOREACH(rq, &ctx->reqs, link)
		if (same(rq->handle, rq->hlen, m->handle.p, m->handle.len))
			break;
	if (rq == NULL) {
		ctx_debug(ctx, "unsolicited resolution response ignored");
		return;
	}
	req_answer(rq, m);
}

/* Endpoint Unreachable (RFC 5352 §3.5) ------------------------------------ */

static void
unreach_send(struct asap_ctx *ctx, struct unreach_rec *u)
{
	uint8_t buf[256];
	struct wbuf w;
	size_t m;

	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_ENDPOINT_UNREACHABLE, 0);
	rsp_put_handle(&w, u->handle, u->hlen);
	rsp_put_pe_id(&w, u->pe_id);
	rsp_put_msg_end(&w, m);
	if (ctx_send(ctx, &w) == 0) {
		u->sent = true;
		ctx_debug(ctx, "sent ENDPOINT_UNREACHABLE for %08x", u->pe_id);
	} else {
		ctx_need_assoc(ctx);
	}
}

int
asap_pu_report_unreachable(struct asap_ctx *ctx, const void *handle,
    size_t hlen, uint32_t pe_id)
{
	struct cache_entry *e;
	struct unreach_rec *u;
	uint64_t now = ctx_now(ctx);
	size_t i;

	if (handle == NULL || hlen == 0 || hlen > ASAP_POOL_HANDLE_MAX)
		return -EINVAL;
	/* Drop it from the cache so nobody here picks it again. */
	if ((e = pu_cache_find(ctx, handle, hlen)) != NULL) {
		for (i = 0; i < e->npe; i++) {
			if (e->pe[i].id != pe_id)
				continue;
			memmove(&e->pe[i], &e->pe[i + 1],
			    (e->npe - i - 1) * sizeof(e->pe[0]));
			e->npe--;
			break;
		}
	}
	/* Each event once; Threat 8: at most once per stale period. */
	for (i = 0; i < ASAP_UNREACH_RING; i++) {
		u = &ctx->unreach[i];
		if (u->used && u->pe_id == pe_id &&
		    same(u->handle, u->hlen, handle, hlen) &&
		    now - u->at < ctx->cfg.stale_cache_ms)
			return 0;
	}
	u = &ctx->unreach[ctx->unreach_next];
	ctx->unreach_next = (ctx->unreach_next + 1) % ASAP_UNREACH_RING;
	memset(u, 0, sizeof(*u));
	u->used = true;
	memcpy(u->handle, handle, hlen);
	u->hlen = hlen;
	u->pe_id = pe_id;
	u->at = now;
	unreach_send(ctx, u);
	return 0;
}

/* Association events ----------------------------------------------------- */

void
pu_assoc_up(struct asap_ctx *ctx)
{
	struct resolve_req *rq;
	size_t i;

	/* §3.7: requests lost with the old association go to the new home. */
	TAILQ_FOREACH(rq, &ctx->reqs, link)
		if (!rq->sent)
			req_send(rq);
	for (i = 0; i < ASAP_UNREACH_RING; i++)
		if (ctx->unreach[i].used && !ctx->unreach[i].sent &&
		    ctx_now(ctx) - ctx->unreach[i].at < ctx->cfg.stale_cache_ms)
			unreach_send(ctx, &ctx->unreach[i]);
}

void
pu_assoc_down(struct asap_ctx *ctx)
{
	struct resolve_req *rq;

	TAILQ_FOREACH(rq, &ctx->reqs, link) {
		rq->sent = false;
		rq->try_due = 0;
	}
}

bool
pu_needs_assoc(const struct asap_ctx *ctx)
{
	size_t i;

	if (!TAILQ_EMPTY(&ctx->reqs))
		return true;
	for (i = 0; i < ASAP_UNREACH_RING; i++)
		if (ctx->unreach[i].used && !ctx->unreach[i].sent)
			return true;
	return false;
}

void
pu_free_all(struct asap_ctx *ctx)
{
	struct resolve_req *rq;
	struct ready_waiter *w;

	while ((rq = TAILQ_FIRST(&ctx->reqs)) != NULL) {
		while ((w = TAILQ_FIRST(&rq->waiters)) != NULL) {
			TAILQ_REMOVE(&rq->waiters, w, link);
			free(w);
		}
		ev_cancel(&rq->t1);
		TAILQ_REMOVE(&ctx->reqs, rq, link);
		free(rq);
	}
	while ((w = TAILQ_FIRST(&ctx->ready)) != NULL) {
		TAILQ_REMOVE(&ctx->ready, w, link);
		free(w);
	}
	ev_cancel(&ctx->ready_t);
	asap_pu_cache_purge(ctx, NULL, 0);
}

/* Blocking resolution ------------------------------------------------------ */

struct blocking_res {
	bool		 done;
	int		 error;
	struct asap_pe_info *ret_pe;
	size_t		 max, n;
	uint32_t	 policy;
	struct asap_registrar_id id;
};

static void
blocking_cb(struct asap_ctx *ctx, const struct asap_resolution *res, void *arg)
{
	struct blocking_res *b = arg;
	size_t i;

	(void)ctx;
	b->done = true;
	b->error = res->error;
	b->n = res->npe;
	b->policy = res->policy;
	if (res->registrar != NULL)
		b->id = *res->registrar;
	for (i = 0; i < res->npe && i < b->max; i++)
		b->ret_pe[i] = res->pe[i];
}

int
asap_pu_resolve_blocking(struct asap_ctx *ctx, const void *handle, size_t hlen,
    struct asap_pe_info *ret_pe, size_t max, size_t *ret_n,
    uint32_t *ret_policy, int timeout_ms)
{
	return asap_pu_resolve_blocking_ex(ctx, handle, hlen, 0, ret_pe, max,
	    ret_n, ret_policy, NULL, timeout_ms);
}

int
asap_pu_resolve_blocking_ex(struct asap_ctx *ctx, const void *handle,
    size_t hlen, unsigned int flags, struct asap_pe_info *ret_pe, size_t max,
    size_t *ret_n, uint32_t *ret_policy, struct asap_registrar_id *ret_registrar,
    int timeout_ms)
{
	struct blocking_res b;
	uint64_t deadline, now;
	int r;

	memset(&b, 0, sizeof(b));
	if (ret_registrar != NULL)
		memset(ret_registrar, 0, sizeof(*ret_registrar));
	b.ret_pe = ret_pe;
	b.max = ret_pe == NULL ? 0 : max;
	if ((r = asap_pu_resolve_ex(ctx, handle, hlen, flags, blocking_cb,
	    &b)) < 0)
		return r;
	deadline = ctx_now(ctx) + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
	while (!b.done) {
		now = ctx_now(ctx);
		if (timeout_ms >= 0 && now >= deadline) {
			pu_cancel(ctx, blocking_cb, &b);
			return -ETIMEDOUT;
		}
		r = asap_run_once(ctx, timeout_ms < 0 ? -1 :
		    (int)(deadline - now));
		if (r < 0 && r != -EINTR) {
			pu_cancel(ctx, blocking_cb, &b);
			return r;
		}
	}
	/* Who answered, even when the answer was an error. */
	if (ret_registrar != NULL)
		*ret_registrar = b.id;
	if (b.error < 0)
		return b.error;
	if (ret_n != NULL)
		*ret_n = b.n;
	if (ret_policy != NULL)
		*ret_policy = b.policy;
	return 0;
}
