/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS for ASAP and ENRP connections (RFC 5352 §9, RFC 5353 §6), on
 * OpenSSL 3: a context built from files (TLS 1.3 external PSKs with named
 * identities, a certificate chain and key, a CA for the peer's certificate,
 * the expected RFC 6125 name), reference-counted so that a SIGHUP reload can
 * replace it while connections keep the one they were made with; and a
 * session per non-blocking socket that handshakes, reads and writes with
 * want-read / want-write results for the event loop, and says in one word
 * and one line why a handshake failed.  No logging above debug, no exit.
 *
 * PSK key file: one "identity hex-key" per line; '#' starts a comment,
 * blank lines are ignored.  An identity is 1-128 printable ASCII characters
 * without spaces; a key is 16 to 48 bytes (32 to 96 hex digits).  The file
 * (and a private key file) must be owned by the running user or root and
 * not be readable or writable by group or others.
 */
#ifndef ANYPOOL_TLS_H
#define ANYPOOL_TLS_H

#include <stdbool.h>
#include <stddef.h>

enum tls_role {
	TLS_SERVER,
	TLS_CLIENT,
};

/* Whether a server asks for client certificates (cert handshakes only). */
enum tls_client_cert {
	TLS_CLIENT_CERT_NONE,		/* never asked for */
	TLS_CLIENT_CERT_OPTIONAL,	/* asked for; verified if sent */
	TLS_CLIENT_CERT_REQUIRE,	/* a cert handshake without one fails */
};

struct tls_config {
	enum tls_role	 role;
	bool		 allow_tls12;	/* minimum TLS 1.2 (certificates only) */
	/*
	 * PSK key file.  Server: every identity it accepts.  Client: the
	 * key of psk_identity (NULL: the file must hold exactly one).  A
	 * client with a PSK file authenticates with it and never accepts a
	 * certificate handshake instead.
	 */
	const char	*psk_file;
	const char	*psk_identity;
	/* PEM: certificate, then its chain; and its private key. */
	const char	*cert_file;
	const char	*key_file;
	/*
	 * PEM CA certificates.  Client: verifies the server (required for a
	 * client without PSK).  Server: verifies client certificates, asked
	 * for as client_cert says.
	 */
	const char	*ca_file;
	enum tls_client_cert client_cert;
	/* Client: the name the server's certificate must carry (RFC 6125:
	 * SAN dNSName, '*' only as a whole left-most label, never the
	 * subject CN; or an IP address: SAN iPAddress); also sent as SNI
	 * when it is a name. */
	const char	*server_name;
	/* Client: offer the session ticket of the last connection made on
	 * this context (TLS 1.3 resumption: no certificate, no key exchange
	 * signature). */
	bool		 resume;
	/* NSS key log (for Wireshark/tshark); NULL: $SSLKEYLOGFILE, if set. */
	const char	*keylog_file;
};

struct tls_ctx;
struct tls_conn;

/*
 * Build a context from cfg, reading every file now.  0, or -errno with a
 * one-line reason in err ("FILE: readable by others (mode 0644); chmod
 * 600", "FILE:3: key shorter than 16 bytes", ...): -EACCES (mode, owner),
 * -ENOENT and other open() errors, -EINVAL (contents, missing settings),
 * -ENOMEM.
 */
int	tls_ctx_new(const struct tls_config *cfg, struct tls_ctx **ret,
	    char *err, size_t errlen);
/* Drop the caller's reference; connections keep theirs.  NULL-safe. */
void	tls_ctx_free(struct tls_ctx *ctx);
/*
 * SIGHUP: build a new context from cfg and, on success, put it in *cur
 * and drop the old one (connections made on it keep working; new ones use
 * the new files).  On error *cur is unchanged and err says why.
 */
int	tls_ctx_reload(struct tls_ctx **cur, const struct tls_config *cfg,
	    char *err, size_t errlen);

/* Why a handshake failed: one word an operator and a counter can use. */
enum tls_fail {
	TLS_FAIL_NONE,
	TLS_FAIL_PSK_UNKNOWN_IDENTITY,	/* not in the key file / not accepted */
	TLS_FAIL_PSK_BAD_KEY,		/* known identity, other key */
	TLS_FAIL_PSK_MISSING,		/* server: no PSK offered, no cert here */
	TLS_FAIL_CERT_NAME,		/* certificate is for another name */
	TLS_FAIL_CERT_EXPIRED,		/* expired or not yet valid */
	TLS_FAIL_CERT_UNKNOWN_CA,	/* not issued by the configured CA */
	TLS_FAIL_CERT_INVALID,		/* any other verification failure */
	TLS_FAIL_NO_CERT,		/* a required certificate was not sent */
	TLS_FAIL_PLAINTEXT,		/* the peer does not speak TLS */
	TLS_FAIL_VERSION,		/* no common protocol version */
	TLS_FAIL_CLOSED,		/* peer closed during the handshake */
	TLS_FAIL_OTHER,
};
#define TLS_FAIL_MAX	(TLS_FAIL_OTHER + 1)

/* "psk_unknown_identity", ...: stable, for metrics labels and logs. */
const char *tls_fail_name(enum tls_fail f);

/* How the peer authenticated (after a completed handshake). */
enum tls_auth {
	TLS_AUTH_NONE,		/* a client without certificate */
	TLS_AUTH_PSK,		/* identity: the PSK identity */
	TLS_AUTH_CERT,		/* identity: first SAN dNSName, else CN */
};

/* Results of tls_handshake(), tls_read() and tls_write() besides 0. */
#define TLS_WANT_READ	1	/* call again when fd is readable */
#define TLS_WANT_WRITE	2	/* call again when fd is writable */

/*
 * A TLS session on connected, non-blocking socket fd (not owned: the
 * caller closes it after tls_conn_free()).  The session holds a reference
 * to ctx.  0, -ENOMEM, -EINVAL.
 */
int	tls_conn_new(struct tls_ctx *ctx, int fd, struct tls_conn **ret);
void	tls_conn_free(struct tls_conn *c);
/*
 * Drive the handshake: 0 when done, TLS_WANT_READ, TLS_WANT_WRITE, or
 * -EPROTO when it failed (tls_conn_fail() says why; the connection is
 * unusable: free it and close fd).  A server first peeks at the record
 * header and fails with TLS_FAIL_PLAINTEXT if it is not TLS.
 */
int	tls_handshake(struct tls_conn *c);
bool	tls_handshake_done(const struct tls_conn *c);
/* Why the handshake failed, and a line with the details (never NULL). */
enum tls_fail tls_conn_fail(const struct tls_conn *c, const char **ret_text);
/*
 * Read up to len bytes: 0 with *ret_n > 0 bytes, 0 with *ret_n == 0 on an
 * orderly close (close_notify), TLS_WANT_READ / TLS_WANT_WRITE,
 * -ECONNRESET when the peer went away without close_notify, -EPROTO on a
 * TLS error, -errno from the socket.
 */
int	tls_read(struct tls_conn *c, void *buf, size_t len, size_t *ret_n);
/*
 * Write up to len bytes (partial writes allowed): 0 with *ret_n written,
 * TLS_WANT_WRITE / TLS_WANT_READ (then call again with at least the same
 * bytes; the buffer may move), -EPIPE, -EPROTO, -errno.
 */
int	tls_write(struct tls_conn *c, const void *buf, size_t len,
	    size_t *ret_n);
/*
 * Bytes already read from the socket and held inside the session: epoll
 * will not report them, so a caller that stopped reading before
 * TLS_WANT_READ must read again while this is non-zero.
 */
size_t	tls_pending(const struct tls_conn *c);
/*
 * A connection gone idle: free the session's read and write buffers
 * (allocated again by the next read or write).  true: it holds none now;
 * false: kept (the handshake or a record is under way, or decrypted data
 * waits), or this OpenSSL frees them after every record by itself.
 */
bool	tls_release_buffers(struct tls_conn *c);
/* Send close_notify (best effort, non-blocking). */
void	tls_shutdown(struct tls_conn *c);
/*
 * Who the peer is, after the handshake: PSK identity or certificate name
 * (NUL-terminated, owned by c); NULL with TLS_AUTH_NONE.
 */
const char *tls_peer_identity(const struct tls_conn *c, enum tls_auth *ret_auth);
/* Whether the session was resumed from a ticket. */
bool	tls_resumed(const struct tls_conn *c);

/*
 * Whether the first bytes received on a connection look like a TLS
 * ClientHello record (0x16 0x03 ..., handshake type 1), judged on the
 * bytes there are (one is enough to tell an ASAP or ENRP message, whose
 * type is below 0x16).  For a plaintext port to detect a TLS client.
 */
bool	tls_looks_like_hello(const void *buf, size_t len);

/*
 * Batched I/O (issue 12/14): the caller receives for many sessions in one
 * system call (lib/iobatch.c) and sends their records in one more.
 * tls_batch_begin(): res is the caller's recv() on the session's socket
 * into in, cap bytes at most (bytes, 0 at the end, -errno).  Until
 * tls_batch_end(), the session's reads take those bytes first and then
 * report what that recv() said instead of calling read() again (unless
 * it filled all cap bytes: then read() on); its writes keep their records
 * for the caller (tls_out()) instead of sending them (beyond 16 KiB kept,
 * it sends what it holds first).  in must stay valid until
 * tls_batch_end(), which copies what the session has not read yet (it
 * counts in tls_pending()).  Outside a batch, kept records are sent
 * before any new one.  begin/end: 0 or -ENOMEM.
 */
int	tls_batch_begin(struct tls_conn *c, const void *in, size_t cap,
	    long res);
int	tls_batch_end(struct tls_conn *c);
/* Records kept for the caller's send: their length, and where. */
size_t	tls_out(const struct tls_conn *c, const void **ret_p);
/* The caller sent n of them. */
void	tls_out_consume(struct tls_conn *c, size_t n);
/* Send kept records now (not in a batch): 0 (what the socket does not
 * take stays), or -errno. */
int	tls_out_flush(struct tls_conn *c);

#endif /* ANYPOOL_TLS_H */
