/*
 * shm.h - same-node transport: the segment is a memfd mapped into the
 * importer, so put/get are memcpy and barriers are CPU fences.
 *
 * Inline helpers shared by the ops in shm.c.
 */
#ifndef RSM_SHM_H
#define RSM_SHM_H

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "transport.h"

/* Bounds are checked by the caller against the same seg; this rechecks. */
static inline int
rsm_shm_in_bounds(const struct rsm_xport_seg *seg, size_t off, size_t len)
{
	return seg->base != NULL && off <= seg->size && len <= seg->size - off;
}

static inline void
rsm_shm_copy_in(struct rsm_xport_seg *seg, size_t off, const void *src,
    size_t len)
{
	memcpy(seg->base + off, src, len);
}

static inline void
rsm_shm_copy_out(const struct rsm_xport_seg *seg, size_t off, void *dst,
    size_t len)
{
	memcpy(dst, seg->base + off, len);
}

static inline void
rsm_shm_fence(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}

#endif /* RSM_SHM_H */
