/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Covering prefixes (issue 13, anycast BCP §4.4.2): across the Internet a
 * /32 or /128 is filtered, so each cover (a /24, a /48) is announced while
 * at least one of its services is announced or draining on this node, and
 * withdrawn when none is; it carries GRACEFUL_SHUTDOWN while every one of
 * them that is up is draining.  The route is a blackhole route healthd
 * adds and removes through netlink (at once, like a service's address);
 * bgpd announces it through the network statement healthd puts under
 * "router bgp AS" ("bgp network import-check" makes it follow the route),
 * with the cover's route-map, whose permit 10 entry healthd rewrites for
 * the drain, all through the cover's own queue of vtysh runs.  The
 * services' host routes get NO_EXPORT (scope local, route.c) unless they
 * say otherwise.  cover_sync() runs after every state change of a service.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health/healthd.h"

const char *
cover_state_name(enum cover_state st)
{
	switch (st) {
	case COVER_WITHDRAWN:	return "withdrawn";
	case COVER_ANNOUNCED:	return "announced";
	case COVER_DRAINING:	return "draining";
	}
	return "?";
}

/* What the cover should be, from its services' states. */
static enum cover_state
cover_want(const struct cover *cv)
{
	const struct svc *s;
	bool draining = false;
	size_t i;

	for (i = 0; i < cv->c.nsvc; i++) {
		if ((s = svc_find(cv->c.svc[i])) == NULL)
			continue;
		if (s->sm.state == HSM_ANNOUNCED)
			return COVER_ANNOUNCED;
		if (s->sm.state == HSM_DRAINING)
			draining = true;
	}
	return draining ? COVER_DRAINING : COVER_WITHDRAWN;
}

static void
cover_log(struct cover *cv, const char *what, int rc, const char *out)
{
	char a[INET6_ADDRSTRLEN + 8];
	int len;

	if (rc == 0)
		return;
	cv->frr_errors++;
	len = out != NULL ? (int)strcspn(out, "\n") : 0;
	log_warnx("cover %s: FRR %s failed: %s%s%.*s", rt_prefix_str(
	    &cv->c.prefix, a, sizeof(a)), what, strerror(-rc),
	    len > 0 ? ": " : "", len, out != NULL ? out : "");
}

static void	cover_route(struct cover *);

/*
 * The drain state of a route-map that covers may share (the default one):
 * GRACEFUL_SHUTDOWN only while no cover using it is announced.
 */
static bool
rmap_drain(const char *route_map)
{
	bool drain = false;
	size_t i;

	for (i = 0; i < hd.ncover; i++) {
		if (hd.cover[i] == NULL ||
		    strcmp(hd.cover[i]->c.route_map, route_map) != 0)
			continue;
		if (hd.cover[i]->state == COVER_ANNOUNCED)
			return false;
		drain |= hd.cover[i]->state == COVER_DRAINING;
	}
	return drain;
}

static void
cover_done(void *arg, int rc, const char *out)
{
	struct cover *cv = arg;

	cover_log(cv, "route-map or network statement", rc, out);
	if (cv->inflight > 0)
		cv->inflight--;
	if (cv->inflight == 0)
		cover_route(cv);
}

static void
cover_queued(struct cover *cv, int rc)
{
	if (rc == 0)
		cv->inflight++;
	else
		cover_log(cv, "route-map or network statement", rc, NULL);
}

/* The route-map entry for the drain state, then the network statement
 * again (which applies it now, not after bgpd's route-map delay). */
static void
cover_attrs(struct cover *cv, bool drain)
{
	cover_queued(cv, frr_q_route_map_community(cv->fq, cv->c.route_map,
	    drain ? "graceful-shutdown" : NULL, cover_done, cv));
	cover_queued(cv, frr_q_bgp_network(cv->fq, cv->c.bgp_asn,
	    &cv->c.prefix, cv->c.route_map, cover_done, cv));
	cv->drain_attrs = drain;
}

/*
 * The blackhole route follows the state; it goes up only once FRR has the
 * attributes of that state (no route out with a stale GRACEFUL_SHUTDOWN).
 */
static void
cover_route(struct cover *cv)
{
	char a[INET6_ADDRSTRLEN + 8];
	int rc;

	rt_prefix_str(&cv->c.prefix, a, sizeof(a));
	if (cv->state == COVER_WITHDRAWN) {
		if (cv->routed && (rc = nl_blackhole_del(hd.nl,
		    &cv->c.prefix)) != 0)
			log_warnx("cover %s: removing its route: %s", a,
			    strerror(-rc));
		cv->routed = false;
		return;
	}
	if (cv->drain_attrs != rmap_drain(cv->c.route_map))
		cover_attrs(cv, !cv->drain_attrs);
	if (cv->inflight > 0 || cv->routed)
		return;
	if ((rc = nl_blackhole_add(hd.nl, &cv->c.prefix)) != 0) {
		log_warnx("cover %s: adding its route: %s", a, strerror(-rc));
		return;
	}
	cv->routed = true;
	log_info("cover %s: announced", a);
}

static void
cover_state_update(struct cover *cv)
{
	char a[INET6_ADDRSTRLEN + 8];
	enum cover_state want = cover_want(cv);

	if (want == cv->state)
		return;
	log_info("cover %s: %s -> %s", rt_prefix_str(&cv->c.prefix, a,
	    sizeof(a)), cover_state_name(cv->state), cover_state_name(want));
	cv->state = want;
	cv->changes++;
	cv->since = ev_now(hd.loop);
}

/* States first, then routes: covers may share a route-map. */
void
cover_sync(void)
{
	size_t i;

	for (i = 0; i < hd.ncover; i++)
		if (hd.cover[i] != NULL)
			cover_state_update(hd.cover[i]);
	for (i = 0; i < hd.ncover; i++)
		if (hd.cover[i] != NULL)
			cover_route(hd.cover[i]);
}

/*
 * Start: a blackhole route left by an earlier run is removed (nothing is
 * known to be healthy yet); FRR gets the normal route-map entry and the
 * network statement.
 */
static int
cover_start(struct cover *cv, const struct hc_cover *c)
{
	char a[INET6_ADDRSTRLEN + 8];
	int rc;

	memset(cv, 0, sizeof(*cv));
	cv->c = *c;
	cv->since = ev_now(hd.loop);
	rt_prefix_str(&c->prefix, a, sizeof(a));
	if ((rc = nl_blackhole_del(hd.nl, &c->prefix)) != 0)
		log_warnx("cover %s: removing a stale route: %s", a,
		    strerror(-rc));
	if ((rc = frr_q_new(hd.loop, &hd.frr, &cv->fq)) != 0)
		return rc;
	cover_attrs(cv, false);
	return 0;
}

/* Withdraw and forget (SIGTERM, or a cover gone from the configuration). */
static void
cover_stop(struct cover *cv)
{
	cv->state = COVER_WITHDRAWN;
	cover_route(cv);
	frr_q_free(cv->fq);
	cv->fq = NULL;
}

static bool
cover_eq(const struct hc_cover *a, const struct hc_cover *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/*
 * Reload: a cover whose configuration did not change is not touched; a
 * changed one (services, route-map, AS) keeps its route and gets the
 * statements again; a removed one is withdrawn; a new one starts.
 */
void
cover_reload(const struct health_config *nc)
{
	struct cover *keep[HC_MAX_COVERS] = { 0 }, *cv;
	size_t i, j;
	int rc;

	for (i = 0; i < hd.ncover; i++) {
		cv = hd.cover[i];
		for (j = 0; j < nc->ncover; j++)
			if (rt_prefix_eq(&nc->cover[j].prefix, &cv->c.prefix))
				break;
		if (j == nc->ncover) {
			cover_stop(cv);
			free(cv);
			continue;
		}
		frr_q_set(cv->fq, &hd.frr);
		if (!cover_eq(&cv->c, &nc->cover[j])) {
			cv->c = nc->cover[j];
			cover_attrs(cv, cv->drain_attrs);
		}
		keep[j] = cv;
	}
	for (j = 0; j < nc->ncover; j++) {
		if (keep[j] != NULL)
			continue;
		if ((cv = calloc(1, sizeof(*cv))) == NULL)
			fatal("cover");
		if ((rc = cover_start(cv, &nc->cover[j])) != 0) {
			log_warnx("cover: %s; not started", strerror(-rc));
			frr_q_free(cv->fq);
			free(cv);
			continue;
		}
		keep[j] = cv;
	}
	hd.ncover = 0;
	for (j = 0; j < nc->ncover; j++)
		if (keep[j] != NULL)
			hd.cover[hd.ncover++] = keep[j];
	cover_sync();
}

void
cover_start_all(void)
{
	size_t i;
	int rc;

	for (i = 0; i < hd.conf.ncover; i++) {
		if ((hd.cover[i] = calloc(1, sizeof(*hd.cover[i]))) == NULL)
			fatal("cover");
		if ((rc = cover_start(hd.cover[i], &hd.conf.cover[i])) != 0)
			fatalx("cover: %s", strerror(-rc));
		hd.ncover++;
	}
	cover_sync();
}

void
cover_stop_all(void)
{
	size_t i;

	for (i = 0; i < hd.ncover; i++) {
		cover_stop(hd.cover[i]);
		free(hd.cover[i]);
		hd.cover[i] = NULL;
	}
	hd.ncover = 0;
}
