/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Takeover (RFC 5353 §3.5): a peer declared dead is taken over after every
 * other active peer acknowledged INIT_TAKEOVER; two takers of one target
 * are arbitrated by the configured winner rule; TAKEOVER_SERVER rehomes
 * the target's PEs.  Then the home change (§3.5.2): an SCTP association
 * to each PE taken over, adopted by the ASAP side, carries its
 * ENDPOINT_KEEP_ALIVE with H=1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enrp_int.h"

static void
kaconn_free_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct enrp_kaconn *kc = arg;

	(void)loop;
	(void)revents;
	enrp_snap_free(kc->pes);
	free(kc->pes);
	free(kc);
}

/* Done with it; the fd is closed unless an association took it over. */
void
enrp_kaconn_end(struct enrp_kaconn *kc, bool close_fd)
{
	struct enrp *e = kc->e;

	ev_cancel(&kc->io);
	if (close_fd)
		close(kc->fd);
	kc->fd = -1;
	TAILQ_REMOVE(&e->kaconns, kc, entry);
	e->nkaconns--;
	if (ev_defer(e->r->loop, kaconn_free_cb, kc, NULL) != 0)
		fatal("%s: defer", __func__);
}

static void
kaconn_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct enrp_kaconn *kc = arg;
	struct enrp *e = kc->e;
	struct registrar *r = e->r;
	struct snap_ent *x;
	struct assoc *as;
	struct hs_pe *pe;
	socklen_t sl = sizeof(int);
	size_t i, n = 0;
	int err = 0;
	char a[64];

	(void)loop;
	(void)revents;
	addr_str(&kc->addr, a, sizeof(a));
	if (getsockopt(kc->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
		err = errno;
	if (err == 0 && r->nassocs >= r->conf.max_associations)
		err = EMFILE;
	if (err != 0) {
		e->stats.home_change_failures += kc->pes->n;
		log_rl_warnx(&e->rl, now_ms(e), "enrp: home change: cannot "
		    "reach %zu taken-over PE(s) at sctp %s: %s (they stay "
		    "until they re-register or their life ends)", kc->pes->n,
		    a, strerror(err));
		enrp_kaconn_end(kc, true);
		return;
	}
	ev_cancel(&kc->io);
	as = registrar_assoc_adopt(r, kc->fd, &kc->addr);
	for (i = 0; i < kc->pes->n; i++) {
		x = &kc->pes->ent[i];
		pe = hs_lookup(r->hs, kc->pes->h + x->hoff, x->hlen, x->id);
		if (pe == NULL || hs_pe_home(pe) != r->server_id ||
		    hs_pe_udata(pe) != NULL)
			continue;	/* gone, or registered somewhere since */
		registrar_pe_adopt(r, pe, as);
		n++;
	}
	e->stats.home_change_pes += n;
	log_info("enrp: home change: ENDPOINT_KEEP_ALIVE with H=1 to %zu "
	    "PE(s) at sctp %s", n, a);
	enrp_kaconn_end(kc, false);
}

/*
 * RFC 5353 §3.5.2: the new home sends each PE taken over an
 * ENDPOINT_KEEP_ALIVE with the home flag (RFC 5352 §3.5), so that it
 * adopts us.  Possible over SCTP only, to the ASAP transport address that
 * the PE registered from (a PE such as RSPLIB's accepts associations
 * there); over the TCP mapping a PE's port is ephemeral and nothing
 * listens on it: such a PE stays until its registration life ends or it
 * re-registers at any registrar, which then owns it (registrard.8, ENRP).
 * One association per PE address; `s` lists the PEs taken over.
 */
static void
home_change(struct enrp *e, const struct enrp_snap *s)
{
	struct registrar *r = e->r;
	struct enrp_kaconn *kc;
	struct sockaddr_storage ss;
	const struct snap_ent *x;
	struct hs_pe *pe;
	struct rsp_pe rp;
	char a[64];
	size_t i;
	int fd;

	for (i = 0; i < s->n; i++) {
		x = &s->ent[i];
		pe = hs_lookup(r->hs, s->h + x->hoff, x->hlen, x->id);
		if (pe == NULL || hs_pe_udata(pe) != NULL)
			continue;
		hs_pe_export(pe, &rp);
		if (!rp.has_asap || rp.asap.type != RSP_PARAM_SCTP_TRANSPORT ||
		    rp.asap.naddr == 0 || rp.asap.port == 0)
			continue;
		memset(&ss, 0, sizeof(ss));
		if (rp.asap.addr[0].family == AF_INET) {
			struct sockaddr_in *s4 = (void *)&ss;

			s4->sin_family = AF_INET;
			memcpy(&s4->sin_addr, rp.asap.addr[0].a, 4);
		} else {
			struct sockaddr_in6 *s6 = (void *)&ss;

			s6->sin6_family = AF_INET6;
			memcpy(&s6->sin6_addr, rp.asap.addr[0].a, 16);
		}
		addr_set_port(&ss, rp.asap.port);
		TAILQ_FOREACH(kc, &e->kaconns, entry)
			if (addr_same(&kc->addr, &ss))
				break;
		if (kc == NULL) {
			if (e->nkaconns >= ENRP_MAX_KACONNS) {
				e->stats.home_change_failures++;
				continue;
			}
			fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, IPPROTO_SCTP);
			if (fd < 0)
				return;
			enrp_sctp_tune(e, fd);	/* a lost INIT is resent within 1 s */
			if (connect(fd, (struct sockaddr *)&ss, ss.ss_family ==
			    AF_INET ? sizeof(struct sockaddr_in) :
			    sizeof(struct sockaddr_in6)) == -1 &&
			    errno != EINPROGRESS) {
				addr_str(&ss, a, sizeof(a));
				log_rl_warnx(&e->rl, now_ms(e), "enrp: home "
				    "change: sctp %s: %s", a, strerror(errno));
				e->stats.home_change_failures++;
				close(fd);
				continue;
			}
			if ((kc = calloc(1, sizeof(*kc))) == NULL ||
			    (kc->pes = calloc(1, sizeof(*kc->pes))) == NULL)
				fatal("%s", __func__);
			kc->e = e;
			kc->fd = fd;
			kc->addr = ss;
			kc->started = now_ms(e);
			if (ev_fd_add(r->loop, fd, EV_WRITE, kaconn_io, kc,
			    &kc->io) != 0)
				fatal("%s: ev_fd_add", __func__);
			TAILQ_INSERT_TAIL(&e->kaconns, kc, entry);
			e->nkaconns++;
			addr_str(&ss, a, sizeof(a));
			log_debug("enrp: home change: opening an association "
			    "to sctp %s", a);
		}
		enrp_snap_add(kc->pes, s->h + x->hoff, x->hlen, x->id, true);
	}
}

static void
takeover_complete(struct enrp *e, struct enrp_peer *t)
{
	struct enrp_snap s;
	struct wbuf w;
	uint32_t target = t->id;
	size_t n;

	/* RFC 5353 §3.5.2: announce, then claim the target's PEs. */
	enrp_build_target(e, &w, ENRP_TAKEOVER_SERVER, 0, target);
	enrp_announce(e, &w, target);
	enrp_snap_take(e->r->hs, target, &s);
	n = hs_rehome(e->r->hs, target, e->r->server_id);
	e->stats.takeovers++;
	e->stats.pes_taken_over += n;
	log_info("enrp: took over %zu PEs of dead peer %s", n, t->name);
	/*
	 * A secured registrar opens no plaintext association (RFC 5355
	 * §2.15), and TLS over SCTP is not available (doc/protocol/
	 * security.md): its PEs re-register, as over the TCP mapping.
	 */
	if (e->r->sctp_ok && !e->r->conf.secured)
		home_change(e, &s);
	else if (e->r->conf.secured && n > 0)
		log_info("enrp: secured: no plaintext home change; the PEs "
		    "taken over keep their entries until they re-register");
	enrp_snap_free(&s);
	enrp_peer_remove(t);
}

/* The peer machine said ENRP_FSM_DEAD (enrp_fsm.c): take it over. */
void
enrp_peer_dead(struct enrp *e, struct enrp_peer *p)
{
	struct enrp_fsm_view v[ENRP_MAX_PEERS];
	size_t n, owned = hs_owner_count(e->r->hs, p->id);
	struct wbuf w;
	unsigned int act;

	e->stats.peers_dead++;
	if (p->out != NULL)
		enrp_conn_close(p->out, "peer dead");
	n = enrp_peer_views(e, v, ENRP_MAX_PEERS);
	act = enrp_fsm_takeover_start(&p->fsm, p->id, owned, v, n, now_ms(e));
	if (act & ENRP_FSM_REMOVE) {
		log_info("enrp: peer %s is dead (it owned no PEs)", p->name);
		enrp_peer_remove(p);
		return;
	}
	log_info("enrp: peer %s is dead: taking over its %zu PEs (%u ACKs "
	    "needed)", p->name, owned, p->fsm.to_nneed);
	enrp_build_target(e, &w, ENRP_INIT_TAKEOVER, 0, p->id);
	enrp_announce(e, &w, 0);	/* the target included */
	if (act & ENRP_FSM_TAKEOVER_DONE)
		takeover_complete(e, p);
}

void
enrp_on_init_takeover(struct enrp *e, struct enrp_peer *p,
    const struct rsp_msg *m)
{
	struct enrp_fsm_params prm = fsm_params(e);
	struct enrp_peer *t = enrp_peer_find(e, m->target_id);
	struct wbuf w;
	unsigned int act;

	act = enrp_fsm_init_takeover(t != NULL ? &t->fsm : NULL, &prm, p->id,
	    m->target_id, now_ms(e));
	if (act & ENRP_FSM_ALIVE)
		enrp_send_presence(e, NULL, false, 0);
	if (act & ENRP_FSM_LOST) {
		log_info("enrp: takeover of %s: %s wins", t->name, p->name);
		e->stats.takeovers_lost++;
	}
	if (act & ENRP_FSM_ACK) {
		enrp_build_target(e, &w, ENRP_INIT_TAKEOVER_ACK, p->id,
		    m->target_id);
		enrp_peer_send(e, p, &w);
	}
}

void
enrp_on_init_takeover_ack(struct enrp *e, struct enrp_peer *p,
    const struct rsp_msg *m)
{
	struct enrp_peer *t = enrp_peer_find(e, m->target_id);

	if (t != NULL &&
	    (enrp_fsm_takeover_ack(&t->fsm, p->id) & ENRP_FSM_TAKEOVER_DONE))
		takeover_complete(e, t);
}

void
enrp_on_takeover_server(struct enrp *e, struct enrp_peer *p,
    const struct rsp_msg *m)
{
	struct enrp_fsm_params prm;
	struct enrp_peer *t;
	char why[96];
	size_t n;

	if (m->target_id == e->r->server_id) {
		/* A false alarm (a partition): the audit restores our PEs. */
		log_rl_warnx(&e->rl, now_ms(e), "enrp: %s took over our PEs "
		    "although we are alive", p->name);
		return;
	}
	/*
	 * Issue 12: the sender is the server that ran the takeover (its id
	 * speaks only from its address, enrp_admit_sender()); a target we
	 * still hear keeps its PEs.
	 */
	t = enrp_peer_find(e, m->target_id);
	prm = fsm_params(e);
	if (!enrp_fsm_takeover_server(t != NULL ? &t->fsm : NULL, &prm,
	    now_ms(e))) {
		snprintf(why, sizeof(why), "it claims the PEs of 0x%08x, a "
		    "live peer", m->target_id);
		enrp_refuse(e, ENRP_REFUSED_LIVE_TAKEOVER, &p->addr,
		    rsp_msg_name(RSP_PROTO_ENRP, m->type), why);
		return;
	}
	/* RFC 5353 §3.5.2: the target's PEs now belong to the sender. */
	n = hs_rehome(e->r->hs, m->target_id, p->id);
	log_info("enrp: %s took over %zu PEs of 0x%08x", p->name, n,
	    m->target_id);
	if (t != NULL)
		enrp_peer_remove(t);
}

/* An SCTP INIT to a vanished PE retries for long: give up sooner. */
void
enrp_kaconns_expire(struct enrp *e, uint64_t now)
{
	struct enrp_kaconn *kc;
	char a[64];

	while ((kc = TAILQ_FIRST(&e->kaconns)) != NULL &&
	    now > kc->started + KACONN_TIMEOUT) {
		e->stats.home_change_failures += kc->pes->n;
		addr_str(&kc->addr, a, sizeof(a));
		log_rl_warnx(&e->rl, now, "enrp: home change: no association "
		    "to %zu taken-over PE(s) at sctp %s in time", kc->pes->n, a);
		enrp_kaconn_end(kc, true);
	}
}
