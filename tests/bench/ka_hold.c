/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keep-alive hold (issue 14): K PEs registered over C plaintext TCP
 * connections to a running registrard, then held for S seconds while
 * every ASAP_ENDPOINT_KEEP_ALIVE is acknowledged.  Prints one line of
 * key=value pairs: keep-alives received and acknowledged during the hold,
 * registrations refused, connections lost, and the registrar's CPU time
 * (run time of -P PID, bench_util.h) per keep-alive round trip, counted after a
 * warm-up of -u seconds (10), and the registrar's VmRSS growth per PE
 * (after the warm-up: every PE's keep-alive timer set).  One thread,
 * poll(); every wait is bounded; exit status 1 if a registration was
 * refused or a connection lost.  Not part of `make check`:
 * run-keepalive-bench runs it.
 *
 * Resolutions alongside (issue 14): with -R RATE it also sends
 * HANDLE_RESOLUTIONs of pool -r (default: its own pool -g) on one more
 * connection, RATE per second on a fixed schedule for the S seconds of
 * the hold (at most RATE * S of them, pipelined, answers in order), and
 * reports them answered and failed (an error, a refusal, no PE or more
 * than -i, or no answer within a second of the end) and their latency
 * from send() to the answer read: p50, p99 and max.  With -C SOCKET it
 * reads the registrar's "show stats" and "show summary" on its control
 * socket at the start and the end of the hold and reports what the
 * registrar counted meanwhile: keep-alives sent, acknowledgements
 * received, keep-alive timeouts, expirations, PEs removed with a lost
 * association, and its PE count at the end.  -L SECS: after printing,
 * go on answering keep-alives until SIGTERM (at most SECS), so that a
 * run beside it is not disturbed by 1M PEs going away; -I: the first PE
 * identifier (two ka_hold in one pool); -s US: each resolution slower
 * than US (the first 200) on stderr with its time in the hold.  Exit
 * status 1 also when a resolution failed, a message came unasked, or (-C)
 * the registrar timed out, expired or lost a PE during the hold.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
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
#define RES_RING	(1 << 16)	/* resolutions in flight at most */
#define RES_MAX		10000000	/* resolutions per run at most */

struct hconn {
	int		 fd;
	uint32_t	 first, n;	/* its PE identifiers */
	uint32_t	 sent, answered;
	uint8_t		*in, *out;
	size_t		 inlen, outlen, outcap;
};

static const char *pool = "kabench";
static struct hconn conns[MAX_CONNS + 1];	/* + the resolver's */
static int nconns = 4, nall = 4;
static uint64_t kas, refused, lost, unexpected;
static bool holding;
static volatile sig_atomic_t stop;

/* Resolutions (-R): on conns[nconns], times of those in flight in a ring. */
static struct hconn *rc;
static const char *res_pool;
static double res_rate, res_t0, *res_sent_at, *lat;
static uint64_t res_k, res_max, res_head, res_tail, res_ok, res_failed;
static size_t nlat;
static int res_items = 3;
static double slow_s;		/* -s: resolutions slower than this logged */
static unsigned nslow;
static double rx_at;		/* when the bytes being parsed were read */

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

/* The answer to the oldest resolution in flight: check it, time it. */
static void
resolution_answer(const uint8_t *p, size_t len)
{
	struct rsp_msg m;
	struct rsp_err err;
	struct rsp_iter it;
	struct rsp_pe pe;
	int n = 0;

	if (res_head == res_tail) {
		unexpected++;
		return;
	}
	if (rsp_decode(RSP_PROTO_ASAP, p, len, &(struct rsp_decode_opts){
	    .pool_handle_max = UINT16_MAX }, &m, &err) != 0 || m.has_error ||
	    (p[1] & ASAP_FLAG_REJECT) || m.handle.len != strlen(res_pool) ||
	    memcmp(m.handle.p, res_pool, m.handle.len) != 0)
		n = -1;
	else {
		rsp_iter_init(&it, &m);
		while (rsp_iter_pe(&it, NULL, &pe))
			n++;
	}
	if (n < 1 || n > res_items) {
		if (res_failed++ < 5)
			fprintf(stderr, "ka_hold: resolution failed (%d PEs)\n",
			    n);
	} else {
		res_ok++;
		lat[nlat] = rx_at - res_sent_at[res_head % RES_RING];
		if (slow_s > 0 && lat[nlat] > slow_s && nslow++ < 200)
			fprintf(stderr, "ka_hold: slow resolution sent at "
			    "%.3f s of the hold (monotonic %.6f): %.0f us\n",
			    res_sent_at[res_head % RES_RING] - res_t0,
			    res_sent_at[res_head % RES_RING], 1e6 * lat[nlat]);
		nlat++;
	}
	res_head++;
}

static void
send_resolution(struct hconn *c)
{
	uint8_t buf[512];
	struct wbuf w;
	size_t m;

	wbuf_init(&w, buf, sizeof(buf));
	m = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, res_pool, strlen(res_pool));
	rsp_put_hropt(&w, (uint32_t)res_items);
	rsp_put_msg_end(&w, m);
	queue(c, buf, w.err ? 0 : w.len);
}

static void
flush(struct hconn *c)
{
	ssize_t n;

	if (c->fd < 0 || c->outlen == 0)
		return;
	n = send(c->fd, c->out, c->outlen, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n > 0) {
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
}

/*
 * The resolutions due by now on the fixed schedule (RATE per second from
 * the start of the hold), sent at once; their time is taken just before
 * the send().  Returns ms until the next one is due (at most ms).
 */
static int
resolutions_due(int ms)
{
	double now = bu_now(), due;

	if (rc == NULL || !holding || rc->fd < 0)
		return ms;
	while (res_k < res_max && res_t0 + (double)res_k / res_rate <= now) {
		res_k++;
		if (res_tail - res_head >= RES_RING) {
			res_failed++;	/* too many in flight: not sent */
			continue;
		}
		send_resolution(rc);
		res_sent_at[res_tail++ % RES_RING] = now;
	}
	flush(rc);
	if (res_k >= res_max)
		return ms;
	due = (res_t0 + (double)res_k / res_rate - bu_now()) * 1000;
	return due < 0 ? 0 : due < ms ? (int)due + 1 : ms;
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
	case ASAP_HANDLE_RESOLUTION_RESPONSE:
		if (c == rc) {
			resolution_answer(p, len);
			break;
		}
		/* FALLTHROUGH */
	default:
		if (unexpected++ < 5)
			fprintf(stderr, "ka_hold: unexpected message 0x%02x\n",
			    p[0]);
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
	int i, j;

	ms = resolutions_due(ms);
	for (i = 0; i < nall; i++) {
		pfd[i].fd = conns[i].fd;
		pfd[i].events = POLLIN | (conns[i].outlen > 0 ? POLLOUT : 0);
	}
	if (poll(pfd, (nfds_t)nall, ms) < 0 && errno != EINTR)
		bu_fatal("poll: %s", strerror(errno));
	resolutions_due(0);
	/* The resolver's connection (the last) first: its answers' times. */
	for (j = 0; j < nall; j++) {
		i = (j + nall - 1) % nall;
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
			rx_at = bu_now();
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
		flush(c);
	}
}

/* What the registrar counts, from its control socket (-C). */
struct regstats {
	bool		 ok;
	uint64_t	 ka_sent, ka_acks, ka_timeouts, expirations, lost_removals,
			 unreach_removals, deregs, resolutions, pes;
};

/* One command's answer (one line of JSON), bounded: 0 or -1. */
static int
ctl_query(const char *path, const char *cmd, char *out, size_t cap)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	size_t len = 0;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) != (ssize_t)strlen(cmd)) {
		close(fd);
		return -1;
	}
	while (len + 1 < cap && (n = recv(fd, out + len, cap - 1 - len,
	    0)) > 0) {
		len += (size_t)n;
		if (memchr(out + len - (size_t)n, '\n', (size_t)n) != NULL)
			break;
	}
	close(fd);
	out[len] = '\0';
	return len > 0 ? 0 : -1;
}

/* The number after "key": in json (from `after` on, if given). */
static uint64_t
json_u64(const char *json, const char *after, const char *key, bool *ok)
{
	char k[64];
	const char *p = json;

	if (after != NULL && (p = strstr(json, after)) == NULL) {
		*ok = false;
		return 0;
	}
	snprintf(k, sizeof(k), "\"%s\"", key);
	if ((p = strstr(p, k)) == NULL) {
		*ok = false;
		return 0;
	}
	p += strlen(k);
	while (*p == ' ' || *p == ':')
		p++;
	return strtoull(p, NULL, 10);
}

static void
regstats_read(const char *path, struct regstats *s)
{
	static char buf[1 << 17];
	bool ok = true;

	memset(s, 0, sizeof(*s));
	if (path == NULL)
		return;
	if (ctl_query(path, "show stats\n", buf, sizeof(buf)) != 0) {
		fprintf(stderr, "ka_hold: %s: no answer\n", path);
		return;
	}
	s->ka_sent = json_u64(buf, NULL, "keepalives_sent", &ok);
	s->ka_acks = json_u64(buf, "\"messages_received\"",
	    "endpoint_keep_alive_ack", &ok);
	s->ka_timeouts = json_u64(buf, NULL, "keepalive_timeouts", &ok);
	s->expirations = json_u64(buf, NULL, "expirations", &ok);
	s->lost_removals = json_u64(buf, NULL, "assoc_lost_removals", &ok);
	s->unreach_removals = json_u64(buf, NULL, "unreachable_removals", &ok);
	s->deregs = json_u64(buf, NULL, "deregistrations", &ok);
	s->resolutions = json_u64(buf, NULL, "resolutions", &ok);
	if (ctl_query(path, "show summary\n", buf, sizeof(buf)) != 0)
		ok = false;
	else
		s->pes = json_u64(buf, NULL, "pes", &ok);
	if (!ok)
		fprintf(stderr, "ka_hold: %s: counters missing\n", path);
	s->ok = ok;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double q)
{
	return nlat == 0 ? -1 : 1e6 * lat[(size_t)(q * (double)(nlat - 1))];
}

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sin;
	uint32_t pes = 100000, done, per, first = 1;
	double secs = 60, warm = 10, t0, t1, c0, c1, s0, s1, end, linger = 0;
	long pid = 0, rss0, rss1;
	uint64_t kas_all;
	uint16_t port = 0;
	const char *ctl = NULL;
	struct regstats r0, r1;
	int ch, i, one = 1;

	bu_prog = "ka_hold";

	while ((ch = getopt(argc, argv, "C:c:g:I:i:K:L:P:p:R:r:s:t:u:")) != -1) {
		switch (ch) {
		case 'C': ctl = optarg; break;
		case 'c': nconns = atoi(optarg); break;
		case 'g': pool = optarg; break;
		case 'I': first = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'i': res_items = atoi(optarg); break;
		case 'K': pes = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'L': linger = atof(optarg); break;
		case 'P': pid = atol(optarg); break;
		case 'p': port = (uint16_t)atoi(optarg); break;
		case 'R': res_rate = atof(optarg); break;
		case 'r': res_pool = optarg; break;
		case 's': slow_s = atof(optarg) / 1e6; break;
		case 't': secs = atof(optarg); break;
		case 'u': warm = atof(optarg); break;
		default:
			fprintf(stderr, "usage: ka_hold -p PORT [-c conns] "
			    "[-K pes] [-t secs] [-u warm-up-secs] [-P registrar-pid]\n"
			    "    [-g POOL] [-I FIRST-PE-ID] [-R RES-PER-S [-r POOL] "
			    "[-i ITEMS] [-s SLOW-US]] [-C CONTROL-SOCKET]\n"
			    "    [-L LINGER-SECS]\n");
			return 2;
		}
	}
	if (port == 0 || nconns < 1 || nconns > MAX_CONNS || pes == 0 ||
	    first == 0 || pes > UINT32_MAX - first || strlen(pool) == 0 ||
	    strlen(pool) > 255 || secs <= 0 || secs > 3600 || warm < 0 ||
	    linger < 0 || linger > 3600 || res_rate < 0 ||
	    res_rate * secs > RES_MAX || res_items < 1 || res_items > 1000)
		bu_fatal("%s", "bad arguments");
	if (res_pool == NULL)
		res_pool = pool;
	if (strlen(res_pool) == 0 || strlen(res_pool) > 255)
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
		c->first = first + (uint32_t)i * per;
		c->n = pes - (uint32_t)i * per < per ?
		    pes - (uint32_t)i * per : per;
		for (k = 0; k < WINDOW && k < c->n; k++)
			send_registration(c);
	}
	nall = nconns;
	if (res_rate > 0) {
		/* The resolver's connection: nothing registered over it. */
		rc = &conns[nall++];
		res_max = (uint64_t)(res_rate * secs);
		if ((rc->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    connect(rc->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			bu_fatal("connect: %s", strerror(errno));
		setsockopt(rc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((rc->in = malloc(IN_CAP)) == NULL ||
		    (res_sent_at = calloc(RES_RING, sizeof(double))) == NULL ||
		    (lat = calloc(res_max + 1, sizeof(double))) == NULL)
			bu_fatal("%s", "out of memory");
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
	fprintf(stderr, "ka_hold: holding\n");
	regstats_read(ctl, &r0);
	holding = true;
	rss1 = bu_rss_of(pid);
	c0 = bu_cpu_of(pid);
	s0 = bu_cpu_self();
	t0 = res_t0 = bu_now();
	while (bu_now() - t0 < secs && lost == 0)
		step(50);
	t1 = bu_now();
	c1 = bu_cpu_of(pid);
	s1 = bu_cpu_self();
	kas_all = kas;
	regstats_read(ctl, &r1);
	/* Let the acks of the last keep-alives go out. */
	holding = false;
	for (i = 0; i < 20; i++)
		step(10);
	/* The resolutions still in flight: a second for their answers. */
	end = bu_now() + 1;
	while (res_head != res_tail && bu_now() < end && lost == 0)
		step(10);
	res_failed += res_tail - res_head;
	printf("pes=%u conns=%d secs=%.1f keepalives=%llu per_s=%.0f "
	    "refused=%llu lost=%llu reg_cpu_s=%.3f reg_cpu_pct=%.1f "
	    "reg_us_per_ka=%.2f client_cpu_pct=%.1f reg_rss_b_per_pe=%.0f",
	    pes, nconns,
	    t1 - t0, (unsigned long long)kas_all, kas_all / (t1 - t0),
	    (unsigned long long)refused, (unsigned long long)lost, c1 - c0,
	    100 * (c1 - c0) / (t1 - t0),
	    kas_all > 0 ? 1e6 * (c1 - c0) / (double)kas_all : 0,
	    100 * (s1 - s0) / (t1 - t0), rss0 >= 0 && rss1 >= 0 ?
	    1024.0 * (double)(rss1 - rss0) / pes : -1);
	if (r0.ok && r1.ok)
		printf(" reg_ka_sent=%llu reg_ka_acks=%llu reg_ka_timeouts=%llu "
		    "reg_expirations=%llu reg_lost_removals=%llu "
		    "reg_unreach_removals=%llu reg_deregs=%llu "
		    "reg_resolutions=%llu reg_pes_start=%llu reg_pes_end=%llu",
		    (unsigned long long)(r1.ka_sent - r0.ka_sent),
		    (unsigned long long)(r1.ka_acks - r0.ka_acks),
		    (unsigned long long)(r1.ka_timeouts - r0.ka_timeouts),
		    (unsigned long long)(r1.expirations - r0.expirations),
		    (unsigned long long)(r1.lost_removals - r0.lost_removals),
		    (unsigned long long)(r1.unreach_removals -
		    r0.unreach_removals),
		    (unsigned long long)(r1.deregs - r0.deregs),
		    (unsigned long long)(r1.resolutions - r0.resolutions),
		    (unsigned long long)r0.pes, (unsigned long long)r1.pes);
	else if (ctl != NULL)
		printf(" reg_stats=unknown");
	if (rc != NULL) {
		qsort(lat, nlat, sizeof(*lat), cmp_double);
		printf(" res_rate=%.0f res_items=%d res_sent=%llu res_ok=%llu "
		    "res_failed=%llu res_per_s=%.0f res_p50_us=%.0f "
		    "res_p99_us=%.0f res_max_us=%.0f reg_us_per_res=%.2f",
		    res_rate, res_items, (unsigned long long)res_tail,
		    (unsigned long long)res_ok, (unsigned long long)res_failed,
		    res_ok / (t1 - t0), pct(0.5), pct(0.99), pct(1),
		    res_ok > 0 ? 1e6 * (c1 - c0) / (double)res_ok : 0);
	}
	printf(" unexpected=%llu\n", (unsigned long long)unexpected);
	fflush(stdout);
	if (linger > 0) {
		/* Keep the PEs (answer their keep-alives) until SIGTERM. */
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_term;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		end = bu_now() + linger;
		while (!stop && bu_now() < end && lost == 0)
			step(50);
	}
	return refused > 0 || lost > 0 || res_failed > 0 || unexpected > 0 ||
	    (r0.ok && r1.ok && (r1.ka_timeouts != r0.ka_timeouts ||
	    r1.expirations != r0.expirations ||
	    r1.lost_removals != r0.lost_removals));
}
