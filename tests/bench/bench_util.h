/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What every benchmark program in tests/bench needs around its own work:
 * the fatal error exit, the monotonic clock, its own CPU time and another
 * process's CPU time and resident memory read from /proc (the registrar's,
 * given by PID).  Prefix bu_.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

/* The program name fatal messages start with; set it first in main(). */
extern const char *bu_prog;

/* Prints "PROG: message" on stderr and exits with status 1. */
void	bu_fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* Seconds of CLOCK_MONOTONIC. */
double	bu_now(void);
/* Seconds of CPU this process has used. */
double	bu_cpu_self(void);
/* CPU time of process pid in seconds: its threads' run time from
 * /proc/PID/task/TID/schedstat (ns), else utime + stime (clock ticks) from
 * /proc/PID/stat; -1 if unknown. */
double	bu_cpu_of(long pid);
/* VmRSS of process pid in KiB, -1 if unknown. */
long	bu_rss_of(long pid);

#endif
