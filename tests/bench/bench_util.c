/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers shared by the benchmark programs of tests/bench (bench_util.h):
 * fatal exit, clocks, and another process's CPU time and VmRSS from /proc.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench_util.h"

const char *bu_prog = "bench";

void
bu_fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", bu_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static double
clock_secs(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double
bu_now(void)
{
	return clock_secs(CLOCK_MONOTONIC);
}

double
bu_cpu_self(void)
{
	return clock_secs(CLOCK_PROCESS_CPUTIME_ID);
}

/*
 * The run time of pid's threads from their schedstat (the scheduler's own
 * nanoseconds), -1 if the kernel keeps none.  Threads that ended are not
 * counted: the servers measured keep theirs.
 */
static double
cpu_schedstat(long pid)
{
	char path[128];
	unsigned long long ns, sum = 0;
	struct dirent *de;
	bool any = false;
	FILE *fp;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%.20s/schedstat",
		    pid, de->d_name);
		if ((fp = fopen(path, "re")) == NULL)
			continue;
		if (fscanf(fp, "%llu", &ns) == 1) {
			sum += ns;
			any = true;
		}
		fclose(fp);
	}
	closedir(d);
	return any ? (double)sum / 1e9 : -1;
}

double
bu_cpu_of(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	double t;
	FILE *fp;
	size_t n;

	if (pid <= 0)
		return -1;
	/* utime + stime move in clock ticks (10 ms here): ±1 % of a 1 s phase */
	if ((t = cpu_schedstat(pid)) >= 0)
		return t;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip to the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

long
bu_rss_of(long pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *fp;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(fp);
	return kb;
}
