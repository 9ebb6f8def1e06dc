/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one-shot ASAP probe (see asap_probe.h): a small state machine on the
 * event loop - connecting, sending the request, reading the answer - with
 * one deadline timer.  The request is built with lib/codec; the answer is
 * framed with rsp_frame() (over SCTP too: the ASAP header carries the
 * length) and judged on its decoded form, never on raw bytes.  Every
 * outcome closes the socket at once and reaches the caller from a deferred
 * call, so a caller may start the next probe or free its own state from
 * the callback.  With TLS the connection first handshakes (driven by the
 * same watcher, its direction as the session asks), then the same request
 * and answer go through the session.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asap_probe.h"
#include "buf.h"
#include "rserpool.h"

#define RX_MAX	(RSP_MSG_MAX_LEN + 4)	/* one message and its padding */

const char *const asap_probe_class_name[ASAP_PROBE_C_MAX] = {
	"timeout", "refused", "unreachable", "reset", "closed", "malformed",
	"other", "tls",
};

struct asap_probe {
	struct ev_loop	*loop;
	int		 fd;
	struct tls_conn	*tls;		/* NULL: plaintext */
	struct ev_ref	 io, timer, done;
	struct timespec	 t0;		/* at connect() */
	uint8_t		 tx[128];
	size_t		 txlen, txoff;
	char		 pool[RSP_POOL_HANDLE_MAX_DEFAULT + 1];
	struct asap_probe_result r;
	struct rsp_msg	 m;		/* r.answer points here */
	asap_probe_cb	 cb;
	void		*arg;
	size_t		 rxlen;
	uint8_t		 rx[RX_MAX];
};

static enum asap_probe_class
errno_class(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return ASAP_PROBE_C_REFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
	case EADDRNOTAVAIL:
		return ASAP_PROBE_C_UNREACHABLE;
	case ECONNRESET:
	case EPIPE:
		return ASAP_PROBE_C_RESET;
	case ETIMEDOUT:
		return ASAP_PROBE_C_TIMEOUT;
	default:
		return ASAP_PROBE_C_OTHER;
	}
}

static double
elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)((int64_t)(t.tv_sec - t0->tv_sec) * 1000000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000) / 1000.0;
}

static void
probe_free(struct asap_probe *p)
{
	ev_cancel(&p->io);
	ev_cancel(&p->timer);
	ev_cancel(&p->done);
	tls_conn_free(p->tls);
	if (p->fd != -1)
		close(p->fd);
	free(p);
}

void
asap_probe_cancel(struct asap_probe *p)
{
	if (p != NULL)
		probe_free(p);
}

static void
probe_report(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct asap_probe *p = arg;

	(void)loop;
	(void)revents;
	p->cb(p->arg, &p->r);
	probe_free(p);
}

/* The end: close now, report from a deferred call. */
static void
probe_end(struct asap_probe *p, enum asap_probe_end end,
    enum asap_probe_class cls, int err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
probe_end(struct asap_probe *p, enum asap_probe_end end,
    enum asap_probe_class cls, int err, const char *fmt, ...)
{
	va_list ap;

	ev_cancel(&p->io);
	ev_cancel(&p->timer);
	tls_conn_free(p->tls);
	p->tls = NULL;
	if (p->fd != -1) {
		close(p->fd);
		p->fd = -1;
	}
	p->r.rtt_ms = elapsed_ms(&p->t0);
	p->r.end = end;
	p->r.ok = end == ASAP_PROBE_ANSWERED;
	p->r.cls = cls;
	p->r.err = err;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(p->r.error, sizeof(p->r.error), fmt, ap);
		va_end(ap);
	}
	if (ev_defer(p->loop, probe_report, p, &p->done) != 0)
		probe_report(p->loop, p, EV_DEFER);	/* out of memory */
}

/* A resolution answer: for the handle asked, and who sent it? */
static void
probe_answer(struct asap_probe *p)
{
	struct asap_probe_result *r = &p->r;
	const struct rsp_msg *m = &p->m;
	size_t plen = strlen(p->pool);

	r->answer = m;
	r->pes = m->nitems;
	if (m->has_regid && m->regid_answer) {
		r->has_id = true;
		r->server_id = m->regid_server_id;
		/* The codec checked: UTF-8 without NUL, at most 64 bytes. */
		memcpy(r->node, m->regid_node.p, m->regid_node.len);
		r->node[m->regid_node.len] = '\0';
	}
	if (m->handle.len != plen || memcmp(m->handle.p, p->pool, plen) != 0) {
		probe_end(p, ASAP_PROBE_OTHER_HANDLE, ASAP_PROBE_C_MALFORMED,
		    0, "answer for another pool handle");
		return;
	}
	if (m->has_error && m->error.ncause > 0) {
		r->cause = m->error.cause[0].code;
		if (r->cause == RSP_CAUSE_UNKNOWN_POOL_HANDLE)
			probe_end(p, ASAP_PROBE_ANSWERED, 0, 0,
			    "handle not found");
		else
			probe_end(p, ASAP_PROBE_ANSWERED, 0, 0, "%s",
			    rsp_cause_name(r->cause));
	} else if (m->nitems == 0) {
		probe_end(p, ASAP_PROBE_ANSWERED, 0, 0, "no pool element");
	} else {
		probe_end(p, ASAP_PROBE_ANSWERED, 0, 0, NULL);
	}
}

/* A whole message of len bytes at p->rx. */
static void
probe_message(struct asap_probe *p, size_t len)
{
	struct rsp_err err;

	if (rsp_decode(RSP_PROTO_ASAP, p->rx, len, NULL, &p->m, &err) != 0) {
		probe_end(p, ASAP_PROBE_UNDECODABLE, ASAP_PROBE_C_MALFORMED, 0,
		    "malformed reply: %s", err.what);
		return;
	}
	if (p->m.type == ASAP_HANDLE_RESOLUTION_RESPONSE)
		probe_answer(p);
	else if (p->m.type == ASAP_ERROR && p->m.has_error &&
	    p->m.error.ncause > 0)
		probe_end(p, ASAP_PROBE_ERROR_MSG, ASAP_PROBE_C_MALFORMED, 0,
		    "registrar sent Error: %s",
		    rsp_cause_name(p->m.error.cause[0].code));
	else
		probe_end(p, ASAP_PROBE_UNEXPECTED, ASAP_PROBE_C_MALFORMED, 0,
		    "unexpected %s", rsp_msg_name(RSP_PROTO_ASAP, p->m.type));
}

/* TLS wants the socket readable or writable before the next try. */
static void
probe_want(struct asap_probe *p, int want)
{
	(void)ev_fd_mod(&p->io, want == TLS_WANT_WRITE ? EV_WRITE : EV_READ);
}

/* A TLS read or write error: the same classes as the socket's. */
static void
probe_tls_io_error(struct asap_probe *p, enum asap_probe_end end, int rc)
{
	const char *text = "";
	char why[128];

	if (rc == -ECONNRESET || rc == -EPIPE)
		probe_end(p, end, ASAP_PROBE_C_RESET, -rc, "reset");
	else if (rc == -EPROTO) {
		/* Copied: probe_end() frees the session. */
		(void)tls_conn_fail(p->tls, &text);
		snprintf(why, sizeof(why), "%s", text[0] != '\0' ? text :
		    "protocol error");
		probe_end(p, end, ASAP_PROBE_C_OTHER, EPROTO, "TLS: %s", why);
	} else
		probe_end(p, end, errno_class(-rc), -rc, "%s: %s",
		    end == ASAP_PROBE_SEND ? "send" : "recv", strerror(-rc));
}

/* Drive the handshake; true when done (the request may go). */
static bool
probe_handshake(struct asap_probe *p)
{
	const char *text, *id;
	enum tls_auth auth;
	char why[128];
	int rc;

	if (tls_handshake_done(p->tls))
		return true;
	rc = tls_handshake(p->tls);
	if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE) {
		probe_want(p, rc);
		return false;
	}
	if (rc < 0) {
		p->r.tls_fail = tls_conn_fail(p->tls, &text);
		snprintf(why, sizeof(why), "%s", text);	/* freed below */
		probe_end(p, ASAP_PROBE_TLS, ASAP_PROBE_C_TLS, 0,
		    "TLS handshake failed: %s: %s",
		    tls_fail_name(p->r.tls_fail), why);
		return false;
	}
	if ((id = tls_peer_identity(p->tls, &auth)) != NULL)
		snprintf(p->r.tls_peer, sizeof(p->r.tls_peer), "%s", id);
	(void)ev_fd_mod(&p->io, EV_WRITE);
	return true;
}

/* Connected: send the request. */
static void
probe_send(struct asap_probe *p)
{
	ssize_t n;
	size_t w;
	int e = 0, rc;

	if (p->tls != NULL) {
		rc = tls_write(p->tls, p->tx + p->txoff, p->txlen - p->txoff,
		    &w);
		if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE) {
			probe_want(p, rc);
			return;
		}
		if (rc < 0) {
			probe_tls_io_error(p, ASAP_PROBE_SEND, rc);
			return;
		}
		p->txoff += w;
		if (p->txoff == p->txlen)
			ev_fd_mod(&p->io, EV_READ);
		return;
	}
	n = send(p->fd, p->tx + p->txoff, p->txlen - p->txoff, MSG_NOSIGNAL);
	if (n < 0) {
		e = errno;
		if (e != EAGAIN && e != EWOULDBLOCK && e != EINTR)
			probe_end(p, ASAP_PROBE_SEND, errno_class(e), e,
			    "send: %s", strerror(e));
		return;
	}
	p->txoff += (size_t)n;
	if (p->txoff == p->txlen)
		ev_fd_mod(&p->io, EV_READ);
}

static void
probe_recv(struct asap_probe *p)
{
	ssize_t n;
	size_t tn;
	long fl;
	int e, rc;

	for (;;) {
		if (p->tls != NULL) {
			rc = tls_read(p->tls, p->rx + p->rxlen,
			    sizeof(p->rx) - p->rxlen, &tn);
			if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE) {
				probe_want(p, rc);
				return;
			}
			if (rc < 0) {
				probe_tls_io_error(p, ASAP_PROBE_RECV, rc);
				return;
			}
			n = (ssize_t)tn;
		} else {
			n = recv(p->fd, p->rx + p->rxlen,
			    sizeof(p->rx) - p->rxlen, 0);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			e = errno;
			probe_end(p, ASAP_PROBE_RECV, errno_class(e), e,
			    e == ECONNRESET ? "reset" : "recv: %s",
			    strerror(e));
			return;
		}
		if (n == 0) {
			probe_end(p, ASAP_PROBE_CLOSED, ASAP_PROBE_C_CLOSED, 0,
			    "closed before the answer");
			return;
		}
		p->rxlen += (size_t)n;
		fl = rsp_frame(p->rx, p->rxlen);
		if (fl < 0) {
			probe_end(p, ASAP_PROBE_FRAMING, ASAP_PROBE_C_MALFORMED,
			    0, "malformed reply: message length below 4");
			return;
		}
		if (fl > 0) {
			probe_message(p, (size_t)fl);
			return;
		}
		if (p->rxlen == sizeof(p->rx)) {
			probe_end(p, ASAP_PROBE_TOO_LONG,
			    ASAP_PROBE_C_MALFORMED, 0,
			    "malformed reply: too long");
			return;
		}
	}
}

static void
probe_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct asap_probe *p = arg;
	socklen_t el = sizeof(int);
	int e = 0;

	(void)loop;
	if (!p->r.connected) {
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
			e = errno;
		if (e != 0) {
			probe_end(p, ASAP_PROBE_CONNECT, errno_class(e), e,
			    "connect: %s", strerror(e));
			return;
		}
		p->r.connected = true;
	}
	if (p->tls != NULL && !probe_handshake(p))
		return;
	if (p->txoff < p->txlen)
		probe_send(p);
	else if (p->tls != NULL || (revents & (EV_READ | EV_HUP | EV_ERROR)))
		probe_recv(p);
}

static void
probe_timeout(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct asap_probe *p = arg;

	(void)loop;
	(void)revents;
	probe_end(p, ASAP_PROBE_TIMEOUT, ASAP_PROBE_C_TIMEOUT, 0, "%s",
	    p->r.connected ? "timeout" : "timeout (connect)");
}

/* Open the socket and start connecting; a failure ends the probe. */
static void
probe_connect(struct asap_probe *p, const struct asap_probe_opts *o)
{
	struct sctp_sndinfo si = { .snd_ppid = htonl(ASAP_PPID) };
	int rc;

	p->fd = socket(o->sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, o->sctp ? IPPROTO_SCTP : IPPROTO_TCP);
	if (p->fd == -1) {
		rc = errno;
		probe_end(p, ASAP_PROBE_SOCKET, ASAP_PROBE_C_OTHER, rc,
		    "socket: %s", strerror(rc));
		return;
	}
	/* Every plain send() then carries the ASAP PPID (RFC 5352 §8.3). */
	if (o->sctp && setsockopt(p->fd, IPPROTO_SCTP, SCTP_DEFAULT_SNDINFO,
	    &si, sizeof(si)) == -1) {
		rc = errno;
		probe_end(p, ASAP_PROBE_SOCKET, ASAP_PROBE_C_OTHER, rc,
		    "socket: %s", strerror(rc));
		return;
	}
	if (o->tls != NULL && (rc = tls_conn_new(o->tls, p->fd,
	    &p->tls)) < 0) {
		probe_end(p, ASAP_PROBE_SOCKET, ASAP_PROBE_C_OTHER, -rc,
		    "TLS: %s", strerror(-rc));
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	if (connect(p->fd, o->sa, o->salen) == -1 && errno != EINPROGRESS) {
		rc = errno;
		probe_end(p, ASAP_PROBE_CONNECT, errno_class(rc), rc,
		    "connect: %s", strerror(rc));
		return;
	}
	if ((rc = ev_fd_add(p->loop, p->fd, EV_WRITE, probe_io, p,
	    &p->io)) < 0)
		probe_end(p, ASAP_PROBE_SOCKET, ASAP_PROBE_C_OTHER, -rc,
		    "event loop: %s", strerror(-rc));
}

int
asap_probe_start(struct ev_loop *loop, const struct asap_probe_opts *o,
    asap_probe_cb cb, void *arg, struct asap_probe **ret)
{
	struct asap_probe *p;
	struct wbuf w;
	size_t s, plen = o->pool != NULL ? strlen(o->pool) : 0;

	if (plen == 0 || plen > RSP_POOL_HANDLE_MAX_DEFAULT || o->sa == NULL ||
	    (o->tls != NULL && o->sctp))
		return -EINVAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	p->loop = loop;
	p->fd = -1;
	p->cb = cb;
	p->arg = arg;
	memcpy(p->pool, o->pool, plen);
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	wbuf_init(&w, p->tx, sizeof(p->tx));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, o->pool, plen);
	if (o->ask_identity)
		rsp_put_regid_request(&w);
	rsp_put_msg_end(&w, s);
	if (w.err) {
		free(p);
		return -EINVAL;
	}
	p->txlen = w.len;
	if (ev_timer_add(loop, o->timeout_ms, probe_timeout, p,
	    &p->timer) != 0) {
		free(p);
		return -ENOMEM;
	}
	probe_connect(p, o);
	*ret = p;
	return 0;
}
