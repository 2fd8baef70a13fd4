/*
 * test_basic.c - the RSMAPI data path between real processes on one node:
 * export/publish/connect, put/get of every size, the N-bit variants,
 * putv/getv, mappings seen from both sides, explicit barriers, access
 * lists, unpublish/republish/rebind, destroy, what rsmd lists,
 * disconnect while mapped, and the daemon's read-only reopen of a segment
 * for its read-only importers.
 *
 * The exporter and the importer are always two different forked children
 * (never parent and child), so no data can reach the other side through
 * memory inherited across fork: everything the importer sees went through
 * the segment the daemon handed out.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <rsmapi.h>

#include "../harness.h"

/* Bounds: one message between children, one child, one polled condition. */
#define T_MSG		8000
#define T_CHILD		14000
#define T_POLL		5000

/* Tags exchanged on the channel between exporter and importer. */
#define TAG_READY	0x52454459u	/* segment published */
#define TAG_GO		0x474f2121u
#define TAG_DONE	0x444f4e45u
#define TAG_OK		0x4f4b4f4bu

/* Application segment ids: one fresh id per pair of children. */
static uint32_t g_next_segid = 0x400010u;

static int
all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* ---- channel helpers (children) ---- */

static int
expect_u32(int fd, uint32_t want)
{
	return h_expect_u32(fd, want, T_MSG);
}

static int
recv_u64(int fd, uint64_t *v)
{
	return h_recv(fd, v, sizeof(*v), T_MSG);
}

static int
send_u64(int fd, uint64_t v)
{
	return h_send(fd, &v, sizeof(v));
}

/* ---- exporter and importer set-up (children) ---- */

struct xp {
	rsmapi_controller_handle_t	 c;
	rsm_memseg_export_handle_t	 h;
	char				*mem;
	size_t				 size;
};

static int
xp_create(struct xp *x, char *ctlr, size_t size, uint_t flags)
{
	memset(x, 0, sizeof(*x));
	H_CHECK_RC(rsm_get_controller(ctlr, &x->c), RSM_SUCCESS);
	x->size = size;
	H_CHECK((x->mem = h_pages(size)) != NULL);
	H_CHECK_RC(rsm_memseg_export_create(x->c, &x->h, x->mem, size, flags),
	    RSM_SUCCESS);
	return 0;
}

static int
xp_publish(struct xp *x, uint32_t segid, rsmapi_access_entry_t *acl,
    uint_t n)
{
	rsm_memseg_id_t id = segid;

	H_CHECK_RC(rsm_memseg_export_publish(x->h, &id, acl, n), RSM_SUCCESS);
	H_CHECK(id == segid);
	return 0;
}

/* Poll a byte through a mapping until it has a value (bounded). */
static int
wait_byte(const volatile unsigned char *p, unsigned char want)
{
	uint64_t end = h_now_ms() + T_POLL;

	while (*p != want) {
		if (h_now_ms() > end)
			return -1;
		h_sleep_ms(1);
	}
	return 0;
}

/* ---- pairs of children ---- */

struct pair;
typedef int (*pair_fn)(struct pair *p, int fd);

struct pair {
	pair_fn		 exp, imp;
	uint32_t	 segid;
	const void	*arg;
};

static int
exp_side(void *arg, int fd)
{
	struct pair *p = arg;

	return p->exp(p, fd);
}

static int
imp_side(void *arg, int fd)
{
	struct pair *p = arg;

	return p->imp(p, fd);
}

/* Run an exporter child and an importer child joined by a stream socket. */
static void
run_pair(pair_fn exp, pair_fn imp, uid_t imp_uid, const void *arg)
{
	struct pair p = { exp, imp, g_next_segid++, arg };
	struct h_pair hp = { .exp = exp_side, .imp = imp_side, .arg = &p,
	    .imp_uid = imp_uid, .timeout_ms = T_CHILD };

	assert_int_equal(h_pair_run(&hp), 0);
	if (hp.exp_status != 0 || hp.imp_status != 0)
		h_rsmd_dump_log(&h_daemon);
	assert_int_equal(hp.exp_status, 0);
	assert_int_equal(hp.imp_status, 0);
}

/* ---- group set-up ---- */

/* ======================================================================
 * Controllers, topology, segment-id ranges (in the test process itself)
 * ====================================================================== */

static void
test_controller(void **state)
{
	rsmapi_controller_handle_t c1, c2, c3;
	rsmapi_controller_attr_t a;
	char lo[] = "loopback", lo7[] = "loopback7", shm[] = "shm0";
	char nosuch[] = "nosuch0";

	(void)state;
	assert_int_equal(rsm_get_controller(NULL, &c1), RSM_SUCCESS);
	assert_non_null(c1);
	/* NULL is loopback: a second get of it is the same handle. */
	assert_int_equal(rsm_get_controller(lo, &c2), RSM_SUCCESS);
	assert_ptr_equal(c1, c2);
	/* Another loopback unit is accepted too (its own type/unit). */
	assert_int_equal(rsm_get_controller(lo7, &c3), RSM_SUCCESS);
	assert_non_null(c3);

	memset(&a, 0xa5, sizeof(a));
	assert_int_equal(rsm_get_controller_attr(c1, &a), RSM_SUCCESS);
	assert_int_equal(a.attr_page_size, h_pagesize());
	assert_int_equal(a.attr_direct_access_sizes,
	    RSM_DAS8 | RSM_DAS16 | RSM_DAS32 | RSM_DAS64);
	assert_int_equal(a.attr_atomic_sizes, 0);
	/* The config defaults: max_segment_size 64 GiB, max_segments 65535. */
	assert_int_equal(a.attr_max_export_segment_size, (size_t)64 << 30);
	assert_int_equal(a.attr_max_export_segments, 65535);
	assert_int_equal(a.attr_max_import_segments, 65535);
	assert_int_equal(rsm_get_controller_attr(c1, NULL), RSMERR_BAD_ADDR);

	assert_int_equal(rsm_get_controller_attr(c3, &a), RSM_SUCCESS);
	assert_int_equal(a.attr_page_size, h_pagesize());
	assert_int_equal(rsm_release_controller(c3), RSM_SUCCESS);
	/* Two gets of loopback, two releases; a third is one too many. */
	assert_int_equal(rsm_release_controller(c2), RSM_SUCCESS);
	assert_int_equal(rsm_get_controller_attr(c1, &a), RSM_SUCCESS);
	assert_int_equal(rsm_release_controller(c1), RSM_SUCCESS);
	assert_int_equal(rsm_release_controller(c1), RSMERR_BAD_CTLR_HNDL);
	assert_int_equal(rsm_get_controller_attr(c1, &a),
	    RSMERR_BAD_CTLR_HNDL);

	assert_int_equal(rsm_get_controller(shm, &c1), RSM_SUCCESS);
	assert_int_equal(rsm_get_controller_attr(c1, &a), RSM_SUCCESS);
	assert_int_equal(a.attr_page_size, h_pagesize());
	assert_int_equal(rsm_release_controller(c1), RSM_SUCCESS);

	/* A controller the node does not have. */
	assert_int_equal(rsm_get_controller(nosuch, &c1),
	    RSMERR_CTLR_NOT_PRESENT);
	assert_null(c1);
	assert_int_equal(rsm_get_controller(NULL, NULL), RSMERR_BAD_CTLR_HNDL);
}

static void
test_topology(void **state)
{
	rsm_topology_t *t = NULL;

	(void)state;
	assert_int_equal(rsm_get_interconnect_topology(NULL),
	    RSMERR_BAD_TOPOLOGY_PTR);
	assert_int_equal(rsm_get_interconnect_topology(&t), RSM_SUCCESS);
	assert_non_null(t);
	assert_int_equal(t->topology_hdr.local_nodeid, H_NODE_ID);
	assert_true(t->topology_hdr.local_cntlr_count >= 1);
	for (uint_t i = 0; i < t->topology_hdr.local_cntlr_count; i++) {
		rsm_connections_t *c = t->connections[i];

		/* The pointers lie inside the one buffer. */
		assert_non_null(c);
		assert_true((char *)c > (char *)t);
		assert_true(c->hdr.remote_cntlr_count >= 0);
		assert_true(strnlen(c->hdr.cntlr_name, MAXNAMELEN) > 0);
	}
	assert_string_equal(t->connections[0]->hdr.cntlr_name, "shm0");
	/* A single node: nobody to talk to. */
	assert_int_equal(t->connections[0]->hdr.remote_cntlr_count, 0);
	rsm_free_interconnect_topology(t);
	rsm_free_interconnect_topology(NULL);
}

static char g_segid_file[256];

static void
write_segid_file(void)
{
	FILE *f;

	snprintf(g_segid_file, sizeof(g_segid_file), "%s/rsm.segmentid",
	    h_daemon.dir);
	f = fopen(g_segid_file, "w");
	assert_non_null(f);
	fprintf(f, "# application segment ids\n");
	fprintf(f, "reserved otherapp 0x500000 8\n");
	fprintf(f, "  reserved   TestApp\t650000 32\n");
	fprintf(f, "reserved testapp 0x700000 4\n");
	assert_int_equal(fclose(f), 0);
	assert_int_equal(setenv("RSM_SEGMENTID_FILE", g_segid_file, 1), 0);
}

static int
segid_exp(struct pair *p, int fd)
{
	struct xp a, b, c, d;
	rsm_memseg_id_t base = 0, id, aid;
	uint32_t len = 0;

	(void)p;
	H_CHECK_RC(rsm_get_segmentid_range("testapp", &base, &len),
	    RSM_SUCCESS);
	H_CHECK(base == 0x650000u && len == 32);
	H_CHECK(xp_create(&a, NULL, h_pagesize(), 0) == 0);
	H_CHECK(xp_create(&b, NULL, h_pagesize(), 0) == 0);
	H_CHECK(xp_create(&c, NULL, h_pagesize(), 0) == 0);
	H_CHECK(xp_create(&d, NULL, h_pagesize(), 0) == 0);
	memcpy(a.mem, "range", 6);
	memcpy(b.mem, "top", 4);
	memcpy(c.mem, "auto", 5);

	/* Reserved ids are refused and leave the segment unpublished. */
	id = RSM_DLPI_ID_END;
	H_CHECK_RC(rsm_memseg_export_publish(a.h, &id, NULL, 0),
	    RSMERR_RESERVED_SEGID);
	id = RSM_USER_APP_ID_BASE;
	H_CHECK_RC(rsm_memseg_export_publish(a.h, &id, NULL, 0),
	    RSMERR_RESERVED_SEGID);
	H_CHECK_RC(rsm_memseg_export_publish(a.h, NULL, NULL, 0),
	    RSMERR_BAD_SEGID);
	/* The first and last application ids work. */
	H_CHECK(xp_publish(&a, base + 5, NULL, 0) == 0);
	H_CHECK(xp_publish(&b, 0x7fffffffu, NULL, 0) == 0);
	aid = 0;
	H_CHECK_RC(rsm_memseg_export_publish(c.h, &aid, NULL, 0), RSM_SUCCESS);
	H_CHECK(aid >= RSM_USER_APP_ID_BASE);
	/* One namespace per node. */
	id = base + 5;
	H_CHECK_RC(rsm_memseg_export_publish(d.h, &id, NULL, 0),
	    RSMERR_SEGID_IN_USE);
	id = RSM_HPC_ID_BASE + 0x3ff;
	H_CHECK_RC(rsm_memseg_export_publish(d.h, &id, NULL, 0), RSM_SUCCESS);

	H_CHECK(h_rsmd_find_segid(&h_daemon, base + 5, NULL) >= 0);
	H_CHECK(h_rsmd_find_segid(&h_daemon, 0x7fffffffu, NULL) >= 0);
	H_CHECK(h_rsmd_find_segid(&h_daemon, aid, NULL) >= 0);
	H_CHECK(h_send_u32(fd, base + 5) == 0);
	H_CHECK(h_send_u32(fd, id) == 0);
	H_CHECK(h_send_u32(fd, 0x7fffffffu) == 0);
	H_CHECK(h_send_u32(fd, aid) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	return 0;
}

static int
segid_imp(struct pair *p, int fd)
{
	struct h_imp a, b, c, d;
	uint32_t ida, idd, idb, idc;
	char buf[8];

	(void)p;
	H_CHECK(h_recv_u32(fd, &ida, T_MSG) == 0);
	H_CHECK(h_recv_u32(fd, &idd, T_MSG) == 0);
	H_CHECK(h_recv_u32(fd, &idb, T_MSG) == 0);
	H_CHECK(h_recv_u32(fd, &idc, T_MSG) == 0);
	H_CHECK(h_imp_connect(&a, NULL, ida, RSM_PERM_RDWR) == 0);
	H_CHECK(h_imp_connect(&b, NULL, idb, RSM_PERM_READ) == 0);
	H_CHECK(h_imp_connect(&c, NULL, idc, RSM_PERM_READ) == 0);
	H_CHECK(h_imp_connect(&d, NULL, idd, RSM_PERM_READ) == 0);
	H_CHECK_RC(rsm_memseg_import_get(c.h, 0, buf, 5), RSM_SUCCESS);
	H_CHECK(memcmp(buf, "auto", 5) == 0);
	H_CHECK_RC(rsm_memseg_import_get(a.h, 0, buf, 6), RSM_SUCCESS);
	H_CHECK(memcmp(buf, "range", 6) == 0);
	H_CHECK_RC(rsm_memseg_import_get(b.h, 0, buf, 4), RSM_SUCCESS);
	H_CHECK(memcmp(buf, "top", 4) == 0);
	/* d was never written: zeros. */
	memset(buf, 1, sizeof(buf));
	H_CHECK_RC(rsm_memseg_import_get(d.h, 0, buf, sizeof(buf)),
	    RSM_SUCCESS);
	H_CHECK(all_zero(buf, sizeof(buf)));
	/* An id nobody published. */
	{
		rsm_memseg_import_handle_t h = (rsm_memseg_import_handle_t)1;

		H_CHECK_RC(rsm_memseg_import_connect(a.c, H_NODE_ID,
		    ida + 1, RSM_PERM_READ, &h), RSMERR_SEG_NOT_PUBLISHED);
		H_CHECK(h == NULL);
	}
	H_CHECK_RC(rsm_memseg_import_disconnect(a.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(b.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(c.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(d.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_segid_range(void **state)
{
	rsm_memseg_id_t base = 0;
	uint32_t len = 0;

	(void)state;
	write_segid_file();
	assert_int_equal(rsm_get_segmentid_range("testapp", &base, &len),
	    RSM_SUCCESS);
	/* Case-insensitive, and the first matching line decides. */
	assert_int_equal(base, 0x650000u);
	assert_int_equal(len, 32);
	assert_int_equal(rsm_get_segmentid_range("OTHERAPP", &base, &len),
	    RSM_SUCCESS);
	assert_int_equal(base, 0x500000u);
	assert_int_equal(len, 8);
	assert_int_equal(rsm_get_segmentid_range("nosuchapp", &base, &len),
	    RSMERR_BAD_APPID);
	assert_int_equal(rsm_get_segmentid_range(NULL, &base, &len),
	    RSMERR_BAD_ADDR);
	assert_int_equal(rsm_get_segmentid_range("testapp", NULL, &len),
	    RSMERR_BAD_ADDR);
	run_pair(segid_exp, segid_imp, (uid_t)-1, NULL);
	unlink(g_segid_file);
	assert_int_equal(rsm_get_segmentid_range("testapp", &base, &len),
	    RSMERR_BAD_CONF);
	unsetenv("RSM_SEGMENTID_FILE");
}

/* ======================================================================
 * put/get from 1 byte to 8 MiB, both directions, with checksums
 * ====================================================================== */

#define BIG	((size_t)8 << 20)

static const struct {
	size_t off, len;
} xfer_cases[] = {
	{ 0, 1 }, { 1, 1 }, { BIG - 1, 1 }, { 3, 2 }, { 5, 3 },
	{ 4093, 7 }, { 0, 4096 }, { 4096, 4096 }, { 777, 4097 },
	{ 12345, 65537 }, { (size_t)1 << 20, ((size_t)1 << 20) + 5 },
	{ ((size_t)2 << 20) + 3, ((size_t)3 << 20) + 7 }, { 0, BIG },
};
#define NXFER	(sizeof(xfer_cases) / sizeof(xfer_cases[0]))

static int
xfer_exp(struct pair *p, int fd)
{
	struct xp x;

	H_CHECK(xp_create(&x, NULL, BIG, 0) == 0);
	H_CHECK(xp_publish(&x, p->segid, NULL, 0) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);
	for (size_t i = 0; i < NXFER; i++) {
		size_t off = xfer_cases[i].off, len = xfer_cases[i].len;
		uint64_t sum;

		/* Importer -> exporter: put, then we read our own memory. */
		memset(x.mem, 0, BIG);
		H_CHECK(h_send_u32(fd, TAG_GO) == 0);
		H_CHECK(recv_u64(fd, &sum) == 0);
		H_CHECK(h_csum(x.mem + off, len) == sum);
		/* Nothing outside the range was touched. */
		H_CHECK(all_zero(x.mem, off));
		H_CHECK(all_zero(x.mem + off + len, BIG - off - len));

		/* Exporter -> importer: we write, the importer gets. */
		h_fill(x.mem + off, len, 1000 + i);
		H_CHECK(send_u64(fd, h_csum(x.mem + off, len)) == 0);
		H_CHECK(expect_u32(fd, TAG_OK) == 0);
	}
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK_RC(rsm_memseg_export_destroy(x.h), RSM_SUCCESS);
	return 0;
}

static int
xfer_imp(struct pair *p, int fd)
{
	struct h_imp m;
	char *buf = malloc(BIG), *one = malloc(8);
	uint64_t sum;

	H_CHECK(buf != NULL && one != NULL);
	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	for (size_t i = 0; i < NXFER; i++) {
		size_t off = xfer_cases[i].off, len = xfer_cases[i].len;

		H_CHECK(expect_u32(fd, TAG_GO) == 0);
		h_fill(buf, len, i + 1);
		H_CHECK_RC(rsm_memseg_import_put(m.h, (off_t)off, buf, len),
		    RSM_SUCCESS);
		H_CHECK(send_u64(fd, h_csum(buf, len)) == 0);

		H_CHECK(recv_u64(fd, &sum) == 0);
		memset(buf, 0, len);
		H_CHECK_RC(rsm_memseg_import_get(m.h, (off_t)off, buf, len),
		    RSM_SUCCESS);
		H_CHECK(h_csum(buf, len) == sum);
		H_CHECK(h_send_u32(fd, TAG_OK) == 0);
	}
	/* Past the end of the segment, and no buffer. */
	H_CHECK_RC(rsm_memseg_import_put(m.h, (off_t)BIG, one, 1),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_get(m.h, (off_t)BIG - 4, one, 8),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_get(m.h, 0, NULL, 8), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	free(buf);
	free(one);
	return 0;
}

static void
test_put_get_sizes(void **state)
{
	(void)state;
	run_pair(xfer_exp, xfer_imp, (uid_t)-1, NULL);
}

/* ======================================================================
 * put8/16/32/64 and get8/16/32/64
 * ====================================================================== */

/*
 * The layout both sides know.  put: importer -> exporter at PUT_*; get:
 * exporter -> importer at GET_*.  Counts > 1 and == 1 for each width.
 */
#define NREP		37
#define PUT8		1		/* any alignment for 8 bits */
#define PUT16		64
#define PUT32		256
#define PUT64		512
#define PUT1		1024		/* rep_cnt 1 of each width from here */
#define GET8		2049
#define GET16		2176
#define GET32		2304
#define GET64		2560
#define GET1		3072

static uint8_t  v8(size_t i)  { return (uint8_t)(0xa0 + i * 7); }
static uint16_t v16(size_t i) { return (uint16_t)(0xbe00 + i * 0x101); }
static uint32_t v32(size_t i) { return 0x11223344u + (uint32_t)i * 0x01010101u; }
static uint64_t v64(size_t i) { return 0x0102030405060708ull * (i + 1); }

static int
nbit_exp(struct pair *p, int fd)
{
	struct xp x;
	uint32_t w32 = 0x11223344u;

	H_CHECK(xp_create(&x, NULL, 2 * h_pagesize(), 0) == 0);
	H_CHECK(xp_publish(&x, p->segid, NULL, 0) == 0);
	/* Fill the get areas before the importer is told to go. */
	for (size_t i = 0; i < NREP; i++) {
		uint8_t a = v8(i);
		uint16_t b = v16(i);
		uint32_t c = v32(i);
		uint64_t d = v64(i);

		memcpy(x.mem + GET8 + i, &a, 1);
		memcpy(x.mem + GET16 + 2 * i, &b, 2);
		memcpy(x.mem + GET32 + 4 * i, &c, 4);
		memcpy(x.mem + GET64 + 8 * i, &d, 8);
	}
	{
		uint8_t a = 0x5a;
		uint16_t b = 0xc0de;
		uint32_t c = 0xdeadbeefu;
		uint64_t d = 0x0123456789abcdefull;

		memcpy(x.mem + GET1, &a, 1);
		memcpy(x.mem + GET1 + 2, &b, 2);
		memcpy(x.mem + GET1 + 4, &c, 4);
		memcpy(x.mem + GET1 + 8, &d, 8);
	}
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);

	/*
	 * Both ends have one byte order, so no swap: the items land in the
	 * exporter's memory in its own representation.
	 */
	for (size_t i = 0; i < NREP; i++) {
		uint8_t a = v8(i);
		uint16_t b = v16(i);
		uint32_t c = v32(i);
		uint64_t d = v64(i);

		H_CHECK(memcmp(x.mem + PUT8 + i, &a, 1) == 0);
		H_CHECK(memcmp(x.mem + PUT16 + 2 * i, &b, 2) == 0);
		H_CHECK(memcmp(x.mem + PUT32 + 4 * i, &c, 4) == 0);
		H_CHECK(memcmp(x.mem + PUT64 + 8 * i, &d, 8) == 0);
	}
	H_CHECK(memcmp(x.mem + PUT32, &w32, 4) == 0);
	/* One past each run is untouched. */
	H_CHECK(x.mem[PUT8 + NREP] == 0);
	H_CHECK(all_zero(x.mem + PUT16 + 2 * NREP, 2));
	H_CHECK(all_zero(x.mem + PUT32 + 4 * NREP, 4));
	H_CHECK(all_zero(x.mem + PUT64 + 8 * NREP, 8));
	{
		uint8_t a = 0x77;
		uint16_t b = 0xa55a;
		uint32_t c = 0xcafef00du;
		uint64_t d = 0xfedcba9876543210ull;

		H_CHECK(memcmp(x.mem + PUT1, &a, 1) == 0);
		H_CHECK(x.mem[PUT1 + 1] == 0);
		H_CHECK(memcmp(x.mem + PUT1 + 2, &b, 2) == 0);
		H_CHECK(memcmp(x.mem + PUT1 + 4, &c, 4) == 0);
		H_CHECK(memcmp(x.mem + PUT1 + 8, &d, 8) == 0);
		H_CHECK(all_zero(x.mem + PUT1 + 16, 16));
	}
	H_CHECK(h_send_u32(fd, TAG_OK) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	return 0;
}

static int
nbit_imp(struct pair *p, int fd)
{
	struct h_imp m;
	uint8_t a[NREP + 1];
	uint16_t b[NREP + 1];
	uint32_t c[NREP + 1];
	uint64_t d[NREP + 1];
	size_t sz = 2 * h_pagesize();

	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	for (size_t i = 0; i < NREP; i++) {
		a[i] = v8(i);
		b[i] = v16(i);
		c[i] = v32(i);
		d[i] = v64(i);
	}
	H_CHECK_RC(rsm_memseg_import_put8(m.h, PUT8, a, NREP), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put16(m.h, PUT16, b, NREP), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put32(m.h, PUT32, c, NREP), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put64(m.h, PUT64, d, NREP), RSM_SUCCESS);
	a[0] = 0x77;
	b[0] = 0xa55a;
	c[0] = 0xcafef00du;
	d[0] = 0xfedcba9876543210ull;
	H_CHECK_RC(rsm_memseg_import_put8(m.h, PUT1, a, 1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put16(m.h, PUT1 + 2, b, 1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put32(m.h, PUT1 + 4, c, 1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put64(m.h, PUT1 + 8, d, 1), RSM_SUCCESS);

	/* Offsets must be aligned to the item size. */
	H_CHECK_RC(rsm_memseg_import_put16(m.h, PUT16 + 1, b, 1),
	    RSMERR_BAD_MEM_ALIGNMENT);
	H_CHECK_RC(rsm_memseg_import_put32(m.h, PUT32 + 2, c, 1),
	    RSMERR_BAD_MEM_ALIGNMENT);
	H_CHECK_RC(rsm_memseg_import_get64(m.h, PUT64 + 4, d, 1),
	    RSMERR_BAD_MEM_ALIGNMENT);
	/* A run that would cross the end of the segment. */
	H_CHECK_RC(rsm_memseg_import_put32(m.h, (off_t)sz - 8, c, 3),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_get64(m.h, (off_t)sz - 8, d, 2),
	    RSMERR_BAD_LENGTH);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	H_CHECK(expect_u32(fd, TAG_OK) == 0);

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(c, 0, sizeof(c));
	memset(d, 0, sizeof(d));
	H_CHECK_RC(rsm_memseg_import_get8(m.h, GET8, a, NREP), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get16(m.h, GET16, b, NREP), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get32(m.h, GET32, c, NREP), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get64(m.h, GET64, d, NREP), RSM_SUCCESS);
	for (size_t i = 0; i < NREP; i++) {
		H_CHECK(a[i] == v8(i));
		H_CHECK(b[i] == v16(i));
		H_CHECK(c[i] == v32(i));
		H_CHECK(d[i] == v64(i));
	}
	/* rep_cnt counts items, not bytes: the one after stays untouched. */
	H_CHECK(a[NREP] == 0 && b[NREP] == 0 && c[NREP] == 0 && d[NREP] == 0);
	H_CHECK_RC(rsm_memseg_import_get8(m.h, GET1, a, 1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get16(m.h, GET1 + 2, b, 1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get32(m.h, GET1 + 4, c, 1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get64(m.h, GET1 + 8, d, 1), RSM_SUCCESS);
	H_CHECK(a[0] == 0x5a && b[0] == 0xc0de && c[0] == 0xdeadbeefu &&
	    d[0] == 0x0123456789abcdefull);
	H_CHECK(a[1] == v8(1) && b[1] == v16(1));
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_put_get_nbit(void **state)
{
	(void)state;
	run_pair(nbit_exp, nbit_imp, (uid_t)-1, NULL);
}

/* ======================================================================
 * putv/getv over local memory handles and virtual addresses
 * ====================================================================== */

#define SG_SEG		((size_t)64 << 10)
#define SG_N		RSM_MAX_SGIOREQS
#define L1_SIZE		((size_t)16 << 10)
#define L2_SIZE		((size_t)8 << 10)
#define VA_SIZE		((size_t)12000)

/*
 * Entry i: local buffer (0 = handle 1, 1 = handle 2, 2 = plain vaddr),
 * local offset, remote offset, length.  Neither the remote ranges nor the
 * local ranges within one buffer overlap, so getv has one right answer.
 */
static const struct {
	int	local;
	size_t	loff, roff, len;
} sg_tab[SG_N] = {
	{ 0, 0, 0, 1 },		{ 1, 3, 100, 2 },	{ 2, 0, 200, 3 },
	{ 0, 1, 300, 100 },	{ 1, 5, 1000, 4096 },
	{ 2, 17, 6000, 999 },	{ 0, 200, 8000, 8193 },
	{ 1, 8191, 17000, 1 },	{ 2, 5000, 18000, 7000 },
	{ 0, 101, 26000, 4 },	{ 1, 4101, 27000, 8 },	{ 2, 4000, 28000, 1 },
	{ 0, 8393, 30000, 4384 }, { 1, 4109, 40000, 3000 },
	{ 2, 3, 50000, 1 },	{ 0, 12777, SG_SEG - 3000, 3000 },
};

/* The segment image after the putv of the table with `seed`. */
static void
sg_image(char *img, const char *const loc[3])
{
	memset(img, 0, SG_SEG);
	for (int i = 0; i < SG_N; i++)
		memcpy(img + sg_tab[i].roff, loc[sg_tab[i].local] +
		    sg_tab[i].loff, sg_tab[i].len);
}

static int
sgv_exp(struct pair *p, int fd)
{
	struct xp x;
	char *img = malloc(SG_SEG), *l1 = h_pages(L1_SIZE),
	    *l2 = h_pages(L2_SIZE), *va = malloc(VA_SIZE);
	const char *loc[3] = { l1, l2, va };

	H_CHECK(img != NULL && l1 != NULL && l2 != NULL && va != NULL);
	H_CHECK(xp_create(&x, NULL, SG_SEG, 0) == 0);
	H_CHECK(xp_publish(&x, p->segid, NULL, 0) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);

	/* putv: the importer's sources are h_fill(...,1/2/3). */
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	h_fill(l1, L1_SIZE, 1);
	h_fill(l2, L2_SIZE, 2);
	h_fill(va, VA_SIZE, 3);
	sg_image(img, loc);
	H_CHECK(memcmp(img, x.mem, SG_SEG) == 0);

	/* getv: the importer scatters this image into its buffers. */
	h_fill(x.mem, SG_SEG, 99);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	free(img);
	return 0;
}

static int
sgv_imp(struct pair *p, int fd)
{
	struct h_imp m;
	rsm_localmemory_handle_t h1, h2, hx;
	rsm_iovec_t iov[SG_N + 1];
	rsm_scat_gath_t sg;
	char *l1 = h_pages(L1_SIZE), *l2 = h_pages(L2_SIZE),
	    *va = malloc(VA_SIZE), *img = malloc(SG_SEG), *scratch;
	char *loc[3] = { l1, l2, va };

	H_CHECK(l1 != NULL && l2 != NULL && va != NULL && img != NULL);
	H_CHECK((scratch = h_pages(h_pagesize())) != NULL);
	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_create_localmemory_handle(m.c, &h1, l1, L1_SIZE),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_create_localmemory_handle(m.c, &h2, l2, L2_SIZE),
	    RSM_SUCCESS);
	/* The start must be page aligned. */
	H_CHECK_RC(rsm_create_localmemory_handle(m.c, &hx, l1 + 1, 10),
	    RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_create_localmemory_handle(m.c, &hx, l1, 0),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_create_localmemory_handle(m.c, NULL, l1, 10),
	    RSMERR_BAD_LOCALMEM_HNDL);

	h_fill(l1, L1_SIZE, 1);
	h_fill(l2, L2_SIZE, 2);
	h_fill(va, VA_SIZE, 3);
	memset(iov, 0, sizeof(iov));
	for (int i = 0; i < SG_N; i++) {
		if (sg_tab[i].local == 2) {
			iov[i].io_type = RSM_VA_TYPE;
			iov[i].local.vaddr = va;
		} else {
			iov[i].io_type = RSM_HANDLE_TYPE;
			iov[i].local.handle = sg_tab[i].local == 0 ? h1 : h2;
		}
		iov[i].local_offset = sg_tab[i].loff;
		iov[i].remote_offset = sg_tab[i].roff;
		iov[i].transfer_length = sg_tab[i].len;
	}
	memset(&sg, 0, sizeof(sg));
	sg.local_nodeid = H_NODE_ID;
	sg.io_request_count = SG_N;
	sg.io_residual_count = 12345;
	sg.remote_handle = m.h;
	sg.iovec = iov;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSM_SUCCESS);
	H_CHECK(sg.io_residual_count == 0);
	H_CHECK(sg.flags == 0);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);

	/* getv into zeroed buffers: exactly the listed pieces arrive. */
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	memset(l1, 0, L1_SIZE);
	memset(l2, 0, L2_SIZE);
	memset(va, 0, VA_SIZE);
	sg.io_residual_count = 12345;
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSM_SUCCESS);
	H_CHECK(sg.io_residual_count == 0);
	h_fill(img, SG_SEG, 99);
	for (int i = 0; i < SG_N; i++)
		H_CHECK(memcmp(loc[sg_tab[i].local] + sg_tab[i].loff,
		    img + sg_tab[i].roff, sg_tab[i].len) == 0);
	/* A byte no entry covers stayed zero. */
	H_CHECK(l2[0] == 0 && l2[1] == 0);

	/*
	 * The list stops at the first failing entry: entry 2 runs past the
	 * segment end, so entries 0 and 1 are done and 2..4 are residual.
	 */
	h_fill(l1, L1_SIZE, 7);
	iov[0].io_type = RSM_HANDLE_TYPE;
	iov[0].local.handle = h1;
	iov[0].local_offset = 0;
	iov[0].remote_offset = 0;
	iov[0].transfer_length = 64;
	iov[1] = iov[0];
	iov[1].local_offset = 64;
	iov[1].remote_offset = 64;
	iov[2] = iov[0];
	iov[2].remote_offset = SG_SEG - 10;
	iov[2].transfer_length = 20;
	iov[3] = iov[0];
	iov[3].remote_offset = 1000;
	iov[4] = iov[3];
	sg.io_request_count = 5;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_LENGTH);
	H_CHECK(sg.io_residual_count == 3);
	H_CHECK_RC(rsm_memseg_import_get(m.h, 0, scratch, 128), RSM_SUCCESS);
	H_CHECK(memcmp(scratch, l1, 128) == 0);
	H_CHECK_RC(rsm_memseg_import_get(m.h, 1000, scratch, 64), RSM_SUCCESS);
	H_CHECK(memcmp(scratch, img + 1000, 64) == 0);

	/* A local range beyond its handle, and a freed handle. */
	iov[1].local_offset = L1_SIZE - 10;
	iov[1].transfer_length = 11;
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_LENGTH);
	H_CHECK(sg.io_residual_count == 4);
	H_CHECK_RC(rsm_free_localmemory_handle(m.c, h2), RSM_SUCCESS);
	iov[1] = iov[0];
	iov[1].local.handle = h2;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_SGIO);
	H_CHECK(sg.io_residual_count == 4);
	H_CHECK_RC(rsm_free_localmemory_handle(m.c, h2),
	    RSMERR_BAD_LOCALMEM_HNDL);

	/* List sizes: 1..16 entries. */
	sg.io_request_count = 0;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_SGIO);
	sg.io_request_count = SG_N + 1;
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_SGIO);
	H_CHECK_RC(rsm_memseg_import_getv(NULL), RSMERR_BAD_SGIO);
	sg.io_request_count = 1;
	sg.remote_handle = NULL;
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_SEG_HNDL);

	H_CHECK_RC(rsm_free_localmemory_handle(m.c, h1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	free(img);
	free(va);
	return 0;
}

static void
test_putv_getv(void **state)
{
	(void)state;
	run_pair(sgv_exp, sgv_imp, (uid_t)-1, NULL);
}

/* ======================================================================
 * Mappings: stores by either side are seen by the other
 * ====================================================================== */

#define MAP_PAGES	4

static int
map_exp(struct pair *p, int fd)
{
	struct xp x;
	size_t pg = h_pagesize();
	volatile unsigned char *v;
	unsigned char want[64];

	H_CHECK(xp_create(&x, NULL, MAP_PAGES * pg, 0) == 0);
	v = (volatile unsigned char *)x.mem;
	h_fill(x.mem + 2 * pg, pg, 22);
	H_CHECK(xp_publish(&x, p->segid, NULL, 0) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);

	/* No message: the importer's store through its mapping shows up. */
	H_CHECK(wait_byte(v + 0, 0xa1) == 0);
	/* And ours shows up in its mapping. */
	v[1] = 0xb2;
	H_CHECK(wait_byte(v + 2, 0xc3) == 0);

	/* A page written with memcpy by the importer. */
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	h_fill(want, sizeof(want), 11);
	H_CHECK(memcmp(x.mem + pg, want, sizeof(want)) == 0);
	{
		char *tmp = malloc(pg);

		H_CHECK(tmp != NULL);
		h_fill(tmp, pg, 11);
		H_CHECK(memcmp(x.mem + pg, tmp, pg) == 0);
		free(tmp);
	}
	/* A page written by us, read through the importer's window. */
	h_fill(x.mem + 3 * pg, pg, 33);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	return 0;
}

static int
map_imp(struct pair *p, int fd)
{
	struct h_imp m, r;
	size_t pg = h_pagesize();
	void *addr = NULL, *a2;
	volatile unsigned char *v;
	char *tmp = malloc(pg), *fixed;

	H_CHECK(tmp != NULL);
	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_memseg_import_map(m.h, &addr, RSM_MAP_NONE,
	    RSM_PERM_RDWR, 0, MAP_PAGES * pg), RSM_SUCCESS);
	H_CHECK(addr != NULL);
	a2 = NULL;
	H_CHECK_RC(rsm_memseg_import_map(m.h, &a2, RSM_MAP_NONE,
	    RSM_PERM_RDWR, 0, pg), RSMERR_SEG_ALREADY_MAPPED);
	v = addr;
	/* The exporter's data is there before anyone wrote through us. */
	h_fill(tmp, pg, 22);
	H_CHECK(memcmp((char *)addr + 2 * pg, tmp, pg) == 0);

	v[0] = 0xa1;
	H_CHECK(wait_byte(v + 1, 0xb2) == 0);
	v[2] = 0xc3;

	h_fill(tmp, pg, 11);
	memcpy((char *)addr + pg, tmp, pg);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	h_fill(tmp, pg, 33);
	H_CHECK(memcmp((char *)addr + 3 * pg, tmp, pg) == 0);
	/* put/get work inside the mapped window too. */
	H_CHECK_RC(rsm_memseg_import_get(m.h, 3 * pg, tmp, 16), RSM_SUCCESS);
	H_CHECK(memcmp((char *)addr + 3 * pg, tmp, 16) == 0);
	H_CHECK_RC(rsm_memseg_import_unmap(m.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_unmap(m.h), RSMERR_SEG_NOT_MAPPED);

	/* A window of pages 2..3: offsets outside it are refused. */
	addr = NULL;
	H_CHECK_RC(rsm_memseg_import_map(m.h, &addr, RSM_MAP_NONE,
	    RSM_PERM_RDWR, 1, pg), RSMERR_BAD_MEM_ALIGNMENT);
	H_CHECK_RC(rsm_memseg_import_map(m.h, &addr, RSM_MAP_NONE,
	    RSM_PERM_RDWR, 2 * pg, 3 * pg), RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_map(m.h, &addr, RSM_MAP_NONE,
	    RSM_PERM_RDWR, 2 * pg, 2 * pg), RSM_SUCCESS);
	h_fill(tmp, pg, 33);
	H_CHECK(memcmp((char *)addr + pg, tmp, pg) == 0);
	H_CHECK_RC(rsm_memseg_import_get(m.h, 0, tmp, 1), RSMERR_BAD_OFFSET);
	H_CHECK_RC(rsm_memseg_import_get(m.h, 3 * pg, tmp, 16), RSM_SUCCESS);
	H_CHECK(memcmp((char *)addr + pg, tmp, 16) == 0);
	H_CHECK_RC(rsm_memseg_import_unmap(m.h), RSM_SUCCESS);

	/* RSM_MAP_FIXED lands exactly at the address given. */
	fixed = mmap(NULL, 4 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	H_CHECK(fixed != MAP_FAILED);
	addr = fixed + pg;
	H_CHECK_RC(rsm_memseg_import_map(m.h, &addr, RSM_MAP_FIXED,
	    RSM_PERM_RDWR, 3 * pg, pg), RSM_SUCCESS);
	H_CHECK(addr == fixed + pg);
	H_CHECK(memcmp(fixed + pg, tmp, 16) == 0);
	H_CHECK_RC(rsm_memseg_import_unmap(m.h), RSM_SUCCESS);
	addr = fixed + 1;
	H_CHECK_RC(rsm_memseg_import_map(m.h, &addr, RSM_MAP_FIXED,
	    RSM_PERM_RDWR, 0, pg), RSMERR_BAD_MEM_ALIGNMENT);

	/* A read connection maps read-only, never read/write. */
	H_CHECK(h_imp_connect(&r, NULL, p->segid, RSM_PERM_READ) == 0);
	addr = NULL;
	H_CHECK_RC(rsm_memseg_import_map(r.h, &addr, RSM_MAP_NONE,
	    RSM_PERM_RDWR, 0, pg), RSMERR_BAD_PERMS);
	H_CHECK_RC(rsm_memseg_import_map(r.h, &addr, RSM_MAP_NONE,
	    RSM_PERM_READ, 2 * pg, 2 * pg), RSM_SUCCESS);
	H_CHECK(memcmp((char *)addr + pg, tmp, 16) == 0);
	H_CHECK_RC(rsm_memseg_import_put(r.h, 2 * pg, tmp, 1),
	    RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_unmap(r.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put(r.h, 3, tmp, 1), RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_disconnect(r.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	free(tmp);
	return 0;
}

static void
test_map_both_ways(void **state)
{
	(void)state;
	run_pair(map_exp, map_imp, (uid_t)-1, NULL);
}

/* ======================================================================
 * Barrier modes and explicit barriers
 * ====================================================================== */

static int
bar_exp(struct pair *p, int fd)
{
	struct xp x;
	char want[256];

	H_CHECK(xp_create(&x, NULL, h_pagesize(), 0) == 0);
	H_CHECK(xp_publish(&x, p->segid, NULL, 0) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	h_fill(want, sizeof(want), 5);
	H_CHECK(memcmp(x.mem, want, 128) == 0);
	h_fill(want, sizeof(want), 6);
	H_CHECK(memcmp(x.mem + 128, want, 128) == 0);
	H_CHECK(memcmp(x.mem + 1024, "explicit", 9) == 0);
	/* The importer holds an open barrier: pull the segment away. */
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	H_CHECK_RC(rsm_memseg_export_unpublish(x.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_OK) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	return 0;
}

static int
bar_imp(struct pair *p, int fd)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t h;
	rsmapi_barrier_t b, b2;
	rsm_barrier_mode_t mode;
	char buf[256];
	uint64_t end;
	int rc;

	memset(buf, 0, sizeof(buf));
	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK_RC(rsm_get_controller(NULL, &c), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(c, H_NODE_ID, p->segid,
	    RSM_PERM_RDWR, &h), RSM_SUCCESS);
	/* New handles are in implicit mode, without a barrier. */
	H_CHECK_RC(rsm_memseg_import_get_mode(h, &mode), RSM_SUCCESS);
	H_CHECK(mode == RSM_BARRIER_MODE_IMPLICIT);
	H_CHECK_RC(rsm_memseg_import_put(h, 0, buf, 1),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_set_mode(h, (rsm_barrier_mode_t)7),
	    RSMERR_BAD_MODE);
	H_CHECK_RC(rsm_memseg_import_set_mode(h, RSM_BARRIER_MODE_EXPLICIT),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get_mode(h, &mode), RSM_SUCCESS);
	H_CHECK(mode == RSM_BARRIER_MODE_EXPLICIT);
	/* Explicit mode brackets nothing by itself: no barrier needed. */
	H_CHECK_RC(rsm_memseg_import_put(h, 1024, "explicit", 9), RSM_SUCCESS);

	/* Barrier operations before init. */
	memset(&b, 0, sizeof(b));
	b.seg = h;
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_open_barrier(NULL),
	    RSMERR_BAD_BARRIER_PTR);
	H_CHECK_RC(rsm_memseg_import_init_barrier(h, RSM_BAR_DEFAULT, NULL),
	    RSMERR_BAD_BARRIER_PTR);

	H_CHECK_RC(rsm_memseg_import_init_barrier(h, RSM_BAR_DEFAULT, &b),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b), RSM_SUCCESS);
	h_fill(buf, sizeof(buf), 5);
	H_CHECK_RC(rsm_memseg_import_put(h, 0, buf, 128), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_order_barrier(&b), RSM_SUCCESS);
	h_fill(buf, sizeof(buf), 6);
	H_CHECK_RC(rsm_memseg_import_put(h, 128, buf, 128), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&b), RSM_SUCCESS);
	/* Read back inside a second interval. */
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b), RSM_SUCCESS);
	memset(buf, 0, sizeof(buf));
	H_CHECK_RC(rsm_memseg_import_get(h, 128, buf, 128), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&b), RSM_SUCCESS);
	{
		char want[256];

		h_fill(want, sizeof(want), 6);
		H_CHECK(memcmp(buf, want, 128) == 0);
	}
	/* A later init replaces the handle's barrier. */
	H_CHECK_RC(rsm_memseg_import_init_barrier(h, RSM_BARRIER_NODE, &b2),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&b2), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&b2),
	    RSMERR_BARRIER_UNINITIALIZED);
	/* Back in implicit mode the destroyed barrier is missed again. */
	H_CHECK_RC(rsm_memseg_import_set_mode(h, RSM_BARRIER_MODE_IMPLICIT),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get(h, 0, buf, 1),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);

	/*
	 * Spec 5.3: a connection lost inside an open interval is reported by
	 * close_barrier, and every later close too.
	 */
	H_CHECK_RC(rsm_memseg_import_set_mode(h, RSM_BARRIER_MODE_EXPLICIT),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_init_barrier(h, RSM_BAR_DEFAULT, &b),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put(h, 2048, buf, 8), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(expect_u32(fd, TAG_OK) == 0);
	/* The revocation travels on its own: wait for it, bounded. */
	end = h_now_ms() + T_POLL;
	while ((rc = rsm_memseg_import_close_barrier(&b)) == RSM_SUCCESS &&
	    h_now_ms() < end) {
		H_CHECK_RC(rsm_memseg_import_open_barrier(&b), RSM_SUCCESS);
		h_sleep_ms(2);
	}
	H_CHECK_RC(rc, RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&b), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&b), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_explicit_barrier(void **state)
{
	(void)state;
	run_pair(bar_exp, bar_imp, (uid_t)-1, NULL);
}

/* ======================================================================
 * Access lists: node level and user level (importer is not root)
 * ====================================================================== */

static int
acl_exp(struct pair *p, int fd)
{
	struct xp a, b;
	rsmapi_access_entry_t acl[2];
	struct rsm_msg_seginfo si;
	rsm_memseg_id_t id;
	char shm[] = "shm0";

	/* The default mode is 0777 & ~umask of the creator. */
	umask(022);
	H_CHECK(xp_create(&a, NULL, h_pagesize(), 0) == 0);
	H_CHECK(xp_create(&b, shm, h_pagesize(), 0) == 0);
	memcpy(a.mem, "acl", 4);

	/* Loopback: at most one entry, and only this node. */
	acl[0].ae_node = 5;
	acl[0].ae_permission = 0666;
	id = p->segid;
	H_CHECK_RC(rsm_memseg_export_publish(a.h, &id, acl, 1),
	    RSMERR_BAD_ACL);
	acl[0].ae_node = H_NODE_ID;
	acl[1] = acl[0];
	H_CHECK_RC(rsm_memseg_export_publish(a.h, &id, acl, 2),
	    RSMERR_BAD_ACL);
	acl[0].ae_permission = 0700;
	H_CHECK_RC(rsm_memseg_export_publish(a.h, &id, acl, 1),
	    RSMERR_BAD_ACL);
	/* Node ids end at 65535 (the kernel agent's 64 is no limit). */
	acl[0].ae_node = 65536;
	acl[0].ae_permission = 0600;
	H_CHECK_RC(rsm_memseg_export_publish(b.h, &id, acl, 1),
	    RSMERR_BAD_ACL);
	H_CHECK_RC(rsm_memseg_export_publish(a.h, &id, NULL, 1),
	    RSMERR_BAD_ACL);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, NULL) < 0);

	/* Owner rw, group r, other nothing. */
	acl[0].ae_node = H_NODE_ID;
	acl[0].ae_permission = 0640;
	H_CHECK(xp_publish(&a, p->segid, acl, 1) == 0);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, &si) >= 0);
	H_CHECK(si.acl_len == 1 && si.published == 1);
	/* shm0 may list other nodes, which leaves this one out. */
	acl[0].ae_node = 5;
	acl[0].ae_permission = 0666;
	H_CHECK(xp_publish(&b, p->segid + 0x1000, acl, 1) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);

	/* Other: read only. */
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	acl[0].ae_node = H_NODE_ID;
	acl[0].ae_permission = 0604;
	H_CHECK_RC(rsm_memseg_export_republish(a.h, acl, 1), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);

	/* Empty list: the creator's default mode, 0755. */
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK_RC(rsm_memseg_export_republish(a.h, NULL, 0), RSM_SUCCESS);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, &si) >= 0);
	H_CHECK(si.acl_len == 0);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	return 0;
}

static int
acl_imp(struct pair *p, int fd)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t h, h2;
	rsmapi_barrier_t bar;
	char buf[4];

	H_CHECK(getuid() == H_NOBODY_UID);
	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK_RC(rsm_get_controller(NULL, &c), RSM_SUCCESS);
	/* 0640: "other" has no bits at all. */
	H_CHECK_RC(rsm_memseg_import_connect(c, H_NODE_ID, p->segid,
	    RSM_PERM_READ, &h), RSMERR_PERM_DENIED);
	H_CHECK(h == NULL);
	/* Not published to this node, whoever asks. */
	H_CHECK_RC(rsm_memseg_import_connect(c, H_NODE_ID, p->segid + 0x1000,
	    RSM_PERM_READ, &h), RSMERR_SEG_NOT_PUBLISHED_TO_NODE);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);

	/* 0604: read yes, write no. */
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	H_CHECK_RC(rsm_memseg_import_connect(c, H_NODE_ID, p->segid,
	    RSM_PERM_RDWR, &h), RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_connect(c, H_NODE_ID, p->segid,
	    RSM_PERM_WRITE, &h), RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_connect(c, H_NODE_ID, p->segid,
	    RSM_PERM_READ, &h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_init_barrier(h, RSM_BAR_DEFAULT, &bar),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get(h, 0, buf, 4), RSM_SUCCESS);
	H_CHECK(memcmp(buf, "acl", 4) == 0);
	H_CHECK_RC(rsm_memseg_import_put(h, 0, buf, 1), RSMERR_PERM_DENIED);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);

	/* 0755: still read only for "other"; the old connection lives on. */
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	H_CHECK_RC(rsm_memseg_import_connect(c, H_NODE_ID, p->segid,
	    RSM_PERM_WRITE, &h2), RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_connect(c, H_NODE_ID, p->segid,
	    RSM_PERM_READ, &h2), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get(h, 0, buf, 4), RSM_SUCCESS);
	H_CHECK(memcmp(buf, "acl", 4) == 0);
	H_CHECK_RC(rsm_memseg_import_disconnect(h2), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_publish_acl(void **state)
{
	(void)state;
	run_pair(acl_exp, acl_imp, H_NOBODY_UID, NULL);
}

/* ======================================================================
 * unpublish, publish again, republish, rebind
 * ====================================================================== */

static int
rebind_exp(struct pair *p, int fd)
{
	struct xp x;
	size_t pg = h_pagesize(), sz = 2 * pg;
	struct rsm_msg_seginfo si;
	char *nb = h_pages(sz), *other = h_pages(3 * pg);
	rsm_memseg_id_t id;
	rsmapi_access_entry_t acl = { H_NODE_ID, 0666 };

	H_CHECK(nb != NULL && other != NULL);
	H_CHECK(xp_create(&x, NULL, sz, RSM_ALLOW_REBIND) == 0);
	memset(x.mem, 'A', sz);
	H_CHECK(xp_publish(&x, p->segid, NULL, 0) == 0);
	/* Publish twice, republish/unpublish of the wrong state. */
	id = p->segid;
	H_CHECK_RC(rsm_memseg_export_publish(x.h, &id, NULL, 0),
	    RSMERR_SEG_ALREADY_PUBLISHED);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);

	/* Rebind under a mapped importer. */
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	memset(nb, 'B', sz);
	H_CHECK_RC(rsm_memseg_export_rebind(x.h, nb, 0, pg),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_export_rebind(x.h, other + 1, 0, sz),
	    RSMERR_BAD_MEM_ALIGNMENT);
	H_CHECK_RC(rsm_memseg_export_rebind(x.h, x.mem, 0, sz), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_rebind(x.h, nb, 0, sz), RSM_SUCCESS);
	/* The old range keeps its contents and is ours alone now. */
	H_CHECK(x.mem[0] == 'A' && x.mem[sz - 1] == 'A');
	memset(x.mem, 'X', sz);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	/* The importer's store went to the new memory. */
	H_CHECK(nb[5] == 'i');
	nb[6] = 'e';
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);

	/* Republish keeps the id and the live connection. */
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK_RC(rsm_memseg_export_republish(x.h, &acl, 1), RSM_SUCCESS);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, &si) >= 0);
	H_CHECK(si.acl_len == 1 && si.nimporters == 1);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);

	/* Unpublish: the importer is cut off, the id is free. */
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK_RC(rsm_memseg_export_unpublish(x.h), RSM_SUCCESS);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, NULL) < 0);
	H_CHECK_RC(rsm_memseg_export_unpublish(x.h), RSMERR_SEG_NOT_PUBLISHED);
	H_CHECK_RC(rsm_memseg_export_republish(x.h, NULL, 0),
	    RSMERR_SEG_NOT_PUBLISHED);
	/*
	 * Still bound: rebind works unpublished.  The segment takes the new
	 * range as it is (copying is the application's business), and the
	 * previous range keeps what the importer wrote into it.
	 */
	memcpy(other, "again", 6);
	H_CHECK_RC(rsm_memseg_export_rebind(x.h, other, 0, sz), RSM_SUCCESS);
	H_CHECK(memcmp(other, "again", 6) == 0);
	H_CHECK(nb[0] == 'B' && nb[5] == 'i' && nb[6] == 'e');
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);

	/* The importer saw the revocation: publish again, same id. */
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK(xp_publish(&x, p->segid, NULL, 0) == 0);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK(memcmp(other + 100, "second", 7) == 0);
	H_CHECK_RC(rsm_memseg_export_destroy(x.h), RSM_SUCCESS);
	return 0;
}

static int
rebind_imp(struct pair *p, int fd)
{
	struct h_imp m, m2;
	size_t pg = h_pagesize(), sz = 2 * pg;
	rsm_memseg_import_handle_t h;
	void *addr = NULL;
	volatile char *v;
	char buf[8];
	uint64_t end;
	int rc;

	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_memseg_import_map(m.h, &addr, RSM_MAP_NONE,
	    RSM_PERM_RDWR, 0, sz), RSM_SUCCESS);
	v = addr;
	H_CHECK(v[0] == 'A' && v[sz - 1] == 'A');
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);

	/* The mapping follows the rebind: same address, new memory. */
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	end = h_now_ms() + T_POLL;
	while (v[0] != 'B' && h_now_ms() < end)
		h_sleep_ms(1);
	H_CHECK(v[0] == 'B' && v[sz - 1] == 'B');
	v[5] = 'i';
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	H_CHECK(v[6] == 'e');
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);

	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	H_CHECK(v[6] == 'e');
	H_CHECK_RC(rsm_memseg_import_unmap(m.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get(m.h, 5, buf, 2), RSM_SUCCESS);
	H_CHECK(buf[0] == 'i' && buf[1] == 'e');
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);

	/* Unpublished: the implicit put/get report the lost connection. */
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	end = h_now_ms() + T_POLL;
	while ((rc = rsm_memseg_import_get(m.h, 0, buf, 1)) == RSM_SUCCESS &&
	    h_now_ms() < end)
		h_sleep_ms(1);
	H_CHECK_RC(rc, RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_put(m.h, 0, buf, 1), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_connect(m.c, H_NODE_ID, p->segid,
	    RSM_PERM_RDWR, &h), RSMERR_SEG_NOT_PUBLISHED);
	/* A revoked handle can still be disconnected. */
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);

	/* Published again, with the rebound memory behind it. */
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	H_CHECK(h_imp_connect(&m2, NULL, p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_memseg_import_get(m2.h, 0, buf, 6), RSM_SUCCESS);
	H_CHECK(memcmp(buf, "again", 6) == 0);
	H_CHECK_RC(rsm_memseg_import_put(m2.h, 100, "second", 7),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(m2.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_unpublish_republish_rebind(void **state)
{
	(void)state;
	run_pair(rebind_exp, rebind_imp, (uid_t)-1, NULL);
}

/* ======================================================================
 * export_destroy: memory back with its contents; mapped importer cut off
 * ====================================================================== */

static int
destroy_exp(struct pair *p, int fd)
{
	struct xp x;
	size_t pg = h_pagesize(), sz = 4 * pg;
	rsm_memseg_export_handle_t h2;
	char *want = malloc(sz);

	H_CHECK(want != NULL);
	H_CHECK(xp_create(&x, NULL, sz, 0) == 0);
	h_fill(x.mem, sz, 40);
	H_CHECK(xp_publish(&x, p->segid, NULL, 0) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);

	H_CHECK_RC(rsm_memseg_export_destroy(x.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_destroy(x.h), RSMERR_BAD_SEG_HNDL);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, NULL) < 0);
	/* Same address, same contents, including the importer's writes. */
	h_fill(want, sz, 40);
	memcpy(want + pg + 10, "from the importer", 18);
	H_CHECK(memcmp(x.mem, want, sz) == 0);
	/* Still writable, and private again: it can be exported anew. */
	x.mem[0] = 'Z';
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	/* The importer's stores after the destroy never reached us. */
	H_CHECK(x.mem[0] == 'Z');
	want[0] = 'Z';
	H_CHECK(memcmp(x.mem, want, sz) == 0);
	H_CHECK_RC(rsm_memseg_export_create(x.c, &h2, x.mem, sz, 0),
	    RSM_SUCCESS);
	H_CHECK(memcmp(x.mem, want, sz) == 0);
	H_CHECK_RC(rsm_memseg_export_destroy(h2), RSM_SUCCESS);
	H_CHECK(memcmp(x.mem, want, sz) == 0);
	free(want);
	return 0;
}

static int
destroy_imp(struct pair *p, int fd)
{
	struct h_imp m;
	size_t pg = h_pagesize(), sz = 4 * pg;
	void *addr = NULL;
	volatile char *v;
	char buf[16];
	uint64_t end;
	int rc;

	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_memseg_import_map(m.h, &addr, RSM_MAP_NONE,
	    RSM_PERM_RDWR, 0, sz), RSM_SUCCESS);
	memcpy((char *)addr + pg + 10, "from the importer", 18);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);

	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	/*
	 * Spec 5.1/5.2: the mapping now holds trash pages (no fault), every
	 * implicit put/get and every close barrier says CONN_ABORTED.
	 */
	end = h_now_ms() + T_POLL;
	while ((rc = rsm_memseg_import_close_barrier(&m.bar)) ==
	    RSM_SUCCESS && h_now_ms() < end)
		h_sleep_ms(1);
	H_CHECK_RC(rc, RSMERR_CONN_ABORTED);
	v = addr;
	v[0] = 'Q';
	v[sz - 1] = 'Q';
	H_CHECK(v[0] == 'Q');
	H_CHECK_RC(rsm_memseg_import_get(m.h, pg, buf, 8), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_put(m.h, pg, buf, 8), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSMERR_SEG_STILL_MAPPED);
	H_CHECK_RC(rsm_memseg_import_unmap(m.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_destroy_returns_memory(void **state)
{
	(void)state;
	run_pair(destroy_exp, destroy_imp, (uid_t)-1, NULL);
}

/* ======================================================================
 * What rsmd lists: owner, importers, and nothing after destroy
 * ====================================================================== */

/* How many segments (published or not) one process owns. */
static int
count_owned(pid_t owner)
{
	struct rsm_msg_seginfo segs[64];
	int n = h_rsmd_segments(&h_daemon, segs, 64), k = 0;

	if (n < 0)
		return -1;
	for (int i = 0; i < n && i < 64; i++)
		if (segs[i].owner_pid == (uint32_t)owner)
			k++;
	return k;
}

/* rsmadm's text listing has the segment's line with the importer's pid. */
static int
rsmadm_shows(uint32_t segid, pid_t importer)
{
	const char *bin = getenv("RSMADM_BIN");
	char cmd[512], line[512], id[16], imp[32];
	FILE *f;
	int found = 0;

	if (bin == NULL || *bin == '\0') {
		fprintf(stderr, "RSMADM_BIN is not set\n");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "%s -s %s segments", bin, h_daemon.sock);
	snprintf(id, sizeof(id), "%#010" PRIx32, segid);
	snprintf(imp, sizeof(imp), "1 (%d)", (int)importer);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, id) != NULL && strstr(line, imp) != NULL)
			found = 1;
	if (pclose(f) != 0)
		return -1;
	return found ? 0 : -1;
}

static int
list_exp(struct pair *p, int fd)
{
	struct xp x;
	struct rsm_msg_seginfo si;

	H_CHECK(count_owned(getpid()) == 0);
	H_CHECK(xp_create(&x, NULL, 3 * h_pagesize(), 0) == 0);
	/* Listed from creation on, unpublished. */
	H_CHECK(count_owned(getpid()) == 1);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, NULL) < 0);
	H_CHECK(xp_publish(&x, p->segid, NULL, 0) == 0);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, &si) >= 0);
	H_CHECK(si.owner_pid == (uint32_t)getpid());
	H_CHECK(si.owner_uid == (uint32_t)getuid());
	H_CHECK(si.size == 3 * h_pagesize());
	H_CHECK(si.published == 1 && si.nimporters == 0);
	H_CHECK(h_send_u32(fd, (uint32_t)getpid()) == 0);

	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK_RC(rsm_memseg_export_destroy(x.h), RSM_SUCCESS);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, NULL) < 0);
	H_CHECK(count_owned(getpid()) == 0);
	H_CHECK(h_send_u32(fd, TAG_OK) == 0);
	return 0;
}

static int
list_imp(struct pair *p, int fd)
{
	struct h_imp m;
	struct rsm_msg_seginfo si;
	uint32_t owner;

	H_CHECK(h_recv_u32(fd, &owner, T_MSG) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_READ) == 0);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, &si) >= 0);
	H_CHECK(si.owner_pid == owner);
	H_CHECK(si.nimporters == 1);
	H_CHECK(si.importer_pid[0] == (uint32_t)getpid());
	H_CHECK(rsmadm_shows(p->segid, getpid()) == 0);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, &si) >= 0);
	H_CHECK(si.nimporters == 0);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	H_CHECK(expect_u32(fd, TAG_OK) == 0);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, NULL) < 0);
	return 0;
}

static void
test_rsmadm_segments(void **state)
{
	(void)state;
	run_pair(list_exp, list_imp, (uid_t)-1, NULL);
}

/* ======================================================================
 * Disconnect while mapped
 * ====================================================================== */

static int
discon_exp(struct pair *p, int fd)
{
	struct xp x;
	struct rsm_msg_seginfo si;

	H_CHECK(xp_create(&x, NULL, h_pagesize(), 0) == 0);
	H_CHECK(xp_publish(&x, p->segid, NULL, 0) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);
	/* The refused disconnect left the mapping working. */
	H_CHECK(wait_byte((volatile unsigned char *)x.mem, 'm') == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, &si) >= 0);
	H_CHECK(si.nimporters == 0);
	H_CHECK(memcmp(x.mem + 8, "implicit", 9) == 0);
	return 0;
}

static int
discon_imp(struct pair *p, int fd)
{
	struct h_imp m, n;
	void *addr = NULL;
	char buf[4];

	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_memseg_import_map(m.h, &addr, RSM_MAP_NONE,
	    RSM_PERM_RDWR, 0, h_pagesize()), RSM_SUCCESS);
	/* Spec 3.3: an explicit mapping must be removed first. */
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSMERR_SEG_STILL_MAPPED);
	*(volatile char *)addr = 'm';
	H_CHECK_RC(rsm_memseg_import_get(m.h, 0, buf, 1), RSM_SUCCESS);
	H_CHECK(buf[0] == 'm');
	H_CHECK_RC(rsm_memseg_import_unmap(m.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	/* The handle is gone. */
	H_CHECK_RC(rsm_memseg_import_get(m.h, 0, buf, 1), RSMERR_BAD_SEG_HNDL);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSMERR_BAD_SEG_HNDL);
	H_CHECK_RC(rsm_memseg_import_unmap(m.h), RSMERR_BAD_SEG_HNDL);

	/* The implicit mapping made by put goes away with the disconnect. */
	H_CHECK(h_imp_connect(&n, NULL, p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_memseg_import_put(n.h, 8, "implicit", 9), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(n.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_disconnect_while_mapped(void **state)
{
	(void)state;
	run_pair(discon_exp, discon_imp, (uid_t)-1, NULL);
}

/* ---- read-only importers share one reopen of the memfd ---- */

/* Descriptors the daemon has open, or -1. */
static int
rsmd_nfds(void)
{
	char path[64];
	struct dirent *e;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)h_daemon.pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/*
 * A disconnect does not wait for rsmd, which serves each process's
 * requests in order: once a later request of this process is answered,
 * rsmd has served the disconnects before it.
 */
static int
rsmd_caught_up(void)
{
	rsm_topology_t *t;

	if (rsm_get_interconnect_topology(&t) != RSM_SUCCESS)
		return -1;
	rsm_free_interconnect_topology(t);
	return 0;
}

static int
ro_exp(struct pair *p, int fd)
{
	struct xp x;

	H_CHECK(xp_create(&x, NULL, 2 * h_pagesize(), 0) == 0);
	h_fill(x.mem, x.size, 77);
	H_CHECK(xp_publish(&x, p->segid, NULL, 0) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	return 0;
}

static int
ro_imp(struct pair *p, int fd)
{
	struct h_imp rw, a, b;
	char want[2 * 4096], got[64];
	int base;

	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_pagesize() <= 4096);
	h_fill(want, 2 * h_pagesize(), 77);
	/* A writer gets the memfd itself: nothing new opens in the daemon. */
	H_CHECK(h_imp_connect(&rw, NULL, p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK((base = rsmd_nfds()) > 0);
	/* The first reader opens the read-only reopen, the second shares it. */
	H_CHECK(h_imp_connect(&a, NULL, p->segid, RSM_PERM_READ) == 0);
	H_CHECK(rsmd_nfds() == base + 1);
	H_CHECK(h_imp_connect(&b, NULL, p->segid, RSM_PERM_READ) == 0);
	H_CHECK(rsmd_nfds() == base + 1);
	/* Both read the exporter's data through it. */
	H_CHECK_RC(rsm_memseg_import_get(a.h, 100, got, sizeof(got)),
	    RSM_SUCCESS);
	H_CHECK(memcmp(got, want + 100, sizeof(got)) == 0);
	H_CHECK_RC(rsm_memseg_import_get(b.h, h_pagesize(), got, sizeof(got)),
	    RSM_SUCCESS);
	H_CHECK(memcmp(got, want + h_pagesize(), sizeof(got)) == 0);
	/* Kept while the segment has importers, closed with the last one. */
	H_CHECK_RC(rsm_memseg_import_disconnect(a.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(b.h), RSM_SUCCESS);
	H_CHECK(rsmd_caught_up() == 0);
	H_CHECK(rsmd_nfds() == base + 1);
	H_CHECK_RC(rsm_memseg_import_disconnect(rw.h), RSM_SUCCESS);
	H_CHECK(rsmd_caught_up() == 0);
	H_CHECK(rsmd_nfds() == base);
	/* A new reader opens a new one, gone again with it. */
	H_CHECK(h_imp_connect(&a, NULL, p->segid, RSM_PERM_READ) == 0);
	H_CHECK(rsmd_nfds() == base + 1);
	H_CHECK_RC(rsm_memseg_import_get(a.h, 0, got, sizeof(got)),
	    RSM_SUCCESS);
	H_CHECK(memcmp(got, want, sizeof(got)) == 0);
	H_CHECK_RC(rsm_memseg_import_disconnect(a.h), RSM_SUCCESS);
	H_CHECK(rsmd_caught_up() == 0);
	H_CHECK(rsmd_nfds() == base);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_readonly_reopen(void **state)
{
	(void)state;
	run_pair(ro_exp, ro_imp, (uid_t)-1, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_controller,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_topology,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_segid_range,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_put_get_sizes,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_put_get_nbit,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_putv_getv,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_map_both_ways,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_explicit_barrier,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_publish_acl,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_unpublish_republish_rebind,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_returns_memory,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_rsmadm_segments,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_while_mapped,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_readonly_reopen,
		    h_test_setup, h_test_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
