/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unreachable reports made at any registrar (issue 13;
 * doc/spec/unreachable-report.md): three real registrards on
 * 127.0.31.1-3 port 9901, a PE registered at A with a keep-alive interval
 * of an hour (only a report can make anyone ask it), a bystander PE, and
 * pool users (127.0.31.101, .102) that reach B or C, as the anycast route
 * would send them:
 *   1. the PE answers: B stops handing it out at once, passes the report
 *      to A, A asks the PE, the PE answers, A announces it again, and B
 *      hands it out again; the same pool user's report through C counts
 *      once at A (one reporter per window) and C shows it again after its
 *      hold;
 *   2. the PE is dead (does not read): C's report makes A ask it, A gets
 *      no answer within keepalive-timeout and removes it, and it is gone
 *      at A, B and C within seconds (not at the next keep-alive, an hour
 *      away); the bystander stays everywhere.
 * Prints what it did; exits 0 on success.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness.h"
#include "cluster.h"

#define NET		"127.0.31."
#define POOL		"UnreachPool"
#define PE_ID		0x00002001u
#define BYSTANDER_ID	0x00002002u

static int		 failures;

struct seen {
	int		 reg;
	uint32_t	 id;
	struct client	*pump;	/* a PE that answers its keep-alives */
	bool		 want;
};

/* Does a resolution at registrar s->reg return s->id? */
static bool
handed_out(int i, uint32_t id)
{
	struct client pu;
	uint32_t ids[16];
	int n, k;
	bool found = false;

	if (client_connect(&pu, reg[i].port) != 0)
		return false;
	n = do_resolve(&pu, POOL, 16, ids, 16, NULL);
	for (k = 0; k < n; k++)
		found = found || ids[k] == id;
	client_close(&pu);
	return found;
}

static bool
seen_cond(void *arg)
{
	struct seen *s = arg;
	struct rsp_msg m;

	if (s->pump != NULL)
		while (client_recv(s->pump, &m, 0, false) == 1)
			;
	return handed_out(s->reg, s->id) == s->want;
}

static bool
known_at(int i, uint32_t id)
{
	return home_of(i, id) != 0;
}

static bool
gone_everywhere(void *arg)
{
	uint32_t id = *(uint32_t *)arg;
	int i;

	for (i = 0; i < NREG; i++)
		if (known_at(i, id))
			return false;
	return true;
}

/* A pool user at address src reports PE id unreachable at registrar i. */
static void
report_at(int i, const char *src, uint32_t id)
{
	struct client pu;
	uint8_t buf[256];
	uint32_t ids[4];

	if (client_connect_from(&pu, reg[i].port, src) != 0)
		return;
	(void)client_send(&pu, buf, build_unreachable(buf, sizeof(buf), POOL,
	    id));
	/* Its resolution answer says the report was handled first. */
	(void)do_resolve(&pu, POOL, 4, ids, 4, NULL);
	client_close(&pu);
}

int
main(void)
{
	static const char *addrs[NREG] = { NET "1", NET "2", NET "3" };
	struct client pe, bystander;
	struct seen s;
	uint32_t id = PE_ID;
	uint16_t cause;
	char conf[1024];
	int i, j, o;

	signal(SIGPIPE, SIG_IGN);
	if (harness_sctp()) {
		printf("SKIP: runs over the TCP mapping\n");
		return 77;
	}
	atexit(kill_all);
	for (i = 0; i < NREG; i++)
		addr[i] = addrs[i];
	for (i = 0; i < NREG; i++) {
		o = snprintf(conf, sizeof(conf), "asap {\n\tkeepalive-interval "
		    "1h\n\tkeepalive-timeout 1s\n}\nenrp {\n\tlisten on %s\n",
		    addr[i]);
		for (j = 0; j < NREG; j++)
			if (j != i)
				o += snprintf(conf + o, sizeof(conf) - (size_t)o,
				    "\tpeer %s\n", addr[j]);
		snprintf(conf + o, sizeof(conf) - (size_t)o, "}\n");
		if (daemon_start(&reg[i], conf) != 0) {
			printf("FAIL: cannot start registrar %c\n", 'A' + i);
			return 1;
		}
	}
	if (!wait_until(all_synchronized, NULL, 10000)) {
		printf("FAIL: the three are not synchronized\n");
		return 1;
	}
	if (client_connect(&pe, reg[0].port) != 0 || do_register(&pe, POOL,
	    PE_ID, RSP_POLICY_ROUND_ROBIN, 0, 0, 600000, &cause) != 0 ||
	    client_connect(&bystander, reg[0].port) != 0 ||
	    do_register(&bystander, POOL, BYSTANDER_ID, RSP_POLICY_ROUND_ROBIN,
	    0, 0, 600000, &cause) != 0) {
		printf("FAIL: PEs not registered at A\n");
		return 1;
	}
	s = (struct seen){ 1, PE_ID, &pe, true };
	CHECK(wait_until(seen_cond, &s, 5000) && (s.reg = 2,
	    wait_until(seen_cond, &s, 5000)), "B and C hand out the PE of A");

	/* 1. A live PE reported through B. */
	report_at(1, NET "101", PE_ID);
	CHECK(!handed_out(1, PE_ID) && handed_out(1, BYSTANDER_ID), "B stops "
	    "handing out the reported PE at once (the bystander stays)");
	s = (struct seen){ 1, PE_ID, &pe, true };
	CHECK(wait_until(seen_cond, &s, 5000), "A asks the PE, it answers, "
	    "and B hands it out again");
	CHECK(stat_int(1, "reports_forwarded") == 1 &&
	    stat_int(0, "reports_from_peers") == 1 &&
	    stat_int(0, "report_verified") == 1, "B passed the report to A, "
	    "which verified the PE (forwarded %llu, from peers %llu, "
	    "verified %llu)", (unsigned long long)stat_int(1,
	    "reports_forwarded"), (unsigned long long)stat_int(0,
	    "reports_from_peers"), (unsigned long long)stat_int(0,
	    "report_verified"));
	/* The same pool user again, through C: one reporter per window. */
	report_at(2, NET "101", PE_ID);
	CHECK(!handed_out(2, PE_ID), "C hides it on the same user's report");
	s = (struct seen){ 0, PE_ID, &pe, true };
	CHECK(wait_until(seen_cond, &s, 2000) && stat_int(0,
	    "unreachable_repeats") >= 1, "A counts the user once: a repeat, "
	    "no new verdict, the PE stays at A");
	s = (struct seen){ 2, PE_ID, &pe, true };
	CHECK(wait_until(seen_cond, &s, 6000), "C hands it out again after "
	    "its hold");

	/* 2. A dead PE (it stops reading) reported through C by another user. */
	while (client_recv(&pe, &(struct rsp_msg){ 0 }, 0, false) == 1)
		;
	report_at(2, NET "102", PE_ID);
	CHECK(!handed_out(2, PE_ID), "C stops handing out the dead PE");
	CHECK(wait_until(gone_everywhere, &id, 6000), "A asked it, got no "
	    "answer within keepalive-timeout, removed it: gone at A, B, C");
	for (i = 0; i < NREG; i++)
		CHECK(known_at(i, BYSTANDER_ID) && handed_out(i, BYSTANDER_ID),
		    "the bystander PE is still served at %c", 'A' + i);
	client_close(&pe);
	client_close(&bystander);
	for (i = 0; i < NREG; i++)
		CHECK(daemon_clean(&reg[i], daemon_stop(&reg[i], SIGTERM)),
		    "registrar %c stops cleanly", 'A' + i);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
