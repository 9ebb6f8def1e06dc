/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS options of the command-line clients (see tls_cli.h): the option
 * table and parser, the checks and their messages, and lib/tls.c settings.
 * Nothing here calls into libasap or lib/tls.c, so every tool links it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tls.h"
#include "tls_cli.h"

enum {
	OPT_TLS_PSK = TLS_CLI_OPT_FIRST,
	OPT_TLS_IDENTITY,
	OPT_TLS_CA,
	OPT_TLS_NAME,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_TLS_KEYLOG,
};

const struct option tls_cli_longopts[] = {
	{ "tls-psk", required_argument, NULL, OPT_TLS_PSK },
	{ "tls-identity", required_argument, NULL, OPT_TLS_IDENTITY },
	{ "tls-ca", required_argument, NULL, OPT_TLS_CA },
	{ "tls-name", required_argument, NULL, OPT_TLS_NAME },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "tls-keylog", required_argument, NULL, OPT_TLS_KEYLOG },
	{ NULL, 0, NULL, 0 },
};

bool
tls_cli_opt(struct asap_tls_config *t, int ch, const char *arg)
{
	switch (ch) {
	case OPT_TLS_PSK: t->psk_file = arg; break;
	case OPT_TLS_IDENTITY: t->psk_identity = arg; break;
	case OPT_TLS_CA: t->ca_file = arg; break;
	case OPT_TLS_NAME: t->server_name = arg; break;
	case OPT_TLS_CERT: t->cert_file = arg; break;
	case OPT_TLS_KEY: t->key_file = arg; break;
	case OPT_TLS_KEYLOG: t->keylog_file = arg; break;
	default: return false;
	}
	return true;
}

bool
tls_cli_on(const struct asap_tls_config *t)
{
	return t->psk_file != NULL || t->ca_file != NULL;
}

int
tls_cli_check(const struct asap_tls_config *t, const char *prog)
{
	if (!tls_cli_on(t) && (t->psk_identity != NULL ||
	    t->server_name != NULL || t->cert_file != NULL ||
	    t->key_file != NULL)) {
		fprintf(stderr, "%s: TLS options need --tls-psk or "
		    "--tls-ca\n", prog);
		return 2;
	}
	return 0;
}

int
tls_cli_check_all(const struct asap_tls_config *t, const char *prog)
{
	if (!tls_cli_on(t))
		return tls_cli_check(t, prog);
	if (t->psk_file == NULL && t->server_name == NULL) {
		fprintf(stderr, "%s: --tls-ca needs --tls-name, the name the "
		    "registrar's certificate carries\n", prog);
		return 2;
	}
	if ((t->cert_file == NULL) != (t->key_file == NULL)) {
		fprintf(stderr, "%s: --tls-cert and --tls-key go together\n",
		    prog);
		return 2;
	}
	return 0;
}

void
tls_cli_config(const struct asap_tls_config *t, struct tls_config *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->role = TLS_CLIENT;
	ret->allow_tls12 = true;
	ret->psk_file = t->psk_file;
	ret->psk_identity = t->psk_identity;
	ret->ca_file = t->ca_file;
	ret->server_name = t->server_name;
	ret->cert_file = t->cert_file;
	ret->key_file = t->key_file;
	ret->keylog_file = t->keylog_file;
}
