/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the files of registrard's ENRP share and nothing else sees: the
 * handlespace snapshots and table sessions, and the functions each file
 * offers the others.  enrp.h stays the face of ENRP for the rest of
 * registrard.  The files, by topic:
 *   enrp.c          dispatch of received messages, building messages,
 *                   timers, start/stop/reconfigure
 *   enrp_conn.c     connections and listeners: every socket of ENRP
 *                   peering (TCP mapping and SCTP), reading and sending
 *   enrp_peer.c     the peer table, learning peers, PRESENCE, peer lists
 *   enrp_sync.c     snapshots, mentor download, serving the handle table,
 *                   audit (RFC 5353 §3.2.3, §3.6)
 *   enrp_update.c   HANDLE_UPDATE in both directions (§3.3)
 *   enrp_takeover.c takeover and the home change of PEs taken over (§3.5)
 *   enrp_mcast.c    peer discovery by multicast PRESENCE (RSPLIB practice)
 *   enrp_fsm.c      the peer life cycle and mentor choice as pure state
 *                   machines (enrp_fsm.h); the files above carry out
 *                   their actions
 *   enrp_view.c     the read-only accessors of enrp.h (control, metrics)
 *   enrp_admit.c    who may peer: configured peers and "allow from"
 *                   prefixes, checked at accept, per message and for
 *                   every address we would connect to (issue 12)
 */
#ifndef ANYPOOL_ENRP_INT_H
#define ANYPOOL_ENRP_INT_H

#include <sys/queue.h>
#include <sys/socket.h>

#include "addr.h"
#include "event.h"
#include "log.h"
#include "regconf.h"
#include "registrar.h"
#include "conn.h"
#include "enrp.h"
#include "enrp_fsm.h"

#define MSG_BUF		65536
#define ENRP_PPID	12	/* RFC 5353 §5.4 (IANA: ENRP) */
#define ERR_DATA_MAX	1024
#define KACONN_TIMEOUT	10000	/* ms to open an association to a PE */

/* Limits on what peers can make us allocate. */
/* Connections to us from sources that are not configured peers (those
 * have at most ENRP_MAX_PER_SOURCE each and are never refused). */
#define ENRP_MAX_CONNS		64
#define ENRP_MAX_PER_SOURCE	4	/* connections to us from one IP */
#define ENRP_MAX_SESSIONS	8	/* table dumps served at once */
#define ENRP_OUT_MAX		(16u << 20) /* unsent bytes to one peer */
#define ENRP_MAX_KACONNS	256	/* associations being opened to PEs */

struct enrp;
struct enrp_peer;

struct enrp_conn {
	struct enrp		*e;
	TAILQ_ENTRY(enrp_conn)	 entry;		/* inbound list */
	struct cn		 cn;		/* socket, framing, send queue */
	bool			 outbound;	/* we opened it (we send on it) */
	bool			 connected;
	bool			 sctp;		/* SCTP association, else TCP */
	struct enrp_peer	*peer;		/* outbound: owner; inbound: sender */
	struct sockaddr_storage	 remote;
	char			 name[80];
	uint64_t		 rx_msgs;
	uint64_t		 last_active;	/* accepted, last message */
	bool			 reserved;	/* inbound from a configured
						 * peer's address (not counted
						 * in nconns_open) */
	struct log_ratelimit	 rl;
	/* the peer's PSK identity, over TLS */
	char			 tls_id[CONF_TLS_ID_MAX];
};

struct enrp_peer {
	struct enrp		*e;
	TAILQ_ENTRY(enrp_peer)	 entry;
	uint32_t		 id;		/* 0 while ENRP_PEER_NEW */
	struct sockaddr_storage	 addr;		/* its ENRP address and port */
	socklen_t		 addrlen;
	bool			 configured;	/* from the config file */
	bool			 discovered;	/* from a multicast PRESENCE */
	struct enrp_fsm_peer	 fsm;		/* its life cycle (enrp_fsm.h) */
	struct enrp_conn	*out;		/* our connection to it */
	uint64_t		 next_connect;
	bool			 connect_tcp;	/* next connect over TCP (both on) */
	bool			 has_checksum;
	uint16_t		 checksum;	/* last one it announced */
	bool			 checksum_ok;	/* equal to ours for it */
	uint64_t		 rx_msgs;
	/* audit of this peer's PEs (RFC 5353 §3.6.3) */
	struct enrp_snap	*audit;
	uint64_t		 audit_sent;
	char			 name[96];
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

struct enrp {
	struct registrar	*r;
	uint64_t		 last_tick;	/* a stall shows as a gap */
	struct cn_listener	 ltcp;		/* TCP mapping listener (fd -1: none) */
	struct cn_listener	 lsctp;		/* SCTP listener (fd -1: none) */
	bool			 use_tcp, use_sctp;	/* what we listen and connect on */
	struct sockaddr_storage	 local;		/* our ENRP address and port */
	socklen_t		 locallen;
	TAILQ_HEAD(, enrp_peer)	 peers;
	uint32_t		 npeers;
	TAILQ_HEAD(, enrp_conn)	 conns;		/* inbound */
	uint32_t		 nconns;
	uint32_t		 nconns_open;	/* not from configured peers */
	/* "allow from" when none is configured and multicast is on: the
	 * subnets of the ENRP interface, found at start (enrp_admit.c) */
	struct conf_prefix	 subnet[CONF_MAX_ALLOW];
	size_t			 nsubnet;
	struct enrp_session	*sessions[ENRP_MAX_SESSIONS];
	struct enrp_fsm_sync	 sync;		/* mentor and download (enrp_fsm.h) */
	uint64_t		 started, synced_at;
	uint64_t		 dl_pes;
	struct ev_ref		 heartbeat, tick;
	struct enrp_mcast	 mcast[CONF_MAX_GROUPS];
	size_t			 nmcast;	/* groups in use */
	uint32_t		 ndiscovered;	/* peers with .discovered */
	TAILQ_HEAD(, enrp_kaconn) kaconns;
	uint32_t		 nkaconns;
	struct enrp_stats	 stats;
	struct log_ratelimit	 rl;
	struct log_ratelimit	 rl_mcast;	/* anyone on the link can send */
	struct log_ratelimit	 rl_refuse;	/* refusals, enrp_admit.c */
};

/* A copy of (pool handle, PE id) pairs: a table dump's cursor, an audit's
 * marks.  Handles are copied once per pool into one arena. */
struct snap_ent {
	uint32_t	 hoff;
	uint16_t	 hlen;
	bool		 seen;
	uint32_t	 id;
};

struct enrp_snap {
	uint8_t		*h;
	size_t		 hlen, hcap;
	struct snap_ent	*ent;
	size_t		 n, cap;
};

/* A table dump we serve (RFC 5353 §3.2.3: the mentor's download session). */
struct enrp_session {
	uint32_t	 peer;
	bool		 own_only;
	struct enrp_snap snap;
	size_t		 next;
	uint64_t	 last;
};

static inline uint64_t
now_ms(const struct enrp *e)
{
	return ev_now(e->r->loop);
}

static inline const struct conf_enrp *
cfg(const struct enrp *e)
{
	return &e->r->conf.enrp;
}

/* The state machines' parameters from the configuration (SIGHUP may
 * change it at any time). */
static inline struct enrp_fsm_params
fsm_params(const struct enrp *e)
{
	const struct conf_enrp *k = cfg(e);
	struct enrp_fsm_params prm = {
		.self = e->r->server_id,
		.max_last_heard = k->max_last_heard,
		.max_no_response = k->max_no_response,
		.takeover_expiry = k->takeover_expiry,
		.mentor_discovery = k->mentor_discovery,
		.highest_id_wins = k->takeover_winner == CONF_TAKEOVER_HIGHEST_ID,
	};

	return prm;
}

/* enrp.c: dispatch and building messages */
void	enrp_handle_message(struct enrp_conn *, const uint8_t *, size_t);
size_t	enrp_msg_begin(struct enrp *, struct wbuf *, uint8_t, uint8_t,
	    uint32_t);
void	enrp_build_presence(struct enrp *, struct wbuf *, bool, uint32_t);
/* to one peer, or to all of them (p NULL) */
void	enrp_send_presence(struct enrp *, struct enrp_peer *, bool, uint32_t);
void	enrp_send_simple(struct enrp *, struct enrp_peer *, uint8_t, uint8_t);
void	enrp_build_target(struct enrp *, struct wbuf *, uint8_t, uint32_t,
	    uint32_t);

/* enrp_conn.c: connections, listeners, sending */
int	enrp_listen_start(struct enrp *);
void	enrp_listen_stop(struct enrp *);
void	enrp_conn_close(struct enrp_conn *, const char *);
void	enrp_peer_connect(struct enrp_peer *);
struct enrp_conn *enrp_peer_conn(struct enrp *, struct enrp_peer *);
void	enrp_peer_send(struct enrp *, struct enrp_peer *, struct wbuf *);
void	enrp_announce(struct enrp *, struct wbuf *, uint32_t);
void	enrp_send_error(struct enrp_conn *, uint32_t, uint16_t,
	    const uint8_t *, size_t);
void	enrp_sctp_tune(const struct enrp *, int);

/* enrp_peer.c: the peer table */
struct enrp_peer *enrp_peer_find(struct enrp *, uint32_t);
struct enrp_peer *enrp_peer_find_unknown(struct enrp *,
	    const struct sockaddr_storage *);
struct enrp_peer *enrp_peer_new(struct enrp *, uint32_t,
	    const struct sockaddr_storage *, socklen_t, bool);
void	enrp_peer_name(struct enrp_peer *);
void	enrp_peer_learned(struct enrp_peer *, uint32_t);
size_t	enrp_peer_views(struct enrp *, struct enrp_fsm_view *, size_t);
void	enrp_peer_remove(struct enrp_peer *);
struct enrp_peer *enrp_peer_learn(struct enrp *, struct enrp_conn *,
	    const struct rsp_msg *);
void	enrp_own_server_info(const struct enrp *, struct rsp_server_info *);
void	enrp_on_presence(struct enrp *, struct enrp_peer *,
	    const struct rsp_msg *);
void	enrp_on_list_request(struct enrp *, struct enrp_peer *);
void	enrp_on_list_response(struct enrp *, struct enrp_peer *,
	    const struct rsp_msg *);

/* enrp_sync.c: snapshots, download, table, audit */
void	enrp_snap_free(struct enrp_snap *);
void	enrp_snap_add(struct enrp_snap *, const uint8_t *, size_t, uint32_t,
	    bool);
void	enrp_snap_take(struct hs *, uint32_t, struct enrp_snap *);
void	enrp_session_end(struct enrp_session **);
void	enrp_on_table_request(struct enrp *, struct enrp_peer *,
	    const struct rsp_msg *);
void	enrp_on_table_response(struct enrp *, struct enrp_conn *,
	    struct enrp_peer *, const struct rsp_msg *);
void	enrp_become_synchronized(struct enrp *, const char *);
void	enrp_start_download(struct enrp *, struct enrp_peer *);
void	enrp_start_audit(struct enrp *, struct enrp_peer *);
void	enrp_peer_audit_end(struct enrp_peer *);

/* enrp_update.c: HANDLE_UPDATE */
int	enrp_merge_pe(struct enrp *, const struct rsp_bytes *,
	    const struct rsp_pe *, uint32_t, bool);
void	enrp_on_pe_report(struct enrp *, struct enrp_peer *,
	    const struct rsp_msg *);
void	enrp_on_update(struct enrp *, struct enrp_conn *, struct enrp_peer *,
	    const struct rsp_msg *);

/* enrp_takeover.c: takeover (RFC 5353 §3.5) */
void	enrp_peer_dead(struct enrp *, struct enrp_peer *);
void	enrp_on_init_takeover(struct enrp *, struct enrp_peer *,
	    const struct rsp_msg *);
void	enrp_on_init_takeover_ack(struct enrp *, struct enrp_peer *,
	    const struct rsp_msg *);
void	enrp_on_takeover_server(struct enrp *, struct enrp_peer *,
	    const struct rsp_msg *);
void	enrp_kaconn_end(struct enrp_kaconn *, bool);
void	enrp_kaconns_expire(struct enrp *, uint64_t);

/* enrp_admit.c: who may peer (issue 12) */
void	enrp_admit_start(struct enrp *);
/* May we peer with this IP (a configured peer's, or inside the allowed
 * prefixes)?  Pure check, no counting. */
bool	enrp_admit_addr(const struct enrp *,
	    const struct sockaddr_storage *);
/* Is this IP a configured peer's? */
bool	enrp_admit_configured(const struct enrp *,
	    const struct sockaddr_storage *);
/* Count a refusal and log it (rate-limited): "ENRP <what> from <ss>
 * refused: <why>". */
void	enrp_refuse(struct enrp *, enum enrp_refusal,
	    const struct sockaddr_storage *, const char *, const char *);
/* Does peer p's traffic come from where c comes from? */
bool	enrp_admit_sender(struct enrp *, const struct enrp_conn *,
	    const struct enrp_peer *, const struct rsp_msg *);

/* enrp_mcast.c: multicast discovery */
struct ifaddrs;
/* The interface in ifa (getifaddrs()) that holds our ENRP address, 0 if
 * none. */
unsigned int enrp_local_ifindex(const struct enrp *, const struct ifaddrs *);
void	enrp_mcast_start(struct enrp *);
void	enrp_mcast_stop(struct enrp *);
void	enrp_mcast_send(struct enrp *);

#endif
