/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hashed timing wheel (see wheel.h): a power-of-two array of FIFO
 * slots indexed by due tick; an entry stays in its slot until a pass at
 * or after its tick takes it out.  The pass walks a slot with a cursor
 * that whl_cancel()/whl_add() move on when they unlink the entry under it,
 * so callbacks may cancel or re-add any entry, the next one included.
 *
 * Rotation r holds ticks r << shift .. (r + 1) << shift - 1.  An entry due
 * more than one rotation after the current one goes into the second
 * wheel's slot of its rotation (far[r & mask], FIFO too).  When the first
 * tick of rotation r is reached, far[(r + 1) & mask] moves its entries of
 * rotation r + 1 into the first wheel, in their order, before any pass of
 * that rotation.  So the first wheel only ever holds entries of the
 * current and the next rotation, and a pass skips each at most once.
 */
#include <errno.h>
#include <stdlib.h>

#include "wheel.h"

int
whl_init(struct whl *w, uint32_t res_ms, uint32_t nslots, uint64_t now,
    whl_cb cb, void *arg)
{
	uint32_t i;

	if (res_ms == 0 || nslots == 0 || (nslots & (nslots - 1)) != 0 ||
	    cb == NULL)
		return -EINVAL;
	if ((w->slots = calloc(nslots, sizeof(*w->slots))) == NULL)
		return -ENOMEM;
	w->far = calloc(nslots, sizeof(*w->far));
	w->occ = calloc((nslots + 63) / 64, sizeof(*w->occ));
	if (w->far == NULL || w->occ == NULL) {
		free(w->slots);
		free(w->far);
		free(w->occ);
		w->slots = NULL;
		w->far = NULL;
		w->occ = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < nslots; i++) {
		TAILQ_INIT(&w->slots[i]);
		TAILQ_INIT(&w->far[i]);
	}
	w->mask = nslots - 1;
	for (w->shift = 0; (1U << w->shift) < nslots; w->shift++)
		;
	w->res = res_ms;
	w->cur = now / res_ms;
	w->n = 0;
	w->cursor = NULL;
	w->running = false;
	w->visits = 0;
	w->cb = cb;
	w->arg = arg;
	return 0;
}

static void
whl_unlink_all(struct whl_slot *s)
{
	struct whl_entry *e;

	while ((e = TAILQ_FIRST(s)) != NULL) {
		TAILQ_REMOVE(s, e, link);
		e->link.tqe_prev = NULL;
	}
}

void
whl_free(struct whl *w)
{
	uint32_t i;

	for (i = 0; w->slots != NULL && i <= w->mask; i++) {
		whl_unlink_all(&w->slots[i]);
		whl_unlink_all(&w->far[i]);
	}
	free(w->slots);
	free(w->far);
	free(w->occ);
	w->slots = NULL;
	w->far = NULL;
	w->occ = NULL;
	w->n = 0;
}

void
whl_entry_init(struct whl_entry *e)
{
	e->link.tqe_next = NULL;
	e->link.tqe_prev = NULL;
	e->tick = 0;
}

static struct whl_slot *
whl_far_slot(struct whl *w, uint64_t tick)
{
	return &w->far[(tick >> w->shift) & w->mask];
}

/* Beyond the current rotation and the next: wait in the second wheel. */
static bool
whl_is_far(const struct whl *w, uint64_t tick)
{
	return (tick >> w->shift) > (w->cur >> w->shift) + 1;
}

/* Into the first wheel's slot of its tick (e unlinked). */
static void
whl_put_near(struct whl *w, struct whl_entry *e, uint64_t tick)
{
	uint32_t i = (uint32_t)(tick & w->mask);

	e->tick = tick;
	TAILQ_INSERT_TAIL(&w->slots[i], e, link);
	w->occ[i / 64] |= 1ULL << (i % 64);
}

/* Out of the first wheel's slot i. */
static void
whl_take_near(struct whl *w, uint32_t i, struct whl_entry *e)
{
	TAILQ_REMOVE(&w->slots[i], e, link);
	if (TAILQ_EMPTY(&w->slots[i]))
		w->occ[i / 64] &= ~(1ULL << (i % 64));
}

static void
whl_put_far(struct whl *w, struct whl_entry *e, uint64_t tick)
{
	e->tick = tick | WHL_FAR;
	TAILQ_INSERT_TAIL(whl_far_slot(w, tick), e, link);
}

bool
whl_pending(const struct whl_entry *e)
{
	return e->link.tqe_prev != NULL;
}

void
whl_cancel(struct whl *w, struct whl_entry *e)
{
	if (!whl_pending(e))
		return;
	if (e->tick & WHL_FAR)
		TAILQ_REMOVE(whl_far_slot(w, e->tick & ~WHL_FAR), e, link);
	else {
		if (w->cursor == e)
			w->cursor = TAILQ_NEXT(e, link);
		whl_take_near(w, (uint32_t)(e->tick & w->mask), e);
	}
	e->link.tqe_prev = NULL;
	w->n--;
}

void
whl_add(struct whl *w, struct whl_entry *e, uint64_t when)
{
	uint64_t tick;

	whl_cancel(w, e);
	/* Rounded up: never before `when'; never in the tick being run. */
	tick = when / w->res + (when % w->res != 0);
	if (tick <= w->cur)
		tick = w->cur + 1;
	if (whl_is_far(w, tick))
		whl_put_far(w, e, tick);
	else
		whl_put_near(w, e, tick);
	w->n++;
}

uint64_t
whl_remaining(const struct whl *w, const struct whl_entry *e, uint64_t now)
{
	uint64_t due;

	if (!whl_pending(e))
		return 0;
	due = (e->tick & ~WHL_FAR) * w->res;
	return due > now ? due - now : 0;
}

/* Fire the entries of slot due by tick w->cur. */
static size_t
whl_pass(struct whl *w, uint32_t i)
{
	struct whl_slot *s = &w->slots[i];
	struct whl_entry *e;
	size_t n = 0;

	for (e = TAILQ_FIRST(s); e != NULL; e = w->cursor) {
		w->cursor = TAILQ_NEXT(e, link);
		w->visits++;
		if (e->tick > w->cur) {
			/* A later rotation's: the next, or (after a clock
			 * jump) one for the second wheel. */
			if (whl_is_far(w, e->tick)) {
				whl_take_near(w, i, e);
				whl_put_far(w, e, e->tick);
			}
			continue;
		}
		whl_take_near(w, i, e);
		e->link.tqe_prev = NULL;
		w->n--;
		n++;
		w->cb(w, e, w->arg);
	}
	w->cursor = NULL;
	return n;
}

/* Rotation rot starts: the second wheel's entries of the next one move
 * into the first, in order; those a whole second rotation later stay. */
static void
whl_cascade(struct whl *w, uint64_t rot)
{
	struct whl_slot *s = &w->far[(rot + 1) & w->mask];
	struct whl_entry *e, *next;
	uint64_t tick;

	for (e = TAILQ_FIRST(s); e != NULL; e = next) {
		next = TAILQ_NEXT(e, link);
		w->visits++;
		tick = e->tick & ~WHL_FAR;
		if (whl_is_far(w, tick))
			continue;
		TAILQ_REMOVE(s, e, link);
		whl_put_near(w, e, tick);
	}
}

/* All of the second wheel into the first (a clock jump); the passes
 * send back what is still far. */
static void
whl_cascade_all(struct whl *w)
{
	struct whl_entry *e;
	uint32_t i;

	for (i = 0; i <= w->mask; i++)
		while ((e = TAILQ_FIRST(&w->far[i])) != NULL) {
			w->visits++;
			TAILQ_REMOVE(&w->far[i], e, link);
			whl_put_near(w, e, e->tick & ~WHL_FAR);
		}
}

size_t
whl_advance(struct whl *w, uint64_t now)
{
	uint64_t to = now / w->res, t, last;
	size_t n = 0;

	if (to <= w->cur || w->running)
		return 0;
	w->running = true;
	/*
	 * Late by up to the second wheel's span (slots^2 ticks): tick by
	 * tick, each rotation's entries moved in at its turn.  A caller that
	 * wakes at whl_next_due() while nothing is near comes a rotation
	 * later, often a little more; that is not a jump, and treating it
	 * as one cost a pass over every entry at each such wake-up.
	 */
	if ((to - w->cur) >> (2 * w->shift) != 0) {
		/* Jumped past the second wheel: every slot once. */
		last = w->cur + w->mask + 1;
		whl_cascade_all(w);
		for (t = w->cur + 1; t <= last; t++) {
			w->cur = to;
			n += whl_pass(w, (uint32_t)(t & w->mask));
		}
	} else {
		for (t = w->cur + 1; t <= to; t++) {
			w->cur = t;
			if (w->n == 0) {
				w->cur = to;	/* nothing left to look at */
				break;
			}
			if ((t & w->mask) == 0)
				whl_cascade(w, t >> w->shift);
			n += whl_pass(w, (uint32_t)(t & w->mask));
		}
	}
	w->running = false;
	return n;
}

uint64_t
whl_next_tick(const struct whl *w)
{
	return (w->cur + 1) * w->res;
}

/*
 * The first slot of the first wheel that holds an entry, from the next
 * tick on (a bit per slot in occ); its entries may be a rotation later,
 * then the advance there finds nothing due (an early wake-up, not a late
 * one).  With none, a rotation on: what waits in the second wheel is due
 * later than that (whl_is_far), and the advance's tick-by-tick loop moves
 * it on the way.
 */
uint64_t
whl_next_due(const struct whl *w)
{
	uint32_t nslots = w->mask + 1, off = 0, i, step;
	uint64_t bits;

	if (w->n == 0)
		return UINT64_MAX;
	while (off < nslots) {
		i = (uint32_t)((w->cur + 1 + off) & w->mask);
		bits = w->occ[i / 64] >> (i % 64);
		if (bits != 0) {
			off += (uint32_t)__builtin_ctzll(bits);
			if (off >= nslots)
				break;
			return (w->cur + 1 + off) * w->res;
		}
		step = 64 - i % 64;		/* to the next word */
		if (step > nslots - i)
			step = nslots - i;	/* or the wrap */
		off += step;
	}
	return (w->cur + nslots) * w->res;
}

size_t
whl_count(const struct whl *w)
{
	return w->n;
}

uint64_t
whl_visits(const struct whl *w)
{
	return w->visits;
}
