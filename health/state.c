/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd's per-service state machine (see state.h for the rules).  Kept
 * free of I/O and of the clock: the daemon (healthd.c) passes ev_now() in
 * and carries out the returned actions through routing/.
 */
#include <string.h>

#include "state.h"

const char *
hs_state_name(enum hs_state s)
{
	switch (s) {
	case HS_WITHDRAWN:	return "withdrawn";
	case HS_ANNOUNCED:	return "announced";
	case HS_DRAINING:	return "draining";
	case HS_DRAINED:	return "drained";
	case HS_STOPPED:	return "stopped";
	}
	return "?";
}

void
hs_init(struct hs_sm *sm, const struct hs_params *p, uint64_t now)
{
	memset(sm, 0, sizeof(*sm));
	sm->state = HS_WITHDRAWN;
	sm->holddown_ms = p->holddown_ms;
	sm->decay_ref = now;
	sm->since = now;
}

uint64_t
hs_holddown(const struct hs_sm *sm, const struct hs_params *p, uint64_t now)
{
	uint64_t h = sm->holddown_ms, periods;

	/* Only a route that stays up counts as stability. */
	if (sm->state != HS_ANNOUNCED || p->decay_ms == 0 ||
	    now <= sm->decay_ref)
		return h;
	for (periods = (now - sm->decay_ref) / p->decay_ms;
	    periods > 0 && h > p->holddown_ms; periods--)
		h /= 2;
	return h < p->holddown_ms ? p->holddown_ms : h;
}

static void
set_state(struct hs_sm *sm, enum hs_state s, uint64_t now)
{
	if (sm->state == s)
		return;
	sm->state = s;
	sm->since = now;
	sm->transitions++;
}

/* A withdrawal because the registrar failed: grow the hold-down. */
static unsigned int
fail_withdraw(struct hs_sm *sm, const struct hs_params *p, uint64_t now)
{
	uint64_t h = hs_holddown(sm, p, now);

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
	set_state(sm, HS_WITHDRAWN, now);
	return HS_ACT_WITHDRAW;
}

static bool
may_announce(const struct hs_sm *sm, const struct hs_params *p, uint64_t now)
{
	if (sm->drain || sm->ok_count < p->rise)
		return false;
	return !sm->hold || now >= sm->good_since + hs_holddown(sm, p, now);
}

static unsigned int
try_announce(struct hs_sm *sm, const struct hs_params *p, uint64_t now)
{
	if (sm->state != HS_WITHDRAWN || !may_announce(sm, p, now))
		return 0;
	sm->hold = false;
	sm->announces++;
	sm->decay_ref = now;
	set_state(sm, HS_ANNOUNCED, now);
	return HS_ACT_ANNOUNCE;
}

static unsigned int
drained(struct hs_sm *sm, uint64_t now)
{
	sm->withdrawals++;
	set_state(sm, HS_DRAINED, now);
	return HS_ACT_WITHDRAW;
}

unsigned int
hs_step(struct hs_sm *sm, const struct hs_params *p, enum hs_event ev,
    uint64_t now)
{
	if (sm->state == HS_STOPPED)
		return 0;
	switch (ev) {
	case HS_EV_CHECK_OK:
		sm->fail_count = 0;
		if (sm->ok_count < UINT32_MAX)
			sm->ok_count++;
		if (sm->ok_count == p->rise)
			sm->good_since = now;
		return try_announce(sm, p, now);
	case HS_EV_CHECK_FAIL:
	case HS_EV_LOST:
		sm->ok_count = 0;
		if (sm->fail_count < UINT32_MAX)
			sm->fail_count++;
		if (ev == HS_EV_CHECK_FAIL && sm->fail_count < p->fall)
			return 0;
		if (sm->state == HS_ANNOUNCED)
			return fail_withdraw(sm, p, now);
		if (sm->state == HS_DRAINING)
			return drained(sm, now);
		return 0;
	case HS_EV_TIMER:
		if (sm->state == HS_DRAINING && now >= sm->drain_until)
			return drained(sm, now);
		return try_announce(sm, p, now);
	case HS_EV_DRAIN:
		sm->drain = true;
		if (sm->state == HS_ANNOUNCED) {
			sm->drain_until = now + p->drain_wait_ms;
			set_state(sm, HS_DRAINING, now);
			if (p->drain_wait_ms == 0)
				return HS_ACT_DRAIN_ATTRS | drained(sm, now);
			return HS_ACT_DRAIN_ATTRS;
		}
		if (sm->state == HS_WITHDRAWN)
			set_state(sm, HS_DRAINED, now);
		return 0;
	case HS_EV_UNDRAIN:
		if (!sm->drain)
			return 0;
		sm->drain = false;
		if (sm->state == HS_DRAINING) {
			set_state(sm, HS_ANNOUNCED, now);
			return HS_ACT_NORMAL_ATTRS;
		}
		if (sm->state == HS_DRAINED) {
			set_state(sm, HS_WITHDRAWN, now);
			/* Healthy all along: a drain is no flap. */
			return HS_ACT_NORMAL_ATTRS | try_announce(sm, p, now);
		}
		return 0;
	case HS_EV_STOP:
		if (sm->state == HS_ANNOUNCED || sm->state == HS_DRAINING) {
			sm->withdrawals++;
			set_state(sm, HS_STOPPED, now);
			return HS_ACT_WITHDRAW;
		}
		set_state(sm, HS_STOPPED, now);
		return 0;
	}
	return 0;
}

uint64_t
hs_next_deadline(const struct hs_sm *sm, const struct hs_params *p,
    uint64_t now)
{
	if (sm->state == HS_DRAINING)
		return sm->drain_until;
	if (sm->state == HS_WITHDRAWN && !sm->drain && sm->hold &&
	    sm->ok_count >= p->rise)
		return sm->good_since + hs_holddown(sm, p, now);
	return 0;
}
