/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * registrard's configuration: what parse.y produces from the config file and
 * what the daemon runs on.  Defaults follow RSPLIB's registrar where the RFC
 * leaves a choice (doc/protocol/asap.md §4), so mixed clusters interoperate.
 * All durations are milliseconds.
 */
#ifndef ANYPOOL_REGCONF_H
#define ANYPOOL_REGCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define CONF_MAX_LISTEN		32
#define CONF_MAX_GROUPS		4
#define CONF_NAME_MAX		64
#define CONF_PATH_MAX		108	/* sun_path */
#define CONF_MAX_PEERS		32	/* configured ENRP peers */
#define CONF_IFNAME_MAX		16	/* IF_NAMESIZE */

/* Transports a listen address serves (bit set). */
#define CONF_TRANSPORT_TCP	0x01
#define CONF_TRANSPORT_SCTP	0x02

struct conf_listen {
	struct sockaddr_storage	 ss;		/* address and port */
	socklen_t		 sslen;
	unsigned int		 transports;	/* CONF_TRANSPORT_* */
	int			 lineno;	/* where it was configured */
	bool			 tls;		/* TLS on TCP (issue 12) */
};

struct conf_group {
	struct sockaddr_storage	 ss;		/* multicast group and port */
	socklen_t		 sslen;
};

/* An ENRP multicast group: presence is sent to and received from it. */
struct conf_mgroup {
	struct sockaddr_storage	 ss;		/* group and port (9901) */
	socklen_t		 sslen;
	char			 ifname[CONF_IFNAME_MAX];	/* "": the ENRP address's */
};

/* An address prefix (ENRP "allow from"); host bits are zero. */
#define CONF_MAX_ALLOW		32
struct conf_prefix {
	int		 af;			/* AF_INET or AF_INET6 */
	uint8_t		 addr[16];	/* network byte order */
	uint8_t		 len;		/* prefix length, bits */
};

/* ENRP takeover arbitration (doc/protocol/enrp.md §5.4). */
enum conf_takeover_winner {
	CONF_TAKEOVER_LOWEST_ID = 0,	/* RSPLIB, sctp-refimpl */
	CONF_TAKEOVER_HIGHEST_ID = 1,	/* RFC 5353 §3.5.1 read literally */
};

/* ENRP (RFC 5353): the "enrp { ... }" block; off when there is none. */
struct conf_enrp {
	bool		 enabled;
	struct conf_listen listen;		/* the node's unicast address, port 9901 */
	struct conf_group peer[CONF_MAX_PEERS];	/* address and port (9901) */
	size_t		 npeers;
	uint32_t	 heartbeat_cycle;	/* PEER-HEARTBEAT-CYCLE: 2444 (RSPLIB) */
	uint32_t	 max_last_heard;	/* MAX-TIME-LAST-HEARD: 5000 (RSPLIB) */
	uint32_t	 max_no_response;	/* MAX-TIME-NO-RESPONSE: 5000 */
	uint32_t	 mentor_discovery;	/* 5000 (RSPLIB) */
	uint32_t	 takeover_expiry;	/* 5000 (RSPLIB) */
	enum conf_takeover_winner takeover_winner;	/* lowest-id */
	uint32_t	 table_page_size;	/* PEs per HANDLE_TABLE_RESPONSE: 128 */
	/* Peer discovery by PRESENCE over UDP multicast (RSPLIB practice,
	 * not in RFC 5353): off by default; RSPLIB's 239.0.0.51:9901. */
	bool		 multicast;
	struct conf_mgroup mgroup[CONF_MAX_GROUPS];
	size_t		 nmgroup;
	uint32_t	 max_discovered;	/* peers learnt by multicast: 16 */
	/*
	 * ENRP admission (issue 12).  Besides the configured peers,
	 * sources inside these prefixes ("allow from") may connect, be
	 * learned as peers and be discovered.  None: configured peers only,
	 * or with multicast on, the subnets of the ENRP interface.
	 */
	struct conf_prefix allow[CONF_MAX_ALLOW];
	size_t		 nallow;
};

/* TLS (issue 12): the "tls { ... }" block.  Paths "": not set. */
#define CONF_FILE_MAX		256
#define CONF_TLS_ID_MAX		129	/* PSK identity: 1-128 characters */
enum conf_client_cert {		/* = enum tls_client_cert */
	CONF_CLIENT_CERT_NONE = 0,
	CONF_CLIENT_CERT_OPTIONAL = 1,
	CONF_CLIENT_CERT_REQUIRE = 2,
};
struct conf_tls {
	char		 psk_file[CONF_FILE_MAX];	/* identities accepted */
	char		 cert_file[CONF_FILE_MAX];	/* this registrar's chain */
	char		 key_file[CONF_FILE_MAX];
	char		 ca_file[CONF_FILE_MAX];	/* verifies client certs */
	enum conf_client_cert client_cert;	/* optional with ca, else none */
	bool		 client_cert_set;
	char		 keylog_file[CONF_FILE_MAX];	/* "": $SSLKEYLOGFILE */
	bool		 allow_tls12;		/* min-version 1.2; default 1.3 */
	/* ENRP over TLS (set in the enrp block): PSKs of registrars only */
	bool		 enrp_tls;		/* off */
	char		 enrp_psk_file[CONF_FILE_MAX];
	char		 identity[CONF_TLS_ID_MAX];	/* this node's, in it */
};

/*
 * Authorization (issue 12): "authorize SUBJECT pool PATTERN ..." gives the
 * subject the right to register PEs into pools whose handle matches the
 * fnmatch(3) pattern; one entry per (subject, pool pattern).  No entry:
 * every client may register into every pool.
 */
#define CONF_MAX_AUTHZ		256
#define CONF_AUTHZ_POOL_MAX	129	/* pool handle pattern: 1-128 chars */
enum conf_authz_kind {		/* = enum tls_auth, plus "any" */
	CONF_AUTHZ_NONE = 0,	/* "none": not authenticated (no TLS identity) */
	CONF_AUTHZ_PSK = 1,	/* "psk PATTERN": a PSK identity */
	CONF_AUTHZ_CERT = 2,	/* "certificate PATTERN": a certificate name */
	CONF_AUTHZ_ANY = 3,	/* "PATTERN": either kind of identity */
};
struct conf_authz {
	enum conf_authz_kind kind;
	char		 subject[CONF_TLS_ID_MAX];	/* pattern; "" for none */
	char		 pool[CONF_AUTHZ_POOL_MAX];	/* pattern */
};

/*
 * Long-lived associations off the anycast address (issue 13 item 3,
 * doc/spec/registrar-unicast.md): "unicast-address ADDR [port N]", this
 * node's own addresses that clients move their associations to.
 */
#define CONF_MAX_UNICAST	8
struct conf_unicast {
	struct sockaddr_storage	 ss;	/* port 0: the association's own */
	socklen_t		 sslen;
};

struct registrar_config {
	uint32_t	 server_id;		/* 0: random at start-up */
	char		 node_name[CONF_NAME_MAX];	/* default: hostname */

	/* ASAP service */
	struct conf_listen listen[CONF_MAX_LISTEN];
	size_t		 nlisten;		/* none: 0.0.0.0 and :: port 3863 tcp+sctp */
	uint32_t	 keepalive_interval;	/* 5000: RSPLIB */
	uint32_t	 keepalive_timeout;	/* 5000: RSPLIB */
	uint32_t	 max_bad_pe_reports;	/* 3: RSPLIB, sctp-refimpl */
	uint32_t	 resolution_items;	/* 3: answer size without Hropt */
	uint32_t	 resolution_items_max;	/* 128: cap even with Hropt */
	/* Registration Life unit: 1 = milliseconds (RSPLIB), 1000 = seconds (RFC 5354) */
	uint32_t	 life_unit;
	uint32_t	 life_max;		/* 0: no cap; else cap in ms */

	/* Limits (0 is never "unlimited": parse.y refuses 0) */
	uint32_t	 max_pools;		/* 10000 */
	uint32_t	 max_pes;		/* 100000 */
	uint32_t	 max_pes_per_pool;	/* 10000 */
	uint32_t	 max_handle_len;	/* 32: RSPLIB MAX_POOLHANDLESIZE */
	uint32_t	 max_associations;	/* 4096 */
	uint32_t	 max_pes_per_assoc;	/* 64 */
	uint32_t	 max_message_size;	/* 65535 */
	uint32_t	 request_rate;		/* messages/s per association: 1000 */
	uint32_t	 request_burst;		/* 2000 */
	/*
	 * Bounds against one bad client (issue 12).  Durations in ms;
	 * idle_timeout 0: never.
	 */
	uint32_t	 idle_timeout;		/* no PE, no message: 60000 */
	uint32_t	 message_timeout;	/* a started message: 5000 */
	uint32_t	 assocs_per_source;	/* 256 (NATs: many users, one address) */
	uint32_t	 send_queue;		/* bytes per association: 256 KiB */
	uint32_t	 send_queue_total;	/* bytes, all associations: 64 MiB */
	uint32_t	 unreachable_window;	/* ms a report counts: 30000 */

	/* Server announces (RFC 5352 §3.6); RSPLIB's group by default */
	bool		 announce;		/* false */
	struct conf_group announce_group[CONF_MAX_GROUPS];	/* default 239.0.0.50:3863 */
	size_t		 nannounce_group;
	uint32_t	 announce_interval;	/* T6: 1000 */

	/* Operations */
	char		 control_socket[CONF_PATH_MAX];	/* /run/anypool/registrard.sock */
	bool		 metrics;		/* false */
	struct sockaddr_storage metrics_ss;	/* default 127.0.0.1:9464 */
	socklen_t	 metrics_sslen;
	/* issue 14: recv()/send() of many connections batched (io_uring) */
	bool		 io_batching;		/* on */

	/* ENRP between registrars */
	struct conf_enrp enrp;

	/* TLS (issue 12) */
	struct conf_tls	 tls;
	bool		 tls_set;		/* a tls block was given */
	/* RFC 5355 §2.15: (de)registrations only over TLS (cause 0xa
	 * otherwise), no plaintext SCTP: off */
	bool		 secured;
	/* Authorization (issue 12): who may register into which pools */
	struct conf_authz authz[CONF_MAX_AUTHZ];
	size_t		 nauthz;
	/* issue 13 item 3: told to clients that ask; none by default */
	struct conf_unicast unicast[CONF_MAX_UNICAST];
	size_t		 nunicast;
};

/* Fill *c with the defaults above. */
void	config_defaults(struct registrar_config *c);
/*
 * Parse FILE into *ret (defaults first).  On error print "file:line: what"
 * lines to stderr and return -1; *ret is then unspecified.
 */
int	config_parse(const char *file, struct registrar_config *ret);
/* Print the normalised configuration (what -n shows): every setting. */
void	config_print(FILE *f, const struct registrar_config *c);

#endif
