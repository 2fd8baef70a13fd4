/*
 * sock_baseline.c - the plain-socket side of the tcp0 comparison: the
 * same exchanges tcp0 makes (request/reply with TCP_NODELAY over
 * loopback), minus the protocol, the daemon and the library.
 *
 * The server thread reads a 16-byte command {op, len} and answers:
 * ECHO reads len bytes and sends them back, SINK reads len bytes and
 * sends 8, SOURCE sends len bytes.
 */
#include "sock_baseline.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { OP_QUIT, OP_ECHO, OP_SINK, OP_SOURCE };

struct cmd {
	uint64_t op;
	uint64_t len;
};

static int
io_all(int fd, void *buf, size_t len, int is_send)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = is_send ? send(fd, p, len, MSG_NOSIGNAL) :
		    recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct srv {
	int	 fd;
	size_t	 cap;
};

static void *
server(void *arg)
{
	struct srv *sv = arg;
	char *buf = malloc(sv->cap);
	uint64_t ack = 0;
	struct cmd c;

	while (buf != NULL && io_all(sv->fd, &c, sizeof(c), 0) == 0 &&
	    c.op != OP_QUIT && c.len <= sv->cap) {
		int rc = 0;

		if (c.op == OP_ECHO)
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

int
sockb_pingpong(struct sockb *s, size_t len)
{
	if (command(s, OP_ECHO, len) != 0 || io_all(s->fd, s->buf, len, 1) ||
	    io_all(s->fd, s->buf, len, 0))
		return -1;
	return 0;
}

int
sockb_send_acked(struct sockb *s, size_t len)
{
	uint64_t ack;

	if (command(s, OP_SINK, len) != 0 || io_all(s->fd, s->buf, len, 1) ||
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
