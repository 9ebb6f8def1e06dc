/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The request path's direct reads of the handlespace (issue 14): finding a
 * requester's pool again without hashing its handle, and writing a Pool
 * Element onto the wire from the handlespace's record.  A handle resolution
 * used to hash the handle with SipHash (a tenth of its instructions), copy
 * each PE answered into a struct rsp_pe and encode that; these read what
 * the handlespace keeps, in place.  Only reads: nothing here changes the
 * handlespace, which stays handlespace.c's.
 */
#include <string.h>
#include <sys/socket.h>

#include "hs_internal.h"
#include "hs_encode.h"

/* The slot of the table that holds pool p (hash h), or NULL: no such pool. */
static const struct hs_pslot *
pslot_of(const struct hs *hs, uintptr_t p, uint64_t h)
{
	size_t mask = hs->pcap - 1, j = h & mask;
	const struct hs_pslot *sl;

	for (; (sl = &hs->ps[j])->pool != NULL; j = (j + 1) & mask)
		if ((uintptr_t)sl->pool == p)
			return sl;
	return NULL;
}

/* Through the hint; prefetch: the pool's array (to select from it). */
static struct hs_pool *
find_hint(const struct hs *hs, const uint8_t *handle, size_t len,
    struct hs_hint *hint, bool prefetch)
{
	const struct hs_pslot *sl;
	struct hs_pool *pool;

	if (hs == NULL || handle == NULL || len == 0 ||
	    len > hs->lim.max_handle_len)
		return NULL;
	if (hint->pool != 0 && (sl = pslot_of(hs, hint->pool,
	    hint->hash)) != NULL) {
		pool = sl->pool;	/* in the table: alive */
		if (prefetch && sl->arr != NULL)	/* as pool_find() */
			for (int o = 0; o < 384; o += 64)
				__builtin_prefetch((const char *)sl->arr + o);
		if (pool->hlen == len && memcmp(pool->handle, handle, len) == 0)
			return pool;
	}
	if ((pool = hs_pool_find(hs, handle, len)) != NULL) {
		hint->pool = (uintptr_t)pool;
		hint->hash = pool->hash;
	}
	return pool;
}

struct hs_pool *
hs_pool_find_hint(const struct hs *hs, const uint8_t *handle, size_t len,
    struct hs_hint *hint)
{
	return find_hint(hs, handle, len, hint, true);
}

struct hs_pe *
hs_lookup_hint(const struct hs *hs, const uint8_t *handle, size_t len,
    uint32_t id, struct hs_hint *hint, struct hs_pool **ret_pool)
{
	struct hs_pool *pool = find_hint(hs, handle, len, hint, false);

	*ret_pool = pool;
	return pool != NULL ? hs_pool_lookup(hs, pool, id) : NULL;
}

void
hs_pe_prefetch(const struct hs_pe *pe)
{
	const char *o = (const char *)pe;

	/* the object's lines: fields first, the inline blob at its end */
	__builtin_prefetch(o);
	__builtin_prefetch(o + 64);
	__builtin_prefetch(o + HS_PE_OBJ - 1);
}

static inline uint8_t *
put32(uint8_t *q, uint32_t v)
{
	put_be32(q, v);
	return q + 4;
}

/*
 * A transport of port, use and n addresses from a (not Opaque, not DCCP:
 * all multiples of 4, no padding inside), as codec_put.c's fast path
 * writes it: the addresses first, then the header with their length.
 */
static uint8_t *
tr_put(uint8_t *q, uint16_t type, uint16_t port, uint16_t use,
    const struct rsp_addr *a, size_t n)
{
	uint8_t *t = q;

	q += 8;
	for (size_t i = 0; i < n; i++) {
		if (a[i].family == AF_INET6) {
			q = put32(q, (uint32_t)RSP_PARAM_IPV6_ADDR << 16 | 20);
			memcpy(q, a[i].a, 16);
			q += 16;
		} else {
			q = put32(q, (uint32_t)RSP_PARAM_IPV4_ADDR << 16 | 8);
			memcpy(q, a[i].a, 4);
			q += 4;
		}
	}
	put32(t, (uint32_t)type << 16 | (uint32_t)(q - t));
	put32(t + 4, (uint32_t)port << 16 | use);
	return q;
}

static bool
fast_type(uint16_t type)
{
	return type != RSP_PARAM_OPAQUE_TRANSPORT &&
	    type != RSP_PARAM_DCCP_TRANSPORT;
}

void
hs_put_pe(struct wbuf *w, const struct hs_pe *pe, bool asap)
{
	const struct rsp_addr *ua = (const struct rsp_addr *)(const void *)
	    pe->blob;
	size_t un = pe->unaddr, an = pe->anaddr, most;
	unsigned int i, nval = pe->nval;
	uint8_t *q, *t;
	struct rsp_pe x;

	asap = asap && pe->has_asap;
	/*
	 * Room for the most it can take (every address IPv6) checked once;
	 * the rest, and anything near the end of the buffer, the general way
	 * (which fits it exactly or sets the error).
	 */
	most = 16 + 8 + 20 * un + 8 + 4 * (size_t)nval +
	    (asap ? 8 + 20 * an : 0);
	if (!fast_type(pe->utype) || (asap && !fast_type(pe->atype)) ||
	    un > RSP_MAX_ADDRS || an > RSP_MAX_ADDRS ||
	    nval > RSP_POLICY_MAX_VALUES || w->err || w->cap - w->len < most) {
		hs_pe_export(pe, &x);
		x.has_asap = asap;
		rsp_put_pe(w, &x);
		return;
	}
	t = w->p + w->len;
	q = t + 4;
	q = put32(q, pe->id);
	q = put32(q, pe->owner->id);
	q = put32(q, (uint32_t)pe->life);
	q = tr_put(q, pe->utype, pe->uport, pe->uuse, ua, un);
	q = put32(q, (uint32_t)RSP_PARAM_POLICY << 16 | (8 + 4 * nval));
	q = put32(q, pe->pool->policy);
	for (i = 0; i < nval; i++)
		q = put32(q, pe->val[i]);
	if (asap)
		q = tr_put(q, pe->atype, pe->aport, pe->ause, ua + un, an);
	put32(t, (uint32_t)RSP_PARAM_POOL_ELEMENT << 16 | (uint32_t)(q - t));
	w->len += (size_t)(q - t);
	w->tail_pad = 0;
}
