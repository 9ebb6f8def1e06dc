/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pool member selection (RFC 5356) for the handlespace.  Everything a
 * policy orders by lives in arrays of the pool, so that a selection touches
 * a few cache lines of one pool and no PE: Round Robin keeps the PEs in a
 * dense array with the circle as array positions (next/previous), Priority
 * and the Least Used family an 8-ary min-heap of (key, tie, PE) entries,
 * Weighted Round Robin the same heap by virtual finish time, Random the
 * dense array, and Weighted Random and Randomized Least Used the dense array
 * with a Fenwick tree of weights over it, so that drawing k PEs without
 * replacement costs O(k log n).  The first k PEs of a heap in order come
 * from a best-first walk of its top (O(k log k)).  No operation scans a
 * pool.
 */
#include <stdlib.h>
#include <string.h>

#include "hs_internal.h"

#define HE_D		8	/* heap arity: 8 entries of 24 B, 3 lines */
#define HE_CAND		256	/* best-first candidates kept on the stack */

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
 * Selection key of the tree policies, lowest first.  64-bit arithmetic
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
		return pe->val[0] + (uint64_t)pe->counter * pe->val[1];
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
 * Order of a pool's heap.  Tree policies: key, then the tie sequence (LU
 * family: a PE put into an answer moves behind its equals, which rotates
 * ties round-robin, RFC 5356 §5.1) or the identifier (Priority); both are
 * in k2.  WRR: virtual finish time k1 / (2 weight), compared exactly in 128
 * bits, then the identifier; weight 0 after everything.
 */
static int
he_cmp(const struct hs_pool *pool, const struct hs_hent *a,
    const struct hs_hent *b)
{
	int c;

	if (pool->kind == HS_KIND_WRR) {
		uint64_t wa = a->k2 >> 32, wb = b->k2 >> 32;
		unsigned __int128 x, y;

		if (wa == 0 || wb == 0) {
			if (wa != wb)
				return wa == 0 ? 1 : -1;
		} else {
			x = (unsigned __int128)a->k1 * wb;
			y = (unsigned __int128)b->k1 * wa;
			if (x != y)
				return x < y ? -1 : 1;
		}
		return cmp_u64((uint32_t)a->k2, (uint32_t)b->k2);
	}
	if ((c = cmp_u64(a->k1, b->k1)) != 0)
		return c;
	return cmp_u64(a->k2, b->k2);
}

/* --- 8-ary heap of entries -------------------------------------------- */

static void
he_place(struct hs_pool *pool, uint32_t i, const struct hs_hent *e)
{
	pool->he[i] = *e;
	e->pe->idx = i;
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

static void
he_down(struct hs_pool *pool, uint32_t i)
{
	struct hs_hent e = pool->he[i];

	for (;;) {
		size_t c = (size_t)i * HE_D + 1, end, m;

		if (c >= pool->n)
			break;
		end = c + HE_D < pool->n ? c + HE_D : pool->n;
		for (m = c++; c < end; c++)
			if (he_cmp(pool, &pool->he[c], &pool->he[m]) < 0)
				m = c;
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
	uint32_t i = pe->idx, last = --pool->n;

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
		ret[0] = pool->he[0].pe;
		if (pos != NULL)
			pos[0] = 0;
		return 1;
	}
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
		ret[k++] = pool->he[i].pe;
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
	struct hs_hent e = { 0, ((uint64_t)pe->val[0] << 32) | pe->id, pe };
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
	he_add(pool, &e);
}

static size_t
wrr_resolve(struct hs_pool *pool, size_t n, struct hs_pe **ret)
{
	size_t k = he_first(pool, n, ret, NULL);

	if (k > 0) {
		/* advance the head by one position on the circle */
		pool->he[0].k1 += 2;
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
	e->pe = pe;
}

/* --- Fenwick tree (WRAND, RLU) ---------------------------------------- */

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
	/* delta may be a negative number in two's complement: sums wrap back */
	for (size_t j = (size_t)idx + 1; j <= pool->n; j += j & -j)
		pool->fw[j] += delta;
	pool->wsum += delta;
}

/* Append position n (1-based) holding w: its node sums (n - lowbit, n]. */
static void
fw_append(struct hs_pool *pool, uint64_t w)
{
	size_t j = pool->n, low = j & -j;
	uint64_t s = w;

	for (size_t i = j - 1; i > j - low; i -= i & -i)
		s += pool->fw[i];
	pool->fw[j] = s;
	pool->wsum += w;
}

/* The array index whose cumulative weight interval holds r < wsum. */
static uint32_t
fw_find(const struct hs_pool *pool, uint64_t r)
{
	size_t pos = 0, step = 1;

	while (step * 2 <= pool->n)
		step *= 2;
	for (; step > 0; step /= 2) {
		if (pos + step <= pool->n && pool->fw[pos + step] <= r) {
			pos += step;
			r -= pool->fw[pos];
		}
	}
	return (uint32_t)pos;
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
			fw_add(pool, ret[zeroed]->idx,
			    -fw_weight(pool, ret[zeroed]));
		while (k < n && pool->wsum > 0) {
			pe = pool->pes[fw_find(pool,
			    hs_rand_below(hs, pool->wsum))];
			ret[k++] = pe;
			zeroed++;
			fw_add(pool, pe->idx, -fw_weight(pool, pe));
		}
	}
	for (size_t j = 0; j < zeroed; j++)
		fw_add(pool, ret[j]->idx, fw_weight(pool, ret[j]));
	return k;
}

/* --- pool membership -------------------------------------------------- */

static int
pool_grow(struct hs_pool *pool)
{
	uint32_t cap = pool->cap ? pool->cap * 2 : 4;
	void *p;

	if (pool->cap >= UINT32_MAX / 4)
		return HS_E_NOMEM;
	if (HS_KIND_HEAP(pool->kind)) {
		if ((p = realloc(pool->he, cap * sizeof(*pool->he))) == NULL)
			return HS_E_NOMEM;
		pool->he = p;
	} else if (pool->kind == HS_KIND_RING) {
		if ((p = realloc(pool->re, cap * sizeof(*pool->re))) == NULL)
			return HS_E_NOMEM;
		pool->re = p;
	} else {
		if ((p = realloc(pool->pes, cap * sizeof(*pool->pes))) == NULL)
			return HS_E_NOMEM;
		pool->pes = p;
	}
	hs_pool_arr_moved(pool);
	if (pool->kind == HS_KIND_WEIGHTED) {
		if ((p = realloc(pool->fw, (cap + 1) * sizeof(*pool->fw))) ==
		    NULL)
			return HS_E_NOMEM;
		if (pool->fw == NULL)
			((uint64_t *)p)[0] = 0;
		pool->fw = p;
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
		fw_append(pool, fw_weight(pool, pe));
	return 0;
}

void
hs_pol_del(struct hs_pool *pool, struct hs_pe *pe)
{
	uint32_t i = pe->idx, last = pool->n - 1, p, q;
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
			m->idx = i;
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
		/* the last PE takes the freed position; the last node goes */
		if (i != last)
			fw_add(pool, i, fw_weight(pool, m) - fw_weight(pool, pe));
		pool->wsum -= fw_weight(pool, m);
		break;
	default:
		break;
	}
	pool->pes[i] = m;
	m->idx = i;
	pool->n--;
	pe->idx = HS_NOIDX;
}

void
hs_pol_update(struct hs_pool *pool, struct hs_pe *pe, const struct rsp_policy *p)
{
	uint64_t oldw = 0;

	if (pool->kind == HS_KIND_WRR)
		he_del(pool, pe);	/* rejoins with its new weight */
	else if (pool->kind == HS_KIND_WEIGHTED)
		oldw = fw_weight(pool, pe);
	memset(pe->val, 0, sizeof(pe->val));
	pe->nval = p->nval > RSP_POLICY_MAX_VALUES ? RSP_POLICY_MAX_VALUES :
	    p->nval;
	memcpy(pe->val, p->val, pe->nval * sizeof(pe->val[0]));
	/* RFC 5356 §5.2: the counter restarts on every (re-)registration */
	pe->counter = 0;
	switch (pool->kind) {
	case HS_KIND_WRR:
		wrr_add(pool, pe);	/* the slot he_del freed */
		break;
	case HS_KIND_TREE:
		tree_entry(pool, pe, &pool->he[pe->idx]);
		he_fix(pool, pe->idx);
		break;
	case HS_KIND_WEIGHTED:
		fw_add(pool, pe->idx, fw_weight(pool, pe) - oldw);
		break;
	default:
		break;
	}
}

void
hs_pol_free(struct hs_pool *pool)
{
	free(pool->pes);
	free(pool->he);
	free(pool->re);
	free(pool->fw);
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
			pool->pes[j]->idx = j;
			pool->pes[k] = pe;
			pe->idx = (uint32_t)k;
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
		 * stay true and no PE but LUD's is read.
		 */
		pool->seq += k;
		for (size_t i = k; i-- > 0;) {
			struct hs_hent *e = &pool->he[at[i]];

			if (pool->policy == RSP_POLICY_LEAST_USED_DEGRADATION &&
			    (pe = e->pe)->counter < UINT32_MAX) {
				pe->counter++;
				e->k1 = tree_key(pool, pe);
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
