/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * registrard's configuration grammar (OpenBGPD parse.y style): statements end
 * at a newline or ";", blocks are "{ ... }", values are checked where they
 * are written so every message carries that file:line, and parsing goes on
 * after an error so one run reports all of them.  The tokens come from the
 * shared lexer (lib/conf_lex.c), which also handles includes; yylex() here
 * only maps its words to this grammar's keywords.  The parser is pure: each
 * config_parse() builds a fresh struct registrar_config and hands it over
 * only if the whole file was good, so a SIGHUP reload can keep the running
 * configuration on error.  The statements are documented in
 * registrard.conf.5.
 */

%code requires {
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf_lex.h"

struct parse_state;

struct pnum {			/* a NUMBER token */
	uint64_t	 v;
	enum conf_unit	 unit;
	const char	*text;	/* as written, for messages */
};
struct pval {			/* a checked value */
	uint64_t	 v;
	bool		 ok;
};
struct paddr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	bool			 ok;
};
struct plisten {		/* options after "listen on ADDR" */
	long		 port;		/* -1: not given; 0: bad (reported) */
	unsigned int	 transports;	/* 0: not given */
	bool		 tls;		/* "tls" given */
};
}

%code {
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registrar/regconf.h"

#define MAX_BRACES	16

/* Where a setting that is checked against another one was last set. */
struct setting {
	struct conf_loc	 loc;
	unsigned int	 seq;		/* 0: never set (default) */
};

struct pstr {				/* strings handed to the grammar */
	struct pstr	*next;
	char		 s[];
};

struct parse_state {
	struct conf_lex		*lex;
	struct registrar_config	 conf;
	struct conf_loc		 listen_loc[CONF_MAX_LISTEN];
	bool			 groups_set;	/* first "group" drops the default */
	struct conf_loc		 brace[MAX_BRACES];	/* open "{" */
	int			 nbrace;
	bool			 stray_rbrace;	/* the last "}" closed nothing */
	int			 kw_last, kw_prev;	/* last two keywords read */
	char			 last[CONF_LEX_MAX_TOKEN + 1];	/* lookahead text */
	struct pstr		*strings;
	unsigned int		 seq;
	struct setting		 res_items, res_items_max, pes, pes_per_pool,
				 pes_per_assoc;
	struct conf_loc		 enrp_loc;	/* first "enrp {", if any */
	bool			 enrp_seen, enrp_listen_set;
	bool			 mgroups_set;	/* first enrp "group" drops the default */
	/* authorize: the subject of the statement being read */
	enum conf_authz_kind	 az_kind;
	char			 az_subject[CONF_TLS_ID_MAX];
	bool			 az_ok;
	/* TLS: where secured / the first tls listener were set */
	struct conf_loc		 secured_loc, tls_listen_loc, tls_loc;
	struct conf_loc		 enrp_tls_loc;
	struct setting		 sendq, sendq_total;
	struct conf_loc		 unicast_loc[CONF_MAX_UNICAST];	/* issue 13 */
};

static int	yylex(YYSTYPE *, YYLTYPE *, struct parse_state *);
static void	yyerror(YYLTYPE *, struct parse_state *, const char *);
static bool	check_range(struct parse_state *, const YYLTYPE *,
		    const char *, struct pval, uint64_t, uint64_t, bool,
		    const char *);
static struct pval	get_duration(struct parse_state *, const YYLTYPE *,
			    struct pnum);
static struct pval	get_count(struct parse_state *, const YYLTYPE *,
			    struct pnum);
static struct pval	get_size(struct parse_state *, const YYLTYPE *,
			    struct pnum);
static void	get_addr(struct parse_state *, const YYLTYPE *, const char *,
		    struct paddr *);
static void	set_port(struct sockaddr_storage *, uint16_t);
static void	add_listen(struct parse_state *, const YYLTYPE *,
		    struct paddr *, struct plisten);
static void	add_group(struct parse_state *, const YYLTYPE *,
		    struct paddr *, long);
static void	mark(struct parse_state *, struct setting *, const YYLTYPE *);
static void	enrp_listen(struct parse_state *, const YYLTYPE *,
		    struct paddr *, struct plisten);
static void	enrp_peer(struct parse_state *, const YYLTYPE *,
		    struct paddr *, long);
static void	enrp_group(struct parse_state *, const YYLTYPE *,
		    struct paddr *, long, const YYLTYPE *, const char *);
static void	enrp_done(struct parse_state *, const YYLTYPE *);
static void	enrp_allow(struct parse_state *, const YYLTYPE *,
		    const char *);
static void	fmt_addr(char *, size_t, const struct sockaddr_storage *);
static void	tls_path(struct parse_state *, const YYLTYPE *, const char *,
		    char *, const char *);
static void	tls_done(struct parse_state *, const YYLTYPE *);
static void	tls_check(struct parse_state *);
static void	authz_subject(struct parse_state *, const YYLTYPE *,
		    enum conf_authz_kind, const char *);
static void	authz_pool(struct parse_state *, const YYLTYPE *,
		    const char *);
static void	unicast_add(struct parse_state *, const YYLTYPE *,
		    struct paddr *, long);
static void	unicast_check(struct parse_state *);
static void	fmt_unicast(char *, size_t, const struct sockaddr_storage *);

#define ERR(loc, ...)	conf_error_at(ps->lex, (loc), __VA_ARGS__)
#define C		(&ps->conf)

/* Location of a rule: its first symbol, or the symbol before an empty one. */
#define YYLLOC_DEFAULT(cur, rhs, n)					\
	do {								\
		(cur) = (n) ? YYRHSLOC(rhs, 1) : YYRHSLOC(rhs, 0);	\
	} while (0)
}

%define api.pure full
%define api.location.type {struct conf_loc}
%define api.token.prefix {T_}
%define parse.error custom
%define parse.lac full
%locations
%param {struct parse_state *ps}

%union {
	char		*str;
	struct pnum	 num;
	struct pval	 val;
	struct paddr	 addr;
	struct plisten	 lopt;
	long		 port;
	unsigned int	 tr;
	int		 flag;
}

%token ANNOUNCE "announce" ASAP "asap" ASSOCIATIONS "associations"
%token BURST "burst" CONTROL "control" GROUP "group" INTERVAL "interval"
%token KA_INTERVAL "keepalive-interval" KA_TIMEOUT "keepalive-timeout"
%token LIMITS "limits" LISTEN "listen" MAX_BAD_PE "max-bad-pe-reports"
%token MESSAGE_SIZE "message-size" METRICS "metrics" NODE_NAME "node-name"
%token NONE "none" OFF "off" ON "on" PES "pes"
%token PES_PER_ASSOC "pes-per-association" PES_PER_POOL "pes-per-pool"
%token HANDLE_LEN "pool-handle-length" POOLS "pools" PORT "port"
%token RANDOM "random" LIFE_MAX "registration-life-max"
%token LIFE_UNIT "registration-life-unit" REQUEST_RATE "request-rate"
%token RES_ITEMS "resolution-items" RES_ITEMS_MAX "resolution-items-max"
%token SCTP "sctp" SERVER_ID "server-id" SOCKET "socket" TCP "tcp"
%token ENRP "enrp" PEER "peer" HB_CYCLE "heartbeat-cycle"
%token MAX_LAST_HEARD "max-time-last-heard"
%token MAX_NO_RESPONSE "max-time-no-response"
%token MENTOR_DISC "mentor-discovery" TAKEOVER_EXPIRY "takeover-expiry"
%token TAKEOVER_WINNER "takeover-winner" PAGE_SIZE "table-page-size"
%token MULTICAST "multicast" INTERFACE "interface"
%token MAX_DISCOVERED "max-discovered-peers"
%token ALLOW "allow" FROM "from"
%token TRANSPORT "transport"
%token TLS "tls" PSK_FILE "psk-file" CERTIFICATE "certificate" KEY "key"
%token CA "ca" CLIENT_CERT "client-certificate" IDENTITY "identity"
%token KEYLOG "keylog" MIN_VERSION "min-version" SECURED "secured"
/* issue 12: bounds against one bad client */
%token IDLE_TIMEOUT "idle-timeout" MESSAGE_TIMEOUT "message-timeout"
%token ASSOCS_PER_SOURCE "associations-per-source" SEND_QUEUE "send-queue"
%token SEND_QUEUE_TOTAL "send-queue-total"
%token UNREACH_WINDOW "unreachable-window"
/* issue 12: authorization */
%token AUTHORIZE "authorize" POOL "pool" PSK "psk"
/* issue 13 item 3: long-lived associations off the anycast address */
%token UNICAST_ADDR "unicast-address"
/* issue 14: batched system calls */
%token IO_BATCHING "io-batching"
%token NL "end of line" LBRACE "{" RBRACE "}"
%token <str> WORD "word" STRING "quoted string"
%token <num> NUMBER "number"
%token LEXERROR "bad token"

%type <str> anyword string
%type <val> duration count size
%type <addr> address
%type <lopt> listenopts
%type <port> port portopt
%type <tr> transports transport tlist
%type <flag> onoff
%type <str> ifopt

%%

grammar		: %empty
		| grammar NL
		| grammar main NL
		| grammar error NL		{ yyerrok; }
		;

authsubject	: NONE		{ authz_subject(ps, &@1, CONF_AUTHZ_NONE, ""); }
		| PSK string	{ authz_subject(ps, &@2, CONF_AUTHZ_PSK, $2); }
		| CERTIFICATE string {
			authz_subject(ps, &@2, CONF_AUTHZ_CERT, $2);
		}
		| string	{ authz_subject(ps, &@1, CONF_AUTHZ_ANY, $1); }
		;

authpools	: string		{ authz_pool(ps, &@1, $1); }
		| authpools string	{ authz_pool(ps, &@2, $2); }
		;

optnl		: %empty
		| optnl NL
		;

anyword		: WORD
		| STRING
		| NUMBER			{ $$ = (char *)$1.text; }
		;

string		: WORD
		| STRING
		;

duration	: NUMBER		{ $$ = get_duration(ps, &@1, $1); }
		;
count		: NUMBER		{ $$ = get_count(ps, &@1, $1); }
		;
size		: NUMBER		{ $$ = get_size(ps, &@1, $1); }
		;

address		: anyword		{ get_addr(ps, &@1, $1, &$$); }
		;

port		: PORT count {
			$$ = check_range(ps, &@2, "port", $2, 1, 65535, false,
			    NULL) ? (long)$2.v : 0;
		}
		;

portopt		: %empty		{ $$ = -1; }
		| port
		;

main		: SERVER_ID count {
			if (!$2.ok)
				;
			else if ($2.v == 0)
				ERR(&@2, "server-id 0 is reserved: it means "
				    "\"pick one at random\"; write "
				    "\"server-id random\"");
			else if ($2.v > UINT32_MAX)
				ERR(&@2, "server-id %llu is out of range (1 "
				    "to 0xffffffff)", (unsigned long long)$2.v);
			else
				C->server_id = (uint32_t)$2.v;
		}
		| SERVER_ID RANDOM		{ C->server_id = 0; }
		| NODE_NAME anyword {
			const char *p;

			for (p = $2; *p != '\0'; p++)
				if (!isprint((unsigned char)*p))
					break;
			if (*$2 == '\0')
				ERR(&@2, "node-name must not be empty");
			else if (strlen($2) >= sizeof(C->node_name))
				ERR(&@2, "node-name is too long (at most %zu "
				    "characters)", sizeof(C->node_name) - 1);
			else if (*p != '\0')
				ERR(&@2, "node-name may only contain printable "
				    "characters");
			else
				snprintf(C->node_name, sizeof(C->node_name),
				    "%s", $2);
		}
		| LISTEN ON address listenopts {
			if ($3.ok)
				add_listen(ps, &@3, &$3, $4);
		}
		| ASAP LBRACE asapitems RBRACE
		| ASAP LBRACE asapitems error RBRACE	{ yyerrok; }
		| ASAP LBRACE asapitems asapitem RBRACE
		| LIMITS LBRACE limititems RBRACE
		| LIMITS LBRACE limititems error RBRACE	{ yyerrok; }
		| LIMITS LBRACE limititems limititem RBRACE
		| ANNOUNCE onoff annblock	{ C->announce = $2; }
		| ENRP LBRACE enrpitems RBRACE	{ enrp_done(ps, &@1); }
		| ENRP LBRACE enrpitems error RBRACE {
			yyerrok;
			enrp_done(ps, &@1);
		}
		| ENRP LBRACE enrpitems enrpitem RBRACE { enrp_done(ps, &@1); }
		| CONTROL SOCKET string {
			if ($3[0] != '/')
				ERR(&@3, "control socket \"%s\" must be an "
				    "absolute path", $3);
			else if (strlen($3) >= sizeof(C->control_socket))
				ERR(&@3, "control socket path is too long (at "
				    "most %zu characters)",
				    sizeof(C->control_socket) - 1);
			else
				snprintf(C->control_socket,
				    sizeof(C->control_socket), "%s", $3);
		}
		| SECURED onoff {
			C->secured = $2;
			ps->secured_loc = @1;
		}
		| IO_BATCHING onoff	{ C->io_batching = $2; }
		| AUTHORIZE authsubject POOL authpools
		| UNICAST_ADDR address portopt {
			if ($2.ok && $3 != 0)
				unicast_add(ps, &@2, &$2, $3);
		}
		| TLS LBRACE tlsitems RBRACE	{ tls_done(ps, &@1); }
		| TLS LBRACE tlsitems error RBRACE {
			yyerrok;
			tls_done(ps, &@1);
		}
		| TLS LBRACE tlsitems tlsitem RBRACE { tls_done(ps, &@1); }
		| METRICS OFF			{ C->metrics = false; }
		| METRICS ON			{ C->metrics = true; }
		| METRICS LISTEN address portopt {
			if ($3.ok && $4 != 0) {
				set_port(&$3.ss, $4 > 0 ? (uint16_t)$4 : 9464);
				C->metrics = true;
				C->metrics_ss = $3.ss;
				C->metrics_sslen = $3.len;
			}
		}
		;

listenopts	: %empty {
			$$.port = -1;
			$$.transports = 0;
			$$.tls = false;
		}
		| listenopts port {
			$$ = $1;
			$$.port = $2;
		}
		| listenopts TRANSPORT transports {
			$$ = $1;
			$$.transports = $3;
		}
		| listenopts TLS {
			$$ = $1;
			$$.tls = true;
		}
		;

/* TLS (issue 12): keys and certificates, read at start and SIGHUP. */
tlsitems	: %empty
		| tlsitems NL
		| tlsitems tlsitem NL
		| tlsitems error NL		{ yyerrok; }
		;

tlsitem		: PSK_FILE string {
			tls_path(ps, &@2, "psk-file", C->tls.psk_file, $2);
		}
		| CERTIFICATE string KEY string {
			tls_path(ps, &@2, "certificate", C->tls.cert_file, $2);
			tls_path(ps, &@4, "key", C->tls.key_file, $4);
		}
		| CA string {
			tls_path(ps, &@2, "ca", C->tls.ca_file, $2);
		}
		| KEYLOG string {
			tls_path(ps, &@2, "keylog", C->tls.keylog_file, $2);
		}
		| CLIENT_CERT NONE {
			C->tls.client_cert = CONF_CLIENT_CERT_NONE;
			C->tls.client_cert_set = true;
		}
		| CLIENT_CERT anyword {
			if (strcmp($2, "optional") == 0)
				C->tls.client_cert = CONF_CLIENT_CERT_OPTIONAL;
			else if (strcmp($2, "require") == 0)
				C->tls.client_cert = CONF_CLIENT_CERT_REQUIRE;
			else
				ERR(&@2, "client-certificate must be none, "
				    "optional or require, not \"%s\"", $2);
			C->tls.client_cert_set = true;
		}
		| MIN_VERSION anyword {
			if (strcmp($2, "1.2") == 0)
				C->tls.allow_tls12 = true;
			else if (strcmp($2, "1.3") == 0)
				C->tls.allow_tls12 = false;
			else
				ERR(&@2, "min-version must be 1.2 or 1.3, not "
				    "\"%s\"", $2);
		}
		;

transports	: transport
		| LBRACE optnl tlist RBRACE	{ $$ = $3; }
		;

tlist		: transport optnl
		| tlist transport optnl		{ $$ = $1 | $2; }
		;

transport	: TCP				{ $$ = CONF_TRANSPORT_TCP; }
		| SCTP				{ $$ = CONF_TRANSPORT_SCTP; }
		;

asapitems	: %empty
		| asapitems NL
		| asapitems asapitem NL
		| asapitems error NL		{ yyerrok; }
		;

asapitem	: KA_INTERVAL duration {
			if (check_range(ps, &@2, "keepalive-interval", $2, 100,
			    60 * 60 * 1000, true, NULL))
				C->keepalive_interval = (uint32_t)$2.v;
		}
		| KA_TIMEOUT duration {
			if (check_range(ps, &@2, "keepalive-timeout", $2, 100,
			    60 * 1000, true, "a PE that has not answered "
			    "within a minute is gone"))
				C->keepalive_timeout = (uint32_t)$2.v;
		}
		| MAX_BAD_PE count {
			if (check_range(ps, &@2, "max-bad-pe-reports", $2, 1,
			    1000, false, NULL))
				C->max_bad_pe_reports = (uint32_t)$2.v;
		}
		| UNREACH_WINDOW duration {
			/* issue 12: how long a report counts */
			if (check_range(ps, &@2, "unreachable-window", $2,
			    1000, 60 * 60 * 1000, true, NULL))
				C->unreachable_window = (uint32_t)$2.v;
		}
		| RES_ITEMS count {
			if (check_range(ps, &@2, "resolution-items", $2, 1,
			    65535, false, NULL)) {
				C->resolution_items = (uint32_t)$2.v;
				mark(ps, &ps->res_items, &@2);
			}
		}
		| RES_ITEMS_MAX count {
			if (check_range(ps, &@2, "resolution-items-max", $2, 1,
			    65535, false, NULL)) {
				C->resolution_items_max = (uint32_t)$2.v;
				mark(ps, &ps->res_items_max, &@2);
			}
		}
		| LIFE_UNIT anyword {
			if (strcmp($2, "ms") == 0)
				C->life_unit = 1;
			else if (strcmp($2, "s") == 0)
				C->life_unit = 1000;
			else
				ERR(&@2, "registration-life-unit must be ms "
				    "(RSPLIB) or s (RFC 5354), not \"%s\"", $2);
		}
		| LIFE_MAX duration {
			if (check_range(ps, &@2, "registration-life-max", $2,
			    1000, 7 * 24 * 60 * 60 * 1000, true, NULL))
				C->life_max = (uint32_t)$2.v;
		}
		| LIFE_MAX NONE			{ C->life_max = 0; }
		;

limititems	: %empty
		| limititems NL
		| limititems limititem NL
		| limititems error NL		{ yyerrok; }
		;

limititem	: POOLS count {
			if (check_range(ps, &@2, "pools", $2, 1, 10000000,
			    false, NULL))
				C->max_pools = (uint32_t)$2.v;
		}
		| PES count {
			if (check_range(ps, &@2, "pes", $2, 1, 10000000, false,
			    NULL)) {
				C->max_pes = (uint32_t)$2.v;
				mark(ps, &ps->pes, &@2);
			}
		}
		| PES_PER_POOL count {
			if (check_range(ps, &@2, "pes-per-pool", $2, 1,
			    10000000, false, NULL)) {
				C->max_pes_per_pool = (uint32_t)$2.v;
				mark(ps, &ps->pes_per_pool, &@2);
			}
		}
		| HANDLE_LEN count {
			/* RFC 5354 §3.9: 16-bit TLV length, 4-byte header. */
			if (check_range(ps, &@2, "pool-handle-length", $2, 1,
			    65531, false, "the most a Pool Handle parameter "
			    "can hold"))
				C->max_handle_len = (uint32_t)$2.v;
		}
		| ASSOCIATIONS count {
			if (check_range(ps, &@2, "associations", $2, 1, 1000000,
			    false, NULL))
				C->max_associations = (uint32_t)$2.v;
		}
		| PES_PER_ASSOC count {
			if (check_range(ps, &@2, "pes-per-association", $2, 1,
			    65535, false, NULL)) {
				C->max_pes_per_assoc = (uint32_t)$2.v;
				mark(ps, &ps->pes_per_assoc, &@2);
			}
		}
		| MESSAGE_SIZE size {
			/* RFC 5354 §4: the message length field is 16 bits. */
			if (check_range(ps, &@2, "message-size", $2, 512, 65535,
			    false, "the message length field is 16 bits"))
				C->max_message_size = (uint32_t)$2.v;
		}
		| REQUEST_RATE count {
			if (check_range(ps, &@2, "request-rate", $2, 1, 1000000,
			    false, NULL)) {
				C->request_rate = (uint32_t)$2.v;
				C->request_burst = 2 * C->request_rate;
			}
		}
		| REQUEST_RATE count BURST count {
			bool rate = check_range(ps, &@2, "request-rate", $2, 1,
			    1000000, false, NULL);
			bool burst = check_range(ps, &@4, "burst", $4, 1,
			    10000000, false, NULL);

			if (rate && burst) {
				C->request_rate = (uint32_t)$2.v;
				C->request_burst = (uint32_t)$4.v;
			}
		}
		/* issue 12: bounds against one bad client */
		| IDLE_TIMEOUT duration {
			if (check_range(ps, &@2, "idle-timeout", $2, 1000,
			    24 * 60 * 60 * 1000, true, NULL))
				C->idle_timeout = (uint32_t)$2.v;
		}
		| IDLE_TIMEOUT NONE		{ C->idle_timeout = 0; }
		| MESSAGE_TIMEOUT duration {
			if (check_range(ps, &@2, "message-timeout", $2, 100,
			    10 * 60 * 1000, true, NULL))
				C->message_timeout = (uint32_t)$2.v;
		}
		| ASSOCS_PER_SOURCE count {
			if (check_range(ps, &@2, "associations-per-source", $2,
			    1, 1000000, false, NULL))
				C->assocs_per_source = (uint32_t)$2.v;
		}
		| SEND_QUEUE size {
			/* One answer (64 KiB at most) must fit. */
			if (check_range(ps, &@2, "send-queue", $2, 65536,
			    1024 * 1024 * 1024, false, "one message of 64K "
			    "must fit")) {
				C->send_queue = (uint32_t)$2.v;
				mark(ps, &ps->sendq, &@2);
			}
		}
		| SEND_QUEUE_TOTAL size {
			if (check_range(ps, &@2, "send-queue-total", $2, 65536,
			    UINT32_MAX, false, NULL)) {
				C->send_queue_total = (uint32_t)$2.v;
				mark(ps, &ps->sendq_total, &@2);
			}
		}
		;

enrpitems	: %empty
		| enrpitems NL
		| enrpitems enrpitem NL
		| enrpitems error NL		{ yyerrok; }
		;

/* RFC 5353 §4 names the timers; the defaults are RSPLIB's (regconf.h). */
enrpitem	: LISTEN ON address listenopts {
			if ($3.ok)
				enrp_listen(ps, &@3, &$3, $4);
		}
		/* ENRP over TLS with registrars' PSKs */
		| TLS onoff {
			C->tls.enrp_tls = $2;
			ps->enrp_tls_loc = @1;
		}
		| PSK_FILE string {
			tls_path(ps, &@2, "psk-file", C->tls.enrp_psk_file, $2);
		}
		| IDENTITY string {
			const char *p;

			for (p = $2; *p != '\0'; p++)
				if (!isgraph((unsigned char)*p))
					break;
			if (*$2 == '\0' || *p != '\0' ||
			    strlen($2) >= sizeof(C->tls.identity))
				ERR(&@2, "identity must be 1 to %zu printable "
				    "characters without spaces",
				    sizeof(C->tls.identity) - 1);
			else
				snprintf(C->tls.identity,
				    sizeof(C->tls.identity), "%s", $2);
		}
		| PEER address portopt {
			if ($2.ok && $3 != 0)
				enrp_peer(ps, &@2, &$2, $3);
		}
		| HB_CYCLE duration {
			if (check_range(ps, &@2, "heartbeat-cycle", $2, 100,
			    10 * 60 * 1000, true, NULL))
				C->enrp.heartbeat_cycle = (uint32_t)$2.v;
		}
		| MAX_LAST_HEARD duration {
			if (check_range(ps, &@2, "max-time-last-heard", $2, 200,
			    60 * 60 * 1000, true, NULL))
				C->enrp.max_last_heard = (uint32_t)$2.v;
		}
		| MAX_NO_RESPONSE duration {
			if (check_range(ps, &@2, "max-time-no-response", $2,
			    100, 10 * 60 * 1000, true, NULL))
				C->enrp.max_no_response = (uint32_t)$2.v;
		}
		| MENTOR_DISC duration {
			if (check_range(ps, &@2, "mentor-discovery", $2, 100,
			    10 * 60 * 1000, true, NULL))
				C->enrp.mentor_discovery = (uint32_t)$2.v;
		}
		| TAKEOVER_EXPIRY duration {
			if (check_range(ps, &@2, "takeover-expiry", $2, 100,
			    10 * 60 * 1000, true, NULL))
				C->enrp.takeover_expiry = (uint32_t)$2.v;
		}
		| TAKEOVER_WINNER anyword {
			if (strcmp($2, "lowest-id") == 0)
				C->enrp.takeover_winner =
				    CONF_TAKEOVER_LOWEST_ID;
			else if (strcmp($2, "highest-id") == 0)
				C->enrp.takeover_winner =
				    CONF_TAKEOVER_HIGHEST_ID;
			else
				ERR(&@2, "takeover-winner must be lowest-id "
				    "(RSPLIB, sctp-refimpl) or highest-id "
				    "(RFC 5353 §3.5.1), not \"%s\"", $2);
		}
		| PAGE_SIZE count {
			/* RSPLIB sends at most 128 PEs per response. */
			if (check_range(ps, &@2, "table-page-size", $2, 1,
			    4096, false, NULL))
				C->enrp.table_page_size = (uint32_t)$2.v;
		}
		/* Peer discovery by multicast PRESENCE (RSPLIB, not RFC 5353). */
		| MULTICAST onoff		{ C->enrp.multicast = $2; }
		| GROUP address portopt ifopt {
			if ($2.ok && $3 != 0)
				enrp_group(ps, &@2, &$2, $3, &@4, $4);
		}
		| MAX_DISCOVERED count {
			/* enrp.h ENRP_MAX_PEERS: the whole peer list. */
			if (check_range(ps, &@2, "max-discovered-peers", $2, 1,
			    64, false, "the peer list holds 64"))
				C->enrp.max_discovered = (uint32_t)$2.v;
		}
		/* Who may peer besides the configured peers (issue 12). */
		| ALLOW FROM anyword		{ enrp_allow(ps, &@3, $3); }
		;

ifopt		: %empty			{ $$ = NULL; }
		| INTERFACE anyword		{ $$ = $2; }
		;

onoff		: ON				{ $$ = 1; }
		| OFF				{ $$ = 0; }
		;

annblock	: %empty
		| LBRACE annitems RBRACE
		| LBRACE annitems annitem RBRACE
		| LBRACE annitems error RBRACE	{ yyerrok; }
		;

annitems	: %empty
		| annitems NL
		| annitems annitem NL
		| annitems error NL		{ yyerrok; }
		;

annitem		: GROUP address portopt {
			if ($2.ok && $3 != 0)
				add_group(ps, &@2, &$2, $3);
		}
		| INTERVAL duration {
			/* RFC 5352 T6-Serverannounce, 1 s by default. */
			if (check_range(ps, &@2, "interval", $2, 100,
			    60 * 60 * 1000, true, NULL))
				C->announce_interval = (uint32_t)$2.v;
		}
		;

%%

static const struct keyword {
	const char	*name;
	int		 token;
} keywords[] = {	/* sorted for bsearch */
	{ "allow",			T_ALLOW },
	{ "announce",			T_ANNOUNCE },
	{ "asap",			T_ASAP },
	{ "associations",		T_ASSOCIATIONS },
	{ "associations-per-source",	T_ASSOCS_PER_SOURCE },
	{ "authorize",			T_AUTHORIZE },
	{ "burst",			T_BURST },
	{ "ca",				T_CA },
	{ "certificate",		T_CERTIFICATE },
	{ "client-certificate",		T_CLIENT_CERT },
	{ "control",			T_CONTROL },
	{ "enrp",			T_ENRP },
	{ "from",			T_FROM },
	{ "group",			T_GROUP },
	{ "heartbeat-cycle",		T_HB_CYCLE },
	{ "identity",			T_IDENTITY },
	{ "idle-timeout",		T_IDLE_TIMEOUT },
	{ "interface",			T_INTERFACE },
	{ "interval",			T_INTERVAL },
	{ "io-batching",		T_IO_BATCHING },
	{ "keepalive-interval",		T_KA_INTERVAL },
	{ "keepalive-timeout",		T_KA_TIMEOUT },
	{ "key",			T_KEY },
	{ "keylog",			T_KEYLOG },
	{ "limits",			T_LIMITS },
	{ "listen",			T_LISTEN },
	{ "max-bad-pe-reports",		T_MAX_BAD_PE },
	{ "max-discovered-peers",	T_MAX_DISCOVERED },
	{ "max-time-last-heard",	T_MAX_LAST_HEARD },
	{ "max-time-no-response",	T_MAX_NO_RESPONSE },
	{ "mentor-discovery",		T_MENTOR_DISC },
	{ "message-size",		T_MESSAGE_SIZE },
	{ "message-timeout",		T_MESSAGE_TIMEOUT },
	{ "metrics",			T_METRICS },
	{ "min-version",		T_MIN_VERSION },
	{ "multicast",			T_MULTICAST },
	{ "node-name",			T_NODE_NAME },
	{ "none",			T_NONE },
	{ "off",			T_OFF },
	{ "on",				T_ON },
	{ "peer",			T_PEER },
	{ "pes",			T_PES },
	{ "pes-per-association",	T_PES_PER_ASSOC },
	{ "pes-per-pool",		T_PES_PER_POOL },
	{ "pool",			T_POOL },
	{ "pool-handle-length",		T_HANDLE_LEN },
	{ "pools",			T_POOLS },
	{ "port",			T_PORT },
	{ "psk",			T_PSK },
	{ "psk-file",			T_PSK_FILE },
	{ "random",			T_RANDOM },
	{ "registration-life-max",	T_LIFE_MAX },
	{ "registration-life-unit",	T_LIFE_UNIT },
	{ "request-rate",		T_REQUEST_RATE },
	{ "resolution-items",		T_RES_ITEMS },
	{ "resolution-items-max",	T_RES_ITEMS_MAX },
	{ "sctp",			T_SCTP },
	{ "secured",			T_SECURED },
	{ "send-queue",			T_SEND_QUEUE },
	{ "send-queue-total",		T_SEND_QUEUE_TOTAL },
	{ "server-id",			T_SERVER_ID },
	{ "socket",			T_SOCKET },
	{ "table-page-size",		T_PAGE_SIZE },
	{ "takeover-expiry",		T_TAKEOVER_EXPIRY },
	{ "takeover-winner",		T_TAKEOVER_WINNER },
	{ "tcp",			T_TCP },
	{ "tls",			T_TLS },
	{ "transport",			T_TRANSPORT },
	{ "unicast-address",		T_UNICAST_ADDR },
	{ "unreachable-window",		T_UNREACH_WINDOW },
};

static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keyword *)e)->name);
}

/* Keep a token's text for the grammar; freed when config_parse() ends. */
static char *
keep(struct parse_state *ps, const char *s)
{
	size_t len = strlen(s);
	struct pstr *p;

	if ((p = malloc(sizeof(*p) + len + 1)) == NULL)
		return NULL;
	memcpy(p->s, s, len + 1);
	p->next = ps->strings;
	ps->strings = p;
	return p->s;
}

static int
yylex(YYSTYPE *lval, YYLTYPE *lloc, struct parse_state *ps)
{
	struct conf_token t;
	const struct keyword *kw;
	char *s;

	conf_lex_next(ps->lex, &t);
	*lloc = t.loc;
	snprintf(ps->last, sizeof(ps->last), "%s", t.text);
	switch (t.type) {
	case CONF_T_EOF:
		return T_YYEOF;
	case CONF_T_NEWLINE:
	case CONF_T_SEMI:
		return T_NL;
	case CONF_T_LBRACE:
		if (ps->nbrace < MAX_BRACES)
			ps->brace[ps->nbrace] = t.loc;
		ps->nbrace++;
		return T_LBRACE;
	case CONF_T_RBRACE:
		ps->stray_rbrace = ps->nbrace == 0;
		if (ps->nbrace > 0)
			ps->nbrace--;
		return T_RBRACE;
	case CONF_T_ERROR:
		return T_LEXERROR;
	case CONF_T_WORD:
		kw = bsearch(t.text, keywords, sizeof(keywords) /
		    sizeof(keywords[0]), sizeof(keywords[0]), kw_cmp);
		if (kw != NULL) {
			ps->kw_prev = ps->kw_last;
			ps->kw_last = kw->token;
			return kw->token;
		}
		break;
	case CONF_T_STRING:
	case CONF_T_NUMBER:
		break;
	}
	if ((s = keep(ps, t.text)) == NULL) {
		conf_error_at(ps->lex, &t.loc, "out of memory");
		return T_LEXERROR;
	}
	if (t.type == CONF_T_NUMBER) {
		lval->num.v = t.num;
		lval->num.unit = t.unit;
		lval->num.text = s;
		return T_NUMBER;
	}
	lval->str = s;
	return t.type == CONF_T_WORD ? T_WORD : T_STRING;
}

static void
yyerror(YYLTYPE *loc, struct parse_state *ps, const char *msg)
{
	conf_error_at(ps->lex, loc, "%s", msg);
}

static bool
is_keyword(yysymbol_kind_t k)
{
	/* Every keyword token is declared between "announce" and NL. */
	return k >= YYSYMBOL_ANNOUNCE && k < YYSYMBOL_NL;
}

/* Keywords that start a top-level statement. */
static bool
is_statement(yysymbol_kind_t k)
{
	switch (k) {
	case YYSYMBOL_ANNOUNCE:
	case YYSYMBOL_ASAP:
	case YYSYMBOL_CONTROL:
	case YYSYMBOL_ENRP:
	case YYSYMBOL_LIMITS:
	case YYSYMBOL_LISTEN:
	case YYSYMBOL_METRICS:
	case YYSYMBOL_NODE_NAME:
	case YYSYMBOL_SERVER_ID:
	case YYSYMBOL_SECURED:
	case YYSYMBOL_TLS:
	case YYSYMBOL_AUTHORIZE:
	case YYSYMBOL_UNICAST_ADDR:
		return true;
	default:
		return false;
	}
}

/* A word that could have been meant as a keyword (not an address). */
static bool
looks_like_keyword(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

/* Edit distance, for "did you mean"; short strings only. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[65], prev, tmp;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

/* What a free-form value after keyword kw is, in the operator's words. */
static const char *
value_name(int kw)
{
	switch (kw) {
	case T_ON:		/* listen on */
	case T_LISTEN:		/* metrics listen */
	case T_UNICAST_ADDR:
	case T_GROUP:
	case T_PEER:
		return "an IP address";
	case T_TAKEOVER_WINNER:
		return "lowest-id or highest-id";
	case T_NODE_NAME:
		return "a name";
	case T_LIFE_UNIT:
		return "ms or s";
	case T_SOCKET:
		return "a path in quotes";
	case T_INTERFACE:
		return "an interface name";
	case T_PSK_FILE:
	case T_CERTIFICATE:
	case T_KEY:
	case T_CA:
	case T_KEYLOG:
		return "a path in quotes";
	case T_CLIENT_CERT:
		return "none, optional or require";
	case T_MIN_VERSION:
		return "1.2 or 1.3";
	case T_IDENTITY:
		return "a PSK identity";
	case T_AUTHORIZE:
		return "an identity pattern in quotes, psk, certificate or none";
	case T_PSK:
		return "a PSK identity pattern in quotes";
	case T_POOL:
		return "a pool handle pattern in quotes";
	default:
		return NULL;
	}
}

static const char *
symbol_name(yysymbol_kind_t k, char *buf, size_t len)
{
	switch (k) {
	case YYSYMBOL_NUMBER:
		return "a number";
	case YYSYMBOL_WORD:
		return "a word";
	case YYSYMBOL_STRING:
		return "a quoted string";
	case YYSYMBOL_NL:
		return "end of line";
	case YYSYMBOL_YYEOF:
		return "end of file";
	default:
		snprintf(buf, len, "\"%s\"", yysymbol_name(k));
		return buf;
	}
}

/* "file:line" of loc, or "line N" when it is in the file of here. */
static void
fmt_where(char *buf, size_t len, const struct conf_loc *loc,
    const struct conf_loc *here)
{
	if (loc->file == here->file)
		snprintf(buf, len, "line %d", loc->line);
	else
		snprintf(buf, len, "%s:%d", loc->file, loc->line);
}

/*
 * Say what was found and what would have fit, in the operator's words:
 * 'unknown keyword "lisen" (did you mean "listen"?)',
 * 'unexpected end of line; expected an IP address'.
 */
static int
yyreport_syntax_error(const yypcontext_t *ctx, struct parse_state *ps)
{
	yysymbol_kind_t tok = yypcontext_token(ctx), exp[YYNTOKENS];
	yysymbol_kind_t list[YYNTOKENS];
	const YYLTYPE *loc = yypcontext_location(ctx);
	const char *best = NULL, *vname;
	size_t bestd = SIZE_MAX, d, off = 0;
	char msg[1024], buf[64], where[CONF_PATH_MAX + 32];
	int n, i, nlist = 0, kw;
	bool stmt_kw = false, want_nl = false, want_rbrace = false;
	bool want_word = false;

	if (tok == YYSYMBOL_LEXERROR)
		return 0;	/* the lexer has said what is wrong */
	if (tok == YYSYMBOL_RBRACE && ps->stray_rbrace) {
		ERR(loc, "\"}\" without a matching \"{\"");
		return 0;
	}
	if (tok == YYSYMBOL_YYEOF && ps->nbrace > 0) {
		i = ps->nbrace <= MAX_BRACES ? ps->nbrace - 1 : MAX_BRACES - 1;
		ERR(&ps->brace[i], "\"{\" is never closed: \"}\" missing at "
		    "end of file");
		return 0;
	}
	if ((n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS)) < 0)
		n = 0;
	for (i = 0; i < n; i++) {
		if (exp[i] == YYSYMBOL_NL)
			want_nl = true;
		if (exp[i] == YYSYMBOL_RBRACE)
			want_rbrace = true;
		if (exp[i] == YYSYMBOL_WORD)
			want_word = true;
		if (is_keyword(exp[i])) {
			stmt_kw = true;
			if (tok == YYSYMBOL_WORD && (d = distance(ps->last,
			    yysymbol_name(exp[i]))) < bestd) {
				bestd = d;
				best = yysymbol_name(exp[i]);
			}
		}
	}
	/* Free-form values: name them by the keyword they follow. */
	kw = is_keyword(tok) ? ps->kw_prev : ps->kw_last;
	vname = want_word ? value_name(kw) : NULL;
	for (i = 0; i < n; i++) {
		/* Where a statement may start, its end goes without saying. */
		if (stmt_kw && (exp[i] == YYSYMBOL_NL ||
		    exp[i] == YYSYMBOL_YYEOF))
			continue;
		if (vname != NULL && (exp[i] == YYSYMBOL_STRING ||
		    exp[i] == YYSYMBOL_NUMBER))
			continue;
		list[nlist++] = exp[i];
	}

	switch (tok) {
	case YYSYMBOL_WORD:
		if (stmt_kw && looks_like_keyword(ps->last)) {
			off = (size_t)snprintf(msg, sizeof(msg),
			    "unknown keyword \"%s\"", ps->last);
			if (best != NULL && bestd <= 2 &&
			    bestd < strlen(best) / 2) {
				ERR(loc, "%s (did you mean \"%s\"?)", msg,
				    best);
				return 0;
			}
		} else
			off = (size_t)snprintf(msg, sizeof(msg),
			    "unexpected \"%s\"", ps->last);
		break;
	case YYSYMBOL_NUMBER:
		off = (size_t)snprintf(msg, sizeof(msg), "unexpected number "
		    "\"%s\"", ps->last);
		break;
	case YYSYMBOL_STRING:
		off = (size_t)snprintf(msg, sizeof(msg), "unexpected quoted "
		    "string \"%s\"", ps->last);
		break;
	case YYSYMBOL_NL:
	case YYSYMBOL_YYEOF:
		off = (size_t)snprintf(msg, sizeof(msg), "unexpected %s",
		    symbol_name(tok, buf, sizeof(buf)));
		break;
	default:
		if (is_statement(tok) && want_rbrace && ps->nbrace > 0 &&
		    ps->nbrace <= MAX_BRACES) {
			fmt_where(where, sizeof(where),
			    &ps->brace[ps->nbrace - 1], loc);
			ERR(loc, "\"%s\" is not allowed inside a block: is the "
			    "\"}\" of the \"{\" at %s missing?",
			    yysymbol_name(tok), where);
			return 0;
		}
		off = (size_t)snprintf(msg, sizeof(msg), "\"%s\" is not "
		    "allowed here", yysymbol_name(tok));
		break;
	}
	for (i = 0; i < nlist && off < sizeof(msg); i++) {
		const char *sep = i == 0 ?
		    (nlist <= 2 ? "; expected " : "; expected one of: ") :
		    (nlist == 2 ? " or " : ", ");

		off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s%s",
		    sep, list[i] == YYSYMBOL_WORD && vname != NULL ? vname :
		    symbol_name(list[i], buf, sizeof(buf)));
	}
	if (want_nl && !stmt_kw && is_keyword(tok) && off < sizeof(msg))
		snprintf(msg + off, sizeof(msg) - off, " (one statement per "
		    "line, or separate them with \";\")");
	ERR(loc, "%s", msg);
	return 0;
}

static void
mark(struct parse_state *ps, struct setting *s, const YYLTYPE *loc)
{
	s->loc = *loc;
	s->seq = ++ps->seq;
}

static void
fmt_value(char *buf, size_t len, uint64_t v, bool dur)
{
	if (dur)
		conf_fmt_duration(buf, len, v);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static bool
check_range(struct parse_state *ps, const YYLTYPE *loc, const char *name,
    struct pval v, uint64_t min, uint64_t max, bool dur, const char *why)
{
	char val[32], lo[32], hi[32];

	if (!v.ok)
		return false;
	if (v.v >= min && v.v <= max)
		return true;
	fmt_value(val, sizeof(val), v.v, dur);
	fmt_value(lo, sizeof(lo), min, dur);
	fmt_value(hi, sizeof(hi), max, dur);
	if (v.v == 0)
		ERR(loc, "%s must not be 0 (range %s to %s%s%s)", name, lo, hi,
		    why ? ": " : "", why ? why : "");
	else
		ERR(loc, "%s %s is out of range (%s to %s%s%s)", name, val,
		    lo, hi, why ? ": " : "", why ? why : "");
	return false;
}

static struct pval
get_duration(struct parse_state *ps, const YYLTYPE *loc, struct pnum n)
{
	struct pval v = { n.v, true };

	if (n.unit == CONF_UNIT_TIME)
		return v;
	v.ok = false;
	if (n.unit == CONF_UNIT_NONE)
		ERR(loc, "duration \"%s\" needs a unit: ms, s, m or h "
		    "(as in %sms or %ss)", n.text, n.text, n.text);
	else
		ERR(loc, "\"%s\" is a size, not a duration", n.text);
	return v;
}

static struct pval
get_count(struct parse_state *ps, const YYLTYPE *loc, struct pnum n)
{
	struct pval v = { n.v, true };

	if (n.unit != CONF_UNIT_NONE) {
		ERR(loc, "\"%s\": expected a plain number, without a unit",
		    n.text);
		v.ok = false;
	}
	return v;
}

static struct pval
get_size(struct parse_state *ps, const YYLTYPE *loc, struct pnum n)
{
	struct pval v = { n.v, true };

	if (n.unit == CONF_UNIT_TIME) {
		ERR(loc, "\"%s\" is a duration, not a size", n.text);
		v.ok = false;
	}
	return v;
}

/* Numeric IPv4 or IPv6 address (with an optional %scope); no names. */
static void
get_addr(struct parse_state *ps, const YYLTYPE *loc, const char *s,
    struct paddr *ret)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&ret->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ret->ss;
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2], *pct, *end;
	unsigned long scope;

	memset(ret, 0, sizeof(*ret));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		ret->len = sizeof(*sin);
		ret->ok = true;
		return;
	}
	if (strlen(s) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", s);
	if ((pct = strchr(buf, '%')) != NULL)
		*pct++ = '\0';
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
		goto bad;
	sin6->sin6_family = AF_INET6;
	if (pct != NULL) {
		errno = 0;
		scope = strtoul(pct, &end, 10);
		if (*pct == '\0' || *end != '\0' || errno != 0 ||
		    scope > UINT32_MAX)
			scope = if_nametoindex(pct);
		if (scope == 0) {
			ERR(loc, "\"%s\": unknown interface \"%s\"", s, pct);
			return;
		}
		sin6->sin6_scope_id = (uint32_t)scope;
	}
	ret->len = sizeof(*sin6);
	ret->ok = true;
	return;
bad:
	ERR(loc, "\"%s\" is not an IP address", s);
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	    a6->sin6_scope_id == b6->sin6_scope_id &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

static void
fmt_addr(char *buf, size_t len, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const void *)ss;
	const struct sockaddr_in6 *sin6 = (const void *)ss;
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s port %u", a, ntohs(sin->sin_port));
	} else {
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "%s port %u", a, ntohs(sin6->sin6_port));
	}
}

static void
add_listen(struct parse_state *ps, const YYLTYPE *loc, struct paddr *a,
    struct plisten o)
{
	struct conf_listen *l;
	char what[INET6_ADDRSTRLEN + 16];
	size_t i;

	if (o.port == 0)
		return;		/* bad port, reported */
	/* TLS: 3864 is ASAP over TLS (RFC 5352 §8.2); TCP only. */
	if (o.tls && (o.transports & CONF_TRANSPORT_SCTP)) {
		ERR(loc, "listen ... tls: TLS runs over TCP only (this "
		    "OpenSSL has no SCTP support, RFC 3436): write "
		    "\"transport tcp tls\"");
		return;
	}
	if (o.tls && o.transports == 0)
		o.transports = CONF_TRANSPORT_TCP;
	if (o.tls && ps->tls_listen_loc.line == 0)
		ps->tls_listen_loc = *loc;
	set_port(&a->ss, o.port > 0 ? (uint16_t)o.port : o.tls ? 3864 : 3863);
	for (i = 0; i < C->nlisten; i++)
		if (same_addr(&C->listen[i].ss, &a->ss)) {
			fmt_addr(what, sizeof(what), &a->ss);
			if (ps->listen_loc[i].file == loc->file)
				ERR(loc, "listen on %s: already configured at "
				    "line %d", what, ps->listen_loc[i].line);
			else
				ERR(loc, "listen on %s: already configured at "
				    "%s:%d", what, ps->listen_loc[i].file,
				    ps->listen_loc[i].line);
			return;
		}
	if (C->nlisten == CONF_MAX_LISTEN) {
		ERR(loc, "too many listen addresses (at most %d)",
		    CONF_MAX_LISTEN);
		return;
	}
	ps->listen_loc[C->nlisten] = *loc;
	l = &C->listen[C->nlisten++];
	l->ss = a->ss;
	l->sslen = a->len;
	l->transports = o.transports ? o.transports :
	    CONF_TRANSPORT_TCP | CONF_TRANSPORT_SCTP;
	l->lineno = loc->line;
	l->tls = o.tls;
}

/*
 * unicast-address ADDR [port N] (issue 13 item 3): an address of this node
 * that is not the anycast one, told to clients that ask
 * (doc/spec/registrar-unicast.md).  Port 0 in the configuration: the port
 * of the association the client asked on.
 */
static void
unicast_add(struct parse_state *ps, const YYLTYPE *loc, struct paddr *a,
    long port)
{
	const struct sockaddr_in *sin = (const void *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const void *)&a->ss;
	char what[INET6_ADDRSTRLEN + 16];
	size_t i;

	if (a->ss.ss_family == AF_INET ?
	    sin->sin_addr.s_addr == htonl(INADDR_ANY) ||
	    IN_MULTICAST(ntohl(sin->sin_addr.s_addr)) :
	    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) ||
	    IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr)) {
		ERR(loc, "unicast-address must be one address of this node, "
		    "not a wildcard or multicast address");
		return;
	}
	set_port(&a->ss, port > 0 ? (uint16_t)port : 0);
	for (i = 0; i < C->nunicast; i++)
		if (same_addr(&C->unicast[i].ss, &a->ss)) {
			fmt_unicast(what, sizeof(what), &a->ss);
			ERR(loc, "unicast-address %s: already configured at "
			    "line %d", what, ps->unicast_loc[i].line);
			return;
		}
	if (C->nunicast == CONF_MAX_UNICAST) {
		ERR(loc, "too many unicast addresses (at most %d)",
		    CONF_MAX_UNICAST);
		return;
	}
	ps->unicast_loc[C->nunicast] = *loc;
	C->unicast[C->nunicast].ss = a->ss;
	C->unicast[C->nunicast].sslen = a->len;
	C->nunicast++;
}

/* "ADDR" or "ADDR port N" as the statement was written. */
static void
fmt_unicast(char *buf, size_t len, const struct sockaddr_storage *ss)
{
	char *sp;

	fmt_addr(buf, len, ss);
	if ((sp = strstr(buf, " port 0")) != NULL && sp[7] == '\0')
		*sp = '\0';
}

/* A listener that serves addr (its port, or any port when it is 0). */
static bool
unicast_served(const struct registrar_config *c,
    const struct sockaddr_storage *u)
{
	const struct sockaddr_in *u4 = (const void *)u;
	const struct sockaddr_in6 *u6 = (const void *)u;
	uint16_t port = u->ss_family == AF_INET ? ntohs(u4->sin_port) :
	    ntohs(u6->sin6_port);
	size_t i;

	if (c->nlisten == 0)	/* the default: every address, port 3863 */
		return port == 0 || port == 3863;
	for (i = 0; i < c->nlisten; i++) {
		const struct sockaddr_in *l4 = (const void *)&c->listen[i].ss;
		const struct sockaddr_in6 *l6 = (const void *)&c->listen[i].ss;

		if (c->listen[i].ss.ss_family != u->ss_family)
			continue;
		if (u->ss_family == AF_INET) {
			if (port != 0 && l4->sin_port != u4->sin_port)
				continue;
			if (l4->sin_addr.s_addr == htonl(INADDR_ANY) ||
			    l4->sin_addr.s_addr == u4->sin_addr.s_addr)
				return true;
		} else {
			if (port != 0 && l6->sin6_port != u6->sin6_port)
				continue;
			if (IN6_IS_ADDR_UNSPECIFIED(&l6->sin6_addr) ||
			    memcmp(&l6->sin6_addr, &u6->sin6_addr, 16) == 0)
				return true;
		}
	}
	return false;
}

/* Each unicast address must be one registrard listens on. */
static void
unicast_check(struct parse_state *ps)
{
	char what[INET6_ADDRSTRLEN + 16];
	size_t i;

	for (i = 0; i < C->nunicast; i++) {
		if (unicast_served(C, &C->unicast[i].ss))
			continue;
		fmt_unicast(what, sizeof(what), &C->unicast[i].ss);
		ERR(&ps->unicast_loc[i], "unicast-address %s: no listen "
		    "statement serves it (clients told to move there would "
		    "find nobody)", what);
	}
}

static void
add_group(struct parse_state *ps, const YYLTYPE *loc, struct paddr *a,
    long port)
{
	const struct sockaddr_in *sin = (const void *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const void *)&a->ss;
	char what[INET6_ADDRSTRLEN + 16];
	size_t i;
	bool mcast;

	if (a->ss.ss_family == AF_INET)
		mcast = IN_MULTICAST(ntohl(sin->sin_addr.s_addr));
	else
		mcast = IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr);
	if (!mcast) {
		char addr[INET6_ADDRSTRLEN];

		inet_ntop(a->ss.ss_family, a->ss.ss_family == AF_INET ?
		    (const void *)&sin->sin_addr : (const void *)&sin6->sin6_addr,
		    addr, sizeof(addr));
		ERR(loc, "group %s is not a multicast address (IPv4 224.0.0.0/4, "
		    "IPv6 ff00::/8)", addr);
		return;
	}
	if (!ps->groups_set) {
		C->nannounce_group = 0;	/* the first group replaces the default */
		ps->groups_set = true;
	}
	set_port(&a->ss, port > 0 ? (uint16_t)port : 3863);
	for (i = 0; i < C->nannounce_group; i++)
		if (same_addr(&C->announce_group[i].ss, &a->ss)) {
			fmt_addr(what, sizeof(what), &a->ss);
			ERR(loc, "group %s is listed twice", what);
			return;
		}
	if (C->nannounce_group == CONF_MAX_GROUPS) {
		ERR(loc, "too many announce groups (at most %d)",
		    CONF_MAX_GROUPS);
		return;
	}
	C->announce_group[C->nannounce_group].ss = a->ss;
	C->announce_group[C->nannounce_group].sslen = a->len;
	C->nannounce_group++;
}

static bool
is_wildcard(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const void *)ss;
	const struct sockaddr_in6 *sin6 = (const void *)ss;

	if (ss->ss_family == AF_INET)
		return sin->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
}

/*
 * DESIGN: ENRP runs between the nodes' unicast addresses, never the anycast
 * service address; one address, which is also the source of the
 * connections to peers and what our Server Information carries.
 */
static void
enrp_listen(struct parse_state *ps, const YYLTYPE *loc, struct paddr *a,
    struct plisten o)
{
	if (o.port == 0)
		return;
	if (o.tls && (o.transports & CONF_TRANSPORT_SCTP)) {
		ERR(loc, "enrp: listen ... tls: TLS runs over TCP only (this "
		    "OpenSSL has no SCTP support, RFC 3436)");
		return;
	}
	if (o.tls) {
		C->tls.enrp_tls = true;
		ps->enrp_tls_loc = *loc;
	}
	if (ps->enrp_listen_set) {
		ERR(loc, "enrp: only one listen address (the node's unicast "
		    "address)");
		return;
	}
	if (is_wildcard(&a->ss)) {
		ERR(loc, "enrp: listen on the node's unicast address, not a "
		    "wildcard: peers and Server Information need it");
		return;
	}
	set_port(&a->ss, o.port > 0 ? (uint16_t)o.port : 9901);
	C->enrp.listen.ss = a->ss;
	C->enrp.listen.sslen = a->len;
	/*
	 * RFC 5353 §3.1: ENRP runs over SCTP (PPID 12, §5.4); the TCP
	 * mapping is ours.  Not given: the TCP mapping only, as before SCTP
	 * existed here.  Without kernel SCTP, enrp.c falls back to TCP at
	 * start-up.
	 */
	C->enrp.listen.transports = o.transports ? o.transports :
	    CONF_TRANSPORT_TCP;
	C->enrp.listen.lineno = loc->line;
	ps->enrp_listen_set = true;
}

static void
enrp_peer(struct parse_state *ps, const YYLTYPE *loc, struct paddr *a,
    long port)
{
	char what[INET6_ADDRSTRLEN + 16];
	size_t i;

	if (is_wildcard(&a->ss)) {
		ERR(loc, "enrp: a peer needs a unicast address");
		return;
	}
	set_port(&a->ss, port > 0 ? (uint16_t)port : 9901);
	for (i = 0; i < C->enrp.npeers; i++)
		if (same_addr(&C->enrp.peer[i].ss, &a->ss)) {
			fmt_addr(what, sizeof(what), &a->ss);
			ERR(loc, "enrp: peer %s is listed twice", what);
			return;
		}
	if (C->enrp.npeers == CONF_MAX_PEERS) {
		ERR(loc, "enrp: too many peers (at most %d)", CONF_MAX_PEERS);
		return;
	}
	C->enrp.peer[C->enrp.npeers].ss = a->ss;
	C->enrp.peer[C->enrp.npeers].sslen = a->len;
	C->enrp.npeers++;
}

/*
 * An ENRP multicast group (PRESENCE to and from it; port 9901 unless
 * given).  The interface is resolved at start-up: it may come later.
 */
static void
enrp_group(struct parse_state *ps, const YYLTYPE *loc, struct paddr *a,
    long port, const YYLTYPE *ifloc, const char *ifname)
{
	const struct sockaddr_in *sin = (const void *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const void *)&a->ss;
	char what[INET6_ADDRSTRLEN + 16];
	struct conf_mgroup *g;
	size_t i;
	bool mcast;

	if (a->ss.ss_family == AF_INET)
		mcast = IN_MULTICAST(ntohl(sin->sin_addr.s_addr));
	else
		mcast = IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr);
	if (!mcast) {
		char addr[INET6_ADDRSTRLEN];

		inet_ntop(a->ss.ss_family, a->ss.ss_family == AF_INET ?
		    (const void *)&sin->sin_addr : (const void *)&sin6->sin6_addr,
		    addr, sizeof(addr));
		ERR(loc, "enrp: group %s is not a multicast address (IPv4 "
		    "224.0.0.0/4, IPv6 ff00::/8)", addr);
		return;
	}
	if (ifname != NULL) {
		if (*ifname == '\0' || strlen(ifname) >= CONF_IFNAME_MAX ||
		    strchr(ifname, '/') != NULL || strchr(ifname, ' ') != NULL) {
			ERR(ifloc, "enrp: \"%s\" is not an interface name (at "
			    "most %d characters, no \"/\" or blanks)", ifname,
			    CONF_IFNAME_MAX - 1);
			return;
		}
	}
	if (!ps->mgroups_set) {
		C->enrp.nmgroup = 0;	/* the first group replaces the default */
		ps->mgroups_set = true;
	}
	set_port(&a->ss, port > 0 ? (uint16_t)port : 9901);
	for (i = 0; i < C->enrp.nmgroup; i++)
		if (same_addr(&C->enrp.mgroup[i].ss, &a->ss)) {
			fmt_addr(what, sizeof(what), &a->ss);
			ERR(loc, "enrp: group %s is listed twice", what);
			return;
		}
	if (C->enrp.nmgroup == CONF_MAX_GROUPS) {
		ERR(loc, "enrp: too many multicast groups (at most %d)",
		    CONF_MAX_GROUPS);
		return;
	}
	g = &C->enrp.mgroup[C->enrp.nmgroup++];
	g->ss = a->ss;
	g->sslen = a->len;
	snprintf(g->ifname, sizeof(g->ifname), "%s", ifname ? ifname : "");
}

/*
 * "allow from PREFIX": ADDRESS/LENGTH (IPv4 or IPv6), or an address alone
 * (/32, /128).  Host bits must be zero: 10.1.2.3/8 is more likely a typo
 * than a wish for 10.0.0.0/8.
 */
static void
enrp_allow(struct parse_state *ps, const YYLTYPE *loc, const char *text)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	uint8_t net[16];
	struct conf_prefix pf;
	unsigned long len;
	size_t i, alen;
	int bits;

	memset(&pf, 0, sizeof(pf));
	if (strlen(text) >= sizeof(buf)) {
		ERR(loc, "enrp: allow from \"%s\": not an address prefix",
		    text);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, pf.addr) == 1)
		pf.af = AF_INET;
	else if (inet_pton(AF_INET6, buf, pf.addr) == 1)
		pf.af = AF_INET6;
	else {
		ERR(loc, "enrp: allow from \"%s\": not an address prefix "
		    "(ADDRESS/LENGTH, IPv4 or IPv6)", text);
		return;
	}
	alen = pf.af == AF_INET ? 4 : 16;
	len = alen * 8;
	if (slash != NULL) {
		errno = 0;
		len = strtoul(slash, &end, 10);
		if (*slash == '\0' || !isdigit((unsigned char)*slash) ||
		    *end != '\0' || errno != 0 || len > alen * 8) {
			ERR(loc, "enrp: allow from %s: the prefix length must "
			    "be 0 to %zu", text, alen * 8);
			return;
		}
	}
	pf.len = (uint8_t)len;
	memcpy(net, pf.addr, sizeof(net));
	for (i = 0; i < alen; i++) {
		bits = (int)len - (int)i * 8;
		if (bits < 8)
			net[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
	if (memcmp(net, pf.addr, alen) != 0) {
		inet_ntop(pf.af, net, buf, sizeof(buf));
		ERR(loc, "enrp: allow from %s: host bits set (the network is "
		    "%s/%lu)", text, buf, len);
		return;
	}
	for (i = 0; i < C->enrp.nallow; i++)
		if (C->enrp.allow[i].af == pf.af &&
		    C->enrp.allow[i].len == pf.len &&
		    memcmp(C->enrp.allow[i].addr, pf.addr, alen) == 0) {
			ERR(loc, "enrp: allow from %s is listed twice", text);
			return;
		}
	if (C->enrp.nallow == CONF_MAX_ALLOW) {
		ERR(loc, "enrp: too many allow from prefixes (at most %d)",
		    CONF_MAX_ALLOW);
		return;
	}
	C->enrp.allow[C->enrp.nallow++] = pf;
}

/* The end of an "enrp { ... }" block: what needs the whole block. */
static void
enrp_done(struct parse_state *ps, const YYLTYPE *loc)
{
	char what[INET6_ADDRSTRLEN + 16];
	size_t i;

	if (ps->enrp_seen) {
		ERR(loc, "enrp: configured twice (first at line %d)",
		    ps->enrp_loc.line);
		return;
	}
	ps->enrp_seen = true;
	ps->enrp_loc = *loc;
	if (!ps->enrp_listen_set) {
		ERR(loc, "enrp: \"listen on ADDRESS\" is missing (the node's "
		    "unicast address)");
		return;
	}
	for (i = 0; i < C->enrp.npeers; i++)
		if (same_addr(&C->enrp.peer[i].ss, &C->enrp.listen.ss)) {
			fmt_addr(what, sizeof(what), &C->enrp.peer[i].ss);
			ERR(loc, "enrp: peer %s is this node's own listen "
			    "address", what);
		}
	/* RFC 5353 §4: a peer is probed only after missing heartbeats. */
	if (C->enrp.heartbeat_cycle >= C->enrp.max_last_heard)
		ERR(loc, "enrp: heartbeat-cycle (%u ms) must be shorter than "
		    "max-time-last-heard (%u ms)", C->enrp.heartbeat_cycle,
		    C->enrp.max_last_heard);
	C->enrp.enabled = true;
}

/*
 * "small" must not exceed "big".  Blame the one written last (or the only
 * one written): that is the line the operator just changed.  With both,
 * only a contradiction between two written settings counts (a total limit
 * below a per-pool default is simply the tighter of the two).
 */
static void
check_order(struct parse_state *ps, const struct setting *small,
    const char *sname, uint32_t sv, const struct setting *big,
    const char *bname, uint32_t bv, bool both)
{
	if (sv <= bv || (small->seq == 0 && big->seq == 0) ||
	    (both && (small->seq == 0 || big->seq == 0)))
		return;
	if (small->seq > big->seq)
		ERR(&small->loc, "%s %u is larger than %s %u%s", sname, sv,
		    bname, bv, big->seq == 0 ? " (the default)" : "");
	else
		ERR(&big->loc, "%s %u is smaller than %s %u%s", bname, bv,
		    sname, sv, small->seq == 0 ? " (the default)" : "");
}

int
config_parse(const char *file, struct registrar_config *ret)
{
	struct parse_state *ps;
	struct pstr *s;
	int rc, error = -1;

	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		fprintf(stderr, "%s: %s\n", file, strerror(ENOMEM));
		return -1;
	}
	config_defaults(C);
	if (conf_lex_open(file, &ps->lex) < 0)
		goto out;
	rc = yyparse(ps);
	check_order(ps, &ps->res_items, "resolution-items",
	    C->resolution_items, &ps->res_items_max, "resolution-items-max",
	    C->resolution_items_max, false);
	check_order(ps, &ps->pes_per_pool, "pes-per-pool", C->max_pes_per_pool,
	    &ps->pes, "pes", C->max_pes, true);
	check_order(ps, &ps->pes_per_assoc, "pes-per-association",
	    C->max_pes_per_assoc, &ps->pes, "pes", C->max_pes, true);
	check_order(ps, &ps->sendq, "send-queue", C->send_queue,
	    &ps->sendq_total, "send-queue-total", C->send_queue_total, false);
	tls_check(ps);
	unicast_check(ps);
	if (rc != 0 && conf_lex_errors(ps->lex) == 0)
		conf_error(ps->lex, "cannot parse the configuration");
	if (conf_lex_errors(ps->lex) == 0) {
		*ret = ps->conf;
		error = 0;
	}
out:
	conf_lex_free(ps->lex);
	while ((s = ps->strings) != NULL) {
		ps->strings = s->next;
		free(s);
	}
	free(ps);
	return error;
}

/* TLS (issue 12) ------------------------------------------------------ */

static void
tls_path(struct parse_state *ps, const YYLTYPE *loc, const char *what,
    char *dst, const char *path)
{
	if (path[0] != '/')
		ERR(loc, "%s \"%s\" must be an absolute path", what, path);
	else if (strlen(path) >= CONF_FILE_MAX)
		ERR(loc, "%s path is too long (at most %d characters)", what,
		    CONF_FILE_MAX - 1);
	else
		snprintf(dst, CONF_FILE_MAX, "%s", path);
}

/* The end of a tls block: something to authenticate with. */
static void
tls_done(struct parse_state *ps, const YYLTYPE *loc)
{
	struct conf_tls *t = &C->tls;

	if (ps->tls_loc.line != 0) {
		ERR(loc, "tls: configured twice (first at line %d)",
		    ps->tls_loc.line);
		return;
	}
	ps->tls_loc = *loc;
	C->tls_set = true;
	if (t->psk_file[0] == '\0' && t->cert_file[0] == '\0')
		ERR(loc, "tls: needs psk-file, certificate, or both");
	if (!t->client_cert_set)
		t->client_cert = t->ca_file[0] != '\0' ?
		    CONF_CLIENT_CERT_OPTIONAL : CONF_CLIENT_CERT_NONE;
	if (t->client_cert != CONF_CLIENT_CERT_NONE && t->ca_file[0] == '\0')
		ERR(loc, "tls: client-certificate %s needs a ca to verify "
		    "them", t->client_cert == CONF_CLIENT_CERT_REQUIRE ?
		    "require" : "optional");
	if (t->client_cert != CONF_CLIENT_CERT_NONE &&
	    t->cert_file[0] == '\0')
		ERR(loc, "tls: client certificates are asked for in a "
		    "certificate handshake: give this registrar a certificate");
}

/*
 * authorize SUBJECT pool PATTERN...: the subject is kept until the
 * statement's pool patterns are read, one entry per pattern.
 */
static bool
authz_text_ok(struct parse_state *ps, const YYLTYPE *loc, const char *what,
    const char *s, size_t max)
{
	const char *p;

	if (*s == '\0') {
		ERR(loc, "authorize: empty %s", what);
		return false;
	}
	if (strlen(s) > max) {
		ERR(loc, "authorize: %s is too long (at most %zu characters)",
		    what, max);
		return false;
	}
	for (p = s; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e) {
			ERR(loc, "authorize: %s may only contain printable "
			    "ASCII", what);
			return false;
		}
	return true;
}

static void
authz_subject(struct parse_state *ps, const YYLTYPE *loc,
    enum conf_authz_kind kind, const char *pattern)
{
	ps->az_kind = kind;
	ps->az_ok = kind == CONF_AUTHZ_NONE || authz_text_ok(ps, loc,
	    "identity pattern", pattern, CONF_TLS_ID_MAX - 1);
	snprintf(ps->az_subject, sizeof(ps->az_subject), "%s", pattern);
}

static void
authz_pool(struct parse_state *ps, const YYLTYPE *loc, const char *pattern)
{
	struct conf_authz *a;

	if (!authz_text_ok(ps, loc, "pool handle pattern", pattern,
	    CONF_AUTHZ_POOL_MAX - 1) || !ps->az_ok)
		return;
	if (C->nauthz == CONF_MAX_AUTHZ) {
		ERR(loc, "authorize: more than %d (identity, pool) pairs",
		    CONF_MAX_AUTHZ);
		return;
	}
	a = &C->authz[C->nauthz++];
	a->kind = ps->az_kind;
	snprintf(a->subject, sizeof(a->subject), "%s", ps->az_subject);
	snprintf(a->pool, sizeof(a->pool), "%s", pattern);
}

/* Across statements: tls listeners need keys; secured needs TLS. */
static void
tls_check(struct parse_state *ps)
{
	size_t i;

	if (ps->tls_listen_loc.line != 0 && !C->tls_set)
		ERR(&ps->tls_listen_loc, "listen ... tls: there is no tls "
		    "block with keys or a certificate");
	if (C->enrp.enabled && C->tls.enrp_tls) {
		if (C->tls.enrp_psk_file[0] == '\0')
			ERR(&ps->enrp_tls_loc, "enrp: tls needs psk-file, the "
			    "registrars' keys (and no one else's)");
		if (C->tls.identity[0] == '\0')
			ERR(&ps->enrp_tls_loc, "enrp: tls needs identity, this "
			    "registrar's name in its psk-file");
		if (C->enrp.listen.transports & CONF_TRANSPORT_SCTP)
			ERR(&ps->enrp_tls_loc, "enrp: tls runs over TCP only "
			    "(this OpenSSL has no TLS over SCTP, RFC 3436): "
			    "listen ... transport tcp");
	}
	if (!C->secured)
		return;
	if (C->enrp.enabled && !C->tls.enrp_tls)
		ERR(&ps->secured_loc, "secured on: ENRP must run over TLS too "
		    "(enrp { tls on })");
	if (ps->tls_listen_loc.line == 0)
		ERR(&ps->secured_loc, "secured on: registrations are accepted "
		    "only over TLS, and no listen statement has tls");
	for (i = 0; i < C->nlisten; i++)
		if (C->listen[i].transports & CONF_TRANSPORT_SCTP)
			ERR(&ps->listen_loc[i], "secured on: no plaintext "
			    "SCTP (this OpenSSL has no TLS over SCTP, RFC "
			    "3436): write \"transport tcp\"");
}
