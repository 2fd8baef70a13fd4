/*
 * admin_serve.c - answering another node's rsmadm -n (proto/rsm_admin.h):
 * an RSM_PEER_INNER_ADMIN call names one request of the allow-list, which
 * runs through the same handler as a local one, as the remote operator
 * (admin.h), and its whole answer goes back in pages.
 *
 * Nothing the asking node says is trusted: the body is decoded exactly,
 * the type must be on this node's own allow-list, its argument exactly
 * the payload that type takes, in this node's byte order and passing
 * the checks a local request's would (rsm_admin_arg_check()), and a
 * later page is served only from a snapshot this node took for that
 * same node.  An answer longer than one page is kept as a snapshot until
 * its last page is read, ADMIN_SNAP_TTL_MS pass without a read,
 * ADMIN_SNAPS_MAX newer ones push it out, or its node goes down; an
 * asker that comes back for it then gets RSMERR_TIMEOUT.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "admin.h"
#include "handler.h"
#include "log.h"
#include "peer.h"
#include "rsm_admin.h"
#include "rsm_clock.h"

struct admin_snap {
	TAILQ_ENTRY(admin_snap) link;
	uint64_t	 id;		/* 0 until kept */
	uint32_t	 node;		/* who may read it */
	uint32_t	 type;
	uint64_t	 expires_ms;
	size_t		 nparts, cap_parts;
	size_t		*off, *len;	/* each part's place in buf */
	uint8_t		*buf;
	size_t		 used, cap;
	int		 full;		/* a part did not fit the caps */
};

static TAILQ_HEAD(, admin_snap) snaps = TAILQ_HEAD_INITIALIZER(snaps);
static size_t nsnaps;
static uint64_t last_snap_id;

void
admin_snap_free(struct admin_snap *s)
{
	if (s == NULL)
		return;
	free(s->off);
	free(s->len);
	free(s->buf);
	free(s);
}

size_t
admin_snap_parts(const struct admin_snap *s)
{
	return s->nparts;
}

const void *
admin_snap_part(const struct admin_snap *s, size_t i, size_t *len)
{
	*len = s->len[i];
	return s->buf + s->off[i];
}

/* Append one reply payload; past a cap the snapshot is marked full. */
static void
snap_add(struct admin_snap *s, const void *p, size_t len)
{
	if (s->full)
		return;
	if (len > RSM_ADMIN_PART_MAX || s->nparts == RSM_ADMIN_PARTS_MAX ||
	    len > RSM_ADMIN_STREAM_MAX - s->used) {
		s->full = 1;
		return;
	}
	if (s->nparts == s->cap_parts) {
		size_t n = s->cap_parts ? 2 * s->cap_parts : 16;
		size_t *off = realloc(s->off, n * sizeof(*off));
		size_t *ln;

		if (off != NULL)
			s->off = off;
		ln = off != NULL ? realloc(s->len, n * sizeof(*ln)) : NULL;
		if (ln == NULL) {
			s->full = 1;
			return;
		}
		s->len = ln;
		s->cap_parts = n;
	}
	if (len > s->cap - s->used) {
		size_t n = s->cap ? s->cap : 4096;
		uint8_t *b;

		while (n - s->used < len)
			n *= 2;
		if ((b = realloc(s->buf, n)) == NULL) {
			s->full = 1;
			return;
		}
		s->buf = b;
		s->cap = n;
	}
	s->off[s->nparts] = s->used;
	s->len[s->nparts] = len;
	if (len)
		memcpy(s->buf + s->used, p, len);
	s->used += len;
	s->nparts++;
}

/* struct req's hook: a reply before the last, into the snapshot. */
static void
snap_more(struct req *r, const void *p, size_t len)
{
	snap_add(r->more_arg, p, len);
}

struct admin_snap *
admin_collect(struct rsmd *rs, uint32_t type, const void *arg, size_t arglen,
    int *status)
{
	/* The handler reads its payload as the struct: aligned. */
	union {
		uint64_t align;
		uint8_t b[RSM_ADM_ARG_MAX];
	} payload;
	struct admin_snap *s;
	struct client anon;
	struct rsm_msg_hdr h;
	struct req r;
	handler_fn fn;
	int rc;

	if (!rsm_admin_remote_allowed(type) ||
	    (fn = control_handler_for((uint16_t)type)) == NULL) {
		*status = RSMERR_UNSUPPORTED_OPERATION;
		return NULL;
	}
	/* Both callers checked it; the handler trusts what it is given. */
	if (rsm_admin_arg_check(type, arg, arglen) != 0) {
		*status = RSMERR_BAD_ARGS_ERRORS;
		return NULL;
	}
	if (arglen)
		memcpy(payload.b, arg, arglen);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		*status = RSMERR_INSUFFICIENT_MEM;
		return NULL;
	}
	s->type = type;
	/* A client of nobody's, known to no list: the handler's asker. */
	memset(&anon, 0, sizeof(anon));
	reg_owner_init(&anon.owner, ADMIN_REMOTE_UID, ADMIN_REMOTE_GID, 0);
	anon.fd = -1;
	anon.io.fd = -1;
	TAILQ_INIT(&anon.outq);
	rsm_msg_hdr_init(&h, (uint16_t)type, 0, 0, 1, arglen);
	memset(&r, 0, sizeof(r));
	r.rs = rs;
	r.c = &anon;
	r.h = &h;
	r.p = arglen ? payload.b : NULL;
	r.plen = arglen;
	r.fd = -1;
	r.outfd = -1;
	r.more = snap_more;
	r.more_arg = s;
	rc = fn(&r);
	if (r.outfd_owned && r.outfd >= 0)
		close(r.outfd);
	/* No allowed handler answers later or passes a descriptor. */
	if (rc == RSMD_DEFERRED || (rc == RSM_SUCCESS && r.outfd >= 0))
		rc = RSMERR_INTERNAL_ERROR;
	if (rc == RSM_SUCCESS) {
		snap_add(s, &r.out, r.outlen);
		if (s->full)
			rc = RSMERR_INSUFFICIENT_RESOURCES;
	}
	if (rc != RSM_SUCCESS) {
		admin_snap_free(s);
		*status = rc;
		return NULL;
	}
	*status = RSM_SUCCESS;
	return s;
}

static void
snap_drop(struct admin_snap *s)
{
	TAILQ_REMOVE(&snaps, s, link);
	nsnaps--;
	admin_snap_free(s);
}

static void
snaps_expire(uint64_t now)
{
	struct admin_snap *s, *next;

	for (s = TAILQ_FIRST(&snaps); s != NULL; s = next) {
		next = TAILQ_NEXT(s, link);
		if (s->expires_ms <= now)
			snap_drop(s);
	}
}

/* Keep a snapshot for its later pages; the oldest goes if too many. */
static void
snap_keep(struct admin_snap *s, uint32_t node, uint64_t now)
{
	if (nsnaps == ADMIN_SNAPS_MAX)
		snap_drop(TAILQ_FIRST(&snaps));
	if (++last_snap_id == 0)
		last_snap_id = 1;
	s->id = last_snap_id;
	s->node = node;
	s->expires_ms = now + ADMIN_SNAP_TTL_MS;
	TAILQ_INSERT_TAIL(&snaps, s, link);
	nsnaps++;
}

static struct admin_snap *
snap_find(uint32_t node, uint64_t id)
{
	struct admin_snap *s;

	TAILQ_FOREACH(s, &snaps, link)
		if (s->id == id && s->node == node)
			return s;
	return NULL;
}

/* The page of s from part `first` on; 1 when it holds the last part. */
static int
page_fill(const struct rsmd *rs, const struct admin_snap *s, uint32_t first,
    uint64_t snap, void *reply, size_t *rlen)
{
	struct rsm_adm_page pg;
	size_t i;

	memset(&pg, 0, sizeof(pg));
	pg.type = s->type;
	pg.first = first;
	pg.total = (uint32_t)s->nparts;
	pg.snap = snap;
	pg.instance = rs->instance;
	rsm_adm_page_start(reply, rlen, &pg);
	/* The largest part always fits an empty page (rsm_admin.c). */
	for (i = first; i < s->nparts; i++)
		if (rsm_adm_page_add(reply, rlen, s->buf + s->off[i],
		    s->len[i]) == -1)
			break;
	return i == s->nparts;
}

/*
 * A first page's argument must be exactly what the request takes, in
 * this node's byte order, and pass the checks of a local request; a later
 * page carries none (rsm_adm_req_dec() saw to that).  0, or -1 logged.
 */
static int
arg_refused(struct rsmd *rs, uint32_t node, const struct rsm_adm_req *m)
{
	uint32_t order = RSM_ADMIN_ORDER;
	ssize_t want = m->first == 0 ?
	    rsm_msg_req_size((uint16_t)m->type) : 0;
	const char *why;
	int chk;

	if ((ssize_t)m->arglen != want)
		why = want ? "its argument is missing or not of its size" :
		    "it takes no argument";
	else if (m->arglen != 0 && m->order != order)
		why = "its argument's byte order is not this node's";
	else if (m->arglen != 0 &&
	    (chk = rsm_admin_arg_check(m->type, m->arg, m->arglen)) != 0)
		why = rsm_msgchk_str(chk);
	else
		return 0;
	log_refusal(&rs->refusal_log, RSMD_LOG_WARN, "node %u: remote "
	    "admin request %s refused: %s: %s (%u bytes)", node,
	    rsm_msg_name((uint16_t)m->type),
	    rsm_err_name(RSMERR_BAD_ARGS_ERRORS), why, m->arglen);
	return -1;
}

static int
serve_admin(struct rsmd *rs, uint32_t node, uint32_t inner, const void *body,
    size_t len, void *reply, size_t *reply_len)
{
	struct rsm_adm_req m;
	struct admin_snap *s;
	uint64_t now = rsm_now_ms();
	int rc;

	(void)inner;
	*reply_len = 0;
	snaps_expire(now);
	if (rsm_adm_req_dec(body, len, &m) == -1) {
		log_refusal(&rs->refusal_log, RSMD_LOG_WARN, "node %u: remote "
		    "admin request refused: %s: malformed (%zu bytes)", node,
		    rsm_err_name(RSMERR_BAD_ARGS_ERRORS), len);
		return RSMERR_BAD_ARGS_ERRORS;
	}
	if (!rsm_admin_remote_allowed(m.type)) {
		/* A request this node knows is refused; one it does not, unsupported. */
		rc = m.type <= UINT16_MAX &&
		    rsm_msg_req_size((uint16_t)m.type) >= 0 ?
		    RSMERR_PERM_DENIED : RSMERR_UNSUPPORTED_OPERATION;
		log_refusal(&rs->refusal_log, RSMD_LOG_WARN, "node %u: remote "
		    "admin request %s (type %u) refused: %s: not a read-only "
		    "request another node may ask", node, m.type <= UINT16_MAX ?
		    rsm_msg_name((uint16_t)m.type) : "UNKNOWN", m.type,
		    rsm_err_name(rc));
		return rc;
	}
	if (arg_refused(rs, node, &m) != 0)
		return RSMERR_BAD_ARGS_ERRORS;
	if (m.snap != 0) {
		/* A later page, of a snapshot taken for this node. */
		if ((s = snap_find(node, m.snap)) == NULL || s->type != m.type ||
		    m.first >= s->nparts) {
			log_info("node %u: remote %s: page %u of snapshot %"
			    PRIu64 " is not kept (expired, or pushed out)",
			    node, rsm_msg_name((uint16_t)m.type), m.first,
			    m.snap);
			return RSMERR_TIMEOUT;
		}
		s->expires_ms = now + ADMIN_SNAP_TTL_MS;
		if (page_fill(rs, s, m.first, s->id, reply, reply_len))
			snap_drop(s);
		return RSM_SUCCESS;
	}
	/* A request served, as a local one is counted (control.c). */
	rs->requests++;
	if ((s = admin_collect(rs, m.type, m.arg, m.arglen, &rc)) == NULL) {
		log_debug("node %u: remote %s -> %s", node,
		    rsm_msg_name((uint16_t)m.type), rsm_err_name(rc));
		return rc;
	}
	log_debug("node %u: remote %s: %zu replies", node,
	    rsm_msg_name((uint16_t)m.type), s->nparts);
	if (page_fill(rs, s, 0, 0, reply, reply_len)) {
		admin_snap_free(s);
		return RSM_SUCCESS;
	}
	/* Longer than a page: keep it, and name it in every page. */
	snap_keep(s, node, now);
	page_fill(rs, s, 0, s->id, reply, reply_len);
	return RSM_SUCCESS;
}

/* A node gone will not read its snapshots: drop them now. */
static void
node_state(struct rsmd *rs, uint32_t node, int up)
{
	struct admin_snap *s, *next;

	(void)rs;
	if (up)
		return;
	for (s = TAILQ_FIRST(&snaps); s != NULL; s = next) {
		next = TAILQ_NEXT(s, link);
		if (s->node == node)
			snap_drop(s);
	}
}

void
admin_shutdown(void)
{
	while (!TAILQ_EMPTY(&snaps))
		snap_drop(TAILQ_FIRST(&snaps));
}

int
admin_init(void)
{
	if (peer_handle(RSM_PEER_INNER_ADMIN, serve_admin) == -1 ||
	    peer_on_state(node_state) == -1) {
		log_errx("remote admin requests: peer tables full");
		return -1;
	}
	return 0;
}
