/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ENRP peer life cycle and the node's synchronisation as pure state
 * machines: functions of (state, event, now) that return actions for the
 * caller as bits, with no sockets, no clock and no struct enrp, so that
 * unit tests drive them with injected times (tests/unit/test_enrp_fsm.c).
 * Per peer: failure detection (RFC 5353 §3.4.3: silent for
 * MAX-TIME-LAST-HEARD, probe with a PRESENCE R=1, dead after
 * MAX-TIME-NO-RESPONSE), presence (anything heard makes it active), and
 * our takeover of it (§3.5.1: INIT_TAKEOVER to all, the ACKs of every
 * peer that was active, TAKEOVER_SERVER; the configured winner rule
 * arbitrates between two takers; expiry and retry).  Per node: the mentor
 * choice and handle table download that make it synchronized (§3.2.2,
 * §3.2.3).
 * The enrp*.c files carry out the actions: enrp.c, enrp_peer.c,
 * enrp_sync.c, enrp_takeover.c.
 */
#ifndef ANYPOOL_ENRP_FSM_H
#define ANYPOOL_ENRP_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENRP_MAX_PEERS		64	/* peer list entries */

enum enrp_peer_state {
	ENRP_PEER_NEW,		/* configured; its server id is not known yet */
	ENRP_PEER_ACTIVE,	/* heard within MAX-TIME-LAST-HEARD */
	ENRP_PEER_PROBING,	/* PRESENCE R=1 sent, waiting (RFC 5353 §3.4.3) */
	ENRP_PEER_DEAD,		/* declared dead; our takeover (§3.5.1) */
	ENRP_PEER_NOT_ACTIVE,	/* another server takes it over */
};

enum enrp_phase {
	ENRP_DISCOVER,		/* looking for a mentor (§3.2) */
	ENRP_DOWNLOAD,		/* handle table download running (§3.2.3) */
	ENRP_SYNCHRONIZED,
};

/* From the configuration (struct conf_enrp), times in ms. */
struct enrp_fsm_params {
	uint32_t	 self;			/* our server id */
	uint64_t	 max_last_heard;	/* MAX-TIME-LAST-HEARD */
	uint64_t	 max_no_response;	/* MAX-TIME-NO-RESPONSE */
	uint64_t	 takeover_expiry;
	uint64_t	 mentor_discovery;
	bool		 highest_id_wins;	/* else the lowest id wins */
};

/* One peer's life cycle. */
struct enrp_fsm_peer {
	enum enrp_peer_state state;
	uint64_t	 state_since;
	uint64_t	 last_heard;	/* peer_last_heard (§4) */
	uint64_t	 probe_sent;
	/* our takeover of this peer (RFC 5353 §3.5) */
	bool		 to_running;
	uint64_t	 to_started, to_retry;
	uint32_t	 to_need[ENRP_MAX_PEERS];	/* ACKs missing */
	uint32_t	 to_nneed;
};

/* What the machines know of the other peers (mentor choice, ACK set). */
struct enrp_fsm_view {
	uint32_t	 id;		/* 0: not known yet */
	enum enrp_peer_state state;
	bool		 connected;	/* we can send to it */
};

/* Actions on one peer, as bits. */
#define ENRP_FSM_PROBE		0x001u	/* send it PRESENCE with R=1 */
#define ENRP_FSM_CONNECT	0x002u	/* connect to it if not connected */
#define ENRP_FSM_DEAD		0x004u	/* declared dead: close, count,
					 * then enrp_fsm_takeover_start() */
#define ENRP_FSM_REMOVE		0x008u	/* forget it (dead, owned no PEs) */
#define ENRP_FSM_INIT_TAKEOVER	0x010u	/* INIT_TAKEOVER to all peers */
#define ENRP_FSM_TAKEOVER_DONE	0x020u	/* every ACK: TAKEOVER_SERVER,
					 * claim its PEs, forget it */
#define ENRP_FSM_TAKEOVER_EXPIRED 0x040u /* ACKs missing: retried later */
#define ENRP_FSM_TAKEOVER_STOPPED 0x080u /* it is alive after all */
#define ENRP_FSM_ACK		0x100u	/* INIT_TAKEOVER_ACK to the sender */
#define ENRP_FSM_LOST		0x200u	/* another taker wins over ours */
#define ENRP_FSM_ALIVE		0x400u	/* we are the target: PRESENCE to
					 * all to stop it */

enum enrp_fsm_event {
	ENRP_FSM_EV_HEARD,	/* any message from it (§3.4.2) */
	ENRP_FSM_EV_LEARNED,	/* its server id became known */
	ENRP_FSM_EV_FORGOTTEN,	/* a configured address whose server left */
	ENRP_FSM_EV_TICK,	/* time passed */
};

void		 enrp_fsm_peer_init(struct enrp_fsm_peer *, bool id_known,
		    uint64_t now);
unsigned int	 enrp_fsm_peer_step(struct enrp_fsm_peer *,
		    const struct enrp_fsm_params *, enum enrp_fsm_event,
		    uint64_t now);
/*
 * After ENRP_FSM_DEAD: a takeover if the peer still owns PEs here (RSPLIB),
 * needing the ACKs of every other peer with a known id that is active,
 * probing or being taken over by someone else; else ENRP_FSM_REMOVE.
 */
unsigned int	 enrp_fsm_takeover_start(struct enrp_fsm_peer *,
		    uint32_t target, size_t owned_pes,
		    const struct enrp_fsm_view *, size_t, uint64_t now);
unsigned int	 enrp_fsm_takeover_ack(struct enrp_fsm_peer *, uint32_t from);
/* INIT_TAKEOVER of `target` from `sender`; t: our state of the target,
 * NULL if we do not know it. */
unsigned int	 enrp_fsm_init_takeover(struct enrp_fsm_peer *t,
		    const struct enrp_fsm_params *, uint32_t sender,
		    uint32_t target, uint64_t now);
/*
 * TAKEOVER_SERVER naming a target (t: our state of it, NULL if we do not
 * know it): may its PEs go to the sender?  Never while we hear the target
 * (issue 12): a live server keeps its PEs, whoever claims them.
 */
bool		 enrp_fsm_takeover_server(const struct enrp_fsm_peer *t,
		    const struct enrp_fsm_params *, uint64_t now);
/* The configured winner rule: does `other`'s takeover beat ours? */
bool		 enrp_fsm_we_lose_to(const struct enrp_fsm_params *,
		    uint32_t other);

/* The node: mentor choice and download (RFC 5353 §3.2.2, §3.2.3). */
struct enrp_fsm_sync {
	enum enrp_phase	 phase;
	bool		 synchronized;
	uint32_t	 mentor;	/* server id, 0: none */
	uint32_t	 rejected_by;	/* last mentor that said R=1 or failed */
	uint64_t	 deadline;	/* alone after this without a mentor */
	uint64_t	 retry_at;	/* no new mentor before */
	uint64_t	 dl_sent;	/* last request of the download */
};

/* Actions on the node, as bits. */
#define ENRP_SYNC_DOWNLOAD	0x1u	/* ask `mentor` for its peer list and
					 * handle table */
#define ENRP_SYNC_DONE		0x2u	/* synchronized now */
#define ENRP_SYNC_ALONE		0x4u	/* ... without a mentor */
#define ENRP_SYNC_MENTOR_SILENT	0x8u	/* `rejected_by` did not answer */

/* alone: nobody to ask (no peers configured, no multicast). */
unsigned int	 enrp_fsm_sync_start(struct enrp_fsm_sync *,
		    const struct enrp_fsm_params *, bool alone, uint64_t now);
/* A message from peer `id`; npeers: entries in the peer list. */
unsigned int	 enrp_fsm_sync_heard(struct enrp_fsm_sync *, uint32_t id,
		    size_t npeers, uint64_t now);
/* The mentor rejected the table request (R=1). */
void		 enrp_fsm_sync_rejected(struct enrp_fsm_sync *, uint64_t now);
/* A page of the mentor's table came: more follows, or it is complete. */
unsigned int	 enrp_fsm_sync_page(struct enrp_fsm_sync *, bool more,
		    uint64_t now);
unsigned int	 enrp_fsm_sync_tick(struct enrp_fsm_sync *,
		    const struct enrp_fsm_params *,
		    const struct enrp_fsm_view *, size_t, uint64_t now);

/*
 * A stall of our own (a frozen host, SIGSTOP, a paused VM): doc/protocol/
 * enrp.md §7.1.  The gap between two ticks of ours when it is longer
 * than MAX-TIME-LAST-HEARD, else 0: the peers may have called us dead
 * and taken over our PEs meanwhile, and what we hold is stale.
 */
uint64_t	 enrp_fsm_stalled(const struct enrp_fsm_params *,
		    uint64_t last_tick, uint64_t now);
/* The silence was ours: a peer's clocks move past the gap. */
void		 enrp_fsm_peer_shift(struct enrp_fsm_peer *, uint64_t gap);
/*
 * After a stall: synchronize again as at the start (not synchronized
 * until a mentor's table is in, alone after mentor-discovery without
 * one).  alone (nobody to ask): stays as it is, returns 0.
 */
unsigned int	 enrp_fsm_sync_restart(struct enrp_fsm_sync *,
		    const struct enrp_fsm_params *, bool alone, uint64_t now);

#endif
