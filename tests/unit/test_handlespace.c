/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tests of the handlespace tables: registration, re-registration and
 * deregistration, the RFC 5352 pool consistency rules and their RFC 5354
 * causes, limits, the expiry index, owners (re-homing and deletion for ENRP
 * takeover) and the RFC 5353 §3.6.2 PE checksum: the vectors of
 * doc/protocol/enrp.md §6 (also in tests/vectors/checksum.txt) and a property
 * test comparing the incremental value with a recomputation from scratch.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "handlespace.h"

#define H(s)	((const uint8_t *)(s)), (sizeof(s) - 1)

static struct rsp_pe
mkpe(uint32_t id, uint32_t home)
{
	struct rsp_pe pe;

	memset(&pe, 0, sizeof(pe));
	pe.id = id;
	pe.home_id = home;
	pe.life = 300;
	pe.user.type = RSP_PARAM_SCTP_TRANSPORT;
	pe.user.port = 5000;
	pe.user.use = RSP_TRANSPORT_USE_DATA;
	pe.user.naddr = 2;
	pe.user.addr[0].family = AF_INET;
	pe.user.addr[0].a[0] = 10;
	pe.user.addr[0].a[3] = (uint8_t)id;
	pe.user.addr[1].family = AF_INET6;
	pe.user.addr[1].a[0] = 0xfd;
	pe.user.addr[1].a[15] = (uint8_t)id;
	pe.policy.type = RSP_POLICY_ROUND_ROBIN;
	return pe;
}

static struct hs *
new_hs(const struct hs_limits *lim)
{
	struct hs *hs = hs_new(lim);

	assert_non_null(hs);
	hs_seed(hs, 42);
	return hs;
}

/* --- registration ----------------------------------------------------- */

/*
 * hs_pool_register(): registration into a pool the caller holds gives what
 * hs_register() gives, with the same consistency checks and limits.
 */
static void
test_pool_register(void **state)
{
	struct hs_limits lim = { .max_pool_pes = 3 };
	struct hs *hs = new_hs(&lim), *other = new_hs(NULL);
	struct rsp_pe pe = mkpe(1, 7), out;
	struct hs_pool *pool;
	struct hs_pe *e, *e2;
	bool isnew = false;

	(void)state;
	assert_int_equal(hs_register(hs, H("pr"), &pe, 1000, &e, NULL), 0);
	pool = hs_pool_find(hs, H("pr"));
	assert_non_null(pool);
	/* a new PE */
	pe = mkpe(2, 8);
	assert_int_equal(hs_pool_register(hs, pool, &pe, 2000, &e2, &isnew),
	    0);
	assert_true(isnew);
	assert_ptr_equal(hs_lookup(hs, H("pr"), 2), e2);
	assert_ptr_equal(hs_pe_pool(e2), pool);
	assert_int_equal(hs_pe_home(e2), 8);
	assert_int_equal(hs_pe_expires(e2), 2000);
	assert_int_equal(hs_pool_count(pool), 2);
	assert_int_equal(hs_owner_count(hs, 8), 1);
	/* an update of the first one, in place */
	pe = mkpe(1, 7);
	pe.user.port = 6001;
	assert_int_equal(hs_pool_register(hs, pool, &pe, 3000, &e2, &isnew),
	    0);
	assert_false(isnew);
	assert_ptr_equal(e2, e);
	hs_pe_export(e, &out);
	assert_int_equal(out.user.port, 6001);
	assert_int_equal(hs_pe_expires(e), 3000);
	/* the pool's policy, transport and use still rule */
	pe = mkpe(3, 7);
	pe.policy.type = RSP_POLICY_RANDOM;
	assert_int_equal(hs_pool_register(hs, pool, &pe, HS_NEVER, NULL,
	    NULL), HS_E_POLICY);
	pe = mkpe(3, 7);
	pe.user.type = RSP_PARAM_TCP_TRANSPORT;
	assert_int_equal(hs_pool_register(hs, pool, &pe, HS_NEVER, NULL,
	    NULL), HS_E_TRANSPORT);
	pe = mkpe(3, 7);
	pe.user.use = RSP_TRANSPORT_USE_DATA_CONTROL;
	assert_int_equal(hs_pool_register(hs, pool, &pe, HS_NEVER, NULL,
	    NULL), HS_E_DATA_CTRL);
	pe = mkpe(3, 7);
	pe.policy.type = RSP_POLICY_WEIGHTED_ROUND_ROBIN;
	pe.policy.nval = 0;
	assert_int_equal(hs_pool_register(hs, pool, &pe, HS_NEVER, NULL,
	    NULL), HS_E_POLICY_VALUE);
	/* limits */
	pe = mkpe(3, 7);
	assert_int_equal(hs_pool_register(hs, pool, &pe, HS_NEVER, NULL,
	    NULL), 0);
	pe = mkpe(4, 7);
	assert_int_equal(hs_pool_register(hs, pool, &pe, HS_NEVER, NULL,
	    NULL), HS_E_MAX_POOL_PES);
	assert_int_equal(hs_npes(hs), 3);
	/* bad arguments: no pool, or another handlespace's pool */
	assert_int_equal(hs_pool_register(hs, NULL, &pe, HS_NEVER, NULL,
	    NULL), HS_E_INVAL);
	assert_int_equal(hs_pool_register(other, pool, &pe, HS_NEVER, NULL,
	    NULL), HS_E_INVAL);
	assert_int_equal(hs_npes(other), 0);
	hs_free(other);
	hs_free(hs);
}

static void
test_register_update_deregister(void **state)
{
	struct hs *hs = new_hs(NULL);
	struct rsp_pe pe = mkpe(0x11, 7), out;
	struct hs_pe *e, *e2;
	bool isnew = false;
	size_t len;

	(void)state;
	assert_int_equal(hs_npools(hs), 0);
	assert_int_equal(hs_register(hs, H("echo"), &pe, 1000, &e, &isnew), 0);
	assert_true(isnew);
	assert_int_equal(hs_npools(hs), 1);
	assert_int_equal(hs_npes(hs), 1);
	assert_ptr_equal(hs_lookup(hs, H("echo"), 0x11), e);
	assert_null(hs_lookup(hs, H("echo"), 0x12));
	assert_null(hs_lookup(hs, H("echO"), 0x11));
	assert_int_equal(hs_pe_home(e), 7);
	assert_int_equal(hs_pe_expires(e), 1000);
	assert_memory_equal(hs_pool_handle(hs_pe_pool(e), &len), "echo", 4);
	assert_int_equal(len, 4);
	assert_int_equal(hs_pool_policy(hs_pe_pool(e)), RSP_POLICY_ROUND_ROBIN);

	/* what is kept is a copy: the caller's struct may go */
	hs_pe_export(e, &out);
	memset(&pe, 0xaa, sizeof(pe));
	pe = mkpe(0x11, 7);
	assert_int_equal(out.id, 0x11);
	assert_int_equal(out.home_id, 7);
	assert_int_equal(out.life, 300);
	assert_int_equal(out.user.type, RSP_PARAM_SCTP_TRANSPORT);
	assert_int_equal(out.user.port, 5000);
	assert_int_equal(out.user.naddr, 2);
	assert_memory_equal(&out.user.addr[0], &pe.user.addr[0],
	    sizeof(struct rsp_addr));
	assert_memory_equal(&out.user.addr[1], &pe.user.addr[1],
	    sizeof(struct rsp_addr));
	assert_false(out.has_asap);
	assert_int_equal(out.policy.type, RSP_POLICY_ROUND_ROBIN);

	/* re-registration: same PE updated, not a new one */
	pe.life = 60;
	pe.user.port = 6000;
	pe.user.naddr = 1;
	pe.user.addr[0].a[3] = 99;
	pe.has_asap = true;
	pe.asap.type = RSP_PARAM_SCTP_TRANSPORT;
	pe.asap.port = ASAP_PORT;
	pe.asap.naddr = 1;
	pe.asap.addr[0].family = AF_INET;
	pe.asap.addr[0].a[0] = 192;
	assert_int_equal(hs_register(hs, H("echo"), &pe, 2000, &e2, &isnew), 0);
	assert_false(isnew);
	assert_ptr_equal(e2, e);
	assert_int_equal(hs_npes(hs), 1);
	hs_pe_export(e, &out);
	assert_int_equal(out.life, 60);
	assert_int_equal(out.user.port, 6000);
	assert_int_equal(out.user.naddr, 1);
	assert_int_equal(out.user.addr[0].a[3], 99);
	assert_true(out.has_asap);
	assert_int_equal(out.asap.port, ASAP_PORT);
	assert_int_equal(out.asap.naddr, 1);
	assert_int_equal(out.asap.addr[0].a[0], 192);
	assert_int_equal(hs_pe_expires(e), 2000);

	/* a second PE, a second pool */
	pe = mkpe(0x12, 7);
	assert_int_equal(hs_register(hs, H("echo"), &pe, HS_NEVER, NULL,
	    &isnew), 0);
	assert_true(isnew);
	assert_int_equal(hs_register(hs, H("calc"), &pe, HS_NEVER, NULL,
	    &isnew), 0);
	assert_true(isnew);
	assert_int_equal(hs_npools(hs), 2);
	assert_int_equal(hs_npes(hs), 3);
	assert_int_equal(hs_pool_count(hs_pool_find(hs, H("echo"))), 2);

	/* deregistration */
	assert_int_equal(hs_deregister(hs, H("echo"), 0x11), 0);
	assert_int_equal(hs_deregister(hs, H("echo"), 0x11), HS_E_NO_PE);
	assert_int_equal(hs_deregister(hs, H("nope"), 0x11), HS_E_NO_POOL);
	assert_int_equal(hs_error_cause(HS_E_NO_POOL),
	    RSP_CAUSE_UNKNOWN_POOL_HANDLE);
	assert_null(hs_lookup(hs, H("echo"), 0x11));
	assert_int_equal(hs_npes(hs), 2);
	/* the last PE takes its pool along */
	assert_int_equal(hs_deregister(hs, H("echo"), 0x12), 0);
	assert_null(hs_pool_find(hs, H("echo")));
	assert_int_equal(hs_npools(hs), 1);
	{
		struct hs_pe *r[4];
		size_t k = 9;

		assert_int_equal(hs_resolve(hs, H("echo"), 4, r, &k),
		    HS_E_NO_POOL);
		assert_int_equal(k, 9);
		assert_int_equal(hs_resolve(hs, H("calc"), 4, r, &k), 0);
		assert_int_equal(k, 1);
	}
	hs_free(hs);
	hs_free(NULL);
}

static void
test_opaque_transport(void **state)
{
	static const uint8_t opq[] = "some opaque transport";
	struct hs *hs = new_hs(NULL);
	struct rsp_pe pe = mkpe(1, 1), out;
	struct hs_pe *e;

	(void)state;
	pe.user.type = RSP_PARAM_OPAQUE_TRANSPORT;
	pe.user.naddr = 0;
	pe.user.opaque.p = opq;
	pe.user.opaque.len = sizeof(opq);
	assert_int_equal(hs_register(hs, H("o"), &pe, HS_NEVER, &e, NULL), 0);
	hs_pe_export(e, &out);
	assert_int_equal(out.user.opaque.len, sizeof(opq));
	assert_ptr_not_equal(out.user.opaque.p, opq);
	assert_memory_equal(out.user.opaque.p, opq, sizeof(opq));
	assert_int_equal(hs_addr_bytes(hs), sizeof(opq));
	hs_free(hs);
}

static void
test_consistency(void **state)
{
	struct hs *hs = new_hs(NULL);
	struct rsp_pe pe = mkpe(1, 1);
	int rc;

	(void)state;
	assert_int_equal(hs_register(hs, H("p"), &pe, HS_NEVER, NULL, NULL), 0);

	/* RFC 5352 §3.1: the first PE fixed policy, transport, use */
	pe = mkpe(2, 1);
	pe.policy.type = RSP_POLICY_WEIGHTED_ROUND_ROBIN;
	pe.policy.nval = 1;
	pe.policy.val[0] = 1;
	rc = hs_register(hs, H("p"), &pe, HS_NEVER, NULL, NULL);
	assert_int_equal(rc, HS_E_POLICY);
	assert_int_equal(hs_error_cause(rc), RSP_CAUSE_INCONSISTENT_POLICY);

	pe = mkpe(2, 1);
	pe.user.type = RSP_PARAM_TCP_TRANSPORT;
	rc = hs_register(hs, H("p"), &pe, HS_NEVER, NULL, NULL);
	assert_int_equal(rc, HS_E_TRANSPORT);
	assert_int_equal(hs_error_cause(rc), RSP_CAUSE_INCONSISTENT_TRANSPORT);

	pe = mkpe(2, 1);
	pe.user.use = RSP_TRANSPORT_USE_DATA_CONTROL;
	rc = hs_register(hs, H("p"), &pe, HS_NEVER, NULL, NULL);
	assert_int_equal(rc, HS_E_DATA_CTRL);
	assert_int_equal(hs_error_cause(rc), RSP_CAUSE_INCONSISTENT_DATA_CTRL);

	/* also for a re-registration of the existing PE */
	pe = mkpe(1, 1);
	pe.policy.type = RSP_POLICY_RANDOM;
	assert_int_equal(hs_register(hs, H("p"), &pe, HS_NEVER, NULL, NULL),
	    HS_E_POLICY);
	assert_int_equal(hs_npes(hs), 1);
	assert_int_equal(hs_pool_count(hs_pool_find(hs, H("p"))), 1);

	/* invalid policies and missing values */
	pe = mkpe(3, 1);
	pe.policy.type = 0;
	rc = hs_register(hs, H("q"), &pe, HS_NEVER, NULL, NULL);
	assert_int_equal(rc, HS_E_POLICY_VALUE);
	assert_int_equal(hs_error_cause(rc), RSP_CAUSE_INVALID_VALUES);
	pe.policy.type = 0x40000000;
	assert_int_equal(hs_register(hs, H("q"), &pe, HS_NEVER, NULL, NULL),
	    HS_E_POLICY_VALUE);
	pe.policy.type = RSP_POLICY_LEAST_USED_DEGRADATION;
	pe.policy.nval = 1;
	assert_int_equal(hs_register(hs, H("q"), &pe, HS_NEVER, NULL, NULL),
	    HS_E_POLICY_VALUE);
	pe.policy.nval = 2;
	assert_int_equal(hs_register(hs, H("q"), &pe, HS_NEVER, NULL, NULL), 0);
	/* too many addresses */
	pe = mkpe(4, 1);
	pe.user.naddr = RSP_MAX_ADDRS + 1;
	assert_int_equal(hs_register(hs, H("r"), &pe, HS_NEVER, NULL, NULL),
	    HS_E_INVAL);
	assert_int_equal(hs_npools(hs), 2);
	assert_int_equal(hs_npes(hs), 2);
	/* a private policy is kept opaquely (and served round-robin) */
	pe = mkpe(5, 1);
	pe.policy.type = 0xb0001001;
	pe.policy.nval = 2;
	pe.policy.val[0] = 77;
	assert_int_equal(hs_register(hs, H("s"), &pe, HS_NEVER, NULL, NULL), 0);
	{
		struct rsp_pe out;

		hs_pe_export(hs_lookup(hs, H("s"), 5), &out);
		assert_int_equal(out.policy.type, 0xb0001001);
		assert_int_equal(out.policy.nval, 2);
		assert_int_equal(out.policy.val[0], 77);
	}
	hs_free(hs);
}

static void
test_limits(void **state)
{
	struct hs_limits lim = {
		.max_pools = 2, .max_pool_pes = 3, .max_pes = 5,
		.max_handle_len = 8,
	};
	struct hs *hs = new_hs(&lim);
	struct rsp_pe pe;
	uint8_t big[40];
	int rc;

	(void)state;
	for (uint32_t id = 1; id <= 3; id++) {
		pe = mkpe(id, 1);
		assert_int_equal(hs_register(hs, H("a"), &pe, HS_NEVER, NULL,
		    NULL), 0);
	}
	pe = mkpe(4, 1);
	rc = hs_register(hs, H("a"), &pe, HS_NEVER, NULL, NULL);
	assert_int_equal(rc, HS_E_MAX_POOL_PES);
	assert_int_equal(hs_error_cause(rc), RSP_CAUSE_LACK_OF_RESOURCES);
	/* a re-registration at the limit is fine */
	pe = mkpe(3, 1);
	assert_int_equal(hs_register(hs, H("a"), &pe, HS_NEVER, NULL, NULL), 0);
	pe = mkpe(4, 1);
	assert_int_equal(hs_register(hs, H("b"), &pe, HS_NEVER, NULL, NULL), 0);
	rc = hs_register(hs, H("c"), &pe, HS_NEVER, NULL, NULL);
	assert_int_equal(rc, HS_E_MAX_POOLS);
	assert_int_equal(hs_error_cause(rc), RSP_CAUSE_LACK_OF_RESOURCES);
	pe = mkpe(5, 1);
	assert_int_equal(hs_register(hs, H("b"), &pe, HS_NEVER, NULL, NULL), 0);
	pe = mkpe(6, 1);
	rc = hs_register(hs, H("b"), &pe, HS_NEVER, NULL, NULL);
	assert_int_equal(rc, HS_E_MAX_PES);
	assert_int_equal(hs_error_cause(rc), RSP_CAUSE_LACK_OF_RESOURCES);
	assert_int_equal(hs_npes(hs), 5);
	assert_int_equal(hs_npools(hs), 2);
	/* handle length */
	assert_int_equal(hs_deregister(hs, H("b"), 5), 0);
	assert_int_equal(hs_register(hs, H("12345678"), &pe, HS_NEVER, NULL,
	    NULL), HS_E_MAX_POOLS);
	assert_int_equal(hs_deregister(hs, H("b"), 4), 0);
	assert_int_equal(hs_register(hs, H("12345678"), &pe, HS_NEVER, NULL,
	    NULL), 0);
	rc = hs_register(hs, H("123456789"), &pe, HS_NEVER, NULL, NULL);
	assert_int_equal(rc, HS_E_HANDLE);
	assert_int_equal(hs_error_cause(rc), RSP_CAUSE_INVALID_VALUES);
	assert_int_equal(hs_register(hs, (const uint8_t *)"", 0, &pe, HS_NEVER,
	    NULL, NULL), HS_E_HANDLE);
	assert_string_not_equal(hs_strerror(HS_E_HANDLE), "unknown error");
	hs_free(hs);

	/* default handle limit: 32 */
	hs = new_hs(NULL);
	memset(big, 'x', sizeof(big));
	assert_int_equal(hs_register(hs, big, 32, &pe, HS_NEVER, NULL, NULL),
	    0);
	assert_int_equal(hs_register(hs, big, 33, &pe, HS_NEVER, NULL, NULL),
	    HS_E_HANDLE);
	hs_free(hs);
}

/*
 * The error codes cannot be taken for an -errno or for each other: every
 * one is below -4095 (Linux's lowest -errno), they differ, each has its
 * own name; an -errno given to hs_strerror() is named as strerror() names
 * it, and maps to no specific RFC 5354 cause.
 */
static void
test_error_codes(void **state)
{
	static const int codes[] = { HS_E_NOMEM, HS_E_INVAL, HS_E_HANDLE,
	    HS_E_POLICY_VALUE, HS_E_POLICY, HS_E_TRANSPORT, HS_E_DATA_CTRL,
	    HS_E_MAX_POOLS, HS_E_MAX_POOL_PES, HS_E_MAX_PES, HS_E_NO_POOL,
	    HS_E_NO_PE };
	size_t n = sizeof(codes) / sizeof(codes[0]), i, j;

	(void)state;
	for (i = 0; i < n; i++) {
		assert_true(codes[i] < -4095);
		assert_string_not_equal(hs_strerror(codes[i]), "unknown error");
		for (j = 0; j < i; j++) {
			assert_int_not_equal(codes[i], codes[j]);
			assert_string_not_equal(hs_strerror(codes[i]),
			    hs_strerror(codes[j]));
		}
	}
	assert_string_equal(hs_strerror(-ENOMEM), strerror(ENOMEM));
	assert_string_equal(hs_strerror(-EPERM), strerror(EPERM));
	assert_string_not_equal(hs_strerror(-ENOMEM), hs_strerror(HS_E_NOMEM));
	assert_int_equal(hs_error_cause(-ENOMEM), RSP_CAUSE_UNSPECIFIED);
	assert_string_equal(hs_strerror(HS_E_BASE - 99), "unknown error");
}

/* --- expiry ----------------------------------------------------------- */

struct rec {
	uint32_t	 ids[4096];
	uint64_t	 exp[4096];
	size_t		 n;
};

static void
record(struct hs *hs, struct hs_pe *pe, void *arg)
{
	struct rec *r = arg;

	(void)hs;
	r->ids[r->n] = hs_pe_id(pe);
	r->exp[r->n] = hs_pe_expires(pe);
	r->n++;
}

static void
test_expiry(void **state)
{
	static const uint64_t exp[] = { 50, 10, 30, HS_NEVER, 20, 40, 30 };
	struct hs *hs = new_hs(NULL);
	struct rec *r = calloc(1, sizeof(*r));
	struct rsp_pe pe;
	struct hs_pe *e;

	(void)state;
	assert_non_null(r);
	assert_int_equal(hs_next_expiry(hs), HS_NEVER);
	for (uint32_t i = 0; i < 7; i++) {
		pe = mkpe(i + 1, 1);
		assert_int_equal(hs_register(hs, H("p"), &pe, exp[i], NULL,
		    NULL), 0);
	}
	assert_int_equal(hs_next_expiry(hs), 10);
	assert_int_equal(hs_expire(hs, 9, record, r), 0);
	assert_int_equal(hs_expire(hs, 30, record, r), 4);
	assert_int_equal(r->ids[0], 2);
	assert_int_equal(r->ids[1], 5);
	assert_true((r->ids[2] == 3 && r->ids[3] == 7) ||
	    (r->ids[2] == 7 && r->ids[3] == 3));
	assert_int_equal(hs_npes(hs), 3);
	assert_null(hs_lookup(hs, H("p"), 2));
	assert_int_equal(hs_next_expiry(hs), 40);

	/* re-registration moves the expiry, both ways */
	pe = mkpe(6, 1);
	assert_int_equal(hs_register(hs, H("p"), &pe, 100, NULL, NULL), 0);
	assert_int_equal(hs_next_expiry(hs), 50);
	pe = mkpe(1, 1);
	assert_int_equal(hs_register(hs, H("p"), &pe, 45, NULL, NULL), 0);
	assert_int_equal(hs_next_expiry(hs), 45);
	/* a never-expiring PE gets a life, and one loses it */
	e = hs_lookup(hs, H("p"), 4);
	hs_set_expiry(hs, e, 47);
	hs_set_expiry(hs, hs_lookup(hs, H("p"), 1), HS_NEVER);
	r->n = 0;
	assert_int_equal(hs_expire(hs, 1000, record, r), 2);
	assert_int_equal(r->ids[0], 4);
	assert_int_equal(r->ids[1], 6);
	assert_int_equal(hs_npes(hs), 1);
	assert_int_equal(hs_next_expiry(hs), HS_NEVER);
	assert_int_equal(hs_expire(hs, UINT64_MAX - 1, NULL, NULL), 0);
	hs_free(hs);
	free(r);
}

static void
test_expiry_random(void **state)
{
	enum { N = 3000 };
	struct hs *hs = new_hs(NULL);
	struct rec *r = calloc(1, sizeof(*r));
	static bool gone[N + 1];
	static uint64_t when[N + 1];
	size_t left = N;

	(void)state;
	assert_non_null(r);
	srand(3);
	for (uint32_t id = 1; id <= N; id++) {
		struct rsp_pe pe = mkpe(id, id % 3);

		when[id] = 1 + (uint64_t)(rand() % 10000);
		assert_int_equal(hs_register(hs, H("p"), &pe, when[id], NULL,
		    NULL), 0);
	}
	for (int i = 0; i < N / 3; i++) {
		uint32_t id = 1 + rand() % N;

		if (gone[id])
			continue;
		if (rand() % 2) {
			assert_int_equal(hs_deregister(hs, H("p"), id), 0);
			gone[id] = true;
			left--;
		} else {
			when[id] = 1 + (uint64_t)(rand() % 10000);
			hs_set_expiry(hs, hs_lookup(hs, H("p"), id), when[id]);
		}
	}
	for (uint64_t now = 0; now <= 10000; now += 250) {
		size_t before = r->n;

		hs_expire(hs, now, record, r);
		for (size_t i = before; i < r->n; i++) {
			assert_true(r->exp[i] <= now);
			assert_int_equal(r->exp[i], when[r->ids[i]]);
			assert_false(gone[r->ids[i]]);
			gone[r->ids[i]] = true;
			if (i > 0)
				assert_true(r->exp[i - 1] <= r->exp[i]);
		}
		left -= r->n - before;
		assert_int_equal(hs_npes(hs), left);
		assert_true(hs_next_expiry(hs) > now);
	}
	assert_int_equal(left, 0);
	assert_int_equal(hs_npools(hs), 0);
	hs_free(hs);
	free(r);
}

/* --- owners ----------------------------------------------------------- */

static size_t
owner_walk(struct hs *hs, uint32_t owner, bool *seen, size_t nseen)
{
	size_t n = 0;

	for (struct hs_pe *pe = hs_owner_first(hs, owner); pe != NULL;
	    pe = hs_owner_next(pe)) {
		assert_int_equal(hs_pe_home(pe), owner);
		assert_true(hs_pe_id(pe) < nseen);
		assert_false(seen[hs_pe_id(pe)]);
		seen[hs_pe_id(pe)] = true;
		n++;
	}
	return n;
}

static void
count_cb(struct hs *hs, struct hs_pe *pe, void *arg)
{
	(void)hs;
	(void)pe;
	(*(size_t *)arg)++;
}

static void
test_owners(void **state)
{
	struct hs *hs = new_hs(NULL);
	bool seen[64];
	size_t n = 0;
	uint16_t c1, c2;

	(void)state;
	/* ids 0..29, owner id % 3 + 1, pools by id % 4 */
	for (uint32_t id = 0; id < 30; id++) {
		struct rsp_pe pe = mkpe(id, id % 3 + 1);
		char h[2] = { (char)('a' + id % 4), 0 };

		assert_int_equal(hs_register(hs, (const uint8_t *)h, 1, &pe,
		    HS_NEVER, NULL, NULL), 0);
	}
	for (uint32_t o = 1; o <= 3; o++) {
		memset(seen, 0, sizeof(seen));
		assert_int_equal(owner_walk(hs, o, seen, 64), 10);
		assert_int_equal(hs_owner_count(hs, o), 10);
		for (uint32_t id = 0; id < 30; id++)
			assert_int_equal(seen[id], id % 3 + 1 == o);
	}
	assert_null(hs_owner_first(hs, 9));

	/* re-homing merges into an existing owner, checksums add up */
	c1 = hs_checksum(hs, 1);
	c2 = hs_checksum(hs, 2);
	assert_int_equal(hs_rehome(hs, 1, 2), 10);
	assert_int_equal(hs_owner_count(hs, 1), 0);
	assert_int_equal(hs_owner_count(hs, 2), 20);
	assert_int_equal(hs_checksum(hs, 1), 0xffff);
	{
		/* one's complement sums: ~c = sum, sums add */
		uint32_t s = (uint16_t)~c1 + (uint16_t)~c2;

		assert_int_equal(hs_checksum(hs, 2), hs_checksum_fold(s));
	}
	memset(seen, 0, sizeof(seen));
	assert_int_equal(owner_walk(hs, 2, seen, 64), 20);
	/* ... or renames it when the new owner has none */
	c1 = hs_checksum(hs, 3);
	assert_int_equal(hs_rehome(hs, 3, 9), 10);
	assert_int_equal(hs_checksum(hs, 9), c1);
	assert_int_equal(hs_owner_count(hs, 3), 0);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(owner_walk(hs, 9, seen, 64), 10);
	assert_int_equal(hs_pe_home(hs_lookup(hs, H("c"), 2)), 9);
	assert_int_equal(hs_rehome(hs, 77, 9), 0);

	/* a re-registration from another home moves the PE */
	{
		struct rsp_pe pe = mkpe(2, 5);

		assert_int_equal(hs_register(hs, H("c"), &pe, HS_NEVER, NULL,
		    NULL), 0);
		assert_int_equal(hs_owner_count(hs, 9), 9);
		assert_int_equal(hs_owner_count(hs, 5), 1);
	}

	/* deleting an owner removes its PEs and empty pools */
	assert_int_equal(hs_owner_delete(hs, 2, count_cb, &n), 20);
	assert_int_equal(n, 20);
	assert_int_equal(hs_npes(hs), 10);
	assert_int_equal(hs_owner_delete(hs, 9, NULL, NULL), 9);
	assert_int_equal(hs_npes(hs), 1);
	assert_int_equal(hs_npools(hs), 1);
	assert_int_equal(hs_checksum(hs, 9), 0xffff);
	hs_free(hs);
}

/* --- checksums -------------------------------------------------------- */

/* The digest's reference: blocks of the handle padded to 4 and the id. */
static uint64_t
ref_block(uint64_t acc, const uint8_t *handle, size_t len, uint32_t id)
{
	uint8_t blk[80];
	size_t pad = (len + 3) & ~(size_t)3;

	memset(blk, 0, sizeof(blk));
	memcpy(blk, handle, len);
	blk[pad] = (uint8_t)(id >> 24);
	blk[pad + 1] = (uint8_t)(id >> 16);
	blk[pad + 2] = (uint8_t)(id >> 8);
	blk[pad + 3] = (uint8_t)id;
	for (size_t i = 0; i < pad + 4; i += 2)
		acc += ((uint32_t)blk[i] << 8) | blk[i + 1];
	return acc;
}

static uint16_t
ref_finish(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

struct vec {
	const char	*handle[3];
	uint32_t	 id[3];
	size_t		 n;
	uint16_t	 sum;
};

/* doc/protocol/enrp.md §6 */
static const struct vec vecs[] = {
	{ { NULL }, { 0 }, 0, 0xffff },
	{ { "Echo" }, { 0x12345678 }, 1, 0xe980 },
	{ { "abc" }, { 0x00000001 }, 1, 0x3b9c },
	{ { "Echo", "EchoPool", "Calc" }, { 0x12345678, 0xcafebabe, 1 }, 3,
	    0x464f },
};

static void
check_vector(const struct vec *v, uint32_t owner)
{
	struct hs *hs = new_hs(NULL);
	uint64_t acc = 0;

	for (size_t i = 0; i < v->n; i++) {
		struct rsp_pe pe = mkpe(v->id[i], owner);
		const uint8_t *h = (const uint8_t *)v->handle[i];
		size_t len = strlen(v->handle[i]);

		assert_int_equal(hs_register(hs, h, len, &pe, HS_NEVER, NULL,
		    NULL), 0);
		/* a PE of another owner must not count */
		pe.id ^= 0x5a5a;
		pe.home_id = owner + 1;
		assert_int_equal(hs_register(hs, h, len, &pe, HS_NEVER, NULL,
		    NULL), 0);
		acc = hs_checksum_add(acc, h, len, v->id[i]);
	}
	assert_int_equal(hs_checksum(hs, owner), v->sum);
	assert_int_equal(hs_checksum_fold(acc), v->sum);
	/* removing all brings it back to the empty value */
	for (size_t i = 0; i < v->n; i++)
		assert_int_equal(hs_deregister(hs,
		    (const uint8_t *)v->handle[i], strlen(v->handle[i]),
		    v->id[i]), 0);
	assert_int_equal(hs_checksum(hs, owner), 0xffff);
	hs_free(hs);
}

static void
test_checksum_vectors(void **state)
{
	static const uint8_t abcx[] = { 'a', 'b', 'c', 'X' };
	struct rsp_pe pe = mkpe(1, 1);
	struct hs *hs = new_hs(NULL);

	(void)state;
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		check_vector(&vecs[i], 0x1000 + (uint32_t)i);
	/* an odd handle is padded with zeros, not with what follows it */
	assert_int_equal(hs_register(hs, abcx, 3, &pe, HS_NEVER, NULL, NULL),
	    0);
	assert_int_equal(hs_checksum(hs, 1), 0x3b9c);
	assert_int_equal(hs_checksum_fold(hs_checksum_add(0, abcx, 3, 1)),
	    0x3b9c);
	hs_free(hs);
}

/* tests/vectors/checksum.txt: lines "handle:hexid[,handle:hexid...] sum" */
static void
test_checksum_vector_file(void **state)
{
	char line[512];
	FILE *f;
	int nvec = 0;

	(void)state;
	f = fopen(SRCDIR "/tests/vectors/checksum.txt", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *set, *sum, *tok, *save = NULL;
		struct hs *hs;
		unsigned long want;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		set = strtok(line, " \t\n");
		sum = strtok(NULL, " \t\n");
		assert_non_null(set);
		assert_non_null(sum);
		want = strtoul(sum, NULL, 16);
		hs = new_hs(NULL);
		for (tok = strtok_r(set, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			char *colon = strchr(tok, ':');
			struct rsp_pe pe;

			if (strcmp(tok, "-") == 0)
				continue;	/* the empty set */
			assert_non_null(colon);
			*colon = 0;
			pe = mkpe((uint32_t)strtoul(colon + 1, NULL, 16), 1);
			assert_int_equal(hs_register(hs, (uint8_t *)tok,
			    strlen(tok), &pe, HS_NEVER, NULL, NULL), 0);
		}
		assert_int_equal(hs_checksum(hs, 1), want);
		hs_free(hs);
		nvec++;
	}
	fclose(f);
	assert_true(nvec >= 4);
}

/* Incremental checksums equal a from-scratch recomputation. */
static void
test_checksum_incremental(void **state)
{
	enum { NOWN = 4, NH = 12 };
	static const char *handles[NH] = {
		"a", "ab", "abc", "abcd", "abcde", "Echo", "EchoPool", "Calc",
		"x\xff\x80", "\x01", "longer-handle-17b", "zz",
	};
	struct hs *hs = new_hs(NULL);

	(void)state;
	srand(5);
	for (int round = 0; round < 3000; round++) {
		const char *h = handles[rand() % NH];
		uint32_t id = (uint32_t)rand() % 64 * 0x01010101u;
		uint32_t owner = 1 + rand() % NOWN;
		struct rsp_pe pe = mkpe(id, owner);
		int op = rand() % 20;

		if (op < 12) {
			assert_int_equal(hs_register(hs, (const uint8_t *)h,
			    strlen(h), &pe, (uint64_t)(rand() % 1000), NULL,
			    NULL), 0);
		} else if (op < 18) {
			hs_deregister(hs, (const uint8_t *)h, strlen(h), id);
		} else if (op == 18) {
			hs_rehome(hs, owner, 1 + rand() % NOWN);
		} else if (rand() % 4 == 0) {
			hs_expire(hs, (uint64_t)(rand() % 200), NULL, NULL);
		} else {
			hs_owner_delete(hs, owner, NULL, NULL);
		}
		if (round % 10 != 0)
			continue;
		/* recompute over every pool's PEs, grouped by owner */
		uint64_t acc[NOWN + 1] = { 0 };
		size_t npe = 0, cnt[NOWN + 1] = { 0 };

		for (struct hs_pool *p = hs_pool_first(hs); p != NULL;
		    p = hs_pool_next(p)) {
			size_t len;
			const uint8_t *ph = hs_pool_handle(p, &len);

			for (struct hs_pe *e = hs_pe_first(p); e != NULL;
			    e = hs_pe_next(e)) {
				uint32_t o = hs_pe_home(e);

				assert_true(o >= 1 && o <= NOWN);
				acc[o] = ref_block(acc[o], ph, len,
				    hs_pe_id(e));
				cnt[o]++;
				npe++;
			}
		}
		assert_int_equal(npe, hs_npes(hs));
		for (uint32_t o = 1; o <= NOWN; o++) {
			assert_int_equal(hs_checksum(hs, o), ref_finish(acc[o]));
			assert_int_equal(hs_owner_count(hs, o), cnt[o]);
		}
	}
	hs_free(hs);
}

/* --- tables under churn ----------------------------------------------- */

/*
 * Model check of the PE table (open addressing, removal by shifting back)
 * and of the per-pool arrays: thousands of PEs over a few pools of every
 * kind, registered, re-registered with more or fewer addresses (the blob
 * moves between the PE and its own allocation) and deregistered at random
 * through several table growths; after each phase every PE is found with
 * what it was last given, no removed PE is, and iteration sees each once.
 */
#define CH_POOLS	6
#define CH_IDS		6000

static const uint32_t ch_policy[CH_POOLS] = {
	RSP_POLICY_ROUND_ROBIN, RSP_POLICY_WEIGHTED_ROUND_ROBIN,
	RSP_POLICY_RANDOM, RSP_POLICY_WEIGHTED_RANDOM,
	RSP_POLICY_LEAST_USED, RSP_POLICY_PRIORITY,
};

static uint8_t	ch_naddr[CH_POOLS][CH_IDS];	/* 0: absent, else naddr + 1 */
static uint64_t	ch_exp[CH_POOLS][CH_IDS];

static void
ch_handle(char *b, size_t len, int p)
{
	snprintf(b, len, "churn-%d", p);
}

static void
ch_verify(struct hs *hs)
{
	size_t total = 0, seen = 0;
	char h[16];

	for (int p = 0; p < CH_POOLS; p++) {
		struct hs_pool *pool;
		struct hs_pe *e;
		size_t n = 0;

		ch_handle(h, sizeof(h), p);
		pool = hs_pool_find(hs, (const uint8_t *)h, strlen(h));
		for (uint32_t id = 0; id < CH_IDS; id++) {
			struct rsp_pe out;

			e = hs_lookup(hs, (const uint8_t *)h, strlen(h), id);
			if (ch_naddr[p][id] == 0) {
				assert_null(e);
				continue;
			}
			n++;
			assert_non_null(e);
			assert_ptr_equal(hs_pool_lookup(hs, pool, id), e);
			assert_int_equal(hs_pe_id(e), id);
			assert_int_equal(hs_pe_expires(e), ch_exp[p][id]);
			hs_pe_export(e, &out);
			assert_int_equal(out.user.naddr, ch_naddr[p][id] - 1);
			for (size_t a = 0; a < out.user.naddr; a++) {
				assert_int_equal(out.user.addr[a].a[2],
				    (uint8_t)(id >> 8));
				assert_int_equal(out.user.addr[a].a[3],
				    (uint8_t)id);
			}
		}
		total += n;
		assert_int_equal(hs_pool_count(pool), n);
		if (pool == NULL)
			continue;
		for (e = hs_pe_first(pool); e != NULL; e = hs_pe_next(e)) {
			uint32_t id = hs_pe_id(e);

			assert_true(id < CH_IDS && ch_naddr[p][id] != 0);
			assert_ptr_equal(hs_pe_pool(e), pool);
			seen++;
		}
	}
	assert_int_equal(total, hs_npes(hs));
	assert_int_equal(seen, total);
}

/*
 * A Weighted Round Robin pool keeps its PEs' heap positions apart from the
 * PEs (indexed by the PE's object), a Least Used pool in the PEs; objects
 * freed by one pool are reused by the other.  After answers that reorder
 * the heaps and removals and registrations that reuse the objects, every
 * PE is found, visited once by iteration, and removed from the right place
 * (the pool never answers a removed PE).
 */
#define MX_N	400

static void
mx_check(struct hs *hs, const char *h, const bool *in, size_t n)
{
	struct hs_pool *pool = hs_pool_find(hs, (const uint8_t *)h, strlen(h));
	bool seen[MX_N] = { false };
	size_t cnt = 0;

	assert_non_null(pool);
	assert_int_equal(hs_pool_count(pool), n);
	for (struct hs_pe *e = hs_pe_first(pool); e != NULL;
	    e = hs_pe_next(e)) {
		uint32_t id = hs_pe_id(e);

		assert_true(id < MX_N && in[id] && !seen[id]);
		assert_ptr_equal(hs_pool_lookup(hs, pool, id), e);
		seen[id] = true;
		cnt++;
	}
	assert_int_equal(cnt, n);
}

static void
test_mixed_positions(void **state)
{
	struct hs *hs = new_hs(NULL);
	const char *hw = "mx-wrr", *hl = "mx-lu";
	bool inw[MX_N] = { false }, inl[MX_N] = { false };
	uint64_t expw[MX_N];
	size_t nw = 0, nl = 0, k, due = 0;
	struct hs_pe *ret[8];

	(void)state;
	srand(5);
	for (uint32_t id = 0; id < MX_N; id++) {
		struct rsp_pe pe = mkpe(id, 1);

		pe.policy.type = RSP_POLICY_WEIGHTED_ROUND_ROBIN;
		pe.policy.nval = 1;
		pe.policy.val[0] = 1 + (uint32_t)(rand() % 5);
		assert_int_equal(hs_register(hs, (const uint8_t *)hw,
		    strlen(hw), &pe, 1000 + id, NULL, NULL), 0);
		inw[id] = true;
		expw[id] = 1000 + id;
		nw++;
		pe.policy.type = RSP_POLICY_LEAST_USED;
		pe.policy.val[0] = (uint32_t)(rand() % 7);
		assert_int_equal(hs_register(hs, (const uint8_t *)hl,
		    strlen(hl), &pe, 2000 + id, NULL, NULL), 0);
		inl[id] = true;
		nl++;
	}
	for (int round = 0; round < 6; round++) {
		for (int i = 0; i < 500; i++) {
			const char *h = i % 2 ? hw : hl;

			assert_int_equal(hs_resolve(hs, (const uint8_t *)h,
			    strlen(h), 1 + (size_t)(rand() % 8), ret, &k), 0);
			for (size_t j = 0; j < k; j++) {
				uint32_t id = hs_pe_id(ret[j]);

				assert_true(id < MX_N &&
				    (i % 2 ? inw[id] : inl[id]));
			}
		}
		/* remove some of each, then register others: objects swap */
		for (int i = 0; i < 120; i++) {
			uint32_t id = (uint32_t)(rand() % MX_N);
			bool w = rand() % 2;
			const char *h = w ? hw : hl;
			bool *in = w ? inw : inl;
			int rc = hs_deregister(hs, (const uint8_t *)h,
			    strlen(h), id);

			assert_int_equal(rc, in[id] ? 0 : HS_E_NO_PE);
			if (in[id]) {
				in[id] = false;
				*(w ? &nw : &nl) -= 1;
			}
		}
		for (int i = 0; i < 120; i++) {
			uint32_t id = (uint32_t)(rand() % MX_N);
			bool w = rand() % 2;
			struct rsp_pe pe = mkpe(id, 1);
			bool *in = w ? inw : inl;
			uint64_t exp = 3000 + (uint64_t)(rand() % 1000);

			pe.policy.type = w ? RSP_POLICY_WEIGHTED_ROUND_ROBIN :
			    RSP_POLICY_LEAST_USED;
			pe.policy.nval = 1;
			pe.policy.val[0] = 1 + (uint32_t)(rand() % 5);
			assert_int_equal(hs_register(hs,
			    (const uint8_t *)(w ? hw : hl), strlen(w ? hw : hl),
			    &pe, exp, NULL, NULL), 0);
			if (w)
				expw[id] = exp;
			if (!in[id]) {
				in[id] = true;
				*(w ? &nw : &nl) += 1;
			}
		}
		mx_check(hs, hw, inw, nw);
		mx_check(hs, hl, inl, nl);
	}
	/* expiry removes through the same positions: exactly those due */
	for (uint32_t id = 0; id < MX_N; id++) {
		if (inw[id] && expw[id] <= 1000 + MX_N / 2) {
			inw[id] = false;
			nw--;
			due++;
		}
	}
	assert_true(due > 0);
	assert_int_equal(hs_expire(hs, 1000 + MX_N / 2, NULL, NULL), due);
	mx_check(hs, hw, inw, nw);
	mx_check(hs, hl, inl, nl);
	for (uint32_t id = 0; id < MX_N; id++) {
		if (inw[id])
			assert_int_equal(hs_deregister(hs, (const uint8_t *)hw,
			    strlen(hw), id), 0);
		if (inl[id])
			assert_int_equal(hs_deregister(hs, (const uint8_t *)hl,
			    strlen(hl), id), 0);
	}
	assert_int_equal(hs_npes(hs), 0);
	assert_int_equal(hs_npools(hs), 0);
	hs_free(hs);
}

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>

/*
 * A removed PE's memory stays poisoned under AddressSanitizer (a use
 * after removal is reported), and is usable again once reused.
 */
static void
test_removed_poisoned(void **state)
{
	struct hs *hs = new_hs(NULL);
	struct rsp_pe pe = mkpe(7, 1);
	struct hs_pe *e, *e2;

	(void)state;
	pe.policy.type = RSP_POLICY_WEIGHTED_ROUND_ROBIN;
	pe.policy.nval = 1;
	pe.policy.val[0] = 3;
	assert_int_equal(hs_register(hs, H("poison"), &pe, 100, &e, NULL), 0);
	assert_false(__asan_address_is_poisoned((char *)e + 40));
	assert_int_equal(hs_deregister(hs, H("poison"), 7), 0);
	/* past the free-list header: the addresses, udata, policy values */
	for (size_t off = 40; off < 128; off += 8)
		assert_true(__asan_address_is_poisoned((char *)e + off));
	assert_int_equal(hs_register(hs, H("poison"), &pe, 100, &e2, NULL), 0);
	assert_ptr_equal(e2, e);	/* LIFO reuse */
	assert_false(__asan_address_is_poisoned((char *)e2 + 40));
	hs_free(hs);
}
#endif

/*
 * Past the first 24 slabs, PE objects come eight slabs to an arena (huge
 * pages): 210,000 PEs in pools of 10 fill one arena and part of a second.
 * Every PE keeps its own object (found again with its own values after
 * the table grew around it), half of them leave and come back, and
 * hs_free() frees each arena once (ASan: no overlap, no double free).
 */
#define MANY_PES	210000

static void
test_many_slabs(void **state)
{
	static struct hs_pe *obj[MANY_PES + 1];
	struct hs *hs = new_hs(NULL);
	struct hs_pe *e;
	char h[16];
	uint32_t id;

	(void)state;
	assert_true(MANY_PES > 4096 + (16 + 8) * 8192);
	for (id = 1; id <= MANY_PES; id++) {
		struct rsp_pe pe = mkpe(id, 1);

		pe.user.port = (uint16_t)id;
		snprintf(h, sizeof(h), "p%05u", id / 10);
		assert_int_equal(hs_register(hs, (const uint8_t *)h,
		    strlen(h), &pe, 1000000, &obj[id], NULL), 0);
	}
	for (id = 1; id <= MANY_PES; id += 2) {
		snprintf(h, sizeof(h), "p%05u", id / 10);
		assert_int_equal(hs_deregister(hs, (const uint8_t *)h,
		    strlen(h), id), 0);
	}
	for (id = 1; id <= MANY_PES; id += 2) {
		struct rsp_pe pe = mkpe(id, 1);

		pe.user.port = (uint16_t)id;
		snprintf(h, sizeof(h), "p%05u", id / 10);
		assert_int_equal(hs_register(hs, (const uint8_t *)h,
		    strlen(h), &pe, 1000000, &obj[id], NULL), 0);
	}
	for (id = 1; id <= MANY_PES; id++) {
		struct rsp_pe got;

		snprintf(h, sizeof(h), "p%05u", id / 10);
		e = hs_lookup(hs, (const uint8_t *)h, strlen(h), id);
		assert_ptr_equal(e, obj[id]);
		assert_int_equal(hs_pe_id(e), id);
		hs_pe_export(e, &got);
		assert_int_equal(got.user.port, (uint16_t)id);
		assert_int_equal(got.user.addr[0].a[3], (uint8_t)id);
	}
	hs_free(hs);
}

static void
test_table_churn(void **state)
{
	struct hs *hs = new_hs(NULL);
	struct hs_pe *ret[8];
	char h[16];
	size_t k;

	(void)state;
	memset(ch_naddr, 0, sizeof(ch_naddr));
	srand(14);
	for (int phase = 0; phase < 4; phase++) {
		for (int i = 0; i < 3 * CH_POOLS * CH_IDS / 2; i++) {
			int p = rand() % CH_POOLS;
			uint32_t id = (uint32_t)(rand() % CH_IDS);
			struct rsp_pe pe = mkpe(id, 1 + rand() % 3);

			ch_handle(h, sizeof(h), p);
			if (rand() % 3 == 0 && phase != 1) {
				int rc = hs_deregister(hs, (const uint8_t *)h,
				    strlen(h), id);

				if (ch_naddr[p][id] != 0)
					assert_int_equal(rc, 0);
				else
					assert_true(rc == HS_E_NO_PE ||
					    rc == HS_E_NO_POOL);
				ch_naddr[p][id] = 0;
				continue;
			}
			pe.policy.type = ch_policy[p];
			pe.policy.nval = 1;
			pe.policy.val[0] = (uint32_t)(rand() % 4);
			pe.user.naddr = (uint8_t)(rand() % 4);
			for (size_t a = 0; a < pe.user.naddr; a++) {
				pe.user.addr[a].family = AF_INET;
				pe.user.addr[a].a[2] = (uint8_t)(id >> 8);
				pe.user.addr[a].a[3] = (uint8_t)id;
			}
			ch_exp[p][id] = rand() % 5 == 0 ? HS_NEVER :
			    (uint64_t)(1000 + rand() % 100000);
			assert_int_equal(hs_register(hs, (const uint8_t *)h,
			    strlen(h), &pe, ch_exp[p][id], NULL, NULL), 0);
			ch_naddr[p][id] = (uint8_t)(pe.user.naddr + 1);
			if (i % 7 == 0)
				(void)hs_resolve(hs, (const uint8_t *)h,
				    strlen(h), 1 + (size_t)(rand() % 8), ret,
				    &k);
		}
		ch_verify(hs);
	}
	/* expiry removes earliest first, exactly those due */
	{
		uint64_t last = 0;
		size_t due = 0, n;

		for (int p = 0; p < CH_POOLS; p++)
			for (uint32_t id = 0; id < CH_IDS; id++)
				if (ch_naddr[p][id] != 0 &&
				    ch_exp[p][id] <= 50000)
					due++;
		n = hs_expire(hs, 50000, NULL, NULL);
		assert_int_equal(n, due);
		for (int p = 0; p < CH_POOLS; p++)
			for (uint32_t id = 0; id < CH_IDS; id++)
				if (ch_exp[p][id] <= 50000)
					ch_naddr[p][id] = 0;
		ch_verify(hs);
		while (hs_next_expiry(hs) != HS_NEVER) {
			uint64_t t = hs_next_expiry(hs);

			assert_true(t >= last);
			last = t;
			assert_true(hs_expire(hs, t, NULL, NULL) >= 1);
		}
	}
	hs_free(hs);
}

/*
 * Round robin against a model of the circle: PEs join just before the
 * head, a removed head passes the head on, an answer is the circle from
 * the head and moves the head by one; removals anywhere in the pool's
 * array (which moves its last PE) must not disturb that order.
 */
static void
test_rr_model(void **state)
{
	enum { MAXN = 64 };
	uint32_t circle[MAXN], next_id = 1;
	size_t n = 0, head = 0;
	struct hs *hs = new_hs(NULL);
	struct hs_pe *ret[MAXN];
	size_t k;

	(void)state;
	srand(5);
	for (int step = 0; step < 20000; step++) {
		int op = rand() % 3;

		if (op == 0 && n < MAXN) {
			struct rsp_pe pe = mkpe(next_id, 1);

			assert_int_equal(hs_register(hs, H("rr"), &pe,
			    HS_NEVER, NULL, NULL), 0);
			/* insert before the head: at position head */
			memmove(&circle[head + 1], &circle[head],
			    (n - head) * sizeof(circle[0]));
			circle[head] = next_id++;
			if (n > 0)
				head++;
			n++;
		} else if (op == 1 && n > 0) {
			size_t at = (size_t)rand() % n;

			assert_int_equal(hs_deregister(hs, H("rr"),
			    circle[at]), 0);
			memmove(&circle[at], &circle[at + 1],
			    (n - at - 1) * sizeof(circle[0]));
			n--;
			if (at < head)
				head--;
			if (head >= n)
				head = 0;
		} else if (n > 0) {
			size_t want = 1 + (size_t)rand() % (n + 2);

			assert_int_equal(hs_resolve(hs, H("rr"), want, ret,
			    &k), 0);
			assert_int_equal(k, want < n ? want : n);
			for (size_t i = 0; i < k; i++)
				assert_int_equal(hs_pe_id(ret[i]),
				    circle[(head + i) % n]);
			head = (head + 1) % n;
		}
	}
	hs_free(hs);
}

/*
 * Weighted Round Robin against a model of doc/protocol/policies.md §3.2,
 * computed the slow way: a PE of weight w at its c-th turn stands at
 * virtual time k1 / 2w (k1 = 2c + 1 from its start), a joining PE starts
 * half a period after the head (k1 = ceil(k1_head w / w_head) + 1, or 1
 * with no head), an answer lists the PEs by (k1 / w exact, identifier),
 * weight 0 never, and moves the head on by one turn (k1 + 2).  Weights
 * include huge nearly equal ones, whose times differ by less than 2^-32
 * (the heap's 64-bit shortcut ties there and must defer to the exact
 * order), and pools cross the small-pool and scan sizes both ways.
 */
struct wrr_m {
	uint32_t	 id, w;
	uint64_t	 k1;
};

/* a before b in the model's order */
static bool
wrr_m_before(const struct wrr_m *a, const struct wrr_m *b)
{
	unsigned __int128 x = (unsigned __int128)a->k1 * b->w;
	unsigned __int128 y = (unsigned __int128)b->k1 * a->w;

	if ((a->w == 0) != (b->w == 0))
		return b->w == 0;
	if (a->w != 0 && x != y)
		return x < y;
	return a->id < b->id;
}

static void
wrr_m_join(struct wrr_m *m, size_t n, struct wrr_m *e)
{
	const struct wrr_m *head = NULL;

	for (size_t i = 0; i < n; i++)
		if (head == NULL || wrr_m_before(&m[i], head))
			head = &m[i];
	if (e->w == 0) {
		e->k1 = UINT64_MAX;
	} else if (head == NULL || head->w == 0) {
		e->k1 = 1;
	} else {
		unsigned __int128 a = (unsigned __int128)head->k1 * e->w;

		a = (a + head->w - 1) / head->w + 1;
		e->k1 = a > UINT64_MAX / 2 ? UINT64_MAX / 2 : (uint64_t)a;
	}
}

static uint32_t
wrr_weight(void)
{
	static const uint32_t big[] = {
		0x7ffffffd, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001,
		0xfffffffd, 0xfffffffe, 0xffffffff,
	};

	switch (rand() % 4) {
	case 0:
		return big[rand() % 8];
	case 1:
		return rand() % 8 == 0 ? 0 : 1 + (uint32_t)rand() % 3;
	default:
		return 1 + (uint32_t)rand() % 100;
	}
}

static void
wrr_model_run(size_t maxn, int steps, unsigned seed)
{
	struct wrr_m *m = calloc(maxn, sizeof(*m));
	struct hs_pe *ret[8];
	struct hs *hs = new_hs(NULL);
	uint32_t next_id = 1;
	size_t n = 0, k;

	assert_non_null(m);
	srand(seed);
	for (int step = 0; step < steps; step++) {
		int op = rand() % 8;
		/* grow towards maxn, then shrink, then grow again */
		bool grow = (step / (int)(maxn * 3)) % 2 == 0;

		if (op == 0 || (op < 4 && grow)) {
			if (n == maxn)
				continue;
			struct rsp_pe pe = mkpe(next_id, 1);
			struct wrr_m e = { next_id++, wrr_weight(), 0 };

			pe.policy.type = RSP_POLICY_WEIGHTED_ROUND_ROBIN;
			pe.policy.nval = 1;
			pe.policy.val[0] = e.w;
			assert_int_equal(hs_register(hs, H("wrr"), &pe,
			    HS_NEVER, NULL, NULL), 0);
			wrr_m_join(m, n, &e);
			m[n++] = e;
		} else if (op < 5 && n > 0) {
			size_t at = (size_t)rand() % n;

			assert_int_equal(hs_deregister(hs, H("wrr"), m[at].id),
			    0);
			m[at] = m[--n];
		} else if (op == 5 && n > 0) {
			/* re-registration with a new weight: rejoins */
			size_t at = (size_t)rand() % n;
			struct rsp_pe pe = mkpe(m[at].id, 1);
			struct wrr_m e = m[at];

			e.w = wrr_weight();
			pe.policy.type = RSP_POLICY_WEIGHTED_ROUND_ROBIN;
			pe.policy.nval = 1;
			pe.policy.val[0] = e.w;
			assert_int_equal(hs_register(hs, H("wrr"), &pe,
			    HS_NEVER, NULL, NULL), 0);
			m[at] = m[--n];
			wrr_m_join(m, n, &e);
			m[n++] = e;
		} else if (n > 0) {
			size_t want = 1 + (size_t)rand() % 8, nz = 0;
			struct wrr_m *best[8];

			/* the model's first `want` PEs of non-zero weight */
			for (size_t i = 0; i < n; i++) {
				size_t j;

				if (m[i].w == 0)
					continue;
				if (nz == want &&
				    !wrr_m_before(&m[i], best[nz - 1]))
					continue;
				j = nz < want ? nz++ : nz - 1;
				for (; j > 0 && wrr_m_before(&m[i],
				    best[j - 1]); j--)
					best[j] = best[j - 1];
				best[j] = &m[i];
			}
			assert_int_equal(hs_resolve(hs, H("wrr"), want, ret,
			    &k), 0);
			assert_int_equal(k, nz);
			for (size_t i = 0; i < k; i++)
				assert_int_equal(hs_pe_id(ret[i]), best[i]->id);
			if (nz > 0)
				best[0]->k1 += 2;
		}
	}
	hs_free(hs);
	free(m);
}

static void
test_wrr_model(void **state)
{
	(void)state;
	wrr_model_run(40, 30000, 7);	/* small-pool and scan sizes */
	wrr_model_run(6000, 60000, 8);	/* a heap of five levels and more */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_update_deregister),
		cmocka_unit_test(test_pool_register),
		cmocka_unit_test(test_opaque_transport),
		cmocka_unit_test(test_consistency),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_expiry_random),
		cmocka_unit_test(test_owners),
		cmocka_unit_test(test_checksum_vectors),
		cmocka_unit_test(test_checksum_vector_file),
		cmocka_unit_test(test_checksum_incremental),
		cmocka_unit_test(test_many_slabs),
		cmocka_unit_test(test_table_churn),
		cmocka_unit_test(test_rr_model),
		cmocka_unit_test(test_wrr_model),
		cmocka_unit_test(test_mixed_positions),
#if defined(__SANITIZE_ADDRESS__)
		cmocka_unit_test(test_removed_poisoned),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
