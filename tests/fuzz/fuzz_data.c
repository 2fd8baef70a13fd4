/*
 * fuzz_data.c - libFuzzer target for the data protocol's checks, fed a
 * TCP byte stream as rsmd's data server reads it: a header, checked with
 * rsm_data_check_req(); for a vector request its table, checked with
 * rsm_data_check_vec(); for ATOMIC and SIGNAL their bodies, checked
 * with rsm_data_check_atomic() and rsm_data_check_signal(); then the
 * payload it declares is skipped.  A PUTM's table is checked with
 * rsm_data_check_putm() and against a segment with
 * rsm_data_vec_in_bounds(), and each entry's mask with
 * rsm_data_check_mask() and then applied, as the server does, to a
 * buffer of exactly the span's size, whose bytes outside the mask must
 * keep their value.  The
 * same bytes are also read as replies, the way the library's tcp
 * transport checks them.  Every accepted header's promises are verified
 * here, so a check that lets a bad frame through aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsmapi.h"
#include "rsm_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_accepted_req(const struct rsm_data_hdr *h)
{
	if (h->id == 0 || h->len > RSM_DATA_FRAME_MAX || h->status != 0)
		abort();
	if ((h->op == RSM_DOP_PUTV || h->op == RSM_DOP_GETV ||
	    h->op == RSM_DOP_PUTM) &&
	    (h->count == 0 || h->count > RSM_DATA_OP_VEC_MAX(h->op) ||
	    h->off != 0))
		abort();
	if (h->op == RSM_DOP_HELLO &&
	    h->len != sizeof(struct rsm_data_hello_req))
		abort();
	if (h->op == RSM_DOP_ATOMIC && h->len != sizeof(struct rsm_data_atomic))
		abort();
	if (h->op == RSM_DOP_SIGNAL && h->len != sizeof(struct rsm_data_signal))
		abort();
}

/* What an accepted body promises the server. */
static void
check_accepted_body(const struct rsm_data_hdr *h, const uint8_t *p)
{
	struct rsm_data_atomic a;
	struct rsm_data_signal sg;

	if (h->op == RSM_DOP_ATOMIC) {
		memcpy(&a, p, sizeof(a));
		if (rsm_data_check_atomic(&a) != 0)
			return;
		if ((a.width != 4 && a.width != 8) || a.op < RSM_DATA_AOP_FADD ||
		    a.op > RSM_DATA_AOP_SWAP ||
		    (a.width == 4 && ((a.operand | a.compare) >> 32) != 0))
			abort();
	} else if (h->op == RSM_DOP_SIGNAL) {
		memcpy(&sg, p, sizeof(sg));
		if (rsm_data_check_signal(&sg) == 0 && (sg.flags & ~(uint32_t)RSM_SIGPOST_NO_ACCUMULATE) != 0)
			abort();
	}
}

/* The segment a PUTM's entries are checked against. */
#define FUZZ_SEG_SIZE	((uint64_t)1 << 20)

/*
 * A PUTM table rsm_data_check_putm() accepted, and its entries' masks
 * and spans from p (h->len bytes): what the server relies on.  Returns
 * 0, or -1 at the first mask it would refuse.
 */
static int
check_putm_payload(const struct rsm_data_hdr *h, const struct rsm_data_vec *v,
    const uint8_t *p)
{
	uint64_t sum = 0;
	uint32_t i, k;
	size_t j, mlen;
	char *dst;

	for (i = 0; i < h->count; i++) {
		if (v[i].len == 0 || v[i].len > RSM_DATA_PUTM_SPAN_MAX)
			abort();
		sum += RSM_DATA_MASK_LEN(v[i].len) + v[i].len;
	}
	if (sum != h->len)
		abort();
	k = rsm_data_vec_in_bounds(v, h->count, FUZZ_SEG_SIZE);
	for (i = 0; i < k; i++)
		if (!rsm_data_in_bounds(v[i].off, v[i].len, FUZZ_SEG_SIZE))
			abort();
	if (k > h->count || (k < h->count &&
	    rsm_data_in_bounds(v[k].off, v[k].len, FUZZ_SEG_SIZE)))
		abort();
	for (i = 0; i < h->count; i++) {
		mlen = RSM_DATA_MASK_LEN((size_t)v[i].len);
		if (rsm_data_check_mask(p, v[i].len) != 0)
			return -1;
		if (v[i].len % 8 != 0 && (p[mlen - 1] >> (v[i].len % 8)) != 0)
			abort();
		/* Exactly the span: a write past it is the sanitizer's. */
		if ((dst = malloc((size_t)v[i].len)) == NULL)
			abort();
		memset(dst, 0x5a, (size_t)v[i].len);
		rsm_data_mask_apply(dst, (const char *)p + mlen, p,
		    (size_t)v[i].len);
		for (j = 0; j < v[i].len; j++)
			if (dst[j] != ((p[j / 8] >> (j % 8)) & 1u ?
			    (char)p[mlen + j] : (char)0x5a))
				abort();
		free(dst);
		p += mlen + v[i].len;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rsm_data_hdr h;
	struct rsm_data_vec v[RSM_DATA_PUTV_MAX];
	size_t off = 0, vlen;
	uint64_t sum;
	uint32_t i;

	/* The first header as a reply to each kind of request. */
	if (size >= sizeof(h)) {
		memcpy(&h, data, sizeof(h));
		for (i = RSM_DOP_HELLO; i <= RSM_DOP_PUTM; i++)
			if (rsm_data_check_reply(&h, (uint8_t)i, h.id, 4096,
			    4) == 0 && (h.len > 4096 || h.count > 4))
				abort();
	}
	/* The input as a stream of requests. */
	while (size - off >= sizeof(h)) {
		memcpy(&h, data + off, sizeof(h));
		off += sizeof(h);
		if (rsm_data_check_req(&h) != 0)
			break;
		check_accepted_req(&h);
		if (h.op == RSM_DOP_PUTV || h.op == RSM_DOP_GETV) {
			vlen = h.count * sizeof(v[0]);
			if (size - off < vlen)
				break;
			memcpy(v, data + off, vlen);
			off += vlen;
			if (rsm_data_check_vec(&h, v) != 0)
				break;
			for (sum = 0, i = 0; i < h.count; i++)
				sum += v[i].len;
			if (sum != h.len)
				abort();
		}
		if (h.op == RSM_DOP_PUTM) {
			vlen = h.count * sizeof(v[0]);
			if (size - off < vlen)
				break;
			memcpy(v, data + off, vlen);
			off += vlen;
			if (rsm_data_check_putm(&h, v) != 0)
				break;
			if (size - off < h.len)
				break;
			if (check_putm_payload(&h, v, data + off) != 0)
				break;
			off += h.len;
			continue;
		}
		if (h.op == RSM_DOP_GET || h.op == RSM_DOP_GETV)
			continue;	/* the request carries no payload */
		if (size - off < h.len)
			break;
		check_accepted_body(&h, data + off);
		off += h.len;
	}
	return 0;
}
