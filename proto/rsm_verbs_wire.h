/*
 * rsm_verbs_wire.h - what an importer and the exporting daemon's rdma_cm
 * listener exchange (controller verbsN).
 *
 * The importer connects an RC queue pair to the address and port of the
 * capability; the connect request's private data is struct
 * rsm_verbs_hello naming the capability by its public id
 * (rsm_data_cap_id(), proto/rsm_data.h), never by its token, and the
 * daemon accepts only while a capability with that id is live.  The
 * accept's private data is struct rsm_verbs_challenge, a fresh nonce.
 * The importer's first SEND is struct rsm_verbs_proof: the same HELLO as
 * tcp0's (rsm_data_hello_prove() over that nonce), so the token never
 * crosses the wire and what crossed it is worth nothing on another
 * connection.  Only a proof that verifies gets the importer its rkey: the
 * daemon then SENDs struct rsm_verbs_ready with the rkey this queue pair
 * is to use (the importer has one receive posted for it, and moves no
 * data before it arrives); anything else, or a wrong proof, loses the
 * connection.  Where the device has type 2 memory windows that rkey is a
 * window bound to this queue pair alone, with exactly the import's
 * rights; else it is the segment's memory region for those rights.  Data
 * then moves one-sided: RDMA WRITE (put) and RDMA READ (get) with that
 * rkey, remote addresses being segment offsets (the daemon registers its
 * mapping with iova 0).  A signal is a SEND of struct rsm_verbs_signal on
 * the same queue pair.
 */
#ifndef RSM_VERBS_WIRE_H
#define RSM_VERBS_WIRE_H

#include <stdint.h>

#include "rsm_data.h"
#include "rsm_proto.h"

#define RSM_VERBS_MAGIC		0x56534d52u	/* "RMSV" little-endian */
/* 3: the hello names the capability's public id and a proof follows */
#define RSM_VERBS_VERSION	3u

struct rsm_verbs_hello {
	uint32_t magic;
	uint32_t version;
	uint8_t  cap_id[RSM_DATA_CAPID_LEN];
};

struct rsm_verbs_challenge {
	uint32_t magic;
	uint32_t pad;
	uint8_t  nonce[RSM_DATA_NONCE_LEN];
};

struct rsm_verbs_proof {
	uint32_t magic;
	uint32_t pad;
	struct rsm_data_hello hello;
};

struct rsm_verbs_ready {
	uint32_t magic;
	uint32_t rkey;
	uint32_t flags;		/* RSM_VERBS_READY_WINDOW */
	uint32_t pad;
};

/* The rkey is a memory window bound to this queue pair. */
#define RSM_VERBS_READY_WINDOW	0x1u

struct rsm_verbs_signal {
	uint32_t magic;
	uint32_t flags;		/* RSM_SIGPOST_NO_ACCUMULATE */
};

/* Receives the daemon keeps posted per connection (signals in flight). */
#define RSM_VERBS_RECV_DEPTH	16u
/* RDMA READs one importer may have outstanding at the daemon. */
#define RSM_VERBS_RD_ATOM	16u

#endif /* RSM_VERBS_WIRE_H */
