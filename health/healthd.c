/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd: announces an anycast registrar's service address only while the
 * local registrar can serve, and withdraws it the moment it cannot.  This
 * file runs the daemon and each service's life cycle: it runs the checks
 * (health/check.c), feeds their results to the state machine
 * (health/state.c) and hands its actions to route.c (the address on lo
 * with a lifetime it keeps refreshing, FRR's attributes through a
 * per-service queue of vtysh runs that never blocks the loop).  At start
 * a service reconciles: an address found but not believed in is removed,
 * and the FRR statements it manages are put back into their normal state.
 * The control socket (control.c, like registrard's, so anypoolctl drives
 * it) shows state and takes drain/undrain; "metrics listen" adds a
 * Prometheus exporter (metrics.c); SIGHUP reloads (reload.c).  Flags as
 * every anypool daemon: -d -n -v -f FILE.  SIGTERM/SIGINT withdraw and
 * exit.  With NOTIFY_SOCKET set it tells systemd when it is ready
 * (Type=notify).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sdnotify.h"
#include "health/healthd.h"

#define DEFAULT_CONF		"/etc/anypool/healthd.conf"

struct healthd	hd;

/* The state machine ------------------------------------------------------ */

static void
smtimer_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)revents;
	svc_step(arg, HSM_EV_TIMER);
}

/* Why the state machine moved, in the words of a log line and of
 * ANYPOOL_REASON. */
static const char *
step_why(enum hsm_event ev, enum hsm_state to)
{
	switch (ev) {
	case HSM_EV_CHECK_OK:	return "checks passed";
	case HSM_EV_CHECK_FAIL:	return "checks failed";
	case HSM_EV_LOST:	return "registrar lost";
	case HSM_EV_TIMER:	return to == HSM_DRAINED ? "drained" :
				    "hold-down over";
	case HSM_EV_DRAIN:	return "drain";
	case HSM_EV_UNDRAIN:	return "undrain";
	case HSM_EV_STOP:	return "stopping";
	}
	return "?";
}

void
svc_step(struct svc *s, enum hsm_event ev)
{
	uint64_t now = ev_now(hd.loop), dl;
	enum hsm_state before = s->sm.state;
	unsigned int act;

	if ((ev == HSM_EV_CHECK_FAIL || ev == HSM_EV_LOST) &&
	    s->fail_since == 0)
		s->fail_since = now;
	if (ev == HSM_EV_CHECK_OK)
		s->fail_since = 0;
	act = hsm_step(&s->sm, &s->c.sm, ev, now);
	if (act & HSM_ACT_DRAIN_ATTRS)
		route_attrs(s, true);
	if (act & HSM_ACT_NORMAL_ATTRS)
		route_attrs(s, false);
	if (act & HSM_ACT_WITHDRAW)
		route_withdraw(s, step_why(ev, s->sm.state));
	if (act & HSM_ACT_ANNOUNCE)
		route_announce(s);
	if (s->sm.state != before) {
		log_debug("service %s: %s -> %s", s->c.name,
		    hsm_state_name(before), hsm_state_name(s->sm.state));
		/* After the route change: the command only reports it. */
		notify_change(s, before, s->sm.state, step_why(ev,
		    s->sm.state));
		cover_sync();
	}
	dl = hsm_next_deadline(&s->sm, &s->c.sm, now);
	if (dl != 0)
		ev_timer_add_at(hd.loop, dl, smtimer_cb, s, &s->smtimer);
	else
		ev_cancel(&s->smtimer);
}


/* Checks and life cycle ------------------------------------------------ */

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
		svc_step(s, HSM_EV_DRAIN);
	else if (!s->ctl_drain)
		svc_step(s, HSM_EV_UNDRAIN);
}

static void
round_result(struct svc *s)
{
	bool ok = (!s->c.probe || s->probe_ok) && registrar_ok(s) &&
	    xcheck_ok(s);

	svc_step(s, ok ? HSM_EV_CHECK_OK : HSM_EV_CHECK_FAIL);
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
	rc = hk_probe_start_svc(loop, &s->c, probe_cb, s, &s->probe);
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
		svc_step(s, HSM_EV_LOST);
		break;
	case HK_CTL_SYNC:
		log_info("service %s: registrar %s", s->c.name,
		    hk_ctl_synced(s->ctl) ? "synchronized" :
		    "no longer synchronized");
		if (!hk_ctl_synced(s->ctl) && s->c.require_sync)
			svc_step(s, HSM_EV_LOST);
		break;
	}
}

/* Start: reconcile what is there with what we believe (nothing yet). */
struct svc *
svc_find(const char *name)
{
	size_t i;

	for (i = 0; i < hd.nsvc; i++)
		if (hd.svc[i] != NULL && strcmp(hd.svc[i]->c.name, name) == 0)
			return hd.svc[i];
	return NULL;
}

int
svc_start(struct svc *s, const struct hc_service *c)
{
	char a[INET6_ADDRSTRLEN + 8];
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	s->c = *c;
	s->last_ttw_ms = s->last_frr_ms = -1;
	s->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 10000);
	hsm_init(&s->sm, &s->c.sm, ev_now(hd.loop));
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
		route_networks(s);
	route_scope(s);
	route_attrs(s, false);
	if (c->registrar_ctl[0] != '\0' &&
	    (rc = hk_ctl_new(hd.loop, c->registrar_ctl,
	    c->interval_ms > 1000 ? c->interval_ms : 1000, ctl_event, s,
	    &s->ctl)) != 0)
		return rc;
	xcheck_start(s);
	return ev_timer_add(hd.loop, 0, round_cb, s, &s->round);
}

void
svc_stop(struct svc *s)
{
	size_t i;

	svc_step(s, HSM_EV_STOP);
	for (i = 0; i < s->c.nprefix; i++)
		nl_local_route_del(hd.nl, s->ifindex, &s->c.prefix[i]);
	hk_probe_cancel(s->probe);
	s->probe = NULL;
	hk_ctl_free(s->ctl);
	s->ctl = NULL;
	xcheck_stop(s);
	frr_q_free(s->fq);	/* kills a vtysh still running */
	s->fq = NULL;
	ev_cancel(&s->round);
	ev_cancel(&s->refresh);
	ev_cancel(&s->smtimer);
	ev_cancel(&s->confirm);
}


static bool
routing_eq(const struct hc_service *a, const struct hc_service *b)
{
	return a->routing == b->routing && a->bgp_asn == b->bgp_asn &&
	    a->bgp_network == b->bgp_network &&
	    strcmp(a->route_map, b->route_map) == 0 &&
	    a->ospf_metric == b->ospf_metric &&
	    a->ospf_drain_metric == b->ospf_drain_metric &&
	    a->ospf_stub == b->ospf_stub &&
	    a->bgp_attrs_set == b->bgp_attrs_set &&
	    memcmp(a->bgp_attrs, b->bgp_attrs, sizeof(a->bgp_attrs)) == 0;
}

/*
 * Apply a changed configuration to a running service whose prefixes and
 * interface are the same (so its route stays where it is): thresholds and
 * timers take effect from now on, the state machine keeps its state and
 * counters, FRR gets the new attributes, a new registrar socket is
 * connected anew.
 */
int
svc_update(struct svc *s, const struct hc_service *c)
{
	struct hc_service old = s->c;
	int rc;

	s->c = *c;
	if (strcmp(old.registrar_ctl, c->registrar_ctl) != 0 ||
	    (c->registrar_ctl[0] != '\0' &&
	    old.interval_ms != c->interval_ms)) {
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
	xcheck_update(s, &old);
	if (strcmp(old.drain_file, c->drain_file) != 0 && s->file_drain) {
		/* The next round looks at the new file (if any) afresh. */
		s->file_drain = false;
		if (!s->ctl_drain)
			svc_step(s, HSM_EV_UNDRAIN);
	}
	/* A new lifetime reaches the kernel with the next refresh: now. */
	if (ev_pending(&s->refresh) && (old.lifetime_s != c->lifetime_s ||
	    old.refresh_ms != c->refresh_ms))
		route_refresh(s);
	if (!routing_eq(&old, c)) {
		if (c->routing == HC_ROUTING_BGP && c->bgp_network)
			route_networks(s);
		route_attrs(s, s->drain_attrs);
	}
	if (old.scope_local != c->scope_local || old.routing != c->routing)
		route_scope(s);
	/* New thresholds or hold-downs: re-arm the state machine's timer. */
	svc_step(s, HSM_EV_TIMER);
	return 0;
}


/* The daemon ------------------------------------------------------------ */

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


static void
on_hup(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)arg;
	(void)revents;
	log_info("SIGHUP: reloading %s", hd.file);
	reload_config();
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
	if (control_set(hd.conf.control_socket) != 0)
		fatalx("cannot open the control socket %s",
		    hd.conf.control_socket);
	/* As registrard: a monitoring problem must not stop the service. */
	if ((rc = metrics_start()) != 0)
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
	cover_start_all();
	(void)sd_notify_msg("READY=1");
	ev_run(hd.loop);
	for (i = 0; i < hd.nsvc; i++)
		svc_stop(hd.svc[i]);
	cover_stop_all();
	control_close();
	metrics_stop();
	ev_cancel(&hd.sig_term);
	ev_cancel(&hd.sig_int);
	ev_cancel(&hd.sig_hup);
	while (ev_run_once(hd.loop, 0) > 0)
		;	/* deferred probe reports */
	/* The "stopped" state-change commands: a bounded wait. */
	notify_finish(10000);
	for (i = 0; i < hd.nsvc; i++)
		free(hd.svc[i]);
	ev_loop_free(hd.loop);
	nl_close(hd.nl);
	return 0;
}

