/*
 * remote_import.c - the importing node's side of remote imports.
 *
 * A client's IMPORT_CONNECT naming another node is answered later: the
 * import is registered at once (quota, status, the client's handle), the
 * exporting node's daemon is asked, and its answer (or the peer layer's
 * RSMERR_REMOTE_NODE_UNREACHABLE, which it guarantees) becomes the reply.
 * Whatever went away meanwhile is found by serial and handle, never by a
 * stored pointer, and a connect granted to a client that is gone is given
 * back at once.
 *
 * A capability whose data path connects only at first use over TCP
 * (RSM_CTLRF_PROBE_TCP: tcp0) is tried first: this daemon connects to the
 * data port it names, as the client would, and the client hears
 * RSMERR_REMOTE_NODE_UNREACHABLE at once when that fails, while the
 * exporting node is told (UNREACHABLE) and both log the address.  The
 * try runs in the loop (a non-blocking connect, bounded by a timer).
 *
 * REVOKED and SIGNAL from the exporting node are accepted only for an
 * import of a segment on that very node.  When that node goes down every
 * live import of its segments is revoked (the client hears REVOKED; its
 * data connections break on their own).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "remote.h"
#include "remote_int.h"
#include "rsm_remote.h"
#include "peer.h"
#include "log.h"
#include "rsm_clock.h"

enum rmt_state {
	RMT_PENDING,		/* asked the exporting node, no answer yet */
	RMT_PROBING,		/* granted; trying its data port */
	RMT_LIVE,
	RMT_GONE,		/* revoked; the handle stays until disconnect */
};

struct rmt_import {
	TAILQ_ENTRY(rmt_import) link;
	struct reg_import *im;
	uint32_t	 node;		/* the exporting node */
	uint32_t	 segid;
	uint64_t	 their_handle;	/* the exporting daemon's, once live */
	enum rmt_state	 state;
};

/* A CONNECT on its way: enough to find everything again. */
struct rmt_wait {
	uint64_t	 serial;	/* the client */
	uint64_t	 id;		/* its request */
	uint64_t	 handle;	/* our import handle */
	uint32_t	 node;
	uint32_t	 perm;
	uint32_t	 kind;		/* RSM_CAPK_* asked for */
	uint32_t	 flags;		/* the controller type's RSM_CTLRF_* */
};

/* How long the data port of a new capability may take to accept. */
#define RMT_PROBE_MS		3000u

/* A granted capability's data port being tried (RSM_CTLRF_PROBE_TCP). */
struct rmt_probe {
	struct rsmd_io	 io;		/* first: the loop hands this back */
	struct rsmd_timer timer;
	TAILQ_ENTRY(rmt_probe) link;
	uint64_t	 serial;	/* the client */
	uint64_t	 id;		/* its request */
	uint64_t	 handle;	/* our import handle */
	uint32_t	 node;
	uint32_t	 segid;
	struct sockaddr_storage ss;	/* where */
	socklen_t	 sslen;
	struct rsm_msg_connect_reply o;	/* the reply once it answers */
};

static TAILQ_HEAD(, rmt_probe) probes = TAILQ_HEAD_INITIALIZER(probes);

static TAILQ_HEAD(, rmt_import) imports = TAILQ_HEAD_INITIALIZER(imports);

int
remote_live(const struct reg_import *im)
{
	return im->remote != NULL && im->remote->state == RMT_LIVE;
}

uint32_t
remote_node(const struct reg_import *im)
{
	return im->remote != NULL ? im->remote->node : 0;
}

static struct client *
client_of(struct reg_owner *o)
{
	return (struct client *)(void *)o;
}

static void
rmt_free(struct reg_import *im)
{
	struct rmt_import *ri = im->remote;

	if (ri == NULL)
		return;
	TAILQ_REMOVE(&imports, ri, link);
	im->remote = NULL;
	free(ri);
}

static void
tell_revoked(struct rsmd *rs, struct reg_import *im, uint32_t reason)
{
	struct rsm_msg_revoked m = { .handle = im->handle, .reason = reason };
	struct rsm_msg_hdr h;

	im->remote->state = RMT_GONE;
	im->reason = reason;
	rsm_msg_hdr_init(&h, RSM_MSG_REVOKED, 0, 0, 0, sizeof(m));
	client_send(rs, client_of(im->owner), &h, &m, sizeof(m), -1);
}

/*
 * Where this node reaches the exporter's data server.  A daemon bound to
 * a wildcard reports loopback, which means nothing here: use the address
 * its peer link is configured with instead (same port).
 */
static void
fix_address(struct rsmd *rs, uint32_t node, struct rsm_wire_cap *cap)
{
	static const uint8_t zero[16];
	struct sockaddr_storage ss;
	int local;

	if (cap->family == RSM_CAP_INET)
		local = cap->addr[0] == 127 || memcmp(cap->addr, zero, 4) == 0;
	else
		local = memcmp(cap->addr, zero, 16) == 0 ||
		    memcmp(cap->addr, &in6addr_loopback, 16) == 0;
	if (!local || peer_addr(rs, node, &ss) == -1)
		return;
	memset(cap->addr, 0, sizeof(cap->addr));
	if (ss.ss_family == AF_INET6) {
		cap->family = RSM_CAP_INET6;
		memcpy(cap->addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	} else {
		cap->family = RSM_CAP_INET;
		memcpy(cap->addr, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	}
}

/* Judge the exporting daemon's answer as hostile input. */
static int
reply_ok(const struct rsmd *rs, const struct rsm_rmt_connect_reply *r,
    uint32_t perm, uint32_t kind)
{
	uint64_t pg = rs->reg.lim.page_size;

	return r->handle != 0 && r->size != 0 && pg != 0 &&
	    r->size % pg == 0 && r->granted == perm && r->node_mode <= 0777 &&
	    r->cap.kind == kind;
}

/*
 * The try ended (err 0: the port accepted): answer the client, or give
 * the grant back.  Whatever went away meanwhile is found by serial and
 * handle: a client that died has had its import forgotten already.
 */
static void
probe_finish(struct rsmd *rs, struct rmt_probe *pr, int err)
{
	struct rsm_rmt_unreachable un;
	uint8_t body[RSM_RMT_UNREACHABLE_LEN];
	struct reg_import *im;
	struct client *c;
	char where[80];
	int status;

	rsmd_timer_cancel(rs, &pr->timer);
	if (pr->io.fd >= 0) {
		rsmd_io_del(rs, &pr->io);
		close(pr->io.fd);
		pr->io.fd = -1;
	}
	TAILQ_REMOVE(&probes, pr, link);
	c = control_client_by_serial(rs, pr->serial);
	im = reg_import_by_handle(&rs->reg, pr->handle);
	if (c == NULL || im == NULL || im->owner != &c->owner ||
	    im->remote == NULL) {
		free(pr);
		return;
	}
	if (err == 0 && im->remote->state == RMT_PROBING) {
		im->remote->state = RMT_LIVE;
		log_debug("pid %d imports segment %#x of node %u (import %#"
		    PRIx64 ")", (int)c->owner.pid, pr->segid, pr->node,
		    im->handle);
		control_reply(rs, c, RSM_MSG_IMPORT_CONNECT, pr->id,
		    RSM_SUCCESS, &pr->o, sizeof(pr->o));
		free(pr);
		return;
	}
	if (im->remote->state == RMT_PROBING) {
		/* The node is there, its data port is not: both sides say so. */
		rsmd_addr_text(&pr->ss, where, sizeof(where));
		log_refusal(&rs->refusal_log, RSMD_LOG_WARN, "client pid %d: "
		    "segment %#x of node %u: its data port %s cannot be "
		    "reached (%s): connect answered %s", (int)c->owner.pid,
		    pr->segid, pr->node, where, err == ETIMEDOUT ?
		    "no answer" : strerror(err),
		    rsm_err_name(RSMERR_REMOTE_NODE_UNREACHABLE));
		memset(&un, 0, sizeof(un));
		un.handle = im->remote->their_handle;
		un.err = (uint32_t)err;
		un.port = pr->o.cap.port;
		un.family = pr->o.cap.family;
		memcpy(un.addr, pr->o.cap.addr, sizeof(un.addr));
		rmt_send(rs, pr->node, RSM_RMT_UNREACHABLE, body,
		    rsm_rmt_unreachable_enc(body, &un));
		status = RSMERR_REMOTE_NODE_UNREACHABLE;
	} else {
		/* Revoked, or its node went down, while we tried. */
		status = im->reason != 0 ? (int)im->reason :
		    RSMERR_REMOTE_NODE_UNREACHABLE;
	}
	rmt_free(im);
	reg_import_remove(&rs->reg, im);
	control_reply(rs, c, RSM_MSG_IMPORT_CONNECT, pr->id, status, NULL, 0);
	free(pr);
}

static void
probe_ready(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	struct rmt_probe *pr = (struct rmt_probe *)(void *)io;
	socklen_t len = sizeof(int);
	int err = 0;

	(void)events;
	if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	probe_finish(rs, pr, err);
}

static void
probe_timeout(struct rsmd *rs, struct rsmd_timer *t)
{
	struct rmt_probe *pr = (struct rmt_probe *)(void *)((char *)t -
	    offsetof(struct rmt_probe, timer));

	probe_finish(rs, pr, ETIMEDOUT);
}

/*
 * Try the data port of a granted capability before the client hears:
 * a non-blocking connect, closed as soon as it is made (the data server
 * takes an end before any frame as a quiet close).
 */
static void
probe_start(struct rsmd *rs, const struct rmt_wait *w, uint32_t segid,
    const struct rsm_msg_connect_reply *o)
{
	struct rmt_probe *pr;
	int fd, rc;

	if ((pr = calloc(1, sizeof(*pr))) == NULL) {
		struct client *c = control_client_by_serial(rs, w->serial);
		struct reg_import *im = reg_import_by_handle(&rs->reg,
		    w->handle);

		/* No memory to try: the client hears so, the grant goes back. */
		if (im != NULL) {
			remote_forget(rs, im);
			reg_import_remove(&rs->reg, im);
		}
		if (c != NULL)
			control_reply(rs, c, RSM_MSG_IMPORT_CONNECT, w->id,
			    RSMERR_INSUFFICIENT_MEM, NULL, 0);
		return;
	}
	pr->serial = w->serial;
	pr->id = w->id;
	pr->handle = w->handle;
	pr->node = w->node;
	pr->segid = segid;
	pr->o = *o;
	pr->io.fd = -1;
	pr->io.ready = probe_ready;
	pr->timer.fire = probe_timeout;
	pr->sslen = (socklen_t)rsm_wire_sockaddr(o->cap.family, o->cap.addr,
	    o->cap.port, &pr->ss);
	TAILQ_INSERT_TAIL(&probes, pr, link);
	fd = socket(pr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		probe_finish(rs, pr, errno);
		return;
	}
	pr->io.fd = fd;
	do {
		rc = connect(fd, (struct sockaddr *)&pr->ss, pr->sslen);
	} while (rc == -1 && errno == EINTR);
	if (rc == 0 || errno != EINPROGRESS) {
		probe_finish(rs, pr, rc == 0 ? 0 : errno);
		return;
	}
	if (rsmd_io_add(rs, &pr->io, EPOLLOUT) == -1) {
		close(fd);
		pr->io.fd = -1;
		probe_finish(rs, pr, errno);
		return;
	}
	rsmd_timer_set(rs, &pr->timer, rsm_now_ms() + RMT_PROBE_MS);
}

void
remote_stop(struct rsmd *rs)
{
	struct rmt_probe *pr;

	/* Their clients are gone or going: nobody to answer. */
	while ((pr = TAILQ_FIRST(&probes)) != NULL) {
		pr->serial = 0;
		probe_finish(rs, pr, ECANCELED);
	}
}

static void
connect_done(struct rsmd *rs, void *arg, int status, const void *body,
    size_t len)
{
	struct rmt_wait *w = arg;
	struct rsm_rmt_connect_reply r;
	struct rsm_msg_connect_reply o;
	struct reg_import *im;
	struct client *c;
	uint8_t dbody[RSM_RMT_HANDLE_LEN];
	int granted = 0;

	memset(&r, 0, sizeof(r));
	if (status == RSM_SUCCESS) {
		if (rsm_rmt_connect_reply_dec(body, len, &r) == -1) {
			log_warnx("node %u: malformed remote connect reply",
			    w->node);
			status = RSMERR_CONN_ABORTED;
		} else if (!reply_ok(rs, &r, w->perm, w->kind)) {
			log_warnx("node %u: implausible remote connect reply",
			    w->node);
			status = RSMERR_CONN_ABORTED;
			granted = 1;
		} else
			granted = 1;
	}
	c = control_client_by_serial(rs, w->serial);
	im = reg_import_by_handle(&rs->reg, w->handle);
	if (c == NULL || im == NULL || im->owner != &c->owner ||
	    im->remote == NULL || im->remote->state != RMT_PENDING) {
		/* Nobody to hand it to: give it back. */
		if (granted)
			rmt_send(rs, w->node, RSM_RMT_DISCONNECT, dbody,
			    rsm_rmt_handle_enc(dbody, r.handle));
		free(w);
		return;
	}
	if (status != RSM_SUCCESS) {
		/* The reason in words is in the exporting node's log. */
		log_refusal(&rs->refusal_log, refusal_level(status), "client pid "
		    "%d uid %u: IMPORT_CONNECT to segment %#x of node %u refused "
		    "there: %s", (int)c->owner.pid, (unsigned)c->owner.uid,
		    im->remote->segid, w->node, rsm_err_name(status));
		if (granted)
			rmt_send(rs, w->node, RSM_RMT_DISCONNECT, dbody,
			    rsm_rmt_handle_enc(dbody, r.handle));
		rmt_free(im);
		reg_import_remove(&rs->reg, im);
		control_reply(rs, c, RSM_MSG_IMPORT_CONNECT, w->id, status,
		    NULL, 0);
		free(w);
		return;
	}
	fix_address(rs, w->node, &r.cap);
	im->remote->their_handle = r.handle;
	im->remote->state = (w->flags & RSM_CTLRF_PROBE_TCP) ? RMT_PROBING :
	    RMT_LIVE;
	im->node_mode = r.node_mode;
	memset(&o, 0, sizeof(o));
	o.handle = im->handle;
	o.size = r.size;
	o.node_mode = r.node_mode;
	o.owner_uid = r.owner_uid;
	o.owner_gid = r.owner_gid;
	o.granted = r.granted;
	o.cap = r.cap;
	if (im->remote->state == RMT_PROBING) {
		probe_start(rs, w, im->remote->segid, &o);
		free(w);
		return;
	}
	log_debug("pid %d imports segment %#x of node %u (import %#" PRIx64
	    ")", (int)c->owner.pid, im->remote->segid, w->node, im->handle);
	control_reply(rs, c, RSM_MSG_IMPORT_CONNECT, w->id, RSM_SUCCESS, &o,
	    sizeof(o));
	free(w);
}

int
remote_connect(struct rsmd *rs, struct client *c, uint64_t id, uint32_t node,
    uint32_t segid, uint32_t perm, const struct rsm_ctlr_type *t)
{
	struct rsm_rmt_connect *m;
	struct rmt_import *ri;
	struct rmt_wait *w;
	struct reg_import *im;
	uint8_t body[RSM_PEER_BODY_MAX];
	size_t i, n;
	int rc;

	if (perm != RSM_PERM_READ && perm != RSM_PERM_WRITE &&
	    perm != RSM_PERM_RDWR)
		return RSMERR_PERM_DENIED;
	/*
	 * Unknown or down: say so now rather than after a timeout.  An
	 * on-demand peer is linked by the CONNECT itself.
	 */
	if (!peer_can_call(rs, node))
		return RSMERR_REMOTE_NODE_UNREACHABLE;
	if ((rc = reg_import_add_remote(&rs->reg, &c->owner, perm, &im)))
		return rc;
	ri = calloc(1, sizeof(*ri));
	w = calloc(1, sizeof(*w));
	m = calloc(1, sizeof(*m));
	if (ri == NULL || w == NULL || m == NULL) {
		free(ri);
		free(w);
		free(m);
		reg_import_remove(&rs->reg, im);
		return RSMERR_INSUFFICIENT_MEM;
	}
	ri->im = im;
	ri->node = node;
	ri->segid = segid;
	ri->state = RMT_PENDING;
	im->remote = ri;
	TAILQ_INSERT_TAIL(&imports, ri, link);

	m->segid = segid;
	m->perm = perm;
	m->uid = (uint32_t)c->owner.uid;
	m->gid = (uint32_t)c->owner.gid;
	m->pid = (uint32_t)c->owner.pid;
	m->handle = im->handle;
	/* More groups than a body holds: the first ones decide. */
	m->ngroups = (uint32_t)(c->owner.ngroups > RSM_RMT_GROUPS_MAX ?
	    RSM_RMT_GROUPS_MAX : c->owner.ngroups);
	for (i = 0; i < m->ngroups; i++)
		m->groups[i] = (uint32_t)c->owner.groups[i];
	n = rsm_rmt_connect_enc(body, m);
	free(m);

	w->serial = c->serial;
	w->id = id;
	w->handle = im->handle;
	w->node = node;
	w->perm = perm;
	w->kind = t->cap_kind;
	w->flags = t->flags;
	if (t->rmt_connect == 0 || peer_call(rs, node, t->rmt_connect, body,
	    n, connect_done, w) == -1) {
		free(w);
		rmt_free(im);
		reg_import_remove(&rs->reg, im);
		return RSMERR_INSUFFICIENT_MEM;
	}
	return RSMD_DEFERRED;
}

void
remote_forget(struct rsmd *rs, struct reg_import *im)
{
	struct rmt_import *ri = im->remote;
	uint8_t body[RSM_RMT_HANDLE_LEN];

	if (ri == NULL)
		return;
	/* A pending connect gives itself back when its answer arrives. */
	if (ri->state == RMT_LIVE || ri->state == RMT_PROBING)
		rmt_send(rs, ri->node, RSM_RMT_DISCONNECT, body,
		    rsm_rmt_handle_enc(body, ri->their_handle));
	rmt_free(im);
}

int
remote_post_to_exporter(struct rsmd *rs, struct reg_import *im,
    uint32_t flags)
{
	struct rmt_import *ri = im->remote;
	struct rsm_rmt_signal m;
	uint8_t body[RSM_RMT_SIGNAL_LEN];

	if (ri == NULL || ri->state != RMT_LIVE || !peer_is_up(rs, ri->node))
		return RSMERR_CONN_ABORTED;
	m.handle = ri->their_handle;
	m.kind = RSM_HKIND_EXPORT;
	m.flags = flags;
	/* Spec 7: a post succeeds once handed over for delivery. */
	rmt_send(rs, ri->node, RSM_RMT_SIGNAL, body,
	    rsm_rmt_signal_enc(body, &m));
	return RSM_SUCCESS;
}

/* Our import `handle`, if it is a live import of a segment on node. */
static struct reg_import *
live_import(struct rsmd *rs, uint32_t node, uint64_t handle)
{
	struct reg_import *im = reg_import_by_handle(&rs->reg, handle);

	if (im == NULL || im->owner->node != 0 || im->remote == NULL ||
	    im->remote->node != node || (im->remote->state != RMT_LIVE &&
	    im->remote->state != RMT_PROBING))
		return NULL;
	return im;
}

int
rmt_serve_revoked(struct rsmd *rs, uint32_t node, uint32_t type,
    const void *body, size_t len, void *reply, size_t *reply_len)
{
	(void)type;
	struct rsm_rmt_revoked m;
	struct reg_import *im;

	(void)reply;
	*reply_len = 0;
	if (rsm_rmt_revoked_dec(body, len, &m) == -1)
		return RSMERR_BAD_ARGS_ERRORS;
	/* Gone already (disconnected, or revoked by a link loss): done. */
	if ((im = live_import(rs, node, m.handle)) == NULL)
		return RSM_SUCCESS;
	/* The library only tells "cut off" from "fine": keep it an error. */
	if (m.reason == RSM_SUCCESS || m.reason > 0xffff)
		m.reason = RSMERR_CONN_ABORTED;
	log_debug("node %u revoked import %#" PRIx64 " (%s)", node,
	    m.handle, rsm_err_name((int)m.reason));
	/* Not handed out yet: the try's end tells the client instead. */
	if (im->remote->state == RMT_PROBING) {
		im->remote->state = RMT_GONE;
		im->reason = m.reason;
		return RSM_SUCCESS;
	}
	tell_revoked(rs, im, m.reason);
	return RSM_SUCCESS;
}

int
rmt_ring_importer(struct rsmd *rs, uint32_t node, uint64_t handle,
    uint32_t flags)
{
	struct reg_import *im = live_import(rs, node, handle);

	if (im == NULL)
		return RSMERR_BAD_SEG_HNDL;
	notify_event(rs, client_of(im->owner), RSM_HKIND_IMPORT, flags,
	    im->handle);
	return RSM_SUCCESS;
}

int
rmt_import_uses(uint32_t node)
{
	const struct rmt_import *ri;

	/* A gone import waits only for its client's disconnect. */
	TAILQ_FOREACH(ri, &imports, link)
		if (ri->node == node && ri->state != RMT_GONE)
			return 1;
	return 0;
}

void
rmt_import_node_down(struct rsmd *rs, uint32_t node)
{
	struct rmt_import *ri;
	unsigned n = 0;

	TAILQ_FOREACH(ri, &imports, link) {
		/* Not handed out yet: the try's end tells the client. */
		if (ri->node == node && ri->state == RMT_PROBING) {
			ri->state = RMT_GONE;
			ri->im->reason = RSMERR_REMOTE_NODE_UNREACHABLE;
		}
		if (ri->node == node && ri->state == RMT_LIVE) {
			tell_revoked(rs, ri->im, RSMERR_CONN_ABORTED);
			n++;
		}
	}
	if (n)
		log_info("node %u down: revoked %u import%s of its segments",
		    node, n, n == 1 ? "" : "s");
}
