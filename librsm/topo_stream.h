/*
 * topo_stream.h - the receiving end of a TOPOLOGY stream
 * (proto/rsm_proto.h): a HEAD, PARTs, an END.  Each message passed
 * rsm_msg_check() alone; this checks that they fit together (one HEAD
 * first, parts in order tiling the announced list, local controllers that
 * exist, totals that match) and builds the rsm_topology_t of spec 2.2.
 *
 * Pure data, no I/O, so it can be tested alone.  Nothing a daemon sends
 * can make it read or write out of bounds: every length and count is
 * checked again here.
 */
#ifndef RSM_TOPO_STREAM_H
#define RSM_TOPO_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "rsmapi.h"
#include "rsm_proto.h"

#pragma GCC visibility push(hidden)

struct rsm_topo_rx {
	int			 err;	/* first fault, RSM_SUCCESS until one */
	int			 have_head;
	uint32_t		 node_id;
	uint32_t		 nctlr;
	uint32_t		 nremote;	/* as the HEAD announced */
	uint32_t		 got;		/* remote entries received */
	uint32_t		 nparts;	/* PARTs received */
	struct rsm_wire_ctlr	 ctlr[RSM_TOPO_CTLR_MAX];
	struct rsm_wire_remote	*remote;	/* nremote entries */
};

void	 rsm_topo_rx_init(struct rsm_topo_rx *);
/*
 * One RSM_MSGF_MORE reply of the stream, a HEAD or a PART (the shape of
 * struct rsm_call's more, with rx the struct rsm_topo_rx).  A fault is
 * kept for rsm_topo_rx_end(); whatever comes after one is ignored.
 */
void	 rsm_topo_rx_more(void *rx, const void *payload, size_t len);
/*
 * The last reply, the END: check it against what came and, when all is
 * well, build the description into *out.  Returns RSM_SUCCESS,
 * RSMERR_BAD_ADDR (the stream was inconsistent or ended early), or
 * RSMERR_INSUFFICIENT_MEM.
 */
int	 rsm_topo_rx_end(struct rsm_topo_rx *, const void *payload, size_t len,
	    rsm_topology_t **out);
void	 rsm_topo_rx_free(struct rsm_topo_rx *);

#pragma GCC visibility pop

#endif /* RSM_TOPO_STREAM_H */
