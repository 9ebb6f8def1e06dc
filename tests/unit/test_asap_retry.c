/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for client/retry.c, the arithmetic of libasap's resolution
 * deadline: RFC 6298's estimator (first sample, smoothing, variance), the
 * per-try timeout (before any sample the ceiling; a few smoothed RTTs;
 * floor, ceiling, half the deadline, the time left) and the short hunt
 * back-off a deadline asks for.  Pure functions, no clock, no sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "retry.h"

static const struct retry_params P = {
	.deadline_ms = 2000, .try_min_ms = 100, .try_max_ms = 1000,
};

static void
test_rtt_first_sample(void **state)
{
	struct retry_rtt r = { 0 };

	(void)state;
	assert_false(r.valid);
	assert_int_equal(retry_srtt_ms(&r), 0);
	retry_rtt_sample(&r, 40);
	assert_true(r.valid);
	/* §2.2: SRTT = R, RTTVAR = R / 2. */
	assert_int_equal(retry_srtt_ms(&r), 40);
	assert_int_equal(r.rttvar4, 4 * 20);
}

static void
test_rtt_smoothing(void **state)
{
	struct retry_rtt r = { 0 };
	int i;

	(void)state;
	retry_rtt_sample(&r, 40);
	/* §2.3: one sample of 120 moves SRTT by 1/8 of the error (80). */
	retry_rtt_sample(&r, 120);
	assert_int_equal(retry_srtt_ms(&r), 50);
	/* RTTVAR = 3/4 x 20 + 1/4 x 80 = 35. */
	assert_int_equal(r.rttvar4, 4 * 35);
	/* A steady path: SRTT converges (to within the 1/8 ms the
	 * integer estimator keeps, as TCP's), the variance decays. */
	for (i = 0; i < 100; i++)
		retry_rtt_sample(&r, 10);
	assert_in_range(retry_srtt_ms(&r), 10, 11);
	assert_true(r.rttvar4 < 8);
	/* A stall is clamped: one sample cannot push SRTT past 60 s / 8. */
	retry_rtt_sample(&r, UINT32_MAX);
	assert_true(retry_srtt_ms(&r) <= 10 + 60000 / 8 + 1);
}

static void
test_try_before_any_sample(void **state)
{
	struct retry_rtt r = { 0 };

	(void)state;
	/* Nothing known: the ceiling (RFC 6298's 1 s initial RTO). */
	assert_int_equal(retry_try_ms(&r, &P, UINT64_MAX), 1000);
	/* ...but never more than the time left. */
	assert_int_equal(retry_try_ms(&r, &P, 300), 300);
}

static void
test_try_follows_rtt(void **state)
{
	struct retry_rtt r = { 0 };
	int i;

	(void)state;
	/* Loopback or a LAN: a few RTTs are below the floor. */
	retry_rtt_sample(&r, 0);
	assert_int_equal(retry_try_ms(&r, &P, UINT64_MAX), 100);
	retry_rtt_sample(&r, 1);
	assert_int_equal(retry_try_ms(&r, &P, UINT64_MAX), 100);
	/* A 60 ms path: 3 x SRTT once the variance has settled. */
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 60; i++)
		retry_rtt_sample(&r, 60);
	assert_int_equal(retry_try_ms(&r, &P, UINT64_MAX), 180);
	/* A jittery one: SRTT + 4 x RTTVAR wins over 3 x SRTT. */
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 60; i++)
		retry_rtt_sample(&r, i % 2 ? 20 : 100);
	assert_true(retry_try_ms(&r, &P, UINT64_MAX) >
	    3 * retry_srtt_ms(&r));
	assert_true(retry_try_ms(&r, &P, UINT64_MAX) <= 1000);
	/* A slow path: the ceiling. */
	memset(&r, 0, sizeof(r));
	retry_rtt_sample(&r, 700);
	assert_int_equal(retry_try_ms(&r, &P, UINT64_MAX), 1000);
}

static void
test_try_bounded_by_deadline(void **state)
{
	struct retry_params p = P;
	struct retry_rtt r = { 0 };

	(void)state;
	retry_rtt_sample(&r, 700);
	/* Half the deadline, so that a second try fits in it. */
	p.deadline_ms = 800;
	assert_int_equal(retry_try_ms(&r, &p, UINT64_MAX), 400);
	/* Never below the floor, even for a tiny deadline... */
	p.deadline_ms = 50;
	assert_int_equal(retry_try_ms(&r, &p, UINT64_MAX), 100);
	/* ...except that no try outlives the deadline itself. */
	assert_int_equal(retry_try_ms(&r, &p, 30), 30);
	assert_int_equal(retry_try_ms(&r, &p, 0), 1);
	/* No deadline (0): the ceiling alone. */
	p.deadline_ms = 0;
	assert_int_equal(retry_try_ms(&r, &p, UINT64_MAX), 1000);
	/* A caller's floor and ceiling. */
	p.deadline_ms = 2000;
	p.try_min_ms = 20;
	p.try_max_ms = 50;
	memset(&r, 0, sizeof(r));
	retry_rtt_sample(&r, 1);
	assert_int_equal(retry_try_ms(&r, &p, UINT64_MAX), 20);
	retry_rtt_sample(&r, 500);
	assert_int_equal(retry_try_ms(&r, &p, UINT64_MAX), 50);
}

static void
test_backoff(void **state)
{
	uint32_t b = 0, seq[6];
	int i;

	(void)state;
	for (i = 0; i < 6; i++)
		seq[i] = b = retry_backoff_ms(b);
	assert_int_equal(seq[0], 10);
	assert_int_equal(seq[1], 20);
	assert_int_equal(seq[2], 40);
	assert_int_equal(seq[3], 50);
	assert_int_equal(seq[5], 50);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtt_first_sample),
		cmocka_unit_test(test_rtt_smoothing),
		cmocka_unit_test(test_try_before_any_sample),
		cmocka_unit_test(test_try_follows_rtt),
		cmocka_unit_test(test_try_bounded_by_deadline),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
