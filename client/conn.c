/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Non-blocking stream connections of libasap: connect or adopt a TCP or
 * SCTP one-to-one socket, buffer what does not fit into the socket, and cut
 * what arrives into frames.  Over TCP: ASAP messages by their Length field
 * (the TCP mapping) or the session framing of SESSION.md.  Over SCTP every
 * frame is one SCTP user message and its PPID says what it is: 11 (ASAP)
 * for registrar traffic and session control messages, SESSION_DATA_PPID
 * for session user data (RFC 5352 §3.10's multiplexing of the control
 * channel, as RSPLIB does it).  The send queue then keeps message
 * boundaries: each entry is a 4-byte PPID, a 4-byte length and the message.
 * A failure is reported once through the owner's closed() callback, never
 * from inside conn_send(): a write error is left for the loop to report,
 * so callers need not expect re-entrancy.
 *
 * TLS (lib/tls.c, RFC 5352 §9) runs over a TCP connection when the caller
 * hands in a context: after connect() the handshake, then connected(); the
 * queue and the framing are the same, only the bytes go through the TLS
 * session.  A failed handshake closes the connection with the reason kept
 * for conn_tls_fail(); nothing is ever sent in the clear on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "asap_int.h"
#include "addr.h"
#include "buf.h"
#include "conn.h"
#include "tls.h"

static void	conn_io(struct ev_loop *loop, void *arg, unsigned int revents);

#define SCTP_REC_HDR	8	/* queue entry: PPID, length (host order) */

/*
 * Socket options (lib/conn_tune.c, shared with the daemons): liveness from
 * TCP itself on top of the protocol's keep-alives; SCTP subscribed to
 * data_io_event, without which recvmsg() carries no SCTP_SNDRCV (no PPID).
 */
static const struct cn_tune conn_tuning = {
	.tcp_nodelay = true,
	.keepalive = true,
	.keepalive_idle = 5,
	.keepalive_intvl = 2,
	.keepalive_cnt = 3,
	.user_timeout = 10000,
	.sctp_nodelay = true,
};

static void
conn_tune(int fd, bool sctp)
{
	(void)cn_tune_fd(fd, sctp ? CN_SCTP : CN_TCP, &conn_tuning);
}

static struct conn *
conn_alloc(struct asap_ctx *ctx, enum conn_framing f,
    const struct conn_ops *ops, void *arg)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->rx = malloc(CONN_RX_CAP);
	if (c->rx == NULL) {
		free(c);
		return NULL;
	}
	c->ctx = ctx;
	c->framing = f;
	c->ops = ops;
	c->arg = arg;
	c->w.fd = -1;
	return c;
}

static void
conn_release(struct conn *c)
{
	tls_conn_free(c->tls);
	free(c->rx);
	free(c->tx);
	free(c);
}

struct conn *
conn_connect(struct asap_ctx *ctx, const struct sockaddr_storage *sa,
    bool sctp, struct tls_ctx *tls, enum conn_framing f,
    const struct conn_ops *ops, void *arg)
{
	return conn_connect_from(ctx, sa, NULL, sctp, tls, f, ops, arg);
}

struct conn *
conn_connect_from(struct asap_ctx *ctx, const struct sockaddr_storage *sa,
    const struct sockaddr_storage *local, bool sctp, struct tls_ctx *tls,
    enum conn_framing f, const struct conn_ops *ops, void *arg)
{
	struct sockaddr_storage src;
	struct conn *c;
	socklen_t sl;
	int fd, r;

	if (tls != NULL && sctp) {
		/* Debian's OpenSSL has no DTLS/SCTP (RFC 3436 / 6083). */
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	c = conn_alloc(ctx, f, ops, arg);
	if (c == NULL)
		return NULL;
	c->peer = *sa;
	c->sctp = sctp;
	sl = sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    sctp ? IPPROTO_SCTP : IPPROTO_TCP);
	if (fd == -1)
		goto out_free;
	conn_tune(fd, sctp);
	/* From that local address (any port), if of the same family. */
	if (local != NULL && local->ss_family == sa->ss_family) {
		src = *local;
		addr_set_port(&src, 0);
		if (bind(fd, (const struct sockaddr *)&src, sl) == -1)
			goto out_close;
	}
	if (tls != NULL && (r = tls_conn_new(tls, fd, &c->tls)) < 0) {
		errno = -r;
		goto out_close;
	}
	r = connect(fd, (const struct sockaddr *)sa, sl);
	if (r == -1 && errno != EINPROGRESS)
		goto out_close;
	c->connecting = true;
	/* Even an immediate success is reported from the loop. */
	if ((r = aw_add(ctx, &c->w, fd, EV_WRITE, conn_io, c)) < 0) {
		errno = -r;
		goto out_close;
	}
	return c;

out_close:
	r = errno;
	close(fd);
	errno = r;
out_free:
	r = errno;
	conn_release(c);
	errno = r;
	return NULL;
}

struct conn *
conn_adopt(struct asap_ctx *ctx, int fd, enum conn_framing f,
    const struct conn_ops *ops, void *arg)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct conn *c;
	int fl, r, proto = 0;

	fl = fcntl(fd, F_GETFL);
	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return NULL;
	c = conn_alloc(ctx, f, ops, arg);
	if (c == NULL)
		return NULL;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		c->peer = ss;
	sl = sizeof(proto);
	c->sctp = getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &sl) == 0 &&
	    proto == IPPROTO_SCTP;
	conn_tune(fd, c->sctp);
	if ((r = aw_add(ctx, &c->w, fd, EV_READ, conn_io, c)) < 0) {
		conn_release(c);
		errno = -r;
		return NULL;
	}
	return c;
}

bool
conn_up(const struct conn *c)
{
	return c != NULL && !c->dead && !c->connecting && !c->handshaking;
}

const char *
conn_tls_fail(const struct conn *c)
{
	static char line[300];
	const char *text;
	enum tls_fail f;

	if (c->tls == NULL || (f = tls_conn_fail(c->tls, &text)) ==
	    TLS_FAIL_NONE)
		return NULL;
	snprintf(line, sizeof(line), "%s: %s", tls_fail_name(f), text);
	return line;
}

static void
conn_close_fd(struct conn *c)
{
	int fd = c->w.fd;

	if (fd >= 0) {
		aw_del(c->ctx, &c->w);
		close(fd);
		c->w.fd = -1;
	}
}

static void
conn_fail(struct conn *c, int error)
{
	if (c->dead)
		return;
	c->dead = true;
	conn_close_fd(c);
	c->ops->closed(c, error, c->arg);
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	c->dead = true;
	conn_close_fd(c);
	if (c->busy) {
		c->freed = true;
		return;
	}
	conn_release(c);
}

/* One SCTP user message with the PPID (lksctp's sctp_sendmsg()). */
static ssize_t
sctp_send_one(int fd, const uint8_t *p, size_t len, uint32_t ppid)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct sctp_sndrcvinfo))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)p, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct sctp_sndrcvinfo *si;
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_SCTP;
	cm->cmsg_type = SCTP_SNDRCV;
	cm->cmsg_len = CMSG_LEN(sizeof(*si));
	si = (struct sctp_sndrcvinfo *)(void *)CMSG_DATA(cm);
	si->sinfo_ppid = htonl(ppid);
	return sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* SCTP: send queued messages whole; 0, or -errno on a hard error. */
static int
conn_flush_sctp(struct conn *c)
{
	uint32_t ppid, len;

	while (c->txoff + SCTP_REC_HDR <= c->txlen) {
		memcpy(&ppid, c->tx + c->txoff, 4);
		memcpy(&len, c->tx + c->txoff + 4, 4);
		if (sctp_send_one(c->w.fd, c->tx + c->txoff + SCTP_REC_HDR, len,
		    ppid) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		c->txoff += SCTP_REC_HDR + len;
	}
	if (c->txoff == c->txlen)
		c->txoff = c->txlen = 0;
	return 0;
}

/*
 * TLS: the same, through the session.  After a want-read or want-write
 * the next call offers at least the same bytes again (the queue only
 * grows at its end), as OpenSSL asks.
 */
static int
conn_flush_tls(struct conn *c)
{
	size_t n;
	int r;

	while (c->txoff < c->txlen) {
		r = tls_write(c->tls, c->tx + c->txoff, c->txlen - c->txoff,
		    &n);
		if (r == TLS_WANT_WRITE) {
			c->tls_want_write = true;
			break;
		}
		if (r == TLS_WANT_READ)
			break;		/* EV_READ is always watched */
		if (r < 0)
			return r;
		c->txoff += n;
	}
	if (c->txoff == c->txlen)
		c->txoff = c->txlen = 0;
	return 0;
}

/* Write what is buffered; 0, or -errno on a hard error. */
static int
conn_flush(struct conn *c)
{
	ssize_t n;

	if (c->sctp)
		return conn_flush_sctp(c);
	if (c->tls != NULL)
		return conn_flush_tls(c);
	while (c->txoff < c->txlen) {
		n = send(c->w.fd, c->tx + c->txoff, c->txlen - c->txoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		c->txoff += (size_t)n;
	}
	if (c->txoff == c->txlen)
		c->txoff = c->txlen = 0;
	return 0;
}

static void
conn_update_watch(struct conn *c)
{
	unsigned int want = EV_READ;

	if (c->tls != NULL ? c->tls_want_write : c->txlen > c->txoff)
		want |= EV_WRITE;
	if (want != c->w.events)
		(void)aw_mod(c->ctx, &c->w, want);
}

static int
conn_queue(struct conn *c, const void *p, size_t len)
{
	size_t need;

	if (c->txoff > 0 && c->txoff == c->txlen)
		c->txoff = c->txlen = 0;
	need = c->txlen + len;
	if (need - c->txoff > CONN_TX_MAX)
		return -ENOBUFS;
	if (need > c->txcap) {
		if (c->txoff > 0) {
			memmove(c->tx, c->tx + c->txoff, c->txlen - c->txoff);
			c->txlen -= c->txoff;
			c->txoff = 0;
			need = c->txlen + len;
		}
		if (buf_reserve(&c->tx, &c->txcap, need) != 0)
			return -ENOMEM;
	}
	memcpy(c->tx + c->txlen, p, len);
	c->txlen += len;
	return 0;
}

/* SCTP: queue one message with its PPID (see the top of the file). */
static int
conn_queue_msg(struct conn *c, uint32_t ppid, const void *p, size_t len)
{
	uint8_t hdr[SCTP_REC_HDR];
	uint32_t l = (uint32_t)len;
	size_t old = c->txlen;
	int r;

	/* Host byte order: the queue never leaves this process. */
	memcpy(hdr, &ppid, 4);
	memcpy(hdr + 4, &l, 4);
	if ((r = conn_queue(c, hdr, sizeof(hdr))) < 0)
		return r;
	if ((r = conn_queue(c, p, len)) < 0)
		c->txlen = old;
	return r;
}

int
conn_send(struct conn *c, const void *p, size_t len)
{
	int r;

	if (c == NULL || c->dead)
		return -ENOTCONN;
	if (c->sctp)
		r = conn_queue_msg(c, c->framing == CONN_ASAP ? ASAP_PPID :
		    SESSION_DATA_PPID, p, len);
	else
		r = conn_queue(c, p, len);
	if (r < 0)
		return r;
	if (conn_up(c)) {
		/* A hard error is reported by the loop (EPOLLERR/HUP). */
		(void)conn_flush(c);
		conn_update_watch(c);
	}
	return 0;
}

int
conn_send_frame(struct conn *c, uint8_t kind, const void *p, size_t len)
{
	uint8_t hdr[SESSION_HDR_LEN];
	size_t old;
	int r;

	if (c == NULL || c->dead)
		return -ENOTCONN;
	if (len > UINT16_MAX)
		return -EMSGSIZE;
	if (c->framing == CONN_RAW)
		return kind == SESSION_KIND_DATA ? conn_send(c, p, len) :
		    -EOPNOTSUPP;
	if (c->sctp) {
		if (kind != SESSION_KIND_DATA && kind != SESSION_KIND_ASAP)
			return -EOPNOTSUPP;
		r = conn_queue_msg(c, kind == SESSION_KIND_ASAP ? ASAP_PPID :
		    SESSION_DATA_PPID, p, len);
		if (r == 0 && conn_up(c)) {
			(void)conn_flush(c);
			conn_update_watch(c);
		}
		return r;
	}
	hdr[0] = kind;
	hdr[1] = 0;
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	old = c->txlen;
	if ((r = conn_queue(c, hdr, sizeof(hdr))) < 0)
		return r;
	if ((r = conn_queue(c, p, len)) < 0) {
		c->txlen = old;
		return r;
	}
	if (conn_up(c)) {
		(void)conn_flush(c);
		conn_update_watch(c);
	}
	return 0;
}

/* Deliver every complete frame in rx; false if the conn went away. */
static bool
conn_deliver(struct conn *c)
{
	size_t off = 0, len;
	long n;

	while (!c->dead && off < c->rxlen) {
		const uint8_t *p = c->rx + off;
		size_t avail = c->rxlen - off;

		if (c->framing == CONN_RAW) {
			c->ops->frame(c, SESSION_KIND_DATA, p, avail, c->arg);
			off += avail;
		} else if (c->framing == CONN_ASAP) {
			n = rsp_frame(p, avail);
			if (n < 0) {
				conn_fail(c, -EPROTO);
				return false;
			}
			if (n == 0 || (size_t)n > avail)
				break;
			c->ops->frame(c, SESSION_KIND_ASAP, p, (size_t)n, c->arg);
			off += (size_t)n;
		} else {
			if (avail < SESSION_HDR_LEN)
				break;
			len = get_u16(p + 2);
			if (avail < SESSION_HDR_LEN + len)
				break;
			c->ops->frame(c, p[0], p + SESSION_HDR_LEN, len, c->arg);
			off += SESSION_HDR_LEN + len;
		}
	}
	if (c->dead)
		return false;
	if (off > 0) {
		memmove(c->rx, c->rx + off, c->rxlen - off);
		c->rxlen -= off;
	}
	return true;
}

/*
 * SCTP: read until the end of a user message, then deliver it as one frame
 * by its PPID.  ASAP (11) is the control channel; anything else is user
 * data on a session and ignored on a registrar association.
 */
static void
conn_read_sctp(struct conn *c)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct sctp_sndrcvinfo))];
		struct cmsghdr align;
	} u;
	struct sctp_sndrcvinfo si;
	struct cmsghdr *cm;
	struct msghdr mh;
	struct iovec iov;
	uint8_t kind;
	ssize_t n;

	for (;;) {
		if (c->rxlen == CONN_RX_CAP) {
			/* Larger than any frame of ours: not our peer. */
			conn_fail(c, -EMSGSIZE);
			return;
		}
		iov.iov_base = c->rx + c->rxlen;
		iov.iov_len = CONN_RX_CAP - c->rxlen;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		n = recvmsg(c->w.fd, &mh, MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_fail(c, -errno);
			return;
		}
		if (n == 0) {
			conn_fail(c, 0);
			return;
		}
		/* cn_sctp_events(): this side connected, so the end of the
		 * association also ends the reads (0, or an error). */
		if (mh.msg_flags & MSG_NOTIFICATION)
			continue;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == IPPROTO_SCTP &&
			    cm->cmsg_type == SCTP_SNDRCV) {
				memcpy(&si, CMSG_DATA(cm), sizeof(si));
				c->rx_ppid = ntohl(si.sinfo_ppid);
			}
		c->rxlen += (size_t)n;
		if (!(mh.msg_flags & MSG_EOR))
			continue;
		n = (ssize_t)c->rxlen;
		c->rxlen = 0;
		kind = c->rx_ppid == ASAP_PPID ? SESSION_KIND_ASAP :
		    SESSION_KIND_DATA;
		if (c->framing == CONN_ASAP && kind != SESSION_KIND_ASAP) {
			ctx_debug(c->ctx, "message with PPID %u ignored",
			    c->rx_ppid);
			continue;
		}
		if (c->framing == CONN_RAW && kind != SESSION_KIND_DATA)
			continue;	/* no control channel */
		c->ops->frame(c, kind, c->rx, (size_t)n, c->arg);
		if (c->dead)
			return;
	}
}

/* TLS: read until the session wants more from the socket. */
static void
conn_read_tls(struct conn *c)
{
	size_t n;
	int r;

	for (;;) {
		if (c->rxlen == CONN_RX_CAP) {
			conn_fail(c, -EMSGSIZE);
			return;
		}
		r = tls_read(c->tls, c->rx + c->rxlen, CONN_RX_CAP - c->rxlen,
		    &n);
		if (r == TLS_WANT_READ)
			return;
		if (r == TLS_WANT_WRITE) {
			c->tls_want_write = true;
			conn_update_watch(c);
			return;
		}
		if (r < 0) {
			conn_fail(c, r);
			return;
		}
		if (n == 0) {
			conn_fail(c, 0);	/* close_notify */
			return;
		}
		c->rxlen += n;
		if (!conn_deliver(c))
			return;
	}
}

static void
conn_read(struct conn *c)
{
	ssize_t n;

	if (c->sctp) {
		conn_read_sctp(c);
		return;
	}
	if (c->tls != NULL) {
		conn_read_tls(c);
		return;
	}

	for (;;) {
		if (c->rxlen == CONN_RX_CAP) {
			/* Cannot happen with valid framing: frames fit. */
			conn_fail(c, -EMSGSIZE);
			return;
		}
		n = recv(c->w.fd, c->rx + c->rxlen, CONN_RX_CAP - c->rxlen,
		    MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_fail(c, -errno);
			return;
		}
		if (n == 0) {
			conn_fail(c, 0);
			return;
		}
		c->rxlen += (size_t)n;
		if (!conn_deliver(c))
			return;
	}
}

/* Drive the TLS handshake; connected() when it is done. */
static void
conn_handshake(struct conn *c)
{
	enum tls_fail f;
	int r;

	r = tls_handshake(c->tls);
	if (r == TLS_WANT_READ || r == TLS_WANT_WRITE) {
		(void)aw_mod(c->ctx, &c->w, r == TLS_WANT_WRITE ?
		    EV_READ | EV_WRITE : EV_READ);
		return;
	}
	if (r < 0) {
		f = tls_conn_fail(c->tls, NULL);
		conn_fail(c, f == TLS_FAIL_PLAINTEXT || f == TLS_FAIL_VERSION ||
		    f == TLS_FAIL_CLOSED || f == TLS_FAIL_OTHER ? -EPROTO :
		    -EACCES);
		return;
	}
	c->handshaking = false;
	(void)conn_flush(c);
	conn_update_watch(c);
	c->ops->connected(c, c->arg);
	/* Application data may have come with the last handshake flight. */
	if (!c->dead && !c->freed && tls_pending(c->tls) > 0)
		conn_read(c);
}

static void
conn_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct conn *c = arg;
	socklen_t sl = sizeof(int);
	int err = 0, r;

	(void)loop;
	c->busy = true;
	if (c->connecting) {
		if (getsockopt(c->w.fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
			err = errno;
		if (err == 0 && (revents & (EV_ERROR | EV_HUP)))
			err = ECONNREFUSED;
		if (err != 0) {
			conn_fail(c, -err);
		} else if (c->tls != NULL) {
			c->connecting = false;
			c->handshaking = true;
			conn_handshake(c);
		} else {
			c->connecting = false;
			(void)conn_flush(c);
			conn_update_watch(c);
			c->ops->connected(c, c->arg);
		}
		goto out;
	}
	if (c->handshaking) {
		/* Socket errors, too, come out of the handshake. */
		conn_handshake(c);
		goto out;
	}
	if (revents & EV_WRITE) {
		c->tls_want_write = false;
		if ((r = conn_flush(c)) < 0) {
			conn_fail(c, r);
			goto out;
		}
		conn_update_watch(c);
	}
	/* TLS: a read may have waited for writability, a write for data. */
	if ((revents & (EV_READ | EV_HUP | EV_ERROR)) ||
	    (c->tls != NULL && (revents & EV_WRITE)))
		conn_read(c);
	if (c->tls != NULL && !c->dead && c->txlen > c->txoff) {
		if ((r = conn_flush(c)) < 0) {
			conn_fail(c, r);
			goto out;
		}
		conn_update_watch(c);
	}
	if (!c->dead && (revents & EV_ERROR)) {
		if (getsockopt(c->w.fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
			err = errno;
		conn_fail(c, -(err ? err : EIO));
	}
out:
	c->busy = false;
	if (c->freed)
		conn_release(c);
}
