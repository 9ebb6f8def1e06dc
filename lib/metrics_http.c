/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Prometheus exporter shared by the daemons; see metrics_http.h.
 *
 * Bounds against one bad client: at most MAX_CONNECTIONS connections,
 * MAX_PER_IP of them from one address; MHD drops a connection idle for
 * CONN_TIMEOUT_S, and we give every request REQUEST_DEADLINE_MS from the
 * connection's start (or the previous request's end) to arrive whole, so a
 * request trickled in a byte at a time cannot hold a slot forever (MHD's
 * own timeout counts from the last byte).
 *
 * MHD takes its listening socket out of its epoll set while it is at the
 * connection limit and puts it back only at the start of its next pass;
 * once the last connection is gone nothing would wake us for that pass, so
 * mhd_step() runs again whenever a pass closed connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "event.h"
#include "log.h"
#include "metrics_http.h"

#define MAX_CONNECTIONS		64
#define MAX_PER_IP		8
#define CONN_TIMEOUT_S		10
#define REQUEST_DEADLINE_MS	10000
#define MAX_PASSES		4
#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* One accepted connection (MHD's socket context). */
struct mh_conn {
	TAILQ_ENTRY(mh_conn)	 entry;	/* oldest since first */
	struct MHD_Connection	*c;
	uint64_t		 since;	/* start, or the last request's end */
	bool			 cut;	/* shut down at its deadline */
};
TAILQ_HEAD(mh_conns, mh_conn);

struct metrics_http {
	struct ev_loop		*loop;
	struct MHD_Daemon	*d;
	struct ev_ref		 io, tmo;
	metrics_render_fn	 render;
	void			*arg;
	struct mh_conns		 conns;
	unsigned int		 nconns;
	char			 who[32];
};

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned int status, char *body,
    size_t len, enum MHD_ResponseMemoryMode mode, const char *allow)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, body, mode);
	if (resp == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    status == MHD_HTTP_OK ? CONTENT_TYPE : "text/plain");
	if (allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	static char not_found[] = "404 not found: try /metrics\n";
	static char bad_method[] = "405 method not allowed\n";
	struct metrics_http *m = cls;
	char *body = NULL;
	size_t len = 0;

	(void)version;
	(void)upload;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		*upload_size = 0;	/* ignore any body */
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, bad_method,
		    strlen(bad_method), MHD_RESPMEM_PERSISTENT, "GET, HEAD");
	}
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, not_found,
		    strlen(not_found), MHD_RESPMEM_PERSISTENT, NULL);
	if (m->render(m->arg, &body, &len) != 0)
		return MHD_NO;
	return reply(conn, MHD_HTTP_OK, body, len, MHD_RESPMEM_MUST_FREE, NULL);
}

static void	mhd_log(void *cls, const char *fmt, va_list ap)
		    __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct metrics_http *m = cls;
	char line[256];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_debug("%s: %s", m->who, line);
}

/* Connections in the order of their `since`: the oldest first. */
static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct metrics_http *m = cls;
	struct mh_conn *mc = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		if ((mc = calloc(1, sizeof(*mc))) == NULL)
			return;	/* only MHD's idle timeout for this one */
		mc->c = conn;
		mc->since = ev_now(m->loop);
		TAILQ_INSERT_TAIL(&m->conns, mc, entry);
		m->nconns++;
		*socket_context = mc;
	} else if (mc != NULL) {
		TAILQ_REMOVE(&m->conns, mc, entry);
		m->nconns--;
		free(mc);
		*socket_context = NULL;
	}
}

/* A request answered: the connection's next one gets a fresh deadline. */
static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct metrics_http *m = cls;
	const union MHD_ConnectionInfo *ci;
	struct mh_conn *mc;

	(void)con_cls;
	(void)toe;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci == NULL || (mc = ci->socket_context) == NULL)
		return;
	mc->since = ev_now(m->loop);
	TAILQ_REMOVE(&m->conns, mc, entry);
	TAILQ_INSERT_TAIL(&m->conns, mc, entry);
}

/*
 * Shut down every connection past its deadline; MHD sees the end of the
 * stream on its next pass and closes it.  Returns the next deadline, or 0.
 */
static uint64_t
cut_late(struct metrics_http *m)
{
	const union MHD_ConnectionInfo *ci;
	struct mh_conn *mc;
	uint64_t now = ev_now(m->loop);

	TAILQ_FOREACH(mc, &m->conns, entry) {
		if (mc->since + REQUEST_DEADLINE_MS > now)
			return mc->since + REQUEST_DEADLINE_MS;
		if (mc->cut)
			continue;
		ci = MHD_get_connection_info(mc->c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci != NULL) {
			log_debug("%s: request not complete after %d ms, "
			    "closing", m->who, REQUEST_DEADLINE_MS);
			shutdown(ci->connect_fd, SHUT_RDWR);
		}
		mc->cut = true;
	}
	return 0;
}

static void	mhd_io(struct ev_loop *, void *, unsigned int);

/*
 * Run MHD (again while a pass closed connections: see the top), then sleep
 * until its epoll fd, its next timeout or our next request deadline.
 */
static void
mhd_step(struct metrics_http *m)
{
	MHD_UNSIGNED_LONG_LONG to;
	uint64_t next, delay = UINT64_MAX, now;
	unsigned int before;
	int pass;

	for (pass = 0; pass < MAX_PASSES; pass++) {
		before = m->nconns;
		cut_late(m);
		MHD_run(m->d);
		if (m->nconns >= before)
			break;
	}
	now = ev_now(m->loop);
	if ((next = cut_late(m)) != 0)
		delay = next > now ? next - now : 0;
	if (MHD_get_timeout(m->d, &to) == MHD_YES && to < delay)
		delay = to;
	if (delay != UINT64_MAX) {
		if (ev_timer_add(m->loop, delay, mhd_io, m, &m->tmo) != 0)
			fatalx("%s: timer", m->who);
	} else {
		ev_cancel(&m->tmo);
	}
}

static void
mhd_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)revents;
	mhd_step(arg);
}

static const char *
sa_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	}
	return buf;
}

struct metrics_http *
metrics_http_start(struct ev_loop *loop, const struct sockaddr_storage *ss,
    metrics_render_fn render, void *arg, const char *who)
{
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	struct metrics_http *m;
	uint16_t port;
	char a[INET6_ADDRSTRLEN + 16];

	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6) {
		log_warnx("%s: no address to listen on", who);
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->loop = loop;
	m->render = render;
	m->arg = arg;
	TAILQ_INIT(&m->conns);
	snprintf(m->who, sizeof(m->who), "%s", who);
	sa_text(ss, a, sizeof(a));
	if (ss->ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((const struct sockaddr_in6 *)(const void *)ss)->
		    sin6_port);
	} else {
		port = ntohs(((const struct sockaddr_in *)(const void *)ss)->
		    sin_port);
	}
	m->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, m,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m,
	    MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)MAX_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT_S,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
	    MHD_OPTION_END);
	if (m->d == NULL) {
		log_warnx("%s: cannot listen on http://%s/metrics", who, a);
		free(m);
		return NULL;
	}
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL || info->epoll_fd < 0 ||
	    ev_fd_add(loop, info->epoll_fd, EV_READ, mhd_io, m, &m->io) != 0) {
		log_warnx("%s: cannot run libmicrohttpd in the event loop", who);
		MHD_stop_daemon(m->d);
		free(m);
		return NULL;
	}
	log_info("%s on http://%s/metrics", who, a);
	mhd_step(m);
	return m;
}

void
metrics_http_stop(struct metrics_http *m)
{
	if (m == NULL)
		return;
	ev_cancel(&m->io);
	ev_cancel(&m->tmo);
	MHD_stop_daemon(m->d);	/* notifies every connection's close */
	free(m);
}
