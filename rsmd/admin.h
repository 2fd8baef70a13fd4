/*
 * admin.h - requests of rsmadm -n (proto/rsm_admin.h), private to
 * admin_serve.c (answering another node's) and admin_forward.c (asking
 * another node for this node's rsmadm).
 */
#ifndef RSMD_ADMIN_H
#define RSMD_ADMIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rsmd;

/*
 * Who a request from another node runs as: no user at all, the id the
 * kernel gives no process ((uid_t)-1).  The cluster key authenticates
 * daemons, not users, so no remote user is root here; and unlike nobody
 * (65534) it is never rsmd's own uid (privileged for rsmadm segment),
 * whatever user rsmd runs as.
 */
#define ADMIN_REMOTE_UID	((uid_t)-1)
#define ADMIN_REMOTE_GID	((gid_t)-1)
/* Snapshots of long answers kept at once, and for how long unread. */
#define ADMIN_SNAPS_MAX		16u
#define ADMIN_SNAP_TTL_MS	10000u

/* The whole answer to one request, taken at once. */
struct admin_snap;

/* Register the peer server (rsmd.c, before peer_init); 0 or -1. */
int	 admin_init(void);
/* Drop the snapshots still kept for other nodes (rsmd.c, at exit). */
void	 admin_shutdown(void);

/* admin_serve.c */
/*
 * Run an allowed request, with its payload (arglen bytes at arg, the
 * callers having checked them), as the remote operator; the answer, or
 * NULL with *status the RSMERR_* that ended it.
 */
struct admin_snap *admin_collect(struct rsmd *, uint32_t type,
	    const void *arg, size_t arglen, int *status);
size_t	 admin_snap_parts(const struct admin_snap *);
const void *admin_snap_part(const struct admin_snap *, size_t i,
	    size_t *len);
void	 admin_snap_free(struct admin_snap *);

#endif /* RSMD_ADMIN_H */
