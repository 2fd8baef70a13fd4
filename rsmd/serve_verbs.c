/*
 * serve_verbs.c - the verbs data service of the daemon (controllers
 * verbsN): the service's row, its start and stop, and the node's devices
 * as controllers.  The rdma_cm listener, the queue pairs of importers and
 * their signals are verbs_listen.c; the memory regions of segments and
 * the importers' windows are verbs_mem.c; what they share is
 * serve_verbs.h.
 *
 * The node's RDMA devices are the controllers verbs0, verbs1, ... in
 * ibv_get_device_list order, found once at start (libraries loaded with
 * dlopen, so a node without them simply has no verbsN).  With
 * verbs_listen configured, the daemon also serves verbs imports of its
 * own segments: it registers a segment's mapping (iova 0, so remote
 * addresses are offsets) and hands the importer a capability carrying a
 * random token and the rdma_cm listener's address.  The listener accepts
 * an RC queue pair only for a live token, then sends the importer its
 * rkey: where the device has type 2 memory windows (and verbs_windows is
 * 1), a window bound to that queue pair alone with the import's rights,
 * over one region that grants no remote access itself; else the rkey of
 * the segment's region for those rights (one per access kind).  The
 * queue pair then carries RDMA READ/WRITE from the importer (the daemon's
 * CPU is not involved) and SENDs that ring the exporter.
 *
 * Revocation is synchronous like tcp0's: the import's queue pairs are
 * disconnected and destroyed (their windows freed), and when a segment is
 * unpublished, destroyed or its exporter dies its memory regions are
 * deregistered, before the daemon answers, so a stale rkey fails at the
 * hardware.  A rebind moves the windows to the new memory before the
 * daemon answers (vs_seg_rebound).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "capability.h"
#include "service.h"
#include "serve_verbs.h"
#include "log.h"

/* ---- controllers ---- */

static unsigned
verbs_units(const struct rsmd *rs)
{
	const struct vserv *vs = verbs_vs(rs);

	return vs != NULL ? vs->ndev : 0;
}

static int
verbs_ctlr(struct rsmd *rs, uint32_t unit, struct rsm_msg_ctlr_reply *r)
{
	struct vserv *vs = verbs_vs(rs);
	const struct verbs_devinfo *d;

	/* Only while the loop runs, between start and stop. */
	if (vs == NULL)
		return RSMERR_CTLR_NOT_PRESENT;
	if (unit >= vs->ndev) {
		if (rsm_ratelimit_allow(&vs->absent_log, rsm_now_ms(), NULL)) {
			log_info("controller verbs%u requested: not present "
			    "(%s)", unit, vs->v == NULL ? "no RDMA library "
			    "(libibverbs.so.1, librdmacm.so.1)" : vs->ndev == 0 ?
			    "no RDMA device on this node" :
			    "no RDMA device of that number");
		}
		return RSMERR_CTLR_NOT_PRESENT;
	}
	d = &vs->dev[unit];
	r->unit = unit;
	if (d->max_mr_size != 0 && d->max_mr_size < r->max_export_segment_size)
		r->max_export_segment_size = d->max_mr_size;
	if (r->max_export_segments != 0 && r->max_export_segment_size <=
	    UINT64_MAX / r->max_export_segments)
		r->tot_export_segment_size = r->max_export_segment_size *
		    r->max_export_segments;
	return RSM_SUCCESS;
}

static void
find_devices(struct vserv *vs)
{
	const char *why = NULL;
	unsigned i, n;

	if ((vs->v = verbs_dl_open(&why)) == NULL) {
		log_info("no verbs controllers: %s", why);
		return;
	}
	n = verbs_dev_count();
	if (n > VS_DEV_MAX)
		n = VS_DEV_MAX;
	for (i = 0; i < n; i++) {
		if (verbs_dev_query(i, &vs->dev[i], &why) == -1) {
			log_warnx("verbs%u: %s", i, why);
			break;
		}
		log_info("controller verbs%u: device %s (port 1 %s, max "
		    "message %" PRIu64 " bytes)", i, vs->dev[i].name,
		    vs->dev[i].port_state == IBV_PORT_ACTIVE ? "active" :
		    "not active", vs->dev[i].max_msg_sz);
	}
	vs->ndev = i;
	if (vs->ndev == 0)
		log_info("no verbs controllers: no RDMA device");
}

/* ---- capabilities and segments ---- */

static int
verbs_issue(struct rsmd *rs, struct rsmd_cap *cap, struct rsm_wire_cap *w)
{
	struct vserv *vs = verbs_vs(rs);
	struct ibv_mr *mr;
	int rc;

	if (vs == NULL || !vs->serving)
		return RSMERR_CTLR_NOT_PRESENT;
	if ((rc = vs_seg_mr(vs, cap->im->seg, cap->im->perm, &mr)) !=
	    RSM_SUCCESS)
		return rc;
	memcpy(w->addr, vs->addr, sizeof(w->addr));
	w->port = vs->port;
	w->family = vs->family;
	w->kind = RSM_CAPK_VERBS;
	/* The rkey comes on the queue pair, once connected (rsm_verbs_wire.h). */
	w->rkey = 0;
	return RSM_SUCCESS;
}

/* Its queue pairs go, and with them their windows. */
static void
verbs_revoke(struct rsmd *rs, struct rsmd_cap *cap, uint32_t reason)
{
	(void)rs;
	(void)reason;
	while (!LIST_EMPTY(&cap->conns))
		vs_conn_free(vs_conn_of(LIST_FIRST(&cap->conns)), 1);
}

static void
verbs_segment_released(struct rsmd *rs, struct reg_segment *s)
{
	struct vserv *vs = verbs_vs(rs);

	/* Not started: it holds nothing of any segment. */
	if (vs != NULL)
		vs_seg_release(vs, s);
}

static int
verbs_segment_rebound(struct rsmd *rs, struct reg_segment *s)
{
	struct vserv *vs = verbs_vs(rs);

	return vs != NULL ? vs_seg_rebound(rs, vs, s) : 0;
}

/* ---- the service ---- */

static void verbs_stop(struct rsmd *);

/* Only after daemon(): RDMA resources do not survive fork. */
static int
verbs_start(struct rsmd *rs)
{
	struct vserv *vs;

	if ((vs = calloc(1, sizeof(*vs))) == NULL) {
		log_warn("verbs data service");
		return -1;
	}
	TAILQ_INIT(&vs->conns);
	LIST_INIT(&vs->segs);
	vs->refused_log = (struct rsm_ratelimit)RSM_RATELIMIT_INIT(100, 1);
	vs->absent_log = (struct rsm_ratelimit)RSM_RATELIMIT_INIT(10000, 1);
	rs->svc_state[RSM_XPORT_VERBS] = vs;
	find_devices(vs);
	if (rs->conf.verbs_listen == NULL)
		return 0;
	if (vs_listen_start(rs, vs, rs->conf.verbs_listen) == -1) {
		verbs_stop(rs);
		return -1;
	}
	return 0;
}

static int
verbs_serving(const struct rsmd *rs)
{
	const struct vserv *vs = verbs_vs(rs);

	return vs != NULL && vs->serving;
}

/*
 * Tokens forgotten and their queue pairs gone first, then the segments'
 * regions, then the listener and the device resources.
 */
static void
verbs_stop(struct rsmd *rs)
{
	struct vserv *vs = verbs_vs(rs);
	struct vs_seg *g;
	struct vs_conn *k;

	if (vs != NULL)
		vs->serving = 0;
	cap_revoke_service(rs, &rsmd_serve_verbs);
	if (vs == NULL)
		return;
	while ((k = TAILQ_FIRST(&vs->conns)) != NULL)
		vs_conn_free(k, 1);
	while ((g = LIST_FIRST(&vs->segs)) != NULL)
		vs_seg_release(vs, g->s);
	vs_listen_close(rs, vs);
	free(vs);
	rs->svc_state[RSM_XPORT_VERBS] = NULL;
}

static int
verbs_open(struct rsmd *rs)
{
	(void)rs;
	return 0;
}

const struct rsmd_service rsmd_serve_verbs = {
	.name = "verbs",
	.xport = RSM_XPORT_VERBS,
	.open = verbs_open,
	.start = verbs_start,
	.stop = verbs_stop,
	.units = verbs_units,
	.serving = verbs_serving,
	.ctlr = verbs_ctlr,
	.issue = verbs_issue,
	.revoke = verbs_revoke,
	.segment_released = verbs_segment_released,
	.segment_rebound = verbs_segment_rebound,
};
