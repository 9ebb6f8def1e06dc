/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Decoding of ASAP (RFC 5352) and ENRP (RFC 5353) messages and of the
 * RFC 5354 parameters.  Every read goes through a bounded struct rbuf; every
 * TLV is cut as an exact sub-buffer and parsed inside it.  Which parameters a
 * message may carry, in which order, is a table (msg_schema); unknown
 * parameter types follow their two action bits (RFC 5354 §3).  Extension
 * parameters of the skip class that a message's schema lists as position
 * free (the Registrar Identity, doc/spec/registrar-identity.md) are decoded
 * wherever they stand in that message and skipped, as their action bits
 * say, everywhere else.  A failure says which RFC 5354 error cause to send
 * back and, in words, what was wrong.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "codec.h"

struct dctx {
	const uint8_t		*msg;		/* start of the message, for offsets */
	uint16_t		 handle_max;	/* 0: no limit (re-walks) */
	struct rsp_err		*err;
	struct rsp_msg		*m;		/* NULL inside parameter decoders */
};

/* Out of the way of the decoders' fast paths (cold: never inlined). */
static int __attribute__((format(printf, 6, 7), cold, noinline))
fail(struct dctx *c, uint16_t cause, const uint8_t *at, const uint8_t *data,
    size_t dlen, const char *fmt, ...)
{
	struct rsp_err *e = c->err;
	va_list ap;

	if (e == NULL)
		return -1;
	e->cause = cause;
	e->silent = false;
	e->offset = (c->msg != NULL && at != NULL && at >= c->msg) ?
	    (size_t)(at - c->msg) : 0;
	/*
	 * The cause data goes back to the sender (RFC 5354 §3.12): only a
	 * well-formed parameter, or the message for Unrecognized Message.
	 * Bytes that do not frame as a TLV would make the report malformed.
	 */
	if (data != NULL && cause != RSP_CAUSE_UNRECOGNIZED_MSG &&
	    (dlen < RSP_TLV_HDR_LEN || dlen > UINT16_MAX ||
	    get_u16(data + 2) != dlen))
		data = NULL;
	e->data.p = data;
	e->data.len = data == NULL ? 0 : (uint16_t)dlen;
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
	return -1;
}

static bool
zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return false;
	return true;
}

/*
 * Clear a transport or a PE but for their address arrays, which every
 * reader reads only up to naddr: a PE is 680 bytes, 544 of them addresses,
 * and a registration's decoding cleared them twice.
 */
static void
transport_clear(struct rsp_transport *t)
{
	memset(t, 0, offsetof(struct rsp_transport, addr));
	t->opaque = (struct rsp_bytes){ NULL, 0 };
}

static void
pe_clear(struct rsp_pe *pe)
{
	pe->id = pe->home_id = 0;
	pe->life = 0;
	transport_clear(&pe->user);
	memset(&pe->policy, 0, sizeof(pe->policy));
	pe->has_asap = false;
	transport_clear(&pe->asap);
	pe->registrant_kind = 0;
	pe->registrant = (struct rsp_bytes){ NULL, 0 };
}

/* One TLV cut out of its container. */
struct tlv {
	uint16_t	 type;
	uint16_t	 len;		/* as in the header */
	const uint8_t	*start;		/* the whole TLV */
	struct rbuf	 val;		/* exactly len - 4 bytes */
};

/*
 * Cut the next TLV out of b.  Padding after it is skipped but clamped to the
 * container's end: RFC 5354 §2 leaves the last nested TLV's padding outside
 * the container's length, and rsplib puts it inside; both are accepted.
 */
static int
tlv_next(struct dctx *c, struct rbuf *b, struct tlv *t)
{
	const uint8_t *at = rbuf_cur(b);
	size_t left = rbuf_left(b), pad;

	if (left < RSP_TLV_HDR_LEN)
		return fail(c, RSP_CAUSE_INVALID_VALUES, at, NULL, 0,
		    "truncated parameter header (%zu bytes left)", left);
	t->type = get_u16(at);
	t->len = get_u16(at + 2);
	t->start = at;
	if (t->len < RSP_TLV_HDR_LEN)
		return fail(c, RSP_CAUSE_INVALID_VALUES, at, at, left,
		    "%s: parameter length %u below 4",
		    rsp_param_name(t->type), t->len);
	if (t->len > left)
		return fail(c, RSP_CAUSE_INVALID_VALUES, at, at, left,
		    "%s: parameter length %u overruns its container "
		    "(%zu bytes left)", rsp_param_name(t->type), t->len, left);
	rbuf_skip(b, RSP_TLV_HDR_LEN);
	rbuf_sub(b, t->len - RSP_TLV_HDR_LEN, &t->val);
	pad = roundup4(t->len) - t->len;
	if (pad > rbuf_left(b))
		pad = rbuf_left(b);
	if (!zero(rbuf_cur(b), pad))
		return fail(c, RSP_CAUSE_INVALID_VALUES, rbuf_cur(b), at,
		    t->len, "%s: non-zero padding", rsp_param_name(t->type));
	rbuf_skip(b, pad);
	return 0;
}

static int __attribute__((cold, noinline))
bad_value(struct dctx *c, const struct tlv *t, const char *why)
{
	return fail(c, RSP_CAUSE_INVALID_VALUES, t->start, t->start, t->len,
	    "%s: %s", rsp_param_name(t->type), why);
}

static bool
param_known(uint16_t type)
{
	return (type >= RSP_PARAM_IPV4_ADDR && type <= RSP_PARAM_OPAQUE_TRANSPORT) ||
	    type == RSP_PARAM_HANDLE_RESOLUTION_OPT;
}

/*
 * RFC 5354 §3: an unrecognised parameter type is handled by its two top bits.
 * Returns 0 to skip it and go on, -1 to stop (with *err saying how).
 */
static int
param_unknown(struct dctx *c, const struct tlv *t)
{
	int rc;

	switch (t->type & RSP_PARAM_ACTION_MASK) {
	case RSP_PARAM_ACTION_STOP:
		rc = fail(c, RSP_CAUSE_UNRECOGNIZED_PARAM, t->start, t->start,
		    t->len, "unrecognized parameter type 0x%04x (stop, discard "
		    "silently)", t->type);
		if (c->err != NULL)
			c->err->silent = true;
		return rc;
	case RSP_PARAM_ACTION_STOP_REPORT:
		return fail(c, RSP_CAUSE_UNRECOGNIZED_PARAM, t->start, t->start,
		    t->len, "unrecognized parameter type 0x%04x (stop, report)",
		    t->type);
	case RSP_PARAM_ACTION_SKIP_REPORT:
		if (c->m != NULL && c->m->nunrec < RSP_MAX_UNREC) {
			c->m->unrec[c->m->nunrec].p = t->start;
			c->m->unrec[c->m->nunrec].len = t->len;
			c->m->nunrec++;
		}
		return 0;
	default:	/* RSP_PARAM_ACTION_SKIP */
		return 0;
	}
}

/*
 * Next TLV of a known type, or of the extension type `also' (0: none);
 * unknown skip-class ones are passed over.
 */
static int
tlv_next_known_or(struct dctx *c, struct rbuf *b, struct tlv *t,
    uint16_t also)
{
	for (;;) {
		if (tlv_next(c, b, t) == -1)
			return -1;
		if (param_known(t->type) || (also != 0 && t->type == also))
			return 0;
		if (param_unknown(c, t) == -1)
			return -1;
		if (rbuf_left(b) == 0)
			return 1;	/* only skipped parameters were left */
	}
}

static int
tlv_next_known(struct dctx *c, struct rbuf *b, struct tlv *t)
{
	return tlv_next_known_or(c, b, t, 0);
}

static int
dec_addr(struct dctx *c, const struct tlv *t, struct rsp_addr *ret)
{
	size_t want = t->type == RSP_PARAM_IPV4_ADDR ? 4 : 16;

	if (t->type != RSP_PARAM_IPV4_ADDR && t->type != RSP_PARAM_IPV6_ADDR)
		return bad_value(c, t, "not an address parameter");
	if (rbuf_left(&t->val) != want)
		return bad_value(c, t, "wrong address length");
	memset(ret, 0, sizeof(*ret));
	ret->family = t->type == RSP_PARAM_IPV4_ADDR ? AF_INET : AF_INET6;
	memcpy(ret->a, rbuf_cur(&t->val), want);
	return 0;
}

static bool
is_transport(uint16_t type)
{
	return type >= RSP_PARAM_DCCP_TRANSPORT &&
	    type <= RSP_PARAM_UDPLITE_TRANSPORT;
}

static bool
is_user_transport(uint16_t type)
{
	return is_transport(type) || type == RSP_PARAM_OPAQUE_TRANSPORT;
}

static int
dec_transport(struct dctx *c, const struct tlv *t, struct rsp_transport *ret)
{
	struct rbuf v = t->val;
	struct tlv a;
	int rc;

	transport_clear(ret);	/* addresses: up to naddr */
	ret->type = t->type;
	if (t->type == RSP_PARAM_OPAQUE_TRANSPORT) {
		ret->opaque.p = rbuf_cur(&v);
		ret->opaque.len = (uint16_t)rbuf_left(&v);
		return 0;
	}
	if (!is_transport(t->type))
		return bad_value(c, t, "not a transport parameter");
	if (rbuf_u16(&v, &ret->port) == -1 || rbuf_u16(&v, &ret->use) == -1)
		return bad_value(c, t, "truncated");
	if (t->type == RSP_PARAM_DCCP_TRANSPORT &&
	    rbuf_u32(&v, &ret->service_code) == -1)
		return bad_value(c, t, "truncated");
	/* RFC 5354 §3.4: Transport Use is DATA ONLY or DATA plus CONTROL. */
	if (t->type == RSP_PARAM_SCTP_TRANSPORT && ret->use > 1)
		return bad_value(c, t, "invalid Transport Use");
	while (rbuf_left(&v) > 0) {
		if ((rc = tlv_next_known(c, &v, &a)) == -1)
			return -1;
		if (rc == 1)
			break;
		if (ret->naddr == RSP_MAX_ADDRS)
			return fail(c, RSP_CAUSE_LACK_OF_RESOURCES, a.start,
			    t->start, t->len, "%s: more than %d addresses",
			    rsp_param_name(t->type), RSP_MAX_ADDRS);
		if (dec_addr(c, &a, &ret->addr[ret->naddr]) == -1)
			return -1;
		ret->naddr++;
	}
	/*
	 * SCTP takes one or more addresses, the others exactly one; rsplib
	 * puts several into TCP/UDP when multi-homed, so accept more.
	 */
	if (ret->naddr == 0)
		return bad_value(c, t, "no address");
	return 0;
}

int
rsp_policy_nval(uint32_t type)
{
	switch (type) {
	case RSP_POLICY_ROUND_ROBIN:
	case RSP_POLICY_RANDOM:
		return 0;
	case RSP_POLICY_WEIGHTED_ROUND_ROBIN:
	case RSP_POLICY_WEIGHTED_RANDOM:
	case RSP_POLICY_PRIORITY:
	case RSP_POLICY_LEAST_USED:
	case RSP_POLICY_RANDOMIZED_LEAST_USED:
		return 1;
	case RSP_POLICY_LEAST_USED_DEGRADATION:
	case RSP_POLICY_PRIORITY_LEAST_USED:
		return 2;
	default:
		return -1;
	}
}

static int
dec_policy(struct dctx *c, const struct tlv *t, struct rsp_policy *ret)
{
	struct rbuf v = t->val;
	int want;

	memset(ret, 0, sizeof(*ret));
	if (rbuf_u32(&v, &ret->type) == -1)
		return bad_value(c, t, "truncated");
	/* RFC 5356 §7.1: 0x00000000 and 0x40000000 are reserved, invalid. */
	if ((ret->type & ~RSP_POLICY_FLAG_ADAPTIVE) == 0)
		return bad_value(c, t, "reserved policy type");
	if (rbuf_left(&v) % 4 != 0 ||
	    rbuf_left(&v) / 4 > RSP_POLICY_MAX_VALUES)
		return bad_value(c, t, "bad policy parameter length");
	want = rsp_policy_nval(ret->type);
	if (want >= 0 && rbuf_left(&v) / 4 != (size_t)want)
		return bad_value(c, t, "wrong length for this policy");
	while (rbuf_left(&v) > 0)
		rbuf_u32(&v, &ret->val[ret->nval++]);
	return 0;
}

static int
dec_handle(struct dctx *c, const struct tlv *t, struct rsp_bytes *ret)
{
	size_t n = rbuf_left(&t->val);

	if (n == 0)
		return bad_value(c, t, "empty pool handle");
	if (c->handle_max != 0 && n > c->handle_max)
		return fail(c, RSP_CAUSE_INVALID_VALUES, t->start, t->start,
		    t->len, "pool handle of %zu bytes exceeds the maximum of %u",
		    n, c->handle_max);
	ret->p = rbuf_cur(&t->val);
	ret->len = (uint16_t)n;
	return 0;
}

/* RFC 3629: well-formed UTF-8 (shortest forms, no surrogates), and no NUL. */
static bool
utf8_ok(const uint8_t *p, size_t n)
{
	size_t i = 0, k, more;
	uint32_t cp, min;

	while (i < n) {
		if (p[i] == 0)
			return false;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			more = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			more = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			more = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= more)
			return false;
		for (k = 1; k <= more; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += more + 1;
	}
	return true;
}

/*
 * Registrar Identity (doc/spec/registrar-identity.md): an empty value asks,
 * a value of server identifier (4) and node name (0..64 bytes) answers.
 */
static int
dec_regid(struct dctx *c, const struct tlv *t, struct rsp_msg *m)
{
	struct rbuf v = t->val;

	if (m->has_regid)
		return bad_value(c, t, "more than one in a message");
	m->has_regid = true;
	if (rbuf_left(&v) == 0)
		return 0;
	if (rbuf_u32(&v, &m->regid_server_id) == -1)
		return bad_value(c, t, "value of 1 to 3 bytes (want none, or a "
		    "server identifier and a node name)");
	if (rbuf_left(&v) > RSP_REGID_NODE_MAX)
		return bad_value(c, t, "node name longer than 64 bytes");
	if (!utf8_ok(rbuf_cur(&v), rbuf_left(&v)))
		return bad_value(c, t, "node name is not UTF-8 without NUL");
	m->regid_answer = true;
	m->regid_node.p = rbuf_cur(&v);
	m->regid_node.len = (uint16_t)rbuf_left(&v);
	return 0;
}

/*
 * Registrar Unicast (doc/spec/registrar-unicast.md): an empty value asks; an
 * answer is 1 to RSP_REGUNI_MAX TCP or SCTP transports with a port and at
 * least one address each.  Skip-class parameters among them are passed over.
 */
static int
dec_reguni(struct dctx *c, const struct tlv *t, struct rsp_msg *m)
{
	struct rbuf v = t->val;
	struct rsp_transport tr;
	struct tlv p;
	int rc;

	if (m->has_reguni)
		return bad_value(c, t, "more than one in a message");
	m->has_reguni = true;
	if (rbuf_left(&v) == 0)
		return 0;
	while (rbuf_left(&v) > 0) {
		if ((rc = tlv_next_known(c, &v, &p)) == -1)
			return -1;
		if (rc == 1)
			break;
		if (p.type != RSP_PARAM_TCP_TRANSPORT &&
		    p.type != RSP_PARAM_SCTP_TRANSPORT)
			return bad_value(c, t, "holds a parameter that is not "
			    "a TCP or SCTP transport");
		if (dec_transport(c, &p, &tr) == -1)
			return -1;
		if (tr.port == 0)
			return bad_value(c, t, "transport with port 0");
		if (m->reguni_n == RSP_REGUNI_MAX)
			return bad_value(c, t, "more than 4 transports");
		m->reguni_n++;
	}
	if (m->reguni_n == 0)
		return bad_value(c, t, "no transport (want none at all, or "
		    "TCP or SCTP transports)");
	m->reguni_answer = true;
	m->reguni.p = rbuf_cur(&t->val);
	m->reguni.len = (uint16_t)rbuf_left(&t->val);
	return 0;
}

/*
 * doc/spec/registrant-identity.md: kind (1 PSK identity, 2 certificate
 * name), three zero bytes, 1 to 128 bytes of printable ASCII (0x20-0x7e).
 */
static int
dec_registrant(struct dctx *c, const struct tlv *t, struct rsp_pe *ret)
{
	struct rbuf v = t->val;
	const uint8_t *n;
	uint32_t head;
	size_t len, i;

	if (rbuf_u32(&v, &head) == -1)
		return bad_value(c, t, "truncated");
	len = rbuf_left(&v);
	if ((head & 0x00ffffffU) != 0)
		return bad_value(c, t, "reserved bits set");
	if ((head >> 24) != RSP_REGISTRANT_PSK &&
	    (head >> 24) != RSP_REGISTRANT_CERT)
		return bad_value(c, t, "unknown kind");
	if (len == 0 || len > RSP_REGISTRANT_NAME_MAX)
		return bad_value(c, t, "name of 0 or more than 128 bytes");
	n = rbuf_cur(&v);
	for (i = 0; i < len; i++)
		if (n[i] < 0x20 || n[i] > 0x7e)
			return bad_value(c, t, "name not printable ASCII");
	ret->registrant_kind = (uint8_t)(head >> 24);
	ret->registrant.p = n;
	ret->registrant.len = (uint16_t)len;
	return 0;
}

static int
dec_u32_param(struct dctx *c, const struct tlv *t, uint32_t *ret)
{
	struct rbuf v = t->val;

	if (rbuf_left(&v) != 4)
		return bad_value(c, t, "length must be 8");
	rbuf_u32(&v, ret);
	return 0;
}

/* Pool Element, RFC 5354 §3.10: fixed fields, user transport, policy, [ASAP transport]. */
static int
dec_pe(struct dctx *c, const struct tlv *t, struct rsp_pe *ret)
{
	struct rbuf v = t->val;
	struct tlv p;
	uint32_t life;
	int rc, state = 0;	/* 0: want user transport, 1: policy, 2: asap, 3: done */

	pe_clear(ret);
	if (rbuf_u32(&v, &ret->id) == -1 || rbuf_u32(&v, &ret->home_id) == -1 ||
	    rbuf_u32(&v, &life) == -1)
		return bad_value(c, t, "truncated");
	ret->life = (int32_t)life;
	while (rbuf_left(&v) > 0) {
		if ((rc = tlv_next_known_or(c, &v, &p,
		    RSP_PARAM_REGISTRANT)) == -1)
			return -1;
		if (rc == 1)
			break;
		if (p.type == RSP_PARAM_REGISTRANT) {
			if (state < 2 || ret->registrant_kind != 0)
				return fail(c, RSP_CAUSE_INVALID_VALUES,
				    p.start, t->start, t->len, "Pool Element: "
				    "Registrant Identity %s", state < 2 ?
				    "before the policy" : "twice");
			if (dec_registrant(c, &p, ret) == -1)
				return -1;
		} else if (state == 0 && is_user_transport(p.type)) {
			if (dec_transport(c, &p, &ret->user) == -1)
				return -1;
			state = 1;
		} else if (state == 1 && p.type == RSP_PARAM_POLICY) {
			if (dec_policy(c, &p, &ret->policy) == -1)
				return -1;
			state = 2;
		} else if (state == 2 && p.type == RSP_PARAM_SCTP_TRANSPORT) {
			if (dec_transport(c, &p, &ret->asap) == -1)
				return -1;
			ret->has_asap = true;
			state = 3;
		} else {
			return fail(c, RSP_CAUSE_INVALID_VALUES, p.start,
			    t->start, t->len, "Pool Element: unexpected %s",
			    rsp_param_name(p.type));
		}
	}
	if (state < 2)
		return bad_value(c, t, state == 0 ? "no user transport" :
		    "no member selection policy");
	return 0;
}

static int
dec_server_info(struct dctx *c, const struct tlv *t,
    struct rsp_server_info *ret)
{
	struct rbuf v = t->val;
	struct tlv p;
	int rc;

	ret->id = 0;
	transport_clear(&ret->transport);	/* addresses: up to naddr */
	if (rbuf_u32(&v, &ret->id) == -1)
		return bad_value(c, t, "truncated");
	if (rbuf_left(&v) == 0)
		return bad_value(c, t, "no SCTP transport");
	if ((rc = tlv_next_known(c, &v, &p)) == -1)
		return -1;
	if (rc == 1 || p.type != RSP_PARAM_SCTP_TRANSPORT)
		return bad_value(c, t, "no SCTP transport");
	if (dec_transport(c, &p, &ret->transport) == -1)
		return -1;
	while (rbuf_left(&v) > 0) {
		if ((rc = tlv_next_known(c, &v, &p)) == -1)
			return -1;
		if (rc == 0)
			return bad_value(c, t, "unexpected parameter after "
			    "the transport");
	}
	return 0;
}

static int
dec_op_error(struct dctx *c, const struct tlv *t, struct rsp_op_error *ret)
{
	struct rbuf v = t->val;
	const uint8_t *at;
	uint16_t code, len;
	size_t pad;

	memset(ret, 0, sizeof(*ret));
	while (rbuf_left(&v) > 0) {
		at = rbuf_cur(&v);
		if (rbuf_left(&v) < 4)
			return bad_value(c, t, "truncated error cause");
		code = get_u16(at);
		len = get_u16(at + 2);
		if (len < 4 || len > rbuf_left(&v))
			return fail(c, RSP_CAUSE_INVALID_VALUES, at, t->start,
			    t->len, "Operation Error: cause length %u %s", len,
			    len < 4 ? "below 4" : "overruns the parameter");
		if (ret->ncause == RSP_MAX_CAUSES)
			return fail(c, RSP_CAUSE_LACK_OF_RESOURCES, at,
			    t->start, t->len, "Operation Error: more than %d "
			    "causes", RSP_MAX_CAUSES);
		ret->cause[ret->ncause].code = code;
		ret->cause[ret->ncause].info.p = at + 4;
		ret->cause[ret->ncause].info.len = len - 4;
		ret->ncause++;
		rbuf_skip(&v, len);
		pad = roundup4(len) - len;
		if (pad > rbuf_left(&v))
			pad = rbuf_left(&v);
		if (!zero(rbuf_cur(&v), pad))
			return bad_value(c, t, "non-zero padding after a cause");
		rbuf_skip(&v, pad);
	}
	if (ret->ncause == 0)
		return bad_value(c, t, "no error cause");
	return 0;
}

int
rsp_decode_pe(const uint8_t *p, size_t len, struct rsp_pe *ret,
    struct rsp_err *err)
{
	struct dctx c = { .msg = p, .err = err };
	struct rbuf b;
	struct tlv t;

	rbuf_init(&b, p, len);
	if (tlv_next(&c, &b, &t) == -1)
		return -1;
	if (t.type != RSP_PARAM_POOL_ELEMENT)
		return bad_value(&c, &t, "not a Pool Element");
	return dec_pe(&c, &t, ret);
}

/*
 * Message schemas: the parameters each message carries, in order
 * (RFC 5352 §2.2, RFC 5353 §2).  A repeated slot takes one or more.
 */
enum slot {
	S_END = 0,
	S_HANDLE, S_PE, S_PE_ID, S_HROPT, S_POLICY, S_ERROR, S_COOKIE,
	S_CHECKSUM, S_SERVER_INFO,
	S_PE_LIST, S_TRANSPORT_LIST, S_SERVER_INFO_LIST, S_POOL_ENTRIES,
	S_REGID, S_ADDR, S_REGUNI,
};
#define REQ	0x40	/* required */
#define ANYPOS	0x80	/* may stand anywhere among the message's parameters */
#define SLOT(x)	((x) & 0x3f)
#define NSLOTS	6

/* Fixed fields after the header (and, for ENRP, after the two server ids). */
enum fixed { F_NONE, F_SERVER_ID, F_UPDATE_ACTION, F_TARGET_ID };

struct schema {
	uint8_t		 fixed;
	uint8_t		 slots[NSLOTS];
};

static const struct schema asap_schema[ASAP_MSG_MAX + 1] = {
	[ASAP_REGISTRATION] = { F_NONE, { S_HANDLE | REQ, S_PE | REQ,
	    S_REGUNI | ANYPOS } },
	[ASAP_DEREGISTRATION] = { F_NONE, { S_HANDLE | REQ, S_PE_ID | REQ } },
	[ASAP_REGISTRATION_RESPONSE] = { F_NONE, { S_HANDLE | REQ,
	    S_PE_ID | REQ, S_ERROR, S_REGUNI | ANYPOS } },
	[ASAP_DEREGISTRATION_RESPONSE] =
	    { F_NONE, { S_HANDLE | REQ, S_PE_ID | REQ, S_ERROR } },
	[ASAP_HANDLE_RESOLUTION] =
	    { F_NONE, { S_HANDLE | REQ, S_HROPT, S_REGID | ANYPOS,
	    S_REGUNI | ANYPOS } },
	[ASAP_HANDLE_RESOLUTION_RESPONSE] = { F_NONE, { S_HANDLE | REQ,
	    S_POLICY, S_PE_LIST, S_ERROR, S_REGID | ANYPOS,
	    S_REGUNI | ANYPOS } },
	/* rsplib adds a PE Identifier (doc/protocol/asap.md §2.1). */
	[ASAP_ENDPOINT_KEEP_ALIVE] =
	    { F_SERVER_ID, { S_HANDLE | REQ, S_PE_ID } },
	[ASAP_ENDPOINT_KEEP_ALIVE_ACK] =
	    { F_NONE, { S_HANDLE | REQ, S_PE_ID | REQ } },
	[ASAP_ENDPOINT_UNREACHABLE] =
	    { F_NONE, { S_HANDLE | REQ, S_PE_ID | REQ } },
	[ASAP_SERVER_ANNOUNCE] = { F_SERVER_ID, { S_TRANSPORT_LIST } },
	[ASAP_COOKIE] = { F_NONE, { S_COOKIE | REQ } },
	[ASAP_COOKIE_ECHO] = { F_NONE, { S_COOKIE | REQ } },
	[ASAP_BUSINESS_CARD] = { F_NONE, { S_HANDLE | REQ, S_PE_LIST | REQ } },
	[ASAP_ERROR] = { F_NONE, { S_ERROR | REQ } },
};

static const struct schema enrp_schema[ENRP_MSG_MAX + 1] = {
	[ENRP_PRESENCE] = { F_NONE, { S_CHECKSUM, S_SERVER_INFO } },
	[ENRP_HANDLE_TABLE_REQUEST] = { F_NONE, { S_END } },
	[ENRP_HANDLE_TABLE_RESPONSE] = { F_NONE, { S_POOL_ENTRIES } },
	[ENRP_HANDLE_UPDATE] =
	    { F_UPDATE_ACTION, { S_HANDLE | REQ, S_PE | REQ } },
	[ENRP_LIST_REQUEST] = { F_NONE, { S_END } },
	[ENRP_LIST_RESPONSE] = { F_NONE, { S_SERVER_INFO_LIST } },
	[ENRP_INIT_TAKEOVER] = { F_TARGET_ID, { S_END } },
	[ENRP_INIT_TAKEOVER_ACK] = { F_TARGET_ID, { S_END } },
	[ENRP_TAKEOVER_SERVER] = { F_TARGET_ID, { S_END } },
	[ENRP_ERROR] = { F_NONE, { S_ERROR | REQ } },
};
/* doc/spec/unreachable-report.md */
static const struct schema enrp_pe_report_schema =
    { F_NONE, { S_HANDLE | REQ, S_PE_ID | REQ, S_ADDR | REQ } };

static const char *
slot_name(int s)
{
	switch (s) {
	case S_HANDLE:			return "Pool Handle";
	case S_PE:			return "Pool Element";
	case S_PE_ID:			return "PE Identifier";
	case S_HROPT:			return "Handle Resolution Option";
	case S_POLICY:			return "Pool Member Selection Policy";
	case S_ERROR:			return "Operation Error";
	case S_COOKIE:			return "Cookie";
	case S_CHECKSUM:		return "PE Checksum";
	case S_SERVER_INFO:		return "Server Information";
	case S_PE_LIST:			return "Pool Element";
	case S_TRANSPORT_LIST:		return "transport";
	case S_SERVER_INFO_LIST:	return "Server Information";
	case S_POOL_ENTRIES:		return "pool entry";
	case S_REGID:			return "Registrar Identity";
	case S_ADDR:			return "IP Address";
	case S_REGUNI:			return "Registrar Unicast";
	default:			return "parameter";
	}
}

static bool
slot_takes(int s, uint16_t type)
{
	switch (s) {
	case S_HANDLE:		return type == RSP_PARAM_POOL_HANDLE;
	case S_PE:		return type == RSP_PARAM_POOL_ELEMENT;
	case S_PE_ID:		return type == RSP_PARAM_PE_ID;
	case S_HROPT:		return type == RSP_PARAM_HANDLE_RESOLUTION_OPT;
	case S_POLICY:		return type == RSP_PARAM_POLICY;
	case S_ERROR:		return type == RSP_PARAM_OPERATION_ERROR;
	case S_COOKIE:		return type == RSP_PARAM_COOKIE;
	case S_CHECKSUM:	return type == RSP_PARAM_PE_CHECKSUM;
	case S_SERVER_INFO:	return type == RSP_PARAM_SERVER_INFO;
	case S_PE_LIST:		return type == RSP_PARAM_POOL_ELEMENT;
	/* RFC 5352 §2.2.10: only SCTP or TCP transports in an announce. */
	case S_TRANSPORT_LIST:	return type == RSP_PARAM_SCTP_TRANSPORT ||
				    type == RSP_PARAM_TCP_TRANSPORT;
	case S_SERVER_INFO_LIST: return type == RSP_PARAM_SERVER_INFO;
	case S_POOL_ENTRIES:	return type == RSP_PARAM_POOL_HANDLE ||
				    type == RSP_PARAM_POOL_ELEMENT;
	case S_REGID:		return type == RSP_PARAM_REGISTRAR_ID;
	case S_ADDR:		return type == RSP_PARAM_IPV4_ADDR ||
				    type == RSP_PARAM_IPV6_ADDR;
	case S_REGUNI:		return type == RSP_PARAM_REGISTRAR_UNICAST;
	default:		return false;
	}
}

static bool
slot_repeats(int s)
{
	return s >= S_PE_LIST && s <= S_POOL_ENTRIES;
}

/* Record the extent of the items region and count its items. */
static void
items_add(struct rsp_msg *m, const struct tlv *t, bool counts)
{
	const uint8_t *end = t->start + roundup4(t->len);

	if (m->items.p == NULL)
		m->items.p = t->start;
	m->items.len = (uint16_t)(end - m->items.p);
	if (counts)
		m->nitems++;
}

static int
dec_slot(struct dctx *c, int s, const struct tlv *t, bool *pool_open)
{
	struct rsp_msg *m = c->m;
	struct rsp_transport tr;
	struct rsp_server_info si;
	struct rsp_pe pe;
	struct rbuf v;

	switch (s) {
	case S_HANDLE:
		m->has_handle = true;
		return dec_handle(c, t, &m->handle);
	case S_PE:
		m->has_pe = true;
		return dec_pe(c, t, &m->pe);
	case S_PE_ID:
		m->has_pe_id = true;
		return dec_u32_param(c, t, &m->pe_id);
	case S_HROPT:
		m->has_hropt = true;
		return dec_u32_param(c, t, &m->hropt_items);
	case S_POLICY:
		m->has_policy = true;
		return dec_policy(c, t, &m->policy);
	case S_ERROR:
		m->has_error = true;
		return dec_op_error(c, t, &m->error);
	case S_COOKIE:
		m->has_cookie = true;
		m->cookie.p = rbuf_cur(&t->val);
		m->cookie.len = (uint16_t)rbuf_left(&t->val);
		return 0;
	case S_CHECKSUM:
		v = t->val;
		if (rbuf_left(&v) != 2)
			return bad_value(c, t, "length must be 6");
		m->has_checksum = true;
		rbuf_u16(&v, &m->checksum);
		return 0;
	case S_SERVER_INFO:
		m->has_server_info = true;
		return dec_server_info(c, t, &m->server_info);
	case S_PE_LIST:
		if (dec_pe(c, t, &pe) == -1)
			return -1;
		items_add(m, t, true);
		return 0;
	case S_TRANSPORT_LIST:
		if (dec_transport(c, t, &tr) == -1)
			return -1;
		items_add(m, t, true);
		return 0;
	case S_SERVER_INFO_LIST:
		if (dec_server_info(c, t, &si) == -1)
			return -1;
		items_add(m, t, true);
		return 0;
	case S_POOL_ENTRIES:
		/* RFC 5353 §2.3: a Pool Handle, then one or more PEs. */
		if (t->type == RSP_PARAM_POOL_HANDLE) {
			struct rsp_bytes h;

			if (*pool_open)
				return bad_value(c, t, "pool entry without "
				    "a Pool Element");
			if (dec_handle(c, t, &h) == -1)
				return -1;
			*pool_open = true;
			items_add(m, t, false);
			return 0;
		}
		if (m->items.p == NULL)
			return bad_value(c, t, "Pool Element before any "
			    "Pool Handle");
		if (dec_pe(c, t, &pe) == -1)
			return -1;
		*pool_open = false;
		items_add(m, t, true);
		return 0;
	case S_REGID:
		return dec_regid(c, t, m);
	case S_ADDR:
		m->has_addr = true;
		return dec_addr(c, t, &m->addr);
	case S_REGUNI:
		return dec_reguni(c, t, m);
	default:
		return bad_value(c, t, "internal: bad slot");
	}
}

/* Is this a position-free extension parameter (only these: see ANYPOS)? */
static bool
param_anypos(uint16_t type)
{
	return type == RSP_PARAM_REGISTRAR_ID ||
	    type == RSP_PARAM_REGISTRAR_UNICAST;
}

/*
 * A position-free parameter: decoded where the schema lists it, else
 * (another message) what its action bits say, as for an unknown type.
 */
static int
dec_anypos(struct dctx *c, const struct schema *sc, const struct tlv *t)
{
	int j;

	for (j = 0; j < NSLOTS && sc->slots[j] != S_END; j++)
		if ((sc->slots[j] & ANYPOS) &&
		    slot_takes(SLOT(sc->slots[j]), t->type))
			return dec_slot(c, SLOT(sc->slots[j]), t, NULL);
	return param_unknown(c, t);
}

static int
dec_params(struct dctx *c, struct rbuf *b, const struct schema *sc)
{
	struct rsp_msg *m = c->m;
	struct tlv t;
	bool pool_open = false;
	int i = 0, j, filled = -1;	/* filled: repeated slot with items */

	while (rbuf_left(b) > 0) {
		if (tlv_next(c, b, &t) == -1)
			return -1;
		if (param_anypos(t.type)) {
			if (dec_anypos(c, sc, &t) == -1)
				return -1;
			continue;
		}
		if (!param_known(t.type)) {
			if (param_unknown(c, &t) == -1)
				return -1;
			continue;
		}
		for (j = i; j < NSLOTS && sc->slots[j] != S_END; j++)
			if (!(sc->slots[j] & ANYPOS) &&
			    slot_takes(SLOT(sc->slots[j]), t.type))
				break;
		if (j == NSLOTS || sc->slots[j] == S_END)
			return fail(c, RSP_CAUSE_INVALID_VALUES, t.start,
			    t.start, t.len, "%s: unexpected %s",
			    rsp_msg_name(m->proto, m->type),
			    rsp_param_name(t.type));
		for (; i < j; i++)
			if ((sc->slots[i] & REQ) && i != filled)
				goto missing;
		if (dec_slot(c, SLOT(sc->slots[j]), &t, &pool_open) == -1)
			return -1;
		if (slot_repeats(SLOT(sc->slots[j])))
			filled = j;
		else
			i = j + 1;
	}
	if (pool_open)
		return fail(c, RSP_CAUSE_INVALID_VALUES, NULL, NULL, 0,
		    "%s: pool entry without a Pool Element",
		    rsp_msg_name(m->proto, m->type));
	for (; i < NSLOTS && sc->slots[i] != S_END; i++)
		if ((sc->slots[i] & REQ) && i != filled)
			goto missing;
	return 0;
missing:
	return fail(c, RSP_CAUSE_INVALID_VALUES, NULL, NULL, 0,
	    "%s: missing %s", rsp_msg_name(m->proto, m->type),
	    slot_name(SLOT(sc->slots[i])));
}

long
rsp_frame(const uint8_t *p, size_t len)
{
	uint16_t mlen;

	if (len < RSP_MSG_HDR_LEN)
		return 0;
	mlen = get_u16(p + 2);
	if (mlen < RSP_MSG_HDR_LEN)
		return -1;
	if (len < roundup4(mlen))
		return 0;
	return (long)roundup4(mlen);
}

/*
 * A cleared message, all but the arrays that are read only up to their
 * counts: the address arrays of the PE and of the Server Information (their
 * decoders clear them whole when the message carries one), the causes after
 * the first, the skip-and-report parameters.  Of its 1,552 bytes that
 * leaves some 330 to clear.  (A memset of the whole was a sixth of the
 * instructions of decoding a resolution, and of the rest after the PE a
 * quarter of what remained.)
 */
#define MSG_OFF(f)	offsetof(struct rsp_msg, f)
#define MSG_END(f)	(offsetof(struct rsp_msg, f) + \
			    sizeof(((struct rsp_msg *)0)->f))
_Static_assert(MSG_END(pe) <= MSG_OFF(server_info) &&
    MSG_END(server_info) <= MSG_OFF(error.cause[1]) &&
    MSG_END(error) <= MSG_OFF(items) && MSG_OFF(nunrec) < MSG_OFF(unrec) &&
    MSG_END(unrec) == sizeof(struct rsp_msg),
    "msg_clear: the fields it skips are in this order");

static void
msg_clear(struct rsp_msg *m)
{
	uint8_t *b = (uint8_t *)m;

	memset(m, 0, MSG_OFF(pe));
	memset(b + MSG_END(pe), 0, MSG_OFF(server_info) - MSG_END(pe));
	m->server_info.id = 0;
	transport_clear(&m->server_info.transport);
	memset(b + MSG_END(server_info), 0, MSG_OFF(error.cause[1]) -
	    MSG_END(server_info));
	memset(b + MSG_OFF(items), 0, MSG_OFF(unrec) - MSG_OFF(items));
	pe_clear(&m->pe);
}

int
rsp_decode(enum rsp_proto proto, const uint8_t *p, size_t len,
    const struct rsp_decode_opts *opts, struct rsp_msg *ret,
    struct rsp_err *err)
{
	struct dctx c = { .msg = p, .err = err, .m = ret };
	const struct schema *sc = NULL;
	struct rbuf b;
	uint8_t type;
	uint16_t mlen;

	msg_clear(ret);
	if (err != NULL) {	/* all but the text after its first byte */
		memset(err, 0, offsetof(struct rsp_err, what));
		err->what[0] = '\0';
	}
	c.handle_max = opts != NULL && opts->pool_handle_max != 0 ?
	    opts->pool_handle_max : RSP_POOL_HANDLE_MAX_DEFAULT;
	ret->proto = proto;

	if (len < RSP_MSG_HDR_LEN)
		return fail(&c, RSP_CAUSE_INVALID_VALUES, p, p, len,
		    "truncated message header (%zu bytes)", len);
	type = p[0];
	mlen = get_u16(p + 2);
	ret->type = type;
	ret->flags = p[1];
	ret->length = mlen;
	if (mlen < RSP_MSG_HDR_LEN)
		return fail(&c, RSP_CAUSE_INVALID_VALUES, p + 2, p, len,
		    "message length %u below 4", mlen);
	if (mlen > len)
		return fail(&c, RSP_CAUSE_INVALID_VALUES, p + 2, p, len,
		    "message length %u exceeds the %zu bytes received",
		    mlen, len);
	if (len > roundup4(mlen))
		return fail(&c, RSP_CAUSE_INVALID_VALUES, p + mlen, p, len,
		    "%zu bytes after the message and its padding",
		    len - roundup4(mlen));
	if (!zero(p + mlen, len - mlen))
		return fail(&c, RSP_CAUSE_INVALID_VALUES, p + mlen, p, len,
		    "non-zero padding after the message");

	if (proto == RSP_PROTO_ASAP && type >= 1 && type <= ASAP_MSG_MAX)
		sc = &asap_schema[type];
	else if (proto == RSP_PROTO_ENRP && type >= 1 && type <= ENRP_MSG_MAX)
		sc = &enrp_schema[type];
	else if (proto == RSP_PROTO_ENRP && type == ENRP_PE_REPORT)
		sc = &enrp_pe_report_schema;
	if (sc == NULL) {
		/* RFC 5354 §4: the top two bits say whether to report. */
		fail(&c, RSP_CAUSE_UNRECOGNIZED_MSG, p, p, mlen,
		    "unrecognized %s message type 0x%02x",
		    proto == RSP_PROTO_ENRP ? "ENRP" : "ASAP", type);
		if (err != NULL)
			err->silent = (type & RSP_MSG_ACTION_MASK) !=
			    RSP_MSG_ACTION_STOP_REPORT;
		return -1;
	}

	rbuf_init(&b, p + RSP_MSG_HDR_LEN, mlen - RSP_MSG_HDR_LEN);
	if (proto == RSP_PROTO_ENRP &&
	    (rbuf_u32(&b, &ret->sender_id) == -1 ||
	    rbuf_u32(&b, &ret->receiver_id) == -1))
		return fail(&c, RSP_CAUSE_INVALID_VALUES, rbuf_cur(&b), p, mlen,
		    "%s: truncated server identifiers",
		    rsp_msg_name(proto, type));
	switch (sc->fixed) {
	case F_SERVER_ID:
		if (rbuf_u32(&b, &ret->server_id) == -1)
			goto short_fixed;
		break;
	case F_TARGET_ID:
		if (rbuf_u32(&b, &ret->target_id) == -1)
			goto short_fixed;
		break;
	case F_UPDATE_ACTION: {
		uint16_t reserved;

		if (rbuf_u16(&b, &ret->update_action) == -1 ||
		    rbuf_u16(&b, &reserved) == -1)
			goto short_fixed;
		/* RFC 5353 §2.4: other actions MUST NOT be used. */
		if (ret->update_action > ENRP_DEL_PE)
			return fail(&c, RSP_CAUSE_INVALID_VALUES, p + 12, p,
			    mlen, "Handle Update: invalid update action %u",
			    ret->update_action);
		break;
	}
	default:
		break;
	}
	if (dec_params(&c, &b, sc) == -1)
		return -1;

	/* Flag-dependent rules. */
	if (proto == RSP_PROTO_ENRP && ret->nitems > 0 &&
	    (ret->flags & ENRP_FLAG_REJECT) &&
	    (type == ENRP_HANDLE_TABLE_RESPONSE || type == ENRP_LIST_RESPONSE))
		return fail(&c, RSP_CAUSE_INVALID_VALUES, p, p, mlen,
		    "%s: rejection (R flag) with entries",
		    rsp_msg_name(proto, type));
	return 0;

short_fixed:
	return fail(&c, RSP_CAUSE_INVALID_VALUES, rbuf_cur(&b), p, mlen,
	    "%s: truncated fixed fields", rsp_msg_name(proto, type));
}

void
rsp_iter_init(struct rsp_iter *it, const struct rsp_msg *m)
{
	memset(it, 0, sizeof(*it));
	rbuf_init(&it->b, m->items.p, m->items.p != NULL ? m->items.len : 0);
	it->proto = m->proto;
	it->type = m->type;
	if (m->has_handle)
		it->handle = m->handle;
}

/* Next TLV of the region of type want (or a pool handle, remembered). */
static int
iter_next(struct rsp_iter *it, bool (*want)(uint16_t), struct tlv *t)
{
	struct dctx c = { 0 };

	while (rbuf_left(&it->b) > 0) {
		if (tlv_next(&c, &it->b, t) == -1)
			return 0;	/* cannot happen: validated */
		if (t->type == RSP_PARAM_POOL_HANDLE) {
			it->handle.p = rbuf_cur(&t->val);
			it->handle.len = (uint16_t)rbuf_left(&t->val);
			continue;
		}
		if (want(t->type))
			return 1;
	}
	return 0;
}

static bool
want_pe(uint16_t type)
{
	return type == RSP_PARAM_POOL_ELEMENT;
}

static bool
want_si(uint16_t type)
{
	return type == RSP_PARAM_SERVER_INFO;
}

int
rsp_iter_pe(struct rsp_iter *it, struct rsp_bytes *ret_handle,
    struct rsp_pe *ret_pe)
{
	struct dctx c = { 0 };
	struct tlv t;

	if (iter_next(it, want_pe, &t) == 0)
		return 0;
	if (dec_pe(&c, &t, ret_pe) == -1)
		return 0;
	if (ret_handle != NULL)
		*ret_handle = it->handle;
	return 1;
}

void
rsp_iter_init_reguni(struct rsp_iter *it, const struct rsp_msg *m)
{
	memset(it, 0, sizeof(*it));
	rbuf_init(&it->b, m->reguni.p, m->reguni.p != NULL ? m->reguni.len :
	    0);
	it->proto = m->proto;
	it->type = m->type;
}

int
rsp_iter_transport(struct rsp_iter *it, struct rsp_transport *ret)
{
	struct dctx c = { 0 };
	struct tlv t;

	if (iter_next(it, is_transport, &t) == 0)
		return 0;
	return dec_transport(&c, &t, ret) == 0;
}

int
rsp_iter_server_info(struct rsp_iter *it, struct rsp_server_info *ret)
{
	struct dctx c = { 0 };
	struct tlv t;

	if (iter_next(it, want_si, &t) == 0)
		return 0;
	return dec_server_info(&c, &t, ret) == 0;
}

/*
 * Re-encode the items region: every known item TLV again, in its order,
 * through the encoders (skip-class unknown parameters are dropped).
 */
static void
encode_items(struct wbuf *w, const struct rsp_msg *m)
{
	struct dctx c = { 0 };
	struct rbuf b;
	struct tlv t;
	struct rsp_pe pe;
	struct rsp_transport tr;
	struct rsp_server_info si;

	if (m->items.p == NULL)
		return;
	rbuf_init(&b, m->items.p, m->items.len);
	while (rbuf_left(&b) > 0) {
		if (tlv_next(&c, &b, &t) == -1)
			return;
		switch (t.type) {
		case RSP_PARAM_POOL_HANDLE:
			rsp_put_handle(w, rbuf_cur(&t.val), rbuf_left(&t.val));
			break;
		case RSP_PARAM_POOL_ELEMENT:
			if (dec_pe(&c, &t, &pe) == 0)
				rsp_put_pe(w, &pe);
			break;
		case RSP_PARAM_SERVER_INFO:
			if (dec_server_info(&c, &t, &si) == 0)
				rsp_put_server_info(w, &si);
			break;
		default:
			if (is_transport(t.type) &&
			    dec_transport(&c, &t, &tr) == 0)
				rsp_put_transport(w, &tr);
			break;
		}
	}
}

int
rsp_encode(struct wbuf *w, const struct rsp_msg *m)
{
	size_t start;

	start = rsp_put_msg_begin(w, m->type, m->flags);
	if (m->proto == RSP_PROTO_ENRP) {
		wbuf_u32(w, m->sender_id);
		wbuf_u32(w, m->receiver_id);
		if (m->type == ENRP_HANDLE_UPDATE) {
			wbuf_u16(w, m->update_action);
			wbuf_u16(w, 0);
		} else if (m->type == ENRP_INIT_TAKEOVER ||
		    m->type == ENRP_INIT_TAKEOVER_ACK ||
		    m->type == ENRP_TAKEOVER_SERVER) {
			wbuf_u32(w, m->target_id);
		}
	} else if (m->type == ASAP_ENDPOINT_KEEP_ALIVE ||
	    m->type == ASAP_SERVER_ANNOUNCE) {
		wbuf_u32(w, m->server_id);
	}
	if (m->has_checksum)
		rsp_put_checksum(w, m->checksum);
	if (m->has_server_info)
		rsp_put_server_info(w, &m->server_info);
	if (m->has_handle)
		rsp_put_handle(w, m->handle.p, m->handle.len);
	if (m->has_pe)
		rsp_put_pe(w, &m->pe);
	if (m->has_pe_id)
		rsp_put_pe_id(w, m->pe_id);
	if (m->has_addr)
		rsp_put_addr(w, &m->addr);
	if (m->has_hropt)
		rsp_put_hropt(w, m->hropt_items);
	if (m->has_policy)
		rsp_put_policy(w, &m->policy);
	encode_items(w, m);
	if (m->has_cookie)
		rsp_put_cookie(w, m->cookie.p, m->cookie.len);
	if (m->has_error)
		rsp_put_op_error(w, &m->error);
	if (m->has_regid && m->regid_answer)
		rsp_put_regid(w, m->regid_server_id, m->regid_node.p,
		    m->regid_node.len);
	else if (m->has_regid)
		rsp_put_regid_request(w);
	if (m->has_reguni && m->reguni_answer) {
		struct rsp_transport tr[RSP_REGUNI_MAX];
		struct rsp_iter it;
		size_t n = 0;

		rsp_iter_init_reguni(&it, m);
		while (n < RSP_REGUNI_MAX && rsp_iter_transport(&it, &tr[n]))
			n++;
		rsp_put_reguni(w, tr, n);
	} else if (m->has_reguni) {
		rsp_put_reguni_request(w);
	}
	rsp_put_msg_end(w, start);
	return w->err ? -1 : 0;
}
