/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A stall of a registrar's own (doc/protocol/enrp.md §7.1): two real
 * registrards A and B on 127.0.32.1-2 port 9901 (max-time-last-heard and
 * max-time-no-response 1 s); A is stopped (SIGSTOP: a frozen host) until B
 * has declared it dead, and B takes a registration meanwhile; then A runs
 * again.  A must count its stall, not declare B dead for the silence that
 * was its own (no takeover of B's PEs), synchronize again from B (a second
 * download) and so hold the PE registered while it was away, with B as
 * its home.  Prints what it did; exits 0 on success.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness.h"
#include "cluster.h"

#define NET		"127.0.32."
#define POOL		"StallPool"
#define PE_BEFORE	0x00003001u
#define PE_DURING	0x00003002u

static int		 failures;

static bool
both_synchronized(void *arg)
{
	(void)arg;
	return synchronized(0) && synchronized(1);
}

struct has_pe {
	int		 reg;
	uint32_t	 id;
};

/* Registrar t->reg holds PE t->id with B as its home. */
static bool
holds_pe(void *arg)
{
	struct has_pe *t = arg;

	return home_of(t->reg, t->id) == server_id(1);
}

static bool
b_declared_a_dead(void *arg)
{
	(void)arg;
	return peers_stat(1, "peers_dead") >= 1;
}

/* A is back: its stall counted, synchronized again, the PE in. */
static bool
a_resynced(void *arg)
{
	struct has_pe t = { 0, PE_DURING };

	(void)arg;
	return peers_stat(0, "stalls") >= 1 && synchronized(0) && holds_pe(&t);
}

int
main(void)
{
	static const char *addrs[NREG] = { NET "1", NET "2", NET "3" };
	struct client pe1, pe2;
	struct has_pe t;
	uint16_t cause;
	char conf[1024];
	int i;

	signal(SIGPIPE, SIG_IGN);
	if (harness_sctp()) {
		printf("SKIP: runs over the TCP mapping\n");
		return 77;
	}
	atexit(kill_all);
	for (i = 0; i < NREG; i++)
		addr[i] = addrs[i];
	for (i = 0; i < 2; i++) {
		snprintf(conf, sizeof(conf), "asap {\n\tkeepalive-interval "
		    "1h\n}\nenrp {\n\tlisten on %s\n\tpeer %s\n"
		    "\theartbeat-cycle 300ms\n\tmax-time-last-heard 1s\n"
		    "\tmax-time-no-response 1s\n}\n",
		    addr[i], addr[1 - i]);
		if (daemon_start(&reg[i], conf) != 0) {
			printf("FAIL: cannot start registrar %c\n", 'A' + i);
			return 1;
		}
	}
	if (!wait_until(both_synchronized, NULL, 10000)) {
		printf("FAIL: A and B are not synchronized\n");
		return 1;
	}
	if (client_connect(&pe1, reg[1].port) != 0 || do_register(&pe1, POOL,
	    PE_BEFORE, RSP_POLICY_ROUND_ROBIN, 0, 0, 600000, &cause) != 0) {
		printf("FAIL: PE not registered at B\n");
		return 1;
	}
	t = (struct has_pe){ 0, PE_BEFORE };
	CHECK(wait_until(holds_pe, &t, 5000), "A holds the PE registered at B");
	CHECK(peers_stat(0, "downloads") == 1, "A downloaded the table once "
	    "at start-up (%llu)", (unsigned long long)peers_stat(0,
	    "downloads"));

	/* A freezes; B calls it dead and takes a registration meanwhile. */
	if (kill(reg[0].pid, SIGSTOP) != 0) {
		printf("FAIL: SIGSTOP\n");
		return 1;
	}
	CHECK(wait_until(b_declared_a_dead, NULL, 10000), "B declares the "
	    "frozen A dead");
	if (client_connect(&pe2, reg[1].port) != 0 || do_register(&pe2, POOL,
	    PE_DURING, RSP_POLICY_ROUND_ROBIN, 0, 0, 600000, &cause) != 0) {
		printf("FAIL: PE not registered at B while A was frozen\n");
		(void)kill(reg[0].pid, SIGCONT);
		return 1;
	}
	if (kill(reg[0].pid, SIGCONT) != 0) {
		printf("FAIL: SIGCONT\n");
		return 1;
	}

	CHECK(wait_until(a_resynced, NULL, 10000), "A counts its stall, is "
	    "synchronized again and holds the PE registered while it was "
	    "frozen (stalls %llu, synchronized %d)",
	    (unsigned long long)peers_stat(0, "stalls"), synchronized(0));
	CHECK(peers_stat(0, "stalls") == 1, "one stall counted (%llu)",
	    (unsigned long long)peers_stat(0, "stalls"));
	CHECK(peers_stat(0, "downloads") == 2, "A downloaded the table again "
	    "from B (%llu downloads)", (unsigned long long)peers_stat(0,
	    "downloads"));
	CHECK(peers_stat(0, "peers_dead") == 0 &&
	    peers_stat(0, "takeovers") == 0, "A declared no peer dead for its "
	    "own silence and took nothing over (dead %llu, takeovers %llu)",
	    (unsigned long long)peers_stat(0, "peers_dead"),
	    (unsigned long long)peers_stat(0, "takeovers"));
	t = (struct has_pe){ 1, PE_DURING };
	CHECK(holds_pe(&t) && (t.id = PE_BEFORE, holds_pe(&t)), "B still "
	    "holds both PEs as their home");
	t = (struct has_pe){ 0, PE_BEFORE };
	CHECK(holds_pe(&t), "A holds the PE registered before the stall, "
	    "home B");
	CHECK(daemon_alive(&reg[0]) && daemon_alive(&reg[1]), "both running");

	client_close(&pe1);
	client_close(&pe2);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
