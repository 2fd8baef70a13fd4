/*
 * sock_baseline.c - the plain-socket side of the tcp0 comparison: the
 * same exchanges tcp0 makes (request/reply with TCP_NODELAY), minus the
 * protocol, the daemon and the library.
 *
 * The server (a thread, or a process of its own) reads a 16-byte command
 * {op, len} and answers: ECHO reads len bytes and sends them back, SINK
 * reads len bytes and sends 8, SOURCE sends len bytes; STREAM_IN and
 * STREAM_OUT do the same as SINK and SOURCE for any len, in pieces of
 * the buffer's size.
 */
#include "bench_util.h"
#include "sock_baseline.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

enum { OP_QUIT, OP_ECHO, OP_SINK, OP_SOURCE, OP_STREAM_IN, OP_STREAM_OUT };

/* A server process never blocks longer than this on one client. */
#define SERVE_IO_TIMEOUT_S	30

struct cmd {
	uint64_t op;
	uint64_t len;
};

/*
 * Both programs that link this ignore SIGPIPE before they open a socket,
 * so plain write() serves where send(MSG_NOSIGNAL) would.
 */
static int
io_all(int fd, void *buf, size_t len, int is_send)
{
	return is_send ? bench_write_all(fd, buf, len) :
	    bench_read_all(fd, buf, len);
}

struct srv {
	int	 fd;
	size_t	 cap;
};

/* len bytes in or out in pieces of at most cap (a stream of any size). */
static int
io_stream(int fd, char *buf, size_t cap, uint64_t len, int is_send)
{
	while (len > 0) {
		size_t n = len < cap ? (size_t)len : cap;

		if (io_all(fd, buf, n, is_send) != 0)
			return -1;
		len -= n;
	}
	return 0;
}

static void *
server(void *arg)
{
	struct srv *sv = arg;
	char *buf = malloc(sv->cap);
	uint64_t ack = 0;
	struct cmd c;

	while (buf != NULL && io_all(sv->fd, &c, sizeof(c), 0) == 0 &&
	    c.op != OP_QUIT) {
		int rc = 0;

		if (c.op == OP_STREAM_IN)
			rc = io_stream(sv->fd, buf, sv->cap, c.len, 0) ||
			    io_all(sv->fd, &ack, sizeof(ack), 1);
		else if (c.op == OP_STREAM_OUT)
			rc = io_stream(sv->fd, buf, sv->cap, c.len, 1);
		else if (c.len > sv->cap)
			break;
		else if (c.op == OP_ECHO)
			rc = io_all(sv->fd, buf, c.len, 0) ||
			    io_all(sv->fd, buf, c.len, 1);
		else if (c.op == OP_SINK)
			rc = io_all(sv->fd, buf, c.len, 0) ||
			    io_all(sv->fd, &ack, sizeof(ack), 1);
		else if (c.op == OP_SOURCE)
			rc = io_all(sv->fd, buf, c.len, 1);
		if (rc)
			break;
	}
	free(buf);
	close(sv->fd);
	free(sv);
	return NULL;
}

int
sockb_start(struct sockb *s, size_t max_len)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct srv *sv;
	int one = 1, afd;

	memset(s, 0, sizeof(*s));
	s->fd = s->lfd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(s->lfd, 1) != 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&sa, &sl) != 0 ||
	    (s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (afd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		goto fail;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(afd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((sv = malloc(sizeof(*sv))) == NULL ||
	    (s->buf = malloc(max_len)) == NULL) {
		free(sv);
		close(afd);
		goto fail;
	}
	sv->fd = afd;
	sv->cap = max_len;
	s->cap = max_len;
	if (pthread_create(&s->server, NULL, server, sv) != 0) {
		free(sv);
		close(afd);
		goto fail;
	}
	s->threaded = 1;
	return 0;
fail:
	sockb_stop(s);
	return -1;
}

void
sockb_stop(struct sockb *s)
{
	struct cmd c = { OP_QUIT, 0 };

	if (s->buf != NULL && s->fd >= 0) {
		(void)io_all(s->fd, &c, sizeof(c), 1);
		if (s->threaded)
			pthread_join(s->server, NULL);
	}
	if (s->fd >= 0)
		close(s->fd);
	if (s->lfd >= 0)
		close(s->lfd);
	free(s->buf);
	memset(s, 0, sizeof(*s));
	s->fd = s->lfd = -1;
}

static int
command(struct sockb *s, uint64_t op, size_t len)
{
	struct cmd c = { op, len };

	return len > s->cap ? -1 : io_all(s->fd, &c, sizeof(c), 1);
}

/*
 * The command and its payload in one sendmsg: one segment on the wire,
 * as tcp0 sends a header and its payload, so the baseline is the best a
 * plain socket does (one write, one read) and not two writes.
 */
static int
command_with(struct sockb *s, uint64_t op, size_t len)
{
	struct cmd c = { op, len };
	struct iovec iov[2] = { { &c, sizeof(c) }, { s->buf, len } };
	struct msghdr mh;
	size_t left = sizeof(c) + len;
	ssize_t n;

	if (len > s->cap)
		return -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	do {
		n = sendmsg(s->fd, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	if ((size_t)n == left)
		return 0;
	/* A short send: the rest the plain way. */
	if ((size_t)n < sizeof(c))
		return io_all(s->fd, (char *)&c + n, sizeof(c) - (size_t)n, 1) ||
		    io_all(s->fd, s->buf, len, 1);
	return io_all(s->fd, s->buf + ((size_t)n - sizeof(c)),
	    left - (size_t)n, 1);
}

int
sockb_pingpong(struct sockb *s, size_t len)
{
	if (command_with(s, OP_ECHO, len) != 0 ||
	    io_all(s->fd, s->buf, len, 0))
		return -1;
	return 0;
}

int
sockb_send_acked(struct sockb *s, size_t len)
{
	uint64_t ack;

	if (command_with(s, OP_SINK, len) != 0 ||
	    io_all(s->fd, &ack, sizeof(ack), 0))
		return -1;
	return 0;
}

int
sockb_fetch(struct sockb *s, size_t len)
{
	if (command(s, OP_SOURCE, len) != 0 || io_all(s->fd, s->buf, len, 0))
		return -1;
	return 0;
}

int
sockb_stream_to(struct sockb *s, size_t total)
{
	uint64_t ack;
	struct cmd c = { OP_STREAM_IN, total };

	if (io_all(s->fd, &c, sizeof(c), 1) != 0 ||
	    io_stream(s->fd, s->buf, s->cap, total, 1) != 0 ||
	    io_all(s->fd, &ack, sizeof(ack), 0) != 0)
		return -1;
	return 0;
}

int
sockb_stream_from(struct sockb *s, size_t total)
{
	struct cmd c = { OP_STREAM_OUT, total };

	if (io_all(s->fd, &c, sizeof(c), 1) != 0 ||
	    io_stream(s->fd, s->buf, s->cap, total, 0) != 0)
		return -1;
	return 0;
}

static int
inet_addr_of(const char *addr, int port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return port > 0 && port < 65536 &&
	    inet_pton(AF_INET, addr, &sa->sin_addr) == 1 ? 0 : -1;
}

int
sockb_serve(const char *addr, int port, size_t max_len, int lifetime_s)
{
	struct timeval tv = { SERVE_IO_TIMEOUT_S, 0 };
	struct sockaddr_in sa;
	uint64_t end = rsm_now_ms() + (uint64_t)lifetime_s * 1000u;
	int lfd, fd, one = 1;

	if (inet_addr_of(addr, port, &sa) != 0 ||
	    (lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 4) != 0) {
		close(lfd);
		return -1;
	}
	for (;;) {
		struct pollfd pfd = { lfd, POLLIN, 0 };
		uint64_t now = rsm_now_ms();
		struct srv *sv;
		int r;

		if (now >= end)
			break;
		r = poll(&pfd, 1, (int)(end - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(lfd);
			return -1;
		}
		if (r == 0 || (fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		/* One client at a time; a stalled one cannot hold it forever. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if ((sv = malloc(sizeof(*sv))) == NULL) {
			close(fd);
			continue;
		}
		sv->fd = fd;
		sv->cap = max_len;
		(void)server(sv);
	}
	close(lfd);
	return 0;
}

int
sockb_connect(struct sockb *s, const char *addr, int port, size_t max_len)
{
	struct sockaddr_in sa;
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->fd = s->lfd = -1;
	if (inet_addr_of(addr, port, &sa) != 0 ||
	    (s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (s->buf = malloc(max_len)) == NULL) {
		sockb_stop(s);
		return -1;
	}
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->cap = max_len;
	return 0;
}
