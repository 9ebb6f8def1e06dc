/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Capture reader for anypool-decode and the wire tests: walks link layer,
 * IP and transport headers of every frame with bounds checks and hands each
 * ASAP/ENRP message (SCTP DATA with PPID 11/12, UDP to or from 3863/9901,
 * the TCP mapping on 3863/9901) to a callback.  TCP is reassembled per
 * direction for in-order segments only: a message split over segments or
 * several messages in one segment are framed with rsp_frame(); a hole in the
 * sequence space is reported and the stream restarts at the next segment.
 * Fragmented SCTP DATA and IP fragments are reported, not reassembled.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "codec.h"
#include "pcap_read.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2	276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4	228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6	229
#endif

#define PCR_TCP_STREAMS_MAX	4096	/* directions remembered at once */
#define PCR_VLAN_MAX		4	/* stacked 802.1Q/802.1ad tags */

#define SCTP_CHUNK_DATA		0
#define SCTP_CHUNK_IDATA	64
#define SCTP_DATA_B		0x02
#define SCTP_DATA_E		0x01

#define TCP_FIN			0x01
#define TCP_SYN			0x02
#define TCP_RST			0x04

/* One direction of a TCP connection carrying the TCP mapping. */
struct pcr_tcp {
	struct pcr_tcp	*next;
	uint8_t		 family;
	uint8_t		 src[16], dst[16];
	uint16_t	 sport, dport;
	enum rsp_proto	 proto;
	bool		 have_next;
	bool		 broken;	/* invalid length seen: skip until SYN */
	uint32_t	 next_seq;
	uint8_t		*buf;		/* start of an incomplete message */
	size_t		 len, cap;
	unsigned long	 first_frame;	/* frame holding buf's first byte */
};

struct pcr_reader {
	pcap_t		*pc;
	int		 dlt;
	struct pcr_tcp	*tcp;
	unsigned	 ntcp;
	bool		 have_t0;
	struct timeval	 t0;
};

/* What one frame is: filled layer by layer. */
struct pcr_frame {
	struct pcr_reader *r;
	pcr_cb		 cb;
	void		*arg;
	struct pcr_msg	 m;	/* template for every callback of this frame */
};

bool
pcr_is_capture(const uint8_t *p, size_t len)
{
	uint32_t magic;

	if (len < 4)
		return false;
	magic = get_u32(p);
	return magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 ||
	    magic == 0xa1b23c4d || magic == 0x4d3cb2a1 ||	/* ns */
	    magic == 0x0a0d0d0a;				/* pcapng SHB */
}

struct pcr_reader *
pcr_open(FILE *fp, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct pcr_reader *r;

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		fclose(fp);
		return NULL;
	}
	perr[0] = '\0';
	r->pc = pcap_fopen_offline(fp, perr);
	if (r->pc == NULL) {
		snprintf(err, errlen, "%s", perr);
		fclose(fp);
		free(r);
		return NULL;
	}
	r->dlt = pcap_datalink(r->pc);
	return r;
}

static void
tcp_free_all(struct pcr_reader *r)
{
	struct pcr_tcp *t, *n;

	for (t = r->tcp; t != NULL; t = n) {
		n = t->next;
		free(t->buf);
		free(t);
	}
	r->tcp = NULL;
	r->ntcp = 0;
}

void
pcr_free(struct pcr_reader *r)
{
	if (r == NULL)
		return;
	tcp_free_all(r);
	if (r->pc != NULL)
		pcap_close(r->pc);
	free(r);
}

const char *
pcr_endpoint_str(const struct pcr_msg *m, bool src, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	const uint8_t *ip = src ? m->src : m->dst;
	uint16_t port = src ? m->sport : m->dport;

	if (m->family == AF_INET6) {
		inet_ntop(AF_INET6, ip, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, port);
	} else if (m->family == AF_INET) {
		inet_ntop(AF_INET, ip, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, port);
	} else
		snprintf(buf, len, "-");
	return buf;
}

static void
emit_msg(struct pcr_frame *f, enum rsp_proto proto, const uint8_t *p,
    size_t len)
{
	struct pcr_msg m = f->m;

	m.kind = PCR_MSG;
	m.proto = proto;
	m.p = p;
	m.len = len;
	f->cb(&m, f->arg);
}

static void __attribute__((format(printf, 3, 4)))
emit_note(struct pcr_frame *f, enum rsp_proto proto, const char *fmt, ...)
{
	struct pcr_msg m = f->m;
	va_list ap;

	m.kind = PCR_NOTE;
	m.proto = proto;
	m.p = NULL;
	m.len = 0;
	va_start(ap, fmt);
	vsnprintf(m.note, sizeof(m.note), fmt, ap);
	va_end(ap);
	f->cb(&m, f->arg);
}

static enum rsp_proto
proto_by_port(uint16_t sport, uint16_t dport)
{
	/* The destination decides first: announces go from any port. */
	if (dport == ASAP_PORT)
		return RSP_PROTO_ASAP;
	if (dport == ENRP_PORT)
		return RSP_PROTO_ENRP;
	if (sport == ASAP_PORT)
		return RSP_PROTO_ASAP;
	if (sport == ENRP_PORT)
		return RSP_PROTO_ENRP;
	return 0;
}

static const char *
proto_str(enum rsp_proto p)
{
	return p == RSP_PROTO_ENRP ? "ENRP" : "ASAP";
}

/* SCTP (RFC 9260 §3): common header, then chunks padded to 4 bytes. */
static void
parse_sctp(struct pcr_frame *f, struct rbuf *b)
{
	uint16_t sport, dport, clen;
	uint8_t ctype, cflags;
	struct rbuf chunk;

	if (rbuf_u16(b, &sport) == -1 || rbuf_u16(b, &dport) == -1 ||
	    rbuf_skip(b, 8) == -1) {
		emit_note(f, 0, "truncated SCTP common header");
		return;
	}
	f->m.ipproto = IPPROTO_SCTP;
	f->m.sport = sport;
	f->m.dport = dport;
	while (rbuf_left(b) > 0) {
		if (rbuf_peek_u16(b, 2, &clen) == -1 || clen < 4 ||
		    rbuf_sub(b, clen, &chunk) == -1) {
			emit_note(f, 0, "truncated or invalid SCTP chunk");
			return;
		}
		/* Padding after the last chunk may be missing. */
		rbuf_skip(b, roundup4(clen) - clen);
		rbuf_u8(&chunk, &ctype);
		rbuf_u8(&chunk, &cflags);
		rbuf_skip(&chunk, 2);
		if (ctype != SCTP_CHUNK_DATA && ctype != SCTP_CHUNK_IDATA)
			continue;

		uint32_t tsn = 0, ppid = 0;
		uint16_t stream = 0;
		bool whole = (cflags & (SCTP_DATA_B | SCTP_DATA_E)) ==
		    (SCTP_DATA_B | SCTP_DATA_E);

		if (ctype == SCTP_CHUNK_DATA) {
			if (rbuf_u32(&chunk, &tsn) == -1 ||
			    rbuf_u16(&chunk, &stream) == -1 ||
			    rbuf_skip(&chunk, 2) == -1 ||
			    rbuf_u32(&chunk, &ppid) == -1) {
				emit_note(f, 0, "truncated SCTP DATA chunk");
				continue;
			}
		} else {
			/* I-DATA (RFC 8260): PPID only in the first piece. */
			if (rbuf_u32(&chunk, &tsn) == -1 ||
			    rbuf_u16(&chunk, &stream) == -1 ||
			    rbuf_skip(&chunk, 6) == -1 ||
			    rbuf_u32(&chunk, &ppid) == -1) {
				emit_note(f, 0, "truncated SCTP I-DATA chunk");
				continue;
			}
			if (!(cflags & SCTP_DATA_B))
				ppid = 0;	/* it is the FSN */
		}
		f->m.tsn = tsn;
		f->m.stream = stream;
		f->m.ppid = ppid;

		enum rsp_proto proto = ppid == ASAP_PPID ? RSP_PROTO_ASAP :
		    ppid == ENRP_PPID ? RSP_PROTO_ENRP : 0;
		/*
		 * DATA repeats the PPID in every fragment; I-DATA has it in
		 * the first only, so later ones count by port.
		 */
		if (!whole && (proto != 0 || (ppid == 0 &&
		    ctype == SCTP_CHUNK_IDATA &&
		    proto_by_port(sport, dport) != 0))) {
			emit_note(f, proto, "fragmented SCTP DATA (TSN %u, "
			    "stream %u, PPID %u, B=%d E=%d): not reassembled",
			    tsn, stream, ppid, !!(cflags & SCTP_DATA_B),
			    !!(cflags & SCTP_DATA_E));
			continue;
		}
		if (proto == 0)
			continue;
		emit_msg(f, proto, rbuf_cur(&chunk), rbuf_left(&chunk));
	}
}

static void
parse_udp(struct pcr_frame *f, struct rbuf *b)
{
	uint16_t sport, dport, ulen;
	enum rsp_proto proto;

	if (rbuf_u16(b, &sport) == -1 || rbuf_u16(b, &dport) == -1 ||
	    rbuf_u16(b, &ulen) == -1 || rbuf_skip(b, 2) == -1) {
		emit_note(f, 0, "truncated UDP header");
		return;
	}
	f->m.ipproto = IPPROTO_UDP;
	f->m.sport = sport;
	f->m.dport = dport;
	proto = proto_by_port(sport, dport);
	if (proto == 0)
		return;
	if (ulen < 8 || ulen - 8u > rbuf_left(b)) {
		emit_note(f, proto, "UDP length %u does not match the packet",
		    ulen);
		return;
	}
	emit_msg(f, proto, rbuf_cur(b), ulen - 8u);
}

static int
seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static struct pcr_tcp *
tcp_find(struct pcr_reader *r, const struct pcr_msg *m, enum rsp_proto proto)
{
	struct pcr_tcp *t;
	size_t alen = m->family == AF_INET6 ? 16 : 4;

	for (t = r->tcp; t != NULL; t = t->next)
		if (t->family == m->family && t->sport == m->sport &&
		    t->dport == m->dport && memcmp(t->src, m->src, alen) == 0 &&
		    memcmp(t->dst, m->dst, alen) == 0)
			return t;
	if (r->ntcp >= PCR_TCP_STREAMS_MAX)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->family = m->family;
	memcpy(t->src, m->src, sizeof(t->src));
	memcpy(t->dst, m->dst, sizeof(t->dst));
	t->sport = m->sport;
	t->dport = m->dport;
	t->proto = proto;
	t->next = r->tcp;
	r->tcp = t;
	r->ntcp++;
	return t;
}

static int
tcp_append(struct pcr_tcp *t, const uint8_t *p, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 1024;
		uint8_t *nb;

		while (cap < t->len + n)
			cap *= 2;
		nb = realloc(t->buf, cap);
		if (nb == NULL)
			return -1;
		t->buf = nb;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
	return 0;
}

static void
tcp_drop_partial(struct pcr_frame *f, struct pcr_tcp *t, const char *why)
{
	if (t->len > 0)
		emit_note(f, t->proto, "%s: %zu bytes of an incomplete %s "
		    "message (from frame %lu) discarded", why, t->len,
		    proto_str(t->proto), t->first_frame);
	t->len = 0;
}

/* Deliver every whole message in t->buf, keep the rest. */
static void
tcp_frame(struct pcr_frame *f, struct pcr_tcp *t)
{
	size_t off = 0;

	while (off < t->len) {
		long n = rsp_frame(t->buf + off, t->len - off);

		if (n < 0) {
			/*
			 * A length below the header: hand the bytes over so
			 * the decoder names the error; the stream cannot be
			 * framed any further until the next SYN.
			 */
			emit_msg(f, t->proto, t->buf + off, t->len - off);
			emit_note(f, t->proto, "TCP stream cannot be framed "
			    "after an invalid message length: skipped until "
			    "the next SYN");
			t->broken = true;
			t->len = 0;
			return;
		}
		if (n == 0 || (size_t)n > t->len - off)
			break;
		if (t->first_frame != f->m.frame) {
			/* Tell where a reassembled message began. */
			struct pcr_msg m = f->m;

			m.kind = PCR_MSG;
			m.proto = t->proto;
			m.p = t->buf + off;
			m.len = (size_t)n;
			snprintf(m.note, sizeof(m.note),
			    "reassembled from frames %lu-%lu", t->first_frame,
			    f->m.frame);
			f->cb(&m, f->arg);
		} else
			emit_msg(f, t->proto, t->buf + off, (size_t)n);
		off += (size_t)n;
		t->first_frame = f->m.frame;
	}
	memmove(t->buf, t->buf + off, t->len - off);
	t->len -= off;
	if (t->len > 0 && off > 0)
		t->first_frame = f->m.frame;
}

static void
parse_tcp(struct pcr_frame *f, struct rbuf *b)
{
	uint16_t sport, dport;
	uint32_t seq;
	uint8_t doff, flags;
	enum rsp_proto proto;
	struct pcr_tcp *t;
	const uint8_t *p;
	size_t n;

	if (rbuf_u16(b, &sport) == -1 || rbuf_u16(b, &dport) == -1 ||
	    rbuf_u32(b, &seq) == -1 || rbuf_skip(b, 4) == -1 ||
	    rbuf_u8(b, &doff) == -1 || rbuf_u8(b, &flags) == -1 ||
	    (doff >> 4) < 5 || rbuf_skip(b, 6) == -1 ||
	    rbuf_skip(b, (size_t)(doff >> 4) * 4 - 20) == -1) {
		emit_note(f, 0, "truncated TCP header");
		return;
	}
	f->m.ipproto = IPPROTO_TCP;
	f->m.sport = sport;
	f->m.dport = dport;
	proto = proto_by_port(sport, dport);
	if (proto == 0)
		return;
	t = tcp_find(f->r, &f->m, proto);
	if (t == NULL) {
		emit_note(f, proto, "too many TCP streams: segment ignored");
		return;
	}
	p = rbuf_cur(b);
	n = rbuf_left(b);
	if (flags & TCP_SYN) {
		tcp_drop_partial(f, t, "new connection (SYN)");
		t->broken = false;
		t->have_next = true;
		t->next_seq = seq + 1;
		seq++;
	}
	if (!t->have_next) {
		/* Capture started mid-stream: assume a message starts here. */
		t->have_next = true;
		t->next_seq = seq;
	}
	if (n > 0 && seq_lt(seq, t->next_seq)) {
		uint32_t dup = t->next_seq - seq;

		if (dup >= n)
			n = 0;		/* retransmission */
		else {
			p += dup;
			n -= dup;
			seq = t->next_seq;
		}
	}
	if (n > 0 && seq != t->next_seq) {
		emit_note(f, proto, "TCP gap: %u bytes missing before "
		    "sequence number %u; resuming at this segment",
		    seq - t->next_seq, seq);
		tcp_drop_partial(f, t, "TCP gap");
		t->next_seq = seq;
	}
	if (n > 0 && !t->broken) {
		if (t->len == 0)
			t->first_frame = f->m.frame;
		if (tcp_append(t, p, n) == -1) {
			emit_note(f, proto, "out of memory: segment ignored");
			t->len = 0;
		} else
			tcp_frame(f, t);
	}
	t->next_seq += (uint32_t)n;
	if (flags & (TCP_FIN | TCP_RST)) {
		tcp_drop_partial(f, t, flags & TCP_RST ? "connection reset" :
		    "connection closed");
		if (flags & TCP_FIN)
			t->next_seq++;
		t->have_next = false;
	}
}

static void
parse_l4(struct pcr_frame *f, uint8_t nh, struct rbuf *b)
{
	switch (nh) {
	case IPPROTO_SCTP:
		parse_sctp(f, b);
		break;
	case IPPROTO_UDP:
		parse_udp(f, b);
		break;
	case IPPROTO_TCP:
		parse_tcp(f, b);
		break;
	default:
		break;
	}
}

static void
parse_ipv4(struct pcr_frame *f, struct rbuf *b)
{
	uint8_t vhl, proto;
	uint16_t tot, frag;
	const uint8_t *src, *dst;
	struct rbuf ip, payload;
	size_t hl;

	if (rbuf_left(b) < 20 || (rbuf_cur(b)[0] >> 4) != 4) {
		emit_note(f, 0, "truncated or invalid IPv4 header");
		return;
	}
	vhl = rbuf_cur(b)[0];
	hl = (size_t)(vhl & 0x0f) * 4;
	tot = get_u16(rbuf_cur(b) + 2);
	if (hl < 20 || tot < hl || rbuf_sub(b, tot, &ip) == -1) {
		emit_note(f, 0, "IPv4 length %u beyond the captured %zu bytes",
		    tot, rbuf_left(b));
		return;
	}
	frag = get_u16(ip.p + 6);
	proto = ip.p[9];
	rbuf_skip(&ip, 12);
	rbuf_bytes(&ip, 4, &src);
	rbuf_bytes(&ip, 4, &dst);
	f->m.family = AF_INET;
	memcpy(f->m.src, src, 4);
	memcpy(f->m.dst, dst, 4);
	if (rbuf_skip(&ip, hl - 20) == -1)
		return;
	if (frag & 0x3fff) {
		if (proto == IPPROTO_SCTP || proto == IPPROTO_UDP ||
		    proto == IPPROTO_TCP)
			emit_note(f, 0, "IPv4 fragment (offset %u%s): "
			    "not reassembled", (frag & 0x1fff) * 8u,
			    (frag & 0x2000) ? ", more" : "");
		return;
	}
	rbuf_sub(&ip, rbuf_left(&ip), &payload);
	parse_l4(f, proto, &payload);
}

static void
parse_ipv6(struct pcr_frame *f, struct rbuf *b)
{
	uint16_t plen;
	uint8_t nh, hlen;
	const uint8_t *src, *dst;
	struct rbuf ip;

	if (rbuf_left(b) < 40 || (rbuf_cur(b)[0] >> 4) != 6) {
		emit_note(f, 0, "truncated or invalid IPv6 header");
		return;
	}
	plen = get_u16(rbuf_cur(b) + 4);
	nh = rbuf_cur(b)[6];
	/* Cannot fail after the check of 40 bytes above. */
	if (rbuf_skip(b, 8) == -1 || rbuf_bytes(b, 16, &src) == -1 ||
	    rbuf_bytes(b, 16, &dst) == -1)
		return;
	f->m.family = AF_INET6;
	memcpy(f->m.src, src, 16);
	memcpy(f->m.dst, dst, 16);
	if (rbuf_sub(b, plen, &ip) == -1) {
		emit_note(f, 0, "IPv6 payload length %u beyond the captured "
		    "%zu bytes", plen, rbuf_left(b));
		return;
	}
	for (;;) {
		switch (nh) {
		case 0:		/* hop-by-hop */
		case 43:	/* routing */
		case 60:	/* destination options */
			if (rbuf_left(&ip) < 8) {
				emit_note(f, 0, "truncated IPv6 extension "
				    "header");
				return;
			}
			nh = rbuf_cur(&ip)[0];
			hlen = rbuf_cur(&ip)[1];
			if (rbuf_skip(&ip, ((size_t)hlen + 1) * 8) == -1) {
				emit_note(f, 0, "truncated IPv6 extension "
				    "header");
				return;
			}
			continue;
		case 44: {	/* fragment */
			uint16_t off;

			if (rbuf_left(&ip) < 8) {
				emit_note(f, 0, "truncated IPv6 fragment "
				    "header");
				return;
			}
			nh = rbuf_cur(&ip)[0];
			off = get_u16(rbuf_cur(&ip) + 2);
			rbuf_skip(&ip, 8);
			if (off != 0) {	/* not an atomic fragment */
				emit_note(f, 0, "IPv6 fragment (offset %u%s): "
				    "not reassembled", off & 0xfff8,
				    (off & 1) ? ", more" : "");
				return;
			}
			continue;
		}
		default:
			parse_l4(f, nh, &ip);
			return;
		}
	}
}

static void
parse_ethertype(struct pcr_frame *f, uint16_t et, struct rbuf *b)
{
	if (et == 0x0800)
		parse_ipv4(f, b);
	else if (et == 0x86dd)
		parse_ipv6(f, b);
}

static void
parse_ip_any(struct pcr_frame *f, struct rbuf *b)
{
	if (rbuf_left(b) == 0)
		return;
	if ((rbuf_cur(b)[0] >> 4) == 4)
		parse_ipv4(f, b);
	else if ((rbuf_cur(b)[0] >> 4) == 6)
		parse_ipv6(f, b);
}

static void
parse_link(struct pcr_frame *f, int dlt, struct rbuf *b)
{
	uint16_t et;
	uint32_t af;
	int i;

	switch (dlt) {
	case DLT_EN10MB:
		if (rbuf_skip(b, 12) == -1 || rbuf_u16(b, &et) == -1)
			return;
		for (i = 0; i < PCR_VLAN_MAX &&
		    (et == 0x8100 || et == 0x88a8 || et == 0x9100); i++)
			if (rbuf_skip(b, 2) == -1 || rbuf_u16(b, &et) == -1)
				return;
		parse_ethertype(f, et, b);
		break;
	case DLT_LINUX_SLL:
		/* type(2) arphrd(2) addrlen(2) addr(8) protocol(2) */
		if (rbuf_skip(b, 14) == -1 || rbuf_u16(b, &et) == -1)
			return;
		parse_ethertype(f, et, b);
		break;
	case DLT_LINUX_SLL2:
		/* protocol(2) reserved(2) ifindex(4) arphrd(2) type(1)
		 * addrlen(1) addr(8) */
		if (rbuf_u16(b, &et) == -1 || rbuf_skip(b, 18) == -1)
			return;
		parse_ethertype(f, et, b);
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
#ifdef DLT_RAW_ALT
	case DLT_RAW_ALT:
#endif
		parse_ip_any(f, b);
		break;
	case DLT_NULL:
	case DLT_LOOP:
		/*
		 * A 4-byte address family: host order for DLT_NULL (written
		 * by whichever machine captured), network order for
		 * DLT_LOOP.  The IP version nibble decides in the end.
		 */
		if (rbuf_u32(b, &af) == -1)
			return;
		parse_ip_any(f, b);
		break;
	default:
		break;
	}
}

static bool
dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

int
pcr_run(struct pcr_reader *r, pcr_cb cb, void *arg, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long frame = 0;
	struct pcr_tcp *t;
	int rc;

	if (!dlt_supported(r->dlt)) {
		snprintf(err, errlen, "unsupported link type %d (%s)", r->dlt,
		    pcap_datalink_val_to_name(r->dlt) ?
		    pcap_datalink_val_to_name(r->dlt) : "unknown");
		return -1;
	}
	while ((rc = pcap_next_ex(r->pc, &h, &data)) == 1) {
		struct pcr_frame f;
		struct rbuf b;

		frame++;
		if (!r->have_t0) {
			r->t0 = h->ts;
			r->have_t0 = true;
		}
		memset(&f, 0, sizeof(f));
		f.r = r;
		f.cb = cb;
		f.arg = arg;
		f.m.frame = frame;
		f.m.ts = h->ts;
		f.m.rel_time = (double)(h->ts.tv_sec - r->t0.tv_sec) +
		    (double)(h->ts.tv_usec - r->t0.tv_usec) / 1e6;
		rbuf_init(&b, data, h->caplen);
		parse_link(&f, r->dlt, &b);
	}
	/* Messages still incomplete at the end of the capture. */
	for (t = r->tcp; t != NULL; t = t->next) {
		if (t->len == 0)
			continue;
		struct pcr_frame f;

		memset(&f, 0, sizeof(f));
		f.r = r;
		f.cb = cb;
		f.arg = arg;
		f.m.frame = t->first_frame;
		f.m.ipproto = IPPROTO_TCP;
		f.m.family = t->family;
		memcpy(f.m.src, t->src, sizeof(t->src));
		memcpy(f.m.dst, t->dst, sizeof(t->dst));
		f.m.sport = t->sport;
		f.m.dport = t->dport;
		tcp_drop_partial(&f, t, "end of capture");
	}
	tcp_free_all(r);
	if (rc == -1) {
		snprintf(err, errlen, "%s", pcap_geterr(r->pc));
		return -1;
	}
	return 0;
}
