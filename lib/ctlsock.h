/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control-socket server every anypool daemon runs so that anypoolctl
 * can drive it: a Unix stream socket in the event loop, one request per
 * line, one reply per request (the daemon's command callback makes the
 * text, this module adds the newline).  It owns the socket file (a stale
 * one left by a dead daemon is replaced, a live daemon's is never touched),
 * the limits (clients, request length, idle time, queued reply bytes) and
 * the replies that are the same for every daemon ("too many clients", a
 * request too long or with a NUL byte).  Nothing blocks: replies are queued
 * and written when the socket takes them, so a client that never reads
 * costs memory up to the limit, never time.  Library code: no logging
 * above debug, no exit.
 */
#ifndef ANYPOOL_CTLSOCK_H
#define ANYPOOL_CTLSOCK_H

#include <stddef.h>

#include "event.h"

/* The limits, the same for every daemon. */
#define CTLSOCK_MAX_CLIENTS	16	/* more: "too many clients" */
#define CTLSOCK_LINE_MAX	1024	/* request line, without the newline */
#define CTLSOCK_IDLE_MS		10000	/* no progress in either direction */
/*
 * A client's further requests are read only while less than this many
 * reply bytes wait for it, so one client holds at most this plus one reply.
 */
#define CTLSOCK_OUT_MAX		(256 * 1024)

struct ctlsock;

/*
 * Answer one request line (NUL-terminated, without its newline, not blank,
 * at most CTLSOCK_LINE_MAX bytes, no NUL byte inside): a malloc'ed
 * NUL-terminated reply without a newline, which the server takes over; NULL
 * (out of memory) closes that client.  The callback must not close the
 * server.
 */
typedef char	*(*ctlsock_cmd_cb)(void *arg, const char *line);

/*
 * Listen on path (mode 0660; its missing parent directories are made 0755)
 * and answer with cb.  An existing socket file is connected to first: if a
 * daemon answers, -EADDRINUSE ("another daemon owns PATH"); if nobody
 * does, the file is removed and the socket bound anew.  A path that exists
 * and is not a socket: -EEXIST.  On failure err (if not NULL) gets a
 * sentence for the operator naming the path.  0 or -errno.
 */
int		 ctlsock_open(struct ev_loop *loop, const char *path,
		    ctlsock_cmd_cb cb, void *arg, struct ctlsock **ret,
		    char *err, size_t errlen);
/*
 * Listen on path instead (checked as ctlsock_open() does) and remove the old
 * file; the clients stay.  On failure the old socket stays, err says why.
 * The same path: nothing to do.  0 or -errno.
 */
int		 ctlsock_move(struct ctlsock *cs, const char *path, char *err,
		    size_t errlen);
/* Close every client and the socket, and remove the file.  NULL-safe. */
void		 ctlsock_close(struct ctlsock *cs);
const char	*ctlsock_path(const struct ctlsock *cs);
/* Clients connected now, and clients refused since the start. */
unsigned int	 ctlsock_nclients(const struct ctlsock *cs);
unsigned long	 ctlsock_refused(const struct ctlsock *cs);

/*
 * For a command callback that builds a jansson document: its compact text,
 * releasing doc; NULL if doc is NULL or memory ran out.  In ctlsock_json.c,
 * so that only a daemon that calls it links jansson.
 */
struct json_t;
char		*ctlsock_json_text(struct json_t *doc);

#endif /* ANYPOOL_CTLSOCK_H */
