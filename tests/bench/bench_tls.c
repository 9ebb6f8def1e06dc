/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What TLS (lib/tls.c) costs over loopback TCP, server in a child process
 * and client in this one: connections per second (connect, handshake, one
 * 100-byte request and its echo) in plaintext, with a PSK and with a
 * certificate (ECDSA P-256, made here), each full and resumed from a
 * session ticket; and 100-byte messages per second, one-way (one write per
 * message) and request/response, plaintext beside TLS.  Prints a table.
 * Not part of `make check`: run tests/bench/bench_tls [seconds per row].
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench_util.h"
#include "tls.h"
#include "tls_fixture.h"

#define MSG	100

static double secs = 1.0;

static void
die(const char *what)
{
	fprintf(stderr, "bench_tls: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The CA, the server certificate and the PSK, made with tls_fixture.c. */
static void
make_files(void)
{
	EVP_PKEY *cakey;
	X509 *ca = fx_make_ca("ca.pem", "bench CA", &cakey);

	fx_make_leaf("server", FX_NAME, "DNS:" FX_NAME, ca, cakey, -3600,
	    86400);
	fx_write_file("psk", "pe-1 " FX_KEY_A "\n", 0600);
	X509_free(ca);
	EVP_PKEY_free(cakey);
}

static struct tls_ctx *
ctx(const struct tls_config *cfg)
{
	struct tls_ctx *c;
	char err[256];

	if (tls_ctx_new(cfg, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_tls: %s\n", err);
		exit(1);
	}
	return c;
}

/* --- blocking I/O on either transport ---------------------------------- */

struct io {
	int		 fd;
	struct tls_conn	*t;
};

static int
io_write(struct io *io, const void *buf, size_t len)
{
	size_t n, off = 0;
	ssize_t w;

	while (off < len) {
		if (io->t != NULL) {
			if (tls_write(io->t, (const char *)buf + off,
			    len - off, &n) != 0)
				return -1;
		} else {
			if ((w = send(io->fd, (const char *)buf + off,
			    len - off, MSG_NOSIGNAL)) <= 0)
				return -1;
			n = (size_t)w;
		}
		off += n;
	}
	return 0;
}

/* Read up to len bytes: the count, 0 at end of stream, -1 on error. */
static ssize_t
io_read(struct io *io, void *buf, size_t len)
{
	size_t n;

	if (io->t == NULL)
		return recv(io->fd, buf, len, 0);
	if (tls_read(io->t, buf, len, &n) != 0)
		return -1;
	return (ssize_t)n;
}

static int
io_read_full(struct io *io, void *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		if ((n = io_read(io, (char *)buf + off, len - off)) <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

static int
io_open(struct io *io, int fd, struct tls_ctx *c)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	io->fd = fd;
	io->t = NULL;
	if (c == NULL)
		return 0;
	if (tls_conn_new(c, fd, &io->t) != 0 || tls_handshake(io->t) != 0) {
		const char *text = "";

		if (io->t != NULL)
			tls_conn_fail(io->t, &text);
		fprintf(stderr, "bench_tls: handshake: %s\n", text);
		tls_conn_free(io->t);
		io->t = NULL;
		return -1;
	}
	return 0;
}

static void
io_close(struct io *io)
{
	tls_conn_free(io->t);
	close(io->fd);
}

/* --- the server child --------------------------------------------------- */

enum mode { CONNECT, STREAM, ECHO };

static void
server(int lfd, struct tls_ctx *c, enum mode mode)
{
	char buf[16384];
	uint64_t total;
	struct io io;
	ssize_t n;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			_exit(1);
		if (io_open(&io, fd, c) != 0) {
			close(fd);
			continue;
		}
		switch (mode) {
		case CONNECT:		/* one request, its echo */
			if (io_read_full(&io, buf, MSG) == 0)
				io_write(&io, buf, MSG);
			break;
		case STREAM:		/* count to the end, say how much */
			total = 0;
			while ((n = io_read(&io, buf, sizeof(buf))) > 0)
				total += (uint64_t)n;
			io_write(&io, &total, sizeof(total));
			break;
		case ECHO:
			while (io_read_full(&io, buf, MSG) == 0 &&
			    io_write(&io, buf, MSG) == 0)
				;
			break;
		}
		io_close(&io);
	}
}

static int
listener(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    listen(fd, 128) == -1 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) == -1)
		die("listen");
	return fd;
}

static pid_t
start_server(struct tls_ctx *c, enum mode mode, struct sockaddr_in *sin)
{
	int lfd = listener(sin);
	pid_t pid = fork();

	if (pid == -1)
		die("fork");
	if (pid == 0)
		server(lfd, c, mode);
	close(lfd);
	return pid;
}

static void
stop_server(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static int
dial(const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1 || connect(fd, (const struct sockaddr *)sin,
	    sizeof(*sin)) == -1)
		die("connect");
	return fd;
}

/* --- measurements -------------------------------------------------------- */

/* Connections per second, and the share that resumed. */
static double
bench_connect(struct tls_ctx *sc, struct tls_ctx *cc, double *ret_resumed)
{
	struct sockaddr_in sin;
	char buf[MSG] = "x";
	pid_t pid = start_server(sc, CONNECT, &sin);
	double t0 = bu_now(), t;
	long n = 0, resumed = 0;
	struct io io;

	do {
		if (io_open(&io, dial(&sin), cc) != 0)
			exit(1);
		if (io.t != NULL && tls_resumed(io.t))
			resumed++;
		if (io_write(&io, buf, MSG) != 0 ||
		    io_read_full(&io, buf, MSG) != 0)
			die("request");
		io_close(&io);
		n++;
	} while ((t = bu_now() - t0) < secs);
	stop_server(pid);
	*ret_resumed = n > 0 ? (double)resumed / n : 0;
	return n / t;
}

/*
 * One-way 100-byte messages per second, batch messages per write (1: one
 * TLS record each; more: what a send queue flushed at once costs).
 */
static double
bench_stream(struct tls_ctx *sc, struct tls_ctx *cc, int batch)
{
	struct sockaddr_in sin;
	char buf[64 * MSG];
	pid_t pid = start_server(sc, STREAM, &sin);
	uint64_t total = 0, sent = 0;
	struct io io;
	double t0, t;
	int i;

	memset(buf, 'm', sizeof(buf));
	if (io_open(&io, dial(&sin), cc) != 0)
		exit(1);
	t0 = bu_now();
	do {
		for (i = 0; i < 1024 / batch; i++)
			if (io_write(&io, buf, (size_t)batch * MSG) != 0)
				die("write");
		sent += (uint64_t)(1024 / batch) * batch * MSG;
	} while (bu_now() - t0 < secs);
	if (io.t != NULL)
		tls_shutdown(io.t);
	else
		shutdown(io.fd, SHUT_WR);
	if (io_read_full(&io, &total, sizeof(total)) != 0 || total != sent)
		die("stream count");
	t = bu_now() - t0;
	io_close(&io);
	stop_server(pid);
	return (double)(sent / MSG) / t;
}

/* Request/response round trips of 100 bytes per second. */
static double
bench_echo(struct tls_ctx *sc, struct tls_ctx *cc)
{
	struct sockaddr_in sin;
	char buf[MSG];
	pid_t pid = start_server(sc, ECHO, &sin);
	struct io io;
	double t0, t;
	long n = 0;

	memset(buf, 'e', sizeof(buf));
	if (io_open(&io, dial(&sin), cc) != 0)
		exit(1);
	t0 = bu_now();
	do {
		if (io_write(&io, buf, MSG) != 0 ||
		    io_read_full(&io, buf, MSG) != 0)
			die("echo");
		n++;
	} while ((t = bu_now() - t0) < secs);
	io_close(&io);
	stop_server(pid);
	return n / t;
}

int
main(int argc, char *argv[])
{
	struct tls_config scfg = { .role = TLS_SERVER };
	struct tls_config pcfg = { .role = TLS_CLIENT };
	struct tls_config ccfg = { .role = TLS_CLIENT, .server_name = FX_NAME };
	struct tls_ctx *sc, *pe, *pe_r, *pu, *pu_r;
	double plain, r, res;

	if (argc > 1 && (secs = atof(argv[1])) <= 0) {
		fprintf(stderr, "usage: bench_tls [seconds per row]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (fx_dir_make("bench_tls") != 0)
		die("mkdtemp");
	make_files();
	scfg.psk_file = fx_path("psk");
	scfg.cert_file = fx_path("server.pem");
	scfg.key_file = fx_path("server.key");
	pcfg.psk_file = fx_path("psk");
	ccfg.ca_file = fx_path("ca.pem");
	sc = ctx(&scfg);
	pe = ctx(&pcfg);
	pu = ctx(&ccfg);
	pcfg.resume = ccfg.resume = true;
	pe_r = ctx(&pcfg);
	pu_r = ctx(&ccfg);
	fx_dir_remove();

	printf("%-44s %12s %8s\n", "loopback TCP, TLS 1.3, 100-byte messages",
	    "per second", "x plain");
	printf("(connections: connect, handshake, one request and its echo)\n");
	plain = bench_connect(NULL, NULL, &res);
	printf("%-44s %12.0f %8.2f\n", "connections, plaintext", plain, 1.0);
	r = bench_connect(sc, pe, &res);
	printf("%-44s %12.0f %8.2f\n", "connections, PSK full handshake", r,
	    r / plain);
	r = bench_connect(sc, pe_r, &res);
	printf("%-44s %12.0f %8.2f  (%.0f%% resumed)\n",
	    "connections, PSK resumed (ticket)", r, r / plain, res * 100);
	r = bench_connect(sc, pu, &res);
	printf("%-44s %12.0f %8.2f\n", "connections, cert full (ECDSA P-256)",
	    r, r / plain);
	r = bench_connect(sc, pu_r, &res);
	printf("%-44s %12.0f %8.2f  (%.0f%% resumed)\n",
	    "connections, cert resumed (ticket)", r, r / plain, res * 100);
	plain = bench_stream(NULL, NULL, 1);
	printf("%-44s %12.0f %8.2f\n", "one-way, 1 message per write, plain",
	    plain, 1.0);
	r = bench_stream(sc, pe, 1);
	printf("%-44s %12.0f %8.2f\n", "one-way, 1 message per write, TLS", r,
	    r / plain);
	plain = bench_stream(NULL, NULL, 64);
	printf("%-44s %12.0f %8.2f\n", "one-way, 64 messages per write, plain",
	    plain, 1.0);
	r = bench_stream(sc, pe, 64);
	printf("%-44s %12.0f %8.2f\n", "one-way, 64 messages per write, TLS",
	    r, r / plain);
	plain = bench_echo(NULL, NULL);
	printf("%-44s %12.0f %8.2f\n", "request/response, plain", plain,
	    1.0);
	r = bench_echo(sc, pe);
	printf("%-44s %12.0f %8.2f\n", "request/response, TLS (PSK)", r,
	    r / plain);
	tls_ctx_free(sc);
	tls_ctx_free(pe);
	tls_ctx_free(pe_r);
	tls_ctx_free(pu);
	tls_ctx_free(pu_r);
	return 0;
}
