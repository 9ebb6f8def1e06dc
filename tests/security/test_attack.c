/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The attacker's tests (issue 12): real registrards on loopback, attacked
 * the way the issue describes, each case asserting what a user would check
 * afterwards: the victim PE stays registered and resolvable at every
 * registrar, peer tables hold only real peers, a bystander PE and pool user
 * are served throughout, the metrics endpoint keeps answering.
 *
 * One case per run: "test_attack CASE" (or a path ending in CASE.attack,
 * which is how tests/security/local.mk runs them under make check);
 * "test_attack -l" lists the cases.  Every case starts its own daemons;
 * ENRP clusters listen on port 9901 of 127.0.N.1-3 with N taken from the
 * case's index, so cases run side by side without colliding (and away from
 * tests/enrp/, which uses 127.0.0.x and 127.0.1.x).  The attacker is
 * "another host": sockets bound to 127.0.N.7 (ASAP, HTTP) or 127.0.N.9
 * (ENRP) and above.  Every wait has a deadline; a case takes at most 30 s.
 * Exit 0 pass, 1 fail, 77 skip (the SCTP variant: ENRP and HTTP are TCP).
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "cluster.h"

#define POOL		"AttackPool"
#define VICTIM_ID	0x00001001u
#define BYSTANDER_ID	0x00002002u
#define MARKER_ID	0x00003003u
#define EVIL_ID		0x0badbad1u	/* the stranger's server/PE id */
#define VICTIM_PORT	7000		/* build_registration()'s port */
#define EVIL_PORT	6666

static int		 failures;
static int		 net;		/* 127.0.net.x for this case */
static char		 enrp_addr[NREG][32];

static const char *
host(int h)
{
	static char b[8][32];
	static int k;

	k = (k + 1) % 8;
	snprintf(b[k], sizeof(b[k]), "127.0.%d.%d", net, h);
	return b[k];
}

/* ---- sockets ------------------------------------------------------------ */

/*
 * tcp_connect_from() without waiting: a full backlog leaves it pending
 * (fd kept).
 */
static int
tcp_connect_nb(const char *src, const char *dst, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(port) };
	struct sockaddr_in from = { .sin_family = AF_INET };
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return -1;
	inet_pton(AF_INET, dst, &sin.sin_addr);
	inet_pton(AF_INET, src, &from.sin_addr);
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
	    (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 &&
	    errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
tcp_listen_at(const char *a, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(port) };
	int fd, on = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	inet_pton(AF_INET, a, &sin.sin_addr);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, 64) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- raw ENRP ----------------------------------------------------------- */

struct raw {
	int		 fd;
	uint8_t		 in[1 << 17];
	size_t		 inlen;
	uint8_t		 msg[1 << 17];
};

static struct raw	 rawbuf[4];

/* Next ENRP message on r within timeout_ms: 1, 0 timeout, -1 closed. */
static int
raw_recv(struct raw *r, struct rsp_msg *m, int timeout_ms)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;
	struct rsp_err err;
	ssize_t n;
	long f;
	int left;

	for (;;) {
		while ((f = rsp_frame(r->in, r->inlen)) > 0) {
			memcpy(r->msg, r->in, (size_t)f);
			memmove(r->in, r->in + f, r->inlen - (size_t)f);
			r->inlen -= (size_t)f;
			if (rsp_decode(RSP_PROTO_ENRP, r->msg, (size_t)f,
			    &(struct rsp_decode_opts){ .pool_handle_max =
			    UINT16_MAX }, m, &err) == 0)
				return 1;
		}
		if (f < 0)
			return -1;
		left = (int)((int64_t)end - (int64_t)mono_ms());
		/* Poll even with no time left: a zero timeout still reads. */
		if (poll(&pfd, 1, left > 0 ? left : 0) <= 0)
			return 0;
		n = recv(r->fd, r->in + r->inlen, sizeof(r->in) - r->inlen, 0);
		if (n <= 0)
			return -1;
		r->inlen += (size_t)n;
	}
}

static void
pe_at(struct rsp_pe *pe, uint32_t id, const char *a, uint16_t port,
    int32_t life, uint32_t home)
{
	memset(pe, 0, sizeof(*pe));
	pe->id = id;
	pe->home_id = home;
	pe->life = life;
	pe->user.type = RSP_PARAM_TCP_TRANSPORT;
	pe->user.port = port;
	pe->user.use = RSP_TRANSPORT_USE_DATA_CONTROL;
	pe->user.naddr = 1;
	rsp_addr_parse(&pe->user.addr[0], a);
	pe->policy.type = RSP_POLICY_ROUND_ROBIN;
	pe->policy.nval = 0;
}

static int
send_all(int fd, const void *p, size_t len)
{
	return send(fd, p, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int
send_update(int fd, uint16_t action, const struct rsp_pe *pe)
{
	uint8_t buf[1024];
	struct wbuf w;
	size_t m = enrp_msg_begin(&w, buf, sizeof(buf), ENRP_HANDLE_UPDATE,
	    0, EVIL_ID);

	wbuf_u16(&w, action);
	wbuf_u16(&w, 0);
	rsp_put_handle(&w, POOL, strlen(POOL));
	rsp_put_pe(&w, pe);
	rsp_put_msg_end(&w, m);
	return w.err ? -1 : send_all(fd, buf, w.len);
}

static int
send_simple(int fd, uint8_t type, uint8_t flags)
{
	uint8_t buf[64];
	struct wbuf w;
	size_t m = enrp_msg_begin(&w, buf, sizeof(buf), type, flags, EVIL_ID);

	rsp_put_msg_end(&w, m);
	return send_all(fd, buf, w.len);
}

/* PRESENCE (reply required) naming the stranger's own listener. */
static int
send_presence(int fd, const char *self)
{
	struct rsp_server_info si = { .id = EVIL_ID };
	uint8_t buf[256];
	struct wbuf w;
	size_t m = enrp_msg_begin(&w, buf, sizeof(buf), ENRP_PRESENCE,
	    ENRP_FLAG_REPLY_REQUIRED, EVIL_ID);

	rsp_put_checksum(&w, 0);
	/* Server Information carries an SCTP transport even over TCP. */
	si.transport.type = RSP_PARAM_SCTP_TRANSPORT;
	si.transport.use = RSP_TRANSPORT_USE_DATA;
	si.transport.port = ENRP_PORT;
	si.transport.naddr = 1;
	rsp_addr_parse(&si.transport.addr[0], self);
	rsp_put_server_info(&w, &si);
	rsp_put_msg_end(&w, m);
	return w.err ? -1 : send_all(fd, buf, w.len);
}

/*
 * After the attack on r: a LIST_REQUEST with trailing bytes, which the
 * registrar answers with ENRP_ERROR on this connection once it has read
 * everything before it.  Returns once answered or closed (or, from a
 * registrar that ignores strangers, after 2 s of silence).
 */
static void
enrp_barrier(struct raw *r)
{
	uint8_t b[16] = { ENRP_LIST_REQUEST, 0, 0, 16 };
	struct rsp_msg m;
	uint64_t end = mono_ms() + 2000;
	int rc;

	b[4] = (uint8_t)(EVIL_ID >> 24);
	b[5] = (uint8_t)(EVIL_ID >> 16);
	b[6] = (uint8_t)(EVIL_ID >> 8);
	b[7] = (uint8_t)EVIL_ID;
	if (send_all(r->fd, b, sizeof(b)) != 0)
		return;
	while (mono_ms() < end) {
		rc = raw_recv(r, &m, (int)(end - mono_ms()));
		if (rc <= 0 || m.type == ENRP_ERROR)
			return;
	}
}

/* ---- ASAP helpers ------------------------------------------------------- */

/* Resolve POOL at c: PEs into pes[] (at most max); -1 no answer. */
static int
resolve_pes(struct client *c, struct rsp_pe *pes, int max)
{
	uint8_t buf[256];
	struct rsp_iter it;
	struct rsp_msg m;
	struct rsp_pe pe;
	int n = 0;

	if (c->fd < 0 || client_send(c, buf, build_resolution(buf, sizeof(buf),
	    POOL, 64)) != 0)
		return -1;
	if (client_expect(c, ASAP_HANDLE_RESOLUTION_RESPONSE, &m, 3000) != 1)
		return -1;
	if (m.has_error)
		return 0;
	rsp_iter_init(&it, &m);
	while (rsp_iter_pe(&it, NULL, &pe) == 1 && n < max)
		pes[n++] = pe;
	return n;
}

/* Does c's registrar hand out PE id (at the victim's own address)? */
static bool
resolves(struct client *c, uint32_t id)
{
	struct rsp_pe pes[64];
	char a[64];
	int n, i;

	n = resolve_pes(c, pes, 64);
	for (i = 0; i < n; i++) {
		if (pes[i].id != id)
			continue;
		rsp_addr_str(&pes[i].user.addr[0], a, sizeof(a));
		return strcmp(a, "127.0.0.1") == 0 &&
		    pes[i].user.port == VICTIM_PORT;
	}
	return false;
}

/* Does c's registrar hand out id at all, or any PE at the attacker's port? */
static bool
resolves_evil(struct client *c, uint32_t id)
{
	struct rsp_pe pes[64];
	int n, i;

	n = resolve_pes(c, pes, 64);
	for (i = 0; i < n; i++)
		if (pes[i].id == id || pes[i].user.port == EVIL_PORT)
			return true;
	return false;
}

struct seen {
	struct client	*c;
	uint32_t	 id;
	bool		 want;
};

static bool
seen_cond(void *arg)
{
	struct seen *s = arg;

	return resolves(s->c, s->id) == s->want;
}

static bool
wait_seen(struct client *c, uint32_t id, bool want, int ms)
{
	struct seen s = { c, id, want };

	return wait_until(seen_cond, &s, ms);
}

static int
dereg(struct client *c, uint32_t id)
{
	uint8_t buf[256];
	struct rsp_msg m;

	if (client_send(c, buf, build_deregistration(buf, sizeof(buf), POOL,
	    id)) != 0 || client_expect(c, ASAP_DEREGISTRATION_RESPONSE, &m,
	    3000) != 1)
		return -1;
	return m.has_error ? 1 : 0;
}

/* Answer keep-alives waiting on c for up to ms. */
static void
pump(struct client *c, int ms)
{
	struct rsp_msg m;
	uint64_t end = mono_ms() + (uint64_t)ms;

	while (mono_ms() < end && client_recv(c, &m, (int)(end - mono_ms()),
	    false) == 1)
		;
}

/* ---- the cluster -------------------------------------------------------- */

struct scene {
	struct client	 pe;		/* the victim PE, registered at A */
	struct client	 by;		/* a bystander PE, registered at C */
	struct client	 pu[NREG];	/* a pool user at each registrar */
};

/* Three registrars, victim at `home`, bystander at C, users everywhere. */
static int
cluster_up(struct scene *s, int home)
{
	const char *timers = "\theartbeat-cycle 300ms\n\tmax-time-last-heard "
	    "1s\n\tmax-time-no-response 700ms\n\tmentor-discovery 1500ms\n"
	    "\ttakeover-expiry 2s\n";
	uint16_t cause;
	int i;

	for (i = 0; i < NREG; i++) {
		snprintf(enrp_addr[i], sizeof(enrp_addr[i]), "127.0.%d.%d", net,
		    i + 1);
		addr[i] = enrp_addr[i];
	}
	atexit(kill_all);
	if (start_all(timers) != 0 || !wait_until(all_synchronized, NULL,
	    10000) || !wait_until(checksums_equal, NULL, 10000)) {
		printf("FAIL: cannot start a synchronized cluster of 3\n");
		return -1;
	}
	if (client_connect(&s->pe, reg[home].port) != 0 ||
	    client_connect(&s->by, reg[2].port) != 0 ||
	    do_register(&s->pe, POOL, VICTIM_ID, RSP_POLICY_ROUND_ROBIN, 0, 0,
	    600000, &cause) != 0 || do_register(&s->by, POOL, BYSTANDER_ID,
	    RSP_POLICY_ROUND_ROBIN, 0, 0, 600000, &cause) != 0) {
		printf("FAIL: cannot register the victim and the bystander\n");
		return -1;
	}
	for (i = 0; i < NREG; i++)
		if (client_connect(&s->pu[i], reg[i].port) != 0 ||
		    !wait_seen(&s->pu[i], VICTIM_ID, true, 5000) ||
		    !wait_seen(&s->pu[i], BYSTANDER_ID, true, 5000)) {
			printf("FAIL: victim/bystander not resolvable at "
			    "registrar %c\n", 'A' + i);
			return -1;
		}
	printf("cluster of 3 on %s-3:%d up; victim PE 0x%08x at %c, "
	    "bystander 0x%08x at C\n", addr[0], ENRP_PORT, VICTIM_ID,
	    'A' + home, BYSTANDER_ID);
	return 0;
}

/* Registrar i's peer table holds only the other registrars. */
static bool
only_real_peers(int i, char *why, size_t len)
{
	uint32_t ids[NREG];
	json_t *j, *p;
	size_t k;
	char first[64] = "";
	int x, stray = 0;

	for (x = 0; x < NREG; x++)
		ids[x] = server_id(x);
	if ((j = query(i, "show peers")) == NULL) {
		snprintf(why, len, "no answer");
		return false;
	}
	snprintf(why, len, "only the other two");
	json_array_foreach(json_object_get(j, "peers"), k, p) {
		uint32_t id = hex32(json_object_get(p, "id"));
		const char *a = json_string_value(json_object_get(p,
		    "address"));

		for (x = 0; x < NREG; x++)
			if (x != i && id == ids[x])
				break;
		if (x < NREG)
			continue;
		if (stray++ == 0)
			snprintf(first, sizeof(first), "0x%08x at %s", id,
			    a ? a : "?");
	}
	json_decref(j);
	if (stray > 0)
		snprintf(why, len, "%d stray peer(s), first %s", stray, first);
	return stray == 0;
}

/* What a user checks after an attack on the cluster. */
static void
cluster_verdict(struct scene *s, const char *after)
{
	char why[128];
	int i;

	for (i = 0; i < NREG; i++)
		CHECK(resolves(&s->pu[i], VICTIM_ID), "%s: victim PE still "
		    "resolvable at its own address at %c", after, 'A' + i);
	CHECK(wait_until(checksums_equal, NULL, 5000), "%s: registrars "
	    "consistent (checksums equal)", after);
	for (i = 0; i < NREG; i++) {
		CHECK(resolves(&s->pu[i], VICTIM_ID) &&
		    resolves(&s->pu[i], BYSTANDER_ID), "%s: victim and "
		    "bystander served at %c after convergence", after, 'A' + i);
		CHECK(only_real_peers(i, why, sizeof(why)), "%s: peer table of "
		    "%c: %s", after, 'A' + i, why);
	}
	pump(&s->pe, 10);
	CHECK(daemon_alive(&reg[0]) && daemon_alive(&reg[1]) &&
	    daemon_alive(&reg[2]), "%s: every registrar still running", after);
}

/* The stranger: a connection from 127.0.net.9 to registrar i's ENRP port. */
static struct raw *
stranger(int i)
{
	struct raw *r = &rawbuf[i];

	r->inlen = 0;
	r->fd = tcp_connect_from(host(9), addr[i], ENRP_PORT);
	return r->fd >= 0 ? r : NULL;
}

/* ---- a. a stranger on the ENRP port ------------------------------------- */

static int
enrp_stranger_del(void)
{
	struct scene s;
	struct rsp_pe pe;
	struct raw *r;
	int i;

	if (cluster_up(&s, 0) != 0)
		return 1;
	/* DEL_PE of the victim, naming its true home, at every registrar. */
	pe_at(&pe, VICTIM_ID, "127.0.0.1", VICTIM_PORT, 600000, server_id(0));
	for (i = 0; i < NREG; i++) {
		if ((r = stranger(i)) == NULL) {
			CHECK(true, "ENRP port of %c refuses the stranger",
			    'A' + i);
			continue;
		}
		send_update(r->fd, ENRP_DEL_PE, &pe);
		enrp_barrier(r);
	}
	printf("stranger %s sent HANDLE_UPDATE DEL_PE of 0x%08x to all\n",
	    host(9), VICTIM_ID);
	cluster_verdict(&s, "stranger's DEL_PE");
	return 0;
}

static int
enrp_stranger_add(void)
{
	struct scene s;
	struct rsp_pe pe;
	struct raw *r;
	int i;

	if (cluster_up(&s, 0) != 0)
		return 1;
	pe_at(&pe, EVIL_ID, host(66), EVIL_PORT, RSP_LIFE_INFINITE, EVIL_ID);
	for (i = 0; i < NREG; i++) {
		if ((r = stranger(i)) == NULL)
			continue;
		send_update(r->fd, ENRP_ADD_PE, &pe);
		enrp_barrier(r);
	}
	printf("stranger %s sent HANDLE_UPDATE ADD_PE 0x%08x at %s:%d, "
	    "infinite life, to all\n", host(9), EVIL_ID, host(66), EVIL_PORT);
	for (i = 0; i < NREG; i++)
		CHECK(!resolves_evil(&s.pu[i], EVIL_ID), "injected PE not "
		    "handed out at %c", 'A' + i);
	/* The stranger leaves: nobody may take its "PEs" over. */
	for (i = 0; i < NREG; i++)
		if (rawbuf[i].fd >= 0)
			close(rawbuf[i].fd);
	cluster_verdict(&s, "stranger's ADD_PE");
	for (i = 0; i < NREG; i++)
		CHECK(!resolves_evil(&s.pu[i], EVIL_ID), "injected PE still "
		    "not handed out at %c after the stranger left", 'A' + i);
	return 0;
}

/* Accept on lfd and read ENRP from everything for ms; count messages. */
struct catch {
	int		 lfd;
	int		 nconn;		/* connections accepted */
	bool		 presence;	/* a PRESENCE came */
	bool		 table;		/* a table response with PEs came */
	bool		 victim;	/* ... with the victim in it */
};

static void
catch_for(struct catch *k, struct raw *out, int ms)
{
	static struct raw in[8];
	static int nin;
	uint64_t end = mono_ms() + (uint64_t)ms;
	struct rsp_msg m;
	struct rsp_iter it;
	struct rsp_pe pe;
	int fd, i;

	while (mono_ms() < end) {
		while (k->lfd >= 0 && (fd = accept(k->lfd, NULL, NULL)) >= 0) {
			k->nconn++;
			if (nin < 8) {
				in[nin].fd = fd;
				in[nin++].inlen = 0;
			} else {
				close(fd);
			}
		}
		for (i = -1; i < nin; i++) {
			struct raw *r = i < 0 ? out : &in[i];

			if (r == NULL || r->fd < 0)
				continue;
			while (raw_recv(r, &m, 0) == 1) {
				if (m.type == ENRP_PRESENCE)
					k->presence = true;
				if (m.type != ENRP_HANDLE_TABLE_RESPONSE ||
				    (m.flags & ENRP_FLAG_REJECT))
					continue;
				rsp_iter_init(&it, &m);
				while (rsp_iter_pe(&it, NULL, &pe) == 1) {
					k->table = true;
					if (pe.id == VICTIM_ID)
						k->victim = true;
				}
			}
		}
		poll(NULL, 0, 20);
	}
}

static int
enrp_stranger_table(void)
{
	struct catch k = { .lfd = -1 };
	struct scene s;
	struct raw *r;

	if (cluster_up(&s, 0) != 0)
		return 1;
	/* The stranger listens where it says it is, as a peer would. */
	k.lfd = tcp_listen_at(host(9), ENRP_PORT);
	if (k.lfd < 0 || (r = stranger(1)) == NULL) {
		CHECK(k.lfd >= 0, "stranger listens on %s:%d", host(9),
		    ENRP_PORT);
		CHECK(true, "B's ENRP port refuses the stranger");
		cluster_verdict(&s, "stranger's HANDLE_TABLE_REQUEST");
		return 0;
	}
	send_presence(r->fd, host(9));
	catch_for(&k, r, 1500);
	send_simple(r->fd, ENRP_HANDLE_TABLE_REQUEST, 0);
	catch_for(&k, r, 2500);
	printf("stranger %s asked B for its handle table (B connected back "
	    "%d time(s), PRESENCE %s)\n", host(9), k.nconn,
	    k.presence ? "received" : "not received");
	CHECK(!k.table, "B sent the stranger no handle table%s",
	    k.victim ? " (it sent one with the victim PE)" : "");
	close(r->fd);
	cluster_verdict(&s, "stranger's HANDLE_TABLE_REQUEST");
	return 0;
}

static int
enrp_stranger_list(void)
{
	struct catch k = { .lfd = -1 };
	struct rsp_server_info si;
	struct scene s;
	struct raw *r;
	uint8_t buf[2048];
	struct wbuf w;
	size_t m;
	int i, n;

	if (cluster_up(&s, 0) != 0)
		return 1;
	/* Where the attacker wants the registrars to connect. */
	k.lfd = tcp_listen_at(host(10), ENRP_PORT);
	CHECK(k.lfd >= 0, "attacker's target listens on %s:%d", host(10),
	    ENRP_PORT);
	for (i = 0; i < NREG; i++) {
		if ((r = stranger(i)) == NULL)
			continue;
		m = enrp_msg_begin(&w, buf, sizeof(buf), ENRP_LIST_RESPONSE, 0,
		    EVIL_ID);
		for (n = 0; n < 8; n++) {
			memset(&si, 0, sizeof(si));
			si.id = 0x0bad1000u + (uint32_t)n;
			si.transport.type = RSP_PARAM_SCTP_TRANSPORT;
			si.transport.use = RSP_TRANSPORT_USE_DATA;
			si.transport.port = ENRP_PORT;
			si.transport.naddr = 1;
			rsp_addr_parse(&si.transport.addr[0], host(10));
			rsp_put_server_info(&w, &si);
		}
		rsp_put_msg_end(&w, m);
		send_all(r->fd, buf, w.len);
		enrp_barrier(r);
	}
	printf("stranger %s sent LIST_RESPONSE with 8 servers at %s to all\n",
	    host(9), host(10));
	for (i = 0; i < NREG; i++) {
		char why[128];

		CHECK(only_real_peers(i, why, sizeof(why)), "right after it, "
		    "peer table of %c: %s", 'A' + i, why);
	}
	catch_for(&k, NULL, 2500);
	CHECK(k.nconn == 0, "no registrar connected to the attacker's "
	    "address (%d connection(s))", k.nconn);
	cluster_verdict(&s, "stranger's LIST_RESPONSE");
	return 0;
}

static bool
a_has_victim(void *arg)
{
	struct client *c = arg;

	if (c->fd < 0 && client_connect(c, reg[0].port) != 0)
		return false;
	return resolves(c, VICTIM_ID);
}

static int
enrp_stranger_slots(void)
{
	static int fds[2][200];
	struct scene s;
	struct client pa;
	uint64_t t0;
	int i, j, held[2] = { 0, 0 };

	/* The victim lives at B: a restarted A must learn it from B or C. */
	if (cluster_up(&s, 1) != 0)
		return 1;
	daemon_stop(&reg[0], SIGKILL);
	client_close(&s.pu[0]);
	/* The stranger holds every ENRP connection slot of B and C, idle. */
	for (j = 0; j < 2; j++)
		for (i = 0; i < 200; i++)
			fds[j][i] = tcp_connect_from(host(9), addr[j + 1],
			    ENRP_PORT);
	/* Those the registrars kept (the rest they closed at once). */
	poll(NULL, 0, 300);
	for (j = 0; j < 2; j++)
		for (i = 0; i < 200; i++)
			if (fds[j][i] >= 0 && !peer_closed(fds[j][i]))
				held[j]++;
	printf("stranger %s holds %d ENRP connections to B and %d to C\n",
	    host(9), held[0], held[1]);
	t0 = mono_ms();
	if (daemon_restart(&reg[0]) != 0) {
		CHECK(false, "A restarts");
		return 0;
	}
	pa.fd = -1;
	CHECK(wait_until(a_has_victim, &pa, 12000), "restarted A "
	    "synchronized and resolves the victim PE registered at B (%llu ms)",
	    (unsigned long long)(mono_ms() - t0));
	if (pa.fd >= 0)
		client_close(&pa);
	client_connect(&s.pu[0], reg[0].port);
	CHECK(wait_until(checksums_equal, NULL, 5000), "all three consistent "
	    "while the stranger holds its connections");
	CHECK(resolves(&s.pu[1], VICTIM_ID) && resolves(&s.pu[2], BYSTANDER_ID),
	    "victim and bystander served at B and C");
	for (j = 0; j < 2; j++)
		for (i = 0; i < 200; i++)
			if (fds[j][i] >= 0)
				close(fds[j][i]);
	return 0;
}

/*
 * Found while writing these: TAKEOVER_SERVER from a stranger, naming a live
 * registrar, hands that registrar's PEs to the stranger at every peer and
 * drops the live one from their peer tables.
 */
static int
enrp_stranger_takeover(void)
{
	struct scene s;
	struct raw *r;
	uint8_t buf[64];
	struct wbuf w;
	uint32_t a_id;
	size_t m;
	int i;

	if (cluster_up(&s, 0) != 0)
		return 1;
	a_id = server_id(0);
	for (i = 1; i < NREG; i++) {
		if ((r = stranger(i)) == NULL)
			continue;
		m = enrp_msg_begin(&w, buf, sizeof(buf), ENRP_TAKEOVER_SERVER,
		    0, EVIL_ID);
		wbuf_u32(&w, a_id);
		rsp_put_msg_end(&w, m);
		send_all(r->fd, buf, w.len);
		enrp_barrier(r);
	}
	printf("stranger %s sent TAKEOVER_SERVER naming A (0x%08x) to B and "
	    "C\n", host(9), a_id);
	for (i = 1; i < NREG; i++)
		CHECK(home_of(i, VICTIM_ID) == a_id, "%c still has A as the "
		    "victim's home (0x%08x)", 'A' + i, home_of(i, VICTIM_ID));
	for (i = 0; i < NREG; i++)
		if (rawbuf[i].fd >= 0)
			close(rawbuf[i].fd);
	cluster_verdict(&s, "stranger's TAKEOVER_SERVER");
	for (i = 1; i < NREG; i++)
		CHECK(home_of(i, VICTIM_ID) == a_id, "%c has A as the victim's "
		    "home after convergence", 'A' + i);
	return 0;
}

/* ---- b. through a registrar that is not the PE's home ------------------- */

/*
 * After an attack at B: the marker PE registered at B is deregistered there
 * by its own PE; once A and C dropped it they have handled everything B
 * announced before (one ordered connection from B to each).
 */
static void
b_barrier(struct scene *s, struct client *mk)
{
	int i;

	dereg(mk, MARKER_ID);
	for (i = 0; i < NREG; i += 2)
		wait_seen(&s->pu[i], MARKER_ID, false, 5000);
}

static int
asap_foreign(bool rereg)
{
	struct scene s;
	struct client ev, mk;
	struct rsp_pe pe;
	struct rsp_msg m;
	uint16_t cause;
	uint8_t buf[512];
	struct wbuf w;
	size_t mb;
	int i, rc;

	if (cluster_up(&s, 0) != 0)
		return 1;
	if (client_connect(&mk, reg[1].port) != 0 || do_register(&mk, POOL,
	    MARKER_ID, RSP_POLICY_ROUND_ROBIN, 0, 0, 600000, &cause) != 0 ||
	    !wait_seen(&s.pu[0], MARKER_ID, true, 5000) ||
	    !wait_seen(&s.pu[2], MARKER_ID, true, 5000)) {
		printf("FAIL: marker PE at B\n");
		return 1;
	}
	/* Another client, another host, at B: not the victim's home. */
	if (client_connect_from(&ev, reg[1].port, host(7)) != 0) {
		printf("FAIL: attacker cannot connect to B from %s\n", host(7));
		return 1;
	}
	if (!rereg) {
		rc = dereg(&ev, VICTIM_ID);
		printf("attacker %s deregistered the victim at B: %s\n",
		    host(7), rc == 0 ? "granted" : rc > 0 ? "refused" :
		    "no answer");
	} else {
		pe_at(&pe, VICTIM_ID, host(7), EVIL_PORT, 600000, 0);
		wbuf_init(&w, buf, sizeof(buf));
		mb = rsp_put_msg_begin(&w, ASAP_REGISTRATION, 0);
		rsp_put_handle(&w, POOL, strlen(POOL));
		rsp_put_pe(&w, &pe);
		rsp_put_msg_end(&w, mb);
		rc = client_send(&ev, buf, w.len) == 0 && client_expect(&ev,
		    ASAP_REGISTRATION_RESPONSE, &m, 3000) == 1 ?
		    (m.flags & ASAP_FLAG_REJECT) != 0 : -1;
		printf("attacker %s re-registered the victim's id at B with "
		    "%s:%d: %s\n", host(7), host(7), EVIL_PORT, rc == 0 ?
		    "granted" : rc > 0 ? "refused" : "no answer");
	}
	b_barrier(&s, &mk);
	for (i = 0; i < NREG; i++)
		CHECK(!resolves_evil(&s.pu[i], 0), "no pool user sent to the "
		    "attacker's address at %c", 'A' + i);
	cluster_verdict(&s, rereg ? "foreign re-registration" :
	    "foreign deregistration");
	client_close(&ev);
	client_close(&mk);
	return 0;
}

static int
asap_foreign_dereg(void)
{
	return asap_foreign(false);
}

static int
asap_foreign_rereg(void)
{
	return asap_foreign(true);
}

/* ---- one registrar for the ASAP bounds ---------------------------------- */

static struct daemon	 solo;

static void
solo_cleanup(void)
{
	daemon_stop(&solo, SIGKILL);
}

/* The PEs of a solo registrar answer their keep-alives while we wait. */
static struct client	*solo_pes[2];

static void
pump_pes(int ms)
{
	pump(solo_pes[0], ms / 2);
	pump(solo_pes[1], ms / 2);
}

static int
solo_up(const char *extra, struct client *pe, struct client *by)
{
	uint16_t cause;

	solo_pes[0] = pe;
	solo_pes[1] = by;

	atexit(solo_cleanup);
	if (daemon_start(&solo, extra) != 0) {
		printf("FAIL: cannot start registrard\n");
		return -1;
	}
	if (client_connect(pe, solo.port) != 0 || client_connect(by,
	    solo.port) != 0 || do_register(pe, POOL, VICTIM_ID,
	    RSP_POLICY_ROUND_ROBIN, 0, 0, 600000, &cause) != 0 ||
	    do_register(by, POOL, BYSTANDER_ID, RSP_POLICY_ROUND_ROBIN, 0, 0,
	    600000, &cause) != 0) {
		printf("FAIL: cannot register the victim and the bystander\n");
		return -1;
	}
	return 0;
}

/* ---- c. ENDPOINT_UNREACHABLE flood -------------------------------------- */

static int
asap_unreachable(int n)
{
	struct client pe, by, pu;
	uint8_t buf[128 * 100];
	size_t len = 0;
	uint64_t end;
	bool stayed = true;
	int i;

	if (solo_up("", &pe, &by) != 0 || client_connect_from(&pu, solo.port,
	    host(7)) != 0)
		return 1;
	for (i = 0; i < n; i++)
		len += build_unreachable(buf + len, sizeof(buf) - len, POOL,
		    VICTIM_ID);
	client_send(&pu, buf, len);
	/* Its resolution answer comes after the reports were handled. */
	resolve_pes(&pu, NULL, 0);
	printf("pool user %s reported the victim unreachable %d times\n",
	    host(7), n);
	/* The victim answers every keep-alive meanwhile; it must stay. */
	end = mono_ms() + 3000;
	while (stayed && mono_ms() < end) {
		pump_pes(100);
		stayed = resolves(&pu, VICTIM_ID);
	}
	CHECK(stayed, "healthy victim PE (answering its keep-alives) still "
	    "registered after %d reports from one user", n);
	CHECK(resolves(&pu, BYSTANDER_ID), "bystander served");
	CHECK(daemon_alive(&solo), "registrard still running");
	return 0;
}

static int
asap_unreachable_4(void)
{
	return asap_unreachable(4);
}

static int
asap_unreachable_100(void)
{
	return asap_unreachable(100);
}

/* ---- d. one host against the ASAP slots --------------------------------- */

static bool
pu_served(void *arg)
{
	struct client *c = arg;

	pump_pes(20);
	if (c->fd < 0 && client_connect(c, solo.port) != 0)
		return false;
	if (resolves(c, VICTIM_ID))
		return true;
	client_close(c);
	return false;
}

static int
asap_slots_idle(void)
{
	static int fds[300];
	struct client pe, by, pu;
	uint64_t t0;
	int i, held = 0;

	if (solo_up("limits {\n\tassociations 64\n}\n", &pe, &by) != 0)
		return 1;
	for (i = 0; i < 300; i++)
		fds[i] = tcp_connect_from(host(7), "127.0.0.1", solo.port);
	poll(NULL, 0, 300);
	for (i = 0; i < 300; i++)
		if (fds[i] >= 0 && !peer_closed(fds[i]))
			held++;
	printf("attacker %s opened 300 idle ASAP connections, %d held "
	    "(limit 64)\n", host(7), held);
	t0 = mono_ms();
	pu.fd = -1;
	CHECK(wait_until(pu_served, &pu, 15000), "a pool user from another "
	    "host served (%llu ms)", (unsigned long long)(mono_ms() - t0));
	pump_pes(10);
	CHECK(resolves(&pe, VICTIM_ID) && resolves(&pe, BYSTANDER_ID),
	    "victim and bystander still registered");
	for (i = 0; i < 300; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}

static int
asap_trickle(void)
{
	struct client pe, by, pu;
	uint8_t msg[2000];
	size_t len, k = 0;
	uint64_t t0, end;
	bool closed = false;
	int fd;

	if (solo_up("", &pe, &by) != 0)
		return 1;
	/* A registration of 2000 bytes, sent one byte a second. */
	memset(msg, 0, sizeof(msg));
	len = build_registration(msg, sizeof(msg), POOL, 0x4444,
	    RSP_POLICY_ROUND_ROBIN, 0, 0, 6666, 600000);
	msg[2] = (uint8_t)(sizeof(msg) >> 8);
	msg[3] = (uint8_t)sizeof(msg);
	(void)len;
	if ((fd = tcp_connect_from(host(7), "127.0.0.1", solo.port)) < 0) {
		printf("FAIL: connect\n");
		return 1;
	}
	t0 = mono_ms();
	end = t0 + 20000;
	while (!closed && mono_ms() < end) {
		if (send(fd, msg + k, 1, MSG_NOSIGNAL) != 1) {
			closed = true;
			break;
		}
		k++;
		poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 1000);
		closed = peer_closed(fd);
		pump_pes(2);
	}
	CHECK(closed, "a message trickled in at 1 byte/s is cut off within "
	    "20 s (%s after %llu ms, %zu bytes sent)", closed ? "closed" :
	    "still open", (unsigned long long)(mono_ms() - t0), k);
	close(fd);
	CHECK(client_connect(&pu, solo.port) == 0 && resolves(&pu, VICTIM_ID),
	    "victim still served");
	return 0;
}

static long
rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = atol(line + 6);
	fclose(f);
	return kb;
}

static int
asap_noread(void)
{
	enum { NCLIENTS = 32 };
	static int fds[NCLIENTS];
	struct client pe, by, pu, more[40];
	uint8_t req[256 * 64];
	size_t rl = 0;
	long base, peak = 0, now;
	uint64_t end;
	uint16_t cause;
	int i, rcv = 2048, open_fds;

	/*
	 * Memory is what we measure: keep ASan's quarantine of freed blocks
	 * small in the daemon, or it would count transient buffers too.
	 */
	{
		const char *o = getenv("ASAN_OPTIONS");
		char opt[512];

		snprintf(opt, sizeof(opt), "%s%squarantine_size_mb=4",
		    o != NULL ? o : "", o != NULL && *o != '\0' ? ":" : "");
		setenv("ASAN_OPTIONS", opt, 1);
	}
	if (solo_up("asap {\n\tkeepalive-interval 1h\n}\n"
	    "limits {\n\tpes-per-association 100\n\trequest-rate "
	    "1000000 burst 1000000\n}\n", &pe, &by) != 0)
		return 1;
	/* A pool whose answers are big (40 more PEs). */
	for (i = 0; i < 40; i++)
		if (client_connect(&more[i], solo.port) != 0 ||
		    do_register(&more[i], POOL, 0x5000 + (uint32_t)i,
		    RSP_POLICY_ROUND_ROBIN, 0, 0, 600000, &cause) != 0) {
			printf("FAIL: filler PEs\n");
			return 1;
		}
	for (i = 0; i < 64; i++)
		rl += build_resolution(req + rl, sizeof(req) - rl, POOL, 64);
	base = rss_kb(solo.pid);
	for (i = 0; i < NCLIENTS; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
		    .sin_port = htons(solo.port) };

		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fds[i], (struct sockaddr *)&sin,
		    sizeof(sin)) != 0) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	end = mono_ms() + 8000;
	while (mono_ms() < end) {
		open_fds = 0;
		for (i = 0; i < NCLIENTS; i++) {
			if (fds[i] < 0)
				continue;
			if (send(fds[i], req, rl, MSG_NOSIGNAL |
			    MSG_DONTWAIT) < 0 && errno != EAGAIN &&
			    errno != EWOULDBLOCK) {
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			open_fds++;
		}
		if ((now = rss_kb(solo.pid)) > peak)
			peak = now;
		pump_pes(10);
		if (open_fds == 0)
			break;
	}
	printf("32 clients that send but never read: registrard RSS %ld -> "
	    "peak %ld KiB\n", base, peak);
	CHECK(peak - base < 48 * 1024, "send queues stay within a global "
	    "budget: growth %ld KiB < 48 MiB", peak - base);
	/* (they are still connected, with what they sent not yet read) */
	pu.fd = -1;
	end = mono_ms();
	CHECK(wait_until(pu_served, &pu, 10000), "a pool user is still served "
	    "(%llu ms)", (unsigned long long)(mono_ms() - end));
	for (i = 0; i < NCLIENTS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}

/* CPU time registrard used so far, in clock ticks. */
static long
cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after "(comm)": state is field 3, utime 14, stime 15 */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
	    &st) != 2)
		return -1;
	return (long)(ut + st);
}

/*
 * Under systemd's usual 1024 files (here 128, to be quick) one host's
 * connections exhaust the descriptors: accept() fails with EMFILE, and
 * must not spin (nor starve the control socket) while it does.
 */
static int
asap_emfile(void)
{
	static int fds[400];
	struct rlimit rl, low;
	struct client pe, by;
	long t0, t1, hz = sysconf(_SC_CLK_TCK);
	char out[4096];
	uint64_t q0;
	int i, rc, held = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1;
	low = rl;
	low.rlim_cur = 128;
	setrlimit(RLIMIT_NOFILE, &low);		/* the daemon inherits it */
	rc = solo_up("", &pe, &by);
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rc != 0)
		return 1;
	for (i = 0; i < 400; i++)
		fds[i] = tcp_connect_nb(host(7), "127.0.0.1", solo.port);
	for (i = 0; i < 400; i++)
		if (fds[i] >= 0)
			held++;
	printf("attacker %s opened %d connections to a registrard limited "
	    "to 128 files\n", host(7), held);
	pump_pes(200);
	t0 = cpu_ticks(solo.pid);
	pump_pes(2000);
	t1 = cpu_ticks(solo.pid);
	CHECK(t0 >= 0 && t1 >= 0 && (t1 - t0) * 4 < hz * 2, "registrard "
	    "does not spin on EMFILE: %ld ms of CPU in 2 s",
	    (t1 - t0) * 1000 / hz);
	q0 = mono_ms();
	rc = control_query(&solo, "show summary", out, sizeof(out));
	CHECK(rc == 0 && strstr(out, "\"summary\"") != NULL, "control "
	    "socket answers meanwhile (%llu ms)",
	    (unsigned long long)(mono_ms() - q0));
	CHECK(resolves(&pe, VICTIM_ID) && resolves(&pe, BYSTANDER_ID),
	    "victim and bystander still registered and served");
	for (i = 0; i < 400; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}

/* ---- e. the metrics endpoint -------------------------------------------- */

static uint16_t	 mport;

static int
metrics_up(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	char extra[128];
	int fd;

	atexit(solo_cleanup);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) != 0)
		return -1;
	close(fd);
	mport = ntohs(sin.sin_port);
	snprintf(extra, sizeof(extra), "metrics listen 127.0.0.1 port %u\n",
	    mport);
	if (daemon_start(&solo, extra) != 0) {
		printf("FAIL: cannot start registrard with metrics\n");
		return -1;
	}
	return 0;
}

/* GET /metrics from src within ms: the answer is a 200 with our gauge. */
static bool
scrape(const char *src, int ms)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	static char out[1 << 16];
	struct pollfd pfd;
	uint64_t end = mono_ms() + (uint64_t)ms;
	size_t len = 0;
	ssize_t n;
	int fd, left;

	if ((fd = tcp_connect_from(src, "127.0.0.1", mport)) < 0)
		return false;
	if (send_all(fd, req, strlen(req)) != 0) {
		close(fd);
		return false;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		left = (int)((int64_t)end - (int64_t)mono_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		n = recv(fd, out + len, sizeof(out) - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	out[len] = '\0';
	return len > 12 && strncmp(out, "HTTP/1.", 7) == 0 &&
	    strncmp(out + 8, " 200 ", 5) == 0 &&
	    strstr(out, "anypool_registrar_pes ") != NULL;
}

struct scrape_arg {
	const char	*src;
};

static bool
scrape_cond(void *arg)
{
	struct scrape_arg *s = arg;

	return scrape(s->src, 1000);
}

static int
metrics_burst(void)
{
	static const char *const shape[] = {
		"opened and closed idle",
		"sent a request and closed without reading",
		"sent half a request and closed",
	};
	static const char *const data[] = {
		NULL, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "GET /met",
	};
	int fds[40], s, i, round;
	struct scrape_arg sa = { "127.0.0.1" };

	if (metrics_up() != 0)
		return 1;
	CHECK(scrape("127.0.0.1", 3000), "metrics answer at first");
	for (round = 0; round < 2; round++)
		for (s = 0; s < 3; s++) {
			for (i = 0; i < 40; i++) {
				fds[i] = tcp_connect_from(round ? host(7) :
				    "127.0.0.1", "127.0.0.1", mport);
				if (fds[i] >= 0 && data[s] != NULL)
					send(fds[i], data[s], strlen(data[s]),
					    MSG_NOSIGNAL);
			}
			poll(NULL, 0, 100);
			for (i = 0; i < 40; i++)
				if (fds[i] >= 0)
					close(fds[i]);
			CHECK(wait_until(scrape_cond, &sa, 5000), "metrics "
			    "answer after 40 connections from %s %s",
			    round ? host(7) : "127.0.0.1", shape[s]);
		}
	CHECK(daemon_alive(&solo), "registrard still running");
	return 0;
}

static int
metrics_idle_flood(void)
{
	static int fds[200];
	struct scrape_arg sa = { "127.0.0.1" };
	int i;

	if (metrics_up() != 0)
		return 1;
	for (i = 0; i < 200; i++)
		fds[i] = tcp_connect_from(host(7), "127.0.0.1", mport);
	printf("attacker %s holds 200 idle metrics connections\n", host(7));
	CHECK(wait_until(scrape_cond, &sa, 5000), "a scraper from another "
	    "host is answered meanwhile");
	for (i = 0; i < 200; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	CHECK(wait_until(scrape_cond, &sa, 5000), "and after they close");
	return 0;
}

static int
metrics_trickle(void)
{
	enum { NT = 64 };
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: victim\r\n"
	    "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
	struct scrape_arg sa = { "127.0.0.1" };
	int fds[NT], i, nopen;
	size_t k = 0;
	uint64_t t0 = mono_ms(), end;

	if (metrics_up() != 0)
		return 1;
	/* 64 connections from 8 addresses: as many as there are slots. */
	for (i = 0; i < NT; i++)
		fds[i] = tcp_connect_from(host(10 + i / 8), "127.0.0.1", mport);
	end = t0 + 16000;
	for (;;) {
		nopen = 0;
		for (i = 0; i < NT; i++) {
			if (fds[i] < 0)
				continue;
			if (peer_closed(fds[i]) || send(fds[i],
			    req + k % (sizeof(req) - 1), 1,
			    MSG_NOSIGNAL) != 1) {
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			nopen++;
		}
		k++;
		if (nopen == 0 || mono_ms() >= end)
			break;
		poll(NULL, 0, 1000);
	}
	CHECK(nopen == 0, "64 requests trickled at 1 byte/s from 8 hosts all "
	    "cut off within 16 s (%d still open after %llu ms)", nopen,
	    (unsigned long long)(mono_ms() - t0));
	CHECK(wait_until(scrape_cond, &sa, 5000), "metrics answer afterwards");
	for (i = 0; i < NT; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}

/* ---- main --------------------------------------------------------------- */

static const struct {
	const char	*name;
	int		(*fn)(void);
	bool		 enrp;
	const char	*what;
} cases[] = {
	{ "enrp-stranger-del", enrp_stranger_del, true,
	    "a non-peer's HANDLE_UPDATE DEL_PE does not delete a live PE" },
	{ "enrp-stranger-add", enrp_stranger_add, true,
	    "a non-peer's ADD_PE (infinite life) is never handed out" },
	{ "enrp-stranger-table", enrp_stranger_table, true,
	    "a non-peer does not get the handle table" },
	{ "enrp-stranger-list", enrp_stranger_list, true,
	    "a non-peer's LIST_RESPONSE adds no peers, opens no connections" },
	{ "enrp-stranger-slots", enrp_stranger_slots, true,
	    "a non-peer holding ENRP connections does not stop a restarted "
	    "peer from synchronizing" },
	{ "enrp-stranger-takeover", enrp_stranger_takeover, true,
	    "a non-peer's TAKEOVER_SERVER does not take a live registrar's "
	    "PEs" },
	{ "asap-foreign-dereg", asap_foreign_dereg, true,
	    "another client cannot deregister a PE through a non-home "
	    "registrar" },
	{ "asap-foreign-rereg", asap_foreign_rereg, true,
	    "another client cannot re-register a PE's id with its own address "
	    "through a non-home registrar" },
	{ "asap-unreachable-4", asap_unreachable_4, false,
	    "4 ENDPOINT_UNREACHABLE from one user do not evict a healthy PE" },
	{ "asap-unreachable-100", asap_unreachable_100, false,
	    "100 ENDPOINT_UNREACHABLE from one user do not evict a healthy "
	    "PE" },
	{ "asap-slots-idle", asap_slots_idle, false,
	    "one host's idle connections do not lock out pool users" },
	{ "asap-trickle", asap_trickle, false,
	    "a message trickled at 1 byte/s does not hold its slot forever" },
	{ "asap-emfile", asap_emfile, false,
	    "descriptors exhausted by one host: no EMFILE busy loop, the "
	    "control socket answers" },
	{ "asap-noread", asap_noread, false,
	    "clients that never read do not grow send queues without bound" },
	{ "metrics-burst", metrics_burst, false,
	    "metrics answer after bursts of connections opened and closed" },
	{ "metrics-idle-flood", metrics_idle_flood, false,
	    "metrics answer while one host holds many idle connections" },
	{ "metrics-trickle", metrics_trickle, false,
	    "requests trickled in from many hosts are cut off" },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static void
on_alarm(int sig)
{
	static const char m[] = "FAIL: case took longer than 45 s\n";

	(void)sig;
	(void)!write(1, m, sizeof(m) - 1);
	kill_all();
	solo_cleanup();
	_exit(1);
}

int
main(int argc, char **argv)
{
	const char *name, *slash;
	char buf[64];
	size_t i, n;

	signal(SIGPIPE, SIG_IGN);
	if (argc != 2) {
		fprintf(stderr, "usage: test_attack CASE | -l\n");
		return 2;
	}
	if (strcmp(argv[1], "-l") == 0) {
		for (i = 0; i < NCASES; i++)
			printf("%-22s %s\n", cases[i].name, cases[i].what);
		return 0;
	}
	/* tests/security/cases/NAME.attack, as make check passes it */
	name = (slash = strrchr(argv[1], '/')) != NULL ? slash + 1 : argv[1];
	n = strcspn(name, ".");
	snprintf(buf, sizeof(buf), "%.*s", (int)n, name);
	for (i = 0; i < NCASES; i++)
		if (strcmp(cases[i].name, buf) == 0)
			break;
	if (i == NCASES) {
		fprintf(stderr, "test_attack: no case %s (-l lists them)\n",
		    buf);
		return 2;
	}
	if (harness_sctp()) {
		printf("SKIP: these attacks run over TCP only\n");
		return 77;
	}
	net = 40 + (int)i;
	signal(SIGALRM, on_alarm);
	alarm(45);
	printf("case %s: %s\n", cases[i].name, cases[i].what);
	if (cases[i].fn() != 0)
		return 1;
	printf("%s: %s: %d failure(s)\n", failures ? "FAIL" : "PASS",
	    cases[i].name, failures);
	return failures ? 1 : 0;
}
