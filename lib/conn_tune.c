/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Socket options of an ASAP/ENRP connection (see conn.h): kept apart from
 * conn.c so that libasap shares them without the framing code and libsctp.
 */
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"

static void
opt_int(int fd, int level, int name, uint32_t v)
{
	int i = (int)v;

	if (v != 0)
		(void)setsockopt(fd, level, name, &i, sizeof(i));
}

/*
 * The notifications every SCTP socket of ours asks for: the PPID of each
 * message (data_io), and the end of the association (association and
 * shutdown events).  A listener must ask too, for the associations waiting
 * on it inherit its choice: one whose peer closes it while accept() takes
 * it over is handed on with nothing to read and no end of file, and only
 * these notifications say it is gone (doc/ARCHITECTURE.md, "SCTP").
 */
int
cn_sctp_events(int fd)
{
	struct sctp_event_subscribe ev;

	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	ev.sctp_association_event = 1;
	ev.sctp_shutdown_event = 1;
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)) == -1)
		return -errno;
	return 0;
}

int
cn_tune_fd(int fd, enum cn_transport tr, const struct cn_tune *t)
{
	struct sctp_paddrparams pp;
	struct sctp_rtoinfo rto;
	unsigned int uto;
	socklen_t sl;
	int on = 1;

	opt_int(fd, SOL_SOCKET, SO_SNDBUF, t->sndbuf);	/* 0: autotuned */
	if (tr == CN_TCP) {
		if (t->tcp_nodelay)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
			    sizeof(on));
		if (t->keepalive) {
			(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on,
			    sizeof(on));
			opt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE,
			    t->keepalive_idle);
			opt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL,
			    t->keepalive_intvl);
			opt_int(fd, IPPROTO_TCP, TCP_KEEPCNT, t->keepalive_cnt);
		}
		if (t->user_timeout != 0) {
			uto = t->user_timeout;
			(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT,
			    &uto, sizeof(uto));
		}
		return 0;
	}
	if (t->sctp_nodelay)
		(void)setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &on,
		    sizeof(on));
	if (t->rto_initial != 0 || t->rto_min != 0 || t->rto_max != 0) {
		memset(&rto, 0, sizeof(rto));
		sl = sizeof(rto);
		if (getsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &rto, &sl) == 0) {
			if (t->rto_initial != 0)
				rto.srto_initial = t->rto_initial;
			if (t->rto_min != 0)
				rto.srto_min = t->rto_min;
			if (t->rto_max != 0)
				rto.srto_max = t->rto_max;
			(void)setsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &rto,
			    sizeof(rto));
		}
	}
	if (t->hb_interval != 0) {
		memset(&pp, 0, sizeof(pp));
		pp.spp_hbinterval = t->hb_interval;
		pp.spp_flags = SPP_HB_ENABLE;
		(void)setsockopt(fd, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp,
		    sizeof(pp));
	}
	return cn_sctp_events(fd);
}
