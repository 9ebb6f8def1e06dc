/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The event loop (see event.h): one epoll instance per loop, a binary
 * min-heap of one-shot timers whose nodes carry their heap index so cancel is
 * O(log n), a signalfd shared by all signal watchers, and an intrusive FIFO
 * of deferred calls.  The loop owns every struct ev; callers only hold
 * back-references, which the loop clears before the memory goes away.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "event.h"

/* epoll_wait batch; more ready fds just wait for the next iteration. */
#define EV_BATCH	64

enum ev_kind {
	EV_KIND_FD,
	EV_KIND_TIMER,
	EV_KIND_SIGNAL,
	EV_KIND_DEFER,
	EV_KIND_SIGFD,		/* the loop's own signalfd watcher */
	EV_KIND_TIMERFD,	/* the loop's own timerfd watcher */
};

/* The loop's timerfd (see tfd_sync). */
enum ev_tfd {
	EV_TFD_NONE,		/* not made yet */
	EV_TFD_OFF,		/* unusable: epoll timeouts only */
	EV_TFD_IDLE,		/* disarmed, not readable */
	EV_TFD_ARMED,		/* armed for tfd_when, not expired yet */
	EV_TFD_FIRED,		/* expired (readable) until set again */
};

/* Intrusive doubly-linked list node; unlinking needs no list head. */
struct ev_link {
	struct ev_link	*prev, *next;
};

struct ev {
	struct ev_loop	*loop;
	enum ev_kind	 kind;
	ev_cb		 cb;
	void		*arg;
	struct ev_ref	*ref;
	union {
		struct {
			int		 fd;
			unsigned int	 events;
			bool		 registered; /* in epoll */
			bool		 dead;	/* cancelled during a batch */
		} fd;
		struct {
			uint64_t	 when;
			uint64_t	 seq;
			size_t		 idx;	/* position in loop->heap */
		} timer;
		struct {
			int		 signo;
		} sig;
	} u;
	/* defers: the queue; fds: loop->fds, or loop->zombies once dead */
	struct ev_link	 link;
};

struct ev_loop {
	int		 epfd;
	bool		 stop;
	bool		 in_iter;	/* guards against re-entrant iterations */
	size_t		 npending;

	uint64_t	(*now_fn)(void *arg);
	void		*now_arg;

	struct ev	**heap;
	size_t		 heap_len, heap_cap;
	uint64_t	 seq;

	struct ev_link	 defers;	/* queued */
	struct ev_link	 defers_run;	/* taken by the drain in progress */

	struct ev_link	 fds;		/* live fd watchers */
	/*
	 * fd watchers cancelled while an epoll batch is being dispatched: the
	 * batch may still point at them, so they are freed after it.
	 */
	struct ev_link	 zombies;
	bool		 in_batch;
	size_t		 batch_nev;	/* events of the batch under way */

	int		 sigfd;
	sigset_t	 sigmask;
	struct ev	 sigfd_ev;
	struct ev	*sigs[_NSIG];

	int		 tfd;
	enum ev_tfd	 tfd_state;
	uint64_t	 tfd_when;	/* ms, while EV_TFD_ARMED */
	struct ev	 tfd_ev;

	struct epoll_event evs[EV_BATCH];

	/* One pointer a library keeps per loop (ev_loop_set_aux). */
	void		*aux;
	void		(*aux_free)(void *);
};

#define EV_FROM_LINK(l) \
	((struct ev *)(void *)((char *)(l) - offsetof(struct ev, link)))

static void
link_init(struct ev_link *head)
{
	head->prev = head->next = head;
}

static bool
link_empty(const struct ev_link *head)
{
	return head->next == head;
}

static void
link_append(struct ev_link *head, struct ev_link *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static void
link_remove(struct ev_link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

/* Move every node of from to the end of to. */
static void
link_splice(struct ev_link *to, struct ev_link *from)
{
	if (link_empty(from))
		return;
	from->next->prev = to->prev;
	to->prev->next = from->next;
	from->prev->next = to;
	to->prev = from->prev;
	link_init(from);
}

/* Clock ------------------------------------------------------------------ */

static uint64_t
ev_clock_monotonic(void *arg)
{
	struct timespec ts;

	(void)arg;
	/* CLOCK_MONOTONIC cannot fail with a valid clock id and pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
ev_now(const struct ev_loop *loop)
{
	return loop->now_fn(loop->now_arg);
}

void
ev_loop_set_clock(struct ev_loop *loop, uint64_t (*now_fn)(void *arg),
    void *arg)
{
	if (now_fn == NULL) {
		loop->now_fn = ev_clock_monotonic;
		loop->now_arg = NULL;
	} else {
		loop->now_fn = now_fn;
		loop->now_arg = arg;
	}
}

/* Timer heap ------------------------------------------------------------- */

static bool
timer_before(const struct ev *a, const struct ev *b)
{
	if (a->u.timer.when != b->u.timer.when)
		return a->u.timer.when < b->u.timer.when;
	return a->u.timer.seq < b->u.timer.seq;
}

static void
heap_set(struct ev_loop *loop, size_t i, struct ev *ev)
{
	loop->heap[i] = ev;
	ev->u.timer.idx = i;
}

static void
heap_sift_up(struct ev_loop *loop, size_t i)
{
	struct ev *ev = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timer_before(ev, loop->heap[parent]))
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, ev);
}

static void
heap_sift_down(struct ev_loop *loop, size_t i)
{
	struct ev *ev = loop->heap[i];
	size_t n = loop->heap_len;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && timer_before(loop->heap[c + 1], loop->heap[c]))
			c++;
		if (!timer_before(loop->heap[c], ev))
			break;
		heap_set(loop, i, loop->heap[c]);
		i = c;
	}
	heap_set(loop, i, ev);
}

/* Restore the heap after the key at i changed in either direction. */
static void
heap_fix(struct ev_loop *loop, size_t i)
{
	if (i > 0 && timer_before(loop->heap[i], loop->heap[(i - 1) / 2]))
		heap_sift_up(loop, i);
	else
		heap_sift_down(loop, i);
}

static int
heap_push(struct ev_loop *loop, struct ev *ev)
{
	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		struct ev **h;

		if (cap > SIZE_MAX / sizeof(*h))
			return -ENOMEM;
		h = realloc(loop->heap, cap * sizeof(*h));
		if (h == NULL)
			return -ENOMEM;
		loop->heap = h;
		loop->heap_cap = cap;
	}
	heap_set(loop, loop->heap_len++, ev);
	heap_sift_up(loop, ev->u.timer.idx);
	return 0;
}

static void
heap_remove(struct ev_loop *loop, struct ev *ev)
{
	size_t i = ev->u.timer.idx;
	struct ev *last = loop->heap[--loop->heap_len];

	if (i == loop->heap_len)
		return;
	heap_set(loop, i, last);
	heap_fix(loop, i);
}

/* Loop ------------------------------------------------------------------- */

struct ev_loop *
ev_loop_new(void)
{
	struct ev_loop *loop;

	loop = calloc(1, sizeof(*loop));
	if (loop == NULL)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd == -1) {
		int saved = errno;

		free(loop);
		errno = saved;
		return NULL;
	}
	loop->now_fn = ev_clock_monotonic;
	link_init(&loop->defers);
	link_init(&loop->defers_run);
	link_init(&loop->fds);
	link_init(&loop->zombies);
	loop->sigfd = -1;
	sigemptyset(&loop->sigmask);
	loop->sigfd_ev.loop = loop;
	loop->sigfd_ev.kind = EV_KIND_SIGFD;
	link_init(&loop->sigfd_ev.link);
	loop->tfd = -1;
	loop->tfd_ev.loop = loop;
	loop->tfd_ev.kind = EV_KIND_TIMERFD;
	link_init(&loop->tfd_ev.link);
	return loop;
}

/* Detach ev from its ref, so the caller sees it as no longer pending. */
static void
ev_clear_ref(struct ev *ev)
{
	if (ev->ref != NULL) {
		ev->ref->ev = NULL;
		ev->ref = NULL;
	}
}

static void
ev_attach(struct ev *ev, struct ev_ref *ref)
{
	ev->ref = ref;
	if (ref != NULL)
		ref->ev = ev;
}

static void
free_zombies(struct ev_loop *loop)
{
	while (!link_empty(&loop->zombies)) {
		struct ev *ev = EV_FROM_LINK(loop->zombies.next);

		link_remove(&ev->link);
		free(ev);
	}
}

void
ev_loop_free(struct ev_loop *loop)
{
	if (loop == NULL)
		return;
	for (size_t i = 0; i < loop->heap_len; i++) {
		ev_clear_ref(loop->heap[i]);
		free(loop->heap[i]);
	}
	free(loop->heap);
	/* Closing epfd drops the registrations, so fds need no EPOLL_CTL_DEL. */
	link_splice(&loop->defers, &loop->defers_run);
	link_splice(&loop->defers, &loop->fds);
	while (!link_empty(&loop->defers)) {
		struct ev *ev = EV_FROM_LINK(loop->defers.next);

		link_remove(&ev->link);
		ev_clear_ref(ev);
		free(ev);
	}
	for (int s = 0; s < _NSIG; s++) {
		if (loop->sigs[s] != NULL) {
			ev_clear_ref(loop->sigs[s]);
			free(loop->sigs[s]);
		}
	}
	free_zombies(loop);
	if (loop->sigfd != -1)
		close(loop->sigfd);
	if (loop->tfd != -1)
		close(loop->tfd);
	close(loop->epfd);
	/* Last: the refs cleared above may lie in it. */
	if (loop->aux_free != NULL)
		loop->aux_free(loop->aux);
	free(loop);
}

size_t
ev_batch_events(const struct ev_loop *loop)
{
	return loop->in_batch ? loop->batch_nev : 0;
}

void *
ev_loop_aux(const struct ev_loop *loop)
{
	return loop->aux;
}

void
ev_loop_set_aux(struct ev_loop *loop, void *aux, void (*aux_free)(void *))
{
	loop->aux = aux;
	loop->aux_free = aux_free;
}

size_t
ev_loop_pending(const struct ev_loop *loop)
{
	return loop->npending;
}

void
ev_break(struct ev_loop *loop)
{
	loop->stop = true;
}

bool
ev_pending(const struct ev_ref *ref)
{
	return ref != NULL && ref->ev != NULL;
}

/* fd watchers ------------------------------------------------------------ */

static uint32_t
fd_epoll_events(unsigned int events)
{
	uint32_t e = 0;

	if (events & EV_READ)
		e |= EPOLLIN;
	if (events & EV_WRITE)
		e |= EPOLLOUT;
	return e;
}

/* Make the epoll registration match ev->u.fd.events; 0 or -errno. */
static int
fd_sync(struct ev *ev, unsigned int events)
{
	struct ev_loop *loop = ev->loop;
	struct epoll_event ee = { .events = fd_epoll_events(events),
	    .data.ptr = ev };

	if (events == 0) {
		/*
		 * A paused watcher leaves epoll entirely: epoll reports
		 * EPOLLERR/EPOLLHUP even for an empty mask, and a hung-up fd
		 * would wake the loop forever.
		 */
		if (ev->u.fd.registered)
			(void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, ev->u.fd.fd,
			    NULL);
		ev->u.fd.registered = false;
	} else {
		int op = ev->u.fd.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

		if (epoll_ctl(loop->epfd, op, ev->u.fd.fd, &ee) == -1)
			return -errno;
		ev->u.fd.registered = true;
	}
	ev->u.fd.events = events;
	return 0;
}

int
ev_fd_add(struct ev_loop *loop, int fd, unsigned int events, ev_cb cb,
    void *arg, struct ev_ref *ref)
{
	struct ev *ev;
	int r;

	ev_cancel(ref);
	if (ref == NULL || cb == NULL || fd < 0 ||
	    (events & ~(EV_READ | EV_WRITE)) != 0)
		return -EINVAL;
	ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		return -ENOMEM;
	ev->loop = loop;
	ev->kind = EV_KIND_FD;
	ev->cb = cb;
	ev->arg = arg;
	ev->u.fd.fd = fd;
	r = fd_sync(ev, events);
	if (r < 0) {
		free(ev);
		return r;
	}
	link_append(&loop->fds, &ev->link);
	ev_attach(ev, ref);
	loop->npending++;
	return 0;
}

int
ev_fd_mod(struct ev_ref *ref, unsigned int events)
{
	struct ev *ev = ref != NULL ? ref->ev : NULL;

	if (ev == NULL || ev->kind != EV_KIND_FD)
		return -ENOENT;
	if ((events & ~(EV_READ | EV_WRITE)) != 0)
		return -EINVAL;
	return fd_sync(ev, events);
}

/* Run one fd watcher for epoll events e; 1 if its callback ran. */
static int
fd_dispatch(struct ev_loop *loop, struct ev *ev, uint32_t e)
{
	unsigned int re = 0;

	/* Cancelled or paused by an earlier callback of this batch. */
	if (ev->u.fd.dead || !ev->u.fd.registered)
		return 0;
	if (e & EPOLLIN)
		re |= EV_READ;
	if (e & EPOLLOUT)
		re |= EV_WRITE;
	re &= ev->u.fd.events;
	if (e & EPOLLERR)
		re |= EV_ERROR;
	if (e & EPOLLHUP)
		re |= EV_HUP;
	if (re & (EV_ERROR | EV_HUP))
		re |= ev->u.fd.events;
	if (re == 0)
		return 0;
	ev->cb(loop, ev->arg, re);
	return 1;
}

/* Timers ----------------------------------------------------------------- */

int
ev_timer_add_at(struct ev_loop *loop, uint64_t when_ms, ev_cb cb, void *arg,
    struct ev_ref *ref)
{
	struct ev *ev = ref != NULL ? ref->ev : NULL;
	int r;

	if (ev != NULL && ev->kind == EV_KIND_TIMER && ev->loop == loop &&
	    cb != NULL) {
		/* Reschedule in place: same as cancel + add, minus malloc. */
		ev->cb = cb;
		ev->arg = arg;
		ev->u.timer.when = when_ms;
		ev->u.timer.seq = loop->seq++;
		heap_fix(loop, ev->u.timer.idx);
		return 0;
	}
	ev_cancel(ref);
	if (cb == NULL)
		return -EINVAL;
	ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		return -ENOMEM;
	ev->loop = loop;
	ev->kind = EV_KIND_TIMER;
	ev->cb = cb;
	ev->arg = arg;
	ev->u.timer.when = when_ms;
	ev->u.timer.seq = loop->seq++;
	r = heap_push(loop, ev);
	if (r < 0) {
		free(ev);
		return r;
	}
	ev_attach(ev, ref);
	loop->npending++;
	return 0;
}

int
ev_timer_add(struct ev_loop *loop, uint64_t delay_ms, ev_cb cb, void *arg,
    struct ev_ref *ref)
{
	uint64_t now = ev_now(loop);
	uint64_t when = delay_ms > UINT64_MAX - now ? UINT64_MAX : now + delay_ms;

	return ev_timer_add_at(loop, when, cb, arg, ref);
}

uint64_t
ev_timer_remaining(const struct ev_ref *ref)
{
	const struct ev *ev = ref != NULL ? ref->ev : NULL;
	uint64_t now;

	if (ev == NULL || ev->kind != EV_KIND_TIMER)
		return 0;
	now = ev_now(ev->loop);
	return ev->u.timer.when > now ? ev->u.timer.when - now : 0;
}

int
ev_next_timer(const struct ev_loop *loop, uint64_t *ret_when)
{
	if (loop->heap_len == 0)
		return -ENOENT;
	*ret_when = loop->heap[0]->u.timer.when;
	return 0;
}

/*
 * Fire the timers due at one snapshot of the clock.  Timers added or
 * rescheduled by these callbacks carry a sequence number >= limit and wait
 * for the next iteration, so a zero-delay re-arm cannot loop forever here.
 */
static int
run_timers(struct ev_loop *loop)
{
	uint64_t now = ev_now(loop), limit = loop->seq;
	int n = 0;

	while (loop->heap_len > 0) {
		struct ev *ev = loop->heap[0];
		ev_cb cb = ev->cb;
		void *arg = ev->arg;

		if (ev->u.timer.when > now || ev->u.timer.seq >= limit)
			break;
		heap_remove(loop, ev);
		ev_clear_ref(ev);
		loop->npending--;
		free(ev);
		/* ev is gone: the callback may re-arm, cancel or free freely. */
		cb(loop, arg, EV_TIMER);
		n++;
	}
	return n;
}

/* Signals ---------------------------------------------------------------- */

int
ev_signal_add(struct ev_loop *loop, int signo, ev_cb cb, void *arg,
    struct ev_ref *ref)
{
	struct ev *ev;
	sigset_t one, mask;

	ev_cancel(ref);
	if (ref == NULL || cb == NULL || signo <= 0 || signo >= _NSIG ||
	    signo == SIGKILL || signo == SIGSTOP)
		return -EINVAL;
	if (loop->sigs[signo] != NULL)
		return -EEXIST;
	ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		return -ENOMEM;
	ev->loop = loop;
	ev->kind = EV_KIND_SIGNAL;
	ev->cb = cb;
	ev->arg = arg;
	ev->u.sig.signo = signo;

	/* signalfd only sees signals that are blocked; block before reading. */
	sigemptyset(&one);
	sigaddset(&one, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL) == -1)
		goto out_errno;
	mask = loop->sigmask;
	sigaddset(&mask, signo);
	if (loop->sigfd == -1) {
		struct epoll_event ee = { .events = EPOLLIN,
		    .data.ptr = &loop->sigfd_ev };
		int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

		if (fd == -1)
			goto out_errno;
		if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ee) == -1) {
			int saved = errno;

			close(fd);
			errno = saved;
			goto out_errno;
		}
		loop->sigfd = fd;
	} else if (signalfd(loop->sigfd, &mask, 0) == -1)
		goto out_errno;
	loop->sigmask = mask;
	loop->sigs[signo] = ev;
	ev_attach(ev, ref);
	loop->npending++;
	return 0;

out_errno:
	free(ev);
	return -errno;
}

static void
signal_remove(struct ev_loop *loop, struct ev *ev)
{
	int signo = ev->u.sig.signo;

	loop->sigs[signo] = NULL;
	sigdelset(&loop->sigmask, signo);
	/* Cannot fail on our own signalfd with a valid mask. */
	(void)signalfd(loop->sigfd, &loop->sigmask, 0);
}

static int
run_signals(struct ev_loop *loop)
{
	struct signalfd_siginfo si;
	int n = 0;

	while (read(loop->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		struct ev *ev;

		if (si.ssi_signo >= _NSIG)
			continue;
		/* Looked up per signal: a callback may cancel a watcher. */
		ev = loop->sigs[si.ssi_signo];
		if (ev == NULL)
			continue;
		ev->cb(loop, ev->arg, EV_SIGNAL);
		n++;
	}
	return n;
}

/* Deferred calls --------------------------------------------------------- */

int
ev_defer(struct ev_loop *loop, ev_cb cb, void *arg, struct ev_ref *ref)
{
	struct ev *ev = ref != NULL ? ref->ev : NULL;

	if (ev != NULL && ev->kind == EV_KIND_DEFER && ev->loop == loop &&
	    cb != NULL) {
		ev->cb = cb;
		ev->arg = arg;
		link_remove(&ev->link);
		link_append(&loop->defers, &ev->link);
		return 0;
	}
	ev_cancel(ref);
	if (cb == NULL)
		return -EINVAL;
	ev = calloc(1, sizeof(*ev));
	if (ev == NULL)
		return -ENOMEM;
	ev->loop = loop;
	ev->kind = EV_KIND_DEFER;
	ev->cb = cb;
	ev->arg = arg;
	link_append(&loop->defers, &ev->link);
	ev_attach(ev, ref);
	loop->npending++;
	return 0;
}

/*
 * Run the defers queued so far.  They are moved to a private queue first, so
 * a defer added by one of these callbacks waits for the next drain.
 */
static int
run_defers(struct ev_loop *loop)
{
	int n = 0;

	link_splice(&loop->defers_run, &loop->defers);
	while (!link_empty(&loop->defers_run)) {
		struct ev *ev = EV_FROM_LINK(loop->defers_run.next);
		ev_cb cb = ev->cb;
		void *arg = ev->arg;

		link_remove(&ev->link);
		ev_clear_ref(ev);
		loop->npending--;
		free(ev);
		cb(loop, arg, EV_DEFER);
		n++;
	}
	return n;
}

/* Cancel ----------------------------------------------------------------- */

void
ev_cancel(struct ev_ref *ref)
{
	struct ev *ev;
	struct ev_loop *loop;

	if (ref == NULL || ref->ev == NULL)
		return;
	ev = ref->ev;
	loop = ev->loop;
	ev_clear_ref(ev);
	loop->npending--;
	switch (ev->kind) {
	case EV_KIND_FD:
		(void)fd_sync(ev, 0);
		link_remove(&ev->link);
		if (loop->in_batch) {
			/* The epoll batch may still point here: free later. */
			ev->u.fd.dead = true;
			link_append(&loop->zombies, &ev->link);
			return;
		}
		break;
	case EV_KIND_TIMER:
		heap_remove(loop, ev);
		break;
	case EV_KIND_SIGNAL:
		signal_remove(loop, ev);
		break;
	case EV_KIND_DEFER:
		link_remove(&ev->link);
		break;
	case EV_KIND_SIGFD:
	case EV_KIND_TIMERFD:
		/* never attached to a ref */
		break;
	}
	free(ev);
}

/* The timerfd ------------------------------------------------------------ */

/*
 * Why a timerfd (issue 14): epoll_wait() with a timeout arms a kernel timer
 * on every sleep and cancels it on every wake-up, which a loop serving one
 * request at a time (sleeping between them) pays per request; an epoll
 * server without timers waits with -1.  The loop's first deadline stays
 * armed in a timerfd in the epoll set instead, and the loop sleeps with -1.
 * The timerfd is set again (one system call) only once it expired, or when
 * a deadline earlier than the one armed comes first: once per period for a
 * periodic timer (the registrar's 10 ms keep-alive tick: 100 calls a
 * second, against a timer armed and cancelled per request).  A first timer
 * cancelled or moved later leaves one early wake-up behind, which sets it
 * to the new first deadline.  Only on the real clock: an injected clock has
 * no timerfd.
 */

/* Give up the timerfd: epoll timeouts from now on. */
static void
tfd_off(struct ev_loop *loop)
{
	if (loop->tfd != -1)
		close(loop->tfd);	/* leaves the epoll set with it */
	loop->tfd = -1;
	loop->tfd_state = EV_TFD_OFF;
}

/*
 * Before a sleep: have the timerfd wake the loop at when_ms (have: a timer
 * is pending), and clear it if it expired.  True if it wakes the loop at or
 * before when_ms, so that the sleep needs no timeout of its own.
 */
static bool
tfd_sync(struct ev_loop *loop, bool have, uint64_t when_ms)
{
	struct itimerspec its;

	if (loop->tfd_state == EV_TFD_OFF)
		return false;
	if (loop->now_fn != ev_clock_monotonic)
		have = false;
	if (loop->tfd_state == EV_TFD_ARMED && have &&
	    loop->tfd_when <= when_ms)
		return true;
	if (!have && (loop->tfd_state == EV_TFD_NONE ||
	    loop->tfd_state == EV_TFD_IDLE))
		return false;
	if (loop->tfd_state == EV_TFD_NONE) {
		struct epoll_event ee = { .events = EPOLLIN,
		    .data.ptr = &loop->tfd_ev };

		loop->tfd = timerfd_create(CLOCK_MONOTONIC,
		    TFD_NONBLOCK | TFD_CLOEXEC);
		if (loop->tfd == -1 ||
		    epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->tfd, &ee) == -1) {
			tfd_off(loop);
			return false;
		}
	}
	/* Setting it, or disarming it, also clears an expiry. */
	memset(&its, 0, sizeof(its));
	if (have) {
		its.it_value.tv_sec = (time_t)(when_ms / 1000);
		its.it_value.tv_nsec = (long)(when_ms % 1000) * 1000000;
		if (when_ms == 0)
			its.it_value.tv_nsec = 1;	/* 0 would disarm it */
	}
	if (timerfd_settime(loop->tfd, TFD_TIMER_ABSTIME, &its, NULL) == -1) {
		tfd_off(loop);
		return false;
	}
	loop->tfd_state = have ? EV_TFD_ARMED : EV_TFD_IDLE;
	loop->tfd_when = when_ms;
	return have;
}

int
ev_loop_timer_fd(const struct ev_loop *loop)
{
	return loop->tfd_state == EV_TFD_ARMED ? loop->tfd : -1;
}

/* Iterations ------------------------------------------------------------- */

/* How long epoll_wait may sleep: bounded by the caller, timers and defers. */
static int
wait_timeout(struct ev_loop *loop, int timeout_ms)
{
	uint64_t now, when, d;

	/* Queued defers, or ev_break() from a defer: do not sleep. */
	if (!link_empty(&loop->defers) || loop->stop || timeout_ms == 0)
		return 0;
	if (loop->heap_len == 0) {
		(void)tfd_sync(loop, false, 0);
		return timeout_ms < 0 ? -1 : timeout_ms;
	}
	now = ev_now(loop);
	when = loop->heap[0]->u.timer.when;
	d = when > now ? when - now : 0;
	if (d == 0)
		return 0;
	/* The timerfd wakes the loop by the deadline: no timeout of its own. */
	if (tfd_sync(loop, true, when) &&
	    (timeout_ms < 0 || d <= (uint64_t)timeout_ms))
		return timeout_ms;
	if (timeout_ms >= 0 && d > (uint64_t)timeout_ms)
		return timeout_ms;
	return d > INT_MAX ? INT_MAX : (int)d;
}

int
ev_run_once(struct ev_loop *loop, int timeout_ms)
{
	int n = 0, nev;

	if (loop->in_iter)
		return -EBUSY;
	loop->in_iter = true;

	n += run_defers(loop);
	nev = epoll_wait(loop->epfd, loop->evs, EV_BATCH,
	    wait_timeout(loop, timeout_ms));
	if (nev == -1) {
		int r = -errno;

		if (r != -EINTR) {
			loop->in_iter = false;
			return r;
		}
		nev = 0;
	}

	loop->in_batch = true;
	loop->batch_nev = (size_t)nev;
	for (int i = 0; i < nev; i++) {
		struct ev *ev = loop->evs[i].data.ptr;

		if (ev->kind == EV_KIND_SIGFD)
			n += run_signals(loop);
		else if (ev->kind == EV_KIND_TIMERFD)
			loop->tfd_state = EV_TFD_FIRED;	/* run_timers below */
		else
			n += fd_dispatch(loop, ev, loop->evs[i].events);
	}
	loop->in_batch = false;
	loop->batch_nev = 0;
	free_zombies(loop);

	n += run_timers(loop);
	n += run_defers(loop);
	loop->in_iter = false;
	return n;
}

int
ev_run(struct ev_loop *loop)
{
	loop->stop = false;
	while (!loop->stop && loop->npending > 0) {
		int r = ev_run_once(loop, -1);

		if (r < 0) {
			loop->stop = false;
			return r;
		}
	}
	/* A stale stop would keep later ev_run_once() calls from sleeping. */
	loop->stop = false;
	return 0;
}

/* Test clock ------------------------------------------------------------- */

static uint64_t
ev_test_clock_now(void *arg)
{
	const struct ev_test_clock *clock = arg;

	return clock->now_ms;
}

void
ev_test_clock_install(struct ev_loop *loop, struct ev_test_clock *clock,
    uint64_t start_ms)
{
	clock->now_ms = start_ms;
	ev_loop_set_clock(loop, ev_test_clock_now, clock);
}

int
ev_test_clock_advance(struct ev_loop *loop, struct ev_test_clock *clock,
    uint64_t ms)
{
	uint64_t target, when;
	int n = 0, r;

	target = ms > UINT64_MAX - clock->now_ms ? UINT64_MAX :
	    clock->now_ms + ms;
	while (ev_next_timer(loop, &when) == 0 && when <= target) {
		if (when > clock->now_ms)
			clock->now_ms = when;
		r = ev_run_once(loop, 0);
		if (r < 0)
			return r;
		n += r;
	}
	clock->now_ms = target;
	r = ev_run_once(loop, 0);
	if (r < 0)
		return r;
	return n + r;
}
