/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Long-lived associations off the anycast address (issue 13 item 3,
 * doc/spec/registrar-unicast.md): libasap PEs against real registrards.
 * - One registrard on two addresses, 127.0.0.1 (the "anycast" one) and
 *   127.0.0.2 (its unicast-address): a PE that registers on the first ends
 *   up with its one association on the second, registered once, never
 *   removed; with asap_set_unicast(ASAP_UNICAST_NEVER) it stays.
 * - Two registrards A and B behind the relay of relay.h (the "router"):
 *   the PE reaches A through the relay and moves to A's own address; then
 *   the route moves to B and resets what it carried (what B would do with
 *   the packets of A's associations).  The PE's association is not reset
 *   (0 losses, 0 removals, its re-registrations go on at A), a PE that
 *   opted out is reset and re-registers at B, a pool user that keeps its
 *   association (ASAP_UNICAST_ALWAYS) is still answered by A, and a new
 *   pool user reaches B.
 * - A dies: the PE falls back to the hunt through the relay, re-registers
 *   at B and moves to B's own address.
 * - Over TLS with a certificate for the service name: the PE verifies the
 *   same name on the unicast address, which shares the TLS port.
 * TCP only (the relay and the second address are TCP).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "asap.h"
#include "harness.h"
#include "relay.h"
#include "tls_fixture.h"

#define POOL		"unipool"
#define WAIT_MS		8000
/*
 * Re-registration interval; the registration life libasap asks for is three
 * times that, so a test process stalled for 2 x REREG_MS (a loaded CI
 * machine, sanitizers) still does not see its PE expire at the registrar.
 */
#define REREG_MS	400

/* A libasap PE and what it saw ---------------------------------------------- */

struct pe_obs {
	struct asap_ctx	*ctx;
	struct asap_pe	*pe;
	uint32_t	 id;
	unsigned int	 registered;	/* ASAP_PE_REGISTERED events */
	unsigned int	 home_changed;
	unsigned int	 lost;		/* associations lost or dropped */
	char		 home[64];
};

static void
pe_status(struct asap_pe *pe, const struct asap_pe_status *st, void *arg)
{
	struct pe_obs *o = arg;

	(void)pe;
	if (st->event == ASAP_PE_REGISTERED)
		o->registered++;
	if (st->event == ASAP_PE_HOME_CHANGED)
		o->home_changed++;
}

/*
 * The last libasap debug lines of every PE, printed when a check fails (a
 * failure on a loaded CI machine then explains itself); all of them with
 * ANYPOOL_TEST_DEBUG set.
 */
#define RING_LINES	96
static char	 ring[RING_LINES][192];
static unsigned int ring_next;

static void
ring_dump(void)
{
	unsigned int i, k;

	fprintf(stderr, "---- the last libasap debug lines:\n");
	for (i = 0; i < RING_LINES; i++) {
		k = (ring_next + i) % RING_LINES;
		if (ring[k][0] != '\0')
			fprintf(stderr, "%s\n", ring[k]);
	}
}

/* A failed check: the debug lines, then cmocka's failure. */
#define CHECK_EQ(a, b) do {						\
	unsigned long long a_ = (unsigned long long)(a);		\
	unsigned long long b_ = (unsigned long long)(b);		\
	if (a_ != b_) {							\
		ring_dump();						\
		fail_msg("%s is %llu, want %llu", #a, a_, b_);		\
	}								\
} while (0)
#define CHECK(c) do {							\
	if (!(c)) {							\
		ring_dump();						\
		fail_msg("not %s", #c);					\
	}								\
} while (0)

/* libasap's debug lines: count the associations it lost. */
static void
debug_line(void *arg, const char *line)
{
	struct pe_obs *o = arg;

	snprintf(ring[ring_next], sizeof(ring[0]), "%llu pe %08x: %s",
	    (unsigned long long)mono_ms(), o->id, line);
	ring_next = (ring_next + 1) % RING_LINES;
	if (getenv("ANYPOOL_TEST_DEBUG") != NULL)
		fprintf(stderr, "%llu pe %08x: %s\n",
		    (unsigned long long)mono_ms(), o->id, line);
	if ((strncmp(line, "association to ", 15) == 0 &&
	    strstr(line, " lost") != NULL) ||
	    strncmp(line, "dropping association", 20) == 0)
		o->lost++;
}

static void
pe_open(struct pe_obs *o, const char *regs, uint32_t id, int mode)
{
	struct asap_pe_config pc;

	memset(o, 0, sizeof(*o));
	o->id = id;
	assert_non_null(o->ctx = asap_ctx_new(regs, NULL));
	asap_set_debug_log(o->ctx, debug_line, o);
	assert_int_equal(asap_set_unicast(o->ctx, mode), 0);
	memset(&pc, 0, sizeof(pc));
	pc.handle = POOL;
	pc.handle_len = strlen(POOL);
	pc.pe_id = id;
	pc.port = 7000;
	pc.reregistration_ms = REREG_MS;
	pc.cb = pe_status;
	pc.cb_arg = o;
	assert_non_null(o->pe = asap_pe_register(o->ctx, &pc));
}

static void
pe_close(struct pe_obs *o)
{
	if (o->ctx == NULL)
		return;
	asap_pe_free(o->pe);
	asap_ctx_free(o->ctx);
	o->ctx = NULL;
}

/* The home's "ip:port" ("" without an association). */
static const char *
home_of(struct pe_obs *o)
{
	if (asap_home(o->ctx, NULL, o->home, sizeof(o->home)) != 0)
		o->home[0] = '\0';
	return o->home;
}

/* Drive every context until cond(arg), at most timeout_ms. */
static bool
drive(struct asap_ctx **ctx, size_t n, bool (*cond)(void *), void *arg,
    int timeout_ms)
{
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;
	size_t i;

	while (!cond(arg)) {
		if (mono_ms() >= end)
			return false;
		for (i = 0; i < n; i++)
			(void)asap_run_once(ctx[i], 2);
	}
	return true;
}

/* At that home, registered, with at least regs registrations. */
struct at {
	struct pe_obs	*o;
	const char	*home;
	unsigned int	 regs;
};

static bool
pe_at(void *arg)
{
	struct at *t = arg;

	return strcmp(home_of(t->o), t->home) == 0 &&
	    asap_pe_is_registered(t->o->pe) && t->o->registered >= t->regs;
}

/* Registrars ------------------------------------------------------------------ */

static bool
has_pe(const struct daemon *d, uint32_t id)
{
	char out[16384], want[32];

	snprintf(want, sizeof(want), "\"0x%08x\"", id);
	return control_query(d, "show pes " POOL, out, sizeof(out)) == 0 &&
	    strstr(out, want) != NULL;
}

static int
pop_start(struct daemon *d, uint32_t id, const char *name, const char *more)
{
	char conf[1280];

	snprintf(conf, sizeof(conf), "server-id 0x%x\nnode-name \"%s\"\n%s",
	    id, name, more);
	return daemon_start(d, conf);
}

/* Which registrar answers a new pool user at regs ("" if none). */
static void
who_answers(const char *regs, int mode, char *node, size_t len,
    int *ret_error, char *home, size_t hlen)
{
	struct asap_ctx *ctx;
	struct asap_pe_info pe[4];
	struct asap_registrar_id id;
	size_t n = 0;

	assert_non_null(ctx = asap_ctx_new(regs, NULL));
	assert_int_equal(asap_set_unicast(ctx, mode), 0);
	*ret_error = asap_pu_resolve_blocking_ex(ctx, POOL, strlen(POOL),
	    ASAP_RESOLVE_REGISTRAR_ID, pe, 4, &n, NULL, &id, WAIT_MS);
	snprintf(node, len, "%s", id.valid ? id.node : "");
	if (home != NULL && asap_home(ctx, NULL, home, hlen) != 0)
		home[0] = '\0';
	asap_ctx_free(ctx);
}

static void
skip_sctp(void)
{
	/* The relay and the second address are TCP. */
	if (harness_sctp())
		skip();
}

/* One registrard, two addresses ------------------------------------------- */

struct two {
	struct pe_obs	*o;
	const char	*want;
	const struct daemon *d;
	unsigned int	 regs;
};

static bool
two_moved(void *arg)
{
	struct two *t = arg;

	return strcmp(home_of(t->o), t->want) == 0 &&
	    t->o->registered >= t->regs && asap_pe_is_registered(t->o->pe) &&
	    control_stat(t->d, "associations") == 1;
}

static void
test_two_addresses(void **state)
{
	struct daemon d;
	struct pe_obs o, never;
	char more[256], regs[64], uni[64], anyc[64];
	uint16_t p2 = harness_free_port();
	struct two t;
	struct at at;
	struct asap_ctx *ctx[1], *both[2];

	(void)state;
	skip_sctp();
	assert_true(p2 != 0);
	snprintf(more, sizeof(more), "listen on 127.0.0.2 port %u transport "
	    "tcp\nunicast-address 127.0.0.2 port %u\n", p2, p2);
	assert_int_equal(pop_start(&d, 0x51, "solo", more), 0);
	snprintf(regs, sizeof(regs), "127.0.0.1:%u", d.port);
	snprintf(uni, sizeof(uni), "127.0.0.2:%u", p2);

	/* Registered on 127.0.0.1, moved to 127.0.0.2, the first closed. */
	pe_open(&o, regs, 0x5101, ASAP_UNICAST_AUTO);
	ctx[0] = o.ctx;
	t = (struct two){ &o, uni, &d, 2 };
	if (!drive(ctx, 1, two_moved, &t, WAIT_MS))
		fail_msg("home %s (want %s), %u registrations, %llu "
		    "associations", home_of(&o), uni, o.registered,
		    (unsigned long long)control_stat(&d, "associations"));
	assert_int_equal(o.lost, 0);
	assert_int_equal(o.home_changed, 1);	/* the address changed */
	assert_int_equal(control_stat(&d, "registrations"), 1);
	assert_int_equal(control_stat(&d, "assoc_lost_removals"), 0);
	assert_true(has_pe(&d, 0x5101));
	/* ... and stays there: re-registrations go on over it. */
	t.regs = o.registered + 2;
	assert_true(drive(ctx, 1, two_moved, &t, WAIT_MS));
	assert_int_equal(o.lost, 0);
	assert_int_equal(control_stat(&d, "registrations"), 1);

	/* Opted out: stays on the address it reached (3 registrations). */
	pe_open(&never, regs, 0x5102, ASAP_UNICAST_NEVER);
	snprintf(anyc, sizeof(anyc), "127.0.0.1:%u", d.port);
	both[0] = o.ctx;
	both[1] = never.ctx;
	at = (struct at){ &never, anyc, 3 };
	assert_true(drive(both, 2, pe_at, &at, WAIT_MS));
	assert_string_equal(home_of(&never), anyc);
	assert_int_equal(never.home_changed, 0);
	assert_int_equal(control_stat(&d, "associations"), 2);

	pe_close(&o);
	pe_close(&never);
	daemon_stop(&d, SIGTERM);
}

/*
 * Two unicast addresses on one port (a node's IPv4 and IPv6 address, as
 * deploy/render writes them): one transport with both addresses, and the
 * PE moves to the first.  (reguni_put() once counted a transport per
 * address: the answer did not fit and registrations went unanswered.)
 */
static void
test_two_unicast_one_port(void **state)
{
	struct daemon d;
	struct pe_obs o;
	char more[256], regs[64], uni[64];
	uint16_t p2 = harness_free_port();
	struct two t;
	struct asap_ctx *ctx[1];

	(void)state;
	skip_sctp();
	assert_true(p2 != 0);
	snprintf(more, sizeof(more), "listen on 127.0.0.2 port %u transport "
	    "tcp\nlisten on 127.0.0.3 port %u transport tcp\n"
	    "unicast-address 127.0.0.2 port %u\nunicast-address 127.0.0.3 "
	    "port %u\n", p2, p2, p2, p2);
	assert_int_equal(pop_start(&d, 0x52, "duo", more), 0);
	snprintf(regs, sizeof(regs), "127.0.0.1:%u", d.port);
	snprintf(uni, sizeof(uni), "127.0.0.2:%u", p2);
	pe_open(&o, regs, 0x5201, ASAP_UNICAST_AUTO);
	ctx[0] = o.ctx;
	t = (struct two){ &o, uni, &d, 2 };
	if (!drive(ctx, 1, two_moved, &t, WAIT_MS))
		fail_msg("home %s (want %s), %u registrations", home_of(&o),
		    uni, o.registered);
	assert_int_equal(o.lost, 0);
	pe_close(&o);
	daemon_stop(&d, SIGTERM);
}

/*
 * Over TLS: both addresses on one TLS port, "unicast-address 127.0.0.2"
 * without a port (the one the client came to), the registrar's certificate
 * for FX_NAME only: the move verifies the configured name, not the address.
 */
static void
test_two_addresses_tls(void **state)
{
	struct daemon d;
	struct pe_obs o;
	struct asap_pe_config pc;
	struct asap_tls_config tls = { 0 };
	char more[1024], regs[64], uni[64], err[256];
	uint16_t tp = harness_free_port();
	struct asap_ctx *ctx[1];
	struct at at;

	(void)state;
	skip_sctp();
	assert_int_equal(fx_pki_make(), 0);
	snprintf(more, sizeof(more), "listen on 127.0.0.1 port %u transport "
	    "tcp tls\nlisten on 127.0.0.2 port %u transport tcp tls\n"
	    "tls {\n\tcertificate \"%s\" key \"%s\"\n}\n"
	    "unicast-address 127.0.0.2\n", tp, tp, fx_path("server.pem"),
	    fx_path("server.key"));
	assert_int_equal(pop_start(&d, 0x52, "solo-tls", more), 0);
	snprintf(regs, sizeof(regs), "127.0.0.1:%u", tp);
	snprintf(uni, sizeof(uni), "127.0.0.2:%u", tp);

	memset(&o, 0, sizeof(o));
	o.id = 0x5201;
	tls.ca_file = fx_path("ca.pem");
	tls.server_name = FX_NAME;
	o.ctx = asap_ctx_new_tls(regs, NULL, &tls, err, sizeof(err));
	if (o.ctx == NULL)
		fail_msg("asap_ctx_new_tls: %s", err);
	asap_set_debug_log(o.ctx, debug_line, &o);
	memset(&pc, 0, sizeof(pc));
	pc.handle = POOL;
	pc.handle_len = strlen(POOL);
	pc.pe_id = o.id;
	pc.port = 7000;
	pc.reregistration_ms = REREG_MS;
	pc.cb = pe_status;
	pc.cb_arg = &o;
	assert_non_null(o.pe = asap_pe_register(o.ctx, &pc));
	ctx[0] = o.ctx;
	at = (struct at){ &o, uni, 3 };
	if (!drive(ctx, 1, pe_at, &at, WAIT_MS))
		fail_msg("home %s (want %s), TLS: %s", home_of(&o), uni,
		    asap_tls_error(o.ctx) ? asap_tls_error(o.ctx) : "-");
	assert_int_equal(o.lost, 0);
	assert_int_equal(control_stat(&d, "registrations"), 1);
	assert_int_equal(control_stat(&d, "assoc_lost_removals"), 0);
	assert_true(control_stat(&d, "tls_handshakes") >= 2);
	pe_close(&o);
	daemon_stop(&d, SIGTERM);
	fx_pki_remove();
}

/* Two registrars behind the "router" -------------------------------------- */

struct world {
	struct daemon	 a, b;
	struct relay	 relay;
	struct pe_obs	 o, never;	/* closed by teardown after a failure */
	char		 regs[64];	/* the relay: "127.0.0.1:port" */
	char		 home_a[64], home_b[64];
};

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return -1;
	*state = w;
	if (harness_sctp())
		return 0;
	/* No port: the one the client came to (the relay's backend). */
	if (pop_start(&w->a, 0xa, "A", "unicast-address 127.0.0.1\n") != 0 ||
	    pop_start(&w->b, 0xb, "B", "unicast-address 127.0.0.1\n") != 0 ||
	    relay_start(&w->relay, w->a.port) != 0)
		return -1;
	snprintf(w->regs, sizeof(w->regs), "127.0.0.1:%u", w->relay.port);
	snprintf(w->home_a, sizeof(w->home_a), "127.0.0.1:%u", w->a.port);
	snprintf(w->home_b, sizeof(w->home_b), "127.0.0.1:%u", w->b.port);
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	pe_close(&w->o);
	pe_close(&w->never);
	if (w->relay.lfd > 0)
		relay_stop(&w->relay);
	daemon_stop(&w->a, SIGKILL);
	daemon_stop(&w->b, SIGKILL);
	free(w);
	return 0;
}

struct after {
	struct pe_obs	*o, *never;
	struct world	*w;
	unsigned int	 regs;
};

/* The moved PE re-registered twice at A; the other one is back at B. */
static bool
route_settled(void *arg)
{
	struct after *t = arg;

	return t->o->registered >= t->regs && t->never->lost > 0 &&
	    asap_pe_is_registered(t->never->pe) && has_pe(&t->w->b,
	    t->never->id) && control_stat(&t->w->a, "assoc_lost_removals") > 0;
}

/* At that home and settled: the registrar holds only that association. */
struct settled {
	struct at	 at;
	const struct daemon *d;
};

static bool
pe_settled(void *arg)
{
	struct settled *t = arg;

	return pe_at(&t->at) && control_stat(t->d, "associations") == 1;
}

static void
test_route_moves(void **state)
{
	struct world *w = *state;
	struct pe_obs *o = &w->o, *never = &w->never;
	struct asap_ctx *ctx[2];
	struct asap_ctx *pu;
	struct asap_registrar_id id;
	struct asap_pe_info pe[4];
	char node[80], home[64];
	struct at at;
	struct after af;
	size_t n;
	int err;

	skip_sctp();
	/* Through the relay to A, then onto A's own address. */
	pe_open(o, w->regs, 0xa001, ASAP_UNICAST_AUTO);
	pe_open(never, w->regs, 0xa002, ASAP_UNICAST_NEVER);
	ctx[0] = o->ctx;
	ctx[1] = never->ctx;
	at = (struct at){ o, w->home_a, 2 };
	CHECK(drive(ctx, 2, pe_at, &at, WAIT_MS));
	at = (struct at){ never, w->regs, 1 };
	CHECK(drive(ctx, 2, pe_at, &at, WAIT_MS));
	CHECK_EQ(control_stat(&w->a, "registrations"), 2);

	/* A pool user that keeps its association moves as well. */
	assert_non_null(pu = asap_ctx_new(w->regs, NULL));
	assert_int_equal(asap_set_unicast(pu, ASAP_UNICAST_ALWAYS), 0);
	assert_int_equal(asap_pu_resolve_blocking_ex(pu, POOL, strlen(POOL),
	    ASAP_RESOLVE_REGISTRAR_ID, pe, 4, &n, NULL, &id, WAIT_MS), 0);
	assert_string_equal(id.node, "A");
	{
		uint64_t end = mono_ms() + WAIT_MS;

		while ((asap_home(pu, NULL, home, sizeof(home)) != 0 ||
		    strcmp(home, w->home_a) != 0) && mono_ms() < end)
			(void)asap_run_once(pu, 5);
		assert_string_equal(home, w->home_a);
	}

	/* The route moves to B and resets what it carried. */
	relay_route(&w->relay, w->b.port, true);
	who_answers(w->regs, ASAP_UNICAST_AUTO, node, sizeof(node), &err,
	    NULL, 0);
	assert_string_equal(node, "B");		/* new pool users: B */
	assert_int_equal(asap_pu_resolve_blocking_ex(pu, POOL, strlen(POOL),
	    ASAP_RESOLVE_REGISTRAR_ID, pe, 4, &n, NULL, &id, WAIT_MS), 0);
	assert_string_equal(id.node, "A");	/* the one that moved: A */
	assert_true(n >= 1);
	asap_ctx_free(pu);

	af = (struct after){ o, never, w, o->registered + 2 };
	if (!drive(ctx, 2, route_settled, &af, WAIT_MS)) {
		ring_dump();
		fail_msg("moved PE: %u registrations; other PE: %u losses",
		    o->registered, never->lost);
	}
	/* 0 resets, 0 removals, no new registration for the moved PE. */
	CHECK_EQ(o->lost, 0);
	CHECK(strcmp(home_of(o), w->home_a) == 0);
	CHECK(has_pe(&w->a, o->id));
	CHECK_EQ(control_stat(&w->a, "registrations"), 2);
	/* The opted-out PE's association was the one reset: the test bites. */
	CHECK_EQ(control_stat(&w->a, "assoc_lost_removals"), 1);
	CHECK(never->lost >= 1);
	CHECK(strcmp(home_of(never), w->regs) == 0);
	pe_close(o);
	pe_close(never);
}

static void
test_unicast_dies(void **state)
{
	struct world *w = *state;
	struct pe_obs *o = &w->o;
	struct asap_ctx *ctx[1];
	struct settled st;

	skip_sctp();
	pe_open(o, w->regs, 0xa003, ASAP_UNICAST_AUTO);
	ctx[0] = o->ctx;
	/* On A's own address, the association through the relay closed. */
	st = (struct settled){ { o, w->home_a, 2 }, &w->a };
	CHECK(drive(ctx, 1, pe_settled, &st, WAIT_MS));

	/* A withdraws (the route moves, nothing reset) and dies. */
	relay_route(&w->relay, w->b.port, false);
	daemon_stop(&w->a, SIGKILL);
	/* Back to the hunt through the relay: B, then B's own address. */
	st = (struct settled){ { o, w->home_b, o->registered + 2 }, &w->b };
	if (!drive(ctx, 1, pe_settled, &st, WAIT_MS)) {
		ring_dump();
		fail_msg("home %s (want %s), %llu associations at B",
		    home_of(o), w->home_b, (unsigned long long)
		    control_stat(&w->b, "associations"));
	}
	CHECK_EQ(o->lost, 1);
	CHECK(has_pe(&w->b, o->id));
	CHECK_EQ(control_stat(&w->b, "registrations"), 1);
	CHECK_EQ(control_stat(&w->b, "expirations"), 0);
	CHECK_EQ(control_stat(&w->b, "assoc_lost_removals"), 0);
	pe_close(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_addresses),
		cmocka_unit_test(test_two_addresses_tls),
		cmocka_unit_test(test_two_unicast_one_port),
		cmocka_unit_test_setup_teardown(test_route_moves, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unicast_dies, setup,
		    teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("unicast", tests, NULL, NULL);
}
