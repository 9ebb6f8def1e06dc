/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The registrar's request path reading the handlespace directly (issue 14):
 * a remembered pool per association that is checked against the pool table
 * instead of hashing the handle again, and a Pool Element written onto the
 * wire from the handlespace's own record without a struct rsp_pe between.
 * Both give exactly what hs_pool_find() and rsp_put_pe(hs_pe_export())
 * give; tests/unit/test_codec_hs.c compares them.
 */
#ifndef ANYPOOL_HS_ENCODE_H
#define ANYPOOL_HS_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "handlespace.h"

/*
 * The pool a requester used last.  The pointer is kept as a number and only
 * followed once the pool table is found to hold it (a table never holds a
 * freed pool), and the handle is compared after that: a pool deleted and
 * another created at the same address serves only its own handle.  All
 * zero: nothing remembered.
 */
struct hs_hint {
	uintptr_t	 pool;
	uint64_t	 hash;
};

/* hs_pool_find(), through *hint first; *hint remembers what was found. */
struct hs_pool	*hs_pool_find_hint(const struct hs *hs, const uint8_t *handle,
		    size_t len, struct hs_hint *hint);
/* hs_lookup() through the hint (pe NULL: none; *ret_pool: its pool). */
struct hs_pe	*hs_lookup_hint(const struct hs *hs, const uint8_t *handle,
		    size_t len, uint32_t id, struct hs_hint *hint,
		    struct hs_pool **ret_pool);

/*
 * Start fetching what hs_put_pe() and hs_pe_hidden() read of pe (its
 * object's cache lines), so that the PEs of an answer arrive together.
 */
void		 hs_pe_prefetch(const struct hs_pe *pe);

/*
 * Write PE pe as a Pool Element parameter, the bytes rsp_put_pe() writes
 * for hs_pe_export(pe) with has_asap set to `asap' (false: for pool users,
 * who get no ASAP transport).
 */
void		 hs_put_pe(struct wbuf *w, const struct hs_pe *pe, bool asap);

#endif
