/*
 * rsm_data.h - the data protocol between an importer's library and the
 * data server of the daemon that is home to a segment (controller tcp0).
 *
 * Transport: one TCP stream per import connection.  The importer opens it
 * to the (address, port) of a capability it was given by IMPORT_CONNECT.
 * The server speaks first: CHALLENGE, 32 fresh random bytes and the
 * cipher that seals the connection (none unless the server's rsmd.conf
 * says data_encrypt = yes).  The importer answers with HELLO, which
 * proves it holds the capability's 128-bit token without sending it: the
 * capability's public id (a keyed hash of the token), 32 fresh random
 * bytes of its own, and an HMAC-SHA256 under the token of the challenge,
 * the cipher, its own nonce and that id (rsm_data_hello_prove_tcp()).  A
 * HELLO seen on the wire is worth nothing on another connection, whose
 * challenge differs; a cipher changed on the way fails the proof, so
 * nobody on the path can turn the sealing off; and the token never
 * crosses the network in the clear (between daemons it travels on the
 * sealed peer link).  After HELLO every frame names that one segment,
 * with the rights the capability grants.  Whoever holds the token holds
 * the rights, so tokens come from getrandom(2) and die with the import.
 *
 * Sealed connections (cipher not RSM_DATA_CIPHER_NONE): HELLO and its
 * reply travel in the clear, and from then on each direction is a
 * stream of records that carry the frames below (rsm_data_seal.h).
 *
 * Framing: every frame starts with a fixed 32-byte header.
 *   CHALLENGE  (server, first, id 0) struct rsm_data_challenge
 *   HELLO  payload struct rsm_data_hello_req; reply struct rsm_data_hello_reply
 *   PUT    off, len, then len payload bytes;          reply: header only
 *   GET    off, len;                                  reply: len bytes
 *   PUTV   count entries of struct rsm_data_vec, then their bytes in order
 *          (len = their sum);                         reply: header only
 *   GETV   count entries;                             reply: the bytes of
 *          the entries done, in order (len = their sum)
 *   ATOMIC off, struct rsm_data_atomic;               reply: the word's
 *          old value as a uint64_t on success (len 8), else nothing
 *   SIGNAL struct rsm_data_signal;                    reply: header only;
 *          the server rings the segment's exporter when it reaches it,
 *          so after every earlier request's bytes are in the segment
 *   PUTM   count entries of struct rsm_data_vec (each a span of at most
 *          RSM_DATA_PUTM_SPAN_MAX bytes), then per entry in order its
 *          mask, RSM_DATA_MASK_LEN(len) bytes, and its len bytes (len =
 *          the sum of both over the entries);         reply: header only;
 *          only a server whose HELLO reply says RSM_DATA_HELLO_PUTM
 *          takes it (an older one would close the connection)
 * Syslink rules: every request has a non-zero id, strictly increasing on
 * its connection, and gets exactly one reply with the same op, id and
 * RSM_DOPF_REPLY.  The server handles a connection's requests strictly in
 * order and answers in order, so requests may be pipelined and a later
 * request is never applied before an earlier one.  A reply's status is
 * RSM_SUCCESS or an RSMERR_* value; `count` says how many entries (PUT and
 * GET count as one) were done before the first failure.
 *
 * A frame that breaks these rules, a token that is not live, or a
 * capability revoked while the connection is open (unpublish, destroy,
 * exporter or importer death, disconnect) ends the connection: the server
 * answers a refused HELLO with RSMERR_CONN_ABORTED and closes, and closes a
 * revoked connection at once.  The importer's library turns the end of
 * the stream into RSMERR_CONN_ABORTED for every operation still pending.
 *
 * Every integer is in host order: the nodes of an rsm cluster share one
 * endianness (see data.c in librsm).  Everything received is hostile until
 * rsm_data_check_req() or rsm_data_check_reply() accepted it.
 */
#ifndef RSM_DATA_H
#define RSM_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "rsm_proto.h"

#define RSM_DATA_MAGIC		0x5244u		/* "RD" */
/* 2: HELLO answers a CHALLENGE; 3: the CHALLENGE names a cipher. */
#define RSM_DATA_VERSION	3u
/* Payload bytes one frame may carry; larger transfers are split. */
#define RSM_DATA_FRAME_MAX	(4u << 20)
/* Entries of a vector frame (RSM_MAX_SGIOREQS). */
#define RSM_DATA_VEC_MAX	16u
/*
 * Entries of a PUTV frame: more, for the write-back of a remote map,
 * whose changed bytes are often thousands of short runs (a row of doubles
 * that each changed in some of their bytes), while every frame waits for
 * its answer.  A GETV's reply lists its entries' data in the daemon's
 * output queue, so GETV keeps RSM_DATA_VEC_MAX.
 */
#define RSM_DATA_PUTV_MAX	512u
/*
 * Masked puts (PUTM).  A remote map writes back the bytes of a page that
 * differ from its twin, and only those: a neighbouring byte another
 * importer stored must not be overwritten with the value this one
 * fetched.  When the changed bytes are scattered (a row of doubles whose
 * low bytes changed), as PUTV runs they are hundreds of entries of a few
 * bytes per page, each a 16-byte table slot and a step at both ends;
 * as one PUTM entry they are the page's span from the first changed
 * byte to the last, with a mask of one bit per byte of it (bit i % 8 of
 * mask byte i / 8, least significant first, for byte i of the span).
 * The server writes exactly the bytes whose bit is set, so importers that
 * store disjoint bytes of one page still merge byte for byte.  Mask bits
 * past the span's end are 0.  A span is at most a page of the largest
 * size (64 KiB), so the server stages one entry at a time in a bounded
 * buffer: bytes not in the mask never reach the segment, not even
 * briefly.  As many entries as a PUTV, RSM_DATA_PUTV_MAX.
 */
#define RSM_DATA_PUTM_SPAN_MAX	(64u << 10)
/* The bytes of a PUTM entry's mask for a span of len bytes. */
#define RSM_DATA_MASK_LEN(len)	(((len) + 7u) / 8u)
/*
 * The upper 16 bits of a HELLO reply's `granted` name optional requests
 * the server takes (the lower ones are RSM_PERM_*, and libraries before
 * PUTM only test the rights they asked for): no version bump, so old and
 * new importers and daemons keep talking, and a library sends PUTM only
 * to a server that said it takes them (else its write-back uses PUTV).
 */
#define RSM_DATA_HELLO_PUTM	(1u << 16)
#define RSM_DATA_HELLO_OPS	0xffff0000u

/* The most entries a frame of op may carry. */
#define RSM_DATA_OP_VEC_MAX(op)	((op) == RSM_DOP_PUTV || \
	(op) == RSM_DOP_PUTM ? RSM_DATA_PUTV_MAX : RSM_DATA_VEC_MAX)

#define RSM_DOP_HELLO		1u
#define RSM_DOP_PUT		2u
#define RSM_DOP_GET		3u
#define RSM_DOP_PUTV		4u
#define RSM_DOP_GETV		5u
#define RSM_DOP_ATOMIC		6u
#define RSM_DOP_SIGNAL		7u
#define RSM_DOP_CHALLENGE	8u	/* sent by the server, never asked */
#define RSM_DOP_PUTM		9u	/* RSM_DATA_HELLO_PUTM servers only */
#define RSM_DOPF_REPLY		0x80u

struct rsm_data_hdr {
	uint16_t magic;		/* RSM_DATA_MAGIC */
	uint8_t  version;	/* RSM_DATA_VERSION */
	uint8_t  op;		/* RSM_DOP_*, | RSM_DOPF_REPLY in replies */
	uint32_t status;	/* replies: RSM_SUCCESS or RSMERR_*; requests: 0 */
	uint64_t id;		/* non-zero */
	uint64_t off;		/* PUT, GET: segment offset; others 0 */
	uint32_t len;		/* payload bytes that follow (GET request: asked) */
	uint32_t count;		/* vector requests: entries; replies: entries done */
};

struct rsm_data_vec {
	uint64_t off;
	uint64_t len;
};

/* ATOMIC: the same operations and values as transport.h's AOP slot. */
#define RSM_DATA_AOP_FADD	1u
#define RSM_DATA_AOP_CAS	2u
#define RSM_DATA_AOP_SWAP	3u

struct rsm_data_atomic {
	uint8_t  op;		/* RSM_DATA_AOP_* */
	uint8_t  width;		/* 4 or 8; off is a multiple of it */
	uint16_t pad0;		/* 0 */
	uint32_t pad1;		/* 0 */
	uint64_t operand;	/* width 4: the upper 32 bits are 0 */
	uint64_t compare;	/* CAS only, else 0; width 4 as operand */
};

struct rsm_data_signal {
	uint32_t flags;		/* 0 or RSM_SIGPOST_NO_ACCUMULATE */
	uint32_t pad;		/* 0 */
};

#define RSM_DATA_NONCE_LEN	32u
#define RSM_DATA_CAPID_LEN	16u
#define RSM_DATA_MAC_LEN	32u
/* The labels that start what rsm_data_cap_id() and the MAC cover. */
#define RSM_DATA_CAPID_LABEL	"rsm-data-capid-v1"
#define RSM_DATA_HELLO_LABEL	"rsm-data-hello-v1"	/* verbs proofs */
#define RSM_DATA_HELLO_TCP_LABEL "rsm-data-hello-v2"	/* tcp0 HELLO */
#define RSM_DATA_HELLO_UCX_LABEL "rsm-data-hello-ucx-v1"	/* ucx0 PROOF */

/* How the frames after HELLO travel (the CHALLENGE says). */
#define RSM_DATA_CIPHER_NONE		0u	/* in the clear */
#define RSM_DATA_CIPHER_AES256GCM	1u	/* sealed, AES-256-GCM */
#define RSM_DATA_CIPHER_CHACHA20	2u	/* sealed, ChaCha20-Poly1305 */

struct rsm_data_challenge {
	uint8_t  nonce[RSM_DATA_NONCE_LEN];	/* the server's, fresh */
	uint8_t  cipher;			/* RSM_DATA_CIPHER_* */
	uint8_t  pad[7];			/* 0 */
};

/* A proof of the token: tcp0's HELLO carries one, verbs sends one. */
struct rsm_data_hello {
	uint8_t  cap_id[RSM_DATA_CAPID_LEN];	/* rsm_data_cap_id(token) */
	uint8_t  mac[RSM_DATA_MAC_LEN];		/* rsm_data_hello_prove*() */
};

/* The payload of tcp0's HELLO. */
struct rsm_data_hello_req {
	struct rsm_data_hello proof;		/* rsm_data_hello_prove_tcp() */
	uint8_t  nonce[RSM_DATA_NONCE_LEN];	/* the importer's, fresh */
};

/*
 * A capability's public id: BLAKE2b-128 keyed with the token over
 * RSM_DATA_CAPID_LABEL.  It names the capability without revealing it.
 */
void	 rsm_data_cap_id(const uint8_t token[RSM_CAP_TOKEN_LEN],
	    uint8_t id[RSM_DATA_CAPID_LEN]);
/*
 * The proof for a connection whose challenge carried nonce (verbs): the
 * id, and HMAC-SHA256(token, RSM_DATA_HELLO_LABEL || nonce || id).
 */
void	 rsm_data_hello_prove(const uint8_t token[RSM_CAP_TOKEN_LEN],
	    const uint8_t nonce[RSM_DATA_NONCE_LEN], struct rsm_data_hello *out);
/* Whether hello proves token for nonce; compares in constant time. */
int	 rsm_data_hello_verify(const uint8_t token[RSM_CAP_TOKEN_LEN],
	    const uint8_t nonce[RSM_DATA_NONCE_LEN],
	    const struct rsm_data_hello *hello);
/*
 * ucx0's (proto/rsm_ucx_wire.h): the same proof under its own label,
 * HMAC-SHA256(token, RSM_DATA_HELLO_UCX_LABEL || nonce || id), so a
 * proof made for one transport is none for another.
 */
void	 rsm_data_hello_prove_ucx(const uint8_t token[RSM_CAP_TOKEN_LEN],
	    const uint8_t nonce[RSM_DATA_NONCE_LEN], struct rsm_data_hello *out);
int	 rsm_data_hello_verify_ucx(const uint8_t token[RSM_CAP_TOKEN_LEN],
	    const uint8_t nonce[RSM_DATA_NONCE_LEN],
	    const struct rsm_data_hello *hello);
/*
 * tcp0's HELLO for the connection whose CHALLENGE was chal, out->nonce
 * already filled with the importer's fresh bytes: the id, and
 * HMAC-SHA256(token, RSM_DATA_HELLO_TCP_LABEL || chal->nonce ||
 * chal->cipher || out->nonce || id).  Its own label, so a verbs proof is
 * no tcp0 HELLO and the other way round.
 */
void	 rsm_data_hello_prove_tcp(const uint8_t token[RSM_CAP_TOKEN_LEN],
	    const struct rsm_data_challenge *chal,
	    struct rsm_data_hello_req *out);
/*
 * Whether req proves token for the challenge the server sent (its own
 * copy, so a cipher changed on the way fails); constant time.
 */
int	 rsm_data_hello_verify_tcp(const uint8_t token[RSM_CAP_TOKEN_LEN],
	    const struct rsm_data_challenge *chal,
	    const struct rsm_data_hello_req *req);
/* A CHALLENGE header: op, REPLY bit, id 0, no status, off or count. */
int	 rsm_data_check_challenge(const struct rsm_data_hdr *h);
/* A CHALLENGE body: a known cipher, zero padding. */
int	 rsm_data_check_challenge_body(const struct rsm_data_challenge *c);

struct rsm_data_hello_reply {
	uint64_t size;		/* segment size */
	uint32_t granted;	/* RSM_PERM_* the token carries, and
				   RSM_DATA_HELLO_* (RSM_DATA_HELLO_OPS) */
	uint32_t frame_max;	/* largest payload the server takes per frame */
};

/* Faults found by the checks, for logging. */
#define RSM_DCHK_MAGIC		-1
#define RSM_DCHK_VERSION	-2
#define RSM_DCHK_OP		-3
#define RSM_DCHK_ID		-4
#define RSM_DCHK_STATUS		-5
#define RSM_DCHK_LEN		-6
#define RSM_DCHK_COUNT		-7
#define RSM_DCHK_FIELD		-8
#define RSM_DCHK_VEC		-9
#define RSM_DCHK_MASK		-10

/*
 * A request header as the server reads it (before any payload): magic,
 * version, known op without the reply bit, zero status, non-zero id, and
 * per op the exact len (HELLO), len <= RSM_DATA_FRAME_MAX, count 0 (PUT,
 * GET, HELLO) or 1..RSM_DATA_OP_VEC_MAX(op) (vectors, PUTM), off 0 where
 * unused.
 */
int	 rsm_data_check_req(const struct rsm_data_hdr *h);

/*
 * A vector table against its header: every entry's len fits the frame and
 * the lens add up to h->len exactly.
 */
int	 rsm_data_check_vec(const struct rsm_data_hdr *h,
	    const struct rsm_data_vec *v);

/*
 * A PUTM table against its header: 1..RSM_DATA_PUTV_MAX entries, each
 * span 1..RSM_DATA_PUTM_SPAN_MAX bytes, and the entries' masks and spans
 * (RSM_DATA_MASK_LEN(len) + len each) add up to h->len exactly.  Bounds
 * are rsm_data_vec_in_bounds()'s, an answered error as for PUTV.
 */
int	 rsm_data_check_putm(const struct rsm_data_hdr *h,
	    const struct rsm_data_vec *v);
/*
 * A PUTM entry's mask for a span of len bytes (1..RSM_DATA_PUTM_SPAN_MAX):
 * no bit set past the span's end.  A mask of no bits at all is allowed
 * (nothing is written).
 */
int	 rsm_data_check_mask(const uint8_t *mask, uint64_t len);
/*
 * How many of the n entries, from the first, lie inside a segment of
 * `size` bytes (n when all do): the first one not is the server's
 * RSMERR_BAD_LENGTH.
 */
uint32_t rsm_data_vec_in_bounds(const struct rsm_data_vec *v, uint32_t n,
	    uint64_t size);
/*
 * Write the bytes of src[0, len) whose mask bit is set to dst, and no
 * other byte of dst; a whole mask byte of ones is one copy.
 */
void	 rsm_data_mask_apply(char *dst, const char *src, const uint8_t *mask,
	    size_t len);

/*
 * An ATOMIC body against its header: known op and width, zero padding,
 * values that fit the width, compare 0 unless CAS.  Alignment and bounds
 * of h->off are the server's answered checks (RSMERR_BAD_OFFSET), not
 * faults of the frame.
 */
int	 rsm_data_check_atomic(const struct rsm_data_atomic *a);
/* A SIGNAL body: flags within RSM_SIGPOST_NO_ACCUMULATE, zero padding. */
int	 rsm_data_check_signal(const struct rsm_data_signal *s);

/*
 * A reply header as the library reads it, against the request it answers:
 * same op with the reply bit, same id, a status that is RSM_SUCCESS or an
 * RSMERR_* value, count <= want_count, count == want_count on success,
 * len <= want_len (exactly want_len for a successful GET/GETV, 0 for PUT
 * replies and errors of GET, sizeof(hello reply) for a successful HELLO).
 */
int	 rsm_data_check_reply(const struct rsm_data_hdr *h, uint8_t op,
	    uint64_t id, uint32_t want_len, uint32_t want_count);

/* [off, off+len) inside a segment of `size` bytes, without overflow. */
static inline int
rsm_data_in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

const char *rsm_dchk_str(int code);
const char *rsm_dop_name(uint8_t op);

void	 rsm_data_hdr_init(struct rsm_data_hdr *h, uint8_t op, uint32_t status,
	    uint64_t id, uint64_t off, uint32_t len, uint32_t count);

#endif /* RSM_DATA_H */
