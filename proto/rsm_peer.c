/*
 * rsm_peer.c - framing and validation of the peer daemons' messages; see
 * rsm_peer.h for the rules.  Pure functions over bytes, so that a fuzzer
 * can drive them directly.
 */
#include "rsm_peer.h"

#include <endian.h>
#include <string.h>

#include "rsmapi.h"

#define HDR	sizeof(struct rsm_peer_hdr)

uint32_t
rsm_peer_get32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

uint64_t
rsm_peer_get64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static uint16_t
get16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

void
rsm_peer_put32(void *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

void
rsm_peer_put64(void *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static void
put16(void *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

void
rsm_peer_hdr_decode(const void *buf, struct rsm_peer_hdr *h)
{
	const uint8_t *b = buf;

	h->magic = get16(b + offsetof(struct rsm_peer_hdr, magic));
	h->version = b[offsetof(struct rsm_peer_hdr, version)];
	h->flags = b[offsetof(struct rsm_peer_hdr, flags)];
	h->type = get16(b + offsetof(struct rsm_peer_hdr, type));
	h->reserved = get16(b + offsetof(struct rsm_peer_hdr, reserved));
	h->len = rsm_peer_get32(b + offsetof(struct rsm_peer_hdr, len));
	h->status = rsm_peer_get32(b + offsetof(struct rsm_peer_hdr, status));
	h->id = rsm_peer_get64(b + offsetof(struct rsm_peer_hdr, id));
}

const char *
rsm_peer_type_name(uint16_t type)
{
	switch (type) {
#define RSM_PEER_X_NAME(name, val) case val: return #name;
	RSM_PEER_TYPES(RSM_PEER_X_NAME)
#undef RSM_PEER_X_NAME
	default:
		return "UNKNOWN";
	}
}

const char *
rsm_peerchk_str(int code)
{
	switch (code) {
	case 0: return "ok";
	case RSM_PEERCHK_SHORT: return "truncated frame";
	case RSM_PEERCHK_MAGIC: return "bad magic";
	case RSM_PEERCHK_VERSION: return "unsupported protocol version";
	case RSM_PEERCHK_LEN: return "length out of bounds";
	case RSM_PEERCHK_TYPE: return "unknown frame type";
	case RSM_PEERCHK_FLAGS: return "flags invalid for the type";
	case RSM_PEERCHK_SIZE: return "payload size wrong for the type";
	case RSM_PEERCHK_ID: return "id invalid for the type";
	case RSM_PEERCHK_FIELD: return "field out of range";
	case RSM_PEERCHK_LONG: return "more bytes than the frame length";
	default: return "unknown fault";
	}
}

static int
is_reply_type(uint16_t type)
{
	return type == RSM_PEER_PONG || type == RSM_PEER_REPLY;
}

/* The checks a header alone allows; 0 or a code. */
static int
check_hdr(const struct rsm_peer_hdr *h)
{
	if (h->magic != RSM_PEER_MAGIC)
		return RSM_PEERCHK_MAGIC;
	if (h->version != RSM_PEER_VERSION)
		return RSM_PEERCHK_VERSION;
	if (h->len < HDR || h->len > RSM_PEER_FRAME_MAX)
		return RSM_PEERCHK_LEN;
	if (h->type < RSM_PEER_HELLO || h->type > RSM_PEER_REPLY)
		return RSM_PEERCHK_TYPE;
	if (h->reserved != 0)
		return RSM_PEERCHK_FLAGS;
	if (h->flags != (is_reply_type(h->type) ? RSM_PEERF_REPLY : 0))
		return RSM_PEERCHK_FLAGS;
	return 0;
}

long
rsm_peer_frame_len(const void *buf, size_t n)
{
	struct rsm_peer_hdr h;
	int rc;

	if (buf == NULL || n < HDR)
		return 0;
	rsm_peer_hdr_decode(buf, &h);
	if ((rc = check_hdr(&h)) != 0)
		return rc;
	return (long)h.len;
}

static size_t
fixed_size(uint16_t type)
{
	switch (type) {
	case RSM_PEER_HELLO:		return sizeof(struct rsm_peer_hello);
	case RSM_PEER_AUTH:		return sizeof(struct rsm_peer_auth);
	case RSM_PEER_HEARTBEAT:	return sizeof(struct rsm_peer_heartbeat);
	case RSM_PEER_PING:
	case RSM_PEER_PONG:		return sizeof(struct rsm_peer_ping);
	default:			return sizeof(struct rsm_peer_request);
	}
}

int
rsm_peer_check(const void *buf, size_t n)
{
	const uint8_t *p;
	struct rsm_peer_hdr h;
	size_t plen;
	int rc;

	if (buf == NULL || n < HDR)
		return RSM_PEERCHK_SHORT;
	rsm_peer_hdr_decode(buf, &h);
	if ((rc = check_hdr(&h)) != 0)
		return rc;
	if (n < h.len)
		return RSM_PEERCHK_SHORT;
	if (n > h.len)
		return RSM_PEERCHK_LONG;
	p = (const uint8_t *)buf + HDR;
	plen = n - HDR;

	switch (h.type) {
	case RSM_PEER_HELLO:
	case RSM_PEER_AUTH:
	case RSM_PEER_HEARTBEAT:
		if (h.id != 0)
			return RSM_PEERCHK_ID;
		break;
	default:
		if (h.id == 0)
			return RSM_PEERCHK_ID;
		break;
	}
	if (h.type != RSM_PEER_REPLY && h.status != 0)
		return RSM_PEERCHK_FIELD;

	if (h.type == RSM_PEER_REQUEST || h.type == RSM_PEER_REPLY) {
		uint32_t inner, body;

		if (plen < sizeof(struct rsm_peer_request))
			return RSM_PEERCHK_SIZE;
		inner = rsm_peer_get32(p + offsetof(struct rsm_peer_request,
		    inner_type));
		body = rsm_peer_get32(p + offsetof(struct rsm_peer_request,
		    body_len));
		if (inner == 0)
			return RSM_PEERCHK_FIELD;
		if (body > RSM_PEER_BODY_MAX ||
		    plen != sizeof(struct rsm_peer_request) + body)
			return RSM_PEERCHK_SIZE;
		/* An error reply says why and nothing else. */
		if (h.type == RSM_PEER_REPLY && h.status != RSM_SUCCESS &&
		    body != 0)
			return RSM_PEERCHK_SIZE;
		return 0;
	}
	if (plen != fixed_size(h.type))
		return RSM_PEERCHK_SIZE;
	if (h.type == RSM_PEER_HELLO && rsm_peer_get32(p +
	    offsetof(struct rsm_peer_hello, pad)) != 0)
		return RSM_PEERCHK_FIELD;
	return 0;
}

size_t
rsm_peer_encode(void *out, uint16_t type, uint8_t flags, uint32_t status,
    uint64_t id, const void *payload, size_t plen)
{
	uint8_t *b = out;

	if (plen > RSM_PEER_FRAME_MAX - HDR)
		return 0;
	memset(b, 0, HDR);
	put16(b + offsetof(struct rsm_peer_hdr, magic), RSM_PEER_MAGIC);
	b[offsetof(struct rsm_peer_hdr, version)] = RSM_PEER_VERSION;
	b[offsetof(struct rsm_peer_hdr, flags)] = flags;
	put16(b + offsetof(struct rsm_peer_hdr, type), type);
	rsm_peer_put32(b + offsetof(struct rsm_peer_hdr, len),
	    (uint32_t)(HDR + plen));
	rsm_peer_put32(b + offsetof(struct rsm_peer_hdr, status), status);
	rsm_peer_put64(b + offsetof(struct rsm_peer_hdr, id), id);
	if (plen)
		memcpy(b + HDR, payload, plen);
	return HDR + plen;
}

size_t
rsm_peer_encode_request(void *out, uint16_t type, uint32_t status,
    uint64_t id, uint32_t inner_type, const void *body, size_t body_len)
{
	uint8_t *b = out;
	size_t inner = sizeof(struct rsm_peer_request);

	if (body_len > RSM_PEER_BODY_MAX)
		return 0;
	if (rsm_peer_encode(out, type, type == RSM_PEER_REPLY ?
	    RSM_PEERF_REPLY : 0, status, id, NULL, 0) == 0)
		return 0;
	rsm_peer_put32(b + HDR + offsetof(struct rsm_peer_request, inner_type),
	    inner_type);
	rsm_peer_put32(b + HDR + offsetof(struct rsm_peer_request, body_len),
	    (uint32_t)body_len);
	if (body_len)
		memcpy(b + HDR + inner, body, body_len);
	rsm_peer_put32(b + offsetof(struct rsm_peer_hdr, len),
	    (uint32_t)(HDR + inner + body_len));
	return HDR + inner + body_len;
}

void
rsm_peer_hello_fill(struct rsm_peer_hello *out, uint32_t node_id,
    uint64_t instance, const uint8_t nonce[RSM_PEER_NONCE_LEN])
{
	memset(out, 0, sizeof(*out));
	rsm_peer_put32(&out->node_id, node_id);
	rsm_peer_put64(&out->instance, instance);
	memcpy(out->nonce, nonce, RSM_PEER_NONCE_LEN);
}

void
rsm_peer_auth_input(uint8_t *out, const uint8_t their_nonce[RSM_PEER_NONCE_LEN],
    const uint8_t my_nonce[RSM_PEER_NONCE_LEN], uint32_t my_node,
    uint32_t their_node)
{
	size_t off = sizeof(RSM_PEER_AUTH_LABEL) - 1;

	memcpy(out, RSM_PEER_AUTH_LABEL, off);
	memcpy(out + off, their_nonce, RSM_PEER_NONCE_LEN);
	off += RSM_PEER_NONCE_LEN;
	memcpy(out + off, my_nonce, RSM_PEER_NONCE_LEN);
	off += RSM_PEER_NONCE_LEN;
	rsm_peer_put32(out + off, my_node);
	rsm_peer_put32(out + off + 4, their_node);
}

void
rsm_peer_seal_input(uint8_t *out, const uint8_t sender_nonce[RSM_PEER_NONCE_LEN],
    const uint8_t receiver_nonce[RSM_PEER_NONCE_LEN], uint32_t sender_node,
    uint32_t receiver_node)
{
	size_t off = sizeof(RSM_PEER_SEAL_LABEL) - 1;

	_Static_assert(sizeof(RSM_PEER_SEAL_LABEL) ==
	    sizeof(RSM_PEER_AUTH_LABEL), "one input length for both");
	memcpy(out, RSM_PEER_SEAL_LABEL, off);
	memcpy(out + off, sender_nonce, RSM_PEER_NONCE_LEN);
	off += RSM_PEER_NONCE_LEN;
	memcpy(out + off, receiver_nonce, RSM_PEER_NONCE_LEN);
	off += RSM_PEER_NONCE_LEN;
	rsm_peer_put32(out + off, sender_node);
	rsm_peer_put32(out + off + 4, receiver_node);
}
