/*
 * peer_poke.c - a hostile client of rsmd's peer port, for the network
 * tests.
 *
 *   peer_poke HOST PORT MODE       send one kind of bad input, then exit 0
 *                                  if rsmd closes the connection within
 *                                  5 s, 1 if it does not
 *   peer_poke HOST PORT flood N MS open N connections at once, hold them
 *                                  MS milliseconds, exit 0 once done
 *
 * MODE: truncated (a valid header announcing more than is sent, then the
 * write side is shut), oversized (a header announcing a frame above the
 * cap), version, type, flags (bad header fields), random (random bytes),
 * silent (a valid HELLO, then nothing: the handshake deadline), badauth
 * (a valid HELLO, then an AUTH with a wrong MAC).  The HELLOs claim node
 * $POKE_NODE, 2 by default.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rsm_peer.h"

#define CLOSE_WAIT_MS	5000

static struct addrinfo *target;

static int
dial(int nonblock)
{
	int fd = socket(target->ai_family, SOCK_STREAM | (nonblock ?
	    SOCK_NONBLOCK : 0), 0);

	if (fd == -1)
		return -1;
	if (connect(fd, target->ai_addr, target->ai_addrlen) == -1 &&
	    !(nonblock && errno == EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 0 when the other side closes (EOF or reset) within CLOSE_WAIT_MS. */
static int
wait_closed(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned char buf[4096];
	struct timespec t0, t;
	ssize_t n;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = CLOSE_WAIT_MS - ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 0;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -1;
		/* The daemon's own HELLO and AUTH: read past them. */
	}
}

static size_t
hello(unsigned char *frame, uint32_t node)
{
	struct rsm_peer_hello h;
	uint8_t nonce[RSM_PEER_NONCE_LEN];

	memset(nonce, 0x5a, sizeof(nonce));
	rsm_peer_hello_fill(&h, node, 42, nonce);
	return rsm_peer_encode(frame, RSM_PEER_HELLO, 0, 0, 0, &h, sizeof(h));
}

static int
poke(const char *mode)
{
	unsigned char frame[RSM_PEER_FRAME_MAX * 2];
	/* A configured peer of the target (see lib.sh), not the target itself. */
	uint32_t as = getenv("POKE_NODE") ? (uint32_t)atoi(getenv("POKE_NODE")) : 2;
	size_t n = hello(frame, as), i;
	int fd = dial(0), rc;

	if (fd == -1) {
		perror("peer_poke: connect");
		return 2;
	}
	if (strcmp(mode, "truncated") == 0) {
		/* Announces the whole HELLO, sends half, then no more. */
		rc = send_all(fd, frame, n / 2);
		shutdown(fd, SHUT_WR);
	} else if (strcmp(mode, "oversized") == 0) {
		rsm_peer_put32(frame + offsetof(struct rsm_peer_hdr, len),
		    RSM_PEER_FRAME_MAX + 1);
		rc = send_all(fd, frame, n);
	} else if (strcmp(mode, "version") == 0) {
		frame[offsetof(struct rsm_peer_hdr, version)] = 9;
		rc = send_all(fd, frame, n);
	} else if (strcmp(mode, "type") == 0) {
		frame[offsetof(struct rsm_peer_hdr, type)] = 99;
		rc = send_all(fd, frame, n);
	} else if (strcmp(mode, "flags") == 0) {
		frame[offsetof(struct rsm_peer_hdr, flags)] = 0x80;
		rc = send_all(fd, frame, n);
	} else if (strcmp(mode, "random") == 0) {
		srand(12345);
		for (i = 0; i < 512; i++)
			frame[i] = (unsigned char)rand();
		/* Never the magic by chance. */
		frame[0] = 0xff;
		rc = send_all(fd, frame, 512);
	} else if (strcmp(mode, "silent") == 0) {
		rc = send_all(fd, frame, n);
	} else if (strcmp(mode, "badauth") == 0) {
		struct rsm_peer_auth a;

		memset(&a, 0x33, sizeof(a));
		rc = send_all(fd, frame, n);
		n = rsm_peer_encode(frame, RSM_PEER_AUTH, 0, 0, 0, &a,
		    sizeof(a));
		if (rc == 0)
			rc = send_all(fd, frame, n);
	} else {
		fprintf(stderr, "peer_poke: unknown mode %s\n", mode);
		close(fd);
		return 2;
	}
	if (rc == -1) {
		/* Already closed on us mid-send counts as closed. */
		close(fd);
		return 0;
	}
	rc = wait_closed(fd);
	close(fd);
	if (rc != 0)
		fprintf(stderr, "peer_poke: %s: connection still open after "
		    "%d ms\n", mode, CLOSE_WAIT_MS);
	return rc == 0 ? 0 : 1;
}

static int
flood(int count, int hold_ms)
{
	struct rlimit rl;
	int *fds, i, opened = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <
	    (rlim_t)count + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)count + 64 ? rl.rlim_max :
		    (rlim_t)count + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((fds = calloc((size_t)count, sizeof(int))) == NULL)
		return 2;
	for (i = 0; i < count; i++)
		if ((fds[i] = dial(1)) >= 0)
			opened++;
	printf("opened %d of %d connections\n", opened, count);
	fflush(stdout);
	poll(NULL, 0, hold_ms);
	for (i = 0; i < count; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return opened > 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	struct addrinfo hints;

	if (argc < 4) {
		fprintf(stderr, "usage: peer_poke HOST PORT MODE | "
		    "HOST PORT flood N MS\n");
		return 2;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(argv[1], argv[2], &hints, &target) != 0) {
		fprintf(stderr, "peer_poke: bad address %s %s\n", argv[1],
		    argv[2]);
		return 2;
	}
	if (strcmp(argv[3], "flood") == 0)
		return argc == 6 ? flood(atoi(argv[4]), atoi(argv[5])) : 2;
	return poke(argv[3]);
}
