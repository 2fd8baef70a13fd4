/*
 * verbs_plan.c - cut transfers into work requests, map completion
 * statuses, and cache memory registrations (see verbs_plan.h).  Nothing
 * here calls the RDMA libraries, so the unit tests run it anywhere.
 */
#include "verbs/verbs_plan.h"

#include <errno.h>
#include <string.h>

#include "rsmapi.h"

int
vplan_build(struct vplan *p, const struct rsm_xport_iov *iov, size_t n,
    size_t max_msg, uint32_t max_sge)
{
	struct vplan_wr *w = NULL;
	size_t i, done, take;

	p->nwr = 0;
	p->nsge = 0;
	if (max_msg == 0 || max_sge == 0)
		return -1;
	if (max_sge > VPLAN_SGE_MAX)
		max_sge = VPLAN_SGE_MAX;
	for (i = 0; i < n; i++) {
		for (done = 0; done < iov[i].len; done += take) {
			size_t roff = iov[i].remote_off + done;

			take = iov[i].len - done;
			/*
			 * Join the open request when this piece continues
			 * its remote range and it has room for it.
			 */
			if (w == NULL || w->remote_off + w->len != roff ||
			    w->nsge >= max_sge || w->len >= max_msg) {
				if (p->nwr >= p->wr_cap)
					return -1;
				w = &p->wr[p->nwr++];
				w->remote_off = roff;
				w->len = 0;
				w->first = (uint32_t)p->nsge;
				w->nsge = 0;
			}
			if (take > max_msg - w->len)
				take = max_msg - w->len;
			if (p->nsge >= p->sge_cap)
				return -1;
			p->sge[p->nsge].local = iov[i].local + done;
			p->sge[p->nsge].len = take;
			p->nsge++;
			w->nsge++;
			w->len += take;
			w->entry = (uint32_t)i;
			w->last = done + take == iov[i].len;
		}
	}
	return 0;
}

/* Numeric values of enum ibv_wc_status (stable ABI of libibverbs). */
enum {
	WC_SUCCESS = 0, WC_LOC_LEN_ERR, WC_LOC_QP_OP_ERR, WC_LOC_EEC_OP_ERR,
	WC_LOC_PROT_ERR, WC_WR_FLUSH_ERR, WC_MW_BIND_ERR, WC_BAD_RESP_ERR,
	WC_LOC_ACCESS_ERR, WC_REM_INV_REQ_ERR, WC_REM_ACCESS_ERR,
	WC_REM_OP_ERR, WC_RETRY_EXC_ERR, WC_RNR_RETRY_EXC_ERR,
	WC_LOC_RDD_VIOL_ERR, WC_REM_INV_RD_REQ_ERR, WC_REM_ABORT_ERR,
	WC_INV_EECN_ERR, WC_INV_EEC_STATE_ERR, WC_FATAL_ERR,
	WC_RESP_TIMEOUT_ERR, WC_GENERAL_ERR
};

int
verbs_wc_to_rsm(int st)
{
	switch (st) {
	case WC_SUCCESS:
		return RSM_SUCCESS;
	/* The far end is gone or stopped answering. */
	case WC_RETRY_EXC_ERR:
	case WC_RNR_RETRY_EXC_ERR:
	case WC_RESP_TIMEOUT_ERR:
	case WC_REM_ABORT_ERR:
	case WC_FATAL_ERR:
	/* The queue pair went to error: the connection is lost. */
	case WC_WR_FLUSH_ERR:
	/*
	 * The device could not send at all: rxe gives this when its
	 * network device is down (the link is lost, not the one request).
	 */
	case WC_LOC_QP_OP_ERR:
	/*
	 * Rights and bounds are checked before anything is posted, so a
	 * remote access error means the rkey died: the exporting daemon
	 * deregistered the segment (unpublish, destroy, exporter death).
	 */
	case WC_REM_ACCESS_ERR:
	case WC_REM_INV_RD_REQ_ERR:
		return RSMERR_CONN_ABORTED;
	default:
		return RSMERR_BARRIER_FAILURE;
	}
}

/* ---- registration cache ---- */

void
vrc_init(struct vrc *c, const struct vrc_ops *ops, void *arg,
    size_t max_bytes, size_t page)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->arg = arg;
	c->max_bytes = max_bytes;
	c->page = page != 0 ? page : 4096;
	vrc_unhold(c);
}

static void
drop(struct vrc *c, size_t i)
{
	c->ops->dereg(c->arg, c->e[i].mr);
	c->bytes -= c->e[i].end - c->e[i].start;
	if (c->e[i].temp)
		c->ntemp--;
	c->e[i] = c->e[--c->n];
}

/*
 * Whether the mapping now holding the entry is the one it was registered
 * on.  Neighbouring anonymous mappings merge and split for reasons of
 * their own, so the range only has to still cover the entry; file, byte
 * offset of the entry in it, and protections must match.
 */
static int
same_vma(const struct vrc_entry *e, const struct vrc_vma *now)
{
	const struct vrc_vma *was = &e->vma;

	return now->start <= e->start && now->end >= e->end &&
	    now->ino == was->ino && now->dev == was->dev &&
	    now->flags == was->flags &&
	    (was->ino == 0 || was->pgoff + (e->start - was->start) ==
	    now->pgoff + (e->start - now->start));
}

/* Memory whose replacement the mapping does not show (see vrc_get). */
static int
anon_private(const struct vrc_vma *v)
{
	return v->ino == 0 && (v->flags & 8) == 0;
}

/* Evict least recently used entries until `need` more bytes fit. */
static void
make_room(struct vrc *c, size_t need)
{
	int drained = 0;

	while (c->n > 0 && (c->n >= VRC_ENTRIES ||
	    c->bytes + need > c->max_bytes)) {
		size_t i, lru = c->n;

		for (i = 0; i < c->n; i++)
			if (c->e[i].used <= c->keep_after && (lru == c->n ||
			    c->e[i].used < c->e[lru].used))
				lru = i;
		/* Only held entries left: go over the byte budget a while. */
		if (lru == c->n)
			break;
		if (!drained) {
			c->ops->drain(c->arg);
			drained = 1;
		}
		drop(c, lru);
	}
}

int
vrc_get(struct vrc *c, const void *addr, size_t len, uint32_t *lkey)
{
	uintptr_t a = (uintptr_t)addr, start, end;
	struct vrc_vma vma;
	struct vrc_entry *e;
	size_t i;
	int rc;

	if (len == 0 || a + len < a)
		return EFAULT;
	if (c->ops->vma(c->arg, a, &vma) != 0 || a + len > vma.end)
		return EFAULT;
	for (i = 0; i < c->n; i++) {
		e = &c->e[i];
		if (e->temp || a < e->start || a + len > e->end)
			continue;
		if (same_vma(e, &vma) && (!anon_private(&vma) ||
		    (e->pfn != 0 && c->ops->pfn(c->arg, e->start) == e->pfn))) {
			e->used = ++c->clock;
			c->hits++;
			*lkey = e->lkey;
			return 0;
		}
		/* Unmapped or replaced since: the pinned pages are stale. */
		c->stale++;
		c->ops->drain(c->arg);
		drop(c, i);
		break;
	}
	c->misses++;
	start = a & ~(uintptr_t)(c->page - 1);
	end = (a + len + c->page - 1) & ~(uintptr_t)(c->page - 1);
	if (end > vma.end)
		end = vma.end;
	if (end - start > c->max_bytes)
		return ENOMEM;
	make_room(c, end - start);
	if (c->n >= VRC_ENTRIES)
		return ENOMEM;
	e = &c->e[c->n];
	if ((rc = c->ops->reg(c->arg, (void *)start, end - start,
	    (vma.flags & 2) != 0, &e->mr, &e->lkey)) != 0) {
		/* Pinning limits count whole registrations: shed and retry. */
		if ((rc != ENOMEM && rc != EAGAIN) || c->n == 0)
			return rc == EAGAIN ? ENOMEM : rc;
		c->ops->drain(c->arg);
		for (i = c->n; i-- > 0;)
			if (c->e[i].used <= c->keep_after)
				drop(c, i);
		e = &c->e[c->n];
		if ((rc = c->ops->reg(c->arg, (void *)start, end - start,
		    (vma.flags & 2) != 0, &e->mr, &e->lkey)) != 0)
			return rc == EAGAIN ? ENOMEM : rc;
	}
	e->start = start;
	e->end = end;
	e->vma = vma;
	e->pfn = 0;
	e->temp = 0;
	if (anon_private(&vma) &&
	    (e->pfn = c->ops->pfn(c->arg, start)) == 0) {
		e->temp = 1;
		c->temps++;
		c->ntemp++;
	}
	e->used = ++c->clock;
	c->n++;
	c->bytes += end - start;
	*lkey = e->lkey;
	return 0;
}

void
vrc_release_temps(struct vrc *c)
{
	size_t i;

	for (i = c->n; i-- > 0;)
		if (c->e[i].temp)
			drop(c, i);
}

void
vrc_flush(struct vrc *c)
{
	if (c->n > 0 && c->ops != NULL)
		c->ops->drain(c->arg);
	while (c->n > 0)
		drop(c, c->n - 1);
}
