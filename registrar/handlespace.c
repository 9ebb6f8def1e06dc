/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The handlespace tables: pools in a hash table keyed by SipHash of the
 * handle under a per-handlespace random key (so remote parties cannot flood
 * one bucket), PEs in a hash table keyed by (pool, identifier), owners (home
 * registrars) in a hash table with the list of their PEs and the unfolded
 * RFC 5353 §3.6.2 checksum sum, and a binary min-heap of expiry times.
 * Registration, deregistration, takeover re-homing and expiry live here;
 * selection lives in policy.c.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "hs_internal.h"

#define HS_MIN_BUCKETS	16

/* --- hashing ---------------------------------------------------------- */

#define SIPROUND do {							\
	v0 += v1; v1 = hs_rotl(v1, 13); v1 ^= v0; v0 = hs_rotl(v0, 32);	\
	v2 += v3; v3 = hs_rotl(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = hs_rotl(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = hs_rotl(v1, 17); v1 ^= v2; v2 = hs_rotl(v2, 32);	\
} while (0)

/* SipHash-2-4 */
static uint64_t
siphash(const uint64_t key[2], const uint8_t *p, size_t len)
{
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ULL;
	uint64_t v1 = key[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ULL;
	uint64_t v3 = key[1] ^ 0x7465646279746573ULL;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, tail = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = 0;
		for (int j = 7; j >= 0; j--)
			m = (m << 8) | p[i + j];
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; j < tail; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t
pe_hash(const struct hs *hs, const struct hs_pool *pool, uint32_t id)
{
	return mix64(pool->hash ^ hs->pekey ^ (id * 0x9e3779b97f4a7c15ULL));
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Grow a chained table to twice its buckets; on failure keep it as is. */
#define TABLE_GROW(T, b, nb, HASHOF) do {				\
	size_t nnb_ = (nb) * 2;						\
	T **nb_ = calloc(nnb_, sizeof(*nb_));				\
									\
	if (nb_ == NULL)						\
		break;							\
	for (size_t i_ = 0; i_ < (nb); i_++) {				\
		T *e_, *n_;						\
		for (e_ = (b)[i_]; e_ != NULL; e_ = n_) {		\
			size_t h_ = (size_t)(HASHOF(e_)) & (nnb_ - 1);	\
			n_ = e_->hnext;					\
			e_->hnext = nb_[h_];				\
			nb_[h_] = e_;					\
		}							\
	}								\
	free(b);							\
	(b) = nb_;							\
	(nb) = nnb_;							\
} while (0)

/* --- creation --------------------------------------------------------- */

void
hs_limits_default(struct hs_limits *ret)
{
	ret->max_pools = 65536;
	ret->max_pool_pes = 65536;
	ret->max_pes = 1048576;
	ret->max_handle_len = RSP_POOL_HANDLE_MAX_DEFAULT;
}

void
hs_seed(struct hs *hs, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		hs->rng[i] = splitmix64(&seed);
}

struct hs *
hs_new(const struct hs_limits *lim)
{
	struct hs *hs;
	uint64_t seed[4];

	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return NULL;
	if (lim != NULL)
		hs->lim = *lim;
	else
		hs_limits_default(&hs->lim);
	if (hs->lim.max_handle_len == 0)
		hs->lim.max_handle_len = RSP_POOL_HANDLE_MAX_DEFAULT;
	if (hs->lim.max_handle_len > UINT16_MAX)
		hs->lim.max_handle_len = UINT16_MAX;
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		/* no entropy source: still usable, just predictable */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32);
		for (int i = 1; i < 4; i++)
			seed[i] = splitmix64(&seed[0]);
	}
	hs->hkey[0] = seed[0];
	hs->hkey[1] = seed[1];
	hs->pekey = seed[2];
	hs_seed(hs, seed[3]);
	hs->pnb = hs->enb = hs->onb = HS_MIN_BUCKETS;
	hs->pb = calloc(hs->pnb, sizeof(*hs->pb));
	hs->eb = calloc(hs->enb, sizeof(*hs->eb));
	hs->ob = calloc(hs->onb, sizeof(*hs->ob));
	if (hs->pb == NULL || hs->eb == NULL || hs->ob == NULL) {
		hs_free(hs);
		return NULL;
	}
	return hs;
}

void
hs_free(struct hs *hs)
{
	struct hs_pool *pool, *pnext;
	struct hs_owner *o, *onext;

	if (hs == NULL)
		return;
	for (pool = hs->pfirst; pool != NULL; pool = pnext) {
		pnext = pool->next;
		for (uint32_t i = 0; i < pool->n; i++) {
			free(pool->pes[i]->blob);
			free(pool->pes[i]);
		}
		hs_pol_free(pool);
		free(pool);
	}
	for (size_t i = 0; hs->ob != NULL && i < hs->onb; i++) {
		for (o = hs->ob[i]; o != NULL; o = onext) {
			onext = o->hnext;
			free(o);
		}
	}
	free(hs->pb);
	free(hs->eb);
	free(hs->ob);
	free(hs->heap);
	free(hs);
}

/* --- pools ------------------------------------------------------------ */

/* RFC 5353 §3.6.2: the handle's 16-bit words, zero-padded. */
static uint64_t
handle_sum(const uint8_t *p, size_t len)
{
	uint64_t s = 0;

	for (size_t i = 0; i < len; i += 2)
		s += ((uint64_t)p[i] << 8) | (i + 1 < len ? p[i + 1] : 0);
	return s;
}

static struct hs_pool *
pool_find(const struct hs *hs, const uint8_t *handle, size_t len, uint64_t h)
{
	struct hs_pool *pool;

	for (pool = hs->pb[h & (hs->pnb - 1)]; pool != NULL; pool = pool->hnext)
		if (pool->hash == h && pool->hlen == len &&
		    memcmp(pool->handle, handle, len) == 0)
			return pool;
	return NULL;
}

struct hs_pool *
hs_pool_find(const struct hs *hs, const uint8_t *handle, size_t len)
{
	if (hs == NULL || handle == NULL || len == 0 ||
	    len > hs->lim.max_handle_len)
		return NULL;
	return pool_find(hs, handle, len, siphash(hs->hkey, handle, len));
}

#define POOL_HASH(p)	((p)->hash)

static struct hs_pool *
pool_new(struct hs *hs, const uint8_t *handle, size_t len, uint64_t h,
    const struct rsp_pe *pe)
{
	struct hs_pool *pool;
	size_t b;

	if ((pool = calloc(1, sizeof(*pool) + len)) == NULL)
		return NULL;
	pool->hash = h;
	pool->hlen = (uint16_t)len;
	memcpy(pool->handle, handle, len);
	pool->hsum = (uint32_t)handle_sum(handle, len);
	pool->policy = pe->policy.type;
	pool->kind = (uint8_t)hs_policy_kind(pe->policy.type);
	pool->ttype = pe->user.type;
	pool->tuse = pe->user.use;

	b = h & (hs->pnb - 1);
	pool->hnext = hs->pb[b];
	hs->pb[b] = pool;
	pool->prev = hs->plast;
	if (hs->plast != NULL)
		hs->plast->next = pool;
	else
		hs->pfirst = pool;
	hs->plast = pool;
	if (++hs->npools > hs->pnb)
		TABLE_GROW(struct hs_pool, hs->pb, hs->pnb, POOL_HASH);
	return pool;
}

static void
pool_delete(struct hs *hs, struct hs_pool *pool)
{
	struct hs_pool **pp;

	for (pp = &hs->pb[pool->hash & (hs->pnb - 1)]; *pp != pool;
	    pp = &(*pp)->hnext)
		;
	*pp = pool->hnext;
	if (pool->prev != NULL)
		pool->prev->next = pool->next;
	else
		hs->pfirst = pool->next;
	if (pool->next != NULL)
		pool->next->prev = pool->prev;
	else
		hs->plast = pool->prev;
	hs->npools--;
	hs_pol_free(pool);
	free(pool);
}

/* --- PE table --------------------------------------------------------- */

struct hs_pe *
hs_pool_lookup(const struct hs *hs, const struct hs_pool *pool, uint32_t id)
{
	struct hs_pe *pe;

	if (hs == NULL || pool == NULL)
		return NULL;
	for (pe = hs->eb[pe_hash(hs, pool, id) & (hs->enb - 1)]; pe != NULL;
	    pe = pe->hnext)
		if (pe->id == id && pe->pool == pool)
			return pe;
	return NULL;
}

struct hs_pe *
hs_lookup(const struct hs *hs, const uint8_t *handle, size_t len, uint32_t id)
{
	return hs_pool_lookup(hs, hs_pool_find(hs, handle, len), id);
}

/* expanded where `hs` is in scope */
#define PE_HASH(e)	pe_hash(hs, (e)->pool, (e)->id)

static void
pe_link(struct hs *hs, struct hs_pe *pe)
{
	size_t b = pe_hash(hs, pe->pool, pe->id) & (hs->enb - 1);

	pe->hnext = hs->eb[b];
	hs->eb[b] = pe;
	if (++hs->npes > hs->enb)
		TABLE_GROW(struct hs_pe, hs->eb, hs->enb, PE_HASH);
}

static void
pe_unlink(struct hs *hs, struct hs_pe *pe)
{
	struct hs_pe **pp;

	for (pp = &hs->eb[pe_hash(hs, pe->pool, pe->id) & (hs->enb - 1)];
	    *pp != pe; pp = &(*pp)->hnext)
		;
	*pp = pe->hnext;
	hs->npes--;
}

/* --- owners ----------------------------------------------------------- */

static uint64_t
owner_hash(const struct hs *hs, uint32_t id)
{
	return mix64(hs->pekey + id);
}

static size_t
owner_bucket(const struct hs *hs, uint32_t id)
{
	return owner_hash(hs, id) & (hs->onb - 1);
}

static struct hs_owner *
owner_find(const struct hs *hs, uint32_t id)
{
	struct hs_owner *o;

	for (o = hs->ob[owner_bucket(hs, id)]; o != NULL; o = o->hnext)
		if (o->id == id)
			return o;
	return NULL;
}

/* expanded where `hs` is in scope */
#define OWNER_HASH(o)	owner_hash(hs, (o)->id)

static void
owner_insert(struct hs *hs, struct hs_owner *o)
{
	size_t b = owner_bucket(hs, o->id);

	o->hnext = hs->ob[b];
	hs->ob[b] = o;
	if (++hs->nowners > hs->onb)
		TABLE_GROW(struct hs_owner, hs->ob, hs->onb, OWNER_HASH);
}

static struct hs_owner *
owner_get(struct hs *hs, uint32_t id)
{
	struct hs_owner *o;

	if ((o = owner_find(hs, id)) != NULL)
		return o;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->id = id;
	owner_insert(hs, o);
	return o;
}

static void
owner_remove(struct hs *hs, struct hs_owner *o)
{
	struct hs_owner **pp;

	for (pp = &hs->ob[owner_bucket(hs, o->id)]; *pp != o;
	    pp = &(*pp)->hnext)
		;
	*pp = o->hnext;
	hs->nowners--;
	free(o);
}

static uint64_t
pe_block_sum(const struct hs_pe *pe)
{
	/* RFC 5353 §3.6.2: padded handle, then the PE id as two words */
	return (uint64_t)pe->pool->hsum + (pe->id >> 16) + (pe->id & 0xffff);
}

static void
owner_add_pe(struct hs_owner *o, struct hs_pe *pe)
{
	pe->owner = o;
	pe->oprev = NULL;
	pe->onext = o->first;
	if (o->first != NULL)
		o->first->oprev = pe;
	o->first = pe;
	o->n++;
	o->acc += pe_block_sum(pe);
}

/* Takes pe off its owner; frees the owner when it has no PE left. */
static void
owner_del_pe(struct hs *hs, struct hs_pe *pe)
{
	struct hs_owner *o = pe->owner;

	if (pe->oprev != NULL)
		pe->oprev->onext = pe->onext;
	else
		o->first = pe->onext;
	if (pe->onext != NULL)
		pe->onext->oprev = pe->oprev;
	o->n--;
	o->acc -= pe_block_sum(pe);
	pe->owner = NULL;
	if (o->n == 0)
		owner_remove(hs, o);
}

/* --- expiry heap ------------------------------------------------------ */

static void
heap_place(struct hs *hs, size_t i, struct hs_pe *pe)
{
	hs->heap[i] = pe;
	pe->hidx = (uint32_t)i;
}

static void
heap_up(struct hs *hs, size_t i)
{
	struct hs_pe *pe = hs->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (hs->heap[p]->expires <= pe->expires)
			break;
		heap_place(hs, i, hs->heap[p]);
		i = p;
	}
	heap_place(hs, i, pe);
}

static void
heap_down(struct hs *hs, size_t i)
{
	struct hs_pe *pe = hs->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= hs->nheap)
			break;
		if (c + 1 < hs->nheap &&
		    hs->heap[c + 1]->expires < hs->heap[c]->expires)
			c++;
		if (pe->expires <= hs->heap[c]->expires)
			break;
		heap_place(hs, i, hs->heap[c]);
		i = c;
	}
	heap_place(hs, i, pe);
}

static int
heap_reserve(struct hs *hs)
{
	struct hs_pe **h;
	size_t cap;

	if (hs->nheap < hs->heapcap)
		return 0;
	cap = hs->heapcap ? hs->heapcap * 2 : 64;
	if (cap > UINT32_MAX || (h = realloc(hs->heap, cap * sizeof(*h))) == NULL)
		return HS_E_NOMEM;
	hs->heap = h;
	hs->heapcap = cap;
	return 0;
}

static void
heap_del(struct hs *hs, struct hs_pe *pe)
{
	size_t i = pe->hidx;
	struct hs_pe *last;

	if (i == HS_NOIDX)
		return;
	pe->hidx = HS_NOIDX;
	last = hs->heap[--hs->nheap];
	if (last == pe)
		return;
	heap_place(hs, i, last);
	heap_up(hs, i);
	heap_down(hs, last->hidx);
}

/* Capacity was reserved by heap_reserve() when pe is not yet in it. */
static void
heap_set(struct hs *hs, struct hs_pe *pe, uint64_t expires)
{
	if (expires == HS_NEVER) {
		heap_del(hs, pe);
		pe->expires = HS_NEVER;
		return;
	}
	pe->expires = expires;
	if (pe->hidx == HS_NOIDX) {
		heap_place(hs, hs->nheap++, pe);
		heap_up(hs, pe->hidx);
	} else {
		heap_up(hs, pe->hidx);
		heap_down(hs, pe->hidx);
	}
}

/* --- registration ----------------------------------------------------- */

static int
check_transport(const struct rsp_transport *t)
{
	if (t->naddr > RSP_MAX_ADDRS)
		return HS_E_INVAL;
	if (t->opaque.len > 0 && t->opaque.p == NULL)
		return HS_E_INVAL;
	return 0;
}

/* Copies of the addresses actually present, and the opaque bytes. */
static int
make_blob(const struct rsp_pe *pe, uint8_t **ret, size_t *ret_len)
{
	size_t un = pe->user.naddr, an = pe->has_asap ? pe->asap.naddr : 0;
	size_t len = (un + an) * sizeof(struct rsp_addr) + pe->user.opaque.len;
	uint8_t *b, *p;

	*ret = NULL;
	*ret_len = len;
	if (len == 0)
		return 0;
	if ((b = malloc(len)) == NULL)
		return HS_E_NOMEM;
	p = b;
	memcpy(p, pe->user.addr, un * sizeof(struct rsp_addr));
	p += un * sizeof(struct rsp_addr);
	memcpy(p, pe->asap.addr, an * sizeof(struct rsp_addr));
	p += an * sizeof(struct rsp_addr);
	if (pe->user.opaque.len > 0)
		memcpy(p, pe->user.opaque.p, pe->user.opaque.len);
	*ret = b;
	return 0;
}

static size_t
blob_len(const struct hs_pe *pe)
{
	return ((size_t)pe->unaddr + pe->anaddr) * sizeof(struct rsp_addr) +
	    pe->opaque_len;
}

static void
copy_fields(struct hs_pe *pe, const struct rsp_pe *src, uint8_t *blob)
{
	pe->blob = blob;
	pe->life = src->life;
	pe->utype = src->user.type;
	pe->uport = src->user.port;
	pe->uuse = src->user.use;
	pe->service_code = src->user.service_code;
	pe->unaddr = src->user.naddr;
	pe->opaque_len = src->user.opaque.len;
	pe->has_asap = src->has_asap;
	pe->atype = src->has_asap ? src->asap.type : 0;
	pe->aport = src->has_asap ? src->asap.port : 0;
	pe->ause = src->has_asap ? src->asap.use : 0;
	pe->anaddr = src->has_asap ? src->asap.naddr : 0;
}

int
hs_register(struct hs *hs, const uint8_t *handle, size_t len,
    const struct rsp_pe *pe, uint64_t expires, struct hs_pe **ret_pe,
    bool *ret_new)
{
	struct hs_pool *pool;
	struct hs_owner *owner;
	struct hs_pe *e;
	uint8_t *blob;
	size_t blen;
	uint64_t h;
	int need, rc;
	bool new_pool = false;

	if (hs == NULL || handle == NULL || pe == NULL)
		return HS_E_INVAL;
	/* RFC 5354 §3.9: a handle we cannot hold is an invalid value */
	if (len == 0 || len > hs->lim.max_handle_len)
		return HS_E_HANDLE;
	if ((rc = check_transport(&pe->user)) != 0 ||
	    (pe->has_asap && (rc = check_transport(&pe->asap)) != 0))
		return rc;
	if ((need = hs_policy_nval(pe->policy.type)) < 0 ||
	    pe->policy.nval < need)
		return HS_E_POLICY_VALUE;

	h = siphash(hs->hkey, handle, len);
	if ((pool = pool_find(hs, handle, len, h)) != NULL) {
		/*
		 * RFC 5352 §3.1 / RFC 5356: the pool's first PE fixed its
		 * policy, transport and Transport Use.
		 */
		if (pe->policy.type != pool->policy)
			return HS_E_POLICY;
		if (pe->user.type != pool->ttype)
			return HS_E_TRANSPORT;
		if (pe->user.use != pool->tuse)
			return HS_E_DATA_CTRL;
		if ((e = hs_pool_lookup(hs, pool, pe->id)) != NULL)
			goto update;
	} else if (hs->lim.max_pools && hs->npools >= hs->lim.max_pools)
		return HS_E_MAX_POOLS;
	if (hs->lim.max_pes && hs->npes >= hs->lim.max_pes)
		return HS_E_MAX_PES;
	if (pool != NULL && hs->lim.max_pool_pes &&
	    pool->n >= hs->lim.max_pool_pes)
		return HS_E_MAX_POOL_PES;

	/* a new PE: allocate everything that can fail, then link */
	if (expires != HS_NEVER && heap_reserve(hs) != 0)
		return HS_E_NOMEM;
	if ((rc = make_blob(pe, &blob, &blen)) != 0)
		return rc;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		goto out_blob;
	if ((owner = owner_get(hs, pe->home_id)) == NULL)
		goto out_pe;
	if (pool == NULL) {
		if ((pool = pool_new(hs, handle, len, h, pe)) == NULL)
			goto out_owner;
		new_pool = true;
	}
	e->id = pe->id;
	e->pool = pool;
	e->hidx = HS_NOIDX;
	e->expires = HS_NEVER;
	copy_fields(e, pe, blob);
	e->nval = pe->policy.nval > RSP_POLICY_MAX_VALUES ?
	    RSP_POLICY_MAX_VALUES : pe->policy.nval;
	memcpy(e->val, pe->policy.val, e->nval * sizeof(e->val[0]));
	if (hs_pol_add(pool, e) != 0)
		goto out_pool;
	pe_link(hs, e);
	owner_add_pe(owner, e);
	heap_set(hs, e, expires);
	hs->addr_bytes += blen;
	if (ret_pe != NULL)
		*ret_pe = e;
	if (ret_new != NULL)
		*ret_new = true;
	return 0;

update:
	/* RFC 5352 §3.1: a re-registration updates the entry in place */
	if (expires != HS_NEVER && e->hidx == HS_NOIDX &&
	    heap_reserve(hs) != 0)
		return HS_E_NOMEM;
	if ((owner = owner_get(hs, pe->home_id)) == NULL)
		return HS_E_NOMEM;
	if ((rc = make_blob(pe, &blob, &blen)) != 0) {
		if (owner->n == 0)
			owner_remove(hs, owner);
		return rc;
	}
	hs->addr_bytes -= blob_len(e);
	hs->addr_bytes += blen;
	free(e->blob);
	copy_fields(e, pe, blob);
	if (owner != e->owner) {
		owner_del_pe(hs, e);
		owner_add_pe(owner, e);
	}
	hs_pol_update(pool, e, &pe->policy);
	heap_set(hs, e, expires);
	if (ret_pe != NULL)
		*ret_pe = e;
	if (ret_new != NULL)
		*ret_new = false;
	return 0;

out_pool:
	if (new_pool)
		pool_delete(hs, pool);
out_owner:
	if (owner->n == 0)
		owner_remove(hs, owner);
out_pe:
	free(e);
out_blob:
	free(blob);
	return HS_E_NOMEM;
}

void
hs_remove(struct hs *hs, struct hs_pe *pe)
{
	struct hs_pool *pool;

	if (hs == NULL || pe == NULL)
		return;
	pool = pe->pool;
	heap_del(hs, pe);
	owner_del_pe(hs, pe);
	pe_unlink(hs, pe);
	hs_pol_del(pool, pe);
	hs->addr_bytes -= blob_len(pe);
	free(pe->blob);
	free(pe);
	if (pool->n == 0)
		pool_delete(hs, pool);
}

int
hs_deregister(struct hs *hs, const uint8_t *handle, size_t len, uint32_t id)
{
	struct hs_pool *pool;
	struct hs_pe *pe;

	if ((pool = hs_pool_find(hs, handle, len)) == NULL)
		return HS_E_NO_POOL;
	if ((pe = hs_pool_lookup(hs, pool, id)) == NULL)
		return HS_E_NO_PE;
	hs_remove(hs, pe);
	return 0;
}

void
hs_set_expiry(struct hs *hs, struct hs_pe *pe, uint64_t expires)
{
	if (hs == NULL || pe == NULL)
		return;
	if (expires != HS_NEVER && pe->hidx == HS_NOIDX &&
	    heap_reserve(hs) != 0)
		return;		/* cannot index it: it keeps its old expiry */
	heap_set(hs, pe, expires);
}

int
hs_resolve(struct hs *hs, const uint8_t *handle, size_t len, size_t n,
    struct hs_pe **ret, size_t *ret_count)
{
	struct hs_pool *pool;

	if ((pool = hs_pool_find(hs, handle, len)) == NULL)
		return HS_E_NO_POOL;
	*ret_count = hs_pool_resolve(hs, pool, n, ret);
	return 0;
}

/* --- expiry, owners, checksums ---------------------------------------- */

size_t
hs_expire(struct hs *hs, uint64_t now, hs_pe_cb cb, void *arg)
{
	size_t n = 0;

	while (hs != NULL && hs->nheap > 0 && hs->heap[0]->expires <= now) {
		struct hs_pe *pe = hs->heap[0];

		if (cb != NULL)
			cb(hs, pe, arg);
		hs_remove(hs, pe);
		n++;
	}
	return n;
}

uint64_t
hs_next_expiry(const struct hs *hs)
{
	if (hs == NULL || hs->nheap == 0)
		return HS_NEVER;
	return hs->heap[0]->expires;
}

size_t
hs_rehome(struct hs *hs, uint32_t from, uint32_t to)
{
	struct hs_owner *fo, *to_o;
	struct hs_pe *pe, *last = NULL;
	size_t n;

	if (hs == NULL || (fo = owner_find(hs, from)) == NULL)
		return 0;
	n = fo->n;
	if (from == to)
		return n;
	if ((to_o = owner_find(hs, to)) == NULL) {
		/* RFC 5353 §3.5.2: nobody else to merge with: rename */
		struct hs_owner **pp;

		for (pp = &hs->ob[owner_bucket(hs, from)]; *pp != fo;
		    pp = &(*pp)->hnext)
			;
		*pp = fo->hnext;
		hs->nowners--;
		fo->id = to;
		owner_insert(hs, fo);
		return n;
	}
	for (pe = fo->first; pe != NULL; pe = pe->onext) {
		pe->owner = to_o;
		last = pe;
	}
	/* splice fo's list in front of to_o's */
	last->onext = to_o->first;
	if (to_o->first != NULL)
		to_o->first->oprev = last;
	to_o->first = fo->first;
	to_o->n += fo->n;
	to_o->acc += fo->acc;
	fo->n = 0;
	owner_remove(hs, fo);
	return n;
}

size_t
hs_owner_delete(struct hs *hs, uint32_t owner, hs_pe_cb cb, void *arg)
{
	struct hs_owner *o;
	size_t n = 0;

	while (hs != NULL && (o = owner_find(hs, owner)) != NULL) {
		struct hs_pe *pe = o->first;

		if (cb != NULL)
			cb(hs, pe, arg);
		hs_remove(hs, pe);	/* frees o with its last PE */
		n++;
	}
	return n;
}

size_t
hs_owner_count(const struct hs *hs, uint32_t owner)
{
	struct hs_owner *o = hs ? owner_find(hs, owner) : NULL;

	return o ? o->n : 0;
}

uint64_t
hs_checksum_add(uint64_t acc, const uint8_t *handle, size_t len, uint32_t id)
{
	return acc + handle_sum(handle, len) + (id >> 16) + (id & 0xffff);
}

uint16_t
hs_checksum_fold(uint64_t acc)
{
	/* RFC 1071: end-around carry, then one's complement */
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

uint16_t
hs_checksum(const struct hs *hs, uint32_t owner)
{
	struct hs_owner *o = hs ? owner_find(hs, owner) : NULL;

	return hs_checksum_fold(o ? o->acc : 0);
}

/* --- counts, iteration, accessors ------------------------------------- */

size_t
hs_npools(const struct hs *hs)
{
	return hs ? hs->npools : 0;
}

size_t
hs_npes(const struct hs *hs)
{
	return hs ? hs->npes : 0;
}

size_t
hs_addr_bytes(const struct hs *hs)
{
	return hs ? hs->addr_bytes : 0;
}

struct hs_pool *
hs_pool_first(const struct hs *hs)
{
	return hs ? hs->pfirst : NULL;
}

struct hs_pool *
hs_pool_next(const struct hs_pool *pool)
{
	return pool->next;
}

struct hs_pe *
hs_pe_first(const struct hs_pool *pool)
{
	return pool->n > 0 ? pool->pes[0] : NULL;
}

struct hs_pe *
hs_pe_next(const struct hs_pe *pe)
{
	const struct hs_pool *pool = pe->pool;

	return pe->idx + 1 < pool->n ? pool->pes[pe->idx + 1] : NULL;
}

struct hs_pe *
hs_owner_first(const struct hs *hs, uint32_t owner)
{
	struct hs_owner *o = hs ? owner_find(hs, owner) : NULL;

	return o ? o->first : NULL;
}

struct hs_pe *
hs_owner_next(const struct hs_pe *pe)
{
	return pe->onext;
}

const uint8_t *
hs_pool_handle(const struct hs_pool *pool, size_t *ret_len)
{
	*ret_len = pool->hlen;
	return pool->handle;
}

uint32_t
hs_pool_policy(const struct hs_pool *pool)
{
	return pool->policy;
}

size_t
hs_pool_count(const struct hs_pool *pool)
{
	return pool ? pool->n : 0;
}

struct hs_pool *
hs_pe_pool(const struct hs_pe *pe)
{
	return pe->pool;
}

uint32_t
hs_pe_id(const struct hs_pe *pe)
{
	return pe->id;
}

uint32_t
hs_pe_home(const struct hs_pe *pe)
{
	return pe->owner->id;
}

uint64_t
hs_pe_expires(const struct hs_pe *pe)
{
	return pe->expires;
}

uint32_t
hs_pe_counter(const struct hs_pe *pe)
{
	return pe->counter;
}

void *
hs_pe_udata(const struct hs_pe *pe)
{
	return pe->udata;
}

void
hs_pe_set_udata(struct hs_pe *pe, void *udata)
{
	pe->udata = udata;
}

bool
hs_pe_hidden(const struct hs_pe *pe)
{
	return pe->hidden != 0;
}

void
hs_pe_set_hidden(struct hs_pe *pe, bool hidden)
{
	pe->hidden = hidden;
}

uint32_t
hs_pe_registrant(const struct hs_pe *pe)
{
	return pe->registrant;
}

void
hs_pe_set_registrant(struct hs_pe *pe, uint32_t token)
{
	pe->registrant = token;
}

void
hs_set_limits(struct hs *hs, const struct hs_limits *lim)
{
	hs->lim = *lim;
	if (hs->lim.max_handle_len == 0)
		hs->lim.max_handle_len = RSP_POOL_HANDLE_MAX_DEFAULT;
	if (hs->lim.max_handle_len > UINT16_MAX)
		hs->lim.max_handle_len = UINT16_MAX;
}

void
hs_pe_export(const struct hs_pe *pe, struct rsp_pe *ret)
{
	const uint8_t *p = pe->blob;

	memset(ret, 0, sizeof(*ret));
	ret->id = pe->id;
	ret->home_id = pe->owner->id;
	ret->life = pe->life;
	ret->user.type = pe->utype;
	ret->user.port = pe->uport;
	ret->user.use = pe->uuse;
	ret->user.service_code = pe->service_code;
	ret->user.naddr = pe->unaddr;
	if (pe->unaddr > 0) {
		memcpy(ret->user.addr, p, pe->unaddr * sizeof(struct rsp_addr));
		p += pe->unaddr * sizeof(struct rsp_addr);
	}
	ret->has_asap = pe->has_asap;
	ret->asap.type = pe->atype;
	ret->asap.port = pe->aport;
	ret->asap.use = pe->ause;
	ret->asap.naddr = pe->anaddr;
	if (pe->anaddr > 0) {
		memcpy(ret->asap.addr, p, pe->anaddr * sizeof(struct rsp_addr));
		p += pe->anaddr * sizeof(struct rsp_addr);
	}
	if (pe->opaque_len > 0) {
		ret->user.opaque.p = p;
		ret->user.opaque.len = pe->opaque_len;
	}
	ret->policy.type = pe->pool->policy;
	ret->policy.nval = pe->nval;
	memcpy(ret->policy.val, pe->val, sizeof(ret->policy.val));
}

/* --- errors ----------------------------------------------------------- */

uint16_t
hs_error_cause(int err)
{
	switch (err) {
	case HS_OK:
		return RSP_CAUSE_UNSPECIFIED;
	case HS_E_HANDLE:
	case HS_E_POLICY_VALUE:
	case HS_E_INVAL:
		return RSP_CAUSE_INVALID_VALUES;
	case HS_E_POLICY:
		return RSP_CAUSE_INCONSISTENT_POLICY;
	case HS_E_TRANSPORT:
		return RSP_CAUSE_INCONSISTENT_TRANSPORT;
	case HS_E_DATA_CTRL:
		return RSP_CAUSE_INCONSISTENT_DATA_CTRL;
	case HS_E_NOMEM:
	case HS_E_MAX_POOLS:
	case HS_E_MAX_POOL_PES:
	case HS_E_MAX_PES:
		return RSP_CAUSE_LACK_OF_RESOURCES;
	case HS_E_NO_POOL:
		return RSP_CAUSE_UNKNOWN_POOL_HANDLE;
	default:
		return RSP_CAUSE_UNSPECIFIED;
	}
}

const char *
hs_strerror(int err)
{
	switch (err) {
	case HS_OK:
		return "success";
	case HS_E_NOMEM:
		return "out of memory";
	case HS_E_INVAL:
		return "invalid argument";
	case HS_E_HANDLE:
		return "pool handle empty or longer than the limit";
	case HS_E_POLICY_VALUE:
		return "invalid policy type or missing policy values";
	case HS_E_POLICY:
		return "policy type differs from the pool's";
	case HS_E_TRANSPORT:
		return "transport type differs from the pool's";
	case HS_E_DATA_CTRL:
		return "transport use differs from the pool's";
	case HS_E_MAX_POOLS:
		return "too many pools";
	case HS_E_MAX_POOL_PES:
		return "too many pool elements in the pool";
	case HS_E_MAX_PES:
		return "too many pool elements";
	case HS_E_NO_POOL:
		return "unknown pool handle";
	case HS_E_NO_PE:
		return "unknown pool element";
	default:
		/* An -errno from a caller's own code: name it as such. */
		if (err < 0 && err > HS_E_BASE)
			return strerror(-err);
		return "unknown error";
	}
}
