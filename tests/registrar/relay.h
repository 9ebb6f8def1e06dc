/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A "router" for loopback tests of anycast: a TCP relay thread on a port
 * of 127.0.0.1 that sends each new connection to the registrar the
 * "route" points at (a port of 127.0.0.1).  Moving the route either leaves
 * the relayed connections where they were (a hung PoP keeps them, silent)
 * or resets them: what a new node does with packets of connections it
 * does not know.  Loopback without network namespaces cannot do better:
 * two registrards cannot share a listening address.  Used by
 * test_pu_failover and test_unicast.
 */
#ifndef ANYPOOL_TEST_RELAY_H
#define ANYPOOL_TEST_RELAY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define RELAY_MAX	128

struct relay {
	pthread_t	 thr;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* signalled when a route is applied */
	unsigned int	 gen, applied;	/* route changes asked / applied */
	int		 lfd;
	uint16_t	 port;		/* the "anycast" port on 127.0.0.1 */
	uint16_t	 backend;	/* where new connections go */
	bool		 reset_all;	/* RST every relayed connection */
	bool		 stop;
	int		 cfd[RELAY_MAX], bfd[RELAY_MAX];	/* -1: free */
};

/* Listen on a free port of 127.0.0.1 and relay to backend; 0 or -1. */
int	relay_start(struct relay *r, uint16_t backend);
/*
 * Move the route: new connections go to port; reset: RST the old ones.
 * Returns once the relay thread applied it, so a connection made after the
 * call never goes to the old port (the thread read the port before its
 * poll once: a client quick enough was sent to the dead registrar).
 */
void	relay_route(struct relay *r, uint16_t port, bool reset);
void	relay_stop(struct relay *r);

#endif
