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

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "harness.h"
#include "tls.h"

#define NAME	"registrar.example"
#define DAY	(24 * 3600L)
#define KEY_A	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY_B	"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define KEY_D	"d00dfeedd00dfeedd00dfeedd00dfeedd00dfeedd00dfeedd00dfeedd00dfeed"

static char dir[64];

/* --- keys and certificates ------------------------------------------- */

static const char *
path(const char *name)
{
	static char buf[8][128];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void
write_file(const char *name, const char *text)
{
	FILE *fp = fopen(path(name), "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path(name), 0600), 0);
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(ext);
	assert_true(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
}

/* cn/san valid from nb to na seconds from now, signed by issuer (NULL:
 * self-signed CA). */
static X509 *
new_cert(const char *cn, const char *san, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *ikey, long nb, long na)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), nb);
	X509_gmtime_adj(X509_getm_notAfter(x), na);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	if (issuer == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
		add_ext(x, x, NID_subject_key_identifier, "hash");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
		add_ext(x, issuer, NID_authority_key_identifier, "keyid");
	}
	if (san != NULL)
		add_ext(x, issuer ? issuer : x, NID_subject_alt_name, san);
	assert_true(X509_sign(x, issuer ? ikey : key, EVP_sha256()) > 0);
	return x;
}

static void
write_pem(const char *name, X509 *x, EVP_PKEY *k)
{
	FILE *fp = fopen(path(name), "w");

	assert_non_null(fp);
	if (x != NULL)
		assert_true(PEM_write_X509(fp, x));
	else
		assert_true(PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL,
		    NULL));
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path(name), 0600), 0);
}

static void
make_leaf(const char *name, const char *cn, X509 *ca, EVP_PKEY *cakey,
    long nb, long na)
{
	char f[64], san[80];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x;

	assert_non_null(k);
	snprintf(san, sizeof(san), "DNS:%s", cn);
	x = new_cert(cn, san, k, ca, cakey, nb, na);
	snprintf(f, sizeof(f), "%s.pem", name);
	write_pem(f, x, NULL);
	snprintf(f, sizeof(f), "%s.key", name);
	write_pem(f, NULL, k);
	X509_free(x);
	EVP_PKEY_free(k);
}

static int
group_setup(void **state)
{
	EVP_PKEY *cakey;
	X509 *ca;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (harness_sctp())
		return 0;	/* skipped: TLS runs over TCP only */
	snprintf(dir, sizeof(dir), "/tmp/test_tls_e2e.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	cakey = EVP_EC_gen("P-256");
	ca = new_cert("anypool test CA", NULL, cakey, NULL, NULL, -DAY,
	    365 * DAY);
	write_pem("ca.pem", ca, NULL);
	make_leaf("server", NAME, ca, cakey, -DAY, 30 * DAY);
	make_leaf("expired", NAME, ca, cakey, -30 * DAY, -DAY);
	make_leaf("pe7", "pe-7.example", ca, cakey, -DAY, 30 * DAY);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	write_file("server.psk", "pe-1 " KEY_A "\npe-2 " KEY_B "\n");
	write_file("pe1.psk", "pe-1 " KEY_A "\n");
	write_file("pe1-wrong.psk", "pe-1 " KEY_B "\n");
	write_file("pe9.psk", "pe-9 " KEY_A "\n");
	write_file("pe1-new.psk", "pe-1 " KEY_D "\n");
	write_file("enrp.psk", "reg-a " KEY_B "\nreg-b " KEY_D "\n");
	return 0;
}

static int
group_teardown(void **state)
{
	static const char *const names[] = {
		"ca.pem", "server.pem", "server.key", "expired.pem",
		"expired.key", "pe7.pem", "pe7.key", "server.psk", "pe1.psk",
		"pe1-wrong.psk", "pe9.psk", "pe1-new.psk", "reload.psk",
		"enrp.psk",
	};
	size_t i;

	(void)state;
	if (dir[0] == '\0')
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(path(names[i]));
	return rmdir(dir) == 0 ? 0 : -1;
}

/* --- the daemon --------------------------------------------------------- */

struct reg {
	struct daemon	 d;
	uint16_t	 tls_port;
};

static uint16_t
free_tcp_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	uint16_t port = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

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
	    free_tcp_port();
	assert_int_not_equal(r->tls_port, 0);
	snprintf(conf, sizeof(conf),
	    "listen on 127.0.0.1 port %u transport tcp tls\n"
	    "tls {\n"
	    "\tpsk-file \"%s\"\n"
	    "\tcertificate \"%s.pem\" key \"%s.key\"\n"
	    "\tca \"%s\"\n"
	    "}\n%s", r->tls_port, path(psk), path(cert), path(cert),
	    path("ca.pem"), extra != NULL ? extra : "");
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
	char line[1024];
	bool found = false;
	FILE *f = fopen(r->d.log, "r");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, a) != NULL &&
		    (b == NULL || strstr(line, b) != NULL);
	fclose(f);
	return found;
}

/* --- a TLS client on lib/tls.c ------------------------------------------ */

struct tc {
	int		 fd;
	struct tls_ctx	*ctx;
	struct tls_conn	*t;
	enum tls_fail	 fail;
	uint8_t		 in[70000];
	size_t		 inlen;
	uint8_t		 msg[70000];
};

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
static int
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

static int
tc_open(struct tc *c, uint16_t port, const struct tls_config *cfg)
{
	return tc_open_at(c, "127.0.0.1", NULL, port, cfg);
}

static void
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

static int
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
static int
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
static int
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

/* Resolve over TLS: the number of PEs, -1 no answer, -2 error answer. */
static int
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

static struct tls_config
psk_client(const char *file)
{
	return (struct tls_config){ .role = TLS_CLIENT,
	    .psk_file = path(file) };
}

static struct tls_config
cert_client(const char *expect)
{
	return (struct tls_config){ .role = TLS_CLIENT,
	    .ca_file = path("ca.pem"), .server_name = expect };
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

	cfg = cert_client(NAME);
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
	cfg = cert_client(NAME);
	cfg.cert_file = path("pe7.pem");
	cfg.key_file = path("pe7.key");
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
	cfg = cert_client(NAME);
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
	write_file("reload.psk", "pe-1 " KEY_A "\n");
	reg_start(&r, "server", "reload.psk", NULL);
	cfg = psk_client("pe1.psk");
	assert_int_equal(tc_open(&old, r.tls_port, &cfg), 0);
	assert_int_equal(tc_register(&old, "reload", 1, &cause), 0);

	write_file("reload.psk", "pe-1 " KEY_D "\n");
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
	uint16_t pa = free_tcp_port(), pb = free_tcp_port(), cause;
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
	    "\tidentity reg-a\n}\n", pa, pb, path("enrp.psk"));
	snprintf(eb, sizeof(eb), "enrp {\n\tlisten on 127.0.0.22 port %u "
	    "transport tcp tls\n\tpeer 127.0.0.21 port %u\n\tpsk-file "
	    "\"%s\"\n\tidentity reg-b\n}\n", pb, pa, path("enrp.psk"));
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
		    group_teardown);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
