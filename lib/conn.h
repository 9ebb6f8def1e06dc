/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One ASAP or ENRP connection on the event loop, for every daemon: a
 * connected non-blocking socket with its transport (the TCP mapping, or an
 * SCTP one-to-one association carrying one message per user message with
 * the protocol's PPID), receive framing (stream.h), a send queue with a byte
 * cap whose EV_WRITE is watched only while something is queued, socket
 * tuning from the daemon's configuration, a request-rate token bucket, and
 * the owner's callbacks (message, protocol error, close).  What a framing
 * failure costs is decided here once for every protocol: a stream that can
 * no longer be framed gets Invalid Values, a message above the size limit
 * Lack of Resources, each through the owner's error callback (it sends its
 * own ERROR message and counts it), then the connection closes.  Also the
 * one listener: open and bind, and an accept loop with the owner's limit,
 * which on EMFILE/ENFILE stops watching the socket for a short back-off
 * instead of spinning.  Prefix cn_ (libasap has static conn_* functions).
 * Tuning without the rest (cn_tune_fd) is in conn_tune.c, so that libasap
 * can share it without the framing code.  No logging above debug, no exit.
 */
#ifndef ANYPOOL_CONN_H
#define ANYPOOL_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "event.h"
#include "stream.h"

enum cn_transport { CN_TCP = 1, CN_SCTP = 2 };

/*
 * Socket options, filled by the daemon from its configuration.  A zero
 * field leaves the kernel's value (except the booleans).
 */
struct cn_tune {
	/* TCP mapping */
	bool		 tcp_nodelay;
	bool		 keepalive;		/* SO_KEEPALIVE with the three below */
	uint32_t	 keepalive_idle;	/* s: TCP_KEEPIDLE */
	uint32_t	 keepalive_intvl;	/* s: TCP_KEEPINTVL */
	uint32_t	 keepalive_cnt;		/* TCP_KEEPCNT */
	uint32_t	 user_timeout;		/* ms: TCP_USER_TIMEOUT */
	/* SCTP */
	bool		 sctp_nodelay;
	uint32_t	 rto_initial, rto_min, rto_max;	/* ms: SCTP_RTOINFO */
	uint32_t	 hb_interval;		/* ms: SCTP_PEER_ADDR_PARAMS */
	/* Both: SO_SNDBUF in bytes (the kernel doubles it); 0: autotuned */
	uint32_t	 sndbuf;
};

/*
 * Apply *t to fd for transport tr.  SCTP always gets the data_io_event
 * subscription: without it Linux fills in no sctp_sndrcvinfo and every
 * message reads as PPID 0.  0, or -errno of that subscription (the other
 * options are best effort).
 */
int	cn_tune_fd(int fd, enum cn_transport tr, const struct cn_tune *t);
/* The SCTP notifications we read (cn_tune_fd does it): 0 or -errno. */
int	cn_sctp_events(int fd);

/* A token bucket: rate per second, burst deep, in milli-tokens. */
struct cn_rate {
	uint64_t	 tokens, at;
};

/* Start full at now (ms). */
void	cn_rate_init(struct cn_rate *b, uint32_t burst, uint64_t now);
/* Take one token at now (ms): false when empty. */
bool	cn_rate_take(struct cn_rate *b, uint64_t now, uint32_t rate,
	    uint32_t burst);

/* Why a connection ended (the close callback's end). */
enum cn_end {
	CN_END_EOF = 1,		/* the peer closed its side */
	CN_END_RECV,		/* recv() failed (err) */
	CN_END_SEND,		/* send() failed (err) */
	CN_END_CONNECT,		/* the connect failed (err) */
	CN_END_BACKLOG,		/* the peer does not read: send queue cap */
	CN_END_UNFRAMEABLE,	/* a length below 4: the stream is lost */
	CN_END_TOO_BIG,		/* a message above the size limit */
	CN_END_NOMEM,		/* out of memory for a buffer */
	CN_END_LOCAL,		/* cn_end(): the owner closed it */
	CN_END_TLS,		/* the TLS handshake failed (cn.tls_fail) */
	CN_END_TLS_ON_PLAIN,	/* a TLS ClientHello on a plaintext port */
};

/* The end as a log phrase ("closed by peer", strerror(err), ...); NULL
 * for CN_END_LOCAL (the owner says why). */
const char *cn_end_str(enum cn_end end, int err);

struct cn;

struct cn_ops {
	/*
	 * One whole message with the connection's PPID (the only one over
	 * TCP).  The connection may be closed from here.
	 */
	void	(*message)(struct cn *c, uint32_t ppid, const uint8_t *msg,
		    size_t len);
	/* An SCTP message with another PPID, dropped.  Optional. */
	void	(*stray)(struct cn *c, uint32_t ppid);
	/*
	 * The input cannot be accepted: send the protocol's ERROR with this
	 * cause (RFC 5354) and count it.  The connection closes right after,
	 * once what is queued has been tried.  Optional.
	 */
	void	(*error)(struct cn *c, uint16_t cause);
	/*
	 * The connection ended: it failed (why: cn_end_str()) or the owner
	 * called cn_end().  The fd is already closed; the owner forgets the
	 * connection here.  Called once.
	 */
	void	(*close)(struct cn *c, enum cn_end end, const char *why);
	/*
	 * After close, at the end of the loop iteration (the stack above the
	 * close still holds c), with the buffers freed: free the object that
	 * holds c.  Optional: without it the owner calls cn_free() itself.
	 */
	void	(*release)(struct cn *c);
	/* An outgoing connection is up (cn_attach with connecting).
	 * Optional. */
	void	(*connected)(struct cn *c);
	/*
	 * The TLS handshake is done (cn_tls_start): tls_peer_identity(c->tls)
	 * says who the peer is.  What was queued is sent after this.
	 * Optional.
	 */
	void	(*secured)(struct cn *c);
};

struct tls_ctx;
struct tls_conn;

struct cn {
	struct ev_loop		*loop;
	int			 fd;		/* -1 once closed */
	enum cn_transport	 transport;
	uint32_t		 ppid;		/* sent with every SCTP message */
	bool			 connecting;	/* connect() in progress */
	size_t			 max_msg;	/* longest message accepted */
	size_t			 out_max;	/* bytes queued before CN_END_BACKLOG */
	const struct cn_ops	*ops;
	void			*arg;		/* the owner */
	unsigned int		 events;	/* watched: EV_READ, EV_WRITE */
	struct ev_ref		 io;
	struct ev_ref		 release;	/* deferred ops->release */
	struct rsp_stream	 rx;
	struct rsp_outq		 tx;
	struct cn_rate		 rate;
	/* TLS (cn_tls_start): NULL for plaintext.  Freed with the buffers,
	 * so the close callback can still read the identity or the failure. */
	struct tls_conn		*tls;
	unsigned int		 tls_want;	/* EV_* the session awaits */
	int			 tls_fail;	/* enum tls_fail (CN_END_TLS) */
	bool			 hello_check;	/* cn_plain_check() */
	/* Deadlines and the send budget (issue 12; see below). */
	uint64_t		 last_msg;	/* ms: last whole message, or attach */
	uint64_t		 msg_start;	/* ms: a partial message began; 0 none */
	struct cn_budget	*budget;	/* NULL: queue not counted */
	size_t			 budgeted;	/* bytes of tx counted in *budget */
	/* TLS: the last read left nothing in the session: stop reading */
	bool			 tls_drained;
	/* Inside a read: cn_send() queues, and the replies to all the
	 * messages of one readable event go out in one write after it. */
	bool			 batching;
	uint64_t		 rx_now;	/* ms: the loop's clock as it began */
	/* In the loop's batch of reads or sends (cn_batch_set; TCP) */
	TAILQ_ENTRY(cn)		 rq, sq;
	bool			 in_rq, in_sq;
};

/*
 * Make fd (connected or connecting, non-blocking) a connection watched on
 * loop.  tune: applied unless NULL (a listener's settings are inherited).
 * 0, or -errno (c is then closed but fd left open for the caller).
 */
int	cn_attach(struct cn *c, struct ev_loop *loop, int fd,
	    enum cn_transport tr, uint32_t ppid, bool connecting,
	    size_t max_msg, size_t out_max, const struct cn_tune *tune,
	    const struct cn_ops *ops, void *arg);
/*
 * Queue one encoded message (padded to 4) and send what the socket takes.
 * 0, or -errno after the connection was closed (ENOBUFS: cap reached;
 * the close callback has run), -ENOTCONN if it already was.  Called on c
 * from c's own message callback, it only queues (flushed first once
 * CN_BATCH_MAX bytes wait): the replies to everything one readable event
 * brought go out in one write at the end of the read (and before the
 * connection closes, when the owner ends it meanwhile).
 */
#define CN_BATCH_MAX	16384
int	cn_send(struct cn *c, const uint8_t *p, size_t len);
/*
 * Batching: cn_send_queued() queues like cn_send() without sending (same
 * returns); cn_send_flush() then sends what is queued as cn_send() does
 * after queueing (and runs the budget's over() if it is exceeded), so
 * many messages go out in one write.
 */
int	cn_send_queued(struct cn *c, const uint8_t *p, size_t len);
int	cn_send_flush(struct cn *c);
/*
 * From c's message callback, once the reply to the message is queued and
 * before the owner's own bookkeeping (a registration's timers, its log
 * line, its ENRP update): the reply goes out now rather than at the end of
 * the read, so the peer waits only for what decided the answer.  Only when
 * it would have gone out alone anyway: no other message follows in this
 * read, the connection is the iteration's only event (else its write joins
 * the batch), and not over TLS.  The write's errors are left to the end of
 * the read, as before: c never closes in here.
 */
void	cn_reply_now(struct cn *c);
/*
 * Run c over TLS with ctx (its role says whether c handshakes as server
 * or client), right after cn_attach (a connecting client starts once the
 * connection is up).  Messages sent meanwhile wait for the handshake; the
 * secured callback says when it is done; a failed one closes c with
 * CN_END_TLS (c->tls_fail, and the reason's line as why).  0, or -errno
 * (c unchanged, still plaintext).
 */
int	cn_tls_start(struct cn *c, struct tls_ctx *ctx);
/* Whether c runs TLS and the handshake is done. */
bool	cn_tls_up(const struct cn *c);
/*
 * A plaintext port: if the first bytes c receives look like a TLS
 * ClientHello, close it with CN_END_TLS_ON_PLAIN instead of reading them
 * as a message.
 */
void	cn_plain_check(struct cn *c);
/* Send what the socket takes now; as cn_send. */
int	cn_flush(struct cn *c);
/*
 * A connection's name for logs and the control socket: "[prefix ]tcp
 * a.b.c.d:port" or "... sctp [v6]:port".  Returns buf.
 */
const char *cn_name(char *buf, size_t len, const char *prefix,
	    enum cn_transport tr, const struct sockaddr_storage *peer);
/* Bytes waiting to be sent (TLS: with the records a batch keeps). */
size_t	cn_queued(const struct cn *c);
bool	cn_is_open(const struct cn *c);
/*
 * Close it for why (the owner's reason, for its log): the close callback
 * runs with CN_END_LOCAL, then release.  Idempotent.
 */
void	cn_end(struct cn *c, const char *why);
/* Close the socket without any callback; idempotent. */
void	cn_close(struct cn *c);
/* Free the buffers (after cn_close; cn_end with release does it). */
void	cn_free(struct cn *c);

/*
 * Batched system calls (issue 14; lib/iobatch.h).  On a loop, the TCP
 * connections (plaintext, or TLS once the handshake is done) that became
 * readable in one iteration are read with one system call at its end, and
 * the replies to what they brought (and any other batch of replies) are
 * sent with one more, instead of a recv() and a send() each; a TLS session
 * reads the bytes the batch received and keeps its records for the batch's
 * send (tls_batch_begin()).  On unless cn_batch_set(loop, false) (then one
 * call each, as always for SCTP and TLS handshakes; called during a batch,
 * it takes effect after it); it falls back to one call each by itself
 * where the kernel has no io_uring.  0, or -ENOMEM.
 */
int	cn_batch_set(struct ev_loop *loop, bool on);
/* System calls the batches saved so far, and whether they are on. */
struct cn_batch_stats {
	bool		 on;		/* batching (io_uring up or untried) */
	uint64_t	 batches;	/* batched system calls made */
	uint64_t	 requests;	/* recv()s and send()s they made */
};
void	cn_batch_stats(struct ev_loop *loop, struct cn_batch_stats *ret);

/* Bounds against one bad peer (issue 12) ------------------------------ */

/*
 * Deadlines, checked by the owner on a coarse tick (no timer per
 * connection, no cost per byte): IDLE when no whole message came for
 * idle_ms (0: never) since the last one or the attach, MESSAGE when a
 * message began (its first bytes, or a TLS handshake) more than msg_ms ago
 * and is still not complete.
 */
enum cn_deadline {
	CN_DEADLINE_NONE = 0,
	CN_DEADLINE_IDLE,
	CN_DEADLINE_MESSAGE,
};
enum cn_deadline cn_deadline(const struct cn *c, uint64_t now,
	    uint64_t idle_ms, uint64_t msg_ms);
/*
 * Memory of idle connections: once c has received no message for idle_ms,
 * free its empty receive and send buffers and its TLS session's buffers
 * (each allocated again when next needed), so that the many idle
 * associations of a registrar cost little while busy ones keep theirs.
 * Call it from a periodic sweep.
 */
void	cn_trim(struct cn *c, uint64_t now, uint64_t idle_ms);

/*
 * One budget for the send queues of many connections (cn_set_budget):
 * total is what they all have queued; once a message queued on c takes it
 * above max, over() runs (after c's flush) so that the owner can close
 * whichever costs most (c itself, possibly).
 */
struct cn_budget {
	size_t		 total, max;
	void		(*over)(void *arg, struct cn *c);
	void		*arg;
};
/* Count c's send queue in b from now on (NULL: stop counting). */
void	cn_set_budget(struct cn *c, struct cn_budget *b);

/*
 * Descriptors this process may still open once fd is open: RLIMIT_NOFILE
 * (read once) minus fd minus 1.  accept() returns the lowest free number,
 * so a new fd at or above the limit minus a reserve means that at most the
 * reserve is left: an owner refuses the connection there and keeps the
 * reserve for its control socket and the like.
 */
long	cn_fd_headroom(int fd);

/* Listening ------------------------------------------------------------- */

#define CN_LISTEN_FREEBIND	0x01	/* bind an address not (yet) local */
#define CN_LISTEN_REUSEPORT	0x02	/* outgoing sockets share the port */

/* Milliseconds the listener rests after EMFILE/ENFILE/ENOBUFS/ENOMEM. */
#define CN_ACCEPT_BACKOFF	100

struct cn_listener {
	struct ev_loop		*loop;
	int			 fd;
	enum cn_transport	 transport;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct ev_ref		 io, backoff;
	/*
	 * A new connection: take fd (return true: the owner owns it), or
	 * refuse it (false: the listener closes it and counts it).
	 */
	bool			(*accept)(void *arg, int fd,
				    const struct sockaddr_storage *ss);
	/* accept() failed with err other than "try again" (the owner
	 * writes a rate-limited line).  Optional. */
	void			(*error)(void *arg, int err);
	void			*arg;
	uint64_t		 accepted, refused;
	uint64_t		 exhausted;	/* backed off on EMFILE and co. */
	uint64_t		 accept_calls;	/* accept() system calls */
};

/*
 * Listen on ss (SO_REUSEADDR, IPV6_V6ONLY for IPv6, flags as above; tune,
 * unless NULL, applied to the listening socket so that accepted SCTP
 * sockets inherit the event subscription) and watch it on loop.  The
 * owner tunes each accepted socket (cn_attach).  0, or -errno with *l
 * closed.
 */
int	cn_listen(struct cn_listener *l, struct ev_loop *loop,
	    const struct sockaddr_storage *ss, socklen_t sslen,
	    enum cn_transport tr, int backlog, unsigned int flags,
	    const struct cn_tune *tune,
	    bool (*accept)(void *, int, const struct sockaddr_storage *),
	    void (*error)(void *, int), void *arg);
/* Stop and close; idempotent (a zeroed listener with fd -1 is fine). */
void	cn_listener_close(struct cn_listener *l);

#endif /* ANYPOOL_CONN_H */
