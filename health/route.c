/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd's routing actions for one service, as the state machine asks for
 * them (healthd.c's svc_step()): the addresses on the interface through
 * netlink with a lifetime kept fresh (so a dead healthd withdraws by
 * itself), and FRR's attributes for drain and scope (for an OSPF stub,
 * the address's OSPF cost), its network statements and the read-back that
 * measures how long FRR took to withdraw, through the service's queue of
 * vtysh runs.  A withdrawal is netlink, at once; FRR follows.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "health/healthd.h"

#define CONFIRM_STEP_MS		20
#define CONFIRM_MAX_MS		5000

/*
 * FRR runs go through the service's queue (routing/frr.c, struct frr_q):
 * vtysh is a child whose pipes the event loop watches, so a slow FRR never
 * holds up the checks or a withdrawal (that is netlink, at once).  Runs
 * of one service keep their order; their results come back here.
 */
static void
frr_log(struct svc *s, const char *what, int rc, const char *out)
{
	int len;

	if (rc == 0)
		return;
	s->frr_errors++;
	len = out != NULL ? (int)strcspn(out, "\n") : 0;
	log_warnx("service %s: FRR %s failed: %s%s%.*s", s->c.name, what,
	    strerror(-rc), len > 0 ? ": " : "", len, out != NULL ? out : "");
}

static void	announce_now(struct svc *);

/* One FRR attribute run finished: when none is left, a waiting announce. */
static void
attrs_done(struct svc *s, const char *what, int rc, const char *out)
{
	frr_log(s, what, rc, out);
	if (s->attrs_inflight > 0)
		s->attrs_inflight--;
	if (s->attrs_inflight == 0 && s->announce_pending) {
		s->announce_pending = false;
		if (s->sm.state == HSM_ANNOUNCED || s->sm.state == HSM_DRAINING)
			announce_now(s);
	}
}

static void
done_route_map(void *arg, int rc, const char *out)
{
	attrs_done(arg, "route-map", rc, out);
}

static void
done_network(void *arg, int rc, const char *out)
{
	attrs_done(arg, "network statement", rc, out);
}

static void
done_metric(void *arg, int rc, const char *out)
{
	attrs_done(arg, "route-map metric", rc, out);
}

static void
done_cost(void *arg, int rc, const char *out)
{
	attrs_done(arg, "OSPF cost", rc, out);
}

static void
done_scope(void *arg, int rc, const char *out)
{
	attrs_done(arg, "scope prefix-list", rc, out);
}

/* Queue one attribute run; if it cannot even be queued, say so now. */
static void
attrs_queued(struct svc *s, const char *what, int rc)
{
	if (rc == 0) {
		s->attrs_inflight++;
		return;
	}
	frr_log(s, what, rc, NULL);
}

void
route_networks(struct svc *s)
{
	size_t i;

	for (i = 0; s->c.bgp_asn != 0 && i < s->c.nprefix; i++)
		attrs_queued(s, "network statement", frr_q_bgp_network(s->fq,
		    s->c.bgp_asn, &s->c.prefix[i], s->c.route_map,
		    done_network, s));
}

/* The route-map (and network statements) in the normal or drain state. */
void
route_attrs(struct svc *s, bool drain)
{
	size_t i;

	switch (s->c.routing) {
	case HC_ROUTING_NONE:
		break;
	case HC_ROUTING_BGP:
		/*
		 * RFC 8326 GRACEFUL_SHUTDOWN.  Not NO_EXPORT: bgpd would then
		 * not send the route to any eBGP neighbor at all; scope local
		 * adds it on the way out (route_scope()).
		 */
		if (s->c.bgp_attrs_set || s->bgp_attrs_managed) {
			/*
			 * The operator's MED, prepend and communities of the
			 * state; once FRR has had some, healthd keeps
			 * rewriting them (so removing them clears them).
			 */
			s->bgp_attrs_managed = true;
			attrs_queued(s, "route-map", frr_q_route_map_bgp(
			    s->fq, s->c.route_map, s->c.bgp_asn,
			    &s->c.bgp_attrs[drain ? HC_ATTR_DRAINING :
			    HC_ATTR_ANNOUNCED], drain, done_route_map, s));
		} else
			attrs_queued(s, "route-map", frr_q_route_map_community(
			    s->fq, s->c.route_map, drain ?
			    "graceful-shutdown" : NULL, done_route_map, s));
		/*
		 * Re-issuing the network statement applies the route-map now
		 * instead of after bgpd's route-map delay-timer (5 s).
		 */
		route_networks(s);
		break;
	case HC_ROUTING_OSPF:
		if (s->c.ospf_stub) {
			/*
			 * Intra-area stub links: the cost of each address on
			 * its interface, set before the address goes up.
			 */
			for (i = 0; i < s->c.nprefix; i++)
				attrs_queued(s, "OSPF cost", frr_q_ospf_cost(
				    s->fq, s->c.ifname, &s->c.prefix[i],
				    drain ? s->c.ospf_drain_metric :
				    s->c.ospf_metric, done_cost, s));
			break;
		}
		attrs_queued(s, "route-map metric", frr_q_route_map_metric(
		    s->fq, s->c.route_map, drain ? s->c.ospf_drain_metric :
		    s->c.ospf_metric, done_metric, s));
		break;
	}
	s->drain_attrs = drain;
}

/*
 * Scope: a local node's prefixes go into the prefix-lists that the PoP's
 * outbound neighbor route-map (deploy/frr/README.md) matches to add
 * NO_EXPORT (RFC 1997), so the upstream receives the route and keeps it to
 * itself; a global node's are taken out (reconciling what a previous run
 * or configuration left).
 */
void
route_scope(struct svc *s)
{
	size_t i;

	if (s->c.routing != HC_ROUTING_BGP)
		return;
	for (i = 0; i < s->c.nprefix; i++)
		attrs_queued(s, "scope prefix-list", frr_q_prefix_list(s->fq,
		    HC_LOCAL_PLIST, HC_LOCAL_PLIST6, &s->c.prefix[i],
		    s->c.scope_local, done_scope, s));
}

static void
refresh_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct svc *s = arg;
	char a[INET6_ADDRSTRLEN + 8];
	size_t i;
	int rc;

	(void)revents;
	for (i = 0; i < s->c.nprefix; i++)
		if ((rc = nl_addr_set(hd.nl, s->ifindex, &s->c.prefix[i],
		    s->c.lifetime_s)) != 0)
			log_rl_warnx(&s->rl, ev_now(loop), "service %s: "
			    "refreshing %s: %s", s->c.name, rt_prefix_str(
			    &s->c.prefix[i], a, sizeof(a)), strerror(-rc));
	ev_timer_add(loop, s->c.refresh_ms, refresh_cb, s, &s->refresh);
}

void
route_refresh(struct svc *s)
{
	refresh_cb(hd.loop, s, EV_TIMER);
}

/*
 * Read FRR back until it no longer holds the prefixes: time-to-withdraw.
 * One round queues a "show ... json" per prefix; the last answer decides
 * whether to look again CONFIRM_STEP_MS later.
 */
static void	confirm_cb(struct ev_loop *, void *, unsigned int);

static void
confirm_done(void *arg, int rc, const char *out)
{
	struct svc *s = arg;
	size_t i = s->confirm_next++;
	uint64_t now = ev_now(hd.loop);
	bool has = false;

	if (rc == 0 && i < s->c.nprefix)
		rc = s->c.routing == HC_ROUTING_BGP ?
		    frr_bgp_has_parse(out, &has) :
		    frr_rib_has_parse(out, &s->c.prefix[i], &has);
	if (rc != 0)
		s->confirm_failed = true;
	s->confirm_any |= has;
	if (s->confirm_next < s->confirm_runs)
		return;
	/* Announced again meanwhile, or FRR not answering: give up. */
	if (s->confirm_failed || s->sm.state == HSM_ANNOUNCED ||
	    s->sm.state == HSM_DRAINING || s->last_frr_ms >= 0)
		return;
	if (!s->confirm_any) {
		s->last_frr_ms = (int64_t)(now - s->withdrawn_at);
		log_info("service %s: FRR has withdrawn, %lld ms after the "
		    "address went", s->c.name, (long long)s->last_frr_ms);
		return;
	}
	if (now - s->withdrawn_at < CONFIRM_MAX_MS)
		ev_timer_add(hd.loop, CONFIRM_STEP_MS, confirm_cb, s,
		    &s->confirm);
}

static void
confirm_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct svc *s = arg;
	size_t i;

	(void)loop;
	(void)revents;
	if (s->confirm_next < s->confirm_runs)
		return;		/* the last round is still out */
	s->confirm_next = s->confirm_runs = 0;
	s->confirm_any = s->confirm_failed = false;
	for (i = 0; i < s->c.nprefix; i++) {
		if (frr_q_show_prefix(s->fq, s->c.routing == HC_ROUTING_BGP,
		    &s->c.prefix[i], confirm_done, s) != 0) {
			s->confirm_failed = true;
			break;
		}
		s->confirm_runs++;
	}
}

void
route_withdraw(struct svc *s, const char *why)
{
	char a[INET6_ADDRSTRLEN + 8];
	uint64_t now = ev_now(hd.loop);
	size_t i;
	int rc;

	ev_cancel(&s->refresh);
	s->announce_pending = false;
	for (i = 0; i < s->c.nprefix; i++)
		if ((rc = nl_addr_del(hd.nl, s->ifindex, &s->c.prefix[i])) != 0)
			log_warnx("service %s: removing %s: %s", s->c.name,
			    rt_prefix_str(&s->c.prefix[i], a, sizeof(a)),
			    strerror(-rc));
	s->withdrawn_at = now;
	s->last_ttw_ms = s->fail_since != 0 ?
	    (int64_t)(now - s->fail_since) : -1;
	s->last_frr_ms = -1;
	log_info("service %s: withdrawn (%s)%s", s->c.name, why,
	    s->last_ttw_ms >= 0 ? "" : "");
	if (s->c.routing != HC_ROUTING_NONE)
		ev_timer_add(hd.loop, 0, confirm_cb, s, &s->confirm);
}

/* Put the addresses up: FRR announces. */
static void
announce_now(struct svc *s)
{
	route_refresh(s);
	log_info("service %s: announced", s->c.name);
}

/*
 * The route must not go out with stale attributes (a drain's
 * GRACEFUL_SHUTDOWN, say): while attribute runs are out, the addresses go
 * up when the last one has finished, whatever its result (a vtysh that
 * hangs is killed at the timeout).
 */
void
route_announce(struct svc *s)
{
	if (s->drain_attrs)
		route_attrs(s, false);
	ev_cancel(&s->confirm);
	if (s->attrs_inflight > 0) {
		s->announce_pending = true;
		log_debug("service %s: announcing once FRR has the normal "
		    "attributes", s->c.name);
		return;
	}
	announce_now(s);
}

