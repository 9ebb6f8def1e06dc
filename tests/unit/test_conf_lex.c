/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the shared configuration lexer (lib/conf_lex.c): token
 * kinds and their file:line, numbers and units, strings and escapes,
 * includes (relative names, nesting, loops, the depth limit), error
 * messages and counts, and the printing helpers.  Inputs are written to a
 * temporary directory; error output is captured with open_memstream().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf_lex.h"

static char dir[] = "/tmp/test_conf_lex.XXXXXX";

static void
put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

struct lexrun {
	struct conf_lex	*lex;
	FILE		*err;
	char		*errbuf;
	size_t		 errlen;
};

static void
run_open(struct lexrun *r, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(r->err = open_memstream(&r->errbuf, &r->errlen));
	assert_int_equal(conf_lex_open_err(path, r->err, &r->lex), 0);
}

static const char *
run_errors(struct lexrun *r)
{
	fflush(r->err);
	return r->errbuf;
}

static void
run_close(struct lexrun *r)
{
	conf_lex_free(r->lex);
	fclose(r->err);
	free(r->errbuf);
}

/* Expect the next token's type, text (NULL: any) and line. */
static void
expect(struct lexrun *r, enum conf_tok type, const char *text, int line)
{
	struct conf_token t;

	conf_lex_next(r->lex, &t);
	if (t.type != type || (text && strcmp(t.text, text) != 0) ||
	    t.loc.line != line)
		fail_msg("got type %d \"%s\" line %d; want type %d \"%s\" "
		    "line %d", t.type, t.text, t.loc.line, type,
		    text ? text : "*", line);
}

static void
test_tokens(void **state)
{
	struct lexrun r;

	put("t.conf",
	    "# comment line\n"
	    "listen on 192.0.2.1 port 3863  # trailing\n"
	    "listen on 2001:db8::1;x{ a }\n"
	    "\n"
	    "name \"a \\\"b\\\" \\\\ c\\td\"\n"
	    "word\\\n"
	    "  continued 0x1F\r\n"
	    "last");	/* no newline at the end */
	run_open(&r, "t.conf");
	expect(&r, CONF_T_NEWLINE, NULL, 1);
	expect(&r, CONF_T_WORD, "listen", 2);
	expect(&r, CONF_T_WORD, "on", 2);
	expect(&r, CONF_T_WORD, "192.0.2.1", 2);
	expect(&r, CONF_T_WORD, "port", 2);
	expect(&r, CONF_T_NUMBER, "3863", 2);
	expect(&r, CONF_T_NEWLINE, NULL, 2);
	expect(&r, CONF_T_WORD, "listen", 3);
	expect(&r, CONF_T_WORD, "on", 3);
	expect(&r, CONF_T_WORD, "2001:db8::1", 3);
	expect(&r, CONF_T_SEMI, ";", 3);
	expect(&r, CONF_T_WORD, "x", 3);
	expect(&r, CONF_T_LBRACE, "{", 3);
	expect(&r, CONF_T_WORD, "a", 3);
	expect(&r, CONF_T_RBRACE, "}", 3);
	expect(&r, CONF_T_NEWLINE, NULL, 3);
	expect(&r, CONF_T_NEWLINE, NULL, 4);
	expect(&r, CONF_T_WORD, "name", 5);
	expect(&r, CONF_T_STRING, "a \"b\" \\ c\td", 5);
	expect(&r, CONF_T_NEWLINE, NULL, 5);
	expect(&r, CONF_T_WORD, "word", 6);
	expect(&r, CONF_T_WORD, "continued", 7);
	expect(&r, CONF_T_NUMBER, "0x1F", 7);
	expect(&r, CONF_T_NEWLINE, NULL, 7);
	expect(&r, CONF_T_WORD, "last", 8);
	expect(&r, CONF_T_NEWLINE, NULL, 8);	/* added at the end */
	expect(&r, CONF_T_EOF, NULL, 8);
	expect(&r, CONF_T_EOF, NULL, 8);	/* and it stays there */
	assert_int_equal(conf_lex_errors(r.lex), 0);
	run_close(&r);
}

static void
test_numbers(void **state)
{
	static const struct {
		const char	*text;
		enum conf_tok	 type;
		uint64_t	 num;
		enum conf_unit	 unit;
	} v[] = {
		{ "0",		CONF_T_NUMBER,	0,		CONF_UNIT_NONE },
		{ "42",		CONF_T_NUMBER,	42,		CONF_UNIT_NONE },
		{ "0x0a0b0c0d",	CONF_T_NUMBER,	0x0a0b0c0d,	CONF_UNIT_NONE },
		{ "500ms",	CONF_T_NUMBER,	500,		CONF_UNIT_TIME },
		{ "5s",		CONF_T_NUMBER,	5000,		CONF_UNIT_TIME },
		{ "2m",		CONF_T_NUMBER,	120000,		CONF_UNIT_TIME },
		{ "3min",	CONF_T_NUMBER,	180000,		CONF_UNIT_TIME },
		{ "1h",		CONF_T_NUMBER,	3600000,	CONF_UNIT_TIME },
		{ "1d",		CONF_T_NUMBER,	86400000,	CONF_UNIT_TIME },
		{ "64k",	CONF_T_NUMBER,	65536,		CONF_UNIT_SIZE },
		{ "2M",		CONF_T_NUMBER,	2 << 20,	CONF_UNIT_SIZE },
		{ "18446744073709551615", CONF_T_NUMBER, UINT64_MAX,
		    CONF_UNIT_NONE },
		{ "18446744073709551616", CONF_T_ERROR,	0,	CONF_UNIT_NONE },
		{ "0x10000000000000000", CONF_T_ERROR,	0,	CONF_UNIT_NONE },
		{ "99999999999999999d", CONF_T_ERROR,	0,	CONF_UNIT_NONE },
		{ "5x",		CONF_T_ERROR,	0,		CONF_UNIT_NONE },
		{ "1.5s",	CONF_T_WORD,	0,		CONF_UNIT_NONE },
		{ "10.0.0.1",	CONF_T_WORD,	0,		CONF_UNIT_NONE },
		{ "0xg",	CONF_T_WORD,	0,		CONF_UNIT_NONE },
		{ "ff05::133",	CONF_T_WORD,	0,		CONF_UNIT_NONE },
		{ "-1",		CONF_T_WORD,	0,		CONF_UNIT_NONE },
	};
	struct conf_token t;
	struct lexrun r;
	char text[2048] = "";
	size_t i;
	int errors = 0;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		strcat(text, v[i].text);
		strcat(text, "\n");
	}
	put("n.conf", text);
	run_open(&r, "n.conf");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		conf_lex_next(r.lex, &t);
		if (t.type != v[i].type)
			fail_msg("%s: type %d, want %d", v[i].text, t.type,
			    v[i].type);
		assert_int_equal(t.loc.line, (int)i + 1);
		if (t.type == CONF_T_NUMBER) {
			assert_true(t.num == v[i].num);
			assert_int_equal(t.unit, v[i].unit);
		}
		if (t.type == CONF_T_ERROR)
			errors++;
		expect(&r, CONF_T_NEWLINE, NULL, (int)i + 1);
	}
	assert_int_equal(conf_lex_errors(r.lex), errors);
	assert_non_null(strstr(run_errors(&r),
	    ":16: unknown unit \"x\" in \"5x\""));
	assert_non_null(strstr(run_errors(&r),
	    ":13: number \"18446744073709551616\" is too large"));
	run_close(&r);
}

static void
test_strings(void **state)
{
	struct lexrun r;
	char want[64];

	put("s.conf",
	    "a \"open\n"
	    "b \"bad \\q escape\"\n"
	    "c \"two \\\n"
	    "lines\" d\n"
	    "e \"eof");
	run_open(&r, "s.conf");
	expect(&r, CONF_T_WORD, "a", 1);
	expect(&r, CONF_T_ERROR, NULL, 1);
	expect(&r, CONF_T_NEWLINE, NULL, 1);
	expect(&r, CONF_T_WORD, "b", 2);
	expect(&r, CONF_T_ERROR, NULL, 2);
	expect(&r, CONF_T_NEWLINE, NULL, 2);
	expect(&r, CONF_T_WORD, "c", 3);
	expect(&r, CONF_T_STRING, "two lines", 3);
	expect(&r, CONF_T_WORD, "d", 4);
	expect(&r, CONF_T_NEWLINE, NULL, 4);
	expect(&r, CONF_T_WORD, "e", 5);
	expect(&r, CONF_T_ERROR, NULL, 5);
	expect(&r, CONF_T_NEWLINE, NULL, 5);
	expect(&r, CONF_T_EOF, NULL, 5);
	assert_int_equal(conf_lex_errors(r.lex), 3);
	snprintf(want, sizeof(want), "%s/s.conf:1: unterminated string", dir);
	assert_non_null(strstr(run_errors(&r), want));
	assert_non_null(strstr(run_errors(&r), ":2: unknown escape \"\\q\""));
	run_close(&r);
}

static void
test_include(void **state)
{
	struct conf_token t;
	struct lexrun r;
	char want[128];

	assert_int_equal(mkdir(strcat(strcpy(want, dir), "/sub"), 0700), 0);
	put("main.conf",
	    "a\n"
	    "include \"sub/one.conf\"\n"
	    "b { include \"sub/two.conf\"; }\n"
	    "word include\n"		/* not at a statement start */
	    "include \"missing.conf\"\n"
	    "include \"sub/two.conf\" extra\n"
	    "c\n");
	put("sub/one.conf", "x\ninclude \"two.conf\"\ny");	/* relative to sub/ */
	put("sub/two.conf", "z\n");
	run_open(&r, "main.conf");
	expect(&r, CONF_T_WORD, "a", 1);
	expect(&r, CONF_T_NEWLINE, NULL, 1);
	expect(&r, CONF_T_WORD, "x", 1);
	conf_lex_next(r.lex, &t);	/* the newline after x */
	assert_non_null(strstr(t.loc.file, "sub/one.conf"));
	expect(&r, CONF_T_WORD, "z", 1);
	conf_lex_next(r.lex, &t);
	assert_non_null(strstr(t.loc.file, "sub/two.conf"));
	expect(&r, CONF_T_WORD, "y", 3);
	expect(&r, CONF_T_NEWLINE, NULL, 3);	/* end of one.conf */
	expect(&r, CONF_T_WORD, "b", 3);
	expect(&r, CONF_T_LBRACE, NULL, 3);
	expect(&r, CONF_T_WORD, "z", 1);
	expect(&r, CONF_T_NEWLINE, NULL, 1);
	expect(&r, CONF_T_RBRACE, NULL, 3);
	expect(&r, CONF_T_NEWLINE, NULL, 3);
	expect(&r, CONF_T_WORD, "word", 4);
	expect(&r, CONF_T_WORD, "include", 4);
	expect(&r, CONF_T_NEWLINE, NULL, 4);
	expect(&r, CONF_T_WORD, "c", 7);	/* lines 5 and 6 were bad */
	expect(&r, CONF_T_NEWLINE, NULL, 7);
	expect(&r, CONF_T_EOF, NULL, 8);
	assert_int_equal(conf_lex_errors(r.lex), 2);
	assert_non_null(strstr(run_errors(&r),
	    "main.conf:5: include \"missing.conf\": No such file"));
	assert_non_null(strstr(run_errors(&r),
	    "main.conf:6: include takes one file name"));
	run_close(&r);
}

static void
test_include_loop_and_depth(void **state)
{
	struct conf_token t;
	struct lexrun r;

	put("self.conf", "include \"self.conf\"\nafter\n");
	run_open(&r, "self.conf");
	expect(&r, CONF_T_WORD, "after", 2);
	assert_int_equal(conf_lex_errors(r.lex), 1);
	assert_non_null(strstr(run_errors(&r), "self.conf:1: include "
	    "\"self.conf\": include loop"));
	run_close(&r);

	put("d0.conf", "include \"d1.conf\"\n");
	put("d1.conf", "include \"d2.conf\"\n");
	put("d2.conf", "include \"d3.conf\"\n");
	put("d3.conf", "deep\n");
	run_open(&r, "d0.conf");
	conf_lex_set_max_depth(r.lex, 2);
	do
		conf_lex_next(r.lex, &t);
	while (t.type != CONF_T_EOF && t.type != CONF_T_WORD);
	assert_int_equal(t.type, CONF_T_EOF);	/* d3 was never read */
	assert_int_equal(conf_lex_errors(r.lex), 1);
	assert_non_null(strstr(run_errors(&r), "d2.conf:1: include "
	    "\"d3.conf\": includes nested too deeply (at most 2 levels)"));
	run_close(&r);

	run_open(&r, "d0.conf");	/* the default limit allows it */
	expect(&r, CONF_T_WORD, "deep", 1);
	assert_int_equal(conf_lex_errors(r.lex), 0);
	run_close(&r);
}

static void
test_open_error(void **state)
{
	struct conf_lex *lex = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *err;

	assert_non_null(err = open_memstream(&buf, &len));
	assert_int_equal(conf_lex_open_err("/nonexistent/x.conf", err, &lex),
	    -ENOENT);
	assert_null(lex);
	fflush(err);
	assert_string_equal(buf,
	    "/nonexistent/x.conf: No such file or directory\n");
	fclose(err);
	free(buf);
	conf_lex_free(NULL);
}

static void
test_error_helpers(void **state)
{
	struct conf_loc loc = { "other.conf", 42 };
	struct lexrun r;

	put("e.conf", "one two\n");
	run_open(&r, "e.conf");
	expect(&r, CONF_T_WORD, "one", 1);
	conf_error(r.lex, "bad %s", "thing");
	conf_error_at(r.lex, &loc, "at %d", 7);
	assert_int_equal(conf_lex_errors(r.lex), 2);
	assert_non_null(strstr(run_errors(&r), "e.conf:1: bad thing\n"
	    "other.conf:42: at 7\n"));
	run_close(&r);
}

static void
test_format(void **state)
{
	char b[64];

	assert_string_equal(conf_fmt_duration(b, sizeof(b), 0), "0s");
	assert_string_equal(conf_fmt_duration(b, sizeof(b), 1), "1ms");
	assert_string_equal(conf_fmt_duration(b, sizeof(b), 1500), "1500ms");
	assert_string_equal(conf_fmt_duration(b, sizeof(b), 5000), "5s");
	assert_string_equal(conf_fmt_duration(b, sizeof(b), 90000), "90s");
	assert_string_equal(conf_fmt_duration(b, sizeof(b), 120000), "2m");
	assert_string_equal(conf_fmt_duration(b, sizeof(b), 3600000), "1h");
	assert_string_equal(conf_fmt_duration(b, sizeof(b), 5400000), "90m");
	assert_string_equal(conf_fmt_duration(b, sizeof(b), 172800000), "2d");
	assert_string_equal(conf_fmt_string(b, sizeof(b), "a\"b\\c\td\n"),
	    "\"a\\\"b\\\\c\\td\\n\"");
	assert_string_equal(conf_fmt_string(b, 6, "abcdef"), "\"abcd");
}

static int
cleanup(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_include_loop_and_depth),
		cmocka_unit_test(test_open_error),
		cmocka_unit_test(test_error_helpers),
		cmocka_unit_test(test_format),
	};

	if (mkdtemp(dir) == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, cleanup);
}
