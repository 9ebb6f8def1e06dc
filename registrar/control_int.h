/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What control.c and metrics.c share with each other and with their unit
 * test (tests/unit/test_control.c); not for the rest of the daemon.
 */
#ifndef ANYPOOL_CONTROL_INT_H
#define ANYPOOL_CONTROL_INT_H

#include <stddef.h>
#include <sys/socket.h>

#include <jansson.h>

struct registrar;

/* Answer one request line with a JSON document (caller decrefs). */
json_t	*control_command(struct registrar *r, const char *line);
void	 control_sa_str(const struct sockaddr_storage *ss, char *buf,
	    size_t len);
/* "Registration Response" -> "registration_response" */
const char *control_slug(const char *name, char *buf, size_t len);

/* The Prometheus text of all metrics, malloc'ed. 0 or -errno. */
int	 metrics_render(struct registrar *r, char **ret_buf, size_t *ret_len);
int	 metrics_start(struct registrar *r);
void	 metrics_stop(void);
void	 metrics_reconfigure(struct registrar *r);

#endif
