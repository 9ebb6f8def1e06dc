/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pool element registration (RFC 5352 §3.1, §3.2, §3.4): build and send
 * ASAP_REGISTRATION with the Registration Life in milliseconds (3 x the
 * re-registration interval, as rsplib), run T2 and T4, count attempts
 * against MAX-REG-ATTEMPT, answer ENDPOINT_KEEP_ALIVE and follow the H flag,
 * re-register with the same PE identifier on every new association, and
 * deregister with T3.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/random.h>

#include "asap_int.h"

enum pe_state {
	PE_WAIT_ASSOC,		/* needs an association to (re-)register */
	PE_REG_SENT,		/* T2 running */
	PE_REGISTERED,		/* T4 running */
	PE_REJECTED,		/* not retried until the policy changes */
	PE_DEREG_SENT,		/* T3 running */
	PE_DEREGISTERED,
};

struct asap_pe {
	struct asap_ctx	*ctx;
	TAILQ_ENTRY(asap_pe) link;
	bool		 zombie;
	uint8_t		 handle[ASAP_POOL_HANDLE_MAX];
	size_t		 hlen;
	uint32_t	 id;
	struct asap_policy policy;
	uint16_t	 transport, use, port;
	unsigned int	 naddr;
	struct sockaddr_storage addr[ASAP_MAX_ADDRS];
	uint32_t	 rereg_ms;
	asap_pe_cb	 cb;
	void		*cb_arg;

	enum pe_state	 state;
	bool		 want_dereg;
	bool		 dirty;		/* policy changed while REG_SENT */
	bool		 failed_reported;
	unsigned int	 attempts;	/* MAX-REG-ATTEMPT counter */
	unsigned int	 dereg_attempts;
	struct ev_ref	 t2, t3, t4, notify;
	struct rsp_pe	 last;		/* as last sent */
	bool		 has_last;
	bool		 accepted;	/* registered, not since lost */
};

static void	pe_send_registration(struct asap_pe *pe);
static void	pe_send_deregistration(struct asap_pe *pe);

static void
pe_notify(struct asap_pe *pe, enum asap_pe_event ev, uint16_t cause, int error)
{
	struct asap_ctx *ctx = pe->ctx;
	struct asap_pe_status st;

	ctx_debug(ctx, "pe %08x: event %d cause %u error %d", pe->id, ev,
	    cause, error);
	if (pe->cb == NULL || pe->zombie)
		return;
	memset(&st, 0, sizeof(st));
	st.event = ev;
	st.pe_id = pe->id;
	st.cause = cause;
	st.error = error;
	st.home_id = ctx->home_id ? ctx->home_id : ctx->last_home_id;
	st.home_addr = ctx->home_addr[0] ? ctx->home_addr : ctx->last_home_addr;
	CTX_CALLBACK(ctx, pe->cb(pe, &st, pe->cb_arg));
}

const uint8_t *
pe_handle(const struct asap_pe *pe, size_t *ret_len)
{
	*ret_len = pe->hlen;
	return pe->handle;
}

static bool
sa_is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)ss)->sin_addr.s_addr ==
		    htonl(INADDR_ANY);
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
		    &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr);
	return true;
}

/* R2: the Pool Element parameter (without the ASAP transport). */
static void
pe_build(const struct asap_pe *pe, struct rsp_pe *r)
{
	struct asap_ctx *ctx = pe->ctx;
	struct sockaddr_storage local;
	socklen_t sl = sizeof(local);
	unsigned int i;
	int n;

	memset(r, 0, sizeof(*r));
	r->id = pe->id;
	r->home_id = 0;
	/* Registration Life in ms (rsplib's convention): 3 x T4. */
	r->life = pe->rereg_ms > INT32_MAX / 3 ? INT32_MAX :
	    (int32_t)(pe->rereg_ms * 3);
	r->user.type = pe->transport;
	r->user.use = pe->use;
	r->user.port = pe->port;
	for (i = 0; i < pe->naddr; i++) {
		if (sa_is_wildcard(&pe->addr[i]))
			continue;
		sockaddr_to_rsp(&pe->addr[i], &r->user.addr[r->user.naddr++]);
	}
	/* RFC 5352 §3.1: the addresses must be the association's own. */
	if (r->user.naddr == 0 && ctx->assoc != NULL &&
	    getsockname(ctx->assoc->w.fd, (struct sockaddr *)&local, &sl) == 0)
		sockaddr_to_rsp(&local, &r->user.addr[r->user.naddr++]);
	r->policy.type = pe->policy.type;
	n = rsp_policy_nval(pe->policy.type);
	if (n < 0)
		n = (int)pe->policy.nvalue;
	r->policy.nval = (uint8_t)(n > 4 ? 4 : n);
	for (i = 0; i < r->policy.nval; i++)
		r->policy.val[i] = pe->policy.value[i];
}

static void
pe_t2(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct asap_pe *pe = arg;
	struct asap_ctx *ctx = pe->ctx;

	(void)loop;
	(void)revents;
	/* RFC 5352 §3.1 step 4/7: count, report, hunt for another home. */
	pe->attempts++;
	pe->state = PE_WAIT_ASSOC;
	ctx_debug(ctx, "pe %08x: T2 expired (attempt %u)", pe->id, pe->attempts);
	if (pe->attempts >= ctx->cfg.max_reg_attempt && !pe->failed_reported) {
		pe->failed_reported = true;
		pe->accepted = false;
		pe_notify(pe, ASAP_PE_FAILED, 0, -ETIMEDOUT);
	}
	ctx_assoc_fail(ctx, "registration timed out");
	ctx_need_assoc(ctx);
}

static void
pe_t4(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct asap_pe *pe = arg;

	(void)loop;
	(void)revents;
	pe_send_registration(pe);
}

static void
pe_send_registration(struct asap_pe *pe)
{
	struct asap_ctx *ctx = pe->ctx;
	uint8_t buf[2048];
	struct wbuf w;
	size_t m;

	ev_cancel(&pe->t4);
	if (!conn_up(ctx->assoc)) {
		pe->state = PE_WAIT_ASSOC;
		ctx_need_assoc(ctx);
		return;
	}
	pe_build(pe, &pe->last);
	pe->has_last = true;
	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_REGISTRATION, 0);
	rsp_put_handle(&w, pe->handle, pe->hlen);
	rsp_put_pe(&w, &pe->last);
	/* doc/spec/registrar-unicast.md: "where else can I reach you?" */
	if (ctx_want_unicast(ctx, true))
		rsp_put_reguni_request(&w);
	rsp_put_msg_end(&w, m);
	ctx_debug(ctx, "pe %08x: sending REGISTRATION (life %d ms)", pe->id,
	    pe->last.life);
	pe->dirty = false;
	pe->state = PE_REG_SENT;
	(void)ctx_send(ctx, &w);
	ctx_timer(ctx, &pe->t2, ctx->cfg.registration_timeout_ms, pe_t2, pe);
}

static void
pe_t3(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct asap_pe *pe = arg;
	struct asap_ctx *ctx = pe->ctx;

	(void)loop;
	(void)revents;
	pe->dereg_attempts++;
	if (pe->dereg_attempts >= ctx->cfg.max_reg_attempt) {
		pe->state = PE_DEREGISTERED;
		pe->accepted = false;
		pe_notify(pe, ASAP_PE_DEREGISTERED, 0, -ETIMEDOUT);
		return;
	}
	/* RFC 5352 §3.2: no answer in T3: server hunt, deregister again. */
	pe->state = PE_WAIT_ASSOC;
	ctx_assoc_fail(ctx, "deregistration timed out");
	ctx_need_assoc(ctx);
}

static void
pe_send_deregistration(struct asap_pe *pe)
{
	struct asap_ctx *ctx = pe->ctx;
	uint8_t buf[256];
	struct wbuf w;
	size_t m;

	if (!conn_up(ctx->assoc)) {
		pe->state = PE_WAIT_ASSOC;
		ctx_need_assoc(ctx);
		return;
	}
	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_DEREGISTRATION, 0);
	rsp_put_handle(&w, pe->handle, pe->hlen);
	rsp_put_pe_id(&w, pe->id);
	rsp_put_msg_end(&w, m);
	pe->state = PE_DEREG_SENT;
	(void)ctx_send(ctx, &w);
	ctx_timer(ctx, &pe->t3, ctx->cfg.deregistration_timeout_ms, pe_t3, pe);
}

void
pe_assoc_up(struct asap_ctx *ctx)
{
	struct asap_pe *pe;

	/* R1..R3 on the new association, with the same PE identifier. */
	TAILQ_FOREACH(pe, &ctx->pes, link) {
		if (pe->state != PE_WAIT_ASSOC)
			continue;
		if (pe->want_dereg)
			pe_send_deregistration(pe);
		else
			pe_send_registration(pe);
	}
}

/* Registrations under way go again (the registrar refused an extension). */
void
pe_resend_registrations(struct asap_ctx *ctx)
{
	struct asap_pe *pe;

	TAILQ_FOREACH(pe, &ctx->pes, link)
		if (pe->state == PE_REG_SENT && !pe->want_dereg)
			pe_send_registration(pe);
}

/*
 * No registrar would complete a TLS handshake: PEs waiting to register are
 * told once (ASAP_PE_FAILED with the error; asap_tls_error() says why),
 * as after MAX-REG-ATTEMPT timeouts, and the hunt goes on.
 */
void
pe_tls_failed(struct asap_ctx *ctx, int error)
{
	struct asap_pe *pe;

	TAILQ_FOREACH(pe, &ctx->pes, link) {
		if (pe->state != PE_WAIT_ASSOC || pe->want_dereg ||
		    pe->failed_reported)
			continue;
		pe->failed_reported = true;
		pe->accepted = false;
		pe_notify(pe, ASAP_PE_FAILED, 0, error);
	}
}

void
pe_assoc_down(struct asap_ctx *ctx)
{
	struct asap_pe *pe;

	TAILQ_FOREACH(pe, &ctx->pes, link) {
		if (pe->state == PE_REJECTED || pe->state == PE_DEREGISTERED)
			continue;
		ev_cancel(&pe->t2);
		ev_cancel(&pe->t3);
		ev_cancel(&pe->t4);
		pe->state = PE_WAIT_ASSOC;
	}
}

bool
pe_needs_assoc(const struct asap_ctx *ctx)
{
	const struct asap_pe *pe;

	TAILQ_FOREACH(pe, &ctx->pes, link)
		if (pe->state != PE_REJECTED && pe->state != PE_DEREGISTERED)
			return true;
	return false;
}

bool
pe_pending(const struct asap_ctx *ctx)
{
	const struct asap_pe *pe;

	TAILQ_FOREACH(pe, &ctx->pes, link)
		if (pe->state == PE_WAIT_ASSOC || pe->state == PE_REG_SENT ||
		    pe->state == PE_DEREG_SENT)
			return true;
	return false;
}

void
pe_home_changed(struct asap_ctx *ctx)
{
	struct asap_pe *pe, *next;

	TAILQ_FOREACH_SAFE(pe, &ctx->pes, link, next) {
		if (pe->state == PE_REJECTED || pe->state == PE_DEREGISTERED)
			continue;
		pe_notify(pe, ASAP_PE_HOME_CHANGED, 0, 0);
	}
}

static struct asap_pe *
pe_find(struct asap_ctx *ctx, const struct rsp_msg *m)
{
	struct asap_pe *pe;

	if (!m->has_handle || !m->has_pe_id)
		return NULL;
	TAILQ_FOREACH(pe, &ctx->pes, link)
		if (pe->id == m->pe_id && pe->hlen == m->handle.len &&
		    memcmp(pe->handle, m->handle.p, pe->hlen) == 0)
			return pe;
	return NULL;
}

static void
pe_keepalive(struct asap_ctx *ctx, const struct rsp_msg *m)
{
	struct asap_pe *pe;
	uint8_t buf[256];
	struct wbuf w;
	size_t s;
	bool any = false;

	TAILQ_FOREACH(pe, &ctx->pes, link) {
		/* KA1: our pool handle, else discard silently. */
		if (pe->hlen != m->handle.len ||
		    memcmp(pe->handle, m->handle.p, pe->hlen) != 0)
			continue;
		/* rsplib names the PE; then only that one answers. */
		if (m->has_pe_id && m->pe_id != pe->id)
			continue;
		if (pe->state != PE_REGISTERED && pe->state != PE_REG_SENT)
			continue;
		/* KA2.1-KA2.3: the ack, on the association it came on. */
		wbuf_init(&w, buf, sizeof(buf));
		s = rsp_put_msg_begin(&w, ASAP_ENDPOINT_KEEP_ALIVE_ACK, 0);
		rsp_put_handle(&w, pe->handle, pe->hlen);
		rsp_put_pe_id(&w, pe->id);
		rsp_put_msg_end(&w, s);
		(void)ctx_send(ctx, &w);
		any = true;
	}
	if (!any)
		return;
	/*
	 * KA2.4: H set and another server: adopt it.  Without H the first
	 * keep-alive of an association still tells who answered the hunt
	 * (with anycast, possibly another node behind the same address).
	 */
	if ((m->flags & ASAP_FLAG_HOME) || ctx->home_id == 0) {
		if (m->server_id != ctx->home_id)
			ctx_set_home_id(ctx, m->server_id);
	}
}

void
pe_handle_msg(struct asap_ctx *ctx, const struct rsp_msg *m)
{
	struct asap_pe *pe;
	uint16_t cause;

	if (m->type == ASAP_ENDPOINT_KEEP_ALIVE) {
		pe_keepalive(ctx, m);
		return;
	}
	if ((pe = pe_find(ctx, m)) == NULL)
		return;
	cause = m->has_error && m->error.ncause > 0 ? m->error.cause[0].code : 0;
	if (m->type == ASAP_REGISTRATION_RESPONSE) {
		if (pe->state != PE_REG_SENT)
			return;
		ev_cancel(&pe->t2);
		if (m->flags & ASAP_FLAG_REJECT) {
			/* §3.1 step 5: never retry unchanged. */
			pe->state = PE_REJECTED;
			pe->accepted = false;
			pe_notify(pe, ASAP_PE_REJECTED, cause, -EPERM);
			return;
		}
		pe->state = PE_REGISTERED;
		pe->accepted = true;
		pe->attempts = 0;
		pe->failed_reported = false;
		ctx_timer(ctx, &pe->t4, pe->rereg_ms, pe_t4, pe);
		if (pe->dirty) {
			pe_send_registration(pe);
			return;
		}
		pe_notify(pe, ASAP_PE_REGISTERED, cause, 0);
		return;
	}
	/* DEREGISTRATION_RESPONSE */
	if (pe->state == PE_DEREG_SENT) {
		ev_cancel(&pe->t3);
		pe->state = PE_DEREGISTERED;
		pe->accepted = false;
		pe_notify(pe, ASAP_PE_DEREGISTERED, cause, cause ? -EPERM : 0);
	} else if (pe->state == PE_REGISTERED || pe->state == PE_REG_SENT) {
		/* §3.2: our life expired at the server; register again. */
		ev_cancel(&pe->t2);
		pe_send_registration(pe);
	}
}

struct asap_pe *
asap_pe_register(struct asap_ctx *ctx, const struct asap_pe_config *cfg)
{
	struct asap_pe *pe;
	int n;

	if (ctx == NULL || cfg == NULL || cfg->handle == NULL ||
	    cfg->handle_len == 0 || cfg->handle_len > ASAP_POOL_HANDLE_MAX ||
	    cfg->naddr > ASAP_MAX_ADDRS) {
		errno = EINVAL;
		return NULL;
	}
	if (cfg->policy.type != 0 &&
	    (n = rsp_policy_nval(cfg->policy.type)) < 0 &&
	    cfg->policy.nvalue > 4) {
		errno = EINVAL;
		return NULL;
	}
	if ((pe = calloc(1, sizeof(*pe))) == NULL)
		return NULL;
	pe->ctx = ctx;
	memcpy(pe->handle, cfg->handle, cfg->handle_len);
	pe->hlen = cfg->handle_len;
	pe->id = cfg->pe_id;
	/* RFC 5352 §3.1 R2: a good random number (RFC 4086), never 0. */
	while (pe->id == 0) {
		if (getrandom(&pe->id, sizeof(pe->id), 0) != sizeof(pe->id))
			pe->id = ctx_random(ctx);
	}
	pe->policy = cfg->policy;
	if (pe->policy.type == 0)
		pe->policy.type = ASAP_POLICY_ROUND_ROBIN;
	pe->transport = cfg->transport ? cfg->transport : ASAP_TRANSPORT_TCP;
	pe->use = cfg->use_data_only ? ASAP_USE_DATA : ASAP_USE_DATA_CONTROL;
	if (cfg->use != 0)
		pe->use = cfg->use;
	pe->port = cfg->port;
	pe->naddr = cfg->naddr;
	memcpy(pe->addr, cfg->addr, sizeof(pe->addr[0]) * cfg->naddr);
	pe->rereg_ms = cfg->reregistration_ms ? cfg->reregistration_ms : 30000;
	pe->cb = cfg->cb;
	pe->cb_arg = cfg->cb_arg;
	pe->state = PE_WAIT_ASSOC;
	TAILQ_INSERT_TAIL(&ctx->pes, pe, link);
	if (conn_up(ctx->assoc))
		pe_send_registration(pe);
	else
		ctx_need_assoc(ctx);
	return pe;
}

int
asap_pe_update_policy(struct asap_pe *pe, const struct asap_policy *policy)
{
	if (pe == NULL || policy == NULL || pe->zombie)
		return -EINVAL;
	pe->policy = *policy;
	if (pe->policy.type == 0)
		pe->policy.type = ASAP_POLICY_ROUND_ROBIN;
	switch (pe->state) {
	case PE_REG_SENT:
		pe->dirty = true;
		break;
	case PE_REGISTERED:
	case PE_REJECTED:
		/* A changed registration may be retried after a rejection. */
		pe_send_registration(pe);
		break;
	default:
		break;
	}
	return 0;
}

int
asap_pe_update_load(struct asap_pe *pe, uint32_t load)
{
	struct asap_policy p;

	if (pe == NULL)
		return -EINVAL;
	p = pe->policy;
	/* The load is the first value of the adaptive policies. */
	if (!(p.type & RSP_POLICY_FLAG_ADAPTIVE))
		return -EINVAL;
	p.value[0] = load;
	return asap_pe_update_policy(pe, &p);
}

static void
pe_dereg_now(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct asap_pe *pe = arg;

	(void)loop;
	(void)revents;
	pe->state = PE_DEREGISTERED;
	pe->accepted = false;
	pe_notify(pe, ASAP_PE_DEREGISTERED, 0, 0);
}

int
asap_pe_deregister(struct asap_pe *pe)
{
	if (pe == NULL || pe->zombie)
		return -EINVAL;
	if (pe->want_dereg)
		return 0;
	pe->want_dereg = true;
	pe->dereg_attempts = 0;
	ev_cancel(&pe->t2);
	ev_cancel(&pe->t4);
	if (!pe->has_last || pe->state == PE_REJECTED ||
	    pe->state == PE_DEREGISTERED) {
		/* Never registered: nothing to tell the registrar. */
		ctx_timer(pe->ctx, &pe->notify, 0, pe_dereg_now, pe);
		return 0;
	}
	pe_send_deregistration(pe);
	return 0;
}

int
asap_pe_deregister_blocking(struct asap_pe *pe, int timeout_ms)
{
	struct asap_ctx *ctx;
	uint64_t deadline, now;
	int r;

	if (pe == NULL)
		return -EINVAL;
	ctx = pe->ctx;
	if ((r = asap_pe_deregister(pe)) < 0)
		return r;
	deadline = ctx_now(ctx) + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
	while (pe->state != PE_DEREGISTERED) {
		now = ctx_now(ctx);
		if (timeout_ms >= 0 && now >= deadline)
			return -ETIMEDOUT;
		r = asap_run_once(ctx, timeout_ms < 0 ? -1 :
		    (int)(deadline - now));
		if (r < 0 && r != -EINTR)
			return r;
	}
	return 0;
}

void
pe_free_now(struct asap_pe *pe)
{
	struct asap_ctx *ctx = pe->ctx;

	ev_cancel(&pe->t2);
	ev_cancel(&pe->t3);
	ev_cancel(&pe->t4);
	ev_cancel(&pe->notify);
	if (pe->zombie)
		TAILQ_REMOVE(&ctx->dead_pes, pe, link);
	else
		TAILQ_REMOVE(&ctx->pes, pe, link);
	free(pe);
}

void
asap_pe_free(struct asap_pe *pe)
{
	struct asap_ctx *ctx;

	if (pe == NULL || pe->zombie)
		return;
	ctx = pe->ctx;
	if (ctx->cb_depth == 0) {
		pe_free_now(pe);
		return;
	}
	/* From a callback: unlink now, free once the callback returned. */
	ev_cancel(&pe->t2);
	ev_cancel(&pe->t3);
	ev_cancel(&pe->t4);
	ev_cancel(&pe->notify);
	TAILQ_REMOVE(&ctx->pes, pe, link);
	pe->zombie = true;
	TAILQ_INSERT_TAIL(&ctx->dead_pes, pe, link);
}

void
pe_free_all(struct asap_ctx *ctx)
{
	struct asap_pe *pe;

	while ((pe = TAILQ_FIRST(&ctx->pes)) != NULL)
		pe_free_now(pe);
}

uint32_t
asap_pe_id(const struct asap_pe *pe)
{
	return pe->id;
}

bool
asap_pe_is_registered(const struct asap_pe *pe)
{
	return pe->accepted;
}

int
asap_pe_info(const struct asap_pe *pe, struct asap_pe_info *ret)
{
	struct rsp_pe r;

	if (!pe->has_last) {
		pe_build(pe, &r);
		pe_info_from_rsp(&r, ret);
	} else {
		pe_info_from_rsp(&pe->last, ret);
	}
	ret->home_id = pe->ctx->home_id;
	return 0;
}
