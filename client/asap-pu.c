/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * asap-pu: a demo pool user built on libasap's blocking API.  "resolve"
 * asks the registrar for a pool's PEs and prints them (text or JSON);
 * "echo" talks to an echo pool (asap-pe) through a session with automatic
 * failover, printing each reply with the PE that answered, and every
 * failover with how long it took.  "loop" resolves every few ms for a
 * while with a resolution deadline (asap_pu_set_deadline()), printing
 * each failure and each change of the answering registrar, and at the end
 * one JSON line with the failures and the latency percentiles: what a
 * failover lab measures.
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
#include "tls_cli.h"

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

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: asap-pu -r REGISTRARS -p POOL [-d] [-U auto|always|never] "
	    "[TLS]\n"
	    "               resolve [-n N] "
	    "[--json]\n"
	    "       asap-pu -r REGISTRARS -p POOL [-d] [TLS] echo [-c count] "
	    "[-i interval-ms] [-t reply-timeout-ms]\n"
	    "       asap-pu -r REGISTRARS -p POOL [-d] [TLS] loop "
	    "[-i interval-ms]\n"
	    "               [-c count | -D duration-ms] [-T deadline-ms]\n"
	    "               [--try-min ms] [--try-max ms] [--cache] "
	    "[--trace FILE]\n"
	    "       asap-pu -r REGISTRARS -p POOL [-d] [TLS] report PE-ID...\n"
	    "registrars: [tcp:|sctp:]host[:port], comma separated\n"
	    "TLS: " TLS_CLI_USAGE_AUTH "\n"
	    "     " TLS_CLI_USAGE_MORE "\n");
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

/*
 * report: what a pool user does when it cannot reach PEs it was given.
 * Resolve the pool at the registrar this context reaches (behind an
 * anycast address often not the PEs' home), report each PE (hex
 * identifier) with ASAP_ENDPOINT_UNREACHABLE (asap_pu_report_unreachable()),
 * then resolve again over the same association, so after the registrar
 * handled the reports, and print that answer and who gave it: what the
 * registrar hands out once it heard them (registrard(8), "Unreachable
 * reports").  0, 1 on a failed resolution, 2 on a bad identifier.
 */
static int
cmd_report(struct asap_ctx *ctx, const char *pool, char **ids, int nids)
{
	struct asap_registrar_id who;
	struct asap_pe_info *pes;
	size_t n = 0, i;
	uint32_t policy = 0, id[16];
	unsigned long v;
	char *ep;
	int k, pass, r;

	if (nids < 1 || nids > 16)
		return 2;
	for (k = 0; k < nids; k++) {
		errno = 0;
		v = strtoul(ids[k], &ep, 16);
		if (*ids[k] == '\0' || *ep != '\0' || errno != 0 ||
		    v == 0 || v > UINT32_MAX) {
			fprintf(stderr, "asap-pu: report: %s is not a PE "
			    "identifier (hex)\n", ids[k]);
			return 2;
		}
		id[k] = (uint32_t)v;
	}
	if ((pes = calloc(MAX_PES, sizeof(*pes))) == NULL)
		return 1;
	for (pass = 0; pass < 2; pass++) {
		/* With the identity asked for, the cache never answers. */
		r = asap_pu_resolve_blocking_ex(ctx, pool, strlen(pool),
		    ASAP_RESOLVE_REGISTRAR_ID, pes, MAX_PES, &n, &policy, &who,
		    15000);
		if (r < 0 && (pass == 0 || r != -ENOENT)) {
			fprintf(stderr, "asap-pu: resolving \"%s\": %s\n",
			    pool, r == -ENOENT ? "unknown pool handle" :
			    strerror(-r));
			free(pes);
			return 1;
		}
		if (r < 0)
			n = 0;
		if (pass == 1)
			break;
		for (k = 0; k < nids; k++) {
			r = asap_pu_report_unreachable(ctx, pool, strlen(pool),
			    id[k]);
			printf("reported PE %08x unreachable to %s (%08x)%s%s\n",
			    id[k], who.valid ? who.node : "?", who.server_id,
			    r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
		}
	}
	if (n > MAX_PES)
		n = MAX_PES;
	printf("pool \"%s\" at %s (%08x) after the report: %zu PE%s\n", pool,
	    who.valid ? who.node : "?", who.server_id, n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		print_pe_text(&pes[i]);
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

/* loop: resolve every interval with a deadline ----------------------------- */

struct loop_opts {
	unsigned int	 interval_ms;
	unsigned long	 count;		/* 0: for duration_ms */
	unsigned long	 duration_ms;
	struct asap_deadline dl;
	bool		 cache;		/* let fresh cache entries answer */
	const char	*trace;		/* one line per resolution, or NULL */
};

#define LOOP_NODES	16

struct loop_state {
	FILE		*trace;
	uint64_t	 start_us;
	unsigned long	 sent, done, failed, stale;
	uint64_t	*lat_us;	/* of every answered or failed one */
	size_t		 nlat, caplat;
	char		 last[ASAP_NODE_NAME_MAX + 1];
	unsigned long	 switches;
	struct {
		char		 node[ASAP_NODE_NAME_MAX + 1];
		unsigned long	 n;
	}		 by[LOOP_NODES];
	size_t		 nby;
};

struct loop_req {
	struct loop_state *ls;
	uint64_t	 t0_us;
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static double
ms_since(const struct loop_state *ls, uint64_t us)
{
	return (double)(us - ls->start_us) / 1000.0;
}

static void
loop_count_node(struct loop_state *ls, const char *node)
{
	size_t i;

	for (i = 0; i < ls->nby; i++)
		if (strcmp(ls->by[i].node, node) == 0)
			break;
	if (i == ls->nby) {
		if (ls->nby == LOOP_NODES)
			return;
		snprintf(ls->by[i].node, sizeof(ls->by[i].node), "%s", node);
		ls->nby++;
	}
	ls->by[i].n++;
}

static void
loop_resolved(struct asap_ctx *ctx, const struct asap_resolution *res,
    void *arg)
{
	struct loop_req *q = arg;
	struct loop_state *ls = q->ls;
	uint64_t t = now_us(), lat = t - q->t0_us, *n;
	const char *node;

	(void)ctx;
	ls->done++;
	if (ls->nlat == ls->caplat) {
		ls->caplat = ls->caplat ? ls->caplat * 2 : 1024;
		if ((n = realloc(ls->lat_us, ls->caplat * sizeof(*n))) == NULL) {
			ls->caplat = ls->nlat;
			goto count;
		}
		ls->lat_us = n;
	}
	ls->lat_us[ls->nlat++] = lat;
count:
	if (ls->trace != NULL)
		fprintf(ls->trace, "%.3f %.3f %s %s\n", ms_since(ls, q->t0_us),
		    (double)lat / 1000.0, res->error != 0 || res->npe == 0 ?
		    "failed" : res->stale ? "stale" : "ok",
		    res->error != 0 || res->npe == 0 || res->stale ||
		    res->registrar == NULL || !res->registrar->valid ? "-" :
		    res->registrar->node);
	if (res->error != 0 || res->npe == 0) {
		ls->failed++;
		printf("t=%.1f ms: resolution failed after %.1f ms: %s\n",
		    ms_since(ls, t), (double)lat / 1000.0,
		    res->error == -ENOENT ? "unknown pool handle" :
		    strerror(res->error ? -res->error : ENOENT));
	} else if (res->stale) {
		/* No registrar answered in time: the cache did. */
		ls->stale++;
		printf("t=%.1f ms: no answer after %.1f ms, stale cache "
		    "entry used\n", ms_since(ls, t), (double)lat / 1000.0);
	} else {
		node = res->registrar != NULL && res->registrar->valid ?
		    res->registrar->node : "?";
		loop_count_node(ls, node);
		if (strcmp(node, ls->last) != 0) {
			if (ls->last[0] != '\0') {
				ls->switches++;
				printf("t=%.1f ms: answered by %s (was %s), "
				    "%.1f ms\n", ms_since(ls, t), node,
				    ls->last, (double)lat / 1000.0);
			} else {
				printf("t=%.1f ms: answered by %s\n",
				    ms_since(ls, t), node);
			}
			snprintf(ls->last, sizeof(ls->last), "%s", node);
		}
	}
	fflush(stdout);
	free(q);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile (ms) of the sorted latencies. */
static double
pct_ms(const struct loop_state *ls, unsigned int pct)
{
	size_t rank;

	if (ls->nlat == 0)
		return 0;
	rank = (ls->nlat * pct + 99) / 100;
	return (double)ls->lat_us[rank > 0 ? rank - 1 : 0] / 1000.0;
}

/* A node name in a JSON string (printable UTF-8 from the codec). */
static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s >= 0x20)
			putchar(*s);
	}
	putchar('"');
}

static int
cmd_loop(struct asap_ctx *ctx, const char *pool, const struct loop_opts *lo)
{
	struct loop_state ls;
	struct loop_req *q;
	uint64_t next, t, end, drain_end = 0;
	unsigned int flags = lo->cache ? 0 : ASAP_RESOLVE_REGISTRAR_ID;
	unsigned long answered;
	bool draining = false;
	size_t i;
	int r, wait;

	if ((r = asap_pu_set_deadline(ctx, &lo->dl)) < 0) {
		fprintf(stderr, "asap-pu: deadline: %s\n", strerror(-r));
		return 2;
	}
	memset(&ls, 0, sizeof(ls));
	if (lo->trace != NULL && (ls.trace = fopen(lo->trace, "w")) == NULL) {
		fprintf(stderr, "asap-pu: %s: %s\n", lo->trace,
		    strerror(errno));
		return 2;
	}
	ls.start_us = next = now_us();
	end = ls.start_us + (uint64_t)lo->duration_ms * 1000;
	for (;;) {
		t = now_us();
		if (!draining && (stop || (lo->count > 0 ?
		    ls.sent >= lo->count : t >= end))) {
			/* Every answer is due within the deadline (or T1s). */
			draining = true;
			drain_end = t + 1000 * ((uint64_t)(lo->dl.deadline_ms ?
			    lo->dl.deadline_ms : 15000) + 1000);
		}
		if (draining && (ls.done == ls.sent || t >= drain_end))
			break;
		if (!draining && t >= next) {
			if ((q = calloc(1, sizeof(*q))) == NULL)
				break;
			q->ls = &ls;
			q->t0_us = t;
			if ((r = asap_pu_resolve_ex(ctx, pool, strlen(pool),
			    flags, loop_resolved, q)) < 0) {
				fprintf(stderr, "asap-pu: resolve: %s\n",
				    strerror(-r));
				free(q);
				break;
			}
			ls.sent++;
			next += (uint64_t)lo->interval_ms * 1000;
			if (next < t)
				next = t;	/* fell behind: no burst */
			continue;
		}
		wait = draining ? 10 : (int)((next - t + 999) / 1000);
		r = asap_run_once(ctx, wait > 10 ? 10 : wait);
		if (r < 0 && r != -EINTR) {
			fprintf(stderr, "asap-pu: %s\n", strerror(-r));
			break;
		}
	}
	qsort(ls.lat_us, ls.nlat, sizeof(*ls.lat_us), cmp_u64);
	answered = ls.done - ls.failed - ls.stale;
	/* Unanswered at the end (only if the drain ran out) count too. */
	ls.failed += ls.sent - ls.done;
	printf("{\"mode\": \"loop\", \"pool\": ");
	json_str(pool);
	printf(", \"interval_ms\": %u, \"deadline_ms\": %u, \"sent\": %lu, "
	    "\"answered\": %lu, \"failed\": %lu, \"stale\": %lu, "
	    "\"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, "
	    "\"max_ms\": %.3f, \"switches\": %lu, \"registrars\": {",
	    lo->interval_ms, lo->dl.deadline_ms, ls.sent,
	    answered, ls.failed,
	    ls.stale, pct_ms(&ls, 50), pct_ms(&ls, 90), pct_ms(&ls, 99),
	    pct_ms(&ls, 100), ls.switches);
	for (i = 0; i < ls.nby; i++) {
		printf("%s", i ? ", " : "");
		json_str(ls.by[i].node);
		printf(": %lu", ls.by[i].n);
	}
	printf("}}\n");
	if (ls.trace != NULL)
		fclose(ls.trace);
	free(ls.lat_us);
	return ls.failed == 0 && ls.stale == 0 ? 0 : 1;
}

/* loop's options; 0, or -1 for usage(). */
static int
loop_parse(int argc, char **argv, struct loop_opts *lo)
{
	static const struct option opts[] = {
		{ "try-min", required_argument, NULL, 'm' },
		{ "try-max", required_argument, NULL, 'M' },
		{ "cache", no_argument, NULL, 'C' },
		{ "trace", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	char *ep;
	unsigned long v;
	int c;

	memset(lo, 0, sizeof(*lo));
	lo->interval_ms = 20;
	lo->duration_ms = 10000;
	lo->dl.deadline_ms = 2000;
	while ((c = getopt_long(argc, argv, "i:c:D:T:", opts, NULL)) != -1) {
		if (c == 'C') {
			lo->cache = true;
			continue;
		}
		if (c == 't') {
			lo->trace = optarg;
			continue;
		}
		if (c == '?' || c == ':')
			return -1;
		errno = 0;
		v = strtoul(optarg, &ep, 10);
		if (*optarg == '\0' || *ep != '\0' || errno != 0 ||
		    v > UINT32_MAX)
			return -1;
		switch (c) {
		case 'i': lo->interval_ms = (unsigned int)v; break;
		case 'c': lo->count = v; break;
		case 'D': lo->duration_ms = v; break;
		case 'T': lo->dl.deadline_ms = (uint32_t)v; break;
		case 'm': lo->dl.try_min_ms = (uint32_t)v; break;
		case 'M': lo->dl.try_max_ms = (uint32_t)v; break;
		default: return -1;
		}
	}
	return lo->interval_ms > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const struct option resolve_opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct asap_tls_config tls = { 0 };
	const char *regs = NULL, *pool = NULL, *cmd;
	struct asap_config cfg;
	struct asap_ctx *ctx;
	unsigned long count = 10;
	unsigned int interval = 1000, reply_timeout = 2000;
	bool json = false;
	struct loop_opts lo;
	int c, ret, unicast = ASAP_UNICAST_AUTO;

	memset(&cfg, 0, sizeof(cfg));
	while ((c = getopt_long(argc, argv, "+r:p:dhU:", tls_cli_longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'r': regs = optarg; break;
		case 'p': pool = optarg; break;
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
	if (tls_cli_check(&tls, "asap-pu") != 0)
		return 2;
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
	} else if (strcmp(cmd, "loop") == 0) {
		if (loop_parse(argc, argv, &lo) < 0)
			usage();
	} else if (strcmp(cmd, "report") == 0) {
		if (argc < 2 || argc > 17)
			usage();
		optind = argc;	/* the PE identifiers */
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
	if ((ctx = tls_cli_asap_ctx(&tls, regs, &cfg, "asap-pu")) == NULL)
		return 1;
	if (debug)
		asap_set_debug_log(ctx, debug_line, NULL);
	(void)asap_set_unicast(ctx, unicast);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(cmd, "resolve") == 0)
		ret = cmd_resolve(ctx, pool, json);
	else if (strcmp(cmd, "loop") == 0)
		ret = cmd_loop(ctx, pool, &lo);
	else if (strcmp(cmd, "report") == 0)
		ret = cmd_report(ctx, pool, argv + 1, argc - 1);
	else
		ret = cmd_echo(ctx, pool, count, interval, reply_timeout);
	asap_ctx_free(ctx);
	return ret;
}
