/*
 * test_peer_proto.c - the peer frame codec: rsm_peer_check() and
 * rsm_peer_frame_len() accept exactly the well-formed frames of each type
 * and name the first fault of every other; and the bodies of the remote
 * admin call (rsm_admin.h): its allow-list, requests and pages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rsm_admin.h"
#include "rsm_peer.h"
#include "rsmapi.h"

#define HDR	sizeof(struct rsm_peer_hdr)

static uint8_t f[RSM_PEER_FRAME_MAX + 64];

static size_t
hello(void)
{
	struct rsm_peer_hello h;
	uint8_t nonce[RSM_PEER_NONCE_LEN];

	memset(nonce, 7, sizeof(nonce));
	rsm_peer_hello_fill(&h, 3, 99, nonce);
	return rsm_peer_encode(f, RSM_PEER_HELLO, 0, 0, 0, &h, sizeof(h));
}

static void
test_valid_frames(void **state)
{
	struct rsm_peer_auth a;
	struct rsm_peer_heartbeat hb;
	struct rsm_peer_ping pg;
	struct rsm_peer_hdr h;
	uint8_t body[RSM_PEER_BODY_MAX];
	size_t n;

	(void)state;
	memset(&a, 1, sizeof(a));
	memset(&hb, 0, sizeof(hb));
	memset(&pg, 0, sizeof(pg));
	memset(body, 0xab, sizeof(body));

	n = hello();
	assert_int_equal(rsm_peer_check(f, n), 0);
	assert_int_equal(rsm_peer_frame_len(f, n), (long)n);
	rsm_peer_hdr_decode(f, &h);
	assert_int_equal(h.type, RSM_PEER_HELLO);
	assert_int_equal(rsm_peer_get32(f + HDR), 3);
	n = rsm_peer_encode(f, RSM_PEER_AUTH, 0, 0, 0, &a, sizeof(a));
	assert_int_equal(rsm_peer_check(f, n), 0);
	n = rsm_peer_encode(f, RSM_PEER_HEARTBEAT, 0, 0, 0, &hb, sizeof(hb));
	assert_int_equal(rsm_peer_check(f, n), 0);
	n = rsm_peer_encode(f, RSM_PEER_PING, 0, 0, 5, &pg, sizeof(pg));
	assert_int_equal(rsm_peer_check(f, n), 0);
	n = rsm_peer_encode(f, RSM_PEER_PONG, RSM_PEERF_REPLY, 0, 5, &pg,
	    sizeof(pg));
	assert_int_equal(rsm_peer_check(f, n), 0);
	n = rsm_peer_encode_request(f, RSM_PEER_REQUEST, 0, 9, 1, NULL, 0);
	assert_int_equal(rsm_peer_check(f, n), 0);
	n = rsm_peer_encode_request(f, RSM_PEER_REQUEST, 0, 9, 7, body,
	    sizeof(body));
	assert_int_equal(n, RSM_PEER_FRAME_MAX);
	assert_int_equal(rsm_peer_check(f, n), 0);
	n = rsm_peer_encode_request(f, RSM_PEER_REPLY, RSM_SUCCESS, 9, 7,
	    body, 100);
	assert_int_equal(rsm_peer_check(f, n), 0);
	n = rsm_peer_encode_request(f, RSM_PEER_REPLY,
	    RSMERR_REMOTE_NODE_UNREACHABLE, 9, 7, NULL, 0);
	assert_int_equal(rsm_peer_check(f, n), 0);
	/* Too big to encode at all. */
	assert_int_equal(rsm_peer_encode_request(f, RSM_PEER_REQUEST, 0, 9, 7,
	    body, sizeof(body) + 1), 0);
}

static void
test_header_faults(void **state)
{
	size_t n, k;

	(void)state;
	n = hello();
	for (k = 0; k < HDR; k++) {
		assert_int_equal(rsm_peer_frame_len(f, k), 0);
		assert_int_equal(rsm_peer_check(f, k), RSM_PEERCHK_SHORT);
	}
	/* Truncated and overlong. */
	assert_int_equal(rsm_peer_check(f, n - 1), RSM_PEERCHK_SHORT);
	assert_int_equal(rsm_peer_check(f, n + 1), RSM_PEERCHK_LONG);
	f[0] ^= 0xff;
	assert_int_equal(rsm_peer_frame_len(f, n), RSM_PEERCHK_MAGIC);
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_MAGIC);
	n = hello();
	f[offsetof(struct rsm_peer_hdr, version)] = RSM_PEER_VERSION + 1;
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_VERSION);
	n = hello();
	rsm_peer_put32(f + offsetof(struct rsm_peer_hdr, len),
	    RSM_PEER_FRAME_MAX + 1);
	assert_int_equal(rsm_peer_frame_len(f, n), RSM_PEERCHK_LEN);
	rsm_peer_put32(f + offsetof(struct rsm_peer_hdr, len), HDR - 1);
	assert_int_equal(rsm_peer_frame_len(f, n), RSM_PEERCHK_LEN);
	rsm_peer_put32(f + offsetof(struct rsm_peer_hdr, len), 0xffffffffu);
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_LEN);
	n = hello();
	f[offsetof(struct rsm_peer_hdr, type)] = 0;
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_TYPE);
	f[offsetof(struct rsm_peer_hdr, type)] = 8;
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_TYPE);
	n = hello();
	f[offsetof(struct rsm_peer_hdr, flags)] = RSM_PEERF_REPLY;
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_FLAGS);
	f[offsetof(struct rsm_peer_hdr, flags)] = 0x80;
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_FLAGS);
	n = hello();
	f[offsetof(struct rsm_peer_hdr, reserved)] = 1;
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_FLAGS);
}

static void
test_payload_faults(void **state)
{
	struct rsm_peer_ping pg;
	uint8_t body[16];
	size_t n;

	(void)state;
	memset(&pg, 0, sizeof(pg));
	memset(body, 0, sizeof(body));
	/* Sizes exact per type. */
	n = rsm_peer_encode(f, RSM_PEER_PING, 0, 0, 5, body, 4);
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_SIZE);
	n = rsm_peer_encode(f, RSM_PEER_HEARTBEAT, 0, 0, 0, body, 16);
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_SIZE);
	/* Ids: none on HELLO/AUTH/HEARTBEAT, one on calls and answers. */
	n = rsm_peer_encode(f, RSM_PEER_PING, 0, 0, 0, &pg, sizeof(pg));
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_ID);
	n = rsm_peer_encode(f, RSM_PEER_HEARTBEAT, 0, 0, 3, body, 8);
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_ID);
	/* Reply flag on exactly PONG and REPLY. */
	n = rsm_peer_encode(f, RSM_PEER_PONG, 0, 0, 5, &pg, sizeof(pg));
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_FLAGS);
	n = rsm_peer_encode(f, RSM_PEER_PING, RSM_PEERF_REPLY, 0, 5, &pg,
	    sizeof(pg));
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_FLAGS);
	/* Status only on REPLY. */
	n = rsm_peer_encode(f, RSM_PEER_PING, 0, 1, 5, &pg, sizeof(pg));
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_FIELD);
	/* Inner header: type non-zero, body_len exact, error replies bare. */
	n = rsm_peer_encode_request(f, RSM_PEER_REQUEST, 0, 9, 0, NULL, 0);
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_FIELD);
	n = rsm_peer_encode_request(f, RSM_PEER_REQUEST, 0, 9, 1, body, 8);
	rsm_peer_put32(f + HDR + offsetof(struct rsm_peer_request, body_len),
	    9);
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_SIZE);
	rsm_peer_put32(f + HDR + offsetof(struct rsm_peer_request, body_len),
	    0xffffffffu);
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_SIZE);
	n = rsm_peer_encode_request(f, RSM_PEER_REPLY, RSMERR_BAD_ADDR, 9, 1,
	    body, 8);
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_SIZE);
	n = rsm_peer_encode(f, RSM_PEER_REQUEST, 0, 0, 9, body, 4);
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_SIZE);
	/* HELLO's pad must be zero. */
	n = hello();
	f[HDR + offsetof(struct rsm_peer_hello, pad)] = 1;
	assert_int_equal(rsm_peer_check(f, n), RSM_PEERCHK_FIELD);
}

static void
test_auth_input(void **state)
{
	uint8_t a[RSM_PEER_NONCE_LEN], b[RSM_PEER_NONCE_LEN];
	uint8_t x[RSM_PEER_AUTH_INPUT_LEN], y[RSM_PEER_AUTH_INPUT_LEN];

	(void)state;
	memset(a, 1, sizeof(a));
	memset(b, 2, sizeof(b));
	/* What node 1 MACs for node 2 is never what node 2 MACs for node 1. */
	rsm_peer_auth_input(x, b, a, 1, 2);
	rsm_peer_auth_input(y, a, b, 2, 1);
	assert_memory_not_equal(x, y, sizeof(x));
	rsm_peer_auth_input(y, b, a, 1, 2);
	assert_memory_equal(x, y, sizeof(x));
	assert_memory_equal(x, RSM_PEER_AUTH_LABEL,
	    sizeof(RSM_PEER_AUTH_LABEL) - 1);
	for (int c = 0; c >= -10; c--)
		assert_string_not_equal(rsm_peerchk_str(c), "unknown fault");
	assert_string_equal(rsm_peer_type_name(RSM_PEER_REPLY), "REPLY");
	assert_string_equal(rsm_peer_type_name(99), "UNKNOWN");
}

/*
 * Node ids up to RSM_NODE_ID_MAX travel whole in HELLO and in what AUTH
 * MACs: 65535 reads back as itself, and ids that share their low 16 bits
 * (65536 and 0) still make different MAC inputs.
 */
static void
test_high_node_ids(void **state)
{
	static const uint32_t ids[] = { 0, 64, 65, 1000, 65534, 65535,
	    65536, UINT32_MAX };
	struct rsm_peer_hello h;
	uint8_t nonce[RSM_PEER_NONCE_LEN];
	uint8_t x[RSM_PEER_AUTH_INPUT_LEN], y[RSM_PEER_AUTH_INPUT_LEN];
	size_t i, n;

	(void)state;
	memset(nonce, 7, sizeof(nonce));
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		rsm_peer_hello_fill(&h, ids[i], 99, nonce);
		n = rsm_peer_encode(f, RSM_PEER_HELLO, 0, 0, 0, &h, sizeof(h));
		/* The frame check leaves the id to the configured peers. */
		assert_int_equal(rsm_peer_check(f, n), 0);
		assert_int_equal(rsm_peer_get32(f + HDR +
		    offsetof(struct rsm_peer_hello, node_id)), ids[i]);
	}
	rsm_peer_auth_input(x, nonce, nonce, 1000, 65535);
	rsm_peer_auth_input(y, nonce, nonce, 65535, 1000);
	assert_memory_not_equal(x, y, sizeof(x));
	rsm_peer_auth_input(y, nonce, nonce, 1000, 65534);
	assert_memory_not_equal(x, y, sizeof(x));
	rsm_peer_auth_input(x, nonce, nonce, 1000, 0);
	rsm_peer_auth_input(y, nonce, nonce, 1000, 65536);
	assert_memory_not_equal(x, y, sizeof(x));
}

/* ---- remote admin (rsm_admin.h) ---- */

/*
 * Only the read-only requests: a forged call of any other type, a write
 * above all, is refused by the asked node whatever the asker checked.
 */
static void
test_admin_allow_list(void **state)
{
	static const uint32_t allowed[] = { RSM_MSG_STATUS,
	    RSM_MSG_LIST_SEGMENTS, RSM_MSG_LIST_CTLRS, RSM_MSG_NODES,
	    RSM_MSG_STATS };
	uint32_t t, i, n = 0;

	(void)state;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		assert_true(rsm_admin_remote_allowed(allowed[i]));
	for (t = 0; t < 70000; t++)
		n += rsm_admin_remote_allowed(t) != 0;
	assert_int_equal(n, sizeof(allowed) / sizeof(allowed[0]));
	assert_false(rsm_admin_remote_allowed(RSM_MSG_DSEG_CREATE));
	assert_false(rsm_admin_remote_allowed(RSM_MSG_DSEG_REMOVE));
	assert_false(rsm_admin_remote_allowed(RSM_MSG_DSEG_WRITE));
	assert_false(rsm_admin_remote_allowed(RSM_MSG_DSEG_READ));
	assert_false(rsm_admin_remote_allowed(RSM_MSG_PING));
	assert_false(rsm_admin_remote_allowed(RSM_MSG_HELLO));
	assert_false(rsm_admin_remote_allowed(RSM_MSG_ADMIN_REMOTE));
	assert_false(rsm_admin_remote_allowed(RSM_MSG_EXPORT_CREATE));
	/* The wire's 32 bits never alias a 16-bit type. */
	assert_false(rsm_admin_remote_allowed(0x10000u | RSM_MSG_STATUS));
}

static void
test_admin_request(void **state)
{
	struct rsm_adm_req q, d;
	uint8_t b[RSM_ADM_REQ_MAX + 1];

	(void)state;
	memset(&q, 0, sizeof(q));
	q.type = RSM_MSG_NODES;
	assert_int_equal(rsm_adm_req_enc(b, &q), RSM_ADM_REQ_LEN);
	assert_int_equal(rsm_adm_req_dec(b, RSM_ADM_REQ_LEN, &d), 0);
	assert_int_equal(d.type, RSM_MSG_NODES);
	assert_int_equal(d.first, 0);
	/* Exact size only. */
	assert_int_equal(rsm_adm_req_dec(b, RSM_ADM_REQ_LEN - 1, &d), -1);
	assert_int_equal(rsm_adm_req_dec(b, RSM_ADM_REQ_LEN + 1, &d), -1);
	assert_int_equal(rsm_adm_req_dec(b, 0, &d), -1);
	/* A later page names its snapshot; the first none. */
	q.first = 33;
	q.snap = 7;
	rsm_adm_req_enc(b, &q);
	assert_int_equal(rsm_adm_req_dec(b, RSM_ADM_REQ_LEN, &d), 0);
	assert_int_equal(d.first, 33);
	assert_true(d.snap == 7);
	q.snap = 0;
	rsm_adm_req_enc(b, &q);
	assert_int_equal(rsm_adm_req_dec(b, RSM_ADM_REQ_LEN, &d), -1);
	q.first = 0;
	q.snap = 7;
	rsm_adm_req_enc(b, &q);
	assert_int_equal(rsm_adm_req_dec(b, RSM_ADM_REQ_LEN, &d), -1);
	q.first = RSM_ADMIN_PARTS_MAX;
	rsm_adm_req_enc(b, &q);
	assert_int_equal(rsm_adm_req_dec(b, RSM_ADM_REQ_LEN, &d), -1);
}

/*
 * A first page may carry the request's argument: after the order field
 * and its length, exactly; an empty one is spelt as none, a later page
 * carries none.  What the argument says is the asked node's to judge.
 */
static void
test_admin_request_arg(void **state)
{
	struct rsm_msg_stats_req sq = { RSM_STATSF_SEGID, 0x600002 };
	struct rsm_adm_req q, d;
	uint8_t b[RSM_ADM_REQ_MAX + 8];
	uint32_t order = RSM_ADMIN_ORDER;
	size_t n, full = RSM_ADM_REQ_LEN + RSM_ADM_ARG_HDR + sizeof(sq);

	(void)state;
	memset(&q, 0, sizeof(q));
	q.type = RSM_MSG_STATS;
	q.arglen = sizeof(sq);
	memcpy(q.arg, &sq, sizeof(sq));
	n = rsm_adm_req_enc(b, &q);
	assert_int_equal(n, full);
	assert_int_equal(rsm_adm_req_dec(b, n, &d), 0);
	assert_int_equal(d.type, RSM_MSG_STATS);
	assert_int_equal(d.arglen, sizeof(sq));
	assert_int_equal(d.order, order);
	assert_memory_equal(d.arg, &sq, sizeof(sq));
	assert_int_equal(rsm_admin_arg_check(d.type, d.arg, d.arglen), 0);
	/* The length says exactly what follows. */
	assert_int_equal(rsm_adm_req_dec(b, n - 1, &d), -1);
	assert_int_equal(rsm_adm_req_dec(b, n + 1, &d), -1);
	rsm_peer_put32(b + 20, sizeof(sq) + 1);
	assert_int_equal(rsm_adm_req_dec(b, n, &d), -1);
	rsm_peer_put32(b + 20, UINT32_MAX);
	assert_int_equal(rsm_adm_req_dec(b, n, &d), -1);
	/* An empty argument has one spelling: the short body. */
	rsm_peer_put32(b + 20, 0);
	assert_int_equal(rsm_adm_req_dec(b, RSM_ADM_REQ_LEN +
	    RSM_ADM_ARG_HDR, &d), -1);
	/* Between the two sizes: no argument header whole. */
	assert_int_equal(rsm_adm_req_dec(b, RSM_ADM_REQ_LEN + 4, &d), -1);
	/* The largest argument, and one byte more than any body. */
	q.arglen = RSM_ADM_ARG_MAX;
	n = rsm_adm_req_enc(b, &q);
	assert_int_equal(n, RSM_ADM_REQ_MAX);
	assert_int_equal(rsm_adm_req_dec(b, n, &d), 0);
	assert_int_equal(rsm_adm_req_dec(b, n + 1, &d), -1);
	/* Only a first page carries one. */
	q.arglen = sizeof(sq);
	q.first = 3;
	q.snap = 9;
	n = rsm_adm_req_enc(b, &q);
	assert_int_equal(rsm_adm_req_dec(b, n, &d), -1);
	/* The other order is decoded, for the asked node to refuse. */
	q.first = 0;
	q.snap = 0;
	n = rsm_adm_req_enc(b, &q);
	order = __builtin_bswap32(order);
	memcpy(b + 16, &order, 4);
	assert_int_equal(rsm_adm_req_dec(b, n, &d), 0);
	assert_int_equal(d.order, order);
	/* The argument is checked as the request of its type would be. */
	assert_int_equal(rsm_admin_arg_check(RSM_MSG_STATS, &sq,
	    sizeof(sq) - 1), RSM_MSGCHK_SIZE);
	assert_int_equal(rsm_admin_arg_check(RSM_MSG_STATS, NULL, 0),
	    RSM_MSGCHK_SIZE);
	sq.flags = 0x80;
	assert_int_equal(rsm_admin_arg_check(RSM_MSG_STATS, &sq,
	    sizeof(sq)), RSM_MSGCHK_FIELD);
	sq.flags = 0;
	assert_int_equal(rsm_admin_arg_check(RSM_MSG_STATS, &sq,
	    sizeof(sq)), RSM_MSGCHK_FIELD);
	sq.segid = 0;
	assert_int_equal(rsm_admin_arg_check(RSM_MSG_STATS, &sq,
	    sizeof(sq)), 0);
	assert_int_equal(rsm_admin_arg_check(RSM_MSG_STATUS, NULL, 0), 0);
	assert_int_equal(rsm_admin_arg_check(RSM_MSG_STATUS, &sq,
	    sizeof(sq)), RSM_MSGCHK_SIZE);
	assert_int_equal(rsm_admin_arg_check(RSM_MSG_DSEG_REMOVE, &sq,
	    sizeof(sq)), RSM_MSGCHK_TYPE);
	assert_int_equal(rsm_admin_arg_check(RSM_MSG_STATS, b,
	    RSM_ADM_ARG_MAX + 1), RSM_MSGCHK_SIZE);
}

/* A page of n parts of plen bytes each (byte k of part i is i + k). */
static size_t
admin_page(uint8_t *b, uint32_t type, uint32_t first, uint32_t total,
    uint64_t snap, uint32_t n, size_t plen)
{
	struct rsm_adm_page pg;
	uint8_t part[RSM_ADMIN_PART_MAX];
	size_t used, k;
	uint32_t i;

	memset(&pg, 0, sizeof(pg));
	pg.type = type;
	pg.first = first;
	pg.total = total;
	pg.snap = snap;
	pg.instance = 99;
	rsm_adm_page_start(b, &used, &pg);
	for (i = 0; i < n; i++) {
		for (k = 0; k < plen; k++)
			part[k] = (uint8_t)(i + k);
		if (rsm_adm_page_add(b, &used, part, plen) != 0)
			break;
	}
	return used;
}

static void
test_admin_pages(void **state)
{
	static struct rsm_adm_page pg;
	uint8_t b[RSM_PEER_BODY_MAX + 8];
	size_t n, per = sizeof(struct rsm_msg_seginfo);
	uint32_t fit;

	(void)state;
	/* A whole answer in one page: no snapshot. */
	n = admin_page(b, RSM_MSG_STATUS, 0, 1, 0, 1,
	    sizeof(struct rsm_msg_status));
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), 0);
	assert_int_equal(pg.nparts, 1);
	assert_int_equal(pg.plen[0], sizeof(struct rsm_msg_status));
	assert_true(pg.part[0] == b + RSM_ADM_PAGE_HDR + 4);
	assert_true(pg.instance == 99);
	assert_int_equal(pg.order, RSM_ADMIN_ORDER);
	/* A page holds what fits, and no more. */
	fit = (uint32_t)((RSM_PEER_BODY_MAX - RSM_ADM_PAGE_HDR) / (4 + per));
	n = admin_page(b, RSM_MSG_LIST_SEGMENTS, 0, 1000, 5, 1000, per);
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), 0);
	assert_int_equal(pg.nparts, fit);
	assert_true(n <= RSM_PEER_BODY_MAX);
	assert_int_equal(pg.part[fit - 1][0], (uint8_t)(fit - 1));
	/* The largest part fits an empty page, one byte more does not. */
	n = admin_page(b, RSM_MSG_NODES, 0, 1, 0, 1, RSM_ADMIN_PART_MAX);
	assert_int_equal(n, RSM_PEER_BODY_MAX);
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), 0);
	{
		size_t used;
		uint8_t big[RSM_ADMIN_PART_MAX + 1];

		rsm_adm_page_start(b, &used, &pg);
		assert_int_equal(rsm_adm_page_add(b, &used, big,
		    sizeof(big)), -1);
	}
	/* Refused: a type not allowed, no parts, counts past the total. */
	n = admin_page(b, RSM_MSG_DSEG_READ, 0, 1, 0, 1, 8);
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), -1);
	n = admin_page(b, RSM_MSG_STATUS, 0, 1, 0, 0, 8);
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), -1);
	n = admin_page(b, RSM_MSG_NODES, 0, 2, 0, 3, 8);
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), -1);
	n = admin_page(b, RSM_MSG_NODES, 2, 3, 4, 2, 8);
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), -1);
	n = admin_page(b, RSM_MSG_NODES, 0, RSM_ADMIN_PARTS_MAX + 1, 4, 2, 8);
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), -1);
	/* Part of an answer but no snapshot to fetch the rest from. */
	n = admin_page(b, RSM_MSG_NODES, 0, 3, 0, 2, 8);
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), -1);
	n = admin_page(b, RSM_MSG_NODES, 1, 3, 0, 2, 8);
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), -1);
	/* ... with one it is fine, a later page too. */
	n = admin_page(b, RSM_MSG_NODES, 1, 3, 4, 2, 8);
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), 0);
	/* Padding must be zero. */
	b[20] = 1;
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), -1);
	b[20] = 0;
	/* Bytes beyond the parts, or a part past the end. */
	assert_int_equal(rsm_adm_page_dec(b, n + 1, &pg), -1);
	assert_int_equal(rsm_adm_page_dec(b, n - 1, &pg), -1);
	rsm_peer_put32(b + RSM_ADM_PAGE_HDR, 9);
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), -1);
	rsm_peer_put32(b + RSM_ADM_PAGE_HDR, UINT32_MAX);
	assert_int_equal(rsm_adm_page_dec(b, n, &pg), -1);
	/* Shorter than a header, longer than a body. */
	assert_int_equal(rsm_adm_page_dec(b, RSM_ADM_PAGE_HDR - 1, &pg), -1);
	assert_int_equal(rsm_adm_page_dec(b, RSM_PEER_BODY_MAX + 1, &pg), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_frames),
		cmocka_unit_test(test_header_faults),
		cmocka_unit_test(test_payload_faults),
		cmocka_unit_test(test_auth_input),
		cmocka_unit_test(test_high_node_ids),
		cmocka_unit_test(test_admin_allow_list),
		cmocka_unit_test(test_admin_request),
		cmocka_unit_test(test_admin_request_arg),
		cmocka_unit_test(test_admin_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
