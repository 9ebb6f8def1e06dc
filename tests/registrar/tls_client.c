/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A TLS ASAP client on lib/tls.c for the end-to-end tests; see
 * tls_client.h.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "tls_client.h"

static bool
tc_wait(struct tc *c, int want, uint64_t end)
{
	struct pollfd pfd = { .fd = c->fd };
	int left = (int)((int64_t)end - (int64_t)mono_ms());

	if (left <= 0)
		return false;
	pfd.events = want == TLS_WANT_WRITE ? POLLOUT : POLLIN;
	return poll(&pfd, 1, left) > 0;
}

/*
 * A TCP connection to dst:port (from src, unless NULL) and a handshake:
 * 0, or -1 with c->fail.
 */
int
tc_open_at(struct tc *c, const char *dst, const char *src, uint16_t port,
    const struct tls_config *cfg)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in from = { .sin_family = AF_INET };
	uint64_t end = mono_ms() + 5000;
	const char *text;
	char err[256];
	int rc;

	memset(c, 0, sizeof(*c));
	c->fail = TLS_FAIL_NONE;
	sin.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, dst, &sin.sin_addr), 1);
	if (tls_ctx_new(cfg, &c->ctx, err, sizeof(err)) != 0)
		fail_msg("client context: %s", err);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	if (src != NULL) {
		assert_int_equal(inet_pton(AF_INET, src, &from.sin_addr), 1);
		assert_int_equal(bind(c->fd, (struct sockaddr *)&from,
		    sizeof(from)), 0);
	}
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	assert_int_equal(fcntl(c->fd, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(tls_conn_new(c->ctx, c->fd, &c->t), 0);
	for (;;) {
		rc = tls_handshake(c->t);
		if (rc == 0)
			return 0;
		if (rc < 0 || !tc_wait(c, rc, end)) {
			c->fail = rc < 0 ? tls_conn_fail(c->t, &text) :
			    TLS_FAIL_OTHER;
			return -1;
		}
	}
}

int
tc_open(struct tc *c, uint16_t port, const struct tls_config *cfg)
{
	return tc_open_at(c, "127.0.0.1", NULL, port, cfg);
}

void
tc_close(struct tc *c)
{
	if (c->t != NULL) {
		tls_shutdown(c->t);
		tls_conn_free(c->t);
	}
	tls_ctx_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

int
tc_send(struct tc *c, const uint8_t *p, size_t len)
{
	uint64_t end = mono_ms() + 5000;
	size_t n;
	int rc;

	while (len > 0) {
		rc = tls_write(c->t, p, len, &n);
		if (rc == 0) {
			p += n;
			len -= n;
		} else if (rc < 0 || !tc_wait(c, rc, end)) {
			return -1;
		}
	}
	return 0;
}

/* The next message of type (keep-alives answered): 1, 0 timeout, -1. */
int
tc_expect(struct tc *c, uint8_t type, struct rsp_msg *m)
{
	uint64_t end = mono_ms() + 5000;
	struct rsp_err err;
	uint8_t ack[256];
	char h[300];
	size_t n;
	long f;
	int rc;

	for (;;) {
		while ((f = rsp_frame(c->in, c->inlen)) > 0) {
			memcpy(c->msg, c->in, (size_t)f);
			memmove(c->in, c->in + f, c->inlen - (size_t)f);
			c->inlen -= (size_t)f;
			if (rsp_decode(RSP_PROTO_ASAP, c->msg, (size_t)f,
			    &(struct rsp_decode_opts){ .pool_handle_max =
			    UINT16_MAX }, m, &err) != 0)
				return -1;
			if (m->type == type)
				return 1;
			if (m->type == ASAP_ENDPOINT_KEEP_ALIVE &&
			    m->has_pe_id) {
				snprintf(h, sizeof(h), "%.*s",
				    (int)m->handle.len,
				    (const char *)m->handle.p);
				if (tc_send(c, ack, build_ka_ack(ack,
				    sizeof(ack), h, m->pe_id)) != 0)
					return -1;
			}
		}
		if (f < 0)
			return -1;
		rc = tls_read(c->t, c->in + c->inlen, sizeof(c->in) - c->inlen,
		    &n);
		if (rc == 0 && n == 0)
			return -1;
		if (rc == 0)
			c->inlen += n;
		else if (rc < 0)
			return -1;
		else if (!tc_wait(c, rc, end))
			return 0;
	}
}

/* Register over TLS: 0 accepted, 1 rejected (cause), -1 no answer. */
int
tc_register(struct tc *c, const char *pool, uint32_t id, uint16_t *cause)
{
	uint8_t buf[512];
	struct rsp_msg m;

	if (tc_send(c, buf, build_registration(buf, sizeof(buf), pool, id, 1,
	    0, 0, 7000, 60000)) != 0 ||
	    tc_expect(c, ASAP_REGISTRATION_RESPONSE, &m) != 1)
		return -1;
	if (cause != NULL)
		*cause = m.has_error && m.error.ncause > 0 ?
		    m.error.cause[0].code : 0xffff;
	return (m.flags & ASAP_FLAG_REJECT) ? 1 : 0;
}

int
tc_deregister(struct tc *c, const char *pool, uint32_t id, uint16_t *cause)
{
	uint8_t buf[512];
	struct rsp_msg m;

	if (tc_send(c, buf, build_deregistration(buf, sizeof(buf), pool,
	    id)) != 0 ||
	    tc_expect(c, ASAP_DEREGISTRATION_RESPONSE, &m) != 1)
		return -1;
	if (cause != NULL)
		*cause = m.has_error && m.error.ncause > 0 ?
		    m.error.cause[0].code : 0xffff;
	return m.has_error ? 1 : 0;	/* no R flag (RFC 5352 §2.2.4) */
}

/* Resolve over TLS: the number of PEs, -1 no answer, -2 error answer. */
int
tc_resolve(struct tc *c, const char *pool, uint32_t *ids, size_t max)
{
	uint8_t buf[512];
	struct rsp_iter it;
	struct rsp_msg m;
	struct rsp_pe pe;
	size_t n = 0;

	if (tc_send(c, buf, build_resolution(buf, sizeof(buf), pool, 3)) != 0 ||
	    tc_expect(c, ASAP_HANDLE_RESOLUTION_RESPONSE, &m) != 1)
		return -1;
	if (m.has_error)
		return -2;
	rsp_iter_init(&it, &m);
	while (rsp_iter_pe(&it, NULL, &pe) && n < max)
		ids[n++] = pe.id;
	return (int)n;
}
