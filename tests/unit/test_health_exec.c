/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for health/exec.c, the runner of healthd's command checks and
 * state-change commands, with real processes on a real event loop: the
 * exit status is the result; output is captured (stdout and stderr, capped,
 * the rest read and dropped so the child never blocks); stdin is
 * /dev/null; the environment is healthd's plus the caller's (which wins);
 * no descriptor of healthd leaks into the child, whose signal mask and
 * dispositions are clean although the parent blocks signals for its
 * signalfd; a program that cannot be run is reported from the loop; at the
 * timeout the child's whole process group is killed and the child reaped
 * (no zombie, no stray sleep); a cancelled run is killed and reaped
 * without a callback.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "event.h"
#include "health/exec.h"

struct done {
	bool		 called;
	int		 calls;
	struct hx_result r;
	char		 out[HX_OUT_MAX + 1];
};

static void
done_cb(void *arg, const struct hx_result *r)
{
	struct done *d = arg;

	d->called = true;
	d->calls++;
	d->r = *r;
	snprintf(d->out, sizeof(d->out), "%s", r->out);
	d->r.out = d->out;
}

/* Run argv to completion (5 s at most); the loop's time it took. */
static uint64_t
run(char *const argv[], char *const env[], uint32_t timeout_ms,
    struct done *d)
{
	struct ev_loop *loop = ev_loop_new();
	struct hx_run *r = NULL;
	uint64_t t0, end;

	assert_non_null(loop);
	memset(d, 0, sizeof(*d));
	t0 = ev_now(loop);
	end = t0 + 5000;
	assert_int_equal(hx_start(loop, argv, env, timeout_ms, done_cb, d,
	    &r), 0);
	assert_false(d->called);	/* never from inside hx_start() */
	while (!d->called && ev_now(loop) < end)
		ev_run_once(loop, 50);
	assert_true(d->called);
	t0 = ev_now(loop) - t0;
	ev_loop_free(loop);
	return t0;
}

/* The pid is no child of ours any more: reaped. */
static void
assert_reaped(pid_t pid)
{
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* Gone, or a zombie of someone else (init reaps it when it gets to it). */
static bool
gone(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	bool ret = true;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return true;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL)
		ret = p[1] == ' ' && p[2] == 'Z';
	fclose(f);
	return ret;
}

static void
test_exit_status(void **state)
{
	char *t[] = { "/bin/true", NULL }, *f[] = { "/bin/false", NULL };
	char *s3[] = { "/bin/sh", "-c", "exit 3", NULL };
	char buf[64];
	struct done d;

	(void)state;
	run(t, NULL, 2000, &d);
	assert_int_equal(d.r.end, HX_EXITED);
	assert_int_equal(d.r.code, 0);
	assert_true(hx_ok(&d.r));
	assert_reaped(d.r.pid);
	run(f, NULL, 2000, &d);
	assert_false(hx_ok(&d.r));
	assert_string_equal(hx_why(&d.r, 2000, buf, sizeof(buf)), "exit 1");
	run(s3, NULL, 2000, &d);
	assert_int_equal(d.r.code, 3);
	assert_reaped(d.r.pid);
}

static void
test_output(void **state)
{
	char *a[] = { "/bin/sh", "-c", "echo out; echo err >&2; echo 'x\ty'",
	    NULL };
	char *big[] = { "/bin/sh", "-c", "head -c 200000 /dev/zero | "
	    "tr '\\0' a; exit 0", NULL };
	char line[8];
	struct done d;

	(void)state;
	run(a, NULL, 2000, &d);
	assert_string_equal(d.out, "out\nerr\nx\ty\n");
	assert_string_equal(hx_first_line("a\tb\nc", line, sizeof(line)),
	    "a b");
	assert_string_equal(hx_first_line("0123456789", line, sizeof(line)),
	    "0123456");
	/* Far more than is kept: read and dropped, the child finishes. */
	run(big, NULL, 3000, &d);
	assert_true(hx_ok(&d.r));
	assert_int_equal(strlen(d.out), HX_OUT_MAX);
}

static void
test_stdin_env_fds(void **state)
{
	char *in[] = { "/usr/bin/readlink", "/proc/self/fd/0", NULL };
	char *env[] = { "ANYPOOL_X=new", "ANYPOOL_Y=2", NULL };
	char *e[] = { "/bin/sh", "-c", "env | grep -c '^ANYPOOL_X='; "
	    "echo \"$ANYPOOL_X $ANYPOOL_Y $HX_KEPT\"", NULL };
	char cmd[128];
	char *leak[] = { "/bin/sh", "-c", cmd, NULL };
	struct done d;
	int fd;

	(void)state;
	run(in, NULL, 2000, &d);
	assert_string_equal(d.out, "/dev/null\n");
	setenv("ANYPOOL_X", "old", 1);
	setenv("HX_KEPT", "kept", 1);
	run(e, env, 2000, &d);
	assert_string_equal(d.out, "1\nnew 2 kept\n");
	/* A descriptor without O_CLOEXEC still stays in healthd. */
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd > 2);
	snprintf(cmd, sizeof(cmd), "test -e /proc/$$/fd/%d && echo leaked || "
	    "echo closed", fd);
	run(leak, NULL, 2000, &d);
	assert_string_equal(d.out, "closed\n");
	close(fd);
}

static void
test_signals_clean(void **state)
{
	/* grep leaves its signal mask alone: it shows what it was given. */
	char *a[] = { "/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status",
	    NULL };
	sigset_t set, old;
	struct done d;

	(void)state;
	/* healthd blocks what its signalfd takes and ignores SIGPIPE. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	run(a, NULL, 4000, &d);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGPIPE, SIG_DFL);
	assert_true(hx_ok(&d.r));
	/*
	 * Nothing blocked; of the classic signals (1-31, bits 0-30) none
	 * ignored: glibc's posix_spawn keeps its own 32 and 33 ignored.
	 */
	assert_int_equal(strlen(d.out), 2 * 25);
	assert_memory_equal(d.out, "SigBlk:\t0000000000000000\n", 25);
	assert_memory_equal(d.out + 25, "SigIgn:\t", 8);
	assert_int_equal(strtoull(d.out + 25 + 8, NULL, 16) & 0x7fffffffu, 0);
}

static void
test_spawn_failed(void **state)
{
	char *a[] = { "/nonexistent/program", NULL };
	char *rel[] = { "true", NULL };
	struct ev_loop *loop = ev_loop_new();
	struct hx_run *r = NULL;
	char buf[96];
	struct done d;

	(void)state;
	run(a, NULL, 2000, &d);
	assert_int_equal(d.r.end, HX_SPAWN_FAILED);
	assert_int_equal(d.r.code, ENOENT);
	assert_string_equal(hx_why(&d.r, 0, buf, sizeof(buf)),
	    "cannot run: No such file or directory");
	assert_int_equal(hx_start(loop, rel, NULL, 100, done_cb, &d, &r),
	    -EINVAL);
	ev_loop_free(loop);
}

static void
test_timeout_kills_group(void **state)
{
	/* The shell starts a sleep of its own and waits: both must go. */
	char *a[] = { "/bin/sh", "-c", "sleep 30 & echo $!; wait", NULL };
	char buf[96];
	struct done d;
	uint64_t ms;
	pid_t grandchild;
	int i;

	(void)state;
	ms = run(a, NULL, 300, &d);
	assert_int_equal(d.r.end, HX_TIMEOUT);
	assert_false(hx_ok(&d.r));
	assert_true(ms >= 300 && ms < 2000);
	assert_string_equal(hx_why(&d.r, 300, buf, sizeof(buf)),
	    "timed out after 300 ms (killed)");
	assert_reaped(d.r.pid);
	grandchild = (pid_t)atol(d.out);
	assert_true(grandchild > 0);
	for (i = 0; i < 100 && !gone(grandchild); i++)
		usleep(10000);
	assert_true(gone(grandchild));
}

static void
test_cancel(void **state)
{
	char *a[] = { "/bin/sleep", "30", NULL };
	struct ev_loop *loop = ev_loop_new();
	struct hx_run *r = NULL;
	struct done d = { 0 };
	pid_t pid;
	int i;

	(void)state;
	assert_int_equal(hx_start(loop, a, NULL, 10000, done_cb, &d, &r), 0);
	for (i = 0; i < 3; i++)
		ev_run_once(loop, 10);
	/* The child is ours: find it through /proc before cancelling. */
	{
		char path[64], buf[64];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
		    (long)getpid(), (long)getpid());
		f = fopen(path, "r");
		assert_non_null(f);
		assert_non_null(fgets(buf, sizeof(buf), f));
		fclose(f);
		pid = (pid_t)atol(buf);
	}
	hx_cancel(r);
	assert_reaped(pid);
	for (i = 0; i < 5; i++)
		ev_run_once(loop, 10);
	assert_false(d.called);
	hx_cancel(NULL);
	ev_loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_stdin_env_fds),
		cmocka_unit_test(test_signals_clean),
		cmocka_unit_test(test_spawn_failed),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
