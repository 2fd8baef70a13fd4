/*
 * export.c - the export side: create, destroy, rebind, publish,
 * unpublish, republish.
 *
 * The library checks arguments before any message (the daemon checks
 * again).  Only the creating process may change a segment: a forked child
 * holding the parent's handle gets RSMERR_NOT_CREATOR.
 */
#include "rsm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The creator's default mode, 0777 & ~umask, without racing umask(2). */
static uint32_t
default_mode(void)
{
	char line[128];
	unsigned mask = 022;
	FILE *f = fopen("/proc/self/status", "re");

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "Umask: %o", &mask) == 1)
				break;
		fclose(f);
	}
	return 0777u & ~(uint32_t)mask;
}

static struct rsm_export *
export_get(rsm_memseg_export_handle_t h)
{
	return rsm_slot_check(h, RSM_MAGIC_EXPORT);
}

/* Common prologue of creator-only operations. */
static int
export_creator(rsm_memseg_export_handle_t h, struct rsm_export **ep)
{
	struct rsm_export *e = export_get(h);

	if (e == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if (e->creator != getpid())
		return RSMERR_NOT_CREATOR;
	*ep = e;
	return RSM_SUCCESS;
}

static int
simple_call(uint16_t type, const void *req, size_t len, int fd,
    uint64_t epoch, void *reply, size_t cap)
{
	struct rsm_call call;
	int rc;

	memset(&call, 0, sizeof(call));
	call.type = type;
	call.req = req;
	call.req_len = len;
	call.req_fd = fd;
	call.reply = reply;
	call.reply_cap = cap;
	call.epoch = epoch;
	rc = rsm_link_call(&call);
	if (call.reply_fd >= 0)
		close(call.reply_fd);
	return rc;
}

int
rsm_memseg_export_create(rsmapi_controller_handle_t controller,
    rsm_memseg_export_handle_t *memseg, void *vaddr, size_t size,
    uint_t flags)
{
	struct rsm_msg_export_create req;
	struct rsm_msg_handle rep;
	struct rsm_call call;
	struct rsm_ctlr *c;
	struct rsm_export *e;
	size_t pg = rsm_pagesize();
	int rc, fd;

	if (memseg == NULL)
		return RSMERR_BAD_SEG_HNDL;
	*memseg = NULL;
	if ((c = rsm_ctlr_get(controller)) == NULL)
		return RSMERR_BAD_CTLR_HNDL;
	if (flags & RSM_LOCK_OPS)
		return RSMERR_LOCKS_NOT_SUPPORTED;
	if (flags & ~(uint_t)(RSM_ALLOW_REBIND | RSM_CREATE_SEG_DONTWAIT))
		return RSMERR_BAD_MODE;
	if (vaddr == NULL)
		return RSMERR_BAD_ADDR;
	if ((uintptr_t)vaddr % pg != 0)
		return RSMERR_BAD_MEM_ALIGNMENT;
	if (size == 0 || size % pg != 0)
		return size == 0 ? RSMERR_BAD_LENGTH : RSMERR_BAD_MEM_ALIGNMENT;
	if (!rsm_ctlr_is_loopback(c) && c->attr.max_export_segment_size != 0 &&
	    size > c->attr.max_export_segment_size)
		return RSMERR_BAD_LENGTH;
	/* No daemon: the spec's "cannot open /dev/rsm". */
	if (rsm_link_up(NULL, NULL) != RSM_SUCCESS)
		return RSMERR_INSUFFICIENT_RESOURCES;

	if ((e = rsm_slot_alloc(RSM_MAGIC_EXPORT)) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	e->evfd = -1;	/* made on first use: a process may hold thousands of handles */
	if ((rc = rsm_memfd_move_in(vaddr, size, &fd, &e->status)) !=
	    RSM_SUCCESS) {
		rsm_handles_lock();
		rsm_slot_free(e);
		rsm_handles_unlock();
		return rc;
	}
	memset(&req, 0, sizeof(req));
	req.size = size;
	req.flags = flags;
	req.mode = default_mode();
	req.xport = c->type->xport;
	memset(&call, 0, sizeof(call));
	call.type = RSM_MSG_EXPORT_CREATE;
	call.req = &req;
	call.req_len = sizeof(req);
	call.req_fd = fd;
	call.reply = &rep;
	call.reply_cap = sizeof(rep);
	call.slot = &e->hdr;
	rc = rsm_link_call(&call);
	close(fd);	/* the daemon has its own; our mapping keeps the pages */
	if (call.reply_fd >= 0)
		close(call.reply_fd);
	if (rc != RSM_SUCCESS) {
		(void)rsm_memfd_move_out(vaddr, size);
		rsm_memfd_status_unmap(e->status);
		e->status = NULL;
		rsm_handles_lock();
		if (e->evfd >= 0)
			close(e->evfd);
		rsm_slot_free(e);
		rsm_handles_unlock();
		/* The daemon vanished mid-request: as if it was never there. */
		return rc == RSMERR_CONN_ABORTED ?
		    RSMERR_INSUFFICIENT_RESOURCES : rc;
	}
	rsm_handles_lock();
	e->hdr.epoch = call.epoch;
	e->hdr.dh = rep.handle;
	e->ctlr = c;
	e->vaddr = vaddr;
	e->size = size;
	e->flags = flags;
	e->creator = getpid();
	rsm_handles_unlock();
	*memseg = (rsm_memseg_export_handle_t)e;
	return RSM_SUCCESS;
}

int
rsm_memseg_export_destroy(rsm_memseg_export_handle_t memseg)
{
	struct rsm_msg_handle req;
	struct rsm_export *e;
	uint64_t epoch;
	int rc;

	rsm_handles_lock();
	if ((e = export_get(memseg)) == NULL) {
		rsm_handles_unlock();
		return RSMERR_BAD_SEG_HNDL;
	}
	if (e->poll_refs > 0) {
		rsm_handles_unlock();
		return RSMERR_POLLFD_IN_USE;
	}
	/* Take the handle out of service before the slow part. */
	atomic_store(&e->hdr.magic, RSM_MAGIC_FREE);
	epoch = e->hdr.epoch;
	req.handle = e->hdr.dh;
	rsm_handles_unlock();

	/*
	 * Importers hear first that this memory is given up (a barrier after
	 * this fails), then our pages go private: importers cannot see later
	 * writes, and none of theirs a barrier acknowledged is lost, even
	 * with no daemon left to revoke them (rsm_int.h, memfd_move.c).
	 */
	if (e->status != NULL) {
		atomic_store(e->status, RSM_SEG_ABANDONED);
		atomic_thread_fence(memory_order_seq_cst);
	}
	rc = rsm_memfd_move_out(e->vaddr, e->size);
	if (rc != RSM_SUCCESS) {
		if (e->status != NULL)
			atomic_store(e->status, 0);
		atomic_store(&e->hdr.magic, RSM_MAGIC_EXPORT);
		return rc;
	}
	rsm_memfd_status_unmap(e->status);
	e->status = NULL;
	/*
	 * A stale handle (daemon gone, or a forked child's copy) is destroyed
	 * locally only; the daemon already forgot it or it is not ours.
	 */
	if (e->creator == getpid() && rsm_epoch_live(epoch))
		(void)simple_call(RSM_MSG_EXPORT_DESTROY, &req, sizeof(req), -1,
		    epoch, NULL, 0);
	rsm_handles_lock();
	if (e->evfd >= 0)
		close(e->evfd);
	atomic_store(&e->hdr.magic, RSM_MAGIC_EXPORT);
	rsm_slot_free(e);
	rsm_handles_unlock();
	return RSM_SUCCESS;
}

int
rsm_memseg_export_rebind(rsm_memseg_export_handle_t memseg, void *vaddr,
    offset_t off, size_t size)
{
	struct rsm_msg_rebind req;
	struct rsm_export *e;
	size_t pg = rsm_pagesize();
	uintptr_t a, b;
	_Atomic uint32_t *status;
	int rc, fd;

	(void)off;	/* unused, as in the spec */
	if ((rc = export_creator(memseg, &e)) != RSM_SUCCESS)
		return rc;
	if (vaddr == NULL)
		return RSMERR_BAD_ADDR;
	if ((uintptr_t)vaddr % pg != 0)
		return RSMERR_BAD_MEM_ALIGNMENT;
	if (size != e->size)
		return RSMERR_BAD_LENGTH;
	if (!(e->flags & RSM_ALLOW_REBIND))
		return RSMERR_REBIND_NOT_ALLOWED;
	if ((char *)vaddr == e->vaddr)
		return RSM_SUCCESS;
	a = (uintptr_t)vaddr;
	b = (uintptr_t)e->vaddr;
	if (a + size < a)
		return RSMERR_BAD_ADDR;
	/* Overlapping old and new ranges cannot both be moved. */
	if (a < b + size && b < a + size)
		return RSMERR_BAD_ADDR;
	if (!rsm_epoch_live(e->hdr.epoch))
		return RSMERR_CONN_ABORTED;
	if ((rc = rsm_memfd_move_in(vaddr, size, &fd, &status)) != RSM_SUCCESS)
		return rc;
	req.handle = e->hdr.dh;
	req.size = size;
	rc = simple_call(RSM_MSG_EXPORT_REBIND, &req, sizeof(req), fd,
	    e->hdr.epoch, NULL, 0);
	close(fd);
	if (rc != RSM_SUCCESS) {
		(void)rsm_memfd_move_out(vaddr, size);
		rsm_memfd_status_unmap(status);
		return rc;
	}
	/*
	 * Importers now see the new pages; the old range gets its own back.
	 * The old memory is not marked given up: importers follow the new
	 * pages at REBOUND (spec 6.4), so a write of theirs that lands in the
	 * old pages meanwhile is lost (doc/internals.md, "Memory").
	 */
	(void)rsm_memfd_move_out(e->vaddr, size);
	rsm_memfd_status_unmap(e->status);
	rsm_handles_lock();
	e->vaddr = vaddr;
	e->status = status;
	rsm_handles_unlock();
	return RSM_SUCCESS;
}

/* ACL checks of spec 4.4, before any message. */
static int
check_acl(const struct rsm_export *e, const rsmapi_access_entry_t *acl,
    uint_t len)
{
	uint32_t node_id = 0;
	uint_t i;

	if (len > 0 && acl == NULL)
		return RSMERR_BAD_ACL;
	if (len > RSM_ACL_MAX)
		return RSMERR_BAD_ACL;
	for (i = 0; i < len; i++) {
		if (acl[i].ae_node > RSM_NODE_ID_MAX ||
		    acl[i].ae_permission > 0666)
			return RSMERR_BAD_ACL;
	}
	if (len > 0 && rsm_ctlr_is_loopback(e->ctlr)) {
		if (len > 1)
			return RSMERR_BAD_ACL;
		if (rsm_link_up(NULL, &node_id) == RSM_SUCCESS &&
		    acl[0].ae_node != node_id)
			return RSMERR_BAD_ACL;
	}
	return RSM_SUCCESS;
}

static int
send_publish(uint16_t type, struct rsm_export *e, uint32_t segid,
    const rsmapi_access_entry_t *acl, uint_t len, uint32_t *out_segid)
{
	union {
		struct rsm_msg_publish p;
		unsigned char b[sizeof(struct rsm_msg_publish) +
		    RSM_ACL_MAX * sizeof(struct rsm_wire_ace)];
	} req;
	struct rsm_msg_publish_reply rep;
	uint_t i;
	int rc;

	memset(&req, 0, sizeof(req));
	req.p.handle = e->hdr.dh;
	req.p.segid = segid;
	req.p.acl_len = len;
	for (i = 0; i < len; i++) {
		req.p.acl[i].node = acl[i].ae_node;
		req.p.acl[i].perm = acl[i].ae_permission;
	}
	memset(&rep, 0, sizeof(rep));
	rc = simple_call(type, &req, sizeof(req.p) +
	    len * sizeof(struct rsm_wire_ace), -1, e->hdr.epoch, &rep,
	    sizeof(rep));
	if (rc == RSM_SUCCESS && out_segid != NULL)
		*out_segid = rep.segid;
	return rc;
}

int
rsm_memseg_export_publish(rsm_memseg_export_handle_t memseg,
    rsm_memseg_id_t *segment_id, rsmapi_access_entry_t access_list[],
    uint_t access_list_length)
{
	struct rsm_export *e;
	uint32_t id, got = 0;
	int rc;

	if ((rc = export_creator(memseg, &e)) != RSM_SUCCESS)
		return rc;
	if (segment_id == NULL)
		return RSMERR_BAD_SEGID;
	if ((rc = check_acl(e, access_list, access_list_length)) != RSM_SUCCESS)
		return rc;
	id = *segment_id;
	if (id != 0 && (id <= RSM_DLPI_ID_END || id >= RSM_USER_APP_ID_BASE))
		return RSMERR_RESERVED_SEGID;
	if (!rsm_epoch_live(e->hdr.epoch))
		return RSMERR_CONN_ABORTED;
	rc = send_publish(RSM_MSG_PUBLISH, e, id, access_list,
	    access_list_length, &got);
	if (rc != RSM_SUCCESS)
		return rc;
	rsm_handles_lock();
	e->published = 1;
	e->segid = got;
	rsm_handles_unlock();
	*segment_id = got;
	return RSM_SUCCESS;
}

int
rsm_memseg_export_unpublish(rsm_memseg_export_handle_t memseg)
{
	struct rsm_msg_handle req;
	struct rsm_export *e;
	int rc;

	if ((rc = export_creator(memseg, &e)) != RSM_SUCCESS)
		return rc;
	if (!rsm_epoch_live(e->hdr.epoch))
		return RSMERR_CONN_ABORTED;
	req.handle = e->hdr.dh;
	rc = simple_call(RSM_MSG_UNPUBLISH, &req, sizeof(req), -1,
	    e->hdr.epoch, NULL, 0);
	if (rc == RSM_SUCCESS) {
		rsm_handles_lock();
		e->published = 0;
		rsm_handles_unlock();
	}
	return rc;
}

int
rsm_memseg_export_republish(rsm_memseg_export_handle_t memseg,
    rsmapi_access_entry_t access_list[], uint_t access_list_length)
{
	struct rsm_export *e;
	int rc;

	if ((rc = export_creator(memseg, &e)) != RSM_SUCCESS)
		return rc;
	if ((rc = check_acl(e, access_list, access_list_length)) != RSM_SUCCESS)
		return rc;
	if (!rsm_epoch_live(e->hdr.epoch))
		return RSMERR_CONN_ABORTED;
	return send_publish(RSM_MSG_REPUBLISH, e, 0, access_list,
	    access_list_length, NULL);
}
