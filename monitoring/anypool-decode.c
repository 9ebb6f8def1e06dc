/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * anypool-decode: print ASAP (RFC 5352) and ENRP (RFC 5353) messages the way
 * bgpdump prints BGP, one line per message, as text or JSON (jansson).  Input
 * is a packet capture (pcap/pcapng read through pcap_read.c: SCTP PPID 11/12,
 * UDP and the TCP mapping on ports 3863/9901) or lines of hex, one message a
 * line.  Decoding is lib/codec.c's; this file only formats its views.  Exit
 * status: 0 all decoded, 1 a malformed message was seen, 2 usage or file
 * errors.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "pcap_read.h"

#define PROG		"anypool-decode"
#define HEX_LINE_MAX	(2 * RSP_MSG_MAX_LEN + 8)

struct decode_opts {
	bool		 json;
	enum rsp_proto	 proto;		/* for hex lines without a prefix */
	bool		 show_file;	/* several files: name each line */
};

struct decode_stats {
	unsigned long	 messages;
	unsigned long	 malformed;
	unsigned long	 notes;
	bool		 file_error;
};

/* Where a message came from, for the start of its line. */
struct origin {
	const char		*file;
	unsigned long		 no;		/* frame or line number */
	bool			 is_line;
	const struct pcr_msg	*pm;		/* NULL for hex lines */
};

struct decode_ctx {
	const struct decode_opts *o;
	struct decode_stats	*st;
	const char		*file;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: " PROG " [--json] [--proto asap|enrp] FILE...\n"
	    "       FILE is a pcap/pcapng capture or text with one hex "
	    "message a line;\n"
	    "       '-' reads standard input.\n");
}

/* ---- small formatting helpers ---------------------------------------- */

static const char *
proto_name(enum rsp_proto p)
{
	return p == RSP_PROTO_ENRP ? "ENRP" : "ASAP";
}

/*
 * One token for the message name: the codec's name without a protocol
 * prefix, words joined in CamelCase ("Keep-Alive Ack" -> "KeepAliveAck").
 */
static const char *
msg_token(enum rsp_proto proto, uint8_t type, char *buf, size_t len)
{
	const char *n = rsp_msg_name(proto, type);
	size_t o = 0;
	bool up = true;

	if (strncasecmp(n, "ASAP", 4) == 0 || strncasecmp(n, "ENRP", 4) == 0)
		if (n[4] == '_' || n[4] == ' ')
			n += 5;
	for (; *n != '\0' && o + 1 < len; n++) {
		if (*n == '_' || *n == ' ' || *n == '-') {
			up = true;
			continue;
		}
		if (!isalnum((unsigned char)*n))
			continue;
		buf[o++] = up ? (char)toupper((unsigned char)*n) :
		    (char)tolower((unsigned char)*n);
		up = false;
	}
	buf[o] = '\0';
	if (o == 0 || strcmp(buf, "Unknown") == 0)
		snprintf(buf, len, "Type0x%02x", type);
	return buf;
}

static void
hex_str(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static json_t *
json_hex(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	json_t *j;

	if (s == NULL)
		return json_null();
	hex_str(p, n, s);
	j = json_string(s);
	free(s);
	return j;
}

/* Printable ASCII as is, everything else as \xNN: safe in a line. */
static char *
handle_str(const struct rsp_bytes *h)
{
	char *s = malloc((size_t)h->len * 4 + 1);
	size_t i, o = 0;

	if (s == NULL)
		return NULL;
	for (i = 0; i < h->len; i++) {
		uint8_t c = h->p[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			s[o++] = (char)c;
		else
			o += (size_t)sprintf(s + o, "\\x%02x", c);
	}
	s[o] = '\0';
	return s;
}

static void
print_handle(FILE *fp, const struct rsp_bytes *h)
{
	char *s = handle_str(h);

	fprintf(fp, "\"%s\"", s ? s : "?");
	free(s);
}

static const char *
transport_kind(uint16_t type)
{
	switch (type) {
	case RSP_PARAM_SCTP_TRANSPORT:
		return "sctp";
	case RSP_PARAM_TCP_TRANSPORT:
		return "tcp";
	case RSP_PARAM_UDP_TRANSPORT:
		return "udp";
	case RSP_PARAM_UDPLITE_TRANSPORT:
		return "udplite";
	case RSP_PARAM_DCCP_TRANSPORT:
		return "dccp";
	case RSP_PARAM_OPAQUE_TRANSPORT:
		return "opaque";
	default:
		return "unknown";
	}
}

static const char *
use_name(uint16_t use)
{
	return use == RSP_TRANSPORT_USE_DATA ? "data" :
	    use == RSP_TRANSPORT_USE_DATA_CONTROL ? "data+control" : "invalid";
}

/* sctp:{192.0.2.10,2001:db8::1}:7/data+control, tcp:192.0.2.10:80 */
static void
print_transport(FILE *fp, const struct rsp_transport *t)
{
	char a[64];
	uint8_t i;

	fprintf(fp, "%s:", transport_kind(t->type));
	if (t->type == RSP_PARAM_OPAQUE_TRANSPORT) {
		fprintf(fp, "<%u bytes>", t->opaque.len);
		return;
	}
	/* Brackets keep an IPv6 address apart from the port. */
	if (t->naddr != 1)
		fputc('{', fp);
	for (i = 0; i < t->naddr; i++) {
		bool v6 = t->naddr == 1 && t->addr[i].family == AF_INET6;

		rsp_addr_str(&t->addr[i], a, sizeof(a));
		fprintf(fp, "%s%s%s%s", i ? "," : "", v6 ? "[" : "", a,
		    v6 ? "]" : "");
	}
	if (t->naddr != 1)
		fputc('}', fp);
	fprintf(fp, ":%u", t->port);
	if (t->type == RSP_PARAM_SCTP_TRANSPORT ||
	    (t->type == RSP_PARAM_TCP_TRANSPORT && t->use != 0))
		fprintf(fp, "/%s", use_name(t->use));
	if (t->type == RSP_PARAM_DCCP_TRANSPORT)
		fprintf(fp, "/sc=%u", t->service_code);
}

static json_t *
json_transport(const struct rsp_transport *t)
{
	json_t *j = json_object(), *addrs = json_array();
	char a[64];
	uint8_t i;

	json_object_set_new(j, "type", json_string(transport_kind(t->type)));
	json_object_set_new(j, "param_type", json_integer(t->type));
	if (t->type == RSP_PARAM_OPAQUE_TRANSPORT) {
		json_object_set_new(j, "opaque", json_hex(t->opaque.p,
		    t->opaque.len));
		json_decref(addrs);
		return j;
	}
	json_object_set_new(j, "port", json_integer(t->port));
	for (i = 0; i < t->naddr; i++)
		json_array_append_new(addrs,
		    json_string(rsp_addr_str(&t->addr[i], a, sizeof(a))));
	json_object_set_new(j, "addresses", addrs);
	if (t->type == RSP_PARAM_SCTP_TRANSPORT ||
	    t->type == RSP_PARAM_TCP_TRANSPORT) {
		json_object_set_new(j, "transport_use", json_integer(t->use));
		json_object_set_new(j, "transport_use_name",
		    json_string(use_name(t->use)));
	} else if (t->use != 0)
		json_object_set_new(j, "reserved", json_integer(t->use));
	if (t->type == RSP_PARAM_DCCP_TRANSPORT)
		json_object_set_new(j, "service_code",
		    json_integer(t->service_code));
	return j;
}

/* RFC 5356 abbreviations and the names of each policy's fields. */
static const struct policy_fmt {
	uint32_t	 type;
	const char	*abbr;
	const char	*field[RSP_POLICY_MAX_VALUES];
} policy_fmts[] = {
	{ RSP_POLICY_ROUND_ROBIN, "RR", { NULL } },
	{ RSP_POLICY_WEIGHTED_ROUND_ROBIN, "WRR", { "weight" } },
	{ RSP_POLICY_RANDOM, "RAND", { NULL } },
	{ RSP_POLICY_WEIGHTED_RANDOM, "WRAND", { "weight" } },
	{ RSP_POLICY_PRIORITY, "PRIO", { "priority" } },
	{ RSP_POLICY_LEAST_USED, "LU", { "load" } },
	{ RSP_POLICY_LEAST_USED_DEGRADATION, "LUD",
	    { "load", "degradation" } },
	{ RSP_POLICY_PRIORITY_LEAST_USED, "PLU", { "load", "degradation" } },
	{ RSP_POLICY_RANDOMIZED_LEAST_USED, "RLU", { "load" } },
};

static const struct policy_fmt *
policy_fmt(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(policy_fmts) / sizeof(policy_fmts[0]); i++)
		if (policy_fmts[i].type == type)
			return &policy_fmts[i];
	return NULL;
}

/* WRR(weight=5), LUD(load=0x40000000,degradation=0x100), 0xb0001001(...) */
static void
print_policy(FILE *fp, const struct rsp_policy *p)
{
	const struct policy_fmt *pf = policy_fmt(p->type);
	uint8_t i;

	if (pf != NULL)
		fputs(pf->abbr, fp);
	else
		fprintf(fp, "0x%08x", p->type);
	if (p->nval == 0)
		return;
	fputc('(', fp);
	for (i = 0; i < p->nval && i < RSP_POLICY_MAX_VALUES; i++) {
		const char *fn = pf && pf->field[i] ? pf->field[i] : NULL;
		bool load = fn && (strcmp(fn, "load") == 0 ||
		    strcmp(fn, "degradation") == 0);

		if (i)
			fputc(',', fp);
		if (fn)
			fprintf(fp, "%s=", fn);
		if (load)	/* 0..0xffffffff is 0..100 % (RFC 5356) */
			fprintf(fp, "%.2f%%", p->val[i] * 100.0 / 4294967295.0);
		else
			fprintf(fp, "%u", p->val[i]);
	}
	fputc(')', fp);
}

static json_t *
json_policy(const struct rsp_policy *p)
{
	const struct policy_fmt *pf = policy_fmt(p->type);
	json_t *j = json_object(), *vals = json_array();
	uint8_t i;

	json_object_set_new(j, "type", json_integer(p->type));
	json_object_set_new(j, "name", json_string(rsp_policy_name(p->type)));
	for (i = 0; i < p->nval && i < RSP_POLICY_MAX_VALUES; i++) {
		json_array_append_new(vals, json_integer(p->val[i]));
		if (pf && pf->field[i])
			json_object_set_new(j, pf->field[i],
			    json_integer(p->val[i]));
	}
	json_object_set_new(j, "values", vals);
	return j;
}

static void
print_pe(FILE *fp, const struct rsp_pe *pe)
{
	fprintf(fp, "pe=0x%08x home=0x%08x life=", pe->id, pe->home_id);
	if (pe->life == RSP_LIFE_INFINITE)
		fputs("infinite", fp);
	else
		fprintf(fp, "%d", pe->life);
	fputs(" user=", fp);
	print_transport(fp, &pe->user);
	fputs(" policy=", fp);
	print_policy(fp, &pe->policy);
	if (pe->has_asap) {
		fputs(" asap=", fp);
		print_transport(fp, &pe->asap);
	}
}

static json_t *
json_pe(const struct rsp_pe *pe)
{
	json_t *j = json_object();

	json_object_set_new(j, "pe_id", json_integer(pe->id));
	json_object_set_new(j, "home_server_id", json_integer(pe->home_id));
	json_object_set_new(j, "registration_life", json_integer(pe->life));
	json_object_set_new(j, "user_transport", json_transport(&pe->user));
	json_object_set_new(j, "policy", json_policy(&pe->policy));
	if (pe->has_asap)
		json_object_set_new(j, "asap_transport",
		    json_transport(&pe->asap));
	return j;
}

static void
print_server_info(FILE *fp, const struct rsp_server_info *si)
{
	fprintf(fp, "server=0x%08x ", si->id);
	print_transport(fp, &si->transport);
}

static json_t *
json_server_info(const struct rsp_server_info *si)
{
	json_t *j = json_object();

	json_object_set_new(j, "server_id", json_integer(si->id));
	json_object_set_new(j, "transport", json_transport(&si->transport));
	return j;
}

static void
print_causes(FILE *fp, const struct rsp_op_error *e)
{
	uint8_t i;

	fputs("causes=[", fp);
	for (i = 0; i < e->ncause; i++) {
		const struct rsp_cause *c = &e->cause[i];

		fprintf(fp, "%s%s", i ? ", " : "", rsp_cause_name(c->code));
		if (c->code == RSP_CAUSE_UNRECOGNIZED_PARAM && c->info.len >= 4)
			fprintf(fp, " (param 0x%04x len %u)",
			    get_u16(c->info.p), get_u16(c->info.p + 2));
		else if (c->code == RSP_CAUSE_UNRECOGNIZED_MSG &&
		    c->info.len >= 4)
			fprintf(fp, " (type 0x%02x len %u)", c->info.p[0],
			    get_u16(c->info.p + 2));
		else if (c->info.len > 0)
			fprintf(fp, " (%u bytes)", c->info.len);
	}
	fputc(']', fp);
}

static json_t *
json_causes(const struct rsp_op_error *e)
{
	json_t *a = json_array();
	uint8_t i;

	for (i = 0; i < e->ncause; i++) {
		const struct rsp_cause *c = &e->cause[i];
		json_t *j = json_object();

		json_object_set_new(j, "code", json_integer(c->code));
		json_object_set_new(j, "name",
		    json_string(rsp_cause_name(c->code)));
		json_object_set_new(j, "info", json_hex(c->info.p,
		    c->info.len));
		if (c->code == RSP_CAUSE_UNRECOGNIZED_PARAM &&
		    c->info.len >= 4) {
			json_object_set_new(j, "param_type",
			    json_integer(get_u16(c->info.p)));
			json_object_set_new(j, "param_name",
			    json_string(rsp_param_name(get_u16(c->info.p))));
		}
		json_array_append_new(a, j);
	}
	return a;
}

static const char *
flag_names(enum rsp_proto proto, uint8_t type, uint8_t flags, char *buf,
    size_t len)
{
	static const struct {
		enum rsp_proto	 proto;
		uint8_t		 type, bit;
		const char	*name;
	} fl[] = {
		{ RSP_PROTO_ASAP, ASAP_REGISTRATION_RESPONSE,
		    ASAP_FLAG_REJECT, "R" },
		{ RSP_PROTO_ASAP, ASAP_HANDLE_RESOLUTION,
		    ASAP_FLAG_SUBSCRIBE, "S" },
		{ RSP_PROTO_ASAP, ASAP_HANDLE_RESOLUTION_RESPONSE,
		    ASAP_FLAG_ACCEPT_UPDATES, "A" },
		{ RSP_PROTO_ASAP, ASAP_ENDPOINT_KEEP_ALIVE, ASAP_FLAG_HOME,
		    "H" },
		{ RSP_PROTO_ENRP, ENRP_PRESENCE, ENRP_FLAG_REPLY_REQUIRED,
		    "R" },
		{ RSP_PROTO_ENRP, ENRP_HANDLE_TABLE_REQUEST,
		    ENRP_FLAG_OWN_CHILDREN_ONLY, "W" },
		{ RSP_PROTO_ENRP, ENRP_HANDLE_TABLE_RESPONSE,
		    ENRP_FLAG_REJECT, "R" },
		{ RSP_PROTO_ENRP, ENRP_HANDLE_TABLE_RESPONSE,
		    ENRP_FLAG_MORE_TO_SEND, "M" },
		{ RSP_PROTO_ENRP, ENRP_HANDLE_UPDATE,
		    ENRP_FLAG_TAKEOVER_SUGGESTED, "T" },
		{ RSP_PROTO_ENRP, ENRP_LIST_RESPONSE, ENRP_FLAG_REJECT, "R" },
	};
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		if (fl[i].proto == proto && fl[i].type == type &&
		    (flags & fl[i].bit) && o + 3 < len) {
			if (o)
				buf[o++] = ',';
			o += (size_t)snprintf(buf + o, len - o, "%s",
			    fl[i].name);
		}
	return buf;
}

static json_t *
json_flag_array(const char *names)
{
	json_t *a = json_array();
	char tmp[32], *save = NULL, *tok;

	snprintf(tmp, sizeof(tmp), "%s", names);
	for (tok = strtok_r(tmp, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		json_array_append_new(a, json_string(tok));
	return a;
}

/* ---- one message ------------------------------------------------------- */

static void
origin_text(FILE *fp, const struct decode_opts *o, const struct origin *org)
{
	char s[80], d[80];

	if (o->show_file)
		fprintf(fp, "%s:", org->file);
	if (org->pm == NULL) {
		fprintf(fp, "%lu - - > -", org->no);
		return;
	}
	fprintf(fp, "%lu %.6f %s > %s", org->no, org->pm->rel_time,
	    pcr_endpoint_str(org->pm, true, s, sizeof(s)),
	    pcr_endpoint_str(org->pm, false, d, sizeof(d)));
}

static json_t *
origin_json(const struct origin *org)
{
	json_t *j = json_object();
	const struct pcr_msg *pm = org->pm;
	char s[80], ts[64];
	struct tm tm;
	time_t sec;

	json_object_set_new(j, "file", json_string(org->file));
	json_object_set_new(j, org->is_line ? "line" : "frame",
	    json_integer((json_int_t)org->no));
	if (pm == NULL)
		return j;
	sec = pm->ts.tv_sec;
	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%06ldZ",
	    (long)pm->ts.tv_usec);
	json_object_set_new(j, "time", json_string(ts));
	json_object_set_new(j, "rel_time", json_real(pm->rel_time));
	json_object_set_new(j, "src",
	    json_string(pcr_endpoint_str(pm, true, s, sizeof(s))));
	json_object_set_new(j, "dst",
	    json_string(pcr_endpoint_str(pm, false, s, sizeof(s))));
	json_object_set_new(j, "transport", json_string(
	    pm->ipproto == IPPROTO_SCTP ? "sctp" :
	    pm->ipproto == IPPROTO_TCP ? "tcp" : "udp"));
	if (pm->ipproto == IPPROTO_SCTP) {
		json_object_set_new(j, "sctp_tsn", json_integer(pm->tsn));
		json_object_set_new(j, "sctp_stream",
		    json_integer(pm->stream));
		json_object_set_new(j, "sctp_ppid", json_integer(pm->ppid));
	}
	if (pm->kind == PCR_MSG && pm->note[0] != '\0')
		json_object_set_new(j, "reassembly", json_string(pm->note));
	return j;
}

static void
emit_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
}

/* Items of a message, as text and into the JSON object. */
static void
print_items(FILE *fp, json_t *j, const struct rsp_msg *m)
{
	struct rsp_iter it;
	struct rsp_bytes h, cur = { NULL, 0 };
	struct rsp_pe pe;
	struct rsp_transport t;
	struct rsp_server_info si;
	json_t *arr = json_array(), *entry = NULL, *pes = NULL;
	unsigned npools = 0, n = 0;

	rsp_iter_init(&it, m);
	if (m->proto == RSP_PROTO_ASAP && m->type == ASAP_SERVER_ANNOUNCE) {
		fprintf(fp, " transports=%u", m->nitems);
		while (rsp_iter_transport(&it, &t) == 1) {
			fputc(' ', fp);
			print_transport(fp, &t);
			json_array_append_new(arr, json_transport(&t));
		}
		json_object_set_new(j, "transports", arr);
		return;
	}
	if (m->proto == RSP_PROTO_ENRP && m->type == ENRP_LIST_RESPONSE) {
		fprintf(fp, " servers=%u", m->nitems);
		while (rsp_iter_server_info(&it, &si) == 1) {
			fputs(" [", fp);
			print_server_info(fp, &si);
			fputc(']', fp);
			json_array_append_new(arr, json_server_info(&si));
		}
		json_object_set_new(j, "servers", arr);
		return;
	}
	if (m->proto == RSP_PROTO_ENRP &&
	    m->type == ENRP_HANDLE_TABLE_RESPONSE) {
		/* Pool entries: a handle, then its PEs. */
		char *hb = NULL;
		size_t hl = 0;
		FILE *body = open_memstream(&hb, &hl);

		if (body == NULL) {
			json_decref(arr);
			return;
		}
		while (rsp_iter_pe(&it, &h, &pe) == 1) {
			if (entry == NULL || h.len != cur.len ||
			    (h.len && memcmp(h.p, cur.p, h.len) != 0)) {
				char *hs = handle_str(&h);

				cur = h;
				npools++;
				entry = json_object();
				pes = json_array();
				json_object_set_new(entry, "pool_handle",
				    json_string(hs ? hs : ""));
				json_object_set_new(entry, "pool_handle_hex",
				    json_hex(h.p, h.len));
				json_object_set_new(entry, "pool_elements",
				    pes);
				json_array_append_new(arr, entry);
				fputs(" handle=", body);
				print_handle(body, &h);
				free(hs);
			}
			n++;
			fputs(" [", body);
			print_pe(body, &pe);
			fputc(']', body);
			json_array_append_new(pes, json_pe(&pe));
		}
		fclose(body);
		fprintf(fp, " pools=%u pes=%u%s", npools, n, hb ? hb : "");
		free(hb);
		json_object_set_new(j, "pool_entries", arr);
		return;
	}
	if ((m->proto == RSP_PROTO_ASAP &&
	    (m->type == ASAP_HANDLE_RESOLUTION_RESPONSE ||
	    m->type == ASAP_BUSINESS_CARD))) {
		fprintf(fp, " pes=%u", m->nitems);
		while (rsp_iter_pe(&it, NULL, &pe) == 1) {
			fputs(" [", fp);
			print_pe(fp, &pe);
			fputc(']', fp);
			json_array_append_new(arr, json_pe(&pe));
		}
		json_object_set_new(j, "pool_elements", arr);
		return;
	}
	json_decref(arr);
}

static void
print_fields(FILE *fp, json_t *j, const struct rsp_msg *m)
{
	if (m->proto == RSP_PROTO_ENRP) {
		fprintf(fp, " sender=0x%08x receiver=0x%08x", m->sender_id,
		    m->receiver_id);
		json_object_set_new(j, "sender_server_id",
		    json_integer(m->sender_id));
		json_object_set_new(j, "receiver_server_id",
		    json_integer(m->receiver_id));
		if (m->type == ENRP_INIT_TAKEOVER ||
		    m->type == ENRP_INIT_TAKEOVER_ACK ||
		    m->type == ENRP_TAKEOVER_SERVER) {
			fprintf(fp, " target=0x%08x", m->target_id);
			json_object_set_new(j, "target_server_id",
			    json_integer(m->target_id));
		}
		if (m->type == ENRP_HANDLE_UPDATE) {
			const char *a = m->update_action == ENRP_ADD_PE ?
			    "ADD_PE" : m->update_action == ENRP_DEL_PE ?
			    "DEL_PE" : "invalid";

			fprintf(fp, " action=%s", a);
			json_object_set_new(j, "update_action",
			    json_integer(m->update_action));
			json_object_set_new(j, "update_action_name",
			    json_string(a));
		}
	} else if (m->type == ASAP_ENDPOINT_KEEP_ALIVE ||
	    m->type == ASAP_SERVER_ANNOUNCE) {
		fprintf(fp, " server=0x%08x", m->server_id);
		json_object_set_new(j, "server_id", json_integer(m->server_id));
	}
	if (m->has_handle) {
		char *hs = handle_str(&m->handle);

		fputs(" handle=", fp);
		print_handle(fp, &m->handle);
		json_object_set_new(j, "pool_handle", json_string(hs ? hs : ""));
		json_object_set_new(j, "pool_handle_hex",
		    json_hex(m->handle.p, m->handle.len));
		free(hs);
	}
	if (m->has_pe_id) {
		fprintf(fp, " pe_id=0x%08x", m->pe_id);
		json_object_set_new(j, "pe_id", json_integer(m->pe_id));
	}
	if (m->has_hropt) {
		if (m->hropt_items == RSP_HROPT_ITEMS_MAX)
			fputs(" items=max", fp);
		else
			fprintf(fp, " items=%u", m->hropt_items);
		json_object_set_new(j, "hropt_items",
		    json_integer(m->hropt_items));
	}
	if (m->has_regid && !m->regid_answer) {
		fputs(" registrar=?", fp);
		json_object_set_new(j, "registrar_identity_request",
		    json_true());
	} else if (m->has_regid) {
		json_t *r = json_object();

		fprintf(fp, " registrar=0x%08x/", m->regid_server_id);
		print_handle(fp, &m->regid_node);	/* escaped, quoted */
		json_object_set_new(r, "server_id",
		    json_integer(m->regid_server_id));
		json_object_set_new(r, "node", json_stringn((const char *)
		    m->regid_node.p, m->regid_node.len));
		json_object_set_new(j, "registrar_identity", r);
	}
	if (m->has_policy) {
		fputs(" policy=", fp);
		print_policy(fp, &m->policy);
		json_object_set_new(j, "policy", json_policy(&m->policy));
	}
	if (m->has_pe) {
		fputc(' ', fp);
		print_pe(fp, &m->pe);
		json_object_set_new(j, "pool_element", json_pe(&m->pe));
	}
	if (m->has_checksum) {
		fprintf(fp, " checksum=0x%04x", m->checksum);
		json_object_set_new(j, "checksum", json_integer(m->checksum));
	}
	if (m->has_server_info) {
		fputs(" info=[", fp);
		print_server_info(fp, &m->server_info);
		fputc(']', fp);
		json_object_set_new(j, "server_info",
		    json_server_info(&m->server_info));
	}
	if (m->has_cookie) {
		fprintf(fp, " cookie=%ub", m->cookie.len);
		json_object_set_new(j, "cookie", json_hex(m->cookie.p,
		    m->cookie.len));
	}
	print_items(fp, j, m);
	if (m->has_error) {
		fputc(' ', fp);
		print_causes(fp, &m->error);
		json_object_set_new(j, "causes", json_causes(&m->error));
	}
	if (m->nunrec > 0) {
		json_t *a = json_array();
		uint8_t i;

		fputs(" unrecognized=[", fp);
		for (i = 0; i < m->nunrec; i++) {
			const struct rsp_bytes *u = &m->unrec[i];

			if (u->len >= 4)
				fprintf(fp, "%s0x%04x len %u", i ? ", " : "",
				    get_u16(u->p), get_u16(u->p + 2));
			json_array_append_new(a, json_hex(u->p, u->len));
		}
		fputc(']', fp);
		json_object_set_new(j, "unrecognized_params", a);
	}
}

static void
decode_one(struct decode_ctx *c, const struct origin *org,
    enum rsp_proto proto, const uint8_t *p, size_t len)
{
	struct rsp_msg m;
	struct rsp_err err;
	char *body = NULL, tok[64], fl[16];
	size_t blen = 0;
	FILE *fp;
	json_t *j = origin_json(org);
	int rc;

	memset(&err, 0, sizeof(err));
	/* A reader, not a registrar: no limit on pool handles but the wire's. */
	rc = rsp_decode(proto, p, len, &(struct rsp_decode_opts){
	    .pool_handle_max = UINT16_MAX }, &m, &err);
	c->st->messages++;
	fp = open_memstream(&body, &blen);
	if (fp == NULL) {
		fprintf(stderr, PROG ": %s\n", strerror(errno));
		exit(2);
	}
	json_object_set_new(j, "protocol", json_string(proto_name(proto)));
	if (len >= 1) {
		json_object_set_new(j, "type", json_integer(p[0]));
		json_object_set_new(j, "name",
		    json_string(rsp_msg_name(proto, p[0])));
	}
	if (len >= 2)
		json_object_set_new(j, "flags", json_integer(p[1]));
	if (len >= 4)
		json_object_set_new(j, "length", json_integer(get_u16(p + 2)));
	fprintf(fp, " %s %s", proto_name(proto), len >= 1 ?
	    msg_token(proto, p[0], tok, sizeof(tok)) : "?");
	if (len >= 2) {
		flag_names(proto, p[0], p[1], fl, sizeof(fl));
		fprintf(fp, " flags=0x%02x%s%s%s", p[1], fl[0] ? "(" : "", fl,
		    fl[0] ? ")" : "");
		json_object_set_new(j, "flag_names", json_flag_array(fl));
	}
	if (len >= 4)
		fprintf(fp, " len=%u", get_u16(p + 2));
	if (rc == 0) {
		print_fields(fp, j, &m);
	} else {
		json_t *e = json_object();

		c->st->malformed++;
		fprintf(fp, " MALFORMED: %s at byte %zu (cause 0x%x %s)",
		    err.what, err.offset, err.cause, rsp_cause_name(err.cause));
		json_object_set_new(e, "what", json_string(err.what));
		json_object_set_new(e, "offset", json_integer(
		    (json_int_t)err.offset));
		json_object_set_new(e, "cause", json_integer(err.cause));
		json_object_set_new(e, "cause_name",
		    json_string(rsp_cause_name(err.cause)));
		json_object_set_new(e, "silent", json_boolean(err.silent));
		json_object_set_new(j, "malformed", e);
	}
	json_object_set_new(j, "hex", json_hex(p, len));
	if (fclose(fp) != 0) {
		fprintf(stderr, PROG ": %s\n", strerror(errno));
		exit(2);
	}
	if (c->o->json)
		emit_json(j);
	else {
		json_decref(j);
		origin_text(stdout, c->o, org);
		fputs(body, stdout);
		if (org->pm && org->pm->note[0] != '\0')
			fprintf(stdout, " (%s)", org->pm->note);
		fputc('\n', stdout);
	}
	free(body);
}

/* ---- captures ---------------------------------------------------------- */

static void
capture_cb(const struct pcr_msg *pm, void *arg)
{
	struct decode_ctx *c = arg;
	struct origin org = { c->file, pm->frame, false, pm };

	if (pm->kind == PCR_MSG) {
		decode_one(c, &org, pm->proto, pm->p, pm->len);
		return;
	}
	c->st->notes++;
	if (c->o->json) {
		json_t *j = origin_json(&org);

		if (pm->proto != 0)
			json_object_set_new(j, "protocol",
			    json_string(proto_name(pm->proto)));
		json_object_set_new(j, "note", json_string(pm->note));
		emit_json(j);
		return;
	}
	origin_text(stdout, c->o, &org);
	printf(" %s NOTE: %s\n", pm->proto ? proto_name(pm->proto) : "-",
	    pm->note);
}

static void
decode_capture(struct decode_ctx *c, FILE *fp)
{
	char err[512];
	struct pcr_reader *r;

	r = pcr_open(fp, err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", c->file, err);
		c->st->file_error = true;
		return;
	}
	if (pcr_run(r, capture_cb, c, err, sizeof(err)) == -1) {
		fprintf(stderr, PROG ": %s: %s\n", c->file, err);
		c->st->file_error = true;
	}
	pcr_free(r);
}

/* ---- hex lines --------------------------------------------------------- */

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static void
decode_hex_line(struct decode_ctx *c, unsigned long lineno, char *line,
    uint8_t *buf)
{
	enum rsp_proto proto = c->o->proto;
	struct origin org = { c->file, lineno, true, NULL };
	char *s = line, *hash;
	size_t n = 0;
	int hi = -1;

	if ((hash = strchr(s, '#')) != NULL)
		*hash = '\0';
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return;
	if ((strncasecmp(s, "asap", 4) == 0 || strncasecmp(s, "enrp", 4) == 0)
	    && (s[4] == ':' || isspace((unsigned char)s[4]))) {
		proto = tolower((unsigned char)s[0]) == 'a' ? RSP_PROTO_ASAP :
		    RSP_PROTO_ENRP;
		s += 5;
	}
	for (; *s != '\0'; s++) {
		int v;

		if (isspace((unsigned char)*s))
			continue;
		if ((v = hexval((unsigned char)*s)) == -1) {
			fprintf(stderr, PROG ": %s:%lu: not a hex digit: "
			    "'%c'\n", c->file, lineno, *s);
			c->st->file_error = true;
			return;
		}
		if (hi == -1)
			hi = v;
		else {
			if (n >= RSP_MSG_MAX_LEN + 3) {
				fprintf(stderr, PROG ": %s:%lu: message longer "
				    "than %d bytes\n", c->file, lineno,
				    RSP_MSG_MAX_LEN + 3);
				c->st->file_error = true;
				return;
			}
			buf[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi != -1) {
		fprintf(stderr, PROG ": %s:%lu: odd number of hex digits\n",
		    c->file, lineno);
		c->st->file_error = true;
		return;
	}
	if (n == 0)
		return;
	decode_one(c, &org, proto, buf, n);
}

static void
decode_text(struct decode_ctx *c, FILE *fp)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	uint8_t *buf = malloc(RSP_MSG_MAX_LEN + 3);

	if (buf == NULL) {
		fprintf(stderr, PROG ": %s\n", strerror(errno));
		exit(2);
	}
	while (getline(&line, &cap, fp) != -1)
		decode_hex_line(c, ++lineno, line, buf);
	if (ferror(fp)) {
		fprintf(stderr, PROG ": %s: %s\n", c->file, strerror(errno));
		c->st->file_error = true;
	}
	free(line);
	free(buf);
	fclose(fp);
}

/* ---- files ------------------------------------------------------------- */

/*
 * Standard input may be a pipe: read it whole so its first bytes can be
 * looked at and libpcap can still read it from the start.
 */
static FILE *
slurp(FILE *in, char **ret_buf)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	for (;;) {
		if (len == cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, in);
		if (n == 0)
			break;
		len += n;
	}
	if (ferror(in)) {
		free(buf);
		return NULL;
	}
	if (len == 0) {
		free(buf);
		return fopen("/dev/null", "r");
	}
	*ret_buf = buf;
	return fmemopen(buf, len, "r");
}

static void
decode_file(struct decode_ctx *c, const char *path)
{
	uint8_t magic[4];
	size_t n;
	FILE *fp;
	char *mem = NULL;
	struct stat sb;

	c->file = path;
	if (strcmp(path, "-") == 0) {
		c->file = "<stdin>";
		if (fstat(fileno(stdin), &sb) == 0 && S_ISREG(sb.st_mode))
			fp = fdopen(dup(fileno(stdin)), "r");
		else
			fp = slurp(stdin, &mem);
	} else
		fp = fopen(path, "r");
	if (fp == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", c->file, strerror(errno));
		c->st->file_error = true;
		free(mem);
		return;
	}
	if (fstat(fileno(fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fprintf(stderr, PROG ": %s: %s\n", c->file, strerror(EISDIR));
		c->st->file_error = true;
		fclose(fp);
		return;
	}
	n = fread(magic, 1, sizeof(magic), fp);
	if (fseek(fp, 0, SEEK_SET) != 0) {
		fprintf(stderr, PROG ": %s: cannot rewind: %s\n", c->file,
		    strerror(errno));
		c->st->file_error = true;
		fclose(fp);
		free(mem);
		return;
	}
	if (pcr_is_capture(magic, n))
		decode_capture(c, fp);
	else
		decode_text(c, fp);
	free(mem);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "proto", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct decode_opts o = { false, RSP_PROTO_ASAP, false };
	struct decode_stats st;
	struct decode_ctx c;
	int ch, i;

	while ((ch = getopt_long(argc, argv, "jp:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			o.json = true;
			break;
		case 'p':
			if (strcasecmp(optarg, "asap") == 0)
				o.proto = RSP_PROTO_ASAP;
			else if (strcasecmp(optarg, "enrp") == 0)
				o.proto = RSP_PROTO_ENRP;
			else {
				fprintf(stderr, PROG ": --proto: expected asap "
				    "or enrp, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	o.show_file = argc - optind > 1;
	memset(&st, 0, sizeof(st));
	c.o = &o;
	c.st = &st;
	for (i = optind; i < argc; i++)
		decode_file(&c, argv[i]);
	if (fflush(stdout) != 0) {
		fprintf(stderr, PROG ": stdout: %s\n", strerror(errno));
		return 2;
	}
	if (st.file_error)
		return 2;
	return st.malformed > 0 ? 1 : 0;
}
