/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd's per-service state machine (see state.h for the rules).  Kept
 * free of I/O and of the clock: the daemon (healthd.c) passes ev_now() in
 * and carries out the returned actions through routing/.
 */
#include <string.h>

#include "state.h"

const char *
hsm_state_name(enum hsm_state s)
{
	switch (s) {
	case HSM_WITHDRAWN:	return "withdrawn";
	case HSM_ANNOUNCED:	return "announced";
	case HSM_DRAINING:	return "draining";
	case HSM_DRAINED:	return "drained";
	case HSM_STOPPED:	return "stopped";
	}
	return "?";
}

void
hsm_init(struct hsm_sm *sm, const struct hsm_params *p, uint64_t now)
{
	memset(sm, 0, sizeof(*sm));
	sm->state = HSM_WITHDRAWN;
	sm->holddown_ms = p->holddown_ms;
	sm->decay_ref = now;
	sm->since = now;
}

uint64_t
hsm_holddown(const struct hsm_sm *sm, const struct hsm_params *p, uint64_t now)
{
	uint64_t h = sm->holddown_ms, periods;

	/* Only a route that stays up counts as stability. */
	if (sm->state != HSM_ANNOUNCED || p->decay_ms == 0 ||
	    now <= sm->decay_ref)
		return h;
	for (periods = (now - sm->decay_ref) / p->decay_ms;
	    periods > 0 && h > p->holddown_ms; periods--)
		h /= 2;
	return h < p->holddown_ms ? p->holddown_ms : h;
}

static void
set_state(struct hsm_sm *sm, enum hsm_state s, uint64_t now)
{
	if (sm->state == s)
		return;
	sm->state = s;
	sm->since = now;
	sm->transitions++;
}

/* A withdrawal because the registrar failed: grow the hold-down. */
static unsigned int
fail_withdraw(struct hsm_sm *sm, const struct hsm_params *p, uint64_t now)
{
	uint64_t h = hsm_holddown(sm, p, now);

	/* Up for less than a decay period since the last flap: a flap. */
	if (sm->flapped && now - sm->decay_ref < p->decay_ms) {
		h *= 2;
		if (h > p->holddown_max_ms)
			h = p->holddown_max_ms;
	}
	sm->holddown_ms = h;
	sm->last_flap = now;
	sm->flapped = true;
	sm->hold = true;
	sm->flaps++;
	sm->withdrawals++;
	set_state(sm, HSM_WITHDRAWN, now);
	return HSM_ACT_WITHDRAW;
}

static bool
may_announce(const struct hsm_sm *sm, const struct hsm_params *p, uint64_t now)
{
	if (sm->drain || sm->ok_count < p->rise)
		return false;
	return !sm->hold || now >= sm->good_since + hsm_holddown(sm, p, now);
}

static unsigned int
try_announce(struct hsm_sm *sm, const struct hsm_params *p, uint64_t now)
{
	if (sm->state != HSM_WITHDRAWN || !may_announce(sm, p, now))
		return 0;
	sm->hold = false;
	sm->announces++;
	sm->decay_ref = now;
	set_state(sm, HSM_ANNOUNCED, now);
	return HSM_ACT_ANNOUNCE;
}

static unsigned int
drained(struct hsm_sm *sm, uint64_t now)
{
	sm->withdrawals++;
	set_state(sm, HSM_DRAINED, now);
	return HSM_ACT_WITHDRAW;
}

unsigned int
hsm_step(struct hsm_sm *sm, const struct hsm_params *p, enum hsm_event ev,
    uint64_t now)
{
	if (sm->state == HSM_STOPPED)
		return 0;
	switch (ev) {
	case HSM_EV_CHECK_OK:
		sm->fail_count = 0;
		if (sm->ok_count < UINT32_MAX)
			sm->ok_count++;
		if (sm->ok_count == p->rise)
			sm->good_since = now;
		return try_announce(sm, p, now);
	case HSM_EV_CHECK_FAIL:
	case HSM_EV_LOST:
		sm->ok_count = 0;
		if (sm->fail_count < UINT32_MAX)
			sm->fail_count++;
		if (ev == HSM_EV_CHECK_FAIL && sm->fail_count < p->fall)
			return 0;
		if (sm->state == HSM_ANNOUNCED)
			return fail_withdraw(sm, p, now);
		if (sm->state == HSM_DRAINING)
			return drained(sm, now);
		return 0;
	case HSM_EV_TIMER:
		if (sm->state == HSM_DRAINING && now >= sm->drain_until)
			return drained(sm, now);
		return try_announce(sm, p, now);
	case HSM_EV_DRAIN:
		sm->drain = true;
		if (sm->state == HSM_ANNOUNCED) {
			sm->drain_until = now + p->drain_wait_ms;
			set_state(sm, HSM_DRAINING, now);
			if (p->drain_wait_ms == 0)
				return HSM_ACT_DRAIN_ATTRS | drained(sm, now);
			return HSM_ACT_DRAIN_ATTRS;
		}
		if (sm->state == HSM_WITHDRAWN)
			set_state(sm, HSM_DRAINED, now);
		return 0;
	case HSM_EV_UNDRAIN:
		if (!sm->drain)
			return 0;
		sm->drain = false;
		if (sm->state == HSM_DRAINING) {
			set_state(sm, HSM_ANNOUNCED, now);
			return HSM_ACT_NORMAL_ATTRS;
		}
		if (sm->state == HSM_DRAINED) {
			set_state(sm, HSM_WITHDRAWN, now);
			/* Healthy all along: a drain is no flap. */
			return HSM_ACT_NORMAL_ATTRS | try_announce(sm, p, now);
		}
		return 0;
	case HSM_EV_STOP:
		if (sm->state == HSM_ANNOUNCED || sm->state == HSM_DRAINING) {
			sm->withdrawals++;
			set_state(sm, HSM_STOPPED, now);
			return HSM_ACT_WITHDRAW;
		}
		set_state(sm, HSM_STOPPED, now);
		return 0;
	}
	return 0;
}

uint64_t
hsm_next_deadline(const struct hsm_sm *sm, const struct hsm_params *p,
    uint64_t now)
{
	if (sm->state == HSM_DRAINING)
		return sm->drain_until;
	if (sm->state == HSM_WITHDRAWN && !sm->drain && sm->hold &&
	    sm->ok_count >= p->rise)
		return sm->good_since + hsm_holddown(sm, p, now);
	return 0;
}
