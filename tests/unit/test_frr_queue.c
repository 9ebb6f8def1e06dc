/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * routing/frr.c's asynchronous vtysh queue (struct frr_q) against a
 * stand-in vtysh (a shell script written here, no FRR, no root): runs of
 * one queue happen one at a time in the order queued and their callbacks
 * come in that order with the output; a "%" error line or a non-zero exit
 * is -EIO; a missing program is -ENOENT; a run that overruns the timeout
 * is -ETIMEDOUT and its process is gone (killed by PID and reaped); the
 * event loop keeps serving timers while a run hangs; "Can't find" on a
 * prefix-list removal is success; frr_q_free() with a run in progress
 * kills it.  Its files go to $TMPDIR (default /tmp).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.h"
#include "routing/frr.h"

static int failures;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		printf("ok: ");						\
	} else {							\
		printf("FAIL (%s:%d): ", __FILE__, __LINE__);		\
		failures++;						\
	}								\
	printf(__VA_ARGS__);						\
	putchar('\n');							\
} while (0)

#define NRUNS	5

static struct {
	int	 rc[16];
	char	 out[16][256];
	size_t	 n;
	size_t	 ticks;		/* timer callbacks while runs were out */
} got;

static void
done(void *arg, int rc, const char *out)
{
	(void)arg;
	if (got.n < 16) {
		got.rc[got.n] = rc;
		snprintf(got.out[got.n], sizeof(got.out[0]), "%s", out);
	}
	got.n++;
}

static void
tick(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct ev_ref *ref = arg;

	(void)revents;
	got.ticks++;
	ev_timer_add(loop, 10, tick, ref, ref);
}

/* Run the loop until n callbacks have come or ms have passed. */
static void
run_until(struct ev_loop *loop, size_t n, uint64_t ms)
{
	uint64_t end = ev_now(loop) + ms;

	while (got.n < n && ev_now(loop) < end)
		ev_run_once(loop, 20);
}

/* The PID the stand-in wrote, or 0 if it has not written one yet. */
static long
read_pid(const char *pidfile)
{
	FILE *f = fopen(pidfile, "r");
	long pid = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

static bool
pid_gone(long pid)
{
	return pid > 0 && kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

int
main(int argc, char **argv)
{
	char dir[200], script[240], logf[260], pidf[260], cmd[64];
	char line[256], buf[64];
	const char *cmds[1] = { cmd };
	struct ev_loop *loop;
	struct ev_ref tref = { 0 };
	struct frr f;
	struct frr_q *q;
	struct rt_prefix p;
	FILE *fp;
	size_t i;
	long pid = 0;
	bool order_ok = true;

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s", getenv("TMPDIR") != NULL ?
	    getenv("TMPDIR") : "/tmp");
	snprintf(script, sizeof(script), "%s/fake-vtysh.%ld", dir,
	    (long)getpid());
	snprintf(logf, sizeof(logf), "%s.log", script);
	snprintf(pidf, sizeof(pidf), "%s.pid", script);
	/*
	 * The stand-in: logs its last -c argument and its PID, then acts on
	 * the argument: "nap N" sleeps N s and goes on, "hang" becomes a
	 * 30 s sleep, "fail" prints a vtysh error line, "exit" exits 1, a
	 * prefix-list line gets FRR's answer for a missing entry; then it
	 * echoes "out:" and the argument.
	 */
	if ((fp = fopen(script, "w")) == NULL) {
		perror(script);
		return 99;
	}
	fprintf(fp, "#!/bin/sh\n"
	    "for a; do last=$a; done\n"
	    "echo \"$last\" >>'%s'\n"
	    "echo $$ >'%s.new' && mv -f '%s.new' '%s'\n"
	    "case $last in\n"
	    "nap*) sleep ${last#nap } ;;\n"
	    "hang) exec sleep 30 ;;\n"
	    "fail) echo '%% Unknown command: fail' ;;\n"
	    "exit) exit 1 ;;\n"
	    "*prefix-list*) echo \"%% Can't find specified prefix-list\" ;;\n"
	    "esac\n"
	    "echo \"out:$last\"\n", logf, pidf, pidf, pidf);
	fclose(fp);
	chmod(script, 0755);
	unlink(logf);

	if ((loop = ev_loop_new()) == NULL)
		return 99;
	frr_init(&f);
	snprintf(f.vtysh, sizeof(f.vtysh), "%s", script);
	/*
	 * The runs that end by themselves get a timeout that a loaded
	 * machine cannot reach (a shell, mv and sleep can take far longer
	 * than usual there); only the hanging run below gets a short one.
	 */
	f.timeout_ms = 10000;
	if (frr_q_new(loop, &f, &q) != 0)
		return 99;

	/* Order: runs of different lengths still finish in queue order. */
	for (i = 0; i < NRUNS; i++) {
		snprintf(cmd, sizeof(cmd), i % 2 == 0 ? "nap 0.0%zu" :
		    "run-%zu", i);
		CHECK(frr_q_vtysh(q, cmds, 1, done, NULL) == 0,
		    "queue run %zu", i);
	}
	CHECK(frr_q_pending(q) == NRUNS, "%zu runs pending",
	    frr_q_pending(q));
	ev_timer_add(loop, 10, tick, &tref, &tref);
	run_until(loop, NRUNS, 5000);
	CHECK(got.n == NRUNS, "all %d callbacks came (%zu)", NRUNS, got.n);
	for (i = 0; i < NRUNS && i < got.n; i++) {
		snprintf(buf, sizeof(buf), i % 2 == 0 ? "out:nap 0.0%zu" :
		    "out:run-%zu", i);
		if (got.rc[i] != 0 || strncmp(got.out[i], buf, strlen(buf)))
			order_ok = false;
	}
	CHECK(order_ok, "callbacks in queue order, rc 0, with the output");
	order_ok = true;
	if ((fp = fopen(logf, "r")) != NULL) {
		for (i = 0; i < NRUNS; i++) {
			snprintf(buf, sizeof(buf), i % 2 == 0 ? "nap 0.0%zu" :
			    "run-%zu", i);
			if (fgets(line, sizeof(line), fp) == NULL ||
			    strncmp(line, buf, strlen(buf)) != 0)
				order_ok = false;
		}
		fclose(fp);
	} else
		order_ok = false;
	CHECK(order_ok, "the runs started in queue order");
	CHECK(frr_q_pending(q) == 0, "nothing pending");

	/* Errors. */
	got.n = 0;
	snprintf(cmd, sizeof(cmd), "fail");
	frr_q_vtysh(q, cmds, 1, done, NULL);
	snprintf(cmd, sizeof(cmd), "exit");
	frr_q_vtysh(q, cmds, 1, done, NULL);
	rt_prefix_parse("192.0.2.1/32", &p);
	frr_q_prefix_list(q, "PL", "PL6", &p, false, done, NULL);
	frr_q_prefix_list(q, "PL", "PL6", &p, true, done, NULL);
	run_until(loop, 4, 5000);
	CHECK(got.n == 4 && got.rc[0] == -EIO &&
	    strstr(got.out[0], "% Unknown") != NULL,
	    "a %% error line is -EIO, with the output (%d)", got.rc[0]);
	CHECK(got.n == 4 && got.rc[1] == -EIO, "exit 1 is -EIO (%d)",
	    got.rc[1]);
	CHECK(got.n == 4 && got.rc[2] == 0,
	    "removing an absent prefix-list entry is success (%d)",
	    got.rc[2]);
	CHECK(got.n == 4 && got.rc[3] == -EIO,
	    "but the same answer to an add is an error (%d)", got.rc[3]);

	/* Timeout: killed by PID, the loop served timers meanwhile. */
	f.timeout_ms = 1000;
	frr_q_set(q, &f);
	got.n = 0;
	got.ticks = 0;
	unlink(pidf);
	snprintf(cmd, sizeof(cmd), "hang");
	frr_q_vtysh(q, cmds, 1, done, NULL);
	snprintf(cmd, sizeof(cmd), "after");
	frr_q_vtysh(q, cmds, 1, done, NULL);
	run_until(loop, 2, 5000);
	CHECK(got.n == 2 && got.rc[0] == -ETIMEDOUT &&
	    strstr(got.out[0], "killed after 1000 ms") != NULL,
	    "a hung run is -ETIMEDOUT: \"%s\"", got.out[0]);
	CHECK(got.n == 2 && got.rc[1] == 0, "the next run goes on after it");
	/*
	 * About 100 ticks of 10 ms while the run hangs 1 s (a loop that
	 * waited for the child would see one or two): 10 leave room for a
	 * loaded machine, where this process may get a fifth of a CPU.
	 */
	CHECK(got.ticks >= 10, "the loop kept serving timers (%zu ticks)",
	    got.ticks);

	/* A missing program. */
	got.n = 0;
	snprintf(f.vtysh, sizeof(f.vtysh), "%s/no-such-vtysh", dir);
	frr_q_set(q, &f);
	frr_q_vtysh(q, cmds, 1, done, NULL);
	run_until(loop, 1, 5000);
	CHECK(got.n == 1 && got.rc[0] == -ENOENT, "missing vtysh: -ENOENT "
	    "(%d)", got.rc[0]);

	/*
	 * Free with a run in progress: no callback, the child is gone.  The
	 * long timeout: the run must still be in progress when its PID is
	 * read, however long that takes (it kills the run otherwise).
	 */
	snprintf(f.vtysh, sizeof(f.vtysh), "%s", script);
	f.timeout_ms = 10000;
	frr_q_set(q, &f);
	got.n = 0;
	unlink(pidf);
	snprintf(cmd, sizeof(cmd), "hang");
	frr_q_vtysh(q, cmds, 1, done, NULL);
	/* The PID file appears whole (written aside, then renamed). */
	for (i = 0; i < 500 && (pid = read_pid(pidf)) == 0; i++)
		ev_run_once(loop, 10);
	CHECK(pid > 0, "the hanging run started (pid %ld)", pid);
	frr_q_free(q);
	CHECK(got.n == 0, "no callback after frr_q_free");
	CHECK(pid_gone(pid), "frr_q_free killed the running child");

	ev_cancel(&tref);
	ev_loop_free(loop);
	unlink(script);
	unlink(logf);
	unlink(pidf);
	printf("%s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
