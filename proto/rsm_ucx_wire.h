/*
 * rsm_ucx_wire.h - what crosses a ucx0 endpoint besides the data itself.
 *
 * An importer reaches the exporting daemon's UCP listener at the
 * capability's addr:port (one endpoint per import, error handling mode
 * PEER) and sends HELLO, an active message whose header carries the
 * token and a cookie of its choosing.  The daemon answers READY on the
 * same endpoint: the cookie, a status (RSM_SUCCESS or the RSMERR_* of a
 * refusal), the remote address of offset 0 of the segment, its size, and
 * as data the rkey packed by ucp_rkey_pack() over the segment's
 * ucp_mem_map() with exactly the import's rights.  Puts and gets are then
 * ucp_put_nbx/ucp_get_nbx at base + offset.  SIGNAL (header only) rings
 * the exporter as a control-channel post would; the importer flushes the
 * endpoint first, so it follows every put before it.
 *
 * Every header is read as hostile: exact size, magic, known flags.
 */
#ifndef RSM_UCX_WIRE_H
#define RSM_UCX_WIRE_H

#include <stdint.h>

#include "rsm_proto.h"

#define RSM_UCX_MAGIC		0x52534d55u	/* "RSMU" */

/* Active message ids. */
#define RSM_UCX_AM_HELLO	0x5201u		/* importer -> daemon */
#define RSM_UCX_AM_READY	0x5202u		/* daemon -> importer */
#define RSM_UCX_AM_SIGNAL	0x5203u		/* importer -> daemon */

/* A packed rkey larger than this is refused (UCX's are well under 1 KiB). */
#define RSM_UCX_RKEY_MAX	4096u

struct rsm_ucx_hello {
	uint32_t magic;
	uint32_t pad;			/* zero */
	uint64_t cookie;		/* echoed in READY */
	uint8_t  token[RSM_CAP_TOKEN_LEN];
};

struct rsm_ucx_ready {
	uint32_t magic;
	int32_t  status;		/* RSM_SUCCESS or RSMERR_* */
	uint64_t cookie;
	uint64_t base;			/* remote address of offset 0 */
	uint64_t size;			/* segment size, bytes */
	uint32_t rkey_len;		/* the AM's data length */
	uint32_t perm;			/* RSM_PERM_* the rkey grants */
};

struct rsm_ucx_signal {
	uint32_t magic;
	uint32_t flags;			/* RSM_SIGPOST_NO_ACCUMULATE */
};

#endif /* RSM_UCX_WIRE_H */
