/*
 * atomic.c - the extensions of <rsm/rsm_atomic.h>: atomic operations on
 * one word of an imported segment, and put-with-signal.
 *
 * Both are complete when they return (an atomic's old value is known, a
 * put_signal's bytes are in the segment and its signal posted), so
 * neither needs a barrier and the barrier mode does not change them; the
 * connection's generation is compared before and after, as a barrier
 * would, so a revocation racing the call is RSMERR_CONN_ABORTED rather
 * than a value read from the trash page.
 */
#include "rsm_int.h"

#include "rsm/rsm_atomic.h"

/*
 * The import behind h with its data path open (the implicit mapping made
 * on first use), the access allowed by `need`, and the window-relative
 * offset of [offset, offset + len).  bad_range: the error of a range
 * outside the implicit window (the explicit one is RSMERR_BAD_OFFSET, as
 * for put).
 */
static int
resolve(rsm_memseg_import_handle_t h, off_t offset, size_t len,
    uint32_t need, int bad_range, struct rsm_import **imp, size_t *rel)
{
	struct rsm_import *im = rsm_slot_check(h, RSM_MAGIC_IMPORT);
	size_t off;
	int view, rc;

	if (im == NULL)
		return RSMERR_BAD_SEG_HNDL;
	view = atomic_load_explicit(&im->view, memory_order_acquire);
	if (view == RSM_VIEW_NONE) {
		if ((rc = rsm_import_implicit_map(im)) != RSM_SUCCESS)
			return rc;
		view = atomic_load_explicit(&im->view, memory_order_acquire);
	}
	if ((im->win_perm & need) != need)
		return RSMERR_PERM_DENIED;
	off = (size_t)offset;
	if (view == RSM_VIEW_EXPLICIT) {
		if (off < im->win_off || off - im->win_off > im->win_len ||
		    len > im->win_len - (off - im->win_off))
			return RSMERR_BAD_OFFSET;
	} else if (off > im->win_len || len > im->win_len - off) {
		return bad_range;
	}
	if (atomic_load_explicit(&im->gen, memory_order_acquire) != 0)
		return RSMERR_CONN_ABORTED;
	*imp = im;
	*rel = off - im->win_off;
	return RSM_SUCCESS;
}

static void
seg_view(const struct rsm_import *im, struct rsm_xport_seg *w)
{
	w->base = im->win_base;
	w->size = im->win_len;
	w->prot = 0;
	w->priv = im->xs.priv;
}

/* After the call: a connection lost meanwhile outranks its result. */
static int
still_live(const struct rsm_import *im, int rc)
{
	if (atomic_load_explicit(&im->gen, memory_order_acquire) != 0 ||
	    rsm_import_abandoned(im))
		return RSMERR_CONN_ABORTED;
	return rc;
}

static int
do_atomic(rsm_memseg_import_handle_t h, off_t offset, unsigned op,
    unsigned width, uint64_t operand, uint64_t compare, uint64_t *old)
{
	struct rsm_import *im;
	struct rsm_xport_seg w;
	size_t rel;
	int rc;

	if (rsm_slot_check(h, RSM_MAGIC_IMPORT) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if (offset < 0)
		return RSMERR_BAD_OFFSET;
	if (((uintptr_t)offset & (width - 1)) != 0)
		return RSMERR_MISALIGNED_OFFSET;
	if ((rc = resolve(h, offset, width, RSM_PERM_RDWR, RSMERR_BAD_OFFSET,
	    &im, &rel)) != RSM_SUCCESS)
		return rc;
	/* An explicit window starts on a page: rel keeps the alignment. */
	seg_view(im, &w);
	rc = im->ctlr->ops->atomic(&w, rel, op, width, operand, compare, old);
	return still_live(im, rc);
}

int
rsm_memseg_import_fetch_add32(rsm_memseg_import_handle_t im_memseg,
    off_t offset, uint32_t addend, uint32_t *oldp)
{
	uint64_t old = 0;
	int rc = do_atomic(im_memseg, offset, RSM_AOP_FADD, 4, addend,
	    0, &old);

	if (rc == RSM_SUCCESS && oldp != NULL)
		*oldp = (uint32_t)old;
	return rc;
}

int
rsm_memseg_import_fetch_add64(rsm_memseg_import_handle_t im_memseg,
    off_t offset, uint64_t addend, uint64_t *oldp)
{
	uint64_t old = 0;
	int rc = do_atomic(im_memseg, offset, RSM_AOP_FADD, 8, addend,
	    0, &old);

	if (rc == RSM_SUCCESS && oldp != NULL)
		*oldp = old;
	return rc;
}

int
rsm_memseg_import_cas32(rsm_memseg_import_handle_t im_memseg, off_t offset,
    uint32_t expected, uint32_t desired, uint32_t *oldp)
{
	uint64_t old = 0;
	int rc = do_atomic(im_memseg, offset, RSM_AOP_CAS, 4, desired,
	    expected, &old);

	if (rc == RSM_SUCCESS && oldp != NULL)
		*oldp = (uint32_t)old;
	return rc;
}

int
rsm_memseg_import_cas64(rsm_memseg_import_handle_t im_memseg, off_t offset,
    uint64_t expected, uint64_t desired, uint64_t *oldp)
{
	uint64_t old = 0;
	int rc = do_atomic(im_memseg, offset, RSM_AOP_CAS, 8, desired,
	    expected, &old);

	if (rc == RSM_SUCCESS && oldp != NULL)
		*oldp = old;
	return rc;
}

int
rsm_memseg_import_swap32(rsm_memseg_import_handle_t im_memseg, off_t offset,
    uint32_t value, uint32_t *oldp)
{
	uint64_t old = 0;
	int rc = do_atomic(im_memseg, offset, RSM_AOP_SWAP, 4, value, 0,
	    &old);

	if (rc == RSM_SUCCESS && oldp != NULL)
		*oldp = (uint32_t)old;
	return rc;
}

int
rsm_memseg_import_swap64(rsm_memseg_import_handle_t im_memseg, off_t offset,
    uint64_t value, uint64_t *oldp)
{
	uint64_t old = 0;
	int rc = do_atomic(im_memseg, offset, RSM_AOP_SWAP, 8, value, 0,
	    &old);

	if (rc == RSM_SUCCESS && oldp != NULL)
		*oldp = old;
	return rc;
}

/* The post of the signal, when the transport uses the control channel. */
struct ps_arg {
	struct rsm_import *im;
};

static int
ps_post(void *arg, uint32_t flags)
{
	struct ps_arg *pa = arg;

	return rsm_signal_post_daemon(pa->im, flags);
}

int
rsm_memseg_import_put_signal(rsm_memseg_import_handle_t im_memseg,
    off_t offset, void *src_addr, size_t length, uint_t flags)
{
	struct rsm_import *im;
	struct rsm_xport_seg w;
	struct ps_arg pa;
	size_t rel;
	int rc;

	if (rsm_slot_check(im_memseg, RSM_MAGIC_IMPORT) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if (src_addr == NULL && length > 0)
		return RSMERR_BAD_ADDR;
	if ((flags & ~(uint_t)RSM_SIGPOST_NO_ACCUMULATE) != 0)
		return RSMERR_BAD_ARGS_ERRORS;
	if (offset < 0)
		return RSMERR_BAD_OFFSET;
	if ((rc = resolve(im_memseg, offset, length, RSM_PERM_WRITE,
	    RSMERR_BAD_LENGTH, &im, &rel)) != RSM_SUCCESS)
		return rc;
	seg_view(im, &w);
	pa.im = im;
	rc = im->ctlr->ops->put_signal(&w, rel, src_addr, length, flags,
	    ps_post, &pa);
	return still_live(im, rc);
}
