/*
 * peer_int.h - what the peer modules share: peer.c (peers, listening,
 * dialing, link up and down, heartbeats), peer_conn.c (one connection's
 * bytes, frames and handshake), peer_call.c (calls, replies, requests) and
 * peer_key.c (the cluster key).
 */
#ifndef RSMD_PEER_INT_H
#define RSMD_PEER_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "rsmd.h"
#include "peer.h"

/*
 * Inbound connections not yet authenticated, at most, beyond one per peer
 * (every node of a large cluster may dial this one at once, as when all
 * of them import its segment); the oldest goes.
 */
#define PEER_UNAUTH_MAX		64
/* Connections accepted per readiness event, for fairness. */
#define PEER_ACCEPT_BURST	32
/* Reads per readiness event on one connection, for fairness. */
#define PEER_READ_BURST		16
/* Output a peer may leave unread before its link is dropped. */
#define PEER_OUTBUF_MAX		(1024u * 1024u)
/* Reconnect backoff, doubling from min to max. */
#define PEER_BACKOFF_MIN_MS	100u
#define PEER_BACKOFF_MAX_MS	1000u
/* A handshake (TCP connect included) must finish within this, at least. */
#define PEER_HANDSHAKE_MIN_MS	500u
/* How often an up link's round trip is measured. */
#define PEER_RTT_EVERY_MS	1000u
/* Registration tables. */
#define PEER_HANDLERS_MAX	32
#define PEER_HOOKS_MAX		8

enum pconn_state {
	PC_CONNECTING,		/* outbound TCP connect in progress */
	PC_HANDSHAKE,		/* HELLO/AUTH exchange */
	PC_UP,			/* authenticated: the peer's link */
	PC_DEAD,		/* closed, freed at the end of the round */
};

struct peer;

struct pconn {
	TAILQ_ENTRY(pconn) link;	/* unauth list, or the closing list */
	struct rsmd_io	 io;
	enum pconn_state state;
	int		 outbound;	/* we dialed it */
	int		 listed;	/* on the unauth list */
	struct peer	*peer;		/* outbound: always; inbound: after HELLO */
	uint32_t	 events;
	char		 who[96];	/* "node N (addr)" or the remote address */
	uint64_t	 started_ms;
	uint64_t	 last_rx_ms;
	uint64_t	 last_tx_ms;
	int		 got_hello;
	uint32_t	 their_node;
	uint64_t	 their_instance;
	uint8_t		 my_nonce[RSM_PEER_NONCE_LEN];
	uint8_t		 their_nonce[RSM_PEER_NONCE_LEN];
	/* Set once the other's AUTH checked: every frame on is sealed. */
	int		 sealed;
	uint64_t	 tx_count, rx_count;	/* the sealing nonces */
	uint8_t		 tx_key[RSM_PEER_SEAL_KEY_LEN];
	uint8_t		 rx_key[RSM_PEER_SEAL_KEY_LEN];
	size_t		 rlen;
	uint8_t		 rbuf[RSM_PEER_FRAME_MAX + RSM_PEER_SEAL_OVERHEAD];
	uint8_t		*wbuf;
	size_t		 woff, wlen, wcap;
};

struct pcall;

struct peer {
	struct rsmd_addr addr;		/* copied: SIGHUP frees the config */
	uint32_t	 node_id;
	struct pconn	*link;		/* the authenticated link, or NULL */
	struct pconn	*dialing;	/* our own connect in progress */
	struct rsmd_timer retry;
	uint64_t	 backoff_ms;
	int		 fail_logged;	/* said once why dialing fails */
	uint64_t	 last_rx_ms;	/* 0: never heard from */
	uint64_t	 up_since_ms;
	uint64_t	 last_rtt_ms;	/* when the round trip was last measured */
	uint64_t	 rtt_us;
	uint64_t	 instance;	/* the linked daemon's */
	/*
	 * Waiting for their reply, in deadline order; on an on-demand link
	 * also the calls not sent yet (while dialing, or while the link is
	 * draining), which go out in order once there is a link to use.
	 */
	TAILQ_HEAD(, pcall) calls;
	/* On-demand links (peer_idle.c). */
	int		 on_demand;	/* linked when needed, closed when idle */
	int		 unreachable;	/* the last dial or link failed */
	int		 draining;	/* idle close agreed or asked: send nothing */
	int		 idle_agreed;	/* we said yes to the peer's IDLE */
	int		 idle_closing;	/* we are closing it for being idle */
	uint64_t	 drain_since_ms;
	uint64_t	 last_used_ms;	/* last call made or served */
	uint64_t	 next_ask_ms;	/* after a "no", ask again from then */
	struct stats_peer stats;	/* rsmadm stats (peer_stats.c) */
};

struct peers {
	struct peer	*peer;
	size_t		 npeers;
	int		 listen_fd;
	struct rsmd_io	 listen_io;
	TAILQ_HEAD(, pconn) unauth;	/* inbound, not yet authenticated */
	size_t		 nunauth;
	TAILQ_HEAD(, pconn) closing;
	TAILQ_HEAD(, pcall) done;	/* answered, callback not yet run */
	struct rsmd_timer tick;		/* heartbeats, deadlines */
	struct rsmd_timer reap;		/* end of round: callbacks, frees */
	uint8_t		*key;
	size_t		 keylen;
	uint64_t	 next_id;
	uint64_t	 last_flood_log_ms;
	int		 accept_paused;	/* out of descriptors */
	int		 stopping;	/* shutting down: no more dialing */
};

/* peer.c */
struct peer *peer_by_node(const struct rsmd *, uint32_t node);
/* An on-demand peer has a call to send: dial it if nothing is under way. */
void	 peer_want_link(struct rsmd *, struct peer *);
/* Close the link, agreed idle by both sides (peer_idle.c). */
void	 peer_close_idle(struct rsmd *, struct peer *);
/* The handshake limit, also what a drained link waits for its close. */
uint64_t peer_handshake_ms(const struct rsmd *);
/* A connection finished its handshake: make it the peer's link. */
void	 peer_link_up(struct rsmd *, struct pconn *);
/*
 * Whether to answer a HELLO for node on this connection (the rule that
 * keeps one link per pair); 0 means close it quietly.
 */
int	 peer_accept_hello(struct rsmd *, struct pconn *, struct peer *,
	    uint64_t instance);
/* A connection is gone: bookkeeping for whichever role it had. */
void	 peer_conn_gone(struct rsmd *, struct pconn *, const char *why);
/* Run the deferred work (callbacks, frees) at the end of this round. */
void	 peer_defer(struct rsmd *);

/* peer_conn.c */
struct pconn *pconn_new(struct rsmd *, int fd, int outbound,
	    const char *who);
void	 pconn_free(struct pconn *);
/* Start the handshake: send HELLO. */
void	 pconn_start(struct rsmd *, struct pconn *);
/* Queue a frame; on overflow or error the connection dies. */
void	 pconn_send(struct rsmd *, struct pconn *, const void *, size_t);
/* Close; logged at info with why (NULL: quietly, debug only). */
void	 pconn_kill(struct rsmd *, struct pconn *, const char *why);
/* A frame broke the rules: log, count and close. */
void	 pconn_refuse(struct rsmd *, struct pconn *, const char *why);

/* peer_call.c */
/* An authenticated frame of type PING, PONG, REQUEST or REPLY. */
void	 pcall_frame(struct rsmd *, struct pconn *,
	    const struct rsm_peer_hdr *, const uint8_t *payload);
/* Fail every call waiting on this peer (link lost). */
void	 pcall_fail_all(struct rsmd *, struct peer *);
/* Fail the calls sent on a link that is gone; the unsent ones stay. */
void	 pcall_fail_sent(struct rsmd *, struct peer *);
/* Send the calls waiting for a link, now that there is one. */
void	 pcall_send_queued(struct rsmd *, struct peer *);
/* Whether calls wait: sent ones other than internal probes, or unsent. */
int	 pcall_user_pending(const struct peer *);
int	 pcall_queued(const struct peer *);
/* Ask the peer whether the link may close; the answer goes to peer_idle.c. */
void	 pcall_idle_ask(struct rsmd *, struct peer *);
/* Fail calls whose deadline passed. */
void	 pcall_expire(struct rsmd *, struct peer *, uint64_t now);
/* Run the callbacks of answered calls. */
void	 pcall_run_done(struct rsmd *);
/* Queue a node state change for the hooks, run with the deferred work. */
void	 peer_hooks_run(struct rsmd *, uint32_t node, int up);
/* Run the queued state changes in order; 1 if any ran. */
int	 peer_hooks_run_pending(struct rsmd *);
/* Measure the round trip, recorded in peer->rtt_us, no callback. */
void	 pcall_rtt_probe(struct rsmd *, struct peer *);

/* peer_idle.c */
/* Register the IDLE server (peer_init). */
int	 peer_idle_init(void);
/* From the tick: ask to close an on-demand link unused for long enough. */
void	 peer_idle_check(struct rsmd *, struct peer *, uint64_t now);
/* The answer to our IDLE question. */
void	 peer_idle_answer(struct rsmd *, struct peer *, int status);
/* A call was made or served on this link: it is in use. */
void	 peer_used(struct peer *);

/* peer_key.c */
int	 peer_key_load(const char *path, uint8_t **key, size_t *len);
void	 peer_mac(const struct peers *, const uint8_t *in, size_t len,
	    uint8_t mac[RSM_PEER_MAC_LEN]);
int	 peer_mac_verify(const struct peers *, const uint8_t *in, size_t len,
	    const uint8_t mac[RSM_PEER_MAC_LEN]);

#endif /* RSMD_PEER_INT_H */
