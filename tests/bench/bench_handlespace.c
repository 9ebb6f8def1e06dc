/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Handlespace benchmark: register, deregister and resolve (k = 3, each of
 * the nine RFC 5356 policies) at 1k, 10k, 100k and 1M PEs in one run, in
 * two shapes: all PEs in one pool, and pools of 10 PEs.  Not a test:
 * numbers, no pass/fail exit status.  Two modes, each printing Markdown on
 * stdout (tests/bench/run-bench puts both into BENCHMARKS.md):
 *
 *   bench_handlespace	wall clock: ns per operation, bytes per PE
 *			(mallinfo2() deltas), and a baseline measured in the
 *			same run: a random pointer walk (one dependent load
 *			per step) over as many bytes as the handlespace holds
 *			at that size, i.e. what the memory hierarchy alone
 *			costs per cache miss.
 *   bench_handlespace --instr
 *			instructions per operation, exact: run it under
 *			valgrind --tool=callgrind --instr-atstart=no
 *			--callgrind-out-file=BASE with BENCH_CG_OUT=BASE in
 *			the environment; only the measured loops are
 *			instrumented, and the program reads each dump back.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <valgrind/callgrind.h>

#include "handlespace.h"

#define NPOL		9
#define K		3
#define NRESOLVE	200000
#define MIN_OPS		200000	/* repeat small sizes to time this many */
#define POOLSIZE_SMALL	10
#define NADDR		2
#define NRESOLVE_I	10000	/* resolutions per instruction count */
#define NCHURN_I	10000	/* (de)registrations per instruction count */

static const uint32_t policies[NPOL] = {
	RSP_POLICY_ROUND_ROBIN, RSP_POLICY_WEIGHTED_ROUND_ROBIN,
	RSP_POLICY_RANDOM, RSP_POLICY_WEIGHTED_RANDOM, RSP_POLICY_PRIORITY,
	RSP_POLICY_LEAST_USED, RSP_POLICY_LEAST_USED_DEGRADATION,
	RSP_POLICY_PRIORITY_LEAST_USED, RSP_POLICY_RANDOMIZED_LEAST_USED,
};
static const char *polname[NPOL] = {
	"RR", "WRR", "RAND", "WRAND", "PRIO", "LU", "LUD", "PLU", "RLU",
};
static const size_t sizes[] = { 1000, 10000, 100000, 1000000 };
#define NSIZES	(sizeof(sizes) / sizeof(sizes[0]))

struct result {
	double	 reg[NPOL], dereg[NPOL], resolve[NPOL];
	double	 bytes[NPOL];		/* per PE, with addresses */
	double	 abytes[NPOL];		/* per PE, address bytes kept */
	double	 walk;			/* baseline ns per dependent load */
	double	 regflt[NPOL];		/* minor page faults per registration */
};

static struct result res[2][NSIZES];
static int instr_mode;
static const char *cg_base;
static int cg_dumps;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Minor page faults of this process so far (memory touched first). */
static long
minflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Bytes allocated: from the heap and in chunks of their own (mmap). */
static size_t
heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* Policy values of one PE, drawn before the timed loop. */
static void
draw_values(uint32_t policy, uint32_t *v0, uint32_t *v1)
{
	uint64_t r = rnd();

	*v1 = 0;
	switch (policy) {
	case RSP_POLICY_WEIGHTED_ROUND_ROBIN:
		*v0 = 1 + r % 100;
		break;
	case RSP_POLICY_WEIGHTED_RANDOM:
		*v0 = 1 + r % 1000;
		break;
	case RSP_POLICY_PRIORITY:
		*v0 = r % 100;
		break;
	default:
		*v0 = (uint32_t)r;
		*v1 = (uint32_t)(r >> 40);
		break;
	}
}

/*
 * One build of n PEs of one policy: time registration, resolution (first
 * repetition only) and deregistration in random order.
 */
static void
run(size_t n, int shape, int p, size_t reps, struct result *r)
{
	size_t npools = shape ? (n + POOLSIZE_SMALL - 1) / POOLSIZE_SMALL : 1;
	char (*handles)[24] = malloc(npools * sizeof(*handles));
	uint32_t *order = malloc(n * sizeof(*order));
	uint32_t *v0 = malloc(n * sizeof(*v0)), *v1 = malloc(n * sizeof(*v1));
	uint64_t *exp = malloc(n * sizeof(*exp));
	struct hs_pe *out[K];
	struct hs_limits lim = { 0 };
	struct rsp_pe pe;
	double treg = 0, tdereg = 0, t0;
	size_t hlen = 10, cnt;
	long flt = 0, f0;

	if (handles == NULL || order == NULL || v0 == NULL || v1 == NULL ||
	    exp == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < npools; i++)
		snprintf(handles[i], sizeof(handles[i]), "pool%06zu", i);
	memset(&pe, 0, sizeof(pe));
	pe.life = 300;
	pe.home_id = 0x1234;
	pe.user.type = RSP_PARAM_SCTP_TRANSPORT;
	pe.policy.type = policies[p];
	pe.policy.nval = 2;
	pe.user.port = 5000;
	pe.user.naddr = NADDR;
	for (int a = 0; a < NADDR; a++) {
		pe.user.addr[a].family = AF_INET;
		pe.user.addr[a].a[0] = 10;
		pe.user.addr[a].a[1] = (uint8_t)a;
	}
	for (size_t rep = 0; rep < reps; rep++) {
		size_t before = heap_used();
		struct hs *hs = hs_new(&lim);

		if (hs == NULL) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
		hs_seed(hs, rep + 1);
		for (size_t i = 0; i < n; i++) {
			order[i] = (uint32_t)i;
			draw_values(policies[p], &v0[i], &v1[i]);
			exp[i] = 1000000 + rnd() % 3600000;
		}
		f0 = minflt();
		t0 = now_ns();
		for (size_t i = 0; i < n; i++) {
			/* PE i: id unique in its pool, pools interleaved */
			pe.id = (uint32_t)i * 2654435761u;
			pe.user.addr[0].a[3] = (uint8_t)i;
			pe.policy.val[0] = v0[i];
			pe.policy.val[1] = v1[i];
			if (hs_register(hs, (const uint8_t *)handles[i % npools],
			    hlen, &pe, exp[i], NULL, NULL) != 0) {
				fprintf(stderr, "register failed\n");
				exit(1);
			}
		}
		treg += now_ns() - t0;
		flt += minflt() - f0;
		if (rep == 0) {
			r->bytes[p] = (double)(heap_used() - before) / n;
			r->abytes[p] = (double)hs_addr_bytes(hs) / n;
			t0 = now_ns();
			for (size_t i = 0; i < NRESOLVE; i++) {
				const char *h = handles[shape ?
				    rnd() % npools : 0];

				if (hs_resolve(hs, (const uint8_t *)h, hlen, K,
				    out, &cnt) != 0 || cnt == 0) {
					fprintf(stderr, "resolve failed\n");
					exit(1);
				}
			}
			r->resolve[p] = (now_ns() - t0) / NRESOLVE;
		}
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = rnd() % (i + 1);
			uint32_t t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		t0 = now_ns();
		for (size_t i = 0; i < n; i++) {
			uint32_t k = order[i];

			if (hs_deregister(hs,
			    (const uint8_t *)handles[k % npools], hlen,
			    k * 2654435761u) != 0) {
				fprintf(stderr, "deregister failed\n");
				exit(1);
			}
		}
		tdereg += now_ns() - t0;
		hs_free(hs);
	}
	r->reg[p] = treg / (double)(n * reps);
	r->regflt[p] = (double)flt / (double)(n * reps);
	r->dereg[p] = tdereg / (double)(n * reps);
	free(handles);
	free(order);
	free(v0);
	free(v1);
	free(exp);
}

/* The instructions counted since the last dump (callgrind's "totals"). */
static double
cg_read(const char *what)
{
	char path[4096], line[256];
	FILE *f;
	double v = -1;

	CALLGRIND_STOP_INSTRUMENTATION;
	CALLGRIND_DUMP_STATS_AT(what);
	snprintf(path, sizeof(path), "%s.%d", cg_base, ++cg_dumps);
	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "totals:", 7) == 0)
			v = strtod(line + 7, NULL);
	fclose(f);
	if (v < 0) {
		fprintf(stderr, "%s: no totals\n", path);
		exit(1);
	}
	return v;
}

static void
cg_start(void)
{
	CALLGRIND_ZERO_STATS;
	CALLGRIND_START_INSTRUMENTATION;
}

/*
 * Instruction counts for one policy at n PEs: build n PEs (not counted),
 * count NRESOLVE_I resolutions, then the deregistration of m random PEs
 * and their registration again (the handlespace goes n -> n - m -> n, no
 * table grows inside the counted loops at any size), m = min(n/4, NCHURN_I).
 * Inputs are drawn before each counted loop, so the counts hold the
 * handlespace calls plus a few instructions of loop.
 */
static void
run_instr(size_t n, int shape, int p, struct result *r)
{
	size_t npools = shape ? (n + POOLSIZE_SMALL - 1) / POOLSIZE_SMALL : 1;
	size_t m = n / 4 < NCHURN_I ? n / 4 : NCHURN_I;
	char (*handles)[24] = malloc(npools * sizeof(*handles));
	uint32_t *order = malloc(n * sizeof(*order));
	uint32_t *v0 = malloc(n * sizeof(*v0)), *v1 = malloc(n * sizeof(*v1));
	uint64_t *exp = malloc(n * sizeof(*exp));
	uint32_t *rh = malloc(NRESOLVE_I * sizeof(*rh));
	struct hs_pe *out[K];
	struct hs_limits lim = { 0 };
	struct rsp_pe pe;
	struct hs *hs;
	size_t hlen = 10, cnt;

	if (handles == NULL || order == NULL || v0 == NULL || v1 == NULL ||
	    exp == NULL || rh == NULL || (hs = hs_new(&lim)) == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	hs_seed(hs, 1);
	for (size_t i = 0; i < npools; i++)
		snprintf(handles[i], sizeof(handles[i]), "pool%06zu", i);
	memset(&pe, 0, sizeof(pe));
	pe.life = 300;
	pe.home_id = 0x1234;
	pe.user.type = RSP_PARAM_SCTP_TRANSPORT;
	pe.policy.type = policies[p];
	pe.policy.nval = 2;
	pe.user.port = 5000;
	pe.user.naddr = NADDR;
	for (int a = 0; a < NADDR; a++) {
		pe.user.addr[a].family = AF_INET;
		pe.user.addr[a].a[0] = 10;
		pe.user.addr[a].a[1] = (uint8_t)a;
	}
	for (size_t i = 0; i < n; i++) {
		order[i] = (uint32_t)i;
		draw_values(policies[p], &v0[i], &v1[i]);
		exp[i] = 1000000 + rnd() % 3600000;
	}
	for (size_t i = 0; i < n; i++) {
		pe.id = (uint32_t)i * 2654435761u;
		pe.user.addr[0].a[3] = (uint8_t)i;
		pe.policy.val[0] = v0[i];
		pe.policy.val[1] = v1[i];
		if (hs_register(hs, (const uint8_t *)handles[i % npools], hlen,
		    &pe, exp[i], NULL, NULL) != 0) {
			fprintf(stderr, "register failed\n");
			exit(1);
		}
	}
	for (size_t i = 0; i < NRESOLVE_I; i++)
		rh[i] = shape ? (uint32_t)(rnd() % npools) : 0;
	cg_start();
	for (size_t i = 0; i < NRESOLVE_I; i++)
		if (hs_resolve(hs, (const uint8_t *)handles[rh[i]], hlen, K,
		    out, &cnt) != 0 || cnt == 0)
			exit(1);
	r->resolve[p] = cg_read("resolve") / NRESOLVE_I;
	for (size_t i = 0; i < m; i++) {
		size_t j = i + rnd() % (n - i);
		uint32_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	cg_start();
	for (size_t i = 0; i < m; i++) {
		uint32_t k = order[i];

		if (hs_deregister(hs, (const uint8_t *)handles[k % npools],
		    hlen, k * 2654435761u) != 0)
			exit(1);
	}
	r->dereg[p] = cg_read("deregister") / m;
	cg_start();
	for (size_t i = 0; i < m; i++) {
		uint32_t k = order[i];

		pe.id = k * 2654435761u;
		pe.user.addr[0].a[3] = (uint8_t)k;
		pe.policy.val[0] = v0[k];
		pe.policy.val[1] = v1[k];
		if (hs_register(hs, (const uint8_t *)handles[k % npools], hlen,
		    &pe, exp[k], NULL, NULL) != 0)
			exit(1);
	}
	r->reg[p] = cg_read("register") / m;
	hs_free(hs);
	free(handles);
	free(order);
	free(v0);
	free(v1);
	free(exp);
	free(rh);
}

/*
 * Baseline: ns per step of a walk through a random cycle of 64-byte nodes
 * spanning `bytes` (one dependent load per step, each to a random cache
 * line: the cost of the memory hierarchy alone at that footprint).  Best
 * of three walks of WALK_STEPS.
 */
#define WALK_STEPS	2000000

static double
walk_ns(size_t bytes)
{
	size_t nn = bytes / 64 < 2 ? 2 : bytes / 64;
	void **node = aligned_alloc(64, nn * 64);
	uint32_t *perm = malloc(nn * sizeof(*perm));
	double best = 1e30;
	void **x;

	if (node == NULL || perm == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < nn; i++)
		perm[i] = (uint32_t)i;
	/* Sattolo: one cycle through every node */
	for (size_t i = nn - 1; i > 0; i--) {
		size_t j = rnd() % i;
		uint32_t t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (size_t i = 0; i < nn; i++)
		node[i * 8] = &node[(size_t)perm[i] * 8];
	free(perm);
	x = node;
	for (size_t i = 0; i < nn; i++)		/* fault in, warm up */
		x = *x;
	for (int t = 0; t < 3; t++) {
		double t0 = now_ns(), d;

		for (size_t i = 0; i < WALK_STEPS; i++)
			x = *x;
		__asm__ volatile("" : : "r"(x));
		d = (now_ns() - t0) / WALK_STEPS;
		if (d < best)
			best = d;
	}
	free(node);
	return best;
}

static double
avg(const double *x)
{
	double s = 0;

	for (int i = 0; i < NPOL; i++)
		s += x[i];
	return s / NPOL;
}

static double
max(const double *x)
{
	double m = x[0];

	for (int i = 1; i < NPOL; i++)
		if (x[i] > m)
			m = x[i];
	return m;
}

static const char *
label(size_t n)
{
	static char b[16];

	if (n >= 1000000)
		snprintf(b, sizeof(b), "%zuM", n / 1000000);
	else
		snprintf(b, sizeof(b), "%zuk", n / 1000);
	return b;
}

static double
max_excl(const struct result *r)
{
	double m = 0;

	for (int i = 0; i < NPOL; i++)
		if (r->bytes[i] - r->abytes[i] > m)
			m = r->bytes[i] - r->abytes[i];
	return m;
}

static void
print_shape(int shape)
{
	const struct result *a = &res[shape][0], *z = &res[shape][NSIZES - 1];
	double ratio, worst = 0;
	int wall = !instr_mode;

	printf("\n#### %s\n\n", shape ? "Pools of 10 PEs (N/10 pools)" :
	    "One pool of N PEs");
	printf("| PEs |%s register avg | register max | deregister avg | "
	    "deregister max |", wall ? " baseline walk |" : "");
	for (int p = 0; p < NPOL; p++)
		printf(" %s |", polname[p]);
	if (wall)
		printf(" B/PE (max) | B/PE excl. addrs (max) |");
	printf("\n|---|");
	for (int p = 0; p < NPOL + 4 + (wall ? 3 : 0); p++)
		printf("---|");
	printf("\n");
	for (size_t s = 0; s < NSIZES; s++) {
		const struct result *r = &res[shape][s];

		printf("| %s |", label(sizes[s]));
		if (wall)
			printf(" %.1f |", r->walk);
		printf(" %.0f | %.0f | %.0f | %.0f |",
		    avg(r->reg), max(r->reg), avg(r->dereg), max(r->dereg));
		for (int p = 0; p < NPOL; p++)
			printf(" %.0f |", r->resolve[p]);
		if (wall)
			printf(" %.0f | %.0f |", max(r->bytes), max_excl(r));
		printf("\n");
	}
	printf("| **1M/1k** |");
	if (wall)
		printf(" %.2f× |", z->walk / a->walk);
#define RATIO(x, y) do {						\
	ratio = (x) / (y);						\
	if (ratio > worst)						\
		worst = ratio;						\
	printf(" %.2f× |", ratio);					\
} while (0)
	RATIO(avg(z->reg), avg(a->reg));
	RATIO(max(z->reg), max(a->reg));
	RATIO(avg(z->dereg), avg(a->dereg));
	RATIO(max(z->dereg), max(a->dereg));
	for (int p = 0; p < NPOL; p++)
		RATIO(z->resolve[p], a->resolve[p]);
	printf("%s\n", wall ? " | |" : "");
	if (wall) {
		/* issue 14: each operation at 1M in same-run baseline walks */
		double w = z->walk, wworst = 0;
		const char *wname = "";

		printf("| **1M in walks** | 1 |");
#define WALKS(x, name) do {						\
	double v_ = (x) / w;						\
	if (v_ > wworst) {						\
		wworst = v_;						\
		wname = (name);						\
	}								\
	printf(" %.2f |", v_);						\
} while (0)
		WALKS(avg(z->reg), "register avg");
		WALKS(max(z->reg), "register max");
		WALKS(avg(z->dereg), "deregister avg");
		WALKS(max(z->dereg), "deregister max");
		for (int p = 0; p < NPOL; p++)
			WALKS(z->resolve[p], polname[p]);
		printf(" | |\n\n");
		printf("Worst operation at 1M: %s, %.2f baseline walks of the "
		    "same run — %s the issue 14 target of 4.\n\n", wname,
		    wworst, wworst <= 4 ? "meets" : "**misses**");
		/* what part of a registration is the kernel's first touch */
		printf("Registration at 1M by policy, ns (minor page faults "
		    "per registration: memory the process touched first):");
		for (int p = 0; p < NPOL; p++)
			printf("%s %s %.0f (%.3f)", p ? "," : "", polname[p],
			    z->reg[p], z->regflt[p]);
		printf(".\n\n");
	} else
		printf("\n");
	if (wall)
		printf("Largest growth 1M/1k in wall clock: %.2f× — %s the 3× "
		    "target; the baseline walk over the same footprint grows "
		    "%.2f×. Bytes per PE at 1M, excluding address bytes: "
		    "%.0f — %s the 300 B target.\n", worst,
		    worst <= 3 ? "meets" : "**misses**", z->walk / a->walk,
		    max_excl(z), max_excl(z) <= 300 ? "meets" : "**misses**");
	else
		printf("Largest growth 1M/1k in instructions: %.2f× — %s the "
		    "3× target.\n", worst, worst <= 3 ? "meets" : "**misses**");
}

int
main(int argc, char **argv)
{
	double t0 = now_ns();
	size_t min_size = 0;
	const char *only = NULL, *only_pol = NULL;

	if (argc > 1 && strcmp(argv[1], "--instr") == 0) {
		instr_mode = 1;
		if (!RUNNING_ON_VALGRIND ||
		    (cg_base = getenv("BENCH_CG_OUT")) == NULL) {
			fprintf(stderr, "usage: BENCH_CG_OUT=BASE valgrind "
			    "--tool=callgrind --instr-atstart=no "
			    "--callgrind-out-file=BASE %s --instr\n", argv[0]);
			return 2;
		}
	} else if (argc > 1) {
		fprintf(stderr, "usage: %s [--instr]\n", argv[0]);
		return 2;
	}
	/* BENCH_HS_MIN=N: only sizes >= N (quick interleaved checks) */
	if (getenv("BENCH_HS_MIN") != NULL)
		min_size = strtoul(getenv("BENCH_HS_MIN"), NULL, 10);
	/* BENCH_HS_ONLY=big|small[:POLICY]: one shape (and policy), to profile */
	if ((only = getenv("BENCH_HS_ONLY")) != NULL)
		only_pol = strchr(only, ':');
	for (int shape = 0; shape < 2; shape++) {
		if (only != NULL && strncmp(only, shape ? "small" : "big",
		    only_pol ? (size_t)(only_pol - only) : strlen(only)) != 0)
			continue;
		for (size_t s = 0; s < NSIZES; s++) {
			size_t reps = sizes[s] >= MIN_OPS ? 1 : MIN_OPS / sizes[s];
			struct result *r = &res[shape][s];

			if (sizes[s] < min_size)
				continue;

			for (int p = 0; p < NPOL; p++) {
				if (only_pol != NULL &&
				    strcmp(only_pol + 1, polname[p]) != 0)
					continue;
				if (instr_mode)
					run_instr(sizes[s], shape, p, r);
				else
					run(sizes[s], shape, p, reps, r);
				fprintf(stderr, "%s %s %s: reg %.0f dereg %.0f "
				    "resolve %.0f %s, %.0f B/PE, %.3f faults "
				    "per registration\n",
				    shape ? "small" : "big", label(sizes[s]),
				    polname[p], r->reg[p], r->dereg[p],
				    r->resolve[p], instr_mode ? "instr" : "ns",
				    r->bytes[p], r->regflt[p]);
			}
			if (!instr_mode) {
				r->walk = walk_ns((size_t)(max(r->bytes) *
				    (double)sizes[s]));
				fprintf(stderr, "%s %s baseline walk %.1f ns\n",
				    shape ? "small" : "big", label(sizes[s]),
				    r->walk);
			}
		}
	}
	if (instr_mode) {
		printf("Instructions per operation (valgrind callgrind, exact "
		    "count of the measured loops: %d resolutions, k = %d; "
		    "min(N/4, %d) deregistrations of random PEs, then their "
		    "registration again, so that no table grows inside a "
		    "measured loop at any size); register and deregister "
		    "are the average and the worst over the nine policies' "
		    "pools.\n", NRESOLVE_I, K, NCHURN_I);
	} else {
		printf("ns per operation (resolve: k = %d, handle lookup "
		    "included); register (building the pool from empty) and "
		    "deregister (all PEs, random order) are the average and "
		    "the worst over the nine policies' pools; PEs carry %d "
		    "IPv4 addresses (%d B of address bytes); bytes per PE are "
		    "mallinfo2() deltas (uordblks + hblkhd) after "
		    "registration, worst policy. "
		    "*Baseline walk*: ns per step of a random pointer walk "
		    "(one dependent load to a random cache line per step) "
		    "over as many bytes as the handlespace holds at that "
		    "size, measured in the same run right after it.\n",
		    K, NADDR, NADDR * (int)sizeof(struct rsp_addr));
	}
	print_shape(0);
	print_shape(1);
	printf("\n%s run time: %.0f s.\n", instr_mode ?
	    "Instruction-count (valgrind)" : "Wall-clock", (now_ns() - t0) / 1e9);
	return 0;
}
