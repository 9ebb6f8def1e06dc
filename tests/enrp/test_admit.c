/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ENRP admission (issue 12), the side tests/security/test_attack does not
 * see: registrars that are not configured peers but inside "allow from".
 * Three real registrards on 127.0.30.1-3 port 9901, each allowing
 * 127.0.30.0/29: C, configured at neither A nor B, peers with both (learned
 * from its connection, then from the mentor's list).  Then, with a victim
 * PE registered at A: a host outside the prefix is closed at once; a host
 * inside it that names A's server id changes nothing at B; its peer list,
 * which nobody asked for, adds no peer; its TAKEOVER_SERVER of live A
 * moves no PE; ten connections from one address leave four open.  Every
 * refusal shows in "show peers" under "refused", and afterwards the three
 * agree and serve the victim.  Prints what it did; exits 0 on success.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "cluster.h"

#define NET		"127.0.30."
#define ALLOW		"127.0.30.0/29"
#define POOL		"AdmitPool"
#define VICTIM_ID	0x00001001u
#define EVIL_ID		0x0badbad1u
#define NCAP		10

static int		 failures;

static bool
closed_cond(void *arg)
{
	return peer_closed(*(int *)arg);
}

static void
send_msg(int fd, const struct wbuf *w)
{
	if (!w->err)
		(void)!send(fd, w->p, w->len, MSG_NOSIGNAL);
}

/*
 * After what was sent on fd: a LIST_REQUEST with trailing bytes, which the
 * registrar answers with ENRP_ERROR once it has read everything before it.
 */
static void
barrier(int fd)
{
	static uint8_t in[1 << 17];
	uint8_t b[16] = { ENRP_LIST_REQUEST, 0, 0, 16, 0x0b, 0xad, 0xba, 0xd1 };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t end = mono_ms() + 3000;
	struct rsp_msg m;
	struct rsp_err err;
	size_t len = 0;
	ssize_t n;
	long f;

	if (send(fd, b, sizeof(b), MSG_NOSIGNAL) != (ssize_t)sizeof(b))
		return;
	while (mono_ms() < end) {
		while ((f = rsp_frame(in, len)) > 0) {
			if (rsp_decode(RSP_PROTO_ENRP, in, (size_t)f, NULL, &m,
			    &err) == 0 && m.type == ENRP_ERROR)
				return;
			memmove(in, in + f, len - (size_t)f);
			len -= (size_t)f;
		}
		if (f < 0 || poll(&pfd, 1, (int)(end - mono_ms())) <= 0)
			return;
		if ((n = recv(fd, in + len, sizeof(in) - len, 0)) <= 0)
			return;
		len += (size_t)n;
	}
}

/* "refused" counter `why` of registrar i (show peers). */
static uint64_t
refused(int i, const char *why)
{
	json_t *j = query(i, "show peers");
	uint64_t v = j ? (uint64_t)json_integer_value(json_object_get(
	    json_object_get(j, "refused"), why)) : 0;

	json_decref(j);
	return v;
}

/* Does registrar i list a peer at address a (any port)? */
static bool
has_peer_at(int i, const char *a)
{
	json_t *j = query(i, "show peers"), *p;
	const char *s;
	bool found = false;
	size_t k;

	if (j == NULL)
		return false;
	json_array_foreach(json_object_get(j, "peers"), k, p) {
		s = json_string_value(json_object_get(p, "address"));
		if (s != NULL && strncmp(s, a, strlen(a)) == 0 &&
		    s[strlen(a)] == ':')
			found = true;
	}
	json_decref(j);
	return found;
}

static bool
victim_everywhere(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < NREG; i++)
		if (home_of(i, VICTIM_ID) != server_id(0))
			return false;
	return true;
}

static bool
synced(void *arg)
{
	return synchronized((int)((struct daemon *)arg - reg));
}

struct open_count {
	int	*fds;
	int	 want;
};

static bool
open_is(void *arg)
{
	struct open_count *o = arg;
	int i, n = 0;

	for (i = 0; i < NCAP; i++)
		if (o->fds[i] >= 0 && !peer_closed(o->fds[i]))
			n++;
	return n == o->want;
}

int
main(void)
{
	static const char *addrs[NREG] = { NET "1", NET "2", NET "3" };
	const char *timers = "\theartbeat-cycle 300ms\n\tmax-time-last-heard "
	    "1s\n\tmax-time-no-response 700ms\n\tmentor-discovery 1500ms\n"
	    "\ttakeover-expiry 2s\n\tallow from " ALLOW "\n";
	struct rsp_server_info si;
	struct client pe;
	struct rsp_pe p;
	struct wbuf w;
	uint8_t buf[1024];
	char conf[1024];
	uint16_t cause;
	uint64_t before;
	int fd, i, n, fds[NCAP];
	size_t m;

	signal(SIGPIPE, SIG_IGN);
	if (harness_sctp()) {
		printf("SKIP: the raw ENRP client speaks the TCP mapping\n");
		return 77;
	}
	atexit(kill_all);
	for (i = 0; i < NREG; i++)
		addr[i] = addrs[i];
	/*
	 * A and B know each other; C, started once they are synchronized,
	 * knows only A (and learns B from its mentor's list); all allow
	 * the /29.
	 */
	for (i = 0; i < NREG; i++) {
		snprintf(conf, sizeof(conf), "asap {\n\tkeepalive-interval "
		    "1h\n}\nenrp {\n\tlisten on %s\n\tpeer %s\n%s}\n", addr[i],
		    addr[i == 0 ? 1 : 0], timers);
		if (i == 2 && !(wait_until(synced, &reg[0], 10000) &&
		    wait_until(synced, &reg[1], 10000))) {
			printf("FAIL: A and B not synchronized\n");
			return 1;
		}
		if (daemon_start(&reg[i], conf) != 0) {
			printf("FAIL: cannot start registrar %c\n", 'A' + i);
			return 1;
		}
	}
	CHECK(wait_until(all_synchronized, NULL, 10000) &&
	    wait_until(checksums_equal, NULL, 10000), "C, a configured peer "
	    "of neither A nor B but inside their allow from %s, peers with "
	    "both", ALLOW);
	if (client_connect(&pe, reg[0].port) != 0 || do_register(&pe, POOL,
	    VICTIM_ID, RSP_POLICY_ROUND_ROBIN, 0, 0, 600000, &cause) != 0 ||
	    !wait_until(victim_everywhere, NULL, 5000)) {
		printf("FAIL: victim PE not registered at A, known at B, C\n");
		return 1;
	}

	/* Outside the prefix: closed at once, counted. */
	fd = tcp_connect_from(NET "9", addr[0], ENRP_PORT);
	CHECK(fd < 0 || wait_until(closed_cond, &fd, 2000), "A closes a "
	    "connection from %s9 (outside %s) at once", NET, ALLOW);
	if (fd >= 0)
		close(fd);
	CHECK(refused(0, "not_allowed") >= 1, "A counts it as not_allowed "
	    "(%llu)", (unsigned long long)refused(0, "not_allowed"));

	/* Inside the prefix, naming A's server id: nothing changes at B. */
	fd = tcp_connect_from(NET "5", addr[1], ENRP_PORT);
	CHECK(fd >= 0, "B accepts a connection from %s5 (inside %s)", NET,
	    ALLOW);
	memset(&p, 0, sizeof(p));
	p.id = VICTIM_ID;
	p.home_id = server_id(0);
	p.life = 600000;
	p.user.type = RSP_PARAM_TCP_TRANSPORT;
	p.user.port = 7000;
	p.user.use = RSP_TRANSPORT_USE_DATA_CONTROL;
	p.user.naddr = 1;
	rsp_addr_parse(&p.user.addr[0], "127.0.0.1");
	p.policy.type = RSP_POLICY_ROUND_ROBIN;
	m = enrp_msg_begin(&w, buf, sizeof(buf), ENRP_HANDLE_UPDATE, 0,
	    server_id(0));
	wbuf_u16(&w, ENRP_DEL_PE);
	wbuf_u16(&w, 0);
	rsp_put_handle(&w, POOL, strlen(POOL));
	rsp_put_pe(&w, &p);
	rsp_put_msg_end(&w, m);
	before = refused(1, "wrong_source");
	send_msg(fd, &w);
	barrier(fd);
	CHECK(refused(1, "wrong_source") > before, "B refuses a DEL_PE from "
	    "%s5 that names A's server id (wrong_source)", NET);

	/* It introduces itself, then sends a peer list nobody asked for. */
	memset(&si, 0, sizeof(si));
	si.id = EVIL_ID;
	si.transport.type = RSP_PARAM_SCTP_TRANSPORT;
	si.transport.port = ENRP_PORT;
	si.transport.naddr = 1;
	rsp_addr_parse(&si.transport.addr[0], NET "5");
	m = enrp_msg_begin(&w, buf, sizeof(buf), ENRP_PRESENCE, 0, EVIL_ID);
	rsp_put_checksum(&w, 0);
	rsp_put_server_info(&w, &si);
	rsp_put_msg_end(&w, m);
	send_msg(fd, &w);
	m = enrp_msg_begin(&w, buf, sizeof(buf), ENRP_LIST_RESPONSE, 0,
	    EVIL_ID);
	for (n = 0; n < 2; n++) {
		si.id = 0x0bad1000u + (uint32_t)n;
		rsp_addr_parse(&si.transport.addr[0], n == 0 ? NET "7" :
		    NET "100");
		rsp_put_server_info(&w, &si);
	}
	rsp_put_msg_end(&w, m);
	before = refused(1, "unsolicited_list");
	send_msg(fd, &w);
	/* ... and claims A's PEs although A is alive. */
	m = enrp_msg_begin(&w, buf, sizeof(buf), ENRP_TAKEOVER_SERVER, 0,
	    EVIL_ID);
	wbuf_u32(&w, server_id(0));
	rsp_put_msg_end(&w, m);
	send_msg(fd, &w);
	barrier(fd);
	CHECK(refused(1, "unsolicited_list") > before && !has_peer_at(1,
	    NET "7") && !has_peer_at(1, NET "100"), "B takes no peer from "
	    "a list it did not ask for (unsolicited_list)");
	CHECK(refused(1, "takeover_of_live_peer") >= 1 &&
	    home_of(1, VICTIM_ID) == server_id(0), "B leaves live A's PEs "
	    "with A (takeover_of_live_peer)");
	close(fd);

	/* Ten connections from one allowed address: four stay open. */
	before = refused(0, "source_cap");
	for (i = 0; i < NCAP; i++)
		fds[i] = tcp_connect_from(NET "6", addr[0], ENRP_PORT);
	CHECK(wait_until(open_is, &(struct open_count){ fds, 4 }, 3000),
	    "A keeps 4 of %d connections from %s6 open", NCAP, NET);
	CHECK(refused(0, "source_cap") - before == NCAP - 4, "A counts %llu "
	    "closed for the per-source limit",
	    (unsigned long long)(refused(0, "source_cap") - before));
	for (i = 0; i < NCAP; i++)
		if (fds[i] >= 0)
			close(fds[i]);

	CHECK(wait_until(checksums_equal, NULL, 10000) &&
	    wait_until(victim_everywhere, NULL, 5000), "afterwards the three "
	    "agree and every one has the victim PE homed at A");
	for (i = 0; i < NREG; i++)
		CHECK(daemon_alive(&reg[i]), "registrar %c still running",
		    'A' + i);
	client_close(&pe);
	for (i = 0; i < NREG; i++)
		CHECK(daemon_clean(&reg[i], daemon_stop(&reg[i], SIGTERM)),
		    "registrar %c stops cleanly", 'A' + i);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
