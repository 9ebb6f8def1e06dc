/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The loopback "router" of relay.h: one thread polls the listening socket
 * and every relayed pair, copies bytes both ways, and closes a pair when
 * either side ends (a reset when the route moved with reset set).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "relay.h"

static void
rst_close(int fd)
{
	struct linger l = { 1, 0 };

	if (fd < 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static int
connect_backend(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct timeval tv = { 0, 200 * 1000 };
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* A full backlog of a stopped registrar drops SYNs: do not wait. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
relay_drop(struct relay *r, int i, bool rst)
{
	if (rst) {
		rst_close(r->cfd[i]);
	} else {
		close(r->cfd[i]);
	}
	close(r->bfd[i]);
	r->cfd[i] = r->bfd[i] = -1;
}

/* Copy what is readable from one side to the other; false at EOF/error. */
static bool
relay_copy(int from, int to)
{
	char buf[65536];
	ssize_t n = recv(from, buf, sizeof(buf), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return false;
	if (n > 0 && send(to, buf, (size_t)n, MSG_NOSIGNAL) != n)
		return false;
	return true;
}

static void *
relay_main(void *arg)
{
	struct relay *r = arg;
	struct pollfd pfd[1 + 2 * RELAY_MAX];
	int idx[1 + 2 * RELAY_MAX];
	size_t n, k;
	int i, fd, bfd;
	uint16_t backend;
	bool stop;

	for (;;) {
		pthread_mutex_lock(&r->mu);
		stop = r->stop;
		backend = r->backend;
		if (r->reset_all) {
			for (i = 0; i < RELAY_MAX; i++)
				if (r->cfd[i] >= 0)
					relay_drop(r, i, true);
			r->reset_all = false;
		}
		if (r->applied != r->gen) {
			r->applied = r->gen;
			pthread_cond_broadcast(&r->cv);
		}
		pthread_mutex_unlock(&r->mu);
		if (stop)
			break;
		n = 0;
		pfd[n].fd = r->lfd;
		pfd[n].events = POLLIN;
		idx[n++] = -1;
		for (i = 0; i < RELAY_MAX; i++) {
			if (r->cfd[i] < 0)
				continue;
			pfd[n].fd = r->cfd[i];
			pfd[n].events = POLLIN;
			idx[n++] = i;
			pfd[n].fd = r->bfd[i];
			pfd[n].events = POLLIN;
			idx[n++] = i;
		}
		if (poll(pfd, n, 5) <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			fd = accept(r->lfd, NULL, NULL);
			if (fd >= 0) {
				bfd = connect_backend(backend);
				for (i = 0; i < RELAY_MAX; i++)
					if (r->cfd[i] < 0)
						break;
				if (bfd < 0 || i == RELAY_MAX) {
					/* Nobody listens there: the kernel's
					 * answer is a reset. */
					rst_close(fd);
					if (bfd >= 0)
						close(bfd);
				} else {
					r->cfd[i] = fd;
					r->bfd[i] = bfd;
				}
			}
		}
		for (k = 1; k < n; k++) {
			i = idx[k];
			if (r->cfd[i] < 0 || pfd[k].revents == 0)
				continue;
			if (pfd[k].fd == r->cfd[i]) {
				if (!relay_copy(r->cfd[i], r->bfd[i]))
					relay_drop(r, i, false);
			} else if (pfd[k].fd == r->bfd[i]) {
				/* The registrar went away: so does the
				 * connection (FIN, or RST if it reset). */
				if (!relay_copy(r->bfd[i], r->cfd[i]))
					relay_drop(r, i, false);
			}
		}
	}
	for (i = 0; i < RELAY_MAX; i++)
		if (r->cfd[i] >= 0)
			relay_drop(r, i, false);
	return NULL;
}

int
relay_start(struct relay *r, uint16_t backend)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int i, one = 1;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < RELAY_MAX; i++)
		r->cfd[i] = r->bfd[i] = -1;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->backend = backend;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	(void)setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(r->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(r->lfd, (struct sockaddr *)&sin, &sl) == -1 ||
	    listen(r->lfd, 128) == -1)
		return -1;
	r->port = ntohs(sin.sin_port);
	return pthread_create(&r->thr, NULL, relay_main, r) == 0 ? 0 : -1;
}

void
relay_route(struct relay *r, uint16_t port, bool reset)
{
	unsigned int gen;

	pthread_mutex_lock(&r->mu);
	r->backend = port;
	r->reset_all = reset;
	gen = ++r->gen;
	/* The thread applies it within one poll (5 ms). */
	while (r->applied != gen && !r->stop)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

void
relay_stop(struct relay *r)
{
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thr, NULL);
	close(r->lfd);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
}
