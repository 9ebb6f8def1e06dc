/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test driver for registrard's configuration: `conftest FILE` parses FILE
 * with config_parse() and prints config_print()'s normalised output (what
 * `registrard -n` shows) and exits 0, or exits 1 after the parser's
 * "file:line: what" messages on stderr.  tests/config/run.sh runs it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "registrar/regconf.h"

int
main(int argc, char *argv[])
{
	struct registrar_config c;

	if (argc != 2) {
		fprintf(stderr, "usage: conftest FILE\n");
		return 2;
	}
	if (config_parse(argv[1], &c) == -1)
		return 1;
	config_print(stdout, &c);
	return fflush(stdout) == 0 ? 0 : 1;
}
