/*
 * serve_verbs.c - the verbs data service of the daemon (controllers
 * verbsN): devices as controllers, the rdma_cm listener, the queue pairs
 * of importers, their signals, and the memory regions of segments.
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
 * daemon answers (verbs_segment_rebound).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "capability.h"
#include "service.h"
#include "remote.h"
#include "log.h"
#include "verbs_dl.h"
#include "verbs_dev.h"
#include "rsm_verbs_wire.h"

#define VS_DEV_MAX		8u
#define VS_CONNS_MAX		1024u
/* Connections by serial (sequential, so the low bits spread them). */
#define VS_SERIAL_BUCKETS	256u
#define VS_RECV_SIZE		64u
/* Memory region kinds: read, write, read+write. */
#define VS_MR_KINDS		3u
/*
 * The daemon's own sends on a queue pair: the ready message, a window's
 * bind, and at a rebind an invalidation and a bind.  Their wr_id's low
 * byte tells them from receives (slots 0 .. RSM_VERBS_RECV_DEPTH - 1).
 */
#define VS_SEND_DEPTH		4u
#define VS_WR_READY		0xf0u
#define VS_WR_BIND		0xf1u
#define VS_WR_INV		0xf2u
/* How long a rebind waits for the windows to move to the new memory. */
#define VS_REBIND_WAIT_MS	2000u

struct vs_conn {
	TAILQ_ENTRY(vs_conn) link;
	LIST_ENTRY(vs_conn) serial_link;
	struct rdma_cm_id *id;
	struct cap_conn	 cc;		/* its capability (capability.h) */
	uint64_t	 serial;	/* in wr_id: finds it, or not, later */
	char		*rbuf;		/* receives, then the ready message */
	struct ibv_mr	*rmr;
	int		 established;
	struct ibv_mw	*mw;		/* its window (windows mode) */
	uint32_t	 rkey;		/* the rkey it was sent */
	unsigned	 sends;		/* own sends not completed yet */
};


/* The memory regions of one segment. */
struct vs_seg {
	LIST_ENTRY(vs_seg) link;
	struct reg_segment *s;
	void		*map;		/* the mapping they were made on */
	/* Without windows: one region per access kind, remote access. */
	struct ibv_mr	*mr[VS_MR_KINDS];
	/* Windows: the one region they bind to, with no remote access. */
	struct ibv_mr	*bind_mr;
};

static struct {
	const struct verbs_dl *v;
	unsigned	 ndev;
	struct verbs_devinfo dev[VS_DEV_MAX];
	/* Listener (verbs_listen). */
	int		 serving;
	int		 windows;	/* type 2 windows per queue pair */
	struct rdma_event_channel *ech;
	struct rdma_cm_id *listen_id;
	struct ibv_context *ctx;
	struct ibv_pd	*pd;
	struct ibv_comp_channel *cch;
	struct ibv_cq	*cq;
	struct rsmd_io	 ech_io, cch_io;
	int		 watched;
	uint8_t		 addr[16];
	uint16_t	 port;
	uint8_t		 family;
	char		 name[80];
	TAILQ_HEAD(, vs_conn) conns;
	unsigned	 nconns;
	unsigned	 conns_max;	/* VS_CONNS_MAX, or what the CQ holds */
	uint64_t	 next_serial;
	/* Every completion names its connection by serial (wr_id). */
	LIST_HEAD(, vs_conn) by_serial[VS_SERIAL_BUCKETS];
	LIST_HEAD(, vs_seg) segs;
	uint64_t	 refused;
	uint64_t	 refused_logged_ms;
	uint64_t	 absent_logged_ms;
} vs = {
	.conns = TAILQ_HEAD_INITIALIZER(vs.conns),
	.segs = LIST_HEAD_INITIALIZER(vs.segs),
};

/* ---- controllers ---- */

static unsigned
verbs_units(const struct rsmd *rs)
{
	(void)rs;
	return vs.ndev;
}

static int
verbs_ctlr(struct rsmd *rs, uint32_t unit, struct rsm_msg_ctlr_reply *r)
{
	const struct verbs_devinfo *d;

	(void)rs;
	if (unit >= vs.ndev) {
		uint64_t now = now_ms();

		if (now - vs.absent_logged_ms >= 10000) {
			vs.absent_logged_ms = now;
			log_info("controller verbs%u requested: not present "
			    "(%s)", unit, vs.v == NULL ? "no RDMA library "
			    "(libibverbs.so.1, librdmacm.so.1)" : vs.ndev == 0 ?
			    "no RDMA device on this node" :
			    "no RDMA device of that number");
		}
		return RSMERR_CTLR_NOT_PRESENT;
	}
	d = &vs.dev[unit];
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
find_devices(void)
{
	const char *why = NULL;
	unsigned i, n;

	if ((vs.v = verbs_dl_open(&why)) == NULL) {
		log_info("no verbs controllers: %s", why);
		return;
	}
	n = verbs_dev_count();
	if (n > VS_DEV_MAX)
		n = VS_DEV_MAX;
	for (i = 0; i < n; i++) {
		if (verbs_dev_query(i, &vs.dev[i], &why) == -1) {
			log_warnx("verbs%u: %s", i, why);
			break;
		}
		log_info("controller verbs%u: device %s (port 1 %s, max "
		    "message %" PRIu64 " bytes)", i, vs.dev[i].name,
		    vs.dev[i].port_state == IBV_PORT_ACTIVE ? "active" :
		    "not active", vs.dev[i].max_msg_sz);
	}
	vs.ndev = i;
	if (vs.ndev == 0)
		log_info("no verbs controllers: no RDMA device");
}

static void verbs_segment_released(struct rsmd *, struct reg_segment *);

/* ---- connections ---- */

static struct vs_conn *
conn_of(struct cap_conn *cc)
{
	return (struct vs_conn *)(void *)((char *)cc -
	    offsetof(struct vs_conn, cc));
}

/* The import a connection serves, or NULL once revoked. */
static struct reg_import *
conn_import(const struct vs_conn *k)
{
	return k->cc.cap != NULL ? k->cc.cap->im : NULL;
}

static void
conn_free(struct vs_conn *k, int disconnect)
{
	TAILQ_REMOVE(&vs.conns, k, link);
	LIST_REMOVE(k, serial_link);
	vs.nconns--;
	cap_detach(&k->cc);
	/* The importer hears DISCONNECTED; its requests fail from now on. */
	if (disconnect && k->established)
		(void)vs.v->disconnect(k->id);
	/* Its rkey dies here, whatever the queue pair still does. */
	if (k->mw != NULL)
		(void)ibv_dealloc_mw(k->mw);
	if (k->id->qp != NULL)
		vs.v->destroy_qp(k->id);
	if (k->rmr != NULL)
		(void)vs.v->dereg_mr(k->rmr);
	free(k->rbuf);
	(void)vs.v->destroy_id(k->id);
	free(k);
}

static struct vs_seg *
seg_of(const struct reg_segment *s)
{
	struct vs_seg *g;

	LIST_FOREACH(g, &vs.segs, link)
		if (g->s == s)
			return g;
	return NULL;
}

/* Register [map, map + size) at iova 0; logs why it cannot. */
static int
region(const struct reg_segment *s, void *map, int access,
    struct ibv_mr **mrp)
{
	struct ibv_mr *mr;
	int e;

	mr = vs.v->reg_mr_iova(vs.pd, map, (size_t)s->size, 0, access);
	if (mr == NULL) {
		e = errno;
		if (e == ENOMEM || e == EAGAIN || e == EPERM) {
			log_warnx("segment %#x: cannot pin %" PRIu64
			    " bytes for RDMA: raise RLIMIT_MEMLOCK of "
			    "rsmd (ulimit -l, LimitMEMLOCK= in its "
			    "systemd unit)", s->segid, s->size);
			return RSMERR_INSUFFICIENT_MEM;
		}
		log_warnx("segment %#x: ibv_reg_mr: %s", s->segid,
		    strerror(e));
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	*mrp = mr;
	return RSM_SUCCESS;
}

/*
 * Windows need a region that allows binding them (and local write, for
 * windows that grant remote write); it grants no remote access itself,
 * so its own rkey is worth nothing to anyone.
 */
#define VS_BIND_ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_MW_BIND)

/*
 * The region an import with `perm` reaches segment s through: the one
 * windows bind to, or without windows the one of that access kind;
 * registered at first need.
 */
static int
seg_mr(struct reg_segment *s, uint32_t perm, struct ibv_mr **mrp)
{
	static const int access[VS_MR_KINDS] = {
		IBV_ACCESS_REMOTE_READ,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		    IBV_ACCESS_REMOTE_READ,
	};
	unsigned k = perm == RSM_PERM_READ ? 0 : perm == RSM_PERM_WRITE ? 1 :
	    perm == RSM_PERM_RDWR ? 2 : VS_MR_KINDS;
	struct vs_seg *g;
	struct ibv_mr **slot;
	int rc;

	if (k >= VS_MR_KINDS || s->map == NULL)
		return RSMERR_PERM_DENIED;
	if ((g = seg_of(s)) != NULL && g->map != s->map) {
		/* Rebound since: those regions pin the old pages. */
		verbs_segment_released(NULL, s);
		g = NULL;
	}
	if (g == NULL) {
		if ((g = calloc(1, sizeof(*g))) == NULL)
			return RSMERR_INSUFFICIENT_MEM;
		g->s = s;
		g->map = s->map;
		LIST_INSERT_HEAD(&vs.segs, g, link);
	}
	slot = vs.windows ? &g->bind_mr : &g->mr[k];
	if (*slot == NULL && (rc = region(s, s->map, vs.windows ?
	    VS_BIND_ACCESS : access[k], slot)) != RSM_SUCCESS)
		return rc;
	*mrp = *slot;
	return RSM_SUCCESS;
}

/* Free the queue pairs that reach segment s (a backstop: see callers). */
static void
seg_conns_free(const struct reg_segment *s)
{
	struct vs_conn *k, *next;

	for (k = TAILQ_FIRST(&vs.conns); k != NULL; k = next) {
		next = TAILQ_NEXT(k, link);
		if (conn_import(k) != NULL && conn_import(k)->seg == s)
			conn_free(k, 1);
	}
}

static void
verbs_segment_released(struct rsmd *rs, struct reg_segment *s)
{
	struct vs_seg *g = seg_of(s);
	unsigned k;

	(void)rs;
	if (g == NULL)
		return;
	/*
	 * Every caller revoked the segment's imports already; a window
	 * still bound would keep its region registered, so make sure.
	 */
	seg_conns_free(s);
	for (k = 0; k < VS_MR_KINDS; k++)
		if (g->mr[k] != NULL)
			(void)vs.v->dereg_mr(g->mr[k]);
	if (g->bind_mr != NULL && vs.v->dereg_mr(g->bind_mr) != 0)
		log_warnx("segment %#x: cannot deregister its memory region",
		    s->segid);
	LIST_REMOVE(g, link);
	free(g);
	log_debug("segment %#x: memory regions deregistered", s->segid);
}

static int
verbs_issue(struct rsmd *rs, struct rsmd_cap *cap, struct rsm_wire_cap *w)
{
	struct ibv_mr *mr;
	int rc;

	(void)rs;
	if (!vs.serving)
		return RSMERR_CTLR_NOT_PRESENT;
	if ((rc = seg_mr(cap->im->seg, cap->im->perm, &mr)) != RSM_SUCCESS)
		return rc;
	memcpy(w->addr, vs.addr, sizeof(w->addr));
	w->port = vs.port;
	w->family = vs.family;
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
		conn_free(conn_of(LIST_FIRST(&cap->conns)), 1);
}

/* ---- the listener ---- */

static void
refused(const char *why)
{
	uint64_t now = now_ms();

	vs.refused++;
	if (now - vs.refused_logged_ms >= 100) {
		vs.refused_logged_ms = now;
		log_warnx("verbs listener: refused a connection: %s (%" PRIu64
		    " refused so far)", why, vs.refused);
	}
}

static int
post_recv(struct vs_conn *k, unsigned slot)
{
	struct ibv_recv_wr wr, *bad;
	struct ibv_sge sg;

	sg.addr = (uintptr_t)(k->rbuf + slot * VS_RECV_SIZE);
	sg.length = VS_RECV_SIZE;
	sg.lkey = k->rmr->lkey;
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = (k->serial << 8) | slot;
	wr.sg_list = &sg;
	wr.num_sge = 1;
	return ibv_post_recv(k->id->qp, &wr, &bad);
}

static void
on_request(struct rsmd *rs, struct rdma_cm_id *id,
    const struct rdma_conn_param *cp)
{
	struct rsm_verbs_hello h;
	struct rdma_conn_param ap;
	struct ibv_qp_init_attr qa;
	struct vs_conn *k;
	struct rsmd_cap *c = NULL;
	unsigned i;
	const char *why = NULL;

	if (cp->private_data == NULL || cp->private_data_len < sizeof(h))
		why = "no hello";
	else {
		memcpy(&h, cp->private_data, sizeof(h));
		if (h.magic != RSM_VERBS_MAGIC ||
		    h.version != RSM_VERBS_VERSION)
			why = "bad hello";
		else if ((c = cap_find(rs, &rsmd_serve_verbs, h.token)) ==
		    NULL)
			why = "token not live";
		else if (id->verbs != vs.ctx)
			why = "another device";
		else if (vs.nconns >= vs.conns_max)
			why = "too many connections";
		else if (c->nconns >= CAP_CONNS_MAX)
			why = "too many connections for one token";
	}
	if (why != NULL) {
		refused(why);
		(void)vs.v->reject(id, NULL, 0);
		(void)vs.v->destroy_id(id);
		return;
	}
	/* The receive slots, and one more for the ready message. */
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->rbuf = calloc(RSM_VERBS_RECV_DEPTH + 1, VS_RECV_SIZE)) ==
	    NULL) {
		if (k != NULL)
			free(k);
		refused("out of memory");
		(void)vs.v->reject(id, NULL, 0);
		(void)vs.v->destroy_id(id);
		return;
	}
	k->id = id;
	id->context = k;
	k->serial = ++vs.next_serial;
	TAILQ_INSERT_TAIL(&vs.conns, k, link);
	LIST_INSERT_HEAD(&vs.by_serial[k->serial % VS_SERIAL_BUCKETS], k,
	    serial_link);
	vs.nconns++;
	/* Room was checked above: nothing ran in between. */
	(void)cap_attach(c, &k->cc);
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = qa.recv_cq = vs.cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = VS_SEND_DEPTH;
	qa.cap.max_recv_wr = RSM_VERBS_RECV_DEPTH;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 1;
	if (vs.v->create_qp(id, vs.pd, &qa) != 0 ||
	    (k->rmr = vs.v->reg_mr(vs.pd, k->rbuf, (RSM_VERBS_RECV_DEPTH + 1) *
	    VS_RECV_SIZE, IBV_ACCESS_LOCAL_WRITE)) == NULL) {
		refused("cannot make a queue pair");
		(void)vs.v->reject(id, NULL, 0);
		conn_free(k, 0);
		return;
	}
	for (i = 0; i < RSM_VERBS_RECV_DEPTH; i++)
		if (post_recv(k, i) != 0)
			break;
	memset(&ap, 0, sizeof(ap));
	/*
	 * The event states the request from our side: its responder
	 * resources are the reads the importer wants outstanding.
	 */
	ap.responder_resources = cp->responder_resources < RSM_VERBS_RD_ATOM ?
	    cp->responder_resources : RSM_VERBS_RD_ATOM;
	ap.initiator_depth = 0;
	ap.rnr_retry_count = 7;
	if (i < RSM_VERBS_RECV_DEPTH || vs.v->accept(id, &ap) != 0) {
		refused("accept failed");
		conn_free(k, 0);
		return;
	}
	log_debug("import %#" PRIx64 ": verbs queue pair accepted",
	    c->im->handle);
}

static int
window_access(uint32_t perm)
{
	return ((perm & RSM_PERM_READ) ? IBV_ACCESS_REMOTE_READ : 0) |
	    ((perm & RSM_PERM_WRITE) ? IBV_ACCESS_REMOTE_WRITE : 0);
}

/*
 * Bind k's window over mr (the whole segment, the import's rights).
 * again: it is bound already (a rebind): invalidate it first, then bind
 * it with the same rkey, which the importer goes on using.  A type 2
 * window is bound through this queue pair and works on it alone.
 */
static int
post_bind(struct vs_conn *k, struct ibv_mr *mr, uint64_t size, int again)
{
	struct ibv_send_wr wr[2], *bad;
	unsigned n = 0;

	memset(wr, 0, sizeof(wr));
	if (again) {
		wr[0].wr_id = (k->serial << 8) | VS_WR_INV;
		wr[0].opcode = IBV_WR_LOCAL_INV;
		wr[0].send_flags = IBV_SEND_SIGNALED;
		wr[0].invalidate_rkey = k->rkey;
		wr[0].next = &wr[1];
		n = 1;
	}
	wr[n].wr_id = (k->serial << 8) | VS_WR_BIND;
	wr[n].opcode = IBV_WR_BIND_MW;
	wr[n].send_flags = IBV_SEND_SIGNALED;
	wr[n].bind_mw.mw = k->mw;
	wr[n].bind_mw.rkey = again ? k->rkey : ibv_inc_rkey(k->mw->rkey);
	wr[n].bind_mw.bind_info.mr = mr;
	wr[n].bind_mw.bind_info.addr = 0;
	wr[n].bind_mw.bind_info.length = size;
	wr[n].bind_mw.bind_info.mw_access_flags =
	    window_access(conn_import(k)->perm);
	if (ibv_post_send(k->id->qp, wr, &bad) != 0)
		return -1;
	/*
	 * The device names the window by its current rkey in the next
	 * bind: keep the handle's copy current, as ibv_bind_mw does.
	 */
	k->mw->rkey = wr[n].bind_mw.rkey;
	k->rkey = wr[n].bind_mw.rkey;
	k->sends += n + 1;
	return 0;
}

/* Tell the importer its rkey: it moves no data before this arrives. */
static int
post_ready(struct vs_conn *k, uint32_t rkey, uint32_t flags)
{
	struct rsm_verbs_ready m;
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sg;
	char *buf = k->rbuf + RSM_VERBS_RECV_DEPTH * VS_RECV_SIZE;

	memset(&m, 0, sizeof(m));
	m.magic = RSM_VERBS_MAGIC;
	m.rkey = rkey;
	m.flags = flags;
	memcpy(buf, &m, sizeof(m));
	sg.addr = (uintptr_t)buf;
	sg.length = sizeof(m);
	sg.lkey = k->rmr->lkey;
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = (k->serial << 8) | VS_WR_READY;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.sg_list = &sg;
	wr.num_sge = 1;
	if (ibv_post_send(k->id->qp, &wr, &bad) != 0)
		return -1;
	k->sends++;
	k->rkey = rkey;
	return 0;
}

/*
 * The importer's queue pair is established: bind its window (the send
 * queue runs in order, so the bind is done before the ready message
 * leaves) and send it the rkey.
 */
static void
conn_ready(struct vs_conn *k)
{
	struct reg_import *im = conn_import(k);
	struct ibv_mr *mr;
	int rc = -1;

	if (im != NULL && im->seg != NULL &&
	    seg_mr(im->seg, im->perm, &mr) == RSM_SUCCESS) {
		if (!vs.windows)
			rc = post_ready(k, mr->rkey, 0);
		else if ((k->mw = ibv_alloc_mw(vs.pd, IBV_MW_TYPE_2)) ==
		    NULL)
			log_warn("import %#" PRIx64 ": ibv_alloc_mw",
			    im->handle);
		else if (post_bind(k, mr, im->seg->size, 0) == 0)
			rc = post_ready(k, k->rkey, RSM_VERBS_READY_WINDOW);
	}
	if (rc != 0) {
		refused("cannot bind a window or send the rkey");
		conn_free(k, 1);
	}
}

static struct vs_conn *
conn_by_serial(uint64_t serial)
{
	struct vs_conn *k;

	LIST_FOREACH(k, &vs.by_serial[serial % VS_SERIAL_BUCKETS], serial_link)
		if (k->serial == serial)
			return k;
	return NULL;
}

static void
ech_ready(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	struct rdma_cm_event *ev;
	int burst;

	(void)io;
	(void)events;
	for (burst = 0; burst < 64; burst++) {
		struct rdma_cm_id *id;
		struct rdma_conn_param cp;
		enum rdma_cm_event_type t;
		uint8_t priv[256];

		if (vs.v->get_cm_event(vs.ech, &ev) != 0)
			return;
		t = ev->event;
		id = ev->id;
		cp = ev->param.conn;
		/* Ack first: destroying an id waits for its events' acks. */
		if (t == RDMA_CM_EVENT_CONNECT_REQUEST &&
		    cp.private_data != NULL) {
			/* A uint8_t length always fits the 256-byte copy. */
			memcpy(priv, cp.private_data, cp.private_data_len);
			cp.private_data = priv;
		}
		(void)vs.v->ack_cm_event(ev);
		switch (t) {
		case RDMA_CM_EVENT_CONNECT_REQUEST:
			on_request(rs, id, &cp);
			break;
		case RDMA_CM_EVENT_ESTABLISHED:
			if (id != vs.listen_id && id->context != NULL) {
				struct vs_conn *k = id->context;

				k->established = 1;
				conn_ready(k);
			}
			break;
		case RDMA_CM_EVENT_DISCONNECTED:
		case RDMA_CM_EVENT_CONNECT_ERROR:
		case RDMA_CM_EVENT_UNREACHABLE:
		case RDMA_CM_EVENT_REJECTED:
			/* The importer went away (or never came). */
			if (id != vs.listen_id && id->context != NULL)
				conn_free(id->context, 0);
			break;
		case RDMA_CM_EVENT_DEVICE_REMOVAL:
			log_warnx("verbs listener: the RDMA device went away");
			break;
		default:
			break;
		}
	}
}

/* A SEND from an importer: ring the exporter, as a control-channel post. */
static void
on_signal(struct rsmd *rs, struct vs_conn *k, const char *buf, uint32_t len)
{
	struct rsm_verbs_signal m;
	struct reg_import *im = conn_import(k);

	if (len != sizeof(m)) {
		refused("malformed signal");
		return;
	}
	memcpy(&m, buf, sizeof(m));
	if (m.magic != RSM_VERBS_MAGIC ||
	    (m.flags & ~(uint32_t)RSM_SIGPOST_NO_ACCUMULATE) != 0) {
		refused("malformed signal");
		return;
	}
	if (im == NULL || im->seg == NULL)
		return;
	log_debug("segment %#x: signal over a verbs queue pair",
	    im->seg->segid);
	/* Exporters are always clients of this daemon. */
	notify_event(rs, (struct client *)(void *)im->seg->owner,
	    RSM_HKIND_EXPORT, m.flags, im->seg->handle);
}

/*
 * Retire completions: a receive is a signal (ring the exporter, post it
 * again); the daemon's own sends are counted down, and one that failed
 * loses its connection (the importer hears DISCONNECTED).
 */
static void
cq_drain(struct rsmd *rs)
{
	struct ibv_wc wc[16];
	int n, i;

	while ((n = ibv_poll_cq(vs.cq, 16, wc)) > 0) {
		for (i = 0; i < n; i++) {
			struct vs_conn *k = conn_by_serial(wc[i].wr_id >> 8);
			unsigned slot = (unsigned)(wc[i].wr_id & 0xff);

			/* Flushed by a queue pair that is gone: nothing to do. */
			if (k == NULL)
				continue;
			if (slot >= VS_WR_READY) {
				if (k->sends > 0)
					k->sends--;
				if (wc[i].status != IBV_WC_SUCCESS) {
					log_warnx("verbs queue pair of import "
					    "%#" PRIx64 ": %s failed (status "
					    "%d): disconnected",
					    conn_import(k) != NULL ?
					    conn_import(k)->handle : 0,
					    slot == VS_WR_READY ? "the ready "
					    "message" : slot == VS_WR_BIND ?
					    "a window bind" : "an invalidation",
					    (int)wc[i].status);
					conn_free(k, 1);
				}
				continue;
			}
			if (wc[i].status != IBV_WC_SUCCESS ||
			    wc[i].opcode != IBV_WC_RECV ||
			    slot >= RSM_VERBS_RECV_DEPTH)
				continue;
			on_signal(rs, k, k->rbuf + slot * VS_RECV_SIZE,
			    wc[i].byte_len);
			/* on_signal never frees k. */
			(void)post_recv(k, slot);
		}
	}
}

static void
cch_ready(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	struct ibv_cq *cq;
	void *ctx;

	(void)io;
	(void)events;
	while (vs.v->get_cq_event(vs.cch, &cq, &ctx) == 0)
		vs.v->ack_cq_events(cq, 1);
	(void)ibv_req_notify_cq(vs.cq, 0);
	cq_drain(rs);
}

/*
 * With windows, register the new memory, move every importer's window
 * onto it with the rkey it has (invalidate, bind), wait (bounded) for
 * that, and deregister the old memory: importers keep working.  Without
 * windows, or when the new memory cannot be registered, -1: their rkeys
 * name the old pages, which the regions pin, so they are cut off.
 */
static int
verbs_segment_rebound(struct rsmd *rs, struct reg_segment *s)
{
	struct vs_seg *g = seg_of(s);
	struct vs_conn *k, *next;
	struct ibv_mr *mr, *old;
	uint64_t *moving, end;
	size_t nmoving = 0, i, left;

	if (g == NULL || g->map == s->map)
		return 0;
	if (!vs.windows || g->bind_mr == NULL ||
	    region(s, s->map, VS_BIND_ACCESS, &mr) != RSM_SUCCESS)
		return -1;
	old = g->bind_mr;
	g->bind_mr = mr;
	g->map = s->map;
	moving = calloc(vs.nconns + 1, sizeof(*moving));
	for (k = TAILQ_FIRST(&vs.conns); k != NULL; k = next) {
		next = TAILQ_NEXT(k, link);
		if (conn_import(k) == NULL || conn_import(k)->seg != s ||
		    k->mw == NULL)
			continue;
		if (moving == NULL || post_bind(k, mr, s->size, 1) != 0) {
			conn_free(k, 1);
			continue;
		}
		moving[nmoving++] = k->serial;
	}
	/*
	 * The old region may go only once no window is bound to it, and the
	 * exporter may reuse the old pages once we answer: wait here, within
	 * a bound, for the windows to move (a local operation of the device,
	 * microseconds on rxe); a queue pair that does not finish in time is
	 * disconnected, which frees its window.
	 */
	end = now_ms() + VS_REBIND_WAIT_MS;
	for (;;) {
		const struct timespec pause = { 0, 50000 };

		cq_drain(rs);
		for (i = 0, left = 0; i < nmoving; i++)
			if ((k = conn_by_serial(moving[i])) != NULL &&
			    k->sends > 0)
				left++;
		if (left == 0 || now_ms() >= end)
			break;
		(void)nanosleep(&pause, NULL);
	}
	for (i = 0; i < nmoving; i++)
		if ((k = conn_by_serial(moving[i])) != NULL && k->sends > 0) {
			log_warnx("segment %#x: a window did not move to the "
			    "new memory in time: importer disconnected",
			    s->segid);
			conn_free(k, 1);
		}
	free(moving);
	if (vs.v->dereg_mr(old) != 0)
		log_warnx("segment %#x: cannot deregister the old memory "
		    "region", s->segid);
	log_debug("segment %#x: %zu windows moved to the new memory",
	    s->segid, nmoving);
	return 0;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
listen_start(struct rsmd *rs, const struct rsmd_addr *a)
{
	const struct verbs_dl *v = vs.v;
	struct sockaddr_storage ss;
	struct ibv_device_attr da;
	int cqe;

	if (v == NULL || vs.ndev == 0) {
		log_warnx("verbs_listen %s: no RDMA device or library", a->text);
		return -1;
	}
	if (verbs_dl_fork_safe(v) != 0)
		log_warnx("verbs: ibv_fork_init failed");
	ss = a->sa;
	if ((vs.ech = v->create_event_channel()) == NULL ||
	    set_nonblock(vs.ech->fd) != 0 ||
	    v->create_id(vs.ech, &vs.listen_id, NULL, RDMA_PS_TCP) != 0) {
		log_warn("verbs_listen %s: rdma_cm", a->text);
		return -1;
	}
	if (v->bind_addr(vs.listen_id, (struct sockaddr *)&ss) != 0 ||
	    v->listen(vs.listen_id, 128) != 0) {
		log_warn("verbs_listen %s: bind/listen", a->text);
		return -1;
	}
	/* A listener bound to one address belongs to that address's device. */
	if ((vs.ctx = vs.listen_id->verbs) == NULL) {
		log_warnx("verbs_listen %s: not an address of an RDMA device "
		    "(a wildcard cannot be used)", a->text);
		return -1;
	}
	/*
	 * Room for every receive and send of every queue pair: destroying
	 * many at once flushes them all here, and an overrun would break
	 * them all.
	 */
	memset(&da, 0, sizeof(da));
	(void)v->query_device(vs.ctx, &da);
	cqe = (int)(VS_CONNS_MAX * (RSM_VERBS_RECV_DEPTH + VS_SEND_DEPTH));
	if (da.max_cqe > 0 && da.max_cqe < cqe)
		cqe = da.max_cqe;
	vs.conns_max = (unsigned)cqe / (RSM_VERBS_RECV_DEPTH + VS_SEND_DEPTH);
	vs.windows = rs->conf.verbs_windows != 0 && da.max_mw > 0 &&
	    (da.device_cap_flags & (IBV_DEVICE_MEM_WINDOW_TYPE_2A |
	    IBV_DEVICE_MEM_WINDOW_TYPE_2B)) != 0;
	if ((vs.pd = v->alloc_pd(vs.ctx)) == NULL ||
	    (vs.cch = v->create_comp_channel(vs.ctx)) == NULL ||
	    set_nonblock(vs.cch->fd) != 0 ||
	    (vs.cq = v->create_cq(vs.ctx, cqe, NULL, vs.cch, 0)) == NULL ||
	    ibv_req_notify_cq(vs.cq, 0) != 0) {
		log_warn("verbs_listen %s: device resources", a->text);
		return -1;
	}
	memset(vs.addr, 0, sizeof(vs.addr));
	if (a->sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)&a->sa;

		vs.family = RSM_CAP_INET6;
		memcpy(vs.addr, &s6->sin6_addr, 16);
	} else {
		const struct sockaddr_in *s4 = (const void *)&a->sa;

		vs.family = RSM_CAP_INET;
		memcpy(vs.addr, &s4->sin_addr, 4);
	}
	{
		const struct sockaddr *la = rdma_get_local_addr(vs.listen_id);

		vs.port = ntohs(la->sa_family == AF_INET6 ?
		    ((const struct sockaddr_in6 *)(const void *)la)->sin6_port :
		    ((const struct sockaddr_in *)(const void *)la)->sin_port);
	}
	snprintf(vs.name, sizeof(vs.name), "%s port %u", a->text, vs.port);
	vs.ech_io.fd = vs.ech->fd;
	vs.ech_io.ready = ech_ready;
	vs.cch_io.fd = vs.cch->fd;
	vs.cch_io.ready = cch_ready;
	if (rsmd_io_add(rs, &vs.ech_io, EPOLLIN) == -1 ||
	    rsmd_io_add(rs, &vs.cch_io, EPOLLIN) == -1) {
		log_warn("verbs listener: epoll_ctl");
		return -1;
	}
	vs.watched = 1;
	vs.serving = 1;
	log_info("verbs data path: rdma_cm listener %s, %s", vs.name,
	    vs.windows ? "a memory window per importer queue pair" :
	    rs->conf.verbs_windows ? "memory regions (the device has no "
	    "type 2 memory windows)" : "memory regions (verbs_windows 0)");
	return 0;
}

static void verbs_stop(struct rsmd *);

/* Only after daemon(): RDMA resources do not survive fork. */
static int
verbs_start(struct rsmd *rs)
{
	find_devices();
	if (rs->conf.verbs_listen == NULL)
		return 0;
	if (listen_start(rs, rs->conf.verbs_listen) == -1) {
		verbs_stop(rs);
		return -1;
	}
	return 0;
}

static int
verbs_serving(const struct rsmd *rs)
{
	(void)rs;
	return vs.serving;
}

static void
verbs_stop(struct rsmd *rs)
{
	struct vs_seg *g;
	struct vs_conn *k;

	vs.serving = 0;
	cap_revoke_service(rs, &rsmd_serve_verbs);
	while ((k = TAILQ_FIRST(&vs.conns)) != NULL)
		conn_free(k, 1);
	while ((g = LIST_FIRST(&vs.segs)) != NULL)
		verbs_segment_released(rs, g->s);
	if (vs.watched) {
		rsmd_io_del(rs, &vs.ech_io);
		rsmd_io_del(rs, &vs.cch_io);
		vs.watched = 0;
	}
	if (vs.cq != NULL)
		(void)vs.v->destroy_cq(vs.cq);
	if (vs.cch != NULL)
		(void)vs.v->destroy_comp_channel(vs.cch);
	if (vs.pd != NULL)
		(void)vs.v->dealloc_pd(vs.pd);
	if (vs.listen_id != NULL)
		(void)vs.v->destroy_id(vs.listen_id);
	if (vs.ech != NULL)
		vs.v->destroy_event_channel(vs.ech);
	vs.cq = NULL;
	vs.cch = NULL;
	vs.pd = NULL;
	vs.listen_id = NULL;
	vs.ech = NULL;
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
