/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The FRR side of announcing a service address: vtysh run with an argv (no
 * shell) and a timeout, against one FRR instance (--vty_socket DIR for an
 * instance per network namespace), to apply configuration lines and to read
 * `show ... json` back.  On top of it, the statements healthd manages: the
 * BGP network statement of a service prefix with its route-map, the
 * route-map's communities (GRACEFUL_SHUTDOWN while draining, NO_EXPORT for
 * local-scope nodes), the OSPF redistribute route-map's metric, and
 * read-back of whether BGP / the RIB holds a prefix.  Calls block for at
 * most the timeout; a vtysh that hangs is killed.
 */
#ifndef ANYPOOL_ROUTING_FRR_H
#define ANYPOOL_ROUTING_FRR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink.h"

#define FRR_PATH_MAX	256
#define FRR_NAME_MAX	64

struct frr {
	char		 vtysh[FRR_PATH_MAX];		/* default "vtysh" */
	char		 vty_socket[FRR_PATH_MAX];	/* "" : FRR's default */
	unsigned int	 timeout_ms;			/* per vtysh run */
};

void	frr_init(struct frr *f);

/*
 * Run vtysh with "-c cmd" for each of the n commands.  0 if it exited 0;
 * -ETIMEDOUT (killed), -EIO (non-zero exit, or "%" error lines in the
 * output), or another -errno.  When ret_out is not NULL it receives the
 * output (stdout then stderr, NUL-terminated, caller frees) whenever vtysh
 * ran, also on -EIO, so the caller can say what FRR objected to.
 */
int	frr_vtysh(const struct frr *f, const char *const *cmds, size_t n,
	    char **ret_out);
/* "configure terminal" followed by the n lines. */
int	frr_config(const struct frr *f, const char *const *lines, size_t n,
	    char **ret_out);

/* BGP: "network P route-map RM" under asn's address family (again). */
int	frr_bgp_network(const struct frr *f, uint32_t asn,
	    const struct rt_prefix *p, const char *route_map, char **ret_out);
/*
 * The route-map "RM permit 10" of the network statement: communities
 * (NULL or "" for none; else e.g. "graceful-shutdown no-export").
 */
int	frr_route_map_community(const struct frr *f, const char *route_map,
	    const char *communities, char **ret_out);
/* OSPF: the metric the redistribute route-map sets. */
int	frr_route_map_metric(const struct frr *f, const char *route_map,
	    uint32_t metric, char **ret_out);

/* Read-back: does BGP's table hold p (locally originated or learnt)? */
int	frr_bgp_has(const struct frr *f, const struct rt_prefix *p,
	    bool *ret);
/* Read-back: does zebra's RIB hold p (any protocol)? */
int	frr_rib_has(const struct frr *f, const struct rt_prefix *p, bool *ret);

#endif
