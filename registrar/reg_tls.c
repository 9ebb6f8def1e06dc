/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * registrard's TLS (issue 12; RFC 5352 §9, RFC 5355): the server context
 * built from the "tls { ... }" block (PSK identities, this registrar's
 * certificate, the CA for client certificates), its reload on SIGHUP (new
 * connections get the new keys, established ones keep theirs, a bad file
 * keeps the old context), and what a failed handshake costs: one
 * rate-limited line naming the peer, the port and the reason, and a
 * counter by reason for the control socket and the metrics.  The handshake
 * itself runs in lib/conn.c on lib/tls.c.
 */
#include <string.h>

#include "registrar.h"
#include "tls.h"

static void
reg_tls_config(const struct registrar_config *c, struct tls_config *t)
{
	const struct conf_tls *ct = &c->tls;

	memset(t, 0, sizeof(*t));
	t->role = TLS_SERVER;
	t->allow_tls12 = ct->allow_tls12;
	t->psk_file = ct->psk_file[0] != '\0' ? ct->psk_file : NULL;
	t->cert_file = ct->cert_file[0] != '\0' ? ct->cert_file : NULL;
	t->key_file = ct->key_file[0] != '\0' ? ct->key_file : NULL;
	t->ca_file = ct->ca_file[0] != '\0' ? ct->ca_file : NULL;
	switch (ct->client_cert) {
	case CONF_CLIENT_CERT_REQUIRE:
		t->client_cert = TLS_CLIENT_CERT_REQUIRE;
		break;
	case CONF_CLIENT_CERT_OPTIONAL:
		t->client_cert = TLS_CLIENT_CERT_OPTIONAL;
		break;
	case CONF_CLIENT_CERT_NONE:
	default:
		t->client_cert = TLS_CLIENT_CERT_NONE;
		break;
	}
	t->keylog_file = ct->keylog_file[0] != '\0' ? ct->keylog_file : NULL;
}

/* ENRP: mutual PSK between registrars, from their own key file. */
static void
reg_tls_enrp_config(const struct registrar_config *c, enum tls_role role,
    struct tls_config *t)
{
	memset(t, 0, sizeof(*t));
	t->role = role;
	t->psk_file = c->tls.enrp_psk_file;
	if (role == TLS_CLIENT)
		t->psk_identity = c->tls.identity;
	t->keylog_file = c->tls.keylog_file[0] != '\0' ? c->tls.keylog_file :
	    NULL;
}

static bool
enrp_tls_on(const struct registrar_config *c)
{
	return c->enrp.enabled && c->tls.enrp_tls;
}

/* Build (reload: replace) one context; on error log it with what. */
static int
ctx_load(struct tls_ctx **cur, const struct tls_config *t, const char *what,
    bool reload)
{
	char err[256];
	int rc;

	if (reload && *cur != NULL)
		rc = tls_ctx_reload(cur, t, err, sizeof(err));
	else
		rc = tls_ctx_new(t, cur, err, sizeof(err));
	if (rc != 0)
		log_warnx("tls%s: %s%s", what, err, reload ? "; keeping the "
		    "keys and certificates loaded before" : "");
	return rc;
}

static int
reg_tls_load(struct registrar *r, const struct registrar_config *c,
    bool reload)
{
	struct tls_config t;
	int rc = 0, e;

	if (c->tls_set) {
		reg_tls_config(c, &t);
		rc = ctx_load(&r->tls_server, &t, "", reload);
	}
	if (enrp_tls_on(c)) {
		reg_tls_enrp_config(c, TLS_SERVER, &t);
		if ((e = ctx_load(&r->tls_enrp_server, &t, " (enrp)",
		    reload)) != 0 && rc == 0)
			rc = e;
		reg_tls_enrp_config(c, TLS_CLIENT, &t);
		if ((e = ctx_load(&r->tls_enrp_client, &t, " (enrp)",
		    reload)) != 0 && rc == 0)
			rc = e;
	}
	return rc;
}

int
reg_tls_init(struct registrar *r, const struct registrar_config *c)
{
	int rc;

	r->rl_tls = (struct log_ratelimit)LOG_RATELIMIT_INIT(20, 10000);
	if ((rc = reg_tls_load(r, c, false)) != 0)
		return rc;
	if (c->tls_set)
		log_info("tls: ASAP with %s%s%s", c->tls.psk_file[0] != '\0' ?
		    "PSK identities" : "", c->tls.psk_file[0] != '\0' &&
		    c->tls.cert_file[0] != '\0' ? " and " : "",
		    c->tls.cert_file[0] != '\0' ? "a certificate" : "");
	if (enrp_tls_on(c))
		log_info("tls: ENRP with PSKs, this registrar is \"%s\"",
		    c->tls.identity);
	return 0;
}

int
reg_tls_reload(struct registrar *r, const struct registrar_config *c)
{
	int rc;

	if ((rc = reg_tls_load(r, c, true)) != 0)
		return rc;
	if (c->tls_set || enrp_tls_on(c))
		log_info("tls: keys and certificates reloaded (established "
		    "associations keep theirs)");
	return 0;
}

void
reg_tls_free(struct registrar *r)
{
	tls_ctx_free(r->tls_server);
	tls_ctx_free(r->tls_enrp_server);
	tls_ctx_free(r->tls_enrp_client);
	r->tls_server = r->tls_enrp_server = r->tls_enrp_client = NULL;
}

void
reg_tls_failed(struct registrar *r, const struct cn *c, enum cn_end end,
    const char *name, const char *port_kind, const char *why)
{
	size_t i;

	if (end == CN_END_TLS_ON_PLAIN) {
		i = REG_TLS_ON_PLAIN;
		why = "the client speaks TLS: use the TLS port (3864)";
	} else {
		i = c->tls_fail >= 0 && c->tls_fail < TLS_FAIL_MAX ?
		    (size_t)c->tls_fail : TLS_FAIL_OTHER;
	}
	r->stats.tls_failures[i]++;
	log_rl_warnx(&r->rl_tls, ev_now(r->loop), "%s: %s: TLS handshake "
	    "failed: %s: %s", name, port_kind, reg_tls_fail_name(i),
	    why != NULL ? why : "?");
}
