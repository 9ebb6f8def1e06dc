# SPDX-License-Identifier: BSD-2-Clause
# The registrar's handlespace: pools, PEs, RFC 5356 policies, RFC 5353
# checksums.  registrard, the unit tests and the benchmark link it.
noinst_LIBRARIES += registrar/libhandlespace.a
registrar_libhandlespace_a_SOURCES = \
	registrar/handlespace.c registrar/handlespace.h \
	registrar/policy.c registrar/hs_internal.h \
	registrar/hs_encode.c registrar/hs_encode.h
