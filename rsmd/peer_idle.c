/*
 * peer_idle.c - closing on-demand links that nothing uses.
 *
 * With peer_links = on-demand a node links to a peer when a call needs it
 * and closes the link once neither side has used it for
 * peer_idle_timeout seconds, so its heartbeats and links grow with the
 * nodes it talks to, not with the cluster.  "Used" is a call made or
 * served on the link, or anything of the daemon's that names the node
 * (a remote import or export: peer_on_busy()); heartbeats and round-trip
 * probes are not uses.
 *
 * Closing must never lose a call or look like the node failing, so it is
 * agreed first: the side that finds the link idle asks IDLE and sends
 * nothing more; the other answers yes only if the link is idle on its
 * side too, and then sends nothing more either.  Calls made meanwhile on
 * either side wait unsent (like calls waiting for a dial).  On yes the
 * asker closes the link; on no it carries on.  Since nothing was sent
 * after the question and its answer, nothing is in flight when the link
 * closes, and each side then dials again if calls are waiting.  Both
 * sides log the close at info, not as "node down".
 */
#include "config.h"

#include <inttypes.h>
#include <stddef.h>

#include "peer_int.h"
#include "log.h"
#include "rsmapi.h"
#include "rsm_clock.h"

#define PEER_BUSY_MAX	4

static peer_busy_fn busy_fns[PEER_BUSY_MAX];

int
peer_on_busy(peer_busy_fn fn)
{
	size_t i;

	for (i = 0; i < PEER_BUSY_MAX; i++)
		if (busy_fns[i] == NULL) {
			busy_fns[i] = fn;
			return 0;
		}
	return -1;
}

static int
busy(struct rsmd *rs, uint32_t node)
{
	size_t i;

	for (i = 0; i < PEER_BUSY_MAX && busy_fns[i] != NULL; i++)
		if (busy_fns[i](rs, node))
			return 1;
	return 0;
}

void
peer_used(struct peer *peer)
{
	peer->last_used_ms = rsm_now_ms();
}

static uint64_t
idle_ms(const struct rsmd *rs)
{
	return rs->conf.peer_idle_timeout * 1000;
}

/*
 * Idle on this side: nothing waits, nothing names the node, long enough.
 * NULL when it is, else why not.  A node still named counts as a use.
 */
static const char *
not_idle_why(struct rsmd *rs, struct peer *peer, uint64_t now)
{
	if (!peer->on_demand)
		return "always linked";
	if (pcall_user_pending(peer))
		return "calls waiting";
	if (now - peer->last_used_ms < idle_ms(rs))
		return "used lately";
	if (busy(rs, peer->node_id)) {
		peer->last_used_ms = now;
		return "in use";
	}
	return NULL;
}

static void
undrain(struct rsmd *rs, struct peer *peer)
{
	peer->draining = 0;
	peer->idle_agreed = 0;
	pcall_send_queued(rs, peer);
}

void
peer_idle_check(struct rsmd *rs, struct peer *peer, uint64_t now)
{
	if (peer->link == NULL)
		return;
	if (peer->draining) {
		/* Said yes, but the asker never closed: use the link again. */
		if (peer->idle_agreed &&
		    now - peer->drain_since_ms > 2 * peer_handshake_ms(rs)) {
			log_info("node %u: link agreed idle but still open: "
			    "using it again", peer->node_id);
			undrain(rs, peer);
		}
		return;
	}
	if (now < peer->next_ask_ms || not_idle_why(rs, peer, now) != NULL)
		return;
	log_debug("node %u: link unused for %" PRIu64 " s: asking to close "
	    "it", peer->node_id, rs->conf.peer_idle_timeout);
	peer->draining = 1;
	peer->drain_since_ms = now;
	pcall_idle_ask(rs, peer);
}

void
peer_idle_answer(struct rsmd *rs, struct peer *peer, int status)
{
	if (!peer->draining || peer->link == NULL)
		return;
	if (status != RSM_SUCCESS) {
		/* In use over there (or an older rsmd): keep the link. */
		log_debug("node %u: link stays (%d)", peer->node_id, status);
		/*
		 * Not a use: marking it one would refuse the peer's own
		 * question a moment later, and two sides a little out of
		 * phase would keep refusing each other.
		 */
		peer->next_ask_ms = rsm_now_ms() + idle_ms(rs);
		undrain(rs, peer);
		return;
	}
	peer_close_idle(rs, peer);
}

/* The peer asks whether the link may close. */
static int
serve_idle(struct rsmd *rs, uint32_t node, uint32_t type, const void *body,
    size_t len, void *reply, size_t *reply_len)
{
	struct peer *peer = peer_by_node(rs, node);
	uint64_t now = rsm_now_ms();
	const char *why;

	(void)type;
	(void)body;
	(void)reply;
	*reply_len = 0;
	if (len != 0)
		return RSMERR_BAD_ARGS_ERRORS;
	if (peer == NULL || peer->link == NULL)
		return RSMERR_REMOTE_NODE_UNREACHABLE;
	/*
	 * Both asking at once: yes to each other, the first answer closes.
	 * Otherwise only a link idle here too may close.
	 */
	if (!peer->draining && (why = not_idle_why(rs, peer, now)) != NULL) {
		log_debug("node %u asks to close the link: it stays (%s)",
		    node, why);
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	if (!peer->draining)
		peer->drain_since_ms = now;
	peer->draining = 1;
	peer->idle_agreed = 1;
	return RSM_SUCCESS;
}

int
peer_idle_init(void)
{
	return peer_handle(RSM_PEER_INNER_IDLE, serve_idle);
}
