/*
 * rsm_proto.c - framing, validation and fd passing for rsm's messages.
 * Shared by librsm, rsmd and rsmadm; see rsm_proto.h for the rules.
 */
#include "rsm_proto.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsm_admin.h"

/* fd columns: 0 never, 1 always (success replies only), 2 optional. */
struct msg_desc {
	const char *name;
	ssize_t req_size;
	ssize_t reply_size;
	uint8_t fd_req;
	uint8_t fd_reply;
	uint8_t notification;
};

/* Payload sizes by payload name; "none" is an empty payload. */
#define PSZ_none		0
#define PSZ_hello		sizeof(struct rsm_msg_hello)
#define PSZ_hello_reply		sizeof(struct rsm_msg_hello_reply)
#define PSZ_ctlr		sizeof(struct rsm_msg_ctlr)
#define PSZ_ctlr_reply		sizeof(struct rsm_msg_ctlr_reply)
#define PSZ_export_create	sizeof(struct rsm_msg_export_create)
#define PSZ_handle		sizeof(struct rsm_msg_handle)
#define PSZ_rebind		sizeof(struct rsm_msg_rebind)
#define PSZ_publish		sizeof(struct rsm_msg_publish)
#define PSZ_publish_reply	sizeof(struct rsm_msg_publish_reply)
#define PSZ_connect		sizeof(struct rsm_msg_connect)
#define PSZ_connect_reply	sizeof(struct rsm_msg_connect_reply)
#define PSZ_signal		sizeof(struct rsm_msg_signal)
#define PSZ_topology		sizeof(struct rsm_msg_topology)
#define PSZ_status		sizeof(struct rsm_msg_status)
#define PSZ_seginfo		sizeof(struct rsm_msg_seginfo)
#define PSZ_nodeinfo		sizeof(struct rsm_msg_nodeinfo)
#define PSZ_ping		sizeof(struct rsm_msg_ping)
#define PSZ_ping_reply		sizeof(struct rsm_msg_ping_reply)
#define PSZ_event		sizeof(struct rsm_msg_event)
#define PSZ_revoked		sizeof(struct rsm_msg_revoked)
#define PSZ_rebound		sizeof(struct rsm_msg_rebound)
#define PSZ_dseg_create		sizeof(struct rsm_msg_dseg_create)
#define PSZ_dseg_id		sizeof(struct rsm_msg_dseg_id)
#define PSZ_dseg_io		sizeof(struct rsm_msg_dseg_io)
#define PSZ_dseg_data		sizeof(struct rsm_msg_dseg_data)
#define PSZ_stats_req		sizeof(struct rsm_msg_stats_req)
#define PSZ_stats		sizeof(struct rsm_msg_stats)
#define PSZ_mon_event		sizeof(struct rsm_msg_mon_event)
#define PSZ_admin_remote	sizeof(struct rsm_msg_admin_remote)
#define PSZ_admin_reply		sizeof(struct rsm_msg_admin_reply)

static const struct msg_desc *
desc_of(uint16_t type)
{
	switch (type) {
#define RSM_X_CASE(name, val, rq, rp, fdq, fdp, dir)			\
	case val: {							\
		static const struct msg_desc d = { #name,		\
		    (ssize_t)PSZ_##rq, (ssize_t)PSZ_##rp, fdq, fdp,	\
		    #dir[0] == 'N' };					\
		return &d;						\
	}
	RSM_MSG_TYPES(RSM_X_CASE)
#undef RSM_X_CASE
	default:
		return NULL;
	}
}

ssize_t
rsm_msg_req_size(uint16_t type)
{
	const struct msg_desc *d = desc_of(type);

	return d ? d->req_size : -1;
}

ssize_t
rsm_msg_reply_size(uint16_t type)
{
	const struct msg_desc *d = desc_of(type);

	return d ? d->reply_size : -1;
}

int
rsm_msg_wants_fd(uint16_t type, int is_reply)
{
	const struct msg_desc *d = desc_of(type);

	if (d == NULL)
		return 0;
	return is_reply ? d->fd_reply : d->fd_req;
}

const char *
rsm_msg_name(uint16_t type)
{
	const struct msg_desc *d = desc_of(type);

	return d ? d->name : "UNKNOWN";
}

const char *
rsm_msgchk_str(int code)
{
	switch (code) {
	case 0: return "ok";
	case RSM_MSGCHK_SHORT: return "shorter than a header";
	case RSM_MSGCHK_MAGIC: return "bad magic";
	case RSM_MSGCHK_VERSION: return "unsupported protocol version";
	case RSM_MSGCHK_LEN: return "length field disagrees with packet size";
	case RSM_MSGCHK_TYPE: return "unknown message type";
	case RSM_MSGCHK_FLAGS: return "flags invalid for direction";
	case RSM_MSGCHK_SIZE: return "payload size wrong for type";
	case RSM_MSGCHK_FDS: return "wrong number of file descriptors";
	case RSM_MSGCHK_ID: return "request id invalid";
	case RSM_MSGCHK_FIELD: return "field out of range";
	default: return "unknown fault";
	}
}

/* Publish/republish carry a counted list: the size must match the count. */
static int
check_publish(const void *payload, size_t plen)
{
	const struct rsm_msg_publish *p = payload;

	if (plen < sizeof(*p))
		return RSM_MSGCHK_SIZE;
	if (p->acl_len > RSM_ACL_MAX)
		return RSM_MSGCHK_FIELD;
	if (plen != sizeof(*p) + (size_t)p->acl_len * sizeof(struct rsm_wire_ace))
		return RSM_MSGCHK_SIZE;
	return 0;
}

_Static_assert(sizeof(struct rsm_msg_hdr) + sizeof(struct rsm_msg_dseg_io) +
    RSM_DSEG_IO_MAX <= RSM_MSG_MAX, "a DSEG_WRITE fits");
_Static_assert(sizeof(struct rsm_msg_hdr) + sizeof(struct rsm_msg_dseg_create)
    + RSM_ACL_MAX * sizeof(struct rsm_wire_ace) <= RSM_MSG_MAX,
    "a DSEG_CREATE fits");

/*
 * The daemon-segment requests: counted lists and data exact for their
 * counts, flags and mode within their ranges, padding zero.  Ranges the
 * daemon's configuration decides (segid, size) are the daemon's to check.
 */
static int
check_dseg_req(uint16_t type, const void *payload, size_t plen)
{
	switch (type) {
	case RSM_MSG_DSEG_CREATE: {
		struct rsm_msg_dseg_create m;

		if (plen < sizeof(m))
			return RSM_MSGCHK_SIZE;
		memcpy(&m, payload, sizeof(m));
		if (m.acl_len > RSM_ACL_MAX || m.mode > 0777 ||
		    (m.flags & ~RSM_DSEG_FLAGS) != 0)
			return RSM_MSGCHK_FIELD;
		if (plen != sizeof(m) + (size_t)m.acl_len *
		    sizeof(struct rsm_wire_ace))
			return RSM_MSGCHK_SIZE;
		return 0;
	}
	case RSM_MSG_DSEG_REMOVE: {
		struct rsm_msg_dseg_id m;

		if (plen != sizeof(m))
			return RSM_MSGCHK_SIZE;
		memcpy(&m, payload, sizeof(m));
		return m.pad == 0 ? 0 : RSM_MSGCHK_FIELD;
	}
	default: {	/* DSEG_READ, DSEG_WRITE */
		struct rsm_msg_dseg_io m;

		if (plen < sizeof(m))
			return RSM_MSGCHK_SIZE;
		memcpy(&m, payload, sizeof(m));
		if (m.len == 0 || m.len > RSM_DSEG_IO_MAX)
			return RSM_MSGCHK_FIELD;
		if (plen != sizeof(m) + (type == RSM_MSG_DSEG_WRITE ?
		    (size_t)m.len : 0))
			return RSM_MSGCHK_SIZE;
		return 0;
	}
	}
}

static int
is_dseg(uint16_t type)
{
	return type == RSM_MSG_DSEG_CREATE || type == RSM_MSG_DSEG_REMOVE ||
	    type == RSM_MSG_DSEG_READ || type == RSM_MSG_DSEG_WRITE;
}

/* DSEG_READ's reply: the data exact for its count, padding zero. */
static int
check_dseg_data(const void *payload, size_t plen)
{
	struct rsm_msg_dseg_data d;

	if (plen < sizeof(d))
		return RSM_MSGCHK_SIZE;
	memcpy(&d, payload, sizeof(d));
	if (d.len > RSM_DSEG_IO_MAX || d.pad != 0)
		return RSM_MSGCHK_FIELD;
	if (plen != sizeof(d) + d.len)
		return RSM_MSGCHK_SIZE;
	return 0;
}

/*
 * A capability's further addresses: at most RSM_CAP_ADDRS_MAX - 1, each
 * with a known family and a port, zero padding, unused entries all zero.
 */
static int
check_more(const struct rsm_wire_cap *c)
{
	static const struct rsm_wire_capaddr zero;
	unsigned i;

	if (c->nmore > RSM_CAP_ADDRS_MAX - 1 || c->pad[0] != 0 ||
	    c->pad[1] != 0 || c->pad[2] != 0)
		return -1;
	if (c->nmore != 0 && c->family == RSM_CAP_NONE)
		return -1;
	for (i = 0; i < RSM_CAP_ADDRS_MAX - 1; i++) {
		const struct rsm_wire_capaddr *a = &c->more[i];

		if (i >= c->nmore) {
			if (memcmp(a, &zero, sizeof(zero)) != 0)
				return -1;
		} else if ((a->family != RSM_CAP_INET &&
		    a->family != RSM_CAP_INET6) || a->port == 0 || a->pad != 0)
			return -1;
	}
	return 0;
}

/*
 * A connect reply carries either an fd (shm) or a capability (tcp, verbs),
 * never both; a capability names a known family, kind and a port, and only
 * a verbs one carries an rkey.
 */
static int
check_connect_reply(const void *payload, int nfds)
{
	struct rsm_msg_connect_reply r;

	memcpy(&r, payload, sizeof(r));
	if (r.cap.kind != RSM_CAPK_TCP && r.cap.kind != RSM_CAPK_VERBS &&
	    r.cap.kind != RSM_CAPK_UCX)
		return RSM_MSGCHK_FIELD;
	if (r.cap.kind != RSM_CAPK_VERBS && (r.cap.rkey != 0 ||
	    r.cap.nmore != 0))
		return RSM_MSGCHK_FIELD;
	if (check_more(&r.cap) != 0)
		return RSM_MSGCHK_FIELD;
	switch (r.cap.family) {
	case RSM_CAP_NONE:
		return r.cap.kind == RSM_CAPK_TCP ? 0 : RSM_MSGCHK_FIELD;
	case RSM_CAP_INET:
	case RSM_CAP_INET6:
		if (r.cap.port == 0)
			return RSM_MSGCHK_FIELD;
		return nfds == 0 ? 0 : RSM_MSGCHK_FDS;
	default:
		return RSM_MSGCHK_FIELD;
	}
}

/* Strings inside fixed arrays must be NUL-terminated within the array. */
static int
check_name(const char *name)
{
	return memchr(name, '\0', RSM_CTLR_NAME_MAX) ? 0 : RSM_MSGCHK_FIELD;
}

/* The largest HEAD and PART fit a packet, entries right after the fixed part. */
_Static_assert(offsetof(struct rsm_msg_topology_head, ctlr) ==
    sizeof(struct rsm_msg_topology), "HEAD entries follow the fixed part");
_Static_assert(offsetof(struct rsm_msg_topology_part, remote) ==
    sizeof(struct rsm_msg_topology), "PART entries follow the fixed part");
_Static_assert(sizeof(struct rsm_msg_hdr) +
    sizeof(struct rsm_msg_topology_part) <= RSM_MSG_MAX, "a PART fits");
_Static_assert(sizeof(struct rsm_msg_hdr) +
    sizeof(struct rsm_msg_topology_head) <= RSM_MSG_MAX, "a HEAD fits");

/*
 * One message of a TOPOLOGY stream, alone (rsm_proto.h): its kind goes
 * with the MORE flag, its counts are in range and its size exact for
 * them, the fields its kind does not use are zero, every name ends.  The
 * receiver checks how the messages fit together.
 */
static int
check_topology(const void *payload, size_t plen, int more)
{
	struct rsm_msg_topology t;
	const unsigned char *e = (const unsigned char *)payload + sizeof(t);
	size_t esz = 0, i;

	if (plen < sizeof(t))
		return RSM_MSGCHK_SIZE;
	memcpy(&t, payload, sizeof(t));
	switch (t.kind) {
	case RSM_TOPO_HEAD:
		if (!more || t.count > RSM_TOPO_CTLR_MAX ||
		    t.nremote > RSM_TOPO_REMOTE_MAX || t.first != 0 ||
		    t.nparts != 0)
			return RSM_MSGCHK_FIELD;
		esz = sizeof(struct rsm_wire_ctlr);
		break;
	case RSM_TOPO_PART:
		if (!more || t.count == 0 || t.count > RSM_TOPO_PART_MAX ||
		    t.first > RSM_TOPO_REMOTE_MAX - t.count ||
		    t.node_id != 0 || t.nremote != 0 || t.nparts != 0)
			return RSM_MSGCHK_FIELD;
		esz = sizeof(struct rsm_wire_remote);
		break;
	case RSM_TOPO_END:
		if (more || t.count != 0 || t.node_id != 0 || t.first != 0 ||
		    t.nremote > RSM_TOPO_REMOTE_MAX ||
		    t.nparts > RSM_TOPO_REMOTE_MAX)
			return RSM_MSGCHK_FIELD;
		break;
	default:
		return RSM_MSGCHK_FIELD;
	}
	if (plen != sizeof(t) + (size_t)t.count * esz)
		return RSM_MSGCHK_SIZE;
	for (i = 0; i < t.count; i++) {
		if (t.kind == RSM_TOPO_HEAD) {
			struct rsm_wire_ctlr c;

			memcpy(&c, e + i * esz, sizeof(c));
			if (check_name(c.name) != 0)
				return RSM_MSGCHK_FIELD;
		} else {
			struct rsm_wire_remote r;

			memcpy(&r, e + i * esz, sizeof(r));
			if (check_name(r.name) != 0 || r.pad != 0 ||
			    r.local_ctlr >= RSM_TOPO_CTLR_MAX)
				return RSM_MSGCHK_FIELD;
		}
	}
	return 0;
}

/* STATS: flags known, segid only with the flag that asks for one. */
static int
check_stats_req(const void *payload, size_t plen)
{
	struct rsm_msg_stats_req q;

	if (plen != sizeof(q))
		return RSM_MSGCHK_SIZE;
	memcpy(&q, payload, sizeof(q));
	if ((q.flags & ~RSM_STATSF_ALL) != 0 ||
	    (!(q.flags & RSM_STATSF_SEGID) && q.segid != 0))
		return RSM_MSGCHK_FIELD;
	return 0;
}

/* Replies that may come as a stream. */
static int
more_allowed(uint16_t type)
{
	return type == RSM_MSG_LIST_SEGMENTS || type == RSM_MSG_LIST_CTLRS ||
	    type == RSM_MSG_NODES || type == RSM_MSG_TOPOLOGY ||
	    type == RSM_MSG_STATS || type == RSM_MSG_ADMIN_REMOTE;
}

static int check_stats(const void *payload, int more);

/* A successful reply's payload (plen bytes) and descriptors, by type. */
static int
check_reply(uint16_t type, const struct msg_desc *d, const uint8_t *payload,
    size_t plen, int nfds, int more)
{
	int want;

	if (type == RSM_MSG_TOPOLOGY) {
		if (nfds != 0)
			return RSM_MSGCHK_FDS;
		return check_topology(payload, plen, more);
	}
	if (type == RSM_MSG_DSEG_READ) {
		if (nfds != 0)
			return RSM_MSGCHK_FDS;
		return check_dseg_data(payload, plen);
	}
	if ((ssize_t)plen != d->reply_size)
		return RSM_MSGCHK_SIZE;
	want = d->fd_reply;
	if ((want == 1 && nfds != 1) || (want == 0 && nfds != 0) || nfds > 1)
		return RSM_MSGCHK_FDS;
	if (type == RSM_MSG_IMPORT_CONNECT)
		return check_connect_reply(payload, nfds);
	if (type == RSM_MSG_STATS)
		return check_stats(payload, more);
	if (type == RSM_MSG_NODES)
		return memchr(((const struct rsm_msg_nodeinfo *)(const void *)
		    payload)->addr, '\0', RSM_NODE_ADDR_MAX) ? 0 :
		    RSM_MSGCHK_FIELD;
	if (type == RSM_MSG_CTLR_QUERY || type == RSM_MSG_LIST_CTLRS)
		return check_name(((const struct rsm_msg_ctlr_reply *)
		    (const void *)payload)->name);
	return 0;
}

/*
 * One message of a STATS stream, alone: its kind goes with the MORE flag
 * (only the END lacks it), the error table names each code at most once
 * with a count exactly when it names one, only the NODE counts malformed
 * frames, the round trips are within the window and in order, padding is
 * zero.  The receiver checks the count.
 */
static int
check_stats(const void *payload, int more)
{
	struct rsm_msg_stats st;
	unsigned i, j;

	memcpy(&st, payload, sizeof(st));
	if (st.kind < RSM_STATS_NODE || st.kind > RSM_STATS_END ||
	    (st.kind == RSM_STATS_END) == (more != 0) || st.pad != 0)
		return RSM_MSGCHK_FIELD;
	if ((st.kind != RSM_STATS_END && st.count != 0) ||
	    (st.kind != RSM_STATS_NODE && st.malformed != 0))
		return RSM_MSGCHK_FIELD;
	for (i = 0; i < RSM_STATS_ERRS; i++) {
		const struct rsm_wire_errcount *e = &st.err[i];

		if (e->pad != 0 || (e->code == 0) != (e->count == 0) ||
		    e->code > RSM_STATS_CODE_MAX)
			return RSM_MSGCHK_FIELD;
		for (j = 0; e->code != 0 && j < i; j++)
			if (st.err[j].code == e->code)
				return RSM_MSGCHK_FIELD;
	}
	if (st.state > RSM_NODE_STATE_IDLE ||
	    st.rtt_samples > RSM_STATS_RTT_WINDOW ||
	    st.rtt_p50_us > st.rtt_p90_us || st.rtt_p90_us > st.rtt_p99_us ||
	    st.rtt_p99_us > st.rtt_max_us ||
	    (st.rtt_samples == 0 && st.rtt_max_us != 0))
		return RSM_MSGCHK_FIELD;
	return 0;
}

/* MON_EVENT: a known kind, a code within the codes. */
static int
check_mon_event(const void *payload)
{
	struct rsm_msg_mon_event ev;

	memcpy(&ev, payload, sizeof(ev));
	if (ev.kind == 0 || ev.kind > RSM_MON_KIND_MAX ||
	    ev.code > RSM_STATS_CODE_MAX)
		return RSM_MSGCHK_FIELD;
	return 0;
}

/*
 * ADMIN_REMOTE's reply: its wrapper, then a reply of the wrapped type
 * checked as that type is (MORE only where that type may stream).  The
 * wrapped reply is copied to an aligned buffer first: it starts 16
 * bytes in.
 */
static int
check_admin_reply(const uint8_t *payload, size_t plen, int nfds, int more)
{
	union {
		uint64_t align;
		uint8_t b[RSM_MSG_MAX];
	} inner;
	struct rsm_msg_admin_reply w;
	const struct msg_desc *d;

	if (plen < sizeof(w))
		return RSM_MSGCHK_SIZE;
	memcpy(&w, payload, sizeof(w));
	if (!rsm_admin_remote_allowed(w.type) || w.node > RSM_NODE_ID_MAX ||
	    (d = desc_of((uint16_t)w.type)) == NULL)
		return RSM_MSGCHK_FIELD;
	if (more && !more_allowed((uint16_t)w.type))
		return RSM_MSGCHK_FLAGS;
	memcpy(inner.b, payload + sizeof(w), plen - sizeof(w));
	return check_reply((uint16_t)w.type, d, inner.b, plen - sizeof(w),
	    nfds, more);
}

/*
 * ADMIN_REMOTE's request: node and type, then the argument of the
 * wrapped request, checked as that request's payload.  A type that may
 * not be asked carries none: the daemon refuses it by its type (and says
 * so), which it can only do for a packet that passed.
 */
static int
check_admin_request(const uint8_t *payload, size_t plen)
{
	struct rsm_msg_admin_remote q;

	if (plen < sizeof(q))
		return RSM_MSGCHK_SIZE;
	memcpy(&q, payload, sizeof(q));
	if (!rsm_admin_remote_allowed(q.type))
		return plen == sizeof(q) ? 0 : RSM_MSGCHK_SIZE;
	return rsm_admin_arg_check(q.type, payload + sizeof(q),
	    plen - sizeof(q));
}

int
rsm_msg_check(const void *buf, size_t n, int nfds, int from_daemon)
{
	struct rsm_msg_hdr h;
	const struct msg_desc *d;
	const uint8_t *payload;
	size_t plen;
	int is_reply, want;

	if (buf == NULL || n < sizeof(h))
		return RSM_MSGCHK_SHORT;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != RSM_PROTO_MAGIC)
		return RSM_MSGCHK_MAGIC;
	if (h.version != RSM_PROTO_VERSION)
		return RSM_MSGCHK_VERSION;
	if (h.len != n || n > RSM_MSG_MAX)
		return RSM_MSGCHK_LEN;
	if (h.reserved != 0)
		return RSM_MSGCHK_FLAGS;
	if ((d = desc_of(h.type)) == NULL)
		return RSM_MSGCHK_TYPE;
	if (h.flags & ~RSM_MSGF_ALL)
		return RSM_MSGCHK_FLAGS;
	is_reply = (h.flags & RSM_MSGF_REPLY) != 0;
	payload = (const uint8_t *)buf + sizeof(h);
	plen = n - sizeof(h);

	if (!from_daemon) {
		/* The daemon accepts requests only. */
		if (is_reply || (h.flags & RSM_MSGF_MORE) || d->notification)
			return RSM_MSGCHK_FLAGS;
		/* Only a request whose answer says nothing may go unanswered. */
		if ((h.flags & RSM_MSGF_POSTED) &&
		    h.type != RSM_MSG_IMPORT_DISCONNECT)
			return RSM_MSGCHK_FLAGS;
		if (h.id == 0)
			return RSM_MSGCHK_ID;
		if (h.status != 0)
			return RSM_MSGCHK_FIELD;
		if (h.type == RSM_MSG_PUBLISH || h.type == RSM_MSG_REPUBLISH) {
			int rc = check_publish(payload, plen);
			if (rc)
				return rc;
		} else if (is_dseg(h.type)) {
			int rc = check_dseg_req(h.type, payload, plen);
			if (rc)
				return rc;
		} else if (h.type == RSM_MSG_STATS) {
			int rc = check_stats_req(payload, plen);
			if (rc)
				return rc;
		} else if (h.type == RSM_MSG_ADMIN_REMOTE) {
			int rc = check_admin_request(payload, plen);
			if (rc)
				return rc;
		} else if ((ssize_t)plen != d->req_size)
			return RSM_MSGCHK_SIZE;
		want = d->fd_req;
		if ((want == 1 && nfds != 1) || (want == 0 && nfds != 0) ||
		    nfds > 1)
			return RSM_MSGCHK_FDS;
		if (h.type == RSM_MSG_CTLR_QUERY)
			return check_name(((const struct rsm_msg_ctlr *)
			    (const void *)payload)->name);
		return 0;
	}

	/* From the daemon: a reply to one of ours, or a notification. */
	if (h.flags & RSM_MSGF_POSTED)
		return RSM_MSGCHK_FLAGS;
	if (d->notification) {
		if (is_reply || h.id != 0 || h.status != 0 ||
		    (h.flags & RSM_MSGF_MORE))
			return RSM_MSGCHK_FLAGS;
		if ((ssize_t)plen != d->req_size)
			return RSM_MSGCHK_SIZE;
		if (h.type == RSM_MSG_MON_EVENT) {
			if (nfds != 0)
				return RSM_MSGCHK_FDS;
			return check_mon_event(payload);
		}
		want = d->fd_req;
		if ((want == 1 && nfds != 1) || (want == 0 && nfds != 0) ||
		    nfds > 1)
			return RSM_MSGCHK_FDS;
		return 0;
	}
	if (!is_reply)
		return RSM_MSGCHK_FLAGS;
	if ((h.flags & RSM_MSGF_MORE) && !more_allowed(h.type))
		return RSM_MSGCHK_FLAGS;
	if (h.id == 0)
		return RSM_MSGCHK_ID;
	if (h.status != RSM_SUCCESS) {
		/* An error reply ends its request: no MORE, no fd. */
		if (h.flags & RSM_MSGF_MORE)
			return RSM_MSGCHK_FLAGS;
		if (plen != 0)
			return RSM_MSGCHK_SIZE;
		return nfds == 0 ? 0 : RSM_MSGCHK_FDS;
	}
	if (h.type == RSM_MSG_ADMIN_REMOTE)
		return check_admin_reply(payload, plen, nfds,
		    (h.flags & RSM_MSGF_MORE) != 0);
	return check_reply(h.type, d, payload, plen, nfds,
	    (h.flags & RSM_MSGF_MORE) != 0);
}

void
rsm_msg_hdr_init(struct rsm_msg_hdr *h, uint16_t type, uint8_t flags,
    uint32_t status, uint64_t id, size_t payload_len)
{
	memset(h, 0, sizeof(*h));
	h->magic = RSM_PROTO_MAGIC;
	h->version = RSM_PROTO_VERSION;
	h->flags = flags;
	h->type = type;
	h->len = (uint32_t)(sizeof(*h) + payload_len);
	h->status = status;
	h->id = id;
}

/* Room for the one descriptor a message may carry. */
union msg_cmsg_out {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/* Room for descriptors a hostile sender adds, so they can be counted. */
union msg_cmsg_in {
	char buf[CMSG_SPACE(sizeof(int) * 8)];
	struct cmsghdr align;
};

/* The msghdr of one outgoing message (iov[2], cm: the caller's storage). */
static void
msg_out_fill(struct msghdr *mh, struct iovec iov[2], union msg_cmsg_out *cm,
    const struct rsm_msg_hdr *h, const void *payload, size_t payload_len,
    int fd)
{
	memset(mh, 0, sizeof(*mh));
	iov[0].iov_base = (void *)(uintptr_t)h;
	iov[0].iov_len = sizeof(*h);
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = payload_len;
	mh->msg_iov = iov;
	mh->msg_iovlen = payload_len ? 2 : 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(cm, 0, sizeof(*cm));
		mh->msg_control = cm->buf;
		mh->msg_controllen = sizeof(cm->buf);
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
}

int
rsm_msg_send(int sock, const struct rsm_msg_hdr *h, const void *payload,
    size_t payload_len, int fd)
{
	struct iovec iov[2];
	struct msghdr mh;
	union msg_cmsg_out cm;
	ssize_t n;

	msg_out_fill(&mh, iov, &cm, h, payload, payload_len, fd);
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != sizeof(*h) + payload_len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
rsm_msg_send_many(int sock, const struct rsm_msg_out *out, unsigned n)
{
	struct mmsghdr mm[RSM_MSG_BATCH];
	struct iovec iov[RSM_MSG_BATCH][2];
	union msg_cmsg_out cm[RSM_MSG_BATCH];
	unsigned i;
	int r;

	if (n > RSM_MSG_BATCH)
		n = RSM_MSG_BATCH;
	for (i = 0; i < n; i++) {
		msg_out_fill(&mm[i].msg_hdr, iov[i], &cm[i], out[i].h,
		    out[i].payload, out[i].len, out[i].fd);
		mm[i].msg_len = 0;
	}
	do {
		r = sendmmsg(sock, mm, n, MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	/* A packet is sent whole or not at all; anything else is an error. */
	for (i = 0; i < (unsigned)r; i++)
		if (mm[i].msg_len != sizeof(*out[i].h) + out[i].len)
			break;
	if (i == 0) {
		errno = EMSGSIZE;
		return -1;
	}
	return (int)i;
}

/*
 * What came with a received packet: the first descriptor in *fdp (-1 if
 * none), any others closed; returns how many there were.
 */
static int
msg_in_fds(struct msghdr *mh, int *fdp)
{
	struct cmsghdr *c;
	int nfds = 0;

	*fdp = -1;
	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		size_t i, cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < cnt; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fdp < 0)
				*fdp = fd;
			else
				close(fd);
			nfds++;
		}
	}
	/* A truncated packet keeps nothing. */
	if ((mh->msg_flags & (MSG_TRUNC | MSG_CTRUNC)) && *fdp >= 0) {
		close(*fdp);
		*fdp = -1;
	}
	return nfds;
}

ssize_t
rsm_msg_recv(int sock, void *buf, size_t cap, int *fdp, int *nfdsp)
{
	struct iovec iov;
	struct msghdr mh;
	union msg_cmsg_in cm;
	ssize_t n;

	*fdp = -1;
	*nfdsp = 0;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = cap;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	*nfdsp = msg_in_fds(&mh, fdp);
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		errno = EMSGSIZE;
		return -1;
	}
	return n;
}

int
rsm_msg_recv_many(int sock, struct rsm_msg_in *in, unsigned n, size_t cap,
    int wait_first)
{
	struct mmsghdr mm[RSM_MSG_BATCH];
	struct iovec iov[RSM_MSG_BATCH];
	union msg_cmsg_in cm[RSM_MSG_BATCH];
	unsigned i;
	int r;

	if (n > RSM_MSG_BATCH)
		n = RSM_MSG_BATCH;
	memset(mm, 0, n * sizeof(mm[0]));
	for (i = 0; i < n; i++) {
		iov[i].iov_base = in[i].buf;
		iov[i].iov_len = cap;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_control = cm[i].buf;
		mm[i].msg_hdr.msg_controllen = sizeof(cm[i].buf);
	}
	do {
		r = recvmmsg(sock, mm, n, MSG_CMSG_CLOEXEC |
		    (wait_first ? MSG_WAITFORONE : MSG_DONTWAIT), NULL);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	for (i = 0; i < (unsigned)r; i++) {
		in[i].nfds = msg_in_fds(&mm[i].msg_hdr, &in[i].fd);
		in[i].len = (ssize_t)mm[i].msg_len;
		in[i].truncated = (mm[i].msg_hdr.msg_flags &
		    (MSG_TRUNC | MSG_CTRUNC)) != 0;
		/* An orderly close ends the batch: nothing follows it. */
		if (in[i].len == 0 && !in[i].truncated)
			return (int)i + 1;
	}
	return r;
}

unsigned
rsm_wire_sockaddr(uint8_t family, const uint8_t addr[16], uint16_t port,
    struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == RSM_CAP_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, addr, 16);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, addr, 4);
		return sizeof(*s4);
	}
}
