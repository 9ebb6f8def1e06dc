/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for lib/tls.c: handshakes over a non-blocking socketpair driven
 * in one thread, with every key and certificate made at test time in a
 * temporary directory (a CA, a server certificate for "registrar.example",
 * an expired one, one from another CA, one with a partial wildcard, a client
 * certificate, PSK files).  What an operator would check: PSK and
 * certificate handshakes succeed and the server knows who authenticated;
 * each failure (unknown identity, wrong key, wrong name, expired, unknown
 * CA, no client certificate, plaintext on the TLS port) fails on both sides
 * with the reason that names it; a key file others can read is refused;
 * a TLS ClientHello on a plaintext port is recognised; a reload keeps the
 * established session and the next handshake uses the new key; clients
 * resume with their ticket and the server still knows the PSK identity or
 * client certificate name; the key log gets NSS lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "tls.h"
#include "tls_fixture.h"

#define KEY_C	"0123456789abcdef0123456789abcdef"

static int
group_setup(void **state)
{
	EVP_PKEY *cakey, *otherkey;
	X509 *ca, *other;

	signal(SIGPIPE, SIG_IGN);
	if (fx_dir_make("test_tls") != 0)
		return -1;
	ca = fx_make_ca("ca.pem", "anypool test CA", &cakey);
	other = fx_make_ca("other-ca.pem", "some other CA", &otherkey);

	fx_make_leaf("server", FX_NAME, "DNS:" FX_NAME, ca, cakey, -FX_DAY,
	    30 * FX_DAY);
	fx_make_leaf("expired", FX_NAME, "DNS:" FX_NAME, ca, cakey,
	    -30 * FX_DAY, -FX_DAY);
	fx_make_leaf("rogue", FX_NAME, "DNS:" FX_NAME, other, otherkey,
	    -FX_DAY, 30 * FX_DAY);
	fx_make_leaf("partial", "reg*.example", "DNS:reg*.example", ca, cakey,
	    -FX_DAY, 30 * FX_DAY);
	fx_make_leaf("wild", "*.pool.example", "DNS:*.pool.example", ca, cakey,
	    -FX_DAY, 30 * FX_DAY);
	fx_make_leaf("ip", "anycast", "IP:192.0.2.1", ca, cakey, -FX_DAY,
	    30 * FX_DAY);
	fx_make_leaf("client", "pe-7", "DNS:pe-7.example", ca, cakey, -FX_DAY,
	    30 * FX_DAY);
	X509_free(ca);
	X509_free(other);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(otherkey);

	fx_write_file("server.psk", "# registrar keys\n\npe-1 " FX_KEY_A "\n"
	    "pe-2\t" FX_KEY_B "   # the second PE\n" "enrp-2 " KEY_C "\n",
	    0600);
	fx_write_file("pe2.psk", "pe-2 " FX_KEY_B "\n", 0600);
	fx_write_file("pe2-wrong.psk", "pe-2 " FX_KEY_A "\n", 0600);
	fx_write_file("pe9.psk", "pe-9 " FX_KEY_A "\n", 0600);
	fx_write_file("open.psk", "pe-2 " FX_KEY_B "\n", 0644);
	fx_write_file("open.key", "not even a key\n", 0644);
	fx_write_file("short.psk", "pe-1 00112233\n", 0600);
	fx_write_file("odd.psk", "pe-1 " KEY_C "0\n", 0600);
	fx_write_file("dup.psk", "pe-1 " KEY_C "\npe-1 " FX_KEY_A "\n", 0600);
	fx_write_file("junk.psk", "pe-1 " KEY_C " extra\n", 0600);
	fx_write_file("empty.psk", "# nothing\n", 0600);
	return 0;
}

/* --- driving handshakes ----------------------------------------------- */

struct hs {
	int		 fd[2];		/* client, server */
	struct tls_conn	*c, *s;
	int		 rc, rs;	/* last tls_handshake() results */
};

static void
hs_open(struct hs *h, struct tls_ctx *cctx, struct tls_ctx *sctx)
{
	memset(h, 0, sizeof(*h));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, h->fd), 0);
	if (cctx != NULL)
		assert_int_equal(tls_conn_new(cctx, h->fd[0], &h->c), 0);
	if (sctx != NULL)
		assert_int_equal(tls_conn_new(sctx, h->fd[1], &h->s), 0);
	h->rc = h->rs = TLS_WANT_READ;
}

/*
 * Run both ends until each is done or failed.  A failed end closes its
 * socket, as the caller would, so the other end sees the close.
 */
static void
hs_run(struct hs *h)
{
	const char *text;
	enum tls_fail f;
	int i;

	for (i = 0; i < 100 && (h->rc > 0 || h->rs > 0); i++) {
		if (h->rc > 0 && (h->rc = tls_handshake(h->c)) < 0)
			shutdown(h->fd[0], SHUT_RDWR);
		if (h->rs > 0 && (h->rs = tls_handshake(h->s)) < 0)
			shutdown(h->fd[1], SHUT_RDWR);
	}
	assert_true(h->rc <= 0 && h->rs <= 0);
	/* In the log: what an operator would read. */
	if (h->rc < 0) {
		f = tls_conn_fail(h->c, &text);
		print_message("client: %s: %s\n", tls_fail_name(f), text);
	}
	if (h->rs < 0) {
		f = tls_conn_fail(h->s, &text);
		print_message("server: %s: %s\n", tls_fail_name(f), text);
	}
}

static void
hs_close(struct hs *h)
{
	tls_conn_free(h->c);
	tls_conn_free(h->s);
	close(h->fd[0]);
	if (h->fd[1] != -1)
		close(h->fd[1]);
}

/* Send msg from a to b and check it arrives whole. */
static void
xfer(struct tls_conn *a, struct tls_conn *b, const char *msg)
{
	char buf[256];
	size_t n, got = 0, len = strlen(msg);
	int i, r;

	assert_int_equal(tls_write(a, msg, len, &n), 0);
	assert_int_equal(n, len);
	for (i = 0; i < 20 && got < len; i++) {
		r = tls_read(b, buf + got, sizeof(buf) - got, &n);
		if (r == TLS_WANT_READ)
			continue;
		assert_int_equal(r, 0);
		assert_true(n > 0);
		got += n;
	}
	assert_int_equal(got, len);
	assert_memory_equal(buf, msg, len);
}

static void
expect_fail(struct tls_conn *c, enum tls_fail want, const char *needle)
{
	const char *text;
	enum tls_fail f = tls_conn_fail(c, &text);

	if (f != want || (needle != NULL && strstr(text, needle) == NULL))
		fail_msg("got %s \"%s\", want %s \"%s\"", tls_fail_name(f),
		    text, tls_fail_name(want), needle ? needle : "");
}

static const char *
peer(struct tls_conn *c, enum tls_auth want_auth)
{
	enum tls_auth a;
	const char *id = tls_peer_identity(c, &a);

	assert_int_equal(a, want_auth);
	return id;
}

/* --- PSK -------------------------------------------------------------- */

static struct tls_ctx *
psk_server(void)
{
	struct tls_config cfg = {
		.role = TLS_SERVER, .psk_file = fx_path("server.psk"),
	};

	return fx_ctx_new(&cfg);
}

static struct tls_ctx *
psk_client(const char *file)
{
	struct tls_config cfg = { .role = TLS_CLIENT,
	    .psk_file = fx_path(file) };

	return fx_ctx_new(&cfg);
}

static void
test_psk_ok(void **state)
{
	struct tls_ctx *sctx = psk_server(), *cctx = psk_client("pe2.psk");
	struct hs h;

	hs_open(&h, cctx, sctx);
	hs_run(&h);
	assert_int_equal(h.rc, 0);
	assert_int_equal(h.rs, 0);
	assert_true(tls_handshake_done(h.s));
	assert_string_equal(peer(h.s, TLS_AUTH_PSK), "pe-2");
	assert_string_equal(peer(h.c, TLS_AUTH_PSK), "pe-2");
	assert_false(tls_resumed(h.s));
	xfer(h.c, h.s, "REGISTRATION");
	xfer(h.s, h.c, "REGISTRATION_RESPONSE");
	hs_close(&h);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_psk_unknown_identity(void **state)
{
	struct tls_config mixed = {
		.role = TLS_SERVER, .psk_file = fx_path("server.psk"),
		.cert_file = fx_path("server.pem"),
		.key_file = fx_path("server.key"),
	};
	struct tls_ctx *sctx[2] = { psk_server(), fx_ctx_new(&mixed) };
	struct tls_ctx *cctx = psk_client("pe9.psk");
	struct hs h;
	int i;

	/* PSK-only server, and one that also has a certificate. */
	for (i = 0; i < 2; i++) {
		hs_open(&h, cctx, sctx[i]);
		hs_run(&h);
		assert_int_equal(h.rs, -EPROTO);
		assert_int_equal(h.rc, -EPROTO);
		expect_fail(h.s, TLS_FAIL_PSK_UNKNOWN_IDENTITY,
		    "unknown PSK identity \"pe-9\"");
		expect_fail(h.c, TLS_FAIL_PSK_UNKNOWN_IDENTITY, "pe-9");
		assert_null(tls_peer_identity(h.s, NULL));
		hs_close(&h);
		tls_ctx_free(sctx[i]);
	}
	tls_ctx_free(cctx);
}

static void
test_psk_bad_key(void **state)
{
	struct tls_ctx *sctx = psk_server(), *cctx = psk_client("pe2-wrong.psk");
	struct hs h;

	hs_open(&h, cctx, sctx);
	hs_run(&h);
	assert_int_equal(h.rs, -EPROTO);
	assert_int_equal(h.rc, -EPROTO);
	expect_fail(h.s, TLS_FAIL_PSK_BAD_KEY, "wrong key for PSK identity "
	    "\"pe-2\"");
	expect_fail(h.c, TLS_FAIL_PSK_BAD_KEY, "rejected the key of PSK "
	    "identity \"pe-2\"");
	hs_close(&h);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
ctx_refused(const struct tls_config *cfg, int want, const char *needle)
{
	struct tls_ctx *ctx = NULL;
	char err[256] = "";
	int r = tls_ctx_new(cfg, &ctx, err, sizeof(err));

	if (r != want || strstr(err, needle) == NULL)
		fail_msg("tls_ctx_new: %d \"%s\", want %d \"%s\"", r, err,
		    want, needle);
	assert_null(ctx);
}

static void
test_key_files_refused(void **state)
{
	struct tls_config cfg = { .role = TLS_SERVER };
	char want[200];

	cfg.psk_file = fx_path("open.psk");
	snprintf(want, sizeof(want), "%s: readable by others (mode 0644); "
	    "chmod 600", fx_path("open.psk"));
	ctx_refused(&cfg, -EACCES, want);
	cfg.psk_file = fx_path("missing.psk");
	ctx_refused(&cfg, -ENOENT, "No such file");
	cfg.psk_file = fx_path("short.psk");
	ctx_refused(&cfg, -EINVAL, "short.psk:1: key of 4 bytes");
	cfg.psk_file = fx_path("odd.psk");
	ctx_refused(&cfg, -EINVAL, "odd.psk:1: key has an odd number");
	cfg.psk_file = fx_path("dup.psk");
	ctx_refused(&cfg, -EINVAL, "dup.psk:2: identity \"pe-1\" listed twice");
	cfg.psk_file = fx_path("junk.psk");
	ctx_refused(&cfg, -EINVAL, "junk.psk:1: expected");
	cfg.psk_file = fx_path("empty.psk");
	ctx_refused(&cfg, -EINVAL, "empty.psk: no keys");
	/* The private key of a certificate is a secret as well. */
	cfg.psk_file = NULL;
	cfg.cert_file = fx_path("server.pem");
	cfg.key_file = fx_path("open.key");
	ctx_refused(&cfg, -EACCES, "open.key: readable by others");
	cfg.key_file = fx_path("client.key");
	ctx_refused(&cfg, -EINVAL, "does not match the certificate");
	/* A client with several keys must say which is its own. */
	cfg = (struct tls_config){ .role = TLS_CLIENT,
	    .psk_file = fx_path("server.psk") };
	ctx_refused(&cfg, -EINVAL, "3 keys; say which identity");
	cfg.psk_identity = "pe-3";
	ctx_refused(&cfg, -EINVAL, "no key for identity \"pe-3\"");
	cfg = (struct tls_config){ .role = TLS_SERVER };
	ctx_refused(&cfg, -EINVAL, "needs a PSK file or a certificate");
}

/* --- certificates ----------------------------------------------------- */

static struct tls_ctx *
cert_server(const char *name, enum tls_client_cert cc)
{
	char pem[32], key[32];
	struct tls_config cfg = {
		.role = TLS_SERVER, .client_cert = cc,
		.ca_file = fx_path("ca.pem"),
	};

	snprintf(pem, sizeof(pem), "%s.pem", name);
	snprintf(key, sizeof(key), "%s.key", name);
	cfg.cert_file = fx_path(pem);
	cfg.key_file = fx_path(key);
	return fx_ctx_new(&cfg);
}

static struct tls_ctx *
cert_client(const char *expect, bool with_cert)
{
	struct tls_config cfg = {
		.role = TLS_CLIENT, .ca_file = fx_path("ca.pem"),
		.server_name = expect,
	};

	if (with_cert) {
		cfg.cert_file = fx_path("client.pem");
		cfg.key_file = fx_path("client.key");
	}
	return fx_ctx_new(&cfg);
}

/* One handshake of a fresh client expecting name against server. */
static void
cert_case(const char *server, const char *expect, int want_c,
    enum tls_fail fc, const char *tc, enum tls_fail fs, const char *id)
{
	struct tls_ctx *sctx = cert_server(server, TLS_CLIENT_CERT_NONE);
	struct tls_ctx *cctx = cert_client(expect, false);
	struct hs h;

	hs_open(&h, cctx, sctx);
	hs_run(&h);
	assert_int_equal(h.rc, want_c);
	if (want_c == 0) {
		assert_int_equal(h.rs, 0);
		assert_string_equal(peer(h.c, TLS_AUTH_CERT), id);
		assert_null(peer(h.s, TLS_AUTH_NONE));
		xfer(h.c, h.s, "HANDLE_RESOLUTION");
		xfer(h.s, h.c, "HANDLE_RESOLUTION_RESPONSE");
	} else {
		assert_int_equal(h.rs, -EPROTO);
		expect_fail(h.c, fc, tc);
		expect_fail(h.s, fs, NULL);
	}
	hs_close(&h);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_cert_ok(void **state)
{
	cert_case("server", FX_NAME, 0, TLS_FAIL_NONE, NULL, TLS_FAIL_NONE,
	    FX_NAME);
	cert_case("server", "REGISTRAR.Example", 0, TLS_FAIL_NONE, NULL,
	    TLS_FAIL_NONE, FX_NAME);
	/* A wildcard as the whole left-most label covers one label. */
	cert_case("wild", "registrar.pool.example", 0, TLS_FAIL_NONE, NULL,
	    TLS_FAIL_NONE, "*.pool.example");
	/* An address as the expected name: the SAN iPAddress. */
	cert_case("ip", "192.0.2.1", 0, TLS_FAIL_NONE, NULL, TLS_FAIL_NONE,
	    "anycast");
}

static void
test_cert_wrong_name(void **state)
{
	cert_case("server", "other.example", -EPROTO, TLS_FAIL_CERT_NAME,
	    "not for \"other.example\"", TLS_FAIL_CERT_INVALID, NULL);
	/* RFC 6125 §6.4.3: no partial wildcards ("reg*"). */
	cert_case("partial", FX_NAME, -EPROTO, TLS_FAIL_CERT_NAME,
	    "hostname mismatch", TLS_FAIL_CERT_INVALID, NULL);
	/* One label only: "*.pool.example" is not for "a.b.pool.example". */
	cert_case("wild", "a.b.pool.example", -EPROTO, TLS_FAIL_CERT_NAME,
	    NULL, TLS_FAIL_CERT_INVALID, NULL);
	cert_case("ip", "192.0.2.2", -EPROTO, TLS_FAIL_CERT_NAME,
	    "IP address mismatch", TLS_FAIL_CERT_INVALID, NULL);
	/* A name that only the CN carries does not count (RFC 6125). */
	cert_case("ip", "anycast", -EPROTO, TLS_FAIL_CERT_NAME, NULL,
	    TLS_FAIL_CERT_INVALID, NULL);
}

static void
test_cert_expired(void **state)
{
	cert_case("expired", FX_NAME, -EPROTO, TLS_FAIL_CERT_EXPIRED,
	    "certificate has expired", TLS_FAIL_CERT_EXPIRED, NULL);
}

static void
test_cert_unknown_ca(void **state)
{
	cert_case("rogue", FX_NAME, -EPROTO, TLS_FAIL_CERT_UNKNOWN_CA,
	    "unable to get local issuer certificate", TLS_FAIL_CERT_UNKNOWN_CA,
	    NULL);
}

static void
test_client_cert(void **state)
{
	struct tls_ctx *sctx = cert_server("server", TLS_CLIENT_CERT_REQUIRE);
	struct tls_ctx *pe = cert_client(FX_NAME, true);
	struct tls_ctx *pu = cert_client(FX_NAME, false);
	struct hs h;

	hs_open(&h, pe, sctx);
	hs_run(&h);
	assert_int_equal(h.rc, 0);
	assert_int_equal(h.rs, 0);
	assert_string_equal(peer(h.s, TLS_AUTH_CERT), "pe-7.example");
	xfer(h.c, h.s, "REGISTRATION");
	hs_close(&h);

	/* TLS 1.3: the client finishes first and learns it from the alert. */
	hs_open(&h, pu, sctx);
	hs_run(&h);
	assert_int_equal(h.rs, -EPROTO);
	expect_fail(h.s, TLS_FAIL_NO_CERT, "client sent no certificate");
	hs_close(&h);
	tls_ctx_free(sctx);

	/* Optional: a pool user without certificate is anonymous. */
	sctx = cert_server("server", TLS_CLIENT_CERT_OPTIONAL);
	hs_open(&h, pu, sctx);
	hs_run(&h);
	assert_int_equal(h.rs, 0);
	assert_null(peer(h.s, TLS_AUTH_NONE));
	hs_close(&h);
	tls_ctx_free(sctx);
	tls_ctx_free(pe);
	tls_ctx_free(pu);
}

/* A server with PSKs and a certificate serves both kinds of client. */
static void
test_mixed_server(void **state)
{
	struct tls_config cfg = {
		.role = TLS_SERVER, .psk_file = fx_path("server.psk"),
		.cert_file = fx_path("server.pem"),
		.key_file = fx_path("server.key"),
		.ca_file = fx_path("ca.pem"),
		.client_cert = TLS_CLIENT_CERT_OPTIONAL,
	};
	struct tls_ctx *sctx = fx_ctx_new(&cfg), *pe = psk_client("pe2.psk");
	struct tls_ctx *pu = cert_client(FX_NAME, false);
	struct tls_ctx *pe7 = cert_client(FX_NAME, true);
	struct hs h;

	hs_open(&h, pe, sctx);
	hs_run(&h);
	assert_int_equal(h.rs, 0);
	assert_string_equal(peer(h.s, TLS_AUTH_PSK), "pe-2");
	hs_close(&h);
	hs_open(&h, pu, sctx);
	hs_run(&h);
	assert_int_equal(h.rs, 0);
	assert_int_equal(h.rc, 0);
	assert_null(peer(h.s, TLS_AUTH_NONE));
	hs_close(&h);
	hs_open(&h, pe7, sctx);
	hs_run(&h);
	assert_int_equal(h.rs, 0);
	assert_string_equal(peer(h.s, TLS_AUTH_CERT), "pe-7.example");
	hs_close(&h);
	tls_ctx_free(sctx);
	tls_ctx_free(pe);
	tls_ctx_free(pu);
	tls_ctx_free(pe7);
}

/* --- plaintext and TLS on the wrong port ------------------------------ */

/* An ASAP REGISTRATION's header: type 0x01, flags, length. */
static const uint8_t asap_msg[8] = { 0x01, 0x00, 0x00, 0x08, 0, 0, 0, 0 };

static void
test_plaintext_on_tls_port(void **state)
{
	struct tls_ctx *sctx = psk_server(), *cctx = psk_client("pe2.psk");
	struct hs h;
	uint8_t buf[16];

	hs_open(&h, NULL, sctx);
	assert_int_equal(tls_handshake(h.s), TLS_WANT_READ);
	assert_int_equal(write(h.fd[0], asap_msg, sizeof(asap_msg)),
	    (ssize_t)sizeof(asap_msg));
	assert_int_equal(tls_handshake(h.s), -EPROTO);
	expect_fail(h.s, TLS_FAIL_PLAINTEXT, "first byte 0x01");
	/* Nothing was consumed or answered. */
	assert_int_equal(read(h.fd[0], buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	hs_close(&h);

	/* A TLS client whose server answers in plaintext. */
	hs_open(&h, cctx, NULL);
	assert_int_equal(tls_handshake(h.c), TLS_WANT_READ);
	assert_int_equal(write(h.fd[1], asap_msg, sizeof(asap_msg)),
	    (ssize_t)sizeof(asap_msg));
	assert_int_equal(tls_handshake(h.c), -EPROTO);
	expect_fail(h.c, TLS_FAIL_PLAINTEXT, "does not speak TLS");
	hs_close(&h);

	/* A client that connects and closes says so. */
	hs_open(&h, NULL, sctx);
	shutdown(h.fd[0], SHUT_WR);
	assert_int_equal(tls_handshake(h.s), -EPROTO);
	expect_fail(h.s, TLS_FAIL_CLOSED, NULL);
	hs_close(&h);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

static void
test_tls_on_plain_port(void **state)
{
	struct tls_ctx *cctx = cert_client(FX_NAME, false);
	struct hs h;
	uint8_t buf[4096];
	ssize_t n;

	hs_open(&h, cctx, NULL);
	assert_int_equal(tls_handshake(h.c), TLS_WANT_READ);
	n = read(h.fd[1], buf, sizeof(buf));
	assert_true(n > 6);
	assert_true(tls_looks_like_hello(buf, (size_t)n));
	assert_true(tls_looks_like_hello(buf, 1));
	assert_true(tls_looks_like_hello(buf, 2));
	assert_false(tls_looks_like_hello(asap_msg, sizeof(asap_msg)));
	assert_false(tls_looks_like_hello(asap_msg, 1));
	assert_false(tls_looks_like_hello(buf, 0));
	/* A handshake record that is not a ClientHello. */
	buf[5] = 0x02;
	assert_false(tls_looks_like_hello(buf, 6));
	buf[1] = 0x01;
	assert_false(tls_looks_like_hello(buf, 2));
	hs_close(&h);
	tls_ctx_free(cctx);
}

/* --- reload, resumption, key log, pending ------------------------------ */

static void
test_reload(void **state)
{
	struct tls_config cfg = {
		.role = TLS_SERVER, .psk_file = fx_path("server.psk"),
	};
	struct tls_ctx *sctx = fx_ctx_new(&cfg), *old = psk_client("pe2.psk");
	struct tls_ctx *neu;
	struct hs h, h2;
	char err[256];

	hs_open(&h, old, sctx);
	hs_run(&h);
	assert_int_equal(h.rs, 0);

	/* pe-2's key changes: a failed reload keeps the running context. */
	fx_write_file("server.psk", "pe-2 " FX_KEY_A "\n", 0644);
	assert_int_equal(tls_ctx_reload(&sctx, &cfg, err, sizeof(err)),
	    -EACCES);
	assert_non_null(strstr(err, "chmod 600"));
	hs_open(&h2, old, sctx);
	hs_run(&h2);
	assert_int_equal(h2.rs, 0);
	hs_close(&h2);

	assert_int_equal(chmod(fx_path("server.psk"), 0600), 0);
	assert_int_equal(tls_ctx_reload(&sctx, &cfg, err, sizeof(err)), 0);
	/* The established session still works, both ways. */
	xfer(h.c, h.s, "HANDLE_UPDATE");
	xfer(h.s, h.c, "HANDLE_UPDATE_ACK");
	/* New handshakes use the new key. */
	hs_open(&h2, old, sctx);
	hs_run(&h2);
	expect_fail(h2.s, TLS_FAIL_PSK_BAD_KEY, "pe-2");
	hs_close(&h2);
	neu = psk_client("pe2-wrong.psk");	/* now the right one */
	hs_open(&h2, neu, sctx);
	hs_run(&h2);
	assert_int_equal(h2.rs, 0);
	assert_string_equal(peer(h2.s, TLS_AUTH_PSK), "pe-2");
	hs_close(&h2);
	xfer(h.c, h.s, "still here");
	hs_close(&h);
	tls_ctx_free(neu);
	tls_ctx_free(old);
	tls_ctx_free(sctx);
	fx_write_file("server.psk", "# registrar keys\n\npe-1 " FX_KEY_A "\n"
	    "pe-2\t" FX_KEY_B "   # the second PE\n" "enrp-2 " KEY_C "\n",
	    0600);
}

/* Make one connection on cctx, read the ticket, report resumption. */
static bool
connect_once(struct tls_ctx *cctx, struct tls_ctx *sctx, const char *sid)
{
	struct hs h;
	char buf[16];
	size_t n;
	bool resumed;

	hs_open(&h, cctx, sctx);
	hs_run(&h);
	assert_int_equal(h.rc, 0);
	assert_int_equal(h.rs, 0);
	resumed = tls_resumed(h.c);
	assert_int_equal(resumed, tls_resumed(h.s));
	if (sid != NULL)
		assert_string_equal(tls_peer_identity(h.s, NULL), sid);
	/* The client takes the NewSessionTicket with its first read. */
	assert_int_equal(tls_read(h.c, buf, sizeof(buf), &n), TLS_WANT_READ);
	hs_close(&h);
	return resumed;
}

static void
test_resumption(void **state)
{
	struct tls_config pc = {
		.role = TLS_CLIENT, .psk_file = fx_path("pe2.psk"),
		.resume = true,
	};
	struct tls_config cc = {
		.role = TLS_CLIENT, .ca_file = fx_path("ca.pem"),
		.server_name = FX_NAME, .resume = true,
	};
	struct tls_ctx *sp = psk_server(), *cp = fx_ctx_new(&pc);
	struct tls_ctx *sc = cert_server("server", TLS_CLIENT_CERT_NONE);
	struct tls_ctx *ccert = fx_ctx_new(&cc);

	assert_false(connect_once(cp, sp, "pe-2"));
	/* The PSK identity survives resumption (carried in the ticket). */
	assert_true(connect_once(cp, sp, "pe-2"));
	assert_true(connect_once(cp, sp, "pe-2"));
	assert_false(connect_once(ccert, sc, NULL));
	assert_true(connect_once(ccert, sc, NULL));
	assert_true(connect_once(ccert, sc, NULL));
	/* A ticket of another server context is not taken. */
	tls_ctx_free(sc);
	sc = cert_server("server", TLS_CLIENT_CERT_NONE);
	assert_false(connect_once(ccert, sc, NULL));
	/* The client certificate's name survives resumption. */
	tls_ctx_free(sc);
	tls_ctx_free(ccert);
	sc = cert_server("server", TLS_CLIENT_CERT_REQUIRE);
	cc.cert_file = fx_path("client.pem");
	cc.key_file = fx_path("client.key");
	ccert = fx_ctx_new(&cc);
	assert_false(connect_once(ccert, sc, "pe-7.example"));
	assert_true(connect_once(ccert, sc, "pe-7.example"));
	tls_ctx_free(sp);
	tls_ctx_free(cp);
	tls_ctx_free(sc);
	tls_ctx_free(ccert);
}

static int
count_lines(const char *file, const char *prefix)
{
	char line[512];
	FILE *fp = fopen(file, "r");
	int n = 0;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, prefix, strlen(prefix)) == 0 &&
		    line[strlen(line) - 1] == '\n')
			n++;
	fclose(fp);
	return n;
}

static void
test_keylog(void **state)
{
	struct tls_config scfg = {
		.role = TLS_SERVER, .psk_file = fx_path("server.psk"),
		.keylog_file = fx_path("keylog"),
	};
	struct tls_ctx *sctx = fx_ctx_new(&scfg), *cctx, *sctx2;
	struct stat st;
	struct hs h;

	/* The client takes its file from the environment. */
	assert_int_equal(setenv("SSLKEYLOGFILE", fx_path("keylog-env"), 1), 0);
	cctx = psk_client("pe2.psk");
	assert_int_equal(unsetenv("SSLKEYLOGFILE"), 0);
	sctx2 = psk_server();	/* no key log */
	hs_open(&h, cctx, sctx);
	hs_run(&h);
	assert_int_equal(h.rs, 0);
	hs_close(&h);
	hs_open(&h, cctx, sctx2);
	hs_run(&h);
	assert_int_equal(h.rs, 0);
	hs_close(&h);
	/* Server: one connection; client: two. */
	assert_int_equal(count_lines(fx_path("keylog"),
	    "CLIENT_HANDSHAKE_TRAFFIC_SECRET "), 1);
	assert_int_equal(count_lines(fx_path("keylog"),
	    "SERVER_TRAFFIC_SECRET_0 "), 1);
	assert_int_equal(count_lines(fx_path("keylog"), "EXPORTER_SECRET "), 1);
	assert_int_equal(count_lines(fx_path("keylog-env"),
	    "CLIENT_TRAFFIC_SECRET_0 "), 2);
	assert_int_equal(stat(fx_path("keylog"), &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
	tls_ctx_free(sctx2);
}

static void
test_pending(void **state)
{
	struct tls_ctx *sctx = psk_server(), *cctx = psk_client("pe2.psk");
	struct hs h;
	char buf[64];
	size_t n;

	hs_open(&h, cctx, sctx);
	hs_run(&h);
	assert_int_equal(h.rs, 0);
	assert_int_equal(tls_pending(h.s), 0);
	assert_int_equal(tls_write(h.c, "0123456789", 10, &n), 0);
	/* Read 4 of 10: the rest is inside the session, not the socket. */
	assert_int_equal(tls_read(h.s, buf, 4, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(tls_pending(h.s), 6);
	assert_int_equal(recv(h.fd[1], buf, sizeof(buf), MSG_PEEK), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(tls_read(h.s, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "456789", 6);
	assert_int_equal(tls_pending(h.s), 0);
	/* close_notify reads as end of stream; a bare close as a reset. */
	tls_shutdown(h.c);
	assert_int_equal(tls_read(h.s, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 0);
	shutdown(h.fd[1], SHUT_RDWR);
	assert_int_equal(tls_read(h.c, buf, sizeof(buf), &n), -ECONNRESET);
	hs_close(&h);

	/* Writing to a peer gone away: -EPIPE, and no SIGPIPE kills us. */
	hs_open(&h, cctx, sctx);
	hs_run(&h);
	assert_int_equal(h.rs, 0);
	close(h.fd[1]);
	h.fd[1] = -1;
	signal(SIGPIPE, SIG_DFL);
	assert_int_equal(tls_write(h.c, "late", 4, &n), -EPIPE);
	signal(SIGPIPE, SIG_IGN);
	hs_close(&h);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

/* A client expecting a certificate meets a PSK-only server. */
static void
test_psk_missing(void **state)
{
	struct tls_ctx *sctx = psk_server();
	struct tls_ctx *cctx = cert_client(FX_NAME, false);
	struct hs h;

	hs_open(&h, cctx, sctx);
	hs_run(&h);
	assert_int_equal(h.rs, -EPROTO);
	assert_int_equal(h.rc, -EPROTO);
	expect_fail(h.s, TLS_FAIL_PSK_MISSING, "no PSK");
	expect_fail(h.c, TLS_FAIL_OTHER, "only takes PSKs");
	hs_close(&h);
	tls_ctx_free(cctx);
	tls_ctx_free(sctx);
}

/*
 * A TLS 1.2-only client (plain OpenSSL) against a server that requires
 * TLS 1.3, and one that allows 1.2.
 */
static void
test_version(void **state)
{
	struct tls_config cfg = {
		.role = TLS_SERVER, .cert_file = fx_path("server.pem"),
		.key_file = fx_path("server.key"),
	};
	struct tls_ctx *sctx[2];
	SSL_CTX *old = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	struct hs h;
	int i, k, r;

	sctx[0] = fx_ctx_new(&cfg);
	cfg.allow_tls12 = true;
	sctx[1] = fx_ctx_new(&cfg);
	assert_non_null(old);
	assert_true(SSL_CTX_set_max_proto_version(old, TLS1_2_VERSION));
	for (k = 0; k < 2; k++) {
		hs_open(&h, NULL, sctx[k]);
		ssl = SSL_new(old);
		assert_non_null(ssl);
		assert_true(SSL_set_fd(ssl, h.fd[0]));
		SSL_set_connect_state(ssl);
		r = -1;
		for (i = 0; i < 20 && h.rs > 0; i++) {
			r = SSL_do_handshake(ssl);
			h.rs = tls_handshake(h.s);
		}
		if (k == 0) {
			assert_int_equal(h.rs, -EPROTO);
			expect_fail(h.s, TLS_FAIL_VERSION, "no common TLS version");
		} else {
			assert_int_equal(h.rs, 0);
			r = SSL_do_handshake(ssl);
			assert_int_equal(r, 1);
			assert_int_equal(SSL_version(ssl), TLS1_2_VERSION);
		}
		SSL_free(ssl);
		ERR_clear_error();
		hs_close(&h);
		tls_ctx_free(sctx[k]);
	}
	SSL_CTX_free(old);
}

static void
test_fail_names(void **state)
{
	int f;

	for (f = 0; f < TLS_FAIL_MAX; f++)
		assert_non_null(tls_fail_name(f));
	assert_string_equal(tls_fail_name(TLS_FAIL_PSK_BAD_KEY), "psk_bad_key");
	assert_string_equal(tls_fail_name(TLS_FAIL_MAX + 3), "other");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psk_ok),
		cmocka_unit_test(test_psk_unknown_identity),
		cmocka_unit_test(test_psk_bad_key),
		cmocka_unit_test(test_psk_missing),
		cmocka_unit_test(test_key_files_refused),
		cmocka_unit_test(test_cert_ok),
		cmocka_unit_test(test_cert_wrong_name),
		cmocka_unit_test(test_cert_expired),
		cmocka_unit_test(test_cert_unknown_ca),
		cmocka_unit_test(test_client_cert),
		cmocka_unit_test(test_mixed_server),
		cmocka_unit_test(test_plaintext_on_tls_port),
		cmocka_unit_test(test_tls_on_plain_port),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_resumption),
		cmocka_unit_test(test_keylog),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_fail_names),
	};

	return cmocka_run_group_tests(tests, group_setup, fx_group_teardown);
}
