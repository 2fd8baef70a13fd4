/*
 * rsm/rsm_atomic.h - extensions of rsm beyond the Solaris RSMAPI:
 * atomic operations on a word of an imported segment, and a put that
 * signals the exporter once its data is visible.
 *
 * Solaris never shipped RSM_LOCK_OPS; these are rsm's own calls, in a
 * header of their own so that a program written for <rsmapi.h> sees
 * nothing new.  See rsm_memseg_import_fetch_add32(3rsm) and
 * rsm_memseg_import_put_signal(3rsm).
 */
#ifndef RSM_RSM_ATOMIC_H
#define RSM_RSM_ATOMIC_H

#include <rsmapi.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * On the naturally aligned 4- or 8-byte word at `offset` of the
 * segment: *oldp (when not NULL) receives the word's value before the
 * operation.  The import needs RSM_PERM_RDWR.
 */
int	rsm_memseg_import_fetch_add32(rsm_memseg_import_handle_t im_memseg,
	    off_t offset, uint32_t addend, uint32_t *oldp);
int	rsm_memseg_import_fetch_add64(rsm_memseg_import_handle_t im_memseg,
	    off_t offset, uint64_t addend, uint64_t *oldp);
/* Stores `desired` only if the word equals `expected`. */
int	rsm_memseg_import_cas32(rsm_memseg_import_handle_t im_memseg,
	    off_t offset, uint32_t expected, uint32_t desired, uint32_t *oldp);
int	rsm_memseg_import_cas64(rsm_memseg_import_handle_t im_memseg,
	    off_t offset, uint64_t expected, uint64_t desired, uint64_t *oldp);
int	rsm_memseg_import_swap32(rsm_memseg_import_handle_t im_memseg,
	    off_t offset, uint32_t value, uint32_t *oldp);
int	rsm_memseg_import_swap64(rsm_memseg_import_handle_t im_memseg,
	    off_t offset, uint64_t value, uint64_t *oldp);

/*
 * rsm_memseg_import_put, then rsm_intr_signal_post on the import, in one
 * call: the exporter's wait (or poll descriptor) is woken only after the
 * bytes are visible in its memory; one importer's signals arrive in the
 * order they were posted.  flags: 0 or RSM_SIGPOST_NO_ACCUMULATE.
 */
int	rsm_memseg_import_put_signal(rsm_memseg_import_handle_t im_memseg,
	    off_t offset, void *src_addr, size_t length, uint_t flags);

#ifdef __cplusplus
}
#endif

#endif /* RSM_RSM_ATOMIC_H */
