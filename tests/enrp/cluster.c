/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Three registrards that form one ENRP cluster, for the ENRP tests; see
 * cluster.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "cluster.h"

struct daemon	 reg[NREG];
const char	*addr[NREG] = { "127.0.0.1", "127.0.0.2", "127.0.0.3" };

json_t *
query(int i, const char *cmd)
{
	static char out[1 << 20];
	json_error_t je;

	if (!daemon_alive(&reg[i]) || control_query(&reg[i], cmd, out,
	    sizeof(out)) != 0)
		return NULL;
	return json_loads(out, 0, &je);
}

uint32_t
hex32(json_t *v)
{
	return v != NULL && json_is_string(v) ?
	    (uint32_t)strtoul(json_string_value(v), NULL, 16) : 0;
}

uint32_t
server_id(int i)
{
	json_t *j = query(i, "show summary");
	uint32_t id = j ? hex32(json_object_get(json_object_get(j, "summary"),
	    "server_id")) : 0;

	json_decref(j);
	return id;
}

bool
synchronized(int i)
{
	json_t *j = query(i, "show summary");
	bool ok = j && json_is_true(json_object_get(json_object_get(j,
	    "summary"), "synchronized"));

	json_decref(j);
	return ok;
}

bool
all_synchronized(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < NREG; i++)
		if (daemon_alive(&reg[i]) && !synchronized(i))
			return false;
	return true;
}

/*
 * Every live registrar knows every other live one, and its checksum of the
 * PEs each peer owns equals that peer's own checksum (RFC 5353 §3.6).
 */
bool
checksums_equal(void *arg)
{
	uint32_t id[NREG], own[NREG];
	json_t *j, *peers, *p;
	size_t k;
	int i, n, live = 0;

	(void)arg;
	for (i = 0; i < NREG; i++) {
		id[i] = own[i] = 0;
		if (!daemon_alive(&reg[i]) || (j = query(i, "show peers")) == NULL)
			continue;
		id[i] = hex32(json_object_get(j, "server_id"));
		own[i] = hex32(json_object_get(j, "pe_checksum"));
		json_decref(j);
		live++;
	}
	for (i = 0; i < NREG; i++) {
		if (id[i] == 0)
			continue;
		if ((j = query(i, "show peers")) == NULL)
			return false;
		peers = json_object_get(j, "peers");
		n = 0;
		json_array_foreach(peers, k, p) {
			uint32_t pid = hex32(json_object_get(p, "id"));
			int x;

			for (x = 0; x < NREG; x++)
				if (id[x] != 0 && id[x] == pid)
					break;
			if (x == NREG)
				continue;	/* a dead incarnation */
			n++;
			if (hex32(json_object_get(p, "local_checksum")) !=
			    own[x] || strcmp(json_string_value(json_object_get(
			    p, "state")), "active") != 0) {
				json_decref(j);
				return false;
			}
		}
		json_decref(j);
		if (n != live - 1)
			return false;
	}
	return true;
}

int
start_all(const char *extra_timers)
{
	char conf[2048];
	int i, j, o;

	for (i = 0; i < NREG; i++) {
		o = snprintf(conf, sizeof(conf), "asap {\n\tkeepalive-interval "
		    "1h\n}\nenrp {\n\tlisten on %s\n", addr[i]);
		for (j = 0; j < NREG; j++)
			if (j != i)
				o += snprintf(conf + o, sizeof(conf) - (size_t)o,
				    "\tpeer %s\n", addr[j]);
		snprintf(conf + o, sizeof(conf) - (size_t)o, "%s}\n",
		    extra_timers);
		if (daemon_start(&reg[i], conf) != 0)
			return -1;
	}
	return 0;
}

uint64_t
summary_int(int i, const char *key)
{
	json_t *j = query(i, "show summary");
	uint64_t v = j ? (uint64_t)json_integer_value(json_object_get(
	    json_object_get(j, "summary"), key)) : 0;

	json_decref(j);
	return v;
}

uint64_t
stat_int(int i, const char *key)
{
	json_t *j = query(i, "show stats");
	uint64_t v = j ? (uint64_t)json_integer_value(json_object_get(
	    json_object_get(j, "stats"), key)) : 0;

	json_decref(j);
	return v;
}

uint64_t
peers_stat(int i, const char *key)
{
	json_t *j = query(i, "show peers");
	uint64_t v = j ? (uint64_t)json_integer_value(json_object_get(j, key)) :
	    0;

	json_decref(j);
	return v;
}

uint32_t
home_of(int i, uint32_t id)
{
	json_t *j = query(i, "show pes"), *p;
	uint32_t home = 0;
	size_t k;

	if (j == NULL)
		return 0;
	json_array_foreach(json_object_get(j, "pes"), k, p)
		if (hex32(json_object_get(p, "id")) == id)
			home = hex32(json_object_get(p, "home"));
	json_decref(j);
	return home;
}

void
kill_all(void)
{
	int i;

	for (i = 0; i < NREG; i++)
		daemon_stop(&reg[i], SIGKILL);	/* no-op once stopped */
}

/* ---- by hand ------------------------------------------------------------ */

int
tcp_connect_from(const char *src, const char *dst, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(port) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	int fd, on = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	inet_pton(AF_INET, dst, &sin.sin_addr);
	if (src != NULL && (inet_pton(AF_INET, src, &from.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0)) {
		close(fd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}

bool
peer_closed(int fd)
{
	char b[4096];
	ssize_t n;

	for (;;) {
		n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0)
			return true;
		if (n < 0)
			return errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR;
	}
}

size_t
enrp_msg_begin(struct wbuf *w, uint8_t *buf, size_t cap, uint8_t type,
    uint8_t flags, uint32_t sender)
{
	size_t m;

	wbuf_init(w, buf, cap);
	m = rsp_put_msg_begin(w, type, flags);
	wbuf_u32(w, sender);	/* sending server's id */
	wbuf_u32(w, 0);		/* receiving server's id: unknown */
	return m;
}
