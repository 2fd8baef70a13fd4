/*
 * sg.c - putv/getv and local memory handles.
 *
 * Each list entry is one put/get with its own implicit barrier; the list
 * stops at the first error and io_residual_count says how many entries
 * were not completed.  A local memory handle is a validated slot that
 * describes [vaddr, vaddr+len) (registered with the controller's
 * transport), so a list entry of RSM_HANDLE_TYPE can be bounds-checked.
 */
#include "rsm_int.h"

static struct rsm_localmem *
localmem_get(rsm_localmemory_handle_t h)
{
	return rsm_slot_check(h, RSM_MAGIC_LOCALMEM);
}

/* Resolve one entry's local buffer. */
static int
entry_local(const rsm_iovec_t *io, char **bufp)
{
	uintptr_t base;

	switch (io->io_type) {
	case RSM_HANDLE_TYPE: {
		struct rsm_localmem *lm = localmem_get(io->local.handle);

		if (lm == NULL)
			return RSMERR_BAD_SGIO;
		if (io->local_offset > lm->mem.len ||
		    io->transfer_length > lm->mem.len - io->local_offset)
			return RSMERR_BAD_LENGTH;
		*bufp = lm->mem.vaddr + io->local_offset;
		return RSM_SUCCESS;
	}
	case RSM_VA_TYPE:
		if (io->local.vaddr == NULL)
			return RSMERR_BAD_ADDR;
		base = (uintptr_t)io->local.vaddr;
		if (base + io->local_offset < base ||
		    base + io->local_offset + io->transfer_length <
		    base + io->local_offset)
			return RSMERR_BAD_ADDR;
		*bufp = io->local.vaddr + io->local_offset;
		return RSM_SUCCESS;
	default:
		return RSMERR_BAD_SGIO;
	}
}

static int
sg_xfer(rsm_scat_gath_t *sg, int is_put)
{
	struct rsm_xport_iov xv[RSM_MAX_SGIOREQS];
	struct rsm_import *im;
	uint_t flags;
	ulong_t i, n;
	size_t done;
	int rc, rc_local = RSM_SUCCESS;

	if (sg == NULL)
		return RSMERR_BAD_SGIO;
	n = sg->io_request_count;
	if (n == 0 || n > RSM_MAX_SGIOREQS || sg->iovec == NULL)
		return RSMERR_BAD_SGIO;
	if (sg->remote_handle == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if ((im = rsm_import_get(sg->remote_handle)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	flags = sg->flags;
	sg->io_residual_count = n;
	/*
	 * Resolve the local side of each entry up to the first bad one; the
	 * entries before it go to the transport as one list (tcp sends them
	 * in one frame), with the checks of put/get applied to each.
	 */
	for (i = 0; i < n; i++) {
		const rsm_iovec_t *io = &sg->iovec[i];
		char *buf;

		if ((rc_local = entry_local(io, &buf)) != RSM_SUCCESS)
			break;
		if (io->remote_offset > (size_t)INT64_MAX) {
			rc_local = RSMERR_BAD_OFFSET;
			break;
		}
		xv[i].local = buf;
		xv[i].remote_off = io->remote_offset;
		xv[i].len = io->transfer_length;
	}
	rc = rsm_import_xferv(im, xv, i, is_put, &done);
	sg->io_residual_count = n - done;
	if (rc == RSM_SUCCESS)
		rc = rc_local;
	if (rc == RSM_SUCCESS && (flags & RSM_IMPLICIT_SIGPOST))
		rc = rsm_signal_post_import(im,
		    flags & RSM_SIGPOST_NO_ACCUMULATE);
	/* The caller's flags come back unchanged whatever happened. */
	sg->flags = flags;
	return rc;
}

int
rsm_memseg_import_putv(rsm_scat_gath_t *sg_io)
{
	return sg_xfer(sg_io, 1);
}

int
rsm_memseg_import_getv(rsm_scat_gath_t *sg_io)
{
	return sg_xfer(sg_io, 0);
}

int
rsm_create_localmemory_handle(rsmapi_controller_handle_t handle,
    rsm_localmemory_handle_t *l_handle, caddr_t local_vaddr, size_t length)
{
	struct rsm_localmem *lm;
	struct rsm_ctlr *c;
	int rc;

	if (l_handle == NULL)
		return RSMERR_BAD_LOCALMEM_HNDL;
	*l_handle = NULL;
	/* As illumos: alignment before the controller. */
	if (local_vaddr == NULL || (uintptr_t)local_vaddr % rsm_pagesize() != 0)
		return RSMERR_BAD_ADDR;
	if ((c = rsm_ctlr_get(handle)) == NULL)
		return RSMERR_BAD_CTLR_HNDL;
	if (length == 0)
		return RSMERR_BAD_LENGTH;
	if ((uintptr_t)local_vaddr + length < (uintptr_t)local_vaddr)
		return RSMERR_BAD_LENGTH;
	if ((lm = rsm_slot_alloc(RSM_MAGIC_LOCALMEM)) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	rc = c->ops->register_mem(&lm->mem, local_vaddr, length);
	rsm_handles_lock();
	if (rc != RSM_SUCCESS)
		rsm_slot_free(lm);
	else
		lm->ctlr = c;
	rsm_handles_unlock();
	if (rc == RSM_SUCCESS)
		*l_handle = (rsm_localmemory_handle_t)lm;
	return rc;
}

int
rsm_free_localmemory_handle(rsmapi_controller_handle_t handle,
    rsm_localmemory_handle_t l_handle)
{
	struct rsm_localmem *lm;
	struct rsm_ctlr *c;
	int rc = RSM_SUCCESS;

	if ((c = rsm_ctlr_get(handle)) == NULL)
		return RSMERR_BAD_CTLR_HNDL;
	rsm_handles_lock();
	if ((lm = localmem_get(l_handle)) == NULL) {
		rc = RSMERR_BAD_LOCALMEM_HNDL;
	} else {
		(void)lm->ctlr->ops->deregister_mem(&lm->mem);
		rsm_slot_free(lm);
	}
	rsm_handles_unlock();
	return rc;
}
