/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bounded byte readers and writers (after OpenBGPD's ibuf and libmnl).
 * A reader never reads past its end: every accessor fails instead.  A writer
 * keeps a sticky error flag so a sequence of puts is checked once at the end.
 * All multi-byte integers are big-endian (network order).  Everything is
 * inline: the codec calls these a few dozen times per message, and a call
 * each was a fifth of the registrar's user time per handle resolution.
 */
#ifndef ANYPOOL_BUF_H
#define ANYPOOL_BUF_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static inline size_t
roundup4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static inline uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}


/*
 * Big-endian stores of one machine store each: a byte at a time through a
 * uint8_t pointer that may alias the writer's own fields, the compiler
 * reloads the writer after every byte.
 */
static inline void
put_be16(uint8_t *q, uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap16(v);
#endif
	memcpy(q, &v, 2);
}

static inline void
put_be32(uint8_t *q, uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	memcpy(q, &v, 4);
}

struct rbuf {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
};

static inline void
rbuf_init(struct rbuf *b, const void *p, size_t len)
{
	b->p = p;
	b->len = len;
	b->off = 0;
}

static inline size_t
rbuf_left(const struct rbuf *b)
{
	return b->len - b->off;
}

static inline const uint8_t *
rbuf_cur(const struct rbuf *b)
{
	return b->p + b->off;
}

/* Each returns 0, or -1 (and leaves the reader unchanged) if too short. */
static inline int
rbuf_u8(struct rbuf *b, uint8_t *ret)
{
	if (rbuf_left(b) < 1)
		return -1;
	*ret = b->p[b->off++];
	return 0;
}

static inline int
rbuf_u16(struct rbuf *b, uint16_t *ret)
{
	if (rbuf_left(b) < 2)
		return -1;
	*ret = get_u16(b->p + b->off);
	b->off += 2;
	return 0;
}

static inline int
rbuf_u32(struct rbuf *b, uint32_t *ret)
{
	if (rbuf_left(b) < 4)
		return -1;
	*ret = get_u32(b->p + b->off);
	b->off += 4;
	return 0;
}

static inline int
rbuf_peek_u16(const struct rbuf *b, size_t at, uint16_t *ret)
{
	if (rbuf_left(b) < 2 || at > rbuf_left(b) - 2)
		return -1;
	*ret = get_u16(b->p + b->off + at);
	return 0;
}

static inline int
rbuf_bytes(struct rbuf *b, size_t n, const uint8_t **ret)
{
	if (rbuf_left(b) < n)
		return -1;
	*ret = b->p + b->off;
	b->off += n;
	return 0;
}

static inline int
rbuf_skip(struct rbuf *b, size_t n)
{
	if (rbuf_left(b) < n)
		return -1;
	b->off += n;
	return 0;
}

/* Cut an exact sub-buffer of n bytes and advance past it. */
static inline int
rbuf_sub(struct rbuf *b, size_t n, struct rbuf *ret)
{
	if (rbuf_left(b) < n)
		return -1;
	rbuf_init(ret, b->p + b->off, n);
	b->off += n;
	return 0;
}

struct wbuf {
	uint8_t		*p;
	size_t		 cap;
	size_t		 len;
	bool		 err;	/* sticky: set once any put did not fit */
	size_t		 tail_pad; /* pad bytes the last wbuf_pad4() added at the end */
	/*
	 * For the RSerPool codec: container and message lengths leave out
	 * the last nested parameter's padding, as RFC 5354 §2 reads.  Off by
	 * default: RSPLIB counts that padding and rejects messages that do not
	 * (doc/protocol/sources.md), and every decoder accepts both.
	 */
	bool		 rfc_lengths;
};

static inline void
wbuf_init(struct wbuf *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->len = 0;
	w->err = false;
	w->tail_pad = 0;
	w->rfc_lengths = false;
}

static inline int
wbuf_room(struct wbuf *w, size_t n)
{
	if (w->err || w->cap - w->len < n) {
		w->err = true;
		return -1;
	}
	w->tail_pad = 0;
	return 0;
}

static inline void
wbuf_u8(struct wbuf *w, uint8_t v)
{
	if (wbuf_room(w, 1) == 0)
		w->p[w->len++] = v;
}

static inline void
wbuf_u16(struct wbuf *w, uint16_t v)
{
	if (wbuf_room(w, 2) == 0) {
		put_be16(w->p + w->len, v);
		w->len += 2;
	}
}

static inline void
wbuf_u32(struct wbuf *w, uint32_t v)
{
	if (wbuf_room(w, 4) == 0) {
		put_be32(w->p + w->len, v);
		w->len += 4;
	}
}

static inline void
wbuf_bytes(struct wbuf *w, const void *p, size_t n)
{
	if (n > 0 && wbuf_room(w, n) == 0) {
		memcpy(w->p + w->len, p, n);
		w->len += n;
	}
}

static inline void
wbuf_zero(struct wbuf *w, size_t n)
{
	if (n > 0 && wbuf_room(w, n) == 0) {
		memset(w->p + w->len, 0, n);
		w->len += n;
	}
}

/* Zero-pad to the next multiple of 4. */
static inline void
wbuf_pad4(struct wbuf *w)
{
	size_t n = roundup4(w->len) - w->len;

	wbuf_zero(w, n);
	if (!w->err)
		w->tail_pad = n;
}

/* Overwrite a u16 already written at offset at (used to patch lengths). */
static inline void
wbuf_set_u16(struct wbuf *w, size_t at, uint16_t v)
{
	if (w->err || at + 2 > w->len) {
		w->err = true;
		return;
	}
	put_be16(w->p + at, v);
}

/*
 * Room for need bytes in a growable buffer (*buf of *cap bytes, NULL/0 at
 * first; the owner frees it): the capacity doubles from 4 KiB.  0, or
 * -ENOMEM with the buffer unchanged.  The send queues use it.
 */
static inline int
buf_reserve(uint8_t **buf, size_t *cap, size_t need)
{
	size_t c;
	uint8_t *n;

	if (need <= *cap)
		return 0;
	for (c = *cap != 0 ? *cap : 4096; c < need; c *= 2)
		;
	if ((n = realloc(*buf, c)) == NULL)
		return -ENOMEM;
	*buf = n;
	*cap = c;
	return 0;
}

#endif
