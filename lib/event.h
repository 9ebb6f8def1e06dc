/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The event loop every daemon runs (after Redis ae, BIRD io_loop and FRR's
 * event.c): fd watchers on epoll, one-shot timers on a binary min-heap keyed
 * by (deadline, sequence number) over CLOCK_MONOTONIC in milliseconds,
 * signals through one signalfd, and deferred calls that run before the loop
 * sleeps.  Every add takes a back-reference (FRR's rule): the caller owns a
 * struct ev_ref, the loop writes the event into it and clears it when the
 * event fires (timers, defers) or is cancelled, so ev_cancel(&ref) is always
 * safe.  The clock is injectable so unit tests advance time without sleeping.
 * No global state: everything lives in the loop.  Not thread-safe.
 */
#ifndef ANYPOOL_EVENT_H
#define ANYPOOL_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct ev;

/*
 * The caller's handle on one event.  Zero-initialise it; it is non-NULL
 * exactly while the event is pending.  Embed it in the object the event
 * belongs to and call ev_cancel() on it before freeing that object.
 */
struct ev_ref {
	struct ev	*ev;
};

/* Requested events (fd watchers) and reported events (revents). */
#define EV_READ		0x01u
#define EV_WRITE	0x02u
#define EV_ERROR	0x04u	/* reported only: EPOLLERR */
#define EV_HUP		0x08u	/* reported only: EPOLLHUP / EPOLLRDHUP */
#define EV_TIMER	0x10u	/* reported only */
#define EV_SIGNAL	0x20u	/* reported only */
#define EV_DEFER	0x40u	/* reported only */

/*
 * Callback for every kind of event.  revents says why it ran (EV_READ etc.
 * for fds, EV_TIMER, EV_SIGNAL or EV_DEFER).  For one-shot events the ref is
 * already NULL when the callback runs, so the callback may re-arm with the
 * same ref, cancel anything, or free the object that holds the ref.
 */
typedef void (*ev_cb)(struct ev_loop *loop, void *arg, unsigned int revents);

/* Loop life cycle ------------------------------------------------------- */

/* A new loop on CLOCK_MONOTONIC; NULL on failure with errno set. */
struct ev_loop	*ev_loop_new(void);
/*
 * Free the loop and every pending event, clearing their refs (so the objects
 * holding refs must still exist, or have cancelled first).  NULL-safe.  Not
 * from inside a callback.  Signals it blocked stay blocked: unblocking could
 * deliver a pending signal with its default action.
 */
void		 ev_loop_free(struct ev_loop *loop);

/*
 * Run iterations until ev_break() is called from a callback, or until no
 * event is pending (nothing could ever wake the loop).  0, or -errno if
 * epoll_wait fails.
 */
int		 ev_run(struct ev_loop *loop);
/* Make ev_run() return after the current iteration. */
void		 ev_break(struct ev_loop *loop);
/*
 * One iteration: run deferred calls queued from outside the loop, wait for
 * fds for at most timeout_ms (-1: until the next timer or forever; 0: poll;
 * shortened to the next timer and to 0 if deferred calls are queued),
 * dispatch fds and signals, fire the timers due at the iteration's "now",
 * then run the deferred calls queued so far.  Timers and defers added during
 * the iteration wait for the next one, so a zero-delay self re-arm cannot
 * starve the loop.  Returns the number of callbacks run, or -errno
 * (-EBUSY if called from inside a callback).
 */
int		 ev_run_once(struct ev_loop *loop, int timeout_ms);
/* Number of pending events of any kind. */
size_t		 ev_loop_pending(const struct ev_loop *loop);
/*
 * In an fd callback: how many fd events the iteration under way dispatches
 * (what epoll_wait returned, this one included); 0 outside them.
 */
size_t		 ev_batch_events(const struct ev_loop *loop);
/*
 * One pointer a library keeps per loop (lib/conn: its batch of reads and
 * sends),
 * freed by aux_free (unless NULL) when the loop is freed, after every
 * ev_ref has been cleared.
 */
void		*ev_loop_aux(const struct ev_loop *loop);
void		 ev_loop_set_aux(struct ev_loop *loop, void *aux,
		    void (*aux_free)(void *));

/* Clock ------------------------------------------------------------------ */

/* Milliseconds on the loop's clock (CLOCK_MONOTONIC unless injected). */
uint64_t	 ev_now(const struct ev_loop *loop);
/*
 * Replace the clock: now_fn(arg) returns milliseconds and must not go
 * backwards.  now_fn == NULL restores CLOCK_MONOTONIC.  Deadlines of pending
 * timers are absolute, so set the clock before adding timers.  With an
 * injected clock, ev_run_once(loop, 0) fires the timers due at now_fn().
 */
void		 ev_loop_set_clock(struct ev_loop *loop,
		    uint64_t (*now_fn)(void *arg), void *arg);
/* Deadline (ms on the loop's clock) of the earliest timer, or -ENOENT. */
int		 ev_next_timer(const struct ev_loop *loop, uint64_t *ret_when);
/*
 * On the real clock the loop sleeps without a timeout while a timerfd in
 * its epoll set is armed for a deadline at or before its earliest timer
 * (saves a kernel timer armed and cancelled per sleep).  That timerfd while
 * armed, else -1; for tests and diagnostics: do not read or set it.
 */
int		 ev_loop_timer_fd(const struct ev_loop *loop);

/* Events ---------------------------------------------------------------- */

/*
 * Rule for every add below: if *ref already holds a pending event, the add
 * is equivalent to ev_cancel(ref) followed by the add (a pending timer is
 * rescheduled in place and a pending defer moves to the end of the queue,
 * without allocating).  On failure the ref is left cleared.  All return 0
 * or -errno (-ENOMEM, -EINVAL, or what epoll_ctl/signalfd returned).
 */

/*
 * Watch fd for events (EV_READ|EV_WRITE, or 0 to pause) until cancelled;
 * level-triggered.  EV_ERROR and EV_HUP are always reported, together with
 * the requested EV_READ/EV_WRITE so the read or write path sees the error.
 * One watcher per fd per loop (-EEXIST otherwise).  ref is required.  Cancel
 * before closing the fd.  O(1).
 */
int	ev_fd_add(struct ev_loop *loop, int fd, unsigned int events, ev_cb cb,
	    void *arg, struct ev_ref *ref);
/* Change the watched events of a pending fd watcher; -ENOENT if none. */
int	ev_fd_mod(struct ev_ref *ref, unsigned int events);

/*
 * One-shot timer delay_ms from ev_now(), or at the absolute time when_ms on
 * the loop's clock.  Timers due at the same millisecond fire in the order
 * they were added.  ref may be NULL (fire and forget).  O(log n).
 */
int	ev_timer_add(struct ev_loop *loop, uint64_t delay_ms, ev_cb cb,
	    void *arg, struct ev_ref *ref);
int	ev_timer_add_at(struct ev_loop *loop, uint64_t when_ms, ev_cb cb,
	    void *arg, struct ev_ref *ref);
/* Milliseconds until a pending timer is due; 0 if due or not a timer. */
uint64_t ev_timer_remaining(const struct ev_ref *ref);

/*
 * Deliver signo through the loop's signalfd until cancelled; blocks signo
 * with sigprocmask().  One watcher per signal per loop (-EEXIST).  ref is
 * required.  Signals raised while blocked are delivered once, coalesced as
 * the kernel does.
 */
int	ev_signal_add(struct ev_loop *loop, int signo, ev_cb cb, void *arg,
	    struct ev_ref *ref);

/*
 * Call cb once at the end of the current iteration (or at the start of the
 * next one if added outside the loop), before the loop sleeps; in the order
 * added.  ref may be NULL.  O(1).
 */
int	ev_defer(struct ev_loop *loop, ev_cb cb, void *arg, struct ev_ref *ref);

/*
 * Cancel the event in *ref and clear it.  A no-op on a NULL ref, an empty
 * ref, or one whose event already fired.  Safe from inside any callback,
 * including the event's own.  O(log n) for timers, O(1) otherwise.
 */
void	ev_cancel(struct ev_ref *ref);
/* True while *ref holds a pending event. */
bool	ev_pending(const struct ev_ref *ref);

/* Test clock ------------------------------------------------------------ */

/* A settable clock for unit tests: install it, then advance it. */
struct ev_test_clock {
	uint64_t	 now_ms;
};

/* Make the loop use clock, starting at start_ms. */
void	ev_test_clock_install(struct ev_loop *loop, struct ev_test_clock *clock,
	    uint64_t start_ms);
/*
 * Advance clock by ms without sleeping, stepping to each timer deadline in
 * between and running one non-blocking iteration there, so callbacks see
 * the time they were due at and timers they re-arm fire on time.  Ends with
 * one iteration at the final time.  Returns the number of callbacks run, or
 * -errno from ev_run_once().
 */
int	ev_test_clock_advance(struct ev_loop *loop, struct ev_test_clock *clock,
	    uint64_t ms);

#endif /* ANYPOOL_EVENT_H */
