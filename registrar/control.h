/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * registrard's operator interfaces: the control socket that anypoolctl talks
 * to (show pools, PEs, associations, stats as text or JSON) and the
 * Prometheus metrics exporter over HTTP.  Both run in the daemon's event loop.
 */
#ifndef ANYPOOL_CONTROL_H
#define ANYPOOL_CONTROL_H

struct registrar;

/* Open the control socket (and the metrics listener if configured). 0/-errno. */
int	control_start(struct registrar *r);
/* Close them (unlinks the socket). */
void	control_stop(struct registrar *r);
/* After SIGHUP: reopen what moved (socket path, metrics address). */
void	control_reconfigure(struct registrar *r);

#endif
