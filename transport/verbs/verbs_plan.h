/*
 * verbs_plan.h - the pure parts of the verbs transport, kept apart so the
 * unit tests run them on a host without RDMA: cutting transfers into work
 * requests, the completion-status mapping, and the registration cache.
 */
#ifndef RSM_VERBS_PLAN_H
#define RSM_VERBS_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "transport.h"

/* Local pieces one RDMA WRITE or READ gathers or scatters (its SGE list). */
#define VPLAN_SGE_MAX		16u

struct vplan_sge {
	char	*local;
	size_t	 len;
};

/* One work request: a contiguous remote range and its local pieces. */
struct vplan_wr {
	size_t	 remote_off;
	size_t	 len;		/* sum of its pieces */
	uint32_t first;		/* index of its first piece in the sge array */
	uint32_t nsge;
	uint32_t entry;		/* the list entry its last piece belongs to */
	uint32_t last;		/* 1 when it ends that entry */
};

struct vplan {
	struct vplan_wr	*wr;
	size_t		 nwr, wr_cap;
	struct vplan_sge *sge;
	size_t		 nsge, sge_cap;
};

/*
 * Plan the entries iov[0..n) as work requests of at most max_msg bytes
 * and max_sge pieces each: an entry larger than max_msg is split, and
 * entries whose remote ranges follow each other are gathered into one
 * request as an SGE list.  Entries of length 0 move nothing.  Returns 0,
 * or -1 when the plan's arrays are too small (nothing is guaranteed then).
 */
int	 vplan_build(struct vplan *p, const struct rsm_xport_iov *iov,
	    size_t n, size_t max_msg, uint32_t max_sge);

/*
 * The RSMERR_* a completion status means (spec 5.3): a lost connection
 * (retries exhausted, the rkey revoked, flushed because the queue pair
 * went to error, a remote abort) is RSMERR_CONN_ABORTED; any other failure
 * on a live connection is RSMERR_BARRIER_FAILURE.  IBV_WC_SUCCESS (0) is
 * RSM_SUCCESS.  Takes the numeric ibv_wc_status.
 */
int	 verbs_wc_to_rsm(int wc_status);

/* ---- registration cache ---- */

/* What identifies the mapping a buffer lies in. */
struct vrc_vma {
	uintptr_t start, end;
	uint64_t  pgoff;
	uint64_t  ino;
	uint32_t  dev;
	uint32_t  flags;	/* readable/writable/shared bits */
};

struct vrc_entry {
	uintptr_t	 start, end;	/* registered range, page aligned */
	void		*mr;
	uint32_t	 lkey;
	uint64_t	 used;		/* LRU clock */
	struct vrc_vma	 vma;
	/*
	 * Anonymous private memory: the frame of the first page, which a
	 * new mapping at the same place cannot have (0: unknown).
	 */
	uint64_t	 pfn;
	int		 temp;		/* not reusable: dropped after use */
};

#define VRC_ENTRIES		32u

struct vrc_ops {
	/*
	 * Register [addr, addr+len) (writable: the mapping allows writes, so
	 * RDMA READ may land there): 0 with *mr and *lkey, or an errno.
	 */
	int	(*reg)(void *arg, void *addr, size_t len, int writable,
		    void **mr, uint32_t *lkey);
	void	(*dereg)(void *arg, void *mr);
	/* The mapping holding addr: 0, or -1 when it is not mapped. */
	int	(*vma)(void *arg, uintptr_t addr, struct vrc_vma *out);
	/* Wait until no work request uses any registration. */
	void	(*drain)(void *arg);
	/* The page frame now behind addr, or 0 when it cannot be told. */
	uint64_t (*pfn)(void *arg, uintptr_t addr);
};

struct vrc {
	struct vrc_entry e[VRC_ENTRIES];
	size_t		 n;
	uint64_t	 clock;
	size_t		 bytes;		/* registered by the entries */
	size_t		 max_bytes;
	size_t		 page;
	/* Entries used after this clock are not evicted (one request's). */
	uint64_t	 keep_after;
	const struct vrc_ops *ops;
	void		*arg;
	size_t		 ntemp;		/* temporary entries held now */
	/* Counters, for tests and statistics. */
	uint64_t	 hits, misses, stale, temps;
};

void	 vrc_init(struct vrc *c, const struct vrc_ops *ops, void *arg,
	    size_t max_bytes, size_t page);
/*
 * The lkey covering [addr, addr+len).  A cached registration is used
 * only while the mapping it was made for is still the same (same range,
 * file, offset and protections), so memory unmapped or replaced by a
 * different mapping is registered afresh.  Anonymous private memory can
 * be unmapped and mapped again at the same place with nothing in the
 * mapping to tell, so its registrations are reused only while its first
 * page is still the frame that was pinned (/proc/self/pagemap, which
 * shows frames only to CAP_SYS_ADMIN); where that cannot be checked the
 * registration is temporary: vrc_release_temps() drops it once the
 * transfer completed.  Returns 0, ENOMEM when the range cannot be pinned
 * (RLIMIT_MEMLOCK), EFAULT when it is not mapped or spans mappings, or
 * the registration's errno.
 */
int	 vrc_get(struct vrc *c, const void *addr, size_t len, uint32_t *lkey);
/*
 * Protect the registrations handed out from now on from eviction (the
 * pieces of one work request), until vrc_unhold().
 */
static inline void
vrc_hold(struct vrc *c)
{
	c->keep_after = c->clock;
}

static inline void
vrc_unhold(struct vrc *c)
{
	c->keep_after = UINT64_MAX;
}
/* Drop the temporary registrations (the caller drained). */
void	 vrc_release_temps(struct vrc *c);
/* Drop every registration (after draining). */
void	 vrc_flush(struct vrc *c);

#endif /* RSM_VERBS_PLAN_H */
