/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for lib/event.c: timer ordering and cancellation on the heap,
 * back-reference clearing, cancel and re-arm from inside callbacks, fd
 * watchers on eventfd and pipes, signals through signalfd, deferred calls,
 * ev_run()/ev_break().  Time is an injected test clock: nothing sleeps,
 * except in the timerfd tests at the end (the real clock, tens of ms).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include <cmocka.h>

#include "event.h"

#define MAX_FIRED	20000

struct fixture {
	struct ev_loop		*loop;
	struct ev_test_clock	 clock;
	/* what fired, in order: timer ids and the time they saw */
	int			 fired[MAX_FIRED];
	uint64_t		 fired_at[MAX_FIRED];
	size_t			 nfired;
};

struct tmr {
	struct fixture	*fx;
	struct ev_ref	 ref;
	int		 id;
	uint64_t	 deadline;
	bool		 cancelled;
	/* behaviour on fire */
	struct tmr	*cancel_other;
	uint64_t	 rearm_ms;
	int		 rearm_left;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->loop = ev_loop_new();
	assert_non_null(fx->loop);
	ev_test_clock_install(fx->loop, &fx->clock, 1000);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	ev_loop_free(fx->loop);
	free(fx);
	return 0;
}

static void
record(struct fixture *fx, int id)
{
	assert_true(fx->nfired < MAX_FIRED);
	fx->fired_at[fx->nfired] = ev_now(fx->loop);
	fx->fired[fx->nfired++] = id;
}

static void
tmr_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct tmr *t = arg;

	assert_int_equal(revents, EV_TIMER);
	/* The back-reference is cleared before the callback runs. */
	assert_null(t->ref.ev);
	assert_false(t->cancelled);
	record(t->fx, t->id);
	if (t->cancel_other != NULL) {
		if (ev_pending(&t->cancel_other->ref))
			t->cancel_other->cancelled = true;
		ev_cancel(&t->cancel_other->ref);
	}
	/* Cancelling oneself after firing is a no-op. */
	ev_cancel(&t->ref);
	if (t->rearm_left > 0) {
		t->rearm_left--;
		assert_int_equal(ev_timer_add(loop, t->rearm_ms, tmr_cb, t,
		    &t->ref), 0);
	}
}

/* Timer ordering --------------------------------------------------------- */

struct order_case {
	const char	*name;
	size_t		 n;
	uint64_t	 delays[12];
};

static const struct order_case order_cases[] = {
	{ "ascending", 5, { 1, 2, 3, 4, 5 } },
	{ "descending", 5, { 50, 40, 30, 20, 10 } },
	{ "all equal", 6, { 7, 7, 7, 7, 7, 7 } },
	{ "mixed ties", 10, { 5, 3, 5, 0, 3, 9, 0, 5, 1, 3 } },
	{ "zero delay", 3, { 0, 0, 0 } },
	{ "far apart", 4, { 86400000, 1, 3600000, 60000 } },
};

/* Check that fx->fired is ts sorted by (deadline, insertion index). */
static void
check_order(struct fixture *fx, struct tmr *ts, size_t n)
{
	size_t expect = 0;

	for (size_t i = 0; i < n; i++)
		if (!ts[i].cancelled)
			expect++;
	assert_int_equal(fx->nfired, expect);
	for (size_t i = 0; i < fx->nfired; i++) {
		struct tmr *t = &ts[fx->fired[i]];

		assert_false(t->cancelled);
		/* The test clock steps to each deadline. */
		assert_int_equal(fx->fired_at[i], t->deadline);
		if (i > 0) {
			struct tmr *p = &ts[fx->fired[i - 1]];

			assert_true(p->deadline < t->deadline ||
			    (p->deadline == t->deadline && p->id < t->id));
		}
	}
}

static void
test_timer_order_table(void **state)
{
	for (size_t c = 0; c < sizeof(order_cases) / sizeof(order_cases[0]);
	    c++) {
		const struct order_case *oc = &order_cases[c];
		struct fixture *fx;
		struct tmr ts[12];
		uint64_t max = 0;

		setup(state);
		fx = *state;
		memset(ts, 0, sizeof(ts));
		for (size_t i = 0; i < oc->n; i++) {
			ts[i].fx = fx;
			ts[i].id = (int)i;
			ts[i].deadline = fx->clock.now_ms + oc->delays[i];
			if (oc->delays[i] > max)
				max = oc->delays[i];
			assert_int_equal(ev_timer_add(fx->loop, oc->delays[i],
			    tmr_cb, &ts[i], &ts[i].ref), 0);
			assert_true(ev_pending(&ts[i].ref));
		}
		assert_int_equal(ev_loop_pending(fx->loop), oc->n);
		assert_int_equal(ev_test_clock_advance(fx->loop, &fx->clock,
		    max), (int)oc->n);
		print_message("case %s: %zu fired\n", oc->name, fx->nfired);
		check_order(fx, ts, oc->n);
		for (size_t i = 0; i < oc->n; i++)
			assert_false(ev_pending(&ts[i].ref));
		assert_int_equal(ev_loop_pending(fx->loop), 0);
		teardown(state);
	}
}

static void
test_timer_order_random(void **state)
{
	struct fixture *fx = *state;
	enum { N = 2000 };
	struct tmr *ts = calloc(N, sizeof(*ts));

	assert_non_null(ts);
	srandom(42);
	for (int i = 0; i < N; i++) {
		/* a small range forces many equal deadlines */
		uint64_t d = (uint64_t)random() % 300;

		ts[i] = (struct tmr){ .fx = fx, .id = i,
		    .deadline = fx->clock.now_ms + d };
		assert_int_equal(ev_timer_add_at(fx->loop, ts[i].deadline,
		    tmr_cb, &ts[i], &ts[i].ref), 0);
	}
	assert_int_equal(ev_test_clock_advance(fx->loop, &fx->clock, 300), N);
	check_order(fx, ts, N);
	free(ts);
}

/* A due timer fires on a non-blocking iteration of an injected clock. */
static uint64_t custom_now;

static uint64_t
custom_clock(void *arg)
{
	return *(uint64_t *)arg;
}

static void
test_injected_clock_run_once(void **state)
{
	struct fixture *fx = *state;
	struct tmr t = { .fx = fx, .id = 1 };
	struct timespec ts;
	uint64_t when, mono;

	custom_now = 5000;
	ev_loop_set_clock(fx->loop, custom_clock, &custom_now);
	assert_int_equal(ev_now(fx->loop), 5000);
	assert_int_equal(ev_next_timer(fx->loop, &when), -ENOENT);
	assert_int_equal(ev_timer_add(fx->loop, 50, tmr_cb, &t, &t.ref), 0);
	assert_int_equal(ev_next_timer(fx->loop, &when), 0);
	assert_int_equal(when, 5050);
	assert_int_equal(ev_timer_remaining(&t.ref), 50);

	assert_int_equal(ev_run_once(fx->loop, 0), 0);
	custom_now = 5049;
	assert_int_equal(ev_timer_remaining(&t.ref), 1);
	assert_int_equal(ev_run_once(fx->loop, 0), 0);
	assert_int_equal(fx->nfired, 0);
	custom_now = 5050;
	assert_int_equal(ev_run_once(fx->loop, 0), 1);
	assert_int_equal(fx->nfired, 1);
	assert_null(t.ref.ev);
	assert_int_equal(ev_timer_remaining(&t.ref), 0);

	/* NULL restores CLOCK_MONOTONIC. */
	ev_loop_set_clock(fx->loop, NULL, NULL);
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	mono = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	assert_true(ev_now(fx->loop) >= mono);
	assert_true(ev_now(fx->loop) - mono < 1000);
}

/* Cancellation ----------------------------------------------------------- */

static void
test_timer_cancel(void **state)
{
	struct fixture *fx = *state;
	struct tmr a = { .fx = fx, .id = 0 }, b = { .fx = fx, .id = 1 };

	assert_int_equal(ev_timer_add(fx->loop, 10, tmr_cb, &a, &a.ref), 0);
	assert_int_equal(ev_timer_add(fx->loop, 20, tmr_cb, &b, &b.ref), 0);
	assert_int_equal(ev_loop_pending(fx->loop), 2);

	/* cancel before due: never fires, ref cleared */
	ev_cancel(&a.ref);
	a.cancelled = true;
	assert_null(a.ref.ev);
	assert_false(ev_pending(&a.ref));
	assert_int_equal(ev_loop_pending(fx->loop), 1);
	/* cancel of a cancelled ref, an empty ref, NULL: no-ops */
	ev_cancel(&a.ref);
	ev_cancel(NULL);

	assert_int_equal(ev_test_clock_advance(fx->loop, &fx->clock, 100), 1);
	assert_int_equal(fx->nfired, 1);
	assert_int_equal(fx->fired[0], 1);
	/* ref cleared after fire; cancel of a fired ref is a no-op */
	assert_null(b.ref.ev);
	ev_cancel(&b.ref);
	assert_int_equal(ev_loop_pending(fx->loop), 0);
	assert_int_equal(ev_test_clock_advance(fx->loop, &fx->clock, 100), 0);
}

static void
test_cancel_other_same_iteration(void **state)
{
	struct fixture *fx = *state;
	struct tmr t[4];

	memset(t, 0, sizeof(t));
	for (int i = 0; i < 4; i++) {
		t[i].fx = fx;
		t[i].id = i;
	}
	/* all due at once: 0 cancels 1 (due, not yet run); 2 cancels 0 (ran) */
	t[0].cancel_other = &t[1];
	t[2].cancel_other = &t[0];
	for (int i = 0; i < 4; i++)
		assert_int_equal(ev_timer_add(fx->loop, 5, tmr_cb, &t[i],
		    &t[i].ref), 0);
	assert_int_equal(ev_test_clock_advance(fx->loop, &fx->clock, 5), 3);
	assert_int_equal(fx->nfired, 3);
	assert_int_equal(fx->fired[0], 0);
	assert_int_equal(fx->fired[1], 2);
	assert_int_equal(fx->fired[2], 3);
	assert_true(t[1].cancelled);
	assert_int_equal(ev_loop_pending(fx->loop), 0);
}

/* A callback frees the object that holds the ref (ASan checks the rest). */
static void
free_obj_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct tmr *t = arg;

	record(t->fx, t->id);
	ev_cancel(&t->ref);
	free(t);
}

static void
test_callback_frees_owner(void **state)
{
	struct fixture *fx = *state;
	struct tmr *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->fx = fx;
	t->id = 7;
	assert_int_equal(ev_timer_add(fx->loop, 1, free_obj_cb, t, &t->ref), 0);
	assert_int_equal(ev_test_clock_advance(fx->loop, &fx->clock, 1), 1);
	assert_int_equal(fx->nfired, 1);

	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->fx = fx;
	t->id = 8;
	assert_int_equal(ev_defer(fx->loop, free_obj_cb, t, &t->ref), 0);
	assert_int_equal(ev_run_once(fx->loop, 0), 1);
	assert_int_equal(fx->nfired, 2);
}

/* Re-arming -------------------------------------------------------------- */

static void
test_rearm_self(void **state)
{
	struct fixture *fx = *state;
	uint64_t start = fx->clock.now_ms;
	struct tmr t = { .fx = fx, .id = 3, .rearm_ms = 100, .rearm_left = 9 };

	assert_int_equal(ev_timer_add(fx->loop, 100, tmr_cb, &t, &t.ref), 0);
	assert_int_equal(ev_test_clock_advance(fx->loop, &fx->clock, 1000), 10);
	assert_int_equal(fx->nfired, 10);
	/* each fire sees its own deadline: stepping, not one jump */
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(fx->fired_at[i], start + 100 * (i + 1));
	assert_null(t.ref.ev);
	assert_int_equal(ev_loop_pending(fx->loop), 0);
}

/* A zero-delay self re-arm fires once per iteration and cannot starve. */
static void
test_rearm_zero_delay(void **state)
{
	struct fixture *fx = *state;
	struct tmr t = { .fx = fx, .id = 4, .rearm_ms = 0, .rearm_left = 100 };

	assert_int_equal(ev_timer_add(fx->loop, 0, tmr_cb, &t, &t.ref), 0);
	for (int i = 1; i <= 5; i++) {
		assert_int_equal(ev_run_once(fx->loop, 0), 1);
		assert_int_equal(fx->nfired, (size_t)i);
	}
	assert_true(ev_pending(&t.ref));
	ev_cancel(&t.ref);
	assert_int_equal(ev_run_once(fx->loop, 0), 0);
}

/* Adding with a pending ref reschedules (cancel + add semantics). */
static void
test_timer_reschedule(void **state)
{
	struct fixture *fx = *state;
	struct tmr a = { .fx = fx, .id = 0 }, b = { .fx = fx, .id = 1 };
	struct ev *before;

	assert_int_equal(ev_timer_add(fx->loop, 10, tmr_cb, &a, &a.ref), 0);
	assert_int_equal(ev_timer_add(fx->loop, 20, tmr_cb, &b, &b.ref), 0);
	before = a.ref.ev;
	/* a moves behind b, and behind b at an equal deadline too */
	assert_int_equal(ev_timer_add(fx->loop, 20, tmr_cb, &a, &a.ref), 0);
	assert_ptr_equal(a.ref.ev, before);
	assert_int_equal(ev_loop_pending(fx->loop), 2);
	assert_int_equal(ev_test_clock_advance(fx->loop, &fx->clock, 15), 0);
	assert_int_equal(ev_test_clock_advance(fx->loop, &fx->clock, 5), 2);
	assert_int_equal(fx->fired[0], 1);
	assert_int_equal(fx->fired[1], 0);

	/* a pending defer on the ref is replaced by a timer */
	assert_int_equal(ev_defer(fx->loop, tmr_cb, &a, &a.ref), 0);
	assert_int_equal(ev_timer_add(fx->loop, 1, tmr_cb, &a, &a.ref), 0);
	assert_int_equal(ev_loop_pending(fx->loop), 1);
	assert_int_equal(ev_run_once(fx->loop, 0), 0);
	assert_int_equal(ev_test_clock_advance(fx->loop, &fx->clock, 1), 1);
}

/* 10k timers, random cancels before and during firing. */
static void
test_many_random_cancels(void **state)
{
	struct fixture *fx = *state;
	enum { N = 10000 };
	struct tmr *ts = calloc(N, sizeof(*ts));
	size_t ncancel = 0;

	assert_non_null(ts);
	srandom(5353);
	for (int i = 0; i < N; i++) {
		ts[i] = (struct tmr){ .fx = fx, .id = i };
		ts[i].deadline = fx->clock.now_ms + (uint64_t)random() % 5000;
		/* some callbacks cancel a random other timer */
		if (random() % 10 == 0)
			ts[i].cancel_other = &ts[random() % N];
		assert_int_equal(ev_timer_add_at(fx->loop, ts[i].deadline,
		    tmr_cb, &ts[i], &ts[i].ref), 0);
	}
	for (int i = 0; i < N; i++) {
		if (random() % 3 == 0) {
			struct tmr *t = &ts[random() % N];

			if (ev_pending(&t->ref))
				ncancel++;
			t->cancelled = t->cancelled || ev_pending(&t->ref);
			ev_cancel(&t->ref);
			assert_null(t->ref.ev);
		}
	}
	assert_int_equal(ev_loop_pending(fx->loop), N - ncancel);
	assert_true(ev_test_clock_advance(fx->loop, &fx->clock, 5000) > 0);
	/* fired = added - cancelled (before or during), in order, once each */
	check_order(fx, ts, N);
	for (int i = 0; i < N; i++)
		assert_null(ts[i].ref.ev);
	assert_int_equal(ev_loop_pending(fx->loop), 0);
	assert_int_equal(ev_next_timer(fx->loop, &(uint64_t){ 0 }), -ENOENT);
	free(ts);
}

/* fd watchers ------------------------------------------------------------ */

struct fdw {
	struct fixture	*fx;
	struct ev_ref	 ref;
	int		 fd;
	int		 id;
	unsigned int	 revents;
	int		 calls;
	struct fdw	*cancel_other;
	bool		 drain;
};

static void
fdw_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct fdw *w = arg;

	w->revents = revents;
	w->calls++;
	record(w->fx, w->id);
	if (w->drain && (revents & EV_READ)) {
		uint64_t v;

		assert_int_equal(read(w->fd, &v, sizeof(v)), sizeof(v));
	}
	if (w->cancel_other != NULL)
		ev_cancel(&w->cancel_other->ref);
}

static void
efd_poke(int fd)
{
	uint64_t one = 1;

	assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

static void
test_fd_eventfd(void **state)
{
	struct fixture *fx = *state;
	struct fdw w = { .fx = fx, .id = 1, .drain = true };
	struct ev_ref other = { 0 };

	w.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(w.fd >= 0);
	assert_int_equal(ev_fd_add(fx->loop, w.fd, EV_READ, fdw_cb, &w, &w.ref),
	    0);
	assert_true(ev_pending(&w.ref));
	/* one watcher per fd */
	assert_int_equal(ev_fd_add(fx->loop, w.fd, EV_READ, fdw_cb, &w, &other),
	    -EEXIST);
	assert_null(other.ev);

	assert_int_equal(ev_run_once(fx->loop, 0), 0);
	efd_poke(w.fd);
	assert_int_equal(ev_run_once(fx->loop, 0), 1);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.revents, EV_READ);
	/* persistent until cancelled; drained, so quiet now */
	assert_true(ev_pending(&w.ref));
	assert_int_equal(ev_run_once(fx->loop, 0), 0);

	/* paused watcher: no callback even when readable */
	assert_int_equal(ev_fd_mod(&w.ref, 0), 0);
	efd_poke(w.fd);
	assert_int_equal(ev_run_once(fx->loop, 0), 0);
	assert_int_equal(ev_fd_mod(&w.ref, EV_READ | EV_WRITE), 0);
	assert_int_equal(ev_run_once(fx->loop, 0), 1);
	assert_int_equal(w.revents, EV_READ | EV_WRITE);

	ev_cancel(&w.ref);
	assert_null(w.ref.ev);
	efd_poke(w.fd);
	assert_int_equal(ev_run_once(fx->loop, 0), 0);
	assert_int_equal(w.calls, 2);
	assert_int_equal(ev_fd_mod(&w.ref, EV_READ), -ENOENT);
	close(w.fd);
}

static void
test_fd_pipe(void **state)
{
	struct fixture *fx = *state;
	struct fdw r = { .fx = fx, .id = 1 }, w = { .fx = fx, .id = 2 };
	int p[2];
	char c = 'x';

	assert_int_equal(pipe(p), 0);
	r.fd = p[0];
	w.fd = p[1];
	assert_int_equal(ev_fd_add(fx->loop, r.fd, EV_READ, fdw_cb, &r, &r.ref),
	    0);
	assert_int_equal(ev_fd_add(fx->loop, w.fd, EV_WRITE, fdw_cb, &w, &w.ref),
	    0);
	/* an empty pipe is writable, not readable */
	assert_int_equal(ev_run_once(fx->loop, 0), 1);
	assert_int_equal(w.revents, EV_WRITE);
	assert_int_equal(r.calls, 0);
	ev_cancel(&w.ref);

	assert_int_equal(write(p[1], &c, 1), 1);
	assert_int_equal(ev_run_once(fx->loop, 0), 1);
	assert_int_equal(r.revents, EV_READ);
	assert_int_equal(read(p[0], &c, 1), 1);

	/* writer gone: EOF shows up as EV_HUP together with EV_READ */
	close(p[1]);
	assert_int_equal(ev_run_once(fx->loop, 0), 1);
	assert_int_equal(r.revents, EV_READ | EV_HUP);
	ev_cancel(&r.ref);
	close(p[0]);
	assert_int_equal(ev_loop_pending(fx->loop), 0);
}

/* Two fds ready in one batch; whichever runs first cancels the other. */
static void
test_fd_cancel_in_batch(void **state)
{
	struct fixture *fx = *state;
	struct fdw a = { .fx = fx, .id = 1 }, b = { .fx = fx, .id = 2 };

	a.fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	b.fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(a.fd >= 0 && b.fd >= 0);
	a.cancel_other = &b;
	b.cancel_other = &a;
	assert_int_equal(ev_fd_add(fx->loop, a.fd, EV_READ, fdw_cb, &a, &a.ref),
	    0);
	assert_int_equal(ev_fd_add(fx->loop, b.fd, EV_READ, fdw_cb, &b, &b.ref),
	    0);
	assert_int_equal(ev_run_once(fx->loop, 0), 1);
	assert_int_equal(a.calls + b.calls, 1);
	assert_int_equal(ev_loop_pending(fx->loop), 1);

	/* the survivor cancels itself from its own callback */
	if (a.calls == 1)
		a.cancel_other = &a;
	else
		b.cancel_other = &b;
	assert_int_equal(ev_run_once(fx->loop, 0), 1);
	assert_int_equal(a.calls + b.calls, 2);
	assert_int_equal(ev_loop_pending(fx->loop), 0);
	assert_null(a.ref.ev);
	assert_null(b.ref.ev);
	close(a.fd);
	close(b.fd);
}

/* Signals ---------------------------------------------------------------- */

struct sigw {
	struct ev_ref	 ref;
	int		 calls;
};

static void
sig_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct sigw *s = arg;

	assert_int_equal(revents, EV_SIGNAL);
	s->calls++;
}

static void
test_signal(void **state)
{
	struct fixture *fx = *state;
	struct sigw s = { 0 }, s2 = { 0 };

	assert_int_equal(ev_signal_add(fx->loop, SIGUSR1, sig_cb, &s, &s.ref),
	    0);
	assert_int_equal(ev_signal_add(fx->loop, SIGUSR1, sig_cb, &s2, &s2.ref),
	    -EEXIST);
	assert_int_equal(ev_signal_add(fx->loop, SIGKILL, sig_cb, &s2, &s2.ref),
	    -EINVAL);
	assert_int_equal(ev_signal_add(fx->loop, SIGUSR2, sig_cb, &s2, &s2.ref),
	    0);

	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(ev_run_once(fx->loop, 0), 1);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s2.calls, 0);
	assert_true(ev_pending(&s.ref));

	/* cancelled: a raised signal stays blocked and pending, no callback */
	ev_cancel(&s.ref);
	assert_null(s.ref.ev);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(raise(SIGUSR2), 0);
	assert_int_equal(ev_run_once(fx->loop, 0), 1);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s2.calls, 1);
	/* re-adding picks up the pending one */
	assert_int_equal(ev_signal_add(fx->loop, SIGUSR1, sig_cb, &s, &s.ref),
	    0);
	assert_int_equal(ev_run_once(fx->loop, 0), 1);
	assert_int_equal(s.calls, 2);
	ev_cancel(&s2.ref);
	/* s stays pending: freeing the loop clears its ref */
	ev_loop_free(fx->loop);
	fx->loop = NULL;
	assert_null(s.ref.ev);
}

/* Deferred calls --------------------------------------------------------- */

struct dfr {
	struct fixture	*fx;
	struct ev_ref	 ref;
	int		 id;
	int		 again;	/* re-defer this many times */
	struct dfr	*cancel_other;
};

static void
dfr_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct dfr *d = arg;

	assert_int_equal(revents, EV_DEFER);
	assert_null(d->ref.ev);
	record(d->fx, d->id);
	if (d->cancel_other != NULL)
		ev_cancel(&d->cancel_other->ref);
	if (d->again > 0) {
		d->again--;
		assert_int_equal(ev_defer(loop, dfr_cb, d, &d->ref), 0);
	}
}

static void
test_defer_order_cancel(void **state)
{
	struct fixture *fx = *state;
	struct dfr d[5];

	memset(d, 0, sizeof(d));
	for (int i = 0; i < 5; i++) {
		d[i].fx = fx;
		d[i].id = i;
		assert_int_equal(ev_defer(fx->loop, dfr_cb, &d[i], &d[i].ref),
		    0);
	}
	ev_cancel(&d[1].ref);		/* before running */
	d[0].cancel_other = &d[3];	/* while running */
	/* re-adding a pending defer moves it to the end */
	assert_int_equal(ev_defer(fx->loop, dfr_cb, &d[2], &d[2].ref), 0);
	assert_int_equal(ev_loop_pending(fx->loop), 4);

	assert_int_equal(ev_run_once(fx->loop, 0), 3);
	assert_int_equal(fx->nfired, 3);
	assert_int_equal(fx->fired[0], 0);
	assert_int_equal(fx->fired[1], 4);
	assert_int_equal(fx->fired[2], 2);
	for (int i = 0; i < 5; i++)
		assert_null(d[i].ref.ev);
	assert_int_equal(ev_run_once(fx->loop, 0), 0);
}

/* A defer added by a defer runs in the next drain; one added by a timer
 * runs at the end of the same iteration. */
static void
timer_defers_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct dfr *d = arg;

	record(d->fx, 100);
	assert_int_equal(ev_defer(loop, dfr_cb, d, &d->ref), 0);
}

static void
test_defer_drain_points(void **state)
{
	struct fixture *fx = *state;
	struct dfr d = { .fx = fx, .id = 1, .again = 2 };
	struct dfr e = { .fx = fx, .id = 2 };
	struct ev_ref t = { 0 };

	assert_int_equal(ev_defer(fx->loop, dfr_cb, &d, &d.ref), 0);
	/* start drain runs d, end drain runs d's re-defer, next call the last */
	assert_int_equal(ev_run_once(fx->loop, 0), 2);
	assert_int_equal(ev_run_once(fx->loop, 0), 1);
	assert_int_equal(ev_run_once(fx->loop, 0), 0);
	assert_int_equal(fx->nfired, 3);

	fx->nfired = 0;
	assert_int_equal(ev_timer_add(fx->loop, 0, timer_defers_cb, &e, &t),
	    0);
	assert_int_equal(ev_run_once(fx->loop, 0), 2);
	assert_int_equal(fx->nfired, 2);
	assert_int_equal(fx->fired[0], 100);
	assert_int_equal(fx->fired[1], 2);
}

/* ev_run / ev_break ------------------------------------------------------ */

struct runner {
	struct ev_ref	 ref;
	int		 left;
	int		 calls;
	int		 nested;
};

static void
runner_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct runner *r = arg;

	r->calls++;
	r->nested = ev_run_once(loop, 0);
	if (--r->left == 0) {
		ev_break(loop);
		return;
	}
	assert_int_equal(ev_defer(loop, runner_cb, r, &r->ref), 0);
}

static void
test_run_break(void **state)
{
	struct fixture *fx = *state;
	struct runner r = { .left = 5 };
	struct tmr far = { .fx = fx, .id = 9 };

	/* nothing pending: returns at once instead of sleeping forever */
	assert_int_equal(ev_run(fx->loop), 0);

	assert_int_equal(ev_timer_add(fx->loop, 3600000, tmr_cb, &far,
	    &far.ref), 0);
	assert_int_equal(ev_defer(fx->loop, runner_cb, &r, &r.ref), 0);
	assert_int_equal(ev_run(fx->loop), 0);
	assert_int_equal(r.calls, 5);
	assert_int_equal(r.nested, -EBUSY);
	assert_true(ev_pending(&far.ref));
	assert_int_equal(fx->nfired, 0);
	/* refs live on this stack: cancel before they go away */
	ev_cancel(&far.ref);
}

static void
test_loop_free_clears_refs(void **state)
{
	struct fixture *fx = *state;
	struct ev_ref t = { 0 }, d = { 0 }, f = { 0 };
	struct tmr dummy = { .fx = fx };
	int efd = eventfd(0, EFD_CLOEXEC);

	assert_true(efd >= 0);
	assert_int_equal(ev_timer_add(fx->loop, 5, tmr_cb, &dummy, &t), 0);
	assert_int_equal(ev_defer(fx->loop, tmr_cb, &dummy, &d), 0);
	assert_int_equal(ev_fd_add(fx->loop, efd, EV_READ, tmr_cb, &dummy, &f),
	    0);
	/* fire-and-forget timer without a ref */
	assert_int_equal(ev_timer_add(fx->loop, 5, tmr_cb, &dummy, NULL), 0);
	assert_int_equal(ev_loop_pending(fx->loop), 4);
	ev_loop_free(fx->loop);
	fx->loop = NULL;
	assert_null(t.ev);
	assert_null(d.ev);
	assert_null(f.ev);
	ev_loop_free(NULL);
	close(efd);
}

static void
test_invalid_args(void **state)
{
	struct fixture *fx = *state;
	struct ev_ref r = { 0 };
	struct tmr dummy = { .fx = fx };

	assert_int_equal(ev_fd_add(fx->loop, 0, EV_READ, tmr_cb, &dummy, NULL),
	    -EINVAL);
	assert_int_equal(ev_fd_add(fx->loop, -1, EV_READ, tmr_cb, &dummy, &r),
	    -EINVAL);
	assert_int_equal(ev_fd_add(fx->loop, 0, 0x80, tmr_cb, &dummy, &r),
	    -EINVAL);
	assert_int_equal(ev_timer_add(fx->loop, 1, NULL, NULL, &r), -EINVAL);
	assert_int_equal(ev_defer(fx->loop, NULL, NULL, &r), -EINVAL);
	assert_int_equal(ev_signal_add(fx->loop, 0, tmr_cb, &dummy, &r),
	    -EINVAL);
	assert_int_equal(ev_signal_add(fx->loop, SIGUSR1, tmr_cb, &dummy,
	    NULL), -EINVAL);
	assert_int_equal(ev_timer_add(fx->loop, 1, tmr_cb, &dummy, &r), 0);
	assert_int_equal(ev_fd_mod(&r, EV_READ), -ENOENT);
	/* failure of an add leaves the ref cleared */
	assert_int_equal(ev_fd_add(fx->loop, -1, EV_READ, tmr_cb, &dummy, &r),
	    -EINVAL);
	assert_null(r.ev);
	assert_int_equal(ev_loop_pending(fx->loop), 0);
	/* huge delays saturate instead of wrapping into the past */
	assert_int_equal(ev_timer_add(fx->loop, UINT64_MAX, tmr_cb, &dummy, &r),
	    0);
	assert_int_equal(ev_run_once(fx->loop, 0), 0);
	ev_cancel(&r);
}

/* The timerfd on the real clock (issue 14) ------------------------------- */

static int
setup_real(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->loop = ev_loop_new();
	assert_non_null(fx->loop);
	*state = fx;
	/* A loop that no longer wakes for its timers fails here, not hangs. */
	alarm(20);
	return 0;
}

static int
teardown_real(void **state)
{
	alarm(0);
	return teardown(state);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Milliseconds until the loop's timerfd expires; it must be armed. */
static uint64_t
tfd_left(struct ev_loop *loop)
{
	struct itimerspec its;
	int fd = ev_loop_timer_fd(loop);

	assert_true(fd >= 0);
	assert_int_equal(timerfd_gettime(fd, &its), 0);
	assert_true(its.it_value.tv_sec != 0 || its.it_value.tv_nsec != 0);
	return (uint64_t)its.it_value.tv_sec * 1000u +
	    (uint64_t)its.it_value.tv_nsec / 1000000u;
}

/* Run iterations without a timeout until t fired; how many it took. */
static int
run_until_fired(struct fixture *fx, struct tmr *t)
{
	int n = 0;

	while (ev_pending(&t->ref)) {
		assert_true(ev_run_once(fx->loop, -1) >= 0);
		assert_true(++n < 50);	/* no busy loop */
	}
	return n;
}

/*
 * The first deadline is armed in the timerfd, so an iteration without a
 * timeout still wakes for it; once it fired and nothing else is due, the
 * timerfd is cleared (a loop that left it readable would not sleep).
 */
static void
test_timerfd_wakes(void **state)
{
	struct fixture *fx = *state;
	struct tmr a = { .fx = fx, .id = 0 };
	uint64_t t0, left;

	assert_int_equal(ev_loop_timer_fd(fx->loop), -1);
	t0 = mono_ms();
	assert_int_equal(ev_timer_add(fx->loop, 200, tmr_cb, &a, &a.ref), 0);
	/* The caller's shorter timeout: the timerfd is armed all the same. */
	assert_int_equal(ev_run_once(fx->loop, 5), 0);
	left = tfd_left(fx->loop);
	assert_true(left <= 200 && left + (mono_ms() - t0) >= 190);
	assert_int_equal(run_until_fired(fx, &a), 1);
	assert_true(mono_ms() >= t0 + 200);
	assert_int_equal(fx->nfired, 1);
	/* Nothing pending: the expired timerfd does not wake the loop. */
	t0 = mono_ms();
	assert_int_equal(ev_run_once(fx->loop, 60), 0);
	assert_true(mono_ms() >= t0 + 50);
	assert_int_equal(ev_loop_timer_fd(fx->loop), -1);
}

/*
 * A timer earlier than the armed deadline re-arms the timerfd (it fires on
 * time, the later one after it); a first timer cancelled leaves at most one
 * early wake-up; an injected clock never uses the timerfd.
 */
static void
test_timerfd_rearm(void **state)
{
	struct fixture *fx = *state;
	struct tmr a = { .fx = fx, .id = 0 }, b = { .fx = fx, .id = 1 };
	struct tmr c = { .fx = fx, .id = 2 };
	struct ev_test_clock clock;
	uint64_t t0;

	t0 = mono_ms();
	assert_int_equal(ev_timer_add(fx->loop, 400, tmr_cb, &a, &a.ref), 0);
	assert_int_equal(ev_run_once(fx->loop, 1), 0);
	assert_true(tfd_left(fx->loop) > 100);
	assert_int_equal(ev_timer_add(fx->loop, 30, tmr_cb, &b, &b.ref), 0);
	assert_int_equal(ev_run_once(fx->loop, 1), 0);
	assert_true(tfd_left(fx->loop) <= 30);
	assert_true(run_until_fired(fx, &b) <= 2);
	assert_true(ev_pending(&a.ref));
	assert_int_equal(fx->nfired, 1);
	assert_int_equal(fx->fired[0], 1);
	assert_true(mono_ms() >= t0 + 30);
	/* a is re-armed once b's expiry is cleared. */
	assert_int_equal(ev_run_once(fx->loop, 1), 0);
	assert_true(tfd_left(fx->loop) > 100);

	/* First timer cancelled: c still fires, after one early wake-up. */
	ev_cancel(&a.ref);
	assert_int_equal(ev_timer_add(fx->loop, 20, tmr_cb, &c, &c.ref), 0);
	assert_int_equal(ev_run_once(fx->loop, 1), 0);
	ev_cancel(&c.ref);
	t0 = mono_ms();
	assert_int_equal(ev_timer_add(fx->loop, 80, tmr_cb, &c, &c.ref), 0);
	assert_true(run_until_fired(fx, &c) <= 2);
	assert_true(mono_ms() >= t0 + 80);
	assert_int_equal(fx->nfired, 2);
	assert_int_equal(fx->fired[1], 2);

	/* An injected clock: the timerfd is disarmed, never armed again. */
	ev_test_clock_install(fx->loop, &clock, 5000);
	assert_int_equal(ev_timer_add(fx->loop, 10, tmr_cb, &a, &a.ref), 0);
	assert_int_equal(ev_run_once(fx->loop, 1), 0);
	assert_int_equal(ev_loop_timer_fd(fx->loop), -1);
	assert_int_equal(ev_test_clock_advance(fx->loop, &clock, 10), 1);
	assert_int_equal(fx->nfired, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_order_table),
		cmocka_unit_test_setup_teardown(test_timer_order_random,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_injected_clock_run_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_cancel,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_other_same_iteration,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_frees_owner,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_self,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_zero_delay,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_reschedule,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_random_cancels,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_eventfd,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_pipe,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_cancel_in_batch,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_defer_order_cancel,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_defer_drain_points,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_break,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_free_clears_refs,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_args,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_timerfd_wakes,
		    setup_real, teardown_real),
		cmocka_unit_test_setup_teardown(test_timerfd_rearm,
		    setup_real, teardown_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
