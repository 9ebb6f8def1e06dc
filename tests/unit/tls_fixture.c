/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS client tests' fixture (see tls_fixture.h): a test PKI written
 * with OpenSSL at test time, and a non-blocking fake registrar, plaintext
 * or TLS, that the tests step from their own loops.
 */
#define _GNU_SOURCE	/* accept4 */
#include <dirent.h>
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "codec.h"
#include "rserpool.h"
#include "tls_fixture.h"

static char dir[64];

const char *
fx_path(const char *name)
{
	static char buf[8][128];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

int
fx_dir_make(const char *prefix)
{
	snprintf(dir, sizeof(dir), "/tmp/%s.XXXXXX", prefix);
	return mkdtemp(dir) != NULL ? 0 : -1;
}

int
fx_dir_remove(void)
{
	struct dirent *de;
	DIR *d;

	if (dir[0] == '\0')
		return 0;
	if (getenv("TEST_TLS_KEEP") != NULL) {	/* for debugging */
		fprintf(stderr, "kept %s\n", dir);
		return 0;
	}
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	return rmdir(dir) == 0 ? 0 : -1;
}

void
fx_write_file(const char *name, const char *text, mode_t mode)
{
	FILE *fp = fopen(fx_path(name), "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(fx_path(name), mode), 0);
}

EVP_PKEY *
fx_key_new(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
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

X509 *
fx_cert_new(const char *cn, const char *san, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *ikey, long not_before, long not_after)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), not_before);
	X509_gmtime_adj(X509_getm_notAfter(x), not_after);
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

void
fx_write_cert(const char *name, X509 *x)
{
	FILE *fp = fopen(fx_path(name), "w");

	assert_non_null(fp);
	assert_true(PEM_write_X509(fp, x));
	assert_int_equal(fclose(fp), 0);
}

void
fx_write_key(const char *name, EVP_PKEY *k, mode_t mode)
{
	FILE *fp = fopen(fx_path(name), "w");

	assert_non_null(fp);
	assert_true(PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL));
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(fx_path(name), mode), 0);
}

X509 *
fx_make_ca(const char *file, const char *cn, EVP_PKEY **ret_key)
{
	EVP_PKEY *k = fx_key_new();
	X509 *ca = fx_cert_new(cn, NULL, k, NULL, NULL, -FX_DAY,
	    365 * FX_DAY);

	fx_write_cert(file, ca);
	*ret_key = k;
	return ca;
}

void
fx_make_leaf(const char *name, const char *cn, const char *san, X509 *ca,
    EVP_PKEY *cakey, long not_before, long not_after)
{
	char f[64];
	EVP_PKEY *k = fx_key_new();
	X509 *x = fx_cert_new(cn, san, k, ca, cakey, not_before, not_after);

	snprintf(f, sizeof(f), "%s.pem", name);
	fx_write_cert(f, x);
	snprintf(f, sizeof(f), "%s.key", name);
	fx_write_key(f, k, 0600);
	X509_free(x);
	EVP_PKEY_free(k);
}

static const char *const files[] = {
	"ca.pem", "server.pem", "server.key", "client.pem", "client.key",
	"server.psk", "server-b.psk", "pe1.psk", "pe1-wrong.psk", "open.psk",
	"keylog",
};

int
fx_pki_make(void)
{
	EVP_PKEY *cakey;
	X509 *ca;

	if (fx_dir_make("test_tls_client") != 0)
		return -1;
	cakey = fx_key_new();
	ca = fx_cert_new("anypool test CA", NULL, cakey, NULL, NULL, -FX_DAY,
	    30 * FX_DAY);
	fx_write_cert("ca.pem", ca);
	fx_make_leaf("server", FX_NAME, "DNS:" FX_NAME, ca, cakey, -FX_DAY,
	    30 * FX_DAY);
	fx_make_leaf("client", "pe-7", "DNS:pe-7.example", ca, cakey, -FX_DAY,
	    30 * FX_DAY);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	fx_write_file("server.psk", "pe-1 " FX_KEY_A "\n", 0600);
	fx_write_file("server-b.psk", "pe-1 " FX_KEY_B "\n", 0600);
	fx_write_file("pe1.psk", "pe-1 " FX_KEY_A "\n", 0600);
	fx_write_file("pe1-wrong.psk", "pe-1 " FX_KEY_B "\n", 0600);
	fx_write_file("open.psk", "pe-1 " FX_KEY_A "\n", 0644);
	return 0;
}

void
fx_pki_remove(void)
{
	size_t i;

	if (getenv("TEST_TLS_KEEP") != NULL)
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(fx_path(files[i]));
	rmdir(dir);
}

int
fx_group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	return fx_pki_make();
}

int
fx_group_teardown(void **state)
{
	(void)state;
	return fx_dir_remove();
}

struct tls_ctx *
fx_ctx_new(const struct tls_config *cfg)
{
	struct tls_ctx *ctx = NULL;
	char err[256];
	int r = tls_ctx_new(cfg, &ctx, err, sizeof(err));

	if (r != 0)
		fail_msg("tls_ctx_new: %d %s", r, err);
	return ctx;
}

void
fx_pe_make(struct rsp_pe *pe)
{
	memset(pe, 0, sizeof(*pe));
	pe->id = 0x1234;
	pe->life = 30000;
	pe->user.type = RSP_PARAM_TCP_TRANSPORT;
	pe->user.port = 7000;
	pe->user.use = RSP_TRANSPORT_USE_DATA_CONTROL;
	pe->user.naddr = 1;
	rsp_addr_v4(&pe->user.addr[0], INADDR_LOOPBACK);
	pe->policy.type = RSP_POLICY_ROUND_ROBIN;
}

struct tls_ctx *
fx_server_ctx(const char *psk, const char *cert, const char *key,
    const char *ca)
{
	struct tls_config cfg = {
		.role = TLS_SERVER,
		.allow_tls12 = true,
		.client_cert = ca != NULL ? TLS_CLIENT_CERT_OPTIONAL :
		    TLS_CLIENT_CERT_NONE,
	};
	struct tls_ctx *ctx = NULL;
	char err[256];

	cfg.psk_file = psk != NULL ? fx_path(psk) : NULL;
	cfg.cert_file = cert != NULL ? fx_path(cert) : NULL;
	cfg.key_file = key != NULL ? fx_path(key) : NULL;
	cfg.ca_file = ca != NULL ? fx_path(ca) : NULL;
	if (tls_ctx_new(&cfg, &ctx, err, sizeof(err)) != 0)
		fail_msg("server tls_ctx_new: %s", err);
	return ctx;
}

/* The fake registrar ------------------------------------------------------ */

void
fx_reg_start(struct fx_reg *r, struct tls_ctx *tls)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	size_t i;

	memset(r, 0, sizeof(*r));
	r->tls = tls;
	for (i = 0; i < FX_CONNS; i++)
		r->c[i].fd = -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(r->lfd >= 0);
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(r->lfd, 16), 0);
	assert_int_equal(getsockname(r->lfd, (struct sockaddr *)&sin, &sl), 0);
	r->port = ntohs(sin.sin_port);
}

static void
conn_close(struct fx_reg *r, size_t i)
{
	tls_conn_free(r->c[i].t);
	r->c[i].t = NULL;
	if (r->c[i].fd >= 0)
		close(r->c[i].fd);
	r->c[i].fd = -1;
	r->c[i].up = false;
	r->c[i].rxlen = 0;
}

void
fx_reg_drop(struct fx_reg *r)
{
	size_t i;

	for (i = 0; i < FX_CONNS; i++)
		conn_close(r, i);
}

void
fx_reg_stop(struct fx_reg *r)
{
	fx_reg_drop(r);
	if (r->lfd >= 0)
		close(r->lfd);
	r->lfd = -1;
	tls_ctx_free(r->tls);
	r->tls = NULL;
}

size_t
fx_reg_fds(const struct fx_reg *r, int *fds, size_t max)
{
	size_t i, n = 0;

	if (r->lfd >= 0 && !r->hold && n < max)
		fds[n++] = r->lfd;
	for (i = 0; i < FX_CONNS; i++)
		if (r->c[i].fd >= 0 && n < max)
			fds[n++] = r->c[i].fd;
	return n;
}

/* Write all of it (the answers are small; the socket buffer takes them). */
static void
conn_write(struct fx_reg *r, size_t i, const uint8_t *p, size_t len)
{
	size_t off = 0, n;
	ssize_t k;
	int rc;

	while (off < len) {
		if (r->c[i].t != NULL) {
			rc = tls_write(r->c[i].t, p + off, len - off, &n);
			if (rc == TLS_WANT_WRITE || rc == TLS_WANT_READ)
				continue;
			assert_int_equal(rc, 0);
			off += n;
		} else {
			k = send(r->c[i].fd, p + off, len - off, MSG_NOSIGNAL);
			if (k < 0 && errno == EAGAIN)
				continue;
			assert_true(k > 0);
			off += (size_t)k;
		}
	}
}

static void
answer(struct fx_reg *r, size_t i, const struct rsp_msg *m)
{
	uint8_t buf[1024];
	struct rsp_pe pe;
	struct wbuf w;
	size_t s;

	wbuf_init(&w, buf, sizeof(buf));
	if (m->type == ASAP_HANDLE_RESOLUTION) {
		r->resolutions++;
		fx_pe_make(&pe);
		s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
		rsp_put_handle(&w, m->handle.p, m->handle.len);
		rsp_put_policy(&w, &(struct rsp_policy){
		    .type = RSP_POLICY_ROUND_ROBIN });
		rsp_put_pe(&w, &pe);
		if (m->has_regid)
			rsp_put_regid(&w, FX_SERVER_ID, FX_NODE,
			    strlen(FX_NODE));
		rsp_put_msg_end(&w, s);
	} else if (m->type == ASAP_REGISTRATION) {
		r->registrations++;
		s = rsp_put_msg_begin(&w, ASAP_REGISTRATION_RESPONSE, 0);
		rsp_put_handle(&w, m->handle.p, m->handle.len);
		rsp_put_pe_id(&w, m->pe.id);
		rsp_put_msg_end(&w, s);
	} else {
		return;		/* deregistration and the rest: silence */
	}
	assert_false(w.err);
	conn_write(r, i, w.p, w.len);
}

/* Frame and answer what is in the buffer. */
static void
conn_consume(struct fx_reg *r, size_t i)
{
	struct rsp_msg m;
	struct rsp_err err;
	long n;

	for (;;) {
		n = rsp_frame(r->c[i].rx, r->c[i].rxlen);
		if (n < 0) {
			conn_close(r, i);
			return;
		}
		if (n == 0 || (size_t)n > r->c[i].rxlen)
			return;
		if (rsp_decode(RSP_PROTO_ASAP, r->c[i].rx, (size_t)n, NULL, &m,
		    &err) != 0) {
			conn_close(r, i);
			return;
		}
		if (r->c[i].t == NULL)
			r->asap_seen = true;
		answer(r, i, &m);
		memmove(r->c[i].rx, r->c[i].rx + n, r->c[i].rxlen - (size_t)n);
		r->c[i].rxlen -= (size_t)n;
	}
}

static void
conn_step(struct fx_reg *r, size_t i)
{
	const char *id;
	uint8_t first;
	ssize_t k;
	size_t n;
	int rc;

	if (r->c[i].t != NULL && !r->c[i].up) {
		if (recv(r->c[i].fd, &first, 1, MSG_PEEK | MSG_DONTWAIT) == 1 &&
		    (first < 0x14 || first > 0x17)) {	/* not a record */
			r->non_tls_bytes = true;
			if (first >= 1 && first <= 0x0f)
				r->clear_asap = true;	/* an ASAP type */
		}
		rc = tls_handshake(r->c[i].t);
		if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE)
			return;
		if (rc != 0) {
			r->hs_fail++;
			r->last_fail = tls_conn_fail(r->c[i].t, NULL);
			conn_close(r, i);
			return;
		}
		r->hs_ok++;
		r->c[i].up = true;
		id = tls_peer_identity(r->c[i].t, &r->peer_auth);
		snprintf(r->peer_id, sizeof(r->peer_id), "%s",
		    id != NULL ? id : "");
	}
	for (;;) {
		if (r->c[i].t != NULL) {
			rc = tls_read(r->c[i].t, r->c[i].rx + r->c[i].rxlen,
			    sizeof(r->c[i].rx) - r->c[i].rxlen, &n);
			if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE)
				return;
			if (rc < 0 || n == 0) {
				conn_close(r, i);
				return;
			}
		} else {
			k = recv(r->c[i].fd, r->c[i].rx + r->c[i].rxlen,
			    sizeof(r->c[i].rx) - r->c[i].rxlen, MSG_DONTWAIT);
			if (k < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (k <= 0) {
				conn_close(r, i);
				return;
			}
			n = (size_t)k;
		}
		r->c[i].rxlen += n;
		conn_consume(r, i);
		if (r->c[i].fd < 0)
			return;
		if (r->c[i].rxlen == sizeof(r->c[i].rx)) {
			conn_close(r, i);
			return;
		}
	}
}

void
fx_reg_step(struct fx_reg *r)
{
	size_t i;
	int fd;

	while (!r->hold && (fd = accept4(r->lfd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < FX_CONNS; i++)
			if (r->c[i].fd < 0)
				break;
		if (i == FX_CONNS) {
			close(fd);
			continue;
		}
		r->accepted++;
		r->c[i].fd = fd;
		if (r->tls != NULL)
			assert_int_equal(tls_conn_new(r->tls, fd, &r->c[i].t),
			    0);
		else
			r->c[i].up = true;
	}
	for (i = 0; i < FX_CONNS; i++)
		if (r->c[i].fd >= 0)
			conn_step(r, i);
}
