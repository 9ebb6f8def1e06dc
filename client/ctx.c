/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The libasap context: its event loop made pollable through one epoll fd
 * (every watched fd is mirrored there, plus a timerfd armed for the loop's
 * next timer), the registrar list and the server hunt of RFC 5352 §3.6
 * (up to three connection attempts at a time, T5 doubling up to
 * RETRAN-MAX), the association to the home registrar and the dispatch of
 * what arrives on it, and small helpers (addresses, policies, debug log).
 * While a resolution with a deadline waits (asap_pu_set_deadline()), the
 * hunt does not wait for timeouts it can avoid: addresses that failed
 * recently go last, a connection attempt gets the per-try timeout of
 * retry.c instead of T5, a refused one is retried after a short back-off,
 * and a registrar that leaves such a request unanswered is replaced by a
 * new connection while its association stays until then.
 * Long-lived associations leave the anycast address (libasap 0.5,
 * doc/spec/registrar-unicast.md): the registrar found by the hunt names
 * its unicast address, the association moves there, and the hunt over the
 * configured list starts again only when that registrar fails.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/timerfd.h>

#include "asap_int.h"
#include "addr.h"
#include "tls.h"

_Static_assert(ASAP_POLICY_LEAST_USED == RSP_POLICY_LEAST_USED, "policy");
_Static_assert(ASAP_TRANSPORT_TCP == RSP_PARAM_TCP_TRANSPORT, "transport");
_Static_assert(ASAP_CAUSE_UNKNOWN_POOL_HANDLE == RSP_CAUSE_UNKNOWN_POOL_HANDLE,
    "cause");

static void	hunt_round(struct asap_ctx *ctx);
static void	uni_abort(struct asap_ctx *ctx);
static void	uni_answer(struct asap_ctx *ctx, struct conn *c,
		    const struct rsp_msg *m);
static void	uni_retire_check(struct asap_ctx *ctx);
static void	hunt_t5(struct ev_loop *loop, void *arg, unsigned int revents);
static void	hunt_retry(struct ev_loop *loop, void *arg,
		    unsigned int revents);

/* Debug log, clock, randomness ------------------------------------------- */

void
ctx_debug(struct asap_ctx *ctx, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (ctx->dbg == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ctx->dbg(ctx->dbg_arg, line);
}

void
asap_set_debug_log(struct asap_ctx *ctx, void (*fn)(void *, const char *),
    void *arg)
{
	ctx->dbg = fn;
	ctx->dbg_arg = arg;
}

uint64_t
ctx_now(const struct asap_ctx *ctx)
{
	return ev_now(ctx->loop);
}

void
asap_set_clock(struct asap_ctx *ctx, uint64_t (*now_ms)(void *), void *arg)
{
	ev_loop_set_clock(ctx->loop, now_ms, arg);
}

uint32_t
ctx_random(struct asap_ctx *ctx)
{
	/* xorshift64*: selection among PEs, not security. */
	ctx->rng ^= ctx->rng >> 12;
	ctx->rng ^= ctx->rng << 25;
	ctx->rng ^= ctx->rng >> 27;
	return (uint32_t)((ctx->rng * 0x2545F4914F6CDD1DULL) >> 32);
}

/* Pollable fd ---------------------------------------------------------------- */

static uint32_t
aw_epoll_events(unsigned int events)
{
	uint32_t e = 0;

	if (events & EV_READ)
		e |= EPOLLIN | EPOLLRDHUP;
	if (events & EV_WRITE)
		e |= EPOLLOUT;
	return e;
}

int
aw_add(struct asap_ctx *ctx, struct aw *w, int fd, unsigned int events,
    ev_cb cb, void *arg)
{
	struct epoll_event ee = { .events = aw_epoll_events(events) };
	int r;

	ee.data.fd = fd;
	if ((r = ev_fd_add(ctx->loop, fd, events, cb, arg, &w->ref)) < 0)
		return r;
	if (epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, fd, &ee) == -1) {
		r = -errno;
		ev_cancel(&w->ref);
		return r;
	}
	w->fd = fd;
	w->events = events;
	return 0;
}

int
aw_mod(struct asap_ctx *ctx, struct aw *w, unsigned int events)
{
	struct epoll_event ee = { .events = aw_epoll_events(events) };
	int r;

	ee.data.fd = w->fd;
	if ((r = ev_fd_mod(&w->ref, events)) < 0)
		return r;
	if (epoll_ctl(ctx->epfd, EPOLL_CTL_MOD, w->fd, &ee) == -1)
		return -errno;
	w->events = events;
	return 0;
}

void
aw_del(struct asap_ctx *ctx, struct aw *w)
{
	if (ev_pending(&w->ref)) {
		ev_cancel(&w->ref);
		(void)epoll_ctl(ctx->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	}
}

/* Arm the timerfd for the loop's earliest timer (relative, so an injected
 * clock does no harm: it only causes a spurious wake-up). */
void
ctx_sync(struct asap_ctx *ctx)
{
	struct itimerspec its;
	uint64_t when, now, d;

	memset(&its, 0, sizeof(its));
	if (ev_next_timer(ctx->loop, &when) == 0) {
		now = ev_now(ctx->loop);
		d = when > now ? when - now : 0;
		if (d == 0) {
			its.it_value.tv_nsec = 1;	/* 0 would disarm */
		} else {
			its.it_value.tv_sec = (time_t)(d / 1000);
			its.it_value.tv_nsec = (long)(d % 1000) * 1000000L;
		}
	}
	(void)timerfd_settime(ctx->tfd, 0, &its, NULL);
}

int
ctx_timer(struct asap_ctx *ctx, struct ev_ref *ref, uint64_t delay_ms, ev_cb cb,
    void *arg)
{
	int r = ev_timer_add(ctx->loop, delay_ms, cb, arg, ref);

	ctx_sync(ctx);
	return r;
}

int
asap_fd(const struct asap_ctx *ctx)
{
	return ctx->epfd;
}

int
asap_next_timeout_ms(const struct asap_ctx *ctx)
{
	uint64_t when, now;

	if (ev_next_timer(ctx->loop, &when) < 0)
		return -1;
	now = ev_now(ctx->loop);
	if (when <= now)
		return 0;
	return when - now > INT32_MAX ? INT32_MAX : (int)(when - now);
}

void
ctx_free_zombies(struct asap_ctx *ctx)
{
	struct asap_pe *pe;
	struct asap_session *s;
	struct asap_pe_session *ps;

	if (ctx->cb_depth > 0)
		return;
	while ((pe = TAILQ_FIRST(&ctx->dead_pes)) != NULL)
		pe_free_now(pe);
	while ((s = TAILQ_FIRST(&ctx->dead_sessions)) != NULL)
		session_free_now(s);
	while ((ps = TAILQ_FIRST(&ctx->dead_pe_sessions)) != NULL)
		pe_session_free_now(ps);
}

int
asap_run_once(struct asap_ctx *ctx, int timeout_ms)
{
	uint64_t exp;
	int r;

	/* Drain the timerfd: the loop itself knows when its timers are due. */
	while (read(ctx->tfd, &exp, sizeof(exp)) == (ssize_t)sizeof(exp))
		;
	r = ev_run_once(ctx->loop, timeout_ms);
	ctx_free_zombies(ctx);
	ctx_sync(ctx);
	return r;
}

int
asap_process(struct asap_ctx *ctx)
{
	return asap_run_once(ctx, 0);
}

int
asap_run(struct asap_ctx *ctx)
{
	int r;

	ctx->brk = false;
	while (!ctx->brk) {
		if ((r = asap_run_once(ctx, -1)) < 0 && r != -EINTR)
			return r;
	}
	return 0;
}

void
asap_break(struct asap_ctx *ctx)
{
	ctx->brk = true;
}

/* Addresses ---------------------------------------------------------------- */

const char *
asap_sockaddr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	return addr_str(ss, buf, len);	/* lib/addr.c, as the daemons print */
}

/* Split "host[:port]" / "[v6]:port" / "v6"; host copied into hbuf. */
static int
split_hostport(const char *s, uint16_t def, char *hbuf, size_t hlen,
    uint16_t *ret_port)
{
	const char *host = s, *port = NULL, *end;
	char *ep;
	unsigned long p;
	size_t n;

	if (*s == '[') {
		host = s + 1;
		if ((end = strchr(host, ']')) == NULL)
			return -EINVAL;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return -EINVAL;
		n = (size_t)(end - host);
	} else if ((end = strchr(s, ':')) != NULL && strchr(end + 1, ':') == NULL) {
		n = (size_t)(end - s);
		port = end + 1;
	} else {
		n = strlen(s);	/* no port, or a bare IPv6 address */
	}
	if (n == 0 || n >= hlen)
		return -EINVAL;
	memcpy(hbuf, host, n);
	hbuf[n] = '\0';
	*ret_port = def;
	if (port != NULL) {
		errno = 0;
		p = strtoul(port, &ep, 10);
		if (*port == '\0' || *ep != '\0' || errno || p == 0 || p > 65535)
			return -EINVAL;
		*ret_port = (uint16_t)p;
	}
	return 0;
}

int
asap_sockaddr_parse(const char *s, uint16_t default_port,
    struct sockaddr_storage *ret)
{
	struct sockaddr_storage ss;
	char host[256];
	uint16_t port;
	int r;

	if ((r = split_hostport(s, default_port, host, sizeof(host), &port)) < 0)
		return r;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	} else {
		return -EINVAL;
	}
	*ret = ss;
	return 0;
}

void
sockaddr_to_rsp(const struct sockaddr_storage *ss, struct rsp_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (ss->ss_family == AF_INET6) {
		ret->family = AF_INET6;
		memcpy(ret->a, &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, 16);
	} else {
		ret->family = AF_INET;
		memcpy(ret->a, &((const struct sockaddr_in *)(const void *)ss)->sin_addr, 4);
	}
}

void
sockaddr_from_rsp(const struct rsp_addr *a, uint16_t port,
    struct sockaddr_storage *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ret;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->a, 16);
		s6->sin6_port = htons(port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ret;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->a, 4);
		s4->sin_port = htons(port);
	}
}

void
pe_info_from_rsp(const struct rsp_pe *r, struct asap_pe_info *ret)
{
	unsigned int i;

	memset(ret, 0, sizeof(*ret));
	ret->id = r->id;
	ret->home_id = r->home_id;
	ret->policy.type = r->policy.type;
	ret->policy.nvalue = r->policy.nval > 4 ? 4 : r->policy.nval;
	for (i = 0; i < ret->policy.nvalue; i++)
		ret->policy.value[i] = r->policy.val[i];
	ret->transport = r->user.type;
	ret->use = r->user.use;
	for (i = 0; i < r->user.naddr && i < ASAP_MAX_ADDRS; i++)
		sockaddr_from_rsp(&r->user.addr[i], r->user.port, &ret->addr[i]);
	ret->naddr = i;
}

void
pe_info_to_rsp(const struct asap_pe_info *in, struct rsp_pe *ret)
{
	unsigned int i;

	memset(ret, 0, sizeof(*ret));
	ret->id = in->id;
	ret->home_id = in->home_id;
	ret->life = RSP_LIFE_INFINITE;
	ret->policy.type = in->policy.type;
	ret->policy.nval = (uint8_t)(in->policy.nvalue > 4 ? 4 : in->policy.nvalue);
	for (i = 0; i < ret->policy.nval; i++)
		ret->policy.val[i] = in->policy.value[i];
	ret->user.type = in->transport;
	ret->user.use = in->use;
	for (i = 0; i < in->naddr && i < RSP_MAX_ADDRS; i++)
		sockaddr_to_rsp(&in->addr[i], &ret->user.addr[i]);
	ret->user.naddr = (uint8_t)i;
	if (in->naddr > 0) {
		const struct sockaddr_storage *ss = &in->addr[0];

		ret->user.port = ss->ss_family == AF_INET6 ?
		    ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port) :
		    ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	}
}

/* Policies ------------------------------------------------------------------ */

static const struct {
	const char	*name;
	uint32_t	 type;
} policy_names[] = {
	{ "rr", ASAP_POLICY_ROUND_ROBIN },
	{ "wrr", ASAP_POLICY_WEIGHTED_ROUND_ROBIN },
	{ "random", ASAP_POLICY_RANDOM },
	{ "wrandom", ASAP_POLICY_WEIGHTED_RANDOM },
	{ "prio", ASAP_POLICY_PRIORITY },
	{ "lu", ASAP_POLICY_LEAST_USED },
	{ "lud", ASAP_POLICY_LEAST_USED_DEGRADATION },
	{ "plu", ASAP_POLICY_PRIORITY_LEAST_USED },
	{ "rlu", ASAP_POLICY_RANDOMIZED_LEAST_USED },
};

uint32_t
asap_policy_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++)
		if (strcmp(policy_names[i].name, name) == 0)
			return policy_names[i].type;
	return 0;
}

const char *
asap_policy_str(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++)
		if (policy_names[i].type == type)
			return policy_names[i].name;
	return "?";
}

int
asap_policy_nvalue(uint32_t type)
{
	return rsp_policy_nval(type);
}

/* Server hunt (RFC 5352 §3.6) -------------------------------------------- */

static void	assoc_frame(struct conn *c, uint8_t kind, const uint8_t *p,
		    size_t len, void *arg);
static void	assoc_closed(struct conn *c, int error, void *arg);
static void	assoc_connected(struct conn *c, void *arg);
static void	try_connected(struct conn *c, void *arg);
static void	try_closed(struct conn *c, int error, void *arg);

static const struct conn_ops assoc_ops = {
	.connected = assoc_connected,
	.frame = assoc_frame,
	.closed = assoc_closed,
};

static const struct conn_ops try_ops = {
	.connected = try_connected,
	.frame = assoc_frame,
	.closed = try_closed,
};

/* Hunting for a resolution with a deadline; *left: ms to the earliest. */
static bool
hunt_fast(const struct asap_ctx *ctx, uint64_t *left)
{
	return ctx->dl.deadline_ms > 0 && pu_deadline_pending(ctx, left);
}

uint32_t
ctx_try_ms(const struct asap_ctx *ctx, uint64_t remaining_ms)
{
	return retry_try_ms(&ctx->rtt, &ctx->dl, remaining_ms);
}

static bool
reg_suspect(const struct asap_ctx *ctx, size_t idx)
{
	uint64_t at = ctx->reg_failed[idx];

	return at != 0 && ctx_now(ctx) - at < ASAP_SUSPECT_MS;
}

static void
reg_mark_failed(struct asap_ctx *ctx, size_t idx)
{
	uint64_t now = ctx_now(ctx);

	if (idx >= ctx->nreg)
		return;		/* a learned unicast address (SIZE_MAX) */
	ctx->reg_failed[idx] = now != 0 ? now : 1;
}

static size_t
tries_in_flight(const struct asap_ctx *ctx)
{
	size_t i, n = 0;

	for (i = 0; i < ASAP_HUNT_PARALLEL; i++)
		if (ctx->tries[i].c != NULL)
			n++;
	return n;
}

static void
tries_abort(struct asap_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ASAP_HUNT_PARALLEL; i++) {
		conn_free(ctx->tries[i].c);
		ctx->tries[i].c = NULL;
	}
}

/*
 * The next address of this round: in list order from the cursor; in a
 * fast hunt those that failed recently only after the others, one at a
 * time when nothing else is in flight (a hung registrar's kernel still
 * completes TCP handshakes: racing it against a live one would pick it
 * half of the time).  SIZE_MAX: none to start now.
 */
static size_t
hunt_pick(struct asap_ctx *ctx)
{
	size_t k, idx, later = SIZE_MAX;
	bool fast = hunt_fast(ctx, NULL);

	for (k = 0; k < ctx->nreg; k++) {
		idx = (ctx->hunt_cursor + k) % ctx->nreg;
		if (ctx->reg_tried[idx])
			continue;
		if (fast && reg_suspect(ctx, idx)) {
			if (later == SIZE_MAX)
				later = idx;
			continue;
		}
		return idx;
	}
	return tries_in_flight(ctx) == 0 ? later : SIZE_MAX;
}

/* T5 for the round; in a fast hunt the per-try timeout of the latest try. */
static void
hunt_arm_t5(struct asap_ctx *ctx)
{
	if (hunt_fast(ctx, NULL))
		ctx_timer(ctx, &ctx->t5, ctx_try_ms(ctx, UINT64_MAX), hunt_t5,
		    ctx);
	else
		ctx_timer(ctx, &ctx->t5, ctx->t5_cur, hunt_t5, ctx);
}

/* Nothing in flight and nothing left to try: start over later. */
static void
hunt_backoff(struct asap_ctx *ctx)
{
	ev_cancel(&ctx->t5);
	if (hunt_fast(ctx, NULL)) {
		ctx->fast_backoff = retry_backoff_ms(ctx->fast_backoff);
		ctx_timer(ctx, &ctx->hunt_retry, ctx->fast_backoff, hunt_retry,
		    ctx);
		return;
	}
	ctx_timer(ctx, &ctx->hunt_retry, ctx->backoff, hunt_retry, ctx);
	ctx->backoff = ctx->backoff * 2 > ctx->t5_cur ? ctx->t5_cur :
	    ctx->backoff * 2;
}

/* SH1/SH4: start one more attempt if this round has untried addresses. */
static bool
hunt_start_one(struct asap_ctx *ctx)
{
	char buf[80];
	size_t i, idx;
	struct conn *c;

	while (ctx->round_started < ctx->nreg) {
		for (i = 0; i < ASAP_HUNT_PARALLEL; i++)
			if (ctx->tries[i].c == NULL)
				break;
		if (i == ASAP_HUNT_PARALLEL)
			return false;
		if ((idx = hunt_pick(ctx)) == SIZE_MAX)
			return false;
		ctx->hunt_cursor = (idx + 1) % ctx->nreg;
		ctx->reg_tried[idx] = true;
		ctx->round_started++;
		c = conn_connect(ctx, &ctx->reg[idx], ctx->reg_sctp[idx],
		    ctx->tls, CONN_ASAP, &try_ops, ctx);
		ctx_debug(ctx, "hunt: connecting to %s%s%s",
		    ctx->reg_sctp[idx] ? "sctp:" : "",
		    asap_sockaddr_str(&ctx->reg[idx], buf, sizeof(buf)),
		    c ? "" : " failed at once");
		if (c != NULL) {
			ctx->tries[i].c = c;
			ctx->tries[i].idx = idx;
			ctx->tries[i].started = ctx_now(ctx);
			if (hunt_fast(ctx, NULL))
				hunt_arm_t5(ctx);
			return true;
		}
		reg_mark_failed(ctx, idx);
	}
	return false;
}

static void
hunt_t5(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct asap_ctx *ctx = arg;
	size_t i;

	(void)loop;
	(void)revents;
	if (hunt_fast(ctx, NULL)) {
		/* No T5 doubling: the deadline bounds how often we try. */
		for (i = 0; i < ASAP_HUNT_PARALLEL; i++)
			if (ctx->tries[i].c != NULL)
				reg_mark_failed(ctx, ctx->tries[i].idx);
		tries_abort(ctx);
		ctx_debug(ctx, "hunt: no connection within the per-try "
		    "timeout");
		hunt_round(ctx);
		return;
	}
	/* SH5: double T5 up to RETRAN-MAX, start over with other addresses. */
	tries_abort(ctx);
	ctx->t5_cur = ctx->t5_cur * 2 > ctx->cfg.retran_max_ms ?
	    ctx->cfg.retran_max_ms : ctx->t5_cur * 2;
	ctx_debug(ctx, "hunt: T5 expired, now %u ms", ctx->t5_cur);
	hunt_round(ctx);
}

static void
hunt_retry(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)revents;
	hunt_round(arg);
}

static void
hunt_round(struct asap_ctx *ctx)
{
	size_t i;

	ctx->round_started = 0;
	for (i = 0; i < ctx->nreg; i++)
		ctx->reg_tried[i] = false;
	while (hunt_start_one(ctx))
		;
	if (tries_in_flight(ctx) == 0) {
		hunt_backoff(ctx);
		return;
	}
	hunt_arm_t5(ctx);
}

static void
hunt_start(struct asap_ctx *ctx)
{
	if (ctx->hunting || ctx->assoc != NULL || ctx->nreg == 0)
		return;
	ctx->hunting = true;
	ctx_debug(ctx, "hunt: start");
	hunt_round(ctx);
}

static void
try_closed(struct conn *c, int error, void *arg)
{
	struct asap_ctx *ctx = arg;
	const char *why = conn_tls_fail(c);
	char buf[80];
	size_t i;

	asap_sockaddr_str(&c->peer, buf, sizeof(buf));
	if (why != NULL) {
		/* A failed server like any other: never a plaintext retry. */
		snprintf(ctx->tls_err, sizeof(ctx->tls_err), "%s: %s", buf,
		    why);
		ctx_debug(ctx, "hunt: %s: TLS handshake failed: %s", buf, why);
		pe_tls_failed(ctx, error);
	} else {
		ctx_debug(ctx, "hunt: %s: %s", buf, strerror(-error));
	}
	for (i = 0; i < ASAP_HUNT_PARALLEL; i++)
		if (ctx->tries[i].c == c) {
			ctx->tries[i].c = NULL;
			reg_mark_failed(ctx, ctx->tries[i].idx);
		}
	conn_free(c);
	/* SH4: try another address; none left and none in flight: back off. */
	if (!hunt_start_one(ctx) && tries_in_flight(ctx) == 0)
		hunt_backoff(ctx);
}

static void
try_connected(struct conn *c, void *arg)
{
	struct asap_ctx *ctx = arg;
	struct conn *old = ctx->assoc;
	size_t i;

	/* SH3/SH6: the first one up becomes the home registrar. */
	for (i = 0; i < ASAP_HUNT_PARALLEL; i++)
		if (ctx->tries[i].c == c) {
			ctx->tries[i].c = NULL;
			ctx->assoc_idx = ctx->tries[i].idx;
			/* A TCP handshake is one round trip (TLS: more). */
			if (c->tls == NULL && !c->sctp)
				retry_rtt_sample(&ctx->rtt, (uint32_t)
				    (ctx_now(ctx) - ctx->tries[i].started));
		}
	tries_abort(ctx);
	ev_cancel(&ctx->t5);
	ev_cancel(&ctx->hunt_retry);
	ctx->t5_cur = ctx->cfg.hunt_timeout_ms;
	ctx->backoff = ASAP_HUNT_BACKOFF_MS;
	ctx->fast_backoff = 0;
	ctx->hunting = false;
	ctx->tls_err[0] = '\0';
	uni_abort(ctx);
	ctx->assoc_uni = false;
	if (old != NULL) {
		/* A re-hunt (ctx_assoc_suspect): the silent one gives way. */
		ctx_debug(ctx, "association to %s replaced", ctx->home_addr);
		ctx->assoc = NULL;
		conn_free(old);
		pe_assoc_down(ctx);
		pu_assoc_down(ctx);
	}
	c->ops = &assoc_ops;
	assoc_connected(c, ctx);
}

static void
assoc_connected(struct conn *c, void *arg)
{
	struct asap_ctx *ctx = arg;

	ctx->assoc = c;
	ctx->assoc_gen++;
	ctx->home_id = 0;
	asap_sockaddr_str(&c->peer, ctx->home_addr, sizeof(ctx->home_addr));
	ctx_debug(ctx, "association to %s up", ctx->home_addr);
	if (ctx->last_home_addr[0] != '\0' &&
	    strcmp(ctx->last_home_addr, ctx->home_addr) != 0)
		pe_home_changed(ctx);
	snprintf(ctx->last_home_addr, sizeof(ctx->last_home_addr), "%s",
	    ctx->home_addr);
	pe_assoc_up(ctx);
	pu_assoc_up(ctx);
}

static void
assoc_lost(struct asap_ctx *ctx)
{
	/* Back to the hunt over the configured list (the anycast address). */
	uni_abort(ctx);
	ctx->assoc_uni = false;
	conn_free(ctx->assoc);
	ctx->assoc = NULL;
	ctx->home_id = 0;
	ctx->home_addr[0] = '\0';
	pe_assoc_down(ctx);
	pu_assoc_down(ctx);
	if (pe_needs_assoc(ctx) || pu_needs_assoc(ctx))
		hunt_start(ctx);
}

static void
assoc_closed(struct conn *c, int error, void *arg)
{
	struct asap_ctx *ctx = arg;

	(void)c;
	ctx_debug(ctx, "association to %s lost: %s", ctx->home_addr,
	    error ? strerror(-error) : "closed by peer");
	reg_mark_failed(ctx, ctx->assoc_idx);
	assoc_lost(ctx);
}

void
ctx_assoc_fail(struct asap_ctx *ctx, const char *why)
{
	if (ctx->assoc == NULL)
		return;
	ctx_debug(ctx, "dropping association to %s: %s", ctx->home_addr, why);
	assoc_lost(ctx);
}

void
ctx_assoc_suspect(struct asap_ctx *ctx, const char *why)
{
	if (ctx->assoc == NULL) {
		hunt_start(ctx);
		return;
	}
	reg_mark_failed(ctx, ctx->assoc_idx);
	if (ctx->hunting)
		return;
	ctx_debug(ctx, "%s: %s; hunting for a new connection", ctx->home_addr,
	    why);
	ctx->hunting = true;
	hunt_round(ctx);
}

void
ctx_need_assoc(struct asap_ctx *ctx)
{
	if (ctx->assoc == NULL)
		hunt_start(ctx);
}

int
ctx_send(struct asap_ctx *ctx, const struct wbuf *w)
{
	if (w->err)
		return -EMSGSIZE;
	if (!conn_up(ctx->assoc))
		return -ENOTCONN;
	return conn_send(ctx->assoc, w->p, w->len);
}

void
ctx_set_home_id(struct asap_ctx *ctx, uint32_t id)
{
	uint32_t old = ctx->last_home_id;

	ctx->home_id = id;
	ctx->last_home_id = id;
	if (old != id)
		pe_home_changed(ctx);
}

int
asap_home(const struct asap_ctx *ctx, uint32_t *ret_id, char *buf, size_t len)
{
	if (!conn_up(ctx->assoc))
		return -ENOTCONN;
	if (ret_id != NULL)
		*ret_id = ctx->home_id;
	if (buf != NULL && len > 0)
		snprintf(buf, len, "%s", ctx->home_addr);
	return 0;
}

static void
send_error(struct asap_ctx *ctx, const struct rsp_err *err)
{
	uint8_t buf[ASAP_MSG_BUF];
	struct rsp_op_error oe;
	struct wbuf w;
	size_t m;

	memset(&oe, 0, sizeof(oe));
	oe.ncause = 1;
	oe.cause[0].code = err->cause;
	oe.cause[0].info = err->data;
	if (oe.cause[0].info.len > 1024)
		oe.cause[0].info.len = 0;
	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_ERROR, 0);
	rsp_put_op_error(&w, &oe);
	rsp_put_msg_end(&w, m);
	(void)ctx_send(ctx, &w);
}

static void
assoc_frame(struct conn *c, uint8_t kind, const uint8_t *p, size_t len,
    void *arg)
{
	struct asap_ctx *ctx = arg;
	struct rsp_msg m;
	struct rsp_err err;

	(void)kind;
	if (c != ctx->assoc)
		return;
	if (rsp_decode(RSP_PROTO_ASAP, p, len, NULL, &m, &err) < 0) {
		ctx_debug(ctx, "bad message from %s: %s", ctx->home_addr,
		    err.what);
		/* RFC 5352 §3.12: report when the unknown item asks for it. */
		if (!err.silent)
			send_error(ctx, &err);
		return;
	}
	ctx_debug(ctx, "received %s", rsp_msg_name(RSP_PROTO_ASAP, m.type));
	/* It answers: not the registrar a re-hunt was looking past. */
	if (ctx->assoc_idx < ctx->nreg)
		ctx->reg_failed[ctx->assoc_idx] = 0;
	if (ctx->hunting) {
		ctx_debug(ctx, "%s answers again: re-hunt called off",
		    ctx->home_addr);
		tries_abort(ctx);
		ev_cancel(&ctx->t5);
		ev_cancel(&ctx->hunt_retry);
		ctx->fast_backoff = 0;
		ctx->hunting = false;
	}
	switch (m.type) {
	case ASAP_REGISTRATION_RESPONSE:
	case ASAP_DEREGISTRATION_RESPONSE:
	case ASAP_ENDPOINT_KEEP_ALIVE:
		pe_handle_msg(ctx, &m);
		break;
	case ASAP_HANDLE_RESOLUTION_RESPONSE:
		pu_handle_msg(ctx, &m);
		break;
	case ASAP_ERROR:
		/*
		 * A registrar that does not know Registrar Unicast (0x8a03)
		 * and answers a message carrying it with an Error, as
		 * RSPLIB's does although the type says "skip": ask it no
		 * more and send the registrations again without it.
		 */
		if (ctx->uni_mode != ASAP_UNICAST_NEVER &&
		    ctx->uni_done_gen != ctx->assoc_gen) {
			ctx_debug(ctx, "%s answered with an Error: not asking "
			    "it for a unicast address", ctx->home_addr);
			ctx->uni_done_gen = ctx->assoc_gen;
			pe_resend_registrations(ctx);
		}
		break;
	default:
		/* SERVER_ANNOUNCE and the rest: nothing to do. */
		break;
	}
	if (m.has_reguni && m.reguni_answer && c == ctx->assoc)
		uni_answer(ctx, c, &m);
	uni_retire_check(ctx);
}

/* Long-lived associations off the anycast address (libasap 0.5) ---------- */

/*
 * doc/spec/registrar-unicast.md, issue 13: the registrar reached through
 * the configured list tells its unicast addresses; a new association is
 * opened there (one address after the other, T5 each), becomes the
 * association once up (the PEs re-register over it with their
 * identifiers, pending requests go there), and the old one closes once no
 * PE waits for its re-registration any more (at the latest after
 * MAX-REG-ATTEMPT x T2).  If no address connects the association stays
 * where it is and the context does not ask again until its next one.
 */
static void	uni_connected(struct conn *c, void *arg);
static void	uni_try_closed(struct conn *c, int error, void *arg);
static void	retire_closed(struct conn *c, int error, void *arg);
static void	uni_frame_ignore(struct conn *c, uint8_t kind,
		    const uint8_t *p, size_t len, void *arg);

static const struct conn_ops uni_ops = {
	.connected = uni_connected,
	.frame = uni_frame_ignore,
	.closed = uni_try_closed,
};

static const struct conn_ops retire_ops = {
	.connected = uni_connected,	/* never: it is up */
	.frame = uni_frame_ignore,
	.closed = retire_closed,
};

int
asap_set_unicast(struct asap_ctx *ctx, int mode)
{
	if (ctx == NULL || (mode != ASAP_UNICAST_AUTO &&
	    mode != ASAP_UNICAST_NEVER && mode != ASAP_UNICAST_ALWAYS))
		return -EINVAL;
	ctx->uni_mode = mode;
	return 0;
}

bool
ctx_want_unicast(const struct asap_ctx *ctx, bool pe)
{
	if (ctx->uni_mode == ASAP_UNICAST_NEVER || ctx->assoc_uni ||
	    ctx->uni_try != NULL || ctx->uni_done_gen == ctx->assoc_gen)
		return false;
	/* Only the long-lived: PEs, sessions (or the caller says so). */
	return pe || ctx->uni_mode == ASAP_UNICAST_ALWAYS ||
	    !TAILQ_EMPTY(&ctx->sessions) || !TAILQ_EMPTY(&ctx->pes);
}

static void
uni_frame_ignore(struct conn *c, uint8_t kind, const uint8_t *p, size_t len,
    void *arg)
{
	(void)c;
	(void)kind;
	(void)p;
	(void)len;
	(void)arg;
}

static void
uni_abort(struct asap_ctx *ctx)
{
	ev_cancel(&ctx->uni_t);
	ev_cancel(&ctx->retire_t);
	conn_free(ctx->uni_try);
	ctx->uni_try = NULL;
	conn_free(ctx->retiring);
	ctx->retiring = NULL;
}

static void
retire_now(struct asap_ctx *ctx, const char *why)
{
	char buf[80];

	if (ctx->retiring == NULL)
		return;
	ctx_debug(ctx, "closing the association to %s: %s",
	    asap_sockaddr_str(&ctx->retiring->peer, buf, sizeof(buf)), why);
	ev_cancel(&ctx->retire_t);
	conn_free(ctx->retiring);
	ctx->retiring = NULL;
}

static void
retire_timeout(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)revents;
	retire_now(arg, "re-registration not confirmed in time");
}

static void
uni_retire_check(struct asap_ctx *ctx)
{
	if (ctx->retiring != NULL && conn_up(ctx->assoc) && !pe_pending(ctx))
		retire_now(ctx, "moved to the unicast address");
}

static void
retire_closed(struct conn *c, int error, void *arg)
{
	struct asap_ctx *ctx = arg;

	(void)error;
	if (ctx->retiring == c) {
		ev_cancel(&ctx->retire_t);
		ctx->retiring = NULL;
	}
	conn_free(c);
}

static void	uni_timeout(struct ev_loop *loop, void *arg,
		    unsigned int revents);

/* Connect to the next learned address; false when none is left. */
static bool
uni_start_one(struct asap_ctx *ctx)
{
	char buf[80];
	struct conn *c;

	while (ctx->uni_next < ctx->nuni) {
		const struct sockaddr_storage *ss = &ctx->uni[ctx->uni_next++];

		/* From the same address: the registrar sees the same host
		 * (RFC 5352 §3.2's check of a PE identifier's owner). */
		c = conn_connect_from(ctx, ss, ctx->uni_src.ss_family != 0 ?
		    &ctx->uni_src : NULL, ctx->uni_sctp, ctx->tls, CONN_ASAP,
		    &uni_ops, ctx);
		ctx_debug(ctx, "unicast: connecting to %s%s%s",
		    ctx->uni_sctp ? "sctp:" : "",
		    asap_sockaddr_str(ss, buf, sizeof(buf)),
		    c != NULL ? "" : " failed at once");
		if (c != NULL) {
			ctx->uni_try = c;
			ctx_timer(ctx, &ctx->uni_t, ctx->cfg.hunt_timeout_ms,
			    uni_timeout, ctx);
			return true;
		}
	}
	ctx_debug(ctx, "unicast: no address connected; staying on %s",
	    ctx->home_addr);
	return false;
}

static void
uni_timeout(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct asap_ctx *ctx = arg;

	(void)loop;
	(void)revents;
	conn_free(ctx->uni_try);
	ctx->uni_try = NULL;
	(void)uni_start_one(ctx);
}

static void
uni_try_closed(struct conn *c, int error, void *arg)
{
	struct asap_ctx *ctx = arg;
	const char *why = conn_tls_fail(c);
	char buf[80];

	ctx_debug(ctx, "unicast: %s: %s", asap_sockaddr_str(&c->peer, buf,
	    sizeof(buf)), why != NULL ? why : strerror(-error));
	if (ctx->uni_try == c) {
		ctx->uni_try = NULL;
		ev_cancel(&ctx->uni_t);
	}
	conn_free(c);
	(void)uni_start_one(ctx);
}

/* The unicast association is up: it becomes the association. */
static void
uni_connected(struct conn *c, void *arg)
{
	struct asap_ctx *ctx = arg;
	struct conn *old = ctx->assoc;

	ev_cancel(&ctx->uni_t);
	ctx->uni_try = NULL;
	if (!conn_up(old)) {
		/* Cannot happen (the association's loss aborts the move). */
		conn_free(c);
		return;
	}
	ctx_debug(ctx, "moving the association from %s to the unicast "
	    "address", ctx->home_addr);
	old->ops = &retire_ops;
	ctx->retiring = old;
	ctx->assoc = NULL;
	pe_assoc_down(ctx);
	pu_assoc_down(ctx);
	ctx->assoc_uni = true;
	ctx->assoc_idx = SIZE_MAX;
	c->ops = &assoc_ops;
	assoc_connected(c, ctx);
	ctx_timer(ctx, &ctx->retire_t,
	    (uint64_t)ctx->cfg.registration_timeout_ms *
	    ctx->cfg.max_reg_attempt, retire_timeout, ctx);
	uni_retire_check(ctx);
}

/* A Registrar Unicast answer on the association c. */
static void
uni_answer(struct asap_ctx *ctx, struct conn *c, const struct rsp_msg *m)
{
	struct rsp_transport tr;
	struct rsp_iter it;
	unsigned int i;
	bool sctp = false;

	if (ctx->uni_mode == ASAP_UNICAST_NEVER || ctx->assoc_uni ||
	    ctx->uni_try != NULL || ctx->uni_done_gen == ctx->assoc_gen)
		return;
	ctx->uni_done_gen = ctx->assoc_gen;	/* one answer per assoc. */
	ctx->nuni = ctx->uni_next = 0;
	rsp_iter_init_reguni(&it, m);
	while (rsp_iter_transport(&it, &tr) == 1) {
		if (tr.type == RSP_PARAM_SCTP_TRANSPORT && ctx->tls != NULL)
			continue;	/* no TLS over SCTP here */
		if (ctx->nuni > 0 && sctp !=
		    (tr.type == RSP_PARAM_SCTP_TRANSPORT))
			continue;	/* one kind: the first's */
		sctp = tr.type == RSP_PARAM_SCTP_TRANSPORT;
		for (i = 0; i < tr.naddr && ctx->nuni < RSP_MAX_ADDRS; i++) {
			sockaddr_from_rsp(&tr.addr[i], tr.port,
			    &ctx->uni[ctx->nuni]);
			if (addr_same(&ctx->uni[ctx->nuni], &c->peer)) {
				/* Reached on a unicast address already. */
				ctx_debug(ctx, "unicast: %s is the "
				    "registrar's own address", ctx->home_addr);
				ctx->assoc_uni = true;
				ctx->nuni = 0;
				return;
			}
			ctx->nuni++;
		}
	}
	ctx->uni_sctp = sctp;
	{
		socklen_t sl = sizeof(ctx->uni_src);

		memset(&ctx->uni_src, 0, sizeof(ctx->uni_src));
		if (getsockname(c->w.fd, (struct sockaddr *)&ctx->uni_src,
		    &sl) == -1)
			memset(&ctx->uni_src, 0, sizeof(ctx->uni_src));
	}
	(void)uni_start_one(ctx);
}

/* Context life cycle -------------------------------------------------------- */

/*
 * The registrar list: [tcp:|sctp:]host[:port] entries separated by commas
 * or blanks.  "sctp:" asks for an SCTP association (PPID 11) instead of
 * the TCP mapping, the default.
 */
static int
add_registrars(struct asap_ctx *ctx, const char *list, char *err,
    size_t errlen)
{
	char *dup, *tok, *save = NULL, host[256];
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage *n;
	uint64_t *nf;
	bool *ns, *nt, sctp;
	uint16_t port;
	char pbuf[8];
	int r = 0;

	if ((dup = strdup(list)) == NULL)
		return -ENOMEM;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	for (tok = strtok_r(dup, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		sctp = false;
		if (strncasecmp(tok, "sctp:", 5) == 0) {
			sctp = true;
			tok += 5;
		} else if (strncasecmp(tok, "tcp:", 4) == 0) {
			tok += 4;
		}
		if (sctp && ctx->tls != NULL) {
			snprintf(err, errlen, "sctp:%s: no TLS over SCTP "
			    "(RFC 3436) with this OpenSSL; use the TCP mapping",
			    tok);
			r = -EPROTONOSUPPORT;
			break;
		}
		if ((r = split_hostport(tok, ctx->tls != NULL ? ASAP_TLS_PORT :
		    ASAP_DEFAULT_PORT, host, sizeof(host), &port)) < 0) {
			snprintf(err, errlen, "%s: not host[:port]", tok);
			break;
		}
		snprintf(pbuf, sizeof(pbuf), "%u", port);
		if (getaddrinfo(host, pbuf, &hints, &res) != 0) {
			snprintf(err, errlen, "%s: cannot resolve", host);
			r = -EHOSTUNREACH;
			break;
		}
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (ai->ai_addrlen > sizeof(struct sockaddr_storage))
				continue;
			n = realloc(ctx->reg, (ctx->nreg + 1) * sizeof(*n));
			if (n == NULL) {
				r = -ENOMEM;
				break;
			}
			ctx->reg = n;
			ns = realloc(ctx->reg_sctp, (ctx->nreg + 1) * sizeof(*ns));
			if (ns == NULL) {
				r = -ENOMEM;
				break;
			}
			ctx->reg_sctp = ns;
			nf = realloc(ctx->reg_failed, (ctx->nreg + 1) *
			    sizeof(*nf));
			if (nf == NULL) {
				r = -ENOMEM;
				break;
			}
			ctx->reg_failed = nf;
			nt = realloc(ctx->reg_tried, (ctx->nreg + 1) *
			    sizeof(*nt));
			if (nt == NULL) {
				r = -ENOMEM;
				break;
			}
			ctx->reg_tried = nt;
			nf[ctx->nreg] = 0;
			nt[ctx->nreg] = false;
			memset(&n[ctx->nreg], 0, sizeof(*n));
			memcpy(&n[ctx->nreg], ai->ai_addr, ai->ai_addrlen);
			ns[ctx->nreg] = sctp;
			ctx->nreg++;
		}
		freeaddrinfo(res);
		if (r < 0)
			break;
	}
	free(dup);
	if (r == 0 && ctx->nreg == 0) {
		snprintf(err, errlen, "empty registrar list");
		r = -EINVAL;
	}
	return r;
}

/* libasap 0.3's lib/tls.c settings from the public ones. */
static int
ctx_tls(struct asap_ctx *ctx, const struct asap_tls_config *t, char *err,
    size_t errlen)
{
	struct tls_config tc = {
		.role = TLS_CLIENT,
		.allow_tls12 = true,
		.psk_file = t->psk_file,
		.psk_identity = t->psk_identity,
		.cert_file = t->cert_file,
		.key_file = t->key_file,
		.ca_file = t->ca_file,
		.server_name = t->server_name,
		.resume = t->resume,
		.keylog_file = t->keylog_file,
	};

	if (t->psk_file == NULL && (t->ca_file == NULL ||
	    t->server_name == NULL)) {
		snprintf(err, errlen, "TLS needs a PSK file, or a CA file and "
		    "the registrar's name");
		return -EINVAL;
	}
	if ((t->cert_file == NULL) != (t->key_file == NULL)) {
		snprintf(err, errlen, "a client certificate needs its key, "
		    "and a key its certificate");
		return -EINVAL;
	}
	return tls_ctx_new(&tc, &ctx->tls, err, errlen);
}

struct asap_ctx *
asap_ctx_new(const char *registrars, const struct asap_config *cfg)
{
	return asap_ctx_new_tls(registrars, cfg, NULL, NULL, 0);
}

const char *
asap_tls_error(const struct asap_ctx *ctx)
{
	return ctx->tls_err[0] != '\0' ? ctx->tls_err : NULL;
}

struct asap_ctx *
asap_ctx_new_tls(const char *registrars, const struct asap_config *cfg,
    const struct asap_tls_config *tls, char *err, size_t errlen)
{
	struct asap_ctx *ctx;
	struct epoll_event ee = { .events = EPOLLIN };
	char ebuf[256];
	int r;

	if (err == NULL || errlen == 0) {
		err = ebuf;
		errlen = sizeof(ebuf);
	}
	err[0] = '\0';
	if (registrars == NULL) {
		snprintf(err, errlen, "no registrar list");
		errno = EINVAL;
		return NULL;
	}
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	ctx->epfd = ctx->tfd = -1;
	TAILQ_INIT(&ctx->pes);
	TAILQ_INIT(&ctx->dead_pes);
	TAILQ_INIT(&ctx->sessions);
	TAILQ_INIT(&ctx->dead_sessions);
	TAILQ_INIT(&ctx->pe_sessions);
	TAILQ_INIT(&ctx->dead_pe_sessions);
	TAILQ_INIT(&ctx->cache);
	TAILQ_INIT(&ctx->reqs);
	TAILQ_INIT(&ctx->ready);
	if (cfg != NULL)
		ctx->cfg = *cfg;
#define DEF(f, v) do { if (ctx->cfg.f == 0) ctx->cfg.f = (v); } while (0)
	DEF(request_timeout_ms, 3000);
	DEF(max_request_retransmit, 2);
	DEF(registration_timeout_ms, 3000);
	DEF(deregistration_timeout_ms, 3000);
	DEF(max_reg_attempt, 2);
	DEF(hunt_timeout_ms, 5000);
	DEF(retran_max_ms, 60000);
	DEF(stale_cache_ms, 5000);
	DEF(resolve_items, 3);
#undef DEF
	ctx->t5_cur = ctx->cfg.hunt_timeout_ms;
	ctx->backoff = ASAP_HUNT_BACKOFF_MS;
	if (getrandom(&ctx->rng, sizeof(ctx->rng), 0) != sizeof(ctx->rng))
		ctx->rng = (uint64_t)getpid() * 0x9E3779B97F4A7C15ULL;
	ctx->rng |= 1;
	if ((ctx->loop = ev_loop_new()) == NULL)
		goto fail;
	ctx->epfd = epoll_create1(EPOLL_CLOEXEC);
	ctx->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ctx->epfd == -1 || ctx->tfd == -1)
		goto fail;
	ee.data.fd = ctx->tfd;
	if (epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, ctx->tfd, &ee) == -1)
		goto fail;
	if (tls != NULL && (r = ctx_tls(ctx, tls, err, errlen)) < 0) {
		errno = -r;
		goto fail;
	}
	if ((r = add_registrars(ctx, registrars, err, errlen)) < 0) {
		errno = -r;
		goto fail;
	}
	return ctx;
fail:
	r = errno;
	if (err[0] == '\0')
		snprintf(err, errlen, "%s", strerror(r));
	asap_ctx_free(ctx);
	errno = r;
	return NULL;
}

void
asap_ctx_free(struct asap_ctx *ctx)
{
	if (ctx == NULL)
		return;
	session_free_all(ctx);
	pe_free_all(ctx);
	pu_free_all(ctx);
	ctx->cb_depth = 0;
	ctx_free_zombies(ctx);
	tries_abort(ctx);
	uni_abort(ctx);
	conn_free(ctx->assoc);
	ctx->assoc = NULL;
	ev_cancel(&ctx->t5);
	ev_cancel(&ctx->hunt_retry);
	ev_loop_free(ctx->loop);
	if (ctx->epfd != -1)
		close(ctx->epfd);
	if (ctx->tfd != -1)
		close(ctx->tfd);
	free(ctx->reg);
	free(ctx->reg_sctp);
	free(ctx->reg_failed);
	free(ctx->reg_tried);
	tls_ctx_free(ctx->tls);
	free(ctx);
}
