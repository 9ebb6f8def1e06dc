/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test harness for registrard end-to-end tests; see harness.h.  With
 * ANYPOOL_TEST_TRANSPORT=sctp the daemon listens with "transport sctp" and
 * the clients are SCTP one-to-one sockets: one ASAP message per SCTP user
 * message with PPID 11, sent and received through sendmsg()/recvmsg() with
 * an SCTP_SNDRCV control message (what sctp_sendmsg()/sctp_recvmsg() of
 * lksctp do, without linking libsctp into the tests).
 */
#define _GNU_SOURCE		/* nftw() */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Timeouts: three times longer in the SCTP variant, which runs in a VM with
 * an emulated CPU (and the sanitizers), often next to other work.
 */
static uint64_t
scaled(int timeout_ms)
{
	return (uint64_t)timeout_ms * (harness_sctp() ? 3 : 1);
}

bool
wait_until(bool (*cond)(void *), void *arg, int timeout_ms)
{
	uint64_t end = mono_ms() + scaled(timeout_ms);
	struct timespec ts = { 0, 5 * 1000000 };

	for (;;) {
		if (cond(arg))
			return true;
		if (mono_ms() >= end)
			return false;
		nanosleep(&ts, NULL);
	}
}

bool
harness_sctp(void)
{
	const char *t = getenv("ANYPOOL_TEST_TRANSPORT");

	return t != NULL && strcmp(t, "sctp") == 0;
}

/* Whether port can be bound on 127.0.0.1 now (TCP). */
static bool
port_bindable(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	bool ok;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return false;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

/*
 * The ports handed out lately: one not bound yet (the TLS port of a
 * registrar whose plaintext port is picked next) is still bindable, and
 * must not be handed out twice.
 */
#define GIVEN_MAX	64
static uint16_t given[GIVEN_MAX];
static unsigned int ngiven;

static bool
port_given(uint16_t port)
{
	for (unsigned int i = 0; i < GIVEN_MAX && i < ngiven; i++)
		if (given[i] == port)
			return true;
	return false;
}

/*
 * A free port below the kernel's ephemeral range (ip_local_port_range), at
 * random: a port from inside that range (what bind to port 0 gives) is one
 * the kernel may hand to any outgoing connection of a test running beside
 * this one before the registrar binds it, or again between a stop and a
 * restart of the registrar on it.
 */
uint16_t
harness_free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	struct timespec now;
	unsigned int lo = 20000, hi = 32000, eph = 32768, seed;
	uint16_t port = 0;
	FILE *f;
	int fd, i;

	if ((f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) != NULL) {
		if (fscanf(f, "%u", &eph) != 1)
			eph = 32768;
		fclose(f);
	}
	if (eph <= hi)
		hi = eph - 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	seed = (unsigned int)getpid() * 2654435761u ^ (unsigned int)now.tv_nsec;
	for (i = 0; hi > lo && i < 100; i++) {
		port = (uint16_t)(lo + rand_r(&seed) % (hi - lo));
		if (port_given(port) || !port_bindable(port))
			continue;
		given[ngiven++ % GIVEN_MAX] = port;
		return port;
	}
	/* The ephemeral range after all: better than no port. */
	port = 0;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* A free loopback port, or $ANYPOOL_TEST_PORT (the live capture uses 3863). */
static uint16_t
free_port(void)
{
	const char *env = getenv("ANYPOOL_TEST_PORT");

	if (env != NULL && atoi(env) > 0)
		return (uint16_t)atoi(env);
	return harness_free_port();
}

static bool
connectable(void *arg)
{
	struct daemon *d = arg;
	struct client c;

	if (client_connect(&c, d->port) != 0)
		return false;
	client_close(&c);
	return true;
}

struct spawn_wait {
	struct daemon	*d;
	off_t		 log_off;	/* where this run's log lines begin */
};

/*
 * Serving: it accepts connections and has logged "started:", which it does
 * once its signal handlers are in place and just before its loop runs.  A
 * listening socket alone is not enough where start-up is slow (the SCTP
 * variant runs in an emulated VM): the kernel completes connections from
 * the backlog before the daemon reads them.
 */
static bool
serving(void *arg)
{
	struct spawn_wait *sw = arg;
	char line[512];
	bool found = false;
	FILE *f;

	if ((f = fopen(sw->d->log, "r")) == NULL)
		return false;
	if (fseeko(f, sw->log_off, SEEK_SET) == 0)
		while (!found && fgets(line, sizeof(line), f) != NULL)
			found = strstr(line, "started: server id") != NULL;
	fclose(f);
	return found && connectable(sw->d);
}

/* The first lines of path from off on, to stderr (the test's log). */
static void
print_log_from(const char *path, off_t off)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (f == NULL)
		return;
	if (fseeko(f, off, SEEK_SET) == 0)
		while (n++ < 40 && fgets(line, sizeof(line), f) != NULL)
			fputs(line, stderr);
	fclose(f);
}

static int
daemon_spawn(struct daemon *d)
{
	const char *bin = getenv("REGISTRARD");
	struct spawn_wait sw = { .d = d };
	struct stat st;
	int fd;

	if (bin == NULL)
		bin = "registrar/registrard";
	if (stat(d->log, &st) == 0)
		sw.log_off = st.st_size;
	d->pid = fork();
	if (d->pid < 0)
		return -1;
	if (d->pid == 0) {
		fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(bin, "registrard", "-d", "-v", "-f", d->conf, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	if (!wait_until(serving, &sw, 10000)) {
		fprintf(stderr, "registrard did not start; log %s:\n", d->log);
		daemon_stop(d, SIGKILL);
		print_log_from(d->log, sw.log_off);
		return -1;
	}
	return 0;
}

/*
 * The daemons' directories go when the test program ends (a failing
 * daemon_clean() has copied its log to stderr, which the test's .log
 * keeps); ANYPOOL_TEST_KEEP=1 keeps them.
 */
#define MAX_DIRS	64
static char	 made_dirs[MAX_DIRS][256];
static int	 nmade_dirs;

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void
remove_dirs(void)
{
	int i;

	if (getenv("ANYPOOL_TEST_KEEP") != NULL)
		return;
	for (i = 0; i < nmade_dirs; i++)
		nftw(made_dirs[i], rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int
daemon_start(struct daemon *d, const char *extra)
{
	char tmpl[] = "/tmp/anypool-e2e-XXXXXX";
	FILE *f;

	memset(d, 0, sizeof(*d));
	if (mkdtemp(tmpl) == NULL)
		return -1;
	if (nmade_dirs == 0)
		atexit(remove_dirs);
	if (nmade_dirs < MAX_DIRS)
		snprintf(made_dirs[nmade_dirs++], sizeof(made_dirs[0]), "%s",
		    tmpl);
	snprintf(d->dir, sizeof(d->dir), "%s", tmpl);
	snprintf(d->conf, sizeof(d->conf), "%s/registrard.conf", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/registrard.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/registrard.log", d->dir);
	d->port = free_port();
	if ((f = fopen(d->conf, "w")) == NULL)
		return -1;
	fprintf(f, "listen on 127.0.0.1 port %u transport %s\n"
	    "control socket \"%s\"\n%s\n", d->port,
	    harness_sctp() ? "sctp" : "tcp", d->sock,
	    extra != NULL ? extra : "");
	fclose(f);
	return daemon_spawn(d);
}

int
daemon_restart(struct daemon *d)
{
	return daemon_spawn(d);
}

bool
daemon_alive(struct daemon *d)
{
	int st;

	if (d->pid <= 0)
		return false;
	return waitpid(d->pid, &st, WNOHANG) == 0;
}

int
daemon_stop(struct daemon *d, int sig)
{
	int st = 0;

	if (d->pid <= 0)
		return 0;
	kill(d->pid, sig);
	waitpid(d->pid, &st, 0);
	d->pid = 0;
	return st;
}

bool
daemon_clean(const struct daemon *d, int status)
{
	char line[1024];
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	FILE *f;

	if ((f = fopen(d->log, "r")) == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "Sanitizer") != NULL ||
		    strstr(line, "runtime error") != NULL) {
			fprintf(stderr, "registrard: %s", line);
			ok = false;
		}
	fclose(f);
	if (!ok) {
		/* The directory goes at exit: its log's tail to the test log. */
		fprintf(stderr, "registrard exit status 0x%x; log %s ends:\n",
		    status, d->log);
		if ((f = fopen(d->log, "r")) != NULL) {
			long n = 0;

			while (fgets(line, sizeof(line), f) != NULL)
				n++;
			rewind(f);
			while (fgets(line, sizeof(line), f) != NULL)
				if (n-- <= 40)
					fputs(line, stderr);
			fclose(f);
		}
	}
	return ok;
}

bool
daemon_log_has(const struct daemon *d, const char *a, const char *b)
{
	char line[2048];
	bool found = false;
	FILE *f = fopen(d->log, "r");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, a) != NULL &&
		    (b == NULL || strstr(line, b) != NULL);
	fclose(f);
	return found;
}

int
client_connect(struct client *c, uint16_t port)
{
	return client_connect_from(c, port, NULL);
}

int
client_connect_from(struct client *c, uint16_t port, const char *src)
{
	return client_connect_buf(c, port, src, 0);
}

int
client_connect_buf(struct client *c, uint16_t port, const char *src,
    int rcvbuf)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in from = { .sin_family = AF_INET };
	struct sctp_event_subscribe ev;
	int on = 1;

	memset(c, 0, sizeof(*c));
	c->sctp = harness_sctp();
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
	    c->sctp ? IPPROTO_SCTP : 0)) < 0)
		return -1;
	if (c->sctp) {
		/* The PPID of what we receive comes with data_io_event. */
		memset(&ev, 0, sizeof(ev));
		ev.sctp_data_io_event = 1;
		if (setsockopt(c->fd, IPPROTO_SCTP, SCTP_EVENTS, &ev,
		    sizeof(ev)) != 0)
			goto fail;
	}
	/* Before connect(), so that the window it offers agrees. */
	if (rcvbuf > 0 && setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)) != 0)
		goto fail;
	if (src != NULL && (inet_pton(AF_INET, src, &from.sin_addr) != 1 ||
	    bind(c->fd, (struct sockaddr *)&from, sizeof(from)) != 0))
		goto fail;
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		goto fail;
	if (c->sctp)
		setsockopt(c->fd, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof(on));
	else
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return 0;
fail:
	close(c->fd);
	c->fd = -1;
	return -1;
}

void
client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* One SCTP user message with PPID 11 (lksctp's sctp_sendmsg()). */
static int
sctp_send_msg(int fd, const void *p, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct sctp_sndrcvinfo))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)p, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct sctp_sndrcvinfo *si;
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_SCTP;
	cm->cmsg_type = SCTP_SNDRCV;
	cm->cmsg_len = CMSG_LEN(sizeof(*si));
	si = (struct sctp_sndrcvinfo *)(void *)CMSG_DATA(cm);
	si->sinfo_ppid = htonl(ASAP_PPID);
	for (;;) {
		if (sendmsg(fd, &mh, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/*
 * Read from an SCTP socket into c->in until the end of a user message
 * (lksctp's sctp_recvmsg()); *ret_ppid is that message's PPID.  Returns
 * 1 with a whole message in c->in, 0 for a partial one, -1 on close/error.
 */
static int
sctp_recv_msg(struct client *c, uint32_t *ret_ppid)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct sctp_sndrcvinfo))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = c->in + c->inlen,
	    .iov_len = sizeof(c->in) - c->inlen };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct sctp_sndrcvinfo si;
	struct cmsghdr *cm;
	ssize_t n;

	if (iov.iov_len == 0)
		return -1;	/* larger than any ASAP message */
	n = recvmsg(c->fd, &mh, 0);
	if (n <= 0)
		return -1;
	if (mh.msg_flags & MSG_NOTIFICATION)
		return 0;	/* none subscribed; ignore all the same */
	c->inlen += (size_t)n;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == IPPROTO_SCTP &&
		    cm->cmsg_type == SCTP_SNDRCV) {
			memcpy(&si, CMSG_DATA(cm), sizeof(si));
			c->ppid = ntohl(si.sinfo_ppid);
		}
	if (!(mh.msg_flags & MSG_EOR))
		return 0;
	*ret_ppid = c->ppid;
	return 1;
}

int
client_send(struct client *c, const void *p, size_t len)
{
	const uint8_t *b = p;
	ssize_t n;

	if (c->sctp)
		return sctp_send_msg(c->fd, p, len);
	while (len > 0) {
		n = send(c->fd, b, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The next whole message: the first f bytes of c->in (TCP: cut by its
 * length field; SCTP: one user message, f = inlen).  Decode it into *m;
 * keep-alives are answered here unless raw.  1: a message for the caller,
 * 0: consumed, -1: undecodable.
 */
static int
take_message(struct client *c, size_t f, struct rsp_msg *m, bool raw)
{
	struct rsp_err err;
	uint8_t ack[256];

	memcpy(c->msg, c->in, f);
	c->msglen = f;
	memmove(c->in, c->in + f, c->inlen - f);
	c->inlen -= f;
	if (rsp_decode(RSP_PROTO_ASAP, c->msg, c->msglen,
	    &(struct rsp_decode_opts){ .pool_handle_max = UINT16_MAX }, m,
	    &err) != 0) {
		fprintf(stderr, "client: undecodable message from registrard: "
		    "%s\n", err.what);
		return -1;
	}
	if (!raw && m->type == ASAP_ENDPOINT_KEEP_ALIVE && m->has_pe_id) {
		char h[300];

		snprintf(h, sizeof(h), "%.*s", (int)m->handle.len,
		    (const char *)m->handle.p);
		client_send(c, ack, build_ka_ack(ack, sizeof(ack), h, m->pe_id));
		return 0;
	}
	return 1;
}

/* client_recv() until the absolute deadline end (mono_ms()). */
static int
client_recv_until(struct client *c, struct rsp_msg *m, uint64_t end, bool raw)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	uint32_t ppid;
	ssize_t n;
	long f;
	int left, rc;

	for (;;) {
		if (!c->sctp && (f = rsp_frame(c->in, c->inlen)) != 0) {
			if (f < 0)
				return -1;
			if ((rc = take_message(c, (size_t)f, m, raw)) != 0)
				return rc;
			continue;
		}
		left = (int)((int64_t)end - (int64_t)mono_ms());
		if (left < 0)
			left = 0;
		/* Poll even with no time left: a zero timeout still reads. */
		if (poll(&pfd, 1, left) <= 0) {
			if (left == 0)
				return 0;
			continue;
		}
		if (c->sctp) {
			if ((rc = sctp_recv_msg(c, &ppid)) <= 0) {
				if (rc < 0)
					return -1;
				continue;
			}
			if (ppid != ASAP_PPID) {
				fprintf(stderr, "client: message with PPID %u "
				    "from registrard\n", ppid);
				return -1;
			}
			if ((rc = take_message(c, c->inlen, m, raw)) != 0)
				return rc;
			continue;
		}
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
		if (n <= 0)
			return -1;
		c->inlen += (size_t)n;
	}
}

int
client_recv(struct client *c, struct rsp_msg *m, int timeout_ms, bool raw)
{
	return client_recv_until(c, m, mono_ms() + scaled(timeout_ms), raw);
}

int
client_expect(struct client *c, uint8_t type, struct rsp_msg *m, int timeout_ms)
{
	uint64_t end = mono_ms() + scaled(timeout_ms);
	int rc;

	for (;;) {
		if (mono_ms() >= end)
			return 0;
		if ((rc = client_recv_until(c, m, end, false)) != 1)
			return rc;
		if (m->type == type)
			return 1;
	}
}

static void
reg_pe(struct rsp_pe *pe, uint32_t id, uint32_t policy, uint32_t v0,
    uint32_t v1, uint16_t port, int32_t life)
{
	int n = rsp_policy_nval(policy);

	memset(pe, 0, sizeof(*pe));
	pe->id = id;
	pe->life = life;
	pe->user.type = RSP_PARAM_TCP_TRANSPORT;
	pe->user.port = port;
	pe->user.use = RSP_TRANSPORT_USE_DATA_CONTROL;
	pe->user.naddr = 1;
	rsp_addr_v4(&pe->user.addr[0], 0x7f000001);
	pe->policy.type = policy;
	pe->policy.nval = (uint8_t)(n > 0 ? n : 0);
	pe->policy.val[0] = v0;
	pe->policy.val[1] = v1;
}

size_t
build_registration(uint8_t *buf, size_t cap, const char *pool, uint32_t id,
    uint32_t policy, uint32_t v0, uint32_t v1, uint16_t port, int32_t life)
{
	struct rsp_pe pe;
	struct wbuf w;
	size_t m;

	reg_pe(&pe, id, policy, v0, v1, port, life);
	wbuf_init(&w, buf, cap);
	m = rsp_put_msg_begin(&w, ASAP_REGISTRATION, 0);
	rsp_put_handle(&w, pool, strlen(pool));
	rsp_put_pe(&w, &pe);
	rsp_put_msg_end(&w, m);
	return w.err ? 0 : w.len;
}

static size_t
build_handle_id(uint8_t *buf, size_t cap, uint8_t type, const char *pool,
    uint32_t id)
{
	struct wbuf w;
	size_t m;

	wbuf_init(&w, buf, cap);
	m = rsp_put_msg_begin(&w, type, 0);
	rsp_put_handle(&w, pool, strlen(pool));
	rsp_put_pe_id(&w, id);
	rsp_put_msg_end(&w, m);
	return w.err ? 0 : w.len;
}

size_t
build_deregistration(uint8_t *buf, size_t cap, const char *pool, uint32_t id)
{
	return build_handle_id(buf, cap, ASAP_DEREGISTRATION, pool, id);
}

size_t
build_unreachable(uint8_t *buf, size_t cap, const char *pool, uint32_t id)
{
	return build_handle_id(buf, cap, ASAP_ENDPOINT_UNREACHABLE, pool, id);
}

size_t
build_ka_ack(uint8_t *buf, size_t cap, const char *pool, uint32_t id)
{
	return build_handle_id(buf, cap, ASAP_ENDPOINT_KEEP_ALIVE_ACK, pool, id);
}

size_t
build_resolution(uint8_t *buf, size_t cap, const char *pool, uint32_t items)
{
	struct wbuf w;
	size_t m;

	wbuf_init(&w, buf, cap);
	m = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, pool, strlen(pool));
	if (items != 0)
		rsp_put_hropt(&w, items);
	rsp_put_msg_end(&w, m);
	return w.err ? 0 : w.len;
}

int
do_register(struct client *c, const char *pool, uint32_t id, uint32_t policy,
    uint32_t v0, uint32_t v1, int32_t life_ms, uint16_t *ret_cause)
{
	uint8_t buf[512];
	struct rsp_msg m;

	if (client_send(c, buf, build_registration(buf, sizeof(buf), pool, id,
	    policy, v0, v1, 7000, life_ms)) != 0)
		return -1;
	if (client_expect(c, ASAP_REGISTRATION_RESPONSE, &m, 5000) != 1)
		return -1;
	if (ret_cause != NULL)
		*ret_cause = m.has_error && m.error.ncause > 0 ?
		    m.error.cause[0].code : 0xffff;
	return (m.flags & ASAP_FLAG_REJECT) ? 1 : 0;
}

int
do_resolve(struct client *c, const char *pool, uint32_t items, uint32_t *ids,
    size_t max, uint16_t *ret_cause)
{
	uint8_t buf[512];
	struct rsp_iter it;
	struct rsp_msg m;
	struct rsp_pe pe;
	size_t n = 0;

	if (client_send(c, buf, build_resolution(buf, sizeof(buf), pool,
	    items)) != 0)
		return -1;
	if (client_expect(c, ASAP_HANDLE_RESOLUTION_RESPONSE, &m, 5000) != 1)
		return -1;
	if (m.has_error) {
		if (ret_cause != NULL)
			*ret_cause = m.error.cause[0].code;
		return -2;
	}
	rsp_iter_init(&it, &m);
	while (rsp_iter_pe(&it, NULL, &pe) && n < max)
		ids[n++] = pe.id;
	return (int)n;
}

void
daemon_explain(const struct daemon *d, const char *cmd)
{
	static char out[65536];
	char line[1024];
	off_t off = 0;
	FILE *f;
	int n = 0;

	if (control_query(d, cmd, out, sizeof(out)) == 0)
		fprintf(stderr, "registrard, %s: %s\n", cmd, out);
	/* The last 40 lines: where the 40th from the end begins. */
	if ((f = fopen(d->log, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	if (n > 40 && (f = fopen(d->log, "r")) != NULL) {
		for (; n > 40 && fgets(line, sizeof(line), f) != NULL; n--)
			;
		off = ftello(f);
		fclose(f);
	}
	fprintf(stderr, "registrard's log %s, its end:\n", d->log);
	print_log_from(d->log, off);
}

int
control_query(const struct daemon *d, const char *cmd, char *out, size_t cap)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct pollfd pfd;
	size_t len = 0;
	ssize_t n;
	int fd;

	if (strlen(d->sock) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, d->sock, strlen(d->sock) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (len + 1 < cap && poll(&pfd, 1, 5000) > 0) {
		n = recv(fd, out + len, cap - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (out[len - 1] == '\n')
			break;
	}
	out[len] = '\0';
	close(fd);
	return len > 0 ? 0 : -1;
}

int64_t
control_stat(const struct daemon *d, const char *name)
{
	static char out[65536];
	char key[80];
	const char *p;

	if (control_query(d, "show stats", out, sizeof(out)) != 0)
		return -1;
	snprintf(key, sizeof(key), "\"%s\":", name);
	if ((p = strstr(out, key)) == NULL)
		return -1;
	return strtoll(p + strlen(key), NULL, 10);
}
