/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of libasap's protocol state machines against a scripted
 * registrar (a loopback TCP listener in this test that reads the library's
 * messages with rsp_decode() and answers with rsp_put_*()) and scripted PEs
 * speaking the session framing: registration fields and re-registration
 * timing, keep-alive acks and the H flag, reconnection with the same PE
 * identifier, rejection, T2 expiry, resolution with the Handle Resolution
 * Option, cache freshness and staleness, unknown pool handles, T1
 * retransmissions, failover with cookie echo and Endpoint Unreachable sent
 * once.  Timers run on an injected clock: nothing sleeps for them.
 */
#define _GNU_SOURCE	/* accept4 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "asap.h"
#include "codec.h"

#define POOL		"EchoPool"
#define POOL_LEN	(sizeof(POOL) - 1)
#define MAXEV		32

struct peer {
	int		 fd;
	uint8_t		 rx[70000];
	size_t		 rxlen;
	uint8_t		 msg[70000];	/* the last message read */
};

struct fx {
	struct asap_ctx	*ctx;
	uint64_t	 now;
	int		 lfd;		/* scripted registrar's listener */
	uint16_t	 port;
	struct peer	 reg;		/* registrar side of the association */
	struct asap_pe	*pe;
	struct asap_pe_status ev[MAXEV];
	size_t		 nev;
	/* resolution results */
	int		 res_calls;
	struct asap_resolution res;
	struct asap_pe_info res_pe[8];
	bool		 res_has_id;	/* res.registrar was set: a copy */
	struct asap_registrar_id res_id;
	/* session */
	struct asap_session_status sev[MAXEV];
	size_t		 nsev;
	char		 data[256];
	size_t		 datalen;
};

static uint64_t
tclock(void *arg)
{
	return *(uint64_t *)arg;
}

static uint64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
listener(uint16_t *ret_port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd, one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*ret_port = ntohs(sin.sin_port);
	return fd;
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char regs[64];

	assert_non_null(fx);
	fx->lfd = listener(&fx->port);
	snprintf(regs, sizeof(regs), "127.0.0.1:%u", fx->port);
	fx->ctx = asap_ctx_new(regs, NULL);
	assert_non_null(fx->ctx);
	fx->now = 1000000;
	asap_set_clock(fx->ctx, tclock, &fx->now);
	fx->reg.fd = -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	asap_ctx_free(fx->ctx);
	if (fx->reg.fd >= 0)
		close(fx->reg.fd);
	close(fx->lfd);
	free(fx);
	return 0;
}

/* Run the library until fd is readable (or timeout_ms of real time). */
static bool
wait_readable(struct fx *fx, int fd, int timeout_ms)
{
	uint64_t end = real_ms() + (uint64_t)timeout_ms;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	do {
		assert_true(asap_process(fx->ctx) >= 0);
		if (poll(&p, 1, 2) == 1)
			return true;
	} while (real_ms() < end);
	return false;
}

/* Let the library do whatever it can for a little real time. */
static void
settle(struct fx *fx)
{
	uint64_t end = real_ms() + 30;

	while (real_ms() < end) {
		assert_true(asap_process(fx->ctx) >= 0);
		poll(NULL, 0, 1);
	}
}

/* Advance the injected clock, firing each timer at its deadline. */
static void
advance(struct fx *fx, uint64_t ms)
{
	int t;

	for (;;) {
		t = asap_next_timeout_ms(fx->ctx);
		if (t < 0 || (uint64_t)t > ms) {
			fx->now += ms;
			asap_process(fx->ctx);
			return;
		}
		fx->now += (uint64_t)t;
		ms -= (uint64_t)t;
		asap_process(fx->ctx);
	}
}

static int
accept_on(struct fx *fx, int lfd)
{
	int fd;

	assert_true(wait_readable(fx, lfd, 2000));
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void
reg_accept(struct fx *fx)
{
	if (fx->reg.fd >= 0)
		close(fx->reg.fd);
	fx->reg.fd = accept_on(fx, fx->lfd);
	fx->reg.rxlen = 0;
}

/* Read one ASAP message from the peer; false if none within timeout. */
static bool
peer_read(struct fx *fx, struct peer *p, struct rsp_msg *m, int timeout_ms)
{
	struct rsp_err err;
	long n;
	ssize_t r;

	for (;;) {
		n = rsp_frame(p->rx, p->rxlen);
		assert_true(n >= 0);
		if (n > 0 && (size_t)n <= p->rxlen)
			break;
		if (!wait_readable(fx, p->fd, timeout_ms))
			return false;
		r = read(p->fd, p->rx + p->rxlen, sizeof(p->rx) - p->rxlen);
		if (r <= 0)
			return false;
		p->rxlen += (size_t)r;
	}
	memcpy(p->msg, p->rx, (size_t)n);
	memmove(p->rx, p->rx + n, p->rxlen - (size_t)n);
	p->rxlen -= (size_t)n;
	if (rsp_decode(RSP_PROTO_ASAP, p->msg, (size_t)n, NULL, m, &err) < 0)
		fail_msg("decode: %s", err.what);
	return true;
}

/* Read one session frame (kind, payload) from a scripted PE. */
static bool
frame_read(struct fx *fx, struct peer *p, uint8_t *ret_kind, size_t *ret_len)
{
	size_t len;
	ssize_t r;

	for (;;) {
		if (p->rxlen >= 4) {
			len = get_u16(p->rx + 2);
			if (p->rxlen >= 4 + len)
				break;
		}
		if (!wait_readable(fx, p->fd, 2000))
			return false;
		r = read(p->fd, p->rx + p->rxlen, sizeof(p->rx) - p->rxlen);
		if (r <= 0)
			return false;
		p->rxlen += (size_t)r;
	}
	*ret_kind = p->rx[0];
	*ret_len = len;
	memcpy(p->msg, p->rx + 4, len);
	memmove(p->rx, p->rx + 4 + len, p->rxlen - 4 - len);
	p->rxlen -= 4 + len;
	return true;
}

static void
peer_send(int fd, const struct wbuf *w)
{
	assert_false(w->err);
	assert_int_equal(write(fd, w->p, w->len), (ssize_t)w->len);
}

static void
send_reg_response(struct fx *fx, uint32_t pe_id, bool reject, uint16_t cause)
{
	uint8_t buf[256];
	struct wbuf w;
	struct rsp_op_error oe = { .ncause = 1 };
	size_t m;

	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_REGISTRATION_RESPONSE,
	    reject ? ASAP_FLAG_REJECT : 0);
	rsp_put_handle(&w, POOL, POOL_LEN);
	rsp_put_pe_id(&w, pe_id);
	if (cause) {
		oe.cause[0].code = cause;
		rsp_put_op_error(&w, &oe);
	}
	rsp_put_msg_end(&w, m);
	peer_send(fx->reg.fd, &w);
}

static void
send_keepalive(struct fx *fx, uint32_t server_id, bool home,
    const char *handle)
{
	uint8_t buf[256];
	struct wbuf w;
	size_t m;

	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_ENDPOINT_KEEP_ALIVE,
	    home ? ASAP_FLAG_HOME : 0);
	wbuf_u32(&w, server_id);
	rsp_put_handle(&w, handle, strlen(handle));
	rsp_put_msg_end(&w, m);
	peer_send(fx->reg.fd, &w);
}

static void
pe_cb(struct asap_pe *pe, const struct asap_pe_status *st, void *arg)
{
	struct fx *fx = arg;

	(void)pe;
	assert_true(fx->nev < MAXEV);
	fx->ev[fx->nev++] = *st;
}

static bool
has_event(const struct fx *fx, enum asap_pe_event e, size_t *ret_idx)
{
	size_t i;

	for (i = 0; i < fx->nev; i++)
		if (fx->ev[i].event == e) {
			if (ret_idx != NULL)
				*ret_idx = i;
			return true;
		}
	return false;
}

static void
start_pe(struct fx *fx, uint32_t policy, uint32_t value)
{
	struct asap_pe_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.handle = POOL;
	cfg.handle_len = POOL_LEN;
	cfg.policy.type = policy;
	cfg.policy.value[0] = value;
	cfg.port = 7000;
	cfg.naddr = 1;
	assert_int_equal(asap_sockaddr_parse("10.0.0.1:7000", 0, &cfg.addr[0]),
	    0);
	cfg.reregistration_ms = 30000;
	cfg.cb = pe_cb;
	cfg.cb_arg = fx;
	fx->pe = asap_pe_register(fx->ctx, &cfg);
	assert_non_null(fx->pe);
}

/* Accept the association, check the REGISTRATION, accept it. */
static void
register_pe(struct fx *fx)
{
	struct rsp_msg m;

	reg_accept(fx);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_REGISTRATION);
	assert_int_equal(m.pe.id, asap_pe_id(fx->pe));
	send_reg_response(fx, m.pe.id, false, 0);
	settle(fx);
	assert_true(has_event(fx, ASAP_PE_REGISTERED, NULL));
	assert_true(asap_pe_is_registered(fx->pe));
}

/* Tests: pool element --------------------------------------------------------- */

static void
test_registration_fields(void **state)
{
	struct fx *fx = *state;
	struct rsp_msg m;
	char a[64];

	start_pe(fx, ASAP_POLICY_WEIGHTED_ROUND_ROBIN, 5);
	reg_accept(fx);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_REGISTRATION);
	assert_true(m.has_handle);
	assert_int_equal(m.handle.len, POOL_LEN);
	assert_memory_equal(m.handle.p, POOL, POOL_LEN);
	assert_true(m.has_pe);
	assert_int_not_equal(m.pe.id, 0);
	assert_int_equal(m.pe.id, asap_pe_id(fx->pe));
	/* Registration Life in ms: 3 x the re-registration interval. */
	assert_int_equal(m.pe.life, 90000);
	assert_int_equal(m.pe.user.type, RSP_PARAM_TCP_TRANSPORT);
	assert_int_equal(m.pe.user.port, 7000);
	assert_int_equal(m.pe.user.use, RSP_TRANSPORT_USE_DATA_CONTROL);
	assert_int_equal(m.pe.user.naddr, 1);
	assert_string_equal(rsp_addr_str(&m.pe.user.addr[0], a, sizeof(a)),
	    "10.0.0.1");
	assert_int_equal(m.pe.policy.type, RSP_POLICY_WEIGHTED_ROUND_ROBIN);
	assert_int_equal(m.pe.policy.nval, 1);
	assert_int_equal(m.pe.policy.val[0], 5);
	assert_false(m.pe.has_asap);
	assert_false(asap_pe_is_registered(fx->pe));
	send_reg_response(fx, m.pe.id, false, 0);
	settle(fx);
	assert_true(has_event(fx, ASAP_PE_REGISTERED, NULL));
	assert_true(asap_pe_is_registered(fx->pe));
}

static void
test_reregistration_timing(void **state)
{
	struct fx *fx = *state;
	struct rsp_msg m;
	uint32_t id;

	start_pe(fx, ASAP_POLICY_ROUND_ROBIN, 0);
	register_pe(fx);
	id = asap_pe_id(fx->pe);
	advance(fx, 29999);
	assert_false(peer_read(fx, &fx->reg, &m, 50));
	advance(fx, 1);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_REGISTRATION);
	assert_int_equal(m.pe.id, id);
	send_reg_response(fx, id, false, 0);
	settle(fx);
	/* And again one interval after that answer. */
	advance(fx, 29999);
	assert_false(peer_read(fx, &fx->reg, &m, 50));
	advance(fx, 1);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.pe.id, id);
}

static void
test_update_load(void **state)
{
	struct fx *fx = *state;
	struct rsp_msg m;

	start_pe(fx, ASAP_POLICY_LEAST_USED, 10);
	register_pe(fx);
	assert_int_equal(asap_pe_update_load(fx->pe, 77), 0);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_REGISTRATION);
	assert_int_equal(m.pe.policy.type, RSP_POLICY_LEAST_USED);
	assert_int_equal(m.pe.policy.val[0], 77);
}

static void
test_keepalive(void **state)
{
	struct fx *fx = *state;
	struct rsp_msg m;
	uint32_t home = 0;
	size_t i;

	start_pe(fx, ASAP_POLICY_ROUND_ROBIN, 0);
	register_pe(fx);
	fx->nev = 0;
	send_keepalive(fx, 0x11, false, POOL);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_ENDPOINT_KEEP_ALIVE_ACK);
	assert_memory_equal(m.handle.p, POOL, POOL_LEN);
	assert_true(m.has_pe_id);
	assert_int_equal(m.pe_id, asap_pe_id(fx->pe));
	settle(fx);
	/* The first keep-alive names the home registrar. */
	assert_true(has_event(fx, ASAP_PE_HOME_CHANGED, &i));
	assert_int_equal(fx->ev[i].home_id, 0x11);

	/* KA1: another pool handle is discarded silently. */
	send_keepalive(fx, 0x11, false, "OtherPool");
	/* H = 1 from another server: ack, and it becomes home. */
	fx->nev = 0;
	send_keepalive(fx, 0x22, true, POOL);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_ENDPOINT_KEEP_ALIVE_ACK);
	settle(fx);
	assert_true(has_event(fx, ASAP_PE_HOME_CHANGED, &i));
	assert_int_equal(fx->ev[i].home_id, 0x22);
	assert_int_equal(asap_home(fx->ctx, &home, NULL, 0), 0);
	assert_int_equal(home, 0x22);

	/* Without H a keep-alive from another id does not move home. */
	fx->nev = 0;
	send_keepalive(fx, 0x33, false, POOL);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	settle(fx);
	assert_false(has_event(fx, ASAP_PE_HOME_CHANGED, NULL));
}

static void
test_reconnect_same_id(void **state)
{
	struct fx *fx = *state;
	struct rsp_msg m;
	uint32_t id;

	start_pe(fx, ASAP_POLICY_ROUND_ROBIN, 0);
	register_pe(fx);
	id = asap_pe_id(fx->pe);
	/* The registrar node goes away: the hunt reconnects at once. */
	close(fx->reg.fd);
	fx->reg.fd = -1;
	fx->nev = 0;
	reg_accept(fx);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_REGISTRATION);
	assert_int_equal(m.pe.id, id);
	send_reg_response(fx, id, false, 0);
	settle(fx);
	assert_true(has_event(fx, ASAP_PE_REGISTERED, NULL));
}

static void
test_reject(void **state)
{
	struct fx *fx = *state;
	struct rsp_msg m;
	size_t i;

	start_pe(fx, ASAP_POLICY_ROUND_ROBIN, 0);
	reg_accept(fx);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	send_reg_response(fx, m.pe.id, true, RSP_CAUSE_INCONSISTENT_POLICY);
	settle(fx);
	assert_true(has_event(fx, ASAP_PE_REJECTED, &i));
	assert_int_equal(fx->ev[i].cause, ASAP_CAUSE_INCONSISTENT_POLICY);
	assert_false(asap_pe_is_registered(fx->pe));
	/* Never retried unchanged. */
	advance(fx, 120000);
	assert_false(peer_read(fx, &fx->reg, &m, 50));
}

static void
test_t2_expiry(void **state)
{
	struct fx *fx = *state;
	struct rsp_msg m;
	size_t i;

	start_pe(fx, ASAP_POLICY_ROUND_ROBIN, 0);
	reg_accept(fx);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	/* No answer within T2: drop the association, hunt, register again. */
	advance(fx, 3000);
	reg_accept(fx);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_REGISTRATION);
	assert_false(has_event(fx, ASAP_PE_FAILED, NULL));
	advance(fx, 3000);
	settle(fx);
	/* MAX-REG-ATTEMPT (2) reached: reported, and still trying. */
	assert_true(has_event(fx, ASAP_PE_FAILED, &i));
	assert_int_equal(fx->ev[i].error, -ETIMEDOUT);
	reg_accept(fx);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_REGISTRATION);
}

static void
test_deregister(void **state)
{
	struct fx *fx = *state;
	struct rsp_msg m;
	uint8_t buf[128];
	struct wbuf w;
	size_t s;

	start_pe(fx, ASAP_POLICY_ROUND_ROBIN, 0);
	register_pe(fx);
	assert_int_equal(asap_pe_deregister(fx->pe), 0);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_DEREGISTRATION);
	assert_int_equal(m.pe_id, asap_pe_id(fx->pe));
	wbuf_init(&w, buf, sizeof(buf));
	s = rsp_put_msg_begin(&w, ASAP_DEREGISTRATION_RESPONSE, 0);
	rsp_put_handle(&w, POOL, POOL_LEN);
	rsp_put_pe_id(&w, m.pe_id);
	rsp_put_msg_end(&w, s);
	peer_send(fx->reg.fd, &w);
	settle(fx);
	assert_true(has_event(fx, ASAP_PE_DEREGISTERED, NULL));
	assert_false(asap_pe_is_registered(fx->pe));
}

/* Tests: pool user ------------------------------------------------------------ */

static void
res_cb(struct asap_ctx *ctx, const struct asap_resolution *res, void *arg)
{
	struct fx *fx = arg;
	size_t i;

	(void)ctx;
	fx->res_calls++;
	fx->res = *res;
	for (i = 0; i < res->npe && i < 8; i++)
		fx->res_pe[i] = res->pe[i];
	fx->res_has_id = res->registrar != NULL;
	if (res->registrar != NULL)
		fx->res_id = *res->registrar;
}

static void
add_pe(struct wbuf *w, uint32_t id, uint16_t port, uint32_t prio)
{
	struct rsp_pe pe;

	memset(&pe, 0, sizeof(pe));
	pe.id = id;
	pe.life = 30000;
	pe.user.type = RSP_PARAM_TCP_TRANSPORT;
	pe.user.port = port;
	pe.user.use = RSP_TRANSPORT_USE_DATA_CONTROL;
	pe.user.naddr = 1;
	rsp_addr_v4(&pe.user.addr[0], INADDR_LOOPBACK);
	pe.policy.type = prio ? RSP_POLICY_PRIORITY : RSP_POLICY_ROUND_ROBIN;
	pe.policy.nval = prio ? 1 : 0;
	pe.policy.val[0] = prio;
	rsp_put_pe(w, &pe);
}

/* Answer a resolution with (id, port, prio) triples. */
static void
send_resolution(struct fx *fx, uint32_t policy, size_t n, const uint32_t *ids,
    const uint16_t *ports, const uint32_t *prios)
{
	uint8_t buf[4096];
	struct wbuf w;
	struct rsp_policy pol = { .type = policy };
	size_t m, i;

	/* The overall policy TLV carries the policy's fields (zero). */
	pol.nval = (uint8_t)rsp_policy_nval(policy);
	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
	rsp_put_handle(&w, POOL, POOL_LEN);
	rsp_put_policy(&w, &pol);
	for (i = 0; i < n; i++)
		add_pe(&w, ids[i], ports[i], prios ? prios[i] : 0);
	rsp_put_msg_end(&w, m);
	peer_send(fx->reg.fd, &w);
}

static void
read_resolution(struct fx *fx)
{
	struct rsp_msg m;

	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_HANDLE_RESOLUTION);
	assert_memory_equal(m.handle.p, POOL, POOL_LEN);
	assert_true(m.has_hropt);
	assert_int_equal(m.hropt_items, 3);
}

static void
test_resolve_and_cache(void **state)
{
	struct fx *fx = *state;
	uint32_t ids[] = { 0xa1, 0xa2 };
	uint16_t ports[] = { 7001, 7002 };
	struct sockaddr_in *sin;
	struct rsp_msg m;

	assert_int_equal(asap_pu_resolve(fx->ctx, POOL, POOL_LEN, res_cb, fx), 0);
	reg_accept(fx);
	read_resolution(fx);
	send_resolution(fx, RSP_POLICY_ROUND_ROBIN, 2, ids, ports, NULL);
	settle(fx);
	assert_int_equal(fx->res_calls, 1);
	assert_int_equal(fx->res.error, 0);
	assert_false(fx->res.stale);
	assert_int_equal(fx->res.npe, 2);
	assert_int_equal(fx->res.policy, ASAP_POLICY_ROUND_ROBIN);
	assert_int_equal(fx->res_pe[0].id, 0xa1);
	assert_int_equal(fx->res_pe[1].id, 0xa2);
	assert_int_equal(fx->res_pe[1].transport, ASAP_TRANSPORT_TCP);
	assert_int_equal(fx->res_pe[1].naddr, 1);
	sin = (struct sockaddr_in *)&fx->res_pe[1].addr[0];
	assert_int_equal(ntohs(sin->sin_port), 7002);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);

	/* Fresh: answered from the cache, nothing sent. */
	advance(fx, 4999);
	assert_int_equal(asap_pu_resolve(fx->ctx, POOL, POOL_LEN, res_cb, fx), 0);
	assert_int_equal(fx->res_calls, 1);	/* never from inside the call */
	settle(fx);
	assert_int_equal(fx->res_calls, 2);
	assert_int_equal(fx->res.npe, 2);
	assert_false(peer_read(fx, &fx->reg, &m, 50));

	/* Stale: asks again. */
	advance(fx, 1);
	assert_int_equal(asap_pu_resolve(fx->ctx, POOL, POOL_LEN, res_cb, fx), 0);
	read_resolution(fx);
	send_resolution(fx, RSP_POLICY_ROUND_ROBIN, 1, ids, ports, NULL);
	settle(fx);
	assert_int_equal(fx->res_calls, 3);
	assert_int_equal(fx->res.npe, 1);
}

/* Answer with the Registrar Identity (0x8a01) after the PEs or the error. */
static void
send_resolution_id(struct fx *fx, uint32_t id, uint16_t port, bool unknown)
{
	struct rsp_op_error oe = { .ncause = 1 };
	uint8_t buf[512];
	struct wbuf w;
	size_t m;

	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
	rsp_put_handle(&w, POOL, POOL_LEN);
	if (unknown) {
		oe.cause[0].code = RSP_CAUSE_UNKNOWN_POOL_HANDLE;
		rsp_put_op_error(&w, &oe);
	} else {
		rsp_put_policy(&w, &(struct rsp_policy){
		    .type = RSP_POLICY_ROUND_ROBIN });
		add_pe(&w, id, port, 0);
	}
	rsp_put_regid(&w, 0x0a0b0c0d, "pop-a", 5);
	rsp_put_msg_end(&w, m);
	peer_send(fx->reg.fd, &w);
}

/*
 * ASAP_RESOLVE_REGISTRAR_ID: the request carries 0x8a01 (and a plain one
 * does not), a fresh cache does not answer for it, and the result names the
 * registrar in success and error answers, or not if the answer did not.
 */
static void
test_resolve_registrar_id(void **state)
{
	struct fx *fx = *state;
	uint32_t ids[] = { 0xa1 };
	uint16_t ports[] = { 7001 };
	struct rsp_msg m;

	assert_int_equal(asap_pu_resolve_ex(fx->ctx, POOL, POOL_LEN, 0x80,
	    res_cb, fx), -EINVAL);
	assert_int_equal(asap_pu_resolve(fx->ctx, POOL, POOL_LEN, res_cb, fx), 0);
	reg_accept(fx);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_false(m.has_regid);
	send_resolution(fx, RSP_POLICY_ROUND_ROBIN, 1, ids, ports, NULL);
	settle(fx);
	assert_int_equal(fx->res_calls, 1);
	assert_false(fx->res_has_id);

	/* Fresh cache, but asked who answers: the request goes out. */
	assert_int_equal(asap_pu_resolve_ex(fx->ctx, POOL, POOL_LEN,
	    ASAP_RESOLVE_REGISTRAR_ID, res_cb, fx), 0);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_HANDLE_RESOLUTION);
	assert_true(m.has_regid);
	assert_false(m.regid_answer);
	assert_true(m.has_hropt);
	send_resolution_id(fx, 0xa2, 7002, false);
	settle(fx);
	assert_int_equal(fx->res_calls, 2);
	assert_int_equal(fx->res.error, 0);
	assert_int_equal(fx->res.npe, 1);
	assert_int_equal(fx->res_pe[0].id, 0xa2);
	assert_true(fx->res_has_id);
	assert_true(fx->res_id.valid);
	assert_int_equal(fx->res_id.server_id, 0x0a0b0c0d);
	assert_string_equal(fx->res_id.node, "pop-a");

	/* A registrar without the extension: no identity, still an answer. */
	assert_int_equal(asap_pu_resolve_ex(fx->ctx, POOL, POOL_LEN,
	    ASAP_RESOLVE_REGISTRAR_ID, res_cb, fx), 0);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_true(m.has_regid);
	send_resolution(fx, RSP_POLICY_ROUND_ROBIN, 1, ids, ports, NULL);
	settle(fx);
	assert_int_equal(fx->res_calls, 3);
	assert_int_equal(fx->res.error, 0);
	assert_false(fx->res_has_id);

	/* Unknown pool: -ENOENT, and who said so. */
	assert_int_equal(asap_pu_resolve_ex(fx->ctx, POOL, POOL_LEN,
	    ASAP_RESOLVE_REGISTRAR_ID, res_cb, fx), 0);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	send_resolution_id(fx, 0, 0, true);
	settle(fx);
	assert_int_equal(fx->res_calls, 4);
	assert_int_equal(fx->res.error, -ENOENT);
	assert_true(fx->res_has_id);
	assert_int_equal(fx->res_id.server_id, 0x0a0b0c0d);
}

static void
test_unknown_pool(void **state)
{
	struct fx *fx = *state;
	uint8_t buf[256];
	struct wbuf w;
	struct rsp_op_error oe = { .ncause = 1 };
	size_t m;

	assert_int_equal(asap_pu_resolve(fx->ctx, POOL, POOL_LEN, res_cb, fx), 0);
	reg_accept(fx);
	read_resolution(fx);
	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
	rsp_put_handle(&w, POOL, POOL_LEN);
	oe.cause[0].code = RSP_CAUSE_UNKNOWN_POOL_HANDLE;
	rsp_put_op_error(&w, &oe);
	rsp_put_msg_end(&w, m);
	peer_send(fx->reg.fd, &w);
	settle(fx);
	assert_int_equal(fx->res_calls, 1);
	assert_int_equal(fx->res.error, -ENOENT);
	assert_int_equal(fx->res.cause, ASAP_CAUSE_UNKNOWN_POOL_HANDLE);
	assert_int_equal(fx->res.npe, 0);
}

static void
test_resolve_retransmit_then_stale(void **state)
{
	struct fx *fx = *state;
	uint32_t ids[] = { 0xb1 };
	uint16_t ports[] = { 7001 };

	/* Fill the cache, then let it go stale. */
	assert_int_equal(asap_pu_resolve(fx->ctx, POOL, POOL_LEN, res_cb, fx), 0);
	reg_accept(fx);
	read_resolution(fx);
	send_resolution(fx, RSP_POLICY_ROUND_ROBIN, 1, ids, ports, NULL);
	settle(fx);
	assert_int_equal(fx->res_calls, 1);
	advance(fx, 6000);

	/* The registrar stops answering: T1, two retransmissions, give up. */
	assert_int_equal(asap_pu_resolve(fx->ctx, POOL, POOL_LEN, res_cb, fx), 0);
	read_resolution(fx);
	advance(fx, 3000);
	read_resolution(fx);
	advance(fx, 3000);
	read_resolution(fx);
	assert_int_equal(fx->res_calls, 1);
	advance(fx, 3000);
	settle(fx);
	assert_int_equal(fx->res_calls, 2);
	/* C3: the stale entry answers rather than nothing. */
	assert_int_equal(fx->res.error, 0);
	assert_true(fx->res.stale);
	assert_int_equal(fx->res.npe, 1);
	assert_int_equal(fx->res_pe[0].id, 0xb1);
}

static void
test_resolve_timeout_no_cache(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(asap_pu_resolve(fx->ctx, POOL, POOL_LEN, res_cb, fx), 0);
	reg_accept(fx);
	read_resolution(fx);
	advance(fx, 9000);
	settle(fx);
	assert_int_equal(fx->res_calls, 1);
	assert_int_equal(fx->res.error, -ETIMEDOUT);
}

/* Tests: sessions ------------------------------------------------------------- */

static void
sess_status(struct asap_session *s, const struct asap_session_status *st,
    void *arg)
{
	struct fx *fx = arg;

	(void)s;
	assert_true(fx->nsev < MAXEV);
	fx->sev[fx->nsev++] = *st;
}

static void
sess_data(struct asap_session *s, const void *p, size_t len, void *arg)
{
	struct fx *fx = arg;

	(void)s;
	if (len > sizeof(fx->data))
		len = sizeof(fx->data);
	memcpy(fx->data, p, len);
	fx->datalen = len;
}

static void
send_frame(int fd, uint8_t kind, const void *p, size_t len)
{
	uint8_t hdr[4] = { kind, 0, (uint8_t)(len >> 8), (uint8_t)len };

	assert_int_equal(write(fd, hdr, 4), 4);
	if (len > 0)
		assert_int_equal(write(fd, p, len), (ssize_t)len);
}

static void
send_cookie(int fd, const char *cookie)
{
	uint8_t buf[256];
	struct wbuf w;
	size_t m;

	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_COOKIE, 0);
	rsp_put_cookie(&w, cookie, strlen(cookie));
	rsp_put_msg_end(&w, m);
	send_frame(fd, 1, w.p, w.len);
}

static void
test_failover_cookie_echo(void **state)
{
	struct fx *fx = *state;
	struct asap_session_callbacks cb = {
		.data = sess_data, .status = sess_status,
	};
	struct asap_session *s;
	struct peer *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct rsp_msg m;
	struct rsp_err err;
	uint16_t pa, pb, ports[2];
	uint32_t ids[] = { 0xaaaa, 0xbbbb };
	int la, lb;
	uint8_t kind;
	size_t len;

	assert_non_null(a);
	assert_non_null(b);
	la = listener(&pa);
	lb = listener(&pb);
	ports[0] = pa;
	ports[1] = pb;
	s = asap_session_new(fx->ctx, POOL, POOL_LEN, &cb, fx);
	assert_non_null(s);
	assert_int_equal(asap_session_send(s, "hello", 5), 0);	/* queued */
	reg_accept(fx);
	read_resolution(fx);
	send_resolution(fx, RSP_POLICY_ROUND_ROBIN, 2, ids, ports, NULL);

	/* GETPRIMARYSERVER: round robin starts with the first PE. */
	a->fd = accept_on(fx, la);
	settle(fx);
	assert_true(asap_session_is_connected(s));
	assert_int_equal(asap_session_pe_id(s), 0xaaaa);
	assert_int_equal(fx->sev[fx->nsev - 1].event, ASAP_SESSION_CONNECTED);
	assert_false(fx->sev[fx->nsev - 1].cookie_echoed);
	assert_true(frame_read(fx, a, &kind, &len));
	assert_int_equal(kind, 0);
	assert_int_equal(len, 5);
	assert_memory_equal(a->msg, "hello", 5);
	send_frame(a->fd, 0, "HELLO", 5);
	send_cookie(a->fd, "state=1");
	settle(fx);
	assert_int_equal(fx->datalen, 5);
	assert_memory_equal(fx->data, "HELLO", 5);

	/* PE A dies. */
	close(a->fd);
	fx->nsev = 0;
	b->fd = accept_on(fx, lb);
	/* Endpoint Unreachable for A went to the registrar. */
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_ENDPOINT_UNREACHABLE);
	assert_int_equal(m.pe_id, 0xaaaa);
	assert_memory_equal(m.handle.p, POOL, POOL_LEN);
	/* The cookie echo is B's first control message. */
	assert_true(frame_read(fx, b, &kind, &len));
	assert_int_equal(kind, 1);
	assert_int_equal(rsp_decode(RSP_PROTO_ASAP, b->msg, len, NULL, &m,
	    &err), 0);
	assert_int_equal(m.type, ASAP_COOKIE_ECHO);
	assert_int_equal(m.cookie.len, 7);
	assert_memory_equal(m.cookie.p, "state=1", 7);
	settle(fx);
	assert_true(fx->nsev >= 2);
	assert_int_equal(fx->sev[0].event, ASAP_SESSION_FAILOVER);
	assert_int_equal(fx->sev[0].old_pe_id, 0xaaaa);
	assert_int_equal(fx->sev[fx->nsev - 1].event, ASAP_SESSION_CONNECTED);
	assert_int_equal(fx->sev[fx->nsev - 1].pe_id, 0xbbbb);
	assert_true(fx->sev[fx->nsev - 1].cookie_echoed);
	assert_int_equal(asap_session_pe_id(s), 0xbbbb);

	/* Data goes to B now. */
	assert_int_equal(asap_session_send(s, "again", 5), 0);
	assert_true(frame_read(fx, b, &kind, &len));
	assert_int_equal(kind, 0);
	assert_memory_equal(b->msg, "again", 5);

	/* The same PE is reported once only. */
	assert_int_equal(asap_pu_report_unreachable(fx->ctx, POOL, POOL_LEN,
	    0xaaaa), 0);
	assert_false(peer_read(fx, &fx->reg, &m, 50));

	asap_session_close(s);
	close(b->fd);
	close(la);
	close(lb);
	free(a);
	free(b);
}

static void
test_priority_selection(void **state)
{
	struct fx *fx = *state;
	struct asap_session_callbacks cb = { .status = sess_status };
	struct asap_session *s;
	uint16_t p1, p2, ports[2];
	uint32_t ids[] = { 0x1, 0x2 }, prios[] = { 1, 9 };
	int l1, l2, fd;

	l1 = listener(&p1);
	l2 = listener(&p2);
	ports[0] = p1;
	ports[1] = p2;
	s = asap_session_new(fx->ctx, POOL, POOL_LEN, &cb, fx);
	assert_non_null(s);
	reg_accept(fx);
	read_resolution(fx);
	send_resolution(fx, RSP_POLICY_PRIORITY, 2, ids, ports, prios);
	/* §3.5: the PU takes the highest priority, not the first entry. */
	fd = accept_on(fx, l2);
	settle(fx);
	assert_int_equal(asap_session_pe_id(s), 0x2);
	asap_session_close(s);
	close(fd);
	close(l1);
	close(l2);
}

static void
test_hunt_list(void **state)
{
	struct fx *fx = *state;
	struct asap_pe_config cfg;
	struct rsp_msg m;
	uint16_t dead;
	char regs[96];
	int l;

	/* A registrar list whose first entry refuses: SH4 tries the next. */
	l = listener(&dead);
	close(l);
	asap_ctx_free(fx->ctx);
	snprintf(regs, sizeof(regs), "127.0.0.1:%u, 127.0.0.1:%u", dead,
	    fx->port);
	fx->ctx = asap_ctx_new(regs, NULL);
	assert_non_null(fx->ctx);
	asap_set_clock(fx->ctx, tclock, &fx->now);
	memset(&cfg, 0, sizeof(cfg));
	cfg.handle = POOL;
	cfg.handle_len = POOL_LEN;
	cfg.pe_id = 0x12345678;
	cfg.port = 7000;
	cfg.cb = pe_cb;
	cfg.cb_arg = fx;
	fx->pe = asap_pe_register(fx->ctx, &cfg);
	assert_non_null(fx->pe);
	reg_accept(fx);
	assert_true(peer_read(fx, &fx->reg, &m, 2000));
	assert_int_equal(m.type, ASAP_REGISTRATION);
	assert_int_equal(m.pe.id, 0x12345678);
	/* No address configured: the association's own (loopback). */
	assert_int_equal(m.pe.user.naddr, 1);
	assert_int_equal(m.pe.user.addr[0].a[0], 127);
	/* The policy defaults to round robin. */
	assert_int_equal(m.pe.policy.type, RSP_POLICY_ROUND_ROBIN);
}

static void
test_sockaddr_parse(void **state)
{
	struct sockaddr_storage ss;
	char buf[80];

	(void)state;
	assert_int_equal(asap_sockaddr_parse("192.0.2.1", 3863, &ss), 0);
	assert_string_equal(asap_sockaddr_str(&ss, buf, sizeof(buf)),
	    "192.0.2.1:3863");
	assert_int_equal(asap_sockaddr_parse("[2001:db8::1]:99", 3863, &ss), 0);
	assert_string_equal(asap_sockaddr_str(&ss, buf, sizeof(buf)),
	    "[2001:db8::1]:99");
	assert_int_equal(asap_sockaddr_parse("2001:db8::2", 3863, &ss), 0);
	assert_string_equal(asap_sockaddr_str(&ss, buf, sizeof(buf)),
	    "[2001:db8::2]:3863");
	assert_int_equal(asap_sockaddr_parse("1.2.3.4:0", 1, &ss), -EINVAL);
	assert_int_equal(asap_sockaddr_parse("[::1", 1, &ss), -EINVAL);
	assert_int_equal(asap_policy_parse("wrr"), ASAP_POLICY_WEIGHTED_ROUND_ROBIN);
	assert_string_equal(asap_policy_str(ASAP_POLICY_PRIORITY_LEAST_USED),
	    "plu");
	assert_null(asap_ctx_new("not an address:x", NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sockaddr_parse),
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_registration_fields),
		T(test_reregistration_timing),
		T(test_update_load),
		T(test_keepalive),
		T(test_reconnect_same_id),
		T(test_reject),
		T(test_t2_expiry),
		T(test_deregister),
		T(test_resolve_and_cache),
		T(test_unknown_pool),
		T(test_resolve_registrar_id),
		T(test_resolve_retransmit_then_stale),
		T(test_resolve_timeout_no_cache),
		T(test_failover_cookie_echo),
		T(test_priority_selection),
		T(test_hunt_list),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
