/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the hashed timing wheel (lib/wheel.c) with an injected
 * clock: entries fire in deadline order within the resolution and never
 * early, cancel and re-add (from a callback too), timeouts longer than a
 * rotation (in the second level, looked at a few times each), clock
 * jumps, and many entries.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wheel.h"

#define RES	10
#define SLOTS	64		/* a rotation: 640 ms */

struct item {
	struct whl_entry e;
	uint64_t	 when;		/* asked for */
	uint64_t	 fired_at;	/* clock at the callback; 0: not yet */
	int		 order;		/* position among the fired */
	int		 fires;
	uint64_t	 readd;		/* re-add this far ahead when fired */
	struct item	*cancel;	/* cancel this one when fired */
	bool		 nest;		/* try whl_advance() when fired */
};

struct fx {
	struct whl	 w;
	uint64_t	 now;
	int		 nfired;
};

static struct fx *cur_fx;

static void
on_fire(struct whl *w, struct whl_entry *e, void *arg)
{
	struct fx *fx = arg;
	struct item *it = (struct item *)(void *)((char *)e -
	    offsetof(struct item, e));

	assert_ptr_equal(w, &fx->w);
	assert_false(whl_pending(e));
	it->fired_at = fx->now;
	it->order = fx->nfired++;
	it->fires++;
	if (it->cancel != NULL)
		whl_cancel(w, &it->cancel->e);
	if (it->nest)
		assert_int_equal(whl_advance(w, fx->now + 100000), 0);
	if (it->readd != 0) {
		it->when = fx->now + it->readd;
		it->readd = 0;
		whl_add(w, e, it->when);
	}
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->now = 1000003;	/* not a multiple of the resolution */
	assert_int_equal(whl_init(&fx->w, RES, SLOTS, fx->now, on_fire, fx),
	    0);
	cur_fx = fx;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	whl_free(&fx->w);
	free(fx);
	return 0;
}

static void
add(struct fx *fx, struct item *it, uint64_t delay)
{
	it->when = fx->now + delay;
	whl_add(&fx->w, &it->e, it->when);
}

/* The tests' pseudo-random delays (xorshift64). */
static uint64_t
next_rnd(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Move the clock 1 ms at a time to `to', advancing at every step. */
static size_t
run_to(struct fx *fx, uint64_t to)
{
	size_t n = 0;

	while (fx->now < to) {
		fx->now++;
		n += whl_advance(&fx->w, fx->now);
	}
	return n;
}

static void
test_init_args(void **state)
{
	struct whl w;

	(void)state;
	assert_int_equal(whl_init(&w, 0, 64, 0, on_fire, NULL), -EINVAL);
	assert_int_equal(whl_init(&w, 10, 48, 0, on_fire, NULL), -EINVAL);
	assert_int_equal(whl_init(&w, 10, 0, 0, on_fire, NULL), -EINVAL);
	assert_int_equal(whl_init(&w, 10, 64, 0, NULL, NULL), -EINVAL);
}

/* Never early, at most one resolution late, in deadline order. */
static void
test_order_within_resolution(void **state)
{
	struct fx *fx = *state;
	static const uint64_t delays[] = { 300, 5, 17, 1, 250, 99, 100, 101,
	    0, 630 };
	struct item it[10];
	size_t i, j;

	memset(it, 0, sizeof(it));
	for (i = 0; i < 10; i++)
		add(fx, &it[i], delays[i]);
	assert_int_equal(whl_count(&fx->w), 10);
	assert_int_equal(run_to(fx, fx->now + 700), 10);
	assert_int_equal(whl_count(&fx->w), 0);
	for (i = 0; i < 10; i++) {
		assert_int_equal(it[i].fires, 1);
		assert_true(it[i].fired_at >= it[i].when);
		assert_true(it[i].fired_at < it[i].when + RES);
		for (j = 0; j < 10; j++)
			if (it[j].when / RES + (it[j].when % RES != 0) >
			    it[i].when / RES + (it[i].when % RES != 0))
				assert_true(it[j].order > it[i].order);
	}
}

/* Same tick: in the order added. */
static void
test_same_tick_fifo(void **state)
{
	struct fx *fx = *state;
	struct item it[5];
	int i;

	memset(it, 0, sizeof(it));
	for (i = 0; i < 5; i++)
		add(fx, &it[i], 50);
	fx->now += 60;
	assert_int_equal(whl_advance(&fx->w, fx->now), 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(it[i].order, i);
}

static void
test_cancel(void **state)
{
	struct fx *fx = *state;
	struct item a = { 0 }, b = { 0 }, c = { 0 };

	add(fx, &a, 40);
	add(fx, &b, 40);
	add(fx, &c, 40);
	whl_cancel(&fx->w, &b.e);
	whl_cancel(&fx->w, &b.e);	/* twice: a no-op */
	assert_false(whl_pending(&b.e));
	assert_int_equal(whl_count(&fx->w), 2);
	assert_int_equal(whl_remaining(&fx->w, &b.e, fx->now), 0);
	assert_true(whl_remaining(&fx->w, &a.e, fx->now) >= 40);
	assert_int_equal(run_to(fx, fx->now + 100), 2);
	assert_int_equal(a.fires, 1);
	assert_int_equal(b.fires, 0);
	assert_int_equal(c.fires, 1);
}

/* A callback cancels the entry the pass would look at next. */
static void
test_cancel_next_from_callback(void **state)
{
	struct fx *fx = *state;
	struct item a = { 0 }, b = { 0 }, c = { 0 };

	add(fx, &a, 20);
	add(fx, &b, 20);
	add(fx, &c, 20);
	a.cancel = &b;
	assert_int_equal(run_to(fx, fx->now + 40), 2);
	assert_int_equal(b.fires, 0);
	assert_int_equal(c.fires, 1);
	assert_int_equal(whl_count(&fx->w), 0);
}

/* Re-added from its callback: fires again, later, never in the same pass. */
static void
test_readd_from_callback(void **state)
{
	struct fx *fx = *state;
	struct item a = { 0 }, z = { 0 };
	uint64_t first;

	add(fx, &a, 30);
	a.readd = 1;		/* well inside the tick it fires in */
	fx->now += 45;
	assert_int_equal(whl_advance(&fx->w, fx->now), 1);
	first = a.fired_at;
	assert_true(whl_pending(&a.e));
	/* Same time again: nothing (it waits for the next tick). */
	assert_int_equal(whl_advance(&fx->w, fx->now), 0);
	assert_int_equal(run_to(fx, fx->now + RES), 1);
	assert_int_equal(a.fires, 2);
	assert_true(a.fired_at >= first + 1);
	/* Added for a time already past: the next tick, not before. */
	whl_add(&fx->w, &z.e, fx->now - 500);
	assert_int_equal(whl_advance(&fx->w, fx->now), 0);
	assert_int_equal(run_to(fx, fx->now + RES), 1);
	assert_int_equal(z.fires, 1);
}

/* whl_advance() from a callback does nothing; the pass goes on. */
static void
test_advance_from_callback(void **state)
{
	struct fx *fx = *state;
	struct item a = { 0 }, b = { 0 }, c = { 0 };

	add(fx, &a, 20);
	add(fx, &b, 20);
	add(fx, &c, 5000);
	a.nest = true;
	assert_int_equal(run_to(fx, fx->now + 40), 2);
	assert_int_equal(c.fires, 0);
	assert_int_equal(whl_count(&fx->w), 1);
	assert_int_equal(run_to(fx, c.when + RES), 1);
	assert_true(c.fired_at >= c.when);
}

/* Re-adding a pending entry moves it. */
static void
test_readd_moves(void **state)
{
	struct fx *fx = *state;
	struct item a = { 0 };

	add(fx, &a, 20);
	add(fx, &a, 300);
	assert_int_equal(whl_count(&fx->w), 1);
	assert_int_equal(run_to(fx, fx->now + 290), 0);
	assert_int_equal(run_to(fx, fx->now + 20), 1);
	assert_true(a.fired_at >= a.when);
}

/* Timeouts of several rotations stay put until due. */
static void
test_long_timeout_wraps(void **state)
{
	struct fx *fx = *state;
	struct item a = { 0 }, b = { 0 };

	add(fx, &a, 3 * SLOTS * RES + 25);	/* over 3 rotations */
	add(fx, &b, 25);			/* the same slot, now */
	assert_int_equal(run_to(fx, fx->now + 40), 1);
	assert_int_equal(b.fires, 1);
	assert_int_equal(a.fires, 0);
	assert_int_equal(run_to(fx, a.when - 1), 0);
	assert_int_equal(a.fires, 0);
	assert_int_equal(run_to(fx, a.when + RES), 1);
	assert_true(a.fired_at >= a.when && a.fired_at < a.when + RES);
}

/*
 * Timeouts of many rotations cost no pass before their last two
 * rotations: each entry is looked at a few times however long it waits
 * (one pass per rotation over every waiting entry would be N x 60 here),
 * and still fires once, on time, those of one tick in the order added.
 * Some wait longer than the second level's reach (SLOTS rotations).
 */
static void
test_long_timeouts_cheap(void **state)
{
	struct fx *fx = *state;
	enum { N = 20000 };
	struct item *it = calloc(N, sizeof(*it));
	uint64_t x = 2463534242ULL, rot = SLOTS * RES, start = fx->now;
	uint64_t before, last = 0;
	size_t i;

	assert_non_null(it);
	for (i = 0; i < N; i++) {
		x = next_rnd(x);
		/* 2-60 rotations; every tenth 64-90 (past the second level) */
		if (i % 10 == 0)
			add(fx, &it[i], SLOTS * rot + x % (26 * rot));
		else
			add(fx, &it[i], 2 * rot + x % (58 * rot));
		if (it[i].when > last)
			last = it[i].when;
	}
	/* Three on one far tick, in order, then one cancelled and re-added
	 * to the same tick: it goes last. */
	add(fx, &it[1], 30 * rot + 5);
	add(fx, &it[2], 30 * rot + 5);
	add(fx, &it[3], 30 * rot + 5);
	whl_cancel(&fx->w, &it[1].e);
	assert_false(whl_pending(&it[1].e));
	add(fx, &it[1], 30 * rot + 5);
	assert_true(whl_remaining(&fx->w, &it[2].e, fx->now) >= 30 * rot + 5);
	assert_true(whl_remaining(&fx->w, &it[2].e, fx->now) <
	    30 * rot + 5 + RES);
	/* Every fifth cancelled while it waits far. */
	for (i = 5; i < N; i += 5)
		whl_cancel(&fx->w, &it[i].e);
	before = whl_visits(&fx->w);
	assert_int_equal(run_to(fx, last + RES), N - (N - 1) / 5);
	assert_int_equal(whl_count(&fx->w), 0);
	/* Fired: one visit each; moved from the second level: one; skipped
	 * in the first wheel the rotation before: at most one; those past
	 * the second level: looked at once more. */
	assert_true(whl_visits(&fx->w) - before <= 3 * N + N / 10);
	for (i = 0; i < N; i++) {
		if (i % 5 == 0 && i != 0) {
			assert_int_equal(it[i].fires, 0);
			continue;
		}
		assert_int_equal(it[i].fires, 1);
		assert_true(it[i].fired_at >= it[i].when);
		assert_true(it[i].fired_at < it[i].when + RES);
	}
	assert_true(it[2].order < it[3].order);
	assert_true(it[3].order < it[1].order);
	assert_true(fx->now - start > 80 * rot);
	free(it);
}

/* Moving an entry between the levels, and a clock jump over far ones. */
static void
test_far_moves_and_jumps(void **state)
{
	struct fx *fx = *state;
	struct item a = { 0 }, b = { 0 }, c = { 0 };
	uint64_t rot = SLOTS * RES;

	add(fx, &a, 10 * rot);			/* far */
	add(fx, &a, 15);			/* now near */
	add(fx, &b, 25);
	add(fx, &b, 20 * rot + 7);		/* now far */
	add(fx, &c, 40 * rot);
	assert_int_equal(run_to(fx, fx->now + 40), 1);
	assert_int_equal(a.fires, 1);
	assert_int_equal(b.fires, 0);
	/* A jump of 25 rotations: b is due, c is not and waits on. */
	fx->now += 25 * rot;
	assert_int_equal(whl_advance(&fx->w, fx->now), 1);
	assert_int_equal(b.fires, 1);
	assert_true(whl_pending(&c.e));
	assert_true(whl_remaining(&fx->w, &c.e, fx->now) > 10 * rot);
	/* After the jump c costs no pass before its last two rotations. */
	{
		uint64_t v = whl_visits(&fx->w);

		assert_int_equal(run_to(fx, c.when - 3 * rot), 0);
		assert_true(whl_visits(&fx->w) - v <= 2);
	}
	assert_int_equal(run_to(fx, c.when + RES), 1);
	assert_true(c.fired_at >= c.when && c.fired_at < c.when + RES);
}

/*
 * A caller that advances only at whl_next_due() (as the registrar's
 * keep-alive timer does) still fires every entry on time, near ones and
 * far ones, with re-adds and cancels from callbacks; and it wakes about as
 * often as there are distinct ticks, not at every tick.
 */
static void
test_next_due_drives(void **state)
{
	struct fx *fx = *state;
	enum { N = 1000 };
	struct item *it = calloc(N, sizeof(*it));
	uint64_t x = 0x9e3779b97f4a7c15ULL, due, last = 0;
	size_t i, wakes = 0, fired = 0;

	assert_non_null(it);
	assert_int_equal(whl_next_due(&fx->w), UINT64_MAX);
	for (i = 0; i < N; i++) {
		x = next_rnd(x);
		/* up to 100 rotations: most far, a few within this one */
		add(fx, &it[i], 1 + x % (100 * SLOTS * RES));
		if (i % 7 == 0)
			it[i].readd = 1 + x % (3 * SLOTS * RES);
		if (i % 11 == 0 && i > 0)
			it[i].cancel = &it[i - 1];
	}
	/* Never later than the earliest entry. */
	for (i = 0; i < N; i++)
		assert_true(whl_next_due(&fx->w) <= it[i].when + RES - 1);
	while ((due = whl_next_due(&fx->w)) != UINT64_MAX) {
		assert_true(due > fx->now);
		fx->now = due;
		fired += whl_advance(&fx->w, fx->now);
		wakes++;
		assert_true(wakes < 4 * N);
	}
	for (i = 0; i < N; i++) {
		if (it[i].fires == 0)
			continue;	/* cancelled by its neighbour */
		assert_int_equal(it[i].fires, it[i].readd == 0 &&
		    i % 7 == 0 ? 2 : 1);
		assert_true(it[i].fired_at >= it[i].when);
		assert_true(it[i].fired_at < it[i].when + RES);
		if (it[i].when > last)
			last = it[i].when;
	}
	for (i = 1; i < N; i++)
		if (i % 11 == 0 && it[i].order < it[i - 1].order)
			assert_true(it[i - 1].fires == 1);
	assert_int_equal(whl_count(&fx->w), 0);
	/* Wake-ups: one per fired entry at most, one early one for each
	 * that waited in a slot through the rotation before its own, and
	 * one per rotation with nothing near; a caller that woke at every
	 * tick would wake 6,400 times. */
	assert_true(wakes <= 2 * fired + 110);
	assert_true(wakes < 3000);
	assert_true(last - 1000003 > 90 * SLOTS * RES);
	free(it);
}

/* A lone entry far away: the caller wakes once a rotation, not a tick. */
static void
test_next_due_sparse(void **state)
{
	struct fx *fx = *state;
	struct item a = { 0 };
	size_t wakes = 0;
	uint64_t due;

	add(fx, &a, 20 * SLOTS * RES + 3);
	while ((due = whl_next_due(&fx->w)) != UINT64_MAX) {
		assert_true(due > fx->now);
		assert_true(due - fx->now <= SLOTS * RES);
		fx->now = due;
		(void)whl_advance(&fx->w, fx->now);
		wakes++;
	}
	assert_int_equal(a.fires, 1);
	assert_true(a.fired_at >= a.when && a.fired_at < a.when + RES);
	assert_true(wakes <= 22);
	whl_cancel(&fx->w, &a.e);
	assert_int_equal(whl_next_due(&fx->w), UINT64_MAX);
}

/*
 * The registrar's case with long keep-alive intervals: every entry far,
 * the caller waking at whl_next_due() (a rotation apart while nothing is
 * near), on time or a little late as a loop timer is.  Those wake-ups are
 * not clock jumps: each entry is still looked at a few times in all, not
 * at every wake-up (which cost an idle registrar of 1M PEs half a second
 * of CPU every 10 s).
 */
static void
test_next_due_far_cheap(void **state)
{
	struct fx *fx = *state;
	enum { N = 5000 };
	struct item *it = calloc(N, sizeof(*it));
	uint64_t x = 88172645463325252ULL, rot = SLOTS * RES, due, before;
	size_t i, wakes = 0, fired = 0;

	assert_non_null(it);
	for (i = 0; i < N; i++) {
		x = next_rnd(x);
		add(fx, &it[i], 40 * rot + x % (20 * rot));	/* all far */
	}
	before = whl_visits(&fx->w);
	while ((due = whl_next_due(&fx->w)) != UINT64_MAX) {
		assert_true(due > fx->now);
		fx->now = due + (wakes % 3);	/* 0-2 ms late */
		fired += whl_advance(&fx->w, fx->now);
		wakes++;
		assert_true(wakes < 10 * N);
	}
	assert_int_equal(fired, N);
	for (i = 0; i < N; i++) {
		assert_int_equal(it[i].fires, 1);
		assert_true(it[i].fired_at >= it[i].when);
		assert_true(it[i].fired_at < it[i].when + RES + 2);
	}
	/* Moved in once, skipped at most once, fired once. */
	assert_true(whl_visits(&fx->w) - before <= 3 * N);
	free(it);
}

/* Clock jumps: forward less than and more than a rotation. */
static void
test_clock_jump(void **state)
{
	struct fx *fx = *state;
	struct item it[4];
	int i;

	memset(it, 0, sizeof(it));
	add(fx, &it[0], 100);
	add(fx, &it[1], 400);
	add(fx, &it[2], 5 * SLOTS * RES);
	add(fx, &it[3], 9 * SLOTS * RES);
	fx->now += 450;			/* within a rotation */
	assert_int_equal(whl_advance(&fx->w, fx->now), 2);
	assert_true(it[0].order < it[1].order);
	fx->now += 6 * SLOTS * RES;	/* past a few rotations */
	assert_int_equal(whl_advance(&fx->w, fx->now), 1);
	assert_int_equal(it[2].fires, 1);
	assert_int_equal(it[3].fires, 0);
	fx->now += 100 * SLOTS * RES;
	assert_int_equal(whl_advance(&fx->w, fx->now), 1);
	for (i = 0; i < 4; i++) {
		assert_int_equal(it[i].fires, 1);
		assert_true(it[i].fired_at >= it[i].when);
	}
	/* A clock that did not move, or moved back: nothing. */
	assert_int_equal(whl_advance(&fx->w, fx->now), 0);
	assert_int_equal(whl_advance(&fx->w, fx->now - 5000), 0);
	/* Idle for long, then a new entry: on time. */
	fx->now += 1000000;
	assert_int_equal(whl_advance(&fx->w, fx->now), 0);
	memset(&it[0], 0, sizeof(it[0]));
	add(fx, &it[0], 15);
	assert_int_equal(whl_next_tick(&fx->w) > fx->now, true);
	assert_int_equal(run_to(fx, fx->now + 30), 1);
	assert_true(it[0].fired_at >= it[0].when);
}

/*
 * Many entries with random delays over two rotations, a third cancelled:
 * each of the rest fires once, on time, and the work of a pass is the
 * entries in its slot, not all of them.
 */
static void
test_many(void **state)
{
	struct fx *fx = *state;
	enum { N = 100000 };
	struct item *it = calloc(N, sizeof(*it));
	uint64_t x = 88172645463325252ULL, end = fx->now + 2 * SLOTS * RES;
	size_t i, fired;

	assert_non_null(it);
	for (i = 0; i < N; i++) {
		x = next_rnd(x);
		add(fx, &it[i], x % (2 * SLOTS * RES));
	}
	for (i = 0; i < N; i += 3)
		whl_cancel(&fx->w, &it[i].e);
	assert_int_equal(whl_count(&fx->w), N - (N + 2) / 3);
	fired = run_to(fx, end + RES);
	assert_int_equal(fired, N - (N + 2) / 3);
	assert_int_equal(whl_count(&fx->w), 0);
	for (i = 0; i < N; i++) {
		assert_int_equal(it[i].fires, i % 3 == 0 ? 0 : 1);
		if (i % 3 != 0) {
			assert_true(it[i].fired_at >= it[i].when);
			assert_true(it[i].fired_at < it[i].when + RES);
		}
	}
	free(it);
}

/* whl_free leaves entries not pending: a later cancel is harmless. */
static void
test_free_unlinks(void **state)
{
	struct whl w;
	struct item a;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(whl_init(&w, RES, SLOTS, 0, on_fire, cur_fx), 0);
	whl_add(&w, &a.e, 1000);
	assert_true(whl_pending(&a.e));
	whl_free(&w);
	assert_false(whl_pending(&a.e));
	whl_cancel(&w, &a.e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_args),
		cmocka_unit_test_setup_teardown(test_order_within_resolution,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_tick_fifo, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_next_from_callback,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_readd_from_callback,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_advance_from_callback,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_readd_moves, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_timeout_wraps, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_timeouts_cheap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_far_moves_and_jumps, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_next_due_drives, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_next_due_sparse, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_next_due_far_cheap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_clock_jump, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_unlinks, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
