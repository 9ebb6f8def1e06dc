/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for lib/asap_probe.c against a tiny fake registrar on a
 * loopback socket served by the same event loop: a right answer (with the
 * registrar's identity and a PE), an "unknown pool" answer (still an
 * answer), an answer for another handle (rejected), an ASAP_ERROR,
 * garbage (unframeable and undecodable), the registrar closing, silence
 * until the deadline (on the injected clock: nothing sleeps), a refused
 * connection, SCTP where nobody serves it, a cancelled probe, and the rule that the callback never runs
 * from inside asap_probe_start().  Over TLS (a fake TLS registrar from
 * tls_fixture.c): PSK and certificate probes answer and say who the
 * registrar is; a wrong name and a registrar without TLS fail with the
 * "tls" class and lib/tls.c's reason, and no request leaves in the clear.
 * Every wait is a bounded number of loop iterations.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "asap_probe.h"
#include "codec.h"
#include "event.h"
#include "rserpool.h"
#include "tls_fixture.h"

#define POOL		"demo"
#define TIMEOUT_MS	1000

/* What the fake registrar does with the request. */
enum mode {
	M_ANSWER,	/* resolution answer: identity, one PE */
	M_UNKNOWN,	/* resolution answer: unknown pool handle */
	M_OTHER,	/* resolution answer for "other" */
	M_ERROR,	/* ASAP_ERROR */
	M_SHORT,	/* a header with a length below 4 */
	M_BADTYPE,	/* a well-framed message of an unknown type */
	M_CLOSE,	/* close without an answer */
	M_SILENT,	/* read the request, never answer */
};

struct fx {
	struct ev_loop		*loop;
	struct ev_test_clock	 clock;
	/* the fake registrar */
	int			 lfd, cfd;
	struct ev_ref		 lio, cio;
	struct sockaddr_in	 sin;
	enum mode		 mode;
	bool			 got_request;
	bool			 asked_identity;
	/* the probe */
	struct asap_probe	*probe;
	int			 calls;
	struct asap_probe_result r;
	bool			 had_answer;
	uint16_t		 answer_type;
};

static void
reg_send(struct fx *fx, const uint8_t *p, size_t len)
{
	assert_int_equal(send(fx->cfd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void
reg_answer(struct fx *fx)
{
	uint8_t buf[512];
	struct wbuf w;
	struct rsp_pe pe;
	struct rsp_op_error oe = { .ncause = 1 };
	size_t s;

	wbuf_init(&w, buf, sizeof(buf));
	switch (fx->mode) {
	case M_ANSWER:
	case M_UNKNOWN:
	case M_OTHER:
		s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
		if (fx->mode == M_OTHER)
			rsp_put_handle(&w, "other", 5);
		else
			rsp_put_handle(&w, POOL, strlen(POOL));
		if (fx->mode == M_UNKNOWN) {
			oe.cause[0].code = RSP_CAUSE_UNKNOWN_POOL_HANDLE;
			rsp_put_op_error(&w, &oe);
		} else {
			rsp_put_policy(&w, &(struct rsp_policy){
			    .type = RSP_POLICY_ROUND_ROBIN });
			fx_pe_make(&pe);
			rsp_put_pe(&w, &pe);
		}
		if (fx->asked_identity)
			rsp_put_regid(&w, 0x0a0b0c0d, "reg-a", 5);
		rsp_put_msg_end(&w, s);
		break;
	case M_ERROR:
		s = rsp_put_msg_begin(&w, ASAP_ERROR, 0);
		oe.cause[0].code = RSP_CAUSE_UNRECOGNIZED_MSG;
		rsp_put_op_error(&w, &oe);
		rsp_put_msg_end(&w, s);
		break;
	case M_SHORT:
		reg_send(fx, (const uint8_t *)"\x01\x00\x00\x02", 4);
		return;
	case M_BADTYPE:
		reg_send(fx, (const uint8_t *)"\x77\x00\x00\x04", 4);
		return;
	case M_CLOSE:
		ev_cancel(&fx->cio);
		close(fx->cfd);
		fx->cfd = -1;
		return;
	case M_SILENT:
		return;
	}
	assert_false(w.err);
	reg_send(fx, buf, w.len);
}

/* The registrar's side of the connection: one request, one answer. */
static void
reg_read(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct fx *fx = arg;
	uint8_t buf[512];
	struct rsp_msg m;
	struct rsp_err err;
	ssize_t n;
	long fl;

	(void)loop;
	(void)revents;
	/* The request is a few dozen bytes: it comes in one segment. */
	n = recv(fx->cfd, buf, sizeof(buf), 0);
	if (n <= 0) {
		ev_cancel(&fx->cio);
		return;
	}
	fl = rsp_frame(buf, (size_t)n);
	assert_true(fl > 0 && fl <= n);
	assert_int_equal(rsp_decode(RSP_PROTO_ASAP, buf, (size_t)fl, NULL, &m,
	    &err), 0);
	assert_int_equal(m.type, ASAP_HANDLE_RESOLUTION);
	assert_int_equal(m.handle.len, strlen(POOL));
	assert_memory_equal(m.handle.p, POOL, strlen(POOL));
	fx->got_request = true;
	fx->asked_identity = m.has_regid && !m.regid_answer;
	reg_answer(fx);
}

static void
reg_accept(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct fx *fx = arg;

	(void)revents;
	assert_int_equal(fx->cfd, -1);
	fx->cfd = accept4(fx->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(fx->cfd >= 0);
	assert_int_equal(ev_fd_add(loop, fx->cfd, EV_READ, reg_read, fx,
	    &fx->cio), 0);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	socklen_t len = sizeof(fx->sin);

	assert_non_null(fx);
	fx->loop = ev_loop_new();
	assert_non_null(fx->loop);
	ev_test_clock_install(fx->loop, &fx->clock, 1000);
	fx->cfd = -1;
	fx->sin.sin_family = AF_INET;
	fx->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fx->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	assert_true(fx->lfd >= 0);
	assert_int_equal(bind(fx->lfd, (struct sockaddr *)&fx->sin,
	    sizeof(fx->sin)), 0);
	assert_int_equal(getsockname(fx->lfd, (struct sockaddr *)&fx->sin,
	    &len), 0);
	assert_int_equal(listen(fx->lfd, 4), 0);
	assert_int_equal(ev_fd_add(fx->loop, fx->lfd, EV_READ, reg_accept, fx,
	    &fx->lio), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	asap_probe_cancel(fx->probe);
	ev_cancel(&fx->lio);
	ev_cancel(&fx->cio);
	close(fx->lfd);
	if (fx->cfd != -1)
		close(fx->cfd);
	ev_loop_free(fx->loop);
	free(fx);
	return 0;
}

static void
probe_cb(void *arg, const struct asap_probe_result *r)
{
	struct fx *fx = arg;

	fx->calls++;
	fx->probe = NULL;
	fx->r = *r;
	fx->had_answer = r->answer != NULL;
	if (r->answer != NULL)
		fx->answer_type = r->answer->type;
	fx->r.answer = NULL;	/* not valid after the callback */
}

static void
start(struct fx *fx, bool identity)
{
	struct asap_probe_opts o = {
		.sa = (struct sockaddr *)&fx->sin,
		.salen = sizeof(fx->sin),
		.pool = POOL,
		.timeout_ms = TIMEOUT_MS,
		.ask_identity = identity,
	};

	assert_int_equal(asap_probe_start(fx->loop, &o, probe_cb, fx,
	    &fx->probe), 0);
	assert_int_equal(fx->calls, 0);	/* never from inside start */
}

/* Run the loop (real fds, frozen test clock) until cond, at most 2 s. */
static bool
run_until(struct fx *fx, const bool *cond)
{
	int i;

	for (i = 0; i < 200 && !*cond; i++)
		assert_true(ev_run_once(fx->loop, 10) >= 0);
	return *cond;
}

static void
run_to_end(struct fx *fx)
{
	bool done = false;
	int i;

	for (i = 0; i < 200 && fx->calls == 0; i++)
		assert_true(ev_run_once(fx->loop, 10) >= 0);
	done = fx->calls == 1;
	assert_true(done);
	/* Exactly once: nothing more comes. */
	for (i = 0; i < 3; i++)
		assert_true(ev_run_once(fx->loop, 0) >= 0);
	assert_int_equal(fx->calls, 1);
}

static void
test_answer(void **state)
{
	struct fx *fx = *state;

	fx->mode = M_ANSWER;
	start(fx, true);
	run_to_end(fx);
	assert_true(fx->asked_identity);
	assert_true(fx->r.ok);
	assert_int_equal(fx->r.end, ASAP_PROBE_ANSWERED);
	assert_true(fx->r.connected);
	assert_true(fx->had_answer);
	assert_int_equal(fx->answer_type, ASAP_HANDLE_RESOLUTION_RESPONSE);
	assert_int_equal(fx->r.pes, 1);
	assert_int_equal(fx->r.cause, 0);
	assert_string_equal(fx->r.error, "");
	assert_true(fx->r.has_id);
	assert_int_equal(fx->r.server_id, 0x0a0b0c0d);
	assert_string_equal(fx->r.node, "reg-a");
	assert_true(fx->r.rtt_ms >= 0.0 && fx->r.rtt_ms < 2000.0);
}

/* Without the identity request the registrar names no one. */
static void
test_answer_no_identity(void **state)
{
	struct fx *fx = *state;

	fx->mode = M_ANSWER;
	start(fx, false);
	run_to_end(fx);
	assert_true(fx->got_request);
	assert_false(fx->asked_identity);
	assert_true(fx->r.ok);
	assert_false(fx->r.has_id);
}

/* "Unknown pool" is an answer: the registrar serves. */
static void
test_unknown_pool(void **state)
{
	struct fx *fx = *state;

	fx->mode = M_UNKNOWN;
	start(fx, true);
	run_to_end(fx);
	assert_true(fx->r.ok);
	assert_int_equal(fx->r.end, ASAP_PROBE_ANSWERED);
	assert_int_equal(fx->r.cause, RSP_CAUSE_UNKNOWN_POOL_HANDLE);
	assert_int_equal(fx->r.pes, 0);
	assert_string_equal(fx->r.error, "handle not found");
	assert_true(fx->r.has_id);
}

/* The registrar does mode; the probe fails with end, cls and text. */
static void
expect_failure(struct fx *fx, enum mode mode, enum asap_probe_end end,
    enum asap_probe_class cls, const char *text)
{
	fx->mode = mode;
	start(fx, true);
	run_to_end(fx);
	assert_true(fx->got_request);
	assert_false(fx->r.ok);
	assert_int_equal(fx->r.end, end);
	assert_int_equal(fx->r.cls, cls);
	assert_non_null(strstr(fx->r.error, text));
}

static void
test_other_handle(void **state)
{
	struct fx *fx = *state;

	expect_failure(fx, M_OTHER, ASAP_PROBE_OTHER_HANDLE,
	    ASAP_PROBE_C_MALFORMED, "answer for another pool handle");
	/* The answer itself is there for whoever wants to look. */
	assert_true(fx->had_answer);
}

static void
test_error_message(void **state)
{
	expect_failure(*state, M_ERROR, ASAP_PROBE_ERROR_MSG,
	    ASAP_PROBE_C_MALFORMED, "registrar sent Error: ");
}

static void
test_garbage_unframeable(void **state)
{
	expect_failure(*state, M_SHORT, ASAP_PROBE_FRAMING,
	    ASAP_PROBE_C_MALFORMED, "malformed reply: message length below 4");
}

/* The codec refuses an unknown message type: undecodable. */
static void
test_garbage_undecodable(void **state)
{
	expect_failure(*state, M_BADTYPE, ASAP_PROBE_UNDECODABLE,
	    ASAP_PROBE_C_MALFORMED, "malformed reply: ");
}

static void
test_closed(void **state)
{
	expect_failure(*state, M_CLOSE, ASAP_PROBE_CLOSED, ASAP_PROBE_C_CLOSED,
	    "closed before the answer");
}

/* Silence: the deadline on the injected clock ends the probe, not before. */
static void
test_timeout(void **state)
{
	struct fx *fx = *state;

	fx->mode = M_SILENT;
	start(fx, true);
	assert_true(run_until(fx, &fx->got_request));
	assert_int_equal(fx->calls, 0);
	ev_test_clock_advance(fx->loop, &fx->clock, TIMEOUT_MS - 1);
	assert_int_equal(fx->calls, 0);
	ev_test_clock_advance(fx->loop, &fx->clock, 1);
	/* The report is deferred to the next iteration at the latest. */
	assert_true(ev_run_once(fx->loop, 0) >= 0);
	assert_int_equal(fx->calls, 1);
	assert_false(fx->r.ok);
	assert_int_equal(fx->r.end, ASAP_PROBE_TIMEOUT);
	assert_int_equal(fx->r.cls, ASAP_PROBE_C_TIMEOUT);
	assert_string_equal(fx->r.error, "timeout");
}

/* A timeout before the connection is up says so. */
static void
test_timeout_connect(void **state)
{
	struct fx *fx = *state;

	fx->mode = M_SILENT;
	start(fx, true);
	/* No iteration ran: the connection is not known to be up yet. */
	ev_test_clock_advance(fx->loop, &fx->clock, TIMEOUT_MS);
	assert_true(ev_run_once(fx->loop, 0) >= 0);
	assert_int_equal(fx->calls, 1);
	assert_int_equal(fx->r.end, ASAP_PROBE_TIMEOUT);
	/* Which one won depends on the iteration's order; both say timeout. */
	assert_non_null(strstr(fx->r.error, "timeout"));
}

static void
test_refused(void **state)
{
	struct fx *fx = *state;

	/* A port nobody listens on: ours, closed. */
	ev_cancel(&fx->lio);
	close(fx->lfd);
	fx->lfd = socket(AF_INET, SOCK_STREAM, 0);
	start(fx, true);
	run_to_end(fx);
	assert_false(fx->r.ok);
	assert_int_equal(fx->r.end, ASAP_PROBE_CONNECT);
	assert_int_equal(fx->r.cls, ASAP_PROBE_C_REFUSED);
	assert_int_equal(fx->r.err, ECONNREFUSED);
	assert_false(fx->r.connected);
	assert_non_null(strstr(fx->r.error, "connect: "));
	assert_string_equal(asap_probe_class_name[fx->r.cls], "refused");
}

/*
 * SCTP where nobody serves it: without kernel SCTP the socket cannot be
 * made, with it the association is refused; either way a failure, and
 * reported from the loop like every other outcome.
 */
static void
test_sctp_unserved(void **state)
{
	struct fx *fx = *state;
	struct asap_probe_opts o = {
		.sa = (struct sockaddr *)&fx->sin,
		.salen = sizeof(fx->sin),
		.sctp = true,
		.pool = POOL,
		.timeout_ms = TIMEOUT_MS,
	};

	assert_int_equal(asap_probe_start(fx->loop, &o, probe_cb, fx,
	    &fx->probe), 0);
	assert_int_equal(fx->calls, 0);
	run_to_end(fx);
	assert_false(fx->r.ok);
	assert_false(fx->got_request);	/* nothing reached the TCP side */
	if (fx->r.end == ASAP_PROBE_SOCKET)
		assert_non_null(strstr(fx->r.error, "socket: "));
	else
		assert_int_equal(fx->r.end, ASAP_PROBE_CONNECT);
}

/* Cancelled: no callback, ever (and nothing leaks: ASan). */
static void
test_cancel(void **state)
{
	struct fx *fx = *state;
	int i;

	fx->mode = M_ANSWER;
	start(fx, true);
	assert_true(run_until(fx, &fx->got_request));
	asap_probe_cancel(fx->probe);
	fx->probe = NULL;
	for (i = 0; i < 5; i++)
		assert_true(ev_run_once(fx->loop, 10) >= 0);
	ev_test_clock_advance(fx->loop, &fx->clock, 2 * TIMEOUT_MS);
	assert_int_equal(fx->calls, 0);
}

static void
test_bad_options(void **state)
{
	struct fx *fx = *state;
	struct asap_probe_opts o = {
		.sa = (struct sockaddr *)&fx->sin,
		.salen = sizeof(fx->sin),
		.pool = "",
		.timeout_ms = TIMEOUT_MS,
	};

	assert_int_equal(asap_probe_start(fx->loop, &o, probe_cb, fx,
	    &fx->probe), -EINVAL);
	o.pool = "0123456789abcdef0123456789abcdef0";	/* 33 bytes */
	assert_int_equal(asap_probe_start(fx->loop, &o, probe_cb, fx,
	    &fx->probe), -EINVAL);
	fx->probe = NULL;
	assert_int_equal(fx->calls, 0);
}

/* TLS ---------------------------------------------------------------------- */

static struct tls_ctx *
client_ctx(const char *psk, const char *ca, const char *name)
{
	struct tls_config cfg = {
		.role = TLS_CLIENT,
		.allow_tls12 = true,
		.server_name = name,
	};
	struct tls_ctx *ctx = NULL;
	char err[256];

	cfg.psk_file = psk != NULL ? fx_path(psk) : NULL;
	cfg.ca_file = ca != NULL ? fx_path(ca) : NULL;
	if (tls_ctx_new(&cfg, &ctx, err, sizeof(err)) != 0)
		fail_msg("client tls_ctx_new: %s", err);
	return ctx;
}

/* Probe reg with tls until the callback ran (at most ~3 s). */
static void
tls_probe(struct fx *fx, struct fx_reg *reg, struct tls_ctx *tls)
{
	struct sockaddr_in sin = fx->sin;
	struct asap_probe_opts o = {
		.sa = (struct sockaddr *)&sin,
		.salen = sizeof(sin),
		.pool = FX_POOL,
		.timeout_ms = TIMEOUT_MS,
		.ask_identity = true,
		.tls = tls,
	};
	int i;

	sin.sin_port = htons(reg->port);
	assert_int_equal(asap_probe_start(fx->loop, &o, probe_cb, fx,
	    &fx->probe), 0);
	/* The probe holds its own reference: the caller may drop its. */
	tls_ctx_free(tls);
	for (i = 0; i < 600 && fx->calls == 0; i++) {
		assert_true(ev_run_once(fx->loop, 5) >= 0);
		fx_reg_step(reg);
	}
	assert_int_equal(fx->calls, 1);
}

static void
test_tls_psk(void **state)
{
	struct fx *fx = *state;
	struct fx_reg reg;

	fx_reg_start(&reg, fx_server_ctx("server.psk", NULL, NULL, NULL));
	tls_probe(fx, &reg, client_ctx("pe1.psk", NULL, NULL));
	assert_true(fx->r.ok);
	assert_int_equal(fx->r.end, ASAP_PROBE_ANSWERED);
	assert_int_equal(fx->r.tls_fail, TLS_FAIL_NONE);
	assert_int_equal(fx->r.pes, 1);
	assert_true(fx->r.has_id);
	assert_int_equal(fx->r.server_id, FX_SERVER_ID);
	assert_string_equal(fx->r.node, FX_NODE);
	assert_int_equal(reg.hs_ok, 1);
	assert_string_equal(reg.peer_id, "pe-1");
	assert_false(reg.non_tls_bytes);
	fx_reg_stop(&reg);
}

static void
test_tls_cert(void **state)
{
	struct fx *fx = *state;
	struct fx_reg reg;

	fx_reg_start(&reg, fx_server_ctx(NULL, "server.pem", "server.key",
	    NULL));
	tls_probe(fx, &reg, client_ctx(NULL, "ca.pem", FX_NAME));
	assert_true(fx->r.ok);
	assert_string_equal(fx->r.node, FX_NODE);
	assert_string_equal(fx->r.tls_peer, FX_NAME);
	fx_reg_stop(&reg);
}

/* Another name: a "tls" failure naming the reason; nothing in the clear. */
static void
test_tls_wrong_name(void **state)
{
	struct fx *fx = *state;
	struct fx_reg reg;

	fx_reg_start(&reg, fx_server_ctx(NULL, "server.pem", "server.key",
	    NULL));
	tls_probe(fx, &reg, client_ctx(NULL, "ca.pem", "other.example"));
	assert_false(fx->r.ok);
	assert_int_equal(fx->r.end, ASAP_PROBE_TLS);
	assert_int_equal(fx->r.cls, ASAP_PROBE_C_TLS);
	assert_string_equal(asap_probe_class_name[fx->r.cls], "tls");
	assert_int_equal(fx->r.tls_fail, TLS_FAIL_CERT_NAME);
	assert_true(fx->r.connected);
	if (strstr(fx->r.error, "TLS handshake failed: cert_name: ") == NULL)
		fail_msg("error: %s", fx->r.error);
	assert_int_equal(reg.resolutions, 0);
	assert_false(reg.non_tls_bytes);
	fx_reg_stop(&reg);
}

/* A registrar without TLS: a "tls" failure; it never sees ASAP. */
static void
test_tls_plaintext_registrar(void **state)
{
	struct fx *fx = *state;
	struct fx_reg reg;

	fx_reg_start(&reg, NULL);
	tls_probe(fx, &reg, client_ctx("pe1.psk", NULL, NULL));
	assert_false(fx->r.ok);
	assert_int_equal(fx->r.cls, ASAP_PROBE_C_TLS);
	assert_int_equal(fx->r.end, ASAP_PROBE_TLS);
	assert_non_null(strstr(fx->r.error, "TLS handshake failed: "));
	assert_false(reg.asap_seen);
	fx_reg_stop(&reg);
}

/* No TLS over SCTP here: refused at the start, no callback. */
static void
test_tls_sctp_refused(void **state)
{
	struct fx *fx = *state;
	struct tls_ctx *tls = client_ctx("pe1.psk", NULL, NULL);
	struct asap_probe_opts o = {
		.sa = (struct sockaddr *)&fx->sin,
		.salen = sizeof(fx->sin),
		.sctp = true,
		.pool = POOL,
		.timeout_ms = TIMEOUT_MS,
		.tls = tls,
	};

	assert_int_equal(asap_probe_start(fx->loop, &o, probe_cb, fx,
	    &fx->probe), -EINVAL);
	fx->probe = NULL;
	tls_ctx_free(tls);
	assert_int_equal(fx->calls, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_no_identity, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown_pool, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_other_handle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_error_message, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_garbage_unframeable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_garbage_undecodable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_connect, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sctp_unserved, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_options, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tls_psk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_cert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_wrong_name, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tls_plaintext_registrar,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_sctp_refused, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, fx_group_setup,
	    fx_group_teardown);
}
