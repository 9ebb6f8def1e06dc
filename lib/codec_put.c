/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Encoding of ASAP/ENRP messages and RFC 5354 parameters onto a struct wbuf.
 * A TLV's or message's length covers the padding between its nested TLVs
 * but never its own trailing padding.  Whether it covers the padding of its
 * last nested TLV is where RFC 5354 §2 (no) and RSPLIB (yes) disagree: by
 * default we write what RSPLIB expects, which every decoder accepts; a
 * wbuf with rfc_lengths set gets the RFC's reading (the wbuf remembers the
 * pad bytes it added last).
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "codec.h"

size_t
rsp_put_msg_begin(struct wbuf *w, uint8_t type, uint8_t flags)
{
	size_t start = w->len;

	if (!w->err && w->cap - w->len >= 4) {	/* the usual case, at once */
		put_be32(w->p + w->len, (uint32_t)type << 24 |
		    (uint32_t)flags << 16);
		w->len += 4;
		w->tail_pad = 0;
		return start;
	}
	wbuf_u8(w, type);
	wbuf_u8(w, flags);
	wbuf_u16(w, 0);		/* patched by rsp_put_msg_end() */
	return start;
}

/*
 * Patch the length at start + 2 and pad to 4 (one bounds check each: the
 * codec's hottest lines, a few dozen per handle resolution answer).
 */
static inline void
patch_len(struct wbuf *w, size_t start)
{
	/* RFC 5354 reading: not the last nested TLV's padding. */
	size_t end = w->len - (w->rfc_lengths ? w->tail_pad : 0);
	size_t pad = (size_t)(-w->len & 3);

	if (w->err || start + 4 > w->len || end - start > UINT16_MAX ||
	    w->cap - w->len < pad) {
		w->err = true;
		return;
	}
	w->p[start + 2] = (uint8_t)((end - start) >> 8);
	w->p[start + 3] = (uint8_t)(end - start);
	while (pad-- > 0)
		w->p[w->len++] = 0;
	w->tail_pad = w->len - end;
}

void
rsp_put_msg_end(struct wbuf *w, size_t start)
{
	patch_len(w, start);
}

/* A TLV header with the length patched by tlv_end(). */
static inline size_t
tlv_begin(struct wbuf *w, uint16_t type)
{
	size_t start = w->len;

	if (w->err || w->cap - w->len < 4) {
		w->err = true;
		return start;
	}
	w->p[w->len++] = (uint8_t)(type >> 8);
	w->p[w->len++] = (uint8_t)type;
	w->p[w->len++] = 0;
	w->p[w->len++] = 0;
	w->tail_pad = 0;
	return start;
}

size_t
rsp_put_tlv_begin(struct wbuf *w, uint16_t type)
{
	return tlv_begin(w, type);
}

void
rsp_put_tlv_end(struct wbuf *w, size_t start)
{
	patch_len(w, start);
}

/*
 * The fast paths below write, when the whole parameter fits, the bytes the
 * general path writes (header, value, padding, tail_pad) with one bounds
 * check; else the general path sets the error as it always did.
 */
static void
put_bytes_tlv(struct wbuf *w, uint16_t type, const void *p, size_t len)
{
	size_t t, pad = (size_t)(-(w->len + 4 + len) & 3);	/* as patch_len */

	if (!w->err && len <= UINT16_MAX - 4 &&
	    w->cap - w->len >= 4 + len + pad) {
		uint8_t *q = w->p + w->len;

		put_be32(q, (uint32_t)type << 16 | (uint32_t)(4 + len));
		if (len > 0)
			memcpy(q + 4, p, len);
		memset(q + 4 + len, 0, pad);
		w->len += 4 + len + pad;
		w->tail_pad = pad;
		return;
	}
	t = tlv_begin(w, type);

	wbuf_bytes(w, p, len);
	patch_len(w, t);
}

static void
put_u32_tlv(struct wbuf *w, uint16_t type, uint32_t v)
{
	size_t t;

	if (!w->err && w->cap - w->len >= 8 && (w->len & 3) == 0) {
		put_be32(w->p + w->len, (uint32_t)type << 16 | 8);
		put_be32(w->p + w->len + 4, v);
		w->len += 8;
		w->tail_pad = 0;
		return;
	}
	t = tlv_begin(w, type);

	wbuf_u32(w, v);
	patch_len(w, t);
}

void
rsp_put_handle(struct wbuf *w, const void *p, size_t len)
{
	put_bytes_tlv(w, RSP_PARAM_POOL_HANDLE, p, len);
}

void
rsp_put_cookie(struct wbuf *w, const void *p, size_t len)
{
	put_bytes_tlv(w, RSP_PARAM_COOKIE, p, len);
}

void
rsp_put_pe_id(struct wbuf *w, uint32_t id)
{
	put_u32_tlv(w, RSP_PARAM_PE_ID, id);
}

void
rsp_put_hropt(struct wbuf *w, uint32_t items)
{
	put_u32_tlv(w, RSP_PARAM_HANDLE_RESOLUTION_OPT, items);
}

void
rsp_put_regid_request(struct wbuf *w)
{
	put_bytes_tlv(w, RSP_PARAM_REGISTRAR_ID, NULL, 0);
}

void
rsp_put_regid(struct wbuf *w, uint32_t server_id, const void *node,
    size_t node_len)
{
	size_t t;

	if (node_len > RSP_REGID_NODE_MAX) {
		w->err = true;
		return;
	}
	t = tlv_begin(w, RSP_PARAM_REGISTRAR_ID);
	wbuf_u32(w, server_id);
	wbuf_bytes(w, node, node_len);
	patch_len(w, t);
}

void
rsp_put_reguni_request(struct wbuf *w)
{
	put_bytes_tlv(w, RSP_PARAM_REGISTRAR_UNICAST, NULL, 0);
}

/* doc/spec/registrar-unicast.md: one to four TCP or SCTP transports. */
void
rsp_put_reguni(struct wbuf *w, const struct rsp_transport *tr, size_t n)
{
	size_t t, i;

	if (n == 0 || n > RSP_REGUNI_MAX) {
		w->err = true;
		return;
	}
	for (i = 0; i < n; i++)
		if ((tr[i].type != RSP_PARAM_TCP_TRANSPORT &&
		    tr[i].type != RSP_PARAM_SCTP_TRANSPORT) ||
		    tr[i].port == 0 || tr[i].naddr == 0) {
			w->err = true;
			return;
		}
	t = tlv_begin(w, RSP_PARAM_REGISTRAR_UNICAST);
	for (i = 0; i < n; i++)
		rsp_put_transport(w, &tr[i]);
	patch_len(w, t);
}

/* doc/spec/registrant-identity.md: kind, three zero bytes, the name. */
void
rsp_put_registrant(struct wbuf *w, uint8_t kind, const void *name,
    size_t len)
{
	size_t t;

	if (len == 0 || len > RSP_REGISTRANT_NAME_MAX) {
		w->err = true;
		return;
	}
	t = tlv_begin(w, RSP_PARAM_REGISTRANT);
	wbuf_u32(w, (uint32_t)kind << 24);
	wbuf_bytes(w, name, len);
	patch_len(w, t);
}

void
rsp_put_checksum(struct wbuf *w, uint16_t sum)
{
	size_t t = tlv_begin(w, RSP_PARAM_PE_CHECKSUM);

	wbuf_u16(w, sum);
	patch_len(w, t);
}

void
rsp_put_addr(struct wbuf *w, const struct rsp_addr *a)
{
	if (a->family == AF_INET6)
		put_bytes_tlv(w, RSP_PARAM_IPV6_ADDR, a->a, 16);
	else
		put_bytes_tlv(w, RSP_PARAM_IPV4_ADDR, a->a, 4);
}

void
rsp_put_transport(struct wbuf *w, const struct rsp_transport *tr)
{
	size_t t = tlv_begin(w, tr->type);
	unsigned int i;

	if (tr->type == RSP_PARAM_OPAQUE_TRANSPORT) {
		wbuf_bytes(w, tr->opaque.p, tr->opaque.len);
	} else {
		wbuf_u16(w, tr->port);
		wbuf_u16(w, tr->use);
		if (tr->type == RSP_PARAM_DCCP_TRANSPORT)
			wbuf_u32(w, tr->service_code);
		for (i = 0; i < tr->naddr && i < RSP_MAX_ADDRS; i++)
			rsp_put_addr(w, &tr->addr[i]);
	}
	patch_len(w, t);
}

void
rsp_put_policy(struct wbuf *w, const struct rsp_policy *p)
{
	unsigned int i, n = p->nval < RSP_POLICY_MAX_VALUES ? p->nval :
	    RSP_POLICY_MAX_VALUES;
	size_t t;

	if (!w->err && w->cap - w->len >= 8 + 4 * (size_t)n &&
	    (w->len & 3) == 0) {
		uint8_t *q = w->p + w->len;

		put_be32(q, (uint32_t)RSP_PARAM_POLICY << 16 | (8 + 4 * n));
		put_be32(q + 4, p->type);
		for (i = 0; i < n; i++)
			put_be32(q + 8 + 4 * i, p->val[i]);
		w->len += 8 + 4 * (size_t)n;
		w->tail_pad = 0;
		return;
	}
	t = tlv_begin(w, RSP_PARAM_POLICY);

	wbuf_u32(w, p->type);
	for (i = 0; i < p->nval && i < RSP_POLICY_MAX_VALUES; i++)
		wbuf_u32(w, p->val[i]);
	patch_len(w, t);
}

/*
 * The fast path of rsp_put_pe(): a transport of port, use and addresses
 * (not Opaque, not DCCP) is all multiples of 4, so the Pool Element needs
 * no padding inside and its size is known before the first byte: one
 * bounds check, then plain stores.  Writes exactly what the generic path
 * writes (tests/unit/test_codec compares the two).
 */
static size_t
fast_transport_len(const struct rsp_transport *tr)
{
	size_t n = 8;
	unsigned int i;

	if (tr->type == RSP_PARAM_OPAQUE_TRANSPORT ||
	    tr->type == RSP_PARAM_DCCP_TRANSPORT)
		return 0;
	for (i = 0; i < tr->naddr && i < RSP_MAX_ADDRS; i++)
		n += tr->addr[i].family == AF_INET6 ? 20 : 8;
	return n;
}

static inline uint8_t *
put16(uint8_t *q, uint16_t v)
{
	put_be16(q, v);
	return q + 2;
}

static inline uint8_t *
put32(uint8_t *q, uint32_t v)
{
	put_be32(q, v);
	return q + 4;
}

static uint8_t *
fast_transport(uint8_t *q, const struct rsp_transport *tr, size_t len)
{
	unsigned int i;

	q = put16(q, tr->type);
	q = put16(q, (uint16_t)len);
	q = put16(q, tr->port);
	q = put16(q, tr->use);
	for (i = 0; i < tr->naddr && i < RSP_MAX_ADDRS; i++) {
		if (tr->addr[i].family == AF_INET6) {
			q = put32(q, (uint32_t)RSP_PARAM_IPV6_ADDR << 16 | 20);
			memcpy(q, tr->addr[i].a, 16);
			q += 16;
		} else {
			q = put32(q, (uint32_t)RSP_PARAM_IPV4_ADDR << 16 | 8);
			memcpy(q, tr->addr[i].a, 4);
			q += 4;
		}
	}
	return q;
}

static bool
put_pe_fast(struct wbuf *w, const struct rsp_pe *pe)
{
	size_t ulen, alen = 0, plen, len;
	unsigned int i, nval;
	uint8_t *q;

	if (pe->registrant_kind != 0 ||
	    (ulen = fast_transport_len(&pe->user)) == 0 ||
	    (pe->has_asap && (alen = fast_transport_len(&pe->asap)) == 0))
		return false;
	nval = pe->policy.nval < RSP_POLICY_MAX_VALUES ? pe->policy.nval :
	    RSP_POLICY_MAX_VALUES;
	plen = 8 + 4 * (size_t)nval;
	len = 16 + ulen + plen + alen;
	if (w->err || w->cap - w->len < len || len > UINT16_MAX) {
		w->err = true;
		return true;
	}
	q = w->p + w->len;
	q = put16(q, RSP_PARAM_POOL_ELEMENT);
	q = put16(q, (uint16_t)len);
	q = put32(q, pe->id);
	q = put32(q, pe->home_id);
	q = put32(q, (uint32_t)pe->life);
	q = fast_transport(q, &pe->user, ulen);
	q = put16(q, RSP_PARAM_POLICY);
	q = put16(q, (uint16_t)plen);
	q = put32(q, pe->policy.type);
	for (i = 0; i < nval; i++)
		q = put32(q, pe->policy.val[i]);
	if (pe->has_asap)
		(void)fast_transport(q, &pe->asap, alen);
	w->len += len;
	w->tail_pad = 0;
	return true;
}

void
rsp_put_pe(struct wbuf *w, const struct rsp_pe *pe)
{
	if (put_pe_fast(w, pe))
		return;
	rsp_put_pe_generic(w, pe);
}

void
rsp_put_pe_generic(struct wbuf *w, const struct rsp_pe *pe)
{
	size_t t = tlv_begin(w, RSP_PARAM_POOL_ELEMENT);

	wbuf_u32(w, pe->id);
	wbuf_u32(w, pe->home_id);
	wbuf_u32(w, (uint32_t)pe->life);
	rsp_put_transport(w, &pe->user);
	rsp_put_policy(w, &pe->policy);
	if (pe->has_asap)
		rsp_put_transport(w, &pe->asap);
	if (pe->registrant_kind != 0)
		rsp_put_registrant(w, pe->registrant_kind, pe->registrant.p,
		    pe->registrant.len);
	patch_len(w, t);
}

void
rsp_put_server_info(struct wbuf *w, const struct rsp_server_info *si)
{
	size_t t = tlv_begin(w, RSP_PARAM_SERVER_INFO);

	wbuf_u32(w, si->id);
	rsp_put_transport(w, &si->transport);
	patch_len(w, t);
}

void
rsp_put_op_error(struct wbuf *w, const struct rsp_op_error *e)
{
	size_t t = tlv_begin(w, RSP_PARAM_OPERATION_ERROR);
	size_t c;
	unsigned int i;

	for (i = 0; i < e->ncause && i < RSP_MAX_CAUSES; i++) {
		/* Error causes have the TLV layout of parameters (§3.12). */
		c = tlv_begin(w, e->cause[i].code);
		wbuf_bytes(w, e->cause[i].info.p, e->cause[i].info.len);
		patch_len(w, c);
	}
	patch_len(w, t);
}

void
rsp_addr_v4(struct rsp_addr *a, uint32_t host_order)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->a[0] = (uint8_t)(host_order >> 24);
	a->a[1] = (uint8_t)(host_order >> 16);
	a->a[2] = (uint8_t)(host_order >> 8);
	a->a[3] = (uint8_t)host_order;
}

int
rsp_addr_parse(struct rsp_addr *a, const char *s)
{
	struct rsp_addr r;

	memset(&r, 0, sizeof(r));
	if (inet_pton(AF_INET, s, r.a) == 1)
		r.family = AF_INET;
	else if (inet_pton(AF_INET6, s, r.a) == 1)
		r.family = AF_INET6;
	else
		return -1;
	*a = r;
	return 0;
}

const char *
rsp_addr_str(const struct rsp_addr *a, char *buf, size_t len)
{
	if (inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->a, buf,
	    (socklen_t)len) == NULL)
		return "?";
	return buf;
}
