/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ENRP chaos test (bounded: CHAOS_SECONDS, default 75, then at most 30 s to
 * converge).  Three registrards in one cluster; 20 client associations own
 * 50 PEs each (1000 PEs in 10 pools) and re-register them every 2 s with an
 * 8 s life, while PEs leave and come back (about 40 a second), pool users
 * resolve at random registrars (up to 200 a second), and a random registrar is killed (SIGKILL) every few seconds
 * and restarted a few seconds later.  A client whose registrar died moves
 * to a live one and registers its PEs there again, as libasap's server hunt
 * does.  At the end every live PE must be present at every registrar, no
 * PE that left may be anywhere once its life has passed, and every
 * registrar's checksum of every owner must equal that owner's own.  It
 * prints what it did.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"

#define NCLI		20
#define PER_CLI		50
#define NPOOL		10
#define LIFE_MS		8000
#define REREG_MS	2000

struct pe_state {
	bool		 live;
	uint64_t	 left_at;	/* when it last left (ms) */
};

struct cli {
	struct client	 c;
	int		 at;		/* registrar index, -1: not connected */
	uint64_t	 next_rereg;
	uint64_t	 next_event;	/* a PE leaves or comes back */
	struct pe_state	 pe[PER_CLI];
};

static struct cli cli[NCLI];
static uint64_t stat_reg, stat_rereg_batches, stat_dereg, stat_res_ok,
    stat_res_fail, stat_kills, stat_restarts, stat_moves;
static int failures;

static uint32_t
pe_id(int c, int s)
{
	return 0x200000u + (uint32_t)(c * 1000 + s);
}

static void
pool_of(int s, char *buf, size_t len)
{
	snprintf(buf, len, "chaos%d", s % NPOOL);
}

static int
live_registrar(int avoid)
{
	int i, n = rand() % NREG;

	for (i = 0; i < NREG; i++) {
		int k = (n + i) % NREG;

		if (k != avoid && daemon_alive(&reg[k]))
			return k;
	}
	return -1;
}

/* Register the client's live PEs (pipelined); -1 if its registrar is gone. */
static int
register_all(struct cli *c, int ci)
{
	static uint8_t buf[PER_CLI * 128];
	struct rsp_msg m;
	size_t len = 0;
	char pool[16];
	int s, n = 0;

	for (s = 0; s < PER_CLI; s++) {
		if (!c->pe[s].live)
			continue;
		pool_of(s, pool, sizeof(pool));
		len += build_registration(buf + len, sizeof(buf) - len, pool,
		    pe_id(ci, s), RSP_POLICY_ROUND_ROBIN, 0, 0, 7000, LIFE_MS);
		n++;
	}
	if (n == 0)
		return 0;
	if (client_send(&c->c, buf, len) != 0)
		return -1;
	while (n-- > 0)
		if (client_expect(&c->c, ASAP_REGISTRATION_RESPONSE, &m, 3000) != 1)
			return -1;
	return 0;
}

/* (Re)connect client ci to a live registrar and register its PEs there. */
static void
attach(int ci)
{
	struct cli *c = &cli[ci];
	int tries;

	for (tries = 0; tries < 10; tries++) {
		client_close(&c->c);
		c->at = live_registrar(-1);
		if (c->at < 0 || client_connect(&c->c, reg[c->at].port) != 0)
			continue;
		if (register_all(c, ci) == 0) {
			c->next_rereg = mono_ms() + REREG_MS;
			return;
		}
	}
	c->at = -1;
}

static void
leave_or_join(int ci)
{
	struct cli *c = &cli[ci];
	int s = rand() % PER_CLI;
	uint8_t buf[256];
	struct rsp_msg m;
	char pool[16];

	pool_of(s, pool, sizeof(pool));
	if (c->pe[s].live) {
		if (client_send(&c->c, buf, build_deregistration(buf,
		    sizeof(buf), pool, pe_id(ci, s))) != 0 ||
		    client_expect(&c->c, ASAP_DEREGISTRATION_RESPONSE, &m,
		    3000) != 1)
			return;		/* registrar died: handled by the loop */
		c->pe[s].live = false;
		c->pe[s].left_at = mono_ms();
		stat_dereg++;
	} else {
		c->pe[s].live = true;
		if (client_send(&c->c, buf, build_registration(buf, sizeof(buf),
		    pool, pe_id(ci, s), RSP_POLICY_ROUND_ROBIN, 0, 0, 7000,
		    LIFE_MS)) != 0 ||
		    client_expect(&c->c, ASAP_REGISTRATION_RESPONSE, &m,
		    3000) != 1)
			return;
		stat_reg++;
	}
}

static void
resolve_somewhere(void)
{
	struct client pu;
	uint32_t ids[8];
	char pool[16];
	int at = live_registrar(-1);

	if (at < 0 || client_connect(&pu, reg[at].port) != 0) {
		stat_res_fail++;
		return;
	}
	pool_of(rand() % NPOOL, pool, sizeof(pool));
	if (do_resolve(&pu, pool, 3, ids, 8, NULL) > 0)
		stat_res_ok++;
	else
		stat_res_fail++;
	client_close(&pu);
}

static bool	verbose_diff;

/* Every registrar lists exactly the live PEs (verbose_diff: say what not). */
static bool
converged(void *arg)
{
	int i, ci, s, n;
	json_t *j, *p;
	size_t k;
	char *seen;

	(void)arg;
	for (i = 0; i < NREG; i++) {
		if ((j = query(i, "show pes")) == NULL)
			return false;
		seen = calloc(NCLI * PER_CLI, 1);
		n = 0;
		json_array_foreach(json_object_get(j, "pes"), k, p) {
			uint32_t id = hex32(json_object_get(p, "id"));

			if (id < 0x200000u || id - 0x200000u >= NCLI * 1000u ||
			    (id - 0x200000u) % 1000 >= PER_CLI) {
				if (verbose_diff)
					printf("     registrar %c lists a PE not "
					    "ours: 0x%08x\n", 'A' + i, id);
				n = -1;		/* a PE that is not ours */
				break;
			}
			ci = (int)((id - 0x200000u) / 1000);
			s = (int)((id - 0x200000u) % 1000);
			if (!cli[ci].pe[s].live || seen[ci * PER_CLI + s]) {
				if (verbose_diff)
					printf("     registrar %c lists PE 0x%08x "
					    "(home %s), which %s\n", 'A' + i, id,
					    json_string_value(json_object_get(p,
					    "home")), seen[ci * PER_CLI + s] ?
					    "it lists twice" : "left");
				n = -1;		/* gone, or listed twice */
				break;
			}
			seen[ci * PER_CLI + s] = 1;
			n++;
		}
		free(seen);
		json_decref(j);
		for (ci = 0; ci < NCLI && n >= 0; ci++)
			for (s = 0; s < PER_CLI; s++)
				if (cli[ci].pe[s].live)
					n--;
		if (n != 0) {
			if (verbose_diff && n < 0)
				printf("     registrar %c misses %d live PEs\n",
				    'A' + i, -n);
			return false;
		}
	}
	return true;
}

static void
cleanup(void)
{
	int i;

	for (i = 0; i < NREG; i++)
		daemon_stop(&reg[i], SIGKILL);
}

int
main(void)
{
	const char *timers = "\theartbeat-cycle 300ms\n\tmax-time-last-heard "
	    "1s\n\tmax-time-no-response 700ms\n\tmentor-discovery 1500ms\n"
	    "\ttakeover-expiry 2s\n";
	uint64_t t0, end, now, next_kill, restart_at = 0, last_left = 0;
	int secs = getenv("CHAOS_SECONDS") ? atoi(getenv("CHAOS_SECONDS")) : 75;
	int ci, s, i, dead = -1, nlive;

	signal(SIGPIPE, SIG_IGN);
	atexit(cleanup);
	if (harness_sctp()) {
		printf("SKIP: ENRP runs over the TCP mapping only\n");
		return 77;
	}
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	/* Not test_enrp's 127.0.0.1-3: make check runs them side by side. */
	addr[0] = "127.0.1.1";
	addr[1] = "127.0.1.2";
	addr[2] = "127.0.1.3";
	if (start_all(timers) != 0) {
		printf("FAIL: cannot start three registrars\n");
		return 1;
	}
	CHECK(wait_until(all_synchronized, NULL, 10000), "3 registrars "
	    "synchronized");
	for (ci = 0; ci < NCLI; ci++) {
		for (s = 0; s < PER_CLI; s++)
			cli[ci].pe[s].live = true;
		cli[ci].c.fd = -1;
		attach(ci);
		stat_reg += PER_CLI;
	}
	t0 = mono_ms();
	end = t0 + (uint64_t)secs * 1000;
	next_kill = t0 + 4000 + (uint64_t)(rand() % 4000);
	printf("chaos for %d s: %d associations, %d PEs in %d pools, life %d ms, "
	    "re-registration every %d ms\n", secs, NCLI, NCLI * PER_CLI, NPOOL,
	    LIFE_MS, REREG_MS);
	while ((now = mono_ms()) < end) {
		/* A registrar dies now and then, and comes back. */
		if (dead < 0 && now >= next_kill) {
			dead = rand() % NREG;
			daemon_stop(&reg[dead], SIGKILL);
			stat_kills++;
			restart_at = now + 2000 + (uint64_t)(rand() % 3000);
			printf("  %5.1f s: registrar %c killed\n",
			    (double)(now - t0) / 1000, 'A' + dead);
		}
		if (dead >= 0 && now >= restart_at) {
			if (daemon_restart(&reg[dead]) == 0)
				stat_restarts++;
			printf("  %5.1f s: registrar %c restarted\n",
			    (double)(mono_ms() - t0) / 1000, 'A' + dead);
			dead = -1;
			next_kill = mono_ms() + 4000 + (uint64_t)(rand() % 5000);
		}
		for (ci = 0; ci < NCLI; ci++) {
			struct cli *c = &cli[ci];

			if (c->at < 0 || !daemon_alive(&reg[c->at])) {
				attach(ci);
				stat_moves++;
				continue;
			}
			if (now >= c->next_rereg) {
				if (register_all(c, ci) != 0) {
					attach(ci);
					stat_moves++;
					continue;
				}
				stat_rereg_batches++;
				c->next_rereg = now + REREG_MS;
			}
			/* Each association: a PE leaves or joins every ~0.5 s. */
			if (now >= c->next_event) {
				leave_or_join(ci);
				c->next_event = now + 100 +
				    (uint64_t)(rand() % 800);
			}
		}
		resolve_somewhere();
		/* The driver's tick (a load rate, not a wait for a condition). */
		nanosleep(&(struct timespec){ 0, 5 * 1000000 }, NULL);
	}
	if (dead >= 0 && daemon_restart(&reg[dead]) == 0)
		stat_restarts++;
	for (ci = 0; ci < NCLI; ci++) {
		if (register_all(&cli[ci], ci) != 0)
			attach(ci);
		for (s = 0; s < PER_CLI; s++)
			if (!cli[ci].pe[s].live && cli[ci].pe[s].left_at > last_left)
				last_left = cli[ci].pe[s].left_at;
	}
	nlive = 0;
	for (ci = 0; ci < NCLI; ci++)
		for (s = 0; s < PER_CLI; s++)
			nlive += cli[ci].pe[s].live;
	printf("did: %llu registrations of new PEs, %llu re-registration "
	    "rounds, %llu deregistrations, %llu registrar kills, %llu restarts, "
	    "%llu association moves, %llu resolutions answered, %llu not; %d "
	    "PEs live at the end\n", (unsigned long long)stat_reg,
	    (unsigned long long)stat_rereg_batches,
	    (unsigned long long)stat_dereg, (unsigned long long)stat_kills,
	    (unsigned long long)stat_restarts, (unsigned long long)stat_moves,
	    (unsigned long long)stat_res_ok, (unsigned long long)stat_res_fail,
	    nlive);
	CHECK(wait_until(all_synchronized, NULL, 15000), "every registrar "
	    "synchronized after the chaos");
	/* Keep the live PEs alive while waiting out the lives of the others. */
	now = mono_ms();
	end = (last_left > now ? last_left : now) + LIFE_MS + 15000;
	while (mono_ms() < end && !converged(NULL)) {
		for (ci = 0; ci < NCLI; ci++)
			if (register_all(&cli[ci], ci) != 0)
				attach(ci);
		wait_until(converged, NULL, REREG_MS);
	}
	verbose_diff = true;
	CHECK(converged(NULL), "every live PE at every registrar, no PE "
	    "that left anywhere (%.1f s after the chaos)",
	    (double)(mono_ms() - now) / 1000);
	CHECK(wait_until(checksums_equal, NULL, 10000), "every registrar's "
	    "checksum of every owner equals the owner's own");
	for (i = 0; i < NREG; i++)
		CHECK(daemon_clean(&reg[i], daemon_stop(&reg[i], SIGTERM)),
		    "registrar %c stops cleanly", 'A' + i);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
