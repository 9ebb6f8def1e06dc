/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ENRP (RFC 5353) in registrard, as the rest of the daemon sees it: the
 * peer list and its state machine, the connections to peers on port 9901
 * over SCTP (PPID 12, one-to-one sockets) and/or the TCP mapping (always
 * between the nodes' unicast addresses), mentor discovery and the handle
 * table download that makes a node "synchronized", HANDLE_UPDATE
 * announcements of owned PEs, PRESENCE heartbeats with the PE checksum and
 * the audit they drive, failure detection and takeover, and optional peer
 * discovery by PRESENCE over UDP multicast (RSPLIB practice).  The control
 * socket and the metrics exporter read ENRP's state through the accessors
 * below; the structures are ENRP's own (enrp_int.h).
 */
#ifndef ANYPOOL_ENRP_H
#define ANYPOOL_ENRP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "enrp_fsm.h"
#include "rserpool.h"

struct registrar;
struct hs_pe;
struct enrp;

/*
 * What ENRP refuses from outside its peers (issue 12; enrp_admit.c), by
 * reason: the control socket and the metrics show each count.
 */
enum enrp_refusal {
	ENRP_REFUSED_NOT_ALLOWED,	/* connection from no configured peer,
					 * outside "allow from" */
	ENRP_REFUSED_CONN_LIMIT,	/* connections of other sources (not
					 * configured peers) at their limit */
	ENRP_REFUSED_SOURCE_CAP,	/* one source's oldest connection closed
					 * for a new one (per-source cap) */
	ENRP_REFUSED_WRONG_SOURCE,	/* a message naming a peer's server id
					 * from another address */
	ENRP_REFUSED_OUTSIDE,		/* a peer list entry or multicast
					 * PRESENCE outside the allowed set */
	ENRP_REFUSED_LIST,		/* a peer list nobody asked for */
	ENRP_REFUSED_LIVE_TAKEOVER,	/* TAKEOVER_SERVER of a live peer */
	ENRP_REFUSED_MAX
};

struct enrp_stats {
	uint64_t	 rx_msgs[ENRP_MSG_MAX + 1];
	uint64_t	 tx_msgs[ENRP_MSG_MAX + 1];
	uint64_t	 rx_errors, tx_dropped;
	uint64_t	 takeovers, takeovers_lost, takeovers_abandoned;
	uint64_t	 pes_taken_over;
	uint64_t	 checksum_mismatches, audits_completed, audit_removals;
	uint64_t	 updates_applied, updates_rejected;
	uint64_t	 downloads, download_pes;
	uint64_t	 peers_dead;
	uint64_t	 stalls;	/* our own, each followed by a resync */
	uint64_t	 mcast_sent, mcast_received, mcast_errors;
	uint64_t	 peers_discovered;
	uint64_t	 home_change_pes, home_change_failures;
	uint64_t	 refused[ENRP_REFUSED_MAX];
};

/*
 * What the control socket and the metrics exporter read (enrp_view.c, so
 * that they link without the rest of ENRP).  e is r->enrp: NULL when ENRP
 * is off, and then the node counts as synchronized.
 */
struct enrp_peer_view {
	uint32_t		 id;		/* 0: not known yet */
	struct sockaddr_storage	 addr;		/* its ENRP address and port */
	enum enrp_peer_state	 state;
	bool			 configured;
	bool			 connected;	/* our connection to it is up */
	bool			 tls;		/* ... and runs TLS (issue 12) */
	uint64_t		 last_heard;	/* ev_now() time */
	bool			 has_checksum;
	uint16_t		 checksum;	/* last one it announced */
	uint64_t		 rx_msgs;
};

bool	enrp_synchronized(const struct enrp *e);
/* The mentor's server id, 0: none (yet). */
uint32_t enrp_mentor(const struct enrp *e);
/* Peers whose server id is known. */
uint32_t enrp_peer_count(const struct enrp *e);
/* The peers in list order: *cursor NULL to begin; false after the last. */
bool	enrp_peer_next(const struct enrp *e, const void **cursor,
	    struct enrp_peer_view *ret);
/* NULL when ENRP is off. */
const struct enrp_stats *enrp_get_stats(const struct enrp *e);
/* Synchronized: true, and how long it took from the start (ms). */
bool	enrp_sync_time(const struct enrp *e, uint64_t *ret_ms);

/* Start ENRP if the configuration has an enrp block (else r->enrp stays
 * NULL and the node counts as synchronized).  0 or -errno. */
int	enrp_start(struct registrar *r);
void	enrp_stop(struct registrar *r);
/* SIGHUP: new timers apply at once; listen address and peers at restart. */
void	enrp_reconfigure(struct registrar *r);

/*
 * Hooks for the ASAP side (RFC 5353 §3.3.1, §3.3.2): a PE owned here was
 * registered or re-registered; a PE is about to be removed from the
 * handlespace (announced only if this server owns it).
 */
void	enrp_pe_registered(struct registrar *r, struct hs_pe *pe);
void	enrp_pe_removing(struct registrar *r, struct hs_pe *pe);
/*
 * A deregistration granted here (RFC 5352 §3.2) of a PE another server
 * owns (it registered there; the anycast address brought the
 * deregistration here): announced as DEL_PE naming the PE's home, so the
 * home and every other peer drop it too.  Call before removing it.
 */
void	enrp_pe_deregistered(struct registrar *r, struct hs_pe *pe);
/*
 * A pool user at `reporter' reported pe, homed at a peer, unreachable
 * here: pass it to the home (ENRP_PE_REPORT, doc/spec/unreachable-
 * report.md).  0 sent, -1 the home is not a connected peer.
 */
int	enrp_pe_report(struct registrar *r, struct hs_pe *pe,
	    const struct sockaddr_storage *reporter);

/* The reason as the control socket and the metrics label name it. */
static inline const char *
enrp_refusal_name(enum enrp_refusal r)
{
	switch (r) {
	case ENRP_REFUSED_NOT_ALLOWED:		return "not_allowed";
	case ENRP_REFUSED_CONN_LIMIT:		return "connection_limit";
	case ENRP_REFUSED_SOURCE_CAP:		return "source_cap";
	case ENRP_REFUSED_WRONG_SOURCE:		return "wrong_source";
	case ENRP_REFUSED_OUTSIDE:		return "outside_allowed";
	case ENRP_REFUSED_LIST:		return "unsolicited_list";
	case ENRP_REFUSED_LIVE_TAKEOVER:	return "takeover_of_live_peer";
	case ENRP_REFUSED_MAX:			break;
	}
	return "?";
}

static inline const char *
enrp_peer_state_name(enum enrp_peer_state s)
{
	switch (s) {
	case ENRP_PEER_NEW:		return "new";
	case ENRP_PEER_ACTIVE:		return "active";
	case ENRP_PEER_PROBING:		return "probing";
	case ENRP_PEER_DEAD:		return "dead";
	case ENRP_PEER_NOT_ACTIVE:	return "not-active";
	}
	return "?";
}

#endif
