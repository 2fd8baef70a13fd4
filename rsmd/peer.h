/*
 * peer.h - rsmd's links to the peer daemons of the other nodes: what the
 * rest of the daemon may use.
 *
 * Each configured peer has at most one authenticated TCP link (see
 * rsm_peer.h for the frames).  Calls follow the syslink rule: every
 * peer_call() gets exactly one callback, with the reply or with
 * RSMERR_REMOTE_NODE_UNREACHABLE when the peer is down, goes down before
 * answering, or does not answer in time.  Callbacks never run inside
 * peer_call() itself, so callers need not be reentrant; nor do the state
 * hooks of peer_on_state(), which run after the round's events, in the
 * order the changes happened, even when a send is what found a link dead.
 */
#ifndef RSMD_PEER_H
#define RSMD_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "rsm_peer.h"
#include "rsm_proto.h"

struct rsmd;

/* Node states, as reported by NODES (struct rsm_msg_nodeinfo). */
#define PEER_STATE_DOWN		0	/* no link, none being set up */
#define PEER_STATE_CONNECTING	1	/* a link is being set up */
#define PEER_STATE_UP		2	/* authenticated and heartbeating */
#define PEER_STATE_IDLE		3	/* on demand: no link, none needed */

/* Reply to a peer_call(): status, and on success the reply's body. */
typedef void (*peer_reply_fn)(struct rsmd *, void *arg, int status,
    const void *body, size_t len);
/* Reply to a peer_ping(): status, and on success the round trip. */
typedef void (*peer_ping_fn)(struct rsmd *, void *arg, int status,
    uint64_t rtt_us);
/*
 * Serve one incoming REQUEST of a registered inner type (`type`, so one
 * server can take several) from `node`: fill
 * at most RSM_PEER_BODY_MAX bytes of reply and set *reply_len; return
 * RSM_SUCCESS or an RSMERR_* value (an error reply carries no body).
 */
typedef int (*peer_request_fn)(struct rsmd *, uint32_t node, uint32_t type,
    const void *body, size_t len, void *reply, size_t *reply_len);
/* A node went up (up = 1) or down (up = 0). */
typedef void (*peer_state_fn)(struct rsmd *, uint32_t node, int up);
/* Whether anything of the caller's names node (keeps its link open). */
typedef int (*peer_busy_fn)(struct rsmd *, uint32_t node);

/*
 * Read the cluster key and bind `listen` (before rsmd detaches, so that a
 * failure reaches its exit status).  Without listen and peers there is
 * nothing to bind, and every call fails as unreachable.  0, or -1 after
 * logging why: the daemon must not start.
 */
int	 peer_init(struct rsmd *);
/* Once the loop exists: watch the listener, start dialing every peer. */
int	 peer_start(struct rsmd *);
/* Close every link (pending calls are answered) and free everything. */
void	 peer_shutdown(struct rsmd *);

/*
 * Check that the key file can be used: a regular file, not accessible by
 * group or others, RSM_PEER_KEY_MIN..RSM_PEER_KEY_MAX bytes.  0, or -1
 * after logging why.  rsmd -n uses it.
 */
#define RSM_PEER_KEY_MIN	32u
#define RSM_PEER_KEY_MAX	4096u
int	 peer_key_check(const char *path);

/*
 * Send a REQUEST of inner_type to node.  Returns 0 (the callback will
 * run exactly once), or -1 with errno EINVAL for a body above
 * RSM_PEER_BODY_MAX or inner_type 0 (no callback).
 */
int	 peer_call(struct rsmd *, uint32_t node, uint32_t inner_type,
	    const void *body, size_t len, peer_reply_fn, void *arg);
/* A PING through the same machinery; the same rule of one callback. */
int	 peer_ping(struct rsmd *, uint32_t node, peer_ping_fn, void *arg);
/* Register the server of an inner type; -1 when the table is full. */
int	 peer_handle(uint32_t inner_type, peer_request_fn);
/* Register a hook called on every node state change; -1 when full. */
int	 peer_on_state(peer_state_fn);
/*
 * Register a check of whether node is in use, asked before an on-demand
 * link is closed for being idle; -1 when full.
 */
int	 peer_on_busy(peer_busy_fn);

/* Whether node is up now. */
int	 peer_is_up(const struct rsmd *, uint32_t node);
/*
 * Whether a call to node can be made: its link is up, or it is an
 * on-demand peer, which a call links to (the call fails unreachable if
 * that cannot be done in time).
 */
int	 peer_can_call(const struct rsmd *, uint32_t node);
/*
 * The configured address of node (its `peer` line): where this node
 * reaches it.  0, or -1 when node is not a configured peer.
 */
struct sockaddr_storage;
int	 peer_addr(const struct rsmd *, uint32_t node,
	    struct sockaddr_storage *);
/*
 * For NODES: the number of configured peers and each one's state, peer i
 * being the i-th in node id order.
 */
size_t	 peer_count(const struct rsmd *);
void	 peer_info(const struct rsmd *, size_t i, struct rsm_msg_nodeinfo *);
/*
 * For TOPOLOGY: at most max peers from number `first` on (numbered as for
 * peer_info), as remotes of local ctlr reached through its controller
 * `name`.  Returns how many it wrote.
 */
size_t	 peer_topology(const struct rsmd *, size_t first,
	    struct rsm_wire_remote *out, size_t max, uint32_t local_ctlr,
	    const char *name);
/* For STATS: peer i's counters (peer_stats.c), numbered as for peer_info. */
void	 peer_stats(const struct rsmd *, size_t i, struct rsm_msg_stats *);

#endif /* RSMD_PEER_H */
