/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS engine of ASAP and ENRP connections (RFC 5352 §9, RFC 5353 §6)
 * on OpenSSL 3: owns the SSL_CTX built from the configured files (TLS 1.3
 * external PSKs looked up by identity, certificate chain and private key,
 * CA store, RFC 6125 host check, key log), its reference count across
 * reloads, and each connection's SSL object on a non-blocking socket with
 * the mapping of a failed handshake to one reason an operator understands.
 * The connection layer (conn.c) owns the sockets and the event loop.
 */
#define _GNU_SOURCE	/* secure_getenv */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "tls.h"

#define PSK_ID_MAX	128
#define PSK_KEY_MIN	16
#define PSK_KEY_MAX	48	/* SSL_MAX_MASTER_KEY_LENGTH */
#define PSK_MAX		65536	/* entries in one key file */

struct tls_psk {
	char		*identity;
	unsigned char	 key[PSK_KEY_MAX];
	size_t		 keylen;
};

struct tls_ctx {
	int		 refs;
	enum tls_role	 role;
	SSL_CTX		*ssl;
	struct tls_psk	*psk;
	size_t		 npsk;
	const struct tls_psk *client_psk;	/* client: the one offered */
	bool		 has_cert;
	char		*server_name;		/* client, cert mode */
	bool		 server_name_ip;
	bool		 resume;
	SSL_SESSION	*last;			/* client: last ticket */
	bool		 idle_release;		/* tls_release_buffers() frees */
	int		 keylog_fd;
	BIO_METHOD	*bio;			/* socket BIO without SIGPIPE */
};

struct tls_conn {
	struct tls_ctx	*ctx;
	SSL		*ssl;
	int		 fd;
	bool		 peeked;		/* server: record header checked */
	bool		 done;
	bool		 failed;
	/* PSK bookkeeping from the callbacks. */
	bool		 psk_offered;		/* server: client offered one */
	bool		 psk_unknown;		/* server: an identity not known */
	bool		 psk_ok;		/* authenticated with psk_id */
	bool		 psk_cert_fallback;	/* client: server sent a cert */
	bool		 ticket_ok;		/* server: resumed from a ticket */
	bool		 resumed;
	char		 psk_id[PSK_ID_MAX + 1];
	enum tls_auth	 auth;
	char		*peer_id;
	enum tls_fail	 fail;
	char		 fail_text[384];
	/*
	 * Batched I/O (tls_batch_begin .. tls_batch_end): bytes the caller
	 * received for the session, taken by its reads before the socket
	 * (in; carry owns them once the batch is over), and the records its
	 * writes made meanwhile, kept for the caller's send (out).
	 */
	const uint8_t	*in;
	size_t		 inlen;
	long		 inres;			/* the caller's recv() result */
	bool		 inmore;		/* it filled its buffer */
	bool		 batch;			/* between begin and end */
	uint8_t		*carry;
	uint8_t		*out;
	size_t		 outlen, outcap;
};

/* Records kept for a batch's send before the session sends them itself. */
#define TLS_OUT_MAX	16384

/* TLS_AES_128_GCM_SHA256: the suite (and hash) of the external PSKs. */
static const unsigned char tls13_aes128gcmsha256_id[] = { 0x13, 0x01 };

static const char *const fail_names[TLS_FAIL_MAX] = {
	[TLS_FAIL_NONE] = "none",
	[TLS_FAIL_PSK_UNKNOWN_IDENTITY] = "psk_unknown_identity",
	[TLS_FAIL_PSK_BAD_KEY] = "psk_bad_key",
	[TLS_FAIL_PSK_MISSING] = "psk_missing",
	[TLS_FAIL_CERT_NAME] = "cert_name",
	[TLS_FAIL_CERT_EXPIRED] = "cert_expired",
	[TLS_FAIL_CERT_UNKNOWN_CA] = "cert_unknown_ca",
	[TLS_FAIL_CERT_INVALID] = "cert_invalid",
	[TLS_FAIL_NO_CERT] = "no_cert",
	[TLS_FAIL_PLAINTEXT] = "plaintext",
	[TLS_FAIL_VERSION] = "version",
	[TLS_FAIL_CLOSED] = "closed",
	[TLS_FAIL_OTHER] = "other",
};

const char *
tls_fail_name(enum tls_fail f)
{
	if ((unsigned)f >= TLS_FAIL_MAX)
		return "other";
	return fail_names[f];
}

/* Copy what a peer sent for a log line: printable ASCII only, bounded. */
static void
printable_copy(char *dst, size_t dstlen, const unsigned char *src, size_t len)
{
	size_t i, n = len < dstlen - 1 ? len : dstlen - 1;

	for (i = 0; i < n; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[n] = '\0';
}

static bool
printable(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return false;
	return true;
}

static void
ssl_errstr(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		buf[0] = '\0';
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

static int
errf(char *err, size_t errlen, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
errf(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* An error from OpenSSL while loading path. */
static int
errssl(char *err, size_t errlen, const char *path, const char *what)
{
	char e[256];

	ssl_errstr(e, sizeof(e));
	return errf(err, errlen, -EINVAL, "%s: %s%s%s", path, what,
	    e[0] ? ": " : "", e);
}

/*
 * Open a file holding secrets: it must be a regular file owned by us or
 * root that neither group nor others can read or write.  fstat() on the
 * open descriptor, so the file checked is the file read.
 */
static int
open_secret(const char *path, FILE **ret, char *err, size_t errlen)
{
	struct stat st;
	FILE *fp;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		r = -errno;
		return errf(err, errlen, r, "%s: %s", path, strerror(-r));
	}
	if (fstat(fd, &st) == -1) {
		r = -errno;
		errf(err, errlen, r, "%s: %s", path, strerror(-r));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		r = errf(err, errlen, -EINVAL, "%s: not a regular file", path);
		goto out_close;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		r = errf(err, errlen, -EACCES,
		    "%s: owned by uid %u, not by uid %u or root; chown it",
		    path, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out_close;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		r = errf(err, errlen, -EACCES,
		    "%s: readable by others (mode %04o); chmod 600", path,
		    (unsigned)(st.st_mode & 07777));
		goto out_close;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		r = errf(err, errlen, -EACCES,
		    "%s: writable by others (mode %04o); chmod 600", path,
		    (unsigned)(st.st_mode & 07777));
		goto out_close;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		r = -errno;
		errf(err, errlen, r, "%s: %s", path, strerror(-r));
		goto out_close;
	}
	*ret = fp;
	return 0;
out_close:
	close(fd);
	return r;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static void
psk_free_all(struct tls_psk *psk, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(psk[i].identity);
		OPENSSL_cleanse(psk[i].key, sizeof(psk[i].key));
	}
	free(psk);
}

static const struct tls_psk *
psk_find(const struct tls_psk *psk, size_t n, const unsigned char *id,
    size_t idlen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(psk[i].identity) == idlen &&
		    memcmp(psk[i].identity, id, idlen) == 0)
			return &psk[i];
	return NULL;
}

static const struct tls_psk *
psk_lookup(const struct tls_ctx *ctx, const unsigned char *id, size_t idlen)
{
	return psk_find(ctx->psk, ctx->npsk, id, idlen);
}

/* Parse one "identity hex-key" line (comment already cut) into p. */
static int
psk_parse_line(char *line, const char *path, unsigned lineno,
    struct tls_psk *p, char *err, size_t errlen)
{
	char *id, *hex, *extra, *save = NULL;
	size_t i, n;
	int hi, lo;

	id = strtok_r(line, " \t\r\n", &save);
	hex = strtok_r(NULL, " \t\r\n", &save);
	extra = strtok_r(NULL, " \t\r\n", &save);
	if (hex == NULL || extra != NULL)
		return errf(err, errlen, -EINVAL,
		    "%s:%u: expected \"identity hex-key\"", path, lineno);
	n = strlen(id);
	if (n > PSK_ID_MAX)
		return errf(err, errlen, -EINVAL,
		    "%s:%u: identity longer than %d characters", path, lineno,
		    PSK_ID_MAX);
	if (!printable((const unsigned char *)id, n))
		return errf(err, errlen, -EINVAL,
		    "%s:%u: identity is not printable ASCII", path, lineno);
	n = strlen(hex);
	if (n % 2 != 0)
		return errf(err, errlen, -EINVAL,
		    "%s:%u: key has an odd number of hex digits", path, lineno);
	if (n / 2 < PSK_KEY_MIN || n / 2 > PSK_KEY_MAX)
		return errf(err, errlen, -EINVAL,
		    "%s:%u: key of %zu bytes; %d to %d bytes (%d to %d hex "
		    "digits) required", path, lineno, n / 2, PSK_KEY_MIN,
		    PSK_KEY_MAX, 2 * PSK_KEY_MIN, 2 * PSK_KEY_MAX);
	for (i = 0; i < n / 2; i++) {
		hi = hexval((unsigned char)hex[2 * i]);
		lo = hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return errf(err, errlen, -EINVAL,
			    "%s:%u: key is not hexadecimal", path, lineno);
		p->key[i] = (unsigned char)(hi << 4 | lo);
	}
	p->keylen = n / 2;
	OPENSSL_cleanse(hex, n);
	if ((p->identity = strdup(id)) == NULL)
		return -ENOMEM;
	return 0;
}

static int
psk_load(struct tls_ctx *ctx, const char *path, char *err, size_t errlen)
{
	struct tls_psk *psk = NULL, *np, p;
	size_t n = 0, cap = 0, linecap = 0;
	char *line = NULL, *hash;
	unsigned lineno = 0;
	FILE *fp;
	int r;

	if ((r = open_secret(path, &fp, err, errlen)) != 0)
		return r;
	while (getline(&line, &linecap, fp) != -1) {
		lineno++;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		memset(&p, 0, sizeof(p));
		if ((r = psk_parse_line(line, path, lineno, &p, err,
		    errlen)) != 0) {
			OPENSSL_cleanse(&p, sizeof(p));
			goto out;
		}
		if (psk_find(psk, n, (const unsigned char *)p.identity,
		    strlen(p.identity)) != NULL) {
			r = errf(err, errlen, -EINVAL,
			    "%s:%u: identity \"%s\" listed twice", path,
			    lineno, p.identity);
			free(p.identity);
			OPENSSL_cleanse(&p, sizeof(p));
			goto out;
		}
		if (n == cap) {
			if (cap >= PSK_MAX) {
				r = errf(err, errlen, -EINVAL,
				    "%s:%u: more than %d keys", path, lineno,
				    PSK_MAX);
				free(p.identity);
				goto out;
			}
			cap = cap ? cap * 2 : 8;
			if ((np = reallocarray(psk, cap, sizeof(*psk))) ==
			    NULL) {
				r = -ENOMEM;
				free(p.identity);
				goto out;
			}
			psk = np;
		}
		psk[n++] = p;
		OPENSSL_cleanse(&p, sizeof(p));
	}
	if (ferror(fp)) {
		r = -EIO;
		errf(err, errlen, r, "%s: read error", path);
		goto out;
	}
	if (n == 0) {
		r = errf(err, errlen, -EINVAL, "%s: no keys", path);
		goto out;
	}
	ctx->psk = psk;
	ctx->npsk = n;
	psk = NULL;
	r = 0;
out:
	if (r != 0)
		psk_free_all(psk, n);
	if (line != NULL) {
		OPENSSL_cleanse(line, linecap);
		free(line);
	}
	fclose(fp);
	return r;
}

/* A TLS 1.3 session carrying an external PSK. */
static SSL_SESSION *
psk_session(SSL *ssl, const struct tls_psk *p)
{
	const SSL_CIPHER *cipher;
	SSL_SESSION *s;

	cipher = SSL_CIPHER_find(ssl, tls13_aes128gcmsha256_id);
	if (cipher == NULL || (s = SSL_SESSION_new()) == NULL)
		return NULL;
	if (!SSL_SESSION_set1_master_key(s, p->key, p->keylen) ||
	    !SSL_SESSION_set_cipher(s, cipher) ||
	    !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		return NULL;
	}
	return s;
}

/* Server: the client offers identity; find its key. */
static int
psk_find_cb(SSL *ssl, const unsigned char *id, size_t idlen,
    SSL_SESSION **sess)
{
	struct tls_conn *c = SSL_get_app_data(ssl);
	const struct tls_psk *p;

	*sess = NULL;
	c->psk_offered = true;
	if ((p = psk_lookup(c->ctx, id, idlen)) == NULL) {
		/*
		 * Resumption tickets come here first too: binary, so only
		 * what could be a name from a key file counts as unknown.
		 */
		if (idlen > 0 && idlen <= PSK_ID_MAX && printable(id, idlen)) {
			c->psk_unknown = true;
			printable_copy(c->psk_id, sizeof(c->psk_id), id,
			    idlen);
		}
		return 1;
	}
	if ((*sess = psk_session(ssl, p)) == NULL)
		return 0;
	c->psk_unknown = false;
	c->psk_ok = true;
	snprintf(c->psk_id, sizeof(c->psk_id), "%s", p->identity);
	return 1;
}

/* Client: offer our identity and key. */
static int
psk_use_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
    size_t *idlen, SSL_SESSION **sess)
{
	struct tls_conn *c = SSL_get_app_data(ssl);
	const struct tls_psk *p = c->ctx->client_psk;
	const SSL_CIPHER *cipher;

	*id = NULL;
	*idlen = 0;
	*sess = NULL;
	cipher = SSL_CIPHER_find(ssl, tls13_aes128gcmsha256_id);
	if (cipher == NULL)
		return 0;
	/* After a HelloRetryRequest: only if the suite's hash matches. */
	if (md != NULL && EVP_MD_get_type(md) !=
	    EVP_MD_get_type(SSL_CIPHER_get_handshake_digest(cipher)))
		return 1;
	if ((*sess = psk_session(ssl, p)) == NULL)
		return 0;
	*id = (const unsigned char *)p->identity;
	*idlen = strlen(p->identity);
	snprintf(c->psk_id, sizeof(c->psk_id), "%s", p->identity);
	return 1;
}

/*
 * A PSK client never authenticates by certificate: a server that answers
 * with one did not accept our identity.
 */
static int
psk_client_verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;

	if (c != NULL)
		c->psk_cert_fallback = true;
	X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

/*
 * Server: a ticket issued after a PSK handshake carries the identity, so
 * that a resumed session knows who it is (a certificate rides in the
 * session itself).
 */
static int
ticket_gen_cb(SSL *ssl, void *arg)
{
	struct tls_conn *c = SSL_get_app_data(ssl);
	SSL_SESSION *s = SSL_get0_session(ssl);

	if (c != NULL && s != NULL && c->psk_ok)
		return SSL_SESSION_set1_ticket_appdata(s, c->psk_id,
		    strlen(c->psk_id));
	return 1;
}

static SSL_TICKET_RETURN
ticket_dec_cb(SSL *ssl, SSL_SESSION *s, const unsigned char *keyname,
    size_t keynamelen, SSL_TICKET_STATUS status, void *arg)
{
	struct tls_conn *c = SSL_get_app_data(ssl);
	void *data = NULL;
	size_t len = 0;

	switch (status) {
	case SSL_TICKET_SUCCESS:
	case SSL_TICKET_SUCCESS_RENEW:
		if (c != NULL) {
			c->ticket_ok = true;
			c->psk_unknown = false;
		}
		if (c != NULL && SSL_SESSION_get0_ticket_appdata(s, &data,
		    &len) && len > 0) {
			printable_copy(c->psk_id, sizeof(c->psk_id), data, len);
			c->psk_ok = true;
		}
		return status == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE :
		    SSL_TICKET_RETURN_USE_RENEW;
	case SSL_TICKET_EMPTY:
	case SSL_TICKET_NO_DECRYPT:
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	default:
		return SSL_TICKET_RETURN_IGNORE;
	}
}

/* Client: keep the newest ticket for the next connection. */
static int
new_session_cb(SSL *ssl, SSL_SESSION *s)
{
	struct tls_conn *c = SSL_get_app_data(ssl);
	SSL_SESSION *copy;

	if (c == NULL || !c->ctx->resume || !SSL_SESSION_is_resumable(s))
		return 0;
	/*
	 * A copy: SSL_free() without close_notify marks the connection's
	 * own session not resumable, and connections often end so.
	 */
	if ((copy = SSL_SESSION_dup(s)) == NULL)
		return 0;
	SSL_SESSION_free(c->ctx->last);
	c->ctx->last = copy;
	return 0;
}

static void
keylog_cb(const SSL *ssl, const char *line)
{
	struct tls_ctx *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	struct iovec iov[2];

	if (ctx == NULL || ctx->keylog_fd == -1)
		return;
	iov[0].iov_base = (void *)line;
	iov[0].iov_len = strlen(line);
	iov[1].iov_base = (void *)"\n";
	iov[1].iov_len = 1;
	/* Best effort: a debugging aid must not break a connection. */
	(void)!writev(ctx->keylog_fd, iov, 2);
}

/*
 * The session's socket BIO, ours rather than BIO_s_socket(): that one
 * writes with write(), and a peer gone away would raise SIGPIPE (library
 * code must not kill its process), so we send(MSG_NOSIGNAL); and on
 * OpenSSL 3.0 every record costs a BIO_read or BIO_write plus about ten
 * BIO_ctrl() calls (flush, kernel-TLS queries), which the socket BIO
 * answers through a long switch and we answer with little more than a
 * return.  The BIO's data is the session (struct tls_conn), whose
 * descriptor it uses and never closes; during a batch it reads what the
 * caller received and keeps what it writes (tls_batch_begin()).
 */
static inline struct tls_conn *
bio_conn(BIO *b)
{
	return BIO_get_data(b);
}

/* Send what the batch kept: 0 (all of it, or the socket is full), -1. */
static int
out_send(struct tls_conn *c)
{
	ssize_t n;

	while (c->outlen > 0) {
		n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL);
		if (n < 0)
			return BIO_sock_non_fatal_error(errno) ? 0 : -1;
		tls_out_consume(c, (size_t)n);
	}
	return 0;
}

/*
 * A batch: keep the record for the caller's send.  0, or -EAGAIN (the
 * socket takes none of what is kept and there is no more room), -ENOMEM,
 * -errno of a failed send.
 */
static int
out_keep(struct tls_conn *c, const char *buf, size_t len)
{
	if (c->outlen > 0 && c->outlen + len > TLS_OUT_MAX) {
		if (out_send(c) != 0)
			return -errno;
		if (c->outlen > 0)
			return -EAGAIN;
	}
	if (buf_reserve(&c->out, &c->outcap, c->outlen + len) != 0)
		return -ENOMEM;
	memcpy(c->out + c->outlen, buf, len);
	c->outlen += len;
	return 0;
}

static int
bio_sock_write(BIO *b, const char *buf, int len)
{
	struct tls_conn *c = bio_conn(b);
	ssize_t n;
	int e;

	BIO_clear_retry_flags(b);
	if (c->batch) {
		if ((e = out_keep(c, buf, (size_t)len)) == 0)
			return len;
		errno = -e;
		if (e == -EAGAIN)
			BIO_set_retry_write(b);
		return -1;
	}
	/* What a batch kept goes first. */
	if (c->outlen > 0) {
		if (out_send(c) != 0)
			return -1;
		if (c->outlen > 0) {
			BIO_set_retry_write(b);
			errno = EAGAIN;
			return -1;
		}
	}
	n = send(c->fd, buf, (size_t)len, MSG_NOSIGNAL);
	if (n < 0 && BIO_sock_non_fatal_error(errno))
		BIO_set_retry_write(b);
	return (int)n;
}

/* Bytes a batch received and the session has not taken: gone now. */
static void
in_taken(struct tls_conn *c, size_t n)
{
	c->in += n;
	c->inlen -= n;
	if (c->inlen == 0 && c->carry != NULL) {
		free(c->carry);
		c->carry = NULL;
	}
}

static int
bio_sock_read(BIO *b, char *buf, int len)
{
	struct tls_conn *c = bio_conn(b);
	ssize_t n;

	if (buf == NULL)
		return 0;
	BIO_clear_retry_flags(b);
	if (c->inlen > 0) {
		n = (size_t)len < c->inlen ? len : (ssize_t)c->inlen;
		memcpy(buf, c->in, (size_t)n);
		in_taken(c, (size_t)n);
		return (int)n;
	}
	if (c->batch && !c->inmore) {
		/* The batch's recv() said what the socket had: no call. */
		n = c->inres;
		if (n > 0)
			c->inres = -EAGAIN;	/* said once; EOF, errors stay */
		if (n == 0) {
			BIO_set_flags(b, BIO_FLAGS_IN_EOF);
			return 0;
		}
		errno = n < 0 ? (int)-n : EAGAIN;
		if (BIO_sock_non_fatal_error(errno))
			BIO_set_retry_read(b);
		return -1;
	}
	n = read(c->fd, buf, (size_t)len);
	if (n < 0 && BIO_sock_non_fatal_error(errno))
		BIO_set_retry_read(b);
	else if (n == 0)	/* what BIO_eof() reports to libssl */
		BIO_set_flags(b, BIO_FLAGS_IN_EOF);
	return (int)n;
}

static long
bio_sock_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	switch (cmd) {
	case BIO_C_GET_FD:
		if (!BIO_get_init(b))
			return -1;
		if (ptr != NULL)
			*(int *)ptr = bio_conn(b)->fd;
		return bio_conn(b)->fd;
	case BIO_CTRL_EOF:
		return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
	case BIO_CTRL_FLUSH:	/* nothing is buffered here */
	case BIO_CTRL_DUP:
		return 1;
	default:		/* kernel TLS queries and the rest: no */
		(void)num;
		return 0;
	}
}

static int
bio_sock_puts(BIO *b, const char *str)
{
	return bio_sock_write(b, str, (int)strlen(str));
}

static BIO_METHOD *
bio_method_new(void)
{
	BIO_METHOD *m;

	/* A socket BIO by type (BIO_get_new_index() would run out after
	 * a hundred reloads). */
	m = BIO_meth_new(BIO_TYPE_SOCKET, "anypool socket");
	if (m == NULL)
		return NULL;
	if (!BIO_meth_set_write(m, bio_sock_write) ||
	    !BIO_meth_set_read(m, bio_sock_read) ||
	    !BIO_meth_set_puts(m, bio_sock_puts) ||
	    !BIO_meth_set_ctrl(m, bio_sock_ctrl)) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

static int
no_passphrase_cb(char *buf, int size, int rwflag, void *arg)
{
	return -1;
}

static int
load_cert_key(struct tls_ctx *ctx, const struct tls_config *cfg, char *err,
    size_t errlen)
{
	EVP_PKEY *key;
	FILE *fp;
	int r;

	if (cfg->key_file == NULL)
		return errf(err, errlen, -EINVAL,
		    "a certificate needs its private key file");
	if (access(cfg->cert_file, R_OK) == -1) {
		r = -errno;
		return errf(err, errlen, r, "%s: %s", cfg->cert_file,
		    strerror(-r));
	}
	if (SSL_CTX_use_certificate_chain_file(ctx->ssl, cfg->cert_file) != 1)
		return errssl(err, errlen, cfg->cert_file,
		    "cannot load certificate chain");
	if ((r = open_secret(cfg->key_file, &fp, err, errlen)) != 0)
		return r;
	key = PEM_read_PrivateKey(fp, NULL, no_passphrase_cb, NULL);
	fclose(fp);
	if (key == NULL)
		return errssl(err, errlen, cfg->key_file,
		    "cannot load private key (PEM, without passphrase)");
	r = SSL_CTX_use_PrivateKey(ctx->ssl, key);
	EVP_PKEY_free(key);
	if (r != 1)
		return errssl(err, errlen, cfg->key_file,
		    "private key does not match the certificate or cannot "
		    "be used");
	if (SSL_CTX_check_private_key(ctx->ssl) != 1)
		return errssl(err, errlen, cfg->key_file,
		    "private key does not match the certificate");
	ctx->has_cert = true;
	return 0;
}

static int
load_ca(struct tls_ctx *ctx, const char *path, bool client_list, char *err,
    size_t errlen)
{
	STACK_OF(X509_NAME) *names;
	int r;

	if (access(path, R_OK) == -1) {
		r = -errno;
		return errf(err, errlen, r, "%s: %s", path, strerror(-r));
	}
	if (SSL_CTX_load_verify_locations(ctx->ssl, path, NULL) != 1)
		return errssl(err, errlen, path, "cannot load CA certificates");
	if (client_list) {
		if ((names = SSL_load_client_CA_file(path)) == NULL)
			return errssl(err, errlen, path,
			    "no CA certificate names");
		SSL_CTX_set_client_CA_list(ctx->ssl, names);
	}
	return 0;
}

static bool
is_ip_literal(const char *name)
{
	ASN1_OCTET_STRING *ip;

	if ((ip = a2i_IPADDRESS(name)) == NULL) {
		ERR_clear_error();
		return false;
	}
	ASN1_OCTET_STRING_free(ip);
	return true;
}

/* SSL_free_buffers() checks that nothing is pending: 3.0.14, 3.1.6, 3.2.2,
 * 3.3.1 and later (CVE-2024-4741). */
static bool
free_buffers_safe(void)
{
	unsigned long v = OpenSSL_version_num() >> 4;	/* 0xMNN00PP */

	if (v >= 0x3040000)
		return true;
	if (v >= 0x3030000)
		return v >= 0x3030001;
	if (v >= 0x3020000)
		return v >= 0x3020002;
	if (v >= 0x3010000)
		return v >= 0x3010006;
	return v >= 0x300000e;
}

static int
ctx_build(struct tls_ctx *ctx, const struct tls_config *cfg, char *err,
    size_t errlen)
{
	const char *keylog;
	size_t i;
	int r, mode;

	if ((ctx->bio = bio_method_new()) == NULL)
		return errssl(err, errlen, "TLS", "cannot create socket BIO");
	ctx->ssl = SSL_CTX_new(cfg->role == TLS_SERVER ? TLS_server_method() :
	    TLS_client_method());
	if (ctx->ssl == NULL)
		return errssl(err, errlen, "TLS", "cannot create context");
	SSL_CTX_set_app_data(ctx->ssl, ctx);
	if (!SSL_CTX_set_min_proto_version(ctx->ssl, cfg->allow_tls12 ?
	    TLS1_2_VERSION : TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx->ssl, TLS1_3_VERSION))
		return errssl(err, errlen, "TLS", "cannot set versions");
	SSL_CTX_set_options(ctx->ssl, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	/*
	 * The server picks the suite before it looks at PSKs, and uses a PSK
	 * only with a suite of its hash: SHA-256 suites first.  AES-128-GCM
	 * before ChaCha20-Poly1305: with OpenSSL 3.0 on AES-NI hardware a
	 * small record costs less CPU (a request and its answer measured on
	 * the benchmark machine: 13.1 against 15.3 microseconds for both ends).
	 */
	if (!SSL_CTX_set_ciphersuites(ctx->ssl, "TLS_AES_128_GCM_SHA256:"
	    "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384"))
		return errssl(err, errlen, "TLS", "cannot set cipher suites");
	/*
	 * Idle associations are the common case and must not hold the
	 * session's buffers (about 34 KB): busy ones keep them (freeing and
	 * allocating them around every record is a tenth of a small record's
	 * cost), the owner releases those of idle ones
	 * (tls_release_buffers()).  An OpenSSL whose SSL_free_buffers() may
	 * free a buffer still in use (CVE-2024-4741) releases them after
	 * every record instead.
	 */
	ctx->idle_release = free_buffers_safe();
	SSL_CTX_set_mode(ctx->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	    (ctx->idle_release ? 0 : SSL_MODE_RELEASE_BUFFERS));
	/*
	 * Read what the socket has in one read(), not a record header and
	 * then its body in two: a request costs as many system calls as in
	 * plaintext.  What is read ahead shows in tls_pending().
	 */
	SSL_CTX_set_read_ahead(ctx->ssl, 1);
	/* Clients keep one ticket (new_session_cb); the server issues one. */
	if (cfg->role == TLS_SERVER) {
		SSL_CTX_set_num_tickets(ctx->ssl, 1);
		if (!SSL_CTX_set_session_id_context(ctx->ssl,
		    (const unsigned char *)"anypool", 7) ||
		    !SSL_CTX_set_session_ticket_cb(ctx->ssl, ticket_gen_cb,
		    ticket_dec_cb, NULL))
			return errssl(err, errlen, "TLS",
			    "cannot set up session tickets");
	} else {
		SSL_CTX_set_session_cache_mode(ctx->ssl, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx->ssl, new_session_cb);
	}
	ctx->resume = cfg->resume;

	if (cfg->psk_file != NULL &&
	    (r = psk_load(ctx, cfg->psk_file, err, errlen)) != 0)
		return r;
	if (cfg->cert_file != NULL &&
	    (r = load_cert_key(ctx, cfg, err, errlen)) != 0)
		return r;

	if (cfg->role == TLS_SERVER) {
		if (ctx->npsk == 0 && !ctx->has_cert)
			return errf(err, errlen, -EINVAL,
			    "a TLS server needs a PSK file or a certificate");
		if (ctx->npsk > 0)
			SSL_CTX_set_psk_find_session_callback(ctx->ssl,
			    psk_find_cb);
		if (cfg->client_cert != TLS_CLIENT_CERT_NONE) {
			if (cfg->ca_file == NULL)
				return errf(err, errlen, -EINVAL,
				    "client certificates need a CA file");
			if ((r = load_ca(ctx, cfg->ca_file, true, err,
			    errlen)) != 0)
				return r;
			mode = SSL_VERIFY_PEER;
			if (cfg->client_cert == TLS_CLIENT_CERT_REQUIRE)
				mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
			SSL_CTX_set_verify(ctx->ssl, mode, NULL);
		}
	} else if (ctx->npsk > 0) {
		if (cfg->psk_identity != NULL) {
			ctx->client_psk = psk_lookup(ctx,
			    (const unsigned char *)cfg->psk_identity,
			    strlen(cfg->psk_identity));
			if (ctx->client_psk == NULL)
				return errf(err, errlen, -EINVAL,
				    "%s: no key for identity \"%s\"",
				    cfg->psk_file, cfg->psk_identity);
		} else if (ctx->npsk == 1) {
			ctx->client_psk = &ctx->psk[0];
		} else
			return errf(err, errlen, -EINVAL,
			    "%s: %zu keys; say which identity to use",
			    cfg->psk_file, ctx->npsk);
		/* TLS 1.3 only: external PSKs are a TLS 1.3 mechanism here. */
		if (!SSL_CTX_set_min_proto_version(ctx->ssl, TLS1_3_VERSION))
			return errssl(err, errlen, "TLS", "cannot set versions");
		SSL_CTX_set_psk_use_session_callback(ctx->ssl, psk_use_cb);
		SSL_CTX_set_verify(ctx->ssl, SSL_VERIFY_PEER,
		    psk_client_verify_cb);
		/* Only the one key is needed from here on. */
		for (i = 0; i < ctx->npsk; i++)
			if (&ctx->psk[i] != ctx->client_psk)
				OPENSSL_cleanse(ctx->psk[i].key,
				    sizeof(ctx->psk[i].key));
	} else {
		if (cfg->ca_file == NULL || cfg->server_name == NULL)
			return errf(err, errlen, -EINVAL, "a TLS client needs a "
			    "PSK file, or a CA file and the server's name");
		if ((r = load_ca(ctx, cfg->ca_file, false, err, errlen)) != 0)
			return r;
		if ((ctx->server_name = strdup(cfg->server_name)) == NULL)
			return -ENOMEM;
		ctx->server_name_ip = is_ip_literal(cfg->server_name);
		SSL_CTX_set_verify(ctx->ssl, SSL_VERIFY_PEER, NULL);
	}

	keylog = cfg->keylog_file ? cfg->keylog_file :
	    secure_getenv("SSLKEYLOGFILE");
	if (keylog != NULL && keylog[0] != '\0') {
		ctx->keylog_fd = open(keylog, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC | O_NOCTTY, 0600);
		if (ctx->keylog_fd == -1) {
			r = -errno;
			return errf(err, errlen, r, "%s: %s", keylog,
			    strerror(-r));
		}
		SSL_CTX_set_keylog_callback(ctx->ssl, keylog_cb);
	}
	return 0;
}

int
tls_ctx_new(const struct tls_config *cfg, struct tls_ctx **ret, char *err,
    size_t errlen)
{
	struct tls_ctx *ctx;
	int r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return errf(err, errlen, -ENOMEM, "out of memory");
	ctx->refs = 1;
	ctx->role = cfg->role;
	ctx->keylog_fd = -1;
	ERR_clear_error();
	if ((r = ctx_build(ctx, cfg, err, errlen)) != 0) {
		if (r == -ENOMEM && err != NULL && errlen > 0 && !err[0])
			errf(err, errlen, r, "out of memory");
		tls_ctx_free(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

void
tls_ctx_free(struct tls_ctx *ctx)
{
	if (ctx == NULL || --ctx->refs > 0)
		return;
	SSL_CTX_free(ctx->ssl);
	psk_free_all(ctx->psk, ctx->npsk);
	SSL_SESSION_free(ctx->last);
	free(ctx->server_name);
	if (ctx->keylog_fd != -1)
		close(ctx->keylog_fd);
	BIO_meth_free(ctx->bio);
	free(ctx);
}

int
tls_ctx_reload(struct tls_ctx **cur, const struct tls_config *cfg,
    char *err, size_t errlen)
{
	struct tls_ctx *ctx;
	int r;

	if ((r = tls_ctx_new(cfg, &ctx, err, errlen)) != 0)
		return r;
	tls_ctx_free(*cur);
	*cur = ctx;
	return 0;
}

int
tls_conn_new(struct tls_ctx *ctx, int fd, struct tls_conn **ret)
{
	struct tls_conn *c;
	SSL *ssl;
	BIO *bio;

	if (ctx == NULL || fd < 0)
		return -EINVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	ERR_clear_error();
	if ((ssl = SSL_new(ctx->ssl)) == NULL)
		goto out_nomem;
	c->ssl = ssl;
	c->fd = fd;
	c->ctx = ctx;
	SSL_set_app_data(ssl, c);
	if ((bio = BIO_new(ctx->bio)) == NULL)
		goto out_nomem;
	BIO_set_data(bio, c);		/* the fd is c's; never closed here */
	BIO_set_init(bio, 1);
	SSL_set_bio(ssl, bio, bio);
	if (ctx->role == TLS_SERVER) {
		SSL_set_accept_state(ssl);
	} else {
		SSL_set_connect_state(ssl);
		if (ctx->server_name != NULL) {
			/* RFC 5352 §9.2: the SAN, never the subject's CN. */
			SSL_set_hostflags(ssl,
			    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
			    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
			if (ctx->server_name_ip) {
				if (!X509_VERIFY_PARAM_set1_ip_asc(
				    SSL_get0_param(ssl), ctx->server_name))
					goto out_nomem;
			} else if (!SSL_set1_host(ssl, ctx->server_name) ||
			    !SSL_set_tlsext_host_name(ssl, ctx->server_name))
				goto out_nomem;
		}
		if (ctx->resume && ctx->last != NULL &&
		    !SSL_set_session(ssl, ctx->last))
			goto out_nomem;
	}
	ctx->refs++;
	*ret = c;
	return 0;
out_nomem:
	ERR_clear_error();
	SSL_free(c->ssl);
	free(c);
	return -ENOMEM;
}

void
tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	tls_ctx_free(c->ctx);
	free(c->peer_id);
	free(c->carry);
	free(c->out);
	free(c);
}

static void
fail_set(struct tls_conn *c, enum tls_fail f, const char *detail,
    const char *sslerr)
{
	c->failed = true;
	c->fail = f;
	snprintf(c->fail_text, sizeof(c->fail_text), "%s%s%s%s", detail,
	    sslerr && sslerr[0] ? " (" : "", sslerr ? sslerr : "",
	    sslerr && sslerr[0] ? ")" : "");
}

/* Map a certificate verification result to a reason. */
static enum tls_fail
verify_reason(long v)
{
	switch (v) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
	case X509_V_ERR_EMAIL_MISMATCH:
		return TLS_FAIL_CERT_NAME;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_CRL_HAS_EXPIRED:
		return TLS_FAIL_CERT_EXPIRED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return TLS_FAIL_CERT_UNKNOWN_CA;
	default:
		return TLS_FAIL_CERT_INVALID;
	}
}

/* A handshake failed: find the one reason and the line that says it. */
static void
fail_classify(struct tls_conn *c, int sslerr, int saved_errno)
{
	unsigned long e = ERR_peek_last_error();
	int reason = ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : 0;
	bool server = c->ctx->role == TLS_SERVER;
	bool psk_client = !server && c->ctx->client_psk != NULL;
	long v = SSL_get_verify_result(c->ssl);
	char es[256], d[256];

	ssl_errstr(es, sizeof(es));
	if (server && c->psk_unknown && !c->psk_ok) {
		snprintf(d, sizeof(d), "unknown PSK identity \"%s\"",
		    c->psk_id);
		fail_set(c, TLS_FAIL_PSK_UNKNOWN_IDENTITY, d, es);
	} else if (reason == SSL_R_BINDER_DOES_NOT_VERIFY) {
		snprintf(d, sizeof(d), "wrong key for PSK identity \"%s\"",
		    c->psk_id);
		fail_set(c, TLS_FAIL_PSK_BAD_KEY, d, es);
	} else if (psk_client && c->psk_cert_fallback) {
		snprintf(d, sizeof(d), "server did not accept PSK identity "
		    "\"%s\"", c->psk_id);
		fail_set(c, TLS_FAIL_PSK_UNKNOWN_IDENTITY, d, es);
	} else if (psk_client && (reason == SSL_R_TLSV1_ALERT_DECRYPT_ERROR ||
	    reason == SSL_R_SSLV3_ALERT_ILLEGAL_PARAMETER)) {
		/* OpenSSL's server answers a bad binder with the latter. */
		snprintf(d, sizeof(d), "server rejected the key of PSK "
		    "identity \"%s\"", c->psk_id);
		fail_set(c, TLS_FAIL_PSK_BAD_KEY, d, es);
	} else if (psk_client && (reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE
	    || reason == SSL_R_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY)) {
		snprintf(d, sizeof(d), "server did not accept PSK identity "
		    "\"%s\"", c->psk_id);
		fail_set(c, TLS_FAIL_PSK_UNKNOWN_IDENTITY, d, es);
	} else if (!server && !psk_client &&
	    reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE) {
		fail_set(c, TLS_FAIL_OTHER, "server refused the handshake "
		    "(a server that only takes PSKs?)", es);
	} else if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED &&
	    v != X509_V_OK) {
		if (verify_reason(v) == TLS_FAIL_CERT_NAME && !server)
			snprintf(d, sizeof(d), "certificate verify failed: "
			    "not for \"%s\": %s", c->ctx->server_name,
			    X509_verify_cert_error_string(v));
		else
			snprintf(d, sizeof(d), "certificate verify failed: "
			    "%s", X509_verify_cert_error_string(v));
		fail_set(c, verify_reason(v), d, es);
	} else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
		fail_set(c, TLS_FAIL_NO_CERT, "client sent no certificate",
		    es);
	} else if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED) {
		fail_set(c, TLS_FAIL_NO_CERT,
		    "server requires a client certificate", es);
	} else if (reason == SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED) {
		fail_set(c, TLS_FAIL_CERT_EXPIRED,
		    "peer rejected our certificate: expired", es);
	} else if (reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA) {
		fail_set(c, TLS_FAIL_CERT_UNKNOWN_CA,
		    "peer rejected our certificate: unknown CA", es);
	} else if (reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE) {
		fail_set(c, TLS_FAIL_CERT_INVALID, "peer rejected our "
		    "certificate (bad certificate: wrong name?)", es);
	} else if (server && !c->psk_offered && !c->ctx->has_cert) {
		fail_set(c, TLS_FAIL_PSK_MISSING, "client offered no PSK "
		    "and this server has no certificate", es);
	} else if (reason == SSL_R_UNSUPPORTED_PROTOCOL ||
	    reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
	    reason == SSL_R_VERSION_TOO_LOW) {
		fail_set(c, TLS_FAIL_VERSION, "no common TLS version", es);
	} else if (reason == SSL_R_WRONG_VERSION_NUMBER ||
	    reason == SSL_R_UNKNOWN_PROTOCOL || reason == SSL_R_HTTP_REQUEST ||
	    reason == SSL_R_PACKET_LENGTH_TOO_LONG) {
		fail_set(c, TLS_FAIL_PLAINTEXT,
		    "peer does not speak TLS (a plaintext port?)", es);
	} else if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING ||
	    (sslerr == SSL_ERROR_SYSCALL && e == 0)) {
		fail_set(c, TLS_FAIL_CLOSED, saved_errno ?
		    strerror(saved_errno) : "peer closed the connection "
		    "during the handshake", es);
	} else if (sslerr == SSL_ERROR_SYSCALL) {
		fail_set(c, TLS_FAIL_OTHER, strerror(saved_errno), es);
	} else {
		fail_set(c, TLS_FAIL_OTHER, "handshake failed", es);
	}
}

static char *
cert_identity(X509 *x)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	X509_NAME *subj;
	X509_NAME_ENTRY *ne;
	unsigned char *utf8 = NULL;
	char buf[256];
	int i, n;

	buf[0] = '\0';
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_DNS)
			continue;
		printable_copy(buf, sizeof(buf),
		    ASN1_STRING_get0_data(g->d.dNSName),
		    (size_t)ASN1_STRING_length(g->d.dNSName));
		break;
	}
	GENERAL_NAMES_free(gens);
	if (buf[0] == '\0' && (subj = X509_get_subject_name(x)) != NULL &&
	    (i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1)) >= 0 &&
	    (ne = X509_NAME_get_entry(subj, i)) != NULL &&
	    (n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(ne))) >
	    0) {
		printable_copy(buf, sizeof(buf), utf8, (size_t)n);
		OPENSSL_free(utf8);
	}
	ERR_clear_error();
	return buf[0] ? strdup(buf) : NULL;
}

static void
conn_identify(struct tls_conn *c)
{
	X509 *x;

	if (c->psk_ok || (c->ctx->role == TLS_CLIENT &&
	    c->ctx->client_psk != NULL)) {
		if (c->ctx->role == TLS_CLIENT)
			snprintf(c->psk_id, sizeof(c->psk_id), "%s",
			    c->ctx->client_psk->identity);
		c->auth = TLS_AUTH_PSK;
		c->peer_id = strdup(c->psk_id);
	} else if ((x = SSL_get0_peer_certificate(c->ssl)) != NULL) {
		c->auth = TLS_AUTH_CERT;
		c->peer_id = cert_identity(x);
	}
	if (c->peer_id == NULL)
		c->auth = TLS_AUTH_NONE;
}

int
tls_handshake(struct tls_conn *c)
{
	unsigned char hdr[6];
	char d[128];
	ssize_t n;
	int r, e, saved;

	if (c->done)
		return 0;
	if (c->failed)
		return -EPROTO;
	if (c->ctx->role == TLS_SERVER && !c->peeked) {
		/* Plaintext ASAP/ENRP begins with a type below 0x16. */
		n = recv(c->fd, hdr, sizeof(hdr), MSG_PEEK);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return TLS_WANT_READ;
			saved = errno;
			fail_set(c, TLS_FAIL_CLOSED, strerror(saved), NULL);
			return -saved;
		}
		if (n == 0) {
			fail_set(c, TLS_FAIL_CLOSED, "peer closed the "
			    "connection before the handshake", NULL);
			return -EPROTO;
		}
		if (!tls_looks_like_hello(hdr, (size_t)n)) {
			snprintf(d, sizeof(d), "first byte 0x%02x is not a TLS "
			    "handshake record: plaintext on the TLS port?",
			    hdr[0]);
			fail_set(c, TLS_FAIL_PLAINTEXT, d, NULL);
			return -EPROTO;
		}
		c->peeked = true;
	}
	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(c->ssl);
	saved = errno;
	if (r == 1) {
		c->done = true;
		/* Now: tickets arriving later replace the client's session. */
		c->resumed = SSL_session_reused(c->ssl) &&
		    (c->ctx->role == TLS_SERVER ? c->ticket_ok :
		    SSL_SESSION_has_ticket(SSL_get0_session(c->ssl)));
		conn_identify(c);
		return 0;
	}
	e = SSL_get_error(c->ssl, r);
	switch (e) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	default:
		fail_classify(c, e, saved);
		return -EPROTO;
	}
}

bool
tls_handshake_done(const struct tls_conn *c)
{
	return c->done;
}

enum tls_fail
tls_conn_fail(const struct tls_conn *c, const char **ret_text)
{
	if (ret_text != NULL)
		*ret_text = c->fail_text;
	return c->fail;
}

/* After SSL_read_ex/SSL_write_ex returned 0. */
static int
io_error(struct tls_conn *c, int r, int saved)
{
	unsigned long e;
	char es[256];

	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return saved ? -saved : -ECONNRESET;
	default:
		e = ERR_peek_last_error();
		ssl_errstr(es, sizeof(es));
		snprintf(c->fail_text, sizeof(c->fail_text), "%s", es);
		if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
		    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
			return -ECONNRESET;
		return -EPROTO;
	}
}

/*
 * SSL_get_error() needs an empty error queue before the call.  It is empty
 * on the data path nearly always, and OpenSSL 3.0's ERR_clear_error()
 * clears all of its slots regardless (about a tenth of the instructions
 * of a small record's read or write): look first.
 */
static inline void
err_clear_fast(void)
{
	if (ERR_peek_error() != 0)
		ERR_clear_error();
}

int
tls_read(struct tls_conn *c, void *buf, size_t len, size_t *ret_n)
{
	size_t n = 0;
	int r, saved;

	err_clear_fast();
	errno = 0;
	r = SSL_read_ex(c->ssl, buf, len, &n);
	saved = errno;
	if (r == 1) {
		*ret_n = n;
		return 0;
	}
	if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN) {
		*ret_n = 0;
		return 0;
	}
	return io_error(c, r, saved);
}

int
tls_write(struct tls_conn *c, const void *buf, size_t len, size_t *ret_n)
{
	size_t n = 0;
	int r, saved;

	if (len == 0) {
		*ret_n = 0;
		return 0;
	}
	err_clear_fast();
	errno = 0;
	r = SSL_write_ex(c->ssl, buf, len, &n);
	saved = errno;
	if (r == 1) {
		*ret_n = n;
		return 0;
	}
	if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
		return -EPIPE;
	return io_error(c, r, saved);
}

size_t
tls_pending(const struct tls_conn *c)
{
	int n = SSL_pending(c->ssl);

	if (n > 0)
		return (size_t)n;
	/* Bytes a batch received that the session has not read yet. */
	if (c->inlen > 0)
		return 1;
	/* A whole record read but not yet decrypted counts as well. */
	return SSL_has_pending(c->ssl) ? 1 : 0;
}

bool
tls_release_buffers(struct tls_conn *c)
{
	if (!c->ctx->idle_release || !c->done || c->failed ||
	    tls_pending(c) > 0)
		return false;
	if (c->outlen == 0) {
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
	/* 0: a record half read or half written; kept, tried next time. */
	return SSL_free_buffers(c->ssl) == 1;
}

int
tls_batch_begin(struct tls_conn *c, const void *in, size_t cap, long res)
{
	uint8_t *p;

	c->batch = true;
	c->inres = res;
	c->inmore = res > 0 && (size_t)res == cap;
	if (res <= 0)
		return 0;
	if (c->inlen == 0) {
		c->in = in;
		c->inlen = (size_t)res;
		return 0;
	}
	/* What the last batch left (carry) is read first. */
	if ((p = realloc(c->carry, c->inlen + (size_t)res)) == NULL)
		return -ENOMEM;
	memcpy(p + c->inlen, in, (size_t)res);
	c->carry = p;
	c->in = p;
	c->inlen += (size_t)res;
	return 0;
}

int
tls_batch_end(struct tls_conn *c)
{
	uint8_t *p;

	if (!c->batch)
		return 0;
	c->batch = false;
	if (c->inlen > 0 && c->carry == NULL) {
		/* Not taken (the session waits to write first): keep it. */
		if ((p = malloc(c->inlen)) == NULL) {
			c->inlen = 0;
			return -ENOMEM;
		}
		memcpy(p, c->in, c->inlen);
		c->carry = p;
		c->in = p;
	}
	return 0;
}

size_t
tls_out(const struct tls_conn *c, const void **ret_p)
{
	*ret_p = c->out;
	return c->outlen;
}

void
tls_out_consume(struct tls_conn *c, size_t n)
{
	if (n >= c->outlen) {
		c->outlen = 0;
		return;
	}
	memmove(c->out, c->out + n, c->outlen - n);
	c->outlen -= n;
}

int
tls_out_flush(struct tls_conn *c)
{
	if (c->batch || c->outlen == 0)
		return 0;
	return out_send(c) != 0 ? -errno : 0;
}

void
tls_shutdown(struct tls_conn *c)
{
	(void)tls_batch_end(c);	/* kept records go before close_notify */
	if (c->done && !c->failed) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
}

const char *
tls_peer_identity(const struct tls_conn *c, enum tls_auth *ret_auth)
{
	if (ret_auth != NULL)
		*ret_auth = c->done ? c->auth : TLS_AUTH_NONE;
	return c->done ? c->peer_id : NULL;
}

bool
tls_resumed(const struct tls_conn *c)
{
	return c->done && c->resumed;
}

bool
tls_looks_like_hello(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	/* TLSPlaintext: type 22 (handshake), version 3.x, length, then
	 * the handshake message type, 1 (client_hello). */
	if (len < 1 || p[0] != 0x16)
		return false;
	if (len >= 2 && p[1] != 0x03)
		return false;
	if (len >= 6 && p[5] != 0x01)
		return false;
	return true;
}
