/*
 * handle_import.c - requests about the segments a client imports:
 * connect (this node's segment: the memfd, or a data service's
 * capability; another node's: through that node's daemon), disconnect,
 * and signal posts either way.
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
#include "capability.h"
#include "service.h"
#include "remote.h"

/*
 * The connect itself; *why says in words why it was refused when that is
 * not the registry's decision (refusal_import_why() tells that one).
 */
static int
import_connect(struct req *r, const char **why)
{
	const struct rsm_msg_connect *m = r->p;
	struct rsm_msg_connect_reply *o = &r->out.connect;
	const struct rsm_ctlr_type *t = rsm_ctlr_by_xport(m->xport);
	const struct rsmd_service *svc;
	struct reg_import *im;
	int rc, fd;

	*why = NULL;
	if (t == NULL || !ctlr_present(r->rs, t)) {
		*why = "no controller of that type on this node";
		return RSMERR_CTLR_NOT_PRESENT;
	}
	svc = served_by(t);
	/*
	 * Another node's segment: a type that reaches other nodes asks that
	 * node's daemon, which issues the capability.
	 */
	if (t->rmt_connect != 0 && m->node != r->rs->conf.node_id) {
		rc = remote_connect(r->rs, r->c, r->h->id, m->node, m->segid,
		    m->perm, t);
		if (rc == RSMERR_REMOTE_NODE_UNREACHABLE)
			*why = "that node is not a peer whose link is up";
		return rc;
	}
	/* Our own segment through a data service: only while it serves. */
	if (svc != NULL && !svc->serving(r->rs)) {
		*why = "its data service does not serve imports";
		return RSMERR_CTLR_NOT_PRESENT;
	}
	rc = reg_import_connect(&r->rs->reg, &r->c->owner, m->node, m->segid,
	    m->perm, &im);
	if (rc)
		return rc;
	/* Served: a capability for the service instead of the memfd. */
	if (svc != NULL) {
		if ((rc = cap_issue(r->rs, im, svc, &o->cap)) != RSM_SUCCESS) {
			reg_import_remove(&r->rs->reg, im);
			*why = "no data capability could be issued";
			return rc;
		}
		fd = -1;
	} else if ((fd = segment_fd_for(im->seg, im->perm,
	    &r->outfd_owned)) < 0) {
		reg_import_remove(&r->rs->reg, im);
		*why = "the segment's memory cannot be opened for it";
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	monitor_connect(r->rs, im, m->xport);
	o->handle = im->handle;
	o->size = im->seg->size;
	o->node_mode = im->node_mode;
	o->owner_uid = im->seg->uid;
	o->owner_gid = im->seg->gid;
	o->granted = im->perm;
	r->outlen = sizeof(*o);
	r->outfd = fd;
	return RSM_SUCCESS;
}

int
h_import_connect(struct req *r)
{
	const struct rsm_msg_connect *m = r->p;
	const char *why;
	char buf[200];
	int rc;

	if ((rc = import_connect(r, &why)) == RSM_SUCCESS ||
	    rc == RSMD_DEFERRED)
		return rc;
	log_refusal(&r->rs->refusal_log, refusal_level(rc), "client pid %d "
	    "uid %u: IMPORT_CONNECT to segment %#x of node %u (%s) refused: "
	    "%s: %s", (int)r->c->owner.pid, (unsigned)r->c->owner.uid,
	    m->segid, m->node, refusal_perm(m->perm), rsm_err_name(rc),
	    why != NULL ? why : refusal_import_why(&r->rs->reg, &r->c->owner,
	    m->node == r->rs->conf.node_id ? r->rs->conf.node_id : m->node,
	    m->segid, m->perm, rc, buf, sizeof(buf)));
	/* Another node's segment is counted there, not here. */
	monitor_refusal(r->rs, RSM_MSG_IMPORT_CONNECT,
	    m->node == r->rs->conf.node_id ? m->segid : 0, NULL,
	    r->rs->conf.node_id, r->c->owner.pid, (uint32_t)r->c->owner.uid,
	    rc);
	return rc;
}

int
h_import_disconnect(struct req *r)
{
	const struct rsm_msg_handle *m = r->p;
	struct reg_segment *s;
	struct reg_import *im;

	im = reg_import_find(&r->rs->reg, &r->c->owner, m->handle);
	if (im == NULL)
		return RSMERR_BAD_SEG_HNDL;
	s = im->seg;
	remote_forget(r->rs, im);
	cap_revoke(r->rs, im, RSMERR_CONN_ABORTED);
	reg_import_remove(&r->rs->reg, im);
	segment_ro_put(s);
	return RSM_SUCCESS;
}

int
h_signal_post(struct req *r)
{
	const struct rsm_msg_signal *m = r->p;
	uint32_t flags = m->flags & RSM_SIGPOST_NO_ACCUMULATE;
	struct reg_segment *s;
	struct reg_import *im;

	switch (m->kind) {
	case RSM_HKIND_IMPORT:
		im = reg_import_find(&r->rs->reg, &r->c->owner, m->handle);
		if (im == NULL)
			return RSMERR_BAD_SEG_HNDL;
		if (im->remote != NULL)
			return remote_post_to_exporter(r->rs, im, flags);
		if (im->seg == NULL)
			return RSMERR_CONN_ABORTED;
		monitor_data_op(im, RSM_DOP_SIGNAL, 0);
		/* rsmd's own segment: nobody waits on it, the post is lost. */
		if (dseg_is_daemon(im->seg))
			return RSM_SUCCESS;
		notify_event(r->rs, (struct client *)(void *)im->seg->owner,
		    RSM_HKIND_EXPORT, flags, im->seg->handle);
		return RSM_SUCCESS;
	case RSM_HKIND_EXPORT:
		if ((s = req_segment(r, m->handle)) == NULL)
			return RSMERR_BAD_SEG_HNDL;
		TAILQ_FOREACH(im, &s->imports, seg_link) {
			if (im->owner->node != 0)
				remote_post_to_importer(r->rs, im, flags);
			else
				notify_event(r->rs,
				    (struct client *)(void *)im->owner,
				    RSM_HKIND_IMPORT, flags, im->handle);
		}
		return RSM_SUCCESS;
	default:
		return RSMERR_BAD_SEG_HNDL;
	}
}
