/*
 * verbs.c - the ops table of the verbs transport (controllers verbsN).
 *
 * put/get become RDMA WRITE/READ work requests on the import's queue pair
 * (verbs.h): a transfer is planned (verbs_plan.c) into requests of at
 * most min(port max_msg_sz, VERBS_WR_MAX) bytes, list entries whose remote
 * ranges follow each other are gathered into one request as an SGE list,
 * and each request travels inline, through a bounce slot, or zero-copy
 * from a registered buffer.  Puts that copied their data return at once
 * and report failures at the next flush; zero-copy puts and every get
 * wait for their completions.  order_barrier fences the next request
 * (IBV_SEND_FENCE).  An importer's signal is a SEND on its queue pair.
 */
#include "verbs/verbs.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "rsmapi.h"

static int
verbs_disconnect(struct rsm_xport_seg *seg)
{
	verbs_conn_close(to_verbs_conn(seg));
	return RSM_SUCCESS;
}

/* The next request waits for every earlier one (RDMA READs included). */
static int
verbs_fence(struct rsm_xport_seg *seg)
{
	struct verbs_conn *c = to_verbs_conn(seg);
	int rc;

	if (c == NULL)
		return RSM_SUCCESS;
	if ((rc = verbs_enter(c)) != RSM_SUCCESS)
		return rc;
	if ((rc = verbs_poll(c)) == RSM_SUCCESS)
		c->fence_next = 1;
	verbs_leave(c);
	return rc;
}

static int
verbs_flush(struct rsm_xport_seg *seg)
{
	struct verbs_conn *c = to_verbs_conn(seg);
	int rc;

	if (c == NULL)
		return RSM_SUCCESS;
	if (verbs_in_child(c))
		return RSMERR_CONN_ABORTED;
	/* Nothing outstanding and nothing to report: no lock to take. */
	if (atomic_load_explicit(&c->quiet, memory_order_acquire) &&
	    !atomic_load_explicit(&c->aborted, memory_order_relaxed))
		return RSM_SUCCESS;
	pthread_mutex_lock(&c->mtx);
	if (verbs_in_child(c)) {
		pthread_mutex_unlock(&c->mtx);
		return RSMERR_CONN_ABORTED;
	}
	rc = verbs_wait_until(c, 0);
	if (rc == RSM_SUCCESS)
		rc = verbs_poll(c);
	/* The first failure since the last flush says what happened. */
	if (c->first_err != RSM_SUCCESS)
		rc = c->first_err;
	c->first_err = RSM_SUCCESS;
	verbs_leave(c);
	return rc;
}

static void
wr_init(struct verbs_conn *c, struct ibv_send_wr *wr, struct ibv_sge *sg,
    size_t remote_off, int is_put)
{
	memset(wr, 0, sizeof(*wr));
	wr->opcode = is_put ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ;
	wr->sg_list = sg;
	wr->wr.rdma.remote_addr = (uint64_t)remote_off;
	wr->wr.rdma.rkey = c->rkey;
}

/* One request through bounce slots, in slot-sized pieces. */
static int
post_bounced(struct verbs_conn *c, const struct vplan_wr *pw, int is_put,
    struct verbs_wait *w)
{
	const struct vplan_sge *ps = &c->plan_sge[pw->first];
	struct ibv_send_wr wr;
	struct ibv_sge sg;
	struct verbs_pend p;
	size_t off, l;
	int slot;

	for (off = 0; off < pw->len; off += l) {
		char *buf;

		l = pw->len - off < VERBS_BOUNCE_SLOT ? pw->len - off :
		    VERBS_BOUNCE_SLOT;
		if ((slot = verbs_slot_get(c)) < 0)
			return c->err;
		buf = c->bounce + (size_t)slot * VERBS_BOUNCE_SLOT;
		if (is_put)
			verbs_sge_copy(ps, pw->nsge, off, buf, l, 0);
		sg.addr = (uintptr_t)buf;
		sg.length = (uint32_t)l;
		sg.lkey = c->bounce_mr->lkey;
		wr_init(c, &wr, &sg, pw->remote_off + off, is_put);
		wr.num_sge = 1;
		memset(&p, 0, sizeof(p));
		p.slot = slot;
		p.wait = w;
		p.len = l;
		if (!is_put) {
			p.sge = ps;
			p.nsge = pw->nsge;
			p.sge_off = off;
		}
		if (verbs_post(c, &wr, &p) != RSM_SUCCESS)
			return c->err;
	}
	return RSM_SUCCESS;
}

/*
 * Post one planned request.  *zc is set when it reads the caller's buffer
 * in place (a put that must complete before the call returns).
 */
static int
post_one(struct verbs_conn *c, const struct vplan_wr *pw, int is_put,
    struct verbs_wait *w, int *zc)
{
	const struct vplan_sge *ps = &c->plan_sge[pw->first];
	struct ibv_sge sg[VPLAN_SGE_MAX];
	struct ibv_send_wr wr;
	struct verbs_pend p;
	uint32_t i, lkey;

	memset(&p, 0, sizeof(p));
	p.slot = -1;
	p.wait = w;
	p.len = pw->len;
	wr_init(c, &wr, sg, pw->remote_off, is_put);
	wr.num_sge = (int)pw->nsge;
	if (is_put && pw->len <= c->max_inline) {
		for (i = 0; i < pw->nsge; i++) {
			sg[i].addr = (uintptr_t)ps[i].local;
			sg[i].length = (uint32_t)ps[i].len;
			sg[i].lkey = 0;
		}
		wr.send_flags = IBV_SEND_INLINE;
		return verbs_post(c, &wr, &p);
	}
	if (pw->len <= VERBS_BOUNCE_SLOT ||
	    (is_put && pw->len <= VERBS_BOUNCE_PUT_MAX))
		return post_bounced(c, pw, is_put, w);
	vrc_hold(&c->rc);
	for (i = 0; i < pw->nsge; i++) {
		if (vrc_get(&c->rc, ps[i].local, ps[i].len, &lkey) != 0) {
			vrc_unhold(&c->rc);
			return c->err != RSM_SUCCESS ? c->err :
			    post_bounced(c, pw, is_put, w);
		}
		sg[i].addr = (uintptr_t)ps[i].local;
		sg[i].length = (uint32_t)ps[i].len;
		sg[i].lkey = lkey;
	}
	vrc_unhold(&c->rc);
	if (c->err != RSM_SUCCESS)
		return c->err;
	if (is_put)
		*zc = 1;
	return verbs_post(c, &wr, &p);
}

static int
check_range(const struct verbs_conn *c, size_t off, size_t len)
{
	return off <= c->size && len <= c->size - off ? RSM_SUCCESS :
	    RSMERR_BAD_LENGTH;
}

/*
 * Move iov[0..n) in rounds of at most 16 entries and VERBS_PLAN_WR / 2
 * requests' worth of bytes.  wait_all: return only once everything
 * completed (vector ops, so *done is exact).
 */
static int
xfer(struct verbs_conn *c, const struct rsm_xport_iov *iov, size_t n,
    int is_put, int wait_all, size_t *done)
{
	struct rsm_xport_iov cur[RSM_MAX_SGIOREQS];
	struct verbs_wait w = { RSM_SUCCESS };
	struct vplan plan;
	size_t wrmax, round_max, i = 0, eoff = 0, k, m, bytes, fin = 0;
	int zc = 0, rc = RSM_SUCCESS;

	wrmax = c->max_msg < VERBS_WR_MAX ? (size_t)c->max_msg : VERBS_WR_MAX;
	round_max = wrmax * (VERBS_PLAN_WR / 2 - RSM_MAX_SGIOREQS);
	plan.wr = c->plan_wr;
	plan.wr_cap = VERBS_PLAN_WR;
	plan.sge = c->plan_sge;
	plan.sge_cap = VERBS_PLAN_WR;
	while (i < n && rc == RSM_SUCCESS) {
		for (m = 0, bytes = 0; i < n && m < RSM_MAX_SGIOREQS &&
		    bytes < round_max; m++) {
			size_t take = iov[i].len - eoff;

			if (take > round_max - bytes)
				take = round_max - bytes;
			cur[m].local = iov[i].local + eoff;
			cur[m].remote_off = iov[i].remote_off + eoff;
			cur[m].len = take;
			bytes += take;
			eoff += take;
			if (eoff == iov[i].len) {
				i++;
				eoff = 0;
			}
		}
		if (vplan_build(&plan, cur, m, wrmax, c->max_sge) != 0) {
			rc = RSMERR_INSUFFICIENT_RESOURCES;
			break;
		}
		for (k = 0; k < plan.nwr && rc == RSM_SUCCESS; k++)
			rc = post_one(c, &plan.wr[k], is_put, is_put &&
			    !wait_all ? NULL : &w, &zc);
		/* Gets scatter from the plan, zero-copy puts read the caller. */
		if (rc == RSM_SUCCESS && (!is_put || zc || wait_all ||
		    i < n))
			rc = verbs_wait_until(c, 0);
		if (w.status != RSM_SUCCESS)
			rc = w.status;
		if (rc == RSM_SUCCESS)
			fin = i;
		/* Registrations that cannot be trusted later are done. */
		if (c->rc.ntemp != 0) {
			if (rc == RSM_SUCCESS && c->n != 0)
				rc = verbs_wait_until(c, 0);
			if (c->n == 0 || c->err != RSM_SUCCESS)
				vrc_release_temps(&c->rc);
		}
	}
	if (rc != RSM_SUCCESS && w.status != RSM_SUCCESS)
		rc = w.status;
	if (done != NULL)
		*done = rc == RSM_SUCCESS ? n : fin;
	return rc;
}

/*
 * A get that fits one bounce slot while nothing is outstanding: the
 * latency case (get8 up to a few KiB).  With no request in flight every
 * slot is free, so it reads into slot 0 and copies out after the wait:
 * no plan, no slot ring, no scatter list to keep.
 */
static int
get_small(struct verbs_conn *c, size_t off, void *buf, size_t len)
{
	struct verbs_wait w = { RSM_SUCCESS };
	struct ibv_send_wr wr;
	struct ibv_sge sg;
	struct verbs_pend p;
	int rc;

	sg.addr = (uintptr_t)c->bounce;
	sg.length = (uint32_t)len;
	sg.lkey = c->bounce_mr->lkey;
	wr_init(c, &wr, &sg, off, 0);
	wr.num_sge = 1;
	p.slot = -1;
	p.wait = &w;
	p.sge = NULL;
	p.nsge = 0;
	p.sge_off = 0;
	p.len = len;
	if ((rc = verbs_post(c, &wr, &p)) == RSM_SUCCESS)
		rc = verbs_wait_until(c, 0);
	if (w.status != RSM_SUCCESS)
		rc = w.status;
	if (rc == RSM_SUCCESS)
		memcpy(buf, c->bounce, len);
	return rc;
}

static int
one(struct rsm_xport_seg *seg, size_t off, void *buf, size_t len,
    int is_put)
{
	struct verbs_conn *c = to_verbs_conn(seg);
	struct rsm_xport_iov iov;
	int rc;

	if ((rc = verbs_enter(c)) != RSM_SUCCESS)
		return rc;
	iov.local = buf;
	iov.remote_off = off;
	iov.len = len;
	/* A dead queue pair shows up here, before anything is posted. */
	if ((rc = verbs_poll(c)) == RSM_SUCCESS &&
	    (rc = check_range(c, off, len)) == RSM_SUCCESS &&
	    (rc = (is_put ? (c->granted & RSM_PERM_WRITE) :
	    (c->granted & RSM_PERM_READ)) ? RSM_SUCCESS :
	    RSMERR_PERM_DENIED) == RSM_SUCCESS) {
		if (!is_put && c->n == 0 && len != 0 &&
		    len <= VERBS_BOUNCE_SLOT && len <= c->max_msg)
			rc = get_small(c, off, buf, len);
		else
			rc = xfer(c, &iov, 1, is_put, 0, NULL);
	}
	verbs_leave(c);
	return rc;
}

static int
verbs_put(struct rsm_xport_seg *seg, size_t off, const void *src, size_t len)
{
	return one(seg, off, (void *)(uintptr_t)src, len, 1);
}

static int
verbs_get(struct rsm_xport_seg *seg, size_t off, void *dst, size_t len)
{
	return one(seg, off, dst, len, 0);
}

static int
vec(struct rsm_xport_seg *seg, const struct rsm_xport_iov *iov, size_t n,
    size_t *done, int is_put)
{
	struct verbs_conn *c = to_verbs_conn(seg);
	size_t i;
	int rc;

	if (done != NULL)
		*done = 0;
	if ((rc = verbs_enter(c)) != RSM_SUCCESS)
		return rc;
	if (iov == NULL && n > 0)
		rc = RSMERR_BAD_ADDR;
	else if (n > RSM_MAX_SGIOREQS)
		rc = RSMERR_BAD_SGIO;
	else if (!(c->granted & (is_put ? RSM_PERM_WRITE : RSM_PERM_READ)))
		rc = RSMERR_PERM_DENIED;
	for (i = 0; i < n && rc == RSM_SUCCESS; i++)
		rc = check_range(c, iov[i].remote_off, iov[i].len);
	if (rc == RSM_SUCCESS)
		rc = verbs_poll(c);
	if (rc == RSM_SUCCESS)
		rc = xfer(c, iov, n, is_put, 1, done);
	verbs_leave(c);
	return rc;
}

static int
verbs_putv(struct rsm_xport_seg *seg, const struct rsm_xport_iov *iov,
    size_t n, size_t *done)
{
	return vec(seg, iov, n, done, 1);
}

static int
verbs_getv(struct rsm_xport_seg *seg, const struct rsm_xport_iov *iov,
    size_t n, size_t *done)
{
	return vec(seg, iov, n, done, 0);
}

/*
 * A SEND on the queue pair: the exporting daemon wakes the exporter.  It
 * follows the import's earlier writes on the same queue pair, so the
 * exporter sees their data.  An import connects its queue pair when it
 * connects (import.c), so only export handles, which have none, reach
 * the control channel here.
 */
static int
verbs_signal(struct rsm_xport_seg *seg, uint32_t flags,
    rsm_xport_post_fn post, void *arg)
{
	struct verbs_conn *c = to_verbs_conn(seg);
	struct rsm_verbs_signal msg = { RSM_VERBS_MAGIC, 0 };
	struct ibv_send_wr wr;
	struct ibv_sge sg;
	struct verbs_pend p;
	int rc, slot = -1;

	if (c == NULL) {
		if (post == NULL)
			return RSMERR_BAD_ADDR;
		return post(arg, flags);
	}
	if ((rc = verbs_enter(c)) != RSM_SUCCESS)
		return rc;
	msg.flags = flags & RSM_SIGPOST_NO_ACCUMULATE;
	memset(&wr, 0, sizeof(wr));
	memset(&p, 0, sizeof(p));
	wr.opcode = IBV_WR_SEND;
	wr.sg_list = &sg;
	wr.num_sge = 1;
	sg.addr = (uintptr_t)&msg;
	sg.length = sizeof(msg);
	sg.lkey = 0;
	if (c->max_inline >= sizeof(msg)) {
		wr.send_flags = IBV_SEND_INLINE;
	} else if ((slot = verbs_slot_get(c)) >= 0) {
		char *buf = c->bounce + (size_t)slot * VERBS_BOUNCE_SLOT;

		memcpy(buf, &msg, sizeof(msg));
		sg.addr = (uintptr_t)buf;
		sg.lkey = c->bounce_mr->lkey;
	}
	p.slot = slot;
	p.len = sizeof(msg);
	/* Spec 7: posted is delivered as far as the caller is concerned. */
	rc = c->err != RSM_SUCCESS ? c->err : verbs_post(c, &wr, &p);
	verbs_leave(c);
	return rc;
}

/*
 * One 64-bit IB atomic on the segment word at `remote` (a segment offset:
 * regions have iova 0), its old value into *old.  Fenced, so it comes
 * after every earlier request of the queue pair; waited for.  The result
 * lands in a bounce slot, read before the lock is let go.
 */
static int
atomic64(struct verbs_conn *c, enum ibv_wr_opcode opcode, uint64_t remote,
    uint64_t compare_add, uint64_t swap, uint64_t *old)
{
	struct verbs_wait w = { RSM_SUCCESS };
	struct ibv_send_wr wr;
	struct ibv_sge sg;
	struct verbs_pend p;
	char *buf;
	int slot, rc;

	if ((slot = verbs_slot_get(c)) < 0)
		return c->err != RSM_SUCCESS ? c->err : RSMERR_CONN_ABORTED;
	buf = c->bounce + (size_t)slot * VERBS_BOUNCE_SLOT;
	memset(&wr, 0, sizeof(wr));
	memset(&p, 0, sizeof(p));
	wr.opcode = opcode;
	wr.sg_list = &sg;
	wr.num_sge = 1;
	wr.send_flags = IBV_SEND_FENCE;
	wr.wr.atomic.remote_addr = remote;
	wr.wr.atomic.compare_add = compare_add;
	wr.wr.atomic.swap = swap;
	wr.wr.atomic.rkey = c->rkey;
	sg.addr = (uintptr_t)buf;
	sg.length = sizeof(uint64_t);
	sg.lkey = c->bounce_mr->lkey;
	p.slot = slot;
	p.wait = &w;
	p.len = sizeof(uint64_t);
	if ((rc = verbs_post(c, &wr, &p)) != RSM_SUCCESS ||
	    (rc = verbs_wait_until(c, 0)) != RSM_SUCCESS)
		return rc;
	if (w.status != RSM_SUCCESS)
		return w.status;
	memcpy(old, buf, sizeof(*old));
	return RSM_SUCCESS;
}

/*
 * IB atomics are 64-bit FETCH_AND_ADD and CMP_AND_SWP.  A 64-bit fetch-add
 * and cas are one request; swap, and every 32-bit operation, is a cas
 * loop on the aligned 64-bit word that holds the operand (the other half
 * written back as it was), starting from a guess of 0 and retrying with
 * the value each failed cas returns.  Atomic among the device's atomics
 * (IBV_ATOMIC_HCA): not with the CPU or the tcp0 data server, unless the
 * device says IBV_ATOMIC_GLOB.
 */
static int
verbs_atomic(struct rsm_xport_seg *seg, size_t off, unsigned op,
    unsigned width, uint64_t operand, uint64_t compare, uint64_t *old)
{
	struct verbs_conn *c = to_verbs_conn(seg);
	uint64_t word = off & ~(size_t)7, guess = 0, got, mask, nv;
	unsigned shift = (unsigned)(off - word) * 8;
	int rc;

	if (c == NULL)
		return RSMERR_CONN_ABORTED;
	if ((width != 4 && width != 8) || (off & (width - 1)) != 0 ||
	    off > c->size || width > c->size - off)
		return RSMERR_BAD_OFFSET;
	if ((rc = verbs_enter(c)) != RSM_SUCCESS)
		return rc;
	if (!c->atomics || c->granted != RSM_PERM_RDWR) {
		rc = RSMERR_UNSUPPORTED_OPERATION;
	} else if (width == 8 && op == RSM_AOP_FADD) {
		rc = atomic64(c, IBV_WR_ATOMIC_FETCH_AND_ADD, word, operand, 0,
		    old);
	} else if (width == 8 && op == RSM_AOP_CAS) {
		rc = atomic64(c, IBV_WR_ATOMIC_CMP_AND_SWP, word, compare,
		    operand, old);
	} else {
		mask = width == 8 ? UINT64_MAX : (uint64_t)UINT32_MAX << shift;
		for (;;) {
			uint64_t cur = (guess & mask) >> shift;

			nv = op == RSM_AOP_FADD ? cur + operand :
			    op == RSM_AOP_SWAP ? operand :
			    cur == compare ? operand : cur;
			nv = (guess & ~mask) | ((nv << shift) & mask);
			if ((rc = atomic64(c, IBV_WR_ATOMIC_CMP_AND_SWP, word,
			    guess, nv, &got)) != RSM_SUCCESS)
				break;
			if (got == guess) {
				*old = cur;
				break;
			}
			guess = got;
		}
	}
	verbs_leave(c);
	return rc;
}

/*
 * The WRITEs, waited for (their completion means the responder has
 * placed the bytes), then the SEND the exporting daemon turns into the
 * exporter's wake-up: on one RC queue pair it is executed after them, and
 * one queue pair's SENDs arrive in order.
 */
static int
verbs_put_signal(struct rsm_xport_seg *seg, size_t off, const void *src,
    size_t len, uint32_t flags, rsm_xport_post_fn post, void *arg)
{
	int rc;

	if ((rc = verbs_put(seg, off, src, len)) == RSM_SUCCESS &&
	    (rc = verbs_flush(seg)) == RSM_SUCCESS)
		rc = verbs_signal(seg, flags, post, arg);
	return rc;
}

/*
 * The import was revoked: flush the queue pair so no access reaches the
 * segment any more and wake a caller waiting on it.  Frees nothing.
 */
static void
verbs_abort(struct rsm_xport_seg *seg)
{
	verbs_conn_abort(to_verbs_conn(seg));
}

const struct rsm_transport_ops rsm_verbs_ops = {
	"verbs",
	RSM_XPORT_VERBS,
	verbs_conn_open,
	verbs_disconnect,
	verbs_fence,
	verbs_flush,
	verbs_get,
	verbs_getv,
	verbs_put,
	verbs_putv,
	/*
	 * Local memory handles only describe a range: registrations are
	 * made per queue pair (protection domains are per connection) by
	 * the cache, on first use.
	 */
	rsm_xport_register_plain,
	rsm_xport_deregister_plain,
	verbs_signal,
	verbs_abort,
	verbs_atomic,
	verbs_put_signal,
	0,			/* vec_max: RSM_MAX_SGIOREQS work requests */
	NULL,			/* putm: runs of putv */
};
