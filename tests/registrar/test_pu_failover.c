/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Failover no pool user sees (issue 13 item 4): a libasap pool user with a
 * resolution deadline (asap_pu_set_deadline()) resolves every 20 ms while
 * its registrar is killed (SIGKILL: the sockets close) or stopped
 * (SIGSTOP: a hang, nothing closes), and must get 0 failed resolutions,
 * each answered within the deadline, the last ones by the other registrar.
 *
 * Two real registrards (A and B, each with the pool's PE registered) on
 * loopback, reached two ways:
 * - "anycast": one address in front of them, a relay in this process that
 *   plays the router: new connections go to the registrar the "route"
 *   points at; moving the route either leaves the old connections where
 *   they were (a hung PoP keeps them, silent) or resets them (what the new
 *   node does with packets of connections it does not know).  A crash is
 *   SIGKILL and the route moving 150 ms later (healthd's withdraw); a hang
 *   is SIGSTOP and the route moving 300 ms later (BFD), the old
 *   connections left hanging - the worst case.  Loopback without network
 *   namespaces cannot do better: two registrards cannot share a listening
 *   address (no SO_REUSEPORT there, and the kernel's reuseport choice
 *   would be a hash, not a route).
 * - a registrar list "127.0.0.1:PA,127.0.0.1:PB": the home registrar is
 *   killed or stopped and nothing else changes.
 * The anycast cases run over TLS (PSK) too: every retry is a handshake.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "asap.h"
#include "harness.h"
#include "relay.h"

#define POOL		"failpool"
#define DEADLINE_MS	2000
#define INTERVAL_MS	20
#define CRASH_ROUTE_MS	150	/* kill -> route moves (healthd withdraw) */
#define HANG_ROUTE_MS	300	/* stop -> route moves (BFD detection) */

/* The "router": relay.h. */

/* Registrars -------------------------------------------------------------- */

struct pop {
	struct daemon	 d;
	uint16_t	 tls_port;	/* with TLS: the pool user's port */
	struct client	 pe;	/* the pool's PE, registered here */
	bool		 stopped;
};

/* psk: NULL, or a PSK file: the pool user then speaks TLS to tls_port. */
static int
pop_start(struct pop *p, uint32_t id, const char *name, const char *psk)
{
	char conf[768], tls[512] = "";
	uint16_t cause;

	if (psk != NULL) {
		p->tls_port = harness_free_port();
		snprintf(tls, sizeof(tls), "listen on 127.0.0.1 port %u "
		    "transport tcp tls\ntls {\n\tpsk-file \"%s\"\n}\n",
		    p->tls_port, psk);
	}
	snprintf(conf, sizeof(conf), "server-id 0x%x\nnode-name \"%s\"\n"
	    "asap {\n\tkeepalive-interval 1h\n}\n%s", id, name, tls);
	if (daemon_start(&p->d, conf) != 0 ||
	    client_connect(&p->pe, p->d.port) != 0)
		return -1;
	p->stopped = false;
	return do_register(&p->pe, POOL, 0x1000 + id, ASAP_POLICY_ROUND_ROBIN,
	    0, 0, 3600 * 1000, &cause) == 0 ? 0 : -1;
}

static void
pop_end(struct pop *p)
{
	if (p->d.pid > 0) {
		if (p->stopped)
			kill(p->d.pid, SIGCONT);
		daemon_stop(&p->d, SIGKILL);
	}
	client_close(&p->pe);
}

/* The pool user ----------------------------------------------------------- */

#define MAX_RES		1024

struct pu_run {
	struct asap_ctx	*ctx;
	unsigned int	 sent, done, failed;
	uint64_t	 lat_max;
	unsigned int	 by[3];		/* answers by A, B, other */
	char		 last[ASAP_NODE_NAME_MAX + 1];
};

struct pu_req {
	struct pu_run	*run;
	uint64_t	 t0;
};

static void
resolved(struct asap_ctx *ctx, const struct asap_resolution *res, void *arg)
{
	struct pu_req *q = arg;
	struct pu_run *run = q->run;
	uint64_t lat = mono_ms() - q->t0;

	(void)ctx;
	run->done++;
	if (lat > run->lat_max)
		run->lat_max = lat;
	if (res->error != 0 || res->stale || res->npe == 0 ||
	    res->registrar == NULL) {
		run->failed++;
		fprintf(stderr, "resolution failed after %llu ms: %s%s\n",
		    (unsigned long long)lat, res->error ?
		    strerror(-res->error) : "", res->stale ? "stale" : "");
	} else {
		snprintf(run->last, sizeof(run->last), "%s",
		    res->registrar->node);
		run->by[strcmp(run->last, "A") == 0 ? 0 :
		    strcmp(run->last, "B") == 0 ? 1 : 2]++;
	}
	free(q);
}

struct event {
	uint64_t	 at_ms;		/* from the start of the run */
	void		(*fn)(void *arg);
	void		*arg;
};

/*
 * Resolve every INTERVAL_MS for run_ms, the events happening on the way,
 * then wait for the outstanding answers (the deadline bounds them).
 */
static void
pu_resolve_for(struct pu_run *run, uint64_t run_ms, struct event *ev,
    size_t nev)
{
	uint64_t start = mono_ms(), next = start, now;
	size_t e = 0;
	struct pu_req *q;

	for (;;) {
		now = mono_ms();
		while (e < nev && now - start >= ev[e].at_ms)
			ev[e].fn(ev[e].arg), e++;
		if (now - start < run_ms && now >= next) {
			assert_non_null(q = calloc(1, sizeof(*q)));
			q->run = run;
			q->t0 = now;
			assert_int_equal(asap_pu_resolve_ex(run->ctx, POOL,
			    strlen(POOL), ASAP_RESOLVE_REGISTRAR_ID, resolved,
			    q), 0);
			run->sent++;
			next += INTERVAL_MS;
		}
		if (now - start >= run_ms && run->done == run->sent)
			break;
		/* Nothing outlives the deadline: this is the test's bound. */
		assert_true(now - start < run_ms + DEADLINE_MS + 1000);
		(void)asap_run_once(run->ctx, 2);
	}
}

/* $ANYPOOL_TEST_DEBUG: libasap's debug lines, with the time, on stderr. */
static void
debug_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%llu libasap: %s\n", (unsigned long long)mono_ms(),
	    line);
}

/* psk: NULL, or TLS with that key file (resuming sessions where it can). */
static struct asap_ctx *
pu_ctx(const char *regs, const char *psk)
{
	struct asap_deadline dl = { .deadline_ms = DEADLINE_MS };
	struct asap_tls_config tls = { .psk_file = psk, .resume = true };
	char err[256];
	struct asap_ctx *ctx = asap_ctx_new_tls(regs, NULL, psk != NULL ?
	    &tls : NULL, err, sizeof(err));

	if (ctx == NULL)
		fprintf(stderr, "asap_ctx_new_tls: %s\n", err);
	assert_non_null(ctx);
	assert_int_equal(asap_pu_set_deadline(ctx, &dl), 0);
	if (getenv("ANYPOOL_TEST_DEBUG") != NULL)
		asap_set_debug_log(ctx, debug_line, NULL);
	return ctx;
}

static void
report(const char *what, const struct pu_run *run)
{
	fprintf(stderr, "%s: %u resolutions, %u failed, max %llu ms, "
	    "A %u, B %u, other %u\n", what, run->sent, run->failed,
	    (unsigned long long)run->lat_max, run->by[0], run->by[1],
	    run->by[2]);
}

/* Tests -------------------------------------------------------------------- */

struct world {
	struct pop	 a, b;
	struct relay	 relay;
	bool		 relayed;
	char		 dir[64];	/* TLS: holds the PSK file */
	char		 psk[128];	/* "" without TLS */
};

static int
world_new(void **state, bool tls)
{
	struct world *w = calloc(1, sizeof(*w));
	const char *psk = NULL;
	FILE *f;

	if (w == NULL)
		return -1;
	w->a.pe.fd = w->b.pe.fd = -1;
	*state = w;
	if (tls) {
		snprintf(w->dir, sizeof(w->dir), "/tmp/anypool-pufail-XXXXXX");
		if (mkdtemp(w->dir) == NULL)
			return -1;
		snprintf(w->psk, sizeof(w->psk), "%s/pu.psk", w->dir);
		if ((f = fopen(w->psk, "w")) == NULL)
			return -1;
		fprintf(f, "pu-1 00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff\n");
		fclose(f);
		if (chmod(w->psk, 0600) == -1)
			return -1;
		psk = w->psk;
	}
	if (pop_start(&w->a, 0xa, "A", psk) != 0 ||
	    pop_start(&w->b, 0xb, "B", psk) != 0)
		return -1;
	return 0;
}

static int
setup(void **state)
{
	return world_new(state, false);
}

static int
setup_tls(void **state)
{
	return world_new(state, true);
}

static int
teardown(void **state)
{
	struct world *w = *state;

	if (w->relayed)
		relay_stop(&w->relay);
	pop_end(&w->a);
	pop_end(&w->b);
	if (w->psk[0] != '\0')
		unlink(w->psk);
	if (w->dir[0] != '\0')
		rmdir(w->dir);
	free(w);
	return 0;
}

/* The port a pool user reaches a registrar on. */
static uint16_t
pu_port(const struct world *w, const struct pop *p)
{
	return w->psk[0] != '\0' ? p->tls_port : p->d.port;
}

static void
ev_kill(void *arg)
{
	struct pop *p = arg;

	fprintf(stderr, "%llu t: SIGKILL registrar pid %d\n",
	    (unsigned long long)mono_ms(), (int)p->d.pid);
	daemon_stop(&p->d, SIGKILL);
}

static void
ev_stop(void *arg)
{
	struct pop *p = arg;

	fprintf(stderr, "%llu t: SIGSTOP registrar pid %d\n",
	    (unsigned long long)mono_ms(), (int)p->d.pid);
	kill(p->d.pid, SIGSTOP);
	p->stopped = true;
}

static void
ev_route_b(void *arg)
{
	struct world *w = arg;

	fprintf(stderr, "%llu t: route -> B\n", (unsigned long long)mono_ms());
	relay_route(&w->relay, pu_port(w, &w->b), false);
}

/* Warm up on A, fail A at 400 ms, move the route after route_ms. */
static void
anycast(void **state, bool hang, uint64_t route_ms)
{
	struct world *w = *state;
	struct pu_run run = { 0 };
	char regs[64];
	struct event ev[] = {
		{ 400, hang ? ev_stop : ev_kill, &w->a },
		{ 400 + route_ms, ev_route_b, w },
	};

	assert_int_equal(relay_start(&w->relay, pu_port(w, &w->a)), 0);
	w->relayed = true;
	snprintf(regs, sizeof(regs), "127.0.0.1:%u", w->relay.port);
	run.ctx = pu_ctx(regs, w->psk[0] != '\0' ? w->psk : NULL);
	pu_resolve_for(&run, 400 + route_ms + 800, ev, 2);
	report(hang ? w->psk[0] != '\0' ? "anycast TLS, A hangs" :
	    "anycast, A hangs" : w->psk[0] != '\0' ? "anycast TLS, A crashes" :
	    "anycast, A crashes", &run);
	assert_int_equal(run.failed, 0);
	assert_int_equal(run.done, run.sent);
	assert_true(run.lat_max < DEADLINE_MS);
	assert_true(run.by[0] > 0);		/* A answered before */
	assert_true(run.by[1] > 0);		/* B after */
	assert_string_equal(run.last, "B");
	asap_ctx_free(run.ctx);
}

static void
test_anycast_crash(void **state)
{
	anycast(state, false, CRASH_ROUTE_MS);
}

static void
test_anycast_hang(void **state)
{
	anycast(state, true, HANG_ROUTE_MS);
}

/* A list of two: whichever is home fails, at 300 ms. */
static void
list(void **state, bool hang)
{
	struct world *w = *state;
	struct pu_run run = { 0 };
	char regs[64], home[64], a[32];
	struct pop *victim;
	struct event ev[1];

	snprintf(regs, sizeof(regs), "127.0.0.1:%u,127.0.0.1:%u", w->a.d.port,
	    w->b.d.port);
	run.ctx = pu_ctx(regs, NULL);
	/* Associate first, to know whom to fail. */
	pu_resolve_for(&run, 100, NULL, 0);
	assert_int_equal(run.failed, 0);
	assert_int_equal(asap_home(run.ctx, NULL, home, sizeof(home)), 0);
	snprintf(a, sizeof(a), "127.0.0.1:%u", w->a.d.port);
	victim = strcmp(home, a) == 0 ? &w->a : &w->b;
	ev[0].at_ms = 300;
	ev[0].fn = hang ? ev_stop : ev_kill;
	ev[0].arg = victim;
	memset(run.by, 0, sizeof(run.by));
	pu_resolve_for(&run, 1200, ev, 1);
	report(hang ? "list, home hangs" : "list, home crashes", &run);
	assert_int_equal(run.failed, 0);
	assert_int_equal(run.done, run.sent);
	assert_true(run.lat_max < DEADLINE_MS);
	/* The other one answers in the end. */
	assert_string_equal(run.last, victim == &w->a ? "B" : "A");
	asap_ctx_free(run.ctx);
}

static void
test_list_crash(void **state)
{
	list(state, false);
}

static void
test_list_hang(void **state)
{
	list(state, true);
}

struct one {
	bool		 done;
	int		 error;
	bool		 stale;
	uint64_t	 t0, lat;
};

static void
one_cb(struct asap_ctx *ctx, const struct asap_resolution *res, void *arg)
{
	struct one *o = arg;

	(void)ctx;
	o->done = true;
	o->error = res->error;
	o->stale = res->stale;
	o->lat = mono_ms() - o->t0;
}

/* One resolution, waited for (the test's own bound: twice the deadline). */
static void
resolve_one(struct asap_ctx *ctx, unsigned int flags, struct one *o)
{
	memset(o, 0, sizeof(*o));
	o->t0 = mono_ms();
	assert_int_equal(asap_pu_resolve_ex(ctx, POOL, strlen(POOL), flags,
	    one_cb, o), 0);
	while (!o->done) {
		assert_true(mono_ms() - o->t0 < 2 * DEADLINE_MS);
		(void)asap_run_once(ctx, 5);
	}
}

/*
 * Nobody can answer (the only registrar hangs): the deadline holds, not
 * T1 x 3 = 9 s, with a stale cache entry if there is one (RFC 5352 C3)
 * and -ETIMEDOUT otherwise; the registrar back, the next one is answered.
 */
static void
test_deadline_expires(void **state)
{
	struct world *w = *state;
	struct asap_deadline dl = { .deadline_ms = 500 };
	struct asap_ctx *ctx;
	char regs[32];
	struct one o;

	snprintf(regs, sizeof(regs), "127.0.0.1:%u", w->a.d.port);
	ctx = pu_ctx(regs, NULL);
	assert_int_equal(asap_pu_set_deadline(ctx, &dl), 0);
	resolve_one(ctx, 0, &o);
	assert_int_equal(o.error, 0);
	assert_false(o.stale);
	ev_stop(&w->a);
	resolve_one(ctx, ASAP_RESOLVE_REGISTRAR_ID, &o);
	fprintf(stderr, "hung, cached: %s after %llu ms\n", o.stale ?
	    "stale" : strerror(-o.error), (unsigned long long)o.lat);
	assert_int_equal(o.error, 0);
	assert_true(o.stale);
	assert_in_range(o.lat, 500, 900);
	asap_pu_cache_purge(ctx, NULL, 0);
	resolve_one(ctx, 0, &o);
	fprintf(stderr, "hung, no cache: %s after %llu ms\n",
	    strerror(-o.error), (unsigned long long)o.lat);
	assert_int_equal(o.error, -ETIMEDOUT);
	assert_in_range(o.lat, 500, 900);
	kill(w->a.d.pid, SIGCONT);
	w->a.stopped = false;
	resolve_one(ctx, ASAP_RESOLVE_REGISTRAR_ID, &o);
	assert_int_equal(o.error, 0);
	assert_false(o.stale);
	/* Bad settings are refused and change nothing. */
	dl.try_min_ms = 300;
	dl.try_max_ms = 200;
	assert_int_equal(asap_pu_set_deadline(ctx, &dl), -EINVAL);
	dl.try_max_ms = 0;
	dl.reserved[0] = 1;
	assert_int_equal(asap_pu_set_deadline(ctx, &dl), -EINVAL);
	assert_int_equal(asap_pu_set_deadline(ctx, NULL), 0);
	asap_ctx_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_anycast_crash, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_anycast_hang, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list_crash, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list_hang, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_deadline_expires, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_anycast_crash,
		    setup_tls, teardown),
		cmocka_unit_test_setup_teardown(test_anycast_hang,
		    setup_tls, teardown),
	};

	if (harness_sctp()) {
		/* The relay and the pool user's TLS are TCP only. */
		fprintf(stderr, "test_pu_failover: TCP only, skipped\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
