/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * healthd's configuration parser and -n printer.  The syntax is the
 * registrar's (same lexer: statements end at a newline or ";", blocks in
 * braces, durations with units, includes, "#" comments), but the grammar is
 * a small recursive-descent parser instead of bison: every statement is a
 * keyword followed by options in any order, which reads more plainly as
 * code than as grammar rules, and lets each message name the statement it
 * is about.  After an error the parser skips to the end of the statement
 * and goes on, so one run reports every mistake; the result is handed over
 * only if the whole file was good (a SIGHUP reload keeps the running
 * configuration on error).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "conf_lex.h"
#include "health/hconf.h"

struct ps {
	struct conf_lex		*lex;
	struct conf_token	 t;		/* current token */
	char			 text[CONF_LEX_MAX_TOKEN + 1];
	struct health_config	*c;
	bool			 ctl_set;
};

#define ERR(ps, ...)	conf_error_at((ps)->lex, &(ps)->t.loc, __VA_ARGS__)

/* ss <- ADDR (IPv4 or IPv6) and port; false if ADDR is no IP address. */
static bool
set_sa(struct sockaddr_storage *ss, socklen_t *len, const char *addr,
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
hconf_defaults(struct health_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->control_socket, sizeof(c->control_socket),
	    "/run/anypool/healthd.sock");
	snprintf(c->vtysh, sizeof(c->vtysh), "vtysh");
	c->vtysh_timeout_ms = 5000;
	set_sa(&c->metrics_ss, &c->metrics_sslen, "127.0.0.1",
	    HC_METRICS_PORT);
}

static void
svc_defaults(struct hc_service *s)
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

static void
next(struct ps *ps)
{
	conf_lex_next(ps->lex, &ps->t);
	snprintf(ps->text, sizeof(ps->text), "%s",
	    ps->t.text != NULL ? ps->t.text : "");
}

static bool
at_end(const struct ps *ps)
{
	return ps->t.type == CONF_T_NEWLINE || ps->t.type == CONF_T_SEMI ||
	    ps->t.type == CONF_T_EOF || ps->t.type == CONF_T_RBRACE;
}

static bool
is_word(const struct ps *ps, const char *w)
{
	return ps->t.type == CONF_T_WORD && strcmp(ps->text, w) == 0;
}

/* After an error: skip to the end of the statement (not past a "}"). */
static void
skip(struct ps *ps)
{
	int depth = 0;

	for (;;) {
		if (ps->t.type == CONF_T_EOF)
			return;
		if (ps->t.type == CONF_T_LBRACE)
			depth++;
		if (ps->t.type == CONF_T_RBRACE) {
			if (depth == 0)
				return;
			depth--;
		}
		if (depth == 0 && (ps->t.type == CONF_T_NEWLINE ||
		    ps->t.type == CONF_T_SEMI))
			return;
		next(ps);
	}
}

static const char *
what(const struct ps *ps)
{
	switch (ps->t.type) {
	case CONF_T_EOF:	return "end of file";
	case CONF_T_NEWLINE:
	case CONF_T_SEMI:	return "end of line";
	case CONF_T_LBRACE:	return "\"{\"";
	case CONF_T_RBRACE:	return "\"}\"";
	default:		return NULL;
	}
}

static bool
unexpected(struct ps *ps, const char *expected)
{
	const char *w = what(ps);

	if (ps->t.type == CONF_T_ERROR)
		return false;	/* the lexer has said it */
	if (w != NULL)
		ERR(ps, "unexpected %s; expected %s", w, expected);
	else
		ERR(ps, "unexpected \"%s\"; expected %s", ps->text, expected);
	return false;
}

/* The value tokens: each consumes the token on success. */
static bool
get_string(struct ps *ps, const char *name, char *buf, size_t len)
{
	if (ps->t.type != CONF_T_STRING && ps->t.type != CONF_T_WORD)
		return unexpected(ps, name);
	if (strlen(ps->text) >= len) {
		ERR(ps, "%s is too long (at most %zu characters)", name,
		    len - 1);
		return false;
	}
	snprintf(buf, len, "%s", ps->text);
	next(ps);
	return true;
}

static bool
get_path(struct ps *ps, const char *name, char *buf, size_t len)
{
	if (ps->t.type == CONF_T_STRING && ps->text[0] != '/') {
		ERR(ps, "%s \"%s\" must be an absolute path", name, ps->text);
		return false;
	}
	if (ps->t.type != CONF_T_STRING)
		return unexpected(ps, "a path in quotes");
	return get_string(ps, name, buf, len);
}

static bool
get_number(struct ps *ps, const char *name, uint64_t min, uint64_t max,
    uint64_t *ret)
{
	if (ps->t.type != CONF_T_NUMBER)
		return unexpected(ps, "a number");
	if (ps->t.unit != CONF_UNIT_NONE) {
		ERR(ps, "%s \"%s\": expected a plain number, without a unit",
		    name, ps->text);
		return false;
	}
	if (ps->t.num < min || ps->t.num > max) {
		ERR(ps, "%s %s is out of range (%" PRIu64 " to %" PRIu64 ")",
		    name, ps->text, min, max);
		return false;
	}
	*ret = ps->t.num;
	next(ps);
	return true;
}

static bool
get_duration(struct ps *ps, const char *name, uint64_t min, uint64_t max,
    uint64_t *ret)
{
	char lo[24], hi[24];

	if (ps->t.type != CONF_T_NUMBER)
		return unexpected(ps, "a duration");
	if (ps->t.unit != CONF_UNIT_TIME) {
		ERR(ps, "%s \"%s\" needs a unit: ms, s, m or h (as in %sms "
		    "or %ss)", name, ps->text, ps->text, ps->text);
		return false;
	}
	if (ps->t.num < min || ps->t.num > max) {
		ERR(ps, "%s %s is out of range (%s to %s)", name, ps->text,
		    conf_fmt_duration(lo, sizeof(lo), min),
		    conf_fmt_duration(hi, sizeof(hi), max));
		return false;
	}
	*ret = ps->t.num;
	next(ps);
	return true;
}

static bool
get_onoff(struct ps *ps, bool *ret)
{
	if (is_word(ps, "on"))
		*ret = true;
	else if (is_word(ps, "off"))
		*ret = false;
	else
		return unexpected(ps, "on or off");
	next(ps);
	return true;
}

static bool
get_route_map(struct ps *ps, char *buf, size_t len)
{
	const char *p;

	if (ps->t.type == CONF_T_WORD || ps->t.type == CONF_T_STRING) {
		for (p = ps->text; *p != '\0'; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' &&
			    *p != '_' && *p != '.')
				break;
		if (*p != '\0' || ps->text[0] == '\0') {
			ERR(ps, "route-map name \"%s\" may only contain "
			    "letters, digits, \"-\", \"_\" and \".\"",
			    ps->text);
			return false;
		}
	}
	return get_string(ps, "route-map name", buf, len);
}

static bool
end_of_statement(struct ps *ps)
{
	if (at_end(ps))
		return true;
	return unexpected(ps, "end of line");
}

/* probe asap ADDR [port N] [pool NAME] [interval D] [timeout D] */
static bool
parse_probe(struct ps *ps, struct hc_service *s)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&s->probe_ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&s->probe_ss;
	uint64_t v, port = 3863;

	if (is_word(ps, "off")) {
		s->probe = false;
		next(ps);
		return true;
	}
	if (!is_word(ps, "asap"))
		return unexpected(ps, "\"asap\" or \"off\"");
	next(ps);
	memset(&s->probe_ss, 0, sizeof(s->probe_ss));
	if (ps->t.type != CONF_T_WORD && ps->t.type != CONF_T_NUMBER &&
	    ps->t.type != CONF_T_STRING)
		return unexpected(ps, "an IP address");
	if (inet_pton(AF_INET, ps->text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		s->probe_sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, ps->text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		s->probe_sslen = sizeof(*sin6);
	} else {
		ERR(ps, "\"%s\" is not an IP address", ps->text);
		return false;
	}
	next(ps);
	snprintf(s->probe_pool, sizeof(s->probe_pool), "anypool-probe");
	while (!at_end(ps)) {
		if (is_word(ps, "port")) {
			next(ps);
			if (!get_number(ps, "port", 1, 65535, &port))
				return false;
		} else if (is_word(ps, "pool")) {
			next(ps);
			if (!get_string(ps, "pool handle", s->probe_pool,
			    sizeof(s->probe_pool)))
				return false;
		} else if (is_word(ps, "interval")) {
			next(ps);
			if (!get_duration(ps, "interval", 50, 60000, &v))
				return false;
			s->interval_ms = (uint32_t)v;
		} else if (is_word(ps, "timeout")) {
			next(ps);
			if (!get_duration(ps, "timeout", 10, 60000, &v))
				return false;
			s->timeout_ms = (uint32_t)v;
		} else
			return unexpected(ps, "port, pool, interval, timeout "
			    "or end of line");
	}
	if (s->probe_ss.ss_family == AF_INET)
		sin->sin_port = htons((uint16_t)port);
	else
		sin6->sin6_port = htons((uint16_t)port);
	s->probe = true;
	return true;
}

static bool
parse_svc_stmt(struct ps *ps, struct hc_service *s)
{
	struct rt_prefix p;
	uint64_t v;
	size_t i;

	if (is_word(ps, "prefix")) {
		next(ps);
		if (ps->t.type != CONF_T_WORD && ps->t.type != CONF_T_STRING)
			return unexpected(ps, "a host prefix (A.B.C.D/32 or "
			    "X:X::X/128)");
		if (rt_prefix_parse(ps->text, &p) != 0) {
			ERR(ps, "\"%s\" is not a host prefix: an IPv4 /32 or "
			    "an IPv6 /128", ps->text);
			return false;
		}
		for (i = 0; i < s->nprefix; i++)
			if (rt_prefix_eq(&s->prefix[i], &p)) {
				ERR(ps, "prefix %s is listed twice", ps->text);
				return false;
			}
		if (s->nprefix == HC_MAX_PREFIXES) {
			ERR(ps, "too many prefixes (at most %d)",
			    HC_MAX_PREFIXES);
			return false;
		}
		s->prefix[s->nprefix++] = p;
		next(ps);
	} else if (is_word(ps, "interface")) {
		next(ps);
		if (!get_string(ps, "interface name", s->ifname,
		    sizeof(s->ifname)))
			return false;
	} else if (is_word(ps, "registrar")) {
		next(ps);
		if (!is_word(ps, "control"))
			return unexpected(ps, "\"control\"");
		next(ps);
		if (!get_path(ps, "registrar control socket",
		    s->registrar_ctl, sizeof(s->registrar_ctl)))
			return false;
	} else if (is_word(ps, "require")) {
		next(ps);
		if (!is_word(ps, "synchronized"))
			return unexpected(ps, "\"synchronized\"");
		next(ps);
		s->require_sync = true;
		if (!at_end(ps) && !get_onoff(ps, &s->require_sync))
			return false;
	} else if (is_word(ps, "probe")) {
		next(ps);
		if (!parse_probe(ps, s))
			return false;
	} else if (is_word(ps, "rise") || is_word(ps, "fall")) {
		bool rise = is_word(ps, "rise");

		next(ps);
		if (!get_number(ps, rise ? "rise" : "fall", 1, 100, &v))
			return false;
		*(rise ? &s->sm.rise : &s->sm.fall) = (uint32_t)v;
	} else if (is_word(ps, "holddown")) {
		next(ps);
		if (!get_duration(ps, "holddown", 0, 3600000,
		    &s->sm.holddown_ms))
			return false;
		while (!at_end(ps)) {
			if (is_word(ps, "max")) {
				next(ps);
				if (!get_duration(ps, "holddown max", 0,
				    86400000, &s->sm.holddown_max_ms))
					return false;
			} else if (is_word(ps, "decay")) {
				next(ps);
				if (!get_duration(ps, "holddown decay", 1000,
				    86400000, &s->sm.decay_ms))
					return false;
			} else
				return unexpected(ps, "max, decay or end of "
				    "line");
		}
		if (s->sm.holddown_max_ms < s->sm.holddown_ms) {
			ERR(ps, "holddown max is smaller than the holddown");
			return false;
		}
	} else if (is_word(ps, "drain-wait")) {
		next(ps);
		if (!get_duration(ps, "drain-wait", 0, 3600000,
		    &s->sm.drain_wait_ms))
			return false;
	} else if (is_word(ps, "drain-file")) {
		next(ps);
		if (!get_path(ps, "drain-file", s->drain_file,
		    sizeof(s->drain_file)))
			return false;
	} else if (is_word(ps, "address-lifetime")) {
		next(ps);
		if (!get_duration(ps, "address-lifetime", 2000, 86400000, &v))
			return false;
		if (v % 1000 != 0) {
			ERR(ps, "address-lifetime is kept by the kernel in "
			    "whole seconds");
			return false;
		}
		s->lifetime_s = (uint32_t)(v / 1000);
		if (is_word(ps, "refresh")) {
			next(ps);
			if (!get_duration(ps, "refresh", 100, 3600000, &v))
				return false;
			s->refresh_ms = (uint32_t)v;
		}
		if ((uint64_t)s->refresh_ms * 2 > (uint64_t)s->lifetime_s *
		    1000) {
			ERR(ps, "refresh must be at most half the "
			    "address-lifetime, or one late refresh withdraws "
			    "the route");
			return false;
		}
	} else if (is_word(ps, "bgp")) {
		next(ps);
		s->routing = HC_ROUTING_BGP;
		snprintf(s->route_map, sizeof(s->route_map), "ANYCAST");
		if (!is_word(ps, "as"))
			return unexpected(ps, "\"as\"");
		next(ps);
		if (!get_number(ps, "as", 1, UINT32_MAX, &v))
			return false;
		s->bgp_asn = (uint32_t)v;
		while (!at_end(ps)) {
			if (is_word(ps, "route-map")) {
				next(ps);
				if (!get_route_map(ps, s->route_map,
				    sizeof(s->route_map)))
					return false;
			} else if (is_word(ps, "network")) {
				next(ps);
				s->bgp_network = true;
			} else
				return unexpected(ps, "route-map, network or "
				    "end of line");
		}
	} else if (is_word(ps, "ospf")) {
		next(ps);
		s->routing = HC_ROUTING_OSPF;
		snprintf(s->route_map, sizeof(s->route_map), "ANYCAST-OSPF");
		while (!at_end(ps)) {
			if (is_word(ps, "route-map")) {
				next(ps);
				if (!get_route_map(ps, s->route_map,
				    sizeof(s->route_map)))
					return false;
			} else if (is_word(ps, "metric") ||
			    is_word(ps, "drain-metric")) {
				bool d = is_word(ps, "drain-metric");

				next(ps);
				if (!get_number(ps, d ? "drain-metric" :
				    "metric", 0, 16777214, &v))
					return false;
				*(d ? &s->ospf_drain_metric :
				    &s->ospf_metric) = (uint32_t)v;
			} else
				return unexpected(ps, "route-map, metric, "
				    "drain-metric or end of line");
		}
	} else if (is_word(ps, "routing")) {
		next(ps);
		if (!is_word(ps, "none"))
			return unexpected(ps, "\"none\"");
		next(ps);
		s->routing = HC_ROUTING_NONE;
	} else if (is_word(ps, "scope")) {
		next(ps);
		if (is_word(ps, "local"))
			s->scope_local = true;
		else if (is_word(ps, "global"))
			s->scope_local = false;
		else
			return unexpected(ps, "global or local");
		next(ps);
	} else if (ps->t.type == CONF_T_WORD) {
		ERR(ps, "unknown keyword \"%s\" in a service block",
		    ps->text);
		return false;
	} else
		return unexpected(ps, "a service statement");
	return end_of_statement(ps);
}

static void
check_service(struct ps *ps, const struct conf_loc *loc,
    const struct hc_service *s)
{
	if (s->nprefix == 0)
		conf_error_at(ps->lex, loc, "service %s: no prefix", s->name);
	if (!s->probe && s->registrar_ctl[0] == '\0')
		conf_error_at(ps->lex, loc, "service %s: nothing to check: "
		    "configure \"probe asap\" and/or \"registrar control\"",
		    s->name);
	if (s->probe && s->timeout_ms >= s->interval_ms)
		conf_error_at(ps->lex, loc, "service %s: probe timeout must "
		    "be shorter than its interval", s->name);
	if (s->routing == HC_ROUTING_OSPF &&
	    s->ospf_drain_metric <= s->ospf_metric)
		conf_error_at(ps->lex, loc, "service %s: drain-metric must be "
		    "higher than metric", s->name);
}

static void
parse_service(struct ps *ps)
{
	struct health_config *c = ps->c;
	struct conf_loc loc = ps->t.loc;
	struct hc_service *s, tmp;
	size_t i;

	next(ps);
	svc_defaults(&tmp);
	if (ps->t.type != CONF_T_WORD && ps->t.type != CONF_T_STRING) {
		unexpected(ps, "a service name");
		skip(ps);
		return;
	}
	if (!get_string(ps, "service name", tmp.name, sizeof(tmp.name))) {
		skip(ps);
		return;
	}
	for (i = 0; i < c->nsvc; i++)
		if (strcmp(c->svc[i].name, tmp.name) == 0)
			conf_error_at(ps->lex, &loc, "service %s is defined "
			    "twice", tmp.name);
	if (ps->t.type != CONF_T_LBRACE) {
		unexpected(ps, "\"{\"");
		skip(ps);
		return;
	}
	next(ps);
	for (;;) {
		if (ps->t.type == CONF_T_RBRACE) {
			next(ps);
			break;
		}
		if (ps->t.type == CONF_T_EOF) {
			conf_error_at(ps->lex, &loc, "\"{\" of service %s is "
			    "never closed: \"}\" missing at end of file",
			    tmp.name);
			return;
		}
		if (ps->t.type == CONF_T_NEWLINE || ps->t.type == CONF_T_SEMI) {
			next(ps);
			continue;
		}
		if (!parse_svc_stmt(ps, &tmp))
			skip(ps);
	}
	check_service(ps, &loc, &tmp);
	if (c->nsvc == HC_MAX_SERVICES) {
		conf_error_at(ps->lex, &loc, "too many services (at most %d)",
		    HC_MAX_SERVICES);
		return;
	}
	s = &c->svc[c->nsvc++];
	*s = tmp;
}

static bool
parse_top_stmt(struct ps *ps)
{
	struct health_config *c = ps->c;
	uint64_t v;

	if (is_word(ps, "control")) {
		next(ps);
		if (!is_word(ps, "socket"))
			return unexpected(ps, "\"socket\"");
		next(ps);
		if (!get_path(ps, "control socket", c->control_socket,
		    sizeof(c->control_socket)))
			return false;
	} else if (is_word(ps, "frr")) {
		next(ps);
		if (at_end(ps))
			return unexpected(ps, "vtysh, vty-socket or timeout");
		while (!at_end(ps)) {
			if (is_word(ps, "vtysh")) {
				next(ps);
				/* A bare name is looked up in PATH. */
				if (!get_string(ps, "vtysh", c->vtysh,
				    sizeof(c->vtysh)))
					return false;
			} else if (is_word(ps, "vty-socket")) {
				next(ps);
				if (!get_path(ps, "vty-socket", c->vty_socket,
				    sizeof(c->vty_socket)))
					return false;
			} else if (is_word(ps, "timeout")) {
				next(ps);
				if (!get_duration(ps, "timeout", 100, 60000,
				    &v))
					return false;
				c->vtysh_timeout_ms = (uint32_t)v;
			} else
				return unexpected(ps, "vtysh, vty-socket, "
				    "timeout or end of line");
		}
	} else if (is_word(ps, "metrics")) {
		/* metrics listen ADDR [port N] | metrics off */
		char addr[INET6_ADDRSTRLEN];

		next(ps);
		if (is_word(ps, "off")) {
			next(ps);
			c->metrics = false;
			return end_of_statement(ps);
		}
		if (!is_word(ps, "listen"))
			return unexpected(ps, "\"listen\" or \"off\"");
		next(ps);
		if ((ps->t.type != CONF_T_WORD && ps->t.type != CONF_T_NUMBER &&
		    ps->t.type != CONF_T_STRING) ||
		    strlen(ps->text) >= sizeof(addr))
			return unexpected(ps, "an IP address");
		snprintf(addr, sizeof(addr), "%s", ps->text);
		v = HC_METRICS_PORT;
		next(ps);
		if (is_word(ps, "port")) {
			next(ps);
			if (!get_number(ps, "port", 1, 65535, &v))
				return false;
		}
		if (!set_sa(&c->metrics_ss, &c->metrics_sslen, addr,
		    (uint16_t)v)) {
			ERR(ps, "\"%s\" is not an IP address", addr);
			return false;
		}
		c->metrics = true;
	} else if (is_word(ps, "service")) {
		parse_service(ps);
		return true;
	} else if (ps->t.type == CONF_T_WORD) {
		ERR(ps, "unknown keyword \"%s\"", ps->text);
		return false;
	} else
		return unexpected(ps, "a statement");
	return end_of_statement(ps);
}

int
hconf_parse(const char *file, FILE *errf, struct health_config *ret)
{
	struct health_config *c;
	struct ps ps;
	int error = -1;

	if ((c = malloc(sizeof(*c))) == NULL) {
		fprintf(errf ? errf : stderr, "%s: %s\n", file,
		    strerror(ENOMEM));
		return -1;
	}
	hconf_defaults(c);
	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	if (conf_lex_open_err(file, errf, &ps.lex) < 0)
		goto out;
	next(&ps);
	while (ps.t.type != CONF_T_EOF) {
		if (ps.t.type == CONF_T_NEWLINE || ps.t.type == CONF_T_SEMI) {
			next(&ps);
			continue;
		}
		if (ps.t.type == CONF_T_RBRACE) {
			ERR(&ps, "\"}\" without a matching \"{\"");
			next(&ps);
			continue;
		}
		if (!parse_top_stmt(&ps)) {
			skip(&ps);
			if (ps.t.type == CONF_T_RBRACE)
				next(&ps);
		}
	}
	if (conf_lex_errors(ps.lex) == 0 && c->nsvc == 0)
		conf_error_at(ps.lex, &ps.t.loc, "no service is configured");
	if (conf_lex_errors(ps.lex) == 0) {
		*ret = *c;
		error = 0;
	}
out:
	conf_lex_free(ps.lex);
	free(c);
	return error;
}

static const char *
dur(char *buf, size_t len, uint64_t ms)
{
	return conf_fmt_duration(buf, len, ms);
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
			    "%s timeout %s\n", a, ntohs(s->probe_ss.ss_family
			    == AF_INET ? sin->sin_port : sin6->sin6_port),
			    conf_fmt_string(q, sizeof(q), s->probe_pool),
			    dur(b1, sizeof(b1), s->interval_ms),
			    dur(b2, sizeof(b2), s->timeout_ms));
		} else
			fprintf(f, "\tprobe off\n");
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
			break;
		case HC_ROUTING_OSPF:
			fprintf(f, "\tospf route-map %s metric %u "
			    "drain-metric %u\n", s->route_map, s->ospf_metric,
			    s->ospf_drain_metric);
			break;
		}
		fprintf(f, "\tscope %s\n", s->scope_local ? "local" : "global");
		fprintf(f, "}\n");
	}
}
