/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sample messages for tests and fuzz seeds; see samples.h.
 */
#include <string.h>
#include <sys/socket.h>

#include "samples.h"

const struct sample samples[] = {
	{ "asap-registration", RSP_PROTO_ASAP, ASAP_REGISTRATION },
	{ "asap-registration-v6-tcp", RSP_PROTO_ASAP, ASAP_REGISTRATION },
	{ "asap-registration-udp-lud", RSP_PROTO_ASAP, ASAP_REGISTRATION },
	{ "asap-registration-dccp-plu", RSP_PROTO_ASAP, ASAP_REGISTRATION },
	{ "asap-registration-udplite-rlu", RSP_PROTO_ASAP, ASAP_REGISTRATION },
	{ "asap-registration-opaque-prio", RSP_PROTO_ASAP, ASAP_REGISTRATION },
	{ "asap-deregistration", RSP_PROTO_ASAP, ASAP_DEREGISTRATION },
	{ "asap-registration-response", RSP_PROTO_ASAP, ASAP_REGISTRATION_RESPONSE },
	{ "asap-registration-reject", RSP_PROTO_ASAP, ASAP_REGISTRATION_RESPONSE },
	{ "asap-deregistration-response", RSP_PROTO_ASAP, ASAP_DEREGISTRATION_RESPONSE },
	{ "asap-handle-resolution", RSP_PROTO_ASAP, ASAP_HANDLE_RESOLUTION },
	{ "asap-handle-resolution-response", RSP_PROTO_ASAP, ASAP_HANDLE_RESOLUTION_RESPONSE },
	{ "asap-handle-resolution-unknown", RSP_PROTO_ASAP, ASAP_HANDLE_RESOLUTION_RESPONSE },
	{ "asap-endpoint-keep-alive", RSP_PROTO_ASAP, ASAP_ENDPOINT_KEEP_ALIVE },
	{ "asap-endpoint-keep-alive-ack", RSP_PROTO_ASAP, ASAP_ENDPOINT_KEEP_ALIVE_ACK },
	{ "asap-endpoint-unreachable", RSP_PROTO_ASAP, ASAP_ENDPOINT_UNREACHABLE },
	{ "asap-server-announce", RSP_PROTO_ASAP, ASAP_SERVER_ANNOUNCE },
	{ "asap-cookie", RSP_PROTO_ASAP, ASAP_COOKIE },
	{ "asap-cookie-echo", RSP_PROTO_ASAP, ASAP_COOKIE_ECHO },
	{ "asap-business-card", RSP_PROTO_ASAP, ASAP_BUSINESS_CARD },
	{ "asap-error", RSP_PROTO_ASAP, ASAP_ERROR },
	{ "asap-error-more-causes", RSP_PROTO_ASAP, ASAP_ERROR },
	{ "enrp-presence", RSP_PROTO_ENRP, ENRP_PRESENCE },
	{ "enrp-handle-table-request", RSP_PROTO_ENRP, ENRP_HANDLE_TABLE_REQUEST },
	{ "enrp-handle-table-response", RSP_PROTO_ENRP, ENRP_HANDLE_TABLE_RESPONSE },
	{ "enrp-handle-table-reject", RSP_PROTO_ENRP, ENRP_HANDLE_TABLE_RESPONSE },
	{ "enrp-handle-update", RSP_PROTO_ENRP, ENRP_HANDLE_UPDATE },
	{ "enrp-list-request", RSP_PROTO_ENRP, ENRP_LIST_REQUEST },
	{ "enrp-list-response", RSP_PROTO_ENRP, ENRP_LIST_RESPONSE },
	{ "enrp-init-takeover", RSP_PROTO_ENRP, ENRP_INIT_TAKEOVER },
	{ "enrp-init-takeover-ack", RSP_PROTO_ENRP, ENRP_INIT_TAKEOVER_ACK },
	{ "enrp-takeover-server", RSP_PROTO_ENRP, ENRP_TAKEOVER_SERVER },
	{ "enrp-error", RSP_PROTO_ENRP, ENRP_ERROR },
	/* doc/spec/registrant-identity.md: who registered the PE */
	{ "enrp-handle-update-registrant", RSP_PROTO_ENRP, ENRP_HANDLE_UPDATE },
};
const size_t nsamples = sizeof(samples) / sizeof(samples[0]);

static void
v4(struct rsp_addr *a, const char *s)
{
	rsp_addr_parse(a, s);
}

static struct rsp_transport
sctp(uint16_t port, const char *a1, const char *a2)
{
	struct rsp_transport t;

	memset(&t, 0, sizeof(t));
	t.type = RSP_PARAM_SCTP_TRANSPORT;
	t.port = port;
	t.use = RSP_TRANSPORT_USE_DATA_CONTROL;
	v4(&t.addr[t.naddr++], a1);
	if (a2 != NULL)
		v4(&t.addr[t.naddr++], a2);
	return t;
}

static struct rsp_transport
single(uint16_t type, uint16_t port, const char *a)
{
	struct rsp_transport t;

	memset(&t, 0, sizeof(t));
	t.type = type;
	t.port = port;
	v4(&t.addr[t.naddr++], a);
	return t;
}

static struct rsp_policy
policy(uint32_t type, uint32_t v0, uint32_t v1)
{
	struct rsp_policy p;
	int n = rsp_policy_nval(type);

	memset(&p, 0, sizeof(p));
	p.type = type;
	p.nval = (uint8_t)(n < 0 ? 0 : n);
	p.val[0] = v0;
	p.val[1] = v1;
	return p;
}

static struct rsp_pe
pe(uint32_t id, uint32_t home, struct rsp_transport user, struct rsp_policy pol,
    bool asap)
{
	struct rsp_pe e;

	memset(&e, 0, sizeof(e));
	e.id = id;
	e.home_id = home;
	e.life = 300;
	e.user = user;
	e.policy = pol;
	if (asap) {
		e.has_asap = true;
		e.asap = sctp(47123, "192.0.2.10", "198.51.100.10");
		e.asap.use = RSP_TRANSPORT_USE_DATA;
	}
	return e;
}

static const char echo[] = "EchoPool";
static const uint8_t unknown_tlv[] = { 0x40, 0x42, 0x00, 0x07, 'a', 'b', 'c' };

static void
op_error(struct wbuf *w, int which)
{
	static const uint8_t policy_tlv[] =
	    { 0x00, 0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t tcp_tlv[] = { 0x00, 0x05, 0x00, 0x10, 0x00, 0x07,
	    0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0xc0, 0x00, 0x02, 0x0a };
	static const uint8_t bad_msg[] = { 0x7f, 0x00, 0x00, 0x04 };
	struct rsp_op_error e;

	memset(&e, 0, sizeof(e));
	if (which == 0) {
		e.cause[e.ncause++].code = RSP_CAUSE_UNSPECIFIED;
		e.cause[e.ncause].code = RSP_CAUSE_UNRECOGNIZED_PARAM;
		e.cause[e.ncause].info.p = unknown_tlv;
		e.cause[e.ncause++].info.len = sizeof(unknown_tlv);
		e.cause[e.ncause].code = RSP_CAUSE_UNRECOGNIZED_MSG;
		e.cause[e.ncause].info.p = bad_msg;
		e.cause[e.ncause++].info.len = sizeof(bad_msg);
		e.cause[e.ncause].code = RSP_CAUSE_INVALID_VALUES;
		e.cause[e.ncause].info.p = policy_tlv;
		e.cause[e.ncause++].info.len = sizeof(policy_tlv);
		e.cause[e.ncause++].code = RSP_CAUSE_NON_UNIQUE_PE_ID;
	} else {
		e.cause[e.ncause].code = RSP_CAUSE_INCONSISTENT_POLICY;
		e.cause[e.ncause].info.p = policy_tlv;
		e.cause[e.ncause++].info.len = sizeof(policy_tlv);
		e.cause[e.ncause++].code = RSP_CAUSE_LACK_OF_RESOURCES;
		e.cause[e.ncause].code = RSP_CAUSE_INCONSISTENT_TRANSPORT;
		e.cause[e.ncause].info.p = tcp_tlv;
		e.cause[e.ncause++].info.len = sizeof(tcp_tlv);
		e.cause[e.ncause++].code = RSP_CAUSE_INCONSISTENT_DATA_CTRL;
		e.cause[e.ncause++].code = RSP_CAUSE_UNKNOWN_POOL_HANDLE;
		e.cause[e.ncause++].code = RSP_CAUSE_SECURITY;
	}
	rsp_put_op_error(w, &e);
}

static void
enrp_ids(struct wbuf *w)
{
	wbuf_u32(w, 0x0a0b0c0d);
	wbuf_u32(w, 0x01020304);
}

size_t
sample_build(size_t i, struct wbuf *w)
{
	struct rsp_transport t;
	struct rsp_server_info si;
	struct rsp_pe e;
	size_t m;

	w->len = 0;
	w->err = false;
	w->tail_pad = 0;
	if (i >= nsamples)
		return 0;
	m = rsp_put_msg_begin(w, samples[i].type, 0);
	switch (i) {
	case 0:		/* doc/protocol/parameters.md §6 worked example */
		rsp_put_handle(w, echo, 8);
		t = single(RSP_PARAM_SCTP_TRANSPORT, 7, "192.0.2.10");
		t.use = RSP_TRANSPORT_USE_DATA_CONTROL;
		rsp_put_pe(w, &(struct rsp_pe){ .id = 0x11223344, .life = 300,
		    .user = t, .policy = policy(RSP_POLICY_ROUND_ROBIN, 0, 0) });
		break;
	case 1:
		rsp_put_handle(w, "Web", 3);
		t = single(RSP_PARAM_TCP_TRANSPORT, 8080, "2001:db8::10");
		e = pe(0xdeadbeef, 0, t,
		    policy(RSP_POLICY_WEIGHTED_ROUND_ROBIN, 10, 0), false);
		e.life = RSP_LIFE_INFINITE;
		rsp_put_pe(w, &e);
		break;
	case 2:
		rsp_put_handle(w, "DNS", 3);
		t = single(RSP_PARAM_UDP_TRANSPORT, 53, "198.51.100.53");
		rsp_put_pe(w, &(struct rsp_pe){ .id = 53, .life = 60000,
		    .user = t, .policy = policy(
		    RSP_POLICY_LEAST_USED_DEGRADATION, 0x7fffffff, 0x19999999) });
		break;
	case 3:
		rsp_put_handle(w, "Stream", 6);
		t = single(RSP_PARAM_DCCP_TRANSPORT, 5004, "203.0.113.7");
		t.service_code = 0x52545020;
		rsp_put_pe(w, &(struct rsp_pe){ .id = 77, .life = 30,
		    .user = t, .policy = policy(RSP_POLICY_PRIORITY_LEAST_USED,
		    0x40000000, 0x10000000) });
		break;
	case 4:
		rsp_put_handle(w, "Voice", 5);
		t = single(RSP_PARAM_UDPLITE_TRANSPORT, 5060, "2001:db8::5");
		rsp_put_pe(w, &(struct rsp_pe){ .id = 88, .life = 30,
		    .user = t, .policy = policy(RSP_POLICY_RANDOMIZED_LEAST_USED,
		    0x20000000, 0) });
		break;
	case 5:
		rsp_put_handle(w, "Opaque", 6);
		memset(&t, 0, sizeof(t));
		t.type = RSP_PARAM_OPAQUE_TRANSPORT;
		t.opaque.p = (const uint8_t *)"quic://pe.example:443";
		t.opaque.len = 21;
		rsp_put_pe(w, &(struct rsp_pe){ .id = 99, .life = 30,
		    .user = t, .policy = policy(RSP_POLICY_PRIORITY, 7, 0) });
		break;
	case 6:
		rsp_put_handle(w, echo, 8);
		rsp_put_pe_id(w, 0x11223344);
		break;
	case 7:
		rsp_put_handle(w, echo, 8);
		rsp_put_pe_id(w, 0x11223344);
		break;
	case 8:
		w->p[1] = ASAP_FLAG_REJECT;
		rsp_put_handle(w, echo, 8);
		rsp_put_pe_id(w, 0x11223344);
		op_error(w, 1);
		break;
	case 9:
		rsp_put_handle(w, echo, 8);
		rsp_put_pe_id(w, 0x11223344);
		break;
	case 10:
		rsp_put_handle(w, echo, 8);
		rsp_put_hropt(w, 3);
		break;
	case 11:
		rsp_put_handle(w, echo, 8);
		rsp_put_policy(w, &(struct rsp_policy){
		    .type = RSP_POLICY_WEIGHTED_RANDOM, .nval = 1 });
		rsp_put_pe(w, &(struct rsp_pe){ .id = 1, .home_id = 0x0a0b0c0d,
		    .life = 300, .user = sctp(7, "192.0.2.11", "198.51.100.11"),
		    .policy = policy(RSP_POLICY_WEIGHTED_RANDOM, 5, 0) });
		e = pe(2, 0x0a0b0c0d, sctp(7, "192.0.2.12", NULL),
		    policy(RSP_POLICY_WEIGHTED_RANDOM, 1, 0), false);
		v4(&e.user.addr[e.user.naddr++], "2001:db8::12");
		rsp_put_pe(w, &e);
		break;
	case 12:
		rsp_put_handle(w, "NoSuchPool", 10);
		{
			struct rsp_op_error oe = { .ncause = 1 };

			oe.cause[0].code = RSP_CAUSE_UNKNOWN_POOL_HANDLE;
			rsp_put_op_error(w, &oe);
		}
		break;
	case 13:
		w->p[1] = ASAP_FLAG_HOME;
		wbuf_u32(w, 0x0a0b0c0d);
		rsp_put_handle(w, echo, 8);
		break;
	case 14:
	case 15:
		rsp_put_handle(w, echo, 8);
		rsp_put_pe_id(w, 0x11223344);
		break;
	case 16:
		wbuf_u32(w, 0x0a0b0c0d);
		t = sctp(ASAP_PORT, "192.0.2.1", NULL);
		v4(&t.addr[t.naddr++], "2001:db8::1");
		rsp_put_transport(w, &t);
		t = single(RSP_PARAM_TCP_TRANSPORT, ASAP_PORT, "192.0.2.1");
		rsp_put_transport(w, &t);
		break;
	case 17:
		rsp_put_cookie(w, "state:session=42;seq=7", 22);
		break;
	case 18:
		rsp_put_cookie(w, "state:session=42;seq=7", 22);
		break;
	case 19:
		rsp_put_handle(w, "Client", 6);
		rsp_put_pe(w, &(struct rsp_pe){ .id = 3, .life = 300,
		    .user = sctp(9, "192.0.2.13", NULL),
		    .policy = policy(RSP_POLICY_LEAST_USED, 0x10000000, 0) });
		rsp_put_pe(w, &(struct rsp_pe){ .id = 4, .life = 300,
		    .user = sctp(9, "192.0.2.14", NULL),
		    .policy = policy(RSP_POLICY_LEAST_USED, 0x20000000, 0) });
		break;
	case 20:
		op_error(w, 0);
		break;
	case 21:
		op_error(w, 1);
		break;
	case 22:
		w->p[1] = ENRP_FLAG_REPLY_REQUIRED;
		enrp_ids(w);
		rsp_put_checksum(w, 0xe980);
		si.id = 0x0a0b0c0d;
		si.transport = sctp(ENRP_PORT, "192.0.2.1", NULL);
		si.transport.use = RSP_TRANSPORT_USE_DATA;
		v4(&si.transport.addr[si.transport.naddr++], "2001:db8::1");
		rsp_put_server_info(w, &si);
		break;
	case 23:
		w->p[1] = ENRP_FLAG_OWN_CHILDREN_ONLY;
		enrp_ids(w);
		break;
	case 24:
		w->p[1] = ENRP_FLAG_MORE_TO_SEND;
		enrp_ids(w);
		rsp_put_handle(w, echo, 8);
		rsp_put_pe(w, &(struct rsp_pe){ .id = 1, .home_id = 0x0a0b0c0d,
		    .life = 300, .user = sctp(7, "192.0.2.11", NULL),
		    .policy = policy(RSP_POLICY_ROUND_ROBIN, 0, 0) });
		e = pe(2, 0x01020304, sctp(7, "192.0.2.12", NULL),
		    policy(RSP_POLICY_ROUND_ROBIN, 0, 0), true);
		rsp_put_pe(w, &e);
		rsp_put_handle(w, "Calc", 4);
		e = pe(0x00000001, 0x0a0b0c0d, single(RSP_PARAM_TCP_TRANSPORT,
		    4000, "198.51.100.4"), policy(RSP_POLICY_RANDOM, 0, 0), true);
		rsp_put_pe(w, &e);
		break;
	case 25:
		w->p[1] = ENRP_FLAG_REJECT;
		enrp_ids(w);
		break;
	case 26:	/* doc/protocol/enrp.md §3.4, with our receiving id */
		enrp_ids(w);
		wbuf_u16(w, ENRP_ADD_PE);
		wbuf_u16(w, 0);
		rsp_put_handle(w, echo, 8);
		e = pe(0x11223344, 0x0a0b0c0d, sctp(7, "192.0.2.10", NULL),
		    policy(RSP_POLICY_ROUND_ROBIN, 0, 0), true);
		rsp_put_pe(w, &e);
		break;
	case 27:
		enrp_ids(w);
		break;
	case 28:
		enrp_ids(w);
		si.id = 0x0a0b0c0d;
		si.transport = sctp(ENRP_PORT, "192.0.2.1", NULL);
		rsp_put_server_info(w, &si);
		si.id = 0x01020304;
		si.transport = sctp(ENRP_PORT, "192.0.2.2", NULL);
		v4(&si.transport.addr[si.transport.naddr++], "2001:db8::2");
		rsp_put_server_info(w, &si);
		break;
	case 29:
	case 30:
	case 31:
		enrp_ids(w);
		wbuf_u32(w, 0x05060708);
		break;
	case 32:
		enrp_ids(w);
		op_error(w, 0);
		break;
	case 33:
		enrp_ids(w);
		wbuf_u16(w, ENRP_ADD_PE);
		wbuf_u16(w, 0);
		rsp_put_handle(w, "Web", 3);
		e = pe(0x00000100, 0x0a0b0c0d, single(RSP_PARAM_TCP_TRANSPORT,
		    8080, "198.51.100.8"), policy(RSP_POLICY_ROUND_ROBIN, 0, 0),
		    false);
		e.registrant_kind = RSP_REGISTRANT_PSK;
		e.registrant.p = (const uint8_t *)"pe-web-1";
		e.registrant.len = 8;
		rsp_put_pe(w, &e);
		break;
	}
	rsp_put_msg_end(w, m);
	return w->err ? 0 : w->len;
}
