/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * -B of the bench tools; see bench_batch.h.
 */
#include <string.h>

#include "bench_batch.h"

void
bb_recv(struct iob *iob, const struct bb_conn *v, size_t n, long *res)
{
	struct iob_req r[IOB_MAX];
	size_t i;

	for (i = 0; i < n && i < IOB_MAX; i++)
		r[i] = (struct iob_req){ .fd = v[i].fd, .op = IOB_RECV,
		    .buf = v[i].in + *v[i].inlen,
		    .len = v[i].incap - *v[i].inlen };
	iob_run(iob, r, i);
	for (i = 0; i < n && i < IOB_MAX; i++)
		res[i] = r[i].res;
}

void
bb_send(struct iob *iob, const struct bb_conn *v, size_t n, long *res)
{
	struct iob_req r[IOB_MAX];
	size_t i, k, at[IOB_MAX];

	for (i = k = 0; i < n && i < IOB_MAX; i++) {
		res[i] = 0;
		if (*v[i].outlen > 0) {
			at[k] = i;
			r[k++] = (struct iob_req){ .fd = v[i].fd,
			    .op = IOB_SEND, .buf = v[i].out,
			    .len = *v[i].outlen };
		}
	}
	iob_run(iob, r, k);
	for (i = 0; i < k; i++) {
		const struct bb_conn *c = &v[at[i]];

		res[at[i]] = r[i].res;
		if (r[i].res > 0) {
			memmove(c->out, c->out + r[i].res,
			    *c->outlen - (size_t)r[i].res);
			*c->outlen -= (size_t)r[i].res;
		}
	}
}
