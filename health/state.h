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

enum hsm_state {
	HSM_WITHDRAWN = 0,
	HSM_ANNOUNCED,
	HSM_DRAINING,	/* announced with drain attributes, withdrawal due */
	HSM_DRAINED,	/* withdrawn until the drain is lifted */
	HSM_STOPPED,
};

enum hsm_event {
	HSM_EV_CHECK_OK,	/* one polled round: every check passed */
	HSM_EV_CHECK_FAIL,	/* one polled round: a check failed */
	HSM_EV_LOST,		/* event-driven failure: withdraw now */
	HSM_EV_TIMER,		/* time passed (hold-down or drain-wait end) */
	HSM_EV_DRAIN,
	HSM_EV_UNDRAIN,
	HSM_EV_STOP,
};

/* Actions for the caller, as bits. */
#define HSM_ACT_ANNOUNCE	0x01u	/* put the address up (normal attrs) */
#define HSM_ACT_WITHDRAW	0x02u	/* take the address off */
#define HSM_ACT_DRAIN_ATTRS	0x04u	/* graceful-shutdown / drain metric */
#define HSM_ACT_NORMAL_ATTRS	0x08u	/* back to the normal attributes */

struct hsm_params {
	uint32_t	 rise, fall;
	uint64_t	 holddown_ms;		/* base */
	uint64_t	 holddown_max_ms;
	uint64_t	 decay_ms;		/* halve per quiet period */
	uint64_t	 drain_wait_ms;
};

struct hsm_sm {
	enum hsm_state	 state;
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

void		 hsm_init(struct hsm_sm *sm, const struct hsm_params *p,
		    uint64_t now);
/* Feed one event; returns HSM_ACT_* bits for the caller to carry out. */
unsigned int	 hsm_step(struct hsm_sm *sm, const struct hsm_params *p,
		    enum hsm_event ev, uint64_t now);
/* When the machine next wants HSM_EV_TIMER, or 0 if it does not. */
uint64_t	 hsm_next_deadline(const struct hsm_sm *sm,
		    const struct hsm_params *p, uint64_t now);
/* The hold-down that applies now (after decay). */
uint64_t	 hsm_holddown(const struct hsm_sm *sm,
		    const struct hsm_params *p, uint64_t now);
const char	*hsm_state_name(enum hsm_state s);

#endif
