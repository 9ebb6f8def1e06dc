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

static const struct hsm_params P = {
	.rise = 2, .fall = 2, .holddown_ms = 1000, .holddown_max_ms = 60000,
	.decay_ms = 30000, .drain_wait_ms = 10000,
};

/* Feed n good (ok) or bad rounds every 500 ms from *now; OR the actions. */
static unsigned int
rounds(struct hsm_sm *sm, bool ok, int n, uint64_t *now)
{
	unsigned int act = 0;
	int i;

	for (i = 0; i < n; i++) {
		*now += 500;
		act |= hsm_step(sm, &P, ok ? HSM_EV_CHECK_OK :
		    HSM_EV_CHECK_FAIL, *now);
	}
	return act;
}

static void
test_rise_fall(void **state)
{
	struct hsm_sm sm;
	uint64_t now = 1000;

	(void)state;
	hsm_init(&sm, &P, now);
	assert_int_equal(sm.state, HSM_WITHDRAWN);
	assert_int_equal(rounds(&sm, true, 1, &now), 0);
	assert_int_equal(rounds(&sm, true, 1, &now), HSM_ACT_ANNOUNCE);
	assert_int_equal(sm.state, HSM_ANNOUNCED);
	assert_int_equal(rounds(&sm, false, 1, &now), 0);
	assert_int_equal(rounds(&sm, true, 1, &now), 0); /* resets fall */
	assert_int_equal(rounds(&sm, false, 1, &now), 0);
	assert_int_equal(rounds(&sm, false, 1, &now), HSM_ACT_WITHDRAW);
	assert_int_equal(sm.state, HSM_WITHDRAWN);
	assert_int_equal(sm.flaps, 1);
}

static void
test_lost_is_immediate(void **state)
{
	struct hsm_sm sm;
	uint64_t now = 0;

	(void)state;
	hsm_init(&sm, &P, now);
	rounds(&sm, true, 2, &now);
	assert_int_equal(sm.state, HSM_ANNOUNCED);
	assert_int_equal(hsm_step(&sm, &P, HSM_EV_LOST, now + 1),
	    HSM_ACT_WITHDRAW);
	assert_int_equal(sm.state, HSM_WITHDRAWN);
	/* While withdrawn a loss changes nothing. */
	assert_int_equal(hsm_step(&sm, &P, HSM_EV_LOST, now + 2), 0);
}

static void
test_holddown_after_failure(void **state)
{
	struct hsm_sm sm;
	uint64_t now = 0, dl;

	(void)state;
	hsm_init(&sm, &P, now);
	rounds(&sm, true, 2, &now);
	hsm_step(&sm, &P, HSM_EV_LOST, now);
	/* rise reached at now+1000, hold-down 1 s more. */
	assert_int_equal(rounds(&sm, true, 2, &now), 0);
	dl = hsm_next_deadline(&sm, &P, now);
	assert_int_equal(dl, now + 1000);
	assert_int_equal(hsm_step(&sm, &P, HSM_EV_TIMER, dl - 1), 0);
	assert_int_equal(hsm_step(&sm, &P, HSM_EV_TIMER, dl), HSM_ACT_ANNOUNCE);
	/* A failure while held resets: healthy again must wait anew. */
}

static void
test_holddown_grows_and_decays(void **state)
{
	struct hsm_sm sm;
	uint64_t now = 0, expect = 1000;
	int i;

	(void)state;
	hsm_init(&sm, &P, now);
	rounds(&sm, true, 2, &now);
	for (i = 0; i < 10; i++) {
		hsm_step(&sm, &P, HSM_EV_LOST, now);
		assert_int_equal(hsm_holddown(&sm, &P, now), expect);
		rounds(&sm, true, 2, &now);
		now = hsm_next_deadline(&sm, &P, now);
		assert_int_equal(hsm_step(&sm, &P, HSM_EV_TIMER, now),
		    HSM_ACT_ANNOUNCE);
		expect = expect * 2 > 60000 ? 60000 : expect * 2;
		if (sm.holddown_ms == 60000)
			break;
	}
	assert_int_equal(sm.holddown_ms, 60000);
	/* Quiet for three decay periods: 60 -> 30 -> 15 -> 7.5 s. */
	assert_int_equal(hsm_holddown(&sm, &P, sm.decay_ref + 3 * 30000), 7500);
	assert_int_equal(hsm_holddown(&sm, &P, sm.decay_ref + 100 * 30000),
	    1000);
}

/* A registrar that is up one second, down the next, for 30 s. */
static void
test_flapping_is_bounded(void **state)
{
	struct hsm_sm sm;
	uint64_t now = 0, t, dl;
	unsigned int act, cycles = 0;

	(void)state;
	hsm_init(&sm, &P, now);
	rounds(&sm, true, 2, &now);
	assert_int_equal(sm.state, HSM_ANNOUNCED);
	for (t = now; t < now + 30000; t += 100) {
		bool up = ((t - now) / 1000) % 2 == 1;

		act = 0;
		if (!up && (t - now) % 1000 == 0)
			act |= hsm_step(&sm, &P, HSM_EV_LOST, t);
		else if (t % 500 == 0)
			act |= hsm_step(&sm, &P, up ? HSM_EV_CHECK_OK :
			    HSM_EV_CHECK_FAIL, t);
		dl = hsm_next_deadline(&sm, &P, t);
		if (dl != 0 && dl <= t)
			act |= hsm_step(&sm, &P, HSM_EV_TIMER, t);
		if (act & HSM_ACT_WITHDRAW)
			cycles++;
	}
	/* Up for 1 s never outlasts rise + a hold-down of 1 s or more. */
	assert_true(cycles <= 2);
	assert_true(sm.announces <= 2);
}

static void
test_drain(void **state)
{
	struct hsm_sm sm;
	uint64_t now = 0;

	(void)state;
	hsm_init(&sm, &P, now);
	rounds(&sm, true, 2, &now);
	assert_int_equal(hsm_step(&sm, &P, HSM_EV_DRAIN, now),
	    HSM_ACT_DRAIN_ATTRS);
	assert_int_equal(sm.state, HSM_DRAINING);
	assert_int_equal(hsm_next_deadline(&sm, &P, now), now + 10000);
	assert_int_equal(rounds(&sm, true, 4, &now), 0);
	assert_int_equal(hsm_step(&sm, &P, HSM_EV_TIMER, 10000 + 1000),
	    HSM_ACT_WITHDRAW);
	assert_int_equal(sm.state, HSM_DRAINED);
	now = 11000;
	assert_int_equal(rounds(&sm, true, 4, &now), 0);	/* stays off */
	assert_int_equal(sm.flaps, 0);		/* drain is not a flap */
	assert_int_equal(hsm_step(&sm, &P, HSM_EV_UNDRAIN, now),
	    HSM_ACT_NORMAL_ATTRS | HSM_ACT_ANNOUNCE);
	assert_int_equal(sm.state, HSM_ANNOUNCED);
	/* Undrain while still draining: keep the route, normal attributes. */
	hsm_step(&sm, &P, HSM_EV_DRAIN, now);
	assert_int_equal(hsm_step(&sm, &P, HSM_EV_UNDRAIN, now + 1),
	    HSM_ACT_NORMAL_ATTRS);
	assert_int_equal(sm.state, HSM_ANNOUNCED);
	/* Drain while withdrawn: nothing to do, no announce until undrain. */
	hsm_step(&sm, &P, HSM_EV_LOST, now + 2);
	hsm_step(&sm, &P, HSM_EV_DRAIN, now + 3);
	assert_int_equal(sm.state, HSM_DRAINED);
	now += 3;
	assert_int_equal(rounds(&sm, true, 10, &now), 0);
	/* Failure while draining: withdraw at once. */
	hsm_init(&sm, &P, 0);
	now = 0;
	rounds(&sm, true, 2, &now);
	hsm_step(&sm, &P, HSM_EV_DRAIN, now);
	assert_int_equal(hsm_step(&sm, &P, HSM_EV_LOST, now + 1),
	    HSM_ACT_WITHDRAW);
	assert_int_equal(sm.state, HSM_DRAINED);
}

static void
test_stop(void **state)
{
	struct hsm_sm sm;
	uint64_t now = 0;

	(void)state;
	hsm_init(&sm, &P, now);
	assert_int_equal(hsm_step(&sm, &P, HSM_EV_STOP, now), 0);
	assert_int_equal(sm.state, HSM_STOPPED);
	assert_int_equal(rounds(&sm, true, 4, &now), 0);
	hsm_init(&sm, &P, now);
	rounds(&sm, true, 2, &now);
	assert_int_equal(hsm_step(&sm, &P, HSM_EV_STOP, now), HSM_ACT_WITHDRAW);
	assert_int_equal(hsm_step(&sm, &P, HSM_EV_STOP, now), 0);
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
