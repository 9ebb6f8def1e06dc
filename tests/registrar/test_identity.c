/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * End-to-end test of the Registrar Identity parameter (0x8a01,
 * doc/spec/registrar-identity.md) against the real registrard: a handle
 * resolution that carries it gets the configured server-id and node-name
 * back, in success and error answers; one without it gets an answer with no
 * 0x8a01 parameter, byte for byte the answer to the same request with the
 * parameter minus that parameter; a malformed one is refused with Invalid
 * Values and the registrar goes on serving; the control socket counts the
 * answers.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define SERVER_ID	0x0a0b0c0dU
#define NODE		"pop-a"

static int
setup(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (d == NULL || daemon_start(d, "server-id 0x0a0b0c0d\n"
	    "node-name \"" NODE "\"\n") != 0)
		return -1;
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	struct daemon *d = *state;
	int st;

	st = daemon_stop(d, SIGTERM);
	assert_true(daemon_clean(d, st));
	free(d);
	return 0;
}

static size_t
build(uint8_t *buf, size_t cap, const char *pool, bool regid)
{
	struct wbuf w;
	size_t m;

	wbuf_init(&w, buf, cap);
	m = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
	rsp_put_handle(&w, pool, strlen(pool));
	rsp_put_hropt(&w, 3);
	if (regid)
		rsp_put_regid_request(&w);
	rsp_put_msg_end(&w, m);
	assert_false(w.err);
	return w.len;
}

/* Offset of the first top-level 0x8a01 TLV of a raw answer, or 0. */
static size_t
find_regid(const uint8_t *p, size_t len)
{
	size_t off = RSP_MSG_HDR_LEN, mlen = get_u16(p + 2);

	assert_true(mlen <= len);
	while (off + RSP_TLV_HDR_LEN <= mlen) {
		if (get_u16(p + off) == RSP_PARAM_REGISTRAR_ID)
			return off;
		assert_true(get_u16(p + off + 2) >= RSP_TLV_HDR_LEN);
		off += roundup4(get_u16(p + off + 2));
	}
	return 0;
}

/* Send a resolution, return the raw answer (copied into out). */
static size_t
ask(struct client *c, const char *pool, bool regid, struct rsp_msg *m,
    uint8_t *out)
{
	uint8_t req[256];
	size_t n = build(req, sizeof(req), pool, regid);

	assert_int_equal(client_send(c, req, n), 0);
	assert_int_equal(client_expect(c, ASAP_HANDLE_RESOLUTION_RESPONSE, m,
	    3000), 1);
	memcpy(out, c->msg, c->msglen);
	/* m's views point into c->msg: repoint them at the copy. */
	if (m->has_regid && m->regid_answer)
		m->regid_node.p = out + (m->regid_node.p - c->msg);
	return c->msglen;
}

static void
test_identity(void **state)
{
	static struct client pe, pu;
	static uint8_t with[70000], without[70000];
	struct daemon *d = *state;
	struct rsp_msg m;
	uint16_t cause = 0;
	size_t nw, nwo, off, tl;

	assert_int_equal(client_connect(&pe, d->port), 0);
	assert_int_equal(do_register(&pe, "idpool", 0x1234, RSP_POLICY_ROUND_ROBIN,
	    0, 0, 60000, &cause), 0);
	assert_int_equal(client_connect(&pu, d->port), 0);

	/* Asked: the configured identity. */
	nw = ask(&pu, "idpool", true, &m, with);
	assert_false(m.has_error);
	assert_int_equal(m.nitems, 1);
	assert_true(m.has_regid && m.regid_answer);
	assert_int_equal(m.regid_server_id, SERVER_ID);
	assert_int_equal(m.regid_node.len, strlen(NODE));
	assert_memory_equal(m.regid_node.p, NODE, strlen(NODE));
	off = find_regid(with, nw);
	assert_true(off > 0);

	/* Not asked: no 0x8a01 at all, and otherwise the same bytes. */
	nwo = ask(&pu, "idpool", false, &m, without);
	assert_false(m.has_regid);
	assert_int_equal(find_regid(without, nwo), 0);
	assert_int_equal(m.nitems, 1);
	tl = roundup4(get_u16(with + off + 2));
	assert_int_equal(off + tl, nw);		/* it is the last parameter */
	assert_int_equal(nwo, off);
	assert_memory_equal(with + 4, without + 4, off - 4);
	assert_memory_equal(with, without, 2);	/* type and flags */

	/* An error answer (unknown pool) carries it too, when asked. */
	ask(&pu, "nosuchpool", true, &m, with);
	assert_true(m.has_error);
	assert_int_equal(m.error.cause[0].code, RSP_CAUSE_UNKNOWN_POOL_HANDLE);
	assert_true(m.has_regid && m.regid_answer);
	assert_int_equal(m.regid_server_id, SERVER_ID);
	assert_memory_equal(m.regid_node.p, NODE, strlen(NODE));
	nwo = ask(&pu, "nosuchpool", false, &m, without);
	assert_true(m.has_error);
	assert_false(m.has_regid);
	assert_int_equal(find_regid(without, nwo), 0);

	/* A malformed one (a value of 1 byte): Invalid Values, still serving. */
	{
		static const uint8_t bad[] = {
			0x05, 0x00, 0x00, 0x18, 0x00, 0x09, 0x00, 0x0a,
			'i', 'd', 'p', 'o', 'o', 'l', 0x00, 0x00,
			0x8a, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00,
		};

		assert_int_equal(client_send(&pu, bad, sizeof(bad)), 0);
		assert_int_equal(client_expect(&pu, ASAP_ERROR, &m, 3000), 1);
		assert_true(m.has_error);
		assert_int_equal(m.error.cause[0].code,
		    RSP_CAUSE_INVALID_VALUES);
		/* The cause carries the offending parameter. */
		assert_int_equal(m.error.cause[0].info.len, 5);
		assert_int_equal(get_u16(m.error.cause[0].info.p),
		    RSP_PARAM_REGISTRAR_ID);
	}
	ask(&pu, "idpool", true, &m, with);
	assert_int_equal(m.nitems, 1);
	assert_int_equal(m.regid_server_id, SERVER_ID);

	/* Three answers carried it. */
	assert_int_equal(control_stat(d, "identity_answers"), 3);
	assert_int_equal(control_stat(d, "resolutions"), 5);
	client_close(&pu);
	client_close(&pe);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
	};

	return cmocka_run_group_tests_name("registrar identity", tests, NULL,
	    NULL);
}
