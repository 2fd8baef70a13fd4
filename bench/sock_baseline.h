/*
 * sock_baseline.h - plain TCP on 127.0.0.1, measured in the same run as
 * tcp0 so the ratios say what the rsm layers cost over the socket alone.
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
};

/* A server thread on an ephemeral loopback port and a connected client. */
int	 sockb_start(struct sockb *s, size_t max_len);
void	 sockb_stop(struct sockb *s);
/* len bytes there and len bytes back (a get-sized ping-pong). */
int	 sockb_pingpong(struct sockb *s, size_t len);
/* len bytes there, an 8-byte ack back (put + close barrier). */
int	 sockb_send_acked(struct sockb *s, size_t len);
/* an 8-byte request there, len bytes back (get). */
int	 sockb_fetch(struct sockb *s, size_t len);

#endif /* RSM_SOCK_BASELINE_H */
