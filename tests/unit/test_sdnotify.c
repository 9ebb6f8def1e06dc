/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sd_notify_msg(): what systemd's NOTIFY_SOCKET receives, on a path and in
 * the abstract namespace; nothing without NOTIFY_SOCKET; a bad value refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "sdnotify.h"

/* A datagram socket listening on name ('@' first: abstract namespace). */
static int
listener(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	memcpy(sun.sun_path, name, strlen(name));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, len), 0);
	return fd;
}

static void
expect(int fd, const char *want)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void
test_path_and_abstract(void **state)
{
	char path[108], abs[64];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/anypool-notify-%d.sock", (int)getpid());
	unlink(path);
	fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(sd_notify_msg("READY=1"), 0);
	expect(fd, "READY=1");
	assert_int_equal(sd_notify_msg("STOPPING=1"), 0);
	expect(fd, "STOPPING=1");
	close(fd);
	unlink(path);

	snprintf(abs, sizeof(abs), "@anypool-notify-%d", (int)getpid());
	fd = listener(abs);
	setenv("NOTIFY_SOCKET", abs, 1);
	assert_int_equal(sd_notify_msg("RELOADING=1"), 0);
	expect(fd, "RELOADING=1");
	close(fd);
}

static void
test_absent_and_bad(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sd_notify_msg("READY=1"), 0);	/* not under systemd */
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(sd_notify_msg("READY=1"), -EINVAL);
	setenv("NOTIFY_SOCKET", "/nonexistent/anypool/notify.sock", 1);
	assert_true(sd_notify_msg("READY=1") < 0);
	unsetenv("NOTIFY_SOCKET");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_and_abstract),
		cmocka_unit_test(test_absent_and_bad),
	};

	return cmocka_run_group_tests_name("sdnotify", tests, NULL, NULL);
}
