/*
 * tcp.h - the tcp transport (controller tcp0): put/get through the data
 * server of the daemon that is home to the segment, over the protocol of
 * proto/rsm_data.h.
 *
 * One TCP connection per import, opened with the import's capability.
 * Requests are pipelined: puts are posted and return, their replies are
 * collected later (by any later call, and at the latest by flush); gets
 * post their requests and wait for the data, which is received straight
 * into the caller's buffer.  The server answers in order, so the
 * outstanding requests are a FIFO and each reply must answer its head.
 *
 * Every wait is bounded: a server that makes no progress for
 * TCP_STALL_MS is treated as gone (the socket blocks in recvmsg with
 * SO_RCVTIMEO, so waiting for a reply is one system call; sends and
 * probes pass MSG_DONTWAIT).  Once the stream fails (EOF, reset,
 * a malformed reply, a stall) the connection is dead for good and every
 * call, pending or later, returns RSMERR_CONN_ABORTED.
 *
 * A server whose CHALLENGE names a cipher (data_encrypt = yes there)
 * gets every frame after HELLO sealed in records (proto/rsm_data_seal.h):
 * sends gather into a record and seal it, receives open records and copy
 * out of them.  A record that fails authentication is a malformed reply.
 * The importer needs no setting of its own; a cipher this machine cannot
 * do (AES-256-GCM without AES-NI) fails the connect with
 * RSMERR_UNSUPPORTED_OPERATION.
 */
#ifndef RSM_TCP_H
#define RSM_TCP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "rsm_data.h"
#include "transport.h"

struct rsm_seal;

/* Bytes per frame: larger transfers are split and pipelined. */
#define TCP_CHUNK		(1u << 20)
/* Requests in flight per connection. */
#define TCP_WINDOW		16u
/* No progress for this long: the server is gone. */
#define TCP_STALL_MS		10000
#define TCP_CONNECT_MS		5000
/* A reply is polled for before the wait sleeps (RSM_BUSY_POLL_US). */
#define TCP_BUSY_POLL_US	50
#define TCP_BUSY_POLL_MAX_US	100000

/* Where a multi-frame call gathers its outcome. */
struct tcp_wait {
	int		 status;	/* first failure, or RSM_SUCCESS */
	size_t		 done;		/* list entries done before it */
};

struct tcp_pend {
	uint64_t	 id;
	uint8_t		 op;
	uint32_t	 want_len;	/* reply payload on success */
	uint32_t	 want_count;
	/* Where reply payload goes (HELLO, GET, GETV), entry by entry. */
	uint32_t	 ndst;
	struct iovec	 dst[RSM_DATA_VEC_MAX];
	/* Outcome: into *wait, or for posted puts into the connection. */
	struct tcp_wait	*wait;
	size_t		 entry_base;	/* first list entry in this frame */
	int		 part;		/* a chunk of one larger entry */
};

struct tcp_conn {
	pthread_mutex_t	 mtx;
	int		 fd;
	struct rsm_seal	*seal;		/* NULL: the frames go in the clear */
	unsigned	 fork_gen;	/* a forked child must not use it */
	int		 err;		/* sticky RSMERR_* once the stream failed */
	int		 first_err;	/* first failed posted op since flush */
	uint64_t	 next_id;
	uint64_t	 size;		/* segment size, from the server */
	uint32_t	 granted;	/* RSM_PERM_* */
	int		 putm;		/* the server takes PUTM frames */
	struct tcp_pend	 ring[TCP_WINDOW];
	unsigned	 head;
	unsigned	 n;		/* outstanding requests */
	/*
	 * A reply was retired since the last flush: the stream stood a
	 * moment ago, so a flush with nothing outstanding need not probe it.
	 */
	int		 fresh;
	/* The reply being read. */
	struct rsm_data_hdr rh;
	size_t		 rh_got;
	size_t		 pay_got;	/* payload bytes of it received */
};

/* tcp_conn.c */
/* The connect slot: HELLO with the capability's token, then seg is set. */
int	 tcp_conn_open(struct rsm_xport_seg *seg,
	    const struct rsm_xport_target *t);
void	 tcp_conn_close(struct tcp_conn *c);
/*
 * Post one request: header, then `ntab` vector entries, then `npay`
 * payload iovecs.  Waits (bounded) for room in the window first.  The
 * caller fills everything in *p but the id.  Returns 0 or c->err.
 */
int	 tcp_post(struct tcp_conn *c, struct rsm_data_hdr *h,
	    const struct rsm_data_vec *tab, uint32_t ntab,
	    const struct iovec *pay, int npay, const struct tcp_pend *p);
/* Read replies until at most `left` requests are outstanding. */
int	 tcp_wait_until(struct tcp_conn *c, unsigned left);
/* Retire whatever replies have arrived, without waiting. */
int	 tcp_poll_replies(struct tcp_conn *c);
/* Lock the connection for one call; RSMERR_CONN_ABORTED if unusable. */
int	 tcp_enter(struct tcp_conn *c);
void	 tcp_leave(struct tcp_conn *c);

static inline struct tcp_conn *
to_tcp_conn(const struct rsm_xport_seg *seg)
{
	return seg != NULL ? (struct tcp_conn *)seg->priv : NULL;
}

#endif /* RSM_TCP_H */
