/*
 * data.c - put/get and the N-bit variants.
 *
 * This is the hot path: no syscall, lock or allocation once the implicit
 * mapping exists, and one indirect call into the controller's transport.  A call is the handle check (arithmetic on the arena),
 * the checks of spec 3.4 in their order, and in implicit barrier mode
 * generation check + copy + fence + generation check (open + copy + close).
 *
 * No byte swapping: every node of an rsm cluster has one endianness, so
 * the N-bit variants are plain copies (as in illumos, whose swap flag is
 * always false).
 */
#include "rsm_int.h"

static inline int
xfer(rsm_memseg_import_handle_t h, off_t offset, void *buf, size_t len,
    size_t align, int is_put)
{
	struct rsm_import *im = rsm_slot_check(h, RSM_MAGIC_IMPORT);
	const struct rsm_transport_ops *ops;
	struct rsm_xport_seg w;
	size_t off, rel;
	int view, implicit, rc;

	if (im == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if (buf == NULL)
		return RSMERR_BAD_ADDR;
	if ((((uintptr_t)buf | (uintptr_t)offset) & (align - 1)) != 0)
		return RSMERR_BAD_MEM_ALIGNMENT;
	view = atomic_load_explicit(&im->view, memory_order_acquire);
	if (view == RSM_VIEW_NONE) {
		rc = rsm_import_implicit_map(im);
		if (rc != RSM_SUCCESS)
			return rc;
		view = atomic_load_explicit(&im->view, memory_order_acquire);
	}
	if ((im->win_perm & (is_put ? RSM_PERM_WRITE : RSM_PERM_READ)) == 0)
		return RSMERR_PERM_DENIED;
	if (offset < 0)
		return RSMERR_BAD_OFFSET;
	off = (size_t)offset;
	if (view == RSM_VIEW_EXPLICIT) {
		if (off < im->win_off || off - im->win_off > im->win_len ||
		    len > im->win_len - (off - im->win_off))
			return RSMERR_BAD_OFFSET;
	} else if (off > im->win_len || len > im->win_len - off) {
		return RSMERR_BAD_LENGTH;
	}
	rel = off - im->win_off;
	implicit = atomic_load_explicit(&im->mode, memory_order_relaxed) ==
	    RSM_BARRIER_MODE_IMPLICIT;
	if (implicit) {
		if (atomic_load_explicit(&im->barrier_token,
		    memory_order_relaxed) == 0)
			return RSMERR_BARRIER_UNINITIALIZED;
		/* open_barrier: the connection must still be the same one. */
		if (atomic_load_explicit(&im->gen, memory_order_acquire) != 0)
			return RSMERR_CONN_ABORTED;
	}
	ops = im->ctlr->ops;
	w.base = im->win_base;
	w.size = im->win_len;
	w.prot = 0;
	w.priv = im->xs.priv;
	rc = is_put ? ops->put(&w, rel, buf, len) : ops->get(&w, rel, buf, len);
	if (implicit) {
		/*
		 * close_barrier: complete the access, then compare the
		 * generation; a lost connection outranks a transport error.
		 */
		if (rc == RSM_SUCCESS)
			rc = ops->flush(&w);
		if (atomic_load_explicit(&im->gen, memory_order_acquire) != 0 ||
		    rsm_import_abandoned(im))
			return RSMERR_CONN_ABORTED;
	}
	return rc;
}

int
rsm_import_xfer(struct rsm_import *im, off_t offset, void *buf, size_t len,
    size_t align, int is_put)
{
	return xfer((rsm_memseg_import_handle_t)im, offset, buf, len, align,
	    is_put);
}

int
rsm_import_xferv(struct rsm_import *im, const struct rsm_xport_iov *iov,
    size_t n, int is_put, size_t *done)
{
	struct rsm_xport_iov rel[RSM_MAX_SGIOREQS];
	const struct rsm_transport_ops *ops;
	struct rsm_xport_seg w;
	size_t k, d = 0;
	int view, implicit, rc = RSM_SUCCESS, rc_entry = RSM_SUCCESS;

	*done = 0;
	if (im == NULL || rsm_slot_check(im, RSM_MAGIC_IMPORT) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if (n == 0)
		return RSM_SUCCESS;
	if (iov == NULL || n > RSM_MAX_SGIOREQS)
		return RSMERR_BAD_SGIO;
	view = atomic_load_explicit(&im->view, memory_order_acquire);
	if (view == RSM_VIEW_NONE) {
		if ((rc = rsm_import_implicit_map(im)) != RSM_SUCCESS)
			return rc;
		view = atomic_load_explicit(&im->view, memory_order_acquire);
	}
	if ((im->win_perm & (is_put ? RSM_PERM_WRITE : RSM_PERM_READ)) == 0)
		return RSMERR_PERM_DENIED;
	/* The checks of each put/get, in list order; stop at the first bad. */
	for (k = 0; k < n; k++) {
		size_t off = iov[k].remote_off, len = iov[k].len;

		if (view == RSM_VIEW_EXPLICIT) {
			if (off < im->win_off || off - im->win_off > im->win_len ||
			    len > im->win_len - (off - im->win_off)) {
				rc_entry = RSMERR_BAD_OFFSET;
				break;
			}
		} else if (off > im->win_len || len > im->win_len - off) {
			rc_entry = RSMERR_BAD_LENGTH;
			break;
		}
		rel[k].local = iov[k].local;
		rel[k].remote_off = off - im->win_off;
		rel[k].len = len;
	}
	if (k == 0)
		return rc_entry;
	implicit = atomic_load_explicit(&im->mode, memory_order_relaxed) ==
	    RSM_BARRIER_MODE_IMPLICIT;
	if (implicit) {
		if (atomic_load_explicit(&im->barrier_token,
		    memory_order_relaxed) == 0)
			return RSMERR_BARRIER_UNINITIALIZED;
		if (atomic_load_explicit(&im->gen, memory_order_acquire) != 0)
			return RSMERR_CONN_ABORTED;
	}
	ops = im->ctlr->ops;
	w.base = im->win_base;
	w.size = im->win_len;
	w.prot = 0;
	w.priv = im->xs.priv;
	/* One call for the valid prefix lets a transport batch it. */
	rc = is_put ? ops->putv(&w, rel, k, &d) : ops->getv(&w, rel, k, &d);
	if (implicit) {
		if (rc == RSM_SUCCESS)
			rc = ops->flush(&w);
		if (atomic_load_explicit(&im->gen, memory_order_acquire) != 0 ||
		    rsm_import_abandoned(im))
			rc = RSMERR_CONN_ABORTED;
	}
	*done = rc == RSM_SUCCESS ? k : d;
	return rc != RSM_SUCCESS ? rc : rc_entry;
}

/* rep_cnt items of `size` bytes; an overflowing count is a bad length. */
static inline int
xfer_n(rsm_memseg_import_handle_t h, off_t offset, void *datap,
    ulong_t rep_cnt, size_t size, int is_put)
{
	if (rep_cnt > SIZE_MAX / size) {
		/* Keep the earlier checks' precedence. */
		if (rsm_slot_check(h, RSM_MAGIC_IMPORT) == NULL)
			return RSMERR_BAD_SEG_HNDL;
		if (datap == NULL)
			return RSMERR_BAD_ADDR;
		return RSMERR_BAD_LENGTH;
	}
	return xfer(h, offset, datap, (size_t)rep_cnt * size, size, is_put);
}

int
rsm_memseg_import_get(rsm_memseg_import_handle_t im_memseg, off_t offset,
    void *dst_addr, size_t length)
{
	return xfer(im_memseg, offset, dst_addr, length, 1, 0);
}

int
rsm_memseg_import_put(rsm_memseg_import_handle_t im_memseg, off_t offset,
    void *src_addr, size_t length)
{
	return xfer(im_memseg, offset, src_addr, length, 1, 1);
}

int
rsm_memseg_import_get8(rsm_memseg_import_handle_t im_memseg, off_t offset,
    uint8_t *datap, ulong_t rep_cnt)
{
	return xfer_n(im_memseg, offset, datap, rep_cnt, 1, 0);
}

int
rsm_memseg_import_get16(rsm_memseg_import_handle_t im_memseg, off_t offset,
    uint16_t *datap, ulong_t rep_cnt)
{
	return xfer_n(im_memseg, offset, datap, rep_cnt, 2, 0);
}

int
rsm_memseg_import_get32(rsm_memseg_import_handle_t im_memseg, off_t offset,
    uint32_t *datap, ulong_t rep_cnt)
{
	return xfer_n(im_memseg, offset, datap, rep_cnt, 4, 0);
}

int
rsm_memseg_import_get64(rsm_memseg_import_handle_t im_memseg, off_t offset,
    uint64_t *datap, ulong_t rep_cnt)
{
	return xfer_n(im_memseg, offset, datap, rep_cnt, 8, 0);
}

int
rsm_memseg_import_put8(rsm_memseg_import_handle_t im_memseg, off_t offset,
    uint8_t *datap, ulong_t rep_cnt)
{
	return xfer_n(im_memseg, offset, datap, rep_cnt, 1, 1);
}

int
rsm_memseg_import_put16(rsm_memseg_import_handle_t im_memseg, off_t offset,
    uint16_t *datap, ulong_t rep_cnt)
{
	return xfer_n(im_memseg, offset, datap, rep_cnt, 2, 1);
}

int
rsm_memseg_import_put32(rsm_memseg_import_handle_t im_memseg, off_t offset,
    uint32_t *datap, ulong_t rep_cnt)
{
	return xfer_n(im_memseg, offset, datap, rep_cnt, 4, 1);
}

int
rsm_memseg_import_put64(rsm_memseg_import_handle_t im_memseg, off_t offset,
    uint64_t *datap, ulong_t rep_cnt)
{
	return xfer_n(im_memseg, offset, datap, rep_cnt, 8, 1);
}
