/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Batched socket calls through a synchronous io_uring (see iobatch.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <liburing.h>

#include "iobatch.h"

struct iob {
	struct io_uring	 ring;
	bool		 want;		/* use the ring (configuration) */
	bool		 tried;		/* io_uring_queue_init() was called */
	bool		 up;		/* ... and it worked */
};

struct iob *
iob_new(bool use_ring)
{
	struct iob *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->want = use_ring;
	return b;
}

void
iob_free(struct iob *b)
{
	if (b == NULL)
		return;
	if (b->up)
		io_uring_queue_exit(&b->ring);
	free(b);
}

bool
iob_batching(const struct iob *b)
{
	return b->want && (!b->tried || b->up);
}

/*
 * The ring, set up on first use (after a daemon forked, so that no child
 * shares it).  Flags of newer kernels first: completions are reaped only
 * by this thread at its own system calls (no interrupt to run them), one
 * submitter; without them it still works.
 */
static bool
iob_up(struct iob *b)
{
	static const unsigned int flags[] = {
#if defined(IORING_SETUP_COOP_TASKRUN) && defined(IORING_SETUP_SINGLE_ISSUER)
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER,
#endif
		0,
	};

	if (b->tried)
		return b->up;
	b->tried = true;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (io_uring_queue_init(IOB_MAX, &b->ring, flags[i]) == 0) {
			b->up = true;
			break;
		}
	return b->up;
}

/* One request as its own system call. */
static void
iob_one(struct iob_req *r)
{
	ssize_t n;

	do {
		if (r->op == IOB_RECV)
			n = recv(r->fd, r->buf, r->len, MSG_DONTWAIT);
		else
			n = send(r->fd, r->buf, r->len,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	r->res = n >= 0 ? (long)n : -(long)errno;
}

/* Reap completions into v; the number reaped. */
static unsigned int
iob_reap(struct iob *b, struct iob_req *v, size_t n)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;

	io_uring_for_each_cqe(&b->ring, head, cqe) {
		uint64_t k = io_uring_cqe_get_data64(cqe);

		if (k < n && v[k].res == -EINPROGRESS) {
			v[k].res = cqe->res;
			seen++;
		}
	}
	io_uring_cq_advance(&b->ring, io_uring_cq_ready(&b->ring));
	return seen;
}

unsigned int
iob_run(struct iob *b, struct iob_req *v, size_t n)
{
	unsigned int seen, calls = 0;
	size_t i, m;
	int rc;

	if (n == 0)
		return 0;
	/* One request: its own call costs no more than the ring's. */
	if (n == 1 || n > IOB_MAX || !b->want || !iob_up(b)) {
		for (i = 0; i < n; i++)
			iob_one(&v[i]);
		return (unsigned int)n;
	}
	/* The ring has IOB_MAX entries and nothing in flight: all fit. */
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);

		v[i].res = -EINPROGRESS;
		if (sqe == NULL)
			break;
		if (v[i].op == IOB_RECV)
			io_uring_prep_recv(sqe, v[i].fd, v[i].buf, v[i].len,
			    MSG_DONTWAIT);
		else
			io_uring_prep_send(sqe, v[i].fd, v[i].buf, v[i].len,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		io_uring_sqe_set_data64(sqe, i);
	}
	m = i;
	do {
		rc = io_uring_submit_and_wait(&b->ring, (unsigned int)m);
		calls++;
	} while (rc == -EINTR && calls < 8);
	if (rc < 0) {
		/*
		 * Nothing was submitted (the kernel had no memory, or a
		 * filter refuses io_uring_enter): drop the ring with what it
		 * holds, and make these calls and all later ones one by one.
		 */
		io_uring_queue_exit(&b->ring);
		b->up = false;
		for (i = 0; i < n; i++) {
			iob_one(&v[i]);
			calls++;
		}
		return calls;
	}
	/*
	 * MSG_DONTWAIT completes inline, so every completion is there; should
	 * one still be missing, wait for it (never make it again by hand: it
	 * was started).
	 */
	seen = iob_reap(b, v, m);
	while (seen < m && calls < 1000) {
		rc = io_uring_submit_and_wait(&b->ring, 1);
		calls++;
		seen += iob_reap(b, v, m);
	}
	/*
	 * Still missing: the ring is broken; a request it did not answer ends
	 * its connection (-EIO) rather than run twice.  Those that did not fit
	 * (none can) and any EINTR (inline completion never sees one): the
	 * call again, by hand.
	 */
	for (i = 0; i < n; i++)
		if (i < m && v[i].res == -EINPROGRESS)
			v[i].res = -EIO;
		else if (v[i].res == -EINTR || v[i].res == -EINPROGRESS) {
			iob_one(&v[i]);
			calls++;
		}
	return calls;
}
