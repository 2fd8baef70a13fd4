/*
 * test_tcp_sealed.c - the data port of controller tcp0 with
 * data_encrypt = yes, facing a raw client that builds its records with
 * proto/rsm_data_seal.h: the CHALLENGE names the cipher; a sealed GET
 * and PUT move the right bytes; a HELLO proven for a CHALLENGE whose
 * cipher was changed to none (a downgrade) is refused; and a frame in the
 * clear after HELLO, a record length out of range, a changed record, a
 * replayed one and one cut short are each refused, counted, and close
 * the connection, with the segment's bytes untouched.  The library's
 * own put and get through tcp0 work sealed too.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <rsmapi.h>

#include "rsm_data_seal.h"
#include "tcp_util.h"

#define T_MSG		10000
#define T_CHILD		25000
#define T_CLOSE_MS	1500

static struct tu_group g = { .segid = 0x400600u };
static char *g_want;		/* the exporter's initial bytes */


static uint64_t
refused_now(void)
{
	struct rsm_msg_status st;

	assert_int_equal(h_rsmd_status(&g.d, &st), 0);
	return st.refused;
}

static void
assert_refused_after(uint64_t before)
{
	uint64_t end = h_now_ms() + T_CLOSE_MS;

	while (refused_now() <= before && h_now_ms() < end)
		h_sleep_ms(5);
	assert_true(refused_now() > before);
}

/* A raw sealed connection: the import, its socket, its records. */
struct sraw {
	int ctl;
	int fd;
	struct rsm_msg_connect_reply rep;
	struct rsm_data_challenge chal;
	struct rsm_data_hello_req hello;
	struct rsm_seal *seal;
	uint64_t next_id;
};

/* Up to HELLO, answered; with `downgrade` proven for cipher none. */
static int
sraw_open(struct sraw *r, int downgrade)
{
	struct rsm_data_hello_reply hr;
	struct rsm_data_challenge proved;
	int st;

	memset(r, 0, sizeof(*r));
	r->ctl = tu_get_cap(&g.d, g.segid, RSM_PERM_RDWR, &r->rep, &st);
	assert_true(r->ctl >= 0);
	r->fd = tu_data_open(&r->rep.cap);
	assert_true(r->fd >= 0);
	assert_int_equal(tu_challenge(r->fd, &r->chal), 0);
	assert_int_equal(r->chal.cipher, rsm_seal_cipher_pick());
	memset(r->hello.nonce, 0x5e, sizeof(r->hello.nonce));
	proved = r->chal;
	if (downgrade)
		proved.cipher = RSM_DATA_CIPHER_NONE;
	rsm_data_hello_prove_tcp(r->rep.cap.token, &proved, &r->hello);
	st = tu_hello_raw(r->fd, &r->hello, 1, &hr);
	r->next_id = 2;
	if (st == RSM_SUCCESS) {
		r->seal = rsm_seal_new(r->rep.cap.token, &r->chal,
		    r->hello.nonce, 0);
		assert_non_null(r->seal);
	}
	return st;
}

static void
sraw_close(struct sraw *r)
{
	rsm_seal_free(r->seal);
	if (r->fd >= 0)
		close(r->fd);
	if (r->ctl >= 0)
		close(r->ctl);
	r->fd = r->ctl = -1;
	r->seal = NULL;
}

/* Seal [p, p + len) as one record into wire; its length. */
static size_t
seal_one(struct sraw *r, const void *p, size_t len, uint8_t *wire)
{
	struct iovec iov = { (void *)(uintptr_t)p, len };
	const void *rec;
	size_t rlen;

	assert_int_equal(rsm_seal_put(r->seal, &iov, 1), (ssize_t)len);
	rec = rsm_seal_out(r->seal, &rlen);
	memcpy(wire, rec, rlen);
	rsm_seal_sent(r->seal, rlen);
	return rlen;
}

/* Read and open records until len bytes of frames are in. */
static int
take_all(struct sraw *r, void *p, size_t len)
{
	struct iovec iov;
	size_t got = 0, room;
	ssize_t n;
	void *space;

	while (got < len) {
		iov.iov_base = (char *)p + got;
		iov.iov_len = len - got;
		if ((n = rsm_seal_take(r->seal, &iov, 1)) < 0)
			return -1;
		got += (size_t)n;
		if (got == len)
			break;
		space = rsm_seal_in_space(r->seal, &room);
		/* Bounded: the socket has a receive timeout (tu_data_open). */
		if ((n = recv(r->fd, space, room, 0)) <= 0)
			return -1;
		rsm_seal_in_got(r->seal, (size_t)n);
	}
	return 0;
}

static void
sealed_get(struct sraw *r, uint64_t off, void *dst, uint32_t len)
{
	uint8_t wire[sizeof(struct rsm_data_hdr) + RSM_SEAL_OVERHEAD];
	struct rsm_data_hdr h, rh;
	uint64_t id = r->next_id++;

	rsm_data_hdr_init(&h, RSM_DOP_GET, 0, id, off, len, 0);
	assert_int_equal(h_send(r->fd, wire, seal_one(r, &h, sizeof(h),
	    wire)), 0);
	assert_int_equal(take_all(r, &rh, sizeof(rh)), 0);
	assert_int_equal(rsm_data_check_reply(&rh, RSM_DOP_GET, id, len, 1),
	    0);
	assert_int_equal(rh.status, RSM_SUCCESS);
	assert_int_equal(take_all(r, dst, len), 0);
}

static void
test_sealed_frames(void **state)
{
	/* No padding: exactly the frame. */
	struct {
		struct rsm_data_hdr h;
		uint8_t data[96];
	} put;
	uint8_t wire[sizeof(put) + RSM_SEAL_OVERHEAD], buf[4096];

	_Static_assert(sizeof(put) == sizeof(put.h) + sizeof(put.data),
	    "one frame");
	struct rsm_data_hdr rh;
	struct sraw r;
	size_t wlen;

	(void)state;
	assert_int_equal(sraw_open(&r, 0), RSM_SUCCESS);
	sealed_get(&r, 0, buf, sizeof(buf));
	assert_memory_equal(buf, g_want, sizeof(buf));
	/* A PUT in one record, header and data together. */
	rsm_data_hdr_init(&put.h, RSM_DOP_PUT, 0, r.next_id++, 8192,
	    sizeof(put.data), 0);
	memset(put.data, 0xab, sizeof(put.data));
	wlen = seal_one(&r, &put, sizeof(put), wire);
	assert_int_equal(h_send(r.fd, wire, wlen), 0);
	assert_int_equal(take_all(&r, &rh, sizeof(rh)), 0);
	assert_int_equal(rh.status, RSM_SUCCESS);
	sealed_get(&r, 8192, buf, sizeof(put.data));
	assert_memory_equal(buf, put.data, sizeof(put.data));
	memcpy(g_want + 8192, put.data, sizeof(put.data));
	sraw_close(&r);
}

static void
test_downgrade_refused(void **state)
{
	struct sraw r;
	uint64_t before = refused_now();

	(void)state;
	/* The importer saw cipher none: its proof fails the server's. */
	assert_int_equal(sraw_open(&r, 1), RSMERR_CONN_ABORTED);
	assert_true(tu_closed_within(r.fd, T_CLOSE_MS));
	assert_refused_after(before);
	sraw_close(&r);
}

/*
 * On r, open past HELLO, send wire[0..len) (then EOF if eof): refused
 * and closed, and the segment's bytes as they were.
 */
static void
expect_refused(struct sraw *r, const uint8_t *wire, size_t len, int eof)
{
	uint64_t before = refused_now();
	uint8_t buf[4096];

	assert_int_equal(h_send(r->fd, wire, len), 0);
	if (eof)
		shutdown(r->fd, SHUT_WR);
	assert_true(tu_closed_within(r->fd, T_CLOSE_MS));
	assert_refused_after(before);
	sraw_close(r);
	assert_int_equal(sraw_open(r, 0), RSM_SUCCESS);
	sealed_get(r, 8192 - 2048, buf, sizeof(buf));
	assert_memory_equal(buf, g_want + 8192 - 2048, sizeof(buf));
	sraw_close(r);
}

static void
test_bad_records(void **state)
{
	struct {
		struct rsm_data_hdr h;
		uint8_t data[64];
	} put;
	uint8_t wire[2 * (sizeof(put) + RSM_SEAL_OVERHEAD)];
	struct rsm_data_hdr clear;
	uint32_t len;
	struct sraw r;
	size_t wlen;

	(void)state;
	/* A frame in the clear where a record belongs. */
	rsm_data_hdr_init(&clear, RSM_DOP_GET, 0, 2, 0, 8, 0);
	assert_int_equal(sraw_open(&r, 0), RSM_SUCCESS);
	expect_refused(&r, (const uint8_t *)&clear, sizeof(clear), 0);
	/* Record lengths out of range, refused on the length alone. */
	len = 0;
	assert_int_equal(sraw_open(&r, 0), RSM_SUCCESS);
	expect_refused(&r, (const uint8_t *)&len, sizeof(len), 0);
	len = RSM_SEAL_REC_MAX + 1;
	assert_int_equal(sraw_open(&r, 0), RSM_SUCCESS);
	expect_refused(&r, (const uint8_t *)&len, sizeof(len), 0);

	/* A PUT of 0xcd over bytes the segment holds, in one record: */
	rsm_data_hdr_init(&put.h, RSM_DOP_PUT, 0, 2, 8192 - 1024,
	    sizeof(put.data), 0);
	memset(put.data, 0xcd, sizeof(put.data));
	/* one bit of its data changed, */
	assert_int_equal(sraw_open(&r, 0), RSM_SUCCESS);
	wlen = seal_one(&r, &put, sizeof(put), wire);
	wire[RSM_SEAL_HDR_LEN + sizeof(put.h) + 5] ^= 0x10;
	expect_refused(&r, wire, wlen, 0);
	/* its tag changed, */
	assert_int_equal(sraw_open(&r, 0), RSM_SUCCESS);
	wlen = seal_one(&r, &put, sizeof(put), wire);
	wire[wlen - 1] ^= 0x80;
	expect_refused(&r, wire, wlen, 0);
	/* its length changed (it is authenticated too), */
	assert_int_equal(sraw_open(&r, 0), RSM_SUCCESS);
	wlen = seal_one(&r, &put, sizeof(put), wire);
	wire[0] ^= 0x01;
	expect_refused(&r, wire, wlen + 1, 0);
	/* one sealed for another connection, */
	assert_int_equal(sraw_open(&r, 0), RSM_SUCCESS);
	wlen = seal_one(&r, &put, sizeof(put), wire);
	sraw_close(&r);
	assert_int_equal(sraw_open(&r, 0), RSM_SUCCESS);
	expect_refused(&r, wire, wlen, 0);
	/* and one cut short before its tag. */
	assert_int_equal(sraw_open(&r, 0), RSM_SUCCESS);
	wlen = seal_one(&r, &put, sizeof(put), wire);
	expect_refused(&r, wire, wlen - 1, 1);
}

/* Replayed within its own connection: the first copy lands, the second fails. */
static void
test_replay_same_connection(void **state)
{
	struct {
		struct rsm_data_hdr h;
		uint8_t data[64];
	} put;
	uint8_t wire[2 * (sizeof(put) + RSM_SEAL_OVERHEAD)], buf[64];
	uint64_t before;
	struct sraw r;
	size_t wlen;

	(void)state;
	assert_int_equal(sraw_open(&r, 0), RSM_SUCCESS);
	before = refused_now();
	rsm_data_hdr_init(&put.h, RSM_DOP_PUT, 0, r.next_id++, 12288,
	    sizeof(put.data), 0);
	memset(put.data, 0xef, sizeof(put.data));
	wlen = seal_one(&r, &put, sizeof(put), wire);
	memcpy(wire + wlen, wire, wlen);
	assert_int_equal(h_send(r.fd, wire, 2 * wlen), 0);
	assert_true(tu_closed_within(r.fd, T_CLOSE_MS));
	assert_refused_after(before);
	sraw_close(&r);
	assert_int_equal(sraw_open(&r, 0), RSM_SUCCESS);
	sealed_get(&r, 12288, buf, sizeof(buf));
	assert_memory_equal(buf, put.data, sizeof(buf));
	memcpy(g_want + 12288, put.data, sizeof(put.data));
	sraw_close(&r);
}

static int
importer(void *arg)
{
	struct h_imp ip;
	char *buf = malloc(g.size), *back = malloc(g.size);

	(void)arg;
	H_CHECK(buf != NULL && back != NULL);
	H_CHECK(h_imp_connect(&ip, "tcp0", g.segid, RSM_PERM_RDWR) == 0);
	h_fill(buf, g.size, 9);
	H_CHECK_RC(rsm_memseg_import_put(ip.h, 0, buf, g.size), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get(ip.h, 0, back, g.size), RSM_SUCCESS);
	H_CHECK(memcmp(buf, back, g.size) == 0);
	free(buf);
	free(back);
	return 0;
}

static void
test_library_sealed(void **state)
{
	pid_t p;

	(void)state;
	p = h_spawn(importer, NULL, (uid_t)-1, T_CHILD / 1000);
	assert_true(p > 0);
	assert_int_equal(h_wait(p, T_CHILD), 0);
	h_fill(g_want, g.size, 9);
}

static int
group_setup(void **state)
{
	(void)state;
	/* Larger than a record, so the library's transfers span several. */
	g.size = 64 * h_pagesize();
	if ((g_want = h_pages(g.size)) == NULL)
		return -1;
	h_fill(g_want, g.size, 5);
	return tu_group_start(&g, "data_encrypt = yes\n", T_MSG);
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
		cmocka_unit_test_setup_teardown(test_sealed_frames,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_downgrade_refused,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_bad_records,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_replay_same_connection,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_library_sealed,
		    h_test_setup, h_test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
