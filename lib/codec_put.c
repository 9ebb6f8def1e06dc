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

	wbuf_u8(w, type);
	wbuf_u8(w, flags);
	wbuf_u16(w, 0);		/* patched by rsp_put_msg_end() */
	return start;
}

static void
patch_len(struct wbuf *w, size_t start)
{
	/* RFC 5354 reading: not the last nested TLV's padding. */
	size_t end = w->len - (w->rfc_lengths ? w->tail_pad : 0);

	if (w->err || end - start > UINT16_MAX) {
		w->err = true;
		return;
	}
	wbuf_set_u16(w, start + 2, (uint16_t)(end - start));
	wbuf_pad4(w);
	if (!w->err)
		w->tail_pad = w->len - end;
}

void
rsp_put_msg_end(struct wbuf *w, size_t start)
{
	patch_len(w, start);
}

size_t
rsp_put_tlv_begin(struct wbuf *w, uint16_t type)
{
	size_t start = w->len;

	wbuf_u16(w, type);
	wbuf_u16(w, 0);		/* patched by rsp_put_tlv_end() */
	return start;
}

void
rsp_put_tlv_end(struct wbuf *w, size_t start)
{
	patch_len(w, start);
}

static void
put_bytes_tlv(struct wbuf *w, uint16_t type, const void *p, size_t len)
{
	size_t t = rsp_put_tlv_begin(w, type);

	wbuf_bytes(w, p, len);
	rsp_put_tlv_end(w, t);
}

static void
put_u32_tlv(struct wbuf *w, uint16_t type, uint32_t v)
{
	size_t t = rsp_put_tlv_begin(w, type);

	wbuf_u32(w, v);
	rsp_put_tlv_end(w, t);
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
	t = rsp_put_tlv_begin(w, RSP_PARAM_REGISTRAR_ID);
	wbuf_u32(w, server_id);
	wbuf_bytes(w, node, node_len);
	rsp_put_tlv_end(w, t);
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
	t = rsp_put_tlv_begin(w, RSP_PARAM_REGISTRAR_UNICAST);
	for (i = 0; i < n; i++)
		rsp_put_transport(w, &tr[i]);
	rsp_put_tlv_end(w, t);
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
	t = rsp_put_tlv_begin(w, RSP_PARAM_REGISTRANT);
	wbuf_u32(w, (uint32_t)kind << 24);
	wbuf_bytes(w, name, len);
	rsp_put_tlv_end(w, t);
}

void
rsp_put_checksum(struct wbuf *w, uint16_t sum)
{
	size_t t = rsp_put_tlv_begin(w, RSP_PARAM_PE_CHECKSUM);

	wbuf_u16(w, sum);
	rsp_put_tlv_end(w, t);
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
	size_t t = rsp_put_tlv_begin(w, tr->type);
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
	rsp_put_tlv_end(w, t);
}

void
rsp_put_policy(struct wbuf *w, const struct rsp_policy *p)
{
	size_t t = rsp_put_tlv_begin(w, RSP_PARAM_POLICY);
	unsigned int i;

	wbuf_u32(w, p->type);
	for (i = 0; i < p->nval && i < RSP_POLICY_MAX_VALUES; i++)
		wbuf_u32(w, p->val[i]);
	rsp_put_tlv_end(w, t);
}

void
rsp_put_pe(struct wbuf *w, const struct rsp_pe *pe)
{
	size_t t = rsp_put_tlv_begin(w, RSP_PARAM_POOL_ELEMENT);

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
	rsp_put_tlv_end(w, t);
}

void
rsp_put_server_info(struct wbuf *w, const struct rsp_server_info *si)
{
	size_t t = rsp_put_tlv_begin(w, RSP_PARAM_SERVER_INFO);

	wbuf_u32(w, si->id);
	rsp_put_transport(w, &si->transport);
	rsp_put_tlv_end(w, t);
}

void
rsp_put_op_error(struct wbuf *w, const struct rsp_op_error *e)
{
	size_t t = rsp_put_tlv_begin(w, RSP_PARAM_OPERATION_ERROR);
	size_t c;
	unsigned int i;

	for (i = 0; i < e->ncause && i < RSP_MAX_CAUSES; i++) {
		/* Error causes have the TLV layout of parameters (§3.12). */
		c = rsp_put_tlv_begin(w, e->cause[i].code);
		wbuf_bytes(w, e->cause[i].info.p, e->cause[i].info.len);
		rsp_put_tlv_end(w, c);
	}
	rsp_put_tlv_end(w, t);
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
