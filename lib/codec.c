/* SPDX-License-Identifier: BSD-2-Clause */
/* placeholder: being written */
typedef int placeholder_codec_t;
