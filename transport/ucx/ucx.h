/*
 * ucx.h - the ucx0 transport's private state (transport/ucx/ only).
 *
 * One UCP context and worker per process (struct ucx_proc), made at the
 * first connect and made again in a forked child (the parent's belong to
 * the parent).  Its mutex serialises every use of the worker, including
 * the waits (spinning on ucp_worker_progress in the caller's thread); it
 * is a leaf lock like tcp_conn.mtx.  Each import is a struct ucx_conn:
 * an endpoint to the exporting daemon's listener, the unpacked rkey and
 * the remote address of offset 0.
 */
#ifndef RSM_UCX_H
#define RSM_UCX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/queue.h>

#include "ucx_dl.h"
#include "rsm_ucx_wire.h"

/* Connect: the listener's answer, CHALLENGE and READY, each. */
#define UCX_CONNECT_MS		5000u
/* A wait fails when the worker makes no progress for this long. */
#define UCX_STALL_MS		10000u
/* Disconnect: how long outstanding puts get to drain. */
#define UCX_CLOSE_MS		2000u

struct ucx_conn;

struct ucx_proc {
	pthread_mutex_t	 mtx;
	unsigned	 gen;		/* rsm_forkgen_arm() at creation */
	const struct ucx_dl *u;
	ucp_context_h	 ctx;
	ucp_worker_h	 worker;
	uint64_t	 next_cookie;
	TAILQ_HEAD(, ucx_conn) waiting;	/* connects in their handshake */
};

struct ucx_conn {
	struct ucx_proc	*p;
	unsigned	 gen;
	ucp_ep_h	 ep;
	ucp_rkey_h	 rkey;
	uint64_t	 base;		/* remote address of offset 0 */
	size_t		 size;
	uint32_t	 perm;		/* RSM_PERM_* granted */
	_Atomic int	 aborted;	/* abort(): every call fails at once */
	int		 failed;	/* the endpoint reported an error */
	/* Connect only (the handshake, proto/rsm_ucx_wire.h). */
	TAILQ_ENTRY(ucx_conn) wlink;
	uint64_t	 cookie;
	int		 challenged;	/* CHALLENGE arrived: nonce is set */
	uint8_t		 nonce[RSM_DATA_NONCE_LEN];
	int		 proved;	/* PROOF sent: READY may come */
	int		 ready;		/* READY arrived */
	struct rsm_ucx_ready rmsg;
	void		*rkey_buf;
};

/* ucx_proc.c */
/* The process's context and worker (made now if needed), or NULL. */
struct ucx_proc *ucx_proc_get(int *err);
/*
 * Wait, holding p->mtx, for req (a ucp_*_nbx result) to finish: the
 * RSMERR_* of its status.  A stalled worker, an abort or a failed
 * endpoint force-close the endpoint so the request completes.
 */
int	 ucx_wait(struct ucx_conn *c, ucs_status_ptr_t req);
/* RSMERR_* for a UCX status. */
int	 ucx_err(ucs_status_t st);

#endif /* RSM_UCX_H */
