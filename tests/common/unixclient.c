/* SPDX-License-Identifier: BSD-2-Clause */
/* The client side of a control-socket test; see unixclient.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "unixclient.h"

int
unixclient_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

char *
unixclient_read(struct ev_loop *loop, int fd, int lines, bool *ret_eof)
{
	size_t len = 0, cap = 1 << 16, i;
	char *buf = malloc(cap + 1), *p;
	ssize_t n;
	int round, seen = 0;

	*ret_eof = false;
	if (buf == NULL)
		return NULL;
	for (round = 0; round < 2000 && seen < lines && !*ret_eof; round++) {
		ev_run_once(loop, round < 10 ? 0 : 5);
		for (;;) {
			if (cap - len < 4096) {
				if ((p = realloc(buf, 2 * cap + 1)) == NULL) {
					free(buf);
					return NULL;
				}
				buf = p;
				cap *= 2;
			}
			n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
			if (n == 0)
				*ret_eof = true;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		for (seen = 0, i = 0; i < len; i++)
			seen += buf[i] == '\n';
	}
	buf[len] = '\0';
	return buf;
}
