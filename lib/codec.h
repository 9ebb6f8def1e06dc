/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Wire codec for ASAP (RFC 5352) and ENRP (RFC 5353) messages and the
 * parameters of RFC 5354.  Pure functions: no I/O, no logging, no allocation.
 *
 * Decoding: rsp_decode() validates a whole message and fills a struct rsp_msg
 * whose byte fields are views into the caller's buffer (copy what you keep).
 * Repeated items (Pool Elements of a resolution answer or a business card,
 * pool entries of a handle table, transports of a server announce, server
 * information of a list response) stay in a validated region walked with the
 * rsp_iter_*() functions.  A decoding failure fills struct rsp_err with the
 * RFC 5354 error cause to send back and a sentence saying what was wrong.
 *
 * Encoding: either build a message with rsp_put_*() on a struct wbuf
 * (rsp_put_msg_begin ... rsp_put_msg_end), or re-encode a decoded view with
 * rsp_encode().  A message or TLV length excludes its own trailing padding;
 * it includes that of its last nested TLV as RSPLIB expects, unless the
 * wbuf has rfc_lengths set (RFC 5354 §2).  The decoder accepts both.
 */
#ifndef ANYPOOL_CODEC_H
#define ANYPOOL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rserpool.h"

#define RSP_MAX_ADDRS		16	/* addresses in one transport parameter */
#define RSP_MAX_CAUSES		8	/* causes in one Operation Error */
#define RSP_MAX_UNREC		8	/* skip+report parameters remembered */
#define RSP_POLICY_MAX_VALUES	4	/* uint32 fields after the policy type */

/* A view of bytes inside a buffer the caller owns. */
struct rsp_bytes {
	const uint8_t	*p;
	uint16_t	 len;
};

struct rsp_addr {
	uint8_t		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 a[16];		/* 4 or 16 bytes used */
};

struct rsp_transport {
	uint16_t	 type;		/* RSP_PARAM_*_TRANSPORT */
	uint16_t	 port;
	/*
	 * SCTP: Transport Use.  TCP, UDP, UDP-Lite, DCCP: the reserved field
	 * at offset 6 as received (rsplib writes Transport Use into TCP).
	 */
	uint16_t	 use;
	uint32_t	 service_code;	/* DCCP only */
	uint8_t		 naddr;
	struct rsp_addr	 addr[RSP_MAX_ADDRS];
	struct rsp_bytes opaque;	/* Opaque Transport only */
};

struct rsp_policy {
	uint32_t	 type;		/* RSP_POLICY_* */
	uint8_t		 nval;		/* policy-specific uint32 fields */
	uint32_t	 val[RSP_POLICY_MAX_VALUES];
};

struct rsp_pe {
	uint32_t	 id;
	uint32_t	 home_id;	/* 0: not yet determined */
	int32_t		 life;		/* RSP_LIFE_INFINITE, else s (RFC) or ms (impl.) */
	struct rsp_transport user;
	struct rsp_policy policy;
	bool		 has_asap;	/* ASAP transport (SCTP), set by registrars */
	struct rsp_transport asap;
	/* Registrant (0x8a02, ENRP only): kind 0 = none, else RSP_REGISTRANT_* */
	uint8_t		 registrant_kind;
	struct rsp_bytes registrant;	/* its name: 1..RSP_REGISTRANT_NAME_MAX */
};

struct rsp_server_info {
	uint32_t	 id;
	struct rsp_transport transport;	/* SCTP transport */
};

struct rsp_cause {
	uint16_t	 code;		/* RSP_CAUSE_* */
	struct rsp_bytes info;		/* cause-specific information */
};

struct rsp_op_error {
	uint8_t		 ncause;
	struct rsp_cause cause[RSP_MAX_CAUSES];
};

struct rsp_msg {
	enum rsp_proto	 proto;
	uint8_t		 type;
	uint8_t		 flags;
	uint16_t	 length;	/* as in the header */

	uint32_t	 server_id;	/* ASAP ENDPOINT_KEEP_ALIVE, SERVER_ANNOUNCE */
	uint32_t	 sender_id;	/* ENRP: every message */
	uint32_t	 receiver_id;	/* ENRP: every message */
	uint32_t	 target_id;	/* ENRP INIT_TAKEOVER, _ACK, TAKEOVER_SERVER */
	uint16_t	 update_action;	/* ENRP HANDLE_UPDATE: ENRP_ADD_PE/DEL_PE */
	bool		 has_addr;	/* ENRP_PE_REPORT: who reported it */
	struct rsp_addr	 addr;

	bool		 has_handle;
	struct rsp_bytes handle;	/* Pool Handle */
	bool		 has_pe_id;
	uint32_t	 pe_id;		/* PE Identifier parameter */
	bool		 has_pe;
	struct rsp_pe	 pe;		/* REGISTRATION, HANDLE_UPDATE */
	bool		 has_hropt;
	uint32_t	 hropt_items;	/* Handle Resolution Option */
	bool		 has_regid;	/* Registrar Identity (0x8a01) */
	bool		 regid_answer;	/* with a value: a registrar's answer */
	uint32_t	 regid_server_id;
	struct rsp_bytes regid_node;	/* UTF-8, no NUL, <= RSP_REGID_NODE_MAX */
	bool		 has_reguni;	/* Registrar Unicast (0x8a03) */
	bool		 reguni_answer;	/* with transports: a registrar's answer */
	uint8_t		 reguni_n;	/* transports in it (rsp_iter_init_reguni) */
	struct rsp_bytes reguni;	/* its value: the transport TLVs */
	bool		 has_policy;
	struct rsp_policy policy;	/* overall policy of a resolution answer */
	bool		 has_checksum;
	uint16_t	 checksum;	/* ENRP PRESENCE */
	bool		 has_server_info;
	struct rsp_server_info server_info; /* ENRP PRESENCE */
	bool		 has_cookie;
	struct rsp_bytes cookie;
	bool		 has_error;
	struct rsp_op_error error;

	/* Repeated items, validated; walk with rsp_iter_*(). */
	struct rsp_bytes items;
	uint16_t	 nitems;	/* PEs, transports or server infos */

	/* Skip-and-report parameters found (whole TLVs, for the report). */
	uint8_t		 nunrec;
	struct rsp_bytes unrec[RSP_MAX_UNREC];
};

struct rsp_decode_opts {
	uint16_t	 pool_handle_max;	/* 0: RSP_POOL_HANDLE_MAX_DEFAULT */
};

struct rsp_err {
	uint16_t	 cause;		/* RSP_CAUSE_* to report */
	bool		 silent;	/* RFC: discard without any report */
	size_t		 offset;	/* where in the message it went wrong */
	/*
	 * Cause-specific information: the offending parameter when it is a
	 * well-formed TLV, the message for Unrecognized Message; else empty.
	 */
	struct rsp_bytes data;
	char		 what[128];	/* human-readable, for logs and tools */
};

/*
 * Decode one message of protocol proto from p (len bytes: the message and at
 * most 3 bytes of padding).  Returns 0, or -1 with *err filled.
 */
int	rsp_decode(enum rsp_proto proto, const uint8_t *p, size_t len,
	    const struct rsp_decode_opts *opts, struct rsp_msg *ret,
	    struct rsp_err *err);

/*
 * Framing for byte streams (the TCP mapping): with len bytes available at p,
 * returns the number of bytes the first message occupies (its length rounded
 * up to 4), 0 if more bytes are needed, or -1 if the header is invalid
 * (length below 4).
 */
long	rsp_frame(const uint8_t *p, size_t len);

/* Iterate over a decoded message's repeated items. */
struct rsp_iter {
	struct rbuf	 b;
	enum rsp_proto	 proto;
	uint8_t		 type;
	struct rsp_bytes handle;	/* current pool entry's handle */
};
void	rsp_iter_init(struct rsp_iter *it, const struct rsp_msg *m);
/*
 * Next Pool Element (HANDLE_RESOLUTION_RESPONSE, BUSINESS_CARD,
 * HANDLE_TABLE_RESPONSE).  *ret_handle (if not NULL) gets its pool's handle.
 * Returns 1, or 0 at the end.
 */
int	rsp_iter_pe(struct rsp_iter *it, struct rsp_bytes *ret_handle,
	    struct rsp_pe *ret_pe);
int	rsp_iter_transport(struct rsp_iter *it, struct rsp_transport *ret);
int	rsp_iter_server_info(struct rsp_iter *it, struct rsp_server_info *ret);
/* Walk the transports of a Registrar Unicast answer with rsp_iter_transport(). */
void	rsp_iter_init_reguni(struct rsp_iter *it, const struct rsp_msg *m);

/* Parameter decoders, usable on their own (value = whole TLV). */
int	rsp_decode_pe(const uint8_t *tlv, size_t len, struct rsp_pe *ret,
	    struct rsp_err *err);

/* Building messages.  Errors are sticky in the wbuf; check w->err at the end. */
size_t	rsp_put_msg_begin(struct wbuf *w, uint8_t type, uint8_t flags);
void	rsp_put_msg_end(struct wbuf *w, size_t start);
size_t	rsp_put_tlv_begin(struct wbuf *w, uint16_t type);
void	rsp_put_tlv_end(struct wbuf *w, size_t start);
void	rsp_put_handle(struct wbuf *w, const void *p, size_t len);
void	rsp_put_pe_id(struct wbuf *w, uint32_t id);
void	rsp_put_addr(struct wbuf *w, const struct rsp_addr *a);
void	rsp_put_transport(struct wbuf *w, const struct rsp_transport *t);
void	rsp_put_policy(struct wbuf *w, const struct rsp_policy *p);
void	rsp_put_pe(struct wbuf *w, const struct rsp_pe *pe);
/* The same bytes without the fast path (for tests). */
void	rsp_put_pe_generic(struct wbuf *w, const struct rsp_pe *pe);
void	rsp_put_server_info(struct wbuf *w, const struct rsp_server_info *si);
void	rsp_put_op_error(struct wbuf *w, const struct rsp_op_error *e);
void	rsp_put_cookie(struct wbuf *w, const void *p, size_t len);
void	rsp_put_checksum(struct wbuf *w, uint16_t sum);
void	rsp_put_hropt(struct wbuf *w, uint32_t items);
/*
 * Registrar Identity: empty (a request), or a registrar's server identifier
 * and node name (at most RSP_REGID_NODE_MAX bytes, else the wbuf's error).
 */
void	rsp_put_regid_request(struct wbuf *w);
/* A Registrant Identity (doc/spec/registrant-identity.md); rsp_put_pe()
 * writes it when pe->registrant_kind is set.  A name of 0 or more than
 * RSP_REGISTRANT_NAME_MAX bytes sets the wbuf's error. */
void	rsp_put_registrant(struct wbuf *w, uint8_t kind, const void *name,
	    size_t len);
void	rsp_put_regid(struct wbuf *w, uint32_t server_id, const void *node,
	    size_t node_len);
/*
 * Registrar Unicast (doc/spec/registrar-unicast.md): empty (a request), or
 * the answer: n (1..RSP_REGUNI_MAX, else the wbuf's error) TCP or SCTP
 * transports, each with a port and at least one address.
 */
void	rsp_put_reguni_request(struct wbuf *w);
void	rsp_put_reguni(struct wbuf *w, const struct rsp_transport *t, size_t n);

/* Re-encode a decoded message (skip-class unknown parameters are dropped). */
int	rsp_encode(struct wbuf *w, const struct rsp_msg *m);

/* Names, for logs and tools: never NULL. */
const char *rsp_msg_name(enum rsp_proto proto, uint8_t type);
const char *rsp_param_name(uint16_t type);
const char *rsp_cause_name(uint16_t code);
const char *rsp_policy_name(uint32_t type);
/* Number of uint32 fields a known policy carries, or -1 if unknown. */
int	rsp_policy_nval(uint32_t type);

/* Helpers for addresses. */
void	rsp_addr_v4(struct rsp_addr *a, uint32_t host_order);
int	rsp_addr_parse(struct rsp_addr *a, const char *s);	/* 0 or -1 */
const char *rsp_addr_str(const struct rsp_addr *a, char *buf, size_t len);

#endif
