/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Running an operator's command from healthd's event loop without ever
 * blocking it: the command checks and the state-change hooks
 * (health/hooks.c) run through here.  A run is posix_spawn() of an argv
 * (never a shell: the operator writes one if they want one) in a process
 * group of its own, stdin /dev/null, stdout and stderr into one pipe of
 * which only the first HX_OUT_MAX bytes are kept (for a log line; the rest
 * is read and dropped so the command never blocks on it), its exit seen
 * through a pidfd the loop watches.  At the timeout the whole group is
 * killed with SIGKILL and the child reaped when the pidfd says it is gone,
 * so no run leaves a zombie or a stray `sleep` behind.  The callback runs
 * exactly once, from the loop, never from inside hx_start().
 */
#ifndef ANYPOOL_HEALTH_EXEC_H
#define ANYPOOL_HEALTH_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"

#define HX_OUT_MAX	1024	/* output kept per run */

enum hx_end {
	HX_EXITED,		/* code: the exit status */
	HX_SIGNALED,		/* code: the signal */
	HX_TIMEOUT,		/* killed at the timeout */
	HX_SPAWN_FAILED,	/* code: errno (no such program...) */
};

struct hx_result {
	enum hx_end	 end;
	int		 code;
	uint64_t	 ms;		/* how long it ran */
	const char	*out;		/* stdout+stderr, at most HX_OUT_MAX */
	pid_t		 pid;		/* 0 if it never started */
};

typedef void (*hx_cb)(void *arg, const struct hx_result *r);

struct hx_run;

/*
 * Start argv[0] (an absolute path) with argv, the environment of healthd
 * plus env ("NAME=value" strings, NULL-terminated, may be NULL; they
 * replace variables of the same name), killed after timeout_ms.  0, or
 * -errno if nothing could be set up (a program that cannot be executed is
 * reported through the callback as HX_SPAWN_FAILED).
 */
int	hx_start(struct ev_loop *loop, char *const argv[], char *const env[],
	    uint32_t timeout_ms, hx_cb cb, void *arg, struct hx_run **ret);
/* Kill a run that has not finished (its group, SIGKILL), reap it; no
 * callback.  NULL-safe. */
void	hx_cancel(struct hx_run *r);
/* Exit status 0. */
bool	hx_ok(const struct hx_result *r);
/* "exit 1", "killed by signal 9", "timed out after 300 ms (killed)",
 * "cannot run: No such file or directory"; into buf. */
const char *hx_why(const struct hx_result *r, uint32_t timeout_ms, char *buf,
	    size_t len);
/* The first line of the output, at most len - 1 characters, into buf. */
const char *hx_first_line(const char *out, char *buf, size_t len);

#endif
