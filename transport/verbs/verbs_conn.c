/*
 * verbs_conn.c - one queue pair of the verbs transport: connect it to the
 * exporting daemon with librdmacm, post work requests, and retire their
 * completions.  See verbs.h for the model.
 */
#include "verbs/verbs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsm_clock.h"
#include "rsm_forkgen.h"

/*
 * The spin budget reads the fine clock (rsm_now_ns) as little as
 * possible: in a guest whose clocksource has no vDSO (hpet, acpi_pm)
 * every read is a system call.  The coarse bounds (connection-manager
 * checks, stall and connect limits) read rsm_now_coarse_ms, which the
 * vDSO serves whatever the clocksource; its tick (a few ms) is far below
 * those bounds.
 */

/*
 * A connection made before a fork must not be used by the child (its
 * queue pair and registrations belong to the parent).
 */
int
verbs_in_child(const struct verbs_conn *c)
{
	return rsm_forkgen_in_child(c->fork_gen);
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * The queue pair is lost: fail every outstanding request with `rc` (what
 * the caller that sees it reports) and every later call with
 * RSMERR_CONN_ABORTED.
 */
static int
conn_fail(struct verbs_conn *c, int rc)
{
	struct ibv_qp_attr qa;

	if (c->first_err == RSM_SUCCESS)
		c->first_err = rc;
	while (c->n > 0) {
		struct verbs_pend *p = &c->ring[c->head];

		if (p->wait != NULL && p->wait->status == RSM_SUCCESS)
			p->wait->status = rc;
		if (p->slot >= 0)
			c->slot_busy[p->slot] = 0;
		c->head = (c->head + 1) % VERBS_SQ_DEPTH;
		c->n--;
	}
	if (c->err == RSM_SUCCESS) {
		c->err = RSMERR_CONN_ABORTED;
		/* Stop the hardware: nothing more reaches the segment. */
		memset(&qa, 0, sizeof(qa));
		qa.qp_state = IBV_QPS_ERR;
		if (c->qp != NULL)
			(void)c->v->modify_qp(c->qp, &qa, IBV_QP_STATE);
	}
	return c->err;
}

void
verbs_sge_copy(const struct vplan_sge *s, uint32_t n, size_t off, char *buf,
    size_t len, int to_pieces)
{
	uint32_t i;

	for (i = 0; i < n && len > 0; i++) {
		size_t l;

		if (off >= s[i].len) {
			off -= s[i].len;
			continue;
		}
		l = s[i].len - off < len ? s[i].len - off : len;
		if (to_pieces)
			memcpy(s[i].local + off, buf, l);
		else
			memcpy(buf, s[i].local + off, l);
		buf += l;
		len -= l;
		off = 0;
	}
}

static void
retire(struct verbs_conn *c, const struct ibv_wc *wc)
{
	struct verbs_pend *p = &c->ring[c->head];
	int rc;

	if (wc->wr_id != c->head) {
		/* Completions of one send queue come in order: never here. */
		(void)conn_fail(c, RSMERR_CONN_ABORTED);
		return;
	}
	if (wc->status != IBV_WC_SUCCESS) {
		/*
		 * After abort() (the import was revoked: node down, segment
		 * gone) whatever status the device gives a request it was
		 * running when the queue pair went to error, the connection
		 * is what was lost (spec 5.3).
		 */
		rc = atomic_load(&c->aborted) ? RSMERR_CONN_ABORTED :
		    verbs_wc_to_rsm((int)wc->status);
		(void)conn_fail(c, rc);
		return;
	}
	if (p->slot >= 0) {
		if (p->sge != NULL)
			verbs_sge_copy(p->sge, p->nsge, p->sge_off, c->bounce +
			    (size_t)p->slot * VERBS_BOUNCE_SLOT, p->len, 1);
		c->slot_busy[p->slot] = 0;
	}
	c->head = (c->head + 1) % VERBS_SQ_DEPTH;
	c->n--;
}

/* Retire what the completion queue holds; returns how many. */
static int
poll_cq(struct verbs_conn *c)
{
	struct ibv_wc wc[16];
	int got, i, total = 0;

	do {
		got = ibv_poll_cq(c->cq, 16, wc);
		if (got < 0) {
			(void)conn_fail(c, RSMERR_CONN_ABORTED);
			return total;
		}
		for (i = 0; i < got && c->err == RSM_SUCCESS; i++)
			retire(c, &wc[i]);
		total += got;
	} while (got == 16 && c->err == RSM_SUCCESS);
	return total;
}

/* The daemon's side of the connection went away, or something else did. */
static void
cm_drain(struct verbs_conn *c)
{
	struct rdma_cm_event *ev;

	while (c->v->get_cm_event(c->ech, &ev) == 0) {
		enum rdma_cm_event_type t = ev->event;

		(void)c->v->ack_cm_event(ev);
		if (t == RDMA_CM_EVENT_DISCONNECTED ||
		    t == RDMA_CM_EVENT_DEVICE_REMOVAL ||
		    t == RDMA_CM_EVENT_TIMEWAIT_EXIT ||
		    t == RDMA_CM_EVENT_ADDR_CHANGE)
			(void)conn_fail(c, RSMERR_CONN_ABORTED);
	}
}

int
verbs_poll(struct verbs_conn *c)
{
	uint64_t now;

	if (c->err != RSM_SUCCESS)
		return c->err;
	if (atomic_load(&c->aborted))
		return conn_fail(c, RSMERR_CONN_ABORTED);
	/*
	 * Every completion is of a request in the ring (the one receive,
	 * for the ready message, was taken at connect): with none
	 * outstanding there is nothing to poll for.
	 */
	if (c->n != 0)
		(void)poll_cq(c);
	/* A system call: not on every put/get (waits watch the channel). */
	now = rsm_now_coarse_ms();
	if (c->err == RSM_SUCCESS && now - c->cm_checked_ms >=
	    VERBS_CM_CHECK_MS) {
		c->cm_checked_ms = now;
		cm_drain(c);
	}
	return c->err;
}

/*
 * Poll the completion queue for up to c->spin_ns until at most `left`
 * requests are outstanding: a completion that comes within a round trip
 * costs no arming, no sleep and no wake-up.  A completion there at the
 * first polls (a get on rxe, whose post runs the round trip) costs no
 * clock read at all: in a guest whose clocksource is hpet each read is a
 * system call and a device access, several us.  The budget starts after
 * VERBS_SPIN_POLLS_MIN empty polls (*t0); the clock is then read after
 * c->spin_polls polls, the number learned to fill the budget (two or
 * three reads a spin), so the spin keeps to its budget whatever a poll
 * costs: counting
 * a fixed 1024 polls overran a 10 us budget by a millisecond under
 * emulation, CPU time a software device's own work needed.  No pause
 * instruction between polls: a poll is a function call taking a lock,
 * not a tight load loop, and under emulation (TCG) a pause leaves the
 * translated code each time.
 */
static void
spin_until(struct verbs_conn *c, unsigned left, uint64_t *t0)
{
	uint64_t now, elapsed, want;
	uint32_t k = 0;

	*t0 = 0;
	while (c->err == RSM_SUCCESS && c->n > left &&
	    !atomic_load_explicit(&c->aborted, memory_order_relaxed)) {
		if (poll_cq(c) != 0)
			continue;
		if (*t0 == 0) {
			/* A completion a few polls late costs no clock read. */
			if (++k < VERBS_SPIN_POLLS_MIN)
				continue;
			*t0 = rsm_now_ns();
			k = 0;
			continue;
		}
		if (++k < c->spin_polls)
			continue;
		now = rsm_now_ns();
		elapsed = now > *t0 ? now - *t0 : 1;
		/* Polls that fit the whole budget at the rate just seen. */
		want = (uint64_t)k * c->spin_ns / elapsed;
		c->spin_polls = want < VERBS_SPIN_POLLS_MIN ?
		    VERBS_SPIN_POLLS_MIN : want > VERBS_SPIN_POLLS_MAX ?
		    VERBS_SPIN_POLLS_MAX : (uint32_t)want;
		if (elapsed >= c->spin_ns)
			break;
		if (c->spin_polls <= k)
			c->spin_polls = k + VERBS_SPIN_POLLS_MIN;
	}
}

/*
 * The spin did not catch the completion: adapt the budget so that a
 * busy or slow host does not burn a CPU for nothing.  A completion that
 * came soon after blocking (within VERBS_SPIN_NS of the spin's start)
 * means a spin of about twice that would have caught it; a later one
 * (a large transfer, an overloaded host) halves the budget.
 */
static void
spin_adapt(struct verbs_conn *c, uint64_t t0)
{
	uint64_t took;

	if (t0 == 0)
		return;
	took = rsm_now_ns() - t0;
	if (took < VERBS_SPIN_NS)
		c->spin_ns = took * 2 > VERBS_SPIN_NS ? VERBS_SPIN_NS :
		    took * 2 < VERBS_SPIN_MIN_NS ? VERBS_SPIN_MIN_NS :
		    (uint32_t)(took * 2);
	else if (c->spin_ns / 2 >= VERBS_SPIN_MIN_NS)
		c->spin_ns /= 2;
	else
		c->spin_ns = VERBS_SPIN_MIN_NS;
}

int
verbs_wait_until(struct verbs_conn *c, unsigned left)
{
	uint64_t last, t0;
	int blocked = 0;

	if (c->n <= left)
		return c->err;
	spin_until(c, left, &t0);
	/* Caught by the spin (the common case): no clock to read. */
	if (c->err != RSM_SUCCESS || c->n <= left)
		return c->err;
	last = rsm_now_coarse_ms();
	while (c->err == RSM_SUCCESS && c->n > left) {
		struct pollfd pfd[3];
		struct ibv_cq *ecq;
		void *ectx;
		uint64_t now;
		int r;

		if (poll_cq(c) > 0) {
			last = rsm_now_coarse_ms();
			continue;
		}
		if (atomic_load(&c->aborted))
			return conn_fail(c, RSMERR_CONN_ABORTED);
		/* Arm, then look again: a completion may have slipped in. */
		if (ibv_req_notify_cq(c->cq, 0) != 0)
			return conn_fail(c, RSMERR_CONN_ABORTED);
		if (poll_cq(c) > 0) {
			last = rsm_now_coarse_ms();
			continue;
		}
		now = rsm_now_coarse_ms();
		if (now - last >= VERBS_STALL_MS)
			return conn_fail(c, RSMERR_CONN_ABORTED);
		pfd[0].fd = c->cch->fd;
		pfd[1].fd = c->ech->fd;
		pfd[2].fd = c->abort_fd;
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		blocked = 1;
		r = poll(pfd, 3, (int)(VERBS_STALL_MS - (now - last)));
		if (r < 0 && errno != EINTR)
			return conn_fail(c, RSMERR_CONN_ABORTED);
		if (r <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			while (c->v->get_cq_event(c->cch, &ecq, &ectx) == 0)
				c->v->ack_cq_events(ecq, 1);
		}
		if (pfd[1].revents & POLLIN) {
			c->cm_checked_ms = rsm_now_coarse_ms();
			cm_drain(c);
		}
		if (pfd[2].revents & POLLIN)
			return conn_fail(c, RSMERR_CONN_ABORTED);
	}
	if (blocked && c->err == RSM_SUCCESS)
		spin_adapt(c, t0);
	return c->err;
}

int
verbs_slot_get(struct verbs_conn *c)
{
	unsigned s;

	for (;;) {
		if (c->err != RSM_SUCCESS)
			return -1;
		s = c->next_slot;
		if (!c->slot_busy[s]) {
			c->slot_busy[s] = 1;
			c->next_slot = (s + 1) % VERBS_BOUNCE_SLOTS;
			return (int)s;
		}
		/* Slots are taken in ring order: the oldest request frees one. */
		if (c->n == 0) {
			(void)conn_fail(c, RSMERR_CONN_ABORTED);
			return -1;
		}
		if (verbs_wait_until(c, c->n - 1) != 0)
			return -1;
	}
}

int
verbs_post(struct verbs_conn *c, struct ibv_send_wr *wr,
    const struct verbs_pend *p)
{
	struct ibv_send_wr *bad = NULL;
	unsigned idx;

	if (c->err != RSM_SUCCESS)
		return c->err;
	if (c->n >= c->depth && verbs_wait_until(c, c->depth - 1) != 0)
		return c->err;
	idx = (c->head + c->n) % VERBS_SQ_DEPTH;
	wr->wr_id = idx;
	wr->next = NULL;
	wr->send_flags |= IBV_SEND_SIGNALED;
	if (c->fence_next) {
		wr->send_flags |= IBV_SEND_FENCE;
		c->fence_next = 0;
	}
	if (ibv_post_send(c->qp, wr, &bad) != 0)
		return conn_fail(c, RSMERR_CONN_ABORTED);
	c->ring[idx] = *p;
	c->n++;
	return RSM_SUCCESS;
}

void
verbs_conn_abort(struct verbs_conn *c)
{
	uint64_t one = 1;
	struct ibv_qp_attr qa;

	if (c == NULL)
		return;
	atomic_store(&c->aborted, 1);
	(void)!write(c->abort_fd, &one, sizeof(one));
	/* Flush the queue pair now: no further access reaches the segment. */
	memset(&qa, 0, sizeof(qa));
	qa.qp_state = IBV_QPS_ERR;
	if (c->qp != NULL)
		(void)c->v->modify_qp(c->qp, &qa, IBV_QP_STATE);
}

int
verbs_enter(struct verbs_conn *c)
{
	if (c == NULL)
		return RSMERR_CONN_ABORTED;
	/* Before the lock: a fork may have copied it held. */
	if (verbs_in_child(c))
		return RSMERR_CONN_ABORTED;
	pthread_mutex_lock(&c->mtx);
	if (verbs_in_child(c)) {
		pthread_mutex_unlock(&c->mtx);
		return RSMERR_CONN_ABORTED;
	}
	if (c->err == RSM_SUCCESS && atomic_load(&c->aborted))
		(void)conn_fail(c, RSMERR_CONN_ABORTED);
	if (c->err != RSM_SUCCESS) {
		pthread_mutex_unlock(&c->mtx);
		return c->err;
	}
	atomic_store_explicit(&c->quiet, 0, memory_order_relaxed);
	return RSM_SUCCESS;
}

void
verbs_leave(struct verbs_conn *c)
{
	atomic_store_explicit(&c->quiet, c->n == 0 &&
	    c->first_err == RSM_SUCCESS && c->err == RSM_SUCCESS,
	    memory_order_release);
	pthread_mutex_unlock(&c->mtx);
}

/* ---- the registration cache's hooks ---- */

static int
rc_reg(void *arg, void *addr, size_t len, int writable, void **mr,
    uint32_t *lkey)
{
	struct verbs_conn *c = arg;
	struct ibv_mr *m;

	m = c->v->reg_mr(c->pd, addr, len, writable ? IBV_ACCESS_LOCAL_WRITE :
	    0);
	if (m == NULL)
		return errno != 0 ? errno : ENOMEM;
	*mr = m;
	*lkey = m->lkey;
	return 0;
}

static void
rc_dereg(void *arg, void *mr)
{
	struct verbs_conn *c = arg;

	(void)c->v->dereg_mr(mr);
}

static int
rc_vma(void *arg, uintptr_t addr, struct vrc_vma *out)
{
	(void)arg;
	return verbs_vma_query(addr, out);
}

static void
rc_drain(void *arg)
{
	struct verbs_conn *c = arg;

	if (c->qp != NULL && c->err == RSM_SUCCESS)
		(void)verbs_wait_until(c, 0);
}

static uint64_t
rc_pfn(void *arg, uintptr_t addr)
{
	(void)arg;
	return verbs_page_frame(addr);
}

static const struct vrc_ops rc_ops = {
	rc_reg, rc_dereg, rc_vma, rc_drain, rc_pfn
};

/* ---- connect ---- */

/*
 * Wait (bounded) for the next connection-manager event: it must be
 * `want`.  Its private data, if priv is not NULL, into priv: exactly
 * priv_len bytes, or it is not the event wanted.
 */
static int
cm_wait_priv(struct verbs_conn *c, enum rdma_cm_event_type want, int ms,
    enum rdma_cm_event_type *got, void *priv, size_t priv_len)
{
	struct rdma_cm_event *ev;
	struct pollfd pfd = { c->ech->fd, POLLIN, 0 };
	uint64_t end = rsm_now_coarse_ms() + (uint64_t)ms;
	int r;

	for (;;) {
		if (c->v->get_cm_event(c->ech, &ev) == 0) {
			int ok;

			*got = ev->event;
			ok = *got == want;
			/* Providers may pad it: at least what we need. */
			if (ok && priv != NULL) {
				ok = ev->param.conn.private_data != NULL &&
				    ev->param.conn.private_data_len >= priv_len;
				if (ok)
					memcpy(priv, ev->param.conn.private_data,
					    priv_len);
			}
			(void)c->v->ack_cm_event(ev);
			return ok ? 0 : -1;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (rsm_now_coarse_ms() >= end)
			return -1;
		r = poll(&pfd, 1, (int)(end - rsm_now_coarse_ms()));
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int
cm_wait(struct verbs_conn *c, enum rdma_cm_event_type want, int ms,
    enum rdma_cm_event_type *got)
{
	return cm_wait_priv(c, want, ms, got, NULL, 0);
}

/*
 * Resolve one route onto device `want`: c->id is left bound to it, or
 * destroyed.  A route that would leave through another device is refused
 * rather than followed.
 */
static int
resolve(struct verbs_conn *c, const struct verbs_route *r, const char *want)
{
	const struct verbs_dl *v = c->v;
	enum rdma_cm_event_type got;
	struct sockaddr_storage src = r->src, dst = r->dst;

	if (v->create_id(c->ech, &c->id, c, RDMA_PS_TCP) != 0) {
		c->id = NULL;
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	if (v->resolve_addr(c->id, (struct sockaddr *)&src,
	    (struct sockaddr *)&dst, VERBS_CONNECT_MS / 2) == 0 &&
	    cm_wait(c, RDMA_CM_EVENT_ADDR_RESOLVED, VERBS_CONNECT_MS,
	    &got) == 0 && c->id->verbs != NULL &&
	    strcmp(v->get_device_name(c->id->verbs->device), want) == 0 &&
	    v->resolve_route(c->id, VERBS_CONNECT_MS / 2) == 0 &&
	    cm_wait(c, RDMA_CM_EVENT_ROUTE_RESOLVED, VERBS_CONNECT_MS,
	    &got) == 0)
		return RSM_SUCCESS;
	(void)v->destroy_id(c->id);
	c->id = NULL;
	return RSMERR_CONN_ABORTED;
}

/*
 * Everything up to the queue pair; the caller tears down on failure.
 * The queue pair goes on device `unit`: rdma_cm binds to one of its
 * addresses.  The daemon lists an address per device it serves: the one
 * on the device's network is tried first, then the others while the
 * connect's time lasts (verbs_src.c).
 */
static int
setup(struct verbs_conn *c, const struct rsm_wire_cap *cap, unsigned unit)
{
	const struct verbs_dl *v = c->v;
	struct verbs_route routes[RSM_CAP_ADDRS_MAX];
	char want[64];
	struct ibv_device_attr da;
	struct ibv_port_attr pa;
	struct ibv_qp_init_attr qa;
	size_t blen = (size_t)VERBS_BOUNCE_SLOT * VERBS_BOUNCE_SLOTS;
	uint64_t end = rsm_now_coarse_ms() + VERBS_CONNECT_MS;
	unsigned nr, i;
	int rc = RSMERR_CONN_ABORTED;

	if ((c->ech = v->create_event_channel()) == NULL ||
	    set_nonblock(c->ech->fd) != 0)
		return RSMERR_INSUFFICIENT_RESOURCES;
	if ((nr = verbs_route_plan(v, unit, cap, routes, want,
	    sizeof(want))) == 0)
		return RSMERR_CTLR_NOT_PRESENT;
	for (i = 0; i < nr; i++) {
		if (i > 0 && rsm_now_coarse_ms() >= end)
			break;
		if ((rc = resolve(c, &routes[i], want)) != RSMERR_CONN_ABORTED)
			break;
	}
	if (rc != RSM_SUCCESS)
		return rc;
	memset(&da, 0, sizeof(da));
	memset(&pa, 0, sizeof(pa));
	if (v->query_device(c->id->verbs, &da) != 0 ||
	    v->query_port(c->id->verbs, c->id->port_num, &pa) != 0)
		return RSMERR_CONN_ABORTED;
	c->depth = da.max_qp_wr > 0 && (unsigned)da.max_qp_wr <
	    VERBS_SQ_DEPTH ? (uint32_t)da.max_qp_wr : VERBS_SQ_DEPTH;
	c->max_sge = da.max_sge > 0 && (unsigned)da.max_sge < VPLAN_SGE_MAX ?
	    (uint32_t)da.max_sge : VPLAN_SGE_MAX;
	c->max_msg = pa.max_msg_sz != 0 ? pa.max_msg_sz : (1u << 20);
	c->atomics = da.atomic_cap != IBV_ATOMIC_NONE;
	if ((c->pd = v->alloc_pd(c->id->verbs)) == NULL ||
	    (c->cch = v->create_comp_channel(c->id->verbs)) == NULL ||
	    set_nonblock(c->cch->fd) != 0 ||
	    (c->cq = v->create_cq(c->id->verbs, (int)c->depth * 2 + 2, c,
	    c->cch, 0)) == NULL)
		return RSMERR_INSUFFICIENT_RESOURCES;
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = qa.recv_cq = c->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = c->depth;
	qa.cap.max_recv_wr = 1;
	qa.cap.max_send_sge = c->max_sge;
	qa.cap.max_recv_sge = 1;
	qa.cap.max_inline_data = VERBS_INLINE_WANT;
	if (v->create_qp(c->id, c->pd, &qa) != 0) {
		qa.cap.max_inline_data = 0;
		if (v->create_qp(c->id, c->pd, &qa) != 0)
			return RSMERR_INSUFFICIENT_RESOURCES;
	}
	c->qp = c->id->qp;
	c->max_inline = qa.cap.max_inline_data;
	c->bounce = mmap(NULL, blen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->bounce == MAP_FAILED) {
		c->bounce = NULL;
		return RSMERR_INSUFFICIENT_MEM;
	}
	if ((c->bounce_mr = v->reg_mr(c->pd, c->bounce, blen,
	    IBV_ACCESS_LOCAL_WRITE)) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	vrc_init(&c->rc, &rc_ops, c, VERBS_RCACHE_BYTES,
	    (size_t)sysconf(_SC_PAGESIZE));
	return RSM_SUCCESS;
}

/* wr_id of the one receive: the ring's indices are below VERBS_SQ_DEPTH. */
#define VERBS_WR_READY	UINT64_MAX
#define VERBS_WR_PROOF	(UINT64_MAX - 1)

/*
 * Before connecting: one receive for the daemon's ready message, in the
 * first bounce slot (no transfer uses it before the message is in).
 */
static int
ready_recv(struct verbs_conn *c)
{
	struct ibv_recv_wr wr, *bad;
	struct ibv_sge sg;

	sg.addr = (uintptr_t)c->bounce;
	sg.length = VERBS_BOUNCE_SLOT;
	sg.lkey = c->bounce_mr->lkey;
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = VERBS_WR_READY;
	wr.sg_list = &sg;
	wr.num_sge = 1;
	return ibv_post_recv(c->qp, &wr, &bad) == 0 ? 0 : -1;
}

/*
 * Connected: send the proof that this process holds the capability's
 * token, for the nonce of the daemon's challenge (rsm_verbs_wire.h), from
 * the second bounce slot (the first takes the ready message).
 */
static int
proof_send(struct verbs_conn *c, const uint8_t token[RSM_CAP_TOKEN_LEN],
    const struct rsm_verbs_challenge *ch)
{
	struct rsm_verbs_proof m;
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sg;
	char *buf = c->bounce + VERBS_BOUNCE_SLOT;

	if (ch->magic != RSM_VERBS_MAGIC || ch->pad != 0)
		return -1;
	memset(&m, 0, sizeof(m));
	m.magic = RSM_VERBS_MAGIC;
	rsm_data_hello_prove(token, ch->nonce, &m.hello);
	memcpy(buf, &m, sizeof(m));
	sg.addr = (uintptr_t)buf;
	sg.length = sizeof(m);
	sg.lkey = c->bounce_mr->lkey;
	memset(&wr, 0, sizeof(wr));
	wr.wr_id = VERBS_WR_PROOF;
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.sg_list = &sg;
	wr.num_sge = 1;
	return ibv_post_send(c->qp, &wr, &bad) == 0 ? 0 : -1;
}

/*
 * Wait (bounded) for the ready message, which carries the rkey this
 * queue pair is to use (verbs_wire.h); the proof's send completes on the
 * way.  Any connection-manager event meanwhile means the daemon let go.
 */
static int
ready_wait(struct verbs_conn *c, int ms)
{
	const struct verbs_dl *v = c->v;
	struct rsm_verbs_ready m;
	struct ibv_wc wc;
	uint64_t end = rsm_now_coarse_ms() + (uint64_t)ms, now;
	int n;

	for (;;) {
		struct pollfd pfd[2];
		struct ibv_cq *ecq;
		void *ectx;

		if ((n = ibv_poll_cq(c->cq, 1, &wc)) == 0 &&
		    ibv_req_notify_cq(c->cq, 0) != 0)
			return -1;
		if (n == 0)
			n = ibv_poll_cq(c->cq, 1, &wc);
		if (n > 0 && wc.wr_id == VERBS_WR_PROOF &&
		    wc.status == IBV_WC_SUCCESS && wc.opcode == IBV_WC_SEND)
			continue;	/* the proof left */
		if (n != 0)
			break;
		if ((now = rsm_now_coarse_ms()) >= end)
			return -1;
		pfd[0].fd = c->cch->fd;
		pfd[1].fd = c->ech->fd;
		pfd[0].events = pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, (int)(end - now)) < 0 && errno != EINTR)
			return -1;
		if (pfd[1].revents & POLLIN)
			return -1;
		if (pfd[0].revents & POLLIN)
			while (v->get_cq_event(c->cch, &ecq, &ectx) == 0)
				v->ack_cq_events(ecq, 1);
	}
	if (n < 0 || wc.status != IBV_WC_SUCCESS ||
	    wc.wr_id != VERBS_WR_READY || wc.opcode != IBV_WC_RECV ||
	    wc.byte_len != sizeof(m))
		return -1;
	memcpy(&m, c->bounce, sizeof(m));
	if (m.magic != RSM_VERBS_MAGIC ||
	    (m.flags & ~(uint32_t)RSM_VERBS_READY_WINDOW) != 0)
		return -1;
	c->rkey = m.rkey;
	return 0;
}

int
verbs_conn_open(struct rsm_xport_seg *seg, const struct rsm_xport_target *t)
{
	const struct verbs_dl *v;
	struct rdma_conn_param cp_param;
	struct rsm_verbs_hello hello;
	struct rsm_verbs_challenge ch;
	enum rdma_cm_event_type got;
	struct verbs_conn *c;
	struct ibv_device_attr da;
	unsigned unit;
	int rc;

	if (t == NULL || t->ctlr == NULL ||
	    sscanf(t->ctlr, "verbs%u", &unit) != 1)
		return RSMERR_CTLR_NOT_PRESENT;
	if (t->cap == NULL || t->size == 0 ||
	    t->cap->kind != RSM_CAPK_VERBS || t->cap->port == 0 ||
	    (t->cap->family != RSM_CAP_INET && t->cap->family != RSM_CAP_INET6))
		return RSMERR_BAD_ADDR;
	if ((v = verbs_dl_open(NULL)) == NULL)
		return RSMERR_CTLR_NOT_PRESENT;
	/* Before the first registration of this process. */
	if (verbs_dl_fork_safe(v) != 0)
		return RSMERR_INSUFFICIENT_RESOURCES;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	pthread_mutex_init(&c->mtx, NULL);
	c->v = v;
	c->fork_gen = rsm_forkgen_arm();
	c->spin_ns = VERBS_SPIN_NS;
	c->spin_polls = VERBS_SPIN_POLLS_MIN;
	c->size = t->size;
	c->granted = t->perm;
	if ((c->abort_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		free(c);
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	if ((rc = setup(c, t->cap, unit)) != RSM_SUCCESS ||
	    (rc = ready_recv(c) == 0 ? RSM_SUCCESS :
	    RSMERR_INSUFFICIENT_RESOURCES) != RSM_SUCCESS) {
		verbs_conn_close(c);
		return rc;
	}
	memset(&hello, 0, sizeof(hello));
	hello.magic = RSM_VERBS_MAGIC;
	hello.version = RSM_VERBS_VERSION;
	/* The public id: the token itself never crosses the wire. */
	rsm_data_cap_id(t->cap->token, hello.cap_id);
	memset(&da, 0, sizeof(da));
	(void)v->query_device(c->id->verbs, &da);
	memset(&cp_param, 0, sizeof(cp_param));
	cp_param.private_data = &hello;
	cp_param.private_data_len = sizeof(hello);
	cp_param.initiator_depth = (uint8_t)(da.max_qp_init_rd_atom > 0 &&
	    da.max_qp_init_rd_atom < (int)RSM_VERBS_RD_ATOM ?
	    da.max_qp_init_rd_atom : (int)RSM_VERBS_RD_ATOM);
	cp_param.responder_resources = 0;
	cp_param.retry_count = 7;
	cp_param.rnr_retry_count = 6;
	if (v->connect(c->id, &cp_param) != 0 ||
	    cm_wait_priv(c, RDMA_CM_EVENT_ESTABLISHED, VERBS_CONNECT_MS, &got,
	    &ch, sizeof(ch)) != 0 ||
	    proof_send(c, t->cap->token, &ch) != 0 ||
	    ready_wait(c, VERBS_CONNECT_MS) != 0) {
		verbs_conn_close(c);
		/* Refused (a token that is not live) or unreachable: lost. */
		return RSMERR_CONN_ABORTED;
	}
	/* No mapping: data moves through the queue pair. */
	rsm_xport_seg_open(seg, NULL, (size_t)c->size, t->prot, c);
	return RSM_SUCCESS;
}

void
verbs_conn_close(struct verbs_conn *c)
{
	const struct verbs_dl *v;

	if (c == NULL)
		return;
	v = c->v;
	/* Nothing waits for completions any more: the cache just lets go. */
	if (c->err == RSM_SUCCESS)
		c->err = RSMERR_CONN_ABORTED;
	if (c->id != NULL && c->qp != NULL)
		(void)v->disconnect(c->id);
	if (c->qp != NULL)
		v->destroy_qp(c->id);
	c->qp = NULL;
	if (c->rc.ops != NULL)
		vrc_flush(&c->rc);
	if (c->bounce_mr != NULL)
		(void)v->dereg_mr(c->bounce_mr);
	if (c->bounce != NULL)
		munmap(c->bounce, (size_t)VERBS_BOUNCE_SLOT * VERBS_BOUNCE_SLOTS);
	if (c->cq != NULL)
		(void)v->destroy_cq(c->cq);
	if (c->cch != NULL)
		(void)v->destroy_comp_channel(c->cch);
	if (c->pd != NULL)
		(void)v->dealloc_pd(c->pd);
	if (c->id != NULL)
		(void)v->destroy_id(c->id);
	if (c->ech != NULL)
		v->destroy_event_channel(c->ech);
	close(c->abort_fd);
	pthread_mutex_destroy(&c->mtx);
	free(c);
}
