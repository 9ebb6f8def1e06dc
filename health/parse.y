/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd's configuration grammar, in the registrar's style
 * (registrar/parse.y): the tokens come from the shared lexer
 * (lib/conf_lex.c, which also handles includes) and yylex() here only maps
 * its words to this grammar's keywords; statements end at a newline or
 * ";", a service is a "{ ... }" block, values are checked where they are
 * written so every message carries that file:line, and after an error the
 * parser skips to the end of the statement and goes on, so one run reports
 * every mistake.  hconf_parse() builds a fresh struct health_config and
 * hands it over only if the whole file was good, so a SIGHUP reload keeps
 * the running configuration on error.  Defaults and the -n printer live in
 * health/config.c; the statements are documented in healthd.conf.5.
 */

%code requires {
#include <stdbool.h>
#include <stdint.h>

#include "conf_lex.h"

struct parse_state;

struct pnum {			/* a NUMBER token */
	uint64_t	 v;
	enum conf_unit	 unit;
	const char	*text;	/* as written, for messages */
};
}

%code {
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health/hconf.h"

#define MAX_BRACES	16

struct pstr {				/* strings handed to the grammar */
	struct pstr	*next;
	char		 s[];
};

struct parse_state {
	struct conf_lex		*lex;
	struct health_config	*c;
	struct hc_service	 s;		/* the service being read */
	struct conf_loc		 svc_loc;	/* its "service" keyword */
	bool			 in_service, svc_named;
	struct conf_loc		 brace[MAX_BRACES];	/* open "{" */
	int			 nbrace;
	bool			 stray_rbrace;	/* the last "}" closed nothing */
	int			 kw_last, kw_prev;	/* last two keywords */
	char			 last[CONF_LEX_MAX_TOKEN + 1];	/* its text */
	struct conf_loc		 last_loc;
	struct pstr		*strings;
	uint16_t		 probe_port;
	bool			 probe_port_set;
	/* the command and BGP attributes being read */
	struct hc_exec		*ex, ex_scratch;
	bool			 ex_check;
	struct frr_bgp_attrs	*ba;
	struct conf_loc		 ba_loc;
	/* H-hcover: the cover being read, where each was written */
	struct hc_cover		*cv, cv_scratch;
	struct conf_loc		 cover_loc[HC_MAX_COVERS];
	struct conf_loc		 cover_svc_loc[HC_MAX_COVERS][HC_MAX_SERVICES];
};

static int	yylex(YYSTYPE *, YYLTYPE *, struct parse_state *);
static void	yyerror(YYLTYPE *, struct parse_state *, const char *);
static bool	number(struct parse_state *, const YYLTYPE *, const char *,
		    struct pnum, uint64_t, uint64_t, uint64_t *);
static bool	duration(struct parse_state *, const YYLTYPE *, const char *,
		    struct pnum, uint64_t, uint64_t, uint64_t *);
static bool	copy(struct parse_state *, const YYLTYPE *, const char *,
		    const char *, char *, size_t);
static bool	path(struct parse_state *, const YYLTYPE *, const char *,
		    const char *, char *, size_t);
static void	add_prefix(struct parse_state *, const YYLTYPE *,
		    const char *);
static void	route_map(struct parse_state *, const YYLTYPE *,
		    const char *);
static void	tls_name(struct parse_state *, const YYLTYPE *,
		    const char *);
static void	probe_addr(struct parse_state *, const YYLTYPE *,
		    const char *);
static void	service_begin(struct parse_state *, const YYLTYPE *,
		    const char *);
static void	exec_begin(struct parse_state *, const YYLTYPE *, bool);
static void	exec_arg(struct parse_state *, const YYLTYPE *, const char *);
static void	exec_end(struct parse_state *, const YYLTYPE *);
static void	attrs_begin(struct parse_state *, const YYLTYPE *,
		    enum hc_attr_state);
static void	add_community(struct parse_state *, const YYLTYPE *,
		    const char *);
static void	service_end(struct parse_state *);
static void	cover_begin(struct parse_state *, const YYLTYPE *,
		    const YYLTYPE *, const char *);
static void	cover_route_map(struct parse_state *, const YYLTYPE *,
		    const char *);
static void	cover_service(struct parse_state *, const YYLTYPE *,
		    const char *);
static void	covers_resolve(struct parse_state *);

#define ERR(loc, ...)	conf_error_at(ps->lex, (loc), __VA_ARGS__)
#define C		(ps->c)
#define S		(&ps->s)

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
	int		 flag;
}

%token <str> ADDRESS_LIFETIME "address-lifetime" AS "as" ASAP "asap"
%token <str> BGP "bgp" CONTROL "control" DECAY "decay" DRAIN_FILE "drain-file"
%token <str> DRAIN_METRIC "drain-metric" DRAIN_WAIT "drain-wait" FALL "fall"
%token <str> FRR "frr" GLOBAL "global" HOLDDOWN "holddown"
%token <str> INTERFACE "interface" INTERVAL "interval" LISTEN "listen"
%token <str> LOCAL "local" MAX "max" METRIC "metric" METRICS "metrics"
%token <str> NETWORK "network" NONE "none" OFF "off" ON "on" OSPF "ospf"
%token <str> POOL "pool" PORT "port" PREFIX "prefix" PROBE "probe"
%token <str> REFRESH "refresh" REGISTRAR "registrar" REQUIRE "require"
%token <str> RISE "rise" ROUTE_MAP "route-map" ROUTING "routing"
%token <str> SCOPE "scope" SERVICE "service" SOCKET "socket"
%token <str> SYNCHRONIZED "synchronized" TIMEOUT "timeout" VTY_SOCKET "vty-socket"
%token <str> CA "ca" CERTIFICATE "certificate" IDENTITY "identity" KEY "key"
%token <str> NAME "name" PSK_FILE "psk-file" TLS "tls"
%token <str> ANNOUNCED "announced" CHECK "check" COMMUNITY "community"
%token <str> DRAINING "draining" EXEC "exec" MED "med" NOTIFY "notify"
%token <str> PREPEND "prepend"
%token <str> COVER "cover" SERVICES "services"
%token <str> STUB "stub"
%token <str> VTYSH "vtysh"
%token NL "end of line" LBRACE "{" RBRACE "}"
%token <str> WORD "word" STRING "quoted string"
%token <num> NUMBER "number"
%token LEXERROR "bad token"

%type <str> name value keyword
%type <flag> onoff

%%

grammar		: %empty
		| grammar NL
		| grammar main NL
		| grammar service NL
		| grammar error NL		{ yyerrok; }
		;

keyword		: ADDRESS_LIFETIME | AS | ASAP | BGP | CONTROL | DECAY
		| DRAIN_FILE | DRAIN_METRIC | DRAIN_WAIT | FALL | FRR | GLOBAL
		| HOLDDOWN | INTERFACE | INTERVAL | LISTEN | LOCAL | MAX
		| METRIC | METRICS | NETWORK | NONE | OFF | ON | OSPF | POOL
		| PORT | PREFIX | PROBE | REFRESH | REGISTRAR | REQUIRE | RISE
		| ROUTE_MAP | ROUTING | SCOPE | SERVICE | SOCKET | SYNCHRONIZED
		| TIMEOUT | VTY_SOCKET | VTYSH
		| CA | CERTIFICATE | IDENTITY | KEY | NAME | PSK_FILE | TLS
		| ANNOUNCED | CHECK | COMMUNITY | DRAINING | EXEC | MED
		| NOTIFY | PREPEND | COVER | SERVICES
		| STUB
		;

/* A name: any word (keywords too: "service registrar"), or quoted. */
name		: WORD
		| STRING
		| keyword
		;

/* An address or prefix as written. */
value		: WORD
		| STRING
		| NUMBER			{ $$ = (char *)$1.text; }
		;

onoff		: ON				{ $$ = 1; }
		| OFF				{ $$ = 0; }
		;

main		: CONTROL SOCKET STRING {
			path(ps, &@3, "control socket", $3, C->control_socket,
			    sizeof(C->control_socket));
		}
		| CONTROL SOCKET WORD {
			ERR(&@3, "unexpected \"%s\"; expected a path in "
			    "quotes", $3);
		}
		| FRR frropts
		| METRICS OFF			{ C->metrics = false; }
		| COVER value { cover_begin(ps, &@1, &@2, $2); } coverrm
		  coversvcs
		| METRICS LISTEN value portopt {
			uint16_t port = $<num>4.v;

			if (!hconf_set_sa(&C->metrics_ss, &C->metrics_sslen,
			    $3, port))
				ERR(&@3, "\"%s\" is not an IP address", $3);
			else if (port != 0)
				C->metrics = true;
		}
		;

/* H-hcover: "cover PREFIX [route-map NAME] [services NAME ...]" */
coverrm		: %empty
		| ROUTE_MAP name		{ cover_route_map(ps, &@2, $2); }
		;

coversvcs	: %empty
		| SERVICES covernames
		;

covernames	: name				{ cover_service(ps, &@1, $1); }
		| covernames name		{ cover_service(ps, &@2, $2); }
		;

portopt		: %empty		{ $<num>$.v = HC_METRICS_PORT; }
		| PORT NUMBER {
			uint64_t v = 0;

			number(ps, &@2, "port", $2, 1, 65535, &v);
			$<num>$.v = v;
		}
		;

frropts		: frropt
		| frropts frropt
		;

frropt		: VTYSH name {
			/* A bare name is looked up in PATH. */
			copy(ps, &@2, "vtysh", $2, C->vtysh, sizeof(C->vtysh));
		}
		| VTY_SOCKET STRING {
			path(ps, &@2, "vty-socket", $2, C->vty_socket,
			    sizeof(C->vty_socket));
		}
		| VTY_SOCKET WORD {
			ERR(&@2, "unexpected \"%s\"; expected a path in "
			    "quotes", $2);
		}
		| TIMEOUT NUMBER {
			uint64_t v;

			if (duration(ps, &@2, "timeout", $2, 100, 60000, &v))
				C->vtysh_timeout_ms = (uint32_t)v;
		}
		;

service		: SERVICE name { service_begin(ps, &@1, $2); } optnl
		  LBRACE svcbody RBRACE { service_end(ps); }
		;

optnl		: %empty
		| optnl NL
		;

svcbody		: svclist
		| svclist svcstmt
		;

svclist		: %empty
		| svclist NL
		| svclist svcstmt NL
		| svclist error NL		{ yyerrok; }
		;

svcstmt		: PREFIX value			{ add_prefix(ps, &@2, $2); }
		| INTERFACE name {
			copy(ps, &@2, "interface name", $2, S->ifname,
			    sizeof(S->ifname));
		}
		| REGISTRAR CONTROL STRING {
			path(ps, &@3, "registrar control socket", $3,
			    S->registrar_ctl, sizeof(S->registrar_ctl));
		}
		| REGISTRAR CONTROL WORD {
			ERR(&@3, "unexpected \"%s\"; expected a path in "
			    "quotes", $3);
		}
		| REQUIRE SYNCHRONIZED		{ S->require_sync = true; }
		| REQUIRE SYNCHRONIZED onoff	{ S->require_sync = $3; }
		| PROBE OFF			{ S->probe = false; }
		| PROBE ASAP value {
			probe_addr(ps, &@3, $3);
		} probeopts {
			/* RFC 5352 §9: ASAP over TLS listens on 3864. */
			if (!ps->probe_port_set && S->probe_tls)
				ps->probe_port = 3864;
			hconf_set_port(&S->probe_ss, ps->probe_port);
		}
		| RISE NUMBER {
			uint64_t v;

			if (number(ps, &@2, "rise", $2, 1, 100, &v))
				S->sm.rise = (uint32_t)v;
		}
		| FALL NUMBER {
			uint64_t v;

			if (number(ps, &@2, "fall", $2, 1, 100, &v))
				S->sm.fall = (uint32_t)v;
		}
		| HOLDDOWN NUMBER {
			duration(ps, &@2, "holddown", $2, 0, 3600000,
			    &S->sm.holddown_ms);
		} hdopts {
			if (S->sm.holddown_max_ms < S->sm.holddown_ms)
				ERR(&@1, "holddown max is smaller than the "
				    "holddown");
		}
		| DRAIN_WAIT NUMBER {
			duration(ps, &@2, "drain-wait", $2, 0, 3600000,
			    &S->sm.drain_wait_ms);
		}
		| DRAIN_FILE STRING {
			path(ps, &@2, "drain-file", $2, S->drain_file,
			    sizeof(S->drain_file));
		}
		| DRAIN_FILE WORD {
			ERR(&@2, "unexpected \"%s\"; expected a path in "
			    "quotes", $2);
		}
		| ADDRESS_LIFETIME NUMBER {
			uint64_t v;

			if (duration(ps, &@2, "address-lifetime", $2, 2000,
			    86400000, &v)) {
				if (v % 1000 != 0)
					ERR(&@2, "address-lifetime is kept by "
					    "the kernel in whole seconds");
				else
					S->lifetime_s = (uint32_t)(v / 1000);
			}
		} refreshopt {
			if ((uint64_t)S->refresh_ms * 2 >
			    (uint64_t)S->lifetime_s * 1000)
				ERR(&@1, "refresh must be at most half the "
				    "address-lifetime, or one late refresh "
				    "withdraws the route");
		}
		| BGP AS NUMBER {
			uint64_t v;

			S->routing = HC_ROUTING_BGP;
			snprintf(S->route_map, sizeof(S->route_map),
			    "ANYCAST");
			if (number(ps, &@3, "as", $3, 1, UINT32_MAX, &v))
				S->bgp_asn = (uint32_t)v;
		} bgpopts
		| OSPF {
			S->routing = HC_ROUTING_OSPF;
			snprintf(S->route_map, sizeof(S->route_map),
			    "ANYCAST-OSPF");
		} ospfopts
		| ROUTING NONE			{ S->routing = HC_ROUTING_NONE; }
		| SCOPE LOCAL {
			S->scope_local = S->scope_set = true;
		}
		| SCOPE GLOBAL {
			S->scope_local = false;
			S->scope_set = true;
		}
		| CHECK EXEC { exec_begin(ps, &@1, true); } execargs execopts {
			exec_end(ps, &@1);
		}
		| NOTIFY EXEC { exec_begin(ps, &@1, false); } execargs execopts {
			exec_end(ps, &@1);
		}
		| BGP ANNOUNCED {
			attrs_begin(ps, &@2, HC_ATTR_ANNOUNCED);
		} bgpattrs
		| BGP DRAINING {
			attrs_begin(ps, &@2, HC_ATTR_DRAINING);
		} bgpattrs
		;

/* A command: its argv, every word in quotes (no shell). */
execargs	: STRING			{ exec_arg(ps, &@1, $1); }
		| execargs STRING		{ exec_arg(ps, &@2, $2); }
		;

execopts	: %empty
		| execopts INTERVAL NUMBER {
			uint64_t v;

			if (!ps->ex_check)
				ERR(&@2, "notify exec has no interval: it runs "
				    "on every state change");
			else if (duration(ps, &@3, "check exec interval", $3,
			    100, 3600000, &v))
				ps->ex->interval_ms = (uint32_t)v;
		}
		| execopts TIMEOUT NUMBER {
			uint64_t v;

			if (duration(ps, &@3, ps->ex_check ? "check exec "
			    "timeout" : "notify exec timeout", $3, 10, 600000,
			    &v))
				ps->ex->timeout_ms = (uint32_t)v;
		}
		;

/* The BGP attributes of one state (announced or draining). */
bgpattrs	: bgpattr
		| bgpattrs bgpattr
		;

bgpattr		: MED NUMBER {
			uint64_t v;

			if (number(ps, &@2, "med", $2, 0, UINT32_MAX, &v)) {
				ps->ba->med = (uint32_t)v;
				ps->ba->med_set = true;
			}
		}
		| PREPEND NUMBER {
			uint64_t v;

			if (number(ps, &@2, "prepend", $2, 0, FRR_PREPEND_MAX,
			    &v))
				ps->ba->prepend = (uint32_t)v;
		}
		| COMMUNITY communities
		;

communities	: value				{ add_community(ps, &@1, $1); }
		| communities value		{ add_community(ps, &@2, $2); }
		;

probeopts	: %empty
		| probeopts probeopt
		;

probeopt	: PORT NUMBER {
			uint64_t v;

			if (number(ps, &@2, "port", $2, 1, 65535, &v)) {
				ps->probe_port = (uint16_t)v;
				ps->probe_port_set = true;
			}
		}
		| TLS {
			if (S->probe_tls)
				ERR(&@1, "tls is given twice for the probe");
			S->probe_tls = true;
		} probetls
		| POOL name {
			copy(ps, &@2, "pool handle", $2, S->probe_pool,
			    sizeof(S->probe_pool));
		}
		| INTERVAL NUMBER {
			uint64_t v;

			if (duration(ps, &@2, "interval", $2, 50, 60000, &v))
				S->interval_ms = (uint32_t)v;
		}
		| TIMEOUT NUMBER {
			uint64_t v;

			if (duration(ps, &@2, "timeout", $2, 10, 60000, &v))
				S->timeout_ms = (uint32_t)v;
		}
		;

/* The probe's TLS: a PSK, or the registrar's certificate. */
probetls	: PSK_FILE STRING {
			path(ps, &@2, "tls psk-file", $2, S->probe_tls_psk,
			    sizeof(S->probe_tls_psk));
		} pskidentity
		| CA STRING NAME name {
			path(ps, &@2, "tls ca", $2, S->probe_tls_ca,
			    sizeof(S->probe_tls_ca));
			tls_name(ps, &@4, $4);
		} tlsclientcert
		;

pskidentity	: %empty
		| IDENTITY name {
			copy(ps, &@2, "tls identity", $2, S->probe_tls_identity,
			    sizeof(S->probe_tls_identity));
		}
		;

tlsclientcert	: %empty
		| CERTIFICATE STRING KEY STRING {
			path(ps, &@2, "tls certificate", $2,
			    S->probe_tls_cert, sizeof(S->probe_tls_cert));
			path(ps, &@4, "tls key", $4, S->probe_tls_key,
			    sizeof(S->probe_tls_key));
		}
		;

hdopts		: %empty
		| hdopts MAX NUMBER {
			duration(ps, &@3, "holddown max", $3, 0, 86400000,
			    &S->sm.holddown_max_ms);
		}
		| hdopts DECAY NUMBER {
			duration(ps, &@3, "holddown decay", $3, 1000, 86400000,
			    &S->sm.decay_ms);
		}
		;

refreshopt	: %empty
		| REFRESH NUMBER {
			uint64_t v;

			if (duration(ps, &@2, "refresh", $2, 100, 3600000, &v))
				S->refresh_ms = (uint32_t)v;
		}
		;

bgpopts		: %empty
		| bgpopts ROUTE_MAP name	{ route_map(ps, &@3, $3); }
		| bgpopts NETWORK		{ S->bgp_network = true; }
		;

ospfopts	: %empty
		| ospfopts ROUTE_MAP name	{ route_map(ps, &@3, $3); }
		| ospfopts STUB			{ S->ospf_stub = true; }
		| ospfopts METRIC NUMBER {
			uint64_t v;

			if (number(ps, &@3, "metric", $3, 0, 16777214, &v))
				S->ospf_metric = (uint32_t)v;
		}
		| ospfopts DRAIN_METRIC NUMBER {
			uint64_t v;

			if (number(ps, &@3, "drain-metric", $3, 0, 16777214,
			    &v))
				S->ospf_drain_metric = (uint32_t)v;
		}
		;

%%

struct keyword {
	const char	*name;
	int		 token;
};

/* Sorted by name (bsearch). */
static const struct keyword keywords[] = {
	{ "address-lifetime",	T_ADDRESS_LIFETIME },
	{ "announced",		T_ANNOUNCED },
	{ "as",			T_AS },
	{ "asap",		T_ASAP },
	{ "bgp",		T_BGP },
	{ "ca",			T_CA },
	{ "certificate",	T_CERTIFICATE },
	{ "check",		T_CHECK },
	{ "community",		T_COMMUNITY },
	{ "control",		T_CONTROL },
	{ "cover",		T_COVER },
	{ "decay",		T_DECAY },
	{ "drain-file",		T_DRAIN_FILE },
	{ "drain-metric",	T_DRAIN_METRIC },
	{ "drain-wait",		T_DRAIN_WAIT },
	{ "draining",		T_DRAINING },
	{ "exec",		T_EXEC },
	{ "fall",		T_FALL },
	{ "frr",		T_FRR },
	{ "global",		T_GLOBAL },
	{ "holddown",		T_HOLDDOWN },
	{ "identity",		T_IDENTITY },
	{ "interface",		T_INTERFACE },
	{ "interval",		T_INTERVAL },
	{ "key",		T_KEY },
	{ "listen",		T_LISTEN },
	{ "local",		T_LOCAL },
	{ "max",		T_MAX },
	{ "med",		T_MED },
	{ "metric",		T_METRIC },
	{ "metrics",		T_METRICS },
	{ "name",		T_NAME },
	{ "network",		T_NETWORK },
	{ "none",		T_NONE },
	{ "notify",		T_NOTIFY },
	{ "off",		T_OFF },
	{ "on",			T_ON },
	{ "ospf",		T_OSPF },
	{ "pool",		T_POOL },
	{ "port",		T_PORT },
	{ "prefix",		T_PREFIX },
	{ "prepend",		T_PREPEND },
	{ "probe",		T_PROBE },
	{ "psk-file",		T_PSK_FILE },
	{ "refresh",		T_REFRESH },
	{ "registrar",		T_REGISTRAR },
	{ "require",		T_REQUIRE },
	{ "rise",		T_RISE },
	{ "route-map",		T_ROUTE_MAP },
	{ "routing",		T_ROUTING },
	{ "scope",		T_SCOPE },
	{ "service",		T_SERVICE },
	{ "services",		T_SERVICES },
	{ "socket",		T_SOCKET },
	{ "stub",		T_STUB },
	{ "synchronized",	T_SYNCHRONIZED },
	{ "timeout",		T_TIMEOUT },
	{ "tls",			T_TLS },
	{ "vty-socket",		T_VTY_SOCKET },
	{ "vtysh",		T_VTYSH },
};

static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keyword *)e)->name);
}

/* Keep a token's text for the grammar; freed when hconf_parse() ends. */
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
	const struct keyword *kw = NULL;
	char *s;

	conf_lex_next(ps->lex, &t);
	*lloc = t.loc;
	ps->last_loc = t.loc;
	snprintf(ps->last, sizeof(ps->last), "%s", t.text != NULL ? t.text :
	    "");
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
		break;
	case CONF_T_STRING:
	case CONF_T_NUMBER:
		break;
	}
	if ((s = keep(ps, t.text)) == NULL) {
		conf_error_at(ps->lex, &t.loc, "out of memory");
		return T_LEXERROR;
	}
	if (kw != NULL) {
		ps->kw_prev = ps->kw_last;
		ps->kw_last = kw->token;
		lval->str = s;
		return kw->token;
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
	return k >= YYSYMBOL_ADDRESS_LIFETIME && k <= YYSYMBOL_VTYSH;
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
	case T_LISTEN:
	case T_ASAP:
		return "an IP address";
	case T_PREFIX:
		return "a host prefix (A.B.C.D/32 or X:X::X/128)";
	case T_SERVICE:
	case T_SERVICES:
		return "a service name";
	case T_COVER:
		return "a covering prefix (A.B.C.D/LEN or X:X::/LEN)";
	case T_SOCKET:
	case T_CONTROL:
	case T_VTY_SOCKET:
	case T_DRAIN_FILE:
	case T_PSK_FILE:
	case T_CA:
	case T_CERTIFICATE:
	case T_KEY:
		return "a path in quotes";
	case T_IDENTITY:
		return "a PSK identity";
	case T_NAME:
		return "the registrar's certificate name";
	case T_INTERFACE:
		return "an interface name";
	case T_ROUTE_MAP:
		return "a route-map name";
	case T_POOL:
		return "a pool handle";
	case T_COMMUNITY:
		return "a community (AA:NN or A:B:C)";
	case T_VTYSH:
		return "a program";
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

/*
 * Say what was found and what would have fit, in the operator's words:
 * 'unknown keyword "lisen" in a service block',
 * 'unexpected "route-map"; expected "as"'.
 */
static int
yyreport_syntax_error(const yypcontext_t *ctx, struct parse_state *ps)
{
	yysymbol_kind_t tok = yypcontext_token(ctx), exp[YYNTOKENS];
	yysymbol_kind_t list[YYNTOKENS];
	const YYLTYPE *loc = yypcontext_location(ctx);
	const char *best = NULL, *vname;
	size_t bestd = SIZE_MAX, d, off = 0;
	char msg[2048], buf[64];
	int n, i, nlist = 0, kw;
	bool stmt_kw = false, want_word = false, name_ok = false;

	if (tok == YYSYMBOL_LEXERROR)
		return 0;	/* the lexer has said what is wrong */
	if (tok == YYSYMBOL_RBRACE && ps->stray_rbrace) {
		ERR(loc, "\"}\" without a matching \"{\"");
		return 0;
	}
	if (tok == YYSYMBOL_YYEOF && ps->nbrace > 0) {
		i = ps->nbrace <= MAX_BRACES ? ps->nbrace - 1 : MAX_BRACES - 1;
		if (ps->in_service)
			ERR(&ps->svc_loc, "\"{\" of service %s is never "
			    "closed: \"}\" missing at end of file", S->name);
		else
			ERR(&ps->brace[i], "\"{\" is never closed: \"}\" "
			    "missing at end of file");
		return 0;
	}
	if ((n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS)) < 0)
		n = 0;
	for (i = 0; i < n; i++) {
		if (exp[i] == YYSYMBOL_WORD)
			want_word = true;
		/* "name" takes every keyword: do not list them all. */
		if (exp[i] == YYSYMBOL_WORD && exp[i] != tok)
			name_ok = true;
		/* Where a statement may start ("prefix" or "service"). */
		if (exp[i] == YYSYMBOL_PREFIX || exp[i] == YYSYMBOL_SERVICE)
			stmt_kw = true;
		if (is_keyword(exp[i])) {
			if (tok == YYSYMBOL_WORD && (d = distance(ps->last,
			    yysymbol_name(exp[i]))) < bestd) {
				bestd = d;
				best = yysymbol_name(exp[i]);
			}
		}
	}
	kw = is_keyword(tok) ? ps->kw_prev : ps->kw_last;
	vname = want_word ? value_name(kw) : NULL;
	for (i = 0; i < n; i++) {
		if (vname != NULL && (exp[i] == YYSYMBOL_STRING ||
		    exp[i] == YYSYMBOL_NUMBER || is_keyword(exp[i])))
			continue;
		if (name_ok && is_keyword(exp[i]) && vname != NULL)
			continue;
		/* Where a statement may start, its end goes without saying. */
		if (stmt_kw && (exp[i] == YYSYMBOL_NL ||
		    exp[i] == YYSYMBOL_YYEOF || exp[i] == YYSYMBOL_RBRACE))
			continue;
		list[nlist++] = exp[i];
	}
	switch (tok) {
	case YYSYMBOL_WORD:
		if (stmt_kw && vname == NULL &&
		    isalpha((unsigned char)ps->last[0])) {
			off = (size_t)snprintf(msg, sizeof(msg),
			    "unknown keyword \"%s\"%s", ps->last,
			    ps->in_service ? " in a service block" : "");
			if (best != NULL && bestd <= 2 &&
			    bestd < strlen(best) / 2) {
				ERR(loc, "%s (did you mean \"%s\"?)", msg,
				    best);
				return 0;
			}
			ERR(loc, "%s", msg);
			return 0;
		}
		off = (size_t)snprintf(msg, sizeof(msg), "unexpected \"%s\"",
		    ps->last);
		break;
	case YYSYMBOL_NUMBER:
	case YYSYMBOL_STRING:
		off = (size_t)snprintf(msg, sizeof(msg), "unexpected \"%s\"",
		    ps->last);
		break;
	case YYSYMBOL_NL:
	case YYSYMBOL_YYEOF:
		off = (size_t)snprintf(msg, sizeof(msg), "unexpected %s",
		    symbol_name(tok, buf, sizeof(buf)));
		break;
	default:
		off = (size_t)snprintf(msg, sizeof(msg), "unexpected %s",
		    symbol_name(tok, buf, sizeof(buf)));
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
	ERR(loc, "%s", msg);
	return 0;
}

/* Value checks: each reports at loc and returns false on a bad value. */
static bool
number(struct parse_state *ps, const YYLTYPE *loc, const char *name,
    struct pnum n, uint64_t min, uint64_t max, uint64_t *ret)
{
	if (n.unit != CONF_UNIT_NONE) {
		ERR(loc, "%s \"%s\": expected a plain number, without a unit",
		    name, n.text);
		return false;
	}
	if (n.v < min || n.v > max) {
		ERR(loc, "%s %s is out of range (%" PRIu64 " to %" PRIu64 ")",
		    name, n.text, min, max);
		return false;
	}
	*ret = n.v;
	return true;
}

static bool
duration(struct parse_state *ps, const YYLTYPE *loc, const char *name,
    struct pnum n, uint64_t min, uint64_t max, uint64_t *ret)
{
	char lo[24], hi[24];

	if (n.unit != CONF_UNIT_TIME) {
		ERR(loc, "%s \"%s\" needs a unit: ms, s, m or h (as in %sms "
		    "or %ss)", name, n.text, n.text, n.text);
		return false;
	}
	if (n.v < min || n.v > max) {
		ERR(loc, "%s %s is out of range (%s to %s)", name, n.text,
		    conf_fmt_duration(lo, sizeof(lo), min),
		    conf_fmt_duration(hi, sizeof(hi), max));
		return false;
	}
	*ret = n.v;
	return true;
}

static bool
copy(struct parse_state *ps, const YYLTYPE *loc, const char *name,
    const char *s, char *buf, size_t len)
{
	if (strlen(s) >= len) {
		ERR(loc, "%s is too long (at most %zu characters)", name,
		    len - 1);
		return false;
	}
	snprintf(buf, len, "%s", s);
	return true;
}

static bool
path(struct parse_state *ps, const YYLTYPE *loc, const char *name,
    const char *s, char *buf, size_t len)
{
	if (s[0] != '/') {
		ERR(loc, "%s \"%s\" must be an absolute path", name, s);
		return false;
	}
	return copy(ps, loc, name, s, buf, len);
}

static void
add_prefix(struct parse_state *ps, const YYLTYPE *loc, const char *s)
{
	struct rt_prefix p;
	size_t i;

	if (rt_prefix_parse(s, &p) != 0) {
		ERR(loc, "\"%s\" is not a host prefix: an IPv4 /32 or an IPv6 "
		    "/128", s);
		return;
	}
	for (i = 0; i < S->nprefix; i++)
		if (rt_prefix_eq(&S->prefix[i], &p)) {
			ERR(loc, "prefix %s is listed twice", s);
			return;
		}
	if (S->nprefix == HC_MAX_PREFIXES) {
		ERR(loc, "too many prefixes (at most %d)", HC_MAX_PREFIXES);
		return;
	}
	S->prefix[S->nprefix++] = p;
}

/* Route-map names go into one vtysh argv word: letters and a few marks. */
static void
rmap_name(struct parse_state *ps, const YYLTYPE *loc, const char *s,
    char *buf, size_t len)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			break;
	if (*p != '\0' || s[0] == '\0') {
		ERR(loc, "route-map name \"%s\" may only contain letters, "
		    "digits, \"-\", \"_\" and \".\"", s);
		return;
	}
	copy(ps, loc, "route-map name", s, buf, len);
}

static void
route_map(struct parse_state *ps, const YYLTYPE *loc, const char *s)
{
	rmap_name(ps, loc, s, S->route_map, sizeof(S->route_map));
}

/* The registrar's certificate name: a DNS name or an IP address. */
static void
tls_name(struct parse_state *ps, const YYLTYPE *loc, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("-.:_", s[i]) ==
		    NULL) {
			ERR(loc, "tls name \"%s\" is not a DNS name or an IP "
			    "address", s);
			return;
		}
	copy(ps, loc, "tls name", s, S->probe_tls_name,
	    sizeof(S->probe_tls_name));
}

static void
probe_addr(struct parse_state *ps, const YYLTYPE *loc, const char *s)
{
	ps->probe_port = 3863;
	ps->probe_port_set = false;
	snprintf(S->probe_pool, sizeof(S->probe_pool), "anypool-probe");
	if (!hconf_set_sa(&S->probe_ss, &S->probe_sslen, s, 0)) {
		ERR(loc, "\"%s\" is not an IP address", s);
		return;
	}
	S->probe = true;
}

/* "check exec" / "notify exec": where its words and options go. */
static void
exec_begin(struct parse_state *ps, const YYLTYPE *loc, bool check)
{
	ps->ex_check = check;
	ps->ex = &ps->ex_scratch;
	if (check && S->ncheck_exec == HC_EXEC_MAX)
		ERR(loc, "too many check exec (at most %d)", HC_EXEC_MAX);
	else if (check)
		ps->ex = &S->check_exec[S->ncheck_exec];
	else if (S->notify.argc > 0)
		ERR(loc, "notify exec is given twice");
	else
		ps->ex = &S->notify;
	memset(ps->ex, 0, sizeof(*ps->ex));
	ps->ex->interval_ms = check ? 1000 : 0;
	ps->ex->timeout_ms = check ? 500 : 5000;
}

static void
exec_arg(struct parse_state *ps, const YYLTYPE *loc, const char *s)
{
	struct hc_exec *e = ps->ex;
	size_t len = strlen(s) + 1;

	if (e->argc == 0 && s[0] != '/') {
		ERR(loc, "command \"%s\" must be an absolute path (no shell "
		    "looks it up)", s);
		return;
	}
	if (e->argc == HC_EXEC_ARGS) {
		ERR(loc, "too many arguments (at most %d words)",
		    HC_EXEC_ARGS);
		return;
	}
	if (e->len + len > sizeof(e->args)) {
		ERR(loc, "command is too long (at most %zu characters)",
		    sizeof(e->args) - HC_EXEC_ARGS);
		return;
	}
	memcpy(e->args + e->len, s, len);
	e->len += len;
	e->argc++;
}

static void
exec_end(struct parse_state *ps, const YYLTYPE *loc)
{
	if (ps->ex == &ps->ex_scratch || ps->ex->argc == 0)
		return;
	if (ps->ex_check) {
		if (ps->ex->timeout_ms >= ps->ex->interval_ms) {
			ERR(loc, "check exec timeout must be shorter than its "
			    "interval");
			return;
		}
		S->ncheck_exec++;
	}
}

static void
attrs_begin(struct parse_state *ps, const YYLTYPE *loc, enum hc_attr_state st)
{
	/* Repeated: later values win, communities add up. */
	ps->ba = &S->bgp_attrs[st];
	if (!S->bgp_attrs_set)
		ps->ba_loc = *loc;
	S->bgp_attrs_set = true;
}

/* Append w to the space-separated list l (FRR_COMM_MAX). */
static bool
comm_append(char *l, const char *w)
{
	size_t n = strlen(l);
	const char *p;

	for (p = l; *p != '\0'; p += strcspn(p, " "), p += *p == ' ')
		if (strncmp(p, w, strlen(w)) == 0 &&
		    (p[strlen(w)] == ' ' || p[strlen(w)] == '\0'))
			return false;
	snprintf(l + n, FRR_COMM_MAX - n, "%s%s", n > 0 ? " " : "", w);
	return true;
}

/*
 * A standard community AA:NN (RFC 1997; each part 0-65535) or a large one
 * A:B:C (RFC 8092; each part 0-4294967295), up to 8 and 6 per state.  Well-known
 * names are refused: NO_EXPORT and friends here would keep the route from
 * every eBGP neighbor (use "scope local"), GRACEFUL_SHUTDOWN is healthd's.
 */
static void
add_community(struct parse_state *ps, const YYLTYPE *loc, const char *s)
{
	unsigned long long v[3];
	char *end;
	const char *p = s;
	size_t n = 0, i, cnt = 0;
	char *l;

	while (n < 3) {
		if (*p < '0' || *p > '9')
			break;
		errno = 0;
		v[n] = strtoull(p, &end, 10);
		if (errno != 0 || end == p)
			break;
		n++;
		p = end;
		if (*p != ':')
			break;
		p++;
	}
	if (*p != '\0' || n < 2 || s[strlen(s) - 1] == ':' || (n == 2 && (v[0] > 65535 || v[1] > 65535))
	    || (n == 3 && (v[0] > UINT32_MAX || v[1] > UINT32_MAX ||
	    v[2] > UINT32_MAX))) {
		ERR(loc, "community \"%s\" is neither AA:NN (0-65535 each) "
		    "nor a large community A:B:C", s);
		return;
	}
	l = n == 2 ? ps->ba->communities : ps->ba->large;
	for (i = 0; l[i] != '\0'; i++)
		cnt += l[i] == ' ';
	if (l[0] != '\0' && cnt + 1 >= (n == 2 ? 8u : 6u)) {
		ERR(loc, "too many %s (at most %d)", n == 3 ?
		    "large communities" : "communities", n == 3 ? 6 : 8);
		return;
	}
	if (!comm_append(l, s))
		ERR(loc, "community %s is listed twice", s);
}

static void
service_begin(struct parse_state *ps, const YYLTYPE *loc, const char *name)
{
	size_t i;

	hconf_svc_defaults(S);
	ps->svc_loc = *loc;
	ps->in_service = true;
	copy(ps, loc, "service name", name, S->name, sizeof(S->name));
	for (i = 0; i < C->nsvc; i++)
		if (strcmp(C->svc[i].name, S->name) == 0)
			ERR(loc, "service %s is defined twice", S->name);
}

/*
 * "ospf stub": the metrics are the address's OSPF interface cost
 * (1..65535), OSPFv2 only, and no route-map is involved.
 */
static void
ospf_stub_check(struct parse_state *ps)
{
	const struct conf_loc *loc = &ps->svc_loc;
	size_t i;

	if (S->ospf_metric < 1 || S->ospf_drain_metric > 65535)
		ERR(loc, "service %s: ospf stub: metric and drain-metric are "
		    "the address's OSPF cost, 1 to 65535", S->name);
	if (strcmp(S->route_map, "ANYCAST-OSPF") != 0)
		ERR(loc, "service %s: ospf stub: no route-map is used (the "
		    "address is a stub link of the router LSA)", S->name);
	for (i = 0; i < S->nprefix; i++)
		if (S->prefix[i].family != AF_INET)
			ERR(loc, "service %s: ospf stub: OSPFv2 carries IPv4 "
			    "only (an IPv6 prefix needs bgp or the "
			    "route-map mode with ospf6d)", S->name);
}

static void
service_end(struct parse_state *ps)
{
	const struct conf_loc *loc = &ps->svc_loc;

	ps->in_service = false;
	if (S->nprefix == 0)
		ERR(loc, "service %s: no prefix", S->name);
	if (!S->probe && S->registrar_ctl[0] == '\0' &&
	    S->ncheck_exec == 0)
		ERR(loc, "service %s: nothing to check: configure \"probe "
		    "asap\", \"registrar control\" and/or \"check exec\"",
		    S->name);
	if (S->bgp_attrs_set && S->routing != HC_ROUTING_BGP)
		ERR(&ps->ba_loc, "service %s: bgp announced/draining "
		    "attributes need \"bgp as\"", S->name);
	if (S->probe && S->timeout_ms >= S->interval_ms)
		ERR(loc, "service %s: probe timeout must be shorter than its "
		    "interval", S->name);
	if (S->routing == HC_ROUTING_OSPF &&
	    S->ospf_drain_metric <= S->ospf_metric)
		ERR(loc, "service %s: drain-metric must be higher than metric",
		    S->name);
	if (S->routing == HC_ROUTING_OSPF && S->ospf_stub)
		ospf_stub_check(ps);
	if (C->nsvc == HC_MAX_SERVICES) {
		ERR(loc, "too many services (at most %d)", HC_MAX_SERVICES);
		return;
	}
	C->svc[C->nsvc++] = *S;
}

/*
 * H-hcover: "cover PREFIX": a network prefix (host bits zero) shorter than
 * a host prefix.  Its services are resolved once the whole file is read
 * (covers_resolve()), so a cover may come before its services.
 */
static void
cover_begin(struct parse_state *ps, const YYLTYPE *loc, const YYLTYPE *ploc,
    const char *s)
{
	struct rt_prefix p;
	int rc;

	ps->cv = &ps->cv_scratch;
	memset(ps->cv, 0, sizeof(*ps->cv));
	if ((rc = rt_net_parse(s, &p)) != 0) {
		if (rc == -EDOM)
			ERR(ploc, "cover %s: host bits are set (the prefix "
			    "would start lower)", s);
		else
			ERR(ploc, "\"%s\" is not a covering prefix: "
			    "A.B.C.D/LEN or X:X::/LEN", s);
		return;
	}
	if (p.len == (p.family == AF_INET ? 32 : 128)) {
		ERR(ploc, "cover %s is a host prefix: a cover is the shorter "
		    "prefix (a /24, a /48) that carries the host prefixes "
		    "across the Internet", s);
		return;
	}
	if (C->ncover == HC_MAX_COVERS) {
		ERR(loc, "too many covers (at most %d)", HC_MAX_COVERS);
		return;
	}
	ps->cover_loc[C->ncover] = *loc;
	ps->cv = &C->cover[C->ncover++];
	memset(ps->cv, 0, sizeof(*ps->cv));
	ps->cv->prefix = p;
	snprintf(ps->cv->route_map, sizeof(ps->cv->route_map), "%s",
	    HC_COVER_RMAP);
}

static void
cover_route_map(struct parse_state *ps, const YYLTYPE *loc, const char *s)
{
	rmap_name(ps, loc, s, ps->cv->route_map, sizeof(ps->cv->route_map));
}

static void
cover_service(struct parse_state *ps, const YYLTYPE *loc, const char *s)
{
	struct hc_cover *cv = ps->cv;
	size_t k, i;

	cv->listed = true;
	if (cv == &ps->cv_scratch)
		return;
	k = (size_t)(cv - C->cover);
	for (i = 0; i < cv->nsvc; i++)
		if (strcmp(cv->svc[i], s) == 0) {
			ERR(loc, "service %s is listed twice", s);
			return;
		}
	if (cv->nsvc == HC_MAX_SERVICES) {
		ERR(loc, "too many services (at most %d)", HC_MAX_SERVICES);
		return;
	}
	if (!copy(ps, loc, "service name", s, cv->svc[cv->nsvc],
	    sizeof(cv->svc[cv->nsvc])))
		return;
	ps->cover_svc_loc[k][cv->nsvc++] = *loc;
}

static const struct hc_service *
svc_named(const struct health_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nsvc; i++)
		if (strcmp(c->svc[i].name, name) == 0)
			return &c->svc[i];
	return NULL;
}

static bool
svc_inside(const struct hc_service *s, const struct rt_prefix *net)
{
	size_t i;

	for (i = 0; i < s->nprefix; i++)
		if (rt_prefix_within(&s->prefix[i], net))
			return true;
	return false;
}

/*
 * After the whole file: each cover's services (the listed ones must exist
 * and have a prefix inside it; without a list, every service with a prefix
 * inside), one BGP AS for all of them, no overlapping covers.  A covered
 * service without an explicit "scope" becomes local: its host routes get
 * NO_EXPORT, the cover goes beyond.
 */
static void
covers_resolve(struct parse_state *ps)
{
	char a[INET6_ADDRSTRLEN + 8], b[INET6_ADDRSTRLEN + 8];
	struct hc_cover *cv;
	const struct hc_service *s;
	size_t k, i, j;

	for (k = 0; k < C->ncover; k++) {
		cv = &C->cover[k];
		rt_prefix_str(&cv->prefix, a, sizeof(a));
		for (j = 0; j < k; j++)
			if (rt_prefix_within(&cv->prefix, &C->cover[j].prefix) ||
			    rt_prefix_within(&C->cover[j].prefix, &cv->prefix))
				ERR(&ps->cover_loc[k], "cover %s overlaps "
				    "cover %s (line %d)", a, rt_prefix_str(
				    &C->cover[j].prefix, b, sizeof(b)),
				    ps->cover_loc[j].line);
		if (cv->listed) {
			for (i = 0; i < cv->nsvc; i++) {
				if ((s = svc_named(C, cv->svc[i])) == NULL)
					ERR(&ps->cover_svc_loc[k][i], "cover "
					    "%s: no service %s", a, cv->svc[i]);
				else if (!svc_inside(s, &cv->prefix))
					ERR(&ps->cover_svc_loc[k][i], "cover "
					    "%s: service %s has no prefix "
					    "inside it", a, cv->svc[i]);
			}
		} else {
			for (i = 0; i < C->nsvc; i++)
				if (svc_inside(&C->svc[i], &cv->prefix))
					snprintf(cv->svc[cv->nsvc++],
					    sizeof(cv->svc[0]), "%s",
					    C->svc[i].name);
			if (cv->nsvc == 0)
				ERR(&ps->cover_loc[k], "cover %s covers no "
				    "service: none has a prefix inside it",
				    a);
		}
		for (i = 0; i < cv->nsvc; i++) {
			if ((s = svc_named(C, cv->svc[i])) == NULL)
				continue;
			if (s->routing != HC_ROUTING_BGP) {
				ERR(&ps->cover_loc[k], "cover %s: service %s "
				    "is not announced over BGP (\"bgp as\"), "
				    "and the cover is a BGP route", a,
				    s->name);
				continue;
			}
			if (cv->bgp_asn == 0)
				cv->bgp_asn = s->bgp_asn;
			else if (cv->bgp_asn != s->bgp_asn)
				ERR(&ps->cover_loc[k], "cover %s: its services "
				    "are in different BGP AS (%u and %u)", a,
				    cv->bgp_asn, s->bgp_asn);
		}
	}
	if (conf_lex_errors(ps->lex) != 0)
		return;
	for (k = 0; k < C->ncover; k++)
		for (i = 0; i < C->cover[k].nsvc; i++)
			for (j = 0; j < C->nsvc; j++)
				if (strcmp(C->svc[j].name,
				    C->cover[k].svc[i]) == 0 &&
				    !C->svc[j].scope_set)
					C->svc[j].scope_local = true;
}

int
hconf_parse(const char *file, FILE *errf, struct health_config *ret)
{
	struct parse_state *ps;
	struct pstr *p;
	int error = -1;

	if ((ps = calloc(1, sizeof(*ps))) == NULL ||
	    (ps->c = malloc(sizeof(*ps->c))) == NULL) {
		fprintf(errf ? errf : stderr, "%s: %s\n", file,
		    strerror(ENOMEM));
		free(ps);
		return -1;
	}
	hconf_defaults(ps->c);
	if (conf_lex_open_err(file, errf, &ps->lex) < 0)
		goto out;
	if (yyparse(ps) != 0 && conf_lex_errors(ps->lex) == 0)
		conf_error_at(ps->lex, &ps->last_loc, "cannot parse");
	if (conf_lex_errors(ps->lex) == 0 && ps->c->nsvc == 0)
		conf_error_at(ps->lex, &ps->last_loc, "no service is "
		    "configured");
	if (ps->c->nsvc > 0)
		covers_resolve(ps);
	if (conf_lex_errors(ps->lex) == 0) {
		*ret = *ps->c;
		error = 0;
	}
out:
	conf_lex_free(ps->lex);
	while ((p = ps->strings) != NULL) {
		ps->strings = p->next;
		free(p);
	}
	free(ps->c);
	free(ps);
	return error;
}
