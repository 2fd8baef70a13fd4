/*
 * rsm_seal_gcm.c - AES-256-GCM with libcrypto (when built with it) or
 * libsodium; see rsm_seal_gcm.h.
 *
 * libcrypto's context is kept per direction with the key schedule in it,
 * so a record costs setting the nonce and one pass; libsodium's expanded
 * state (crypto_aead_aes256gcm_beforenm) does the same for its side.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "rsm_seal_gcm.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#ifdef HAVE_LIBCRYPTO
#include <openssl/evp.h>
#endif

_Static_assert(crypto_aead_aes256gcm_KEYBYTES == RSM_GCM_KEY_LEN &&
    crypto_aead_aes256gcm_NPUBBYTES == RSM_GCM_NONCE_LEN &&
    crypto_aead_aes256gcm_ABYTES == RSM_GCM_TAG_LEN, "AES-256-GCM sizes");

struct rsm_gcm {
	/* libsodium's expanded key; it wants 16-byte alignment. */
	crypto_aead_aes256gcm_state st;
	enum rsm_gcm_impl impl;
	int		 seal;
#ifdef HAVE_LIBCRYPTO
	EVP_CIPHER_CTX	*ctx;
#endif
};

static int
sodium_usable(void)
{
	return sodium_init() >= 0 && crypto_aead_aes256gcm_is_available();
}

int
rsm_gcm_usable(enum rsm_gcm_impl impl)
{
	switch (impl) {
	case RSM_GCM_BEST:
		return rsm_gcm_usable(RSM_GCM_LIBCRYPTO) ||
		    rsm_gcm_usable(RSM_GCM_SODIUM);
	case RSM_GCM_SODIUM:
		return sodium_usable();
	case RSM_GCM_LIBCRYPTO:
#ifdef HAVE_LIBCRYPTO
		return 1;
#else
		return 0;
#endif
	default:
		return 0;
	}
}

static enum rsm_gcm_impl
best(void)
{
	if (rsm_gcm_usable(RSM_GCM_LIBCRYPTO))
		return RSM_GCM_LIBCRYPTO;
	return rsm_gcm_usable(RSM_GCM_SODIUM) ? RSM_GCM_SODIUM : RSM_GCM_BEST;
}

const char *
rsm_gcm_best_name(void)
{
	switch (best()) {
	case RSM_GCM_LIBCRYPTO: return "libcrypto";
	case RSM_GCM_SODIUM: return "libsodium";
	default: return "none";
	}
}

#ifdef HAVE_LIBCRYPTO
static int
evp_new(struct rsm_gcm *g, const uint8_t key[RSM_GCM_KEY_LEN])
{
	int ok;

	g->ctx = EVP_CIPHER_CTX_new();
	if (g->ctx == NULL)
		return -1;
	/* The key now, the nonce per record (NULL key keeps the schedule). */
	ok = g->seal ?
	    EVP_EncryptInit_ex(g->ctx, EVP_aes_256_gcm(), NULL, key, NULL) :
	    EVP_DecryptInit_ex(g->ctx, EVP_aes_256_gcm(), NULL, key, NULL);
	if (ok != 1) {
		EVP_CIPHER_CTX_free(g->ctx);
		g->ctx = NULL;
		return -1;
	}
	return 0;
}
#endif

struct rsm_gcm *
rsm_gcm_new(const uint8_t key[RSM_GCM_KEY_LEN], int seal,
    enum rsm_gcm_impl impl)
{
	struct rsm_gcm *g;
	void *p;

	if (key == NULL)
		return NULL;
	if (impl == RSM_GCM_BEST)
		impl = best();
	if (impl == RSM_GCM_BEST || !rsm_gcm_usable(impl))
		return NULL;
	if (posix_memalign(&p, 64, sizeof(*g)) != 0)
		return NULL;
	g = p;
	memset(g, 0, sizeof(*g));
	g->impl = impl;
	g->seal = seal != 0;
	if (impl == RSM_GCM_SODIUM) {
		crypto_aead_aes256gcm_beforenm(&g->st, key);
		return g;
	}
#ifdef HAVE_LIBCRYPTO
	if (evp_new(g, key) == 0)
		return g;
#endif
	free(g);
	return NULL;
}

void
rsm_gcm_free(struct rsm_gcm *g)
{
	if (g == NULL)
		return;
#ifdef HAVE_LIBCRYPTO
	/* Frees and cleanses the key schedule. */
	EVP_CIPHER_CTX_free(g->ctx);
#endif
	sodium_memzero(g, sizeof(*g));
	free(g);
}

#ifdef HAVE_LIBCRYPTO
/* Nonce and associated data for the next record of ctx. */
static int
evp_start(struct rsm_gcm *g, const uint8_t *ad, size_t adlen,
    const uint8_t nonce[RSM_GCM_NONCE_LEN])
{
	int n;

	if (adlen > INT_MAX)
		return -1;
	if (g->seal) {
		if (EVP_EncryptInit_ex(g->ctx, NULL, NULL, NULL, nonce) != 1)
			return -1;
		return EVP_EncryptUpdate(g->ctx, NULL, &n, ad, (int)adlen) == 1 ?
		    0 : -1;
	}
	if (EVP_DecryptInit_ex(g->ctx, NULL, NULL, NULL, nonce) != 1)
		return -1;
	return EVP_DecryptUpdate(g->ctx, NULL, &n, ad, (int)adlen) == 1 ?
	    0 : -1;
}

static int
evp_seal(struct rsm_gcm *g, uint8_t *ct, uint8_t tag[RSM_GCM_TAG_LEN],
    const uint8_t *pt, size_t len, const uint8_t *ad, size_t adlen,
    const uint8_t nonce[RSM_GCM_NONCE_LEN])
{
	int n;

	if (len > INT_MAX || evp_start(g, ad, adlen, nonce) != 0)
		return -1;
	if (EVP_EncryptUpdate(g->ctx, ct, &n, pt, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(g->ctx, ct + n, &n) != 1)
		return -1;
	return EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_GET_TAG,
	    RSM_GCM_TAG_LEN, tag) == 1 ? 0 : -1;
}

static int
evp_open(struct rsm_gcm *g, uint8_t *pt, const uint8_t *ct, size_t len,
    const uint8_t tag[RSM_GCM_TAG_LEN], const uint8_t *ad, size_t adlen,
    const uint8_t nonce[RSM_GCM_NONCE_LEN])
{
	int n;

	if (len > INT_MAX || evp_start(g, ad, adlen, nonce) != 0)
		return -1;
	if (EVP_DecryptUpdate(g->ctx, pt, &n, ct, (int)len) != 1)
		return -1;
	/* The tag is checked by Final, after the pass over the bytes. */
	if (EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_SET_TAG,
	    RSM_GCM_TAG_LEN, (void *)(uintptr_t)tag) != 1)
		return -1;
	return EVP_DecryptFinal_ex(g->ctx, pt + n, &n) == 1 ? 0 : -1;
}
#endif

int
rsm_gcm_seal(struct rsm_gcm *g, uint8_t *ct, uint8_t tag[RSM_GCM_TAG_LEN],
    const uint8_t *pt, size_t len, const uint8_t *ad, size_t adlen,
    const uint8_t nonce[RSM_GCM_NONCE_LEN])
{
	if (g == NULL || !g->seal || ct == NULL || tag == NULL ||
	    (pt == NULL && len > 0) || (ad == NULL && adlen > 0) ||
	    nonce == NULL)
		return -1;
#ifdef HAVE_LIBCRYPTO
	if (g->impl == RSM_GCM_LIBCRYPTO)
		return evp_seal(g, ct, tag, pt, len, ad, adlen, nonce);
#endif
	return crypto_aead_aes256gcm_encrypt_detached_afternm(ct, tag, NULL,
	    pt, len, ad, adlen, NULL, nonce, &g->st) == 0 ? 0 : -1;
}

int
rsm_gcm_open(struct rsm_gcm *g, uint8_t *pt, const uint8_t *ct, size_t len,
    const uint8_t tag[RSM_GCM_TAG_LEN], const uint8_t *ad, size_t adlen,
    const uint8_t nonce[RSM_GCM_NONCE_LEN])
{
	if (g == NULL || g->seal || pt == NULL || ct == NULL || tag == NULL ||
	    (ad == NULL && adlen > 0) || nonce == NULL)
		return -1;
#ifdef HAVE_LIBCRYPTO
	if (g->impl == RSM_GCM_LIBCRYPTO)
		return evp_open(g, pt, ct, len, tag, ad, adlen, nonce);
#endif
	return crypto_aead_aes256gcm_decrypt_detached_afternm(pt, NULL, ct,
	    len, tag, ad, adlen, nonce, &g->st) == 0 ? 0 : -1;
}
