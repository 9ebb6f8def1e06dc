/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One of every ASAP and ENRP message with realistic parameters, built with
 * the codec's encoders; together they carry every RFC 5354 parameter type,
 * every transport, every RFC 5356 policy and every error cause.  Used by the
 * codec unit tests and to seed the fuzzer.
 */
#ifndef ANYPOOL_SAMPLES_H
#define ANYPOOL_SAMPLES_H

#include "codec.h"

struct sample {
	const char	*name;
	enum rsp_proto	 proto;
	uint8_t		 type;
};

extern const struct sample samples[];
extern const size_t nsamples;

/* Build sample i into w (from offset 0).  Returns the length, or 0. */
size_t	sample_build(size_t i, struct wbuf *w);

#endif
