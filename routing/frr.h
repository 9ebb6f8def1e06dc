/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The FRR side of announcing a service address: vtysh run with an argv (no
 * shell) and a timeout, against one FRR instance (--vty_socket DIR for an
 * instance per network namespace), to apply configuration lines and to read
 * `show ... json` back.  On top of it, the statements healthd manages: the
 * BGP network statement of a service prefix with its route-map, the
 * route-map's attributes (GRACEFUL_SHUTDOWN while draining, and the MED,
 * AS-path prepend and extra communities an operator sets per state), the
 * prefix-lists that make the outbound neighbor route-map add NO_EXPORT for
 * local-scope nodes, the OSPF redistribute route-map's metric or (stub
 * mode) the OSPF cost of the address on its interface, and read-back of whether BGP / the RIB holds a prefix.  A struct frr_q runs
 * vtysh from an event loop (lib/event.h) without blocking it: a FIFO of
 * runs, one child at a time, its pipes watched by the loop, the result
 * handed to a callback.  A vtysh that overruns the timeout is killed by
 * PID.
 */
#ifndef ANYPOOL_ROUTING_FRR_H
#define ANYPOOL_ROUTING_FRR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "netlink.h"

#define FRR_PATH_MAX	256
#define FRR_NAME_MAX	64

struct frr {
	char		 vtysh[FRR_PATH_MAX];		/* default "vtysh" */
	char		 vty_socket[FRR_PATH_MAX];	/* "" : FRR's default */
	unsigned int	 timeout_ms;			/* per vtysh run */
};

void	frr_init(struct frr *f);

/* Parse the output of "show bgp ... P json" / "show ip[v6] route P json". */
int	frr_bgp_has_parse(const char *out, bool *ret);
int	frr_rib_has_parse(const char *out, const struct rt_prefix *p,
	    bool *ret);

/* Running vtysh ----------------------------------------------------------- */

#define FRR_Q_MAX	64	/* runs queued per frr_q */

struct frr_q;

/*
 * The result of one run: 0 if vtysh exited 0; -ETIMEDOUT (killed), -EIO
 * (non-zero exit, or "%" error lines in the output), -ENOENT (no vtysh),
 * or another -errno.  out: its stdout then stderr (never NULL; valid only
 * during the call).
 */
typedef void (*frr_q_cb)(void *arg, int rc, const char *out);

/* A queue against f (copied: later changes to *f need frr_q_set()). */
int	frr_q_new(struct ev_loop *loop, const struct frr *f,
	    struct frr_q **ret);
void	frr_q_set(struct frr_q *q, const struct frr *f);
/* Kill a running child (SIGKILL, reaped) and drop the queue, no callbacks. */
void	frr_q_free(struct frr_q *q);		/* NULL-safe */
/*
 * Queue vtysh with "-c cmd" for each of the n commands (copied); cb (may be
 * NULL) runs from the loop once it has finished, in the order queued.
 * 0, -ENOBUFS when FRR_Q_MAX runs wait already, -E2BIG, -ENOMEM.
 */
int	frr_q_vtysh(struct frr_q *q, const char *const *cmds, size_t n,
	    frr_q_cb cb, void *arg);
/* Runs queued or running. */
size_t	frr_q_pending(const struct frr_q *q);

/*
 * The statements healthd manages, queued as configuration runs; -EINVAL for
 * a route-map or prefix-list name other than letters, digits, '-', '_', '.'.
 */
int	frr_q_bgp_network(struct frr_q *q, uint32_t asn,
	    const struct rt_prefix *p, const char *route_map, frr_q_cb cb,
	    void *arg);
int	frr_q_route_map_community(struct frr_q *q, const char *route_map,
	    const char *communities, frr_q_cb cb, void *arg);
/*
 * BGP attributes of one state, written into the route-map entry besides
 * GRACEFUL_SHUTDOWN: MED, AS-path prepend (the own ASN, prepend times) and
 * extra standard ("AA:NN") and large ("A:B:C") communities, each list
 * space-separated ("" for none).
 */
#define FRR_COMM_MAX	200
#define FRR_PREPEND_MAX	10

struct frr_bgp_attrs {
	bool		 med_set;
	uint32_t	 med;
	uint32_t	 prepend;
	char		 communities[FRR_COMM_MAX];
	char		 large[FRR_COMM_MAX];
};

/*
 * The whole route-map entry: GRACEFUL_SHUTDOWN if gshut, the communities,
 * large communities, MED and prepend of a (NULL: none), each "no set"
 * first so what an earlier state set is gone.  -EINVAL for a bad name, a
 * prepend above FRR_PREPEND_MAX or a community list with anything but
 * digits, ':' and spaces.
 */
int	frr_q_route_map_bgp(struct frr_q *q, const char *route_map,
	    uint32_t asn, const struct frr_bgp_attrs *a, bool gshut,
	    frr_q_cb cb, void *arg);
/* The lines frr_q_route_map_bgp() sends after "configure terminal". */
int	frr_route_map_bgp_lines(const char *route_map, uint32_t asn,
	    const struct frr_bgp_attrs *a, bool gshut, char lines[][256],
	    size_t max, size_t *ret_n);
int	frr_q_route_map_metric(struct frr_q *q, const char *route_map,
	    uint32_t metric, frr_q_cb cb, void *arg);
/*
 * OSPF stub mode: the cost of a service address that ospfd announces as an
 * intra-area stub link of the router LSA (the address on an interface
 * ospfd runs in the area, "ip ospf area A ADDR"): "interface IF", then
 * "ip ospf cost N ADDR" (FRR 8.4 puts the address's cost into the stub
 * link's metric).  OSPFv2: -EINVAL for an IPv6 prefix, a cost outside
 * 1..65535 or an interface name with anything but letters, digits, '-',
 * '_', '.'.
 */
int	frr_ospf_cost_lines(const char *ifname, const struct rt_prefix *p,
	    uint32_t cost, char lines[][256], size_t max, size_t *ret_n);
int	frr_q_ospf_cost(struct frr_q *q, const char *ifname,
	    const struct rt_prefix *p, uint32_t cost, frr_q_cb cb, void *arg);
/*
 * Prefix-list entry; removing one that is not there ("Can't find", or a
 * silent exit 1 when the list is missing) is success.
 */
int	frr_q_prefix_list(struct frr_q *q, const char *name,
	    const char *name6, const struct rt_prefix *p, bool present,
	    frr_q_cb cb, void *arg);
/* "show bgp ... P json" or "show ip[v6] route P json". */
int	frr_q_show_prefix(struct frr_q *q, bool bgp, const struct rt_prefix *p,
	    frr_q_cb cb, void *arg);

#endif
