/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Three registrards that form one ENRP cluster, for the ENRP tests: ENRP on
 * port 9901 of 127.0.0.1, .2 and .3 (every loopback /8 address is local),
 * ASAP on a free port of 127.0.0.1 each; and what their control sockets say.
 * Also what the ENRP tests and the attacker's (tests/security/test_attack)
 * share to speak to them by hand: TCP from a chosen loopback address, the
 * header of an ENRP message, and their "ok"/"FAIL" lines.
 */
#ifndef ANYPOOL_TEST_CLUSTER_H
#define ANYPOOL_TEST_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "harness.h"

#define NREG	3

extern struct daemon	 reg[NREG];
/* ENRP addresses; a test running beside others picks its own set. */
extern const char	*addr[NREG];

/* Start all three; extra_timers are lines for the enrp { } block. */
int	 start_all(const char *extra_timers);
/* The JSON answer of registrar i's control socket to cmd, or NULL. */
json_t	*query(int i, const char *cmd);
uint32_t hex32(json_t *v);
uint32_t server_id(int i);
bool	 synchronized(int i);
/* wait_until() conditions */
bool	 all_synchronized(void *arg);
bool	 checksums_equal(void *arg);
uint64_t summary_int(int i, const char *key);
/* A counter of registrar i's "show stats", or 0. */
uint64_t stat_int(int i, const char *key);
/* A counter of registrar i's "show peers" (the ENRP ones), or 0. */
uint64_t peers_stat(int i, const char *key);
/* The home registrar i records for PE id, or 0. */
uint32_t home_of(int i, uint32_t id);
/* SIGKILL every registrar still running (an atexit() handler). */
void	 kill_all(void);

/* A TCP connection from src (NULL: any) to dst:port, TCP_NODELAY; or -1. */
int	 tcp_connect_from(const char *src, const char *dst, uint16_t port);
/* Has the other side closed (or reset) fd?  Reads and drops what came. */
bool	 peer_closed(int fd);
/* An ENRP message of type from sender into buf; the rsp_put_msg_end() mark. */
size_t	 enrp_msg_begin(struct wbuf *w, uint8_t *buf, size_t cap,
	    uint8_t type, uint8_t flags, uint32_t sender);

/* "ok   WHAT" or "FAIL WHAT", counted in the test's own `failures`. */
#define CHECK(cond, ...) do {						\
	if (cond) {							\
		printf("ok   ");					\
	} else {							\
		printf("FAIL ");					\
		failures++;						\
	}								\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	fflush(stdout);							\
} while (0)

#endif
