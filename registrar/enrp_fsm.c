/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ENRP peer life cycle and the node's mentor choice (see enrp_fsm.h
 * for the rules).  Kept free of I/O and of the clock: registrard's enrp*.c
 * pass ev_now() in and carry out the returned actions.
 */
#include <string.h>

#include "enrp_fsm.h"

#define MENTOR_RETRY	500	/* ms before another mentor is asked */

static void
set_state(struct enrp_fsm_peer *p, enum enrp_peer_state s, uint64_t now)
{
	if (p->state != s) {
		p->state = s;
		p->state_since = now;
	}
}

void
enrp_fsm_peer_init(struct enrp_fsm_peer *p, bool id_known, uint64_t now)
{
	memset(p, 0, sizeof(*p));
	p->state = id_known ? ENRP_PEER_ACTIVE : ENRP_PEER_NEW;
	p->state_since = p->last_heard = now;
}

static unsigned int
probe(struct enrp_fsm_peer *p, uint64_t now)
{
	set_state(p, ENRP_PEER_PROBING, now);
	p->probe_sent = now;
	return ENRP_FSM_PROBE;
}

static unsigned int
tick(struct enrp_fsm_peer *p, const struct enrp_fsm_params *k, uint64_t now)
{
	switch (p->state) {
	case ENRP_PEER_NEW:
		break;
	case ENRP_PEER_ACTIVE:
		/* RFC 5353 §3.4.3: silent too long: probe it. */
		if (now - p->last_heard > k->max_last_heard)
			return probe(p, now);
		break;
	case ENRP_PEER_PROBING:
		if (now - p->probe_sent > k->max_no_response) {
			set_state(p, ENRP_PEER_DEAD, now);
			return ENRP_FSM_DEAD;
		}
		break;
	case ENRP_PEER_DEAD:
		if (p->to_running && now - p->to_started > k->takeover_expiry) {
			/* RSPLIB's takeover expiry; we try again. */
			p->to_running = false;
			p->to_retry = now + k->max_no_response;
			return ENRP_FSM_TAKEOVER_EXPIRED;
		}
		if (!p->to_running && now >= p->to_retry)
			return ENRP_FSM_DEAD;
		break;
	case ENRP_PEER_NOT_ACTIVE:
		/* Whoever took it over never finished: ours now. */
		if (now - p->state_since > 2 * k->takeover_expiry +
		    k->max_no_response)
			return probe(p, now);
		break;
	}
	return 0;
}

unsigned int
enrp_fsm_peer_step(struct enrp_fsm_peer *p, const struct enrp_fsm_params *k,
    enum enrp_fsm_event ev, uint64_t now)
{
	unsigned int act = 0;

	switch (ev) {
	case ENRP_FSM_EV_HEARD:
		/* RFC 5353 §3.4.2: peer_last_heard on any message. */
		p->last_heard = now;
		if (p->state == ENRP_PEER_ACTIVE)
			break;
		if (p->state == ENRP_PEER_DEAD && p->to_running)
			act |= ENRP_FSM_TAKEOVER_STOPPED;
		p->to_running = false;
		set_state(p, ENRP_PEER_ACTIVE, now);
		act |= ENRP_FSM_CONNECT;
		break;
	case ENRP_FSM_EV_LEARNED:
		p->last_heard = now;
		set_state(p, ENRP_PEER_ACTIVE, now);
		break;
	case ENRP_FSM_EV_FORGOTTEN:
		p->to_running = false;
		set_state(p, ENRP_PEER_NEW, now);
		break;
	case ENRP_FSM_EV_TICK:
		act = tick(p, k, now);
		break;
	}
	return act;
}

unsigned int
enrp_fsm_takeover_start(struct enrp_fsm_peer *t, uint32_t target,
    size_t owned_pes, const struct enrp_fsm_view *v, size_t n, uint64_t now)
{
	size_t i;

	/* RSPLIB: a takeover only if it still owns PEs here. */
	if (owned_pes == 0)
		return ENRP_FSM_REMOVE;
	t->to_running = true;
	t->to_started = now;
	t->to_nneed = 0;
	/* RFC 5353 §3.5.1: ACKs from every currently known peer but the
	 * target. */
	for (i = 0; i < n && t->to_nneed < ENRP_MAX_PEERS; i++)
		if (v[i].id != target && v[i].id != 0 &&
		    (v[i].state == ENRP_PEER_ACTIVE ||
		    v[i].state == ENRP_PEER_PROBING ||
		    v[i].state == ENRP_PEER_NOT_ACTIVE))
			t->to_need[t->to_nneed++] = v[i].id;
	/* The INIT_TAKEOVER goes to the target too. */
	return ENRP_FSM_INIT_TAKEOVER | (t->to_nneed == 0 ?
	    ENRP_FSM_TAKEOVER_DONE : 0);
}

unsigned int
enrp_fsm_takeover_ack(struct enrp_fsm_peer *t, uint32_t from)
{
	uint32_t i;

	if (!t->to_running)
		return 0;
	for (i = 0; i < t->to_nneed; i++)
		if (t->to_need[i] == from) {
			t->to_need[i] = t->to_need[--t->to_nneed];
			break;
		}
	return t->to_nneed == 0 ? ENRP_FSM_TAKEOVER_DONE : 0;
}

bool
enrp_fsm_takeover_server(const struct enrp_fsm_peer *t,
    const struct enrp_fsm_params *k, uint64_t now)
{
	/*
	 * RFC 5353 §3.5: the target is one that stopped answering.  Heard
	 * within MAX-TIME-LAST-HEARD it is alive, whatever INIT_TAKEOVER
	 * made of its state here (it answers one naming it with PRESENCE).
	 */
	if (t == NULL || t->state == ENRP_PEER_NEW)
		return true;
	return now - t->last_heard > k->max_last_heard;
}

bool
enrp_fsm_we_lose_to(const struct enrp_fsm_params *k, uint32_t other)
{
	/* RSPLIB and the reference implementation let the lowest id win;
	 * RFC 5353 §3.5.1 read literally, the highest (takeover-winner in
	 * registrard.conf). */
	if (k->highest_id_wins)
		return other > k->self;
	return other < k->self;
}

unsigned int
enrp_fsm_init_takeover(struct enrp_fsm_peer *t,
    const struct enrp_fsm_params *k, uint32_t sender, uint32_t target,
    uint64_t now)
{
	unsigned int act = ENRP_FSM_ACK;

	if (target == k->self)
		return ENRP_FSM_ALIVE;	/* we are alive: stop it (§3.5.1) */
	if (t == NULL)
		return act;
	if (t->to_running) {
		if (!enrp_fsm_we_lose_to(k, sender))
			return 0;	/* the loser's INIT is ignored: no ACK */
		t->to_running = false;
		act |= ENRP_FSM_LOST;
	}
	set_state(t, ENRP_PEER_NOT_ACTIVE, now);
	return act;
}

static unsigned int
synchronized(struct enrp_fsm_sync *s)
{
	if (s->synchronized)
		return 0;
	s->synchronized = true;
	s->phase = ENRP_SYNCHRONIZED;
	return ENRP_SYNC_DONE;
}

static unsigned int
download(struct enrp_fsm_sync *s, uint32_t mentor, uint64_t now)
{
	s->mentor = mentor;
	s->phase = ENRP_DOWNLOAD;
	s->dl_sent = now;
	return ENRP_SYNC_DOWNLOAD;
}

unsigned int
enrp_fsm_sync_start(struct enrp_fsm_sync *s, const struct enrp_fsm_params *k,
    bool alone, uint64_t now)
{
	memset(s, 0, sizeof(*s));
	/*
	 * RFC 5353 §3.2: no known server: alone, initialised at once.  With
	 * multicast, RSPLIB's way: whoever is heard within mentor-discovery
	 * is the mentor, else alone then.
	 */
	s->phase = ENRP_DISCOVER;
	s->deadline = now + k->mentor_discovery;
	return alone ? synchronized(s) | ENRP_SYNC_ALONE : 0;
}

unsigned int
enrp_fsm_sync_heard(struct enrp_fsm_sync *s, uint32_t id, size_t npeers,
    uint64_t now)
{
	/* RFC 5353 §3.2: the first peer heard becomes the mentor; not the one
	 * that just failed us, unless it is the only one. */
	if (s->phase == ENRP_DISCOVER && now >= s->retry_at &&
	    (id != s->rejected_by || npeers == 1))
		return download(s, id, now);
	return 0;
}

void
enrp_fsm_sync_rejected(struct enrp_fsm_sync *s, uint64_t now)
{
	/* RFC 5353 §3.2.3: wait a little, or try another. */
	s->rejected_by = s->mentor;
	s->mentor = 0;
	s->phase = ENRP_DISCOVER;
	s->retry_at = now + MENTOR_RETRY;
}

unsigned int
enrp_fsm_sync_page(struct enrp_fsm_sync *s, bool more, uint64_t now)
{
	if (s->phase != ENRP_DOWNLOAD)
		return 0;
	if (more) {
		s->dl_sent = now;
		return 0;
	}
	return synchronized(s);
}

unsigned int
enrp_fsm_sync_tick(struct enrp_fsm_sync *s, const struct enrp_fsm_params *k,
    const struct enrp_fsm_view *v, size_t n, uint64_t now)
{
	unsigned int act = 0;
	size_t i;

	if (s->phase == ENRP_DOWNLOAD && now - s->dl_sent > k->max_no_response) {
		/* RFC 5353 §3.2.3: no answer: another mentor. */
		s->rejected_by = s->mentor;
		s->mentor = 0;
		s->phase = ENRP_DISCOVER;
		if (s->deadline < now + k->mentor_discovery)
			s->deadline = now + k->mentor_discovery;
		act |= ENRP_SYNC_MENTOR_SILENT;
	}
	if (s->phase != ENRP_DISCOVER)
		return act;
	if (now >= s->deadline)		/* RFC 5353 §3.2: nobody could serve */
		return act | synchronized(s) | ENRP_SYNC_ALONE;
	if (now < s->retry_at)
		return act;
	for (i = 0; i < n; i++)
		if (v[i].state == ENRP_PEER_ACTIVE && v[i].connected &&
		    (v[i].id != s->rejected_by || n == 1)) {
			s->retry_at = now + MENTOR_RETRY;
			return act | download(s, v[i].id, now);
		}
	return act;
}

uint64_t
enrp_fsm_stalled(const struct enrp_fsm_params *k, uint64_t last_tick,
    uint64_t now)
{
	if (last_tick == 0 || now <= last_tick ||
	    now - last_tick <= k->max_last_heard)
		return 0;
	return now - last_tick;
}

void
enrp_fsm_peer_shift(struct enrp_fsm_peer *t, uint64_t gap)
{
	t->state_since += gap;
	t->last_heard += gap;
	if (t->probe_sent != 0)
		t->probe_sent += gap;
	if (t->to_running)
		t->to_started += gap;
	if (t->to_retry != 0)
		t->to_retry += gap;
}

unsigned int
enrp_fsm_sync_restart(struct enrp_fsm_sync *s, const struct enrp_fsm_params *k,
    bool alone, uint64_t now)
{
	if (alone)
		return 0;
	return enrp_fsm_sync_start(s, k, false, now);
}
