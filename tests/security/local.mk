# SPDX-License-Identifier: BSD-2-Clause
# The attacker's tests (issue 12): tests/security/test_attack CASE plays the
# attacker against real registrards on loopback ("test_attack -l" lists the
# cases).  make check runs one case per tests/security/cases/CASE.attack
# (the file names the case); TESTS lists only the cases the code withstands
# today, the others go in as their fixes land.
check_PROGRAMS += tests/security/test_attack
tests_security_test_attack_SOURCES = tests/security/test_attack.c \
	tests/enrp/cluster.c tests/enrp/cluster.h
tests_security_test_attack_CFLAGS = $(UNITCFLAGS) $(JANSSON_CFLAGS) \
	-I$(srcdir)/tests/registrar -I$(srcdir)/tests/enrp
tests_security_test_attack_LDADD = tests/registrar/libharness.a $(UNITLIBS) \
	$(JANSSON_LIBS)
TEST_EXTENSIONS = .test .attack
ATTACK_LOG_COMPILER = tests/security/test_attack

TESTS += tests/security/cases/enrp-stranger-del.attack \
	tests/security/cases/enrp-stranger-add.attack \
	tests/security/cases/enrp-stranger-table.attack \
	tests/security/cases/enrp-stranger-list.attack \
	tests/security/cases/enrp-stranger-slots.attack \
	tests/security/cases/enrp-stranger-takeover.attack \
	tests/security/cases/asap-foreign-dereg.attack \
	tests/security/cases/asap-foreign-rereg.attack \
	tests/security/cases/asap-unreachable-4.attack \
	tests/security/cases/asap-unreachable-100.attack \
	tests/security/cases/asap-slots-idle.attack \
	tests/security/cases/asap-trickle.attack \
	tests/security/cases/asap-emfile.attack \
	tests/security/cases/asap-noread.attack
TESTS += tests/security/cases/metrics-burst.attack \
	tests/security/cases/metrics-idle-flood.attack \
	tests/security/cases/metrics-trickle.attack
EXTRA_DIST += tests/security/cases/asap-emfile.attack \
	tests/security/cases/asap-foreign-dereg.attack \
	tests/security/cases/asap-foreign-rereg.attack \
	tests/security/cases/asap-noread.attack \
	tests/security/cases/asap-slots-idle.attack \
	tests/security/cases/asap-trickle.attack \
	tests/security/cases/asap-unreachable-100.attack \
	tests/security/cases/asap-unreachable-4.attack \
	tests/security/cases/enrp-stranger-add.attack \
	tests/security/cases/enrp-stranger-del.attack \
	tests/security/cases/enrp-stranger-list.attack \
	tests/security/cases/enrp-stranger-slots.attack \
	tests/security/cases/enrp-stranger-table.attack \
	tests/security/cases/enrp-stranger-takeover.attack \
	tests/security/cases/metrics-burst.attack \
	tests/security/cases/metrics-idle-flood.attack \
	tests/security/cases/metrics-trickle.attack
