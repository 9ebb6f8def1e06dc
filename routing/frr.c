/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtysh as a child process: fork + execvp with an argv built here (never a
 * shell, so no quoting problems and nothing injectable), stdout and stderr
 * read through pipes under one deadline, the child killed with SIGKILL and
 * reaped if it overruns.  FRR's vtysh exits 0 even when a configuration
 * line is refused, so output lines starting with "%" also count as errors.
 * The configuration helpers write only the lines healthd owns (its
 * route-maps and network statements); everything else in frr.conf is the
 * operator's.  JSON read-back goes through jansson.
 */
#define _GNU_SOURCE		/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
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

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

int
frr_vtysh(const struct frr *f, const char *const *cmds, size_t n,
    char **ret_out)
{
	char *argv[FRR_MAX_ARGS];
	struct outbuf o = { 0 }, e = { 0 };
	struct pollfd pfd[2];
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int64_t deadline;
	size_t argc = 0, i;
	pid_t pid;
	int rc = 0, status, open_fds, r;

	if (2 * n + 4 > FRR_MAX_ARGS)
		return -E2BIG;
	argv[argc++] = (char *)f->vtysh;
	if (f->vty_socket[0] != '\0') {
		argv[argc++] = (char *)"--vty_socket";
		argv[argc++] = (char *)f->vty_socket;
	}
	for (i = 0; i < n; i++) {
		argv[argc++] = (char *)"-c";
		argv[argc++] = (char *)cmds[i];
	}
	argv[argc] = NULL;
	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
		rc = -errno;
		goto out_close;
	}
	if ((pid = fork()) == -1) {
		rc = -errno;
		goto out_close;
	}
	if (pid == 0)
		child(f->vtysh, argv, outp[1], errp[1]);
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	deadline = mono_ms() + f->timeout_ms;
	pfd[0].fd = outp[0];
	pfd[1].fd = errp[0];
	pfd[0].events = pfd[1].events = POLLIN;
	open_fds = 2;
	while (open_fds > 0) {
		int64_t left = deadline - mono_ms();

		if (left <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		r = poll(pfd, 2, (int)left);
		if (r < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		for (i = 0; r > 0 && i < 2; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			r = out_read(pfd[i].fd, i == 0 ? &o : &e);
			if (r < 0) {
				rc = r;
				open_fds = 0;
				break;
			}
			if (r == 0) {
				pfd[i].fd = -1;
				open_fds--;
			}
		}
	}
	if (rc != 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		rc = WIFEXITED(status) && WEXITSTATUS(status) == 127 ?
		    -ENOENT : -EIO;
	if (rc == 0 && (has_error_line(o.p) || has_error_line(e.p)))
		rc = -EIO;
	if (ret_out != NULL && (rc == 0 || rc == -EIO)) {
		/* stdout, then stderr */
		if (e.len > 0) {
			struct outbuf *t = &o;
			char *np;

			if ((np = realloc(t->p, t->len + e.len + 1)) == NULL) {
				rc = -ENOMEM;
				goto out_free;
			}
			memcpy(np + t->len, e.p, e.len + 1);
			t->p = np;
			t->len += e.len;
		}
		if (o.p == NULL && (o.p = strdup("")) == NULL) {
			rc = -ENOMEM;
			goto out_free;
		}
		*ret_out = o.p;
		o.p = NULL;
	}
out_free:
	free(o.p);
	free(e.p);
out_close:
	for (i = 0; i < 2; i++) {
		if (outp[i] != -1)
			close(outp[i]);
		if (errp[i] != -1)
			close(errp[i]);
	}
	return rc;
}

int
frr_config(const struct frr *f, const char *const *lines, size_t n,
    char **ret_out)
{
	const char *cmds[FRR_MAX_ARGS / 2];
	size_t i;

	if (n + 1 > sizeof(cmds) / sizeof(cmds[0]) - 2)
		return -E2BIG;
	cmds[0] = "configure terminal";
	for (i = 0; i < n; i++)
		cmds[i + 1] = lines[i];
	return frr_vtysh(f, cmds, n + 1, ret_out);
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

int
frr_bgp_network(const struct frr *f, uint32_t asn, const struct rt_prefix *p,
    const char *route_map, char **ret_out)
{
	char bgp[32], pfx[INET6_ADDRSTRLEN + 8], net[256];
	const char *lines[3];

	if (!name_ok(route_map))
		return -EINVAL;
	snprintf(bgp, sizeof(bgp), "router bgp %" PRIu32, asn);
	snprintf(net, sizeof(net), "network %s route-map %s",
	    rt_prefix_str(p, pfx, sizeof(pfx)), route_map);
	lines[0] = bgp;
	lines[1] = p->family == AF_INET ? "address-family ipv4 unicast" :
	    "address-family ipv6 unicast";
	lines[2] = net;
	return frr_config(f, lines, 3, ret_out);
}

int
frr_route_map_community(const struct frr *f, const char *route_map,
    const char *communities, char **ret_out)
{
	char rm[128], set[128];
	const char *lines[3];
	size_t n = 0;

	if (!name_ok(route_map) ||
	    (communities != NULL && strlen(communities) > 100))
		return -EINVAL;
	snprintf(rm, sizeof(rm), "route-map %s permit 10", route_map);
	lines[n++] = rm;
	lines[n++] = "no set community";
	if (communities != NULL && communities[0] != '\0') {
		snprintf(set, sizeof(set), "set community %s", communities);
		lines[n++] = set;
	}
	return frr_config(f, lines, n, ret_out);
}

int
frr_route_map_metric(const struct frr *f, const char *route_map,
    uint32_t metric, char **ret_out)
{
	char rm[128], set[64];
	const char *lines[2];

	if (!name_ok(route_map))
		return -EINVAL;
	snprintf(rm, sizeof(rm), "route-map %s permit 10", route_map);
	snprintf(set, sizeof(set), "set metric %" PRIu32, metric);
	lines[0] = rm;
	lines[1] = set;
	return frr_config(f, lines, 2, ret_out);
}

static int
show_json(const struct frr *f, const char *cmd, json_t **ret)
{
	const char *cmds[1] = { cmd };
	json_error_t jerr;
	char *out = NULL;
	json_t *j;
	int rc;

	if ((rc = frr_vtysh(f, cmds, 1, &out)) != 0) {
		free(out);
		return rc;
	}
	j = json_loads(out, 0, &jerr);
	free(out);
	if (j == NULL)
		return -EBADMSG;
	*ret = j;
	return 0;
}

int
frr_bgp_has(const struct frr *f, const struct rt_prefix *p, bool *ret)
{
	char cmd[128], pfx[INET6_ADDRSTRLEN + 8];
	json_t *j, *paths, *path;
	size_t i;
	int rc;

	snprintf(cmd, sizeof(cmd), "show bgp %s unicast %s json",
	    p->family == AF_INET ? "ipv4" : "ipv6",
	    rt_prefix_str(p, pfx, sizeof(pfx)));
	if ((rc = show_json(f, cmd, &j)) != 0)
		return rc;
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
frr_rib_has(const struct frr *f, const struct rt_prefix *p, bool *ret)
{
	char cmd[128], pfx[INET6_ADDRSTRLEN + 8];
	json_t *j, *routes;
	int rc;

	rt_prefix_str(p, pfx, sizeof(pfx));
	snprintf(cmd, sizeof(cmd), "show %s route %s json",
	    p->family == AF_INET ? "ip" : "ipv6", pfx);
	if ((rc = show_json(f, cmd, &j)) != 0)
		return rc;
	routes = json_object_get(j, pfx);
	*ret = json_is_array(routes) && json_array_size(routes) > 0;
	json_decref(j);
	return 0;
}
