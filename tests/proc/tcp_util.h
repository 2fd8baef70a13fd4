/*
 * tcp_util.h - helpers shared by the tcp0 process tests: data patterns
 * and checksums, and a raw control client that asks the daemon for a
 * tcp0 capability the way librsm does, so tests can speak the data
 * protocol (proto/rsm_data.h) by hand.
 */
#ifndef RSM_TEST_TCP_UTIL_H
#define RSM_TEST_TCP_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rsmapi.h>

#include "rsm_data.h"
#include "rsm_proto.h"
#include "../harness.h"

static inline void
tu_fill(void *p, size_t n, uint64_t seed)
{
	unsigned char *b = p;
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (unsigned char)(x >> 24);
	}
}

/* FNV-1a 64 */
static inline uint64_t
tu_csum(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* A control connection of our own, as librsm opens one. */
static inline int
tu_ctl_open(const struct h_rsmd *d)
{
	struct sockaddr_un sa;
	struct timeval tv = { 3, 0 };
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(d->sock) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, d->sock, strlen(d->sock) + 1);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* One request and its reply (notifications skipped); status or -1. */
static inline int
tu_ctl_call(int fd, uint16_t type, uint64_t id, const void *req, size_t len,
    void *rep, size_t cap)
{
	union {
		struct rsm_msg_hdr h;
		unsigned char b[RSM_MSG_MAX];
	} buf;
	struct rsm_msg_hdr h;
	int rfd, nfds;
	ssize_t n;

	rsm_msg_hdr_init(&h, type, 0, 0, id, len);
	if (rsm_msg_send(fd, &h, req, len, -1) != 0)
		return -1;
	for (;;) {
		n = rsm_msg_recv(fd, buf.b, sizeof(buf.b), &rfd, &nfds);
		if (n <= 0)
			return -1;
		if (rfd >= 0)
			close(rfd);
		if (rsm_msg_check(buf.b, (size_t)n, nfds, 1) != 0)
			return -1;
		if (buf.h.id == 0)
			continue;
		if (buf.h.id != id || buf.h.type != type)
			return -1;
		if (buf.h.status == RSM_SUCCESS && rep != NULL)
			memcpy(rep, buf.b + sizeof(h), (size_t)n - sizeof(h) <
			    cap ? (size_t)n - sizeof(h) : cap);
		return (int)buf.h.status;
	}
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
	struct rsm_msg_hello hello = { RSM_PROTO_VERSION, 0 };
	struct rsm_msg_hello_reply hr;
	struct rsm_msg_connect c = { d->node_id, segid, perm, RSM_XPORT_TCP };
	int fd = tu_ctl_open(d), rc;

	*status = -1;
	if (fd < 0)
		return -1;
	if (tu_ctl_call(fd, RSM_MSG_HELLO, 1, &hello, sizeof(hello), &hr,
	    sizeof(hr)) != 0) {
		close(fd);
		return -1;
	}
	rc = tu_ctl_call(fd, RSM_MSG_IMPORT_CONNECT, 2, &c, sizeof(c), rep,
	    sizeof(*rep));
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
	struct timeval tv = { 3, 0 };
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

/* Read exactly len bytes (bounded by the socket timeout). */
static inline int
tu_read(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
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

/* Send HELLO with token; the reply's status, or -1. */
static inline int
tu_hello(int fd, const uint8_t *token, uint64_t id,
    struct rsm_data_hello_reply *hr)
{
	struct {
		struct rsm_data_hdr h;
		struct rsm_data_hello b;
	} m;
	struct rsm_data_hdr r;

	rsm_data_hdr_init(&m.h, RSM_DOP_HELLO, 0, id, 0, sizeof(m.b), 0);
	memcpy(m.b.token, token, sizeof(m.b.token));
	if (h_send(fd, &m, sizeof(m)) != 0 || tu_read(fd, &r, sizeof(r)) != 0)
		return -1;
	if (rsm_data_check_reply(&r, RSM_DOP_HELLO, id, sizeof(*hr), 0) != 0)
		return -1;
	if (r.status == RSM_SUCCESS &&
	    tu_read(fd, hr, sizeof(*hr)) != 0)
		return -1;
	return (int)r.status;
}

#endif /* RSM_TEST_TCP_UTIL_H */
