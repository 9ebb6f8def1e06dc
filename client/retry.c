/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Resolution deadline arithmetic (see retry.h): RFC 6298's round-trip
 * estimator, the per-try timeout and the hunt back-off while a deadline
 * runs.  No clock, no I/O: ctx.c and pu.c feed it times.
 */
#include "retry.h"

void
retry_rtt_sample(struct retry_rtt *r, uint32_t ms)
{
	uint32_t srtt, err;

	if (ms > 60000)
		ms = 60000;	/* a stalled try says nothing of the path */
	if (!r->valid) {
		/* RFC 6298 §2.2: SRTT = R, RTTVAR = R/2. */
		r->valid = true;
		r->srtt8 = ms * 8;
		r->rttvar4 = ms * 2;
		return;
	}
	/* §2.3, alpha 1/8, beta 1/4, in the scaled form TCP uses. */
	srtt = r->srtt8 / 8;
	err = ms > srtt ? ms - srtt : srtt - ms;
	r->rttvar4 = r->rttvar4 - r->rttvar4 / 4 + err;
	r->srtt8 = r->srtt8 - r->srtt8 / 8 + ms;
}

uint32_t
retry_srtt_ms(const struct retry_rtt *r)
{
	return r->valid ? (r->srtt8 + 4) / 8 : 0;
}

uint32_t
retry_try_ms(const struct retry_rtt *r, const struct retry_params *p,
    uint64_t remaining_ms)
{
	uint64_t t, srtt, rto, cap;

	if (r->valid) {
		srtt = (r->srtt8 + 7) / 8;
		rto = srtt + r->rttvar4;	/* SRTT + 4 x RTTVAR */
		t = RETRY_RTT_FACTOR * srtt;
		if (rto > t)
			t = rto;
	} else {
		t = p->try_max_ms;
	}
	cap = p->try_max_ms;
	if (p->deadline_ms > 0 && p->deadline_ms / 2 < cap)
		cap = p->deadline_ms / 2;
	if (cap < p->try_min_ms)
		cap = p->try_min_ms;
	if (t > cap)
		t = cap;
	if (t < p->try_min_ms)
		t = p->try_min_ms;
	if (t > remaining_ms)
		t = remaining_ms;
	return t == 0 ? 1 : (uint32_t)t;
}

uint32_t
retry_backoff_ms(uint32_t prev)
{
	if (prev == 0)
		return RETRY_BACKOFF_FIRST_MS;
	return prev >= RETRY_BACKOFF_MAX_MS / 2 ? RETRY_BACKOFF_MAX_MS :
	    prev * 2;
}
