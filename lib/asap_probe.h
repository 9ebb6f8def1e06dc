/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One ASAP handle resolution on a connection of its own, as healthd's check
 * and anyprobe make it: connect (TCP mapping, or SCTP with the ASAP PPID)
 * to an address, send HANDLE_RESOLUTION for a pool handle (RFC 5352
 * §2.2.5-2.2.6, doc/protocol/asap.md), optionally asking which registrar
 * answers (Registrar Identity, 0x8a01, doc/spec/registrar-identity.md), and
 * wait for the HANDLE_RESOLUTION_RESPONSE until a deadline.  The outcome
 * goes to one callback: whether a registrar answered for the handle asked,
 * the round-trip time, a failure class and a sentence, and the decoded
 * answer.  What counts as success is the caller's: anyprobe wants the
 * handle it asked for, healthd any resolution answer.  No retransmission,
 * no hunting, no cache: that is what libasap does for pool users, and what
 * a probe must not do.  Over TCP the probe may speak TLS (a lib/tls.c
 * client context handed in: PSK or certificates, RFC 5352 §9); a failed
 * handshake is its own outcome, with lib/tls.c's reason.  Never blocks;
 * never logs.
 */
#ifndef ANYPOOL_ASAP_PROBE_H
#define ANYPOOL_ASAP_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "codec.h"
#include "event.h"
#include "tls.h"

/* How a probe ended, finest grain. */
enum asap_probe_end {
	ASAP_PROBE_ANSWERED,	/* a resolution answer for the handle asked */
	ASAP_PROBE_OTHER_HANDLE, /* a resolution answer for another handle */
	ASAP_PROBE_TIMEOUT,	/* nothing by the deadline */
	ASAP_PROBE_SOCKET,	/* socket() or the event loop failed (err) */
	ASAP_PROBE_CONNECT,	/* connect() failed (err) */
	ASAP_PROBE_SEND,	/* send() failed (err) */
	ASAP_PROBE_RECV,	/* recv() failed (err) */
	ASAP_PROBE_CLOSED,	/* end of stream before the answer */
	ASAP_PROBE_FRAMING,	/* a message length below 4 */
	ASAP_PROBE_TOO_LONG,	/* longer than any ASAP message */
	ASAP_PROBE_UNDECODABLE,	/* the codec rejected the answer */
	ASAP_PROBE_ERROR_MSG,	/* the registrar sent ASAP_ERROR */
	ASAP_PROBE_UNEXPECTED,	/* another message type */
	ASAP_PROBE_TLS,		/* the TLS handshake failed (tls_fail) */
};

/* Why a probe failed, coarse: anyprobe's metrics label. */
enum asap_probe_class {
	ASAP_PROBE_C_TIMEOUT,
	ASAP_PROBE_C_REFUSED,
	ASAP_PROBE_C_UNREACHABLE,
	ASAP_PROBE_C_RESET,
	ASAP_PROBE_C_CLOSED,
	ASAP_PROBE_C_MALFORMED,
	ASAP_PROBE_C_OTHER,
	ASAP_PROBE_C_TLS,	/* TLS handshake failed: key, name, CA... */
	ASAP_PROBE_C_MAX
};

/* "timeout", "refused", ..., "other", "tls" */
extern const char *const asap_probe_class_name[ASAP_PROBE_C_MAX];

struct asap_probe_result {
	bool		 ok;		/* end == ASAP_PROBE_ANSWERED */
	enum asap_probe_end end;
	enum asap_probe_class cls;	/* when !ok */
	int		 err;		/* errno of a socket failure, else 0 */
	bool		 connected;	/* the connection was established */
	double		 rtt_ms;	/* connect() to the end, microseconds;
					   the TLS handshake included */
	/* TLS: why the handshake failed (ASAP_PROBE_TLS), else NONE; and
	 * who the registrar authenticated as ("" none). */
	enum tls_fail	 tls_fail;
	char		 tls_peer[128];
	/*
	 * For people: why it failed, or what the answer said ("handle not
	 * found", an error cause's name, "no pool element"); "" if nothing.
	 */
	char		 error[160];
	/* A resolution answer (ANSWERED and OTHER_HANDLE): */
	const struct rsp_msg *answer;	/* valid during the callback only */
	size_t		 pes;		/* Pool Elements in it */
	uint16_t	 cause;		/* its first error cause, 0: none */
	bool		 has_id;	/* it named the registrar: */
	uint32_t	 server_id;
	char		 node[RSP_REGID_NODE_MAX + 1];
};

struct asap_probe_opts {
	const struct sockaddr *sa;	/* where to connect */
	socklen_t	 salen;
	bool		 sctp;		/* SCTP (PPID 11) instead of TCP */
	const char	*pool;		/* pool handle, 1 to 32 bytes */
	uint32_t	 timeout_ms;	/* from the start to the answer */
	bool		 ask_identity;	/* add the Registrar Identity request */
	/* TLS client context (TCP only; NULL: plaintext).  The probe takes
	 * its own reference for the connection. */
	struct tls_ctx	*tls;
};

struct asap_probe;

typedef void (*asap_probe_cb)(void *arg, const struct asap_probe_result *r);

/*
 * Start one probe.  The callback runs exactly once, never from inside this
 * call (every outcome, even an immediate connect() failure, is reported
 * from a deferred call); the probe is freed when it returns.
 * asap_probe_cancel() stops a probe without a callback (not from its own
 * callback: it is freed after that returns).  0, or -EINVAL (bad options,
 * TLS with SCTP) or -ENOMEM, with no callback to come.
 */
int	asap_probe_start(struct ev_loop *loop, const struct asap_probe_opts *o,
	    asap_probe_cb cb, void *arg, struct asap_probe **ret);
void	asap_probe_cancel(struct asap_probe *p);	/* NULL-safe */

#endif
