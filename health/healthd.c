/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd: announces an anycast registrar's service address only while the
 * local registrar can serve, and withdraws it the moment it cannot.  Per
 * service it runs the checks (health/check.c), feeds their results to the
 * state machine (health/state.c) and carries out its actions through
 * routing/: the address on lo with a lifetime it keeps refreshing (so a
 * dead healthd withdraws by itself), FRR route-maps for drain.  At start it
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
	struct svc		 svc[HC_MAX_SERVICES];
	size_t			 nsvc;
	uint64_t		 started;
	int			 ctl_fd;
	struct ev_ref		 ctl_io;
	struct ctl_client	 clients[CTL_MAX_CLIENTS];
	struct ev_ref		 sig_term, sig_int, sig_hup;
} hd = { .ctl_fd = -1 };

static void	svc_step(struct svc *, enum hs_event);

/* Routing --------------------------------------------------------------- */

static void
frr_log(struct svc *s, const char *what, int rc, char *out)
{
	char *nl;

	if (rc == 0) {
		free(out);
		return;
	}
	s->frr_errors++;
	if (out != NULL && (nl = strchr(out, '\n')) != NULL && nl[1] == '\0')
		*nl = '\0';
	log_warnx("service %s: FRR %s failed: %s%s%s", s->c.name, what,
	    strerror(-rc), out != NULL && out[0] != '\0' ? ": " : "",
	    out != NULL ? out : "");
	free(out);
}

/* The route-map (and network statements) in the normal or drain state. */
static void
set_attrs(struct svc *s, bool drain)
{
	const char *comm;
	char *out = NULL;
	size_t i;
	int rc;

	switch (s->c.routing) {
	case HC_ROUTING_NONE:
		break;
	case HC_ROUTING_BGP:
		/* RFC 8326 GRACEFUL_SHUTDOWN; RFC 1997 NO_EXPORT if local. */
		if (drain)
			comm = s->c.scope_local ? "no-export graceful-shutdown" :
			    "graceful-shutdown";
		else
			comm = s->c.scope_local ? "no-export" : NULL;
		rc = frr_route_map_community(&hd.frr, s->c.route_map, comm,
		    &out);
		frr_log(s, "route-map", rc, out);
		/*
		 * Re-issuing the network statement applies the route-map now
		 * instead of after bgpd's route-map delay-timer (5 s).
		 */
		for (i = 0; s->c.bgp_asn != 0 && i < s->c.nprefix; i++) {
			out = NULL;
			rc = frr_bgp_network(&hd.frr, s->c.bgp_asn,
			    &s->c.prefix[i], s->c.route_map, &out);
			frr_log(s, "network statement", rc, out);
		}
		break;
	case HC_ROUTING_OSPF:
		rc = frr_route_map_metric(&hd.frr, s->c.route_map, drain ?
		    s->c.ospf_drain_metric : s->c.ospf_metric, &out);
		frr_log(s, "route-map metric", rc, out);
		break;
	}
	s->drain_attrs = drain;
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

/* Read FRR back until it no longer holds the prefixes: time-to-withdraw. */
static void
confirm_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct svc *s = arg;
	bool any = false, has;
	size_t i;

	(void)revents;
	for (i = 0; i < s->c.nprefix; i++) {
		if ((s->c.routing == HC_ROUTING_BGP ?
		    frr_bgp_has(&hd.frr, &s->c.prefix[i], &has) :
		    frr_rib_has(&hd.frr, &s->c.prefix[i], &has)) != 0)
			return;		/* FRR not answering: give up */
		any |= has;
	}
	if (!any) {
		s->last_frr_ms = (int64_t)(ev_now(loop) - s->withdrawn_at);
		log_info("service %s: FRR has withdrawn, %lld ms after the "
		    "address went", s->c.name, (long long)s->last_frr_ms);
		return;
	}
	if (ev_now(loop) - s->withdrawn_at < CONFIRM_MAX_MS)
		ev_timer_add(loop, CONFIRM_STEP_MS, confirm_cb, s,
		    &s->confirm);
}

static void
do_withdraw(struct svc *s, const char *why)
{
	char a[INET6_ADDRSTRLEN + 8];
	uint64_t now = ev_now(hd.loop);
	size_t i;
	int rc;

	ev_cancel(&s->refresh);
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

static void
do_announce(struct svc *s)
{
	if (s->drain_attrs)
		set_attrs(s, false);
	ev_cancel(&s->confirm);
	refresh_cb(hd.loop, s, EV_TIMER);
	log_info("service %s: announced", s->c.name);
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
	char a[INET6_ADDRSTRLEN + 8], *out = NULL;
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
	if (c->routing == HC_ROUTING_BGP && c->bgp_network)
		for (i = 0; i < c->nprefix; i++) {
			out = NULL;
			rc = frr_bgp_network(&hd.frr, c->bgp_asn, &c->prefix[i],
			    c->route_map, &out);
			frr_log(s, "network statement", rc, out);
		}
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
		struct svc *s = &hd.svc[i];

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
			json_array_append_new(a, svc_json(&hd.svc[i]));
		json_object_set_new(o, "services", a);
		return o;
	}
	if (argc == 2 && strcmp(argv[0], "show") == 0 &&
	    strcmp(argv[1], "summary") == 0) {
		json_t *s = json_object();
		size_t up = 0;

		for (i = 0; i < hd.nsvc; i++)
			up += hd.svc[i].sm.state == HS_ANNOUNCED ||
			    hd.svc[i].sm.state == HS_DRAINING;
		json_object_set_new(s, "daemon", json_string("healthd"));
		json_object_set_new(s, "uptime_s", json_integer((json_int_t)
		    ((ev_now(hd.loop) - hd.started) / 1000)));
		json_object_set_new(s, "services", json_integer(
		    (json_int_t)hd.nsvc));
		json_object_set_new(s, "announced", json_integer(
		    (json_int_t)up));
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
		const struct svc *s = &hd.svc[i];
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
		mx_svc(f, "transitions_total", &hd.svc[i], NULL,
		    (long long)hd.svc[i].sm.transitions);
	mx_head(f, "holddown_ms", "gauge", "Current hold-down before an "
	    "announcement, in ms.");
	for (i = 0; i < hd.nsvc; i++)
		mx_svc(f, "holddown_ms", &hd.svc[i], NULL,
		    (long long)hs_holddown(&hd.svc[i].sm, &hd.svc[i].c.sm, now));
	mx_head(f, "last_withdraw_ms", "gauge", "Last time to withdraw: "
	    "first failure to address off, in ms (-1: none yet).");
	for (i = 0; i < hd.nsvc; i++)
		mx_svc(f, "last_withdraw_ms", &hd.svc[i], NULL,
		    (long long)hd.svc[i].last_ttw_ms);
	mx_head(f, "checks_failed_total", "counter", "Failed checks: ASAP "
	    "probes, registrar control connection losses.");
	for (i = 0; i < hd.nsvc; i++) {
		const struct svc *s = &hd.svc[i];

		if (s->c.probe)
			mx_svc(f, "checks_failed_total", s, "probe",
			    (long long)s->probes_failed);
		if (s->ctl != NULL)
			mx_svc(f, "checks_failed_total", s, "registrar",
			    (long long)hk_ctl_losses(s->ctl));
	}
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

static void
on_hup(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)arg;
	(void)revents;
	log_warnx("SIGHUP: configuration reload is not supported yet; "
	    "restart healthd to apply changes");
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
		if ((rc = svc_start(&hd.svc[i], &hd.conf.svc[i])) != 0)
			fatalx("service %s: %s", hd.conf.svc[i].name,
			    strerror(-rc));
		hd.nsvc++;
	}
	log_info("started: %zu service(s)", hd.nsvc);
	(void)sd_notify_msg("READY=1");
	ev_run(hd.loop);
	for (i = 0; i < hd.nsvc; i++)
		svc_stop(&hd.svc[i]);
	ctl_close_all();
	mx_stop();
	ev_cancel(&hd.sig_term);
	ev_cancel(&hd.sig_int);
	ev_cancel(&hd.sig_hup);
	while (ev_run_once(hd.loop, 0) > 0)
		;	/* deferred probe reports */
	ev_loop_free(hd.loop);
	nl_close(hd.nl);
	return 0;
}
