/*
 * admin_probe.c - a peer daemon of its own, for tests/net/test_admin_remote.sh:
 * it links to an rsmd with the cluster key (HELLO, AUTH, then sealed
 * frames, as rsmd/peer_conn.c) and sends remote admin calls
 * (proto/rsm_admin.h) that no honest rsmd would forward, so that the
 * asked rsmd's own checks are what is tested, not the asker's.
 *
 *   admin_probe HOST PORT KEYFILE MY_NODE THEIR_NODE CALL...
 *   admin_probe HOST PORT KEYFILE MY_NODE THEIR_NODE serve ANSWER...
 *
 * CALL: TYPE (a first page of that request type), TYPE/FIRST/SNAP (a
 * later page), or "short" (a body one byte short); either may end in
 * :HEX, the request's argument as bytes in hex, and then in "!" to send
 * the argument's order field in the other byte order.  For each call one
 * line: the reply's status (an RSMERR_* number, 0 for success), and on
 * success "parts=N total=T" and, for STATUS, "node=ID", for STATS
 * "kinds=K..." (the entries' kinds, 1 node, 4 peer, 5 end).  Exit 0 when
 * every call was answered, 1 otherwise; every wait ends within 5 s.
 *
 * serve: be a hostile node that rsmd asks for its rsmadm -n.  It prints
 * "up" once linked, keeps the link alive (heartbeats, PONGs) and answers
 * the remote admin calls that come, one ANSWER each, in order:
 *   garbage  a body that is no page
 *   type     a whole STATUS page, whatever was asked
 *   addr     a NODES page whose entry's address has no NUL
 *   snap     a first NODES page of three parts (one in it, snapshot 5),
 *            then the next page under snapshot 6
 *   order    a whole NODES page whose parts are in the other byte order
 *   first    a NODES page from part 1 where part 0 was asked
 *   slow     a NODES answer of 10 pages, one entry each, every page
 *            answered 1.4 s after it was asked (each within the call's
 *            deadline, all of them not within rsmd's 4 s)
 *   mute     no answer at all (the link stays alive)
 * and exits 0 once the link has lived 3 s past the last (longer than
 * rsmd waits for an answer), 1 when it did not or no call came for 20 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "rsm_admin.h"
#include "rsm_peer.h"
#include "rsmapi.h"

#define WAIT_MS	5000
/* The largest key file rsmd takes (RSM_PEER_KEY_MAX, rsmd/peer.h). */
#define KEY_MAX	4096

static int fd = -1;
static uint8_t key[KEY_MAX];
static size_t keylen;
static uint8_t tx_key[RSM_PEER_SEAL_KEY_LEN], rx_key[RSM_PEER_SEAL_KEY_LEN];
static uint64_t tx_count, rx_count;
static int sealed;

static void
mac(const uint8_t *in, size_t len, uint8_t out[RSM_PEER_MAC_LEN])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, in, len);
	crypto_auth_hmacsha256_final(&st, out);
}

static void
nonce_of(uint8_t n[crypto_aead_chacha20poly1305_IETF_NPUBBYTES], uint64_t c)
{
	memset(n, 0, crypto_aead_chacha20poly1305_IETF_NPUBBYTES);
	rsm_peer_put64(n + 4, c);
}

static int
read_full(void *buf, size_t len)
{
	uint8_t *p = buf;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	while (len > 0) {
		if (poll(&pfd, 1, WAIT_MS) != 1)
			return -1;
		if ((n = recv(fd, p, len, 0)) <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
send_frame(const uint8_t *frame, size_t len)
{
	uint8_t out[RSM_PEER_FRAME_MAX + RSM_PEER_SEAL_OVERHEAD];
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	unsigned long long clen;

	if (sealed) {
		rsm_peer_put32(out, (uint32_t)(len + RSM_PEER_SEAL_TAG_LEN));
		nonce_of(nonce, tx_count++);
		crypto_aead_chacha20poly1305_ietf_encrypt(out + 4, &clen, frame,
		    len, out, 4, NULL, nonce, tx_key);
		frame = out;
		len = 4 + (size_t)clen;
	}
	return send(fd, frame, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* The next whole, checked frame into f; its length, or 0. */
static size_t
recv_frame(uint8_t f[RSM_PEER_FRAME_MAX])
{
	uint8_t c[RSM_PEER_FRAME_MAX + RSM_PEER_SEAL_OVERHEAD];
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	unsigned long long n;
	uint32_t clen;
	long flen;

	if (!sealed) {
		if (read_full(f, sizeof(struct rsm_peer_hdr)) != 0 ||
		    (flen = rsm_peer_frame_len(f, sizeof(struct rsm_peer_hdr)))
		    <= 0 || read_full(f + sizeof(struct rsm_peer_hdr),
		    (size_t)flen - sizeof(struct rsm_peer_hdr)) != 0)
			return 0;
		return rsm_peer_check(f, (size_t)flen) == 0 ? (size_t)flen : 0;
	}
	if (read_full(c, 4) != 0)
		return 0;
	clen = rsm_peer_get32(c);
	if (clen < RSM_PEER_SEAL_TAG_LEN || clen > RSM_PEER_FRAME_MAX +
	    RSM_PEER_SEAL_TAG_LEN || read_full(c + 4, clen) != 0)
		return 0;
	nonce_of(nonce, rx_count++);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(f, &n, NULL, c + 4,
	    clen, c, 4, nonce, rx_key) != 0)
		return 0;
	return rsm_peer_check(f, (size_t)n) == 0 ? (size_t)n : 0;
}

static int
handshake(uint32_t me, uint32_t them)
{
	uint8_t f[RSM_PEER_FRAME_MAX], in[RSM_PEER_AUTH_INPUT_LEN];
	uint8_t mine[RSM_PEER_NONCE_LEN], theirs[RSM_PEER_NONCE_LEN];
	struct rsm_peer_hello hello;
	struct rsm_peer_auth auth;
	struct rsm_peer_hdr h;
	size_t n;
	int got_hello = 0, got_auth = 0;

	randombytes_buf(mine, sizeof(mine));
	rsm_peer_hello_fill(&hello, me, randombytes_random(), mine);
	n = rsm_peer_encode(f, RSM_PEER_HELLO, 0, 0, 0, &hello, sizeof(hello));
	if (send_frame(f, n) != 0)
		return -1;
	while (!got_hello || !got_auth) {
		if ((n = recv_frame(f)) == 0)
			return -1;
		rsm_peer_hdr_decode(f, &h);
		if (h.type == RSM_PEER_HELLO && !got_hello) {
			if (rsm_peer_get32(f + sizeof(h)) != them)
				return -1;
			memcpy(theirs, f + sizeof(h) + offsetof(struct
			    rsm_peer_hello, nonce), sizeof(theirs));
			rsm_peer_auth_input(in, theirs, mine, me, them);
			mac(in, sizeof(in), auth.mac);
			n = rsm_peer_encode(f, RSM_PEER_AUTH, 0, 0, 0, &auth,
			    sizeof(auth));
			if (send_frame(f, n) != 0)
				return -1;
			got_hello = 1;
		} else if (h.type == RSM_PEER_AUTH && got_hello)
			got_auth = 1;	/* rsmd checks ours; theirs is theirs */
		else
			return -1;
	}
	rsm_peer_seal_input(in, mine, theirs, me, them);
	mac(in, sizeof(in), tx_key);
	rsm_peer_seal_input(in, theirs, mine, them, me);
	mac(in, sizeof(in), rx_key);
	sealed = 1;
	return 0;
}

/* One call; its reply's line on stdout.  0, or -1 when unanswered. */
static int
call(uint64_t id, const char *spec)
{
	static struct rsm_adm_page pg;
	uint8_t f[RSM_PEER_FRAME_MAX], body[RSM_ADM_REQ_MAX];
	struct rsm_adm_req q;
	struct rsm_peer_hdr h;
	unsigned long type, first = 0;
	unsigned long long snap = 0;
	size_t n, blen;
	const uint8_t *p;
	const char *hex = strchr(spec, ':');
	unsigned x;
	uint32_t i;

	memset(&q, 0, sizeof(q));
	if (strncmp(spec, "short", 5) == 0) {
		q.type = RSM_MSG_STATUS;
	} else if (sscanf(spec, "%lu/%lu/%llu", &type, &first, &snap) >= 1) {
		q.type = (uint32_t)type;
		q.first = (uint32_t)first;
		q.snap = snap;
	} else
		return -1;
	for (; hex != NULL && sscanf(hex + 1 + 2 * q.arglen, "%2x", &x) == 1 &&
	    q.arglen < sizeof(q.arg); q.arglen++)
		q.arg[q.arglen] = (uint8_t)x;
	blen = rsm_adm_req_enc(body, &q);
	if (strncmp(spec, "short", 5) == 0)
		blen--;
	if (q.arglen != 0 && spec[strlen(spec) - 1] == '!') {
		uint32_t order = __builtin_bswap32(RSM_ADMIN_ORDER);

		memcpy(body + RSM_ADM_REQ_LEN, &order, 4);
	}
	n = rsm_peer_encode_request(f, RSM_PEER_REQUEST, 0, id,
	    RSM_PEER_INNER_ADMIN, body, blen);
	if (send_frame(f, n) != 0)
		return -1;
	/* Heartbeats, pings and rsmd's own calls may come first. */
	for (;;) {
		if ((n = recv_frame(f)) == 0)
			return -1;
		rsm_peer_hdr_decode(f, &h);
		if (h.type == RSM_PEER_REPLY && h.id == id)
			break;
		if (h.type == RSM_PEER_PING) {
			n = rsm_peer_encode(f, RSM_PEER_PONG, RSM_PEERF_REPLY,
			    0, h.id, f + sizeof(h), sizeof(struct rsm_peer_ping));
			if (send_frame(f, n) != 0)
				return -1;
		}
	}
	p = f + sizeof(h) + sizeof(struct rsm_peer_request);
	printf("%u", h.status);
	if (h.status == RSM_SUCCESS) {
		if (rsm_adm_page_dec(p, n - sizeof(h) -
		    sizeof(struct rsm_peer_request), &pg) != 0) {
			printf(" malformed\n");
			return -1;
		}
		printf(" parts=%u total=%u", pg.nparts, pg.total);
		if (pg.type == RSM_MSG_STATUS &&
		    pg.plen[0] == sizeof(struct rsm_msg_status)) {
			struct rsm_msg_status st;

			memcpy(&st, pg.part[0], sizeof(st));
			printf(" node=%u", st.node_id);
		}
		if (pg.type == RSM_MSG_STATS) {
			struct rsm_msg_stats se;

			printf(" kinds=");
			for (i = 0; i < pg.nparts; i++) {
				if (pg.plen[i] != sizeof(se)) {
					printf("?");
					continue;
				}
				memcpy(&se, pg.part[i], sizeof(se));
				printf("%u", se.kind);
			}
		}
	}
	printf("\n");
	return 0;
}

/* ---- serve: a hostile asked node ---- */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
reply_page(uint64_t id, const uint8_t *body, size_t len)
{
	uint8_t f[RSM_PEER_FRAME_MAX];
	size_t n;

	n = rsm_peer_encode_request(f, RSM_PEER_REPLY, RSM_SUCCESS, id,
	    RSM_PEER_INNER_ADMIN, body, len);
	return send_frame(f, n);
}

/* A page of the parts given (each plen bytes), as rsmd would build it. */
static size_t
page(uint8_t *b, uint32_t type, uint32_t first, uint32_t total,
    uint64_t snap, const void *part, size_t plen, uint32_t nparts)
{
	struct rsm_adm_page pg;
	size_t used;
	uint32_t i;

	memset(&pg, 0, sizeof(pg));
	pg.type = type;
	pg.first = first;
	pg.total = total;
	pg.snap = snap;
	pg.instance = 77;
	rsm_adm_page_start(b, &used, &pg);
	for (i = 0; i < nparts; i++)
		rsm_adm_page_add(b, &used, part, plen);
	return used;
}

/* Answer one admin call as `how` says; 1 when the answer is complete. */
static int
answer(const char *how, uint64_t id, const struct rsm_adm_req *q)
{
	uint8_t b[RSM_PEER_BODY_MAX];
	struct rsm_msg_status st;
	struct rsm_msg_nodeinfo ni;
	size_t n;

	memset(&st, 0, sizeof(st));
	memset(&ni, 0, sizeof(ni));
	ni.node = 1;
	strcpy(ni.addr, "10.0.0.1:7700");
	if (strcmp(how, "garbage") == 0)
		return reply_page(id, (const uint8_t *)"junk", 4) == 0;
	if (strcmp(how, "type") == 0)
		return reply_page(id, b, page(b, RSM_MSG_STATUS, 0, 1, 0, &st,
		    sizeof(st), 1)) == 0;
	if (strcmp(how, "addr") == 0) {
		memset(ni.addr, 'x', sizeof(ni.addr));
		return reply_page(id, b, page(b, q->type, 0, 2, 5, &ni,
		    sizeof(ni), 1)) == 0;
	}
	if (strcmp(how, "order") == 0 || strcmp(how, "first") == 0) {
		ni.last = 1;
		n = page(b, q->type, how[0] == 'f', 2, 5, &ni, sizeof(ni), 1);
		if (how[0] == 'o') {
			uint32_t order = __builtin_bswap32(RSM_ADMIN_ORDER);

			memcpy(b + 4, &order, 4);
		}
		return reply_page(id, b, n) == 0;
	}
	if (strcmp(how, "snap") == 0) {
		if (q->first == 0)
			return reply_page(id, b, page(b, q->type, 0, 3, 5, &ni,
			    sizeof(ni), 1)) == 0 ? 0 : -1;
		return reply_page(id, b, page(b, q->type, q->first, 3, 6, &ni,
		    sizeof(ni), 2)) == 0;
	}
	if (strcmp(how, "slow") == 0) {
		memset(&ni, 0, sizeof(ni));
		ni.node = 100 + q->first;
		if (q->first < 9)
			return reply_page(id, b, page(b, q->type, q->first, 10,
			    5, &ni, sizeof(ni), 1)) == 0 ? 0 : -1;
		ni.last = 1;
		ni.count = 9;
		return reply_page(id, b, page(b, q->type, 9, 10, 5, &ni,
		    sizeof(ni), 1)) == 0;
	}
	return 1;	/* mute */
}

static int
serve(char **how, int nhow)
{
	uint8_t f[RSM_PEER_FRAME_MAX];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct rsm_peer_heartbeat hb;
	struct rsm_peer_hdr h;
	struct rsm_adm_req q;
	uint64_t seq = 0, last = now_ms(), due = 0, due_id = 0;
	struct rsm_adm_req due_q;
	const char *due_how = NULL;
	int done = 0, started = 0, r;
	size_t n;

	printf("up\n");
	fflush(stdout);
	/* 100 ms a round: heartbeats well within rsmd's dead_after_ms. */
	while (now_ms() - last < 20000) {
		memset(&hb, 0, sizeof(hb));
		rsm_peer_put64(&hb.seq, ++seq);
		n = rsm_peer_encode(f, RSM_PEER_HEARTBEAT, 0, 0, 0, &hb,
		    sizeof(hb));
		if (send_frame(f, n) != 0)
			return 1;
		/* The link lived 3 s past the last answer: a call's deadline. */
		if (done == nhow && now_ms() - last > 3000)
			return 0;
		if (due != 0 && now_ms() >= due) {
			due = 0;
			if ((r = answer(due_how, due_id, &due_q)) < 0)
				return 1;
			done += r;
			started = !r;
			last = now_ms();
		}
		if ((r = poll(&pfd, 1, 100)) < 0)
			return 1;
		if (r == 0)
			continue;
		if ((n = recv_frame(f)) == 0)
			return 1;
		rsm_peer_hdr_decode(f, &h);
		if (h.type == RSM_PEER_PING) {
			n = rsm_peer_encode(f, RSM_PEER_PONG, RSM_PEERF_REPLY,
			    0, h.id, f + sizeof(h), sizeof(struct rsm_peer_ping));
			if (send_frame(f, n) != 0)
				return 1;
			continue;
		}
		if (h.type != RSM_PEER_REQUEST)
			continue;
		if (rsm_peer_get32(f + sizeof(h)) != RSM_PEER_INNER_ADMIN ||
		    done == nhow || rsm_adm_req_dec(f + sizeof(h) +
		    sizeof(struct rsm_peer_request), n - sizeof(h) -
		    sizeof(struct rsm_peer_request), &q) != 0) {
			n = rsm_peer_encode_request(f, RSM_PEER_REPLY,
			    RSMERR_UNSUPPORTED_OPERATION, h.id,
			    rsm_peer_get32(f + sizeof(h)), NULL, 0);
			if (send_frame(f, n) != 0)
				return 1;
			continue;
		}
		/*
		 * A first page again: rsmd gave up the answer before (a page
		 * still due is never sent).
		 */
		if (started && q.first == 0) {
			started = 0;
			due = 0;
			if (++done == nhow)
				continue;
		}
		if (strcmp(how[done], "slow") == 0) {
			due = now_ms() + 1400;
			due_how = how[done];
			due_id = h.id;
			due_q = q;
			continue;
		}
		if ((r = answer(how[done], h.id, &q)) < 0)
			return 1;
		done += r;
		started = !r;
		last = now_ms();
	}
	return 1;
}

int
main(int argc, char *argv[])
{
	struct addrinfo hints, *ai;
	uint32_t me, them;
	ssize_t r;
	int kfd, i, rc = 0;

	if (argc < 7) {
		fprintf(stderr, "usage: admin_probe HOST PORT KEYFILE MY_NODE "
		    "THEIR_NODE CALL...\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 2;
	if ((kfd = open(argv[3], O_RDONLY)) == -1 ||
	    (r = read(kfd, key, sizeof(key))) <= 0) {
		perror(argv[3]);
		return 2;
	}
	close(kfd);
	keylen = (size_t)r;
	me = (uint32_t)strtoul(argv[4], NULL, 10);
	them = (uint32_t)strtoul(argv[5], NULL, 10);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
		return 2;
	if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		perror("connect");
		return 1;
	}
	freeaddrinfo(ai);
	if (handshake(me, them) != 0) {
		fprintf(stderr, "admin_probe: handshake with node %u failed\n",
		    them);
		return 1;
	}
	if (strcmp(argv[6], "serve") == 0) {
		rc = serve(argv + 7, argc - 7);
		close(fd);
		return rc;
	}
	for (i = 6; i < argc; i++)
		if (call((uint64_t)i, argv[i]) != 0) {
			printf("unanswered\n");
			rc = 1;
		}
	fflush(stdout);
	close(fd);
	return rc;
}
