/*
 * dataserv.h - the data server behind controller tcp0, private to
 * datalisten.c (the port), capability.c (tokens) and dataserv.c (the
 * connections).  The protocol is proto/rsm_data.h.
 *
 * The daemon is the home of every segment: a data connection copies
 * between its socket and the daemon's own MAP_SHARED mapping of the
 * segment's memfd, so the exporting process takes no part.  Everything
 * runs on the daemon's one thread, which is what makes revocation simple:
 * when cap_revoke() returns, no connection can touch the segment again.
 */
#ifndef RSMD_DATASERV_H
#define RSMD_DATASERV_H

#include <stdint.h>
#include <sys/queue.h>

#include "rsm_data.h"
#include "rsmd.h"

/* Connections of all kinds; beyond this new ones are refused. */
#define DS_CONNS_MAX		1024u
/* Connections that have not presented a token yet. */
#define DS_HELLO_MAX		64u
/* How long a new connection has to present its token. */
#define DS_HELLO_MS		2000u
/* Connections one capability may have open at once. */
#define DS_CAP_CONNS_MAX	4u
/* Token hash buckets (a power of two). */
#define DS_CAP_BUCKETS		4096u
/* Refusals logged per second; the rest are counted and summed up. */
#define DS_LOG_PER_SEC		10u

struct dconn;

struct rsmd_cap {
	uint8_t		 token[RSM_CAP_TOKEN_LEN];
	struct rsmd_cap	*hnext;		/* token hash chain */
	struct reg_import *im;		/* the import it was issued for */
	uint32_t	 perm;		/* RSM_PERM_* granted */
	LIST_HEAD(, dconn) conns;	/* data connections using it */
	unsigned	 nconns;
};

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
	struct rsmd_cap	*bucket[DS_CAP_BUCKETS];
	size_t		 ncaps;
	TAILQ_HEAD(, dconn) conns;	/* open */
	TAILQ_HEAD(, dconn) dead;	/* closed; freed by `reap` */
	struct rsmd_timer reap;
	struct rsmd_timer accept_retry;	/* out of descriptors: pause */
	size_t		 nconns;
	size_t		 nhello;
	uint64_t	 log_sec;	/* refusal log rate limit */
	unsigned	 log_count;
	unsigned	 log_dropped;
};

/* capability.c */
/* The live capability holding `token`, or NULL. */
struct rsmd_cap *cap_find(struct dataserv *, const uint8_t *token);
/* Drop every capability (shutdown; their connections are gone already). */
void	 cap_free_all(struct rsmd *);

/* dataserv.c */
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

#endif /* RSMD_DATASERV_H */
