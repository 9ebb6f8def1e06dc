/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The transport of ASAP and ENRP messages on a connected socket, for every
 * daemon and connection kind.  Receiving the TCP mapping: messages back to
 * back on a stream, each delimited by its own length field and padded to 4
 * (rsp_frame()).  Sending: a bounded queue of whole padded messages, flushed
 * as a byte stream (TCP) or one SCTP user message per message with the
 * protocol's PPID.
 */
#ifndef ANYPOOL_STREAM_H
#define ANYPOOL_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rsp_stream {
	uint8_t		*buf;		/* received, not yet handed on */
	size_t		 len, cap;
	bool		 notice_rest;	/* SCTP: the rest of a notification */
	/* In the callback: nothing follows the message in what was read,
	 * and the read left the socket empty (TCP mapping), or it is an
	 * SCTP user message (each is read and sent on its own). */
	bool		 last;
};

/* Why rsp_stream_read() returned. */
enum rsp_stream_end {
	RSP_STREAM_AGAIN,	/* the socket has nothing more for now */
	RSP_STREAM_STOPPED,	/* the callback asked to stop */
	RSP_STREAM_EOF,		/* the peer closed its side */
	RSP_STREAM_ERROR,	/* recv() failed: errno says why */
	RSP_STREAM_UNFRAMEABLE,	/* a length below 4: the stream is lost */
	RSP_STREAM_TOO_BIG,	/* a message longer than max_msg */
	RSP_STREAM_NOMEM,	/* no memory for the receive buffer */
};

/*
 * Read what fd (non-blocking) has and hand each whole message to cb, in
 * order; cb returns false to stop (e.g. it closed the connection).
 * max_msg: the longest message accepted.  The buffer is allocated on first
 * use (RSP_STREAM_NOMEM if it cannot be).
 */
enum rsp_stream_end rsp_stream_read(struct rsp_stream *s, int fd,
	    size_t max_msg, bool (*cb)(void *arg, const uint8_t *msg,
	    size_t len), void *arg);
/*
 * Batched reads (lib/iobatch): where the next read of s goes, allocating
 * the buffer on first use (0, or -ENOMEM); then rsp_stream_read_after()
 * goes on as rsp_stream_read() with first, the result of that read made
 * by the caller (bytes, 0 at the end of the stream, or -errno), as its
 * first recv().
 */
int	rsp_stream_space(struct rsp_stream *s, size_t max_msg, uint8_t **ret_p,
	    size_t *ret_len);
enum rsp_stream_end rsp_stream_read_after(struct rsp_stream *s, int fd,
	    size_t max_msg, long first, bool (*cb)(void *arg,
	    const uint8_t *msg, size_t len), void *arg);
/*
 * The same over an SCTP one-to-one socket: each SCTP user message (gathered
 * up to MSG_EOR) goes to cb with its PPID (host order).  Notifications are
 * not handed on; the end of the association (SHUTDOWN received, or the
 * association's end, which cn_sctp_events() subscribes) is the end of the
 * stream: RSP_STREAM_EOF, or RSP_STREAM_ERROR with ECONNRESET where it was
 * lost.  RSP_STREAM_TOO_BIG when a message does not fit max_msg.
 */
enum rsp_stream_end rsp_stream_read_sctp(struct rsp_stream *s, int fd,
	    size_t max_msg, bool (*cb)(void *arg, uint32_t ppid,
	    const uint8_t *msg, size_t len), void *arg);
/*
 * The same with a reader instead of recv() (TLS): rd returns bytes read
 * (> 0), 0 at the end of the stream, or -1 with errno (EAGAIN: nothing
 * more for now).  It is called until it says EAGAIN, since a short read
 * does not mean that the source is drained.
 */
enum rsp_stream_end rsp_stream_read_with(struct rsp_stream *s,
	    size_t max_msg, long (*rd)(void *rarg, uint8_t *buf, size_t len),
	    void *rarg, bool (*cb)(void *arg, const uint8_t *msg, size_t len),
	    void *arg);
/* Free the buffer (NULL-safe contents). */
void	rsp_stream_free(struct rsp_stream *s);

/* Messages waiting for the socket to take them. */
struct rsp_outq {
	uint8_t		*buf;
	size_t		 len, cap;
};

/*
 * Queue one padded message: 0, -ENOBUFS past max bytes waiting, -ENOMEM;
 * nothing is queued on failure.
 */
int	rsp_outq_add(struct rsp_outq *q, const uint8_t *p, size_t len,
	    size_t max);
/*
 * Send what the socket takes now (non-blocking): as a byte stream, or over
 * SCTP one message per user message with PPID ppid.  0 (q->len says what
 * is left), or -1 with errno on a socket error.
 */
int	rsp_outq_flush(struct rsp_outq *q, int fd, bool sctp, uint32_t ppid);
/* Drop the first n bytes, sent by the caller (a batched send). */
void	rsp_outq_consume(struct rsp_outq *q, size_t n);
void	rsp_outq_free(struct rsp_outq *q);

#endif
