/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration lexer every daemon's grammar shares (OpenBGPD parse.y
 * style): words, quoted strings with escapes, numbers with units (durations
 * in milliseconds, sizes in bytes), "{" "}" and statement ends, "#"
 * comments, backslash-newline continuation, and `include "file"` handled
 * here so no grammar has to: a relative name is taken from the including
 * file's directory, nesting is limited and loops are refused.  Every token
 * carries its file and line; conf_error_at() prints "file:line: what" and
 * counts errors.  The lexer knows no keywords: a grammar's yylex() maps
 * CONF_T_WORD to its own keyword tokens.  It allocates nothing a token
 * outlives: token text lives until the next conf_lex_next(), file names
 * until conf_lex_free().
 */
#ifndef ANYPOOL_CONF_LEX_H
#define ANYPOOL_CONF_LEX_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_LEX_MAX_DEPTH	8	/* default include nesting limit */
#define CONF_LEX_MAX_TOKEN	1024	/* longest word or string */

enum conf_tok {
	CONF_T_EOF = 0,		/* end of the top-level file */
	CONF_T_NEWLINE,		/* end of line (also once at the end of each file) */
	CONF_T_SEMI,		/* ";": a statement end, like a newline */
	CONF_T_LBRACE,
	CONF_T_RBRACE,
	CONF_T_WORD,		/* anything unquoted that is not a number */
	CONF_T_STRING,		/* "quoted", escapes resolved */
	CONF_T_NUMBER,		/* 42, 0x2a, 500ms, 5s, 2m, 1h, 1d, 64k, 1M */
	CONF_T_ERROR,		/* a lexical error, already reported */
};

enum conf_unit {
	CONF_UNIT_NONE = 0,	/* plain number (decimal or 0x hex) */
	CONF_UNIT_TIME,		/* ms, s, m (minutes), h, d: value in ms */
	CONF_UNIT_SIZE,		/* k, M, G (powers of 1024): value in bytes */
};

/* Where a token or a grammar symbol came from (usable as bison's YYLTYPE). */
struct conf_loc {
	const char	*file;	/* valid until conf_lex_free() */
	int		 line;
};

struct conf_token {
	enum conf_tok	 type;
	const char	*text;	/* as written (strings: contents); until the next call */
	uint64_t	 num;	/* CONF_T_NUMBER: value, scaled by unit */
	enum conf_unit	 unit;	/* CONF_T_NUMBER: which kind of suffix */
	struct conf_loc	 loc;
};

struct conf_lex;

/*
 * Open FILE for reading.  Returns 0, or -errno after reporting
 * "file: strerror" on the error stream (*ret is then untouched).
 */
int	conf_lex_open(const char *file, struct conf_lex **ret);
/* Like conf_lex_open(), errors go to errf (NULL: stderr). */
int	conf_lex_open_err(const char *file, FILE *errf, struct conf_lex **ret);
void	conf_lex_free(struct conf_lex *lex);	/* NULL-safe */
/* Include nesting limit (default CONF_LEX_MAX_DEPTH; 0: no includes). */
void	conf_lex_set_max_depth(struct conf_lex *lex, int depth);

/* The next token (never fails: errors are reported and CONF_T_ERROR returned). */
void	conf_lex_next(struct conf_lex *lex, struct conf_token *ret);

/* Report "file:line: what" at loc (NULL: the last token) and count it. */
void	conf_error_at(struct conf_lex *lex, const struct conf_loc *loc,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void	conf_verror_at(struct conf_lex *lex, const struct conf_loc *loc,
	    const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
/* Report at the last token's position. */
void	conf_error(struct conf_lex *lex, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	conf_lex_errors(const struct conf_lex *lex);

/*
 * The printing side of the same syntax, for -n output.  Both write a
 * NUL-terminated string into buf and return buf; a duration is printed in
 * the largest unit that represents it exactly (1h, 90s, 1500ms), a string
 * quoted with '"' and '\' escaped.  Buffers of 24 bytes hold any duration;
 * a string needs 2 * strlen + 3.
 */
char	*conf_fmt_duration(char *buf, size_t len, uint64_t ms);
char	*conf_fmt_string(char *buf, size_t len, const char *s);

#endif
