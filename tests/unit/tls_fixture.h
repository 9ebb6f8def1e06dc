/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test fixture shared by the TLS client tests (test_asap_tls for libasap,
 * test_asap_probe for the one-shot probe): keys and certificates made at
 * test time in a temporary directory, and a fake registrar on a loopback
 * port, plaintext or TLS (lib/tls.c server context), stepped from the
 * test's own loop without blocking.  It answers HANDLE_RESOLUTION with one
 * PE (and its Registrar Identity when asked) and REGISTRATION with an
 * acceptance, and records what it saw: handshakes completed and failed
 * (with the reason), the peer's TLS identity, the ASAP messages decoded,
 * and whether any byte that was not a TLS record reached a TLS server or
 * any ASAP message reached it in the clear.
 */
#ifndef TLS_FIXTURE_H
#define TLS_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
