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
#include "log.h"
#include "conn.h"

struct registrar;
struct assoc;
struct enrp;

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
};

/* Registrar state of a PE registered here (hs_pe udata). */
struct reg_pe {
	struct registrar	*r;
	struct hs_pe		*pe;
	struct assoc		*as;		/* association it registered over */
	LIST_ENTRY(reg_pe)	 as_entry;
	struct ev_ref		 ka;		/* next keep-alive, or its timeout */
	bool			 ka_waiting;	/* a keep-alive is unanswered */
	uint32_t		 bad_reports;	/* Endpoint Unreachable count */
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
};

struct listener {
	struct registrar	*r;
	struct cn_listener	 cl;
	enum assoc_transport	 transport;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
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

/* announce.c */
int	announce_start(struct registrar *r);
void	announce_stop(struct registrar *r);
/* A UDP socket that sends to multicast groups (TTL 16, looped back to this
 * host); also ENRP's multicast PRESENCE.  -1 and errno on failure. */
int	mcast_socket(int family);

#endif
