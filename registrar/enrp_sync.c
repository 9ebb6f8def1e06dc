/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Keeping the handlespace in step with the peers: snapshots of (handle, PE
 * id), the mentor's handle table download that makes this node
 * synchronized (RFC 5353 §3.2.2, §3.2.3), serving our table in pages to a peer
 * that asks (bounded sessions), and the audit of one peer's PEs when its
 * PRESENCE checksum differs from ours (§3.6.3).
 */
#define _GNU_SOURCE	/* qsort_r */
#include <stdlib.h>
#include <string.h>

#include "enrp_int.h"

void
enrp_snap_free(struct enrp_snap *s)
{
	if (s == NULL)
		return;
	free(s->h);
	free(s->ent);
	memset(s, 0, sizeof(*s));
}

void
enrp_snap_add(struct enrp_snap *s, const uint8_t *h, size_t hlen, uint32_t id,
    bool new_pool)
{
	void *n;

	if (new_pool || s->n == 0) {
		if (s->hlen + hlen > s->hcap) {
			s->hcap = s->hcap ? s->hcap * 2 : 4096;
			while (s->hcap < s->hlen + hlen)
				s->hcap *= 2;
			if ((n = realloc(s->h, s->hcap)) == NULL)
				fatal("%s", __func__);
			s->h = n;
		}
		memcpy(s->h + s->hlen, h, hlen);
		s->hlen += hlen;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		if ((n = reallocarray(s->ent, s->cap, sizeof(*s->ent))) == NULL)
			fatal("%s", __func__);
		s->ent = n;
	}
	s->ent[s->n].hoff = (uint32_t)(s->hlen - hlen);
	s->ent[s->n].hlen = (uint16_t)hlen;
	s->ent[s->n].seen = false;
	s->ent[s->n].id = id;
	s->n++;
}

/*
 * Every PE (owner 0), grouped by pool, or the PEs of one owner, a handle
 * copied per run of one pool.  One owner's come from its own list
 * (issue 14): an audit or an own-children-only dump of a peer with a few
 * PEs no longer walks a handlespace of a million, while the event loop -
 * and every HANDLE_UPDATE due to go out or be applied - waits for it.
 */
void
enrp_snap_take(struct hs *hs, uint32_t owner, struct enrp_snap *s)
{
	struct hs_pool *pool, *last = NULL;
	struct hs_pe *pe;
	const uint8_t *h;
	size_t hlen;
	bool first;

	memset(s, 0, sizeof(*s));
	if (owner != 0) {
		for (pe = hs_owner_first(hs, owner); pe != NULL;
		    pe = hs_owner_next(pe)) {
			pool = hs_pe_pool(pe);
			h = hs_pool_handle(pool, &hlen);
			enrp_snap_add(s, h, hlen, hs_pe_id(pe), pool != last);
			last = pool;
		}
		return;
	}
	for (pool = hs_pool_first(hs); pool != NULL; pool = hs_pool_next(pool)) {
		h = hs_pool_handle(pool, &hlen);
		first = true;
		for (pe = hs_pe_first(pool); pe != NULL; pe = hs_pe_next(pe)) {
			enrp_snap_add(s, h, hlen, hs_pe_id(pe), first);
			first = false;
		}
	}
}

static int
snap_cmp(const void *a, const void *b, void *arg)
{
	const struct snap_ent *x = a, *y = b;
	const uint8_t *h = arg;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->hlen != y->hlen)
		return x->hlen < y->hlen ? -1 : 1;
	return memcmp(h + x->hoff, h + y->hoff, x->hlen);
}

static struct snap_ent *
snap_find(struct enrp_snap *s, const uint8_t *h, size_t hlen, uint32_t id)
{
	size_t lo = 0, hi = s->n, mid;
	struct snap_ent *x;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		x = &s->ent[mid];
		if (x->id != id)
			c = x->id < id ? -1 : 1;
		else if (x->hlen != hlen)
			c = x->hlen < hlen ? -1 : 1;
		else
			c = memcmp(s->h + x->hoff, h, hlen);
		if (c == 0)
			return x;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct enrp_session **
session_slot(struct enrp *e, uint32_t peer, bool own_only, bool create)
{
	size_t i;
	struct enrp_session **free_slot = NULL;

	for (i = 0; i < ENRP_MAX_SESSIONS; i++) {
		if (e->sessions[i] == NULL) {
			if (free_slot == NULL)
				free_slot = &e->sessions[i];
			continue;
		}
		if (e->sessions[i]->peer == peer) {
			if (e->sessions[i]->own_only == own_only)
				return &e->sessions[i];
			/* a new kind of request replaces the old session */
			enrp_snap_free(&e->sessions[i]->snap);
			free(e->sessions[i]);
			e->sessions[i] = NULL;
			if (free_slot == NULL)
				free_slot = &e->sessions[i];
		}
	}
	return create ? free_slot : NULL;
}

void
enrp_session_end(struct enrp_session **s)
{
	enrp_snap_free(&(*s)->snap);
	free(*s);
	*s = NULL;
}

void
enrp_on_table_request(struct enrp *e, struct enrp_peer *p, const struct rsp_msg *m)
{
	struct registrar *r = e->r;
	bool own = (m->flags & ENRP_FLAG_OWN_CHILDREN_ONLY) != 0;
	struct enrp_session **slot, *s;
	struct snap_ent *x;
	struct hs_pe *pe;
	struct rsp_pe rp;
	struct wbuf w;
	size_t mb, before, count = 0, lasth = SIZE_MAX;
	uint8_t flags = 0;

	/* RFC 5353 §3.2.3: a server still initialising rejects (R=1). */
	if (!own && !e->sync.synchronized) {
		enrp_send_simple(e, p, ENRP_HANDLE_TABLE_RESPONSE, ENRP_FLAG_REJECT);
		return;
	}
	if ((slot = session_slot(e, p->id, own, true)) == NULL) {
		log_rl_warnx(&e->rl, now_ms(e), "enrp: table request of %s "
		    "rejected: %d sessions (limit)", p->name, ENRP_MAX_SESSIONS);
		enrp_send_simple(e, p, ENRP_HANDLE_TABLE_RESPONSE, ENRP_FLAG_REJECT);
		return;
	}
	if (*slot == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			fatal("%s", __func__);
		s->peer = p->id;
		s->own_only = own;
		enrp_snap_take(r->hs, own ? r->server_id : 0, &s->snap);
		*slot = s;
	}
	s = *slot;
	s->last = now_ms(e);
	mb = enrp_msg_begin(e, &w, ENRP_HANDLE_TABLE_RESPONSE, 0, p->id);
	while (s->next < s->snap.n && count < cfg(e)->table_page_size) {
		x = &s->snap.ent[s->next];
		pe = hs_lookup(r->hs, s->snap.h + x->hoff, x->hlen, x->id);
		if (pe == NULL || (own && hs_pe_home(pe) != r->server_id)) {
			s->next++;
			continue;	/* gone since: its DEL_PE says so */
		}
		before = w.len;
		/* Pool Entry: the handle once, then its PEs (§2.3). */
		if (lasth != x->hoff)
			rsp_put_handle(&w, s->snap.h + x->hoff, x->hlen);
		hs_pe_export(pe, &rp);
		authz_export(r, pe, &rp);	/* registrant-identity.md */
		rsp_put_pe(&w, &rp);
		if (w.err || w.len > MSG_BUF - 4) {
			w.err = false;
			w.len = before;
			if (count == 0) {	/* cannot fit even alone */
				s->next++;
				continue;
			}
			break;
		}
		lasth = x->hoff;
		s->next++;
		count++;
	}
	if (s->next < s->snap.n)
		flags |= ENRP_FLAG_MORE_TO_SEND;
	w.p[1] = flags;
	rsp_put_msg_end(&w, mb);
	enrp_peer_send(e, p, &w);
	if (!(flags & ENRP_FLAG_MORE_TO_SEND))
		enrp_session_end(slot);
}

static void
send_table_request(struct enrp *e, struct enrp_peer *p, bool own)
{
	enrp_send_simple(e, p, ENRP_HANDLE_TABLE_REQUEST,
	    own ? ENRP_FLAG_OWN_CHILDREN_ONLY : 0);
}

/* The sync machine said ENRP_SYNC_DONE (enrp_fsm.c): note and log it. */
void
enrp_become_synchronized(struct enrp *e, const char *how)
{
	e->synced_at = now_ms(e);
	log_info("enrp: synchronized %s after %llu ms (%llu PEs in the "
	    "handlespace)", how, (unsigned long long)(e->synced_at - e->started),
	    (unsigned long long)hs_npes(e->r->hs));
}

void
enrp_peer_audit_end(struct enrp_peer *p)
{
	if (p->audit != NULL) {
		enrp_snap_free(p->audit);
		free(p->audit);
		p->audit = NULL;
	}
}

/* RFC 5353 §3.6.3 step 5: PEs of the peer that its table did not list. */
static void
audit_finish(struct enrp *e, struct enrp_peer *p)
{
	struct enrp_snap *s = p->audit;
	struct hs_pe *pe;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->ent[i].seen)
			continue;
		pe = hs_lookup(e->r->hs, s->h + s->ent[i].hoff, s->ent[i].hlen,
		    s->ent[i].id);
		if (pe != NULL && hs_pe_home(pe) == p->id &&
		    hs_pe_udata(pe) == NULL) {
			hs_remove(e->r->hs, pe);
			e->stats.audit_removals++;
		}
	}
	e->stats.audits_completed++;
	enrp_peer_audit_end(p);
	registrar_expiry_arm(e->r);
}

void
enrp_on_table_response(struct enrp *e, struct enrp_conn *c, struct enrp_peer *p,
    const struct rsp_msg *m)
{
	bool dl = e->sync.phase == ENRP_DOWNLOAD && e->sync.mentor == p->id;
	struct rsp_iter it;
	struct rsp_bytes h;
	struct rsp_pe pe;
	struct snap_ent *x;
	int rc;

	if (!dl && p->audit == NULL) {
		log_rl_debug(&c->rl, now_ms(e), "enrp %s: unexpected table "
		    "response", c->name);
		return;
	}
	if (m->flags & ENRP_FLAG_REJECT) {
		if (dl) {
			/* RFC 5353 §3.2.3: wait a little, or try another. */
			log_rl_info(&e->rl, now_ms(e), "enrp: mentor %s "
			    "rejected the table request", p->name);
			enrp_fsm_sync_rejected(&e->sync, now_ms(e));
		} else {
			enrp_peer_audit_end(p);
		}
		return;
	}
	rsp_iter_init(&it, m);
	while (rsp_iter_pe(&it, &h, &pe) == 1) {
		uint32_t home = pe.home_id != 0 ? pe.home_id : p->id;

		if (!dl)
			home = p->id;	/* own-children-only: all its own */
		if (home == e->r->server_id && dl)
			continue;
		rc = enrp_merge_pe(e, &h, &pe, home, false);
		if (rc != 0)
			log_rl_warnx(&c->rl, now_ms(e), "enrp %s: table entry "
			    "0x%08x refused: %s", c->name, pe.id,
			    hs_strerror(rc));
		if (dl)
			e->dl_pes++;
		if (!dl && (x = snap_find(p->audit, h.p, h.len, pe.id)) != NULL)
			x->seen = true;
	}
	registrar_expiry_arm(e->r);
	if (m->flags & ENRP_FLAG_MORE_TO_SEND) {
		/* RFC 5353 §3.2.3 step 3: M=1, ask for the next part. */
		if (dl)
			enrp_fsm_sync_page(&e->sync, true, now_ms(e));
		else
			p->audit_sent = now_ms(e);
		send_table_request(e, p, !dl);
		return;
	}
	if (dl) {
		e->stats.downloads++;
		e->stats.download_pes += e->dl_pes;
		if (enrp_fsm_sync_page(&e->sync, false, now_ms(e)) &
		    ENRP_SYNC_DONE)
			enrp_become_synchronized(e, "by the mentor's table");
	} else {
		audit_finish(e, p);
	}
}

void
enrp_start_audit(struct enrp *e, struct enrp_peer *p)
{
	if ((p->audit = calloc(1, sizeof(*p->audit))) == NULL)
		fatal("%s", __func__);
	/* RFC 5353 §3.6.3 step 1: mark every PE the peer owns here. */
	enrp_snap_take(e->r->hs, p->id, p->audit);
	if (p->audit->n > 1)
		qsort_r(p->audit->ent, p->audit->n, sizeof(*p->audit->ent),
		    snap_cmp, p->audit->h);
	p->audit_sent = now_ms(e);
	send_table_request(e, p, true);
}

/* The sync machine chose p as the mentor (ENRP_SYNC_DOWNLOAD). */
void
enrp_start_download(struct enrp *e, struct enrp_peer *p)
{
	log_info("enrp: mentor %s: downloading its peer list and handle "
	    "table", p->name);
	e->dl_pes = 0;
	/* RSPLIB sends both back to back. */
	enrp_send_simple(e, p, ENRP_LIST_REQUEST, 0);
	send_table_request(e, p, false);
}
