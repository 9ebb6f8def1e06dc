# SPDX-License-Identifier: BSD-2-Clause
# The ENRP peer life cycle and mentor choice as pure state machines
# (registrar/enrp_fsm.c), driven with injected times and no daemon.
check_PROGRAMS += tests/unit/test_enrp_fsm
TESTS += tests/unit/test_enrp_fsm
tests_unit_test_enrp_fsm_SOURCES = tests/unit/test_enrp_fsm.c \
	registrar/enrp_fsm.c registrar/enrp_fsm.h
tests_unit_test_enrp_fsm_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
tests_unit_test_enrp_fsm_CFLAGS = $(UNITCFLAGS)
tests_unit_test_enrp_fsm_LDADD = $(CMOCKA_LIBS)
