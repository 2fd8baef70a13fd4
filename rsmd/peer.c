/*
 * peer.c - the node's peers: listening for them, dialing them with
 * backoff, keeping one authenticated link per pair, heartbeats, and
 * declaring a node down when nothing has come from it for dead_after_ms.
 *
 * One link per pair: both sides dial, and a link opened by the lower node
 * id wins.  The lower side does not answer the HELLO of a link the higher
 * side opened while its own dial is already talking, or while it has a
 * link to the same daemon instance; since nobody treats a link as up
 * before the other side's AUTH has arrived, both sides end up keeping the
 * same one.  A HELLO with a new instance means the peer restarted: its new
 * link replaces the old, which counts as the node going down and up.
 *
 * Unauthenticated connections are bounded in number (the oldest is dropped
 * for a new one) and in time (the handshake deadline), so a flood of
 * connections costs the flooder its own slots and never the peers' links.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "peer_int.h"
#include "log.h"
#include "rsmapi.h"
#include "rsm_clock.h"

#define LISTEN_BACKLOG	128

static void dial(struct rsmd *, struct peer *);

/*
 * Called for every frame received: a binary search, as P->peer is in node
 * id order (peer_init) and node ids are unique (config.c).
 */
struct peer *
peer_by_node(const struct rsmd *rs, uint32_t node)
{
	struct peers *P = rs->peers;
	size_t lo = 0, hi, mid;

	if (P == NULL)
		return NULL;
	hi = P->npeers;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (P->peer[mid].node_id == node)
			return &P->peer[mid];
		if (P->peer[mid].node_id < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
peer_node_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct peer *)a)->node_id;
	uint32_t y = ((const struct peer *)b)->node_id;

	return x < y ? -1 : x > y;
}

uint64_t
peer_handshake_ms(const struct rsmd *rs)
{
	return rs->conf.dead_after_ms > PEER_HANDSHAKE_MIN_MS ?
	    rs->conf.dead_after_ms : PEER_HANDSHAKE_MIN_MS;
}

/* ---- deferred work: callbacks and frees after the round's events ---- */

static void
reap_fire(struct rsmd *rs, struct rsmd_timer *t)
{
	struct peers *P = rs->peers;
	struct pconn *pc;

	(void)t;
	/*
	 * A callback or hook may close links, answer more calls or change
	 * more states: loop until nothing is left.
	 */
	while (peer_hooks_run_pending(rs) || !TAILQ_EMPTY(&P->done) ||
	    !TAILQ_EMPTY(&P->closing)) {
		pcall_run_done(rs);
		while ((pc = TAILQ_FIRST(&P->closing)) != NULL) {
			TAILQ_REMOVE(&P->closing, pc, link);
			pconn_free(pc);
		}
	}
}

void
peer_defer(struct rsmd *rs)
{
	/* Due at 0: the loop runs it right after this round's events. */
	if (!rs->peers->reap.armed)
		rsmd_timer_set(rs, &rs->peers->reap, 0);
}

/* ---- dialing ---- */

static struct peer *
peer_of_retry(struct rsmd_timer *t)
{
	return (struct peer *)(void *)((char *)t -
	    offsetof(struct peer, retry));
}

static void
retry_fire(struct rsmd *rs, struct rsmd_timer *t)
{
	struct peer *peer = peer_of_retry(t);

	/* On demand: the calls it was for may have expired meanwhile. */
	if (!peer->on_demand || pcall_queued(peer))
		dial(rs, peer);
}

static void
schedule_dial(struct rsmd *rs, struct peer *peer)
{
	if (rs->peers->stopping || peer->link != NULL || peer->dialing != NULL)
		return;
	/*
	 * An on-demand peer is dialed for the calls waiting, and a dial that
	 * fails answers them: nothing waits on a node that cannot be
	 * reached, and nothing dials it until the next call.
	 */
	if (peer->on_demand) {
		peer->unreachable = 1;
		pcall_fail_all(rs, peer);
		return;
	}
	rsmd_timer_set(rs, &peer->retry, rsm_now_ms() + peer->backoff_ms);
	peer->backoff_ms *= 2;
	if (peer->backoff_ms > PEER_BACKOFF_MAX_MS)
		peer->backoff_ms = PEER_BACKOFF_MAX_MS;
}

static void
dial(struct rsmd *rs, struct peer *peer)
{
	struct pconn *pc;
	char who[96];
	int fd, one = 1;

	if (rs->peers->stopping || peer->link != NULL || peer->dialing != NULL)
		return;
	fd = socket(peer->addr.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("peer socket");
		schedule_dial(rs, peer);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&peer->addr.sa,
	    peer->addr.salen) == -1 && errno != EINPROGRESS) {
		if (!peer->fail_logged)
			log_info("peer node %u (%s): cannot connect: %s; will "
			    "keep trying", peer->node_id, peer->addr.text,
			    strerror(errno));
		peer->fail_logged = 1;
		close(fd);
		schedule_dial(rs, peer);
		return;
	}
	snprintf(who, sizeof(who), "node %u (%s)", peer->node_id,
	    peer->addr.text);
	if ((pc = pconn_new(rs, fd, 1, who)) == NULL) {
		close(fd);
		schedule_dial(rs, peer);
		return;
	}
	pc->peer = peer;
	peer->dialing = pc;
	log_debug("peer %s: dialing", who);
}

void
peer_want_link(struct rsmd *rs, struct peer *peer)
{
	if (peer->link == NULL && peer->dialing == NULL &&
	    !peer->retry.armed)
		dial(rs, peer);
}

/* ---- accepting ---- */

static void
evict_oldest(struct rsmd *rs)
{
	struct peers *P = rs->peers;
	uint64_t now = rsm_now_ms();

	if (now - P->last_flood_log_ms >= 1000) {
		log_warnx("peer port: %d unauthenticated connections: "
		    "dropping the oldest for each new one",
		    (int)(PEER_UNAUTH_MAX + P->npeers));
		P->last_flood_log_ms = now;
	}
	pconn_kill(rs, TAILQ_FIRST(&P->unauth), NULL);
}

static void
listen_ready(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	struct peers *P = rs->peers;
	struct sockaddr_storage ss;
	struct pconn *pc;
	char who[96];
	int fd, i, one = 1, exhausted;

	(void)io;
	(void)events;
	for (i = 0; i < PEER_ACCEPT_BURST; i++) {
		if ((fd = rsmd_accept(rs, &P->listen_io, &ss, "peer port",
		    &exhausted)) == -1) {
			/* The tick listens again. */
			if (exhausted)
				P->accept_paused = 1;
			return;
		}
		if (P->nunauth >= PEER_UNAUTH_MAX + P->npeers)
			evict_oldest(rs);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		rsmd_addr_text(&ss, who, sizeof(who));
		if ((pc = pconn_new(rs, fd, 0, who)) == NULL) {
			close(fd);
			continue;
		}
		pc->listed = 1;
		TAILQ_INSERT_TAIL(&P->unauth, pc, link);
		P->nunauth++;
		log_debug("peer %s: connected", who);
		pconn_start(rs, pc);
	}
}

/* ---- the one-link rule, link up and down ---- */

/*
 * Close our dial for another connection to the same peer.  Detached
 * first, so its end is no failed dial: calls waiting for a link stay for
 * the one that wins.
 */
static void
drop_dial(struct rsmd *rs, struct peer *peer)
{
	struct pconn *d = peer->dialing;

	peer->dialing = NULL;
	pconn_kill(rs, d, NULL);
}

/* Whether the lower node of the two opened pc. */
static int
opened_by_lower(const struct rsmd *rs, const struct pconn *pc,
    const struct peer *peer)
{
	uint32_t me = rs->conf.node_id;

	return pc->outbound ? me < peer->node_id : peer->node_id < me;
}

int
peer_accept_hello(struct rsmd *rs, struct pconn *pc, struct peer *peer,
    uint64_t instance)
{
	int lower = opened_by_lower(rs, pc, peer);

	if (peer->link != NULL && peer->link != pc &&
	    peer->instance == instance && !lower) {
		log_debug("peer %s: node %u is already linked: dropping this "
		    "second link", pc->who, peer->node_id);
		return 0;
	}
	if (peer->dialing != NULL && peer->dialing != pc) {
		if (!lower && peer->dialing->state == PC_HANDSHAKE) {
			log_debug("peer %s: keeping the link this node "
			    "opened", pc->who);
			return 0;
		}
		/*
		 * Ours would lose, or has not even connected: drop it.  It is
		 * detached first, so its end is no failed dial: the calls
		 * waiting go on this link.
		 */
		drop_dial(rs, peer);
	}
	return 1;
}

void
peer_link_up(struct rsmd *rs, struct pconn *pc)
{
	struct peers *P = rs->peers;
	struct peer *peer = pc->peer;
	struct pconn *old = peer->link;

	if (pc->listed) {
		TAILQ_REMOVE(&P->unauth, pc, link);
		pc->listed = 0;
		P->nunauth--;
	}
	if (peer->dialing == pc)
		peer->dialing = NULL;
	/*
	 * Two dials that crossed can both pass peer_accept_hello() when each
	 * HELLO came before the other link was up; then both ends would
	 * replace the link the other end keeps, and close both.  The rule of
	 * peer_accept_hello() decides here too: of two links to one rsmd
	 * (one instance) the one the lower node opened stays.
	 */
	if (old != NULL && old->state == PC_UP &&
	    peer->instance == pc->their_instance &&
	    opened_by_lower(rs, old, peer) && !opened_by_lower(rs, pc, peer)) {
		log_debug("peer %s: node %u is linked by the lower node's "
		    "connection: dropping this one", pc->who, peer->node_id);
		pconn_kill(rs, pc, NULL);
		return;
	}
	if (old != NULL) {
		log_info("node %u: new link replaces the old one%s", peer->node_id,
		    peer->instance != pc->their_instance ? " (its rsmd "
		    "restarted)" : "");
		peer->link = NULL;
		pcall_fail_sent(rs, peer);
		/* Detached first, so closing it is not a second "down". */
		pconn_kill(rs, old, NULL);
		peer_hooks_run(rs, peer->node_id, 0);
	}
	peer->link = pc;
	peer->instance = pc->their_instance;
	peer->up_since_ms = rsm_now_ms();
	peer->last_rx_ms = pc->last_rx_ms;
	peer->backoff_ms = PEER_BACKOFF_MIN_MS;
	peer->fail_logged = 0;
	peer->unreachable = 0;
	peer->draining = peer->idle_agreed = peer->idle_closing = 0;
	peer->last_used_ms = rsm_now_ms();
	rsmd_timer_cancel(rs, &peer->retry);
	if (peer->dialing != NULL)
		drop_dial(rs, peer);
	log_info("node %u up: %s, %s", peer->node_id, pc->who,
	    pc->outbound ? "this node connected" : "it connected");
	peer_hooks_run(rs, peer->node_id, 1);
	pcall_send_queued(rs, peer);
	if (peer->link == pc)
		pcall_rtt_probe(rs, peer);
}

void
peer_close_idle(struct rsmd *rs, struct peer *peer)
{
	peer->idle_closing = 1;
	pconn_kill(rs, peer->link, NULL);
}

void
peer_conn_gone(struct rsmd *rs, struct pconn *pc, const char *why)
{
	struct peers *P = rs->peers;
	struct peer *peer = pc->peer;

	if (pc->listed) {
		TAILQ_REMOVE(&P->unauth, pc, link);
		pc->listed = 0;
		P->nunauth--;
	}
	if (peer == NULL)
		return;
	if (peer->dialing == pc) {
		peer->dialing = NULL;
		/*
		 * Connected, then closed or timed out in the handshake: the
		 * peer lives, and may have closed it for its own dial, which
		 * would lose to ours on its side if it were lower, or is on
		 * its way to us.  Calls waiting keep waiting (their deadline
		 * bounds it) and the dial is retried; only a connect that
		 * failed answers them at once.
		 */
		if (peer->on_demand && pc->state == PC_HANDSHAKE &&
		    pcall_queued(peer) && !P->stopping) {
			rsmd_timer_set(rs, &peer->retry, rsm_now_ms() +
			    PEER_BACKOFF_MIN_MS);
			return;
		}
		schedule_dial(rs, peer);
		return;
	}
	if (peer->link != pc)
		return;
	peer->link = NULL;
	peer->up_since_ms = 0;
	if (P->stopping)
		log_info("link to node %u closed: rsmd is stopping",
		    peer->node_id);
	else if (peer->idle_closing)
		log_info("link to node %u closed: unused for %" PRIu64 " s",
		    peer->node_id, rs->conf.peer_idle_timeout);
	else if (peer->idle_agreed)
		log_info("link to node %u closed by it: unused", peer->node_id);
	else {
		log_warnx("node %u down: %s", peer->node_id, why ? why :
		    "link closed");
		peer->unreachable = 1;
	}
	/*
	 * Only calls sent on the link are lost with it; calls still waiting
	 * for one go on the next link (on-demand peers), dialed right away.
	 * The hooks run for an idle close too, though nothing should name
	 * the node then: whatever does must not outlive the link.
	 */
	pcall_fail_sent(rs, peer);
	peer_hooks_run(rs, peer->node_id, 0);
	peer->backoff_ms = PEER_BACKOFF_MIN_MS;
	peer->fail_logged = 0;
	peer->draining = peer->idle_agreed = peer->idle_closing = 0;
	if (peer->on_demand) {
		if (pcall_queued(peer))
			dial(rs, peer);
		return;
	}
	schedule_dial(rs, peer);
}

/* ---- the tick: heartbeats and every deadline ---- */

static void
heartbeat(struct rsmd *rs, struct pconn *pc)
{
	uint8_t frame[RSM_PEER_FRAME_MAX];
	struct rsm_peer_heartbeat hb;
	static uint64_t seq;
	size_t n;

	rsm_peer_put64(&hb.seq, ++seq);
	n = rsm_peer_encode(frame, RSM_PEER_HEARTBEAT, 0, 0, 0, &hb,
	    sizeof(hb));
	pconn_send(rs, pc, frame, n);
}

static uint64_t
tick_ms(const struct rsmd *rs)
{
	uint64_t t = rs->conf.heartbeat_ms / 2;

	return t < 10 ? 10 : t;
}

static void
tick_fire(struct rsmd *rs, struct rsmd_timer *t)
{
	struct peers *P = rs->peers;
	struct pconn *pc, *next;
	uint64_t now = rsm_now_ms(), limit = peer_handshake_ms(rs);
	char why[96];
	size_t i;

	for (i = 0; i < P->npeers; i++) {
		struct peer *peer = &P->peer[i];

		if ((pc = peer->link) != NULL) {
			uint64_t quiet = now - pc->last_rx_ms;

			if (quiet > rs->conf.dead_after_ms) {
				snprintf(why, sizeof(why), "nothing received "
				    "for %" PRIu64 " ms", quiet);
				pconn_kill(rs, pc, why);
			} else {
				if (now - pc->last_tx_ms >=
				    rs->conf.heartbeat_ms)
					heartbeat(rs, pc);
				if (now - peer->last_rtt_ms >=
				    PEER_RTT_EVERY_MS && !peer->draining)
					pcall_rtt_probe(rs, peer);
				peer_idle_check(rs, peer, now);
			}
		}
		if ((pc = peer->dialing) != NULL &&
		    now - pc->started_ms > limit) {
			log_debug("peer %s: no link within %" PRIu64 " ms",
			    pc->who, limit);
			pconn_kill(rs, pc, NULL);
		}
		pcall_expire(rs, peer, now);
	}
	for (pc = TAILQ_FIRST(&P->unauth); pc != NULL; pc = next) {
		next = TAILQ_NEXT(pc, link);
		if (now - pc->started_ms > limit) {
			snprintf(why, sizeof(why), "not authenticated within "
			    "%" PRIu64 " ms", limit);
			pconn_kill(rs, pc, why);
		}
	}
	if (P->accept_paused && rsmd_io_mod(rs, &P->listen_io, EPOLLIN) == 0)
		P->accept_paused = 0;
	rsmd_timer_set(rs, t, now + tick_ms(rs));
}

/* ---- setup and teardown ---- */

static int
listen_on(struct rsmd *rs, struct peers *P)
{
	const struct rsmd_addr *a = rs->conf.listen;
	int fd, one = 1;

	fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("peer socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->sa, a->salen) == -1) {
		log_warn("listen = %s: bind", a->text);
		close(fd);
		return -1;
	}
	if (listen(fd, LISTEN_BACKLOG) == -1) {
		log_warn("listen = %s", a->text);
		close(fd);
		return -1;
	}
	P->listen_fd = fd;
	return 0;
}

int
peer_init(struct rsmd *rs)
{
	const struct rsmd_config *cf = &rs->conf;
	struct peers *P;
	size_t i;

	if (sodium_init() < 0) {
		log_errx("libsodium cannot initialise");
		return -1;
	}
	if ((P = calloc(1, sizeof(*P))) == NULL) {
		log_warn("peers");
		return -1;
	}
	P->listen_fd = -1;
	TAILQ_INIT(&P->unauth);
	TAILQ_INIT(&P->closing);
	TAILQ_INIT(&P->done);
	if (peer_idle_init() == -1) {
		log_errx("peers: handler table full");
		free(P);
		return -1;
	}
	P->tick.fire = tick_fire;
	P->reap.fire = reap_fire;
	rs->peers = P;
	if (cf->listen == NULL && cf->npeers == 0)
		return 0;
	if (peer_key_load(cf->cluster_key_file, &P->key, &P->keylen) == -1)
		return -1;
	if (cf->npeers > 0 &&
	    (P->peer = calloc(cf->npeers, sizeof(*P->peer))) == NULL) {
		log_warn("peers");
		return -1;
	}
	P->npeers = cf->npeers;
	for (i = 0; i < P->npeers; i++) {
		P->peer[i].addr = cf->peers[i];
		P->peer[i].node_id = cf->peers[i].node_id;
	}
	/* In node id order for peer_by_node(), before anything points in. */
	if (P->npeers > 1)
		qsort(P->peer, P->npeers, sizeof(*P->peer), peer_node_cmp);
	for (i = 0; i < P->npeers; i++) {
		struct peer *peer = &P->peer[i];

		peer->backoff_ms = PEER_BACKOFF_MIN_MS;
		peer->retry.fire = retry_fire;
		peer->on_demand = config_links_on_demand(cf);
		TAILQ_INIT(&peer->calls);
	}
	if (cf->listen != NULL && listen_on(rs, P) == -1)
		return -1;
	return 0;
}

int
peer_start(struct rsmd *rs)
{
	struct peers *P = rs->peers;
	size_t i;

	if (P->listen_fd >= 0) {
		P->listen_io.fd = P->listen_fd;
		P->listen_io.ready = listen_ready;
		if (rsmd_io_add(rs, &P->listen_io, EPOLLIN) == -1) {
			log_warn("epoll_ctl peer listener");
			return -1;
		}
		log_info("listening for peers on %s", rs->conf.listen->text);
	}
	for (i = 0; i < P->npeers; i++)
		if (!P->peer[i].on_demand)
			dial(rs, &P->peer[i]);
	if (P->npeers > 0 && config_links_on_demand(&rs->conf))
		log_info("%zu peers, linked on demand, idle links closed "
		    "after %" PRIu64 " s", P->npeers,
		    rs->conf.peer_idle_timeout);
	if (P->listen_fd >= 0 || P->npeers > 0)
		rsmd_timer_set(rs, &P->tick, rsm_now_ms() + tick_ms(rs));
	return 0;
}

void
peer_shutdown(struct rsmd *rs)
{
	struct peers *P = rs->peers;
	struct pconn *pc;
	size_t i;

	if (P == NULL)
		return;
	P->stopping = 1;
	rsmd_timer_cancel(rs, &P->tick);
	for (i = 0; i < P->npeers; i++) {
		rsmd_timer_cancel(rs, &P->peer[i].retry);
		if (P->peer[i].dialing)
			pconn_kill(rs, P->peer[i].dialing, NULL);
		if (P->peer[i].link)
			pconn_kill(rs, P->peer[i].link, NULL);
	}
	while ((pc = TAILQ_FIRST(&P->unauth)) != NULL)
		pconn_kill(rs, pc, NULL);
	rsmd_timer_cancel(rs, &P->reap);
	reap_fire(rs, &P->reap);
	if (P->listen_fd >= 0) {
		if (!P->accept_paused)
			rsmd_io_del(rs, &P->listen_io);
		close(P->listen_fd);
	}
	if (P->key != NULL) {
		sodium_memzero(P->key, P->keylen);
		free(P->key);
	}
	free(P->peer);
	free(P);
	rs->peers = NULL;
}

/* ---- what the control socket reports ---- */

int
peer_is_up(const struct rsmd *rs, uint32_t node)
{
	const struct peer *peer = peer_by_node(rs, node);

	return peer != NULL && peer->link != NULL;
}

int
peer_can_call(const struct rsmd *rs, uint32_t node)
{
	const struct peer *peer = peer_by_node(rs, node);

	return peer != NULL && (peer->link != NULL || peer->on_demand);
}

int
peer_addr(const struct rsmd *rs, uint32_t node, struct sockaddr_storage *ss)
{
	const struct peer *peer = peer_by_node(rs, node);

	if (peer == NULL)
		return -1;
	memcpy(ss, &peer->addr.sa, sizeof(*ss));
	return 0;
}

size_t
peer_count(const struct rsmd *rs)
{
	return rs->peers ? rs->peers->npeers : 0;
}

void
peer_info(const struct rsmd *rs, size_t i, struct rsm_msg_nodeinfo *ni)
{
	const struct peer *peer = &rs->peers->peer[i];
	uint64_t now = rsm_now_ms();

	memset(ni, 0, sizeof(*ni));
	ni->node = peer->node_id;
	ni->state = peer->link ? RSM_NODE_STATE_UP : peer->dialing ?
	    RSM_NODE_STATE_CONNECTING : peer->on_demand &&
	    !peer->unreachable ? RSM_NODE_STATE_IDLE : RSM_NODE_STATE_DOWN;
	snprintf(ni->addr, sizeof(ni->addr), "%s", peer->addr.text);
	ni->heartbeat_age_ms = peer->last_rx_ms ? now - peer->last_rx_ms :
	    RSM_NODE_NEVER;
	ni->rtt_us = peer->rtt_us;
	ni->up_ms = peer->link ? now - peer->up_since_ms : 0;
}

size_t
peer_topology(const struct rsmd *rs, size_t first, struct rsm_wire_remote *out,
    size_t max, uint32_t local_ctlr, const char *name)
{
	size_t i, n = 0;

	for (i = first; i < peer_count(rs) && n < max; i++) {
		const struct peer *peer = &rs->peers->peer[i];
		struct rsm_wire_remote *r = &out[n++];

		memset(r, 0, sizeof(*r));
		r->node = peer->node_id;
		/* An idle on-demand peer is reachable: a connect links it. */
		r->state = peer->link || (peer->on_demand &&
		    !peer->unreachable) ? RSM_CONNECTION_ACTIVE :
		    RSM_TOPO_STATE_DOWN;
		r->local_ctlr = local_ctlr;
		snprintf(r->name, sizeof(r->name), "%s", name);
		r->hwaddr = peer->node_id;
	}
	return n;
}
