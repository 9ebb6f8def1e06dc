/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Read-only accessors of ENRP's state for the control socket and the
 * metrics exporter (declared in enrp.h).  Kept apart from the protocol
 * code so that libcontrol.a, and tests/unit/test_control with it, link
 * without the rest of ENRP.
 */
#include "enrp_int.h"

bool
enrp_synchronized(const struct enrp *e)
{
	return e == NULL || e->sync.synchronized;
}

uint32_t
enrp_mentor(const struct enrp *e)
{
	return e != NULL ? e->sync.mentor : 0;
}

uint32_t
enrp_peer_count(const struct enrp *e)
{
	const struct enrp_peer *p;
	uint32_t n = 0;

	if (e == NULL)
		return 0;
	TAILQ_FOREACH(p, &e->peers, entry)
		if (p->id != 0)
			n++;
	return n;
}

bool
enrp_peer_next(const struct enrp *e, const void **cursor,
    struct enrp_peer_view *ret)
{
	const struct enrp_peer *p;

	if (e == NULL)
		return false;
	p = *cursor == NULL ? TAILQ_FIRST(&e->peers) :
	    TAILQ_NEXT((const struct enrp_peer *)*cursor, entry);
	if (p == NULL)
		return false;
	ret->id = p->id;
	ret->addr = p->addr;
	ret->state = p->fsm.state;
	ret->configured = p->configured;
	ret->connected = p->out != NULL && p->out->connected;
	ret->tls = ret->connected && cn_tls_up(&p->out->cn);
	ret->last_heard = p->fsm.last_heard;
	ret->has_checksum = p->has_checksum;
	ret->checksum = p->checksum;
	ret->rx_msgs = p->rx_msgs;
	*cursor = p;
	return true;
}

const struct enrp_stats *
enrp_get_stats(const struct enrp *e)
{
	return e != NULL ? &e->stats : NULL;
}

bool
enrp_sync_time(const struct enrp *e, uint64_t *ret_ms)
{
	if (e == NULL || !e->sync.synchronized)
		return false;
	*ret_ms = e->synced_at - e->started;
	return true;
}
