/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A TLS ASAP client on lib/tls.c for the end-to-end tests against the real
 * registrard (tests/registrar/test_tls_e2e.c, test_authz.c): a blocking
 * connection with a handshake, sending whole messages, waiting for a
 * message type (keep-alives answered on the way), and registration and
 * resolution in one call.  Every wait has a 5 s deadline; failures of the
 * test's own setup are cmocka assertions.
 */
#ifndef ANYPOOL_TEST_TLS_CLIENT_H
#define ANYPOOL_TEST_TLS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "tls.h"

struct tc {
	int		 fd;
	struct tls_ctx	*ctx;
	struct tls_conn	*t;
	enum tls_fail	 fail;
	uint8_t		 in[70000];
	size_t		 inlen;
	uint8_t		 msg[70000];
};

/*
 * A TCP connection to dst:port (from src, unless NULL) and a handshake:
 * 0, or -1 with c->fail.
 */
int	tc_open_at(struct tc *c, const char *dst, const char *src,
	    uint16_t port, const struct tls_config *cfg);
/* The same to 127.0.0.1. */
int	tc_open(struct tc *c, uint16_t port, const struct tls_config *cfg);
void	tc_close(struct tc *c);
int	tc_send(struct tc *c, const uint8_t *p, size_t len);
/* The next message of type (keep-alives answered): 1, 0 timeout, -1. */
int	tc_expect(struct tc *c, uint8_t type, struct rsp_msg *m);
/* Register over TLS: 0 accepted, 1 rejected (cause), -1 no answer. */
int	tc_register(struct tc *c, const char *pool, uint32_t id,
	    uint16_t *cause);
/* Deregister over TLS: 0 accepted, 1 rejected (cause), -1 no answer. */
int	tc_deregister(struct tc *c, const char *pool, uint32_t id,
	    uint16_t *cause);
/* Resolve over TLS: the number of PEs, -1 no answer, -2 error answer. */
int	tc_resolve(struct tc *c, const char *pool, uint32_t *ids, size_t max);

#endif
