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
 *   regdereg   REGISTRATION of fresh PE identifiers for S seconds (at most
 *              REGS_MAX per connection), then DEREGISTRATION of all of them:
 *              two timed phases, reported on two lines (mode=registration
 *              and mode=deregistration);
 *   hold       register K PEs (-K, over as many connections as the
 *              per-association limit needs) into the pool, answer their
 *              keep-alives, print one "ready" line and keep them until
 *              SIGTERM: the background handlespace of other runs (-g).
 * After a warm-up it counts answers for S seconds, and prints one line of
 * key=value pairs: answers per second, its own CPU time, the server's
 * (run time of -P PID, bench_util.h) and both per answer, and
 * with -S the server's system calls per answer (perf tracepoint counters
 * on its threads; root).  -j N: after set-up the connections are spread
 * over N threads, each with its own epoll loop, so that the client is not
 * the bottleneck (the first thread keeps the pool's connections).  -E:
 * the server is tests/bench/echo_server (answers are not decoded); sizes=
 * reports the size of each kind of answer, which the echo server is given.
 * -x sctp: every connection is a one-to-one SCTP association instead
 * (IPPROTO_SCTP, no TLS), each ASAP message one SCTP message with PPID 11,
 * one message per recv (the SCTP half runs in ../shared/sctp-vm:
 * tests/bench/run-sctp-bench).  -A ADDR: the IPv4 address registered PEs
 * give (default 127.0.0.1; RSPLIB's registrar refuses loopback addresses).
 * -B: the steady plaintext TCP connections of one epoll batch are read with
 * one system call and their next requests sent with one more (io_uring,
 * lib/iobatch.h), so that on a machine where a system call is the largest
 * cost the load generator still spends less per request than the server.
 * Every wait is bounded; exit status 1 on any error (a rejected
 * registration, an ERROR message, a closed connection).  Not part of
 * `make check`: tests/bench/run-asap-bench runs it.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_util.h"
#include "buf.h"
#include "codec.h"
#include "bench_batch.h"
#include "rserpool.h"
#include "tls.h"

#define IN_CAP		70000	/* a whole message of 64K and more */
#define OUT_CAP		(64 * 512)
#define MAX_CONNS	4096
#define MAX_WINDOW	64
#define SETUP_MS	10000	/* connect + handshake at set-up */
#define LIFE_MS		600000	/* PE registration life */
#define HOLD_LIFE_MS	7200000	/* hold mode: the run's length and more */
#define HOLD_SETUP_MS	600000	/* hold mode: registering a million PEs */
#define PES_PER_POP	60000	/* below the per-association limit */
#define REGS_MAX	60000	/* regdereg: PEs per connection */
#define MAX_THREADS	16

enum mode { M_RESOLVE, M_REGISTER, M_HANDSHAKE, M_IDLE, M_REGDEREG, M_HOLD };
enum phase { P_REG, P_DEREG };
enum transport { T_PLAIN, T_PSK, T_CERT };
enum cstate { C_CONNECTING, C_HANDSHAKE, C_READY };

struct conn {
	int		 fd;
	struct tls_conn	*t;
	enum cstate	 st;
	bool		 populator;	/* holds the pool's PEs */
	bool		 want_write;	/* TLS waits for the socket to take more */
	int		 idx;		/* in conns[] */
	int		 ep;		/* the epoll loop of its thread */
	uint32_t	 events;
	uint64_t	 answered;
	int		 pop_left;	/* populator: registrations to send */
	int		 pop_want;	/* populator: its share of the pool */
	bool		 full;		/* regdereg: REGS_MAX registered */
	uint32_t	*ids;		/* regdereg: registered, in order */
	size_t		 nids, dereg_next;
	int		 inflight;	/* regdereg: requests unanswered */
	bool		 kicked;	/* regdereg: started deregistering */
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
	const char	*pool;
	int		 threads;
	bool		 echo, syscalls;
	bool		 batch;		/* -B: batched recv/send (lib/iobatch) */
	bool		 sctp;		/* -x sctp */
	uint32_t	 pe_addr;	/* -A: the PEs' IPv4 address */
} opt = {
	.mode = M_RESOLVE, .tr = T_PLAIN, .nconns = 1, .window = 1,
	.secs = 3, .warmup = 0.5, .name = "registrar.bench", .pes = 10,
	.items = 3, .threads = 1, .pe_addr = 0x7f000001,
};

static struct tls_ctx	*tctx;
static __thread int	 ep = -1;	/* this thread's loop */
static char		 pool[256];
static uint32_t		 next_id;	/* atomic */
static bool		 counting;	/* atomic: the measured window */
static int		 phase;		/* atomic: enum phase (regdereg) */
static volatile sig_atomic_t stop;	/* hold: SIGTERM */
/* Counted by each thread while counting, summed once the threads end. */
static __thread uint64_t answers, regs, resumed, errors, handshakes;
static uint64_t		 t_answers, t_regs, t_resumed, t_errors,
			 t_handshakes;
static uint16_t		 ans_size[256];	/* first answer of each type */
static struct conn	*conns[MAX_CONNS + 64];
static int		 npop;		/* populators: conns[nconns..] */
static bool		 workers_stop;	/* atomic */
static int		 g_inflight;	/* atomic: regdereg requests unanswered */
static int		 g_kicked;	/* atomic: connections deregistering */
static int		 g_full;	/* atomic: connections full (REGS_MAX) */

static bool
is_counting(void)
{
	return __atomic_load_n(&counting, __ATOMIC_RELAXED);
}

static uint32_t
new_id(void)
{
	return __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
}

/* This thread's counters into the totals. */
static void
counters_sum(void)
{
	__atomic_add_fetch(&t_answers, answers, __ATOMIC_RELAXED);
	__atomic_add_fetch(&t_regs, regs, __ATOMIC_RELAXED);
	__atomic_add_fetch(&t_resumed, resumed, __ATOMIC_RELAXED);
	__atomic_add_fetch(&t_errors, errors, __ATOMIC_RELAXED);
	__atomic_add_fetch(&t_handshakes, handshakes, __ATOMIC_RELAXED);
	answers = regs = resumed = errors = handshakes = 0;
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
	pe.life = opt.mode == M_HOLD ? HOLD_LIFE_MS : LIFE_MS;
	pe.user.type = RSP_PARAM_TCP_TRANSPORT;
	pe.user.port = (uint16_t)(7000 + id % 1000);
	pe.user.use = RSP_TRANSPORT_USE_DATA_CONTROL;
	pe.user.naddr = 1;
	rsp_addr_v4(&pe.user.addr[0], opt.pe_addr);
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
	if (epoll_ctl(c->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		bu_fatal("epoll_ctl: %s", strerror(errno));
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
			/* SCTP: one ASAP message per SCTP message. */
			w = send(c->fd, c->out + off, opt.sctp ?
			    (size_t)rsp_frame(c->out + off, c->outlen - off) :
			    c->outlen - off, MSG_NOSIGNAL);
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
		bu_fatal("%s", "cannot queue a request");
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
		c->slot_id[s] = new_id();
		conn_queue(c, buf, msg_registration(buf, sizeof(buf),
		    c->slot_id[s]));
		break;
	case M_REGDEREG:
		if (__atomic_load_n(&phase, __ATOMIC_RELAXED) == P_REG) {
			if (c->nids + (size_t)c->inflight >= REGS_MAX) {
				/* Full: it waits for the other phase. */
				if (!c->full && c->inflight == 0) {
					c->full = true;
					__atomic_add_fetch(&g_full, 1,
					    __ATOMIC_RELAXED);
				}
				break;
			}
			c->slot_id[s] = new_id();
			conn_queue(c, buf, msg_registration(buf, sizeof(buf),
			    c->slot_id[s]));
		} else if (c->dereg_next < c->nids) {
			conn_queue(c, buf, msg_handle_id(buf, sizeof(buf),
			    ASAP_DEREGISTRATION, pool, strlen(pool),
			    c->ids[c->dereg_next++]));
		} else
			break;
		c->inflight++;
		__atomic_add_fetch(&g_inflight, 1, __ATOMIC_RELAXED);
		break;
	case M_HOLD:
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
		epoll_ctl(c->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	free(c->ids);
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
		bu_fatal("%s", "out of memory");
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    opt.sctp ? IPPROTO_SCTP : 0);
	if (c->fd < 0)
		bu_fatal("socket: %s", strerror(errno));
	if (opt.sctp) {
		struct sctp_sndrcvinfo si = { .sinfo_ppid = htonl(11) };

		/* Every send() an ASAP message (PPID 11, RFC 5352 §5). */
		setsockopt(c->fd, IPPROTO_SCTP, SCTP_NODELAY, &one,
		    sizeof(one));
		if (setsockopt(c->fd, IPPROTO_SCTP, SCTP_DEFAULT_SEND_PARAM,
		    &si, sizeof(si)) != 0)
			bu_fatal("SCTP_DEFAULT_SEND_PARAM: %s",
			    strerror(errno));
	} else
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		free(c);
		return NULL;
	}
	c->st = C_CONNECTING;
	c->ep = ep;
	c->events = EPOLLIN | EPOLLOUT;
	ev.events = c->events;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		bu_fatal("epoll_ctl: %s", strerror(errno));
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
			bu_fatal("%s", "tls_conn_new");
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
	if (is_counting()) {
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
	if (n != (opt.items < opt.pes || opt.pes == 0 ? opt.items : opt.pes))
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

/*
 * Regdereg: a registration answered keeps its PE in c->ids; once the phase
 * is P_DEREG each connection deregisters what it holds.  Answers of the
 * registration phase are counted; the deregistrations are all of them.
 */
static bool
regdereg_answer(struct conn *c, const uint8_t *p, size_t len, int s)
{
	switch (p[0]) {
	case ASAP_REGISTRATION_RESPONSE:
		if (p[1] & ASAP_FLAG_REJECT) {
			bad_message(p, len, "registration rejected");
			break;
		}
		if (c->ids == NULL && (c->ids = calloc(REGS_MAX,
		    sizeof(*c->ids))) == NULL)
			bu_fatal("%s", "out of memory");
		if (c->nids < REGS_MAX)
			c->ids[c->nids++] = c->slot_id[s];
		if (is_counting() &&
		    __atomic_load_n(&phase, __ATOMIC_RELAXED) == P_REG)
			answers++;
		break;
	case ASAP_DEREGISTRATION_RESPONSE:
		if (!opt.echo && has_op_error(p, len))
			bad_message(p, len, "deregistration refused");
		break;
	default:
		bad_message(p, len, "unexpected message");
		return true;
	}
	c->answered++;
	c->inflight--;
	conn_request(c, s);
	__atomic_sub_fetch(&g_inflight, 1, __ATOMIC_RELAXED);
	return true;
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
	if (ans_size[p[0]] == 0)
		__atomic_store_n(&ans_size[p[0]], (uint16_t)len,
		    __ATOMIC_RELAXED);
	if (c->populator) {
		if (p[0] != ASAP_REGISTRATION_RESPONSE ||
		    (p[1] & ASAP_FLAG_REJECT))
			bad_message(p, len, "populator: registration failed");
		c->answered++;
		if (c->pop_left > 0) {	/* MAX_WINDOW in flight */
			c->pop_left--;
			conn_queue(c, buf, msg_registration(buf, sizeof(buf),
			    new_id()));
		}
		return true;
	}
	s = (int)(c->answered % (uint64_t)opt.window);
	if (opt.mode == M_REGDEREG)
		return regdereg_answer(c, p, len, s);
	switch (p[0]) {
	case ASAP_HANDLE_RESOLUTION_RESPONSE:
		if (opt.mode == M_REGISTER)
			goto unexpected;
		if (c->answered == 0 && !opt.echo)
			check_resolution(p, len);
		c->answered++;
		if (is_counting())
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
		else if (is_counting())
			regs++;
		c->answered++;
		if (is_counting())
			answers++;
		conn_queue(c, buf, msg_handle_id(buf, sizeof(buf),
		    ASAP_DEREGISTRATION, pool, strlen(pool), c->slot_id[s]));
		return true;
	case ASAP_DEREGISTRATION_RESPONSE:
		if (opt.mode != M_REGISTER)
			goto unexpected;
		if (!opt.echo && has_op_error(p, len))
			bad_message(p, len, "deregistration refused");
		c->answered++;
		if (is_counting())
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

/*
 * Read what there is; -1 when the connection is lost, 1 when done.  first:
 * the result of a recv() made already (-B: bytes or -errno), or NULL;
 * flush: send the requests that the answers queued (else the caller does).
 */
static int
conn_read_ex(struct conn *c, const long *first, bool flush)
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
			if (first != NULL)
				n = iob_result(*first);
			else
				n = recv(c->fd, c->in + c->inlen,
				    sizeof(c->in) - c->inlen, 0);
			first = NULL;
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0)
				return -1;
			got = (size_t)n;
			/* A short read drained the socket; SCTP: one
			 * message per recv (level-triggered: epoll reports
			 * the next). */
			more = !opt.sctp && got == sizeof(c->in) - c->inlen;
		}
		c->inlen += got;
		off = 0;
		while ((f = rsp_frame(c->in + off, c->inlen - off)) > 0) {
			if (keep && !conn_message(c, c->in + off, (size_t)f))
				keep = false;
			off += (size_t)f;
		}
		if (f < 0)
			bu_fatal("%s", "unframeable answer");
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
	if (!keep)
		return 1;
	return flush ? conn_flush(c) : 0;
}

static int
conn_read(struct conn *c)
{
	return conn_read_ex(c, NULL, true);
}

/* ---- the loop ---------------------------------------------------------- */

static struct conn *
conn_new_loaded(int idx)
{
	struct conn *c = conn_open(opt.port);

	if (c == NULL)
		bu_fatal("connect: %s", strerror(errno));
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

/*
 * -B: whether this readable event is read in the batch (a steady plaintext
 * TCP connection with nothing else to do).
 */
static bool
batchable(const struct conn *c, uint32_t revents)
{
	return opt.batch && c->st == C_READY && c->t == NULL && !opt.sctp &&
	    opt.mode != M_HANDSHAKE && !c->populator &&
	    revents == EPOLLIN;
}

/*
 * -B: the connections of one epoll batch read with one system call, and
 * the requests their answers queued sent with one more (lib/iobatch), so
 * that the load generator spends less per request than the servers it
 * drives.  false: a lost connection.
 */
static bool
run_batch(struct iob *iob, struct conn **cv, int m)
{
	struct bb_batch b;
	int i;

	BB_RECV(iob, &b, cv, m);
	for (i = 0; i < m; i++) {
		cv[i]->want_write = false;
		if (conn_read_ex(cv[i], &b.res[i], false) != 0)
			return false;
	}
	bb_send(iob, b.v, (size_t)m, b.res);
	for (i = 0; i < m; i++) {
		if (b.res[i] < 0 && b.res[i] != -EAGAIN) {
			(void)iob_result(b.res[i]);	/* errno for the log */
			return false;
		}
		conn_arm(cv[i]);
	}
	return true;
}

/* Run this thread's loop until t_end (CLOCK_MONOTONIC s); false: a lost
 * connection. */
static bool
run_until(double t_end)
{
	static __thread struct iob *iob;
	struct epoll_event ev[64];
	struct conn **slot, *cv[64];
	int i, n, m, ms;
	double t;

	if (opt.batch && iob == NULL && (iob = iob_new(true)) == NULL)
		bu_fatal("%s", "out of memory");
	while ((t = bu_now()) < t_end) {
		ms = (int)((t_end - t) * 1000) + 1;
		n = epoll_wait(ep, ev, 64, ms > 100 ? 100 : ms);
		if (n < 0 && errno != EINTR)
			bu_fatal("epoll_wait: %s", strerror(errno));
		for (i = m = 0; i < n; i++) {
			/* Each fd once per batch: a connection replaced in
			 * this batch has no event left in it. */
			slot = &conns[((struct conn *)ev[i].data.ptr)->idx];
			if (batchable(*slot, ev[i].events)) {
				cv[m++] = *slot;
				continue;
			}
			if (!conn_event(slot, ev[i].events))
				goto lost;
		}
		if (m > 0 && !run_batch(iob, cv, m))
			goto lost;
	}
	return true;
lost:
	fprintf(stderr, "asap_load: connection lost: %s\n", strerror(errno));
	return false;
}

/*
 * Regdereg, once the deregistration phase began: connections of this
 * thread (conns[i] for i = first, first + stride, ... below nconns) that
 * had stopped registering (full) start deregistering.
 */
static void
kick(int first, int stride)
{
	struct conn *c;
	int i, s;

	if (opt.mode != M_REGDEREG ||
	    __atomic_load_n(&phase, __ATOMIC_RELAXED) != P_DEREG)
		return;
	for (i = first; i < opt.nconns; i += stride) {
		c = conns[i];
		if (c->kicked)
			continue;
		c->kicked = true;
		if (c->inflight == 0) {
			for (s = 0; s < opt.window; s++)
				conn_request(c, s);
			if (conn_flush(c) != 0)
				bu_fatal("%s", "connection lost");
		}
		__atomic_add_fetch(&g_kicked, 1, __ATOMIC_RELAXED);
	}
}

/* The main thread's loop until t_end, in slices (regdereg kicks). */
static void
serve(double t_end, bool own_conns)
{
	double t;

	while ((t = bu_now()) < t_end) {
		if (!run_until(t + 0.02 < t_end ? t + 0.02 : t_end))
			exit(1);
		if (own_conns)
			kick(0, 1);
	}
}

struct worker {
	pthread_t	 th;
	int		 ep, first;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	ep = w->ep;
	while (!__atomic_load_n(&workers_stop, __ATOMIC_RELAXED)) {
		if (!run_until(bu_now() + 0.02))
			exit(1);
		kick(w->first, opt.threads);
	}
	counters_sum();
	return NULL;
}

/* The steady connections to opt.threads threads, i % threads each. */
static struct worker *
workers_start(void)
{
	struct epoll_event ev;
	struct worker *w;
	struct conn *c;
	int i;

	if ((w = calloc((size_t)opt.threads, sizeof(*w))) == NULL)
		bu_fatal("%s", "out of memory");
	for (i = 0; i < opt.threads; i++) {
		w[i].first = i;
		if ((w[i].ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
			bu_fatal("epoll_create1: %s", strerror(errno));
	}
	for (i = 0; i < opt.nconns; i++) {
		c = conns[i];
		if (epoll_ctl(c->ep, EPOLL_CTL_DEL, c->fd, NULL) != 0)
			bu_fatal("epoll_ctl: %s", strerror(errno));
		c->ep = w[i % opt.threads].ep;
		ev.events = c->events;
		ev.data.ptr = c;
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
			bu_fatal("epoll_ctl: %s", strerror(errno));
	}
	for (i = 0; i < opt.threads; i++)
		if ((errno = pthread_create(&w[i].th, NULL, worker_main,
		    &w[i])) != 0)
			bu_fatal("pthread_create: %s", strerror(errno));
	return w;
}

static void
workers_join(struct worker *w)
{
	int i;

	if (w == NULL)
		return;
	__atomic_store_n(&workers_stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < opt.threads; i++)
		pthread_join(w[i].th, NULL);
	free(w);	/* their epoll fds go with the process */
}

/* Set-up: the populators registered the pool; steady connections are up. */
static bool
ready(void)
{
	int i;

	for (i = 0; i < npop; i++)
		if (conns[opt.nconns + i]->answered <
		    (uint64_t)conns[opt.nconns + i]->pop_want)
			return false;
	if (opt.mode == M_HANDSHAKE || opt.mode == M_HOLD)
		return true;
	for (i = 0; i < opt.nconns; i++)
		if (conns[i]->st != C_READY ||
		    (opt.mode == M_IDLE && conns[i]->answered == 0))
			return false;
	return true;
}

/* A populator: n PEs of the pool, over plaintext, kept for the run. */
static struct conn *
populator(int idx, int n)
{
	struct conn *c;
	uint8_t buf[512];
	double end = bu_now() + SETUP_MS / 1000.0;
	int i;

	/* The registrar may still be starting: retry for a while. */
	for (;;) {
		if ((c = conn_open(opt.plain_port)) != NULL) {
			c->populator = true;
			c->idx = idx;
			if (poll(&(struct pollfd){ .fd = c->fd,
			    .events = POLLOUT }, 1, 1000) == 1 &&
			    conn_setup_step(c) == 0)
				break;
			conn_free(c);
		}
		if (bu_now() > end)
			bu_fatal("cannot reach the registrar: %s",
			    strerror(errno));
		usleep(20000);
	}
	c->pop_left = c->pop_want = n;
	for (i = 0; i < MAX_WINDOW && c->pop_left > 0; i++, c->pop_left--)
		conn_queue(c, buf, msg_registration(buf, sizeof(buf),
		    new_id()));
	if (conn_flush(c) != 0)
		bu_fatal("%s", "populator: connection lost");
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
			if (bu_now() > deadline)
				bu_fatal("%s", "set-up took too long");
			if (!run_until(bu_now() + 0.01))
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
			bu_fatal("%s", "idle connection lost");
	}
	for (i = 0; i < opt.nconns; ) {
		if (conns[i]->answered >= 2) {
			i++;
			continue;
		}
		if (bu_now() > deadline)
			bu_fatal("%s", "an idle connection did not answer again");
		if (!run_until(bu_now() + 0.01))
			exit(1);
	}
}

/* ---- the server's system calls (-S) ------------------------------------ */

#define SC_N	8
static const char *const sc_names[SC_N] = { "all", "recvfrom", "sendto",
	"epoll_wait", "epoll_ctl", "read", "write", "io_uring_enter" };
static int	 sc_fd[SC_N][64];
static int	 sc_ntask;

static long
tracepoint_id(const char *name)
{
	char path[160];
	long id = -1;
	FILE *fp;

	if (strcmp(name, "all") == 0)
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/"
		    "raw_syscalls/sys_enter/id");
	else
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/"
		    "syscalls/sys_enter_%s/id", name);
	if ((fp = fopen(path, "re")) == NULL)
		bu_fatal("-S: %s: %s", path, strerror(errno));
	if (fscanf(fp, "%ld", &id) != 1)
		bu_fatal("-S: %s: unreadable", path);
	fclose(fp);
	return id;
}

/* Counters on every thread of the server (its threads do not change). */
static void
sc_open(void)
{
	struct perf_event_attr a;
	struct dirent *de;
	char path[64];
	long tids[64];
	DIR *d;
	int i, k;

	snprintf(path, sizeof(path), "/proc/%ld/task", opt.reg_pid);
	if ((d = opendir(path)) == NULL)
		bu_fatal("-S: %s: %s", path, strerror(errno));
	while (sc_ntask < 64 && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			tids[sc_ntask++] = atol(de->d_name);
	closedir(d);
	if (sc_ntask == 0)
		bu_fatal("-S: no threads in %s", path);
	for (k = 0; k < SC_N; k++)
		for (i = 0; i < sc_ntask; i++) {
			memset(&a, 0, sizeof(a));
			a.size = sizeof(a);
			a.type = PERF_TYPE_TRACEPOINT;
			a.config = (uint64_t)tracepoint_id(sc_names[k]);
			a.sample_period = 1;
			sc_fd[k][i] = (int)syscall(SYS_perf_event_open, &a,
			    (pid_t)tids[i], -1, -1, PERF_FLAG_FD_CLOEXEC);
			if (sc_fd[k][i] < 0)
				bu_fatal("-S: perf_event_open: %s",
				    strerror(errno));
		}
}

static void
sc_read(uint64_t v[SC_N])
{
	uint64_t x;
	int i, k;

	for (k = 0; k < SC_N; k++) {
		v[k] = 0;
		for (i = 0; i < sc_ntask; i++)
			if (read(sc_fd[k][i], &x, sizeof(x)) == sizeof(x))
				v[k] += x;
	}
}

static void
sc_print(const uint64_t a[SC_N], const uint64_t b[SC_N], uint64_t n)
{
	int k;

	if (!opt.syscalls || n == 0)
		return;
	for (k = 0; k < SC_N; k++)
		printf(" sc_%s=%.3f", sc_names[k], (double)(b[k] - a[k]) /
		    (double)n);
}

/* ---- main -------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr, "usage: asap_load -p PORT [-m resolve|register|"
	    "regdereg|handshake|idle|hold]\n"
	    "    [-c CONNS] [-w WINDOW] [-j THREADS] [-t SECONDS] "
	    "[-u WARMUP] [-T plain|psk|cert] [-B]\n"
	    "    [-k PSKFILE] [-a CAFILE] [-n NAME] [-r] [-q PLAIN_PORT] "
	    "[-K PES] [-i ITEMS]\n"
	    "    [-g POOL] [-P SERVER_PID] [-S] [-E] [-l LABEL] [-x tcp|sctp] "
	    "[-A PE_ADDR]\n");
	exit(2);
}

static void
parse_args(int argc, char *argv[])
{
	int ch;

	while ((ch = getopt(argc, argv,
	    "A:a:Bc:Eg:i:j:K:k:l:m:n:P:p:q:rST:t:u:w:x:")) != -1) {
		switch (ch) {
		case 'A':
			/* RSPLIB takes no loopback address for a PE. */
			if (inet_pton(AF_INET, optarg, &opt.pe_addr) != 1)
				usage();
			opt.pe_addr = ntohl(opt.pe_addr);
			break;
		case 'a': opt.ca_file = optarg; break;
		case 'c': opt.nconns = atoi(optarg); break;
		case 'E': opt.echo = true; break;
		case 'g': opt.pool = optarg; break;
		case 'i': opt.items = atoi(optarg); break;
		case 'j': opt.threads = atoi(optarg); break;
		case 'K': opt.pes = atoi(optarg); break;
		case 'k': opt.psk_file = optarg; break;
		case 'l': opt.label = optarg; break;
		case 'n': opt.name = optarg; break;
		case 'P': opt.reg_pid = atol(optarg); break;
		case 'p': opt.port = (uint16_t)atoi(optarg); break;
		case 'q': opt.plain_port = (uint16_t)atoi(optarg); break;
		case 'r': opt.resume = true; break;
		case 'S': opt.syscalls = true; break;
		case 'B': opt.batch = true; break;
		case 't': opt.secs = atof(optarg); break;
		case 'u': opt.warmup = atof(optarg); break;
		case 'w': opt.window = atoi(optarg); break;
		case 'x':
			if (strcmp(optarg, "sctp") == 0)
				opt.sctp = true;
			else if (strcmp(optarg, "tcp") != 0)
				usage();
			break;
		case 'm':
			if (strcmp(optarg, "resolve") == 0)
				opt.mode = M_RESOLVE;
			else if (strcmp(optarg, "register") == 0)
				opt.mode = M_REGISTER;
			else if (strcmp(optarg, "regdereg") == 0)
				opt.mode = M_REGDEREG;
			else if (strcmp(optarg, "handshake") == 0)
				opt.mode = M_HANDSHAKE;
			else if (strcmp(optarg, "idle") == 0)
				opt.mode = M_IDLE;
			else if (strcmp(optarg, "hold") == 0)
				opt.mode = M_HOLD;
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
	if (opt.echo)
		opt.pes = 0;	/* nothing to register at an echo server */
	if (opt.mode == M_HOLD)
		opt.nconns = 0;
	if (opt.port == 0 || opt.nconns < (opt.mode == M_HOLD ? 0 : 1) ||
	    opt.nconns > MAX_CONNS ||
	    opt.window < 1 || opt.window > MAX_WINDOW || opt.secs <= 0 ||
	    opt.secs > 600 || opt.warmup < 0 || opt.warmup > 60 ||
	    opt.pes < 0 || opt.pes > 10000000 || opt.items < 1 ||
	    opt.threads < 1 || opt.threads > MAX_THREADS ||
	    (opt.pes == 0 && opt.mode == M_HOLD) ||
	    (opt.pes == 0 && opt.pool == NULL && !opt.echo &&
	    opt.mode != M_REGISTER && opt.mode != M_REGDEREG) ||
	    (opt.pool != NULL && strlen(opt.pool) >= sizeof(pool)) ||
	    (opt.syscalls && opt.reg_pid <= 0) ||
	    (opt.tr == T_PSK && opt.psk_file == NULL) ||
	    (opt.tr == T_CERT && opt.ca_file == NULL) ||
	    (opt.sctp && opt.tr != T_PLAIN))
		usage();
	if ((opt.pes + PES_PER_POP - 1) / PES_PER_POP > 64)
		usage();
	if (opt.plain_port == 0)
		opt.plain_port = opt.port;
	if (opt.tr != T_PLAIN && opt.plain_port == opt.port && opt.pes > 0)
		bu_fatal("%s", "TLS needs the plaintext port too (-q) for the pool");
}

static const char *const mode_names[] = { "resolve", "register", "handshake",
	"idle", "registration", "hold" };
static const char *const tr_names[] = { "plain", "psk", "cert" };

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* Hold mode: the PEs are in; keep them (keep-alives) until SIGTERM. */
static void __attribute__((noreturn))
hold(double t_start)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("asap_load mode=hold ready pes=%d pool=%s setup_s=%.1f "
	    "reg_rss_kb=%ld errors=%llu\n", opt.pes, pool, bu_now() - t_start,
	    bu_rss_of(opt.reg_pid), (unsigned long long)errors);
	fflush(stdout);
	while (!stop)
		if (!run_until(bu_now() + 0.1))
			exit(1);
	exit(errors > 0 ? 1 : 0);
}

static void
line_head(const char *mode, double el, uint64_t n)
{
	printf("asap_load mode=%s transport=%s%s%s conns=%d window=%d "
	    "threads=%d pes=%d secs=%.3f answers=%llu ops_s=%.0f", mode,
	    opt.sctp ? "sctp" : tr_names[opt.tr],
	    opt.resume ? "-resumed" : "",
	    opt.echo ? " server=echo" : " server=registrar", opt.nconns,
	    opt.window, opt.threads, opt.pes, el, (unsigned long long)n,
	    (double)n / el);
}

static void
line_cpu(double cc, double rc, uint64_t n)
{
	printf(" client_cpu_s=%.3f client_us_op=%.2f", cc,
	    n > 0 ? cc * 1e6 / (double)n : 0);
	if (rc >= 0)
		printf(" reg_cpu_s=%.3f reg_us_op=%.2f", rc,
		    n > 0 ? rc * 1e6 / (double)n : 0);
}

static void
line_tail(void)
{
	int t, first = 1;

	printf(" sizes=");
	for (t = 0; t < 256; t++)
		if (ans_size[t] != 0 && t != ASAP_ENDPOINT_KEEP_ALIVE) {
			printf("%s%d:%u", first ? "" : ",", t, ans_size[t]);
			first = 0;
		}
	if (first)
		printf("-");
	printf(" errors=%llu%s%s\n", (unsigned long long)t_errors,
	    opt.label != NULL ? " label=" : "", opt.label != NULL ?
	    opt.label : "");
}

int
main(int argc, char *argv[])
{
	struct tls_config cfg = { .role = TLS_CLIENT };
	double t0, t1, t2 = 0, c0, c1, c2 = 0, r0, r1, r2 = -1, el, tstart;
	uint64_t sc0[SC_N], sc1[SC_N], sc2[SC_N], nans;
	struct worker *w = NULL;
	long rss0, rss1;
	char err[256];
	int i, n;

	bu_prog = "asap_load";
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
			bu_fatal("%s", err);
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		bu_fatal("epoll_create1: %s", strerror(errno));
	next_id = (uint32_t)getpid() << 12 | 1;
	if (opt.pool != NULL)
		snprintf(pool, sizeof(pool), "%s", opt.pool);
	else
		snprintf(pool, sizeof(pool), "bench-%ld", (long)getpid());
	rss0 = bu_rss_of(opt.reg_pid);
	tstart = bu_now();

	/* Set-up, bounded: the pool, then the connections. */
	if (opt.mode != M_REGISTER && opt.mode != M_REGDEREG)
		for (i = 0; i * PES_PER_POP < opt.pes; i++) {
			n = opt.pes - i * PES_PER_POP;
			conns[opt.nconns + i] = populator(opt.nconns + i,
			    n < PES_PER_POP ? n : PES_PER_POP);
			npop++;
		}
	t0 = bu_now() + (opt.mode == M_HOLD ? HOLD_SETUP_MS : SETUP_MS) / 1000.0;
	if (opt.mode == M_IDLE)
		open_in_batches(t0);
	for (i = 0; i < opt.nconns; i++)
		if (conns[i] == NULL)
			conns[i] = conn_new_loaded(i);
	while (!ready()) {
		if (bu_now() > t0)
			bu_fatal("%s", "set-up took too long");
		if (!run_until(bu_now() + 0.01))
			exit(1);
	}
	if (opt.mode == M_HOLD)
		hold(tstart);
	/* Threads: the steady connections leave the main loop (idle mode
	 * keeps one thread: it wakes them all at the end). */
	if (opt.threads > 1 && opt.mode != M_IDLE)
		w = workers_start();
	serve(bu_now() + opt.warmup, w == NULL);

	if (opt.syscalls)
		sc_open();
	__atomic_store_n(&counting, true, __ATOMIC_RELAXED);
	t0 = bu_now();
	c0 = bu_cpu_self();
	r0 = bu_cpu_of(opt.reg_pid);
	if (opt.syscalls)
		sc_read(sc0);
	/* Regdereg: until every connection is full, at most. */
	while (bu_now() < t0 + opt.secs &&
	    __atomic_load_n(&g_full, __ATOMIC_RELAXED) < opt.nconns)
		serve(bu_now() + 0.01 < t0 + opt.secs ? bu_now() + 0.01 :
		    t0 + opt.secs, w == NULL);
	t1 = bu_now();
	c1 = bu_cpu_self();
	r1 = bu_cpu_of(opt.reg_pid);
	if (opt.syscalls)
		sc_read(sc1);
	rss1 = bu_rss_of(opt.reg_pid);
	if (opt.mode == M_REGDEREG) {
		/* All registered: deregister them, timed until done. */
		__atomic_store_n(&phase, P_DEREG, __ATOMIC_RELAXED);
		while (__atomic_load_n(&g_kicked, __ATOMIC_RELAXED) <
		    opt.nconns ||
		    __atomic_load_n(&g_inflight, __ATOMIC_RELAXED) > 0) {
			if (bu_now() > t1 + 120)
				bu_fatal("%s", "deregistrations took too long");
			serve(bu_now() + 0.001, w == NULL);
		}
		t2 = bu_now();
		c2 = bu_cpu_self();
		r2 = bu_cpu_of(opt.reg_pid);
		if (opt.syscalls)
			sc_read(sc2);
	}
	__atomic_store_n(&counting, false, __ATOMIC_RELAXED);
	workers_join(w);
	counters_sum();

	if (opt.mode == M_IDLE)
		wake_all(bu_now() + SETUP_MS / 1000.0);
	el = t1 - t0;
	nans = t_answers;
	line_head(mode_names[opt.mode], el, nans);
	if (opt.mode == M_REGISTER)
		printf(" regs_s=%.0f", (double)t_regs / el);
	if (opt.mode == M_IDLE && rss0 >= 0 && rss1 >= 0)
		printf(" reg_rss0_kb=%ld reg_rss_kb=%ld rss_kb_conn=%.1f", rss0,
		    rss1, (double)(rss1 - rss0) / opt.nconns);
	if (opt.mode == M_HANDSHAKE && tctx != NULL)
		printf(" handshakes=%llu resumed=%llu",
		    (unsigned long long)t_handshakes,
		    (unsigned long long)t_resumed);
	line_cpu(c1 - c0, r0 >= 0 && r1 >= 0 ? r1 - r0 : -1, nans);
	if (opt.syscalls)
		sc_print(sc0, sc1, nans);
	line_tail();
	if (opt.mode == M_REGDEREG) {
		/* Every PE registered was deregistered: count them. */
		for (i = 0, nans = 0; i < opt.nconns; i++)
			nans += conns[i]->dereg_next;
		line_head("deregistration", t2 - t1, nans);
		line_cpu(c2 - c1, r1 >= 0 && r2 >= 0 ? r2 - r1 : -1, nans);
		if (opt.syscalls)
			sc_print(sc1, sc2, nans);
		line_tail();
	}
	fflush(stdout);

	for (i = 0; i < opt.nconns + npop; i++)
		if (conns[i] != NULL)
			conn_free(conns[i]);
	tls_ctx_free(tctx);
	close(ep);
	return t_errors > 0 || (nans == 0 && opt.mode != M_IDLE) ? 1 : 0;
}
