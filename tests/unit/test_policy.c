/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tests of the handlespace's RFC 5356 selection policies, against the
 * semantics of doc/protocol/policies.md: deterministic policies (RR, WRR,
 * Priority, LU, LUD, PLU) give exact sequences; random ones (Random,
 * Weighted Random, Randomized Least Used) are checked with a fixed seed
 * against their expected frequencies within 5 standard deviations.  Every
 * answer of every policy must be free of repeats.
 */
#include <math.h>
#include <stdarg.h>
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
#define POOL	"pool"
#define MAXK	64

static const uint32_t all_policies[] = {
	RSP_POLICY_ROUND_ROBIN, RSP_POLICY_WEIGHTED_ROUND_ROBIN,
	RSP_POLICY_RANDOM, RSP_POLICY_WEIGHTED_RANDOM, RSP_POLICY_PRIORITY,
	RSP_POLICY_LEAST_USED, RSP_POLICY_LEAST_USED_DEGRADATION,
	RSP_POLICY_PRIORITY_LEAST_USED, RSP_POLICY_RANDOMIZED_LEAST_USED,
};

static int
nval_of(uint32_t policy)
{
	switch (policy) {
	case RSP_POLICY_ROUND_ROBIN:
	case RSP_POLICY_RANDOM:
		return 0;
	case RSP_POLICY_LEAST_USED_DEGRADATION:
	case RSP_POLICY_PRIORITY_LEAST_USED:
		return 2;
	default:
		return 1;
	}
}

static struct rsp_pe
mkpe(uint32_t id, uint32_t policy, uint32_t v0, uint32_t v1)
{
	struct rsp_pe pe;

	memset(&pe, 0, sizeof(pe));
	pe.id = id;
	pe.home_id = 1;
	pe.life = 300;
	pe.user.type = RSP_PARAM_SCTP_TRANSPORT;
	pe.user.port = 5000;
	pe.user.use = RSP_TRANSPORT_USE_DATA;
	pe.user.naddr = 1;
	pe.user.addr[0].family = AF_INET;
	pe.user.addr[0].a[0] = 10;
	pe.user.addr[0].a[3] = (uint8_t)id;
	pe.policy.type = policy;
	pe.policy.nval = (uint8_t)nval_of(policy);
	pe.policy.val[0] = v0;
	pe.policy.val[1] = v1;
	return pe;
}

static struct hs *
new_hs(void)
{
	struct hs_limits lim;
	struct hs *hs;

	hs_limits_default(&lim);
	lim.max_pool_pes = 0;
	lim.max_pes = 0;
	hs = hs_new(&lim);
	assert_non_null(hs);
	hs_seed(hs, 0x5eed1234abcdULL);
	return hs;
}

static void
reg(struct hs *hs, uint32_t id, uint32_t policy, uint32_t v0, uint32_t v1)
{
	struct rsp_pe pe = mkpe(id, policy, v0, v1);

	assert_int_equal(hs_register(hs, H(POOL), &pe, HS_NEVER, NULL, NULL),
	    0);
}

/* Resolve n, write the ids; asserts no repeats.  Returns the count. */
static size_t
resolve(struct hs *hs, size_t n, uint32_t *ids)
{
	struct hs_pe *pes[MAXK];
	size_t k = 0;

	assert_true(n <= MAXK);
	assert_int_equal(hs_resolve(hs, H(POOL), n, pes, &k), 0);
	assert_true(k <= n);
	for (size_t i = 0; i < k; i++) {
		ids[i] = hs_pe_id(pes[i]);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(ids[i], ids[j]);
	}
	return k;
}

static uint32_t
resolve1(struct hs *hs)
{
	uint32_t id;

	assert_int_equal(resolve(hs, 1, &id), 1);
	return id;
}

static void
expect_ids(struct hs *hs, size_t n, size_t count, ...)
{
	uint32_t ids[MAXK];
	va_list ap;

	assert_int_equal(resolve(hs, n, ids), count);
	va_start(ap, count);
	for (size_t i = 0; i < count; i++)
		assert_int_equal(ids[i], va_arg(ap, unsigned));
	va_end(ap);
}

/* |observed - expected| within 5 sigma of a binomial (plus rounding). */
static void
assert_binomial(size_t observed, size_t trials, double p)
{
	double mean = trials * p, sd = sqrt(trials * p * (1 - p));

	if (fabs((double)observed - mean) > 5 * sd + 1) {
		fail_msg("observed %zu, expected %.1f +- %.1f (p=%.4f)",
		    observed, mean, 5 * sd + 1, p);
	}
}

/* --- Round Robin ------------------------------------------------------- */

static void
test_rr_rotation(void **state)
{
	struct hs *hs = new_hs();

	(void)state;
	for (uint32_t id = 1; id <= 4; id++)
		reg(hs, id, RSP_POLICY_ROUND_ROBIN, 0, 0);
	/* RFC 5356 §4.1: list from the head, head advances by one */
	expect_ids(hs, 2, 2, 1, 2);
	expect_ids(hs, 2, 2, 2, 3);
	expect_ids(hs, 2, 2, 3, 4);
	expect_ids(hs, 2, 2, 4, 1);
	expect_ids(hs, 2, 2, 1, 2);
	/* more than the pool: the whole circle once, from the head */
	expect_ids(hs, 10, 4, 2, 3, 4, 1);
	/* a new PE joins at the end of the circle (before the head) */
	reg(hs, 5, RSP_POLICY_ROUND_ROBIN, 0, 0);
	expect_ids(hs, 10, 5, 3, 4, 1, 2, 5);
	/* removing the head moves the head on */
	assert_int_equal(hs_deregister(hs, H(POOL), 4), 0);
	expect_ids(hs, 10, 4, 1, 2, 5, 3);
	/* re-registration keeps the position */
	reg(hs, 1, RSP_POLICY_ROUND_ROBIN, 0, 0);
	expect_ids(hs, 1, 1, 2);
	expect_ids(hs, 1, 1, 5);
	expect_ids(hs, 1, 1, 3);
	expect_ids(hs, 1, 1, 1);
	hs_free(hs);
}

/* --- Weighted Round Robin --------------------------------------------- */

static void
test_wrr_cycle(void **state)
{
	static const uint32_t w[] = { 1, 2, 3, 4, 0 };
	size_t count[6] = { 0 }, last[6] = { 0 }, maxgap[6] = { 0 };
	size_t first[6] = { 0 };
	uint32_t seq[2000], ids[MAXK];
	struct hs *hs = new_hs();
	size_t W = 10;

	(void)state;
	for (uint32_t id = 1; id <= 5; id++)
		reg(hs, id, RSP_POLICY_WEIGHTED_ROUND_ROBIN, w[id - 1], 0);
	/* one full cycle: each PE heads exactly weight answers */
	for (size_t i = 0; i < W; i++)
		count[resolve1(hs)]++;
	for (uint32_t id = 1; id <= 5; id++)
		assert_int_equal(count[id], w[id - 1]);
	/* many cycles: exact, and copies spread over the circle */
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < 100 * W; i++) {
		uint32_t id = seq[i] = resolve1(hs);

		if (count[id] == 0)
			first[id] = i;
		else if (i - last[id] > maxgap[id])
			maxgap[id] = i - last[id];
		last[id] = i;
		count[id]++;
	}
	for (uint32_t id = 1; id <= 4; id++) {
		size_t ideal = (W + w[id - 1] - 1) / w[id - 1];
		size_t wrap = first[id] + 100 * W - last[id];

		assert_int_equal(count[id], 100 * w[id - 1]);
		assert_true(maxgap[id] <= ideal + 1);
		assert_true(wrap <= ideal + 1);
	}
	assert_int_equal(count[5], 0);
	/* the sequence is periodic with period W */
	for (size_t i = W; i < 100 * W; i++)
		assert_int_equal(seq[i], seq[i - W]);
	/* an answer: distinct PEs, the head first; weight 0 never listed */
	for (size_t i = 0; i < 2 * W; i++) {
		size_t k = resolve(hs, 10, ids);

		assert_int_equal(k, 4);
		for (size_t j = 0; j < k; j++)
			assert_int_not_equal(ids[j], 5);
	}
	hs_free(hs);
}

static void
test_wrr_equal_is_rr(void **state)
{
	struct hs *hs = new_hs();

	(void)state;
	/* RFC 5356 §4.2: all weights 1 is round robin */
	for (uint32_t id = 1; id <= 3; id++)
		reg(hs, id, RSP_POLICY_WEIGHTED_ROUND_ROBIN, 1, 0);
	for (int r = 0; r < 5; r++) {
		expect_ids(hs, 3, 3, 1, 2, 3);
		expect_ids(hs, 3, 3, 2, 3, 1);
		expect_ids(hs, 3, 3, 3, 1, 2);
	}
	hs_free(hs);
}

static void
test_wrr_join(void **state)
{
	size_t count[4] = { 0 };
	struct hs *hs = new_hs();

	(void)state;
	reg(hs, 1, RSP_POLICY_WEIGHTED_ROUND_ROBIN, 1, 0);
	reg(hs, 2, RSP_POLICY_WEIGHTED_ROUND_ROBIN, 1, 0);
	for (int i = 0; i < 1000; i++)
		resolve1(hs);
	/* a late joiner gets its share from now on, not a catch-up burst */
	reg(hs, 3, RSP_POLICY_WEIGHTED_ROUND_ROBIN, 2, 0);
	for (int i = 0; i < 8; i++)
		count[resolve1(hs)]++;
	assert_int_equal(count[1], 2);
	assert_int_equal(count[2], 2);
	assert_int_equal(count[3], 4);
	/* a weight update takes effect */
	reg(hs, 3, RSP_POLICY_WEIGHTED_ROUND_ROBIN, 0, 0);
	for (int i = 0; i < 20; i++)
		assert_int_not_equal(resolve1(hs), 3);
	hs_free(hs);
}

/* --- Random ----------------------------------------------------------- */

static void
test_random_uniform(void **state)
{
	enum { NPE = 10, DRAWS = 100000 };
	size_t first[NPE + 1] = { 0 }, incl[NPE + 1] = { 0 };
	uint32_t ids[MAXK];
	struct hs *hs = new_hs();
	double chi = 0;

	(void)state;
	for (uint32_t id = 1; id <= NPE; id++)
		reg(hs, id, RSP_POLICY_RANDOM, 0, 0);
	for (int i = 0; i < DRAWS; i++) {
		assert_int_equal(resolve(hs, 3, ids), 3);
		first[ids[0]]++;
		for (int j = 0; j < 3; j++)
			incl[ids[j]]++;
	}
	for (uint32_t id = 1; id <= NPE; id++) {
		double e = DRAWS / (double)NPE;

		assert_binomial(first[id], DRAWS, 1.0 / NPE);
		assert_binomial(incl[id], DRAWS, 3.0 / NPE);
		chi += (first[id] - e) * (first[id] - e) / e;
	}
	/* chi-square, 9 degrees of freedom: 40 is p < 1e-5 */
	assert_true(chi < 40);
	/* n above the pool size: the whole pool, once */
	assert_int_equal(resolve(hs, 20, ids), NPE);
	hs_free(hs);
}

/* --- Weighted Random -------------------------------------------------- */

static void
test_wrand_proportional(void **state)
{
	enum { DRAWS = 200000 };
	static const uint32_t w[] = { 1, 2, 3, 4, 0 };
	size_t first[6] = { 0 }, second[6] = { 0 };
	uint32_t ids[MAXK];
	struct hs *hs = new_hs();
	double W = 10;

	(void)state;
	for (uint32_t id = 1; id <= 5; id++)
		reg(hs, id, RSP_POLICY_WEIGHTED_RANDOM, w[id - 1], 0);
	for (int i = 0; i < DRAWS; i++) {
		assert_int_equal(resolve(hs, 2, ids), 2);
		first[ids[0]]++;
		second[ids[1]]++;
	}
	for (uint32_t j = 1; j <= 5; j++) {
		/* second pick: weight / sum over the PEs still eligible */
		double p2 = 0;

		for (uint32_t i = 1; i <= 5; i++)
			if (i != j && w[i - 1] > 0)
				p2 += w[i - 1] / W * w[j - 1] / (W - w[i - 1]);
		assert_binomial(first[j], DRAWS, w[j - 1] / W);
		assert_binomial(second[j], DRAWS, p2);
	}
	assert_int_equal(first[5] + second[5], 0);
	/* weight 0 is never chosen, even when asking for everything */
	for (int i = 0; i < 100; i++) {
		assert_int_equal(resolve(hs, 10, ids), 4);
		for (int j = 0; j < 4; j++)
			assert_int_not_equal(ids[j], 5);
	}
	hs_free(hs);
}

/* Removal swaps PEs in the Fenwick tree: proportions must survive it. */
static void
test_wrand_after_removals(void **state)
{
	enum { NPE = 1000, DRAWS = 200000 };
	bool present[NPE + 1];
	size_t byw[8] = { 0 }, npw[8] = { 0 };
	uint64_t total = 0;
	struct hs *hs = new_hs();
	uint32_t ids[MAXK];

	(void)state;
	for (uint32_t id = 1; id <= NPE; id++) {
		reg(hs, id, RSP_POLICY_WEIGHTED_RANDOM, id % 7, 0);
		present[id] = true;
	}
	srand(7);
	for (int i = 0; i < NPE / 2; i++) {
		uint32_t id = 1 + rand() % NPE;

		if (present[id]) {
			assert_int_equal(hs_deregister(hs, H(POOL), id), 0);
			present[id] = false;
		}
	}
	/* some weights change by re-registration */
	for (uint32_t id = 1; id <= NPE; id += 13)
		if (present[id])
			reg(hs, id, RSP_POLICY_WEIGHTED_RANDOM, (id + 3) % 7, 0);
	for (uint32_t id = 1; id <= NPE; id++) {
		uint32_t wt = (id % 13 == 1) ? (id + 3) % 7 : id % 7;

		if (present[id]) {
			npw[wt]++;
			total += wt;
		}
	}
	for (int i = 0; i < DRAWS; i++) {
		struct hs_pe *pe;

		assert_int_equal(resolve(hs, 1, ids), 1);
		assert_true(present[ids[0]]);
		pe = hs_lookup(hs, H(POOL), ids[0]);
		assert_non_null(pe);
		{
			struct rsp_pe x;

			hs_pe_export(pe, &x);
			byw[x.policy.val[0]]++;
		}
	}
	assert_int_equal(byw[0], 0);
	for (int wt = 1; wt < 7; wt++)
		assert_binomial(byw[wt], DRAWS, (double)wt * npw[wt] / total);
	hs_free(hs);
}

/* --- Randomized Least Used -------------------------------------------- */

static void
test_rlu_unused_capacity(void **state)
{
	enum { DRAWS = 200000 };
	static const uint32_t load[] = {
		0, 0x7fffffff, 0xbfffffff, 0xffffffff
	};
	size_t first[5] = { 0 };
	uint32_t ids[MAXK];
	struct hs *hs = new_hs();
	double total = 0;

	(void)state;
	for (uint32_t id = 1; id <= 4; id++) {
		reg(hs, id, RSP_POLICY_RANDOMIZED_LEAST_USED, load[id - 1], 0);
		total += 4294967295.0 - load[id - 1];
	}
	for (int i = 0; i < DRAWS; i++)
		first[resolve1(hs)]++;
	/* RFC 5356 §5.4: share of the pool's unused capacity */
	for (uint32_t id = 1; id <= 4; id++)
		assert_binomial(first[id], DRAWS,
		    (4294967295.0 - load[id - 1]) / total);
	assert_int_equal(first[4], 0);
	assert_int_equal(resolve(hs, 10, ids), 3);
	hs_free(hs);
}

/* --- Priority --------------------------------------------------------- */

static void
test_priority_order(void **state)
{
	static const uint32_t prio[] = { 5, 9, 1, 9, 3, 0xffffffff };
	uint32_t ids[MAXK];
	struct hs *hs = new_hs();

	(void)state;
	for (uint32_t id = 1; id <= 6; id++)
		reg(hs, id, RSP_POLICY_PRIORITY, prio[id - 1], 0);
	/* RFC 5356 §4.5: highest first, decreasing */
	for (int r = 0; r < 3; r++) {
		assert_int_equal(resolve(hs, 10, ids), 6);
		assert_int_equal(ids[0], 6);
		assert_true((ids[1] == 2 && ids[2] == 4) ||
		    (ids[1] == 4 && ids[2] == 2));
		assert_int_equal(ids[3], 1);
		assert_int_equal(ids[4], 5);
		assert_int_equal(ids[5], 3);
	}
	assert_int_equal(resolve(hs, 3, ids), 3);
	assert_int_equal(ids[0], 6);
	/* a re-registration with a new priority reorders */
	reg(hs, 3, RSP_POLICY_PRIORITY, 100, 0);
	expect_ids(hs, 2, 2, 6, 3);
	assert_int_equal(hs_deregister(hs, H(POOL), 6), 0);
	expect_ids(hs, 1, 1, 3);
	hs_free(hs);
}

/* --- Least Used ------------------------------------------------------- */

static void
test_lu_order_and_ties(void **state)
{
	uint32_t ids[MAXK];
	struct hs *hs = new_hs();

	(void)state;
	reg(hs, 1, RSP_POLICY_LEAST_USED, 30, 0);
	reg(hs, 2, RSP_POLICY_LEAST_USED, 10, 0);
	reg(hs, 3, RSP_POLICY_LEAST_USED, 10, 0);
	reg(hs, 4, RSP_POLICY_LEAST_USED, 10, 0);
	reg(hs, 5, RSP_POLICY_LEAST_USED, 50, 0);
	/* RFC 5356 §5.1: lowest load first; ties rotate round-robin */
	for (int r = 0; r < 3; r++) {
		expect_ids(hs, 1, 1, 2);
		expect_ids(hs, 1, 1, 3);
		expect_ids(hs, 1, 1, 4);
	}
	expect_ids(hs, 2, 2, 2, 3);
	expect_ids(hs, 2, 2, 4, 2);
	/* the whole pool: ascending loads */
	assert_int_equal(resolve(hs, 10, ids), 5);
	assert_int_equal(ids[3], 1);
	assert_int_equal(ids[4], 5);
	/* a load update reorders */
	reg(hs, 5, RSP_POLICY_LEAST_USED, 0, 0);
	expect_ids(hs, 1, 1, 5);
	expect_ids(hs, 1, 1, 5);
	hs_free(hs);
}

static void
test_lud_counters(void **state)
{
	struct hs *hs = new_hs();

	(void)state;
	/* keys: load + counter x degradation */
	reg(hs, 1, RSP_POLICY_LEAST_USED_DEGRADATION, 0, 30);	/* A */
	reg(hs, 2, RSP_POLICY_LEAST_USED_DEGRADATION, 50, 10);	/* B */
	reg(hs, 3, RSP_POLICY_LEAST_USED_DEGRADATION, 100, 0);	/* C */
	expect_ids(hs, 1, 1, 1);	/* A 0 -> 30 */
	expect_ids(hs, 1, 1, 1);	/* A 30 -> 60 */
	expect_ids(hs, 1, 1, 2);	/* B 50 -> 60 */
	expect_ids(hs, 1, 1, 1);	/* tie 60: A handed out earlier */
	expect_ids(hs, 1, 1, 2);	/* B 60 -> 70 */
	expect_ids(hs, 1, 1, 2);	/* B 70 -> 80 */
	expect_ids(hs, 1, 1, 2);	/* B 80 -> 90 */
	expect_ids(hs, 1, 1, 1);	/* tie 90: A first */
	assert_int_equal(hs_pe_counter(hs_lookup(hs, H(POOL), 1)), 4);
	assert_int_equal(hs_pe_counter(hs_lookup(hs, H(POOL), 2)), 4);
	assert_int_equal(hs_pe_counter(hs_lookup(hs, H(POOL), 3)), 0);
	/* A 120, B 90, C 100: every PE of an answer is counted */
	expect_ids(hs, 3, 3, 2, 3, 1);
	assert_int_equal(hs_pe_counter(hs_lookup(hs, H(POOL), 3)), 1);
	/* RFC 5356 §5.2: re-registration resets the counter */
	reg(hs, 1, RSP_POLICY_LEAST_USED_DEGRADATION, 0, 30);
	assert_int_equal(hs_pe_counter(hs_lookup(hs, H(POOL), 1)), 0);
	expect_ids(hs, 1, 1, 1);
	hs_free(hs);
}

static void
test_lud_64bit(void **state)
{
	struct hs *hs = new_hs();

	(void)state;
	/* 2 x 0xffffffff does not fit 32 bits: must still sort after */
	reg(hs, 1, RSP_POLICY_LEAST_USED_DEGRADATION, 0, 0xffffffff);
	reg(hs, 2, RSP_POLICY_LEAST_USED_DEGRADATION, 0xffffffff, 0);
	expect_ids(hs, 1, 1, 1);	/* 0 vs 0xffffffff */
	expect_ids(hs, 1, 1, 2);	/* tie, B not yet handed out */
	expect_ids(hs, 1, 1, 1);	/* tie, A older */
	for (int i = 0; i < 5; i++)
		expect_ids(hs, 1, 1, 2);	/* A at 2 x 0xffffffff */
	hs_free(hs);
}

static void
test_plu(void **state)
{
	struct hs *hs = new_hs();

	(void)state;
	/* RFC 5356 §5.3 example: A 50% +10%, B 50% +50%: A first */
	reg(hs, 1, RSP_POLICY_PRIORITY_LEAST_USED, 0x7fffffff, 0x7fffffff);
	reg(hs, 2, RSP_POLICY_PRIORITY_LEAST_USED, 0x7fffffff, 0x19999999);
	for (int i = 0; i < 3; i++)
		expect_ids(hs, 2, 2, 2, 1);
	/* 64-bit key: 0xffffffff + 0xffffffff sorts after 0xffffffff + 0 */
	reg(hs, 3, RSP_POLICY_PRIORITY_LEAST_USED, 0xffffffff, 0xffffffff);
	reg(hs, 4, RSP_POLICY_PRIORITY_LEAST_USED, 0xffffffff, 0);
	expect_ids(hs, 4, 4, 2, 1, 4, 3);
	/* ties (key 0x99999998) rotate */
	reg(hs, 5, RSP_POLICY_PRIORITY_LEAST_USED, 0x80000000, 0x19999998);
	expect_ids(hs, 1, 1, 2);
	expect_ids(hs, 1, 1, 5);
	expect_ids(hs, 1, 1, 2);
	expect_ids(hs, 1, 1, 5);
	hs_free(hs);
}

/* Large tree pools under churn: the full answer is the sorted pool. */
static void
test_lu_tree_churn(void **state)
{
	enum { NPE = 3000 };
	static uint32_t load[NPE + 1];
	static bool present[NPE + 1];
	struct hs *hs = new_hs();
	struct hs_pe **pes = calloc(NPE, sizeof(*pes));
	size_t k, npresent = 0;

	(void)state;
	assert_non_null(pes);
	srand(11);
	for (uint32_t id = 1; id <= NPE; id++) {
		load[id] = (uint32_t)(rand() % 500);
		present[id] = true;
		reg(hs, id, RSP_POLICY_LEAST_USED, load[id], 0);
	}
	for (int i = 0; i < 4 * NPE; i++) {
		uint32_t id = 1 + rand() % NPE;
		struct hs_pe *one;

		switch (rand() % 3) {
		case 0:
			if (present[id])
				assert_int_equal(hs_deregister(hs, H(POOL), id),
				    0);
			present[id] = false;
			break;
		case 1:
			load[id] = (uint32_t)(rand() % 500);
			present[id] = true;
			reg(hs, id, RSP_POLICY_LEAST_USED, load[id], 0);
			break;
		default:
			assert_int_equal(hs_resolve(hs, H(POOL), 1, &one, &k),
			    0);
			break;
		}
	}
	for (uint32_t id = 1; id <= NPE; id++)
		npresent += present[id];
	assert_int_equal(hs_resolve(hs, H(POOL), NPE, pes, &k), 0);
	assert_int_equal(k, npresent);
	for (size_t i = 0; i < k; i++) {
		uint32_t id = hs_pe_id(pes[i]);

		assert_true(present[id]);
		present[id] = false;	/* no repeats */
		if (i > 0)
			assert_true(load[hs_pe_id(pes[i - 1])] <= load[id]);
	}
	free(pes);
	hs_free(hs);
}

/*
 * The heap policies against a model of their order, in a pool that grows
 * from empty past the sizes kept without positions in the PEs (12) and
 * searched by a scan (16), and shrinks back: every answer exactly the
 * model's, LUD counters and iteration right at every size.  The model:
 * Priority by (highest value, id); the LU family by (key, sequence), a
 * (re-)registration taking the next sequence number, an answer giving its
 * PEs the next ones in answer order; LUD's key load + counter x degradation.
 */
#define TM_NID	48

struct tm_state {
	uint32_t policy;
	bool	 present[TM_NID];
	uint32_t v0[TM_NID], v1[TM_NID], cnt[TM_NID];
	uint64_t seq[TM_NID];
};

static void
tm_key(const struct tm_state *m, uint32_t i, uint64_t *k1, uint64_t *k2)
{
	*k2 = m->seq[i];
	switch (m->policy) {
	case RSP_POLICY_PRIORITY:
		*k1 = UINT32_MAX - (uint64_t)m->v0[i];
		*k2 = i + 1;	/* the id */
		break;
	case RSP_POLICY_LEAST_USED_DEGRADATION:
		*k1 = m->v0[i] + (uint64_t)m->cnt[i] * m->v1[i];
		break;
	case RSP_POLICY_PRIORITY_LEAST_USED:
		*k1 = (uint64_t)m->v0[i] + m->v1[i];
		break;
	default:
		*k1 = m->v0[i];
		break;
	}
}

static bool
tm_before(const struct tm_state *m, uint32_t a, uint32_t b)
{
	uint64_t a1, a2, b1, b2;

	tm_key(m, a, &a1, &a2);
	tm_key(m, b, &b1, &b2);
	return a1 < b1 || (a1 == b1 && a2 < b2);
}

static void
test_tree_model(void **state)
{
	static const uint32_t pol[] = {
		RSP_POLICY_PRIORITY, RSP_POLICY_LEAST_USED,
		RSP_POLICY_LEAST_USED_DEGRADATION,
		RSP_POLICY_PRIORITY_LEAST_USED,
	};

	(void)state;
	srand(21);
	for (size_t p = 0; p < sizeof(pol) / sizeof(pol[0]); p++) {
		static struct tm_state m;
		struct hs *hs = new_hs();
		uint64_t gseq = 0;
		size_t n = 0, maxn = 0;

		memset(&m, 0, sizeof(m));
		m.policy = pol[p];
		for (int step = 0; step < 8000; step++) {
			uint32_t i = (uint32_t)rand() % TM_NID, order[TM_NID];
			int op = rand() % 10, growing = (step / 1000) % 2 == 0;
			uint32_t ids[MAXK];
			size_t want, k, no = 0;

			if (op < (growing ? 5 : 2)) {
				m.v0[i] = (uint32_t)(rand() % 4);
				m.v1[i] = (uint32_t)(rand() % 3);
				reg(hs, i + 1, m.policy, m.v0[i], m.v1[i]);
				n += !m.present[i];
				m.present[i] = true;
				m.seq[i] = ++gseq;
				m.cnt[i] = 0;
			} else if (op < 6) {
				int rc = hs_deregister(hs, H(POOL), i + 1);

				if (m.present[i])
					assert_int_equal(rc, 0);
				else
					assert_true(rc == HS_E_NO_PE ||
					    rc == HS_E_NO_POOL);
				n -= m.present[i];
				m.present[i] = false;
			} else if (n > 0) {
				/* the model's order: insertion sort */
				for (uint32_t j = 0; j < TM_NID; j++) {
					size_t at;

					if (!m.present[j])
						continue;
					for (at = no; at > 0 &&
					    tm_before(&m, j, order[at - 1]);
					    at--)
						order[at] = order[at - 1];
					order[at] = j;
					no++;
				}
				want = 1 + (size_t)(rand() % 5);
				k = resolve(hs, want, ids);
				assert_int_equal(k, want < n ? want : n);
				for (size_t j = 0; j < k; j++)
					assert_int_equal(ids[j], order[j] + 1);
				if (m.policy != RSP_POLICY_PRIORITY) {
					for (size_t j = 0; j < k; j++) {
						m.seq[order[j]] = gseq + j + 1;
						m.cnt[order[j]]++;
					}
					gseq += k;
				}
			}
			if (n > maxn)
				maxn = n;
			if (step % 50 == 0) {
				struct hs_pool *pool = hs_pool_find(hs, H(POOL));
				size_t seen = 0;

				for (struct hs_pe *pe = pool ? hs_pe_first(pool) :
				    NULL; pe != NULL; pe = hs_pe_next(pe)) {
					uint32_t j = hs_pe_id(pe) - 1;

					assert_true(j < TM_NID && m.present[j]);
					assert_int_equal(hs_pe_counter(pe),
					    m.policy ==
					    RSP_POLICY_LEAST_USED_DEGRADATION ?
					    m.cnt[j] : 0);
					seen++;
				}
				assert_int_equal(seen, n);
			}
		}
		assert_true(maxn > 16);
		hs_free(hs);
	}
}

/* --- every policy ----------------------------------------------------- */

static void
test_all_whole_pool(void **state)
{
	(void)state;
	for (size_t p = 0; p < sizeof(all_policies) / sizeof(*all_policies);
	    p++) {
		struct hs *hs = new_hs();
		uint32_t ids[MAXK];
		bool seen[8];

		for (uint32_t id = 1; id <= 7; id++)
			reg(hs, id, all_policies[p], id * 1000, id);
		for (int r = 0; r < 50; r++) {
			memset(seen, 0, sizeof(seen));
			/* n above the pool size: all, once each */
			assert_int_equal(resolve(hs, 7 + r % 3, ids), 7);
			for (int i = 0; i < 7; i++) {
				assert_true(ids[i] >= 1 && ids[i] <= 7);
				assert_false(seen[ids[i]]);
				seen[ids[i]] = true;
			}
			assert_int_equal(resolve(hs, 3, ids), 3);
			assert_int_equal(resolve(hs, 0, ids), 0);
		}
		hs_free(hs);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rr_rotation),
		cmocka_unit_test(test_wrr_cycle),
		cmocka_unit_test(test_wrr_equal_is_rr),
		cmocka_unit_test(test_wrr_join),
		cmocka_unit_test(test_random_uniform),
		cmocka_unit_test(test_wrand_proportional),
		cmocka_unit_test(test_wrand_after_removals),
		cmocka_unit_test(test_rlu_unused_capacity),
		cmocka_unit_test(test_priority_order),
		cmocka_unit_test(test_lu_order_and_ties),
		cmocka_unit_test(test_lud_counters),
		cmocka_unit_test(test_lud_64bit),
		cmocka_unit_test(test_plu),
		cmocka_unit_test(test_lu_tree_churn),
		cmocka_unit_test(test_tree_model),
		cmocka_unit_test(test_all_whole_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
