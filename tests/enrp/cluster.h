/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Three registrards that form one ENRP cluster, for the ENRP tests: ENRP on
 * port 9901 of 127.0.0.1, .2 and .3 (every loopback /8 address is local),
 * ASAP on a free port of 127.0.0.1 each; and what their control sockets say.
 */
#ifndef ANYPOOL_TEST_CLUSTER_H
#define ANYPOOL_TEST_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

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

#endif
