/*
 * client.c - rsmadm's side of the control protocol: connect, HELLO, one
 * request, and its replies up to the one without RSM_MSGF_MORE.
 *
 * The socket is non-blocking and every wait goes through poll() against
 * one deadline set when the connection opens, so a daemon that is stuck,
 * slow or hostile cannot make the tool hang.  Every packet is checked with
 * rsm_msg_check() before any field is read.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "rsmadm.h"
#include "rsm_clock.h"
#include "rsm_err.h"
#include "rsmapi.h"

/* A hostile daemon could stream list entries forever; this bounds memory. */
#define ADM_LIST_MAX	(1u << 20)

typedef int (*reply_fn)(struct adm_conn *, void *ctx, const void *payload,
    size_t len, int more);

static int
remaining_ms(const struct adm_conn *c)
{
	int64_t left = c->deadline_ms - (int64_t)rsm_now_ms();

	return left > 0 ? (int)left : 0;
}

static int
timed_out(const struct adm_conn *c)
{
	fprintf(stderr, "rsmadm: rsmd at %s did not answer within %d s\n",
	    c->path, ADM_TIMEOUT_MS / 1000);
	return ADM_EXIT_UNREACHABLE;
}

static int
lost(const struct adm_conn *c, const char *what)
{
	fprintf(stderr, "rsmadm: lost rsmd at %s: %s: %s\n", c->path, what,
	    strerror(errno));
	return ADM_EXIT_UNREACHABLE;
}

static int
fault(const struct adm_conn *c, const char *why)
{
	fprintf(stderr, "rsmadm: malformed reply from rsmd at %s: %s\n",
	    c->path, why);
	return ADM_EXIT_UNREACHABLE;
}

/* Wait for `events` on the socket until the deadline; 0, or an exit code. */
static int
wait_for(struct adm_conn *c, short events)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	int n;

	for (;;) {
		n = poll(&pfd, 1, remaining_ms(c));
		if (n > 0)
			return 0;
		if (n == 0)
			return timed_out(c);
		if (errno != EINTR)
			return lost(c, "poll");
	}
}

int
adm_open(struct adm_conn *c, const char *path)
{
	struct sockaddr_un sun;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->path = path;
	c->next_id = 1;
	c->deadline_ms = (int64_t)rsm_now_ms() + ADM_TIMEOUT_MS;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		goto unreachable;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);

	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (c->fd < 0)
		goto unreachable;
	/*
	 * A non-blocking AF_UNIX connect fails with EAGAIN while the
	 * listener's backlog is full instead of waiting: retry briefly.
	 */
	for (;;) {
		if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			goto unreachable;
		if (remaining_ms(c) == 0) {
			adm_close(c);
			return timed_out(c);
		}
		poll(NULL, 0, 10);
	}
	return 0;

unreachable:
	fprintf(stderr, "rsmadm: cannot reach rsmd at %s: %s "
	    "(is rsmd running?)\n", path, strerror(errno));
	adm_close(c);
	return ADM_EXIT_UNREACHABLE;
}

void
adm_close(struct adm_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int
send_request(struct adm_conn *c, uint16_t type, uint64_t id,
    const void *payload, size_t len)
{
	struct rsm_msg_hdr h;
	int rc;

	rsm_msg_hdr_init(&h, type, 0, 0, id, len);
	for (;;) {
		if (rsm_msg_send(c->fd, &h, payload, len, -1) == 0)
			return 0;
		if (errno != EAGAIN)
			return lost(c, "send");
		if ((rc = wait_for(c, POLLOUT)) != 0)
			return rc;
	}
}

/*
 * Send one request and feed each successful reply payload to fn until the
 * reply without RSM_MSGF_MORE.  Notifications (id 0) are not for rsmadm,
 * which holds no handles; they are checked and dropped.
 */
static int
transact(struct adm_conn *c, uint16_t type, const void *req, size_t reqlen,
    reply_fn fn, void *ctx)
{
	union {
		struct rsm_msg_hdr h;
		unsigned char b[RSM_MSG_MAX];
	} buf;
	struct adm_wrapped wrapped;
	uint64_t id = c->next_id++;
	/* With -n every request but the local HELLO goes to the node. */
	int remote = c->remote && type != RSM_MSG_HELLO;
	uint16_t wire = remote ? RSM_MSG_ADMIN_REMOTE : type;
	const void *p;
	size_t len;
	ssize_t n;
	int rc, fd, nfds, chk, more;

	if (remote) {
		if ((reqlen = adm_remote_wrap(c, type, req, reqlen,
		    &wrapped)) == 0)
			return fault(c, "a request too large for -n");
		req = &wrapped;
	}
	if ((rc = send_request(c, wire, id, req, reqlen)) != 0)
		return rc;
	for (;;) {
		if ((rc = wait_for(c, POLLIN)) != 0)
			return rc;
		n = rsm_msg_recv(c->fd, buf.b, sizeof(buf.b), &fd, &nfds);
		if (n < 0) {
			if (errno == EAGAIN)
				continue;
			if (errno == EMSGSIZE)
				return fault(c, "packet too large");
			return lost(c, "receive");
		}
		if (fd >= 0)
			close(fd);
		if (n == 0) {
			fprintf(stderr, "rsmadm: rsmd at %s closed the "
			    "connection during %s\n", c->path,
			    rsm_msg_name(wire));
			return ADM_EXIT_UNREACHABLE;
		}
		if ((chk = rsm_msg_check(buf.b, (size_t)n, nfds, 1)) != 0)
			return fault(c, rsm_msgchk_str(chk));
		if (buf.h.id == 0)
			continue;
		if (buf.h.id != id || buf.h.type != wire)
			return fault(c, "reply to a request never sent");
		if (buf.h.status != RSM_SUCCESS) {
			if (remote)
				return adm_remote_refused(c, type,
				    (int)buf.h.status);
			fprintf(stderr, "rsmadm: rsmd refused %s: %s\n",
			    rsm_msg_name(type), rsm_err_name((int)buf.h.status));
			return ADM_EXIT_DAEMON;
		}
		more = (buf.h.flags & RSM_MSGF_MORE) != 0;
		p = buf.b + sizeof(buf.h);
		len = (size_t)n - sizeof(buf.h);
		if (remote && adm_remote_unwrap(c, type, &p, &len) != 0)
			return fault(c, "answer of another node or request");
		rc = fn(c, ctx, p, len, more);
		if (rc != 0 || !more)
			return rc;
	}
}

static int
take_hello(struct adm_conn *c, void *ctx, const void *p, size_t len,
    int more)
{
	(void)ctx;
	(void)more;
	memcpy(&c->hello, p, len < sizeof(c->hello) ? len : sizeof(c->hello));
	return 0;
}

/* Every request is preceded by HELLO, as the library does. */
static int
hello(struct adm_conn *c)
{
	struct rsm_msg_hello req = { .proto_version = RSM_PROTO_VERSION };

	return transact(c, RSM_MSG_HELLO, &req, sizeof(req), take_hello, NULL);
}

static int
take_status(struct adm_conn *c, void *ctx, const void *p, size_t len,
    int more)
{
	(void)c;
	(void)more;
	memcpy(ctx, p, len);
	return 0;
}

int
adm_get_status(struct adm_conn *c, struct rsm_msg_status *st)
{
	int rc;

	if ((rc = hello(c)) != 0)
		return rc;
	memset(st, 0, sizeof(*st));
	return transact(c, RSM_MSG_STATUS, NULL, 0, take_status, st);
}

/* Grow *arr (elements of `size` bytes) to hold n + 1; 0 or an exit code. */
static int
grow(struct adm_conn *c, void **arr, size_t n, size_t size)
{
	void *p;

	if (n >= ADM_LIST_MAX)
		return fault(c, "list longer than any node can hold");
	/* Capacity doubles from 16: only grow at 0, 16, 32, 64, ... */
	if (n != 0 && (n < 16 || (n & (n - 1)) != 0))
		return 0;
	p = realloc(*arr, (n ? 2 * n : 16) * size);
	if (p == NULL) {
		fprintf(stderr, "rsmadm: out of memory\n");
		return ADM_EXIT_UNREACHABLE;
	}
	*arr = p;
	return 0;
}

/*
 * LIST_SEGMENTS: entries with last = 0 under RSM_MSGF_MORE, then one
 * closing message with last = 1, no MORE, and the count of entries sent.
 */
static int
take_segment(struct adm_conn *c, void *ctx, const void *p, size_t len,
    int more)
{
	struct adm_segments *s = ctx;
	struct rsm_msg_seginfo si;
	int rc;

	(void)len;
	memcpy(&si, p, sizeof(si));
	if (si.last > 1)
		return fault(c, "segment list: bad closing flag");
	if (si.last) {
		if (more)
			return fault(c, "segment list continues past its end");
		if (si.count != s->n)
			return fault(c, "segment list count disagrees with "
			    "entries received");
		return 0;
	}
	if (!more)
		return fault(c, "segment list ended without its closing "
		    "message");
	if ((rc = grow(c, (void **)&s->seg, s->n, sizeof(si))) != 0)
		return rc;
	s->seg[s->n++] = si;
	return 0;
}

int
adm_get_segments(struct adm_conn *c, struct adm_segments *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = hello(c)) != 0)
		return rc;
	rc = transact(c, RSM_MSG_LIST_SEGMENTS, NULL, 0, take_segment, s);
	/* Whose list it is: with -n, the node's (adm_remote_unwrap). */
	s->self = c->hello.node_id;
	return rc;
}

/*
 * LIST_CTLRS: one controller per reply, the last without RSM_MSGF_MORE.
 * A reply with an empty name describes no controller (a daemon may close
 * an empty list that way) and is not listed.
 */
static int
take_ctlr(struct adm_conn *c, void *ctx, const void *p, size_t len,
    int more)
{
	struct adm_ctlrs *l = ctx;
	struct rsm_msg_ctlr_reply cr;
	int rc;

	(void)len;
	(void)more;
	memcpy(&cr, p, sizeof(cr));
	if (cr.name[0] == '\0')
		return 0;
	if ((rc = grow(c, (void **)&l->ctlr, l->n, sizeof(cr))) != 0)
		return rc;
	l->ctlr[l->n++] = cr;
	return 0;
}

int
adm_get_ctlrs(struct adm_conn *c, struct adm_ctlrs *l)
{
	int rc;

	memset(l, 0, sizeof(*l));
	if ((rc = hello(c)) != 0)
		return rc;
	return transact(c, RSM_MSG_LIST_CTLRS, NULL, 0, take_ctlr, l);
}

/*
 * NODES: entries with last = 0 under RSM_MSGF_MORE, then one closing
 * message with last = 1 and the count, as LIST_SEGMENTS.
 */
static int
take_node(struct adm_conn *c, void *ctx, const void *p, size_t len,
    int more)
{
	struct adm_nodes *l = ctx;
	struct rsm_msg_nodeinfo ni;
	int rc;

	(void)len;
	memcpy(&ni, p, sizeof(ni));
	if (ni.last > 1)
		return fault(c, "node list: bad closing flag");
	if (ni.last) {
		if (more)
			return fault(c, "node list continues past its end");
		if (ni.count != l->n)
			return fault(c, "node list count disagrees with "
			    "entries received");
		return 0;
	}
	if (!more)
		return fault(c, "node list ended without its closing message");
	if (ni.state > RSM_NODE_STATE_IDLE)
		return fault(c, "node list: unknown state");
	if ((rc = grow(c, (void **)&l->node, l->n, sizeof(ni))) != 0)
		return rc;
	l->node[l->n++] = ni;
	return 0;
}

int
adm_get_nodes(struct adm_conn *c, struct adm_nodes *l)
{
	int rc;

	memset(l, 0, sizeof(*l));
	if ((rc = hello(c)) != 0)
		return rc;
	rc = transact(c, RSM_MSG_NODES, NULL, 0, take_node, l);
	l->self = c->hello.node_id;
	return rc;
}

int
adm_ping(struct adm_conn *c, uint32_t node, struct rsm_msg_ping_reply *pr)
{
	struct rsm_msg_ping req = { .node = node };
	int rc;

	memset(pr, 0, sizeof(*pr));
	if ((rc = hello(c)) != 0)
		return rc;
	if ((rc = transact(c, RSM_MSG_PING, &req, sizeof(req), take_status,
	    pr)) != 0)
		return rc;
	if (pr->node != node)
		return fault(c, "ping answered for another node");
	return 0;
}

/*
 * STATS: entries under RSM_MSGF_MORE, then the END without it, whose
 * count must be the entries received (rsm_msg_check() tied each kind to
 * the flag already).
 */
static int
take_stats(struct adm_conn *c, void *ctx, const void *p, size_t len,
    int more)
{
	struct adm_stats *l = ctx;
	struct rsm_msg_stats st;
	int rc;

	(void)len;
	(void)more;
	memcpy(&st, p, sizeof(st));
	if (st.kind == RSM_STATS_END) {
		if (st.count != l->n)
			return fault(c, "stats count disagrees with entries "
			    "received");
		return 0;
	}
	if (l->one && (st.kind == RSM_STATS_NODE ||
	    st.kind == RSM_STATS_PEER))
		return fault(c, "stats of one segment name more");
	if ((rc = grow(c, (void **)&l->e, l->n, sizeof(st))) != 0)
		return rc;
	l->e[l->n++] = st;
	return 0;
}

int
adm_get_stats(struct adm_conn *c, uint32_t flags, uint32_t segid,
    struct adm_stats *l)
{
	struct rsm_msg_stats_req req = { flags, segid };
	int rc;

	memset(l, 0, sizeof(*l));
	l->one = (flags & RSM_STATSF_SEGID) != 0;
	if ((rc = hello(c)) != 0)
		return rc;
	rc = transact(c, RSM_MSG_STATS, &req, sizeof(req), take_stats, l);
	/* Whose counters they are: with -n, the node's (adm_remote_unwrap). */
	l->self = c->hello.node_id;
	return rc;
}

/* One reply, copied out whole; its size in *len. */
struct take_buf {
	void	*buf;
	size_t	 cap;
	size_t	 len;
};

static int
take_copy(struct adm_conn *c, void *ctx, const void *p, size_t len,
    int more)
{
	struct take_buf *t = ctx;

	(void)more;
	if (len > t->cap)
		return fault(c, "reply larger than its type allows");
	if (len > 0)
		memcpy(t->buf, p, len);
	t->len = len;
	return 0;
}

int
adm_call(struct adm_conn *c, uint16_t type, const void *req, size_t reqlen,
    void *rep, size_t repcap, size_t *replen)
{
	struct take_buf t = { rep, repcap, 0 };
	int rc;

	/* HELLO once per connection, before the first request. */
	if (c->hello.daemon_pid == 0 && (rc = hello(c)) != 0)
		return rc;
	rc = transact(c, type, req, reqlen, take_copy, &t);
	if (replen != NULL)
		*replen = t.len;
	return rc;
}
