/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Batched socket calls (issue 14): the recv() and send() calls that one
 * event-loop iteration makes on different non-blocking sockets, issued in
 * one system call through an io_uring used synchronously.  Every operation
 * carries MSG_DONTWAIT, so the kernel completes it inline, with what the
 * same call made on its own would have returned (bytes, 0 at the end of a
 * stream, -EAGAIN when the socket has nothing or takes nothing now), and
 * nothing is left in flight once iob_run() returns: no buffer has to
 * outlive the call, and a socket may be closed right after it.
 *
 * Why: a system call is the largest single cost of a request on a virtual
 * machine (about 2 µs per call on the 2-core VMs this project is measured
 * on, against about 8 µs for a whole request with its two calls), so n
 * requests ready at once cost one call instead of n.  Where io_uring cannot
 * be had (a kernel without it, kernel.io_uring_disabled, a seccomp filter)
 * or is turned off, iob_run() makes the calls one by one: same results,
 * one code path for the callers.  Prefix iob_.  No logging, no exit.
 */
#ifndef ANYPOOL_IOBATCH_H
#define ANYPOOL_IOBATCH_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

enum iob_op {
	IOB_RECV = 1,
	IOB_SEND,		/* with MSG_NOSIGNAL: EPIPE, not SIGPIPE */
};

struct iob_req {
	int		 fd;
	enum iob_op	 op;
	void		*buf;
	size_t		 len;
	long		 res;	/* out: bytes (0: EOF on recv), or -errno */
};

/* Requests one iob_run() takes at most (the ring's size). */
#define IOB_MAX	64

struct iob;

/*
 * A batcher; use_ring false: always one call per request.  NULL only
 * without memory.  The ring is set up on first use.
 */
struct iob	*iob_new(bool use_ring);
void		 iob_free(struct iob *b);
/* Whether iob_run() batches (the ring is up, or not tried yet). */
bool		 iob_batching(const struct iob *b);
/*
 * Run v[0..n) (n <= IOB_MAX), filling each res.  The number of system
 * calls it took.
 */
unsigned int	 iob_run(struct iob *b, struct iob_req *v, size_t n);
/* A request's res as its call would have returned it: -1 with errno. */
static inline long
iob_result(long res)
{
	if (res >= 0)
		return res;
	errno = (int)-res;
	return -1;
}

#endif /* ANYPOOL_IOBATCH_H */
