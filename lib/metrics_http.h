/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A Prometheus exporter for any anypool daemon: libmicrohttpd serving GET
 * and HEAD /metrics inside the daemon's own event loop (its epoll fd as one
 * of our fd watchers, its timeout as one of our timers), so it needs no
 * thread and MHD_run() never blocks.  The daemon supplies the text.
 */
#ifndef ANYPOOL_METRICS_HTTP_H
#define ANYPOOL_METRICS_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

struct ev_loop;
struct metrics_http;

/* Render the exposition text into a malloc'ed buffer: 0 or -errno. */
typedef int	(*metrics_render_fn)(void *arg, char **ret_buf, size_t *ret_len);

/*
 * Listen on ss (address and port) and serve /metrics from render(arg).
 * At most 64 connections, 8 from one address; idle ones dropped after
 * 10 s, and a connection gets 10 s from its start (or its previous answer)
 * to send its request and read the answer.  Other paths get 404, other
 * methods 405.  Logs what it does under `who`.  NULL on failure (with the
 * reason logged).
 */
struct metrics_http *metrics_http_start(struct ev_loop *loop,
	    const struct sockaddr_storage *ss, metrics_render_fn render,
	    void *arg, const char *who);
/* Stop and free; NULL-safe. */
void	 metrics_http_stop(struct metrics_http *m);

#endif
