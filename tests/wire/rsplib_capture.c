/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Real traffic: every ASAP and ENRP message in the RSPLIB capture of
 * shared/sctp-vm/captures (3 registrars, 4 PEs, 2 PUs, takeover, cookies) is
 * read with monitoring/pcap_read.c, must decode with rsp_decode() and must
 * re-encode with rsp_encode() to the same bytes.  Messages are counted per
 * type and compared with the table of shared/sctp-vm/README.md.  Skips
 * (exit 77) where ../shared is not next to the source tree.
 * Usage: rsplib_capture [CAPTURE]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "pcap_read.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif
#define CAPTURE	SRCDIR "/../shared/sctp-vm/captures/rsplib-scenario.pcap"

struct tally {
	unsigned long	 count[3][256];		/* [proto][type] */
	unsigned long	 home_keepalives;	/* ENDPOINT_KEEP_ALIVE with H */
	unsigned long	 total, decoded, roundtrip;
	unsigned long	 passed, failed;
	unsigned long	 reported;
};

#define REPORT_MAX	20	/* failures printed in full */

static void
hexdump(const char *label, const uint8_t *p, size_t n)
{
	size_t i;

	printf("  %s:", label);
	for (i = 0; i < n; i++)
		printf("%s%02x", i % 4 ? "" : " ", p[i]);
	printf("\n");
}

static void
on_msg(const struct pcr_msg *pm, void *arg)
{
	struct tally *t = arg;
	const char *pn = pm->proto == RSP_PROTO_ENRP ? "ENRP" : "ASAP";
	struct rsp_msg m;
	struct rsp_err err;
	uint8_t out[RSP_MSG_MAX_LEN + 4];
	struct wbuf w;
	size_t mlen;

	if (pm->kind == PCR_NOTE) {
		t->failed++;
		printf("FAIL frame %lu: not decodable: %s\n", pm->frame,
		    pm->note);
		return;
	}
	t->total++;
	if (rsp_decode(pm->proto, pm->p, pm->len, NULL, &m, &err) == -1) {
		t->failed++;
		printf("FAIL frame %lu: %s type %u does not decode: %s at byte "
		    "%zu (cause 0x%x %s)\n", pm->frame, pn,
		    pm->len ? pm->p[0] : 0, err.what, err.offset, err.cause,
		    rsp_cause_name(err.cause));
		if (t->reported++ < REPORT_MAX)
			hexdump("message", pm->p, pm->len);
		return;
	}
	t->decoded++;
	t->count[pm->proto][m.type]++;
	if (pm->proto == RSP_PROTO_ASAP && m.type == ASAP_ENDPOINT_KEEP_ALIVE &&
	    (m.flags & ASAP_FLAG_HOME))
		t->home_keepalives++;

	/*
	 * The capture holds the message as sent, with or without its final
	 * padding; rsp_encode() always pads.  Compare the message proper and
	 * require the encoder's padding to be what was (or would be) sent.
	 */
	mlen = m.length;
	wbuf_init(&w, out, sizeof(out));
	if (rsp_encode(&w, &m) == -1 || w.err) {
		t->failed++;
		printf("FAIL frame %lu: %s %s: rsp_encode failed\n", pm->frame,
		    pn, rsp_msg_name(pm->proto, m.type));
		return;
	}
	if (w.len != roundup4(mlen) || memcmp(out, pm->p, mlen) != 0 ||
	    (pm->len > mlen && memcmp(out + mlen, pm->p + mlen,
	    pm->len - mlen) != 0)) {
		size_t i, n = w.len < pm->len ? w.len : pm->len;

		for (i = 0; i < n && out[i] == pm->p[i]; i++)
			;
		t->failed++;
		printf("FAIL frame %lu: %s %s: re-encoded %zu bytes differ from "
		    "the %zu captured (length field %zu), first at byte %zu\n",
		    pm->frame, pn, rsp_msg_name(pm->proto, m.type), w.len,
		    pm->len, mlen, i);
		if (t->reported++ < REPORT_MAX) {
			hexdump("captured ", pm->p, pm->len);
			hexdump("re-encoded", out, w.len);
		}
		return;
	}
	t->roundtrip++;
	t->passed++;
}

static void
expect(struct tally *t, const char *what, unsigned long got,
    unsigned long want)
{
	if (got == want && got > 0) {
		t->passed++;
		printf("ok   %-44s %5lu\n", what, got);
	} else {
		t->failed++;
		printf("FAIL %-44s %5lu, README says %lu\n", what, got, want);
	}
}

int
main(int argc, char **argv)
{
	/* shared/sctp-vm/README.md, "What was captured" (non-zero rows). */
	static const struct {
		enum rsp_proto	 proto;
		uint8_t		 type;
		unsigned long	 count;
	} table[] = {
		{ RSP_PROTO_ASAP, ASAP_REGISTRATION, 21 },
		{ RSP_PROTO_ASAP, ASAP_DEREGISTRATION, 3 },
		{ RSP_PROTO_ASAP, ASAP_REGISTRATION_RESPONSE, 21 },
		{ RSP_PROTO_ASAP, ASAP_DEREGISTRATION_RESPONSE, 3 },
		{ RSP_PROTO_ASAP, ASAP_HANDLE_RESOLUTION, 15 },
		{ RSP_PROTO_ASAP, ASAP_HANDLE_RESOLUTION_RESPONSE, 15 },
		{ RSP_PROTO_ASAP, ASAP_ENDPOINT_KEEP_ALIVE, 21 },
		{ RSP_PROTO_ASAP, ASAP_ENDPOINT_KEEP_ALIVE_ACK, 21 },
		{ RSP_PROTO_ASAP, ASAP_ENDPOINT_UNREACHABLE, 4 },
		{ RSP_PROTO_ASAP, ASAP_SERVER_ANNOUNCE, 48 },
		{ RSP_PROTO_ASAP, ASAP_COOKIE, 39 },
		{ RSP_PROTO_ASAP, ASAP_COOKIE_ECHO, 2 },
		{ RSP_PROTO_ENRP, ENRP_PRESENCE, 145 },
		{ RSP_PROTO_ENRP, ENRP_HANDLE_TABLE_REQUEST, 5 },
		{ RSP_PROTO_ENRP, ENRP_HANDLE_TABLE_RESPONSE, 5 },
		{ RSP_PROTO_ENRP, ENRP_HANDLE_UPDATE, 42 },
		{ RSP_PROTO_ENRP, ENRP_LIST_REQUEST, 8 },
		{ RSP_PROTO_ENRP, ENRP_LIST_RESPONSE, 7 },
		{ RSP_PROTO_ENRP, ENRP_INIT_TAKEOVER, 2 },
		{ RSP_PROTO_ENRP, ENRP_INIT_TAKEOVER_ACK, 1 },
	};
	const unsigned long want_total = 428;	/* 213 ASAP + 215 ENRP */
	const char *path = argc > 1 ? argv[1] : CAPTURE;
	struct tally t;
	struct pcr_reader *r;
	char err[512], what[80];
	FILE *fp;
	size_t i;

	if (access(path, R_OK) == -1) {
		printf("SKIP: %s not readable: the RSPLIB capture comes with "
		    "shared/ (../shared next to the source tree)\n", path);
		return 77;
	}
	fp = fopen(path, "r");
	if (fp == NULL || (r = pcr_open(fp, err, sizeof(err))) == NULL) {
		printf("FAIL %s: %s\n", path, fp ? err : "cannot open");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	memset(&t, 0, sizeof(t));
	if (pcr_run(r, on_msg, &t, err, sizeof(err)) == -1) {
		t.failed++;
		printf("FAIL %s: %s\n", path, err);
	}
	pcr_free(r);

	printf("%lu messages, %lu decoded, %lu re-encoded byte for byte\n",
	    t.total, t.decoded, t.roundtrip);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		snprintf(what, sizeof(what), "%s %s",
		    table[i].proto == RSP_PROTO_ASAP ? "ASAP" : "ENRP",
		    rsp_msg_name(table[i].proto, table[i].type));
		expect(&t, what, t.count[table[i].proto][table[i].type],
		    table[i].count);
	}
	expect(&t, "ASAP Endpoint Keep-Alive with H bit", t.home_keepalives,
	    1);
	expect(&t, "messages in total", t.total, want_total);
	printf("%lu passed, %lu failed\n", t.passed, t.failed);
	return t.failed ? 1 : 0;
}
