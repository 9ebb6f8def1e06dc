/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tests of registrard's operator interfaces (registrar/control.c and
 * registrar/metrics.c) without the ASAP server: a registrar is assembled by
 * hand around a real handlespace, then the request parser and the JSON
 * answers, the Prometheus rendering, the control socket (stale socket
 * removal, several requests on one connection, limits, idle timeout) and
 * the HTTP exporter in the event loop are checked.
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
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <jansson.h>

#include "registrar.h"
#include "control.h"
#include "control_int.h"
#include "tests/common/unixclient.h"


/* asap_server.c is not linked here. */
const char *
assoc_transport_name(enum assoc_transport t)
{
	return t == ASSOC_SCTP ? "sctp" : "tcp";
}

struct fixture {
	struct registrar	 r;
	struct ev_test_clock	 clock;
	struct assoc		 as;
	struct reg_pe		 rp;
	struct listener		 l;
	char			 dir[64];
};

static void
add_pe(struct fixture *f, const char *pool, uint32_t id, uint32_t home,
    uint32_t policy, uint32_t weight, int32_t life, struct hs_pe **ret)
{
	struct rsp_pe pe = { 0 };

	pe.id = id;
	pe.home_id = home;
	pe.life = life;
	pe.user.type = RSP_PARAM_TCP_TRANSPORT;
	pe.user.port = 7;
	pe.user.naddr = 2;
	assert_int_equal(rsp_addr_parse(&pe.user.addr[0], "192.0.2.10"), 0);
	assert_int_equal(rsp_addr_parse(&pe.user.addr[1], "2001:db8::10"), 0);
	pe.policy.type = policy;
	if (policy == RSP_POLICY_WEIGHTED_ROUND_ROBIN) {
		pe.policy.nval = 1;
		pe.policy.val[0] = weight;
	}
	assert_int_equal(hs_register(f->r.hs, (const uint8_t *)pool,
	    strlen(pool), &pe, life < 0 ? HS_NEVER :
	    ev_now(f->r.loop) + (uint64_t)life, ret, NULL), 0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct registrar *r = &f->r;
	struct sockaddr_in *sin = (void *)&f->l.ss;
	struct hs_pe *pe;
	static const uint8_t bin[] = { 0x01, 0xff, 0x00 };
	struct rsp_pe x = { 0 };

	assert_non_null(f);
	assert_non_null(r->loop = ev_loop_new());
	ev_test_clock_install(r->loop, &f->clock, 10000000);
	assert_non_null(r->hs = hs_new(NULL));
	r->server_id = 0x11111111;
	r->started = 10000000 - 3723000;	/* 1h02m03s ago */
	snprintf(r->conf.node_name, sizeof(r->conf.node_name), "pop-\"a\"");
	r->conf.life_unit = 1;
	r->conf.announce = true;
	TAILQ_INIT(&r->assocs);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(3863);
	f->l.transport = ASSOC_TCP;
	r->listeners = &f->l;
	r->nlisteners = 1;

	add_pe(f, "echo", 0x1234, r->server_id, RSP_POLICY_ROUND_ROBIN, 0,
	    30000, &pe);
	add_pe(f, "echo", 0x5678, 0x22222222, RSP_POLICY_ROUND_ROBIN, 0, -1,
	    NULL);
	add_pe(f, "web", 0x9, r->server_id, RSP_POLICY_WEIGHTED_ROUND_ROBIN,
	    5, 60000, NULL);
	x.id = 0xabc;
	x.home_id = 0x22222222;
	x.life = 5000;
	x.user.type = RSP_PARAM_SCTP_TRANSPORT;
	x.user.port = 9;
	x.policy.type = RSP_POLICY_ROUND_ROBIN;
	assert_int_equal(hs_register(r->hs, bin, sizeof(bin), &x, 10005000,
	    NULL, NULL), 0);

	f->as.r = r;
	f->as.id = 7;
	f->as.transport = ASSOC_TCP;
	snprintf(f->as.name, sizeof(f->as.name), "tcp 192.0.2.10:4000");
	f->as.since = 10000000 - 90000;
	f->as.rx_msgs = 12;
	f->as.tx_msgs = 11;
	f->as.npes = 1;
	sin = (void *)&f->as.peer;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(4000);
	inet_pton(AF_INET, "192.0.2.10", &sin->sin_addr);
	LIST_INIT(&f->as.pes);
	TAILQ_INSERT_TAIL(&r->assocs, &f->as, entry);
	r->nassocs = 1;
	f->rp.r = r;
	f->rp.pe = pe;
	f->rp.as = &f->as;
	f->rp.ka_waiting = true;
	f->rp.bad_reports = 2;
	LIST_INSERT_HEAD(&f->as.pes, &f->rp, as_entry);
	hs_pe_set_udata(pe, &f->rp);

	r->stats.rx_msgs[ASAP_REGISTRATION] = 5;
	r->stats.tx_msgs[ASAP_ENDPOINT_KEEP_ALIVE] = 3;
	r->stats.rx_errors[RSP_CAUSE_INVALID_VALUES] = 2;
	r->stats.rx_errors[RSP_CAUSE_MAX + 1] = 1;
	r->stats.registrations = 4;
	r->stats.keepalive_timeouts = 1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	control_stop(&f->r);
	hs_free(f->r.hs);
	authz_free(&f->r);
	ev_loop_free(f->r.loop);
	if (f->dir[0] != '\0') {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		(void)system(cmd);
	}
	free(f);
	return 0;
}

/* Names ------------------------------------------------------------------ */

static void
test_slug(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "Registration", "registration" },
		{ "Endpoint Keep-Alive Ack", "endpoint_keep_alive_ack" },
		{ "Inconsistent Data/Control Configuration",
		    "inconsistent_data_control_configuration" },
		{ "  Lead and trail  ", "lead_and_trail" },
		{ "", "" },
	};
	char b[64], small[5];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(control_slug(t[i].in, b, sizeof(b)),
		    t[i].out);
	assert_string_equal(control_slug("Abc Def", small, sizeof(small)),
	    "abc");
}

/* Requests --------------------------------------------------------------- */

static json_t *
cmd(struct fixture *f, const char *line)
{
	json_t *o = control_command(&f->r, line);

	assert_non_null(o);
	assert_true(json_is_object(o));
	return o;
}

static void
assert_usage_error(json_t *o)
{
	assert_true(json_is_string(json_object_get(o, "error")));
	assert_true(json_is_array(json_object_get(o, "commands")));
	assert_true(json_array_size(json_object_get(o, "commands")) >= 6);
	json_decref(o);
}

static void
test_parser(void **state)
{
	struct fixture *f = *state;
	char longline[2048];
	json_t *o;

	assert_usage_error(cmd(f, ""));
	assert_usage_error(cmd(f, "   \t"));
	assert_usage_error(cmd(f, "show"));
	assert_usage_error(cmd(f, "show poolsx"));
	assert_usage_error(cmd(f, "frobnicate"));
	assert_usage_error(cmd(f, "show pools extra"));
	assert_usage_error(cmd(f, "show pes a b"));
	assert_usage_error(cmd(f, "\x01\xff\xfe"));
	o = cmd(f, "a b c d e f g h i");
	assert_true(json_is_string(json_object_get(o, "error")));
	json_decref(o);
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	o = cmd(f, longline);
	assert_true(json_is_string(json_object_get(o, "error")));
	json_decref(o);
	/* blanks around and between words do not matter */
	o = cmd(f, "  show \t pools \r");
	assert_true(json_is_array(json_object_get(o, "pools")));
	json_decref(o);
	o = cmd(f, "help");
	assert_true(json_is_array(json_object_get(o, "commands")));
	assert_null(json_object_get(o, "error"));
	json_decref(o);
}

static json_t *
find(json_t *arr, const char *key, const char *val)
{
	size_t i;
	json_t *x;

	json_array_foreach(arr, i, x)
		if (json_is_string(json_object_get(x, key)) &&
		    strcmp(json_string_value(json_object_get(x, key)), val) == 0)
			return x;
	return NULL;
}

static void
test_show_pools(void **state)
{
	struct fixture *f = *state;
	json_t *o = cmd(f, "show pools"), *a = json_object_get(o, "pools"), *p;

	assert_int_equal(json_array_size(a), 3);
	assert_non_null(p = find(a, "handle", "echo"));
	assert_string_equal(json_string_value(json_object_get(p, "policy")),
	    "Round Robin");
	assert_int_equal(json_integer_value(json_object_get(p, "pes")), 2);
	assert_string_equal(json_string_value(json_object_get(p,
	    "handle_hex")), "6563686f");
	assert_non_null(p = find(a, "handle", "0x01ff00"));
	assert_non_null(p = find(a, "handle", "web"));
	assert_string_equal(json_string_value(json_object_get(p, "policy")),
	    "Weighted Round Robin");
	json_decref(o);
}

static void
test_show_pes(void **state)
{
	struct fixture *f = *state;
	json_t *o, *a, *p;

	o = cmd(f, "show pes");
	a = json_object_get(o, "pes");
	assert_int_equal(json_array_size(a), 4);
	json_decref(o);

	f->clock.now_ms += 1000;	/* 29 s left of 30 */
	o = cmd(f, "show pes echo");
	a = json_object_get(o, "pes");
	assert_int_equal(json_array_size(a), 2);
	assert_non_null(p = find(a, "id", "0x00001234"));
	assert_string_equal(json_string_value(json_object_get(p, "home")),
	    "0x11111111");
	assert_true(json_is_true(json_object_get(p, "own")));
	assert_string_equal(json_string_value(json_object_get(p, "pool")),
	    "echo");
	assert_string_equal(json_string_value(json_object_get(p,
	    "transport")), "tcp");
	assert_int_equal(json_integer_value(json_object_get(p, "port")), 7);
	/* Nobody authenticated registered it (registrant-identity.md). */
	assert_true(json_is_null(json_object_get(p, "registrant")));
	json_decref(o);
	{
		struct hs_pe *pe = hs_lookup(f->r.hs, (const uint8_t *)"echo",
		    4, 0x1234);

		assert_non_null(pe);
		hs_pe_set_registrant(pe, authz_token(&f->r,
		    RSP_REGISTRANT_PSK, "pe-echo", 7));
	}
	o = cmd(f, "show pes echo");
	a = json_object_get(o, "pes");
	assert_non_null(p = find(a, "id", "0x00001234"));
	assert_string_equal(json_string_value(json_object_get(p,
	    "registrant")), "psk:pe-echo");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(p, "addresses"), 1)), "2001:db8::10");
	assert_int_equal(json_integer_value(json_object_get(p,
	    "registration_life_ms")), 30000);
	assert_int_equal(json_integer_value(json_object_get(p,
	    "expires_in_ms")), 29000);
	assert_string_equal(json_string_value(json_object_get(p,
	    "association")), "tcp 192.0.2.10:4000");
	assert_int_equal(json_integer_value(json_object_get(p,
	    "association_id")), 7);
	assert_int_equal(json_integer_value(json_object_get(p,
	    "bad_reports")), 2);
	assert_string_equal(json_string_value(json_object_get(p,
	    "keepalive")), "waiting");
	assert_non_null(p = find(a, "id", "0x00005678"));
	assert_true(json_is_false(json_object_get(p, "own")));
	assert_true(json_is_null(json_object_get(p, "expires_in_ms")));
	assert_true(json_is_null(json_object_get(p, "registration_life_ms")));
	assert_true(json_is_null(json_object_get(p, "association")));
	assert_string_equal(json_string_value(json_object_get(p,
	    "keepalive")), "remote");
	json_decref(o);

	o = cmd(f, "show pes web");
	p = json_array_get(json_object_get(o, "pes"), 0);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(p,
	    "policy_values"), 0)), 5);
	json_decref(o);

	/* a handle that is not printable, named in hex */
	o = cmd(f, "show pes 0x01ff00");
	a = json_object_get(o, "pes");
	assert_int_equal(json_array_size(a), 1);
	p = json_array_get(a, 0);
	assert_string_equal(json_string_value(json_object_get(p, "pool")),
	    "0x01ff00");
	assert_string_equal(json_string_value(json_object_get(p,
	    "transport_use")), "data");
	json_decref(o);

	o = cmd(f, "show pes nosuch");
	assert_string_equal(json_string_value(json_object_get(o, "error")),
	    "no pool \"nosuch\"");
	assert_null(json_object_get(o, "commands"));
	json_decref(o);
	o = cmd(f, "show pes 0x0");
	assert_non_null(json_object_get(o, "error"));
	json_decref(o);
	o = cmd(f, "show pes 0xzz");
	assert_non_null(json_object_get(o, "error"));
	json_decref(o);
}

static void
test_show_assocs_stats_summary(void **state)
{
	struct fixture *f = *state;
	json_t *o, *a, *s;

	o = cmd(f, "show associations");
	a = json_array_get(json_object_get(o, "associations"), 0);
	assert_non_null(a);
	assert_int_equal(json_integer_value(json_object_get(a, "id")), 7);
	assert_string_equal(json_string_value(json_object_get(a, "peer")),
	    "192.0.2.10:4000");
	assert_int_equal(json_integer_value(json_object_get(a, "age_s")), 90);
	assert_int_equal(json_integer_value(json_object_get(a, "pes")), 1);
	assert_int_equal(json_integer_value(json_object_get(a, "rx_msgs")),
	    12);
	json_decref(o);

	o = cmd(f, "show stats");
	s = json_object_get(o, "stats");
	assert_string_equal(json_string_value(json_object_get(s,
	    "server_id")), "0x11111111");
	assert_int_equal(json_integer_value(json_object_get(s, "uptime_s")),
	    3723);
	assert_int_equal(json_integer_value(json_object_get(s, "pes")), 4);
	assert_int_equal(json_integer_value(json_object_get(s, "own_pes")),
	    2);
	assert_true(json_is_string(json_object_get(s, "pe_checksum")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s,
	    "messages_received"), "registration")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s,
	    "messages_sent"), "endpoint_keep_alive")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s,
	    "decode_errors"), "invalid_values")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s,
	    "decode_errors"), "other")), 1);
	assert_int_equal(json_integer_value(json_object_get(s,
	    "registrations")), 4);
	assert_int_equal(json_integer_value(json_object_get(s,
	    "config_reload_failures")), 0);
	json_decref(o);

	o = cmd(f, "show summary");
	s = json_object_get(o, "summary");
	assert_string_equal(json_string_value(json_object_get(s, "node")),
	    "pop-\"a\"");
	assert_int_equal(json_integer_value(json_object_get(s, "pools")), 3);
	assert_int_equal(json_integer_value(json_object_get(s,
	    "associations")), 1);
	assert_true(json_is_true(json_object_get(s, "announce")));
	assert_true(json_is_false(json_object_get(s, "sctp_available")));
	a = json_array_get(json_object_get(s, "listeners"), 0);
	assert_string_equal(json_string_value(json_object_get(a,
	    "transport")), "tcp");
	assert_string_equal(json_string_value(json_object_get(a, "address")),
	    "0.0.0.0:3863");
	json_decref(o);
}

/* Metrics text ----------------------------------------------------------- */

static void
test_metrics_render(void **state)
{
	struct fixture *f = *state;
	char *buf, *line, *save = NULL, name[128];
	size_t len;
	int samples = 0;

	assert_int_equal(metrics_render(&f->r, &buf, &len), 0);
	assert_int_equal(strlen(buf), len);
	assert_non_null(strstr(buf, "# TYPE anypool_registrar_messages_"
	    "received_total counter\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_messages_received_"
	    "total{type=\"registration\"} 5\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_messages_sent_total"
	    "{type=\"endpoint_keep_alive\"} 3\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_decode_errors_total"
	    "{cause=\"invalid_values\"} 2\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_decode_errors_total"
	    "{cause=\"other\"} 1\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_registrations_total "
	    "4\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_keepalive_timeouts_"
	    "total 1\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_pools 3\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_pes 4\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_own_pes 2\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_associations 1\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_uptime_seconds "
	    "3723\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_sctp_available 0\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_announce_enabled "
	    "1\n"));
	assert_non_null(strstr(buf, "\nanypool_registrar_info{server_id="
	    "\"0x11111111\",node=\"pop-\\\"a\\\"\"} 1\n"));
	snprintf(name, sizeof(name), "\nanypool_registrar_pe_checksum %u\n",
	    hs_checksum(f->r.hs, f->r.server_id));
	assert_non_null(strstr(buf, name));

	/* Every sample has a name with the prefix, announced by HELP+TYPE. */
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char help[160], type[160];
		size_t n;

		if (line[0] == '#')
			continue;
		samples++;
		assert_memory_equal(line, "anypool_registrar_", 18);
		n = strcspn(line, "{ ");
		assert_true(n < sizeof(name));
		memcpy(name, line, n);
		name[n] = '\0';
		snprintf(help, sizeof(help), "# HELP %s ", name);
		snprintf(type, sizeof(type), "# TYPE %s ", name);
		/* buf was cut by strtok_r: search a fresh rendering */
		{
			char *b2;
			size_t l2;

			assert_int_equal(metrics_render(&f->r, &b2, &l2), 0);
			assert_non_null(strstr(b2, help));
			assert_non_null(strstr(b2, type));
			free(b2);
		}
	}
	assert_true(samples > 60);
	free(buf);
}

/* The control socket ----------------------------------------------------- */

static void
make_dir(struct fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_control.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->r.conf.control_socket, sizeof(f->r.conf.control_socket),
	    "%s/sub/dir/ctl.sock", f->dir);
}

static int
client_connect(const char *path)
{
	int fd = unixclient_connect(path);

	assert_true(fd >= 0);
	return fd;
}

/* Run the loop until fd has `lines` newlines (or the loop idles out). */
static char *
pump_read(struct fixture *f, int fd, int lines, bool *ret_eof)
{
	char *out = unixclient_read(f->r.loop, fd, lines, ret_eof);

	assert_non_null(out);
	return out;
}

static void
test_socket(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	char *out, *second, dir[128];
	json_t *o;
	bool eof;
	int fd, stale;

	make_dir(f);
	/* A stale socket file: bound once, nobody listening. */
	snprintf(dir, sizeof(dir), "%s/sub", f->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/sub/dir", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	stale = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    f->r.conf.control_socket);
	assert_int_equal(bind(stale, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(stale);

	assert_int_equal(control_start(&f->r), 0);
	assert_int_equal(stat(f->r.conf.control_socket, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);

	/* Two requests on one connection, the second without a newline. */
	fd = client_connect(f->r.conf.control_socket);
	assert_int_equal(send(fd, "show pools\n\nshow summary", 24, 0), 24);
	shutdown(fd, SHUT_WR);
	out = pump_read(f, fd, 2, &eof);
	second = strchr(out, '\n');
	assert_non_null(second);
	*second++ = '\0';
	assert_non_null(o = json_loads(out, 0, NULL));
	assert_int_equal(json_array_size(json_object_get(o, "pools")), 3);
	json_decref(o);
	assert_non_null(o = json_loads(second, 0, NULL));
	assert_non_null(json_object_get(o, "summary"));
	json_decref(o);
	free(out);
	out = pump_read(f, fd, 99, &eof);
	assert_true(eof);	/* closed after the last answer */
	free(out);
	close(fd);

	/* A request line over the limit: an error, then the close. */
	fd = client_connect(f->r.conf.control_socket);
	{
		char big[1500];

		memset(big, 'x', sizeof(big));
		assert_int_equal(send(fd, big, sizeof(big), 0),
		    (ssize_t)sizeof(big));
	}
	out = pump_read(f, fd, 1, &eof);
	assert_non_null(strstr(out, "\"error\""));
	free(out);
	out = pump_read(f, fd, 99, &eof);
	assert_true(eof);
	free(out);
	close(fd);

	/* Idle clients are dropped. */
	fd = client_connect(f->r.conf.control_socket);
	ev_run_once(f->r.loop, 5);
	f->clock.now_ms += 11000;
	out = pump_read(f, fd, 99, &eof);
	assert_true(eof);
	free(out);
	close(fd);

	control_stop(&f->r);
	assert_int_equal(stat(f->r.conf.control_socket, &st), -1);
}

static void
test_socket_limits(void **state)
{
	struct fixture *f = *state;
	int fds[17], i;
	char *out;
	bool eof;

	make_dir(f);
	assert_int_equal(control_start(&f->r), 0);
	for (i = 0; i < 17; i++) {
		fds[i] = client_connect(f->r.conf.control_socket);
		ev_run_once(f->r.loop, 5);
	}
	out = pump_read(f, fds[16], 1, &eof);
	assert_non_null(strstr(out, "too many clients"));
	free(out);
	/* the first 16 are still served */
	assert_int_equal(send(fds[0], "help\n", 5, 0), 5);
	out = pump_read(f, fds[0], 1, &eof);
	assert_non_null(strstr(out, "\"commands\""));
	free(out);
	for (i = 0; i < 17; i++)
		close(fds[i]);
	for (i = 0; i < 5; i++)
		ev_run_once(f->r.loop, 5);
}

/* A slow reader: a large answer is buffered, the loop is not blocked. */
static void
test_slow_reader(void **state)
{
	struct fixture *f = *state;
	char pool[16];
	uint32_t i;
	int fd, fd2, rcv = 4096;
	char *out;
	bool eof;

	for (i = 0; i < 3000; i++) {
		snprintf(pool, sizeof(pool), "p%u", i % 50);
		add_pe(f, pool, 0x100000 + i, 0x33333333,
		    RSP_POLICY_ROUND_ROBIN, 0, -1, NULL);
	}
	make_dir(f);
	assert_int_equal(control_start(&f->r), 0);
	fd = client_connect(f->r.conf.control_socket);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	assert_int_equal(send(fd, "show pes\n", 9, 0), 9);
	for (i = 0; i < 20; i++)
		ev_run_once(f->r.loop, 1);
	/* meanwhile another client is served */
	fd2 = client_connect(f->r.conf.control_socket);
	assert_int_equal(send(fd2, "show summary\n", 13, 0), 13);
	out = pump_read(f, fd2, 1, &eof);
	assert_non_null(strstr(out, "\"summary\""));
	free(out);
	close(fd2);
	out = pump_read(f, fd, 1, &eof);
	{
		json_t *o = json_loads(out, 0, NULL);

		assert_non_null(o);
		assert_int_equal(json_array_size(json_object_get(o, "pes")),
		    3004);
		json_decref(o);
	}
	free(out);
	close(fd);
}

/* The exporter over HTTP, in the loop. */
static void
test_metrics_http(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in *sin = (void *)&f->r.conf.metrics_ss;
	static const char *const req[] = {
		"GET /metrics HTTP/1.0\r\n\r\n",
		"GET /other HTTP/1.0\r\n\r\n",
		"POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
	};
	static const char *const want[] = {
		" 200 ", " 404 ", " 405 ",
	};
	int fd, i, rc = -1, tries;
	char *out;
	bool eof;

	make_dir(f);
	f->r.conf.metrics = true;
	/* A port the kernel says is free; another test may take it first. */
	for (tries = 0; tries < 5 && rc != 0; tries++) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t al = sizeof(a);

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(fd >= 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
		close(fd);
		*sin = a;
		if ((rc = control_start(&f->r)) != 0)
			control_stop(&f->r);
	}
	assert_int_equal(rc, 0);
	for (i = 0; i < 3; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(fd, (struct sockaddr *)sin,
		    sizeof(*sin)), 0);
		assert_int_equal(send(fd, req[i], strlen(req[i]), 0),
		    (ssize_t)strlen(req[i]));
		out = pump_read(f, fd, 100000, &eof);
		assert_true(eof);
		assert_memory_equal(out, "HTTP/1.", 7);
		assert_memory_equal(out + 8, want[i], strlen(want[i]));
		if (i == 0) {
			assert_non_null(strstr(out, "text/plain; version=0.0.4"));
			assert_non_null(strstr(out,
			    "\nanypool_registrar_pes 4\n"));
		}
		free(out);
		close(fd);
	}
	/* A reload that turns it off closes the port. */
	f->r.conf.metrics = false;
	control_reconfigure(&f->r);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)sin, sizeof(*sin)),
	    -1);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slug),
		cmocka_unit_test_setup_teardown(test_parser, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_pools, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_show_pes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_assocs_stats_summary,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_render, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_limits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_slow_reader, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_metrics_http, setup,
		    teardown),
	};

	log_set_sink(NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
