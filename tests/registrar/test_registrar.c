/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * End-to-end tests of registrard over loopback TCP (or SCTP, with
 * ANYPOOL_TEST_TRANSPORT=sctp): the real daemon, raw ASAP clients.
 * Registration of 100+ PEs across pools of every policy and resolution by
 * policy; re-registration updates; rejections with their RFC
 * causes; deregistration; loss of an association; keep-alive timeout; the
 * Endpoint Unreachable threshold; registration-life expiry; and the bad
 * input matrix, after which the registrar still serves and every bystander
 * PE is still registered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "../common/samples.h"

static const uint32_t policies[] = {
	RSP_POLICY_ROUND_ROBIN, RSP_POLICY_WEIGHTED_ROUND_ROBIN,
	RSP_POLICY_RANDOM, RSP_POLICY_WEIGHTED_RANDOM, RSP_POLICY_PRIORITY,
	RSP_POLICY_LEAST_USED, RSP_POLICY_LEAST_USED_DEGRADATION,
	RSP_POLICY_PRIORITY_LEAST_USED, RSP_POLICY_RANDOMIZED_LEAST_USED,
};
#define NPOL	(sizeof(policies) / sizeof(policies[0]))

static const char *const pool_names[NPOL] = {
	"rr", "wrr", "rand", "wrand", "prio", "lu", "lud", "plu", "rlu",
};

static int
setup_default(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (d == NULL || daemon_start(d, "") != 0)
		return -1;
	*state = d;
	return 0;
}

/*
 * For the bad input matrix: its bystanders are PEs that do nothing while
 * the matrix runs (minutes in an emulated VM), so keep-alives must not
 * remove them before it ends; keep-alives are tested on their own.
 */
static int
setup_quiet_keepalive(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (d == NULL || daemon_start(d, "asap {\n\tkeepalive-interval 1h\n"
	    "}\n") != 0)
		return -1;
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	struct daemon *d = *state;

	if (d == NULL)
		return 0;
	if (d->pid > 0 && !daemon_alive(d)) {
		fprintf(stderr, "registrard died; log %s\n", d->log);
		return -1;
	}
	if (!daemon_clean(d, daemon_stop(d, SIGTERM))) {
		free(d);
		return -1;
	}
	free(d);
	return 0;
}

/* The value of PE k of pool p (weight, priority or load). */
static uint32_t
pe_value(size_t p, uint32_t k)
{
	switch (policies[p]) {
	case RSP_POLICY_WEIGHTED_ROUND_ROBIN:
	case RSP_POLICY_WEIGHTED_RANDOM:
		return 1 + k % 4;
	case RSP_POLICY_PRIORITY:
		return k * 7 % 23;
	default:
		return (uint32_t)((k * 2654435761u) % 1000u) * 4000000u;
	}
}

/* 12 associations x 10 PEs = 120 PEs spread over 9 pools, one per policy. */
static void
test_register_resolve(void **state)
{
	struct daemon *d = *state;
	struct client c[12], pu;
	uint32_t ids[200], ids2[200], count[NPOL] = { 0 };
	uint32_t id, k, v;
	size_t i, j, p;
	uint16_t cause;
	int n, n2;

	for (i = 0; i < 12; i++) {
		assert_int_equal(client_connect(&c[i], d->port), 0);
		for (j = 0; j < 10; j++) {
			k = (uint32_t)(i * 10 + j);
			p = k % NPOL;
			id = 0x1000 + k;
			v = pe_value(p, k);
			assert_int_equal(do_register(&c[i], pool_names[p], id,
			    policies[p], v, v / 2, 60000, &cause), 0);
			count[p]++;
		}
	}
	assert_int_equal(client_connect(&pu, d->port), 0);

	for (p = 0; p < NPOL; p++) {
		/* All of the pool, no repeats (Hropt: as many as possible). */
		n = do_resolve(&pu, pool_names[p], 0xffffffff, ids, 200, NULL);
		assert_int_equal(n, (int)count[p]);
		for (i = 0; i < (size_t)n; i++)
			for (j = i + 1; j < (size_t)n; j++)
				assert_int_not_equal(ids[i], ids[j]);
		/* Without the option: the configured default of 3. */
		assert_int_equal(do_resolve(&pu, pool_names[p], 0, ids, 200,
		    NULL), 3);
	}

	/* RR: consecutive answers start one PE further on. */
	n = do_resolve(&pu, "rr", 3, ids, 200, NULL);
	n2 = do_resolve(&pu, "rr", 3, ids2, 200, NULL);
	assert_int_equal(n, 3);
	assert_int_equal(n2, 3);
	assert_int_equal(ids2[0], ids[1]);
	assert_int_equal(ids2[1], ids[2]);

	/* PRIO: highest priorities first, in decreasing order. */
	n = do_resolve(&pu, "prio", 0xffffffff, ids, 200, NULL);
	for (i = 1; i < (size_t)n; i++)
		assert_true(pe_value(4, ids[i - 1] - 0x1000) >=
		    pe_value(4, ids[i] - 0x1000));
	/* LU: lowest loads first, ascending. */
	n = do_resolve(&pu, "lu", 0xffffffff, ids, 200, NULL);
	for (i = 1; i < (size_t)n; i++)
		assert_true(pe_value(5, ids[i - 1] - 0x1000) <=
		    pe_value(5, ids[i] - 0x1000));

	/* Unknown pool: Unknown Pool Handle (RFC 5352 §3.3). */
	assert_int_equal(do_resolve(&pu, "nosuchpool", 3, ids, 200, &cause), -2);
	assert_int_equal(cause, RSP_CAUSE_UNKNOWN_POOL_HANDLE);

	/* Re-registration with a new load moves the PE in an LU answer. */
	n = do_resolve(&pu, "lu", 0xffffffff, ids, 200, NULL);
	id = ids[0];
	for (i = 0; i < 12; i++)
		for (j = 0; j < 10; j++)
			if (0x1000 + i * 10 + j == id)
				assert_int_equal(do_register(&c[i], "lu", id,
				    RSP_POLICY_LEAST_USED, 0xfffffff0, 0, 60000,
				    NULL), 0);
	n2 = do_resolve(&pu, "lu", 0xffffffff, ids2, 200, NULL);
	assert_int_equal(n2, n);
	assert_int_equal(ids2[n2 - 1], id);
	assert_int_not_equal(ids2[0], id);

	/* Deregistration removes; deregistering the last PE removes the pool. */
	for (i = 0; i < 12; i++)
		client_close(&c[i]);
	client_close(&pu);
}

static void
test_rejections(void **state)
{
	struct daemon *d = *state;
	struct client a, b, pu;
	uint32_t ids[8];
	uint16_t cause;
	char handle[40];
	uint8_t buf[256];
	struct rsp_msg m;

	assert_int_equal(client_connect(&a, d->port), 0);
	assert_int_equal(do_register(&a, "echo", 1, RSP_POLICY_ROUND_ROBIN, 0,
	    0, 60000, NULL), 0);
	/* Another policy type in the same pool: Inconsistent Pooling Policy,
	 * carrying the pool's policy parameter. */
	assert_int_equal(do_register(&a, "echo", 2, RSP_POLICY_LEAST_USED, 5,
	    0, 60000, &cause), 1);
	assert_int_equal(cause, RSP_CAUSE_INCONSISTENT_POLICY);
	/* Another transport type: Inconsistent Transport Type, with the
	 * pool's; the same type with other Transport Use: Inconsistent
	 * Data/Control Configuration (RFC 5352 §3.2). */
	{
		static const struct { uint16_t type, use, cause; } t[] = {
			{ RSP_PARAM_UDP_TRANSPORT, 0,
			  RSP_CAUSE_INCONSISTENT_TRANSPORT },
			{ RSP_PARAM_TCP_TRANSPORT, RSP_TRANSPORT_USE_DATA,
			  RSP_CAUSE_INCONSISTENT_DATA_CTRL },
		};
		size_t k, s;

		for (k = 0; k < 2; k++) {
			struct rsp_pe pe = { .id = 10 + (uint32_t)k, .life = 60000 };
			struct wbuf w;

			pe.user.type = t[k].type;
			pe.user.port = 53;
			pe.user.use = t[k].use;
			pe.user.naddr = 1;
			rsp_addr_v4(&pe.user.addr[0], 0x7f000001);
			pe.policy.type = RSP_POLICY_ROUND_ROBIN;
			wbuf_init(&w, buf, sizeof(buf));
			s = rsp_put_msg_begin(&w, ASAP_REGISTRATION, 0);
			rsp_put_handle(&w, "echo", 4);
			rsp_put_pe(&w, &pe);
			rsp_put_msg_end(&w, s);
			client_send(&a, buf, w.len);
			assert_int_equal(client_expect(&a,
			    ASAP_REGISTRATION_RESPONSE, &m, 5000), 1);
			assert_true(m.flags & ASAP_FLAG_REJECT);
			assert_int_equal(m.error.cause[0].code, t[k].cause);
			if (k == 0)	/* carries the pool's transport (TCP) */
				assert_int_equal(get_u16(m.error.cause[0].info.p),
				    RSP_PARAM_TCP_TRANSPORT);
		}
	}
	/* A zero registration life is invalid. */
	assert_int_equal(do_register(&a, "echo", 3, RSP_POLICY_ROUND_ROBIN, 0,
	    0, 0, &cause), 1);
	assert_int_equal(cause, RSP_CAUSE_INVALID_VALUES);
	/* A handle of 33 bytes: Invalid Values in the registration response. */
	memset(handle, 'h', 33);
	handle[33] = '\0';
	assert_int_equal(do_register(&a, handle, 4, RSP_POLICY_ROUND_ROBIN, 0,
	    0, 60000, &cause), 1);
	assert_int_equal(cause, RSP_CAUSE_INVALID_VALUES);
	/* The same PE identifier from another host: Non-Unique PE Identifier. */
	assert_int_equal(client_connect_from(&b, d->port, "127.0.0.2"), 0);
	assert_int_equal(do_register(&b, "echo", 1, RSP_POLICY_ROUND_ROBIN, 0,
	    0, 60000, &cause), 1);
	assert_int_equal(cause, RSP_CAUSE_NON_UNIQUE_PE_ID);
	/* ... and that host cannot deregister it either. */
	client_send(&b, buf, build_deregistration(buf, sizeof(buf), "echo", 1));
	assert_int_equal(client_expect(&b, ASAP_DEREGISTRATION_RESPONSE, &m,
	    5000), 1);
	assert_true(m.has_error);
	assert_int_equal(m.error.cause[0].code, RSP_CAUSE_SECURITY);
	assert_int_equal(client_connect(&pu, d->port), 0);
	assert_int_equal(do_resolve(&pu, "echo", 8, ids, 8, NULL), 1);

	/* Deregistration by the PE: gone, and so is the pool. */
	client_send(&a, buf, build_deregistration(buf, sizeof(buf), "echo", 1));
	assert_int_equal(client_expect(&a, ASAP_DEREGISTRATION_RESPONSE, &m,
	    5000), 1);
	assert_false(m.has_error);
	assert_int_equal(m.pe_id, 1);
	assert_int_equal(do_resolve(&pu, "echo", 8, ids, 8, &cause), -2);
	assert_int_equal(cause, RSP_CAUSE_UNKNOWN_POOL_HANDLE);
	/* Deregistering an unknown PE is a success (RFC 5352 §3.2). */
	client_send(&a, buf, build_deregistration(buf, sizeof(buf), "echo", 99));
	assert_int_equal(client_expect(&a, ASAP_DEREGISTRATION_RESPONSE, &m,
	    5000), 1);
	assert_false(m.has_error);
	client_close(&a);
	client_close(&b);
	client_close(&pu);
}

static int
setup_limits(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (d == NULL || daemon_start(d, "limits {\n\tpools 3\n"
	    "\tpes-per-association 5\n}\n") != 0)
		return -1;
	*state = d;
	return 0;
}

static void
test_limits(void **state)
{
	struct daemon *d = *state;
	struct client a, b;
	uint16_t cause;
	uint32_t i;

	assert_int_equal(client_connect(&a, d->port), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(do_register(&a, "p1", i + 1,
		    RSP_POLICY_ROUND_ROBIN, 0, 0, 60000, NULL), 0);
	assert_int_equal(do_register(&a, "p1", 6, RSP_POLICY_ROUND_ROBIN, 0, 0,
	    60000, &cause), 1);
	assert_int_equal(cause, RSP_CAUSE_LACK_OF_RESOURCES);
	/* Re-registering one it has is no new PE: accepted. */
	assert_int_equal(do_register(&a, "p1", 5, RSP_POLICY_ROUND_ROBIN, 0, 0,
	    60000, NULL), 0);
	assert_int_equal(client_connect(&b, d->port), 0);
	assert_int_equal(do_register(&b, "p2", 1, RSP_POLICY_ROUND_ROBIN, 0, 0,
	    60000, NULL), 0);
	assert_int_equal(do_register(&b, "p3", 1, RSP_POLICY_ROUND_ROBIN, 0, 0,
	    60000, NULL), 0);
	assert_int_equal(do_register(&b, "p4", 1, RSP_POLICY_ROUND_ROBIN, 0, 0,
	    60000, &cause), 1);
	assert_int_equal(cause, RSP_CAUSE_LACK_OF_RESOURCES);
	client_close(&a);
	client_close(&b);
}

static int
setup_global_limits(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (d == NULL || daemon_start(d, "limits {\n\tassociations 3\n"
	    "\tmessage-size 512\n}\n") != 0)
		return -1;
	*state = d;
	return 0;
}

struct served_ctx {
	struct daemon	*d;
	struct client	*c;
};

static bool
new_assoc_served(void *arg)
{
	struct served_ctx *s = arg;
	uint32_t ids[2];

	client_close(s->c);
	if (client_connect(s->c, s->d->port) != 0)
		return false;
	return do_resolve(s->c, "nosuchpool", 1, ids, 2, NULL) == -2;
}

/* Global limits: associations, message size. */
/* registrard counts no association any more ("show summary"). */
static bool
no_assocs(void *arg)
{
	char out[4096];

	return control_query(arg, "show summary", out, sizeof(out)) == 0 &&
	    strstr(out, "\"associations\":0") != NULL;
}

static void
test_global_limits(void **state)
{
	static char big[600];
	struct daemon *d = *state;
	struct client c[4] = { { .fd = -1 }, { .fd = -1 }, { .fd = -1 },
	    { .fd = -1 } };
	struct served_ctx sc = { d, &c[3] };
	struct rsp_msg m;
	uint8_t buf[1024];
	uint32_t ids[2];
	int i, rc;

	/* The daemon's start-up probe connection may still be counted. */
	assert_true(wait_until(new_assoc_served, &sc, 5000));
	client_close(&c[3]);
	/* ... and that one's close seen before three. */
	if (!wait_until(no_assocs, d, 5000))
		daemon_explain(d, "show associations");
	assert_true(wait_until(no_assocs, d, 0));
	for (i = 0; i < 3; i++) {
		assert_int_equal(client_connect(&c[i], d->port), 0);
		assert_int_equal(do_resolve(&c[i], "nosuchpool", 1, ids, 2,
		    NULL), -2);
	}
	/* A fourth association: accepted by the kernel, closed by registrard. */
	assert_int_equal(client_connect(&c[3], d->port), 0);
	assert_int_equal(do_resolve(&c[3], "nosuchpool", 1, ids, 2, NULL), -1);
	client_close(&c[3]);
	/* One goes: room for another. */
	client_close(&c[2]);
	assert_true(wait_until(new_assoc_served, &sc, 5000));
	client_close(&c[3]);

	/* A message longer than message-size: Lack of Resources, closed. */
	memset(big, 'x', sizeof(big));
	{
		struct wbuf w;
		size_t s;

		wbuf_init(&w, buf, sizeof(buf));
		s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
		rsp_put_handle(&w, big, sizeof(big));
		rsp_put_msg_end(&w, s);
		assert_int_equal(client_send(&c[0], buf, w.len), 0);
	}
	rc = client_recv(&c[0], &m, 3000, true);
	assert_int_equal(rc, 1);
	assert_int_equal(m.type, ASAP_ERROR);
	assert_int_equal(m.error.cause[0].code, RSP_CAUSE_LACK_OF_RESOURCES);
	assert_int_equal(client_recv(&c[0], &m, 3000, true), -1);
	/* The other association is unaffected. */
	assert_int_equal(do_resolve(&c[1], "nosuchpool", 1, ids, 2, NULL), -2);
	client_close(&c[0]);
	client_close(&c[1]);
}

/*
 * Strangers that close their association as soon as it is up.  Over SCTP
 * the close can overtake the registrar's accept(): the association then
 * ends while it still waits on the listening socket, and the socket
 * accept() hands over never becomes readable, unless the listener asked
 * for the association's notifications (doc/ARCHITECTURE.md, "SCTP").
 * Every such association must be seen closed at once, not held until
 * idle-timeout, and the registrar serves on.
 */
#define QUICK_CLOSES	300

static void
test_quick_close(void **state)
{
	struct daemon *d = *state;
	struct served_ctx sc;
	struct client c = { .fd = -1 };
	char src[INET_ADDRSTRLEN];
	int i;

	/*
	 * Each from its own address: in the VM's kernel (Linux 6.1) a new
	 * association on the addresses and ports of one that ended a moment
	 * before may stall, its COOKIE ECHO unanswered (16 in 100 back to
	 * back with a server that only accepts and closes; none 20 ms
	 * apart), and 300 ephemeral ports from one address repeat some.
	 */
	for (i = 0; i < QUICK_CLOSES; i++) {
		snprintf(src, sizeof(src), "127.0.%d.%d", 1 + i / 200,
		    1 + i % 200);
		if (client_connect_from(&c, d->port, src) != 0) {
			fprintf(stderr, "connect %d: %s\n", i, strerror(errno));
			daemon_explain(d, "show stats");
			fail();
		}
		client_close(&c);
	}
	fprintf(stderr, "%d connected and closed at once\n", i);
	/* idle-timeout is 60 s: 5 s (15 in the VM) is not that. */
	if (!wait_until(no_assocs, d, 5000))
		daemon_explain(d, "show associations");
	assert_true(wait_until(no_assocs, d, 0));
	sc = (struct served_ctx){ d, &c };
	assert_true(wait_until(new_assoc_served, &sc, 5000));
	client_close(&c);
}

struct gone_ctx {
	struct daemon	*d;
	struct client	*pu;
	struct client	*pump;	/* a client to keep answering keep-alives */
	const char	*pool;
	uint32_t	 id;
};

static bool
pe_present(struct gone_ctx *g)
{
	uint32_t ids[64];
	int n, i;

	n = do_resolve(g->pu, g->pool, 64, ids, 64, NULL);
	for (i = 0; i < n; i++)
		if (ids[i] == g->id)
			return true;
	return false;
}

static bool
pe_gone(void *arg)
{
	struct gone_ctx *g = arg;
	struct rsp_msg m;

	if (g->pump != NULL)
		while (client_recv(g->pump, &m, 0, false) == 1)
			;
	return !pe_present(g);
}

static void
test_association_loss(void **state)
{
	struct daemon *d = *state;
	struct client a, pu;
	struct gone_ctx g = { d, &pu, NULL, "loss", 3 };
	uint32_t i;

	assert_int_equal(client_connect(&a, d->port), 0);
	assert_int_equal(client_connect(&pu, d->port), 0);
	for (i = 1; i <= 5; i++)
		assert_int_equal(do_register(&a, "loss", i,
		    RSP_POLICY_ROUND_ROBIN, 0, 0, 60000, NULL), 0);
	assert_true(pe_present(&g));
	client_close(&a);	/* what SIGKILL of the PE does to its socket */
	assert_true(wait_until(pe_gone, &g, 5000));
	client_close(&pu);
}

/*
 * A PE that registers (or deregisters) without reading the answers: its
 * association is closed once the answers waiting for it pass send-queue,
 * in the middle of a registration's (deregistration's) handling, after
 * the answer is queued and before the PE's bookkeeping (lib/conn.h
 * cn_reply_now()).  Every PE of that association must go with it, none
 * left behind half-made or removed twice (the sanitizer build aborts on
 * a use after free), and the registrar serves on.
 */
/* (The registrar closes after some thousands; the VM's emulated CPU is slow.) */
#define UNREAD_MAX	(harness_sctp() ? 20000u : 60000u)

static int
setup_unread(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (d == NULL || daemon_start(d, "asap {\n\tkeepalive-interval 1h\n"
	    "}\nlimits {\n\tsend-queue 65536\n\tpes-per-pool 200000\n"
	    "\tpes-per-association "
	    "65535\n\trequest-rate 1000000 burst 1000000\n}\n") != 0)
		return -1;
	*state = d;
	return 0;
}

struct closed_ctx {
	struct daemon	*d;
	int64_t		 before;
};

/* The registrar closed another association for its send queue. */
static bool
sendq_closed(void *arg)
{
	struct closed_ctx *cc = arg;

	return control_stat(cc->d, "send_queue_closed") > cc->before;
}

/*
 * Send count messages (one per call) for PEs first, first + 1, ... (and
 * again from first after ids of them) until the registrar closes; how
 * many went.
 */
static uint32_t
send_unread(struct client *c, bool dereg, uint32_t first, uint32_t count,
    uint32_t ids)
{
	uint8_t buf[512];
	uint32_t i, id;
	size_t len;

	for (i = 0; i < count; i++) {
		id = first + i % ids;
		len = dereg ? build_deregistration(buf, sizeof(buf), "unread",
		    id) : build_registration(buf, sizeof(buf), "unread", id,
		    RSP_POLICY_ROUND_ROBIN, 0, 0, 7000, 600000);
		if (client_send(c, buf, len) != 0)
			break;
	}
	return i;
}

/* The pool has no PE: an answer with none, or Unknown Pool Handle. */
static bool
pool_empty(void *arg)
{
	struct client *pu = arg;
	uint32_t ids[4];
	int n = do_resolve(pu, "unread", 4, ids, 4, NULL);

	assert_true(n != -1);	/* answered */
	return n == 0 || n == -2;
}

/*
 * A client that does not read: its receive buffer fixed (autotuned, it
 * would take megabytes of answers once it has read for a while), and a
 * send that blocks for 10 s fails rather than hang the test.
 */
static void
unread_client(struct daemon *d, struct client *a)
{
	struct timeval tv = { .tv_sec = 10 };

	assert_int_equal(client_connect_buf(a, d->port, NULL, 65536), 0);
	assert_int_equal(setsockopt(a->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)), 0);
}

static void
test_unread_answers(void **state)
{
	struct daemon *d = *state;
	struct client a, pu;
	struct rsp_msg m;
	uint8_t buf[512];
	struct closed_ctx cc = { d, 0 };
	uint32_t n, i, k, got;

	assert_int_equal(client_connect(&pu, d->port), 0);
	/* Registrations never read: of new PEs, then again and again of
	 * the same 1000 (the answer that closes it is to a PE of its own). */
	for (k = 0; k < 2; k++) {
		unread_client(d, &a);
		n = send_unread(&a, false, 1, UNREAD_MAX, k == 0 ? UNREAD_MAX :
		    1000);
		fprintf(stderr, "registrations sent: %u\n", n);
		/* (it may have read them all before it closes) */
		if (!wait_until(sendq_closed, &cc, 10000))
			daemon_explain(d, "show associations");
		assert_true(wait_until(sendq_closed, &cc, 0));
		cc.before = control_stat(d, "send_queue_closed");
		client_close(&a);
		if (!wait_until(pool_empty, &pu, 5000))
			daemon_explain(d, "show pools");
		assert_true(wait_until(pool_empty, &pu, 0));
	}

	/*
	 * Deregistrations never read, of PEs registered (and read) first:
	 * twice as many as the registrations that made it close, so that it
	 * closes again before the last.
	 */
	k = 2 * n + 1000 < UNREAD_MAX ? 2 * n + 1000 : UNREAD_MAX;
	unread_client(d, &a);
	for (i = 0, got = 0; i < k; i++) {
		assert_int_equal(client_send(&a, buf, build_registration(buf,
		    sizeof(buf), "unread", 100000 + i, RSP_POLICY_ROUND_ROBIN,
		    0, 0, 7000, 600000)), 0);
		/* Read as we go: 100 answers behind at most. */
		while (got + 100 < i + 1 || (i + 1 == k && got < k)) {
			assert_int_equal(client_expect(&a,
			    ASAP_REGISTRATION_RESPONSE, &m, 5000), 1);
			if (m.has_error)
				fprintf(stderr, "registration %u: cause 0x%x\n",
				    got, m.error.cause[0].code);
			assert_false(m.has_error);
			got++;
		}
	}
	assert_false(pool_empty(&pu));
	fprintf(stderr, "deregistrations sent: %u of %u\n",
	    send_unread(&a, true, 100000, k, k), k);
	if (!wait_until(sendq_closed, &cc, 10000))
		daemon_explain(d, "show associations");
	assert_true(wait_until(sendq_closed, &cc, 0));
	client_close(&a);
	if (!wait_until(pool_empty, &pu, 5000))
		daemon_explain(d, "show pools");
	assert_true(wait_until(pool_empty, &pu, 0));

	/* Served on. */
	assert_int_equal(client_connect(&a, d->port), 0);
	assert_int_equal(do_register(&a, "unread", 7, RSP_POLICY_ROUND_ROBIN,
	    0, 0, 60000, NULL), 0);
	assert_false(pool_empty(&pu));
	client_close(&a);
	client_close(&pu);
}

/* The daemon's voluntary context switches so far: how often it slept. */
static long
daemon_sleeps(const struct daemon *d)
{
	char path[64], line[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)d->pid);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
			break;
	fclose(f);
	assert_true(n >= 0);
	return n;
}

/*
 * An idle registrar that holds PEs sleeps until its next keep-alive is
 * due: the keep-alive timer is set for the next one, not for every 10 ms
 * tick of its wheel (that woke it 100 times a second while any PE was
 * registered; an operator sees it in pidstat -w).
 */
static void
test_idle_sleeps(void **state)
{
	struct daemon *d = *state;
	struct client pe, pu;
	uint32_t ids[8];
	uint64_t t0;
	long before;

	assert_int_equal(client_connect(&pe, d->port), 0);
	assert_int_equal(client_connect(&pu, d->port), 0);
	for (uint32_t i = 1; i <= 3; i++)
		assert_int_equal(do_register(&pe, "idle", i,
		    RSP_POLICY_ROUND_ROBIN, 0, 0, 60000, NULL), 0);
	assert_int_equal(do_resolve(&pu, "idle", 0xffffffff, ids, 8, NULL), 3);
	/* The window observed: one second of nothing to do. */
	before = daemon_sleeps(d);
	t0 = mono_ms();
	while (mono_ms() - t0 < 1000)
		(void)poll(NULL, 0, (int)(1000 - (mono_ms() - t0)));
	assert_true(daemon_sleeps(d) - before <= 10);
	assert_int_equal(do_resolve(&pu, "idle", 0xffffffff, ids, 8, NULL), 3);
	client_close(&pe);
	client_close(&pu);
}

/*
 * The keep-alive timers of test_keepalive.  The interval is short, so that
 * the test is quick; the timeout is not: the PE that answers is this test
 * process, which a loaded machine (two sanitized tests at once on two
 * cores) can stall for a few hundred ms, and a stall longer than the
 * timeout would remove it.  Three times slower for the SCTP variant, which
 * runs in a VM with an emulated CPU.
 */
#define KA_INTERVAL_MS	(harness_sctp() ? 600 : 200)
#define KA_TIMEOUT_MS	(harness_sctp() ? 4500 : 1500)

static int
setup_fast_timers(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));
	char conf[128];

	snprintf(conf, sizeof(conf), "asap {\n\tkeepalive-interval %dms\n"
	    "\tkeepalive-timeout %dms\n\tmax-bad-pe-reports 3\n}\n",
	    KA_INTERVAL_MS, KA_TIMEOUT_MS);
	if (d == NULL || daemon_start(d, conf) != 0)
		return -1;
	*state = d;
	return 0;
}

struct ka_wait {
	struct client	*silent;
	struct client	*pump;	/* answers its keep-alives meanwhile */
	struct rsp_msg	 m;
};

/* The silent PE got a message; the other one answered what it got. */
static bool
ka_arrived(void *arg)
{
	struct ka_wait *k = arg;
	struct rsp_msg m;

	while (client_recv(k->pump, &m, 0, false) == 1)
		;
	return client_recv(k->silent, &k->m, 0, true) == 1;
}

/* A silent PE is removed after the keep-alive timeout; one that answers stays. */
static void
test_keepalive(void **state)
{
	struct daemon *d = *state;
	struct client alive, silent, pu;
	struct gone_ctx g = { d, &pu, &alive, "ka", 2 };
	struct gone_ctx g_alive = { d, &pu, &alive, "ka", 1 };
	struct ka_wait k = { &silent, &alive, { 0 } };
	struct rsp_msg *m = &k.m;
	uint64_t t0;

	assert_int_equal(client_connect(&alive, d->port), 0);
	assert_int_equal(client_connect(&silent, d->port), 0);
	assert_int_equal(client_connect(&pu, d->port), 0);
	assert_int_equal(do_register(&alive, "ka", 1, RSP_POLICY_ROUND_ROBIN,
	    0, 0, 60000, NULL), 0);
	/* Before the registration: the keep-alive timer starts with it. */
	t0 = mono_ms();
	assert_int_equal(do_register(&silent, "ka", 2, RSP_POLICY_ROUND_ROBIN,
	    0, 0, 60000, NULL), 0);
	/*
	 * The keep-alive as a PE sees it (RFC 5352 §2.2.7 + PE id); the
	 * other PE answers its own meanwhile (its interval is jittered: it
	 * may come first).
	 */
	assert_true(wait_until(ka_arrived, &k, 2000));
	assert_int_equal(m->type, ASAP_ENDPOINT_KEEP_ALIVE);
	assert_int_equal(m->flags & ASAP_FLAG_HOME, 0);
	assert_int_not_equal(m->server_id, 0);
	assert_true(m->handle.len == 2 && memcmp(m->handle.p, "ka", 2) == 0);
	assert_true(m->has_pe_id && m->pe_id == 2);
	assert_true(wait_until(pe_gone, &g, KA_TIMEOUT_MS + 5000));
	/* Not before the timeout after the keep-alive: it had its chance. */
	assert_true(mono_ms() - t0 >= (uint64_t)KA_TIMEOUT_MS);
	assert_true(pe_present(&g_alive));
	client_close(&alive);
	client_close(&silent);
	client_close(&pu);
}

/*
 * RFC 5352 §3.5 with RFC 5355 §2.13: a PE goes once more than
 * MAX-BAD-PE-REPORT (3) distinct addresses reported it within the window
 * since it last answered a keep-alive; one address counts once, and an
 * answer clears the count.  The keep-alive timeout is long here, so that
 * only the reports can remove the PE.
 */
static int
setup_unreachable(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (d == NULL || daemon_start(d, "asap {\n\tkeepalive-interval 1h\n"
	    "\tkeepalive-timeout 30s\n}\n") != 0)
		return -1;
	*state = d;
	return 0;
}

/* Reporter i (from 127.0.0.(10 + i)) reports PE 7; its resolution
 * answer says the report was handled. */
static void
report(struct daemon *d, struct client *pu, int i)
{
	char src[32];
	uint8_t buf[128];
	uint32_t ids[4];
	uint16_t cause;

	snprintf(src, sizeof(src), "127.0.0.%d", 10 + i);
	if (pu->fd < 0)
		assert_int_equal(client_connect_from(pu, d->port, src), 0);
	client_send(pu, buf, build_unreachable(buf, sizeof(buf), "eu", 7));
	(void)do_resolve(pu, "eu", 8, ids, 4, &cause);
}

/* Still in the handlespace (the control socket), handed out or not. */
static bool
pe_registered(struct daemon *d, const char *pool, uint32_t id)
{
	char cmd[64], out[8192], want[32];

	snprintf(cmd, sizeof(cmd), "show pes %s", pool);
	snprintf(want, sizeof(want), "\"0x%08x\"", id);
	return control_query(d, cmd, out, sizeof(out)) == 0 &&
	    strstr(out, want) != NULL;
}

/* Handed out again, the PE answering keep-alives meanwhile. */
static bool
pe_back(void *arg)
{
	return !pe_gone(arg);
}

static void
test_unreachable_threshold(void **state)
{
	struct daemon *d = *state;
	struct client pe, pu, rep[8];
	struct gone_ctx g = { d, &pu, NULL, "eu", 7 };
	struct gone_ctx back = { d, &pu, &pe, "eu", 7 };
	int i;

	for (i = 0; i < 8; i++)
		rep[i].fd = -1;
	assert_int_equal(client_connect(&pe, d->port), 0);
	assert_int_equal(client_connect(&pu, d->port), 0);
	assert_int_equal(do_register(&pe, "eu", 7, RSP_POLICY_ROUND_ROBIN, 0,
	    0, 60000, NULL), 0);
	/*
	 * One address, five reports: counted once.  Reported, the PE is not
	 * handed out until it answers the keep-alive the report sent
	 * (doc/spec/unreachable-report.md); then it is again.
	 */
	for (i = 0; i < 5; i++)
		report(d, &rep[0], 0);
	assert_false(pe_present(&g));
	assert_true(pe_registered(d, "eu", 7));
	assert_true(wait_until(pe_back, &back, 5000));
	/* Three more addresses while the PE does not read: 3, it stays,
	 * hidden. */
	for (i = 1; i <= 3; i++)
		report(d, &rep[i], i);
	assert_true(pe_registered(d, "eu", 7));
	assert_false(pe_present(&g));
	/* It answers the keep-alive the first report sent: count cleared. */
	assert_true(wait_until(pe_back, &back, 5000));
	for (i = 4; i <= 6; i++)
		report(d, &rep[i], i);
	assert_true(pe_registered(d, "eu", 7));
	/* A fourth address since the answer: removed at once. */
	report(d, &rep[7], 7);
	assert_true(wait_until(pe_gone, &g, 1000));
	assert_false(pe_registered(d, "eu", 7));
	for (i = 0; i < 8; i++)
		client_close(&rep[i]);
	client_close(&pe);
	client_close(&pu);
}

/* Registration life: unsolicited Deregistration Response, then gone. */
static void
test_life_expiry(void **state)
{
	struct daemon *d = *state;
	struct client pe, pu;
	struct gone_ctx g = { d, &pu, NULL, "life", 9 };
	struct rsp_msg m;
	/*
	 * Long enough for the PE to be seen first: registering and
	 * resolving once can take longer than 400 ms on a loaded machine
	 * (two sanitized tests on two cores) and in the SCTP variant's VM,
	 * which emulates its CPU.
	 */
	int32_t life = harness_sctp() ? 4000 : 2000;

	assert_int_equal(client_connect(&pe, d->port), 0);
	assert_int_equal(client_connect(&pu, d->port), 0);
	assert_int_equal(do_register(&pe, "life", 9, RSP_POLICY_ROUND_ROBIN, 0,
	    0, life, NULL), 0);
	assert_true(pe_present(&g));
	assert_int_equal(client_expect(&pe, ASAP_DEREGISTRATION_RESPONSE, &m,
	    life + 3000), 1);
	assert_int_equal(m.pe_id, 9);
	assert_false(pe_present(&g));
	client_close(&pe);
	client_close(&pu);
}

/*
 * The bad input matrix.  Each case sends something wrong on a fresh
 * association and says what must come back: an ASAP Error with a cause, a
 * response, nothing, or the association closed.
 */
enum expect { E_ERROR, E_CLOSE, E_ERROR_OR_CLOSE, E_SILENT_THEN_SERVED };

static void
expect_outcome(struct daemon *d, const uint8_t *p, size_t len, enum expect e,
    uint16_t cause, const char *what)
{
	struct client c;
	struct rsp_msg m;
	int rc;

	assert_int_equal(client_connect(&c, d->port), 0);
	assert_int_equal(client_send(&c, p, len), 0);
	rc = client_recv(&c, &m, e == E_SILENT_THEN_SERVED ? 300 : 3000, true);
	switch (e) {
	case E_ERROR:
		if (rc != 1 || m.type != ASAP_ERROR)
			fail_msg("%s: no ASAP Error (rc %d)", what, rc);
		if (m.error.cause[0].code != cause)
			fail_msg("%s: cause 0x%x, want 0x%x", what,
			    m.error.cause[0].code, cause);
		break;
	case E_CLOSE:
		while (rc == 1)
			rc = client_recv(&c, &m, 3000, true);
		if (rc != -1)
			fail_msg("%s: association not closed", what);
		break;
	case E_ERROR_OR_CLOSE:
		if (rc == 0)
			fail_msg("%s: neither error nor close", what);
		if (rc == 1 && m.type != ASAP_ERROR)
			fail_msg("%s: answered with %s", what,
			    rsp_msg_name(RSP_PROTO_ASAP, m.type));
		break;
	case E_SILENT_THEN_SERVED: {
		uint32_t ids[4];

		if (rc != 0)
			fail_msg("%s: not silently discarded", what);
		if (do_resolve(&c, "bystander", 4, ids, 4, NULL) < 1)
			fail_msg("%s: association no longer served", what);
		break;
	}
	}
	client_close(&c);
}

static void
test_bad_input_matrix(void **state)
{
	static uint8_t buf[70000], msg[70000];
	struct daemon *d = *state;
	struct client by, pu;
	struct wbuf w;
	uint32_t ids[16];
	size_t i, len, cut, s, u;
	uint16_t cause;
	char what[96];
	int cls;
	static const uint16_t action[4] = { RSP_PARAM_ACTION_STOP,
	    RSP_PARAM_ACTION_STOP_REPORT, RSP_PARAM_ACTION_SKIP,
	    RSP_PARAM_ACTION_SKIP_REPORT };

	/* Bystanders: 10 PEs that must survive everything below. */
	assert_int_equal(client_connect(&by, d->port), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(do_register(&by, "bystander", (uint32_t)i + 1,
		    RSP_POLICY_ROUND_ROBIN, 0, 0, 600000, NULL), 0);

	/* Every ASAP message type, truncated inside its parameters (the
	 * length field says so, the TCP stream stays framed). */
	for (i = 0; i < nsamples; i++) {
		if (samples[i].proto != RSP_PROTO_ASAP)
			continue;
		wbuf_init(&w, buf, sizeof(buf));
		len = sample_build(i, &w);
		for (cut = 5; cut + 1 < len; cut += 7) {
			memcpy(msg, buf, roundup4(cut));
			memset(msg + cut, 0, roundup4(cut) - cut);
			msg[2] = (uint8_t)(cut >> 8);
			msg[3] = (uint8_t)cut;
			snprintf(what, sizeof(what), "%s cut at %zu",
			    samples[i].name, cut);
			/* A cut can leave a known message without its required
			 * parameters, or a wrong-direction one: an error always. */
			expect_outcome(d, msg, roundup4(cut), E_ERROR_OR_CLOSE,
			    0, what);
		}
		/* Overlong: the length claims 8 bytes more (zeros follow). */
		memcpy(msg, buf, len);
		memset(msg + len, 0, 8);
		msg[2] = (uint8_t)((get_u16(buf + 2) + 8) >> 8);
		msg[3] = (uint8_t)(get_u16(buf + 2) + 8);
		snprintf(what, sizeof(what), "%s overlong", samples[i].name);
		/* A parameter of length 0 is no parameter to point at. */
		expect_outcome(d, msg, len + 8, E_ERROR, RSP_CAUSE_UNSPECIFIED,
		    what);
		/*
		 * Length below 4: a TCP stream cannot be framed any more, so
		 * the registrar reports it and closes the association.  Over
		 * SCTP the message boundary survives: an ASAP Error suffices
		 * (Unspecified: no well-formed parameter to point at) and the
		 * association goes on.
		 */
		memcpy(msg, buf, len);
		msg[2] = 0;
		msg[3] = 3;
		snprintf(what, sizeof(what), "%s length 3", samples[i].name);
		expect_outcome(d, msg, len, harness_sctp() ? E_ERROR : E_CLOSE,
		    RSP_CAUSE_UNSPECIFIED, what);
	}

	/* Bad padding after a parameter: Invalid Values, with that parameter. */
	memcpy(msg, "\x05\x00\x00\x18\x00\x09\x00\x09" "Echo1" "\xff\x00\x00"
	    "\x80\x3f\x00\x08\x00\x00\x00\x03", 24);
	expect_outcome(d, msg, 24, E_ERROR, RSP_CAUSE_INVALID_VALUES,
	    "bad parameter padding");
	/* ... after the message: no parameter to point at. */
	memcpy(msg, "\x05\x00\x00\x0d\x00\x09\x00\x09" "Echo1" "\xff\x00\x00", 16);
	expect_outcome(d, msg, 16, E_ERROR, RSP_CAUSE_UNSPECIFIED,
	    "bad message padding");

	/* Unknown parameters of each action class in a registration. */
	for (cls = 0; cls < 4; cls++) {
		struct rsp_pe pe;
		struct client c;
		struct rsp_msg m;

		memset(&pe, 0, sizeof(pe));
		wbuf_init(&w, msg, sizeof(msg));
		s = rsp_put_msg_begin(&w, ASAP_REGISTRATION, 0);
		rsp_put_handle(&w, "actions", 7);
		u = rsp_put_tlv_begin(&w, action[cls] | 0x0123);
		wbuf_bytes(&w, "xyz", 3);
		rsp_put_tlv_end(&w, u);
		len = build_registration(buf, sizeof(buf), "actions",
		    (uint32_t)cls + 1, RSP_POLICY_ROUND_ROBIN, 0, 0, 7, 60000);
		/* append the PE parameter of that registration */
		wbuf_bytes(&w, buf + 4 + 12, len - 4 - 12);
		rsp_put_msg_end(&w, s);
		snprintf(what, sizeof(what), "unknown parameter class %d", cls);
		switch (cls) {
		case 0:	/* stop, discard silently */
			expect_outcome(d, msg, w.len, E_SILENT_THEN_SERVED, 0,
			    what);
			break;
		case 1:	/* stop, report */
			expect_outcome(d, msg, w.len, E_ERROR,
			    RSP_CAUSE_UNRECOGNIZED_PARAM, what);
			break;
		default: /* skip (and report): accepted */
			assert_int_equal(client_connect(&c, d->port), 0);
			client_send(&c, msg, w.len);
			if (cls == 3) {
				assert_int_equal(client_recv(&c, &m, 3000,
				    true), 1);
				assert_int_equal(m.type, ASAP_ERROR);
				assert_int_equal(m.error.cause[0].code,
				    RSP_CAUSE_UNRECOGNIZED_PARAM);
				assert_int_equal(get_u16(m.error.cause[0].info.p),
				    action[cls] | 0x0123);
			}
			assert_int_equal(client_expect(&c,
			    ASAP_REGISTRATION_RESPONSE, &m, 3000), 1);
			assert_int_equal(m.flags & ASAP_FLAG_REJECT, 0);
			client_close(&c);
		}
	}

	/* Messages a registrar never receives: Unrecognized Message. */
	{
		static const size_t wrong[] = { 7, 9, 11, 13, 16, 17, 18, 19 };

		for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
			wbuf_init(&w, buf, sizeof(buf));
			len = sample_build(wrong[i], &w);
			snprintf(what, sizeof(what), "%s to a registrar",
			    samples[wrong[i]].name);
			expect_outcome(d, buf, len, E_ERROR,
			    RSP_CAUSE_UNRECOGNIZED_MSG, what);
		}
	}
	/* An unknown message type that asks for a report. */
	expect_outcome(d, (const uint8_t *)"\x4f\x00\x00\x04", 4, E_ERROR,
	    RSP_CAUSE_UNRECOGNIZED_MSG, "type 0x4f");

	/* A 64 KiB pool handle in a resolution: refused cleanly. */
	{
		static char big[65600];

		memset(big, 'x', sizeof(big));
		wbuf_init(&w, msg, sizeof(msg));
		s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION, 0);
		rsp_put_handle(&w, big, 65524);	/* the largest that fits */
		rsp_put_msg_end(&w, s);
		assert_false(w.err);
		expect_outcome(d, msg, w.len, E_ERROR, RSP_CAUSE_INVALID_VALUES,
		    "64 KiB pool handle");
	}

	/* Afterwards: alive, serving, every bystander still registered. */
	assert_true(daemon_alive(d));
	assert_int_equal(client_connect(&pu, d->port), 0);
	assert_int_equal(do_resolve(&pu, "bystander", 16, ids, 16, &cause), 10);
	client_close(&pu);
	client_close(&by);
}

static int
setup_rate(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (d == NULL || daemon_start(d, "limits {\n"
	    "\trequest-rate 50 burst 20\n}\n") != 0)
		return -1;
	*state = d;
	return 0;
}

/* A flood beyond the request rate: Lack of Resources, requests dropped. */
static void
test_flood(void **state)
{
	struct daemon *d = *state;
	struct client c, by;
	struct rsp_msg m;
	uint8_t buf[128];
	uint32_t ids[4];
	size_t len, i, answers = 0, errors = 0;

	assert_int_equal(client_connect(&by, d->port), 0);
	assert_int_equal(do_register(&by, "flood", 1, RSP_POLICY_ROUND_ROBIN,
	    0, 0, 600000, NULL), 0);
	assert_int_equal(client_connect(&c, d->port), 0);
	len = build_resolution(buf, sizeof(buf), "flood", 1);
	for (i = 0; i < 500; i++)
		assert_int_equal(client_send(&c, buf, len), 0);
	while (client_recv(&c, &m, 500, true) == 1) {
		if (m.type == ASAP_HANDLE_RESOLUTION_RESPONSE)
			answers++;
		else if (m.type == ASAP_ERROR &&
		    m.error.cause[0].code == RSP_CAUSE_LACK_OF_RESOURCES)
			errors++;
	}
	print_message("flood: 500 requests, %zu answered, %zu Lack of "
	    "Resources errors\n", answers, errors);
	assert_true(errors >= 1);
	assert_true(answers < 100);
	assert_true(answers >= 20);	/* the burst went through */
	client_close(&c);
	/* Others are unaffected. */
	assert_int_equal(client_connect(&c, d->port), 0);
	assert_int_equal(do_resolve(&c, "flood", 4, ids, 4, NULL), 1);
	client_close(&c);
	client_close(&by);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_resolve,
		    setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_rejections,
		    setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_limits,
		    setup_limits, teardown),
		cmocka_unit_test_setup_teardown(test_global_limits,
		    setup_global_limits, teardown),
		cmocka_unit_test_setup_teardown(test_quick_close,
		    setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_unread_answers,
		    setup_unread, teardown),
		cmocka_unit_test_setup_teardown(test_association_loss,
		    setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_idle_sleeps,
		    setup_quiet_keepalive, teardown),
		cmocka_unit_test_setup_teardown(test_keepalive,
		    setup_fast_timers, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_threshold,
		    setup_unreachable, teardown),
		cmocka_unit_test_setup_teardown(test_life_expiry,
		    setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_matrix,
		    setup_quiet_keepalive, teardown),
		cmocka_unit_test_setup_teardown(test_flood,
		    setup_rate, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	if (harness_sctp()) {
		int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);

		if (fd < 0) {
			/* tests/sctp/run.sh then runs us inside the VM. */
			printf("SCTP skipped: socket(IPPROTO_SCTP): %s\n",
			    strerror(errno));
			return 77;
		}
		close(fd);
	}
	/* ANYPOOL_TEST_ONLY=test_quick_close (a glob): those alone;
	 * ANYPOOL_TEST_SKIP=GLOB: all but those. */
	if (getenv("ANYPOOL_TEST_ONLY") != NULL)
		cmocka_set_test_filter(getenv("ANYPOOL_TEST_ONLY"));
	if (getenv("ANYPOOL_TEST_SKIP") != NULL)
		cmocka_set_skip_filter(getenv("ANYPOOL_TEST_SKIP"));
	return cmocka_run_group_tests_name(harness_sctp() ? "registrard-sctp" :
	    "registrard", tests, NULL, NULL);
}
