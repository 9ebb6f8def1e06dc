/* SPDX-License-Identifier: BSD-2-Clause */
/* Hex parsing and vector files for tests; see hex.h. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

static int
nibble(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long
hex_parse(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s) || *s == ':')
			continue;
		if ((v = nibble((unsigned char)*s)) < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (long)n : -1;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

long
vectors_load(const char *dir, struct vector **ret)
{
	struct vector *v = NULL, *nv;
	char *names[256], line[8192], path[1024];
	struct dirent *de;
	size_t nn = 0, nv_count = 0, i, lineno;
	DIR *d;
	FILE *f;
	long n;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && nn < 256) {
		size_t l = strlen(de->d_name);
		if (l > 4 && strcmp(de->d_name + l - 4, ".hex") == 0)
			names[nn++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, nn, sizeof(names[0]), cmp_names);
	for (i = 0; i < nn; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		lineno = 0;
		while (fgets(line, sizeof(line), f) != NULL) {
			char *p = line, *hash;
			enum rsp_proto proto;

			lineno++;
			if ((hash = strchr(p, '#')) != NULL)
				*hash = '\0';
			while (isspace((unsigned char)*p))
				p++;
			if (strncmp(p, "asap", 4) == 0)
				proto = RSP_PROTO_ASAP;
			else if (strncmp(p, "enrp", 4) == 0)
				proto = RSP_PROTO_ENRP;
			else
				continue;
			p += 4;
			if (*p == ':')
				p++;
			nv = realloc(v, (nv_count + 1) * sizeof(*v));
			if (nv == NULL)
				break;
			v = nv;
			n = hex_parse(p, v[nv_count].bytes,
			    sizeof(v[nv_count].bytes));
			if (n <= 0)
				continue;
			v[nv_count].proto = proto;
			v[nv_count].len = (size_t)n;
			snprintf(v[nv_count].where, sizeof(v[nv_count].where),
			    "%s:%zu", names[i], lineno);
			nv_count++;
		}
		fclose(f);
	}
	for (i = 0; i < nn; i++)
		free(names[i]);
	*ret = v;
	return (long)nv_count;
}
