/*
 * handle_export.c - requests about the segments a client exports:
 * create (the memfd is received and mapped), destroy, rebind, publish,
 * unpublish, republish.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "handler.h"
#include "log.h"
#include "rsm_ctlr.h"

int
h_export_create(struct req *r)
{
	const struct rsm_msg_export_create *m = r->p;
	const struct rsm_ctlr_type *t = rsm_ctlr_by_xport(m->xport);
	struct reg_segment *s;
	void *map;
	int rc;

	if ((rc = reg_export_check_args(&r->rs->reg, m->size, m->flags)))
		return rc;
	/* Every segment lives in a memfd, whatever controller exports it. */
	if (t == NULL || !ctlr_present(r->rs, t))
		return RSMERR_CTLR_NOT_PRESENT;
	/* Descriptor faults come before limits and quotas. */
	if ((rc = segment_fd_check(r->fd, m->size, 0)) != RSM_SUCCESS)
		return rc;
	rc = reg_export_add(&r->rs->reg, &r->c->owner, m->size, m->flags,
	    m->mode, m->xport, &s);
	if (rc)
		return rc;
	if ((rc = segment_map(r->fd, m->size, 0, &map)) != RSM_SUCCESS) {
		reg_export_remove(&r->rs->reg, s);
		return rc;
	}
	s->map = map;
	s->fd = r->fd;
	r->fd = -1;
	r->out.handle.handle = s->handle;
	r->outlen = sizeof(r->out.handle);
	log_debug("pid %d exported %#" PRIx64 ": %" PRIu64 " bytes",
	    (int)r->c->owner.pid, s->handle, s->size);
	return RSM_SUCCESS;
}

int
h_export_destroy(struct req *r)
{
	const struct rsm_msg_handle *m = r->p;
	struct reg_segment *s;

	if ((s = req_segment(r, m->handle)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	segment_destroy(r->rs, s);
	return RSM_SUCCESS;
}

int
h_export_rebind(struct req *r)
{
	const struct rsm_msg_rebind *m = r->p;
	struct reg_segment *s;
	void *map;
	int rc;

	if ((s = req_segment(r, m->handle)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if ((rc = reg_rebind_check(s, m->size)) != RSM_SUCCESS)
		return rc;
	if ((rc = segment_map(r->fd, s->size, 1, &map)) != RSM_SUCCESS)
		return rc;
	segment_release_memory(s);
	s->map = map;
	s->fd = r->fd;
	r->fd = -1;
	notify_rebound(r->rs, s);
	return RSM_SUCCESS;
}

int
h_publish(struct req *r)
{
	const struct rsm_msg_publish *m = r->p;
	struct reg_segment *s;
	uint32_t segid = m->segid;
	int rc;

	if ((s = req_segment(r, m->handle)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	rc = reg_publish(&r->rs->reg, s, &segid, m->acl, m->acl_len);
	if (rc)
		return rc;
	r->out.publish.segid = segid;
	r->outlen = sizeof(r->out.publish);
	log_debug("pid %d published %#" PRIx64 " as segment %#x",
	    (int)r->c->owner.pid, s->handle, segid);
	return RSM_SUCCESS;
}

int
h_unpublish(struct req *r)
{
	const struct rsm_msg_handle *m = r->p;
	struct reg_segment *s;

	if ((s = req_segment(r, m->handle)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if (!s->published)
		return RSMERR_SEG_NOT_PUBLISHED;
	notify_revoke_all(r->rs, s, RSMERR_CONN_ABORTED);
	segment_ro_put(s);
	return reg_unpublish(&r->rs->reg, s);
}

int
h_republish(struct req *r)
{
	const struct rsm_msg_publish *m = r->p;
	struct reg_segment *s;

	if ((s = req_segment(r, m->handle)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	return reg_republish(&r->rs->reg, s, m->acl, m->acl_len);
}
