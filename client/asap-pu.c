/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * asap-pu: a demo pool user built on libasap's blocking API.  "resolve"
 * asks the registrar for a pool's PEs and prints them (text or JSON);
 * "echo" talks to an echo pool (asap-pe) through a session with automatic
 * failover, printing each reply with the PE that answered, and every
 * failover with how long it took.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asap.h"

#define MAX_PES		256

static volatile sig_atomic_t stop;
static bool debug;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
debug_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "asap-pu: debug: %s\n", line);
}

enum {
	OPT_TLS_PSK = 256,
	OPT_TLS_IDENTITY,
	OPT_TLS_CA,
	OPT_TLS_NAME,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_TLS_KEYLOG,
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: asap-pu -r REGISTRARS -p POOL [-d] [TLS] resolve [-n N] "
	    "[--json]\n"
	    "       asap-pu -r REGISTRARS -p POOL [-d] [TLS] echo [-c count] "
	    "[-i interval-ms] [-t reply-timeout-ms]\n"
	    "registrars: [tcp:|sctp:]host[:port], comma separated\n"
	    "TLS: --tls-psk FILE [--tls-identity NAME] | --tls-ca FILE "
	    "--tls-name NAME\n"
	    "     [--tls-cert FILE --tls-key FILE] [--tls-keylog FILE]\n");
	exit(2);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
print_pe_text(const struct asap_pe_info *pe)
{
	char buf[80];
	unsigned int i;

	printf("PE %08x  %s", pe->id, pe->transport == ASAP_TRANSPORT_TCP ?
	    "tcp" : pe->transport == ASAP_TRANSPORT_SCTP ? "sctp" : "other");
	for (i = 0; i < pe->naddr; i++)
		printf(" %s", asap_sockaddr_str(&pe->addr[i], buf, sizeof(buf)));
	printf("  policy %s", asap_policy_str(pe->policy.type));
	for (i = 0; i < pe->policy.nvalue; i++)
		printf(" %u", pe->policy.value[i]);
	if (pe->home_id)
		printf("  home %08x", pe->home_id);
	printf("\n");
}

static void
print_pe_json(const struct asap_pe_info *pe, bool last)
{
	char buf[80];
	unsigned int i;

	printf("    {\"id\": \"%08x\", \"home\": \"%08x\", \"transport\": \"%s\", "
	    "\"use\": %u, \"addresses\": [", pe->id, pe->home_id,
	    pe->transport == ASAP_TRANSPORT_TCP ? "tcp" :
	    pe->transport == ASAP_TRANSPORT_SCTP ? "sctp" : "other", pe->use);
	for (i = 0; i < pe->naddr; i++)
		printf("%s\"%s\"", i ? ", " : "",
		    asap_sockaddr_str(&pe->addr[i], buf, sizeof(buf)));
	printf("], \"policy\": \"%s\", \"values\": [",
	    asap_policy_str(pe->policy.type));
	for (i = 0; i < pe->policy.nvalue; i++)
		printf("%s%u", i ? ", " : "", pe->policy.value[i]);
	printf("]}%s\n", last ? "" : ",");
}

static int
cmd_resolve(struct asap_ctx *ctx, const char *pool, bool json)
{
	struct asap_pe_info *pes;
	size_t n = 0, i;
	uint32_t policy = 0;
	int r;

	if ((pes = calloc(MAX_PES, sizeof(*pes))) == NULL)
		return 1;
	r = asap_pu_resolve_blocking(ctx, pool, strlen(pool), pes, MAX_PES, &n,
	    &policy, 15000);
	if (r < 0) {
		const char *tls = asap_tls_error(ctx);

		fprintf(stderr, "asap-pu: resolving \"%s\": %s%s%s\n", pool,
		    r == -ENOENT ? "unknown pool handle" : strerror(-r),
		    tls != NULL ? "; TLS handshake failed: " : "",
		    tls != NULL ? tls : "");
		free(pes);
		return 1;
	}
	if (n > MAX_PES)
		n = MAX_PES;
	if (json) {
		printf("{\n  \"pool\": \"%s\",\n  \"policy\": \"%s\",\n"
		    "  \"pes\": [\n", pool, asap_policy_str(policy));
		for (i = 0; i < n; i++)
			print_pe_json(&pes[i], i + 1 == n);
		printf("  ]\n}\n");
	} else {
		printf("pool \"%s\": policy %s, %zu PE%s\n", pool,
		    asap_policy_str(policy), n, n == 1 ? "" : "s");
		for (i = 0; i < n; i++)
			print_pe_text(&pes[i]);
	}
	free(pes);
	return 0;
}

struct echo_state {
	unsigned long	 replies;
	bool		 waiting;	/* for the echo of line */
	char		 line[64];
	uint64_t	 sent_at;
	uint32_t	 failovers;
};

static void
echo_data(struct asap_session *s, const void *p, size_t len, void *arg)
{
	struct echo_state *es = arg;

	/* After a failover the same message may come back twice. */
	if (!es->waiting || len != strlen(es->line) ||
	    memcmp(p, es->line, len) != 0) {
		printf("late or repeated reply from PE %08x ignored: %.*s\n",
		    asap_session_pe_id(s), (int)len, (const char *)p);
		fflush(stdout);
		return;
	}
	printf("reply from PE %08x (%llu ms): %.*s\n", asap_session_pe_id(s),
	    (unsigned long long)(now_ms() - es->sent_at), (int)len,
	    (const char *)p);
	fflush(stdout);
	es->replies++;
	es->waiting = false;
}

static void
echo_status(struct asap_session *s, const struct asap_session_status *st,
    void *arg)
{
	struct echo_state *es = arg;

	switch (st->event) {
	case ASAP_SESSION_CONNECTED:
		if (st->failover_ms || st->old_pe_id) {
			printf("failover: PE %08x -> PE %08x in %llu ms%s\n",
			    st->old_pe_id, st->pe_id,
			    (unsigned long long)st->failover_ms,
			    st->cookie_echoed ? " (cookie echoed)" : "");
			/*
			 * The message in flight may have died with the old
			 * PE: send it again to the new one (after the cookie
			 * echo, which the library sends first).
			 */
			if (es->waiting) {
				(void)asap_session_send(s, es->line,
				    strlen(es->line));
				es->sent_at = now_ms();
			}
		} else {
			printf("connected to PE %08x\n", st->pe_id);
		}
		break;
	case ASAP_SESSION_FAILOVER:
		es->failovers++;
		printf("PE %08x failed (%s), failing over\n", st->old_pe_id,
		    strerror(-st->error));
		break;
	case ASAP_SESSION_WAITING:
		printf("no PE available (%s), retrying\n", strerror(-st->error));
		break;
	case ASAP_SESSION_CLOSED:
		break;
	}
	fflush(stdout);
}

static void
echo_cookie(struct asap_session *s, const void *p, size_t len, void *arg)
{
	(void)s;
	(void)arg;
	if (debug)
		fprintf(stderr, "asap-pu: cookie %.*s\n", (int)len,
		    (const char *)p);
}

static int
cmd_echo(struct asap_ctx *ctx, const char *pool, unsigned long count,
    unsigned int interval, unsigned int reply_timeout)
{
	struct asap_session_callbacks cb = {
		.data = echo_data, .status = echo_status, .cookie = echo_cookie,
	};
	struct echo_state es;
	struct asap_session *s;
	unsigned long sent = 0;
	uint64_t next = now_ms(), t;
	int r;

	memset(&es, 0, sizeof(es));
	if ((s = asap_session_new(ctx, pool, strlen(pool), &cb, &es)) == NULL) {
		perror("asap-pu: session");
		return 1;
	}
	while (!stop && (count == 0 || es.replies < count)) {
		t = now_ms();
		if (!es.waiting && (count == 0 || sent < count) && t >= next) {
			snprintf(es.line, sizeof(es.line), "message %lu", ++sent);
			if ((r = asap_session_send(s, es.line,
			    strlen(es.line))) < 0)
				fprintf(stderr, "asap-pu: send: %s\n",
				    strerror(-r));
			es.waiting = true;
			es.sent_at = t;
			next = t + interval;
		}
		/*
		 * A PE that stops answering: GETNEXTSERVER.  The message goes
		 * again once the session is connected to it (echo_status).
		 */
		if (es.waiting && asap_session_is_connected(s) &&
		    t - es.sent_at > reply_timeout) {
			printf("no reply from PE %08x within %u ms\n",
			    asap_session_pe_id(s), reply_timeout);
			(void)asap_session_failover(s);
			es.sent_at = t;
		}
		r = asap_run_once(ctx, 20);
		if (r < 0 && r != -EINTR) {
			fprintf(stderr, "asap-pu: %s\n", strerror(-r));
			break;
		}
	}
	printf("%lu replies, %u failovers\n", es.replies, es.failovers);
	asap_session_close(s);
	return es.replies == count || count == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option resolve_opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option main_opts[] = {
		{ "tls-psk", required_argument, NULL, OPT_TLS_PSK },
		{ "tls-identity", required_argument, NULL, OPT_TLS_IDENTITY },
		{ "tls-ca", required_argument, NULL, OPT_TLS_CA },
		{ "tls-name", required_argument, NULL, OPT_TLS_NAME },
		{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
		{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
		{ "tls-keylog", required_argument, NULL, OPT_TLS_KEYLOG },
		{ NULL, 0, NULL, 0 },
	};
	struct asap_tls_config tls;
	bool use_tls = false;
	char err[256];
	const char *regs = NULL, *pool = NULL, *cmd;
	struct asap_config cfg;
	struct asap_ctx *ctx;
	unsigned long count = 10;
	unsigned int interval = 1000, reply_timeout = 2000;
	bool json = false;
	int c, ret;

	memset(&cfg, 0, sizeof(cfg));
	memset(&tls, 0, sizeof(tls));
	while ((c = getopt_long(argc, argv, "+r:p:dh", main_opts, NULL)) !=
	    -1) {
		switch (c) {
		case 'r': regs = optarg; break;
		case 'p': pool = optarg; break;
		case 'd': debug = true; break;
		case OPT_TLS_PSK: tls.psk_file = optarg; use_tls = true; break;
		case OPT_TLS_IDENTITY: tls.psk_identity = optarg; break;
		case OPT_TLS_CA: tls.ca_file = optarg; use_tls = true; break;
		case OPT_TLS_NAME: tls.server_name = optarg; break;
		case OPT_TLS_CERT: tls.cert_file = optarg; break;
		case OPT_TLS_KEY: tls.key_file = optarg; break;
		case OPT_TLS_KEYLOG: tls.keylog_file = optarg; break;
		default: usage();
		}
	}
	if (!use_tls && (tls.psk_identity != NULL || tls.server_name != NULL ||
	    tls.cert_file != NULL || tls.key_file != NULL)) {
		fprintf(stderr, "asap-pu: TLS options need --tls-psk or "
		    "--tls-ca\n");
		return 2;
	}
	if (regs == NULL || pool == NULL || optind >= argc ||
	    strlen(pool) > ASAP_POOL_HANDLE_MAX)
		usage();
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 1;
	if (strcmp(cmd, "resolve") == 0) {
		while ((c = getopt_long(argc, argv, "n:", resolve_opts,
		    NULL)) != -1) {
			if (c == 'n') {
				cfg.resolve_items = strcmp(optarg, "all") == 0 ?
				    UINT32_MAX : (uint32_t)strtoul(optarg, NULL, 0);
			} else if (c == 'j') {
				json = true;
			} else {
				usage();
			}
		}
	} else if (strcmp(cmd, "echo") == 0) {
		while ((c = getopt(argc, argv, "c:i:t:")) != -1) {
			switch (c) {
			case 'c': count = strtoul(optarg, NULL, 0); break;
			case 'i': interval = (unsigned)strtoul(optarg, NULL, 0); break;
			case 't': reply_timeout = (unsigned)strtoul(optarg, NULL, 0); break;
			default: usage();
			}
		}
	} else {
		usage();
	}
	if (optind != argc)
		usage();
	if ((ctx = asap_ctx_new_tls(regs, &cfg, use_tls ? &tls : NULL, err,
	    sizeof(err))) == NULL) {
		if (use_tls)
			fprintf(stderr, "asap-pu: %s\n", err);
		else
			fprintf(stderr, "asap-pu: bad registrar list %s: %s\n",
			    regs, strerror(errno));
		return 1;
	}
	if (debug)
		asap_set_debug_log(ctx, debug_line, NULL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(cmd, "resolve") == 0)
		ret = cmd_resolve(ctx, pool, json);
	else
		ret = cmd_echo(ctx, pool, count, interval, reply_timeout);
	asap_ctx_free(ctx);
	return ret;
}
