/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the request path's shortcuts (issue 14): registrar/
 * hs_encode.c against what it replaces (a Pool Element written from the
 * handlespace is byte for byte rsp_put_pe() of hs_pe_export(); a pool found
 * through a remembered hint is hs_pool_find()'s, and a pool deleted and
 * created again, under the same handle or another, never serves what it
 * held before), the codec writers' one-check fast paths against the bytes
 * the general path writes, and a decoded message cleared of what the
 * previous message into the same struct left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "codec.h"
#include "handlespace.h"
#include "hs_encode.h"

#define H(s)	((const uint8_t *)(s)), (sizeof(s) - 1)

static uint8_t b1[65536 + 64], b2[65536 + 64];

static struct hs *
new_hs(void)
{
	struct hs *hs = hs_new(NULL);

	assert_non_null(hs);
	hs_seed(hs, 42);
	return hs;
}

static void
addr4(struct rsp_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->a[0] = 10;
	a->a[3] = last;
}

static void
addr6(struct rsp_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	a->a[0] = 0xfd;
	a->a[15] = last;
}

static struct rsp_pe
mkpe(uint32_t id, uint16_t ttype, uint32_t policy, size_t nv4, size_t nv6)
{
	struct rsp_pe pe;
	size_t i;
	int nval = rsp_policy_nval(policy);

	memset(&pe, 0, sizeof(pe));
	pe.id = id;
	pe.home_id = 0x01020304;
	pe.life = 300;
	pe.user.type = ttype;
	pe.user.port = 5000;
	pe.user.use = RSP_TRANSPORT_USE_DATA;
	if (ttype == RSP_PARAM_OPAQUE_TRANSPORT) {
		pe.user.opaque.p = (const uint8_t *)"opaque-bytes!";
		pe.user.opaque.len = 13;
	} else {
		if (ttype == RSP_PARAM_DCCP_TRANSPORT)
			pe.user.service_code = 0xdcc9;
		for (i = 0; i < nv4; i++)
			addr4(&pe.user.addr[pe.user.naddr++], (uint8_t)(i + id));
		for (i = 0; i < nv6; i++)
			addr6(&pe.user.addr[pe.user.naddr++], (uint8_t)(i + id));
	}
	pe.policy.type = policy;
	pe.policy.nval = (uint8_t)(nval > 0 ? nval : 0);
	for (i = 0; i < pe.policy.nval; i++)
		pe.policy.val[i] = 0x100 + (uint32_t)i;
	/* what a registrar adds: the ASAP transport */
	pe.has_asap = true;
	pe.asap.type = RSP_PARAM_SCTP_TRANSPORT;
	pe.asap.port = 40000;
	pe.asap.use = RSP_TRANSPORT_USE_DATA;
	pe.asap.naddr = 2;
	addr4(&pe.asap.addr[0], 99);
	addr6(&pe.asap.addr[1], 98);
	return pe;
}

/* hs_put_pe() and rsp_put_pe(export) into buffers of cap bytes, at off. */
static void
assert_same_pe(const struct hs_pe *pe, bool asap, size_t off, size_t cap)
{
	struct rsp_pe x;
	struct wbuf w1, w2;

	memset(b1, 0xa5, sizeof(b1));
	memset(b2, 0xa5, sizeof(b2));
	wbuf_init(&w1, b1, cap);
	wbuf_init(&w2, b2, cap);
	w1.len = w2.len = off;
	hs_put_pe(&w1, pe, asap);
	hs_pe_export(pe, &x);
	x.has_asap = asap && x.has_asap;
	rsp_put_pe(&w2, &x);
	assert_int_equal(w1.err, w2.err);
	if (w2.err)
		return;		/* what an erred buffer holds is not kept */
	assert_int_equal(w1.len, w2.len);
	assert_int_equal(w1.tail_pad, w2.tail_pad);
	assert_memory_equal(b1, b2, w1.len);
}

static void
test_put_pe_same_bytes(void **state)
{
	static const uint16_t types[] = { RSP_PARAM_SCTP_TRANSPORT,
	    RSP_PARAM_TCP_TRANSPORT, RSP_PARAM_UDP_TRANSPORT,
	    RSP_PARAM_DCCP_TRANSPORT, RSP_PARAM_OPAQUE_TRANSPORT };
	static const uint32_t pols[] = { RSP_POLICY_ROUND_ROBIN,
	    RSP_POLICY_WEIGHTED_ROUND_ROBIN,
	    RSP_POLICY_LEAST_USED_DEGRADATION };
	static const size_t naddrs[][2] = { { 1, 0 }, { 0, 1 }, { 2, 3 },
	    { 8, 8 } };
	uint32_t id = 1;

	(void)state;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
	for (size_t p = 0; p < sizeof(pols) / sizeof(pols[0]); p++)
	for (size_t a = 0; a < sizeof(naddrs) / sizeof(naddrs[0]); a++) {
		struct hs *hs = new_hs();
		struct rsp_pe pe = mkpe(id, types[t], pols[p], naddrs[a][0],
		    naddrs[a][1]);
		struct hs_pe *hp;
		char handle[32];

		snprintf(handle, sizeof(handle), "pool-%zu-%zu-%zu", t, p, a);
		assert_int_equal(hs_register(hs, (const uint8_t *)handle,
		    strlen(handle), &pe, HS_NEVER, &hp, NULL), 0);
		for (int asap = 0; asap < 2; asap++) {
			assert_same_pe(hp, asap, 0, sizeof(b1) - 64);
			assert_same_pe(hp, asap, 12, sizeof(b1) - 64);
			/* every capacity around the PE's size: fits or errs
			 * exactly as the general path does */
			for (size_t cap = 0; cap < 900; cap += 1)
				assert_same_pe(hp, asap, 0, cap);
		}
		hs_free(hs);
		id++;
	}
}

/* --- pool hints ---------------------------------------------------------- */

static struct hs_pe *
reg(struct hs *hs, const char *handle, uint32_t id)
{
	struct rsp_pe pe = mkpe(id, RSP_PARAM_SCTP_TRANSPORT,
	    RSP_POLICY_ROUND_ROBIN, 1, 0);
	struct hs_pe *hp;

	assert_int_equal(hs_register(hs, (const uint8_t *)handle,
	    strlen(handle), &pe, HS_NEVER, &hp, NULL), 0);
	return hp;
}

static void
test_hint_finds_what_find_finds(void **state)
{
	struct hs *hs = new_hs();
	struct hs_hint hint = { 0 };
	struct hs_pool *pool, *p2;
	char name[32];

	(void)state;
	assert_null(hs_pool_find_hint(hs, H("none"), &hint));
	assert_int_equal(hint.pool, 0);
	reg(hs, "alpha", 1);
	reg(hs, "beta", 2);
	pool = hs_pool_find_hint(hs, H("alpha"), &hint);
	assert_ptr_equal(pool, hs_pool_find(hs, H("alpha")));
	assert_int_equal(hint.pool, (uintptr_t)pool);
	/* the hint's pool, another handle: that one's pool, hint moves */
	p2 = hs_pool_find_hint(hs, H("beta"), &hint);
	assert_ptr_equal(p2, hs_pool_find(hs, H("beta")));
	assert_int_equal(hint.pool, (uintptr_t)p2);
	/* unknown handle: NULL, the hint stays */
	assert_null(hs_pool_find_hint(hs, H("gamma"), &hint));
	assert_int_equal(hint.pool, (uintptr_t)p2);
	/* a prefix or an extension of the handle is another handle */
	assert_null(hs_pool_find_hint(hs, H("bet"), &hint));
	assert_null(hs_pool_find_hint(hs, H("betaa"), &hint));
	/* over the handlespace's handle limit: as hs_pool_find() */
	assert_null(hs_pool_find_hint(hs, (const uint8_t *)"beta",
	    RSP_POOL_HANDLE_MAX_DEFAULT + 1, &hint));
	assert_null(hs_pool_find_hint(hs, (const uint8_t *)"beta", 0, &hint));
	/* the pool table grows (rehash): the hint still finds its pool */
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "pool-%d", i);
		reg(hs, name, 100 + (uint32_t)i);
	}
	assert_ptr_equal(hs_pool_find_hint(hs, H("beta"), &hint), p2);
	assert_ptr_equal(hs_pool_find_hint(hs, H("alpha"), &hint), pool);
	hs_free(hs);
}

/*
 * A pool deleted (its last PE gone) and created again under the same
 * handle (its struct may well sit at the same address): the hint gives the
 * new pool and its PEs, never the old one's.
 */
static void
test_hint_pool_recreated(void **state)
{
	struct hs *hs = new_hs();
	struct hs_hint hint = { 0 };
	struct hs_pool *pool, *again;
	struct hs_pe *pe, *got;
	size_t cnt;

	(void)state;
	pe = reg(hs, "recycled", 7);
	pool = hs_pool_find_hint(hs, H("recycled"), &hint);
	assert_non_null(pool);
	assert_ptr_equal(hs_lookup_hint(hs, H("recycled"), 7, &hint, &again),
	    pe);
	assert_ptr_equal(again, pool);
	hs_remove(hs, pe);		/* the pool goes with its last PE */
	assert_null(hs_pool_find(hs, H("recycled")));
	assert_null(hs_pool_find_hint(hs, H("recycled"), &hint));
	assert_null(hs_lookup_hint(hs, H("recycled"), 7, &hint, &again));
	assert_null(again);
	/* again, with another PE */
	pe = reg(hs, "recycled", 8);
	again = hs_pool_find_hint(hs, H("recycled"), &hint);
	assert_ptr_equal(again, hs_pool_find(hs, H("recycled")));
	assert_null(hs_lookup_hint(hs, H("recycled"), 7, &hint, &pool));
	got = hs_lookup_hint(hs, H("recycled"), 8, &hint, &pool);
	assert_ptr_equal(got, pe);
	assert_int_equal(hs_pe_id(got), 8);
	{
		struct hs_pe *ret[4];

		cnt = hs_pool_resolve(hs, again, 4, ret);
		assert_int_equal(cnt, 1);
		assert_ptr_equal(ret[0], pe);
	}
	/* deleted, and another handle's pool made (same size: likely the
	 * same address): the old handle finds nothing, the new its own */
	hs_remove(hs, pe);
	pe = reg(hs, "recyclex", 9);
	assert_null(hs_pool_find_hint(hs, H("recycled"), &hint));
	assert_null(hs_lookup_hint(hs, H("recycled"), 9, &hint, &pool));
	assert_ptr_equal(hs_lookup_hint(hs, H("recyclex"), 9, &hint, &pool),
	    pe);
	hs_free(hs);
}

/* Many pools deleted and created in turn: the hint never disagrees. */
static void
test_hint_churn(void **state)
{
	struct hs *hs = new_hs();
	struct hs_hint hint = { 0 };
	struct hs_pe *pes[8] = { 0 };
	char name[16];
	uint32_t x = 12345;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		int k;

		x = x * 1103515245 + 12345;
		k = (int)((x >> 16) % 8);
		snprintf(name, sizeof(name), "p%d", k);
		if (pes[k] != NULL && (x & 0x100)) {
			hs_remove(hs, pes[k]);
			pes[k] = NULL;
		} else if (pes[k] == NULL) {
			pes[k] = reg(hs, name, (uint32_t)i + 1);
		}
		x = x * 1103515245 + 12345;
		k = (int)((x >> 16) % 8);
		snprintf(name, sizeof(name), "p%d", k);
		assert_ptr_equal(hs_pool_find_hint(hs, (const uint8_t *)name,
		    strlen(name), &hint), hs_pool_find(hs,
		    (const uint8_t *)name, strlen(name)));
	}
	hs_free(hs);
}

/* --- codec writers' fast paths ------------------------------------------ */

/* The handle TLV the general path writes: header, bytes, zero padding
 * up to the buffer's next multiple of 4. */
static void
test_put_handle_any_offset(void **state)
{
	static const uint8_t h[] = "0123456789abcdefg";

	(void)state;
	for (size_t len = 0; len <= 17; len++)
	for (size_t off = 0; off < 8; off++)
	for (size_t cap = off; cap < off + 32; cap++) {
		struct wbuf w;
		size_t end = off + 4 + len, pad = (4 - end % 4) % 4;

		memset(b1, 0xa5, 64);
		wbuf_init(&w, b1, cap);
		w.len = off;
		rsp_put_handle(&w, h, len);
		if (cap < end + pad) {
			assert_true(w.err);
			continue;
		}
		assert_false(w.err);
		assert_int_equal(w.len, end + pad);
		assert_int_equal(w.tail_pad, pad);
		assert_int_equal(b1[off], RSP_PARAM_POOL_HANDLE >> 8);
		assert_int_equal(b1[off + 1], RSP_PARAM_POOL_HANDLE & 0xff);
		assert_int_equal(b1[off + 2], 0);
		assert_int_equal(b1[off + 3], 4 + len);
		assert_memory_equal(b1 + off + 4, h, len);
		for (size_t i = 0; i < pad; i++)
			assert_int_equal(b1[end + i], 0);
	}
}

/* PE Identifier, Policy and a message header: fast where aligned, and the
 * same bytes as the general path everywhere (it pads to 4). */
static void
test_put_fixed_params(void **state)
{
	struct rsp_policy pol = { .type = RSP_POLICY_LEAST_USED_DEGRADATION,
	    .nval = 2, .val = { 0x11223344, 0x55667788 } };
	static const uint8_t pe_id[] = { RSP_PARAM_PE_ID >> 8,
	    RSP_PARAM_PE_ID & 0xff, 0x00, 0x08, 0xde, 0xad, 0xbe, 0xef };
	static const uint8_t policy[] = { RSP_PARAM_POLICY >> 8,
	    RSP_PARAM_POLICY & 0xff, 0x00, 0x10,
	    0x40, 0x00, 0x00, 0x02, 0x11, 0x22, 0x33, 0x44,
	    0x55, 0x66, 0x77, 0x88 };
	struct wbuf w;
	size_t s;

	(void)state;
	for (size_t off = 0; off < 8; off++)
	for (size_t cap = off; cap < off + 24; cap++) {
		size_t pad = (4 - off % 4) % 4;

		wbuf_init(&w, b1, cap);
		w.len = off;
		rsp_put_pe_id(&w, 0xdeadbeef);
		if (cap < off + 8 + pad) {
			assert_true(w.err);
		} else {
			assert_false(w.err);
			assert_int_equal(w.len, off + 8 + pad);
			assert_memory_equal(b1 + off, pe_id, 8);
		}
		wbuf_init(&w, b1, cap);
		w.len = off;
		rsp_put_policy(&w, &pol);
		if (cap < off + 16 + pad) {
			assert_true(w.err);
		} else {
			assert_false(w.err);
			assert_int_equal(w.len, off + 16 + pad);
			assert_memory_equal(b1 + off, policy, 16);
		}
	}
	for (size_t cap = 0; cap < 8; cap++) {
		wbuf_init(&w, b1, cap);
		s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0x01);
		assert_int_equal(s, 0);
		assert_int_equal(w.err, cap < 4);
		if (cap >= 4) {
			assert_int_equal(w.len, 4);
			assert_int_equal(b1[0], ASAP_HANDLE_RESOLUTION);
			assert_int_equal(b1[1], 0x01);
		}
	}
	/* a sticky error stays and nothing more is written */
	wbuf_init(&w, b1, 64);
	w.err = true;
	rsp_put_pe_id(&w, 1);
	rsp_put_handle(&w, "x", 1);
	rsp_put_policy(&w, &pol);
	assert_true(w.err);
	assert_int_equal(w.len, 0);
}

/* --- decoding into a used struct ----------------------------------------- */

/*
 * Decode messages full of what the next does not carry (a PE with many
 * addresses, an Operation Error with causes, skip-and-report parameters,
 * an ENRP Server Information), then a bare resolution into the same
 * struct: nothing of the first is left.
 */
static void
test_decode_clears_previous(void **state)
{
	struct rsp_pe pe = mkpe(5, RSP_PARAM_TCP_TRANSPORT,
	    RSP_POLICY_WEIGHTED_ROUND_ROBIN, 8, 8);
	struct rsp_op_error e = { .ncause = 2 };
	struct rsp_server_info si = { .id = 77 };
	struct rsp_msg m;
	struct rsp_err err;
	struct wbuf w;
	size_t s, t;

	(void)state;
	memset(&m, 0x5a, sizeof(m));
	/* a registration with a PE and a skip-and-report parameter */
	wbuf_init(&w, b1, sizeof(b1));
	s = rsp_put_msg_begin(&w, ASAP_REGISTRATION, 0);
	rsp_put_handle(&w, "pool", 4);
	pe.has_asap = false;
	rsp_put_pe(&w, &pe);
	t = rsp_put_tlv_begin(&w, 0xfeef);	/* 11: skip and report */
	wbuf_u32(&w, 1);
	rsp_put_tlv_end(&w, t);
	rsp_put_msg_end(&w, s);
	assert_false(w.err);
	assert_int_equal(rsp_decode(RSP_PROTO_ASAP, b1, w.len, NULL, &m, &err),
	    0);
	assert_true(m.has_pe);
	assert_int_equal(m.pe.user.naddr, 16);
	assert_int_equal(m.nunrec, 1);
	/* an answer with an Operation Error of two causes */
	wbuf_init(&w, b1, sizeof(b1));
	s = rsp_put_msg_begin(&w, ASAP_REGISTRATION_RESPONSE, 0);
	rsp_put_handle(&w, "pool", 4);
	rsp_put_pe_id(&w, 5);
	e.cause[0].code = RSP_CAUSE_SECURITY;
	e.cause[1].code = RSP_CAUSE_LACK_OF_RESOURCES;
	rsp_put_op_error(&w, &e);
	rsp_put_msg_end(&w, s);
	assert_int_equal(rsp_decode(RSP_PROTO_ASAP, b1, w.len, NULL, &m, &err),
	    0);
	assert_true(m.has_error);
	assert_int_equal(m.error.ncause, 2);
	assert_false(m.has_pe);
	assert_int_equal(m.pe.user.naddr, 0);
	assert_int_equal(m.nunrec, 0);
	/* an ENRP presence with a Server Information */
	si.transport.type = RSP_PARAM_SCTP_TRANSPORT;
	si.transport.port = 9901;
	si.transport.naddr = 3;
	addr4(&si.transport.addr[0], 1);
	addr6(&si.transport.addr[1], 2);
	addr4(&si.transport.addr[2], 3);
	wbuf_init(&w, b1, sizeof(b1));
	s = rsp_put_msg_begin(&w, ENRP_PRESENCE, 0);
	wbuf_u32(&w, 77);
	wbuf_u32(&w, 0);
	rsp_put_server_info(&w, &si);
	rsp_put_msg_end(&w, s);
	assert_int_equal(rsp_decode(RSP_PROTO_ENRP, b1, w.len, NULL, &m, &err),
	    0);
	assert_true(m.has_server_info);
	assert_int_equal(m.server_info.transport.naddr, 3);
	assert_int_equal(m.error.ncause, 0);
	/* a bare resolution: every count and flag back to zero */
	wbuf_init(&w, b1, sizeof(b1));
	s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, "pool", 4);
	rsp_put_msg_end(&w, s);
	assert_int_equal(rsp_decode(RSP_PROTO_ASAP, b1, w.len, NULL, &m, &err),
	    0);
	assert_true(m.has_handle);
	assert_false(m.has_pe || m.has_error || m.has_server_info ||
	    m.has_pe_id || m.has_hropt || m.has_regid || m.has_reguni ||
	    m.has_policy || m.has_checksum || m.has_cookie || m.has_addr);
	assert_int_equal(m.pe.id, 0);
	assert_int_equal(m.pe.user.naddr, 0);
	assert_int_equal(m.pe.asap.naddr, 0);
	assert_int_equal(m.pe.policy.nval, 0);
	assert_null(m.pe.user.opaque.p);
	assert_int_equal(m.server_info.id, 0);
	assert_int_equal(m.server_info.transport.naddr, 0);
	assert_int_equal(m.error.ncause, 0);
	assert_int_equal(m.error.cause[0].code, 0);
	assert_int_equal(m.nunrec, 0);
	assert_int_equal(m.nitems, 0);
	assert_null(m.items.p);
	assert_int_equal(m.sender_id, 0);
	assert_string_equal(err.what, "");
	/* and a failure still says what */
	b1[3] = 2;	/* length below 4 */
	assert_int_equal(rsp_decode(RSP_PROTO_ASAP, b1, 8, NULL, &m, &err), -1);
	assert_true(strlen(err.what) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_pe_same_bytes),
		cmocka_unit_test(test_hint_finds_what_find_finds),
		cmocka_unit_test(test_hint_pool_recreated),
		cmocka_unit_test(test_hint_churn),
		cmocka_unit_test(test_put_handle_any_offset),
		cmocka_unit_test(test_put_fixed_params),
		cmocka_unit_test(test_decode_clears_previous),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
