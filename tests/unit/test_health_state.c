/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for health/state.c, healthd's announcement state machine,
 * driven without sockets or sleeping: it starts withdrawn and announces
 * after `rise` good rounds; withdraws after `fall` bad rounds or at once on
 * an event-driven loss; the hold-down applies after a failure, doubles with
 * repeated flaps up to its maximum and halves per quiet decay period; a
 * registrar flapping every second for 30 s yields a bounded number of
 * announce/withdraw cycles; drain keeps the route with drain attributes for
 * drain-wait, then withdraws until undrained; stop withdraws.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "health/state.h"

static const struct hs_params P = {
	.rise = 2, .fall = 2, .holddown_ms = 1000, .holddown_max_ms = 60000,
	.decay_ms = 30000, .drain_wait_ms = 10000,
};

/* Feed n good (ok) or bad rounds every 500 ms from *now; OR the actions. */
static unsigned int
rounds(struct hs_sm *sm, bool ok, int n, uint64_t *now)
{
	unsigned int act = 0;
	int i;

	for (i = 0; i < n; i++) {
		*now += 500;
		act |= hs_step(sm, &P, ok ? HS_EV_CHECK_OK : HS_EV_CHECK_FAIL,
		    *now);
	}
	return act;
}

static void
test_rise_fall(void **state)
{
	struct hs_sm sm;
	uint64_t now = 1000;

	(void)state;
	hs_init(&sm, &P, now);
	assert_int_equal(sm.state, HS_WITHDRAWN);
	assert_int_equal(rounds(&sm, true, 1, &now), 0);
	assert_int_equal(rounds(&sm, true, 1, &now), HS_ACT_ANNOUNCE);
	assert_int_equal(sm.state, HS_ANNOUNCED);
	assert_int_equal(rounds(&sm, false, 1, &now), 0);
	assert_int_equal(rounds(&sm, true, 1, &now), 0);	/* resets fall */
	assert_int_equal(rounds(&sm, false, 1, &now), 0);
	assert_int_equal(rounds(&sm, false, 1, &now), HS_ACT_WITHDRAW);
	assert_int_equal(sm.state, HS_WITHDRAWN);
	assert_int_equal(sm.flaps, 1);
}

static void
test_lost_is_immediate(void **state)
{
	struct hs_sm sm;
	uint64_t now = 0;

	(void)state;
	hs_init(&sm, &P, now);
	rounds(&sm, true, 2, &now);
	assert_int_equal(sm.state, HS_ANNOUNCED);
	assert_int_equal(hs_step(&sm, &P, HS_EV_LOST, now + 1),
	    HS_ACT_WITHDRAW);
	assert_int_equal(sm.state, HS_WITHDRAWN);
	/* While withdrawn a loss changes nothing. */
	assert_int_equal(hs_step(&sm, &P, HS_EV_LOST, now + 2), 0);
}

static void
test_holddown_after_failure(void **state)
{
	struct hs_sm sm;
	uint64_t now = 0, dl;

	(void)state;
	hs_init(&sm, &P, now);
	rounds(&sm, true, 2, &now);
	hs_step(&sm, &P, HS_EV_LOST, now);
	/* rise reached at now+1000, hold-down 1 s more. */
	assert_int_equal(rounds(&sm, true, 2, &now), 0);
	dl = hs_next_deadline(&sm, &P, now);
	assert_int_equal(dl, now + 1000);
	assert_int_equal(hs_step(&sm, &P, HS_EV_TIMER, dl - 1), 0);
	assert_int_equal(hs_step(&sm, &P, HS_EV_TIMER, dl), HS_ACT_ANNOUNCE);
	/* A failure while held resets: healthy again must wait anew. */
}

static void
test_holddown_grows_and_decays(void **state)
{
	struct hs_sm sm;
	uint64_t now = 0, expect = 1000;
	int i;

	(void)state;
	hs_init(&sm, &P, now);
	rounds(&sm, true, 2, &now);
	for (i = 0; i < 10; i++) {
		hs_step(&sm, &P, HS_EV_LOST, now);
		assert_int_equal(hs_holddown(&sm, &P, now), expect);
		rounds(&sm, true, 2, &now);
		now = hs_next_deadline(&sm, &P, now);
		assert_int_equal(hs_step(&sm, &P, HS_EV_TIMER, now),
		    HS_ACT_ANNOUNCE);
		expect = expect * 2 > 60000 ? 60000 : expect * 2;
		if (sm.holddown_ms == 60000)
			break;
	}
	assert_int_equal(sm.holddown_ms, 60000);
	/* Quiet for three decay periods: 60 -> 30 -> 15 -> 7.5 s. */
	assert_int_equal(hs_holddown(&sm, &P, sm.decay_ref + 3 * 30000), 7500);
	assert_int_equal(hs_holddown(&sm, &P, sm.decay_ref + 100 * 30000),
	    1000);
}

/* A registrar that is up one second, down the next, for 30 s. */
static void
test_flapping_is_bounded(void **state)
{
	struct hs_sm sm;
	uint64_t now = 0, t, dl;
	unsigned int act, cycles = 0;

	(void)state;
	hs_init(&sm, &P, now);
	rounds(&sm, true, 2, &now);
	assert_int_equal(sm.state, HS_ANNOUNCED);
	for (t = now; t < now + 30000; t += 100) {
		bool up = ((t - now) / 1000) % 2 == 1;

		act = 0;
		if (!up && (t - now) % 1000 == 0)
			act |= hs_step(&sm, &P, HS_EV_LOST, t);
		else if (t % 500 == 0)
			act |= hs_step(&sm, &P, up ? HS_EV_CHECK_OK :
			    HS_EV_CHECK_FAIL, t);
		dl = hs_next_deadline(&sm, &P, t);
		if (dl != 0 && dl <= t)
			act |= hs_step(&sm, &P, HS_EV_TIMER, t);
		if (act & HS_ACT_WITHDRAW)
			cycles++;
	}
	/* Up for 1 s never outlasts rise + a hold-down of 1 s or more. */
	assert_true(cycles <= 2);
	assert_true(sm.announces <= 2);
}

static void
test_drain(void **state)
{
	struct hs_sm sm;
	uint64_t now = 0;

	(void)state;
	hs_init(&sm, &P, now);
	rounds(&sm, true, 2, &now);
	assert_int_equal(hs_step(&sm, &P, HS_EV_DRAIN, now),
	    HS_ACT_DRAIN_ATTRS);
	assert_int_equal(sm.state, HS_DRAINING);
	assert_int_equal(hs_next_deadline(&sm, &P, now), now + 10000);
	assert_int_equal(rounds(&sm, true, 4, &now), 0);
	assert_int_equal(hs_step(&sm, &P, HS_EV_TIMER, 10000 + 1000),
	    HS_ACT_WITHDRAW);
	assert_int_equal(sm.state, HS_DRAINED);
	now = 11000;
	assert_int_equal(rounds(&sm, true, 4, &now), 0);	/* stays off */
	assert_int_equal(sm.flaps, 0);		/* drain is not a flap */
	assert_int_equal(hs_step(&sm, &P, HS_EV_UNDRAIN, now),
	    HS_ACT_NORMAL_ATTRS | HS_ACT_ANNOUNCE);
	assert_int_equal(sm.state, HS_ANNOUNCED);
	/* Undrain while still draining: keep the route, normal attributes. */
	hs_step(&sm, &P, HS_EV_DRAIN, now);
	assert_int_equal(hs_step(&sm, &P, HS_EV_UNDRAIN, now + 1),
	    HS_ACT_NORMAL_ATTRS);
	assert_int_equal(sm.state, HS_ANNOUNCED);
	/* Drain while withdrawn: nothing to do, no announce until undrain. */
	hs_step(&sm, &P, HS_EV_LOST, now + 2);
	hs_step(&sm, &P, HS_EV_DRAIN, now + 3);
	assert_int_equal(sm.state, HS_DRAINED);
	now += 3;
	assert_int_equal(rounds(&sm, true, 10, &now), 0);
	/* Failure while draining: withdraw at once. */
	hs_init(&sm, &P, 0);
	now = 0;
	rounds(&sm, true, 2, &now);
	hs_step(&sm, &P, HS_EV_DRAIN, now);
	assert_int_equal(hs_step(&sm, &P, HS_EV_LOST, now + 1),
	    HS_ACT_WITHDRAW);
	assert_int_equal(sm.state, HS_DRAINED);
}

static void
test_stop(void **state)
{
	struct hs_sm sm;
	uint64_t now = 0;

	(void)state;
	hs_init(&sm, &P, now);
	assert_int_equal(hs_step(&sm, &P, HS_EV_STOP, now), 0);
	assert_int_equal(sm.state, HS_STOPPED);
	assert_int_equal(rounds(&sm, true, 4, &now), 0);
	hs_init(&sm, &P, now);
	rounds(&sm, true, 2, &now);
	assert_int_equal(hs_step(&sm, &P, HS_EV_STOP, now), HS_ACT_WITHDRAW);
	assert_int_equal(hs_step(&sm, &P, HS_EV_STOP, now), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rise_fall),
		cmocka_unit_test(test_lost_is_immediate),
		cmocka_unit_test(test_holddown_after_failure),
		cmocka_unit_test(test_holddown_grows_and_decays),
		cmocka_unit_test(test_flapping_is_bounded),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
