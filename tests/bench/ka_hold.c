/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keep-alive hold (issue 14): K PEs registered over C plaintext TCP
 * connections to a running registrard, then held for S seconds while
 * every ASAP_ENDPOINT_KEEP_ALIVE is acknowledged.  Prints one line of
 * key=value pairs: keep-alives received and acknowledged during the hold,
 * registrations refused, connections lost, and the registrar's CPU time
 * (utime + stime of -P PID) per keep-alive round trip, counted after a
 * warm-up of -u seconds (10), and the registrar's VmRSS growth per PE
 * (after the warm-up: every PE's keep-alive timer set).  One thread,
 * poll(); every wait is bounded; exit status 1 if a registration was
 * refused or a connection lost.  Not part of `make check`:
 * run-keepalive-bench runs it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "bench_util.h"
#include "codec.h"
#include "rserpool.h"

#define MAX_CONNS	64
#define WINDOW		256		/* registrations in flight per conn */
#define IN_CAP		(1 << 20)
#define LIFE_MS		3600000

struct hconn {
	int		 fd;
	uint32_t	 first, n;	/* its PE identifiers */
	uint32_t	 sent, answered;
	uint8_t		*in, *out;
	size_t		 inlen, outlen, outcap;
};

static const char pool[] = "kabench";
static struct hconn conns[MAX_CONNS];
static int nconns = 4;
static uint64_t kas, refused, lost;
static bool holding;

static void
queue(struct hconn *c, const uint8_t *p, size_t len)
{
	if (len == 0)
		bu_fatal("%s", "message does not fit");
	if (c->outlen + len > c->outcap) {
		c->outcap = (c->outlen + len) * 2;
		if ((c->out = realloc(c->out, c->outcap)) == NULL)
			bu_fatal("%s", "out of memory");
	}
	memcpy(c->out + c->outlen, p, len);
	c->outlen += len;
}

static void
send_registration(struct hconn *c)
{
	uint8_t buf[512];
	struct rsp_pe pe;
	struct wbuf w;
	size_t m;
	uint32_t id = c->first + c->sent++;

	memset(&pe, 0, sizeof(pe));
	pe.id = id;
	pe.life = LIFE_MS;
	pe.user.type = RSP_PARAM_TCP_TRANSPORT;
	pe.user.port = (uint16_t)(7000 + id % 1000);
	pe.user.use = RSP_TRANSPORT_USE_DATA_CONTROL;
	pe.user.naddr = 1;
	rsp_addr_v4(&pe.user.addr[0], 0x7f000001);
	pe.policy.type = RSP_POLICY_ROUND_ROBIN;
	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_REGISTRATION, 0);
	rsp_put_handle(&w, pool, strlen(pool));
	rsp_put_pe(&w, &pe);
	rsp_put_msg_end(&w, m);
	queue(c, buf, w.err ? 0 : w.len);
}

static void
keep_alive(struct hconn *c, const uint8_t *p, size_t len)
{
	struct rsp_msg m;
	struct rsp_err err;
	uint8_t buf[512];
	struct wbuf w;
	size_t b;

	if (rsp_decode(RSP_PROTO_ASAP, p, len, &(struct rsp_decode_opts){
	    .pool_handle_max = UINT16_MAX }, &m, &err) != 0 || !m.has_pe_id)
		bu_fatal("%s", "bad keep-alive");
	if (holding)
		kas++;
	wbuf_init(&w, buf, sizeof(buf));
	b = rsp_put_msg_begin(&w, ASAP_ENDPOINT_KEEP_ALIVE_ACK, 0);
	rsp_put_handle(&w, m.handle.p, m.handle.len);
	rsp_put_pe_id(&w, m.pe_id);
	rsp_put_msg_end(&w, b);
	queue(c, buf, w.err ? 0 : w.len);
}

static void
message(struct hconn *c, const uint8_t *p, size_t len)
{
	switch (p[0]) {
	case ASAP_ENDPOINT_KEEP_ALIVE:
		keep_alive(c, p, len);
		break;
	case ASAP_REGISTRATION_RESPONSE:
		if (p[1] & ASAP_FLAG_REJECT)
			refused++;
		c->answered++;
		if (c->sent < c->n)
			send_registration(c);
		break;
	default:
		fprintf(stderr, "ka_hold: unexpected message 0x%02x\n", p[0]);
		break;
	}
}

/* One poll round of at most ms: read, answer, write. */
static void
step(int ms)
{
	struct pollfd pfd[MAX_CONNS];
	struct hconn *c;
	ssize_t n;
	long f;
	size_t off;
	int i;

	for (i = 0; i < nconns; i++) {
		pfd[i].fd = conns[i].fd;
		pfd[i].events = POLLIN | (conns[i].outlen > 0 ? POLLOUT : 0);
	}
	if (poll(pfd, (nfds_t)nconns, ms) < 0 && errno != EINTR)
		bu_fatal("poll: %s", strerror(errno));
	for (i = 0; i < nconns; i++) {
		c = &conns[i];
		if (c->fd < 0)
			continue;
		if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(c->fd, c->in + c->inlen, IN_CAP - c->inlen,
			    MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN &&
			    errno != EINTR)) {
				lost++;
				close(c->fd);
				c->fd = -1;
				continue;
			}
			if (n > 0)
				c->inlen += (size_t)n;
			off = 0;
			while ((f = rsp_frame(c->in + off, c->inlen - off)) > 0) {
				message(c, c->in + off, (size_t)f);
				off += (size_t)f;
			}
			if (f < 0)
				bu_fatal("%s", "unframeable input");
			memmove(c->in, c->in + off, c->inlen - off);
			c->inlen -= off;
		}
		if (c->outlen > 0) {
			n = send(c->fd, c->out, c->outlen,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0) {
				memmove(c->out, c->out + n, c->outlen -
				    (size_t)n);
				c->outlen -= (size_t)n;
			}
		}
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sin;
	uint32_t pes = 100000, done, per;
	double secs = 60, warm = 10, t0, t1, c0, c1, s0, s1, end;
	long pid = 0, rss0, rss1;
	uint64_t kas_all;
	uint16_t port = 0;
	int ch, i;

	bu_prog = "ka_hold";

	while ((ch = getopt(argc, argv, "c:K:P:p:t:u:")) != -1) {
		switch (ch) {
		case 'c': nconns = atoi(optarg); break;
		case 'K': pes = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'P': pid = atol(optarg); break;
		case 'p': port = (uint16_t)atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'u': warm = atof(optarg); break;
		default:
			fprintf(stderr, "usage: ka_hold -p PORT [-c conns] "
			    "[-K pes] [-t secs] [-u warm-up-secs] [-P registrar-pid]\n");
			return 2;
		}
	}
	if (port == 0 || nconns < 1 || nconns > MAX_CONNS || pes == 0)
		bu_fatal("%s", "bad arguments");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	per = (pes + (uint32_t)nconns - 1) / (uint32_t)nconns;
	rss0 = bu_rss_of(pid);
	for (i = 0; i < nconns; i++) {
		struct hconn *c = &conns[i];
		uint32_t k;

		if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			bu_fatal("connect: %s", strerror(errno));
		if ((c->in = malloc(IN_CAP)) == NULL)
			bu_fatal("%s", "out of memory");
		c->first = 1 + (uint32_t)i * per;
		c->n = pes - (uint32_t)i * per < per ?
		    pes - (uint32_t)i * per : per;
		for (k = 0; k < WINDOW && k < c->n; k++)
			send_registration(c);
	}
	/* Register them all (bounded: a minute plus 1 ms per 100 PEs). */
	end = bu_now() + 60 + pes / 100000.0;
	t0 = bu_now();
	for (;;) {
		for (done = 0, i = 0; i < nconns; i++)
			done += conns[i].answered;
		if (done >= pes)
			break;
		if (bu_now() > end || lost > 0)
			bu_fatal("registered only %u of %u PEs", done, pes);
		step(100);
	}
	t1 = bu_now();
	fprintf(stderr, "ka_hold: %u PEs registered in %.1f s, warming up\n", pes,
	    t1 - t0);
	/*
	 * Hold: every keep-alive acknowledged; counted over secs after a
	 * warm-up (the first keep-alives come 2.5-7.5 s after registration).
	 */
	t0 = bu_now();
	while (bu_now() - t0 < warm && lost == 0)
		step(50);
	holding = true;
	rss1 = bu_rss_of(pid);
	c0 = bu_cpu_of(pid);
	s0 = bu_cpu_self();
	t0 = bu_now();
	while (bu_now() - t0 < secs && lost == 0)
		step(50);
	t1 = bu_now();
	c1 = bu_cpu_of(pid);
	s1 = bu_cpu_self();
	kas_all = kas;
	/* Let the acks of the last keep-alives go out. */
	holding = false;
	for (i = 0; i < 20; i++)
		step(10);
	printf("pes=%u conns=%d secs=%.1f keepalives=%llu per_s=%.0f "
	    "refused=%llu lost=%llu reg_cpu_s=%.3f reg_cpu_pct=%.1f "
	    "reg_us_per_ka=%.2f client_cpu_pct=%.1f reg_rss_b_per_pe=%.0f\n",
	    pes, nconns,
	    t1 - t0, (unsigned long long)kas_all, kas_all / (t1 - t0),
	    (unsigned long long)refused, (unsigned long long)lost, c1 - c0,
	    100 * (c1 - c0) / (t1 - t0),
	    kas_all > 0 ? 1e6 * (c1 - c0) / (double)kas_all : 0,
	    100 * (s1 - s0) / (t1 - t0), rss0 >= 0 && rss1 >= 0 ?
	    1024.0 * (double)(rss1 - rss0) / pes : -1);
	return refused > 0 || lost > 0;
}
