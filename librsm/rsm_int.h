/*
 * rsm_int.h - librsm internals: handle slots, the daemon link, and the
 * hooks between the files of the library.  Nothing here is exported (the
 * version script librsm.map exports only the 42 rsm_* functions).
 */
#ifndef RSM_INT_H
#define RSM_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rsmapi.h"
#include "rsm_ctlr.h"
#include "rsm_proto.h"
#include "transport.h"

/* The status page word of a segment the exporter gave up (memfd_move.c). */
#define RSM_SEG_ABANDONED	1u

#pragma GCC visibility push(hidden)

/* ---- handle slots (handles.c) ---- */

#define RSM_SLOT_SIZE		512u
#define RSM_SLOT_COUNT		65536u

/* Magic per kind; a freed slot holds RSM_MAGIC_FREE. */
#define RSM_MAGIC_FREE		0x46524545u	/* "FREE" */
#define RSM_MAGIC_CTLR		0x43544c52u	/* "CTLR" */
#define RSM_MAGIC_EXPORT	0x45585054u	/* "EXPT" */
#define RSM_MAGIC_IMPORT	0x494d5054u	/* "IMPT" */
#define RSM_MAGIC_LOCALMEM	0x4c4d454du	/* "LMEM" */

/* Every slot starts with this header. */
struct rsm_slot_hdr {
	_Atomic uint32_t magic;
	uint32_t	 next_free;	/* free-list link (slot index) */
	uint64_t	 epoch;		/* daemon link epoch the handle lives in */
	uint64_t	 dh;		/* daemon handle; 0 until the daemon issued it */
};

struct rsm_ctlr {
	struct rsm_slot_hdr hdr;
	char		 name[RSM_CTLR_NAME_MAX];	/* as the daemon names it */
	unsigned	 refs;
	/* What the name means: its row of rsm_ctlr_types. */
	const struct rsm_ctlr_type *type;
	const struct rsm_transport_ops *ops;
	struct rsm_msg_ctlr_reply attr;
};

struct rsm_export {
	struct rsm_slot_hdr hdr;
	struct rsm_ctlr	*ctlr;
	char		*vaddr;
	size_t		 size;
	uint32_t	 flags;
	pid_t		 creator;
	int		 published;
	uint32_t	 segid;
	int		 evfd;		/* event counter (semaphore eventfd) */
	unsigned	 poll_refs;
	_Atomic uint32_t *status;	/* the memfd's status page (memfd_move.c) */
};

/* Which mapping serves put/get. */
#define RSM_VIEW_NONE		0
#define RSM_VIEW_IMPLICIT	1
#define RSM_VIEW_EXPLICIT	2

struct rsm_import {
	struct rsm_slot_hdr hdr;
	/*
	 * The put/get hot path reads only the fields up to `barrier_token`,
	 * without a lock: `gen` (0 while the connection is alive, bumped by a
	 * revocation or the daemon's death) and `view`, published with release
	 * once the window fields are set.
	 */
	_Atomic uint32_t gen;
	_Atomic int	 view;		/* RSM_VIEW_* */
	char		*win_base;	/* address of segment offset win_off */
	size_t		 win_off;
	size_t		 win_len;
	uint32_t	 win_perm;	/* RSM_PERM_* allowed through the window */
	_Atomic int	 mode;		/* rsm_barrier_mode_t */
	_Atomic uintptr_t barrier_token; /* 0: no barrier */
	/* Below: changed under rsm_handles_lock only. */
	struct rsm_ctlr	*ctlr;
	struct rsm_xport_seg xs;	/* implicit mapping of the whole segment */
	size_t		 size;
	uint32_t	 granted;	/* RSM_PERM_* of the connection */
	uint32_t	 node_mode;
	uint32_t	 node;
	uint32_t	 segid;
	int		 fd;		/* segment memfd; -1 once revoked */
	/* tcp0: how to reach the data server (family 0 for shm imports). */
	struct rsm_wire_cap cap;
	char		*map_addr;	/* explicit mapping */
	size_t		 map_len;
	int		 map_prot;
	int		 evfd;
	unsigned	 poll_refs;
	/*
	 * The memfd's status page, read-only, or NULL (a capability import,
	 * a memfd without one, or no view made yet): set before the first
	 * view is published (import.c), replaced in place (MAP_FIXED) on
	 * rebind, unmapped at disconnect.
	 */
	_Atomic uint32_t *status;
	/*
	 * The transport's connect runs without the lock (a data server
	 * behind a cut link can take seconds to refuse): `connecting` says
	 * one is under way, so others wait for it (rsm_handles_wait), and
	 * `connect_cancel`, set by a revocation or a disconnect, ends it.
	 */
	int		 connecting;
	_Atomic int	 connect_cancel;
	unsigned	 rebinds;	/* REBOUNDs so far: a connect's fd is stale */
	/*
	 * A remote map (rmap.h): the explicit mapping of a capability
	 * import, a cache of its own beside `view`, which then stays the
	 * implicit one of put/get.  Set and cleared under the lock; a
	 * barrier takes a reference (rsm_import_rmap_get), after a look
	 * without the lock, so that barriers of imports never remotely
	 * mapped take no lock.
	 */
	struct rsm_rmap	*_Atomic rmap;
};

/* Whether the exporter gave the memory of this import up (memfd_move.c). */
static inline int
rsm_import_abandoned(const struct rsm_import *im)
{
	if (im->status == NULL)
		return 0;
	atomic_thread_fence(memory_order_seq_cst);
	return atomic_load_explicit(im->status, memory_order_relaxed) ==
	    RSM_SEG_ABANDONED;
}

struct rsm_localmem {
	struct rsm_slot_hdr hdr;
	struct rsm_ctlr	*ctlr;
	struct rsm_xport_mem mem;
};

extern char *_Atomic rsm_arena;

/*
 * The slot behind a caller's pointer if it is a live handle of `magic`,
 * else NULL.  Never dereferences memory outside the arena.
 */
static inline void *
rsm_slot_check(const void *p, uint32_t magic)
{
	char *base = atomic_load_explicit(&rsm_arena, memory_order_acquire);
	uintptr_t off;
	struct rsm_slot_hdr *h;

	if (base == NULL || p == NULL)
		return NULL;
	off = (uintptr_t)p - (uintptr_t)base;
	if (off >= (uintptr_t)RSM_SLOT_SIZE * RSM_SLOT_COUNT ||
	    off % RSM_SLOT_SIZE != 0)
		return NULL;
	h = (struct rsm_slot_hdr *)(base + off);
	if (atomic_load_explicit(&h->magic, memory_order_acquire) != magic)
		return NULL;
	return h;
}

/* Allocate a zeroed slot with `magic` set; NULL when the arena is full. */
void	*rsm_slot_alloc(uint32_t magic);
/* Free a slot (caller holds rsm_handles_lock). */
void	 rsm_slot_free(void *slot);
/* Call fn for every live slot of `magic` (caller holds rsm_handles_lock). */
void	 rsm_slot_foreach(uint32_t magic, void (*fn)(void *slot, void *arg),
	    void *arg);
/* Live slot of `magic` with daemon handle dh in epoch (lock held). */
void	*rsm_slot_find(uint32_t magic, uint64_t epoch, uint64_t dh);
/* A fresh token for a barrier; never dereferenced. */
uintptr_t rsm_barrier_token_new(void);

/*
 * One lock for handle state changes; never held across a daemon request.
 * Lock order: the daemon link's mutex (daemon_link.c) before this one; a
 * transport's connection mutex is a leaf, never taken under either
 * (doc/internals.md, "Threads, state and locks").
 */
void	 rsm_handles_lock(void);
void	 rsm_handles_unlock(void);
/*
 * Lock held: wait (at most 100 ms) for rsm_handles_wake(), which an
 * import's connect made without the lock calls once it is done.
 */
void	 rsm_handles_wait(void);
void	 rsm_handles_wake(void);
void	 rsm_handles_atfork_prepare(void);
void	 rsm_handles_atfork_parent(void);
void	 rsm_handles_atfork_child(void);

/* ---- daemon link (daemon_link.c) ---- */

/* Cap of a reply buffer: the largest reply payload. */
#define RSM_REPLY_MAX		(RSM_MSG_MAX - sizeof(struct rsm_msg_hdr))

struct rsm_call {
	uint16_t	 type;
	const void	*req;		/* payload */
	size_t		 req_len;
	int		 req_fd;	/* -1: none */
	void		*reply;		/* payload buffer */
	size_t		 reply_cap;
	int		 reply_fd;	/* out: fd that came with the reply, or -1 */
	uint64_t	 epoch;		/* in: 0 = any (connect if needed); out: used */
	/* in: slot whose hdr.dh the link's reader fills from a handle reply */
	struct rsm_slot_hdr *slot;
	/*
	 * in: for a request answered by a stream (TOPOLOGY): the link's
	 * reader hands the payload of each RSM_MSGF_MORE reply to
	 * more(more_arg, ...), in order, with the link's lock held, so it
	 * must only take a copy.  NULL: the request takes a single reply,
	 * and a MORE one breaks the protocol.
	 */
	void		(*more)(void *arg, const void *payload, size_t len);
	void		*more_arg;
	size_t		 reply_len;	/* out: payload bytes of the last reply */
};

/*
 * Send a request and wait for its reply or for the link's death.
 * Returns the reply status or RSMERR_CONN_ABORTED (link down, or the
 * handle's epoch is over).  An error reply closes nothing: reply_fd is -1.
 */
int	 rsm_link_call(struct rsm_call *c);
/*
 * Send a request whose answer the caller does not need, flagged
 * RSM_MSGF_POSTED so that the daemon sends none (only IMPORT_DISCONNECT).
 * c->epoch must be the current link's, else RSMERR_CONN_ABORTED.
 * Returns RSM_SUCCESS once sent.
 */
int	 rsm_link_post(struct rsm_call *c);
/*
 * A thread starts (1) or stops (-1) waiting for events, or a poll
 * descriptor is handed out or given back: events then reach their
 * eventfds at once rather than at the link's next busy look.  Called
 * without handles_mtx.
 */
void	 rsm_link_watch(int delta);
/* Make sure the link is up; *epoch and *node_id describe it. */
int	 rsm_link_up(uint64_t *epoch, uint32_t *node_id);
/* Whether handles of `epoch` still talk to a live daemon. */
int	 rsm_epoch_live(uint64_t epoch);
/* A dup of the current link's death eventfd if epoch is live, else -1. */
int	 rsm_link_death_fd(uint64_t epoch);

/*
 * ---- notification handlers: run by whichever thread reads the link (its
 * receiver thread, or a caller waiting for a reply), one at a time, in
 * arrival order ----
 */
void	 rsm_import_revoked(uint64_t epoch, uint64_t dh);
void	 rsm_import_rebound(uint64_t epoch, uint64_t dh, uint64_t size, int fd);
void	 rsm_event_deliver(uint64_t epoch, uint32_t kind, uint64_t dh,
	    uint32_t flags);
/*
 * The link of `epoch` died: bump every import of it or older (lock held);
 * wake: also wake their waiters (not in a forked child, whose eventfds are
 * the parent's).
 */
void	 rsm_imports_link_died(uint64_t epoch, int wake);

/* ---- controller.c ---- */
struct rsm_ctlr *rsm_ctlr_get(rsmapi_controller_handle_t h);
/* Whether c reaches this node's segments only (spec 4.4: loopback). */
int	 rsm_ctlr_is_loopback(const struct rsm_ctlr *c);

/* ---- memfd_move.c ---- */
/*
 * A segment's memfd holds one page more than the segment: its status
 * page.  The exporter sets RSM_SEG_ABANDONED in the page's first word,
 * with a full fence, before its memory stops being the segment's
 * (destroy, which gives the exporter private pages back); an importer's
 * barrier loads it after its own fence.  Either the exporter's copy sees
 * the importer's writes, or the importer sees the mark and its barrier
 * fails: no write a barrier acknowledged is lost, even when the daemon
 * that would have revoked the import is already gone.
 */
/*
 * Move [vaddr, vaddr+size) into a new memfd (size plus the status page);
 * *fdp gets it, *statusp the exporter's mapping of the status page.
 */
int	 rsm_memfd_move_in(void *vaddr, size_t size, int *fdp,
	    _Atomic uint32_t **statusp);
/* Map the status page of a segment memfd of `size` bytes; NULL: none. */
_Atomic uint32_t *rsm_memfd_status_map(int fd, size_t size, int prot,
	    void *fixed);
void	 rsm_memfd_status_unmap(_Atomic uint32_t *status);
/* Put private anonymous memory with the current contents back. */
int	 rsm_memfd_move_out(void *vaddr, size_t size);

/* ---- import.c ---- */
struct rsm_import *rsm_import_get(rsm_memseg_import_handle_t h);
/* Map the whole segment for put/get on first use. */
int	 rsm_import_implicit_map(struct rsm_import *im);
/* The import's remote map with a reference taken, or NULL (no lock held). */
struct rsm_rmap *rsm_import_rmap_get(struct rsm_import *im);

/* ---- data.c ---- */
int	 rsm_import_xfer(struct rsm_import *im, off_t offset, void *buf,
	    size_t len, size_t align, int is_put);
/*
 * A list of transfers with the checks of each put/get; the transport gets
 * the longest valid prefix at once.  *done counts entries completed.
 */
int	 rsm_import_xferv(struct rsm_import *im, const struct rsm_xport_iov *iov,
	    size_t n, int is_put, size_t *done);

/* ---- intr.c ---- */
int	 rsm_signal_post_import(struct rsm_import *im, uint32_t flags);
/* The post of a signal on an import over the daemon link (intr.c). */
int	 rsm_signal_post_daemon(struct rsm_import *im, uint32_t flags);
/* A new event counter for a handle. */
int	 rsm_evfd_get(int *evfdp);

/* ---- helpers ---- */
size_t	 rsm_pagesize(void);

#pragma GCC visibility pop

#endif /* RSM_INT_H */
