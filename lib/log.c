/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Process-wide logging (see log.h): where lines go (stderr, syslog or a test
 * sink), the verbosity switch, the errno-appending variants, fatal(), and the
 * token-bucket rate limiter for peer-triggered messages.  This is the one
 * place in lib/ with global state: the destination is a property of the
 * process, as in OpenBGPD's log.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

/* Longer lines are truncated; syslog would cut them anyway. */
#define LOG_LINE_MAX	1024

static int	  log_foreground = 1;
static int	  log_verbose;
static void	(*log_sink)(int, const char *, void *);
static void	 *log_sink_arg;

void
log_init(const char *progname, int foreground, int verbose)
{
	log_foreground = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	/* syslog() formats times in the local zone; load it before chroot. */
	tzset();
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
log_set_sink(void (*sink)(int pri, const char *line, void *arg), void *arg)
{
	log_sink = sink;
	log_sink_arg = sink != NULL ? arg : NULL;
}

static void LOG_PRINTF(4, 5)
line_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*len >= size - 1)
		return;
	va_start(ap, fmt);
	r = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	*len += (size_t)r < size - *len ? (size_t)r : size - *len - 1;
}

static void
log_output(int pri, const char *line)
{
	if (log_sink != NULL)
		log_sink(pri, line, log_sink_arg);
	else if (log_foreground) {
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
	} else
		syslog(pri, "%s", line);
}

/*
 * Format one line as prefix + message, add ": strerror(err)" if err != 0 and
 * the suppression count if any, and send it to the destination.  errno is
 * preserved so callers can log and then still look at it.
 */
static void LOG_PRINTF(5, 0)
log_emitv(int pri, const char *prefix, int err, uint32_t suppressed,
    const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX];
	size_t len = 0;
	int saved = errno;
	int r;

	buf[0] = '\0';
	line_append(buf, sizeof(buf), &len, "%s", prefix);
	r = vsnprintf(buf + len, sizeof(buf) - len, fmt, ap);
	if (r > 0)
		len += (size_t)r < sizeof(buf) - len ? (size_t)r :
		    sizeof(buf) - len - 1;
	if (err != 0)
		line_append(buf, sizeof(buf), &len, "%s%s",
		    len > 0 ? ": " : "", strerror(err));
	if (suppressed > 0)
		line_append(buf, sizeof(buf), &len,
		    " (%u similar messages suppressed)", suppressed);
	log_output(pri, buf);
	errno = saved;
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	if (pri == LOG_DEBUG && log_verbose <= 0)
		return;
	log_emitv(pri, "", 0, 0, fmt, ap);
}

void
log_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emitv(LOG_ERR, "", err, 0, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emitv(LOG_CRIT, "fatal: ", err, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emitv(LOG_CRIT, "fatal: ", 0, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Rate limiting ---------------------------------------------------------- */

bool
log_rl_allow(struct log_ratelimit *rl, uint64_t now_ms,
    uint32_t *ret_suppressed)
{
	/* A burst of 0 would silence the message for good; allow one. */
	uint32_t cap = rl->burst > 0 ? rl->burst : 1;

	if (!rl->primed) {
		rl->tokens = cap;
		rl->last_ms = now_ms;
		rl->primed = true;
	} else if (rl->tokens > cap) {
		/* burst was lowered after use */
		rl->tokens = cap;
	}
	if (now_ms > rl->last_ms) {
		uint64_t add = rl->interval_ms > 0 ?
		    (now_ms - rl->last_ms) / rl->interval_ms : UINT64_MAX;

		if (add >= cap - rl->tokens) {
			rl->tokens = cap;
			rl->last_ms = now_ms;
		} else {
			/* Keep the partial interval toward the next token. */
			rl->tokens += (uint32_t)add;
			rl->last_ms += add * rl->interval_ms;
		}
	}
	if (rl->tokens == 0) {
		if (rl->suppressed < UINT32_MAX)
			rl->suppressed++;
		return false;
	}
	rl->tokens--;
	if (ret_suppressed != NULL)
		*ret_suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

static void LOG_PRINTF(4, 0)
log_rl_emitv(int pri, struct log_ratelimit *rl, uint64_t now_ms,
    const char *fmt, va_list ap)
{
	uint32_t suppressed;

	if (!log_rl_allow(rl, now_ms, &suppressed))
		return;
	log_emitv(pri, "", 0, suppressed, fmt, ap);
}

void
log_rl_info_passed(uint32_t suppressed, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emitv(LOG_INFO, "", 0, suppressed, fmt, ap);
	va_end(ap);
}

void
log_rl_warnx(struct log_ratelimit *rl, uint64_t now_ms, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_rl_emitv(LOG_ERR, rl, now_ms, fmt, ap);
	va_end(ap);
}

void
log_rl_info(struct log_ratelimit *rl, uint64_t now_ms, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_rl_emitv(LOG_INFO, rl, now_ms, fmt, ap);
	va_end(ap);
}

void
log_rl_debug(struct log_ratelimit *rl, uint64_t now_ms, const char *fmt, ...)
{
	va_list ap;

	/* Off means off: hidden lines neither use tokens nor count. */
	if (log_verbose <= 0)
		return;
	va_start(ap, fmt);
	log_rl_emitv(LOG_DEBUG, rl, now_ms, fmt, ap);
	va_end(ap);
}
