/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals shared by the handlespace files: the structures behind the
 * opaque types of handlespace.h, the random generator, and the interface
 * between the table code (handlespace.c) and the selection policies
 * (policy.c), which owns each pool's PE array and per-policy index.
 */
#ifndef ANYPOOL_HS_INTERNAL_H
#define ANYPOOL_HS_INTERNAL_H

#include <stddef.h>

#include "handlespace.h"

#define HS_NOIDX	UINT32_MAX

/* How a pool keeps its PEs for selection. */
enum hs_kind {
	HS_KIND_RING,		/* RR, and policies we do not know */
	HS_KIND_WRR,		/* heap by virtual finish time */
	HS_KIND_RAND,		/* the PE array alone */
	HS_KIND_WEIGHTED,	/* WRAND, RLU: 8-ary sum tree over the array */
	HS_KIND_TREE,		/* PRIO, LU, LUD, PLU: heap by key */
};

/* The heap kinds (WRR, TREE) keep their PEs in hs_pool.he, the rest in pes. */
#define HS_KIND_HEAP(k)	((k) == HS_KIND_WRR || (k) == HS_KIND_TREE)

/*
 * An entry of a pool's selection heap: the whole sort key inline, so that
 * ordering never reads a PE.  Tree policies: k1 the key, k2 the tie
 * sequence (LU family) or the identifier (Priority).  WRR: k1 the virtual
 * finish time numerator, k2 weight << 32 | identifier (weight 0: last),
 * and vt that time as one 64-bit number, floor(2^32 k1 / weight)
 * (saturated; UINT64_MAX for weight 0), which orders two entries by one
 * compare unless it ties (then k1 / weight decides exactly, in 128 bits).
 * LUD also keeps the PE's degradation counter and its load degradation
 * here, so that counting a PE handed out reads no PE.  The PE is named by
 * its object index gi (hs_gi_pe), so that moving a WRR entry writes its new
 * position into hs->ppos[gi], 4 bytes of a small array, and not into the
 * PE, a random line of the slabs.  32 bytes: the 8 children of an entry
 * fill 4 cache lines exactly (see HS_HE_OFF).
 */
struct hs_hent {
	uint64_t	 k1, k2;
	uint32_t	 gi;		/* the PE's object index */
	uint32_t	 spare;
	union {
		struct {
			uint32_t cnt;	/* LUD: degradation counter */
			uint32_t deg;	/* LUD: load degradation (val[1]) */
		};
		uint64_t	 vt;	/* WRR: k1 / weight, fixed point */
	};
};

/*
 * Arrays that are searched by groups of children start this many bytes
 * into a 64-byte-aligned allocation, so that each group is whole lines:
 * the pool heap (children of i at 8i+1..8i+8, 32 B each) and the expiry
 * heap (children of i at 4i+1..4i+4, 16 B each).
 */
#define HS_HE_OFF	32
#define HS_EXP_OFF	48

/* A Round Robin pool's PE and its neighbours on the circle (positions). */
struct hs_rent {
	struct hs_pe	*pe;
	uint32_t	 next, prev;
};

/*
 * A slot of the pool table (open addressing): the handle's hash, the pool,
 * and the pool's main array (he, re or pes), so that the array's first
 * lines are fetched while the pool itself is being compared.
 */
struct hs_pslot {
	uint64_t	 hash;
	struct hs_pool	*pool;
	const void	*arr;
};

struct hs_owner {
	struct hs_owner	*hnext;
	struct hs_pe	*first;		/* list of its PEs */
	uint64_t	 acc;		/* unfolded checksum sum, RFC 5353 §3.6.2 */
	size_t		 n;
	uint32_t	 id;
};

/*
 * A PE: only what is needed to export it and to find it again.  Where it
 * sits in its pool (pes[], re[] or the heap he[]) and in the expiry heap
 * are indices; its sort key and expiry time live in those arrays.  PEs live
 * in slabs of HS_PE_OBJ-byte objects (handlespace.c), each with a fixed
 * object index gi, its number in slab order: the PE table's slots and a
 * pool heap's entries name their PE by it, and a WRR pool keeps its
 * position in hs->ppos[gi] rather than in the PE (see HS_PPOS).  What a
 * lookup and a removal read first is in the first 32 bytes, which never
 * straddle a cache line.  A free object has pool NULL and owner the next
 * free one.
 */
struct hs_pe {
	uint32_t	 id;
	uint32_t	 idx;		/* in pes, re or he (not HS_PPOS) */
	struct hs_pool	*pool;
	uint32_t	 hidx;		/* in the expiry heap, or HS_NOIDX */
	uint32_t	 ehash;		/* low 32 bits of its PE-table hash */
	struct hs_owner	*owner;
	uint32_t	 gi;		/* object index: kept while free */
	int32_t		 life;
	struct hs_pe	*oprev, *onext;	/* owner's list */
	uint8_t		*blob;		/* user addrs, ASAP addrs, opaque bytes */
	void		*udata;		/* the registrar's own state of the PE */
	uint32_t	 val[RSP_POLICY_MAX_VALUES];
	uint32_t	 service_code;
	uint32_t	 registrant;	/* the registrar's token, 0: none */
	uint16_t	 utype, uport, uuse;
	uint16_t	 atype, aport, ause;
	uint16_t	 opaque_len;
	uint8_t		 nval;
	uint8_t		 unaddr, anaddr;
	uint8_t		 has_asap;
	uint8_t		 hidden;	/* reported unreachable: not handed out */
	uint8_t		 blen_in;	/* bytes of blob stored inline, in ibuf */
	uint8_t		 ibuf[];	/* a small blob, allocated with the PE */
};

/* Bytes per PE object: 5 half lines, so the first 32 never straddle. */
#define HS_PE_OBJ	160
#define HS_BLOB_INLINE	(HS_PE_OBJ - offsetof(struct hs_pe, ibuf))
_Static_assert(HS_PE_OBJ % 32 == 0 && HS_BLOB_INLINE >= 34 &&
    HS_BLOB_INLINE <= UINT8_MAX, "PE object: half lines, two IPv4 inline");

struct hs_pool {
	struct hs_pool	*prev, *next;	/* list of all pools */
	struct hs	*hs;
	uint64_t	 hash;
	struct hs_pe	**pes;		/* RAND, WEIGHTED: dense array, pe->idx */
	struct hs_rent	*re;		/* RING: dense array with the circle */
	struct hs_hent	*he;		/* heap kinds: 8-ary min-heap, pe->idx */
	uint64_t	*fw;		/* WEIGHTED: 8-ary sum tree, after pes */
	uint64_t	 wsum;		/* total weight (HS_KIND_WEIGHTED) */
	uint64_t	 seq;		/* tie rotation sequence */
	uint32_t	 n, cap;
	uint32_t	 head;		/* HS_KIND_RING: position of the head */
	uint32_t	 policy;
	uint32_t	 hsum;		/* checksum words of the padded handle */
	uint16_t	 ttype, tuse;
	uint16_t	 hlen;
	uint8_t		 kind;
	uint8_t		 handle[];
};

/* An entry of the expiry heap: the time inline, so sifting reads no PE. */
struct hs_exp {
	uint64_t	 at;
	struct hs_pe	*pe;
};

struct hs {
	struct hs_limits lim;
	uint64_t	 rng[4];
	uint64_t	 hkey[2];	/* SipHash key for pool handles */
	uint64_t	 pekey;
	struct hs_pslot	*ps;		/* pool slots */
	size_t		 pcap, npools;
	struct hs_pool	*pfirst, *plast;
	uint64_t	*es;		/* PE slots, key (pool, id): see pe_find */
	size_t		 ecap, npes;
	struct hs_owner	**ob;		/* owner buckets */
	size_t		 onb, nowners;
	struct hs_exp	*heap;		/* expiry 4-ary min-heap (HS_EXP_OFF) */
	size_t		 nheap, heapcap;
	size_t		 addr_bytes;
	/* PE slabs: no allocator bookkeeping beside a PE, LIFO reuse */
	uint8_t		**slabs;
	size_t		 nslabs, slabcap;
	uint8_t		*bump, *bump_end;	/* unused part of the last */
	struct hs_pe	*pfree;		/* free objects, through ->owner */
	/*
	 * By object index: the position of the PE in its pool's heap where
	 * HS_PPOS(pool) (other PEs: HS_NOIDX or stale).
	 */
	uint32_t	*ppos;
	uint32_t	 nobj;		/* objects the slabs hold: next gi */
	uint32_t	 poscap;	/* entries of ppos */
};

/*
 * Objects in slab i: HS_SLAB_SMALL (80 KiB) in the first HS_SLABS_SMALL,
 * then HS_SLAB_BIG (1.25 MiB, faulted in by one call; past the first 16,
 * eight to a huge-page arena: handlespace.c slab_new()): little unused at
 * small sizes, few allocations and page faults at large ones.  Object
 * indices follow slab order, so the object of an index is found by
 * arithmetic and one read of the (small, hot) slab table.
 */
#define HS_SLAB_SMALL_SHIFT	9
#define HS_SLAB_BIG_SHIFT	13
#define HS_SLABS_SMALL		8
#define HS_SLAB_SMALL		(1u << HS_SLAB_SMALL_SHIFT)
#define HS_SLAB_BIG		(1u << HS_SLAB_BIG_SHIFT)
#define HS_GI_SMALL		(HS_SLABS_SMALL * HS_SLAB_SMALL)

static inline struct hs_pe *
hs_gi_pe(const struct hs *hs, uint32_t gi)
{
	size_t s, o;

	if (__builtin_expect(gi < HS_GI_SMALL, 0)) {
		s = gi >> HS_SLAB_SMALL_SHIFT;
		o = gi & (HS_SLAB_SMALL - 1);
	} else {
		s = HS_SLABS_SMALL + ((gi - HS_GI_SMALL) >> HS_SLAB_BIG_SHIFT);
		o = (gi - HS_GI_SMALL) & (HS_SLAB_BIG - 1);
	}
	return (struct hs_pe *)(void *)(hs->slabs[s] + o * HS_PE_OBJ);
}

/*
 * A pool of at most this capacity keeps no position of its PEs (pe->idx,
 * ppos): a PE's position is found by scanning the pool's array, a few
 * lines fetched with the pool, so that moving entries writes nothing else.
 */
#define HS_SMALL_CAP	12
#define HS_POOL_SMALL(pool)	((pool)->cap <= HS_SMALL_CAP)

/*
 * Whether the pool keeps its PEs' positions in hs->ppos rather than in
 * pe->idx: Weighted Round Robin's, whose head sinks to the bottom of the
 * heap on every answer, moving an entry per level (a PE written at random
 * per level otherwise).  The other heap kinds move an entry or two per
 * answer, and their removals would wait for one more line (ppos) after
 * the PE: they keep pe->idx.
 */
#define HS_PPOS(pool)	((pool)->kind == HS_KIND_WRR && !HS_POOL_SMALL(pool))

/* xoshiro256** */
static inline uint64_t
hs_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t
hs_rand64(struct hs *hs)
{
	uint64_t *s = hs->rng;
	uint64_t r = hs_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = hs_rotl(s[3], 45);
	return r;
}

/* Uniform in [0, bound), bound > 0 (Lemire's method, unbiased). */
static inline uint64_t
hs_rand_below(struct hs *hs, uint64_t bound)
{
	unsigned __int128 m = (unsigned __int128)hs_rand64(hs) * bound;
	uint64_t lo = (uint64_t)m;

	if (lo < bound) {
		uint64_t t = -bound % bound;

		while (lo < t) {
			m = (unsigned __int128)hs_rand64(hs) * bound;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* handlespace.c: the pool's main array moved (pool_grow) */
void		 hs_pool_arr_moved(struct hs_pool *pool);
/* A 64-byte-aligned array of n bytes whose use starts off bytes in. */
void		*hs_lines_alloc(size_t off, size_t n);
void		 hs_lines_free(void *p, size_t off);

/* policy.c */
enum hs_kind	 hs_policy_kind(uint32_t type);
int		 hs_policy_nval(uint32_t type);	/* -1: reserved/invalid */
int		 hs_pol_add(struct hs_pool *pool, struct hs_pe *pe);
void		 hs_pol_del(struct hs_pool *pool, struct hs_pe *pe);
void		 hs_pol_update(struct hs_pool *pool, struct hs_pe *pe,
		    const struct rsp_policy *p);
void		 hs_pol_free(struct hs_pool *pool);
uint32_t	 hs_pol_counter(const struct hs_pool *pool,
		    const struct hs_pe *pe);
uint32_t	 hs_pol_pos(const struct hs_pool *pool, const struct hs_pe *pe);

#endif
