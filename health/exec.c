/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An operator's command as a child of the event loop (see exec.h).
 * posix_spawn() rather than fork(): exec errors come back as its return
 * value, and nothing runs between fork and exec in a process whose signals
 * the loop has blocked (the child gets an empty mask and default
 * dispositions).  The exit is watched through a pidfd (Linux 5.3); where
 * there is none, waitpid(WNOHANG) is polled every HX_POLL_MS instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "health/exec.h"

#define HX_POLL_MS	10
#define HX_ENV_MAX	32	/* variables a caller adds */

extern char **environ;

struct hx_run {
	struct ev_loop	*loop;
	pid_t		 pid;
	int		 pidfd, outfd;
	struct ev_ref	 pid_io, out_io, timer, poll, defer;
	bool		 timed_out;
	int		 spawn_err;
	uint64_t	 started;
	char		 out[HX_OUT_MAX + 1];
	size_t		 outlen;
	hx_cb		 cb;
	void		*arg;
};

bool
hx_ok(const struct hx_result *r)
{
	return r->end == HX_EXITED && r->code == 0;
}

const char *
hx_why(const struct hx_result *r, uint32_t timeout_ms, char *buf, size_t len)
{
	switch (r->end) {
	case HX_EXITED:
		snprintf(buf, len, "exit %d", r->code);
		break;
	case HX_SIGNALED:
		snprintf(buf, len, "killed by signal %d", r->code);
		break;
	case HX_TIMEOUT:
		snprintf(buf, len, "timed out after %u ms (killed)",
		    timeout_ms);
		break;
	case HX_SPAWN_FAILED:
		snprintf(buf, len, "cannot run: %s", strerror(r->code));
		break;
	}
	return buf;
}

const char *
hx_first_line(const char *out, char *buf, size_t len)
{
	size_t n = strcspn(out, "\n"), i;

	if (n >= len)
		n = len - 1;
	memcpy(buf, out, n);
	buf[n] = '\0';
	for (i = 0; i < n; i++)		/* one log line, printable */
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = ' ';
	return buf;
}

static void
out_close(struct hx_run *r)
{
	ev_cancel(&r->out_io);
	if (r->outfd != -1)
		close(r->outfd);
	r->outfd = -1;
}

/* Read what the pipe has now: keep the first HX_OUT_MAX bytes. */
static void
out_drain(struct hx_run *r)
{
	char buf[4096];
	ssize_t n;
	size_t k;

	while (r->outfd != -1) {
		n = read(r->outfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			out_close(r);
			return;
		}
		k = (size_t)n;
		if (k > HX_OUT_MAX - r->outlen)
			k = HX_OUT_MAX - r->outlen;
		memcpy(r->out + r->outlen, buf, k);
		r->outlen += k;
		r->out[r->outlen] = '\0';
	}
}

static void
run_free(struct hx_run *r)
{
	ev_cancel(&r->pid_io);
	ev_cancel(&r->timer);
	ev_cancel(&r->poll);
	ev_cancel(&r->defer);
	out_close(r);
	if (r->pidfd != -1)
		close(r->pidfd);
	free(r);
}

static void
finish(struct hx_run *r, int status)
{
	struct hx_result res = {
		.ms = ev_now(r->loop) - r->started,
		.pid = r->pid,
	};

	out_drain(r);
	if (r->spawn_err != 0) {
		res.end = HX_SPAWN_FAILED;
		res.code = r->spawn_err;
	} else if (r->timed_out) {
		res.end = HX_TIMEOUT;
		res.code = SIGKILL;
	} else if (WIFEXITED(status)) {
		res.end = HX_EXITED;
		res.code = WEXITSTATUS(status);
	} else {
		res.end = HX_SIGNALED;
		res.code = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
	res.out = r->out;
	r->pid = 0;
	r->cb(r->arg, &res);
	run_free(r);
}

/* The child is gone (or going): reap it without waiting. */
static bool
try_reap(struct hx_run *r)
{
	int status = 0;
	pid_t p;

	while ((p = waitpid(r->pid, &status, WNOHANG)) == -1 &&
	    errno == EINTR)
		;
	if (p == 0)
		return false;
	if (p == -1)
		status = 0;	/* not ours any more: nothing to report */
	finish(r, status);
	return true;
}

static void
pid_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)revents;
	try_reap(arg);
}

static void
poll_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct hx_run *r = arg;

	(void)revents;
	if (!try_reap(r))
		ev_timer_add(loop, HX_POLL_MS, poll_cb, r, &r->poll);
}

static void
out_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)revents;
	out_drain(arg);
}

static void
kill_group(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(-pid, SIGKILL);	/* its own group: what it started too */
	kill(pid, SIGKILL);
}

static void
timeout_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct hx_run *r = arg;

	(void)loop;
	(void)revents;
	r->timed_out = true;
	kill_group(r->pid);
	/* Reaped when the pidfd (or the poll) says it is gone. */
}

static void
spawn_failed_cb(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)loop;
	(void)revents;
	finish(arg, 0);
}

/* environ without the names env sets, then env; NULL-terminated. */
static char **
make_env(char *const env[])
{
	size_t ne = 0, nx = 0, i, j, n = 0;
	char **e;

	while (environ != NULL && environ[ne] != NULL)
		ne++;
	while (env != NULL && env[nx] != NULL && nx < HX_ENV_MAX)
		nx++;
	if ((e = calloc(ne + nx + 1, sizeof(*e))) == NULL)
		return NULL;
	for (i = 0; i < ne; i++) {
		for (j = 0; j < nx; j++) {
			size_t l = strcspn(env[j], "=");

			if (strncmp(environ[i], env[j], l + 1) == 0)
				break;
		}
		if (j == nx)
			e[n++] = environ[i];
	}
	for (j = 0; j < nx; j++)
		e[n++] = env[j];
	e[n] = NULL;
	return e;
}

static int
spawn(char *const argv[], char *const env[], int out, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	char **envp;
	int rc;

	if ((envp = make_env(env)) == NULL)
		return ENOMEM;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGQUIT);
	sigaddset(&def, SIGALRM);
	sigaddset(&def, SIGUSR1);
	sigaddset(&def, SIGUSR2);
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		goto out_env;
	if ((rc = posix_spawnattr_init(&at)) != 0)
		goto out_fa;
	if ((rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO,
	    "/dev/null", O_RDONLY, 0)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, out,
	    STDOUT_FILENO)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, out,
	    STDERR_FILENO)) != 0 ||
	    (rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) != 0 ||
	    (rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (rc = posix_spawnattr_setpgroup(&at, 0)) != 0 ||
	    (rc = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
	    (rc = posix_spawnattr_setsigdefault(&at, &def)) != 0)
		goto out_at;
	rc = posix_spawn(ret_pid, argv[0], &fa, &at, argv, envp);
out_at:
	posix_spawnattr_destroy(&at);
out_fa:
	posix_spawn_file_actions_destroy(&fa);
out_env:
	free(envp);
	return rc;
}

int
hx_start(struct ev_loop *loop, char *const argv[], char *const env[],
    uint32_t timeout_ms, hx_cb cb, void *arg, struct hx_run **ret)
{
	struct hx_run *r;
	int p[2], rc;

	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/')
		return -EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	r->loop = loop;
	r->pidfd = r->outfd = -1;
	r->cb = cb;
	r->arg = arg;
	r->started = ev_now(loop);
	if (pipe2(p, O_CLOEXEC) == -1) {
		rc = -errno;
		free(r);
		return rc;
	}
	r->outfd = p[0];
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) == -1) {
		rc = -errno;
		goto fail;
	}
	rc = spawn(argv, env, p[1], &r->pid);
	close(p[1]);
	p[1] = -1;
	if (rc == ENOMEM) {
		rc = -ENOMEM;
		goto fail;
	}
	if (rc != 0) {		/* exec failed: report it from the loop */
		r->pid = 0;
		r->spawn_err = rc;
		out_close(r);
		if ((rc = ev_defer(loop, spawn_failed_cb, r, &r->defer)) != 0)
			goto fail;
		*ret = r;
		return 0;
	}
	if (ev_fd_add(loop, r->outfd, EV_READ, out_cb, r, &r->out_io) != 0)
		out_close(r);	/* output lost, the run still counts */
	if ((r->pidfd = pidfd_open(r->pid, 0)) == -1 ||
	    ev_fd_add(loop, r->pidfd, EV_READ, pid_cb, r, &r->pid_io) != 0) {
		if (r->pidfd != -1)
			close(r->pidfd);
		r->pidfd = -1;
		rc = ev_timer_add(loop, HX_POLL_MS, poll_cb, r, &r->poll);
		if (rc != 0)
			goto fail_kill;
	}
	if ((rc = ev_timer_add(loop, timeout_ms, timeout_cb, r,
	    &r->timer)) != 0)
		goto fail_kill;
	*ret = r;
	return 0;
fail_kill:
	hx_cancel(r);
	return rc;
fail:
	if (p[1] != -1)
		close(p[1]);
	run_free(r);
	return rc;
}

void
hx_cancel(struct hx_run *r)
{
	int status;

	if (r == NULL)
		return;
	if (r->pid > 0) {
		kill_group(r->pid);
		while (waitpid(r->pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	run_free(r);
}
