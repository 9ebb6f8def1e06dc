/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * registrard's runtime state: the registrar (configuration, handlespace,
 * listeners, associations, counters) and the ASAP server side that serves
 * pool elements and pool users over the TCP mapping and, where the kernel
 * has it, SCTP.  The control socket and the metrics exporter read the
 * counters and walk the handlespace through this header.
 */
#ifndef ANYPOOL_REGISTRAR_H
#define ANYPOOL_REGISTRAR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "codec.h"
#include "regconf.h"
#include "event.h"
#include "handlespace.h"
#include "hs_encode.h"
#include "log.h"
#include "conn.h"
#include "tls.h"
#include "wheel.h"

struct registrar;
struct assoc;
struct enrp;

#define REG_TLS_ON_PLAIN	TLS_FAIL_MAX	/* index in tls_failures */
#define REG_TLS_FAIL_MAX	(TLS_FAIL_MAX + 1)

/* Counters an operator pages on; all monotonic except the gauges noted. */
struct reg_stats {
	uint64_t	 rx_msgs[ASAP_MSG_MAX + 1];	/* by ASAP type */
	uint64_t	 tx_msgs[ASAP_MSG_MAX + 1];
	uint64_t	 rx_errors[RSP_CAUSE_MAX + 2];	/* decode failures by cause (last: other) */
	uint64_t	 rx_bytes, tx_bytes;
	uint64_t	 registrations, reregistrations, registration_rejects;
	uint64_t	 deregistrations, resolutions, resolution_misses;
	uint64_t	 identity_answers;	/* resolutions answered with 0x8a01 */
	uint64_t	 keepalives_sent, keepalive_timeouts;
	uint64_t	 unreachable_reports, unreachable_removals;
	uint64_t	 expirations, assoc_lost_removals;
	uint64_t	 assocs_accepted, assocs_closed, assocs_refused;
	uint64_t	 rate_limited;
	uint64_t	 announces_sent;
	uint64_t	 config_reloads, config_reload_failures;
	/* Bounds against one bad client (issue 12) */
	uint64_t	 foreign_refused;	/* (de)registration of a PE homed
						 * elsewhere from a stranger */
	uint64_t	 unreachable_repeats;	/* same reporter within the window */
	uint64_t	 idle_closed;		/* idle-timeout */
	uint64_t	 message_timeouts;	/* message-timeout */
	uint64_t	 assocs_refused_source;	/* associations-per-source */
	uint64_t	 assocs_refused_fds;	/* descriptor reserve reached */
	uint64_t	 assocs_evicted;	/* idle, for another source (full) */
	uint64_t	 send_queue_closed;	/* send-queue reached */
	uint64_t	 send_budget_closed;	/* send-queue-total reached */
	/* TLS: handshakes done; failures by enum tls_fail, and the
	 * last one (REG_TLS_ON_PLAIN): a TLS client on a plaintext port */
	uint64_t	 tls_handshakes;
	uint64_t	 tls_failures[REG_TLS_FAIL_MAX];
	/* Authorization (issue 12, authz.c) */
	uint64_t	 authz_refused;		/* identity may not use the pool */
	uint64_t	 registrant_refused;	/* PE registered by another */
	uint64_t	 unreachable_plain;	/* secured on: report not over TLS */
	/* Reports made at any registrar (issue 13, unreachable.c) */
	uint64_t	 reports_forwarded;	/* to the PE's home over ENRP */
	uint64_t	 reports_from_peers;	/* forwarded here by a peer */
	uint64_t	 report_probes;		/* early keep-alives they caused */
	uint64_t	 report_verified;	/* ... that the PE answered */
};

/*
 * Who reported a PE unreachable, and when (RFC 5355 §2.13): one report per
 * reporting address per unreachable-window counts.
 */
struct reg_report {
	uint8_t		 addr[16];
	uint8_t		 family;
	uint64_t	 at;		/* ms */
	uint32_t	 gen;		/* reg_reports.gen when it came */
};

/* The reports about one PE: up to max-bad-pe-reports + 1 reporters. */
struct reg_reports {
	struct reg_report	*v;		/* nmax slots, or NULL */
	uint32_t		 nmax;
	uint32_t		 gen;		/* +1 when the PE answered */
};

/*
 * A PE of another registrar reported unreachable here: hidden from the
 * answers until its home's verdict or `hide_until', its reports kept for
 * unreachable-window (unreachable.c).
 */
struct reg_suspect {
	TAILQ_ENTRY(reg_suspect) entry;
	uint64_t		 hide_until, keep_until;	/* ms */
	struct reg_reports	 rep;
	uint32_t		 id;
	uint16_t		 hlen;
	uint8_t			 handle[];
};

/*
 * Registrar state of a PE registered here (hs_pe udata).  One per PE: kept
 * at 88 bytes (a 96-byte allocation), no padding (issue 14).
 */
struct reg_pe {
	struct registrar	*r;
	struct hs_pe		*pe;
	struct assoc		*as;		/* association it registered over */
	LIST_ENTRY(reg_pe)	 as_entry;
	struct whl_entry	 ka;		/* next keep-alive, or its timeout */
	struct reg_reports	 rep;		/* who reported it (unreachable.c) */
	uint32_t		 bad_reports;	/* distinct reporters counting now */
	bool			 ka_waiting;	/* a keep-alive is unanswered */
	bool			 verify;	/* a report asked for a keep-alive */
};

/* The associations of one source address (associations-per-source). */
struct reg_source {
	LIST_ENTRY(reg_source)	 hash;
	TAILQ_HEAD(, assoc)	 assocs;	/* oldest first */
	uint32_t		 n;
	uint8_t			 addr[16];
	uint8_t			 family;
};

enum assoc_transport { ASSOC_TCP = CN_TCP, ASSOC_SCTP = CN_SCTP };

struct assoc {
	struct registrar	*r;
	TAILQ_ENTRY(assoc)	 entry;
	struct cn		 cn;		/* socket, framing, queue, rate */
	enum assoc_transport	 transport;
	uint64_t		 id;		/* for logs and the control socket */
	struct sockaddr_storage	 peer, local;
	char			 name[80];	/* "tcp 192.0.2.1:4000" */
	uint64_t		 since;		/* ms, loop clock */
	LIST_HEAD(, reg_pe)	 pes;
	uint32_t		 npes;
	uint64_t		 rx_msgs, tx_msgs;
	struct log_ratelimit	 rl;		/* its log lines */
	struct reg_source	*src;		/* its source address */
	TAILQ_ENTRY(assoc)	 src_entry;
	/* TLS: who authenticated (assoc_identity()) */
	enum tls_auth		 tls_auth;	/* TLS_AUTH_NONE: no identity */
	char			 tls_id[CONF_TLS_ID_MAX];
	/* Keep-alives queued this wheel tick, sent in one write after it */
	TAILQ_ENTRY(assoc)	 ka_entry;
	bool			 ka_queued;
	/* The pool of its last request, found again without a hash */
	struct hs_hint		 pool_hint;
};

struct listener {
	struct registrar	*r;
	struct cn_listener	 cl;
	enum assoc_transport	 transport;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	bool			 tls;		/* ASAP over TLS */
};

struct registrar {
	struct ev_loop		*loop;
	struct registrar_config	 conf;
	const char		*conf_file;
	uint32_t		 server_id;
	struct hs		*hs;
	struct listener		*listeners;
	size_t			 nlisteners;
	bool			 sctp_ok;	/* the kernel has SCTP */
	TAILQ_HEAD(, assoc)	 assocs;
	uint32_t		 nassocs;
	uint64_t		 next_assoc_id;
	struct ev_ref		 expiry;	/* next registration-life expiry */
	struct ev_ref		 announce;
	int			 announce_fd4, announce_fd6;
	struct reg_stats	 stats;
	struct cn_tune		 tune;		/* sockets, from conf (registrar_tune) */
	uint64_t		 started;	/* ms */
	struct log_ratelimit	 rl_peer;	/* peer-triggered lines overall */
	struct log_ratelimit	 rl_announce;	/* a failing announce: once a minute */
	struct enrp		*enrp;		/* enrp.c; NULL: ENRP off */
	/* Bounds against one bad client (issue 12) */
	LIST_HEAD(reg_srchead, reg_source) *sources;	/* hash by address */
	uint32_t		 nsources;
	uint64_t		 src_seed;
	struct ev_ref		 sweep;		/* 1 s: idle and message deadlines */
	struct cn_budget	 budget;	/* send-queue-total */
	struct ev_ref		 budget_ev;	/* closing over the budget */
	struct log_ratelimit	 rl_bounds;	/* refusals and closures */
	/* TLS (reg_tls.c): NULL without a tls block */
	struct tls_ctx		*tls_server;
	/* ENRP over TLS: the registrars' PSKs, as server and as client */
	struct tls_ctx		*tls_enrp_server, *tls_enrp_client;
	struct log_ratelimit	 rl_tls;	/* failed handshakes */
	/* Authorization (authz.c): registrants' names by token */
	struct authz_names	*names;
	/* Unreachable reports (unreachable.c) */
	TAILQ_HEAD(, reg_suspect) suspects;	/* oldest first */
	uint32_t		 nsuspects;
	uint32_t		 nverify;	/* reg_pe with verify set */
	/* PE keep-alives (issue 14): a timing wheel, one loop timer per tick */
	struct whl		 ka_wheel;
	struct ev_ref		 ka_tick;
	uint64_t		 ka_due;	/* ka_tick armed for (ms) */
	TAILQ_HEAD(, assoc)	 ka_flush;	/* keep-alives queued this tick */
	/* The request path (asap_server.c, issue 14) */
	struct reg_pe_chunk	*rp_chunks;	/* reg_pe objects, in chunks */
	struct reg_pe		*rp_free;	/* freed ones, through ->pe */
	uint32_t		 rp_left;	/* unused in the newest chunk */
	uint64_t		 expiry_at;	/* what r->expiry is set for */
	uint64_t		 msg_now;	/* the clock for this message */
	bool			 in_msg;	/* msg_now is valid */
};

/* asap_server.c */
int	registrar_init(struct registrar *r, struct ev_loop *loop,
	    const struct registrar_config *conf);
void	registrar_shutdown(struct registrar *r);
/* Apply a new configuration (SIGHUP): limits, timers, listeners. */
int	registrar_reconfigure(struct registrar *r,
	    const struct registrar_config *conf);
/* Remove a PE registered here and free its state. */
void	registrar_pe_remove(struct registrar *r, struct hs_pe *pe,
	    const char *why);
const char *assoc_transport_name(enum assoc_transport t);
/*
 * The socket options of every ASAP association and ENRP connection, from
 * the configuration: NODELAY, TCP keep-alive probes after
 * keepalive-interval (1 s apart, 3 of them), a TCP user timeout of
 * keepalive-interval + keepalive-timeout.  sctp_rto (ENRP): SCTP RTOs
 * that fail a dead association within about that user timeout too.
 */
void	registrar_tune(const struct registrar_config *c, bool sctp_rto,
	    struct cn_tune *t);
/*
 * For ENRP: drop the keep-alive state of a PE registered here that moved to
 * another registrar (the PE stays in the handlespace), and re-arm the
 * registration-life expiry timer after PEs were added.
 */
void	registrar_pe_release(struct registrar *r, struct hs_pe *pe);
/*
 * asap_server.c for unreachable.c: send a PE registered here a keep-alive
 * now unless one is unanswered (0), or -1 when it cannot.
 */
int	registrar_pe_probe(struct reg_pe *rp);
/* Milliseconds until rp's keep-alive timer (next one or its timeout). */
static inline uint64_t
registrar_pe_ka_in(const struct reg_pe *rp)
{
	return whl_remaining(&rp->r->ka_wheel, &rp->ka, ev_now(rp->r->loop));
}
/* "pool/0x00000001" for log lines; the address key of a source. */
const char *pe_name(const struct hs_pe *pe, char *buf, size_t len);
void	source_key(const struct sockaddr_storage *ss, uint8_t *addr,
	    uint8_t *family);

/*
 * unreachable.c: ENDPOINT_UNREACHABLE made at any registrar (RFC 5352
 * §3.5, RFC 5355 §2.13; doc/spec/unreachable-report.md).  A report about
 * pe by `reporter' (a pool user's address), received here (peer NULL) or
 * forwarded by an ENRP peer.
 */
void	unreach_report(struct registrar *r, struct hs_pe *pe,
	    const struct sockaddr_storage *reporter, const char *from,
	    bool peer);
/* The PE answered a keep-alive: reports void, shown again, announced. */
void	unreach_answered(struct registrar *r, struct reg_pe *rp);
/* The same without the announcement (it re-registered); true if hidden. */
bool	unreach_alive(struct registrar *r, struct reg_pe *rp);
/* Its home announced the PE again (ENRP ADD_PE): no longer suspect. */
void	unreach_cleared(struct registrar *r, const uint8_t *handle,
	    size_t hlen, uint32_t id);
/* 1 s sweep: end hiding that outlived its hold. */
void	unreach_sweep(struct registrar *r, uint64_t now);
/* How many more PEs a resolution asks for, to skip the hidden ones. */
uint32_t unreach_extra(const struct registrar *r);
void	unreach_free_pe(struct registrar *r, struct reg_pe *rp);
void	unreach_shutdown(struct registrar *r);
void	registrar_expiry_arm(struct registrar *r);
/* When a registration life (RSP_LIFE_INFINITE, else in life-units) given
 * now ends, capped by life-max: HS_NEVER for an infinite one. */
uint64_t registrar_pe_expires(const struct registrar *r, int32_t life);
/*
 * For an ENRP takeover (RFC 5353 §3.5.2): make a connected SCTP socket this
 * registrar opened to a PE an ASAP association; keep a PE it now owns alive
 * over it, beginning with ENDPOINT_KEEP_ALIVE with the home flag.
 */
struct assoc *registrar_assoc_adopt(struct registrar *r, int fd,
	    const struct sockaddr_storage *ss);
void	registrar_pe_adopt(struct registrar *r, struct hs_pe *pe,
	    struct assoc *as);

/* reg_tls.c: TLS contexts from the configuration (issue 12). */
/* Build the ASAP server context (no tls block: none) and ENRP's (enrp tls
 * on).  0, or -errno logged. */
int	reg_tls_init(struct registrar *r, const struct registrar_config *c);
/* SIGHUP: new keys and certificates for new connections; on error the
 * old ones stay (logged).  Established associations keep theirs. */
int	reg_tls_reload(struct registrar *r, const struct registrar_config *c);
void	reg_tls_free(struct registrar *r);
/*
 * A connection ended on TLS (CN_END_TLS, CN_END_TLS_ON_PLAIN): count it
 * by reason and say why in one rate-limited line naming the peer and the
 * port kind ("ASAP", "ASAP over TLS", "ENRP over TLS").
 */
void	reg_tls_failed(struct registrar *r, const struct cn *c,
	    enum cn_end end, const char *name, const char *port_kind,
	    const char *why);
/* The counter label of tls_failures[i]. */
static inline const char *
reg_tls_fail_name(size_t i)
{
	return i == REG_TLS_ON_PLAIN ? "tls_on_plain_port" :
	    tls_fail_name((enum tls_fail)i);
}
/* The authenticated identity of an association over TLS (PSK identity or
 * certificate name), or NULL. */
static inline const char *
assoc_identity(const struct assoc *as)
{
	return as->tls_auth != TLS_AUTH_NONE ? as->tls_id : NULL;
}

/*
 * authz.c: who may register into which pool, and who registered each PE
 * (doc/spec/registrant-identity.md).  A registrant's token (0: none) for
 * a kind (RSP_REGISTRANT_*) and name, made on first use; 0 when the name is
 * invalid or the table is full.
 */
uint32_t	 authz_token(struct registrar *r, uint8_t kind, const char *name,
		    size_t len);
/* The token of an association's TLS identity (0: none, or no room). */
uint32_t	 authz_assoc_token(struct assoc *as);
/* A token's name and kind, or NULL for 0 or an unknown token. */
const char	*authz_name(const struct registrar *r, uint32_t token,
		    uint8_t *ret_kind);
/* "PSK identity pe-1", "certificate pe.example" or "nobody authenticated" */
const char	*authz_describe(const struct registrar *r, uint32_t token,
		    char *buf, size_t len);
/* For ENRP: a PE's registrant into, and out of, a Pool Element parameter. */
void		 authz_export(const struct registrar *r, const struct hs_pe *pe,
		    struct rsp_pe *x);
uint32_t	 authz_import(struct registrar *r, const struct rsp_pe *x);
/* registrard.conf's authorize statements: may as register into handle? */
bool		 authz_permits(const struct registrar_config *c,
		    const struct assoc *as, const uint8_t *handle, size_t len);
void		 authz_free(struct registrar *r);

/* announce.c */
int	announce_start(struct registrar *r);
void	announce_stop(struct registrar *r);
/* A UDP socket that sends to multicast groups (TTL 16, looped back to this
 * host); also ENRP's multicast PRESENCE.  -1 and errno on failure. */
int	mcast_socket(int family);

#endif
