/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Non-blocking stream connections of libasap: connect or adopt a TCP
 * socket, buffer what does not fit into the socket, and cut the byte stream
 * into frames (ASAP messages by their Length field for the TCP mapping, or
 * the session framing of asap.h).  A failure is reported once through the
 * owner's closed() callback, never from inside conn_send(): a write error is
 * left for the loop to report, so callers need not expect re-entrancy.
 * This is where an SCTP one-to-one socket (PPID 11, one message per
 * sctp_recvmsg) would plug in as another framing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "asap_int.h"

static void	conn_io(struct ev_loop *loop, void *arg, unsigned int revents);

static void
conn_tune(int fd)
{
	int one = 1, idle = 5, intvl = 2, cnt = 3;
	unsigned int uto = 10000;

	/* Liveness from TCP itself on top of the protocol's keep-alives. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof(uto));
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
	free(c->rx);
	free(c->tx);
	free(c);
}

struct conn *
conn_connect(struct asap_ctx *ctx, const struct sockaddr_storage *sa,
    enum conn_framing f, const struct conn_ops *ops, void *arg)
{
	struct conn *c;
	socklen_t sl;
	int fd, r;

	c = conn_alloc(ctx, f, ops, arg);
	if (c == NULL)
		return NULL;
	c->peer = *sa;
	sl = sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_TCP);
	if (fd == -1)
		goto out_free;
	conn_tune(fd);
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
	int fl, r;

	fl = fcntl(fd, F_GETFL);
	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return NULL;
	c = conn_alloc(ctx, f, ops, arg);
	if (c == NULL)
		return NULL;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		c->peer = ss;
	conn_tune(fd);
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
	return c != NULL && !c->dead && !c->connecting;
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

/* Write what is buffered; 0, or -errno on a hard error. */
static int
conn_flush(struct conn *c)
{
	ssize_t n;

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

	if (c->txlen > c->txoff)
		want |= EV_WRITE;
	if (want != c->w.events)
		(void)aw_mod(c->ctx, &c->w, want);
}

static int
conn_queue(struct conn *c, const void *p, size_t len)
{
	size_t need;
	uint8_t *n;

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
		if (need > c->txcap) {
			size_t cap = c->txcap ? c->txcap : 4096;

			while (cap < need)
				cap *= 2;
			n = realloc(c->tx, cap);
			if (n == NULL)
				return -ENOMEM;
			c->tx = n;
			c->txcap = cap;
		}
	}
	memcpy(c->tx + c->txlen, p, len);
	c->txlen += len;
	return 0;
}

int
conn_send(struct conn *c, const void *p, size_t len)
{
	int r;

	if (c == NULL || c->dead)
		return -ENOTCONN;
	if ((r = conn_queue(c, p, len)) < 0)
		return r;
	if (!c->connecting) {
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
	if (!c->connecting) {
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

static void
conn_read(struct conn *c)
{
	ssize_t n;

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
		} else {
			c->connecting = false;
			(void)conn_flush(c);
			conn_update_watch(c);
			c->ops->connected(c, c->arg);
		}
		goto out;
	}
	if (revents & EV_WRITE) {
		if ((r = conn_flush(c)) < 0) {
			conn_fail(c, r);
			goto out;
		}
		conn_update_watch(c);
	}
	if (revents & (EV_READ | EV_HUP | EV_ERROR))
		conn_read(c);
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
