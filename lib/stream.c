/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sending and receiving ASAP/ENRP messages on a socket; see stream.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/sctp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "codec.h"
#include "iobatch.h"
#include "stream.h"

/* The receive buffer, allocated on first use: a whole message and a bit. */
static int
stream_alloc(struct rsp_stream *s, size_t max_msg)
{
	s->cap = roundup4(max_msg) + 4;
	s->len = 0;
	if ((s->buf = malloc(s->cap)) == NULL) {
		s->cap = 0;
		return -ENOMEM;
	}
	return 0;
}

/*
 * The one framing loop of the TCP mapping: rd() fills the buffer (recv(),
 * or TLS), each whole message goes to cb.  short_is_drained: a read shorter
 * than asked means the socket is empty (true for recv(); not for TLS, which
 * may hold decrypted bytes that epoll does not report, so it reads until
 * rd() says EAGAIN).
 */
static inline enum rsp_stream_end
stream_read(struct rsp_stream *s, size_t max_msg,
    long (*rd)(void *rarg, uint8_t *buf, size_t len), void *rarg,
    bool short_is_drained, const long *first,
    bool (*cb)(void *arg, const uint8_t *msg, size_t len), void *arg)
{
	long n, f;
	bool drained;

	if (s->buf == NULL && stream_alloc(s, max_msg) != 0)
		return RSP_STREAM_NOMEM;
	for (;;) {
		if (first != NULL)	/* the caller's read, made already */
			n = iob_result(*first);
		else
			n = rd(rarg, s->buf + s->len, s->cap - s->len);
		first = NULL;
		if (n == 0)
			return RSP_STREAM_EOF;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return RSP_STREAM_AGAIN;
			return RSP_STREAM_ERROR;
		}
		drained = short_is_drained && (size_t)n < s->cap - s->len;
		s->len += (size_t)n;
		while ((f = rsp_frame(s->buf, s->len)) != 0) {
			/* No way to find the next message: give up. */
			if (f < 0)
				return RSP_STREAM_UNFRAMEABLE;
			s->last = drained && (size_t)f == s->len;
			if (!cb(arg, s->buf, (size_t)f))
				return RSP_STREAM_STOPPED;
			memmove(s->buf, s->buf + f, s->len - (size_t)f);
			s->len -= (size_t)f;
		}
		if (s->len >= RSP_MSG_HDR_LEN &&
		    roundup4(get_u16(s->buf + 2)) > s->cap)
			return RSP_STREAM_TOO_BIG;
		if (drained)
			return RSP_STREAM_AGAIN;
	}
}

static long
stream_recv(void *rarg, uint8_t *buf, size_t len)
{
	return (long)recv(*(const int *)rarg, buf, len, 0);
}

enum rsp_stream_end
rsp_stream_read(struct rsp_stream *s, int fd, size_t max_msg,
    bool (*cb)(void *arg, const uint8_t *msg, size_t len), void *arg)
{
	return stream_read(s, max_msg, stream_recv, &fd, true, NULL, cb, arg);
}

int
rsp_stream_space(struct rsp_stream *s, size_t max_msg, uint8_t **ret_p,
    size_t *ret_len)
{
	if (s->buf == NULL && stream_alloc(s, max_msg) != 0)
		return -ENOMEM;
	*ret_p = s->buf + s->len;
	*ret_len = s->cap - s->len;
	return 0;
}

enum rsp_stream_end
rsp_stream_read_after(struct rsp_stream *s, int fd, size_t max_msg,
    long first, bool (*cb)(void *arg, const uint8_t *msg, size_t len),
    void *arg)
{
	return stream_read(s, max_msg, stream_recv, &fd, true, &first, cb,
	    arg);
}

enum rsp_stream_end
rsp_stream_read_with(struct rsp_stream *s, size_t max_msg,
    long (*rd)(void *rarg, uint8_t *buf, size_t len), void *rarg,
    bool (*cb)(void *arg, const uint8_t *msg, size_t len), void *arg)
{
	return stream_read(s, max_msg, rd, rarg, false, NULL, cb, arg);
}

/*
 * What a notification says of the association: RSP_STREAM_AGAIN (nothing
 * that ends it: read on), RSP_STREAM_EOF (the peer shut down, or it ended
 * gracefully), RSP_STREAM_ERROR (it was lost or aborted).  p holds the
 * first n bytes (a notification cut short by the buffer says what it is in
 * its header).
 */
static enum rsp_stream_end
sctp_notice(const uint8_t *p, size_t n)
{
	struct sctp_assoc_change ac;
	uint16_t type;

	if (n < sizeof(type))
		return RSP_STREAM_AGAIN;
	memcpy(&type, p, sizeof(type));
	if (type == SCTP_SHUTDOWN_EVENT)
		return RSP_STREAM_EOF;
	if (type != SCTP_ASSOC_CHANGE || n < sizeof(ac))
		return RSP_STREAM_AGAIN;
	memcpy(&ac, p, sizeof(ac));
	switch (ac.sac_state) {
	case SCTP_SHUTDOWN_COMP:
		return RSP_STREAM_EOF;
	case SCTP_COMM_LOST:
	case SCTP_CANT_STR_ASSOC:
		return RSP_STREAM_ERROR;
	default:
		return RSP_STREAM_AGAIN;	/* COMM_UP, RESTART */
	}
}

enum rsp_stream_end
rsp_stream_read_sctp(struct rsp_stream *s, int fd, size_t max_msg,
    bool (*cb)(void *arg, uint32_t ppid, const uint8_t *msg, size_t len),
    void *arg)
{
	enum rsp_stream_end end;
	struct sctp_sndrcvinfo sinfo;
	bool first;
	int flags;
	ssize_t n;

	if (s->buf == NULL && stream_alloc(s, max_msg) != 0)
		return RSP_STREAM_NOMEM;
	for (;;) {
		if (s->len == s->cap)
			return RSP_STREAM_TOO_BIG;
		flags = 0;
		memset(&sinfo, 0, sizeof(sinfo));
		n = sctp_recvmsg(fd, s->buf + s->len, s->cap - s->len, NULL,
		    NULL, &sinfo, &flags);
		if (n == 0)
			return RSP_STREAM_EOF;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return RSP_STREAM_AGAIN;
			return RSP_STREAM_ERROR;
		}
		if (flags & MSG_NOTIFICATION) {
			first = !s->notice_rest;
			s->notice_rest = !(flags & MSG_EOR);
			if (!first || (end = sctp_notice(s->buf + s->len,
			    (size_t)n)) == RSP_STREAM_AGAIN)
				continue;
			if (end == RSP_STREAM_ERROR)
				errno = ECONNRESET;
			return end;
		}
		s->len += (size_t)n;
		if (!(flags & MSG_EOR))
			continue;	/* the rest of the message follows */
		n = (ssize_t)s->len;
		s->len = 0;
		s->last = true;
		if (!cb(arg, ntohl(sinfo.sinfo_ppid), s->buf, (size_t)n))
			return RSP_STREAM_STOPPED;
	}
}

void
rsp_stream_free(struct rsp_stream *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

int
rsp_outq_add(struct rsp_outq *q, const uint8_t *p, size_t len, size_t max)
{
	if (q->len + len > max)
		return -ENOBUFS;
	if (buf_reserve(&q->buf, &q->cap, q->len + len) != 0)
		return -ENOMEM;
	memcpy(q->buf + q->len, p, len);
	q->len += len;
	return 0;
}

void
rsp_outq_consume(struct rsp_outq *q, size_t n)
{
	if (n > q->len)
		n = q->len;
	memmove(q->buf, q->buf + n, q->len - n);
	q->len -= n;
}

int
rsp_outq_flush(struct rsp_outq *q, int fd, bool sctp, uint32_t ppid)
{
	size_t off = 0;
	ssize_t n;
	long f;
	int rc = 0;

	while (off < q->len) {
		if (sctp) {
			/* One message per SCTP user message (RFC 5352 §1). */
			if ((f = rsp_frame(q->buf + off, q->len - off)) <= 0) {
				errno = EINVAL;
				rc = -1;
				break;
			}
			n = sctp_sendmsg(fd, q->buf + off, (size_t)f, NULL, 0,
			    htonl(ppid), 0, 0, 0, 0);
			if (n >= 0)
				n = f;
		} else {
			n = send(fd, q->buf + off, q->len - off, MSG_NOSIGNAL);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				rc = -1;
			break;
		}
		off += (size_t)n;
	}
	rsp_outq_consume(q, off);
	return rc;
}

void
rsp_outq_free(struct rsp_outq *q)
{
	free(q->buf);
	q->buf = NULL;
	q->len = q->cap = 0;
}
