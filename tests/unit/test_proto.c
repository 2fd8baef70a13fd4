/*
 * test_proto.c - the wire codec: rsm_msg_check() accepts exactly the
 * well-formed messages of each direction, and rsm_msg_send/rsm_msg_recv
 * and their batch forms keep packets and descriptors intact over
 * SOCK_SEQPACKET.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "rsm_data.h"
#include "rsm_proto.h"
#include "rsmapi.h"

#define HDR	sizeof(struct rsm_msg_hdr)

/* Every type the protocol defines, and whether it is a notification. */
static const struct {
	uint16_t type;
	int notification;
} all_types[] = {
#define X(name, val, rq, rp, fdq, fdp, dir) { val, #dir[0] == 'N' },
	RSM_MSG_TYPES(X)
#undef X
};
#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))

union pkt {
	struct rsm_msg_hdr h;
	unsigned char b[RSM_MSG_MAX + 64];
};

/* Build a message of `type` with `plen` payload bytes (zeroed, names set). */
static size_t
build(union pkt *p, uint16_t type, uint8_t flags, uint32_t status,
    uint64_t id, size_t plen)
{
	memset(p, 0, sizeof(*p));
	rsm_msg_hdr_init(&p->h, type, flags, status, id, plen);
	/* Name fields are the first member of both ctlr payloads. */
	if ((type == RSM_MSG_CTLR_QUERY || type == RSM_MSG_LIST_CTLRS) &&
	    plen >= 9)
		memcpy(p->b + HDR, "loopback", 9);
	/* A topology reply of the fixed size: the stream's closing END. */
	if (type == RSM_MSG_TOPOLOGY && (flags & RSM_MSGF_REPLY) &&
	    plen >= sizeof(struct rsm_msg_topology)) {
		uint32_t kind = RSM_TOPO_END;

		memcpy(p->b + HDR + offsetof(struct rsm_msg_topology, kind),
		    &kind, sizeof(kind));
	}
	/* A STATS reply of the fixed size: the stream's closing END. */
	if (type == RSM_MSG_STATS && (flags & RSM_MSGF_REPLY) &&
	    plen >= sizeof(struct rsm_msg_stats)) {
		uint32_t kind = RSM_STATS_END;

		memcpy(p->b + HDR + offsetof(struct rsm_msg_stats, kind),
		    &kind, sizeof(kind));
	}
	/* An event of the monitor names a kind. */
	if (type == RSM_MSG_MON_EVENT &&
	    plen >= sizeof(struct rsm_msg_mon_event)) {
		uint32_t kind = RSM_MON_PUBLISH;

		memcpy(p->b + HDR + offsetof(struct rsm_msg_mon_event, kind),
		    &kind, sizeof(kind));
	}
	/* A remote answer wraps a reply of an allowed type: STATUS here. */
	if (type == RSM_MSG_ADMIN_REMOTE && (flags & RSM_MSGF_REPLY) &&
	    plen >= sizeof(struct rsm_msg_admin_reply)) {
		uint32_t wrapped = RSM_MSG_STATUS;

		memcpy(p->b + HDR + offsetof(struct rsm_msg_admin_reply, type),
		    &wrapped, sizeof(wrapped));
	}
	/*
	 * Daemon-segment reads and writes move at least a byte: a write's
	 * count is what follows its fixed part, a read asks for one.
	 */
	if ((type == RSM_MSG_DSEG_READ || type == RSM_MSG_DSEG_WRITE) &&
	    !(flags & RSM_MSGF_REPLY) &&
	    plen >= sizeof(struct rsm_msg_dseg_io)) {
		uint32_t len = type == RSM_MSG_DSEG_READ ? 1 :
		    (uint32_t)(plen - sizeof(struct rsm_msg_dseg_io));

		memcpy(p->b + HDR + offsetof(struct rsm_msg_dseg_io, len),
		    &len, sizeof(len));
	}
	return HDR + plen;
}

static size_t
build_request(union pkt *p, uint16_t type)
{
	ssize_t sz = rsm_msg_req_size(type);

	assert_true(sz >= 0);
	/* A write carries one byte at least. */
	if (type == RSM_MSG_DSEG_WRITE)
		sz++;
	return build(p, type, 0, 0, 7, (size_t)sz);
}

static size_t
build_reply(union pkt *p, uint16_t type)
{
	ssize_t sz = rsm_msg_reply_size(type);

	assert_true(sz >= 0);
	/* The wrapper, and the STATUS reply build() names in it. */
	if (type == RSM_MSG_ADMIN_REMOTE)
		sz += (ssize_t)sizeof(struct rsm_msg_status);
	return build(p, type, RSM_MSGF_REPLY, 0, 7, (size_t)sz);
}

static size_t
build_publish(union pkt *p, uint16_t type, uint32_t acl_len,
    uint32_t entries, int reply_flag)
{
	struct rsm_msg_publish pub;
	size_t plen = sizeof(pub) + (size_t)entries * sizeof(struct rsm_wire_ace);

	build(p, type, reply_flag ? RSM_MSGF_REPLY : 0, 0, 9, plen);
	memset(&pub, 0, sizeof(pub));
	pub.handle = 1;
	pub.acl_len = acl_len;
	memcpy(p->b + HDR, &pub, sizeof(pub));
	return HDR + plen;
}

/* ---- accepted ---- */

static void
test_requests_accepted(void **state)
{
	union pkt p;

	(void)state;
	for (size_t i = 0; i < NTYPES; i++) {
		uint16_t t = all_types[i].type;
		size_t n;
		int fds;

		if (all_types[i].notification)
			continue;
		n = build_request(&p, t);
		fds = rsm_msg_wants_fd(t, 0) == 1 ? 1 : 0;
		if (rsm_msg_check(p.b, n, fds, 0) != 0)
			fail_msg("request %s refused: %s", rsm_msg_name(t),
			    rsm_msgchk_str(rsm_msg_check(p.b, n, fds, 0)));
		if (rsm_msg_wants_fd(t, 0) == 2)
			assert_int_equal(rsm_msg_check(p.b, n, 1, 0), 0);
	}
}

static void
test_publish_lists_accepted(void **state)
{
	union pkt p;
	uint32_t lens[] = { 0, 1, 2, 63, 64 };

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t n = build_publish(&p, RSM_MSG_PUBLISH, lens[i], lens[i],
		    0);

		assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
		n = build_publish(&p, RSM_MSG_REPUBLISH, lens[i], lens[i], 0);
		assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	}
}

static void
test_replies_accepted(void **state)
{
	union pkt p;

	(void)state;
	for (size_t i = 0; i < NTYPES; i++) {
		uint16_t t = all_types[i].type;
		int want = rsm_msg_wants_fd(t, 1);
		size_t n;

		if (all_types[i].notification)
			continue;
		n = build_reply(&p, t);
		if (want == 1)
			assert_int_equal(rsm_msg_check(p.b, n, 1, 1), 0);
		else
			assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
		if (want == 2)
			assert_int_equal(rsm_msg_check(p.b, n, 1, 1), 0);
		/* Every type may fail: a bare header with an RSMERR status. */
		n = build(&p, t, RSM_MSGF_REPLY, RSMERR_PERM_DENIED, 7, 0);
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	}
	/* List replies may be flagged MORE. */
	build_reply(&p, RSM_MSG_LIST_SEGMENTS);
	p.h.flags |= RSM_MSGF_MORE;
	assert_int_equal(rsm_msg_check(p.b, p.h.len, 0, 1), 0);
	build_reply(&p, RSM_MSG_LIST_CTLRS);
	p.h.flags |= RSM_MSGF_MORE;
	assert_int_equal(rsm_msg_check(p.b, p.h.len, 0, 1), 0);
	build_reply(&p, RSM_MSG_NODES);
	p.h.flags |= RSM_MSGF_MORE;
	assert_int_equal(rsm_msg_check(p.b, p.h.len, 0, 1), 0);
}

static void
test_cluster_messages(void **state)
{
	union pkt p;
	size_t n;

	(void)state;
	assert_int_equal(rsm_msg_req_size(RSM_MSG_NODES), 0);
	assert_int_equal(rsm_msg_reply_size(RSM_MSG_NODES),
	    (ssize_t)sizeof(struct rsm_msg_nodeinfo));
	assert_int_equal(rsm_msg_req_size(RSM_MSG_PING),
	    (ssize_t)sizeof(struct rsm_msg_ping));
	assert_int_equal(rsm_msg_reply_size(RSM_MSG_PING),
	    (ssize_t)sizeof(struct rsm_msg_ping_reply));
	assert_string_equal(rsm_msg_name(RSM_MSG_NODES), "NODES");
	assert_string_equal(rsm_msg_name(RSM_MSG_PING), "PING");
	/* A node entry's address must end inside its array. */
	n = build_reply(&p, RSM_MSG_NODES);
	memset(p.b + HDR + offsetof(struct rsm_msg_nodeinfo, addr), 'x',
	    RSM_NODE_ADDR_MAX);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	p.b[HDR + offsetof(struct rsm_msg_nodeinfo, addr) +
	    RSM_NODE_ADDR_MAX - 1] = '\0';
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	/* PING may not be flagged MORE, and a PING request is exact. */
	n = build_reply(&p, RSM_MSG_PING);
	p.h.flags |= RSM_MSGF_MORE;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FLAGS);
	n = build(&p, RSM_MSG_PING, 0, 0, 5, sizeof(struct rsm_msg_ping) + 4);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	/* An unreachable node: a bare error reply. */
	n = build(&p, RSM_MSG_PING, RSM_MSGF_REPLY,
	    RSMERR_REMOTE_NODE_UNREACHABLE, 5, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
}

static void
test_notifications_accepted(void **state)
{
	union pkt p;

	(void)state;
	for (size_t i = 0; i < NTYPES; i++) {
		uint16_t t = all_types[i].type;
		size_t n;

		if (!all_types[i].notification)
			continue;
		n = build(&p, t, 0, 0, 0, (size_t)rsm_msg_req_size(t));
		assert_int_equal(rsm_msg_check(p.b, n,
		    rsm_msg_wants_fd(t, 0) == 1 ? 1 : 0, 1), 0);
	}
}

/* ---- refused: header ---- */

static void
test_short_and_header_faults(void **state)
{
	union pkt p;
	size_t n;

	(void)state;
	n = build_request(&p, RSM_MSG_HELLO);
	assert_int_equal(rsm_msg_check(NULL, n, 0, 0), RSM_MSGCHK_SHORT);
	for (size_t k = 0; k < HDR; k++)
		assert_int_equal(rsm_msg_check(p.b, k, 0, 0), RSM_MSGCHK_SHORT);

	p.h.magic = 0x5352;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_MAGIC);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_MAGIC);

	n = build_request(&p, RSM_MSG_HELLO);
	p.h.version = 0;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_VERSION);
	p.h.version = RSM_PROTO_VERSION - 1;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_VERSION);
	p.h.version = RSM_PROTO_VERSION + 1;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_VERSION);

	/* len field disagreeing with the packet, both ways. */
	n = build_request(&p, RSM_MSG_HELLO);
	p.h.len = (uint32_t)n + 1;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_LEN);
	p.h.len = (uint32_t)n - 1;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_LEN);
	p.h.len = 0;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_LEN);

	/* Larger than any packet may be, even if len agrees. */
	build(&p, RSM_MSG_HELLO, 0, 0, 1, RSM_MSG_MAX + 8 - HDR);
	assert_int_equal(rsm_msg_check(p.b, RSM_MSG_MAX + 8, 0, 0),
	    RSM_MSGCHK_LEN);

	/* The reserved field must be zero. */
	n = build_request(&p, RSM_MSG_HELLO);
	p.h.reserved = 1;
	assert_int_not_equal(rsm_msg_check(p.b, n, 0, 0), 0);
}

static void
test_unknown_types(void **state)
{
	uint16_t bad[] = { 0, 16, 17, 30, 31, 36, 37, 100, 0x7fff, 0xffff };
	union pkt p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = build(&p, bad[i], 0, 0, 1, 8);

		assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_TYPE);
		n = build(&p, bad[i], RSM_MSGF_REPLY, 0, 1, 8);
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_TYPE);
		assert_int_equal(rsm_msg_req_size(bad[i]), -1);
		assert_int_equal(rsm_msg_reply_size(bad[i]), -1);
		assert_string_equal(rsm_msg_name(bad[i]), "UNKNOWN");
	}
}

/* ---- refused: direction and flags ---- */

static void
test_request_direction_faults(void **state)
{
	union pkt p;
	size_t n;

	(void)state;
	for (size_t i = 0; i < NTYPES; i++) {
		uint16_t t = all_types[i].type;
		int fds = rsm_msg_wants_fd(t, 0) == 1 ? 1 : 0;

		n = build_request(&p, t);
		if (all_types[i].notification) {
			/* Notifications never travel to the daemon. */
			assert_int_equal(rsm_msg_check(p.b, n, fds, 0),
			    RSM_MSGCHK_FLAGS);
			continue;
		}
		p.h.flags = RSM_MSGF_REPLY;
		assert_int_equal(rsm_msg_check(p.b, n, fds, 0),
		    RSM_MSGCHK_FLAGS);
		p.h.flags = RSM_MSGF_MORE;
		assert_int_equal(rsm_msg_check(p.b, n, fds, 0),
		    RSM_MSGCHK_FLAGS);
		p.h.flags = 0x80;
		assert_int_equal(rsm_msg_check(p.b, n, fds, 0),
		    RSM_MSGCHK_FLAGS);
		/* Only a disconnect may ask for no answer. */
		p.h.flags = RSM_MSGF_POSTED;
		if (t == RSM_MSG_IMPORT_DISCONNECT)
			assert_int_equal(rsm_msg_check(p.b, n, fds, 0), 0);
		else
			assert_int_equal(rsm_msg_check(p.b, n, fds, 0),
			    RSM_MSGCHK_FLAGS);
		p.h.flags = RSM_MSGF_POSTED | RSM_MSGF_REPLY;
		assert_int_equal(rsm_msg_check(p.b, n, fds, 0),
		    RSM_MSGCHK_FLAGS);
		p.h.flags = 0;
		p.h.id = 0;
		assert_int_equal(rsm_msg_check(p.b, n, fds, 0), RSM_MSGCHK_ID);
		p.h.id = 7;
		p.h.status = RSMERR_BAD_ADDR;
		assert_int_not_equal(rsm_msg_check(p.b, n, fds, 0), 0);
	}
}

static void
test_reply_direction_faults(void **state)
{
	union pkt p;
	size_t n;

	(void)state;
	for (size_t i = 0; i < NTYPES; i++) {
		uint16_t t = all_types[i].type;
		int fds = rsm_msg_wants_fd(t, 1) == 1 ? 1 : 0;

		if (all_types[i].notification) {
			int nf = rsm_msg_wants_fd(t, 0) == 1 ? 1 : 0;

			n = build(&p, t, RSM_MSGF_REPLY, 0, 0,
			    (size_t)rsm_msg_req_size(t));
			assert_int_equal(rsm_msg_check(p.b, n, nf, 1),
			    RSM_MSGCHK_FLAGS);
			p.h.flags = 0;
			p.h.id = 3;
			assert_int_equal(rsm_msg_check(p.b, n, nf, 1),
			    RSM_MSGCHK_FLAGS);
			p.h.id = 0;
			p.h.status = 1;
			assert_int_equal(rsm_msg_check(p.b, n, nf, 1),
			    RSM_MSGCHK_FLAGS);
			p.h.status = 0;
			p.h.flags = RSM_MSGF_MORE;
			assert_int_equal(rsm_msg_check(p.b, n, nf, 1),
			    RSM_MSGCHK_FLAGS);
			continue;
		}
		n = build_reply(&p, t);
		/* A reply must say it is one. */
		p.h.flags = 0;
		assert_int_equal(rsm_msg_check(p.b, n, fds, 1),
		    RSM_MSGCHK_FLAGS);
		/* Posted is a request's word: no reply carries it. */
		p.h.flags = RSM_MSGF_REPLY | RSM_MSGF_POSTED;
		assert_int_equal(rsm_msg_check(p.b, n, fds, 1),
		    RSM_MSGCHK_FLAGS);
		p.h.flags = RSM_MSGF_REPLY;
		p.h.id = 0;
		assert_int_equal(rsm_msg_check(p.b, n, fds, 1), RSM_MSGCHK_ID);
		p.h.id = 7;
		if (t == RSM_MSG_TOPOLOGY || t == RSM_MSG_STATS) {
			/* A stream, but its END is the last: never MORE. */
			p.h.flags = RSM_MSGF_REPLY | RSM_MSGF_MORE;
			assert_int_equal(rsm_msg_check(p.b, n, fds, 1),
			    RSM_MSGCHK_FIELD);
		} else if (t != RSM_MSG_LIST_SEGMENTS &&
		    t != RSM_MSG_LIST_CTLRS && t != RSM_MSG_NODES) {
			p.h.flags = RSM_MSGF_REPLY | RSM_MSGF_MORE;
			assert_int_equal(rsm_msg_check(p.b, n, fds, 1),
			    RSM_MSGCHK_FLAGS);
		}
		/* An error reply carries neither payload nor fd. */
		n = build(&p, t, RSM_MSGF_REPLY, RSMERR_BAD_SEG_HNDL, 7, 8);
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_SIZE);
		n = build(&p, t, RSM_MSGF_REPLY, RSMERR_BAD_SEG_HNDL, 7, 0);
		assert_int_equal(rsm_msg_check(p.b, n, 1, 1), RSM_MSGCHK_FDS);
		/* ... and ends its request, stream or not. */
		p.h.flags = RSM_MSGF_REPLY | RSM_MSGF_MORE;
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FLAGS);
	}
}

/* ---- refused: sizes and fds ---- */

static void
test_wrong_payload_sizes(void **state)
{
	long deltas[] = { -8, -1, 1, 8 };
	union pkt p;

	(void)state;
	for (size_t i = 0; i < NTYPES; i++) {
		uint16_t t = all_types[i].type;

		for (size_t k = 0; k < sizeof(deltas) / sizeof(deltas[0]);
		    k++) {
			ssize_t rq = rsm_msg_req_size(t);
			ssize_t rp = rsm_msg_reply_size(t);
			int from = all_types[i].notification;
			int fdq = rsm_msg_wants_fd(t, 0) == 1 ? 1 : 0;
			int fdp = rsm_msg_wants_fd(t, 1) == 1 ? 1 : 0;
			size_t n;

			if (t == RSM_MSG_PUBLISH || t == RSM_MSG_REPUBLISH ||
			    t == RSM_MSG_DSEG_WRITE)
				continue;	/* counted: below */
			if (rq + deltas[k] >= 0) {
				n = build(&p, t, 0, 0, from ? 0 : 5,
				    (size_t)(rq + deltas[k]));
				if (rsm_msg_check(p.b, n, fdq, from) !=
				    RSM_MSGCHK_SIZE)
					fail_msg("%s request of %zd bytes: %s",
					    rsm_msg_name(t), rq + deltas[k],
					    rsm_msgchk_str(rsm_msg_check(p.b,
					    n, fdq, from)));
			}
			if (!from && rp + deltas[k] >= 0) {
				n = build(&p, t, RSM_MSGF_REPLY, 0, 5,
				    (size_t)(rp + deltas[k]));
				if (rsm_msg_check(p.b, n, fdp, 1) !=
				    RSM_MSGCHK_SIZE)
					fail_msg("%s reply of %zd bytes: %s",
					    rsm_msg_name(t), rp + deltas[k],
					    rsm_msgchk_str(rsm_msg_check(p.b,
					    n, fdp, 1)));
			}
		}
	}
}

static void
test_publish_list_faults(void **state)
{
	union pkt p;
	size_t n;

	(void)state;
	/* Count says 2, one entry follows; count says 1, two follow. */
	n = build_publish(&p, RSM_MSG_PUBLISH, 2, 1, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	n = build_publish(&p, RSM_MSG_PUBLISH, 1, 2, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	n = build_publish(&p, RSM_MSG_REPUBLISH, 0, 1, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	/* More than 64 entries, even with the size to match. */
	n = build_publish(&p, RSM_MSG_PUBLISH, 65, 65, 0);
	assert_int_not_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	n = build_publish(&p, RSM_MSG_REPUBLISH, 65, 65, 0);
	assert_int_not_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	n = build_publish(&p, RSM_MSG_PUBLISH, 0xffffffffu, 1, 0);
	assert_int_not_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	n = build_publish(&p, RSM_MSG_PUBLISH, 0x20000000u, 0, 0);
	assert_int_not_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	/* Shorter than the fixed part. */
	n = build(&p, RSM_MSG_PUBLISH, 0, 0, 9, 8);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	n = build(&p, RSM_MSG_PUBLISH, 0, 0, 9, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	/* A publish list with an fd. */
	n = build_publish(&p, RSM_MSG_PUBLISH, 1, 1, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 1, 0), RSM_MSGCHK_FDS);
}

/* Storing v in the field keeps it whole. */
#define HOLDS(type, field, v) do {					\
	type m_;							\
	memset(&m_, 0, sizeof(m_));					\
	m_.field = (v);							\
	assert_true(m_.field == (v));					\
} while (0)

/*
 * Node ids 0..65535: every node field of the protocol holds the largest,
 * and the message check leaves ids to the daemon (an access list naming
 * 65536 is refused there, as RSMERR_BAD_ACL, not as a malformed message).
 */
static void
test_node_id_range(void **state)
{
	struct rsm_msg_connect c;
	struct rsm_wire_ace ace[2] = { { RSM_NODE_ID_MAX, 0644 },
	    { RSM_NODE_ID_MAX + 1, 0600 } };
	union pkt p;
	size_t n;

	(void)state;
	assert_int_equal(RSM_NODE_ID_MAX, 65535);
	HOLDS(struct rsm_wire_ace, node, RSM_NODE_ID_MAX);
	HOLDS(struct rsm_msg_connect, node, RSM_NODE_ID_MAX);
	HOLDS(struct rsm_msg_hello_reply, node_id, RSM_NODE_ID_MAX);
	HOLDS(struct rsm_msg_topology, node_id, RSM_NODE_ID_MAX);
	HOLDS(struct rsm_wire_remote, node, RSM_NODE_ID_MAX);
	HOLDS(struct rsm_msg_status, node_id, RSM_NODE_ID_MAX);
	HOLDS(struct rsm_msg_nodeinfo, node, RSM_NODE_ID_MAX);
	HOLDS(struct rsm_msg_ping, node, RSM_NODE_ID_MAX);
	HOLDS(struct rsm_msg_ping_reply, node, RSM_NODE_ID_MAX);
	HOLDS(struct rsm_msg_seginfo, importer_node[0], RSM_NODE_ID_MAX);
	/* And the public type the library copies them from and into. */
	HOLDS(rsmapi_access_entry_t, ae_node, RSM_NODE_ID_MAX);

	n = build_request(&p, RSM_MSG_IMPORT_CONNECT);
	memset(&c, 0, sizeof(c));
	c.node = RSM_NODE_ID_MAX;
	c.perm = RSM_PERM_RDWR;
	memcpy(p.b + HDR, &c, sizeof(c));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	for (size_t i = 0; i < 2; i++) {
		n = build_publish(&p, RSM_MSG_PUBLISH, 1, 1, 0);
		memcpy(p.b + HDR + sizeof(struct rsm_msg_publish), &ace[i],
		    sizeof(ace[i]));
		assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	}
}

static void
test_fd_counts(void **state)
{
	union pkt p;
	size_t n;

	(void)state;
	for (size_t i = 0; i < NTYPES; i++) {
		uint16_t t = all_types[i].type;
		int want = rsm_msg_wants_fd(t, 0);
		int from = all_types[i].notification;

		n = build(&p, t, 0, 0, from ? 0 : 5,
		    (size_t)rsm_msg_req_size(t));
		if (t == RSM_MSG_CTLR_QUERY)
			memcpy(p.b + HDR, "loopback", 9);
		if (t == RSM_MSG_PUBLISH || t == RSM_MSG_REPUBLISH)
			n = build_publish(&p, t, 0, 0, 0);
		if (t == RSM_MSG_DSEG_WRITE)
			n = build_request(&p, t);
		if (want == 1)
			assert_int_equal(rsm_msg_check(p.b, n, 0, from),
			    RSM_MSGCHK_FDS);
		if (want == 0)
			assert_int_equal(rsm_msg_check(p.b, n, 1, from),
			    RSM_MSGCHK_FDS);
		assert_int_equal(rsm_msg_check(p.b, n, 2, from),
		    RSM_MSGCHK_FDS);
		assert_int_equal(rsm_msg_check(p.b, n, 8, from),
		    RSM_MSGCHK_FDS);
	}
	/* Replies: CONNECT may carry one fd, never two; others none. */
	n = build_reply(&p, RSM_MSG_IMPORT_CONNECT);
	assert_int_equal(rsm_msg_check(p.b, n, 2, 1), RSM_MSGCHK_FDS);
	n = build_reply(&p, RSM_MSG_EXPORT_CREATE);
	assert_int_equal(rsm_msg_check(p.b, n, 1, 1), RSM_MSGCHK_FDS);
	n = build_reply(&p, RSM_MSG_STATUS);
	assert_int_equal(rsm_msg_check(p.b, n, 1, 1), RSM_MSGCHK_FDS);
	/* REBOUND without its fd. */
	n = build(&p, RSM_MSG_REBOUND, 0, 0, 0,
	    sizeof(struct rsm_msg_rebound));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FDS);
}

static void
test_unterminated_names(void **state)
{
	union pkt p;
	size_t n;

	(void)state;
	n = build_request(&p, RSM_MSG_CTLR_QUERY);
	memset(p.b + HDR, 'A', RSM_CTLR_NAME_MAX);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	/* NUL in the last byte is fine. */
	p.b[HDR + RSM_CTLR_NAME_MAX - 1] = '\0';
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);

	n = build_reply(&p, RSM_MSG_CTLR_QUERY);
	memset(p.b + HDR, 'B', RSM_CTLR_NAME_MAX);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	n = build_reply(&p, RSM_MSG_LIST_CTLRS);
	memset(p.b + HDR, 'C', RSM_CTLR_NAME_MAX);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
}

/* ---- the TOPOLOGY stream, one message at a time ---- */

/* A topology reply: the fixed part t, then `entries` bytes of e. */
static size_t
build_topo(union pkt *p, const struct rsm_msg_topology *t, const void *e,
    size_t elen, int more)
{
	build(p, RSM_MSG_TOPOLOGY, RSM_MSGF_REPLY | (more ? RSM_MSGF_MORE : 0),
	    0, 7, sizeof(*t) + elen);
	memcpy(p->b + HDR, t, sizeof(*t));
	if (elen)
		memcpy(p->b + HDR + sizeof(*t), e, elen);
	return HDR + sizeof(*t) + elen;
}

#define TOPO_CHECK(t, e, elen, more, want)				\
	do {								\
		size_t n_ = build_topo(&p, (t), (e), (elen), (more));	\
		assert_int_equal(rsm_msg_check(p.b, n_, 0, 1), (want));	\
	} while (0)

static void
test_topology_messages(void **state)
{
	struct rsm_wire_ctlr c[RSM_TOPO_CTLR_MAX + 1];
	struct rsm_wire_remote r[RSM_TOPO_PART_MAX + 1];
	struct rsm_msg_topology t;
	union pkt p;
	size_t n;

	(void)state;
	memset(c, 0, sizeof(c));
	memset(r, 0, sizeof(r));
	strcpy(c[0].name, "shm0");
	strcpy(c[1].name, "tcp0");
	for (size_t i = 0; i <= RSM_TOPO_PART_MAX; i++) {
		r[i].node = (uint32_t)i + 1;
		r[i].local_ctlr = 1;
		strcpy(r[i].name, "tcp0");
	}

	/* HEAD: under MORE, counts in range, unused fields zero. */
	memset(&t, 0, sizeof(t));
	t.kind = RSM_TOPO_HEAD;
	t.count = 2;
	t.node_id = 3;
	t.nremote = RSM_TOPO_REMOTE_MAX;
	TOPO_CHECK(&t, c, 2 * sizeof(c[0]), 1, 0);
	TOPO_CHECK(&t, c, 2 * sizeof(c[0]), 0, RSM_MSGCHK_FIELD);
	TOPO_CHECK(&t, c, 1 * sizeof(c[0]), 1, RSM_MSGCHK_SIZE);
	TOPO_CHECK(&t, c, 3 * sizeof(c[0]), 1, RSM_MSGCHK_SIZE);
	TOPO_CHECK(&t, c, 2 * sizeof(c[0]) + 1, 1, RSM_MSGCHK_SIZE);
	t.nremote = RSM_TOPO_REMOTE_MAX + 1;
	TOPO_CHECK(&t, c, 2 * sizeof(c[0]), 1, RSM_MSGCHK_FIELD);
	t.nremote = 5;
	t.first = 1;
	TOPO_CHECK(&t, c, 2 * sizeof(c[0]), 1, RSM_MSGCHK_FIELD);
	t.first = 0;
	t.nparts = 1;
	TOPO_CHECK(&t, c, 2 * sizeof(c[0]), 1, RSM_MSGCHK_FIELD);
	t.nparts = 0;
	t.count = RSM_TOPO_CTLR_MAX;
	TOPO_CHECK(&t, c, RSM_TOPO_CTLR_MAX * sizeof(c[0]), 1, 0);
	t.count = RSM_TOPO_CTLR_MAX + 1;
	TOPO_CHECK(&t, c, (RSM_TOPO_CTLR_MAX + 1) * sizeof(c[0]), 1,
	    RSM_MSGCHK_FIELD);
	t.count = 2;
	memset(c[1].name, 'x', sizeof(c[1].name));
	TOPO_CHECK(&t, c, 2 * sizeof(c[0]), 1, RSM_MSGCHK_FIELD);
	strcpy(c[1].name, "tcp0");
	/* A topology reply carries no descriptor. */
	n = build_topo(&p, &t, c, 2 * sizeof(c[0]), 1);
	assert_int_equal(rsm_msg_check(p.b, n, 1, 1), RSM_MSGCHK_FDS);

	/* PART: 1 .. RSM_TOPO_PART_MAX entries inside the whole list. */
	memset(&t, 0, sizeof(t));
	t.kind = RSM_TOPO_PART;
	t.count = RSM_TOPO_PART_MAX;
	TOPO_CHECK(&t, r, RSM_TOPO_PART_MAX * sizeof(r[0]), 1, 0);
	TOPO_CHECK(&t, r, RSM_TOPO_PART_MAX * sizeof(r[0]), 0,
	    RSM_MSGCHK_FIELD);
	TOPO_CHECK(&t, r, (RSM_TOPO_PART_MAX - 1) * sizeof(r[0]), 1,
	    RSM_MSGCHK_SIZE);
	t.count = RSM_TOPO_PART_MAX + 1;
	TOPO_CHECK(&t, r, (RSM_TOPO_PART_MAX + 1) * sizeof(r[0]), 1,
	    RSM_MSGCHK_FIELD);
	t.count = 0;
	TOPO_CHECK(&t, r, 0, 1, RSM_MSGCHK_FIELD);
	t.count = 2;
	t.first = RSM_TOPO_REMOTE_MAX - 2;
	TOPO_CHECK(&t, r, 2 * sizeof(r[0]), 1, 0);
	t.first = RSM_TOPO_REMOTE_MAX - 1;
	TOPO_CHECK(&t, r, 2 * sizeof(r[0]), 1, RSM_MSGCHK_FIELD);
	t.first = UINT32_MAX;
	TOPO_CHECK(&t, r, 2 * sizeof(r[0]), 1, RSM_MSGCHK_FIELD);
	t.first = 0;
	t.nremote = 2;
	TOPO_CHECK(&t, r, 2 * sizeof(r[0]), 1, RSM_MSGCHK_FIELD);
	t.nremote = 0;
	t.node_id = 3;
	TOPO_CHECK(&t, r, 2 * sizeof(r[0]), 1, RSM_MSGCHK_FIELD);
	t.node_id = 0;
	r[1].pad = 1;
	TOPO_CHECK(&t, r, 2 * sizeof(r[0]), 1, RSM_MSGCHK_FIELD);
	r[1].pad = 0;
	r[1].local_ctlr = RSM_TOPO_CTLR_MAX;
	TOPO_CHECK(&t, r, 2 * sizeof(r[0]), 1, RSM_MSGCHK_FIELD);
	r[1].local_ctlr = 1;
	memset(r[0].name, 'y', sizeof(r[0].name));
	TOPO_CHECK(&t, r, 2 * sizeof(r[0]), 1, RSM_MSGCHK_FIELD);
	strcpy(r[0].name, "tcp0");

	/* END: the last reply, totals only. */
	memset(&t, 0, sizeof(t));
	t.kind = RSM_TOPO_END;
	t.nremote = 300;
	t.nparts = 5;
	TOPO_CHECK(&t, NULL, 0, 0, 0);
	TOPO_CHECK(&t, NULL, 0, 1, RSM_MSGCHK_FIELD);
	TOPO_CHECK(&t, r, 1, 0, RSM_MSGCHK_SIZE);
	t.count = 1;
	TOPO_CHECK(&t, r, sizeof(r[0]), 0, RSM_MSGCHK_FIELD);
	t.count = 0;
	t.nremote = RSM_TOPO_REMOTE_MAX + 1;
	TOPO_CHECK(&t, NULL, 0, 0, RSM_MSGCHK_FIELD);
	t.nremote = 300;
	t.nparts = RSM_TOPO_REMOTE_MAX + 1;
	TOPO_CHECK(&t, NULL, 0, 0, RSM_MSGCHK_FIELD);

	/* Unknown kinds and short messages. */
	memset(&t, 0, sizeof(t));
	TOPO_CHECK(&t, NULL, 0, 0, RSM_MSGCHK_FIELD);
	t.kind = RSM_TOPO_END + 1;
	TOPO_CHECK(&t, NULL, 0, 1, RSM_MSGCHK_FIELD);
	n = build(&p, RSM_MSG_TOPOLOGY, RSM_MSGF_REPLY | RSM_MSGF_MORE, 0, 7,
	    sizeof(t) - 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_SIZE);
	/* The largest HEAD and PART fit a packet. */
	assert_true(HDR + sizeof(struct rsm_msg_topology_part) <= RSM_MSG_MAX);
	assert_true(HDR + sizeof(struct rsm_msg_topology_head) <= RSM_MSG_MAX);
}

static void
test_descriptions(void **state)
{
	(void)state;
	assert_string_equal(rsm_msg_name(RSM_MSG_HELLO), "HELLO");
	assert_string_equal(rsm_msg_name(RSM_MSG_REBOUND), "REBOUND");
	assert_int_equal(rsm_msg_req_size(RSM_MSG_TOPOLOGY), 0);
	assert_int_equal(rsm_msg_reply_size(RSM_MSG_TOPOLOGY),
	    (ssize_t)sizeof(struct rsm_msg_topology));
	/* Every reply fits in one packet. */
	for (size_t i = 0; i < NTYPES; i++) {
		assert_true(HDR + (size_t)rsm_msg_reply_size(all_types[i].type)
		    <= RSM_MSG_MAX);
		assert_true(HDR + (size_t)rsm_msg_req_size(all_types[i].type)
		    <= RSM_MSG_MAX);
	}
	assert_true(HDR + sizeof(struct rsm_msg_publish) +
	    RSM_ACL_MAX * sizeof(struct rsm_wire_ace) <= RSM_MSG_MAX);
	for (int c = 0; c >= -10; c--)
		assert_string_not_equal(rsm_msgchk_str(c), "unknown fault");
	assert_string_equal(rsm_msgchk_str(-11), "unknown fault");
}

/* ---- connect replies: an fd or a capability, never both ---- */

static size_t
build_connect_reply(union pkt *p, uint8_t family, uint16_t port)
{
	struct rsm_msg_connect_reply r;
	size_t n = build_reply(p, RSM_MSG_IMPORT_CONNECT);

	memset(&r, 0, sizeof(r));
	r.handle = 5;
	r.size = 4096;
	r.granted = RSM_PERM_RDWR;
	r.cap.family = family;
	r.cap.port = port;
	memcpy(p->b + HDR, &r, sizeof(r));
	return n;
}

static void
test_connect_reply_capability(void **state)
{
	union pkt p;
	size_t n;

	(void)state;
	/* shm: fd, no capability. */
	n = build_connect_reply(&p, RSM_CAP_NONE, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 1, 1), 0);
	/* tcp: capability, no fd. */
	n = build_connect_reply(&p, RSM_CAP_INET, 4711);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	n = build_connect_reply(&p, RSM_CAP_INET6, 4711);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	/* Both at once, an unknown family, no port, dirty padding. */
	n = build_connect_reply(&p, RSM_CAP_INET, 4711);
	assert_int_equal(rsm_msg_check(p.b, n, 1, 1), RSM_MSGCHK_FDS);
	n = build_connect_reply(&p, 5, 4711);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	n = build_connect_reply(&p, RSM_CAP_INET, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	/* A tcp capability carries no rkey. */
	n = build_connect_reply(&p, RSM_CAP_INET, 4711);
	p.b[HDR + offsetof(struct rsm_msg_connect_reply, cap) +
	    offsetof(struct rsm_wire_cap, rkey) + 1] = 1;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	/* verbs: a capability with an rkey; an unknown kind; verbs with an fd. */
	n = build_connect_reply(&p, RSM_CAP_INET, 4711);
	p.b[HDR + offsetof(struct rsm_msg_connect_reply, cap) +
	    offsetof(struct rsm_wire_cap, kind)] = RSM_CAPK_VERBS;
	p.b[HDR + offsetof(struct rsm_msg_connect_reply, cap) +
	    offsetof(struct rsm_wire_cap, rkey) + 1] = 1;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	assert_int_equal(rsm_msg_check(p.b, n, 1, 1), RSM_MSGCHK_FDS);
	p.b[HDR + offsetof(struct rsm_msg_connect_reply, cap) +
	    offsetof(struct rsm_wire_cap, kind)] = 3;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	/* No family (shm) with a verbs kind. */
	n = build_connect_reply(&p, RSM_CAP_NONE, 0);
	p.b[HDR + offsetof(struct rsm_msg_connect_reply, cap) +
	    offsetof(struct rsm_wire_cap, kind)] = RSM_CAPK_VERBS;
	assert_int_equal(rsm_msg_check(p.b, n, 1, 1), RSM_MSGCHK_FIELD);
}

/* The further addresses of a verbs capability: counted, whole, zeros after. */
static size_t
build_verbs_reply(union pkt *p, unsigned nmore)
{
	struct rsm_msg_connect_reply r;
	size_t n = build_connect_reply(p, RSM_CAP_INET, 4711);
	unsigned i;

	memcpy(&r, p->b + HDR, sizeof(r));
	r.cap.kind = RSM_CAPK_VERBS;
	r.cap.nmore = (uint8_t)nmore;
	/* A count past the array is for the check to refuse: fill no more. */
	for (i = 0; i < nmore && i < RSM_CAP_ADDRS_MAX - 1; i++) {
		r.cap.more[i].addr[0] = 10;
		r.cap.more[i].addr[3] = (uint8_t)(i + 2);
		r.cap.more[i].port = (uint16_t)(5000 + i);
		r.cap.more[i].family = i % 2 ? RSM_CAP_INET6 : RSM_CAP_INET;
	}
	memcpy(p->b + HDR, &r, sizeof(r));
	return n;
}

#define CAPB(f)	(HDR + offsetof(struct rsm_msg_connect_reply, cap) + \
	offsetof(struct rsm_wire_cap, f))

static void
test_connect_reply_addresses(void **state)
{
	union pkt p;
	size_t n, more = sizeof(struct rsm_wire_capaddr);
	unsigned k;

	(void)state;
	for (k = 0; k < RSM_CAP_ADDRS_MAX; k++) {
		n = build_verbs_reply(&p, k);
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	}
	/* More than fit. */
	n = build_verbs_reply(&p, RSM_CAP_ADDRS_MAX - 1);
	p.b[CAPB(nmore)] = RSM_CAP_ADDRS_MAX;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	p.b[CAPB(nmore)] = 0xff;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	/* A tcp capability lists one address. */
	n = build_verbs_reply(&p, 1);
	p.b[CAPB(kind)] = RSM_CAPK_TCP;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	/* A used entry with no port, an unknown family, dirty padding. */
	n = build_verbs_reply(&p, 2);
	p.b[CAPB(more) + more + 16] = 0;
	p.b[CAPB(more) + more + 17] = 0;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	n = build_verbs_reply(&p, 2);
	p.b[CAPB(more) + more + 18] = 5;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	n = build_verbs_reply(&p, 2);
	p.b[CAPB(more) + 19] = 1;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	n = build_verbs_reply(&p, 2);
	p.b[CAPB(pad) + 1] = 1;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	/* Any byte of an unused entry. */
	for (k = 0; k < more; k++) {
		n = build_verbs_reply(&p, 2);
		p.b[CAPB(more) + 2 * more + k] = 0x80;
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1),
		    RSM_MSGCHK_FIELD);
	}
}

/* ---- the data protocol's header checks ---- */

/* tcp0's HELLO proves the token for one challenge, and names it by id. */
static void
test_data_hello_proof(void **state)
{
	uint8_t token[RSM_CAP_TOKEN_LEN], other[RSM_CAP_TOKEN_LEN];
	uint8_t nonce[RSM_DATA_NONCE_LEN], id[RSM_DATA_CAPID_LEN];
	struct rsm_data_challenge chal;
	struct rsm_data_hello_req req;
	struct rsm_data_hello hello;
	struct rsm_data_hdr h;

	(void)state;
	memset(token, 0x5a, sizeof(token));
	memcpy(other, token, sizeof(other));
	other[15] ^= 1;
	memset(nonce, 0xc3, sizeof(nonce));
	rsm_data_hello_prove(token, nonce, &hello);
	rsm_data_cap_id(token, id);
	assert_memory_equal(hello.cap_id, id, sizeof(id));
	/* The id is not the token, nor a prefix of it. */
	assert_memory_not_equal(hello.cap_id, token, sizeof(id));
	assert_true(rsm_data_hello_verify(token, nonce, &hello));
	assert_false(rsm_data_hello_verify(other, nonce, &hello));
	nonce[0] ^= 1;
	assert_false(rsm_data_hello_verify(token, nonce, &hello));
	nonce[0] ^= 1;
	hello.mac[31] ^= 1;
	assert_false(rsm_data_hello_verify(token, nonce, &hello));

	/* tcp0's HELLO: the cipher and the importer's nonce are covered. */
	memset(&chal, 0, sizeof(chal));
	memcpy(chal.nonce, nonce, sizeof(chal.nonce));
	chal.cipher = RSM_DATA_CIPHER_AES256GCM;
	memset(req.nonce, 0x3c, sizeof(req.nonce));
	rsm_data_hello_prove_tcp(token, &chal, &req);
	assert_memory_equal(req.proof.cap_id, id, sizeof(id));
	assert_true(rsm_data_hello_verify_tcp(token, &chal, &req));
	assert_false(rsm_data_hello_verify_tcp(other, &chal, &req));
	/* Not a verbs proof for the same nonce, nor the other way round. */
	assert_false(rsm_data_hello_verify(token, nonce, &req.proof));
	chal.nonce[0] ^= 1;
	assert_false(rsm_data_hello_verify_tcp(token, &chal, &req));
	chal.nonce[0] ^= 1;
	/* A cipher changed on the way (turned off) fails the proof. */
	chal.cipher = RSM_DATA_CIPHER_NONE;
	assert_false(rsm_data_hello_verify_tcp(token, &chal, &req));
	chal.cipher = RSM_DATA_CIPHER_AES256GCM;
	/* So does the importer's nonce, which feeds the keys. */
	req.nonce[5] ^= 1;
	assert_false(rsm_data_hello_verify_tcp(token, &chal, &req));
	req.nonce[5] ^= 1;
	assert_true(rsm_data_hello_verify_tcp(token, &chal, &req));
	req.proof.mac[31] ^= 1;
	assert_false(rsm_data_hello_verify_tcp(token, &chal, &req));

	/* ucx0's proof: its own label, so no verbs proof is one, and back. */
	rsm_data_hello_prove_ucx(token, nonce, &hello);
	assert_memory_equal(hello.cap_id, id, sizeof(id));
	assert_true(rsm_data_hello_verify_ucx(token, nonce, &hello));
	assert_false(rsm_data_hello_verify(token, nonce, &hello));
	assert_false(rsm_data_hello_verify_ucx(other, nonce, &hello));
	nonce[31] ^= 1;
	assert_false(rsm_data_hello_verify_ucx(token, nonce, &hello));
	nonce[31] ^= 1;
	rsm_data_hello_prove(token, nonce, &hello);
	assert_false(rsm_data_hello_verify_ucx(token, nonce, &hello));

	assert_int_equal(rsm_data_check_challenge_body(&chal), 0);
	chal.cipher = 3;
	assert_int_equal(rsm_data_check_challenge_body(&chal), RSM_DCHK_FIELD);
	chal.cipher = RSM_DATA_CIPHER_CHACHA20;
	chal.pad[6] = 1;
	assert_int_equal(rsm_data_check_challenge_body(&chal), RSM_DCHK_FIELD);

	rsm_data_hdr_init(&h, RSM_DOP_CHALLENGE | RSM_DOPF_REPLY, 0, 0, 0,
	    sizeof(struct rsm_data_challenge), 0);
	assert_int_equal(rsm_data_check_challenge(&h), 0);
	h.id = 1;
	assert_int_equal(rsm_data_check_challenge(&h), RSM_DCHK_ID);
	h.id = 0;
	h.len = 8;
	assert_int_equal(rsm_data_check_challenge(&h), RSM_DCHK_LEN);
	h.len = sizeof(struct rsm_data_challenge);
	h.op = RSM_DOP_CHALLENGE;
	assert_int_equal(rsm_data_check_challenge(&h), RSM_DCHK_OP);
	/* A client never sends one. */
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_ID);
	h.id = 3;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_OP);
}

static void
test_data_request_checks(void **state)
{
	struct rsm_data_hdr h;
	struct rsm_data_vec v[RSM_DATA_VEC_MAX];

	(void)state;
	rsm_data_hdr_init(&h, RSM_DOP_HELLO, 0, 1, 0,
	    sizeof(struct rsm_data_hello_req), 0);
	assert_int_equal(rsm_data_check_req(&h), 0);
	h.len = 8;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_LEN);
	rsm_data_hdr_init(&h, RSM_DOP_PUT, 0, 2, 12345, RSM_DATA_FRAME_MAX, 0);
	assert_int_equal(rsm_data_check_req(&h), 0);
	h.len++;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_LEN);
	rsm_data_hdr_init(&h, RSM_DOP_GET, 0, 3, 0, 8, 1);
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_COUNT);
	rsm_data_hdr_init(&h, RSM_DOP_GET, 0, 0, 0, 8, 0);
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_ID);
	rsm_data_hdr_init(&h, RSM_DOP_GET, 1, 3, 0, 8, 0);
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_STATUS);
	rsm_data_hdr_init(&h, RSM_DOP_GET | RSM_DOPF_REPLY, 0, 3, 0, 8, 0);
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_OP);
	rsm_data_hdr_init(&h, 0, 0, 3, 0, 8, 0);
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_OP);
	rsm_data_hdr_init(&h, RSM_DOP_GET, 0, 3, 0, 8, 0);
	h.magic++;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_MAGIC);
	h.magic--;
	h.version++;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_VERSION);
	/*
	 * Vectors: 1..512 (PUTV) or 1..16 (GETV) entries, off 0, lens adding
	 * up to len.
	 */
	rsm_data_hdr_init(&h, RSM_DOP_PUTV, 0, 4, 0, 30, 2);
	assert_int_equal(rsm_data_check_req(&h), 0);
	v[0].off = 100;
	v[0].len = 10;
	v[1].off = 0;
	v[1].len = 20;
	assert_int_equal(rsm_data_check_vec(&h, v), 0);
	v[1].len = 21;
	assert_int_equal(rsm_data_check_vec(&h, v), RSM_DCHK_VEC);
	v[1].len = UINT64_MAX;
	assert_int_equal(rsm_data_check_vec(&h, v), RSM_DCHK_VEC);
	/* PUTV takes up to RSM_DATA_PUTV_MAX entries, GETV RSM_DATA_VEC_MAX. */
	h.count = RSM_DATA_VEC_MAX + 1;
	assert_int_equal(rsm_data_check_req(&h), 0);
	h.count = RSM_DATA_PUTV_MAX;
	assert_int_equal(rsm_data_check_req(&h), 0);
	h.count = RSM_DATA_PUTV_MAX + 1;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_COUNT);
	h.op = RSM_DOP_GETV;
	h.count = RSM_DATA_VEC_MAX + 1;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_COUNT);
	h.op = RSM_DOP_PUTV;
	h.count = 0;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_COUNT);
	rsm_data_hdr_init(&h, RSM_DOP_GETV, 0, 4, 8, 30, 2);
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_FIELD);
	assert_true(rsm_data_in_bounds(0, 4096, 4096));
	assert_false(rsm_data_in_bounds(1, 4096, 4096));
	assert_false(rsm_data_in_bounds(UINT64_MAX, 2, 4096));
	assert_false(rsm_data_in_bounds(4097, 0, 4096));
}

/*
 * PUTM frames: 1..RSM_DATA_PUTV_MAX entries and off 0 in the header; each
 * span 1..RSM_DATA_PUTM_SPAN_MAX; masks and spans adding up to len; no
 * mask bit past a span; entries against the segment's size; and the
 * masked copy writes exactly the bytes of its mask.
 */
static void
test_data_putm_checks(void **state)
{
	struct rsm_data_vec v[RSM_DATA_PUTV_MAX + 1];
	struct rsm_data_hdr h;
	uint8_t mask[RSM_DATA_MASK_LEN(100)];
	char dst[100], src[100], want[100];
	uint32_t i;

	(void)state;
	assert_string_equal(rsm_dop_name(RSM_DOP_PUTM), "PUTM");
	/* A good frame: two entries, masks then spans. */
	v[0].off = 4096;
	v[0].len = 4096;
	v[1].off = 0;
	v[1].len = 13;
	rsm_data_hdr_init(&h, RSM_DOP_PUTM, 0, 7, 0,
	    4096 + 512 + 13 + 2, 2);
	assert_int_equal(rsm_data_check_req(&h), 0);
	assert_int_equal(rsm_data_check_putm(&h, v), 0);
	/* Bad counts: none, more than a PUTV's, a table of another op. */
	h.count = 0;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_COUNT);
	assert_int_equal(rsm_data_check_putm(&h, v), RSM_DCHK_COUNT);
	h.count = RSM_DATA_PUTV_MAX + 1;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_COUNT);
	assert_int_equal(rsm_data_check_putm(&h, v), RSM_DCHK_COUNT);
	h.count = RSM_DATA_PUTV_MAX;
	assert_int_equal(rsm_data_check_req(&h), 0);
	h.count = 2;
	h.op = RSM_DOP_PUTV;
	assert_int_equal(rsm_data_check_putm(&h, v), RSM_DCHK_COUNT);
	h.op = RSM_DOP_PUTM;
	/* An offset in the header; a length above the frame limit. */
	h.off = 8;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_FIELD);
	h.off = 0;
	h.len = RSM_DATA_FRAME_MAX + 1;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_LEN);
	h.len = 4096 + 512 + 13 + 2;
	/* Spans over the bound, of nothing, or that overflow a sum. */
	v[0].len = RSM_DATA_PUTM_SPAN_MAX + 1;
	h.len = (uint32_t)(RSM_DATA_PUTM_SPAN_MAX + 1 +
	    RSM_DATA_MASK_LEN(RSM_DATA_PUTM_SPAN_MAX + 1) + 13 + 2);
	assert_int_equal(rsm_data_check_putm(&h, v), RSM_DCHK_VEC);
	v[0].len = RSM_DATA_PUTM_SPAN_MAX;
	h.len = (uint32_t)(RSM_DATA_PUTM_SPAN_MAX +
	    RSM_DATA_MASK_LEN(RSM_DATA_PUTM_SPAN_MAX) + 13 + 2);
	assert_int_equal(rsm_data_check_putm(&h, v), 0);
	v[0].len = 0;
	h.len = 13 + 2;
	assert_int_equal(rsm_data_check_putm(&h, v), RSM_DCHK_VEC);
	v[0].len = UINT64_MAX;
	assert_int_equal(rsm_data_check_putm(&h, v), RSM_DCHK_VEC);
	/* Masks and spans that disagree with len: mask bytes left out. */
	v[0].len = 4096;
	h.len = 4096 + 13;
	assert_int_equal(rsm_data_check_putm(&h, v), RSM_DCHK_VEC);
	h.len = 4096 + 512 + 13 + 2 + 1;
	assert_int_equal(rsm_data_check_putm(&h, v), RSM_DCHK_VEC);
	h.len = 4096 + 512 + 13 + 1;
	assert_int_equal(rsm_data_check_putm(&h, v), RSM_DCHK_VEC);
	/* As many of the largest spans as fit a frame's payload. */
	for (i = 0; i < RSM_DATA_PUTV_MAX; i++) {
		v[i].off = 0;
		v[i].len = RSM_DATA_PUTM_SPAN_MAX;
	}
	h.count = RSM_DATA_FRAME_MAX / (RSM_DATA_PUTM_SPAN_MAX +
	    RSM_DATA_MASK_LEN(RSM_DATA_PUTM_SPAN_MAX));
	h.len = h.count * (RSM_DATA_PUTM_SPAN_MAX +
	    RSM_DATA_MASK_LEN(RSM_DATA_PUTM_SPAN_MAX));
	assert_int_equal(rsm_data_check_req(&h), 0);
	assert_int_equal(rsm_data_check_putm(&h, v), 0);

	/* Masks: no bit past the span. */
	memset(mask, 0xff, sizeof(mask));
	assert_int_equal(rsm_data_check_mask(mask, 100), RSM_DCHK_MASK);
	mask[12] = 0x0f;		/* bytes 96..99 */
	assert_int_equal(rsm_data_check_mask(mask, 100), 0);
	assert_int_equal(rsm_data_check_mask(mask, 96), 0);
	assert_int_equal(rsm_data_check_mask(mask, 97), RSM_DCHK_MASK);
	assert_int_equal(rsm_data_check_mask(mask, 0), RSM_DCHK_MASK);
	assert_int_equal(rsm_data_check_mask(mask,
	    RSM_DATA_PUTM_SPAN_MAX + 1), RSM_DCHK_MASK);
	assert_int_equal(rsm_data_check_mask(NULL, 8), RSM_DCHK_MASK);

	/* Offsets against the segment: how many lie inside it. */
	v[0].off = 0;
	v[0].len = 4096;
	v[1].off = 4096;
	v[1].len = 4096;
	v[2].off = 8192 - 8;
	v[2].len = 16;			/* past the end */
	v[3].off = UINT64_MAX - 3;
	v[3].len = 8;			/* would wrap */
	assert_int_equal(rsm_data_vec_in_bounds(v, 2, 8192), 2);
	assert_int_equal(rsm_data_vec_in_bounds(v, 4, 8192), 2);
	assert_int_equal(rsm_data_vec_in_bounds(v + 3, 1, 8192), 0);
	assert_int_equal(rsm_data_vec_in_bounds(v, 1, 4095), 0);
	v[0].off = 8192;
	assert_int_equal(rsm_data_vec_in_bounds(v, 1, 8192), 0);

	/* The copy: the bytes of the mask, and not one other. */
	for (i = 0; i < sizeof(src); i++) {
		src[i] = (char)(i + 1);
		dst[i] = want[i] = (char)0xa5;
	}
	memset(mask, 0, sizeof(mask));
	for (i = 0; i < sizeof(src); i++)
		if (i % 2 == 1 || (i >= 16 && i < 24) || i == 99) {
			mask[i / 8] |= (uint8_t)(1u << (i % 8));
			want[i] = src[i];
		}
	rsm_data_mask_apply(dst, src, mask, sizeof(src));
	assert_memory_equal(dst, want, sizeof(dst));
	/* A span shorter than its last mask byte stops at its end. */
	memset(dst, 0x5a, sizeof(dst));
	memset(mask, 0xff, sizeof(mask));
	rsm_data_mask_apply(dst, src, mask, 13);
	assert_memory_equal(dst, src, 13);
	assert_int_equal((unsigned char)dst[13], 0x5a);

	/* The reply: header only, count entries done. */
	rsm_data_hdr_init(&h, RSM_DOP_PUTM | RSM_DOPF_REPLY, 0, 7, 0, 0, 2);
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_PUTM, 7, 0, 2), 0);
	h.len = 4;
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_PUTM, 7, 0, 2),
	    RSM_DCHK_LEN);
	rsm_data_hdr_init(&h, RSM_DOP_PUTM | RSM_DOPF_REPLY,
	    RSMERR_BAD_LENGTH, 7, 0, 0, 1);
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_PUTM, 7, 0, 2), 0);
	/* The HELLO bit that offers it lies outside every right. */
	assert_int_equal(RSM_DATA_HELLO_PUTM & RSM_PERM_RDWR, 0);
}

/* ATOMIC and SIGNAL frames: exact body sizes, every body field. */
static void
test_data_atomic_checks(void **state)
{
	struct rsm_data_atomic a;
	struct rsm_data_signal sg;
	struct rsm_data_hdr h;

	(void)state;
	rsm_data_hdr_init(&h, RSM_DOP_ATOMIC, 0, 5, 64, sizeof(a), 0);
	assert_int_equal(rsm_data_check_req(&h), 0);
	h.len = sizeof(a) + 1;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_LEN);
	h.len = sizeof(a);
	h.count = 1;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_COUNT);
	rsm_data_hdr_init(&h, RSM_DOP_SIGNAL, 0, 6, 0, sizeof(sg), 0);
	assert_int_equal(rsm_data_check_req(&h), 0);
	h.off = 8;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_FIELD);
	h.off = 0;
	h.len = 0;
	assert_int_equal(rsm_data_check_req(&h), RSM_DCHK_LEN);

	memset(&a, 0, sizeof(a));
	a.op = RSM_DATA_AOP_CAS;
	a.width = 8;
	a.operand = UINT64_MAX;
	a.compare = 3;
	assert_int_equal(rsm_data_check_atomic(&a), 0);
	a.width = 4;
	assert_int_equal(rsm_data_check_atomic(&a), RSM_DCHK_FIELD);
	a.operand = UINT32_MAX;
	assert_int_equal(rsm_data_check_atomic(&a), 0);
	a.compare = (uint64_t)1 << 32;
	assert_int_equal(rsm_data_check_atomic(&a), RSM_DCHK_FIELD);
	a.compare = 0;
	a.width = 2;
	assert_int_equal(rsm_data_check_atomic(&a), RSM_DCHK_LEN);
	a.width = 4;
	a.op = 0;
	assert_int_equal(rsm_data_check_atomic(&a), RSM_DCHK_OP);
	a.op = RSM_DATA_AOP_SWAP + 1;
	assert_int_equal(rsm_data_check_atomic(&a), RSM_DCHK_OP);
	a.op = RSM_DATA_AOP_FADD;
	a.compare = 1;
	assert_int_equal(rsm_data_check_atomic(&a), RSM_DCHK_FIELD);
	a.compare = 0;
	a.pad1 = 1;
	assert_int_equal(rsm_data_check_atomic(&a), RSM_DCHK_FIELD);
	a.pad1 = 0;
	assert_int_equal(rsm_data_check_atomic(&a), 0);

	memset(&sg, 0, sizeof(sg));
	assert_int_equal(rsm_data_check_signal(&sg), 0);
	sg.flags = RSM_SIGPOST_NO_ACCUMULATE;
	assert_int_equal(rsm_data_check_signal(&sg), 0);
	sg.flags = RSM_SIGPOST_NO_ACCUMULATE << 1;
	assert_int_equal(rsm_data_check_signal(&sg), RSM_DCHK_FIELD);
	sg.flags = 0;
	sg.pad = 1;
	assert_int_equal(rsm_data_check_signal(&sg), RSM_DCHK_FIELD);

	/* Replies: the old value on success only; SIGNAL header only. */
	rsm_data_hdr_init(&h, RSM_DOP_ATOMIC | RSM_DOPF_REPLY, 0, 5, 0, 8, 1);
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_ATOMIC, 5, 8, 1), 0);
	h.len = 0;
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_ATOMIC, 5, 8, 1),
	    RSM_DCHK_LEN);
	rsm_data_hdr_init(&h, RSM_DOP_ATOMIC | RSM_DOPF_REPLY,
	    RSMERR_PERM_DENIED, 5, 0, 0, 0);
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_ATOMIC, 5, 8, 1), 0);
	h.len = 8;
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_ATOMIC, 5, 8, 1),
	    RSM_DCHK_LEN);
	rsm_data_hdr_init(&h, RSM_DOP_SIGNAL | RSM_DOPF_REPLY, 0, 6, 0, 0, 1);
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_SIGNAL, 6, 0, 1), 0);
	h.len = 4;
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_SIGNAL, 6, 0, 1),
	    RSM_DCHK_LEN);
	assert_string_equal(rsm_dop_name(RSM_DOP_ATOMIC), "ATOMIC");
	assert_string_equal(rsm_dop_name(RSM_DOP_SIGNAL), "SIGNAL");
}

static void
test_data_reply_checks(void **state)
{
	struct rsm_data_hdr h;

	(void)state;
	rsm_data_hdr_init(&h, RSM_DOP_GET | RSM_DOPF_REPLY, 0, 7, 0, 64, 1);
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_GET, 7, 64, 1), 0);
	/* Wrong id, op, length; a short successful get. */
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_GET, 8, 64, 1),
	    RSM_DCHK_ID);
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_PUT, 7, 0, 1),
	    RSM_DCHK_OP);
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_GET, 7, 65, 1),
	    RSM_DCHK_LEN);
	/* A failed get carries nothing; a failed getv what it did. */
	rsm_data_hdr_init(&h, RSM_DOP_GET | RSM_DOPF_REPLY, RSMERR_BAD_LENGTH,
	    7, 0, 0, 0);
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_GET, 7, 64, 1), 0);
	h.len = 64;
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_GET, 7, 64, 1),
	    RSM_DCHK_LEN);
	rsm_data_hdr_init(&h, RSM_DOP_GETV | RSM_DOPF_REPLY, RSMERR_BAD_LENGTH,
	    7, 0, 16, 1);
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_GETV, 7, 64, 3), 0);
	h.count = 4;
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_GETV, 7, 64, 3),
	    RSM_DCHK_COUNT);
	/* Put replies carry no payload; success means every entry. */
	rsm_data_hdr_init(&h, RSM_DOP_PUTV | RSM_DOPF_REPLY, 0, 9, 0, 0, 2);
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_PUTV, 9, 0, 3),
	    RSM_DCHK_COUNT);
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_PUTV, 9, 0, 2), 0);
	h.len = 1;
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_PUTV, 9, 0, 2),
	    RSM_DCHK_LEN);
	/* Statuses beyond the RSMERR range. */
	rsm_data_hdr_init(&h, RSM_DOP_PUT | RSM_DOPF_REPLY, 100000, 9, 0, 0,
	    0);
	assert_int_equal(rsm_data_check_reply(&h, RSM_DOP_PUT, 9, 0, 1),
	    RSM_DCHK_STATUS);
	assert_string_equal(rsm_dop_name(RSM_DOP_GETV | RSM_DOPF_REPLY),
	    "GETV");
	for (int c = 0; c >= -9; c--)
		assert_string_not_equal(rsm_dchk_str(c), "unknown fault");
}

/* ---- send and receive ---- */

static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

static void
seqpacket_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
}

static void
test_roundtrip_plain(void **state)
{
	struct rsm_msg_hdr h;
	struct rsm_msg_connect c = { 3, 0x400001, RSM_PERM_RDWR, 1 };
	union pkt p;
	int sv[2], fd, nfds;
	ssize_t n;

	(void)state;
	seqpacket_pair(sv);
	rsm_msg_hdr_init(&h, RSM_MSG_IMPORT_CONNECT, 0, 0, 42, sizeof(c));
	assert_int_equal(rsm_msg_send(sv[0], &h, &c, sizeof(c), -1), 0);
	n = rsm_msg_recv(sv[1], p.b, RSM_MSG_MAX, &fd, &nfds);
	assert_int_equal(n, (ssize_t)(HDR + sizeof(c)));
	assert_int_equal(fd, -1);
	assert_int_equal(nfds, 0);
	assert_memory_equal(p.b, &h, HDR);
	assert_memory_equal(p.b + HDR, &c, sizeof(c));
	assert_int_equal(rsm_msg_check(p.b, (size_t)n, nfds, 0), 0);

	/* An empty payload. */
	rsm_msg_hdr_init(&h, RSM_MSG_STATUS, 0, 0, 43, 0);
	assert_int_equal(rsm_msg_send(sv[0], &h, NULL, 0, -1), 0);
	n = rsm_msg_recv(sv[1], p.b, RSM_MSG_MAX, &fd, &nfds);
	assert_int_equal(n, (ssize_t)HDR);
	assert_int_equal(rsm_msg_check(p.b, (size_t)n, nfds, 0), 0);

	/* Orderly close reads as 0. */
	close(sv[0]);
	n = rsm_msg_recv(sv[1], p.b, RSM_MSG_MAX, &fd, &nfds);
	assert_int_equal(n, 0);
	assert_int_equal(fd, -1);
	close(sv[1]);
}

static void
test_roundtrip_fd(void **state)
{
	struct rsm_msg_hdr h;
	struct rsm_msg_rebound rb = { 77, 8192 };
	union pkt p;
	int sv[2], pp[2], fd, nfds;
	char c = 0;
	ssize_t n;

	(void)state;
	seqpacket_pair(sv);
	assert_int_equal(pipe(pp), 0);
	rsm_msg_hdr_init(&h, RSM_MSG_REBOUND, 0, 0, 0, sizeof(rb));
	assert_int_equal(rsm_msg_send(sv[0], &h, &rb, sizeof(rb), pp[0]), 0);
	n = rsm_msg_recv(sv[1], p.b, RSM_MSG_MAX, &fd, &nfds);
	assert_int_equal(n, (ssize_t)(HDR + sizeof(rb)));
	assert_int_equal(nfds, 1);
	assert_true(fd >= 0);
	assert_int_not_equal(fd, pp[0]);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(rsm_msg_check(p.b, (size_t)n, nfds, 1), 0);
	/* The descriptor is the pipe's read end. */
	assert_int_equal(write(pp[1], "z", 1), 1);
	assert_int_equal(read(fd, &c, 1), 1);
	assert_int_equal(c, 'z');
	close(fd);
	close(pp[0]);
	close(pp[1]);
	close(sv[0]);
	close(sv[1]);
}

/* Send one packet carrying `count` copies of fd. */
static void
send_fds(int sock, const void *buf, size_t len, int fd, int count)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr mh;
	struct cmsghdr *c;

	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.b;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
	for (int i = 0; i < count; i++)
		memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
	assert_int_equal(sendmsg(sock, &mh, 0), (ssize_t)len);
}

static void
test_extra_fds_counted_and_closed(void **state)
{
	union pkt p, q;
	int sv[2], pp[2], fd, nfds, before;
	size_t n;
	ssize_t r;

	(void)state;
	seqpacket_pair(sv);
	assert_int_equal(pipe(pp), 0);
	n = build(&p, RSM_MSG_EXPORT_CREATE, 0, 0, 4,
	    sizeof(struct rsm_msg_export_create));
	before = open_fds();
	send_fds(sv[0], p.b, n, pp[0], 3);
	r = rsm_msg_recv(sv[1], q.b, RSM_MSG_MAX, &fd, &nfds);
	assert_int_equal(r, (ssize_t)n);
	assert_int_equal(nfds, 3);
	assert_true(fd >= 0);
	/* Exactly one new descriptor is left open: the one returned. */
	assert_int_equal(open_fds(), before + 1);
	assert_int_equal(rsm_msg_check(q.b, (size_t)r, nfds, 0),
	    RSM_MSGCHK_FDS);
	close(fd);
	assert_int_equal(open_fds(), before);
	close(pp[0]);
	close(pp[1]);
	close(sv[0]);
	close(sv[1]);
}

static void
test_truncated_packet(void **state)
{
	union pkt p, q;
	int sv[2], pp[2], fd, nfds, before;
	ssize_t r;

	(void)state;
	seqpacket_pair(sv);
	assert_int_equal(pipe(pp), 0);
	build(&p, RSM_MSG_STATUS, RSM_MSGF_REPLY, 0, 4,
	    sizeof(struct rsm_msg_status));
	before = open_fds();
	send_fds(sv[0], p.b, p.h.len, pp[0], 1);
	r = rsm_msg_recv(sv[1], q.b, 40, &fd, &nfds);
	assert_int_equal(r, -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(fd, -1);
	/* The descriptor that came with it was not kept. */
	assert_int_equal(open_fds(), before);

	/* The next packet is read normally. */
	assert_int_equal(send(sv[0], p.b, p.h.len, 0), (ssize_t)p.h.len);
	r = rsm_msg_recv(sv[1], q.b, RSM_MSG_MAX, &fd, &nfds);
	assert_int_equal(r, (ssize_t)p.h.len);
	assert_int_equal(rsm_msg_check(q.b, (size_t)r, nfds, 1), 0);
	close(pp[0]);
	close(pp[1]);
	close(sv[0]);
	close(sv[1]);
}

/* Several messages each way in one call, in order, descriptors with them. */
static void
test_batches(void **state)
{
	struct rsm_msg_hdr h[3];
	struct rsm_msg_connect c = { 3, 0x400001, RSM_PERM_RDWR, 1 };
	struct rsm_msg_rebound rb = { 77, 8192 };
	struct rsm_msg_out out[3];
	struct rsm_msg_in in[RSM_MSG_BATCH];
	union pkt p[RSM_MSG_BATCH];
	int sv[2], pp[2], i, before;
	char ch = 0;

	(void)state;
	seqpacket_pair(sv);
	assert_int_equal(pipe(pp), 0);
	for (i = 0; i < (int)RSM_MSG_BATCH; i++)
		in[i].buf = p[i].b;
	rsm_msg_hdr_init(&h[0], RSM_MSG_IMPORT_CONNECT, 0, 0, 1, sizeof(c));
	rsm_msg_hdr_init(&h[1], RSM_MSG_STATUS, 0, 0, 2, 0);
	rsm_msg_hdr_init(&h[2], RSM_MSG_REBOUND, 0, 0, 0, sizeof(rb));
	out[0] = (struct rsm_msg_out){ &h[0], &c, sizeof(c), -1 };
	out[1] = (struct rsm_msg_out){ &h[1], NULL, 0, -1 };
	out[2] = (struct rsm_msg_out){ &h[2], &rb, sizeof(rb), pp[0] };

	/* Nothing queued: no wait, EAGAIN. */
	assert_int_equal(rsm_msg_recv_many(sv[1], in, RSM_MSG_BATCH,
	    RSM_MSG_MAX, 0), -1);
	assert_int_equal(errno, EAGAIN);

	assert_int_equal(rsm_msg_send_many(sv[0], out, 3), 3);
	/* Fewer than asked for: all that was queued, in order. */
	assert_int_equal(rsm_msg_recv_many(sv[1], in, RSM_MSG_BATCH,
	    RSM_MSG_MAX, 1), 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(in[i].len,
		    (ssize_t)(HDR + out[i].len));
		assert_memory_equal(p[i].b, &h[i], HDR);
		assert_false(in[i].truncated);
	}
	assert_memory_equal(p[0].b + HDR, &c, sizeof(c));
	assert_int_equal(in[0].fd, -1);
	assert_int_equal(in[1].nfds, 0);
	assert_int_equal(in[2].nfds, 1);
	assert_true(in[2].fd >= 0);
	assert_true(fcntl(in[2].fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(pp[1], "z", 1), 1);
	assert_int_equal(read(in[2].fd, &ch, 1), 1);
	assert_int_equal(ch, 'z');
	close(in[2].fd);

	/* As many as asked for, the rest left queued. */
	assert_int_equal(rsm_msg_send_many(sv[0], out, 2), 2);
	assert_int_equal(rsm_msg_recv_many(sv[1], in, 1, RSM_MSG_MAX, 0), 1);
	assert_int_equal(in[0].len, (ssize_t)(HDR + sizeof(c)));
	assert_int_equal(rsm_msg_recv_many(sv[1], in, 1, RSM_MSG_MAX, 0), 1);
	assert_int_equal(in[0].len, (ssize_t)HDR);

	/* A truncated packet keeps no descriptor; the next one is whole. */
	before = open_fds();
	assert_int_equal(rsm_msg_send_many(sv[0], &out[2], 1), 1);
	assert_int_equal(rsm_msg_send_many(sv[0], &out[1], 1), 1);
	assert_int_equal(rsm_msg_recv_many(sv[1], in, 2, HDR, 0), 2);
	assert_true(in[0].truncated);
	assert_int_equal(in[0].fd, -1);
	assert_false(in[1].truncated);
	assert_int_equal(in[1].len, (ssize_t)HDR);
	assert_int_equal(open_fds(), before);

	/* An orderly close ends a batch. */
	assert_int_equal(rsm_msg_send_many(sv[0], &out[1], 1), 1);
	close(sv[0]);
	assert_int_equal(rsm_msg_recv_many(sv[1], in, RSM_MSG_BATCH,
	    RSM_MSG_MAX, 0), 2);
	assert_int_equal(in[0].len, (ssize_t)HDR);
	assert_int_equal(in[1].len, 0);
	close(sv[1]);

	/* A peer that is gone: an error, never SIGPIPE. */
	seqpacket_pair(sv);
	close(sv[1]);
	assert_int_equal(rsm_msg_send_many(sv[0], out, 2), -1);
	assert_int_equal(errno, EPIPE);
	close(sv[0]);
	close(pp[0]);
	close(pp[1]);
}

static void
test_send_errors(void **state)
{
	struct rsm_msg_hdr h;
	int sv[2];

	(void)state;
	seqpacket_pair(sv);
	close(sv[1]);
	rsm_msg_hdr_init(&h, RSM_MSG_STATUS, 0, 0, 1, 0);
	/* A closed peer is an error, never SIGPIPE. */
	assert_int_equal(rsm_msg_send(sv[0], &h, NULL, 0, -1), -1);
	assert_int_equal(errno, EPIPE);
	close(sv[0]);
	assert_int_equal(rsm_msg_send(sv[0], &h, NULL, 0, -1), -1);
	assert_int_equal(errno, EBADF);
}

/* ---- daemon segments ---- */

static size_t
build_dseg_create(union pkt *p, uint32_t acl_len, uint32_t entries,
    uint32_t mode, uint32_t flags)
{
	struct rsm_msg_dseg_create m;
	size_t plen = sizeof(m) + (size_t)entries * sizeof(struct rsm_wire_ace);

	build(p, RSM_MSG_DSEG_CREATE, 0, 0, 9, plen);
	memset(&m, 0, sizeof(m));
	m.size = 4096;
	m.segid = 0x500000;
	m.mode = mode;
	m.flags = flags;
	m.acl_len = acl_len;
	memcpy(p->b + HDR, &m, sizeof(m));
	return HDR + plen;
}

/* A DSEG_READ or DSEG_WRITE request saying len, with `data` bytes. */
static size_t
build_dseg_io(union pkt *p, uint16_t type, uint32_t len, size_t data)
{
	struct rsm_msg_dseg_io m = { .off = 4, .segid = 0x500000, .len = len };

	build(p, type, 0, 0, 9, sizeof(m) + data);
	memcpy(p->b + HDR, &m, sizeof(m));
	return HDR + sizeof(m) + data;
}

static size_t
build_dseg_data(union pkt *p, uint32_t len, uint32_t pad, size_t data)
{
	struct rsm_msg_dseg_data d = { .len = len, .pad = pad };

	build(p, RSM_MSG_DSEG_READ, RSM_MSGF_REPLY, 0, 9, sizeof(d) + data);
	memcpy(p->b + HDR, &d, sizeof(d));
	return HDR + sizeof(d) + data;
}

static void
test_dseg_create(void **state)
{
	uint32_t lens[] = { 0, 1, 2, 63, RSM_ACL_MAX };
	union pkt p;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = build_dseg_create(&p, lens[i], lens[i], 0660, 0);
		assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
		/* The list exact for its count, either way. */
		n = build_dseg_create(&p, lens[i], lens[i] + 1, 0660, 0);
		assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
		if (lens[i] > 0) {
			n = build_dseg_create(&p, lens[i], lens[i] - 1, 0660,
			    0);
			assert_int_equal(rsm_msg_check(p.b, n, 0, 0),
			    RSM_MSGCHK_SIZE);
		}
	}
	n = build_dseg_create(&p, RSM_ACL_MAX + 1, RSM_ACL_MAX + 1, 0660, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	n = build_dseg_create(&p, UINT32_MAX, 0, 0660, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	/* Mode: permission bits only; flags: the known ones. */
	n = build_dseg_create(&p, 0, 0, 0777, RSM_DSEG_HUGEPAGES);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	n = build_dseg_create(&p, 0, 0, 01000, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	n = build_dseg_create(&p, 0, 0, 04660, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	n = build_dseg_create(&p, 0, 0, 0660, RSM_DSEG_HUGEPAGES << 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	/* Shorter than its fixed part; with a descriptor. */
	n = build(&p, RSM_MSG_DSEG_CREATE, 0, 0, 9,
	    sizeof(struct rsm_msg_dseg_create) - 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	n = build_dseg_create(&p, 0, 0, 0660, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 1, 0), RSM_MSGCHK_FDS);
	/* Its reply is empty. */
	n = build(&p, RSM_MSG_DSEG_CREATE, RSM_MSGF_REPLY, 0, 9, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	n = build(&p, RSM_MSG_DSEG_CREATE, RSM_MSGF_REPLY, 0, 9, 8);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_SIZE);
}

static void
test_dseg_remove(void **state)
{
	struct rsm_msg_dseg_id m = { .segid = 0x500000, .pad = 0 };
	union pkt p;
	size_t n;

	(void)state;
	n = build(&p, RSM_MSG_DSEG_REMOVE, 0, 0, 9, sizeof(m));
	memcpy(p.b + HDR, &m, sizeof(m));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	m.pad = 1;
	memcpy(p.b + HDR, &m, sizeof(m));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	/* Posted: only disconnects go unanswered. */
	m.pad = 0;
	memcpy(p.b + HDR, &m, sizeof(m));
	p.h.flags = RSM_MSGF_POSTED;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FLAGS);
}

static void
test_dseg_io(void **state)
{
	union pkt p;
	size_t n;

	(void)state;
	/* A read asks, carries nothing: 1 .. RSM_DSEG_IO_MAX bytes. */
	n = build_dseg_io(&p, RSM_MSG_DSEG_READ, 1, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	n = build_dseg_io(&p, RSM_MSG_DSEG_READ, RSM_DSEG_IO_MAX, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	n = build_dseg_io(&p, RSM_MSG_DSEG_READ, 0, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	n = build_dseg_io(&p, RSM_MSG_DSEG_READ, RSM_DSEG_IO_MAX + 1, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	n = build_dseg_io(&p, RSM_MSG_DSEG_READ, UINT32_MAX, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	n = build_dseg_io(&p, RSM_MSG_DSEG_READ, 4, 4);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	n = build_dseg_io(&p, RSM_MSG_DSEG_READ, 4, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 1, 0), RSM_MSGCHK_FDS);

	/* A write carries exactly its count. */
	n = build_dseg_io(&p, RSM_MSG_DSEG_WRITE, 1, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	n = build_dseg_io(&p, RSM_MSG_DSEG_WRITE, RSM_DSEG_IO_MAX,
	    RSM_DSEG_IO_MAX);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	n = build_dseg_io(&p, RSM_MSG_DSEG_WRITE, 0, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	n = build_dseg_io(&p, RSM_MSG_DSEG_WRITE, 5, 4);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	n = build_dseg_io(&p, RSM_MSG_DSEG_WRITE, 4, 5);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	n = build_dseg_io(&p, RSM_MSG_DSEG_WRITE, RSM_DSEG_IO_MAX + 1,
	    RSM_DSEG_IO_MAX + 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	n = build(&p, RSM_MSG_DSEG_WRITE, 0, 0, 9,
	    sizeof(struct rsm_msg_dseg_io) - 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);

	/* The read's reply: exactly its count, 0 .. RSM_DSEG_IO_MAX. */
	n = build_dseg_data(&p, 0, 0, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	n = build_dseg_data(&p, RSM_DSEG_IO_MAX, 0, RSM_DSEG_IO_MAX);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	n = build_dseg_data(&p, 3, 0, 4);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_SIZE);
	n = build_dseg_data(&p, 4, 0, 3);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_SIZE);
	n = build_dseg_data(&p, RSM_DSEG_IO_MAX + 1, 0, RSM_DSEG_IO_MAX + 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	n = build_dseg_data(&p, 1, 1, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	n = build_dseg_data(&p, 1, 0, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 1, 1), RSM_MSGCHK_FDS);
	p.h.flags = RSM_MSGF_REPLY | RSM_MSGF_MORE;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FLAGS);
	n = build(&p, RSM_MSG_DSEG_READ, RSM_MSGF_REPLY, 0, 9, 4);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_SIZE);
	/* The write's reply is empty. */
	n = build(&p, RSM_MSG_DSEG_WRITE, RSM_MSGF_REPLY, 0, 9, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
}

/* ---- ADMIN_REMOTE: another node's replies, checked as their type ---- */

/* An ADMIN_REMOTE reply from node wrapping `inner` bytes of type `wtype`. */
static size_t
build_admin(union pkt *p, uint8_t flags, uint32_t node, uint32_t wtype,
    const void *inner, size_t len)
{
	struct rsm_msg_admin_reply w = { node, wtype, 42 };

	build(p, RSM_MSG_ADMIN_REMOTE, RSM_MSGF_REPLY | flags, 0, 7,
	    sizeof(w) + len);
	memcpy(p->b + HDR, &w, sizeof(w));
	if (len)
		memcpy(p->b + HDR + sizeof(w), inner, len);
	return HDR + sizeof(w) + len;
}

static void
test_admin_remote(void **state)
{
	struct rsm_msg_admin_remote q = { 2, RSM_MSG_STATUS };
	struct rsm_msg_status st;
	struct rsm_msg_seginfo si;
	struct rsm_msg_nodeinfo ni;
	struct rsm_msg_ctlr_reply cr;
	struct rsm_msg_dseg_data dd;
	union pkt p;
	size_t n;

	(void)state;
	memset(&st, 0, sizeof(st));
	memset(&si, 0, sizeof(si));
	memset(&ni, 0, sizeof(ni));
	memset(&cr, 0, sizeof(cr));
	memset(&dd, 0, sizeof(dd));
	strcpy(cr.name, "tcp0");
	/* The request: node and type, exactly; the daemon judges them. */
	n = build(&p, RSM_MSG_ADMIN_REMOTE, 0, 0, 7, sizeof(q));
	memcpy(p.b + HDR, &q, sizeof(q));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	assert_int_equal(rsm_msg_check(p.b, n, 1, 0), RSM_MSGCHK_FDS);
	/* Nothing may follow a type that takes no payload ... */
	n = build(&p, RSM_MSG_ADMIN_REMOTE, 0, 0, 7, sizeof(q) + 8);
	memcpy(p.b + HDR, &q, sizeof(q));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	/* ... nor one that may not be asked, refused by the daemon. */
	q.type = RSM_MSG_DSEG_REMOVE;
	n = build(&p, RSM_MSG_ADMIN_REMOTE, 0, 0, 7, sizeof(q));
	memcpy(p.b + HDR, &q, sizeof(q));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	n = build(&p, RSM_MSG_ADMIN_REMOTE, 0, 0, 7, sizeof(q) +
	    sizeof(struct rsm_msg_dseg_id));
	memcpy(p.b + HDR, &q, sizeof(q));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	/* STATS carries its request, checked as a STATS request. */
	{
		struct rsm_msg_stats_req sq = { RSM_STATSF_SEGID, 0x600002 };

		q.type = RSM_MSG_STATS;
		n = build(&p, RSM_MSG_ADMIN_REMOTE, 0, 0, 7, sizeof(q) +
		    sizeof(sq));
		memcpy(p.b + HDR, &q, sizeof(q));
		memcpy(p.b + HDR + sizeof(q), &sq, sizeof(sq));
		assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
		assert_int_equal(rsm_msg_check(p.b, n - 1, 0, 0),
		    RSM_MSGCHK_LEN);
		n = build(&p, RSM_MSG_ADMIN_REMOTE, 0, 0, 7, sizeof(q) +
		    sizeof(sq) - 1);
		memcpy(p.b + HDR, &q, sizeof(q));
		assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
		n = build(&p, RSM_MSG_ADMIN_REMOTE, 0, 0, 7, sizeof(q));
		memcpy(p.b + HDR, &q, sizeof(q));
		assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
		sq.flags = 0;
		n = build(&p, RSM_MSG_ADMIN_REMOTE, 0, 0, 7, sizeof(q) +
		    sizeof(sq));
		memcpy(p.b + HDR, &q, sizeof(q));
		memcpy(p.b + HDR + sizeof(q), &sq, sizeof(sq));
		assert_int_equal(rsm_msg_check(p.b, n, 0, 0),
		    RSM_MSGCHK_FIELD);
		sq.flags = 0x10;
		memcpy(p.b + HDR + sizeof(q), &sq, sizeof(sq));
		assert_int_equal(rsm_msg_check(p.b, n, 0, 0),
		    RSM_MSGCHK_FIELD);
		q.type = RSM_MSG_STATUS;
	}
	/* Each allowed type, as it would come locally. */
	n = build_admin(&p, 0, 2, RSM_MSG_STATUS, &st, sizeof(st));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	assert_int_equal(rsm_msg_check(p.b, n, 1, 1), RSM_MSGCHK_FDS);
	n = build_admin(&p, RSM_MSGF_MORE, 2, RSM_MSG_LIST_SEGMENTS, &si,
	    sizeof(si));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	n = build_admin(&p, RSM_MSGF_MORE, 65535, RSM_MSG_NODES, &ni,
	    sizeof(ni));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	n = build_admin(&p, 0, 3, RSM_MSG_LIST_CTLRS, &cr, sizeof(cr));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	/* A STATS stream, each entry checked as a local one is. */
	{
		struct rsm_msg_stats se;

		memset(&se, 0, sizeof(se));
		se.kind = RSM_STATS_NODE;
		n = build_admin(&p, RSM_MSGF_MORE, 2, RSM_MSG_STATS, &se,
		    sizeof(se));
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
		n = build_admin(&p, 0, 2, RSM_MSG_STATS, &se, sizeof(se));
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1),
		    RSM_MSGCHK_FIELD);
		se.kind = RSM_STATS_END;
		se.count = 1;
		n = build_admin(&p, 0, 2, RSM_MSG_STATS, &se, sizeof(se));
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
		se.err[0].code = RSMERR_PERM_DENIED;
		n = build_admin(&p, 0, 2, RSM_MSG_STATS, &se, sizeof(se));
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1),
		    RSM_MSGCHK_FIELD);
	}
	/* MORE only where the wrapped type streams. */
	n = build_admin(&p, RSM_MSGF_MORE, 2, RSM_MSG_STATUS, &st, sizeof(st));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FLAGS);
	/* The wrapped reply is checked as its type: size, names. */
	n = build_admin(&p, 0, 2, RSM_MSG_STATUS, &st, sizeof(st) - 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_SIZE);
	n = build_admin(&p, 0, 2, RSM_MSG_STATUS, NULL, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_SIZE);
	memset(ni.addr, 'x', sizeof(ni.addr));
	n = build_admin(&p, RSM_MSGF_MORE, 2, RSM_MSG_NODES, &ni, sizeof(ni));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	memset(cr.name, 'x', sizeof(cr.name));
	n = build_admin(&p, 0, 2, RSM_MSG_LIST_CTLRS, &cr, sizeof(cr));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	/* Nothing but the read-only types, from a node id that can be. */
	n = build_admin(&p, 0, 2, RSM_MSG_DSEG_READ, &dd, sizeof(dd));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	n = build_admin(&p, 0, 2, RSM_MSG_ADMIN_REMOTE, &st, sizeof(st));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	n = build_admin(&p, 0, 2, RSM_MSG_HELLO, &st, 24);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	n = build_admin(&p, 0, 65536, RSM_MSG_STATUS, &st, sizeof(st));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	/* Shorter than its wrapper. */
	n = build(&p, RSM_MSG_ADMIN_REMOTE, RSM_MSGF_REPLY, 0, 7,
	    sizeof(struct rsm_msg_admin_reply) - 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_SIZE);
	/* A refusal ends it like any other: no payload, never MORE. */
	n = build(&p, RSM_MSG_ADMIN_REMOTE, RSM_MSGF_REPLY,
	    RSMERR_UNKNOWN_RSM_ADDR, 7, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	p.h.flags |= RSM_MSGF_MORE;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FLAGS);
}

/* ---- STATS and MONITOR ---- */

static size_t
build_stats(union pkt *p, const struct rsm_msg_stats *st, int more)
{
	build(p, RSM_MSG_STATS, RSM_MSGF_REPLY | (more ? RSM_MSGF_MORE : 0),
	    0, 9, sizeof(*st));
	memcpy(p->b + HDR, st, sizeof(*st));
	return HDR + sizeof(*st);
}

static void
test_stats_request(void **state)
{
	struct rsm_msg_stats_req q = { 0, 0 };
	union pkt p;
	size_t n;

	(void)state;
	n = build(&p, RSM_MSG_STATS, 0, 0, 9, sizeof(q));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	q.flags = RSM_STATSF_SEGID;
	q.segid = 0x500010;
	memcpy(p.b + HDR, &q, sizeof(q));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	/* A segid without the flag that asks for one; an unknown flag. */
	q.flags = 0;
	memcpy(p.b + HDR, &q, sizeof(q));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	q.flags = RSM_STATSF_SEGID << 1;
	q.segid = 0;
	memcpy(p.b + HDR, &q, sizeof(q));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_FIELD);
	/* Exact size, no descriptor. */
	n = build(&p, RSM_MSG_STATS, 0, 0, 9, sizeof(q) + 4);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	n = build(&p, RSM_MSG_STATS, 0, 0, 9, sizeof(q));
	assert_int_equal(rsm_msg_check(p.b, n, 1, 0), RSM_MSGCHK_FDS);
	/* MONITOR asks with nothing and is answered with nothing. */
	n = build(&p, RSM_MSG_MONITOR, 0, 0, 9, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), 0);
	n = build(&p, RSM_MSG_MONITOR, 0, 0, 9, 8);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 0), RSM_MSGCHK_SIZE);
	n = build(&p, RSM_MSG_MONITOR, RSM_MSGF_REPLY, 0, 9, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	n = build(&p, RSM_MSG_MONITOR, RSM_MSGF_REPLY | RSM_MSGF_MORE, 0, 9,
	    0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FLAGS);
	assert_string_equal(rsm_msg_name(RSM_MSG_STATS), "STATS");
	assert_string_equal(rsm_msg_name(RSM_MSG_MONITOR), "MONITOR");
	assert_string_equal(rsm_msg_name(RSM_MSG_MON_EVENT), "MON_EVENT");
}

static void
test_stats_entries(void **state)
{
	struct rsm_msg_stats st;
	union pkt p;
	size_t n;
	uint32_t k;

	(void)state;
	/* Every kind but END comes under MORE; END alone without it. */
	for (k = RSM_STATS_NODE; k <= RSM_STATS_END; k++) {
		memset(&st, 0, sizeof(st));
		st.kind = k;
		n = build_stats(&p, &st, k != RSM_STATS_END);
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
		n = build_stats(&p, &st, k == RSM_STATS_END);
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1),
		    RSM_MSGCHK_FIELD);
	}
	memset(&st, 0, sizeof(st));
	n = build_stats(&p, &st, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	st.kind = RSM_STATS_END + 1;
	n = build_stats(&p, &st, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	/* Only the END counts; its padding is zero. */
	st.kind = RSM_STATS_SEGMENT;
	st.count = 1;
	n = build_stats(&p, &st, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	st.kind = RSM_STATS_END;
	n = build_stats(&p, &st, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	st.pad = 1;
	n = build_stats(&p, &st, 0);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	/* Malformed frames are the node's alone. */
	for (k = RSM_STATS_NODE; k <= RSM_STATS_END; k++) {
		memset(&st, 0, sizeof(st));
		st.kind = k;
		st.malformed = 5;
		n = build_stats(&p, &st, k != RSM_STATS_END);
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1),
		    k == RSM_STATS_NODE ? 0 : RSM_MSGCHK_FIELD);
	}

	/* Errors: a code with a count, each code once, codes in range. */
	memset(&st, 0, sizeof(st));
	st.kind = RSM_STATS_SEGMENT;
	st.err[0].code = RSMERR_PERM_DENIED;
	st.err[0].count = 3;
	st.err[1].code = RSMERR_BAD_LENGTH;
	st.err[1].count = 1;
	n = build_stats(&p, &st, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	st.err[1].code = RSMERR_PERM_DENIED;
	n = build_stats(&p, &st, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	st.err[1].code = 0;
	n = build_stats(&p, &st, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	st.err[1].count = 0;
	st.err[1].code = RSM_STATS_CODE_MAX + 1;
	st.err[1].count = 1;
	n = build_stats(&p, &st, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	st.err[1].code = RSMERR_BAD_LENGTH;
	st.err[1].pad = 1;
	n = build_stats(&p, &st, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);

	/* A peer: a known state, percentiles in order within the window. */
	memset(&st, 0, sizeof(st));
	st.kind = RSM_STATS_PEER;
	st.state = RSM_NODE_STATE_UP;
	st.rtt_samples = RSM_STATS_RTT_WINDOW;
	st.rtt_p50_us = 10;
	st.rtt_p90_us = 20;
	st.rtt_p99_us = 30;
	st.rtt_max_us = 30;
	n = build_stats(&p, &st, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	st.rtt_samples = RSM_STATS_RTT_WINDOW + 1;
	n = build_stats(&p, &st, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	st.rtt_samples = 0;
	n = build_stats(&p, &st, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	st.rtt_samples = 3;
	st.rtt_p90_us = 5;
	n = build_stats(&p, &st, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	st.rtt_p90_us = 20;
	st.state = RSM_NODE_STATE_IDLE + 1;
	n = build_stats(&p, &st, 1);
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	/* Never sent by a client. */
	st.state = RSM_NODE_STATE_UP;
	n = build_stats(&p, &st, 1);
	assert_int_not_equal(rsm_msg_check(p.b, n, 0, 0), 0);
}

static void
test_mon_events(void **state)
{
	struct rsm_msg_mon_event ev;
	union pkt p;
	size_t n;
	uint32_t k;

	(void)state;
	for (k = 0; k <= RSM_MON_KIND_MAX + 1; k++) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = k;
		n = build(&p, RSM_MSG_MON_EVENT, 0, 0, 0, sizeof(ev));
		memcpy(p.b + HDR, &ev, sizeof(ev));
		assert_int_equal(rsm_msg_check(p.b, n, 0, 1),
		    k >= 1 && k <= RSM_MON_KIND_MAX ? 0 : RSM_MSGCHK_FIELD);
	}
	ev.kind = RSM_MON_REFUSAL;
	ev.code = RSM_STATS_CODE_MAX + 1;
	memcpy(p.b + HDR, &ev, sizeof(ev));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FIELD);
	ev.code = RSMERR_PERM_DENIED;
	memcpy(p.b + HDR, &ev, sizeof(ev));
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), 0);
	/* A notification: id 0, never a reply, never from a client. */
	p.h.id = 4;
	assert_int_equal(rsm_msg_check(p.b, n, 0, 1), RSM_MSGCHK_FLAGS);
	p.h.id = 0;
	assert_int_equal(rsm_msg_check(p.b, n, 1, 1), RSM_MSGCHK_FDS);
	assert_int_not_equal(rsm_msg_check(p.b, n, 0, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests_accepted),
		cmocka_unit_test(test_publish_lists_accepted),
		cmocka_unit_test(test_replies_accepted),
		cmocka_unit_test(test_cluster_messages),
		cmocka_unit_test(test_notifications_accepted),
		cmocka_unit_test(test_short_and_header_faults),
		cmocka_unit_test(test_unknown_types),
		cmocka_unit_test(test_request_direction_faults),
		cmocka_unit_test(test_reply_direction_faults),
		cmocka_unit_test(test_wrong_payload_sizes),
		cmocka_unit_test(test_publish_list_faults),
		cmocka_unit_test(test_node_id_range),
		cmocka_unit_test(test_fd_counts),
		cmocka_unit_test(test_unterminated_names),
		cmocka_unit_test(test_topology_messages),
		cmocka_unit_test(test_descriptions),
		cmocka_unit_test(test_stats_request),
		cmocka_unit_test(test_stats_entries),
		cmocka_unit_test(test_mon_events),
		cmocka_unit_test(test_roundtrip_plain),
		cmocka_unit_test(test_roundtrip_fd),
		cmocka_unit_test(test_extra_fds_counted_and_closed),
		cmocka_unit_test(test_truncated_packet),
		cmocka_unit_test(test_send_errors),
		cmocka_unit_test(test_batches),
		cmocka_unit_test(test_connect_reply_capability),
		cmocka_unit_test(test_connect_reply_addresses),
		cmocka_unit_test(test_data_hello_proof),
		cmocka_unit_test(test_data_request_checks),
		cmocka_unit_test(test_data_putm_checks),
		cmocka_unit_test(test_data_reply_checks),
		cmocka_unit_test(test_data_atomic_checks),
		cmocka_unit_test(test_dseg_create),
		cmocka_unit_test(test_dseg_remove),
		cmocka_unit_test(test_dseg_io),
		cmocka_unit_test(test_admin_remote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
