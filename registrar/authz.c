/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Authorization of registrations (issue 12; doc/protocol/security.md,
 * doc/spec/registrant-identity.md): which authenticated identity may
 * register into which pools ("authorize" in registrard.conf), and who
 * registered each PE.
 *
 * A registrant is a kind (PSK identity or certificate name) and a name.
 * Each one the registrar meets (from a TLS association, or from an ENRP
 * peer's Registrant Identity parameter) is interned once and the
 * handlespace keeps its 32-bit token in the PE (hs_pe_registrant()), so a
 * PE costs no more memory for it.  Tokens are never freed: names come
 * only from authenticated parties, and at most AUTHZ_NAMES_MAX of them
 * are kept; past that, a new name gets no token and its registration is
 * refused (Lack of Resources), which the log says.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "registrar.h"

#define AUTHZ_NAMES_MAX		65536
#define AUTHZ_BUCKETS		4096	/* power of two */
#define AUTHZ_HANDLE_MAX	1024	/* longer handles: only "*" matches */

struct authz_name {
	struct authz_name	*next;		/* hash chain */
	uint32_t		 token;
	uint8_t			 kind;		/* RSP_REGISTRANT_* */
	uint16_t		 len;
	char			 name[];	/* len bytes, then NUL */
};

struct authz_names {
	struct authz_name	*bucket[AUTHZ_BUCKETS];
	struct authz_name	**by_token;	/* [token - 1] */
	uint32_t		 n, cap;
};

static uint32_t
name_hash(uint8_t kind, const char *s, size_t len)
{
	uint32_t h = 2166136261u ^ kind;	/* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

uint32_t
authz_token(struct registrar *r, uint8_t kind, const char *name, size_t len)
{
	struct authz_names *t = r->names;
	struct authz_name *e, **grown;
	uint32_t h;

	if (kind != RSP_REGISTRANT_PSK && kind != RSP_REGISTRANT_CERT)
		return 0;
	if (len == 0 || len > RSP_REGISTRANT_NAME_MAX)
		return 0;
	if (t == NULL && (t = r->names = calloc(1, sizeof(*t))) == NULL)
		return 0;
	h = name_hash(kind, name, len) & (AUTHZ_BUCKETS - 1);
	for (e = t->bucket[h]; e != NULL; e = e->next)
		if (e->kind == kind && e->len == len &&
		    memcmp(e->name, name, len) == 0)
			return e->token;
	if (t->n == AUTHZ_NAMES_MAX)
		return 0;
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;

		if ((grown = reallocarray(t->by_token, cap,
		    sizeof(*grown))) == NULL)
			return 0;
		t->by_token = grown;
		t->cap = cap;
	}
	if ((e = malloc(sizeof(*e) + len + 1)) == NULL)
		return 0;
	e->kind = kind;
	e->len = (uint16_t)len;
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	e->token = ++t->n;
	t->by_token[e->token - 1] = e;
	e->next = t->bucket[h];
	t->bucket[h] = e;
	return e->token;
}

const char *
authz_name(const struct registrar *r, uint32_t token, uint8_t *ret_kind)
{
	const struct authz_names *t = r->names;

	if (token == 0 || t == NULL || token > t->n)
		return NULL;
	if (ret_kind != NULL)
		*ret_kind = t->by_token[token - 1]->kind;
	return t->by_token[token - 1]->name;
}

uint32_t
authz_assoc_token(struct assoc *as)
{
	const char *id = assoc_identity(as);

	if (id == NULL)
		return 0;
	return authz_token(as->r, as->tls_auth == TLS_AUTH_PSK ?
	    RSP_REGISTRANT_PSK : RSP_REGISTRANT_CERT, id, strlen(id));
}

void
authz_export(const struct registrar *r, const struct hs_pe *pe,
    struct rsp_pe *x)
{
	const char *n = authz_name(r, hs_pe_registrant(pe),
	    &x->registrant_kind);

	if (n == NULL) {
		x->registrant_kind = 0;
		x->registrant.p = NULL;
		x->registrant.len = 0;
		return;
	}
	x->registrant.p = (const uint8_t *)n;
	x->registrant.len = (uint16_t)strlen(n);
}

uint32_t
authz_import(struct registrar *r, const struct rsp_pe *x)
{
	char n[RSP_REGISTRANT_NAME_MAX + 1];

	if (x->registrant_kind == 0 || x->registrant.len == 0 ||
	    x->registrant.len > RSP_REGISTRANT_NAME_MAX)
		return 0;
	memcpy(n, x->registrant.p, x->registrant.len);
	n[x->registrant.len] = '\0';
	return authz_token(r, x->registrant_kind, n, x->registrant.len);
}

const char *
authz_describe(const struct registrar *r, uint32_t token, char *buf,
    size_t len)
{
	uint8_t kind;
	const char *n = authz_name(r, token, &kind);

	if (n == NULL)
		snprintf(buf, len, "nobody authenticated");
	else
		snprintf(buf, len, "%s %s", kind == RSP_REGISTRANT_PSK ?
		    "PSK identity" : "certificate", n);
	return buf;
}

static bool
subject_matches(const struct conf_authz *a, enum tls_auth auth,
    const char *id)
{
	if (a->kind == CONF_AUTHZ_NONE)
		return id == NULL;
	if (id == NULL)
		return false;
	if ((a->kind == CONF_AUTHZ_PSK && auth != TLS_AUTH_PSK) ||
	    (a->kind == CONF_AUTHZ_CERT && auth != TLS_AUTH_CERT))
		return false;
	return fnmatch(a->subject, id, 0) == 0;
}

bool
authz_permits(const struct registrar_config *c, const struct assoc *as,
    const uint8_t *handle, size_t len)
{
	char h[AUTHZ_HANDLE_MAX + 1];
	const char *id = assoc_identity(as);
	bool plain;
	size_t i;

	if (c->nauthz == 0)
		return true;	/* no authorize statement: everyone */
	/* A handle fnmatch() cannot see whole: only the pattern "*". */
	plain = len <= AUTHZ_HANDLE_MAX && memchr(handle, '\0', len) == NULL;
	if (plain) {
		memcpy(h, handle, len);
		h[len] = '\0';
	}
	for (i = 0; i < c->nauthz; i++) {
		const struct conf_authz *a = &c->authz[i];

		if (!subject_matches(a, as->tls_auth, id))
			continue;
		if (plain ? fnmatch(a->pool, h, 0) == 0 :
		    strcmp(a->pool, "*") == 0)
			return true;
	}
	return false;
}

void
authz_free(struct registrar *r)
{
	struct authz_names *t = r->names;
	uint32_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->by_token[i]);
	free(t->by_token);
	free(t);
	r->names = NULL;
}
