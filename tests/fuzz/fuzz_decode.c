/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for the message decoder.  The first input byte picks the
 * protocol (bit 0) and a pool handle limit (bits 1-7); the rest is one
 * message.  Whatever decodes must re-encode, decode again, and re-encode to
 * the same bytes; the iterators must walk every item the decoder counted;
 * the stream framer must agree with the decoder on the message's extent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out1[65536 + 8], out2[65536 + 8];

static void
walk(const struct rsp_msg *m)
{
	struct rsp_server_info si;
	struct rsp_transport t;
	struct rsp_bytes h;
	struct rsp_iter it;
	struct rsp_pe pe;
	unsigned int n = 0;

	rsp_iter_init(&it, m);
	switch (m->type) {
	case ASAP_SERVER_ANNOUNCE:
		if (m->proto == RSP_PROTO_ASAP)
			while (rsp_iter_transport(&it, &t))
				n++;
		break;
	case ENRP_LIST_RESPONSE:
		if (m->proto == RSP_PROTO_ENRP)
			while (rsp_iter_server_info(&it, &si))
				n++;
		break;
	default:
		break;
	}
	if (n == 0) {
		rsp_iter_init(&it, m);
		while (rsp_iter_pe(&it, &h, &pe))
			n++;
	}
	if (n != m->nitems)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rsp_decode_opts opts = { 0 };
	enum rsp_proto proto;
	struct rsp_msg m, m2;
	struct rsp_err err;
	struct wbuf w1, w2;
	long f;

	if (size < 1)
		return 0;
	proto = (data[0] & 1) ? RSP_PROTO_ENRP : RSP_PROTO_ASAP;
	opts.pool_handle_max = (uint16_t)(data[0] >> 1);
	data++;
	size--;

	f = rsp_frame(data, size);
	if (rsp_decode(proto, data, size, &opts, &m, &err) != 0) {
		if (err.data.p != NULL && (err.data.p < data ||
		    err.data.p + err.data.len > data + size))
			abort();	/* the cause data must be in the input */
		return 0;
	}
	/*
	 * The framer agrees: a stream frame is the message and its full
	 * padding; with part of the padding missing it waits for more.
	 */
	if (size >= roundup4(m.length) ? f != (long)roundup4(m.length) : f != 0)
		abort();
	walk(&m);
	wbuf_init(&w1, out1, sizeof(out1));
	if (rsp_encode(&w1, &m) != 0)
		abort();
	if (rsp_decode(proto, out1, w1.len, &opts, &m2, &err) != 0)
		abort();
	wbuf_init(&w2, out2, sizeof(out2));
	if (rsp_encode(&w2, &m2) != 0)
		abort();
	if (w1.len != w2.len || memcmp(out1, out2, w1.len) != 0)
		abort();
	return 0;
}
