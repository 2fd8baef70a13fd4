/*
 * verbs.h - the verbs transport (controllers verbs0, verbs1, ...): put and
 * get by RDMA WRITE and READ straight into the exporting daemon's mapping
 * of the segment, one-sided and kernel-bypass.
 *
 * One RC queue pair per import, connected with librdmacm to the daemon's
 * listener when the import connects, presenting the capability's token.
 * Every work request is signalled and completions come in order, so the
 * outstanding requests are a FIFO ring (wr_id = ring index).
 *
 * Local memory: a put of at most max_inline_data bytes travels inline;
 * gets up to VERBS_BOUNCE_SLOT bytes and puts up to VERBS_BOUNCE_PUT_MAX
 * bytes are copied through a ring of registered bounce slots (a put then
 * returns at once, as the copy is ours); larger
 * transfers are zero-copy from the caller's buffer, registered through
 * the registration cache (verbs_plan.h), and wait for their completion
 * before returning, so the caller may reuse the buffer as with any put.
 * A buffer that cannot be registered (RLIMIT_MEMLOCK, spanning mappings)
 * goes through the bounce slots instead.
 *
 * A wait polls the completion queue for up to an adaptive budget (at most
 * VERBS_SPIN_NS) before it arms the queue and blocks on its channel.  Every wait is bounded
 * (VERBS_STALL_MS).  A completion error, a
 * disconnect by the daemon, or abort() kills the queue pair for good:
 * every later call returns RSMERR_CONN_ABORTED.
 */
#ifndef RSM_VERBS_H
#define RSM_VERBS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "transport.h"
#include "verbs_dl.h"
#include "verbs_dev.h"
#include "verbs/verbs_plan.h"
#include "rsm_verbs_wire.h"

#define VERBS_SQ_DEPTH		64u	/* work requests in flight */
#define VERBS_BOUNCE_SLOT	(64u << 10)
#define VERBS_BOUNCE_SLOTS	32u
/*
 * Puts up to this size are copied through the bounce slots and return at
 * once, so a stream of them keeps the link busy (a zero-copy put must
 * wait for its completion before returning).  Above it the copy costs
 * more than that wait: a 1 MiB copy is about as long as its transfer,
 * and it takes the CPU the transfer needs where the device is software
 * (rxe: 1 MiB puts moved 3% faster zero-copy, bench-verbs).
 */
#define VERBS_BOUNCE_PUT_MAX	(128u << 10)
/*
 * Poll the completion queue at most this long before blocking on its
 * channel; the budget adapts to how soon completions come, down to
 * VERBS_SPIN_MIN_NS when they keep arriving late (verbs_conn.c).
 */
#define VERBS_SPIN_NS		200000u
#define VERBS_SPIN_MIN_NS	10000u
/* Bounds of the polls a spin makes between two reads of the clock. */
#define VERBS_SPIN_POLLS_MIN	16u
#define VERBS_SPIN_POLLS_MAX	(1u << 20)
/* Look for connection-manager events between waits at most this often. */
#define VERBS_CM_CHECK_MS	5u
#define VERBS_INLINE_WANT	256u
#define VERBS_CONNECT_MS	5000
#define VERBS_STALL_MS		20000
/* Bytes the registration cache may keep pinned. */
#define VERBS_RCACHE_BYTES	(256u << 20)
/* Work requests one round of a transfer is planned in. */
#define VERBS_PLAN_WR		256u
/* Largest single work request (smaller when the port says so). */
#define VERBS_WR_MAX		(4u << 20)

struct verbs_wait {
	int	 status;		/* first failure, or RSM_SUCCESS */
};

struct verbs_pend {
	int		 slot;		/* bounce slot, or -1 */
	struct verbs_wait *wait;	/* NULL: report at the next flush */
	/* A get through a bounce slot: scatter these pieces on completion. */
	const struct vplan_sge *sge;
	uint32_t	 nsge;
	size_t		 sge_off;	/* bytes of those pieces before this one */
	size_t		 len;		/* bytes this request moves */
};

struct verbs_conn {
	pthread_mutex_t	 mtx;
	unsigned	 fork_gen;	/* forks seen at open: a child must not use it */
	uint32_t	 spin_ns;	/* spin budget, VERBS_SPIN_MIN_NS..VERBS_SPIN_NS */
	uint32_t	 spin_polls;	/* polls between clock reads in a spin */
	const struct verbs_dl *v;
	struct rdma_event_channel *ech;
	struct rdma_cm_id *id;
	struct ibv_pd	*pd;
	struct ibv_comp_channel *cch;
	struct ibv_cq	*cq;
	struct ibv_qp	*qp;
	int		 abort_fd;	/* eventfd written by abort() */
	_Atomic int	 aborted;
	int		 err;		/* sticky RSMERR_* once the QP is lost */
	int		 first_err;	/* first failed posted op since flush */
	int		 fence_next;	/* order_barrier: fence the next WR */
	/*
	 * Nothing outstanding, failed or lost as of the last verbs_leave
	 * (cleared by verbs_enter): a flush then has nothing to wait for or
	 * report and returns without the lock.
	 */
	_Atomic int	 quiet;
	uint64_t	 cm_checked_ms;	/* last look at the event channel */
	/* Limits of this queue pair. */
	uint32_t	 depth;
	uint32_t	 max_inline;
	uint32_t	 max_sge;
	int		 atomics;	/* device atomic_cap is not NONE */
	uint64_t	 max_msg;
	/* The remote side. */
	uint32_t	 rkey;
	uint64_t	 size;
	uint32_t	 granted;
	/* Outstanding requests, oldest at head. */
	struct verbs_pend ring[VERBS_SQ_DEPTH];
	unsigned	 head, n;
	/* Bounce slots. */
	char		*bounce;
	struct ibv_mr	*bounce_mr;
	uint8_t		 slot_busy[VERBS_BOUNCE_SLOTS];
	unsigned	 next_slot;
	struct vrc	 rc;
	/* The plan of the transfer in progress (under mtx). */
	struct vplan_wr	 plan_wr[VERBS_PLAN_WR];
	struct vplan_sge plan_sge[VERBS_PLAN_WR];
};

/* verbs_conn.c */
/* The connect slot: the queue pair, its ready message, then seg is set. */
int	 verbs_conn_open(struct rsm_xport_seg *seg,
	    const struct rsm_xport_target *t);
void	 verbs_conn_close(struct verbs_conn *c);
int	 verbs_enter(struct verbs_conn *c);
/* Whether this process is a fork of the one that opened c. */
int	 verbs_in_child(const struct verbs_conn *c);
void	 verbs_leave(struct verbs_conn *c);
/* Retire completions until at most `left` requests are outstanding. */
int	 verbs_wait_until(struct verbs_conn *c, unsigned left);
/* Retire whatever has completed, without waiting. */
int	 verbs_poll(struct verbs_conn *c);
/* A free bounce slot (waits for one); -1 with c->err when lost. */
int	 verbs_slot_get(struct verbs_conn *c);
/* Post one work request with its bookkeeping; returns 0 or c->err. */
int	 verbs_post(struct verbs_conn *c, struct ibv_send_wr *wr,
	    const struct verbs_pend *p);
void	 verbs_conn_abort(struct verbs_conn *c);
/*
 * Copy len bytes between buf and the pieces s[0..n), starting off bytes
 * into the pieces; to_pieces: buf -> pieces, else pieces -> buf.
 */
void	 verbs_sge_copy(const struct vplan_sge *s, uint32_t n, size_t off,
	    char *buf, size_t len, int to_pieces);

/*
 * verbs_src.c: where an import through device `unit` (ibv_get_device_list
 * order) may connect, best first: a listed address of the capability on
 * the same network as one of the device's addresses, from that address,
 * then the other listed addresses, from the device's first address of
 * their family.  Binding a source address of the device makes rdma_cm
 * put the queue pair on it.  The device's name goes to name.  The number
 * of routes in out (at most RSM_CAP_ADDRS_MAX): 0 when there is no such
 * device or it has no address of a listed family.
 */
struct verbs_route {
	struct sockaddr_storage src, dst;
};
unsigned verbs_route_plan(const struct verbs_dl *v, unsigned unit,
	    const struct rsm_wire_cap *cap, struct verbs_route *out,
	    char *name, size_t namelen);

/* verbs_vma.c */
int	 verbs_vma_query(uintptr_t addr, struct vrc_vma *out);
/* The page frame behind addr; 0 when absent or not shown to us. */
uint64_t verbs_page_frame(uintptr_t addr);


static inline struct verbs_conn *
to_verbs_conn(const struct rsm_xport_seg *seg)
{
	return seg != NULL ? (struct verbs_conn *)seg->priv : NULL;
}

#endif /* RSM_VERBS_H */
