/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * anypoolctl: the command line for the control socket of an anypool daemon
 * (registrard by default; healthd with -s).  It sends the command words as
 * one request line, reads the one JSON document the daemon answers, and
 * prints it as aligned tables and "key: value" lines, or as JSON with
 * --json.  Replies it has no table layout for are rendered generically, so
 * commands a daemon adds later work without changing this tool.  Whatever
 * the daemon sends is treated as untrusted: wrong types and odd shapes are
 * shown as they are or skipped, control characters never reach the
 * terminal.  Exit status: 0 success, 1 the daemon failed or is not there,
 * 2 usage errors (also when the daemon does not understand the command).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define DEFAULT_SOCKET	"/run/anypool/registrard.sock"
#define LINE_MAX_REQ	1024		/* the daemons' request limit */
#define REPLY_MAX	(512u << 20)	/* refuse answers larger than this */
#define DEFAULT_TIMEOUT	5

static const char *progname = "anypoolctl";
static int timeout_s = DEFAULT_TIMEOUT;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [-s SOCKET] [-t SECONDS] [--json] COMMAND...\n"
	    "commands (registrard):\n"
	    "  show summary\n"
	    "  show pools\n"
	    "  show pes [POOL]\n"
	    "  show associations\n"
	    "  show stats\n"
	    "  show peers      (ENRP)\n"
	    "commands (healthd, -s /run/anypool/healthd.sock):\n"
	    "  show summary\n"
	    "  show services\n"
	    "  drain [SERVICE] / undrain [SERVICE]\n"
	    "  help            (what the daemon on SOCKET understands)\n"
	    "SOCKET defaults to $ANYPOOL_SOCKET, else " DEFAULT_SOCKET "\n",
	    progname);
}

static void	die(int code, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3), noreturn));

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* Talking to the daemon ------------------------------------------------- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Which daemon a socket belongs to, for the error message. */
static const char *
daemon_name(const char *path)
{
	static const char *const known[] = { "registrard", "healthd" };
	const char *b = strrchr(path, '/');
	size_t i;

	b = b != NULL ? b + 1 : path;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strncmp(b, known[i], strlen(known[i])) == 0)
			return known[i];
	return "registrard";
}

static void
wait_fd(int fd, short events, int64_t deadline, const char *path)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int rc;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			die(1, "%s: no answer within %d s", path, timeout_s);
		rc = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (rc > 0)
			return;
		if (rc < 0 && errno != EINTR)
			die(1, "poll: %s", strerror(errno));
	}
}

/* Send request, return the reply line (NUL-terminated, without "\n"). */
static char *
transact(const char *path, const char *request)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	size_t len = 0, cap = 0, off, rlen = strlen(request);
	char *buf = NULL, *nb;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		die(2, "socket path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		die(1, "socket: %s", strerror(errno));
	/*
	 * A Unix socket's connect() completes at once, or fails with EAGAIN
	 * while the daemon's backlog is full: then try again until the
	 * deadline.
	 */
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			die(1, "%s not running? (%s: %s)", daemon_name(path),
			    path, strerror(errno));
		if (now_ms() >= deadline)
			die(1, "%s: the daemon accepts no connections", path);
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	}
	for (off = 0; off < rlen; ) {
		n = send(fd, request + off, rlen - off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			wait_fd(fd, POLLOUT, deadline, path);
			continue;
		}
		if (n < 0)
			die(1, "%s: send: %s", path, strerror(errno));
		off += (size_t)n;
	}
	(void)shutdown(fd, SHUT_WR);
	for (;;) {
		if (cap - len < 65536) {
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > REPLY_MAX + 65536)
				die(1, "%s: answer larger than %u MiB", path,
				    REPLY_MAX >> 20);
			if ((nb = realloc(buf, cap + 1)) == NULL)
				die(1, "out of memory");
			buf = nb;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			wait_fd(fd, POLLIN, deadline, path);
			continue;
		}
		if (n < 0)
			die(1, "%s: recv: %s", path, strerror(errno));
		if (n == 0)
			break;
		if (memchr(buf + len, '\n', (size_t)n) != NULL) {
			len += (size_t)n;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len == 0)
		die(1, "%s: the daemon closed the connection without an answer",
		    path);
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* Rendering --------------------------------------------------------------- */

enum fmt { F_PLAIN, F_MS, F_SECONDS };

struct col {
	const char	*head;
	const char	*key;
	enum fmt	 fmt;
	const char	*null;		/* shown for null or missing */
};

struct sb {
	char	*p;
	size_t	 len, cap;
};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
	char *np;
	size_t i;

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((np = realloc(b->p, b->cap)) == NULL)
			die(1, "out of memory");
		b->p = np;
	}
	/* Never let the daemon's bytes drive the terminal. */
	for (i = 0; i < n; i++)
		b->p[b->len++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ?
		    '?' : s[i];
	b->p[b->len] = '\0';
}

static void
sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void	sb_printf(struct sb *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	char t[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	sb_str(b, t);
}

static void
sb_value(struct sb *b, const json_t *v, enum fmt fmt, const char *null)
{
	const char *k;
	json_t *x;
	size_t i;
	bool first = true;

	switch (json_typeof(v)) {
	case JSON_STRING:
		sb_add(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		if (fmt == F_MS)
			sb_printf(b, "%.1fs",
			    (double)json_integer_value(v) / 1000.0);
		else if (fmt == F_SECONDS) {
			long long s = json_integer_value(v);

			if (s >= 86400)
				sb_printf(b, "%lldd%02lldh%02lldm", s / 86400,
				    s % 86400 / 3600, s % 3600 / 60);
			else if (s >= 3600)
				sb_printf(b, "%lldh%02lldm%02llds", s / 3600,
				    s % 3600 / 60, s % 60);
			else if (s >= 60)
				sb_printf(b, "%lldm%02llds", s / 60, s % 60);
			else
				sb_printf(b, "%llds", s);
		} else
			sb_printf(b, "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
		break;
	case JSON_REAL:
		sb_printf(b, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		sb_str(b, "yes");
		break;
	case JSON_FALSE:
		sb_str(b, "no");
		break;
	case JSON_NULL:
		sb_str(b, null != NULL ? null : "-");
		break;
	case JSON_ARRAY:
		if (json_array_size(v) == 0)
			sb_str(b, "-");
		json_array_foreach(v, i, x) {
			if (i > 0)
				sb_str(b, ",");
			if (json_is_object(x) || json_is_array(x))
				sb_str(b, "{...}");
			else
				sb_value(b, x, fmt, null);
		}
		break;
	case JSON_OBJECT:
		/* An object in a cell: its scalars, space-separated. */
		json_object_foreach((json_t *)v, k, x) {
			if (json_is_object(x) || json_is_array(x))
				continue;
			if (!first)
				sb_str(b, " ");
			first = false;
			sb_value(b, x, F_PLAIN, NULL);
		}
		break;
	default:
		sb_str(b, "?");
	}
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void
pad(size_t n)
{
	while (n-- > 0)
		putchar(' ');
}

/* An aligned table of the objects in rows; numbers are right-aligned. */
static void
table(const json_t *rows, const struct col *cols, size_t ncols)
{
	char **cell;
	size_t nrows = json_array_size(rows), r, c, *w;
	bool *num;
	json_t *row, *v;
	struct sb b;

	if (nrows == 0 || ncols == 0) {
		puts("(none)");
		return;
	}
	if (nrows > SIZE_MAX / sizeof(char *) / ncols ||
	    (cell = calloc(nrows * ncols, sizeof(char *))) == NULL ||
	    (w = calloc(ncols, sizeof(*w))) == NULL ||
	    (num = calloc(ncols, sizeof(*num))) == NULL)
		die(1, "out of memory");
	for (c = 0; c < ncols; c++) {
		w[c] = width(cols[c].head);
		num[c] = true;
	}
	for (r = 0; r < nrows; r++) {
		row = json_array_get(rows, r);
		for (c = 0; c < ncols; c++) {
			memset(&b, 0, sizeof(b));
			v = json_is_object(row) ?
			    json_object_get(row, cols[c].key) : NULL;
			if (v == NULL)
				sb_str(&b, cols[c].null != NULL ?
				    cols[c].null : "-");
			else
				sb_value(&b, v, cols[c].fmt, cols[c].null);
			if (v == NULL || !json_is_number(v))
				num[c] = false;
			if (b.p == NULL)
				sb_str(&b, "");
			cell[r * ncols + c] = b.p;
			if (width(b.p) > w[c])
				w[c] = width(b.p);
		}
	}
	for (c = 0; c < ncols; c++) {
		if (num[c])
			pad(w[c] - width(cols[c].head));
		fputs(cols[c].head, stdout);
		if (c + 1 < ncols)
			pad(num[c] ? 2 : w[c] - width(cols[c].head) + 2);
	}
	putchar('\n');
	for (r = 0; r < nrows; r++) {
		for (c = 0; c < ncols; c++) {
			const char *s = cell[r * ncols + c];

			if (num[c])
				pad(w[c] - width(s));
			fputs(s, stdout);
			if (c + 1 < ncols)
				pad(num[c] ? 2 : w[c] - width(s) + 2);
			free(cell[r * ncols + c]);
		}
		putchar('\n');
	}
	free(cell);
	free(w);
	free(num);
}

/* A table with one column per scalar key seen in any row (first seen first). */
static void
table_generic(const json_t *rows)
{
	struct col cols[32];
	size_t ncols = 0, i, c;
	const char *k;
	json_t *row, *v;

	json_array_foreach(rows, i, row) {
		if (!json_is_object(row))
			continue;
		json_object_foreach(row, k, v) {
			for (c = 0; c < ncols; c++)
				if (strcmp(cols[c].key, k) == 0)
					break;
			if (c == ncols && ncols < sizeof(cols) / sizeof(cols[0]))
				cols[ncols++] = (struct col){ k, k, F_PLAIN,
				    NULL };
		}
	}
	if (ncols == 0) {
		/* Not objects: one value a line. */
		json_array_foreach(rows, i, row) {
			struct sb b = { 0 };

			sb_value(&b, row, F_PLAIN, NULL);
			puts(b.p != NULL ? b.p : "");
			free(b.p);
		}
		if (json_array_size(rows) == 0)
			puts("(none)");
		return;
	}
	table(rows, cols, ncols);
}

static bool
is_table(const json_t *v)
{
	return json_is_array(v) && json_array_size(v) > 0 &&
	    json_is_object(json_array_get(v, 0));
}

/* "key: value" lines, nested objects indented; keys aligned per level. */
static void
kv(const json_t *o, int depth)
{
	size_t kw = 0, i;
	const char *k;
	json_t *v, *x;
	struct sb b;

	if (depth > 8)
		return;
	json_object_foreach((json_t *)o, k, v)
		if (width(k) > kw)
			kw = width(k);
	json_object_foreach((json_t *)o, k, v) {
		bool secs = json_is_integer(v) && width(k) > 2 &&
		    strcmp(k + strlen(k) - 2, "_s") == 0;

		memset(&b, 0, sizeof(b));
		pad((size_t)depth * 2);
		/* "uptime_s": 5 is shown as "uptime: 5s" */
		sb_add(&b, k, strlen(k) - (secs ? 2 : 0));
		if (b.p == NULL)
			sb_str(&b, "");
		for (i = 0; b.p[i] != '\0'; i++)
			if (b.p[i] == '_')
				b.p[i] = ' ';
		if (json_is_object(v)) {
			printf("%s:\n", b.p);
			kv(v, depth + 1);
		} else if (is_table(v)) {
			printf("%s:\n", b.p);
			json_array_foreach(v, i, x) {
				struct sb e = { 0 };

				sb_value(&e, x, F_PLAIN, NULL);
				pad((size_t)depth * 2 + 2);
				puts(e.p != NULL ? e.p : "");
				free(e.p);
			}
		} else {
			printf("%s:", b.p);
			pad(kw - width(b.p) + 1);
			free(b.p);
			memset(&b, 0, sizeof(b));
			sb_value(&b, v, secs ? F_SECONDS : F_PLAIN, NULL);
			puts(b.p != NULL ? b.p : "");
		}
		free(b.p);
	}
}

static const struct col pool_cols[] = {
	{ "POOL", "handle", F_PLAIN, NULL },
	{ "POLICY", "policy", F_PLAIN, NULL },
	{ "PES", "pes", F_PLAIN, NULL },
};

static const struct col pe_cols[] = {
	{ "POOL", "pool", F_PLAIN, NULL },
	{ "PE ID", "id", F_PLAIN, NULL },
	{ "HOME", "home", F_PLAIN, NULL },
	{ "POLICY", "policy", F_PLAIN, NULL },
	{ "VALUES", "policy_values", F_PLAIN, NULL },
	{ "TRANSPORT", "transport", F_PLAIN, NULL },
	{ "PORT", "port", F_PLAIN, NULL },
	{ "ADDRESSES", "addresses", F_PLAIN, NULL },
	{ "LIFE", "registration_life_ms", F_MS, "infinite" },
	{ "EXPIRES", "expires_in_ms", F_MS, "never" },
	{ "ASSOCIATION", "association", F_PLAIN, "-" },
	{ "BAD", "bad_reports", F_PLAIN, NULL },
	{ "KEEPALIVE", "keepalive", F_PLAIN, NULL },
};

static const struct col assoc_cols[] = {
	{ "ID", "id", F_PLAIN, NULL },
	{ "TRANSPORT", "transport", F_PLAIN, NULL },
	{ "PEER", "peer", F_PLAIN, NULL },
	{ "LOCAL", "local", F_PLAIN, NULL },
	{ "AGE", "age_s", F_SECONDS, NULL },
	{ "PES", "pes", F_PLAIN, NULL },
	{ "RX", "rx_msgs", F_PLAIN, NULL },
	{ "TX", "tx_msgs", F_PLAIN, NULL },
};

#define NCOLS(a)	(sizeof(a) / sizeof((a)[0]))

static void
render(const json_t *doc)
{
	const char *k;
	json_t *v;
	bool first = true;

	if (!json_is_object(doc)) {
		struct sb b = { 0 };

		sb_value(&b, doc, F_PLAIN, NULL);
		puts(b.p != NULL ? b.p : "");
		free(b.p);
		return;
	}
	json_object_foreach((json_t *)doc, k, v) {
		if (!first)
			putchar('\n');
		first = false;
		if (strcmp(k, "pools") == 0 && json_is_array(v))
			table(v, pool_cols, NCOLS(pool_cols));
		else if (strcmp(k, "pes") == 0 && json_is_array(v))
			table(v, pe_cols, NCOLS(pe_cols));
		else if (strcmp(k, "associations") == 0 && json_is_array(v))
			table(v, assoc_cols, NCOLS(assoc_cols));
		else if (json_is_array(v) && (is_table(v) ||
		    json_array_size(v) == 0))
			table_generic(v);
		else if (json_is_object(v) && json_object_size(doc) == 1)
			kv(v, 0);
		else {
			json_t *one = json_object();

			if (one == NULL || json_object_set(one, k, v) != 0)
				die(1, "out of memory");
			if (json_is_array(v)) {
				/* a list of scalars, e.g. "commands" */
				size_t i;
				json_t *x;

				json_array_foreach(v, i, x) {
					struct sb b = { 0 };

					sb_value(&b, x, F_PLAIN, NULL);
					puts(b.p != NULL ? b.p : "");
					free(b.p);
				}
			} else
				kv(one, 0);
			json_decref(one);
		}
	}
}

/* main -------------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket",	required_argument,	NULL, 's' },
		{ "json",	no_argument,		NULL, 'j' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *path, *e;
	char req[LINE_MAX_REQ + 2], *reply, *end;
	bool json = false;
	json_t *doc, *err;
	json_error_t jerr;
	size_t off = 0, n;
	long t;
	int ch, i, timeout = DEFAULT_TIMEOUT, rc = 0;

	path = (e = getenv("ANYPOOL_SOCKET")) != NULL && *e != '\0' ? e :
	    DEFAULT_SOCKET;
	while ((ch = getopt_long(argc, argv, "hjs:t:", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 't':
			errno = 0;
			t = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || t < 1 || t > 3600)
				die(2, "bad timeout \"%s\" (1..3600 s)",
				    optarg);
			timeout = (int)t;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return 2;
	}
	for (i = optind; i < argc; i++) {
		n = strlen(argv[i]);
		if (n == 0 || strpbrk(argv[i], " \t\r\n") != NULL)
			die(2, "\"%s\": words cannot be empty or contain "
			    "blanks (give such pool handles as 0x and hex)",
			    argv[i]);
		if (off + n + 2 > LINE_MAX_REQ)
			die(2, "command longer than %d bytes", LINE_MAX_REQ);
		if (off > 0)
			req[off++] = ' ';
		memcpy(req + off, argv[i], n);
		off += n;
	}
	req[off++] = '\n';
	req[off] = '\0';

	timeout_s = timeout;
	reply = transact(path, req);
	doc = json_loads(reply, 0, &jerr);
	if (doc == NULL)
		die(1, "%s: unreadable answer: %s", path, jerr.text);
	free(reply);
	err = json_is_object(doc) ? json_object_get(doc, "error") : NULL;
	if (err != NULL)
		rc = json_object_get(doc, "commands") != NULL ? 2 : 1;
	if (json) {
		char *s = json_dumps(doc, JSON_INDENT(2));

		if (s == NULL)
			die(1, "out of memory");
		puts(s);
		free(s);
	} else if (err != NULL) {
		struct sb b = { 0 };
		json_t *cmds = json_object_get(doc, "commands"), *x;
		size_t j;

		sb_value(&b, err, F_PLAIN, NULL);
		fprintf(stderr, "%s: %s\n", progname, b.p != NULL ? b.p : "?");
		free(b.p);
		if (json_is_array(cmds) && json_array_size(cmds) > 0) {
			fprintf(stderr, "commands:\n");
			json_array_foreach(cmds, j, x) {
				struct sb c = { 0 };

				sb_value(&c, x, F_PLAIN, NULL);
				fprintf(stderr, "  %s\n", c.p != NULL ? c.p :
				    "");
				free(c.p);
			}
		}
	} else
		render(doc);
	json_decref(doc);
	if (fflush(stdout) != 0 || ferror(stdout))
		die(1, "stdout: %s", strerror(errno));
	return rc;
}
