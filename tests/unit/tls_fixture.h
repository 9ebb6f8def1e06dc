/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test fixture shared by the TLS tests: the one builder of their test PKI
 * (CA, certificates for a name, expired or from another CA, client
 * certificates, PSK files) for test_tls, test_conn_tls, test_tls_e2e and
 * bench_tls too; and for the TLS client tests (test_asap_tls for libasap,
 * test_asap_probe for the one-shot probe, test_health_probe): keys and
 * certificates made at test time in a temporary directory, and a fake
 * registrar on a loopback port, plaintext or TLS (lib/tls.c server
 * context), stepped from the test's own loop without blocking.  It answers
 * HANDLE_RESOLUTION with one PE (and its Registrar Identity when asked)
 * and REGISTRATION with an acceptance, and records what it saw: handshakes
 * completed and failed (with the reason), the peer's TLS identity, the
 * ASAP messages decoded, and whether any byte that was not a TLS record
 * reached a TLS server or any ASAP message reached it in the clear.
 */
#ifndef TLS_FIXTURE_H
#define TLS_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/x509.h>

#include "tls.h"

#define FX_NAME		"registrar.example"
#define FX_KEY_A	"00112233445566778899aabbccddeeff" \
			"00112233445566778899aabbccddeeff"
#define FX_KEY_B	"ffeeddccbbaa99887766554433221100" \
			"ffeeddccbbaa99887766554433221100"
#define FX_POOL		"EchoPool"
#define FX_NODE		"pop-tls"
#define FX_SERVER_ID	0x0a0b0c0du
#define FX_CONNS	8

/*
 * Made by fx_pki_make() in a new temporary directory:
 *   ca.pem                 the test CA
 *   server.pem server.key  "registrar.example" (SAN), issued by the CA
 *   client.pem client.key  "pe-7.example", issued by the CA
 *   server.psk             pe-1 KEY_A          (what a registrar accepts)
 *   server-b.psk           pe-1 KEY_B          (a registrar with other keys)
 *   pe1.psk                pe-1 KEY_A
 *   pe1-wrong.psk          pe-1 KEY_B
 *   open.psk               pe-1 KEY_A, mode 0644 (must be refused)
 */
int		 fx_pki_make(void);
void		 fx_pki_remove(void);
const char	*fx_path(const char *name);

/*
 * The building blocks, for tests that need files of their own (test_tls,
 * test_conn_tls, test_tls_e2e, bench_tls).  fx_dir_make() makes an empty
 * temporary directory /tmp/PREFIX.XXXXXX: fx_path() then names files in it
 * (instead of fx_pki_make()'s), and the functions below write there.
 * fx_dir_remove() removes it with every file in it (0, or -1), or keeps it
 * and says where on stderr when $TEST_TLS_KEEP is set.  A failure to make
 * a key, a certificate or a file fails the test (cmocka).
 */
#define FX_DAY		(24 * 3600L)

int		 fx_dir_make(const char *prefix);
int		 fx_dir_remove(void);
void		 fx_write_file(const char *name, const char *text, mode_t mode);
/* An ECDSA P-256 key. */
EVP_PKEY	*fx_key_new(void);
/*
 * A certificate for cn (and san, e.g. "DNS:name" or "IP:192.0.2.1"; NULL:
 * none), valid from not_before to not_after seconds from now, signed by
 * issuer/ikey (NULL: self-signed, a CA).
 */
X509		*fx_cert_new(const char *cn, const char *san, EVP_PKEY *key,
		    X509 *issuer, EVP_PKEY *ikey, long not_before,
		    long not_after);
void		 fx_write_cert(const char *name, X509 *x);
void		 fx_write_key(const char *name, EVP_PKEY *k, mode_t mode);
/* A CA valid for a year, written to file; its key in *ret_key. */
X509		*fx_make_ca(const char *file, const char *cn,
		    EVP_PKEY **ret_key);
/* name.pem and name.key (mode 0600): cn/san issued by ca. */
void		 fx_make_leaf(const char *name, const char *cn,
		    const char *san, X509 *ca, EVP_PKEY *cakey,
		    long not_before, long not_after);

/*
 * cmocka group setup and teardown for the tests on fx_pki_make()'s files
 * (SIGPIPE ignored: a peer's close must not end the test), and for any
 * fx_dir_make() directory (fx_dir_remove()).
 */
int		 fx_group_setup(void **state);
int		 fx_group_teardown(void **state);

/* tls_ctx_new(cfg), or the test fails with the reason. */
struct tls_ctx	*fx_ctx_new(const struct tls_config *cfg);

/* The one PE the fake registrar resolves to: 0x1234 at 127.0.0.1:7000. */
struct rsp_pe;
void		 fx_pe_make(struct rsp_pe *pe);

/* A TLS server context from the fixture's files (NULL file: unused). */
struct tls_ctx	*fx_server_ctx(const char *psk, const char *cert,
		    const char *key, const char *ca);

struct fx_reg {
	int		 lfd;
	uint16_t	 port;
	struct tls_ctx	*tls;		/* NULL: plaintext */
	bool		 hold;		/* do not accept (yet) */
	struct {
		int		 fd;
		struct tls_conn	*t;
		bool		 up;	/* handshake done (or plaintext) */
		size_t		 rxlen;
		uint8_t		 rx[4096];
	} c[FX_CONNS];
	/* what it saw */
	unsigned int	 accepted;
	unsigned int	 hs_ok, hs_fail;
	enum tls_fail	 last_fail;
	char		 peer_id[160];	/* last TLS identity, "" none */
	enum tls_auth	 peer_auth;
	unsigned int	 resolutions, registrations;
	bool		 clear_asap;	/* a TLS server got plaintext ASAP */
	bool		 non_tls_bytes;	/* ... or any first byte not 0x16 */
	bool		 asap_seen;	/* a plaintext server decoded ASAP */
};

/* Listen on 127.0.0.1 (port chosen by the kernel); tls NULL: plain. */
void		 fx_reg_start(struct fx_reg *r, struct tls_ctx *tls);
void		 fx_reg_stop(struct fx_reg *r);
/* Accept, handshake, read and answer whatever is ready; never blocks. */
void		 fx_reg_step(struct fx_reg *r);
/* Close every accepted connection (the listener stays). */
void		 fx_reg_drop(struct fx_reg *r);
/* The fds to poll (listener and connections); returns how many. */
size_t		 fx_reg_fds(const struct fx_reg *r, int *fds, size_t max);

#endif
