/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The handlespace tables: pools in a hash table keyed by SipHash of the
 * handle under a per-handlespace random key (so remote parties cannot flood
 * one bucket), PEs in an open-addressing table keyed by (pool, identifier)
 * whose 8-byte slots also say where each PE's probe began (so a lookup
 * costs one slot line and the PE, and a removal reads no other PE), owners
 * (home registrars) in a hash table with the list of their PEs and the
 * unfolded RFC 5353 §3.6.2 checksum sum, and a 4-ary min-heap of expiry
 * times holding each time beside its PE (sifting reads no PE; an entry's
 * children are one cache line).  PEs live in slabs of fixed-size objects
 * with a LIFO free list: no allocator header between PEs to check on a
 * free, and the PE table grows by reading the slabs in order.  Each object
 * has a fixed index (gi, slab order) by which the PE table and the pools'
 * heaps name it; a Weighted Round Robin PE's position in its pool's heap
 * lives in an array indexed by it (4 bytes an object: ppos), so that the
 * heap moves of every WRR answer write that small array, not PEs at random
 * in the slabs.
 * Registration, deregistration, takeover re-homing and expiry live here;
 * selection lives in policy.c.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "hs_internal.h"

/*
 * Under AddressSanitizer, what a slab does not hand out is poisoned like
 * freed memory: a free object but its first 32 bytes (pool, ehash and the
 * free-list link, read by slots_grow), and the slab's unused tail.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define PE_POISON(p, n)		ASAN_POISON_MEMORY_REGION((p), (n))
#define PE_UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define PE_POISON(p, n)		((void)(p), (void)(n))
#define PE_UNPOISON(p, n)	((void)(p), (void)(n))
#endif
#define PE_KEEP		32	/* bytes of a free object left readable */

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

/* Hash of PE id in the pool whose handle hashes to phash. */
static uint64_t
pe_hash(const struct hs *hs, uint64_t phash, uint32_t id)
{
	return mix64(phash ^ hs->pekey ^ (id * 0x9e3779b97f4a7c15ULL));
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
	hs->pcap = hs->ecap = hs->onb = HS_MIN_BUCKETS;
	hs->ps = calloc(hs->pcap, sizeof(*hs->ps));
	hs->es = calloc(hs->ecap, sizeof(*hs->es));
	hs->ob = calloc(hs->onb, sizeof(*hs->ob));
	if (hs->ps == NULL || hs->es == NULL || hs->ob == NULL) {
		hs_free(hs);
		return NULL;
	}
	return hs;
}

static size_t	slab_objs(size_t);
static bool	slab_owns(size_t);

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
			struct hs_pe *pe = HS_KIND_HEAP(pool->kind) ?
			    hs_gi_pe(hs, pool->he[i].gi) :
			    pool->kind == HS_KIND_RING ?
			    pool->re[i].pe : pool->pes[i];

			if (pe->blob != pe->ibuf)
				free(pe->blob);
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
	for (size_t i = 0; i < hs->nslabs; i++) {
		PE_UNPOISON(hs->slabs[i], slab_objs(i) * HS_PE_OBJ);
		if (slab_owns(i))
			free(hs->slabs[i]);
	}
	free(hs->slabs);
	free(hs->ppos);
	free(hs->ps);
	free(hs->es);
	free(hs->ob);
	hs_lines_free(hs->heap, HS_EXP_OFF);
	free(hs);
}

/*
 * A big new array that will be used whole soon is faulted in by one call
 * rather than a page fault at each first touch (a PE slab, the PE table,
 * whose slots are spread at random).
 * Only an optimisation: nothing happens where the kernel cannot.
 */
#define POPULATE_MIN	65536

static void
populate(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a, e;

	if (n < POPULATE_MIN || pg <= 0)
		return;
	a = ((uintptr_t)p + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
	e = ((uintptr_t)p + n) & ~((uintptr_t)pg - 1);
	if (e > a)
		(void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)n;
#endif
}

void *
hs_lines_alloc(size_t off, size_t n)
{
	size_t len = (off + n + 63) & ~(size_t)63;
	uint8_t *p;

	/*
	 * Not populated: a heap or pool array that doubled fills its new
	 * half gradually, and faulting it in at once made the unused
	 * capacity resident (RSS per PE at 100k 309 -> 335 B).
	 */
	if (len < off + n || (p = aligned_alloc(64, len)) == NULL)
		return NULL;
	return p + off;
}

void
hs_lines_free(void *p, size_t off)
{
	if (p != NULL)
		free((uint8_t *)p - off);
}

/* --- PE slabs --------------------------------------------------------- */

/* Objects in slab i (hs_internal.h: HS_SLAB_SMALL, HS_SLAB_BIG). */
static size_t
slab_objs(size_t i)
{
	return i < HS_SLABS_SMALL ? HS_SLAB_SMALL : HS_SLAB_BIG;
}

/*
 * Room in ppos for n objects more; HS_E_NOMEM.  Doubles; from 2 MiB on,
 * in transparent huge pages where the kernel gives them on request: the
 * array is small and written at random on every heap move, so its pages
 * should cost no TLB miss.
 */
#define PPOS_HUGE	((size_t)2 << 20)

static int
pos_reserve(struct hs *hs, size_t n)
{
	size_t cap = hs->poscap ? hs->poscap : 1024, len;
	uint32_t *p;

	if (hs->nobj + n <= hs->poscap)
		return 0;
	while (cap < hs->nobj + n)
		cap *= 2;
	if (cap > UINT32_MAX) {
		if (hs->nobj + n > UINT32_MAX)	/* HS_NOIDX is no index */
			return HS_E_NOMEM;
		cap = UINT32_MAX;
	}
	len = cap * sizeof(*p);
	if (len < PPOS_HUGE) {
		if ((p = realloc(hs->ppos, len)) == NULL)
			return HS_E_NOMEM;
	} else {
		len = (len + PPOS_HUGE - 1) & ~(PPOS_HUGE - 1);
		if ((p = aligned_alloc(PPOS_HUGE, len)) == NULL)
			return HS_E_NOMEM;
#ifdef MADV_HUGEPAGE
		(void)madvise(p, len, MADV_HUGEPAGE);
#endif
		if (hs->nobj > 0)
			memcpy(p, hs->ppos, hs->nobj * sizeof(*p));
		free(hs->ppos);
	}
	hs->ppos = p;
	hs->poscap = (uint32_t)cap;
	return 0;
}

/*
 * Past the first 16 big slabs (135,168 PEs), big slabs come eight at a time
 * from one arena of 10 MiB aligned to 2 MiB: five huge pages where the
 * kernel gives them (MADV_HUGEPAGE, as ppos), so a large handlespace makes
 * its PEs resident in 2 MiB steps instead of one page fault per 4 KiB
 * (about 11 us each on this VM; registrations at 1M in pools of 10: 2.0-2.3
 * walks instead of 3.3-5.1, BENCHMARKS.md, handlespace), and its random PE
 * accesses miss the TLB less.  Not before: a huge page is resident whole
 * before it is used, up to 2 MiB, which is noise at 1M PEs but 20 B per PE
 * at 100k.
 */
#define HS_PLAIN_SLABS	(HS_SLABS_SMALL + 16)	/* allocated one by one */
#define HS_ARENA_SLABS	8
#define HS_HUGE		((size_t)2 << 20)

static uint8_t *
slab_new(struct hs *hs, size_t i)
{
	size_t len = (size_t)HS_ARENA_SLABS * HS_SLAB_BIG * HS_PE_OBJ;
	uint8_t *a;

	if (i < HS_PLAIN_SLABS)
		return hs_lines_alloc(0, slab_objs(i) * HS_PE_OBJ);
	if (!slab_owns(i))	/* the arena's next slab */
		return hs->slabs[i - 1] + (size_t)HS_SLAB_BIG * HS_PE_OBJ;
	if ((a = aligned_alloc(HS_HUGE, len)) == NULL)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(a, len, MADV_HUGEPAGE);
#endif
	return a;
}

/* Slab i's memory is its own allocation (or an arena's first slab's). */
static bool
slab_owns(size_t i)
{
	return i < HS_PLAIN_SLABS ||
	    (i - HS_PLAIN_SLABS) % HS_ARENA_SLABS == 0;
}

/* A zeroed PE (up to its inline blob, but its object index), or NULL. */
static struct hs_pe *
pe_alloc(struct hs *hs)
{
	struct hs_pe *pe;
	uint32_t gi;

	if ((pe = hs->pfree) != NULL) {
		hs->pfree = (struct hs_pe *)pe->owner;
		PE_UNPOISON((uint8_t *)pe + PE_KEEP, HS_PE_OBJ - PE_KEEP);
		gi = pe->gi;
	} else {
		if (hs->bump == hs->bump_end) {
			size_t n = slab_objs(hs->nslabs);
			uint8_t *b;

			if (pos_reserve(hs, n) != 0)
				return NULL;
			if (hs->nslabs == hs->slabcap) {
				size_t cap = hs->slabcap ? hs->slabcap * 2 : 16;
				uint8_t **v = realloc(hs->slabs,
				    cap * sizeof(*v));

				if (v == NULL)
					return NULL;
				hs->slabs = v;
				hs->slabcap = cap;
			}
			if ((b = slab_new(hs, hs->nslabs)) == NULL)
				return NULL;
			populate(b, n * HS_PE_OBJ);	/* all of it is used */
			hs->slabs[hs->nslabs++] = b;
			hs->bump = b;
			hs->bump_end = b + n * HS_PE_OBJ;
			PE_POISON(b, n * HS_PE_OBJ);
		}
		pe = (struct hs_pe *)hs->bump;
		hs->bump += HS_PE_OBJ;
		PE_UNPOISON(pe, HS_PE_OBJ);
		gi = hs->nobj++;
		hs->ppos[gi] = HS_NOIDX;	/* pe_prefetch_pos reads it */
	}
	memset(pe, 0, offsetof(struct hs_pe, ibuf));
	pe->gi = gi;
	return pe;
}

static void
pe_free(struct hs *hs, struct hs_pe *pe)
{
	pe->pool = NULL;
	pe->owner = (struct hs_owner *)hs->pfree;
	hs->pfree = pe;
	PE_POISON((uint8_t *)pe + PE_KEEP, HS_PE_OBJ - PE_KEEP);
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

/*
 * Pool table: open addressing, linear probing, at most half full; a slot
 * holds the full hash (growing and removal read no pool) and the pool's
 * main array, prefetched as soon as the hash matches.
 */
static const void *
pool_arr(const struct hs_pool *pool)
{
	if (HS_KIND_HEAP(pool->kind))
		return pool->he;
	return pool->kind == HS_KIND_RING ? (const void *)pool->re :
	    (const void *)pool->pes;
}

static struct hs_pool *
pool_find(const struct hs *hs, const uint8_t *handle, size_t len, uint64_t h)
{
	size_t mask = hs->pcap - 1, j = h & mask;
	const struct hs_pslot *sl;

	for (; (sl = &hs->ps[j])->pool != NULL; j = (j + 1) & mask) {
		if (sl->hash != h)
			continue;
		if (sl->arr != NULL) {
			/* a small pool's whole array, a heap's top and children */
			const char *a = sl->arr;

			for (int o = 0; o < 384; o += 64)
				__builtin_prefetch(a + o);
		}
		if (sl->pool->hlen == len &&
		    memcmp(sl->pool->handle, handle, len) == 0)
			return sl->pool;
	}
	return NULL;
}

static struct hs_pslot *
pool_slot(struct hs *hs, const struct hs_pool *pool)
{
	size_t mask = hs->pcap - 1, j = pool->hash & mask;

	while (hs->ps[j].pool != pool)
		j = (j + 1) & mask;
	return &hs->ps[j];
}

void
hs_pool_arr_moved(struct hs_pool *pool)
{
	pool_slot(pool->hs, pool)->arr = pool_arr(pool);
}

static void
pslot_put(struct hs_pslot *ps, size_t cap, const struct hs_pslot *e)
{
	size_t mask = cap - 1, j = e->hash & mask;

	while (ps[j].pool != NULL)
		j = (j + 1) & mask;
	ps[j] = *e;
}

/* Room for one more pool; HS_E_NOMEM. */
static int
pslots_reserve(struct hs *hs)
{
	struct hs_pslot *ps;
	size_t ncap = hs->pcap * 2;

	if ((hs->npools + 1) * 2 <= hs->pcap)
		return 0;
	if ((ps = calloc(ncap, sizeof(*ps))) == NULL)
		return HS_E_NOMEM;
	for (size_t i = 0; i < hs->pcap; i++)
		if (hs->ps[i].pool != NULL)
			pslot_put(ps, ncap, &hs->ps[i]);
	free(hs->ps);
	hs->ps = ps;
	hs->pcap = ncap;
	return 0;
}

struct hs_pool *
hs_pool_find(const struct hs *hs, const uint8_t *handle, size_t len)
{
	if (hs == NULL || handle == NULL || len == 0 ||
	    len > hs->lim.max_handle_len)
		return NULL;
	return pool_find(hs, handle, len, siphash(hs->hkey, handle, len));
}

static struct hs_pool *
pool_new(struct hs *hs, const uint8_t *handle, size_t len, uint64_t h,
    const struct rsp_pe *pe)
{
	struct hs_pool *pool;

	if (pslots_reserve(hs) != 0 ||
	    (pool = calloc(1, sizeof(*pool) + len)) == NULL)
		return NULL;
	pool->hash = h;
	pool->hs = hs;
	pool->head = HS_NOIDX;
	pool->hlen = (uint16_t)len;
	memcpy(pool->handle, handle, len);
	pool->hsum = (uint32_t)handle_sum(handle, len);
	pool->policy = pe->policy.type;
	pool->kind = (uint8_t)hs_policy_kind(pe->policy.type);
	pool->ttype = pe->user.type;
	pool->tuse = pe->user.use;

	pslot_put(hs->ps, hs->pcap, &(struct hs_pslot){ h, pool, NULL });
	pool->prev = hs->plast;
	if (hs->plast != NULL)
		hs->plast->next = pool;
	else
		hs->pfirst = pool;
	hs->plast = pool;
	hs->npools++;
	return pool;
}

static void
pool_delete(struct hs *hs, struct hs_pool *pool)
{
	size_t mask = hs->pcap - 1, i, j;

	/* shift back the later slots of the cluster that may move */
	i = (size_t)(pool_slot(hs, pool) - hs->ps);
	for (j = (i + 1) & mask; hs->ps[j].pool != NULL; j = (j + 1) & mask) {
		size_t home = hs->ps[j].hash & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			hs->ps[i] = hs->ps[j];
			i = j;
		}
	}
	hs->ps[i] = (struct hs_pslot){ 0, NULL, NULL };
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

/*
 * Open addressing with linear probing over 8-byte slots: the PE's object
 * index gi in the low 32 bits (the PE is hs_gi_pe(gi); its position in a
 * pool heap, ppos[gi], can be read beside the PE rather than after it),
 * bit 32 set, and in the high 16 the low 16 bits of its home slot, hash &
 * (ecap - 1).  Those bits filter a lookup without reading the PE, and give
 * every slot's home back (its distance from home is below 2^16: a table
 * that would need more grows instead), so a removal shifts its cluster
 * back (no tombstones) without reading any PE.  Empty slot: 0.  At most
 * 3/4 full.
 */
#define SLOT_TAGSHIFT	48
#define SLOT_GI(s)	((uint32_t)(s))
#define SLOT_PE(hs, s)	hs_gi_pe((hs), SLOT_GI(s))
#define SLOT_TAG(s)	((uint32_t)((s) >> SLOT_TAGSHIFT))
#define SLOT_MAKE(gi, h) ((uint64_t)(gi) | UINT64_C(1) << 32 | \
			    ((uint64_t)((h) & 0xffff) << SLOT_TAGSHIFT))
#define SLOT_MAXDIST	0xffff

static size_t
slot_home(const struct hs *hs, size_t j, uint64_t slot)
{
	size_t d = (j - SLOT_TAG(slot)) & 0xffff;

	return (j - d) & (hs->ecap - 1);
}

/*
 * What removing the PE of object index gi from a pool that keeps ppos
 * reads (its entry, found through ppos, and the entry's parent), fetched
 * while the PE itself is: without this, they would wait for the PE's line.
 */
static void
pe_prefetch_pos(const struct hs *hs, const struct hs_pool *pool, uint32_t gi)
{
	uint32_t i;

	if (!HS_PPOS(pool))
		return;
	if ((i = hs->ppos[gi]) < pool->n) {
		__builtin_prefetch(&pool->he[i]);
		__builtin_prefetch(&pool->he[i > 0 ? (i - 1) / 8 : 0]);
	}
}

/*
 * The slot of PE id of the pool whose handle hashes to phash, or -1;
 * removing: prefetch what removing it reads (pe_prefetch_pos).
 */
static ssize_t
pe_slot(const struct hs *hs, const struct hs_pool *pool, uint64_t phash,
    uint32_t id, bool removing)
{
	uint64_t h = pe_hash(hs, phash, id), s;
	size_t mask = hs->ecap - 1, j = h & mask;
	uint32_t tag = (uint32_t)(h & 0xffff);

	while ((s = hs->es[j]) != 0) {
		if (SLOT_TAG(s) == tag) {
			const struct hs_pe *pe = SLOT_PE(hs, s);

			if (removing)
				pe_prefetch_pos(hs, pool, SLOT_GI(s));
			if (pe->id == id && pe->pool == pool)
				return (ssize_t)j;
		}
		j = (j + 1) & mask;
	}
	return -1;
}

struct hs_pe *
hs_pool_lookup(const struct hs *hs, const struct hs_pool *pool, uint32_t id)
{
	ssize_t j;

	if (hs == NULL || pool == NULL)
		return NULL;
	j = pe_slot(hs, pool, pool->hash, id, true);
	return j < 0 ? NULL : SLOT_PE(hs, hs->es[j]);
}

/*
 * Find by handle: the PE's slot is computed from the handle's hash, so its
 * load need not wait for the pool's.
 */
static struct hs_pe *
pe_find(const struct hs *hs, const uint8_t *handle, size_t len, uint32_t id,
    struct hs_pool **ret_pool)
{
	struct hs_pool *pool;
	uint64_t h;
	ssize_t j;

	*ret_pool = NULL;
	if (hs == NULL || handle == NULL || len == 0 ||
	    len > hs->lim.max_handle_len)
		return NULL;
	h = siphash(hs->hkey, handle, len);
	__builtin_prefetch(&hs->es[pe_hash(hs, h, id) & (hs->ecap - 1)]);
	if ((pool = pool_find(hs, handle, len, h)) == NULL)
		return NULL;
	*ret_pool = pool;
	j = pe_slot(hs, pool, h, id, true);
	return j < 0 ? NULL : SLOT_PE(hs, hs->es[j]);
}

struct hs_pe *
hs_lookup(const struct hs *hs, const uint8_t *handle, size_t len, uint32_t id)
{
	struct hs_pool *pool;

	return pe_find(hs, handle, len, id, &pool);
}

/*
 * Put the PE of object index gi into the slot array es of ecap slots (ecap
 * <= 2^32; h: the low bits of its hash, pe->ehash); false if too far from
 * home.
 */
static bool
slot_put(uint64_t *es, size_t ecap, uint32_t gi, uint32_t h)
{
	size_t mask = ecap - 1, j = h & mask, d = 0;

	while (es[j] != 0) {
		if (++d >= SLOT_MAXDIST)
			return false;
		j = (j + 1) & mask;
	}
	es[j] = SLOT_MAKE(gi, h);
	return true;
}

/*
 * Twice the slots (or more if a cluster is too long); HS_E_NOMEM.  The
 * PEs come from the slabs in address order (every live object but skip,
 * which is not linked yet), each with its hash: a sequential read, where
 * going through the old slots would read the PEs at random.
 */
static int
slots_grow(struct hs *hs, const struct hs_pe *skip)
{
	size_t ncap = hs->ecap * 2;

	for (;;) {
		uint64_t *es;
		uint32_t gi = 0;	/* object indices follow slab order */
		bool ok = true;

		if (ncap > (size_t)1 << 32 ||
		    (es = calloc(ncap, sizeof(*es))) == NULL)
			return HS_E_NOMEM;
		populate(es, ncap * sizeof(*es));
		for (size_t i = 0; ok && i < hs->nslabs; i++) {
			uint8_t *p = hs->slabs[i];
			uint8_t *end = i + 1 == hs->nslabs ? hs->bump :
			    p + slab_objs(i) * HS_PE_OBJ;

			for (; p < end; p += HS_PE_OBJ, gi++) {
				struct hs_pe *pe = (struct hs_pe *)p;

				if (pe->pool == NULL || pe == skip)
					continue;
				if (!slot_put(es, ncap, gi, pe->ehash)) {
					ok = false;
					break;
				}
			}
		}
		if (ok) {
			free(hs->es);
			hs->es = es;
			hs->ecap = ncap;
			return 0;
		}
		free(es);
		ncap *= 2;
	}
}

/* Room for one more PE (before anything else is linked). */
static int
slots_reserve(struct hs *hs)
{
	if ((hs->npes + 1) * 4 <= hs->ecap * 3)
		return 0;
	return slots_grow(hs, NULL);
}

static int
pe_link(struct hs *hs, struct hs_pe *pe)
{
	pe->ehash = (uint32_t)pe_hash(hs, pe->pool->hash, pe->id);
	while (!slot_put(hs->es, hs->ecap, pe->gi, pe->ehash))
		if (slots_grow(hs, pe) != 0)
			return HS_E_NOMEM;
	hs->npes++;
	return 0;
}

static void
pe_unlink(struct hs *hs, struct hs_pe *pe)
{
	size_t mask = hs->ecap - 1, i, j;
	uint64_t mine = SLOT_MAKE(pe->gi, pe->ehash), s;

	/* its slot holds exactly mine: found without reading another PE */
	for (i = pe->ehash & mask; (s = hs->es[i]) != mine;
	    i = (i + 1) & mask)
		if (s == 0)
			return;
	/* shift back every later slot of the cluster that may move */
	for (j = (i + 1) & mask; hs->es[j] != 0; j = (j + 1) & mask) {
		size_t home = slot_home(hs, j, hs->es[j]);

		if (((j - home) & mask) >= ((j - i) & mask)) {
			hs->es[i] = hs->es[j];
			i = j;
		}
	}
	hs->es[i] = 0;
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
heap_place(struct hs *hs, size_t i, struct hs_exp e)
{
	hs->heap[i] = e;
	e.pe->hidx = (uint32_t)i;
}

#define EXP_D		4	/* children of i: EXP_D i + 1 .. EXP_D i + EXP_D */

static void
heap_up(struct hs *hs, size_t i)
{
	struct hs_exp e = hs->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / EXP_D;

		if (hs->heap[p].at <= e.at)
			break;
		heap_place(hs, i, hs->heap[p]);
		i = p;
	}
	heap_place(hs, i, e);
}

static void
heap_down(struct hs *hs, size_t i)
{
	struct hs_exp e = hs->heap[i];

	for (;;) {
		size_t c = EXP_D * i + 1, m = c, end;

		if (c >= hs->nheap)
			break;
		end = c + EXP_D < hs->nheap ? c + EXP_D : hs->nheap;
		for (c++; c < end; c++)
			if (hs->heap[c].at < hs->heap[m].at)
				m = c;
		if (e.at <= hs->heap[m].at)
			break;
		heap_place(hs, i, hs->heap[m]);
		i = m;
	}
	heap_place(hs, i, e);
}

static int
heap_reserve(struct hs *hs)
{
	struct hs_exp *h;
	size_t cap;

	if (hs->nheap < hs->heapcap)
		return 0;
	cap = hs->heapcap ? hs->heapcap * 2 : 64;
	if (cap > UINT32_MAX ||
	    (h = hs_lines_alloc(HS_EXP_OFF, cap * sizeof(*h))) == NULL)
		return HS_E_NOMEM;
	if (hs->nheap > 0)
		memcpy(h, hs->heap, hs->nheap * sizeof(*h));
	hs_lines_free(hs->heap, HS_EXP_OFF);
	hs->heap = h;
	hs->heapcap = cap;
	return 0;
}

static void
heap_del(struct hs *hs, struct hs_pe *pe)
{
	size_t i = pe->hidx;
	struct hs_exp last;

	if (i == HS_NOIDX)
		return;
	pe->hidx = HS_NOIDX;
	last = hs->heap[--hs->nheap];
	if (last.pe == pe)
		return;
	heap_place(hs, i, last);
	if (i > 0 && hs->heap[(i - 1) / EXP_D].at > last.at)
		heap_up(hs, i);
	else
		heap_down(hs, i);
}

/* Capacity was reserved by heap_reserve() when pe is not yet in it. */
static void
heap_set(struct hs *hs, struct hs_pe *pe, uint64_t expires)
{
	size_t i;

	if (expires == HS_NEVER) {
		heap_del(hs, pe);
		return;
	}
	if (pe->hidx == HS_NOIDX) {
		heap_place(hs, hs->nheap++, (struct hs_exp){ expires, pe });
		heap_up(hs, pe->hidx);
		return;
	}
	i = pe->hidx;
	if (expires < hs->heap[i].at) {
		hs->heap[i].at = expires;
		heap_up(hs, i);
	} else {
		hs->heap[i].at = expires;
		heap_down(hs, i);
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

/*
 * A PE's blob (the addresses actually present, then the opaque bytes) is
 * kept in the PE's object when it is small (HS_BLOB_INLINE bytes), as it
 * nearly always is: one cache-line neighbourhood per PE.
 */

static size_t
blob_size(const struct rsp_pe *pe)
{
	size_t un = pe->user.naddr, an = pe->has_asap ? pe->asap.naddr : 0;

	return (un + an) * sizeof(struct rsp_addr) + pe->user.opaque.len;
}

static void
blob_fill(const struct rsp_pe *pe, uint8_t *p)
{
	size_t un = pe->user.naddr, an = pe->has_asap ? pe->asap.naddr : 0;

	memcpy(p, pe->user.addr, un * sizeof(struct rsp_addr));
	p += un * sizeof(struct rsp_addr);
	memcpy(p, pe->asap.addr, an * sizeof(struct rsp_addr));
	p += an * sizeof(struct rsp_addr);
	if (pe->user.opaque.len > 0)
		memcpy(p, pe->user.opaque.p, pe->user.opaque.len);
}

/* A separate copy of the blob for PE e (NULL when empty). */
static int
make_blob(struct hs_pe *e, const struct rsp_pe *pe, uint8_t **ret,
    size_t *ret_len)
{
	size_t len = blob_size(pe);
	uint8_t *b;

	*ret = NULL;
	*ret_len = len;
	if (len == 0)
		return 0;
	if (e != NULL && len <= e->blen_in) {
		*ret = e->ibuf;		/* filled by copy_fields */
		return 0;
	}
	if ((b = malloc(len)) == NULL)
		return HS_E_NOMEM;
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
	if (blob != NULL)
		blob_fill(src, blob);
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

/* What hs_register() checks of the PE itself. */
static int
check_pe(const struct rsp_pe *pe)
{
	int need, rc;

	if ((rc = check_transport(&pe->user)) != 0 ||
	    (pe->has_asap && (rc = check_transport(&pe->asap)) != 0))
		return rc;
	if ((need = hs_policy_nval(pe->policy.type)) < 0 ||
	    pe->policy.nval < need)
		return HS_E_POLICY_VALUE;
	return 0;
}

static int	register_in(struct hs *, struct hs_pool *, const uint8_t *,
		    size_t, uint64_t, const struct rsp_pe *, uint64_t,
		    struct hs_pe **, bool *);

int
hs_register(struct hs *hs, const uint8_t *handle, size_t len,
    const struct rsp_pe *pe, uint64_t expires, struct hs_pe **ret_pe,
    bool *ret_new)
{
	uint64_t h;
	int rc;

	if (hs == NULL || handle == NULL || pe == NULL)
		return HS_E_INVAL;
	/* RFC 5354 §3.9: a handle we cannot hold is an invalid value */
	if (len == 0 || len > hs->lim.max_handle_len)
		return HS_E_HANDLE;
	if ((rc = check_pe(pe)) != 0)
		return rc;
	h = siphash(hs->hkey, handle, len);
	__builtin_prefetch(&hs->es[pe_hash(hs, h, pe->id) & (hs->ecap - 1)]);
	return register_in(hs, pool_find(hs, handle, len, h), handle, len, h,
	    pe, expires, ret_pe, ret_new);
}

int
hs_pool_register(struct hs *hs, struct hs_pool *pool, const struct rsp_pe *pe,
    uint64_t expires, struct hs_pe **ret_pe, bool *ret_new)
{
	int rc;

	if (hs == NULL || pool == NULL || pe == NULL || pool->hs != hs)
		return HS_E_INVAL;
	if ((rc = check_pe(pe)) != 0)
		return rc;
	__builtin_prefetch(&hs->es[pe_hash(hs, pool->hash, pe->id) &
	    (hs->ecap - 1)]);
	return register_in(hs, pool, pool->handle, pool->hlen, pool->hash, pe,
	    expires, ret_pe, ret_new);
}

/* Register pe into pool (NULL: a new pool of handle/len, hash h). */
static int
register_in(struct hs *hs, struct hs_pool *pool, const uint8_t *handle,
    size_t len, uint64_t h, const struct rsp_pe *pe, uint64_t expires,
    struct hs_pe **ret_pe, bool *ret_new)
{
	struct hs_owner *owner;
	struct hs_pe *e;
	uint8_t *blob;
	size_t blen;
	int rc;
	bool new_pool = false;

	if (pool != NULL) {
		ssize_t j;

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
		if ((j = pe_slot(hs, pool, h, pe->id, false)) >= 0) {
			e = SLOT_PE(hs, hs->es[j]);
			goto update;
		}
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
	if (slots_reserve(hs) != 0)
		return HS_E_NOMEM;
	if ((e = pe_alloc(hs)) == NULL)
		return HS_E_NOMEM;
	e->blen_in = (uint8_t)HS_BLOB_INLINE;
	if (make_blob(e, pe, &blob, &blen) != 0)
		goto out_pe;
	if ((owner = owner_get(hs, pe->home_id)) == NULL)
		goto out_blob;
	if (pool == NULL) {
		if ((pool = pool_new(hs, handle, len, h, pe)) == NULL)
			goto out_owner;
		new_pool = true;
	}
	e->id = pe->id;
	e->pool = pool;
	e->hidx = HS_NOIDX;
	copy_fields(e, pe, blob);
	e->nval = pe->policy.nval > RSP_POLICY_MAX_VALUES ?
	    RSP_POLICY_MAX_VALUES : pe->policy.nval;
	memcpy(e->val, pe->policy.val, e->nval * sizeof(e->val[0]));
	if (pe_link(hs, e) != 0)
		goto out_pool;
	if (hs_pol_add(pool, e) != 0) {
		pe_unlink(hs, e);
		goto out_pool;
	}
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
	if ((rc = make_blob(e, pe, &blob, &blen)) != 0) {
		if (owner->n == 0)
			owner_remove(hs, owner);
		return rc;
	}
	hs->addr_bytes -= blob_len(e);
	hs->addr_bytes += blen;
	if (e->blob != e->ibuf)
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
out_blob:
	if (blob != e->ibuf)
		free(blob);
out_pe:
	pe_free(hs, e);
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
	if (pe->blob != pe->ibuf)
		free(pe->blob);
	pe_free(hs, pe);
	if (pool->n == 0)
		pool_delete(hs, pool);
}

int
hs_deregister(struct hs *hs, const uint8_t *handle, size_t len, uint32_t id)
{
	struct hs_pool *pool;
	struct hs_pe *pe;

	if ((pe = pe_find(hs, handle, len, id, &pool)) == NULL)
		return pool == NULL ? HS_E_NO_POOL : HS_E_NO_PE;
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

	while (hs != NULL && hs->nheap > 0 && hs->heap[0].at <= now) {
		struct hs_pe *pe = hs->heap[0].pe;

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
	return hs->heap[0].at;
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

static struct hs_pe *
pool_pe_at(const struct hs_pool *pool, uint32_t i)
{
	if (i >= pool->n)
		return NULL;
	if (HS_KIND_HEAP(pool->kind))
		return hs_gi_pe(pool->hs, pool->he[i].gi);
	return pool->kind == HS_KIND_RING ? pool->re[i].pe : pool->pes[i];
}

struct hs_pe *
hs_pe_first(const struct hs_pool *pool)
{
	return pool_pe_at(pool, 0);
}

struct hs_pe *
hs_pe_next(const struct hs_pe *pe)
{
	return pool_pe_at(pe->pool, hs_pol_pos(pe->pool, pe) + 1);
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
	if (pe->hidx == HS_NOIDX)
		return HS_NEVER;
	return pe->pool->hs->heap[pe->hidx].at;
}

uint32_t
hs_pe_counter(const struct hs_pe *pe)
{
	return hs_pol_counter(pe->pool, pe);
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

	/*
	 * Field by field, not a memset of the whole 680 bytes (a third of
	 * the cost of a PE in a resolution answer): the address arrays are
	 * filled up to naddr, which is all any reader looks at.
	 */
	ret->user.opaque.p = NULL;
	ret->user.opaque.len = 0;
	ret->asap.service_code = 0;
	ret->asap.opaque.p = NULL;
	ret->asap.opaque.len = 0;
	ret->registrant_kind = 0;
	ret->registrant.p = NULL;
	ret->registrant.len = 0;
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
