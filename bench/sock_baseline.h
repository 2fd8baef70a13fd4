/*
 * sock_baseline.h - plain TCP, measured in the same run as tcp0 so the
 * ratios say what the rsm layers cost over the socket alone: on
 * 127.0.0.1 with a server thread (rsm_perf), or between two network
 * namespaces with a server process (rsm_net_perf).
 */
#ifndef RSM_SOCK_BASELINE_H
#define RSM_SOCK_BASELINE_H

#include <pthread.h>
#include <stddef.h>

struct sockb {
	int		 fd;		/* the client's end */
	int		 lfd;
	pthread_t	 server;
	char		*buf;		/* client scratch */
	size_t		 cap;
	int		 threaded;	/* server is a thread of ours */
};

/* A server thread on an ephemeral loopback port and a connected client. */
int	 sockb_start(struct sockb *s, size_t max_len);
void	 sockb_stop(struct sockb *s);
/*
 * The same server as a process of its own: listen on addr:port (numeric
 * IPv4) and serve one client at a time until lifetime_s have passed.
 * Returns only on an error (-1) or at the end of the lifetime (0).
 */
int	 sockb_serve(const char *addr, int port, size_t max_len,
	    int lifetime_s);
/* A client of sockb_serve; sockb_stop ends it. */
int	 sockb_connect(struct sockb *s, const char *addr, int port,
	    size_t max_len);
/* len bytes there and len bytes back (a get-sized ping-pong). */
int	 sockb_pingpong(struct sockb *s, size_t len);
/* len bytes there, an 8-byte ack back (put + close barrier). */
int	 sockb_send_acked(struct sockb *s, size_t len);
/* an 8-byte request there, len bytes back (get). */
int	 sockb_fetch(struct sockb *s, size_t len);
/*
 * A one-way stream of total bytes in send()s of s->cap bytes, then an
 * 8-byte ack (to the server), or the server sending total bytes (from
 * it): the bandwidth the path can carry, one round trip per call.
 */
int	 sockb_stream_to(struct sockb *s, size_t total);
int	 sockb_stream_from(struct sockb *s, size_t total);

#endif /* RSM_SOCK_BASELINE_H */
