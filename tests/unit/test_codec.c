/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the wire codec: the worked encodings of the spec digest,
 * round trips of every message and parameter, every truncation and every
 * corrupted length of every valid vector (ours and RSPLIB's), the four
 * unknown-parameter action classes, unknown message types, limits, and the
 * Registrar Identity extension (doc/spec/registrar-identity.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "codec.h"
#include "../common/hex.h"
#include "../common/samples.h"

static uint8_t buf[65536 + 64];
static uint8_t buf2[65536 + 64];

static size_t
hex(const char *s, uint8_t *out)
{
	long n = hex_parse(s, out, 65536);

	assert_true(n > 0);
	return (size_t)n;
}

static void
assert_decodes(enum rsp_proto proto, const uint8_t *p, size_t len,
    struct rsp_msg *m)
{
	struct rsp_err err;

	if (rsp_decode(proto, p, len, NULL, m, &err) != 0)
		fail_msg("decode failed: %s (cause 0x%x at %zu)", err.what,
		    err.cause, err.offset);
}

/* Decode, re-encode, compare: the bytes must come back unchanged. */
static void
assert_roundtrip(enum rsp_proto proto, const uint8_t *p, size_t len,
    const char *what)
{
	struct rsp_msg m;
	struct wbuf w;

	assert_decodes(proto, p, len, &m);
	wbuf_init(&w, buf2, sizeof(buf2));
	assert_int_equal(rsp_encode(&w, &m), 0);
	if (w.len != len || memcmp(buf2, p, len) != 0) {
		size_t i;

		for (i = 0; i < len && i < w.len && buf2[i] == p[i]; i++)
			;
		fail_msg("%s: re-encoding differs at byte %zu (len %zu vs %zu)",
		    what, i, len, w.len);
	}
}

/*
 * Worked encodings: doc/protocol/parameters.md §6,
 * doc/protocol/asap.md §2.1 and doc/protocol/enrp.md §3.
 */
static void
test_spec_vectors(void **state)
{
	uint8_t want[256];
	struct rsp_msg m;
	struct wbuf w;
	size_t n, start;

	(void)state;
	/* Registration of "EchoPool" (sample 0) */
	n = hex("01 00 00 38 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 0a 00 28 11 22 33 44 00 00 00 00 00 00 01 2c"
	    "00 04 00 10 00 07 00 01 00 01 00 08 c0 00 02 0a"
	    "00 08 00 08 00 00 00 01", want);
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(sample_build(0, &w), n);
	assert_memory_equal(buf, want, n);
	assert_decodes(RSP_PROTO_ASAP, want, n, &m);
	assert_int_equal(m.type, ASAP_REGISTRATION);
	assert_true(m.has_handle && m.handle.len == 8);
	assert_memory_equal(m.handle.p, "EchoPool", 8);
	assert_true(m.has_pe);
	assert_int_equal(m.pe.id, 0x11223344);
	assert_int_equal(m.pe.life, 300);
	assert_int_equal(m.pe.user.type, RSP_PARAM_SCTP_TRANSPORT);
	assert_int_equal(m.pe.user.port, 7);
	assert_int_equal(m.pe.user.use, RSP_TRANSPORT_USE_DATA_CONTROL);
	assert_int_equal(m.pe.user.naddr, 1);
	assert_int_equal(m.pe.user.addr[0].family, AF_INET);
	assert_memory_equal(m.pe.user.addr[0].a, "\xc0\x00\x02\x0a", 4);
	assert_int_equal(m.pe.policy.type, RSP_POLICY_ROUND_ROBIN);
	assert_false(m.pe.has_asap);

	/* Handle Resolution with Hropt items = 3 (sample 10) */
	n = hex("05 00 00 18 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "80 3f 00 08 00 00 00 03", want);
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(sample_build(10, &w), n);
	assert_memory_equal(buf, want, n);
	assert_decodes(RSP_PROTO_ASAP, want, n, &m);
	assert_true(m.has_hropt);
	assert_int_equal(m.hropt_items, 3);

	/* PE Checksum parameter: Length 6, two bytes of padding */
	wbuf_init(&w, buf, sizeof(buf));
	rsp_put_checksum(&w, 0xe980);
	assert_int_equal(w.len, 8);
	assert_memory_equal(buf, "\x00\x0f\x00\x06\xe9\x80\x00\x00", 8);

	/* ASAP_ERROR with one Unknown Pool Handle cause */
	n = hex("0e 00 00 0c 00 0c 00 08 00 09 00 04", want);
	wbuf_init(&w, buf, sizeof(buf));
	start = rsp_put_msg_begin(&w, ASAP_ERROR, 0);
	rsp_put_op_error(&w, &(struct rsp_op_error){ .ncause = 1,
	    .cause = { { .code = RSP_CAUSE_UNKNOWN_POOL_HANDLE } } });
	rsp_put_msg_end(&w, start);
	assert_int_equal(w.len, n);
	assert_memory_equal(buf, want, n);
	assert_decodes(RSP_PROTO_ASAP, want, n, &m);
	assert_true(m.has_error);
	assert_int_equal(m.error.ncause, 1);
	assert_int_equal(m.error.cause[0].code, RSP_CAUSE_UNKNOWN_POOL_HANDLE);

	/* Endpoint Keep-Alive, H = 1, server 0x0a0b0c0d (sample 13) */
	n = hex("07 01 00 14 0a 0b 0c 0d 00 09 00 0c 45 63 68 6f"
	    "50 6f 6f 6c", want);
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(sample_build(13, &w), n);
	assert_memory_equal(buf, want, n);
	assert_decodes(RSP_PROTO_ASAP, want, n, &m);
	assert_int_equal(m.flags, ASAP_FLAG_HOME);
	assert_int_equal(m.server_id, 0x0a0b0c0d);

	/* ENRP_PRESENCE, R = 1, checksum 0xe980, server info */
	n = hex("01 01 00 2c 0a 0b 0c 0d 00 00 00 00 00 0f 00 06"
	    "e9 80 00 00 00 0b 00 18 0a 0b 0c 0d 00 04 00 10"
	    "26 ad 00 00 00 01 00 08 c0 00 02 01", want);
	assert_decodes(RSP_PROTO_ENRP, want, n, &m);
	assert_int_equal(m.flags, ENRP_FLAG_REPLY_REQUIRED);
	assert_int_equal(m.sender_id, 0x0a0b0c0d);
	assert_int_equal(m.receiver_id, 0);
	assert_true(m.has_checksum);
	assert_int_equal(m.checksum, 0xe980);
	assert_true(m.has_server_info);
	assert_int_equal(m.server_info.id, 0x0a0b0c0d);
	assert_int_equal(m.server_info.transport.port, ENRP_PORT);
	assert_roundtrip(RSP_PROTO_ENRP, want, n, "presence example");

	/* ENRP_HANDLE_UPDATE ADD_PE example */
	n = hex("04 00 00 54 0a 0b 0c 0d 00 00 00 00 00 00 00 00"
	    "00 09 00 0c 45 63 68 6f 50 6f 6f 6c 00 0a 00 38"
	    "11 22 33 44 0a 0b 0c 0d 00 00 01 2c 00 04 00 10"
	    "00 07 00 01 00 01 00 08 c0 00 02 0a 00 08 00 08"
	    "00 00 00 01 00 04 00 10 9c 40 00 01 00 01 00 08"
	    "c0 00 02 0a", want);
	assert_decodes(RSP_PROTO_ENRP, want, n, &m);
	assert_int_equal(m.update_action, ENRP_ADD_PE);
	assert_true(m.pe.has_asap);
	assert_int_equal(m.pe.asap.port, 40000);
	assert_int_equal(m.pe.home_id, 0x0a0b0c0d);
	assert_roundtrip(RSP_PROTO_ENRP, want, n, "handle update example");
}

/* Every sample: decodes, carries what was put in, re-encodes identically. */
static void
test_roundtrip_samples(void **state)
{
	bool seen_param[0x11] = { false }, seen_cause[RSP_CAUSE_MAX + 1] = { 0 };
	bool seen_asap[ASAP_MSG_MAX + 1] = { 0 }, seen_enrp[ENRP_MSG_MAX + 1] = { 0 };
	uint32_t policies[16];
	size_t i, j, npol = 0, len;
	struct rsp_iter it;
	struct rsp_msg m;
	struct rsp_pe pe;
	struct wbuf w;

	(void)state;
	for (i = 0; i < nsamples; i++) {
		wbuf_init(&w, buf, sizeof(buf));
		len = sample_build(i, &w);
		assert_true(len > 0);
		assert_int_equal(len % 4, 0);
		assert_roundtrip(samples[i].proto, buf, len, samples[i].name);
		assert_decodes(samples[i].proto, buf, len, &m);
		assert_int_equal(m.type, samples[i].type);
		if (m.proto == RSP_PROTO_ASAP)
			seen_asap[m.type] = true;
		else
			seen_enrp[m.type] = true;
		/* Record which parameter kinds and policies were carried. */
		if (m.has_handle)
			seen_param[RSP_PARAM_POOL_HANDLE] = true;
		if (m.has_pe_id)
			seen_param[RSP_PARAM_PE_ID] = true;
		if (m.has_cookie)
			seen_param[RSP_PARAM_COOKIE] = true;
		if (m.has_checksum)
			seen_param[RSP_PARAM_PE_CHECKSUM] = true;
		if (m.has_server_info || m.type == ENRP_LIST_RESPONSE)
			seen_param[RSP_PARAM_SERVER_INFO] = true;
		if (m.has_error) {
			seen_param[RSP_PARAM_OPERATION_ERROR] = true;
			for (j = 0; j < m.error.ncause; j++)
				if (m.error.cause[j].code <= RSP_CAUSE_MAX)
					seen_cause[m.error.cause[j].code] = true;
		}
		rsp_iter_init(&it, &m);
		while (m.has_pe || rsp_iter_pe(&it, NULL, &pe)) {
			if (m.has_pe)
				pe = m.pe;
			seen_param[RSP_PARAM_POOL_ELEMENT] = true;
			seen_param[RSP_PARAM_POLICY] = true;
			seen_param[pe.user.type] = true;
			for (j = 0; j < pe.user.naddr; j++)
				seen_param[pe.user.addr[j].family == AF_INET ?
				    RSP_PARAM_IPV4_ADDR : RSP_PARAM_IPV6_ADDR] =
				    true;
			for (j = 0; j < npol && policies[j] != pe.policy.type; j++)
				;
			if (j == npol && npol < 16)
				policies[npol++] = pe.policy.type;
			if (m.has_pe)
				break;
		}
	}
	for (i = 1; i <= ASAP_MSG_MAX; i++)
		if (!seen_asap[i])
			fail_msg("no sample of ASAP message %zu", i);
	for (i = 1; i <= ENRP_MSG_MAX; i++)
		if (!seen_enrp[i])
			fail_msg("no sample of ENRP message %zu", i);
	for (i = RSP_PARAM_IPV4_ADDR; i <= RSP_PARAM_OPAQUE_TRANSPORT; i++)
		if (!seen_param[i])
			fail_msg("no sample carries parameter 0x%zx", i);
	for (i = 0; i <= RSP_CAUSE_MAX; i++)
		if (!seen_cause[i])
			fail_msg("no sample carries cause 0x%zx", i);
	assert_int_equal(npol, 9);	/* all nine RFC 5356 policies */
}

/* Iterators see the repeated items with their values. */
static void
test_iterators(void **state)
{
	struct rsp_server_info si;
	struct rsp_transport t;
	struct rsp_bytes h;
	struct rsp_iter it;
	struct rsp_msg m;
	struct rsp_pe pe;
	struct wbuf w;
	size_t len;
	char a[64];

	(void)state;
	wbuf_init(&w, buf, sizeof(buf));
	len = sample_build(11, &w);	/* resolution response */
	assert_decodes(RSP_PROTO_ASAP, buf, len, &m);
	assert_true(m.has_policy);
	assert_int_equal(m.policy.type, RSP_POLICY_WEIGHTED_RANDOM);
	assert_int_equal(m.nitems, 2);
	rsp_iter_init(&it, &m);
	assert_int_equal(rsp_iter_pe(&it, &h, &pe), 1);
	assert_int_equal(pe.id, 1);
	assert_int_equal(pe.policy.val[0], 5);
	assert_int_equal(pe.user.naddr, 2);
	assert_string_equal(rsp_addr_str(&pe.user.addr[1], a, sizeof(a)),
	    "198.51.100.11");
	assert_int_equal(h.len, 8);
	assert_int_equal(rsp_iter_pe(&it, &h, &pe), 1);
	assert_int_equal(pe.id, 2);
	assert_string_equal(rsp_addr_str(&pe.user.addr[1], a, sizeof(a)),
	    "2001:db8::12");
	assert_int_equal(rsp_iter_pe(&it, &h, &pe), 0);

	wbuf_init(&w, buf, sizeof(buf));
	len = sample_build(24, &w);	/* handle table response, 2 pools */
	assert_decodes(RSP_PROTO_ENRP, buf, len, &m);
	assert_int_equal(m.flags, ENRP_FLAG_MORE_TO_SEND);
	assert_int_equal(m.nitems, 3);
	rsp_iter_init(&it, &m);
	assert_int_equal(rsp_iter_pe(&it, &h, &pe), 1);
	assert_true(h.len == 8 && memcmp(h.p, "EchoPool", 8) == 0);
	assert_int_equal(rsp_iter_pe(&it, &h, &pe), 1);
	assert_true(h.len == 8 && pe.id == 2 && pe.has_asap);
	assert_int_equal(rsp_iter_pe(&it, &h, &pe), 1);
	assert_true(h.len == 4 && memcmp(h.p, "Calc", 4) == 0);
	assert_int_equal(pe.user.type, RSP_PARAM_TCP_TRANSPORT);
	assert_int_equal(pe.user.port, 4000);
	assert_int_equal(rsp_iter_pe(&it, &h, &pe), 0);

	wbuf_init(&w, buf, sizeof(buf));
	len = sample_build(16, &w);	/* server announce */
	assert_decodes(RSP_PROTO_ASAP, buf, len, &m);
	assert_int_equal(m.server_id, 0x0a0b0c0d);
	assert_int_equal(m.nitems, 2);
	rsp_iter_init(&it, &m);
	assert_int_equal(rsp_iter_transport(&it, &t), 1);
	assert_int_equal(t.type, RSP_PARAM_SCTP_TRANSPORT);
	assert_int_equal(t.naddr, 2);
	assert_int_equal(t.addr[1].family, AF_INET6);
	assert_int_equal(rsp_iter_transport(&it, &t), 1);
	assert_int_equal(t.type, RSP_PARAM_TCP_TRANSPORT);
	assert_int_equal(rsp_iter_transport(&it, &t), 0);

	wbuf_init(&w, buf, sizeof(buf));
	len = sample_build(28, &w);	/* list response */
	assert_decodes(RSP_PROTO_ENRP, buf, len, &m);
	assert_int_equal(m.nitems, 2);
	rsp_iter_init(&it, &m);
	assert_int_equal(rsp_iter_server_info(&it, &si), 1);
	assert_int_equal(si.id, 0x0a0b0c0d);
	assert_int_equal(rsp_iter_server_info(&it, &si), 1);
	assert_int_equal(si.id, 0x01020304);
	assert_int_equal(si.transport.naddr, 2);
	assert_int_equal(rsp_iter_server_info(&it, &si), 0);
}

/* Offsets of every TLV length field, with the end of its container. */
struct lenfield {
	size_t	 at;		/* offset of the TLV */
	size_t	 end;		/* end of its container */
};

static size_t
collect_tlvs(const uint8_t *p, size_t start, size_t end, struct lenfield *f,
    size_t n, size_t max, bool causes)
{
	size_t pos = start, len, child;
	uint16_t type;

	while (pos + 4 <= end && n < max) {
		type = get_u16(p + pos);
		len = get_u16(p + pos + 2);
		f[n].at = pos;
		f[n].end = end;
		n++;
		child = 0;
		switch (causes ? 0 : type) {
		case RSP_PARAM_POOL_ELEMENT:	child = 16; break;
		case RSP_PARAM_SCTP_TRANSPORT:
		case RSP_PARAM_TCP_TRANSPORT:
		case RSP_PARAM_UDP_TRANSPORT:
		case RSP_PARAM_UDPLITE_TRANSPORT:
		case RSP_PARAM_SERVER_INFO:	child = 8; break;
		case RSP_PARAM_DCCP_TRANSPORT:	child = 12; break;
		case RSP_PARAM_OPERATION_ERROR:	child = 4; break;
		}
		if (child != 0)
			n = collect_tlvs(p, pos + child, pos + len, f, n, max,
			    type == RSP_PARAM_OPERATION_ERROR);
		pos += roundup4(len);
	}
	return n;
}

static size_t
params_start(enum rsp_proto proto, const uint8_t *p)
{
	if (proto == RSP_PROTO_ASAP)
		return (p[0] == ASAP_ENDPOINT_KEEP_ALIVE ||
		    p[0] == ASAP_SERVER_ANNOUNCE) ? 8 : 4;
	return (p[0] == ENRP_HANDLE_UPDATE || p[0] == ENRP_INIT_TAKEOVER ||
	    p[0] == ENRP_INIT_TAKEOVER_ACK || p[0] == ENRP_TAKEOVER_SERVER) ?
	    16 : 12;
}

/*
 * For one valid message: every truncation fails; every message length but
 * the true one (or one counting the trailing padding) fails; every TLV
 * length below 4 or beyond its container fails with Invalid Values, and any
 * other value decodes or fails without harm (a shorter length can describe
 * another valid message: then that message must survive a round trip).
 */
static unsigned long swept_trunc, swept_mlen, swept_tlv, swept_other_valid;

static void
sweep(enum rsp_proto proto, const uint8_t *orig, size_t len, const char *what)
{
	static struct lenfield f[512];
	static uint8_t c[65536];
	size_t mlen = get_u16(orig + 2), n, i, v, lim, lo;
	struct rsp_msg m;
	struct rsp_err err;
	struct wbuf w;

	for (i = 0; i < mlen; i++) {
		memcpy(c, orig, i);
		swept_trunc++;
		if (rsp_decode(proto, c, i, NULL, &m, &err) == 0)
			fail_msg("%s: truncation to %zu bytes accepted", what, i);
		assert_int_equal(err.cause, RSP_CAUSE_INVALID_VALUES);
	}
	/*
	 * The lengths that describe this message: from the end of its last
	 * parameter (RFC 5354 §2) up to that parameter's padding (RSPLIB).
	 */
	n = collect_tlvs(orig, params_start(proto, orig), mlen, f, 0, 512,
	    false);
	lo = mlen;
	for (i = 0; i < n; i++)
		if (f[i].end == mlen && f[i].at + get_u16(orig + f[i].at + 2) <= lo &&
		    roundup4(f[i].at + get_u16(orig + f[i].at + 2)) >= mlen)
			lo = f[i].at + get_u16(orig + f[i].at + 2);
	for (v = 0; v <= len + 64; v++) {
		if (v >= lo && v <= roundup4(mlen))
			continue;
		memcpy(c, orig, len);
		c[2] = (uint8_t)(v >> 8);
		c[3] = (uint8_t)v;
		swept_mlen++;
		if (rsp_decode(proto, c, len, NULL, &m, &err) == 0)
			fail_msg("%s: message length %zu (true %zu) accepted",
			    what, v, mlen);
	}
	for (i = 0; i < n; i++) {
		lim = f[i].end - f[i].at;
		for (v = 0; v <= lim + 8; v++) {
			uint16_t vv = (uint16_t)(v == lim + 8 ? 0xffff : v);

			if (vv == get_u16(orig + f[i].at + 2))
				continue;
			memcpy(c, orig, len);
			c[f[i].at + 2] = (uint8_t)(vv >> 8);
			c[f[i].at + 3] = (uint8_t)vv;
			swept_tlv++;
			if (rsp_decode(proto, c, len, NULL, &m, &err) == -1) {
				assert_true(err.what[0] != '\0');
				continue;
			}
			if (vv < 4 || vv > lim)
				fail_msg("%s: TLV at %zu with length %u "
				    "(container %zu) accepted", what, f[i].at,
				    vv, lim);
			swept_other_valid++;
			wbuf_init(&w, buf2, sizeof(buf2));
			assert_int_equal(rsp_encode(&w, &m), 0);
			assert_decodes(proto, buf2, w.len, &m);
		}
	}
}

static void
test_sweep_samples(void **state)
{
	struct wbuf w;
	size_t i, len;

	(void)state;
	for (i = 0; i < nsamples; i++) {
		wbuf_init(&w, buf, sizeof(buf));
		len = sample_build(i, &w);
		sweep(samples[i].proto, buf, len, samples[i].name);
	}
	print_message("%zu samples: %lu truncations, %lu message lengths, "
	    "%lu TLV lengths rejected or (%lu) read as another valid message\n",
	    nsamples, swept_trunc, swept_mlen, swept_tlv, swept_other_valid);
}

/* RSPLIB's own messages (extracted from the captures of shared/sctp-vm). */
static void
test_rsplib_vectors(void **state)
{
	struct vector *v = NULL;
	long n, i;

	(void)state;
	n = vectors_load(SRCDIR "/tests/vectors/rsplib", &v);
	if (n <= 0) {
		free(v);
		skip();
	}
	for (i = 0; i < n; i++) {
		assert_roundtrip(v[i].proto, v[i].bytes, v[i].len, v[i].where);
		sweep(v[i].proto, v[i].bytes, v[i].len, v[i].where);
	}
	print_message("%ld RSPLIB vectors round-tripped and swept\n", n);
	free(v);
}

/*
 * A registration with an unknown parameter of type `type` placed at the top
 * level (where = 0), inside the Pool Element (1) or inside its transport (2).
 */
static size_t
reg_with_unknown(uint16_t type, int where, struct wbuf *w)
{
	size_t m, pe, tr, u;

	wbuf_init(w, buf, sizeof(buf));
	m = rsp_put_msg_begin(w, ASAP_REGISTRATION, 0);
	rsp_put_handle(w, "EchoPool", 8);
	if (where == 0) {
		u = rsp_put_tlv_begin(w, type);
		wbuf_bytes(w, "abc", 3);
		rsp_put_tlv_end(w, u);
	}
	pe = rsp_put_tlv_begin(w, RSP_PARAM_POOL_ELEMENT);
	wbuf_u32(w, 0x11223344);
	wbuf_u32(w, 0);
	wbuf_u32(w, 300);
	if (where == 1) {
		u = rsp_put_tlv_begin(w, type);
		wbuf_bytes(w, "abc", 3);
		rsp_put_tlv_end(w, u);
	}
	tr = rsp_put_tlv_begin(w, RSP_PARAM_SCTP_TRANSPORT);
	wbuf_u16(w, 7);
	wbuf_u16(w, 1);
	if (where == 2) {
		u = rsp_put_tlv_begin(w, type);
		wbuf_bytes(w, "abc", 3);
		rsp_put_tlv_end(w, u);
	}
	rsp_put_addr(w, &(struct rsp_addr){ .family = AF_INET,
	    .a = { 192, 0, 2, 10 } });
	rsp_put_tlv_end(w, tr);
	rsp_put_policy(w, &(struct rsp_policy){ .type = RSP_POLICY_ROUND_ROBIN });
	rsp_put_tlv_end(w, pe);
	rsp_put_msg_end(w, m);
	assert_false(w->err);
	return w->len;
}

static void
test_action_bits(void **state)
{
	static const uint16_t base = 0x0142;
	uint8_t plain[256];
	size_t plain_len, len;
	struct rsp_msg m;
	struct rsp_err err;
	struct wbuf w, w2;
	int where;

	(void)state;
	wbuf_init(&w, buf, sizeof(buf));
	plain_len = sample_build(0, &w);
	memcpy(plain, buf, plain_len);

	for (where = 0; where < 3; where++) {
		const uint8_t *tlv;

		/* 00: stop, discard silently */
		len = reg_with_unknown(base | RSP_PARAM_ACTION_STOP, where, &w);
		assert_int_equal(rsp_decode(RSP_PROTO_ASAP, buf, len, NULL, &m,
		    &err), -1);
		assert_true(err.silent);

		/* 01: stop and report the TLV in an Unrecognized Parameter */
		len = reg_with_unknown(base | RSP_PARAM_ACTION_STOP_REPORT,
		    where, &w);
		assert_int_equal(rsp_decode(RSP_PROTO_ASAP, buf, len, NULL, &m,
		    &err), -1);
		assert_false(err.silent);
		assert_int_equal(err.cause, RSP_CAUSE_UNRECOGNIZED_PARAM);
		assert_int_equal(err.data.len, 7);
		assert_int_equal(get_u16(err.data.p),
		    base | RSP_PARAM_ACTION_STOP_REPORT);
		assert_memory_equal(err.data.p + 4, "abc", 3);

		/* 10: skip and go on */
		len = reg_with_unknown(base | RSP_PARAM_ACTION_SKIP, where, &w);
		assert_decodes(RSP_PROTO_ASAP, buf, len, &m);
		assert_int_equal(m.nunrec, 0);
		assert_int_equal(m.pe.id, 0x11223344);
		assert_int_equal(m.pe.user.naddr, 1);
		wbuf_init(&w2, buf2, sizeof(buf2));
		assert_int_equal(rsp_encode(&w2, &m), 0);
		assert_int_equal(w2.len, plain_len);	/* dropped on re-encode */
		assert_memory_equal(buf2, plain, plain_len);

		/* 11: skip, go on, and report */
		len = reg_with_unknown(base | RSP_PARAM_ACTION_SKIP_REPORT,
		    where, &w);
		assert_decodes(RSP_PROTO_ASAP, buf, len, &m);
		assert_int_equal(m.nunrec, 1);
		tlv = m.unrec[0].p;
		assert_int_equal(m.unrec[0].len, 7);
		assert_int_equal(get_u16(tlv), base | RSP_PARAM_ACTION_SKIP_REPORT);
		assert_int_equal(m.pe.policy.type, RSP_POLICY_ROUND_ROBIN);
	}
}

static void
test_unknown_messages(void **state)
{
	static const struct { enum rsp_proto proto; uint8_t type; bool silent; }
	    t[] = {
		{ RSP_PROTO_ASAP, 0x00, true },
		{ RSP_PROTO_ASAP, 0x0f, true },
		{ RSP_PROTO_ASAP, 0x4f, false },
		{ RSP_PROTO_ASAP, 0x8f, true },
		{ RSP_PROTO_ENRP, 0x0b, true },
		{ RSP_PROTO_ENRP, 0x4b, false },
		{ RSP_PROTO_ENRP, 0xcb, true },
	};
	uint8_t msg[12] = { 0, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct rsp_msg m;
	struct rsp_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		msg[0] = t[i].type;
		assert_int_equal(rsp_decode(t[i].proto, msg, sizeof(msg), NULL,
		    &m, &err), -1);
		assert_int_equal(err.cause, RSP_CAUSE_UNRECOGNIZED_MSG);
		assert_int_equal(err.silent, t[i].silent);
		/* RFC 5354 §3.12.2: the cause carries the whole message. */
		assert_ptr_equal(err.data.p, msg);
		assert_int_equal(err.data.len, sizeof(msg));
	}
}

static void
test_pool_handle_limit(void **state)
{
	static uint8_t big[65536];
	struct rsp_decode_opts opts = { .pool_handle_max = 64 };
	char handle[65531];
	struct rsp_msg m;
	struct rsp_err err;
	struct wbuf w;
	size_t s, len;

	(void)state;
	memset(handle, 'h', sizeof(handle));
	for (len = 31; len <= 34; len++) {
		wbuf_init(&w, big, sizeof(big));
		s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
		rsp_put_handle(&w, handle, len);
		rsp_put_msg_end(&w, s);
		if (len <= 32) {
			assert_decodes(RSP_PROTO_ASAP, big, w.len, &m);
			assert_int_equal(m.handle.len, len);
		} else {
			assert_int_equal(rsp_decode(RSP_PROTO_ASAP, big, w.len,
			    NULL, &m, &err), -1);
			assert_int_equal(err.cause, RSP_CAUSE_INVALID_VALUES);
			assert_int_equal(err.offset, 4);
			assert_int_equal(get_u16(err.data.p),
			    RSP_PARAM_POOL_HANDLE);
			assert_non_null(strstr(err.what, "exceeds"));
			assert_int_equal(rsp_decode(RSP_PROTO_ASAP, big, w.len,
			    &opts, &m, &err), 0);
		}
	}
	/*
	 * The largest handle a message can carry (RFC lengths: 65527 bytes;
	 * counting its padding, 65524): refused cleanly.
	 */
	wbuf_init(&w, big, sizeof(big));
	w.rfc_lengths = true;
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, handle, 65527);
	rsp_put_msg_end(&w, s);
	assert_false(w.err);
	assert_int_equal(rsp_decode(RSP_PROTO_ASAP, big, w.len, NULL, &m, &err),
	    -1);
	assert_int_equal(err.cause, RSP_CAUSE_INVALID_VALUES);
	/* One byte more does not fit a message: the encoder says so. */
	wbuf_init(&w, big, sizeof(big));
	w.rfc_lengths = true;
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, handle, 65528);
	rsp_put_msg_end(&w, s);
	assert_true(w.err);
	wbuf_init(&w, big, sizeof(big));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, handle, 65524);
	rsp_put_msg_end(&w, s);
	assert_false(w.err);
	assert_int_equal(rsp_decode(RSP_PROTO_ASAP, big, w.len, NULL, &m, &err),
	    -1);
	wbuf_init(&w, big, sizeof(big));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, handle, 65525);
	rsp_put_msg_end(&w, s);
	assert_true(w.err);
}

/* Invalid values inside otherwise well-framed messages. */
static void
test_invalid_values(void **state)
{
	static const struct { enum rsp_proto proto; const char *hex, *why; } t[] = {
		/* registration without a Pool Element */
		{ RSP_PROTO_ASAP, "01 00 00 10 00 09 00 0c 45 63 68 6f 50 6f 6f 6c",
		  "missing" },
		/* Pool Element before the Pool Handle */
		{ RSP_PROTO_ASAP, "01 00 00 38 00 0a 00 28 11 22 33 44 00 00 00 00"
		  "00 00 01 2c 00 04 00 10 00 07 00 01 00 01 00 08 c0 00 02 0a"
		  "00 08 00 08 00 00 00 01 00 09 00 0c 45 63 68 6f 50 6f 6f 6c",
		  "missing" },
		/* Pool Element without a policy */
		{ RSP_PROTO_ASAP, "01 00 00 30 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
		  "00 0a 00 20 11 22 33 44 00 00 00 00 00 00 01 2c"
		  "00 04 00 10 00 07 00 01 00 01 00 08 c0 00 02 0a", "policy" },
		/* SCTP transport with Transport Use 2 */
		{ RSP_PROTO_ASAP, "01 00 00 38 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
		  "00 0a 00 28 11 22 33 44 00 00 00 00 00 00 01 2c"
		  "00 04 00 10 00 07 00 02 00 01 00 08 c0 00 02 0a"
		  "00 08 00 08 00 00 00 01", "Transport Use" },
		/* SCTP transport without an address */
		{ RSP_PROTO_ASAP, "01 00 00 30 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
		  "00 0a 00 20 11 22 33 44 00 00 00 00 00 00 01 2c"
		  "00 04 00 08 00 07 00 01 00 08 00 08 00 00 00 01", "no address" },
		/* Weighted Round Robin without its weight */
		{ RSP_PROTO_ASAP, "01 00 00 38 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
		  "00 0a 00 28 11 22 33 44 00 00 00 00 00 00 01 2c"
		  "00 04 00 10 00 07 00 01 00 01 00 08 c0 00 02 0a"
		  "00 08 00 08 00 00 00 02", "wrong length" },
		/* reserved policy type 0x40000000 */
		{ RSP_PROTO_ASAP, "01 00 00 38 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
		  "00 0a 00 28 11 22 33 44 00 00 00 00 00 00 01 2c"
		  "00 04 00 10 00 07 00 01 00 01 00 08 c0 00 02 0a"
		  "00 08 00 08 40 00 00 00", "reserved" },
		/* IPv4 address parameter with 5 bytes */
		{ RSP_PROTO_ASAP, "01 00 00 3c 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
		  "00 0a 00 2c 11 22 33 44 00 00 00 00 00 00 01 2c"
		  "00 04 00 14 00 07 00 01 00 01 00 09 c0 00 02 0a 0b 00 00 00"
		  "00 08 00 08 00 00 00 01", "address length" },
		/* empty pool handle */
		{ RSP_PROTO_ASAP, "05 00 00 08 00 09 00 04", "empty" },
		/* non-zero padding after a 5-byte handle */
		{ RSP_PROTO_ASAP, "05 00 00 0d 00 09 00 09 45 63 68 6f 31 ff 00 00",
		  "padding" },
		/* Handle Update with update action 2 */
		{ RSP_PROTO_ENRP, "04 00 00 1c 0a 0b 0c 0d 00 00 00 00 00 02 00 00"
		  "00 09 00 0c 45 63 68 6f 50 6f 6f 6c", "action" },
		/* Handle Table Response rejecting yet carrying an entry */
		{ RSP_PROTO_ENRP, "03 01 00 40 0a 0b 0c 0d 00 00 00 00"
		  "00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
		  "00 0a 00 28 11 22 33 44 00 00 00 00 00 00 01 2c"
		  "00 04 00 10 00 07 00 01 00 01 00 08 c0 00 02 0a"
		  "00 08 00 08 00 00 00 01", "rejection" },
		/* Handle Table Response with a Pool Handle and no PE */
		{ RSP_PROTO_ENRP, "03 00 00 18 0a 0b 0c 0d 00 00 00 00"
		  "00 09 00 0c 45 63 68 6f 50 6f 6f 6c", "without a Pool Element" },
		/* List Request carrying a parameter */
		{ RSP_PROTO_ENRP, "05 00 00 14 0a 0b 0c 0d 00 00 00 00"
		  "00 0e 00 08 00 00 00 01", "unexpected" },
		/* Server Announce with a UDP transport */
		{ RSP_PROTO_ASAP, "0a 00 00 18 0a 0b 0c 0d 00 06 00 10 0e d7 00 00"
		  "00 01 00 08 c0 00 02 01", "unexpected" },
		/* Operation Error without any cause */
		{ RSP_PROTO_ASAP, "0e 00 00 08 00 0c 00 04", "no error cause" },
		/* 3 bytes of garbage after the message */
		{ RSP_PROTO_ASAP, "0b 00 00 08 00 0d 00 04 00 00 00 01", "padding" },
		/* 4 bytes after the message */
		{ RSP_PROTO_ASAP, "0b 00 00 08 00 0d 00 04 00 00 00 00", "after" },
	};
	uint8_t msg[256];
	struct rsp_msg m;
	struct rsp_err err;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = hex(t[i].hex, msg);
		if (rsp_decode(t[i].proto, msg, n, NULL, &m, &err) == 0)
			fail_msg("case %zu (%s) accepted", i, t[i].why);
		assert_false(err.silent);
		if (strstr(err.what, t[i].why) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i,
			    err.what, t[i].why);
		assert_int_equal(err.cause, RSP_CAUSE_INVALID_VALUES);
	}
}

/* Caps on what a peer can make us hold: a clear Lack of Resources. */
static void
test_resource_caps(void **state)
{
	struct rsp_transport tr;
	struct rsp_msg m;
	struct rsp_err err;
	struct wbuf w;
	size_t s, t, i;

	(void)state;
	wbuf_init(&w, buf, sizeof(buf));
	s = rsp_put_msg_begin(&w, ASAP_SERVER_ANNOUNCE, 0);
	wbuf_u32(&w, 1);
	memset(&tr, 0, sizeof(tr));
	tr.type = RSP_PARAM_SCTP_TRANSPORT;
	t = rsp_put_tlv_begin(&w, RSP_PARAM_SCTP_TRANSPORT);
	wbuf_u16(&w, ASAP_PORT);
	wbuf_u16(&w, 0);
	for (i = 0; i < RSP_MAX_ADDRS + 1; i++) {
		rsp_addr_v4(&tr.addr[0], 0xc0000200 + (uint32_t)i);
		rsp_put_addr(&w, &tr.addr[0]);
	}
	rsp_put_tlv_end(&w, t);
	rsp_put_msg_end(&w, s);
	assert_int_equal(rsp_decode(RSP_PROTO_ASAP, buf, w.len, NULL, &m, &err),
	    -1);
	assert_int_equal(err.cause, RSP_CAUSE_LACK_OF_RESOURCES);

	wbuf_init(&w, buf, sizeof(buf));
	s = rsp_put_msg_begin(&w, ASAP_ERROR, 0);
	t = rsp_put_tlv_begin(&w, RSP_PARAM_OPERATION_ERROR);
	for (i = 0; i < RSP_MAX_CAUSES + 1; i++) {
		wbuf_u16(&w, RSP_CAUSE_UNSPECIFIED);
		wbuf_u16(&w, 4);
	}
	rsp_put_tlv_end(&w, t);
	rsp_put_msg_end(&w, s);
	assert_int_equal(rsp_decode(RSP_PROTO_ASAP, buf, w.len, NULL, &m, &err),
	    -1);
	assert_int_equal(err.cause, RSP_CAUSE_LACK_OF_RESOURCES);
}

/* The TCP mapping: messages back to back, each framed by its length. */
static void
test_frame(void **state)
{
	uint8_t stream[4096];
	size_t i, off = 0, len, lens[8];
	struct wbuf w;
	long f;

	(void)state;
	for (i = 0; i < 8; i++) {
		wbuf_init(&w, buf, sizeof(buf));
		lens[i] = sample_build(i * 3, &w);
		memcpy(stream + off, buf, lens[i]);
		off += lens[i];
	}
	len = off;
	off = 0;
	for (i = 0; i < 8; i++) {
		/* Every prefix short of the message asks for more. */
		assert_int_equal(rsp_frame(stream + off, 3), 0);
		assert_int_equal(rsp_frame(stream + off, lens[i] - 1), 0);
		f = rsp_frame(stream + off, len - off);
		assert_int_equal(f, (long)lens[i]);
		off += (size_t)f;
	}
	assert_int_equal(off, len);
	assert_int_equal(rsp_frame((const uint8_t *)"\x01\x00\x00\x03", 4), -1);
	/* A 13-byte message occupies 16 bytes of the stream. */
	assert_int_equal(rsp_frame((const uint8_t *)"\x05\x00\x00\x0d"
	    "\x00\x09\x00\x09\x45\x63\x68\x6f\x31\x00\x00\x00", 16), 16);
	assert_int_equal(rsp_frame((const uint8_t *)"\x05\x00\x00\x0d"
	    "\x00\x09\x00\x09\x45\x63\x68\x6f\x31", 13), 0);
}

/*
 * Length rules of the encoder.  A length never counts its own trailing
 * padding; the padding of the last nested parameter is counted by default
 * (RSPLIB rejects messages that leave it out) and left out with
 * rfc_lengths (RFC 5354 §2).  The decoder takes both.
 */
static void
test_encoder_lengths(void **state)
{
	static const struct {
		bool	 rfc;
		size_t	 msg_handle, msg_error, op_error;
	} style[] = {
		{ false, 16, 20, 16 },	/* RSPLIB */
		{ true, 13, 17, 13 },	/* RFC 5354 */
	};
	struct rsp_op_error e = { .ncause = 1 };
	struct rsp_msg m;
	struct wbuf w;
	size_t s, i;

	(void)state;
	e.cause[0].code = RSP_CAUSE_UNRECOGNIZED_PARAM;
	e.cause[0].info.p = (const uint8_t *)"\x80\x01\x00\x05\x7a";
	e.cause[0].info.len = 5;
	for (i = 0; i < 2; i++) {
		wbuf_init(&w, buf, sizeof(buf));
		w.rfc_lengths = style[i].rfc;
		s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
		rsp_put_handle(&w, "Echo1", 5);
		rsp_put_msg_end(&w, s);
		assert_int_equal(w.len, 16);
		assert_int_equal(get_u16(buf + 2), style[i].msg_handle);
		assert_int_equal(get_u16(buf + 6), 9);	/* its own pad: never */
		assert_decodes(RSP_PROTO_ASAP, buf, 16, &m);
		assert_decodes(RSP_PROTO_ASAP, buf, style[i].msg_handle, &m);

		/* An error whose last cause ends unaligned. */
		wbuf_init(&w, buf, sizeof(buf));
		w.rfc_lengths = style[i].rfc;
		s = rsp_put_msg_begin(&w, ASAP_ERROR, 0);
		rsp_put_op_error(&w, &e);
		rsp_put_msg_end(&w, s);
		assert_int_equal(w.len, 20);
		assert_int_equal(get_u16(buf + 6), style[i].op_error);
		assert_int_equal(get_u16(buf + 10), 9);	/* cause */
		assert_int_equal(get_u16(buf + 2), style[i].msg_error);
		/* Re-encoded in the same style: the same bytes. */
		assert_decodes(RSP_PROTO_ASAP, buf, 20, &m);
		wbuf_init(&w, buf2, sizeof(buf2));
		w.rfc_lengths = style[i].rfc;
		assert_int_equal(rsp_encode(&w, &m), 0);
		assert_int_equal(w.len, 20);
		assert_memory_equal(buf2, buf, 20);
	}

	/* A write that does not fit sets the sticky error. */
	wbuf_init(&w, buf, 10);
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, "EchoPool", 8);
	rsp_put_msg_end(&w, s);
	assert_true(w.err);
}

/*
 * rsp_put_pe()'s fast path writes the bytes of the generic encoder: PEs of
 * IPv4 and IPv6 addresses, with and without an ASAP transport, with 0-4
 * policy values, inside a message in both length styles, and at every
 * buffer size (the sticky error where it does not fit); the forms the fast
 * path leaves alone (Opaque, DCCP, a Registrant Identity) too.
 */
static void
fill_transport(struct rsp_transport *tr, uint16_t type, unsigned int n4,
    unsigned int n6)
{
	unsigned int i;

	memset(tr, 0, sizeof(*tr));
	tr->type = type;
	tr->port = 0x1234;
	tr->use = type == RSP_PARAM_SCTP_TRANSPORT ? 1 : 0;
	for (i = 0; i < n4 + n6 && tr->naddr < RSP_MAX_ADDRS; i++) {
		tr->addr[tr->naddr].family = i < n4 ? AF_INET : AF_INET6;
		memset(tr->addr[tr->naddr].a, 0x10 + (int)i, 16);
		tr->naddr++;
	}
}

static size_t
pe_msg(struct rsp_pe *pe, bool rfc, bool generic, uint8_t *out, size_t cap,
    bool *ret_err)
{
	struct wbuf w;
	size_t s;

	wbuf_init(&w, out, cap);
	w.rfc_lengths = rfc;
	s = rsp_put_msg_begin(&w, ASAP_REGISTRATION, 0);
	rsp_put_handle(&w, "pool5", 5);
	if (generic)
		rsp_put_pe_generic(&w, pe);
	else
		rsp_put_pe(&w, pe);
	rsp_put_msg_end(&w, s);
	*ret_err = w.err;
	return w.len;
}

static void
test_pe_fast_path(void **state)
{
	static const struct {
		uint16_t type;
		unsigned int n4, n6, nval;
		bool	 asap, registrant;
	} shape[] = {
		{ RSP_PARAM_TCP_TRANSPORT, 1, 0, 0, false, false },
		{ RSP_PARAM_TCP_TRANSPORT, 1, 0, 1, true, false },
		{ RSP_PARAM_SCTP_TRANSPORT, 2, 2, 4, true, false },
		{ RSP_PARAM_UDP_TRANSPORT, 0, 1, 2, false, false },
		{ RSP_PARAM_SCTP_TRANSPORT, 0, 0, 3, false, false },
		{ RSP_PARAM_DCCP_TRANSPORT, 1, 0, 1, false, false },
		{ RSP_PARAM_TCP_TRANSPORT, 1, 1, 1, true, true },
		{ RSP_PARAM_OPAQUE_TRANSPORT, 0, 0, 1, false, false },
	};
	static uint8_t a[1024], b[1024];
	struct rsp_pe pe;
	struct rsp_msg m;
	size_t i, k, la, lb, cap;
	bool ea, eb;
	int rfc;

	(void)state;
	for (i = 0; i < sizeof(shape) / sizeof(shape[0]); i++) {
		memset(&pe, 0, sizeof(pe));
		pe.id = 0xa1b2c3d4;
		pe.home_id = 0x51;
		pe.life = 30000;
		fill_transport(&pe.user, shape[i].type, shape[i].n4,
		    shape[i].n6);
		if (shape[i].type == RSP_PARAM_OPAQUE_TRANSPORT) {
			pe.user.opaque.p = (const uint8_t *)"opaque7";
			pe.user.opaque.len = 7;
		}
		if (shape[i].type == RSP_PARAM_DCCP_TRANSPORT)
			pe.user.service_code = 42;
		pe.policy.type = RSP_POLICY_WEIGHTED_RANDOM;
		pe.policy.nval = (uint8_t)shape[i].nval;
		for (k = 0; k < shape[i].nval; k++)
			pe.policy.val[k] = (uint32_t)(7 + k);
		if (shape[i].asap) {
			pe.has_asap = true;
			fill_transport(&pe.asap, RSP_PARAM_SCTP_TRANSPORT, 1, 1);
		}
		if (shape[i].registrant) {
			pe.registrant_kind = 1;
			pe.registrant.p = (const uint8_t *)"pe-7";
			pe.registrant.len = 4;
		}
		for (rfc = 0; rfc < 2; rfc++) {
			la = pe_msg(&pe, rfc, false, a, sizeof(a), &ea);
			lb = pe_msg(&pe, rfc, true, b, sizeof(b), &eb);
			assert_false(ea);
			assert_false(eb);
			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la);
			/* (Weighted Random takes one value: decodable.) */
			if (shape[i].nval == 1 &&
			    shape[i].type != RSP_PARAM_OPAQUE_TRANSPORT)
				assert_decodes(RSP_PROTO_ASAP, a, la, &m);
			/* Every shorter buffer: the sticky error, both ways. */
			for (cap = 0; cap < la; cap++) {
				(void)pe_msg(&pe, rfc, false, a, cap, &ea);
				(void)pe_msg(&pe, rfc, true, b, cap, &eb);
				assert_true(ea);
				assert_true(eb);
			}
		}
	}
}

/* Expect a decode failure with Invalid Values naming the parameter. */
static void
assert_invalid(const char *hx, const char *why)
{
	uint8_t msg[512];
	struct rsp_msg m;
	struct rsp_err err;
	size_t n = hex(hx, msg);

	if (rsp_decode(RSP_PROTO_ASAP, msg, n, NULL, &m, &err) == 0)
		fail_msg("accepted: %s", hx);
	assert_int_equal(err.cause, RSP_CAUSE_INVALID_VALUES);
	assert_false(err.silent);
	if (strstr(err.what, why) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err.what, why);
}

/*
 * Registrar Identity (0x8a01): the request and answer forms, byte for byte
 * as doc/spec/registrar-identity.md shows them; round trips; every
 * truncation and corrupted length; anywhere in a resolution, skipped in
 * other messages; the malformed values.
 */
static void
test_registrar_identity(void **state)
{
	uint8_t want[256], name[80];
	struct rsp_op_error oe = { .ncause = 1 };
	struct rsp_msg m;
	struct wbuf w;
	size_t n, s;

	(void)state;
	assert_string_equal(rsp_param_name(RSP_PARAM_REGISTRAR_ID),
	    "Registrar Identity");
	assert_int_equal(RSP_PARAM_REGISTRAR_ID & RSP_PARAM_ACTION_MASK,
	    RSP_PARAM_ACTION_SKIP);

	/* Request: Pool Handle "EchoPool", Hropt 3, empty identity. */
	n = hex("05 00 00 1c 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "80 3f 00 08 00 00 00 03 8a 01 00 04", want);
	wbuf_init(&w, buf, sizeof(buf));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, "EchoPool", 8);
	rsp_put_hropt(&w, 3);
	rsp_put_regid_request(&w);
	rsp_put_msg_end(&w, s);
	assert_false(w.err);
	assert_int_equal(w.len, n);
	assert_memory_equal(buf, want, n);
	assert_decodes(RSP_PROTO_ASAP, want, n, &m);
	assert_true(m.has_regid);
	assert_false(m.regid_answer);
	assert_true(m.has_hropt);
	assert_roundtrip(RSP_PROTO_ASAP, want, n, "identity request");
	sweep(RSP_PROTO_ASAP, want, n, "identity request");

	/* Answer: policy RR, no PE, server 0x0a0b0c0d, node "a1". */
	n = hex("06 00 00 24 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 08 00 08 00 00 00 01 8a 01 00 0a 0a 0b 0c 0d 61 31 00 00",
	    want);
	wbuf_init(&w, buf, sizeof(buf));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
	rsp_put_handle(&w, "EchoPool", 8);
	rsp_put_policy(&w, &(struct rsp_policy){
	    .type = RSP_POLICY_ROUND_ROBIN });
	rsp_put_regid(&w, 0x0a0b0c0d, "a1", 2);
	rsp_put_msg_end(&w, s);
	assert_false(w.err);
	assert_int_equal(w.len, n);
	assert_memory_equal(buf, want, n);
	assert_decodes(RSP_PROTO_ASAP, want, n, &m);
	assert_true(m.has_regid && m.regid_answer);
	assert_int_equal(m.regid_server_id, 0x0a0b0c0d);
	assert_int_equal(m.regid_node.len, 2);
	assert_memory_equal(m.regid_node.p, "a1", 2);
	assert_roundtrip(RSP_PROTO_ASAP, want, n, "identity answer");
	sweep(RSP_PROTO_ASAP, want, n, "identity answer");

	/* Error answer (unknown pool) with the identity; empty node name. */
	wbuf_init(&w, buf, sizeof(buf));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
	rsp_put_handle(&w, "NoSuchPool", 10);
	oe.cause[0].code = RSP_CAUSE_UNKNOWN_POOL_HANDLE;
	rsp_put_op_error(&w, &oe);
	rsp_put_regid(&w, 7, "", 0);
	rsp_put_msg_end(&w, s);
	assert_false(w.err);
	assert_decodes(RSP_PROTO_ASAP, buf, w.len, &m);
	assert_true(m.has_error && m.has_regid && m.regid_answer);
	assert_int_equal(m.regid_server_id, 7);
	assert_int_equal(m.regid_node.len, 0);
	assert_roundtrip(RSP_PROTO_ASAP, buf, w.len, "identity error answer");
	sweep(RSP_PROTO_ASAP, buf, w.len, "identity error answer");

	/* A full answer: PEs, then a 64-byte UTF-8 node name. */
	memset(name, 'x', sizeof(name));
	memcpy(name, "n\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10);
	wbuf_init(&w, buf, sizeof(buf));
	assert_true(sample_build(11, &w) > 0);	/* resolution response, 2 PEs */
	rsp_put_regid(&w, 0xffffffff, name, 64);
	rsp_put_msg_end(&w, 0);
	assert_false(w.err);
	assert_decodes(RSP_PROTO_ASAP, buf, w.len, &m);
	assert_int_equal(m.nitems, 2);
	assert_int_equal(m.regid_server_id, 0xffffffff);
	assert_int_equal(m.regid_node.len, 64);
	assert_roundtrip(RSP_PROTO_ASAP, buf, w.len, "identity with PEs");

	/* Position free in a resolution: before the Pool Handle. */
	n = hex("05 00 00 14 8a 01 00 04 00 09 00 0c 45 63 68 6f"
	    "50 6f 6f 6c", want);
	assert_decodes(RSP_PROTO_ASAP, want, n, &m);
	assert_true(m.has_regid && m.has_handle && !m.regid_answer);
	/* ... and between policy and PEs of an answer. */
	n = hex("06 00 00 2c 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 08 00 08 00 00 00 01 8a 01 00 09 00 00 00 01 62 00 00 00"
	    "00 0c 00 08 00 09 00 04", want);
	assert_decodes(RSP_PROTO_ASAP, want, n, &m);
	assert_true(m.has_regid && m.has_error);
	assert_int_equal(m.regid_node.len, 1);

	/* Other messages skip it (its action bits) and drop it on re-encode. */
	n = hex("07 00 00 18 0a 0b 0c 0d 00 09 00 0c 45 63 68 6f"
	    "50 6f 6f 6c 8a 01 00 04", want);
	assert_decodes(RSP_PROTO_ASAP, want, n, &m);
	assert_false(m.has_regid);
	assert_int_equal(m.nunrec, 0);
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(rsp_encode(&w, &m), 0);
	assert_int_equal(w.len, 20);

	/* Malformed: value of 1..3 bytes, long or bad node names, twice. */
	assert_invalid("05 00 00 18 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "8a 01 00 05 01 00 00 00", "1 to 3 bytes");
	assert_invalid("05 00 00 18 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "8a 01 00 07 01 02 03 00", "1 to 3 bytes");
	assert_invalid("05 00 00 1c 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "8a 01 00 0a 00 00 00 01 61 00 00 00", "UTF-8");
	assert_invalid("05 00 00 1c 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "8a 01 00 09 00 00 00 01 ff 00 00 00", "UTF-8");
	assert_invalid("05 00 00 1c 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "8a 01 00 0a 00 00 00 01 c0 80 00 00", "UTF-8");	/* overlong */
	assert_invalid("05 00 00 1c 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "8a 01 00 0a 00 00 00 01 e2 82 00 00", "UTF-8");	/* cut */
	assert_invalid("05 00 00 1c 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "8a 01 00 0b 00 00 00 01 ed a0 80 00", "UTF-8");	/* surrogate */
	assert_invalid("05 00 00 18 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "8a 01 00 04 8a 01 00 04", "more than one");
	wbuf_init(&w, want, sizeof(want));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, "EchoPool", 8);
	s = rsp_put_tlv_begin(&w, RSP_PARAM_REGISTRAR_ID);
	wbuf_u32(&w, 1);
	wbuf_bytes(&w, name + 10, 65);	/* 65 x 'x' */
	rsp_put_tlv_end(&w, s);
	rsp_put_msg_end(&w, 0);
	assert_false(w.err);
	assert_int_equal(rsp_decode(RSP_PROTO_ASAP, want, w.len, NULL, &m,
	    NULL), -1);

	/* The encoder refuses a node name over 64 bytes. */
	wbuf_init(&w, buf, sizeof(buf));
	rsp_put_regid(&w, 1, name, 65);
	assert_true(w.err);
}

/*
 * Registrant Identity (0x8a02, doc/spec/registrant-identity.md): inside a
 * Pool Element, after the policy; kind, three zero bytes, the name.  The
 * encoder writes it last; round trip, sweep, and every malformed value.
 */
static size_t
registration_with(struct wbuf *w, uint8_t kind, const char *name)
{
	struct rsp_pe pe = { .id = 0x100, .life = 60000 };
	size_t s;

	pe.user.type = RSP_PARAM_TCP_TRANSPORT;
	pe.user.port = 7000;
	pe.user.naddr = 1;
	pe.user.addr[0].family = AF_INET;
	memcpy(pe.user.addr[0].a, "\x7f\x00\x00\x01", 4);
	pe.policy.type = RSP_POLICY_ROUND_ROBIN;
	pe.registrant_kind = kind;
	pe.registrant.p = (const uint8_t *)name;
	pe.registrant.len = (uint16_t)strlen(name);
	s = rsp_put_msg_begin(w, ASAP_REGISTRATION, 0);
	rsp_put_handle(w, "web", 3);
	rsp_put_pe(w, &pe);
	rsp_put_msg_end(w, s);
	return w->len;
}

static void
test_registrant(void **state)
{
	uint8_t msg[512], bad[512];
	struct rsp_msg m;
	struct wbuf w;
	size_t n, at;
	char hx[1600];
	size_t i;

	(void)state;
	assert_string_equal(rsp_param_name(RSP_PARAM_REGISTRANT),
	    "Registrant Identity");
	assert_int_equal(RSP_PARAM_REGISTRANT & RSP_PARAM_ACTION_MASK,
	    RSP_PARAM_ACTION_SKIP);
	wbuf_init(&w, msg, sizeof(msg));
	n = registration_with(&w, RSP_REGISTRANT_PSK, "pe-a");
	assert_false(w.err);
	/* The last 12 bytes: type, length 12, kind 1, 0 0 0, "pe-a". */
	at = n - 12;
	assert_memory_equal(msg + at, "\x8a\x02\x00\x0c\x01\x00\x00\x00pe-a",
	    12);
	assert_decodes(RSP_PROTO_ASAP, msg, n, &m);
	assert_int_equal(m.pe.registrant_kind, RSP_REGISTRANT_PSK);
	assert_int_equal(m.pe.registrant.len, 4);
	assert_memory_equal(m.pe.registrant.p, "pe-a", 4);
	assert_roundtrip(RSP_PROTO_ASAP, msg, n, "registrant");
	sweep(RSP_PROTO_ASAP, msg, n, "registrant");
	/* A certificate name with a space; 128 bytes is the most. */
	wbuf_init(&w, bad, sizeof(bad));
	n = registration_with(&w, RSP_REGISTRANT_CERT, "PE seven");
	assert_decodes(RSP_PROTO_ASAP, bad, n, &m);
	assert_int_equal(m.pe.registrant_kind, RSP_REGISTRANT_CERT);
	memset(hx, 'x', 129);
	hx[128] = '\0';
	wbuf_init(&w, bad, sizeof(bad));
	n = registration_with(&w, RSP_REGISTRANT_PSK, hx);
	assert_false(w.err);
	assert_decodes(RSP_PROTO_ASAP, bad, n, &m);
	hx[128] = 'x';
	hx[129] = '\0';
	wbuf_init(&w, bad, sizeof(bad));
	(void)registration_with(&w, RSP_REGISTRANT_PSK, hx);
	assert_true(w.err);	/* the encoder refuses 129 */

	/* Malformed: unknown kind, reserved bits, bad name bytes. */
#define MUTATE(off, byte, why) do {					\
	memcpy(bad, msg, n0);						\
	bad[at + (off)] = (byte);					\
	for (i = 0; i < n0; i++)					\
		snprintf(hx + 3 * i, 4, "%02x ", bad[i]);		\
	assert_invalid(hx, why);					\
} while (0)
	{
		size_t n0;

		wbuf_init(&w, msg, sizeof(msg));
		n0 = registration_with(&w, RSP_REGISTRANT_PSK, "pe-a");
		MUTATE(4, 3, "unknown kind");
		MUTATE(4, 0, "unknown kind");
		MUTATE(6, 1, "reserved bits");
		MUTATE(9, 0x7f, "not printable");
		MUTATE(9, 0x0a, "not printable");
		MUTATE(3, 8, "name of 0");	/* length 8: no name */
	}
#undef MUTATE
	/* Before the policy, or twice: refused. */
	{
		struct rsp_pe pe;
		size_t s, t;

		memset(&pe, 0, sizeof(pe));
		wbuf_init(&w, bad, sizeof(bad));
		s = rsp_put_msg_begin(&w, ASAP_REGISTRATION, 0);
		rsp_put_handle(&w, "web", 3);
		t = rsp_put_tlv_begin(&w, RSP_PARAM_POOL_ELEMENT);
		wbuf_u32(&w, 1);
		wbuf_u32(&w, 0);
		wbuf_u32(&w, 1000);
		rsp_put_registrant(&w, RSP_REGISTRANT_PSK, "pe-a", 4);
		rsp_put_tlv_end(&w, t);
		rsp_put_msg_end(&w, s);
		for (i = 0; i < w.len; i++)
			snprintf(hx + 3 * i, 4, "%02x ", bad[i]);
		assert_invalid(hx, "before the policy");
		wbuf_init(&w, bad, sizeof(bad));
		n = registration_with(&w, RSP_REGISTRANT_PSK, "pe-a");
		/* append a second one inside the PE: grow PE and message */
		memcpy(bad + n, bad + n - 12, 12);
		{	/* message length at 2, the PE's at 14 (after "web") */
			uint16_t ml = (uint16_t)(get_u16(bad + 2) + 12);
			uint16_t pl = (uint16_t)(get_u16(bad + 14) + 12);

			bad[2] = (uint8_t)(ml >> 8);
			bad[3] = (uint8_t)ml;
			bad[14] = (uint8_t)(pl >> 8);
			bad[15] = (uint8_t)pl;
		}
		for (i = 0; i < n + 12; i++)
			snprintf(hx + 3 * i, 4, "%02x ", bad[i]);
		assert_invalid(hx, "twice");
		(void)pe;
	}
}

/*
 * PE Report (ENRP 0x8a, doc/spec/unreachable-report.md): the example of
 * the spec byte for byte, round trip, sweep; all three parameters needed.
 */
static void
test_pe_report(void **state)
{
	uint8_t want[64], msg[64];
	struct rsp_addr a = { .family = AF_INET, .a = { 198, 51, 100, 7 } };
	struct rsp_msg m;
	struct rsp_err err;
	struct wbuf w;
	size_t n, s;

	(void)state;
	assert_string_equal(rsp_msg_name(RSP_PROTO_ENRP, ENRP_PE_REPORT),
	    "PE Report");
	n = hex("8a 00 00 28 2c 4f 7a 91 1b 2a 5d 3e"
	    "00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 0e 00 08 11 22 33 44 00 01 00 08 c6 33 64 07", want);
	wbuf_init(&w, msg, sizeof(msg));
	s = rsp_put_msg_begin(&w, ENRP_PE_REPORT, 0);
	wbuf_u32(&w, 0x2c4f7a91);
	wbuf_u32(&w, 0x1b2a5d3e);
	rsp_put_handle(&w, "EchoPool", 8);
	rsp_put_pe_id(&w, 0x11223344);
	rsp_put_addr(&w, &a);
	rsp_put_msg_end(&w, s);
	assert_false(w.err);
	assert_int_equal(w.len, n);
	assert_memory_equal(msg, want, n);
	assert_decodes(RSP_PROTO_ENRP, want, n, &m);
	assert_int_equal(m.type, ENRP_PE_REPORT);
	assert_int_equal(m.sender_id, 0x2c4f7a91);
	assert_int_equal(m.receiver_id, 0x1b2a5d3e);
	assert_true(m.has_pe_id && m.pe_id == 0x11223344);
	assert_true(m.has_addr && m.addr.family == AF_INET);
	assert_memory_equal(m.addr.a, a.a, 4);
	assert_roundtrip(RSP_PROTO_ENRP, want, n, "PE Report");
	sweep(RSP_PROTO_ENRP, want, n, "PE Report");
	/* Without the address: refused, and reported (not silent). */
	memcpy(msg, want, n - 8);
	msg[3] = 0x20;
	assert_int_equal(rsp_decode(RSP_PROTO_ENRP, msg, n - 8, NULL, &m,
	    &err), -1);
	assert_false(err.silent);
	/* Another unknown type with the same top bits: dropped silently. */
	memcpy(msg, want, n);
	msg[0] = 0x8b;
	assert_int_equal(rsp_decode(RSP_PROTO_ENRP, msg, n, NULL, &m, &err),
	    -1);
	assert_int_equal(err.cause, RSP_CAUSE_UNRECOGNIZED_MSG);
	assert_true(err.silent);
}

/*
 * Registrar Unicast (0x8a03, doc/spec/registrar-unicast.md): the request in
 * a registration and a resolution, the answer in their responses, byte for
 * byte as the spec shows it; round trips; every truncation and corrupted
 * length; skipped in other messages; the malformed values.
 */
static void
test_registrar_unicast(void **state)
{
	uint8_t want[256];
	struct rsp_transport tr[RSP_REGUNI_MAX + 1];
	struct rsp_pe pe = { .id = 0x01020304, .life = 90000 };
	struct rsp_msg m;
	struct rsp_iter it;
	struct rsp_transport got;
	struct wbuf w;
	size_t n, s, i;

	(void)state;
	assert_string_equal(rsp_param_name(RSP_PARAM_REGISTRAR_UNICAST),
	    "Registrar Unicast");
	assert_int_equal(RSP_PARAM_REGISTRAR_UNICAST & RSP_PARAM_ACTION_MASK,
	    RSP_PARAM_ACTION_SKIP);

	/* Request in a registration, after the Pool Element. */
	pe.user.type = RSP_PARAM_TCP_TRANSPORT;
	pe.user.port = 7000;
	pe.user.naddr = 1;
	rsp_addr_v4(&pe.user.addr[0], 0x7f000001);
	pe.policy.type = RSP_POLICY_ROUND_ROBIN;
	wbuf_init(&w, buf, sizeof(buf));
	s = rsp_put_msg_begin(&w, ASAP_REGISTRATION, 0);
	rsp_put_handle(&w, "EchoPool", 8);
	rsp_put_pe(&w, &pe);
	rsp_put_reguni_request(&w);
	rsp_put_msg_end(&w, s);
	assert_false(w.err);
	assert_memory_equal(buf + w.len - 4, "\x8a\x03\x00\x04", 4);
	assert_decodes(RSP_PROTO_ASAP, buf, w.len, &m);
	assert_true(m.has_reguni && !m.reguni_answer && m.has_pe);
	assert_roundtrip(RSP_PROTO_ASAP, buf, w.len, "unicast request");
	sweep(RSP_PROTO_ASAP, buf, w.len, "unicast request");
	/* ... anywhere: before the Pool Handle too. */
	memcpy(want, buf, w.len);
	n = w.len;
	memmove(want + 8, want + 4, n - 8);
	memcpy(want + 4, "\x8a\x03\x00\x04", 4);
	assert_decodes(RSP_PROTO_ASAP, want, n, &m);
	assert_true(m.has_reguni && m.has_handle && m.has_pe);

	/* Answer: the spec's example, TCP port 3864 at 10.0.1.1. */
	n = hex("03 00 00 2c 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 0e 00 08 01 02 03 04"
	    "8a 03 00 14 00 05 00 10 0f 18 00 00 00 01 00 08 0a 00 01 01",
	    want);
	memset(tr, 0, sizeof(tr));
	tr[0].type = RSP_PARAM_TCP_TRANSPORT;
	tr[0].port = 3864;
	tr[0].naddr = 1;
	rsp_addr_v4(&tr[0].addr[0], 0x0a000101);
	wbuf_init(&w, buf, sizeof(buf));
	s = rsp_put_msg_begin(&w, ASAP_REGISTRATION_RESPONSE, 0);
	rsp_put_handle(&w, "EchoPool", 8);
	rsp_put_pe_id(&w, 0x01020304);
	rsp_put_reguni(&w, tr, 1);
	rsp_put_msg_end(&w, s);
	assert_false(w.err);
	assert_int_equal(w.len, n);
	assert_memory_equal(buf, want, n);
	assert_decodes(RSP_PROTO_ASAP, want, n, &m);
	assert_true(m.has_reguni && m.reguni_answer);
	assert_int_equal(m.reguni_n, 1);
	rsp_iter_init_reguni(&it, &m);
	assert_int_equal(rsp_iter_transport(&it, &got), 1);
	assert_int_equal(got.type, RSP_PARAM_TCP_TRANSPORT);
	assert_int_equal(got.port, 3864);
	assert_int_equal(got.naddr, 1);
	assert_memory_equal(got.addr[0].a, "\x0a\x00\x01\x01", 4);
	assert_int_equal(rsp_iter_transport(&it, &got), 0);
	assert_roundtrip(RSP_PROTO_ASAP, want, n, "unicast answer");
	sweep(RSP_PROTO_ASAP, want, n, "unicast answer");

	/* In a resolution answer with an identity, four transports (v4+v6,
	 * SCTP), and an unknown skip-class parameter among them. */
	for (i = 1; i < RSP_REGUNI_MAX; i++) {
		tr[i] = tr[0];
		tr[i].port = (uint16_t)(3863 + i);
	}
	tr[1].type = RSP_PARAM_SCTP_TRANSPORT;
	tr[2].naddr = 2;
	tr[2].addr[1].family = AF_INET6;
	tr[2].addr[1].a[15] = 1;
	wbuf_init(&w, buf, sizeof(buf));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
	rsp_put_handle(&w, "EchoPool", 8);
	rsp_put_policy(&w, &(struct rsp_policy){
	    .type = RSP_POLICY_ROUND_ROBIN });
	rsp_put_regid(&w, 9, "b", 1);
	rsp_put_reguni(&w, tr, RSP_REGUNI_MAX);
	rsp_put_msg_end(&w, s);
	assert_false(w.err);
	assert_decodes(RSP_PROTO_ASAP, buf, w.len, &m);
	assert_true(m.has_regid && m.regid_answer && m.reguni_answer);
	assert_int_equal(m.reguni_n, RSP_REGUNI_MAX);
	rsp_iter_init_reguni(&it, &m);
	for (i = 0; i < RSP_REGUNI_MAX; i++) {
		assert_int_equal(rsp_iter_transport(&it, &got), 1);
		assert_int_equal(got.type, tr[i].type);
		assert_int_equal(got.port, tr[i].port);
		assert_int_equal(got.naddr, tr[i].naddr);
	}
	assert_roundtrip(RSP_PROTO_ASAP, buf, w.len, "unicast x4");
	sweep(RSP_PROTO_ASAP, buf, w.len, "unicast x4");
	n = hex("03 00 00 34 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 0e 00 08 01 02 03 04"
	    "8a 03 00 1c 80 77 00 05 01 00 00 00"
	    "00 05 00 10 0f 18 00 00 00 01 00 08 0a 00 01 01", want);
	assert_decodes(RSP_PROTO_ASAP, want, n, &m);
	assert_int_equal(m.reguni_n, 1);
	rsp_iter_init_reguni(&it, &m);
	assert_int_equal(rsp_iter_transport(&it, &got), 1);
	assert_int_equal(got.port, 3864);

	/* Other messages skip it and drop it on re-encode. */
	n = hex("08 00 00 1c 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 0e 00 08 01 02 03 04 8a 03 00 04", want);
	assert_decodes(RSP_PROTO_ASAP, want, n, &m);
	assert_false(m.has_reguni);
	wbuf_init(&w, buf, sizeof(buf));
	assert_int_equal(rsp_encode(&w, &m), 0);
	assert_int_equal(w.len, 24);

	/* Malformed: twice, not a TCP/SCTP transport, port 0, no address,
	 * bad address, five transports, only skipped parameters. */
	assert_invalid("03 00 00 20 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 0e 00 08 01 02 03 04 8a 03 00 04 8a 03 00 04",
	    "more than one");
	assert_invalid("03 00 00 2c 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 0e 00 08 01 02 03 04"
	    "8a 03 00 14 00 06 00 10 0f 18 00 00 00 01 00 08 0a 00 01 01",
	    "not a TCP or SCTP");
	assert_invalid("03 00 00 24 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 0e 00 08 01 02 03 04"
	    "8a 03 00 0c 00 01 00 08 0a 00 01 01", "not a TCP or SCTP");
	assert_invalid("03 00 00 2c 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 0e 00 08 01 02 03 04"
	    "8a 03 00 14 00 05 00 10 00 00 00 00 00 01 00 08 0a 00 01 01",
	    "port 0");
	assert_invalid("03 00 00 24 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 0e 00 08 01 02 03 04"
	    "8a 03 00 0c 00 05 00 08 0f 18 00 00", "no address");
	assert_invalid("03 00 00 2c 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 0e 00 08 01 02 03 04"
	    "8a 03 00 14 00 05 00 10 0f 18 00 00 00 01 00 07 0a 00 01 00",
	    "wrong address length");
	assert_invalid("03 00 00 24 00 09 00 0c 45 63 68 6f 50 6f 6f 6c"
	    "00 0e 00 08 01 02 03 04"
	    "8a 03 00 0c 80 77 00 05 01 00 00 00", "no transport");
	wbuf_init(&w, want, sizeof(want));
	s = rsp_put_msg_begin(&w, ASAP_REGISTRATION_RESPONSE, 0);
	rsp_put_handle(&w, "EchoPool", 8);
	rsp_put_pe_id(&w, 1);
	n = rsp_put_tlv_begin(&w, RSP_PARAM_REGISTRAR_UNICAST);
	for (i = 0; i <= RSP_REGUNI_MAX; i++)
		rsp_put_transport(&w, &tr[0]);
	rsp_put_tlv_end(&w, n);
	rsp_put_msg_end(&w, s);
	assert_false(w.err);
	assert_int_equal(rsp_decode(RSP_PROTO_ASAP, want, w.len, NULL, &m,
	    NULL), -1);

	/* The encoder refuses what the decoder would. */
	wbuf_init(&w, buf, sizeof(buf));
	rsp_put_reguni(&w, tr, RSP_REGUNI_MAX + 1);
	assert_true(w.err);
	wbuf_init(&w, buf, sizeof(buf));
	rsp_put_reguni(&w, tr, 0);
	assert_true(w.err);
	tr[0].port = 0;
	wbuf_init(&w, buf, sizeof(buf));
	rsp_put_reguni(&w, tr, 1);
	assert_true(w.err);
	tr[0].port = 1;
	tr[0].type = RSP_PARAM_UDP_TRANSPORT;
	wbuf_init(&w, buf, sizeof(buf));
	rsp_put_reguni(&w, tr, 1);
	assert_true(w.err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_vectors),
		cmocka_unit_test(test_roundtrip_samples),
		cmocka_unit_test(test_iterators),
		cmocka_unit_test(test_sweep_samples),
		cmocka_unit_test(test_rsplib_vectors),
		cmocka_unit_test(test_action_bits),
		cmocka_unit_test(test_unknown_messages),
		cmocka_unit_test(test_pool_handle_limit),
		cmocka_unit_test(test_invalid_values),
		cmocka_unit_test(test_resource_caps),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_encoder_lengths),
		cmocka_unit_test(test_pe_fast_path),
		cmocka_unit_test(test_registrar_identity),
		cmocka_unit_test(test_registrant),
		cmocka_unit_test(test_pe_report),
		cmocka_unit_test(test_registrar_unicast),
	};

	return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
