/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ENDPOINT_UNREACHABLE, wherever it is made (RFC 5352 §3.5, RFC 5355
 * §2.13; doc/spec/unreachable-report.md, registrard.8 "Unreachable
 * reports").  Behind an anycast address a pool user's report often
 * reaches a registrar that is not the PE's home.  Every registrar:
 *   - counts a reporting address once per unreachable-window for a PE
 *     (repeats are dropped: no flood of keep-alives or of ENRP messages);
 *   - stops handing the PE out at once (it is "hidden");
 *   - passes the report to the PE's home over ENRP (ENRP_PE_REPORT) when
 *     it is not the home.
 * The home decides, for the whole cluster: it counts distinct reporters
 * from all registrars, removes the PE past max-bad-pe-reports, and
 * otherwise sends it a keep-alive at once.  No answer within
 * keepalive-timeout: the PE is removed (DEL_PE to every peer).  An
 * answer: the reports are void, and the home announces the PE again
 * (ADD_PE), which ends the hiding at every registrar.  A registrar that
 * hears nothing from the home shows the PE again after the hold
 * (2 x keepalive-timeout + 1 s, at most unreachable-window).
 */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "registrar.h"
#include "enrp.h"

#define SUSPECTS_MAX	4096	/* PEs of other registrars tracked at once */
#define EXTRA_MAX	32	/* resolution over-fetch to skip hidden PEs */

static uint64_t
now_ms(const struct registrar *r)
{
	return ev_now(r->loop);
}

static uint64_t
hold_ms(const struct registrar *r)
{
	uint64_t h = 2 * (uint64_t)r->conf.keepalive_timeout + 1000;

	return h < r->conf.unreachable_window ? h : r->conf.unreachable_window;
}

/*
 * Note a report from ss at now: -1 if this address already reported it
 * within the window (it counts once), else the number of distinct
 * addresses that reported it within the window since it last answered.
 */
static int
report_note(const struct registrar *r, struct reg_reports *rep,
    const struct sockaddr_storage *ss, uint64_t now)
{
	uint32_t want = r->conf.max_bad_pe_reports + 1, i, pick = 0;
	uint64_t win = r->conf.unreachable_window;
	struct reg_report key = { 0 };
	struct reg_report *x;
	int n = 0;

	source_key(ss, key.addr, &key.family);
	if (rep->nmax != want) {
		free(rep->v);
		if ((rep->v = calloc(want, sizeof(*rep->v))) == NULL)
			fatal("%s", __func__);
		rep->nmax = want;
	}
	for (i = 0; i < want; i++) {
		x = &rep->v[i];
		if (x->at != 0 && x->at + win > now && x->family ==
		    key.family && memcmp(x->addr, key.addr, 16) == 0)
			return -1;
		/* The slot to reuse: empty, else the oldest. */
		if (x->at < rep->v[pick].at)
			pick = i;
	}
	key.at = now != 0 ? now : 1;
	key.gen = rep->gen;
	rep->v[pick] = key;
	for (i = 0; i < want; i++) {
		x = &rep->v[i];
		if (x->at != 0 && x->at + win > now && x->gen == rep->gen)
			n++;
	}
	return n;
}

static struct reg_suspect *
suspect_find(struct registrar *r, const uint8_t *h, size_t hlen, uint32_t id)
{
	struct reg_suspect *s;

	TAILQ_FOREACH(s, &r->suspects, entry)
		if (s->id == id && s->hlen == hlen &&
		    memcmp(s->handle, h, hlen) == 0)
			return s;
	return NULL;
}

static void
suspect_free(struct registrar *r, struct reg_suspect *s)
{
	struct hs_pe *pe;

	/* Its PE, if still there and not ours, is handed out again. */
	pe = hs_lookup(r->hs, s->handle, s->hlen, s->id);
	if (pe != NULL && hs_pe_udata(pe) == NULL)
		hs_pe_set_hidden(pe, false);
	TAILQ_REMOVE(&r->suspects, s, entry);
	r->nsuspects--;
	free(s->rep.v);
	free(s);
}

static struct reg_suspect *
suspect_get(struct registrar *r, struct hs_pe *pe)
{
	struct reg_suspect *s;
	const uint8_t *h;
	size_t hlen;

	h = hs_pool_handle(hs_pe_pool(pe), &hlen);
	if ((s = suspect_find(r, h, hlen, hs_pe_id(pe))) != NULL)
		return s;
	if (r->nsuspects >= SUSPECTS_MAX)
		suspect_free(r, TAILQ_FIRST(&r->suspects));
	if ((s = calloc(1, sizeof(*s) + hlen)) == NULL)
		fatal("%s", __func__);
	s->id = hs_pe_id(pe);
	s->hlen = (uint16_t)hlen;
	memcpy(s->handle, h, hlen);
	TAILQ_INSERT_TAIL(&r->suspects, s, entry);
	r->nsuspects++;
	return s;
}

static void
hide(struct registrar *r, struct hs_pe *pe)
{
	(void)r;
	hs_pe_set_hidden(pe, true);
}

/* The home's part: count, then remove or ask the PE at once. */
static void
report_at_home(struct registrar *r, struct reg_pe *rp,
    const struct sockaddr_storage *reporter, const char *from)
{
	struct hs_pe *pe = rp->pe;
	uint64_t now = now_ms(r);
	char n[160];
	int rc;

	if ((rc = report_note(r, &rp->rep, reporter, now)) < 0) {
		r->stats.unreachable_repeats++;
		log_rl_debug(&r->rl_peer, now, "%s: PE %s reported "
		    "unreachable again (counted once per %u ms)", from,
		    pe_name(pe, n, sizeof(n)), r->conf.unreachable_window);
		return;
	}
	/*
	 * RFC 5352 §3.5 with RFC 5355 §2.13: beyond MAX-BAD-PE-REPORT
	 * distinct reporters within unreachable-window (since it last
	 * answered a keep-alive) the PE goes.
	 */
	if ((rp->bad_reports = (uint32_t)rc) > r->conf.max_bad_pe_reports) {
		r->stats.unreachable_removals++;
		registrar_pe_remove(r, pe, "reported unreachable too often");
		return;
	}
	log_rl_info(&r->rl_peer, now, "%s: PE %s reported unreachable (%u "
	    "of %u)", from, pe_name(pe, n, sizeof(n)), rp->bad_reports,
	    r->conf.max_bad_pe_reports);
	/* Not handed out until it answers; asked now, its timeout removes
	 * it (and tells every peer). */
	hide(r, pe);
	if (!rp->verify) {
		rp->verify = true;
		r->nverify++;
	}
	if (registrar_pe_probe(rp) == 0)
		r->stats.report_probes++;
}

void
unreach_report(struct registrar *r, struct hs_pe *pe,
    const struct sockaddr_storage *reporter, const char *from, bool peer)
{
	struct reg_pe *rp = hs_pe_udata(pe);
	struct reg_suspect *s;
	uint64_t now = now_ms(r);
	char n[160];

	if (rp != NULL) {
		report_at_home(r, rp, reporter, from);
		return;
	}
	/* Passed on by a peer that takes us for its home: not (any more). */
	if (peer)
		return;
	/* Another registrar's PE: hide it here and tell its home. */
	s = suspect_get(r, pe);
	if (report_note(r, &s->rep, reporter, now) < 0) {
		r->stats.unreachable_repeats++;
		return;
	}
	s->hide_until = now + hold_ms(r);
	s->keep_until = now + r->conf.unreachable_window;
	hide(r, pe);
	if (enrp_pe_report(r, pe, reporter) == 0)
		r->stats.reports_forwarded++;
	log_rl_info(&r->rl_peer, now, "%s: PE %s of registrar 0x%08x "
	    "reported unreachable: not handed out here until its home "
	    "answers", from, pe_name(pe, n, sizeof(n)), hs_pe_home(pe));
}

bool
unreach_alive(struct registrar *r, struct reg_pe *rp)
{
	/* RFC 5355 §2.13: it answers, so the reports so far are void. */
	rp->rep.gen++;
	rp->bad_reports = 0;
	if (!rp->verify)
		return false;
	rp->verify = false;
	r->nverify--;
	r->stats.report_verified++;
	hs_pe_set_hidden(rp->pe, false);
	return true;
}

void
unreach_answered(struct registrar *r, struct reg_pe *rp)
{
	/* The peers that hid it hand it out again (unreach_cleared()). */
	if (unreach_alive(r, rp))
		enrp_pe_registered(r, rp->pe);
}

void
unreach_cleared(struct registrar *r, const uint8_t *handle, size_t hlen,
    uint32_t id)
{
	struct reg_suspect *s;

	if (r->nsuspects > 0 &&
	    (s = suspect_find(r, handle, hlen, id)) != NULL)
		suspect_free(r, s);
}

void
unreach_sweep(struct registrar *r, uint64_t now)
{
	struct reg_suspect *s, *next;
	struct hs_pe *pe;

	for (s = TAILQ_FIRST(&r->suspects); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->keep_until <= now) {
			suspect_free(r, s);
			continue;
		}
		/* No verdict from its home: shown again, reports kept. */
		if (s->hide_until != 0 && s->hide_until <= now) {
			s->hide_until = 0;
			pe = hs_lookup(r->hs, s->handle, s->hlen, s->id);
			if (pe != NULL && hs_pe_udata(pe) == NULL)
				hs_pe_set_hidden(pe, false);
		}
	}
}

uint32_t
unreach_extra(const struct registrar *r)
{
	uint32_t n = r->nsuspects + r->nverify;

	return n < EXTRA_MAX ? n : EXTRA_MAX;
}

void
unreach_free_pe(struct registrar *r, struct reg_pe *rp)
{
	if (rp->verify) {
		rp->verify = false;
		r->nverify--;
		hs_pe_set_hidden(rp->pe, false);
	}
	free(rp->rep.v);
	rp->rep.v = NULL;
}

void
unreach_shutdown(struct registrar *r)
{
	struct reg_suspect *s;

	while ((s = TAILQ_FIRST(&r->suspects)) != NULL) {
		TAILQ_REMOVE(&r->suspects, s, entry);
		free(s->rep.v);
		free(s);
	}
	r->nsuspects = 0;
}
