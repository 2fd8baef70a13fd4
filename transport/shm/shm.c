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
}

const struct rsm_transport_ops rsm_shm_ops = SHM_OPS("shm", RSM_XPORT_SHM);
const struct rsm_transport_ops rsm_loopback_ops =
    SHM_OPS("loopback", RSM_XPORT_LOOPBACK);
