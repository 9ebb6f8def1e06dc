/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ENRP end to end: three real registrard processes that form one cluster,
 * ENRP over the TCP mapping on port 9901 of 127.0.0.1, .2 and .3 (every
 * loopback /8 address is local), each with its own ASAP port on 127.0.0.1.
 * A PE registered at A must be resolvable at B and C (the delay is measured
 * and printed), its deregistration must propagate, kill -9 A must leave
 * exactly one survivor owning A's PEs, a restarted A must download the
 * table from a mentor and report synchronized, and afterwards every
 * registrar's checksum of every owner must equal that owner's own.  Then a
 * raw ENRP client throws bad input at B (truncations, bad lengths, unknown
 * types and parameters, wrong ids): B answers ENRP_ERROR, keeps serving and
 * the cluster stays consistent.  Prints what it did; exits 0 on success.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "cluster.h"

#define POOL	"EnrpPool"

static int		 failures;

struct vis {
	struct client	*c;
	uint32_t	 id;
	bool		 want;
};

static bool
visible(void *arg)
{
	struct vis *v = arg;
	uint32_t ids[64];
	int n, i;

	n = do_resolve(v->c, POOL, 64, ids, 64, NULL);
	for (i = 0; i < n; i++)
		if (ids[i] == v->id)
			return v->want;
	return !v->want;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Homes of the PEs at registrar i: count those owned by `home`. */
static int
pes_owned_by(int i, uint32_t home, int *ret_total)
{
	json_t *j = query(i, "show pes"), *p;
	size_t k;
	int n = 0;

	*ret_total = 0;
	if (j == NULL)
		return -1;
	json_array_foreach(json_object_get(j, "pes"), k, p) {
		(*ret_total)++;
		if (hex32(json_object_get(p, "home")) == home)
			n++;
	}
	json_decref(j);
	return n;
}

struct owner_check {
	uint32_t	 owner;
	int		 npes;
};

/* B and C agree that one of them owns every PE. */
static bool
one_owner(void *arg)
{
	struct owner_check *oc = arg;
	uint32_t b = server_id(1), c = server_id(2);
	int tot, nb1, nc1, nb2, nc2, t2;

	nb1 = pes_owned_by(1, b, &tot);
	nc1 = pes_owned_by(1, c, &tot);
	if (tot != oc->npes)
		return false;
	nb2 = pes_owned_by(2, b, &t2);
	nc2 = pes_owned_by(2, c, &t2);
	if (t2 != oc->npes)
		return false;
	if (nb1 == oc->npes && nb2 == oc->npes)
		oc->owner = b;
	else if (nc1 == oc->npes && nc2 == oc->npes)
		oc->owner = c;
	else
		return false;
	return true;
}

/* ---- raw ENRP client for the bad-input matrix ----------------------------- */

/*
 * (Causes: as for ASAP, a cause that should carry the offending parameter
 * becomes Unspecified Error when nothing well-formed can be pointed at.)
 * Wait for an ENRP_ERROR on fd (other messages skipped).  Returns its
 * first cause, -1 on timeout, -2 if the connection closed.
 */
static int
enrp_expect_error(int fd, int timeout_ms)
{
	static uint8_t in[1 << 17];
	static size_t inlen;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;
	struct rsp_msg m;
	struct rsp_err err;
	ssize_t n;
	long f;

	inlen = 0;
	for (;;) {
		while ((f = rsp_frame(in, inlen)) > 0) {
			if (rsp_decode(RSP_PROTO_ENRP, in, (size_t)f, NULL, &m,
			    &err) == 0 && m.type == ENRP_ERROR) {
				memmove(in, in + f, inlen - (size_t)f);
				inlen -= (size_t)f;
				return m.error.ncause > 0 ?
				    m.error.cause[0].code : 0xffff;
			}
			memmove(in, in + f, inlen - (size_t)f);
			inlen -= (size_t)f;
		}
		if (mono_ms() >= end)
			return -1;
		if (poll(&pfd, 1, (int)(end - mono_ms())) <= 0)
			return -1;
		n = recv(fd, in + inlen, sizeof(in) - inlen, 0);
		if (n <= 0)
			return -2;
		inlen += (size_t)n;
	}
}

static size_t
enrp_hdr(uint8_t *b, uint8_t type, uint8_t flags, uint16_t len, uint32_t snd,
    uint32_t rcv)
{
	b[0] = type;
	b[1] = flags;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[4] = (uint8_t)(snd >> 24);
	b[5] = (uint8_t)(snd >> 16);
	b[6] = (uint8_t)(snd >> 8);
	b[7] = (uint8_t)snd;
	b[8] = (uint8_t)(rcv >> 24);
	b[9] = (uint8_t)(rcv >> 16);
	b[10] = (uint8_t)(rcv >> 8);
	b[11] = (uint8_t)rcv;
	return 12;
}

struct bad_case {
	const char	*what;
	uint8_t		 msg[64];
	size_t		 len;
	int		 expect;	/* cause, -1 none expected, -2 closes */
};

static void
bad_input_matrix(void)
{
	const uint32_t me = 0x0badbad0;
	struct bad_case cases[16];
	size_t n = 0, i;
	uint8_t *b;
	int fd, rc;

#define CASE(w, ex) (memset(&cases[n], 0, sizeof(cases[n])), \
	cases[n].what = (w), cases[n].expect = (ex), b = cases[n].msg)
	/* header only: shorter than the two server ids */
	CASE("PRESENCE without server ids", RSP_CAUSE_INVALID_VALUES);
	b[0] = ENRP_PRESENCE; b[3] = 4; cases[n++].len = 4;
	/* LIST_REQUEST with trailing bytes */
	CASE("LIST_REQUEST longer than 12", RSP_CAUSE_UNSPECIFIED);
	enrp_hdr(b, ENRP_LIST_REQUEST, 0, 16, me, 0); cases[n++].len = 16;
	/* unknown message type, report bit set (0x4b) */
	CASE("unknown type 0x4b", RSP_CAUSE_UNRECOGNIZED_MSG);
	enrp_hdr(b, 0x4b, 0, 12, me, 0); cases[n++].len = 12;
	/* PRESENCE with a TLV whose length runs past the message */
	CASE("TLV longer than the message", RSP_CAUSE_UNSPECIFIED);
	enrp_hdr(b, ENRP_PRESENCE, 0, 20, me, 0);
	b[12] = 0; b[13] = 0x0f; b[14] = 0; b[15] = 0x40; cases[n++].len = 20;
	/* PRESENCE with an unknown stop-and-report parameter */
	CASE("unknown parameter 0x4fff", RSP_CAUSE_UNRECOGNIZED_PARAM);
	enrp_hdr(b, ENRP_PRESENCE, 0, 20, me, 0);
	b[12] = 0x4f; b[13] = 0xff; b[14] = 0; b[15] = 8; cases[n++].len = 20;
	/* HANDLE_UPDATE with a bad action and no parameters */
	CASE("HANDLE_UPDATE action 7", RSP_CAUSE_INVALID_VALUES);
	enrp_hdr(b, ENRP_HANDLE_UPDATE, 0, 16, me, 0);
	b[13] = 7; cases[n++].len = 16;
	/* HANDLE_UPDATE ADD_PE without its Pool Element */
	CASE("HANDLE_UPDATE without PE", RSP_CAUSE_UNSPECIFIED);
	enrp_hdr(b, ENRP_HANDLE_UPDATE, 0, 24, me, 0);
	b[16] = 0; b[17] = 9; b[18] = 0; b[19] = 8;
	memcpy(b + 20, "Bad!", 4); cases[n++].len = 24;
	/* INIT_TAKEOVER truncated (no target id) */
	CASE("INIT_TAKEOVER without target", RSP_CAUSE_INVALID_VALUES);
	enrp_hdr(b, ENRP_INIT_TAKEOVER, 0, 12, me, 0); cases[n++].len = 12;
	/* sender id 0 */
	CASE("sender id 0", RSP_CAUSE_UNSPECIFIED);
	enrp_hdr(b, ENRP_LIST_REQUEST, 0, 12, 0, 0); cases[n++].len = 12;
	/* a length below the header: the stream cannot be framed any more */
	CASE("length 2 (unframeable)", -2);
	b[0] = ENRP_PRESENCE; b[3] = 2; cases[n++].len = 4;
#undef CASE

	for (i = 0; i < n; i++) {
		if ((fd = tcp_connect_from(NULL, addr[1], ENRP_PORT)) < 0) {
			CHECK(false, "bad input: connect to B's ENRP port");
			return;
		}
		if (send(fd, cases[i].msg, cases[i].len, MSG_NOSIGNAL) < 0)
			rc = -3;
		else
			rc = enrp_expect_error(fd, 2000);
		if (cases[i].expect == -2)
			CHECK((rc >= 0 && enrp_expect_error(fd, 2000) == -2) ||
			    rc == -2, "bad input: %s: error then close (got "
			    "%d)", cases[i].what, rc);
		else
			CHECK(rc == cases[i].expect, "bad input: %s: "
			    "ENRP_ERROR cause %d (expected %d)",
			    cases[i].what, rc, cases[i].expect);
		close(fd);
	}
	CHECK(daemon_alive(&reg[1]), "bad input: B still running");
}


/* ---- benchmark mode (ENRP_BENCH=FILE; tests/bench/run-enrp-bench) ------- */

struct npes {
	int		 i;
	uint64_t	 want;
};

static bool
has_npes(void *arg)
{
	struct npes *n = arg;

	return summary_int(n->i, "pes") == n->want;
}

/*
 * Resolve `pool` at c until PE id is in the answer; the polls it took, or
 * -1 on error.  An unknown pool (not there yet) answers with an error.
 */
static long
poll_visible(struct client *c, const char *pool, uint32_t items, uint32_t id)
{
	uint32_t ids[128];
	long polls = 0;
	int n, i;

	for (;;) {
		polls++;
		n = do_resolve(c, pool, items, ids, 128, NULL);
		if (n == -1)
			return -1;
		for (i = 0; i < n; i++)
			if (ids[i] == id)
				return polls;
	}
}

static uint64_t
us_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (uint64_t)((int64_t)(b.tv_sec - a->tv_sec) * 1000000 +
	    ((int64_t)b.tv_nsec - (int64_t)a->tv_nsec) / 1000);
}

/*
 * n registrations at A, each timed until resolvable at B and then at C.
 * one_pool false: each PE in a pool of its own, so the first resolution at
 * B or C that runs after the ADD_PE has arrived names it.  one_pool true
 * (how this benchmark measured before issue 14): all in POOL under Round
 * Robin, polled with 64 items - once the pool has more than 64 PEs a new
 * PE (which joins the circle just behind its head, RFC 5356 §4.1) comes
 * into the answer only after pool size - 64 more resolutions, one per
 * round-trip, however early it arrived.  Fills tot[] (registration to
 * visible at both), reg[] (the registration's own round trip) and polls[]
 * (resolutions at B and C together), each sorted.
 */
static int
bench_visibility(struct client *ca, struct client *cb, struct client *cc,
    int n, uint32_t base, bool one_pool, uint64_t *tot, uint64_t *regrt,
    uint64_t *polls)
{
	struct timespec a;
	char pool[32];
	uint16_t cause;
	long pb, pc;
	int i, rc;

	for (i = 0; i < n; i++) {
		if (one_pool)
			snprintf(pool, sizeof(pool), "%s", POOL);
		else
			snprintf(pool, sizeof(pool), "EnrpVis%d", i);
		clock_gettime(CLOCK_MONOTONIC, &a);
		rc = do_register(ca, pool, base + (uint32_t)i,
		    RSP_POLICY_ROUND_ROBIN, 0, 0, 600000, &cause);
		regrt[i] = us_since(&a);
		if (rc != 0)
			return -1;
		if ((pb = poll_visible(cb, pool, 64, base + (uint32_t)i)) < 0 ||
		    (pc = poll_visible(cc, pool, 64, base + (uint32_t)i)) < 0)
			return -1;
		tot[i] = us_since(&a);
		polls[i] = (uint64_t)(pb + pc);
	}
	qsort(tot, (size_t)n, sizeof(tot[0]), cmp_u64);
	qsort(regrt, (size_t)n, sizeof(regrt[0]), cmp_u64);
	qsort(polls, (size_t)n, sizeof(polls[0]), cmp_u64);
	return 0;
}

/* p50, p99, max of a sorted sample as "KEY_p50 V\n..." lines. */
static void
put_pct(FILE *f, const char *key, const uint64_t *v, int n)
{
	fprintf(f, "%s_p50 %llu\n%s_p99 %llu\n%s_max %llu\n", key,
	    (unsigned long long)v[n / 2], key,
	    (unsigned long long)v[n * 99 / 100], key,
	    (unsigned long long)v[n - 1]);
}

/* Register n PEs at registrar `at` over several associations, pipelined. */
static int
bulk_register(int at, int n)
{
	struct client c;
	struct rsp_msg m;
	uint8_t buf[256 * 128];
	char pool[32];
	int done = 0, k, batch, sent, got;
	size_t len;

	while (done < n) {
		if (client_connect(&c, reg[at].port) != 0)
			return -1;
		for (k = 0; k < 60000 && done < n; k += batch) {
			batch = n - done < 128 ? n - done : 128;
			len = 0;
			for (sent = 0; sent < batch; sent++) {
				snprintf(pool, sizeof(pool), "bench%d",
				    (done + sent) / 1000);
				len += build_registration(buf + len,
				    sizeof(buf) - len, pool,
				    0x100000 + (uint32_t)(done + sent),
				    RSP_POLICY_ROUND_ROBIN, 0, 0, 7000,
				    3600000);
			}
			if (client_send(&c, buf, len) != 0)
				return -1;
			for (got = 0; got < batch; got++)
				if (client_expect(&c, ASAP_REGISTRATION_RESPONSE,
				    &m, 10000) != 1 || (m.flags & ASAP_FLAG_REJECT))
					return -1;
			done += batch;
		}
		/* keep the association: its PEs would go with it */
	}
	return 0;
}

static int
bench(const char *out)
{
	struct client ca, cb, cc;
	struct owner_check oc = { 0 };
	struct npes np;
	static uint64_t tot[1000], regrt[1000], polls[1000];
	static uint64_t otot[200], oregrt[200], opolls[200];
	uint64_t t0, take_ms, dl_ms, sync_ms = 0, fill_ms;
	int rc, n = 1000, no = 200, npes = 1000000;
	const char *env = getenv("ENRP_BENCH_PES");
	char timers[1024];
	FILE *f;

	if (env != NULL && atoi(env) > 0)
		npes = atoi(env);
	snprintf(timers, sizeof(timers), "\theartbeat-cycle 300ms\n"
	    "\tmax-time-last-heard 1s\n\tmax-time-no-response 700ms\n"
	    "\tmentor-discovery 1500ms\n\ttakeover-expiry 2s\n}\nlimits {\n"
	    "\tpes %d\n\tpes-per-pool 10000\n\tpes-per-association 65535\n"
	    "\trequest-rate 1000000 burst 1000000\n", npes + n + no + 100000);
	if (start_all(timers) != 0 || !wait_until(all_synchronized, NULL, 10000) ||
	    !wait_until(checksums_equal, NULL, 10000))
		return 1;
	if (client_connect(&ca, reg[0].port) || client_connect(&cb, reg[1].port) ||
	    client_connect(&cc, reg[2].port))
		return 1;
	/* 1. registration at A to visible at B and at C, a pool per PE */
	if (bench_visibility(&ca, &cb, &cc, n, 0x1000, false, tot, regrt,
	    polls) != 0)
		return 1;
	/* 1b. the same the way this benchmark measured before (one pool) */
	if (bench_visibility(&ca, &cb, &cc, no, 0x8000, true, otot, oregrt,
	    opolls) != 0)
		return 1;
	/* 2. takeover duration after kill -9 A (n + no PEs) */
	/*
	 * Kill first: closing the PEs' association while A lives would have A
	 * deregister them (association lost) and announce it, leaving nothing
	 * to take over.
	 */
	t0 = mono_ms();
	daemon_stop(&reg[0], SIGKILL);
	client_close(&ca);
	oc.npes = n + no;
	if (!wait_until(one_owner, &oc, 20000))
		return 1;
	take_ms = mono_ms() - t0;
	/* 3. mentor download of npes PEs: register them at B, restart A */
	t0 = mono_ms();
	if (bulk_register(1, npes) != 0)
		return 1;
	np.i = 2;
	np.want = (uint64_t)(npes + n + no);
	if (!wait_until(has_npes, &np, 600000))
		return 1;
	fill_ms = mono_ms() - t0;
	t0 = mono_ms();
	if (daemon_restart(&reg[0]) != 0)
		return 1;
	np.i = 0;
	rc = wait_until(all_synchronized, NULL, 600000) &&
	    wait_until(has_npes, &np, 600000);
	dl_ms = mono_ms() - t0;
	{
		json_t *j = query(0, "show peers");

		if (j != NULL)
			sync_ms = (uint64_t)json_integer_value(json_object_get(j,
			    "synchronized_after_ms"));
		json_decref(j);
	}
	if (!rc)
		return 1;
	if ((f = fopen(out, "w")) == NULL)
		return 1;
	fprintf(f, "samples %d\n", n);
	put_pct(f, "visible_us", tot, n);
	put_pct(f, "register_us", regrt, n);
	put_pct(f, "polls", polls, n);
	fprintf(f, "onepool_samples %d\n", no);
	put_pct(f, "onepool_visible_us", otot, no);
	put_pct(f, "onepool_register_us", oregrt, no);
	put_pct(f, "onepool_polls", opolls, no);
	fprintf(f, "takeover_ms %llu\ndownload_pes %d\nfill_ms %llu\n"
	    "download_ms %llu\nsynchronized_after_ms %llu\n",
	    (unsigned long long)take_ms, npes + n + no,
	    (unsigned long long)fill_ms, (unsigned long long)dl_ms,
	    (unsigned long long)sync_ms);
	fclose(f);
	client_close(&cb);
	client_close(&cc);
	return 0;
}

int
main(void)
{
	struct client ca, cb, cc;
	struct vis v;
	struct owner_check oc = { 0 };
	uint64_t t0, lat[20], tmax = 0;
	uint32_t idA, ids[64];
	uint16_t cause;
	int i, st, ntake, tot, rc;
	const char *timers = "\theartbeat-cycle 300ms\n\tmax-time-last-heard "
	    "1s\n\tmax-time-no-response 700ms\n\tmentor-discovery 1500ms\n"
	    "\ttakeover-expiry 2s\n";

	signal(SIGPIPE, SIG_IGN);
	atexit(kill_all);
	if (harness_sctp()) {
		printf("SKIP: ENRP runs over the TCP mapping only\n");
		return 77;
	}
	if (getenv("ENRP_BENCH") != NULL)
		return bench(getenv("ENRP_BENCH"));
	if (start_all(timers) != 0) {
		printf("FAIL: cannot start three registrars\n");
		return 1;
	}
	t0 = mono_ms();
	CHECK(wait_until(all_synchronized, NULL, 10000), "3 registrars "
	    "synchronized (%llu ms)", (unsigned long long)(mono_ms() - t0));
	CHECK(wait_until(checksums_equal, NULL, 10000), "every registrar "
	    "knows the other two");

	if (client_connect(&ca, reg[0].port) || client_connect(&cb, reg[1].port) ||
	    client_connect(&cc, reg[2].port)) {
		printf("FAIL: connect\n");
		return 1;
	}

	/* A PE registered at A is resolvable at B and C; measure the delay. */
	for (i = 0; i < 20; i++) {
		uint64_t t;

		rc = do_register(&ca, POOL, 0x1000 + (uint32_t)i,
		    RSP_POLICY_ROUND_ROBIN, 0, 0, 600000, &cause);
		t = mono_ms();
		v.c = &cb;
		v.id = 0x1000 + (uint32_t)i;
		v.want = true;
		if (rc != 0 || !wait_until(visible, &v, 5000)) {
			lat[i] = 99999;
			continue;
		}
		v.c = &cc;
		wait_until(visible, &v, 5000);
		lat[i] = mono_ms() - t;
	}
	qsort(lat, 20, sizeof(lat[0]), cmp_u64);
	tmax = lat[19];
	CHECK(tmax < 5000, "20 PEs registered at A visible at B and C: "
	    "p50 %llu ms, max %llu ms", (unsigned long long)lat[10],
	    (unsigned long long)tmax);

	/* Deregistration propagates. */
	rc = client_send(&ca, ids, build_deregistration((uint8_t *)ids,
	    sizeof(ids), POOL, 0x1000));
	{
		struct rsp_msg m;

		client_expect(&ca, ASAP_DEREGISTRATION_RESPONSE, &m, 2000);
	}
	v.id = 0x1000;
	v.want = false;
	v.c = &cb;
	t0 = mono_ms();
	rc = wait_until(visible, &v, 5000);
	v.c = &cc;
	rc = rc && wait_until(visible, &v, 5000);
	CHECK(rc, "deregistration at A gone at B and C (%llu ms)",
	    (unsigned long long)(mono_ms() - t0));
	CHECK(wait_until(checksums_equal, NULL, 5000), "checksums equal "
	    "after registrations");

	/*
	 * Deregistration at a registrar that is not the PE's home (the
	 * anycast address took it elsewhere): B grants it and announces
	 * DEL_PE naming A as home (RFC 5352 §3.2, as RSPLIB), so A and C
	 * drop the PE too, A with its keep-alive state.
	 */
	rc = do_register(&ca, POOL, 0x2000, RSP_POLICY_ROUND_ROBIN, 0, 0,
	    600000, &cause);
	v.id = 0x2000;
	v.want = true;
	v.c = &cc;
	CHECK(rc == 0 && wait_until(visible, &v, 5000), "PE 0x2000 "
	    "registered at A, visible at C");
	{
		uint8_t dbuf[256];
		struct rsp_msg m;

		rc = client_send(&cb, dbuf, build_deregistration(dbuf,
		    sizeof(dbuf), POOL, 0x2000));
		rc = rc == 0 && client_expect(&cb, ASAP_DEREGISTRATION_RESPONSE,
		    &m, 2000) == 1 && !m.has_error;
		CHECK(rc, "B grants the deregistration of A's PE 0x2000");
	}
	v.want = false;
	t0 = mono_ms();
	v.c = &cb;
	rc = wait_until(visible, &v, 5000);
	CHECK(rc, "PE 0x2000 gone at B");
	v.c = &ca;
	rc = wait_until(visible, &v, 5000);
	CHECK(rc, "PE 0x2000 gone at A, its home (%llu ms)",
	    (unsigned long long)(mono_ms() - t0));
	v.c = &cc;
	rc = wait_until(visible, &v, 5000);
	CHECK(rc, "PE 0x2000 gone at C (%llu ms)",
	    (unsigned long long)(mono_ms() - t0));
	pes_owned_by(0, 0, &tot);
	CHECK(tot == 19, "A lists 19 PEs after it (%d)", tot);
	CHECK(wait_until(checksums_equal, NULL, 5000), "checksums equal "
	    "after the deregistration at B");

	/* kill -9 A: exactly one survivor takes over A's 19 PEs. */
	idA = server_id(0);
	/*
	 * Kill first: closing the PEs' association while A lives would have A
	 * deregister them (association lost) and announce it, leaving nothing
	 * to take over.
	 */
	t0 = mono_ms();
	daemon_stop(&reg[0], SIGKILL);
	client_close(&ca);
	oc.npes = 19;
	rc = wait_until(one_owner, &oc, 15000);
	ntake = (int)(peers_stat(1, "takeovers") + peers_stat(2, "takeovers"));
	CHECK(rc && ntake == 1 && oc.owner != idA, "kill -9 A (0x%08x): one "
	    "survivor (0x%08x) owns its 19 PEs at B and C after %llu ms "
	    "(takeovers %d)", idA, oc.owner,
	    (unsigned long long)(mono_ms() - t0), ntake);
	v.c = &cb;
	v.id = 0x1005;
	v.want = true;
	CHECK(wait_until(visible, &v, 1000), "taken-over PEs stay resolvable");

	/* A restarted: a mentor's table, synchronized, checksums equal. */
	t0 = mono_ms();
	rc = daemon_restart(&reg[0]);
	CHECK(rc == 0 && wait_until(all_synchronized, NULL, 10000),
	    "A restarted and synchronized (%llu ms)",
	    (unsigned long long)(mono_ms() - t0));
	{
		json_t *j = query(0, "show summary");
		json_t *s = j ? json_object_get(j, "summary") : NULL;

		CHECK(s && !json_is_null(json_object_get(s, "mentor")),
		    "A reports a mentor");
		json_decref(j);
	}
	pes_owned_by(0, 0, &tot);
	CHECK(tot == 19, "A downloaded the table: %d PEs", tot);
	t0 = mono_ms();
	CHECK(wait_until(checksums_equal, NULL, 10000), "checksums equal "
	    "everywhere after the restart (%llu ms)",
	    (unsigned long long)(mono_ms() - t0));
	if (client_connect(&ca, reg[0].port) == 0) {
		rc = do_resolve(&ca, POOL, 64, ids, 64, NULL);
		CHECK(rc == 19, "A resolves all 19 PEs (%d)", rc);
	}

	/* Bad input at B: ENRP_ERROR, no harm. */
	bad_input_matrix();
	v.c = &cb;
	v.id = 0x1007;
	v.want = true;
	CHECK(wait_until(visible, &v, 1000), "B still resolves after bad "
	    "input");
	CHECK(wait_until(checksums_equal, NULL, 10000), "checksums still "
	    "equal after bad input");

	client_close(&ca);
	client_close(&cb);
	client_close(&cc);
	for (i = 0; i < NREG; i++) {
		st = daemon_stop(&reg[i], SIGTERM);
		CHECK(daemon_clean(&reg[i], st), "registrar %c stops cleanly "
		    "(log %s)", 'A' + i, reg[i].log);
	}
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
