/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for registrar/enrp_fsm.c, the ENRP peer life cycle and mentor
 * choice, driven with injected times and no daemon: a silent peer is
 * probed after MAX-TIME-LAST-HEARD and declared dead MAX-TIME-NO-RESPONSE
 * later, anything heard revives it; a peer learnt by id becomes active;
 * the first peer heard becomes the mentor, a rejecting or silent mentor is
 * not asked again while there is another, alone after mentor-discovery;
 * a takeover waits for the ACK of every active peer, expires and retries,
 * stops when the target speaks; two takers of one target: the configured
 * rule (lowest id, or highest) decides, the loser ACKs the winner and
 * only the winner takes over; a TAKEOVER_SERVER never takes the PEs of a
 * target heard within MAX-TIME-LAST-HEARD (issue 12).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "registrar/enrp_fsm.h"

static const struct enrp_fsm_params P = {
	.self = 5, .max_last_heard = 5000, .max_no_response = 3000,
	.takeover_expiry = 4000, .mentor_discovery = 5000,
	.highest_id_wins = false,
};

static unsigned int
tick(struct enrp_fsm_peer *p, const struct enrp_fsm_params *k, uint64_t now)
{
	return enrp_fsm_peer_step(p, k, ENRP_FSM_EV_TICK, now);
}

static void
test_failure_detection(void **state)
{
	struct enrp_fsm_peer p;

	(void)state;
	enrp_fsm_peer_init(&p, true, 1000);
	assert_int_equal(p.state, ENRP_PEER_ACTIVE);
	/* Heard within MAX-TIME-LAST-HEARD: nothing to do. */
	assert_int_equal(tick(&p, &P, 6000), 0);
	assert_int_equal(enrp_fsm_peer_step(&p, &P, ENRP_FSM_EV_HEARD, 5500),
	    0);
	assert_int_equal(tick(&p, &P, 10500), 0);	/* exactly the limit */
	/* RFC 5353 §3.4.3: silent longer: PRESENCE with R=1. */
	assert_int_equal(tick(&p, &P, 10501), ENRP_FSM_PROBE);
	assert_int_equal(p.state, ENRP_PEER_PROBING);
	assert_int_equal(tick(&p, &P, 12000), 0);	/* probed only once */
	/* It answers: active again, and we make sure we are connected. */
	assert_int_equal(enrp_fsm_peer_step(&p, &P, ENRP_FSM_EV_HEARD, 12000),
	    ENRP_FSM_CONNECT);
	assert_int_equal(p.state, ENRP_PEER_ACTIVE);
	/* Silent again: probe, then dead after MAX-TIME-NO-RESPONSE. */
	assert_int_equal(tick(&p, &P, 17001), ENRP_FSM_PROBE);
	assert_int_equal(tick(&p, &P, 20001), 0);
	assert_int_equal(tick(&p, &P, 20002), ENRP_FSM_DEAD);
	assert_int_equal(p.state, ENRP_PEER_DEAD);
	assert_int_equal(p.state_since, 20002);
}

static void
test_new_peer(void **state)
{
	struct enrp_fsm_peer p;

	(void)state;
	/* A configured address: nothing is expected of it until its id is
	 * known, however long it stays silent. */
	enrp_fsm_peer_init(&p, false, 0);
	assert_int_equal(p.state, ENRP_PEER_NEW);
	assert_int_equal(tick(&p, &P, 100000), 0);
	assert_int_equal(enrp_fsm_peer_step(&p, &P, ENRP_FSM_EV_LEARNED,
	    100000), 0);
	assert_int_equal(p.state, ENRP_PEER_ACTIVE);
	assert_int_equal(tick(&p, &P, 105000), 0);
	assert_int_equal(tick(&p, &P, 105001), ENRP_FSM_PROBE);
	/* Its server left; the address stays configured. */
	enrp_fsm_peer_step(&p, &P, ENRP_FSM_EV_FORGOTTEN, 106000);
	assert_int_equal(p.state, ENRP_PEER_NEW);
	assert_int_equal(tick(&p, &P, 200000), 0);
}

static void
test_mentor_selection(void **state)
{
	struct enrp_fsm_sync s;
	struct enrp_fsm_view v[3] = {
		{ .id = 0, .state = ENRP_PEER_NEW },		/* unknown */
		{ .id = 2, .state = ENRP_PEER_ACTIVE, .connected = true },
		{ .id = 3, .state = ENRP_PEER_ACTIVE, .connected = false },
	};

	(void)state;
	/* Nobody to ask: synchronized at once (RFC 5353 §3.2). */
	assert_int_equal(enrp_fsm_sync_start(&s, &P, true, 0),
	    ENRP_SYNC_DONE | ENRP_SYNC_ALONE);
	assert_true(s.synchronized);
	assert_int_equal(s.phase, ENRP_SYNCHRONIZED);
	assert_int_equal(enrp_fsm_sync_heard(&s, 2, 3, 10), 0);

	/* The first peer heard is the mentor. */
	assert_int_equal(enrp_fsm_sync_start(&s, &P, false, 1000), 0);
	assert_int_equal(s.phase, ENRP_DISCOVER);
	assert_int_equal(enrp_fsm_sync_heard(&s, 2, 3, 1100),
	    ENRP_SYNC_DOWNLOAD);
	assert_int_equal(s.mentor, 2);
	assert_int_equal(s.phase, ENRP_DOWNLOAD);
	/* Others heard meanwhile do not change it. */
	assert_int_equal(enrp_fsm_sync_heard(&s, 3, 3, 1200), 0);

	/* It rejects (R=1): not asked again while there is another. */
	enrp_fsm_sync_rejected(&s, 1300);
	assert_int_equal(s.phase, ENRP_DISCOVER);
	assert_int_equal(s.mentor, 0);
	assert_int_equal(s.rejected_by, 2);
	assert_int_equal(enrp_fsm_sync_heard(&s, 3, 3, 1400), 0); /* wait */
	assert_int_equal(enrp_fsm_sync_heard(&s, 2, 3, 1800), 0);
	/* The tick picks the first active peer we can send to: 3 cannot be
	 * reached, 2 refused: nobody yet. */
	assert_int_equal(enrp_fsm_sync_tick(&s, &P, v, 3, 1800), 0);
	v[2].connected = true;
	assert_int_equal(enrp_fsm_sync_tick(&s, &P, v, 3, 1800),
	    ENRP_SYNC_DOWNLOAD);
	assert_int_equal(s.mentor, 3);

	/* Pages keep the download alive; a silent mentor is replaced. */
	assert_int_equal(enrp_fsm_sync_page(&s, true, 4000), 0);
	assert_int_equal(enrp_fsm_sync_tick(&s, &P, v, 3, 7000), 0);
	assert_int_equal(enrp_fsm_sync_tick(&s, &P, v, 3, 7001),
	    ENRP_SYNC_MENTOR_SILENT | ENRP_SYNC_DOWNLOAD);
	assert_int_equal(s.rejected_by, 3);
	assert_int_equal(s.mentor, 2);
	assert_int_equal(s.deadline, 7001 + P.mentor_discovery);
	/* The last page: synchronized. */
	assert_int_equal(enrp_fsm_sync_page(&s, false, 7100), ENRP_SYNC_DONE);
	assert_true(s.synchronized);
	assert_int_equal(enrp_fsm_sync_tick(&s, &P, v, 3, 100000), 0);

	/* The only peer is asked again even if it rejected. */
	enrp_fsm_sync_start(&s, &P, false, 0);
	assert_int_equal(enrp_fsm_sync_heard(&s, 2, 1, 0), ENRP_SYNC_DOWNLOAD);
	enrp_fsm_sync_rejected(&s, 100);
	assert_int_equal(enrp_fsm_sync_heard(&s, 2, 1, 599), 0);
	assert_int_equal(enrp_fsm_sync_heard(&s, 2, 1, 600),
	    ENRP_SYNC_DOWNLOAD);

	/* Nobody answers within mentor-discovery: alone. */
	enrp_fsm_sync_start(&s, &P, false, 0);
	assert_int_equal(enrp_fsm_sync_tick(&s, &P, NULL, 0, 4999), 0);
	assert_int_equal(enrp_fsm_sync_tick(&s, &P, NULL, 0, 5000),
	    ENRP_SYNC_DONE | ENRP_SYNC_ALONE);
}

/* Target 9 dead; peers 2 (active), 3 (probing), 4 (taken over by another),
 * 6 (dead too), an unknown address: ACKs needed from 2, 3, 4. */
static const struct enrp_fsm_view V[] = {
	{ .id = 9, .state = ENRP_PEER_DEAD },
	{ .id = 2, .state = ENRP_PEER_ACTIVE, .connected = true },
	{ .id = 3, .state = ENRP_PEER_PROBING },
	{ .id = 4, .state = ENRP_PEER_NOT_ACTIVE },
	{ .id = 6, .state = ENRP_PEER_DEAD },
	{ .id = 0, .state = ENRP_PEER_NEW },
};

static void
dead_peer(struct enrp_fsm_peer *t, uint64_t *now)
{
	enrp_fsm_peer_init(t, true, *now);
	*now += P.max_last_heard + 1;
	assert_int_equal(tick(t, &P, *now), ENRP_FSM_PROBE);
	*now += P.max_no_response + 1;
	assert_int_equal(tick(t, &P, *now), ENRP_FSM_DEAD);
}

static void
test_takeover(void **state)
{
	struct enrp_fsm_peer t;
	uint64_t now = 1000;

	(void)state;
	dead_peer(&t, &now);
	/* RSPLIB: a dead peer that owns no PEs here is just forgotten. */
	assert_int_equal(enrp_fsm_takeover_start(&t, 9, 0, V, 6, now),
	    ENRP_FSM_REMOVE);
	assert_false(t.to_running);

	/* RFC 5353 §3.5.1: INIT_TAKEOVER, then the ACK of every peer. */
	assert_int_equal(enrp_fsm_takeover_start(&t, 9, 10, V, 6, now),
	    ENRP_FSM_INIT_TAKEOVER);
	assert_true(t.to_running);
	assert_int_equal(t.to_nneed, 3);
	assert_int_equal(enrp_fsm_takeover_ack(&t, 6), 0);	/* not asked */
	assert_int_equal(enrp_fsm_takeover_ack(&t, 2), 0);
	assert_int_equal(enrp_fsm_takeover_ack(&t, 2), 0);	/* twice */
	assert_int_equal(enrp_fsm_takeover_ack(&t, 4), 0);
	/* ACKs missing past the expiry: abandoned, retried later. */
	assert_int_equal(tick(&t, &P, now + P.takeover_expiry), 0);
	assert_int_equal(tick(&t, &P, now + P.takeover_expiry + 1),
	    ENRP_FSM_TAKEOVER_EXPIRED);
	assert_false(t.to_running);
	assert_int_equal(enrp_fsm_takeover_ack(&t, 3), 0);	/* too late */
	now += P.takeover_expiry + 1;
	assert_int_equal(tick(&t, &P, now + P.max_no_response - 1), 0);
	now += P.max_no_response;
	assert_int_equal(tick(&t, &P, now), ENRP_FSM_DEAD);
	assert_int_equal(enrp_fsm_takeover_start(&t, 9, 10, V, 6, now),
	    ENRP_FSM_INIT_TAKEOVER);
	assert_int_equal(enrp_fsm_takeover_ack(&t, 2), 0);
	assert_int_equal(enrp_fsm_takeover_ack(&t, 3), 0);
	assert_int_equal(enrp_fsm_takeover_ack(&t, 4), ENRP_FSM_TAKEOVER_DONE);

	/* Nobody else to ask: done at once. */
	dead_peer(&t, &now);
	assert_int_equal(enrp_fsm_takeover_start(&t, 9, 1, V, 1, now),
	    ENRP_FSM_INIT_TAKEOVER | ENRP_FSM_TAKEOVER_DONE);

	/* The target speaks during the takeover: it stops. */
	dead_peer(&t, &now);
	enrp_fsm_takeover_start(&t, 9, 10, V, 6, now);
	assert_int_equal(enrp_fsm_peer_step(&t, &P, ENRP_FSM_EV_HEARD,
	    now + 10), ENRP_FSM_TAKEOVER_STOPPED | ENRP_FSM_CONNECT);
	assert_int_equal(t.state, ENRP_PEER_ACTIVE);
	assert_false(t.to_running);
	assert_int_equal(enrp_fsm_takeover_ack(&t, 2), 0);

	/* We are the target of someone's takeover: we say we are alive;
	 * a target we do not know is ACKed. */
	assert_int_equal(enrp_fsm_init_takeover(NULL, &P, 2, P.self, now),
	    ENRP_FSM_ALIVE);
	assert_int_equal(enrp_fsm_init_takeover(NULL, &P, 2, 77, now),
	    ENRP_FSM_ACK);
}

/*
 * Two servers, 3 and 8, both declare 9 dead and start a takeover; each
 * gets the other's INIT_TAKEOVER.  Returns the winner's id.
 */
static uint32_t
conflict(bool highest_id_wins)
{
	struct enrp_fsm_params ka = P, kb = P;
	struct enrp_fsm_peer a, b;	/* 3's and 8's view of target 9 */
	const struct enrp_fsm_view va[] = {
		{ .id = 9, .state = ENRP_PEER_DEAD },
		{ .id = 8, .state = ENRP_PEER_ACTIVE },
	}, vb[] = {
		{ .id = 9, .state = ENRP_PEER_DEAD },
		{ .id = 3, .state = ENRP_PEER_ACTIVE },
	};
	unsigned int acta, actb;
	uint64_t now = 1000;

	ka.self = 3;
	kb.self = 8;
	ka.highest_id_wins = kb.highest_id_wins = highest_id_wins;
	dead_peer(&a, &now);
	dead_peer(&b, &now);
	assert_int_equal(enrp_fsm_takeover_start(&a, 9, 4, va, 2, now),
	    ENRP_FSM_INIT_TAKEOVER);
	assert_int_equal(enrp_fsm_takeover_start(&b, 9, 4, vb, 2, now),
	    ENRP_FSM_INIT_TAKEOVER);
	/* Each receives the other's INIT_TAKEOVER. */
	acta = enrp_fsm_init_takeover(&a, &ka, 8, 9, now + 1);
	actb = enrp_fsm_init_takeover(&b, &kb, 3, 9, now + 1);
	if (highest_id_wins) {
		assert_int_equal(acta, ENRP_FSM_ACK | ENRP_FSM_LOST);
		assert_int_equal(actb, 0);	/* the loser gets no ACK */
		assert_false(a.to_running);
		assert_int_equal(a.state, ENRP_PEER_NOT_ACTIVE);
		/* The winner gets the loser's ACK and completes. */
		assert_int_equal(enrp_fsm_takeover_ack(&b, 3),
		    ENRP_FSM_TAKEOVER_DONE);
		/* A late INIT of the winner is ACKed again, nothing lost. */
		assert_int_equal(enrp_fsm_init_takeover(&a, &ka, 8, 9, now + 2),
		    ENRP_FSM_ACK);
		/* Whoever took it over never finished: ours again later. */
		assert_int_equal(tick(&a, &ka, now + 1 + 2 *
		    ka.takeover_expiry + ka.max_no_response), 0);
		assert_int_equal(tick(&a, &ka, now + 2 + 2 *
		    ka.takeover_expiry + ka.max_no_response), ENRP_FSM_PROBE);
		return 8;
	}
	assert_int_equal(acta, 0);
	assert_int_equal(actb, ENRP_FSM_ACK | ENRP_FSM_LOST);
	assert_false(b.to_running);
	assert_true(a.to_running);
	assert_int_equal(b.state, ENRP_PEER_NOT_ACTIVE);
	assert_int_equal(enrp_fsm_takeover_ack(&b, 3), 0);	/* not running */
	assert_int_equal(enrp_fsm_takeover_ack(&a, 8), ENRP_FSM_TAKEOVER_DONE);
	return 3;
}

static void
test_takeover_conflict(void **state)
{
	(void)state;
	assert_int_equal(conflict(false), 3);	/* default: lowest id wins */
	assert_int_equal(conflict(true), 8);	/* RFC 5353 read literally */
	assert_true(enrp_fsm_we_lose_to(&P, 4));
	assert_false(enrp_fsm_we_lose_to(&P, 6));
}

/* Issue 12: whoever sends TAKEOVER_SERVER, a live target keeps its PEs. */
static void
test_takeover_server(void **state)
{
	struct enrp_fsm_peer t;
	uint64_t now = 1000;

	(void)state;
	/* A target we do not know, or only by address: nothing to protect. */
	assert_true(enrp_fsm_takeover_server(NULL, &P, now));
	enrp_fsm_peer_init(&t, false, now);
	assert_true(enrp_fsm_takeover_server(&t, &P, now));
	/* Active and heard: refused, also once an INIT_TAKEOVER made it
	 * not-active here (a stranger or a confused peer claims it). */
	enrp_fsm_peer_init(&t, true, now);
	assert_false(enrp_fsm_takeover_server(&t, &P, now + 100));
	assert_int_equal(enrp_fsm_init_takeover(&t, &P, 2, 9, now + 200),
	    ENRP_FSM_ACK);
	assert_int_equal(t.state, ENRP_PEER_NOT_ACTIVE);
	assert_false(enrp_fsm_takeover_server(&t, &P, now + 300));
	assert_false(enrp_fsm_takeover_server(&t, &P, now + P.max_last_heard));
	/* Silent longer than MAX-TIME-LAST-HEARD: the takeover applies. */
	assert_true(enrp_fsm_takeover_server(&t, &P, now + P.max_last_heard +
	    1));
	/* The usual case: dead here too by the time the taker is done. */
	dead_peer(&t, &now);
	assert_true(enrp_fsm_takeover_server(&t, &P, now));
	/* It speaks again: refused again. */
	enrp_fsm_peer_step(&t, &P, ENRP_FSM_EV_HEARD, now + 10);
	assert_false(enrp_fsm_takeover_server(&t, &P, now + 20));
}

/*
 * doc/protocol/enrp.md §7.1: a gap between our ticks longer than
 * MAX-TIME-LAST-HEARD is our own stall; the peers are not judged for it,
 * and the node synchronizes again unless it has nobody to ask.
 */
static void
test_stall(void **state)
{
	struct enrp_fsm_peer p, q;
	struct enrp_fsm_sync s;
	uint64_t gap;

	(void)state;
	/* No stall: the first tick, ticks on time, a gap at the limit. */
	assert_int_equal(enrp_fsm_stalled(&P, 0, 100000), 0);
	assert_int_equal(enrp_fsm_stalled(&P, 1000, 1250), 0);
	assert_int_equal(enrp_fsm_stalled(&P, 1000, 6000), 0);
	assert_int_equal(enrp_fsm_stalled(&P, 6000, 1000), 0);	/* not back */
	assert_int_equal(gap = enrp_fsm_stalled(&P, 1000, 21000), 20000);

	/* Without the shift, the peer heard at 1000 would be probed. */
	enrp_fsm_peer_init(&p, true, 1000);
	q = p;
	assert_int_equal(tick(&q, &P, 21000), ENRP_FSM_PROBE);
	enrp_fsm_peer_shift(&p, gap);
	assert_int_equal(tick(&p, &P, 21000), 0);
	assert_int_equal(p.state, ENRP_PEER_ACTIVE);
	/* It is still judged by its own silence after that. */
	assert_int_equal(tick(&p, &P, 26000), 0);
	assert_int_equal(tick(&p, &P, 26001), ENRP_FSM_PROBE);
	/* A probe under way when we froze: its deadline moves too. */
	enrp_fsm_peer_shift(&p, gap);
	assert_int_equal(tick(&p, &P, 26001 + gap + 3000), 0);
	assert_int_equal(tick(&p, &P, 26001 + gap + 3001), ENRP_FSM_DEAD);

	/* Synchronized, then stalled: downloads again from an active peer. */
	assert_int_equal(enrp_fsm_sync_start(&s, &P, false, 0), 0);
	assert_int_equal(enrp_fsm_sync_tick(&s, &P, V, 3, 100),
	    ENRP_SYNC_DOWNLOAD);
	assert_int_equal(enrp_fsm_sync_page(&s, false, 200), ENRP_SYNC_DONE);
	assert_true(s.synchronized);
	assert_int_equal(enrp_fsm_sync_restart(&s, &P, false, 30000), 0);
	assert_false(s.synchronized);
	assert_int_equal(enrp_fsm_sync_tick(&s, &P, V, 3, 30100),
	    ENRP_SYNC_DOWNLOAD);
	assert_int_equal(enrp_fsm_sync_page(&s, false, 30200),
	    ENRP_SYNC_DONE);
	/* Nobody answers within mentor-discovery: alone, as at start. */
	assert_int_equal(enrp_fsm_sync_restart(&s, &P, false, 40000), 0);
	assert_int_equal(enrp_fsm_sync_tick(&s, &P, NULL, 0, 44999), 0);
	assert_false(s.synchronized);
	assert_int_equal(enrp_fsm_sync_tick(&s, &P, NULL, 0, 45000),
	    ENRP_SYNC_DONE | ENRP_SYNC_ALONE);
	/* Nobody to ask at all: stays synchronized. */
	assert_int_equal(enrp_fsm_sync_restart(&s, &P, true, 50000), 0);
	assert_true(s.synchronized);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failure_detection),
		cmocka_unit_test(test_new_peer),
		cmocka_unit_test(test_mentor_selection),
		cmocka_unit_test(test_takeover),
		cmocka_unit_test(test_takeover_conflict),
		cmocka_unit_test(test_takeover_server),
		cmocka_unit_test(test_stall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
