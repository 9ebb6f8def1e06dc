/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The client side of a control-socket test: connect to a Unix socket and
 * read its answers while running the event loop that serves them
 * (tests/unit/test_ctlsock.c, tests/unit/test_control.c).
 */
#ifndef ANYPOOL_TEST_UNIXCLIENT_H
#define ANYPOOL_TEST_UNIXCLIENT_H

#include <stdbool.h>

#include "event.h"

/* A non-blocking stream socket connected to path, or -1. */
int	 unixclient_connect(const char *path);
/*
 * Run loop (polling at first, then waiting up to 5 ms an iteration, at most
 * 2000 iterations) until fd has sent `lines` newlines or EOF: all it sent,
 * NUL-terminated and malloc'ed (NULL if memory ran out); *ret_eof says
 * whether it closed.
 */
char	*unixclient_read(struct ev_loop *loop, int fd, int lines,
	    bool *ret_eof);

#endif
