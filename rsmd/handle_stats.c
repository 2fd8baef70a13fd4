/*
 * handle_stats.c - STATS: the counters of the node, its segments, their
 * imports and the peer daemons, as one stream (proto/rsm_proto.h).
 *
 * Who sees what: root and the daemon's own uid everything; any other uid
 * the segments it owns (with their imports), the imports it holds of
 * other segments, and the node's and peers' totals, which name nobody.
 * Another node's operator (rsmadm -n, admin_serve.c) asks as
 * ADMIN_REMOTE_UID, who owns no segment and holds no import here, even
 * one a daemon segment's owner field names: the node's and peers' totals
 * alone, and a segment asked for by its id is refused.
 * A stream is queued whole at once, one snapshot, so its length is
 * bounded: import entries stop at RSMD_STATS_IMPORTS_MAX (segments and
 * peers are bounded by the configuration already), and control.c lets a
 * client's output queue hold it all.
 */
#include <string.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "admin.h"
#include "handler.h"
#include "monitor.h"
#include "peer.h"

struct stats_walk {
	struct req	*r;
	uint32_t	 count;		/* entries sent */
	uint32_t	 imports;	/* of them, IMPORT entries */
};

static void
send_entry(struct stats_walk *w, const struct rsm_msg_stats *st)
{
	req_send_more(w->r, st, sizeof(*st));
	w->count++;
}

static void
send_import(struct stats_walk *w, const struct reg_import *im)
{
	struct rsm_msg_stats st;
	const struct reg_owner *o = im->owner;

	if (w->imports == RSMD_STATS_IMPORTS_MAX)
		return;
	memset(&st, 0, sizeof(st));
	st.kind = RSM_STATS_IMPORT;
	st.segid = im->segid;
	st.handle = im->handle;
	st.node = o->node != 0 ? o->node : w->r->rs->conf.node_id;
	st.pid = (uint32_t)o->pid;
	st.uid = (uint32_t)o->uid;
	st.xport = im->xport;
	stats_data_wire(&im->stats, &st);
	send_entry(w, &st);
	w->imports++;
}

static void
send_segment(struct stats_walk *w, const struct reg_segment *s)
{
	struct rsm_msg_stats st;
	const struct reg_import *im;

	memset(&st, 0, sizeof(st));
	st.kind = RSM_STATS_SEGMENT;
	st.segid = s->published ? s->segid : 0;
	st.handle = s->handle;
	st.pid = (uint32_t)s->pid;
	st.uid = (uint32_t)s->uid;
	st.xport = s->xport;
	stats_data_wire(&s->stats, &st);
	send_entry(w, &st);
	TAILQ_FOREACH(im, &s->imports, seg_link)
		send_import(w, im);
}

static int
sees(const struct req *r, int priv, const struct reg_segment *s)
{
	/* rsmadm segment create --owner may name any uid, that one too. */
	return priv || (s->uid == r->c->owner.uid &&
	    r->c->owner.uid != ADMIN_REMOTE_UID);
}

int
h_stats(struct req *r)
{
	const struct rsm_msg_stats_req *q = r->p;
	struct stats_walk w = { r, 0, 0 };
	int priv = monitor_privileged(r->c->owner.uid);
	const struct reg_segment *s;
	const struct reg_import *im;
	struct rsm_msg_stats st;
	size_t i;

	if (q->flags & RSM_STATSF_SEGID) {
		s = reg_segment_by_segid(&r->rs->reg, q->segid);
		if (s == NULL || !sees(r, priv, s)) {
			int rc = s == NULL ? RSMERR_SEG_NOT_PUBLISHED :
			    RSMERR_PERM_DENIED;

			monitor_refusal(r->rs, RSM_MSG_STATS, q->segid, NULL,
			    r->rs->conf.node_id, r->c->owner.pid,
			    (uint32_t)r->c->owner.uid, rc);
			return rc;
		}
		send_segment(&w, s);
	} else {
		memset(&st, 0, sizeof(st));
		st.kind = RSM_STATS_NODE;
		st.node = r->rs->conf.node_id;
		st.connects = r->rs->stats.connects;
		st.disconnects = r->rs->stats.disconnects;
		st.revocations = r->rs->stats.revocations;
		st.malformed = r->rs->stats.malformed;
		stats_errs_wire(&r->rs->stats.errs, &st);
		send_entry(&w, &st);
		TAILQ_FOREACH(s, &r->rs->reg.all, all_link)
			if (sees(r, priv, s))
				send_segment(&w, s);
		/* Its own imports of segments it may not see otherwise. */
		if (!priv)
			TAILQ_FOREACH(im, &r->c->owner.imports, owner_link)
				if (im->seg != NULL && !sees(r, priv, im->seg))
					send_import(&w, im);
		for (i = 0; i < peer_count(r->rs); i++) {
			peer_stats(r->rs, i, &st);
			send_entry(&w, &st);
		}
	}
	memset(&r->out.stats, 0, sizeof(r->out.stats));
	r->out.stats.kind = RSM_STATS_END;
	r->out.stats.count = w.count;
	r->outlen = sizeof(r->out.stats);
	return RSM_SUCCESS;
}
