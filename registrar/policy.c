/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pool member selection (RFC 5356) for the handlespace.  Everything a
 * policy orders by lives in arrays of the pool, so that a selection touches
 * a few cache lines of one pool and no PE: Round Robin keeps the PEs in a
 * dense array with the circle as array positions (next/previous), Priority
 * and the Least Used family an 8-ary min-heap of (key, tie, PE) entries,
 * Weighted Round Robin the same heap by virtual finish time, Random the
 * dense array, and Weighted Random and Randomized Least Used the dense array
 * with an 8-ary tree of weight sums over it (one cache line per level), so
 * that drawing k PEs without replacement costs O(k log n).  The first k PEs
 * of a heap in order come from a best-first walk of its top (O(k log k)).
 * No operation scans a pool but a small one (a few lines, fetched with the
 * pool: SMALL_CAP, HE_SCAN).  The arrays are line-aligned so that the
 * children of a heap entry or of a sum node are whole cache lines.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hs_internal.h"

#define HE_D		8	/* heap arity: 8 entries of 32 B, 4 lines */
#define HE_CAND		256	/* best-first candidates kept on the stack */

#define SMALL_CAP	HS_SMALL_CAP
#define POOL_SMALL(pool)	HS_POOL_SMALL(pool)

static struct hs_pe *
pos_pe(const struct hs_pool *pool, uint32_t i)
{
	if (HS_KIND_HEAP(pool->kind))
		return hs_gi_pe(pool->hs, pool->he[i].gi);
	return pool->kind == HS_KIND_RING ? pool->re[i].pe : pool->pes[i];
}

/*
 * Where pe sits in its pool's array (HS_NOIDX: not there): a WRR pool's
 * position is in the handlespace's ppos[gi], the others' in the PE.
 */
uint32_t
hs_pol_pos(const struct hs_pool *pool, const struct hs_pe *pe)
{
	if (!POOL_SMALL(pool))
		return HS_PPOS(pool) ? pool->hs->ppos[pe->gi] : pe->idx;
	if (HS_KIND_HEAP(pool->kind)) {
		for (uint32_t i = 0; i < pool->n; i++)
			if (pool->he[i].gi == pe->gi)
				return i;
		return HS_NOIDX;
	}
	for (uint32_t i = 0; i < pool->n; i++)
		if (pos_pe(pool, i) == pe)
			return i;
	return HS_NOIDX;
}

/* Keep pe->idx of a PE moved to position i (large pools, not heaps). */
static void
set_pos(const struct hs_pool *pool, struct hs_pe *pe, uint32_t i)
{
	if (!POOL_SMALL(pool))
		pe->idx = i;
}

enum hs_kind
hs_policy_kind(uint32_t type)
{
	switch (type) {
	case RSP_POLICY_WEIGHTED_ROUND_ROBIN:
		return HS_KIND_WRR;
	case RSP_POLICY_RANDOM:
		return HS_KIND_RAND;
	case RSP_POLICY_WEIGHTED_RANDOM:
	case RSP_POLICY_RANDOMIZED_LEAST_USED:
		return HS_KIND_WEIGHTED;
	case RSP_POLICY_PRIORITY:
	case RSP_POLICY_LEAST_USED:
	case RSP_POLICY_LEAST_USED_DEGRADATION:
	case RSP_POLICY_PRIORITY_LEAST_USED:
		return HS_KIND_TREE;
	default:
		/* RR, and private policies we keep opaquely (served as RR) */
		return HS_KIND_RING;
	}
}

/*
 * RFC 5356 §7.1: the fields each policy carries after its type (the
 * codec's table); -1 for the reserved, invalid types; 0 for unknown ones,
 * whose values are kept as they are.
 */
int
hs_policy_nval(uint32_t type)
{
	int n;

	if ((type & ~RSP_POLICY_FLAG_ADAPTIVE) == 0)
		return -1;
	n = rsp_policy_nval(type);
	return n < 0 ? 0 : n;
}

/* --- keys ------------------------------------------------------------- */

/*
 * Selection key of the tree policies, lowest first, for a PE just
 * (re-)registered (LUD: counter 0; each time it is handed out its key grows
 * by its load degradation, in the heap entry).  64-bit arithmetic
 * (doc/protocol/policies.md §3): load + counter x degradation cannot
 * overflow since (2^32-1)^2 + 2^32-1 < 2^64.
 */
static uint64_t
tree_key(const struct hs_pool *pool, const struct hs_pe *pe)
{
	switch (pool->policy) {
	case RSP_POLICY_PRIORITY:
		/* RFC 5356 §4.5: highest priority first */
		return UINT32_MAX - (uint64_t)pe->val[0];
	case RSP_POLICY_LEAST_USED:
		return pe->val[0];
	case RSP_POLICY_LEAST_USED_DEGRADATION:
		/* RFC 5356 §5.2: load + counter x load degradation */
		return pe->val[0];
	case RSP_POLICY_PRIORITY_LEAST_USED:
		/* RFC 5356 §5.3: the load after accepting one more request */
		return (uint64_t)pe->val[0] + pe->val[1];
	default:
		return 0;
	}
}

static int
cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/*
 * WRR's order, exactly: virtual finish time k1 / (2 weight), compared in
 * 128 bits, then the identifier; weight 0 after everything.
 */
static int
wrr_cmp_exact(const struct hs_hent *a, const struct hs_hent *b)
{
	uint64_t wa = a->k2 >> 32, wb = b->k2 >> 32;
	unsigned __int128 x, y;

	if (wa == 0 || wb == 0) {
		if (wa != wb)
			return wa == 0 ? 1 : -1;
	} else if (wa == wb) {
		if (a->k1 != b->k1)
			return a->k1 < b->k1 ? -1 : 1;
	} else {
		x = (unsigned __int128)a->k1 * wb;
		y = (unsigned __int128)b->k1 * wa;
		if (x != y)
			return x < y ? -1 : 1;
	}
	return cmp_u64((uint32_t)a->k2, (uint32_t)b->k2);
}

/*
 * WRR's vt of an entry: floor(2^32 k1 / weight), a non-decreasing function
 * of k1 / weight, so that vt a < vt b means a comes first; saturated at
 * UINT64_MAX (where it ties, wrr_cmp_exact decides), which weight 0 has.
 */
static uint64_t
wrr_vt(uint64_t k1, uint64_t w)
{
	uint64_t hi, r;

	if (w == 0 || (k1 >> 32) >= w)
		return UINT64_MAX;
	hi = k1 / w;		/* < 2^32 */
	r = k1 % w;		/* < w < 2^32 */
	return (hi << 32) | ((r << 32) / w);
}

/*
 * Order of a pool's heap.  Tree policies: key, then the tie sequence (LU
 * family: a PE put into an answer moves behind its equals, which rotates
 * ties round-robin, RFC 5356 §5.1) or the identifier (Priority); both are
 * in k2.  WRR: by vt, and exactly where vt ties (wrr_cmp_exact).
 */
static int
he_cmp(const struct hs_pool *pool, const struct hs_hent *a,
    const struct hs_hent *b)
{
	int c;

	if (pool->kind == HS_KIND_WRR) {
		if (a->vt != b->vt)
			return a->vt < b->vt ? -1 : 1;
		return wrr_cmp_exact(a, b);
	}
	if ((c = cmp_u64(a->k1, b->k1)) != 0)
		return c;
	return cmp_u64(a->k2, b->k2);
}

/*
 * The first of the entries c .. end - 1 (end > c) in heap order, without
 * a branch on which one it is (those mispredict half the time): one key
 * compare and conditional moves per entry.
 */
static size_t
he_min(const struct hs_pool *pool, size_t c, size_t end)
{
	const struct hs_hent *he = pool->he;
	size_t m = c;

	if (pool->kind == HS_KIND_WRR) {
		uint64_t mv = he[c].vt;

		for (c++; c < end; c++) {
			uint64_t v = he[c].vt;
			bool lt = v < mv;

			if (__builtin_expect(v == mv, 0))
				lt = wrr_cmp_exact(&he[c], &he[m]) < 0;
			m = lt ? c : m;
			mv = lt ? v : mv;
		}
		return m;
	}
	unsigned __int128 mk = (unsigned __int128)he[c].k1 << 64 | he[c].k2;

	for (c++; c < end; c++) {
		unsigned __int128 k = (unsigned __int128)he[c].k1 << 64 |
		    he[c].k2;
		bool lt = k < mk;

		m = lt ? c : m;
		mk = lt ? k : mk;
	}
	return m;
}

/* --- 8-ary heap of entries -------------------------------------------- */

static void
he_place(struct hs_pool *pool, uint32_t i, const struct hs_hent *e)
{
	pool->he[i] = *e;
	if (HS_PPOS(pool))
		pool->hs->ppos[e->gi] = i;
	else if (!POOL_SMALL(pool))
		hs_gi_pe(pool->hs, e->gi)->idx = i;
}

static void
he_up(struct hs_pool *pool, uint32_t i)
{
	struct hs_hent e = pool->he[i];

	while (i > 0) {
		uint32_t p = (i - 1) / HE_D;

		if (he_cmp(pool, &pool->he[p], &e) <= 0)
			break;
		he_place(pool, i, &pool->he[p]);
		i = p;
	}
	he_place(pool, i, &e);
}

/*
 * Weighted Round Robin's head sinks to the bottom of the heap on nearly
 * every answer (its next turn comes after most PEs').  Below the cached
 * top, the children of all 8 children of c's parent (64 entries, 2 KiB,
 * one or two pages) are fetched while the 8 are compared: one dependent
 * miss (and page walk) per two levels instead of one per level.
 */
#define HE_PF_FROM	4096	/* entries above this sit in the caches */

static void
he_prefetch_below(const struct hs_pool *pool, size_t c)
{
	size_t g = c * HE_D + 1, ge;

	if (g < HE_PF_FROM || g >= pool->n)
		return;
	ge = g + HE_D * HE_D < pool->n ? g + HE_D * HE_D : pool->n;
	for (const char *a = (const char *)&pool->he[g];
	    a < (const char *)&pool->he[ge]; a += 64)
		__builtin_prefetch(a);
}

static void
he_down(struct hs_pool *pool, uint32_t i)
{
	struct hs_hent e = pool->he[i];

	for (;;) {
		size_t c = (size_t)i * HE_D + 1, end, m;

		if (c >= pool->n)
			break;
		end = c + HE_D < pool->n ? c + HE_D : pool->n;
		if (pool->kind == HS_KIND_WRR)
			he_prefetch_below(pool, c);
		m = he_min(pool, c, end);
		if (he_cmp(pool, &e, &pool->he[m]) <= 0)
			break;
		he_place(pool, i, &pool->he[m]);
		i = (uint32_t)m;
	}
	he_place(pool, i, &e);
}

/* Restore the order at i after its entry changed either way. */
static void
he_fix(struct hs_pool *pool, uint32_t i)
{
	if (i > 0 && he_cmp(pool, &pool->he[(i - 1) / HE_D], &pool->he[i]) > 0)
		he_up(pool, i);
	else
		he_down(pool, i);
}

/* Capacity is there (hs_pol_add). */
static void
he_add(struct hs_pool *pool, const struct hs_hent *e)
{
	he_place(pool, pool->n, e);
	pool->n++;
	he_up(pool, pool->n - 1);
}

static void
he_del(struct hs_pool *pool, struct hs_pe *pe)
{
	uint32_t i = hs_pol_pos(pool, pe), last = --pool->n;

	if (HS_PPOS(pool))
		pool->hs->ppos[pe->gi] = HS_NOIDX;
	else
		pe->idx = HS_NOIDX;
	if (i == last)
		return;
	he_place(pool, i, &pool->he[last]);
	he_fix(pool, i);
}

/* Candidate queue of the best-first walk: a binary heap of positions. */
struct he_cand {
	uint32_t	*v;
	size_t		 n;
};

static void
cand_push(const struct hs_pool *pool, struct he_cand *q, uint32_t x)
{
	size_t i = q->n++;

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (he_cmp(pool, &pool->he[q->v[p]], &pool->he[x]) <= 0)
			break;
		q->v[i] = q->v[p];
		i = p;
	}
	q->v[i] = x;
}

static uint32_t
cand_pop(const struct hs_pool *pool, struct he_cand *q)
{
	uint32_t top = q->v[0], x = q->v[--q->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= q->n)
			break;
		if (c + 1 < q->n && he_cmp(pool, &pool->he[q->v[c + 1]],
		    &pool->he[q->v[c]]) < 0)
			c++;
		if (he_cmp(pool, &pool->he[x], &pool->he[q->v[c]]) <= 0)
			break;
		q->v[i] = q->v[c];
		i = c;
	}
	if (q->n > 0)
		q->v[i] = x;
	return top;
}

/*
 * The first n PEs of a heap of at most HE_SCAN entries (n <= pool->n), by
 * insertion into a sorted list of the best n while reading every entry:
 * the order is total (the ties end at a unique k2), so this is the order
 * of the best-first walk below, with a few compares per entry.
 */
#define HE_SCAN		16

static size_t
he_first_scan(const struct hs_pool *pool, size_t n, struct hs_pe **ret,
    uint32_t *pos)
{
	uint32_t best[HE_SCAN];
	size_t k = 0;

	for (uint32_t i = 0; i < pool->n; i++) {
		const struct hs_hent *e = &pool->he[i];
		size_t j;

		if (pool->kind == HS_KIND_WRR && (e->k2 >> 32) == 0)
			continue;	/* weight 0: never on the circle */
		if (k == n && he_cmp(pool, e, &pool->he[best[k - 1]]) >= 0)
			continue;
		j = k < n ? k++ : k - 1;
		for (; j > 0 && he_cmp(pool, e, &pool->he[best[j - 1]]) < 0;
		    j--)
			best[j] = best[j - 1];
		best[j] = i;
	}
	for (size_t i = 0; i < k; i++) {
		ret[i] = hs_gi_pe(pool->hs, pool->he[best[i]].gi);
		if (pos != NULL)
			pos[i] = best[i];
	}
	return k;
}

/*
 * The first n PEs in heap order: best-first from the root, each popped
 * entry's children becoming candidates (at most 1 + n (HE_D - 1) of them).
 * WRR stops at weight 0.  Only memory: if the candidates outgrow the stack
 * and no more can be had, fewer PEs come back.
 */
static size_t
he_first(const struct hs_pool *pool, size_t n, struct hs_pe **ret,
    uint32_t *pos)
{
	uint32_t sbuf[HE_CAND];
	struct he_cand q = { sbuf, 0 };
	size_t k = 0, need = 1 + n * (HE_D - 1);

	if (n == 0 || pool->n == 0)
		return 0;
	if (n == 1 && (pool->kind != HS_KIND_WRR || pool->he[0].k2 >> 32)) {
		ret[0] = hs_gi_pe(pool->hs, pool->he[0].gi);
		if (pos != NULL)
			pos[0] = 0;
		return 1;
	}
	if (pool->n <= HE_SCAN)
		return he_first_scan(pool, n < pool->n ? n : pool->n, ret,
		    pos);
	if (need > HE_CAND && (q.v = malloc(need * sizeof(*q.v))) == NULL) {
		q.v = sbuf;
		n = (HE_CAND - 1) / (HE_D - 1);
	}
	cand_push(pool, &q, 0);
	while (k < n && q.n > 0) {
		uint32_t i = cand_pop(pool, &q);
		size_t c = (size_t)i * HE_D + 1;

		if (pool->kind == HS_KIND_WRR && (pool->he[i].k2 >> 32) == 0)
			break;
		if (pos != NULL)
			pos[k] = i;
		ret[k++] = hs_gi_pe(pool->hs, pool->he[i].gi);
		if (k == n)
			break;	/* no more candidates needed */
		for (size_t e = c + HE_D; c < e && c < pool->n; c++)
			cand_push(pool, &q, (uint32_t)c);
	}
	if (q.v != sbuf)
		free(q.v);
	return k;
}

/* --- Weighted Round Robin --------------------------------------------- */

/*
 * RFC 5356 §4.2: the circular list holds weight(PE) copies of each PE,
 * spread evenly.  It is generated rather than stored: a PE of weight w
 * appears for the c-th time at virtual time (2c + 1) / 2w (the Sainte-Laguë
 * divisor sequence, the most even spread of integer shares), kept as
 * k1 = 2c + 1.  The head of the circle is the PE with the earliest
 * time; after W = sum of weights steps each PE has appeared exactly w times.
 * The next k distinct PEs on the circle are the k earliest in the heap.
 */
static void
wrr_add(struct hs_pool *pool, struct hs_pe *pe)
{
	struct hs_hent e = { .k2 = ((uint64_t)pe->val[0] << 32) | pe->id,
	    .gi = pe->gi };
	const struct hs_hent *head = pool->n > 0 ? &pool->he[0] : NULL;
	unsigned __int128 a;
	uint64_t hw;

	if (pe->val[0] == 0) {
		e.k1 = UINT64_MAX;	/* zero weight: never on the circle */
	} else if (head == NULL || (hw = head->k2 >> 32) == 0) {
		e.k1 = 1;
	} else {
		/* join half a period after the current head */
		a = (unsigned __int128)head->k1 * pe->val[0];
		a = (a + hw - 1) / hw + 1;
		e.k1 = a > UINT64_MAX / 2 ? UINT64_MAX / 2 : (uint64_t)a;
	}
	e.vt = wrr_vt(e.k1, pe->val[0]);
	he_add(pool, &e);
}

static size_t
wrr_resolve(struct hs_pool *pool, size_t n, struct hs_pe **ret)
{
	size_t k = he_first(pool, n, ret, NULL);

	if (k > 0) {
		/* advance the head by one position on the circle */
		pool->he[0].k1 += 2;
		pool->he[0].vt = wrr_vt(pool->he[0].k1, pool->he[0].k2 >> 32);
		he_down(pool, 0);
	}
	return k;
}

/* --- tree policies ---------------------------------------------------- */

static void
tree_entry(struct hs_pool *pool, struct hs_pe *pe, struct hs_hent *e)
{
	e->k1 = tree_key(pool, pe);
	e->k2 = pool->policy == RSP_POLICY_PRIORITY ? pe->id : ++pool->seq;
	e->gi = pe->gi;
	e->spare = 0;
	/* RFC 5356 §5.2: the counter restarts on every (re-)registration */
	e->cnt = 0;
	e->deg = pool->policy == RSP_POLICY_LEAST_USED_DEGRADATION ?
	    pe->val[1] : 0;
}

uint32_t
hs_pol_counter(const struct hs_pool *pool, const struct hs_pe *pe)
{
	uint32_t i;

	if (pool->policy != RSP_POLICY_LEAST_USED_DEGRADATION ||
	    (i = hs_pol_pos(pool, pe)) >= pool->n)
		return 0;
	return pool->he[i].cnt;
}

/* --- 8-ary sum tree (WRAND, RLU) ------------------------------------ */

/*
 * pool->fw holds levels of 64-bit sums, each a whole number of cache lines:
 * level 0 the weight at each array position (cap of them, padded to 8),
 * level l + 1 node j the sum of level l nodes 8j .. 8j + 7, up to a level
 * of at most 8 nodes; their sum is pool->wsum.  Positions from n on weigh
 * 0.  A draw reads one line per level; a change adds to one node per level.
 */
#define FW_MAXLEV	12

static size_t
fw_round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Offsets of the levels for capacity cap; returns the number of levels. */
static int
fw_levels(uint32_t cap, size_t off[FW_MAXLEV], size_t *ret_total)
{
	size_t sz = fw_round8(cap ? cap : 1), at = 0;
	int l = 0;

	for (;;) {
		off[l++] = at;
		at += sz;
		if (sz <= 8)
			break;
		sz = fw_round8((sz + 7) / 8);
	}
	if (ret_total != NULL)
		*ret_total = at;
	return l;
}

static uint64_t
fw_weight(const struct hs_pool *pool, const struct hs_pe *pe)
{
	if (pool->policy == RSP_POLICY_RANDOMIZED_LEAST_USED)
		/* RFC 5356 §5.4: weight is the unused capacity */
		return UINT32_MAX - (uint64_t)pe->val[0];
	return pe->val[0];
}

static void
fw_add(struct hs_pool *pool, uint32_t idx, uint64_t delta)
{
	size_t off[FW_MAXLEV];
	int nl = fw_levels(pool->cap, off, NULL);

	/* delta may be a negative number in two's complement: sums wrap back */
	for (int l = 0; l < nl; l++)
		pool->fw[off[l] + ((size_t)idx >> (3 * l))] += delta;
	pool->wsum += delta;
}

/* The array index whose cumulative weight interval holds r < wsum. */
static uint32_t
fw_find(const struct hs_pool *pool, uint64_t r)
{
	size_t off[FW_MAXLEV], j = 0;
	int nl = fw_levels(pool->cap, off, NULL);

	/* j: the node whose children (level l, 8j .. 8j + 7) are read next */
	for (int l = nl - 1; l >= 0; l--) {
		const uint64_t *v = &pool->fw[off[l] + j * 8];
		size_t c = 0;

		if (l == 0)	/* the line of PE pointers beside the leaves */
			__builtin_prefetch(&pool->pes[j * 8]);
		while (c < 7 && r >= v[c])
			r -= v[c++];
		j = j * 8 + c;
	}
	return (uint32_t)j;
}

/*
 * A WRAND/RLU pool's array and its sum tree are one line-aligned block
 * (PE pointers, padded to 8, then the levels), so that a small pool's
 * draw reads lines fetched with the pool.  Growing copies the pointers
 * and the weights (level 0) and sums the levels again: no PE is read.
 */
static int
fw_grow(struct hs_pool *pool, uint32_t cap)
{
	size_t off[FW_MAXLEV], total, np = fw_round8(cap);
	int nl = fw_levels(cap, off, &total);
	struct hs_pe **pes;
	uint64_t *fw;

	if ((pes = hs_lines_alloc(0, (np + total) * sizeof(uint64_t))) == NULL)
		return HS_E_NOMEM;
	fw = (uint64_t *)(pes + np);
	memset(fw, 0, total * sizeof(*fw));
	for (uint32_t i = 0; i < pool->n; i++) {
		uint64_t w = pool->fw[i];	/* old level 0 */

		pes[i] = pool->pes[i];
		for (int l = 0; l < nl; l++)
			fw[off[l] + ((size_t)i >> (3 * l))] += w;
	}
	hs_lines_free(pool->pes, 0);
	pool->pes = pes;
	pool->fw = fw;
	return 0;
}

/*
 * RFC 5356 §4.4/§5.4: draw without replacement, each pick with
 * probability weight / sum over the PEs still eligible.  A draw from the
 * whole pool that hits an already chosen PE is rejected and redrawn, which
 * gives exactly that distribution; if the chosen PEs hold most of the
 * weight (8 rejections in a row) they are zeroed in the tree for the rest
 * of the draw instead, and restored after.  O(k log n) either way.
 */
#define FW_TRIES	8

static bool
chosen(struct hs_pe **ret, size_t k, const struct hs_pe *pe)
{
	for (size_t i = 0; i < k; i++)
		if (ret[i] == pe)
			return true;
	return false;
}

static size_t
fw_resolve(struct hs *hs, struct hs_pool *pool, size_t n, struct hs_pe **ret)
{
	size_t k = 0, zeroed = 0;
	struct hs_pe *pe;

	while (k < n && k < FW_TRIES && pool->wsum > 0) {
		int t;

		for (t = 0; t < FW_TRIES; t++) {
			pe = pool->pes[fw_find(pool,
			    hs_rand_below(hs, pool->wsum))];
			if (!chosen(ret, k, pe))
				break;
		}
		if (t == FW_TRIES)
			break;
		ret[k++] = pe;
	}
	if (k < n) {
		for (; zeroed < k; zeroed++)
			fw_add(pool, hs_pol_pos(pool, ret[zeroed]),
			    -fw_weight(pool, ret[zeroed]));
		while (k < n && pool->wsum > 0) {
			pe = pool->pes[fw_find(pool,
			    hs_rand_below(hs, pool->wsum))];
			ret[k++] = pe;
			zeroed++;
			fw_add(pool, hs_pol_pos(pool, pe),
			    -fw_weight(pool, pe));
		}
	}
	for (size_t j = 0; j < zeroed; j++)
		fw_add(pool, hs_pol_pos(pool, ret[j]),
		    fw_weight(pool, ret[j]));
	return k;
}

/* --- pool membership -------------------------------------------------- */

/* A line-aligned copy of array *pp (n of esz bytes) with room for cap. */
static int
arr_move(void *pp, size_t off, uint32_t n, uint32_t cap, size_t esz)
{
	void **p = pp, *q;

	if ((q = hs_lines_alloc(off, (size_t)cap * esz)) == NULL)
		return HS_E_NOMEM;
	if (n > 0)
		memcpy(q, *p, (size_t)n * esz);
	hs_lines_free(*p, off);
	*p = q;
	return 0;
}

/* Capacity 4, then 12 (a pool of 10 fits the second array), then doubling. */
static int
pool_grow(struct hs_pool *pool)
{
	uint32_t cap = pool->cap == 0 ? 4 : pool->cap < 8 ? pool->cap * 3 :
	    pool->cap * 2;
	int rc;

	if (pool->cap >= UINT32_MAX / 4)
		return HS_E_NOMEM;
	if (HS_KIND_HEAP(pool->kind))
		rc = arr_move(&pool->he, HS_HE_OFF, pool->n, cap,
		    sizeof(*pool->he));
	else if (pool->kind == HS_KIND_RING)
		rc = arr_move(&pool->re, 0, pool->n, cap, sizeof(*pool->re));
	else if (pool->kind == HS_KIND_WEIGHTED)
		rc = fw_grow(pool, cap);
	else
		rc = arr_move(&pool->pes, 0, pool->n, cap, sizeof(*pool->pes));
	if (rc != 0)
		return rc;
	hs_pool_arr_moved(pool);
	if (POOL_SMALL(pool) && cap > SMALL_CAP) {
		/* positions are kept (ppos[gi], pe->idx) from now on */
		for (uint32_t i = 0; i < pool->n; i++) {
			if (pool->kind == HS_KIND_WRR)
				pool->hs->ppos[pool->he[i].gi] = i;
			else
				pos_pe(pool, i)->idx = i;
		}
	}
	pool->cap = cap;
	return 0;
}

int
hs_pol_add(struct hs_pool *pool, struct hs_pe *pe)
{
	struct hs_hent e;
	uint32_t i, h;
	int rc;

	if (pool->n == pool->cap && (rc = pool_grow(pool)) != 0)
		return rc;
	switch (pool->kind) {
	case HS_KIND_WRR:
		wrr_add(pool, pe);
		return 0;
	case HS_KIND_TREE:
		tree_entry(pool, pe, &e);
		he_add(pool, &e);
		return 0;
	default:
		break;
	}
	i = pe->idx = pool->n++;
	switch (pool->kind) {
	case HS_KIND_RING:
		/* new PEs join at the end of the circle, just before the head */
		pool->re[i].pe = pe;
		if ((h = pool->head) == HS_NOIDX) {
			pool->re[i].next = pool->re[i].prev = i;
			pool->head = i;
		} else {
			pool->re[i].next = h;
			pool->re[i].prev = pool->re[h].prev;
			pool->re[pool->re[h].prev].next = i;
			pool->re[h].prev = i;
		}
		return 0;
	default:
		break;
	}
	pool->pes[i] = pe;
	if (pool->kind == HS_KIND_WEIGHTED)
		fw_add(pool, i, fw_weight(pool, pe));	/* was empty: 0 */
	return 0;
}

void
hs_pol_del(struct hs_pool *pool, struct hs_pe *pe)
{
	uint32_t i = hs_pol_pos(pool, pe), last = pool->n - 1, p, q;
	struct hs_pe *m;

	if (HS_KIND_HEAP(pool->kind)) {
		he_del(pool, pe);
		return;
	}
	if (pool->kind == HS_KIND_RING) {
		struct hs_rent *re = pool->re;

		/* off the circle, then the last position moves to i */
		if (re[i].next == i) {
			pool->head = HS_NOIDX;
		} else {
			if (pool->head == i)
				pool->head = re[i].next;
			re[re[i].prev].next = re[i].next;
			re[re[i].next].prev = re[i].prev;
		}
		if (i != last) {
			m = re[i].pe = re[last].pe;
			set_pos(pool, m, i);
			p = re[last].prev;
			q = re[last].next;
			if (q == last) {
				re[i].next = re[i].prev = i;
			} else {
				re[i].next = q;
				re[i].prev = p;
				re[p].next = i;
				re[q].prev = i;
			}
			if (pool->head == last)
				pool->head = i;
		}
		pool->n--;
		pe->idx = HS_NOIDX;
		return;
	}
	m = pool->pes[last];
	switch (pool->kind) {
	case HS_KIND_WEIGHTED:
		/* the last PE takes the freed position; the last one empties */
		if (i != last)
			fw_add(pool, i, fw_weight(pool, m) - fw_weight(pool, pe));
		fw_add(pool, last, -fw_weight(pool, m));
		break;
	default:
		break;
	}
	pool->pes[i] = m;
	set_pos(pool, m, i);
	pool->n--;
	pe->idx = HS_NOIDX;
}

void
hs_pol_update(struct hs_pool *pool, struct hs_pe *pe, const struct rsp_policy *p)
{
	uint64_t oldw = 0;
	uint32_t i = hs_pol_pos(pool, pe);

	if (pool->kind == HS_KIND_WRR)
		he_del(pool, pe);	/* rejoins with its new weight */
	else if (pool->kind == HS_KIND_WEIGHTED)
		oldw = fw_weight(pool, pe);
	memset(pe->val, 0, sizeof(pe->val));
	pe->nval = p->nval > RSP_POLICY_MAX_VALUES ? RSP_POLICY_MAX_VALUES :
	    p->nval;
	memcpy(pe->val, p->val, pe->nval * sizeof(pe->val[0]));
	switch (pool->kind) {
	case HS_KIND_WRR:
		wrr_add(pool, pe);	/* the slot he_del freed */
		break;
	case HS_KIND_TREE:
		tree_entry(pool, pe, &pool->he[i]);
		he_fix(pool, i);
		break;
	case HS_KIND_WEIGHTED:
		fw_add(pool, i, fw_weight(pool, pe) - oldw);
		break;
	default:
		break;
	}
}

void
hs_pol_free(struct hs_pool *pool)
{
	hs_lines_free(pool->pes, 0);	/* and the sum tree after it */
	hs_lines_free(pool->he, HS_HE_OFF);
	hs_lines_free(pool->re, 0);
	pool->pes = NULL;
	pool->he = NULL;
	pool->re = NULL;
	pool->fw = NULL;
	pool->n = pool->cap = 0;
}

/* --- resolution ------------------------------------------------------- */

size_t
hs_pool_resolve(struct hs *hs, struct hs_pool *pool, size_t n,
    struct hs_pe **ret)
{
	struct hs_pe *pe;
	uint32_t pos;
	size_t k = 0;

	if (n > pool->n)
		n = pool->n;
	if (n == 0)
		return 0;
	switch (pool->kind) {
	case HS_KIND_RING:
		/*
		 * RFC 5356 §4.1: list order from the head, then the head
		 * moves on by one.
		 */
		pos = pool->head;
		do {
			ret[k++] = pool->re[pos].pe;
			pos = pool->re[pos].next;
		} while (k < n && pos != pool->head);
		pool->head = pool->re[pool->head].next;
		break;
	case HS_KIND_WRR:
		k = wrr_resolve(pool, n, ret);
		break;
	case HS_KIND_RAND:
		/* RFC 5356 §4.3: partial Fisher-Yates, uniform, distinct */
		for (k = 0; k < n; k++) {
			uint32_t j = k + (uint32_t)hs_rand_below(hs, pool->n - k);

			pe = pool->pes[j];
			pool->pes[j] = pool->pes[k];
			set_pos(pool, pool->pes[j], j);
			pool->pes[k] = pe;
			set_pos(pool, pe, (uint32_t)k);
			ret[k] = pe;
		}
		break;
	case HS_KIND_WEIGHTED:
		k = fw_resolve(hs, pool, n, ret);
		break;
	case HS_KIND_TREE: {
		uint32_t sbuf[HE_CAND], *at = sbuf;
		uint64_t seq = pool->seq;

		if (pool->policy == RSP_POLICY_PRIORITY) {
			k = he_first(pool, n, ret, NULL);
			break;
		}
		if (n > HE_CAND && (at = malloc(n * sizeof(*at))) == NULL) {
			at = sbuf;
			n = HE_CAND;
		}
		k = he_first(pool, n, ret, at);
		/*
		 * RFC 5356 §5.1-§5.3: equally loaded PEs rotate: a PE that
		 * was handed out goes behind its equals (in answer order).
		 * LUD also counts it (§5.2), which raises its key.  Keys
		 * only grow, so a PE sinking moves only worse entries: done
		 * from the last to the first, the positions the walk found
		 * stay true and no PE is read.
		 */
		pool->seq += k;
		for (size_t i = k; i-- > 0;) {
			struct hs_hent *e = &pool->he[at[i]];

			if (pool->policy == RSP_POLICY_LEAST_USED_DEGRADATION &&
			    e->cnt < UINT32_MAX) {
				e->cnt++;
				e->k1 += e->deg;
			}
			e->k2 = seq + i + 1;
			he_down(pool, at[i]);
		}
		if (at != sbuf)
			free(at);
		break;
	}
	}
	return k;
}
