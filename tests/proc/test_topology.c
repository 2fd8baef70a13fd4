/*
 * test_topology.c - a node with hundreds of peers: an rsmd configured
 * with NPEERS `peer` lines (in no particular order, at a 127.0.0.1 port
 * that refuses every connection) answers rsm_get_interconnect_topology()
 * with every one of them, in node id order, none active, and `rsmadm
 * nodes` lists them all.
 *
 * Then the library against a daemon that lies: a fake rsmd on a socket
 * of its own answers HELLO and then TOPOLOGY with a scripted stream (one
 * that stops and hangs up, counts that disagree, parts past the end, a
 * message the codec refuses, a reply of another type), and the call must
 * return the documented error, never crash or hang; a well-formed stream
 * of RSM_TOPO_REMOTE_MAX entries comes through whole.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>

#include "rsmapi.h"
#include "rsm_proto.h"
#include "../harness.h"

#define NPEERS		300u
#define FIRST_ID	1000u
#define T_WAIT_MS	10000

static struct h_rsmd g_d;
static char g_keydir[64];
static int g_refuser = -1;	/* holds the peers' port: bound, not listening */

/* Peer number k of the config: its id, a permutation of FIRST_ID + 0..N-1. */
static uint32_t
peer_id(uint32_t k)
{
	return FIRST_ID + (k * 7919u) % NPEERS;
}

/* A port on 127.0.0.1 that nobody can listen on while we hold it. */
static int
refusing_port(uint16_t *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	if ((g_refuser = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(g_refuser, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(g_refuser, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return 0;
}

static int
group_setup(void **state)
{
	char key[96], *extra, *p;
	unsigned char bytes[64];
	size_t cap = 128 + NPEERS * 48;
	uint16_t port;
	uint32_t k;
	FILE *f;

	(void)state;
	snprintf(g_keydir, sizeof(g_keydir), "/tmp/rsmtopo.XXXXXX");
	if (mkdtemp(g_keydir) == NULL || refusing_port(&port) != 0)
		return -1;
	snprintf(key, sizeof(key), "%s/cluster.key", g_keydir);
	h_fill(bytes, sizeof(bytes), 42);
	if ((f = fopen(key, "w")) == NULL)
		return -1;
	fwrite(bytes, 1, sizeof(bytes), f);
	if (fclose(f) != 0 || chmod(key, 0600) != 0)
		return -1;
	if ((extra = malloc(cap)) == NULL)
		return -1;
	p = extra;
	p += sprintf(p, "cluster_key_file = %s\n", key);
	for (k = 0; k < NPEERS; k++)
		p += sprintf(p, "peer = %" PRIu32 " 127.0.0.1:%u\n", peer_id(k),
		    (unsigned)port);
	if (h_rsmd_start(&g_d, extra) != 0) {
		free(extra);
		return -1;
	}
	free(extra);
	return 0;
}

static int
group_teardown(void **state)
{
	char key[96];

	(void)state;
	h_rsmd_cleanup(&g_d);
	snprintf(key, sizeof(key), "%s/cluster.key", g_keydir);
	unlink(key);
	rmdir(g_keydir);
	if (g_refuser >= 0)
		close(g_refuser);
	return 0;
}

/* ---- the real daemon ---- */

static void
test_topology_lists_every_peer(void **state)
{
	rsm_topology_t *t = NULL;
	const rsm_connections_t *route = NULL;
	unsigned i, total = 0;
	int j;

	(void)state;
	assert_int_equal(rsm_get_interconnect_topology(&t), RSM_SUCCESS);
	assert_int_equal(t->topology_hdr.local_nodeid, H_NODE_ID);
	for (i = 0; i < t->topology_hdr.local_cntlr_count; i++) {
		const rsm_connections_t *c = t->connections[i];

		assert_string_not_equal(c->hdr.cntlr_name, "loopback");
		total += (unsigned)c->hdr.remote_cntlr_count;
		if (c->hdr.remote_cntlr_count > 0)
			route = c;
	}
	assert_int_equal(total, NPEERS);
	assert_non_null(route);
	assert_string_equal(route->hdr.cntlr_name, "tcp0");
	/* Every configured peer once, in node id order, none linked. */
	for (j = 0; j < (int)NPEERS; j++) {
		const rsm_remote_cntlr_t *r = &route->remote_cntlr[j];

		assert_int_equal(r->remote_nodeid, FIRST_ID + (unsigned)j);
		assert_int_equal(r->remote_hwaddr, FIRST_ID + (unsigned)j);
		assert_string_equal(r->remote_cntlrname, "tcp0");
		assert_int_not_equal(r->connection_state,
		    RSM_CONNECTION_ACTIVE);
	}
	rsm_free_interconnect_topology(t);
}

/* Again and again on one link: each answer is whole, nothing piles up. */
static void
test_topology_repeated(void **state)
{
	rsm_topology_t *t;
	unsigned i, k, total;

	(void)state;
	for (k = 0; k < 50; k++) {
		t = NULL;
		assert_int_equal(rsm_get_interconnect_topology(&t),
		    RSM_SUCCESS);
		total = 0;
		for (i = 0; i < t->topology_hdr.local_cntlr_count; i++)
			total += (unsigned)
			    t->connections[i]->hdr.remote_cntlr_count;
		assert_int_equal(total, NPEERS);
		rsm_free_interconnect_topology(t);
	}
}

static void
test_rsmadm_nodes_lists_every_peer(void **state)
{
	const char *bin = getenv("RSMADM_BIN");
	char cmd[512], line[512];
	unsigned seen[NPEERS], n = 0, id, i;
	FILE *f;

	(void)state;
	assert_non_null(bin);
	memset(seen, 0, sizeof(seen));
	snprintf(cmd, sizeof(cmd), "%s -s %s nodes", bin, g_d.sock);
	assert_non_null(f = popen(cmd, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%u", &id) != 1)
			continue;	/* the heading */
		assert_true(id >= FIRST_ID && id < FIRST_ID + NPEERS);
		assert_non_null(strstr(line, "127.0.0.1:"));
		seen[id - FIRST_ID]++;
		n++;
	}
	assert_int_equal(pclose(f), 0);
	assert_int_equal(n, NPEERS);
	for (i = 0; i < NPEERS; i++)
		assert_int_equal(seen[i], 1);
}

/* ---- a daemon that lies ---- */

enum script {
	S_WHOLE_MAX,		/* RSM_TOPO_REMOTE_MAX entries, well formed */
	S_HANG_UP,		/* HEAD of 300, two parts, then it hangs up */
	S_END_EARLY,		/* HEAD of 300, two parts, an END of what came */
	S_END_LIES,		/* all 300, an END that says 299 */
	S_PART_PAST_END,	/* all 300 and one more part */
	S_PART_TOO_BIG,		/* a part of RSM_TOPO_PART_MAX + 1 entries */
	S_HEAD_TOO_BIG,		/* a HEAD announcing RSM_TOPO_REMOTE_MAX + 1 */
	S_WRONG_TYPE,		/* a STATUS reply under the TOPOLOGY's id */
	S_ERROR_MID,		/* HEAD, a part, then an error reply */
};

struct fake_arg {
	const char *sock;
	int want;
};

/* The client: the library against the fake, alone in its process. */
static int
fake_client(void *arg)
{
	const struct fake_arg *a = arg;
	rsm_topology_t *t = (rsm_topology_t *)(uintptr_t)8;
	unsigned i, total = 0;

	setenv(RSM_SOCKET_ENV, a->sock, 1);
	H_CHECK_RC(rsm_get_interconnect_topology(&t), a->want);
	if (a->want != RSM_SUCCESS) {
		H_CHECK(t == NULL);
		return 0;
	}
	for (i = 0; i < t->topology_hdr.local_cntlr_count; i++)
		total += (unsigned)t->connections[i]->hdr.remote_cntlr_count;
	H_CHECK(total == RSM_TOPO_REMOTE_MAX);
	H_CHECK(t->connections[1]->remote_cntlr[RSM_TOPO_REMOTE_MAX - 1]
	    .remote_nodeid == RSM_TOPO_REMOTE_MAX);
	rsm_free_interconnect_topology(t);
	return 0;
}

static int
fake_send(int fd, uint16_t type, uint8_t flags, uint32_t status,
    uint64_t id, const void *payload, size_t len)
{
	struct rsm_msg_hdr h;

	rsm_msg_hdr_init(&h, type, RSM_MSGF_REPLY | flags, status, id, len);
	return rsm_msg_send(fd, &h, payload, len, -1);
}

/* One request from the client: its type and id. */
static int
fake_recv(int fd, uint16_t *type, uint64_t *id)
{
	union {
		struct rsm_msg_hdr h;
		unsigned char b[RSM_MSG_MAX];
	} buf;
	struct pollfd pfd = { fd, POLLIN, 0 };
	int rfd, nfds;
	ssize_t n;

	if (poll(&pfd, 1, T_WAIT_MS) != 1)
		return -1;
	n = rsm_msg_recv(fd, buf.b, sizeof(buf.b), &rfd, &nfds);
	if (rfd >= 0)
		close(rfd);
	if (n < (ssize_t)sizeof(buf.h) || rsm_msg_check(buf.b, (size_t)n,
	    nfds, 0) != 0)
		return -1;
	*type = buf.h.type;
	*id = buf.h.id;
	return 0;
}

static int
send_head(int fd, uint64_t id, uint32_t nremote)
{
	struct rsm_msg_topology_head h;

	memset(&h, 0, sizeof(h));
	h.t.kind = RSM_TOPO_HEAD;
	h.t.count = 2;
	h.t.node_id = 9;
	h.t.nremote = nremote;
	strcpy(h.ctlr[0].name, "shm0");
	strcpy(h.ctlr[1].name, "tcp0");
	return fake_send(fd, RSM_MSG_TOPOLOGY, RSM_MSGF_MORE, 0, id, &h,
	    sizeof(h.t) + 2 * sizeof(h.ctlr[0]));
}

/* A part of n entries from first (n may exceed RSM_TOPO_PART_MAX by one). */
static int
send_part(int fd, uint64_t id, uint32_t first, uint32_t n)
{
	struct {
		struct rsm_msg_topology	t;
		struct rsm_wire_remote	r[RSM_TOPO_PART_MAX + 1];
	} p;
	uint32_t i;

	memset(&p, 0, sizeof(p));
	p.t.kind = RSM_TOPO_PART;
	p.t.count = n;
	p.t.first = first;
	for (i = 0; i < n; i++) {
		p.r[i].node = first + i + 1;
		p.r[i].state = RSM_TOPO_STATE_DOWN;
		p.r[i].local_ctlr = 1;
		strcpy(p.r[i].name, "tcp0");
		p.r[i].hwaddr = first + i + 1;
	}
	return fake_send(fd, RSM_MSG_TOPOLOGY, RSM_MSGF_MORE, 0, id, &p,
	    sizeof(p.t) + n * sizeof(p.r[0]));
}

/* Parts of RSM_TOPO_PART_MAX from `from` up to `to`; the count sent. */
static int
send_parts(int fd, uint64_t id, uint32_t from, uint32_t to, uint32_t *nparts)
{
	while (from < to) {
		uint32_t n = to - from;

		if (n > RSM_TOPO_PART_MAX)
			n = RSM_TOPO_PART_MAX;
		if (send_part(fd, id, from, n) != 0)
			return -1;
		from += n;
		(*nparts)++;
	}
	return 0;
}

static int
send_end(int fd, uint64_t id, uint32_t nremote, uint32_t nparts)
{
	struct rsm_msg_topology e;

	memset(&e, 0, sizeof(e));
	e.kind = RSM_TOPO_END;
	e.nremote = nremote;
	e.nparts = nparts;
	return fake_send(fd, RSM_MSG_TOPOLOGY, 0, 0, id, &e, sizeof(e));
}

static int
play(int fd, enum script s, uint64_t id)
{
	struct rsm_msg_status st;
	uint32_t np = 0;

	switch (s) {
	case S_WHOLE_MAX:
		return send_head(fd, id, RSM_TOPO_REMOTE_MAX) ||
		    send_parts(fd, id, 0, RSM_TOPO_REMOTE_MAX, &np) ||
		    send_end(fd, id, RSM_TOPO_REMOTE_MAX, np);
	case S_HANG_UP:
		/* The caller closes the socket: the daemon died mid-stream. */
		return send_head(fd, id, 300) ||
		    send_parts(fd, id, 0, 2 * RSM_TOPO_PART_MAX, &np);
	case S_END_EARLY:
		return send_head(fd, id, 300) ||
		    send_parts(fd, id, 0, 2 * RSM_TOPO_PART_MAX, &np) ||
		    send_end(fd, id, 2 * RSM_TOPO_PART_MAX, np);
	case S_END_LIES:
		return send_head(fd, id, 300) ||
		    send_parts(fd, id, 0, 300, &np) ||
		    send_end(fd, id, 299, np);
	case S_PART_PAST_END:
		return send_head(fd, id, 300) ||
		    send_parts(fd, id, 0, 300, &np) ||
		    send_part(fd, id, 300, 1) ||
		    send_end(fd, id, 300, np + 1);
	case S_PART_TOO_BIG:
		return send_head(fd, id, 300) ||
		    send_part(fd, id, 0, RSM_TOPO_PART_MAX + 1);
	case S_HEAD_TOO_BIG:
		return send_head(fd, id, RSM_TOPO_REMOTE_MAX + 1);
	case S_WRONG_TYPE:
		memset(&st, 0, sizeof(st));
		return send_head(fd, id, 300) ||
		    fake_send(fd, RSM_MSG_STATUS, 0, 0, id, &st, sizeof(st));
	case S_ERROR_MID:
		return send_head(fd, id, 300) ||
		    send_parts(fd, id, 0, RSM_TOPO_PART_MAX, &np) ||
		    fake_send(fd, RSM_MSG_TOPOLOGY, 0,
		    RSMERR_INSUFFICIENT_RESOURCES, id, NULL, 0);
	}
	return -1;
}

/* Serve one client the script, then wait for it to go away. */
static void
run_fake(enum script s, int want)
{
	struct sockaddr_un sa;
	struct rsm_msg_hello_reply hr;
	struct fake_arg a;
	struct pollfd pfd;
	char path[sizeof(sa.sun_path)];
	uint16_t type;
	uint64_t id;
	pid_t pid;
	int lfd, fd;

	snprintf(path, sizeof(path), "%s/fake.sock", g_keydir);
	unlink(path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, sizeof(path));
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	a.sock = path;
	a.want = want;
	pid = h_spawn(fake_client, &a, (uid_t)-1, T_WAIT_MS / 1000 + 5);
	assert_true(pid > 0);

	pfd.fd = lfd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, T_WAIT_MS), 1);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fake_recv(fd, &type, &id), 0);
	assert_int_equal(type, RSM_MSG_HELLO);
	memset(&hr, 0, sizeof(hr));
	hr.node_id = 9;
	hr.daemon_pid = (uint64_t)getpid();
	assert_int_equal(fake_send(fd, RSM_MSG_HELLO, 0, 0, id, &hr,
	    sizeof(hr)), 0);
	assert_int_equal(fake_recv(fd, &type, &id), 0);
	assert_int_equal(type, RSM_MSG_TOPOLOGY);
	/* The client may hang up half way: that is its answer to a lie. */
	(void)play(fd, s, id);
	if (s != S_HANG_UP) {
		/* Until the client is done with it: EOF or its death. */
		pfd.fd = fd;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, T_WAIT_MS);
	}
	close(fd);
	assert_int_equal(h_wait(pid, T_WAIT_MS), 0);
	close(lfd);
	unlink(path);
}

static void
test_fake_whole_max(void **state)
{
	(void)state;
	run_fake(S_WHOLE_MAX, RSM_SUCCESS);
}

static void
test_fake_hangs_up_mid_stream(void **state)
{
	(void)state;
	run_fake(S_HANG_UP, RSMERR_INSUFFICIENT_RESOURCES);
}

static void
test_fake_ends_early(void **state)
{
	(void)state;
	run_fake(S_END_EARLY, RSMERR_BAD_ADDR);
}

static void
test_fake_end_lies(void **state)
{
	(void)state;
	run_fake(S_END_LIES, RSMERR_BAD_ADDR);
}

static void
test_fake_part_past_end(void **state)
{
	(void)state;
	run_fake(S_PART_PAST_END, RSMERR_BAD_ADDR);
}

/* Refused by the codec: the daemon broke the protocol, the link is gone. */
static void
test_fake_malformed(void **state)
{
	(void)state;
	run_fake(S_PART_TOO_BIG, RSMERR_INSUFFICIENT_RESOURCES);
	run_fake(S_HEAD_TOO_BIG, RSMERR_INSUFFICIENT_RESOURCES);
	run_fake(S_WRONG_TYPE, RSMERR_INSUFFICIENT_RESOURCES);
}

/* An error reply ends the stream: the daemon's word, as any failure. */
static void
test_fake_error_mid_stream(void **state)
{
	(void)state;
	run_fake(S_ERROR_MID, RSMERR_INSUFFICIENT_RESOURCES);
}

#define T(f) cmocka_unit_test_setup_teardown(f, h_test_setup, h_test_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_topology_lists_every_peer),
		T(test_topology_repeated),
		T(test_rsmadm_nodes_lists_every_peer),
		T(test_fake_whole_max),
		T(test_fake_hangs_up_mid_stream),
		T(test_fake_ends_early),
		T(test_fake_end_lies),
		T(test_fake_part_past_end),
		T(test_fake_malformed),
		T(test_fake_error_mid_stream),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
