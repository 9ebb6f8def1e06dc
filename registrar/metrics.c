/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * registrard's Prometheus exporter: GET /metrics over HTTP, served by
 * lib/metrics_http.c (libmicrohttpd inside the daemon's event loop, no
 * thread of its own).  metrics_render() writes the text exposition format
 * (version 0.0.4) into a buffer; it is separate from HTTP so the unit tests
 * check it.  Every name starts with anypool_registrar_.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>


#include "registrar.h"
#include "enrp.h"
#include "control.h"
#include "control_int.h"
#include "metrics_http.h"

#define PFX			"anypool_registrar_"


static struct {
	struct registrar	*r;
	struct metrics_http	*h;	/* NULL: exporter off */
	struct sockaddr_storage	 ss;	/* what h listens on */
} mx;

/* A growing text buffer with a sticky error. */
struct sbuf {
	char	*p;
	size_t	 len, cap;
	bool	 err;
};

static void	sb_printf(struct sbuf *b, const char *fmt, ...) LOG_PRINTF(2, 3);

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t ncap;
	char *np;
	int n;

	if (b->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p != NULL ? b->p + b->len : NULL,
		    b->p != NULL ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->err = true;
			return;
		}
		if (b->p != NULL && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		ncap = b->cap == 0 ? 4096 : b->cap * 2;
		while (ncap < b->len + (size_t)n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->err = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

/* A label value: backslash, double quote and newline escaped. */
static void
sb_label(struct sbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			sb_printf(b, "\\\\");
		else if (*s == '"')
			sb_printf(b, "\\\"");
		else if (*s == '\n')
			sb_printf(b, "\\n");
		else
			sb_printf(b, "%c", *s);
	}
}

static void
header(struct sbuf *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP " PFX "%s %s\n# TYPE " PFX "%s %s\n", name, help,
	    name, type);
}

static void
metric(struct sbuf *b, const char *name, const char *type, const char *help,
    uint64_t v)
{
	header(b, name, type, help);
	sb_printf(b, PFX "%s %llu\n", name, (unsigned long long)v);
}

#define COUNTER(name, help, v)	metric(&b, name, "counter", help, v)
#define GAUGE(name, help, v)	metric(&b, name, "gauge", help, v)

/*
 * The whole exposition into a malloc'ed buffer (*ret_buf, *ret_len bytes,
 * NUL-terminated).  0 or -ENOMEM.
 */
int
metrics_render(struct registrar *r, char **ret_buf, size_t *ret_len)
{
	const struct reg_stats *s = &r->stats;
	const struct enrp_stats *es = enrp_get_stats(r->enrp);
	struct sbuf b = { 0 };
	uint64_t now = ev_now(r->loop);
	char slug[64];
	unsigned int i;

	header(&b, "messages_received_total", "counter",
	    "ASAP messages received, by type.");
	for (i = 1; i <= ASAP_MSG_MAX; i++)
		sb_printf(&b, PFX "messages_received_total{type=\"%s\"} %llu\n",
		    control_slug(rsp_msg_name(RSP_PROTO_ASAP, (uint8_t)i), slug,
		    sizeof(slug)), (unsigned long long)s->rx_msgs[i]);
	header(&b, "messages_sent_total", "counter",
	    "ASAP messages sent, by type.");
	for (i = 1; i <= ASAP_MSG_MAX; i++)
		sb_printf(&b, PFX "messages_sent_total{type=\"%s\"} %llu\n",
		    control_slug(rsp_msg_name(RSP_PROTO_ASAP, (uint8_t)i), slug,
		    sizeof(slug)), (unsigned long long)s->tx_msgs[i]);
	header(&b, "decode_errors_total", "counter",
	    "Messages that failed to decode, by the RFC 5354 cause sent back.");
	for (i = 0; i <= RSP_CAUSE_MAX + 1; i++)
		sb_printf(&b, PFX "decode_errors_total{cause=\"%s\"} %llu\n",
		    i <= RSP_CAUSE_MAX ? control_slug(rsp_cause_name(
		    (uint16_t)i), slug, sizeof(slug)) : "other",
		    (unsigned long long)s->rx_errors[i]);
	/* TLS: failed handshakes by reason, ASAP and ENRP ports. */
	header(&b, "tls_handshake_failures_total", "counter",
	    "TLS handshakes that failed, by reason (tls_on_plain_port: a TLS "
	    "client on a plaintext port).");
	for (i = 0; i < REG_TLS_FAIL_MAX; i++)
		if (i != TLS_FAIL_NONE)
			sb_printf(&b, PFX "tls_handshake_failures_total"
			    "{reason=\"%s\"} %llu\n", reg_tls_fail_name(i),
			    (unsigned long long)s->tls_failures[i]);
	COUNTER("tls_handshakes_total", "TLS handshakes completed.",
	    s->tls_handshakes);
	COUNTER("received_bytes_total", "Bytes received on associations.",
	    s->rx_bytes);
	COUNTER("sent_bytes_total", "Bytes sent on associations.",
	    s->tx_bytes);
	COUNTER("registrations_total", "New PE registrations accepted.",
	    s->registrations);
	COUNTER("reregistrations_total", "Re-registrations (updates) "
	    "accepted.", s->reregistrations);
	COUNTER("registration_rejects_total", "Registrations rejected.",
	    s->registration_rejects);
	COUNTER("deregistrations_total", "PE deregistrations.",
	    s->deregistrations);
	COUNTER("resolutions_total", "Handle resolutions answered.",
	    s->resolutions);
	COUNTER("resolution_misses_total", "Handle resolutions of unknown "
	    "pools.", s->resolution_misses);
	COUNTER("resolution_identity_answers_total", "Handle resolutions "
	    "answered with the Registrar Identity (0x8a01).",
	    s->identity_answers);
	COUNTER("keepalives_sent_total", "Endpoint Keep-Alives sent.",
	    s->keepalives_sent);
	COUNTER("keepalive_timeouts_total", "PEs removed for not answering a "
	    "keep-alive.", s->keepalive_timeouts);
	COUNTER("unreachable_reports_total", "Endpoint Unreachable reports "
	    "received.", s->unreachable_reports);
	COUNTER("unreachable_removals_total", "PEs removed after too many "
	    "unreachable reports.", s->unreachable_removals);
	COUNTER("expirations_total", "PEs removed when their registration "
	    "life ran out.", s->expirations);
	COUNTER("assoc_lost_removals_total", "PEs removed because their "
	    "association was lost.", s->assoc_lost_removals);
	COUNTER("associations_accepted_total", "Associations accepted.",
	    s->assocs_accepted);
	COUNTER("associations_closed_total", "Associations closed.",
	    s->assocs_closed);
	COUNTER("associations_refused_total", "Associations refused (limit).",
	    s->assocs_refused);
	COUNTER("rate_limited_total", "Messages dropped by the per-association "
	    "request rate limit.", s->rate_limited);
	COUNTER("announces_sent_total", "Server Announces sent.",
	    s->announces_sent);
	COUNTER("config_reloads_total", "Configuration reloads.",
	    s->config_reloads);
	COUNTER("config_reload_failures_total", "Configuration reloads that "
	    "failed (the running configuration was kept).",
	    s->config_reload_failures);
	/* bounds against one bad client (issue 12) */
	COUNTER("foreign_refused_total", "Deregistrations and "
	    "re-registrations of PEs homed at another registrar refused: not "
	    "from one of the PE's addresses.", s->foreign_refused);
	COUNTER("authorization_refused_total", "Registrations refused: the "
	    "client's identity may not register into that pool (authorize).",
	    s->authz_refused);
	COUNTER("registrant_refused_total", "Registrations and "
	    "deregistrations refused: another identity registered the PE.",
	    s->registrant_refused);
	COUNTER("unreachable_plaintext_total", "Endpoint Unreachable reports "
	    "ignored: not over TLS on a secured registrar.",
	    s->unreachable_plain);
	COUNTER("unreachable_forwarded_total", "Endpoint Unreachable reports "
	    "about PEs of other registrars passed to their home over ENRP.",
	    s->reports_forwarded);
	COUNTER("unreachable_from_peers_total", "Endpoint Unreachable reports "
	    "passed here by ENRP peers (this registrar being the PE's home).",
	    s->reports_from_peers);
	COUNTER("unreachable_probes_total", "Keep-alives sent at once because "
	    "a PE was reported unreachable.", s->report_probes);
	COUNTER("unreachable_verified_total", "PEs reported unreachable that "
	    "answered the keep-alive (shown and announced again).",
	    s->report_verified);
	COUNTER("unreachable_repeats_total", "Endpoint Unreachable reports "
	    "ignored: the same address reported the PE within "
	    "unreachable-window.", s->unreachable_repeats);
	COUNTER("associations_idle_closed_total", "Associations without PEs "
	    "closed after idle-timeout without a message.", s->idle_closed);
	COUNTER("message_timeouts_total", "Associations closed with a "
	    "message still incomplete after message-timeout.",
	    s->message_timeouts);
	COUNTER("associations_refused_per_source_total", "Associations "
	    "refused by associations-per-source.", s->assocs_refused_source);
	COUNTER("associations_refused_descriptors_total", "Associations "
	    "refused to keep descriptors for the control socket and peers.",
	    s->assocs_refused_fds);
	COUNTER("associations_evicted_total", "Idle associations closed to "
	    "admit one from a source holding fewer (table full).",
	    s->assocs_evicted);
	COUNTER("send_queue_closed_total", "Associations closed with more "
	    "than send-queue bytes unread.", s->send_queue_closed);
	COUNTER("send_budget_closed_total", "Associations closed, the "
	    "biggest queue first, when all queues exceeded send-queue-total.",
	    s->send_budget_closed);

	{	/* batched system calls (issue 14; io-batching) */
		struct cn_batch_stats bs;

		cn_batch_stats(r->loop, &bs);
		GAUGE("io_batching", "1 while the recv()s and send()s of "
		    "TCP connections are batched (io-batching on "
		    "and io_uring allowed), else 0.", bs.on ? 1 : 0);
		COUNTER("io_batch_calls_total", "System calls that made "
		    "batched recv()s and send()s.", bs.batches);
		COUNTER("io_batch_requests_total", "recv()s and send()s made "
		    "in batches.", bs.requests);
	}

	GAUGE("pools", "Pools in the handlespace.", hs_npools(r->hs));
	GAUGE("pes", "PEs in the handlespace.", hs_npes(r->hs));
	GAUGE("own_pes", "PEs whose home registrar is this one.",
	    hs_owner_count(r->hs, r->server_id));
	GAUGE("pe_checksum", "RFC 5353 PE checksum of this registrar's own "
	    "PEs.", hs_checksum(r->hs, r->server_id));
	GAUGE("associations", "Open ASAP associations.", r->nassocs);
	GAUGE("listeners", "Open ASAP listening sockets.", r->nlisteners);
	GAUGE("association_sources", "Addresses with open ASAP associations.",
	    r->nsources);
	GAUGE("send_queue_bytes", "Bytes waiting in the send queues of all "
	    "ASAP associations.", r->budget.total);
	GAUGE("uptime_seconds", "Seconds since the registrar started.",
	    now > r->started ? (now - r->started) / 1000 : 0);
	GAUGE("sctp_available", "1 if the kernel has SCTP.", r->sctp_ok);
	GAUGE("announce_enabled", "1 if Server Announces are sent.",
	    r->conf.announce);

	/* ENRP; healthd gates the anycast announcement on "synchronized". */
	GAUGE("enrp_synchronized", "1 once the handle table download from "
	    "the mentor completed (or ENRP is off).",
	    enrp_synchronized(r->enrp));
	GAUGE("enrp_peers", "ENRP peers with a known server id.",
	    enrp_peer_count(r->enrp));
	header(&b, "enrp_messages_received_total", "counter",
	    "ENRP messages received, by type.");
	for (i = 1; i <= ENRP_MSG_MAX; i++)
		sb_printf(&b, PFX "enrp_messages_received_total{type=\"%s\"} "
		    "%llu\n", control_slug(rsp_msg_name(RSP_PROTO_ENRP,
		    (uint8_t)i), slug, sizeof(slug)), (unsigned long long)
		    (es != NULL ? es->rx_msgs[i] : 0));
	COUNTER("enrp_decode_errors_total", "ENRP messages refused as bad "
	    "input.", es != NULL ? es->rx_errors : 0);
	COUNTER("takeovers_total", "Takeovers of dead peers this registrar "
	    "won.", es != NULL ? es->takeovers : 0);
	COUNTER("checksum_mismatches_total", "PRESENCE checksums that differed "
	    "from ours for that peer (each starts an audit).",
	    es != NULL ? es->checksum_mismatches : 0);
	COUNTER("enrp_peers_dead_total", "ENRP peers declared dead "
	    "(max-time-last-heard or max-time-no-response).",
	    es != NULL ? es->peers_dead : 0);
	COUNTER("enrp_stalls_total", "Times this registrar did not run for "
	    "longer than max-time-last-heard and synchronized again.",
	    es != NULL ? es->stalls : 0);
	COUNTER("enrp_peers_discovered_total", "ENRP peers learned from "
	    "multicast PRESENCE.",
	    es != NULL ? es->peers_discovered : 0);
	COUNTER("enrp_multicast_errors_total", "Multicast ENRP datagrams "
	    "refused as bad input.",
	    es != NULL ? es->mcast_errors : 0);
	header(&b, "enrp_refused_total", "counter", "ENRP connections and "
	    "messages refused from outside the peers, by reason.");
	for (i = 0; i < ENRP_REFUSED_MAX; i++)
		sb_printf(&b, PFX "enrp_refused_total{reason=\"%s\"} %llu\n",
		    enrp_refusal_name((enum enrp_refusal)i),
		    (unsigned long long)(es != NULL ? es->refused[i] : 0));
	COUNTER("home_change_pes_total", "PEs taken over that were sent "
	    "ENDPOINT_KEEP_ALIVE with the home-change flag (SCTP).",
	    es != NULL ? es->home_change_pes : 0);
	COUNTER("home_change_failures_total", "PEs taken over that could not "
	    "be reached for the home change.",
	    es != NULL ? es->home_change_failures : 0);
	header(&b, "info", "gauge", "Identity of this registrar (always 1).");
	sb_printf(&b, PFX "info{server_id=\"0x%08x\",node=\"", r->server_id);
	sb_label(&b, r->conf.node_name);
	sb_printf(&b, "\"} 1\n");

	if (b.err) {
		free(b.p);
		return -ENOMEM;
	}
	*ret_buf = b.p;
	*ret_len = b.len;
	return 0;
}

#undef COUNTER
#undef GAUGE

/* HTTP: lib/metrics_http.c -------------------------------------------------- */

static int
render_cb(void *arg, char **ret_buf, size_t *ret_len)
{
	return metrics_render(arg, ret_buf, ret_len);
}

static int
mx_open(struct registrar *r)
{
	mx.h = metrics_http_start(r->loop, &r->conf.metrics_ss, render_cb, r,
	    "metrics");
	if (mx.h == NULL)
		return -EADDRNOTAVAIL;
	mx.ss = r->conf.metrics_ss;
	return 0;
}

int
metrics_start(struct registrar *r)
{
	mx.r = r;
	if (!r->conf.metrics)
		return 0;
	return mx_open(r);
}

void
metrics_stop(void)
{
	metrics_http_stop(mx.h);
	mx.h = NULL;
}

static bool
sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		    a6->sin6_scope_id == b6->sin6_scope_id &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
	return false;
}

void
metrics_reconfigure(struct registrar *r)
{
	mx.r = r;
	if (mx.h != NULL && r->conf.metrics &&
	    sa_equal(&mx.ss, &r->conf.metrics_ss))
		return;
	if (mx.h != NULL) {
		log_info("metrics: stopping");
		metrics_stop();
	}
	if (r->conf.metrics && mx_open(r) != 0)
		log_warnx("metrics: exporter off until the next reload");
}
