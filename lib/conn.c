/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Connections and listeners of the ASAP/ENRP daemons; see conn.h.
 */
#define _GNU_SOURCE	/* accept4 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "conn.h"
#include "iobatch.h"
#include "rserpool.h"
#include "tls.h"

/* ---- rate ------------------------------------------------------------- */

void
cn_rate_init(struct cn_rate *b, uint32_t burst, uint64_t now)
{
	b->tokens = (uint64_t)burst * 1000;
	b->at = now;
}

bool
cn_rate_take(struct cn_rate *b, uint64_t now, uint32_t rate, uint32_t burst)
{
	uint64_t cap = (uint64_t)burst * 1000;

	if (now > b->at)
		b->tokens += (now - b->at) * rate;
	b->at = now;
	if (b->tokens > cap)
		b->tokens = cap;
	if (b->tokens < 1000)
		return false;
	b->tokens -= 1000;
	return true;
}

/* ---- connections ------------------------------------------------------ */

/* What a batch receives for a TLS session at most: a record and more. */
#define CN_TLS_IN	16384

static void	cn_io(struct ev_loop *, void *, unsigned int);
static void	cn_read(struct cn *, const long *);
static bool	cn_read_later(struct cn *);
static int	cn_send_later(struct cn *);
static void	cn_batch_leave(struct cn *);
static void	cn_rx_mark(struct cn *);
static void	cn_budget_sync(struct cn *);
static int	cn_tls_flush(struct cn *);

const char *
cn_end_str(enum cn_end end, int err)
{
	switch (end) {
	case CN_END_EOF:
		return "closed by peer";
	case CN_END_RECV:
	case CN_END_SEND:
	case CN_END_CONNECT:
		return strerror(err);
	case CN_END_BACKLOG:
		return "peer does not read its messages";
	case CN_END_UNFRAMEABLE:
		return "unframeable message length";
	case CN_END_TOO_BIG:
		return "message larger than the size limit";
	case CN_END_NOMEM:
		return "out of memory";
	case CN_END_TLS:
		return "TLS handshake failed";
	case CN_END_TLS_ON_PLAIN:
		return "TLS ClientHello on a plaintext port";
	case CN_END_LOCAL:
		break;
	}
	return "?";
}

static void
cn_release_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct cn *c = arg;

	(void)loop;
	(void)revents;
	cn_free(c);
	c->ops->release(c);
}

/* Close, tell the owner, and release it after this iteration. */
static void
cn_finish(struct cn *c, enum cn_end end, const char *why)
{
	if (c->fd < 0)
		return;
	cn_close(c);
	c->ops->close(c, end, why);
	/* Out of memory for the deferred call: leak rather than free what
	 * the callers up the stack still use. */
	if (c->ops->release != NULL)
		(void)ev_defer(c->loop, cn_release_cb, c, &c->release);
}

static void
cn_fail(struct cn *c, enum cn_end end, int err)
{
	cn_finish(c, end, cn_end_str(end, err));
}

/*
 * The owner ends c from its message callback: the replies the batch holds
 * would have been sent already without batching; try them once (what the
 * socket does not take is lost, as it would have been).
 */
static void
cn_batch_drain(struct cn *c)
{
	int e = errno;

	if (c->tls == NULL)
		(void)rsp_outq_flush(&c->tx, c->fd, c->transport == CN_SCTP,
		    c->ppid);
	else if (tls_handshake_done(c->tls) && tls_batch_end(c->tls) == 0)
		(void)cn_tls_flush(c);
	errno = e;
}

/* TLS records a batch keeps for its send (tls_batch_begin). */
static inline size_t
cn_tls_kept(const struct cn *c)
{
	const void *p;

	return c->tls != NULL ? tls_out(c->tls, &p) : 0;
}

void
cn_end(struct cn *c, const char *why)
{
	if (c->batching && c->fd >= 0 && (c->tx.len > 0 || cn_tls_kept(c) > 0))
		cn_batch_drain(c);
	cn_finish(c, CN_END_LOCAL, why);
}

/* Watch EV_WRITE exactly while something is queued (and while connecting). */
static void
cn_arm(struct cn *c)
{
	unsigned int ev;

	if (c->connecting)
		ev = EV_WRITE;
	else if (c->tls != NULL && !tls_handshake_done(c->tls))
		ev = c->tls_want != 0 ? c->tls_want : EV_READ;
	else
		ev = EV_READ | (c->tx.len > 0 || (c->tls_want & EV_WRITE) ||
		    cn_tls_kept(c) > 0 ? EV_WRITE : 0);
	if (ev != c->events && ev_fd_mod(&c->io, ev) == 0)
		c->events = ev;
}

int
cn_attach(struct cn *c, struct ev_loop *loop, int fd, enum cn_transport tr,
    uint32_t ppid, bool connecting, size_t max_msg, size_t out_max,
    const struct cn_tune *tune, const struct cn_ops *ops, void *arg)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->loop = loop;
	c->fd = -1;
	c->transport = tr;
	c->ppid = ppid;
	c->connecting = connecting;
	c->max_msg = max_msg;
	c->out_max = out_max;
	c->ops = ops;
	c->arg = arg;
	c->last_msg = ev_now(loop);
	cn_rate_init(&c->rate, 0, ev_now(loop));
	if (tune != NULL && (rc = cn_tune_fd(fd, tr, tune)) != 0)
		return rc;
	c->events = connecting ? EV_WRITE : EV_READ;
	if ((rc = ev_fd_add(loop, fd, c->events, cn_io, c, &c->io)) != 0)
		return rc;
	c->fd = fd;
	return 0;
}

const char *
cn_name(char *buf, size_t len, const char *prefix, enum cn_transport tr,
    const struct sockaddr_storage *peer)
{
	char a[ADDR_STRLEN];

	addr_str(peer, a, sizeof(a));
	snprintf(buf, len, "%s%s%s %s", prefix != NULL ? prefix : "",
	    prefix != NULL ? " " : "", tr == CN_SCTP ? "sctp" : "tcp", a);
	return buf;
}

size_t
cn_queued(const struct cn *c)
{
	return c->tx.len + cn_tls_kept(c);
}

bool
cn_is_open(const struct cn *c)
{
	return c->fd >= 0;
}

void
cn_close(struct cn *c)
{
	if (c->fd < 0)
		return;
	ev_cancel(&c->io);
	cn_batch_leave(c);
	cn_set_budget(c, NULL);
	if (c->tls != NULL)
		tls_shutdown(c->tls);	/* close_notify, if it was up */
	close(c->fd);
	c->fd = -1;
	c->events = 0;
}

void
cn_free(struct cn *c)
{
	rsp_stream_free(&c->rx);
	rsp_outq_free(&c->tx);
	tls_conn_free(c->tls);
	c->tls = NULL;
}

/* ---- TLS ---------------------------------------------------------------- */

int
cn_tls_start(struct cn *c, struct tls_ctx *ctx)
{
	int rc;

	if (c->fd < 0)
		return -ENOTCONN;
	if (c->tls != NULL)
		return -EALREADY;
	if ((rc = tls_conn_new(ctx, c->fd, &c->tls)) != 0)
		return rc;
	c->hello_check = false;
	/* A client speaks first, a server waits: the first step says. */
	c->tls_want = EV_READ | EV_WRITE;
	if (!c->connecting)
		cn_arm(c);
	return 0;
}

bool
cn_tls_up(const struct cn *c)
{
	return c->tls != NULL && tls_handshake_done(c->tls);
}

void
cn_plain_check(struct cn *c)
{
	if (c->tls == NULL && c->transport == CN_TCP)
		c->hello_check = true;
}

/* Send the queue through the session: 0 (what is left stays), -errno. */
static int
cn_tls_flush(struct cn *c)
{
	size_t off = 0, n;
	int rc;

	/* What a batch kept goes first (nothing while one is under way). */
	if ((rc = tls_out_flush(c->tls)) != 0)
		return rc;
	while (off < c->tx.len) {
		rc = tls_write(c->tls, c->tx.buf + off, c->tx.len - off, &n);
		if (rc != 0)
			break;
		off += n;
	}
	if (off > 0) {
		memmove(c->tx.buf, c->tx.buf + off, c->tx.len - off);
		c->tx.len -= off;
	}
	if (rc == TLS_WANT_WRITE || rc == TLS_WANT_READ)
		rc = 0;	/* EV_WRITE stays watched while tx.len > 0 */
	return rc;
}

/* stream.h reader: the session's plaintext. */
static long
cn_tls_rd(void *arg, uint8_t *buf, size_t len)
{
	struct cn *c = arg;
	size_t n = 0;
	int rc;

	/*
	 * The session reads ahead all the socket has: once it holds nothing
	 * more, another read() would only say EAGAIN (a system call per
	 * request that plaintext does not make); epoll, level-triggered,
	 * reports what arrives next.
	 */
	if (c->tls_drained) {
		c->tls_drained = false;
		errno = EAGAIN;
		return -1;
	}
	rc = tls_read(c->tls, buf, len, &n);
	switch (rc) {
	case 0:
		c->tls_drained = n > 0 && tls_pending(c->tls) == 0;
		return (long)n;		/* 0: close_notify */
	case TLS_WANT_READ:
		errno = EAGAIN;
		return -1;
	case TLS_WANT_WRITE:
		c->tls_want |= EV_WRITE;
		errno = EAGAIN;
		return -1;
	case -ECONNRESET:
		return 0;		/* gone without close_notify */
	default:
		errno = -rc;
		return -1;
	}
}

/* One handshake step: true once it is done and c is still open. */
static bool
cn_tls_step(struct cn *c)
{
	const char *text;
	int rc;

	rc = tls_handshake(c->tls);
	if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE) {
		c->tls_want = rc == TLS_WANT_READ ? EV_READ : EV_WRITE;
		cn_arm(c);
		return false;
	}
	if (rc != 0) {
		c->tls_fail = (int)tls_conn_fail(c->tls, &text);
		cn_finish(c, CN_END_TLS, text);
		return false;
	}
	c->tls_want = 0;
	cn_arm(c);
	if (c->ops->secured != NULL)
		c->ops->secured(c);
	if (c->fd < 0 || cn_flush(c) != 0)
		return false;
	return true;
}


int
cn_flush(struct cn *c)
{
	int e;

	if (c->fd < 0)
		return -ENOTCONN;
	if (c->connecting)
		return 0;
	if (c->tls != NULL) {
		if (!tls_handshake_done(c->tls))
			return 0;	/* sent once it is done */
		if ((e = -cn_tls_flush(c)) != 0) {
			cn_fail(c, CN_END_SEND, e);
			return -e;
		}
	} else if (rsp_outq_flush(&c->tx, c->fd, c->transport == CN_SCTP,
	    c->ppid) == -1) {
		e = errno;
		cn_fail(c, CN_END_SEND, e);
		return -e;
	}
	cn_arm(c);
	cn_budget_sync(c);
	return 0;
}

int
cn_send_queued(struct cn *c, const uint8_t *p, size_t len)
{
	int rc;

	if (c->fd < 0)
		return -ENOTCONN;
	if ((rc = rsp_outq_add(&c->tx, p, len, c->out_max)) != 0) {
		cn_fail(c, rc == -ENOBUFS ? CN_END_BACKLOG : CN_END_NOMEM,
		    -rc);
		return rc;
	}
	cn_budget_sync(c);
	return 0;
}

int
cn_send(struct cn *c, const uint8_t *p, size_t len)
{
	int rc;

	/* Batching (a read of c under way): many replies, one write. */
	if (c->batching && c->tx.len > 0 && c->tx.len + len > CN_BATCH_MAX &&
	    (rc = cn_send_flush(c)) != 0)
		return rc;
	if ((rc = cn_send_queued(c, p, len)) != 0)
		return rc;
	if (c->batching)
		return 0;
	return cn_send_flush(c);
}

void
cn_reply_now(struct cn *c)
{
	if (!c->batching || !c->rx.last || c->fd < 0 || c->tls != NULL ||
	    c->tx.len == 0 || c->in_sq || ev_batch_events(c->loop) != 1)
		return;
	/* What is not sent stays queued, an error with it (cn_read()). */
	(void)rsp_outq_flush(&c->tx, c->fd, c->transport == CN_SCTP, c->ppid);
	cn_arm(c);
	cn_budget_sync(c);
}

/* After a send: the budget's over() if the queues exceed it; true if run. */
static bool
cn_budget_over(struct cn *c)
{
	if (c->budget == NULL || c->budget->total <= c->budget->max ||
	    c->budget->over == NULL)
		return false;
	c->budget->over(c->budget->arg, c);
	return true;
}

int
cn_send_flush(struct cn *c)
{
	int rc;

	if ((rc = cn_flush(c)) != 0)
		return rc;
	if (cn_budget_over(c) && c->fd < 0)
		return -ENOBUFS;
	return 0;
}

/* stream.h callbacks: false once the owner closed the connection. */
static bool
cn_message(void *arg, const uint8_t *msg, size_t len)
{
	struct cn *c = arg;

	/* The clock read once per read, not per message (issue 14). */
	c->last_msg = c->batching ? c->rx_now : ev_now(c->loop);
	c->ops->message(c, c->ppid, msg, len);
	return c->fd >= 0;
}

static bool
cn_message_sctp(void *arg, uint32_t ppid, const uint8_t *msg, size_t len)
{
	struct cn *c = arg;

	c->last_msg = c->batching ? c->rx_now : ev_now(c->loop);
	if (ppid == c->ppid)
		c->ops->message(c, ppid, msg, len);
	else if (c->ops->stray != NULL)
		c->ops->stray(c, ppid);
	return c->fd >= 0;
}

/*
 * What each way a read ends costs, for every protocol and transport: input
 * that cannot be accepted gets the owner's ERROR with its RFC 5354 cause,
 * what is queued is tried once more, and the connection closes.
 */
static void
cn_read_end(struct cn *c, enum rsp_stream_end end, int err)
{
	enum cn_end why;
	uint16_t cause;

	cn_rx_mark(c);
	switch (end) {
	case RSP_STREAM_AGAIN:
	case RSP_STREAM_STOPPED:
		return;
	case RSP_STREAM_EOF:
		cn_fail(c, CN_END_EOF, 0);
		return;
	case RSP_STREAM_ERROR:
		cn_fail(c, CN_END_RECV, err);
		return;
	case RSP_STREAM_NOMEM:
		cn_fail(c, CN_END_NOMEM, ENOMEM);
		return;
	case RSP_STREAM_UNFRAMEABLE:
		why = CN_END_UNFRAMEABLE;
		cause = RSP_CAUSE_INVALID_VALUES;
		break;
	case RSP_STREAM_TOO_BIG:
	default:
		why = CN_END_TOO_BIG;
		cause = RSP_CAUSE_LACK_OF_RESOURCES;
		break;
	}
	if (c->ops->error != NULL)
		c->ops->error(c, cause);
	if (c->fd >= 0 && cn_flush(c) != 0)
		return;
	cn_fail(c, why, 0);
}

static void
cn_connect_done(struct cn *c)
{
	socklen_t sl = sizeof(int);
	int err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
		err = errno;
	if (err != 0) {
		cn_fail(c, CN_END_CONNECT, err);
		return;
	}
	c->connecting = false;
	cn_arm(c);
	if (c->ops->connected != NULL)
		c->ops->connected(c);
	if (c->fd >= 0)
		cn_flush(c);
}

/*
 * Read what the session has and hand on each message; in, first: what a
 * batch received for it (first: the recv() result), or NULL.
 */
static void
cn_tls_read(struct cn *c, const uint8_t *in, const long *first)
{
	enum rsp_stream_end end;
	int err, e;

	if (first != NULL &&
	    (e = tls_batch_begin(c->tls, in, CN_TLS_IN, *first)) != 0) {
		cn_fail(c, CN_END_NOMEM, -e);
		return;
	}
	c->tls_drained = false;
	c->batching = true;
	c->rx_now = ev_now(c->loop);
	end = rsp_stream_read_with(&c->rx, c->max_msg, cn_tls_rd, c,
	    cn_message, c);
	err = errno;
	c->batching = false;
	if (c->fd < 0)
		return;
	/*
	 * The replies to what this read brought: one record, one write.  In a
	 * batch the record is kept, and sent with the others' (cn_batch_run).
	 */
	if (first != NULL) {
		if (c->tx.len > 0 && (e = -cn_tls_flush(c)) != 0) {
			cn_fail(c, CN_END_SEND, e);
			return;
		}
		if ((e = tls_batch_end(c->tls)) != 0) {
			cn_fail(c, CN_END_NOMEM, -e);
			return;
		}
		cn_budget_sync(c);
		if ((c->tx.len > 0 || cn_tls_kept(c) > 0) &&
		    cn_send_later(c) != 0)
			return;
	} else if (c->tx.len > 0 && cn_send_flush(c) != 0)
		return;
	cn_read_end(c, end, err);
	/* In the batch's sends: armed after them (no EV_WRITE meanwhile). */
	if (c->fd >= 0 && !c->in_sq)
		cn_arm(c);
}

/* Events on a TLS connection: handshake, then flush and read. */
static void
cn_tls_io(struct cn *c, unsigned int revents)
{
	bool rd = (revents & (EV_READ | EV_HUP | EV_ERROR)) != 0;

	if (!tls_handshake_done(c->tls)) {
		if (!cn_tls_step(c))
			return;
		rd = true;	/* the first message may be in already */
	}
	if ((c->tls_want & EV_WRITE) && (revents & EV_WRITE)) {
		c->tls_want = 0;	/* a read waited for the socket */
		rd = true;
	}
	if ((c->tx.len > 0 || cn_tls_kept(c) > 0) &&
	    (revents & (EV_READ | EV_WRITE)) && cn_flush(c) != 0)
		return;
	if (!rd)
		return;
	/* With the other connections readable now, at the iteration's end
	 * (not what the session holds already: that needs no call). */
	if (!(revents & (EV_HUP | EV_ERROR)) && (revents & EV_READ) &&
	    tls_pending(c->tls) == 0 && cn_read_later(c))
		return;
	cn_tls_read(c, NULL, NULL);
}

/* A plaintext port: a TLS client gets closed, not an ERROR. */
static bool
cn_hello_seen(struct cn *c)
{
	uint8_t b[8];
	ssize_t n;

	n = recv(c->fd, b, sizeof(b), MSG_PEEK);
	if (n <= 0)
		return false;	/* the read below says what it is */
	c->hello_check = false;
	if (!tls_looks_like_hello(b, (size_t)n))
		return false;
	cn_fail(c, CN_END_TLS_ON_PLAIN, 0);
	return true;
}

static void
cn_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct cn *c = arg;

	(void)loop;
	if (c->connecting) {
		cn_connect_done(c);
		return;
	}
	if (c->tls != NULL) {
		cn_tls_io(c, revents);
		return;
	}
	if ((revents & EV_WRITE) && cn_flush(c) != 0)
		return;
	if (!(revents & (EV_READ | EV_HUP | EV_ERROR)))
		return;
	if (c->hello_check && cn_hello_seen(c))
		return;
	/* With the other connections readable now, at the iteration's end. */
	if (!(revents & (EV_HUP | EV_ERROR)) && cn_read_later(c))
		return;
	cn_read(c, NULL);
}

/*
 * Read what c has and hand on each message; first: the result of a recv()
 * made already (a batch), or NULL.
 */
static void
cn_read(struct cn *c, const long *first)
{
	enum rsp_stream_end end;
	int err;

	c->batching = true;
	c->rx_now = ev_now(c->loop);
	if (c->transport == CN_SCTP)
		end = rsp_stream_read_sctp(&c->rx, c->fd, c->max_msg,
		    cn_message_sctp, c);
	else if (first != NULL)
		end = rsp_stream_read_after(&c->rx, c->fd, c->max_msg, *first,
		    cn_message, c);
	else
		end = rsp_stream_read(&c->rx, c->fd, c->max_msg, cn_message,
		    c);
	err = errno;
	c->batching = false;
	/*
	 * The replies to every message of this read in one write (the echo
	 * server's two system calls per request; batched with the other
	 * connections' writes where it can be); EV_WRITE is watched only if
	 * the socket does not take them all.
	 */
	if (c->fd >= 0 && c->tx.len > 0 && cn_send_later(c) != 0)
		return;
	cn_read_end(c, end, err);
}

/* ---- batched system calls (issue 14) ------------------------------------ */

/* Per loop (ev_loop_aux): the connections waiting for the batch. */
struct cn_batch {
	struct iob		*iob;
	uint8_t			*tls_in;	/* IOB_MAX × CN_TLS_IN, on demand */
	TAILQ_HEAD(, cn)	 rq, sq;
	struct ev_ref		 run;		/* the deferred cn_batch_run */
	uint64_t		 batches, requests;
	int			 set;		/* cn_batch_set in a batch: 0/1 */
	bool			 running;	/* in cn_batch_run: it sends them */
};

static void
cn_batch_free(void *arg)
{
	struct cn_batch *b = arg;

	iob_free(b->iob);
	free(b->tls_in);
	free(b);
}

static struct cn_batch *
cn_batch_make(struct ev_loop *loop, bool on)
{
	struct cn_batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	if ((b->iob = iob_new(on)) == NULL) {
		free(b);
		return NULL;
	}
	TAILQ_INIT(&b->rq);
	TAILQ_INIT(&b->sq);
	b->set = -1;
	ev_loop_set_aux(loop, b, cn_batch_free);
	return b;
}

/* Turn it on or off now (no batch under way): 0, or -ENOMEM (unchanged). */
static int
cn_batch_switch(struct cn_batch *b, bool on)
{
	struct iob *n;

	if (iob_batching(b->iob) == on)
		return 0;
	if ((n = iob_new(on)) == NULL)
		return -ENOMEM;
	iob_free(b->iob);
	b->iob = n;
	return 0;
}

int
cn_batch_set(struct ev_loop *loop, bool on)
{
	struct cn_batch *b = ev_loop_aux(loop);

	if (b == NULL)
		return cn_batch_make(loop, on) != NULL ? 0 : -ENOMEM;
	/* Connections wait for the batch: it switches after them. */
	if (!TAILQ_EMPTY(&b->rq) || !TAILQ_EMPTY(&b->sq)) {
		b->set = on;
		return 0;
	}
	return cn_batch_switch(b, on);
}

void
cn_batch_stats(struct ev_loop *loop, struct cn_batch_stats *ret)
{
	struct cn_batch *b = ev_loop_aux(loop);

	memset(ret, 0, sizeof(*ret));
	ret->on = true;		/* what the first batch will do */
	if (b == NULL)
		return;
	ret->on = iob_batching(b->iob);
	ret->batches = b->batches;
	ret->requests = b->requests;
}

/* The loop's batch, made on first use (on); NULL: one call each. */
static struct cn_batch *
cn_batch_of(struct cn *c)
{
	struct cn_batch *b;

	if (c->transport != CN_TCP ||
	    (c->tls != NULL && !tls_handshake_done(c->tls)))
		return NULL;
	if ((b = ev_loop_aux(c->loop)) == NULL &&
	    (b = cn_batch_make(c->loop, true)) == NULL)
		return NULL;
	return iob_batching(b->iob) ? b : NULL;
}

static void	cn_batch_run(struct ev_loop *, void *, unsigned int);

static bool
cn_batch_arm(struct cn_batch *b, struct ev_loop *loop)
{
	return b->running || ev_pending(&b->run) ||
	    ev_defer(loop, cn_batch_run, b, &b->run) == 0;
}

/*
 * Read c with the others at the end of the iteration: false if it cannot,
 * or if c is the iteration's only event (nothing to batch with: its own
 * calls, at once, cost less than the deferral).
 */
static bool
cn_read_later(struct cn *c)
{
	struct cn_batch *b;

	if (c->in_rq)
		return true;
	if (ev_batch_events(c->loop) < 2)
		return false;
	if ((b = cn_batch_of(c)) == NULL || !cn_batch_arm(b, c->loop))
		return false;
	TAILQ_INSERT_TAIL(&b->rq, c, rq);
	c->in_rq = true;
	return true;
}

/*
 * Send c's queue with the others at the end of the iteration (or now, as
 * its read was, if it is the iteration's only event); as cn_send.
 */
static int
cn_send_later(struct cn *c)
{
	struct cn_batch *b;

	if (c->in_sq)
		return 0;
	/* 1: read in the iteration's only event (0: in the batch). */
	if (ev_batch_events(c->loop) == 1 ||
	    (b = cn_batch_of(c)) == NULL || !cn_batch_arm(b, c->loop))
		return cn_send_flush(c);
	TAILQ_INSERT_TAIL(&b->sq, c, sq);
	c->in_sq = true;
	return 0;
}

static void
cn_batch_leave(struct cn *c)
{
	struct cn_batch *b;

	if (!c->in_rq && !c->in_sq)
		return;
	b = ev_loop_aux(c->loop);
	if (c->in_rq)
		TAILQ_REMOVE(&b->rq, c, rq);
	if (c->in_sq)
		TAILQ_REMOVE(&b->sq, c, sq);
	c->in_rq = c->in_sq = false;
}

/* The after-send half of cn_send_flush() for c, sent n bytes or -errno. */
static void
cn_batch_sent(struct cn *c, long res)
{
	if (res < 0 && res != -EAGAIN && res != -EWOULDBLOCK) {
		cn_fail(c, CN_END_SEND, (int)-res);
		return;
	}
	if (res > 0 && c->tls != NULL)
		tls_out_consume(c->tls, (size_t)res);
	else if (res > 0)
		rsp_outq_consume(&c->tx, (size_t)res);
	cn_arm(c);
	cn_budget_sync(c);
	(void)cn_budget_over(c);
}

/*
 * The batch, deferred to the end of the iteration: the reads first (their
 * replies join the sends), then the sends.  A connection that one of them
 * closes leaves the batch at once (cn_close); its memory lasts until the
 * next drain of defers (release), so the arrays below stay valid.
 */
static void
cn_batch_run(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct cn_batch *b = arg;
	struct iob_req v[IOB_MAX];
	struct cn *cv[IOB_MAX];
	struct cn *c;
	size_t n, i;
	uint8_t *p;
	size_t len;

	(void)loop;
	(void)revents;
	b->running = true;
	while (!TAILQ_EMPTY(&b->rq)) {
		for (n = 0; n < IOB_MAX && (c = TAILQ_FIRST(&b->rq)) != NULL;) {
			TAILQ_REMOVE(&b->rq, c, rq);
			c->in_rq = false;
			if (c->tls == NULL) {
				if (rsp_stream_space(&c->rx, c->max_msg, &p,
				    &len) != 0) {
					cn_fail(c, CN_END_NOMEM, ENOMEM);
					continue;
				}
			} else if (b->tls_in != NULL || (b->tls_in =
			    malloc((size_t)IOB_MAX * CN_TLS_IN)) != NULL) {
				/* The records, for the session to read. */
				p = b->tls_in + n * CN_TLS_IN;
				len = CN_TLS_IN;
			} else {
				cn_fail(c, CN_END_NOMEM, ENOMEM);
				continue;
			}
			cv[n] = c;
			v[n++] = (struct iob_req){ .fd = c->fd, .op = IOB_RECV,
			    .buf = p, .len = len };
		}
		b->batches += iob_run(b->iob, v, n);
		b->requests += n;
		for (i = 0; i < n; i++) {
			if (cv[i]->fd < 0)
				continue;
			if (cv[i]->tls == NULL) {
				cn_read(cv[i], &v[i].res);
				continue;
			}
			cn_tls_read(cv[i], v[i].buf, &v[i].res);
		}
	}
	while (!TAILQ_EMPTY(&b->sq)) {
		for (n = 0; n < IOB_MAX && (c = TAILQ_FIRST(&b->sq)) != NULL;) {
			TAILQ_REMOVE(&b->sq, c, sq);
			c->in_sq = false;
			if (c->tls != NULL) {
				const void *op;

				/* Its records, kept by the session. */
				if ((len = tls_out(c->tls, &op)) == 0)
					continue;
				p = (uint8_t *)(uintptr_t)op;
			} else if ((len = c->tx.len) == 0) {
				continue;
			} else
				p = c->tx.buf;
			cv[n] = c;
			v[n++] = (struct iob_req){ .fd = c->fd, .op = IOB_SEND,
			    .buf = p, .len = len };
		}
		b->batches += iob_run(b->iob, v, n);
		b->requests += n;
		for (i = 0; i < n; i++)
			if (cv[i]->fd >= 0)
				cn_batch_sent(cv[i], v[i].res);
	}
	b->running = false;
	if (b->set >= 0) {
		(void)cn_batch_switch(b, b->set == 1);
		b->set = -1;
	}
}

/* ---- bounds (issue 12) ------------------------------------------- */

/*
 * After a read: a partial message left in the buffer began in this read if
 * a whole one completed in it (or none was pending), else earlier.
 */
static void
cn_rx_mark(struct cn *c)
{
	if (c->rx.len == 0)
		c->msg_start = 0;
	else if (c->msg_start == 0 || c->msg_start < c->last_msg)
		c->msg_start = ev_now(c->loop);
}

enum cn_deadline
cn_deadline(const struct cn *c, uint64_t now, uint64_t idle_ms,
    uint64_t msg_ms)
{
	uint64_t started = c->msg_start;

	if (c->fd < 0 || c->connecting)
		return CN_DEADLINE_NONE;
	/* A TLS handshake is a message that has begun at the attach. */
	if (c->tls != NULL && !tls_handshake_done(c->tls))
		started = c->last_msg;
	if (started != 0 && now >= started + msg_ms)
		return CN_DEADLINE_MESSAGE;
	if (idle_ms != 0 && now >= c->last_msg + idle_ms)
		return CN_DEADLINE_IDLE;
	return CN_DEADLINE_NONE;
}

void
cn_trim(struct cn *c, uint64_t now, uint64_t idle_ms)
{
	if (c->fd < 0 || c->connecting || now < c->last_msg + idle_ms)
		return;
	if (c->rx.len == 0 && c->rx.buf != NULL)
		rsp_stream_free(&c->rx);
	if (c->tx.len == 0 && c->tx.buf != NULL)
		rsp_outq_free(&c->tx);
	if (c->tls != NULL)
		(void)tls_release_buffers(c->tls);
}

static void
cn_budget_sync(struct cn *c)
{
	if (c->budget == NULL)
		return;
	/* TLS: with the records a batch keeps for its send (at most one
	 * record beyond 16 KiB, lib/tls.c). */
	c->budget->total = c->budget->total - c->budgeted + cn_queued(c);
	c->budgeted = cn_queued(c);
}

void
cn_set_budget(struct cn *c, struct cn_budget *b)
{
	if (c->budget != NULL)
		c->budget->total -= c->budgeted;
	c->budgeted = 0;
	c->budget = b;
	cn_budget_sync(c);
}

long
cn_fd_headroom(int fd)
{
	static long limit;
	struct rlimit rl;

	if (limit == 0) {
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
		    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1L << 30)
			limit = 1L << 30;
		else
			limit = (long)rl.rlim_cur;
	}
	return limit - fd - 1;
}

/* ---- listeners -------------------------------------------------------- */

static void	cn_accept(struct ev_loop *, void *, unsigned int);

static void
cn_backoff_end(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct cn_listener *l = arg;

	(void)loop;
	(void)revents;
	if (l->fd >= 0)
		ev_fd_mod(&l->io, EV_READ);
}

/*
 * Out of descriptors (or kernel memory): the pending connection stays in
 * the backlog and the socket stays readable, so watching it would spin.
 * Rest a while; a connection closing meanwhile frees a descriptor.
 */
static void
cn_backoff(struct cn_listener *l)
{
	l->exhausted++;
	if (ev_fd_mod(&l->io, 0) != 0)
		return;
	if (ev_timer_add(l->loop, CN_ACCEPT_BACKOFF, cn_backoff_end, l,
	    &l->backoff) != 0)
		ev_fd_mod(&l->io, EV_READ);	/* better busy than deaf */
}

static void
cn_accept(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct cn_listener *l = arg;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, e;

	(void)loop;
	(void)revents;
	for (;;) {
		sl = sizeof(ss);
		l->accept_calls++;
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			if (l->accept(l->arg, fd, &ss)) {
				l->accepted++;
			} else {
				l->refused++;
				close(fd);
			}
			if (l->fd < 0)
				return;	/* the owner closed the listener */
			continue;
		}
		e = errno;
		switch (e) {
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			continue;	/* that one is gone: the next */
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			cn_backoff(l);
			break;
		default:
			break;
		}
		if (l->error != NULL)
			l->error(l->arg, e);
		return;
	}
}

int
cn_listen(struct cn_listener *l, struct ev_loop *loop,
    const struct sockaddr_storage *ss, socklen_t sslen, enum cn_transport tr,
    int backlog, unsigned int flags, const struct cn_tune *tune,
    bool (*accept)(void *, int, const struct sockaddr_storage *),
    void (*error)(void *, int), void *arg)
{
	int fd, on = 1, rc;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    tr == CN_SCTP ? IPPROTO_SCTP : IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (flags & CN_LISTEN_FREEBIND)
		(void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
	if (flags & CN_LISTEN_REUSEPORT)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	if (ss->ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
		    sizeof(on));
	/* Untuned, an SCTP listener still asks for the notifications its
	 * associations inherit (cn_sctp_events). */
	if (tune != NULL)
		rc = cn_tune_fd(fd, tr, tune);
	else
		rc = tr == CN_SCTP ? cn_sctp_events(fd) : 0;
	if (rc != 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)ss, sslen) == -1 ||
	    listen(fd, backlog) == -1) {
		rc = -errno;
		goto fail;
	}
	l->loop = loop;
	l->transport = tr;
	if (sslen > sizeof(l->ss))
		sslen = sizeof(l->ss);
	memcpy(&l->ss, ss, sslen);
	l->sslen = sslen;
	l->accept = accept;
	l->error = error;
	l->arg = arg;
	if ((rc = ev_fd_add(loop, fd, EV_READ, cn_accept, l, &l->io)) != 0)
		goto fail;
	l->fd = fd;
	return 0;
fail:
	close(fd);
	return rc;
}

void
cn_listener_close(struct cn_listener *l)
{
	ev_cancel(&l->backoff);
	if (l->fd < 0)
		return;
	ev_cancel(&l->io);
	close(l->fd);
	l->fd = -1;
}
