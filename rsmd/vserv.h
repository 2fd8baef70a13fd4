/*
 * vserv.h - the daemon's side of the verbs data path (controllers verbsN).
 *
 * The node's RDMA devices are the controllers verbs0, verbs1, ... in
 * ibv_get_device_list order, found once at start (libraries loaded with
 * dlopen, so a node without them simply has no verbsN).  With
 * verbs_listen configured, the daemon also serves verbs imports of its
 * own segments: it registers a segment's mapping (iova 0, so remote
 * addresses are offsets) and hands the importer a capability carrying a
 * random token and the rdma_cm listener's address.  The listener accepts
 * an RC queue pair only for a live token, then sends the importer its
 * rkey: where the device has type 2 memory windows (and verbs_windows is
 * 1), a window bound to that queue pair alone with the import's rights,
 * over one region that grants no remote access itself; else the rkey of
 * the segment's region for those rights (one per access kind).  The
 * queue pair then carries RDMA READ/WRITE from the importer (the daemon's
 * CPU is not involved) and SENDs that ring the exporter.
 *
 * Revocation is synchronous like tcp0's: the import's queue pairs are
 * disconnected and destroyed (their windows freed), and when a segment is
 * unpublished, destroyed or its exporter dies its memory regions are
 * deregistered, before the daemon answers, so a stale rkey fails at the
 * hardware.  A rebind moves the windows to the new memory before the
 * daemon answers (vserv_seg_rebound).
 */
#ifndef RSMD_VSERV_H
#define RSMD_VSERV_H

#include "rsmd.h"

/* Find the devices, open the listener (verbs_listen); -1: fatal. */
int	 vserv_start(struct rsmd *);
void	 vserv_stop(struct rsmd *);
/* Devices found (controllers verbs0 .. verbsN-1). */
unsigned vserv_nctlr(void);
/*
 * CTLR_QUERY "verbsN": adjust the generic attributes in *r to the device;
 * RSMERR_CTLR_NOT_PRESENT (logged) when there is no such device.
 */
int	 vserv_ctlr(const char *name, struct rsm_msg_ctlr_reply *r);
/* Whether this node serves verbs imports of its segments. */
int	 vserv_serving(void);
/*
 * A verbs capability for a live import: RSM_SUCCESS, or
 * RSMERR_CTLR_NOT_PRESENT (no listener), RSMERR_INSUFFICIENT_MEM (the
 * segment cannot be pinned: RLIMIT_MEMLOCK, logged),
 * RSMERR_INSUFFICIENT_RESOURCES.
 */
int	 vcap_issue(struct rsmd *, struct reg_import *, struct rsm_wire_cap *);
/* Revoke the import's verbs capability, if any; its queue pairs go. */
void	 vcap_revoke(struct rsmd *, struct reg_import *);
/* Whether the import holds a verbs capability. */
int	 vcap_held(const struct reg_import *);
/* Deregister a segment's memory regions (its imports revoked already). */
void	 vserv_seg_release(struct rsmd *, struct reg_segment *);
/*
 * The segment was rebound to new memory: with windows, register the new
 * memory, move every importer's window onto it with the rkey it has
 * (invalidate, bind), wait (bounded) for that, and deregister the old
 * memory: 0, importers keep working.  -1: without windows, or the new
 * memory cannot be registered: the caller revokes the verbs imports and
 * releases the segment's regions.
 */
int	 vserv_seg_rebound(struct rsmd *, struct reg_segment *);

#endif /* RSMD_VSERV_H */
