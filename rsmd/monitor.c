/*
 * monitor.c - the node's events: counted into the statistics of the
 * records they concern, and sent to the control connections that asked
 * for them (MONITOR, rsmadm monitor).
 *
 * A subscriber that does not read must never hold the daemon up, nor
 * grow its output queue until control.c cuts it off: once a subscriber
 * has MONITOR_BACKLOG messages queued, its events are dropped and
 * counted, and the next one it gets says how many it lost.  Subscribers are kept by serial
 * (control_client_by_serial), so one that went away is forgotten at the
 * next event, never followed through a freed pointer.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "handler.h"
#include "log.h"
#include "monitor.h"
#include "peer.h"
#include "rsm_data.h"

struct monitor {
	size_t		 n;
	struct {
		uint64_t serial;
		uint64_t dropped;	/* since the last event it got */
	} sub[MONITOR_MAX];
};

/* Peer hooks cannot be taken back: registered once per process. */
static int hooked;

int
monitor_privileged(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static uint64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Send ev to every subscriber that has room; count it for the others. */
static void
tell(struct rsmd *rs, struct rsm_msg_mon_event *ev)
{
	struct monitor *m = rs->monitor;
	struct rsm_msg_hdr h;
	struct client *c;
	size_t i = 0;

	if (m == NULL || m->n == 0)
		return;
	ev->time_ns = realtime_ns();
	rsm_msg_hdr_init(&h, RSM_MSG_MON_EVENT, 0, RSM_SUCCESS, 0,
	    sizeof(*ev));
	while (i < m->n) {
		if ((c = control_client_by_serial(rs, m->sub[i].serial)) ==
		    NULL) {
			m->sub[i] = m->sub[--m->n];
			continue;
		}
		if (c->outq_len >= MONITOR_BACKLOG) {
			m->sub[i++].dropped++;
			continue;
		}
		ev->dropped = m->sub[i].dropped;
		m->sub[i].dropped = 0;
		client_send(rs, c, &h, ev, sizeof(*ev), -1);
		i++;
	}
}

static void
event_init(struct rsm_msg_mon_event *ev, uint32_t kind)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->uid = UINT32_MAX;
}

/* Who holds an import: its node (this one for a client), pid, uid. */
static void
event_importer(struct rsmd *rs, struct rsm_msg_mon_event *ev,
    const struct reg_import *im)
{
	const struct reg_owner *o = im->owner;

	ev->node = o->node != 0 ? o->node : rs->conf.node_id;
	ev->pid = (uint32_t)o->pid;
	ev->uid = (uint32_t)o->uid;
	ev->segid = im->segid;
	ev->xport = im->xport;
}

/* The registry's watch (rsmd.h): it changed something. */
static void
reg_watch(struct registry *reg, uint32_t kind, struct reg_segment *s,
    struct reg_import *im, uint32_t code)
{
	struct rsmd *rs = reg->watch_arg;
	struct rsm_msg_mon_event ev;

	event_init(&ev, kind);
	switch (kind) {
	case RSM_MON_PUBLISH:
	case RSM_MON_UNPUBLISH:
		ev.node = rs->conf.node_id;
		ev.segid = s->segid;
		ev.pid = (uint32_t)s->pid;
		ev.uid = (uint32_t)s->uid;
		break;
	case RSM_MON_REVOKE:
		s->stats.revocations++;
		im->stats.revocations++;
		rs->stats.revocations++;
		ev.code = code;
		event_importer(rs, &ev, im);
		break;
	case RSM_MON_DISCONNECT:
		/* Only a connect that was told is undone in the open. */
		if (!im->announced)
			return;
		if (s != NULL)
			s->stats.disconnects++;
		rs->stats.disconnects++;
		event_importer(rs, &ev, im);
		break;
	default:
		return;
	}
	tell(rs, &ev);
}

static void
node_state(struct rsmd *rs, uint32_t node, int up)
{
	struct rsm_msg_mon_event ev;

	event_init(&ev, up ? RSM_MON_NODE_UP : RSM_MON_NODE_DOWN);
	ev.node = node;
	tell(rs, &ev);
}

int
monitor_init(struct rsmd *rs)
{
	if ((rs->monitor = calloc(1, sizeof(*rs->monitor))) == NULL)
		return -1;
	rs->reg.watch = reg_watch;
	rs->reg.watch_arg = rs;
	if (!hooked && peer_on_state(node_state) == -1) {
		monitor_fini(rs);
		return -1;
	}
	hooked = 1;
	return 0;
}

void
monitor_fini(struct rsmd *rs)
{
	rs->reg.watch = NULL;
	rs->reg.watch_arg = NULL;
	free(rs->monitor);
	rs->monitor = NULL;
}

void
monitor_connect(struct rsmd *rs, struct reg_import *im, uint32_t xport)
{
	struct rsm_msg_mon_event ev;

	if (im == NULL || im->seg == NULL || im->announced)
		return;
	im->xport = xport;
	im->announced = 1;
	im->stats.connects++;
	im->seg->stats.connects++;
	rs->stats.connects++;
	event_init(&ev, RSM_MON_CONNECT);
	event_importer(rs, &ev, im);
	tell(rs, &ev);
}

void
monitor_refusal(struct rsmd *rs, uint32_t what, uint32_t segid,
    struct reg_import *im, uint32_t node, pid_t pid, uint32_t uid, int rc)
{
	struct rsm_msg_mon_event ev;
	struct reg_segment *s;

	if (rc <= 0)
		return;
	stats_err(&rs->stats.errs, rc);
	if (im != NULL) {
		stats_err(&im->stats.errs, rc);
		if (im->seg != NULL)
			stats_err(&im->seg->stats.errs, rc);
	} else if (segid != 0 &&
	    (s = reg_segment_by_segid(&rs->reg, segid)) != NULL)
		stats_err(&s->stats.errs, rc);
	event_init(&ev, RSM_MON_REFUSAL);
	ev.what = what;
	ev.segid = segid;
	ev.node = node;
	ev.pid = (uint32_t)pid;
	ev.uid = uid;
	ev.code = rc <= (int)RSM_STATS_CODE_MAX ? (uint32_t)rc : 0;
	if (im != NULL)
		ev.xport = im->xport;
	tell(rs, &ev);
}

void
monitor_data_op(struct reg_import *im, uint8_t dop, uint64_t bytes)
{
	unsigned op;

	switch (dop) {
	case RSM_DOP_PUT:	op = RSM_STATS_OP_PUT; break;
	case RSM_DOP_GET:	op = RSM_STATS_OP_GET; break;
	case RSM_DOP_PUTV:
	case RSM_DOP_PUTM:	op = RSM_STATS_OP_PUTV; break;
	case RSM_DOP_GETV:	op = RSM_STATS_OP_GETV; break;
	case RSM_DOP_ATOMIC:	op = RSM_STATS_OP_ATOMIC; break;
	case RSM_DOP_SIGNAL:	op = RSM_STATS_OP_SIGNAL; break;
	default:		return;
	}
	if (im == NULL)
		return;
	stats_op(&im->stats, op, bytes);
	if (im->seg != NULL)
		stats_op(&im->seg->stats, op, bytes);
}

/*
 * MONITOR: this connection subscribes, for root and the daemon's own
 * uid.  Asking twice is no error and subscribes once.
 */
int
h_monitor(struct req *r)
{
	struct monitor *m = r->rs->monitor;
	size_t i;

	if (!monitor_privileged(r->c->owner.uid)) {
		log_refusal(&r->rs->refusal_log, RSMD_LOG_INFO, "client pid "
		    "%d uid %u: MONITOR refused: %s: only root and rsmd's own "
		    "uid may watch the node's events", (int)r->c->owner.pid,
		    (unsigned)r->c->owner.uid, rsm_err_name(RSMERR_PERM_DENIED));
		monitor_refusal(r->rs, RSM_MSG_MONITOR, 0, NULL,
		    r->rs->conf.node_id, r->c->owner.pid, r->c->owner.uid,
		    RSMERR_PERM_DENIED);
		return RSMERR_PERM_DENIED;
	}
	if (m == NULL)
		return RSMERR_INTERNAL_ERROR;
	for (i = 0; i < m->n; i++)
		if (m->sub[i].serial == r->c->serial)
			return RSM_SUCCESS;
	/* Forget the ones gone before deciding there is no room. */
	for (i = 0; i < m->n; )
		if (control_client_by_serial(r->rs, m->sub[i].serial) == NULL)
			m->sub[i] = m->sub[--m->n];
		else
			i++;
	if (m->n == MONITOR_MAX)
		return RSMERR_INSUFFICIENT_RESOURCES;
	m->sub[m->n].serial = r->c->serial;
	m->sub[m->n++].dropped = 0;
	log_debug("client pid %d uid %u watches the node's events",
	    (int)r->c->owner.pid, (unsigned)r->c->owner.uid);
	return RSM_SUCCESS;
}
