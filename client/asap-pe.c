/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * asap-pe: a demo pool element.  An echo service (TCP, or SCTP with -T sctp:
 * user data on PPID 0, ASAP control on PPID 11) that registers itself
 * in a pool through libasap (with the policy, weight or load given), keeps
 * the registration alive across registrar failures, sends each client a
 * business card and, after every echoed message, a cookie carrying the
 * session's message count (HMAC-SHA256 signed with -c), and accepts a
 * cookie echo from a client that failed over from another PE.  It shows
 * the event-loop integration: one poll() over asap_fd(), the listening
 * socket and a signalfd.  Deregisters on SIGINT/SIGTERM.
 */
#define _GNU_SOURCE	/* accept4 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "asap.h"
#include "tls_cli.h"

struct client {
	struct asap_pe_session *s;
	unsigned long	 count;
	unsigned int	 no;
};

static struct asap_pe *pe;
static struct asap_ctx *the_ctx;
static const char *secret;
static bool debug;
static unsigned int nclients;

static void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld asap-pe: ", tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
debug_line(void *arg, const char *line)
{
	(void)arg;
	say("debug: %s", line);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: asap-pe -r REGISTRAR[,REGISTRAR...] -p POOL [-P policy] "
	    "[-w weight] [-l load]\n"
	    "               [-L listen-addr:port] [-T tcp|sctp] "
	    "[-i reregistration-ms] [-c cookie-secret] [-d]\n"
	    "               [-U auto|always|never]\n"
	    "               [" TLS_CLI_USAGE_AUTH "]\n"
	    "               " TLS_CLI_USAGE_MORE "\n"
	    "policies: rr wrr random wrandom prio lu lud plu rlu\n"
	    "registrars: [tcp:|sctp:]host[:port]\n");
	exit(2);
}

/* Cookies: "pe=XXXXXXXX;count=N[;mac=HEX]". */
static void
mac_hex(const char *msg, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)msg, strlen(msg), md, &mdlen);
	for (i = 0; i < mdlen && 2 * i + 2 < outlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
send_cookie(struct client *cl)
{
	char body[128], cookie[512], mac[2 * EVP_MAX_MD_SIZE + 1];

	snprintf(body, sizeof(body), "pe=%08x;count=%lu", asap_pe_id(pe),
	    cl->count);
	if (secret != NULL) {
		mac_hex(body, mac, sizeof(mac));
		snprintf(cookie, sizeof(cookie), "%s;mac=%s", body, mac);
	} else {
		snprintf(cookie, sizeof(cookie), "%s", body);
	}
	(void)asap_pe_session_send_cookie(cl->s, cookie, strlen(cookie));
}

static void
on_data(struct asap_pe_session *s, const void *p, size_t len, void *arg)
{
	struct client *cl = arg;

	if (asap_pe_session_send(s, p, len) == 0) {
		cl->count++;
		send_cookie(cl);
	}
}

static void
on_cookie_echo(struct asap_pe_session *s, const void *p, size_t len,
    void *arg)
{
	struct client *cl = arg;
	char c[512], mac[2 * EVP_MAX_MD_SIZE + 1], *m;
	unsigned int from = 0;
	unsigned long count = 0;

	(void)s;
	if (len >= sizeof(c)) {
		say("client %u: cookie echo too long, ignored", cl->no);
		return;
	}
	memcpy(c, p, len);
	c[len] = '\0';
	if (secret != NULL) {
		m = strstr(c, ";mac=");
		if (m == NULL) {
			say("client %u: unsigned cookie echo rejected", cl->no);
			return;
		}
		*m = '\0';
		mac_hex(c, mac, sizeof(mac));
		if (strlen(m + 5) != strlen(mac) ||
		    CRYPTO_memcmp(m + 5, mac, strlen(mac)) != 0) {
			say("client %u: cookie echo with a bad signature "
			    "rejected", cl->no);
			return;
		}
	}
	if (sscanf(c, "pe=%x;count=%lu", &from, &count) != 2) {
		say("client %u: cookie echo not understood", cl->no);
		return;
	}
	cl->count = count;
	say("client %u: resumed by cookie echo from PE %08x (count %lu)%s",
	    cl->no, from, count, secret ? ", signature ok" : "");
}

static void
on_closed(struct asap_pe_session *s, int error, void *arg)
{
	struct client *cl = arg;

	say("client %u: gone after %lu messages%s%s", cl->no, cl->count,
	    error ? ": " : "", error ? strerror(-error) : "");
	asap_pe_session_free(s);
	free(cl);
}

static const struct asap_pe_session_callbacks client_cb = {
	.data = on_data,
	.cookie_echo = on_cookie_echo,
	.closed = on_closed,
};

static void
pe_status(struct asap_pe *p, const struct asap_pe_status *st, void *arg)
{
	const char *tls_why;

	(void)p;
	(void)arg;
	switch (st->event) {
	case ASAP_PE_REGISTERED:
		say("registered as PE %08x at %s (registrar id %08x)%s",
		    st->pe_id, st->home_addr, st->home_id,
		    st->cause ? " with a warning" : "");
		break;
	case ASAP_PE_REJECTED:
		say("registration rejected: cause 0x%x", st->cause);
		break;
	case ASAP_PE_FAILED:
		if ((tls_why = asap_tls_error(the_ctx)) != NULL)
			say("registration failing: %s (TLS handshake failed: "
			    "%s); still trying", strerror(-st->error), tls_why);
		else
			say("registration failing: %s; still trying",
			    strerror(-st->error));
		break;
	case ASAP_PE_HOME_CHANGED:
		say("home registrar is now %08x at %s", st->home_id,
		    st->home_addr);
		break;
	case ASAP_PE_DEREGISTERED:
		say("deregistered%s%s", st->error ? ": " : "",
		    st->error ? strerror(-st->error) : "");
		break;
	}
}

static int
listen_on(const char *spec, bool sctp, struct sockaddr_storage *ret)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, r;

	if ((r = asap_sockaddr_parse(spec, 0, &ss)) < 0 &&
	    (r = asap_sockaddr_parse(spec, 1, &ss)) < 0)
		return r;
	if (strrchr(spec, ':') == NULL || spec[strlen(spec) - 1] == ']') {
		/* No port given: let the kernel choose. */
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    sctp ? IPPROTO_SCTP : 0);
	if (fd == -1)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sl = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 || listen(fd, 64) == -1) {
		r = -errno;
		close(fd);
		return r;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*ret = ss;
	return fd;
}

static uint16_t
sa_port(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ?
	    ntohs(((const struct sockaddr_in6 *)ss)->sin6_port) :
	    ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void
accept_clients(struct asap_ctx *ctx, int lfd)
{
	struct client *cl;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		if ((cl = calloc(1, sizeof(*cl))) == NULL) {
			close(fd);
			continue;
		}
		cl->no = ++nclients;
		cl->s = asap_pe_session_new(ctx, fd, false, &client_cb, cl);
		if (cl->s == NULL) {
			close(fd);
			free(cl);
			continue;
		}
		say("client %u: connected", cl->no);
		/* RFC 5352 §3.11: a PE always sends its business card. */
		(void)asap_pe_session_send_business_card(cl->s, pe);
	}
}

int
main(int argc, char **argv)
{
	const char *regs = NULL, *pool = NULL, *listen_spec = "0.0.0.0";
	uint32_t policy = ASAP_POLICY_ROUND_ROBIN, weight = 1, load = 0;
	uint32_t interval = 30000;
	struct asap_tls_config tls = { 0 };
	struct asap_pe_config cfg;
	struct sockaddr_storage la;
	struct asap_ctx *ctx;
	struct pollfd pfd[3];
	sigset_t mask;
	char buf[80];
	bool sctp = false;
	int c, lfd, sfd, t, r, unicast = ASAP_UNICAST_AUTO;

	while ((c = getopt_long(argc, argv, "r:p:P:w:l:L:T:i:c:dhU:",
	    tls_cli_longopts, NULL)) != -1) {
		switch (c) {
		case 'r': regs = optarg; break;
		case 'p': pool = optarg; break;
		case 'P':
			if ((policy = asap_policy_parse(optarg)) == 0)
				usage();
			break;
		case 'w': weight = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'l': load = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'L': listen_spec = optarg; break;
		case 'T':
			if (strcmp(optarg, "sctp") == 0)
				sctp = true;
			else if (strcmp(optarg, "tcp") != 0)
				usage();
			break;
		case 'i': interval = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'c': secret = optarg; break;
		case 'd': debug = true; break;
		case 'U':	/* where the association lives (libasap 0.5) */
			if (!cli_unicast_opt(optarg, &unicast))
				usage();
			break;
		default:
			if (!tls_cli_opt(&tls, c, optarg))
				usage();
		}
	}
	if (regs == NULL || pool == NULL || argc != optind ||
	    strlen(pool) > ASAP_POOL_HANDLE_MAX || interval == 0)
		usage();
	if (tls_cli_check(&tls, "asap-pe") != 0)
		return 2;
	setvbuf(stderr, NULL, _IOLBF, 0);

	if ((lfd = listen_on(listen_spec, sctp, &la)) < 0) {
		fprintf(stderr, "asap-pe: cannot listen on %s %s: %s\n",
		    sctp ? "sctp" : "tcp", listen_spec, strerror(-lfd));
		return 1;
	}
	if ((ctx = tls_cli_asap_ctx(&tls, regs, NULL, "asap-pe")) == NULL)
		return 1;
	the_ctx = ctx;
	if (debug)
		asap_set_debug_log(ctx, debug_line, NULL);
	(void)asap_set_unicast(ctx, unicast);

	memset(&cfg, 0, sizeof(cfg));
	cfg.handle = pool;
	cfg.handle_len = strlen(pool);
	cfg.policy.type = policy;
	switch (policy) {
	case ASAP_POLICY_WEIGHTED_ROUND_ROBIN:
	case ASAP_POLICY_WEIGHTED_RANDOM:
	case ASAP_POLICY_PRIORITY:
		cfg.policy.value[0] = weight;
		break;
	case ASAP_POLICY_LEAST_USED:
	case ASAP_POLICY_LEAST_USED_DEGRADATION:
	case ASAP_POLICY_PRIORITY_LEAST_USED:
	case ASAP_POLICY_RANDOMIZED_LEAST_USED:
		cfg.policy.value[0] = load;
		break;
	}
	cfg.transport = sctp ? ASAP_TRANSPORT_SCTP : ASAP_TRANSPORT_TCP;
	cfg.port = sa_port(&la);
	cfg.naddr = 1;	/* a wildcard means the association's address */
	cfg.addr[0] = la;
	cfg.reregistration_ms = interval;
	cfg.cb = pe_status;
	if ((pe = asap_pe_register(ctx, &cfg)) == NULL) {
		fprintf(stderr, "asap-pe: cannot register: %s\n",
		    strerror(errno));
		return 1;
	}
	say("echo service on %s %s, pool \"%s\", PE %08x, policy %s",
	    sctp ? "sctp" : "tcp", asap_sockaddr_str(&la, buf, sizeof(buf)),
	    pool, asap_pe_id(pe),
	    asap_policy_str(policy));

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) == -1) {
		perror("asap-pe: signalfd");
		return 1;
	}
	pfd[0].fd = asap_fd(ctx);
	pfd[1].fd = lfd;
	pfd[2].fd = sfd;
	for (;;) {
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		t = asap_next_timeout_ms(ctx);
		r = poll(pfd, 3, t);
		if (r == -1 && errno != EINTR) {
			perror("asap-pe: poll");
			break;
		}
		if (pfd[2].revents & POLLIN)
			break;
		if (pfd[1].revents & POLLIN)
			accept_clients(ctx, lfd);
		if ((r = asap_process(ctx)) < 0) {
			fprintf(stderr, "asap-pe: %s\n", strerror(-r));
			break;
		}
	}
	say("shutting down: deregistering PE %08x", asap_pe_id(pe));
	if ((r = asap_pe_deregister_blocking(pe, 3000)) < 0)
		say("deregistration: %s", strerror(-r));
	asap_pe_free(pe);
	asap_ctx_free(ctx);
	close(lfd);
	close(sfd);
	return 0;
}
