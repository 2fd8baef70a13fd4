/*
 * fuzz_seal.c - libFuzzer target for the sealed records of tcp0
 * (proto/rsm_data_seal.c), the first code a sealed connection's bytes
 * meet in rsmd.  The first byte chooses:
 *
 *   even  the rest is what a hostile importer sends: fed to a receiving
 *         side in pieces, taken out through iovecs of varying sizes; a
 *         take must never hand out more than asked, nor anything once a
 *         record failed (no forgery gets through: random bytes never
 *         carry a valid tag)
 *   odd   the rest is plaintext: sealed in records of sizes the input
 *         chooses, delivered in pieces, taken in pieces, and it must
 *         come out whole and equal; with the first byte's bit 1 set, one
 *         byte of the wire is flipped, and the take must then fail
 *
 * Piece sizes come from the input too, so the buffer's compaction and
 * every boundary case are reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsm_data_seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rsm_seal *
side(int server)
{
	static const uint8_t token[RSM_CAP_TOKEN_LEN] = { 1, 2, 3 };
	static const uint8_t cnonce[RSM_DATA_NONCE_LEN] = { 4, 5, 6 };
	struct rsm_data_challenge chal;

	memset(&chal, 0, sizeof(chal));
	chal.nonce[0] = 7;
	chal.cipher = rsm_seal_cipher_pick();
	return rsm_seal_new(token, &chal, cnonce, server);
}

/* Deliver up to len bytes; how many went in (the buffer may be full). */
static size_t
deliver(struct rsm_seal *s, const uint8_t *p, size_t len)
{
	size_t room;
	void *space = rsm_seal_in_space(s, &room);

	if (len > room)
		len = room;
	memcpy(space, p, len);
	rsm_seal_in_got(s, len);
	return len;
}

/* Take up to want bytes in two iovecs; the result, checked. */
static ssize_t
take(struct rsm_seal *s, uint8_t *dst, size_t want, size_t split)
{
	struct iovec iov[2];
	ssize_t n;

	if (split > want)
		split = want;
	iov[0].iov_base = dst;
	iov[0].iov_len = split;
	iov[1].iov_base = dst + split;
	iov[1].iov_len = want - split;
	n = rsm_seal_take(s, iov, 2);
	if (n > (ssize_t)want ||
	    (n < 0 && n != RSM_SEAL_EBADLEN && n != RSM_SEAL_EBADTAG))
		abort();
	return n;
}

static void
hostile(const uint8_t *data, size_t size)
{
	static uint8_t dst[1u << 17];
	struct rsm_seal *rx = side(1);
	size_t off = 0, piece;
	ssize_t n;

	if (rx == NULL)
		abort();
	while (off < size) {
		piece = 1 + data[off] * 331u % 70000u;
		if (piece > size - off)
			piece = size - off;
		off += deliver(rx, data + off, piece);
		n = take(rx, dst, 1 + data[off - 1] * 517u % sizeof(dst),
		    data[off - 1]);
		if (n < 0)
			break;
		/* Nothing authenticated can come from bytes without a key. */
		if (n > 0)
			abort();
	}
	rsm_seal_free(rx);
}

static void
roundtrip(const uint8_t *data, size_t size, int flip)
{
	static uint8_t got[1u << 16], wire[RSM_SEAL_REC_MAX +
	    RSM_SEAL_OVERHEAD];
	struct rsm_seal *tx = side(0), *rx = side(1);
	size_t sealed = 0, out = 0, k, wlen, in, room;
	struct iovec iov;
	const void *rec;
	ssize_t n;
	int failed = 0;

	if (tx == NULL || rx == NULL)
		abort();
	if (size > sizeof(got))
		size = sizeof(got);
	while (sealed < size && !failed) {
		/* A record of the size the data at this point says. */
		iov.iov_base = (void *)(uintptr_t)(data + sealed);
		iov.iov_len = 1 + data[sealed] * 97u % RSM_SEAL_REC_MAX;
		if (iov.iov_len > size - sealed)
			iov.iov_len = size - sealed;
		if ((n = rsm_seal_put(tx, &iov, 1)) <= 0)
			abort();
		sealed += (size_t)n;
		rec = rsm_seal_out(tx, &wlen);
		memcpy(wire, rec, wlen);
		rsm_seal_sent(tx, wlen);
		if (flip) {
			wire[data[0] % wlen] ^= 0x20;
			flip = 0;
			failed = 1;
		}
		/* In pieces, each followed by a take. */
		for (in = 0; in < wlen; ) {
			k = 1 + (in + data[sealed - 1]) % 3000u;
			if (k > wlen - in)
				k = wlen - in;
			in += deliver(rx, wire + in, k);
			(void)rsm_seal_in_space(rx, &room);
			n = take(rx, got + out, size - out, k);
			if (n < 0) {
				/* Only a flipped byte may fail. */
				if (!failed)
					abort();
				goto done;
			}
			out += (size_t)n;
			if (room == 0 && n == 0)
				abort();
		}
	}
	if (failed) {
		/* A flipped length can leave the record incomplete, never open. */
		if (out > size || rsm_seal_ready(rx))
			abort();
	} else if (out != size || memcmp(got, data, size) != 0) {
		abort();
	}
done:
	rsm_seal_free(tx);
	rsm_seal_free(rx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if ((data[0] & 1) == 0)
		hostile(data + 1, size - 1);
	else
		roundtrip(data + 1, size - 1, (data[0] & 2) != 0);
	return 0;
}
