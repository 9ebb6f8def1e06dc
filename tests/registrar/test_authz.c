/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Authorization (issue 12) against a real 3-registrar cluster (ENRP over
 * TLS with the registrars' own keys), PEs over TLS with PSK identities:
 *   - an identity registers only into the pools registrard.conf's
 *     "authorize" gives it; elsewhere: cause 0xa, and no pool appears at
 *     any registrar;
 *   - a PE belongs to the identity that registered it, at every registrar:
 *     another identity can neither re-register nor deregister it at any of
 *     the three (cause 0xa), nor can a plaintext client from the PE's own
 *     address; the PE stays resolvable with its own addresses everywhere,
 *     and every registrar shows who registered it;
 *   - its own identity moves it to another registrar and deregisters it
 *     at a third;
 *   - "authorize none" lets plaintext clients into the pools it names only.
 * TLS runs over TCP only, so the SCTP variant of the harness skips this.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"
#include "cluster.h"
#include "tls_client.h"
#include "tls_fixture.h"

#define KEY_A	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY_B	"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define KEY_R	"5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed"
#define VICTIM	0x100u

static uint16_t tls_port[NREG];
static const char *enrp_addr[NREG] = {
	"127.0.0.41", "127.0.0.42", "127.0.0.43"
};

/* The victim PE at registrar i: its registrant ("psk:pe-a"), or NULL. */
static bool
victim_at(int i, const char *registrant, char *home, size_t homelen)
{
	json_t *j = query(i, "show pes web"), *pes, *pe;
	bool found = false;
	size_t k;

	pes = json_object_get(j, "pes");
	json_array_foreach(pes, k, pe) {
		json_t *r = json_object_get(pe, "registrant");

		if (strtoul(json_string_value(json_object_get(pe, "id")),
		    NULL, 16) != VICTIM)
			continue;
		found = registrant == NULL ? true : (json_is_string(r) &&
		    strcmp(json_string_value(r), registrant) == 0);
		if (home != NULL)
			snprintf(home, homelen, "%s", json_string_value(
			    json_object_get(pe, "home")));
	}
	json_decref(j);
	return found;
}

static bool
victim_everywhere(void *arg)
{
	int i;

	for (i = 0; i < NREG; i++)
		if (!victim_at(i, arg, NULL, 0))
			return false;
	return true;
}

static bool
victim_nowhere(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < NREG; i++)
		if (victim_at(i, NULL, NULL, 0))
			return false;
	return true;
}

static struct tls_config
psk(const char *file)
{
	return (struct tls_config){ .role = TLS_CLIENT,
	    .psk_file = fx_path(file) };
}

/* Resolve the web pool over plaintext at registrar i: the victim there? */
static bool
resolves_victim(int i)
{
	struct client pu;
	uint32_t ids[8];
	int n, k;
	bool ok = false;

	if (client_connect(&pu, reg[i].port) != 0)
		return false;
	n = do_resolve(&pu, "web", 8, ids, 8, NULL);
	for (k = 0; k < n; k++)
		ok = ok || ids[k] == VICTIM;
	client_close(&pu);
	return ok;
}

static int
group_setup(void **state)
{
	char conf[2048];
	int i, j, o;

	(void)state;
	if (harness_sctp())
		return 0;
	if (fx_dir_make("anypool-authz") != 0)
		return -1;
	/* PEs' keys; the registrars' keys in a file of their own. */
	fx_write_file("pe.psk", "pe-a " KEY_A "\npe-b " KEY_B "\n", 0600);
	fx_write_file("pe-a.psk", "pe-a " KEY_A "\n", 0600);
	fx_write_file("pe-b.psk", "pe-b " KEY_B "\n", 0600);
	fx_write_file("enrp.psk", "reg-0 " KEY_R "\nreg-1 " KEY_R
	    "\nreg-2 " KEY_R "\n", 0600);
	for (i = 0; i < NREG; i++)
		tls_port[i] = harness_free_port();
	for (i = 0; i < NREG; i++) {
		o = snprintf(conf, sizeof(conf),
		    "listen on 127.0.0.1 port %u transport tcp tls\n"
		    "tls {\n\tpsk-file \"%s\"\n}\n"
		    "authorize psk \"pe-a\" pool \"web*\"\n"
		    "authorize psk \"pe-b\" pool \"web*\" \"db\"\n"
		    "authorize none pool \"open*\"\n"
		    "enrp {\n\tlisten on %s port 9931\n\ttls on\n"
		    "\tpsk-file \"%s\"\n\tidentity \"reg-%d\"\n",
		    tls_port[i], fx_path("pe.psk"), enrp_addr[i],
		    fx_path("enrp.psk"), i);
		for (j = 0; j < NREG; j++)
			if (j != i)
				o += snprintf(conf + o, sizeof(conf) - (size_t)o,
				    "\tpeer %s port 9931\n", enrp_addr[j]);
		snprintf(conf + o, sizeof(conf) - (size_t)o, "}\n");
		if (daemon_start(&reg[i], conf) != 0)
			return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	int i, st;
	bool clean = true;

	(void)state;
	if (harness_sctp())
		return 0;
	for (i = 0; i < NREG; i++) {
		st = daemon_stop(&reg[i], SIGTERM);
		clean = daemon_clean(&reg[i], st) && clean;
	}
	return fx_dir_remove() == 0 && clean ? 0 : -1;
}

#define SKIP_SCTP()	do { if (harness_sctp()) skip(); } while (0)

static void
test_authorization(void **state)
{
	struct tc a, a2, b, b3;
	struct tls_config ca = psk("pe-a.psk"), cb = psk("pe-b.psk");
	struct client plain;
	uint16_t cause;
	char home0[16], home[16];
	int i;

	(void)state;
	SKIP_SCTP();
	/* pe-a registers the victim at registrar 0; every one learns who. */
	assert_int_equal(tc_open(&a, tls_port[0], &ca), 0);
	assert_int_equal(tc_register(&a, "web", VICTIM, &cause), 0);
	assert_true(wait_until(victim_everywhere, "psk:pe-a", 15000));
	assert_true(victim_at(0, "psk:pe-a", home0, sizeof(home0)));

	/* Not its pool: 0xa, and the pool appears nowhere. */
	assert_int_equal(tc_register(&a, "db", VICTIM + 1, &cause), 1);
	assert_int_equal(cause, RSP_CAUSE_SECURITY);
	assert_int_equal(tc_resolve(&a, "db", (uint32_t[4]){ 0 }, 4), -2);
	assert_true(daemon_log_has(&reg[0], "into pool \"db\" refused: PSK "
	    "identity pe-a may not register there (authorize)", NULL));
	assert_int_equal(stat_int(0, "authz_refused"), 1);

	/* pe-b may use "web", but the victim is pe-a's: at every registrar. */
	for (i = 0; i < NREG; i++) {
		assert_int_equal(tc_open(&b, tls_port[i], &cb), 0);
		assert_int_equal(tc_register(&b, "web", VICTIM, &cause), 1);
		assert_int_equal(cause, RSP_CAUSE_SECURITY);
		assert_int_equal(tc_deregister(&b, "web", VICTIM, &cause), 1);
		assert_int_equal(cause, RSP_CAUSE_SECURITY);
		/* ... while registering a PE of its own there is fine */
		assert_int_equal(tc_register(&b, "web", 0x200u + (uint32_t)i,
		    &cause), 0);
		tc_close(&b);
		assert_true(daemon_log_has(&reg[i], "it belongs to PSK identity "
		    "pe-a", NULL));
		assert_int_equal(stat_int(i, "registrant_refused"), 2);
	}
	/*
	 * A plaintext client from the PE's own address (all of this runs on
	 * 127.0.0.1): the address rule alone would let it in; the registrant
	 * does not.  Nor may it register into "web" at all.
	 */
	for (i = 0; i < NREG; i++) {
		uint8_t buf[256];
		struct rsp_msg m;

		assert_int_equal(client_connect(&plain, reg[i].port), 0);
		assert_int_equal(client_send(&plain, buf, build_deregistration(
		    buf, sizeof(buf), "web", VICTIM)), 0);
		assert_int_equal(client_expect(&plain,
		    ASAP_DEREGISTRATION_RESPONSE, &m, 5000), 1);
		assert_true(m.has_error);
		assert_int_equal(m.error.cause[0].code, RSP_CAUSE_SECURITY);
		assert_int_equal(do_register(&plain, "web", VICTIM, 1, 0, 0,
		    60000, &cause), 1);
		assert_int_equal(cause, RSP_CAUSE_SECURITY);
		/* "authorize none": the open pools only */
		assert_int_equal(do_register(&plain, "open-1", 0x300u +
		    (uint32_t)i, 1, 0, 0, 60000, &cause), 0);
		client_close(&plain);
	}
	/* The victim is untouched: same home, same owner, resolvable. */
	for (i = 0; i < NREG; i++) {
		assert_true(victim_at(i, "psk:pe-a", home, sizeof(home)));
		assert_string_equal(home, home0);
		assert_true(resolves_victim(i));
	}

	/*
	 * Its own identity moves it to registrar 2 (as a PE does when the
	 * anycast route moves) and deregisters it at registrar 1.
	 */
	assert_int_equal(tc_open(&a2, tls_port[2], &ca), 0);
	assert_int_equal(tc_register(&a2, "web", VICTIM, &cause), 0);
	assert_true(victim_at(2, "psk:pe-a", home, sizeof(home)));
	assert_string_not_equal(home, home0);
	tc_close(&a);
	assert_true(wait_until(victim_everywhere, "psk:pe-a", 15000));
	assert_int_equal(tc_open(&b3, tls_port[1], &ca), 0);
	assert_int_equal(tc_deregister(&b3, "web", VICTIM, &cause), 0);
	assert_true(wait_until(victim_nowhere, NULL, 15000));
	tc_close(&b3);
	tc_close(&a2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authorization),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
