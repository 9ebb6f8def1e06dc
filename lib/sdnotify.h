/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * systemd's notify protocol (sd_notify(3)) without libsystemd: the daemons
 * run as Type=notify units and say READY=1, RELOADING=1, STOPPING=1.
 * Without NOTIFY_SOCKET in the environment it does nothing.
 */
#ifndef ANYPOOL_SDNOTIFY_H
#define ANYPOOL_SDNOTIFY_H

/* Send one notification; 0, or -errno (nothing to tell it to is 0). */
int	sd_notify_msg(const char *msg);

#endif
