/*
 * barrier.c - barriers and barrier mode (shm transport).
 *
 * init_barrier stores a token in both the caller's rsmapi_barrier_t
 * (privdata) and the import handle; every later call validates seg through
 * the arena and compares the token, so privdata is never dereferenced and
 * a stale or foreign barrier is refused.  Open snapshots the generation,
 * order is a full fence, close fences and compares the generation.
 *
 * A remote map (rmap.h) adds release consistency for loads and stores
 * through it: order and close write its stores back first, open drops
 * its clean pages so that later loads fetch what others published.
 */
#include "rsm_int.h"
#include "rmap.h"


/* Validate a barrier: pointer, handle, token. */
static int
barrier_import(rsmapi_barrier_t *b, struct rsm_import **imp)
{
	struct rsm_import *im;
	uintptr_t tok;

	if (b == NULL)
		return RSMERR_BAD_BARRIER_PTR;
	/*
	 * A barrier that init never filled in (zeroed storage) is
	 * uninitialised, as in illumos; a non-NULL seg that is no longer a
	 * live import is a bad handle.
	 */
	if (b->seg == NULL)
		return RSMERR_BARRIER_UNINITIALIZED;
	if ((im = rsm_import_get(b->seg)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	tok = atomic_load_explicit(&im->barrier_token, memory_order_acquire);
	if (tok == 0 || (uintptr_t)b->privdata != tok)
		return RSMERR_BARRIER_UNINITIALIZED;
	*imp = im;
	return RSM_SUCCESS;
}

int
rsm_memseg_import_init_barrier(rsm_memseg_import_handle_t im_memseg,
    rsm_barrier_type_t type, rsmapi_barrier_t *barrier)
{
	struct rsm_import *im;
	uintptr_t tok;

	if ((im = rsm_import_get(im_memseg)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if (barrier == NULL)
		return RSMERR_BAD_BARRIER_PTR;
	switch ((int)type) {
	case RSM_BARRIER_SEGMENT:
	case RSM_BARRIER_NODE:
	case RSM_BARRIER_SEGMENT_THREAD:
	case RSM_BARRIER_NODE_THREAD:
		break;
	default:
		return RSMERR_BAD_BARRIER_PTR;
	}
	tok = rsm_barrier_token_new();
	barrier->seg = im;
	barrier->gnum = (rsm_gnum_t)atomic_load(&im->gen);
	barrier->privdata = (void *)tok;
	/* A later init replaces the handle's barrier. */
	atomic_store_explicit(&im->barrier_token, tok, memory_order_release);
	return RSM_SUCCESS;
}

int
rsm_memseg_import_open_barrier(rsmapi_barrier_t *barrier)
{
	struct rsm_import *im;
	struct rsm_rmap *r;
	int rc;

	if ((rc = barrier_import(barrier, &im)) != RSM_SUCCESS)
		return rc;
	barrier->gnum = (rsm_gnum_t)atomic_load_explicit(&im->gen,
	    memory_order_acquire);
	if ((r = rsm_import_rmap_get(im)) != NULL) {
		rsm_rmap_refresh(r);
		rsm_rmap_unref(r);
	}
	return RSM_SUCCESS;
}

/* Write a remote map's stores back, if im has one. */
static int
rmap_writeback(struct rsm_import *im)
{
	struct rsm_rmap *r = rsm_import_rmap_get(im);
	int rc;

	if (r == NULL)
		return RSM_SUCCESS;
	rc = rsm_rmap_writeback(r);
	rsm_rmap_unref(r);
	return rc;
}

int
rsm_memseg_import_order_barrier(rsmapi_barrier_t *barrier)
{
	struct rsm_import *im;
	int rc;

	if ((rc = barrier_import(barrier, &im)) != RSM_SUCCESS)
		return rc;
	if ((rc = rmap_writeback(im)) != RSM_SUCCESS)
		return rc;
	if (im->ctlr->ops->fence(&im->xs) != RSM_SUCCESS)
		return RSMERR_BARRIER_FAILURE;
	return RSM_SUCCESS;
}

int
rsm_memseg_import_close_barrier(rsmapi_barrier_t *barrier)
{
	struct rsm_import *im;
	uint32_t gen;
	int rc, rc_map;

	if ((rc = barrier_import(barrier, &im)) != RSM_SUCCESS)
		return rc;
	/* Stores through a remote map travel now (and are waited for). */
	rc_map = rmap_writeback(im);
	/* Every access since the open must have completed (spec 5.3). */
	rc = im->ctlr->ops->flush(&im->xs);
	if (rc == RSM_SUCCESS)
		rc = rc_map;
	gen = atomic_load_explicit(&im->gen, memory_order_acquire);
	/*
	 * The generation is 0 for as long as the connection lives, so a
	 * revoked import fails every close, even of a barrier opened after
	 * the revocation (spec 5.2: compared with the connect-time value).
	 */
	if (gen != 0 || (rsm_gnum_t)gen != barrier->gnum)
		return RSMERR_CONN_ABORTED;
	/* The exporter gave the memory up: what was written may be lost. */
	if (rsm_import_abandoned(im))
		return RSMERR_CONN_ABORTED;
	/*
	 * A transport whose stream to the segment broke (tcp: the data
	 * server closed it, or died) lost the connection, even if the
	 * daemon's notice has not arrived yet.
	 */
	if (rc == RSMERR_CONN_ABORTED)
		return RSMERR_CONN_ABORTED;
	return rc == RSM_SUCCESS ? RSM_SUCCESS : RSMERR_BARRIER_FAILURE;
}

int
rsm_memseg_import_destroy_barrier(rsmapi_barrier_t *barrier)
{
	struct rsm_import *im;
	uintptr_t tok;
	int rc;

	if ((rc = barrier_import(barrier, &im)) != RSM_SUCCESS)
		return rc;
	tok = (uintptr_t)barrier->privdata;
	/* Only detach if it is still the handle's barrier. */
	(void)atomic_compare_exchange_strong(&im->barrier_token, &tok, 0);
	barrier->privdata = NULL;
	return RSM_SUCCESS;
}

int
rsm_memseg_import_get_mode(rsm_memseg_import_handle_t im_memseg,
    rsm_barrier_mode_t *mode)
{
	struct rsm_import *im;

	if ((im = rsm_import_get(im_memseg)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if (mode == NULL)
		return RSMERR_BAD_ADDR;
	*mode = (rsm_barrier_mode_t)atomic_load(&im->mode);
	return RSM_SUCCESS;
}

int
rsm_memseg_import_set_mode(rsm_memseg_import_handle_t im_memseg,
    rsm_barrier_mode_t mode)
{
	struct rsm_import *im;

	if ((im = rsm_import_get(im_memseg)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if (mode != RSM_BARRIER_MODE_EXPLICIT && mode != RSM_BARRIER_MODE_IMPLICIT)
		return RSMERR_BAD_MODE;
	atomic_store(&im->mode, (int)mode);
	return RSM_SUCCESS;
}
