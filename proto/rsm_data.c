/*
 * rsm_data.c - header checks for the data protocol; see rsm_data.h.
 * Shared by the daemon's data server and the tcp transport, so both ends
 * refuse the same frames.
 */
#include "rsm_data.h"

#include <sodium.h>

#include <string.h>

#include "rsmapi.h"

/* The largest RSMERR_* value a reply may carry (RSMERR_QUEUE_FULL). */
#define RSM_DATA_STATUS_MAX	134u

_Static_assert(sizeof(struct rsm_data_hdr) == 32, "data header size");
_Static_assert(RSM_DATA_VEC_MAX == RSM_MAX_SGIOREQS, "vector limit");
_Static_assert(RSM_DATA_PUTV_MAX >= RSM_DATA_VEC_MAX, "PUTV limit");
/* A frame of PUTM entries never needs more than a frame's payload. */
_Static_assert(RSM_DATA_PUTM_SPAN_MAX + RSM_DATA_MASK_LEN(
    RSM_DATA_PUTM_SPAN_MAX) <= RSM_DATA_FRAME_MAX, "PUTM span");
_Static_assert((RSM_DATA_HELLO_OPS & 0777u) == 0 &&
    (RSM_DATA_HELLO_PUTM & ~RSM_DATA_HELLO_OPS) == 0, "HELLO op bits");
_Static_assert(sizeof(struct rsm_data_atomic) == 24, "atomic body size");
_Static_assert(sizeof(struct rsm_data_signal) == 8, "signal body size");
_Static_assert(sizeof(struct rsm_data_challenge) == 40, "challenge size");
_Static_assert(sizeof(struct rsm_data_hello) == 48, "proof size");
_Static_assert(sizeof(struct rsm_data_hello_req) == 80, "hello size");

void
rsm_data_hdr_init(struct rsm_data_hdr *h, uint8_t op, uint32_t status,
    uint64_t id, uint64_t off, uint32_t len, uint32_t count)
{
	memset(h, 0, sizeof(*h));
	h->magic = RSM_DATA_MAGIC;
	h->version = RSM_DATA_VERSION;
	h->op = op;
	h->status = status;
	h->id = id;
	h->off = off;
	h->len = len;
	h->count = count;
}

static int
check_common(const struct rsm_data_hdr *h)
{
	if (h->magic != RSM_DATA_MAGIC)
		return RSM_DCHK_MAGIC;
	if (h->version != RSM_DATA_VERSION)
		return RSM_DCHK_VERSION;
	if (h->id == 0)
		return RSM_DCHK_ID;
	if (h->len > RSM_DATA_FRAME_MAX)
		return RSM_DCHK_LEN;
	return 0;
}

int
rsm_data_check_req(const struct rsm_data_hdr *h)
{
	int rc;

	if (h == NULL)
		return RSM_DCHK_FIELD;
	if ((rc = check_common(h)) != 0)
		return rc;
	if (h->status != 0)
		return RSM_DCHK_STATUS;
	switch (h->op) {
	case RSM_DOP_HELLO:
		if (h->len != sizeof(struct rsm_data_hello_req))
			return RSM_DCHK_LEN;
		if (h->count != 0)
			return RSM_DCHK_COUNT;
		return h->off == 0 ? 0 : RSM_DCHK_FIELD;
	case RSM_DOP_PUT:
	case RSM_DOP_GET:
		return h->count == 0 ? 0 : RSM_DCHK_COUNT;
	case RSM_DOP_PUTV:
	case RSM_DOP_GETV:
	case RSM_DOP_PUTM:
		if (h->count == 0 || h->count > RSM_DATA_OP_VEC_MAX(h->op))
			return RSM_DCHK_COUNT;
		return h->off == 0 ? 0 : RSM_DCHK_FIELD;
	case RSM_DOP_ATOMIC:
		if (h->len != sizeof(struct rsm_data_atomic))
			return RSM_DCHK_LEN;
		return h->count == 0 ? 0 : RSM_DCHK_COUNT;
	case RSM_DOP_SIGNAL:
		if (h->len != sizeof(struct rsm_data_signal))
			return RSM_DCHK_LEN;
		if (h->count != 0)
			return RSM_DCHK_COUNT;
		return h->off == 0 ? 0 : RSM_DCHK_FIELD;
	default:
		return RSM_DCHK_OP;
	}
}

int
rsm_data_check_atomic(const struct rsm_data_atomic *a)
{
	if (a == NULL)
		return RSM_DCHK_FIELD;
	if (a->op < RSM_DATA_AOP_FADD || a->op > RSM_DATA_AOP_SWAP)
		return RSM_DCHK_OP;
	if (a->width != 4 && a->width != 8)
		return RSM_DCHK_LEN;
	if (a->pad0 != 0 || a->pad1 != 0)
		return RSM_DCHK_FIELD;
	if (a->op != RSM_DATA_AOP_CAS && a->compare != 0)
		return RSM_DCHK_FIELD;
	if (a->width == 4 && ((a->operand | a->compare) >> 32) != 0)
		return RSM_DCHK_FIELD;
	return 0;
}

int
rsm_data_check_signal(const struct rsm_data_signal *s)
{
	if (s == NULL || s->pad != 0 ||
	    (s->flags & ~(uint32_t)RSM_SIGPOST_NO_ACCUMULATE) != 0)
		return RSM_DCHK_FIELD;
	return 0;
}

int
rsm_data_check_vec(const struct rsm_data_hdr *h, const struct rsm_data_vec *v)
{
	uint64_t sum = 0;
	uint32_t i;

	if (h == NULL || v == NULL || h->count == 0 ||
	    h->count > RSM_DATA_OP_VEC_MAX(h->op))
		return RSM_DCHK_COUNT;
	for (i = 0; i < h->count; i++) {
		/* Each entry fits a frame, so the sum cannot overflow. */
		if (v[i].len > RSM_DATA_FRAME_MAX)
			return RSM_DCHK_VEC;
		sum += v[i].len;
	}
	return sum == h->len ? 0 : RSM_DCHK_VEC;
}

int
rsm_data_check_putm(const struct rsm_data_hdr *h, const struct rsm_data_vec *v)
{
	uint64_t sum = 0;
	uint32_t i;

	if (h == NULL || v == NULL || h->op != RSM_DOP_PUTM ||
	    h->count == 0 || h->count > RSM_DATA_PUTV_MAX)
		return RSM_DCHK_COUNT;
	for (i = 0; i < h->count; i++) {
		/* Each entry is bounded, so the sum cannot overflow. */
		if (v[i].len == 0 || v[i].len > RSM_DATA_PUTM_SPAN_MAX)
			return RSM_DCHK_VEC;
		sum += RSM_DATA_MASK_LEN(v[i].len) + v[i].len;
	}
	return sum == h->len ? 0 : RSM_DCHK_VEC;
}

int
rsm_data_check_mask(const uint8_t *mask, uint64_t len)
{
	unsigned tail;

	if (mask == NULL || len == 0 || len > RSM_DATA_PUTM_SPAN_MAX)
		return RSM_DCHK_MASK;
	tail = (unsigned)(len % 8);
	if (tail != 0 && (mask[len / 8] >> tail) != 0)
		return RSM_DCHK_MASK;
	return 0;
}

uint32_t
rsm_data_vec_in_bounds(const struct rsm_data_vec *v, uint32_t n,
    uint64_t size)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (!rsm_data_in_bounds(v[i].off, v[i].len, size))
			return i;
	return n;
}

void
rsm_data_mask_apply(char *dst, const char *src, const uint8_t *mask,
    size_t len)
{
	size_t i, b, end;
	unsigned m;

	for (i = 0; i < len; i = end) {
		end = i + 8 < len ? i + 8 : len;
		m = mask[i / 8];
		if (m == 0)
			continue;
		if (m == 0xffu && end - i == 8) {
			memcpy(dst + i, src + i, 8);
			continue;
		}
		for (b = i; b < end; b++, m >>= 1)
			if (m & 1u)
				dst[b] = src[b];
	}
}

int
rsm_data_check_reply(const struct rsm_data_hdr *h, uint8_t op, uint64_t id,
    uint32_t want_len, uint32_t want_count)
{
	int rc, ok;

	if (h == NULL)
		return RSM_DCHK_FIELD;
	if ((rc = check_common(h)) != 0)
		return rc;
	if (h->op != (op | RSM_DOPF_REPLY))
		return RSM_DCHK_OP;
	if (h->id != id)
		return RSM_DCHK_ID;
	if (h->status > RSM_DATA_STATUS_MAX)
		return RSM_DCHK_STATUS;
	if (h->off != 0)
		return RSM_DCHK_FIELD;
	ok = h->status == RSM_SUCCESS;
	if (h->count > want_count || (ok && h->count != want_count))
		return RSM_DCHK_COUNT;
	switch (op) {
	case RSM_DOP_HELLO:
		if (h->len != (ok ? sizeof(struct rsm_data_hello_reply) : 0))
			return RSM_DCHK_LEN;
		return 0;
	case RSM_DOP_PUT:
	case RSM_DOP_PUTV:
	case RSM_DOP_PUTM:
	case RSM_DOP_SIGNAL:
		return h->len == 0 ? 0 : RSM_DCHK_LEN;
	case RSM_DOP_ATOMIC:
		if (h->len != (ok ? sizeof(uint64_t) : 0))
			return RSM_DCHK_LEN;
		return 0;
	case RSM_DOP_GET:
		if (h->len != (ok ? want_len : 0))
			return RSM_DCHK_LEN;
		return 0;
	case RSM_DOP_GETV:
		/* On failure: the bytes of the entries done (caller sums). */
		if (h->len > want_len || (ok && h->len != want_len))
			return RSM_DCHK_LEN;
		return 0;
	default:
		return RSM_DCHK_OP;
	}
}

const char *
rsm_dchk_str(int code)
{
	switch (code) {
	case 0: return "ok";
	case RSM_DCHK_MAGIC: return "bad magic";
	case RSM_DCHK_VERSION: return "unsupported version";
	case RSM_DCHK_OP: return "unknown or unexpected op";
	case RSM_DCHK_ID: return "bad request id";
	case RSM_DCHK_STATUS: return "bad status";
	case RSM_DCHK_LEN: return "bad length";
	case RSM_DCHK_COUNT: return "bad entry count";
	case RSM_DCHK_FIELD: return "field out of range";
	case RSM_DCHK_VEC: return "vector entries disagree with the header";
	case RSM_DCHK_MASK: return "mask bits past the span";
	default: return "unknown fault";
	}
}

const char *
rsm_dop_name(uint8_t op)
{
	switch (op & ~RSM_DOPF_REPLY) {
	case RSM_DOP_HELLO: return "HELLO";
	case RSM_DOP_PUT: return "PUT";
	case RSM_DOP_GET: return "GET";
	case RSM_DOP_PUTV: return "PUTV";
	case RSM_DOP_GETV: return "GETV";
	case RSM_DOP_ATOMIC: return "ATOMIC";
	case RSM_DOP_SIGNAL: return "SIGNAL";
	case RSM_DOP_PUTM: return "PUTM";
	default: return "UNKNOWN";
	}
}

int
rsm_data_check_challenge(const struct rsm_data_hdr *h)
{
	if (h == NULL)
		return RSM_DCHK_FIELD;
	if (h->magic != RSM_DATA_MAGIC)
		return RSM_DCHK_MAGIC;
	if (h->version != RSM_DATA_VERSION)
		return RSM_DCHK_VERSION;
	if (h->op != (RSM_DOP_CHALLENGE | RSM_DOPF_REPLY))
		return RSM_DCHK_OP;
	if (h->id != 0)
		return RSM_DCHK_ID;
	if (h->status != 0)
		return RSM_DCHK_STATUS;
	if (h->len != sizeof(struct rsm_data_challenge))
		return RSM_DCHK_LEN;
	if (h->count != 0)
		return RSM_DCHK_COUNT;
	return h->off == 0 ? 0 : RSM_DCHK_FIELD;
}

void
rsm_data_cap_id(const uint8_t token[RSM_CAP_TOKEN_LEN],
    uint8_t id[RSM_DATA_CAPID_LEN])
{
	_Static_assert(RSM_CAP_TOKEN_LEN >= crypto_generichash_KEYBYTES_MIN,
	    "a token is a BLAKE2b key");
	crypto_generichash(id, RSM_DATA_CAPID_LEN,
	    (const unsigned char *)RSM_DATA_CAPID_LABEL,
	    sizeof(RSM_DATA_CAPID_LABEL) - 1, token, RSM_CAP_TOKEN_LEN);
}

int
rsm_data_check_challenge_body(const struct rsm_data_challenge *c)
{
	static const uint8_t zero[sizeof(c->pad)];

	if (c == NULL || memcmp(c->pad, zero, sizeof(zero)) != 0)
		return RSM_DCHK_FIELD;
	return c->cipher <= RSM_DATA_CIPHER_CHACHA20 ? 0 : RSM_DCHK_FIELD;
}

/* An HMAC-SHA256 under the token, begun with a proof's label. */
static void
mac_start(crypto_auth_hmacsha256_state *st,
    const uint8_t token[RSM_CAP_TOKEN_LEN], const char *label, size_t len)
{
	crypto_auth_hmacsha256_init(st, token, RSM_CAP_TOKEN_LEN);
	crypto_auth_hmacsha256_update(st, (const unsigned char *)label, len);
}

static void
mac_finish(crypto_auth_hmacsha256_state *st, uint8_t mac[RSM_DATA_MAC_LEN])
{
	crypto_auth_hmacsha256_final(st, mac);
	sodium_memzero(st, sizeof(*st));
}

/* Whether got is the MAC wanted, in constant time; want is wiped. */
static int
mac_matches(uint8_t want[RSM_DATA_MAC_LEN], const uint8_t got[RSM_DATA_MAC_LEN])
{
	int ok = sodium_memcmp(want, got, RSM_DATA_MAC_LEN) == 0;

	sodium_memzero(want, RSM_DATA_MAC_LEN);
	return ok;
}

/* The proof over one challenge nonce, under the label of its transport. */
static void
hello_mac(const char *label, size_t label_len,
    const uint8_t token[RSM_CAP_TOKEN_LEN],
    const uint8_t nonce[RSM_DATA_NONCE_LEN],
    const uint8_t id[RSM_DATA_CAPID_LEN], uint8_t mac[RSM_DATA_MAC_LEN])
{
	crypto_auth_hmacsha256_state st;

	mac_start(&st, token, label, label_len);
	crypto_auth_hmacsha256_update(&st, nonce, RSM_DATA_NONCE_LEN);
	crypto_auth_hmacsha256_update(&st, id, RSM_DATA_CAPID_LEN);
	mac_finish(&st, mac);
}

static void
hello_prove(const char *label, size_t label_len,
    const uint8_t token[RSM_CAP_TOKEN_LEN],
    const uint8_t nonce[RSM_DATA_NONCE_LEN], struct rsm_data_hello *out)
{
	rsm_data_cap_id(token, out->cap_id);
	hello_mac(label, label_len, token, nonce, out->cap_id, out->mac);
}

static int
hello_verify(const char *label, size_t label_len,
    const uint8_t token[RSM_CAP_TOKEN_LEN],
    const uint8_t nonce[RSM_DATA_NONCE_LEN],
    const struct rsm_data_hello *hello)
{
	uint8_t want[RSM_DATA_MAC_LEN];

	hello_mac(label, label_len, token, nonce, hello->cap_id, want);
	return mac_matches(want, hello->mac);
}

void
rsm_data_hello_prove(const uint8_t token[RSM_CAP_TOKEN_LEN],
    const uint8_t nonce[RSM_DATA_NONCE_LEN], struct rsm_data_hello *out)
{
	hello_prove(RSM_DATA_HELLO_LABEL, sizeof(RSM_DATA_HELLO_LABEL) - 1,
	    token, nonce, out);
}

int
rsm_data_hello_verify(const uint8_t token[RSM_CAP_TOKEN_LEN],
    const uint8_t nonce[RSM_DATA_NONCE_LEN],
    const struct rsm_data_hello *hello)
{
	return hello_verify(RSM_DATA_HELLO_LABEL,
	    sizeof(RSM_DATA_HELLO_LABEL) - 1, token, nonce, hello);
}

void
rsm_data_hello_prove_ucx(const uint8_t token[RSM_CAP_TOKEN_LEN],
    const uint8_t nonce[RSM_DATA_NONCE_LEN], struct rsm_data_hello *out)
{
	hello_prove(RSM_DATA_HELLO_UCX_LABEL,
	    sizeof(RSM_DATA_HELLO_UCX_LABEL) - 1, token, nonce, out);
}

int
rsm_data_hello_verify_ucx(const uint8_t token[RSM_CAP_TOKEN_LEN],
    const uint8_t nonce[RSM_DATA_NONCE_LEN],
    const struct rsm_data_hello *hello)
{
	return hello_verify(RSM_DATA_HELLO_UCX_LABEL,
	    sizeof(RSM_DATA_HELLO_UCX_LABEL) - 1, token, nonce, hello);
}

/*
 * tcp0's: the cipher is covered, so a CHALLENGE whose cipher was changed
 * on the way (a downgrade to the clear) makes a HELLO the server refuses;
 * the importer's nonce is covered, so the keys it feeds are the server's
 * too.
 */
static void
hello_tcp_mac(const uint8_t token[RSM_CAP_TOKEN_LEN],
    const struct rsm_data_challenge *chal, const uint8_t *cnonce,
    const uint8_t id[RSM_DATA_CAPID_LEN], uint8_t mac[RSM_DATA_MAC_LEN])
{
	crypto_auth_hmacsha256_state st;

	mac_start(&st, token, RSM_DATA_HELLO_TCP_LABEL,
	    sizeof(RSM_DATA_HELLO_TCP_LABEL) - 1);
	crypto_auth_hmacsha256_update(&st, chal->nonce, RSM_DATA_NONCE_LEN);
	crypto_auth_hmacsha256_update(&st, &chal->cipher, 1);
	crypto_auth_hmacsha256_update(&st, cnonce, RSM_DATA_NONCE_LEN);
	crypto_auth_hmacsha256_update(&st, id, RSM_DATA_CAPID_LEN);
	mac_finish(&st, mac);
}

void
rsm_data_hello_prove_tcp(const uint8_t token[RSM_CAP_TOKEN_LEN],
    const struct rsm_data_challenge *chal, struct rsm_data_hello_req *out)
{
	rsm_data_cap_id(token, out->proof.cap_id);
	hello_tcp_mac(token, chal, out->nonce, out->proof.cap_id,
	    out->proof.mac);
}

int
rsm_data_hello_verify_tcp(const uint8_t token[RSM_CAP_TOKEN_LEN],
    const struct rsm_data_challenge *chal,
    const struct rsm_data_hello_req *req)
{
	uint8_t want[RSM_DATA_MAC_LEN];

	hello_tcp_mac(token, chal, req->nonce, req->proof.cap_id, want);
	return mac_matches(want, req->proof.mac);
}
