/*
 * remote.h - imports that cross nodes, over the peer links (rsm_remote.h).
 *
 * remote_import.c is the importing node's side: a client's connect to a
 * segment on another node becomes a CONNECT call to that node's daemon,
 * and the import is kept here as a reg_import without a segment (so
 * quotas, status and cleanup see it) plus a struct rmt_import saying
 * where it lives.  The library then talks to the exporting node's data
 * server directly with the capability it was handed.
 *
 * remote_export.c is the exporting node's side: a remote importer is a
 * reg_import whose owner is not a client but a record holding the
 * remote process's credentials and its node (reg_owner.node != 0), so the
 * access decision, the capability, listing and revocation are the local
 * ones; only the notifications travel over the peer link instead.
 */
#ifndef RSMD_REMOTE_H
#define RSMD_REMOTE_H

#include <stdint.h>

#include "rsmd.h"
#include "rsm_ctlr.h"

/* Register the peer handlers and the node state hook (once). */
int	 remote_init(void);
/* Shutdown: end the tries of data ports still under way. */
void	 remote_stop(struct rsmd *);

/* ---- importing node (remote_import.c) ---- */

/*
 * IMPORT_CONNECT naming another node, from client c (request id id),
 * through a controller of type t (its rmt_connect asks the exporting
 * node, its cap_kind is the capability expected back):
 * RSMD_DEFERRED when the exporting node was asked (the reply comes
 * later), or an RSMERR_* value to answer at once.
 */
int	 remote_connect(struct rsmd *, struct client *c, uint64_t id,
	    uint32_t node, uint32_t segid, uint32_t perm,
	    const struct rsm_ctlr_type *t);
/* A client disconnects (or dies with) a remote import: tell its node. */
void	 remote_forget(struct rsmd *, struct reg_import *);
/* A post on a remote import: ring the exporter on its node. */
int	 remote_post_to_exporter(struct rsmd *, struct reg_import *,
	    uint32_t flags);
/* Whether a remote import is still connected. */
int	 remote_live(const struct reg_import *);
/* The exporting node of a remote import. */
uint32_t remote_node(const struct reg_import *);

/* ---- exporting node (remote_export.c) ---- */

/*
 * A remote importer's import is being revoked (unpublish, destroy,
 * exporter death): tell its node, and forget it.  Called with the
 * capability already revoked; frees the import.
 */
void	 remote_export_revoked(struct rsmd *, struct reg_import *,
	    uint32_t reason);
/* A post on an export handle reaching a remote importer. */
void	 remote_post_to_importer(struct rsmd *, struct reg_import *,
	    uint32_t flags);

#endif /* RSMD_REMOTE_H */
