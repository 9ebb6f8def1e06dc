/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * HANDLE_UPDATE (RFC 5353 §3.3): announcing the PEs this server owns
 * when the ASAP side registers or removes them (the hooks of enrp.h), and
 * applying the peers' announcements and table entries to the handlespace
 * (merge rules of §3.3.1 and §3.2.3).
 */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "enrp_int.h"

static void
send_update(struct enrp *e, struct hs_pe *pe, uint16_t action)
{
	struct rsp_pe x;
	const uint8_t *h;
	struct wbuf w;
	size_t m, hlen;

	h = hs_pool_handle(hs_pe_pool(pe), &hlen);
	hs_pe_export(pe, &x);
	authz_export(e->r, pe, &x);	/* registrant-identity.md */
	m = enrp_msg_begin(e, &w, ENRP_HANDLE_UPDATE, 0, 0);
	wbuf_u16(&w, action);
	wbuf_u16(&w, 0);
	rsp_put_handle(&w, h, hlen);
	rsp_put_pe(&w, &x);
	rsp_put_msg_end(&w, m);
	enrp_announce(e, &w, 0);
}

void
enrp_pe_registered(struct registrar *r, struct hs_pe *pe)
{
	/* RFC 5353 §3.3.1: announce ADD_PE on every (re-)registration. */
	if (r->enrp != NULL && hs_pe_home(pe) == r->server_id)
		send_update(r->enrp, pe, ENRP_ADD_PE);
}

void
enrp_pe_removing(struct registrar *r, struct hs_pe *pe)
{
	/* RFC 5353 §3.3.2: only the home server announces DEL_PE. */
	if (r->enrp != NULL && hs_pe_home(pe) == r->server_id)
		send_update(r->enrp, pe, ENRP_DEL_PE);
}

void
enrp_pe_deregistered(struct registrar *r, struct hs_pe *pe)
{
	/*
	 * RFC 5352 §3.2: after a granted deregistration the server announces
	 * DEL_PE (RSPLIB does so wherever it grants one).  Our own PEs are
	 * announced by enrp_pe_removing(); for another server's PE the Pool
	 * Element parameter keeps naming its home, which tells the peers this
	 * is not a stale DEL_PE of an earlier home (enrp_on_update).
	 */
	if (r->enrp != NULL && hs_pe_home(pe) != r->server_id)
		send_update(r->enrp, pe, ENRP_DEL_PE);
}

int
enrp_pe_report(struct registrar *r, struct hs_pe *pe,
    const struct sockaddr_storage *reporter)
{
	struct enrp *e = r->enrp;
	struct enrp_peer *p;
	struct rsp_addr a = { 0 };
	const uint8_t *h;
	struct wbuf w;
	size_t m, hlen;

	if (e == NULL || (p = enrp_peer_find(e, hs_pe_home(pe))) == NULL)
		return -1;
	if (reporter->ss_family == AF_INET) {
		a.family = AF_INET;
		memcpy(a.a, &((const struct sockaddr_in *)reporter)->sin_addr,
		    4);
	} else if (reporter->ss_family == AF_INET6) {
		a.family = AF_INET6;
		memcpy(a.a, &((const struct sockaddr_in6 *)reporter)->sin6_addr,
		    16);
	} else {
		return -1;
	}
	h = hs_pool_handle(hs_pe_pool(pe), &hlen);
	m = enrp_msg_begin(e, &w, ENRP_PE_REPORT, 0, p->id);
	rsp_put_handle(&w, h, hlen);
	rsp_put_pe_id(&w, hs_pe_id(pe));
	rsp_put_addr(&w, &a);
	rsp_put_msg_end(&w, m);
	enrp_peer_send(e, p, &w);
	return 0;
}

/*
 * A peer passes on a report about a PE it takes to be ours: counted here
 * with the pool user's address, as if the report had come here.
 */
void
enrp_on_pe_report(struct enrp *e, struct enrp_peer *p, const struct rsp_msg *m)
{
	struct registrar *r = e->r;
	struct sockaddr_storage ss;
	struct hs_pe *pe;
	char from[160];

	r->stats.reports_from_peers++;
	pe = hs_lookup(r->hs, m->handle.p, m->handle.len, m->pe_id);
	if (pe == NULL || !m->has_addr)
		return;
	memset(&ss, 0, sizeof(ss));
	if (m->addr.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, m->addr.a, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, m->addr.a, 16);
	}
	snprintf(from, sizeof(from), "enrp %s (for a pool user)", p->name);
	unreach_report(r, pe, &ss, from, true);
}

/*
 * Add or update a PE owned by `home` (RFC 5353 §3.3.1, §3.2.3 merge rules).
 * A PE registered here over an association that a peer now announces moved
 * there (it re-registered through the anycast address): the peer's
 * registration is newer, so our keep-alive state goes.
 */
int
enrp_merge_pe(struct enrp *e, const struct rsp_bytes *h, const struct rsp_pe *in,
    uint32_t home, bool from_update)
{
	struct registrar *r = e->r;
	struct rsp_pe pe = *in;
	struct hs_pe *old, *hp;
	uint64_t expires;
	int rc;

	if (h->len == 0 || h->len > r->conf.max_handle_len)
		return HS_E_HANDLE;
	if (pe.life == 0 || (pe.life < 0 && pe.life != RSP_LIFE_INFINITE))
		return HS_E_INVAL;
	old = hs_lookup(r->hs, h->p, h->len, pe.id);
	if (old != NULL && hs_pe_udata(old) != NULL) {
		if (!from_update)
			return 0;	/* registered here: ours is live */
		registrar_pe_release(r, old);
	}
	if (home == r->server_id && old == NULL)
		return 0;	/* not ours to invent */
	expires = registrar_pe_expires(r, pe.life);
	pe.home_id = home;
	rc = hs_register(r->hs, h->p, h->len, &pe, expires, &hp, NULL);
	if (rc == 0) {
		/* Who registered it, as its home says (registrant-identity.md) */
		hs_pe_set_registrant(hp, authz_import(r, &pe));
		/* Announced by its home: no longer suspect here (unreachable.c) */
		hs_pe_set_hidden(hp, false);
		unreach_cleared(r, h->p, h->len, pe.id);
		e->stats.updates_applied++;
	} else
		e->stats.updates_rejected++;
	return rc;
}

void
enrp_on_update(struct enrp *e, struct enrp_conn *c, struct enrp_peer *p,
    const struct rsp_msg *m)
{
	struct registrar *r = e->r;
	struct hs_pe *pe;
	int rc;

	if (m->update_action == ENRP_ADD_PE) {
		rc = enrp_merge_pe(e, &m->handle, &m->pe, p->id, true);
		if (rc != 0) {
			log_rl_warnx(&c->rl, now_ms(e), "enrp %s: ADD_PE of "
			    "0x%08x refused: %s", c->name, m->pe.id,
			    hs_strerror(rc));
			enrp_send_error(c, p->id, hs_error_cause(rc),
			    m->handle.p - RSP_TLV_HDR_LEN,
			    m->handle.len + RSP_TLV_HDR_LEN);
		}
		registrar_expiry_arm(r);
		return;
	}
	/*
	 * RFC 5353 §3.3.2: remove it; not found: nothing to do.  From its
	 * home: unless it registered here since (it moved on; a late DEL_PE
	 * of its old home must not remove it).  From another server: a
	 * deregistration granted there (RFC 5352 §3.2) if the Pool Element
	 * names the home we know; a PE registered here then goes with its
	 * keep-alive state.  Else a stale DEL_PE of an earlier home: ignored.
	 */
	pe = hs_lookup(r->hs, m->handle.p, m->handle.len, m->pe.id);
	if (pe == NULL)
		return;
	if (hs_pe_home(pe) == p->id) {
		if (hs_pe_udata(pe) != NULL)
			return;
		hs_remove(r->hs, pe);
	} else if (m->pe.home_id == hs_pe_home(pe)) {
		log_rl_info(&e->rl, now_ms(e), "enrp: PE 0x%08x of 0x%08x "
		    "deregistered at %s", m->pe.id, m->pe.home_id, p->name);
		if (hs_pe_udata(pe) != NULL)
			registrar_pe_remove(r, pe, "deregistered at a peer");
		else
			hs_remove(r->hs, pe);
	} else {
		return;
	}
	e->stats.updates_applied++;
	registrar_expiry_arm(r);
}
