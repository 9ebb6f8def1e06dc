# SPDX-License-Identifier: BSD-2-Clause
# registrard: the registrar daemon.
sbin_PROGRAMS += registrar/registrard
registrar_registrard_SOURCES = \
	registrar/main.c registrar/asap_server.c registrar/announce.c \
	registrar/enrp.c registrar/enrp_conn.c registrar/enrp_peer.c \
	registrar/enrp_sync.c registrar/enrp_update.c registrar/enrp_takeover.c \
	registrar/enrp_mcast.c registrar/enrp_admit.c registrar/enrp_fsm.c \
	registrar/enrp_fsm.h \
	registrar/reg_tls.c registrar/authz.c registrar/unreachable.c \
	registrar/enrp.h registrar/enrp_int.h \
	registrar/registrar.h registrar/regconf.h registrar/control.h
registrar_registrard_LDADD = registrar/libcontrol.a registrar/libregconf.a \
	registrar/libhandlespace.a lib/libanypool.a $(SCTP_LIBS) \
	$(JANSSON_LIBS) $(MHD_LIBS) $(OPENSSL_LIBS)
EXTRA_DIST += deploy/systemd/registrard.service
