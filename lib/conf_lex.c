/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The shared configuration lexer; see conf_lex.h.  It reads one character
 * at a time from a stack of open files (the top is the file being read,
 * below it the files that included it), counts lines per file, and turns
 * `include "file"` at the start of a statement into a push of that file so
 * every grammar gets includes for free.  Errors are printed as
 * "file:line: what" and counted; the lexer never stops on one.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf_lex.h"

struct conf_name {
	struct conf_name	*next;
	char			 name[];
};

struct conf_file {
	struct conf_file	*parent;
	FILE			*fp;
	const char		*name;		/* owned by conf_lex.names */
	int			 lineno;
	dev_t			 dev;
	ino_t			 ino;
	bool			 eof_nl;	/* the closing newline was sent */
};

struct conf_lex {
	struct conf_file	*cur;
	int			 depth;		/* files below cur */
	int			 max_depth;
	int			 errors;
	FILE			*errf;
	struct conf_name	*names;
	enum conf_tok		 last;		/* type of the last token returned */
	struct conf_loc		 lastloc;
	char			 text[CONF_LEX_MAX_TOKEN + 1];
};

static const struct {
	const char	*suffix;
	enum conf_unit	 unit;
	uint64_t	 mult;
} units[] = {
	{ "ms",  CONF_UNIT_TIME, 1 },
	{ "s",   CONF_UNIT_TIME, 1000 },
	{ "m",   CONF_UNIT_TIME, 60 * 1000 },
	{ "min", CONF_UNIT_TIME, 60 * 1000 },
	{ "h",   CONF_UNIT_TIME, 60 * 60 * 1000 },
	{ "d",   CONF_UNIT_TIME, 24 * 60 * 60 * 1000 },
	{ "k",   CONF_UNIT_SIZE, 1024 },
	{ "K",   CONF_UNIT_SIZE, 1024 },
	{ "M",   CONF_UNIT_SIZE, 1024 * 1024 },
	{ "G",   CONF_UNIT_SIZE, 1024 * 1024 * 1024 },
};

void
conf_verror_at(struct conf_lex *lex, const struct conf_loc *loc,
    const char *fmt, va_list ap)
{
	if (loc == NULL)
		loc = &lex->lastloc;
	fprintf(lex->errf, "%s:%d: ", loc->file ? loc->file : "?", loc->line);
	vfprintf(lex->errf, fmt, ap);
	fputc('\n', lex->errf);
	lex->errors++;
}

void
conf_error_at(struct conf_lex *lex, const struct conf_loc *loc,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verror_at(lex, loc, fmt, ap);
	va_end(ap);
}

void
conf_error(struct conf_lex *lex, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verror_at(lex, NULL, fmt, ap);
	va_end(ap);
}

int
conf_lex_errors(const struct conf_lex *lex)
{
	return lex->errors;
}

void
conf_lex_set_max_depth(struct conf_lex *lex, int depth)
{
	lex->max_depth = depth < 0 ? 0 : depth;
}

/* Keep a file name for the lexer's lifetime: tokens point at it. */
static const char *
keep_name(struct conf_lex *lex, const char *name)
{
	struct conf_name *n;
	size_t len = strlen(name);

	if ((n = malloc(sizeof(*n) + len + 1)) == NULL)
		return NULL;
	memcpy(n->name, name, len + 1);
	n->next = lex->names;
	lex->names = n;
	return n->name;
}

/* Open path as a new top of the file stack; -errno (not reported) on failure. */
static int
push_file(struct conf_lex *lex, const char *path)
{
	struct conf_file *f;
	struct stat st;
	int error;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -ENOMEM;
	if ((f->fp = fopen(path, "r")) == NULL) {
		error = -errno;
		goto out_free;
	}
	if (fstat(fileno(f->fp), &st) == -1) {
		error = -errno;
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		error = -EISDIR;
		goto out_close;
	}
	if ((f->name = keep_name(lex, path)) == NULL) {
		error = -ENOMEM;
		goto out_close;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->lineno = 1;
	f->parent = lex->cur;
	if (lex->cur != NULL)
		lex->depth++;
	lex->cur = f;
	return 0;

out_close:
	fclose(f->fp);
out_free:
	free(f);
	return error;
}

static void
pop_file(struct conf_lex *lex)
{
	struct conf_file *f = lex->cur;

	lex->cur = f->parent;
	if (lex->cur != NULL)
		lex->depth--;
	fclose(f->fp);
	free(f);
}

int
conf_lex_open_err(const char *file, FILE *errf, struct conf_lex **ret)
{
	struct conf_lex *lex;
	int error;

	if ((lex = calloc(1, sizeof(*lex))) == NULL)
		return -ENOMEM;
	lex->errf = errf ? errf : stderr;
	lex->max_depth = CONF_LEX_MAX_DEPTH;
	lex->last = CONF_T_NEWLINE;
	if ((error = push_file(lex, file)) < 0) {
		fprintf(lex->errf, "%s: %s\n", file, strerror(-error));
		conf_lex_free(lex);
		return error;
	}
	lex->lastloc.file = lex->cur->name;
	lex->lastloc.line = 1;
	*ret = lex;
	return 0;
}

int
conf_lex_open(const char *file, struct conf_lex **ret)
{
	return conf_lex_open_err(file, NULL, ret);
}

void
conf_lex_free(struct conf_lex *lex)
{
	struct conf_name *n;

	if (lex == NULL)
		return;
	while (lex->cur != NULL)
		pop_file(lex);
	while ((n = lex->names) != NULL) {
		lex->names = n->next;
		free(n);
	}
	free(lex);
}

static int
lgetc(struct conf_lex *lex)
{
	return getc(lex->cur->fp);
}

static void
lungetc(struct conf_lex *lex, int c)
{
	if (c != EOF)
		ungetc(c, lex->cur->fp);
}

static bool
is_word_end(int c)
{
	return c == EOF || isspace(c) || c == '{' || c == '}' || c == ';' ||
	    c == '#' || c == '"';
}

/*
 * A word that looks like a number becomes one: decimal, 0x hex, or decimal
 * with a unit suffix.  Returns CONF_T_NUMBER, CONF_T_WORD (addresses like
 * 192.0.2.1 or 2001:db8::1 start with digits too) or CONF_T_ERROR.
 */
static enum conf_tok
classify(struct conf_lex *lex, const struct conf_loc *loc,
    struct conf_token *t)
{
	const char *p = lex->text;
	uint64_t v = 0, mult = 1;
	size_t i;

	t->unit = CONF_UNIT_NONE;
	if (!isdigit((unsigned char)p[0]))
		return CONF_T_WORD;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		if (p[2] == '\0' || strspn(p + 2, "0123456789abcdefABCDEF") !=
		    strlen(p + 2))
			return CONF_T_WORD;
		if (strlen(p + 2 + strspn(p + 2, "0")) > 16)
			goto toolarge;
		t->num = strtoull(p, NULL, 16);
		return CONF_T_NUMBER;
	}
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			goto toolarge;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p != '\0') {
		const char *q;

		for (q = p; *q != '\0'; q++)
			if (!isalpha((unsigned char)*q))
				return CONF_T_WORD;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(p, units[i].suffix) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0])) {
			conf_error_at(lex, loc, "unknown unit \"%s\" in \"%s\" "
			    "(durations: ms, s, m, h, d; sizes: k, M, G)",
			    p, lex->text);
			return CONF_T_ERROR;
		}
		t->unit = units[i].unit;
		mult = units[i].mult;
		if (v > UINT64_MAX / mult)
			goto toolarge;
	}
	t->num = v * mult;
	return CONF_T_NUMBER;

toolarge:
	conf_error_at(lex, loc, "number \"%s\" is too large", lex->text);
	return CONF_T_ERROR;
}

static enum conf_tok
scan_string(struct conf_lex *lex, const struct conf_loc *loc)
{
	size_t n = 0;
	bool bad = false, toolong = false;
	int c;

	for (;;) {
		c = lgetc(lex);
		if (c == EOF || c == '\n') {
			lungetc(lex, c);
			conf_error_at(lex, loc, "unterminated string "
			    "(a \" is missing at the end of the line)");
			return CONF_T_ERROR;
		}
		if (c == '"')
			break;
		if (c == '\\') {
			c = lgetc(lex);
			switch (c) {
			case '"':
			case '\\':
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case '\n':
				lex->cur->lineno++;
				continue;
			case EOF:
				conf_error_at(lex, loc, "unterminated string "
				    "(a \" is missing at the end of the file)");
				return CONF_T_ERROR;
			default:
				if (!bad)
					conf_error_at(lex, loc, "unknown escape "
					    "\"\\%c\" in string (use \\\", \\\\, "
					    "\\n or \\t)", isprint(c) ? c : '?');
				bad = true;
				continue;
			}
		} else if (c == '\0') {
			if (!bad)
				conf_error_at(lex, loc, "NUL byte in string");
			bad = true;
			continue;
		}
		if (n == CONF_LEX_MAX_TOKEN) {
			if (!toolong)
				conf_error_at(lex, loc, "string too long (at "
				    "most %d bytes)", CONF_LEX_MAX_TOKEN);
			toolong = bad = true;
			continue;
		}
		lex->text[n++] = (char)c;
	}
	lex->text[n] = '\0';
	return bad ? CONF_T_ERROR : CONF_T_STRING;
}

/* One token of the current file; CONF_T_EOF at its end (no popping here). */
static void
scan(struct conf_lex *lex, struct conf_token *t)
{
	struct conf_file *f = lex->cur;
	size_t n;
	int c;

	memset(t, 0, sizeof(*t));
	t->text = lex->text;
	lex->text[0] = '\0';
again:
	do {
		c = lgetc(lex);
	} while (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v');
	t->loc.file = f->name;
	t->loc.line = f->lineno;
	switch (c) {
	case '#':
		while ((c = lgetc(lex)) != '\n' && c != EOF)
			;
		lungetc(lex, c);
		goto again;
	case '\\':
		if ((c = lgetc(lex)) == '\n') {
			f->lineno++;
			goto again;
		}
		lungetc(lex, c);
		c = '\\';
		break;
	case EOF:
		t->type = CONF_T_EOF;
		return;
	case '\n':
		f->lineno++;
		t->type = CONF_T_NEWLINE;
		strcpy(lex->text, "\n");
		return;
	case ';':
		t->type = CONF_T_SEMI;
		strcpy(lex->text, ";");
		return;
	case '{':
		t->type = CONF_T_LBRACE;
		strcpy(lex->text, "{");
		return;
	case '}':
		t->type = CONF_T_RBRACE;
		strcpy(lex->text, "}");
		return;
	case '"':
		t->type = scan_string(lex, &t->loc);
		return;
	default:
		break;
	}
	if (c != '\\' && (iscntrl(c) || c == '\0')) {
		conf_error_at(lex, &t->loc, "invalid character 0x%02x", c);
		goto again;
	}
	for (n = 0; !is_word_end(c); c = lgetc(lex)) {
		if (c == '\\') {	/* backslash-newline ends the word too */
			int next = lgetc(lex);

			if (next == '\n') {
				f->lineno++;
				c = ' ';
				break;
			}
			lungetc(lex, next);
		}
		if (iscntrl(c)) {
			conf_error_at(lex, &t->loc, "invalid character 0x%02x "
			    "in \"%.*s\"", c, (int)n, lex->text);
			lex->text[n] = '\0';
			t->type = CONF_T_ERROR;
			return;
		}
		if (n == CONF_LEX_MAX_TOKEN) {
			lex->text[n] = '\0';
			conf_error_at(lex, &t->loc, "word too long (at most %d "
			    "characters)", CONF_LEX_MAX_TOKEN);
			while (!is_word_end(c))
				c = lgetc(lex);
			lungetc(lex, c);
			t->type = CONF_T_ERROR;
			return;
		}
		lex->text[n++] = (char)c;
	}
	lungetc(lex, c);
	lex->text[n] = '\0';
	t->type = classify(lex, &t->loc, t);
}

/* Skip what is left of a bad statement, up to and including its end. */
static void
skip_statement(struct conf_lex *lex, struct conf_token *t)
{
	while (t->type != CONF_T_NEWLINE && t->type != CONF_T_SEMI &&
	    t->type != CONF_T_EOF)
		scan(lex, t);
}

/* `include "file"`: the keyword was just read at t->loc. */
static void
do_include(struct conf_lex *lex, const struct conf_loc *loc)
{
	struct conf_token t;
	struct conf_file *f;
	char *path = NULL, *written;
	const char *slash;
	struct stat st;
	int error;

	scan(lex, &t);
	if (t.type != CONF_T_STRING && t.type != CONF_T_WORD) {
		if (t.type != CONF_T_ERROR)
			conf_error_at(lex, loc, "include needs a file name, "
			    "as in: include \"/etc/anypool/extra.conf\"");
		skip_statement(lex, &t);
		return;
	}
	if ((written = strdup(t.text)) == NULL) {
		conf_error_at(lex, loc, "out of memory");
		skip_statement(lex, &t);
		return;
	}
	scan(lex, &t);
	if (t.type != CONF_T_NEWLINE && t.type != CONF_T_SEMI &&
	    t.type != CONF_T_EOF) {
		conf_error_at(lex, loc, "include takes one file name; "
		    "unexpected \"%s\" after it", t.text);
		skip_statement(lex, &t);
		goto out;
	}
	/* A relative name is relative to the including file's directory. */
	slash = strrchr(lex->cur->name, '/');
	if (written[0] != '/' && slash != NULL) {
		size_t dirlen = (size_t)(slash - lex->cur->name);
		size_t len = dirlen + 1 + strlen(written) + 1;

		if ((path = malloc(len)) != NULL)
			snprintf(path, len, "%.*s/%s", (int)dirlen,
			    lex->cur->name, written);
	} else
		path = strdup(written);
	if (path == NULL) {
		conf_error_at(lex, loc, "out of memory");
		goto out;
	}
	if (lex->depth >= lex->max_depth) {
		conf_error_at(lex, loc, "include \"%s\": includes nested too "
		    "deeply (at most %d levels)", written, lex->max_depth);
		goto out;
	}
	if (stat(path, &st) == 0)
		for (f = lex->cur; f != NULL; f = f->parent)
			if (f->dev == st.st_dev && f->ino == st.st_ino) {
				conf_error_at(lex, loc, "include \"%s\": "
				    "include loop (%s is already being read)",
				    written, f->name);
				goto out;
			}
	if ((error = push_file(lex, path)) < 0)
		conf_error_at(lex, loc, "include \"%s\": %s", written,
		    strerror(-error));
out:
	free(path);
	free(written);
}

void
conf_lex_next(struct conf_lex *lex, struct conf_token *ret)
{
	bool stmt_start;

	for (;;) {
		stmt_start = lex->last == CONF_T_NEWLINE ||
		    lex->last == CONF_T_SEMI || lex->last == CONF_T_LBRACE ||
		    lex->last == CONF_T_RBRACE;
		scan(lex, ret);
		if (ret->type == CONF_T_EOF) {
			/* End the last statement of every file with a newline. */
			if (!lex->cur->eof_nl && lex->last != CONF_T_NEWLINE) {
				lex->cur->eof_nl = true;
				ret->type = CONF_T_NEWLINE;
				strcpy(lex->text, "\n");
				break;
			}
			if (lex->cur->parent != NULL) {
				pop_file(lex);
				continue;
			}
			break;
		}
		if (ret->type == CONF_T_WORD && stmt_start &&
		    strcmp(ret->text, "include") == 0) {
			do_include(lex, &ret->loc);
			lex->last = CONF_T_NEWLINE;
			continue;
		}
		break;
	}
	lex->last = ret->type;
	lex->lastloc = ret->loc;
}

char *
conf_fmt_duration(char *buf, size_t len, uint64_t ms)
{
	static const struct {
		const char	*suffix;
		uint64_t	 mult;
	} du[] = {
		{ "d", 24 * 60 * 60 * 1000 },
		{ "h", 60 * 60 * 1000 },
		{ "m", 60 * 1000 },
		{ "s", 1000 },
	};
	size_t i;

	if (ms == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	for (i = 0; i < sizeof(du) / sizeof(du[0]); i++)
		if (ms % du[i].mult == 0) {
			snprintf(buf, len, "%llu%s",
			    (unsigned long long)(ms / du[i].mult), du[i].suffix);
			return buf;
		}
	snprintf(buf, len, "%llums", (unsigned long long)ms);
	return buf;
}

char *
conf_fmt_string(char *buf, size_t len, const char *s)
{
	size_t n = 0;

	if (len == 0)
		return buf;
#define PUT(ch)	do { if (n + 1 < len) buf[n++] = (ch); } while (0)
	PUT('"');
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '"':
		case '\\':
			PUT('\\');
			PUT(*s);
			break;
		case '\n':
			PUT('\\');
			PUT('n');
			break;
		case '\t':
			PUT('\\');
			PUT('t');
			break;
		default:
			PUT(*s);
		}
	}
	PUT('"');
#undef PUT
	buf[n] = '\0';
	return buf;
}
