/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtysh as a child process run from the event loop: fork + execvp with an
 * argv built here (never a shell, so no quoting problems and nothing
 * injectable), stdout and stderr read through non-blocking pipes watched by
 * the loop, one loop timer as the deadline, the child killed with SIGKILL
 * by PID if it overruns and reaped with WNOHANG (retried on a short timer),
 * so a slow FRR never stalls the loop; runs of one queue (struct frr_q) are
 * strictly one after the other.  FRR's vtysh exits 0 even when a
 * configuration line is refused, so output lines starting with "%" also
 * count as errors.  The configuration helpers write only the lines healthd
 * owns (its route-maps, network statements and, for an OSPF stub, the
 * service address's "ip ospf cost"); everything else in frr.conf is the
 * operator's.  JSON read-back goes through jansson.
 */
#define _GNU_SOURCE		/* pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "frr.h"

#define FRR_MAX_ARGS	64
#define FRR_OUT_MAX	(4u << 20)	/* refuse more output than this */

void
frr_init(struct frr *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->vtysh, sizeof(f->vtysh), "vtysh");
	f->timeout_ms = 5000;
}

struct outbuf {
	char	*p;
	size_t	 len, cap;
};

static int
out_read(int fd, struct outbuf *o)
{
	char buf[4096], *np;
	ssize_t n;

	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -errno;
	if (n == 0)
		return 0;
	if (o->len + (size_t)n + 1 > FRR_OUT_MAX)
		return -EFBIG;
	if (o->len + (size_t)n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 8192;

		while (cap < o->len + (size_t)n + 1)
			cap *= 2;
		if ((np = realloc(o->p, cap)) == NULL)
			return -ENOMEM;
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->len, buf, (size_t)n);
	o->len += (size_t)n;
	o->p[o->len] = '\0';
	return 1;
}

static void
child(const char *path, char *const *argv, int out, int err)
{
	int fd;

	if (dup2(out, STDOUT_FILENO) == -1 || dup2(err, STDERR_FILENO) == -1)
		_exit(126);
	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	signal(SIGPIPE, SIG_DFL);
	execvp(path, argv);
	_exit(127);
}

/* Does the output carry a vtysh error line ("% Unknown command", ...)? */
static bool
has_error_line(const char *s)
{
	if (s == NULL)
		return false;
	if (*s == '%')
		return true;
	return strstr(s, "\n%") != NULL;
}

/* Route-map names go into one argv word: refuse anything odd. */
static bool
name_ok(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) >= FRR_NAME_MAX)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* The lines of one configuration change. */
struct cfg_lines {
	char		 buf[3][256];
	const char	*l[3];
	size_t		 n;
};

static void
cfg_add(struct cfg_lines *c, const char *line)
{
	snprintf(c->buf[c->n], sizeof(c->buf[c->n]), "%s", line);
	c->l[c->n] = c->buf[c->n];
	c->n++;
}

static int
bgp_network_lines(struct cfg_lines *c, uint32_t asn,
    const struct rt_prefix *p, const char *route_map)
{
	char line[256], pfx[INET6_ADDRSTRLEN + 8];

	if (!name_ok(route_map))
		return -EINVAL;
	c->n = 0;
	snprintf(line, sizeof(line), "router bgp %" PRIu32, asn);
	cfg_add(c, line);
	cfg_add(c, p->family == AF_INET ? "address-family ipv4 unicast" :
	    "address-family ipv6 unicast");
	snprintf(line, sizeof(line), "network %s route-map %s",
	    rt_prefix_str(p, pfx, sizeof(pfx)), route_map);
	cfg_add(c, line);
	return 0;
}

static int
community_lines(struct cfg_lines *c, const char *route_map,
    const char *communities)
{
	char line[256];

	if (!name_ok(route_map) ||
	    (communities != NULL && strlen(communities) > 100))
		return -EINVAL;
	c->n = 0;
	snprintf(line, sizeof(line), "route-map %s permit 10", route_map);
	cfg_add(c, line);
	cfg_add(c, "no set community");
	if (communities != NULL && communities[0] != '\0') {
		snprintf(line, sizeof(line), "set community %s", communities);
		cfg_add(c, line);
	}
	return 0;
}

/* Community lists go into one vtysh line: digits, ':' and spaces. */
static bool
comm_ok(const char *s)
{
	return strlen(s) < FRR_COMM_MAX && s[strspn(s, "0123456789: ")] == '\0';
}

int
frr_route_map_bgp_lines(const char *route_map, uint32_t asn,
    const struct frr_bgp_attrs *a, bool gshut, char lines[][256], size_t max,
    size_t *ret_n)
{
	static const struct frr_bgp_attrs none;
	size_t n = 0, off, i;

	if (a == NULL)
		a = &none;
	if (!name_ok(route_map) || a->prepend > FRR_PREPEND_MAX ||
	    !comm_ok(a->communities) || !comm_ok(a->large) || max < 9)
		return -EINVAL;
	snprintf(lines[n++], 256, "route-map %s permit 10", route_map);
	/* "no set" of what is not set is silent in FRR 8.4. */
	snprintf(lines[n++], 256, "no set community");
	if (gshut || a->communities[0] != '\0')
		snprintf(lines[n++], 256, "set community%s%s%s",
		    gshut ? " graceful-shutdown" : "",
		    a->communities[0] != '\0' ? " " : "", a->communities);
	snprintf(lines[n++], 256, "no set large-community");
	if (a->large[0] != '\0')
		snprintf(lines[n++], 256, "set large-community %s", a->large);
	snprintf(lines[n++], 256, "no set metric");
	if (a->med_set)
		snprintf(lines[n++], 256, "set metric %" PRIu32, a->med);
	snprintf(lines[n++], 256, "no set as-path prepend");
	if (a->prepend > 0) {
		off = (size_t)snprintf(lines[n], 256, "set as-path prepend");
		for (i = 0; i < a->prepend; i++)
			off += (size_t)snprintf(lines[n] + off, 256 - off,
			    " %" PRIu32, asn);
		n++;
	}
	*ret_n = n;
	return 0;
}

static int
metric_lines(struct cfg_lines *c, const char *route_map, uint32_t metric)
{
	char line[256];

	if (!name_ok(route_map))
		return -EINVAL;
	c->n = 0;
	snprintf(line, sizeof(line), "route-map %s permit 10", route_map);
	cfg_add(c, line);
	snprintf(line, sizeof(line), "set metric %" PRIu32, metric);
	cfg_add(c, line);
	return 0;
}

int
frr_ospf_cost_lines(const char *ifname, const struct rt_prefix *p,
    uint32_t cost, char lines[][256], size_t max, size_t *ret_n)
{
	char a[INET6_ADDRSTRLEN];

	if (!name_ok(ifname) || strlen(ifname) >= IF_NAMESIZE ||
	    p->family != AF_INET || cost < 1 || cost > 65535 || max < 2 ||
	    inet_ntop(AF_INET, &p->addr, a, sizeof(a)) == NULL)
		return -EINVAL;
	snprintf(lines[0], 256, "interface %s", ifname);
	snprintf(lines[1], 256, "ip ospf cost %" PRIu32 " %s", cost, a);
	*ret_n = 2;
	return 0;
}

static int
plist_lines(struct cfg_lines *c, const char *name, const char *name6,
    const struct rt_prefix *p, bool present)
{
	char line[256], pfx[INET6_ADDRSTRLEN + 8];
	bool v6 = p->family == AF_INET6;

	if (!name_ok(v6 ? name6 : name))
		return -EINVAL;
	c->n = 0;
	snprintf(line, sizeof(line), "%s%s prefix-list %s permit %s",
	    present ? "" : "no ", v6 ? "ipv6" : "ip", v6 ? name6 : name,
	    rt_prefix_str(p, pfx, sizeof(pfx)));
	cfg_add(c, line);
	return 0;
}

/*
 * Removing a prefix-list entry that is not there: success.  FRR says
 * "Can't find", or (8.4, the list itself missing) exits 1 saying nothing.
 */
static bool
absent_ok(const char *out)
{
	return out == NULL || out[strspn(out, " \r\n")] == '\0' ||
	    strstr(out, "Can't find") != NULL;
}

static void
show_cmd(char *buf, size_t len, bool bgp, const struct rt_prefix *p)
{
	char pfx[INET6_ADDRSTRLEN + 8];

	rt_prefix_str(p, pfx, sizeof(pfx));
	if (bgp)
		snprintf(buf, len, "show bgp %s unicast %s json",
		    p->family == AF_INET ? "ipv4" : "ipv6", pfx);
	else
		snprintf(buf, len, "show %s route %s json",
		    p->family == AF_INET ? "ip" : "ipv6", pfx);
}

int
frr_bgp_has_parse(const char *out, bool *ret)
{
	json_error_t jerr;
	json_t *j, *paths, *path;
	size_t i;

	if ((j = json_loads(out, 0, &jerr)) == NULL)
		return -EBADMSG;
	/*
	 * With "bgp network import-check" a network statement whose route is
	 * gone stays in the table as an invalid path: only valid ones count.
	 */
	*ret = false;
	paths = json_object_get(j, "paths");
	json_array_foreach(paths, i, path)
		if (json_is_true(json_object_get(path, "valid")))
			*ret = true;
	json_decref(j);
	return 0;
}

int
frr_rib_has_parse(const char *out, const struct rt_prefix *p, bool *ret)
{
	char pfx[INET6_ADDRSTRLEN + 8];
	json_error_t jerr;
	json_t *j, *routes;

	if ((j = json_loads(out, 0, &jerr)) == NULL)
		return -EBADMSG;
	routes = json_object_get(j, rt_prefix_str(p, pfx, sizeof(pfx)));
	*ret = json_is_array(routes) && json_array_size(routes) > 0;
	json_decref(j);
	return 0;
}

#define FRR_Q_REAP_MS	2	/* pipes closed, child not yet gone: retry */

struct frr_job {
	struct frr_job	*next;
	frr_q_cb	 cb;
	void		*arg;
	bool		 absent_ok;	/* "Can't find" is success */
	char		*argv[];	/* NULL-terminated; strings follow */
};

struct q_pipe {
	struct frr_q	*q;
	int		 fd;
	struct outbuf	 b;
	struct ev_ref	 io;
};

struct frr_q {
	struct ev_loop	*loop;
	struct frr	 f;
	struct frr_job	*head, *tail;
	size_t		 n;
	/* the running child, if pid > 0 */
	pid_t		 pid;
	struct q_pipe	 p[2];		/* stdout, stderr */
	int		 rc;		/* first read error */
	struct ev_ref	 timer, reap;
	bool		 in_cb, dead;
};

static void	q_start(struct frr_q *);

int
frr_q_new(struct ev_loop *loop, const struct frr *f, struct frr_q **ret)
{
	struct frr_q *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -ENOMEM;
	q->loop = loop;
	q->f = *f;
	q->p[0].q = q->p[1].q = q;
	q->p[0].fd = q->p[1].fd = -1;
	*ret = q;
	return 0;
}

void
frr_q_set(struct frr_q *q, const struct frr *f)
{
	q->f = *f;	/* argv is built when a run is queued */
}

size_t
frr_q_pending(const struct frr_q *q)
{
	return q->n;
}

static void
q_close_pipes(struct frr_q *q)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		ev_cancel(&q->p[i].io);
		if (q->p[i].fd != -1)
			close(q->p[i].fd);
		q->p[i].fd = -1;
		free(q->p[i].b.p);
		memset(&q->p[i].b, 0, sizeof(q->p[i].b));
	}
}

/* Stop the running child for good: SIGKILL by PID, then reap it. */
static void
q_kill(struct frr_q *q)
{
	int status;

	if (q->pid <= 0)
		return;
	kill(q->pid, SIGKILL);
	while (waitpid(q->pid, &status, 0) == -1 && errno == EINTR)
		;
	q->pid = 0;
}

void
frr_q_free(struct frr_q *q)
{
	struct frr_job *j;

	if (q == NULL)
		return;
	if (q->in_cb) {		/* freed from its own callback: later */
		q->dead = true;
		return;
	}
	ev_cancel(&q->timer);
	ev_cancel(&q->reap);
	q_kill(q);
	q_close_pipes(q);
	while ((j = q->head) != NULL) {
		q->head = j->next;
		free(j);
	}
	free(q);
}

/* The run at the head is over: hand its result on, start the next. */
static void
q_finish(struct frr_q *q, int rc)
{
	struct frr_job *j = q->head;
	struct outbuf *o = &q->p[0].b, *e = &q->p[1].b;
	char *out, *np;

	ev_cancel(&q->timer);
	ev_cancel(&q->reap);
	q->pid = 0;
	/* stdout, then stderr */
	if (e->len > 0 && (np = realloc(o->p, o->len + e->len + 1)) != NULL) {
		memcpy(np + o->len, e->p, e->len + 1);
		o->p = np;
		o->len += e->len;
	}
	out = o->p != NULL ? o->p : NULL;
	o->p = NULL;
	q_close_pipes(q);
	if (rc == 0 && has_error_line(out))
		rc = -EIO;
	if (rc == -EIO && j->absent_ok && absent_ok(out))
		rc = 0;
	q->head = j->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->n--;
	if (j->cb != NULL) {
		q->in_cb = true;
		j->cb(j->arg, rc, out != NULL ? out : "");
		q->in_cb = false;
	}
	free(out);
	free(j);
	if (q->dead) {
		q->dead = false;
		frr_q_free(q);
		return;
	}
	q_start(q);
}

static void
q_reap(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct frr_q *q = arg;
	pid_t r;
	int status;

	(void)revents;
	while ((r = waitpid(q->pid, &status, WNOHANG)) == -1 && errno == EINTR)
		;
	if (r == 0) {		/* pipes closed, not gone yet; the timer kills */
		ev_timer_add(loop, FRR_Q_REAP_MS, q_reap, q, &q->reap);
		return;
	}
	if (r == -1) {
		q_finish(q, -errno);
		return;
	}
	if (q->rc != 0)
		q_finish(q, q->rc);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		q_finish(q, WIFEXITED(status) && WEXITSTATUS(status) == 127 ?
		    -ENOENT : -EIO);
	else
		q_finish(q, 0);
}

static void
q_io(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct q_pipe *p = arg;
	struct frr_q *q = p->q;
	int r;

	(void)revents;
	if ((r = out_read(p->fd, &p->b)) > 0)
		return;
	if (r < 0 && q->rc == 0)
		q->rc = r;
	ev_cancel(&p->io);
	close(p->fd);
	p->fd = -1;
	if (q->p[0].fd == -1 && q->p[1].fd == -1)
		q_reap(loop, q, EV_TIMER);
}

static void
q_timeout(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct frr_q *q = arg;
	struct outbuf *o = &q->p[0].b;
	char msg[128];
	pid_t pid = q->pid;

	(void)loop;
	(void)revents;
	q_kill(q);
	/* Say which child, for the caller's log line. */
	snprintf(msg, sizeof(msg), "vtysh (pid %ld) killed after %u ms",
	    (long)pid, q->f.timeout_ms);
	free(o->p);
	o->p = strdup(msg);
	o->len = o->p != NULL ? strlen(o->p) : 0;
	q->p[1].b.len = 0;
	q_finish(q, -ETIMEDOUT);
}

static void
q_start(struct frr_q *q)
{
	struct frr_job *j;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, rc;
	size_t i;

	if (q->pid > 0 || q->in_cb || (j = q->head) == NULL)
		return;
	q->rc = 0;
	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
		rc = -errno;
		goto fail;
	}
	/* Only our ends: the child's stdout must stay blocking. */
	if (fcntl(outp[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(errp[0], F_SETFL, O_NONBLOCK) == -1) {
		rc = -errno;
		goto fail;
	}
	if ((q->pid = fork()) == -1) {
		rc = -errno;
		q->pid = 0;
		goto fail;
	}
	if (q->pid == 0)
		child(j->argv[0], j->argv, outp[1], errp[1]);
	close(outp[1]);
	close(errp[1]);
	q->p[0].fd = outp[0];
	q->p[1].fd = errp[0];
	for (i = 0; i < 2; i++)
		if ((rc = ev_fd_add(q->loop, q->p[i].fd, EV_READ, q_io,
		    &q->p[i], &q->p[i].io)) != 0) {
			q->rc = rc;
			q_timeout(q->loop, q, EV_TIMER);
			return;
		}
	if ((rc = ev_timer_add(q->loop, q->f.timeout_ms, q_timeout, q,
	    &q->timer)) != 0) {
		q_kill(q);
		q_finish(q, rc);
	}
	return;
fail:
	for (i = 0; i < 2; i++) {
		if (outp[i] != -1)
			close(outp[i]);
		if (errp[i] != -1)
			close(errp[i]);
	}
	q_finish(q, rc);
}

static int
q_add(struct frr_q *q, const char *const *cmds, size_t n, bool absent,
    frr_q_cb cb, void *arg)
{
	const char *words[FRR_MAX_ARGS];
	size_t argc = 0, i, len = 0;
	struct frr_job *j;
	char *p;

	if (q->n >= FRR_Q_MAX)
		return -ENOBUFS;
	if (2 * n + 4 > FRR_MAX_ARGS)
		return -E2BIG;
	words[argc++] = q->f.vtysh;
	if (q->f.vty_socket[0] != '\0') {
		words[argc++] = "--vty_socket";
		words[argc++] = q->f.vty_socket;
	}
	for (i = 0; i < n; i++) {
		words[argc++] = "-c";
		words[argc++] = cmds[i];
	}
	for (i = 0; i < argc; i++)
		len += strlen(words[i]) + 1;
	if ((j = malloc(sizeof(*j) + (argc + 1) * sizeof(char *) + len)) ==
	    NULL)
		return -ENOMEM;
	p = (char *)&j->argv[argc + 1];
	for (i = 0; i < argc; i++) {
		size_t l = strlen(words[i]) + 1;

		memcpy(p, words[i], l);
		j->argv[i] = p;
		p += l;
	}
	j->argv[argc] = NULL;
	j->next = NULL;
	j->cb = cb;
	j->arg = arg;
	j->absent_ok = absent;
	if (q->tail != NULL)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->n++;
	q_start(q);
	return 0;
}

int
frr_q_vtysh(struct frr_q *q, const char *const *cmds, size_t n, frr_q_cb cb,
    void *arg)
{
	return q_add(q, cmds, n, false, cb, arg);
}

static int
q_config(struct frr_q *q, const char *const *lines, size_t n, bool absent,
    frr_q_cb cb, void *arg)
{
	const char *cmds[FRR_MAX_ARGS / 2];
	size_t i;

	if (n + 1 > sizeof(cmds) / sizeof(cmds[0]) - 2)
		return -E2BIG;
	cmds[0] = "configure terminal";
	for (i = 0; i < n; i++)
		cmds[i + 1] = lines[i];
	return q_add(q, cmds, n + 1, absent, cb, arg);
}

int
frr_q_bgp_network(struct frr_q *q, uint32_t asn, const struct rt_prefix *p,
    const char *route_map, frr_q_cb cb, void *arg)
{
	struct cfg_lines c;
	int rc;

	if ((rc = bgp_network_lines(&c, asn, p, route_map)) != 0)
		return rc;
	return q_config(q, c.l, c.n, false, cb, arg);
}

int
frr_q_route_map_community(struct frr_q *q, const char *route_map,
    const char *communities, frr_q_cb cb, void *arg)
{
	struct cfg_lines c;
	int rc;

	if ((rc = community_lines(&c, route_map, communities)) != 0)
		return rc;
	return q_config(q, c.l, c.n, false, cb, arg);
}

int
frr_q_route_map_bgp(struct frr_q *q, const char *route_map, uint32_t asn,
    const struct frr_bgp_attrs *a, bool gshut, frr_q_cb cb, void *arg)
{
	char lines[9][256];
	const char *l[9];
	size_t n, i;
	int rc;

	if ((rc = frr_route_map_bgp_lines(route_map, asn, a, gshut, lines, 9,
	    &n)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		l[i] = lines[i];
	return q_config(q, l, n, false, cb, arg);
}

int
frr_q_route_map_metric(struct frr_q *q, const char *route_map,
    uint32_t metric, frr_q_cb cb, void *arg)
{
	struct cfg_lines c;
	int rc;

	if ((rc = metric_lines(&c, route_map, metric)) != 0)
		return rc;
	return q_config(q, c.l, c.n, false, cb, arg);
}

int
frr_q_ospf_cost(struct frr_q *q, const char *ifname,
    const struct rt_prefix *p, uint32_t cost, frr_q_cb cb, void *arg)
{
	char lines[2][256];
	const char *l[2];
	size_t n;
	int rc;

	if ((rc = frr_ospf_cost_lines(ifname, p, cost, lines, 2, &n)) != 0)
		return rc;
	l[0] = lines[0];
	l[1] = lines[1];
	return q_config(q, l, n, false, cb, arg);
}

int
frr_q_prefix_list(struct frr_q *q, const char *name, const char *name6,
    const struct rt_prefix *p, bool present, frr_q_cb cb, void *arg)
{
	struct cfg_lines c;
	int rc;

	if ((rc = plist_lines(&c, name, name6, p, present)) != 0)
		return rc;
	return q_config(q, c.l, c.n, !present, cb, arg);
}

int
frr_q_show_prefix(struct frr_q *q, bool bgp, const struct rt_prefix *p,
    frr_q_cb cb, void *arg)
{
	char cmd[128];
	const char *cmds[1] = { cmd };

	show_cmd(cmd, sizeof(cmd), bgp, p);
	return q_add(q, cmds, 1, false, cb, arg);
}
