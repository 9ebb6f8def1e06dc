/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the TLS part of lib/conn.c (cn_tls_start, cn_plain_check)
 * over a non-blocking socketpair and one event loop, with PSK files made at
 * test time: messages queued before the handshake arrive after it, both
 * sides learn it is up and the server knows the PSK identity; a message
 * larger than one TLS record (and than the socket buffer) arrives whole; a
 * wrong key closes both ends with CN_END_TLS and the reason; plaintext on a
 * TLS connection is CN_END_TLS "plaintext"; a ClientHello on a plaintext
 * connection is CN_END_TLS_ON_PLAIN, while plaintext messages pass; an
 * idle TLS connection gives its buffers back (cn_trim) and carries the next
 * messages as before, a busy one keeps them.  Batched TLS (test_batch_tls,
 * test_batch_tls_noread): see there.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/crypto.h>

#include "conn.h"
#include "tls.h"
#include "tls_fixture.h"

#define PPID	11
#define MAXMSG	65535

struct rec {
	struct cn	 cn;
	int		 nmsg;
	size_t		 len[16];
	uint8_t		 type[16];
	bool		 bad;		/* bytes that were not sent */
	int		 nsecured;
	int		 nclose;
	enum cn_end	 end;
	int		 fail;
};

static void
on_message(struct cn *c, uint32_t ppid, const uint8_t *msg, size_t len)
{
	struct rec *r = c->arg;
	size_t i;

	assert_int_equal(ppid, PPID);
	if (r->nmsg < 16) {
		r->len[r->nmsg] = len;
		r->type[r->nmsg] = msg[0];
	}
	for (i = 4; i < len; i++)
		if (msg[i] != (uint8_t)i)
			r->bad = true;
	r->nmsg++;
}

static void
on_close(struct cn *c, enum cn_end end, const char *why)
{
	struct rec *r = c->arg;

	(void)why;
	r->nclose++;
	r->end = end;
	r->fail = c->tls_fail;
}

static void
on_secured(struct cn *c)
{
	struct rec *r = c->arg;

	r->nsecured++;
}

static const struct cn_ops ops = {
	.message = on_message,
	.close = on_close,
	.secured = on_secured,
};

struct fx {
	struct ev_loop	*loop;
	int		 sv[2];
	struct rec	 srv, cli;
	struct tls_ctx	*sctx, *cctx;
};

static int
group_setup(void **state)
{
	(void)state;
	if (fx_dir_make("test_conn_tls") != 0)
		return -1;
	fx_write_file("server.psk", "pe-1 " FX_KEY_A "\n", 0600);
	fx_write_file("good.psk", "pe-1 " FX_KEY_A "\n", 0600);
	fx_write_file("wrong.psk", "pe-1 " FX_KEY_B "\n", 0600);
	return 0;
}

static struct tls_ctx *
ctx(enum tls_role role, const char *psk)
{
	struct tls_config cfg = { .role = role, .psk_file = fx_path(psk) };

	return fx_ctx_new(&cfg);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_non_null(f->loop = ev_loop_new());
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, f->sv), 0);
	assert_int_equal(cn_attach(&f->srv.cn, f->loop, f->sv[0], CN_TCP,
	    PPID, false, MAXMSG, 1 << 20, NULL, &ops, &f->srv), 0);
	assert_int_equal(cn_attach(&f->cli.cn, f->loop, f->sv[1], CN_TCP,
	    PPID, false, MAXMSG, 1 << 20, NULL, &ops, &f->cli), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	cn_close(&f->srv.cn);
	cn_free(&f->srv.cn);
	cn_close(&f->cli.cn);
	cn_free(&f->cli.cn);
	tls_ctx_free(f->sctx);
	tls_ctx_free(f->cctx);
	ev_loop_free(f->loop);
	free(f);
	return 0;
}

/* A message of len bytes: type, length, then bytes i = i. */
static uint8_t *
msg(uint8_t type, size_t len)
{
	static uint8_t buf[MAXMSG + 4];
	size_t i;

	memset(buf, 0, sizeof(buf));
	buf[0] = type;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	for (i = 4; i < len; i++)
		buf[i] = (uint8_t)i;
	return buf;
}

/* Run the loop until cond or 500 iterations. */
#define RUN_UNTIL(f, cond) do {						\
	int n_;								\
	for (n_ = 0; n_ < 500 && !(cond); n_++)				\
		ev_run_once((f)->loop, 20);				\
	assert_true(cond);						\
} while (0)

static void
start(struct fx *f, const char *client_psk)
{
	f->sctx = ctx(TLS_SERVER, "server.psk");
	f->cctx = ctx(TLS_CLIENT, client_psk);
	assert_int_equal(cn_tls_start(&f->srv.cn, f->sctx), 0);
	assert_int_equal(cn_tls_start(&f->cli.cn, f->cctx), 0);
	assert_int_equal(cn_tls_start(&f->cli.cn, f->cctx), -EALREADY);
}

static void
test_psk_messages(void **state)
{
	struct fx *f = *state;
	const char *id;
	enum tls_auth auth;

	start(f, "good.psk");
	/* Queued before the handshake: sent once it is done. */
	assert_int_equal(cn_send(&f->cli.cn, msg(1, 40), 40), 0);
	assert_int_equal(cn_send(&f->cli.cn, msg(2, 8), 8), 0);
	assert_false(cn_tls_up(&f->cli.cn));
	RUN_UNTIL(f, f->srv.nmsg == 2);
	assert_true(cn_tls_up(&f->srv.cn));
	assert_int_equal(f->srv.nsecured, 1);
	assert_int_equal(f->cli.nsecured, 1);
	assert_int_equal(f->srv.type[0], 1);
	assert_int_equal(f->srv.len[0], 40);
	assert_int_equal(f->srv.type[1], 2);
	id = tls_peer_identity(f->srv.cn.tls, &auth);
	assert_int_equal(auth, TLS_AUTH_PSK);
	assert_string_equal(id, "pe-1");

	/* Larger than a TLS record and than the socket buffer. */
	assert_int_equal(cn_send(&f->srv.cn, msg(3, 60000), 60000), 0);
	assert_int_equal(cn_send(&f->srv.cn, msg(4, 12), 12), 0);
	RUN_UNTIL(f, f->cli.nmsg == 2);
	assert_int_equal(f->cli.len[0], 60000);
	assert_int_equal(f->cli.type[1], 4);
	assert_false(f->cli.bad);
	assert_int_equal(cn_queued(&f->srv.cn), 0);

	/* An orderly close: the other end sees EOF. */
	cn_end(&f->cli.cn, "done");
	RUN_UNTIL(f, f->srv.nclose == 1);
	assert_int_equal(f->srv.end, CN_END_EOF);
}

static void
test_trim_idle(void **state)
{
	struct fx *f = *state;
	uint64_t now;

	start(f, "good.psk");
	assert_int_equal(cn_send(&f->cli.cn, msg(1, 40), 40), 0);
	RUN_UNTIL(f, f->srv.nmsg == 1);
	assert_int_equal(cn_send(&f->srv.cn, msg(2, 40), 40), 0);
	RUN_UNTIL(f, f->cli.nmsg == 1);
	assert_non_null(f->srv.cn.rx.buf);
	assert_non_null(f->srv.cn.tx.buf);

	/* A message within idle_ms: nothing released. */
	now = ev_now(f->loop);
	cn_trim(&f->srv.cn, now, 1000);
	assert_non_null(f->srv.cn.rx.buf);
	assert_non_null(f->srv.cn.tx.buf);

	/* Idle: the stream's buffers and the session's go. */
	cn_trim(&f->srv.cn, now + 1000, 1000);
	cn_trim(&f->cli.cn, now + 1000, 1000);
	assert_null(f->srv.cn.rx.buf);
	assert_null(f->srv.cn.tx.buf);
	assert_null(f->cli.cn.rx.buf);
	/* OpenSSL 3.0.14+ (CVE-2024-4741 fixed): released on demand. */
	if ((OpenSSL_version_num() >= 0x300000e0L &&
	    OpenSSL_version_num() < 0x30100000L) ||
	    OpenSSL_version_num() >= 0x30400000L)
		assert_true(tls_release_buffers(f->srv.cn.tls));
	assert_true(cn_tls_up(&f->srv.cn));

	/* And come back: small and multi-record messages, both ways. */
	assert_int_equal(cn_send(&f->cli.cn, msg(3, 60000), 60000), 0);
	assert_int_equal(cn_send(&f->cli.cn, msg(4, 12), 12), 0);
	RUN_UNTIL(f, f->srv.nmsg == 3);
	assert_int_equal(f->srv.len[1], 60000);
	assert_int_equal(f->srv.type[2], 4);
	assert_false(f->srv.bad);
	assert_int_equal(cn_send(&f->srv.cn, msg(5, 20000), 20000), 0);
	RUN_UNTIL(f, f->cli.nmsg == 2);
	assert_int_equal(f->cli.len[1], 20000);
	assert_false(f->cli.bad);
	assert_int_equal(f->srv.nclose + f->cli.nclose, 0);
}

static void
test_wrong_key(void **state)
{
	struct fx *f = *state;

	start(f, "wrong.psk");
	assert_int_equal(cn_send(&f->cli.cn, msg(1, 8), 8), 0);
	RUN_UNTIL(f, f->srv.nclose == 1 && f->cli.nclose == 1);
	assert_int_equal(f->srv.end, CN_END_TLS);
	assert_int_equal(f->srv.fail, TLS_FAIL_PSK_BAD_KEY);
	assert_int_equal(f->cli.end, CN_END_TLS);
	assert_int_equal(f->srv.nmsg, 0);
	assert_int_equal(f->srv.nsecured, 0);
}

static void
test_plaintext_on_tls(void **state)
{
	struct fx *f = *state;

	f->sctx = ctx(TLS_SERVER, "server.psk");
	assert_int_equal(cn_tls_start(&f->srv.cn, f->sctx), 0);
	assert_int_equal(cn_send(&f->cli.cn, msg(5, 8), 8), 0);
	RUN_UNTIL(f, f->srv.nclose == 1);
	assert_int_equal(f->srv.end, CN_END_TLS);
	assert_int_equal(f->srv.fail, TLS_FAIL_PLAINTEXT);
	assert_int_equal(f->srv.nmsg, 0);
}

static void
test_hello_on_plain(void **state)
{
	struct fx *f = *state;

	cn_plain_check(&f->srv.cn);
	f->cctx = ctx(TLS_CLIENT, "good.psk");
	assert_int_equal(cn_tls_start(&f->cli.cn, f->cctx), 0);
	RUN_UNTIL(f, f->srv.nclose == 1);
	assert_int_equal(f->srv.end, CN_END_TLS_ON_PLAIN);
	assert_int_equal(f->srv.nmsg, 0);
}

static void
test_plain_passes_check(void **state)
{
	struct fx *f = *state;

	cn_plain_check(&f->srv.cn);
	assert_int_equal(cn_send(&f->cli.cn, msg(5, 8), 8), 0);
	assert_int_equal(cn_send(&f->cli.cn, msg(6, 8), 8), 0);
	RUN_UNTIL(f, f->srv.nmsg == 2);
	assert_int_equal(f->srv.nclose, 0);
	assert_false(cn_tls_up(&f->srv.cn));
}

/*
 * Batched TLS (issue 12/14): NB TLS connections readable in the same
 * iteration are read with one system call and answered with one more, the
 * session reading the batch's bytes and keeping its records for the
 * batch's send: every reply arrives whole and in order on its own
 * connection.  A connection ended by another's message in the same batch
 * is neither read nor answered; a socket that takes nothing now keeps its
 * records (EV_WRITE) and sends them, before anything newer, once it can; a
 * record split across two batches is read whole; a peer's close is seen in
 * the batch.  And all of it again with batching off.
 */
#define NB	6

struct bfx {
	struct ev_loop	*sloop, *cloop;	/* servers (batched); clients */
	int		 sv[NB][2];
	struct rec	 s[NB], c[NB];
	struct tls_ctx	*sctx, *cctx;
	int		 kill;		/* s[0]'s message ends s[kill] (0: no) */
	int		 skip;		/* c[skip] sends nothing (0: all send) */
};

static struct bfx *bfx_cur;

static void
on_message_reply(struct cn *c, uint32_t ppid, const uint8_t *m, size_t len)
{
	struct rec *r = c->arg;

	on_message(c, ppid, m, len);
	if (m[0] == 0x7e) {		/* a big answer (test_batch_tls_noread) */
		(void)cn_send(c, msg(0x7e, 8000), 8000);
		return;
	}
	assert_int_equal(cn_send(c, msg((uint8_t)(m[0] + 0x40), 40), 40), 0);
	if (r == &bfx_cur->s[0] && bfx_cur->kill > 0)
		cn_end(&bfx_cur->s[bfx_cur->kill].cn, "ended by another");
}

static const struct cn_ops reply_ops = {
	.message = on_message_reply,
	.close = on_close,
	.secured = on_secured,
};

/* Both loops until cond, 2000 iterations at most. */
#define BRUN_UNTIL(b, cond) do {					\
	int n_;								\
	for (n_ = 0; n_ < 2000 && !(cond); n_++) {			\
		ev_run_once((b)->cloop, 0);				\
		ev_run_once((b)->sloop, 0);				\
	}								\
	assert_true(cond);						\
} while (0)

static bool
bfx_all(const struct bfx *b, int nmsg)
{
	for (int i = 0; i < NB; i++)
		if (b->s[i].nclose == 0 && b->c[i].nmsg < nmsg)
			return false;
	return true;
}

static void
bfx_open(struct bfx *b, bool batch)
{
	memset(b, 0, sizeof(*b));
	bfx_cur = b;
	assert_non_null(b->sloop = ev_loop_new());
	assert_non_null(b->cloop = ev_loop_new());
	assert_int_equal(cn_batch_set(b->sloop, batch), 0);
	assert_int_equal(cn_batch_set(b->cloop, false), 0);
	b->sctx = ctx(TLS_SERVER, "server.psk");
	b->cctx = ctx(TLS_CLIENT, "good.psk");
	for (int i = 0; i < NB; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0, b->sv[i]), 0);
		assert_int_equal(cn_attach(&b->s[i].cn, b->sloop, b->sv[i][0],
		    CN_TCP, PPID, false, MAXMSG, 1 << 20, NULL, &reply_ops,
		    &b->s[i]), 0);
		assert_int_equal(cn_attach(&b->c[i].cn, b->cloop, b->sv[i][1],
		    CN_TCP, PPID, false, MAXMSG, 1 << 20, NULL, &ops,
		    &b->c[i]), 0);
		assert_int_equal(cn_tls_start(&b->s[i].cn, b->sctx), 0);
		assert_int_equal(cn_tls_start(&b->c[i].cn, b->cctx), 0);
	}
	/* Up, and whatever the servers send after the handshake read. */
	for (int i = 0; i < NB; i++) {
		BRUN_UNTIL(b, b->s[i].nsecured == 1 && b->c[i].nsecured == 1);
	}
	for (int n = 0; n < 20; n++) {
		ev_run_once(b->cloop, 0);
		ev_run_once(b->sloop, 0);
	}
}

static void
bfx_close(struct bfx *b)
{
	for (int i = 0; i < NB; i++) {
		cn_close(&b->s[i].cn);
		cn_free(&b->s[i].cn);
		cn_close(&b->c[i].cn);
		cn_free(&b->c[i].cn);
	}
	tls_ctx_free(b->sctx);
	tls_ctx_free(b->cctx);
	ev_loop_free(b->sloop);
	ev_loop_free(b->cloop);
}

/* Every open connection's client sends two messages; one server iteration. */
static void
bfx_round(struct bfx *b, uint8_t type)
{
	for (int i = 0; i < NB; i++) {
		if (b->s[i].nclose > 0 || (b->skip > 0 && i == b->skip))
			continue;
		assert_int_equal(cn_send(&b->c[i].cn,
		    msg((uint8_t)(type + i), 40), 40), 0);
		assert_int_equal(cn_send(&b->c[i].cn,
		    msg((uint8_t)(type + i + 0x20), 12), 12), 0);
		assert_int_equal(cn_queued(&b->c[i].cn), 0);
	}
	ev_run_once(b->sloop, 1000);
}

/* Client i has its two replies to round type (its nmsg-th and on). */
static void
bfx_replies(struct bfx *b, int i, uint8_t type, int at)
{
	assert_true(b->c[i].nmsg >= at + 2);
	assert_int_equal(b->c[i].type[at], (uint8_t)(type + i + 0x40));
	assert_int_equal(b->c[i].type[at + 1], (uint8_t)(type + i + 0x60));
	assert_int_equal(b->c[i].len[at], 40);
	assert_false(b->c[i].bad);
}

static void
test_batch_tls(void **state)
{
	struct cn_batch_stats st;
	struct bfx b;
	int small = 4096, i, n;
	uint64_t req;

	(void)state;
	for (int on = 1; on >= 0; on--) {
		bfx_open(&b, on == 1);
		cn_batch_stats(b.sloop, &st);
		req = st.requests;
		bfx_round(&b, 0x01);
		for (i = 0; i < NB; i++)
			assert_int_equal(b.s[i].nmsg, 2);
		cn_batch_stats(b.sloop, &st);
		if (on && st.on) {
			/* NB reads and NB sends, one call for each kind. */
			assert_int_equal(st.requests - req, 2 * NB);
		} else if (!on) {
			assert_false(st.on);
			assert_int_equal(st.batches, 0);
		}
		BRUN_UNTIL(&b, bfx_all(&b, 2));
		for (i = 0; i < NB; i++) {
			bfx_replies(&b, i, 0x01, 0);
			assert_int_equal(b.s[i].cn.events, EV_READ);
		}

		/* s[0]'s message ends s[3], readable in the same batch. */
		b.kill = 3;
		bfx_round(&b, 0x02);
		b.kill = 0;
		assert_int_equal(b.s[3].nclose, 1);
		assert_int_equal(b.s[3].end, CN_END_LOCAL);
		assert_int_equal(b.s[3].nmsg, 2);	/* the first round's */
		BRUN_UNTIL(&b, bfx_all(&b, 4) && b.c[3].nclose == 1);
		assert_int_equal(b.c[3].nmsg, 2);
		for (i = 0; i < NB; i++)
			if (i != 3) {
				assert_int_equal(b.s[i].nclose, 0);
				bfx_replies(&b, i, 0x02, 2);
			}

		/*
		 * s[1]'s socket takes nothing more: a long message fills it,
		 * the batch's records for s[1] wait (EV_WRITE), the others'
		 * go; then everything arrives, in order.
		 */
		setsockopt(b.sv[1][0], SOL_SOCKET, SO_SNDBUF, &small,
		    sizeof(small));
		assert_int_equal(cn_send(&b.s[1].cn, msg(0x7f, 60000), 60000),
		    0);
		assert_true(cn_queued(&b.s[1].cn) > 0);
		bfx_round(&b, 0x03);
		assert_int_equal(b.s[1].nmsg, 6);
		assert_true(b.s[1].cn.events & EV_WRITE);
		BRUN_UNTIL(&b, bfx_all(&b, 6) && b.c[1].nmsg == 7);
		assert_int_equal(b.c[1].type[4], 0x7f);
		assert_int_equal(b.c[1].len[4], 60000);
		bfx_replies(&b, 1, 0x03, 5);
		for (i = 0; i < NB; i++)
			if (i != 1 && i != 3)
				bfx_replies(&b, i, 0x03, 4);
		BRUN_UNTIL(&b, b.s[1].cn.events == EV_READ);
		assert_int_equal(cn_queued(&b.s[1].cn), 0);

		/*
		 * A record split across two batches: the first bytes of c[2]'s
		 * next record arrive with the others' messages, the rest with
		 * the next round's.  (Taken off the server's socket by hand,
		 * written again on the client's end in two parts.)
		 */
		{
			uint8_t rec[256];
			ssize_t len;

			assert_int_equal(cn_send(&b.c[2].cn, msg(0x30, 40),
			    40), 0);
			len = read(b.sv[2][0], rec, sizeof(rec));
			assert_true(len > 40);
			assert_int_equal(write(b.sv[2][1], rec, 7), 7);
			n = b.s[2].nmsg;
			b.skip = 2;
			bfx_round(&b, 0x05);
			b.skip = 0;
			assert_int_equal(b.s[2].nmsg, n);
			assert_int_equal(b.s[2].nclose, 0);
			assert_int_equal(write(b.sv[2][1], rec + 7,
			    (size_t)len - 7), len - 7);
			bfx_round(&b, 0x06);
			BRUN_UNTIL(&b, b.s[2].nmsg == n + 3);
			assert_int_equal(b.s[2].type[n], 0x30);
			assert_int_equal(b.s[2].nclose, 0);
			assert_false(b.s[2].bad);
			BRUN_UNTIL(&b, b.c[0].nmsg == 10 && b.c[4].nmsg == 10 &&
			    b.c[5].nmsg == 10 && b.c[1].nmsg == 11 &&
			    b.c[2].nmsg == 9);
			assert_int_equal(b.c[2].type[6], 0x70);
			bfx_replies(&b, 2, 0x06, 7);
			for (i = 0; i < NB; i++)
				if (i != 1 && i != 3 && i != 2) {
					bfx_replies(&b, i, 0x05, 6);
					bfx_replies(&b, i, 0x06, 8);
				}
		}

		/* A peer gone: the end of its stream, seen in the batch. */
		cn_end(&b.c[5].cn, "done");
		b.skip = 5;
		bfx_round(&b, 0x04);
		b.skip = 0;
		BRUN_UNTIL(&b, b.s[5].nclose == 1);
		assert_int_equal(b.s[5].end, CN_END_EOF);
		bfx_close(&b);
	}
}

/*
 * A TLS client that sends and never reads, batched with another that
 * does: what the batch keeps for its send stays within one record beyond
 * 16 KiB, the queue is closed at its limit (CN_END_BACKLOG), and the
 * other connection is answered throughout.
 */
static void
test_batch_tls_noread(void **state)
{
	struct bfx b;
	const void *p;
	size_t kept, maxkept = 0;
	int r;

	(void)state;
	bfx_open(&b, true);
	for (r = 0; r < 600 && b.s[0].nclose == 0; r++) {
		assert_int_equal(cn_send(&b.c[0].cn, msg(0x7e, 12), 12), 0);
		assert_int_equal(cn_send(&b.c[1].cn, msg(0x10, 12), 12), 0);
		ev_run_once(b.sloop, 1000);
		if (b.s[0].nclose == 0 &&
		    (kept = tls_out(b.s[0].cn.tls, &p)) > maxkept)
			maxkept = kept;
		assert_int_equal(b.s[1].nclose, 0);
	}
	assert_int_equal(b.s[0].nclose, 1);
	assert_int_equal(b.s[0].end, CN_END_BACKLOG);
	assert_true(maxkept > 0);		/* the batch did keep some */
	assert_true(maxkept <= 16384 + 256 + 5);	/* one record more */
	/* The other one has every answer, whole. */
	BRUN_UNTIL(&b, b.c[1].nmsg == b.s[1].nmsg);
	assert_int_equal(b.s[1].nmsg, r);
	assert_int_equal(b.c[1].type[0], 0x50);
	assert_false(b.c[1].bad);
	assert_int_equal(b.c[1].nclose, 0);
	bfx_close(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_psk_messages, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_trim_idle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_plaintext_on_tls, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hello_on_plain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_plain_passes_check, setup,
		    teardown),
		cmocka_unit_test_setup(test_batch_tls, NULL),
		cmocka_unit_test_setup(test_batch_tls_noread, NULL),
	};

	return cmocka_run_group_tests(tests, group_setup, fx_group_teardown);
}
