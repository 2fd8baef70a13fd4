/*
 * test_garbage.c - all 42 RSMAPI functions called with garbage arguments.
 *
 * A fixed-seed PRNG builds thousands of calls from NULL, random and
 * unmapped pointers, freed handles, handles of other kinds, huge and
 * negative-cast lengths and offsets, random flags and random segment ids,
 * mixed with live handles so that calls also get deep into the library
 * and the daemon.  Every return value must be RSM_SUCCESS or one of the
 * codes the spec (section 3) or the function's man page documents for that
 * function, and nothing may crash: the calls run in forked children, so a
 * signal fails the test instead of killing the suite.
 *
 * Garbage is unlimited where the library owns the check (handles are
 * validated by arithmetic on the handle arena, export ranges against the
 * process's mappings).  Memory the caller hands over for the library to
 * read or write (put/get buffers, out-parameters, scatter/gather local
 * buffers, pollfd arrays) is either NULL or really the caller's, as the
 * API requires: no library can validate a plain data pointer without
 * faulting on it.  Controllers that segments were made through are never
 * released (spec 3.1: their segments may not be used after that).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <rsmapi.h>

#include "../harness.h"

/* Calls per child, and the children (one seed each). */
#define ITERATIONS	6000
static const uint64_t seeds[] = {
	0x9e3779b97f4a7c15ull, 0x0123456789abcdefull, 0x5eed5eed5eed5eedull,
	0x243f6a8885a308d3ull
};

#define CHILD_MS	120000

/* Largest export the garbage makes, in pages (bounds every data copy). */
#define MAX_SEG_PAGES	16
#define ARENA_PAGES	32	/* exportable memory */
#define DATA_PAGES	(MAX_SEG_PAGES + 4)
#define LM_MAX_PAGES	4	/* local memory handles cover at most this */

static size_t pg;

/* ---- the 42 functions and the codes documented for each ---- */

enum fn {
	F_GET_CONTROLLER, F_GET_CONTROLLER_ATTR, F_RELEASE_CONTROLLER,
	F_EXPORT_CREATE, F_EXPORT_DESTROY, F_EXPORT_REBIND, F_EXPORT_PUBLISH,
	F_EXPORT_UNPUBLISH, F_EXPORT_REPUBLISH,
	F_IMPORT_CONNECT, F_IMPORT_DISCONNECT, F_IMPORT_MAP, F_IMPORT_UNMAP,
	F_GET, F_GET8, F_GET16, F_GET32, F_GET64,
	F_PUT, F_PUT8, F_PUT16, F_PUT32, F_PUT64,
	F_PUTV, F_GETV, F_CREATE_LOCALMEM, F_FREE_LOCALMEM,
	F_INIT_BARRIER, F_OPEN_BARRIER, F_CLOSE_BARRIER, F_ORDER_BARRIER,
	F_DESTROY_BARRIER, F_GET_MODE, F_SET_MODE,
	F_SIGNAL_POST, F_SIGNAL_WAIT, F_SIGNAL_WAIT_POLLFD, F_GET_POLLFD,
	F_RELEASE_POLLFD,
	F_GET_TOPOLOGY, F_FREE_TOPOLOGY, F_GET_SEGMENTID_RANGE,
	F_COUNT
};

#define END	-1
#define PUTGET_CODES RSMERR_BAD_SEG_HNDL, RSMERR_BAD_ADDR,		\
	RSMERR_BAD_MEM_ALIGNMENT, RSMERR_BAD_OFFSET, RSMERR_BAD_LENGTH,	\
	RSMERR_PERM_DENIED, RSMERR_INSUFFICIENT_RESOURCES,		\
	RSMERR_BARRIER_UNINITIALIZED, RSMERR_BARRIER_FAILURE,		\
	RSMERR_CONN_ABORTED, RSMERR_BAD_PERMS, RSMERR_MAP_FAILED,	\
	RSMERR_BARRIER_OPEN_FAILED
#define SG_CODES RSMERR_BAD_SGIO, RSMERR_BAD_SEG_HNDL, RSMERR_BAD_CTLR_HNDL,\
	RSMERR_BAD_OFFSET, RSMERR_BAD_LENGTH, RSMERR_BAD_ADDR,		\
	RSMERR_INSUFFICIENT_RESOURCES, RSMERR_INTERRUPTED,		\
	RSMERR_PERM_DENIED, RSMERR_BARRIER_FAILURE,			\
	RSMERR_REMOTE_NODE_UNREACHABLE, RSMERR_BARRIER_UNINITIALIZED,	\
	RSMERR_CONN_ABORTED, RSMERR_BAD_PERMS, RSMERR_MAP_FAILED
#define BARRIER_END_CODES RSMERR_BAD_SEG_HNDL, RSMERR_BAD_BARRIER_PTR,	\
	RSMERR_BARRIER_UNINITIALIZED, RSMERR_BARRIER_NOT_OPENED,	\
	RSMERR_BARRIER_FAILURE, RSMERR_CONN_ABORTED

/* Spec section 3 ("doc" and "impl" lists) plus the man page's ERRORS. */
static const struct {
	const char *name;
	int codes[20];
} fns[F_COUNT] = {
	[F_GET_CONTROLLER] = { "rsm_get_controller", { RSMERR_BAD_CTLR_HNDL,
	    RSMERR_CTLR_NOT_PRESENT, RSMERR_INSUFFICIENT_MEM,
	    RSMERR_BAD_LIBRARY_VERSION, RSMERR_BAD_ADDR, END } },
	[F_GET_CONTROLLER_ATTR] = { "rsm_get_controller_attr", {
	    RSMERR_BAD_CTLR_HNDL, RSMERR_BAD_ADDR, RSMERR_CTLR_NOT_PRESENT,
	    END } },
	[F_RELEASE_CONTROLLER] = { "rsm_release_controller", {
	    RSMERR_BAD_CTLR_HNDL, END } },
	[F_EXPORT_CREATE] = { "rsm_memseg_export_create", {
	    RSMERR_BAD_SEG_HNDL, RSMERR_BAD_CTLR_HNDL, RSMERR_CTLR_NOT_PRESENT,
	    RSMERR_BAD_LENGTH, RSMERR_BAD_ADDR, RSMERR_BAD_MEM_ALIGNMENT,
	    RSMERR_INSUFFICIENT_MEM, RSMERR_INSUFFICIENT_RESOURCES,
	    RSMERR_PERM_DENIED, RSMERR_NOT_CREATOR, RSMERR_REBIND_NOT_ALLOWED,
	    RSMERR_INTERRUPTED, RSMERR_LOCKS_NOT_SUPPORTED, RSMERR_BAD_MODE,
	    END } },
	[F_EXPORT_DESTROY] = { "rsm_memseg_export_destroy", {
	    RSMERR_BAD_SEG_HNDL, RSMERR_POLLFD_IN_USE, RSMERR_INSUFFICIENT_MEM,
	    END } },
	[F_EXPORT_REBIND] = { "rsm_memseg_export_rebind", {
	    RSMERR_BAD_SEG_HNDL, RSMERR_BAD_CTLR_HNDL, RSMERR_CTLR_NOT_PRESENT,
	    RSMERR_BAD_LENGTH, RSMERR_BAD_ADDR, RSMERR_INSUFFICIENT_MEM,
	    RSMERR_INSUFFICIENT_RESOURCES, RSMERR_PERM_DENIED,
	    RSMERR_NOT_CREATOR, RSMERR_REBIND_NOT_ALLOWED, RSMERR_INTERRUPTED,
	    RSMERR_BAD_MEM_ALIGNMENT, RSMERR_CONN_ABORTED, END } },
	[F_EXPORT_PUBLISH] = { "rsm_memseg_export_publish", {
	    RSMERR_BAD_SEG_HNDL, RSMERR_NOT_CREATOR, RSMERR_SEGID_IN_USE,
	    RSMERR_RESERVED_SEGID, RSMERR_BAD_SEGID, RSMERR_BAD_ACL,
	    RSMERR_SEG_ALREADY_PUBLISHED, RSMERR_INSUFFICIENT_MEM,
	    RSMERR_INSUFFICIENT_RESOURCES, RSMERR_LOCKS_NOT_SUPPORTED,
	    RSMERR_BAD_ADDR, RSMERR_INTERNAL_ERROR, RSMERR_CONN_ABORTED, END } },
	[F_EXPORT_UNPUBLISH] = { "rsm_memseg_export_unpublish", {
	    RSMERR_BAD_SEG_HNDL, RSMERR_NOT_CREATOR, RSMERR_SEG_NOT_PUBLISHED,
	    RSMERR_INTERRUPTED, RSMERR_CONN_ABORTED, END } },
	[F_EXPORT_REPUBLISH] = { "rsm_memseg_export_republish", {
	    RSMERR_BAD_SEG_HNDL, RSMERR_NOT_CREATOR, RSMERR_BAD_ACL,
	    RSMERR_INSUFFICIENT_MEM, RSMERR_INSUFFICIENT_RESOURCES,
	    RSMERR_LOCKS_NOT_SUPPORTED, RSMERR_BAD_ADDR, RSMERR_INTERNAL_ERROR,
	    RSMERR_SEG_NOT_PUBLISHED, RSMERR_INTERRUPTED, RSMERR_CONN_ABORTED,
	    END } },
	[F_IMPORT_CONNECT] = { "rsm_memseg_import_connect", {
	    RSMERR_BAD_SEG_HNDL, RSMERR_BAD_CTLR_HNDL, RSMERR_CTLR_NOT_PRESENT,
	    RSMERR_PERM_DENIED, RSMERR_INSUFFICIENT_MEM,
	    RSMERR_INSUFFICIENT_RESOURCES, RSMERR_SEG_NOT_PUBLISHED_TO_NODE,
	    RSMERR_SEG_NOT_PUBLISHED, RSMERR_BAD_ADDR,
	    RSMERR_REMOTE_NODE_UNREACHABLE, RSMERR_INTERRUPTED,
	    RSMERR_BAD_DRIVER_VERSION, RSMERR_INTERNAL_ERROR,
	    RSMERR_CONN_ABORTED, END } },
	[F_IMPORT_DISCONNECT] = { "rsm_memseg_import_disconnect", {
	    RSMERR_BAD_SEG_HNDL, RSMERR_SEG_STILL_MAPPED, RSMERR_POLLFD_IN_USE,
	    END } },
	[F_IMPORT_MAP] = { "rsm_memseg_import_map", { RSMERR_BAD_SEG_HNDL,
	    RSMERR_BAD_ADDR, RSMERR_BAD_LENGTH, RSMERR_BAD_MEM_ALIGNMENT,
	    RSMERR_BAD_OFFSET, RSMERR_BAD_PERMS, RSMERR_CONN_ABORTED,
	    RSMERR_MAP_FAILED, RSMERR_SEG_ALREADY_MAPPED,
	    RSMERR_SEG_NOT_CONNECTED, RSMERR_INSUFFICIENT_RESOURCES, END } },
	[F_IMPORT_UNMAP] = { "rsm_memseg_import_unmap", { RSMERR_BAD_SEG_HNDL,
	    RSMERR_SEG_NOT_MAPPED, END } },
	[F_GET] = { "rsm_memseg_import_get", { PUTGET_CODES, END } },
	[F_GET8] = { "rsm_memseg_import_get8", { PUTGET_CODES, END } },
	[F_GET16] = { "rsm_memseg_import_get16", { PUTGET_CODES, END } },
	[F_GET32] = { "rsm_memseg_import_get32", { PUTGET_CODES, END } },
	[F_GET64] = { "rsm_memseg_import_get64", { PUTGET_CODES, END } },
	[F_PUT] = { "rsm_memseg_import_put", { PUTGET_CODES, END } },
	[F_PUT8] = { "rsm_memseg_import_put8", { PUTGET_CODES, END } },
	[F_PUT16] = { "rsm_memseg_import_put16", { PUTGET_CODES, END } },
	[F_PUT32] = { "rsm_memseg_import_put32", { PUTGET_CODES, END } },
	[F_PUT64] = { "rsm_memseg_import_put64", { PUTGET_CODES, END } },
	[F_PUTV] = { "rsm_memseg_import_putv", { SG_CODES, END } },
	[F_GETV] = { "rsm_memseg_import_getv", { SG_CODES, END } },
	[F_CREATE_LOCALMEM] = { "rsm_create_localmemory_handle", {
	    RSMERR_BAD_CTLR_HNDL, RSMERR_BAD_LOCALMEM_HNDL, RSMERR_BAD_LENGTH,
	    RSMERR_BAD_ADDR, RSMERR_INSUFFICIENT_MEM, END } },
	[F_FREE_LOCALMEM] = { "rsm_free_localmemory_handle", {
	    RSMERR_BAD_CTLR_HNDL, RSMERR_BAD_LOCALMEM_HNDL, END } },
	[F_INIT_BARRIER] = { "rsm_memseg_import_init_barrier", {
	    RSMERR_BAD_SEG_HNDL, RSMERR_BAD_BARRIER_PTR,
	    RSMERR_INSUFFICIENT_MEM, END } },
	[F_OPEN_BARRIER] = { "rsm_memseg_import_open_barrier", {
	    RSMERR_BAD_SEG_HNDL, RSMERR_BAD_BARRIER_PTR,
	    RSMERR_BARRIER_UNINITIALIZED, RSMERR_BARRIER_OPEN_FAILED, END } },
	[F_CLOSE_BARRIER] = { "rsm_memseg_import_close_barrier", {
	    BARRIER_END_CODES, END } },
	[F_ORDER_BARRIER] = { "rsm_memseg_import_order_barrier", {
	    BARRIER_END_CODES, END } },
	[F_DESTROY_BARRIER] = { "rsm_memseg_import_destroy_barrier", {
	    RSMERR_BAD_SEG_HNDL, RSMERR_BAD_BARRIER_PTR,
	    RSMERR_BARRIER_UNINITIALIZED, END } },
	[F_GET_MODE] = { "rsm_memseg_import_get_mode", { RSMERR_BAD_SEG_HNDL,
	    RSMERR_BAD_ADDR, END } },
	[F_SET_MODE] = { "rsm_memseg_import_set_mode", { RSMERR_BAD_SEG_HNDL,
	    RSMERR_BAD_MODE, END } },
	[F_SIGNAL_POST] = { "rsm_intr_signal_post", { RSMERR_BAD_SEG_HNDL,
	    RSMERR_CONN_ABORTED, RSMERR_REMOTE_NODE_UNREACHABLE, END } },
	[F_SIGNAL_WAIT] = { "rsm_intr_signal_wait", { RSMERR_BAD_SEG_HNDL,
	    RSMERR_INTERRUPTED, RSMERR_TIMEOUT, RSMERR_BAD_ADDR,
	    RSMERR_INSUFFICIENT_RESOURCES, RSMERR_BAD_ARGS_ERRORS,
	    RSMERR_INSUFFICIENT_MEM, RSMERR_CONN_ABORTED, END } },
	[F_SIGNAL_WAIT_POLLFD] = { "rsm_intr_signal_wait_pollfd", {
	    RSMERR_TIMEOUT, RSMERR_INSUFFICIENT_RESOURCES, RSMERR_BAD_ADDR,
	    RSMERR_INTERRUPTED, RSMERR_BAD_ARGS_ERRORS,
	    RSMERR_INSUFFICIENT_MEM, END } },
	[F_GET_POLLFD] = { "rsm_memseg_get_pollfd", { RSMERR_BAD_SEG_HNDL,
	    RSMERR_INSUFFICIENT_MEM, RSMERR_BAD_ADDR,
	    RSMERR_INSUFFICIENT_RESOURCES, END } },
	[F_RELEASE_POLLFD] = { "rsm_memseg_release_pollfd", {
	    RSMERR_BAD_SEG_HNDL, END } },
	[F_GET_TOPOLOGY] = { "rsm_get_interconnect_topology", {
	    RSMERR_BAD_TOPOLOGY_PTR, RSMERR_INSUFFICIENT_MEM, RSMERR_BAD_ADDR,
	    RSMERR_INSUFFICIENT_RESOURCES, END } },
	[F_FREE_TOPOLOGY] = { "rsm_free_interconnect_topology", { END } },
	[F_GET_SEGMENTID_RANGE] = { "rsm_get_segmentid_range", {
	    RSMERR_BAD_ADDR, RSMERR_BAD_APPID, RSMERR_BAD_CONF, END } },
};

/* ---- the PRNG (xorshift64*) ---- */

static uint64_t rng;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static uint64_t
below(uint64_t n)
{
	return rnd() % n;
}

static int
chance(unsigned pct)
{
	return below(100) < pct;
}

/* ---- state of one garbage run ---- */

#define POOL	24

struct exp_ent {
	rsm_memseg_export_handle_t h;
	size_t size;
};

struct run {
	unsigned long calls[F_COUNT], ok[F_COUNT], bad;
	unsigned long frees;
	/* Working controllers (never released below one reference). */
	rsmapi_controller_handle_t work[2];
	unsigned work_refs[2];
	/* Other controllers: used only for attr/release. */
	rsmapi_controller_handle_t spare[8];
	int nspare;
	struct exp_ent ex[POOL];
	int nex;
	rsm_memseg_import_handle_t im[POOL];
	int nim;
	rsm_localmemory_handle_t lm[POOL];
	int nlm;
	rsm_memseg_id_t ids[POOL];
	int nids;
	rsmapi_barrier_t bar[6];
	struct pollfd pfds[8];
	rsmapi_access_entry_t acl[RSM_ACL_MAX + 2];
	rsm_iovec_t iov[RSM_MAX_SGIOREQS];
	/* Memory. */
	char *arena;		/* exportable, followed by a hole */
	char *data;		/* put/get and local memory buffers */
	char *hole;		/* nothing mapped */
	char *none;		/* PROT_NONE */
	char *ro;		/* read-only */
	char *shared;		/* MAP_SHARED */
	char *name_edge;	/* 32 name bytes right before a PROT_NONE page */
	void *heap;
	int stackvar;
	char segid_file[256];
};

static int
allowed(enum fn f, int rc)
{
	if (rc == RSM_SUCCESS)
		return 1;
	for (int i = 0; fns[f].codes[i] != END; i++)
		if (fns[f].codes[i] == rc)
			return 1;
	return 0;
}

static void
record(struct run *r, enum fn f, int rc, unsigned long it)
{
	r->calls[f]++;
	if (rc == RSM_SUCCESS)
		r->ok[f]++;
	if (!allowed(f, rc)) {
		r->bad++;
		fprintf(stderr, "call %lu: %s returned %d, not a documented "
		    "code for it\n", it, fns[f].name, rc);
	}
}

/* ---- argument generators ---- */

/*
 * A pointer that is no handle: NULL, odd and huge values, non-canonical
 * and kernel addresses, the stack, the heap, unmapped memory, and places
 * inside the handle arena that no live handle occupies.
 */
static void *
junk_ptr(struct run *r)
{
	uintptr_t live = r->work[0] != NULL ? (uintptr_t)r->work[0] : 0;

	switch (below(12)) {
	case 0:
		return NULL;
	case 1:
		return (void *)(uintptr_t)(1 + below(4096));
	case 2:
		return (void *)(uintptr_t)UINTPTR_MAX;
	case 3:
		return (void *)(uintptr_t)(rnd() | (1ull << 63));
	case 4:
		return (void *)(uintptr_t)rnd();
	case 5:
		return &r->stackvar;
	case 6:
		return r->heap;
	case 7:
		return r->hole + below(pg);
	case 8:
		return r->data + below(DATA_PAGES * pg);
	case 9:
		/* Inside a slot, off its boundary. */
		return (void *)(live + 1 + below(511));
	case 10:
		/* A slot boundary far above anything handed out. */
		return (void *)(live + 512u * (50000u + below(20000)));
	default:
		return (void *)(uintptr_t)-(intptr_t)(1 + below(1 << 20));
	}
}

static rsmapi_controller_handle_t
any_ctlr(struct run *r, int for_segments)
{
	switch (below(for_segments ? 6 : 8)) {
	case 0:
	case 1:
	case 2:
		return r->work[below(2)];
	case 3:
		return junk_ptr(r);
	case 4:
		/* A handle of another kind. */
		if (r->nex > 0 && chance(50))
			return (void *)r->ex[below(r->nex)].h;
		if (r->nim > 0 && chance(50))
			return (void *)r->im[below(r->nim)];
		return r->nlm > 0 ? (void *)r->lm[below(r->nlm)] : NULL;
	case 5:
		return junk_ptr(r);
	default:
		return r->nspare > 0 ? r->spare[below(r->nspare)] : NULL;
	}
}

static void *
other_kind(struct run *r)
{
	switch (below(4)) {
	case 0:
		return r->work[below(2)];
	case 1:
		return r->nex > 0 ? (void *)r->ex[below(r->nex)].h : NULL;
	case 2:
		return r->nim > 0 ? (void *)r->im[below(r->nim)] : NULL;
	default:
		return r->nlm > 0 ? (void *)r->lm[below(r->nlm)] : NULL;
	}
}

/* Pools keep freed handles too: they are garbage of the right kind. */
static rsm_memseg_export_handle_t
any_export(struct run *r, size_t *size)
{
	*size = (1 + below(MAX_SEG_PAGES)) * pg;
	if (r->nex > 0 && chance(65)) {
		int i = (int)below(r->nex);

		*size = r->ex[i].size;
		return r->ex[i].h;
	}
	return chance(50) ? other_kind(r) : junk_ptr(r);
}

static rsm_memseg_import_handle_t
any_import(struct run *r)
{
	if (r->nim > 0 && chance(70))
		return r->im[below(r->nim)];
	return chance(50) ? other_kind(r) : junk_ptr(r);
}

static rsm_localmemory_handle_t
any_localmem(struct run *r)
{
	if (r->nlm > 0 && chance(60))
		return r->lm[below(r->nlm)];
	return chance(50) ? other_kind(r) : junk_ptr(r);
}

static void *
any_segment(struct run *r)
{
	switch (below(4)) {
	case 0:
		return r->nex > 0 ? (void *)r->ex[below(r->nex)].h : NULL;
	case 1:
		return r->nim > 0 ? (void *)r->im[below(r->nim)] : NULL;
	case 2:
		return other_kind(r);
	default:
		return junk_ptr(r);
	}
}

static size_t
any_size(void)
{
	switch (below(10)) {
	case 0:
		return 0;
	case 1:
		return 1 + below(pg);
	case 2:
	case 3:
	case 4:
		return (1 + below(MAX_SEG_PAGES)) * pg;
	case 5:
		return SIZE_MAX;
	case 6:
		return SIZE_MAX & ~(pg - 1);
	case 7:
		return (size_t)-(ssize_t)pg;
	case 8:
		return (size_t)1 << (20 + below(40));
	default:
		return (size_t)rnd();
	}
}

static off_t
any_offset(void)
{
	switch (below(10)) {
	case 0:
	case 1:
		return 0;
	case 2:
		return (off_t)(below(MAX_SEG_PAGES * pg) & ~(uint64_t)7);
	case 3:
		return (off_t)below(MAX_SEG_PAGES * pg + 8);
	case 4:
		return (off_t)(below(MAX_SEG_PAGES + 1) * pg);
	case 5:
		return -1 - (off_t)below(1 << 16);
	case 6:
		return INT64_MAX - (off_t)below(16);
	case 7:
		return INT64_MIN + (off_t)below(16);
	default:
		return (off_t)rnd();
	}
}

/* A length (or count) for put/get. */
static size_t
any_len(void)
{
	switch (below(10)) {
	case 0:
		return 0;
	case 1:
	case 2:
		return 1 + below(64);
	case 3:
		return below(MAX_SEG_PAGES * pg + 2);
	case 4:
		return SIZE_MAX - below(16);
	case 5:
		return SIZE_MAX / 2 + below(4);
	case 6:
		return SIZE_MAX / 8 + below(4);
	case 7:
		return (size_t)(ssize_t)-1;
	default:
		return (size_t)rnd();
	}
}

/* A data buffer: NULL or really ours (maybe misaligned). */
static void *
any_buf(struct run *r)
{
	return chance(8) ? NULL : r->data + below(16);
}

/* Where an export (or rebind) might be asked to take its memory from. */
static void *
any_export_vaddr(struct run *r)
{
	switch (below(12)) {
	case 0:
		return NULL;
	case 1:
		return r->arena + 1 + below(pg - 1);
	case 2:
		return r->hole;
	case 3:
		return r->none;
	case 4:
		return r->ro;
	case 5:
		return r->shared;
	case 6:
		return (void *)(uintptr_t)(UINTPTR_MAX & ~(pg - 1));
	case 7:
		return (void *)(uintptr_t)((rnd() | (1ull << 63)) & ~(pg - 1));
	default:
		return r->arena + below(ARENA_PAGES + 1) * pg;
	}
}

static uint_t
any_flags(void)
{
	switch (below(6)) {
	case 0:
		return 0;
	case 1:
		return RSM_ALLOW_REBIND;
	case 2:
		return RSM_CREATE_SEG_DONTWAIT | RSM_ALLOW_REBIND;
	case 3:
		return RSM_LOCK_OPS;
	case 4:
		return (uint_t)below(16);
	default:
		return (uint_t)rnd();
	}
}

static rsm_memseg_id_t
any_segid(struct run *r)
{
	switch (below(8)) {
	case 0:
	case 1:
	case 2:
		return r->nids > 0 ? r->ids[below(r->nids)] : 0;
	case 3:
		return 0;
	case 4:
		return (rsm_memseg_id_t)below(RSM_DLPI_ID_END + 2);
	case 5:
		return RSM_USER_APP_ID_BASE + (rsm_memseg_id_t)below(64);
	case 6:
		return RSM_HPC_ID_BASE + (rsm_memseg_id_t)below(4096);
	default:
		return (rsm_memseg_id_t)rnd();
	}
}

static rsm_permission_t
any_perm(void)
{
	static const rsm_permission_t p[] = {
		RSM_PERM_READ, RSM_PERM_WRITE, RSM_PERM_RDWR, RSM_PERM_NONE,
		0700, 0666, 0644
	};

	return chance(80) ? p[below(sizeof(p) / sizeof(p[0]))] :
	    (rsm_permission_t)rnd();
}

static rsmapi_access_entry_t *
any_acl(struct run *r, uint_t *len)
{
	static const uint_t lens[] = { 0, 1, 1, 2, 3, 64, 65, 1000, UINT_MAX };

	*len = lens[below(sizeof(lens) / sizeof(lens[0]))];
	if (chance(10))
		return NULL;
	for (size_t i = 0; i < sizeof(r->acl) / sizeof(r->acl[0]); i++) {
		r->acl[i].ae_node = chance(70) ? H_NODE_ID :
		    chance(50) ? (rsm_node_id_t)below(70) : (rsm_node_id_t)rnd();
		r->acl[i].ae_permission = chance(70) ?
		    (rsm_permission_t)below(01000) : (rsm_permission_t)rnd();
	}
	return r->acl;
}

/* A controller name, some valid, some not; never unterminated past ours. */
static char *
any_name(struct run *r, char *buf, size_t cap)
{
	static const char *names[] = {
		"loopback", "shm0", "loopback1", "loopback42", "tcp0", "tcp1",
		"verbs0", "nosuch", "", "shm", "loopback-3", "0", "loopback99x"
	};
	size_t n;

	switch (below(5)) {
	case 0:
		return NULL;
	case 1:
	case 2:
		return (char *)names[below(sizeof(names) / sizeof(names[0]))];
	case 3:
		/* 32 bytes without a NUL, then an unreadable page. */
		return r->name_edge;
	default:
		n = below(cap);
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)(1 + below(255));
		buf[n] = '\0';
		return buf;
	}
}

/* ---- pools ---- */

#define POOL_ADD(arr, n, h) do {					\
	if ((n) < POOL)							\
		(arr)[(n)++] = (h);					\
	else								\
		(arr)[below(POOL)] = (h);				\
} while (0)

static void
ids_add(struct run *r, rsm_memseg_id_t id)
{
	if (r->nids < POOL)
		r->ids[r->nids++] = id;
	else
		r->ids[below(POOL)] = id;
}

/* ---- one call ---- */

static void
one_call(struct run *r, unsigned long it)
{
	enum fn f = (enum fn)below(F_COUNT);
	int rc = RSM_SUCCESS;

	switch (f) {
	case F_GET_CONTROLLER: {
		rsmapi_controller_handle_t h = NULL;
		char name[48];

		rc = rsm_get_controller(any_name(r, name, sizeof(name)),
		    chance(90) ? &h : NULL);
		if (rc == RSM_SUCCESS) {
			if (h == r->work[0])
				r->work_refs[0]++;
			else if (h == r->work[1])
				r->work_refs[1]++;
			else if (r->nspare < 8)
				r->spare[r->nspare++] = h;
			else
				r->spare[below(8)] = h;
		}
		break;
	}
	case F_GET_CONTROLLER_ATTR: {
		rsmapi_controller_attr_t attr;

		rc = rsm_get_controller_attr(any_ctlr(r, 0),
		    chance(90) ? &attr : NULL);
		break;
	}
	case F_RELEASE_CONTROLLER: {
		rsmapi_controller_handle_t h = any_ctlr(r, 0);

		for (int k = 0; k < 2; k++) {
			if (h == r->work[k] && r->work_refs[k] <= 1)
				h = junk_ptr(r);
		}
		rc = rsm_release_controller(h);
		if (rc == RSM_SUCCESS) {
			for (int k = 0; k < 2; k++)
				if (h == r->work[k])
					r->work_refs[k]--;
		}
		break;
	}
	case F_EXPORT_CREATE: {
		rsm_memseg_export_handle_t h = NULL;
		size_t size = chance(70) ? (1 + below(MAX_SEG_PAGES)) * pg :
		    any_size();

		/* Half the calls are good ones, to keep live segments. */
		if (chance(50)) {
			size = (1 + below(4)) * pg;
			rc = rsm_memseg_export_create(r->work[below(2)], &h,
			    r->arena + below(ARENA_PAGES - 3) * pg, size,
			    chance(50) ? RSM_ALLOW_REBIND : 0);
		} else {
			rc = rsm_memseg_export_create(any_ctlr(r, 1),
			    chance(92) ? &h : NULL, any_export_vaddr(r), size,
			    any_flags());
		}
		if (rc == RSM_SUCCESS) {
			struct exp_ent e = { h, size };

			if (r->nex < POOL)
				r->ex[r->nex++] = e;
			else
				r->ex[below(POOL)] = e;
		}
		break;
	}
	case F_EXPORT_DESTROY: {
		size_t size;

		/* Mostly junk: live segments are worth keeping around. */
		rc = rsm_memseg_export_destroy(chance(30) ?
		    any_export(r, &size) : junk_ptr(r));
		if (rc == RSM_SUCCESS)
			r->frees++;
		break;
	}
	case F_EXPORT_REBIND: {
		size_t size;
		rsm_memseg_export_handle_t h = any_export(r, &size);

		rc = rsm_memseg_export_rebind(h, any_export_vaddr(r),
		    (offset_t)rnd(), chance(70) ? size : any_size());
		break;
	}
	case F_EXPORT_PUBLISH: {
		size_t size;
		rsm_memseg_export_handle_t h = any_export(r, &size);
		rsm_memseg_id_t id = any_segid(r);
		rsmapi_access_entry_t *acl;
		uint_t len;

		if (chance(40))
			id = chance(50) ? 0 :
			    RSM_HPC_ID_BASE + (rsm_memseg_id_t)below(4096);
		if (chance(50)) {
			acl = NULL;
			len = 0;
		} else {
			acl = any_acl(r, &len);
		}
		rc = rsm_memseg_export_publish(h, chance(92) ? &id : NULL, acl,
		    len);
		if (rc == RSM_SUCCESS)
			ids_add(r, id);
		break;
	}
	case F_EXPORT_UNPUBLISH: {
		size_t size;

		rc = rsm_memseg_export_unpublish(chance(30) ?
		    any_export(r, &size) : junk_ptr(r));
		break;
	}
	case F_EXPORT_REPUBLISH: {
		size_t size;
		rsm_memseg_export_handle_t h = any_export(r, &size);
		rsmapi_access_entry_t *acl;
		uint_t len;

		acl = any_acl(r, &len);
		rc = rsm_memseg_export_republish(h, acl, len);
		break;
	}
	case F_IMPORT_CONNECT: {
		rsm_memseg_import_handle_t h = NULL;
		rsm_node_id_t node = chance(80) ? H_NODE_ID :
		    chance(50) ? (rsm_node_id_t)below(70) : (rsm_node_id_t)rnd();

		if (chance(50) && r->nids > 0)
			rc = rsm_memseg_import_connect(r->work[below(2)],
			    H_NODE_ID, r->ids[below(r->nids)],
			    RSM_PERM_READ << below(2) | (chance(50) ?
			    RSM_PERM_WRITE : 0), &h);
		else
			rc = rsm_memseg_import_connect(any_ctlr(r, 1), node,
			    any_segid(r), any_perm(), chance(92) ? &h : NULL);
		if (rc == RSM_SUCCESS)
			POOL_ADD(r->im, r->nim, h);
		break;
	}
	case F_IMPORT_DISCONNECT:
		rc = rsm_memseg_import_disconnect(chance(30) ? any_import(r) :
		    junk_ptr(r));
		if (rc == RSM_SUCCESS)
			r->frees++;
		break;
	case F_IMPORT_MAP: {
		static const rsm_attribute_t attrs[] = {
			RSM_MAP_NONE, RSM_MAP_FIXED, RSM_MAP_RESERVED
		};
		rsm_attribute_t attr = chance(85) ?
		    attrs[below(3)] : (rsm_attribute_t)rnd();
		void *addr;
		off_t off = chance(60) ?
		    (off_t)(below(MAX_SEG_PAGES) * pg) : any_offset();
		size_t len = chance(60) ?
		    (1 + below(MAX_SEG_PAGES)) * pg : any_size();

		if (attr == RSM_MAP_FIXED) {
			/*
			 * A fixed mapping replaces whatever is there: only
			 * in a fresh reservation of ours (never released,
			 * so nothing else can be placed in it later).
			 */
			char *res = mmap(NULL, 2 * MAX_SEG_PAGES * pg,
			    PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			    MAP_NORESERVE, -1, 0);

			if (res == MAP_FAILED || chance(5))
				addr = NULL;
			else if (chance(20))
				addr = res + 1 + below(pg - 1);
			else
				addr = res + below(MAX_SEG_PAGES) * pg;
		} else {
			addr = chance(50) ? NULL : junk_ptr(r);
		}
		rc = rsm_memseg_import_map(any_import(r),
		    chance(92) ? &addr : NULL, attr, any_perm(), off, len);
		break;
	}
	case F_IMPORT_UNMAP:
		rc = rsm_memseg_import_unmap(any_import(r));
		break;
	case F_GET:
	case F_PUT: {
		rsm_memseg_import_handle_t h = any_import(r);
		off_t off = chance(40) ? (off_t)below(64) : any_offset();
		void *buf = any_buf(r);
		size_t len = chance(40) ? below(64) : any_len();

		rc = f == F_GET ? rsm_memseg_import_get(h, off, buf, len) :
		    rsm_memseg_import_put(h, off, buf, len);
		break;
	}
	case F_GET8:
	case F_GET16:
	case F_GET32:
	case F_GET64:
	case F_PUT8:
	case F_PUT16:
	case F_PUT32:
	case F_PUT64: {
		rsm_memseg_import_handle_t h = any_import(r);
		off_t off = chance(40) ? (off_t)(below(64) & ~7u) : any_offset();
		void *buf = chance(40) ? r->data : any_buf(r);
		ulong_t n = chance(40) ? (ulong_t)below(8) : (ulong_t)any_len();

		switch (f) {
		case F_GET8:
			rc = rsm_memseg_import_get8(h, off, buf, n);
			break;
		case F_GET16:
			rc = rsm_memseg_import_get16(h, off, buf, n);
			break;
		case F_GET32:
			rc = rsm_memseg_import_get32(h, off, buf, n);
			break;
		case F_GET64:
			rc = rsm_memseg_import_get64(h, off, buf, n);
			break;
		case F_PUT8:
			rc = rsm_memseg_import_put8(h, off, buf, n);
			break;
		case F_PUT16:
			rc = rsm_memseg_import_put16(h, off, buf, n);
			break;
		case F_PUT32:
			rc = rsm_memseg_import_put32(h, off, buf, n);
			break;
		default:
			rc = rsm_memseg_import_put64(h, off, buf, n);
			break;
		}
		break;
	}
	case F_PUTV:
	case F_GETV: {
		rsm_scat_gath_t sg;
		static const int types[] = {
			RSM_HANDLE_TYPE, RSM_VA_TYPE, RSM_VA_TYPE, 0, 3
		};

		memset(&sg, 0, sizeof(sg));
		sg.local_nodeid = (rsm_node_id_t)rnd();
		sg.io_request_count = chance(80) ?
		    (ulong_t)below(RSM_MAX_SGIOREQS + 1) :
		    chance(50) ? RSM_MAX_SGIOREQS + 1 : (ulong_t)rnd();
		sg.io_residual_count = (ulong_t)rnd();
		sg.flags = chance(60) ? (uint_t)below(4) : (uint_t)rnd();
		sg.remote_handle = any_import(r);
		sg.iovec = chance(95) ? r->iov : NULL;
		for (int i = 0; i < RSM_MAX_SGIOREQS; i++) {
			rsm_iovec_t *io = &r->iov[i];

			io->io_type = chance(90) ? types[below(5)] : (int)rnd();
			io->remote_offset = chance(70) ?
			    (size_t)below(MAX_SEG_PAGES * pg + 16) : (size_t)rnd();
			io->transfer_length = chance(70) ?
			    (size_t)below(MAX_SEG_PAGES * pg + 16) : any_len();
			if (io->io_type == RSM_HANDLE_TYPE) {
				io->local.handle = any_localmem(r);
				io->local_offset = chance(70) ?
				    (size_t)below(LM_MAX_PAGES * pg + 16) :
				    any_len();
			} else {
				/*
				 * A virtual address range is the caller's to
				 * get right: ours, or wrapping around (which
				 * the library can tell).
				 */
				io->local.vaddr = chance(5) ? NULL :
				    r->data + below(16);
				io->local_offset = chance(80) ?
				    (size_t)below(2 * pg) :
				    SIZE_MAX - (size_t)below(1 << 20);
			}
		}
		/* A third are plausible lists, to get into the copies. */
		if (chance(33)) {
			sg.io_request_count = 1 + below(4);
			sg.flags = (uint_t)below(2);
			for (ulong_t i = 0; i < sg.io_request_count; i++) {
				r->iov[i].io_type = RSM_VA_TYPE;
				r->iov[i].local.vaddr = r->data;
				r->iov[i].local_offset = below(64);
				r->iov[i].remote_offset = below(64);
				r->iov[i].transfer_length = below(64);
			}
		}
		rc = f == F_PUTV ?
		    rsm_memseg_import_putv(chance(95) ? &sg : NULL) :
		    rsm_memseg_import_getv(chance(95) ? &sg : NULL);
		break;
	}
	case F_CREATE_LOCALMEM: {
		rsm_localmemory_handle_t h = NULL;
		char *va;
		size_t len = chance(60) ?
		    (size_t)(1 + below(LM_MAX_PAGES * pg)) : any_size();

		switch (below(6)) {
		case 0:
			va = NULL;
			break;
		case 1:
			va = r->data + 1 + below(pg - 1);
			break;
		case 2:
			va = r->hole;
			break;
		case 3:
			va = junk_ptr(r);
			break;
		default:
			va = r->data;
			break;
		}
		rc = rsm_create_localmemory_handle(any_ctlr(r, 1),
		    chance(92) ? &h : NULL, va, len);
		if (rc == RSM_SUCCESS) {
			/*
			 * Only handles over our own buffer may be used in
			 * lists; any other one is freed at once.
			 */
			if (va == r->data && len <= LM_MAX_PAGES * pg) {
				POOL_ADD(r->lm, r->nlm, h);
			} else {
				record(r, F_CREATE_LOCALMEM, rc, it);
				f = F_FREE_LOCALMEM;
				rc = rsm_free_localmemory_handle(r->work[0], h);
				if (rc == RSM_SUCCESS)
					r->frees++;
			}
		}
		break;
	}
	case F_FREE_LOCALMEM:
		rc = rsm_free_localmemory_handle(any_ctlr(r, 0),
		    any_localmem(r));
		if (rc == RSM_SUCCESS)
			r->frees++;
		break;
	case F_INIT_BARRIER: {
		static const int types[] = {
			RSM_BARRIER_SEGMENT, RSM_BARRIER_NODE,
			RSM_BARRIER_SEGMENT_THREAD, RSM_BARRIER_NODE_THREAD
		};
		rsm_barrier_type_t t = chance(80) ?
		    (rsm_barrier_type_t)types[below(4)] :
		    (rsm_barrier_type_t)rnd();

		if (chance(50) && r->nim > 0)
			rc = rsm_memseg_import_init_barrier(r->im[below(r->nim)],
			    RSM_BAR_DEFAULT, &r->bar[below(6)]);
		else
			rc = rsm_memseg_import_init_barrier(any_import(r), t,
			    chance(92) ? &r->bar[below(6)] : NULL);
		break;
	}
	case F_OPEN_BARRIER:
	case F_CLOSE_BARRIER:
	case F_ORDER_BARRIER:
	case F_DESTROY_BARRIER: {
		rsmapi_barrier_t *b = chance(92) ? &r->bar[below(6)] : NULL;

		/* Sometimes scribble on it, or copy another one over it. */
		if (b != NULL && chance(10)) {
			b->seg = chance(50) ? any_import(r) : junk_ptr(r);
			b->gnum = (rsm_gnum_t)rnd();
			b->privdata = (void *)(uintptr_t)rnd();
		} else if (b != NULL && chance(10)) {
			*b = r->bar[below(6)];
		}
		rc = f == F_OPEN_BARRIER ? rsm_memseg_import_open_barrier(b) :
		    f == F_CLOSE_BARRIER ? rsm_memseg_import_close_barrier(b) :
		    f == F_ORDER_BARRIER ? rsm_memseg_import_order_barrier(b) :
		    rsm_memseg_import_destroy_barrier(b);
		break;
	}
	case F_GET_MODE: {
		rsm_barrier_mode_t m;

		rc = rsm_memseg_import_get_mode(any_import(r),
		    chance(90) ? &m : NULL);
		break;
	}
	case F_SET_MODE:
		rc = rsm_memseg_import_set_mode(any_import(r), chance(70) ?
		    (rsm_barrier_mode_t)below(2) : (rsm_barrier_mode_t)rnd());
		break;
	case F_SIGNAL_POST:
		rc = rsm_intr_signal_post(any_segment(r), chance(50) ?
		    (uint_t)below(4) : (uint_t)rnd());
		break;
	case F_SIGNAL_WAIT: {
		void *h = any_segment(r);
		int timeout = (int)below(3);

		/*
		 * Waiting forever is only bounded when the handle is
		 * refused: negative timeouts go with junk pointers only.
		 */
		if (chance(20)) {
			h = junk_ptr(r);
			timeout = chance(50) ? -1 : (int)(rnd() | 0x80000000u);
		}
		rc = rsm_intr_signal_wait(h, timeout);
		break;
	}
	case F_SIGNAL_WAIT_POLLFD: {
		nfds_t n = (nfds_t)below(9);
		int cnt = -5;

		for (int i = 0; i < 8; i++) {
			if (chance(30)) {
				r->pfds[i].fd = chance(50) ? -1 :
				    (int)below(64);
				r->pfds[i].events = (short)rnd();
			}
			r->pfds[i].revents = (short)rnd();
		}
		if (chance(5)) {
			rc = rsm_intr_signal_wait_pollfd(NULL, chance(50) ?
			    n : (nfds_t)rnd(), (int)below(2),
			    chance(50) ? &cnt : NULL);
		} else {
			rc = rsm_intr_signal_wait_pollfd(r->pfds, n,
			    (int)below(2), chance(50) ? &cnt : NULL);
		}
		break;
	}
	case F_GET_POLLFD: {
		struct pollfd *p = chance(90) ? &r->pfds[below(8)] : NULL;

		rc = rsm_memseg_get_pollfd(any_segment(r), p);
		break;
	}
	case F_RELEASE_POLLFD:
		rc = rsm_memseg_release_pollfd(any_segment(r));
		break;
	case F_GET_TOPOLOGY: {
		rsm_topology_t *t = NULL;

		rc = rsm_get_interconnect_topology(chance(90) ? &t : NULL);
		if (rc == RSM_SUCCESS) {
			record(r, F_GET_TOPOLOGY, rc, it);
			f = F_FREE_TOPOLOGY;
			rsm_free_interconnect_topology(t);
		}
		break;
	}
	case F_FREE_TOPOLOGY:
		rsm_free_interconnect_topology(NULL);
		break;
	case F_GET_SEGMENTID_RANGE: {
		static const char *apps[] = { "app", "APP", "other", "", "x y" };
		char name[48];
		rsm_memseg_id_t base;
		uint32_t len;
		const char *app;

		if (chance(10)) {
			app = NULL;
		} else if (chance(60)) {
			app = apps[below(5)];
		} else {
			size_t n = below(sizeof(name));

			for (size_t i = 0; i < n; i++)
				name[i] = (char)(1 + below(255));
			name[n] = '\0';
			app = name;
		}
		if (chance(10))
			setenv("RSM_SEGMENTID_FILE", chance(50) ?
			    r->segid_file : "/nonexistent/rsm.segmentid", 1);
		rc = rsm_get_segmentid_range(app, chance(90) ? &base : NULL,
		    chance(90) ? &len : NULL);
		break;
	}
	default:
		return;
	}
	record(r, f, rc, it);
}

/* ---- the child ---- */

static char *
map_or_null(size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int
garbage_child(void *arg)
{
	static struct run run;	/* big: off the stack */
	struct run *r = &run;
	FILE *f;

	memset(r, 0, sizeof(*r));
	rng = *(const uint64_t *)arg;
	r->heap = malloc(256);
	H_CHECK(r->heap != NULL);
	/* Exportable arena followed by a hole. */
	H_CHECK((r->arena = map_or_null((ARENA_PAGES + 1) * pg,
	    PROT_READ | PROT_WRITE, MAP_PRIVATE)) != NULL);
	H_CHECK(munmap(r->arena + ARENA_PAGES * pg, pg) == 0);
	H_CHECK((r->data = map_or_null(DATA_PAGES * pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE)) != NULL);
	H_CHECK((r->hole = map_or_null(pg, PROT_NONE, MAP_PRIVATE)) != NULL);
	H_CHECK(munmap(r->hole, pg) == 0);
	H_CHECK((r->none = map_or_null(2 * pg, PROT_NONE, MAP_PRIVATE)) != NULL);
	H_CHECK((r->ro = map_or_null(2 * pg, PROT_READ, MAP_PRIVATE)) != NULL);
	H_CHECK((r->shared = map_or_null(2 * pg, PROT_READ | PROT_WRITE,
	    MAP_SHARED)) != NULL);
	/* A controller name that runs into an unreadable page. */
	H_CHECK((r->name_edge = map_or_null(2 * pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE)) != NULL);
	H_CHECK(mprotect(r->name_edge + pg, pg, PROT_NONE) == 0);
	r->name_edge += pg - RSM_CTLR_NAME_MAX;
	memset(r->name_edge, 'l', RSM_CTLR_NAME_MAX);

	snprintf(r->segid_file, sizeof(r->segid_file), "%s/segid.%d",
	    h_daemon.dir, (int)getpid());
	H_CHECK((f = fopen(r->segid_file, "w")) != NULL);
	fputs("# test\nreserved app 400000 100\nreserved other 500000 1\n", f);
	H_CHECK(fclose(f) == 0);
	setenv("RSM_SEGMENTID_FILE", r->segid_file, 1);

	H_CHECK_RC(rsm_get_controller(NULL, &r->work[0]), RSM_SUCCESS);
	H_CHECK_RC(rsm_get_controller("shm0", &r->work[1]), RSM_SUCCESS);
	r->work_refs[0] = r->work_refs[1] = 1;
	for (int i = 0; i < 8; i++)
		r->pfds[i].fd = -1;

	for (unsigned long it = 0; it < ITERATIONS; it++) {
		one_call(r, it);
		/*
		 * Freed slots are reused only after 1024 are waiting; stay
		 * below that so a kept freed handle never becomes someone
		 * else's live one.
		 */
		if (r->frees >= 900)
			break;
	}
	unlink(r->segid_file);

	fprintf(stderr, "seed %#llx: %lu violations\n",
	    (unsigned long long)*(const uint64_t *)arg, r->bad);
	for (int fi = 0; fi < F_COUNT; fi++) {
		if (getenv("RSM_TEST_DEBUG") != NULL)
			fprintf(stderr, "  %-32s %5lu calls %5lu ok\n",
			    fns[fi].name, r->calls[fi], r->ok[fi]);
		/* Every function was exercised. */
		H_CHECK(r->calls[fi] > 0);
	}
	/* The live handles got deep enough to succeed now and then. */
	H_CHECK(r->ok[F_EXPORT_CREATE] > 0 && r->ok[F_IMPORT_CONNECT] > 0);
	H_CHECK(r->ok[F_PUT] + r->ok[F_GET] + r->ok[F_PUT8] + r->ok[F_GET8] +
	    r->ok[F_PUT16] + r->ok[F_GET16] + r->ok[F_PUT32] + r->ok[F_GET32] +
	    r->ok[F_PUT64] + r->ok[F_GET64] + r->ok[F_PUTV] + r->ok[F_GETV] > 0);
	H_CHECK(r->bad == 0);
	/* The library still works after all that. */
	{
		rsmapi_controller_attr_t attr;

		H_CHECK_RC(rsm_get_controller_attr(r->work[0], &attr),
		    RSM_SUCCESS);
	}
	return 0;
}

static void
test_garbage(void **state)
{
	struct rsm_msg_status st;
	uint64_t end;

	(void)state;
	alarm(0);	/* several children; each has its own bound */
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		int rc = h_run_child(garbage_child, (void *)&seeds[i],
		    (uid_t)-1, CHILD_MS);

		if (rc != 0)
			h_rsmd_dump_log(&h_daemon);
		assert_int_equal(rc, 0);
		/* The daemon survived, refused nothing, and cleaned up. */
		end = h_now_ms() + 3000;
		for (;;) {
			assert_int_equal(h_rsmd_status(&h_daemon, &st), 0);
			if (st.segments == 0 && st.imports == 0)
				break;
			assert_true(h_now_ms() < end);
			h_sleep_ms(10);
		}
		assert_int_equal(st.refused, 0);
	}
}

static int
group_setup(void **state)
{
	(void)state;
	pg = h_pagesize();
	return h_group_setup(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, group_setup, h_group_teardown);
}
