/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ASAP probe and the registrar control-socket watcher (see check.h).
 * Both are non-blocking state machines on the event loop with their own
 * timeouts; neither ever blocks healthd.  The probe is lib/asap_probe.c;
 * this file only says what healthd counts as an answer and in which words
 * it reports a failure, and makes the probe's TLS context (lib/tls.c) from
 * the service's files for each probe.  The watcher treats its connection as the
 * registrar's liveness: EOF, an error, or no answer to "show summary"
 * within two poll intervals all count as lost, and it reconnects every poll
 * interval until the registrar is back.
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

#include "asap_probe.h"
#include "health/check.h"
#include "log.h"
#include "tls.h"

#define CTL_BUF		65536	/* one summary line */

struct hk_probe {
	struct asap_probe	*ap;
	hk_probe_cb		 cb;
	void			*arg;
};

void
hk_probe_cancel(struct hk_probe *p)
{
	if (p != NULL) {
		asap_probe_cancel(p->ap);
		free(p);
	}
}

/* "TLS handshake failed: cert_name" and the like, kept for the caller. */
static const char *
tls_why(enum tls_fail f)
{
	static char why[TLS_FAIL_MAX][64];

	if ((unsigned)f >= TLS_FAIL_MAX)
		f = TLS_FAIL_OTHER;
	if (why[f][0] == '\0')
		snprintf(why[f], sizeof(why[f]), "TLS handshake failed: %s",
		    tls_fail_name(f));
	return why[f];
}

/* healthd's words for a failed probe (static: the caller keeps them). */
static const char *
probe_why(const struct asap_probe_result *r)
{
	switch (r->end) {
	case ASAP_PROBE_TIMEOUT:
		return "timeout";
	case ASAP_PROBE_SOCKET:
		return strerror(r->err);
	case ASAP_PROBE_CONNECT:
		return r->err == ECONNREFUSED ? "connection refused" :
		    r->err == ENETUNREACH ? "network unreachable" :
		    "connect failed";
	case ASAP_PROBE_SEND:
		return "send failed";
	case ASAP_PROBE_RECV:
		return "receive failed";
	case ASAP_PROBE_CLOSED:
		return "closed by the registrar";
	case ASAP_PROBE_FRAMING:
		return "bad framing";
	case ASAP_PROBE_TOO_LONG:
		return "answer too long";
	case ASAP_PROBE_UNDECODABLE:
		return "undecodable answer";
	case ASAP_PROBE_TLS:
		return tls_why(r->tls_fail);
	default:
		return "unexpected answer";
	}
}

static void
probe_done(void *arg, const struct asap_probe_result *r)
{
	struct hk_probe *p = arg;
	hk_probe_cb cb = p->cb;
	void *cbarg = p->arg;
	/*
	 * Any resolution answer proves the registrar serves: an unknown pool,
	 * an empty one, even one for another handle.
	 */
	bool ok = r->end == ASAP_PROBE_ANSWERED ||
	    r->end == ASAP_PROBE_OTHER_HANDLE;

	free(p);
	cb(cbarg, ok, (uint64_t)r->rtt_ms, ok ? NULL : probe_why(r));
}

static int
probe_start(struct ev_loop *loop, const struct sockaddr_storage *ss,
    socklen_t sslen, const char *pool, uint32_t timeout_ms,
    struct tls_ctx *tls, hk_probe_cb cb, void *arg, struct hk_probe **ret)
{
	struct asap_probe_opts o = {
		.sa = (const struct sockaddr *)ss,
		.salen = sslen,
		.pool = pool,
		.timeout_ms = timeout_ms,
		.tls = tls,
	};
	struct hk_probe *p;
	int rc;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	p->cb = cb;
	p->arg = arg;
	if ((rc = asap_probe_start(loop, &o, probe_done, p, &p->ap)) != 0) {
		free(p);
		return rc;
	}
	*ret = p;
	return 0;
}

int
hk_probe_start(struct ev_loop *loop, const struct sockaddr_storage *ss,
    socklen_t sslen, const char *pool, uint32_t timeout_ms, hk_probe_cb cb,
    void *arg, struct hk_probe **ret)
{
	return probe_start(loop, ss, sslen, pool, timeout_ms, NULL, cb, arg,
	    ret);
}

#define NZ(s)	((s)[0] != '\0' ? (s) : NULL)

int
hk_probe_start_svc(struct ev_loop *loop, const struct hc_service *c,
    hk_probe_cb cb, void *arg, struct hk_probe **ret)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(1, 60000);
	struct tls_config tc = {
		.role = TLS_CLIENT,
		.allow_tls12 = true,
		.psk_file = NZ(c->probe_tls_psk),
		.psk_identity = NZ(c->probe_tls_identity),
		.ca_file = NZ(c->probe_tls_ca),
		.server_name = NZ(c->probe_tls_name),
		.cert_file = NZ(c->probe_tls_cert),
		.key_file = NZ(c->probe_tls_key),
	};
	struct tls_ctx *tls = NULL;
	char err[256];
	int rc;

	if (c->probe_tls && (rc = tls_ctx_new(&tc, &tls, err,
	    sizeof(err))) != 0) {
		log_rl_warnx(&rl, ev_now(loop), "service %s: probe tls: %s",
		    c->name, err);
		return rc;
	}
	rc = probe_start(loop, &c->probe_ss, c->probe_sslen, c->probe_pool,
	    c->timeout_ms, tls, cb, arg, ret);
	tls_ctx_free(tls);	/* the probe holds its own reference */
	return rc;
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
