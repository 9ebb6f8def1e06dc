/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd's Prometheus metrics (anypool_healthd_*): each service's state,
 * transitions, hold-down, last time to withdraw and failed checks, and the
 * reload counters, rendered for lib/metrics_http.c, which serves them in
 * the event loop as it does registrard's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_http.h"
#include "health/healthd.h"

/* Served by lib/metrics_http.c inside the event loop, as registrard's. */
static struct {
	struct metrics_http	*http;	/* NULL: exporter off */
} mx;

/* A label value with \, " and newline escaped. */
static void
metrics_label(FILE *f, const char *s)
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
metrics_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP anypool_healthd_%s %s\n# TYPE anypool_healthd_%s "
	    "%s\n", name, help, name, type);
}

static void
metrics_svc(FILE *f, const char *name, const struct svc *s, const char *check,
    long long v)
{
	fprintf(f, "anypool_healthd_%s{service=\"", name);
	metrics_label(f, s->c.name);
	if (check != NULL)
		fprintf(f, "\",check=\"%s", check);
	fprintf(f, "\"} %lld\n", v);
}

static int
metrics_render(char **ret_buf, size_t *ret_len)
{
	uint64_t now = ev_now(hd.loop);
	FILE *f;
	size_t i, n;

	if ((f = open_memstream(ret_buf, ret_len)) == NULL)
		return -errno;
	metrics_head(f, "service_state", "gauge", "0 withdrawn, 1 announced, "
	    "2 draining, 3 drained, 4 stopped.");
	for (i = 0; i < hd.nsvc; i++) {
		const struct svc *s = hd.svc[i];
		int st;

		switch (s->sm.state) {
		case HSM_ANNOUNCED:	st = 1; break;
		case HSM_DRAINING:	st = 2; break;
		case HSM_DRAINED:	st = 3; break;
		case HSM_STOPPED:	st = 4; break;
		default:		st = 0; break;
		}
		metrics_svc(f, "service_state", s, NULL, st);
	}
	metrics_head(f, "transitions_total", "counter", "State changes.");
	for (i = 0; i < hd.nsvc; i++)
		metrics_svc(f, "transitions_total", hd.svc[i], NULL,
		    (long long)hd.svc[i]->sm.transitions);
	metrics_head(f, "holddown_ms", "gauge", "Current hold-down before an "
	    "announcement, in ms.");
	for (i = 0; i < hd.nsvc; i++)
		metrics_svc(f, "holddown_ms", hd.svc[i], NULL,
		    (long long)hsm_holddown(&hd.svc[i]->sm, &hd.svc[i]->c.sm,
		    now));
	metrics_head(f, "last_withdraw_ms", "gauge", "Last time to withdraw: "
	    "first failure to address off, in ms (-1: none yet).");
	for (i = 0; i < hd.nsvc; i++)
		metrics_svc(f, "last_withdraw_ms", hd.svc[i], NULL,
		    (long long)hd.svc[i]->last_ttw_ms);
	metrics_head(f, "checks_failed_total", "counter", "Failed checks: ASAP "
	    "probes, registrar control connection losses, command checks.");
	for (i = 0; i < hd.nsvc; i++) {
		const struct svc *s = hd.svc[i];

		if (s->c.probe)
			metrics_svc(f, "checks_failed_total", s, "probe",
			    (long long)s->probes_failed);
		if (s->ctl != NULL)
			metrics_svc(f, "checks_failed_total", s, "registrar",
			    (long long)hk_ctl_losses(s->ctl));
		if (s->c.ncheck_exec > 0) {
			uint64_t nf = 0;
			size_t k;

			for (k = 0; k < s->c.ncheck_exec; k++)
				nf += s->xc[k].failures;
			metrics_svc(f, "checks_failed_total", s, "exec",
			    (long long)nf);
		}
	}
	for (i = 0, n = 0; i < hd.nsvc; i++)
		n += hd.svc[i]->c.notify.argc > 0;
	if (n > 0)
		metrics_head(f, "notify_failures_total", "counter",
		    "State-change commands that failed, timed out or could "
		    "not run.");
	for (i = 0; i < hd.nsvc; i++)
		if (hd.svc[i]->c.notify.argc > 0)
			metrics_svc(f, "notify_failures_total", hd.svc[i],
			    NULL, (long long)hd.svc[i]->notify_failures);
	/* H-hcover: the covering prefixes. */
	if (hd.ncover > 0)
		metrics_head(f, "cover_state", "gauge", "Covering prefix: 0 "
		    "withdrawn, 1 announced, 2 draining.");
	for (i = 0; i < hd.ncover; i++) {
		char a[INET6_ADDRSTRLEN + 8];

		fprintf(f, "anypool_healthd_cover_state{prefix=\"%s\"} %d\n",
		    rt_prefix_str(&hd.cover[i]->c.prefix, a, sizeof(a)),
		    (int)hd.cover[i]->state);
	}
	metrics_head(f, "config_reloads_total", "counter", "Configurations "
	    "reloaded on SIGHUP.");
	fprintf(f, "anypool_healthd_config_reloads_total %llu\n",
	    (unsigned long long)hd.reloads);
	metrics_head(f, "config_reload_failures_total", "counter", "SIGHUP "
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
metrics_render_cb(void *arg, char **ret_buf, size_t *ret_len)
{
	(void)arg;
	return metrics_render(ret_buf, ret_len);
}

/* The exporter (lib/metrics_http.c), when the configuration asks for it. */
int
metrics_start(void)
{
	if (!hd.conf.metrics)
		return 0;
	mx.http = metrics_http_start(hd.loop, &hd.conf.metrics_ss,
	    metrics_render_cb, NULL, "metrics");
	return mx.http != NULL ? 0 : -EADDRNOTAVAIL;
}

void
metrics_stop(void)
{
	metrics_http_stop(mx.http);
	mx.http = NULL;
}

void
metrics_reconfigure(const struct health_config *nc)
{
	int rc;

	if (nc->metrics == hd.conf.metrics && (!nc->metrics ||
	    (nc->metrics_sslen == hd.conf.metrics_sslen &&
	    memcmp(&nc->metrics_ss, &hd.conf.metrics_ss,
	    nc->metrics_sslen) == 0)))
		return;
	metrics_stop();
	hd.conf.metrics = nc->metrics;
	hd.conf.metrics_ss = nc->metrics_ss;
	hd.conf.metrics_sslen = nc->metrics_sslen;
	if ((rc = metrics_start()) != 0)
		log_warnx("reload: metrics: cannot serve on the configured "
		    "address: %s; exporter off", strerror(-rc));
}
