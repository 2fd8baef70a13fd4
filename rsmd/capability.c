/*
 * capability.c - the tokens that open the data path of controller tcp0.
 *
 * An import made through tcp0 gets no descriptor: it gets a capability, a
 * 128-bit token from getrandom(2) bound to that import (and so to one
 * segment, the rights granted at connect time and the import's lifetime),
 * plus the data server's address and port.  Whoever presents the token to
 * the data server acts with those rights, so the token is the only secret
 * and it is never reused: a revoked capability is forgotten, and a token
 * the server does not know is refused the same way whether it was forged
 * or merely stale.
 *
 * Revocation is synchronous.  cap_revoke() closes every data connection
 * using the capability before returning, and it is called before the
 * registry lets go of the import, so the daemon answers an unpublish,
 * destroy, disconnect, or the death of an exporter or importer only when
 * nobody can reach the memory through that token any more.  Rebind keeps
 * capabilities: the server always copies through the segment's current
 * mapping, so importers follow the new memory as spec 6.4 wants.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "rsmapi.h"
#include "dataserv.h"
#include "vserv.h"
#include "log.h"

static size_t
bucket_of(const uint8_t *token)
{
	uint64_t k;

	/* The token is uniformly random: any 64 bits of it hash well. */
	memcpy(&k, token, sizeof(k));
	return (size_t)(k & (DS_CAP_BUCKETS - 1));
}

/* Compare without an early exit, so timing tells nothing about a guess. */
static int
token_eq(const uint8_t *a, const uint8_t *b)
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < RSM_CAP_TOKEN_LEN; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

static int
fill_random(uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = getrandom(buf + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

struct rsmd_cap *
cap_find(struct dataserv *ds, const uint8_t *token)
{
	struct rsmd_cap *c;

	for (c = ds->bucket[bucket_of(token)]; c != NULL; c = c->hnext)
		if (token_eq(c->token, token))
			return c;
	return NULL;
}

static void
cap_unhash(struct dataserv *ds, struct rsmd_cap *cap)
{
	struct rsmd_cap **pp;

	for (pp = &ds->bucket[bucket_of(cap->token)]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == cap) {
			*pp = cap->hnext;
			ds->ncaps--;
			return;
		}
	}
}

int
cap_issue(struct rsmd *rs, struct reg_import *im, struct rsm_wire_cap *w)
{
	struct dataserv *ds = rs->ds;
	struct rsmd_cap *cap;
	size_t b;

	if (ds == NULL)
		return RSMERR_CTLR_NOT_PRESENT;
	if (im == NULL || im->seg == NULL || w == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if (im->cap != NULL)
		cap_revoke(rs, im, RSMERR_CONN_ABORTED);
	if ((cap = calloc(1, sizeof(*cap))) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	/* A collision of 128 random bits means broken randomness: refuse. */
	if (fill_random(cap->token, sizeof(cap->token)) == -1 ||
	    cap_find(ds, cap->token) != NULL) {
		log_warn("getrandom: cannot make a data token");
		free(cap);
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	cap->im = im;
	cap->perm = im->perm;
	LIST_INIT(&cap->conns);
	b = bucket_of(cap->token);
	cap->hnext = ds->bucket[b];
	ds->bucket[b] = cap;
	ds->ncaps++;
	im->cap = cap;

	memset(w, 0, sizeof(*w));
	memcpy(w->token, cap->token, sizeof(w->token));
	memcpy(w->addr, ds->addr, sizeof(w->addr));
	w->port = ds->port;
	w->family = ds->family;
	log_debug("import %#llx: data capability issued (%s)",
	    (unsigned long long)im->handle, ds->name);
	return RSM_SUCCESS;
}

void
cap_revoke(struct rsmd *rs, struct reg_import *im, uint32_t reason)
{
	struct rsmd_cap *cap;

	/* The verbs data path's capability goes with the same import. */
	vcap_revoke(rs, im);
	if (im == NULL || (cap = im->cap) == NULL)
		return;
	im->cap = NULL;
	cap->im = NULL;
	/* Forget the token first: nothing can find it while we close. */
	if (rs->ds != NULL) {
		cap_unhash(rs->ds, cap);
		dconn_close_cap(rs, cap, reason == RSMERR_CONN_ABORTED ?
		    "capability revoked" : "capability revoked (error)");
	}
	log_debug("import %#llx: data capability revoked (reason %u)",
	    (unsigned long long)im->handle, reason);
	free(cap);
}

void
cap_free_all(struct rsmd *rs)
{
	struct dataserv *ds = rs->ds;
	struct rsmd_cap *c, *next;
	size_t i;

	for (i = 0; i < DS_CAP_BUCKETS; i++) {
		for (c = ds->bucket[i]; c != NULL; c = next) {
			next = c->hnext;
			if (c->im != NULL)
				c->im->cap = NULL;
			dconn_close_cap(rs, c, "shutting down");
			free(c);
		}
		ds->bucket[i] = NULL;
	}
	ds->ncaps = 0;
}
