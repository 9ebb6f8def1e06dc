/* SPDX-License-Identifier: BSD-2-Clause */
/* Hex parsing and vector files (`asap <hex>` / `enrp <hex>` lines) for tests. */
#ifndef ANYPOOL_TEST_HEX_H
#define ANYPOOL_TEST_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "rserpool.h"

/* Parse hex (whitespace ignored) into out; returns bytes, or -1. */
long	hex_parse(const char *s, uint8_t *out, size_t cap);

struct vector {
	enum rsp_proto	 proto;
	size_t		 len;
	uint8_t		 bytes[2048];
	char		 where[160];	/* file:line */
};

/*
 * Load every vector line of every *.hex file in dir; returns the number
 * loaded into *ret (malloc'ed), 0 if none, -1 if dir is absent.
 */
long	vectors_load(const char *dir, struct vector **ret);

#endif
