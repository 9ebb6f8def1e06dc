/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS options of the command-line clients, libasap's side (see
 * tls_cli.h): the context asap-pe and asap-pu run on, and why it could not
 * be made, and their -U option.  A file of its own, as anyprobe does not
 * link libasap.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "asap.h"
#include "tls_cli.h"

struct asap_ctx *
tls_cli_asap_ctx(const struct asap_tls_config *t, const char *registrars,
    const struct asap_config *cfg, const char *prog)
{
	struct asap_ctx *ctx;
	char err[256];

	ctx = asap_ctx_new_tls(registrars, cfg, tls_cli_on(t) ? t : NULL, err,
	    sizeof(err));
	if (ctx == NULL && tls_cli_on(t))
		fprintf(stderr, "%s: %s\n", prog, err);
	else if (ctx == NULL)
		fprintf(stderr, "%s: bad registrar list %s: %s\n", prog,
		    registrars, strerror(errno));
	return ctx;
}

bool
cli_unicast_opt(const char *arg, int *mode)
{
	if (strcmp(arg, "auto") == 0)
		*mode = ASAP_UNICAST_AUTO;
	else if (strcmp(arg, "always") == 0)
		*mode = ASAP_UNICAST_ALWAYS;
	else if (strcmp(arg, "never") == 0)
		*mode = ASAP_UNICAST_NEVER;
	else
		return false;
	return true;
}
