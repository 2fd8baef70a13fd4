/*
 * verbs_listen.c - the rdma_cm listener of the verbs data service
 * (verbs_listen), the importers' queue pairs and their signals.
 *
 * An importer holds a capability carrying a random token and the
 * listener's address.  The listener accepts an RC queue pair only for a
 * live token, then sends the importer its rkey (a window bound to that
 * queue pair, or the segment's region: verbs_mem.c).  The queue pair then
 * carries RDMA READ/WRITE from the importer (the daemon's CPU is not
 * involved) and SENDs that ring the exporter.  There is a listener per
 * device served, bound to one of its addresses, all on one event channel;
 * the queue pairs of a device share its completion queue, and every
 * completion names its queue pair by serial.
 *
 * Revocation is synchronous like tcp0's: the import's queue pairs are
 * disconnected and destroyed (their windows freed) before the daemon
 * answers.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "capability.h"
#include "service.h"
#include "serve_verbs.h"
#include "log.h"
#include "rsm_verbs_wire.h"

#include <sodium.h>

/* ---- connections ---- */

struct vs_conn *
vs_conn_of(struct cap_conn *cc)
{
	return (struct vs_conn *)(void *)((char *)cc -
	    offsetof(struct vs_conn, cc));
}

void
vs_conn_free(struct vs_conn *k, int disconnect)
{
	struct vserv *vs = k->vs;

	TAILQ_REMOVE(&vs->conns, k, link);
	LIST_REMOVE(k, serial_link);
	vs->nconns--;
	k->vd->nconns--;
	cap_detach(&k->cc);
	/* The importer hears DISCONNECTED; its requests fail from now on. */
	if (disconnect && k->established)
		(void)vs->v->disconnect(k->id);
	/* Its rkey dies here, whatever the queue pair still does. */
	if (k->mw != NULL)
		(void)ibv_dealloc_mw(k->mw);
	if (k->id->qp != NULL)
		vs->v->destroy_qp(k->id);
	if (k->rmr != NULL)
		(void)vs->v->dereg_mr(k->rmr);
	free(k->rbuf);
	(void)vs->v->destroy_id(k->id);
	free(k);
}

/* ---- the listener ---- */

/*
 * One refusal: the importer's address (id, when known), its import (c,
 * once its token was found) and why; counted, and rate limited with the
 * count of lines held back.
 */
static void
refused(struct vserv *vs, struct rdma_cm_id *id, const struct rsmd_cap *c,
    const char *why)
{
	const struct reg_owner *o;
	char from[80] = "", imp[120] = "", node[24] = "";

	vs->refused++;
	if (id != NULL) {
		strcpy(from, " from ");
		rsmd_addr_text(&id->route.addr.dst_storage, from + 6,
		    sizeof(from) - 6);
	}
	if (c != NULL && c->im != NULL) {
		o = c->im->owner;
		if (o->node != 0)
			snprintf(node, sizeof(node), "node %u ", o->node);
		snprintf(imp, sizeof(imp), " for import %#" PRIx64 " of "
		    "segment %#x (%spid %d uid %u)", c->im->handle,
		    c->im->seg != NULL ? c->im->seg->segid : 0u, node,
		    (int)o->pid, (unsigned)o->uid);
	}
	log_refusal(&vs->refused_log, RSMD_LOG_WARN, "verbs listener: "
	    "refused a connection%s%s: %s (%" PRIu64 " refused so far)",
	    from, imp, why, vs->refused);
}

void
vs_refused(struct vserv *vs, const char *why)
{
	refused(vs, NULL, NULL, why);
}

/* A refusal on an established queue pair: its import is known. */
static void
conn_refused(struct vs_conn *k, const char *why)
{
	refused(k->vs, k->id, k->cc.cap, why);
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
on_request(struct rsmd *rs, struct vs_dev *vd, struct rdma_cm_id *id,
    const struct rdma_conn_param *cp)
{
	struct vserv *vs = vd->vs;
	struct rsm_verbs_hello h;
	struct rsm_verbs_challenge ch;
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
		else if ((c = cap_find_id(rs, &rsmd_serve_verbs, h.cap_id)) ==
		    NULL)
			why = "capability not live";
		else if (id->verbs != vd->ctx)
			why = "another device";
		else if (vd->nconns >= vd->conns_max)
			why = "too many connections";
		else if (c->nconns >= CAP_CONNS_MAX)
			why = "too many connections for one token";
	}
	if (why != NULL) {
		refused(vs, id, c, why);
		(void)vs->v->reject(id, NULL, 0);
		(void)vs->v->destroy_id(id);
		return;
	}
	/* The receive slots, and one more for the ready message. */
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->rbuf = calloc(RSM_VERBS_RECV_DEPTH + 1, VS_RECV_SIZE)) ==
	    NULL) {
		if (k != NULL)
			free(k);
		refused(vs, id, c, "out of memory");
		(void)vs->v->reject(id, NULL, 0);
		(void)vs->v->destroy_id(id);
		return;
	}
	k->vs = vs;
	k->vd = vd;
	k->id = id;
	id->context = k;
	k->serial = ++vs->next_serial;
	TAILQ_INSERT_TAIL(&vs->conns, k, link);
	LIST_INSERT_HEAD(&vs->by_serial[k->serial % VS_SERIAL_BUCKETS], k,
	    serial_link);
	vs->nconns++;
	vd->nconns++;
	/* Room was checked above: nothing ran in between. */
	(void)cap_attach(c, &k->cc);
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = qa.recv_cq = vd->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = VS_SEND_DEPTH;
	qa.cap.max_recv_wr = RSM_VERBS_RECV_DEPTH;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 1;
	if (vs->v->create_qp(id, vd->pd, &qa) != 0 ||
	    (k->rmr = vs->v->reg_mr(vd->pd, k->rbuf, (RSM_VERBS_RECV_DEPTH +
	    1) * VS_RECV_SIZE, IBV_ACCESS_LOCAL_WRITE)) == NULL) {
		conn_refused(k, "cannot make a queue pair");
		(void)vs->v->reject(id, NULL, 0);
		vs_conn_free(k, 0);
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
	/* The nonce the importer's proof must cover (rsm_verbs_wire.h). */
	memset(&ch, 0, sizeof(ch));
	ch.magic = RSM_VERBS_MAGIC;
	randombytes_buf(k->nonce, sizeof(k->nonce));
	memcpy(ch.nonce, k->nonce, sizeof(ch.nonce));
	ap.private_data = &ch;
	ap.private_data_len = sizeof(ch);
	if (i < RSM_VERBS_RECV_DEPTH || vs->v->accept(id, &ap) != 0) {
		conn_refused(k, "accept failed");
		vs_conn_free(k, 0);
		return;
	}
	log_debug("import %#" PRIx64 ": verbs queue pair accepted",
	    c->im->handle);
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
	struct vs_dev *vd = k->vd;
	struct reg_import *im = vs_conn_import(k);
	struct ibv_mr *mr;
	int rc = -1;

	if (im != NULL && im->seg != NULL &&
	    vs_seg_mr(vd, im->seg, im->perm, &mr) == RSM_SUCCESS) {
		if (!vd->windows)
			rc = post_ready(k, mr->rkey, 0);
		else if ((k->mw = ibv_alloc_mw(vd->pd, IBV_MW_TYPE_2)) ==
		    NULL)
			log_warn("import %#" PRIx64 ": ibv_alloc_mw",
			    im->handle);
		else if (vs_post_bind(k, mr, im->seg->size, 0) == 0)
			rc = post_ready(k, k->rkey, RSM_VERBS_READY_WINDOW);
	}
	if (rc != 0) {
		conn_refused(k, "cannot bind a window or send the rkey");
		vs_conn_free(k, 1);
	}
}

struct vs_conn *
vs_conn_by_serial(struct vserv *vs, uint64_t serial)
{
	struct vs_conn *k;

	LIST_FOREACH(k, &vs->by_serial[serial % VS_SERIAL_BUCKETS],
	    serial_link)
		if (k->serial == serial)
			return k;
	return NULL;
}

/* Whether id is one of the listeners (its context is a vs_dev, not a vs_conn). */
static int
is_listener(const struct vserv *vs, const struct rdma_cm_id *id)
{
	unsigned i;

	for (i = 0; i < vs->nsrv; i++)
		if (vs->srv[i].listen_id == id)
			return 1;
	return 0;
}

static void
ech_ready(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	struct vserv *vs = verbs_vs(rs);
	struct rdma_cm_event *ev;
	int burst;

	(void)io;
	(void)events;
	for (burst = 0; burst < 64; burst++) {
		struct rdma_cm_id *id, *lid;
		struct rdma_conn_param cp;
		enum rdma_cm_event_type t;
		uint8_t priv[256];

		if (vs->v->get_cm_event(vs->ech, &ev) != 0)
			return;
		t = ev->event;
		id = ev->id;
		lid = ev->listen_id;
		cp = ev->param.conn;
		/* Ack first: destroying an id waits for its events' acks. */
		if (t == RDMA_CM_EVENT_CONNECT_REQUEST &&
		    cp.private_data != NULL) {
			/* A uint8_t length always fits the 256-byte copy. */
			memcpy(priv, cp.private_data, cp.private_data_len);
			cp.private_data = priv;
		}
		(void)vs->v->ack_cm_event(ev);
		switch (t) {
		case RDMA_CM_EVENT_CONNECT_REQUEST:
			/* A new id's context is its listener's: the vs_dev. */
			if (lid != NULL && is_listener(vs, lid))
				on_request(rs, lid->context, id, &cp);
			else {
				(void)vs->v->reject(id, NULL, 0);
				(void)vs->v->destroy_id(id);
			}
			break;
		case RDMA_CM_EVENT_ESTABLISHED:
			if (!is_listener(vs, id) && id->context != NULL) {
				struct vs_conn *k = id->context;

				k->established = 1;
				/* A proof may come before this event. */
				if (k->proven)
					conn_ready(k);
			}
			break;
		case RDMA_CM_EVENT_DISCONNECTED:
		case RDMA_CM_EVENT_CONNECT_ERROR:
		case RDMA_CM_EVENT_UNREACHABLE:
		case RDMA_CM_EVENT_REJECTED:
			/* The importer went away (or never came). */
			if (!is_listener(vs, id) && id->context != NULL)
				vs_conn_free(id->context, 0);
			break;
		case RDMA_CM_EVENT_DEVICE_REMOVAL:
			log_warnx("verbs listener: the RDMA device went away");
			break;
		default:
			break;
		}
	}
}

/* ---- completions ---- */

/* A SEND from an importer: ring the exporter, as a control-channel post. */
static void
on_signal(struct rsmd *rs, struct vs_conn *k, const char *buf, uint32_t len)
{
	struct rsm_verbs_signal m;
	struct reg_import *im = vs_conn_import(k);

	if (len != sizeof(m)) {
		conn_refused(k, "malformed signal");
		return;
	}
	memcpy(&m, buf, sizeof(m));
	if (m.magic != RSM_VERBS_MAGIC ||
	    (m.flags & ~(uint32_t)RSM_SIGPOST_NO_ACCUMULATE) != 0) {
		conn_refused(k, "malformed signal");
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
 * The importer's first SEND: the proof that it holds the token of the
 * capability its hello named, for this connection's nonce.  Only then is
 * a window bound and the rkey sent.  Returns 0, or -1 when k is gone.
 */
static int
on_proof(struct rsmd *rs, struct vs_conn *k, const char *buf, uint32_t len)
{
	struct rsm_verbs_proof m;
	struct rsmd_cap *c = NULL;

	if (len == sizeof(m)) {
		memcpy(&m, buf, sizeof(m));
		if (m.magic == RSM_VERBS_MAGIC && m.pad == 0)
			c = cap_find_proof(rs, &rsmd_serve_verbs, &m.hello,
			    k->nonce);
	}
	sodium_memzero(k->nonce, sizeof(k->nonce));
	if (c == NULL || c != k->cc.cap) {
		conn_refused(k, len == sizeof(m) ? "proof does not verify" :
		    "no proof before data");
		vs_conn_free(k, 1);
		return -1;
	}
	k->proven = 1;
	if (k->established)
		conn_ready(k);	/* frees k when it fails */
	return 0;
}

/*
 * Retire completions: the first receive is the proof (on_proof), later
 * ones signals (ring the exporter, post it again); the daemon's own sends are counted down, and one that failed
 * loses its connection (the importer hears DISCONNECTED).
 */
void
vs_cq_drain(struct rsmd *rs, struct vs_dev *vd)
{
	struct vserv *vs = vd->vs;
	struct ibv_wc wc[16];
	int n, i;

	while ((n = ibv_poll_cq(vd->cq, 16, wc)) > 0) {
		for (i = 0; i < n; i++) {
			struct vs_conn *k = vs_conn_by_serial(vs,
			    wc[i].wr_id >> 8);
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
					    vs_conn_import(k) != NULL ?
					    vs_conn_import(k)->handle : 0,
					    slot == VS_WR_READY ? "the ready "
					    "message" : slot == VS_WR_BIND ?
					    "a window bind" : "an invalidation",
					    (int)wc[i].status);
					vs_conn_free(k, 1);
				}
				continue;
			}
			if (wc[i].status != IBV_WC_SUCCESS ||
			    wc[i].opcode != IBV_WC_RECV ||
			    slot >= RSM_VERBS_RECV_DEPTH)
				continue;
			if (!k->proven) {
				/* Looked up again: conn_ready may free it. */
				if (on_proof(rs, k, k->rbuf + slot *
				    VS_RECV_SIZE, wc[i].byte_len) == 0 &&
				    (k = vs_conn_by_serial(vs,
				    wc[i].wr_id >> 8)) != NULL)
					(void)post_recv(k, slot);
				continue;
			}
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
	struct vs_dev *vd = (struct vs_dev *)(void *)((char *)io -
	    offsetof(struct vs_dev, cch_io));
	struct ibv_cq *cq;
	void *ctx;

	(void)events;
	while (vd->vs->v->get_cq_event(vd->cch, &cq, &ctx) == 0)
		vd->vs->v->ack_cq_events(cq, 1);
	(void)ibv_req_notify_cq(vd->cq, 0);
	vs_cq_drain(rs, vd);
}

/* ---- opening and closing ---- */

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
vs_listen_init(struct rsmd *rs, struct vserv *vs)
{
	const struct verbs_dl *v = vs->v;

	if (verbs_dl_fork_safe(v) != 0)
		log_warnx("verbs: ibv_fork_init failed");
	if ((vs->ech = v->create_event_channel()) == NULL ||
	    set_nonblock(vs->ech->fd) != 0) {
		log_warn("verbs listener: rdma_cm event channel");
		return -1;
	}
	vs->ech_io.fd = vs->ech->fd;
	vs->ech_io.ready = ech_ready;
	if (rsmd_io_add(rs, &vs->ech_io, EPOLLIN) == -1) {
		log_warn("verbs listener: epoll_ctl");
		return -1;
	}
	vs->ech_watched = 1;
	return 0;
}

static void
dev_close(struct rsmd *rs, struct vs_dev *vd)
{
	const struct verbs_dl *v = vd->vs->v;

	if (vd->watched)
		rsmd_io_del(rs, &vd->cch_io);
	if (vd->cq != NULL)
		(void)v->destroy_cq(vd->cq);
	if (vd->cch != NULL)
		(void)v->destroy_comp_channel(vd->cch);
	if (vd->pd != NULL)
		(void)v->dealloc_pd(vd->pd);
	if (vd->listen_id != NULL)
		(void)v->destroy_id(vd->listen_id);
	memset(vd, 0, sizeof(*vd));
}

int
vs_listen_start(struct rsmd *rs, struct vserv *vs,
    const struct sockaddr_storage *sa, const char *text)
{
	const struct verbs_dl *v = vs->v;
	struct sockaddr_storage ss = *sa;
	struct ibv_device_attr da;
	struct vs_dev *vd;
	const char *dname;
	unsigned i;
	int cqe;

	if (vs->nsrv >= VS_DEV_MAX)
		return -1;
	vd = &vs->srv[vs->nsrv];
	memset(vd, 0, sizeof(*vd));
	vd->vs = vs;
	if (v->create_id(vs->ech, &vd->listen_id, vd, RDMA_PS_TCP) != 0) {
		vd->listen_id = NULL;
		log_warn("verbs listener %s: rdma_cm", text);
		goto fail;
	}
	if (v->bind_addr(vd->listen_id, (struct sockaddr *)&ss) != 0 ||
	    v->listen(vd->listen_id, 128) != 0) {
		log_warn("verbs listener %s: bind/listen", text);
		goto fail;
	}
	/* A listener bound to one address belongs to that address's device. */
	if ((vd->ctx = vd->listen_id->verbs) == NULL) {
		log_warnx("verbs listener %s: not an address of an RDMA device "
		    "(a wildcard cannot be used)", text);
		goto fail;
	}
	dname = v->get_device_name(vd->ctx->device);
	for (i = 0; i < vs->ndev && strcmp(vs->dev[i].name, dname) != 0; i++)
		;
	for (unsigned j = 0; j < vs->nsrv; j++)
		if (vs->srv[j].ctx != NULL && vs->srv[j].unit == i)
			i = vs->ndev;
	if (i >= vs->ndev) {
		log_warnx("verbs listener %s: device %s is not a controller "
		    "verbsN, or is served already", text, dname);
		goto fail;
	}
	vd->unit = i;
	/*
	 * Room for every receive and send of every queue pair: destroying
	 * many at once flushes them all here, and an overrun would break
	 * them all.
	 */
	memset(&da, 0, sizeof(da));
	(void)v->query_device(vd->ctx, &da);
	cqe = (int)(VS_CONNS_MAX * (RSM_VERBS_RECV_DEPTH + VS_SEND_DEPTH));
	if (da.max_cqe > 0 && da.max_cqe < cqe)
		cqe = da.max_cqe;
	vd->conns_max = (unsigned)cqe / (RSM_VERBS_RECV_DEPTH + VS_SEND_DEPTH);
	vd->atomics = da.atomic_cap != IBV_ATOMIC_NONE;
	vd->windows = rs->conf.verbs_windows != 0 && da.max_mw > 0 &&
	    (da.device_cap_flags & (IBV_DEVICE_MEM_WINDOW_TYPE_2A |
	    IBV_DEVICE_MEM_WINDOW_TYPE_2B)) != 0;
	if ((vd->pd = v->alloc_pd(vd->ctx)) == NULL ||
	    (vd->cch = v->create_comp_channel(vd->ctx)) == NULL ||
	    set_nonblock(vd->cch->fd) != 0 ||
	    (vd->cq = v->create_cq(vd->ctx, cqe, NULL, vd->cch, 0)) == NULL ||
	    ibv_req_notify_cq(vd->cq, 0) != 0) {
		log_warn("verbs listener %s: device resources", text);
		goto fail;
	}
	memset(vd->addr, 0, sizeof(vd->addr));
	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		vd->family = RSM_CAP_INET6;
		memcpy(vd->addr, &s6->sin6_addr, 16);
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		vd->family = RSM_CAP_INET;
		memcpy(vd->addr, &s4->sin_addr, 4);
	}
	{
		const struct sockaddr *la = rdma_get_local_addr(vd->listen_id);

		vd->port = ntohs(la->sa_family == AF_INET6 ?
		    ((const struct sockaddr_in6 *)(const void *)la)->sin6_port :
		    ((const struct sockaddr_in *)(const void *)la)->sin_port);
	}
	snprintf(vd->name, sizeof(vd->name), "%s port %u (verbs%u, %s)", text,
	    vd->port, vd->unit, dname);
	vd->cch_io.fd = vd->cch->fd;
	vd->cch_io.ready = cch_ready;
	if (rsmd_io_add(rs, &vd->cch_io, EPOLLIN) == -1) {
		log_warn("verbs listener: epoll_ctl");
		goto fail;
	}
	vd->watched = 1;
	vs->nsrv++;
	vs->serving = 1;
	log_info("verbs data path: rdma_cm listener %s, %s", vd->name,
	    vd->windows ? "a memory window per importer queue pair" :
	    rs->conf.verbs_windows ? "memory regions (the device has no "
	    "type 2 memory windows)" : "memory regions (verbs_windows 0)");
	return 0;
fail:
	dev_close(rs, vd);
	return -1;
}

void
vs_listen_close(struct rsmd *rs, struct vserv *vs)
{
	while (vs->nsrv > 0)
		dev_close(rs, &vs->srv[--vs->nsrv]);
	vs->serving = 0;
	if (vs->ech_watched) {
		rsmd_io_del(rs, &vs->ech_io);
		vs->ech_watched = 0;
	}
	if (vs->ech != NULL)
		vs->v->destroy_event_channel(vs->ech);
	vs->ech = NULL;
}
