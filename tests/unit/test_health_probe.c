/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd's ASAP probe of a service (health/check.c, hk_probe_start_svc())
 * over TLS against a fake TLS registrar (tls_fixture.c): with the PSK of
 * the service's "probe asap ... tls psk-file" it succeeds; with a CA and
 * the right name too; a wrong name fails with the words healthd logs
 * ("TLS handshake failed: cert_name"); a key file others can read fails
 * the start (-EACCES) before anything is sent; and without "tls" the probe
 * stays plaintext (a TLS registrar refuses it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "health/check.h"
#include "log.h"
#include "tls_fixture.h"

struct t {
	struct ev_loop	*loop;
	struct fx_reg	 reg;
	struct hc_service svc;
	int		 calls;
	bool		 ok;
	char		 why[128];
};

static void
probe_cb(void *arg, bool ok, uint64_t rtt_ms, const char *why)
{
	struct t *t = arg;

	(void)rtt_ms;
	t->calls++;
	t->ok = ok;
	snprintf(t->why, sizeof(t->why), "%s", why != NULL ? why : "");
}

/* A service probing the fake registrar's port with pool FX_POOL. */
static void
svc_init(struct t *t)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&t->svc.probe_ss;

	memset(&t->svc, 0, sizeof(t->svc));
	snprintf(t->svc.name, sizeof(t->svc.name), "test");
	t->svc.probe = true;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(t->reg.port);
	t->svc.probe_sslen = sizeof(*sin);
	snprintf(t->svc.probe_pool, sizeof(t->svc.probe_pool), FX_POOL);
	t->svc.timeout_ms = 3000;
}

static void
run(struct t *t)
{
	struct hk_probe *p = NULL;
	int i;

	assert_int_equal(hk_probe_start_svc(t->loop, &t->svc, probe_cb, t,
	    &p), 0);
	for (i = 0; i < 600 && t->calls == 0; i++) {
		assert_true(ev_run_once(t->loop, 5) >= 0);
		fx_reg_step(&t->reg);
	}
	assert_int_equal(t->calls, 1);
}

static void
test_psk(void **state)
{
	struct t *t = *state;

	fx_reg_start(&t->reg, fx_server_ctx("server.psk", NULL, NULL, NULL));
	svc_init(t);
	t->svc.probe_tls = true;
	snprintf(t->svc.probe_tls_psk, sizeof(t->svc.probe_tls_psk), "%s",
	    fx_path("pe1.psk"));
	snprintf(t->svc.probe_tls_identity,
	    sizeof(t->svc.probe_tls_identity), "pe-1");
	run(t);
	assert_true(t->ok);
	assert_int_equal(t->reg.resolutions, 1);
	assert_string_equal(t->reg.peer_id, "pe-1");
}

static void
test_cert_and_wrong_name(void **state)
{
	struct t *t = *state;

	fx_reg_start(&t->reg, fx_server_ctx(NULL, "server.pem", "server.key",
	    NULL));
	svc_init(t);
	t->svc.probe_tls = true;
	snprintf(t->svc.probe_tls_ca, sizeof(t->svc.probe_tls_ca), "%s",
	    fx_path("ca.pem"));
	snprintf(t->svc.probe_tls_name, sizeof(t->svc.probe_tls_name),
	    FX_NAME);
	run(t);
	assert_true(t->ok);

	t->calls = 0;
	snprintf(t->svc.probe_tls_name, sizeof(t->svc.probe_tls_name),
	    "other.example");
	run(t);
	assert_false(t->ok);
	assert_string_equal(t->why, "TLS handshake failed: cert_name");
	assert_int_equal(t->reg.resolutions, 1);	/* the first only */
}

static void
test_open_key_file(void **state)
{
	struct t *t = *state;
	struct hk_probe *p = NULL;

	fx_reg_start(&t->reg, fx_server_ctx("server.psk", NULL, NULL, NULL));
	svc_init(t);
	t->svc.probe_tls = true;
	snprintf(t->svc.probe_tls_psk, sizeof(t->svc.probe_tls_psk), "%s",
	    fx_path("open.psk"));
	assert_int_equal(hk_probe_start_svc(t->loop, &t->svc, probe_cb, t,
	    &p), -EACCES);
	assert_int_equal(t->calls, 0);
	fx_reg_step(&t->reg);
	assert_int_equal(t->reg.accepted, 0);
}

/* Without "tls" the probe is plaintext: a TLS registrar refuses it. */
static void
test_plain_stays_plain(void **state)
{
	struct t *t = *state;

	fx_reg_start(&t->reg, fx_server_ctx("server.psk", NULL, NULL, NULL));
	svc_init(t);
	run(t);
	assert_false(t->ok);
	assert_true(t->reg.clear_asap);
	assert_int_equal(t->reg.resolutions, 0);
}

static int
setup(void **state)
{
	static struct t t;

	memset(&t, 0, sizeof(t));
	t.loop = ev_loop_new();
	assert_non_null(t.loop);
	t.reg.lfd = -1;
	*state = &t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	if (t->reg.lfd >= 0)
		fx_reg_stop(&t->reg);
	ev_loop_free(t->loop);
	return 0;
}

static int
group_setup(void **state)
{
	log_init("test_health_probe", 1, 0);
	return fx_group_setup(state);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_psk),
		T(test_cert_and_wrong_name),
		T(test_open_key_file),
		T(test_plain_stays_plain),
	};

	return cmocka_run_group_tests(tests, group_setup, fx_group_teardown);
}
