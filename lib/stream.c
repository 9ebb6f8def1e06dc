/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TCP mapping's reader; see stream.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "codec.h"
#include "log.h"
#include "stream.h"

enum rsp_stream_end
rsp_stream_read(struct rsp_stream *s, int fd, size_t max_msg,
    bool (*cb)(void *arg, const uint8_t *msg, size_t len), void *arg)
{
	ssize_t n;
	long f;

	if (s->buf == NULL) {
		s->cap = roundup4(max_msg) + 4;
		if ((s->buf = malloc(s->cap)) == NULL)
			fatal("%s", __func__);
		s->len = 0;
	}
	for (;;) {
		n = recv(fd, s->buf + s->len, s->cap - s->len, 0);
		if (n == 0)
			return RSP_STREAM_EOF;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return RSP_STREAM_AGAIN;
			return RSP_STREAM_ERROR;
		}
		s->len += (size_t)n;
		while ((f = rsp_frame(s->buf, s->len)) != 0) {
			/* No way to find the next message: give up. */
			if (f < 0)
				return RSP_STREAM_UNFRAMEABLE;
			if (!cb(arg, s->buf, (size_t)f))
				return RSP_STREAM_STOPPED;
			memmove(s->buf, s->buf + f, s->len - (size_t)f);
			s->len -= (size_t)f;
		}
		if (s->len >= RSP_MSG_HDR_LEN &&
		    roundup4(get_u16(s->buf + 2)) > s->cap)
			return RSP_STREAM_TOO_BIG;
		if ((size_t)n < s->cap - s->len)
			return RSP_STREAM_AGAIN;	/* drained */
	}
}

void
rsp_stream_free(struct rsp_stream *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}
