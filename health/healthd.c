/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd: announces an anycast registrar's service address only while the
 * local registrar can serve, and withdraws it the moment it cannot.  Per
 * service it runs the checks (health/check.c), feeds their results to the
 * state machine (health/state.c) and carries out its actions through
 * routing/: the address on lo with a lifetime it keeps refreshing (so a
 * dead healthd withdraws by itself), FRR route-maps for drain and scope
 * through a per-service queue of vtysh runs that never blocks the loop.  At start it
 * reconciles: an address it finds but does not believe in is removed, and
 * the FRR statements it manages are put back into their normal state.  A
 * Unix control socket (one JSON document per request line, like
 * registrard's, so anypoolctl drives it) shows state and metrics and takes
 * drain/undrain; "metrics listen" adds a Prometheus exporter (/metrics).
 * Flags as every anypool daemon: -d -n -v -f FILE.
 * SIGTERM/SIGINT withdraw and exit.  With NOTIFY_SOCKET set it tells
 * systemd when it is ready (Type=notify).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "event.h"
#include "log.h"
#include "metrics_http.h"
#include "sdnotify.h"
#include "health/check.h"
#include "health/hconf.h"
#include "health/state.h"
#include "routing/frr.h"
#include "routing/netlink.h"

#define DEFAULT_CONF		"/etc/anypool/healthd.conf"
#define CTL_MAX_CLIENTS		8
#define CTL_LINE_MAX		1024
#define CTL_IDLE_MS		10000
#define CONFIRM_STEP_MS		20
#define CONFIRM_MAX_MS		5000

struct svc {
	struct hc_service	 c;
	struct hs_sm		 sm;
	unsigned int		 ifindex;
	struct hk_ctl		*ctl;
	struct hk_probe		*probe;
	struct ev_ref		 round, refresh, smtimer, confirm;
	bool			 probe_ok;
	uint64_t		 probe_rtt;
	const char		*probe_why;
	uint64_t		 probes_ok, probes_failed;
	bool			 drain_attrs;	/* FRR has the drain attributes */
	bool			 ctl_drain, file_drain;
	uint64_t		 fail_since;	/* first failure of the streak */
	uint64_t		 withdrawn_at;	/* address removed */
	int64_t			 last_ttw_ms;	/* failure -> address off */
	int64_t			 last_frr_ms;	/* address off -> FRR has none */
	uint64_t		 frr_errors;
	struct log_ratelimit	 rl;
	struct frr_q		*fq;		/* this service's vtysh runs */
	unsigned int		 attrs_inflight;	/* attribute runs out */
	bool			 announce_pending;	/* until they are in */
	size_t			 confirm_runs, confirm_next;
	bool			 confirm_any, confirm_failed;
};

struct ctl_client {
	int		 fd;
	struct ev_ref	 io, idle;
	char		 in[CTL_LINE_MAX + 1];
	size_t		 inlen;
};

static struct {
	struct ev_loop		*loop;
	struct health_config	 conf;
	struct nl		*nl;
	struct frr		 frr;
	struct svc		*svc[HC_MAX_SERVICES];
	size_t			 nsvc;
	uint64_t		 started;
	int			 ctl_fd;
	struct ev_ref		 ctl_io;
	struct ctl_client	 clients[CTL_MAX_CLIENTS];
	struct ev_ref		 sig_term, sig_int, sig_hup;
	const char		*file;
	uint64_t		 reloads, reload_failures;
	uint64_t		 last_reload;	/* ev_now() of the last good one */
} hd = { .ctl_fd = -1 };

static void	svc_step(struct svc *, enum hs_event);

/* Routing --------------------------------------------------------------- */

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
		if (s->sm.state == HS_ANNOUNCED || s->sm.state == HS_DRAINING)
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

static void
queue_networks(struct svc *s)
{
	size_t i;

	for (i = 0; s->c.bgp_asn != 0 && i < s->c.nprefix; i++)
		attrs_queued(s, "network statement", frr_q_bgp_network(s->fq,
		    s->c.bgp_asn, &s->c.prefix[i], s->c.route_map,
		    done_network, s));
}

/* The route-map (and network statements) in the normal or drain state. */
static void
set_attrs(struct svc *s, bool drain)
{
	switch (s->c.routing) {
	case HC_ROUTING_NONE:
		break;
	case HC_ROUTING_BGP:
		/*
		 * RFC 8326 GRACEFUL_SHUTDOWN.  Not NO_EXPORT: bgpd would then
		 * not send the route to any eBGP neighbor at all; scope local
		 * adds it on the way out (set_scope()).
		 */
		attrs_queued(s, "route-map", frr_q_route_map_community(s->fq,
		    s->c.route_map, drain ? "graceful-shutdown" : NULL,
		    done_route_map, s));
		/*
		 * Re-issuing the network statement applies the route-map now
		 * instead of after bgpd's route-map delay-timer (5 s).
		 */
		queue_networks(s);
		break;
	case HC_ROUTING_OSPF:
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
static void
set_scope(struct svc *s)
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
	if (s->confirm_failed || s->sm.state == HS_ANNOUNCED ||
	    s->sm.state == HS_DRAINING || s->last_frr_ms >= 0)
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

static void
do_withdraw(struct svc *s, const char *why)
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
	refresh_cb(hd.loop, s, EV_TIMER);
	log_info("service %s: announced", s->c.name);
}

/*
 * The route must not go out with stale attributes (a drain's
 * GRACEFUL_SHUTDOWN, say): while attribute runs are out, the addresses go
 * up when the last one has finished, whatever its result (a vtysh that
 * hangs is killed at the timeout).
 */
static void
do_announce(struct svc *s)
{
	if (s->drain_attrs)
		set_attrs(s, false);
	ev_cancel(&s->confirm);
	if (s->attrs_inflight > 0) {
		s->announce_pending = true;
		log_debug("service %s: announcing once FRR has the normal "
		    "attributes", s->c.name);
		return;
	}
	announce_now(s);
}

static void
smtimer_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)revents;
	svc_step(arg, HS_EV_TIMER);
}

static void
svc_step(struct svc *s, enum hs_event ev)
{
	uint64_t now = ev_now(hd.loop), dl;
	enum hs_state before = s->sm.state;
	unsigned int act;

	if ((ev == HS_EV_CHECK_FAIL || ev == HS_EV_LOST) && s->fail_since == 0)
		s->fail_since = now;
	if (ev == HS_EV_CHECK_OK)
		s->fail_since = 0;
	act = hs_step(&s->sm, &s->c.sm, ev, now);
	if (act & HS_ACT_DRAIN_ATTRS)
		set_attrs(s, true);
	if (act & HS_ACT_NORMAL_ATTRS)
		set_attrs(s, false);
	if (act & HS_ACT_WITHDRAW)
		do_withdraw(s, ev == HS_EV_LOST ? "registrar lost" :
		    ev == HS_EV_STOP ? "stopping" : ev == HS_EV_TIMER ?
		    "drained" : "checks failed");
	if (act & HS_ACT_ANNOUNCE)
		do_announce(s);
	if (s->sm.state != before)
		log_debug("service %s: %s -> %s", s->c.name,
		    hs_state_name(before), hs_state_name(s->sm.state));
	dl = hs_next_deadline(&s->sm, &s->c.sm, now);
	if (dl != 0)
		ev_timer_add_at(hd.loop, dl, smtimer_cb, s, &s->smtimer);
	else
		ev_cancel(&s->smtimer);
}

/* Checks ---------------------------------------------------------------- */

static bool
registrar_ok(const struct svc *s)
{
	if (s->ctl == NULL)
		return true;
	return hk_ctl_up(s->ctl) && (!s->c.require_sync ||
	    hk_ctl_synced(s->ctl));
}

static void
check_drain_file(struct svc *s)
{
	struct stat st;
	bool d;

	if (s->c.drain_file[0] == '\0')
		return;
	d = stat(s->c.drain_file, &st) == 0;
	if (d == s->file_drain)
		return;
	s->file_drain = d;
	log_info("service %s: maintenance file %s %s", s->c.name,
	    s->c.drain_file, d ? "appeared: draining" : "gone");
	if (d)
		svc_step(s, HS_EV_DRAIN);
	else if (!s->ctl_drain)
		svc_step(s, HS_EV_UNDRAIN);
}

static void
round_result(struct svc *s)
{
	bool ok = (!s->c.probe || s->probe_ok) && registrar_ok(s);

	svc_step(s, ok ? HS_EV_CHECK_OK : HS_EV_CHECK_FAIL);
}

static void
probe_cb(void *arg, bool ok, uint64_t rtt, const char *why)
{
	struct svc *s = arg;

	s->probe = NULL;
	s->probe_ok = ok;
	s->probe_rtt = rtt;
	s->probe_why = why;
	if (ok)
		s->probes_ok++;
	else {
		s->probes_failed++;
		log_rl_debug(&s->rl, ev_now(hd.loop), "service %s: probe "
		    "failed: %s", s->c.name, why);
	}
	round_result(s);
}

static void
round_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct svc *s = arg;
	int rc;

	(void)revents;
	ev_timer_add(loop, s->c.interval_ms, round_cb, s, &s->round);
	check_drain_file(s);
	if (!s->c.probe) {
		round_result(s);
		return;
	}
	if (s->probe != NULL)
		return;		/* still running (cannot outlive its timeout) */
	rc = hk_probe_start(loop, &s->c.probe_ss, s->c.probe_sslen,
	    s->c.probe_pool, s->c.timeout_ms, probe_cb, s, &s->probe);
	if (rc != 0) {
		s->probe = NULL;
		probe_cb(s, false, 0, strerror(-rc));
	}
}

static void
ctl_event(void *arg, enum hk_ctl_event ev)
{
	struct svc *s = arg;

	switch (ev) {
	case HK_CTL_UP:
		log_info("service %s: registrar control socket up%s",
		    s->c.name, hk_ctl_synced(s->ctl) ? "" :
		    " (not synchronized)");
		break;
	case HK_CTL_LOST:
		log_info("service %s: registrar control connection lost",
		    s->c.name);
		svc_step(s, HS_EV_LOST);
		break;
	case HK_CTL_SYNC:
		log_info("service %s: registrar %s", s->c.name,
		    hk_ctl_synced(s->ctl) ? "synchronized" :
		    "no longer synchronized");
		if (!hk_ctl_synced(s->ctl) && s->c.require_sync)
			svc_step(s, HS_EV_LOST);
		break;
	}
}

/* Start: reconcile what is there with what we believe (nothing yet). */
static int
svc_start(struct svc *s, const struct hc_service *c)
{
	char a[INET6_ADDRSTRLEN + 8];
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	s->c = *c;
	s->last_ttw_ms = s->last_frr_ms = -1;
	s->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 10000);
	hs_init(&s->sm, &s->c.sm, ev_now(hd.loop));
	if ((s->ifindex = if_nametoindex(c->ifname)) == 0) {
		log_warn("service %s: interface %s", c->name, c->ifname);
		return -ENODEV;
	}
	for (i = 0; i < c->nprefix; i++) {
		rt_prefix_str(&c->prefix[i], a, sizeof(a));
		if (nl_addr_get(hd.nl, s->ifindex, &c->prefix[i], NULL) == 0) {
			log_info("service %s: removing %s found on %s: not "
			    "known to be healthy yet", c->name, a, c->ifname);
			if ((rc = nl_addr_del(hd.nl, s->ifindex,
			    &c->prefix[i])) != 0)
				log_warnx("service %s: removing %s: %s",
				    c->name, a, strerror(-rc));
		}
		/* The probe must reach the registrar before we announce. */
		if ((rc = nl_local_route_add(hd.nl, s->ifindex,
		    &c->prefix[i])) != 0)
			log_warnx("service %s: local route for %s: %s",
			    c->name, a, strerror(-rc));
	}
	if ((rc = frr_q_new(hd.loop, &hd.frr, &s->fq)) != 0)
		return rc;
	if (c->routing == HC_ROUTING_BGP && c->bgp_network)
		queue_networks(s);
	set_scope(s);
	set_attrs(s, false);
	if (c->registrar_ctl[0] != '\0' &&
	    (rc = hk_ctl_new(hd.loop, c->registrar_ctl,
	    c->interval_ms > 1000 ? c->interval_ms : 1000, ctl_event, s,
	    &s->ctl)) != 0)
		return rc;
	return ev_timer_add(hd.loop, 0, round_cb, s, &s->round);
}

static void
svc_stop(struct svc *s)
{
	size_t i;

	svc_step(s, HS_EV_STOP);
	for (i = 0; i < s->c.nprefix; i++)
		nl_local_route_del(hd.nl, s->ifindex, &s->c.prefix[i]);
	hk_probe_cancel(s->probe);
	s->probe = NULL;
	hk_ctl_free(s->ctl);
	s->ctl = NULL;
	frr_q_free(s->fq);	/* kills a vtysh still running */
	s->fq = NULL;
	ev_cancel(&s->round);
	ev_cancel(&s->refresh);
	ev_cancel(&s->smtimer);
	ev_cancel(&s->confirm);
}

/* Control socket -------------------------------------------------------- */

static json_t *
svc_json(const struct svc *s)
{
	uint64_t now = ev_now(hd.loop), dl;
	char a[INET6_ADDRSTRLEN + 8];
	json_t *o = json_object(), *pf = json_array(), *ck = json_object();
	size_t i;

	for (i = 0; i < s->c.nprefix; i++)
		json_array_append_new(pf, json_string(rt_prefix_str(
		    &s->c.prefix[i], a, sizeof(a))));
	json_object_set_new(o, "name", json_string(s->c.name));
	json_object_set_new(o, "state", json_string(hs_state_name(
	    s->sm.state)));
	json_object_set_new(o, "since_s", json_integer((json_int_t)
	    ((now - s->sm.since) / 1000)));
	json_object_set_new(o, "prefixes", pf);
	if (s->c.probe) {
		json_object_set_new(ck, "probe_ok", json_boolean(s->probe_ok));
		json_object_set_new(ck, "probe_rtt_ms", json_integer(
		    (json_int_t)s->probe_rtt));
		if (!s->probe_ok && s->probe_why != NULL)
			json_object_set_new(ck, "probe_error",
			    json_string(s->probe_why));
		json_object_set_new(ck, "probes_ok", json_integer(
		    (json_int_t)s->probes_ok));
		json_object_set_new(ck, "probes_failed", json_integer(
		    (json_int_t)s->probes_failed));
	}
	if (s->ctl != NULL) {
		json_object_set_new(ck, "registrar_up", json_boolean(
		    hk_ctl_up(s->ctl)));
		json_object_set_new(ck, "synchronized", json_boolean(
		    hk_ctl_synced(s->ctl)));
		json_object_set_new(ck, "registrar_losses", json_integer(
		    (json_int_t)hk_ctl_losses(s->ctl)));
	}
	json_object_set_new(o, "checks", ck);
	json_object_set_new(o, "ok_count", json_integer(s->sm.ok_count));
	json_object_set_new(o, "fail_count", json_integer(s->sm.fail_count));
	json_object_set_new(o, "holddown_ms", json_integer((json_int_t)
	    hs_holddown(&s->sm, &s->c.sm, now)));
	dl = hs_next_deadline(&s->sm, &s->c.sm, now);
	json_object_set_new(o, "next_change_ms", json_integer(dl > now ?
	    (json_int_t)(dl - now) : 0));
	json_object_set_new(o, "draining", json_boolean(s->sm.drain));
	json_object_set_new(o, "transitions", json_integer((json_int_t)
	    s->sm.transitions));
	json_object_set_new(o, "announces", json_integer((json_int_t)
	    s->sm.announces));
	json_object_set_new(o, "withdrawals", json_integer((json_int_t)
	    s->sm.withdrawals));
	json_object_set_new(o, "flaps", json_integer((json_int_t)
	    s->sm.flaps));
	json_object_set_new(o, "last_time_to_withdraw_ms", json_integer(
	    s->last_ttw_ms));
	json_object_set_new(o, "last_frr_withdraw_ms", json_integer(
	    s->last_frr_ms));
	json_object_set_new(o, "frr_errors", json_integer((json_int_t)
	    s->frr_errors));
	json_object_set_new(o, "frr_pending", json_integer((json_int_t)
	    (s->fq != NULL ? frr_q_pending(s->fq) : 0)));
	return o;
}

static json_t *
error_json(const char *msg)
{
	json_t *o = json_object(), *c = json_array();

	json_object_set_new(o, "error", json_string(msg));
	json_array_append_new(c, json_string("show summary"));
	json_array_append_new(c, json_string("show services"));
	json_array_append_new(c, json_string("drain [SERVICE]"));
	json_array_append_new(c, json_string("undrain [SERVICE]"));
	json_array_append_new(c, json_string("help"));
	json_object_set_new(o, "commands", c);
	return o;
}

static json_t *
cmd_drain(int argc, char **argv, bool drain)
{
	json_t *o = json_object(), *names = json_array();
	size_t i, n = 0;

	if (argc > 2) {
		json_decref(o);
		json_decref(names);
		return error_json("usage: drain|undrain [SERVICE]");
	}
	for (i = 0; i < hd.nsvc; i++) {
		struct svc *s = hd.svc[i];

		if (argc == 2 && strcmp(argv[1], s->c.name) != 0)
			continue;
		n++;
		json_array_append_new(names, json_string(s->c.name));
		s->ctl_drain = drain;
		log_info("service %s: %s requested on the control socket",
		    s->c.name, drain ? "drain" : "undrain");
		if (drain)
			svc_step(s, HS_EV_DRAIN);
		else if (!s->file_drain)
			svc_step(s, HS_EV_UNDRAIN);
	}
	if (n == 0) {
		json_decref(o);
		json_decref(names);
		return error_json("no such service");
	}
	json_object_set_new(o, drain ? "drained" : "undrained", names);
	return o;
}

static json_t *
ctl_command(char *line)
{
	char *argv[8], *save = NULL, *w;
	json_t *o, *a;
	int argc = 0;
	size_t i;

	for (w = strtok_r(line, " \t\r", &save); w != NULL && argc < 8;
	    w = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = w;
	if (argc == 0)
		return error_json("empty request");
	if (argc == 2 && strcmp(argv[0], "show") == 0 &&
	    strcmp(argv[1], "services") == 0) {
		o = json_object();
		a = json_array();
		for (i = 0; i < hd.nsvc; i++)
			json_array_append_new(a, svc_json(hd.svc[i]));
		json_object_set_new(o, "services", a);
		return o;
	}
	if (argc == 2 && strcmp(argv[0], "show") == 0 &&
	    strcmp(argv[1], "summary") == 0) {
		json_t *s = json_object();
		size_t up = 0;

		for (i = 0; i < hd.nsvc; i++)
			up += hd.svc[i]->sm.state == HS_ANNOUNCED ||
			    hd.svc[i]->sm.state == HS_DRAINING;
		json_object_set_new(s, "daemon", json_string("healthd"));
		json_object_set_new(s, "uptime_s", json_integer((json_int_t)
		    ((ev_now(hd.loop) - hd.started) / 1000)));
		json_object_set_new(s, "services", json_integer(
		    (json_int_t)hd.nsvc));
		json_object_set_new(s, "announced", json_integer(
		    (json_int_t)up));
		json_object_set_new(s, "config_reloads", json_integer(
		    (json_int_t)hd.reloads));
		json_object_set_new(s, "config_reload_failures", json_integer(
		    (json_int_t)hd.reload_failures));
		o = json_object();
		json_object_set_new(o, "summary", s);
		return o;
	}
	if (strcmp(argv[0], "drain") == 0)
		return cmd_drain(argc, argv, true);
	if (strcmp(argv[0], "undrain") == 0)
		return cmd_drain(argc, argv, false);
	if (argc == 1 && strcmp(argv[0], "help") == 0) {
		o = error_json("");
		json_object_del(o, "error");
		return o;
	}
	return error_json("unknown command");
}

static void
client_close(struct ctl_client *c)
{
	ev_cancel(&c->io);
	ev_cancel(&c->idle);
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->inlen = 0;
}

static void
client_idle(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)revents;
	client_close(arg);
}

static void
client_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct ctl_client *c = arg;
	json_t *reply;
	char *nl, *txt;
	ssize_t n;

	(void)revents;
	n = recv(c->fd, c->in + c->inlen, CTL_LINE_MAX - c->inlen, 0);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			client_close(c);
		return;
	}
	c->inlen += (size_t)n;
	ev_timer_add(loop, CTL_IDLE_MS, client_idle, c, &c->idle);
	while (c->fd != -1 && (nl = memchr(c->in, '\n', c->inlen)) != NULL) {
		*nl = '\0';
		reply = ctl_command(c->in);
		txt = json_dumps(reply, JSON_COMPACT);
		json_decref(reply);
		c->inlen -= (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, c->inlen);
		if (txt == NULL) {
			client_close(c);
			return;
		}
		/*
		 * Replies are small; the socket has a send timeout, so a
		 * client that does not read costs at most that.
		 */
		if (send(c->fd, txt, strlen(txt), MSG_NOSIGNAL) < 0 ||
		    send(c->fd, "\n", 1, MSG_NOSIGNAL) < 0)
			client_close(c);
		free(txt);
	}
	if (c->fd != -1 && c->inlen == CTL_LINE_MAX)
		client_close(c);	/* request too long */
}

static void
ctl_accept(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct timeval tv = { 1, 0 };
	struct ctl_client *c = NULL;
	size_t i;
	int fd;

	(void)arg;
	(void)revents;
	if ((fd = accept4(hd.ctl_fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (hd.clients[i].fd == -1) {
			c = &hd.clients[i];
			break;
		}
	if (c == NULL) {
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->fd = fd;
	c->inlen = 0;
	if (ev_fd_add(loop, fd, EV_READ, client_io, c, &c->io) != 0 ||
	    ev_timer_add(loop, CTL_IDLE_MS, client_idle, c, &c->idle) != 0)
		client_close(c);
}

static int
ctl_open(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	size_t i;
	int fd, rc;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		hd.clients[i].fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -errno;
	(void)unlink(path);
	old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc == -1 || listen(fd, 8) == -1) {
		rc = -errno;
		close(fd);
		return rc;
	}
	hd.ctl_fd = fd;
	return ev_fd_add(hd.loop, fd, EV_READ, ctl_accept, NULL, &hd.ctl_io);
}

static void
ctl_close_all(void)
{
	size_t i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (hd.clients[i].fd != -1)
			client_close(&hd.clients[i]);
	ev_cancel(&hd.ctl_io);
	if (hd.ctl_fd != -1) {
		close(hd.ctl_fd);
		unlink(hd.conf.control_socket);
	}
	hd.ctl_fd = -1;
}

/* Main ------------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr, "usage: healthd [-dnv] [-f file]\n");
	exit(2);
}

static void
on_stop(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)arg;
	(void)revents;
	log_info("stopping: withdrawing every service");
	(void)sd_notify_msg("STOPPING=1");
	ev_break(loop);
}

/* Prometheus metrics ---------------------------------------------------- */

/* Served by lib/metrics_http.c inside the event loop, as registrard's. */
static struct {
	struct metrics_http	*h;	/* NULL: exporter off */
} mx;

/* A label value with \, " and newline escaped. */
static void
mx_label(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
mx_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP anypool_healthd_%s %s\n# TYPE anypool_healthd_%s "
	    "%s\n", name, help, name, type);
}

static void
mx_svc(FILE *f, const char *name, const struct svc *s, const char *check,
    long long v)
{
	fprintf(f, "anypool_healthd_%s{service=\"", name);
	mx_label(f, s->c.name);
	if (check != NULL)
		fprintf(f, "\",check=\"%s", check);
	fprintf(f, "\"} %lld\n", v);
}

static int
mx_render(char **ret_buf, size_t *ret_len)
{
	uint64_t now = ev_now(hd.loop);
	FILE *f;
	size_t i;

	if ((f = open_memstream(ret_buf, ret_len)) == NULL)
		return -errno;
	mx_head(f, "service_state", "gauge", "0 withdrawn, 1 announced, "
	    "2 draining, 3 drained, 4 stopped.");
	for (i = 0; i < hd.nsvc; i++) {
		const struct svc *s = hd.svc[i];
		int st;

		switch (s->sm.state) {
		case HS_ANNOUNCED:	st = 1; break;
		case HS_DRAINING:	st = 2; break;
		case HS_DRAINED:	st = 3; break;
		case HS_STOPPED:	st = 4; break;
		default:		st = 0; break;
		}
		mx_svc(f, "service_state", s, NULL, st);
	}
	mx_head(f, "transitions_total", "counter", "State changes.");
	for (i = 0; i < hd.nsvc; i++)
		mx_svc(f, "transitions_total", hd.svc[i], NULL,
		    (long long)hd.svc[i]->sm.transitions);
	mx_head(f, "holddown_ms", "gauge", "Current hold-down before an "
	    "announcement, in ms.");
	for (i = 0; i < hd.nsvc; i++)
		mx_svc(f, "holddown_ms", hd.svc[i], NULL,
		    (long long)hs_holddown(&hd.svc[i]->sm, &hd.svc[i]->c.sm,
		    now));
	mx_head(f, "last_withdraw_ms", "gauge", "Last time to withdraw: "
	    "first failure to address off, in ms (-1: none yet).");
	for (i = 0; i < hd.nsvc; i++)
		mx_svc(f, "last_withdraw_ms", hd.svc[i], NULL,
		    (long long)hd.svc[i]->last_ttw_ms);
	mx_head(f, "checks_failed_total", "counter", "Failed checks: ASAP "
	    "probes, registrar control connection losses.");
	for (i = 0; i < hd.nsvc; i++) {
		const struct svc *s = hd.svc[i];

		if (s->c.probe)
			mx_svc(f, "checks_failed_total", s, "probe",
			    (long long)s->probes_failed);
		if (s->ctl != NULL)
			mx_svc(f, "checks_failed_total", s, "registrar",
			    (long long)hk_ctl_losses(s->ctl));
	}
	mx_head(f, "config_reloads_total", "counter", "Configurations "
	    "reloaded on SIGHUP.");
	fprintf(f, "anypool_healthd_config_reloads_total %llu\n",
	    (unsigned long long)hd.reloads);
	mx_head(f, "config_reload_failures_total", "counter", "SIGHUP "
	    "reloads refused (the running configuration stayed).");
	fprintf(f, "anypool_healthd_config_reload_failures_total %llu\n",
	    (unsigned long long)hd.reload_failures);
	if (fclose(f) != 0) {
		free(*ret_buf);
		*ret_buf = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int
mx_render_cb(void *arg, char **ret_buf, size_t *ret_len)
{
	(void)arg;
	return mx_render(ret_buf, ret_len);
}

/* The exporter (lib/metrics_http.c), when the configuration asks for it. */
static int
mx_start(void)
{
	if (!hd.conf.metrics)
		return 0;
	mx.h = metrics_http_start(hd.loop, &hd.conf.metrics_ss, mx_render_cb,
	    NULL, "metrics");
	return mx.h != NULL ? 0 : -EADDRNOTAVAIL;
}

static void
mx_stop(void)
{
	metrics_http_stop(mx.h);
	mx.h = NULL;
}

/* SIGHUP: reload -------------------------------------------------------- */

static bool
prefixes_eq(const struct hc_service *a, const struct hc_service *b)
{
	size_t i;

	if (a->nprefix != b->nprefix || strcmp(a->ifname, b->ifname) != 0)
		return false;
	for (i = 0; i < a->nprefix; i++)
		if (!rt_prefix_eq(&a->prefix[i], &b->prefix[i]))
			return false;
	return true;
}

static bool
routing_eq(const struct hc_service *a, const struct hc_service *b)
{
	return a->routing == b->routing && a->bgp_asn == b->bgp_asn &&
	    a->bgp_network == b->bgp_network &&
	    strcmp(a->route_map, b->route_map) == 0 &&
	    a->ospf_metric == b->ospf_metric &&
	    a->ospf_drain_metric == b->ospf_drain_metric;
}

/*
 * Apply a changed configuration to a running service whose prefixes and
 * interface are the same (so its route stays where it is): thresholds and
 * timers take effect from now on, the state machine keeps its state and
 * counters, FRR gets the new attributes, a new registrar socket is
 * connected anew.
 */
static int
svc_update(struct svc *s, const struct hc_service *c)
{
	struct hc_service old = s->c;
	int rc;

	s->c = *c;
	if (strcmp(old.registrar_ctl, c->registrar_ctl) != 0 ||
	    (c->registrar_ctl[0] != '\0' && old.interval_ms != c->interval_ms)) {
		hk_ctl_free(s->ctl);
		s->ctl = NULL;
		if (c->registrar_ctl[0] != '\0' &&
		    (rc = hk_ctl_new(hd.loop, c->registrar_ctl,
		    c->interval_ms > 1000 ? c->interval_ms : 1000, ctl_event, s,
		    &s->ctl)) != 0)
			return rc;
	}
	if (!c->probe) {
		hk_probe_cancel(s->probe);
		s->probe = NULL;
	}
	if (old.interval_ms != c->interval_ms)
		ev_timer_add(hd.loop, c->interval_ms, round_cb, s, &s->round);
	if (strcmp(old.drain_file, c->drain_file) != 0 && s->file_drain) {
		/* The next round looks at the new file (if any) afresh. */
		s->file_drain = false;
		if (!s->ctl_drain)
			svc_step(s, HS_EV_UNDRAIN);
	}
	/* A new lifetime reaches the kernel with the next refresh: now. */
	if (ev_pending(&s->refresh) && (old.lifetime_s != c->lifetime_s ||
	    old.refresh_ms != c->refresh_ms))
		refresh_cb(hd.loop, s, EV_TIMER);
	if (!routing_eq(&old, c)) {
		if (c->routing == HC_ROUTING_BGP && c->bgp_network)
			queue_networks(s);
		set_attrs(s, s->drain_attrs);
	}
	if (old.scope_local != c->scope_local || old.routing != c->routing)
		set_scope(s);
	/* New thresholds or hold-downs: re-arm the state machine's timer. */
	svc_step(s, HS_EV_TIMER);
	return 0;
}

/* The running service of that name (reload() clears removed ones). */
static struct svc *
svc_find_kept(const char *name)
{
	size_t i;

	for (i = 0; i < hd.nsvc; i++)
		if (hd.svc[i] != NULL && strcmp(hd.svc[i]->c.name, name) == 0)
			return hd.svc[i];
	return NULL;
}

static bool
svc_find_in(const struct health_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nsvc; i++)
		if (strcmp(c->svc[i].name, name) == 0)
			return true;
	return false;
}

/* Log what hconf_parse() printed, one "file:line: what" per line. */
static void
log_conf_errors(char *buf)
{
	char *line, *save = NULL;

	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		log_warnx("reload: %s", line);
}

/*
 * Parse into a new configuration, and only if all of it is good apply the
 * difference (STYLE.md): an unchanged service is not touched (its route
 * stays, no withdraw / announce), a changed one is updated in place unless
 * its prefixes or interface changed (then it is withdrawn and started
 * anew, withdrawn), a removed one is withdrawn, a new one starts withdrawn
 * like every service at start.
 */
static void
reload(void)
{
	struct health_config *nc;
	struct svc *keep[HC_MAX_SERVICES] = { 0 }, *s;
	char *ebuf = NULL;
	size_t elen = 0, i, j, nkeep = 0;
	FILE *ef;
	int rc;

	if ((nc = malloc(sizeof(*nc))) == NULL ||
	    (ef = open_memstream(&ebuf, &elen)) == NULL) {
		free(nc);
		hd.reload_failures++;
		log_warnx("reload: out of memory; configuration unchanged");
		return;
	}
	rc = hconf_parse(hd.file, ef, nc);
	fclose(ef);
	if (rc != 0) {
		log_conf_errors(ebuf);
		free(ebuf);
		free(nc);
		hd.reload_failures++;
		log_warnx("reload: %s has errors; the running configuration "
		    "stays", hd.file);
		return;
	}
	free(ebuf);
	/* Global settings. */
	snprintf(hd.frr.vtysh, sizeof(hd.frr.vtysh), "%s", nc->vtysh);
	snprintf(hd.frr.vty_socket, sizeof(hd.frr.vty_socket), "%s",
	    nc->vty_socket);
	hd.frr.timeout_ms = nc->vtysh_timeout_ms;
	for (i = 0; i < hd.nsvc; i++)
		frr_q_set(hd.svc[i]->fq, &hd.frr);
	if (strcmp(nc->control_socket, hd.conf.control_socket) != 0) {
		ctl_close_all();
		if ((rc = ctl_open(nc->control_socket)) != 0)
			log_warnx("reload: control socket %s: %s",
			    nc->control_socket, strerror(-rc));
	}
	if (nc->metrics != hd.conf.metrics || (nc->metrics &&
	    (nc->metrics_sslen != hd.conf.metrics_sslen ||
	    memcmp(&nc->metrics_ss, &hd.conf.metrics_ss,
	    nc->metrics_sslen) != 0))) {
		mx_stop();
		hd.conf.metrics = nc->metrics;
		hd.conf.metrics_ss = nc->metrics_ss;
		hd.conf.metrics_sslen = nc->metrics_sslen;
		if ((rc = mx_start()) != 0)
			log_warnx("reload: metrics: cannot serve on the "
			    "configured address: %s; exporter off",
			    strerror(-rc));
	}
	/* Services: removed ones first, so a renamed prefix is free. */
	for (i = 0; i < hd.nsvc; i++) {
		s = hd.svc[i];
		for (j = 0; j < nc->nsvc; j++)
			if (strcmp(nc->svc[j].name, s->c.name) == 0 &&
			    prefixes_eq(&nc->svc[j], &s->c))
				break;
		if (j == nc->nsvc) {
			log_info("service %s: %s by the new configuration",
			    s->c.name, svc_find_in(nc, s->c.name) ? "prefixes "
			    "changed" : "removed");
			svc_stop(s);
			free(s);
			hd.svc[i] = NULL;
		}
	}
	for (j = 0; j < nc->nsvc; j++) {
		const struct hc_service *c = &nc->svc[j];

		s = svc_find_kept(c->name);
		if (s != NULL) {
			if (memcmp(&s->c, c, sizeof(*c)) != 0) {
				log_info("service %s: configuration changed: "
				    "applied without a withdrawal", c->name);
				if ((rc = svc_update(s, c)) != 0)
					log_warnx("service %s: %s", c->name,
					    strerror(-rc));
			}
		} else {
			if ((s = calloc(1, sizeof(*s))) == NULL)
				fatal("reload");
			if ((rc = svc_start(s, c)) != 0) {
				log_warnx("service %s: %s; not started",
				    c->name, strerror(-rc));
				svc_stop(s);
				free(s);
				continue;
			}
			log_info("service %s: added (starts withdrawn)",
			    c->name);
		}
		keep[nkeep++] = s;
	}
	memcpy(hd.svc, keep, sizeof(keep));
	hd.nsvc = nkeep;
	hd.conf = *nc;
	free(nc);
	hd.reloads++;
	hd.last_reload = ev_now(hd.loop);
	log_info("reload: %s applied: %zu service(s)", hd.file, hd.nsvc);
}

static void
on_hup(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)arg;
	(void)revents;
	log_info("SIGHUP: reloading %s", hd.file);
	reload();
}

int
main(int argc, char **argv)
{
	const char *file = DEFAULT_CONF;
	bool foreground = false, check = false;
	int ch, verbose = 0, rc;
	size_t i;

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			foreground = true;
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	hd.file = file;
	if (hconf_parse(file, NULL, &hd.conf) != 0)
		return 1;
	if (check) {
		hconf_print(stdout, &hd.conf);
		return 0;
	}
	log_init("healthd", foreground, verbose);
	if (!foreground && daemon(0, 0) == -1)
		fatal("daemon");
	signal(SIGPIPE, SIG_IGN);
	if ((hd.loop = ev_loop_new()) == NULL)
		fatal("event loop");
	hd.started = ev_now(hd.loop);
	if ((rc = nl_open(&hd.nl)) != 0)
		fatalx("netlink: %s", strerror(-rc));
	frr_init(&hd.frr);
	snprintf(hd.frr.vtysh, sizeof(hd.frr.vtysh), "%s", hd.conf.vtysh);
	snprintf(hd.frr.vty_socket, sizeof(hd.frr.vty_socket), "%s",
	    hd.conf.vty_socket);
	hd.frr.timeout_ms = hd.conf.vtysh_timeout_ms;
	if ((rc = ctl_open(hd.conf.control_socket)) != 0)
		fatalx("control socket %s: %s", hd.conf.control_socket,
		    strerror(-rc));
	/* As registrard: a monitoring problem must not stop the service. */
	if ((rc = mx_start()) != 0)
		log_warnx("metrics: cannot serve on the configured address: "
		    "%s; exporter off", strerror(-rc));
	if (ev_signal_add(hd.loop, SIGTERM, on_stop, NULL, &hd.sig_term) != 0 ||
	    ev_signal_add(hd.loop, SIGINT, on_stop, NULL, &hd.sig_int) != 0 ||
	    ev_signal_add(hd.loop, SIGHUP, on_hup, NULL, &hd.sig_hup) != 0)
		fatal("signals");
	for (i = 0; i < hd.conf.nsvc; i++) {
		if ((hd.svc[i] = calloc(1, sizeof(*hd.svc[i]))) == NULL)
			fatal("service");
		if ((rc = svc_start(hd.svc[i], &hd.conf.svc[i])) != 0)
			fatalx("service %s: %s", hd.conf.svc[i].name,
			    strerror(-rc));
		hd.nsvc++;
	}
	log_info("started: %zu service(s)", hd.nsvc);
	(void)sd_notify_msg("READY=1");
	ev_run(hd.loop);
	for (i = 0; i < hd.nsvc; i++)
		svc_stop(hd.svc[i]);
	ctl_close_all();
	mx_stop();
	ev_cancel(&hd.sig_term);
	ev_cancel(&hd.sig_int);
	ev_cancel(&hd.sig_hup);
	while (ev_run_once(hd.loop, 0) > 0)
		;	/* deferred probe reports */
	for (i = 0; i < hd.nsvc; i++)
		free(hd.svc[i]);
	ev_loop_free(hd.loop);
	nl_close(hd.nl);
	return 0;
}
