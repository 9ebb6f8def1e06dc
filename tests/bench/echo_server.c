/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The by-hand floor for tests/bench/run-asap-bench: an epoll server on
 * loopback TCP that frames messages as the TCP mapping does (the length
 * field of each message header) and answers each with a reply of the size
 * the registrar's answer has, so that the load generator sees the same
 * bytes each way as against registrard and the difference is what the
 * registrar does beyond moving them.  Replies are zero-filled bodies behind
 * an ASAP header: the request's type mapped to its response type (-r TYPE:
 * SIZE gives the reply size for a request type; a request type without one
 * gets a reply of its own size).  Per readable event: one recv() of all
 * there is, every whole message answered into one buffer, one send(); a
 * socket that does not take it all is watched for EPOLLOUT until it has,
 * and that is the only epoll_ctl after the accept.  Level-triggered,
 * single-threaded, no timers: the least a server can do per request.
 * -x sctp: one-to-one SCTP associations instead of TCP, each reply one
 * SCTP message with PPID 11 (ASAP), one message per recv.
 * -B: the connections of one epoll batch are read with one system call and
 * answered with one more (io_uring, lib/iobatch.h), as registrard does:
 * the floor for a server that batches its calls.
 * -T LINES: per readable event, read LINES cache lines (64 bytes each) of
 * a private buffer first, four to a 4 KiB page and apart (lines 0, 5, 10
 * and 15 of each), as a server's scattered state is rather than in one
 * run the prefetcher follows; the reads are independent, so their misses
 * overlap.  -D LINES: the same lines, each read only once the one before
 * it is (a chase: each holds the offset of the next), so misses wait for
 * one another as they often do in real code.  The calibration of
 * tests/bench/run-footprint-bench: what a server pays per request for
 * each further line it touches, the two ways.
 * Prints "echo_server port=N" once listening; runs until killed.
 * Not part of `make check`.
 */
#define _GNU_SOURCE	/* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"
#include "bench_batch.h"

#define IN_CAP		(128 * 1024)
#define OUT_CAP		(1024 * 1024)
#define MSG_MAX		65535

struct econn {
	int		 fd;
	uint32_t	 events;
	size_t		 inlen, outlen;
	uint8_t		 in[IN_CAP];
	uint8_t		 out[OUT_CAP];
};

static uint16_t		 reply_size[256];	/* 0: the request's size */
static const volatile uint8_t *touch_buf;	/* -T, -D */
static size_t		 touch_lines;
static bool		 touch_chase;		/* -D */
static int		 ep = -1;
static int		 sctp;		/* -x sctp */

/* The ASAP response type of a request type (the others: themselves). */
static uint8_t
response_type(uint8_t t)
{
	switch (t) {
	case 0x01: return 0x03;		/* REGISTRATION */
	case 0x02: return 0x04;		/* DEREGISTRATION */
	case 0x05: return 0x06;		/* HANDLE_RESOLUTION */
	case 0x07: return 0x08;		/* ENDPOINT_KEEP_ALIVE */
	default:   return t;
	}
}

static void
econn_free(struct econn *c)
{
	close(c->fd);		/* leaves the epoll set with it */
	free(c);
}

static int
econn_arm(struct econn *c, uint32_t want)
{
	struct epoll_event ev = { .events = want, .data.ptr = c };

	if (want == c->events)
		return 0;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		return -1;
	c->events = want;
	return 0;
}

/* Send what is queued; watch EPOLLOUT only while some is left.  -1: lost. */
static int
econn_flush(struct econn *c)
{
	size_t off = 0;
	ssize_t n;

	while (off < c->outlen) {
		/* SCTP: one message each (replies are whole and padded). */
		n = send(c->fd, c->out + off, sctp ? (size_t)(c->out[off + 2] <<
		    8 | c->out[off + 3]) : c->outlen - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	if (off > 0) {
		memmove(c->out, c->out + off, c->outlen - off);
		c->outlen -= off;
	}
	return econn_arm(c, EPOLLIN | (c->outlen > 0 ? EPOLLOUT : 0));
}

/* Where -T and -D read their i-th line. */
static size_t
touch_off(size_t i)
{
	return (i / 4) * 4096 + (i % 4) * 5 * 64;
}

/*
 * One readable event: one recv, every whole message answered.  -1: lost.
 * first: that recv's result made already (-B: bytes or -errno), or NULL;
 * flush: send the replies (-B: the caller sends them in its batch).
 */
static int
econn_read(struct econn *c, const long *first, bool flush)
{
	size_t off = 0, flen, rlen;
	ssize_t n;

	if (touch_chase) {
		size_t at = 0;

		for (size_t i = 0; i < touch_lines; i++)
			at = *(const volatile size_t *)(touch_buf + at);
	} else
		for (size_t i = 0; i < touch_lines; i++)
			(void)touch_buf[touch_off(i)];
	if (first != NULL)
		n = iob_result(*first);
	else
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	c->inlen += (size_t)n;
	while (c->inlen - off >= 4) {
		flen = ((size_t)c->in[off + 2] << 8 | c->in[off + 3]);
		flen = (flen + 3) & ~(size_t)3;
		if (flen < 4)
			return -1;
		if (c->inlen - off < flen)
			break;
		rlen = reply_size[c->in[off]] != 0 ? reply_size[c->in[off]] :
		    flen;
		if (c->outlen + rlen > sizeof(c->out))
			return -1;	/* the peer does not read */
		memset(c->out + c->outlen, 0, rlen);
		c->out[c->outlen] = response_type(c->in[off]);
		c->out[c->outlen + 2] = (uint8_t)(rlen >> 8);
		c->out[c->outlen + 3] = (uint8_t)rlen;
		c->outlen += rlen;
		off += flen;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return flush ? econn_flush(c) : 0;
}

/*
 * -B: the connections of one epoll batch read with one system call and
 * answered with one more (lib/iobatch), as registrard does: the floor of a
 * server that batches its system calls.  Lost ones are freed.
 */
static void
econn_batch(struct iob *iob, struct econn **cv, int m)
{
	static size_t zero;	/* a lost connection's: nothing to send */
	struct bb_batch b;
	int i;

	BB_RECV(iob, &b, cv, m);
	for (i = 0; i < m; i++)
		if (econn_read(cv[i], &b.res[i], false) != 0)
			b.v[i].outlen = &zero;
	bb_send(iob, b.v, (size_t)m, b.res);
	for (i = 0; i < m; i++)
		if (b.v[i].outlen == &zero ||
		    (b.res[i] < 0 && b.res[i] != -EAGAIN) ||
		    econn_arm(cv[i], EPOLLIN | (cv[i]->outlen > 0 ?
		    EPOLLOUT : 0)) != 0)
			econn_free(cv[i]);
}

static void
accept_all(int lfd)
{
	struct epoll_event ev;
	struct econn *c;
	int fd, one = 1;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
	    0) {
		if (sctp) {
			struct sctp_sndrcvinfo si = { .sinfo_ppid = htonl(11) };

			setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &one,
			    sizeof(one));
			setsockopt(fd, IPPROTO_SCTP, SCTP_DEFAULT_SEND_PARAM,
			    &si, sizeof(si));
		} else
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->events = EPOLLIN;
		ev.events = c->events;
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			econn_free(c);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: echo_server -p PORT [-x tcp|sctp] [-B] "
	    "[-r REQTYPE:REPLYSIZE]... [-T LINES | -D LINES]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct epoll_event ev[64], lev = { .events = EPOLLIN };
	unsigned long t, s;
	int ch, lfd, i, n, one = 1, port = -1;
	struct econn *c, *cv[64];
	struct iob *iob = NULL;
	bool batch = false;
	uint8_t *tb;
	int m;
	char *end;

	bu_prog = "echo_server";
	while ((ch = getopt(argc, argv, "BD:p:r:T:x:")) != -1) {
		switch (ch) {
		case 'B':
			batch = true;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'r':
			t = strtoul(optarg, &end, 0);
			if (*end != ':' || t > 255)
				usage();
			s = strtoul(end + 1, &end, 0);
			if (*end != '\0' || s < 4 || s > MSG_MAX || s % 4)
				usage();
			reply_size[t] = (uint16_t)s;
			break;
		case 'D':
		case 'T':
			touch_lines = strtoul(optarg, &end, 0);
			if (*end != '\0' || touch_lines > 16384)
				usage();
			touch_chase = ch == 'D';
			/* Written: untouched pages would all be the zero page. */
			if ((tb = malloc((touch_lines / 4 + 1) * 4096)) == NULL)
				bu_fatal("%s", "out of memory");
			memset(tb, 1, (touch_lines / 4 + 1) * 4096);
			for (i = 0; i < (int)touch_lines; i++)
				*(size_t *)(void *)(tb + touch_off((size_t)i)) =
				    touch_off((size_t)i + 1 < touch_lines ?
				    (size_t)i + 1 : 0);
			touch_buf = tb;
			break;
		case 'x':
			if (strcmp(optarg, "sctp") == 0)
				sctp = 1;
			else if (strcmp(optarg, "tcp") != 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (port < 0 || port > 65535 || (batch && sctp))
		usage();
	if (batch && (iob = iob_new(true)) == NULL)
		bu_fatal("%s", "out of memory");
	signal(SIGPIPE, SIG_IGN);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    sctp ? IPPROTO_SCTP : 0)) < 0)
		bu_fatal("socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(lfd, 1024) != 0)
		bu_fatal("bind/listen: %s", strerror(errno));
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		bu_fatal("epoll_create1: %s", strerror(errno));
	lev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) != 0)
		bu_fatal("epoll_ctl: %s", strerror(errno));
	printf("echo_server port=%d\n", port);
	fflush(stdout);
	for (;;) {
		n = epoll_wait(ep, ev, 64, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			bu_fatal("epoll_wait: %s", strerror(errno));
		for (i = m = 0; i < n; i++) {
			if ((c = ev[i].data.ptr) == NULL) {
				accept_all(lfd);
				continue;
			}
			if (batch && ev[i].events == EPOLLIN) {
				cv[m++] = c;
				continue;
			}
			if ((ev[i].events & EPOLLOUT) && econn_flush(c) != 0) {
				econn_free(c);
				continue;
			}
			if ((ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
			    econn_read(c, NULL, true) != 0)
				econn_free(c);
		}
		if (m > 0)
			econn_batch(iob, cv, m);
	}
}
