/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The registrar's handlespace (RFC 5351 §2, RFC 5353): pools keyed by pool
 * handle, Pool Elements keyed by identifier within their pool, each PE with
 * its home registrar (owner), registration life and transport addresses.
 * It selects PEs for handle resolution with the nine RFC 5356 policies,
 * keeps the RFC 5353 §3.6.2 PE checksum of every owner incrementally, keeps
 * an expiry index of registration lifetimes, and enforces configurable limits.
 * Every operation is O(log n) in the number of PEs (resolution of k PEs:
 * O(k log n)); nothing here does I/O, logs or reads the clock: times are
 * whatever unit the caller uses for "now" and "expires".
 */
#ifndef ANYPOOL_HANDLESPACE_H
#define ANYPOOL_HANDLESPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

struct hs;
struct hs_pool;
struct hs_pe;

/* Expiry time of a PE that never expires (Registration Life -1). */
#define HS_NEVER	UINT64_MAX

/*
 * Error codes: every function that can fail returns 0 or one of these
 * (negative).  hs_error_cause() maps them to the RFC 5354 §3.12 cause to
 * send back; hs_strerror() names them.  They lie below HS_E_BASE, far
 * from every -errno (Linux's are above -4096), so neither is ever taken
 * for the other; hs_strerror() of an -errno is strerror()'s text.
 */
#define HS_E_BASE	(-5000)
enum hs_error {
	HS_OK		  = 0,
	HS_E_NOMEM	  = HS_E_BASE - 1,	/* allocation failed */
	HS_E_INVAL	  = HS_E_BASE - 2,	/* bad argument */
	HS_E_HANDLE	  = HS_E_BASE - 3,	/* handle empty or too long */
	HS_E_POLICY_VALUE = HS_E_BASE - 4,	/* bad policy or values */
	HS_E_POLICY	  = HS_E_BASE - 5,	/* policy differs from pool's */
	HS_E_TRANSPORT	  = HS_E_BASE - 6,	/* transport type differs */
	HS_E_DATA_CTRL	  = HS_E_BASE - 7,	/* Transport Use differs */
	HS_E_MAX_POOLS	  = HS_E_BASE - 8,	/* limit: number of pools */
	HS_E_MAX_POOL_PES = HS_E_BASE - 9,	/* limit: PEs in one pool */
	HS_E_MAX_PES	  = HS_E_BASE - 10,	/* limit: PEs in all */
	HS_E_NO_POOL	  = HS_E_BASE - 11,	/* no pool with that handle */
	HS_E_NO_PE	  = HS_E_BASE - 12,	/* no PE with that identifier */
};

/* Limits; 0 in a field means "no limit" (max_handle_len: the default). */
struct hs_limits {
	size_t		 max_pools;
	size_t		 max_pool_pes;	/* PEs in one pool */
	size_t		 max_pes;	/* PEs in the whole handlespace */
	size_t		 max_handle_len; /* default RSP_POOL_HANDLE_MAX_DEFAULT */
};

/* Defaults: 65536 pools, 65536 PEs per pool, 1048576 PEs, handles of 32. */
void		 hs_limits_default(struct hs_limits *ret);

/*
 * A new, empty handlespace with the given limits (NULL: defaults).  Its
 * hash keys and random generator are seeded from getrandom().  NULL if out
 * of memory.
 */
struct hs	*hs_new(const struct hs_limits *lim);
/* Free everything; NULL is fine. */
void		 hs_free(struct hs *hs);
/* Reseed the random generator used by the random policies (for tests). */
void		 hs_seed(struct hs *hs, uint64_t seed);

/*
 * Register or re-register (update) PE pe in the pool with handle
 * handle/len, creating the pool if needed; the PE's home registrar is
 * pe->home_id and it expires at `expires` (HS_NEVER: never).  Everything
 * kept is copied.  RFC 5352 §3.1 / RFC 5353: the first PE of a pool fixes
 * the pool's policy type, user transport type and Transport Use; later PEs
 * must match.  A re-registration updates addresses, policy values, life,
 * home and expiry (and resets the LUD degradation counter, RFC 5356 §5.2).
 * *ret_new (optional) says whether the PE is new, *ret_pe (optional) gets
 * the PE.  Returns 0 or an enum hs_error.
 */
int		 hs_register(struct hs *hs, const uint8_t *handle, size_t len,
		    const struct rsp_pe *pe, uint64_t expires,
		    struct hs_pe **ret_pe, bool *ret_new);
/*
 * hs_register() into a pool the caller already holds (found by
 * hs_pool_find() or a lookup since the last change of the handlespace):
 * the same checks, limits and result, without hashing the handle again.
 */
int		 hs_pool_register(struct hs *hs, struct hs_pool *pool,
		    const struct rsp_pe *pe, uint64_t expires,
		    struct hs_pe **ret_pe, bool *ret_new);
/* Remove PE id from pool handle/len: 0, HS_E_NO_POOL or HS_E_NO_PE. */
int		 hs_deregister(struct hs *hs, const uint8_t *handle, size_t len,
		    uint32_t id);
/* Remove a PE found by lookup or iteration (its pool goes when empty). */
void		 hs_remove(struct hs *hs, struct hs_pe *pe);
/* Set a PE's expiry time (e.g. after a keep-alive). */
void		 hs_set_expiry(struct hs *hs, struct hs_pe *pe, uint64_t expires);

struct hs_pool	*hs_pool_find(const struct hs *hs, const uint8_t *handle,
		    size_t len);
struct hs_pe	*hs_lookup(const struct hs *hs, const uint8_t *handle,
		    size_t len, uint32_t id);
struct hs_pe	*hs_pool_lookup(const struct hs *hs, const struct hs_pool *pool,
		    uint32_t id);

/*
 * Handle resolution (RFC 5352 §3.3, RFC 5356 §4-§5): write up to n distinct
 * PEs of the pool into ret[], in the order of the pool's policy, and their
 * number into *ret_count.  Stateful policies advance their state (RR/WRR
 * head, LU tie rotation, LUD counters).  Weight 0 (WRR, WRAND) and load
 * 0xffffffff (RLU) PEs are never chosen.  0 or HS_E_NO_POOL.
 */
int		 hs_resolve(struct hs *hs, const uint8_t *handle, size_t len,
		    size_t n, struct hs_pe **ret, size_t *ret_count);
size_t		 hs_pool_resolve(struct hs *hs, struct hs_pool *pool, size_t n,
		    struct hs_pe **ret);

/*
 * Expiry index.  hs_expire() removes every PE with expires <= now, earliest
 * first, calling cb (if not NULL) on each just before it is removed (the PE
 * is still complete then; cb must not change the handlespace).  Returns the
 * number removed.  hs_next_expiry() is the earliest expiry, or HS_NEVER.
 */
typedef void	(*hs_pe_cb)(struct hs *hs, struct hs_pe *pe, void *arg);
size_t		 hs_expire(struct hs *hs, uint64_t now, hs_pe_cb cb, void *arg);
uint64_t	 hs_next_expiry(const struct hs *hs);

/*
 * Owners (home registrars).  hs_rehome() makes every PE of owner `from` a PE
 * of owner `to` (ENRP takeover, RFC 5353 §3.5.2) and returns how many moved.
 * hs_owner_delete() removes every PE of owner (calling cb first, as
 * hs_expire() does) and returns how many went.
 */
size_t		 hs_rehome(struct hs *hs, uint32_t from, uint32_t to);
size_t		 hs_owner_delete(struct hs *hs, uint32_t owner, hs_pe_cb cb,
		    void *arg);
size_t		 hs_owner_count(const struct hs *hs, uint32_t owner);

/*
 * RFC 5353 §3.6.2: the PE checksum of the PEs owned by `owner` (16 bits,
 * host order; write it big-endian).  0xffff when it owns none.
 */
uint16_t	 hs_checksum(const struct hs *hs, uint32_t owner);
/* The same, computed from scratch over any set of (handle, id) blocks. */
uint64_t	 hs_checksum_add(uint64_t acc, const uint8_t *handle, size_t len,
		    uint32_t id);
uint16_t	 hs_checksum_fold(uint64_t acc);

/* Counts. */
size_t		 hs_npools(const struct hs *hs);
size_t		 hs_npes(const struct hs *hs);

/*
 * Iteration, for table dumps (RFC 5353 §3.2.3).  Do not change the
 * handlespace while iterating (hs_owner_delete() and hs_expire() are the
 * safe bulk removals); a resolution of a Random pool reorders its PEs.
 */
struct hs_pool	*hs_pool_first(const struct hs *hs);
struct hs_pool	*hs_pool_next(const struct hs_pool *pool);
struct hs_pe	*hs_pe_first(const struct hs_pool *pool);
struct hs_pe	*hs_pe_next(const struct hs_pe *pe);
/* PEs owned by one registrar (ENRP "own children only" dumps). */
struct hs_pe	*hs_owner_first(const struct hs *hs, uint32_t owner);
struct hs_pe	*hs_owner_next(const struct hs_pe *pe);

/* Pool accessors. */
const uint8_t	*hs_pool_handle(const struct hs_pool *pool, size_t *ret_len);
uint32_t	 hs_pool_policy(const struct hs_pool *pool);
size_t		 hs_pool_count(const struct hs_pool *pool);

/* PE accessors. */
struct hs_pool	*hs_pe_pool(const struct hs_pe *pe);
uint32_t	 hs_pe_id(const struct hs_pe *pe);
uint32_t	 hs_pe_home(const struct hs_pe *pe);
uint64_t	 hs_pe_expires(const struct hs_pe *pe);
/* RFC 5356 §5.2 degradation counter (LUD pools; 0 elsewhere). */
uint32_t	 hs_pe_counter(const struct hs_pe *pe);
/*
 * The PE as the codec describes it (for encoding): id, home, life, user
 * and ASAP transports with their addresses, policy (type = the pool's).
 * An opaque transport's bytes point into the handlespace (valid until the
 * PE changes).
 */
void		 hs_pe_export(const struct hs_pe *pe, struct rsp_pe *ret);

/*
 * The caller's own pointer for a PE (e.g. the registrar's keep-alive state);
 * NULL until set.  The handlespace never looks at it.
 */
void		*hs_pe_udata(const struct hs_pe *pe);
void		 hs_pe_set_udata(struct hs_pe *pe, void *udata);
/*
 * Who registered the PE (doc/spec/registrant-identity.md), as a token the
 * registrar gives out (0: nobody authenticated); a new PE starts at 0 and
 * re-registrations keep it.
 */
uint32_t	 hs_pe_registrant(const struct hs_pe *pe);
/*
 * A mark the registrar sets on a PE reported unreachable until it knows
 * better (registrar/unreachable.c); the handlespace only keeps it, and
 * resolution still returns such PEs (the caller skips them).
 */
bool		 hs_pe_hidden(const struct hs_pe *pe);
void		 hs_pe_set_hidden(struct hs_pe *pe, bool hidden);
void		 hs_pe_set_registrant(struct hs_pe *pe, uint32_t token);

/*
 * Change the limits (configuration reload).  What is already registered
 * stays, even above a lowered limit; only new PEs and pools are refused.
 */
void		 hs_set_limits(struct hs *hs, const struct hs_limits *lim);

/* Errors. */
uint16_t	 hs_error_cause(int err);
const char	*hs_strerror(int err);

/* Memory held for address storage (bytes requested), for benchmarks. */
size_t		 hs_addr_bytes(const struct hs *hs);

#endif
