/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd's configuration outside the grammar: the defaults a file starts
 * from (global and per service), the address helpers the grammar
 * (health/parse.y) shares, and the -n printer, whose output parses back to
 * the same configuration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "conf_lex.h"
#include "health/hconf.h"

bool
hconf_set_sa(struct sockaddr_storage *ss, socklen_t *len, const char *addr,
    uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
	} else
		return false;
	return true;
}

void
hconf_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

void
hconf_defaults(struct health_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->control_socket, sizeof(c->control_socket),
	    "/run/anypool/healthd.sock");
	snprintf(c->vtysh, sizeof(c->vtysh), "vtysh");
	c->vtysh_timeout_ms = 5000;
	hconf_set_sa(&c->metrics_ss, &c->metrics_sslen, "127.0.0.1",
	    HC_METRICS_PORT);
}

void
hconf_svc_defaults(struct hc_service *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->ifname, sizeof(s->ifname), "lo");
	s->require_sync = true;
	s->interval_ms = 500;
	s->timeout_ms = 300;
	s->sm.rise = 2;
	s->sm.fall = 2;
	s->sm.holddown_ms = 1000;
	s->sm.holddown_max_ms = 60000;
	s->sm.decay_ms = 30000;
	s->sm.drain_wait_ms = 10000;
	s->lifetime_s = 5;
	s->refresh_ms = 1000;
	s->ospf_metric = 10;
	s->ospf_drain_metric = 65000;
}

static const char *
dur(char *buf, size_t len, uint64_t ms)
{
	return conf_fmt_duration(buf, len, ms);
}

/* " tls psk-file ... identity ..." / " tls ca ... name ...", or nothing. */
static void
print_probe_tls(FILE *f, const struct hc_service *s)
{
	char q[2 * HC_TLS_NAME_MAX + 8];

	if (!s->probe_tls)
		return;
	if (s->probe_tls_psk[0] != '\0') {
		fprintf(f, " tls psk-file %s", conf_fmt_string(q, sizeof(q),
		    s->probe_tls_psk));
		if (s->probe_tls_identity[0] != '\0')
			fprintf(f, " identity %s", conf_fmt_string(q,
			    sizeof(q), s->probe_tls_identity));
		return;
	}
	fprintf(f, " tls ca %s", conf_fmt_string(q, sizeof(q),
	    s->probe_tls_ca));
	fprintf(f, " name %s", conf_fmt_string(q, sizeof(q),
	    s->probe_tls_name));
	if (s->probe_tls_cert[0] != '\0') {
		fprintf(f, " certificate %s", conf_fmt_string(q, sizeof(q),
		    s->probe_tls_cert));
		fprintf(f, " key %s", conf_fmt_string(q, sizeof(q),
		    s->probe_tls_key));
	}
}

void
hconf_exec_argv(const struct hc_exec *e, char *argv[])
{
	const char *p = e->args;
	size_t i;

	for (i = 0; i < e->argc && i < HC_EXEC_ARGS; i++) {
		argv[i] = (char *)p;
		p += strlen(p) + 1;
	}
	argv[i] = NULL;
}

/* "check exec" / "notify exec": the words quoted, then the options. */
static void
print_exec(FILE *f, const char *what, const struct hc_exec *e)
{
	char *argv[HC_EXEC_ARGS + 1], q[2 * HC_EXEC_LEN + 3], b[24];
	size_t i;

	hconf_exec_argv(e, argv);
	fprintf(f, "\t%s exec", what);
	for (i = 0; argv[i] != NULL; i++)
		fprintf(f, " %s", conf_fmt_string(q, sizeof(q), argv[i]));
	if (e->interval_ms != 0)
		fprintf(f, " interval %s", dur(b, sizeof(b), e->interval_ms));
	fprintf(f, " timeout %s\n", dur(b, sizeof(b), e->timeout_ms));
}

/* "bgp announced|draining ...", when anything is set for the state. */
static void
print_attrs(FILE *f, const char *state, const struct frr_bgp_attrs *a)
{
	if (!a->med_set && a->prepend == 0 && a->communities[0] == '\0' &&
	    a->large[0] == '\0')
		return;
	fprintf(f, "\tbgp %s", state);
	if (a->med_set)
		fprintf(f, " med %u", a->med);
	if (a->prepend > 0)
		fprintf(f, " prepend %u", a->prepend);
	if (a->communities[0] != '\0' || a->large[0] != '\0')
		fprintf(f, " community %s%s%s", a->communities,
		    a->communities[0] != '\0' && a->large[0] != '\0' ? " " :
		    "", a->large);
	fputc('\n', f);
}

void
hconf_print(FILE *f, const struct health_config *c)
{
	char b1[24], b2[24], b3[24], q[2 * FRR_PATH_MAX + 3];
	char a[INET6_ADDRSTRLEN + 8];
	const struct hc_service *s;
	size_t i, j;

	fprintf(f, "control socket %s\n", conf_fmt_string(q, sizeof(q),
	    c->control_socket));
	fprintf(f, "frr vtysh %s", conf_fmt_string(q, sizeof(q), c->vtysh));
	if (c->vty_socket[0] != '\0')
		fprintf(f, " vty-socket %s", conf_fmt_string(q, sizeof(q),
		    c->vty_socket));
	fprintf(f, " timeout %s\n", dur(b1, sizeof(b1), c->vtysh_timeout_ms));
	if (c->metrics) {
		const struct sockaddr_in *sin = (const void *)&c->metrics_ss;
		const struct sockaddr_in6 *sin6 = (const void *)
		    &c->metrics_ss;

		if (c->metrics_ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		else
			inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		fprintf(f, "metrics listen %s port %u\n", a, ntohs(
		    c->metrics_ss.ss_family == AF_INET ? sin->sin_port :
		    sin6->sin6_port));
	} else
		fprintf(f, "metrics off\n");
	/* H-hcover: each cover with its services, resolved. */
	for (i = 0; i < c->ncover; i++) {
		fprintf(f, "cover %s route-map %s services",
		    rt_prefix_str(&c->cover[i].prefix, a, sizeof(a)),
		    c->cover[i].route_map);
		for (j = 0; j < c->cover[i].nsvc; j++)
			fprintf(f, " %s", conf_fmt_string(q, sizeof(q),
			    c->cover[i].svc[j]));
		fputc('\n', f);
	}
	for (i = 0; i < c->nsvc; i++) {
		s = &c->svc[i];
		fprintf(f, "\nservice %s {\n", conf_fmt_string(q, sizeof(q),
		    s->name));
		for (j = 0; j < s->nprefix; j++)
			fprintf(f, "\tprefix %s\n", rt_prefix_str(&s->prefix[j],
			    a, sizeof(a)));
		fprintf(f, "\tinterface %s\n", s->ifname);
		if (s->registrar_ctl[0] != '\0')
			fprintf(f, "\tregistrar control %s\n",
			    conf_fmt_string(q, sizeof(q), s->registrar_ctl));
		fprintf(f, "\trequire synchronized %s\n",
		    s->require_sync ? "on" : "off");
		if (s->probe) {
			const struct sockaddr_in *sin = (const void *)
			    &s->probe_ss;
			const struct sockaddr_in6 *sin6 = (const void *)
			    &s->probe_ss;

			if (s->probe_ss.ss_family == AF_INET)
				inet_ntop(AF_INET, &sin->sin_addr, a,
				    sizeof(a));
			else
				inet_ntop(AF_INET6, &sin6->sin6_addr, a,
				    sizeof(a));
			fprintf(f, "\tprobe asap %s port %u pool %s interval "
			    "%s timeout %s", a, ntohs(s->probe_ss.ss_family
			    == AF_INET ? sin->sin_port : sin6->sin6_port),
			    conf_fmt_string(q, sizeof(q), s->probe_pool),
			    dur(b1, sizeof(b1), s->interval_ms),
			    dur(b2, sizeof(b2), s->timeout_ms));
			print_probe_tls(f, s);
			fputc('\n', f);
		} else
			fprintf(f, "\tprobe off\n");
		for (j = 0; j < s->ncheck_exec; j++)
			print_exec(f, "check", &s->check_exec[j]);
		if (s->notify.argc > 0)
			print_exec(f, "notify", &s->notify);
		fprintf(f, "\trise %u\n\tfall %u\n", s->sm.rise, s->sm.fall);
		fprintf(f, "\tholddown %s max %s decay %s\n",
		    dur(b1, sizeof(b1), s->sm.holddown_ms),
		    dur(b2, sizeof(b2), s->sm.holddown_max_ms),
		    dur(b3, sizeof(b3), s->sm.decay_ms));
		fprintf(f, "\tdrain-wait %s\n", dur(b1, sizeof(b1),
		    s->sm.drain_wait_ms));
		if (s->drain_file[0] != '\0')
			fprintf(f, "\tdrain-file %s\n", conf_fmt_string(q,
			    sizeof(q), s->drain_file));
		fprintf(f, "\taddress-lifetime %s refresh %s\n",
		    dur(b1, sizeof(b1), (uint64_t)s->lifetime_s * 1000),
		    dur(b2, sizeof(b2), s->refresh_ms));
		switch (s->routing) {
		case HC_ROUTING_NONE:
			fprintf(f, "\trouting none\n");
			break;
		case HC_ROUTING_BGP:
			fprintf(f, "\tbgp as %u route-map %s%s\n", s->bgp_asn,
			    s->route_map, s->bgp_network ? " network" : "");
			print_attrs(f, "announced",
			    &s->bgp_attrs[HC_ATTR_ANNOUNCED]);
			print_attrs(f, "draining",
			    &s->bgp_attrs[HC_ATTR_DRAINING]);
			break;
		case HC_ROUTING_OSPF:
			if (s->ospf_stub)
				fprintf(f, "\tospf stub metric %u "
				    "drain-metric %u\n", s->ospf_metric,
				    s->ospf_drain_metric);
			else
				fprintf(f, "\tospf route-map %s metric %u "
				    "drain-metric %u\n", s->route_map,
				    s->ospf_metric, s->ospf_drain_metric);
			break;
		}
		fprintf(f, "\tscope %s\n", s->scope_local ? "local" : "global");
		fprintf(f, "}\n");
	}
}
