/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What an operator plugs into healthd (healthd.conf: "check exec",
 * "notify exec"), run through health/exec.c so nothing here ever blocks
 * the loop.  A command check runs every interval (never two at once: its
 * timeout is shorter); its exit status is its result, and the last result
 * of every command check is part of each round (healthd.c's
 * round_result()), so rise and fall count rounds as for the other checks
 * and the state machine (health/state.c) never knows commands exist.  The
 * state-change command is queued on every state change with the service,
 * the old and new state and why in its environment; runs are started at
 * once (up to NOTIFY_RUNNING at a time), those of one service strictly in
 * order, at most NOTIFY_QUEUE waiting: the route change they report has
 * already happened when they start, and a run that fails, times out or
 * finds the queue full is logged and counted.  The queue is healthd's, not
 * a service's, so the "stopped" run of a service removed by a reload still
 * runs; at exit healthd waits a bounded time for it (notify_finish()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "health/healthd.h"

#define NOTIFY_RUNNING	4
#define NOTIFY_QUEUE	64
#define NOTIFY_ENV	12
#define NOTIFY_ENVBUF	2048

/* The environment of a command of service s, into buf; NULL-ended env. */
static void
svc_env(const struct svc *s, char *env[], size_t max, char *buf, size_t len,
    const char *const *extra, size_t nextra)
{
	char a[INET6_ADDRSTRLEN + 8], pf[HC_MAX_PREFIXES *
	    (INET6_ADDRSTRLEN + 9)];
	const char *routing;
	size_t off = 0, n = 0, i, pl = 0;

	pf[0] = '\0';
	for (i = 0; i < s->c.nprefix; i++)
		pl += (size_t)snprintf(pf + pl, sizeof(pf) - pl, "%s%s",
		    i > 0 ? " " : "", rt_prefix_str(&s->c.prefix[i], a,
		    sizeof(a)));
	routing = s->c.routing == HC_ROUTING_BGP ? "bgp" :
	    s->c.routing == HC_ROUTING_OSPF ? "ospf" : "none";
#define ENV(...) do {							\
	int k_ = snprintf(buf + off, len - off, __VA_ARGS__);		\
	if (k_ > 0 && (size_t)k_ < len - off && n + 1 < max) {		\
		env[n++] = buf + off;					\
		off += (size_t)k_ + 1;					\
	}								\
} while (0)
	ENV("ANYPOOL_SERVICE=%s", s->c.name);
	ENV("ANYPOOL_PREFIXES=%s", pf);
	ENV("ANYPOOL_INTERFACE=%s", s->c.ifname);
	ENV("ANYPOOL_ROUTING=%s", routing);
	for (i = 0; i < nextra; i++)
		ENV("%s", extra[i]);
#undef ENV
	env[n] = NULL;
}

/* Command checks -------------------------------------------------------- */

static void	xc_tick(struct ev_loop *, void *, unsigned int);

static void
xc_done(void *arg, const struct hx_result *r)
{
	struct svc_xcheck *x = arg;
	struct svc *s = x->s;
	const struct hc_exec *e = &s->c.check_exec[x->i];
	char why[96], line[96];
	bool ok = hx_ok(r), was = x->ok, first = !x->ran;

	x->run = NULL;
	x->ran = true;
	x->runs++;
	x->last_ms = r->ms;
	x->ok = ok;
	if (ok)
		x->why[0] = '\0';
	else {
		x->failures++;
		hx_why(r, e->timeout_ms, why, sizeof(why));
		hx_first_line(r->out, line, sizeof(line));
		snprintf(x->why, sizeof(x->why), "%s%s%s", why,
		    line[0] != '\0' ? ": " : "", line);
	}
	if (ok != was || (first && !ok))
		log_rl_info(&x->rl, ev_now(hd.loop), "service %s: check exec "
		    "%s %s%s", s->c.name, e->args, ok ? "passes" : "fails: ",
		    ok ? "" : x->why);
}

static void
xc_tick(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct svc_xcheck *x = arg;
	struct svc *s = x->s;
	const struct hc_exec *e = &s->c.check_exec[x->i];
	char *argv[HC_EXEC_ARGS + 1], *env[NOTIFY_ENV], buf[NOTIFY_ENVBUF];
	char st[64];
	const char *extra[1] = { st };
	int rc;

	(void)revents;
	ev_timer_add(loop, e->interval_ms, xc_tick, x, &x->timer);
	if (x->run != NULL)
		return;		/* cannot outlive its timeout; to be safe */
	snprintf(st, sizeof(st), "ANYPOOL_STATE=%s",
	    hsm_state_name(s->sm.state));
	svc_env(s, env, NOTIFY_ENV, buf, sizeof(buf), extra, 1);
	hconf_exec_argv(e, argv);
	if ((rc = hx_start(loop, argv, env, e->timeout_ms, xc_done, x,
	    &x->run)) != 0) {
		struct hx_result r = { .end = HX_SPAWN_FAILED, .code = -rc,
		    .out = "" };

		x->run = NULL;
		xc_done(x, &r);
	}
}

static void
xc_restart(struct svc *s, size_t i)
{
	struct svc_xcheck *x = &s->xc[i];

	ev_cancel(&x->timer);
	hx_cancel(x->run);
	memset(x, 0, sizeof(*x));
	x->s = s;
	x->i = i;
	snprintf(x->why, sizeof(x->why), "not run yet");
	x->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 60000);
	if (i < s->c.ncheck_exec)
		ev_timer_add(hd.loop, 0, xc_tick, x, &x->timer);
}

void
xcheck_start(struct svc *s)
{
	size_t i;

	for (i = 0; i < HC_EXEC_MAX; i++)
		xc_restart(s, i);
}

void
xcheck_update(struct svc *s, const struct hc_service *old)
{
	size_t i;

	for (i = 0; i < HC_EXEC_MAX; i++)
		if (i >= s->c.ncheck_exec || i >= old->ncheck_exec ||
		    memcmp(&s->c.check_exec[i], &old->check_exec[i],
		    sizeof(old->check_exec[i])) != 0)
			xc_restart(s, i);
}

void
xcheck_stop(struct svc *s)
{
	size_t i;

	for (i = 0; i < HC_EXEC_MAX; i++) {
		ev_cancel(&s->xc[i].timer);
		hx_cancel(s->xc[i].run);
		s->xc[i].run = NULL;
	}
}

bool
xcheck_ok(const struct svc *s)
{
	size_t i;

	for (i = 0; i < s->c.ncheck_exec; i++)
		if (!s->xc[i].ok)
			return false;
	return true;
}

/* The state-change command ------------------------------------------- */

struct nrun {
	struct nrun	*next;
	char		 svc[HC_NAME_MAX];
	struct hc_exec	 e;
	char		*env[NOTIFY_ENV];
	char		 envbuf[NOTIFY_ENVBUF];
	struct hx_run	*run;
	bool		 running;
};

static struct {
	struct nrun	*head, *tail;
	size_t		 n, running;
	struct log_ratelimit rl;
	bool		 rl_init;
} nq;

static void	nq_start(void);

static void
nq_unlink(struct nrun *r)
{
	struct nrun **pp, *prev = NULL;

	for (pp = &nq.head; *pp != NULL; prev = *pp, pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			if (nq.tail == r)
				nq.tail = prev;
			nq.n--;
			return;
		}
}

static void
notify_done(void *arg, const struct hx_result *res)
{
	struct nrun *r = arg;
	struct svc *s = svc_find(r->svc);
	char why[96], line[96];

	r->run = NULL;
	nq.running--;
	nq_unlink(r);
	if (s != NULL)
		s->notify_runs++;
	if (!hx_ok(res)) {
		if (s != NULL)
			s->notify_failures++;
		log_rl_warnx(&nq.rl, ev_now(hd.loop), "service %s: notify "
		    "exec %s failed: %s%s%s", r->svc, r->e.args, hx_why(res,
		    r->e.timeout_ms, why, sizeof(why)), res->out[0] != '\0' ?
		    ": " : "", hx_first_line(res->out, line, sizeof(line)));
	} else
		log_debug("service %s: notify exec %s done in %llu ms", r->svc,
		    r->e.args, (unsigned long long)res->ms);
	free(r);
	nq_start();
}

/* Start what may start: the oldest waiting run of each idle service. */
static void
nq_start(void)
{
	struct nrun *r, *o;
	char *argv[HC_EXEC_ARGS + 1];
	int rc;

	for (r = nq.head; r != NULL && nq.running < NOTIFY_RUNNING; ) {
		struct nrun *next = r->next;

		if (r->running) {
			r = next;
			continue;
		}
		for (o = nq.head; o != r; o = o->next)
			if (strcmp(o->svc, r->svc) == 0)
				break;
		if (o != r) {		/* an earlier one of its service */
			r = next;
			continue;
		}
		hconf_exec_argv(&r->e, argv);
		r->running = true;
		nq.running++;
		if ((rc = hx_start(hd.loop, argv, r->env, r->e.timeout_ms,
		    notify_done, r, &r->run)) != 0) {
			struct hx_result res = { .end = HX_SPAWN_FAILED,
			    .code = -rc, .out = "" };

			/* notify_done() restarts the scan: stop this one. */
			notify_done(r, &res);
			return;
		}
		r = next;
	}
}

void
notify_change(struct svc *s, enum hsm_state from, enum hsm_state to,
    const char *why)
{
	char old[64], new[64], rs[128], tm[64], tr[64];
	const char *extra[5] = { old, new, rs, tm, tr };
	struct nrun *r;

	if (!nq.rl_init) {
		nq.rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10, 60000);
		nq.rl_init = true;
	}
	if (s->c.notify.argc == 0)
		return;
	if (nq.n >= NOTIFY_QUEUE || (r = calloc(1, sizeof(*r))) == NULL) {
		s->notify_failures++;
		log_rl_warnx(&nq.rl, ev_now(hd.loop), "service %s: notify "
		    "exec %s -> %s not run: %s", s->c.name,
		    hsm_state_name(from), hsm_state_name(to), nq.n >=
		    NOTIFY_QUEUE ? "too many runs waiting" : strerror(ENOMEM));
		return;
	}
	snprintf(r->svc, sizeof(r->svc), "%s", s->c.name);
	r->e = s->c.notify;
	snprintf(old, sizeof(old), "ANYPOOL_OLD_STATE=%s",
	    hsm_state_name(from));
	snprintf(new, sizeof(new), "ANYPOOL_NEW_STATE=%s", hsm_state_name(to));
	snprintf(rs, sizeof(rs), "ANYPOOL_REASON=%s", why);
	snprintf(tm, sizeof(tm), "ANYPOOL_TIME=%lld", (long long)time(NULL));
	snprintf(tr, sizeof(tr), "ANYPOOL_TRANSITIONS=%llu",
	    (unsigned long long)s->sm.transitions);
	svc_env(s, r->env, NOTIFY_ENV, r->envbuf, sizeof(r->envbuf), extra, 5);
	if (nq.tail != NULL)
		nq.tail->next = r;
	else
		nq.head = r;
	nq.tail = r;
	nq.n++;
	nq_start();
}

size_t
notify_pending(void)
{
	return nq.n;
}

void
notify_finish(uint64_t max_ms)
{
	uint64_t end = ev_now(hd.loop) + max_ms;
	struct nrun *r;

	while (nq.n > 0 && ev_now(hd.loop) < end)
		if (ev_run_once(hd.loop, 50) < 0)
			break;
	while ((r = nq.head) != NULL) {
		nq.head = r->next;
		if (r->run != NULL)
			log_warnx("service %s: notify exec %s killed at exit",
			    r->svc, r->e.args);
		hx_cancel(r->run);
		free(r);
	}
	nq.tail = NULL;
	nq.n = nq.running = 0;
}
