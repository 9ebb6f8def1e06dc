/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test harness for registrard end-to-end tests: start the real daemon on a
 * free loopback port with a generated configuration, talk raw ASAP to it
 * over the TCP mapping (or, with ANYPOOL_TEST_TRANSPORT=sctp, over SCTP
 * one-to-one sockets with PPID 11), wait for conditions with deadlines
 * (never sleep for a fixed time), stop it by PID.
 */
#ifndef ANYPOOL_TEST_HARNESS_H
#define ANYPOOL_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "codec.h"

struct daemon {
	pid_t		 pid;
	uint16_t	 port;
	char		 dir[256];	/* temp dir: config, socket, log */
	char		 conf[300];
	char		 sock[300];
	char		 log[300];
};

/* Start registrard (path from $REGISTRARD or the build tree) with extra
 * configuration lines; waits until it accepts connections. */
int	daemon_start(struct daemon *d, const char *extra_conf);
/* Restart on the same port and directory. */
int	daemon_restart(struct daemon *d);
/* SIGTERM (or SIGKILL) and reap; returns the wait status. */
int	daemon_stop(struct daemon *d, int sig);
/* After a SIGTERM stop: exited 0 and its log has no sanitizer report. */
bool	daemon_clean(const struct daemon *d, int status);
/* Does the daemon's log have a line with a (and b, unless NULL)? */
bool	daemon_log_has(const struct daemon *d, const char *a, const char *b);
/* Is the process still alive? */
bool	daemon_alive(struct daemon *d);
/* For a failure's record: what the control command answers now, and the
 * last lines of the daemon's log, to stderr (the test's log). */
void	daemon_explain(const struct daemon *d, const char *cmd);

/*
 * ANYPOOL_TEST_TRANSPORT=sctp: the daemon and every client use SCTP, and
 * every timeout of this harness (client_recv, client_expect, wait_until,
 * the start-up wait) is three times longer: that variant runs in a VM with
 * an emulated CPU.
 */
bool	harness_sctp(void);

struct client {
	int		 fd;
	bool		 sctp;		/* one ASAP message per SCTP message */
	uint32_t	 ppid;		/* of the SCTP message being read */
	uint8_t		 in[70000];
	size_t		 inlen;
	uint8_t		 msg[70000];	/* last message received */
	size_t		 msglen;
};

int	client_connect(struct client *c, uint16_t port);
/* The same from a given local address (e.g. 127.0.0.2: another host). */
int	client_connect_from(struct client *c, uint16_t port, const char *src);
/* ... with a receive buffer of rcvbuf bytes (> 0: set, not autotuned). */
int	client_connect_buf(struct client *c, uint16_t port, const char *src,
	    int rcvbuf);
void	client_close(struct client *c);
int	client_send(struct client *c, const void *p, size_t len);
/*
 * Receive the next message (decoded into *m) within timeout_ms; keep-alives
 * are answered automatically unless raw is set (then returned like any
 * other).  Returns 1, 0 on timeout, -1 if the connection closed.
 */
int	client_recv(struct client *c, struct rsp_msg *m, int timeout_ms,
	    bool raw);
/* Receive until a message of type `type` arrives (others are skipped). */
int	client_expect(struct client *c, uint8_t type, struct rsp_msg *m,
	    int timeout_ms);

/* Message builders (into buf, returns the length). */
size_t	build_registration(uint8_t *buf, size_t cap, const char *pool,
	    uint32_t id, uint32_t policy, uint32_t v0, uint32_t v1,
	    uint16_t port, int32_t life_ms);
size_t	build_deregistration(uint8_t *buf, size_t cap, const char *pool,
	    uint32_t id);
size_t	build_resolution(uint8_t *buf, size_t cap, const char *pool,
	    uint32_t items);
size_t	build_unreachable(uint8_t *buf, size_t cap, const char *pool,
	    uint32_t id);
size_t	build_ka_ack(uint8_t *buf, size_t cap, const char *pool, uint32_t id);

/*
 * Register/resolve in one call on client c: the registration response's
 * reject flag (0 accepted, 1 rejected, -1 no answer) and first cause.
 */
int	do_register(struct client *c, const char *pool, uint32_t id,
	    uint32_t policy, uint32_t v0, uint32_t v1, int32_t life_ms,
	    uint16_t *ret_cause);
/* Resolve: fills ids[] (up to max) in answer order; returns the count, or
 * -1 on no answer, -2 on an error answer (cause in *ret_cause). */
int	do_resolve(struct client *c, const char *pool, uint32_t items,
	    uint32_t *ids, size_t max, uint16_t *ret_cause);

/* A TCP port of 127.0.0.1 that nothing listens on now (0: none found). */
uint16_t harness_free_port(void);

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t mono_ms(void);

/* Poll cond(arg) every few ms until true or deadline; returns it. */
bool	wait_until(bool (*cond)(void *), void *arg, int timeout_ms);

/* A line of anypoolctl-like control output: send cmd, get the JSON text. */
int	control_query(const struct daemon *d, const char *cmd, char *out,
	    size_t cap);
/* The counter name of "show stats", or -1 if the daemon has none. */
int64_t	control_stat(const struct daemon *d, const char *name);

#endif
