/*
 * test_ctl_hostile.c - every request handler of rsmd against well-formed
 * requests with hostile contents.
 *
 * The decoder (rsm_msg_check) is fuzzed on its own (tests/fuzz/fuzz_msg.c);
 * what it lets through is for the handlers to check: sizes, offsets,
 * handles, segment ids, node ids, modes, flags, and the descriptors that
 * come with EXPORT_CREATE and EXPORT_REBIND.  A fixed-seed PRNG builds
 * thousands of requests of every client type, each of its exact size,
 * with fields drawn from boundary values (0, 1, page edges, the largest
 * values of each width, values just past what the daemon holds), the
 * handles and segment ids earlier replies returned, and random words; the
 * descriptors are memfds too small, too large or sealed, pipes, and
 * /dev/null.  The last request of every other connection is malformed on
 * purpose, and costs the connection.
 *
 * Every request that passes rsm_msg_check must get exactly its reply (or
 * its stream) with a status that is RSM_SUCCESS or an RSMERR_* value,
 * within a bound; a malformed one must end the connection.  Afterwards
 * the daemon still serves, holds no segment or import of the vanished
 * clients, and counts exactly the malformed requests as refused.  Run
 * under ASan+UBSan in the sanitizer pass, where an out-of-bounds access
 * in a handler ends the daemon and so the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <rsmapi.h>

#include "../harness.h"

#define T_CONNS		24	/* connections, one after the other */
#define T_REQS		250	/* requests per connection at most */
#define T_REPLY_MS	5000	/* a reply later than this is a hang */
#define T_POOL		16	/* handles and segment ids remembered */
#define T_TYPE_MAX	40	/* request types tried: 1..T_TYPE_MAX */
#define T_DSEG_MAX	256

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t
pick(uint64_t n)
{
	return n ? rnd() % n : 0;
}

struct pool {
	uint64_t handle[T_POOL];
	uint32_t segid[T_POOL];
	unsigned nh, ns;
};

static struct pool pool;

static void
remember_handle(uint64_t h)
{
	pool.handle[pool.nh++ % T_POOL] = h;
}

static void
remember_segid(uint32_t s)
{
	pool.segid[pool.ns++ % T_POOL] = s;
}

/* Sizes and offsets: page edges, widths' ends, and random. */
static uint64_t
any_size(void)
{
	static const uint64_t v[] = { 0, 1, 4095, 4096, 4097, 8192, 65536,
	    1u << 20, (uint64_t)1 << 30, (uint64_t)1 << 40, INT64_MAX,
	    (uint64_t)INT64_MAX + 1, UINT64_MAX - 4095, UINT64_MAX,
	    UINT32_MAX, (uint64_t)UINT32_MAX + 1 };

	switch (pick(3)) {
	case 0:
		return v[pick(sizeof(v) / sizeof(v[0]))];
	case 1:
		return (pick(64) + 1) * 4096;
	default:
		return rnd() >> pick(64);
	}
}

static uint32_t
any_u32(void)
{
	static const uint32_t v[] = { 0, 1, 2, 3, 7, 0x1ff, 0777, 0x8000,
	    0xffff, 0x10000, 0x7fffffff, 0x80000000u, UINT32_MAX };

	return pick(2) ? v[pick(sizeof(v) / sizeof(v[0]))] : (uint32_t)rnd();
}

static uint64_t
any_handle(void)
{
	if (pool.nh > 0 && pick(4) != 0)
		return pool.handle[pick(pool.nh < T_POOL ? pool.nh : T_POOL)] +
		    (pick(8) == 0 ? pick(3) - 1 : 0);
	return pick(2) ? pick(64) : rnd();
}

static uint32_t
any_segid(void)
{
	if (pool.ns > 0 && pick(3) != 0)
		return pool.segid[pick(pool.ns < T_POOL ? pool.ns : T_POOL)];
	/* Past the reserved ids (to 0x3fffff) as publishers' are, or any. */
	return pick(2) ? 0x400000 + (uint32_t)pick(64) : any_u32();
}

static uint32_t
any_node(void)
{
	static const uint32_t v[] = { 0, 1, 2, H_NODE_ID, 64, 65535, 65536,
	    UINT32_MAX };

	return v[pick(sizeof(v) / sizeof(v[0]))];
}

static void
fill_acl(struct rsm_wire_ace *a, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		a[i].node = any_node();
		a[i].perm = pick(2) ? (uint32_t)pick(8) : any_u32();
	}
}

/*
 * The descriptor a request of an fd-carrying type brings: a memfd of a
 * size near the one the request names, one sealed against growing or
 * writing, a pipe, /dev/null, or none at all (then the request is
 * malformed: rsm_msg_check refuses a missing descriptor).
 */
static int
any_fd(uint64_t size)
{
	int fds[2], fd;
	uint64_t len;

	switch (pick(6)) {
	case 0:
		if (pipe(fds) != 0)
			return -1;
		close(fds[1]);
		return fds[0];
	case 1:
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	default:
		break;
	}
	fd = memfd_create("hostile", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	len = size <= (64u << 20) ? size : pick(1u << 20);
	if (pick(3) == 0)
		len = pick(3) ? len / 2 : len + 4096;
	if (ftruncate(fd, (off_t)len) != 0) {
		close(fd);
		return -1;
	}
	if (pick(4) == 0)
		(void)fcntl(fd, F_ADD_SEALS, pick(2) ? F_SEAL_GROW | F_SEAL_SHRINK :
		    F_SEAL_WRITE);
	return fd;
}

union pkt {
	struct rsm_msg_hdr h;
	unsigned char b[RSM_MSG_MAX];
};

/* Build the payload of a request of `type`; its length, or -1 for none. */
static ssize_t
build(uint16_t type, unsigned char *p, uint64_t *fd_size)
{
	ssize_t n = rsm_msg_req_size(type);
	size_t i;

	if (n < 0)
		return -1;
	/* Random words first, then the fields that mean something. */
	for (i = 0; i + 8 <= (size_t)n; i += 8) {
		uint64_t w = pick(2) ? 0 : rnd();

		memcpy(p + i, &w, 8);
	}
	for (; i < (size_t)n; i++)
		p[i] = (unsigned char)(pick(2) ? 0 : rnd());
	switch (type) {
	case RSM_MSG_HELLO: {
		struct rsm_msg_hello m = { pick(4) ? RSM_PROTO_VERSION :
		    any_u32(), 0 };

		memcpy(p, &m, sizeof(m));
		break;
	}
	case RSM_MSG_CTLR_QUERY: {
		static const char *const names[] = { "shm0", "loopback", "tcp0",
		    "verbs0", "ucx0", "tcp", "", "verbs99" };
		struct rsm_msg_ctlr m;

		memset(&m, pick(8) == 0 ? 'x' : 0, sizeof(m));
		if (m.name[0] == 0)
			strcpy(m.name, names[pick(sizeof(names) / sizeof(names[0]))]);
		memcpy(p, &m, sizeof(m));
		break;
	}
	case RSM_MSG_EXPORT_CREATE: {
		struct rsm_msg_export_create m = { any_size(), (uint32_t)pick(4),
		    pick(2) ? 0600 : any_u32(), (uint32_t)pick(7), 0 };

		*fd_size = m.size;
		memcpy(p, &m, sizeof(m));
		break;
	}
	case RSM_MSG_EXPORT_DESTROY:
	case RSM_MSG_UNPUBLISH:
	case RSM_MSG_IMPORT_DISCONNECT: {
		struct rsm_msg_handle m = { any_handle() };

		memcpy(p, &m, sizeof(m));
		break;
	}
	case RSM_MSG_EXPORT_REBIND: {
		struct rsm_msg_rebind m = { any_handle(), any_size() };

		*fd_size = m.size;
		memcpy(p, &m, sizeof(m));
		break;
	}
	case RSM_MSG_PUBLISH:
	case RSM_MSG_REPUBLISH: {
		struct rsm_msg_publish m = { any_handle(), pick(3) ? 0 :
		    any_segid(), (uint32_t)pick(4) };

		memcpy(p, &m, sizeof(m));
		fill_acl((struct rsm_wire_ace *)(p + sizeof(m)), m.acl_len);
		n = (ssize_t)(sizeof(m) + m.acl_len * sizeof(struct rsm_wire_ace));
		break;
	}
	case RSM_MSG_IMPORT_CONNECT: {
		struct rsm_msg_connect m = { pick(2) ? H_NODE_ID : any_node(),
		    any_segid(), (uint32_t)pick(8), (uint32_t)pick(7) };

		memcpy(p, &m, sizeof(m));
		break;
	}
	case RSM_MSG_SIGNAL_POST: {
		struct rsm_msg_signal m = { (uint32_t)pick(4), (uint32_t)pick(3),
		    any_handle() };

		memcpy(p, &m, sizeof(m));
		break;
	}
	case RSM_MSG_PING: {
		struct rsm_msg_ping m = { any_node(), 0 };

		memcpy(p, &m, sizeof(m));
		break;
	}
	case RSM_MSG_DSEG_CREATE: {
		/*
		 * rsmd allocates a daemon segment's pages at once: sizes it
		 * would accept stay small, so that the test does not eat
		 * the machine's memory (from 2^40 up rsmd refuses them anyway).
		 */
		uint64_t size = pick(2) ? (pick(16) + 1) * 4096 : any_size();
		struct rsm_msg_dseg_create m = { size >= (64u << 20) &&
		    size < ((uint64_t)1 << 40) ? 4096 : size, any_segid(),
		    pick(4) ? 0640 : any_u32(), pick(2) ? 0 : any_u32(),
		    pick(2) ? 0 : any_u32(), (uint32_t)pick(3),
		    (uint32_t)pick(3) };

		memcpy(p, &m, sizeof(m));
		fill_acl((struct rsm_wire_ace *)(p + sizeof(m)), m.acl_len);
		n = (ssize_t)(sizeof(m) + m.acl_len * sizeof(struct rsm_wire_ace));
		break;
	}
	case RSM_MSG_DSEG_REMOVE: {
		struct rsm_msg_dseg_id m = { any_segid(), 0 };

		memcpy(p, &m, sizeof(m));
		break;
	}
	case RSM_MSG_DSEG_READ:
	case RSM_MSG_DSEG_WRITE: {
		struct rsm_msg_dseg_io m = { any_size(), any_segid(),
		    (uint32_t)(pick(2) ? 1 + pick(RSM_DSEG_IO_MAX) : any_u32()) };

		if (pick(4) != 0 && m.len > RSM_DSEG_IO_MAX)
			m.len = RSM_DSEG_IO_MAX;
		memcpy(p, &m, sizeof(m));
		if (type == RSM_MSG_DSEG_WRITE)
			n = (ssize_t)sizeof(m) + (m.len <= RSM_DSEG_IO_MAX ?
			    (ssize_t)m.len : 0);
		break;
	}
	default:
		break;
	}
	return n;
}

/* What the replies to one request said. */
struct outcome {
	int	 closed;	/* the daemon ended the connection */
	int	 hung;		/* no (final) reply within T_REPLY_MS */
	int	 bad;		/* a reply no request of ours could get */
	uint32_t status;
};

static void
take_reply(uint16_t type, const union pkt *r, size_t n)
{
	const unsigned char *p = r->b + sizeof(r->h);

	if (r->h.status != RSM_SUCCESS)
		return;
	if (type == RSM_MSG_EXPORT_CREATE && n >= sizeof(r->h) +
	    sizeof(struct rsm_msg_handle)) {
		struct rsm_msg_handle m;

		memcpy(&m, p, sizeof(m));
		remember_handle(m.handle);
	} else if (type == RSM_MSG_IMPORT_CONNECT && n >= sizeof(r->h) +
	    sizeof(struct rsm_msg_connect_reply)) {
		struct rsm_msg_connect_reply m;

		memcpy(&m, p, sizeof(m));
		remember_handle(m.handle);
	} else if (type == RSM_MSG_PUBLISH && n >= sizeof(r->h) +
	    sizeof(struct rsm_msg_publish_reply)) {
		struct rsm_msg_publish_reply m;

		memcpy(&m, p, sizeof(m));
		remember_segid(m.segid);
	}
}

/* Read until the final reply to (type, id), the connection's end, or T_REPLY_MS. */
static struct outcome
await(int fd, uint16_t type, uint64_t id)
{
	struct outcome o = { 0, 0, 0, 0 };
	uint64_t end = h_now_ms() + T_REPLY_MS;
	union pkt r;
	int rfd, nfds;
	ssize_t n;

	for (;;) {
		if (h_now_ms() >= end) {
			o.hung = 1;
			return o;
		}
		n = rsm_msg_recv(fd, r.b, sizeof(r.b), &rfd, &nfds);
		if (rfd >= 0)
			close(rfd);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;	/* the socket's receive timeout */
		if (n <= 0) {
			o.closed = 1;
			return o;
		}
		if (rsm_msg_check(r.b, (size_t)n, nfds, 1) != 0) {
			o.bad = 1;
			return o;
		}
		if (r.h.id == 0)
			continue;	/* a notification */
		if (r.h.id != id || r.h.type != type) {
			o.bad = 1;
			return o;
		}
		take_reply(type, &r, (size_t)n);
		if (!(r.h.flags & RSM_MSGF_MORE)) {
			o.status = r.h.status;
			return o;
		}
	}
}

/* Whether a reply status is one the daemon may send. */
static int
known_status(uint32_t s)
{
	return s == RSM_SUCCESS || (s >= RSMERR_BAD_LIBRARY_VERSION &&
	    s <= RSMERR_QUEUE_FULL);
}

struct tally {
	unsigned sent, answered, malformed, closed_on_malformed, errors[2];
	unsigned skipped;	/* built, but refused by rsm_msg_check here */
	/* Daemon segments made: they outlive their clients by design. */
	uint32_t dseg[T_DSEG_MAX];
	unsigned ndseg;
};

/*
 * One connection's worth: HELLO, then requests until T_REQS or a
 * malformed one (which must close the connection).
 */
static void
one_conn(struct tally *t, int malformed_last)
{
	union pkt q;
	int fd = h_ctl_open(h_daemon.sock, 1000), req_fd, chk;
	unsigned i;

	assert_true(fd >= 0);
	assert_int_equal(h_ctl_hello(fd, 1), 0);
	for (i = 0; i < T_REQS; i++) {
		uint16_t type = (uint16_t)(1 + pick(T_TYPE_MAX));
		uint64_t id = 2 + i, fd_size = 4096;
		ssize_t n;
		struct outcome o;

		n = build(type, q.b + sizeof(q.h), &fd_size);
		if (n < 0)
			continue;	/* not a type the daemon serves */
		if (type == RSM_MSG_HELLO && pick(2))
			continue;	/* one HELLO is enough most of the time */
		rsm_msg_hdr_init(&q.h, type, 0, 0, id, (size_t)n);
		req_fd = rsm_msg_wants_fd(type, 0) && pick(12) != 0 ?
		    any_fd(fd_size) : -1;
		/*
		 * The last request of every other connection is malformed on
		 * purpose (a flag no request may carry); the others are
		 * meant to pass the decoder, and one that happens not to
		 * (a notification type, a field out of range) is not sent.
		 */
		if (i == T_REQS - 1 && malformed_last)
			q.h.flags = RSM_MSGF_REPLY;
		chk = rsm_msg_check(q.b, sizeof(q.h) + (size_t)n,
		    req_fd >= 0 ? 1 : 0, 0);
		if (chk != 0 && !(i == T_REQS - 1 && malformed_last)) {
			if (req_fd >= 0)
				close(req_fd);
			t->skipped++;
			continue;
		}
		if (rsm_msg_send(fd, &q.h, q.b + sizeof(q.h), (size_t)n,
		    req_fd) != 0) {
			if (req_fd >= 0)
				close(req_fd);
			break;
		}
		if (req_fd >= 0)
			close(req_fd);
		t->sent++;
		o = await(fd, type, id);
		if (chk != 0) {
			/* Refused by the decoder: the connection must end. */
			t->malformed++;
			if (!o.closed && !o.hung && !o.bad)
				fprintf(stderr, "malformed %s (%s) was answered\n",
				    rsm_msg_name(type), rsm_msgchk_str(chk));
			assert_true(o.closed);
			t->closed_on_malformed++;
			break;
		}
		if (o.hung || o.bad || o.closed)
			fprintf(stderr, "%s id %llu: %s\n", rsm_msg_name(type),
			    (unsigned long long)id, o.hung ? "no reply" :
			    o.bad ? "a reply that is not ours" :
			    "connection closed");
		assert_false(o.hung);
		assert_false(o.bad);
		assert_false(o.closed);
		if (!known_status(o.status))
			fprintf(stderr, "%s: status %u\n", rsm_msg_name(type),
			    (unsigned)o.status);
		assert_true(known_status(o.status));
		t->answered++;
		t->errors[o.status != RSM_SUCCESS]++;
		if (type == RSM_MSG_DSEG_CREATE && o.status == RSM_SUCCESS &&
		    t->ndseg < T_DSEG_MAX) {
			struct rsm_msg_dseg_create m;

			memcpy(&m, q.b + sizeof(q.h), sizeof(m));
			t->dseg[t->ndseg++] = m.segid;
			remember_segid(m.segid);
		}
	}
	close(fd);
}

static void
test_hostile_requests(void **state)
{
	struct rsm_msg_status before, after;
	struct tally t;
	uint64_t end;
	unsigned c;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(h_rsmd_status(&h_daemon, &before), 0);
	for (c = 0; c < T_CONNS; c++)
		one_conn(&t, c % 2);
	printf("# %u requests sent: %u answered (%u errors), %u malformed, "
	    "each closing its connection; %u daemon segments made; %u built "
	    "but not sent (the decoder would refuse them)\n", t.sent,
	    t.answered, t.errors[1], t.malformed, t.ndseg, t.skipped);
	/* Enough got deep enough to mean something. */
	assert_true(t.answered > 2000);
	assert_true(t.errors[0] > 100);
	/* Daemon segments stay until removed (rsmadm(8) segment). */
	if (t.ndseg > 0) {
		int fd = h_ctl_open(h_daemon.sock, 1000);

		assert_true(fd >= 0);
		assert_int_equal(h_ctl_hello(fd, 1), 0);
		for (c = 0; c < t.ndseg; c++) {
			struct rsm_msg_dseg_id m = { t.dseg[c], 0 };
			int rc = h_ctl_call(fd, RSM_MSG_DSEG_REMOVE, 2 + c, &m,
			    sizeof(m), NULL, NULL);

			/* A segment removed by a hostile request already. */
			assert_true(rc == 0 || rc == RSMERR_SEG_NOT_PUBLISHED);
		}
		close(fd);
	}
	/* The clients are gone: so is everything they made. */
	end = h_now_ms() + 5000;
	for (;;) {
		assert_int_equal(h_rsmd_status(&h_daemon, &after), 0);
		if (after.segments == 0 && after.imports == 0 &&
		    after.clients <= 1)
			break;
		if (h_now_ms() > end)
			fprintf(stderr, "left: %llu segments, %llu imports, "
			    "%llu clients\n", (unsigned long long)after.segments,
			    (unsigned long long)after.imports,
			    (unsigned long long)after.clients);
		assert_true(h_now_ms() <= end);
		h_sleep_ms(20);
	}
	assert_int_equal(after.refused - before.refused, t.malformed);
	assert_int_equal(after.daemon_pid, before.daemon_pid);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_requests),
	};

	alarm(H_TEST_ALARM * 4);
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
