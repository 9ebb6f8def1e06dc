/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for lib/log.c: the token-bucket rate limiter driven by an
 * injected time (burst passes, excess is suppressed, the suppression count
 * is reported when it re-opens), errno handling of log_warn(), the verbose
 * switch for log_debug(), and fatal()'s exit status.  Output is captured
 * through log_set_sink(); nothing sleeps.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "log.h"

struct capture {
	char	 lines[16][256];
	int	 pri[16];
	int	 n;
};

static struct capture cap;

static void
sink(int pri, const char *line, void *arg)
{
	struct capture *c = arg;

	assert_true(c->n < 16);
	c->pri[c->n] = pri;
	snprintf(c->lines[c->n], sizeof(c->lines[0]), "%s", line);
	c->n++;
}

static int
setup(void **state)
{
	memset(&cap, 0, sizeof(cap));
	log_init("test_log", 1, 0);
	log_set_sink(sink, &cap);
	return 0;
}

static int
teardown(void **state)
{
	log_set_sink(NULL, NULL);
	return 0;
}

/* One step of the limiter: at time t, does a line pass and what count? */
struct rl_step {
	uint64_t	 t;
	bool		 allow;
	uint32_t	 suppressed;	/* reported when allow */
};

struct rl_case {
	const char	*name;
	uint32_t	 burst, interval_ms;
	size_t		 n;
	struct rl_step	 steps[16];
};

static const struct rl_case rl_cases[] = {
	{ "burst then one per interval", 3, 1000, 10, {
		{ 0, true, 0 }, { 0, true, 0 }, { 0, true, 0 },
		{ 0, false, 0 }, { 10, false, 0 }, { 999, false, 0 },
		{ 1000, true, 3 }, { 1001, false, 0 }, { 1999, false, 0 },
		{ 2000, true, 2 } } },
	{ "long quiet refills to burst only", 2, 100, 6, {
		{ 50, true, 0 }, { 50, true, 0 }, { 50, false, 0 },
		{ 100000, true, 1 }, { 100000, true, 0 },
		{ 100000, false, 0 } } },
	{ "partial intervals accumulate", 1, 100, 6, {
		{ 0, true, 0 }, { 60, false, 0 }, { 120, true, 1 },
		{ 180, false, 0 }, { 199, false, 0 }, { 220, true, 2 } } },
	{ "burst 0 means 1", 0, 1000, 3, {
		{ 5, true, 0 }, { 6, false, 0 }, { 1005, true, 1 } } },
	{ "clock going backwards does not refill", 1, 100, 3, {
		{ 500, true, 0 }, { 400, false, 0 }, { 599, false, 0 } } },
};

static void
test_rl_table(void **state)
{
	for (size_t c = 0; c < sizeof(rl_cases) / sizeof(rl_cases[0]); c++) {
		const struct rl_case *rc = &rl_cases[c];
		struct log_ratelimit rl = LOG_RATELIMIT_INIT(rc->burst,
		    rc->interval_ms);

		print_message("case %s\n", rc->name);
		for (size_t i = 0; i < rc->n; i++) {
			uint32_t sup = 12345;
			bool ok = log_rl_allow(&rl, rc->steps[i].t, &sup);

			assert_int_equal(ok, rc->steps[i].allow);
			if (ok)
				assert_int_equal(sup, rc->steps[i].suppressed);
			else
				assert_int_equal(sup, 12345);
		}
	}
}

static void
test_rl_warnx_output(void **state)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(2, 1000);
	const char *peer = "10.0.0.1:9901";

	for (int i = 0; i < 7; i++)
		log_rl_warnx(&rl, 100, "peer %s: bad message %d", peer, i);
	assert_int_equal(cap.n, 2);
	assert_string_equal(cap.lines[0], "peer 10.0.0.1:9901: bad message 0");
	assert_string_equal(cap.lines[1], "peer 10.0.0.1:9901: bad message 1");
	assert_int_equal(cap.pri[0], LOG_ERR);

	log_rl_warnx(&rl, 1100, "peer %s: bad message %d", peer, 7);
	assert_int_equal(cap.n, 3);
	assert_string_equal(cap.lines[2], "peer 10.0.0.1:9901: bad message 7 "
	    "(5 similar messages suppressed)");

	/* debug lines are not counted while debug is off */
	log_rl_debug(&rl, 1100, "hidden");
	log_rl_info(&rl, 1100, "over");
	assert_int_equal(cap.n, 3);
	log_rl_info(&rl, 2100, "info");
	assert_int_equal(cap.n, 4);
	assert_string_equal(cap.lines[3],
	    "info (1 similar messages suppressed)");
	assert_int_equal(cap.pri[3], LOG_INFO);
}

/* LOG_RL_INFO(): the same lines, arguments formatted only when it passes. */
static int formatted;

static const char *
costly_name(int i)
{
	static char b[32];

	formatted++;
	snprintf(b, sizeof(b), "pe-%d", i);
	return b;
}

static void
test_rl_info_lazy(void **state)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(2, 1000);

	(void)state;
	formatted = 0;
	for (int i = 0; i < 6; i++)
		LOG_RL_INFO(&rl, 100, "PE %s registered", costly_name(i));
	assert_int_equal(cap.n, 2);
	assert_int_equal(formatted, 2);		/* not for the 4 dropped */
	assert_string_equal(cap.lines[1], "PE pe-1 registered");
	assert_int_equal(cap.pri[0], LOG_INFO);
	LOG_RL_INFO(&rl, 1100, "PE %s registered", costly_name(6));
	assert_int_equal(cap.n, 3);
	assert_string_equal(cap.lines[2], "PE pe-6 registered "
	    "(4 similar messages suppressed)");
}

static void
test_warn_errno(void **state)
{
	errno = ENOENT;
	log_warn("open %s", "/nonexistent");
	/* errno survives logging */
	assert_int_equal(errno, ENOENT);
	errno = EPERM;
	log_warn("%s", "");
	log_warnx("plain %d", 42);
	assert_int_equal(cap.n, 3);
	assert_string_equal(cap.lines[0],
	    "open /nonexistent: No such file or directory");
	assert_string_equal(cap.lines[1], "Operation not permitted");
	assert_string_equal(cap.lines[2], "plain 42");
}

static void
test_debug_verbose(void **state)
{
	log_debug("quiet");
	log_info("loud");
	assert_int_equal(cap.n, 1);
	log_setverbose(1);
	assert_int_equal(log_getverbose(), 1);
	log_debug("now %s", "visible");
	log_setverbose(0);
	assert_int_equal(cap.n, 2);
	assert_string_equal(cap.lines[1], "now visible");
	assert_int_equal(cap.pri[1], LOG_DEBUG);
}

static void
test_truncation(void **state)
{
	char big[3000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	errno = EIO;
	log_warn("%s", big);
	assert_int_equal(cap.n, 1);
	/* captured copy is 255 chars of the (1023-char) truncated line */
	assert_int_equal(strlen(cap.lines[0]), 255);
}

static void
test_fatal_exits(void **state)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		log_set_sink(NULL, NULL);
		/* keep the child's line out of the test output */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(2);
		errno = ENOMEM;
		fatal("out of %s", "memory");
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rl_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rl_warnx_output,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rl_info_lazy, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_warn_errno,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_verbose,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_fatal_exits,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
