/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bounded byte readers and writers; see buf.h.
 */
#include <string.h>

#include "buf.h"

int
rbuf_u8(struct rbuf *b, uint8_t *ret)
{
	if (rbuf_left(b) < 1)
		return -1;
	*ret = b->p[b->off++];
	return 0;
}

int
rbuf_u16(struct rbuf *b, uint16_t *ret)
{
	if (rbuf_left(b) < 2)
		return -1;
	*ret = get_u16(b->p + b->off);
	b->off += 2;
	return 0;
}

int
rbuf_u32(struct rbuf *b, uint32_t *ret)
{
	if (rbuf_left(b) < 4)
		return -1;
	*ret = get_u32(b->p + b->off);
	b->off += 4;
	return 0;
}

int
rbuf_peek_u16(const struct rbuf *b, size_t at, uint16_t *ret)
{
	if (rbuf_left(b) < 2 || at > rbuf_left(b) - 2)
		return -1;
	*ret = get_u16(b->p + b->off + at);
	return 0;
}

int
rbuf_bytes(struct rbuf *b, size_t n, const uint8_t **ret)
{
	if (rbuf_left(b) < n)
		return -1;
	*ret = b->p + b->off;
	b->off += n;
	return 0;
}

int
rbuf_skip(struct rbuf *b, size_t n)
{
	if (rbuf_left(b) < n)
		return -1;
	b->off += n;
	return 0;
}

int
rbuf_sub(struct rbuf *b, size_t n, struct rbuf *ret)
{
	if (rbuf_left(b) < n)
		return -1;
	rbuf_init(ret, b->p + b->off, n);
	b->off += n;
	return 0;
}

static int
wbuf_room(struct wbuf *w, size_t n)
{
	if (w->err || w->cap - w->len < n) {
		w->err = true;
		return -1;
	}
	w->tail_pad = 0;
	return 0;
}

void
wbuf_u8(struct wbuf *w, uint8_t v)
{
	if (wbuf_room(w, 1) == 0)
		w->p[w->len++] = v;
}

void
wbuf_u16(struct wbuf *w, uint16_t v)
{
	if (wbuf_room(w, 2) == 0) {
		w->p[w->len++] = (uint8_t)(v >> 8);
		w->p[w->len++] = (uint8_t)v;
	}
}

void
wbuf_u32(struct wbuf *w, uint32_t v)
{
	if (wbuf_room(w, 4) == 0) {
		w->p[w->len++] = (uint8_t)(v >> 24);
		w->p[w->len++] = (uint8_t)(v >> 16);
		w->p[w->len++] = (uint8_t)(v >> 8);
		w->p[w->len++] = (uint8_t)v;
	}
}

void
wbuf_bytes(struct wbuf *w, const void *p, size_t n)
{
	if (n > 0 && wbuf_room(w, n) == 0) {
		memcpy(w->p + w->len, p, n);
		w->len += n;
	}
}

void
wbuf_zero(struct wbuf *w, size_t n)
{
	if (n > 0 && wbuf_room(w, n) == 0) {
		memset(w->p + w->len, 0, n);
		w->len += n;
	}
}

void
wbuf_pad4(struct wbuf *w)
{
	size_t n = roundup4(w->len) - w->len;

	wbuf_zero(w, n);
	if (!w->err)
		w->tail_pad = n;
}

void
wbuf_set_u16(struct wbuf *w, size_t at, uint16_t v)
{
	if (w->err || at + 2 > w->len) {
		w->err = true;
		return;
	}
	w->p[at] = (uint8_t)(v >> 8);
	w->p[at + 1] = (uint8_t)v;
}
