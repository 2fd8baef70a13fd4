/*
 * registry.c - the node's segments and imports, as plain data.
 *
 * No sockets and no memory mappings here: the caller (control.c) does the
 * I/O and the registry answers "may this happen" and keeps the books, so
 * every decision can be unit tested.  Lookups are hash tables keyed by
 * daemon handle, published segment id and uid, so a node holding tens of
 * thousands of segments answers a connect in constant time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "rsm_ctlr.h"

#define HTAB_MIN	64u

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

/* ---- hash table of intrusive nodes ---- */

static size_t
hslot(const struct htab *t, uint64_t key)
{
	/* Handles and ids are sequential: mix the bits before masking. */
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (size_t)key & (t->nbucket - 1);
}

static int
htab_init(struct htab *t)
{
	t->nbucket = HTAB_MIN;
	t->count = 0;
	t->bucket = calloc(t->nbucket, sizeof(*t->bucket));
	return t->bucket ? 0 : -1;
}

static void
htab_fini(struct htab *t)
{
	free(t->bucket);
	t->bucket = NULL;
	t->nbucket = t->count = 0;
}

static void
htab_grow(struct htab *t)
{
	struct hnode **nb, *n, *next;
	size_t i, onb = t->nbucket;
	struct htab nt;

	nt.nbucket = onb * 2;
	if ((nb = calloc(nt.nbucket, sizeof(*nb))) == NULL)
		return;		/* keep the longer chains; still correct */
	nt.bucket = nb;
	for (i = 0; i < onb; i++)
		for (n = t->bucket[i]; n != NULL; n = next) {
			size_t s = hslot(&nt, n->key);

			next = n->next;
			n->next = nb[s];
			nb[s] = n;
		}
	free(t->bucket);
	t->bucket = nb;
	t->nbucket = nt.nbucket;
}

static void
htab_insert(struct htab *t, struct hnode *n, uint64_t key)
{
	size_t s;

	if (t->count >= t->nbucket)
		htab_grow(t);
	s = hslot(t, key);
	n->key = key;
	n->next = t->bucket[s];
	t->bucket[s] = n;
	t->count++;
}

static struct hnode *
htab_find(const struct htab *t, uint64_t key)
{
	struct hnode *n;

	for (n = t->bucket[hslot(t, key)]; n != NULL; n = n->next)
		if (n->key == key)
			return n;
	return NULL;
}

static void
htab_remove(struct htab *t, struct hnode *n)
{
	struct hnode **pp;

	for (pp = &t->bucket[hslot(t, n->key)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			t->count--;
			return;
		}
}

/* ---- per-uid usage ---- */

static struct reg_usage *
usage_find(const struct registry *r, uid_t uid)
{
	struct hnode *n = htab_find(&r->usage_by_uid, uid);

	return n ? container_of(n, struct reg_usage, node) : NULL;
}

static struct reg_usage *
usage_get(struct registry *r, uid_t uid)
{
	struct reg_usage *u = usage_find(r, uid);

	if (u != NULL)
		return u;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	htab_insert(&r->usage_by_uid, &u->node, uid);
	return u;
}

static void
usage_put(struct registry *r, struct reg_usage *u)
{
	if (u->segments == 0 && u->bytes == 0 && u->imports == 0) {
		htab_remove(&r->usage_by_uid, &u->node);
		free(u);
	}
}

const struct reg_usage *
reg_usage_of(const struct registry *r, uid_t uid)
{
	return usage_find(r, uid);
}

/* ---- setup ---- */

int
reg_init(struct registry *r, const struct reg_limits *lim)
{
	memset(r, 0, sizeof(*r));
	r->lim = *lim;
	if (r->lim.page_size == 0)
		r->lim.page_size = 4096;
	TAILQ_INIT(&r->all);
	r->next_handle = 1;
	r->next_segid = RSMD_AUTO_SEGID_BASE;
	if (htab_init(&r->seg_by_handle) || htab_init(&r->seg_by_segid) ||
	    htab_init(&r->imp_by_handle) || htab_init(&r->usage_by_uid)) {
		reg_fini(r);
		return -1;
	}
	return 0;
}

void
reg_set_limits(struct registry *r, const struct reg_limits *lim)
{
	uint64_t page = r->lim.page_size;

	r->lim = *lim;
	if (r->lim.page_size == 0)
		r->lim.page_size = page;
}

void
reg_fini(struct registry *r)
{
	htab_fini(&r->seg_by_handle);
	htab_fini(&r->seg_by_segid);
	htab_fini(&r->imp_by_handle);
	htab_fini(&r->usage_by_uid);
}

void
reg_owner_init(struct reg_owner *o, uid_t uid, gid_t gid, pid_t pid)
{
	memset(o, 0, sizeof(*o));
	o->uid = uid;
	o->gid = gid;
	o->pid = pid;
	TAILQ_INIT(&o->segments);
	TAILQ_INIT(&o->imports);
}

/* ---- export side ---- */

int
reg_export_check_args(const struct registry *r, uint64_t size,
    uint32_t flags)
{
	if (flags & RSM_LOCK_OPS)
		return RSMERR_LOCKS_NOT_SUPPORTED;
	if (flags & ~(uint32_t)(RSM_ALLOW_REBIND | RSM_CREATE_SEG_DONTWAIT))
		return RSMERR_BAD_MODE;
	if (size == 0 || size % r->lim.page_size != 0 ||
	    size > r->lim.max_segment_size)
		return RSMERR_BAD_LENGTH;
	return RSM_SUCCESS;
}

int
reg_export_add(struct registry *r, struct reg_owner *o, uint64_t size,
    uint32_t flags, uint32_t mode, uint32_t xport, struct reg_segment **out)
{
	const struct reg_usage *cur = usage_find(r, o->uid);
	const struct rsm_ctlr_type *t;
	struct reg_usage *u;
	struct reg_segment *s;
	int rc;

	*out = NULL;
	if ((rc = reg_export_check_args(r, size, flags)) != RSM_SUCCESS)
		return rc;
	if (r->nsegments >= r->lim.max_segments)
		return RSMERR_INSUFFICIENT_RESOURCES;
	if (r->lim.quota_segments && cur &&
	    cur->segments >= r->lim.quota_segments)
		return RSMERR_INSUFFICIENT_RESOURCES;
	if (r->lim.quota_bytes && ((cur ? cur->bytes : 0) > r->lim.quota_bytes ||
	    size > r->lim.quota_bytes - (cur ? cur->bytes : 0)))
		return RSMERR_INSUFFICIENT_MEM;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	if ((u = usage_get(r, o->uid)) == NULL) {
		free(s);
		return RSMERR_INSUFFICIENT_MEM;
	}
	s->owner = o;
	s->handle = r->next_handle++;
	s->size = size;
	s->flags = flags;
	s->mode = mode & 0777;
	s->xport = xport;
	s->this_node_only = (t = rsm_ctlr_by_xport(xport)) != NULL &&
	    (t->flags & RSM_CTLRF_THIS_NODE) != 0;
	s->pid = o->pid;
	s->uid = o->uid;
	s->gid = o->gid;
	s->fd = -1;
	s->ro_fd = -1;
	TAILQ_INIT(&s->imports);
	htab_insert(&r->seg_by_handle, &s->by_handle, s->handle);
	TAILQ_INSERT_TAIL(&r->all, s, all_link);
	TAILQ_INSERT_TAIL(&o->segments, s, owner_link);
	u->segments++;
	u->bytes += size;
	r->nsegments++;
	r->bytes += size;
	*out = s;
	return RSM_SUCCESS;
}

void
reg_export_remove(struct registry *r, struct reg_segment *s)
{
	struct reg_usage *u = usage_find(r, s->uid);
	struct reg_import *im;

	if (s->published)
		reg_unpublish(r, s);
	while ((im = TAILQ_FIRST(&s->imports)) != NULL)
		reg_import_revoke(r, im, RSMERR_CONN_ABORTED);
	htab_remove(&r->seg_by_handle, &s->by_handle);
	TAILQ_REMOVE(&r->all, s, all_link);
	TAILQ_REMOVE(&s->owner->segments, s, owner_link);
	if (u != NULL) {
		u->segments--;
		u->bytes -= s->size;
		usage_put(r, u);
	}
	r->nsegments--;
	r->bytes -= s->size;
	free(s);
}

int
reg_rebind_check(const struct reg_segment *s, uint64_t size)
{
	if (!(s->flags & RSM_ALLOW_REBIND))
		return RSMERR_REBIND_NOT_ALLOWED;
	if (size != s->size)
		return RSMERR_BAD_LENGTH;
	return RSM_SUCCESS;
}

/* ---- publishing ---- */

int
reg_acl_check(const struct registry *r, const struct reg_segment *s,
    const struct rsm_wire_ace *acl, uint32_t n)
{
	uint32_t i;

	if (n > RSM_ACL_MAX)
		return RSMERR_BAD_ACL;
	for (i = 0; i < n; i++)
		if (acl[i].node > RSM_NODE_ID_MAX ||
		    acl[i].perm > RSMD_ACL_PERM_MAX)
			return RSMERR_BAD_ACL;
	/*
	 * A loopback segment cannot be reached from another node, so its
	 * list names the local node or nobody (spec 4.4).
	 */
	if (s->this_node_only &&
	    (n > 1 || (n == 1 && acl[0].node != r->lim.node_id)))
		return RSMERR_BAD_ACL;
	return RSM_SUCCESS;
}

int
reg_segid_check(const struct registry *r, uint32_t segid)
{
	if (segid <= RSMD_RESERVED_SEGID_END || segid >= RSMD_AUTO_SEGID_BASE ||
	    segid < r->lim.segid_min || segid > r->lim.segid_max)
		return RSMERR_RESERVED_SEGID;
	if (htab_find(&r->seg_by_segid, segid) != NULL)
		return RSMERR_SEGID_IN_USE;
	return RSM_SUCCESS;
}

static void
set_acl(struct reg_segment *s, const struct rsm_wire_ace *acl, uint32_t n)
{
	if (n > 0)
		memcpy(s->acl, acl, n * sizeof(*acl));
	s->acl_len = n;
}

int
reg_publish(struct registry *r, struct reg_segment *s, uint32_t *segid,
    const struct rsm_wire_ace *acl, uint32_t n)
{
	uint32_t id = *segid;
	int rc;

	if (s->published)
		return RSMERR_SEG_ALREADY_PUBLISHED;
	if ((rc = reg_acl_check(r, s, acl, n)) != RSM_SUCCESS)
		return rc;
	if (id == 0) {
		/* Automatic ids are never reused, not even after unpublish. */
		if (r->segids_exhausted)
			return RSMERR_INSUFFICIENT_RESOURCES;
		id = r->next_segid;
		if (htab_find(&r->seg_by_segid, id) != NULL)
			return RSMERR_SEGID_IN_USE;
		if (++r->next_segid == 0)
			r->segids_exhausted = 1;
	} else if ((rc = reg_segid_check(r, id)) != RSM_SUCCESS)
		return rc;
	set_acl(s, acl, n);
	s->segid = id;
	s->published = 1;
	htab_insert(&r->seg_by_segid, &s->by_segid, id);
	r->npublished++;
	*segid = id;
	if (r->watch != NULL)
		r->watch(r, RSM_MON_PUBLISH, s, NULL, 0);
	return RSM_SUCCESS;
}

int
reg_republish(struct registry *r, struct reg_segment *s,
    const struct rsm_wire_ace *acl, uint32_t n)
{
	int rc;

	if (!s->published)
		return RSMERR_SEG_NOT_PUBLISHED;
	if ((rc = reg_acl_check(r, s, acl, n)) != RSM_SUCCESS)
		return rc;
	/* Existing connections keep their rights (spec 6.3). */
	set_acl(s, acl, n);
	return RSM_SUCCESS;
}

int
reg_unpublish(struct registry *r, struct reg_segment *s)
{
	if (!s->published)
		return RSMERR_SEG_NOT_PUBLISHED;
	/* Told first, while the segment still has its id. */
	if (r->watch != NULL)
		r->watch(r, RSM_MON_UNPUBLISH, s, NULL, 0);
	htab_remove(&r->seg_by_segid, &s->by_segid);
	s->published = 0;
	s->segid = 0;
	s->acl_len = 0;
	r->npublished--;
	return RSM_SUCCESS;
}

/* ---- import side ---- */

static int
in_group(const struct reg_owner *o, gid_t gid)
{
	size_t i;

	if (o->gid == gid)
		return 1;
	for (i = 0; i < o->ngroups; i++)
		if (o->groups[i] == gid)
			return 1;
	return 0;
}

int
reg_access(const struct registry *r, const struct reg_segment *s,
    const struct reg_owner *o, uint32_t node, uint32_t perm,
    uint32_t *node_mode)
{
	uint32_t mode, mask = 0, eff, cls, want;
	uint32_t i;

	if (!s->published)
		return RSMERR_SEG_NOT_PUBLISHED;
	/* Node level (spec 4.1): the entry for the importing node. */
	if (s->acl_len == 0)
		mode = s->mode;
	else {
		for (i = 0; i < s->acl_len; i++)
			if (s->acl[i].node == node)
				break;
		if (i == s->acl_len)
			return RSMERR_SEG_NOT_PUBLISHED_TO_NODE;
		mode = s->acl[i].perm;
	}
	/* User level (spec 4.2): one class of the masked mode. */
	if (perm & RSM_PERM_READ)
		mask |= 0444;
	if (perm & RSM_PERM_WRITE)
		mask |= 0222;
	eff = mask & mode;
	if (o->uid == s->uid)
		cls = (eff >> 6) & 7;
	else if (in_group(o, s->gid))
		cls = (eff >> 3) & 7;
	else
		cls = eff & 7;
	want = (perm >> 6) & 7;
	if ((cls & want) != want && o->uid != 0)
		return RSMERR_PERM_DENIED;
	(void)r;
	*node_mode = mode;
	return RSM_SUCCESS;
}

/* Quota, then a new import owned by o (no segment attached yet). */
static int
import_new(struct registry *r, struct reg_owner *o, uint32_t perm,
    struct reg_import **out)
{
	const struct reg_usage *cur;
	struct reg_import *im;
	struct reg_usage *u;

	cur = usage_find(r, o->uid);
	if (r->lim.quota_imports && cur &&
	    cur->imports >= r->lim.quota_imports)
		return RSMERR_INSUFFICIENT_RESOURCES;
	if ((im = calloc(1, sizeof(*im))) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	if ((u = usage_get(r, o->uid)) == NULL) {
		free(im);
		return RSMERR_INSUFFICIENT_MEM;
	}
	im->owner = o;
	im->handle = r->next_handle++;
	im->perm = perm;
	htab_insert(&r->imp_by_handle, &im->by_handle, im->handle);
	TAILQ_INSERT_TAIL(&o->imports, im, owner_link);
	u->imports++;
	r->nimports++;
	*out = im;
	return RSM_SUCCESS;
}

static int
perm_ok(uint32_t perm)
{
	return perm == RSM_PERM_READ || perm == RSM_PERM_WRITE ||
	    perm == RSM_PERM_RDWR;
}

int
reg_import_connect_from(struct registry *r, struct reg_owner *o,
    uint32_t from, uint32_t segid, uint32_t perm, struct reg_import **out)
{
	struct reg_segment *s;
	struct reg_import *im;
	uint32_t node_mode;
	int rc;

	*out = NULL;
	if (!perm_ok(perm))
		return RSMERR_PERM_DENIED;
	if ((s = reg_segment_by_segid(r, segid)) == NULL)
		return RSMERR_SEG_NOT_PUBLISHED;
	/* A loopback segment is never reachable from elsewhere (spec 4.4). */
	if (from != r->lim.node_id && s->this_node_only)
		return RSMERR_SEG_NOT_PUBLISHED_TO_NODE;
	if ((rc = reg_access(r, s, o, from, perm, &node_mode)) != RSM_SUCCESS)
		return rc;
	if ((rc = import_new(r, o, perm, &im)) != RSM_SUCCESS)
		return rc;
	im->seg = s;
	im->segid = segid;
	im->node_mode = node_mode;
	TAILQ_INSERT_TAIL(&s->imports, im, seg_link);
	s->nimports++;
	*out = im;
	return RSM_SUCCESS;
}

int
reg_import_connect(struct registry *r, struct reg_owner *o, uint32_t node,
    uint32_t segid, uint32_t perm, struct reg_import **out)
{
	*out = NULL;
	if (!perm_ok(perm))
		return RSMERR_PERM_DENIED;
	if (node != r->lim.node_id)
		return RSMERR_REMOTE_NODE_UNREACHABLE;
	return reg_import_connect_from(r, o, node, segid, perm, out);
}

int
reg_import_add_remote(struct registry *r, struct reg_owner *o, uint32_t perm,
    struct reg_import **out)
{
	*out = NULL;
	if (!perm_ok(perm))
		return RSMERR_PERM_DENIED;
	return import_new(r, o, perm, out);
}

struct reg_import *
reg_import_by_handle(const struct registry *r, uint64_t handle)
{
	struct hnode *n = htab_find(&r->imp_by_handle, handle);

	return n ? container_of(n, struct reg_import, by_handle) : NULL;
}

static void
detach(struct reg_import *im, uint32_t reason)
{
	TAILQ_REMOVE(&im->seg->imports, im, seg_link);
	im->seg->nimports--;
	im->seg = NULL;
	im->reason = reason ? reason : RSMERR_CONN_ABORTED;
}

void
reg_import_revoke(struct registry *r, struct reg_import *im, uint32_t reason)
{
	if (im->seg == NULL)
		return;
	/* Told first, while the import still names its segment. */
	if (r->watch != NULL)
		r->watch(r, RSM_MON_REVOKE, im->seg, im,
		    reason ? reason : RSMERR_CONN_ABORTED);
	detach(im, reason);
}

void
reg_import_remove(struct registry *r, struct reg_import *im)
{
	struct reg_usage *u = usage_find(r, im->owner->uid);

	if (r->watch != NULL)
		r->watch(r, RSM_MON_DISCONNECT, im->seg, im, 0);
	if (im->seg != NULL)
		detach(im, RSMERR_CONN_ABORTED);
	htab_remove(&r->imp_by_handle, &im->by_handle);
	TAILQ_REMOVE(&im->owner->imports, im, owner_link);
	if (u != NULL) {
		u->imports--;
		usage_put(r, u);
	}
	r->nimports--;
	free(im);
}

/* ---- lookups ---- */

struct reg_segment *
reg_segment_find(const struct registry *r, const struct reg_owner *o,
    uint64_t handle)
{
	struct hnode *n = htab_find(&r->seg_by_handle, handle);
	struct reg_segment *s;

	if (n == NULL)
		return NULL;
	s = container_of(n, struct reg_segment, by_handle);
	return s->owner == o ? s : NULL;
}

struct reg_import *
reg_import_find(const struct registry *r, const struct reg_owner *o,
    uint64_t handle)
{
	struct hnode *n = htab_find(&r->imp_by_handle, handle);
	struct reg_import *im;

	if (n == NULL)
		return NULL;
	im = container_of(n, struct reg_import, by_handle);
	return im->owner == o ? im : NULL;
}

struct reg_segment *
reg_segment_by_segid(const struct registry *r, uint32_t segid)
{
	struct hnode *n = htab_find(&r->seg_by_segid, segid);

	return n ? container_of(n, struct reg_segment, by_segid) : NULL;
}
