/*
 * remote_int.h - what the remote import modules share: remote.c (peer
 * registration, dispatch, one-way sends), remote_export.c (the exporting
 * node's side) and remote_import.c (the importing node's side).
 */
#ifndef RSMD_REMOTE_INT_H
#define RSMD_REMOTE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rsmd.h"

/*
 * Send a request whose answer only matters for the log (REVOKED, SIGNAL,
 * DISCONNECT): the peer layer still answers it exactly once.  Nothing is
 * sent to a node that is down; its own down handling covers that case.
 */
void	 rmt_send(struct rsmd *, uint32_t node, uint32_t inner_type,
	    const void *body, size_t len);

/* remote_export.c: peer request servers and the node-down sweep. */
/* CONNECT of any served controller type (type: its rmt_connect). */
int	 rmt_serve_connect(struct rsmd *, uint32_t node, uint32_t type,
	    const void *body, size_t len, void *reply, size_t *reply_len);
int	 rmt_serve_disconnect(struct rsmd *, uint32_t node, uint32_t type,
	    const void *body, size_t len, void *reply, size_t *reply_len);
/* UNREACHABLE: the importing node cannot reach our data port. */
int	 rmt_serve_unreachable(struct rsmd *, uint32_t node, uint32_t type,
	    const void *body, size_t len, void *reply, size_t *reply_len);
int	 rmt_ring_exporter(struct rsmd *, uint32_t node, uint64_t handle,
	    uint32_t flags);
void	 rmt_export_node_down(struct rsmd *, uint32_t node);
/* Whether a remote importer on node holds one of our segments. */
int	 rmt_export_uses(uint32_t node);

/* remote_import.c */
int	 rmt_serve_revoked(struct rsmd *, uint32_t node, uint32_t type,
	    const void *body, size_t len, void *reply, size_t *reply_len);
int	 rmt_ring_importer(struct rsmd *, uint32_t node, uint64_t handle,
	    uint32_t flags);
void	 rmt_import_node_down(struct rsmd *, uint32_t node);
/* Whether an import of ours from node is live or on its way. */
int	 rmt_import_uses(uint32_t node);

#endif /* RSMD_REMOTE_INT_H */
