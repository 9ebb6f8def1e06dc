/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The jansson side of the control-socket server (ctlsock.h): a daemon's
 * JSON answer as the one line of text the server sends.  A file of its own
 * so that the rest of lib/ does not need jansson.
 */
#include <jansson.h>

#include "ctlsock.h"

char *
ctlsock_json_text(struct json_t *doc)
{
	char *s;

	if (doc == NULL)
		return NULL;
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return s;
}
