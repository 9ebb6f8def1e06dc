/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writes the fuzzer's seed corpus: every sample message and every RSPLIB
 * vector, each prefixed with the fuzz target's selector byte.
 * Usage: seeds OUTDIR [VECTORDIR]
 */
#include <stdio.h>
#include <stdlib.h>

#include "../common/hex.h"
#include "../common/samples.h"

static int
put(const char *dir, const char *name, enum rsp_proto proto,
    const uint8_t *p, size_t len)
{
	char path[1024];
	uint8_t sel = proto == RSP_PROTO_ENRP ? 1 : 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		return -1;
	}
	fwrite(&sel, 1, 1, f);
	fwrite(p, 1, len, f);
	return fclose(f);
}

int
main(int argc, char **argv)
{
	static uint8_t buf[65536];
	struct vector *v = NULL;
	struct wbuf w;
	char name[64];
	size_t i, len;
	long n, j;

	if (argc < 2) {
		fprintf(stderr, "usage: seeds OUTDIR [VECTORDIR]\n");
		return 2;
	}
	for (i = 0; i < nsamples; i++) {
		wbuf_init(&w, buf, sizeof(buf));
		if ((len = sample_build(i, &w)) == 0 ||
		    put(argv[1], samples[i].name, samples[i].proto, buf, len))
			return 1;
	}
	if (argc > 2 && (n = vectors_load(argv[2], &v)) > 0) {
		for (j = 0; j < n; j++) {
			snprintf(name, sizeof(name), "rsplib-%03ld", j);
			if (put(argv[1], name, v[j].proto, v[j].bytes, v[j].len))
				return 1;
		}
		free(v);
	}
	return 0;
}
