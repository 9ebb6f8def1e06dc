/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * anyprobe: an anycast probe for a registrar cluster.  From one vantage
 * point it resolves a pool handle over ASAP (RFC 5352 §3.3, TCP mapping) at
 * the anycast address, every probe on a new TCP connection so it follows
 * route changes, and asks with the Registrar Identity parameter (0x8a01,
 * doc/spec/registrar-identity.md) which registrar answered.  Each probe is
 * one JSON line (start time, RTT from connect() to the answer, who
 * answered, how many PEs, or why it failed); -m serves the same as
 * Prometheus metrics through lib/metrics_http.c.  "anyprobe matrix" reads
 * the JSON lines of several vantage points and prints the catchment:
 * which registrar answered whom, how often.
 *
 * The probe speaks ASAP itself (lib/asap_probe.c, healthd's probe too)
 * rather than through libasap: libasap keeps one association, hunts,
 * retransmits and caches, which is what a pool user wants and exactly what
 * a probe must not do; a probe also reports the socket's own error and a
 * microsecond RTT.  With --tls-psk or --tls-ca every probe speaks TLS
 * (a full handshake each time, as a new client would) to port 3864 by
 * default; a failed handshake is a failed probe of reason "tls".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "addr.h"
#include "asap_probe.h"
#include "codec.h"
#include "event.h"
#include "log.h"
#include "metrics_http.h"
#include "tls.h"
#include "tls_cli.h"

#define DEFAULT_INTERVAL_MS	1000
#define DEFAULT_TIMEOUT_MS	500
#define MAX_IDENTITIES		1024	/* distinct registrars in metrics */
#define JSON_FLAGS		(JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12))

static const double rtt_buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};
#define NBUCKETS	(sizeof(rtt_buckets) / sizeof(rtt_buckets[0]))

struct identity {
	uint32_t	 server_id;
	char		 node[RSP_REGID_NODE_MAX + 1];
	uint64_t	 answered;
};

struct prober {
	struct ev_loop		*loop;
	/* configuration */
	struct sockaddr_storage	 target;
	socklen_t		 target_len;
	char			 target_str[INET6_ADDRSTRLEN + 10];
	char			 pool[RSP_POOL_HANDLE_MAX_DEFAULT + 1];
	char			 vantage[256];
	uint32_t		 interval_ms, timeout_ms;
	uint64_t		 count;		/* 0: until a signal */
	FILE			*out;
	bool			 out_owned;
	struct tls_ctx		*tls;		/* NULL: plaintext */
	struct metrics_http	*mhttp;

	/* the probe in flight */
	bool			 busy;
	struct asap_probe	*probe;
	int64_t			 ts_ms;		/* wall clock at the start */

	/* schedule */
	struct ev_ref		 tick, sigterm, sigint;
	uint64_t		 next_due;	/* loop ms */
	bool			 due_waiting;	/* a tick came while busy */
	uint64_t		 started, done;

	/* metrics */
	uint64_t		 failures[ASAP_PROBE_C_MAX];	/* by class */
	uint64_t		 delayed;
	uint64_t		 rtt_count, rtt_bucket[NBUCKETS];
	double			 rtt_sum;
	double			 last_success;	/* epoch seconds, 0: never */
	uint64_t		 resolution_errors;
	struct identity		*ids;
	size_t			 nids;
	ssize_t			 last_id;	/* index into ids, -1: none */
	struct log_ratelimit	 rl_out;
};

static const char *const usage_text =
    "usage: anyprobe [-v] -r ADDRESS[:PORT] -p POOL [-n VANTAGE] "
    "[-i INTERVAL_MS]\n"
    "                [-t TIMEOUT_MS] [-c COUNT] [-o FILE] [-m ADDRESS:PORT]\n"
    "                [" TLS_CLI_USAGE_AUTH "]\n"
    "                " TLS_CLI_USAGE_MORE "\n"
    "       anyprobe matrix [--json] FILE...\n";

static noreturn void
usage(void)
{
	fputs(usage_text, stderr);
	exit(2);
}

/* Helpers ----------------------------------------------------------------- */

/*
 * "a.b.c.d[:port]", "[v6]:port", or a bare IPv6 address; numeric only.
 * 0, or -1.
 */
static int
parse_hostport(const char *s, uint16_t defport, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *colon, *end;
	unsigned long p = defport;
	char *ep;
	size_t hl;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return -1;
		hl = (size_t)(end - s - 1);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return -1;
		s++;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		hl = (size_t)(colon - s);
		port = colon + 1;
	} else {
		hl = strlen(s);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (port != NULL) {
		errno = 0;
		p = strtoul(port, &ep, 10);
		if (*port == '\0' || *ep != '\0' || errno != 0 || p == 0 ||
		    p > 65535)
			return -1;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		*sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		*sslen = sizeof(*sin6);
	} else {
		return -1;
	}
	return 0;
}

static int
parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret)
{
	unsigned long long v;
	char *ep;

	errno = 0;
	v = strtoull(s, &ep, 10);
	if (*s == '\0' || *s == '-' || *ep != '\0' || errno != 0 || v < min ||
	    v > max)
		return -1;
	*ret = (uint32_t)v;
	return 0;
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Prometheus label value: backslash, double quote and newline escaped. */
static void
label(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* Metrics ----------------------------------------------------------------- */

static void
vt_labels(FILE *f, const struct prober *p)
{
	fputs("vantage=\"", f);
	label(f, p->vantage);
	fputs("\",target=\"", f);
	label(f, p->target_str);
	fputc('"', f);
}

static void
id_labels(FILE *f, const struct prober *p, const struct identity *id)
{
	fputs("vantage=\"", f);
	label(f, p->vantage);
	fputs("\",node=\"", f);
	label(f, id->node);
	fprintf(f, "\",server_id=\"0x%08x\"", id->server_id);
}

/* A counter labelled with vantage and target only, HELP and TYPE first. */
static void
vt_counter(FILE *f, const struct prober *p, const char *name,
    const char *help, uint64_t v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s{", name, help, name,
	    name);
	vt_labels(f, p);
	fprintf(f, "} %" PRIu64 "\n", v);
}

static int
render(void *arg, char **ret_buf, size_t *ret_len)
{
	struct prober *p = arg;
	char *buf = NULL;
	size_t len = 0, i;
	uint64_t cum = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return -errno;
	vt_counter(f, p, "anypool_probe_total",
	    "Probes finished (answered or failed).", p->done);
	fputs("# HELP anypool_probe_failures_total Probes no registrar "
	    "answered, by reason.\n# TYPE anypool_probe_failures_total "
	    "counter\n", f);
	for (i = 0; i < ASAP_PROBE_C_MAX; i++) {
		fputs("anypool_probe_failures_total{", f);
		vt_labels(f, p);
		fprintf(f, ",reason=\"%s\"} %" PRIu64 "\n", asap_probe_class_name[i],
		    p->failures[i]);
	}
	vt_counter(f, p, "anypool_probe_delayed_total", "Probes that started "
	    "late because the previous one was still running.", p->delayed);
	vt_counter(f, p, "anypool_probe_resolution_errors_total", "Answers "
	    "that carried an error cause (e.g. unknown pool handle).",
	    p->resolution_errors);
	fputs("# HELP anypool_probe_rtt_seconds Time from connect() to the "
	    "answer, answered probes.\n# TYPE anypool_probe_rtt_seconds "
	    "histogram\n", f);
	for (i = 0; i < NBUCKETS; i++) {
		cum += p->rtt_bucket[i];
		fputs("anypool_probe_rtt_seconds_bucket{", f);
		vt_labels(f, p);
		fprintf(f, ",le=\"%g\"} %" PRIu64 "\n", rtt_buckets[i], cum);
	}
	fputs("anypool_probe_rtt_seconds_bucket{", f);
	vt_labels(f, p);
	fprintf(f, ",le=\"+Inf\"} %" PRIu64 "\n", p->rtt_count);
	fputs("anypool_probe_rtt_seconds_sum{", f);
	vt_labels(f, p);
	fprintf(f, "} %.6f\n", p->rtt_sum);
	fputs("anypool_probe_rtt_seconds_count{", f);
	vt_labels(f, p);
	fprintf(f, "} %" PRIu64 "\n", p->rtt_count);
	fputs("# HELP anypool_probe_answered_total Answered probes, by the "
	    "registrar that answered.\n# TYPE anypool_probe_answered_total "
	    "counter\n", f);
	for (i = 0; i < p->nids; i++) {
		fputs("anypool_probe_answered_total{", f);
		id_labels(f, p, &p->ids[i]);
		fprintf(f, "} %" PRIu64 "\n", p->ids[i].answered);
	}
	fputs("# HELP anypool_probe_last_answer_info The registrar that "
	    "answered the last answered probe (always 1).\n"
	    "# TYPE anypool_probe_last_answer_info gauge\n", f);
	if (p->last_id >= 0) {
		fputs("anypool_probe_last_answer_info{", f);
		id_labels(f, p, &p->ids[p->last_id]);
		fputs("} 1\n", f);
	}
	fputs("# HELP anypool_probe_last_success_timestamp_seconds Start of "
	    "the last answered probe (Unix time; 0: none yet).\n"
	    "# TYPE anypool_probe_last_success_timestamp_seconds gauge\n"
	    "anypool_probe_last_success_timestamp_seconds{", f);
	vt_labels(f, p);
	fprintf(f, "} %.3f\n", p->last_success);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/* The registrar that answered, counted; -1 if the table is full. */
static ssize_t
identity_count(struct prober *p, uint32_t server_id, const char *node)
{
	struct identity *n;
	size_t i;

	for (i = 0; i < p->nids; i++)
		if (p->ids[i].server_id == server_id &&
		    strcmp(p->ids[i].node, node) == 0)
			break;
	if (i == p->nids) {
		if (p->nids == MAX_IDENTITIES)
			return -1;
		if ((n = realloc(p->ids, (p->nids + 1) * sizeof(*n))) == NULL)
			fatal("%s", __func__);
		p->ids = n;
		memset(&n[i], 0, sizeof(n[i]));
		n[i].server_id = server_id;
		snprintf(n[i].node, sizeof(n[i].node), "%s", node);
		p->nids++;
	}
	p->ids[i].answered++;
	return (ssize_t)i;
}

/* Probing ----------------------------------------------------------------- */

static void schedule_next(struct prober *p);
static void probe_start(struct prober *p);

static void
emit(struct prober *p, const struct asap_probe_result *o)
{
	json_t *j = json_object();
	char *line;

	json_object_set_new(j, "ts_ms", json_integer(p->ts_ms));
	json_object_set_new(j, "vantage", json_string(p->vantage));
	json_object_set_new(j, "target", json_string(p->target_str));
	json_object_set_new(j, "pool", json_string(p->pool));
	json_object_set_new(j, "ok", json_boolean(o->ok));
	json_object_set_new(j, "rtt_ms", o->ok ? json_real(o->rtt_ms) :
	    json_null());
	json_object_set_new(j, "server_id", o->has_id ?
	    json_integer(o->server_id) : json_null());
	json_object_set_new(j, "node", o->has_id ? json_string(o->node) :
	    json_null());
	json_object_set_new(j, "pes", o->ok ? json_integer((json_int_t)o->pes) :
	    json_null());
	json_object_set_new(j, "error", o->error[0] != '\0' ?
	    json_string(o->error) : json_null());
	line = json_dumps(j, JSON_FLAGS);
	json_decref(j);
	if (line == NULL)
		fatalx("out of memory");
	if (fprintf(p->out, "%s\n", line) < 0 || fflush(p->out) != 0)
		log_rl_warnx(&p->rl_out, ev_now(p->loop), "writing a probe "
		    "result: %s", strerror(errno));
	free(line);
}

static void
probe_finish(struct prober *p, const struct asap_probe_result *o)
{
	ssize_t k;

	p->busy = false;
	p->done++;
	if (o->ok) {
		double s = o->rtt_ms / 1000.0;
		size_t i;

		p->rtt_count++;
		p->rtt_sum += s;
		for (i = 0; i < NBUCKETS; i++)
			if (s <= rtt_buckets[i]) {
				p->rtt_bucket[i]++;
				break;
			}
		p->last_success = (double)p->ts_ms / 1000.0;
		if (o->error[0] != '\0')
			p->resolution_errors++;
	} else {
		p->failures[o->cls]++;
	}
	if (o->has_id && (k = identity_count(p, o->server_id, o->node)) >= 0)
		p->last_id = k;
	if (o->ok)
		log_debug("probe %" PRIu64 ": %.3f ms, %s", p->done, o->rtt_ms,
		    o->has_id ? o->node : "(no identity)");
	else
		log_debug("probe %" PRIu64 ": %s", p->done, o->error);
	emit(p, o);
	if (p->count != 0 && p->done >= p->count) {
		ev_break(p->loop);
		return;
	}
	if (p->due_waiting) {
		p->due_waiting = false;
		probe_start(p);
	}
}

/* The module's outcome; a failed probe names no registrar. */
static void
probe_done(void *arg, const struct asap_probe_result *r)
{
	struct prober *p = arg;
	struct asap_probe_result o = *r;

	p->probe = NULL;
	if (!o.ok)
		o.has_id = false;
	probe_finish(p, &o);
}

static void
probe_start(struct prober *p)
{
	struct asap_probe_opts o = {
		.sa = (struct sockaddr *)&p->target,
		.salen = p->target_len,
		.pool = p->pool,
		.timeout_ms = p->timeout_ms,
		.ask_identity = true,
		.tls = p->tls,
	};
	struct asap_probe_result r;
	int rc;

	p->busy = true;
	p->started++;
	p->ts_ms = wall_ms();
	if ((rc = asap_probe_start(p->loop, &o, probe_done, p,
	    &p->probe)) != 0) {
		memset(&r, 0, sizeof(r));
		r.cls = ASAP_PROBE_C_OTHER;
		snprintf(r.error, sizeof(r.error), "probe: %s", strerror(-rc));
		probe_finish(p, &r);
	}
}

static void
on_tick(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct prober *p = arg;

	(void)loop;
	(void)revents;
	if (p->count == 0 || p->started < p->count) {
		if (p->busy) {
			/* No pile-up: this one waits for the one running. */
			if (!p->due_waiting) {
				p->delayed++;
				log_debug("probe due while one is running: "
				    "delayed");
			}
			p->due_waiting = true;
		} else {
			probe_start(p);
		}
	}
	schedule_next(p);
}

/* On the grid start + k * interval; ticks missed while busy are skipped. */
static void
schedule_next(struct prober *p)
{
	uint64_t now = ev_now(p->loop);

	if (p->count != 0 && p->started + (p->due_waiting ? 1 : 0) >= p->count)
		return;
	p->next_due += p->interval_ms;
	if (p->next_due <= now)
		p->next_due += ((now - p->next_due) / p->interval_ms + 1) *
		    p->interval_ms;
	ev_timer_add_at(p->loop, p->next_due, on_tick, p, &p->tick);
}

static void
on_signal(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)arg;
	(void)revents;
	ev_break(loop);
}

static int
run_probe(int argc, char **argv)
{
	struct asap_tls_config tcli = { 0 };
	struct tls_config tc;
	char terr[256];
	static struct prober p;
	struct sockaddr_storage mss;
	socklen_t msslen;
	const char *target = NULL, *pool = NULL, *vantage = NULL;
	const char *outfile = NULL, *metrics = NULL;
	uint32_t u;
	int ch, verbose = 0;

	memset(&p, 0, sizeof(p));
	p.last_id = -1;
	p.interval_ms = DEFAULT_INTERVAL_MS;
	p.timeout_ms = DEFAULT_TIMEOUT_MS;
	p.rl_out = (struct log_ratelimit)LOG_RATELIMIT_INIT(1, 60000);
	while ((ch = getopt_long(argc, argv, "c:hi:m:n:o:p:r:t:v",
	    tls_cli_longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (parse_u32(optarg, 1, UINT32_MAX, &u) == -1)
				goto bad_value;
			p.count = u;
			break;
		case 'i':
			if (parse_u32(optarg, 1, 86400000, &u) == -1)
				goto bad_value;
			p.interval_ms = u;
			break;
		case 't':
			if (parse_u32(optarg, 1, 3600000, &u) == -1)
				goto bad_value;
			p.timeout_ms = u;
			break;
		case 'm':
			metrics = optarg;
			break;
		case 'n':
			vantage = optarg;
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'p':
			pool = optarg;
			break;
		case 'r':
			target = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			if (!tls_cli_opt(&tcli, ch, optarg))
				usage();
		}
	}
	if (optind != argc || target == NULL || pool == NULL)
		usage();
	log_init("anyprobe", 1, verbose);
	if (tls_cli_check_all(&tcli, "anyprobe") != 0)
		return 2;
	if (tls_cli_on(&tcli)) {
		tls_cli_config(&tcli, &tc);
		if (tls_ctx_new(&tc, &p.tls, terr, sizeof(terr)) != 0) {
			fprintf(stderr, "anyprobe: TLS: %s\n", terr);
			return 1;
		}
	}
	if (parse_hostport(target, p.tls != NULL ? ASAP_TLS_PORT : ASAP_PORT,
	    &p.target, &p.target_len) == -1) {
		fprintf(stderr, "anyprobe: -r %s: not ADDRESS[:PORT] (numeric "
		    "IPv4, or IPv6 as [ADDRESS]:PORT)\n", target);
		return 2;
	}
	addr_str(&p.target, p.target_str, sizeof(p.target_str));
	if (strlen(pool) == 0 || strlen(pool) > RSP_POOL_HANDLE_MAX_DEFAULT) {
		fprintf(stderr, "anyprobe: -p: a pool handle of 1 to %d bytes\n",
		    RSP_POOL_HANDLE_MAX_DEFAULT);
		return 2;
	}
	snprintf(p.pool, sizeof(p.pool), "%s", pool);
	if (vantage == NULL) {
		if (gethostname(p.vantage, sizeof(p.vantage) - 1) == -1)
			snprintf(p.vantage, sizeof(p.vantage), "unknown");
	} else {
		snprintf(p.vantage, sizeof(p.vantage), "%s", vantage);
	}
	if (metrics != NULL && parse_hostport(metrics, 0, &mss, &msslen) == -1) {
		fprintf(stderr, "anyprobe: -m %s: not ADDRESS:PORT\n", metrics);
		return 2;
	}
	if (metrics != NULL && ((struct sockaddr_in *)&mss)->sin_port == 0) {
		fprintf(stderr, "anyprobe: -m %s: a port is needed\n", metrics);
		return 2;
	}
	if (outfile != NULL) {
		if ((p.out = fopen(outfile, "a")) == NULL) {
			fprintf(stderr, "anyprobe: %s: %s\n", outfile,
			    strerror(errno));
			return 1;
		}
		p.out_owned = true;
	} else {
		p.out = stdout;
	}
	setvbuf(p.out, NULL, _IOLBF, 0);
	if ((p.loop = ev_loop_new()) == NULL)
		fatal("event loop");
	if (ev_signal_add(p.loop, SIGTERM, on_signal, &p, &p.sigterm) < 0 ||
	    ev_signal_add(p.loop, SIGINT, on_signal, &p, &p.sigint) < 0)
		fatalx("cannot watch signals");
	signal(SIGPIPE, SIG_IGN);
	if (metrics != NULL) {
		p.mhttp = metrics_http_start(p.loop, &mss, render, &p,
		    "metrics");
		if (p.mhttp == NULL) {
			fprintf(stderr, "anyprobe: -m %s: cannot serve "
			    "metrics there\n", metrics);
			return 1;
		}
	}
	log_info("probing %s%s for pool \"%s\" every %u ms (timeout %u ms) as "
	    "\"%s\"", p.target_str, p.tls != NULL ? " over TLS" : "", p.pool,
	    p.interval_ms, p.timeout_ms, p.vantage);
	p.next_due = ev_now(p.loop);
	ev_timer_add_at(p.loop, p.next_due, on_tick, &p, &p.tick);
	ev_run(p.loop);

	/* Stopped by a signal or done: an unfinished probe is not reported. */
	asap_probe_cancel(p.probe);
	ev_cancel(&p.tick);
	metrics_http_stop(p.mhttp);
	ev_cancel(&p.sigterm);
	ev_cancel(&p.sigint);
	ev_loop_free(p.loop);
	tls_ctx_free(p.tls);
	fflush(p.out);
	if (p.out_owned)
		fclose(p.out);
	free(p.ids);
	return 0;

bad_value:
	fprintf(stderr, "anyprobe: bad -%c value \"%s\"\n", ch, optarg);
	return 2;
}

/* matrix ------------------------------------------------------------------ */

#define FAILED_COL	"failed"
#define UNKNOWN_COL	"unknown"	/* answered, without an identity */

struct row {
	char		*vantage;
	json_t		*counts;	/* column -> count */
	uint64_t	 total;
	int64_t		 last_ts;
	char		*last_node;	/* most recent answering node */
};

struct matrix {
	struct row	*rows;
	size_t		 nrows;
	json_t		*cols;		/* node -> true (set of columns) */
};

static struct row *
row_get(struct matrix *mx, const char *vantage)
{
	struct row *r;
	size_t i;

	for (i = 0; i < mx->nrows; i++)
		if (strcmp(mx->rows[i].vantage, vantage) == 0)
			return &mx->rows[i];
	if ((r = realloc(mx->rows, (mx->nrows + 1) * sizeof(*r))) == NULL)
		fatal("%s", __func__);
	mx->rows = r;
	r = &mx->rows[mx->nrows++];
	memset(r, 0, sizeof(*r));
	if ((r->vantage = strdup(vantage)) == NULL)
		fatal("%s", __func__);
	r->counts = json_object();
	r->last_ts = INT64_MIN;
	return r;
}

static void
count_cell(struct row *r, const char *col)
{
	json_t *v = json_object_get(r->counts, col);

	json_object_set_new(r->counts, col, json_integer(v != NULL ?
	    json_integer_value(v) + 1 : 1));
	r->total++;
}

/* One JSON line of a probe; a warning and false if it is not one. */
static bool
matrix_line(struct matrix *mx, const char *file, size_t lineno,
    const char *line)
{
	json_error_t je;
	json_t *j, *van, *ok, *node, *ts;
	struct row *r;
	const char *col;
	bool good = false;

	if ((j = json_loads(line, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		fprintf(stderr, "anyprobe: %s:%zu: not JSON: %s (skipped)\n",
		    file, lineno, je.text);
		return false;
	}
	van = json_object_get(j, "vantage");
	ok = json_object_get(j, "ok");
	node = json_object_get(j, "node");
	ts = json_object_get(j, "ts_ms");
	if (!json_is_object(j) || !json_is_string(van) ||
	    !json_is_boolean(ok) || !json_is_integer(ts) ||
	    (node != NULL && !json_is_string(node) && !json_is_null(node))) {
		fprintf(stderr, "anyprobe: %s:%zu: not a probe result (needs "
		    "vantage, ok, ts_ms, node) (skipped)\n", file, lineno);
		goto out;
	}
	r = row_get(mx, json_string_value(van));
	if (!json_is_true(ok))
		col = FAILED_COL;
	else if (json_is_string(node))
		col = json_string_value(node);
	else
		col = UNKNOWN_COL;
	count_cell(r, col);
	if (strcmp(col, FAILED_COL) != 0) {
		json_object_set_new(mx->cols, col, json_true());
		if (json_integer_value(ts) >= r->last_ts) {
			r->last_ts = json_integer_value(ts);
			free(r->last_node);
			if ((r->last_node = strdup(col)) == NULL)
				fatal("%s", __func__);
		}
	}
	good = true;
out:
	json_decref(j);
	return good;
}

static int
matrix_file(struct matrix *mx, const char *file)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	FILE *f;

	if (strcmp(file, "-") == 0)
		f = stdin;
	else if ((f = fopen(file, "r")) == NULL) {
		fprintf(stderr, "anyprobe: %s: %s\n", file, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if ((size_t)n > 65536) {
			fprintf(stderr, "anyprobe: %s:%zu: line too long "
			    "(skipped)\n", file, lineno);
			continue;
		}
		matrix_line(mx, file, lineno, line);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->vantage,
	    ((const struct row *)b)->vantage);
}

static uint64_t
cell(const struct row *r, const char *col)
{
	json_t *v = json_object_get(r->counts, col);

	return v != NULL ? (uint64_t)json_integer_value(v) : 0;
}

static int
run_matrix(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct matrix mx = { 0 };
	const char **cols, *k;
	json_t *v;
	size_t ncols = 0, i, c, w = 7;
	bool json = false;
	int ch, rc = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "j", longopts, NULL)) != -1) {
		if (ch == 'j')
			json = true;
		else
			usage();
	}
	if (optind == argc)
		usage();
	mx.cols = json_object();
	for (i = (size_t)optind; i < (size_t)argc; i++)
		if (matrix_file(&mx, argv[i]) == -1)
			rc = 1;
	qsort(mx.rows, mx.nrows, sizeof(*mx.rows), cmp_row);
	if ((cols = calloc(json_object_size(mx.cols) + 1, sizeof(*cols))) ==
	    NULL)
		fatal("%s", __func__);
	json_object_foreach(mx.cols, k, v)
		cols[ncols++] = k;
	qsort(cols, ncols, sizeof(*cols), cmp_str);
	cols[ncols++] = FAILED_COL;

	if (json) {
		json_t *o = json_object(), *ca = json_array(), *vs = json_object();

		for (c = 0; c < ncols; c++)
			json_array_append_new(ca, json_string(cols[c]));
		for (i = 0; i < mx.nrows; i++) {
			const struct row *r = &mx.rows[i];
			json_t *ro = json_object(), *cn = json_object();
			json_t *pc = json_object();

			for (c = 0; c < ncols; c++) {
				uint64_t n = cell(r, cols[c]);

				json_object_set_new(cn, cols[c],
				    json_integer((json_int_t)n));
				json_object_set_new(pc, cols[c], json_real(
				    r->total ? 100.0 * (double)n /
				    (double)r->total : 0.0));
			}
			json_object_set_new(ro, "total",
			    json_integer((json_int_t)r->total));
			json_object_set_new(ro, "counts", cn);
			json_object_set_new(ro, "percent", pc);
			json_object_set_new(ro, "last_node", r->last_node ?
			    json_string(r->last_node) : json_null());
			json_object_set_new(vs, r->vantage, ro);
		}
		json_object_set_new(o, "columns", ca);
		json_object_set_new(o, "vantages", vs);
		if (json_dumpf(o, stdout, JSON_PRESERVE_ORDER |
		    JSON_REAL_PRECISION(6)) == -1)
			rc = 1;
		putchar('\n');
		json_decref(o);
	} else {
		for (i = 0; i < mx.nrows; i++)
			if (strlen(mx.rows[i].vantage) > w)
				w = strlen(mx.rows[i].vantage);
		printf("%-*s", (int)w, "vantage");
		for (c = 0; c < ncols; c++)
			printf("  %14s", cols[c]);
		printf("  %8s  %s\n", "total", "last");
		for (i = 0; i < mx.nrows; i++) {
			const struct row *r = &mx.rows[i];

			printf("%-*s", (int)w, r->vantage);
			for (c = 0; c < ncols; c++) {
				uint64_t n = cell(r, cols[c]);
				char b[40];

				snprintf(b, sizeof(b), "%" PRIu64 " (%.1f%%)",
				    n, r->total ? 100.0 * (double)n /
				    (double)r->total : 0.0);
				printf("  %14s", b);
			}
			printf("  %8" PRIu64 "  %s\n", r->total,
			    r->last_node ? r->last_node : "-");
		}
	}
	if (fflush(stdout) != 0)
		rc = 1;
	for (i = 0; i < mx.nrows; i++) {
		free(mx.rows[i].vantage);
		free(mx.rows[i].last_node);
		json_decref(mx.rows[i].counts);
	}
	free(mx.rows);
	free(cols);
	json_decref(mx.cols);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "matrix") == 0)
		return run_matrix(argc - 1, argv + 1);
	return run_probe(argc, argv);
}
