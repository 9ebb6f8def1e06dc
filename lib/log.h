/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Daemon logging in OpenBGPD's style: one process-wide destination (stderr
 * in the foreground, syslog otherwise), log_warn() adding strerror(errno),
 * log_debug() only when verbose, fatal() for daemons, plus a token-bucket
 * rate limiter for every message a remote peer can trigger.  Per-peer lines
 * carry the peer as a prefix by convention: log_warnx("peer %s: ...", name).
 * Library code calls log_debug() at most and never fatal().
 */
#ifndef ANYPOOL_LOG_H
#define ANYPOOL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

#define LOG_PRINTF(f, a)	__attribute__((format(printf, f, a)))

/*
 * foreground != 0: lines go to stderr; otherwise to syslog (LOG_DAEMON) as
 * progname.  verbose > 0 enables log_debug().  Until log_init() is called,
 * lines go to stderr and debug is off.
 */
void	log_init(const char *progname, int foreground, int verbose);
void	log_setverbose(int verbose);
int	log_getverbose(void);

/*
 * Send every formatted line to sink instead (tests capture output with it);
 * pri is a syslog priority.  NULL restores the log_init() destination.
 */
void	log_set_sink(void (*sink)(int pri, const char *line, void *arg),
	    void *arg);

void	vlog(int pri, const char *fmt, va_list ap) LOG_PRINTF(2, 0);
void	log_warn(const char *fmt, ...) LOG_PRINTF(1, 2); /* + ": strerror" */
void	log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void	log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
/* Log at LOG_CRIT and exit(1); only daemons call these. */
noreturn void fatal(const char *fmt, ...) LOG_PRINTF(1, 2); /* + strerror */
noreturn void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2);

/*
 * Token bucket: up to burst lines at once, refilled by one line every
 * interval_ms.  Lines over the limit are counted, and the next line that
 * passes ends with " (N similar messages suppressed)".  Use one per message
 * kind (or per peer and kind); initialise with LOG_RATELIMIT_INIT.  The
 * clock is passed in (ms, e.g. ev_now()) so it is testable without sleeping.
 */
struct log_ratelimit {
	uint32_t	 burst;
	uint32_t	 interval_ms;
	uint32_t	 tokens;
	uint32_t	 suppressed;
	uint64_t	 last_ms;	/* time of the last refill */
	bool		 primed;	/* bucket filled on first use */
};

#define LOG_RATELIMIT_INIT(b, ivl) \
	{ .burst = (b), .interval_ms = (ivl) }

/*
 * The limiter alone: true if a line may be logged at now_ms.  When it is,
 * *ret_suppressed (if not NULL) gets the number of lines dropped since the
 * last one that passed, and the count restarts.
 */
bool	log_rl_allow(struct log_ratelimit *rl, uint64_t now_ms,
	    uint32_t *ret_suppressed);

void	log_rl_warnx(struct log_ratelimit *rl, uint64_t now_ms,
	    const char *fmt, ...) LOG_PRINTF(3, 4);
void	log_rl_info(struct log_ratelimit *rl, uint64_t now_ms,
	    const char *fmt, ...) LOG_PRINTF(3, 4);
void	log_rl_debug(struct log_ratelimit *rl, uint64_t now_ms,
	    const char *fmt, ...) LOG_PRINTF(3, 4);

/*
 * log_rl_info() whose arguments are evaluated only when the line passes
 * the limiter: for lines on a hot path whose arguments cost something to
 * format (a PE's name on every registration), so that a dropped line costs
 * only the limiter's check.  Suppressed lines are counted alike.
 */
#define LOG_RL_INFO(rl, now_ms, ...) do {				\
	uint32_t log_sup_;						\
									\
	if (log_rl_allow((rl), (now_ms), &log_sup_))			\
		log_rl_info_passed(log_sup_, __VA_ARGS__);		\
} while (0)
/* The line that passed log_rl_allow() (with the suppressed count). */
void	log_rl_info_passed(uint32_t suppressed, const char *fmt, ...)
	    LOG_PRINTF(2, 3);

#endif /* ANYPOOL_LOG_H */
