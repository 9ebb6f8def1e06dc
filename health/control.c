/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd's control socket: the commands anypoolctl sends it ("show
 * summary", "show services", "drain [SERVICE]", "undrain [SERVICE]",
 * "help"), each answered with one JSON document; errors are {"error":
 * "..."} with "commands", the list of known ones.  The socket itself, its
 * limits and its replies to a misbehaving client are lib/ctlsock.c's, the
 * same as registrard's.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "health/healthd.h"

static struct ctlsock	*ctl;	/* NULL: not open */

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
	json_object_set_new(o, "state", json_string(hsm_state_name(
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
	if (s->c.ncheck_exec > 0) {
		json_t *xa = json_array();

		for (i = 0; i < s->c.ncheck_exec; i++) {
			const struct svc_xcheck *x = &s->xc[i];
			json_t *xo = json_object();

			json_object_set_new(xo, "command", json_string(
			    s->c.check_exec[i].args));
			json_object_set_new(xo, "ok", json_boolean(x->ok));
			if (!x->ok)
				json_object_set_new(xo, "error",
				    json_string(x->why));
			json_object_set_new(xo, "runs", json_integer(
			    (json_int_t)x->runs));
			json_object_set_new(xo, "failures", json_integer(
			    (json_int_t)x->failures));
			json_object_set_new(xo, "last_ms", json_integer(
			    (json_int_t)x->last_ms));
			json_array_append_new(xa, xo);
		}
		json_object_set_new(ck, "exec", xa);
	}
	json_object_set_new(o, "checks", ck);
	json_object_set_new(o, "ok_count", json_integer(s->sm.ok_count));
	json_object_set_new(o, "fail_count", json_integer(s->sm.fail_count));
	json_object_set_new(o, "holddown_ms", json_integer((json_int_t)
	    hsm_holddown(&s->sm, &s->c.sm, now)));
	dl = hsm_next_deadline(&s->sm, &s->c.sm, now);
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
	if (s->c.notify.argc > 0) {
		json_object_set_new(o, "notify_runs", json_integer(
		    (json_int_t)s->notify_runs));
		json_object_set_new(o, "notify_failures", json_integer(
		    (json_int_t)s->notify_failures));
	}
	return o;
}

/* H-hcover: a covering prefix, its state and services. */
static json_t *
cover_json(const struct cover *cv)
{
	char a[INET6_ADDRSTRLEN + 8];
	json_t *o = json_object(), *sv = json_array();
	size_t i;

	for (i = 0; i < cv->c.nsvc; i++)
		json_array_append_new(sv, json_string(cv->c.svc[i]));
	json_object_set_new(o, "prefix", json_string(rt_prefix_str(
	    &cv->c.prefix, a, sizeof(a))));
	json_object_set_new(o, "state", json_string(cover_state_name(
	    cv->state)));
	json_object_set_new(o, "since_s", json_integer((json_int_t)
	    ((ev_now(hd.loop) - cv->since) / 1000)));
	json_object_set_new(o, "services", sv);
	json_object_set_new(o, "route_map", json_string(cv->c.route_map));
	json_object_set_new(o, "changes", json_integer((json_int_t)
	    cv->changes));
	json_object_set_new(o, "frr_errors", json_integer((json_int_t)
	    cv->frr_errors));
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
			svc_step(s, HSM_EV_DRAIN);
		else if (!s->file_drain)
			svc_step(s, HSM_EV_UNDRAIN);
	}
	if (n == 0) {
		json_decref(o);
		json_decref(names);
		return error_json("no such service");
	}
	json_object_set_new(o, drain ? "drained" : "undrained", names);
	return o;
}

/* One request line: a JSON document, never NULL. */
static json_t *
ctl_command(const char *request)
{
	char line[CTLSOCK_LINE_MAX + 1], *argv[8], *save = NULL, *w;
	json_t *o, *a;
	int argc = 0;
	size_t i;

	snprintf(line, sizeof(line), "%s", request);
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
		if (hd.ncover > 0) {
			a = json_array();
			for (i = 0; i < hd.ncover; i++)
				json_array_append_new(a, cover_json(
				    hd.cover[i]));
			json_object_set_new(o, "covers", a);
		}
		return o;
	}
	if (argc == 2 && strcmp(argv[0], "show") == 0 &&
	    strcmp(argv[1], "summary") == 0) {
		json_t *s = json_object();
		size_t up = 0;

		for (i = 0; i < hd.nsvc; i++)
			up += hd.svc[i]->sm.state == HSM_ANNOUNCED ||
			    hd.svc[i]->sm.state == HSM_DRAINING;
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

/* lib/ctlsock.c's command callback. */
static char *
ctl_answer(void *arg, const char *line)
{
	(void)arg;
	return ctlsock_json_text(ctl_command(line));
}

int
control_set(const char *path)
{
	char err[256];
	int rc;

	if (ctl == NULL)
		rc = ctlsock_open(hd.loop, path, ctl_answer, NULL, &ctl, err,
		    sizeof(err));
	else if (strcmp(ctlsock_path(ctl), path) == 0)
		return 0;
	else if ((rc = ctlsock_move(ctl, path, err, sizeof(err))) == 0)
		log_info("control socket moved to %s", path);
	if (rc != 0)
		log_warnx("control socket: %s%s%s", err, ctl != NULL ?
		    "; keeping " : "", ctl != NULL ? ctlsock_path(ctl) : "");
	return rc;
}

void
control_close(void)
{
	ctlsock_close(ctl);
	ctl = NULL;
}
