/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hashed timing wheel (see wheel.h): a power-of-two array of FIFO
 * slots indexed by due tick; an entry stays in its slot until a pass at
 * or after its tick takes it out.  The pass walks a slot with a cursor
 * that whl_cancel()/whl_add() move on when they unlink the entry under it,
 * so callbacks may cancel or re-add any entry, the next one included.
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
	for (i = 0; i < nslots; i++)
		TAILQ_INIT(&w->slots[i]);
	w->mask = nslots - 1;
	w->res = res_ms;
	w->cur = now / res_ms;
	w->n = 0;
	w->cursor = NULL;
	w->running = false;
	w->cb = cb;
	w->arg = arg;
	return 0;
}

void
whl_free(struct whl *w)
{
	struct whl_entry *e;
	uint32_t i;

	for (i = 0; w->slots != NULL && i <= w->mask; i++)
		while ((e = TAILQ_FIRST(&w->slots[i])) != NULL) {
			TAILQ_REMOVE(&w->slots[i], e, link);
			e->link.tqe_prev = NULL;
		}
	free(w->slots);
	w->slots = NULL;
	w->n = 0;
}

void
whl_entry_init(struct whl_entry *e)
{
	e->link.tqe_next = NULL;
	e->link.tqe_prev = NULL;
	e->tick = 0;
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
	if (w->cursor == e)
		w->cursor = TAILQ_NEXT(e, link);
	TAILQ_REMOVE(&w->slots[e->tick & w->mask], e, link);
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
	e->tick = tick;
	TAILQ_INSERT_TAIL(&w->slots[tick & w->mask], e, link);
	w->n++;
}

uint64_t
whl_remaining(const struct whl *w, const struct whl_entry *e, uint64_t now)
{
	uint64_t due;

	if (!whl_pending(e))
		return 0;
	due = e->tick * w->res;
	return due > now ? due - now : 0;
}

/* Fire the entries of slot due by tick w->cur. */
static size_t
whl_pass(struct whl *w, struct whl_slot *s)
{
	struct whl_entry *e;
	size_t n = 0;

	for (e = TAILQ_FIRST(s); e != NULL; e = w->cursor) {
		w->cursor = TAILQ_NEXT(e, link);
		if (e->tick > w->cur)
			continue;	/* a later rotation's */
		TAILQ_REMOVE(s, e, link);
		e->link.tqe_prev = NULL;
		w->n--;
		n++;
		w->cb(w, e, w->arg);
	}
	w->cursor = NULL;
	return n;
}

size_t
whl_advance(struct whl *w, uint64_t now)
{
	uint64_t to = now / w->res, t, last;
	size_t n = 0;

	if (to <= w->cur || w->running)
		return 0;
	w->running = true;
	if (to - w->cur > w->mask) {
		/* Jumped past a whole rotation: every slot once. */
		last = w->cur + w->mask + 1;
		for (t = w->cur + 1; t <= last; t++) {
			w->cur = to;
			n += whl_pass(w, &w->slots[t & w->mask]);
		}
	} else {
		for (t = w->cur + 1; t <= to; t++) {
			w->cur = t;
			if (w->n == 0) {
				w->cur = to;	/* nothing left to look at */
				break;
			}
			n += whl_pass(w, &w->slots[t & w->mask]);
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

size_t
whl_count(const struct whl *w)
{
	return w->n;
}
