/*
 * rsm_peer.h - the messages between peer rsmd daemons.
 *
 * Transport: one TCP stream per pair of nodes.  The stream is cut into
 * frames, each a fixed header followed by a payload whose size is exact for
 * its type (REQUEST and REPLY carry an inner header and a body of at most
 * RSM_PEER_BODY_MAX bytes).  A frame is never longer than RSM_PEER_FRAME_MAX,
 * so a receiver needs one fixed buffer and refuses a header announcing more
 * before reading any of it.  Every integer is little-endian on the wire.
 *
 * A link starts with both sides sending HELLO (node id, daemon instance and
 * a fresh random nonce); each answers the other's HELLO with AUTH, an
 * HMAC-SHA256 under the cluster key over the label, the other side's nonce,
 * its own nonce, its own node id and the other's (rsm_peer_auth_input()).
 * Only HELLO and AUTH are legal until both sides have checked the other's
 * AUTH; neither is legal afterwards.  This authenticates the daemons.
 *
 * Every frame after a side's AUTH is sealed: on the wire a 32-bit length
 * of what follows, then the frame encrypted and authenticated with
 * ChaCha20-Poly1305 (IETF), the length as additional data, the nonce a
 * 64-bit count of the frames sent that way on this link.  Each direction
 * has its own key, an HMAC-SHA256 under the cluster key of
 * rsm_peer_seal_input() (the sender's nonce first), so the keys are new
 * for every link and nobody without the cluster key can read, change,
 * replay, reorder or inject a frame: the receiver's count would not
 * match, and the frame fails to open.
 *
 * Syslink rules, as on the control socket: PING and REQUEST carry a
 * non-zero id and are answered by exactly one PONG or REPLY with the same
 * id and RSM_PEERF_REPLY set.  A REPLY's status is RSM_SUCCESS or an
 * RSMERR_* value; an error REPLY carries its inner header and no body.
 * REQUEST and REPLY name an inner type, so later remote operations are new
 * inner types, not new framing.
 *
 * Nothing read from the network is trusted until rsm_peer_check() has
 * accepted the whole frame.
 */
#ifndef RSM_PEER_H
#define RSM_PEER_H

#include <stddef.h>
#include <stdint.h>

#define RSM_PEER_MAGIC		0x5052u		/* "RP" */
/* 2: CONNECT replies list addresses; 3: frames after AUTH are sealed */
#define RSM_PEER_VERSION	3u
#define RSM_PEER_FRAME_MAX	4096u		/* header + payload, bytes */
#define RSM_PEER_NONCE_LEN	32u
#define RSM_PEER_MAC_LEN	32u		/* HMAC-SHA256 */
/* What the MAC covers starts with this label (no NUL). */
#define RSM_PEER_AUTH_LABEL	"rsm-peer-auth-v1"
/* What a direction's sealing key is derived from starts with this one. */
#define RSM_PEER_SEAL_LABEL	"rsm-peer-seal-v1"
#define RSM_PEER_SEAL_KEY_LEN	32u	/* ChaCha20-Poly1305 key */
#define RSM_PEER_SEAL_TAG_LEN	16u	/* Poly1305 tag */
/* A sealed frame: 4 length bytes, the frame, the tag. */
#define RSM_PEER_SEAL_OVERHEAD	(4u + RSM_PEER_SEAL_TAG_LEN)

/*
 * Inner types below 0x100 belong to the link itself (rsm_remote.h has the
 * remote imports from 0x100, rsm_admin.h the remote admin requests from
 * 0x200).  A daemon answers an inner type it does not know
 * RSMERR_UNSUPPORTED_OPERATION, so new ones need no new version.  IDLE: "nothing uses this link on my side; may it close?", empty
 * body, answered RSM_SUCCESS (yes: neither side sends another call on it,
 * the asker closes it) or an error (no: it stays).
 */
#define RSM_PEER_INNER_IDLE	0x001u

/* Header flags. */
#define RSM_PEERF_REPLY		0x01u		/* PONG and REPLY, and only they */

#define RSM_PEER_TYPES(X) \
	X(HELLO,     1) \
	X(AUTH,      2) \
	X(HEARTBEAT, 3) \
	X(PING,      4) \
	X(PONG,      5) \
	X(REQUEST,   6) \
	X(REPLY,     7)

enum rsm_peer_type {
#define RSM_PEER_X_ENUM(name, val) RSM_PEER_##name = val,
	RSM_PEER_TYPES(RSM_PEER_X_ENUM)
#undef RSM_PEER_X_ENUM
};

struct rsm_peer_hdr {
	uint16_t magic;		/* RSM_PEER_MAGIC */
	uint8_t  version;	/* RSM_PEER_VERSION */
	uint8_t  flags;		/* RSM_PEERF_* */
	uint16_t type;		/* enum rsm_peer_type */
	uint16_t reserved;	/* zero */
	uint32_t len;		/* header + payload, bytes */
	uint32_t status;	/* REPLY: RSM_SUCCESS or RSMERR_*; else 0 */
	uint64_t id;		/* PING, PONG, REQUEST, REPLY: non-zero; else 0 */
};

/* ---- payloads (naturally aligned, no implicit padding) ---- */

struct rsm_peer_hello {
	uint32_t node_id;
	uint32_t pad;			/* zero */
	uint64_t instance;		/* random per daemon start */
	uint8_t  nonce[RSM_PEER_NONCE_LEN];
};

struct rsm_peer_auth {
	uint8_t  mac[RSM_PEER_MAC_LEN];
};

struct rsm_peer_heartbeat {
	uint64_t seq;
};

/* PING and PONG: the PONG echoes the PING's stamp. */
struct rsm_peer_ping {
	uint64_t stamp;
};

/* REQUEST and REPLY: followed by body_len bytes, exactly. */
struct rsm_peer_request {
	uint32_t inner_type;		/* non-zero; what the body is */
	uint32_t body_len;
};

#define RSM_PEER_BODY_MAX	(RSM_PEER_FRAME_MAX - \
	sizeof(struct rsm_peer_hdr) - sizeof(struct rsm_peer_request))

/* Bytes of the MAC input built by rsm_peer_auth_input(). */
#define RSM_PEER_AUTH_INPUT_LEN	(sizeof(RSM_PEER_AUTH_LABEL) - 1 + \
	2 * RSM_PEER_NONCE_LEN + 2 * 4)

/* ---- codec ---- */

/*
 * Refusal codes, for logging; rsm_peer_check() returns the first fault.
 */
#define RSM_PEERCHK_SHORT	-1	/* fewer bytes than the header says */
#define RSM_PEERCHK_MAGIC	-2
#define RSM_PEERCHK_VERSION	-3
#define RSM_PEERCHK_LEN		-4	/* len below a header or above the cap */
#define RSM_PEERCHK_TYPE	-5
#define RSM_PEERCHK_FLAGS	-6
#define RSM_PEERCHK_SIZE	-7	/* payload size wrong for the type */
#define RSM_PEERCHK_ID		-8
#define RSM_PEERCHK_FIELD	-9	/* status, pad, inner type out of range */
#define RSM_PEERCHK_LONG	-10	/* more bytes than the header says */

/*
 * Look at the first n bytes of a stream.  Returns 0 while fewer than a
 * header's bytes are there, the frame's length once the header is there
 * and plausible (magic, version, length within bounds, known type, legal
 * flags), or a negative RSM_PEERCHK_* code: a stream whose header is bad
 * cannot be resynchronised and must be closed.
 */
long	 rsm_peer_frame_len(const void *buf, size_t n);
/*
 * Validate exactly one whole frame of n bytes: the header checks above,
 * then size, id, status and the fields of the type's payload.  Returns 0
 * or a negative RSM_PEERCHK_* code.
 */
int	 rsm_peer_check(const void *buf, size_t n);
const char *rsm_peerchk_str(int code);
const char *rsm_peer_type_name(uint16_t type);

/*
 * Decode a checked frame's header into host order (h), and point *payload
 * at its payload, whose integers the callers read with the rsm_peer_get*
 * helpers.
 */
void	 rsm_peer_hdr_decode(const void *buf, struct rsm_peer_hdr *h);
uint32_t rsm_peer_get32(const void *p);
uint64_t rsm_peer_get64(const void *p);
void	 rsm_peer_put32(void *p, uint32_t v);
void	 rsm_peer_put64(void *p, uint64_t v);

/*
 * Encode a frame into out (at least RSM_PEER_FRAME_MAX bytes): header,
 * then the payload bytes given (already in wire order).  Returns the frame
 * length, or 0 when the payload does not fit.
 */
size_t	 rsm_peer_encode(void *out, uint16_t type, uint8_t flags,
	    uint32_t status, uint64_t id, const void *payload, size_t plen);
/* REQUEST or REPLY: the inner header then body_len bytes of body. */
size_t	 rsm_peer_encode_request(void *out, uint16_t type, uint32_t status,
	    uint64_t id, uint32_t inner_type, const void *body,
	    size_t body_len);
/* HELLO's payload in wire order. */
void	 rsm_peer_hello_fill(struct rsm_peer_hello *out, uint32_t node_id,
	    uint64_t instance, const uint8_t nonce[RSM_PEER_NONCE_LEN]);

/*
 * What the sender of an AUTH MACs: label, the nonce the receiver sent,
 * the sender's own nonce, the sender's node id, the receiver's node id.
 * Ordering by role means a MAC made by one side never verifies for the
 * other.  out holds RSM_PEER_AUTH_INPUT_LEN bytes.
 */
void	 rsm_peer_auth_input(uint8_t *out,
	    const uint8_t their_nonce[RSM_PEER_NONCE_LEN],
	    const uint8_t my_nonce[RSM_PEER_NONCE_LEN],
	    uint32_t my_node, uint32_t their_node);

/*
 * What one direction's sealing key is made of: label, the sending side's
 * nonce, the receiving side's nonce, the sender's node id, the
 * receiver's.  out holds RSM_PEER_AUTH_INPUT_LEN bytes (the labels are
 * the same length).
 */
void	 rsm_peer_seal_input(uint8_t *out,
	    const uint8_t sender_nonce[RSM_PEER_NONCE_LEN],
	    const uint8_t receiver_nonce[RSM_PEER_NONCE_LEN],
	    uint32_t sender_node, uint32_t receiver_node);

#endif /* RSM_PEER_H */
