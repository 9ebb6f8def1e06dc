/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A hashed timing wheel (prefix whl_): many one-shot timers of the same
 * kind at a fixed resolution, for the registrar's per-PE keep-alives.
 * Adding and cancelling are O(1); advancing costs the slots passed plus
 * the entries in them, so it does not grow with the number of timers that
 * are not due.  A pure data structure: the caller owns the entries
 * (embedded in its own objects), passes the time to whl_advance() and
 * decides when to call it (one event-loop timer, set for whl_next_due()).
 *
 * An entry added for `when' fires at the first whl_advance(now) with
 * now >= when rounded up to the resolution: never early, at most one
 * resolution late (plus however late the caller advances).  Entries due
 * in the same tick fire in the order they were added; ticks fire in
 * order.  An entry added from a callback (or for a time already passed)
 * fires at the next tick at the earliest, never in the advance that added
 * it at the same tick.
 *
 * Timeouts longer than a rotation (slots x resolution) wait in a second,
 * coarser wheel of as many slots, one rotation each, and move into the
 * first one rotation before theirs: an entry is looked at about twice
 * however long its timeout (a keep-alive interval of an hour at 10 ms
 * ticks would otherwise be skipped by 350 passes).  Only timeouts longer
 * than slots^2 ticks are looked at once more per slots^2 ticks.  An
 * advance late by up to slots^2 ticks walks the ticks in order (an empty
 * slot costs a few instructions); after a clock jump longer than that,
 * one pass over every slot fires all entries due, in slot order.
 */
#ifndef ANYPOOL_WHEEL_H
#define ANYPOOL_WHEEL_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* One timer, embedded in its owner; zero it (or whl_entry_init) first. */
struct whl_entry {
	TAILQ_ENTRY(whl_entry)	 link;		/* tqe_prev NULL: not pending */
	uint64_t		 tick;		/* due at tick * resolution;
						 * WHL_FAR: in the second wheel */
};
TAILQ_HEAD(whl_slot, whl_entry);
#define WHL_FAR		(1ULL << 63)

struct whl;
/* Called once per due entry, already unlinked: it may re-add it, add or
 * cancel any other, or free its owner; whl_advance() from it does nothing. */
typedef void (*whl_cb)(struct whl *w, struct whl_entry *e, void *arg);

struct whl {
	struct whl_slot		*slots;		/* a tick each */
	struct whl_slot		*far;		/* a rotation each */
	uint64_t		*occ;		/* a bit per non-empty slot */
	uint32_t		 mask;		/* nslots - 1 */
	uint32_t		 shift;		/* log2(nslots) */
	uint32_t		 res;		/* ms per tick */
	uint64_t		 cur;		/* last tick processed */
	size_t			 n;		/* pending entries */
	struct whl_entry	*cursor;	/* next entry the pass looks at */
	bool			 running;	/* inside whl_advance() */
	uint64_t		 visits;	/* entries looked at, all passes */
	whl_cb			 cb;
	void			*arg;
};

/*
 * res_ms > 0; nslots a power of two; now: the clock's current time (ms).
 * 0, or -EINVAL / -ENOMEM.
 */
int	whl_init(struct whl *w, uint32_t res_ms, uint32_t nslots, uint64_t now,
	    whl_cb cb, void *arg);
/* Free the slots; pending entries are left not pending.  O(slots + n). */
void	whl_free(struct whl *w);
void	whl_entry_init(struct whl_entry *e);
/* Fire e at `when' (ms on the caller's clock); re-adds a pending e. O(1). */
void	whl_add(struct whl *w, struct whl_entry *e, uint64_t when);
/* Stop e; a no-op if it is not pending.  O(1). */
void	whl_cancel(struct whl *w, struct whl_entry *e);
bool	whl_pending(const struct whl_entry *e);
/* Milliseconds from now until e fires; 0 if due or not pending. */
uint64_t whl_remaining(const struct whl *w, const struct whl_entry *e,
	    uint64_t now);
/* Run the callbacks of every entry due at now.  Returns how many ran
 * (0 when called from a callback). */
size_t	whl_advance(struct whl *w, uint64_t now);
/* When the next tick is (ms). */
uint64_t whl_next_tick(const struct whl *w);
/*
 * When to call whl_advance() next (ms): no later than the first entry is
 * due, perhaps earlier (at most once per occupied slot and rotation, and
 * once a rotation while entries wait that long); UINT64_MAX when none is
 * pending.  So a wheel of few or distant timers wakes its caller rarely.
 * O(slots / 64) at worst.
 */
uint64_t whl_next_due(const struct whl *w);
/* Pending entries. */
size_t	whl_count(const struct whl *w);
/* Entries looked at by all advances so far (fired, moved or skipped):
 * the work of keeping the timers, for tests and statistics. */
uint64_t whl_visits(const struct whl *w);

#endif /* ANYPOOL_WHEEL_H */
