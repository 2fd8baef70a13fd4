/*
 * admin_forward.c - ADMIN_REMOTE from a local rsmadm (rsmadm -n NODE):
 * the wrapped request is asked of NODE's rsmd with RSM_PEER_INNER_ADMIN
 * calls, a page each (proto/rsm_admin.h), and every reply payload of its
 * answer is relayed to the client as an ADMIN_REMOTE reply.
 *
 * Syslink rule: the client's request gets exactly one stream, ended by
 * the answer's last reply or by an error.  Each page is a peer call, so
 * it is answered (with RSMERR_REMOTE_NODE_UNREACHABLE at the latest when
 * the link goes down or its deadline passes), and the whole answer has
 * ADMIN_FORWARD_MS, after which the client is answered RSMERR_TIMEOUT.
 * The request's argument (STATS: which segment) passed rsm_msg_check()
 * as the wrapped request's payload; it goes to the node in the first
 * page's call, which the node checks again.  What the node sends is
 * checked twice before the client sees it: the page as a body, then
 * every part as the reply of its type it claims to be (rsm_msg_check()),
 * the whole page before any of it is relayed.  A request for this node
 * itself is answered here, the same way and with the same rights.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "admin.h"
#include "handler.h"
#include "log.h"
#include "peer.h"
#include "rsm_admin.h"
#include "rsm_clock.h"

/*
 * Longest a forwarded request may take, all its pages together: below
 * rsmadm's own 5 s, so that rsmadm hears why, whatever dead_after_ms
 * makes a peer call's own deadline.
 */
#define ADMIN_FORWARD_MS	4000u

/* A forwarded request: whose, and how far its answer has come. */
struct fwd {
	uint64_t	 serial;	/* the client */
	uint64_t	 id;		/* its request */
	uint32_t	 node;
	uint32_t	 type;
	uint64_t	 snap;		/* the node's snapshot, after page 1 */
	uint64_t	 instance;	/* the node's daemon, from page 1 */
	uint32_t	 next;		/* the next part wanted */
	uint32_t	 total;
	/* The wrapped request's payload: asked with the first page only. */
	uint32_t	 arglen;
	uint8_t		 arg[RSM_ADM_ARG_MAX];
	/* Armed while a page is asked: ADMIN_FORWARD_MS for the whole. */
	struct rsmd_timer limit;
	int		 timed_out;	/* answered; the page's call still runs */
};

/* One wrapped reply, built and checked as the client will check it. */
struct wrapped {
	struct rsm_msg_hdr	 h;
	struct rsm_msg_admin_reply w;
	uint8_t			 part[RSM_ADMIN_PART_MAX];
};

static int
wrap(struct wrapped *m, uint32_t node, uint32_t type, uint64_t instance,
    uint64_t id, int more, const void *part, size_t len)
{
	if (len > sizeof(m->part))
		return -1;
	memset(&m->w, 0, sizeof(m->w));
	m->w.node = node;
	m->w.type = type;
	m->w.instance = instance;
	if (len)
		memcpy(m->part, part, len);
	rsm_msg_hdr_init(&m->h, RSM_MSG_ADMIN_REMOTE, RSM_MSGF_REPLY |
	    (more ? RSM_MSGF_MORE : 0), RSM_SUCCESS, id, sizeof(m->w) + len);
	return rsm_msg_check(m, sizeof(m->h) + sizeof(m->w) + len, 0, 1);
}

static void
relay(struct rsmd *rs, struct client *c, const struct wrapped *m)
{
	client_send(rs, c, &m->h, &m->w, m->h.len - sizeof(m->h), -1);
}

/* ---- this node ---- */

static int
answer_here(struct req *r, uint32_t type, const void *arg, size_t arglen)
{
	struct wrapped *m;
	struct admin_snap *s;
	size_t i, n, len;
	const void *p;
	int rc;

	if ((s = admin_collect(r->rs, type, arg, arglen, &rc)) == NULL)
		return rc;
	if ((m = malloc(sizeof(*m))) == NULL) {
		admin_snap_free(s);
		return RSMERR_INSUFFICIENT_MEM;
	}
	n = admin_snap_parts(s);
	for (i = 0; i < n; i++) {
		p = admin_snap_part(s, i, &len);
		if (wrap(m, r->rs->conf.node_id, type, r->rs->instance,
		    r->h->id, i + 1 < n, p, len) != 0) {
			/* Our own handler broke its type's rules. */
			log_warnx("%s for rsmadm -n: reply %zu of %zu does "
			    "not pass the checks", rsm_msg_name((uint16_t)type),
			    i + 1, n);
			rc = RSMERR_INTERNAL_ERROR;
			break;
		}
		relay(r->rs, r->c, m);
	}
	free(m);
	admin_snap_free(s);
	/* Every reply went out, the last one too: nothing more to send. */
	return rc == RSM_SUCCESS ? RSMD_DEFERRED : rc;
}

/* ---- another node ---- */

static void page_done(struct rsmd *, void *, int, const void *, size_t);

static int
ask_page(struct rsmd *rs, struct fwd *f)
{
	struct rsm_adm_req q;
	uint8_t body[RSM_ADM_REQ_MAX];
	size_t len;

	memset(&q, 0, sizeof(q));
	q.type = f->type;
	q.first = f->next;
	q.snap = f->snap;
	/* The node's snapshot holds what the argument asked for. */
	if (f->next == 0 && f->arglen != 0) {
		q.arglen = f->arglen;
		memcpy(q.arg, f->arg, f->arglen);
	}
	len = rsm_adm_req_enc(body, &q);
	return peer_call(rs, f->node, RSM_PEER_INNER_ADMIN, body, len,
	    page_done, f);
}

static void
finish(struct rsmd *rs, struct fwd *f, int status)
{
	struct client *c = control_client_by_serial(rs, f->serial);

	if (c != NULL && status != RSM_SUCCESS)
		control_reply(rs, c, RSM_MSG_ADMIN_REMOTE, f->id, status, NULL,
		    0);
	rsmd_timer_cancel(rs, &f->limit);
	free(f);
}

/*
 * The whole answer did not come in time: the client hears so now; f
 * stays until the page's call answers (peer calls always do), which
 * frees it.
 */
static void
limit_fire(struct rsmd *rs, struct rsmd_timer *t)
{
	struct fwd *f = (struct fwd *)(void *)((char *)t -
	    offsetof(struct fwd, limit));
	struct client *c = control_client_by_serial(rs, f->serial);

	log_info("node %u: remote %s: answer not complete within %u ms",
	    f->node, rsm_msg_name((uint16_t)f->type), ADMIN_FORWARD_MS);
	if (c != NULL)
		control_reply(rs, c, RSM_MSG_ADMIN_REMOTE, f->id,
		    RSMERR_TIMEOUT, NULL, 0);
	f->timed_out = 1;
}

/* The page fits what was asked and what came before; 0 or -1. */
static int
page_fits(const struct fwd *f, const struct rsm_adm_page *pg,
    const char **why)
{
	uint32_t order = RSM_ADMIN_ORDER;

	if (pg->order != order)
		*why = "its byte order is not this node's";
	else if (pg->type != f->type)
		*why = "it answers another request type";
	else if (pg->first != f->next)
		*why = "it is not the page asked for";
	else if (f->next != 0 && (pg->snap != f->snap ||
	    pg->total != f->total || pg->instance != f->instance))
		*why = "it belongs to another answer";
	else
		return 0;
	return -1;
}

static void
page_done(struct rsmd *rs, void *arg, int status, const void *body,
    size_t len)
{
	struct fwd *f = arg;
	struct rsm_adm_page *pg = NULL;
	struct wrapped *m = NULL;
	struct client *c;
	const char *why = NULL;
	uint32_t i;
	int last;

	if (f->timed_out ||
	    (c = control_client_by_serial(rs, f->serial)) == NULL) {
		/* Nobody to tell; the node's snapshot expires by itself. */
		rsmd_timer_cancel(rs, &f->limit);
		free(f);
		return;
	}
	if (status != RSM_SUCCESS) {
		if (status == RSMERR_UNSUPPORTED_OPERATION)
			log_info("node %u does not answer remote admin "
			    "requests (an older rsmd?)", f->node);
		else
			log_debug("node %u: remote %s -> %s", f->node,
			    rsm_msg_name((uint16_t)f->type),
			    rsm_err_name(status));
		finish(rs, f, status);
		return;
	}
	if ((pg = malloc(sizeof(*pg))) == NULL ||
	    (m = malloc(sizeof(*m))) == NULL) {
		free(pg);
		finish(rs, f, RSMERR_INSUFFICIENT_MEM);
		return;
	}
	if (rsm_adm_page_dec(body, len, pg) == -1)
		why = "malformed";
	else
		(void)page_fits(f, pg, &why);
	if (f->next == 0 && why == NULL) {
		f->snap = pg->snap;
		f->total = pg->total;
		f->instance = pg->instance;
	}
	last = why == NULL && pg->first + pg->nparts == pg->total;
	for (i = 0; why == NULL && i < pg->nparts; i++)
		if (wrap(m, f->node, f->type, f->instance, f->id,
		    !last || i + 1 < pg->nparts, pg->part[i],
		    pg->plen[i]) != 0)
			why = "a reply in it breaks its type's rules";
	if (why != NULL) {
		log_refusal(&rs->refusal_log, RSMD_LOG_WARN, "node %u: answer "
		    "to remote %s refused: %s: %s (%zu bytes)", f->node,
		    rsm_msg_name((uint16_t)f->type),
		    rsm_err_name(RSMERR_BAD_ARGS_ERRORS), why, len);
		rs->refused++;
		free(pg);
		free(m);
		finish(rs, f, RSMERR_BAD_ARGS_ERRORS);
		return;
	}
	/* All of it passed: relay it, in order. */
	for (i = 0; i < pg->nparts; i++) {
		wrap(m, f->node, f->type, f->instance, f->id,
		    !last || i + 1 < pg->nparts, pg->part[i], pg->plen[i]);
		relay(rs, c, m);
	}
	f->next = pg->first + pg->nparts;
	free(pg);
	free(m);
	if (last) {
		finish(rs, f, RSM_SUCCESS);
		return;
	}
	if (ask_page(rs, f) == -1)
		finish(rs, f, RSMERR_INSUFFICIENT_MEM);
}

int
h_admin_remote(struct req *r)
{
	const struct rsm_msg_admin_remote *m = r->p;
	/* rsm_msg_check() passed it as the wrapped type's payload. */
	const uint8_t *arg = (const uint8_t *)r->p + sizeof(*m);
	size_t arglen = r->plen - sizeof(*m);
	struct sockaddr_storage ss;
	struct fwd *f;

	if (!rsm_admin_remote_allowed(m->type)) {
		log_refusal(&r->rs->refusal_log, RSMD_LOG_INFO, "client pid %d "
		    "uid %u: %s of node %u refused: %s: not a read-only "
		    "request another node may be asked", (int)r->c->owner.pid,
		    (unsigned)r->c->owner.uid, m->type <= UINT16_MAX ?
		    rsm_msg_name((uint16_t)m->type) : "UNKNOWN", m->node,
		    rsm_err_name(RSMERR_PERM_DENIED));
		return RSMERR_PERM_DENIED;
	}
	/* Not after rsm_msg_check(); but never past a buffer. */
	if (arglen > RSM_ADM_ARG_MAX)
		return RSMERR_BAD_ARGS_ERRORS;
	if (m->node == r->rs->conf.node_id)
		return answer_here(r, m->type, arg, arglen);
	if (peer_addr(r->rs, m->node, &ss) == -1) {
		log_debug("client pid %d: %s of node %u: node %u is not a "
		    "peer of this node", (int)r->c->owner.pid,
		    rsm_msg_name((uint16_t)m->type), m->node, m->node);
		return RSMERR_UNKNOWN_RSM_ADDR;
	}
	if (!peer_can_call(r->rs, m->node))
		return RSMERR_REMOTE_NODE_UNREACHABLE;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	f->serial = r->c->serial;
	f->id = r->h->id;
	f->node = m->node;
	f->type = m->type;
	f->arglen = (uint32_t)arglen;
	if (arglen)
		memcpy(f->arg, arg, arglen);
	if (ask_page(r->rs, f) == -1) {
		free(f);
		return RSMERR_INSUFFICIENT_MEM;
	}
	f->limit.fire = limit_fire;
	rsmd_timer_set(r->rs, &f->limit, rsm_now_ms() + ADMIN_FORWARD_MS);
	return RSMD_DEFERRED;
}
