/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * registrard's control socket: a Unix stream socket in the daemon's event
 * loop that answers request lines ("show pools", "show pes [POOL]", "show
 * associations", "show stats", "show summary", "help") with one JSON
 * document and a newline each; errors are {"error": "..."} and a request
 * that is not understood also carries "commands", the list of known ones.
 * The protocol is the same for every anypool daemon so that anypoolctl can
 * drive any of them: the socket, its limits and a slow reader are
 * lib/ctlsock.c's, only the command table below is the registrar's.  The
 * metrics exporter (metrics.c) is started and stopped from here.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <jansson.h>

#include "addr.h"
#include "ctlsock.h"
#include "registrar.h"
#include "enrp.h"
#include "control.h"
#include "control_int.h"

#define CTL_LINE_MAX		CTLSOCK_LINE_MAX
#define CTL_MAX_WORDS		8

static struct {
	struct registrar	*r;
	struct ctlsock		*cs;	/* NULL: not open */
} ctl;

/* JSON helpers ---------------------------------------------------------- */

static void
jset(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		fatalx("control: out of memory");
}

static void
jappend(json_t *a, json_t *v)
{
	if (v == NULL || json_array_append_new(a, v) != 0)
		fatalx("control: out of memory");
}

static json_t *
jobj(void)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		fatalx("control: out of memory");
	return o;
}

static json_t *
jarr(void)
{
	json_t *a;

	if ((a = json_array()) == NULL)
		fatalx("control: out of memory");
	return a;
}

static json_t *
jint(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* A string that need not be valid UTF-8 (node names, handles). */
static json_t *
jstr(const char *s)
{
	json_t *v;
	char *c;
	size_t i;

	if ((v = json_string(s)) != NULL)
		return v;
	if ((c = strdup(s)) == NULL)
		fatalx("control: out of memory");
	for (i = 0; c[i] != '\0'; i++)
		if ((unsigned char)c[i] >= 0x80 || c[i] < 0x20)
			c[i] = '?';
	v = json_string(c);
	free(c);
	return v;
}

static json_t *
jhex32(uint32_t v)
{
	char b[16];

	snprintf(b, sizeof(b), "0x%08x", v);
	return json_string(b);
}

static json_t *
jerror(const char *fmt, ...) LOG_PRINTF(1, 2);

static json_t *
jerror(const char *fmt, ...)
{
	va_list ap;
	char b[512];
	json_t *o = jobj();

	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	jset(o, "error", jstr(b));
	return o;
}

/* Names ------------------------------------------------------------------- */

/* "Endpoint Keep-Alive Ack" -> "endpoint_keep_alive_ack". */
const char *
control_slug(const char *name, char *buf, size_t len)
{
	size_t o = 0;
	bool sep = false;

	if (len == 0)
		return "";
	for (; *name != '\0' && o + 1 < len; name++) {
		unsigned char c = (unsigned char)*name;

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			sep = true;
			continue;
		}
		if (sep && o > 0) {
			if (o + 2 >= len)
				break;	/* no room for "_x": cut here */
			buf[o++] = '_';
		}
		buf[o++] = (char)c;
		sep = false;
	}
	buf[o] = '\0';
	return buf;
}

void
control_sa_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	addr_str(ss, buf, len);	/* lib/addr.c: the one printed form */
}

static bool
handle_printable(const uint8_t *h, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (h[i] < 0x20 || h[i] > 0x7e)
			return false;
	/* A printable handle that looks like hex is shown as hex. */
	return !(len > 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X'));
}

static json_t *
jhandle_hex(const uint8_t *h, size_t len)
{
	static const char d[] = "0123456789abcdef";
	char b[2 * 256 + 1];
	size_t i;

	if (len > 256)
		len = 256;
	for (i = 0; i < len; i++) {
		b[2 * i] = d[h[i] >> 4];
		b[2 * i + 1] = d[h[i] & 15];
	}
	b[2 * len] = '\0';
	return json_string(b);
}

/* The handle as shown: as is if printable, else "0x" and hex digits. */
static json_t *
jhandle(const uint8_t *h, size_t len)
{
	char b[2 + 2 * 256 + 1];
	json_t *hex;

	if (handle_printable(h, len))
		return json_stringn((const char *)h, len);
	if ((hex = jhandle_hex(h, len)) == NULL)
		return NULL;
	snprintf(b, sizeof(b), "0x%s", json_string_value(hex));
	json_decref(hex);
	return json_string(b);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A pool named by the operator: its handle as is, or 0x + hex digits. */
static struct hs_pool *
pool_by_name(struct registrar *r, const char *name)
{
	uint8_t h[256];
	size_t n = strlen(name), i;
	struct hs_pool *p;

	if ((p = hs_pool_find(r->hs, (const uint8_t *)name, n)) != NULL)
		return p;
	if (n < 4 || n % 2 != 0 || name[0] != '0' ||
	    (name[1] != 'x' && name[1] != 'X') || (n - 2) / 2 > sizeof(h))
		return NULL;
	for (i = 0; i < (n - 2) / 2; i++) {
		int hi = hexval(name[2 + 2 * i]), lo = hexval(name[3 + 2 * i]);

		if (hi < 0 || lo < 0)
			return NULL;
		h[i] = (uint8_t)(hi << 4 | lo);
	}
	return hs_pool_find(r->hs, h, (n - 2) / 2);
}

static const char *
transport_name(uint16_t type)
{
	switch (type) {
	case RSP_PARAM_SCTP_TRANSPORT:		return "sctp";
	case RSP_PARAM_TCP_TRANSPORT:		return "tcp";
	case RSP_PARAM_UDP_TRANSPORT:		return "udp";
	case RSP_PARAM_UDPLITE_TRANSPORT:	return "udplite";
	case RSP_PARAM_DCCP_TRANSPORT:		return "dccp";
	case RSP_PARAM_OPAQUE_TRANSPORT:	return "opaque";
	default:				return "unknown";
	}
}

static uint64_t
uptime_ms(const struct registrar *r)
{
	uint64_t now = ev_now(r->loop);

	return now > r->started ? now - r->started : 0;
}

/* Commands ---------------------------------------------------------------- */

static json_t *
cmd_pools(struct registrar *r, int argc, char **argv)
{
	json_t *o = jobj(), *a = jarr(), *p;
	struct hs_pool *pool;
	const uint8_t *h;
	size_t len;

	(void)argc;
	(void)argv;
	for (pool = hs_pool_first(r->hs); pool != NULL;
	    pool = hs_pool_next(pool)) {
		h = hs_pool_handle(pool, &len);
		p = jobj();
		jset(p, "handle", jhandle(h, len));
		jset(p, "handle_hex", jhandle_hex(h, len));
		jset(p, "policy", json_string(rsp_policy_name(
		    hs_pool_policy(pool))));
		jset(p, "policy_type", jhex32(hs_pool_policy(pool)));
		jset(p, "pes", jint(hs_pool_count(pool)));
		jappend(a, p);
	}
	jset(o, "pools", a);
	return o;
}

static json_t *
pe_json(struct registrar *r, struct hs_pe *pe, uint64_t now)
{
	struct rsp_pe x;
	struct reg_pe *rp;
	json_t *o = jobj(), *v;
	const uint8_t *h;
	uint64_t exp;
	size_t len;
	char a[INET6_ADDRSTRLEN + 8];
	int i;

	hs_pe_export(pe, &x);
	h = hs_pool_handle(hs_pe_pool(pe), &len);
	jset(o, "pool", jhandle(h, len));
	jset(o, "id", jhex32(hs_pe_id(pe)));
	jset(o, "home", jhex32(hs_pe_home(pe)));
	jset(o, "own", json_boolean(hs_pe_home(pe) == r->server_id));
	{	/* who registered it (registrant-identity.md), or null */
		uint8_t kind;
		const char *n = authz_name(r, hs_pe_registrant(pe), &kind);
		char who[RSP_REGISTRANT_NAME_MAX + 8];

		if (n != NULL)
			snprintf(who, sizeof(who), "%s:%s", kind ==
			    RSP_REGISTRANT_PSK ? "psk" : "cert", n);
		jset(o, "registrant", n != NULL ? jstr(who) : json_null());
	}
	jset(o, "policy", json_string(rsp_policy_name(x.policy.type)));
	v = jarr();
	for (i = 0; i < x.policy.nval && i < RSP_POLICY_MAX_VALUES; i++)
		jappend(v, jint(x.policy.val[i]));
	jset(o, "policy_values", v);
	if (x.policy.type == RSP_POLICY_LEAST_USED_DEGRADATION)
		jset(o, "degradation", jint(hs_pe_counter(pe)));
	jset(o, "transport", json_string(transport_name(x.user.type)));
	jset(o, "port", jint(x.user.port));
	v = jarr();
	for (i = 0; i < x.user.naddr && i < RSP_MAX_ADDRS; i++)
		jappend(v, jstr(rsp_addr_str(&x.user.addr[i], a, sizeof(a))));
	jset(o, "addresses", v);
	if (x.user.type == RSP_PARAM_SCTP_TRANSPORT)
		jset(o, "transport_use", json_string(
		    x.user.use == RSP_TRANSPORT_USE_DATA_CONTROL ?
		    "data+control" : "data"));
	if (x.life == RSP_LIFE_INFINITE) {
		jset(o, "registration_life_ms", json_null());
	} else {
		jset(o, "registration_life_ms",
		    jint((uint64_t)(uint32_t)x.life * r->conf.life_unit));
	}
	exp = hs_pe_expires(pe);
	if (exp == HS_NEVER)
		jset(o, "expires_in_ms", json_null());
	else
		jset(o, "expires_in_ms", jint(exp > now ? exp - now : 0));
	rp = hs_pe_udata(pe);
	if (rp != NULL && rp->as != NULL) {
		jset(o, "association", jstr(rp->as->name));
		jset(o, "association_id", jint(rp->as->id));
	} else {
		jset(o, "association", json_null());
		jset(o, "association_id", json_null());
	}
	if (rp != NULL) {
		jset(o, "bad_reports", jint(rp->bad_reports));
		if (rp->ka_waiting) {
			jset(o, "keepalive", json_string("waiting"));
			jset(o, "keepalive_in_ms", jint(registrar_pe_ka_in(rp)));
		} else if (whl_pending(&rp->ka)) {
			jset(o, "keepalive", json_string("ok"));
			jset(o, "keepalive_in_ms", jint(registrar_pe_ka_in(rp)));
		} else {
			jset(o, "keepalive", json_string("none"));
			jset(o, "keepalive_in_ms", json_null());
		}
	} else {
		/* Not registered here: ENRP keeps it, its home checks it. */
		jset(o, "bad_reports", jint(0));
		jset(o, "keepalive", json_string("remote"));
		jset(o, "keepalive_in_ms", json_null());
	}
	return o;
}

static json_t *
cmd_pes(struct registrar *r, int argc, char **argv)
{
	json_t *o, *a;
	struct hs_pool *pool, *only = NULL;
	struct hs_pe *pe;
	uint64_t now = ev_now(r->loop);

	if (argc > 0 && (only = pool_by_name(r, argv[0])) == NULL)
		return jerror("no pool \"%s\"", argv[0]);
	o = jobj();
	a = jarr();
	for (pool = only != NULL ? only : hs_pool_first(r->hs); pool != NULL;
	    pool = only != NULL ? NULL : hs_pool_next(pool))
		for (pe = hs_pe_first(pool); pe != NULL; pe = hs_pe_next(pe))
			jappend(a, pe_json(r, pe, now));
	jset(o, "pes", a);
	return o;
}

static json_t *
cmd_associations(struct registrar *r, int argc, char **argv)
{
	json_t *o = jobj(), *a = jarr(), *x;
	struct assoc *as;
	uint64_t now = ev_now(r->loop);
	char b[INET6_ADDRSTRLEN + 16];

	(void)argc;
	(void)argv;
	TAILQ_FOREACH(as, &r->assocs, entry) {
		x = jobj();
		jset(x, "id", jint(as->id));
		jset(x, "name", jstr(as->name));
		jset(x, "transport", json_string(
		    assoc_transport_name(as->transport)));
		control_sa_str(&as->peer, b, sizeof(b));
		jset(x, "peer", json_string(b));
		control_sa_str(&as->local, b, sizeof(b));
		jset(x, "local", json_string(b));
		jset(x, "age_s", jint(now > as->since ?
		    (now - as->since) / 1000 : 0));
		jset(x, "pes", jint(as->npes));
		jset(x, "rx_msgs", jint(as->rx_msgs));
		jset(x, "tx_msgs", jint(as->tx_msgs));
		/* TLS, and who authenticated (PSK identity, cert name) */
		jset(x, "tls", json_boolean(cn_tls_up(&as->cn)));
		jset(x, "identity", assoc_identity(as) != NULL ?
		    jstr(assoc_identity(as)) : json_null());
		jappend(a, x);
	}
	jset(o, "associations", a);
	return o;
}

/* What ENRP refused from outside its peers, by reason (issue 12). */
static json_t *
enrp_refused_json(const struct enrp_stats *st)
{
	json_t *o = jobj();
	int i;

	for (i = 0; i < ENRP_REFUSED_MAX; i++)
		jset(o, enrp_refusal_name((enum enrp_refusal)i),
		    jint(st->refused[i]));
	return o;
}

static json_t *
cmd_stats(struct registrar *r, int argc, char **argv)
{
	const struct reg_stats *s = &r->stats;
	json_t *o = jobj(), *st = jobj(), *m;
	char b[64], cs[8];
	unsigned int i;

	(void)argc;
	(void)argv;
	jset(st, "server_id", jhex32(r->server_id));
	jset(st, "node", jstr(r->conf.node_name));
	jset(st, "uptime_s", jint(uptime_ms(r) / 1000));
	jset(st, "pools", jint(hs_npools(r->hs)));
	jset(st, "pes", jint(hs_npes(r->hs)));
	jset(st, "own_pes", jint(hs_owner_count(r->hs, r->server_id)));
	snprintf(cs, sizeof(cs), "0x%04x", hs_checksum(r->hs, r->server_id));
	jset(st, "pe_checksum", json_string(cs));
	jset(st, "associations", jint(r->nassocs));

	m = jobj();
	for (i = 1; i <= ASAP_MSG_MAX; i++)
		jset(m, control_slug(rsp_msg_name(RSP_PROTO_ASAP, (uint8_t)i),
		    b, sizeof(b)), jint(s->rx_msgs[i]));
	jset(st, "messages_received", m);
	m = jobj();
	for (i = 1; i <= ASAP_MSG_MAX; i++)
		jset(m, control_slug(rsp_msg_name(RSP_PROTO_ASAP, (uint8_t)i),
		    b, sizeof(b)), jint(s->tx_msgs[i]));
	jset(st, "messages_sent", m);
	m = jobj();
	for (i = 0; i <= RSP_CAUSE_MAX; i++)
		jset(m, control_slug(rsp_cause_name((uint16_t)i), b, sizeof(b)),
		    jint(s->rx_errors[i]));
	jset(m, "other", jint(s->rx_errors[RSP_CAUSE_MAX + 1]));
	jset(st, "decode_errors", m);

#define C(f)	jset(st, #f, jint(s->f))
	C(rx_bytes);
	C(tx_bytes);
	C(registrations);
	C(reregistrations);
	C(registration_rejects);
	C(deregistrations);
	C(resolutions);
	C(resolution_misses);
	C(identity_answers);
	C(keepalives_sent);
	C(keepalive_timeouts);
	C(unreachable_reports);
	C(unreachable_removals);
	C(expirations);
	C(assoc_lost_removals);
	C(assocs_accepted);
	C(assocs_closed);
	C(assocs_refused);
	C(rate_limited);
	C(announces_sent);
	C(config_reloads);
	C(config_reload_failures);
	C(tls_handshakes);
	/* bounds against one bad client (issue 12) */
	C(foreign_refused);
	C(authz_refused);
	C(registrant_refused);
	C(unreachable_plain);
	C(reports_forwarded);
	C(reports_from_peers);
	C(report_probes);
	C(report_verified);
	C(unreachable_repeats);
	C(idle_closed);
	C(message_timeouts);
	C(assocs_refused_source);
	C(assocs_refused_fds);
	C(assocs_evicted);
	C(send_queue_closed);
	C(send_budget_closed);
#undef C
	{	/* batched system calls (issue 14; io-batching) */
		struct cn_batch_stats bs;

		cn_batch_stats(r->loop, &bs);
		jset(st, "io_batching", json_boolean(bs.on));
		jset(st, "io_batch_calls", jint(bs.batches));
		jset(st, "io_batch_requests", jint(bs.requests));
	}
	{	/* failed TLS handshakes by reason */
		json_t *tf = jobj();
		size_t k;

		for (k = 0; k < REG_TLS_FAIL_MAX; k++)
			if (k != TLS_FAIL_NONE)
				jset(tf, reg_tls_fail_name(k),
				    jint(s->tls_failures[k]));
		jset(st, "tls_handshake_failures", tf);
	}
	/* ENRP refusals by reason (issue 12); also in "show peers" */
	if (enrp_get_stats(r->enrp) != NULL)
		jset(st, "enrp_refused", enrp_refused_json(enrp_get_stats(
		    r->enrp)));
	jset(o, "stats", st);
	return o;
}

static json_t *
cmd_summary(struct registrar *r, int argc, char **argv)
{
	json_t *o = jobj(), *s = jobj(), *ls = jarr(), *l;
	char b[INET6_ADDRSTRLEN + 16];
	size_t i;

	(void)argc;
	(void)argv;
	jset(s, "server_id", jhex32(r->server_id));
	jset(s, "node", jstr(r->conf.node_name));
	jset(s, "uptime_s", jint(uptime_ms(r) / 1000));
	jset(s, "pools", jint(hs_npools(r->hs)));
	jset(s, "pes", jint(hs_npes(r->hs)));
	jset(s, "own_pes", jint(hs_owner_count(r->hs, r->server_id)));
	jset(s, "associations", jint(r->nassocs));
	for (i = 0; i < r->nlisteners; i++) {
		l = jobj();
		jset(l, "transport", json_string(
		    assoc_transport_name(r->listeners[i].transport)));
		control_sa_str(&r->listeners[i].ss, b, sizeof(b));
		jset(l, "address", json_string(b));
		jappend(ls, l);
	}
	jset(s, "listeners", ls);
	jset(s, "sctp_available", json_boolean(r->sctp_ok));
	jset(s, "announce", json_boolean(r->conf.announce));
	jset(s, "metrics", json_boolean(r->conf.metrics));
	if (r->conf.metrics) {
		control_sa_str(&r->conf.metrics_ss, b, sizeof(b));
		jset(s, "metrics_address", json_string(b));
	}
	jset(s, "control_clients", jint(ctlsock_nclients(ctl.cs)));
	/* ENRP: healthd announces the anycast address only when synchronized. */
	jset(s, "enrp", json_boolean(r->enrp != NULL));
	jset(s, "synchronized", json_boolean(enrp_synchronized(r->enrp)));
	if (enrp_mentor(r->enrp) != 0)
		jset(s, "mentor", jhex32(enrp_mentor(r->enrp)));
	else
		jset(s, "mentor", json_null());
	jset(s, "enrp_peers", jint(enrp_peer_count(r->enrp)));
	jset(o, "summary", s);
	return o;
}

/* The ENRP peer list (RFC 5353 §3.4) with each peer's checksum audit. */
static json_t *
cmd_peers(struct registrar *r, int argc, char **argv)
{
	json_t *o = jobj(), *a = jarr(), *x, *m;
	const struct enrp *e = r->enrp;
	const struct enrp_stats *st = enrp_get_stats(e);
	struct enrp_peer_view pv, *p = &pv;
	const void *cur = NULL;
	uint64_t now = ev_now(r->loop), synced_ms;
	char b[INET6_ADDRSTRLEN + 16], cs[8], slug[64];
	unsigned int i;

	(void)argc;
	(void)argv;
	jset(o, "server_id", jhex32(r->server_id));
	snprintf(cs, sizeof(cs), "0x%04x", hs_checksum(r->hs, r->server_id));
	jset(o, "pe_checksum", json_string(cs));
	jset(o, "synchronized", json_boolean(enrp_synchronized(e)));
	if (st != NULL) {
		while (enrp_peer_next(e, &cur, &pv)) {
			x = jobj();
			jset(x, "id", p->id != 0 ? jhex32(p->id) : json_null());
			control_sa_str(&p->addr, b, sizeof(b));
			jset(x, "address", json_string(b));
			jset(x, "state", json_string(enrp_peer_state_name(
			    p->state)));
			jset(x, "configured", json_boolean(p->configured));
			jset(x, "connected", json_boolean(p->connected));
			jset(x, "tls", json_boolean(p->tls));
			jset(x, "last_heard_ms_ago", p->id != 0 ?
			    jint(now - p->last_heard) : json_null());
			jset(x, "pes", jint(p->id != 0 ?
			    hs_owner_count(r->hs, p->id) : 0));
			snprintf(cs, sizeof(cs), "0x%04x", p->checksum);
			jset(x, "checksum", p->has_checksum ?
			    json_string(cs) : json_null());
			snprintf(cs, sizeof(cs), "0x%04x", p->id != 0 ?
			    hs_checksum(r->hs, p->id) : 0xffff);
			jset(x, "local_checksum", json_string(cs));
			jset(x, "checksum_ok", json_boolean(p->has_checksum &&
			    p->checksum == hs_checksum(r->hs, p->id)));
			jset(x, "rx_msgs", jint(p->rx_msgs));
			jappend(a, x);
		}
		m = jobj();
		for (i = 1; i <= ENRP_MSG_MAX; i++)
			jset(m, control_slug(rsp_msg_name(RSP_PROTO_ENRP,
			    (uint8_t)i), slug, sizeof(slug)),
			    jint(st->rx_msgs[i]));
		jset(o, "messages_received", m);
#define C(f)	jset(o, #f, jint(st->f))
		C(rx_errors);
		C(tx_dropped);
		C(takeovers);
		C(takeovers_lost);
		C(takeovers_abandoned);
		C(stalls);
		C(pes_taken_over);
		C(checksum_mismatches);
		C(audits_completed);
		C(audit_removals);
		C(updates_applied);
		C(updates_rejected);
		C(downloads);
		C(download_pes);
		C(peers_dead);
		C(mcast_sent);
		C(mcast_received);
		C(mcast_errors);
		C(peers_discovered);
		C(home_change_pes);
		C(home_change_failures);
#undef C
		jset(o, "refused", enrp_refused_json(st));
		jset(o, "synchronized_after_ms", enrp_sync_time(e, &synced_ms) ?
		    jint(synced_ms) : json_null());
	}
	jset(o, "peers", a);
	return o;
}

static json_t *cmd_help(struct registrar *, int, char **);

static const struct ctl_cmd {
	const char	*name;		/* words, one space apart */
	const char	*args;		/* for help */
	int		 maxargs;
	json_t		*(*fn)(struct registrar *, int, char **);
} ctl_cmds[] = {
	{ "show summary",	"",		0, cmd_summary },
	{ "show pools",		"",		0, cmd_pools },
	{ "show pes",		" [POOL]",	1, cmd_pes },
	{ "show associations",	"",		0, cmd_associations },
	{ "show stats",		"",		0, cmd_stats },
	{ "show peers",		"",		0, cmd_peers },
	{ "help",		"",		0, cmd_help },
};

static json_t *
commands_json(void)
{
	json_t *a = jarr();
	char b[128];
	size_t i;

	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		snprintf(b, sizeof(b), "%s%s", ctl_cmds[i].name,
		    ctl_cmds[i].args);
		jappend(a, json_string(b));
	}
	return a;
}

static json_t *
cmd_help(struct registrar *r, int argc, char **argv)
{
	json_t *o = jobj();

	(void)r;
	(void)argc;
	(void)argv;
	jset(o, "commands", commands_json());
	return o;
}

/* Number of leading words of argv that make up name, or 0. */
static int
cmd_match(const char *name, int argc, char **argv)
{
	int n = 0;
	size_t l;

	while (*name != '\0') {
		l = strcspn(name, " ");
		if (n >= argc || strlen(argv[n]) != l ||
		    strncmp(argv[n], name, l) != 0)
			return 0;
		n++;
		name += l;
		if (*name == ' ')
			name++;
	}
	return n;
}

/*
 * Answer one request line (without its newline): a JSON object, never
 * NULL.  Words are separated by blanks; at most CTL_MAX_WORDS.
 */
json_t *
control_command(struct registrar *r, const char *line)
{
	char buf[CTL_LINE_MAX + 1], *argv[CTL_MAX_WORDS], *p, *save = NULL;
	int argc = 0, n;
	size_t i;
	json_t *o;

	if (strlen(line) > CTL_LINE_MAX)
		return jerror("request longer than %d bytes", CTL_LINE_MAX);
	snprintf(buf, sizeof(buf), "%s", line);
	for (p = strtok_r(buf, " \t\r", &save); p != NULL;
	    p = strtok_r(NULL, " \t\r", &save)) {
		if (argc == CTL_MAX_WORDS)
			return jerror("more than %d words", CTL_MAX_WORDS);
		argv[argc++] = p;
	}
	if (argc == 0) {
		o = jerror("empty request");
		jset(o, "commands", commands_json());
		return o;
	}
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		if ((n = cmd_match(ctl_cmds[i].name, argc, argv)) == 0)
			continue;
		if (argc - n > ctl_cmds[i].maxargs) {
			o = jerror("too many arguments: usage: %s%s",
			    ctl_cmds[i].name, ctl_cmds[i].args);
			jset(o, "commands", commands_json());
			return o;
		}
		return ctl_cmds[i].fn(r, argc - n, argv + n);
	}
	o = jerror("unknown command \"%s\"", line);
	jset(o, "commands", commands_json());
	return o;
}

/* The socket ------------------------------------------------------------ */

/* lib/ctlsock.c's command callback. */
static char *
ctl_answer(void *arg, const char *line)
{
	return ctlsock_json_text(control_command(arg, line));
}

int
control_start(struct registrar *r)
{
	char err[256];
	int rc;

	ctl.r = r;
	if ((rc = ctlsock_open(r->loop, r->conf.control_socket, ctl_answer, r,
	    &ctl.cs, err, sizeof(err))) != 0) {
		log_warnx("control: %s", err);
		return rc;
	}
	log_info("control socket %s", ctlsock_path(ctl.cs));
	if ((rc = metrics_start(r)) != 0) {
		ctlsock_close(ctl.cs);
		ctl.cs = NULL;
		return rc;
	}
	return 0;
}

void
control_stop(struct registrar *r)
{
	(void)r;
	metrics_stop();
	ctlsock_close(ctl.cs);
	ctl.cs = NULL;
}

void
control_reconfigure(struct registrar *r)
{
	char err[256], old[sizeof(r->conf.control_socket)];

	ctl.r = r;
	if (ctl.cs != NULL &&
	    strcmp(ctlsock_path(ctl.cs), r->conf.control_socket) != 0) {
		snprintf(old, sizeof(old), "%s", ctlsock_path(ctl.cs));
		/* The new one is opened first: on failure the old one stays. */
		if (ctlsock_move(ctl.cs, r->conf.control_socket, err,
		    sizeof(err)) != 0)
			log_warnx("control: %s; keeping %s", err, old);
		else
			log_info("control socket moved from %s to %s", old,
			    r->conf.control_socket);
	}
	metrics_reconfigure(r);
}
