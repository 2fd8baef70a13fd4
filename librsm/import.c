/*
 * import.c - the import side: connect, disconnect, map, unmap, the
 * implicit mapping made by put/get, and what REVOKED and REBOUND do to an
 * import's mappings.
 */
#include "rsm_int.h"
#include "rmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct rsm_import *
rsm_import_get(rsm_memseg_import_handle_t h)
{
	return rsm_slot_check(h, RSM_MAGIC_IMPORT);
}

static int
perm_to_prot(uint32_t perm)
{
	/* Write-only still maps readable: x86 pages cannot be write-only. */
	return (perm & RSM_PERM_WRITE) ? PROT_READ | PROT_WRITE :
	    (perm & RSM_PERM_READ) ? PROT_READ : PROT_NONE;
}

static int
mmap_errno_to_rsm(int e)
{
	switch (e) {
	case ENXIO:
	case EOVERFLOW:
	case ENOMEM:
		return RSMERR_BAD_LENGTH;
	case ENODEV:
		return RSMERR_CONN_ABORTED;
	case EAGAIN:
		return RSMERR_INSUFFICIENT_RESOURCES;
	case EACCES:
		return RSMERR_BAD_PERMS;
	default:
		return RSMERR_MAP_FAILED;
	}
}

/*
 * Tell the daemon the import is over, without waiting for its answer,
 * which could only say that the handle was already gone: the daemon
 * drops the import before it serves any later request of this process,
 * so a connect that follows sees the quota and the segment's importers
 * as they are after it.  That saves the disconnect a round trip.
 */
static void
disconnect_post(uint64_t epoch, uint64_t dh)
{
	struct rsm_msg_handle req = { dh };
	struct rsm_call call;

	memset(&call, 0, sizeof(call));
	call.type = RSM_MSG_IMPORT_DISCONNECT;
	call.req = &req;
	call.req_len = sizeof(req);
	call.req_fd = -1;
	call.epoch = epoch;
	(void)rsm_link_post(&call);
	if (call.reply_fd >= 0)
		close(call.reply_fd);
}

int
rsm_memseg_import_connect(rsmapi_controller_handle_t controller,
    rsm_node_id_t node_id, rsm_memseg_id_t segment_id, rsm_permission_t perm,
    rsm_memseg_import_handle_t *im_memseg)
{
	struct rsm_msg_connect req;
	struct rsm_msg_connect_reply rep;
	struct rsm_call call;
	struct rsm_ctlr *c;
	struct rsm_import *im;
	struct stat st;
	uint32_t local_node;
	int rc;

	if (im_memseg == NULL)
		return RSMERR_BAD_SEG_HNDL;
	*im_memseg = NULL;
	if ((c = rsm_ctlr_get(controller)) == NULL)
		return RSMERR_BAD_CTLR_HNDL;
	if (perm != RSM_PERM_READ && perm != RSM_PERM_WRITE &&
	    perm != RSM_PERM_RDWR)
		return RSMERR_PERM_DENIED;
	if (rsm_link_up(NULL, &local_node) != RSM_SUCCESS)
		return RSMERR_CTLR_NOT_PRESENT;
	if (rsm_ctlr_is_loopback(c) && node_id != local_node)
		return RSMERR_CTLR_NOT_PRESENT;

	if ((im = rsm_slot_alloc(RSM_MAGIC_IMPORT)) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	im->fd = -1;
	im->evfd = -1;	/* made on first use, see intr.c */
	req.node = node_id;
	req.segid = segment_id;
	req.perm = perm;
	req.xport = c->type->xport;
	memset(&call, 0, sizeof(call));
	call.type = RSM_MSG_IMPORT_CONNECT;
	call.req = &req;
	call.req_len = sizeof(req);
	call.req_fd = -1;
	call.reply = &rep;
	call.reply_cap = sizeof(rep);
	call.slot = &im->hdr;
	rc = rsm_link_call(&call);
	if (rc == RSM_SUCCESS) {
		size_t pg = rsm_pagesize();
		int bad;

		/*
		 * Trust nothing: an fd type's memfd must hold the whole
		 * segment and come without a capability; any other type gets
		 * a capability of its own kind and no fd.
		 */
		if (c->type->flags & RSM_CTLRF_FD)
			bad = call.reply_fd < 0 ||
			    rep.cap.family != RSM_CAP_NONE ||
			    fstat(call.reply_fd, &st) != 0 ||
			    !S_ISREG(st.st_mode) ||
			    (uint64_t)st.st_size < rep.size;
		else
			bad = call.reply_fd >= 0 ||
			    rep.cap.family == RSM_CAP_NONE ||
			    rep.cap.kind != c->type->cap_kind;
		if (bad || rep.size == 0 || rep.size % pg != 0 ||
		    (rep.granted & ~(uint32_t)RSM_PERM_RDWR) != 0 ||
		    (rep.granted & perm) != perm) {
			disconnect_post(call.epoch, rep.handle);
			rc = RSMERR_CONN_ABORTED;
		}
	}
	if (rc != RSM_SUCCESS) {
		if (call.reply_fd >= 0)
			close(call.reply_fd);
		rsm_handles_lock();
		if (im->evfd >= 0)
			close(im->evfd);
		rsm_slot_free(im);
		rsm_handles_unlock();
		return rc;
	}
	rsm_handles_lock();
	im->hdr.epoch = call.epoch;
	im->hdr.dh = rep.handle;
	im->ctlr = c;
	im->size = (size_t)rep.size;
	im->granted = perm;
	im->node_mode = rep.node_mode;
	im->node = node_id;
	im->segid = segment_id;
	im->cap = rep.cap;
	atomic_store(&im->mode, RSM_BARRIER_MODE_IMPLICIT);
	/*
	 * A REVOKED or REBOUND may have run between the reply and here; a
	 * rebound fd already installed is newer than ours.
	 */
	if (call.reply_fd < 0)
		;	/* a capability type: the capability is all there is */
	else if (im->fd >= 0 || atomic_load(&im->gen) != 0)
		close(call.reply_fd);
	else
		im->fd = call.reply_fd;
	rsm_handles_unlock();
	/*
	 * An eager type (verbs) connects its data path now rather than at
	 * the first put/get: its signals then always travel on that path
	 * (after the writes they follow: a verbs queue pair), and a daemon
	 * or device that refuses the connection fails the connect, not a
	 * later get.
	 */
	if ((c->type->flags & RSM_CTLRF_EAGER) &&
	    (rc = rsm_import_implicit_map(im)) != RSM_SUCCESS) {
		(void)rsm_memseg_import_disconnect(
		    (rsm_memseg_import_handle_t)im);
		return rc;
	}
	*im_memseg = (rsm_memseg_import_handle_t)im;
	return RSM_SUCCESS;
}

/* Drop the implicit mapping (lock held). */
static void
drop_implicit(struct rsm_import *im)
{
	if (atomic_load(&im->view) == RSM_VIEW_IMPLICIT) {
		atomic_store(&im->view, RSM_VIEW_NONE);
		im->ctlr->ops->disconnect(&im->xs);
		rsm_xport_seg_reset(&im->xs);
	}
}

int
rsm_memseg_import_disconnect(rsm_memseg_import_handle_t im_memseg)
{
	struct rsm_import *im;
	uint64_t epoch, dh;

	rsm_handles_lock();
	if ((im = rsm_import_get(im_memseg)) == NULL) {
		rsm_handles_unlock();
		return RSMERR_BAD_SEG_HNDL;
	}
	if (atomic_load(&im->view) == RSM_VIEW_EXPLICIT || im->rmap != NULL) {
		rsm_handles_unlock();
		return RSMERR_SEG_STILL_MAPPED;
	}
	if (im->poll_refs > 0) {
		rsm_handles_unlock();
		return RSMERR_POLLFD_IN_USE;
	}
	/* A connect of another thread: cancel it, wait for its end. */
	if (im->connecting) {
		atomic_store(&im->connect_cancel, 1);
		while (im->connecting && rsm_import_get(im_memseg) == im)
			rsm_handles_wait();
		if (rsm_import_get(im_memseg) != im) {
			rsm_handles_unlock();
			return RSMERR_BAD_SEG_HNDL;
		}
	}
	drop_implicit(im);
	epoch = im->hdr.epoch;
	dh = im->hdr.dh;
	if (im->fd >= 0)
		close(im->fd);
	im->fd = -1;
	rsm_memfd_status_unmap(im->status);
	im->status = NULL;
	if (im->evfd >= 0)
		close(im->evfd);
	rsm_slot_free(im);
	rsm_handles_unlock();
	/*
	 * A revocation by unpublish leaves the connection in the daemon's
	 * table, so the daemon is told whenever it still lives (a post to
	 * an epoch that is over sends nothing).
	 */
	disconnect_post(epoch, dh);
	return RSM_SUCCESS;
}

/*
 * Map the memfd's status page, which tells whether the exporter gave the
 * memory up (memfd_move.c), before the first view of the segment (lock
 * held).  Only an access through a view can be lost, so an import that
 * is connected and disconnected without one never maps it: a connect
 * costs no mmap and munmap.  Set before the view is published (release),
 * so the data path, which reads the view first (acquire), sees it; kept
 * until disconnect once mapped.
 */
static void
status_attach_locked(struct rsm_import *im)
{
	if (im->status == NULL && im->fd >= 0)
		im->status = rsm_memfd_status_map(im->fd, im->size, PROT_READ,
		    NULL);
}

/* Where the transport's connect of im starts (lock held); cap is t's. */
static void
target_locked(struct rsm_import *im, struct rsm_xport_target *t,
    struct rsm_wire_cap *cap)
{
	*cap = im->cap;
	t->ctlr = im->ctlr->name;
	t->fd = im->fd;
	t->cap = cap->family != RSM_CAP_NONE ? cap : NULL;
	t->size = im->size;
	t->prot = perm_to_prot(im->granted);
	t->perm = im->granted;
	t->cancel = &im->connect_cancel;
}

/*
 * Lock held, and held again on return; the transport's connect runs
 * without it, so that a data server that takes seconds to answer holds
 * up neither the other handles nor the notification that revokes this
 * one (which cancels the connect).  Others wanting the same import wait
 * for that connect; so does a disconnect, after cancelling it.
 */
static int
implicit_map_locked(struct rsm_import *im)
{
	struct rsm_xport_target t;
	struct rsm_wire_cap cap;
	struct rsm_xport_seg xs;
	uint64_t dh = im->hdr.dh;
	unsigned rebinds;
	int rc;

again:
	for (;;) {
		if (rsm_slot_check(im, RSM_MAGIC_IMPORT) == NULL ||
		    im->hdr.dh != dh)
			return RSMERR_BAD_SEG_HNDL;
		if (atomic_load(&im->view) != RSM_VIEW_NONE)
			return RSM_SUCCESS;
		if ((im->fd < 0 && im->cap.family == RSM_CAP_NONE) ||
		    atomic_load(&im->gen) != 0)
			return RSMERR_CONN_ABORTED;
		if (!im->connecting)
			break;
		rsm_handles_wait();
	}
	target_locked(im, &t, &cap);
	rebinds = im->rebinds;
	memset(&xs, 0, sizeof(xs));
	im->connecting = 1;
	/*
	 * The fd stays open meanwhile: whoever closes it under the lock
	 * (revocation, rebind) waits for nothing, so the transport gets a
	 * duplicate of its own.
	 */
	if (t.fd >= 0 && (t.fd = fcntl(t.fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		im->connecting = 0;
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	rsm_handles_unlock();
	rc = im->ctlr->ops->connect(&xs, &t);
	if (t.fd >= 0)
		close(t.fd);
	rsm_handles_lock();
	im->connecting = 0;
	rsm_handles_wake();
	if (rc != RSM_SUCCESS)
		return atomic_load(&im->gen) != 0 ? RSMERR_CONN_ABORTED : rc;
	/* Revoked or disconnected meanwhile: the connection is not wanted. */
	if (atomic_load(&im->gen) != 0 || atomic_load(&im->connect_cancel)) {
		im->ctlr->ops->disconnect(&xs);
		return RSMERR_CONN_ABORTED;
	}
	/* Rebound meanwhile: that was the old memory. */
	if (im->rebinds != rebinds) {
		im->ctlr->ops->disconnect(&xs);
		goto again;
	}
	im->xs = xs;
	status_attach_locked(im);
	im->win_base = im->xs.base;
	im->win_off = 0;
	im->win_len = im->size;
	im->win_perm = im->granted;
	atomic_store_explicit(&im->view, RSM_VIEW_IMPLICIT,
	    memory_order_release);
	return RSM_SUCCESS;
}

int
rsm_import_implicit_map(struct rsm_import *im)
{
	int rc;

	rsm_handles_lock();
	if (!rsm_slot_check(im, RSM_MAGIC_IMPORT))
		rc = RSMERR_BAD_SEG_HNDL;
	else
		rc = implicit_map_locked(im);
	rsm_handles_unlock();
	return rc;
}

/*
 * /dev/userfaultfd lent by rsmd (UFFD), for a process that may not open
 * it: the daemon lends it to a client with a live remote import.  -1 if
 * it does not.  Called without the lock.
 */
static int
uffd_dev_from_daemon(void)
{
	struct rsm_call call;

	memset(&call, 0, sizeof(call));
	call.type = RSM_MSG_UFFD;
	call.req_fd = -1;
	call.reply_fd = -1;
	if (rsm_link_call(&call) != RSM_SUCCESS) {
		if (call.reply_fd >= 0)
			close(call.reply_fd);
		return -1;
	}
	return call.reply_fd;
}

/*
 * Map [off, off+len) of a capability import remotely (rmap.h).  Lock
 * held, and held again on return; like implicit_map_locked, the data
 * path's connect runs without it and a revocation or disconnect cancels
 * it.  *address: the hint (or the address, fixed) in, the map's out.
 */
static int
remote_map_locked(struct rsm_import *im, uint32_t perm, size_t off,
    size_t len, void **address, int fixed)
{
	struct rsm_xport_target t;
	struct rsm_wire_cap cap;
	struct rsm_rmap *r;
	uint64_t dh = im->hdr.dh;
	size_t pg = rsm_pagesize();
	void *addr = *address;
	int rc;

	for (;;) {
		if (rsm_slot_check(im, RSM_MAGIC_IMPORT) == NULL ||
		    im->hdr.dh != dh)
			return RSMERR_BAD_SEG_HNDL;
		if (im->rmap != NULL)
			return RSMERR_SEG_ALREADY_MAPPED;
		if (atomic_load(&im->gen) != 0)
			return RSMERR_CONN_ABORTED;
		if (!im->connecting)
			break;
		rsm_handles_wait();
	}
	target_locked(im, &t, &cap);
	im->connecting = 1;
	rsm_handles_unlock();
	/* The segment is whole pages (connect checked): so is the map. */
	rc = rsm_rmap_create(&r, im->ctlr->ops, &t, off,
	    (len + pg - 1) / pg * pg, perm_to_prot(perm), &addr, fixed,
	    uffd_dev_from_daemon);
	rsm_handles_lock();
	im->connecting = 0;
	rsm_handles_wake();
	if (rc != RSM_SUCCESS)
		return atomic_load(&im->gen) != 0 ? RSMERR_CONN_ABORTED : rc;
	if (atomic_load(&im->gen) != 0 || atomic_load(&im->connect_cancel) ||
	    im->rmap != NULL) {
		rc = im->rmap != NULL ? RSMERR_SEG_ALREADY_MAPPED :
		    RSMERR_CONN_ABORTED;
		rsm_handles_unlock();
		rsm_rmap_unref(r);
		rsm_handles_lock();
		return rc;
	}
	im->rmap = r;
	*address = addr;
	/* Which fault and tracking machinery the kernel gave (rmap.h). */
	if (getenv("RSM_DEBUG") != NULL)
		fprintf(stderr, "librsm: remote map of segment %#x of node %u,"
		    " %zu bytes at offset %zu: %s\n", (unsigned)im->segid,
		    (unsigned)im->node, len, off, rsm_rmap_mode(r));
	return RSM_SUCCESS;
}

struct rsm_rmap *
rsm_import_rmap_get(struct rsm_import *im)
{
	struct rsm_rmap *r = NULL;

	/* A map being made now is one the barrier did not follow. */
	if (atomic_load_explicit(&im->rmap, memory_order_acquire) == NULL)
		return NULL;
	rsm_handles_lock();
	if (rsm_slot_check(im, RSM_MAGIC_IMPORT) != NULL &&
	    (r = im->rmap) != NULL)
		rsm_rmap_ref(r);
	rsm_handles_unlock();
	return r;
}

int
rsm_memseg_import_map(rsm_memseg_import_handle_t im_memseg, void **address,
    rsm_attribute_t attr, rsm_permission_t perm, off_t offset, size_t length)
{
	struct rsm_import *im;
	size_t pg = rsm_pagesize();
	void *hint, *p;
	int flags = MAP_SHARED, rc = RSM_SUCCESS, remote;

	rsm_handles_lock();
	if ((im = rsm_import_get(im_memseg)) == NULL) {
		rc = RSMERR_BAD_SEG_HNDL;
		goto out;
	}
	if (address == NULL) {
		rc = RSMERR_BAD_ADDR;
		goto out;
	}
	/*
	 * A segment reached through a capability (tcp0, verbsN, ucx0) is
	 * mapped remotely (rmap.h): a cache of its own beside the implicit
	 * view of put/get, which therefore does not count as a mapping.
	 * Any other type maps the memfd, and only with RSM_CTLRF_MAP.
	 */
	remote = im->cap.family != RSM_CAP_NONE;
	if (!remote && !(im->ctlr->type->flags & RSM_CTLRF_MAP)) {
		rc = RSMERR_MAP_FAILED;
		goto out;
	}
	if (im->rmap != NULL ||
	    (!remote && atomic_load(&im->view) != RSM_VIEW_NONE)) {
		rc = RSMERR_SEG_ALREADY_MAPPED;
		goto out;
	}
	if (attr != RSM_MAP_NONE && attr != RSM_MAP_FIXED &&
	    attr != RSM_MAP_RESERVED) {
		rc = RSMERR_BAD_ADDR;
		goto out;
	}
	if (perm == RSM_PERM_NONE || (perm & ~(uint32_t)RSM_PERM_RDWR) != 0 ||
	    (perm & ~im->granted) != 0) {
		rc = RSMERR_BAD_PERMS;
		goto out;
	}
	if (offset < 0) {
		rc = RSMERR_BAD_OFFSET;
		goto out;
	}
	if ((size_t)offset % pg != 0) {
		rc = RSMERR_BAD_MEM_ALIGNMENT;
		goto out;
	}
	if (length == 0 || (size_t)offset > im->size ||
	    length > im->size - (size_t)offset) {
		rc = RSMERR_BAD_LENGTH;
		goto out;
	}
	hint = *address;
	if (attr == RSM_MAP_FIXED) {
		if (hint == NULL || (uintptr_t)hint % pg != 0) {
			rc = RSMERR_BAD_MEM_ALIGNMENT;
			goto out;
		}
		flags |= MAP_FIXED;
	}
	if (remote) {
		rc = remote_map_locked(im, perm, (size_t)offset, length,
		    address, attr == RSM_MAP_FIXED);
		goto out;
	}
	if (im->fd < 0 || atomic_load(&im->gen) != 0) {
		rc = RSMERR_CONN_ABORTED;
		goto out;
	}
	p = mmap(hint, length, perm_to_prot(perm), flags, im->fd, offset);
	if (p == MAP_FAILED) {
		rc = mmap_errno_to_rsm(errno);
		goto out;
	}
	status_attach_locked(im);
	im->map_addr = p;
	im->map_len = length;
	im->map_prot = perm_to_prot(perm);
	im->win_base = p;
	im->win_off = (size_t)offset;
	im->win_len = length;
	im->win_perm = perm;
	atomic_store_explicit(&im->view, RSM_VIEW_EXPLICIT,
	    memory_order_release);
	*address = p;
out:
	rsm_handles_unlock();
	return rc;
}

int
rsm_memseg_import_unmap(rsm_memseg_import_handle_t im_memseg)
{
	struct rsm_import *im;
	int rc = RSM_SUCCESS;

	rsm_handles_lock();
	if ((im = rsm_import_get(im_memseg)) == NULL) {
		rc = RSMERR_BAD_SEG_HNDL;
	} else if (im->rmap != NULL) {
		struct rsm_rmap *r = im->rmap;

		/* Its stores go to the exporter: not under the lock. */
		im->rmap = NULL;
		rsm_handles_unlock();
		rsm_rmap_close(r);
		rsm_rmap_unref(r);
		return RSM_SUCCESS;
	} else if (atomic_load(&im->view) == RSM_VIEW_EXPLICIT) {
		atomic_store(&im->view, RSM_VIEW_NONE);
		(void)munmap(im->map_addr, im->map_len);
		im->map_addr = NULL;
		im->map_len = 0;
	} else if (atomic_load(&im->view) == RSM_VIEW_IMPLICIT) {
		drop_implicit(im);
	} else {
		rc = RSMERR_SEG_NOT_MAPPED;
	}
	rsm_handles_unlock();
	return rc;
}

/*
 * Replace a mapping with private anonymous pages at the same address: the
 * spec's "trash page".  Racing accesses hit either the segment or the
 * trash, never an unmapped hole.
 */
static void
trash(char *addr, size_t len, int prot)
{
	if (addr != NULL && len != 0)
		(void)mmap(addr, len, prot == PROT_NONE ? PROT_READ : prot,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

/* Lock held. */
static void
revoke_locked(struct rsm_import *im)
{
	/* Bump first, so a copy racing with the swap is reported. */
	atomic_fetch_add(&im->gen, 1);
	atomic_store(&im->connect_cancel, 1);
	if (im->rmap != NULL)
		rsm_rmap_revoke(im->rmap);
	/* A data stream to a silent node would hold a call for seconds. */
	if (atomic_load(&im->view) == RSM_VIEW_IMPLICIT &&
	    im->ctlr->ops->abort != NULL)
		im->ctlr->ops->abort(&im->xs);
	if (atomic_load(&im->view) == RSM_VIEW_IMPLICIT)
		trash(im->xs.base, im->xs.size, im->xs.prot);
	else if (atomic_load(&im->view) == RSM_VIEW_EXPLICIT)
		trash(im->map_addr, im->map_len, im->map_prot);
	if (im->fd >= 0)
		close(im->fd);
	im->fd = -1;
	/* Wake waiters (there are none if no counter was ever made). */
	if (im->evfd >= 0) {
		uint64_t one = 1;

		(void)!write(im->evfd, &one, sizeof(one));
	}
}

void
rsm_import_revoked(uint64_t epoch, uint64_t dh)
{
	struct rsm_import *im;

	rsm_handles_lock();
	im = rsm_slot_find(RSM_MAGIC_IMPORT, epoch, dh);
	if (im != NULL && atomic_load(&im->gen) == 0)
		revoke_locked(im);
	rsm_handles_unlock();
}

void
rsm_import_rebound(uint64_t epoch, uint64_t dh, uint64_t size, int fd)
{
	struct rsm_import *im;
	struct stat st;

	rsm_handles_lock();
	im = rsm_slot_find(RSM_MAGIC_IMPORT, epoch, dh);
	/* A capability import follows the daemon's mapping: no fd to take. */
	if (im == NULL || atomic_load(&im->gen) != 0 ||
	    im->cap.family != RSM_CAP_NONE ||
	    (im->size != 0 && size != im->size) ||
	    fstat(fd, &st) != 0 || (uint64_t)st.st_size < size) {
		rsm_handles_unlock();
		close(fd);
		return;
	}
	/* MAP_FIXED over the old pages: atomic for racing accesses. */
	if (atomic_load(&im->view) == RSM_VIEW_IMPLICIT)
		(void)mmap(im->xs.base, im->xs.size, im->xs.prot,
		    MAP_SHARED | MAP_FIXED, fd, 0);
	else if (atomic_load(&im->view) == RSM_VIEW_EXPLICIT)
		(void)mmap(im->map_addr, im->map_len, im->map_prot,
		    MAP_SHARED | MAP_FIXED, fd, (off_t)im->win_off);
	/* The new memory's status page, in place of the old one's. */
	if (im->status != NULL && rsm_memfd_status_map(fd, im->size,
	    PROT_READ, (void *)im->status) == NULL)
		im->status = NULL;	/* MAP_FIXED failed: gone */
	if (im->fd >= 0)
		close(im->fd);
	im->fd = fd;
	im->rebinds++;
	/* Without a view yet, the first one maps it (im->size is known). */
	if (atomic_load(&im->view) != RSM_VIEW_NONE)
		status_attach_locked(im);
	rsm_handles_unlock();
}

struct died_arg {
	uint64_t epoch;
	int wake;
};

static void
link_died_one(void *slot, void *arg)
{
	struct rsm_import *im = slot;
	struct died_arg *da = arg;

	if (im->hdr.epoch != 0 && im->hdr.epoch <= da->epoch) {
		atomic_fetch_add(&im->gen, 1);
		atomic_store(&im->connect_cancel, 1);
		if (im->rmap != NULL)
			rsm_rmap_revoke(im->rmap);
		/* The fork child (no wake): no thread of it is connecting. */
		if (!da->wake)
			im->connecting = 0;
		if (da->wake && im->evfd >= 0) {
			uint64_t one = 1;

			(void)!write(im->evfd, &one, sizeof(one));
		}
	}
}

void
rsm_imports_link_died(uint64_t epoch, int wake)
{
	struct died_arg da = { epoch, wake };

	rsm_slot_foreach(RSM_MAGIC_IMPORT, link_died_one, &da);
}
