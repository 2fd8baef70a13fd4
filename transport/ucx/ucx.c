/*
 * ucx.c - the ucx0 transport: connect to the exporting daemon's UCP
 * listener, prove the token without sending it (HELLO with the
 * capability's public id, the daemon's CHALLENGE, a PROOF over its nonce),
 * then one-sided puts and gets with the rkey its READY carries
 * (proto/rsm_ucx_wire.h).
 *
 * A put returns once UCX has its buffer (the caller may reuse it);
 * completion is the flush (ucp_ep_flush_nbx).  order_barrier is
 * ucp_worker_fence.  Signals are active messages on the same endpoint,
 * sent after a flush, so they follow every put before them.  The
 * endpoint uses error handling mode PEER: when the daemon closes it
 * (revocation) or dies, every pending and later call fails with
 * RSMERR_CONN_ABORTED.
 */
#include "config.h"
#include "ucx.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "rsmapi.h"
#include "rsm_clock.h"
#include "rsm_data.h"
#include "rsm_forkgen.h"
#include "transport.h"

static void
ep_failed(void *arg, ucp_ep_h ep, ucs_status_t status)
{
	struct ucx_conn *c = arg;

	(void)ep;
	(void)status;
	c->failed = 1;
}

/*
 * Enter an op on c: NULL-safe checks, then the process mutex.  A
 * connection made before a fork is the parent's: refused before the
 * mutex, which a parent thread may have held.
 */
static int
enter(struct rsm_xport_seg *seg, struct ucx_conn **cp)
{
	struct ucx_conn *c = seg != NULL ? seg->priv : NULL;

	if (c == NULL)
		return RSMERR_CONN_ABORTED;
	if (rsm_forkgen_in_child(c->gen) ||
	    atomic_load_explicit(&c->aborted, memory_order_relaxed))
		return RSMERR_CONN_ABORTED;
	pthread_mutex_lock(&c->p->mtx);
	if (c->failed || c->ep == NULL) {
		pthread_mutex_unlock(&c->p->mtx);
		return RSMERR_CONN_ABORTED;
	}
	*cp = c;
	return RSM_SUCCESS;
}

static void
leave(struct ucx_conn *c)
{
	pthread_mutex_unlock(&c->p->mtx);
}

static int
cancelled(const struct rsm_xport_target *t)
{
	return t->cancel != NULL &&
	    atomic_load_explicit(t->cancel, memory_order_relaxed);
}

/* One handshake message on c's endpoint, sent before this returns. */
static int
send_hs(struct ucx_conn *c, unsigned id, const void *msg, size_t len)
{
	ucp_request_param_t rp;

	memset(&rp, 0, sizeof(rp));
	rp.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
	/* REPLY: the daemon knows the endpoint a message came on. */
	rp.flags = UCP_AM_SEND_FLAG_REPLY | UCP_AM_SEND_FLAG_EAGER;
	return ucx_wait(c, c->p->u->am_send_nbx(c->ep, id, msg, len, NULL, 0,
	    &rp));
}

/* Progress until *flag (set by ucx_proc.c's handlers), within the limit. */
static int
wait_for(struct ucx_conn *c, const struct rsm_xport_target *t, const int *flag)
{
	uint64_t t0 = rsm_now_ms();

	while (!*flag) {
		if (c->p->u->worker_progress(c->p->worker) != 0)
			continue;
		if (c->failed || cancelled(t))
			return RSMERR_CONN_ABORTED;
		if (rsm_now_ms() - t0 > UCX_CONNECT_MS)
			return RSMERR_CONN_ABORTED;
	}
	return RSM_SUCCESS;
}

/*
 * The handshake: HELLO names the capability by its public id, the
 * daemon's CHALLENGE brings a nonce, the PROOF is the MAC over it under
 * the token (which never leaves this process), and READY the rkey.
 */
static int
do_hello(struct ucx_conn *c, const struct rsm_xport_target *t)
{
	const struct ucx_dl *u = c->p->u;
	struct rsm_ucx_hello h;
	struct rsm_ucx_proof pr;
	int rc;

	memset(&h, 0, sizeof(h));
	h.magic = RSM_UCX_MAGIC;
	h.version = RSM_UCX_VERSION;
	h.cookie = c->cookie;
	rsm_data_cap_id(t->cap->token, h.cap_id);
	if ((rc = send_hs(c, RSM_UCX_AM_HELLO, &h, sizeof(h))) != RSM_SUCCESS ||
	    (rc = wait_for(c, t, &c->challenged)) != RSM_SUCCESS)
		return rc;
	memset(&pr, 0, sizeof(pr));
	pr.magic = RSM_UCX_MAGIC;
	pr.version = RSM_UCX_VERSION;
	pr.cookie = c->cookie;
	rsm_data_hello_prove_ucx(t->cap->token, c->nonce, &pr.hello);
	/* From now on a READY is expected (it may come during the send). */
	c->proved = 1;
	if ((rc = send_hs(c, RSM_UCX_AM_PROOF, &pr, sizeof(pr))) !=
	    RSM_SUCCESS || (rc = wait_for(c, t, &c->ready)) != RSM_SUCCESS)
		return rc;
	if (c->rmsg.status != RSM_SUCCESS)
		return c->rmsg.status < 0 ? RSMERR_CONN_ABORTED :
		    c->rmsg.status;
	if (c->rmsg.size != t->size || c->rmsg.perm != t->perm ||
	    c->rmsg.rkey_len == 0 || c->rkey_buf == NULL)
		return RSMERR_CONN_ABORTED;
	if (u->ep_rkey_unpack(c->ep, c->rkey_buf, &c->rkey) != UCS_OK)
		return RSMERR_CONN_ABORTED;
	c->base = c->rmsg.base;
	c->size = t->size;
	c->perm = t->perm;
	return RSM_SUCCESS;
}

static void
conn_free(struct ucx_conn *c)
{
	const struct ucx_dl *u = c->p->u;
	ucp_request_param_t p = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS,
	    .flags = UCP_EP_CLOSE_FLAG_FORCE };
	ucs_status_ptr_t req;
	uint64_t t0;

	if (c->rkey != NULL)
		u->rkey_destroy(c->rkey);
	if (c->ep != NULL) {
		req = u->ep_close_nbx(c->ep, &p);
		if (UCS_PTR_IS_PTR(req)) {
			t0 = rsm_now_ms();
			while (u->request_check_status(req) == UCS_INPROGRESS &&
			    rsm_now_ms() - t0 < UCX_CLOSE_MS)
				(void)u->worker_progress(c->p->worker);
			u->request_free(req);
		}
	}
	free(c->rkey_buf);
	free(c);
}

static int
ucx_connect(struct rsm_xport_seg *seg, const struct rsm_xport_target *t)
{
	struct sockaddr_storage ss;
	struct ucx_proc *p;
	struct ucx_conn *c;
	ucp_ep_params_t ep;
	socklen_t sl;
	int rc, err;

	if (seg == NULL || t == NULL || t->cap == NULL || t->size == 0)
		return RSMERR_BAD_ARGS_ERRORS;
	if (t->cap->kind != RSM_CAPK_UCX || t->cap->port == 0 ||
	    (t->cap->family != RSM_CAP_INET && t->cap->family !=
	    RSM_CAP_INET6))
		return RSMERR_CONN_ABORTED;
	if ((p = ucx_proc_get(&err)) == NULL)
		return err;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	c->p = p;
	c->gen = p->gen;
	memset(&ss, 0, sizeof(ss));
	if (t->cap->family == RSM_CAP_INET) {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, t->cap->addr, 4);
		s4->sin_port = htons(t->cap->port);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, t->cap->addr, 16);
		s6->sin6_port = htons(t->cap->port);
		sl = sizeof(*s6);
	}
	memset(&ep, 0, sizeof(ep));
	ep.field_mask = UCP_EP_PARAM_FIELD_SOCK_ADDR |
	    UCP_EP_PARAM_FIELD_FLAGS | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE |
	    UCP_EP_PARAM_FIELD_ERR_HANDLER;
	ep.flags = UCP_EP_PARAMS_FLAGS_CLIENT_SERVER;
	ep.sockaddr.addr = (const struct sockaddr *)&ss;
	ep.sockaddr.addrlen = sl;
	ep.err_mode = UCP_ERR_HANDLING_MODE_PEER;
	ep.err_handler.cb = ep_failed;
	ep.err_handler.arg = c;
	pthread_mutex_lock(&p->mtx);
	c->cookie = ++p->next_cookie;
	if (p->u->ep_create(p->worker, &ep, &c->ep) != UCS_OK) {
		c->ep = NULL;
		rc = RSMERR_REMOTE_NODE_UNREACHABLE;
	} else {
		TAILQ_INSERT_TAIL(&p->waiting, c, wlink);
		rc = do_hello(c, t);
		TAILQ_REMOVE(&p->waiting, c, wlink);
	}
	if (rc != RSM_SUCCESS) {
		conn_free(c);
		pthread_mutex_unlock(&p->mtx);
		return rc;
	}
	pthread_mutex_unlock(&p->mtx);
	rsm_xport_seg_open(seg, NULL, t->size, t->prot, c);
	return RSM_SUCCESS;
}

static int
ucx_disconnect(struct rsm_xport_seg *seg)
{
	struct ucx_conn *c = seg != NULL ? seg->priv : NULL;
	struct ucx_proc *p;

	if (c == NULL)
		return RSM_SUCCESS;
	p = c->p;
	/* The parent's endpoint: only our copy of the memory goes. */
	if (rsm_forkgen_in_child(c->gen)) {
		free(c->rkey_buf);
		free(c);
		return RSM_SUCCESS;
	}
	pthread_mutex_lock(&p->mtx);
	conn_free(c);
	pthread_mutex_unlock(&p->mtx);
	return RSM_SUCCESS;
}

static int
ucx_fence(struct rsm_xport_seg *seg)
{
	struct ucx_conn *c;
	int rc;

	if ((rc = enter(seg, &c)) != RSM_SUCCESS)
		return rc;
	rc = ucx_err(c->p->u->worker_fence(c->p->worker));
	leave(c);
	return rc;
}

static int
ucx_flush(struct rsm_xport_seg *seg)
{
	ucp_request_param_t p = { .op_attr_mask = 0 };
	struct ucx_conn *c;
	int rc;

	if ((rc = enter(seg, &c)) != RSM_SUCCESS)
		return rc;
	rc = ucx_wait(c, c->p->u->ep_flush_nbx(c->ep, &p));
	leave(c);
	return rc;
}

static int
check(const struct ucx_conn *c, size_t off, size_t len, uint32_t need)
{
	if (!(c->perm & need))
		return RSMERR_PERM_DENIED;
	if (off > c->size || len > c->size - off)
		return RSMERR_BAD_LENGTH;
	return RSM_SUCCESS;
}

static int
xfer(struct ucx_conn *c, int is_put, size_t off, void *buf, size_t len)
{
	ucp_request_param_t p = { .op_attr_mask = 0 };
	const struct ucx_dl *u = c->p->u;
	int rc;

	if ((rc = check(c, off, len, is_put ? RSM_PERM_WRITE :
	    RSM_PERM_READ)) != RSM_SUCCESS || len == 0)
		return rc;
	if (is_put)
		return ucx_wait(c, u->put_nbx(c->ep, buf, len, c->base + off,
		    c->rkey, &p));
	return ucx_wait(c, u->get_nbx(c->ep, buf, len, c->base + off,
	    c->rkey, &p));
}

static int
ucx_get(struct rsm_xport_seg *seg, size_t off, void *dst, size_t len)
{
	struct ucx_conn *c;
	int rc;

	if ((rc = enter(seg, &c)) != RSM_SUCCESS)
		return rc;
	rc = xfer(c, 0, off, dst, len);
	leave(c);
	return rc;
}

static int
ucx_put(struct rsm_xport_seg *seg, size_t off, const void *src, size_t len)
{
	struct ucx_conn *c;
	int rc;

	if ((rc = enter(seg, &c)) != RSM_SUCCESS)
		return rc;
	rc = xfer(c, 1, off, (void *)(uintptr_t)src, len);
	leave(c);
	return rc;
}

/*
 * A vector: every entry posted, then one wait for the lot (the requests
 * of one endpoint complete in order, so waiting on each in turn costs no
 * more than the last).  *done counts the entries before the first failure.
 */
static int
xferv(struct rsm_xport_seg *seg, int is_put, const struct rsm_xport_iov *iov,
    size_t n, size_t *done)
{
	ucp_request_param_t p = { .op_attr_mask = 0 };
	ucs_status_ptr_t req[16];
	struct ucx_conn *c;
	size_t i, j, k, nreq;
	int rc, rc2;

	if (done != NULL)
		*done = 0;
	if (iov == NULL && n != 0)
		return RSMERR_BAD_ADDR;
	if ((rc = enter(seg, &c)) != RSM_SUCCESS)
		return rc;
	for (i = 0; i < n && rc == RSM_SUCCESS; i += nreq) {
		int posted_rc = RSM_SUCCESS;

		nreq = n - i < 16 ? n - i : 16;
		for (j = 0; j < nreq; j++) {
			const struct rsm_xport_iov *e = &iov[i + j];

			posted_rc = check(c, e->remote_off, e->len, is_put ?
			    RSM_PERM_WRITE : RSM_PERM_READ);
			if (posted_rc != RSM_SUCCESS)
				break;
			req[j] = e->len == 0 ? NULL : is_put ?
			    c->p->u->put_nbx(c->ep, e->local, e->len,
			    c->base + e->remote_off, c->rkey, &p) :
			    c->p->u->get_nbx(c->ep, e->local, e->len,
			    c->base + e->remote_off, c->rkey, &p);
		}
		/* Every posted request is waited for, failed or not. */
		for (k = 0; k < j; k++) {
			rc2 = ucx_wait(c, req[k]);
			if (rc2 != RSM_SUCCESS && rc == RSM_SUCCESS)
				rc = rc2;
			if (rc == RSM_SUCCESS && done != NULL)
				*done = i + k + 1;
		}
		if (rc == RSM_SUCCESS)
			rc = posted_rc;
	}
	leave(c);
	return rc;
}

static int
ucx_getv(struct rsm_xport_seg *seg, const struct rsm_xport_iov *iov,
    size_t n, size_t *done)
{
	return xferv(seg, 0, iov, n, done);
}

static int
ucx_putv(struct rsm_xport_seg *seg, const struct rsm_xport_iov *iov,
    size_t n, size_t *done)
{
	return xferv(seg, 1, iov, n, done);
}

/* After the puts before it: flush, then the message on the endpoint. */
static int
ucx_signal(struct rsm_xport_seg *seg, uint32_t flags, rsm_xport_post_fn post,
    void *arg)
{
	ucp_request_param_t fp = { .op_attr_mask = 0 }, ap;
	struct rsm_ucx_signal m = { .magic = RSM_UCX_MAGIC, .flags = flags };
	struct ucx_conn *c;
	int rc;

	/* The exporter's side has no endpoint: the control channel. */
	if (seg == NULL || seg->priv == NULL) {
		if (post == NULL)
			return RSMERR_BAD_ADDR;
		return post(arg, flags);
	}
	m.flags = flags & RSM_SIGPOST_NO_ACCUMULATE;
	if ((rc = enter(seg, &c)) != RSM_SUCCESS)
		return rc;
	memset(&ap, 0, sizeof(ap));
	ap.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
	ap.flags = UCP_AM_SEND_FLAG_REPLY | UCP_AM_SEND_FLAG_EAGER;
	rc = ucx_wait(c, c->p->u->ep_flush_nbx(c->ep, &fp));
	if (rc == RSM_SUCCESS)
		rc = ucx_wait(c, c->p->u->am_send_nbx(c->ep,
		    RSM_UCX_AM_SIGNAL, &m, sizeof(m), NULL, 0, &ap));
	leave(c);
	return rc;
}

/*
 * The put, then the signal: ucx_signal flushes the endpoint before its
 * active message, so the exporter hears it only once the bytes are there.
 */
static int
ucx_put_signal(struct rsm_xport_seg *seg, size_t off, const void *src,
    size_t len, uint32_t flags, rsm_xport_post_fn post, void *arg)
{
	int rc;

	if (len > 0 && (rc = ucx_put(seg, off, src, len)) != RSM_SUCCESS)
		return rc;
	return ucx_signal(seg, flags, post, arg);
}

/* Lock-free: the waiter sees the flag and force-closes the endpoint. */
static void
ucx_abort(struct rsm_xport_seg *seg)
{
	struct ucx_conn *c = seg != NULL ? seg->priv : NULL;

	if (c != NULL)
		atomic_store_explicit(&c->aborted, 1, memory_order_relaxed);
}

const struct rsm_transport_ops rsm_ucx_ops = {
	"ucx",
	RSM_XPORT_UCX,
	ucx_connect,
	ucx_disconnect,
	ucx_fence,
	ucx_flush,
	ucx_get,
	ucx_getv,
	ucx_put,
	ucx_putv,
	/* UCX registers what it needs itself. */
	rsm_xport_register_plain,
	rsm_xport_deregister_plain,
	ucx_signal,
	ucx_abort,
	/* No atomics over ucx0 yet (ucp_atomic_op_nbx is the way). */
	rsm_xport_atomic_unsupported,
	ucx_put_signal,
	0,			/* vec_max: RSM_MAX_SGIOREQS */
	NULL,			/* putm: runs of putv */
};
