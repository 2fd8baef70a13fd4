/*
 * ucx_proc.c - the process's UCP context and worker, and waiting on them.
 */
#include "config.h"
#include "ucx.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "rsmapi.h"
#include "rsm_clock.h"
#include "rsm_forkgen.h"

static _Atomic(struct ucx_proc *) the_proc;

/*
 * The connect in its handshake that chose cookie, if the message came on
 * its endpoint, or NULL.  Cookies are easy to guess: the endpoint keeps
 * another daemon this process talks to from answering for this one.
 */
static struct ucx_conn *
waiting(struct ucx_proc *p, uint64_t cookie, const ucp_am_recv_param_t *param)
{
	struct ucx_conn *c;

	if (!(param->recv_attr & UCP_AM_RECV_ATTR_FIELD_REPLY_EP))
		return NULL;
	TAILQ_FOREACH(c, &p->waiting, wlink)
		if (c->cookie == cookie)
			return c->ep == param->reply_ep ? c : NULL;
	return NULL;
}

static ucs_status_t
on_challenge(void *arg, const void *header, size_t header_length,
    void *data, size_t length, const ucp_am_recv_param_t *param)
{
	struct ucx_proc *p = arg;
	struct rsm_ucx_challenge m;
	struct ucx_conn *c;

	(void)data;
	/* Exact size, ours, and one per connect, before its PROOF. */
	if (header_length != sizeof(m) || length != 0 ||
	    (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV))
		return UCS_OK;
	memcpy(&m, header, sizeof(m));
	if (m.magic != RSM_UCX_MAGIC || m.version != RSM_UCX_VERSION ||
	    (c = waiting(p, m.cookie, param)) == NULL || c->challenged)
		return UCS_OK;
	memcpy(c->nonce, m.nonce, sizeof(c->nonce));
	c->challenged = 1;
	return UCS_OK;
}

static ucs_status_t
on_ready(void *arg, const void *header, size_t header_length, void *data,
    size_t length, const ucp_am_recv_param_t *param)
{
	struct ucx_proc *p = arg;
	struct rsm_ucx_ready r;
	struct ucx_conn *c;

	/* The daemon is hostile too: exact size, a rkey held inline. */
	if (header_length != sizeof(r) ||
	    (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV))
		return UCS_OK;
	memcpy(&r, header, sizeof(r));
	if (r.magic != RSM_UCX_MAGIC || r.rkey_len != length ||
	    length > RSM_UCX_RKEY_MAX)
		return UCS_OK;
	/* Only the answer to a PROOF, and only once. */
	if ((c = waiting(p, r.cookie, param)) == NULL || !c->proved || c->ready)
		return UCS_OK;
	if (length != 0) {
		if ((c->rkey_buf = malloc(length)) == NULL)
			r.status = RSMERR_INSUFFICIENT_MEM;
		else
			memcpy(c->rkey_buf, data, length);
	}
	c->rmsg = r;
	c->ready = 1;
	return UCS_OK;
}

static struct ucx_proc *
proc_make(unsigned gen, int *err)
{
	const struct ucx_dl *u = ucx_dl_open();
	ucp_am_handler_param_t ap;
	ucp_worker_params_t wp;
	struct ucx_proc *p;
	ucp_config_t *cfg;
	ucp_params_t pp;

	if (u == NULL) {
		*err = RSMERR_CTLR_NOT_PRESENT;
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		*err = RSMERR_INSUFFICIENT_MEM;
		return NULL;
	}
	*err = RSMERR_INSUFFICIENT_RESOURCES;
	p->u = u;
	p->gen = gen;
	TAILQ_INIT(&p->waiting);
	if (pthread_mutex_init(&p->mtx, NULL) != 0) {
		free(p);
		return NULL;
	}
	memset(&pp, 0, sizeof(pp));
	pp.field_mask = UCP_PARAM_FIELD_FEATURES | UCP_PARAM_FIELD_MT_WORKERS_SHARED;
	pp.features = UCP_FEATURE_RMA | UCP_FEATURE_AM;
	pp.mt_workers_shared = 0;
	if (u->config_read(NULL, NULL, &cfg) != UCS_OK)
		goto fail;
	if (ucx_dl_init(u, &pp, cfg, &p->ctx) != UCS_OK) {
		u->config_release(cfg);
		goto fail;
	}
	u->config_release(cfg);
	memset(&wp, 0, sizeof(wp));
	wp.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
	/* Our mutex serialises every call. */
	wp.thread_mode = UCS_THREAD_MODE_SERIALIZED;
	if (u->worker_create(p->ctx, &wp, &p->worker) != UCS_OK)
		goto fail;
	memset(&ap, 0, sizeof(ap));
	ap.field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID |
	    UCP_AM_HANDLER_PARAM_FIELD_CB | UCP_AM_HANDLER_PARAM_FIELD_ARG;
	ap.id = RSM_UCX_AM_READY;
	ap.cb = on_ready;
	ap.arg = p;
	if (u->worker_set_am_recv_handler(p->worker, &ap) != UCS_OK)
		goto fail;
	ap.id = RSM_UCX_AM_CHALLENGE;
	ap.cb = on_challenge;
	if (u->worker_set_am_recv_handler(p->worker, &ap) != UCS_OK)
		goto fail;
	return p;
fail:
	if (p->worker != NULL)
		u->worker_destroy(p->worker);
	if (p->ctx != NULL)
		u->cleanup(p->ctx);
	pthread_mutex_destroy(&p->mtx);
	free(p);
	return NULL;
}

struct ucx_proc *
ucx_proc_get(int *err)
{
	struct ucx_proc *p = atomic_load_explicit(&the_proc,
	    memory_order_acquire), *mine;
	unsigned gen;

	/*
	 * Made in this process (not inherited across a fork): use it.  An
	 * inherited one is the parent's, its mutex maybe held by a parent
	 * thread: it is left alone (and leaked) and a new one replaces it.
	 */
	if (p != NULL && !rsm_forkgen_in_child(p->gen))
		return p;
	gen = rsm_forkgen_arm();
	if ((mine = proc_make(gen, err)) == NULL)
		return NULL;
	if (atomic_compare_exchange_strong(&the_proc, &p, mine))
		return mine;
	/* Another thread made one first. */
	mine->u->worker_destroy(mine->worker);
	mine->u->cleanup(mine->ctx);
	pthread_mutex_destroy(&mine->mtx);
	free(mine);
	return p;
}

int
ucx_err(ucs_status_t st)
{
	switch (st) {
	case UCS_OK:
		return RSM_SUCCESS;
	case UCS_ERR_NO_MEMORY:
		return RSMERR_INSUFFICIENT_MEM;
	case UCS_ERR_NO_RESOURCE:
	case UCS_ERR_EXCEEDS_LIMIT:
		return RSMERR_INSUFFICIENT_RESOURCES;
	case UCS_ERR_UNREACHABLE:
		return RSMERR_REMOTE_NODE_UNREACHABLE;
	case UCS_ERR_CONNECTION_RESET:
	case UCS_ERR_ENDPOINT_TIMEOUT:
	case UCS_ERR_CANCELED:
	case UCS_ERR_REJECTED:
	case UCS_ERR_NOT_CONNECTED:
	case UCS_ERR_TIMED_OUT:
	case UCS_ERR_IO_ERROR:
	default:
		return RSMERR_CONN_ABORTED;
	}
}

static void
force_close(struct ucx_conn *c)
{
	ucp_request_param_t p = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS,
	    .flags = UCP_EP_CLOSE_FLAG_FORCE };
	ucs_status_ptr_t req;

	if (c->ep == NULL)
		return;
	req = c->p->u->ep_close_nbx(c->ep, &p);
	c->ep = NULL;
	c->failed = 1;
	if (UCS_PTR_IS_PTR(req)) {
		while (c->p->u->request_check_status(req) == UCS_INPROGRESS)
			(void)c->p->u->worker_progress(c->p->worker);
		c->p->u->request_free(req);
	}
}

int
ucx_wait(struct ucx_conn *c, ucs_status_ptr_t req)
{
	const struct ucx_dl *u = c->p->u;
	uint64_t last = rsm_now_ms(), now;
	ucs_status_t st;
	unsigned spins = 0;
	int moved = 0, rc;

	if (req == NULL)
		return c->failed ? RSMERR_CONN_ABORTED : RSM_SUCCESS;
	if (UCS_PTR_IS_ERR(req))
		return ucx_err(UCS_PTR_STATUS(req));
	while ((st = u->request_check_status(req)) == UCS_INPROGRESS) {
		if (u->worker_progress(c->p->worker) != 0)
			moved = 1;
		/*
		 * Yield now and then: the daemon that serves this request
		 * (it polls too, busy_poll_us) may be waiting for this CPU.
		 */
		if (++spins % 16 == 0)
			sched_yield();
		/* The clock only every 256 rounds: a quick op reads none. */
		if (spins % 256 != 0)
			continue;
		now = rsm_now_ms();
		if (moved) {
			last = now;
			moved = 0;
		}
		if (atomic_load_explicit(&c->aborted, memory_order_relaxed) ||
		    c->failed || now - last > UCX_STALL_MS) {
			/* Completes every request of the endpoint, failed. */
			force_close(c);
			last = now;
			while (u->request_check_status(req) == UCS_INPROGRESS &&
			    rsm_now_ms() - last < 1000)
				(void)u->worker_progress(c->p->worker);
			break;
		}
	}
	st = u->request_check_status(req);
	/* Still in progress after a forced close: leave it to UCX. */
	u->request_free(req);
	rc = st == UCS_INPROGRESS ? RSMERR_CONN_ABORTED : ucx_err(st);
	if (rc == RSM_SUCCESS && c->failed)
		rc = RSMERR_CONN_ABORTED;
	return rc;
}
