/*
 * test_tcp.c - controller tcp0 between processes of one node: put/get
 * through the daemon's data server, checked against what the exporter
 * sees in its own memory; the vector and N-bit forms; barriers; rights;
 * map refused; signals; rebind; and revocation (unpublish, exporter
 * kill -9, importer death, daemon kill -9) reaching the importer promptly.
 *
 * The exporter and the importer are two forked children joined by a
 * socket pair; the importer asks the exporter to checksum or fill ranges
 * of its memory, so every byte compared went through the data server.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <rsmapi.h>

#include "tcp_util.h"

#define T_MSG		20000
#define T_CHILD		28000
/* How soon a loss must reach the importer. */
#define T_PROMPT_MS	1000

#define MIB		(1024u * 1024u)
#define BIG		(64u * MIB)

/* Exporter commands (importer -> exporter), each answered by one u64. */
enum {
	CMD_CSUM = 1,	/* a = off, b = len: checksum of the exporter's memory */
	CMD_FILL,	/* a = off, b = len, c = seed */
	CMD_UNPUBLISH,
	CMD_REBIND,	/* c = seed for the new memory */
	CMD_WAITSIG,	/* wait for one signal on the export handle */
	CMD_EXIT,
};

struct cmd {
	uint32_t tag;
	uint32_t pad;
	uint64_t a, b, c;
};

struct pair {
	int		 (*imp)(struct pair *, int fd);
	uint32_t	 segid;
	size_t		 size;
	char		 exp_ctlr[16];
	uint_t		 exp_flags;
	int		 fds[2];		/* start_pair's sockets */
	pid_t		 exp_pid;
	uint64_t	 arg;
	const struct h_pair *hp;	/* run_pair's children */
};

static uint32_t g_next_segid = 0x400300u;

/* ---- exporter child ---- */

/* Export, publish, say ready on fd, then serve the importer's commands. */
static int
export_side(struct pair *p, int fd)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_export_handle_t h;
	rsm_memseg_id_t id = p->segid;
	char *mem, *old = NULL;
	struct cmd m;
	uint64_t v;

	H_CHECK_RC(rsm_get_controller(p->exp_ctlr, &c), RSM_SUCCESS);
	H_CHECK((mem = h_pages(p->size)) != NULL);
	h_fill(mem, p->size, 1);
	H_CHECK_RC(rsm_memseg_export_create(c, &h, mem, p->size, p->exp_flags),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_publish(h, &id, NULL, 0), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, 0x52454459u) == 0);
	for (;;) {
		if (h_recv(fd, &m, sizeof(m), T_CHILD) != 0)
			return 0;	/* importer gone: nothing more to do */
		v = 0;
		switch (m.tag) {
		case CMD_CSUM:
			H_CHECK(m.a <= p->size && m.b <= p->size - m.a);
			v = h_csum(mem + m.a, m.b);
			break;
		case CMD_FILL:
			H_CHECK(m.a <= p->size && m.b <= p->size - m.a);
			h_fill(mem + m.a, m.b, m.c);
			break;
		case CMD_UNPUBLISH:
			v = (uint64_t)rsm_memseg_export_unpublish(h);
			break;
		case CMD_REBIND:
			old = mem;
			H_CHECK((mem = h_pages(p->size)) != NULL);
			h_fill(mem, p->size, m.c);
			v = (uint64_t)rsm_memseg_export_rebind(h, mem, 0,
			    p->size);
			break;
		case CMD_WAITSIG:
			v = (uint64_t)rsm_intr_signal_wait(h, 5000);
			break;
		case CMD_EXIT:
			H_CHECK_RC(rsm_memseg_export_destroy(h), RSM_SUCCESS);
			(void)h_send(fd, &v, sizeof(v));
			(void)old;
			return 0;
		default:
			return 99;
		}
		H_CHECK(h_send(fd, &v, sizeof(v)) == 0);
	}
}

/* ---- importer side helpers ---- */

static int
ask(int fd, uint32_t tag, uint64_t a, uint64_t b, uint64_t c, uint64_t *out)
{
	struct cmd m = { tag, 0, a, b, c };
	uint64_t v;

	if (h_send(fd, &m, sizeof(m)) != 0 || h_recv(fd, &v, sizeof(v),
	    T_MSG) != 0)
		return -1;
	if (out != NULL)
		*out = v;
	return 0;
}

static int
ip_done(struct h_imp *ip, int fd)
{
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&ip->bar), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(ip->h), RSM_SUCCESS);
	H_CHECK_RC(rsm_release_controller(ip->c), RSM_SUCCESS);
	H_CHECK(ask(fd, CMD_EXIT, 0, 0, 0, NULL) == 0);
	return 0;
}

/* Wait for the exporter's ready on fd, then run the test's importer. */
static int
import_side(struct pair *p, int fd)
{
	uint32_t ready;

	H_CHECK(h_recv_u32(fd, &ready, T_MSG) == 0);
	return p->imp(p, fd);
}

/* start_pair's children: both ends stay open in the parent too. */
static int
exporter(void *arg)
{
	struct pair *p = arg;

	close(p->fds[0]);
	return export_side(p, p->fds[1]);
}

static int
imp_tramp(void *arg)
{
	struct pair *p = arg;

	close(p->fds[1]);
	return import_side(p, p->fds[0]);
}

/* run_pair's children, through h_pair_run. */
static int
pair_exp(void *arg, int fd)
{
	return export_side(arg, fd);
}

static int
pair_imp(void *arg, int fd)
{
	struct pair *p = arg;

	/* Known before the importer forks: some tests kill the exporter. */
	p->exp_pid = p->hp->exp_pid;
	return import_side(p, fd);
}

/* Run an exporter child and an importer child; both must exit 0. */
static void
run_pair(struct pair *p, int (*imp)(struct pair *, int), size_t size,
    const char *exp_ctlr, uint_t exp_flags)
{
	struct h_pair hp = { .exp = pair_exp, .imp = pair_imp, .arg = p,
	    .imp_uid = (uid_t)-1, .timeout_ms = T_CHILD };

	memset(p, 0, sizeof(*p));
	p->imp = imp;
	p->segid = g_next_segid++;
	p->size = size;
	snprintf(p->exp_ctlr, sizeof(p->exp_ctlr), "%s", exp_ctlr);
	p->exp_flags = exp_flags;
	p->fds[0] = p->fds[1] = -1;
	p->hp = &hp;
	assert_int_equal(h_pair_run(&hp), 0);
	if (hp.imp_status != 0)
		h_rsmd_dump_log(&h_daemon);
	assert_int_equal(hp.imp_status, 0);
	/* Killed on purpose by some tests. */
	assert_true(hp.exp_status == 0 || hp.exp_status == 128 + SIGKILL);
}

/* ---- controller ---- */

static int
ctlr_child(void *arg)
{
	rsmapi_controller_handle_t c;
	rsmapi_controller_attr_t a;
	rsm_topology_t *t;
	int found = 0;

	(void)arg;
	H_CHECK_RC(rsm_get_controller("tcp0", &c), RSM_SUCCESS);
	H_CHECK_RC(rsm_get_controller_attr(c, &a), RSM_SUCCESS);
	H_CHECK(a.attr_page_size == h_pagesize());
	H_CHECK(a.attr_direct_access_sizes != 0);
	H_CHECK(a.attr_max_export_segment_size > 0);
	/* Nothing reached over tcp can be mapped. */
	H_CHECK(a.attr_max_import_map_size == 0);
	H_CHECK_RC(rsm_get_interconnect_topology(&t), RSM_SUCCESS);
	for (uint_t i = 0; i < t->topology_hdr.local_cntlr_count; i++)
		if (strcmp(t->connections[i]->hdr.cntlr_name, "tcp0") == 0)
			found = 1;
	rsm_free_interconnect_topology(t);
	H_CHECK(found);
	H_CHECK_RC(rsm_release_controller(c), RSM_SUCCESS);
	H_CHECK_RC(rsm_get_controller("tcp1", &c), RSMERR_CTLR_NOT_PRESENT);
	return 0;
}

static void
test_controller(void **state)
{
	(void)state;
	assert_int_equal(h_run_child(ctlr_child, NULL, (uid_t)-1, T_CHILD), 0);
}

/* ---- put/get of every size ---- */

static const size_t sizes[] = {
	1, 2, 7, 8, 63, 4095, 4096, 4097, 65536, 65537, MIB - 1, MIB,
	MIB + 3, 3 * MIB + 5, 4 * MIB + 1, 17 * MIB, BIG,
};

static int
imp_sizes(struct pair *p, int fd)
{
	struct h_imp ip;
	char *buf;
	uint64_t cs;

	H_CHECK(h_imp_connect(&ip, "tcp0", p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK((buf = malloc(BIG)) != NULL);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i];
		/* Odd offsets where there is room, the end of the segment else. */
		size_t off = len + 4099 <= p->size ? 4099 - (i % 3) :
		    p->size - len;

		h_fill(buf, len, 100 + i);
		H_CHECK_RC(rsm_memseg_import_put(ip.h, (off_t)off, buf, len),
		    RSM_SUCCESS);
		H_CHECK(ask(fd, CMD_CSUM, off, len, 0, &cs) == 0);
		H_CHECK(cs == h_csum(buf, len));
		H_CHECK(ask(fd, CMD_FILL, off, len, 200 + i, NULL) == 0);
		memset(buf, 0, len);
		H_CHECK_RC(rsm_memseg_import_get(ip.h, (off_t)off, buf, len),
		    RSM_SUCCESS);
		H_CHECK(ask(fd, CMD_CSUM, off, len, 0, &cs) == 0);
		H_CHECK(cs == h_csum(buf, len));
	}
	/* Past the end: refused by the library before anything moves. */
	H_CHECK_RC(rsm_memseg_import_put(ip.h, (off_t)p->size - 4, buf, 8),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_get(ip.h, (off_t)p->size + 1, buf, 1),
	    RSMERR_BAD_LENGTH);
	free(buf);
	return ip_done(&ip, fd);
}

static void
test_put_get_sizes(void **state)
{
	struct pair p;

	(void)state;
	alarm(120);
	run_pair(&p, imp_sizes, BIG, "shm0", 0);
}

/* A segment exported through tcp0 and through loopback, imported via tcp0. */
static int
imp_small(struct pair *p, int fd)
{
	struct h_imp ip;
	char buf[5000];
	uint64_t cs;

	H_CHECK(h_imp_connect(&ip, "tcp0", p->segid, RSM_PERM_RDWR) == 0);
	h_fill(buf, sizeof(buf), 7);
	H_CHECK_RC(rsm_memseg_import_put(ip.h, 100, buf, sizeof(buf)),
	    RSM_SUCCESS);
	H_CHECK(ask(fd, CMD_CSUM, 100, sizeof(buf), 0, &cs) == 0);
	H_CHECK(cs == h_csum(buf, sizeof(buf)));
	return ip_done(&ip, fd);
}

static void
test_any_exporting_controller(void **state)
{
	struct pair p;

	(void)state;
	run_pair(&p, imp_small, 2 * h_pagesize() * 4, "tcp0", 0);
	run_pair(&p, imp_small, 2 * h_pagesize() * 4, "loopback", 0);
}

/* ---- N-bit forms ---- */

static int
imp_nbit(struct pair *p, int fd)
{
	struct h_imp ip;
	uint8_t b8[33], r8[33];
	uint16_t b16[17], r16[17];
	uint32_t b32[9], r32[9];
	uint64_t b64[65], r64[65], cs;

	H_CHECK(h_imp_connect(&ip, "tcp0", p->segid, RSM_PERM_RDWR) == 0);
	h_fill(b8, sizeof(b8), 1);
	h_fill(b16, sizeof(b16), 2);
	h_fill(b32, sizeof(b32), 3);
	h_fill(b64, sizeof(b64), 4);
	H_CHECK_RC(rsm_memseg_import_put8(ip.h, 1, b8, 33), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put16(ip.h, 64, b16, 17), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put32(ip.h, 128, b32, 9), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put64(ip.h, 256, b64, 65), RSM_SUCCESS);
	H_CHECK(ask(fd, CMD_CSUM, 1, sizeof(b8), 0, &cs) == 0 &&
	    cs == h_csum(b8, sizeof(b8)));
	H_CHECK(ask(fd, CMD_CSUM, 64, sizeof(b16), 0, &cs) == 0 &&
	    cs == h_csum(b16, sizeof(b16)));
	H_CHECK(ask(fd, CMD_CSUM, 128, sizeof(b32), 0, &cs) == 0 &&
	    cs == h_csum(b32, sizeof(b32)));
	H_CHECK(ask(fd, CMD_CSUM, 256, sizeof(b64), 0, &cs) == 0 &&
	    cs == h_csum(b64, sizeof(b64)));
	H_CHECK_RC(rsm_memseg_import_get8(ip.h, 1, r8, 33), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get16(ip.h, 64, r16, 17), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get32(ip.h, 128, r32, 9), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get64(ip.h, 256, r64, 65), RSM_SUCCESS);
	H_CHECK(memcmp(b8, r8, sizeof(b8)) == 0);
	H_CHECK(memcmp(b16, r16, sizeof(b16)) == 0);
	H_CHECK(memcmp(b32, r32, sizeof(b32)) == 0);
	H_CHECK(memcmp(b64, r64, sizeof(b64)) == 0);
	H_CHECK_RC(rsm_memseg_import_put16(ip.h, 65, b16, 1),
	    RSMERR_BAD_MEM_ALIGNMENT);
	H_CHECK_RC(rsm_memseg_import_get64(ip.h, 260, r64, 1),
	    RSMERR_BAD_MEM_ALIGNMENT);
	return ip_done(&ip, fd);
}

static void
test_put_get_nbit(void **state)
{
	struct pair p;

	(void)state;
	run_pair(&p, imp_nbit, 4 * h_pagesize(), "shm0", 0);
}

/* ---- putv/getv ---- */

static int
imp_vec(struct pair *p, int fd)
{
	static const size_t lens[RSM_MAX_SGIOREQS] = {
		1, 8, 100, 4096, 3 * MIB + 7, 17, 65536, 0, 5, 2 * MIB,
		333, 8192, 1, 12345, 64, 4,
	};
	rsm_iovec_t v[RSM_MAX_SGIOREQS];
	rsm_scat_gath_t sg;
	rsm_localmemory_handle_t lh;
	struct h_imp ip;
	char *src, *dst;
	size_t total = 0, off = 0, lo = 0;
	uint64_t cs;

	for (int i = 0; i < RSM_MAX_SGIOREQS; i++)
		total += lens[i];
	H_CHECK(h_imp_connect(&ip, "tcp0", p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK((src = h_pages(total + h_pagesize())) != NULL);
	H_CHECK((dst = h_pages(total + h_pagesize())) != NULL);
	h_fill(src, total, 9);
	H_CHECK_RC(rsm_create_localmemory_handle(ip.c, &lh, src,
	    total + h_pagesize()), RSM_SUCCESS);
	/* Entries land in the segment in reverse order, with gaps. */
	memset(&sg, 0, sizeof(sg));
	for (int i = 0; i < RSM_MAX_SGIOREQS; i++) {
		v[i].io_type = i % 2 ? RSM_HANDLE_TYPE : RSM_VA_TYPE;
		if (i % 2)
			v[i].local.handle = lh;
		else
			v[i].local.vaddr = src;
		v[i].local_offset = lo;
		v[i].transfer_length = lens[i];
		lo += lens[i];
	}
	off = 0;
	for (int i = RSM_MAX_SGIOREQS - 1; i >= 0; i--) {
		v[i].remote_offset = off;
		off += lens[i] + 3;
	}
	H_CHECK(off <= p->size);
	sg.local_nodeid = H_NODE_ID;
	sg.io_request_count = RSM_MAX_SGIOREQS;
	sg.iovec = v;
	sg.remote_handle = ip.h;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSM_SUCCESS);
	H_CHECK(sg.io_residual_count == 0);
	for (int i = 0; i < RSM_MAX_SGIOREQS; i++) {
		H_CHECK(ask(fd, CMD_CSUM, v[i].remote_offset, lens[i], 0,
		    &cs) == 0);
		H_CHECK(cs == h_csum(src + v[i].local_offset, lens[i]));
	}
	/* getv into another buffer, then compare entry by entry. */
	for (int i = 0; i < RSM_MAX_SGIOREQS; i++) {
		v[i].io_type = RSM_VA_TYPE;
		v[i].local.vaddr = dst;
	}
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSM_SUCCESS);
	H_CHECK(sg.io_residual_count == 0);
	H_CHECK(memcmp(src, dst, total) == 0);
	/* Entry 5 runs past the end: 5 entries done, 11 left. */
	v[5].remote_offset = p->size - 2;
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_LENGTH);
	H_CHECK(sg.io_residual_count == RSM_MAX_SGIOREQS - 5);
	H_CHECK_RC(rsm_free_localmemory_handle(ip.c, lh), RSM_SUCCESS);
	h_pages_free(src, total + h_pagesize());
	h_pages_free(dst, total + h_pagesize());
	return ip_done(&ip, fd);
}

static void
test_putv_getv(void **state)
{
	struct pair p;

	(void)state;
	run_pair(&p, imp_vec, 8 * MIB, "shm0", 0);
}

/* ---- explicit barriers and ordering ---- */

static int
imp_barrier(struct pair *p, int fd)
{
	struct h_imp ip;
	char *buf, rd[4096];
	uint64_t cs;
	size_t n = 2000;

	H_CHECK(h_imp_connect(&ip, "tcp0", p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_memseg_import_set_mode(ip.h, RSM_BARRIER_MODE_EXPLICIT),
	    RSM_SUCCESS);
	/* A close with nothing issued yet succeeds. */
	H_CHECK_RC(rsm_memseg_import_open_barrier(&ip.bar), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&ip.bar), RSM_SUCCESS);
	H_CHECK((buf = malloc(n * 8)) != NULL);
	h_fill(buf, n * 8, 77);
	/* Many small puts in flight, overwriting the same word in order. */
	H_CHECK_RC(rsm_memseg_import_open_barrier(&ip.bar), RSM_SUCCESS);
	for (size_t i = 0; i < n; i++) {
		H_CHECK_RC(rsm_memseg_import_put(ip.h, (off_t)(i * 8),
		    buf + i * 8, 8), RSM_SUCCESS);
		H_CHECK_RC(rsm_memseg_import_put(ip.h, 65536, buf + i * 8, 8),
		    RSM_SUCCESS);
		if (i == n / 2)
			H_CHECK_RC(rsm_memseg_import_order_barrier(&ip.bar),
			    RSM_SUCCESS);
	}
	/* A get after puts sees them (one ordered stream). */
	H_CHECK_RC(rsm_memseg_import_get(ip.h, 65536, rd, 8), RSM_SUCCESS);
	H_CHECK(memcmp(rd, buf + (n - 1) * 8, 8) == 0);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&ip.bar), RSM_SUCCESS);
	H_CHECK(ask(fd, CMD_CSUM, 0, n * 8, 0, &cs) == 0);
	H_CHECK(cs == h_csum(buf, n * 8));
	H_CHECK(ask(fd, CMD_CSUM, 65536, 8, 0, &cs) == 0);
	H_CHECK(cs == h_csum(buf + (n - 1) * 8, 8));
	free(buf);
	return ip_done(&ip, fd);
}

static void
test_explicit_barrier(void **state)
{
	struct pair p;

	(void)state;
	run_pair(&p, imp_barrier, 32 * h_pagesize(), "shm0", 0);
}

/* ---- rights, map, signals, rebind ---- */

static int
imp_rights(struct pair *p, int fd)
{
	struct h_imp ip;
	char buf[64];
	void *addr = NULL;
	uint64_t cs, v;

	H_CHECK(h_imp_connect(&ip, "tcp0", p->segid, RSM_PERM_READ) == 0);
	H_CHECK_RC(rsm_memseg_import_put(ip.h, 0, buf, sizeof(buf)),
	    RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_get(ip.h, 0, buf, sizeof(buf)),
	    RSM_SUCCESS);
	H_CHECK(ask(fd, CMD_CSUM, 0, sizeof(buf), 0, &cs) == 0);
	H_CHECK(cs == h_csum(buf, sizeof(buf)));
	/*
	 * Remote map: loads through a read-only map see the segment; a
	 * read-write map of a read-only connection is refused.
	 */
	H_CHECK_RC(rsm_memseg_import_map(ip.h, &addr, RSM_MAP_NONE,
	    RSM_PERM_RDWR, 0, h_pagesize()), RSMERR_BAD_PERMS);
	H_CHECK_RC(rsm_memseg_import_map(ip.h, &addr, RSM_MAP_NONE,
	    RSM_PERM_READ, 0, h_pagesize()), RSM_SUCCESS);
	H_CHECK(h_csum(addr, sizeof(buf)) == cs);
	/* Signals travel over the node daemon. */
	H_CHECK(h_send(fd, &(struct cmd){ CMD_WAITSIG, 0, 0, 0, 0 },
	    sizeof(struct cmd)) == 0);
	/*
	 * Posted once the exporter is blocked in rsm_intr_signal_wait
	 * (which polls two fds: its event counter and the link's death).
	 */
	H_CHECK(h_wait_in_poll(p->exp_pid, 2, -1, T_MSG) == 0);
	H_CHECK_RC(rsm_intr_signal_post(ip.h, 0), RSM_SUCCESS);
	H_CHECK(h_recv(fd, &v, sizeof(v), T_MSG) == 0);
	H_CHECK(v == RSM_SUCCESS);
	/* Rebind: the import stays connected and sees the new memory. */
	H_CHECK(ask(fd, CMD_REBIND, 0, 0, 4242, &v) == 0);
	H_CHECK(v == RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get(ip.h, 0, buf, sizeof(buf)),
	    RSM_SUCCESS);
	H_CHECK(ask(fd, CMD_CSUM, 0, sizeof(buf), 0, &cs) == 0);
	H_CHECK(cs == h_csum(buf, sizeof(buf)));
	{
		char want[64];

		h_fill(want, sizeof(want), 4242);
		H_CHECK(memcmp(want, buf, sizeof(buf)) == 0);
		/* The map follows the new memory at the next open barrier. */
		H_CHECK_RC(rsm_memseg_import_open_barrier(&ip.bar),
		    RSM_SUCCESS);
		H_CHECK(memcmp(want, addr, sizeof(want)) == 0);
	}
	H_CHECK_RC(rsm_memseg_import_disconnect(ip.h), RSMERR_SEG_STILL_MAPPED);
	H_CHECK_RC(rsm_memseg_import_unmap(ip.h), RSM_SUCCESS);
	return ip_done(&ip, fd);
}

static void
test_rights_map_signal_rebind(void **state)
{
	struct pair p;

	(void)state;
	run_pair(&p, imp_rights, 2 * h_pagesize(), "shm0", RSM_ALLOW_REBIND);
}

/* ---- revocation ---- */

static int
imp_unpublish(struct pair *p, int fd)
{
	struct h_imp ip, ip2;
	char buf[64] = { 1 };
	uint64_t v, t0;

	H_CHECK(h_imp_connect(&ip, "tcp0", p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK(h_imp_connect(&ip2, "tcp0", p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_memseg_import_set_mode(ip2.h,
	    RSM_BARRIER_MODE_EXPLICIT), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put(ip.h, 0, buf, sizeof(buf)),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&ip2.bar), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put(ip2.h, 0, buf, sizeof(buf)),
	    RSM_SUCCESS);
	H_CHECK(ask(fd, CMD_UNPUBLISH, 0, 0, 0, &v) == 0);
	H_CHECK(v == RSM_SUCCESS);
	/* Revoked before the exporter heard its reply: at once. */
	t0 = h_now_ms();
	H_CHECK_RC(rsm_memseg_import_put(ip.h, 0, buf, sizeof(buf)),
	    RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_get(ip.h, 0, buf, sizeof(buf)),
	    RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&ip2.bar),
	    RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_put(ip2.h, 0, buf, sizeof(buf)),
	    RSMERR_CONN_ABORTED);
	H_CHECK(h_now_ms() - t0 < T_PROMPT_MS);
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&ip2.bar), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(ip2.h), RSM_SUCCESS);
	return ip_done(&ip, fd);
}

static void
test_unpublish_revokes(void **state)
{
	struct pair p;

	(void)state;
	run_pair(&p, imp_unpublish, 2 * h_pagesize(), "shm0", 0);
}

/* Poll an operation until it fails with `want` (bounded). */
static int
fails_within(struct h_imp *ip, int want, int ms)
{
	uint64_t end = h_now_ms() + (uint64_t)ms;
	char buf[8] = { 0 };
	int rc;

	do {
		rc = rsm_memseg_import_put(ip->h, 0, buf, sizeof(buf));
		if (rc == want)
			return 0;
		if (rc != RSM_SUCCESS)
			return -1;
		h_sleep_ms(2);
	} while (h_now_ms() < end);
	return -1;
}

static int
imp_exporter_killed(struct pair *p, int fd)
{
	struct h_imp ip;
	char buf[8] = { 0 };

	H_CHECK(h_imp_connect(&ip, "tcp0", p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_memseg_import_put(ip.h, 0, buf, sizeof(buf)),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_set_mode(ip.h, RSM_BARRIER_MODE_EXPLICIT),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&ip.bar), RSM_SUCCESS);
	H_CHECK(kill(p->exp_pid, SIGKILL) == 0);
	H_CHECK(fails_within(&ip, RSMERR_CONN_ABORTED, T_PROMPT_MS) == 0);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&ip.bar),
	    RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_get(ip.h, 0, buf, sizeof(buf)),
	    RSMERR_CONN_ABORTED);
	(void)fd;
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&ip.bar), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(ip.h), RSM_SUCCESS);
	return 0;
}

static void
test_exporter_kill9(void **state)
{
	struct pair p;

	(void)state;
	run_pair(&p, imp_exporter_killed, 2 * h_pagesize(), "shm0", 0);
}

/* An importer that dies is dropped from the segment's importers at once. */
static int
imp_then_die(struct pair *p, int fd)
{
	struct h_imp ip;
	char buf[8] = { 0 };

	(void)fd;
	H_CHECK(h_imp_connect(&ip, "tcp0", p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_memseg_import_put(ip.h, 0, buf, sizeof(buf)),
	    RSM_SUCCESS);
	H_CHECK(h_send_u32((int)p->arg, 0x494e4e4eu) == 0);
	pause();	/* killed by the parent */
	return 1;
}

/*
 * Start an exporter and an importer whose test-specific messages go to
 * the parent over *k; the parent keeps the pair's sockets open so the
 * exporter outlives the importer.
 */
static pid_t
start_pair(struct pair *p, struct h_chan *k, int (*imp)(struct pair *, int),
    int (*exp)(void *))
{
	pid_t ip;

	p->imp = imp;
	p->segid = g_next_segid++;
	p->size = 2 * h_pagesize();
	snprintf(p->exp_ctlr, sizeof(p->exp_ctlr), "shm0");
	p->exp_flags = 0;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    p->fds), 0);
	assert_int_equal(h_chan_open(k), 0);
	p->arg = (uint64_t)k->fd[1];
	p->exp_pid = h_spawn(exp, p, (uid_t)-1, T_CHILD / 1000 + 2);
	assert_true(p->exp_pid > 0);
	ip = h_spawn(imp_tramp, p, (uid_t)-1, T_CHILD / 1000 + 2);
	assert_true(ip > 0);
	close(k->fd[1]);
	k->fd[1] = -1;
	return ip;
}

static void
test_importer_death(void **state)
{
	struct rsm_msg_seginfo si;
	struct pair p;
	struct h_chan k;
	uint32_t tag;
	pid_t ip;
	uint64_t end;

	(void)state;
	ip = start_pair(&p, &k, imp_then_die, exporter);
	assert_int_equal(h_recv_u32(k.fd[0], &tag, T_MSG), 0);
	assert_int_equal(tag, 0x494e4e4eu);
	assert_true(h_rsmd_find_segid(&h_daemon, p.segid, &si) >= 0);
	assert_int_equal(si.nimporters, 1);
	assert_int_equal(si.importer_pid[0], (uint32_t)ip);
	kill(ip, SIGKILL);
	assert_int_equal(h_wait(ip, T_CHILD), 128 + SIGKILL);
	end = h_now_ms() + T_PROMPT_MS;
	do {
		assert_true(h_rsmd_find_segid(&h_daemon, p.segid, &si) >= 0);
		if (si.nimporters == 0)
			break;
		h_sleep_ms(5);
	} while (h_now_ms() < end);
	assert_int_equal(si.nimporters, 0);
	kill(p.exp_pid, SIGKILL);
	h_wait(p.exp_pid, T_CHILD);
	close(p.fds[0]);
	close(p.fds[1]);
	h_chan_close(&k);
}

/* The daemon dies: calls fail fast, nothing hangs; then a fresh daemon. */
static int
imp_daemon_killed(struct pair *p, int fd)
{
	struct h_imp ip, ip2;
	char buf[4096] = { 0 };
	int k = (int)p->arg, rc;
	uint32_t go;
	uint64_t t0;

	(void)fd;
	H_CHECK(h_imp_connect(&ip, "tcp0", p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK(h_imp_connect(&ip2, "tcp0", p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_memseg_import_set_mode(ip2.h,
	    RSM_BARRIER_MODE_EXPLICIT), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put(ip.h, 0, buf, sizeof(buf)),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put(ip2.h, 0, buf, sizeof(buf)),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&ip2.bar), RSM_SUCCESS);
	H_CHECK(h_send_u32(k, 0x4b494c4cu) == 0);	/* "kill it now" */
	H_CHECK(h_recv_u32(k, &go, T_MSG) == 0);
	t0 = h_now_ms();
	H_CHECK(fails_within(&ip, RSMERR_CONN_ABORTED, T_PROMPT_MS) == 0);
	H_CHECK_RC(rsm_memseg_import_get(ip.h, 0, buf, sizeof(buf)),
	    RSMERR_CONN_ABORTED);
	/* Explicit mode: the end of the stream is the loss. */
	rc = rsm_memseg_import_put(ip2.h, 0, buf, sizeof(buf));
	H_CHECK(rc == RSMERR_CONN_ABORTED || rc == RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&ip2.bar),
	    RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_get(ip2.h, 0, buf, sizeof(buf)),
	    RSMERR_CONN_ABORTED);
	H_CHECK(h_now_ms() - t0 < T_PROMPT_MS);
	H_CHECK_RC(rsm_memseg_import_disconnect(ip.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(ip2.h), RSM_SUCCESS);
	return 0;
}

static void
test_daemon_kill9(void **state)
{
	struct pair p;
	struct h_chan k;
	uint32_t tag;
	pid_t ip;

	(void)state;
	ip = start_pair(&p, &k, imp_daemon_killed, exporter);
	assert_int_equal(h_recv_u32(k.fd[0], &tag, T_MSG), 0);
	assert_int_equal(tag, 0x4b494c4cu);
	h_rsmd_kill9(&h_daemon);
	assert_int_equal(h_send_u32(k.fd[0], 1), 0);
	assert_int_equal(h_wait(ip, T_CHILD), 0);
	kill(p.exp_pid, SIGKILL);
	h_wait(p.exp_pid, T_CHILD);
	close(p.fds[0]);
	close(p.fds[1]);
	h_chan_close(&k);
	assert_int_equal(h_rsmd_restart(&h_daemon), 0);
}

/* ---- setup ---- */

static int
group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	return h_group_setup(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_controller,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_put_get_sizes,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_any_exporting_controller,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_put_get_nbit,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_putv_getv,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_explicit_barrier,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_rights_map_signal_rebind,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_unpublish_revokes,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_exporter_kill9,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_importer_death,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_daemon_kill9,
		    h_test_setup, h_test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, h_group_teardown);
}
