/*
 * shm.c - the same-node transport (controllers "loopback" and "shm").
 *
 * The daemon is the home of every segment: its memory is a memfd, and a
 * same-node importer receives that memfd and maps it.  So the data path is
 * a shared mapping, copies are memcpy and ordering is a full CPU fence.
 * Signals travel over the daemon's control channel.
 */
#include "shm/shm.h"

#include <errno.h>
#include <sys/mman.h>

#include "rsmapi.h"

static int
shm_connect(struct rsm_xport_seg *seg, const struct rsm_xport_target *t)
{
	size_t size = t->size;
	int prot = t->prot;
	void *p;

	if (t->fd < 0 || size == 0)
		return RSMERR_BAD_ADDR;
	p = mmap(NULL, size, prot, MAP_SHARED, t->fd, 0);
	if (p == MAP_FAILED) {
		switch (errno) {
		case EACCES:
			return RSMERR_BAD_PERMS;
		case ENOMEM:
		case EOVERFLOW:
		case ENXIO:
			return RSMERR_BAD_LENGTH;
		case EAGAIN:
			return RSMERR_INSUFFICIENT_RESOURCES;
		case ENODEV:
			return RSMERR_CONN_ABORTED;
		default:
			return RSMERR_MAP_FAILED;
		}
	}
	rsm_xport_seg_open(seg, p, size, prot, NULL);
	return RSM_SUCCESS;
}

static int
shm_disconnect(struct rsm_xport_seg *seg)
{
	if (seg->base != NULL)
		(void)munmap(seg->base, seg->size);
	return RSM_SUCCESS;
}

static int
shm_fence(struct rsm_xport_seg *seg)
{
	(void)seg;
	rsm_shm_fence();
	return RSM_SUCCESS;
}

/* Stores to a shared mapping are complete once ordered: flush = fence. */
static int
shm_flush(struct rsm_xport_seg *seg)
{
	return shm_fence(seg);
}

static int
shm_get(struct rsm_xport_seg *seg, size_t off, void *dst, size_t len)
{
	if (!rsm_shm_in_bounds(seg, off, len))
		return RSMERR_BAD_LENGTH;
	rsm_shm_copy_out(seg, off, dst, len);
	return RSM_SUCCESS;
}

static int
shm_put(struct rsm_xport_seg *seg, size_t off, const void *src, size_t len)
{
	if (!rsm_shm_in_bounds(seg, off, len))
		return RSMERR_BAD_LENGTH;
	rsm_shm_copy_in(seg, off, src, len);
	return RSM_SUCCESS;
}

/* A vector is its entries one by one, stopping at the first failure. */
static int
shm_xferv(struct rsm_xport_seg *seg, const struct rsm_xport_iov *iov, size_t n,
    size_t *done, int put)
{
	size_t i;
	int rc = RSM_SUCCESS;

	for (i = 0; i < n; i++) {
		rc = put ? shm_put(seg, iov[i].remote_off, iov[i].local,
		    iov[i].len) : shm_get(seg, iov[i].remote_off, iov[i].local,
		    iov[i].len);
		if (rc != RSM_SUCCESS)
			break;
	}
	if (done != NULL)
		*done = i;
	return rc;
}

static int
shm_getv(struct rsm_xport_seg *seg, const struct rsm_xport_iov *iov, size_t n,
    size_t *done)
{
	return shm_xferv(seg, iov, n, done, 0);
}

static int
shm_putv(struct rsm_xport_seg *seg, const struct rsm_xport_iov *iov, size_t n,
    size_t *done)
{
	return shm_xferv(seg, iov, n, done, 1);
}

/*
 * CPU atomics on the shared mapping: the memfd's pages are the ones the
 * exporter, every same-node importer and the daemon's tcp0 server map,
 * so these are atomic with each of them (all use __atomic on the word).
 * Sequentially consistent, so the operation is also a full fence: puts
 * before it are visible before it, accesses after it come after.
 */
static int
shm_atomic(struct rsm_xport_seg *seg, size_t off, unsigned op, unsigned width,
    uint64_t operand, uint64_t compare, uint64_t *old)
{
	if (!rsm_shm_in_bounds(seg, off, width) || (off & (width - 1)) != 0)
		return RSMERR_BAD_OFFSET;
	if (width == 4) {
		uint32_t *w = (uint32_t *)(void *)(seg->base + off);
		uint32_t v = (uint32_t)operand, c = (uint32_t)compare;

		switch (op) {
		case RSM_AOP_FADD:
			c = __atomic_fetch_add(w, v, __ATOMIC_SEQ_CST);
			break;
		case RSM_AOP_CAS:
			/* On failure c is the value found; either way the old. */
			(void)__atomic_compare_exchange_n(w, &c, v, 0,
			    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
			break;
		case RSM_AOP_SWAP:
			c = __atomic_exchange_n(w, v, __ATOMIC_SEQ_CST);
			break;
		default:
			return RSMERR_BAD_ARGS_ERRORS;
		}
		*old = c;
	} else if (width == 8) {
		uint64_t *w = (uint64_t *)(void *)(seg->base + off);
		uint64_t c = compare;

		switch (op) {
		case RSM_AOP_FADD:
			c = __atomic_fetch_add(w, operand, __ATOMIC_SEQ_CST);
			break;
		case RSM_AOP_CAS:
			(void)__atomic_compare_exchange_n(w, &c, operand, 0,
			    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
			break;
		case RSM_AOP_SWAP:
			c = __atomic_exchange_n(w, operand, __ATOMIC_SEQ_CST);
			break;
		default:
			return RSMERR_BAD_ARGS_ERRORS;
		}
		*old = c;
	} else {
		return RSMERR_BAD_LENGTH;
	}
	return RSM_SUCCESS;
}

/*
 * The bytes, a full fence, then the post: the daemon rings the exporter
 * only after this call's stores are globally visible.  The post waits
 * for the daemon's answer, which it gives after queueing the event, so
 * one importer's signals stay in order.
 */
static int
shm_put_signal(struct rsm_xport_seg *seg, size_t off, const void *src,
    size_t len, uint32_t flags, rsm_xport_post_fn post, void *arg)
{
	int rc;

	if ((rc = shm_put(seg, off, src, len)) != RSM_SUCCESS)
		return rc;
	rsm_shm_fence();
	return rsm_xport_signal_via_daemon(seg, flags, post, arg);
}

/*
 * loopback and shm share one data path; each type has its own table so
 * that the lookup by RSM_XPORT_* value stays one match.  Positional, as
 * every ops table (see dummy.c).
 */
#define SHM_OPS(name, xport) {						\
	name,								\
	xport,								\
	shm_connect,							\
	shm_disconnect,							\
	shm_fence,							\
	shm_flush,							\
	shm_get,							\
	shm_getv,							\
	shm_put,							\
	shm_putv,							\
	/* Local memory needs no registration on one node. */		\
	rsm_xport_register_plain,					\
	rsm_xport_deregister_plain,					\
	/* Same-node peers are rung by the daemon, which routes. */	\
	rsm_xport_signal_via_daemon,					\
	NULL,			/* abort: a mapping never blocks */	\
	shm_atomic,							\
	shm_put_signal,							\
	0,			/* vec_max: RSM_MAX_SGIOREQS */	\
	NULL,			/* putm: runs of putv */	\
}

const struct rsm_transport_ops rsm_shm_ops = SHM_OPS("shm", RSM_XPORT_SHM);
const struct rsm_transport_ops rsm_loopback_ops =
    SHM_OPS("loopback", RSM_XPORT_LOOPBACK);
