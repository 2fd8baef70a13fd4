/*
 * fuzz_peer.c - libFuzzer target for the peer frame decoder: the input is
 * a TCP byte stream, cut into frames exactly as rsmd/peer_conn.c does
 * (rsm_peer_frame_len, then rsm_peer_check on the whole frame), and every
 * accepted frame's fields are read as the daemon reads them.  Each frame
 * is copied into a buffer of its own exact size, so reading one byte past
 * what the checks allow is an ASan report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsm_peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static void
use_frame(const uint8_t *f, size_t n)
{
	const uint8_t *p = f + sizeof(struct rsm_peer_hdr);
	struct rsm_peer_hdr h;
	uint32_t blen, i;

	rsm_peer_hdr_decode(f, &h);
	sink += h.id + h.status + rsm_peer_type_name(h.type)[0];
	switch (h.type) {
	case RSM_PEER_HELLO:
		sink += rsm_peer_get32(p) + rsm_peer_get64(p + 8) + p[8 + 8 + 31];
		break;
	case RSM_PEER_AUTH:
		sink += p[RSM_PEER_MAC_LEN - 1];
		break;
	case RSM_PEER_HEARTBEAT:
	case RSM_PEER_PING:
	case RSM_PEER_PONG:
		sink += rsm_peer_get64(p);
		break;
	case RSM_PEER_REQUEST:
	case RSM_PEER_REPLY:
		blen = rsm_peer_get32(p + 4);
		for (i = 0; i < blen; i++)
			sink += p[sizeof(struct rsm_peer_request) + i];
		break;
	default:
		abort();	/* the check let an unknown type through */
	}
	(void)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	long flen;

	/* The whole input as one frame. */
	if (rsm_peer_check(data, size) == 0 &&
	    rsm_peer_frame_len(data, size) != (long)size)
		abort();
	/* The input as a stream of frames. */
	while (off < size) {
		uint8_t *copy;

		flen = rsm_peer_frame_len(data + off, size - off);
		if (flen <= 0 || (size_t)flen > size - off)
			break;
		if (flen > (long)RSM_PEER_FRAME_MAX)
			abort();
		if ((copy = malloc((size_t)flen)) == NULL)
			return 0;
		memcpy(copy, data + off, (size_t)flen);
		if (rsm_peer_check(copy, (size_t)flen) == 0)
			use_frame(copy, (size_t)flen);
		else {
			free(copy);
			break;
		}
		free(copy);
		off += (size_t)flen;
	}
	return 0;
}
