/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * -B of the bench tools (asap_load, echo_server): one batch of plaintext
 * connections read with one system call and answered with one more
 * (lib/iobatch), each connection seen as its fd and two buffers.
 */
#ifndef ANYPOOL_BENCH_BATCH_H
#define ANYPOOL_BENCH_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "iobatch.h"

struct bb_conn {
	int		 fd;
	uint8_t		*in;		/* receive buffer: in[*inlen..incap) free */
	size_t		*inlen, incap;
	uint8_t		*out;		/* what to send: out[0..*outlen) */
	size_t		*outlen;
};

/* A connection c of either tool (both name their fields so). */
#define BB_CONN(c)	((struct bb_conn){ .fd = (c)->fd, .in = (c)->in, \
			    .inlen = &(c)->inlen, .incap = sizeof((c)->in), \
			    .out = (c)->out, .outlen = &(c)->outlen })

/* One batch: the connections and their results. */
struct bb_batch {
	struct bb_conn	 v[IOB_MAX];
	long		 res[IOB_MAX];
};

/* Fill b from the m connections cv[] of either tool and read them. */
#define BB_RECV(iob, b, cv, m) do {					\
	for (int i_ = 0; i_ < (m); i_++)				\
		(b)->v[i_] = BB_CONN((cv)[i_]);				\
	bb_recv((iob), (b)->v, (size_t)(m), (b)->res);			\
} while (0)

/* recv() into each one's free space; res[i]: bytes, 0 at EOF, or -errno. */
void	bb_recv(struct iob *iob, const struct bb_conn *v, size_t n,
	    long *res);
/*
 * send() what each one has queued and drop what went; res[i]: bytes, or
 * -errno (-EAGAIN: nothing went), 0 where nothing was queued.
 */
void	bb_send(struct iob *iob, const struct bb_conn *v, size_t n,
	    long *res);

#endif
