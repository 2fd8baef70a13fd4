/*
 * rsm_remote.h - the remote import operations between peer daemons: the
 * bodies of peer REQUEST/REPLY frames (rsm_peer.h) that let a process on
 * one node import a segment exported on another through tcp0.
 *
 * The importing node's daemon ("B") asks the exporting node's daemon
 * ("A") to CONNECT on behalf of one of its clients, naming the client's
 * credentials; A decides exactly as for a local connect (spec 4) with the
 * link's node as the importing node, and answers with a data capability.
 * DISCONNECT (B to A) drops it again; REVOKED (A to B) says A cut the
 * import off; SIGNAL goes either way and rings the other side's handle.
 *
 * Every body has an exact size for its type (CONNECT: exact for the
 * number of groups it declares) and every integer is little-endian.  A
 * decoder returns -1 for any body that is not exactly right; the caller
 * answers such a request RSMERR_BAD_ARGS_ERRORS and trusts nothing in it.
 * Node ids are never taken from a body: the link says who is asking.
 */
#ifndef RSM_REMOTE_H
#define RSM_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "rsm_proto.h"

/* Inner types (struct rsm_peer_request). */
#define RSM_RMT_CONNECT		0x100u	/* B -> A: connect_req -> connect_reply */
#define RSM_RMT_DISCONNECT	0x101u	/* B -> A: handle (A's) -> empty */
#define RSM_RMT_REVOKED		0x102u	/* A -> B: revoked (B's handle) -> empty */
#define RSM_RMT_SIGNAL		0x103u	/* either way: signal -> empty */
/* B -> A: as CONNECT, for a capability of the verbs data path. */
#define RSM_RMT_CONNECT_VERBS	0x104u
/*
 * B -> A: unreachable -> empty.  The capability A granted names a data
 * port B cannot reach (B tried before answering its client): A logs which
 * and drops the import, as for DISCONNECT.
 */
#define RSM_RMT_UNREACHABLE	0x105u
/* B -> A: as CONNECT, for a capability of the ucx0 data path. */
#define RSM_RMT_CONNECT_UCX	0x106u

/* Supplementary groups a CONNECT carries at most (the body cap allows it). */
#define RSM_RMT_GROUPS_MAX	512u

struct rsm_rmt_connect {
	uint32_t segid;
	uint32_t perm;		/* RSM_PERM_READ, _WRITE or _RDWR */
	uint32_t uid;		/* the importing process's credentials */
	uint32_t gid;
	uint32_t pid;
	uint32_t ngroups;
	uint64_t handle;	/* B's import handle: names it in REVOKED/SIGNAL */
	uint32_t groups[RSM_RMT_GROUPS_MAX];
};

struct rsm_rmt_connect_reply {
	uint64_t handle;	/* A's import handle: names it in DISCONNECT/SIGNAL */
	uint64_t size;
	uint32_t node_mode;
	uint32_t granted;
	uint32_t owner_uid;
	uint32_t owner_gid;
	struct rsm_wire_cap cap;
};

struct rsm_rmt_revoked {
	uint64_t handle;	/* the receiver's import handle */
	uint32_t reason;	/* RSMERR_CONN_ABORTED, ... */
};

struct rsm_rmt_unreachable {
	uint64_t handle;	/* A's import handle */
	uint32_t err;		/* the errno of B's attempt (ETIMEDOUT: no answer) */
	uint16_t port;		/* what B tried: the capability's port, */
	uint8_t  family;	/* family (RSM_CAP_INET, RSM_CAP_INET6) */
	uint8_t  addr[16];	/* and address, as fixed by B */
};

struct rsm_rmt_signal {
	uint64_t handle;	/* the receiver's import handle */
	uint32_t kind;		/* RSM_HKIND_*: which side of it to ring */
	uint32_t flags;		/* RSM_SIGPOST_NO_ACCUMULATE */
};

/* Wire sizes. */
#define RSM_RMT_CONNECT_FIXED	32u	/* plus 4 bytes per group */
/*
 * CONNECT reply: the fixed part, the first address, then bytes 76..79
 * (nmore, zeros) and RSM_CAP_ADDRS_MAX - 1 further addresses of 20 bytes
 * (address, port little-endian in 2 bytes, family, zero).
 */
#define RSM_RMT_CONNECT_REPLY_LEN (40u + 40u + 20u * (RSM_CAP_ADDRS_MAX - 1u))
#define RSM_RMT_HANDLE_LEN	8u
#define RSM_RMT_REVOKED_LEN	16u
#define RSM_RMT_SIGNAL_LEN	16u
#define RSM_RMT_UNREACHABLE_LEN	40u

/* Encoders return the body length; out holds RSM_PEER_BODY_MAX bytes. */
size_t	 rsm_rmt_connect_enc(void *out, const struct rsm_rmt_connect *);
int	 rsm_rmt_connect_dec(const void *in, size_t len, struct rsm_rmt_connect *);
size_t	 rsm_rmt_connect_reply_enc(void *out,
	    const struct rsm_rmt_connect_reply *);
int	 rsm_rmt_connect_reply_dec(const void *in, size_t len,
	    struct rsm_rmt_connect_reply *);
size_t	 rsm_rmt_handle_enc(void *out, uint64_t handle);
int	 rsm_rmt_handle_dec(const void *in, size_t len, uint64_t *handle);
size_t	 rsm_rmt_revoked_enc(void *out, const struct rsm_rmt_revoked *);
int	 rsm_rmt_revoked_dec(const void *in, size_t len,
	    struct rsm_rmt_revoked *);
size_t	 rsm_rmt_unreachable_enc(void *out,
	    const struct rsm_rmt_unreachable *);
int	 rsm_rmt_unreachable_dec(const void *in, size_t len,
	    struct rsm_rmt_unreachable *);
size_t	 rsm_rmt_signal_enc(void *out, const struct rsm_rmt_signal *);
int	 rsm_rmt_signal_dec(const void *in, size_t len, struct rsm_rmt_signal *);

#endif /* RSM_REMOTE_H */
