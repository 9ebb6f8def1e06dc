/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd's checks, each running in the event loop.  The ASAP probe
 * (lib/asap_probe.c) opens one TCP connection to the registrar on the
 * anycast address, sends HANDLE_RESOLUTION for a pool handle and succeeds
 * when any HANDLE_RESOLUTION_RESPONSE arrives within the timeout (an
 * "unknown pool" or empty answer still proves the registrar serves); over
 * TLS when the service's probe says "tls" (its files read for every probe,
 * so a new key or CA applies from the next one).  The control watcher keeps
 * one connection to the registrar's control socket, asks "show summary"
 * every poll interval (also keeping the socket from idling out) and reports
 * the moment the connection breaks: registrard dying closes it at once,
 * which is the fastest failure signal healthd has.
 */
#ifndef ANYPOOL_HEALTH_CHECK_H
#define ANYPOOL_HEALTH_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "event.h"
#include "health/hconf.h"

struct hk_probe;

/* ok, with the round-trip time, or not ok with why. */
typedef void (*hk_probe_cb)(void *arg, bool ok, uint64_t rtt_ms,
    const char *why);

/*
 * Start one probe; the callback runs exactly once (never from inside this
 * call), after which the probe frees itself.  hk_probe_cancel() stops it
 * without a callback.  0 or -errno.
 */
int	hk_probe_start(struct ev_loop *loop, const struct sockaddr_storage *ss,
	    socklen_t sslen, const char *pool, uint32_t timeout_ms,
	    hk_probe_cb cb, void *arg, struct hk_probe **ret);
/*
 * The same for service c's probe (address, pool, timeout and TLS).  A TLS
 * context that cannot be made (a key file others can read...) fails the
 * start with -errno after a rate-limited warning saying why.
 */
int	hk_probe_start_svc(struct ev_loop *loop, const struct hc_service *c,
	    hk_probe_cb cb, void *arg, struct hk_probe **ret);
void	hk_probe_cancel(struct hk_probe *p);	/* NULL-safe */

enum hk_ctl_event {
	HK_CTL_UP,		/* connected and answered */
	HK_CTL_LOST,		/* the connection broke (or never answered) */
	HK_CTL_SYNC,		/* the synchronized flag changed */
};

struct hk_ctl;
typedef void (*hk_ctl_cb)(void *arg, enum hk_ctl_event ev);

int	hk_ctl_new(struct ev_loop *loop, const char *path, uint32_t poll_ms,
	    hk_ctl_cb cb, void *arg, struct hk_ctl **ret);
void	hk_ctl_free(struct hk_ctl *c);		/* NULL-safe */
bool	hk_ctl_up(const struct hk_ctl *c);	/* connected and answering */
/* The registrar's "synchronized" (true if it does not report one). */
bool	hk_ctl_synced(const struct hk_ctl *c);
uint64_t hk_ctl_losses(const struct hk_ctl *c);

#endif
