/*
 * fuzz_data.c - libFuzzer target for the data protocol's checks, fed a
 * TCP byte stream as rsmd's data server reads it: a header, checked with
 * rsm_data_check_req(); for a vector request its table, checked with
 * rsm_data_check_vec(); for ATOMIC and SIGNAL their bodies, checked
 * with rsm_data_check_atomic() and rsm_data_check_signal(); then the
 * payload it declares is skipped.  The
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
	if ((h->op == RSM_DOP_PUTV || h->op == RSM_DOP_GETV) &&
	    (h->count == 0 || h->count > RSM_DATA_OP_VEC_MAX(h->op)))
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
		for (i = RSM_DOP_HELLO; i <= RSM_DOP_SIGNAL; i++)
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
		if (h.op == RSM_DOP_GET || h.op == RSM_DOP_GETV)
			continue;	/* the request carries no payload */
		if (size - off < h.len)
			break;
		check_accepted_body(&h, data + off);
		off += h.len;
	}
	return 0;
}
