/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pool member selection (RFC 5356) for the handlespace.  Each pool keeps its
 * PEs in a dense array (for iteration and uniform sampling) plus one index
 * chosen by its policy: a circular list for Round Robin, an AVL tree by key
 * for Priority and the Least Used family, an AVL tree by virtual finish time
 * for Weighted Round Robin, and a Fenwick tree of weights over the array for
 * Weighted Random and Randomized Least Used, so that drawing k PEs without
 * replacement costs O(k log n).  No operation scans a pool.
 */
#include <stdlib.h>
#include <string.h>

#include "hs_internal.h"

#define PE_OF(nd)	((struct hs_pe *)((char *)(nd) - \
			    offsetof(struct hs_pe, u.node)))
#define AVL_MAXH	96	/* AVL height bound far above 2^32 nodes */

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
 * Order of a pool's tree.  Tree policies: key, then the tie sequence (LU
 * family: a PE put into an answer moves behind its equals, which rotates
 * ties round-robin, RFC 5356 §5.1) or the identifier (Priority).
 * WRR: virtual finish time aux / (2 weight), compared exactly in 128 bits.
 */
static int
pe_cmp(const struct hs_pool *pool, const struct hs_pe *a, const struct hs_pe *b)
{
	int c;

	if (pool->kind == HS_KIND_WRR) {
		unsigned __int128 x = (unsigned __int128)a->aux * b->val[0];
		unsigned __int128 y = (unsigned __int128)b->aux * a->val[0];

		if (x != y)
			return x < y ? -1 : 1;
		return cmp_u64(a->id, b->id);
	}
	c = cmp_u64(tree_key(pool, a), tree_key(pool, b));
	if (c)
		return c;
	if (pool->policy == RSP_POLICY_PRIORITY)
		return cmp_u64(a->id, b->id);
	return cmp_u64(a->aux, b->aux);
}

/* --- AVL -------------------------------------------------------------- */

static int
avl_h(const struct hs_avl *n)
{
	return n ? n->h : 0;
}

static void
avl_fix(struct hs_avl *n)
{
	int l = avl_h(n->l), r = avl_h(n->r);

	n->h = 1 + (l > r ? l : r);
}

static struct hs_avl *
avl_rot_r(struct hs_avl *n)
{
	struct hs_avl *l = n->l;

	n->l = l->r;
	l->r = n;
	avl_fix(n);
	avl_fix(l);
	return l;
}

static struct hs_avl *
avl_rot_l(struct hs_avl *n)
{
	struct hs_avl *r = n->r;

	n->r = r->l;
	r->l = n;
	avl_fix(n);
	avl_fix(r);
	return r;
}

static struct hs_avl *
avl_balance(struct hs_avl *n)
{
	int b = avl_h(n->l) - avl_h(n->r);

	if (b > 1) {
		if (avl_h(n->l->l) < avl_h(n->l->r))
			n->l = avl_rot_l(n->l);
		return avl_rot_r(n);
	}
	if (b < -1) {
		if (avl_h(n->r->r) < avl_h(n->r->l))
			n->r = avl_rot_r(n->r);
		return avl_rot_l(n);
	}
	avl_fix(n);
	return n;
}

static struct hs_avl *
avl_insert(const struct hs_pool *pool, struct hs_avl *t, struct hs_avl *n)
{
	if (t == NULL) {
		n->l = n->r = NULL;
		n->h = 1;
		return n;
	}
	if (pe_cmp(pool, PE_OF(n), PE_OF(t)) < 0)
		t->l = avl_insert(pool, t->l, n);
	else
		t->r = avl_insert(pool, t->r, n);
	return avl_balance(t);
}

static struct hs_avl *
avl_remove_min(struct hs_avl *t, struct hs_avl **ret_min)
{
	if (t->l == NULL) {
		*ret_min = t;
		return t->r;
	}
	t->l = avl_remove_min(t->l, ret_min);
	return avl_balance(t);
}

/* n must be in t with the key it was inserted with. */
static struct hs_avl *
avl_remove(const struct hs_pool *pool, struct hs_avl *t, struct hs_avl *n)
{
	struct hs_avl *m, *r;

	if (t == NULL)
		return NULL;
	if (t == n) {
		if (n->r == NULL)
			return n->l;
		r = avl_remove_min(n->r, &m);
		m->l = n->l;
		m->r = r;
		return avl_balance(m);
	}
	if (pe_cmp(pool, PE_OF(n), PE_OF(t)) < 0)
		t->l = avl_remove(pool, t->l, n);
	else
		t->r = avl_remove(pool, t->r, n);
	return avl_balance(t);
}

/* The first n PEs in tree order: O(log size + n). */
static size_t
avl_first(struct hs_avl *t, size_t n, struct hs_pe **ret)
{
	struct hs_avl *stack[AVL_MAXH];
	size_t sp = 0, k = 0;

	while (k < n && (t != NULL || sp > 0)) {
		while (t != NULL) {
			stack[sp++] = t;
			t = t->l;
		}
		t = stack[--sp];
		ret[k++] = PE_OF(t);
		t = t->r;
	}
	return k;
}

static void
tree_add(struct hs_pool *pool, struct hs_pe *pe)
{
	pool->root = avl_insert(pool, pool->root, &pe->u.node);
	pe->in_tree = 1;
}

static void
tree_del(struct hs_pool *pool, struct hs_pe *pe)
{
	if (pe->in_tree)
		pool->root = avl_remove(pool, pool->root, &pe->u.node);
	pe->in_tree = 0;
}

/* --- Weighted Round Robin --------------------------------------------- */

/*
 * RFC 5356 §4.2: the circular list holds weight(PE) copies of each PE,
 * spread evenly.  It is generated rather than stored: a PE of weight w
 * appears for the c-th time at virtual time (2c + 1) / 2w (the Sainte-Laguë
 * divisor sequence, the most even spread of integer shares), kept as
 * pe->aux = 2c + 1.  The head of the circle is the PE with the earliest
 * time; after W = sum of weights steps each PE has appeared exactly w times.
 * The next k distinct PEs on the circle are the k earliest in the tree.
 */
static void
wrr_add(struct hs_pool *pool, struct hs_pe *pe)
{
	struct hs_pe *head;
	unsigned __int128 a;

	pe->in_tree = 0;
	if (pe->val[0] == 0)
		return;		/* zero weight: never on the circle */
	if (pool->root == NULL) {
		pe->aux = 1;
	} else {
		/* join half a period after the current head */
		avl_first(pool->root, 1, &head);
		a = (unsigned __int128)head->aux * pe->val[0];
		a = (a + head->val[0] - 1) / head->val[0] + 1;
		pe->aux = a > UINT64_MAX / 2 ? UINT64_MAX / 2 : (uint64_t)a;
	}
	tree_add(pool, pe);
}

static size_t
wrr_resolve(struct hs_pool *pool, size_t n, struct hs_pe **ret)
{
	size_t k = avl_first(pool->root, n, ret);
	struct hs_pe *head;

	if (k > 0) {
		/* advance the head by one position on the circle */
		head = ret[0];
		tree_del(pool, head);
		head->aux += 2;
		tree_add(pool, head);
	}
	return k;
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
	struct hs_pe **p;
	uint64_t *fw;

	if (pool->cap >= UINT32_MAX / 2)
		return HS_E_NOMEM;
	if ((p = realloc(pool->pes, cap * sizeof(*p))) == NULL)
		return HS_E_NOMEM;
	pool->pes = p;
	if (pool->kind == HS_KIND_WEIGHTED) {
		if ((fw = realloc(pool->fw, (cap + 1) * sizeof(*fw))) == NULL)
			return HS_E_NOMEM;
		if (pool->fw == NULL)
			fw[0] = 0;
		pool->fw = fw;
	}
	pool->cap = cap;
	return 0;
}

int
hs_pol_add(struct hs_pool *pool, struct hs_pe *pe)
{
	int rc;

	if (pool->n == pool->cap && (rc = pool_grow(pool)) != 0)
		return rc;
	pe->idx = pool->n;
	pool->pes[pool->n++] = pe;
	pe->in_tree = 0;
	switch (pool->kind) {
	case HS_KIND_RING:
		/* new PEs join at the end of the circle, just before the head */
		if (pool->ring == NULL) {
			pe->u.ring.prev = pe->u.ring.next = pe;
			pool->ring = pe;
		} else {
			pe->u.ring.next = pool->ring;
			pe->u.ring.prev = pool->ring->u.ring.prev;
			pe->u.ring.prev->u.ring.next = pe;
			pool->ring->u.ring.prev = pe;
		}
		break;
	case HS_KIND_WRR:
		wrr_add(pool, pe);
		break;
	case HS_KIND_RAND:
		break;
	case HS_KIND_WEIGHTED:
		fw_append(pool, fw_weight(pool, pe));
		break;
	case HS_KIND_TREE:
		pe->aux = ++pool->seq;
		tree_add(pool, pe);
		break;
	}
	return 0;
}

void
hs_pol_del(struct hs_pool *pool, struct hs_pe *pe)
{
	uint32_t i = pe->idx, last = pool->n - 1;
	struct hs_pe *m = pool->pes[last];

	switch (pool->kind) {
	case HS_KIND_RING:
		if (pe->u.ring.next == pe) {
			pool->ring = NULL;
		} else {
			if (pool->ring == pe)
				pool->ring = pe->u.ring.next;
			pe->u.ring.prev->u.ring.next = pe->u.ring.next;
			pe->u.ring.next->u.ring.prev = pe->u.ring.prev;
		}
		break;
	case HS_KIND_WRR:
	case HS_KIND_TREE:
		tree_del(pool, pe);
		break;
	case HS_KIND_RAND:
		break;
	case HS_KIND_WEIGHTED:
		/* the last PE takes the freed position; the last node goes */
		if (i != last)
			fw_add(pool, i, fw_weight(pool, m) - fw_weight(pool, pe));
		pool->wsum -= fw_weight(pool, m);
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

	switch (pool->kind) {
	case HS_KIND_WRR:
	case HS_KIND_TREE:
		tree_del(pool, pe);	/* with the old key */
		break;
	case HS_KIND_WEIGHTED:
		oldw = fw_weight(pool, pe);
		break;
	default:
		break;
	}
	memset(pe->val, 0, sizeof(pe->val));
	pe->nval = p->nval > RSP_POLICY_MAX_VALUES ? RSP_POLICY_MAX_VALUES :
	    p->nval;
	memcpy(pe->val, p->val, pe->nval * sizeof(pe->val[0]));
	/* RFC 5356 §5.2: the counter restarts on every (re-)registration */
	pe->counter = 0;
	switch (pool->kind) {
	case HS_KIND_WRR:
		wrr_add(pool, pe);
		break;
	case HS_KIND_TREE:
		pe->aux = ++pool->seq;
		tree_add(pool, pe);
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
	free(pool->fw);
	pool->pes = NULL;
	pool->fw = NULL;
	pool->n = pool->cap = 0;
}

/* --- resolution ------------------------------------------------------- */

size_t
hs_pool_resolve(struct hs *hs, struct hs_pool *pool, size_t n,
    struct hs_pe **ret)
{
	struct hs_pe *pe;
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
		pe = pool->ring;
		do {
			ret[k++] = pe;
			pe = pe->u.ring.next;
		} while (k < n && pe != pool->ring);
		pool->ring = pool->ring->u.ring.next;
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
	case HS_KIND_TREE:
		k = avl_first(pool->root, n, ret);
		if (pool->policy == RSP_POLICY_PRIORITY)
			break;
		/*
		 * RFC 5356 §5.1-§5.3: equally loaded PEs rotate: a PE that
		 * was handed out goes behind its equals.  LUD also counts
		 * it (§5.2), which raises its key.
		 */
		for (size_t i = 0; i < k; i++) {
			pe = ret[i];
			tree_del(pool, pe);
			if (pool->policy == RSP_POLICY_LEAST_USED_DEGRADATION &&
			    pe->counter < UINT32_MAX)
				pe->counter++;
			pe->aux = ++pool->seq;
			tree_add(pool, pe);
		}
		break;
	}
	return k;
}
