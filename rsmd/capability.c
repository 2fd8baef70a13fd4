/*
 * capability.c - the one capability table of the daemon's data services
 * (see capability.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "rsmapi.h"
#include "rsm_data.h"
#include "capability.h"
#include "service.h"
#include "log.h"

/* Buckets by public id (rsm_data_cap_id()), which hashes like random. */
static size_t
bucket_of(const uint8_t *id)
{
	uint64_t k;

	memcpy(&k, id, sizeof(k));
	return (size_t)(k & (CAP_BUCKETS - 1));
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

static struct rsmd_cap *
lookup_id(const struct cap_table *t, const uint8_t *id)
{
	struct rsmd_cap *c;

	if (t == NULL)
		return NULL;
	for (c = t->bucket[bucket_of(id)]; c != NULL; c = c->hnext)
		if (memcmp(c->id, id, sizeof(c->id)) == 0)
			return c;
	return NULL;
}

static struct rsmd_cap *
lookup(const struct cap_table *t, const uint8_t *token)
{
	uint8_t id[RSM_DATA_CAPID_LEN];
	struct rsmd_cap *c;

	rsm_data_cap_id(token, id);
	c = lookup_id(t, id);
	return c != NULL && token_eq(c->token, token) ? c : NULL;
}

/* Another service's token opens nothing here, nor a dead import's. */
static struct rsmd_cap *
usable(struct rsmd_cap *c, const struct rsmd_service *svc)
{
	if (c == NULL || c->svc != svc || c->im == NULL || c->im->seg == NULL)
		return NULL;
	return c;
}

struct rsmd_cap *
cap_find(const struct rsmd *rs, const struct rsmd_service *svc,
    const uint8_t *token)
{
	return usable(lookup(rs->caps, token), svc);
}

struct rsmd_cap *
cap_find_id(const struct rsmd *rs, const struct rsmd_service *svc,
    const uint8_t *id)
{
	return usable(lookup_id(rs->caps, id), svc);
}

struct rsmd_cap *
cap_find_proof(const struct rsmd *rs, const struct rsmd_service *svc,
    const struct rsm_data_hello *hello, const uint8_t *nonce)
{
	struct rsmd_cap *c = lookup_id(rs->caps, hello->cap_id);

	if (c == NULL || !rsm_data_hello_verify(c->token, nonce, hello))
		return NULL;
	return usable(c, svc);
}

static void
unhash(struct cap_table *t, struct rsmd_cap *cap)
{
	struct rsmd_cap **pp;

	for (pp = &t->bucket[bucket_of(cap->id)]; *pp != NULL;
	    pp = &(*pp)->hnext) {
		if (*pp == cap) {
			*pp = cap->hnext;
			t->count--;
			return;
		}
	}
}

int
cap_issue(struct rsmd *rs, struct reg_import *im,
    const struct rsmd_service *svc, struct rsm_wire_cap *w)
{
	struct rsmd_cap *cap;
	size_t b;
	int rc;

	if (svc == NULL)
		return RSMERR_CTLR_NOT_PRESENT;
	if (im == NULL || im->seg == NULL || w == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if (rs->caps == NULL &&
	    (rs->caps = calloc(1, sizeof(*rs->caps))) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	if (im->cap != NULL)
		cap_revoke(rs, im, RSMERR_CONN_ABORTED);
	if ((cap = calloc(1, sizeof(*cap))) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	/* A collision of 128 random bits means broken randomness: refuse. */
	if (fill_random(cap->token, sizeof(cap->token)) == -1 ||
	    (rsm_data_cap_id(cap->token, cap->id),
	    lookup_id(rs->caps, cap->id) != NULL)) {
		log_warn("getrandom: cannot make a data token");
		free(cap);
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	cap->im = im;
	cap->svc = svc;
	cap->perm = im->perm;
	LIST_INIT(&cap->conns);
	memset(w, 0, sizeof(*w));
	if ((rc = svc->issue(rs, cap, w)) != RSM_SUCCESS) {
		free(cap);
		memset(w, 0, sizeof(*w));
		return rc;
	}
	memcpy(w->token, cap->token, sizeof(w->token));
	b = bucket_of(cap->id);
	cap->hnext = rs->caps->bucket[b];
	rs->caps->bucket[b] = cap;
	rs->caps->count++;
	im->cap = cap;
	log_debug("import %#" PRIx64 ": %s capability issued",
	    im->handle, svc->name);
	return RSM_SUCCESS;
}

void
cap_revoke(struct rsmd *rs, struct reg_import *im, uint32_t reason)
{
	struct rsmd_cap *cap;

	if (im == NULL || (cap = im->cap) == NULL)
		return;
	im->cap = NULL;
	/* Forget the token first: nothing can find it while we close. */
	unhash(rs->caps, cap);
	cap->svc->revoke(rs, cap, reason);
	cap->im = NULL;
	/* A service that left a connection attached would leave it dangling. */
	while (!LIST_EMPTY(&cap->conns))
		cap_detach(LIST_FIRST(&cap->conns));
	log_debug("import %#" PRIx64 ": %s capability revoked (%s)",
	    im->handle, cap->svc->name, rsm_err_name((int)reason));
	free(cap);
}

void
cap_revoke_service(struct rsmd *rs, const struct rsmd_service *svc)
{
	struct rsmd_cap *c, *next;
	size_t i;

	if (rs->caps == NULL)
		return;
	for (i = 0; i < CAP_BUCKETS; i++) {
		for (c = rs->caps->bucket[i]; c != NULL; c = next) {
			next = c->hnext;
			if (c->svc == svc)
				cap_revoke(rs, c->im, RSMERR_CONN_ABORTED);
		}
	}
	/* The last service gone: so is the table. */
	if (rs->caps->count == 0) {
		free(rs->caps);
		rs->caps = NULL;
	}
}

int
cap_attach(struct rsmd_cap *cap, struct cap_conn *cc)
{
	if (cap->nconns >= CAP_CONNS_MAX)
		return -1;
	LIST_INSERT_HEAD(&cap->conns, cc, link);
	cap->nconns++;
	cc->cap = cap;
	return 0;
}

void
cap_detach(struct cap_conn *cc)
{
	if (cc->cap == NULL)
		return;
	LIST_REMOVE(cc, link);
	cc->cap->nconns--;
	cc->cap = NULL;
}

int
cap_held(const struct reg_import *im, const struct rsmd_service *svc)
{
	return im != NULL && im->cap != NULL && im->cap->svc == svc;
}
