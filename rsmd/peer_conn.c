/*
 * peer_conn.c - one TCP connection to a peer daemon: its bytes in and
 * out, cutting the stream into frames, and the HELLO/AUTH handshake.
 *
 * Everything read is hostile until checked: a header that is not
 * plausible is refused before its payload is read, a whole frame must pass
 * rsm_peer_check(), and a frame illegal in the connection's state (AUTH
 * before HELLO, anything but HELLO and AUTH before authentication, either
 * of them after) is refused too.  A refusal is logged and closes that
 * connection only.  Writes never block: what the socket will not take
 * waits in a bounded buffer, and a peer that lets it fill is dropped.
 */
#include "config.h"

#include <errno.h>
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

static void pconn_ready(struct rsmd *, struct rsmd_io *, uint32_t);

static struct pconn *
pconn_of(struct rsmd_io *io)
{
	return (struct pconn *)(void *)((char *)io -
	    offsetof(struct pconn, io));
}

struct pconn *
pconn_new(struct rsmd *rs, int fd, int outbound, const char *who)
{
	struct pconn *pc;

	if ((pc = calloc(1, sizeof(*pc))) == NULL) {
		log_warn("peer connection");
		return NULL;
	}
	pc->io.fd = fd;
	pc->io.ready = pconn_ready;
	pc->outbound = outbound;
	pc->state = outbound ? PC_CONNECTING : PC_HANDSHAKE;
	pc->events = outbound ? EPOLLOUT : EPOLLIN | EPOLLRDHUP;
	pc->started_ms = pc->last_rx_ms = pc->last_tx_ms = rsm_now_ms();
	snprintf(pc->who, sizeof(pc->who), "%s", who);
	randombytes_buf(pc->my_nonce, sizeof(pc->my_nonce));
	if (rsmd_io_add(rs, &pc->io, pc->events) == -1) {
		log_warn("epoll_ctl peer %s", who);
		free(pc);
		return NULL;
	}
	return pc;
}

void
pconn_free(struct pconn *pc)
{
	free(pc->wbuf);
	sodium_memzero(pc->tx_key, sizeof(pc->tx_key));
	sodium_memzero(pc->rx_key, sizeof(pc->rx_key));
	free(pc);
}

/* The nonce of a direction's n-th sealed frame. */
static void
seal_nonce(uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES],
    uint64_t n)
{
	memset(nonce, 0, crypto_aead_chacha20poly1305_IETF_NPUBBYTES);
	rsm_peer_put64(nonce + 4, n);
}

/*
 * Both directions' keys, from the cluster key and this link's nonces
 * (rsm_peer_seal_input); from now on every frame is sealed.
 */
static void
seal_start(struct rsmd *rs, struct pconn *pc)
{
	uint8_t in[RSM_PEER_AUTH_INPUT_LEN];

	_Static_assert(RSM_PEER_SEAL_KEY_LEN == RSM_PEER_MAC_LEN &&
	    RSM_PEER_SEAL_KEY_LEN == crypto_aead_chacha20poly1305_IETF_KEYBYTES,
	    "a key is one HMAC-SHA256");
	_Static_assert(RSM_PEER_SEAL_TAG_LEN ==
	    crypto_aead_chacha20poly1305_IETF_ABYTES, "the tag");
	rsm_peer_seal_input(in, pc->my_nonce, pc->their_nonce,
	    rs->conf.node_id, pc->their_node);
	peer_mac(rs->peers, in, sizeof(in), pc->tx_key);
	rsm_peer_seal_input(in, pc->their_nonce, pc->my_nonce,
	    pc->their_node, rs->conf.node_id);
	peer_mac(rs->peers, in, sizeof(in), pc->rx_key);
	pc->tx_count = pc->rx_count = 0;
	pc->sealed = 1;
}

static void
set_events(struct rsmd *rs, struct pconn *pc, uint32_t events)
{
	if (pc->state == PC_DEAD || pc->events == events)
		return;
	if (rsmd_io_mod(rs, &pc->io, events) == -1) {
		log_warn("epoll_ctl peer %s", pc->who);
		pconn_kill(rs, pc, "cannot watch its socket");
		return;
	}
	pc->events = events;
}

void
pconn_kill(struct rsmd *rs, struct pconn *pc, const char *why)
{
	if (pc->state == PC_DEAD)
		return;
	if (why != NULL)
		log_info("peer %s: %s; closing", pc->who, why);
	else
		log_debug("peer %s: closing", pc->who);
	rsmd_io_del(rs, &pc->io);
	close(pc->io.fd);
	pc->io.fd = -1;
	/* Role bookkeeping first, while the state still says what it was. */
	peer_conn_gone(rs, pc, why);
	pc->state = PC_DEAD;
	TAILQ_INSERT_TAIL(&rs->peers->closing, pc, link);
	peer_defer(rs);
}

void
pconn_refuse(struct rsmd *rs, struct pconn *pc, const char *why)
{
	rs->refused++;
	log_warnx("peer %s: refused: %s", pc->who, why);
	pconn_kill(rs, pc, "connection closed after a refused frame");
}

/* Write what is queued; 0, or -1 when the connection died. */
static int
flush(struct rsmd *rs, struct pconn *pc)
{
	ssize_t n;

	while (pc->woff < pc->wlen) {
		n = send(pc->io.fd, pc->wbuf + pc->woff, pc->wlen - pc->woff,
		    MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			pconn_kill(rs, pc, strerror(errno));
			return -1;
		}
		pc->woff += (size_t)n;
	}
	if (pc->woff == pc->wlen)
		pc->woff = pc->wlen = 0;
	if (pc->state != PC_CONNECTING)
		set_events(rs, pc, EPOLLIN | EPOLLRDHUP |
		    (pc->wlen ? EPOLLOUT : 0));
	return pc->state == PC_DEAD ? -1 : 0;
}

void
pconn_send(struct rsmd *rs, struct pconn *pc, const void *frame, size_t len)
{
	size_t need;

	uint8_t sealed[RSM_PEER_FRAME_MAX + RSM_PEER_SEAL_OVERHEAD];
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	unsigned long long clen;

	if (pc->state == PC_DEAD || len == 0)
		return;
	if (pc->peer != NULL)
		stats_peer_frame(&pc->peer->stats, 1, len);
	if (pc->sealed) {
		if (len > RSM_PEER_FRAME_MAX) {
			pconn_kill(rs, pc, "frame too long to seal");
			return;
		}
		rsm_peer_put32(sealed, (uint32_t)(len + RSM_PEER_SEAL_TAG_LEN));
		seal_nonce(nonce, pc->tx_count++);
		crypto_aead_chacha20poly1305_ietf_encrypt(sealed + 4, &clen,
		    frame, len, sealed, 4, NULL, nonce, pc->tx_key);
		frame = sealed;
		len = 4 + (size_t)clen;
	}
	if (pc->woff > 0 && pc->woff == pc->wlen)
		pc->woff = pc->wlen = 0;
	need = pc->wlen + len;
	if (need > PEER_OUTBUF_MAX) {
		pconn_kill(rs, pc, "not reading: output buffer full");
		return;
	}
	if (need > pc->wcap) {
		size_t cap = pc->wcap ? pc->wcap : 8192;
		uint8_t *nb;

		while (cap < need)
			cap *= 2;
		if ((nb = realloc(pc->wbuf, cap)) == NULL) {
			pconn_kill(rs, pc, "out of memory for its output");
			return;
		}
		pc->wbuf = nb;
		pc->wcap = cap;
	}
	memcpy(pc->wbuf + pc->wlen, frame, len);
	pc->wlen += len;
	pc->last_tx_ms = rsm_now_ms();
	if (pc->state != PC_CONNECTING)
		flush(rs, pc);
}

void
pconn_start(struct rsmd *rs, struct pconn *pc)
{
	uint8_t frame[RSM_PEER_FRAME_MAX];
	struct rsm_peer_hello hello;
	size_t n;

	rsm_peer_hello_fill(&hello, rs->conf.node_id, rs->instance,
	    pc->my_nonce);
	n = rsm_peer_encode(frame, RSM_PEER_HELLO, 0, 0, 0, &hello,
	    sizeof(hello));
	pconn_send(rs, pc, frame, n);
}

/* ---- the handshake ---- */

static void
got_hello(struct rsmd *rs, struct pconn *pc, const uint8_t *p)
{
	uint8_t frame[RSM_PEER_FRAME_MAX], in[RSM_PEER_AUTH_INPUT_LEN];
	struct rsm_peer_auth auth;
	struct peer *peer;
	uint32_t node;
	uint64_t instance;
	char why[96];
	size_t n;

	if (pc->got_hello) {
		pconn_refuse(rs, pc, "second HELLO");
		return;
	}
	pc->got_hello = 1;
	node = rsm_peer_get32(p + offsetof(struct rsm_peer_hello, node_id));
	instance = rsm_peer_get64(p + offsetof(struct rsm_peer_hello,
	    instance));
	if ((peer = peer_by_node(rs, node)) == NULL) {
		snprintf(why, sizeof(why), "HELLO from node %u, which is not "
		    "a configured peer", node);
		pconn_refuse(rs, pc, why);
		return;
	}
	if (pc->outbound && pc->peer != peer) {
		snprintf(why, sizeof(why), "HELLO from node %u where node %u "
		    "was dialed", node, pc->peer->node_id);
		pconn_refuse(rs, pc, why);
		return;
	}
	pc->peer = peer;
	pc->their_node = node;
	pc->their_instance = instance;
	memcpy(pc->their_nonce, p + offsetof(struct rsm_peer_hello, nonce),
	    RSM_PEER_NONCE_LEN);
	if (!pc->outbound) {
		char from[sizeof(pc->who)];

		memcpy(from, pc->who, sizeof(from));
		snprintf(pc->who, sizeof(pc->who), "node %u (from %.60s)", node,
		    from);
	}
	if (!peer_accept_hello(rs, pc, peer, instance)) {
		pconn_kill(rs, pc, NULL);
		return;
	}
	rsm_peer_auth_input(in, pc->their_nonce, pc->my_nonce,
	    rs->conf.node_id, node);
	peer_mac(rs->peers, in, sizeof(in), auth.mac);
	n = rsm_peer_encode(frame, RSM_PEER_AUTH, 0, 0, 0, &auth,
	    sizeof(auth));
	pconn_send(rs, pc, frame, n);
}

static void
got_auth(struct rsmd *rs, struct pconn *pc, const uint8_t *p)
{
	uint8_t in[RSM_PEER_AUTH_INPUT_LEN];

	if (!pc->got_hello) {
		pconn_refuse(rs, pc, "AUTH before HELLO");
		return;
	}
	/* What the other side must have MACed: see rsm_peer_auth_input(). */
	rsm_peer_auth_input(in, pc->my_nonce, pc->their_nonce,
	    pc->their_node, rs->conf.node_id);
	if (!peer_mac_verify(rs->peers, in, sizeof(in), p)) {
		pconn_refuse(rs, pc, "authentication failed (wrong cluster "
		    "key?)");
		return;
	}
	/* Our AUTH went out before theirs could arrive: both seal now. */
	seal_start(rs, pc);
	pc->state = PC_UP;
	peer_link_up(rs, pc);
}

/* ---- reading ---- */

static void
frame(struct rsmd *rs, struct pconn *pc, const uint8_t *buf)
{
	const uint8_t *p = buf + sizeof(struct rsm_peer_hdr);
	struct rsm_peer_hdr h;
	char why[96];

	rsm_peer_hdr_decode(buf, &h);
	pc->last_rx_ms = rsm_now_ms();
	if (pc->state == PC_HANDSHAKE) {
		if (h.type == RSM_PEER_HELLO)
			got_hello(rs, pc, p);
		else if (h.type == RSM_PEER_AUTH)
			got_auth(rs, pc, p);
		else {
			snprintf(why, sizeof(why), "%s before authentication",
			    rsm_peer_type_name(h.type));
			pconn_refuse(rs, pc, why);
		}
		return;
	}
	pc->peer->last_rx_ms = pc->last_rx_ms;
	stats_peer_frame(&pc->peer->stats, 0, h.len);
	switch (h.type) {
	case RSM_PEER_HEARTBEAT:
		break;
	case RSM_PEER_PING:
	case RSM_PEER_PONG:
	case RSM_PEER_REQUEST:
	case RSM_PEER_REPLY:
		pcall_frame(rs, pc, &h, p);
		break;
	default:
		snprintf(why, sizeof(why), "%s after authentication",
		    rsm_peer_type_name(h.type));
		pconn_refuse(rs, pc, why);
		break;
	}
}

/*
 * Open the sealed frame at the front of buf (avail bytes) into plain:
 * its wire length, 0 while incomplete, or -1 after refusing the link.
 */
static long
unseal(struct rsmd *rs, struct pconn *pc, const uint8_t *buf, size_t avail,
    uint8_t *plain, size_t *plen)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	unsigned long long n;
	uint32_t clen;
	char why[96];

	if (avail < 4)
		return 0;
	clen = rsm_peer_get32(buf);
	if (clen < sizeof(struct rsm_peer_hdr) + RSM_PEER_SEAL_TAG_LEN ||
	    clen > RSM_PEER_FRAME_MAX + RSM_PEER_SEAL_TAG_LEN) {
		snprintf(why, sizeof(why), "a sealed frame of %u bytes",
		    (unsigned)clen);
		pconn_refuse(rs, pc, why);
		return -1;
	}
	if (avail - 4 < clen)
		return 0;
	seal_nonce(nonce, pc->rx_count);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(plain, &n, NULL,
	    buf + 4, clen, buf, 4, nonce, pc->rx_key) != 0) {
		pconn_refuse(rs, pc, "a frame failed authentication (changed, "
		    "replayed, reordered or injected on the way)");
		return -1;
	}
	pc->rx_count++;
	*plen = (size_t)n;
	return 4 + (long)clen;
}

/* Cut whole frames off the front of rbuf; stops when the connection dies. */
static void
parse(struct rsmd *rs, struct pconn *pc)
{
	uint8_t plain[RSM_PEER_FRAME_MAX];
	const uint8_t *f;
	size_t plen;
	long flen, wire;
	size_t off = 0;
	int rc;
	char why[96];

	while (pc->state != PC_DEAD && pc->state != PC_CONNECTING) {
		if (pc->sealed) {
			wire = unseal(rs, pc, pc->rbuf + off, pc->rlen - off,
			    plain, &plen);
			if (wire < 0)
				return;
			if (wire == 0)
				break;
			/* Authentic, but still only a frame once checked. */
			flen = rsm_peer_frame_len(plain, plen);
			if (flen != (long)plen) {
				snprintf(why, sizeof(why), "bad sealed frame: "
				    "%s", flen < 0 ? rsm_peerchk_str((int)flen) :
				    "its length is not the header's");
				pconn_refuse(rs, pc, why);
				return;
			}
			f = plain;
		} else {
			flen = rsm_peer_frame_len(pc->rbuf + off,
			    pc->rlen - off);
			f = pc->rbuf + off;
			wire = flen;
		}
		if (flen < 0) {
			snprintf(why, sizeof(why), "bad frame header: %s",
			    rsm_peerchk_str((int)flen));
			pconn_refuse(rs, pc, why);
			return;
		}
		if (flen == 0 || (size_t)wire > pc->rlen - off)
			break;
		if ((rc = rsm_peer_check(f, (size_t)flen)) != 0) {
			struct rsm_peer_hdr h;

			rsm_peer_hdr_decode(f, &h);
			snprintf(why, sizeof(why), "bad %s frame: %s",
			    rsm_peer_type_name(h.type), rsm_peerchk_str(rc));
			pconn_refuse(rs, pc, why);
			return;
		}
		frame(rs, pc, f);
		off += (size_t)wire;
	}
	if (pc->state == PC_DEAD)
		return;
	if (off > 0) {
		memmove(pc->rbuf, pc->rbuf + off, pc->rlen - off);
		pc->rlen -= off;
	}
}

static void
readable(struct rsmd *rs, struct pconn *pc)
{
	ssize_t n;
	int i;

	for (i = 0; i < PEER_READ_BURST && pc->state != PC_DEAD; i++) {
		n = recv(pc->io.fd, pc->rbuf + pc->rlen,
		    sizeof(pc->rbuf) - pc->rlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			pconn_kill(rs, pc, strerror(errno));
			return;
		}
		if (n == 0) {
			if (pc->rlen > 0)
				pconn_refuse(rs, pc, "connection closed in the "
				    "middle of a frame (truncated)");
			else
				pconn_kill(rs, pc, pc->state == PC_UP ?
				    "connection closed by the peer" : NULL);
			return;
		}
		pc->rlen += (size_t)n;
		parse(rs, pc);
	}
}

/* The outbound connect finished, one way or the other. */
static void
connected(struct rsmd *rs, struct pconn *pc)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(pc->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		/* Said once per outage, not at every retry. */
		if (!pc->peer->fail_logged)
			log_info("peer %s: cannot connect: %s; will keep "
			    "trying", pc->who, strerror(err));
		else
			log_debug("peer %s: cannot connect: %s", pc->who,
			    strerror(err));
		pc->peer->fail_logged = 1;
		pconn_kill(rs, pc, NULL);
		return;
	}
	pc->state = PC_HANDSHAKE;
	pc->events = 0;
	set_events(rs, pc, EPOLLIN | EPOLLRDHUP);
	pconn_start(rs, pc);
	flush(rs, pc);
}

static void
pconn_ready(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	struct pconn *pc = pconn_of(io);

	if (pc->state == PC_DEAD)
		return;
	if (pc->state == PC_CONNECTING) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			connected(rs, pc);
		return;
	}
	if ((events & EPOLLOUT) && flush(rs, pc) == -1)
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		readable(rs, pc);
}
