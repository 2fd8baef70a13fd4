/*
 * serve_tcp.h - the data server behind controller tcp0, private to
 * serve_tcp.c (the service and its port) and serve_tcp_conn.c (the
 * connections).  The protocol is proto/rsm_data.h.
 *
 * The daemon is the home of every segment: a data connection copies
 * between its socket and the daemon's own MAP_SHARED mapping of the
 * segment's memfd, so the exporting process takes no part.  Everything
 * runs on the daemon's one thread, which is what makes revocation simple:
 * when cap_revoke() returns, no connection can touch the segment again.
 */
#ifndef RSMD_SERVE_TCP_H
#define RSMD_SERVE_TCP_H

#include <stdint.h>
#include <sys/queue.h>

#include "rsm_data.h"
#include "rsm_ratelimit.h"
#include "rsmd.h"

/* Connections of all kinds; beyond this new ones are refused. */
#define DS_CONNS_MAX		1024u
/* Connections that have not presented a token yet. */
#define DS_HELLO_MAX		64u
/* How long a new connection has to present its token. */
#define DS_HELLO_MS		2000u
/* Refusals logged per second; the rest are counted and summed up. */
#define DS_LOG_PER_SEC		10u

struct dconn;
struct rsmd_cap;


struct dataserv {
	int		 fd;		/* listening socket */
	struct rsmd_io	 io;
	int		 watched;	/* io is in the epoll set */
	/* What importers are told: the bound address (loopback for a
	 * wildcard bind) and port. */
	uint8_t		 family;	/* RSM_CAP_INET or RSM_CAP_INET6 */
	uint8_t		 addr[16];
	uint16_t	 port;
	char		 name[80];	/* for logs */
	TAILQ_HEAD(, dconn) conns;	/* open */
	TAILQ_HEAD(, dconn) dead;	/* closed; freed by `reap` */
	struct rsmd_timer reap;
	struct rsmd_timer accept_retry;	/* out of descriptors: pause */
	size_t		 nconns;
	size_t		 nhello;
	struct rsm_ratelimit refusal_log;
};

/* The service's state (NULL: tcp0 is not present). */
static inline struct dataserv *
tcp_ds(const struct rsmd *rs)
{
	return (struct dataserv *)rs->svc_state[RSM_XPORT_TCP];
}

/* serve_tcp_conn.c */
/* Take over an accepted, non-blocking socket. */
void	 dconn_accept(struct rsmd *, int fd, const char *peer);
/* Close a connection now; it is freed at the end of the loop round. */
void	 dconn_close(struct rsmd *, struct dconn *, const char *why);
/* Close every connection of a capability (revocation). */
void	 dconn_close_cap(struct rsmd *, struct rsmd_cap *, const char *why);
/* Close and free everything (shutdown). */
void	 dconn_close_all(struct rsmd *);
/*
 * Count and log one refusal (malformed frame, bad token, flood), rate
 * limited so a flood cannot flood the log.
 */
void	 ds_refused(struct rsmd *, const char *peer, const char *why);

#endif /* RSMD_SERVE_TCP_H */
