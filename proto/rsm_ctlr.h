/*
 * rsm_ctlr.h - what a controller name means, written once for the
 * library, the daemon and the admin tool.
 *
 * A controller is named "<prefix><unit>" ("shm0", "tcp0", "verbs1") or,
 * for loopback, "loopback" alone.  Each row of rsm_ctlr_types says which
 * transport the prefix selects, which units can exist, and how an import
 * through it behaves: whether a same-node import is handed the segment's
 * memfd or a capability, whether the data path connects at import time,
 * whether it reaches other nodes, whether an import can be mapped.  The
 * library, the daemon and rsmadm read these flags instead of branching on
 * a transport kind, so a new transport is one row here (plus its folder
 * under transport/ and its service in rsmd/).
 */
#ifndef RSM_CTLR_H
#define RSM_CTLR_H

#include <stddef.h>
#include <stdint.h>

/* Flags of a controller type. */
/* Reaches segments of this node only (spec 4.4: loopback). */
#define RSM_CTLRF_THIS_NODE	0x01u
/* A same-node import is handed the memfd; else a capability (cap_kind). */
#define RSM_CTLRF_FD		0x02u
/* The data path connects at import time, not at the first put or get. */
#define RSM_CTLRF_EAGER		0x04u
/* Imports can be mapped (rsm_memseg_import_map). */
#define RSM_CTLRF_MAP		0x08u
/* Units 0, 1, ... may exist (the daemon says which); else only unit 0. */
#define RSM_CTLRF_UNITS		0x10u
/* The prefix alone names unit 0 ("loopback"). */
#define RSM_CTLRF_BARE		0x20u
/* Imports of this node's segments are served by a daemon data service. */
#define RSM_CTLRF_SERVED	0x40u
/* The topology shows the peer daemons reached through its unit 0. */
#define RSM_CTLRF_PEER_ROUTE	0x80u
/*
 * Its data path connects only at first use (no EAGER), over TCP to the
 * capability's address and port: the importing node's daemon checks that
 * a connection there can be made before it answers the connect, so an
 * unreachable data port fails the connect (REMOTE_NODE_UNREACHABLE), not
 * the first put.
 */
#define RSM_CTLRF_PROBE_TCP	0x100u

struct rsm_ctlr_type {
	const char	*prefix;	/* "loopback", "shm", "tcp", "verbs" */
	uint32_t	 xport;		/* RSM_XPORT_*: the wire's name for it */
	uint32_t	 flags;		/* RSM_CTLRF_* */
	uint8_t		 cap_kind;	/* RSM_CAPK_* of its capabilities */
	/* Peer request that connects an import of another node's segment
	 * (rsm_remote.h); 0: this type cannot reach other nodes. */
	uint32_t	 rmt_connect;
	const char	*what;		/* one line, for listings */
};

extern const struct rsm_ctlr_type rsm_ctlr_types[];
extern const size_t rsm_ctlr_ntypes;

/*
 * The type a controller name selects and its unit, or NULL when the name
 * is no controller name at all (unknown prefix, bad or missing unit, a
 * unit other than 0 for a type without RSM_CTLRF_UNITS).  Whether that
 * controller exists on a node is the daemon's answer, not this table's.
 */
const struct rsm_ctlr_type *rsm_ctlr_parse(const char *name, uint32_t *unit);
/* The type with this RSM_XPORT_* value, or NULL. */
const struct rsm_ctlr_type *rsm_ctlr_by_xport(uint32_t xport);
/* The type whose rmt_connect is this peer request, or NULL. */
const struct rsm_ctlr_type *rsm_ctlr_by_rmt_connect(uint32_t type);
/* The prefix of RSM_XPORT_* value xport, "?" when unknown. */
const char *rsm_ctlr_xport_name(uint32_t xport);

#endif /* RSM_CTLR_H */
