/*
 * rsm_ucx_wire.h - what crosses a ucx0 endpoint besides the data itself.
 *
 * An importer reaches the exporting daemon's UCP listener at the
 * capability's addr:port (one endpoint per import, error handling mode
 * PEER).  The handshake, all active messages on that endpoint, proves the
 * importer holds the capability's token without sending it, as tcp0's
 * and verbs' do (proto/rsm_data.h):
 *   HELLO      importer: the capability's public id (rsm_data_cap_id())
 *              and a cookie of its choosing, echoed in every answer
 *   CHALLENGE  daemon: 32 fresh random bytes for this endpoint alone
 *   PROOF      importer: rsm_data_hello_prove_ucx() over that nonce
 *   READY      daemon, only for a proof that verifies: the cookie, a
 *              status (RSM_SUCCESS or the RSMERR_* of a refusal), the
 *              remote address of offset 0 of the segment, its size, and
 *              as data the rkey packed by ucp_rkey_pack() over the
 *              segment's ucp_mem_map() with exactly the import's rights
 * The token never crosses the wire, and a PROOF seen on it is worth
 * nothing on another endpoint, whose nonce differs; a nonce answers one
 * PROOF only.  An unknown id, a wrong proof, a second HELLO or PROOF, a
 * message out of turn or of the wrong size closes the endpoint.  Puts and
 * gets are then ucp_put_nbx/ucp_get_nbx at base + offset.  SIGNAL (header
 * only, after READY) rings the exporter as a control-channel post would;
 * the importer flushes the endpoint first, so it follows every put
 * before it.
 *
 * Every header is read as hostile, by both ends: exact size, magic,
 * version, known flags, and the state of the handshake.
 */
#ifndef RSM_UCX_WIRE_H
#define RSM_UCX_WIRE_H

#include <stdint.h>

#include "rsm_data.h"
#include "rsm_proto.h"

#define RSM_UCX_MAGIC		0x52534d55u	/* "RSMU" */
/*
 * 2: HELLO names the public id, CHALLENGE and PROOF follow.  Version 1's
 * HELLO carried the raw token, and zero where the version now is.
 */
#define RSM_UCX_VERSION		2u

/* Active message ids. */
#define RSM_UCX_AM_HELLO	0x5201u		/* importer -> daemon */
#define RSM_UCX_AM_READY	0x5202u		/* daemon -> importer */
#define RSM_UCX_AM_SIGNAL	0x5203u		/* importer -> daemon */
#define RSM_UCX_AM_CHALLENGE	0x5204u		/* daemon -> importer */
#define RSM_UCX_AM_PROOF	0x5205u		/* importer -> daemon */

/* A packed rkey larger than this is refused (UCX's are well under 1 KiB). */
#define RSM_UCX_RKEY_MAX	4096u

struct rsm_ucx_hello {
	uint32_t magic;
	uint32_t version;		/* RSM_UCX_VERSION */
	uint64_t cookie;		/* echoed in CHALLENGE and READY */
	uint8_t  cap_id[RSM_DATA_CAPID_LEN];
};

struct rsm_ucx_challenge {
	uint32_t magic;
	uint32_t version;		/* RSM_UCX_VERSION */
	uint64_t cookie;		/* the HELLO's */
	uint8_t  nonce[RSM_DATA_NONCE_LEN];
};

struct rsm_ucx_proof {
	uint32_t magic;
	uint32_t version;		/* RSM_UCX_VERSION */
	uint64_t cookie;		/* the HELLO's */
	struct rsm_data_hello hello;	/* the HELLO's id, and the MAC */
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
