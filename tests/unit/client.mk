# SPDX-License-Identifier: BSD-2-Clause
# libasap against a scripted registrar and scripted PEs in the test itself.
check_PROGRAMS += tests/unit/test_asap_client
TESTS += tests/unit/test_asap_client
tests_unit_test_asap_client_SOURCES = tests/unit/test_asap_client.c
tests_unit_test_asap_client_CFLAGS = $(UNITCFLAGS) -I$(top_srcdir)/client
tests_unit_test_asap_client_LDADD = client/libasap.la $(UNITLIBS)

# libasap over TLS (PSK, certificates, failures, no plaintext fallback)
# against fake TLS registrars (tls_fixture.c, shared with test_asap_probe).
check_PROGRAMS += tests/unit/test_asap_tls
TESTS += tests/unit/test_asap_tls
tests_unit_test_asap_tls_SOURCES = tests/unit/test_asap_tls.c \
	tests/unit/tls_fixture.c tests/unit/tls_fixture.h
tests_unit_test_asap_tls_CFLAGS = $(UNITCFLAGS) $(OPENSSL_CFLAGS) \
	-I$(top_srcdir)/client
tests_unit_test_asap_tls_LDADD = client/libasap.la $(UNITLIBS) $(OPENSSL_LIBS)

# libasap's resolution deadline arithmetic (client/retry.c), pure.
check_PROGRAMS += tests/unit/test_asap_retry
TESTS += tests/unit/test_asap_retry
tests_unit_test_asap_retry_SOURCES = tests/unit/test_asap_retry.c \
	client/retry.c client/retry.h
tests_unit_test_asap_retry_CFLAGS = $(UNITCFLAGS) -I$(top_srcdir)/client
tests_unit_test_asap_retry_LDADD = $(UNITLIBS)
