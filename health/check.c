/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ASAP probe and the registrar control-socket watcher (see check.h).
 * Both are non-blocking state machines on the event loop with their own
 * timeouts; neither ever blocks healthd.  The probe builds its request with
 * lib/codec and frames the answer with rsp_frame(), decoding it with
 * rsp_decode() rather than looking at raw bytes.  The watcher treats its
 * connection as the registrar's liveness: EOF, an error, or no answer to
 * "show summary" within two poll intervals all count as lost, and it
 * reconnects every poll interval until the registrar is back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "codec.h"
#include "rserpool.h"
#include "health/check.h"

#define PROBE_BUF	4096
#define CTL_BUF		65536	/* one summary line */

struct hk_probe {
	struct ev_loop	*loop;
	int		 fd;
	struct ev_ref	 io, timer, done;
	uint8_t		 tx[256];
	size_t		 txlen, txoff;
	uint8_t		 rx[PROBE_BUF];
	size_t		 rxlen;
	uint64_t	 start;
	bool		 ok;
	const char	*why;
	hk_probe_cb	 cb;
	void		*arg;
};

static void
probe_free(struct hk_probe *p)
{
	ev_cancel(&p->io);
	ev_cancel(&p->timer);
	ev_cancel(&p->done);
	if (p->fd != -1)
		close(p->fd);
	free(p);
}

void
hk_probe_cancel(struct hk_probe *p)
{
	if (p != NULL)
		probe_free(p);
}

static void
probe_report(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct hk_probe *p = arg;
	hk_probe_cb cb = p->cb;
	void *cbarg = p->arg;
	bool ok = p->ok;
	const char *why = p->why;
	uint64_t rtt = ev_now(loop) - p->start;

	(void)revents;
	probe_free(p);
	cb(cbarg, ok, rtt, why);
}

/* Finish: close now, report from a deferred call. */
static void
probe_finish(struct hk_probe *p, bool ok, const char *why)
{
	ev_cancel(&p->io);
	ev_cancel(&p->timer);
	if (p->fd != -1) {
		close(p->fd);
		p->fd = -1;
	}
	p->ok = ok;
	p->why = why;
	if (ev_defer(p->loop, probe_report, p, &p->done) != 0)
		probe_report(p->loop, p, EV_DEFER);
}

static void
probe_timeout(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)revents;
	probe_finish(arg, false, "timeout");
}

static void
probe_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct hk_probe *p = arg;
	struct rsp_msg m;
	struct rsp_err err;
	socklen_t len = sizeof(int);
	ssize_t n;
	long fl;
	int soerr = 0;

	(void)loop;
	if (p->txoff < p->txlen) {
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1
		    || soerr != 0) {
			probe_finish(p, false, soerr == ECONNREFUSED ?
			    "connection refused" : "connect failed");
			return;
		}
		n = send(p->fd, p->tx + p->txoff, p->txlen - p->txoff,
		    MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				probe_finish(p, false, "send failed");
			return;
		}
		p->txoff += (size_t)n;
		if (p->txoff == p->txlen)
			ev_fd_mod(&p->io, EV_READ);
		return;
	}
	if (!(revents & (EV_READ | EV_HUP | EV_ERROR)))
		return;
	n = recv(p->fd, p->rx + p->rxlen, sizeof(p->rx) - p->rxlen, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			probe_finish(p, false, "receive failed");
		return;
	}
	if (n == 0) {
		probe_finish(p, false, "closed by the registrar");
		return;
	}
	p->rxlen += (size_t)n;
	fl = rsp_frame(p->rx, p->rxlen);
	if (fl < 0) {
		probe_finish(p, false, "bad framing");
		return;
	}
	if (fl == 0) {
		if (p->rxlen == sizeof(p->rx))
			probe_finish(p, false, "answer too long");
		return;
	}
	if ((size_t)fl > p->rxlen)
		return;
	if (rsp_decode(RSP_PROTO_ASAP, p->rx, (size_t)fl, NULL, &m,
	    &err) != 0) {
		probe_finish(p, false, "undecodable answer");
		return;
	}
	if (m.type != ASAP_HANDLE_RESOLUTION_RESPONSE) {
		probe_finish(p, false, "unexpected answer");
		return;
	}
	probe_finish(p, true, NULL);
}

int
hk_probe_start(struct ev_loop *loop, const struct sockaddr_storage *ss,
    socklen_t sslen, const char *pool, uint32_t timeout_ms, hk_probe_cb cb,
    void *arg, struct hk_probe **ret)
{
	struct hk_probe *p;
	struct wbuf w;
	size_t s;
	int rc;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	p->loop = loop;
	p->cb = cb;
	p->arg = arg;
	p->start = ev_now(loop);
	wbuf_init(&w, p->tx, sizeof(p->tx));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, pool, strlen(pool));
	rsp_put_msg_end(&w, s);
	if (w.err) {
		free(p);
		return -EINVAL;
	}
	p->txlen = w.len;
	p->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (p->fd == -1) {
		rc = -errno;
		free(p);
		return rc;
	}
	if (ev_timer_add(loop, timeout_ms, probe_timeout, p, &p->timer) != 0 ||
	    ev_fd_add(loop, p->fd, EV_WRITE, probe_io, p, &p->io) != 0) {
		probe_free(p);
		return -ENOMEM;
	}
	if (connect(p->fd, (const struct sockaddr *)ss, sslen) == -1 &&
	    errno != EINPROGRESS) {
		/* Report asynchronously like every other outcome. */
		probe_finish(p, false, errno == ECONNREFUSED ?
		    "connection refused" : errno == ENETUNREACH ?
		    "network unreachable" : "connect failed");
	}
	*ret = p;
	return 0;
}

/* The control watcher --------------------------------------------------- */

struct hk_ctl {
	struct ev_loop	*loop;
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint32_t	 poll_ms;
	int		 fd;
	struct ev_ref	 io, timer;
	bool		 up, synced, waiting;
	uint64_t	 asked;		/* when the outstanding request went */
	uint64_t	 losses;
	char		*in;
	size_t		 inlen;
	hk_ctl_cb	 cb;
	void		*arg;
};

static void ctl_tick(struct ev_loop *, void *, unsigned int);

static void
ctl_close(struct hk_ctl *c)
{
	ev_cancel(&c->io);
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->inlen = 0;
	c->waiting = false;
}

static void
ctl_lost(struct hk_ctl *c)
{
	bool was = c->up;

	ctl_close(c);
	c->up = false;
	if (was) {
		c->losses++;
		c->cb(c->arg, HK_CTL_LOST);
	}
}

static void
ctl_line(struct hk_ctl *c, const char *line)
{
	json_error_t jerr;
	json_t *j, *s, *sync;
	bool synced = true, was_up = c->up;

	c->waiting = false;
	if ((j = json_loads(line, 0, &jerr)) == NULL)
		return;
	s = json_object_get(j, "summary");
	if (json_is_object(s)) {
		sync = json_object_get(s, "synchronized");
		/* No field (a registrar without ENRP): synchronized. */
		if (json_is_boolean(sync))
			synced = json_is_true(sync);
		c->up = true;
	}
	json_decref(j);
	if (!c->up)
		return;
	if (!was_up) {
		c->synced = synced;
		c->cb(c->arg, HK_CTL_UP);
	} else if (synced != c->synced) {
		c->synced = synced;
		c->cb(c->arg, HK_CTL_SYNC);
	}
}

static void
ctl_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct hk_ctl *c = arg;
	char *nl;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = recv(c->fd, c->in + c->inlen, CTL_BUF - 1 - c->inlen, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		ctl_lost(c);
		return;
	}
	if (n < 0)
		return;
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	while ((nl = memchr(c->in, '\n', c->inlen)) != NULL) {
		*nl = '\0';
		ctl_line(c, c->in);
		c->inlen -= (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, c->inlen);
	}
	if (c->inlen == CTL_BUF - 1)
		ctl_lost(c);	/* a line longer than any summary */
}

static void
ctl_ask(struct hk_ctl *c)
{
	static const char req[] = "show summary\n";

	if (send(c->fd, req, sizeof(req) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)(sizeof(req) - 1)) {
		ctl_lost(c);
		return;
	}
	c->waiting = true;
	c->asked = ev_now(c->loop);
}

static void
ctl_connect(struct hk_ctl *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memcpy(sun.sun_path, c->path, sizeof(c->path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return;
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    ev_fd_add(c->loop, c->fd, EV_READ, ctl_io, c, &c->io) != 0) {
		ctl_close(c);
		return;
	}
	ctl_ask(c);
}

static void
ctl_tick(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct hk_ctl *c = arg;

	(void)revents;
	if (c->fd == -1)
		ctl_connect(c);
	else if (c->waiting && ev_now(loop) - c->asked >= 2 * c->poll_ms)
		ctl_lost(c);	/* alive but not answering */
	else if (!c->waiting)
		ctl_ask(c);
	ev_timer_add(loop, c->poll_ms, ctl_tick, c, &c->timer);
}

int
hk_ctl_new(struct ev_loop *loop, const char *path, uint32_t poll_ms,
    hk_ctl_cb cb, void *arg, struct hk_ctl **ret)
{
	struct hk_ctl *c;

	if (strlen(path) >= sizeof(c->path))
		return -ENAMETOOLONG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	if ((c->in = malloc(CTL_BUF)) == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->loop = loop;
	c->fd = -1;
	c->poll_ms = poll_ms;
	c->cb = cb;
	c->arg = arg;
	c->synced = true;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (ev_timer_add(loop, 0, ctl_tick, c, &c->timer) != 0) {
		hk_ctl_free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void
hk_ctl_free(struct hk_ctl *c)
{
	if (c == NULL)
		return;
	ctl_close(c);
	ev_cancel(&c->timer);
	free(c->in);
	free(c);
}

bool
hk_ctl_up(const struct hk_ctl *c)
{
	return c->up;
}

bool
hk_ctl_synced(const struct hk_ctl *c)
{
	return c->synced;
}

uint64_t
hk_ctl_losses(const struct hk_ctl *c)
{
	return c->losses;
}
