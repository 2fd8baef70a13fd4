/*
 * verbs_mem.c - the memory side of the verbs data service: the memory
 * regions of segments and the importers' memory windows.
 *
 * The daemon registers a segment's mapping (iova 0, so remote addresses
 * are offsets), on each device it serves, the first time a capability
 * is issued for the segment while that device is served.  Where the device has type 2 memory windows (and
 * verbs_windows is 1), each importer's queue pair gets a window bound to
 * that queue pair alone with the import's rights, over one region that
 * grants no remote access itself; else the importer gets the rkey of the
 * segment's region for those rights (one per access kind).
 *
 * When a segment is unpublished, destroyed or its exporter dies its
 * memory regions are deregistered before the daemon answers, so a stale
 * rkey fails at the hardware.  A rebind moves the windows to the new
 * memory before the daemon answers (vs_seg_rebound).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "serve_verbs.h"
#include "log.h"

static struct vs_seg *
seg_of(const struct vserv *vs, const struct reg_segment *s)
{
	struct vs_seg *g;

	LIST_FOREACH(g, &vs->segs, link)
		if (g->s == s)
			return g;
	return NULL;
}

/* Register [map, map + size) at iova 0 on vd; logs why it cannot. */
static int
region(struct vs_dev *vd, const struct reg_segment *s, void *map, int access,
    struct ibv_mr **mrp)
{
	struct ibv_mr *mr;
	int e;

	mr = vd->vs->v->reg_mr_iova(vd->pd, map, (size_t)s->size, 0, access);
	if (mr == NULL) {
		e = errno;
		if (e == ENOMEM || e == EAGAIN || e == EPERM) {
			log_warnx("segment %#x: cannot pin %" PRIu64
			    " bytes for RDMA: raise RLIMIT_MEMLOCK of "
			    "rsmd (ulimit -l, LimitMEMLOCK= in its "
			    "systemd unit)", s->segid, s->size);
			return RSMERR_INSUFFICIENT_MEM;
		}
		log_warnx("segment %#x: ibv_reg_mr: %s", s->segid,
		    strerror(e));
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	*mrp = mr;
	return RSM_SUCCESS;
}

/*
 * Windows need a region that allows binding them (and local write, for
 * windows that grant remote write); it grants no remote access itself,
 * so its own rkey is worth nothing to anyone.
 */
#define VS_BIND_ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_MW_BIND)

/*
 * The region an import with `perm` reaches segment s through: the one
 * windows bind to, or without windows the one of that access kind;
 * registered at first need.
 */
int
vs_seg_mr(struct vs_dev *vd, struct reg_segment *s, uint32_t perm,
    struct ibv_mr **mrp)
{
	struct vserv *vs = vd->vs;
	/*
	 * Read-write imports may also do atomics (rsm/rsm_atomic.h), where
	 * the device has them.
	 */
	const int access[VS_MR_KINDS] = {
		IBV_ACCESS_REMOTE_READ,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		    IBV_ACCESS_REMOTE_READ |
		    (vd->atomics ? IBV_ACCESS_REMOTE_ATOMIC : 0),
	};
	unsigned k = perm == RSM_PERM_READ ? 0 : perm == RSM_PERM_WRITE ? 1 :
	    perm == RSM_PERM_RDWR ? 2 : VS_MR_KINDS;
	struct vs_seg *g;
	struct ibv_mr **slot;
	int rc;

	if (k >= VS_MR_KINDS || s->map == NULL)
		return RSMERR_PERM_DENIED;
	if ((g = seg_of(vs, s)) != NULL && g->map != s->map) {
		/* Rebound since: those regions pin the old pages. */
		vs_seg_release(vs, s);
		g = NULL;
	}
	if (g == NULL) {
		if ((g = calloc(1, sizeof(*g))) == NULL)
			return RSMERR_INSUFFICIENT_MEM;
		g->s = s;
		g->map = s->map;
		LIST_INSERT_HEAD(&vs->segs, g, link);
	}
	slot = vd->windows ? &g->d[vd - vs->srv].bind_mr :
	    &g->d[vd - vs->srv].mr[k];
	if (*slot == NULL && (rc = region(vd, s, s->map, vd->windows ?
	    VS_BIND_ACCESS : access[k], slot)) != RSM_SUCCESS)
		return rc;
	*mrp = *slot;
	return RSM_SUCCESS;
}

/* Free the queue pairs that reach segment s (a backstop: see callers). */
static void
seg_conns_free(struct vserv *vs, const struct reg_segment *s)
{
	struct vs_conn *k, *next;

	for (k = TAILQ_FIRST(&vs->conns); k != NULL; k = next) {
		next = TAILQ_NEXT(k, link);
		if (vs_conn_import(k) != NULL && vs_conn_import(k)->seg == s)
			vs_conn_free(k, 1);
	}
}

void
vs_seg_release(struct vserv *vs, struct reg_segment *s)
{
	struct vs_seg *g = seg_of(vs, s);
	unsigned k, d;

	if (g == NULL)
		return;
	/*
	 * Every caller revoked the segment's imports already; a window
	 * still bound would keep its region registered, so make sure.
	 */
	seg_conns_free(vs, s);
	for (d = 0; d < VS_DEV_MAX; d++) {
		for (k = 0; k < VS_MR_KINDS; k++)
			if (g->d[d].mr[k] != NULL)
				(void)vs->v->dereg_mr(g->d[d].mr[k]);
		if (g->d[d].bind_mr != NULL &&
		    vs->v->dereg_mr(g->d[d].bind_mr) != 0)
			log_warnx("segment %#x: cannot deregister its memory "
			    "region", s->segid);
	}
	LIST_REMOVE(g, link);
	free(g);
	log_debug("segment %#x: memory regions deregistered", s->segid);
}

static int
window_access(const struct vs_dev *vd, uint32_t perm)
{
	return ((perm & RSM_PERM_READ) ? IBV_ACCESS_REMOTE_READ : 0) |
	    ((perm & RSM_PERM_WRITE) ? IBV_ACCESS_REMOTE_WRITE : 0) |
	    (perm == RSM_PERM_RDWR && vd->atomics ?
	    IBV_ACCESS_REMOTE_ATOMIC : 0);
}

/*
 * Bind k's window over mr (the whole segment, the import's rights).
 * again: it is bound already (a rebind): invalidate it first, then bind
 * it with the same rkey, which the importer goes on using.  A type 2
 * window is bound through this queue pair and works on it alone.
 */
int
vs_post_bind(struct vs_conn *k, struct ibv_mr *mr, uint64_t size, int again)
{
	struct ibv_send_wr wr[2], *bad;
	unsigned n = 0;

	memset(wr, 0, sizeof(wr));
	if (again) {
		wr[0].wr_id = (k->serial << 8) | VS_WR_INV;
		wr[0].opcode = IBV_WR_LOCAL_INV;
		wr[0].send_flags = IBV_SEND_SIGNALED;
		wr[0].invalidate_rkey = k->rkey;
		wr[0].next = &wr[1];
		n = 1;
	}
	wr[n].wr_id = (k->serial << 8) | VS_WR_BIND;
	wr[n].opcode = IBV_WR_BIND_MW;
	wr[n].send_flags = IBV_SEND_SIGNALED;
	wr[n].bind_mw.mw = k->mw;
	wr[n].bind_mw.rkey = again ? k->rkey : ibv_inc_rkey(k->mw->rkey);
	wr[n].bind_mw.bind_info.mr = mr;
	wr[n].bind_mw.bind_info.addr = 0;
	wr[n].bind_mw.bind_info.length = size;
	wr[n].bind_mw.bind_info.mw_access_flags =
	    window_access(k->vd, vs_conn_import(k)->perm);
	if (ibv_post_send(k->id->qp, wr, &bad) != 0)
		return -1;
	/*
	 * The device names the window by its current rkey in the next
	 * bind: keep the handle's copy current, as ibv_bind_mw does.
	 */
	k->mw->rkey = wr[n].bind_mw.rkey;
	k->rkey = wr[n].bind_mw.rkey;
	k->sends += n + 1;
	return 0;
}

/*
 * With windows, register the new memory (on every device holding the
 * segment), move every importer's window onto it with the rkey it has
 * (invalidate, bind), wait (bounded) for that, and deregister the old
 * memory: importers keep working.  Without windows, or when the new
 * memory cannot be registered, -1: their rkeys name the old pages, which
 * the regions pin, so they are cut off.
 */
int
vs_seg_rebound(struct rsmd *rs, struct vserv *vs, struct reg_segment *s)
{
	struct vs_seg *g = seg_of(vs, s);
	struct vs_conn *k, *next;
	struct ibv_mr *mr[VS_DEV_MAX], *old[VS_DEV_MAX];
	uint64_t *moving, end;
	size_t nmoving = 0, i, left;
	unsigned d, j;

	if (g == NULL || g->map == s->map)
		return 0;
	memset(mr, 0, sizeof(mr));
	for (d = 0; d < vs->nsrv; d++) {
		const struct vs_segmr *m = &g->d[d];

		for (j = 0; j < VS_MR_KINDS; j++)
			if (m->mr[j] != NULL)
				break;
		/* Regions with remote access: their rkeys are out there. */
		if (j < VS_MR_KINDS || (m->bind_mr != NULL &&
		    !vs->srv[d].windows))
			break;
		if (m->bind_mr != NULL && region(&vs->srv[d], s, s->map,
		    VS_BIND_ACCESS, &mr[d]) != RSM_SUCCESS)
			break;
	}
	if (d < vs->nsrv) {
		while (d-- > 0)
			if (mr[d] != NULL)
				(void)vs->v->dereg_mr(mr[d]);
		return -1;
	}
	for (d = 0; d < vs->nsrv; d++) {
		old[d] = g->d[d].bind_mr;
		if (mr[d] != NULL)
			g->d[d].bind_mr = mr[d];
	}
	g->map = s->map;
	moving = calloc(vs->nconns + 1, sizeof(*moving));
	for (k = TAILQ_FIRST(&vs->conns); k != NULL; k = next) {
		next = TAILQ_NEXT(k, link);
		if (vs_conn_import(k) == NULL || vs_conn_import(k)->seg != s ||
		    k->mw == NULL)
			continue;
		d = (unsigned)(k->vd - vs->srv);
		if (moving == NULL || mr[d] == NULL ||
		    vs_post_bind(k, mr[d], s->size, 1) != 0) {
			vs_conn_free(k, 1);
			continue;
		}
		moving[nmoving++] = k->serial;
	}
	/*
	 * The old region may go only once no window is bound to it, and the
	 * exporter may reuse the old pages once we answer: wait here, within
	 * a bound, for the windows to move (a local operation of the device,
	 * microseconds on rxe); a queue pair that does not finish in time is
	 * disconnected, which frees its window.
	 */
	end = rsm_now_ms() + VS_REBIND_WAIT_MS;
	for (;;) {
		const struct timespec pause = { 0, 50000 };

		for (d = 0; d < vs->nsrv; d++)
			if (mr[d] != NULL)
				vs_cq_drain(rs, &vs->srv[d]);
		for (i = 0, left = 0; i < nmoving; i++)
			if ((k = vs_conn_by_serial(vs, moving[i])) != NULL &&
			    k->sends > 0)
				left++;
		if (left == 0 || rsm_now_ms() >= end)
			break;
		(void)nanosleep(&pause, NULL);
	}
	for (i = 0; i < nmoving; i++)
		if ((k = vs_conn_by_serial(vs, moving[i])) != NULL &&
		    k->sends > 0) {
			log_warnx("segment %#x: a window did not move to the "
			    "new memory in time: importer disconnected",
			    s->segid);
			vs_conn_free(k, 1);
		}
	free(moving);
	for (d = 0; d < vs->nsrv; d++)
		if (mr[d] != NULL && vs->v->dereg_mr(old[d]) != 0)
			log_warnx("segment %#x: cannot deregister the old "
			    "memory region", s->segid);
	log_debug("segment %#x: %zu windows moved to the new memory",
	    s->segid, nmoving);
	return 0;
}
