/*
 * peer_call.c - calls to peer daemons and the serving of theirs.
 *
 * Each outgoing PING or REQUEST waits on its peer's list under a fresh id
 * until the PONG or REPLY with that id arrives, the link goes, or its
 * deadline passes; whichever comes first answers it, exactly once.  Failure
 * answers are queued and delivered after the round's events, never from
 * inside peer_call() or from the middle of closing a link.
 *
 * Incoming REQUESTs are served through a table of inner types; an inner
 * type nobody registered is answered RSMERR_UNSUPPORTED_OPERATION.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "peer_int.h"
#include "log.h"
#include "rsmapi.h"
#include "rsm_clock.h"

/* A call waits at least this long for its answer. */
#define CALL_TIMEOUT_MIN_MS	1000u

struct pcall {
	TAILQ_ENTRY(pcall) link;
	uint64_t	 id;
	uint32_t	 node;
	uint32_t	 inner_type;	/* REQUEST; 0 for a PING */
	int		 probe;		/* internal round-trip probe: no callback */
	int		 idle;		/* our IDLE question (peer_idle.c) */
	int		 queued;	/* not sent yet: no link to use */
	uint8_t		*held;		/* queued: its whole frame */
	size_t		 held_len;
	uint64_t	 deadline_ms;
	uint64_t	 sent_us;
	int		 status;	/* once answered with a failure */
	peer_reply_fn	 reply;
	peer_ping_fn	 ping;
	void		*arg;
};

static struct {
	uint32_t	 inner_type;
	peer_request_fn	 fn;
} handlers[PEER_HANDLERS_MAX];

static peer_state_fn hooks[PEER_HOOKS_MAX];

/*
 * Node state changes waiting for the end of the round.  A link can die in
 * the middle of a send (peer_call(), a REVOKED notice), and the hooks free
 * what their callers may still hold, so they run only from the deferred
 * work, in the order the changes happened.
 */
struct pstate {
	TAILQ_ENTRY(pstate) link;
	uint32_t	 node;
	int		 up;
};
static TAILQ_HEAD(, pstate) pending_states =
    TAILQ_HEAD_INITIALIZER(pending_states);

int
peer_handle(uint32_t inner_type, peer_request_fn fn)
{
	size_t i;

	for (i = 0; i < PEER_HANDLERS_MAX; i++)
		if (handlers[i].fn == NULL || handlers[i].inner_type ==
		    inner_type) {
			handlers[i].inner_type = inner_type;
			handlers[i].fn = fn;
			return 0;
		}
	return -1;
}

int
peer_on_state(peer_state_fn fn)
{
	size_t i;

	for (i = 0; i < PEER_HOOKS_MAX; i++)
		if (hooks[i] == NULL) {
			hooks[i] = fn;
			return 0;
		}
	return -1;
}

static void
hooks_call(struct rsmd *rs, uint32_t node, int up)
{
	size_t i;

	for (i = 0; i < PEER_HOOKS_MAX && hooks[i] != NULL; i++)
		hooks[i](rs, node, up);
}

void
peer_hooks_run(struct rsmd *rs, uint32_t node, int up)
{
	struct pstate *ps;

	if ((ps = malloc(sizeof(*ps))) == NULL) {
		/* No memory to defer it: telling late would lose the change. */
		log_warnx("node %u %s: state hooks run at once (no memory)",
		    node, up ? "up" : "down");
		hooks_call(rs, node, up);
		return;
	}
	ps->node = node;
	ps->up = up;
	TAILQ_INSERT_TAIL(&pending_states, ps, link);
	peer_defer(rs);
}

int
peer_hooks_run_pending(struct rsmd *rs)
{
	struct pstate *ps;
	int ran = 0;

	while ((ps = TAILQ_FIRST(&pending_states)) != NULL) {
		TAILQ_REMOVE(&pending_states, ps, link);
		hooks_call(rs, ps->node, ps->up);
		free(ps);
		ran = 1;
	}
	return ran;
}

static uint64_t
call_timeout_ms(const struct rsmd *rs)
{
	uint64_t t = 2 * rs->conf.dead_after_ms;

	return t > CALL_TIMEOUT_MIN_MS ? t : CALL_TIMEOUT_MIN_MS;
}

/* Answer with a failure: the callback runs after this round's events. */
static void
fail(struct rsmd *rs, struct pcall *c, int status)
{
	c->status = status;
	TAILQ_INSERT_TAIL(&rs->peers->done, c, link);
	peer_defer(rs);
}

static void
deliver(struct rsmd *rs, struct pcall *c, int status, const void *body,
    size_t len, uint64_t rtt_us)
{
	free(c->held);
	if (c->probe)
		free(c);
	else if (c->idle) {
		struct peer *peer = peer_by_node(rs, c->node);

		if (peer != NULL)
			peer_idle_answer(rs, peer, status);
		free(c);
	} else if (c->ping != NULL) {
		c->ping(rs, c->arg, status, rtt_us);
		free(c);
	} else {
		c->reply(rs, c->arg, status, status == RSM_SUCCESS ? body :
		    NULL, status == RSM_SUCCESS ? len : 0);
		free(c);
	}
}

void
pcall_run_done(struct rsmd *rs)
{
	struct pcall *c;

	while ((c = TAILQ_FIRST(&rs->peers->done)) != NULL) {
		TAILQ_REMOVE(&rs->peers->done, c, link);
		deliver(rs, c, c->status, NULL, 0, 0);
	}
}

void
pcall_fail_all(struct rsmd *rs, struct peer *peer)
{
	struct pcall *c;

	while ((c = TAILQ_FIRST(&peer->calls)) != NULL) {
		TAILQ_REMOVE(&peer->calls, c, link);
		fail(rs, c, RSMERR_REMOTE_NODE_UNREACHABLE);
	}
}

void
pcall_fail_sent(struct rsmd *rs, struct peer *peer)
{
	struct pcall *c, *next;

	for (c = TAILQ_FIRST(&peer->calls); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		if (!c->queued) {
			TAILQ_REMOVE(&peer->calls, c, link);
			fail(rs, c, RSMERR_REMOTE_NODE_UNREACHABLE);
		}
	}
}

int
pcall_user_pending(const struct peer *peer)
{
	const struct pcall *c;

	TAILQ_FOREACH(c, &peer->calls, link)
		if (!c->probe && !c->idle)
			return 1;
	return 0;
}

int
pcall_queued(const struct peer *peer)
{
	const struct pcall *c;

	TAILQ_FOREACH(c, &peer->calls, link)
		if (c->queued)
			return 1;
	return 0;
}

void
pcall_expire(struct rsmd *rs, struct peer *peer, uint64_t now)
{
	struct pcall *c;

	/* Deadlines are set in sending order, so the list is sorted. */
	while ((c = TAILQ_FIRST(&peer->calls)) != NULL &&
	    c->deadline_ms <= now) {
		TAILQ_REMOVE(&peer->calls, c, link);
		if (c->queued)
			log_info("node %u: no link for call %" PRIu64 " within "
			    "%" PRIu64 " ms", peer->node_id, c->id,
			    call_timeout_ms(rs));
		else
			log_info("node %u: no answer to call %" PRIu64 " within "
			    "%" PRIu64 " ms", peer->node_id, c->id,
			    call_timeout_ms(rs));
		fail(rs, c, RSMERR_REMOTE_NODE_UNREACHABLE);
	}
}

static struct pcall *
call_new(uint32_t node, uint32_t inner_type)
{
	struct pcall *c = calloc(1, sizeof(*c));

	if (c != NULL) {
		c->node = node;
		c->inner_type = inner_type;
	}
	return c;
}

/* The frame of a call: a PING, or a REQUEST with its body. */
static size_t
call_frame(struct pcall *c, uint8_t *frame, const void *body, size_t len)
{
	struct rsm_peer_ping ping;

	c->sent_us = rsm_now_us();
	if (c->inner_type == 0) {
		rsm_peer_put64(&ping.stamp, c->sent_us);
		return rsm_peer_encode(frame, RSM_PEER_PING, 0, 0, c->id, &ping,
		    sizeof(ping));
	}
	return rsm_peer_encode_request(frame, RSM_PEER_REQUEST, 0, c->id,
	    c->inner_type, body, len);
}

/*
 * Put the call on its peer's list and send its frame.  With no link to
 * use, an on-demand peer keeps it (with its body) until a link comes up or
 * its deadline passes; any other peer answers it unreachable now.  The
 * list comes first, so a send that kills the link answers this call too.
 */
static void
call_send(struct rsmd *rs, struct pcall *c, const void *body, size_t len)
{
	uint8_t frame[RSM_PEER_FRAME_MAX];
	struct peer *peer = peer_by_node(rs, c->node);
	int internal = c->probe || c->idle;
	int usable = peer != NULL && peer->link != NULL &&
	    (!peer->draining || c->idle);
	size_t n;

	if (peer == NULL || rs->peers->stopping ||
	    (!usable && (internal || !peer->on_demand))) {
		fail(rs, c, RSMERR_REMOTE_NODE_UNREACHABLE);
		return;
	}
	c->id = ++rs->peers->next_id;
	c->deadline_ms = rsm_now_ms() + call_timeout_ms(rs);
	if (!internal)
		peer_used(peer);
	if (!usable) {
		/* A call body is at most RSM_PEER_BODY_MAX: keep the frame. */
		if ((c->held = malloc(RSM_PEER_FRAME_MAX)) == NULL) {
			fail(rs, c, RSMERR_INSUFFICIENT_MEM);
			return;
		}
		c->held_len = call_frame(c, c->held, body, len);
		c->queued = 1;
		TAILQ_INSERT_TAIL(&peer->calls, c, link);
		peer_want_link(rs, peer);
		return;
	}
	n = call_frame(c, frame, body, len);
	TAILQ_INSERT_TAIL(&peer->calls, c, link);
	pconn_send(rs, peer->link, frame, n);
}

void
pcall_send_queued(struct rsmd *rs, struct peer *peer)
{
	struct pcall *c;

	/* A send may kill the link, which fails what was sent so far. */
	while (peer->link != NULL && !peer->draining) {
		TAILQ_FOREACH(c, &peer->calls, link)
			if (c->queued)
				break;
		if (c == NULL)
			return;
		c->queued = 0;
		c->sent_us = rsm_now_us();
		pconn_send(rs, peer->link, c->held, c->held_len);
		free(c->held);
		c->held = NULL;
	}
}

void
pcall_idle_ask(struct rsmd *rs, struct peer *peer)
{
	struct pcall *c;

	if ((c = call_new(peer->node_id, RSM_PEER_INNER_IDLE)) == NULL)
		return;
	c->idle = 1;
	call_send(rs, c, NULL, 0);
}

int
peer_call(struct rsmd *rs, uint32_t node, uint32_t inner_type,
    const void *body, size_t len, peer_reply_fn fn, void *arg)
{
	struct pcall *c;

	if (inner_type == 0 || len > RSM_PEER_BODY_MAX || fn == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((c = call_new(node, inner_type)) == NULL)
		return -1;
	c->reply = fn;
	c->arg = arg;
	call_send(rs, c, body, len);
	return 0;
}

int
peer_ping(struct rsmd *rs, uint32_t node, peer_ping_fn fn, void *arg)
{
	struct pcall *c;

	if (fn == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((c = call_new(node, 0)) == NULL)
		return -1;
	c->ping = fn;
	c->arg = arg;
	call_send(rs, c, NULL, 0);
	return 0;
}

void
pcall_rtt_probe(struct rsmd *rs, struct peer *peer)
{
	struct pcall *c;

	peer->last_rtt_ms = rsm_now_ms();
	if ((c = call_new(peer->node_id, 0)) == NULL)
		return;
	c->probe = 1;
	call_send(rs, c, NULL, 0);
}

/* ---- frames from an authenticated peer ---- */

static struct pcall *
take_call(struct peer *peer, uint64_t id)
{
	struct pcall *c;

	TAILQ_FOREACH(c, &peer->calls, link)
		if (c->id == id) {
			TAILQ_REMOVE(&peer->calls, c, link);
			return c;
		}
	return NULL;
}

static void
serve_request(struct rsmd *rs, struct pconn *pc, uint64_t id,
    uint32_t inner_type, const uint8_t *body, size_t len)
{
	uint8_t reply[RSM_PEER_BODY_MAX], frame[RSM_PEER_FRAME_MAX];
	size_t i, rlen = 0, n;
	int status = RSMERR_UNSUPPORTED_OPERATION;

	if (inner_type != RSM_PEER_INNER_IDLE)
		peer_used(pc->peer);
	for (i = 0; i < PEER_HANDLERS_MAX && handlers[i].fn != NULL; i++)
		if (handlers[i].inner_type == inner_type) {
			status = handlers[i].fn(rs, pc->peer->node_id,
			    inner_type, body, len, reply, &rlen);
			break;
		}
	if (status != RSM_SUCCESS || rlen > sizeof(reply))
		rlen = 0;
	n = rsm_peer_encode_request(frame, RSM_PEER_REPLY, (uint32_t)status,
	    id, inner_type, reply, rlen);
	pconn_send(rs, pc, frame, n);
}

void
pcall_frame(struct rsmd *rs, struct pconn *pc, const struct rsm_peer_hdr *h,
    const uint8_t *p)
{
	uint8_t frame[RSM_PEER_FRAME_MAX];
	const uint8_t *body = p + sizeof(struct rsm_peer_request);
	uint32_t inner = 0, blen = 0;
	struct pcall *c;
	size_t n;

	if (h->type == RSM_PEER_REQUEST || h->type == RSM_PEER_REPLY) {
		inner = rsm_peer_get32(p + offsetof(struct rsm_peer_request,
		    inner_type));
		blen = rsm_peer_get32(p + offsetof(struct rsm_peer_request,
		    body_len));
	}
	switch (h->type) {
	case RSM_PEER_PING:
		n = rsm_peer_encode(frame, RSM_PEER_PONG, RSM_PEERF_REPLY, 0,
		    h->id, p, sizeof(struct rsm_peer_ping));
		pconn_send(rs, pc, frame, n);
		return;
	case RSM_PEER_REQUEST:
		serve_request(rs, pc, h->id, inner, body, blen);
		return;
	default:
		break;
	}
	/* A PONG or REPLY: late answers to expired calls are dropped. */
	if ((c = take_call(pc->peer, h->id)) == NULL) {
		log_debug("peer %s: answer to call %" PRIu64 ", which is not "
		    "waiting", pc->who, h->id);
		return;
	}
	if ((h->type == RSM_PEER_PONG) != (c->inner_type == 0) ||
	    (h->type == RSM_PEER_REPLY && inner != c->inner_type)) {
		/* Put it back: the link's failure answers it. */
		TAILQ_INSERT_HEAD(&pc->peer->calls, c, link);
		pconn_refuse(rs, pc, "answer of the wrong kind to a call");
		return;
	}
	if (h->type == RSM_PEER_PONG) {
		uint64_t rtt = rsm_now_us() - c->sent_us;

		pc->peer->rtt_us = rtt ? rtt : 1;
		stats_rtt_add(&pc->peer->stats.rtt, pc->peer->rtt_us);
		deliver(rs, c, RSM_SUCCESS, NULL, 0, pc->peer->rtt_us);
		return;
	}
	deliver(rs, c, (int)h->status, body, blen, 0);
}
