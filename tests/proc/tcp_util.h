/*
 * tcp_util.h - helpers shared by the tcp0 process tests: a daemon with an
 * exporter child for the whole group, and a raw control client (over the
 * harness's h_ctl_*) that asks the daemon for a tcp0 capability the way
 * librsm does, so tests can speak the data protocol (proto/rsm_data.h) by
 * hand.
 */
#ifndef RSM_TEST_TCP_UTIL_H
#define RSM_TEST_TCP_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rsmapi.h>

#include "rsm_data.h"
#include "rsm_proto.h"
#include "../harness.h"

/* The bound on each exchange with the daemon, its sockets' timeout too. */
#define TU_IO_MS	3000

/*
 * The daemon of a test group and its exporter: a child that publishes
 * `size` bytes of pattern 5 as `segid` through shm0 and lives until the
 * group stops.
 */
struct tu_group {
	struct h_rsmd	 d;
	uint32_t	 segid;
	size_t		 size;
	pid_t		 exp;
	int		 exp_fd;	/* the parent's end of the channel */
	int		 child_fd;	/* the child's */
};

static inline int
tu_exporter(void *arg)
{
	const struct tu_group *g = arg;
	rsmapi_controller_handle_t c;
	rsm_memseg_export_handle_t h;
	rsm_memseg_id_t id = g->segid;
	uint32_t v;
	char *mem;

	H_CHECK_RC(rsm_get_controller("shm0", &c), RSM_SUCCESS);
	H_CHECK((mem = h_pages(g->size)) != NULL);
	h_fill(mem, g->size, 5);
	H_CHECK_RC(rsm_memseg_export_create(c, &h, mem, g->size, 0),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_publish(h, &id, NULL, 0), RSM_SUCCESS);
	H_CHECK(h_send_u32(g->child_fd, 1) == 0);
	/* Until the parent closes the channel. */
	while (h_recv_u32(g->child_fd, &v, 60000) == 0)
		;
	return 0;
}

/*
 * Start g's daemon (with the config lines `conf`, or NULL) and its
 * exporter, set g->segid and g->size first; 0 once the segment is
 * published, or -1.
 */
static inline int
tu_group_start(struct tu_group *g, const char *conf, int wait_ms)
{
	struct h_chan ch;
	uint32_t v;

	g->exp = 0;
	g->exp_fd = -1;
	signal(SIGPIPE, SIG_IGN);
	if (h_rsmd_start(&g->d, conf) != 0 || h_chan_open(&ch) != 0)
		return -1;
	g->child_fd = ch.fd[1];
	g->exp = h_spawn(tu_exporter, g, (uid_t)-1, 120);
	close(ch.fd[1]);
	g->exp_fd = ch.fd[0];
	return g->exp < 0 || h_recv_u32(g->exp_fd, &v, wait_ms) != 0 ? -1 : 0;
}

static inline void
tu_group_stop(struct tu_group *g, int wait_ms)
{
	if (g->exp_fd >= 0)
		close(g->exp_fd);
	if (g->exp > 0) {
		kill(g->exp, SIGKILL);
		h_wait(g->exp, wait_ms);
	}
	h_rsmd_cleanup(&g->d);
}

/*
 * HELLO, then IMPORT_CONNECT through tcp0: *rep holds the capability.
 * Returns the control fd (keep it open: closing it drops the import), or
 * -1 with *status set when the daemon said no.
 */
static inline int
tu_get_cap(const struct h_rsmd *d, uint32_t segid, uint32_t perm,
    struct rsm_msg_connect_reply *rep, int *status)
{
	struct rsm_msg_connect c = { d->node_id, segid, perm, RSM_XPORT_TCP };
	struct h_ctl_buf out = { rep, sizeof(*rep) };
	int fd = h_ctl_open(d->sock, TU_IO_MS), rc;

	*status = -1;
	if (fd < 0)
		return -1;
	if (h_ctl_hello(fd, 1) != 0) {
		close(fd);
		return -1;
	}
	rc = h_ctl_call(fd, RSM_MSG_IMPORT_CONNECT, 2, &c, sizeof(c),
	    h_ctl_copy, &out);
	*status = rc;
	if (rc != RSM_SUCCESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A raw TCP connection to the data port a capability names. */
static inline int
tu_data_open(const struct rsm_wire_cap *cap)
{
	struct sockaddr_in sa;
	struct timeval tv = { TU_IO_MS / 1000, 0 };
	int fd, one = 1;

	if (cap->family != RSM_CAP_INET)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(cap->port);
	memcpy(&sa.sin_addr, cap->addr, 4);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether the peer closed the connection within ms (EOF or reset). */
static inline int
tu_closed_within(int fd, int ms)
{
	uint64_t end = h_now_ms() + (uint64_t)ms;
	char b[4096];

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint64_t now = h_now_ms();
		ssize_t n;

		if (now >= end)
			return 0;
		if (poll(&pfd, 1, (int)(end - now)) <= 0)
			continue;
		n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
	}
}

/* Read the server's CHALLENGE, which it sends first; 0 on success. */
static inline int
tu_challenge(int fd, struct rsm_data_challenge *chal)
{
	struct rsm_data_hdr h;

	if (h_recv(fd, &h, sizeof(h), TU_IO_MS) != 0 ||
	    rsm_data_check_challenge(&h) != 0)
		return -1;
	if (h_recv(fd, chal, sizeof(*chal), TU_IO_MS) != 0)
		return -1;
	return rsm_data_check_challenge_body(chal) == 0 ? 0 : -1;
}

/* Send this HELLO as it is; the reply's status, or -1. */
static inline int
tu_hello_raw(int fd, const struct rsm_data_hello_req *b, uint64_t id,
    struct rsm_data_hello_reply *hr)
{
	struct {
		struct rsm_data_hdr h;
		struct rsm_data_hello_req b;
	} m;
	struct rsm_data_hdr r;

	rsm_data_hdr_init(&m.h, RSM_DOP_HELLO, 0, id, 0, sizeof(m.b), 0);
	m.b = *b;
	if (h_send(fd, &m, sizeof(m)) != 0 ||
	    h_recv(fd, &r, sizeof(r), TU_IO_MS) != 0)
		return -1;
	if (rsm_data_check_reply(&r, RSM_DOP_HELLO, id, sizeof(*hr), 0) != 0)
		return -1;
	if (r.status == RSM_SUCCESS &&
	    h_recv(fd, hr, sizeof(*hr), TU_IO_MS) != 0)
		return -1;
	return (int)r.status;
}

/*
 * Read the CHALLENGE and answer it with a HELLO proving token, as the
 * library does (*sent: what went out, may be NULL); the reply's status,
 * or -1.
 */
static inline int
tu_hello_as(int fd, const uint8_t *token, uint64_t id,
    struct rsm_data_hello_reply *hr, struct rsm_data_hello_req *sent)
{
	struct rsm_data_challenge chal;
	struct rsm_data_hello_req b;

	if (tu_challenge(fd, &chal) != 0)
		return -1;
	memset(b.nonce, 0x6b, sizeof(b.nonce));
	rsm_data_hello_prove_tcp(token, &chal, &b);
	if (sent != NULL)
		*sent = b;
	return tu_hello_raw(fd, &b, id, hr);
}

/* Read the CHALLENGE, then HELLO with token; the reply's status, or -1. */
static inline int
tu_hello(int fd, const uint8_t *token, uint64_t id,
    struct rsm_data_hello_reply *hr)
{
	return tu_hello_as(fd, token, id, hr, NULL);
}

#endif /* RSM_TEST_TCP_UTIL_H */
