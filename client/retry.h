/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Timing of resolutions with a caller-set deadline (libasap 0.4), as pure
 * functions of their inputs so that tests drive them without a clock: the
 * smoothed round-trip time of the registrar association (RFC 6298's
 * estimator, in milliseconds), the per-try timeout derived from it and
 * the deadline, and the short back-off of a server hunt that a deadline is
 * waiting for.
 */
#ifndef ASAP_RETRY_H
#define ASAP_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#define RETRY_TRY_MIN_MS	100	/* per-try timeout floor (default) */
#define RETRY_TRY_MAX_MS	1000	/* per-try timeout ceiling (default) */
#define RETRY_RTT_FACTOR	3	/* per-try >= this many smoothed RTTs */
#define RETRY_BACKOFF_FIRST_MS	10	/* hunt back-off under a deadline */
#define RETRY_BACKOFF_MAX_MS	50

/* RFC 6298 §2 state, scaled as TCP keeps it: srtt x8, rttvar x4 (ms). */
struct retry_rtt {
	bool		 valid;
	uint32_t	 srtt8;
	uint32_t	 rttvar4;
};

struct retry_params {
	uint32_t	 deadline_ms;	/* 0: no deadline (RFC 5352 timers) */
	uint32_t	 try_min_ms;
	uint32_t	 try_max_ms;
};

/* Feed one round-trip sample (ms; Karn: never of a retransmitted try). */
void		 retry_rtt_sample(struct retry_rtt *r, uint32_t sample_ms);
/* The smoothed RTT in ms (0 if no sample yet). */
uint32_t	 retry_srtt_ms(const struct retry_rtt *r);
/*
 * How long one try (a request on one connection, or one connection
 * attempt) may go unanswered before the next try starts on a new
 * connection: max(RETRY_RTT_FACTOR x SRTT, SRTT + 4 x RTTVAR), or
 * try_max_ms before any sample; at least try_min_ms; at most try_max_ms
 * and half the deadline (so that a second try fits), and never beyond
 * remaining_ms, the time left until the earliest deadline (>= 1).
 */
uint32_t	 retry_try_ms(const struct retry_rtt *r,
		    const struct retry_params *p, uint64_t remaining_ms);
/* The next hunt back-off after prev_ms (0: the first one). */
uint32_t	 retry_backoff_ms(uint32_t prev_ms);

#endif /* ASAP_RETRY_H */
