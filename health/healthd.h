/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What healthd's files share, and nothing else's business: a service (its
 * configuration, state machine, checks and routing state), the daemon's one
 * global state `hd`, and each file's entry points.  healthd.c runs the
 * daemon and each service's life cycle (checks in, state machine, actions
 * out); route.c carries out the routing actions (the address through
 * netlink, FRR through vtysh); control.c answers the control socket;
 * metrics.c renders the Prometheus exporter; reload.c applies a new
 * configuration on SIGHUP; hooks.c runs the operator's command checks and
 * state-change command (through exec.c); cover.c announces the covering
 * prefixes while a service inside is up.
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
#include "health/exec.h"
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
	/* command checks and the state-change command (hooks.c) */
	struct svc_xcheck {
		struct svc		*s;
		size_t			 i;
		struct hx_run		*run;
		struct ev_ref		 timer;
		bool			 ok, ran;
		char			 why[256];
		uint64_t		 runs, failures, last_ms;
		struct log_ratelimit	 rl;
	}			 xc[HC_EXEC_MAX];
	uint64_t		 notify_runs, notify_failures;
	bool			 bgp_attrs_managed;	/* FRR has had them */
};

/* H-hcover: a covering prefix at run time (cover.c). */
enum cover_state {
	COVER_WITHDRAWN = 0,
	COVER_ANNOUNCED,	/* a service of it is announced */
	COVER_DRAINING,		/* its services that are up all drain */
};

struct cover {
	struct hc_cover		 c;
	enum cover_state	 state;
	uint64_t		 since, changes;
	bool			 routed;	/* the blackhole route is in */
	bool			 drain_attrs;	/* FRR has GRACEFUL_SHUTDOWN */
	unsigned int		 inflight;	/* its vtysh runs out */
	uint64_t		 frr_errors;
	struct frr_q		*fq;
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
	struct cover		*cover[HC_MAX_COVERS];	/* H-hcover */
	size_t			 ncover;
};

extern struct healthd	 hd;

/* healthd.c: a service's life cycle. */
int	 svc_start(struct svc *s, const struct hc_service *c);
/* A changed configuration, same prefixes and interface.  0 or -errno. */
int	 svc_update(struct svc *s, const struct hc_service *c);
void	 svc_stop(struct svc *s);
/* The running service of that name, or NULL. */
struct svc *svc_find(const char *name);
/* Feed the state machine one event and carry out its actions. */
void	 svc_step(struct svc *s, enum hsm_event ev);

/*
 * hooks.c: the operator's commands.  Command checks run on their own
 * interval; the last result of each counts in every round.  The
 * state-change command is queued on every state change and runs off the
 * loop, never holding up the route change; runs of one service stay in
 * order.
 */
void	 xcheck_start(struct svc *s);
void	 xcheck_stop(struct svc *s);
/* After svc_update(): restart the command checks that changed. */
void	 xcheck_update(struct svc *s, const struct hc_service *old);
bool	 xcheck_ok(const struct svc *s);
void	 notify_change(struct svc *s, enum hsm_state from, enum hsm_state to,
	    const char *why);
size_t	 notify_pending(void);
/* At exit: let queued runs finish for up to max_ms, then kill the rest. */
void	 notify_finish(uint64_t max_ms);

/*
 * cover.c: the covering prefixes.  cover_sync() after every state change
 * of a service; cover_reload() after the services on SIGHUP.
 */
void	 cover_start_all(void);
void	 cover_stop_all(void);
void	 cover_sync(void);
void	 cover_reload(const struct health_config *nc);
const char *cover_state_name(enum cover_state st);

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
