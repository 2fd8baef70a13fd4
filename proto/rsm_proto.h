/*
 * rsm_proto.h - the messages between librsm, rsmd and rsmadm.
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET socket, one message per packet, so
 * framing is the kernel's.  Every message is a fixed header followed by a
 * payload whose size is exact for its type (or, for the list-carrying
 * types, exact for the count it declares).  File descriptors travel out of
 * band as SCM_RIGHTS, and only on the message types that declare one.
 *
 * Syslink rules: every request carries a non-zero id and gets exactly one
 * reply with the same id and type and RSM_MSGF_REPLY set (list requests
 * or the topology get a stream of replies, every one but the last flagged
 * RSM_MSGF_MORE; an error reply is always the last).  The one exception
 * is a request its sender flags RSM_MSGF_POSTED: nobody waits for it, so
 * the daemon serves it in order and sends nothing back (only
 * IMPORT_DISCONNECT may be posted).  Notifications
 * from the daemon carry id 0.  A reply's status is RSM_SUCCESS or an
 * RSMERR_* value; an error reply carries no payload.  When the daemon goes
 * away the library answers every pending request itself, so nobody waits
 * on a dead peer.
 *
 * Nothing received is trusted until rsm_msg_check() has accepted it; the
 * daemon takes the sender's identity from SO_PEERCRED, never from a message.
 */
#ifndef RSM_PROTO_H
#define RSM_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RSM_PROTO_MAGIC		0x5253u		/* "RS" */
/*
 * 2: a capability lists several addresses; 3: the topology is a stream;
 * 4: a posted request gets no reply
 */
#define RSM_PROTO_VERSION	4u
#define RSM_MSG_MAX		4096u		/* largest packet either side sends */
#define RSM_CTLR_NAME_MAX	32u		/* including the NUL */
#define RSM_ACL_MAX		64u		/* access-list entries */
/*
 * Node ids are 0..RSM_NODE_ID_MAX in rsmd.conf, access lists, imports and
 * peer links.  The illumos kernel agent stops at 64; every node field on
 * the wire is 32 bits, so the larger range changes no layout.
 */
#define RSM_NODE_ID_MAX		65535u
#define RSM_TOPO_CTLR_MAX	8u
/*
 * Remote entries one TOPOLOGY stream may carry in all: what a library
 * allocates for at most, so no more than this many peers per node.
 */
#define RSM_TOPO_REMOTE_MAX	4096u
#define RSM_TOPO_PART_MAX	64u		/* remote entries per PART */
#define RSM_INFO_IMPORTERS_MAX	8u		/* importer pids listed per segment */

/* Default socket; librsm and rsmd both honour $RSM_DAEMON_SOCKET. */
#define RSM_DEFAULT_SOCKET	"/run/rsm/rsmd.sock"
#define RSM_SOCKET_ENV		"RSM_DAEMON_SOCKET"

/* Header flags. */
#define RSM_MSGF_REPLY		0x01u
#define RSM_MSGF_MORE		0x02u	/* more replies follow for this id */
#define RSM_MSGF_POSTED		0x04u	/* request: send no reply */
#define RSM_MSGF_ALL		(RSM_MSGF_REPLY | RSM_MSGF_MORE | \
				    RSM_MSGF_POSTED)

/* Transport kinds: controller types the daemon knows. */
#define RSM_XPORT_SHM		1u	/* same-node shared memory */
#define RSM_XPORT_TCP		2u
#define RSM_XPORT_VERBS		3u
#define RSM_XPORT_LOOPBACK	4u	/* shm, restricted to this node (spec 4.4) */
#define RSM_XPORT_UCX		5u	/* UCX (libucp) to the exporting daemon */

/* Which kind of handle a signal or event names. */
#define RSM_HKIND_EXPORT	1u
#define RSM_HKIND_IMPORT	2u

struct rsm_msg_hdr {
	uint16_t magic;		/* RSM_PROTO_MAGIC */
	uint8_t  version;	/* RSM_PROTO_VERSION */
	uint8_t  flags;		/* RSM_MSGF_* */
	uint16_t type;		/* enum rsm_msg_type */
	uint16_t reserved;	/* zero */
	uint32_t len;		/* header + payload, bytes */
	uint32_t status;	/* replies: RSM_SUCCESS or RSMERR_*; requests: 0 */
	uint64_t id;		/* request id; 0 for notifications */
};

/*
 * X(name, value, request payload, reply payload, fd in request, fd in reply, dir)
 * dir: C = client request answered by the daemon, N = daemon notification.
 * A payload of "none" is empty.  The list-carrying types (PUBLISH,
 * REPUBLISH, DSEG_CREATE, the TOPOLOGY replies) and the data-carrying
 * ones (DSEG_WRITE, DSEG_READ's reply) are checked by count in
 * rsm_msg_check(), and ADMIN_REMOTE as the type it wraps, both ways.
 */
#define RSM_MSG_TYPES(X) \
	X(HELLO,          1, hello,         hello_reply,   0, 0, C) \
	X(CTLR_QUERY,     2, ctlr,          ctlr_reply,    0, 0, C) \
	X(EXPORT_CREATE,  3, export_create, handle,        1, 0, C) \
	X(EXPORT_DESTROY, 4, handle,        none,          0, 0, C) \
	X(EXPORT_REBIND,  5, rebind,        none,          1, 0, C) \
	X(PUBLISH,        6, publish,       publish_reply, 0, 0, C) \
	X(UNPUBLISH,      7, handle,        none,          0, 0, C) \
	X(REPUBLISH,      8, publish,       none,          0, 0, C) \
	X(IMPORT_CONNECT, 9, connect,       connect_reply, 0, 2, C) \
	X(IMPORT_DISCONNECT, 10, handle,    none,          0, 0, C) \
	X(SIGNAL_POST,   11, signal,        none,          0, 0, C) \
	X(TOPOLOGY,      12, none,          topology,      0, 0, C) \
	X(STATUS,        13, none,          status,        0, 0, C) \
	X(LIST_SEGMENTS, 14, none,          seginfo,       0, 0, C) \
	X(LIST_CTLRS,    15, none,          ctlr_reply,    0, 0, C) \
	X(NODES,         20, none,          nodeinfo,      0, 0, C) \
	X(PING,          21, ping,          ping_reply,    0, 0, C) \
	X(DSEG_CREATE,   22, dseg_create,   none,          0, 0, C) \
	X(DSEG_REMOVE,   23, dseg_id,       none,          0, 0, C) \
	X(DSEG_READ,     24, dseg_io,       dseg_data,     0, 0, C) \
	X(DSEG_WRITE,    25, dseg_io,       none,          0, 0, C) \
	X(UFFD,          26, none,          none,          0, 1, C) \
	X(STATS,         27, stats_req,     stats,         0, 0, C) \
	X(MONITOR,       28, none,          none,          0, 0, C) \
	X(ADMIN_REMOTE,  29, admin_remote,  admin_reply,   0, 0, C) \
	X(EVENT,         32, event,         none,          0, 0, N) \
	X(REVOKED,       33, revoked,       none,          0, 0, N) \
	X(REBOUND,       34, rebound,       none,          1, 0, N) \
	X(MON_EVENT,     35, mon_event,     none,          0, 0, N)

enum rsm_msg_type {
#define RSM_X_ENUM(name, val, rq, rp, fdq, fdp, dir) RSM_MSG_##name = val,
	RSM_MSG_TYPES(RSM_X_ENUM)
#undef RSM_X_ENUM
};

/* ---- payloads (all naturally aligned, no implicit padding) ---- */

struct rsm_msg_hello {
	uint32_t proto_version;
	uint32_t pad;
};

struct rsm_msg_hello_reply {
	uint32_t node_id;
	uint32_t pad;
	uint64_t daemon_pid;
	uint64_t instance;	/* random per daemon start: tells restarts apart */
};

/* CTLR_QUERY: name is "<type><unit>" or "loopback", NUL-terminated. */
struct rsm_msg_ctlr {
	char name[RSM_CTLR_NAME_MAX];
};

/* Attributes of a controller: the nine public fields plus identity. */
struct rsm_msg_ctlr_reply {
	char     name[RSM_CTLR_NAME_MAX];
	uint32_t xport;			/* RSM_XPORT_* */
	uint32_t unit;
	uint64_t hwaddr;
	uint32_t direct_access_sizes;
	uint32_t atomic_sizes;
	uint64_t page_size;
	uint64_t max_export_segment_size;
	uint64_t tot_export_segment_size;
	uint64_t max_export_segments;
	uint64_t max_import_map_size;
	uint64_t tot_import_map_size;
	uint64_t max_import_segments;
};

/*
 * EXPORT_CREATE carries the memfd holding the segment's pages.  mode is the
 * creator's default mode (0777 & ~umask); the daemon checks size against
 * the memfd's own size, never trusting this field alone.
 */
struct rsm_msg_export_create {
	uint64_t size;
	uint32_t flags;		/* RSM_ALLOW_REBIND | RSM_CREATE_SEG_DONTWAIT */
	uint32_t mode;
	uint32_t xport;		/* controller the segment was created through */
	uint32_t pad;
};

/* A daemon-issued handle: export segment or import connection. */
struct rsm_msg_handle {
	uint64_t handle;
};

/* EXPORT_REBIND carries the new memfd, which must be exactly `size` bytes. */
struct rsm_msg_rebind {
	uint64_t handle;
	uint64_t size;
};

struct rsm_wire_ace {
	uint32_t node;
	uint32_t perm;
};

/* PUBLISH and REPUBLISH: followed by acl_len entries, exactly. */
struct rsm_msg_publish {
	uint64_t handle;
	uint32_t segid;		/* PUBLISH: 0 asks the daemon to choose; REPUBLISH: ignored */
	uint32_t acl_len;	/* 0 .. RSM_ACL_MAX */
	struct rsm_wire_ace acl[];
};

struct rsm_msg_publish_reply {
	uint32_t segid;
	uint32_t pad;
};

struct rsm_msg_connect {
	uint32_t node;
	uint32_t segid;
	uint32_t perm;		/* RSM_PERM_READ, _WRITE or _RDWR */
	uint32_t xport;
};

/*
 * A data-path capability (controller tcp0, see rsm_data.h): open a TCP
 * connection to (addr, port) and present token.  The token is random,
 * bound to one import's segment, rights and lifetime, and dies when the
 * import does; holding it is all a remote importer needs.
 */
#define RSM_CAP_TOKEN_LEN	16u
#define RSM_CAP_NONE		0u	/* no capability: the reply has an fd */
#define RSM_CAP_INET		4u	/* addr holds an IPv4 address */
#define RSM_CAP_INET6		6u
/*
 * Kinds: a tcp0 data server (addr:port), or (controller verbsN) the
 * exporting daemon's rdma_cm listener at addr:port, where the token is
 * presented in the connect request and data moves by RDMA to offsets of
 * the memory region named by rkey (proto/rsm_verbs_wire.h).
 */
#define RSM_CAPK_TCP		0u
#define RSM_CAPK_VERBS		1u
/*
 * Controller ucx0: the exporting daemon's UCP listener at addr:port; the
 * token is presented in an active message on the endpoint, answered with
 * the packed rkey (proto/rsm_ucx_wire.h).  One address, no rkey field.
 */
#define RSM_CAPK_UCX		2u

/*
 * A verbs capability lists every address the exporting daemon serves
 * RDMA on (one per device, at most RSM_CAP_ADDRS_MAX): the first in addr,
 * port and family, the others in more[0 .. nmore).  The importer connects
 * to the one on its own device's network.  A tcp capability has one.
 */
#define RSM_CAP_ADDRS_MAX	4u

struct rsm_wire_capaddr {
	uint8_t  addr[16];	/* as in rsm_wire_cap */
	uint16_t port;		/* host order, non-zero */
	uint8_t  family;	/* RSM_CAP_INET or RSM_CAP_INET6 */
	uint8_t  pad;		/* zero */
};

struct rsm_wire_cap {
	uint8_t  token[RSM_CAP_TOKEN_LEN];
	uint8_t  addr[16];	/* network order; IPv4 in the first 4 bytes */
	uint16_t port;		/* host order, non-zero with a capability */
	uint8_t  family;	/* RSM_CAP_* */
	uint8_t  kind;		/* RSM_CAPK_*: which data path */
	uint32_t rkey;		/* RSM_CAPK_VERBS: the segment's rkey; else 0 */
	uint8_t  nmore;		/* RSM_CAPK_VERBS: entries of more[] used; else 0 */
	uint8_t  pad[3];	/* zero */
	/* Unused entries are all zero. */
	struct rsm_wire_capaddr more[RSM_CAP_ADDRS_MAX - 1];
};

/*
 * The reply to a same-node shm connect carries the segment's memfd, opened
 * read-only when the granted rights lack write, so the kernel enforces
 * them; the reply to a tcp or verbs connect carries a capability and no fd.
 */
struct rsm_msg_connect_reply {
	uint64_t handle;	/* the import connection */
	uint64_t size;
	uint32_t node_mode;	/* mode granted to this node by the access list */
	uint32_t owner_uid;
	uint32_t owner_gid;
	uint32_t granted;	/* RSM_PERM_* actually granted to this process */
	struct rsm_wire_cap cap;
};

struct rsm_msg_signal {
	uint32_t kind;		/* RSM_HKIND_* */
	uint32_t flags;		/* RSM_SIGPOST_NO_ACCUMULATE */
	uint64_t handle;
};

/*
 * TOPOLOGY: the answer is a stream of replies with the request's id, all
 * but the last flagged RSM_MSGF_MORE, each a struct rsm_msg_topology
 * followed by `count` entries, in this order:
 *
 *   HEAD  this node and its controllers (count ctlr entries, at most
 *         RSM_TOPO_CTLR_MAX), and nremote, the remote entries to come
 *         (at most RSM_TOPO_REMOTE_MAX);
 *   PART  count remote entries (1 .. RSM_TOPO_PART_MAX), the first of
 *         them entry number `first` of the whole list: the parts tile
 *         0 .. nremote in order, so there is none when nremote is 0;
 *   END   (no RSM_MSGF_MORE, no entries) nremote and nparts again, which
 *         must match what came.
 *
 * rsm_msg_check() checks each message alone (kind against the MORE flag,
 * counts in range, the size exact for the count, unused fields zero,
 * names NUL-terminated); the receiver checks the stream (order, first,
 * totals).  The daemon queues the whole stream at once: one snapshot.
 */
#define RSM_TOPO_HEAD		1u
#define RSM_TOPO_PART		2u
#define RSM_TOPO_END		3u

struct rsm_msg_topology {
	uint32_t kind;		/* RSM_TOPO_HEAD, _PART or _END */
	uint32_t count;		/* entries that follow: HEAD ctlrs, PART remotes, END 0 */
	uint32_t node_id;	/* HEAD: this node; else 0 */
	uint32_t nremote;	/* HEAD, END: remote entries of the stream; PART: 0 */
	uint32_t first;		/* PART: index of its first entry; else 0 */
	uint32_t nparts;	/* END: PARTs sent; else 0 */
};

struct rsm_wire_ctlr {
	char     name[RSM_CTLR_NAME_MAX];
	uint64_t hwaddr;
};

struct rsm_wire_remote {
	uint32_t node;
	uint32_t state;		/* RSM_CONNECTION_ACTIVE etc. */
	uint32_t local_ctlr;	/* index into the HEAD's ctlr entries */
	uint32_t pad;
	char     name[RSM_CTLR_NAME_MAX];
	uint64_t hwaddr;
};

/* A HEAD or a PART at its largest; sent cut to its count. */
struct rsm_msg_topology_head {
	struct rsm_msg_topology t;
	struct rsm_wire_ctlr     ctlr[RSM_TOPO_CTLR_MAX];
};

struct rsm_msg_topology_part {
	struct rsm_msg_topology t;
	struct rsm_wire_remote   remote[RSM_TOPO_PART_MAX];
};

/*
 * STATUS's rmap: how a remote map made on the daemon's node finds its
 * stores (the kernel's best, rsm_memseg_import_map(3RSM)) in the low
 * byte, and whether rsmd lends /dev/userfaultfd to unprivileged clients.
 * Old daemons send 0: not known.
 */
#define RSM_RMAP_TRACK_UNKNOWN	0u	/* or no remote map on this kernel */
#define RSM_RMAP_TRACK_TWINS	1u
#define RSM_RMAP_TRACK_WP_SYNC	2u
#define RSM_RMAP_TRACK_WP_ASYNC	3u
#define RSM_RMAP_TRACK_MASK	0xffu
#define RSM_RMAP_UFFD_LENT	0x100u

struct rsm_msg_status {
	uint32_t node_id;
	uint32_t rmap;		/* RSM_RMAP_TRACK_* | RSM_RMAP_UFFD_LENT */
	uint64_t daemon_pid;
	uint64_t uptime_ms;
	uint64_t clients;
	uint64_t segments;
	uint64_t published;
	uint64_t imports;
	uint64_t bytes_exported;
	uint64_t requests;
	uint64_t refused;	/* malformed or hostile messages */
};

/*
 * NODES: one reply per configured peer node, then a final one with last = 1
 * and the count, like LIST_SEGMENTS.
 */
#define RSM_NODE_STATE_DOWN		0u
#define RSM_NODE_STATE_CONNECTING	1u
#define RSM_NODE_STATE_UP		2u
#define RSM_NODE_STATE_IDLE		3u	/* on demand: no link, none needed */
#define RSM_NODE_ADDR_MAX		64u	/* including the NUL */
#define RSM_NODE_NEVER			UINT64_MAX

struct rsm_msg_nodeinfo {
	uint32_t node;
	uint32_t state;		/* RSM_NODE_STATE_* */
	char     addr[RSM_NODE_ADDR_MAX];	/* the configured HOST:PORT */
	uint64_t heartbeat_age_ms;	/* since anything was received; RSM_NODE_NEVER */
	uint64_t rtt_us;	/* last measured round trip, 0 if none yet */
	uint64_t up_ms;		/* time the current link has been up, 0 when down */
	uint32_t last;		/* 1 on the closing message, whose other fields are 0 */
	uint32_t count;		/* closing message: number of nodes sent */
};

/* PING: a peer PING/PONG to node, answered with the round trip. */
struct rsm_msg_ping {
	uint32_t node;
	uint32_t pad;
};

struct rsm_msg_ping_reply {
	uint32_t node;
	uint32_t pad;
	uint64_t rtt_us;
};

/* Topology connection_state of a peer whose link is not up (spec: 1 down). */
#define RSM_TOPO_STATE_DOWN	1u

/* LIST_SEGMENTS: one reply per segment, then a final one with count. */
struct rsm_msg_seginfo {
	uint64_t handle;
	uint64_t size;
	uint32_t segid;
	uint32_t published;
	uint32_t owner_pid;
	uint32_t owner_uid;
	uint32_t owner_gid;
	uint32_t mode;
	uint32_t acl_len;
	uint32_t nimporters;
	uint32_t importer_pid[RSM_INFO_IMPORTERS_MAX];
	uint32_t importer_node[RSM_INFO_IMPORTERS_MAX];	/* each one's node */
	uint32_t last;		/* 1 on the closing message, whose other fields are 0 */
	uint32_t count;		/* closing message: number of segments sent */
};

/*
 * Daemon segments (rsmadm segment): segments rsmd itself owns, published
 * under segid until removed, outliving every process.  Creating, removing
 * and writing them is for root and the daemon's own uid; reading follows
 * the segment's mode for the asker's credentials, as an import would.
 */
#define RSM_DSEG_HUGEPAGES	0x1u	/* back it with huge pages */
#define RSM_DSEG_FLAGS		RSM_DSEG_HUGEPAGES
/* Bytes one DSEG_READ or DSEG_WRITE moves: a request or reply fits a packet. */
#define RSM_DSEG_IO_MAX		3072u

/* DSEG_CREATE: followed by acl_len entries, exactly, as PUBLISH. */
struct rsm_msg_dseg_create {
	uint64_t size;		/* bytes, a multiple of the page size */
	uint32_t segid;
	uint32_t mode;		/* 0 .. 0777 */
	uint32_t uid;		/* the owner: access checks and quotas */
	uint32_t gid;
	uint32_t flags;		/* RSM_DSEG_* */
	uint32_t acl_len;	/* 0 .. RSM_ACL_MAX */
	struct rsm_wire_ace acl[];
};

/* DSEG_REMOVE */
struct rsm_msg_dseg_id {
	uint32_t segid;
	uint32_t pad;		/* zero */
};

/*
 * DSEG_READ asks for len bytes at off (no data follows); DSEG_WRITE
 * carries them, exactly len (1 .. RSM_DSEG_IO_MAX) after the fixed part.
 */
struct rsm_msg_dseg_io {
	uint64_t off;
	uint32_t segid;
	uint32_t len;
	uint8_t  data[];
};

/* DSEG_READ's reply: exactly len bytes follow. */
struct rsm_msg_dseg_data {
	uint32_t len;		/* 0 .. RSM_DSEG_IO_MAX */
	uint32_t pad;		/* zero */
	uint8_t  data[];
};

/*
 * STATS: the daemon's counters as a stream like LIST_SEGMENTS, every
 * message one struct rsm_msg_stats: a NODE entry first (refusals of the
 * whole node by code, and the malformed tcp0 frames), then a SEGMENT
 * entry per segment and an IMPORT entry per live import of it, then a
 * PEER entry per peer daemon, and an END (no RSM_MSGF_MORE) with the
 * count of entries before it.  With RSM_STATSF_SEGID only segment segid
 * and its imports are sent (no NODE, no PEER).  Root and the daemon's own
 * uid see every segment; another uid only the segments it owns and the
 * imports it holds.  Only what rsmd itself does is counted: data it
 * moves (tcp0), connects, revocations, refusals; shm0 and verbs0 data
 * never pass through it.
 */
#define RSM_STATSF_SEGID	0x1u
#define RSM_STATSF_ALL		RSM_STATSF_SEGID

struct rsm_msg_stats_req {
	uint32_t flags;		/* RSM_STATSF_* */
	uint32_t segid;		/* with RSM_STATSF_SEGID */
};

#define RSM_STATS_NODE		1u
#define RSM_STATS_SEGMENT	2u
#define RSM_STATS_IMPORT	3u
#define RSM_STATS_PEER		4u
#define RSM_STATS_END		5u

/* Data operations by kind: the index into ops[] and bytes[]. */
#define RSM_STATS_OP_PUT	0u
#define RSM_STATS_OP_GET	1u
#define RSM_STATS_OP_PUTV	2u
#define RSM_STATS_OP_GETV	3u
#define RSM_STATS_OP_ATOMIC	4u
#define RSM_STATS_OP_SIGNAL	5u
#define RSM_STATS_NOPS		6u
/* Distinct error codes counted one by one; the rest in errors_other. */
#define RSM_STATS_ERRS		8u
/* Round trips a peer's percentiles are taken over: the latest ones. */
#define RSM_STATS_RTT_WINDOW	64u
/* The largest error code a counter may name (RSMERR_QUEUE_FULL). */
#define RSM_STATS_CODE_MAX	134u

struct rsm_wire_errcount {
	uint32_t code;		/* RSMERR_*; 0 on an unused entry */
	uint32_t pad;		/* zero */
	uint64_t count;		/* non-zero exactly when code is */
};

struct rsm_msg_stats {
	uint32_t kind;		/* RSM_STATS_* */
	uint32_t segid;		/* SEGMENT (0: unpublished), IMPORT */
	uint64_t handle;	/* SEGMENT: export handle; IMPORT: import handle */
	uint32_t node;		/* IMPORT: the importer's node; PEER: the peer */
	uint32_t pid;		/* SEGMENT: owner; IMPORT: importer (0: unknown) */
	uint32_t uid;
	uint32_t xport;		/* SEGMENT: created through; IMPORT: data path */
	uint64_t ops[RSM_STATS_NOPS];
	uint64_t bytes[RSM_STATS_NOPS];
	uint64_t connects;	/* NODE, SEGMENT: imports granted */
	uint64_t disconnects;	/* NODE, SEGMENT */
	uint64_t revocations;	/* NODE, SEGMENT, IMPORT (0 or 1) */
	uint64_t errors_other;	/* errors of codes beyond err[] */
	/*
	 * NODE: tcp0 data frames that broke the protocol, each of which
	 * closed its connection unanswered (no RSMERR_* to count it by);
	 * 0 in every other kind.
	 */
	uint64_t malformed;
	struct rsm_wire_errcount err[RSM_STATS_ERRS];
	/* PEER */
	uint32_t state;		/* RSM_NODE_STATE_* */
	uint32_t rtt_samples;	/* round trips the percentiles are of */
	uint64_t frames_tx;
	uint64_t frames_rx;
	uint64_t bytes_tx;
	uint64_t bytes_rx;
	uint64_t retransmits;	/* TCP's, of the current link (tcpi_total_retrans) */
	uint64_t rtt_p50_us;
	uint64_t rtt_p90_us;
	uint64_t rtt_p99_us;
	uint64_t rtt_max_us;
	/* END */
	uint32_t count;		/* entries before the END */
	uint32_t pad;		/* zero */
};

/*
 * MONITOR: the control connection becomes a subscriber (for root and the
 * daemon's own uid, else RSMERR_PERM_DENIED): after the reply, every
 * event of the node arrives as a MON_EVENT notification until the
 * connection closes.  A subscriber that does not read loses events (once
 * a few hundred wait for it), never blocks the daemon; the next event it
 * gets says how many it lost.
 */
#define RSM_MON_NODE_UP		1u
#define RSM_MON_NODE_DOWN	2u
#define RSM_MON_PUBLISH		3u
#define RSM_MON_UNPUBLISH	4u
#define RSM_MON_CONNECT		5u
#define RSM_MON_DISCONNECT	6u
#define RSM_MON_REVOKE		7u
#define RSM_MON_REFUSAL		8u
#define RSM_MON_KIND_MAX	RSM_MON_REFUSAL

struct rsm_msg_mon_event {
	uint64_t time_ns;	/* CLOCK_REALTIME, since the epoch */
	uint64_t dropped;	/* events this subscriber lost just before */
	uint32_t kind;		/* RSM_MON_* */
	uint32_t node;		/* NODE_*: the peer; else the importer's node */
	uint32_t segid;		/* 0: none (or an unpublished segment) */
	uint32_t pid;		/* who, where known (0: unknown) */
	uint32_t uid;		/* UINT32_MAX: unknown */
	uint32_t code;		/* REVOKE, REFUSAL: the RSMERR_* */
	uint32_t what;		/* REFUSAL: the refused RSM_MSG_* or 0 for data */
	uint32_t xport;		/* CONNECT: RSM_XPORT_* of the import, else 0 */
};

/*
 * ADMIN_REMOTE (rsm_admin.h): ask node, through this node's rsmd and the
 * peer link, the request `type` (one of RSM_ADMIN_REMOTE_TYPES).  The
 * request's own payload, if its type takes one (STATS), follows the
 * struct, exactly of its size and checked as that request; any other
 * type is followed by nothing.  The answer is what node answers to that
 * request, each reply's payload after a struct rsm_msg_admin_reply: a
 * stream of them for a list, all but the last flagged RSM_MSGF_MORE.
 */
struct rsm_msg_admin_remote {
	uint32_t node;
	uint32_t type;
};

struct rsm_msg_admin_reply {
	uint32_t node;		/* who answered: the node asked */
	uint32_t type;		/* the request's type; a reply of it follows */
	uint64_t instance;	/* the answering daemon's, as in HELLO's reply */
};

/* Notifications (id 0). */
struct rsm_msg_event {
	uint32_t kind;		/* RSM_HKIND_*: which of the client's handles */
	uint32_t flags;
	uint64_t handle;
};

struct rsm_msg_revoked {
	uint64_t handle;	/* import connection that is gone */
	uint32_t reason;	/* RSMERR_CONN_ABORTED, ... */
	uint32_t pad;
};

/* The exporter rebound: the notification carries the new memfd. */
struct rsm_msg_rebound {
	uint64_t handle;
	uint64_t size;
};

/* ---- codec ---- */

/* Payload size for a type; -1 for an unknown type. */
ssize_t rsm_msg_req_size(uint16_t type);
ssize_t rsm_msg_reply_size(uint16_t type);
/* Whether a message of this type and direction carries exactly one fd. */
/* Whether a message carries a descriptor: 0 never, 1 always, 2 may. */
int rsm_msg_wants_fd(uint16_t type, int is_reply);
const char *rsm_msg_name(uint16_t type);

struct sockaddr_storage;
/*
 * The socket address a capability's (family, addr, port) names: IPv4
 * (RSM_CAP_INET, the first 4 bytes of addr) or IPv6.  Returns its length.
 */
unsigned rsm_wire_sockaddr(uint8_t family, const uint8_t addr[16],
	    uint16_t port, struct sockaddr_storage *ss);

/*
 * Validate a received packet of n bytes that came with nfds descriptors.
 * (RSM_MSGF_MORE is legal only on successful LIST_*, NODES, TOPOLOGY
 * and STATS replies, and on ADMIN_REMOTE replies wrapping one of those.)
 * from_daemon: 1 when the library reads it (replies and notifications),
 * 0 when the daemon reads it (requests only).
 * Returns 0 when header, type, direction, size (exact) and fd count are all
 * as the type demands; otherwise a negative code naming the first fault
 * (see RSM_MSGCHK_*), for logging.
 */
#define RSM_MSGCHK_SHORT	-1
#define RSM_MSGCHK_MAGIC	-2
#define RSM_MSGCHK_VERSION	-3
#define RSM_MSGCHK_LEN		-4
#define RSM_MSGCHK_TYPE		-5
#define RSM_MSGCHK_FLAGS	-6
#define RSM_MSGCHK_SIZE		-7
#define RSM_MSGCHK_FDS		-8
#define RSM_MSGCHK_ID		-9
#define RSM_MSGCHK_FIELD	-10
int rsm_msg_check(const void *buf, size_t n, int nfds, int from_daemon);
const char *rsm_msgchk_str(int code);

/* Fill a header. */
void rsm_msg_hdr_init(struct rsm_msg_hdr *h, uint16_t type, uint8_t flags,
    uint32_t status, uint64_t id, size_t payload_len);

/*
 * Send one message (header + payload) with at most one fd.  MSG_NOSIGNAL;
 * retries on EINTR.  Returns 0, or -1 with errno (EAGAIN on a full
 * non-blocking socket).
 */
int rsm_msg_send(int sock, const struct rsm_msg_hdr *h, const void *payload,
    size_t payload_len, int fd);

/*
 * Receive one packet into buf (cap >= RSM_MSG_MAX).  *fdp gets the first
 * descriptor that came with it, or -1; any others are closed at once, and
 * *nfdsp counts them all so rsm_msg_check() can refuse the packet.  Every
 * descriptor arrives close-on-exec.  Returns the packet size, 0 on orderly
 * close, or -1 with errno; a truncated packet is EMSGSIZE (no fd kept).
 */
ssize_t rsm_msg_recv(int sock, void *buf, size_t cap, int *fdp, int *nfdsp);

/*
 * Several messages in one system call, for the daemon's loop: the replies
 * of a burst of requests, and the requests already queued.
 */
#define RSM_MSG_BATCH	8u

struct rsm_msg_out {
	const struct rsm_msg_hdr *h;
	const void	*payload;
	size_t		 len;		/* payload bytes */
	int		 fd;		/* -1: none */
};

/*
 * Send out[0..n) in order (n at most RSM_MSG_BATCH), as rsm_msg_send()
 * sends each.  Returns how many were sent, at least 1; or -1 with errno
 * when not even the first was (EAGAIN on a full non-blocking socket).
 * After a partial batch, the error of the first unsent one (if it was
 * not just a full socket) is reported by the next send.
 */
int rsm_msg_send_many(int sock, const struct rsm_msg_out *out, unsigned n);

/* One packet of rsm_msg_recv_many(). */
struct rsm_msg_in {
	void		*buf;		/* in: cap bytes */
	ssize_t		 len;		/* packet size; 0: orderly close */
	int		 fd;		/* as rsm_msg_recv() */
	int		 nfds;
	int		 truncated;	/* above cap, or too many descriptors */
};

/*
 * Receive up to n (at most RSM_MSG_BATCH) packets, each as rsm_msg_recv()
 * would (a truncated one keeps no descriptor): those already queued, and
 * with wait_first, on a blocking socket, the first one even if it has to
 * be waited for.  Returns how many entries were filled, at least 1 (an
 * orderly close fills the last one); fewer than n: nothing more could be
 * read now.  -1 with errno when none could be read (EAGAIN: none queued).
 */
int rsm_msg_recv_many(int sock, struct rsm_msg_in *in, unsigned n,
    size_t cap, int wait_first);

#endif /* RSM_PROTO_H */
