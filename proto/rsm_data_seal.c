/*
 * rsm_data_seal.c - keys and records of sealed tcp0 data connections; see
 * rsm_data_seal.h.  Key derivation and ChaCha20-Poly1305 are libsodium's;
 * AES-256-GCM is rsm_seal_gcm.c's (libcrypto where built with it).
 *
 * Records are sealed and opened in place: a record's plaintext is
 * gathered where its ciphertext will be (or, when it lies in one piece
 * of the caller's, as the body of a large put or get does, encrypted
 * straight from there), and received ciphertext is decrypted where it
 * lies, so each byte is copied at most once on either side (into the
 * record, out of it) besides the cipher's own pass.
 */
#include "rsm_data_seal.h"

#include <sodium.h>

#include "rsm_seal_gcm.h"

#include <stdlib.h>
#include <string.h>

/* Received bytes buffered beyond one whole record: read ahead. */
#define SEAL_IN_AHEAD		(8u << 10)
#define SEAL_IN_CAP		(RSM_SEAL_REC_MAX + RSM_SEAL_OVERHEAD + \
				    SEAL_IN_AHEAD)
#define SEAL_OUT_CAP		(RSM_SEAL_REC_MAX + RSM_SEAL_OVERHEAD)

_Static_assert(RSM_GCM_NONCE_LEN == 12 &&
    crypto_aead_chacha20poly1305_IETF_NPUBBYTES == 12, "96-bit nonces");
_Static_assert(RSM_GCM_TAG_LEN == RSM_SEAL_TAG_LEN &&
    crypto_aead_chacha20poly1305_IETF_ABYTES == RSM_SEAL_TAG_LEN, "tags");
_Static_assert(RSM_GCM_KEY_LEN == 32 &&
    crypto_aead_chacha20poly1305_IETF_KEYBYTES == 32, "keys");

/* One direction's key and record counter. */
struct seal_dir {
	struct rsm_gcm	*aes;			/* expanded key (AES only) */
	uint8_t		 key[32];
	uint64_t	 ctr;			/* the next record's number */
};

struct rsm_seal {
	struct seal_dir	 tx;
	struct seal_dir	 rx;
	uint8_t		 cipher;
	/* The record being sent: out[out_sent, out_len). */
	size_t		 out_len;
	size_t		 out_sent;
	/*
	 * Received: in[in_off, in_have) not consumed yet; when pt_left > 0
	 * the record at in_off is open and its plaintext still to hand out
	 * is in[pt_off, pt_off + pt_left).
	 */
	size_t		 in_off;
	size_t		 in_have;
	size_t		 pt_off;
	size_t		 pt_left;
	uint8_t		 out[SEAL_OUT_CAP];
	uint8_t		 in[SEAL_IN_CAP];
};

uint8_t
rsm_seal_cipher_pick(void)
{
	if (sodium_init() < 0)
		return RSM_DATA_CIPHER_CHACHA20;
	/* AES only where the CPU runs it in hardware, whoever implements it. */
	return crypto_aead_aes256gcm_is_available() ?
	    RSM_DATA_CIPHER_AES256GCM : RSM_DATA_CIPHER_CHACHA20;
}

int
rsm_seal_cipher_usable(uint8_t cipher)
{
	if (sodium_init() < 0)
		return 0;
	switch (cipher) {
	case RSM_DATA_CIPHER_AES256GCM:
		return rsm_gcm_usable(RSM_GCM_BEST);
	case RSM_DATA_CIPHER_CHACHA20:
		return 1;
	default:
		return 0;
	}
}

const char *
rsm_seal_cipher_name(uint8_t cipher)
{
	switch (cipher) {
	case RSM_DATA_CIPHER_NONE: return "none";
	case RSM_DATA_CIPHER_AES256GCM: return "aes256gcm";
	case RSM_DATA_CIPHER_CHACHA20: return "chacha20poly1305";
	default: return "unknown";
	}
}

static void
derive(const uint8_t token[RSM_CAP_TOKEN_LEN],
    const struct rsm_data_challenge *chal,
    const uint8_t cnonce[RSM_DATA_NONCE_LEN], uint8_t dir, uint8_t key[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, token, RSM_CAP_TOKEN_LEN, 32);
	crypto_generichash_update(&st,
	    (const unsigned char *)RSM_SEAL_KEY_LABEL,
	    sizeof(RSM_SEAL_KEY_LABEL) - 1);
	crypto_generichash_update(&st, chal->nonce, RSM_DATA_NONCE_LEN);
	crypto_generichash_update(&st, &chal->cipher, 1);
	crypto_generichash_update(&st, cnonce, RSM_DATA_NONCE_LEN);
	crypto_generichash_update(&st, &dir, 1);
	crypto_generichash_final(&st, key, 32);
	sodium_memzero(&st, sizeof(st));
}

struct rsm_seal *
rsm_seal_new(const uint8_t token[RSM_CAP_TOKEN_LEN],
    const struct rsm_data_challenge *chal,
    const uint8_t cnonce[RSM_DATA_NONCE_LEN], int server)
{
	struct rsm_seal *s;
	void *p;

	if (!rsm_seal_cipher_usable(chal->cipher))
		return NULL;
	/* A cache line for the record buffers. */
	if (posix_memalign(&p, 64, sizeof(*s)) != 0)
		return NULL;
	s = p;
	memset(s, 0, offsetof(struct rsm_seal, out));
	s->cipher = chal->cipher;
	/* 'c': importer to server, 's': server to importer. */
	derive(token, chal, cnonce, server ? 's' : 'c', s->tx.key);
	derive(token, chal, cnonce, server ? 'c' : 's', s->rx.key);
	if (s->cipher == RSM_DATA_CIPHER_AES256GCM) {
		s->tx.aes = rsm_gcm_new(s->tx.key, 1, RSM_GCM_BEST);
		s->rx.aes = rsm_gcm_new(s->rx.key, 0, RSM_GCM_BEST);
		if (s->tx.aes == NULL || s->rx.aes == NULL) {
			rsm_seal_free(s);
			return NULL;
		}
	}
	return s;
}

void
rsm_seal_free(struct rsm_seal *s)
{
	if (s == NULL)
		return;
	rsm_gcm_free(s->tx.aes);
	rsm_gcm_free(s->rx.aes);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

static void
counter_nonce(uint64_t ctr, uint8_t n[12])
{
	memset(n, 0, 12);
	memcpy(n, &ctr, sizeof(ctr));
}

/*
 * Seal the len bytes at pt (rec + HDR: in place; else a buffer that does
 * not overlap rec) into rec[HDR, HDR + len), the header and tag around.
 */
static int
seal_record(struct rsm_seal *s, uint8_t *rec, const uint8_t *pt,
    uint32_t len)
{
	uint8_t n[12];

	/* Never reuse a nonce: a spent counter ends the connection. */
	if (s->tx.ctr == UINT64_MAX)
		return -1;
	counter_nonce(s->tx.ctr++, n);
	memcpy(rec, &len, RSM_SEAL_HDR_LEN);
	if (s->cipher == RSM_DATA_CIPHER_AES256GCM)
		return rsm_gcm_seal(s->tx.aes, rec + RSM_SEAL_HDR_LEN,
		    rec + RSM_SEAL_HDR_LEN + len, pt, len, rec, RSM_SEAL_HDR_LEN,
		    n);
	(void)crypto_aead_chacha20poly1305_ietf_encrypt_detached(
	    rec + RSM_SEAL_HDR_LEN, rec + RSM_SEAL_HDR_LEN + len, NULL,
	    pt, len, rec, RSM_SEAL_HDR_LEN, NULL, n, s->tx.key);
	return 0;
}

/* Open rec[HDR, HDR + len) in place: 0, or -1 when its tag fails. */
static int
open_record(struct rsm_seal *s, uint8_t *rec, uint32_t len)
{
	uint8_t n[12];
	int rc;

	if (s->rx.ctr == UINT64_MAX)
		return -1;
	counter_nonce(s->rx.ctr++, n);
	if (s->cipher == RSM_DATA_CIPHER_AES256GCM)
		rc = rsm_gcm_open(s->rx.aes, rec + RSM_SEAL_HDR_LEN,
		    rec + RSM_SEAL_HDR_LEN, len, rec + RSM_SEAL_HDR_LEN + len,
		    rec, RSM_SEAL_HDR_LEN, n);
	else
		rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		    rec + RSM_SEAL_HDR_LEN, NULL, rec + RSM_SEAL_HDR_LEN, len,
		    rec + RSM_SEAL_HDR_LEN + len, rec, RSM_SEAL_HDR_LEN, n,
		    s->rx.key);
	return rc == 0 ? 0 : -1;
}

ssize_t
rsm_seal_put(struct rsm_seal *s, const struct iovec *iov, int niov)
{
	uint8_t *p = s->out + RSM_SEAL_HDR_LEN;
	const uint8_t *pt = p;
	size_t room = RSM_SEAL_REC_MAX, got = 0, n;
	int i;

	if (s->out_sent < s->out_len)
		return 0;
	/* A whole record in one piece: no copy first. */
	if (niov > 0 && (iov[0].iov_len >= RSM_SEAL_REC_MAX ||
	    (niov == 1 && iov[0].iov_len > 0))) {
		got = iov[0].iov_len < room ? iov[0].iov_len : room;
		pt = iov[0].iov_base;
		niov = 0;
	}
	for (i = 0; i < niov && room > 0; i++) {
		n = iov[i].iov_len < room ? iov[i].iov_len : room;
		memcpy(p + got, iov[i].iov_base, n);
		got += n;
		room -= n;
	}
	if (got == 0)
		return 0;
	if (seal_record(s, s->out, pt, (uint32_t)got) != 0)
		return -1;
	s->out_len = got + RSM_SEAL_OVERHEAD;
	s->out_sent = 0;
	return (ssize_t)got;
}

const void *
rsm_seal_out(const struct rsm_seal *s, size_t *len)
{
	*len = s->out_len - s->out_sent;
	return s->out + s->out_sent;
}

void
rsm_seal_sent(struct rsm_seal *s, size_t n)
{
	s->out_sent += n;
	if (s->out_sent >= s->out_len)
		s->out_sent = s->out_len = 0;
}

/* The length of the record at in_off, once its header is in; else 0. */
static uint32_t
next_len(const struct rsm_seal *s)
{
	uint32_t len;

	if (s->in_have - s->in_off < RSM_SEAL_HDR_LEN)
		return 0;
	memcpy(&len, s->in + s->in_off, sizeof(len));
	return len;
}

static int
whole_record(const struct rsm_seal *s)
{
	uint32_t len = next_len(s);

	return len != 0 && len <= RSM_SEAL_REC_MAX &&
	    s->in_have - s->in_off >= (size_t)len + RSM_SEAL_OVERHEAD;
}

/* Open the record at in_off: 1, 0 when it is not all in, or RSM_SEAL_E*. */
static int
open_next(struct rsm_seal *s)
{
	uint32_t len;

	if (s->in_have - s->in_off < RSM_SEAL_HDR_LEN)
		return 0;
	/* The length is checked before anything else uses it. */
	len = next_len(s);
	if (len == 0 || len > RSM_SEAL_REC_MAX)
		return RSM_SEAL_EBADLEN;
	if (s->in_have - s->in_off < (size_t)len + RSM_SEAL_OVERHEAD)
		return 0;
	if (open_record(s, s->in + s->in_off, len) != 0)
		return RSM_SEAL_EBADTAG;
	s->pt_off = s->in_off + RSM_SEAL_HDR_LEN;
	s->pt_left = len;
	return 1;
}

ssize_t
rsm_seal_take(struct rsm_seal *s, const struct iovec *iov, int niov)
{
	size_t got = 0, done, n;
	int i, rc;

	for (i = 0; i < niov; i++) {
		for (done = 0; done < iov[i].iov_len; done += n) {
			if (s->pt_left == 0 && (rc = open_next(s)) <= 0) {
				if (rc < 0)
					return rc;
				return (ssize_t)got;
			}
			n = iov[i].iov_len - done < s->pt_left ?
			    iov[i].iov_len - done : s->pt_left;
			memcpy((char *)iov[i].iov_base + done,
			    s->in + s->pt_off, n);
			s->pt_off += n;
			s->pt_left -= n;
			got += n;
			/* All of it handed out: the record is consumed. */
			if (s->pt_left == 0)
				s->in_off = s->pt_off + RSM_SEAL_TAG_LEN;
		}
	}
	return (ssize_t)got;
}

void *
rsm_seal_in_space(struct rsm_seal *s, size_t *len)
{
	size_t need = next_len(s);

	if (s->in_off == s->in_have)
		s->in_off = s->in_have = 0;
	/* Room for at least the record begun (or its header): move it down. */
	need = need != 0 && need <= RSM_SEAL_REC_MAX ?
	    need + RSM_SEAL_OVERHEAD : RSM_SEAL_HDR_LEN;
	if (s->in_off > 0 && s->pt_left == 0 &&
	    SEAL_IN_CAP - s->in_off < need) {
		memmove(s->in, s->in + s->in_off, s->in_have - s->in_off);
		s->in_have -= s->in_off;
		s->in_off = 0;
	}
	*len = SEAL_IN_CAP - s->in_have;
	return s->in + s->in_have;
}

void
rsm_seal_in_got(struct rsm_seal *s, size_t n)
{
	s->in_have += n;
}

int
rsm_seal_ready(const struct rsm_seal *s)
{
	return s->pt_left > 0 || whole_record(s) ||
	    (s->in_have - s->in_off >= RSM_SEAL_HDR_LEN &&
	    (next_len(s) == 0 || next_len(s) > RSM_SEAL_REC_MAX));
}

int
rsm_seal_partial(const struct rsm_seal *s)
{
	return s->pt_left == 0 && s->in_have > s->in_off;
}
