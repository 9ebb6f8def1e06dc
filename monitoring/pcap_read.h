/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reading ASAP and ENRP messages out of packet captures (pcap and pcapng,
 * through libpcap).  Owns link-layer (Ethernet with VLAN tags, Linux cooked
 * SLL and SLL2, raw IP, BSD loopback/null), IPv4 and IPv6, and the three
 * transports: SCTP DATA chunks with PPID 11/12, UDP to or from port
 * 3863/9901, and the TCP mapping on port 3863/9901 with a simple in-order
 * per-direction stream reassembly framed by rsp_frame().  Every message found
 * is handed to a callback as a view into the packet; what cannot be decoded
 * (fragments, stream gaps, truncated frames) is handed over as a note.
 * Shared by anypool-decode and the real-traffic test.
 */
#ifndef ANYPOOL_PCAP_READ_H
#define ANYPOOL_PCAP_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>

#include "rserpool.h"

enum pcr_kind {
	PCR_MSG,	/* one whole message in p/len */
	PCR_NOTE,	/* something seen that was not decoded: see note */
};

struct pcr_msg {
	enum pcr_kind	 kind;
	unsigned long	 frame;		/* 1-based, as tshark counts */
	struct timeval	 ts;
	double		 rel_time;	/* seconds since the first frame */
	enum rsp_proto	 proto;		/* 0 for a note not tied to one */
	uint8_t		 ipproto;	/* IPPROTO_SCTP, _UDP or _TCP */
	uint8_t		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 src[16], dst[16];
	uint16_t	 sport, dport;
	/* SCTP DATA only */
	uint32_t	 tsn;
	uint16_t	 stream;
	uint32_t	 ppid;
	/* PCR_MSG: the message (possibly with its padding) */
	const uint8_t	*p;
	size_t		 len;
	/* PCR_NOTE: what was not decoded, and why */
	char		 note[160];
};

typedef void (*pcr_cb)(const struct pcr_msg *m, void *arg);

struct pcr_reader;

/*
 * Open a capture from fp (pcap or pcapng; the reader takes fp over and closes
 * it).  Returns NULL with a message in err on failure.
 */
struct pcr_reader *pcr_open(FILE *fp, char *err, size_t errlen);
void	pcr_free(struct pcr_reader *r);

/*
 * Read every frame and call cb for each message and note.  Returns 0, or -1
 * with err filled on a read error (messages until then were delivered) or an
 * unsupported link type.
 */
int	pcr_run(struct pcr_reader *r, pcr_cb cb, void *arg, char *err,
	    size_t errlen);

/* True if the first bytes of a file are a pcap or pcapng magic number. */
bool	pcr_is_capture(const uint8_t *p, size_t len);

/* "192.0.2.1:3863" or "[2001:db8::1]:3863" into buf; returns buf. */
const char *pcr_endpoint_str(const struct pcr_msg *m, bool src, char *buf,
	    size_t len);

#endif
