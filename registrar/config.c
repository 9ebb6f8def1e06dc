/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * registrard's configuration outside the grammar: the defaults (RSPLIB's
 * where the RFCs leave a choice, see regconf.h) and the normalised printout
 * that -n shows.  The printout uses the grammar's own syntax with every
 * setting written out, defaults included, durations in the largest exact
 * unit, so it parses again to the same configuration and prints the same.
 * Value checks live in parse.y, next to the statement they belong to, so
 * each message can name its file and line.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "conf_lex.h"
#include "regconf.h"

static void
set_addr(struct sockaddr_storage *ss, socklen_t *len, int af,
    const char *addr, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, addr, &sin->sin_addr);
		*len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		*len = sizeof(*sin6);
	}
}

void
config_defaults(struct registrar_config *c)
{
	memset(c, 0, sizeof(*c));
	c->server_id = 0;
	if (gethostname(c->node_name, sizeof(c->node_name)) == -1 ||
	    c->node_name[0] == '\0')
		snprintf(c->node_name, sizeof(c->node_name), "registrard");
	c->node_name[sizeof(c->node_name) - 1] = '\0';

	c->nlisten = 0;
	c->keepalive_interval = 5000;
	c->keepalive_timeout = 5000;
	c->max_bad_pe_reports = 3;
	c->resolution_items = 3;
	c->resolution_items_max = 128;
	c->life_unit = 1;
	c->life_max = 0;

	c->max_pools = 10000;
	c->max_pes = 100000;
	c->max_pes_per_pool = 10000;
	c->max_handle_len = 32;
	c->max_associations = 4096;
	c->max_pes_per_assoc = 64;
	c->max_message_size = 65535;
	c->request_rate = 1000;
	c->request_burst = 2000;
	/* issue 12: bounds against one bad client */
	c->idle_timeout = 60 * 1000;
	c->message_timeout = 5 * 1000;
	c->assocs_per_source = 256;
	c->send_queue = 256 * 1024;
	c->send_queue_total = 64 * 1024 * 1024;
	c->unreachable_window = 30 * 1000;

	c->announce = false;
	set_addr(&c->announce_group[0].ss, &c->announce_group[0].sslen,
	    AF_INET, "239.0.0.50", 3863);
	c->nannounce_group = 1;
	c->announce_interval = 1000;

	snprintf(c->control_socket, sizeof(c->control_socket), "%s",
	    "/run/anypool/registrard.sock");
	c->metrics = false;
	c->io_batching = true;
	set_addr(&c->metrics_ss, &c->metrics_sslen, AF_INET, "127.0.0.1",
	    9464);

	/* ENRP timers: RSPLIB's values (doc/protocol/enrp.md §9). */
	c->enrp.enabled = false;
	c->enrp.heartbeat_cycle = 2444;
	c->enrp.max_last_heard = 5000;
	c->enrp.max_no_response = 5000;
	c->enrp.mentor_discovery = 5000;
	c->enrp.takeover_expiry = 5000;
	c->enrp.takeover_winner = CONF_TAKEOVER_LOWEST_ID;
	c->enrp.table_page_size = 128;
	c->enrp.multicast = false;
	set_addr(&c->enrp.mgroup[0].ss, &c->enrp.mgroup[0].sslen, AF_INET,
	    "239.0.0.51", 9901);
	c->enrp.nmgroup = 1;
	c->enrp.max_discovered = 16;
}

/* "192.0.2.1 port 3863", "fe80::1%eth0 port 3863" */
static const char *
fmt_sa(char *buf, size_t len, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const void *)ss;
	const struct sockaddr_in6 *sin6 = (const void *)ss;
	char a[INET6_ADDRSTRLEN], scope[IF_NAMESIZE + 12] = "";
	char ifname[IF_NAMESIZE];

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s port %u", a, ntohs(sin->sin_port));
		return buf;
	}
	inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
	if (sin6->sin6_scope_id != 0) {
		if (if_indextoname(sin6->sin6_scope_id, ifname) != NULL)
			snprintf(scope, sizeof(scope), "%%%s", ifname);
		else
			snprintf(scope, sizeof(scope), "%%%u",
			    sin6->sin6_scope_id);
	}
	snprintf(buf, len, "%s%s port %u", a, scope, ntohs(sin6->sin6_port));
	return buf;
}

static const char *
fmt_transports(unsigned int t)
{
	switch (t & (CONF_TRANSPORT_TCP | CONF_TRANSPORT_SCTP)) {
	case CONF_TRANSPORT_TCP:
		return "tcp";
	case CONF_TRANSPORT_SCTP:
		return "sctp";
	default:
		return "{ tcp sctp }";
	}
}

/* A size in the largest unit that holds it exactly (64M, 256K, 1000). */
static char *
fmt_size(char *buf, size_t len, uint64_t v)
{
	if (v != 0 && v % (1024 * 1024) == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(v >> 20));
	else if (v != 0 && v % 1024 == 0)
		snprintf(buf, len, "%lluK", (unsigned long long)(v >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

void
config_print(FILE *f, const struct registrar_config *c)
{
	char buf[2 * CONF_PATH_MAX + 3 > 2 * CONF_NAME_MAX + 3 ?
	    2 * CONF_PATH_MAX + 3 : 2 * CONF_NAME_MAX + 3];
	char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 16], d[24];
	struct sockaddr_storage ss;
	socklen_t sslen;
	size_t i;

	if (c->server_id == 0)
		fprintf(f, "server-id random\n");
	else
		fprintf(f, "server-id 0x%08x\n", c->server_id);
	fprintf(f, "node-name %s\n",
	    conf_fmt_string(buf, sizeof(buf), c->node_name));

	fprintf(f, "secured %s\n", c->secured ? "on" : "off");
	if (c->tls_set) {
		/* TLS (issue 12) */
		char tb[2 * CONF_FILE_MAX + 3];

		fprintf(f, "tls {\n");
		if (c->tls.psk_file[0] != '\0')
			fprintf(f, "\tpsk-file %s\n", conf_fmt_string(tb,
			    sizeof(tb), c->tls.psk_file));
		if (c->tls.cert_file[0] != '\0') {
			fprintf(f, "\tcertificate %s", conf_fmt_string(tb,
			    sizeof(tb), c->tls.cert_file));
			fprintf(f, " key %s\n", conf_fmt_string(tb,
			    sizeof(tb), c->tls.key_file));
		}
		if (c->tls.ca_file[0] != '\0')
			fprintf(f, "\tca %s\n", conf_fmt_string(tb,
			    sizeof(tb), c->tls.ca_file));
		fprintf(f, "\tclient-certificate %s\n",
		    c->tls.client_cert == CONF_CLIENT_CERT_REQUIRE ? "require" :
		    c->tls.client_cert == CONF_CLIENT_CERT_OPTIONAL ?
		    "optional" : "none");
		if (c->tls.keylog_file[0] != '\0')
			fprintf(f, "\tkeylog %s\n", conf_fmt_string(tb,
			    sizeof(tb), c->tls.keylog_file));
		fprintf(f, "\tmin-version %s\n", c->tls.allow_tls12 ? "1.2" :
		    "1.3");
		fprintf(f, "}\n");
	}
	/* Authorization (issue 12): one line per (subject, pool pattern). */
	if (c->nauthz == 0)
		fprintf(f, "# authorize: none (any client may register into "
		    "any pool)\n");
	for (i = 0; i < c->nauthz; i++) {
		const struct conf_authz *a = &c->authz[i];
		char sb[2 * CONF_TLS_ID_MAX + 3], pb[2 * CONF_AUTHZ_POOL_MAX + 3];

		fprintf(f, "authorize %s%s pool %s\n",
		    a->kind == CONF_AUTHZ_PSK ? "psk " :
		    a->kind == CONF_AUTHZ_CERT ? "certificate " : "",
		    a->kind == CONF_AUTHZ_NONE ? "none" :
		    conf_fmt_string(sb, sizeof(sb), a->subject),
		    conf_fmt_string(pb, sizeof(pb), a->pool));
	}

	fprintf(f, "\n");
	if (c->nlisten == 0) {
		/* No listen statement: every address, both families. */
		set_addr(&ss, &sslen, AF_INET, "0.0.0.0", 3863);
		fprintf(f, "listen on %s transport { tcp sctp }\n",
		    fmt_sa(addr, sizeof(addr), &ss));
		set_addr(&ss, &sslen, AF_INET6, "::", 3863);
		fprintf(f, "listen on %s transport { tcp sctp }\n",
		    fmt_sa(addr, sizeof(addr), &ss));
	}
	for (i = 0; i < c->nlisten; i++)
		fprintf(f, "listen on %s transport %s%s\n",
		    fmt_sa(addr, sizeof(addr), &c->listen[i].ss),
		    fmt_transports(c->listen[i].transports),
		    c->listen[i].tls ? " tls" : "");

	/* issue 13 item 3: where clients move their associations */
	if (c->nunicast == 0)
		fprintf(f, "# unicast-address: none (clients stay on the "
		    "address they reached)\n");
	for (i = 0; i < c->nunicast; i++) {
		char *sp;

		fmt_sa(addr, sizeof(addr), &c->unicast[i].ss);
		/* port 0: the port the client came to (no "port" word) */
		if ((sp = strstr(addr, " port 0")) != NULL && sp[7] == '\0')
			*sp = '\0';
		fprintf(f, "unicast-address %s\n", addr);
	}

	fprintf(f, "\nasap {\n");
	fprintf(f, "\tkeepalive-interval %s\n",
	    conf_fmt_duration(d, sizeof(d), c->keepalive_interval));
	fprintf(f, "\tkeepalive-timeout %s\n",
	    conf_fmt_duration(d, sizeof(d), c->keepalive_timeout));
	fprintf(f, "\tmax-bad-pe-reports %u\n", c->max_bad_pe_reports);
	fprintf(f, "\tunreachable-window %s\n",
	    conf_fmt_duration(d, sizeof(d), c->unreachable_window));
	fprintf(f, "\tresolution-items %u\n", c->resolution_items);
	fprintf(f, "\tresolution-items-max %u\n", c->resolution_items_max);
	fprintf(f, "\tregistration-life-unit %s\n",
	    c->life_unit == 1000 ? "s" : "ms");
	if (c->life_max == 0)
		fprintf(f, "\tregistration-life-max none\n");
	else
		fprintf(f, "\tregistration-life-max %s\n",
		    conf_fmt_duration(d, sizeof(d), c->life_max));
	fprintf(f, "}\n");

	fprintf(f, "\nlimits {\n");
	fprintf(f, "\tpools %u\n", c->max_pools);
	fprintf(f, "\tpes %u\n", c->max_pes);
	fprintf(f, "\tpes-per-pool %u\n", c->max_pes_per_pool);
	fprintf(f, "\tpool-handle-length %u\n", c->max_handle_len);
	fprintf(f, "\tassociations %u\n", c->max_associations);
	fprintf(f, "\tpes-per-association %u\n", c->max_pes_per_assoc);
	fprintf(f, "\tmessage-size %u\n", c->max_message_size);
	fprintf(f, "\trequest-rate %u burst %u\n", c->request_rate,
	    c->request_burst);
	/* issue 12: bounds against one bad client */
	if (c->idle_timeout == 0)
		fprintf(f, "\tidle-timeout none\n");
	else
		fprintf(f, "\tidle-timeout %s\n",
		    conf_fmt_duration(d, sizeof(d), c->idle_timeout));
	fprintf(f, "\tmessage-timeout %s\n",
	    conf_fmt_duration(d, sizeof(d), c->message_timeout));
	fprintf(f, "\tassociations-per-source %u\n", c->assocs_per_source);
	fprintf(f, "\tsend-queue %s\n", fmt_size(d, sizeof(d), c->send_queue));
	fprintf(f, "\tsend-queue-total %s\n",
	    fmt_size(d, sizeof(d), c->send_queue_total));
	fprintf(f, "}\n");

	fprintf(f, "\nannounce %s {\n", c->announce ? "on" : "off");
	for (i = 0; i < c->nannounce_group; i++)
		fprintf(f, "\tgroup %s\n",
		    fmt_sa(addr, sizeof(addr), &c->announce_group[i].ss));
	fprintf(f, "\tinterval %s\n",
	    conf_fmt_duration(d, sizeof(d), c->announce_interval));
	fprintf(f, "}\n");

	fprintf(f, "\ncontrol socket %s\n",
	    conf_fmt_string(buf, sizeof(buf), c->control_socket));
	if (c->metrics)
		fprintf(f, "metrics listen %s\n",
		    fmt_sa(addr, sizeof(addr), &c->metrics_ss));
	else
		fprintf(f, "metrics off\n");
	fprintf(f, "io-batching %s\n", c->io_batching ? "on" : "off");

	/* No enrp block: a registrar on its own; nothing to print. */
	if (!c->enrp.enabled)
		return;
	fprintf(f, "\nenrp {\n");
	fprintf(f, "\tlisten on %s transport %s\n",
	    fmt_sa(addr, sizeof(addr), &c->enrp.listen.ss),
	    fmt_transports(c->enrp.listen.transports));
	for (i = 0; i < c->enrp.npeers; i++)
		fprintf(f, "\tpeer %s\n",
		    fmt_sa(addr, sizeof(addr), &c->enrp.peer[i].ss));
	fprintf(f, "\theartbeat-cycle %s\n",
	    conf_fmt_duration(d, sizeof(d), c->enrp.heartbeat_cycle));
	fprintf(f, "\tmax-time-last-heard %s\n",
	    conf_fmt_duration(d, sizeof(d), c->enrp.max_last_heard));
	fprintf(f, "\tmax-time-no-response %s\n",
	    conf_fmt_duration(d, sizeof(d), c->enrp.max_no_response));
	fprintf(f, "\tmentor-discovery %s\n",
	    conf_fmt_duration(d, sizeof(d), c->enrp.mentor_discovery));
	fprintf(f, "\ttakeover-expiry %s\n",
	    conf_fmt_duration(d, sizeof(d), c->enrp.takeover_expiry));
	fprintf(f, "\ttakeover-winner %s\n", c->enrp.takeover_winner ==
	    CONF_TAKEOVER_HIGHEST_ID ? "highest-id" : "lowest-id");
	fprintf(f, "\ttable-page-size %u\n", c->enrp.table_page_size);
	fprintf(f, "\tmulticast %s\n", c->enrp.multicast ? "on" : "off");
	for (i = 0; i < c->enrp.nmgroup; i++) {
		fprintf(f, "\tgroup %s",
		    fmt_sa(addr, sizeof(addr), &c->enrp.mgroup[i].ss));
		if (c->enrp.mgroup[i].ifname[0] != '\0')
			fprintf(f, " interface %s", c->enrp.mgroup[i].ifname);
		fprintf(f, "\n");
	}
	fprintf(f, "\tmax-discovered-peers %u\n", c->enrp.max_discovered);
	/* ENRP over TLS */
	fprintf(f, "\ttls %s\n", c->tls.enrp_tls ? "on" : "off");
	{
		char tb[2 * CONF_FILE_MAX + 3];

		if (c->tls.enrp_psk_file[0] != '\0')
			fprintf(f, "\tpsk-file %s\n", conf_fmt_string(tb,
			    sizeof(tb), c->tls.enrp_psk_file));
		if (c->tls.identity[0] != '\0')
			fprintf(f, "\tidentity %s\n", conf_fmt_string(tb,
			    sizeof(tb), c->tls.identity));
	}
	/* Who may peer besides the configured peers (issue 12). */
	if (c->enrp.nallow == 0)
		fprintf(f, "\t# allow from: %s\n", c->enrp.multicast ?
		    "the subnets of the ENRP interface (multicast on)" :
		    "none (configured peers only)");
	for (i = 0; i < c->enrp.nallow; i++) {
		inet_ntop(c->enrp.allow[i].af, c->enrp.allow[i].addr, addr,
		    sizeof(addr));
		fprintf(f, "\tallow from %s/%u\n", addr, c->enrp.allow[i].len);
	}
	fprintf(f, "}\n");
}
