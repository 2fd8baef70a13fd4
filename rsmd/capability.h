/*
 * capability.h - the tokens that open a served data path, one table for
 * every data service.
 *
 * An import through a served controller (tcp0, verbsN) gets no
 * descriptor: it gets a capability, a 128-bit token from getrandom(2)
 * bound to that import (and so to one segment, the rights granted at
 * connect time and the import's lifetime), plus where the service
 * listens.  Whoever presents the token to that service acts with those
 * rights, so the token is the only secret and it is never reused: a
 * revoked capability is forgotten, and a token nobody knows is refused
 * the same way whether it was forged or merely stale.
 *
 * Revocation is synchronous.  cap_revoke() forgets the token and has the
 * service close every data connection attached to it before returning,
 * and it is called before the registry lets go of the import, so the
 * daemon answers an unpublish, destroy, disconnect, or the death of an
 * exporter or importer only when nobody can reach the memory through
 * that token any more.
 */
#ifndef RSMD_CAPABILITY_H
#define RSMD_CAPABILITY_H

#include <stdint.h>
#include <sys/queue.h>

#include "rsm_proto.h"
#include "rsmd.h"

struct rsmd_service;
struct rsmd_cap;

/* Token hash buckets (a power of two). */
#define CAP_BUCKETS		4096u
/* Data connections one capability may have open at once. */
#define CAP_CONNS_MAX		4u

/* Embedded in a data connection that presented a live token. */
struct cap_conn {
	LIST_ENTRY(cap_conn) link;
	struct rsmd_cap	*cap;		/* NULL while not attached */
};

struct rsm_data_hello;

struct rsmd_cap {
	uint8_t		 token[RSM_CAP_TOKEN_LEN];
	uint8_t		 id[16];	/* rsm_data_cap_id(token): public */
	struct rsmd_cap	*hnext;		/* token hash chain */
	struct reg_import *im;		/* the import it was issued for */
	const struct rsmd_service *svc;	/* whose data path it opens */
	uint32_t	 perm;		/* RSM_PERM_* granted */
	LIST_HEAD(, cap_conn) conns;	/* data connections using it */
	unsigned	 nconns;
	void		*priv;		/* the service's own, or NULL */
};

struct cap_table {
	struct rsmd_cap	*bucket[CAP_BUCKETS];
	size_t		 count;
};

/*
 * Give a live import a capability of service svc.  RSM_SUCCESS, or the
 * service's error, RSMERR_INSUFFICIENT_MEM, RSMERR_INSUFFICIENT_RESOURCES
 * (no randomness).  An earlier capability of the import is revoked.
 */
int	 cap_issue(struct rsmd *, struct reg_import *,
	    const struct rsmd_service *svc, struct rsm_wire_cap *w);
/* Revoke the import's capability, if it has one (see above). */
void	 cap_revoke(struct rsmd *, struct reg_import *, uint32_t reason);
/* Revoke every capability of one service (it stops). */
void	 cap_revoke_service(struct rsmd *, const struct rsmd_service *svc);
/*
 * The capability of service svc holding `token` whose import and
 * segment are live, or NULL.  Compares in constant time.
 */
struct rsmd_cap *cap_find(const struct rsmd *,
	    const struct rsmd_service *svc, const uint8_t *token);
/*
 * The capability of service svc that a tcp0 HELLO names by its public id
 * and proves it holds for this connection's challenge nonce (32 bytes,
 * rsm_data_hello_verify()), with live import and segment; or NULL.
 */
struct rsmd_cap *cap_find_proof(const struct rsmd *,
	    const struct rsmd_service *svc, const struct rsm_data_hello *hello,
	    const uint8_t *nonce);
/*
 * The capability of service svc with public id `id` (16 bytes) and live
 * import and segment, or NULL: a verbs connect request names it so, and
 * proves it holds the token only once connected (rsm_verbs_wire.h).
 */
struct rsmd_cap *cap_find_id(const struct rsmd *,
	    const struct rsmd_service *svc, const uint8_t *id);
/* Attach a connection to cap: -1 when it has CAP_CONNS_MAX already. */
int	 cap_attach(struct rsmd_cap *cap, struct cap_conn *cc);
/* Detach it again (nothing when it is not attached). */
void	 cap_detach(struct cap_conn *cc);
/* Whether the import holds a capability of service svc. */
int	 cap_held(const struct reg_import *, const struct rsmd_service *svc);

#endif /* RSMD_CAPABILITY_H */
