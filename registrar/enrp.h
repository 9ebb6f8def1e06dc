/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ENRP (RFC 5353) in registrard: the peer list and its state machine, the
 * connections to peers on port 9901 over SCTP (PPID 12, one-to-one sockets)
 * and/or the TCP mapping (always between the nodes' unicast addresses), mentor discovery and the handle table download
 * that makes a node "synchronized", HANDLE_UPDATE announcements of owned PEs,
 * PRESENCE heartbeats with the PE checksum and the audit they drive, failure
 * detection and takeover, and optional peer discovery by PRESENCE over UDP
 * multicast (RSPLIB practice).  The control socket and the metrics exporter read
 * the structures below (never call into enrp.c: they link without it).
 */
#ifndef ANYPOOL_ENRP_H
#define ANYPOOL_ENRP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "event.h"
#include "log.h"
#include "regconf.h"
#include "rserpool.h"
#include "stream.h"

struct registrar;
struct hs_pe;

/* Limits on what peers can make us allocate. */
#define ENRP_MAX_PEERS		64	/* peer list entries */
#define ENRP_MAX_CONNS		128	/* connections peers opened to us */
#define ENRP_MAX_SESSIONS	8	/* table dumps served at once */
#define ENRP_OUT_MAX		(16u << 20) /* unsent bytes to one peer */
#define ENRP_MAX_KACONNS	256	/* associations being opened to PEs */

enum enrp_peer_state {
	ENRP_PEER_NEW,		/* configured; its server id is not known yet */
	ENRP_PEER_ACTIVE,	/* heard within MAX-TIME-LAST-HEARD */
	ENRP_PEER_PROBING,	/* PRESENCE R=1 sent, waiting (RFC 5353 §3.4.3) */
	ENRP_PEER_DEAD,		/* declared dead; our takeover (§3.5.1) */
	ENRP_PEER_NOT_ACTIVE,	/* another server takes it over */
};

struct enrp;
struct enrp_peer;

struct enrp_conn {
	struct enrp		*e;
	TAILQ_ENTRY(enrp_conn)	 entry;		/* inbound list */
	int			 fd;
	bool			 outbound;	/* we opened it (we send on it) */
	bool			 connected;
	bool			 sctp;		/* SCTP association, else TCP */
	struct enrp_peer	*peer;		/* outbound: owner; inbound: sender */
	struct sockaddr_storage	 remote;
	char			 name[80];
	struct ev_ref		 io;
	struct rsp_stream	 rx;		/* received, not yet handled */
	struct rsp_outq		 tx;		/* not yet sent */
	uint64_t		 rx_msgs;
	struct log_ratelimit	 rl;
};

struct enrp_peer {
	struct enrp		*e;
	TAILQ_ENTRY(enrp_peer)	 entry;
	uint32_t		 id;		/* 0 while ENRP_PEER_NEW */
	struct sockaddr_storage	 addr;		/* its ENRP address and port */
	socklen_t		 addrlen;
	bool			 configured;	/* from the config file */
	bool			 discovered;	/* from a multicast PRESENCE */
	enum enrp_peer_state	 state;
	struct enrp_conn	*out;		/* our connection to it */
	uint64_t		 last_heard;	/* peer_last_heard (§4) */
	uint64_t		 probe_sent;
	uint64_t		 state_since;
	uint64_t		 next_connect;
	bool			 connect_tcp;	/* next connect over TCP (both on) */
	bool			 has_checksum;
	uint16_t		 checksum;	/* last one it announced */
	bool			 checksum_ok;	/* equal to ours for it */
	uint64_t		 rx_msgs;
	/* our takeover of this peer (RFC 5353 §3.5) */
	bool			 to_running;
	uint64_t		 to_started, to_retry;
	uint32_t		 to_need[ENRP_MAX_PEERS];	/* ACKs missing */
	uint32_t		 to_nneed;
	/* audit of this peer's PEs (RFC 5353 §3.6.3) */
	struct enrp_snap	*audit;
	uint64_t		 audit_sent;
	char			 name[96];
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
	uint64_t	 mcast_sent, mcast_received, mcast_errors;
	uint64_t	 peers_discovered;
	uint64_t	 home_change_pes, home_change_failures;
};

/*
 * An SCTP association being opened to the ASAP transport address of PEs
 * taken over (RFC 5353 §3.5.2): once up it becomes an ASAP association and
 * the PEs get ENDPOINT_KEEP_ALIVE with H=1 over it.
 */
struct enrp_kaconn {
	struct enrp		*e;
	TAILQ_ENTRY(enrp_kaconn) entry;
	int			 fd;
	struct ev_ref		 io;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	struct enrp_snap	*pes;		/* which PEs (handle, id) */
	uint64_t		 started;
};

/* One multicast group of the peer discovery (RSPLIB practice: PRESENCE
 * over UDP to 239.0.0.51:9901; not in RFC 5353). */
struct enrp_mcast {
	struct enrp		*e;
	int			 rfd;		/* bound to the group, joined */
	int			 sfd;		/* sends from our ENRP address */
	struct ev_ref		 io;
	struct sockaddr_storage	 group;
	socklen_t		 grouplen;
	unsigned int		 ifindex;	/* 0: the kernel's choice */
	char			 name[80];
};

enum enrp_phase {
	ENRP_DISCOVER,		/* looking for a mentor (§3.2) */
	ENRP_DOWNLOAD,		/* handle table download running (§3.3) */
	ENRP_SYNCHRONIZED,
};

struct enrp {
	struct registrar	*r;
	int			 lfd;		/* TCP mapping listener, -1: none */
	struct ev_ref		 lio;
	int			 sfd;		/* SCTP listener, -1: none */
	struct ev_ref		 sio;
	bool			 use_tcp, use_sctp;	/* what we listen and connect on */
	struct sockaddr_storage	 local;		/* our ENRP address and port */
	socklen_t		 locallen;
	TAILQ_HEAD(, enrp_peer)	 peers;
	uint32_t		 npeers;
	TAILQ_HEAD(, enrp_conn)	 conns;		/* inbound */
	uint32_t		 nconns;
	struct enrp_session	*sessions[ENRP_MAX_SESSIONS];
	enum enrp_phase		 phase;
	bool			 synchronized;
	uint32_t		 mentor;	/* server id, 0: none */
	uint32_t		 rejected_by;	/* last mentor that said R=1 */
	uint64_t		 started, synced_at, deadline, retry_at;
	uint64_t		 dl_sent, dl_pes;
	struct ev_ref		 heartbeat, tick;
	struct enrp_mcast	 mcast[CONF_MAX_GROUPS];
	size_t			 nmcast;	/* groups in use */
	uint32_t		 ndiscovered;	/* peers with .discovered */
	TAILQ_HEAD(, enrp_kaconn) kaconns;
	uint32_t		 nkaconns;
	struct enrp_stats	 stats;
	struct log_ratelimit	 rl;
	struct log_ratelimit	 rl_mcast;	/* anyone on the link can send */
};

/* Start ENRP if the configuration has an enrp block (else r->enrp stays
 * NULL and the node counts as synchronized).  0 or -errno. */
int	enrp_start(struct registrar *r);
void	enrp_stop(struct registrar *r);
/* SIGHUP: new timers apply at once; listen address and peers at restart. */
void	enrp_reconfigure(struct registrar *r);

/*
 * Hooks for the ASAP side (RFC 5353 §3.1.1, §3.1.2): a PE owned here was
 * registered or re-registered; a PE is about to be removed from the
 * handlespace (announced only if this server owns it).
 */
void	enrp_pe_registered(struct registrar *r, struct hs_pe *pe);
void	enrp_pe_removing(struct registrar *r, struct hs_pe *pe);
/*
 * A deregistration granted here (RFC 5352 §3.3) of a PE another server
 * owns (it registered there; the anycast address brought the
 * deregistration here): announced as DEL_PE naming the PE's home, so the
 * home and every other peer drop it too.  Call before removing it.
 */
void	enrp_pe_deregistered(struct registrar *r, struct hs_pe *pe);

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
