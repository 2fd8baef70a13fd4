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
#include "monitor.h"
#include "rsm_ctlr.h"

/*
 * Log one refused request: who (the client), what (the request and its
 * segment), the code and why; then hand the code back as the reply.
 */
static int
refused(struct req *r, int level, int rc, const char *what, const char *why)
{
	log_refusal(&r->rs->refusal_log, level,
	    "client pid %d uid %u: %s refused: %s: %s", (int)r->c->owner.pid,
	    (unsigned)r->c->owner.uid, what, rsm_err_name(rc), why);
	monitor_refusal(r->rs, r->h->type, 0, NULL, r->rs->conf.node_id,
	    r->c->owner.pid, (uint32_t)r->c->owner.uid, rc);
	return rc;
}

static int
create_refused(struct req *r, int rc)
{
	const struct rsm_msg_export_create *m = r->p;
	const struct registry *reg = &r->rs->reg;
	char what[80], why[160];
	int level = refusal_level(rc);

	/* The node's size limit: a library cannot know it beforehand. */
	if (rc == RSMERR_BAD_LENGTH && m->size > reg->lim.max_segment_size &&
	    m->size % reg->lim.page_size == 0)
		level = RSMD_LOG_INFO;
	snprintf(what, sizeof(what), "EXPORT_CREATE of %" PRIu64 " bytes "
	    "(controller type %u)", m->size, m->xport);
	return refused(r, level, rc, what, refusal_export_why(reg,
	    &r->c->owner, m->size, m->flags, rc, why, sizeof(why)));
}

/* A handle that is none of the client's segments. */
static int
handle_refused(struct req *r, const char *req, uint64_t handle)
{
	char what[80];

	snprintf(what, sizeof(what), "%s of handle %#" PRIx64, req, handle);
	return refused(r, RSMD_LOG_WARN, RSMERR_BAD_SEG_HNDL, what,
	    "not a segment this client exported");
}

int
h_export_create(struct req *r)
{
	const struct rsm_msg_export_create *m = r->p;
	const struct rsm_ctlr_type *t = rsm_ctlr_by_xport(m->xport);
	struct reg_segment *s;
	void *map;
	int rc;

	if ((rc = reg_export_check_args(&r->rs->reg, m->size, m->flags)))
		return create_refused(r, rc);
	/* Every segment lives in a memfd, whatever controller exports it. */
	if (t == NULL || !ctlr_present(r->rs, t))
		return create_refused(r, RSMERR_CTLR_NOT_PRESENT);
	/* Descriptor faults come before limits and quotas. */
	if ((rc = segment_fd_check(r->fd, m->size, 0)) != RSM_SUCCESS)
		return create_refused(r, rc);
	rc = reg_export_add(&r->rs->reg, &r->c->owner, m->size, m->flags,
	    m->mode, m->xport, &s);
	if (rc)
		return create_refused(r, rc);
	if ((rc = segment_map(r->fd, m->size, 0, &map)) != RSM_SUCCESS) {
		reg_export_remove(&r->rs->reg, s);
		return create_refused(r, rc);
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
		return handle_refused(r, "EXPORT_DESTROY", m->handle);
	segment_destroy(r->rs, s);
	return RSM_SUCCESS;
}

static int
rebind_refused(struct req *r, const struct reg_segment *s, int rc)
{
	const struct rsm_msg_rebind *m = r->p;
	char what[80], why[120];

	snprintf(what, sizeof(what), "EXPORT_REBIND of handle %#" PRIx64,
	    s->handle);
	switch (rc) {
	case RSMERR_REBIND_NOT_ALLOWED:
		snprintf(why, sizeof(why), "created without RSM_ALLOW_REBIND");
		break;
	case RSMERR_BAD_LENGTH:
		if (m->size != s->size)
			snprintf(why, sizeof(why), "size %" PRIu64 ", the "
			    "segment has %" PRIu64, m->size, s->size);
		else
			snprintf(why, sizeof(why), "the memory file is not "
			    "%" PRIu64 " bytes long", s->size);
		break;
	case RSMERR_BAD_ADDR:
		snprintf(why, sizeof(why), "no memory file came with the "
		    "request");
		break;
	default:
		snprintf(why, sizeof(why), "cannot map the memory file");
		break;
	}
	return refused(r, refusal_level(rc), rc, what, why);
}

int
h_export_rebind(struct req *r)
{
	const struct rsm_msg_rebind *m = r->p;
	struct reg_segment *s;
	void *map;
	int rc;

	if ((s = req_segment(r, m->handle)) == NULL)
		return handle_refused(r, "EXPORT_REBIND", m->handle);
	if ((rc = reg_rebind_check(s, m->size)) != RSM_SUCCESS ||
	    (rc = segment_map(r->fd, s->size, 1, &map)) != RSM_SUCCESS)
		return rebind_refused(r, s, rc);
	segment_release_memory(s);
	s->map = map;
	s->fd = r->fd;
	r->fd = -1;
	notify_rebound(r->rs, s);
	return RSM_SUCCESS;
}

/* PUBLISH and REPUBLISH: the segment, the id asked for, the list. */
static int
publish_refused(struct req *r, const char *req, const struct reg_segment *s,
    int rc)
{
	const struct rsm_msg_publish *m = r->p;
	char what[120], why[160];

	if (m->segid != 0)
		snprintf(what, sizeof(what), "%s of handle %#" PRIx64 " as "
		    "segment %#x (%u access list entries)", req, s->handle,
		    m->segid, m->acl_len);
	else if (s->published)
		snprintf(what, sizeof(what), "%s of segment %#x (handle %#"
		    PRIx64 ", %u access list entries)", req, s->segid,
		    s->handle, m->acl_len);
	else
		snprintf(what, sizeof(what), "%s of handle %#" PRIx64
		    " (%u access list entries)", req, s->handle, m->acl_len);
	return refused(r, refusal_level(rc), rc, what,
	    refusal_publish_why(&r->rs->reg, s, m->segid, m->acl, m->acl_len,
	    rc, why, sizeof(why)));
}

int
h_publish(struct req *r)
{
	const struct rsm_msg_publish *m = r->p;
	struct reg_segment *s;
	uint32_t segid = m->segid;
	int rc;

	if ((s = req_segment(r, m->handle)) == NULL)
		return handle_refused(r, "PUBLISH", m->handle);
	rc = reg_publish(&r->rs->reg, s, &segid, m->acl, m->acl_len);
	if (rc)
		return publish_refused(r, "PUBLISH", s, rc);
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
		return handle_refused(r, "UNPUBLISH", m->handle);
	if (!s->published) {
		char what[80];

		snprintf(what, sizeof(what), "UNPUBLISH of handle %#" PRIx64,
		    s->handle);
		return refused(r, RSMD_LOG_INFO, RSMERR_SEG_NOT_PUBLISHED,
		    what, "not published");
	}
	notify_revoke_all(r->rs, s, RSMERR_CONN_ABORTED);
	segment_ro_put(s);
	return reg_unpublish(&r->rs->reg, s);
}

int
h_republish(struct req *r)
{
	const struct rsm_msg_publish *m = r->p;
	struct reg_segment *s;
	int rc;

	if ((s = req_segment(r, m->handle)) == NULL)
		return handle_refused(r, "REPUBLISH", m->handle);
	if ((rc = reg_republish(&r->rs->reg, s, m->acl, m->acl_len)) != 0)
		return publish_refused(r, "REPUBLISH", s, rc);
	return RSM_SUCCESS;
}
