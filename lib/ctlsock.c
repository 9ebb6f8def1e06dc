/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control-socket server of ctlsock.h: the socket file and its stale
 * check, accepting within the client limit, reading request lines, queuing
 * the daemon's replies and writing them when the socket is writable.  A
 * client's state moves on in client_run(): flush what is queued, answer the
 * next complete lines while little enough waits, then watch for what can
 * move it on next (input, room to write) or close it.
 */
#define _GNU_SOURCE		/* accept4 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlsock.h"
#include "log.h"

#define CTLSOCK_BACKLOG		16
#define CTLSOCK_PATH_MAX	sizeof(((struct sockaddr_un *)0)->sun_path)
#define CTLSOCK_XSTR(x)		#x
#define CTLSOCK_STR(x)		CTLSOCK_XSTR(x)

struct ctlsock_client {
	LIST_ENTRY(ctlsock_client) entry;
	struct ctlsock		*cs;
	int			 fd;
	struct ev_ref		 io, idle;
	unsigned int		 events;	/* what io watches */
	char			 in[CTLSOCK_LINE_MAX + 1];
	size_t			 inlen;
	char			*out;		/* queued replies */
	size_t			 outlen, outoff;
	bool			 eof;		/* the peer sent everything */
	bool			 closing;	/* close once out is flushed */
};

struct ctlsock {
	struct ev_loop		*loop;
	int			 fd;
	struct ev_ref		 io;
	char			 path[CTLSOCK_PATH_MAX];
	ctlsock_cmd_cb		 cb;
	void			*arg;
	LIST_HEAD(, ctlsock_client) clients;
	unsigned int		 nclients;
	unsigned long		 refused;
};

static void
seterr(char *err, size_t errlen, const char *fmt, ...) LOG_PRINTF(3, 4);

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Clients ----------------------------------------------------------------- */

static void
client_free(struct ctlsock_client *c)
{
	ev_cancel(&c->io);
	ev_cancel(&c->idle);
	LIST_REMOVE(c, entry);
	c->cs->nclients--;
	close(c->fd);
	free(c->out);
	free(c);
}

static void
client_idle(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)revents;
	log_debug("control: client idle for %d ms, closing", CTLSOCK_IDLE_MS);
	client_free(arg);
}

/* Progress in either direction: the idle clock starts again.  0/-errno. */
static int
client_touch(struct ctlsock_client *c)
{
	return ev_timer_add(c->cs->loop, CTLSOCK_IDLE_MS, client_idle, c,
	    &c->idle);
}

static size_t
client_queued(const struct ctlsock_client *c)
{
	return c->outlen - c->outoff;
}

/* Queue reply (malloc'ed, NUL-terminated; taken over) and a newline. */
static int
client_queue(struct ctlsock_client *c, char *reply)
{
	size_t n = strlen(reply);
	char *p;

	if (client_queued(c) == 0) {
		/* The common case: the reply's NUL becomes the newline. */
		free(c->out);
		reply[n] = '\n';
		c->out = reply;
		c->outlen = n + 1;
		c->outoff = 0;
		return 0;
	}
	if (c->outoff > 0) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
	if ((p = realloc(c->out, c->outlen + n + 1)) == NULL) {
		free(reply);
		return -ENOMEM;
	}
	memcpy(p + c->outlen, reply, n);
	p[c->outlen + n] = '\n';
	c->out = p;
	c->outlen += n + 1;
	free(reply);
	return 0;
}

/*
 * A reply of the server's own, {"error": what} (what needs no escaping),
 * after which the client is closed: the rest of its input is not trusted.
 * 1 (answered), or -errno.
 */
static int
client_error(struct ctlsock_client *c, const char *what)
{
	char *s;
	int rc;

	if (asprintf(&s, "{\"error\":\"%s\"}", what) == -1)
		return -ENOMEM;
	c->closing = true;
	c->inlen = 0;
	return (rc = client_queue(c, s)) != 0 ? rc : 1;
}

/*
 * Answer the next complete request in the input, if any: 1 if it did, 0 if
 * there is none, -errno.  At the end of the input, a last line without a
 * newline counts; blank lines get no answer.
 */
static int
client_next_request(struct ctlsock_client *c)
{
	char *nl, line[CTLSOCK_LINE_MAX + 1], *reply;
	size_t n;
	int rc;

	for (;;) {
		nl = memchr(c->in, '\n', c->inlen);
		if (nl == NULL) {
			if (c->inlen > CTLSOCK_LINE_MAX)
				return client_error(c, "request longer than "
				    CTLSOCK_STR(CTLSOCK_LINE_MAX) " bytes");
			if (!c->eof || c->inlen == 0)
				return 0;
			nl = c->in + c->inlen;	/* last line, no newline */
		}
		n = (size_t)(nl - c->in);
		memcpy(line, c->in, n);
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL)
			return client_error(c, "NUL byte in request");
		if (nl < c->in + c->inlen)
			n++;
		memmove(c->in, c->in + n, c->inlen - n);
		c->inlen -= n;
		if (strspn(line, " \t\r") != strlen(line))
			break;
	}
	if ((reply = c->cs->cb(c->cs->arg, line)) == NULL)
		return -ENOMEM;
	return (rc = client_queue(c, reply)) != 0 ? rc : 1;
}

/* Write what the socket takes now.  0 (done or would block), or -errno. */
static int
client_flush(struct ctlsock_client *c)
{
	ssize_t w;
	int rc;

	while (client_queued(c) > 0) {
		w = send(c->fd, c->out + c->outoff, client_queued(c),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		c->outoff += (size_t)w;
		if ((rc = client_touch(c)) != 0)
			return rc;
	}
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	return 0;
}

/* Move things on: flush, answer, then decide what to wait for. */
static void
client_run(struct ctlsock_client *c)
{
	unsigned int want = 0;
	int rc;

	for (;;) {
		if ((rc = client_flush(c)) != 0)
			goto fail;
		if (c->closing || client_queued(c) >= CTLSOCK_OUT_MAX)
			break;
		if ((rc = client_next_request(c)) < 0)
			goto fail;
		if (rc == 0)
			break;
	}
	if (client_queued(c) > 0)
		want |= EV_WRITE;
	else if (c->closing || (c->eof && c->inlen == 0)) {
		client_free(c);
		return;
	}
	if (!c->eof && !c->closing && client_queued(c) < CTLSOCK_OUT_MAX)
		want |= EV_READ;
	if (want != c->events) {
		if ((rc = ev_fd_mod(&c->io, want)) != 0)
			goto fail;
		c->events = want;
	}
	return;
fail:
	log_debug("control: client: %s", strerror(-rc));
	client_free(c);
}

static void
client_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct ctlsock_client *c = arg;
	ssize_t n;
	int rc;

	(void)loop;
	if ((revents & EV_READ) && (c->events & EV_READ)) {
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen,
		    MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			log_debug("control: recv: %s", strerror(errno));
			client_free(c);
			return;
		}
		if (n == 0)
			c->eof = true;
		if (n > 0) {
			c->inlen += (size_t)n;
			if ((rc = client_touch(c)) != 0) {
				client_free(c);
				return;
			}
		}
	} else if ((revents & (EV_ERROR | EV_HUP)) &&
	    !(revents & (EV_READ | EV_WRITE))) {
		client_free(c);
		return;
	}
	client_run(c);
}

static void
ctlsock_accept(struct ev_loop *loop, void *arg, unsigned int revents)
{
	static const char busy[] = "{\"error\":\"too many clients\"}\n";
	struct ctlsock *cs = arg;
	struct ctlsock_client *c;
	int fd;

	(void)revents;
	fd = accept4(cs->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		log_debug("control: accept: %s", strerror(errno));
		return;
	}
	if (cs->nclients >= CTLSOCK_MAX_CLIENTS) {
		/* Best effort: a new socket's buffer takes this line. */
		(void)send(fd, busy, sizeof(busy) - 1,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		cs->refused++;
		log_debug("control: %d clients, refusing another",
		    CTLSOCK_MAX_CLIENTS);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->cs = cs;
	c->fd = fd;
	c->events = EV_READ;
	LIST_INSERT_HEAD(&cs->clients, c, entry);
	cs->nclients++;
	if (ev_fd_add(loop, fd, EV_READ, client_io, c, &c->io) != 0 ||
	    client_touch(c) != 0)
		client_free(c);
}

/* The socket file --------------------------------------------------------- */

/* mkdir -p for the socket's directory (0755).  0 or -errno. */
static int
mkparent(const char *path)
{
	char d[CTLSOCK_PATH_MAX], *s;

	snprintf(d, sizeof(d), "%s", path);
	if ((s = strrchr(d, '/')) == NULL || s == d)
		return 0;
	*s = '\0';
	for (s = d + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(d, 0755) == -1 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(d, 0755) == -1 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Remove a socket file left by a daemon that died, but never one another
 * daemon is still listening on.  0, or -EADDRINUSE / -EEXIST / -errno.
 */
static int
remove_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc = 0;

	if (lstat(sun->sun_path, &st) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		rc = -EADDRINUSE;
	else if (errno == ECONNREFUSED) {
		if (unlink(sun->sun_path) == -1 && errno != ENOENT)
			rc = -errno;
		else
			log_debug("control: removed stale socket %s",
			    sun->sun_path);
	} else	/* EAGAIN: a live daemon with a full backlog */
		rc = errno == EAGAIN ? -EADDRINUSE : -errno;
	close(fd);
	return rc;
}

/* Bind and listen on sun (mode 0660).  The fd, or -errno. */
static int
listen_on(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	const char *path = sun->sun_path, *what = "bind";
	mode_t old;
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		rc = -errno;
		seterr(err, errlen, "socket: %s", strerror(-rc));
		return rc;
	}
	old = umask(0117);
	rc = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	umask(old);
	if (rc == -1) {
		rc = -errno;
		seterr(err, errlen, "bind %s: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	rc = 0;
	if (chmod(path, 0660) == -1)
		rc = -errno, what = "chmod";
	else if (listen(fd, CTLSOCK_BACKLOG) == -1)
		rc = -errno, what = "listen";
	if (rc != 0) {
		seterr(err, errlen, "%s %s: %s", what, path, strerror(-rc));
		unlink(path);
		close(fd);
		return rc;
	}
	return fd;
}

/*
 * The listening socket at path: parents made, a stale file replaced, a live
 * daemon's refused.  The fd, or -errno with err set.
 */
static int
open_path(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int rc;

	if (path[0] == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
		seterr(err, errlen, "control socket path \"%s\": empty or "
		    "longer than %zu bytes", path, sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((rc = mkparent(path)) != 0) {
		seterr(err, errlen, "cannot create the directory of %s: %s",
		    path, strerror(-rc));
		return rc;
	}
	if ((rc = remove_stale(&sun)) != 0) {
		if (rc == -EADDRINUSE)
			seterr(err, errlen, "another daemon owns %s", path);
		else if (rc == -EEXIST)
			seterr(err, errlen, "%s exists and is not a socket",
			    path);
		else
			seterr(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	return listen_on(&sun, err, errlen);
}

int
ctlsock_open(struct ev_loop *loop, const char *path, ctlsock_cmd_cb cb,
    void *arg, struct ctlsock **ret, char *err, size_t errlen)
{
	struct ctlsock *cs;
	int fd, rc;

	*ret = NULL;
	if ((cs = calloc(1, sizeof(*cs))) == NULL) {
		seterr(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	if ((fd = open_path(path, err, errlen)) < 0) {
		free(cs);
		return fd;
	}
	cs->loop = loop;
	cs->fd = fd;
	cs->cb = cb;
	cs->arg = arg;
	snprintf(cs->path, sizeof(cs->path), "%s", path);
	LIST_INIT(&cs->clients);
	if ((rc = ev_fd_add(loop, fd, EV_READ, ctlsock_accept, cs,
	    &cs->io)) != 0) {
		seterr(err, errlen, "%s: event loop: %s", path, strerror(-rc));
		close(fd);
		unlink(path);
		free(cs);
		return rc;
	}
	*ret = cs;
	return 0;
}

int
ctlsock_move(struct ctlsock *cs, const char *path, char *err, size_t errlen)
{
	int fd, rc;

	if (strcmp(cs->path, path) == 0)
		return 0;
	if ((fd = open_path(path, err, errlen)) < 0)
		return fd;
	ev_cancel(&cs->io);
	if ((rc = ev_fd_add(cs->loop, fd, EV_READ, ctlsock_accept, cs,
	    &cs->io)) != 0) {
		seterr(err, errlen, "%s: event loop: %s", path, strerror(-rc));
		close(fd);
		unlink(path);
		/* Back to the old one, as well as we can. */
		(void)ev_fd_add(cs->loop, cs->fd, EV_READ, ctlsock_accept, cs,
		    &cs->io);
		return rc;
	}
	close(cs->fd);
	unlink(cs->path);
	cs->fd = fd;
	snprintf(cs->path, sizeof(cs->path), "%s", path);
	return 0;
}

void
ctlsock_close(struct ctlsock *cs)
{
	if (cs == NULL)
		return;
	while (!LIST_EMPTY(&cs->clients))
		client_free(LIST_FIRST(&cs->clients));
	ev_cancel(&cs->io);
	close(cs->fd);
	unlink(cs->path);
	free(cs);
}

const char *
ctlsock_path(const struct ctlsock *cs)
{
	return cs->path;
}

unsigned int
ctlsock_nclients(const struct ctlsock *cs)
{
	return cs != NULL ? cs->nclients : 0;
}

unsigned long
ctlsock_refused(const struct ctlsock *cs)
{
	return cs != NULL ? cs->refused : 0;
}
