/*
 * sockets.c - what the daemon's three listening sockets (local clients,
 * peer daemons, tcp0's data port) do alike: accept without blocking, and
 * name a socket address in logs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include "rsmd.h"
#include "log.h"

int
rsmd_accept(struct rsmd *rs, struct rsmd_io *io,
    struct sockaddr_storage *ss, const char *what, int *exhausted)
{
	socklen_t sl = sizeof(*ss);
	int fd;

	*exhausted = 0;
	fd = accept4(io->fd, ss != NULL ? (struct sockaddr *)ss : NULL,
	    ss != NULL ? &sl : NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
		return -1;
	log_warn("%s: accept", what);
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
	    errno == ENOMEM) {
		/* Level-triggered: stop listening until the caller resumes. */
		rsmd_io_mod(rs, io, 0);
		*exhausted = 1;
	}
	return -1;
}

void
rsmd_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host,
		    (unsigned)ntohs(s6->sin6_port));
	} else
		snprintf(buf, len, "?");
}
