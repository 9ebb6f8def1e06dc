/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Socket addresses (struct sockaddr_storage holding AF_INET or AF_INET6) as
 * every daemon and tool prints and compares them: "a.b.c.d:port" and
 * "[v6]:port" in logs and control-socket JSON, the same IP, the same
 * address and port, the port read and written in host order.  Pure
 * functions, no allocation, no logging.
 */
#ifndef ANYPOOL_ADDR_H
#define ANYPOOL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest addr_str() output: "[" v6 "]:" port NUL. */
#define ADDR_STRLEN	(46 + 8)

/*
 * "a.b.c.d:port", "[v6]:port", or "?" for another family; always
 * NUL-terminated (truncated to len).  Returns buf.
 */
const char	*addr_str(const struct sockaddr_storage *ss, char *buf,
		    size_t len);
/* Same family and IP address; the ports may differ. */
bool		 addr_same_ip(const struct sockaddr_storage *a,
		    const struct sockaddr_storage *b);
/* Same family, IP address and port. */
bool		 addr_same(const struct sockaddr_storage *a,
		    const struct sockaddr_storage *b);
/* The port in host order (0 for another family). */
uint16_t	 addr_port(const struct sockaddr_storage *ss);
/* Set the port (host order); no-op for another family. */
void		 addr_set_port(struct sockaddr_storage *ss, uint16_t port);
/* The length to pass to bind()/connect(): 0 for another family. */
socklen_t	 addr_len(const struct sockaddr_storage *ss);

#endif /* ANYPOOL_ADDR_H */
