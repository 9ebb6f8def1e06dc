/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pool-demo: what `deploy/lab demo` shows until the registrar runs in the lab.
 * It registers a demo pool per RFC 5356 policy in a handlespace (five echo
 * servers with weights, priorities or loads) and resolves each pool a few
 * times, printing which PEs each answer names and in which order.  With
 * --hex it prints the same answers as ASAP Handle Resolution Responses, one
 * hex line each, for anypool-decode.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "codec.h"
#include "handlespace.h"

static const struct {
	const char	*pool;
	uint32_t	 policy;
	uint32_t	 v[5];		/* per PE: weight, priority or load */
	const char	*what;
} demo[] = {
	{ "echo-rr", RSP_POLICY_ROUND_ROBIN, { 0 }, "" },
	{ "echo-wrr", RSP_POLICY_WEIGHTED_ROUND_ROBIN, { 1, 2, 3, 1, 1 }, "weight" },
	{ "echo-rand", RSP_POLICY_RANDOM, { 0 }, "" },
	{ "echo-wrand", RSP_POLICY_WEIGHTED_RANDOM, { 1, 1, 8, 1, 1 }, "weight" },
	{ "echo-prio", RSP_POLICY_PRIORITY, { 10, 50, 30, 50, 20 }, "priority" },
	{ "echo-lu", RSP_POLICY_LEAST_USED, { 60, 10, 90, 10, 40 }, "load %" },
	{ "echo-lud", RSP_POLICY_LEAST_USED_DEGRADATION, { 60, 10, 90, 10, 40 }, "load %" },
	{ "echo-plu", RSP_POLICY_PRIORITY_LEAST_USED, { 60, 10, 90, 10, 40 }, "load %" },
	{ "echo-rlu", RSP_POLICY_RANDOMIZED_LEAST_USED, { 60, 10, 90, 10, 40 }, "load %" },
};

static uint32_t
pct(uint32_t p)
{
	return (uint32_t)((uint64_t)p * 0xffffffffu / 100);
}

int
main(int argc, char **argv)
{
	static uint8_t buf[65536];
	bool hex = argc > 1 && strcmp(argv[1], "--hex") == 0;
	struct hs_pe *got[5];
	struct rsp_pe pe, e;
	struct rsp_policy pol;
	struct hs *hs;
	struct wbuf w;
	size_t d, i, r, n, s, k;
	int nval;

	if ((hs = hs_new(NULL)) == NULL)
		return 1;
	hs_seed(hs, 42);
	for (d = 0; d < sizeof(demo) / sizeof(demo[0]); d++) {
		for (i = 0; i < 5; i++) {
			memset(&pe, 0, sizeof(pe));
			pe.id = 0x100 + (uint32_t)i + 1;
			pe.home_id = 0x0a0b0c0d;
			pe.life = 30000;
			pe.user.type = RSP_PARAM_TCP_TRANSPORT;
			pe.user.port = (uint16_t)(7000 + i + 1);
			pe.user.use = RSP_TRANSPORT_USE_DATA_CONTROL;
			pe.user.naddr = 1;
			rsp_addr_v4(&pe.user.addr[0], 0xc0000200 + (uint32_t)i + 11);
			pe.policy.type = demo[d].policy;
			nval = rsp_policy_nval(demo[d].policy);
			pe.policy.nval = (uint8_t)nval;
			if (demo[d].policy & RSP_POLICY_FLAG_ADAPTIVE) {
				pe.policy.val[0] = pct(demo[d].v[i]);
				pe.policy.val[1] = pct(10);	/* degradation */
			} else {
				pe.policy.val[0] = demo[d].v[i];
			}
			if (hs_register(hs, (const uint8_t *)demo[d].pool,
			    strlen(demo[d].pool), &pe, HS_NEVER, NULL, NULL) != 0)
				return 1;
		}
		if (!hex) {
			printf("\n  %-11s %-28s PEs 1..5", demo[d].pool,
			    rsp_policy_name(demo[d].policy));
			if (demo[d].what[0] != '\0') {
				printf(" (%s:", demo[d].what);
				for (i = 0; i < 5; i++)
					printf(" %u", demo[d].v[i]);
				printf(")");
			}
			printf("\n");
		}
		for (r = 0; r < 4; r++) {
			n = hs_pool_resolve(hs, hs_pool_find(hs, (const uint8_t *)
			    demo[d].pool, strlen(demo[d].pool)), 3, got);
			if (!hex) {
				printf("    answer %zu:", r + 1);
				for (i = 0; i < n; i++)
					printf("  PE %u", hs_pe_id(got[i]) - 0x100);
				printf("\n");
				continue;
			}
			wbuf_init(&w, buf, sizeof(buf));
			s = rsp_put_msg_begin(&w, ASAP_HANDLE_RESOLUTION_RESPONSE, 0);
			rsp_put_handle(&w, demo[d].pool, strlen(demo[d].pool));
			memset(&pol, 0, sizeof(pol));
			pol.type = demo[d].policy;
			pol.nval = (uint8_t)rsp_policy_nval(pol.type);
			rsp_put_policy(&w, &pol);
			for (i = 0; i < n; i++) {
				hs_pe_export(got[i], &e);
				e.has_asap = false;
				rsp_put_pe(&w, &e);
			}
			rsp_put_msg_end(&w, s);
			printf("asap ");
			for (k = 0; k < w.len; k++)
				printf("%02x", buf[k]);
			printf("\n");
		}
	}
	hs_free(hs);
	return 0;
}
