/*
 * test_tcp_hostile.c - the data port of controller tcp0 facing a raw
 * client: malformed, truncated and oversized frames, forged and stale
 * tokens, requests past the segment's end or beyond the token's rights,
 * and a flood of connections.  Each refusal must be counted and logged
 * and cost the sender its connection, while a legitimate importer keeps
 * working throughout; bounds and rights failures are answered with an
 * error on a connection that stays usable.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <rsmapi.h>

#include "tcp_util.h"

#define T_MSG		10000
#define T_CHILD		25000
/* The server closes a refused connection at once; allow for scheduling. */
#define T_CLOSE_MS	1500

static struct tu_group g = { .segid = 0x400500u };


/* ---- raw helpers ---- */

struct raw {
	int ctl;		/* control connection holding the import */
	int fd;			/* data connection */
	struct rsm_msg_connect_reply rep;
	uint64_t next_id;
};

static void
raw_open(struct raw *r, uint32_t perm, int hello)
{
	struct rsm_data_hello_reply hr;
	int st;

	memset(r, 0, sizeof(*r));
	r->ctl = tu_get_cap(&g.d, g.segid, perm, &r->rep, &st);
	assert_true(r->ctl >= 0);
	assert_int_equal(r->rep.cap.family, RSM_CAP_INET);
	r->fd = tu_data_open(&r->rep.cap);
	assert_true(r->fd >= 0);
	r->next_id = 1;
	if (hello) {
		assert_int_equal(tu_hello(r->fd, r->rep.cap.token,
		    r->next_id++, &hr), RSM_SUCCESS);
		assert_int_equal(hr.size, g.size);
		assert_int_equal(hr.granted & ~RSM_DATA_HELLO_OPS, perm);
		/* This server takes masked puts, and says so. */
		assert_int_equal(hr.granted & RSM_DATA_HELLO_OPS,
		    RSM_DATA_HELLO_PUTM);
	}
}

static void
raw_close(struct raw *r)
{
	if (r->fd >= 0)
		close(r->fd);
	if (r->ctl >= 0)
		close(r->ctl);
	r->fd = r->ctl = -1;
}

static uint64_t
refused_now(void)
{
	struct rsm_msg_status st;

	assert_int_equal(h_rsmd_status(&g.d, &st), 0);
	return st.refused;
}

/* The refusal count grows past `before` (bounded wait). */
static void
assert_refused_after(uint64_t before)
{
	uint64_t end = h_now_ms() + T_CLOSE_MS;

	while (refused_now() <= before && h_now_ms() < end)
		h_sleep_ms(5);
	assert_true(refused_now() > before);
}

static int
log_has(const char *needle)
{
	char line[1024];
	FILE *fp = fopen(g.d.log, "r");
	int found = 0;

	if (fp == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(fp);
	return found;
}

/* PUT of len bytes at off; the reply's status. */
static int
raw_put(struct raw *r, uint64_t off, const void *buf, uint32_t len)
{
	struct rsm_data_hdr h, rh;
	uint64_t id = r->next_id++;

	rsm_data_hdr_init(&h, RSM_DOP_PUT, 0, id, off, len, 0);
	if (h_send(r->fd, &h, sizeof(h)) != 0 ||
	    (len > 0 && h_send(r->fd, buf, len) != 0) ||
	    h_recv(r->fd, &rh, sizeof(rh), TU_IO_MS) != 0)
		return -1;
	if (rsm_data_check_reply(&rh, RSM_DOP_PUT, id, 0, 1) != 0)
		return -2;
	return (int)rh.status;
}

static int
raw_get(struct raw *r, uint64_t off, void *buf, uint32_t len)
{
	struct rsm_data_hdr h, rh;
	uint64_t id = r->next_id++;

	rsm_data_hdr_init(&h, RSM_DOP_GET, 0, id, off, len, 0);
	if (h_send(r->fd, &h, sizeof(h)) != 0 ||
	    h_recv(r->fd, &rh, sizeof(rh), TU_IO_MS) != 0)
		return -1;
	if (rsm_data_check_reply(&rh, RSM_DOP_GET, id, len, 1) != 0)
		return -2;
	if (rh.status == RSM_SUCCESS && h_recv(r->fd, buf, len, TU_IO_MS) != 0)
		return -1;
	return (int)rh.status;
}

/* ATOMIC on the word at off; the reply's status, the old value in *old. */
static int
raw_atomic(struct raw *r, uint64_t off, uint8_t op, uint8_t width,
    uint64_t operand, uint64_t compare, uint64_t *old)
{
	struct {
		struct rsm_data_hdr h;
		struct rsm_data_atomic a;
	} f;
	struct rsm_data_hdr rh;
	uint64_t id = r->next_id++;

	rsm_data_hdr_init(&f.h, RSM_DOP_ATOMIC, 0, id, off, sizeof(f.a), 0);
	memset(&f.a, 0, sizeof(f.a));
	f.a.op = op;
	f.a.width = width;
	f.a.operand = operand;
	f.a.compare = compare;
	if (h_send(r->fd, &f, sizeof(f)) != 0 ||
	    h_recv(r->fd, &rh, sizeof(rh), TU_IO_MS) != 0)
		return -1;
	if (rsm_data_check_reply(&rh, RSM_DOP_ATOMIC, id, 8, 1) != 0)
		return -2;
	if (rh.status == RSM_SUCCESS &&
	    h_recv(r->fd, old, sizeof(*old), TU_IO_MS) != 0)
		return -1;
	return (int)rh.status;
}

/* One PUTM entry as raw_putm sends it. */
struct mput {
	uint64_t	 off;
	uint32_t	 len;
	const uint8_t	*mask;	/* RSM_DATA_MASK_LEN(len) bytes */
	const char	*data;	/* len bytes */
};

/* A PUTM frame of n entries, built in *out (malloc); its length. */
static size_t
putm_frame(uint64_t id, const struct mput *m, uint32_t n, char **out)
{
	struct rsm_data_hdr h;
	struct rsm_data_vec v;
	size_t len = 0, at;
	uint32_t i;
	char *f;

	for (i = 0; i < n; i++)
		len += RSM_DATA_MASK_LEN(m[i].len) + m[i].len;
	f = malloc(sizeof(h) + n * sizeof(v) + len);
	assert_non_null(f);
	rsm_data_hdr_init(&h, RSM_DOP_PUTM, 0, id, 0, (uint32_t)len, n);
	memcpy(f, &h, sizeof(h));
	at = sizeof(h);
	for (i = 0; i < n; i++, at += sizeof(v)) {
		v.off = m[i].off;
		v.len = m[i].len;
		memcpy(f + at, &v, sizeof(v));
	}
	for (i = 0; i < n; i++) {
		memcpy(f + at, m[i].mask, RSM_DATA_MASK_LEN(m[i].len));
		at += RSM_DATA_MASK_LEN(m[i].len);
		memcpy(f + at, m[i].data, m[i].len);
		at += m[i].len;
	}
	*out = f;
	return at;
}

/* PUTM of n entries; the reply's status, its count in *done. */
static int
raw_putm(struct raw *r, const struct mput *m, uint32_t n, uint32_t *done)
{
	struct rsm_data_hdr rh;
	uint64_t id = r->next_id++;
	char *f;
	size_t len = putm_frame(id, m, n, &f);
	int rc = h_send(r->fd, f, len);

	free(f);
	if (rc != 0 || h_recv(r->fd, &rh, sizeof(rh), TU_IO_MS) != 0)
		return -1;
	if (rsm_data_check_reply(&rh, RSM_DOP_PUTM, id, 0, n) != 0)
		return -2;
	*done = rh.count;
	return (int)rh.status;
}

/* ---- malformed frames ---- */

static void
expect_refused_frame(const void *frame, size_t len, int hello, int eof)
{
	struct raw r;
	uint64_t before = refused_now();

	raw_open(&r, RSM_PERM_RDWR, hello);
	assert_int_equal(h_send(r.fd, frame, len), 0);
	if (eof)
		shutdown(r.fd, SHUT_WR);
	assert_true(tu_closed_within(r.fd, T_CLOSE_MS));
	assert_refused_after(before);
	raw_close(&r);
}

static void
test_bad_frames(void **state)
{
	struct rsm_data_hdr h;
	struct {
		struct rsm_data_hdr h;
		struct rsm_data_vec v[2];
	} pv;

	(void)state;
	/* Bad magic, before and after HELLO. */
	rsm_data_hdr_init(&h, RSM_DOP_GET, 0, 9, 0, 8, 0);
	h.magic = 0x4141;
	expect_refused_frame(&h, sizeof(h), 0, 0);
	expect_refused_frame(&h, sizeof(h), 1, 0);
	/* Bad version, unknown op, a reply bit, zero id, nonzero status. */
	rsm_data_hdr_init(&h, RSM_DOP_GET, 0, 9, 0, 8, 0);
	h.version = 9;
	expect_refused_frame(&h, sizeof(h), 1, 0);
	rsm_data_hdr_init(&h, 77, 0, 9, 0, 8, 0);
	expect_refused_frame(&h, sizeof(h), 1, 0);
	rsm_data_hdr_init(&h, RSM_DOP_GET | RSM_DOPF_REPLY, 0, 9, 0, 8, 0);
	expect_refused_frame(&h, sizeof(h), 1, 0);
	rsm_data_hdr_init(&h, RSM_DOP_GET, 0, 0, 0, 8, 0);
	expect_refused_frame(&h, sizeof(h), 1, 0);
	rsm_data_hdr_init(&h, RSM_DOP_GET, 5, 9, 0, 8, 0);
	expect_refused_frame(&h, sizeof(h), 1, 0);
	/* Oversized: above the frame limit, refused before any payload. */
	rsm_data_hdr_init(&h, RSM_DOP_PUT, 0, 9, 0, RSM_DATA_FRAME_MAX + 1,
	    0);
	expect_refused_frame(&h, sizeof(h), 1, 0);
	rsm_data_hdr_init(&h, RSM_DOP_GET, 0, 9, 0, UINT32_MAX, 0);
	expect_refused_frame(&h, sizeof(h), 1, 0);
	/* Data before HELLO; a second HELLO. */
	rsm_data_hdr_init(&h, RSM_DOP_GET, 0, 9, 0, 8, 0);
	expect_refused_frame(&h, sizeof(h), 0, 0);
	rsm_data_hdr_init(&h, RSM_DOP_HELLO, 0, 9, 0,
	    sizeof(struct rsm_data_hello_req), 0);
	expect_refused_frame(&h, sizeof(h), 1, 0);
	/* Ids that do not increase (HELLO used id 1). */
	rsm_data_hdr_init(&h, RSM_DOP_GET, 0, 1, 0, 8, 0);
	expect_refused_frame(&h, sizeof(h), 1, 0);
	/* Vector tables that disagree with the header, or too many entries. */
	rsm_data_hdr_init(&pv.h, RSM_DOP_PUTV, 0, 9, 0, 100, 2);
	pv.v[0].off = 0;
	pv.v[0].len = 10;
	pv.v[1].off = 4096;
	pv.v[1].len = 10;
	expect_refused_frame(&pv, sizeof(pv), 1, 0);
	rsm_data_hdr_init(&pv.h, RSM_DOP_GETV, 0, 9, 0, 0, 17);
	expect_refused_frame(&pv.h, sizeof(pv.h), 1, 0);
	/* Truncated: half a header, half a payload, then the end. */
	rsm_data_hdr_init(&h, RSM_DOP_GET, 0, 9, 0, 8, 0);
	expect_refused_frame(&h, sizeof(h) / 2, 1, 1);
	{
		struct {
			struct rsm_data_hdr h;
			char b[100];
		} t;

		rsm_data_hdr_init(&t.h, RSM_DOP_PUT, 0, 9, 0, 200, 0);
		memset(t.b, 1, sizeof(t.b));
		expect_refused_frame(&t, sizeof(t), 1, 1);
	}
	/* ATOMIC and SIGNAL bodies: unknown op, bad width, padding, flags. */
	{
		struct {
			struct rsm_data_hdr h;
			struct rsm_data_atomic a;
		} fa;
		struct {
			struct rsm_data_hdr h;
			struct rsm_data_signal s;
		} fs;

		rsm_data_hdr_init(&fa.h, RSM_DOP_ATOMIC, 0, 9, 0,
		    sizeof(fa.a), 0);
		memset(&fa.a, 0, sizeof(fa.a));
		fa.a.op = 9;
		fa.a.width = 8;
		expect_refused_frame(&fa, sizeof(fa), 1, 0);
		fa.a.op = RSM_DATA_AOP_FADD;
		fa.a.width = 3;
		expect_refused_frame(&fa, sizeof(fa), 1, 0);
		fa.a.width = 4;
		fa.a.operand = (uint64_t)1 << 40;
		expect_refused_frame(&fa, sizeof(fa), 1, 0);
		fa.a.operand = 0;
		fa.a.pad0 = 1;
		expect_refused_frame(&fa, sizeof(fa), 1, 0);
		rsm_data_hdr_init(&fa.h, RSM_DOP_ATOMIC, 0, 9, 0,
		    sizeof(fa.a) - 8, 0);
		expect_refused_frame(&fa, sizeof(fa.h), 1, 0);
		rsm_data_hdr_init(&fs.h, RSM_DOP_SIGNAL, 0, 9, 0,
		    sizeof(fs.s), 0);
		fs.s.flags = 0x80;
		fs.s.pad = 0;
		expect_refused_frame(&fs, sizeof(fs), 1, 0);
	}
	/*
	 * PUTM: no entries, too many, a span of nothing or beyond the
	 * bound, a table whose masks and spans disagree with the header,
	 * an offset in the header, mask bits past the span, and a frame cut
	 * short inside an entry.  None may write a byte.
	 */
	{
		static uint8_t mask[RSM_DATA_MASK_LEN(100)];
		static char data[100];
		struct mput m = { 0, 100, mask, data };
		struct {
			struct rsm_data_hdr h;
			struct rsm_data_vec v[1];
		} pm;
		char *f;
		size_t len;

		rsm_data_hdr_init(&pm.h, RSM_DOP_PUTM, 0, 9, 0, 0, 0);
		expect_refused_frame(&pm.h, sizeof(pm.h), 1, 0);
		rsm_data_hdr_init(&pm.h, RSM_DOP_PUTM, 0, 9, 0, 0,
		    RSM_DATA_PUTV_MAX + 1);
		expect_refused_frame(&pm.h, sizeof(pm.h), 1, 0);
		rsm_data_hdr_init(&pm.h, RSM_DOP_PUTM, 0, 9, 0, 0, 1);
		pm.v[0].off = 0;
		pm.v[0].len = 0;
		expect_refused_frame(&pm, sizeof(pm), 1, 0);
		pm.v[0].len = RSM_DATA_PUTM_SPAN_MAX + 1;
		pm.h.len = (uint32_t)(RSM_DATA_PUTM_SPAN_MAX + 1 +
		    RSM_DATA_MASK_LEN(RSM_DATA_PUTM_SPAN_MAX + 1));
		expect_refused_frame(&pm, sizeof(pm), 1, 0);
		/* The span's bytes without room for its mask. */
		pm.v[0].len = 100;
		pm.h.len = 100;
		expect_refused_frame(&pm, sizeof(pm), 1, 0);
		pm.v[0].len = UINT64_MAX;
		pm.h.len = 100 + RSM_DATA_MASK_LEN(100);
		expect_refused_frame(&pm, sizeof(pm), 1, 0);
		len = putm_frame(9, &m, 1, &f);
		((struct rsm_data_hdr *)(void *)f)->off = 8;
		expect_refused_frame(f, len, 1, 0);
		free(f);
		/* 100 bytes: bits 4..7 of the last mask byte are past it. */
		mask[RSM_DATA_MASK_LEN(100) - 1] = 0x10;
		len = putm_frame(9, &m, 1, &f);
		expect_refused_frame(f, len, 1, 0);
		free(f);
		mask[RSM_DATA_MASK_LEN(100) - 1] = 0x0f;
		len = putm_frame(9, &m, 1, &f);
		expect_refused_frame(f, len - 50, 1, 1);
		expect_refused_frame(f, len - 100 - 5, 1, 1);
		free(f);
	}
	assert_true(log_has("refused"));
}

/* ---- tokens ---- */

static void
test_tokens(void **state)
{
	struct rsm_data_hello_reply hr;
	struct rsm_msg_handle dh;
	struct raw r;
	uint8_t forged[RSM_CAP_TOKEN_LEN];
	uint64_t before;
	char buf[16];
	int fd, st;

	(void)state;
	/* Forged: refused with CONN_ABORTED, then closed. */
	raw_open(&r, RSM_PERM_RDWR, 0);
	memcpy(forged, r.rep.cap.token, sizeof(forged));
	forged[7] ^= 0x40;
	before = refused_now();
	assert_int_equal(tu_hello(r.fd, forged, 1, &hr), RSMERR_CONN_ABORTED);
	assert_true(tu_closed_within(r.fd, T_CLOSE_MS));
	assert_refused_after(before);
	close(r.fd);

	/* Stale: the import is disconnected, its token dies with it. */
	dh.handle = r.rep.handle;
	assert_int_equal(h_ctl_call(r.ctl, RSM_MSG_IMPORT_DISCONNECT, 3, &dh,
	    sizeof(dh), NULL, NULL), RSM_SUCCESS);
	r.fd = tu_data_open(&r.rep.cap);
	assert_true(r.fd >= 0);
	assert_int_equal(tu_hello(r.fd, r.rep.cap.token, 1, &hr),
	    RSMERR_CONN_ABORTED);
	assert_true(tu_closed_within(r.fd, T_CLOSE_MS));
	raw_close(&r);

	/*
	 * Seen on the wire: a HELLO that opened one connection opens no
	 * other, whose challenge differs; the bare token is no HELLO at all.
	 */
	{
		struct rsm_data_hello_req seen, bare;
		struct rsm_data_challenge chal;
		int fd2;

		raw_open(&r, RSM_PERM_RDWR, 0);
		assert_int_equal(tu_hello_as(r.fd, r.rep.cap.token, 1, &hr,
		    &seen), RSM_SUCCESS);
		r.next_id = 2;
		fd2 = tu_data_open(&r.rep.cap);
		assert_true(fd2 >= 0);
		assert_int_equal(tu_challenge(fd2, &chal), 0);
		before = refused_now();
		assert_int_equal(tu_hello_raw(fd2, &seen, 1, &hr),
		    RSMERR_CONN_ABORTED);
		assert_true(tu_closed_within(fd2, T_CLOSE_MS));
		assert_refused_after(before);
		close(fd2);
		fd2 = tu_data_open(&r.rep.cap);
		assert_true(fd2 >= 0);
		assert_int_equal(tu_challenge(fd2, &chal), 0);
		memset(&bare, 0, sizeof(bare));
		memcpy(bare.proof.cap_id, r.rep.cap.token,
		    sizeof(r.rep.cap.token));
		assert_int_equal(tu_hello_raw(fd2, &bare, 1, &hr),
		    RSMERR_CONN_ABORTED);
		close(fd2);
		/* The first connection is untouched by the attempts. */
		assert_int_equal(raw_get(&r, 0, buf, sizeof(buf)),
		    RSM_SUCCESS);
		raw_close(&r);
	}

	/* A live connection dies when its import is disconnected. */
	raw_open(&r, RSM_PERM_RDWR, 1);
	assert_int_equal(raw_get(&r, 0, buf, sizeof(buf)), RSM_SUCCESS);
	dh.handle = r.rep.handle;
	assert_int_equal(h_ctl_call(r.ctl, RSM_MSG_IMPORT_DISCONNECT, 3, &dh,
	    sizeof(dh), NULL, NULL), RSM_SUCCESS);
	/* Closed before the daemon answered the disconnect. */
	assert_true(tu_closed_within(r.fd, 50));
	raw_close(&r);

	/* The importer's control connection closes (it died): token gone. */
	raw_open(&r, RSM_PERM_RDWR, 1);
	close(r.ctl);
	r.ctl = -1;
	assert_true(tu_closed_within(r.fd, T_CLOSE_MS));
	close(r.fd);
	r.fd = tu_data_open(&r.rep.cap);
	assert_true(r.fd >= 0);
	assert_int_equal(tu_hello(r.fd, r.rep.cap.token, 1, &hr),
	    RSMERR_CONN_ABORTED);
	raw_close(&r);

	/* A token opens at most a few connections at once. */
	raw_open(&r, RSM_PERM_RDWR, 1);
	{
		int extra[8], n = 0, refused = 0;

		for (int i = 0; i < 8; i++) {
			extra[n] = tu_data_open(&r.rep.cap);
			assert_true(extra[n] >= 0);
			st = tu_hello(extra[n], r.rep.cap.token, 1, &hr);
			if (st == RSMERR_INSUFFICIENT_RESOURCES)
				refused++;
			else
				assert_int_equal(st, RSM_SUCCESS);
			n++;
		}
		assert_true(refused > 0);
		for (int i = 0; i < n; i++)
			close(extra[i]);
	}
	raw_close(&r);
	(void)fd;
}

/* ---- bounds and rights: answered, connection kept ---- */

static void
test_bounds_and_rights(void **state)
{
	struct raw r;
	char buf[4096], chk[4096];
	struct {
		struct rsm_data_hdr h;
		struct rsm_data_vec v[3];
	} gv;
	struct rsm_data_hdr rh;

	(void)state;
	raw_open(&r, RSM_PERM_RDWR, 1);
	memset(buf, 0x5a, sizeof(buf));
	/* Past the end, straddling it, and an offset that would overflow. */
	assert_int_equal(raw_put(&r, g.size, buf, 8), RSMERR_BAD_LENGTH);
	assert_int_equal(raw_put(&r, g.size - 4, buf, 8), RSMERR_BAD_LENGTH);
	assert_int_equal(raw_put(&r, UINT64_MAX - 3, buf, 8),
	    RSMERR_BAD_LENGTH);
	assert_int_equal(raw_get(&r, g.size - 1, buf, 2), RSMERR_BAD_LENGTH);
	assert_int_equal(raw_get(&r, UINT64_MAX, buf, 1), RSMERR_BAD_LENGTH);
	/* Still usable: a put and a get that fit. */
	assert_int_equal(raw_put(&r, g.size - 8, buf, 8), RSM_SUCCESS);
	assert_int_equal(raw_get(&r, g.size - 8, chk, 8), RSM_SUCCESS);
	assert_memory_equal(buf, chk, 8);
	/* GETV stopping at its second entry: one entry of data comes back. */
	rsm_data_hdr_init(&gv.h, RSM_DOP_GETV, 0, r.next_id, 0, 24, 3);
	gv.v[0].off = 0;
	gv.v[0].len = 8;
	gv.v[1].off = g.size;
	gv.v[1].len = 8;
	gv.v[2].off = 8;
	gv.v[2].len = 8;
	assert_int_equal(h_send(r.fd, &gv, sizeof(gv)), 0);
	assert_int_equal(h_recv(r.fd, &rh, sizeof(rh), TU_IO_MS), 0);
	assert_int_equal(rsm_data_check_reply(&rh, RSM_DOP_GETV, r.next_id,
	    24, 3), 0);
	r.next_id++;
	assert_int_equal(rh.status, RSMERR_BAD_LENGTH);
	assert_int_equal(rh.count, 1);
	assert_int_equal(rh.len, 8);
	assert_int_equal(h_recv(r.fd, chk, 8, TU_IO_MS), 0);
	assert_int_equal(raw_get(&r, 0, buf, 8), RSM_SUCCESS);
	assert_memory_equal(buf, chk, 8);
	/*
	 * PUTM: exactly the bytes of its masks are written, the others
	 * keep what they held; an entry past the end stops the frame there
	 * (the entries before it done, none after), answered, the link
	 * kept.
	 */
	{
		enum { N = 1000 };
		uint8_t mk[RSM_DATA_MASK_LEN(N)], all[RSM_DATA_MASK_LEN(8)];
		char base[N], upd[N], want[N], got[N];
		struct mput m[3];
		uint32_t done, i;

		for (i = 0; i < N; i++) {
			base[i] = (char)(i * 7 + 1);
			upd[i] = (char)~base[i];
		}
		assert_int_equal(raw_put(&r, 4096 + 3, base, N), RSM_SUCCESS);
		/* Every third byte, and the last. */
		memset(mk, 0, sizeof(mk));
		memcpy(want, base, N);
		for (i = 0; i < N; i++)
			if (i % 3 == 0 || i == N - 1) {
				mk[i / 8] |= (uint8_t)(1u << (i % 8));
				want[i] = upd[i];
			}
		m[0] = (struct mput){ 4096 + 3, N, mk, upd };
		assert_int_equal(raw_putm(&r, m, 1, &done), RSM_SUCCESS);
		assert_int_equal(done, 1);
		assert_int_equal(raw_get(&r, 4096 + 3, got, N), RSM_SUCCESS);
		assert_memory_equal(got, want, N);
		/* A mask of nothing writes nothing. */
		memset(mk, 0, sizeof(mk));
		assert_int_equal(raw_putm(&r, m, 1, &done), RSM_SUCCESS);
		assert_int_equal(raw_get(&r, 4096 + 3, got, N), RSM_SUCCESS);
		assert_memory_equal(got, want, N);
		/* Stopped at entry 1 (past the end): entry 0 done, 2 not. */
		memset(all, 0xff, sizeof(all));
		assert_int_equal(raw_put(&r, 0, base, 8), RSM_SUCCESS);
		assert_int_equal(raw_put(&r, 16, base, 8), RSM_SUCCESS);
		m[0] = (struct mput){ 0, 8, all, upd };
		m[1] = (struct mput){ g.size - 4, 8, all, upd };
		m[2] = (struct mput){ 16, 8, all, upd };
		assert_int_equal(raw_putm(&r, m, 3, &done), RSMERR_BAD_LENGTH);
		assert_int_equal(done, 1);
		assert_int_equal(raw_get(&r, 0, got, 8), RSM_SUCCESS);
		assert_memory_equal(got, upd, 8);
		assert_int_equal(raw_get(&r, 16, got, 8), RSM_SUCCESS);
		assert_memory_equal(got, base, 8);
		/* Offsets past the end and one that would overflow. */
		m[0] = (struct mput){ g.size, 8, all, upd };
		assert_int_equal(raw_putm(&r, m, 1, &done), RSMERR_BAD_LENGTH);
		assert_int_equal(done, 0);
		m[0] = (struct mput){ UINT64_MAX - 3, 8, all, upd };
		assert_int_equal(raw_putm(&r, m, 1, &done), RSMERR_BAD_LENGTH);
		assert_int_equal(done, 0);
		/* Still usable: the largest span, up to the segment's end. */
		{
			static char big[RSM_DATA_PUTM_SPAN_MAX];
			static uint8_t bm[RSM_DATA_MASK_LEN(
			    RSM_DATA_PUTM_SPAN_MAX)];

			memset(big, 0x33, sizeof(big));
			memset(bm, 0xff, sizeof(bm));
			m[0] = (struct mput){ g.size - sizeof(big),
			    (uint32_t)sizeof(big), bm, big };
			assert_int_equal(raw_putm(&r, m, 1, &done),
			    RSM_SUCCESS);
			assert_int_equal(raw_get(&r, g.size - 8, got, 8),
			    RSM_SUCCESS);
			assert_memory_equal(got, big, 8);
		}
	}
	/* ATOMIC: misaligned and outside answered, the link kept. */
	{
		uint64_t old = 0, v = 40;

		assert_int_equal(raw_put(&r, 64, &v, 8), RSM_SUCCESS);
		assert_int_equal(raw_atomic(&r, 68, RSM_DATA_AOP_FADD, 8, 1,
		    0, &old), RSMERR_BAD_OFFSET);
		assert_int_equal(raw_atomic(&r, g.size, RSM_DATA_AOP_FADD, 4,
		    1, 0, &old), RSMERR_BAD_OFFSET);
		assert_int_equal(raw_atomic(&r, UINT64_MAX - 7,
		    RSM_DATA_AOP_SWAP, 8, 1, 0, &old), RSMERR_BAD_OFFSET);
		assert_int_equal(raw_atomic(&r, 64, RSM_DATA_AOP_FADD, 8, 2,
		    0, &old), RSM_SUCCESS);
		assert_int_equal(old, 40);
		assert_int_equal(raw_atomic(&r, 64, RSM_DATA_AOP_CAS, 8, 7,
		    42, &old), RSM_SUCCESS);
		assert_int_equal(old, 42);
		assert_int_equal(raw_get(&r, 64, &v, 8), RSM_SUCCESS);
		assert_int_equal(v, 7);
	}
	raw_close(&r);

	/* A read-only token: the server refuses writes, keeps the link. */
	raw_open(&r, RSM_PERM_READ, 1);
	assert_int_equal(raw_get(&r, 0, chk, 64), RSM_SUCCESS);
	memset(buf, 0xee, 64);
	assert_int_equal(raw_put(&r, 0, buf, 64), RSMERR_PERM_DENIED);
	assert_int_equal(raw_get(&r, 0, buf, 64), RSM_SUCCESS);
	assert_memory_equal(buf, chk, 64);
	/* A masked put too, its bytes dropped, the link kept. */
	{
		uint8_t all[RSM_DATA_MASK_LEN(64)];
		struct mput m = { 0, 64, all, buf };
		uint32_t done = 9;

		memset(all, 0xff, sizeof(all));
		memset(buf, 0xee, 64);
		assert_int_equal(raw_putm(&r, &m, 1, &done),
		    RSMERR_PERM_DENIED);
		assert_int_equal(done, 0);
		assert_int_equal(raw_get(&r, 0, buf, 64), RSM_SUCCESS);
		assert_memory_equal(buf, chk, 64);
	}
	/* An atomic writes too: refused, the word unchanged. */
	{
		uint64_t old = 0;

		assert_int_equal(raw_atomic(&r, 0, RSM_DATA_AOP_SWAP, 8, 1, 0,
		    &old), RSMERR_PERM_DENIED);
		assert_int_equal(raw_get(&r, 0, buf, 64), RSM_SUCCESS);
		assert_memory_equal(buf, chk, 64);
	}
	raw_close(&r);
}

/* ---- a flood while a legitimate importer works ---- */

struct legit {
	uint64_t		 ms;	/* how long to keep working */
	_Atomic uint64_t	*rounds; /* h_shared: rounds done */
};

static int
legit_importer(void *arg)
{
	struct legit *lg = arg;
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t h;
	rsmapi_barrier_t bar;
	char out[4096], in[4096];
	uint64_t end = h_now_ms() + lg->ms;
	int rounds = 0;

	H_CHECK_RC(rsm_get_controller("tcp0", &c), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(c, H_NODE_ID, g.segid,
	    RSM_PERM_RDWR, &h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_init_barrier(h, RSM_BAR_DEFAULT, &bar),
	    RSM_SUCCESS);
	while (h_now_ms() < end || rounds < 10) {
		h_fill(out, sizeof(out), (uint64_t)rounds);
		H_CHECK_RC(rsm_memseg_import_put(h, 8192, out, sizeof(out)),
		    RSM_SUCCESS);
		H_CHECK_RC(rsm_memseg_import_get(h, 8192, in, sizeof(in)),
		    RSM_SUCCESS);
		H_CHECK(memcmp(in, out, sizeof(in)) == 0);
		rounds++;
		atomic_store(lg->rounds, (uint64_t)rounds);
		/* The pace of an ordinary user, not a synchronisation. */
		h_sleep_ms(5);
	}
	H_CHECK_RC(rsm_memseg_import_disconnect(h), RSM_SUCCESS);
	return 0;
}

static int
legit_working(void *arg)
{
	struct legit *lg = arg;

	return atomic_load(lg->rounds) > 0;
}

/*
 * The refusal log keeps DS_LOG_PER_SEC lines per second of the daemon's
 * CLOCK_MONOTONIC, the clock h_now_ms reads: wait for a second in which
 * nothing has been refused yet, so that the flood's refusals are logged
 * whatever the earlier tests used up.  Such a second comes when the
 * refusal count does not move across a second boundary.
 */
static void
wait_fresh_log_second(void)
{
	uint64_t end = h_now_ms() + 5000, before, sec;

	for (;;) {
		before = refused_now();
		sec = h_now_ms() / 1000;
		/* Polls the clock itself: the observable here is the time. */
		while (h_now_ms() / 1000 == sec)
			h_sleep_ms(H_POLL_MS);
		if (refused_now() == before)
			return;
		assert_true(h_now_ms() < end);
	}
}

static void
test_flood(void **state)
{
	enum { NFLOOD = 400 };
	int fds[NFLOOD], n = 0, closed = 0;
	struct rsm_msg_connect_reply rep;
	struct legit lg = { 4500, NULL };
	uint64_t before;
	pid_t legit;
	int ctl, st;

	(void)state;
	ctl = tu_get_cap(&g.d, g.segid, RSM_PERM_READ, &rep, &st);
	assert_true(ctl >= 0);
	assert_non_null(lg.rounds = h_shared(sizeof(*lg.rounds)));
	legit = h_spawn(legit_importer, &lg, (uid_t)-1, T_CHILD / 1000);
	assert_true(legit > 0);
	/* Connected and moving data before the flood begins. */
	assert_int_equal(h_wait_until(legit_working, &lg, T_MSG), 0);
	wait_fresh_log_second();
	before = refused_now();
	/* Connections that never say HELLO, far above the daemon's limits. */
	for (int i = 0; i < NFLOOD; i++) {
		fds[n] = tu_data_open(&rep.cap);
		if (fds[n] >= 0)
			n++;
	}
	assert_true(n > 0);
	/* Over the limit: closed at once; the rest when HELLO time is up. */
	for (int i = 0; i < n; i++)
		closed += tu_closed_within(fds[i], i < 32 ? 3000 : 100);
	assert_true(closed == n);
	assert_true(refused_now() >= before + (uint64_t)n / 2);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	assert_int_equal(h_wait(legit, T_CHILD), 0);
	h_pages_free((void *)lg.rounds, sizeof(*lg.rounds));
	assert_true(log_has("too many connections without a token"));
	assert_true(log_has("no token within"));
	close(ctl);
}

/* ---- setup ---- */

static int
group_setup(void **state)
{
	(void)state;
	g.size = 16 * h_pagesize();
	return tu_group_start(&g, NULL, T_MSG);
}

static int
group_teardown(void **state)
{
	(void)state;
	tu_group_stop(&g, T_CHILD);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_frames,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_tokens,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_bounds_and_rights,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_flood,
		    h_test_setup, h_test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
