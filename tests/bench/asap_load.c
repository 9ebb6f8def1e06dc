/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An ASAP load generator for a running registrard, over the TCP mapping on
 * loopback: N connections in one epoll loop, each with W requests in flight
 * (window), in plaintext or over TLS with lib/tls.c as the client (a PSK,
 * or the registrar's certificate checked against a CA).  Modes:
 *   resolve    HANDLE_RESOLUTION of a pool of K PEs, registered first on one
 *              extra plaintext connection that answers keep-alives;
 *   register   REGISTRATION of a fresh PE identifier, then its
 *              DEREGISTRATION (the handlespace keeps its size);
 *   handshake  connect, TLS handshake (full, or resumed from the last
 *              session ticket with -r), one resolution, close;
 *   idle       N connections that each make one resolution and then stay
 *              idle for S seconds: the registrar's resident memory (VmRSS
 *              of -P PID) before they open and at the end, per connection;
 *              then each makes one more resolution (the registrar has
 *              released the buffers of idle ones: they must still work).
 * After a warm-up it counts answers for S seconds, and prints one line of
 * key=value pairs: answers per second, its own CPU time, the registrar's
 * (utime + stime of -P PID from /proc/PID/stat) and both per answer.  A
 * single thread: on a small machine the client may saturate first, which
 * is why the registrar's CPU per request is reported beside the rate.
 * Every wait is bounded; exit status 1 on any error (a rejected
 * registration, an ERROR message, a closed connection).  Not part of
 * `make check`: tests/bench/run-asap-bench runs it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "rserpool.h"
#include "tls.h"

#define IN_CAP		70000	/* a whole message of 64K and more */
#define OUT_CAP		(64 * 512)
#define MAX_CONNS	4096
#define MAX_WINDOW	64
#define SETUP_MS	10000	/* connect + handshake at set-up */
#define LIFE_MS		600000	/* PE registration life */

enum mode { M_RESOLVE, M_REGISTER, M_HANDSHAKE, M_IDLE };
enum transport { T_PLAIN, T_PSK, T_CERT };
enum cstate { C_CONNECTING, C_HANDSHAKE, C_READY };

struct conn {
	int		 fd;
	struct tls_conn	*t;
	enum cstate	 st;
	bool		 populator;	/* holds the pool's PEs */
	bool		 want_write;	/* TLS waits for the socket to take more */
	int		 idx;		/* in conns[] */
	uint32_t	 events;
	uint64_t	 answered;
	uint32_t	 slot_id[MAX_WINDOW];	/* register: id per slot */
	uint8_t		 in[IN_CAP];
	size_t		 inlen;
	uint8_t		 out[OUT_CAP];
	size_t		 outlen;
};

static struct {
	enum mode	 mode;
	enum transport	 tr;
	int		 nconns;
	int		 window;
	double		 secs, warmup;
	uint16_t	 port, plain_port;
	const char	*psk_file, *ca_file, *name;
	bool		 resume;
	int		 pes, items;
	long		 reg_pid;
	const char	*label;
} opt = {
	.mode = M_RESOLVE, .tr = T_PLAIN, .nconns = 1, .window = 1,
	.secs = 3, .warmup = 0.5, .name = "registrar.bench", .pes = 10,
	.items = 3,
};

static struct tls_ctx	*tctx;
static int		 ep = -1;
static char		 pool[40];
static uint32_t		 next_id;
static int		 pop_sent;	/* populator's registrations */
static bool		 counting;
static uint64_t		 answers, regs, resumed, errors, handshakes;
static struct conn	*conns[MAX_CONNS + 1];

static void __attribute__((format(printf, 1, 2), noreturn))
fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "asap_load: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
cpu_self(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* utime + stime of pid in seconds, -1 if unknown. */
static double
cpu_of(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* After "(comm)": state is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* VmRSS of pid in KiB, -1 if unknown. */
static long
rss_of(long pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *fp;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(fp);
	return kb;
}

/* ---- messages ---------------------------------------------------------- */

static size_t
msg_registration(uint8_t *buf, size_t cap, uint32_t id)
{
	struct rsp_pe pe;
	struct wbuf w;
	size_t m;

	memset(&pe, 0, sizeof(pe));
	pe.id = id;
	pe.life = LIFE_MS;
	pe.user.type = RSP_PARAM_TCP_TRANSPORT;
	pe.user.port = (uint16_t)(7000 + id % 1000);
	pe.user.use = RSP_TRANSPORT_USE_DATA_CONTROL;
	pe.user.naddr = 1;
	rsp_addr_v4(&pe.user.addr[0], 0x7f000001);
	pe.policy.type = RSP_POLICY_ROUND_ROBIN;
	wbuf_init(&w, buf, cap);
	m = rsp_put_msg_begin(&w, ASAP_REGISTRATION, 0);
	rsp_put_handle(&w, pool, strlen(pool));
	rsp_put_pe(&w, &pe);
	rsp_put_msg_end(&w, m);
	return w.err ? 0 : w.len;
}

static size_t
msg_handle_id(uint8_t *buf, size_t cap, uint8_t type, const void *handle,
    size_t hlen, uint32_t id)
{
	struct wbuf w;
	size_t m;

	wbuf_init(&w, buf, cap);
	m = rsp_put_msg_begin(&w, type, 0);
	rsp_put_handle(&w, handle, hlen);
	rsp_put_pe_id(&w, id);
	rsp_put_msg_end(&w, m);
	return w.err ? 0 : w.len;
}

static size_t
msg_resolution(uint8_t *buf, size_t cap)
{
	struct wbuf w;
	size_t m;

	wbuf_init(&w, buf, cap);
	m = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, pool, strlen(pool));
	rsp_put_hropt(&w, (uint32_t)opt.items);
	rsp_put_msg_end(&w, m);
	return w.err ? 0 : w.len;
}

/* ---- connections ------------------------------------------------------- */

static void
conn_arm(struct conn *c)
{
	struct epoll_event ev = { .data.ptr = c };
	uint32_t want = EPOLLIN;

	if (c->st == C_CONNECTING || c->outlen > 0 || c->want_write)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	ev.events = want;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		fatal("epoll_ctl: %s", strerror(errno));
	c->events = want;
}

/* Push what is queued: 0, or -1 when the connection is lost. */
static int
conn_flush(struct conn *c)
{
	size_t off = 0, n;
	ssize_t w;
	int rc;

	while (off < c->outlen) {
		if (c->t != NULL) {
			rc = tls_write(c->t, c->out + off, c->outlen - off, &n);
			if (rc == TLS_WANT_WRITE || rc == TLS_WANT_READ) {
				c->want_write = rc == TLS_WANT_WRITE;
				break;
			}
			if (rc != 0)
				return -1;
		} else {
			w = send(c->fd, c->out + off, c->outlen - off,
			    MSG_NOSIGNAL);
			if (w < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (w < 0)
				return -1;
			n = (size_t)w;
		}
		off += n;
	}
	memmove(c->out, c->out + off, c->outlen - off);
	c->outlen -= off;
	conn_arm(c);
	return 0;
}

static void
conn_queue(struct conn *c, const uint8_t *p, size_t len)
{
	if (len == 0 || c->outlen + len > sizeof(c->out))
		fatal("%s", "cannot queue a request");
	memcpy(c->out + c->outlen, p, len);
	c->outlen += len;
}

/* Queue the next request of slot s (not flushed). */
static void
conn_request(struct conn *c, int s)
{
	uint8_t buf[512];

	switch (opt.mode) {
	case M_REGISTER:
		c->slot_id[s] = next_id++;
		conn_queue(c, buf, msg_registration(buf, sizeof(buf),
		    c->slot_id[s]));
		break;
	case M_RESOLVE:
	case M_HANDSHAKE:
	case M_IDLE:
		conn_queue(c, buf, msg_resolution(buf, sizeof(buf)));
		break;
	}
}

static void
conn_free(struct conn *c)
{
	if (c->t != NULL) {
		tls_shutdown(c->t);
		tls_conn_free(c->t);
	}
	if (c->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	free(c);
}

/* A socket to the registrar (non-blocking; connect under way or done). */
static struct conn *
conn_open(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct epoll_event ev;
	struct conn *c;
	int one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", "out of memory");
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (c->fd < 0)
		fatal("socket: %s", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		free(c);
		return NULL;
	}
	c->st = C_CONNECTING;
	c->events = EPOLLIN | EPOLLOUT;
	ev.events = c->events;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		fatal("epoll_ctl: %s", strerror(errno));
	return c;
}

/* Requests that open a connection (the populator sends its own). */
static void
conn_start(struct conn *c)
{
	int s;

	c->st = C_READY;
	if (c->populator)
		return;
	for (s = 0; s < (opt.mode == M_HANDSHAKE || opt.mode == M_IDLE ? 1 :
	    opt.window); s++)
		conn_request(c, s);
}

/* Connected or handshaking: advance; -1 on failure. */
static int
conn_setup_step(struct conn *c)
{
	socklen_t sl = sizeof(int);
	const char *text;
	int err = 0, rc;

	if (c->st == C_CONNECTING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0 ||
		    err != 0) {
			errno = err;
			return -1;
		}
		if (c->populator || tctx == NULL) {
			conn_start(c);
			return conn_flush(c);
		}
		if (tls_conn_new(tctx, c->fd, &c->t) != 0)
			fatal("%s", "tls_conn_new");
		c->st = C_HANDSHAKE;
	}
	rc = tls_handshake(c->t);
	if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE) {
		c->want_write = rc == TLS_WANT_WRITE;
		conn_arm(c);
		return 0;
	}
	if (rc != 0) {
		tls_conn_fail(c->t, &text);
		fprintf(stderr, "asap_load: handshake: %s\n", text);
		errno = EPROTO;
		return -1;
	}
	if (counting) {
		handshakes++;
		if (tls_resumed(c->t))
			resumed++;
	}
	conn_start(c);
	return conn_flush(c);
}

/* ---- answers ----------------------------------------------------------- */

static void
bad_message(const uint8_t *p, size_t len, const char *why)
{
	struct rsp_msg m;
	struct rsp_err err;
	uint16_t cause = 0;

	if (rsp_decode(RSP_PROTO_ASAP, p, len, &(struct rsp_decode_opts){
	    .pool_handle_max = UINT16_MAX }, &m, &err) == 0 && m.has_error &&
	    m.error.ncause > 0)
		cause = m.error.cause[0].code;
	if (errors++ < 5)
		fprintf(stderr, "asap_load: %s (type 0x%02x, cause 0x%x)\n",
		    why, p[0], cause);
}

/* A keep-alive to the populator's PEs: acknowledge it. */
static void
keep_alive(struct conn *c, const uint8_t *p, size_t len)
{
	struct rsp_msg m;
	struct rsp_err err;
	uint8_t buf[512];

	if (rsp_decode(RSP_PROTO_ASAP, p, len, &(struct rsp_decode_opts){
	    .pool_handle_max = UINT16_MAX }, &m, &err) != 0 || !m.has_pe_id) {
		bad_message(p, len, "bad keep-alive");
		return;
	}
	conn_queue(c, buf, msg_handle_id(buf, sizeof(buf),
	    ASAP_ENDPOINT_KEEP_ALIVE_ACK, m.handle.p, m.handle.len, m.pe_id));
}

/* The first answer of each connection is decoded and checked in full. */
static void
check_resolution(const uint8_t *p, size_t len)
{
	struct rsp_iter it;
	struct rsp_msg m;
	struct rsp_err err;
	struct rsp_pe pe;
	int n = 0;

	if (rsp_decode(RSP_PROTO_ASAP, p, len, &(struct rsp_decode_opts){
	    .pool_handle_max = UINT16_MAX }, &m, &err) != 0 || m.has_error) {
		bad_message(p, len, "resolution failed");
		return;
	}
	rsp_iter_init(&it, &m);
	while (rsp_iter_pe(&it, NULL, &pe))
		n++;
	if (n != (opt.items < opt.pes ? opt.items : opt.pes))
		bad_message(p, len, "resolution: wrong number of PEs");
}

/* An Operation Error parameter at the top level: a refusal. */
static bool
has_op_error(const uint8_t *p, size_t len)
{
	size_t off = RSP_MSG_HDR_LEN, plen;

	while (off + RSP_TLV_HDR_LEN <= len) {
		if (get_u16(p + off) == RSP_PARAM_OPERATION_ERROR)
			return true;
		if ((plen = get_u16(p + off + 2)) < RSP_TLV_HDR_LEN)
			return true;	/* malformed: count it */
		off += roundup4(plen);
	}
	return false;
}

/* One message from the registrar; false: close this connection. */
static bool
conn_message(struct conn *c, const uint8_t *p, size_t len)
{
	uint8_t buf[512];
	int s;

	if (p[0] == ASAP_ENDPOINT_KEEP_ALIVE) {
		keep_alive(c, p, len);
		return true;
	}
	if (c->populator) {
		if (p[0] != ASAP_REGISTRATION_RESPONSE ||
		    (p[1] & ASAP_FLAG_REJECT))
			bad_message(p, len, "populator: registration failed");
		c->answered++;
		if (pop_sent < opt.pes) {	/* MAX_WINDOW in flight */
			pop_sent++;
			conn_queue(c, buf, msg_registration(buf, sizeof(buf),
			    next_id++));
		}
		return true;
	}
	s = (int)(c->answered % (uint64_t)opt.window);
	switch (p[0]) {
	case ASAP_HANDLE_RESOLUTION_RESPONSE:
		if (opt.mode == M_REGISTER)
			goto unexpected;
		if (c->answered == 0)
			check_resolution(p, len);
		c->answered++;
		if (counting)
			answers++;
		if (opt.mode == M_HANDSHAKE)
			return false;
		if (opt.mode != M_IDLE)
			conn_request(c, s);
		return true;
	case ASAP_REGISTRATION_RESPONSE:
		if (opt.mode != M_REGISTER)
			goto unexpected;
		if (p[1] & ASAP_FLAG_REJECT)
			bad_message(p, len, "registration rejected");
		else if (counting)
			regs++;
		c->answered++;
		if (counting)
			answers++;
		conn_queue(c, buf, msg_handle_id(buf, sizeof(buf),
		    ASAP_DEREGISTRATION, pool, strlen(pool), c->slot_id[s]));
		return true;
	case ASAP_DEREGISTRATION_RESPONSE:
		if (opt.mode != M_REGISTER)
			goto unexpected;
		if (has_op_error(p, len))
			bad_message(p, len, "deregistration refused");
		c->answered++;
		if (counting)
			answers++;
		conn_request(c, s);
		return true;
	default:
		break;
	}
unexpected:
	bad_message(p, len, "unexpected message");
	return true;
}

/* Read what there is; -1 when the connection is lost, 1 when done. */
static int
conn_read(struct conn *c)
{
	size_t off, got;
	ssize_t n;
	long f;
	int rc;
	bool more = true, keep = true;

	while (more) {
		if (c->t != NULL) {
			rc = tls_read(c->t, c->in + c->inlen,
			    sizeof(c->in) - c->inlen, &got);
			if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE) {
				c->want_write = rc == TLS_WANT_WRITE;
				break;
			}
			if (rc != 0 || got == 0)
				return -1;
			/* Nothing held in the session: the socket has had
			 * what there was (epoll reports what comes next). */
			more = tls_pending(c->t) > 0;
		} else {
			n = recv(c->fd, c->in + c->inlen,
			    sizeof(c->in) - c->inlen, 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0)
				return -1;
			got = (size_t)n;
			/* A short read drained the socket. */
			more = got == sizeof(c->in) - c->inlen;
		}
		c->inlen += got;
		off = 0;
		while ((f = rsp_frame(c->in + off, c->inlen - off)) > 0) {
			if (keep && !conn_message(c, c->in + off, (size_t)f))
				keep = false;
			off += (size_t)f;
		}
		if (f < 0)
			fatal("%s", "unframeable answer");
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
	if (!keep)
		return 1;
	return conn_flush(c);
}

/* ---- the loop ---------------------------------------------------------- */

static struct conn *
conn_new_loaded(int idx)
{
	struct conn *c = conn_open(opt.port);

	if (c == NULL)
		fatal("connect: %s", strerror(errno));
	c->idx = idx;
	return c;
}

/* Events of one connection; in handshake mode a finished or failed one
 * is replaced by a new one.  false: a steady connection was lost. */
static bool
conn_event(struct conn **slot, uint32_t revents)
{
	struct conn *c = *slot;
	int rc, i;

	c->want_write = false;
	if (c->st != C_READY) {
		if (conn_setup_step(c) != 0)
			goto lost;
		if (c->st != C_READY)
			return true;
		revents |= EPOLLIN;	/* the answer may be in already */
	}
	if ((revents & EPOLLOUT) && conn_flush(c) != 0)
		goto lost;
	if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return true;
	if ((rc = conn_read(c)) == 0)
		return true;
	if (rc < 0)
		goto lost;
	/* Handshake mode: this one is done; the next. */
	i = c->idx;
	conn_free(c);
	*slot = conn_new_loaded(i);
	return true;
lost:
	if (opt.mode == M_HANDSHAKE && !c->populator) {
		if (errors++ < 5)
			fprintf(stderr, "asap_load: connection failed: %s\n",
			    strerror(errno));
		conn_free(c);
		*slot = conn_new_loaded(c->idx);
		return true;
	}
	return false;
}

/* Run the loop until t_end (CLOCK_MONOTONIC s); false: a lost connection. */
static bool
run_until(double t_end)
{
	struct epoll_event ev[64];
	struct conn **slot;
	int i, n, ms;
	double t;

	while ((t = now()) < t_end) {
		ms = (int)((t_end - t) * 1000) + 1;
		n = epoll_wait(ep, ev, 64, ms > 100 ? 100 : ms);
		if (n < 0 && errno != EINTR)
			fatal("epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			/* Each fd once per batch: a connection replaced in
			 * this batch has no event left in it. */
			slot = &conns[((struct conn *)ev[i].data.ptr)->idx];
			if (!conn_event(slot, ev[i].events)) {
				fprintf(stderr, "asap_load: connection lost: "
				    "%s\n", strerror(errno));
				return false;
			}
		}
	}
	return true;
}

/* Set-up: the populator registers the pool; steady connections are up. */
static bool
ready(void)
{
	int i;

	if (conns[opt.nconns] != NULL &&
	    conns[opt.nconns]->answered < (uint64_t)opt.pes)
		return false;
	if (opt.mode == M_HANDSHAKE)
		return true;
	for (i = 0; i < opt.nconns; i++)
		if (conns[i]->st != C_READY ||
		    (opt.mode == M_IDLE && conns[i]->answered == 0))
			return false;
	return true;
}

/* The populator: K PEs of the pool, over plaintext, kept for the run. */
static struct conn *
populator(void)
{
	struct conn *c;
	uint8_t buf[512];
	double end = now() + SETUP_MS / 1000.0;
	int i;

	/* The registrar may still be starting: retry for a while. */
	for (;;) {
		if ((c = conn_open(opt.plain_port)) != NULL) {
			c->populator = true;
			c->idx = opt.nconns;
			if (poll(&(struct pollfd){ .fd = c->fd,
			    .events = POLLOUT }, 1, 1000) == 1 &&
			    conn_setup_step(c) == 0)
				break;
			conn_free(c);
		}
		if (now() > end)
			fatal("cannot reach the registrar: %s",
			    strerror(errno));
		usleep(20000);
	}
	for (i = 0; i < MAX_WINDOW && pop_sent < opt.pes; i++, pop_sent++)
		conn_queue(c, buf, msg_registration(buf, sizeof(buf),
		    next_id++));
	if (conn_flush(c) != 0)
		fatal("%s", "populator: connection lost");
	return c;
}

/*
 * Idle mode: open the connections IDLE_BATCH at a time, each batch done
 * (handshake and answer) before the next, so that the registrar's memory
 * shows what idle associations hold, not the peak of a thousand
 * handshakes at once.
 */
#define IDLE_BATCH	20
static void
open_in_batches(double deadline)
{
	int i, j, n;

	for (i = 0; i < opt.nconns; i += n) {
		n = opt.nconns - i < IDLE_BATCH ? opt.nconns - i : IDLE_BATCH;
		for (j = i; j < i + n; j++)
			conns[j] = conn_new_loaded(j);
		for (j = i; j < i + n; ) {
			if (conns[j]->st == C_READY && conns[j]->answered > 0) {
				j++;
				continue;
			}
			if (now() > deadline)
				fatal("%s", "set-up took too long");
			if (!run_until(now() + 0.01))
				exit(1);
		}
	}
}

/* Idle mode, at the end: one more resolution on each connection. */
static void
wake_all(double deadline)
{
	int i;

	for (i = 0; i < opt.nconns; i++) {
		conn_request(conns[i], 0);
		if (conn_flush(conns[i]) != 0)
			fatal("%s", "idle connection lost");
	}
	for (i = 0; i < opt.nconns; ) {
		if (conns[i]->answered >= 2) {
			i++;
			continue;
		}
		if (now() > deadline)
			fatal("%s", "an idle connection did not answer again");
		if (!run_until(now() + 0.01))
			exit(1);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: asap_load -p PORT [-m resolve|register|"
	    "handshake|idle] [-c CONNS] [-w WINDOW]\n"
	    "    [-t SECONDS] [-u WARMUP] [-T plain|psk|cert] [-k PSKFILE] "
	    "[-a CAFILE] [-n NAME] [-r]\n"
	    "    [-q PLAIN_PORT] [-K PES] [-i ITEMS] [-P REGISTRAR_PID] "
	    "[-l LABEL]\n");
	exit(2);
}

static void
parse_args(int argc, char *argv[])
{
	int ch;

	while ((ch = getopt(argc, argv, "a:c:i:K:k:l:m:n:P:p:q:rT:t:u:w:")) !=
	    -1) {
		switch (ch) {
		case 'a': opt.ca_file = optarg; break;
		case 'c': opt.nconns = atoi(optarg); break;
		case 'i': opt.items = atoi(optarg); break;
		case 'K': opt.pes = atoi(optarg); break;
		case 'k': opt.psk_file = optarg; break;
		case 'l': opt.label = optarg; break;
		case 'n': opt.name = optarg; break;
		case 'P': opt.reg_pid = atol(optarg); break;
		case 'p': opt.port = (uint16_t)atoi(optarg); break;
		case 'q': opt.plain_port = (uint16_t)atoi(optarg); break;
		case 'r': opt.resume = true; break;
		case 't': opt.secs = atof(optarg); break;
		case 'u': opt.warmup = atof(optarg); break;
		case 'w': opt.window = atoi(optarg); break;
		case 'm':
			if (strcmp(optarg, "resolve") == 0)
				opt.mode = M_RESOLVE;
			else if (strcmp(optarg, "register") == 0)
				opt.mode = M_REGISTER;
			else if (strcmp(optarg, "handshake") == 0)
				opt.mode = M_HANDSHAKE;
			else if (strcmp(optarg, "idle") == 0)
				opt.mode = M_IDLE;
			else
				usage();
			break;
		case 'T':
			if (strcmp(optarg, "plain") == 0)
				opt.tr = T_PLAIN;
			else if (strcmp(optarg, "psk") == 0)
				opt.tr = T_PSK;
			else if (strcmp(optarg, "cert") == 0)
				opt.tr = T_CERT;
			else
				usage();
			break;
		default:
			usage();
		}
	}
	if (opt.port == 0 || opt.nconns < 1 || opt.nconns > MAX_CONNS ||
	    opt.window < 1 || opt.window > MAX_WINDOW || opt.secs <= 0 ||
	    opt.secs > 600 || opt.warmup < 0 || opt.warmup > 60 ||
	    opt.pes < 1 || opt.items < 1 ||
	    (opt.tr == T_PSK && opt.psk_file == NULL) ||
	    (opt.tr == T_CERT && opt.ca_file == NULL))
		usage();
	if (opt.plain_port == 0)
		opt.plain_port = opt.port;
	if (opt.tr != T_PLAIN && opt.plain_port == opt.port)
		fatal("%s", "TLS needs the plaintext port too (-q) for the pool");
}

static const char *const mode_names[] = { "resolve", "register", "handshake",
	"idle" };
static const char *const tr_names[] = { "plain", "psk", "cert" };

int
main(int argc, char *argv[])
{
	struct tls_config cfg = { .role = TLS_CLIENT };
	double t0, t1, c0, c1, r0, r1, el;
	uint64_t a0, a1;
	long rss0, rss1;
	char err[256];
	int i;

	parse_args(argc, argv);
	if (opt.tr != T_PLAIN) {
		if (opt.tr == T_PSK)
			cfg.psk_file = opt.psk_file;
		else {
			cfg.ca_file = opt.ca_file;
			cfg.server_name = opt.name;
		}
		cfg.resume = opt.resume;
		if (tls_ctx_new(&cfg, &tctx, err, sizeof(err)) != 0)
			fatal("%s", err);
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		fatal("epoll_create1: %s", strerror(errno));
	next_id = (uint32_t)getpid() << 12 | 1;
	snprintf(pool, sizeof(pool), "bench-%ld", (long)getpid());
	rss0 = rss_of(opt.reg_pid);

	/* Set-up, bounded: the pool, then the connections. */
	if (opt.mode != M_REGISTER)
		conns[opt.nconns] = populator();
	t0 = now() + SETUP_MS / 1000.0;
	if (opt.mode == M_IDLE)
		open_in_batches(t0);
	for (i = 0; i < opt.nconns; i++)
		if (conns[i] == NULL)
			conns[i] = conn_new_loaded(i);
	while (!ready()) {
		if (now() > t0)
			fatal("%s", "set-up took too long");
		if (!run_until(now() + 0.01))
			exit(1);
	}
	if (!run_until(now() + opt.warmup))
		exit(1);

	counting = true;
	a0 = answers;
	t0 = now();
	c0 = cpu_self();
	r0 = cpu_of(opt.reg_pid);
	if (!run_until(t0 + opt.secs))
		exit(1);
	t1 = now();
	c1 = cpu_self();
	r1 = cpu_of(opt.reg_pid);
	rss1 = rss_of(opt.reg_pid);
	a1 = answers;
	counting = false;

	if (opt.mode == M_IDLE)
		wake_all(now() + SETUP_MS / 1000.0);
	el = t1 - t0;
	printf("asap_load mode=%s transport=%s%s conns=%d window=%d pes=%d "
	    "secs=%.3f answers=%llu ops_s=%.0f", mode_names[opt.mode],
	    tr_names[opt.tr], opt.resume ? "-resumed" : "", opt.nconns,
	    opt.window, opt.pes, el, (unsigned long long)(a1 - a0),
	    (double)(a1 - a0) / el);
	if (opt.mode == M_REGISTER)
		printf(" regs_s=%.0f", (double)regs / el);
	if (opt.mode == M_IDLE && rss0 >= 0 && rss1 >= 0)
		printf(" reg_rss0_kb=%ld reg_rss_kb=%ld rss_kb_conn=%.1f", rss0,
		    rss1, (double)(rss1 - rss0) / opt.nconns);
	if (opt.mode == M_HANDSHAKE && tctx != NULL)
		printf(" handshakes=%llu resumed=%llu",
		    (unsigned long long)handshakes,
		    (unsigned long long)resumed);
	printf(" client_cpu_s=%.3f client_us_op=%.2f", c1 - c0,
	    a1 > a0 ? (c1 - c0) * 1e6 / (double)(a1 - a0) : 0);
	if (r0 >= 0 && r1 >= 0)
		printf(" reg_cpu_s=%.3f reg_us_op=%.2f", r1 - r0,
		    a1 > a0 ? (r1 - r0) * 1e6 / (double)(a1 - a0) : 0);
	printf(" errors=%llu%s%s\n", (unsigned long long)errors,
	    opt.label != NULL ? " label=" : "", opt.label != NULL ?
	    opt.label : "");
	fflush(stdout);

	for (i = 0; i <= opt.nconns; i++)
		if (conns[i] != NULL)
			conn_free(conns[i]);
	tls_ctx_free(tctx);
	close(ep);
	return errors > 0 || (a1 == a0 && opt.mode != M_IDLE) ? 1 : 0;
}
