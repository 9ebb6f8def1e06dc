/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS options the command-line clients share (asap-pe, asap-pu,
 * anyprobe): --tls-psk FILE [--tls-identity NAME] | --tls-ca FILE
 * --tls-name NAME, [--tls-cert FILE --tls-key FILE], [--tls-keylog FILE].
 * Their getopt_long table, their parser, their lines of the usage text,
 * the checks of which options need which, and the context or settings
 * they make: for libasap (asap_ctx_new_tls(), which then defaults to port
 * 3864 and refuses sctp: registrars) or for lib/tls.c (anyprobe).  One
 * copy, so the three tools cannot drift apart.  What was given is kept in
 * libasap's public struct asap_tls_config (asap.h), the one description of
 * a client's TLS settings; anyprobe, which does not link libasap, uses
 * only the type.
 */
#ifndef TLS_CLI_H
#define TLS_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "asap.h"

struct tls_config;

/*
 * The long options, { NULL } terminated, for getopt_long(); their values
 * are TLS_CLI_OPT_FIRST (256, above every short option) and up.
 */
#define TLS_CLI_OPT_FIRST	256
extern const struct option tls_cli_longopts[];

/* The two usage lines, without indentation. */
#define TLS_CLI_USAGE_AUTH \
	"--tls-psk FILE [--tls-identity NAME] | --tls-ca FILE --tls-name NAME"
#define TLS_CLI_USAGE_MORE \
	"[--tls-cert FILE --tls-key FILE] [--tls-keylog FILE]"

/*
 * getopt_long()'s ch, a TLS option: store arg in t (zeroed first by the
 * caller; NULL fields: not given), true; any other: false.
 */
bool		 tls_cli_opt(struct asap_tls_config *t, int ch,
		    const char *arg);
/* --tls-psk or --tls-ca given: the client speaks TLS. */
bool		 tls_cli_on(const struct asap_tls_config *t);

/*
 * Options given without the one they need: "PROG: why" on stderr and 2
 * (the usage-error exit status), else 0.  tls_cli_check(): --tls-identity,
 * --tls-name, --tls-cert or --tls-key without --tls-psk or --tls-ca.
 * tls_cli_check_all(): that, and with TLS on, --tls-ca without --tls-name
 * or one of --tls-cert and --tls-key without the other (the libasap tools
 * leave these two to asap_ctx_new_tls(), whose reason they print).
 */
int		 tls_cli_check(const struct asap_tls_config *t,
		    const char *prog);
int		 tls_cli_check_all(const struct asap_tls_config *t,
		    const char *prog);

/* lib/tls.c client settings (TLS 1.2 allowed, as libasap) from t. */
void		 tls_cli_config(const struct asap_tls_config *t,
		    struct tls_config *ret);

/*
 * (tls_cli_asap.c, libasap) asap_ctx_new_tls() with t's settings, or
 * plaintext if no TLS option was given; NULL after "PROG: why" on stderr.
 */
struct asap_ctx	*tls_cli_asap_ctx(const struct asap_tls_config *t,
		    const char *registrars, const struct asap_config *cfg,
		    const char *prog);
/*
 * (tls_cli_asap.c) The -U option of asap-pe and asap-pu: "auto", "always"
 * or "never" into *mode (ASAP_UNICAST_*, asap_set_unicast()); false for
 * anything else.
 */
bool		 cli_unicast_opt(const char *arg, int *mode);

#endif
