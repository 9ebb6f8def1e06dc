/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * registrard: the anypool registrar (ENRP server of RFC 5353 serving ASAP,
 * RFC 5352).  Flags as every anypool daemon: -d foreground (log to stderr),
 * -n check the configuration and print it normalised, -v more logging,
 * -f FILE.  SIGHUP reloads the configuration without dropping associations
 * (a bad file keeps the running configuration); SIGTERM/SIGINT stop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registrar.h"
#include "control.h"
#include "sdnotify.h"
#include "enrp.h"

#define DEFAULT_CONF	"/etc/anypool/registrard.conf"

static struct registrar	 reg;
static struct ev_ref	 sig_term, sig_int, sig_hup;

static void
usage(void)
{
	fprintf(stderr, "usage: registrard [-dnv] [-f file]\n");
	exit(2);
}

static int
load_config(const char *file, bool given, struct registrar_config *c)
{
	if (!given && access(file, F_OK) != 0) {
		config_defaults(c);
		return 0;
	}
	return config_parse(file, c);
}

static void
on_stop(struct ev_loop *loop, void *arg, unsigned int revents)
{
	(void)arg;
	(void)revents;
	log_info("stopping");
	ev_break(loop);
}

static void
on_hup(struct ev_loop *loop, void *arg, unsigned int revents)
{
	struct registrar_config *c;

	(void)loop;
	(void)arg;
	(void)revents;
	if ((c = malloc(sizeof(*c))) == NULL)
		fatal("%s", __func__);
	(void)sd_notify_msg("RELOADING=1");
	if (config_parse(reg.conf_file, c) != 0) {
		reg.stats.config_reload_failures++;
		log_warnx("reload of %s failed: keeping the running "
		    "configuration", reg.conf_file);
	} else if (registrar_reconfigure(&reg, c) != 0) {
		log_warnx("reload of %s: not every listen address could be "
		    "opened", reg.conf_file);
	} else {
		enrp_reconfigure(&reg);
		control_reconfigure(&reg);
		log_info("configuration reloaded from %s", reg.conf_file);
	}
	(void)sd_notify_msg("READY=1");
	free(c);
}

int
main(int argc, char **argv)
{
	struct registrar_config *conf;
	const char *file = DEFAULT_CONF;
	bool foreground = false, check = false, given = false;
	struct ev_loop *loop;
	int ch, verbose = 0, rc;

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			foreground = true;
			break;
		case 'f':
			file = optarg;
			given = true;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((conf = malloc(sizeof(*conf))) == NULL)
		return 1;
	if (load_config(file, given, conf) != 0) {
		free(conf);
		return 1;
	}
	if (check) {
		config_print(stdout, conf);
		free(conf);
		return 0;
	}
	log_init("registrard", foreground, verbose);
	if (!foreground && daemon(0, 0) == -1)
		fatal("daemon");
	signal(SIGPIPE, SIG_IGN);
	if ((loop = ev_loop_new()) == NULL)
		fatal("event loop");
	rc = registrar_init(&reg, loop, conf);
	free(conf);
	if (rc != 0)
		fatalx("cannot start: %s", strerror(-rc));
	reg.conf_file = file;
	if ((rc = enrp_start(&reg)) != 0)
		fatalx("cannot start ENRP: %s", strerror(-rc));
	if (control_start(&reg) != 0)
		fatalx("cannot open the control socket %s",
		    reg.conf.control_socket);
	if (ev_signal_add(loop, SIGTERM, on_stop, NULL, &sig_term) != 0 ||
	    ev_signal_add(loop, SIGINT, on_stop, NULL, &sig_int) != 0 ||
	    ev_signal_add(loop, SIGHUP, on_hup, NULL, &sig_hup) != 0)
		fatal("signals");
	log_info("started: server id 0x%08x, node %s", reg.server_id,
	    reg.conf.node_name);
	(void)sd_notify_msg("READY=1");
	ev_run(loop);
	(void)sd_notify_msg("STOPPING=1");
	control_stop(&reg);
	enrp_stop(&reg);
	registrar_shutdown(&reg);
	ev_cancel(&sig_term);
	ev_cancel(&sig_int);
	ev_cancel(&sig_hup);
	while (ev_run_once(loop, 0) > 0)
		;	/* deferred frees of closed associations */
	ev_loop_free(loop);
	return 0;
}
