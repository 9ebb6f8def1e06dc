/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for lib/conn.c, the connection layer of ASAP associations and
 * ENRP connections, over socketpair() and loopback TCP (the TCP mapping;
 * SCTP runs only in tests/sctp): messages framed across partial reads, what
 * an unframeable stream and a message above the limit cost (one error
 * callback with the RFC 5354 cause, its ERROR still sent, then one close
 * with the reason), the send queue's byte cap, EV_WRITE watched only while
 * something is queued, the owner's close and the deferred release, the
 * names in logs, the replies to what one read brought sent in one write
 * (issue 14), and the last one's sent from inside its callback when the
 * owner asks (cn_reply_now()), the reads and writes of many connections batched into one
 * system call each (issue 14), the token bucket on the injected clock, and the
 * accept path out of descriptors (RLIMIT_NOFILE lowered): it backs off
 * instead of calling accept() in a loop, and accepts again once
 * descriptors are free.  The bounds against one bad peer (issue 12): the
 * idle and partial-message deadlines on the injected clock, one send
 * budget shared by connections, the descriptor headroom.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "conn.h"
#include "rserpool.h"

#define PPID	11
#define MAXMSG	64

struct rec {
	struct cn	 cn;
	int		 nmsg;
	size_t		 len[16];
	uint8_t		 type[16];
	int		 nerr;
	uint16_t	 cause;
	int		 nclose;
	enum cn_end	 end;
	char		 why[64];
};

static void
on_message(struct cn *c, uint32_t ppid, const uint8_t *msg, size_t len)
{
	struct rec *r = c->arg;

	assert_int_equal(ppid, PPID);
	if (r->nmsg < 16) {
		r->len[r->nmsg] = len;
		r->type[r->nmsg] = msg[0];
	}
	r->nmsg++;
}

/* The protocol's ERROR: here a 4-byte message of type 0xee. */
static void
on_error(struct cn *c, uint16_t cause)
{
	struct rec *r = c->arg;
	static const uint8_t err[4] = { 0xee, 0, 0, 4 };

	r->nerr++;
	r->cause = cause;
	cn_send(c, err, sizeof(err));
}

static void
on_close(struct cn *c, enum cn_end end, const char *why)
{
	struct rec *r = c->arg;

	r->nclose++;
	r->end = end;
	snprintf(r->why, sizeof(r->why), "%s", why);
}

static const struct cn_ops ops = {
	.message = on_message,
	.error = on_error,
	.close = on_close,
};

struct fx {
	struct ev_loop		*loop;
	struct ev_test_clock	 clock;
	int			 sv[2];
	struct rec		 r;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_non_null(f->loop = ev_loop_new());
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, f->sv), 0);
	assert_int_equal(cn_attach(&f->r.cn, f->loop, f->sv[0], CN_TCP, PPID,
	    false, MAXMSG, 8192, NULL, &ops, &f->r), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	cn_close(&f->r.cn);
	cn_free(&f->r.cn);
	close(f->sv[1]);
	ev_loop_free(f->loop);
	free(f);
	return 0;
}

static void
put_msg(uint8_t *p, uint8_t type, uint16_t len)
{
	memset(p, 0, (len + 3u) & ~3u);
	p[0] = type;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
}

/* Two messages (8 bytes, then 10 padded to 12), one byte per read. */
static void
test_framing_partial(void **state)
{
	struct fx *f = *state;
	uint8_t buf[20];
	size_t i;

	put_msg(buf, 1, 8);
	put_msg(buf + 8, 2, 10);
	for (i = 0; i < sizeof(buf); i++) {
		assert_int_equal(write(f->sv[1], buf + i, 1), 1);
		ev_run_once(f->loop, 0);
		assert_int_equal(f->r.nmsg, i < 7 ? 0 : i < 19 ? 1 : 2);
	}
	assert_int_equal(f->r.len[0], 8);
	assert_int_equal(f->r.type[0], 1);
	assert_int_equal(f->r.len[1], 12);
	assert_int_equal(f->r.type[1], 2);
	assert_int_equal(f->r.nclose, 0);
	assert_true(cn_is_open(&f->r.cn));
}

/* Feed bad, expect one error with cause and one close with end; the
 * peer reads the ERROR, then end of stream. */
static void
check_bad_input(struct fx *f, const uint8_t *bad, size_t len, uint16_t cause,
    enum cn_end end, const char *why)
{
	uint8_t got[16];

	assert_int_equal(write(f->sv[1], bad, len), (ssize_t)len);
	ev_run_once(f->loop, 0);
	assert_int_equal(f->r.nerr, 1);
	assert_int_equal(f->r.cause, cause);
	assert_int_equal(f->r.nclose, 1);
	assert_int_equal(f->r.end, end);
	assert_string_equal(f->r.why, why);
	assert_false(cn_is_open(&f->r.cn));
	assert_int_equal(f->r.nmsg, 0);
	assert_int_equal(read(f->sv[1], got, sizeof(got)), 4);
	assert_int_equal(got[0], 0xee);
	assert_int_equal(read(f->sv[1], got, sizeof(got)), 0);
	/* Nothing more happens on a closed connection. */
	ev_run_once(f->loop, 0);
	assert_int_equal(f->r.nclose, 1);
}

static void
test_unframeable(void **state)
{
	uint8_t bad[8];

	put_msg(bad, 1, 8);
	bad[3] = 2;	/* a length below the header */
	check_bad_input(*state, bad, sizeof(bad), RSP_CAUSE_INVALID_VALUES,
	    CN_END_UNFRAMEABLE, "unframeable message length");
}

static void
test_too_big(void **state)
{
	uint8_t bad[8];

	put_msg(bad, 1, 8);
	bad[2] = 1;	/* 264 bytes announced, MAXMSG accepted */
	check_bad_input(*state, bad, sizeof(bad), RSP_CAUSE_LACK_OF_RESOURCES,
	    CN_END_TOO_BIG, "message larger than the size limit");
}

/* A peer that reads nothing: the queue grows to the cap, then closes. */
static void
test_queue_cap(void **state)
{
	struct fx *f = *state;
	uint8_t m[1024];
	int i, rc = 0, small = 4096;

	setsockopt(f->sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	put_msg(m, 3, sizeof(m));
	for (i = 0; i < 1000 && rc == 0; i++) {
		rc = cn_send(&f->r.cn, m, sizeof(m));
		if (rc == 0)
			assert_true(cn_queued(&f->r.cn) <= 8192);
	}
	assert_int_equal(rc, -ENOBUFS);
	assert_true(i > 8);		/* the cap, not the first send */
	assert_int_equal(f->r.nclose, 1);
	assert_int_equal(f->r.end, CN_END_BACKLOG);
	assert_string_equal(f->r.why, "peer does not read its messages");
	assert_false(cn_is_open(&f->r.cn));
	assert_int_equal(cn_send(&f->r.cn, m, sizeof(m)), -ENOTCONN);
	assert_int_equal(f->r.nclose, 1);
}

/*
 * Batching (issue 14): cn_send_queued() sends nothing; cn_send_flush()
 * sends all that is queued at once, in one write the peer reads whole.
 */
static void
test_send_queued(void **state)
{
	struct fx *f = *state;
	uint8_t m[3][16], sink[256];
	int i;

	for (i = 0; i < 3; i++) {
		put_msg(m[i], (uint8_t)(0x10 + i), sizeof(m[i]));
		assert_int_equal(cn_send_queued(&f->r.cn, m[i], sizeof(m[i])),
		    0);
	}
	assert_int_equal(cn_queued(&f->r.cn), 3 * sizeof(m[0]));
	assert_int_equal(read(f->sv[1], sink, sizeof(sink)), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(cn_send_flush(&f->r.cn), 0);
	assert_int_equal(cn_queued(&f->r.cn), 0);
	assert_int_equal(read(f->sv[1], sink, sizeof(sink)),
	    (ssize_t)(3 * sizeof(m[0])));
	for (i = 0; i < 3; i++)
		assert_int_equal(sink[i * sizeof(m[0])], 0x10 + i);
	/* Nothing queued: a flush is a no-op. */
	assert_int_equal(cn_send_flush(&f->r.cn), 0);
	assert_int_equal(f->r.nclose, 0);
	cn_close(&f->r.cn);
	assert_int_equal(cn_send_queued(&f->r.cn, m[0], sizeof(m[0])),
	    -ENOTCONN);
	assert_int_equal(cn_send_flush(&f->r.cn), -ENOTCONN);
}

/* EV_WRITE only while something waits: the loop stays quiet otherwise. */
static void
test_write_interest(void **state)
{
	struct fx *f = *state;
	uint8_t m[1024], sink[65536];
	int small = 4096, n;

	setsockopt(f->sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	/* An idle, writable socket: no callback runs. */
	assert_int_equal(f->r.cn.events, EV_READ);
	assert_int_equal(ev_run_once(f->loop, 0), 0);
	put_msg(m, 3, sizeof(m));
	while (cn_queued(&f->r.cn) == 0)
		assert_int_equal(cn_send(&f->r.cn, m, sizeof(m)), 0);
	assert_int_equal(f->r.cn.events, EV_READ | EV_WRITE);
	/* The peer drains; the loop flushes until the queue is empty. */
	for (n = 0; n < 100 && cn_queued(&f->r.cn) > 0; n++) {
		while (read(f->sv[1], sink, sizeof(sink)) > 0)
			;
		ev_run_once(f->loop, 0);
	}
	assert_int_equal(cn_queued(&f->r.cn), 0);
	assert_int_equal(f->r.cn.events, EV_READ);
	while (read(f->sv[1], sink, sizeof(sink)) > 0)
		;
	assert_int_equal(ev_run_once(f->loop, 0), 0);
	assert_int_equal(f->r.nclose, 0);
}

/*
 * Replies batched per readable event (issue 14): a reply sent from the
 * message callback waits until the read is done, then everything that one
 * read brought is answered in one write; a connection its owner ends from
 * the callback still sends the replies queued before it.
 */
static size_t	 batch_seen[8];
static int	 batch_n, batch_end_at;

static void
on_message_reply(struct cn *c, uint32_t ppid, const uint8_t *msg,
    size_t len)
{
	uint8_t reply[8];

	(void)ppid;
	(void)len;
	put_msg(reply, (uint8_t)(msg[0] + 0x40), sizeof(reply));
	assert_int_equal(cn_send(c, reply, sizeof(reply)), 0);
	if (batch_n < 8)
		batch_seen[batch_n] = cn_queued(c);
	if (++batch_n == batch_end_at)
		cn_end(c, "done");
}

static const struct cn_ops reply_ops = {
	.message = on_message_reply,
	.close = on_close,
};

/*
 * Batched system calls (issue 14): connections readable in one iteration
 * are read with one system call and answered with one more (io_uring),
 * each exactly as by its own recv() and send(): every reply arrives, in
 * order, on its own connection.  One whose owner ends another connection
 * of the same batch: that one is neither read nor answered, and closes
 * once.  A socket that takes nothing now: EV_WRITE, the rest later.  The
 * only readable connection of an iteration makes its own calls at once.
 * And the same with batching off: the same replies, one call each.
 */
#define NB	6

struct bfx {
	struct ev_loop	*loop;
	int		 sv[NB][2];
	struct rec	 r[NB];
	int		 kill;		/* r[0]'s message ends r[kill] (0: no) */
};

static struct bfx *bfx_cur;

static void
on_message_bq(struct cn *c, uint32_t ppid, const uint8_t *msg, size_t len)
{
	struct rec *r = c->arg;
	uint8_t reply[8];

	on_message(c, ppid, msg, len);
	put_msg(reply, (uint8_t)(msg[0] + 0x40), sizeof(reply));
	assert_int_equal(cn_send(c, reply, sizeof(reply)), 0);
	if (r == &bfx_cur->r[0] && bfx_cur->kill > 0)
		cn_end(&bfx_cur->r[bfx_cur->kill].cn, "ended by another");
}

static const struct cn_ops bq_ops = {
	.message = on_message_bq,
	.close = on_close,
};

static void
bfx_open(struct bfx *b, bool batch)
{
	memset(b, 0, sizeof(*b));
	bfx_cur = b;
	assert_non_null(b->loop = ev_loop_new());
	assert_int_equal(cn_batch_set(b->loop, batch), 0);
	for (int i = 0; i < NB; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0, b->sv[i]), 0);
		assert_int_equal(cn_attach(&b->r[i].cn, b->loop, b->sv[i][0],
		    CN_TCP, PPID, false, MAXMSG, 1 << 20, NULL, &bq_ops,
		    &b->r[i]), 0);
	}
}

static void
bfx_close(struct bfx *b)
{
	for (int i = 0; i < NB; i++) {
		cn_close(&b->r[i].cn);
		cn_free(&b->r[i].cn);
		close(b->sv[i][1]);
	}
	ev_loop_free(b->loop);
}

/* Every open connection gets two messages in one write; one iteration. */
static void
bfx_round(struct bfx *b, uint8_t type)
{
	uint8_t in[16];

	for (int i = 0; i < NB; i++) {
		if (b->r[i].nclose > 0)
			continue;
		put_msg(in, (uint8_t)(type + i), 8);
		put_msg(in + 8, (uint8_t)(type + i + 0x20), 8);
		assert_int_equal(write(b->sv[i][1], in, sizeof(in)), 16);
	}
	ev_run_once(b->loop, 1000);
}

static void
bfx_replies(struct bfx *b, int i, uint8_t type)
{
	uint8_t sink[64];

	assert_int_equal(read(b->sv[i][1], sink, sizeof(sink)), 16);
	assert_int_equal(sink[0], (uint8_t)(type + i + 0x40));
	assert_int_equal(sink[8], (uint8_t)(type + i + 0x60));
}

static void
test_batch_many(void **state)
{
	struct cn_batch_stats st;
	struct bfx b;
	uint8_t big[4096], sink[65536];
	int small = 4096, n, i;

	(void)state;
	for (int on = 1; on >= 0; on--) {
		bfx_open(&b, on == 1);
		bfx_round(&b, 0x01);
		for (i = 0; i < NB; i++) {
			assert_int_equal(b.r[i].nmsg, 2);
			bfx_replies(&b, i, 0x01);
			assert_int_equal(b.r[i].cn.events, EV_READ);
		}
		cn_batch_stats(b.loop, &st);
		if (on && st.on) {
			/* NB reads and NB sends: one call for each kind. */
			assert_int_equal(st.requests, 2 * NB);
			assert_int_equal(st.batches, 2);
		} else if (!on) {
			assert_false(st.on);
			assert_int_equal(st.batches, 0);
		}
		/* One readable connection alone: not batched, answered. */
		{
			uint8_t one[8];

			put_msg(one, 0x05, 8);
			assert_int_equal(write(b.sv[2][1], one, 8), 8);
			assert_int_equal(ev_run_once(b.loop, 1000), 1);
			assert_int_equal(read(b.sv[2][1], sink, sizeof(sink)),
			    8);
			assert_int_equal(sink[0], 0x45);
			cn_batch_stats(b.loop, &st);
			assert_int_equal(st.requests, on && st.on ? 2 * NB : 0);
		}

		/* r[0]'s message ends r[3], readable in the same batch. */
		b.kill = 3;
		bfx_round(&b, 0x02);
		b.kill = 0;
		assert_int_equal(b.r[3].nclose, 1);
		assert_int_equal(b.r[3].end, CN_END_LOCAL);
		assert_int_equal(b.r[3].nmsg, 2);	/* from the first round */
		/* No reply: the end (a reset: it closed with input unread). */
		assert_true(read(b.sv[3][1], sink, sizeof(sink)) <= 0);
		for (i = 0; i < NB; i++)
			if (i != 3) {
				assert_int_equal(b.r[i].nclose, 0);
				bfx_replies(&b, i, 0x02);
			}

		/* r[1] takes nothing more: its replies wait, the rest go. */
		setsockopt(b.sv[1][0], SOL_SOCKET, SO_SNDBUF, &small,
		    sizeof(small));
		put_msg(big, 0x7f, sizeof(big));
		while (cn_queued(&b.r[1].cn) == 0)
			assert_int_equal(cn_send(&b.r[1].cn, big,
			    sizeof(big)), 0);
		bfx_round(&b, 0x03);
		for (i = 0; i < NB; i++)
			if (i != 1 && i != 3)
				bfx_replies(&b, i, 0x03);
		assert_int_equal(b.r[1].cn.events, EV_READ | EV_WRITE);
		for (n = 0; n < 100 && cn_queued(&b.r[1].cn) > 0; n++) {
			while (read(b.sv[1][1], sink, sizeof(sink)) > 0)
				;
			ev_run_once(b.loop, 0);
		}
		assert_int_equal(cn_queued(&b.r[1].cn), 0);
		assert_int_equal(b.r[1].cn.events, EV_READ);
		assert_int_equal(b.r[1].nclose, 0);
		assert_int_equal(b.r[1].nmsg, 6);

		/* A peer gone: the end of its stream, seen in the batch. */
		close(b.sv[5][1]);
		b.sv[5][1] = -1;
		ev_run_once(b.loop, 1000);
		assert_int_equal(b.r[5].nclose, 1);
		assert_int_equal(b.r[5].end, CN_END_EOF);
		bfx_close(&b);
	}
}

/* Three 8-byte messages, 0x10..0x12, in one write to fd. */
static void
write3(int fd)
{
	uint8_t in[3 * 8];
	int i;

	for (i = 0; i < 3; i++)
		put_msg(in + i * 8, (uint8_t)(0x10 + i), 8);
	assert_int_equal(write(fd, in, sizeof(in)), (ssize_t)sizeof(in));
}

/* Their replies (type + 0x40), in order, read into sink. */
static void
expect3(const uint8_t *sink)
{
	int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(sink[i * 8], 0x50 + i);
}

static void
test_batch_replies(void **state)
{
	struct fx *f = *state;
	uint8_t in[8], sink[256];
	int i;

	f->r.cn.ops = &reply_ops;
	batch_n = 0;
	batch_end_at = 0;
	write3(f->sv[1]);
	/* The only event of its iteration: read and answered at once. */
	assert_int_equal(ev_run_once(f->loop, 1000), 1);
	assert_int_equal(batch_n, 3);
	/* Queued while the read was under way, not sent one by one ... */
	for (i = 0; i < 3; i++)
		assert_int_equal(batch_seen[i], (size_t)(i + 1) * 8);
	/* ... then sent together; nothing left, EV_WRITE not watched. */
	assert_int_equal(cn_queued(&f->r.cn), 0);
	assert_int_equal(f->r.cn.events, EV_READ);
	assert_int_equal(read(f->sv[1], sink, sizeof(sink)), 3 * 8);
	expect3(sink);
	/* A reply outside a read goes out at once, as before. */
	put_msg(in, 0x20, 8);
	assert_int_equal(cn_send(&f->r.cn, in, 8), 0);
	assert_int_equal(cn_queued(&f->r.cn), 0);
	assert_int_equal(read(f->sv[1], sink, sizeof(sink)), 8);
	/* The owner ends it at the second message: two replies, then EOF. */
	batch_n = 0;
	batch_end_at = 2;
	write3(f->sv[1]);
	ev_run_once(f->loop, 1000);
	assert_int_equal(batch_n, 2);
	assert_int_equal(f->r.nclose, 1);
	assert_int_equal(f->r.end, CN_END_LOCAL);
	assert_int_equal(read(f->sv[1], sink, sizeof(sink)), 2 * 8);
	assert_int_equal(sink[0], 0x50);
	assert_int_equal(sink[8], 0x51);
	assert_int_equal(read(f->sv[1], sink, sizeof(sink)), 0);
}

/*
 * cn_reply_now(): the owner's reply goes out from inside its message
 * callback, before the rest of its work, when the message is the last of
 * its read (one request, one answer: the peer waits for less); where more
 * messages came in the same read it waits, and their replies still go in
 * one write.
 */
static int	 now_peer;
static ssize_t	 now_seen[8];
static int	 now_n;

static void
on_message_reply_now(struct cn *c, uint32_t ppid, const uint8_t *msg,
    size_t len)
{
	uint8_t reply[8], peek[64];

	(void)ppid;
	(void)len;
	put_msg(reply, (uint8_t)(msg[0] + 0x40), sizeof(reply));
	assert_int_equal(cn_send(c, reply, sizeof(reply)), 0);
	cn_reply_now(c);
	/* What the peer could read at this point of the callback. */
	if (now_n < 8)
		now_seen[now_n++] = recv(now_peer, peek, sizeof(peek),
		    MSG_PEEK | MSG_DONTWAIT);
}

static const struct cn_ops reply_now_ops = {
	.message = on_message_reply_now,
	.close = on_close,
};

static void
test_reply_now(void **state)
{
	struct fx *f = *state;
	uint8_t in[8], sink[256];

	f->r.cn.ops = &reply_now_ops;
	now_peer = f->sv[1];
	now_n = 0;
	put_msg(in, 0x10, 8);
	assert_int_equal(write(f->sv[1], in, 8), 8);
	assert_int_equal(ev_run_once(f->loop, 1000), 1);
	/* The reply was there while the callback still ran. */
	assert_int_equal(now_n, 1);
	assert_int_equal(now_seen[0], 8);
	assert_int_equal(cn_queued(&f->r.cn), 0);
	assert_int_equal(f->r.cn.events, EV_READ);
	assert_int_equal(read(f->sv[1], sink, sizeof(sink)), 8);
	assert_int_equal(sink[0], 0x50);
	/* Three in one read: the first two wait, the last sends all three. */
	now_n = 0;
	write3(f->sv[1]);
	assert_int_equal(ev_run_once(f->loop, 1000), 1);
	assert_int_equal(now_n, 3);
	assert_true(now_seen[0] < 0);
	assert_true(now_seen[1] < 0);
	assert_int_equal(now_seen[2], 3 * 8);
	assert_int_equal(read(f->sv[1], sink, sizeof(sink)), 3 * 8);
	expect3(sink);
	assert_int_equal(cn_queued(&f->r.cn), 0);
}

/* The token bucket on the loop's (injected) clock: 2/s, 3 deep. */
static void
test_rate(void **state)
{
	struct fx *f = *state;
	struct cn_rate b;
	int i;

	ev_test_clock_install(f->loop, &f->clock, 1000);
	cn_rate_init(&b, 3, ev_now(f->loop));
	for (i = 0; i < 3; i++)
		assert_true(cn_rate_take(&b, ev_now(f->loop), 2, 3));
	assert_false(cn_rate_take(&b, ev_now(f->loop), 2, 3));
	ev_test_clock_advance(f->loop, &f->clock, 499);
	assert_false(cn_rate_take(&b, ev_now(f->loop), 2, 3));
	ev_test_clock_advance(f->loop, &f->clock, 1);
	assert_true(cn_rate_take(&b, ev_now(f->loop), 2, 3));
	assert_false(cn_rate_take(&b, ev_now(f->loop), 2, 3));
	/* A long pause refills to the burst, not beyond. */
	ev_test_clock_advance(f->loop, &f->clock, 60000);
	for (i = 0; i < 3; i++)
		assert_true(cn_rate_take(&b, ev_now(f->loop), 2, 3));
	assert_false(cn_rate_take(&b, ev_now(f->loop), 2, 3));
}

/* The owner's close: one close callback with its reason, then release
 * after the iteration with the buffers freed; a second cn_end is a no-op. */
static int nrelease;

static void
on_release(struct cn *c)
{
	struct rec *r = c->arg;

	assert_int_equal(r->nclose, 1);
	assert_null(c->tx.buf);
	nrelease++;
}

static const struct cn_ops ops_release = {
	.message = on_message,
	.error = on_error,
	.close = on_close,
	.release = on_release,
};

static void
test_end_release(void **state)
{
	struct fx *f = *state;
	uint8_t m[8];

	f->r.cn.ops = &ops_release;
	put_msg(m, 3, sizeof(m));
	assert_int_equal(cn_send(&f->r.cn, m, sizeof(m)), 0);
	nrelease = 0;
	cn_end(&f->r.cn, "shutting down");
	cn_end(&f->r.cn, "again");
	assert_int_equal(f->r.nclose, 1);
	assert_int_equal(f->r.end, CN_END_LOCAL);
	assert_string_equal(f->r.why, "shutting down");
	assert_false(cn_is_open(&f->r.cn));
	assert_int_equal(nrelease, 0);	/* not before the iteration ends */
	ev_run_once(f->loop, 0);
	assert_int_equal(nrelease, 1);
	ev_run_once(f->loop, 0);
	assert_int_equal(nrelease, 1);
}

static void
test_name(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&ss;
	char b[80];

	(void)state;
	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(3863);
	s4->sin_addr.s_addr = htonl(0xc0000201);
	assert_string_equal(cn_name(b, sizeof(b), NULL, CN_TCP, &ss),
	    "tcp 192.0.2.1:3863");
	memset(&ss, 0, sizeof(ss));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(9901);
	s6->sin6_addr.s6_addr[0] = 0x20;
	s6->sin6_addr.s6_addr[1] = 0x01;
	s6->sin6_addr.s6_addr[2] = 0x0d;
	s6->sin6_addr.s6_addr[3] = 0xb8;
	s6->sin6_addr.s6_addr[15] = 1;
	assert_string_equal(cn_name(b, sizeof(b), "to", CN_SCTP, &ss),
	    "to sctp [2001:db8::1]:9901");
}

/* ---- accept ------------------------------------------------------------- */

struct acc {
	int		 fds[8];
	int		 nfds;
	int		 nerr, last_err;
	bool		 refuse;
};

static bool
acc_take(void *arg, int fd, const struct sockaddr_storage *ss)
{
	struct acc *a = arg;

	(void)ss;
	if (a->refuse || a->nfds == 8)
		return false;
	a->fds[a->nfds++] = fd;
	return true;
}

static void
acc_error(void *arg, int err)
{
	struct acc *a = arg;

	a->nerr++;
	a->last_err = err;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
listen_lo(struct ev_loop *loop, struct cn_listener *l, struct acc *a,
    struct sockaddr_in *sin)
{
	socklen_t sl = sizeof(*sin);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(cn_listen(l, loop, (struct sockaddr_storage *)
	    (void *)sin, sizeof(*sin), CN_TCP, 16, 0, NULL, acc_take,
	    acc_error, a), 0);
	assert_int_equal(getsockname(l->fd, (struct sockaddr *)sin, &sl), 0);
	return 0;
}

static int
connect_lo(const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (const struct sockaddr *)sin,
	    sizeof(*sin)), 0);
	return fd;
}

/* Refused connections are closed and counted. */
static void
test_accept_refuse(void **state)
{
	struct fx *f = *state;
	struct cn_listener l;
	struct sockaddr_in sin;
	struct acc a = { .refuse = true };
	uint64_t deadline;
	char c;
	int cl;

	listen_lo(f->loop, &l, &a, &sin);
	cl = connect_lo(&sin);
	deadline = mono_ms() + 2000;
	while (l.refused == 0 && mono_ms() < deadline)
		ev_run_once(f->loop, 50);
	assert_int_equal(l.refused, 1);
	assert_int_equal(l.accepted, 0);
	assert_int_equal(read(cl, &c, 1), 0);	/* closed by the listener */
	close(cl);
	cn_listener_close(&l);
	cn_listener_close(&l);		/* idempotent */
}

/*
 * Out of descriptors with connections waiting: the listener stays
 * readable, so a naive loop would call accept() without end.  It must
 * back off (few accept() calls over 400 ms), report EMFILE, and accept
 * the waiting connections once descriptors are free again.
 */
static void
test_accept_emfile(void **state)
{
	struct fx *f = *state;
	struct cn_listener l;
	struct sockaddr_in sin;
	struct acc a = { 0 };
	struct rlimit old, low;
	int cl[3], hog[256], nhog = 0, i, fd;
	uint64_t end, calls;

	listen_lo(f->loop, &l, &a, &sin);
	for (i = 0; i < 3; i++)
		cl[i] = connect_lo(&sin);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 200;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (nhog < 256 && (fd = dup(f->sv[1])) >= 0)
		hog[nhog++] = fd;
	assert_int_equal(errno, EMFILE);

	end = mono_ms() + 400;
	while (mono_ms() < end)
		ev_run_once(f->loop, 20);
	calls = l.accept_calls;
	/* 400 ms at one try per CN_ACCEPT_BACKOFF, and some slack. */
	assert_true(calls >= 1);
	assert_true(calls <= 400 / CN_ACCEPT_BACKOFF + 3);
	assert_true(l.exhausted >= 1);
	assert_true(a.nerr >= 1);
	assert_int_equal(a.last_err, EMFILE);
	assert_int_equal(l.accepted, 0);

	for (i = 0; i < nhog; i++)
		close(hog[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	end = mono_ms() + 2000;
	while (l.accepted < 3 && mono_ms() < end)
		ev_run_once(f->loop, 20);
	assert_int_equal(l.accepted, 3);
	assert_int_equal(a.nfds, 3);
	for (i = 0; i < a.nfds; i++)
		close(a.fds[i]);
	for (i = 0; i < 3; i++)
		close(cl[i]);
	cn_listener_close(&l);
}

/* ---- bounds against one bad peer (issue 12) ------------------------------ */

/* Deadlines: idle since the last whole message, a message begun too long. */
static void
test_deadlines(void **state)
{
	struct fx *f = *state;
	struct cn *c = &f->r.cn;
	uint8_t buf[16];
	uint64_t t0;

	/* A connection attached on the injected clock. */
	ev_test_clock_install(f->loop, &f->clock, 1000);
	cn_close(c);
	cn_free(c);
	close(f->sv[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, f->sv), 0);
	assert_int_equal(cn_attach(c, f->loop, f->sv[0], CN_TCP, PPID, false,
	    MAXMSG, 8192, NULL, &ops, &f->r), 0);
	t0 = ev_now(f->loop);
	assert_int_equal(cn_deadline(c, t0, 1000, 500), CN_DEADLINE_NONE);
	assert_int_equal(cn_deadline(c, t0 + 999, 1000, 500),
	    CN_DEADLINE_NONE);
	assert_int_equal(cn_deadline(c, t0 + 1000, 1000, 500),
	    CN_DEADLINE_IDLE);
	assert_int_equal(cn_deadline(c, t0 + 100000, 0, 500),
	    CN_DEADLINE_NONE);	/* idle 0: never */
	/* Half a message at t0 + 100: 500 ms later it is too late. */
	put_msg(buf, 1, 8);
	put_msg(buf + 8, 2, 8);
	ev_test_clock_advance(f->loop, &f->clock, 100);
	assert_int_equal(write(f->sv[1], buf, 4), 4);
	ev_run_once(f->loop, 0);
	assert_int_equal(f->r.nmsg, 0);
	assert_int_equal(cn_deadline(c, t0 + 599, 0, 500), CN_DEADLINE_NONE);
	assert_int_equal(cn_deadline(c, t0 + 600, 0, 500),
	    CN_DEADLINE_MESSAGE);
	/* More of it later does not restart its clock. */
	ev_test_clock_advance(f->loop, &f->clock, 100);
	assert_int_equal(write(f->sv[1], buf + 4, 2), 2);
	ev_run_once(f->loop, 0);
	assert_int_equal(cn_deadline(c, t0 + 600, 0, 500),
	    CN_DEADLINE_MESSAGE);
	/* Its end at t0 + 300, with the start of the next: that one began
	 * then; the idle time restarts too. */
	ev_test_clock_advance(f->loop, &f->clock, 100);
	assert_int_equal(write(f->sv[1], buf + 6, 6), 6);
	ev_run_once(f->loop, 0);
	assert_int_equal(f->r.nmsg, 1);
	assert_int_equal(cn_deadline(c, t0 + 799, 0, 500), CN_DEADLINE_NONE);
	assert_int_equal(cn_deadline(c, t0 + 800, 0, 500),
	    CN_DEADLINE_MESSAGE);
	/* Completed: no message pending; idle counts from t0 + 300. */
	assert_int_equal(write(f->sv[1], buf + 12, 4), 4);
	ev_run_once(f->loop, 0);
	assert_int_equal(f->r.nmsg, 2);
	assert_int_equal(cn_deadline(c, t0 + 1299, 1000, 500),
	    CN_DEADLINE_NONE);
	assert_int_equal(cn_deadline(c, t0 + 1300, 1000, 500),
	    CN_DEADLINE_IDLE);
	assert_int_equal(f->r.nclose, 0);
}

static int	 nover;
static struct cn *over_c;

static void
on_over(void *arg, struct cn *c)
{
	struct cn_budget *b = arg;

	assert_true(b->total > b->max);
	over_c = c;
	nover++;
}

/* One budget for two connections' queues: counted, over() past max,
 * given back on close. */
static void
test_budget(void **state)
{
	struct fx *f = *state;
	struct cn_budget b = { .max = 6000, .over = on_over };
	struct rec r2;
	uint8_t m[1024];
	int sv[2], i, small = 4096;

	b.arg = &b;
	memset(&r2, 0, sizeof(r2));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(cn_attach(&r2.cn, f->loop, sv[0], CN_TCP, PPID,
	    false, MAXMSG, 1 << 20, NULL, &ops, &r2), 0);
	setsockopt(f->sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	cn_set_budget(&f->r.cn, &b);
	cn_set_budget(&r2.cn, &b);
	put_msg(m, 3, sizeof(m));
	/* Fill the first up to 3 KiB queued, then the second. */
	for (i = 0; i < 1000 && cn_queued(&f->r.cn) < 3000; i++)
		assert_int_equal(cn_send(&f->r.cn, m, sizeof(m)), 0);
	assert_int_equal(b.total, cn_queued(&f->r.cn));
	assert_int_equal(nover, 0);
	for (i = 0; i < 1000 && nover == 0; i++) {
		assert_int_equal(cn_send(&r2.cn, m, sizeof(m)), 0);
		assert_int_equal(b.total, cn_queued(&f->r.cn) +
		    cn_queued(&r2.cn));
	}
	assert_int_equal(nover, 1);
	assert_ptr_equal(over_c, &r2.cn);
	assert_true(b.total > b.max);
	/* The peer reads: flushed bytes leave the budget. */
	{
		uint8_t sink[65536];

		while (read(sv[1], sink, sizeof(sink)) > 0)
			;
	}
	cn_flush(&r2.cn);
	assert_int_equal(b.total, cn_queued(&f->r.cn) + cn_queued(&r2.cn));
	/* Closing gives the rest back. */
	cn_close(&r2.cn);
	cn_free(&r2.cn);
	assert_int_equal(b.total, cn_queued(&f->r.cn));
	cn_close(&f->r.cn);
	assert_int_equal(b.total, 0);
	close(sv[1]);
}

static void
test_fd_headroom(void **state)
{
	struct rlimit rl;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 30))
		skip();
	assert_int_equal(cn_fd_headroom(10), (long)rl.rlim_cur - 11);
	assert_int_equal(cn_fd_headroom((int)rl.rlim_cur - 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_framing_partial, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unframeable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_send_queued, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reply_now, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_batch_replies, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_interest, setup,
		    teardown),
		cmocka_unit_test(test_batch_many),
		cmocka_unit_test_setup_teardown(test_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_release, setup,
		    teardown),
		cmocka_unit_test(test_name),
		cmocka_unit_test_setup_teardown(test_accept_refuse, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_accept_emfile, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_deadlines, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
		cmocka_unit_test(test_fd_headroom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
