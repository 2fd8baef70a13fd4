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
 * dlopen, so a node without them simply has no verbsN).  The daemon
 * also serves verbs imports of its own segments, on every device that
 * has an IP address (an rdma_cm listener on one address of each), or
 * with verbs_listen on that address's device alone: it registers a
 * segment's mapping (iova 0, so remote addresses are offsets) on each
 * device served and hands the importer a capability carrying a random
 * token and every listener's address; the importer connects to the one
 * on its own device's network.  The listener accepts
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
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "capability.h"
#include "service.h"
#include "serve_verbs.h"
#include "verbs_addr.h"
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
	unsigned i;
	int rc;

	if (vs == NULL || !vs->serving)
		return RSMERR_CTLR_NOT_PRESENT;
	/*
	 * Registered here on every device the capability lists, whichever
	 * the importer picks: a segment that cannot be pinned fails the
	 * connect itself.
	 */
	for (i = 0; i < vs->nsrv && i < RSM_CAP_ADDRS_MAX; i++)
		if ((rc = vs_seg_mr(&vs->srv[i], cap->im->seg, cap->im->perm,
		    &mr)) != RSM_SUCCESS)
			return rc;
	memcpy(w->addr, vs->srv[0].addr, sizeof(w->addr));
	w->port = vs->srv[0].port;
	w->family = vs->srv[0].family;
	for (i = 1; i < vs->nsrv && i < RSM_CAP_ADDRS_MAX; i++) {
		memcpy(w->more[i - 1].addr, vs->srv[i].addr, 16);
		w->more[i - 1].port = vs->srv[i].port;
		w->more[i - 1].family = vs->srv[i].family;
	}
	w->nmore = (uint8_t)(i - 1);
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

/*
 * The address a device is served on: its first IPv4 address, else its
 * first IPv6 one (verbs_addr.c's order); -1 when it has none.
 */
static int
dev_listen_addr(struct vserv *vs, unsigned unit, struct sockaddr_storage *ss,
    char *text, size_t len)
{
	struct verbs_ifaddr a[VERBS_ADDRS_MAX];
	char name[64], host[INET6_ADDRSTRLEN];
	int n, i, pick = -1;

	n = verbs_dev_addrs(vs->v, unit, AF_UNSPEC, a, VERBS_ADDRS_MAX, name,
	    sizeof(name));
	for (i = 0; i < n; i++)
		if (pick == -1 || (a[i].sa.ss_family == AF_INET &&
		    a[pick].sa.ss_family != AF_INET))
			pick = i;
	if (pick == -1)
		return -1;
	*ss = a[pick].sa;
	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)ss)->
		    sin6_addr, host, sizeof(host));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)ss)->
		    sin_addr, host, sizeof(host));
	snprintf(text, len, "%s", host);
	return 0;
}

/*
 * No verbs_listen: serve every device with an address, one listener on
 * one address of each; a device that cannot be served is logged and left
 * out (its controller verbsN still exists, for imports from here).
 */
static void
serve_all(struct rsmd *rs, struct vserv *vs)
{
	struct sockaddr_storage ss;
	char text[INET6_ADDRSTRLEN + 4];
	unsigned i;

	for (i = 0; i < vs->ndev; i++) {
		if (dev_listen_addr(vs, i, &ss, text, sizeof(text)) == -1) {
			log_info("verbs%u (%s): no IP address: not served",
			    i, vs->dev[i].name);
			continue;
		}
		if (vs_listen_start(rs, vs, &ss, text) == -1)
			log_warnx("verbs%u (%s): not served", i,
			    vs->dev[i].name);
	}
	if (vs->nsrv > RSM_CAP_ADDRS_MAX)
		log_warnx("verbs: %u devices served, capabilities list the "
		    "first %u", vs->nsrv, RSM_CAP_ADDRS_MAX);
	if (vs->nsrv == 0)
		log_info("verbs: no RDMA device with an IP address: verbs "
		    "imports of this node's segments are not served");
}

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
	if (rs->conf.verbs_listen != NULL) {
		/* The override: that address's device alone, or no start. */
		if (vs->v == NULL || vs->ndev == 0) {
			log_warnx("verbs_listen %s: no RDMA device or library",
			    rs->conf.verbs_listen->text);
			verbs_stop(rs);
			return -1;
		}
		if (vs_listen_init(rs, vs) == -1 ||
		    vs_listen_start(rs, vs, &rs->conf.verbs_listen->sa,
		    rs->conf.verbs_listen->text) == -1) {
			verbs_stop(rs);
			return -1;
		}
		return 0;
	}
	if (vs->v == NULL || vs->ndev == 0)
		return 0;
	if (vs_listen_init(rs, vs) == -1) {
		/* The controllers are still there; nothing is served. */
		vs_listen_close(rs, vs);
		return 0;
	}
	serve_all(rs, vs);
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
