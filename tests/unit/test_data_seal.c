/*
 * test_data_seal.c - the sealed records of tcp0 (proto/rsm_data_seal.h):
 * both ciphers carry a stream intact across record and iovec boundaries;
 * a changed, replayed, reordered or mis-sized record is refused; the
 * keys differ per direction and per connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rsm_data_seal.h"

struct pair {
	struct rsm_seal	*cli;
	struct rsm_seal	*srv;
};

static void
pair_open(struct pair *p, uint8_t cipher, uint8_t cnonce_byte)
{
	uint8_t token[RSM_CAP_TOKEN_LEN], cnonce[RSM_DATA_NONCE_LEN];
	struct rsm_data_challenge chal;

	memset(token, 0xa5, sizeof(token));
	memset(&chal, 0, sizeof(chal));
	memset(chal.nonce, 0x11, sizeof(chal.nonce));
	chal.cipher = cipher;
	memset(cnonce, cnonce_byte, sizeof(cnonce));
	p->cli = rsm_seal_new(token, &chal, cnonce, 0);
	p->srv = rsm_seal_new(token, &chal, cnonce, 1);
	assert_non_null(p->cli);
	assert_non_null(p->srv);
}

static void
pair_close(struct pair *p)
{
	rsm_seal_free(p->cli);
	rsm_seal_free(p->srv);
}

/*
 * Seal what one put takes of src (records of up to RSM_SEAL_REC_MAX, as
 * many as one send carries) from `from` and hand their bytes to `to`.
 */
static size_t
carry(struct rsm_seal *from, struct rsm_seal *to, const void *src,
    size_t len, uint8_t *wire)
{
	struct iovec iov = { (void *)(uintptr_t)src, len };
	const void *rec;
	size_t rlen, room;
	ssize_t took;
	void *space;

	took = rsm_seal_put(from, &iov, 1);
	assert_true(took > 0);
	rec = rsm_seal_out(from, &rlen);
	assert_int_equal(rlen, (size_t)took + RSM_SEAL_OVERHEAD);
	if (wire != NULL)
		memcpy(wire, rec, rlen);
	if (to != NULL) {
		space = rsm_seal_in_space(to, &room);
		assert_true(room >= rlen);
		memcpy(space, rec, rlen);
		rsm_seal_in_got(to, rlen);
	}
	rsm_seal_sent(from, rlen);
	return (size_t)took;
}

static void
stream_intact(uint8_t cipher)
{
	enum { LEN = 200000 };
	uint8_t *src = malloc(LEN), *dst = malloc(LEN);
	struct iovec out[3];
	struct pair p;
	size_t off = 0, got = 0;
	ssize_t n;
	int i;

	assert_non_null(src);
	assert_non_null(dst);
	for (i = 0; i < LEN; i++)
		src[i] = (uint8_t)(i * 7 + (i >> 9));
	pair_open(&p, cipher, 0x22);
	/*
	 * A record at a time, as the socket would bring them, taken out in
	 * two pieces each time, offset so that they straddle records.
	 */
	while (got < LEN) {
		size_t a, b;

		if (off < LEN && !rsm_seal_ready(p.srv))
			off += carry(p.cli, p.srv, src + off, LEN - off, NULL);
		a = LEN - got < 1000 ? LEN - got : 1000;
		b = LEN - got - a < 70000 ? LEN - got - a : 70000;
		out[0].iov_base = dst + got;
		out[0].iov_len = a;
		out[1].iov_base = dst + got + a;
		out[1].iov_len = b;
		n = rsm_seal_take(p.srv, out, 2);
		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_memory_equal(src, dst, LEN);
	assert_false(rsm_seal_ready(p.srv));
	assert_false(rsm_seal_partial(p.srv));
	/* The other direction has keys of its own. */
	carry(p.srv, p.cli, src, 100, NULL);
	out[0].iov_base = dst;
	out[0].iov_len = 100;
	assert_int_equal(rsm_seal_take(p.cli, out, 1), 100);
	assert_memory_equal(src, dst, 100);
	pair_close(&p);
	free(src);
	free(dst);
}

/*
 * Many small pieces in one put: gathered into whole records, the piece
 * that straddles two records split between them, and everything arrives
 * in order.
 */
static void
test_seal_gather(void **state)
{
	enum { PIECES = 300, PIECE = 1000, LEN = PIECES * PIECE };
	uint8_t *src = malloc(LEN), *dst = malloc(LEN);
	struct iovec in[PIECES], out;
	struct iovec *iov = in;
	size_t sent = 0, got = 0, n;
	int niov = PIECES, i;
	struct pair p;

	(void)state;
	assert_non_null(src);
	assert_non_null(dst);
	for (i = 0; i < LEN; i++)
		src[i] = (uint8_t)(i * 13 + (i >> 11));
	for (i = 0; i < PIECES; i++) {
		in[i].iov_base = src + (size_t)i * PIECE;
		in[i].iov_len = PIECE;
	}
	pair_open(&p, RSM_DATA_CIPHER_CHACHA20, 0x33);
	while (sent < LEN) {
		const void *rec;
		size_t rlen, room;
		ssize_t took = rsm_seal_put(p.cli, iov, niov);
		void *space;

		assert_true(took > 0);
		/* Whole records whenever that much is left. */
		if (LEN - sent >= RSM_SEAL_REC_MAX)
			assert_int_equal((size_t)took, RSM_SEAL_REC_MAX);
		rec = rsm_seal_out(p.cli, &rlen);
		space = rsm_seal_in_space(p.srv, &room);
		assert_true(room >= rlen);
		memcpy(space, rec, rlen);
		rsm_seal_in_got(p.srv, rlen);
		rsm_seal_sent(p.cli, rlen);
		sent += (size_t)took;
		/* Skip what was taken. */
		for (n = (size_t)took; n > 0;) {
			if (n >= iov->iov_len) {
				n -= iov->iov_len;
				iov++;
				niov--;
			} else {
				iov->iov_base = (uint8_t *)iov->iov_base + n;
				iov->iov_len -= n;
				n = 0;
			}
		}
		while (rsm_seal_ready(p.srv)) {
			out.iov_base = dst + got;
			out.iov_len = LEN - got;
			took = rsm_seal_take(p.srv, &out, 1);
			assert_true(took > 0);
			got += (size_t)took;
		}
	}
	assert_int_equal(got, LEN);
	assert_memory_equal(src, dst, LEN);
	pair_close(&p);
	free(src);
	free(dst);
}

static void
test_seal_stream_aes(void **state)
{
	(void)state;
	if (!rsm_seal_cipher_usable(RSM_DATA_CIPHER_AES256GCM))
		skip();
	stream_intact(RSM_DATA_CIPHER_AES256GCM);
}

static void
test_seal_stream_chacha(void **state)
{
	(void)state;
	stream_intact(RSM_DATA_CIPHER_CHACHA20);
}

/* Deliver wire[0..len) to s and try to take 16 bytes. */
static ssize_t
deliver_take(struct rsm_seal *s, const uint8_t *wire, size_t len)
{
	uint8_t buf[16];
	struct iovec iov = { buf, sizeof(buf) };
	size_t room;
	void *space = rsm_seal_in_space(s, &room);

	assert_true(room >= len);
	memcpy(space, wire, len);
	rsm_seal_in_got(s, len);
	return rsm_seal_take(s, &iov, 1);
}

static void
test_seal_refusals(void **state)
{
	uint8_t msg[16] = "sixteen bytes!!", w1[64], w2[64];
	size_t rlen = sizeof(msg) + RSM_SEAL_OVERHEAD;
	uint32_t big = RSM_SEAL_REC_MAX + 1;
	struct pair p;

	(void)state;
	/* One bit changed anywhere: the tag fails, the bytes stay hidden. */
	pair_open(&p, rsm_seal_cipher_pick(), 0x33);
	carry(p.cli, NULL, msg, sizeof(msg), w1);
	w1[RSM_SEAL_HDR_LEN + 3] ^= 0x01;
	assert_int_equal(deliver_take(p.srv, w1, rlen), RSM_SEAL_EBADTAG);
	pair_close(&p);

	/* A replayed record: the counter moved on. */
	pair_open(&p, rsm_seal_cipher_pick(), 0x33);
	carry(p.cli, NULL, msg, sizeof(msg), w1);
	assert_int_equal(deliver_take(p.srv, w1, rlen), 16);
	assert_int_equal(deliver_take(p.srv, w1, rlen), RSM_SEAL_EBADTAG);
	pair_close(&p);

	/* Two records swapped. */
	pair_open(&p, rsm_seal_cipher_pick(), 0x33);
	carry(p.cli, NULL, msg, sizeof(msg), w1);
	carry(p.cli, NULL, msg, sizeof(msg), w2);
	assert_int_equal(deliver_take(p.srv, w2, rlen), RSM_SEAL_EBADTAG);
	pair_close(&p);

	/* A record of another connection (another importer nonce). */
	pair_open(&p, rsm_seal_cipher_pick(), 0x44);
	assert_int_equal(deliver_take(p.srv, w1, rlen), RSM_SEAL_EBADTAG);
	pair_close(&p);

	/* Lengths out of range are refused before anything is read. */
	pair_open(&p, rsm_seal_cipher_pick(), 0x33);
	memset(w1, 0, sizeof(w1));
	assert_int_equal(deliver_take(p.srv, w1, RSM_SEAL_HDR_LEN),
	    RSM_SEAL_EBADLEN);
	pair_close(&p);
	pair_open(&p, rsm_seal_cipher_pick(), 0x33);
	memcpy(w1, &big, sizeof(big));
	assert_true(rsm_seal_ready(p.srv) == 0);
	assert_int_equal(deliver_take(p.srv, w1, RSM_SEAL_HDR_LEN),
	    RSM_SEAL_EBADLEN);
	pair_close(&p);

	/* Half a record: nothing handed out, and it counts as partial. */
	pair_open(&p, rsm_seal_cipher_pick(), 0x33);
	carry(p.cli, NULL, msg, sizeof(msg), w1);
	assert_int_equal(deliver_take(p.srv, w1, rlen - 1), 0);
	assert_true(rsm_seal_partial(p.srv));
	assert_false(rsm_seal_ready(p.srv));
	assert_int_equal(deliver_take(p.srv, w1 + rlen - 1, 1), 16);
	pair_close(&p);
}

static void
test_seal_cipher_names(void **state)
{
	(void)state;
	assert_false(rsm_seal_cipher_usable(RSM_DATA_CIPHER_NONE));
	assert_true(rsm_seal_cipher_usable(rsm_seal_cipher_pick()));
	assert_string_equal(rsm_seal_cipher_name(RSM_DATA_CIPHER_CHACHA20),
	    "chacha20poly1305");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_stream_aes),
		cmocka_unit_test(test_seal_stream_chacha),
		cmocka_unit_test(test_seal_gather),
		cmocka_unit_test(test_seal_refusals),
		cmocka_unit_test(test_seal_cipher_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
