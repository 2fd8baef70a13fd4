/*
 * test_registry.c - unit tests of rsmd's registry: segment ids, access
 * lists, the permission decision of spec section 4, limits, quotas and
 * the hash tables under load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rsmapi.h"
#include "rsmd.h"

#define NODE	3u
#define PAGE	4096u

struct fixture {
	struct registry	reg;
	struct reg_owner owner;		/* uid 1000, gid 100 */
};

static void
default_limits(struct reg_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->node_id = NODE;
	lim->segid_min = 0x400000;
	lim->segid_max = 0x7fffffff;
	lim->max_segments = 65535;
	lim->max_segment_size = 1ull << 30;
	lim->page_size = PAGE;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct reg_limits lim;

	if (f == NULL)
		return -1;
	default_limits(&lim);
	if (reg_init(&f->reg, &lim) != 0)
		return -1;
	reg_owner_init(&f->owner, 1000, 100, 4242);
	*state = f;
	return 0;
}

static void
drop_owner(struct registry *r, struct reg_owner *o)
{
	struct reg_segment *s;
	struct reg_import *im;

	while ((im = TAILQ_FIRST(&o->imports)) != NULL)
		reg_import_remove(r, im);
	while ((s = TAILQ_FIRST(&o->segments)) != NULL)
		reg_export_remove(r, s);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	drop_owner(&f->reg, &f->owner);
	assert_int_equal(f->reg.nsegments, 0);
	assert_int_equal(f->reg.nimports, 0);
	assert_int_equal(f->reg.bytes, 0);
	reg_fini(&f->reg);
	free(f);
	return 0;
}

static struct reg_segment *
new_seg(struct registry *r, struct reg_owner *o, uint32_t mode, uint32_t xport)
{
	struct reg_segment *s = NULL;

	assert_int_equal(reg_export_add(r, o, PAGE, 0, mode, xport, &s),
	    RSM_SUCCESS);
	assert_non_null(s);
	return s;
}

static void
test_auto_segids(void **state)
{
	struct fixture *f = *state;
	struct reg_segment *a = new_seg(&f->reg, &f->owner, 0644, RSM_XPORT_SHM);
	struct reg_segment *b = new_seg(&f->reg, &f->owner, 0644, RSM_XPORT_SHM);
	uint32_t id = 0;

	assert_int_equal(reg_publish(&f->reg, a, &id, NULL, 0), RSM_SUCCESS);
	assert_int_equal(id, 0x80000000u);
	id = 0;
	assert_int_equal(reg_publish(&f->reg, b, &id, NULL, 0), RSM_SUCCESS);
	assert_int_equal(id, 0x80000001u);
	assert_ptr_equal(reg_segment_by_segid(&f->reg, 0x80000000u), a);
	/* Never reused, not even by the segment that had it. */
	assert_int_equal(reg_unpublish(&f->reg, a), RSM_SUCCESS);
	assert_null(reg_segment_by_segid(&f->reg, 0x80000000u));
	id = 0;
	assert_int_equal(reg_publish(&f->reg, a, &id, NULL, 0), RSM_SUCCESS);
	assert_int_equal(id, 0x80000002u);
	assert_int_equal(f->reg.npublished, 2);
}

static void
test_auto_segid_wrap(void **state)
{
	struct fixture *f = *state;
	struct reg_segment *a = new_seg(&f->reg, &f->owner, 0644, RSM_XPORT_SHM);
	struct reg_segment *b = new_seg(&f->reg, &f->owner, 0644, RSM_XPORT_SHM);
	uint32_t id = 0;

	f->reg.next_segid = 0xffffffffu;
	assert_int_equal(reg_publish(&f->reg, a, &id, NULL, 0), RSM_SUCCESS);
	assert_int_equal(id, 0xffffffffu);
	id = 0;
	assert_int_equal(reg_publish(&f->reg, b, &id, NULL, 0),
	    RSMERR_INSUFFICIENT_RESOURCES);
	assert_false(b->published);
	/* Explicit ids still work after the counter is spent. */
	id = 0x400000;
	assert_int_equal(reg_publish(&f->reg, b, &id, NULL, 0), RSM_SUCCESS);
}

static void
test_reserved_segids(void **state)
{
	struct fixture *f = *state;
	static const uint32_t bad[] = { 1, 0x0fffff, 0x100000, 0x2fffff,
	    0x3fffff, 0x80000000u, 0x80000001u, 0xffffffffu };
	static const uint32_t good[] = { 0x400000, 0x4fffff, 0x500000,
	    0x600000, 0x7fffffff };
	struct reg_segment *s = new_seg(&f->reg, &f->owner, 0644,
	    RSM_XPORT_SHM);
	struct reg_limits lim;
	uint32_t id;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		id = bad[i];
		assert_int_equal(reg_publish(&f->reg, s, &id, NULL, 0),
		    RSMERR_RESERVED_SEGID);
		assert_false(s->published);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		id = good[i];
		assert_int_equal(reg_publish(&f->reg, s, &id, NULL, 0),
		    RSM_SUCCESS);
		assert_int_equal(id, good[i]);
		assert_int_equal(reg_unpublish(&f->reg, s), RSM_SUCCESS);
	}
	/* The configured window narrows what applications may use. */
	default_limits(&lim);
	lim.segid_min = 0x500000;
	lim.segid_max = 0x5fffff;
	reg_set_limits(&f->reg, &lim);
	id = 0x4fffff;
	assert_int_equal(reg_publish(&f->reg, s, &id, NULL, 0),
	    RSMERR_RESERVED_SEGID);
	id = 0x600000;
	assert_int_equal(reg_publish(&f->reg, s, &id, NULL, 0),
	    RSMERR_RESERVED_SEGID);
	id = 0x5fffff;
	assert_int_equal(reg_publish(&f->reg, s, &id, NULL, 0), RSM_SUCCESS);
}

static void
test_duplicate_segid(void **state)
{
	struct fixture *f = *state;
	struct reg_owner other;
	struct reg_segment *a = new_seg(&f->reg, &f->owner, 0644, RSM_XPORT_SHM);
	struct reg_segment *b;
	uint32_t id = 0x423456;

	reg_owner_init(&other, 2000, 200, 77);
	b = new_seg(&f->reg, &other, 0644, RSM_XPORT_SHM);
	assert_int_equal(reg_publish(&f->reg, a, &id, NULL, 0), RSM_SUCCESS);
	assert_int_equal(reg_publish(&f->reg, a, &id, NULL, 0),
	    RSMERR_SEG_ALREADY_PUBLISHED);
	assert_int_equal(reg_publish(&f->reg, b, &id, NULL, 0),
	    RSMERR_SEGID_IN_USE);
	assert_int_equal(reg_unpublish(&f->reg, a), RSM_SUCCESS);
	assert_int_equal(reg_unpublish(&f->reg, a), RSMERR_SEG_NOT_PUBLISHED);
	assert_int_equal(reg_publish(&f->reg, b, &id, NULL, 0), RSM_SUCCESS);
	assert_ptr_equal(reg_segment_by_segid(&f->reg, id), b);
	drop_owner(&f->reg, &other);
}

static void
test_acl_validation(void **state)
{
	struct fixture *f = *state;
	struct rsm_wire_ace acl[RSM_ACL_MAX + 1];
	struct reg_segment *shm = new_seg(&f->reg, &f->owner, 0644,
	    RSM_XPORT_LOOPBACK);
	struct reg_segment *shm0 = new_seg(&f->reg, &f->owner, 0644,
	    RSM_XPORT_SHM);
	struct reg_segment *tcp = new_seg(&f->reg, &f->owner, 0644,
	    RSM_XPORT_TCP);
	uint32_t i, id;

	for (i = 0; i <= RSM_ACL_MAX; i++) {
		acl[i].node = i;
		acl[i].perm = 0666;
	}
	assert_int_equal(reg_acl_check(&f->reg, tcp, acl, RSM_ACL_MAX),
	    RSM_SUCCESS);
	assert_int_equal(reg_acl_check(&f->reg, tcp, acl, RSM_ACL_MAX + 1),
	    RSMERR_BAD_ACL);
	/* Node ids go up to 65535, not the kernel agent's 64. */
	acl[5].node = 65;
	assert_int_equal(reg_acl_check(&f->reg, tcp, acl, 8), RSM_SUCCESS);
	acl[5].node = 65535;
	assert_int_equal(reg_acl_check(&f->reg, tcp, acl, 8), RSM_SUCCESS);
	acl[5].node = 65536;
	assert_int_equal(reg_acl_check(&f->reg, tcp, acl, 8), RSMERR_BAD_ACL);
	acl[5].node = RSM_NODE_ID_MAX + 1;
	assert_int_equal(reg_acl_check(&f->reg, tcp, acl, 8), RSMERR_BAD_ACL);
	acl[5].node = UINT32_MAX;
	assert_int_equal(reg_acl_check(&f->reg, tcp, acl, 8), RSMERR_BAD_ACL);
	acl[5].node = 5;
	/* Numeric, not bitwise: 0667 > 0666 but 0077 is fine. */
	acl[2].perm = 0667;
	assert_int_equal(reg_acl_check(&f->reg, tcp, acl, 8), RSMERR_BAD_ACL);
	acl[2].perm = 0077;
	assert_int_equal(reg_acl_check(&f->reg, tcp, acl, 8), RSM_SUCCESS);
	acl[2].perm = 01000;
	assert_int_equal(reg_acl_check(&f->reg, tcp, acl, 8), RSMERR_BAD_ACL);
	acl[2].perm = 0666;

	/* shm0 segments may name other nodes (served by other transports). */
	assert_int_equal(reg_acl_check(&f->reg, shm0, acl, 8), RSM_SUCCESS);

	/* Loopback: empty, or one entry for this node. */
	assert_int_equal(reg_acl_check(&f->reg, shm, NULL, 0), RSM_SUCCESS);
	acl[0].node = NODE;
	assert_int_equal(reg_acl_check(&f->reg, shm, acl, 1), RSM_SUCCESS);
	assert_int_equal(reg_acl_check(&f->reg, shm, acl, 2), RSMERR_BAD_ACL);
	acl[0].node = NODE + 1;
	assert_int_equal(reg_acl_check(&f->reg, shm, acl, 1), RSMERR_BAD_ACL);
	id = 0x400001;
	assert_int_equal(reg_publish(&f->reg, shm, &id, acl, 1),
	    RSMERR_BAD_ACL);
	assert_false(shm->published);
	assert_null(reg_segment_by_segid(&f->reg, 0x400001));

	/* Republish checks the list too and keeps the old one on error. */
	acl[0].node = NODE;
	acl[0].perm = 0600;
	assert_int_equal(reg_republish(&f->reg, shm, acl, 1),
	    RSMERR_SEG_NOT_PUBLISHED);
	assert_int_equal(reg_publish(&f->reg, shm, &id, acl, 1), RSM_SUCCESS);
	acl[0].perm = 0700;
	assert_int_equal(reg_republish(&f->reg, shm, acl, 1), RSMERR_BAD_ACL);
	assert_int_equal(shm->acl[0].perm, 0600);
	acl[0].perm = 0644;
	assert_int_equal(reg_republish(&f->reg, shm, acl, 1), RSM_SUCCESS);
	assert_int_equal(shm->acl[0].perm, 0644);
	assert_int_equal(shm->segid, 0x400001);
}

/* Spec 4.2's example: node mode 0624. */
static void
test_permission_0624(void **state)
{
	struct fixture *f = *state;
	struct rsm_wire_ace acl = { NODE, 0624 };
	struct reg_segment *s = new_seg(&f->reg, &f->owner, 0700,
	    RSM_XPORT_SHM);
	struct reg_owner same_uid, group, supp, other, root;
	gid_t supp_groups[] = { 7, 100 };
	uint32_t id = 0x400100, mode = 0;

	assert_int_equal(reg_publish(&f->reg, s, &id, &acl, 1), RSM_SUCCESS);
	reg_owner_init(&same_uid, 1000, 999, 1);
	reg_owner_init(&group, 2000, 100, 2);
	reg_owner_init(&supp, 2001, 50, 3);
	supp.groups = supp_groups;
	supp.ngroups = 2;
	reg_owner_init(&other, 3000, 300, 4);
	reg_owner_init(&root, 0, 0, 5);

	/* Same uid: read/write. */
	assert_int_equal(reg_access(&f->reg, s, &same_uid, NODE, RSM_PERM_RDWR,
	    &mode), RSM_SUCCESS);
	assert_int_equal(mode, 0624);
	/* The exporter's group: write only. */
	assert_int_equal(reg_access(&f->reg, s, &group, NODE, RSM_PERM_WRITE,
	    &mode), RSM_SUCCESS);
	assert_int_equal(reg_access(&f->reg, s, &group, NODE, RSM_PERM_READ,
	    &mode), RSMERR_PERM_DENIED);
	assert_int_equal(reg_access(&f->reg, s, &group, NODE, RSM_PERM_RDWR,
	    &mode), RSMERR_PERM_DENIED);
	/* Membership through a supplementary group counts the same. */
	assert_int_equal(reg_access(&f->reg, s, &supp, NODE, RSM_PERM_WRITE,
	    &mode), RSM_SUCCESS);
	assert_int_equal(reg_access(&f->reg, s, &supp, NODE, RSM_PERM_READ,
	    &mode), RSMERR_PERM_DENIED);
	/* Anyone else: read only. */
	assert_int_equal(reg_access(&f->reg, s, &other, NODE, RSM_PERM_READ,
	    &mode), RSM_SUCCESS);
	assert_int_equal(reg_access(&f->reg, s, &other, NODE, RSM_PERM_WRITE,
	    &mode), RSMERR_PERM_DENIED);
	/* uid 0 skips the user-level check, not the node-level one. */
	assert_int_equal(reg_access(&f->reg, s, &root, NODE, RSM_PERM_RDWR,
	    &mode), RSM_SUCCESS);
	assert_int_equal(reg_access(&f->reg, s, &root, NODE + 1, RSM_PERM_READ,
	    &mode), RSMERR_SEG_NOT_PUBLISHED_TO_NODE);
}

static void
test_permission_classes(void **state)
{
	struct fixture *f = *state;
	struct reg_segment *s = new_seg(&f->reg, &f->owner, 0750,
	    RSM_XPORT_TCP);
	struct reg_owner group, other;
	struct rsm_wire_ace acl[2] = { { 1, 0666 }, { NODE, 0 } };
	uint32_t id = 0x400200, mode = 1;

	reg_owner_init(&group, 2000, 100, 2);
	reg_owner_init(&other, 3000, 300, 4);
	assert_int_equal(reg_access(&f->reg, s, &f->owner, NODE, RSM_PERM_READ,
	    &mode), RSMERR_SEG_NOT_PUBLISHED);
	/* Empty list: the creator's default mode. */
	assert_int_equal(reg_publish(&f->reg, s, &id, NULL, 0), RSM_SUCCESS);
	assert_int_equal(reg_access(&f->reg, s, &f->owner, NODE, RSM_PERM_RDWR,
	    &mode), RSM_SUCCESS);
	assert_int_equal(mode, 0750);
	assert_int_equal(reg_access(&f->reg, s, &group, NODE, RSM_PERM_READ,
	    &mode), RSM_SUCCESS);
	assert_int_equal(reg_access(&f->reg, s, &group, NODE, RSM_PERM_WRITE,
	    &mode), RSMERR_PERM_DENIED);
	assert_int_equal(reg_access(&f->reg, s, &other, NODE, RSM_PERM_READ,
	    &mode), RSMERR_PERM_DENIED);
	/* A listed node with mode 0 gets nothing, not even the owner. */
	assert_int_equal(reg_republish(&f->reg, s, acl, 2), RSM_SUCCESS);
	assert_int_equal(reg_access(&f->reg, s, &f->owner, NODE, RSM_PERM_READ,
	    &mode), RSMERR_PERM_DENIED);
	assert_int_equal(reg_access(&f->reg, s, &f->owner, 1, RSM_PERM_RDWR,
	    &mode), RSM_SUCCESS);
	assert_int_equal(mode, 0666);
	assert_int_equal(reg_access(&f->reg, s, &f->owner, 2, RSM_PERM_READ,
	    &mode), RSMERR_SEG_NOT_PUBLISHED_TO_NODE);
}

/*
 * The highest node ids are matched whole: a list naming 65535 admits that
 * node and no neighbour, and one naming 65534 keeps 65535 out.
 */
static void
test_high_node_ids(void **state)
{
	struct fixture *f = *state;
	struct reg_segment *s = new_seg(&f->reg, &f->owner, 0600,
	    RSM_XPORT_TCP);
	struct rsm_wire_ace acl[2] = { { 65535, 0644 }, { 1000, 0600 } };
	uint32_t id = 0x400400, mode = 1;

	assert_int_equal(reg_publish(&f->reg, s, &id, acl, 2), RSM_SUCCESS);
	assert_int_equal(reg_access(&f->reg, s, &f->owner, 65535,
	    RSM_PERM_RDWR, &mode), RSM_SUCCESS);
	assert_int_equal(mode, 0644);
	assert_int_equal(reg_access(&f->reg, s, &f->owner, 1000,
	    RSM_PERM_RDWR, &mode), RSM_SUCCESS);
	assert_int_equal(mode, 0600);
	assert_int_equal(reg_access(&f->reg, s, &f->owner, 65534,
	    RSM_PERM_READ, &mode), RSMERR_SEG_NOT_PUBLISHED_TO_NODE);
	/* 65535 + 1 as a 16-bit id would be node 0. */
	assert_int_equal(reg_access(&f->reg, s, &f->owner, 0,
	    RSM_PERM_READ, &mode), RSMERR_SEG_NOT_PUBLISHED_TO_NODE);
	acl[0].node = 65534;
	assert_int_equal(reg_republish(&f->reg, s, acl, 1), RSM_SUCCESS);
	assert_int_equal(reg_access(&f->reg, s, &f->owner, 65535,
	    RSM_PERM_READ, &mode), RSMERR_SEG_NOT_PUBLISHED_TO_NODE);
	assert_int_equal(reg_access(&f->reg, s, &f->owner, 65534,
	    RSM_PERM_READ, &mode), RSM_SUCCESS);
	/* A refused list leaves the one in force. */
	acl[0].node = 65536;
	assert_int_equal(reg_republish(&f->reg, s, acl, 1), RSMERR_BAD_ACL);
	assert_int_equal(s->acl[0].node, 65534);
}

static void
test_connect_checks(void **state)
{
	struct fixture *f = *state;
	struct reg_segment *s = new_seg(&f->reg, &f->owner, 0644,
	    RSM_XPORT_SHM);
	struct rsm_wire_ace acl = { NODE, 0600 };
	struct reg_owner other;
	struct reg_import *im = NULL;
	uint32_t id = 0x400300;

	reg_owner_init(&other, 3000, 300, 4);
	assert_int_equal(reg_import_connect(&f->reg, &other, NODE, id,
	    RSM_PERM_READ, &im), RSMERR_SEG_NOT_PUBLISHED);
	assert_int_equal(reg_publish(&f->reg, s, &id, &acl, 1), RSM_SUCCESS);
	/* perm must be exactly read, write or both. */
	assert_int_equal(reg_import_connect(&f->reg, &f->owner, NODE, id, 0,
	    &im), RSMERR_PERM_DENIED);
	assert_int_equal(reg_import_connect(&f->reg, &f->owner, NODE, id,
	    RSM_PERM_READ | 0100, &im), RSMERR_PERM_DENIED);
	assert_int_equal(reg_import_connect(&f->reg, &f->owner, NODE, id,
	    0004, &im), RSMERR_PERM_DENIED);
	assert_int_equal(reg_import_connect(&f->reg, &f->owner, NODE + 1, id,
	    RSM_PERM_READ, &im), RSMERR_REMOTE_NODE_UNREACHABLE);
	assert_int_equal(reg_import_connect(&f->reg, &other, NODE, id,
	    RSM_PERM_READ, &im), RSMERR_PERM_DENIED);
	assert_null(im);
	assert_int_equal(reg_import_connect(&f->reg, &f->owner, NODE, id,
	    RSM_PERM_RDWR, &im), RSM_SUCCESS);
	assert_non_null(im);
	assert_ptr_equal(im->seg, s);
	assert_int_equal(im->perm, RSM_PERM_RDWR);
	assert_int_equal(im->node_mode, 0600);
	assert_int_equal(s->nimports, 1);
	assert_int_equal(f->reg.nimports, 1);

	/* Handles belong to the connection that made them. */
	assert_ptr_equal(reg_import_find(&f->reg, &f->owner, im->handle), im);
	assert_null(reg_import_find(&f->reg, &other, im->handle));
	assert_null(reg_segment_find(&f->reg, &other, s->handle));
	assert_null(reg_import_find(&f->reg, &f->owner, s->handle));
	assert_null(reg_segment_find(&f->reg, &f->owner, im->handle));
	assert_null(reg_segment_find(&f->reg, &f->owner, 0));

	/* Unpublish revokes: the handle stays until disconnect. */
	reg_import_revoke(&f->reg, im, RSMERR_CONN_ABORTED);
	assert_int_equal(reg_unpublish(&f->reg, s), RSM_SUCCESS);
	assert_null(im->seg);
	assert_int_equal(im->reason, RSMERR_CONN_ABORTED);
	assert_int_equal(s->nimports, 0);
	assert_ptr_equal(reg_import_find(&f->reg, &f->owner, im->handle), im);
	reg_import_remove(&f->reg, im);
	assert_int_equal(f->reg.nimports, 0);
}

static void
test_export_args(void **state)
{
	struct fixture *f = *state;
	struct reg_segment *s = NULL;

	assert_int_equal(reg_export_check_args(&f->reg, PAGE, RSM_LOCK_OPS),
	    RSMERR_LOCKS_NOT_SUPPORTED);
	assert_int_equal(reg_export_check_args(&f->reg, PAGE,
	    RSM_LOCK_OPS | RSM_ALLOW_REBIND), RSMERR_LOCKS_NOT_SUPPORTED);
	assert_int_equal(reg_export_check_args(&f->reg, PAGE, 0x08),
	    RSMERR_BAD_MODE);
	assert_int_equal(reg_export_check_args(&f->reg, PAGE, 0x80000000u),
	    RSMERR_BAD_MODE);
	assert_int_equal(reg_export_check_args(&f->reg, PAGE,
	    RSM_ALLOW_REBIND | RSM_CREATE_SEG_DONTWAIT), RSM_SUCCESS);
	assert_int_equal(reg_export_check_args(&f->reg, 0, 0),
	    RSMERR_BAD_LENGTH);
	assert_int_equal(reg_export_check_args(&f->reg, PAGE + 1, 0),
	    RSMERR_BAD_LENGTH);
	assert_int_equal(reg_export_check_args(&f->reg, 1ull << 30, 0),
	    RSM_SUCCESS);
	assert_int_equal(reg_export_check_args(&f->reg, (1ull << 30) + PAGE,
	    0), RSMERR_BAD_LENGTH);
	assert_int_equal(reg_export_add(&f->reg, &f->owner, 0, 0, 0644,
	    RSM_XPORT_SHM, &s), RSMERR_BAD_LENGTH);
	assert_null(s);
	assert_int_equal(f->reg.nsegments, 0);

	/* Rebind: only with RSM_ALLOW_REBIND, only the same size. */
	assert_int_equal(reg_export_add(&f->reg, &f->owner, 2 * PAGE, 0, 0644,
	    RSM_XPORT_SHM, &s), RSM_SUCCESS);
	assert_int_equal(reg_rebind_check(s, 2 * PAGE),
	    RSMERR_REBIND_NOT_ALLOWED);
	assert_int_equal(reg_export_add(&f->reg, &f->owner, 2 * PAGE,
	    RSM_ALLOW_REBIND, 0644, RSM_XPORT_SHM, &s), RSM_SUCCESS);
	assert_int_equal(reg_rebind_check(s, 2 * PAGE), RSM_SUCCESS);
	assert_int_equal(reg_rebind_check(s, PAGE), RSMERR_BAD_LENGTH);
	assert_int_equal(s->mode, 0644);
	assert_int_equal(s->uid, 1000);
	assert_int_equal(s->gid, 100);
	assert_int_equal(s->pid, 4242);
}

static void
test_quotas(void **state)
{
	struct fixture *f = *state;
	struct reg_owner other;
	struct reg_segment *s[3], *x = NULL;
	struct reg_import *im[3], *y = NULL;
	struct reg_limits lim;
	uint32_t id = 0x400400;
	int i;

	default_limits(&lim);
	lim.quota_segments = 2;
	lim.quota_bytes = 3 * PAGE;
	lim.quota_imports = 2;
	reg_set_limits(&f->reg, &lim);
	reg_owner_init(&other, 3000, 300, 4);

	s[0] = new_seg(&f->reg, &f->owner, 0666, RSM_XPORT_SHM);
	assert_int_equal(reg_export_add(&f->reg, &f->owner, 3 * PAGE, 0, 0666,
	    RSM_XPORT_SHM, &x), RSMERR_INSUFFICIENT_MEM);
	assert_null(x);
	assert_int_equal(reg_export_add(&f->reg, &f->owner, 2 * PAGE, 0, 0666,
	    RSM_XPORT_SHM, &s[1]), RSM_SUCCESS);
	assert_int_equal(reg_usage_of(&f->reg, 1000)->bytes, 3 * PAGE);
	assert_int_equal(reg_usage_of(&f->reg, 1000)->segments, 2);
	assert_int_equal(reg_export_add(&f->reg, &f->owner, PAGE, 0, 0666,
	    RSM_XPORT_SHM, &x), RSMERR_INSUFFICIENT_RESOURCES);
	/* Another uid has its own quota. */
	s[2] = new_seg(&f->reg, &other, 0666, RSM_XPORT_SHM);
	/* Freed quota can be used again. */
	reg_export_remove(&f->reg, s[1]);
	assert_int_equal(reg_usage_of(&f->reg, 1000)->bytes, PAGE);
	assert_int_equal(reg_export_add(&f->reg, &f->owner, 2 * PAGE, 0, 0666,
	    RSM_XPORT_SHM, &s[1]), RSM_SUCCESS);

	/* Imports per uid; a revoked import still counts until dropped. */
	assert_int_equal(reg_publish(&f->reg, s[2], &id, NULL, 0), RSM_SUCCESS);
	for (i = 0; i < 2; i++)
		assert_int_equal(reg_import_connect(&f->reg, &f->owner, NODE,
		    id, RSM_PERM_READ, &im[i]), RSM_SUCCESS);
	assert_int_equal(reg_import_connect(&f->reg, &f->owner, NODE, id,
	    RSM_PERM_READ, &y), RSMERR_INSUFFICIENT_RESOURCES);
	assert_null(y);
	assert_int_equal(reg_import_connect(&f->reg, &other, NODE, id,
	    RSM_PERM_RDWR, &im[2]), RSM_SUCCESS);
	reg_import_revoke(&f->reg, im[0], RSMERR_CONN_ABORTED);
	assert_int_equal(reg_import_connect(&f->reg, &f->owner, NODE, id,
	    RSM_PERM_READ, &y), RSMERR_INSUFFICIENT_RESOURCES);
	reg_import_remove(&f->reg, im[0]);
	assert_int_equal(reg_import_connect(&f->reg, &f->owner, NODE, id,
	    RSM_PERM_READ, &y), RSM_SUCCESS);
	assert_int_equal(reg_usage_of(&f->reg, 1000)->imports, 2);

	/* Destroying a segment detaches its imports. */
	reg_export_remove(&f->reg, s[2]);
	assert_null(im[2]->seg);
	assert_null(y->seg);
	assert_null(reg_segment_by_segid(&f->reg, id));
	drop_owner(&f->reg, &other);
	assert_null(reg_usage_of(&f->reg, 3000));
	drop_owner(&f->reg, &f->owner);
	assert_null(reg_usage_of(&f->reg, 1000));
	assert_int_equal(f->reg.npublished, 0);
}

static void
test_node_limit(void **state)
{
	struct fixture *f = *state;
	struct reg_owner root;
	struct reg_limits lim;
	struct reg_segment *x = NULL;
	int i;

	default_limits(&lim);
	lim.max_segments = 5;
	reg_set_limits(&f->reg, &lim);
	reg_owner_init(&root, 0, 0, 1);
	for (i = 0; i < 3; i++)
		(void)new_seg(&f->reg, &f->owner, 0600, RSM_XPORT_SHM);
	for (i = 0; i < 2; i++)
		(void)new_seg(&f->reg, &root, 0600, RSM_XPORT_SHM);
	/* The node limit binds every user, root included. */
	assert_int_equal(reg_export_add(&f->reg, &root, PAGE, 0, 0600,
	    RSM_XPORT_SHM, &x), RSMERR_INSUFFICIENT_RESOURCES);
	assert_int_equal(reg_export_add(&f->reg, &f->owner, PAGE, 0, 0600,
	    RSM_XPORT_SHM, &x), RSMERR_INSUFFICIENT_RESOURCES);
	reg_export_remove(&f->reg, TAILQ_FIRST(&root.segments));
	assert_int_equal(reg_export_add(&f->reg, &f->owner, PAGE, 0, 0600,
	    RSM_XPORT_SHM, &x), RSM_SUCCESS);
	assert_int_equal(f->reg.nsegments, 5);
	drop_owner(&f->reg, &root);
}

/* Many segments: every lookup still finds exactly the right one. */
static void
test_many(void **state)
{
	struct fixture *f = *state;
	enum { N = 20000 };
	struct reg_segment **s = calloc(N, sizeof(*s));
	uint64_t *handle = calloc(N, sizeof(*handle));
	uint32_t id;
	int i;

	assert_non_null(s);
	assert_non_null(handle);
	for (i = 0; i < N; i++) {
		s[i] = new_seg(&f->reg, &f->owner, 0644, RSM_XPORT_SHM);
		handle[i] = s[i]->handle;
		id = 0x400000u + (uint32_t)i;
		assert_int_equal(reg_publish(&f->reg, s[i], &id, NULL, 0),
		    RSM_SUCCESS);
	}
	assert_int_equal(f->reg.nsegments, N);
	assert_int_equal(f->reg.npublished, N);
	for (i = 0; i < N; i++) {
		assert_ptr_equal(reg_segment_find(&f->reg, &f->owner,
		    handle[i]), s[i]);
		assert_ptr_equal(reg_segment_by_segid(&f->reg,
		    0x400000u + (uint32_t)i), s[i]);
	}
	/* Remove every other one. */
	for (i = 0; i < N; i += 2)
		reg_export_remove(&f->reg, s[i]);
	for (i = 0; i < N; i++) {
		struct reg_segment *want = (i % 2) ? s[i] : NULL;

		assert_ptr_equal(reg_segment_find(&f->reg, &f->owner,
		    handle[i]), want);
		assert_ptr_equal(reg_segment_by_segid(&f->reg,
		    0x400000u + (uint32_t)i), want);
	}
	assert_int_equal(f->reg.nsegments, N / 2);
	assert_int_equal(reg_usage_of(&f->reg, 1000)->segments, N / 2);
	/* Freed ids are free again; freed handles are never reissued. */
	for (i = 0; i < N; i += 2) {
		struct reg_segment *n = new_seg(&f->reg, &f->owner, 0644,
		    RSM_XPORT_SHM);

		assert_true(n->handle > handle[N - 1]);
		id = 0x400000u + (uint32_t)i;
		assert_int_equal(reg_publish(&f->reg, n, &id, NULL, 0),
		    RSM_SUCCESS);
	}
	assert_int_equal(f->reg.nsegments, N);
	free(s);
	free(handle);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_auto_segids, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_auto_segid_wrap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reserved_segids, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_segid, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_acl_validation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_permission_0624, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_permission_classes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_high_node_ids, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_connect_checks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_export_args, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_quotas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
