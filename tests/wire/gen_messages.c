/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One of every ASAP (14) and ENRP (10) message, and resolutions carrying
 * the Registrar Identity extension (0x8a01), registrations and resolutions
 * with the Registrar Unicast extension (0x8a03), and a handle update with the
 * Registrant Identity (0x8a02) and a PE Report (ENRP type 0x8a), built
 * with the rsp_put_*()
 * API of lib/codec.h with realistic parameters, for the outside judge
 * (tests/wire/tshark-judge.sh).  Each message is printed as one line,
 * tab-separated:
 *
 *	asap|enrp  HEX  TYPE  NAME  FIELD=VALUE ...
 *
 * NAME is the message name as anypool-decode prints it; each FIELD=VALUE is
 * a Wireshark field and the value tshark -T fields must print for it (every
 * occurrence in the frame, comma-separated).  The program also checks that
 * each message decodes with rsp_decode() and re-encodes to the same bytes,
 * and exits 1 if not.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "codec.h"

#define BUF_LEN		4096

static int failures;

/* Server and PE identifiers as random-looking as the RFCs want them. */
#define PR1_ID		0x1b2a5d3eU
#define PR2_ID		0x2c4f7a91U
#define PR3_ID		0x3d5e8fa2U
#define PE_A_ID		0x11223344U
#define PE_B_ID		0x55667788U
#define PE_C_ID		0x0a0b0c0dU

static const uint8_t cookie[] = {
	0x52, 0x53, 0x50, 0x31, 0x00, 0x00, 0x00, 0x2a, 0xde, 0xad, 0xbe,
	0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc,
	0xba, 0x98, 0x76,	/* 25 bytes: not a multiple of 4 */
};

static void
addr(struct rsp_addr *a, const char *s)
{
	if (rsp_addr_parse(a, s) == -1) {
		fprintf(stderr, "gen_messages: bad address %s\n", s);
		exit(2);
	}
}

static void
transport(struct rsp_transport *t, uint16_t type, uint16_t port,
    uint16_t use, const char *a1, const char *a2)
{
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->port = port;
	t->use = use;
	addr(&t->addr[t->naddr++], a1);
	if (a2 != NULL)
		addr(&t->addr[t->naddr++], a2);
}

static void
policy(struct rsp_policy *p, uint32_t type, int nval, ...)
{
	va_list ap;
	int i;

	memset(p, 0, sizeof(*p));
	p->type = type;
	p->nval = (uint8_t)nval;
	va_start(ap, nval);
	for (i = 0; i < nval; i++)
		p->val[i] = va_arg(ap, uint32_t);
	va_end(ap);
}

/* PE A: SCTP, dual-stack, data+control, WRR weight 5. */
static void
pe_a(struct rsp_pe *pe, bool with_asap)
{
	memset(pe, 0, sizeof(*pe));
	pe->id = PE_A_ID;
	pe->home_id = with_asap ? PR1_ID : 0;
	pe->life = 18000;	/* rsplib: 3 x 6 s re-registration, in ms */
	transport(&pe->user, RSP_PARAM_SCTP_TRANSPORT, 7,
	    RSP_TRANSPORT_USE_DATA_CONTROL, "192.0.2.11", "2001:db8::11");
	policy(&pe->policy, RSP_POLICY_WEIGHTED_ROUND_ROBIN, 1, 5U);
	if (with_asap) {
		pe->has_asap = true;
		transport(&pe->asap, RSP_PARAM_SCTP_TRANSPORT, 40211,
		    RSP_TRANSPORT_USE_DATA, "192.0.2.11", "2001:db8::11");
	}
}

/* PE B: TCP over IPv6, Priority 7. */
static void
pe_b(struct rsp_pe *pe)
{
	memset(pe, 0, sizeof(*pe));
	pe->id = PE_B_ID;
	pe->home_id = PR2_ID;
	pe->life = RSP_LIFE_INFINITE;
	transport(&pe->user, RSP_PARAM_TCP_TRANSPORT, 8080, 0,
	    "2001:db8::12", NULL);
	policy(&pe->policy, RSP_POLICY_PRIORITY, 1, 7U);
}

/* PE C: UDP over IPv4, Least Used with Degradation. */
static void
pe_c(struct rsp_pe *pe)
{
	memset(pe, 0, sizeof(*pe));
	pe->id = PE_C_ID;
	pe->home_id = PR3_ID;
	pe->life = 30000;
	transport(&pe->user, RSP_PARAM_UDP_TRANSPORT, 5060, 0, "192.0.2.13",
	    NULL);
	policy(&pe->policy, RSP_POLICY_LEAST_USED_DEGRADATION, 2, 0x40000000U,
	    0x01000000U);
}

static void
server_info(struct rsp_server_info *si, uint32_t id, const char *a1,
    const char *a2)
{
	memset(si, 0, sizeof(*si));
	si->id = id;
	transport(&si->transport, RSP_PARAM_SCTP_TRANSPORT, ENRP_PORT,
	    RSP_TRANSPORT_USE_DATA, a1, a2);
}

static size_t
enrp_begin(struct wbuf *w, uint8_t type, uint8_t flags, uint32_t sender,
    uint32_t receiver)
{
	size_t start = rsp_put_msg_begin(w, type, flags);

	wbuf_u32(w, sender);
	wbuf_u32(w, receiver);
	return start;
}

/* A TLV built on its own, for an error cause's information. */
static size_t
policy_tlv(uint8_t *buf, size_t cap, const struct rsp_policy *p)
{
	struct wbuf w;

	wbuf_init(&w, buf, cap);
	rsp_put_policy(&w, p);
	return w.err ? 0 : w.len;
}

/*
 * Print one message and check that the codec itself decodes it and gives
 * back the same bytes.
 */
static void
emit(enum rsp_proto proto, const struct wbuf *w, const char *name,
    const char *fields)
{
	struct rsp_msg m;
	struct rsp_err err;
	uint8_t out[BUF_LEN];
	struct wbuf re;
	size_t i;

	if (w->err) {
		fprintf(stderr, "gen_messages: %s: buffer error\n", name);
		failures++;
		return;
	}
	printf("%s\t", proto == RSP_PROTO_ASAP ? "asap" : "enrp");
	for (i = 0; i < w->len; i++)
		printf("%02x", w->p[i]);
	printf("\t%u\t%s\t%s\n", w->p[0], name, fields);

	if (rsp_decode(proto, w->p, w->len, NULL, &m, &err) == -1) {
		fprintf(stderr, "gen_messages: %s: does not decode: %s "
		    "(cause 0x%x)\n", name, err.what, err.cause);
		failures++;
		return;
	}
	wbuf_init(&re, out, sizeof(out));
	if (rsp_encode(&re, &m) == -1 || re.err || re.len != w->len ||
	    memcmp(out, w->p, w->len) != 0) {
		fprintf(stderr, "gen_messages: %s: re-encodes differently "
		    "(%zu bytes, not %zu)\n", name, re.len, w->len);
		failures++;
	}
}

static void
gen_asap(void)
{
	uint8_t b[BUF_LEN], info[256];
	struct wbuf w;
	struct rsp_pe pa, pb, pc;
	struct rsp_policy pol;
	struct rsp_transport t;
	struct rsp_op_error e;
	size_t s, n;
	static const char h[] = "EchoPool";

	pe_a(&pa, false);
	pe_b(&pb);
	pe_c(&pc);

	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_REGISTRATION, 0);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_pe(&w, &pa);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "Registration",
	    "asap.pool_handle_pool_handle=4563686f506f6f6c "
	    "asap.pool_element_pe_identifier=0x11223344 "
	    "asap.pool_element_home_enrp_server_identifier=0x00000000 "
	    "asap.pool_element_registration_life=18000 "
	    "asap.sctp_transport_port=7 asap.transport_use=1 "
	    "asap.ipv4_address=192.0.2.11 asap.ipv6_address=2001:db8::11 "
	    "asap.pool_member_selection_policy_type=0x00000002 "
	    "asap.pool_member_selection_policy_weight=5");

	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_DEREGISTRATION, 0);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_pe_id(&w, PE_A_ID);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "Deregistration",
	    "asap.pool_handle_pool_handle=4563686f506f6f6c "
	    "asap.pe_identifier=0x11223344");

	/* Rejected: the pool's policy is Round Robin, not WRR. */
	policy(&pol, RSP_POLICY_ROUND_ROBIN, 0);
	n = policy_tlv(info, sizeof(info), &pol);
	memset(&e, 0, sizeof(e));
	e.ncause = 1;
	e.cause[0].code = RSP_CAUSE_INCONSISTENT_POLICY;
	e.cause[0].info.p = info;
	e.cause[0].info.len = (uint16_t)n;
	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_REGISTRATION_RESPONSE, ASAP_FLAG_REJECT);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_pe_id(&w, PE_A_ID);
	rsp_put_op_error(&w, &e);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "RegistrationResponse",
	    "asap.message_flags=0x01 asap.r_bit=1 "
	    "asap.pool_handle_pool_handle=4563686f506f6f6c "
	    "asap.pe_identifier=0x11223344 asap.cause_code=0x0005 "
	    "asap.pool_member_selection_policy_type=0x00000001");

	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_DEREGISTRATION_RESPONSE, 0);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_pe_id(&w, PE_A_ID);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "DeregistrationResponse",
	    "asap.pool_handle_pool_handle=4563686f506f6f6c "
	    "asap.pe_identifier=0x11223344");

	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_hropt(&w, 5);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "HandleResolution",
	    "asap.pool_handle_pool_handle=4563686f506f6f6c "
	    "asap.parameter_type=0x0009,0x803f asap.hropt_items=5");

	/* Overall policy LUD, two PEs (UDP/IPv4 and TCP/IPv6). */
	policy(&pol, RSP_POLICY_LEAST_USED_DEGRADATION, 2, 0x40000000U,
	    0x01000000U);
	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
	rsp_put_handle(&w, "SipPool", 7);
	rsp_put_policy(&w, &pol);
	rsp_put_pe(&w, &pc);
	pc.id = 0x0a0b0c0eU;
	transport(&pc.user, RSP_PARAM_TCP_TRANSPORT, 5061, 0,
	    "2001:db8::14", NULL);
	rsp_put_pe(&w, &pc);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "HandleResolutionResponse",
	    "asap.pool_handle_pool_handle=536970506f6f6c "
	    "asap.pool_member_selection_policy_type="
	    "0x40000002,0x40000002,0x40000002 "
	    "asap.pool_element_pe_identifier=0x0a0b0c0d,0x0a0b0c0e "
	    "asap.pool_element_home_enrp_server_identifier="
	    "0x3d5e8fa2,0x3d5e8fa2 "
	    "asap.udp_transport_port=5060 asap.tcp_transport_port=5061 "
	    "asap.ipv4_address=192.0.2.13 asap.ipv6_address=2001:db8::14");

	/*
	 * The Registrar Identity (0x8a01, doc/spec/registrar-identity.md):
	 * Wireshark does not know it and must show it as a clean unknown
	 * parameter, as its skip-and-continue type bits say.
	 */
	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_hropt(&w, 5);
	rsp_put_regid_request(&w);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "HandleResolution",
	    "asap.pool_handle_pool_handle=4563686f506f6f6c "
	    "asap.parameter_type=0x0009,0x803f,0x8a01 "
	    "asap.parameter_length=12,8,4 asap.hropt_items=5");

	policy(&pol, RSP_POLICY_ROUND_ROBIN, 0);
	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_policy(&w, &pol);
	rsp_put_pe(&w, &pb);
	rsp_put_regid(&w, PR2_ID, "pop-b", 5);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "HandleResolutionResponse",
	    "asap.pool_handle_pool_handle=4563686f506f6f6c "
	    "asap.pool_element_pe_identifier=0x55667788 "
	    "asap.parameter_type=0x0009,0x0008,0x000a,0x0005,0x0002,0x0008,"
	    "0x8a01 asap.parameter_length=12,8,56,28,20,12,13 "
	    "asap.parameter_value=2c4f7a91706f702d62");

	/* An error answer (unknown pool) names the registrar too. */
	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
	rsp_put_handle(&w, "NoPool", 6);
	rsp_put_op_error(&w, &(struct rsp_op_error){ .ncause = 1,
	    .cause = { { .code = RSP_CAUSE_UNKNOWN_POOL_HANDLE } } });
	rsp_put_regid(&w, PR1_ID, "pop-a", 5);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "HandleResolutionResponse",
	    "asap.pool_handle_pool_handle=4e6f506f6f6c "
	    "asap.cause_code=0x0009 "
	    "asap.parameter_type=0x0009,0x000c,0x8a01 "
	    "asap.parameter_value=1b2a5d3e706f702d61");

	/*
	 * The Registrar Unicast (0x8a03, doc/spec/registrar-unicast.md): a
	 * request in a registration and a resolution, the answer (TCP port
	 * 3864 at 10.0.1.1 and 2001:db8:1::1) in a registration response.
	 * Unknown to Wireshark: a clean unknown parameter.
	 */
	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_REGISTRATION, 0);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_pe(&w, &pa);
	rsp_put_reguni_request(&w);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "Registration",
	    "asap.pool_handle_pool_handle=4563686f506f6f6c "
	    "asap.pool_element_pe_identifier=0x11223344 "
	    "asap.sctp_transport_port=7");

	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_hropt(&w, 5);
	rsp_put_regid_request(&w);
	rsp_put_reguni_request(&w);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "HandleResolution",
	    "asap.pool_handle_pool_handle=4563686f506f6f6c "
	    "asap.parameter_type=0x0009,0x803f,0x8a01,0x8a03 "
	    "asap.parameter_length=12,8,4,4 asap.hropt_items=5");

	transport(&t, RSP_PARAM_TCP_TRANSPORT, 3864, 0, "10.0.1.1",
	    "2001:db8:1::1");
	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_REGISTRATION_RESPONSE, 0);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_pe_id(&w, PE_A_ID);
	rsp_put_reguni(&w, &t, 1);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "RegistrationResponse",
	    "asap.pool_handle_pool_handle=4563686f506f6f6c "
	    "asap.pe_identifier=0x11223344 "
	    "asap.parameter_type=0x0009,0x000e,0x8a03 "
	    "asap.parameter_length=12,8,40 "
	    "asap.parameter_value=000500240f180000000100080a000101"
	    "0002001420010db8000100000000000000000001");

	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_ENDPOINT_KEEP_ALIVE, ASAP_FLAG_HOME);
	wbuf_u32(&w, PR1_ID);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "EndpointKeepAlive",
	    "asap.message_flags=0x01 asap.h_bit=1 "
	    "asap.server_identifier=0x1b2a5d3e "
	    "asap.pool_handle_pool_handle=4563686f506f6f6c");

	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_ENDPOINT_KEEP_ALIVE_ACK, 0);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_pe_id(&w, PE_A_ID);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "EndpointKeepAliveAck",
	    "asap.pool_handle_pool_handle=4563686f506f6f6c "
	    "asap.pe_identifier=0x11223344");

	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_ENDPOINT_UNREACHABLE, 0);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_pe_id(&w, PE_B_ID);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "EndpointUnreachable",
	    "asap.pool_handle_pool_handle=4563686f506f6f6c "
	    "asap.pe_identifier=0x55667788");

	/* Announce with an SCTP (dual-stack) and a TCP transport. */
	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_SERVER_ANNOUNCE, 0);
	wbuf_u32(&w, PR1_ID);
	transport(&t, RSP_PARAM_SCTP_TRANSPORT, ASAP_PORT,
	    RSP_TRANSPORT_USE_DATA, "192.0.2.1", "2001:db8::1");
	rsp_put_transport(&w, &t);
	transport(&t, RSP_PARAM_TCP_TRANSPORT, ASAP_PORT, 0, "192.0.2.1",
	    NULL);
	rsp_put_transport(&w, &t);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "ServerAnnounce",
	    "asap.server_identifier=0x1b2a5d3e "
	    "asap.sctp_transport_port=3863 asap.tcp_transport_port=3863 "
	    "asap.ipv4_address=192.0.2.1,192.0.2.1 "
	    "asap.ipv6_address=2001:db8::1");

	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_COOKIE, 0);
	rsp_put_cookie(&w, cookie, sizeof(cookie));
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "Cookie",
	    "asap.cookie=525350310000002adeadbeef0123456789abcdeffedcba9876 "
	    "asap.parameter_length=29");

	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_COOKIE_ECHO, 0);
	rsp_put_cookie(&w, cookie, sizeof(cookie));
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "CookieEcho",
	    "asap.cookie=525350310000002adeadbeef0123456789abcdeffedcba9876");

	/* Business card: PE A's own pool, fail-over order A then B. */
	wbuf_init(&w, b, sizeof(b));
	s = rsp_put_msg_begin(&w, ASAP_BUSINESS_CARD, 0);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_pe(&w, &pa);
	rsp_put_pe(&w, &pb);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ASAP, &w, "BusinessCard",
	    "asap.pool_handle_pool_handle=4563686f506f6f6c "
	    "asap.pool_element_pe_identifier=0x11223344,0x55667788 "
	    "asap.pool_element_registration_life=18000,-1 "
	    "asap.pool_member_selection_policy_type=0x00000002,0x00000005 "
	    "asap.pool_member_selection_policy_weight=5 "
	    "asap.pool_member_selection_policy_priority=7 "
	    "asap.tcp_transport_port=8080");

	/*
	 * Error with three causes: an Unrecognized Parameter carrying the
	 * offending TLV (stop-and-report class 0x4123), Unrecognized Message
	 * carrying a whole message of type 0x4f, and Lack of Resources.
	 */
	{
		static const uint8_t unrec_param[] = {
			0x41, 0x23, 0x00, 0x08, 0xca, 0xfe, 0xba, 0xbe };
		static const uint8_t unrec_msg[] = {
			0x4f, 0x00, 0x00, 0x04 };

		memset(&e, 0, sizeof(e));
		e.ncause = 3;
		e.cause[0].code = RSP_CAUSE_UNRECOGNIZED_PARAM;
		e.cause[0].info.p = unrec_param;
		e.cause[0].info.len = sizeof(unrec_param);
		e.cause[1].code = RSP_CAUSE_UNRECOGNIZED_MSG;
		e.cause[1].info.p = unrec_msg;
		e.cause[1].info.len = sizeof(unrec_msg);
		e.cause[2].code = RSP_CAUSE_LACK_OF_RESOURCES;
		wbuf_init(&w, b, sizeof(b));
		s = rsp_put_msg_begin(&w, ASAP_ERROR, 0);
		rsp_put_op_error(&w, &e);
		rsp_put_msg_end(&w, s);
		emit(RSP_PROTO_ASAP, &w, "Error",
		    "asap.cause_code=0x0001,0x0002,0x0006 "
		    "asap.cause_length=12,8,4 "
		    "asap.parameter_type=0x000c,0x4123");
	}
}

static void
gen_enrp(void)
{
	uint8_t b[BUF_LEN];
	struct wbuf w;
	struct rsp_pe pa, pb, pc;
	struct rsp_server_info si;
	struct rsp_op_error e;
	size_t s;
	static const char h[] = "EchoPool";

	pe_a(&pa, true);
	pe_b(&pb);
	pe_c(&pc);

	wbuf_init(&w, b, sizeof(b));
	s = enrp_begin(&w, ENRP_PRESENCE, ENRP_FLAG_REPLY_REQUIRED, PR1_ID, 0);
	rsp_put_checksum(&w, 0xe980);
	server_info(&si, PR1_ID, "192.0.2.1", "2001:db8::1");
	rsp_put_server_info(&w, &si);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ENRP, &w, "Presence",
	    "enrp.message_flags=0x01 enrp.r_bit=1 "
	    "enrp.sender_servers_id=0x1b2a5d3e "
	    "enrp.receiver_servers_id=0x00000000 "
	    "enrp.pe_checksum=0xe980 enrp.parameter_length=6,44,36,8,20 "
	    "enrp.server_information_server_identifier=0x1b2a5d3e "
	    "enrp.sctp_transport_port=9901 enrp.ipv4_address=192.0.2.1 "
	    "enrp.ipv6_address=2001:db8::1");

	wbuf_init(&w, b, sizeof(b));
	s = enrp_begin(&w, ENRP_HANDLE_TABLE_REQUEST,
	    ENRP_FLAG_OWN_CHILDREN_ONLY, PR2_ID, PR1_ID);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ENRP, &w, "HandleTableRequest",
	    "enrp.message_flags=0x01 enrp.w_bit=1 "
	    "enrp.sender_servers_id=0x2c4f7a91 "
	    "enrp.receiver_servers_id=0x1b2a5d3e enrp.message_length=12");

	/* M set: more follows; entries EchoPool (A, B) and SipPool (C). */
	wbuf_init(&w, b, sizeof(b));
	s = enrp_begin(&w, ENRP_HANDLE_TABLE_RESPONSE, ENRP_FLAG_MORE_TO_SEND,
	    PR1_ID, PR2_ID);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_pe(&w, &pa);
	rsp_put_pe(&w, &pb);
	rsp_put_handle(&w, "SipPool", 7);
	rsp_put_pe(&w, &pc);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ENRP, &w, "HandleTableResponse",
	    "enrp.message_flags=0x02 enrp.m_bit=1 enrp.r_bit=0 "
	    "enrp.sender_servers_id=0x1b2a5d3e "
	    "enrp.receiver_servers_id=0x2c4f7a91 "
	    "enrp.pool_handle_pool_handle=4563686f506f6f6c,536970506f6f6c "
	    "enrp.pool_element_pe_identifier=0x11223344,0x55667788,0x0a0b0c0d "
	    "enrp.pool_element_home_enrp_server_identifier="
	    "0x1b2a5d3e,0x2c4f7a91,0x3d5e8fa2 "
	    "enrp.pool_member_selection_policy_type="
	    "0x00000002,0x00000005,0x40000002 "
	    "enrp.sctp_transport_port=7,40211 enrp.tcp_transport_port=8080 "
	    "enrp.udp_transport_port=5060");

	wbuf_init(&w, b, sizeof(b));
	s = enrp_begin(&w, ENRP_HANDLE_UPDATE, 0, PR1_ID, 0);
	wbuf_u16(&w, ENRP_ADD_PE);
	wbuf_u16(&w, 0);
	rsp_put_handle(&w, h, strlen(h));
	rsp_put_pe(&w, &pa);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ENRP, &w, "HandleUpdate",
	    "enrp.sender_servers_id=0x1b2a5d3e "
	    "enrp.receiver_servers_id=0x00000000 enrp.update_action=0 "
	    "enrp.pool_handle_pool_handle=4563686f506f6f6c "
	    "enrp.pool_element_pe_identifier=0x11223344 "
	    "enrp.pool_element_registration_life=18000 "
	    "enrp.sctp_transport_port=7,40211 enrp.transport_use=1,0 "
	    "enrp.pool_member_selection_policy_weight=5");

	/* The same with its Registrant Identity (0x8a02, skip class). */
	{
		struct rsp_pe pr = pa;

		pr.registrant_kind = RSP_REGISTRANT_PSK;
		pr.registrant.p = (const uint8_t *)"pe-echo-1";
		pr.registrant.len = 9;
		wbuf_init(&w, b, sizeof(b));
		s = enrp_begin(&w, ENRP_HANDLE_UPDATE, 0, PR1_ID, 0);
		wbuf_u16(&w, ENRP_ADD_PE);
		wbuf_u16(&w, 0);
		rsp_put_handle(&w, h, strlen(h));
		rsp_put_pe(&w, &pr);
		rsp_put_msg_end(&w, s);
		emit(RSP_PROTO_ENRP, &w, "HandleUpdate",
		    "enrp.sender_servers_id=0x1b2a5d3e enrp.update_action=0 "
		    "enrp.pool_element_pe_identifier=0x11223344 "
		    "enrp.pool_element_registration_life=18000 "
		    "enrp.sctp_transport_port=7,40211");
	}

	/*
	 * The PE Report (0x8a, doc/spec/unreachable-report.md): a pool user
	 * at 198.51.100.7 reported PE 0x11223344 to PR2, which tells its
	 * home PR1.  tshark does not know the type and passes over it.
	 */
	{
		struct rsp_addr ra = { .family = AF_INET,
		    .a = { 198, 51, 100, 7 } };

		wbuf_init(&w, b, sizeof(b));
		s = enrp_begin(&w, ENRP_PE_REPORT, 0, PR2_ID, PR1_ID);
		rsp_put_handle(&w, h, strlen(h));
		rsp_put_pe_id(&w, 0x11223344);
		rsp_put_addr(&w, &ra);
		rsp_put_msg_end(&w, s);
		emit(RSP_PROTO_ENRP, &w, "PeReport",
		    "enrp.message_length=40");
	}

	wbuf_init(&w, b, sizeof(b));
	s = enrp_begin(&w, ENRP_LIST_REQUEST, 0, PR3_ID, PR1_ID);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ENRP, &w, "ListRequest",
	    "enrp.sender_servers_id=0x3d5e8fa2 "
	    "enrp.receiver_servers_id=0x1b2a5d3e enrp.message_length=12");

	wbuf_init(&w, b, sizeof(b));
	s = enrp_begin(&w, ENRP_LIST_RESPONSE, 0, PR1_ID, PR3_ID);
	server_info(&si, PR2_ID, "192.0.2.2", NULL);
	rsp_put_server_info(&w, &si);
	server_info(&si, PR3_ID, "192.0.2.3", "2001:db8::3");
	rsp_put_server_info(&w, &si);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ENRP, &w, "ListResponse",
	    "enrp.r_bit=0 enrp.sender_servers_id=0x1b2a5d3e "
	    "enrp.receiver_servers_id=0x3d5e8fa2 "
	    "enrp.server_information_server_identifier=0x2c4f7a91,0x3d5e8fa2 "
	    "enrp.sctp_transport_port=9901,9901 "
	    "enrp.ipv4_address=192.0.2.2,192.0.2.3 "
	    "enrp.ipv6_address=2001:db8::3");

	wbuf_init(&w, b, sizeof(b));
	s = enrp_begin(&w, ENRP_INIT_TAKEOVER, 0, PR1_ID, 0);
	wbuf_u32(&w, PR2_ID);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ENRP, &w, "InitTakeover",
	    "enrp.sender_servers_id=0x1b2a5d3e "
	    "enrp.receiver_servers_id=0x00000000 "
	    "enrp.target_servers_id=0x2c4f7a91 enrp.message_length=16");

	wbuf_init(&w, b, sizeof(b));
	s = enrp_begin(&w, ENRP_INIT_TAKEOVER_ACK, 0, PR3_ID, PR1_ID);
	wbuf_u32(&w, PR2_ID);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ENRP, &w, "InitTakeoverAck",
	    "enrp.sender_servers_id=0x3d5e8fa2 "
	    "enrp.receiver_servers_id=0x1b2a5d3e "
	    "enrp.target_servers_id=0x2c4f7a91");

	wbuf_init(&w, b, sizeof(b));
	s = enrp_begin(&w, ENRP_TAKEOVER_SERVER, 0, PR1_ID, 0);
	wbuf_u32(&w, PR2_ID);
	rsp_put_msg_end(&w, s);
	emit(RSP_PROTO_ENRP, &w, "TakeoverServer",
	    "enrp.sender_servers_id=0x1b2a5d3e "
	    "enrp.receiver_servers_id=0x00000000 "
	    "enrp.target_servers_id=0x2c4f7a91");

	/*
	 * Error: an ENRP message of unknown type 0x4b, and Invalid Values
	 * with the offending TLV (a policy of reserved type 0).
	 */
	{
		static const uint8_t unrec_msg[] = {
			0x4b, 0x00, 0x00, 0x0c, 0x2c, 0x4f, 0x7a, 0x91,
			0x1b, 0x2a, 0x5d, 0x3e };
		/* Policy type 0 is reserved: invalid. */
		static const uint8_t bad_tlv[] = {
			0x00, 0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00 };

		memset(&e, 0, sizeof(e));
		e.ncause = 2;
		e.cause[0].code = RSP_CAUSE_UNRECOGNIZED_MSG;
		e.cause[0].info.p = unrec_msg;
		e.cause[0].info.len = sizeof(unrec_msg);
		e.cause[1].code = RSP_CAUSE_INVALID_VALUES;
		e.cause[1].info.p = bad_tlv;
		e.cause[1].info.len = sizeof(bad_tlv);
		wbuf_init(&w, b, sizeof(b));
		s = enrp_begin(&w, ENRP_ERROR, 0, PR1_ID, PR2_ID);
		rsp_put_op_error(&w, &e);
		rsp_put_msg_end(&w, s);
		emit(RSP_PROTO_ENRP, &w, "Error",
		    "enrp.sender_servers_id=0x1b2a5d3e "
		    "enrp.receiver_servers_id=0x2c4f7a91 "
		    "enrp.cause_code=0x0002,0x0003 enrp.cause_length=16,12 "
		    "enrp.pool_member_selection_policy_type=0x00000000");
	}
}

int
main(void)
{
	gen_asap();
	gen_enrp();
	if (fflush(stdout) != 0)
		return 2;
	return failures ? 1 : 0;
}
