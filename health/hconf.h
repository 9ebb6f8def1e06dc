/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd's configuration: global settings (control socket, how to reach
 * FRR) and one block per anycast service (its prefixes, the registrar to
 * watch, the checks, thresholds, drain and routing settings).  Parsed by
 * health/parse.y over the shared lexer (defaults and printing in
 * health/config.c); documented in healthd.conf.5.
 */
#ifndef ANYPOOL_HEALTH_HCONF_H
#define ANYPOOL_HEALTH_HCONF_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "health/state.h"
#include "routing/frr.h"
#include "routing/netlink.h"

#define HC_MAX_SERVICES		16
#define HC_METRICS_PORT		9465	/* registrard: 9464 */
#define HC_MAX_PREFIXES		8
#define HC_NAME_MAX		64
#define HC_PATH_MAX		108	/* sun_path */
#define HC_POOL_MAX		64
#define HC_TLS_NAME_MAX		256	/* PSK identity, certificate name */
/* The prefix-lists of NO_EXPORT prefixes (scope local), deploy/frr. */
#define HC_LOCAL_PLIST		"ANYCAST-LOCAL"
#define HC_LOCAL_PLIST6		"ANYCAST-LOCAL6"

/*
 * An operator's command (health/exec.c): its argv, each word NUL-ended one
 * after the other in args (fixed size: the configuration is compared with
 * memcmp() on reload), the interval of a check and the timeout.
 */
#define HC_EXEC_MAX		4	/* command checks per service */
#define HC_EXEC_ARGS		16
#define HC_EXEC_LEN		1024

struct hc_exec {
	char			 args[HC_EXEC_LEN];
	size_t			 argc, len;
	uint32_t		 interval_ms, timeout_ms;
};

/* The states the per-state BGP attributes apply to. */
enum hc_attr_state {
	HC_ATTR_ANNOUNCED = 0,
	HC_ATTR_DRAINING,
	HC_ATTR_NSTATES,
};

enum hc_routing {
	HC_ROUTING_NONE = 0,	/* address only: FRR picks it up as configured */
	HC_ROUTING_BGP,
	HC_ROUTING_OSPF,
};

struct hc_service {
	char			 name[HC_NAME_MAX];
	struct rt_prefix	 prefix[HC_MAX_PREFIXES];
	size_t			 nprefix;
	char			 ifname[IF_NAMESIZE];	/* default "lo" */
	char			 registrar_ctl[HC_PATH_MAX];	/* "" : none */
	bool			 require_sync;		/* default on */
	bool			 probe;
	struct sockaddr_storage	 probe_ss;
	socklen_t		 probe_sslen;
	char			 probe_pool[HC_POOL_MAX];
	/*
	 * The probe over TLS (RFC 5352 §9): a PSK file (and identity), or a
	 * CA file and the name the registrar's certificate carries
	 * (optionally a client certificate and key).  "" : unset.
	 */
	bool			 probe_tls;
	char			 probe_tls_psk[HC_PATH_MAX];
	char			 probe_tls_identity[HC_TLS_NAME_MAX];
	char			 probe_tls_ca[HC_PATH_MAX];
	char			 probe_tls_name[HC_TLS_NAME_MAX];
	char			 probe_tls_cert[HC_PATH_MAX];
	char			 probe_tls_key[HC_PATH_MAX];
	uint32_t		 interval_ms, timeout_ms;
	struct hsm_params	 sm;
	uint32_t		 lifetime_s, refresh_ms;
	char			 drain_file[HC_PATH_MAX];
	enum hc_routing		 routing;
	uint32_t		 bgp_asn;
	bool			 bgp_network;	/* healthd adds the statement */
	char			 route_map[FRR_NAME_MAX];
	uint32_t		 ospf_metric, ospf_drain_metric;
	bool			 scope_local;	/* NO_EXPORT */
	/*
	 * operator extensions (issue 13).  Command checks, the
	 * command run on every state change (notify.argc == 0: none), and
	 * the BGP attributes of the announced and draining states (MED,
	 * prepend, communities; bgp_attrs_set: some were configured).
	 */
	struct hc_exec		 check_exec[HC_EXEC_MAX];
	size_t			 ncheck_exec;
	struct hc_exec		 notify;
	struct frr_bgp_attrs	 bgp_attrs[HC_ATTR_NSTATES];
	bool			 bgp_attrs_set;
	/* H-hcover: "scope" was written (else a covered service is local) */
	bool			 scope_set;
	/*
	 * "ospf stub": the prefixes are intra-area stub links of the
	 * router LSA (the address on ifname, which ospfd runs in the area);
	 * ospf_metric / ospf_drain_metric are the address's OSPF cost.
	 */
	bool			 ospf_stub;
};

/*
 * H-hcover: a covering prefix (issue 13, BCP §4.4.2), the /24 or /48 that
 * carries the services across the Internet, where their /32 and /128 are
 * filtered.  Announced (BGP network statement with route-map, through a
 * blackhole route healthd adds) while at least one of its services is
 * announced or draining; its services: the ones named, or every service
 * with a prefix inside.
 */
#define HC_MAX_COVERS		8
#define HC_COVER_RMAP		"ANYCAST-COVER"

struct hc_cover {
	struct rt_prefix	 prefix;
	char			 route_map[FRR_NAME_MAX];
	uint32_t		 bgp_asn;	/* its services' */
	bool			 listed;	/* "services" given */
	char			 svc[HC_MAX_SERVICES][HC_NAME_MAX];
	size_t			 nsvc;
};

struct health_config {
	char			 control_socket[HC_PATH_MAX];
	char			 vtysh[FRR_PATH_MAX];
	char			 vty_socket[FRR_PATH_MAX];
	uint32_t		 vtysh_timeout_ms;
	bool			 metrics;	/* Prometheus exporter, off */
	struct sockaddr_storage	 metrics_ss;	/* default 127.0.0.1:9465 */
	socklen_t		 metrics_sslen;
	struct hc_service	 svc[HC_MAX_SERVICES];
	size_t			 nsvc;
	struct hc_cover		 cover[HC_MAX_COVERS];	/* H-hcover */
	size_t			 ncover;
};

void	hconf_defaults(struct health_config *c);
void	hconf_svc_defaults(struct hc_service *s);
/* ss <- ADDR (IPv4 or IPv6) and port; false if ADDR is no IP address. */
bool	hconf_set_sa(struct sockaddr_storage *ss, socklen_t *len,
	    const char *addr, uint16_t port);
void	hconf_set_port(struct sockaddr_storage *ss, uint16_t port);
/* Parse file into *ret (only if it is entirely good); 0, or -1 after
 * printing "file:line: what" for every error to errf (NULL: stderr). */
int	hconf_parse(const char *file, FILE *errf, struct health_config *ret);
/* The argv of e into argv (HC_EXEC_ARGS + 1 slots, NULL-terminated). */
void	hconf_exec_argv(const struct hc_exec *e, char *argv[]);
/* The normalised configuration, as -n prints it. */
void	hconf_print(FILE *f, const struct health_config *c);

#endif
