/*
 * monitor.h - the node's events (rsmadm monitor): counted into the
 * records' statistics (stats.h) and told to every subscribed control
 * connection as a MON_EVENT notification (proto/rsm_proto.h).
 *
 * The registry reports publish, unpublish, revocation and disconnect
 * through its watch (set by monitor_init); the handlers report what only
 * they know: a connect once it is complete (with its data path), and a
 * refusal with the request it refused.  Peer links report up and down
 * through a peer state hook.
 */
#ifndef RSMD_MONITOR_H
#define RSMD_MONITOR_H

#include <stdint.h>
#include <sys/types.h>

#include "rsmd.h"
#include "rsm_data.h"

/* Subscribers at most: each costs a lookup per event. */
#define MONITOR_MAX		32u
/*
 * Events a subscriber may have waiting in its output queue beyond what
 * its socket holds (the kernel's queue of a local socket is short, 10
 * packets by default), so that a reader slower than a burst loses
 * nothing; past it, events are dropped.  Well below the output queue's
 * own bound (control.c), so a subscriber is never cut off for it.
 */
#define MONITOR_BACKLOG		256u

/* Set the registry's watch and the peer hook (before peer_init). */
int	 monitor_init(struct rsmd *);
/* Forget every subscriber; the registry is told nothing more. */
void	 monitor_fini(struct rsmd *);
/*
 * A connect of a segment of this node succeeded through xport (a
 * client's or another node's): counted, told, and its disconnect will be.
 */
void	 monitor_connect(struct rsmd *, struct reg_import *, uint32_t xport);
/*
 * A request was refused with rc: counted for the node and, when segid is
 * a published segment's, for that segment (and for im, the import it
 * came through, unless NULL), then told.  what is the RSM_MSG_* refused,
 * 0 for a data operation; node, pid and uid name who asked (uid
 * UINT32_MAX: unknown).
 */
void	 monitor_refusal(struct rsmd *, uint32_t what, uint32_t segid,
	    struct reg_import *im, uint32_t node, pid_t pid, uint32_t uid,
	    int rc);
/* A data operation (RSM_DOP_*) served for an import by rsmd (tcp0). */
void	 monitor_data_op(struct reg_import *, uint8_t dop, uint64_t bytes);

/* Whether uid may see everything: root and the daemon's own uid. */
int	 monitor_privileged(uid_t uid);

#endif /* RSMD_MONITOR_H */
