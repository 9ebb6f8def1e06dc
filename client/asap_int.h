/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of libasap shared by its files: the context, the stream
 * connection object every socket of the library goes through (registrar
 * association with the TCP mapping, PE<->PU sessions with the session
 * framing of asap.h), and the entry points one part calls in another
 * (association up/down, registrar messages, resolution cache).
 */
#ifndef ASAP_INT_H
#define ASAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "asap.h"

/* glibc's sys/queue.h lacks the _SAFE variants. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif
#include "codec.h"
#include "event.h"
#include "retry.h"

#define ASAP_HUNT_PARALLEL	3	/* RFC 5352 §3.6 SH1: at most three */
#define ASAP_HUNT_BACKOFF_MS	100	/* first retry after a failed round */
#define ASAP_SESSION_RETRY_MS	500	/* no usable PE: retry resolution */
#define ASAP_SESSION_RETRY_MAX_MS 5000
#define ASAP_SUSPECT_MS		10000	/* a failed registrar goes last */
#define ASAP_UNREACH_RING	64	/* recent Endpoint Unreachable reports */
#define ASAP_EXCLUDE_MAX	64	/* failed PEs a session remembers */
#define CONN_TX_MAX		(1u << 20)	/* bytes queued per connection */
#define CONN_RX_CAP		(4 + 65535 + 8)
#define ASAP_MSG_BUF		65536
#define SESSION_KIND_DATA	0
#define SESSION_KIND_ASAP	1
#define SESSION_HDR_LEN		4
/*
 * SCTP: the PPID of session user data (ASAP messages carry ASAP_PPID, 11).
 * 0, "unspecified", is what RSPLIB's echo service and terminal use.
 */
#define SESSION_DATA_PPID	0

struct asap_ctx;
struct tls_ctx;
struct tls_conn;

/* An fd watched both by the internal loop and by the pollable epoll fd. */
struct aw {
	struct ev_ref	 ref;
	int		 fd;
	unsigned int	 events;
};

enum conn_framing {
	CONN_ASAP,	/* ASAP messages delimited by their Length (TCP mapping) */
	CONN_SESSION,	/* u8 kind, u8 flags, u16 len, payload */
	CONN_RAW,	/* a byte stream, no control channel */
};

struct conn;
struct conn_ops {
	void	(*connected)(struct conn *c, void *arg);
	/* One frame: kind is SESSION_KIND_* (always ASAP for CONN_ASAP). */
	void	(*frame)(struct conn *c, uint8_t kind, const uint8_t *p,
		    size_t len, void *arg);
	/* Error, EOF or failed connect; the owner must conn_free() it. */
	void	(*closed)(struct conn *c, int error, void *arg);
};

struct conn {
	struct asap_ctx	*ctx;
	struct aw	 w;
	enum conn_framing framing;
	bool		 sctp;		/* one frame per SCTP message, by PPID */
	uint32_t	 rx_ppid;	/* of the SCTP message being read */
	bool		 connecting;
	/* TLS (registrar associations over the TCP mapping only) */
	struct tls_conn	*tls;
	bool		 handshaking;	/* connected, TLS handshake running */
	bool		 tls_want_write; /* TLS needs a writable socket */
	bool		 dead;		/* fd closed, closed() called */
	bool		 busy;		/* inside its own dispatch */
	bool		 freed;		/* conn_free() during dispatch */
	const struct conn_ops *ops;
	void		*arg;
	struct sockaddr_storage peer;
	uint8_t		*rx;
	size_t		 rxlen;
	uint8_t		*tx;
	size_t		 txlen, txoff, txcap;
};

/*
 * tls: run TLS over the connection (TCP only: -EPROTONOSUPPORT for SCTP);
 * connected() then comes after the handshake, and a failed handshake
 * reaches closed() with -EACCES (authentication) or -EPROTO (the rest),
 * conn_tls_fail() saying why.
 */
struct conn	*conn_connect(struct asap_ctx *ctx,
		    const struct sockaddr_storage *sa, bool sctp,
		    struct tls_ctx *tls, enum conn_framing f,
		    const struct conn_ops *ops, void *arg);
/* The same from a local address (its port ignored; NULL: the kernel's). */
struct conn	*conn_connect_from(struct asap_ctx *ctx,
		    const struct sockaddr_storage *sa,
		    const struct sockaddr_storage *local, bool sctp,
		    struct tls_ctx *tls, enum conn_framing f,
		    const struct conn_ops *ops, void *arg);
/* The failed handshake's "class: details" line, or NULL. */
const char	*conn_tls_fail(const struct conn *c);
struct conn	*conn_adopt(struct asap_ctx *ctx, int fd, enum conn_framing f,
		    const struct conn_ops *ops, void *arg);
int		 conn_send(struct conn *c, const void *p, size_t len);
int		 conn_send_frame(struct conn *c, uint8_t kind, const void *p,
		    size_t len);
void		 conn_free(struct conn *c);
bool		 conn_up(const struct conn *c);

struct hunt_try {
	struct conn	*c;
	size_t		 idx;
	uint64_t	 started;
};

struct cache_entry;
struct resolve_req;
struct ready_waiter;

TAILQ_HEAD(pe_list, asap_pe);
TAILQ_HEAD(session_list, asap_session);
TAILQ_HEAD(cache_list, cache_entry);
TAILQ_HEAD(req_list, resolve_req);
TAILQ_HEAD(waiter_list, ready_waiter);

struct unreach_rec {
	uint8_t		 handle[ASAP_POOL_HANDLE_MAX];
	size_t		 hlen;
	uint32_t	 pe_id;
	uint64_t	 at;
	bool		 used;
	bool		 sent;
};

struct asap_ctx {
	struct ev_loop	*loop;
	int		 epfd;		/* asap_fd(): mirrors every watched fd */
	int		 tfd;		/* timerfd for the loop's next timer */
	struct asap_config cfg;
	bool		 brk;
	unsigned int	 cb_depth;	/* > 0 while a user callback runs */

	void		(*dbg)(void *arg, const char *line);
	void		*dbg_arg;
	uint64_t	 rng;

	/* Registrars and the server hunt (RFC 5352 §3.6) */
	struct sockaddr_storage *reg;
	bool		*reg_sctp;	/* per registrar: "sctp:" given */
	struct tls_ctx	*tls;		/* TLS to every registrar, or NULL */
	char		 tls_err[320];	/* last handshake failure, "" none */
	size_t		 nreg;
	size_t		 hunt_cursor;
	bool		 hunting;
	size_t		 round_started;	/* attempts started in this round */
	struct hunt_try	 tries[ASAP_HUNT_PARALLEL];
	struct ev_ref	 t5;
	struct ev_ref	 hunt_retry;
	uint32_t	 t5_cur;
	uint32_t	 backoff;
	/*
	 * Resolution deadline (libasap 0.4, asap_pu_set_deadline()): while a
	 * resolution with a deadline waits, the hunt is "fast": addresses
	 * that failed within ASAP_SUSPECT_MS go last, T5 is the per-try
	 * timeout and the back-off is retry_backoff_ms().
	 */
	struct retry_params dl;
	struct retry_rtt rtt;		/* of the association to the registrar */
	uint64_t	*reg_failed;	/* per registrar: when it failed us, 0 */
	bool		*reg_tried;	/* per registrar: started this round */
	uint32_t	 fast_backoff;

	/* The association to the home registrar */
	struct conn	*assoc;
	size_t		 assoc_idx;	/* its index in reg[] */
	uint64_t	 assoc_gen;
	uint32_t	 home_id;	/* from keep-alives; 0 unknown */
	uint32_t	 last_home_id;
	char		 home_addr[64];
	char		 last_home_addr[64];

	struct pe_list	 pes;
	struct pe_list	 dead_pes;
	struct session_list sessions;
	struct session_list dead_sessions;
	TAILQ_HEAD(, asap_pe_session) pe_sessions;
	TAILQ_HEAD(, asap_pe_session) dead_pe_sessions;

	/* Resolution */
	struct cache_list cache;
	struct req_list	 reqs;
	struct waiter_list ready;
	struct ev_ref	 ready_t;
	struct unreach_rec unreach[ASAP_UNREACH_RING];
	size_t		 unreach_next;

	/*
	 * Long-lived associations off the anycast address (libasap 0.5,
	 * doc/spec/registrar-unicast.md): the association's registrar told
	 * its unicast addresses; uni_try connects there, and the association
	 * it replaces stays open ("retiring") until the PEs re-registered.
	 */
	int		 uni_mode;	/* ASAP_UNICAST_* */
	bool		 assoc_uni;	/* assoc is to a learned unicast address */
	struct sockaddr_storage uni[RSP_MAX_ADDRS];
	size_t		 nuni, uni_next;
	bool		 uni_sctp;
	struct conn	*uni_try;
	struct conn	*retiring;
	struct ev_ref	 uni_t;		/* uni_try's connect timeout */
	struct ev_ref	 retire_t;	/* the retiring one's last moment */
	uint64_t	 uni_done_gen;	/* assoc_gen that asked and was answered */
	struct sockaddr_storage uni_src; /* the association's local address */
};

/* ctx.c */
void		 ctx_debug(struct asap_ctx *ctx, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
int		 ctx_timer(struct asap_ctx *ctx, struct ev_ref *ref,
		    uint64_t delay_ms, ev_cb cb, void *arg);
void		 ctx_sync(struct asap_ctx *ctx);
uint64_t	 ctx_now(const struct asap_ctx *ctx);
uint32_t	 ctx_random(struct asap_ctx *ctx);
int		 aw_add(struct asap_ctx *ctx, struct aw *w, int fd,
		    unsigned int events, ev_cb cb, void *arg);
int		 aw_mod(struct asap_ctx *ctx, struct aw *w, unsigned int events);
void		 aw_del(struct asap_ctx *ctx, struct aw *w);
/* Something needs the registrar: hunt unless associated or hunting. */
void		 ctx_need_assoc(struct asap_ctx *ctx);
/* The registrar failed us (timeouts): drop the association and hunt. */
void		 ctx_assoc_fail(struct asap_ctx *ctx, const char *why);
/*
 * The registrar left a request with a deadline unanswered for a try:
 * hunt for a new connection while keeping the association, which the
 * first new one up replaces (unless the old one answers first).
 */
void		 ctx_assoc_suspect(struct asap_ctx *ctx, const char *why);
/* The per-try timeout with remaining_ms left until a deadline. */
uint32_t	 ctx_try_ms(const struct asap_ctx *ctx, uint64_t remaining_ms);
/* Send a built message on the association; -ENOTCONN if none. */
int		 ctx_send(struct asap_ctx *ctx, const struct wbuf *w);
void		 ctx_set_home_id(struct asap_ctx *ctx, uint32_t id);
/* Put the Registrar Unicast request into a registration (pe) or resolution. */
bool		 ctx_want_unicast(const struct asap_ctx *ctx, bool pe);
void		 ctx_free_zombies(struct asap_ctx *ctx);
#define CTX_CALLBACK(ctx, call) do {				\
	(ctx)->cb_depth++;					\
	call;							\
	(ctx)->cb_depth--;					\
} while (0)

/* Conversions between the codec's and the public view of a PE. */
void		 pe_info_from_rsp(const struct rsp_pe *r, struct asap_pe_info *ret);
void		 pe_info_to_rsp(const struct asap_pe_info *i, struct rsp_pe *ret);
void		 sockaddr_to_rsp(const struct sockaddr_storage *ss,
		    struct rsp_addr *ret);
void		 sockaddr_from_rsp(const struct rsp_addr *a, uint16_t port,
		    struct sockaddr_storage *ret);

/* pe.c */
void		 pe_assoc_up(struct asap_ctx *ctx);
void		 pe_resend_registrations(struct asap_ctx *ctx);
void		 pe_assoc_down(struct asap_ctx *ctx);
void		 pe_tls_failed(struct asap_ctx *ctx, int error);
void		 pe_handle_msg(struct asap_ctx *ctx, const struct rsp_msg *m);
void		 pe_home_changed(struct asap_ctx *ctx);
bool		 pe_needs_assoc(const struct asap_ctx *ctx);
/* A PE waits to be (re-)registered on the association (or for one). */
bool		 pe_pending(const struct asap_ctx *ctx);
void		 pe_free_all(struct asap_ctx *ctx);
void		 pe_free_now(struct asap_pe *pe);
const uint8_t	*pe_handle(const struct asap_pe *pe, size_t *ret_len);

/* pu.c */
void		 pu_assoc_up(struct asap_ctx *ctx);
void		 pu_assoc_down(struct asap_ctx *ctx);
void		 pu_handle_msg(struct asap_ctx *ctx, const struct rsp_msg *m);
bool		 pu_needs_assoc(const struct asap_ctx *ctx);
/* A resolution with a deadline waits; *ret_left: ms to the earliest. */
bool		 pu_deadline_pending(const struct asap_ctx *ctx,
		    uint64_t *ret_left);
void		 pu_free_all(struct asap_ctx *ctx);
/* Remove the waiters of (cb, arg) from every pending resolution. */
void		 pu_cancel(struct asap_ctx *ctx, asap_resolve_cb cb, void *arg);
struct cache_entry *pu_cache_find(struct asap_ctx *ctx, const void *h,
		    size_t hlen);
bool		 pu_cache_fresh(const struct asap_ctx *ctx,
		    const struct cache_entry *e);
/* PU selection (doc/protocol/policies.md §3), skipping excluded ids. */
const struct asap_pe_info *pu_select(struct asap_ctx *ctx,
		    struct cache_entry *e, const uint32_t *excl, size_t nexcl);
size_t		 pu_cache_pes(const struct cache_entry *e,
		    const struct asap_pe_info **ret);

/* session.c */
void		 session_free_all(struct asap_ctx *ctx);
void		 session_free_now(struct asap_session *s);
void		 pe_session_free_now(struct asap_pe_session *s);
/* Build a BUSINESS_CARD for own's pool into w. */
int		 build_business_card(struct asap_ctx *ctx,
		    const struct asap_pe *own, struct wbuf *w);

#endif /* ASAP_INT_H */
