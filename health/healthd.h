/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What healthd's files share, and nothing else's business: a service (its
 * configuration, state machine, checks and routing state), the daemon's one
 * global state `hd`, and each file's entry points.  healthd.c runs the
 * daemon and each service's life cycle (checks in, state machine, actions
 * out); route.c carries out the routing actions (the address through
 * netlink, FRR through vtysh); control.c answers the control socket;
 * metrics.c renders the Prometheus exporter; reload.c applies a new
 * configuration on SIGHUP.
 */
#ifndef ANYPOOL_HEALTHD_H
#define ANYPOOL_HEALTHD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctlsock.h"
#include "event.h"
#include "log.h"
#include "health/check.h"
#include "health/hconf.h"
#include "health/state.h"
#include "routing/frr.h"
#include "routing/netlink.h"

struct svc {
	struct hc_service	 c;
	struct hsm_sm		 sm;
	unsigned int		 ifindex;
	struct hk_ctl		*ctl;
	struct hk_probe		*probe;
	struct ev_ref		 round, refresh, smtimer, confirm;
	bool			 probe_ok;
	uint64_t		 probe_rtt;
	const char		*probe_why;
	uint64_t		 probes_ok, probes_failed;
	bool			 drain_attrs;	/* FRR has the drain attrs */
	bool			 ctl_drain, file_drain;
	uint64_t		 fail_since;	/* first failure of a streak */
	uint64_t		 withdrawn_at;	/* address removed */
	int64_t			 last_ttw_ms;	/* failure -> address off */
	int64_t			 last_frr_ms;	/* address off -> FRR off */
	uint64_t		 frr_errors;
	struct log_ratelimit	 rl;
	struct frr_q		*fq;		/* this service's vtysh runs */
	unsigned int		 attrs_inflight;	/* attribute runs out */
	bool			 announce_pending;	/* until they are in */
	size_t			 confirm_runs, confirm_next;
	bool			 confirm_any, confirm_failed;
};

struct healthd {
	struct ev_loop		*loop;
	struct health_config	 conf;
	struct nl		*nl;
	struct frr		 frr;
	struct svc		*svc[HC_MAX_SERVICES];
	size_t			 nsvc;
	uint64_t		 started;
	struct ev_ref		 sig_term, sig_int, sig_hup;
	const char		*file;
	uint64_t		 reloads, reload_failures;
	uint64_t		 last_reload;	/* ev_now() of the last one */
};

extern struct healthd	 hd;

/* healthd.c: a service's life cycle. */
int	 svc_start(struct svc *s, const struct hc_service *c);
/* A changed configuration, same prefixes and interface.  0 or -errno. */
int	 svc_update(struct svc *s, const struct hc_service *c);
void	 svc_stop(struct svc *s);
/* Feed the state machine one event and carry out its actions. */
void	 svc_step(struct svc *s, enum hsm_event ev);

/* route.c: the routing actions of a service. */
void	 route_attrs(struct svc *s, bool drain);
void	 route_networks(struct svc *s);
void	 route_scope(struct svc *s);
/* Put the addresses (back) on with a fresh lifetime, and keep doing so. */
void	 route_refresh(struct svc *s);
void	 route_withdraw(struct svc *s, const char *why);
void	 route_announce(struct svc *s);

/*
 * control.c: serve the control socket on path: open it the first time,
 * move it there later (on failure the old one stays).  0 or -errno, logged.
 */
int	 control_set(const char *path);
void	 control_close(void);

/* metrics.c: the Prometheus exporter, when the configuration has one. */
int	 metrics_start(void);
void	 metrics_stop(void);
/* Restart it if nc changes its address or switches it on or off. */
void	 metrics_reconfigure(const struct health_config *nc);

/* reload.c: reread hd.file; applied only if all of it is good. */
void	 reload_config(void);

#endif /* ANYPOOL_HEALTHD_H */
