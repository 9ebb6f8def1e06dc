/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ASAP over TLS against the real registrard (issue 12), with lib/tls.c as
 * the client and every key and certificate made at test time: a PE with a
 * PSK registers over TLS and the control socket names its identity; a pool
 * user that verifies the registrar's certificate resolves the pool; each
 * failure (wrong key, unknown identity, plaintext on the TLS port, TLS on
 * the plaintext port; on the client side a registrar certificate for
 * another name, an expired one) fails cleanly, is counted by reason, and a
 * bystander on another association keeps being served; a secured
 * registrar refuses a plaintext registration with cause 0xa; SIGHUP with a
 * new PSK keeps an established TLS association and the new key works for
 * the next one while the old one no longer does.  TLS runs over TCP only,
 * so the SCTP variant of the harness skips this test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "tls.h"
#include "tls_fixture.h"
#include "tls_client.h"

#define KEY_D	"d00dfeedd00dfeedd00dfeedd00dfeedd00dfeedd00dfeedd00dfeedd00dfeed"

static int
group_setup(void **state)
{
	EVP_PKEY *cakey;
	X509 *ca;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (harness_sctp())
		return 0;	/* skipped: TLS runs over TCP only */
	if (fx_dir_make("test_tls_e2e") != 0)
		return -1;
	ca = fx_make_ca("ca.pem", "anypool test CA", &cakey);
	fx_make_leaf("server", FX_NAME, "DNS:" FX_NAME, ca, cakey, -FX_DAY,
	    30 * FX_DAY);
	fx_make_leaf("expired", FX_NAME, "DNS:" FX_NAME, ca, cakey,
	    -30 * FX_DAY, -FX_DAY);
	fx_make_leaf("pe7", "pe-7.example", "DNS:pe-7.example", ca, cakey,
	    -FX_DAY, 30 * FX_DAY);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	fx_write_file("server.psk", "pe-1 " FX_KEY_A "\npe-2 " FX_KEY_B "\n",
	    0600);
	fx_write_file("pe1.psk", "pe-1 " FX_KEY_A "\n", 0600);
	fx_write_file("pe1-wrong.psk", "pe-1 " FX_KEY_B "\n", 0600);
	fx_write_file("pe9.psk", "pe-9 " FX_KEY_A "\n", 0600);
	fx_write_file("pe1-new.psk", "pe-1 " KEY_D "\n", 0600);
	fx_write_file("enrp.psk", "reg-a " FX_KEY_B "\nreg-b " KEY_D "\n",
	    0600);
	return 0;
}

/* --- the daemon --------------------------------------------------------- */

struct reg {
	struct daemon	 d;
	uint16_t	 tls_port;
};

/*
 * registrard with its plaintext port (harness) and a TLS port: free, or
 * $ANYPOOL_TEST_TLS_PORT (tls-judge.sh captures 3864).
 */
static void
reg_start(struct reg *r, const char *cert, const char *psk,
    const char *extra)
{
	const char *env = getenv("ANYPOOL_TEST_TLS_PORT");
	char conf[2048];

	r->tls_port = env != NULL && atoi(env) > 0 ? (uint16_t)atoi(env) :
	    harness_free_port();
	assert_int_not_equal(r->tls_port, 0);
	snprintf(conf, sizeof(conf),
	    "listen on 127.0.0.1 port %u transport tcp tls\n"
	    "tls {\n"
	    "\tpsk-file \"%s\"\n"
	    "\tcertificate \"%s.pem\" key \"%s.key\"\n"
	    "\tca \"%s\"\n"
	    "}\n%s", r->tls_port, fx_path(psk), fx_path(cert), fx_path(cert),
	    fx_path("ca.pem"), extra != NULL ? extra : "");
	assert_int_equal(daemon_start(&r->d, conf), 0);
}

static void
reg_stop(struct reg *r)
{
	int st = daemon_stop(&r->d, SIGTERM);

	assert_true(daemon_clean(&r->d, st));
}

/* The control socket's answer to cmd holds needle. */
static bool
ctl_has(struct reg *r, const char *cmd, const char *needle)
{
	static char out[65536];

	if (control_query(&r->d, cmd, out, sizeof(out)) != 0)
		return false;
	return strstr(out, needle) != NULL;
}

struct ctl_wait {
	struct reg	*r;
	const char	*cmd, *needle;
};

static bool
ctl_cond(void *arg)
{
	struct ctl_wait *w = arg;

	return ctl_has(w->r, w->cmd, w->needle);
}

/* Wait (deadline) until the failure counter of reason reads n. */
static void
expect_failures(struct reg *r, const char *reason, int n)
{
	char needle[96];
	struct ctl_wait w = { r, "show stats", needle };

	snprintf(needle, sizeof(needle), "\"%s\":%d", reason, n);
	if (!wait_until(ctl_cond, &w, 5000))
		fail_msg("tls_handshake_failures %s is not %d", reason, n);
}

/* Its log has a line holding both a and b. */
static bool
log_has(struct reg *r, const char *a, const char *b)
{
	return daemon_log_has(&r->d, a, b);
}

static struct tls_config
psk_client(const char *file)
{
	return (struct tls_config){ .role = TLS_CLIENT,
	    .psk_file = fx_path(file) };
}

static struct tls_config
cert_client(const char *expect)
{
	return (struct tls_config){ .role = TLS_CLIENT,
	    .ca_file = fx_path("ca.pem"), .server_name = expect };
}

/* A plaintext PE registered on the plain port, resolvable throughout. */
struct bystander {
	struct client	 pe, pu;
};

static void
bystander_start(struct reg *r, struct bystander *b)
{
	uint16_t cause;

	assert_int_equal(client_connect(&b->pe, r->d.port), 0);
	assert_int_equal(client_connect(&b->pu, r->d.port), 0);
	assert_int_equal(do_register(&b->pe, "plain", 0x42, 1, 0, 0, 60000,
	    &cause), 0);
}

static void
bystander_check(struct bystander *b)
{
	uint32_t ids[4];
	uint16_t cause;

	assert_int_equal(do_resolve(&b->pu, "plain", 3, ids, 4, &cause), 1);
	assert_int_equal(ids[0], 0x42);
}

static void
bystander_stop(struct bystander *b)
{
	client_close(&b->pe);
	client_close(&b->pu);
}

/* --- tests -------------------------------------------------------------- */

#define SKIP_SCTP()	do { if (harness_sctp()) skip(); } while (0)

/* PSK registration over TLS; a certificate-verifying PU resolves it. */
static void
test_psk_and_cert_ok(void **state)
{
	struct tls_config cfg;
	struct reg r;
	struct tc pe, pu;
	uint32_t ids[4];
	uint16_t cause;

	(void)state;
	SKIP_SCTP();
	reg_start(&r, "server", "server.psk", NULL);
	cfg = psk_client("pe1.psk");
	assert_int_equal(tc_open(&pe, r.tls_port, &cfg), 0);
	assert_int_equal(tc_register(&pe, "tls", 7, &cause), 0);
	assert_true(ctl_has(&r, "show associations", "\"identity\":\"pe-1\""));
	assert_true(ctl_has(&r, "show associations", "\"tls\":true"));

	cfg = cert_client(FX_NAME);
	assert_int_equal(tc_open(&pu, r.tls_port, &cfg), 0);
	assert_int_equal(tc_resolve(&pu, "tls", ids, 4), 1);
	assert_int_equal(ids[0], 7);
	assert_true(ctl_has(&r, "show stats", "\"tls_handshakes\":2"));
	tc_close(&pu);
	tc_close(&pe);
	reg_stop(&r);
}

/* A PE with a client certificate instead of a PSK. */
static void
test_client_certificate(void **state)
{
	struct tls_config cfg;
	struct reg r;
	struct tc pe;
	uint16_t cause;

	(void)state;
	SKIP_SCTP();
	reg_start(&r, "server", "server.psk", NULL);
	cfg = cert_client(FX_NAME);
	cfg.cert_file = fx_path("pe7.pem");
	cfg.key_file = fx_path("pe7.key");
	assert_int_equal(tc_open(&pe, r.tls_port, &cfg), 0);
	assert_int_equal(tc_register(&pe, "certs", 8, &cause), 0);
	assert_true(ctl_has(&r, "show associations",
	    "\"identity\":\"pe-7.example\""));
	tc_close(&pe);
	reg_stop(&r);
}

/* Each failure: clean, counted by reason, logged, costs nobody else. */
static void
test_failures(void **state)
{
	struct bystander b;
	struct tls_config cfg;
	struct client plain;
	struct rsp_msg m;
	struct reg r;
	struct tc c;
	uint8_t buf[512];

	(void)state;
	SKIP_SCTP();
	reg_start(&r, "server", "server.psk", NULL);
	bystander_start(&r, &b);

	cfg = psk_client("pe1-wrong.psk");
	assert_int_equal(tc_open(&c, r.tls_port, &cfg), -1);
	tc_close(&c);
	expect_failures(&r, "psk_bad_key", 1);
	bystander_check(&b);

	cfg = psk_client("pe9.psk");
	assert_int_equal(tc_open(&c, r.tls_port, &cfg), -1);
	tc_close(&c);
	expect_failures(&r, "psk_unknown_identity", 1);
	assert_true(log_has(&r, "TLS handshake failed: psk_unknown_identity",
	    "pe-9"));
	bystander_check(&b);

	/* The client's check: a certificate for another name. */
	cfg = cert_client("other.example");
	assert_int_equal(tc_open(&c, r.tls_port, &cfg), -1);
	assert_int_equal(c.fail, TLS_FAIL_CERT_NAME);
	tc_close(&c);
	bystander_check(&b);

	/* Plaintext ASAP on the TLS port: closed, not answered. */
	assert_int_equal(client_connect(&plain, r.tls_port), 0);
	assert_int_equal(client_send(&plain, buf, build_resolution(buf,
	    sizeof(buf), "plain", 3)), 0);
	assert_int_equal(client_recv(&plain, &m, 5000, false), -1);
	client_close(&plain);
	expect_failures(&r, "plaintext", 1);
	assert_true(log_has(&r, "ASAP TLS port: TLS handshake failed: "
	    "plaintext", NULL));
	bystander_check(&b);

	/* A TLS client on the plaintext port. */
	cfg = psk_client("pe1.psk");
	assert_int_equal(tc_open(&c, r.d.port, &cfg), -1);
	tc_close(&c);
	expect_failures(&r, "tls_on_plain_port", 1);
	assert_true(log_has(&r, "ASAP plaintext port: TLS handshake failed: "
	    "tls_on_plain_port", NULL));
	bystander_check(&b);

	/* Nothing else was counted and the daemon is whole. */
	expect_failures(&r, "psk_bad_key", 1);
	assert_true(ctl_has(&r, "show stats", "\"tls_handshakes\":0"));
	bystander_stop(&b);
	reg_stop(&r);
}

/* The client's check: an expired registrar certificate. */
static void
test_expired_server_cert(void **state)
{
	struct bystander b;
	struct tls_config cfg;
	struct reg r;
	struct tc c;

	(void)state;
	SKIP_SCTP();
	reg_start(&r, "expired", "server.psk", NULL);
	bystander_start(&r, &b);
	cfg = cert_client(FX_NAME);
	assert_int_equal(tc_open(&c, r.tls_port, &cfg), -1);
	assert_int_equal(c.fail, TLS_FAIL_CERT_EXPIRED);
	tc_close(&c);
	bystander_check(&b);
	/* PSK clients do not look at the certificate. */
	cfg = psk_client("pe1.psk");
	assert_int_equal(tc_open(&c, r.tls_port, &cfg), 0);
	tc_close(&c);
	bystander_stop(&b);
	reg_stop(&r);
}

/* RFC 5355 §2.15: secured on refuses plaintext registrations (0xa). */
static void
test_secured(void **state)
{
	struct tls_config cfg;
	struct client plain;
	struct reg r;
	struct tc pe;
	uint32_t ids[4];
	uint16_t cause = 0;

	(void)state;
	SKIP_SCTP();
	reg_start(&r, "server", "server.psk", "secured on\n");
	assert_int_equal(client_connect(&plain, r.d.port), 0);
	assert_int_equal(do_register(&plain, "sec", 1, 1, 0, 0, 60000, &cause),
	    1);
	assert_int_equal(cause, RSP_CAUSE_SECURITY);

	cfg = psk_client("pe1.psk");
	assert_int_equal(tc_open(&pe, r.tls_port, &cfg), 0);
	assert_int_equal(tc_register(&pe, "sec", 2, &cause), 0);
	/* Resolution stays open to plaintext pool users. */
	assert_int_equal(do_resolve(&plain, "sec", 3, ids, 4, &cause), 1);
	assert_int_equal(ids[0], 2);
	tc_close(&pe);
	client_close(&plain);
	reg_stop(&r);
}

static bool
reloaded(void *arg)
{
	return log_has(arg, "tls: keys and certificates reloaded", NULL);
}

/* SIGHUP with a new key: the old association stays, the new key works. */
static void
test_reload(void **state)
{
	struct tls_config cfg;
	struct reg r;
	struct tc old, fresh, stale;
	uint32_t ids[4];
	uint16_t cause;

	(void)state;
	SKIP_SCTP();
	fx_write_file("reload.psk", "pe-1 " FX_KEY_A "\n", 0600);
	reg_start(&r, "server", "reload.psk", NULL);
	cfg = psk_client("pe1.psk");
	assert_int_equal(tc_open(&old, r.tls_port, &cfg), 0);
	assert_int_equal(tc_register(&old, "reload", 1, &cause), 0);

	fx_write_file("reload.psk", "pe-1 " KEY_D "\n", 0600);
	assert_int_equal(kill(r.d.pid, SIGHUP), 0);
	assert_true(wait_until(reloaded, &r, 5000));

	/* The established association goes on: re-register and resolve. */
	assert_int_equal(tc_register(&old, "reload", 1, &cause), 0);
	assert_int_equal(tc_resolve(&old, "reload", ids, 4), 1);

	cfg = psk_client("pe1-new.psk");
	assert_int_equal(tc_open(&fresh, r.tls_port, &cfg), 0);
	assert_int_equal(tc_register(&fresh, "reload", 2, &cause), 0);
	assert_int_equal(tc_resolve(&fresh, "reload", ids, 4), 2);

	cfg = psk_client("pe1.psk");
	assert_int_equal(tc_open(&stale, r.tls_port, &cfg), -1);
	tc_close(&stale);
	expect_failures(&r, "psk_bad_key", 1);

	tc_close(&fresh);
	tc_close(&old);
	reg_stop(&r);
}

struct resolve_wait {
	struct client	*pu;
	uint32_t	 id;
};

static bool
resolves(void *arg)
{
	struct resolve_wait *w = arg;
	uint32_t ids[4];
	uint16_t cause;

	return do_resolve(w->pu, "enrp", 3, ids, 4, &cause) == 1 &&
	    ids[0] == w->id;
}

/*
 * ENRP over TLS between two registrars with their own key file: a PE
 * registered over TLS at A resolves at B; a PE's PSK and plaintext are
 * refused on A's ENRP port, and counted.
 */
static void
test_enrp_tls(void **state)
{
	struct tls_config cfg;
	struct client pu, plain;
	struct reg a, b;
	struct rsp_msg m;
	struct tc pe, rogue;
	/* tls-judge.sh captures fixed ENRP ports: "A,B". */
	const char *env = getenv("ANYPOOL_TEST_ENRP_PORTS");
	uint16_t pa = harness_free_port(), pb = harness_free_port(), cause;
	struct resolve_wait w = { &pu, 0x77 };
	char ea[512], eb[512];
	uint8_t buf[512];

	(void)state;
	SKIP_SCTP();
	if (env != NULL && strchr(env, ',') != NULL) {
		pa = (uint16_t)atoi(env);
		pb = (uint16_t)atoi(strchr(env, ',') + 1);
	}
	assert_int_not_equal(pa, pb);
	snprintf(ea, sizeof(ea), "enrp {\n\tlisten on 127.0.0.21 port %u\n"
	    "\tpeer 127.0.0.22 port %u\n\ttls on\n\tpsk-file \"%s\"\n"
	    "\tidentity reg-a\n}\n", pa, pb, fx_path("enrp.psk"));
	snprintf(eb, sizeof(eb), "enrp {\n\tlisten on 127.0.0.22 port %u "
	    "transport tcp tls\n\tpeer 127.0.0.21 port %u\n\tpsk-file "
	    "\"%s\"\n\tidentity reg-b\n}\n", pb, pa, fx_path("enrp.psk"));
	reg_start(&a, "server", "server.psk", ea);
	/* B on ASAP ports of its own even where tls-judge.sh fixes A's. */
	{
		char *p0 = getenv("ANYPOOL_TEST_PORT");
		char *p1 = getenv("ANYPOOL_TEST_TLS_PORT");
		char s0[16] = "", s1[16] = "";

		if (p0 != NULL)
			snprintf(s0, sizeof(s0), "%s", p0);
		if (p1 != NULL)
			snprintf(s1, sizeof(s1), "%s", p1);
		unsetenv("ANYPOOL_TEST_PORT");
		unsetenv("ANYPOOL_TEST_TLS_PORT");
		reg_start(&b, "server", "server.psk", eb);
		if (s0[0] != '\0')
			setenv("ANYPOOL_TEST_PORT", s0, 1);
		if (s1[0] != '\0')
			setenv("ANYPOOL_TEST_TLS_PORT", s1, 1);
	}

	cfg = psk_client("pe1.psk");
	assert_int_equal(tc_open(&pe, a.tls_port, &cfg), 0);
	assert_int_equal(tc_register(&pe, "enrp", 0x77, &cause), 0);
	assert_int_equal(client_connect(&pu, b.d.port), 0);
	assert_true(wait_until(resolves, &w, 10000));
	assert_true(log_has(&a, "TLS up, PSK identity reg-b", NULL));

	/* A PE's key is not a registrar's: not on the ENRP port. */
	/* From a configured peer's address: admitted, then the handshake. */
	assert_int_equal(tc_open_at(&rogue, "127.0.0.21", "127.0.0.22", pa,
	    &cfg), -1);
	tc_close(&rogue);
	expect_failures(&a, "psk_unknown_identity", 1);
	assert_true(log_has(&a, "ENRP TLS port: TLS handshake failed", NULL));
	memset(&plain, 0, sizeof(plain));
	plain.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(plain.fd >= 0);
	{
		struct sockaddr_in to = { .sin_family = AF_INET,
		    .sin_port = htons(pa) }, from = { .sin_family = AF_INET };

		inet_pton(AF_INET, "127.0.0.21", &to.sin_addr);
		inet_pton(AF_INET, "127.0.0.22", &from.sin_addr);
		assert_int_equal(bind(plain.fd, (struct sockaddr *)&from,
		    sizeof(from)), 0);
		assert_int_equal(connect(plain.fd, (struct sockaddr *)&to,
		    sizeof(to)), 0);
	}
	assert_int_equal(client_send(&plain, buf, build_resolution(buf,
	    sizeof(buf), "x", 3)), 0);
	assert_int_equal(client_recv(&plain, &m, 5000, false), -1);
	client_close(&plain);
	expect_failures(&a, "plaintext", 1);
	assert_true(resolves(&w));

	client_close(&pu);
	tc_close(&pe);
	reg_stop(&b);
	reg_stop(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psk_and_cert_ok),
		cmocka_unit_test(test_client_certificate),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_expired_server_cert),
		cmocka_unit_test(test_secured),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_enrp_tls),
	};
	/* tls-judge.sh: the sessions that complete, for tshark to decrypt. */
	const struct CMUnitTest judged[] = {
		cmocka_unit_test(test_psk_and_cert_ok),
		cmocka_unit_test(test_client_certificate),
		cmocka_unit_test(test_secured),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_enrp_tls),
	};

	if (getenv("ANYPOOL_TLS_JUDGE") != NULL)
		return cmocka_run_group_tests(judged, group_setup,
		    fx_group_teardown);
	return cmocka_run_group_tests(tests, group_setup, fx_group_teardown);
}
