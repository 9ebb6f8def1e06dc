/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd's SIGHUP reload: the file is parsed into a new configuration and
 * applied only if all of it is good; then only the difference is applied
 * (an unchanged service keeps its route untouched, a changed one is updated
 * in place by svc_update() unless its prefixes moved).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health/healthd.h"

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
void
reload_config(void)
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
	(void)control_set(nc->control_socket);
	metrics_reconfigure(nc);
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

		s = svc_find(c->name);
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
	cover_reload(nc);
	hd.conf = *nc;
	free(nc);
	hd.reloads++;
	hd.last_reload = ev_now(hd.loop);
	log_info("reload: %s applied: %zu service(s)", hd.file, hd.nsvc);
}

