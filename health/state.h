/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-service announcement state machine of healthd, as a pure function
 * of (state, event, now) -> (state, actions): no sockets, no clock, so unit
 * tests drive it directly.  A service starts withdrawn.  It is announced
 * once the checks have passed `rise` times in a row and, after a failure,
 * have stayed good for the current hold-down; it is withdrawn after `fall`
 * failed polls in a row, or at once on an event-driven loss (the
 * registrar's control connection closed).  Every failure withdrawal of a route
 * that was up for less than the decay period since the previous one doubles
 * the hold-down (up to its maximum); each decay period the route stays up
 * halves it again, down to the base, so a flapping registrar cannot make the route flap faster than
 * the hold-down allows.  Draining keeps the route up with drain attributes
 * for drain-wait, then withdraws until the drain is lifted; stop withdraws.
 */
#ifndef ANYPOOL_HEALTH_STATE_H
#define ANYPOOL_HEALTH_STATE_H

#include <stdbool.h>
#include <stdint.h>

enum hs_state {
	HS_WITHDRAWN = 0,
	HS_ANNOUNCED,
	HS_DRAINING,	/* announced with drain attributes, withdrawal due */
	HS_DRAINED,	/* withdrawn until the drain is lifted */
	HS_STOPPED,
};

enum hs_event {
	HS_EV_CHECK_OK,		/* one polled round: every check passed */
	HS_EV_CHECK_FAIL,	/* one polled round: a check failed */
	HS_EV_LOST,		/* event-driven failure: withdraw now */
	HS_EV_TIMER,		/* time passed (hold-down or drain-wait end) */
	HS_EV_DRAIN,
	HS_EV_UNDRAIN,
	HS_EV_STOP,
};

/* Actions for the caller, as bits. */
#define HS_ACT_ANNOUNCE		0x01u	/* put the address up (normal attrs) */
#define HS_ACT_WITHDRAW		0x02u	/* take the address off */
#define HS_ACT_DRAIN_ATTRS	0x04u	/* graceful-shutdown / drain metric */
#define HS_ACT_NORMAL_ATTRS	0x08u	/* back to the normal attributes */

struct hs_params {
	uint32_t	 rise, fall;
	uint64_t	 holddown_ms;		/* base */
	uint64_t	 holddown_max_ms;
	uint64_t	 decay_ms;		/* halve per quiet period */
	uint64_t	 drain_wait_ms;
};

struct hs_sm {
	enum hs_state	 state;
	uint32_t	 ok_count, fail_count;
	uint64_t	 good_since;	/* when ok_count reached rise (valid if so) */
	bool		 hold;		/* a hold-down applies to the next announce */
	uint64_t	 holddown_ms;	/* current, before decay */
	uint64_t	 last_flap;	/* time of the last failure withdrawal */
	bool		 flapped;	/* last_flap is valid */
	uint64_t	 decay_ref;	/* last announce: decay counted from here */
	uint64_t	 drain_until;
	bool		 drain;		/* drain requested */
	uint64_t	 since;		/* time of the last state change */
	uint64_t	 transitions, announces, withdrawals, flaps;
};

void		 hs_init(struct hs_sm *sm, const struct hs_params *p,
		    uint64_t now);
/* Feed one event; returns HS_ACT_* bits for the caller to carry out. */
unsigned int	 hs_step(struct hs_sm *sm, const struct hs_params *p,
		    enum hs_event ev, uint64_t now);
/* When the machine next wants HS_EV_TIMER, or 0 if it does not. */
uint64_t	 hs_next_deadline(const struct hs_sm *sm,
		    const struct hs_params *p, uint64_t now);
/* The hold-down that applies now (after decay). */
uint64_t	 hs_holddown(const struct hs_sm *sm, const struct hs_params *p,
		    uint64_t now);
const char	*hs_state_name(enum hs_state s);

#endif
