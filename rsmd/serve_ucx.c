/*
 * serve_ucx.c - the data service of controller ucx0.
 *
 * rsmd owns one UCP context and worker (libucp loaded with dlopen,
 * rdma/ucx_dl.h) whose event fd sits in the daemon's loop: every wakeup
 * progresses the worker until ucp_worker_arm() says nothing is pending,
 * so what UCX needs done at the target (TCP gets, active-message
 * fallbacks) is done by the daemon, never by the exporting application.
 *
 * Importers reach a UCP listener (any address, a free port; a remote
 * importer's daemon substitutes the peer address, as for tcp0) and prove
 * they hold a capability's token without sending it
 * (proto/rsm_ucx_wire.h): HELLO names the capability by its public id,
 * the daemon answers CHALLENGE with a nonce of this endpoint's own, and
 * only a PROOF over that nonce that verifies under the token attaches the
 * endpoint to its capability and is answered READY with the segment's
 * address in this daemon and an rkey packed from ucp_mem_map() of the
 * segment's mapping with exactly the import's rights (one map per
 * segment and access kind).  Everything an importer sends is checked
 * (size, magic, version, fields, the state of the handshake) before it
 * is used; what fails is a refusal, counted and logged (rate limited),
 * and closes the endpoint.  An endpoint not READY within 2 s of its
 * connect is closed.
 *
 * Revocation closes the capability's endpoints (forced close: the
 * importer's PEER-mode endpoint fails); unpublish, destroy and exporter
 * death also unmap the segment's regions (segment_released) before the
 * daemon answers.  A rebind cuts ucx0 importers off: their rkeys name the
 * old pages.
 */
#include "config.h"

#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "rsmapi.h"
#include "rsm_clock.h"
#include "rsm_ucx_wire.h"
#include "ucx_dl.h"
#include "capability.h"
#include "service.h"
#include "log.h"

#define US_CONNS_MAX		1024u
/* From the connect to READY: HELLO, CHALLENGE and PROOF all fit. */
#define US_HELLO_MS		2000u
#define US_SWEEP_MS		500u

/* Where an endpoint is in the handshake (proto/rsm_ucx_wire.h). */
enum us_state {
	US_HELLO,		/* waiting for HELLO */
	US_PROOF,		/* CHALLENGE sent: waiting for PROOF */
	US_READY,		/* READY sent: it serves its import */
	US_FAILED,		/* READY carried an error: closed by the sweep */
	US_DOOMED,		/* refused: closed once out of UCX's callbacks */
};

struct us_conn {
	struct cap_conn	 cc;		/* attached once its PROOF verified */
	TAILQ_ENTRY(us_conn) link;
	struct userv	*us;
	ucp_ep_h	 ep;
	uint64_t	 born_ms;
	enum us_state	 state;
	uint64_t	 cookie;	/* the HELLO's, in every answer */
	uint8_t		 cap_id[RSM_DATA_CAPID_LEN];	/* the HELLO's */
	uint8_t		 nonce[RSM_DATA_NONCE_LEN];	/* the CHALLENGE's */
	char		 peer[64];	/* the client's address, for logs */
};

/* One ucp_mem_map of a segment for one access kind. */
struct us_map {
	LIST_ENTRY(us_map) link;
	struct reg_segment *seg;
	uint32_t	 perm;
	ucp_mem_h	 memh;
	void		*rkey;
	size_t		 rkey_len;
};

struct userv {
	struct rsmd	*rs;
	const struct ucx_dl *u;
	ucp_context_h	 ctx;
	ucp_worker_h	 worker;
	ucp_listener_h	 listener;
	struct rsmd_io	 io;
	struct rsmd_timer kick;		/* progress after work we queued */
	struct rsmd_timer sweep;	/* endpoints not READY in time */
	TAILQ_HEAD(, us_conn) conns;
	unsigned	 nconns;
	LIST_HEAD(, us_map) maps;
	uint8_t		 addr[16];
	uint16_t	 port;
	char		 selected[160];
};

static struct userv *
us_of(const struct rsmd *rs)
{
	return rs->svc_state[RSM_XPORT_UCX];
}

static void
progress(struct userv *us)
{
	for (;;) {
		while (us->u->worker_progress(us->worker) != 0)
			;
		if (us->u->worker_arm(us->worker) != UCS_ERR_BUSY)
			return;
	}
}

static void
kick_soon(struct userv *us)
{
	rsmd_timer_set(us->rs, &us->kick, rsm_now_ms());
}

static void
conn_close(struct us_conn *k, const char *why)
{
	struct userv *us = k->us;
	ucp_request_param_t p = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS,
	    .flags = UCP_EP_CLOSE_FLAG_FORCE };
	void *req;

	log_debug("ucx0: endpoint closed: %s", why);
	cap_detach(&k->cc);
	TAILQ_REMOVE(&us->conns, k, link);
	us->nconns--;
	req = us->u->ep_close_nbx(k->ep, &p);
	/* Released by UCX once complete. */
	if (UCS_PTR_IS_PTR(req))
		us->u->request_free(req);
	free(k);
	kick_soon(us);
}

/*
 * Close k from inside one of its endpoint's active-message callbacks:
 * UCX is still using the endpoint there, so the close waits for the kick
 * timer, and until then k hears nothing (conn_of()).
 */
static void
conn_doom(struct us_conn *k)
{
	k->state = US_DOOMED;
	kick_soon(k->us);
}

/*
 * What the importer sent is refused: counted with the node's refusals,
 * logged (rate limited: whoever reaches the listener can provoke it at
 * will) and the endpoint closed.  Called from its callbacks.
 */
static void __attribute__((format(printf, 2, 3)))
conn_refused(struct us_conn *k, const char *fmt, ...)
{
	struct rsmd *rs = k->us->rs;
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	rs->refused++;
	log_refusal(&rs->refusal_log, RSMD_LOG_WARN, "ucx0: endpoint from %s "
	    "refused: %s", k->peer, why);
	conn_doom(k);
}

static struct us_conn *
conn_by_ep(struct userv *us, ucp_ep_h ep)
{
	struct us_conn *k;

	TAILQ_FOREACH(k, &us->conns, link)
		if (k->ep == ep)
			return k;
	return NULL;
}

static void
ep_failed(void *arg, ucp_ep_h ep, ucs_status_t status)
{
	struct us_conn *k = arg;

	(void)ep;
	log_debug("ucx0: endpoint failed: %s", k->us->u->status_string(status));
	conn_close(k, "peer failed");
}

/* The client's address, for the log lines of its refusals. */
static void
peer_text(struct userv *us, ucp_conn_request_h req, char *buf, size_t len)
{
	ucp_conn_request_attr_t a;

	memset(&a, 0, sizeof(a));
	a.field_mask = UCP_CONN_REQUEST_ATTR_FIELD_CLIENT_ADDR;
	if (us->u->conn_request_query(req, &a) == UCS_OK)
		rsmd_addr_text(&a.client_address, buf, len);
	else
		snprintf(buf, len, "an unknown address");
}

static void
on_conn_request(ucp_conn_request_h req, void *arg)
{
	struct userv *us = arg;
	ucp_ep_params_t p;
	struct us_conn *k;
	ucs_status_t st;

	if (us->nconns >= US_CONNS_MAX || (k = calloc(1, sizeof(*k))) ==
	    NULL) {
		log_refusal(&us->rs->refusal_log, RSMD_LOG_WARN, "ucx0: "
		    "connection refused: %u endpoints open", us->nconns);
		(void)us->u->listener_reject(us->listener, req);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.field_mask = UCP_EP_PARAM_FIELD_CONN_REQUEST |
	    UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE |
	    UCP_EP_PARAM_FIELD_ERR_HANDLER;
	p.conn_request = req;
	p.err_mode = UCP_ERR_HANDLING_MODE_PEER;
	p.err_handler.cb = ep_failed;
	p.err_handler.arg = k;
	k->us = us;
	k->born_ms = rsm_now_ms();
	k->state = US_HELLO;
	peer_text(us, req, k->peer, sizeof(k->peer));
	if ((st = us->u->ep_create(us->worker, &p, &k->ep)) != UCS_OK) {
		log_warnx("ucx0: ucp_ep_create: %s", us->u->status_string(st));
		free(k);
		return;
	}
	TAILQ_INSERT_TAIL(&us->conns, k, link);
	us->nconns++;
}

static void
send_done(void *request, ucs_status_t status, void *user_data)
{
	(void)request;
	(void)status;
	free(user_data);
}

/*
 * Active message id on k's endpoint: the header, then data (may be
 * NULL), both copied, as UCX may send after this returns.
 */
static void
send_am(struct us_conn *k, unsigned id, const void *hdr, size_t hdr_len,
    const void *data, size_t data_len)
{
	struct userv *us = k->us;
	ucp_request_param_t p;
	char *buf;
	void *req;

	if ((buf = malloc(hdr_len + data_len)) == NULL) {
		log_warn("ucx0: endpoint from %s", k->peer);
		conn_doom(k);
		return;
	}
	memcpy(buf, hdr, hdr_len);
	if (data_len)
		memcpy(buf + hdr_len, data, data_len);
	memset(&p, 0, sizeof(p));
	p.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK |
	    UCP_OP_ATTR_FIELD_USER_DATA | UCP_OP_ATTR_FIELD_FLAGS;
	p.cb.send = send_done;
	p.user_data = buf;
	/* REPLY: the importer checks which endpoint an answer came on. */
	p.flags = UCP_AM_SEND_FLAG_REPLY | UCP_AM_SEND_FLAG_EAGER;
	req = us->u->am_send_nbx(k->ep, id, buf, hdr_len,
	    data_len ? buf + hdr_len : NULL, data_len, &p);
	if (UCS_PTR_IS_PTR(req))
		us->u->request_free(req);
	else
		free(buf);
	kick_soon(us);
}

/* READY: the header, then the rkey (NULL with an error status). */
static void
send_ready(struct us_conn *k, const struct rsm_ucx_ready *r,
    const void *rkey, size_t rkey_len)
{
	k->state = r->status == RSM_SUCCESS ? US_READY : US_FAILED;
	/* A READY that could not go out leaves k doomed. */
	send_am(k, RSM_UCX_AM_READY, r, sizeof(*r), rkey, rkey_len);
}

static struct us_map *
map_for(struct userv *us, struct reg_segment *s, uint32_t perm)
{
	ucp_mem_map_params_t p;
	struct us_map *m;
	ucs_status_t st;

	LIST_FOREACH(m, &us->maps, link)
		if (m->seg == s && m->perm == perm)
			return m;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	memset(&p, 0, sizeof(p));
	p.field_mask = UCP_MEM_MAP_PARAM_FIELD_ADDRESS |
	    UCP_MEM_MAP_PARAM_FIELD_LENGTH | UCP_MEM_MAP_PARAM_FIELD_PROT;
	p.address = s->map;
	p.length = s->size;
	p.prot = UCP_MEM_MAP_PROT_LOCAL_READ | UCP_MEM_MAP_PROT_LOCAL_WRITE;
	if (perm & RSM_PERM_READ)
		p.prot |= UCP_MEM_MAP_PROT_REMOTE_READ;
	if (perm & RSM_PERM_WRITE)
		p.prot |= UCP_MEM_MAP_PROT_REMOTE_WRITE;
	if ((st = us->u->mem_map(us->ctx, &p, &m->memh)) != UCS_OK) {
		log_warnx("ucx0: segment %#x: ucp_mem_map: %s", s->segid,
		    us->u->status_string(st));
		free(m);
		return NULL;
	}
	if ((st = us->u->rkey_pack(us->ctx, m->memh, &m->rkey,
	    &m->rkey_len)) != UCS_OK || m->rkey_len > RSM_UCX_RKEY_MAX) {
		log_warnx("ucx0: segment %#x: ucp_rkey_pack: %s", s->segid,
		    st != UCS_OK ? us->u->status_string(st) : "too large");
		if (st == UCS_OK)
			us->u->rkey_buffer_release(m->rkey);
		(void)us->u->mem_unmap(us->ctx, m->memh);
		free(m);
		return NULL;
	}
	m->seg = s;
	m->perm = perm;
	LIST_INSERT_HEAD(&us->maps, m, link);
	return m;
}

static void
map_free(struct userv *us, struct us_map *m)
{
	LIST_REMOVE(m, link);
	us->u->rkey_buffer_release(m->rkey);
	(void)us->u->mem_unmap(us->ctx, m->memh);
	free(m);
}

/*
 * The start every handshake message shares: 1 when its size, magic and
 * version are right, else 0 with the endpoint refused.  Another version
 * is named, so an importer of another release is told from garbage;
 * version 1's HELLO had zero there.  Only a header: data or rendezvous
 * is refused.
 */
static int
check_head(struct us_conn *k, const char *what, const void *header,
    size_t header_length, size_t want, size_t length,
    const ucp_am_recv_param_t *param)
{
	struct { uint32_t magic, version; } h = { 0, 0 };

	if (header_length >= sizeof(h))
		memcpy(&h, header, sizeof(h));
	if (h.magic == RSM_UCX_MAGIC && h.version != RSM_UCX_VERSION) {
		conn_refused(k, "%s of wire version %u%s; this daemon speaks "
		    "version %u", what, h.version == 0 ? 1u : h.version,
		    h.version == 0 ? " (the raw token)" : "", RSM_UCX_VERSION);
		return 0;
	}
	if (header_length != want || length != 0 ||
	    (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV)) {
		conn_refused(k, "%s of %zu header and %zu data bytes, not %zu "
		    "and 0", what, header_length, length, want);
		return 0;
	}
	if (h.magic != RSM_UCX_MAGIC) {
		conn_refused(k, "%s with bad magic %#x", what, h.magic);
		return 0;
	}
	return 1;
}

/*
 * The endpoint an importer's message came on, or NULL: the message is
 * ignored (no endpoint of ours, or one refused already).
 */
static struct us_conn *
conn_of(struct userv *us, const ucp_am_recv_param_t *param)
{
	struct us_conn *k;

	if (!(param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP) ||
	    (k = conn_by_ep(us, param->reply_ep)) == NULL ||
	    k->state == US_DOOMED)
		return NULL;
	return k;
}

/* HELLO: a live capability's public id; answered with a fresh nonce. */
static ucs_status_t
on_hello(void *arg, const void *header, size_t header_length, void *data,
    size_t length, const ucp_am_recv_param_t *param)
{
	struct userv *us = arg;
	struct rsm_ucx_challenge c;
	struct rsm_ucx_hello h;
	struct us_conn *k;

	(void)data;
	if ((k = conn_of(us, param)) == NULL)
		return UCS_OK;
	if (k->state != US_HELLO) {
		conn_refused(k, "a second HELLO");
		return UCS_OK;
	}
	if (!check_head(k, "HELLO", header, header_length, sizeof(h), length,
	    param))
		return UCS_OK;
	memcpy(&h, header, sizeof(h));
	if (cap_find_id(us->rs, &rsmd_serve_ucx, h.cap_id) == NULL) {
		conn_refused(k, "HELLO names no live capability");
		return UCS_OK;
	}
	k->cookie = h.cookie;
	memcpy(k->cap_id, h.cap_id, sizeof(k->cap_id));
	randombytes_buf(k->nonce, sizeof(k->nonce));
	k->state = US_PROOF;
	memset(&c, 0, sizeof(c));
	c.magic = RSM_UCX_MAGIC;
	c.version = RSM_UCX_VERSION;
	c.cookie = k->cookie;
	memcpy(c.nonce, k->nonce, sizeof(c.nonce));
	send_am(k, RSM_UCX_AM_CHALLENGE, &c, sizeof(c), NULL, 0);
	return UCS_OK;
}

/*
 * PROOF: the HELLO's id and cookie, and a MAC under the token over this
 * endpoint's nonce.  The capability is looked up again (it may have been
 * revoked since the HELLO); only then is the rkey sent.
 */
static ucs_status_t
on_proof(void *arg, const void *header, size_t header_length, void *data,
    size_t length, const ucp_am_recv_param_t *param)
{
	struct userv *us = arg;
	struct rsm_ucx_ready r;
	struct rsm_ucx_proof pr;
	struct reg_segment *s;
	struct rsmd_cap *cap;
	struct us_conn *k;
	struct us_map *map;
	int ok;

	(void)data;
	if ((k = conn_of(us, param)) == NULL)
		return UCS_OK;
	if (k->state != US_PROOF) {
		conn_refused(k, k->state == US_HELLO ? "PROOF before HELLO" :
		    "a second PROOF");
		return UCS_OK;
	}
	if (!check_head(k, "PROOF", header, header_length, sizeof(pr), length,
	    param))
		return UCS_OK;
	memcpy(&pr, header, sizeof(pr));
	if (pr.cookie != k->cookie ||
	    memcmp(pr.hello.cap_id, k->cap_id, sizeof(k->cap_id)) != 0) {
		conn_refused(k, "PROOF names another capability or cookie "
		    "than its HELLO");
		return UCS_OK;
	}
	if ((cap = cap_find_id(us->rs, &rsmd_serve_ucx, k->cap_id)) == NULL) {
		conn_refused(k, "PROOF for a capability no longer live");
		return UCS_OK;
	}
	ok = rsm_data_hello_verify_ucx(cap->token, k->nonce, &pr.hello);
	/* One PROOF per nonce: the state moves on either way. */
	sodium_memzero(k->nonce, sizeof(k->nonce));
	if (!ok) {
		conn_refused(k, "proof does not verify (import %#llx of "
		    "segment %#x)", (unsigned long long)cap->im->handle,
		    cap->im->segid);
		return UCS_OK;
	}
	memset(&r, 0, sizeof(r));
	r.magic = RSM_UCX_MAGIC;
	r.cookie = k->cookie;
	s = cap->im->seg;
	if (cap_attach(cap, &k->cc) == -1) {
		us->rs->refused++;
		log_refusal(&us->rs->refusal_log, RSMD_LOG_WARN, "ucx0: "
		    "endpoint from %s refused: already %u endpoints for its "
		    "token", k->peer, cap->nconns);
		r.status = RSMERR_INSUFFICIENT_RESOURCES;
		send_ready(k, &r, NULL, 0);
		return UCS_OK;
	}
	if ((map = map_for(us, s, cap->perm)) == NULL) {
		cap_detach(&k->cc);
		r.status = RSMERR_INSUFFICIENT_MEM;
		send_ready(k, &r, NULL, 0);
		return UCS_OK;
	}
	r.status = RSM_SUCCESS;
	r.base = (uint64_t)(uintptr_t)s->map;
	r.size = s->size;
	r.perm = cap->perm;
	r.rkey_len = (uint32_t)map->rkey_len;
	send_ready(k, &r, map->rkey, map->rkey_len);
	return UCS_OK;
}

static ucs_status_t
on_signal(void *arg, const void *header, size_t header_length, void *data,
    size_t length, const ucp_am_recv_param_t *param)
{
	struct userv *us = arg;
	struct rsm_ucx_signal m;
	struct reg_import *im;
	struct us_conn *k;

	(void)data;
	if ((k = conn_of(us, param)) == NULL)
		return UCS_OK;
	if (k->state != US_READY) {
		conn_refused(k, "SIGNAL before READY");
		return UCS_OK;
	}
	memset(&m, 0, sizeof(m));
	memcpy(&m, header, header_length < sizeof(m) ? header_length :
	    sizeof(m));
	if (header_length != sizeof(m) || length != 0 ||
	    m.magic != RSM_UCX_MAGIC ||
	    (m.flags & ~(uint32_t)RSM_SIGPOST_NO_ACCUMULATE) != 0) {
		conn_refused(k, "malformed SIGNAL (%zu header and %zu data "
		    "bytes)", header_length, length);
		return UCS_OK;
	}
	if (k->cc.cap == NULL || (im = k->cc.cap->im) == NULL ||
	    im->seg == NULL)
		return UCS_OK;
	/* Exporters are always clients of this daemon. */
	notify_event(us->rs, (struct client *)(void *)im->seg->owner,
	    RSM_HKIND_EXPORT, m.flags, im->seg->handle);
	return UCS_OK;
}

static void
worker_ready(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	(void)io;
	(void)events;
	if (us_of(rs) != NULL)
		progress(us_of(rs));
}

/* Work queued from UCX's callbacks: refused endpoints closed, progress. */
static void
kick_fire(struct rsmd *rs, struct rsmd_timer *t)
{
	struct userv *us = us_of(rs);
	struct us_conn *k, *next;

	(void)t;
	if (us == NULL)
		return;
	for (k = TAILQ_FIRST(&us->conns); k != NULL; k = next) {
		next = TAILQ_NEXT(k, link);
		if (k->state == US_DOOMED)
			conn_close(k, "refused");
	}
	progress(us);
}

static void
sweep_fire(struct rsmd *rs, struct rsmd_timer *t)
{
	struct userv *us = us_of(rs);
	struct us_conn *k, *next;
	uint64_t now = rsm_now_ms();

	if (us == NULL)
		return;
	for (k = TAILQ_FIRST(&us->conns); k != NULL; k = next) {
		next = TAILQ_NEXT(k, link);
		if (k->state == US_READY || k->state == US_DOOMED ||
		    now - k->born_ms < US_HELLO_MS)
			continue;
		/* A failed READY told the importer; it had its time. */
		if (k->state == US_FAILED)
			conn_close(k, "READY failed");
		else
			conn_refused(k, "no %s within %u ms", k->state ==
			    US_HELLO ? "HELLO" : "PROOF", US_HELLO_MS);
	}
	rsmd_timer_set(rs, t, now + US_SWEEP_MS);
}

static int
set_handler(struct userv *us, unsigned id, ucp_am_recv_callback_t cb)
{
	ucp_am_handler_param_t p;

	memset(&p, 0, sizeof(p));
	p.field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID |
	    UCP_AM_HANDLER_PARAM_FIELD_CB | UCP_AM_HANDLER_PARAM_FIELD_ARG;
	p.id = id;
	p.cb = cb;
	p.arg = us;
	return us->u->worker_set_am_recv_handler(us->worker, &p) == UCS_OK ?
	    0 : -1;
}

static void
us_free(struct userv *us)
{
	if (us->listener != NULL)
		us->u->listener_destroy(us->listener);
	if (us->worker != NULL)
		us->u->worker_destroy(us->worker);
	if (us->ctx != NULL)
		us->u->cleanup(us->ctx);
	free(us);
}

static int
us_open(struct rsmd *rs)
{
	(void)rs;
	return 0;
}

/* After the fork: UCX's threads and descriptors do not survive daemon(). */
static int
us_start(struct rsmd *rs)
{
	const struct ucx_dl *u = ucx_dl_open();
	ucp_worker_params_t wp;
	ucp_listener_params_t lp;
	ucp_listener_attr_t la;
	struct sockaddr_in sin;
	ucp_config_t *cfg;
	ucp_params_t p;
	struct userv *us;
	ucs_status_t st;
	const char *what = NULL;

	/*
	 * Off unless asked for: UCX's tcp transport does not check remote
	 * keys at the target, so whoever reaches the listener could write
	 * to a mapped segment before rsmd has checked its PROOF.
	 */
	if (!rs->conf.ucx) {
		log_info("controller ucx0 is off (ucx = 1 in rsmd.conf "
		    "serves it on a trusted network)");
		return 0;
	}
	if (u == NULL) {
		log_info("controller ucx0 is not available on this node: %s",
		    ucx_dl_why());
		return 0;
	}
	if ((us = calloc(1, sizeof(*us))) == NULL) {
		log_warn("ucx0");
		return 0;
	}
	us->rs = rs;
	us->u = u;
	us->io.fd = -1;
	TAILQ_INIT(&us->conns);
	LIST_INIT(&us->maps);
	memset(&p, 0, sizeof(p));
	p.field_mask = UCP_PARAM_FIELD_FEATURES;
	p.features = UCP_FEATURE_RMA | UCP_FEATURE_AM | UCP_FEATURE_WAKEUP;
	/* UCX_* variables apply as for any UCX program. */
	if ((st = u->config_read(NULL, NULL, &cfg)) != UCS_OK) {
		what = "ucp_config_read";
		goto fail;
	}
	st = ucx_dl_init(u, &p, cfg, &us->ctx);
	u->config_release(cfg);
	if (st != UCS_OK) {
		what = "ucp_init";
		goto fail;
	}
	memset(&wp, 0, sizeof(wp));
	wp.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
	wp.thread_mode = UCS_THREAD_MODE_SINGLE;
	if ((st = u->worker_create(us->ctx, &wp, &us->worker)) != UCS_OK) {
		what = "ucp_worker_create";
		goto fail;
	}
	if ((st = u->worker_get_efd(us->worker, &us->io.fd)) != UCS_OK) {
		what = "ucp_worker_get_efd";
		goto fail;
	}
	if (set_handler(us, RSM_UCX_AM_HELLO, on_hello) == -1 ||
	    set_handler(us, RSM_UCX_AM_PROOF, on_proof) == -1 ||
	    set_handler(us, RSM_UCX_AM_SIGNAL, on_signal) == -1) {
		st = UCS_ERR_NO_RESOURCE;
		what = "ucp_worker_set_am_recv_handler";
		goto fail;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	memset(&lp, 0, sizeof(lp));
	lp.field_mask = UCP_LISTENER_PARAM_FIELD_SOCK_ADDR |
	    UCP_LISTENER_PARAM_FIELD_CONN_HANDLER;
	lp.sockaddr.addr = (const struct sockaddr *)&sin;
	lp.sockaddr.addrlen = sizeof(sin);
	lp.conn_handler.cb = on_conn_request;
	lp.conn_handler.arg = us;
	if ((st = u->listener_create(us->worker, &lp, &us->listener)) !=
	    UCS_OK) {
		what = "ucp_listener_create";
		goto fail;
	}
	la.field_mask = UCP_LISTENER_ATTR_FIELD_SOCKADDR;
	if ((st = u->listener_query(us->listener, &la)) != UCS_OK ||
	    la.sockaddr.ss_family != AF_INET) {
		what = "ucp_listener_query";
		goto fail;
	}
	us->port = ntohs(((struct sockaddr_in *)&la.sockaddr)->sin_port);
	/* A wildcard bind: this node reaches it on loopback. */
	us->addr[0] = 127;
	us->addr[3] = 1;
	us->io.ready = worker_ready;
	us->kick.fire = kick_fire;
	us->sweep.fire = sweep_fire;
	if (rsmd_io_add(rs, &us->io, EPOLLIN) == -1) {
		log_warn("ucx0: epoll_ctl");
		us->io.fd = -1;
		us_free(us);
		return 0;
	}
	ucx_dl_describe(u, us->ctx, us->selected, sizeof(us->selected));
	rs->svc_state[RSM_XPORT_UCX] = us;
	rsmd_timer_set(rs, &us->sweep, rsm_now_ms() + US_SWEEP_MS);
	progress(us);
	log_info("controller ucx0: UCP listener on port %u (%s)", us->port,
	    us->selected[0] ? us->selected : "no transports listed");
	return 0;
fail:
	log_warnx("controller ucx0 is not available on this node: %s: %s",
	    what, u->status_string(st));
	us_free(us);
	return 0;
}

static void
us_stop(struct rsmd *rs)
{
	struct userv *us = us_of(rs);

	if (us == NULL)
		return;
	cap_revoke_service(rs, &rsmd_serve_ucx);
	while (!TAILQ_EMPTY(&us->conns))
		conn_close(TAILQ_FIRST(&us->conns), "daemon stops");
	while (!LIST_EMPTY(&us->maps))
		map_free(us, LIST_FIRST(&us->maps));
	rsmd_timer_cancel(rs, &us->kick);
	rsmd_timer_cancel(rs, &us->sweep);
	rsmd_io_del(rs, &us->io);
	progress(us);
	rs->svc_state[RSM_XPORT_UCX] = NULL;
	us_free(us);
}

static unsigned
us_units(const struct rsmd *rs)
{
	return us_of(rs) != NULL ? 1 : 0;
}

static int
us_serving(const struct rsmd *rs)
{
	return us_of(rs) != NULL;
}

static int
us_ctlr(struct rsmd *rs, uint32_t unit, struct rsm_msg_ctlr_reply *r)
{
	(void)r;
	if (unit != 0 || us_of(rs) == NULL) {
		log_info("controller ucx%u requested: not present (%s)", unit,
		    us_of(rs) == NULL ? ucx_dl_why() : "only ucx0 exists");
		return RSMERR_CTLR_NOT_PRESENT;
	}
	return RSM_SUCCESS;
}

static int
us_issue(struct rsmd *rs, struct rsmd_cap *cap, struct rsm_wire_cap *w)
{
	const struct userv *us = us_of(rs);

	(void)cap;
	if (us == NULL)
		return RSMERR_CTLR_NOT_PRESENT;
	memcpy(w->addr, us->addr, sizeof(w->addr));
	w->port = us->port;
	w->family = RSM_CAP_INET;
	w->kind = RSM_CAPK_UCX;
	return RSM_SUCCESS;
}

static void
us_revoke(struct rsmd *rs, struct rsmd_cap *cap, uint32_t reason)
{
	struct userv *us = us_of(rs);
	struct cap_conn *cc;

	(void)reason;
	if (us == NULL)
		return;
	while ((cc = LIST_FIRST(&cap->conns)) != NULL)
		conn_close((struct us_conn *)(void *)cc, "capability revoked");
	/* The forced closes go out now, before the daemon's reply. */
	progress(us);
}

static void
us_released(struct rsmd *rs, struct reg_segment *s)
{
	struct userv *us = us_of(rs);
	struct us_map *m, *next;

	if (us == NULL)
		return;
	for (m = LIST_FIRST(&us->maps); m != NULL; m = next) {
		next = LIST_NEXT(m, link);
		if (m->seg == s)
			map_free(us, m);
	}
}

/* The rkeys name the old pages: importers are revoked, regions unmapped. */
static int
us_rebound(struct rsmd *rs, struct reg_segment *s)
{
	struct userv *us = us_of(rs);
	struct us_map *m;

	if (us == NULL)
		return 0;
	LIST_FOREACH(m, &us->maps, link)
		if (m->seg == s)
			return -1;
	return 0;
}

const struct rsmd_service rsmd_serve_ucx = {
	.name = "ucx0",
	.xport = RSM_XPORT_UCX,
	.open = us_open,
	.start = us_start,
	.stop = us_stop,
	.units = us_units,
	.serving = us_serving,
	.ctlr = us_ctlr,
	.issue = us_issue,
	.revoke = us_revoke,
	.segment_released = us_released,
	.segment_rebound = us_rebound,
};
