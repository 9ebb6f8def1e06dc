/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libasap: the client side of RSerPool ASAP (RFC 5352) for pool elements
 * (PEs) and pool users (PUs).  A context (struct asap_ctx) holds the list of
 * registrar (ENRP server) addresses, the association to the home registrar
 * found by the server hunt (RFC 5352 §3.6), the PEs registered through it,
 * the handle resolution cache and the PU sessions.  Everything runs on the
 * context's own event loop, which an application either drives itself
 * (asap_fd() + asap_process() + asap_next_timeout_ms()) or lets the blocking
 * calls drive.  Not thread-safe: use one context per thread.  The library
 * never exits the process and logs only through asap_set_debug_log().
 *
 * Transport to the registrar: the TCP mapping (ASAP messages back to back on
 * a TCP connection to port 3863, each padded to a multiple of 4 bytes), or
 * for registrars listed as "sctp:host[:port]" an SCTP one-to-one association
 * with one ASAP message per SCTP message, payload protocol identifier 11.
 * With asap_ctx_new_tls() the TCP mapping runs inside TLS (port 3864).
 *
 * PE <-> PU sessions over TCP (see client/SESSION.md).  When the PE
 * registered Transport Use = DATA plus CONTROL (the default here), every
 * frame on the connection has a 4-byte header:
 *
 *     u8 kind    0 = user data, 1 = one ASAP message (COOKIE, COOKIE_ECHO,
 *                BUSINESS_CARD, ERROR) encoded as on the wire, padding included
 *     u8 flags   0 (ignored on receipt)
 *     u16 len    payload length in bytes, big-endian (0..65535)
 *
 * followed by len bytes of payload.  Frames of an unknown kind are skipped.
 * With Transport Use = DATA only the connection carries the raw user byte
 * stream and there is no control channel (no cookies, no business cards).
 *
 * PE <-> PU sessions over SCTP (a PE that registered ASAP_TRANSPORT_SCTP):
 * no header; each SCTP message is one frame and its payload protocol
 * identifier is the kind: 11 = one ASAP message, anything else user data
 * (sent with PPID 0, as RSPLIB's echo service and terminal do).
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno value on failure; pool handles are byte strings (handle, handle_len),
 * at most ASAP_POOL_HANDLE_MAX bytes.  Callbacks run from inside
 * asap_process() or a blocking call, never from the call that set them up.
 */
#ifndef ASAP_H
#define ASAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

struct asap_ctx;
struct asap_pe;
struct asap_session;
struct asap_pe_session;

#define ASAP_POOL_HANDLE_MAX	32	/* bytes, as rsplib's registrar */
#define ASAP_MAX_ADDRS		16	/* addresses in one transport */
#define ASAP_DEFAULT_PORT	3863	/* registrar port (TCP mapping) */

/* Member selection policies, RFC 5356 §7.1 (values on the wire). */
#define ASAP_POLICY_ROUND_ROBIN			0x00000001u
#define ASAP_POLICY_WEIGHTED_ROUND_ROBIN	0x00000002u	/* weight */
#define ASAP_POLICY_RANDOM			0x00000003u
#define ASAP_POLICY_WEIGHTED_RANDOM		0x00000004u	/* weight */
#define ASAP_POLICY_PRIORITY			0x00000005u	/* priority */
#define ASAP_POLICY_LEAST_USED			0x40000001u	/* load */
#define ASAP_POLICY_LEAST_USED_DEGRADATION	0x40000002u	/* load, degradation */
#define ASAP_POLICY_PRIORITY_LEAST_USED		0x40000003u	/* load, degradation */
#define ASAP_POLICY_RANDOMIZED_LEAST_USED	0x40000004u	/* load */

/* Transport types (the RFC 5354 parameter types of user transports). */
#define ASAP_TRANSPORT_SCTP	0x0004
#define ASAP_TRANSPORT_TCP	0x0005
#define ASAP_TRANSPORT_UDP	0x0006

/* Transport Use, RFC 5354 §3.4. */
#define ASAP_USE_DATA		0
#define ASAP_USE_DATA_CONTROL	1

/* Error causes of RFC 5354 §3.12 reported in status events. */
#define ASAP_CAUSE_INVALID_VALUES		0x0003
#define ASAP_CAUSE_NON_UNIQUE_PE_ID		0x0004
#define ASAP_CAUSE_INCONSISTENT_POLICY		0x0005
#define ASAP_CAUSE_LACK_OF_RESOURCES		0x0006
#define ASAP_CAUSE_INCONSISTENT_TRANSPORT	0x0007
#define ASAP_CAUSE_INCONSISTENT_DATA_CTRL	0x0008
#define ASAP_CAUSE_UNKNOWN_POOL_HANDLE		0x0009
#define ASAP_CAUSE_SECURITY			0x000a

/* A member selection policy and its values (up to 4 uint32 fields). */
struct asap_policy {
	uint32_t	 type;		/* ASAP_POLICY_* */
	unsigned int	 nvalue;	/* 0 = as many as the policy defines */
	uint32_t	 value[4];	/* weight, priority or load [, degradation] */
};

/* One pool element as a resolution or a business card describes it. */
struct asap_pe_info {
	uint32_t	 id;		/* PE identifier */
	uint32_t	 home_id;	/* its home registrar's id, 0 if unknown */
	struct asap_policy policy;
	uint16_t	 transport;	/* ASAP_TRANSPORT_* */
	uint16_t	 use;		/* ASAP_USE_* */
	unsigned int	 naddr;
	struct sockaddr_storage addr[ASAP_MAX_ADDRS];	/* port included */
};

#define ASAP_NODE_NAME_MAX	64	/* bytes of a registrar's node name */

/*
 * The registrar that answered a resolution, as it named itself in the
 * Registrar Identity parameter (0x8a01, an anypool extension that other
 * registrars ignore; see ASAP_RESOLVE_REGISTRAR_ID).  (libasap 0.2)
 */
struct asap_registrar_id {
	bool		 valid;		/* the answer carried the identity */
	uint32_t	 server_id;	/* its ENRP server identifier */
	char		 node[ASAP_NODE_NAME_MAX + 1];	/* UTF-8, NUL-terminated */
};

/* The answer to a handle resolution. */
struct asap_resolution {
	int		 error;		/* 0, -ENOENT (unknown pool), -ETIMEDOUT... */
	uint16_t	 cause;		/* ASAP_CAUSE_* from the registrar, or 0 */
	bool		 stale;		/* served from a stale cache entry */
	uint32_t	 policy;	/* overall pool policy (RR if not sent) */
	size_t		 npe;
	const struct asap_pe_info *pe;	/* npe entries, valid during the call */
	/*
	 * (libasap 0.2) Who answered, valid during the call; NULL unless the
	 * request asked (ASAP_RESOLVE_REGISTRAR_ID) and the answer said.
	 */
	const struct asap_registrar_id *registrar;
};

/* Context ----------------------------------------------------------------- */

/*
 * Settings of a context; zero means the default given.  All times in ms.
 */
struct asap_config {
	uint32_t	 request_timeout_ms;	/* T1-ENRPrequest, 3000 */
	uint32_t	 max_request_retransmit;/* MAX-REQUEST-RETRANSMIT, 2 */
	uint32_t	 registration_timeout_ms;/* T2-registration, 3000 */
	uint32_t	 deregistration_timeout_ms; /* T3, 3000 */
	uint32_t	 max_reg_attempt;	/* MAX-REG-ATTEMPT, 2 */
	uint32_t	 hunt_timeout_ms;	/* T5-Serverhunt initial, 5000 */
	uint32_t	 retran_max_ms;		/* RETRAN-MAX (T5 cap), 60000 */
	uint32_t	 stale_cache_ms;	/* stale_cache_value, 5000 */
	uint32_t	 resolve_items;		/* Hropt items, 3; UINT32_MAX: all */
};

/*
 * New context.  registrars: comma-separated "host[:port]" or "[v6]:port"
 * entries (default port 3863), each optionally prefixed "sctp:" (an SCTP
 * association) or "tcp:" (the TCP mapping, the default); a single anycast
 * address is a valid list.
 * Host names are resolved here (getaddrinfo), each address becoming one
 * hunt candidate.  cfg may be NULL.  NULL on failure with errno set.
 */
struct asap_ctx	*asap_ctx_new(const char *registrars, const struct asap_config *cfg);
/*
 * (libasap 0.3) TLS to the registrars (RFC 5352 §9): PSK mutual
 * authentication (pool elements and registrars), or the registrar's
 * certificate checked against a CA and an expected name (RFC 6125: the
 * subjectAltName, never the subject's CN; '*' only as a whole left-most
 * label), optionally with a client certificate (a pool element
 * authenticating without PSK).  TLS 1.3 (1.2 for certificates).  Files are
 * read when the context is made; the PSK and private key files must not be
 * readable by group or others.  Unused fields NULL.
 */
struct asap_tls_config {
	/*
	 * PSK: a file of "identity hex-key" lines ('#' comments), and the
	 * identity to use (NULL: the file must hold exactly one key).  With
	 * a PSK the library never accepts a certificate handshake instead.
	 */
	const char	*psk_file;
	const char	*psk_identity;
	/* Certificates: PEM CA file and the name the registrar must carry
	 * (also sent as SNI); required unless psk_file is set. */
	const char	*ca_file;
	const char	*server_name;
	/* Optional client certificate (PEM, chain after it) and key. */
	const char	*cert_file;
	const char	*key_file;
	/* NSS key log for Wireshark/tshark; NULL: $SSLKEYLOGFILE if set. */
	const char	*keylog_file;
	/* Resume the last session (TLS 1.3 ticket) on reconnection. */
	bool		 resume;
	void		*reserved[4];	/* zero */
};

#define ASAP_TLS_PORT		3864	/* registrar port with TLS */

/*
 * (libasap 0.3) asap_ctx_new() speaking TLS to every registrar of the
 * list: the default port is then ASAP_TLS_PORT, "sctp:" entries are
 * refused (EPROTONOSUPPORT: no TLS over SCTP here) and nothing is ever
 * sent in the clear.  A handshake that fails (wrong key or name, unknown
 * CA, expired certificate, a registrar without TLS) counts as a failed
 * server: the hunt moves on to the next address and retries later, and
 * asap_tls_error() says what happened.  tls NULL: asap_ctx_new().  On
 * failure NULL with errno set and, if err is not NULL, a one-line reason
 * in err ("psk.key: readable by others (mode 0644); chmod 600").
 */
struct asap_ctx	*asap_ctx_new_tls(const char *registrars,
		    const struct asap_config *cfg,
		    const struct asap_tls_config *tls, char *err,
		    size_t errlen);
/*
 * (libasap 0.3) Why the last TLS handshake with a registrar failed:
 * "ADDRESS: REASON: details" (REASON one of psk_unknown_identity,
 * psk_bad_key, cert_name, cert_expired, cert_unknown_ca, cert_invalid,
 * no_cert, plaintext, version, closed, other), or NULL when none failed
 * since the last one that succeeded.  Valid until the next call into the
 * library.
 */
const char	*asap_tls_error(const struct asap_ctx *ctx);

/*
 * Free the context: every PE (without deregistering: call
 * asap_pe_deregister() first for a clean shutdown), session and pending
 * request; pending resolution callbacks are not called.  NULL-safe.  Not
 * from inside one of the context's callbacks.
 */
void		 asap_ctx_free(struct asap_ctx *ctx);

/*
 * A function receiving the library's debug lines (without newline); NULL
 * (the default) discards them.
 */
void		 asap_set_debug_log(struct asap_ctx *ctx,
		    void (*fn)(void *arg, const char *line), void *arg);

/*
 * For tests: replace the clock (ms, never going backwards; NULL restores
 * CLOCK_MONOTONIC).  Set it before anything starts a timer.
 */
void		 asap_set_clock(struct asap_ctx *ctx,
		    uint64_t (*now_ms)(void *arg), void *arg);

/* Event loop integration ---------------------------------------------------- */

/*
 * A file descriptor (an epoll instance) that polls readable whenever the
 * library has work; then call asap_process().  Never close it.
 */
int		 asap_fd(const struct asap_ctx *ctx);
/*
 * Do everything that is ready without blocking: I/O, due timers, callbacks.
 * Returns the number of callbacks run, or -errno.
 */
int		 asap_process(struct asap_ctx *ctx);
/*
 * Milliseconds until the next timer is due (0 if one is due now), or -1 if
 * none: a poll() timeout for the application's loop.
 */
int		 asap_next_timeout_ms(const struct asap_ctx *ctx);

/*
 * Blocking helpers: asap_run_once() waits at most timeout_ms (-1: until
 * something happens) and processes; asap_run() repeats until asap_break()
 * is called (from a callback or a signal handler's flag check) and returns
 * 0, or -errno.
 */
int		 asap_run_once(struct asap_ctx *ctx, int timeout_ms);
int		 asap_run(struct asap_ctx *ctx);
void		 asap_break(struct asap_ctx *ctx);

/*
 * The home registrar: its server identifier (0 until a keep-alive told it)
 * and address ("ip:port") if an association is up.  0, or -ENOTCONN.
 */
int		 asap_home(const struct asap_ctx *ctx, uint32_t *ret_id,
		    char *addr_buf, size_t addr_len);

/*
 * (libasap 0.5) Long-lived associations off the anycast address (issue 13,
 * doc/spec/registrar-unicast.md).  A registrar list usually names one
 * anycast address, where any route change sends the packets of an
 * established association to another node, which resets it.  So a context
 * that keeps its association for long asks the registrar it reached for
 * its unicast address (the Registrar Unicast parameter 0x8a03, in the
 * registration or resolution it sends anyway), opens a new association
 * there (same TLS settings: the certificate is still verified against the
 * configured server name), re-registers its PEs over it with the same
 * identifiers and then closes the first one.  It goes back to the server
 * hunt over the configured list only when the unicast registrar fails
 * (association lost, T2/T3 or resolution timeouts).  A registrar that does
 * not know the parameter, or knows no unicast address, or a move that does
 * not connect, leaves the association where it is.  PEs see one
 * ASAP_PE_HOME_CHANGED (the address changes, the server identifier not).
 *   ASAP_UNICAST_AUTO    the default: a context with a PE or a session moves
 *   ASAP_UNICAST_ALWAYS  a context that only resolves moves too
 *   ASAP_UNICAST_NEVER   never ask, never move (the behaviour before 0.5)
 * Applies from the next registration or resolution sent.  0, or -EINVAL.
 */
#define ASAP_UNICAST_AUTO	0
#define ASAP_UNICAST_NEVER	1
#define ASAP_UNICAST_ALWAYS	2
int		 asap_set_unicast(struct asap_ctx *ctx, int mode);

/* Pool element ------------------------------------------------------------ */

enum asap_pe_event {
	ASAP_PE_REGISTERED = 1,	/* (re-)registration accepted */
	ASAP_PE_REJECTED,	/* registrar said no: see cause; not retried */
	ASAP_PE_FAILED,		/* MAX-REG-ATTEMPT reached: see error; retrying */
	ASAP_PE_HOME_CHANGED,	/* new home registrar (id and/or address) */
	ASAP_PE_DEREGISTERED,	/* deregistration done (error: -ETIMEDOUT...) */
};

struct asap_pe_status {
	enum asap_pe_event event;
	uint32_t	 pe_id;
	uint16_t	 cause;		/* REJECTED (and accepted-with-warning) */
	int		 error;		/* FAILED, DEREGISTERED */
	uint32_t	 home_id;	/* registrar's server id, 0 if unknown */
	const char	*home_addr;	/* "ip:port" of the association */
};

typedef void (*asap_pe_cb)(struct asap_pe *pe, const struct asap_pe_status *st,
    void *arg);

/* What a PE registers. */
struct asap_pe_config {
	const void	*handle;		/* pool handle */
	size_t		 handle_len;
	uint32_t	 pe_id;			/* 0: random (getrandom) */
	struct asap_policy policy;		/* type 0: round robin */
	uint16_t	 transport;		/* 0: ASAP_TRANSPORT_TCP */
	uint16_t	 use;			/* ASAP_USE_DATA_CONTROL unless
						   use_data_only */
	bool		 use_data_only;
	uint16_t	 port;			/* user transport port */
	/*
	 * Addresses of the user transport.  None, or a wildcard, means the
	 * local address of the association to the registrar.
	 */
	unsigned int	 naddr;
	struct sockaddr_storage addr[ASAP_MAX_ADDRS];
	uint32_t	 reregistration_ms;	/* T4, 30000; life = 3x (ms) */
	asap_pe_cb	 cb;			/* status events, may be NULL */
	void		*cb_arg;
};

/*
 * Start registering a PE; the status callback tells the outcome.  The
 * library keeps the registration alive: re-registers every interval,
 * answers keep-alives, hunts for another registrar and re-registers with the
 * same PE identifier when the association is lost.  NULL with errno set if
 * the configuration is invalid.
 */
struct asap_pe	*asap_pe_register(struct asap_ctx *ctx,
		    const struct asap_pe_config *cfg);
/* Re-register now with new policy values (e.g. load); 0 or -errno. */
int		 asap_pe_update_policy(struct asap_pe *pe,
		    const struct asap_policy *policy);
/* Convenience: the policy's first load-carrying value := load. */
int		 asap_pe_update_load(struct asap_pe *pe, uint32_t load);
/*
 * Deregister (RFC 5352 §3.2); ASAP_PE_DEREGISTERED follows.  The PE stays
 * allocated until asap_pe_free().
 */
int		 asap_pe_deregister(struct asap_pe *pe);
/* Deregister and wait at most timeout_ms; 0, -ETIMEDOUT or -errno. */
int		 asap_pe_deregister_blocking(struct asap_pe *pe, int timeout_ms);
/* Forget the PE locally (no message sent).  NULL-safe. */
void		 asap_pe_free(struct asap_pe *pe);
uint32_t	 asap_pe_id(const struct asap_pe *pe);
bool		 asap_pe_is_registered(const struct asap_pe *pe);
/* The PE's own entry as last registered (addresses filled in). */
int		 asap_pe_info(const struct asap_pe *pe, struct asap_pe_info *ret);

/* Pool user: resolution ---------------------------------------------------- */

typedef void (*asap_resolve_cb)(struct asap_ctx *ctx,
    const struct asap_resolution *res, void *arg);

/*
 * Resolve a pool handle (RFC 5352 §3.3).  A fresh cache entry answers
 * without asking; a stale or missing one sends ASAP_HANDLE_RESOLUTION (with
 * the Handle Resolution Option asking for resolve_items PEs) to the home
 * registrar, hunting for one first if needed.  If the registrar cannot be
 * reached after MAX-REQUEST-RETRANSMIT retransmissions, a stale entry still
 * answers (res->stale) and otherwise res->error is -ETIMEDOUT.  The callback
 * runs exactly once, unless the context is freed first.
 */
int		 asap_pu_resolve(struct asap_ctx *ctx, const void *handle,
		    size_t handle_len, asap_resolve_cb cb, void *arg);
/* Flags of asap_pu_resolve_ex() and asap_pu_resolve_blocking_ex(). */
#define ASAP_RESOLVE_REGISTRAR_ID	0x01u	/* ask the registrar who it is */

/*
 * (libasap 0.2) asap_pu_resolve() with flags.  ASAP_RESOLVE_REGISTRAR_ID
 * adds the Registrar Identity request to ASAP_HANDLE_RESOLUTION and always
 * asks the registrar (a fresh cache entry does not answer); the callback's
 * res->registrar then says which registrar answered, in success and error
 * answers alike, or is NULL if it did not say (a registrar without the
 * extension, a timeout, or an answer shared with a resolution of the same
 * pool already under way without the flag).  -EINVAL for unknown flags.
 */
int		 asap_pu_resolve_ex(struct asap_ctx *ctx, const void *handle,
		    size_t handle_len, unsigned int flags, asap_resolve_cb cb,
		    void *arg);
/*
 * Blocking resolution: fills at most max entries of ret_pe, *ret_n (total
 * number received, may exceed max) and *ret_policy (may be NULL).  0,
 * -ENOENT (unknown pool handle), -ETIMEDOUT or -errno.
 */
int		 asap_pu_resolve_blocking(struct asap_ctx *ctx,
		    const void *handle, size_t handle_len,
		    struct asap_pe_info *ret_pe, size_t max, size_t *ret_n,
		    uint32_t *ret_policy, int timeout_ms);
/*
 * (libasap 0.2) The same with flags (see asap_pu_resolve_ex()); if
 * ret_registrar is not NULL it is always written: valid is set when the
 * answering registrar named itself, also when it answered -ENOENT.
 */
int		 asap_pu_resolve_blocking_ex(struct asap_ctx *ctx,
		    const void *handle, size_t handle_len, unsigned int flags,
		    struct asap_pe_info *ret_pe, size_t max, size_t *ret_n,
		    uint32_t *ret_policy, struct asap_registrar_id *ret_registrar,
		    int timeout_ms);
/*
 * (libasap 0.4) A deadline for every resolution of the context, for an
 * application that must not see a registrar fail (an anycast address
 * moving to another PoP, one registrar of a list crashing or hanging).
 * Within deadline_ms of asap_pu_resolve*() (and of the resolutions a
 * session makes), a request that goes unanswered or whose connection dies
 * is retried on a NEW connection: at once when the connection is reset or
 * closed (RST, FIN, a write error); after a per-try timeout when the
 * registrar stays silent.  The per-try timeout is a few smoothed round-trip
 * times of the association (max(3 x SRTT, SRTT + 4 x RTTVAR), RFC 6298's
 * estimator over answers and TCP connects), at least try_min_ms, at most
 * try_max_ms and half the deadline; a connection attempt gets the same
 * time, and a refused one is retried after 10 ms, doubling up to 50 ms.
 * A new connection to an anycast address may reach another node once the
 * route has moved; with a list, addresses that failed in the last 10 s are
 * tried after the others.  The silent registrar's association is replaced
 * by the new one (pool elements of the context then re-register there
 * with the same identifier, as after any failed registrar); if it answers
 * anything before the new connection is up, it stays.  At the deadline
 * the callback gets -ETIMEDOUT, or a stale cache entry (res->stale).
 * Only resolutions (idempotent) are retried: registrations keep RFC 5352's
 * timers.  With TLS every retry is a new handshake (resumed when
 * asap_tls_config.resume is set and the registrar accepts the ticket).
 * Applies to resolutions started after the call; dl NULL or deadline_ms 0
 * turns it off (T1-ENRPrequest x MAX-REQUEST-RETRANSMIT, the default).
 * 0, or -EINVAL (try_min_ms > try_max_ms, reserved fields not zero).
 */
struct asap_deadline {
	uint32_t	 deadline_ms;	/* whole resolution; 0: off */
	uint32_t	 try_min_ms;	/* per-try timeout floor, 0: 100 */
	uint32_t	 try_max_ms;	/* per-try timeout ceiling, 0: 1000 */
	uint32_t	 reserved[5];	/* zero */
};
int		 asap_pu_set_deadline(struct asap_ctx *ctx,
		    const struct asap_deadline *dl);
/* Drop the cache entry of a pool (handle NULL: all entries). */
void		 asap_pu_cache_purge(struct asap_ctx *ctx, const void *handle,
		    size_t handle_len);
/*
 * Report a PE unreachable (ASAP_ENDPOINT_UNREACHABLE to the home registrar,
 * RFC 5352 §3.5) and drop it from the cache.  A PE already reported within
 * the stale cache time is not reported again.  0, or -errno.
 */
int		 asap_pu_report_unreachable(struct asap_ctx *ctx,
		    const void *handle, size_t handle_len, uint32_t pe_id);

/* Pool user: sessions (GETPRIMARYSERVER / GETNEXTSERVER) ------------------ */

enum asap_session_event {
	ASAP_SESSION_CONNECTED = 1,	/* connected to a PE (pe_id) */
	ASAP_SESSION_FAILOVER,		/* a PE failed; moving to another */
	ASAP_SESSION_WAITING,		/* no PE usable right now; retrying */
	ASAP_SESSION_CLOSED,		/* closed by asap_session_close() */
};

struct asap_session_status {
	enum asap_session_event event;
	uint32_t	 pe_id;		/* the PE now used (CONNECTED) */
	uint32_t	 old_pe_id;	/* the PE that failed (FAILOVER) */
	int		 error;		/* why it failed (FAILOVER, WAITING) */
	uint64_t	 failover_ms;	/* CONNECTED after a failover: time
					   since the old PE was found failed */
	bool		 cookie_echoed;	/* CONNECTED: a cookie echo was sent */
};

struct asap_session_callbacks {
	/* User data from the PE. */
	void	(*data)(struct asap_session *s, const void *p, size_t len,
		    void *arg);
	/* Session events (connected, failover...). */
	void	(*status)(struct asap_session *s,
		    const struct asap_session_status *st, void *arg);
	/* A cookie from the PE (already stored for the next failover). */
	void	(*cookie)(struct asap_session *s, const void *p, size_t len,
		    void *arg);
	/* A business card: the PE's pool and preferred failover order. */
	void	(*business_card)(struct asap_session *s, const void *handle,
		    size_t handle_len, const struct asap_pe_info *pe, size_t npe,
		    void *arg);
};

/*
 * Open a session to a pool: resolve (cache first), pick a PE by the pool
 * policy (RFC 5356 PU rules), connect to it over its transport (TCP, or
 * SCTP where the kernel has it; PEs this host cannot reach by their
 * transport are skipped, not reported).  On a connection
 * failure the session reports the PE unreachable (once), picks the next PE
 * (the business card's order first, then the policy; re-resolving when the
 * list is exhausted or stale), echoes the last cookie as the first control
 * message to the new PE and tells the status callback.  User data given to
 * asap_session_send() while no PE is connected is queued and sent after
 * failover (data already written to a failed PE may be lost).
 */
struct asap_session *asap_session_new(struct asap_ctx *ctx, const void *handle,
		    size_t handle_len, const struct asap_session_callbacks *cb,
		    void *arg);
/* Queue user data (at most 65535 bytes per call); 0 or -errno. */
int		 asap_session_send(struct asap_session *s, const void *p,
		    size_t len);
/*
 * GETNEXTSERVER: give up the current PE (e.g. it stopped answering), report
 * it unreachable and fail over.  0 or -errno.
 */
int		 asap_session_failover(struct asap_session *s);
/* Send our own business card (a PU that is also a PE). 0 or -errno. */
int		 asap_session_send_business_card(struct asap_session *s,
		    const struct asap_pe *own);
/* The PE in use, 0 if none. */
uint32_t	 asap_session_pe_id(const struct asap_session *s);
bool		 asap_session_is_connected(const struct asap_session *s);
/* Close and free; no callback runs afterwards.  NULL-safe. */
void		 asap_session_close(struct asap_session *s);

/* Pool element: the PE's end of a session ---------------------------------- */

struct asap_pe_session_callbacks {
	void	(*data)(struct asap_pe_session *s, const void *p, size_t len,
		    void *arg);
	/* A cookie echo from a PU that failed over to us. */
	void	(*cookie_echo)(struct asap_pe_session *s, const void *p,
		    size_t len, void *arg);
	void	(*business_card)(struct asap_pe_session *s, const void *handle,
		    size_t handle_len, const struct asap_pe_info *pe, size_t npe,
		    void *arg);
	/* The PU went away (error 0: orderly close).  Free the session. */
	void	(*closed)(struct asap_pe_session *s, int error, void *arg);
};

/*
 * Serve an accepted connection, TCP or SCTP one-to-one (the library takes
 * the fd, makes it non-blocking and closes it when the session is freed;
 * it tells the two apart by SO_PROTOCOL).  data_only: the
 * PE registered Transport Use = DATA (raw stream, no control channel).
 */
struct asap_pe_session *asap_pe_session_new(struct asap_ctx *ctx, int fd,
		    bool data_only, const struct asap_pe_session_callbacks *cb,
		    void *arg);
int		 asap_pe_session_send(struct asap_pe_session *s, const void *p,
		    size_t len);
/* ASAP_COOKIE (at most 65000 bytes); 0 or -errno. */
int		 asap_pe_session_send_cookie(struct asap_pe_session *s,
		    const void *cookie, size_t len);
/*
 * ASAP_BUSINESS_CARD: the PE's pool handle, itself first and then the other
 * PEs of its pool known from the resolution cache (RFC 5352 §3.11).
 */
int		 asap_pe_session_send_business_card(struct asap_pe_session *s,
		    const struct asap_pe *own);
void		 asap_pe_session_free(struct asap_pe_session *s);

/* Helpers ------------------------------------------------------------------ */

/* Policy name ("rr", "wrr", "random", "wrandom", "prio", "lu", "lud", "plu",
 * "rlu") <-> type; 0 if unknown / "?" for an unknown type. */
uint32_t	 asap_policy_parse(const char *name);
const char	*asap_policy_str(uint32_t type);
/* Number of values a policy carries, or -1 if unknown. */
int		 asap_policy_nvalue(uint32_t type);
/* "ip:port" or "[ip6]:port" of a sockaddr, into buf. */
const char	*asap_sockaddr_str(const struct sockaddr_storage *ss, char *buf,
		    size_t len);
/* Parse "host[:port]" / "[v6]:port" (numeric host only); 0 or -EINVAL. */
int		 asap_sockaddr_parse(const char *s, uint16_t default_port,
		    struct sockaddr_storage *ret);

#ifdef __cplusplus
}
#endif

#endif /* ASAP_H */
