# SPDX-License-Identifier: BSD-2-Clause
# registrard's configuration: the grammar (parse.y, over the shared lexer in
# lib/conf_lex.c), defaults and -n printing (config.c), the man page, and the
# tests: tests/config/run.sh diffs conftest's normalised output against
# NN.ok and its errors against bad-NN.err; test_conf_lex unit-tests the lexer.
noinst_LIBRARIES += registrar/libregconf.a
registrar_libregconf_a_SOURCES = registrar/parse.y registrar/config.c \
	registrar/regconf.h
# configure's YACC is "bison -y"; the grammar uses bison features on purpose
# (pure parser, locations, custom error messages), so no POSIX-yacc warnings.
# The generated C needs no relaxed compiler warnings (bison 3.8).
registrar_libregconf_a_YFLAGS = -Wno-yacc
dist_man_MANS += registrar/registrard.conf.5

check_PROGRAMS += tests/config/conftest tests/unit/test_conf_lex
tests_config_conftest_SOURCES = tests/config/conftest.c
tests_config_conftest_LDADD = registrar/libregconf.a lib/libanypool.a

tests_unit_test_conf_lex_SOURCES = tests/unit/test_conf_lex.c
tests_unit_test_conf_lex_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_conf_lex_LDADD = lib/libanypool.a $(CMOCKA_LIBS)

TESTS += tests/config/run.sh tests/unit/test_conf_lex
EXTRA_DIST += tests/config
