/*
 * rmap.h - remote map: CPU loads and stores on a segment of another node
 * (rsm_memseg_import_map(3RSM) over a capability transport: tcp0, verbsN,
 * ucx0).
 *
 * The application's mapping is a local memfd cache of the mapped range,
 * registered with userfaultfd.  A first touch of a page faults to the
 * map's handler thread, which fetches a batch of absent pages with the
 * transport's get, through a second mapping of the same memfd, and makes
 * them visible with UFFDIO_CONTINUE.  A page is never fetched while it is
 * resident, so a fetch cannot overwrite stores not yet written back.
 * Each fetched page of a read-write map is copied to a twin; a barrier
 * writes back the bytes that differ from it (release consistency at
 * barriers, rsm_memseg_import_map(3RSM)).
 *
 * Threads: the handler thread, and the application's threads in
 * barriers, serialise on the map's own mutex; neither holds librsm's
 * handles lock while moving data, and the handler never takes it.
 */
#ifndef RSM_RMAP_H
#define RSM_RMAP_H

#include <stddef.h>

#include "transport.h"

#pragma GCC visibility push(hidden)

struct rsm_rmap;

/*
 * Connect a data path of its own to target t (so that a put whose source
 * lies in the mapping, faulting while it holds the import's connection,
 * cannot wait on the handler), map `len` bytes of the segment from
 * `seg_off` at *addr (a hint, or the address with `fixed`), with `prot`,
 * and start the handler.  uffd_dev: when this process may not make a
 * full userfaultfd itself, an open /dev/userfaultfd from elsewhere (the
 * daemon), or -1; the map closes it.  RSM_SUCCESS with *rp set, or an
 * RSMERR_*.
 */
int	 rsm_rmap_create(struct rsm_rmap **rp, const struct rsm_transport_ops *ops,
	    const struct rsm_xport_target *t, size_t seg_off, size_t len,
	    int prot, void **addr, int fixed, int (*uffd_dev)(void));
/*
 * The connection is gone (revocation, the daemon's or the node's death):
 * faults now get zero pages, resident pages stay as they are, and the
 * next write-back fails.  Never blocks; callable with any lock held.
 */
void	 rsm_rmap_revoke(struct rsm_rmap *r);
/*
 * Write every store made through the mapping since the last write-back
 * to the exporter, and wait for it to complete.  RSM_SUCCESS,
 * RSMERR_CONN_ABORTED (revoked, or the data path broke) or
 * RSMERR_BARRIER_FAILURE.
 */
int	 rsm_rmap_writeback(struct rsm_rmap *r);
/*
 * Drop every clean cached page, so that later loads fetch what others
 * published; pages with stores not yet written back stay.
 */
void	 rsm_rmap_refresh(struct rsm_rmap *r);
/*
 * Write back (errors are for barriers to report), stop the handler, and
 * unmap; later calls on r do nothing.  In a forked child, whose mapping
 * was not inherited and which has no handler, nothing is written back.
 */
void	 rsm_rmap_close(struct rsm_rmap *r);
/*
 * References: the import holds one from create; a barrier takes one
 * (under the handles lock, where it finds the map) for its duration.
 * The last unref frees r, closing it first if nobody did.
 */
void	 rsm_rmap_ref(struct rsm_rmap *r);
void	 rsm_rmap_unref(struct rsm_rmap *r);
/*
 * How faults are taken and stores found: "userfaultfd" or "userfaultfd
 * user-mode-only", then "wp-async", "twins" or "read-only".
 */
const char *rsm_rmap_mode(const struct rsm_rmap *r);

#pragma GCC visibility pop

#endif /* RSM_RMAP_H */
