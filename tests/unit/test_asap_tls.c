/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libasap over TLS (asap_ctx_new_tls()) against fake registrars on
 * loopback (tls_fixture.c: lib/tls.c server contexts, keys and
 * certificates made at test time), what a PE or pool-user author would
 * check: a PE registers and a pool user resolves over PSK, and the
 * registrar knows the PSK identity; a wrong key fails with a reason that
 * says so, the PE is told, and the hunt moves on to the next registrar;
 * certificates with the right name (and a client certificate the
 * registrar sees) work; a wrong name fails, never falls back to plaintext
 * (a plaintext registrar next in the list gets no ASAP message); bad
 * settings are refused with a sentence.  Real clock, short timeouts, every
 * wait bounded.
 */
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
#include <signal.h>

#include <cmocka.h>

#include "asap.h"
#include "tls_fixture.h"

#define WAIT_MS	5000

struct t {
	struct asap_ctx	*ctx;
	struct fx_reg	 reg[2];
	size_t		 nreg;
	struct asap_pe	*pe;
	struct asap_pe_status ev[16];
	size_t		 nev;
	int		 res_calls;
	int		 res_error;
	size_t		 res_npe;
	char		 log[16384];
	size_t		 loglen;
};

static uint64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
dbg(void *arg, const char *line)
{
	struct t *t = arg;
	int n;

	n = snprintf(t->log + t->loglen, sizeof(t->log) - t->loglen, "%s\n",
	    line);
	if (n > 0 && t->loglen + (size_t)n < sizeof(t->log))
		t->loglen += (size_t)n;
}

/* Run the library and the fake registrars until cond(t) or WAIT_MS. */
static bool
pump(struct t *t, bool (*cond)(struct t *))
{
	uint64_t end = real_ms() + WAIT_MS;
	struct pollfd pfd[1 + 2 * (FX_CONNS + 1)];
	int fds[FX_CONNS + 1];
	size_t n, i, k;
	int to;

	while (!cond(t)) {
		if (real_ms() > end)
			return false;
		n = 0;
		pfd[n].fd = asap_fd(t->ctx);
		pfd[n++].events = POLLIN;
		for (i = 0; i < t->nreg; i++) {
			size_t m = fx_reg_fds(&t->reg[i], fds, FX_CONNS + 1);

			for (k = 0; k < m; k++) {
				pfd[n].fd = fds[k];
				pfd[n++].events = POLLIN;
			}
		}
		to = asap_next_timeout_ms(t->ctx);
		if (to < 0 || to > 20)
			to = 20;
		(void)poll(pfd, n, to);
		assert_true(asap_process(t->ctx) >= 0);
		for (i = 0; i < t->nreg; i++)
			fx_reg_step(&t->reg[i]);
	}
	return true;
}

static void
pe_cb(struct asap_pe *pe, const struct asap_pe_status *st, void *arg)
{
	struct t *t = arg;

	(void)pe;
	if (t->nev < sizeof(t->ev) / sizeof(t->ev[0]))
		t->ev[t->nev++] = *st;
}

static bool
has_event(const struct t *t, enum asap_pe_event e, size_t *ret)
{
	size_t i;

	for (i = 0; i < t->nev; i++)
		if (t->ev[i].event == e) {
			if (ret != NULL)
				*ret = i;
			return true;
		}
	return false;
}

static void
res_cb(struct asap_ctx *ctx, const struct asap_resolution *res, void *arg)
{
	struct t *t = arg;

	(void)ctx;
	t->res_calls++;
	t->res_error = res->error;
	t->res_npe = res->npe;
}

static bool
c_registered(struct t *t)
{
	return has_event(t, ASAP_PE_REGISTERED, NULL);
}

static bool
c_resolved(struct t *t)
{
	return t->res_calls > 0;
}

static bool
c_pe_failed(struct t *t)
{
	return has_event(t, ASAP_PE_FAILED, NULL);
}

/* A context for the fake registrars of t with these TLS settings. */
static void
ctx_make(struct t *t, const struct asap_tls_config *tls)
{
	struct asap_config cfg = {
		.request_timeout_ms = 300,
		.max_request_retransmit = 1,
		.registration_timeout_ms = 1000,
		.hunt_timeout_ms = 1000,
		.retran_max_ms = 1000,
	};
	char list[64] = "", err[256];
	size_t i;

	for (i = 0; i < t->nreg; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s127.0.0.1:%u", i ? "," : "", t->reg[i].port);
	t->ctx = asap_ctx_new_tls(list, &cfg, tls, err, sizeof(err));
	if (t->ctx == NULL)
		fail_msg("asap_ctx_new_tls: %s", err);
	asap_set_debug_log(t->ctx, dbg, t);
}

static void
pe_start(struct t *t)
{
	struct asap_pe_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.handle = FX_POOL;
	cfg.handle_len = strlen(FX_POOL);
	cfg.port = 7000;
	cfg.reregistration_ms = 30000;
	cfg.cb = pe_cb;
	cfg.cb_arg = t;
	t->pe = asap_pe_register(t->ctx, &cfg);
	assert_non_null(t->pe);
}

static void
resolve(struct t *t)
{
	t->res_calls = 0;
	assert_int_equal(asap_pu_resolve(t->ctx, FX_POOL, strlen(FX_POOL),
	    res_cb, t), 0);
	assert_true(pump(t, c_resolved));
}

static int
setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;
	size_t i;

	asap_pe_free(t->pe);
	asap_ctx_free(t->ctx);
	for (i = 0; i < t->nreg; i++)
		fx_reg_stop(&t->reg[i]);
	free(t);
	return 0;
}

/* PSK: a PE registers, a resolution answers, the registrar knows who. */
static void
test_psk_ok(void **state)
{
	struct t *t = *state;
	struct asap_tls_config tls = {
		.psk_file = fx_path("pe1.psk"),
		.psk_identity = "pe-1",
	};
	char addr[64], want[64];

	fx_reg_start(&t->reg[0], fx_server_ctx("server.psk", NULL, NULL,
	    NULL));
	t->nreg = 1;
	ctx_make(t, &tls);
	pe_start(t);
	assert_true(pump(t, c_registered));
	assert_int_equal(t->reg[0].registrations, 1);
	assert_int_equal(t->reg[0].hs_ok, 1);
	assert_int_equal(t->reg[0].peer_auth, TLS_AUTH_PSK);
	assert_string_equal(t->reg[0].peer_id, "pe-1");
	assert_int_equal(asap_home(t->ctx, NULL, addr, sizeof(addr)), 0);
	snprintf(want, sizeof(want), "127.0.0.1:%u", t->reg[0].port);
	assert_string_equal(addr, want);

	resolve(t);
	assert_int_equal(t->res_error, 0);
	assert_int_equal(t->res_npe, 1);
	assert_int_equal(t->reg[0].resolutions, 1);
	/* One association carried both, and nothing in the clear. */
	assert_int_equal(t->reg[0].accepted, 1);
	assert_false(t->reg[0].non_tls_bytes);
	assert_null(asap_tls_error(t->ctx));
}

/* A wrong key: the PE is told, with the reason, and keeps trying. */
static void
test_psk_wrong_key_reported(void **state)
{
	struct t *t = *state;
	struct asap_tls_config tls = {
		.psk_file = fx_path("pe1-wrong.psk"),
	};
	const char *e;
	char want[64];
	size_t i;

	fx_reg_start(&t->reg[0], fx_server_ctx("server.psk", NULL, NULL,
	    NULL));
	t->nreg = 1;
	ctx_make(t, &tls);
	pe_start(t);
	assert_true(pump(t, c_pe_failed));
	assert_true(has_event(t, ASAP_PE_FAILED, &i));
	assert_int_equal(t->ev[i].error, -EACCES);
	assert_false(has_event(t, ASAP_PE_REGISTERED, NULL));
	assert_false(asap_pe_is_registered(t->pe));
	e = asap_tls_error(t->ctx);
	assert_non_null(e);
	snprintf(want, sizeof(want), "127.0.0.1:%u: psk_bad_key: ",
	    t->reg[0].port);
	if (strncmp(e, want, strlen(want)) != 0)
		fail_msg("asap_tls_error: \"%s\", want \"%s...\"", e, want);
	assert_int_equal(t->reg[0].last_fail, TLS_FAIL_PSK_BAD_KEY);
	assert_int_equal(t->reg[0].registrations, 0);

	/* A pool user sees the registrar fail like a silent one. */
	resolve(t);
	assert_int_equal(t->res_error, -ETIMEDOUT);
	assert_int_equal(t->reg[0].resolutions, 0);
	assert_true(t->reg[0].hs_fail >= 2);	/* the hunt retried */
}

static bool
c_a_failed(struct t *t)
{
	if (t->reg[0].hs_fail > 0)
		t->reg[1].hold = false;		/* now B may answer */
	return t->res_calls > 0;
}

/* The hunt moves on from a registrar whose key is wrong to the next. */
static void
test_psk_wrong_key_hunt_moves_on(void **state)
{
	struct t *t = *state;
	struct asap_tls_config tls = {
		.psk_file = fx_path("pe1.psk"),
		.psk_identity = "pe-1",
	};
	char line[96];

	/* A holds other keys; B waits until A has failed. */
	fx_reg_start(&t->reg[0], fx_server_ctx("server-b.psk", NULL, NULL,
	    NULL));
	fx_reg_start(&t->reg[1], fx_server_ctx("server.psk", NULL, NULL,
	    NULL));
	t->reg[1].hold = true;
	t->nreg = 2;
	ctx_make(t, &tls);
	t->res_calls = 0;
	assert_int_equal(asap_pu_resolve(t->ctx, FX_POOL, strlen(FX_POOL),
	    res_cb, t), 0);
	assert_true(pump(t, c_a_failed));
	assert_int_equal(t->res_error, 0);
	assert_int_equal(t->res_npe, 1);
	assert_int_equal(t->reg[0].last_fail, TLS_FAIL_PSK_BAD_KEY);
	assert_int_equal(t->reg[0].resolutions, 0);
	assert_int_equal(t->reg[1].resolutions, 1);
	assert_string_equal(t->reg[1].peer_id, "pe-1");
	snprintf(line, sizeof(line), "hunt: 127.0.0.1:%u: TLS handshake "
	    "failed: psk_bad_key", t->reg[0].port);
	if (strstr(t->log, line) == NULL)
		fail_msg("no \"%s\" in the debug log:\n%s", line, t->log);
	/* Success clears the last failure. */
	assert_null(asap_tls_error(t->ctx));
}

/* Certificates: the right name, and the client certificate is seen. */
static void
test_cert_ok(void **state)
{
	struct t *t = *state;
	struct asap_tls_config tls = {
		.ca_file = fx_path("ca.pem"),
		.server_name = FX_NAME,
		.cert_file = fx_path("client.pem"),
		.key_file = fx_path("client.key"),
	};

	fx_reg_start(&t->reg[0], fx_server_ctx(NULL, "server.pem",
	    "server.key", "ca.pem"));
	t->nreg = 1;
	ctx_make(t, &tls);
	pe_start(t);
	assert_true(pump(t, c_registered));
	resolve(t);
	assert_int_equal(t->res_error, 0);
	assert_int_equal(t->res_npe, 1);
	assert_int_equal(t->reg[0].peer_auth, TLS_AUTH_CERT);
	assert_string_equal(t->reg[0].peer_id, "pe-7.example");
	assert_false(t->reg[0].non_tls_bytes);
}

static bool
c_wrong_name_done(struct t *t)
{
	return t->res_calls > 0 && t->reg[0].hs_fail > 0 &&
	    t->reg[1].accepted > 0 && has_event(t, ASAP_PE_FAILED, NULL);
}

/*
 * A certificate for another name fails, and nothing falls back to
 * plaintext: neither on that registrar's connection nor at a plaintext
 * registrar next in the list, which only ever sees TLS handshakes.
 */
static void
test_cert_wrong_name_no_plaintext(void **state)
{
	struct t *t = *state;
	struct asap_tls_config tls = {
		.ca_file = fx_path("ca.pem"),
		.server_name = "other.example",
	};

	fx_reg_start(&t->reg[0], fx_server_ctx(NULL, "server.pem",
	    "server.key", NULL));
	fx_reg_start(&t->reg[1], NULL);		/* plaintext */
	t->nreg = 2;
	ctx_make(t, &tls);
	pe_start(t);
	t->res_calls = 0;
	assert_int_equal(asap_pu_resolve(t->ctx, FX_POOL, strlen(FX_POOL),
	    res_cb, t), 0);
	assert_true(pump(t, c_wrong_name_done));
	assert_int_equal(t->res_error, -ETIMEDOUT);
	assert_false(asap_pe_is_registered(t->pe));
	assert_false(has_event(t, ASAP_PE_REGISTERED, NULL));
	if (strstr(t->log, "TLS handshake failed: cert_name: ") == NULL)
		fail_msg("no cert_name failure in the debug log:\n%s", t->log);
	assert_non_null(asap_tls_error(t->ctx));
	/* Never in the clear. */
	assert_int_equal(t->reg[0].resolutions + t->reg[0].registrations, 0);
	assert_false(t->reg[0].clear_asap);
	assert_false(t->reg[0].non_tls_bytes);
	assert_false(t->reg[1].asap_seen);
	assert_int_equal(t->reg[1].resolutions + t->reg[1].registrations, 0);
}

/* Bad settings: refused at once, with a sentence. */
static void
test_config_errors(void **state)
{
	struct t *t = *state;
	struct asap_tls_config open_psk = { .psk_file = fx_path("open.psk") };
	struct asap_tls_config psk = { .psk_file = fx_path("pe1.psk") };
	struct asap_tls_config ca_only = { .ca_file = fx_path("ca.pem") };
	struct asap_tls_config half = {
		.ca_file = fx_path("ca.pem"),
		.server_name = FX_NAME,
		.cert_file = fx_path("client.pem"),
	};
	struct asap_ctx *ctx;
	char err[256];

	(void)t;
	ctx = asap_ctx_new_tls("127.0.0.1", NULL, &open_psk, err, sizeof(err));
	assert_null(ctx);
	assert_int_equal(errno, EACCES);
	if (strstr(err, "open.psk") == NULL || strstr(err, "chmod") == NULL)
		fail_msg("err: %s", err);

	ctx = asap_ctx_new_tls("sctp:127.0.0.1", NULL, &psk, err, sizeof(err));
	assert_null(ctx);
	assert_int_equal(errno, EPROTONOSUPPORT);
	assert_non_null(strstr(err, "SCTP"));

	ctx = asap_ctx_new_tls("127.0.0.1", NULL, &ca_only, err, sizeof(err));
	assert_null(ctx);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "name"));

	ctx = asap_ctx_new_tls("127.0.0.1", NULL, &half, err, sizeof(err));
	assert_null(ctx);
	assert_int_equal(errno, EINVAL);

	/* Plain contexts are unchanged; NULL TLS is one of them. */
	ctx = asap_ctx_new_tls("127.0.0.1", NULL, NULL, err, sizeof(err));
	assert_non_null(ctx);
	asap_ctx_free(ctx);
}

/* A TLS registrar address without a port means 3864. */
static void
test_default_port(void **state)
{
	struct t *t = *state;
	struct asap_tls_config psk = { .psk_file = fx_path("pe1.psk") };
	char err[256];

	t->ctx = asap_ctx_new_tls("127.0.0.1", NULL, &psk, err, sizeof(err));
	assert_non_null(t->ctx);
	asap_set_debug_log(t->ctx, dbg, t);
	assert_int_equal(asap_pu_resolve(t->ctx, FX_POOL, strlen(FX_POOL),
	    res_cb, t), 0);
	assert_true(asap_process(t->ctx) >= 0);
	if (strstr(t->log, "hunt: connecting to 127.0.0.1:3864") == NULL)
		fail_msg("debug log:\n%s", t->log);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_psk_ok),
		T(test_psk_wrong_key_reported),
		T(test_psk_wrong_key_hunt_moves_on),
		T(test_cert_ok),
		T(test_cert_wrong_name_no_plaintext),
		T(test_config_errors),
		T(test_default_port),
	};

	return cmocka_run_group_tests(tests, fx_group_setup,
	    fx_group_teardown);
}
